// SPDX-License-Identifier: GPL-2.0

//! Field offsets and struct sizes as the C compiler computes them.
//!
//! bindgen's layout of some large kernel structs is not the compiler's (on
//! 6.12 with clang 19 `task_struct.nsproxy` is 16 bytes off), so `ffi/`
//! never trusts it for data it reads or writes: [`field!`] projects a
//! pointer with the C offset from `layout_generated.rs` (made by Kbuild from
//! `ffi/layout.c`) and bindgen's field type. The operations tables that
//! `ffi/` builds as Rust values are checked field by field at compile time.

use super::bindings;
use core::mem::{offset_of, size_of};

include!("layout_generated.rs");

/// A raw pointer to field `$f` (bindgen path `$($path).+`, default `$f`; or
/// typed `$t` with `as`) of the `bindings::$ty` that `$ptr` points to, at the
/// C compiler's offset.
///
/// Only the address is computed; using the result needs the usual care.
macro_rules! field {
    ($ptr:expr, $ty:ident, $f:ident as $t:ty) => {{
        let p: *mut $crate::ffi::bindings::$ty = $ptr;
        p.cast::<u8>().wrapping_add($crate::ffi::layout::c_layout!($ty, $f)).cast::<$t>()
    }};
    ($ptr:expr, $ty:ident, $f:ident) => {
        $crate::ffi::layout::field!($ptr, $ty, $f => $f)
    };
    ($ptr:expr, $ty:ident, $f:ident => $($path:ident).+) => {{
        let p: *mut $crate::ffi::bindings::$ty = $ptr;
        $crate::ffi::layout::project(
            p,
            #[allow(unused_unsafe)]
            // SAFETY: never called; the closure only names the field's type.
            |s| unsafe { core::ptr::addr_of_mut!((*s).$($path).+) },
            $crate::ffi::layout::c_layout!($ty, $f),
        )
    }};
}
pub(crate) use c_layout;
pub(crate) use field;

/// `p` advanced by `offset` bytes, typed as the field `_ty` points to.
#[inline(always)]
pub(crate) fn project<S, F>(
    p: *mut S,
    _ty: impl FnOnce(*mut S) -> *mut F,
    offset: usize,
) -> *mut F {
    p.cast::<u8>().wrapping_add(offset).cast()
}

/// Asserts at compile time that bindgen's `$ty` has the C size and the C
/// offsets of the listed fields.
macro_rules! check_layout {
    ($ty:ident: $($f:ident),*) => {
        const _: () = {
            assert!(size_of::<bindings::$ty>() == c_layout!(size, $ty));
            $( assert!(offset_of!(bindings::$ty, $f) == c_layout!($ty, $f)); )*
        };
    };
}

check_layout!(file_system_type: name, fs_flags, init_fs_context, kill_sb, owner);
check_layout!(super_operations: evict_inode, show_options, statfs);
check_layout!(fs_context_operations: free, parse_param, get_tree, reconfigure);
check_layout!(inode_operations: lookup, unlink, rename);
check_layout!(file_operations: owner, llseek, read, poll, unlocked_ioctl, compat_ioctl, mmap, open, flush, release);
check_layout!(vm_operations_struct: close, fault);
check_layout!(kernel_param: name, ops, perm, level, flags);
const _: () = assert!(offset_of!(bindings::kernel_param, mod_) == c_layout!(kernel_param, mod));
const _: () =
    assert!(offset_of!(bindings::kernel_param, __bindgen_anon_1) == c_layout!(kernel_param, arg));

// `fs_parameter.type` is an 8-bit bitfield that `offsetof` can't name: it is
// the byte after `key`, before the union that holds `string`.
const _: () =
    assert!(offset_of!(bindings::fs_parameter, _bitfield_1) == c_layout!(fs_parameter, key) + 8);
const _: () = assert!(c_layout!(fs_parameter, string) == c_layout!(fs_parameter, key) + 16);
