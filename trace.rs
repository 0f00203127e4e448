// SPDX-License-Identifier: GPL-2.0

//! The C driver's `binder` trace events, fired where the C driver fires
//! them (drivers/android/binder.c and binder_alloc.c of Linux 6.12), so that
//! a trace of rust_binder reads like one of binder_linux.
//!
//! Each function here checks its tracepoint first (inline: one load and a
//! branch, see `ffi::trace`) and only then computes the event's values and
//! calls out of line into the C object that fires it. Call sites in the
//! core stay one short line each.
//!
//! Where C prints a value rust_binder does not keep, the closest one is used:
//! references have no debug ids of their own, so `*_ref` debug ids are the
//! node's; buffers keep no debug id, so a buffer remembers its
//! transaction's id only while a buffer release event is on (one allocated
//! before that prints `transaction=0` when released); the `binder_lock`,
//! `binder_locked` and `binder_unlock` events exist but, as in C 6.12,
//! never fire.

use crate::allocation::Mapping;
use crate::ffi::trace as tp;
use crate::node::Node;
use crate::process::Process;
use crate::thread::Thread;
use crate::transaction::Transaction;
use crate::work::DArc;
use kernel::error::Result;
use kernel::page::PAGE_SIZE;
use kernel::prelude::GFP_KERNEL;
use kernel::rbtree::RBTreeNodeReservation;

/// Fires `$ev` with the given values if it is enabled; the values are only
/// evaluated then.
macro_rules! fire {
    ($ev:ident($($v:expr),* $(,)?)) => {
        if tp::$ev::enabled() {
            tp::$ev::emit($($v),*)
        }
    };
}

/// A debug id as C's `int` field.
fn id(v: usize) -> i32 {
    v as i32
}

fn errno(r: &Result) -> i32 {
    match r {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `binder_ioctl`: an ioctl starts.
#[inline(always)]
pub(crate) fn ioctl(cmd: u32, arg: usize) {
    fire!(ioctl(cmd, arg));
}

/// `binder_ioctl_done`: an ioctl returns `ret`.
#[inline(always)]
pub(crate) fn ioctl_done(ret: &Result<i32>) {
    fire!(ioctl_done(match ret {
        Ok(v) => *v,
        Err(e) => e.to_errno(),
    }));
}

/// `binder_write_done`: the write part of `BINDER_WRITE_READ` ended.
#[inline(always)]
pub(crate) fn write_done(ret: &Result) {
    fire!(write_done(errno(ret)));
}

/// `binder_read_done`: the read part of `BINDER_WRITE_READ` ended.
#[inline(always)]
pub(crate) fn read_done(ret: &Result) {
    fire!(read_done(errno(ret)));
}

/// `binder_wait_for_work`: a read looks for work; `state` gives whether
/// the thread has a transaction stack and work of its own.
#[inline(always)]
pub(crate) fn wait_for_work(proc_work: bool, state: impl FnOnce() -> (bool, bool)) {
    if tp::wait_for_work::enabled() {
        let (stack, todo) = state();
        tp::wait_for_work::emit(proc_work, stack, todo);
    }
}

/// `binder_command`: a `BC_*` command read from user space.
#[inline(always)]
pub(crate) fn command(cmd: u32) {
    fire!(command(cmd));
}

/// `binder_return`: a `BR_*` return written to user space.
#[inline(always)]
pub(crate) fn ret(cmd: u32) {
    fire!(ret(cmd));
}

/// The sender's pid and tid as the transaction's `from` (none for replies
/// and one-way transactions, as C's `t->from`).
fn from_ids(from: Option<&Thread>) -> (i32, i32) {
    from.map_or((0, 0), |t| (t.process.pid, t.id))
}

/// `binder_txn_latency_free`: transaction `t` is done with. `reader` is the
/// thread that read it, C's `to_thread` for a reply (a call's is the thread
/// that took it; a one-way has none).
#[inline(always)]
pub(crate) fn txn_free(t: &Transaction, reader: i32) {
    txn_free_from(t, reader, true);
}

/// [`txn_free`] of a call that a reply (or a failed reply) answered: C
/// popped it from the caller's stack first, which cleared its `from`.
#[inline(always)]
pub(crate) fn txn_free_answered(t: &Transaction) {
    txn_free_from(t, 0, false);
}

#[inline(always)]
fn txn_free_from(t: &Transaction, reader: i32, with_from: bool) {
    if tp::txn_latency_free::enabled() {
        let (from, to_thread) = {
            let links = t.links.lock();
            let to = links.to_thread.as_ref().map_or(0, |t| t.id);
            let from = links.from.as_deref().filter(|_| with_from);
            (from_ids(from), to)
        };
        let to_thread = if t.is_reply { reader } else { to_thread };
        tp::txn_latency_free::emit(
            id(t.id),
            from.0,
            from.1,
            t.to_proc.pid,
            to_thread,
            t.code,
            t.flags,
        );
    }
}

/// A transaction being sent: `binder_transaction` fires when it is made
/// and, if it fails, `binder_txn_latency_free` when the guard returned goes
/// (unless [`TxnTrace::end`] saw it succeed), as C frees its failed `t`.
pub(crate) struct TxnTrace {
    /// Set only when latency events are on: (id, from, to, code, flags).
    failed: Option<(i32, (i32, i32), (i32, i32), u32, u32)>,
}

/// `binder_transaction`: transaction `id` from `thread` to `to_proc`
/// (thread `to_thread`, node `node`) is made.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn transaction(
    reply: bool,
    tid: usize,
    node: Option<&DArc<Node>>,
    to_proc: &Process,
    to_thread: Option<&Thread>,
    thread: &Thread,
    code: u32,
    flags: u32,
) -> TxnTrace {
    let to = (to_proc.pid, to_thread.map_or(0, |t| t.id));
    fire!(transaction(
        reply,
        id(tid),
        node.map_or(0, |n| id(n.id as usize)),
        to.0,
        to.1,
        code,
        flags,
    ));
    let failed = tp::txn_latency_free::enabled().then(|| {
        let sync = !reply && flags & crate::uapi::TF_ONE_WAY == 0;
        let from = from_ids(sync.then_some(thread));
        (id(tid), from, to, code, flags)
    });
    TxnTrace { failed }
}

impl TxnTrace {
    /// The send ended with `res`: on success the transaction lives on.
    pub(crate) fn end<T, E>(mut self, res: &core::result::Result<T, E>) {
        if res.is_ok() {
            self.failed = None;
        }
    }
}

impl Drop for TxnTrace {
    fn drop(&mut self) {
        if let Some((t, from, to, code, flags)) = self.failed {
            if tp::txn_latency_free::enabled() {
                tp::txn_latency_free::emit(t, from.0, from.1, to.0, to.1, code, flags);
            }
        }
    }
}

/// `binder_transaction_received`: transaction `tid` is handed to a reader.
#[inline(always)]
pub(crate) fn received(tid: usize) {
    fire!(transaction_received(id(tid)));
}

/// `binder_transaction_node_to_ref`: node `node` sent to a process that
/// gets handle `desc` for it.
#[inline(always)]
pub(crate) fn node_to_ref(tid: usize, node: &Node, desc: u32) {
    fire!(node_to_ref(
        id(tid),
        id(node.id as usize),
        node.ptr,
        id(node.id as usize),
        desc
    ));
}

/// `binder_transaction_ref_to_node`: handle `desc` sent to the node's owner.
#[inline(always)]
pub(crate) fn ref_to_node(tid: usize, node: &Node, desc: u32) {
    fire!(ref_to_node(
        id(tid),
        id(node.id as usize),
        node.ptr,
        id(node.id as usize),
        desc
    ));
}

/// `binder_transaction_ref_to_ref`: handle `src` becomes handle `dest` of
/// the target.
#[inline(always)]
pub(crate) fn ref_to_ref(tid: usize, node: &Node, src: u32, dest: u32) {
    fire!(ref_to_ref(
        id(tid),
        id(node.id as usize),
        id(node.id as usize),
        src,
        id(node.id as usize),
        dest
    ));
}

/// `binder_transaction_fd_send`: fd `fd` of the sender, for offset `off`.
#[inline(always)]
pub(crate) fn fd_send(tid: usize, fd: u32, off: usize) {
    fire!(fd_send(id(tid), fd as i32, off));
}

/// `binder_transaction_fd_recv`: fd `fd` installed in the reader for
/// offset `off`.
#[inline(always)]
pub(crate) fn fd_recv(tid: usize, fd: u32, off: usize) {
    fire!(fd_recv(id(tid), fd as i32, off));
}

/// Whether a buffer release event is on.
#[inline(always)]
fn release_enabled() -> bool {
    tp::buffer_release::enabled()
        || tp::failed_buffer_release::enabled()
        || tp::update_buffer_release::enabled()
}

/// `binder_transaction_alloc_buf`: buffer `off` of `target` was allocated
/// for transaction `tid`, of `(data, offsets, extra)` bytes. While a buffer
/// release event is on, the buffer remembers `tid` for it (rust_binder
/// keeps no debug id in its buffers otherwise).
#[inline(always)]
pub(crate) fn alloc_buf(target: &Process, off: usize, tid: usize, sizes: (usize, usize, usize)) {
    fire!(alloc_buf(id(tid), sizes.0, sizes.1, sizes.2));
    if release_enabled() {
        // Without memory the release event says transaction 0.
        let Ok(n) = RBTreeNodeReservation::new(GFP_KERNEL) else {
            return;
        };
        let n = n.into_node(off, (tid, sizes.2));
        // Allocated before the lock; the entry it replaces (none) is
        // dropped after unlocking.
        let old = target.mapping.lock().as_mut().map(|m| m.set_trace_id(n));
        drop(old);
    }
}

/// A buffer is freed: `binder_transaction_buffer_release` when user space
/// (or a reader that could not take it) frees it,
/// `binder_transaction_update_buffer_release` for a one-way superseded by
/// `TF_UPDATE_TXN` (`!next_async`), else
/// `binder_transaction_failed_buffer_release` (a send that failed).
#[inline(always)]
pub(crate) fn buffer_release(m: &mut Mapping, off: usize, user: bool, next_async: bool) {
    if !release_enabled() {
        return;
    }
    let Some(v) = m.trace_info(off) else { return };
    let v = (id(v.0), v.1, v.2, v.3);
    if !next_async {
        fire!(update_buffer_release(v.0, v.1, v.2, v.3));
    } else if user {
        fire!(buffer_release(v.0, v.1, v.2, v.3));
    } else {
        fire!(failed_buffer_release(v.0, v.1, v.2, v.3));
    }
}

// ---- pages (binder_alloc.c) ----

fn page_down(a: usize) -> usize {
    a & !(PAGE_SIZE - 1)
}

fn page_up(a: usize) -> usize {
    page_down(a.wrapping_add(PAGE_SIZE - 1))
}

/// Whether any page event is on (they come in groups).
#[inline(always)]
pub(crate) fn pages_enabled() -> bool {
    tp::update_page_range::enabled()
        || tp::alloc_lru_start::enabled()
        || tp::alloc_lru_end::enabled()
        || tp::free_lru_start::enabled()
        || tp::free_lru_end::enabled()
}

/// C's `binder_lru_freelist_del` / `_add` of `[start, end)` (user
/// addresses) of the area at `base`: the range event, then a pair of LRU
/// events for every page present.
fn freelist(
    pid: i32,
    alloc: bool,
    base: usize,
    start: usize,
    end: usize,
    present: &dyn Fn(usize) -> bool,
) {
    fire!(update_page_range(
        pid,
        alloc,
        start.wrapping_sub(base),
        end.wrapping_sub(start)
    ));
    let mut a = start;
    while a < end {
        let i = (a - base) / PAGE_SIZE;
        if present(i) {
            if alloc {
                fire!(alloc_lru_start(pid, i));
                fire!(alloc_lru_end(pid, i));
            } else {
                fire!(free_lru_start(pid, i));
                fire!(free_lru_end(pid, i));
            }
        }
        a += PAGE_SIZE;
    }
}

/// The page events of allocating `size` bytes at `off` out of the free
/// block `bsize` long there, in the area at `base` (C's
/// `binder_lru_freelist_del` in `binder_alloc_new_buf_locked`).
#[inline(always)]
pub(crate) fn alloc_range(
    pid: i32,
    base: usize,
    (off, bsize, size): (usize, usize, usize),
    present: &dyn Fn(usize) -> bool,
) {
    if !pages_enabled() {
        return;
    }
    let b = base + off;
    let next_used = page_down(b + bsize);
    let last = page_up(b + size);
    freelist(pid, true, base, page_up(b), next_used.min(last), present);
}

/// `binder_alloc_page_start` / `_end` around installing page `i`.
#[inline(always)]
pub(crate) fn alloc_page(pid: i32, i: usize, end: bool) {
    if end {
        fire!(alloc_page_end(pid, i));
    } else {
        fire!(alloc_page_start(pid, i));
    }
}

/// The neighbours of a freed block, for [`free_range`]: offset and size of
/// the block after it if free, offset of the one before it if free, and the
/// start of the block after the free block it merges into (or the area's
/// end).
pub(crate) struct Neighbours {
    pub(crate) next_free: Option<(usize, usize)>,
    pub(crate) prev_free: Option<usize>,
    pub(crate) area_size: usize,
}

/// The page events of freeing the `size` bytes at `off` (C's
/// `binder_free_buf_locked`, with the merges of `binder_delete_free_buffer`).
pub(crate) fn free_range(
    pid: i32,
    base: usize,
    (off, size): (usize, usize),
    n: Neighbours,
    present: &dyn Fn(usize) -> bool,
) {
    let b = base + off;
    let area_end = base + n.area_size;
    freelist(pid, false, base, page_up(b), page_down(b + size), present);
    // C's binder_delete_free_buffer(buffer) with `prev` the buffer before it
    // and `next` the start of the one after (None: it is the last).
    let delete = |prev: usize, buf: usize, next: Option<usize>| {
        if buf % PAGE_SIZE == 0 || page_down(prev.wrapping_sub(1)) == page_down(buf) {
            return;
        }
        if next.is_some_and(|nx| page_down(nx) == page_down(buf)) {
            return;
        }
        freelist(
            pid,
            false,
            base,
            page_down(buf),
            page_down(buf) + PAGE_SIZE,
            present,
        );
    };
    let mut after = b + size;
    if let Some((noff, nsize)) = n.next_free {
        let nb = base + noff;
        after = nb + nsize;
        delete(b, nb, (after < area_end).then_some(after));
    }
    if let Some(poff) = n.prev_free {
        delete(base + poff, b, (after < area_end).then_some(after));
    }
}

/// Page `i` is reclaimed: `binder_unmap_kernel_*` then, if mapped,
/// `binder_unmap_user_*` (`step` 0 to 3).
#[inline(always)]
pub(crate) fn unmap(pid: i32, i: usize, step: u8) {
    match step {
        0 => fire!(unmap_kernel_start(pid, i)),
        1 => fire!(unmap_kernel_end(pid, i)),
        2 => fire!(unmap_user_start(pid, i)),
        _ => fire!(unmap_user_end(pid, i)),
    }
}
