// SPDX-License-Identifier: GPL-2.0

//! Locks the 6.12 `kernel` crate lacks: a mutex with `try_lock` (the page
//! shrinker runs inside memory allocations and must never wait for a lock
//! that an allocating task may hold), and a spinlock whose guard runs deferred
//! work (wake-ups) after unlocking.

use super::bindings;
use core::cell::UnsafeCell;
use core::marker::PhantomPinned;
use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow, LockClassKey};
use kernel::types::Opaque;

/// A kernel `struct mutex` protecting a `T`.
///
/// # Invariants
///
/// `m` is an initialised mutex; `data` is only accessed through a guard,
/// which exists only while `m` is held.
#[pin_data]
pub(crate) struct TryMutex<T> {
    #[pin]
    m: Opaque<bindings::mutex>,
    data: UnsafeCell<T>,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: the mutex serialises access to `data`.
unsafe impl<T: Send> Send for TryMutex<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for TryMutex<T> {}

impl<T> TryMutex<T> {
    /// A new mutex named `name` in lock class `key`.
    pub(crate) fn new(t: T, name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `__mutex_init` initialises the slot in place;
            // `LockClassKey` is a transparent `lock_class_key`.
            m <- Opaque::ffi_init(|p: *mut bindings::mutex| unsafe {
                kernel::bindings::__mutex_init(p.cast(), name.as_char_ptr().cast(), (key as *const LockClassKey).cast_mut().cast())
            }),
            data: UnsafeCell::new(t),
            _pin: PhantomPinned,
        })
    }

    /// Waits for and takes the mutex.
    pub(crate) fn lock(&self) -> TryMutexGuard<'_, T> {
        // The kernel crate's `mutex_lock` is its C helper, a function with or
        // without lockdep (with lockdep, C's `mutex_lock` is a macro over
        // `mutex_lock_nested`, which doesn't exist without it).
        // SAFETY: initialised mutex (type invariant).
        unsafe { kernel::bindings::mutex_lock(self.m.get().cast()) };
        // INVARIANT: held.
        TryMutexGuard { lock: self }
    }

    /// Takes the mutex if it is free.
    pub(crate) fn try_lock(&self) -> Option<TryMutexGuard<'_, T>> {
        // SAFETY: initialised mutex (type invariant).
        if unsafe { bindings::mutex_trylock(self.m.get()) } != 0 {
            // INVARIANT: held.
            Some(TryMutexGuard { lock: self })
        } else {
            None
        }
    }
}

/// The mutex held.
pub(crate) struct TryMutexGuard<'a, T> {
    lock: &'a TryMutex<T>,
}

impl<T> Deref for TryMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the mutex is held (type invariant of `TryMutex`).
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for TryMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the mutex is held, and this guard is unique.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for TryMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: held by this guard.
        unsafe { bindings::mutex_unlock(self.lock.m.get()) };
    }
}

/// A new [`TryMutex`] with its own lock class.
#[macro_export]
macro_rules! new_trymutex {
    ($t:expr, $name:literal) => {
        $crate::ffi::sync::TryMutex::new($t, kernel::c_str!($name), kernel::static_lock_class!())
    };
}

/// Runs `f` on the [`Arc`] that `b` borrows, without taking a reference
/// (a file operation borrows its file's data; the methods it calls take
/// `&Arc<Self>` to clone it where they keep it).
pub(crate) fn with_arc<T, R>(b: ArcBorrow<'_, T>, f: impl FnOnce(&Arc<T>) -> R) -> R {
    let p: *const T = &*b;
    // An `ArcBorrow` points at the data of a live `Arc` (made by
    // `Arc::into_raw`, as `ForeignOwnable` does, or borrowed from an
    // `Arc`), whose reference outlives `'_`. The `Arc` made here stands for
    // that same reference and is never dropped, so the count is untouched;
    // `f` only gets `&Arc<T>`: it can clone it, not move it out.
    // SAFETY: `p` is the data of a live `Arc` (above); never dropped.
    let arc = ManuallyDrop::new(unsafe { Arc::from_raw(p) });
    f(&arc)
}
