// SPDX-License-Identifier: GPL-2.0

//! rust_binder: Android's Binder IPC driver and its binderfs filesystem,
//! written in Rust, as an out-of-tree module.
//!
//! This is the crate root: the module's parameters, and its init and exit,
//! which register and unregister the `binder` filesystem.

#![recursion_limit = "256"]

mod allocation;
mod binderfs;
mod context;
mod debug;
mod debugfs;
mod device;
mod ffi;
mod freeze;
mod handles;
mod node;
mod print;
mod process;
mod refs;
mod stats;
mod thread;
mod trace;
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
    // A drop-in for the C driver's module (drivers/android, binder_linux.ko):
    // `modprobe binder_linux devices=...` loads this module when no
    // binder_linux.ko is installed, and `mount -t binder` loads it on demand.
    alias: ["binder_linux", "fs-binder"],
}

module_str_param!(
    DEVICES,
    "devices",
    c"",
    "comma-separated binder devices created in every new binderfs instance"
);

module_str_param!(
    LEGACY_DEVICES,
    "legacy_devices",
    c"",
    "comma-separated binder devices created as /dev/<name> char devices, without binderfs"
);

module_uint_param!(
    DEBUG_MASK,
    "debug_mask",
    debug::DEFAULT_MASK,
    0o644,
    "what to log: 1 user errors, 2 failed transactions, 4 dead transactions, ... (as the C driver)"
);

struct RustBinder {
    registry: Arc<context::Registry>,
    _shrinker: ffi::shrinker::Shrinker<context::Registry>,
    _debugfs: debugfs::DebugFs,
    // Dropped in order: legacy devices, the filesystem, its device numbers.
    _legacy: KVec<Pin<KBox<ffi::misc::MiscDevice<Arc<device::BinderDevice>>>>>,
    _fs: ffi::fs::Registration<binderfs::BinderFs>,
    _chrdev: ffi::fs::ChrdevRegion,
}

impl kernel::Module for RustBinder {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let chrdev = ffi::fs::ChrdevRegion::alloc(binderfs::MAX_MINOR, c"binder")?;
        let globals = binderfs::Globals::new(chrdev.major(), DEVICES.get().to_bytes())?;
        let fs = Arc::new(binderfs::BinderFs::new(globals.clone()), GFP_KERNEL)?;
        let registry = globals.registry();
        let reg = binderfs::BINDERFS_TYPE.register(fs)?;
        let mut legacy = KVec::new();
        let names = LEGACY_DEVICES.get().to_bytes();
        for name in names.split(|&c| c == b',').filter(|n| !n.is_empty()) {
            let dev = device::BinderDevice::new(name, 0, registry.clone())?;
            let misc = ffi::misc::MiscDevice::register(name, device::LEGACY_FOPS.as_raw(), dev)?;
            legacy.push(misc, GFP_KERNEL)?;
        }
        pr_info!(
            "binderfs registered (major {}), {} legacy devices\n",
            chrdev.major(),
            legacy.len()
        );
        let shrinker = ffi::shrinker::Shrinker::register(c"rust-binder", registry.clone())?;
        let debugfs = debugfs::DebugFs::create(&registry)?;
        Ok(Self {
            _shrinker: shrinker,
            _debugfs: debugfs,
            registry,
            _legacy: legacy,
            _fs: reg,
            _chrdev: chrdev,
        })
    }
}

impl Drop for RustBinder {
    fn drop(&mut self) {
        // The transaction logs hold devices, which hold the registry.
        self.registry.clear_logs();
        // debugfs's proc/ goes before the directory that holds it.
        let procs = self.registry.debugfs.lock().take();
        drop(procs);
    }
}
