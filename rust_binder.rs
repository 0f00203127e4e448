// SPDX-License-Identifier: GPL-2.0

//! rust_binder: Android's Binder IPC driver and its binderfs filesystem,
//! written in Rust, as an out-of-tree module.
//!
//! This is the crate root: the module's parameters, and its init and exit,
//! which register and unregister the `binder` filesystem.

#![recursion_limit = "256"]

mod allocation;
mod binderfs;
mod debug;
mod device;
mod ffi;
mod node;
mod process;
mod transaction;
mod uapi;
mod work;

use kernel::prelude::*;
use kernel::sync::Arc;

module! {
    type: RustBinder,
    name: "rust_binder",
    author: "rust_binder developers",
    description: "Android Binder IPC driver and binderfs, in Rust",
    license: "GPL",
}

module_str_param!(
    DEVICES,
    "devices",
    c"",
    "comma-separated binder devices created in every new binderfs instance"
);

module_uint_param!(
    DEBUG_MASK,
    "debug_mask",
    debug::DEFAULT_MASK,
    0o644,
    "what to log: 1 user errors, 2 failed transactions, 4 dead transactions, ... (as the C driver)"
);

struct RustBinder {
    // Dropped in order: the filesystem first, then its device numbers.
    _fs: ffi::fs::Registration<binderfs::BinderFs>,
    _chrdev: ffi::fs::ChrdevRegion,
}

impl kernel::Module for RustBinder {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let chrdev = ffi::fs::ChrdevRegion::alloc(binderfs::MAX_MINOR, c"binder")?;
        let globals = binderfs::Globals::new(chrdev.major(), DEVICES.get().to_bytes())?;
        let fs = Arc::new(binderfs::BinderFs::new(globals), GFP_KERNEL)?;
        let reg = binderfs::BINDERFS_TYPE.register(fs)?;
        pr_info!("binderfs registered (major {})\n", chrdev.major());
        Ok(Self {
            _fs: reg,
            _chrdev: chrdev,
        })
    }
}
