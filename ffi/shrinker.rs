// SPDX-License-Identifier: GPL-2.0

//! Memory shrinkers: a [`Shrink`] implementation is asked under memory
//! pressure how much it could free, and to free some.

use super::bindings;
use super::layout::field;
use core::ffi::{c_ulong, c_void, CStr};
use core::marker::PhantomData;
use core::ptr::NonNull;
use kernel::error::{code::*, Result};
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// Something that can give memory back.
pub(crate) trait Shrink: Send + Sync + 'static {
    /// How many objects could be freed now.
    fn count(&self) -> usize;
    /// Frees up to `nr` objects; the number freed, or `None` if it can't
    /// make progress now (`SHRINK_STOP`).
    fn scan(&self, nr: usize) -> Option<usize>;
}

/// A registered shrinker; unregistered on drop.
///
/// # Invariants
///
/// `raw` is a registered shrinker whose `private_data` is an `Arc<T>` from
/// `into_foreign`.
pub(crate) struct Shrinker<T: Shrink> {
    raw: NonNull<bindings::shrinker>,
    _p: PhantomData<T>,
}

// SAFETY: the shrinker may be freed from any thread.
unsafe impl<T: Shrink> Send for Shrinker<T> {}
// SAFETY: no shared access.
unsafe impl<T: Shrink> Sync for Shrinker<T> {}

impl<T: Shrink> Shrinker<T> {
    /// Registers a shrinker called `name` backed by `data`.
    pub(crate) fn register(name: &'static CStr, data: Arc<T>) -> Result<Self> {
        // SAFETY: `shrinker_alloc` formats `name` with "%s".
        let s = unsafe { bindings::shrinker_alloc(0, c"%s".as_ptr(), name.as_ptr()) };
        let raw = NonNull::new(s).ok_or(ENOMEM)?;
        // SAFETY: a new, unregistered shrinker that only we use.
        unsafe {
            *field!(s, shrinker, count_objects) = Some(count_cb::<T>);
            *field!(s, shrinker, scan_objects) = Some(scan_cb::<T>);
            *field!(s, shrinker, seeks) = bindings::DEFAULT_SEEKS as _;
            *field!(s, shrinker, private_data) = data.into_foreign() as *mut c_void;
            bindings::shrinker_register(s);
        }
        // INVARIANT: registered with our data.
        Ok(Self {
            raw,
            _p: PhantomData,
        })
    }
}

impl<T: Shrink> Drop for Shrinker<T> {
    fn drop(&mut self) {
        let s = self.raw.as_ptr();
        // SAFETY: registered (type invariant); `shrinker_free` waits for
        // running callbacks, after which the data is ours again.
        unsafe {
            let data = *field!(s, shrinker, private_data);
            bindings::shrinker_free(s);
            drop(Arc::<T>::from_foreign(data));
        }
    }
}

/// # Safety
///
/// Called by the shrinker core for a shrinker registered by `register`.
unsafe extern "C" fn count_cb<T: Shrink>(
    s: *mut bindings::shrinker,
    _sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: `private_data` is our `Arc<T>` while registered.
    let data = unsafe { Arc::<T>::borrow(*field!(s, shrinker, private_data)) };
    data.count() as c_ulong
}

/// # Safety
///
/// As for `count_cb`, with a valid shrink control.
unsafe extern "C" fn scan_cb<T: Shrink>(
    s: *mut bindings::shrinker,
    sc: *mut bindings::shrink_control,
) -> c_ulong {
    // SAFETY: as in `count_cb`; `nr_to_scan` is set by the caller.
    let (data, nr) = unsafe {
        (
            Arc::<T>::borrow(*field!(s, shrinker, private_data)),
            *field!(sc, shrink_control, nr_to_scan),
        )
    };
    match data.scan(nr as usize) {
        Some(n) => n as c_ulong,
        None => bindings::SHRINK_STOP as c_ulong,
    }
}
