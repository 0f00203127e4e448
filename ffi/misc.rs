// SPDX-License-Identifier: GPL-2.0

//! Misc character devices (`/dev/<name>` without binderfs), shaped like the
//! newer kernel crate's `MiscDeviceRegistration`.

use super::bindings;
use super::file::check;
use super::layout::field;
use core::marker::PhantomPinned;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::Result;
use kernel::prelude::*;
use kernel::types::Opaque;

/// A registered misc device carrying `data` for its files' `open`.
///
/// # Invariants
///
/// `misc` is registered with the misc subsystem from the end of
/// [`MiscDevice::register`] until drop; `name` (NUL-terminated) and the
/// operations it points to outlive the registration.
#[repr(C)]
#[pin_data(PinnedDrop)]
pub(crate) struct MiscDevice<D: Send + Sync> {
    #[pin]
    misc: Opaque<bindings::miscdevice>,
    name: KVec<u8>,
    data: D,
    registered: bool,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the misc subsystem uses the registration from any thread; `D` is
// `Send + Sync`.
unsafe impl<D: Send + Sync> Send for MiscDevice<D> {}
// SAFETY: as above.
unsafe impl<D: Send + Sync> Sync for MiscDevice<D> {}

impl<D: Send + Sync> MiscDevice<D> {
    /// Registers `/dev/<name>` with a dynamic minor and the file operations
    /// `fops`, whose `open` finds `data` with [`MiscDevice::data_of`].
    pub(crate) fn register(
        name: &[u8],
        fops: *const bindings::file_operations,
        data: D,
    ) -> Result<Pin<KBox<Self>>> {
        let mut n = KVec::new();
        n.extend_from_slice(name, GFP_KERNEL)?;
        n.push(0, GFP_KERNEL)?;
        let mut this = KBox::pin_init(
            pin_init!(Self {
                // SAFETY: all-zero is a valid unregistered `miscdevice`.
                misc <- Opaque::ffi_init(|p: *mut bindings::miscdevice| unsafe { p.write(core::mem::zeroed()) }),
                name: n,
                data,
                registered: false,
                _pin: PhantomPinned,
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: the box is pinned; we only write plain fields and record
        // success, nothing is moved.
        unsafe {
            let s = this.as_mut().get_unchecked_mut();
            let m = s.misc.get();
            (*m).minor = bindings::MISC_DYNAMIC_MINOR as _;
            (*m).name = s.name.as_ptr().cast();
            (*m).fops = fops;
            check(bindings::misc_register(m))?;
            // INVARIANT: registered.
            s.registered = true;
        }
        Ok(this)
    }

    /// The data of the misc device a file was opened through.
    ///
    /// # Safety
    ///
    /// `file` must be in the `open` of a file of a `MiscDevice<D>`, where
    /// `misc_open` left the `miscdevice` in `private_data`.
    pub(crate) unsafe fn data_of<'a>(file: *mut bindings::file) -> &'a D {
        // SAFETY: `misc` is the first field of the `repr(C)` struct, and the
        // registration outlives open files (the module is pinned by them).
        unsafe {
            let m = *field!(file, file, private_data) as *const Self;
            &(*m).data
        }
    }
}

#[pinned_drop]
impl<D: Send + Sync> PinnedDrop for MiscDevice<D> {
    fn drop(self: Pin<&mut Self>) {
        if self.registered {
            // SAFETY: registered (type invariant).
            unsafe { bindings::misc_deregister(self.misc.get()) };
        }
    }
}
