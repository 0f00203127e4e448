// SPDX-License-Identifier: GPL-2.0

//! Binder's user ABI (`linux/android/binder.h` and `binderfs.h`).
//!
//! `uapi_generated.rs` is produced at build time by bindgen from `uapi/uapi.h`
//! against the headers of the kernel the module is built for; nothing
//! generated is committed. These are plain data types and constants: safe to
//! use anywhere.

#![allow(
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    unreachable_pub,
    clippy::all
)]

use core::ffi;

include!("uapi_generated.rs");
