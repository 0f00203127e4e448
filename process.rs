// SPDX-License-Identifier: GPL-2.0

//! A binder process: the state behind one open binder device file, and its
//! ioctl entry point.

use crate::device::BinderDevice;
use crate::uapi;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Result};
use kernel::sync::Arc;
use kernel::uaccess::UserSlice;

/// The state of one open binder device file.
pub(crate) struct Process {
    /// The device (and so the context) this process belongs to.
    device: Arc<BinderDevice>,
}

impl Process {
    pub(crate) fn new(device: Arc<BinderDevice>) -> Result<Arc<Self>> {
        Ok(Arc::new(Self { device }, GFP_KERNEL)?)
    }

    /// The device this process opened.
    pub(crate) fn device(&self) -> &BinderDevice {
        &self.device
    }

    /// Handles an ioctl on the process's file.
    pub(crate) fn ioctl(&self, cmd: u32, arg: usize) -> Result<i32> {
        match cmd {
            uapi::BINDER_VERSION => {
                let version = uapi::BINDER_CURRENT_PROTOCOL_VERSION as i32;
                // As the C driver: a fault here is reported as EINVAL.
                UserSlice::new(arg, 4)
                    .writer()
                    .write_slice(&version.to_ne_bytes())
                    .map_err(|_| EINVAL)?;
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }
}
