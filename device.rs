// SPDX-License-Identifier: GPL-2.0

//! Binder devices: one binder context each (its own context manager and node
//! space), and the file operations of the device files that user space
//! opens to become a binder process.

use crate::binderfs::{BinderFs, Node};
use crate::ffi::file::{File, FileOperations};
use crate::process::Process;
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::{Arc, ArcBorrow};

/// A binder device and the context it carries.
pub(crate) struct BinderDevice {
    /// The device's name (without NUL).
    name: KVec<u8>,
    /// Its minor number when it was created.
    minor: u32,
}

impl BinderDevice {
    pub(crate) fn new(name: &[u8], minor: u32) -> Result<Arc<Self>> {
        let mut v = KVec::new();
        v.extend_from_slice(name, GFP_KERNEL)?;
        Ok(Arc::new(Self { name: v, minor }, GFP_KERNEL)?)
    }

    /// The device's name.
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The device's minor number.
    pub(crate) fn minor(&self) -> u32 {
        self.minor
    }
}

/// The file operations of binder device files.
pub(crate) struct BinderFile;

impl FileOperations for BinderFile {
    type Fs = BinderFs;
    type Data = Arc<Process>;
    const HAS_IOCTL: bool = true;

    fn open(node: Option<ArcBorrow<'_, Node>>, _file: &File<BinderFs>) -> Result<Arc<Process>> {
        match node.as_deref() {
            Some(Node::Device { device, .. }) => Process::new(device.clone()),
            _ => Err(ENODEV),
        }
    }

    fn ioctl(
        proc: ArcBorrow<'_, Process>,
        _file: &File<BinderFs>,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        proc.ioctl(cmd, arg)
    }
}
