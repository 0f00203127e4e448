// SPDX-License-Identifier: GPL-2.0

//! The `binder` trace events' unsafe half: the tracepoints and their
//! out-of-line C wrappers defined in `ffi/trace_events.c`.
//!
//! Every event is a module with `enabled()`, the tracepoint's static key read
//! inline (one load and a branch: `CONFIG_JUMP_LABEL` is not set in the
//! kernels this builds for, where `static_key_enabled()` is that same
//! atomic read), and `emit(...)`, the call into the C wrapper that fires the
//! event. `crate::trace` calls `emit` only after `enabled()` said yes, and
//! computes the event's values only then.

use super::layout::c_layout;

/// Whether the tracepoint `tp` has probes (`static_key_enabled(&tp->key)`).
#[inline(always)]
fn key_enabled(tp: *const u8) -> bool {
    let count = tp
        .wrapping_add(c_layout!(tracepoint, enabled))
        .cast::<i32>();
    // `tp` is a `struct tracepoint` of ffi/trace_events.c, in this module's
    // image while it is loaded; at this offset (ffi/layout.c) is its key.
    // SAFETY: an aligned `atomic_t enabled`, only read (volatile, as
    // `raw_atomic_read()`).
    unsafe { core::ptr::read_volatile(count) > 0 }
}

macro_rules! events {
    ($($name:ident: $tp:ident, $f:ident($($a:ident: $t:ty),*);)*) => {
        // Only the tracepoints' addresses are taken; their type is opaque here.
        extern "C" {
            $(
                static $tp: u8;
                fn $f($($a: $t),*);
            )*
        }
        $(
            #[doc = concat!("The `", stringify!($tp), "` event.")]
            pub(crate) mod $name {
                /// Whether a probe is attached: the only cost of a disabled event.
                #[inline(always)]
                pub(crate) fn enabled() -> bool {
                    super::key_enabled(&raw const super::$tp)
                }

                /// Fires the event (call after [`enabled`] returned true).
                #[inline]
                pub(crate) fn emit($($a: $t),*) {
                    // SAFETY: the wrapper only passes its scalar arguments to
                    // the event's trace function.
                    unsafe { super::$f($($a),*) }
                }
            }
        )*
    };
}

events! {
    ioctl: __tracepoint_binder_ioctl, rust_binder_trace_ioctl(cmd: u32, arg: usize);
    ioctl_done: __tracepoint_binder_ioctl_done, rust_binder_trace_ioctl_done(ret: i32);
    write_done: __tracepoint_binder_write_done, rust_binder_trace_write_done(ret: i32);
    read_done: __tracepoint_binder_read_done, rust_binder_trace_read_done(ret: i32);
    wait_for_work: __tracepoint_binder_wait_for_work,
        rust_binder_trace_wait_for_work(proc_work: bool, stack: bool, thread_todo: bool);
    txn_latency_free: __tracepoint_binder_txn_latency_free,
        rust_binder_trace_txn_latency_free(
            id: i32, from_proc: i32, from_thread: i32, to_proc: i32, to_thread: i32,
            code: u32, flags: u32);
    transaction: __tracepoint_binder_transaction,
        rust_binder_trace_transaction(
            reply: bool, id: i32, node: i32, to_proc: i32, to_thread: i32, code: u32,
            flags: u32);
    transaction_received: __tracepoint_binder_transaction_received,
        rust_binder_trace_transaction_received(id: i32);
    node_to_ref: __tracepoint_binder_transaction_node_to_ref,
        rust_binder_trace_transaction_node_to_ref(
            id: i32, node: i32, ptr: u64, ref_id: i32, desc: u32);
    ref_to_node: __tracepoint_binder_transaction_ref_to_node,
        rust_binder_trace_transaction_ref_to_node(
            id: i32, node: i32, ptr: u64, ref_id: i32, desc: u32);
    ref_to_ref: __tracepoint_binder_transaction_ref_to_ref,
        rust_binder_trace_transaction_ref_to_ref(
            id: i32, node: i32, src_id: i32, src_desc: u32, dest_id: i32, dest_desc: u32);
    fd_send: __tracepoint_binder_transaction_fd_send,
        rust_binder_trace_transaction_fd_send(id: i32, fd: i32, offset: usize);
    fd_recv: __tracepoint_binder_transaction_fd_recv,
        rust_binder_trace_transaction_fd_recv(id: i32, fd: i32, offset: usize);
    alloc_buf: __tracepoint_binder_transaction_alloc_buf,
        rust_binder_trace_transaction_alloc_buf(id: i32, data: usize, offsets: usize, extra: usize);
    buffer_release: __tracepoint_binder_transaction_buffer_release,
        rust_binder_trace_transaction_buffer_release(
            id: i32, data: usize, offsets: usize, extra: usize);
    failed_buffer_release: __tracepoint_binder_transaction_failed_buffer_release,
        rust_binder_trace_transaction_failed_buffer_release(
            id: i32, data: usize, offsets: usize, extra: usize);
    update_buffer_release: __tracepoint_binder_transaction_update_buffer_release,
        rust_binder_trace_transaction_update_buffer_release(
            id: i32, data: usize, offsets: usize, extra: usize);
    update_page_range: __tracepoint_binder_update_page_range,
        rust_binder_trace_update_page_range(pid: i32, allocate: bool, offset: usize, size: usize);
    alloc_lru_start: __tracepoint_binder_alloc_lru_start,
        rust_binder_trace_alloc_lru_start(pid: i32, index: usize);
    alloc_lru_end: __tracepoint_binder_alloc_lru_end,
        rust_binder_trace_alloc_lru_end(pid: i32, index: usize);
    free_lru_start: __tracepoint_binder_free_lru_start,
        rust_binder_trace_free_lru_start(pid: i32, index: usize);
    free_lru_end: __tracepoint_binder_free_lru_end,
        rust_binder_trace_free_lru_end(pid: i32, index: usize);
    alloc_page_start: __tracepoint_binder_alloc_page_start,
        rust_binder_trace_alloc_page_start(pid: i32, index: usize);
    alloc_page_end: __tracepoint_binder_alloc_page_end,
        rust_binder_trace_alloc_page_end(pid: i32, index: usize);
    unmap_user_start: __tracepoint_binder_unmap_user_start,
        rust_binder_trace_unmap_user_start(pid: i32, index: usize);
    unmap_user_end: __tracepoint_binder_unmap_user_end,
        rust_binder_trace_unmap_user_end(pid: i32, index: usize);
    unmap_kernel_start: __tracepoint_binder_unmap_kernel_start,
        rust_binder_trace_unmap_kernel_start(pid: i32, index: usize);
    unmap_kernel_end: __tracepoint_binder_unmap_kernel_end,
        rust_binder_trace_unmap_kernel_end(pid: i32, index: usize);
    command: __tracepoint_binder_command, rust_binder_trace_command(cmd: u32);
    ret: __tracepoint_binder_return, rust_binder_trace_return(cmd: u32);
}
