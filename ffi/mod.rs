// SPDX-License-Identifier: GPL-2.0

//! The thin unsafe layer between rust_binder and the kernel's C APIs.
//!
//! Everything that touches a raw C pointer of an API the 6.12 `kernel` crate
//! does not wrap lives here, behind safe types shaped like the newer kernel
//! crate's abstractions (`File`, `Inode`, `SuperBlock`, `FileSystem`, module
//! parameters), so that they can be swapped for those later. Code outside
//! `ffi/` is safe Rust.

pub(crate) mod abi;
pub(crate) mod bindings;
pub(crate) mod debugfs;
pub(crate) mod file;
pub(crate) mod fs;
pub(crate) mod layout;
pub(crate) mod misc;
pub(crate) mod mm;
pub(crate) mod node_keys;
pub(crate) mod param;
pub(crate) mod poll;
pub(crate) mod shrinker;
pub(crate) mod sync;
pub(crate) mod task;
pub(crate) mod trace;
pub(crate) mod uaccess;
pub(crate) mod vec;

// Only the static's address is taken. Without lockdep, `struct module`
// holds an empty `struct lockdep_map`, which rustc calls not FFI-safe.
#[allow(clashing_extern_declarations, improper_ctypes)]
extern "C" {
    /// The module's own `struct module`, defined by modpost's generated C.
    static __this_module: bindings::module;
}

/// A pointer to this module's `struct module`, for `owner` fields.
#[derive(Clone, Copy)]
pub(crate) struct ThisModulePtr(*mut bindings::module);

impl ThisModulePtr {
    /// The pointer to this module.
    pub(crate) const fn get() -> Self {
        // Taking the address of an extern static reads nothing.
        Self(&raw const __this_module as *mut bindings::module)
    }

    pub(crate) const fn as_ptr(self) -> *mut bindings::module {
        self.0
    }
}

/// Builds a device number from its major and minor parts, as `MKDEV()`.
pub(crate) const fn mkdev(major: u32, minor: u32) -> u32 {
    (major << bindings::MINORBITS) | minor
}

/// The major part of a device number, as `MAJOR()`.
pub(crate) const fn major(dev: u32) -> u32 {
    dev >> bindings::MINORBITS
}
