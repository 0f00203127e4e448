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
use kernel::sync::lock::{spinlock::SpinLockBackend, Guard};
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

/// State behind a lock that gathers work to be done once the lock is
/// released (wake-ups: a woken thread then doesn't find the lock still
/// held by its waker).
pub(crate) trait AfterUnlock {
    /// The gathered work.
    type Deferred;
    /// Takes what was gathered so far; `None` if nothing was (the common
    /// case: the unlock then costs nothing more).
    fn take_deferred(&mut self) -> Option<Self::Deferred>;
    /// Does it.
    fn run_deferred(d: Self::Deferred);
}

/// A kernel spinlock whose guard, when dropped, unlocks and then runs the
/// work its data gathered ([`AfterUnlock`]).
#[pin_data]
pub(crate) struct DeferLock<T: AfterUnlock> {
    #[pin]
    m: kernel::sync::SpinLock<T>,
}

impl<T: AfterUnlock> DeferLock<T> {
    /// A new spinlock named `name` in lock class `key`.
    pub(crate) fn new(t: T, name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            m <- kernel::sync::SpinLock::new(t, name, key),
        })
    }

    /// Spins for and takes the lock.
    pub(crate) fn lock(&self) -> DeferGuard<'_, T> {
        DeferGuard {
            g: ManuallyDrop::new(self.m.lock()),
        }
    }
}

/// A [`DeferLock`] held.
///
/// # Invariants
///
/// `g` is a live guard until `drop` drops it.
pub(crate) struct DeferGuard<'a, T: AfterUnlock> {
    g: ManuallyDrop<Guard<'a, T, SpinLockBackend>>,
}

impl<'a, T: AfterUnlock> DeferGuard<'a, T> {
    /// The plain guard, to wait on a condition variable with: the gathered
    /// work is done first (the lock is still held; the waiter would
    /// otherwise sleep on it).
    pub(crate) fn for_wait(&mut self) -> &mut Guard<'a, T, SpinLockBackend> {
        if let Some(d) = self.g.take_deferred() {
            T::run_deferred(d);
        }
        &mut self.g
    }
}

impl<T: AfterUnlock> Deref for DeferGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.g
    }
}

impl<T: AfterUnlock> DerefMut for DeferGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.g
    }
}

impl<T: AfterUnlock> Drop for DeferGuard<'_, T> {
    fn drop(&mut self) {
        let d = self.g.take_deferred();
        // SAFETY: `g` is live (type invariant) and not used after this.
        unsafe { ManuallyDrop::drop(&mut self.g) };
        if let Some(d) = d {
            T::run_deferred(d);
        }
    }
}

/// A new [`DeferLock`] with its own lock class.
#[macro_export]
macro_rules! new_defer_lock {
    ($t:expr, $name:literal) => {
        $crate::ffi::sync::DeferLock::new($t, kernel::c_str!($name), kernel::static_lock_class!())
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
