// SPDX-License-Identifier: GPL-2.0

//! Single-word writes to user memory (`put_user()`, a C macro: wrapped in
//! `ffi/c_macros.c`), for the read path's 4- and 8-byte writes, where the
//! 6.12 crate's `UserSliceWriter` goes through `copy_to_user()`.

use kernel::error::{code::EFAULT, Result};

extern "C" {
    fn rust_binder_put_u32(p: *mut u32, v: u32) -> core::ffi::c_int;
    fn rust_binder_put_u64(p: *mut u64, v: u64) -> core::ffi::c_int;
}

/// Writes `v` at user address `addr` (`EFAULT` if it can't).
pub(crate) fn put_u32(addr: usize, v: u32) -> Result {
    // SAFETY: `put_user()` checks that `addr` is a user address and
    // handles faults; no kernel memory is written.
    match unsafe { rust_binder_put_u32(addr as *mut u32, v) } {
        0 => Ok(()),
        _ => Err(EFAULT),
    }
}

/// Writes `v` at user address `addr` (`EFAULT` if it can't).
pub(crate) fn put_u64(addr: usize, v: u64) -> Result {
    // SAFETY: as in `put_u32`.
    match unsafe { rust_binder_put_u64(addr as *mut u64, v) } {
        0 => Ok(()),
        _ => Err(EFAULT),
    }
}
