// SPDX-License-Identifier: GPL-2.0

//! Raw bindings to the kernel APIs that the 6.12 `kernel` crate does not bind.
//!
//! `bindings_generated.rs` is produced at build time by bindgen from
//! `ffi/bindings_helper.h` with the flags the kernel used for its own bindings
//! (see `scripts/gen-bindings.sh`); nothing generated is committed. Only the
//! rest of `ffi/` may use these items directly.

#![allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::undocumented_unsafe_blocks
)]

use core::ffi;

// Blocklisted by the kernel's bindgen parameters; defined by hand as the
// kernel's own `bindings` crate does.
type __kernel_size_t = usize;
type __kernel_ssize_t = isize;
type __kernel_ptrdiff_t = isize;

include!("bindings_generated.rs");
