// SPDX-License-Identifier: GPL-2.0

//! The binder user ABI as typed values: the structs user space passes
//! (`binder_write_read`, `binder_transaction_data`, the objects in a
//! transaction's data) are read from and written to byte buffers whole,
//! with no hand-written offsets.
//!
//! The bindgen structs are used as they are where they are plain integers.
//! Where one has a union (which safe code can't read), a mirror struct here
//! names the member binder uses; its size and field offsets are checked
//! against the bindgen struct at build time.

use crate::uapi;
use core::mem::{offset_of, size_of};

/// A plain struct of the user ABI.
///
/// # Safety
///
/// Implementors are `#[repr(C)]` structs of integers with no padding
/// bytes: every bit pattern is a valid value, and every byte of a value is
/// initialised.
pub(crate) unsafe trait Pod: Copy + Default {}

/// Reads a `T` from the start of `b`; `None` if `b` is shorter.
pub(crate) fn read<T: Pod>(b: &[u8]) -> Option<T> {
    if b.len() < size_of::<T>() {
        return None;
    }
    // SAFETY: `b` has `size_of::<T>()` readable bytes, read without
    // assuming alignment; any bit pattern is a valid `T` (`Pod`).
    Some(unsafe { core::ptr::read_unaligned(b.as_ptr().cast::<T>()) })
}

/// The bytes of `v`.
pub(crate) fn bytes<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: `v` is `size_of::<T>()` bytes, all initialised (a `Pod` has
    // no padding), borrowed for as long as the slice.
    unsafe { core::slice::from_raw_parts((v as *const T).cast::<u8>(), size_of::<T>()) }
}

/// Declares `$t` (a `#[repr(C)]` struct of integers whose size is the sum
/// of its fields', as checked below) plain data: [`Pod`], and the kernel
/// crate's `FromBytes` and `AsBytes`, so that user slices read and write it
/// whole.
macro_rules! pod {
    ($($t:ty),+ $(,)?) => {
        $(
            // SAFETY: integers only, with no padding (see the size checks
            // below): every bit pattern is valid, every byte initialised,
            // and nothing is interiorly mutable.
            unsafe impl Pod for $t {}
            // SAFETY: as above.
            unsafe impl kernel::types::FromBytes for $t {}
            // SAFETY: as above.
            unsafe impl kernel::types::AsBytes for $t {}
        )+
    };
}

pod!(
    uapi::binder_write_read,
    uapi::binder_object_header,
    uapi::binder_buffer_object,
    uapi::binder_fd_array_object,
    uapi::binder_node_debug_info,
    uapi::binder_node_info_for_ref,
    uapi::binder_freeze_info,
    uapi::binder_frozen_status_info,
    uapi::binder_frozen_state_info,
    uapi::binder_extended_error,
    uapi::binder_ptr_cookie,
    TxnData,
    FlatObject,
    FdObject,
);

/// `struct binder_transaction_data`, its unions as binder uses them:
/// `target` is the handle (low 32 bits) or the node's pointer, and `data`
/// the buffer and offsets pointers.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct TxnData {
    pub(crate) target: u64,
    pub(crate) cookie: u64,
    pub(crate) code: u32,
    pub(crate) flags: u32,
    pub(crate) sender_pid: i32,
    pub(crate) sender_euid: u32,
    pub(crate) data_size: u64,
    pub(crate) offsets_size: u64,
    pub(crate) buffer: u64,
    pub(crate) offsets: u64,
}

/// `struct flat_binder_object`: a (weak) binder or handle; `binder` is
/// the union, whose low 32 bits are the handle.
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct FlatObject {
    pub(crate) type_: u32,
    pub(crate) flags: u32,
    pub(crate) binder: u64,
    pub(crate) cookie: u64,
}

/// `struct binder_fd_object`: `fd` and `pad` share the union `pad_binder`
/// (`fd` first, as a `__u32` at its start).
#[repr(C)]
#[derive(Default, Clone, Copy)]
pub(crate) struct FdObject {
    pub(crate) type_: u32,
    pub(crate) pad_flags: u32,
    pub(crate) fd: u32,
    pub(crate) pad: u32,
    pub(crate) cookie: u64,
}

// No padding, as `Pod` requires: each is as large as its fields together.
const _: () = assert!(size_of::<uapi::binder_write_read>() == 6 * 8);
const _: () = assert!(size_of::<uapi::binder_object_header>() == 4);
const _: () = assert!(size_of::<uapi::binder_buffer_object>() == 2 * 4 + 4 * 8);
const _: () = assert!(size_of::<uapi::binder_fd_array_object>() == 2 * 4 + 3 * 8);
const _: () = assert!(size_of::<TxnData>() == 4 * 8 + 4 * 4 + 2 * 8);
const _: () = assert!(size_of::<FlatObject>() == 2 * 4 + 2 * 8);
const _: () = assert!(size_of::<FdObject>() == 4 * 4 + 8);
const _: () = assert!(size_of::<uapi::binder_node_debug_info>() == 2 * 8 + 2 * 4);
const _: () = assert!(size_of::<uapi::binder_node_info_for_ref>() == 6 * 4);
const _: () = assert!(size_of::<uapi::binder_freeze_info>() == 3 * 4);
const _: () = assert!(size_of::<uapi::binder_frozen_status_info>() == 3 * 4);
const _: () = assert!(size_of::<uapi::binder_frozen_state_info>() == 8 + 2 * 4);
const _: () = assert!(size_of::<uapi::binder_extended_error>() == 3 * 4);
const _: () = assert!(size_of::<uapi::binder_ptr_cookie>() == 2 * 8);

/// Checks at build time that mirror `$m` has the size of bindgen struct
/// `$b`, and each named field the offset of the bindgen field.
macro_rules! same_layout {
    ($m:ty, $b:ty, $(($mf:ident, $bf:ident)),+) => {
        const _: () = {
            assert!(size_of::<$m>() == size_of::<$b>());
            $(assert!(offset_of!($m, $mf) == offset_of!($b, $bf));)+
        };
    };
}

same_layout!(
    TxnData,
    uapi::binder_transaction_data,
    (target, target),
    (cookie, cookie),
    (code, code),
    (flags, flags),
    (sender_pid, sender_pid),
    (sender_euid, sender_euid),
    (data_size, data_size),
    (offsets_size, offsets_size),
    (buffer, data)
);
const _: () =
    assert!(offset_of!(TxnData, offsets) == offset_of!(uapi::binder_transaction_data, data) + 8);
same_layout!(
    FlatObject,
    uapi::flat_binder_object,
    (type_, hdr),
    (flags, flags),
    (binder, __bindgen_anon_1),
    (cookie, cookie)
);
same_layout!(
    FdObject,
    uapi::binder_fd_object,
    (type_, hdr),
    (pad_flags, pad_flags),
    (fd, __bindgen_anon_1),
    (cookie, cookie)
);
