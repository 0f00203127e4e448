// SPDX-License-Identifier: GPL-2.0

//! Locks the 6.12 `kernel` crate lacks or makes slow: a mutex with
//! `try_lock` (the page shrinker runs inside memory allocations and must
//! never wait for a lock that an allocating task may hold), and a spinlock
//! and a mutex that cost one call to lock and one to unlock.
//!
//! The `kernel` crate's `SpinLock` locks through three calls (its backend's
//! `lock`, an out-of-line function of the `kernel` crate, then the C helper
//! `rust_helper_spin_lock`, then `_raw_spin_lock`) and unlocks through two,
//! where C makes one call to lock and inlines the unlock. A sync round trip
//! takes about 38 spinlocks: [`SpinBackend`] calls `spin_lock()` and
//! `spin_unlock()` through one function each, in this module
//! (`ffi/c_macros.c`), and is a `kernel::sync::lock::Backend`, so its guards
//! work with `CondVar` as the `kernel` crate's do. Where `spin_lock()` and
//! `spin_unlock()` are a bare queued spinlock (x86-64 production
//! configurations without preemption counting, such as the benchmarks' perf
//! kernel), it makes no call at all: the uncontended lock and the unlock are
//! the compare-and-swap and the store that C's own inlines make (module
//! `spin` below). [`MutexBackend`] does the same for mutexes (the `kernel`
//! crate's locks through three calls).

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
        unsafe { rust_binder_mutex_lock(self.m.get().cast()) };
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

extern "C" {
    fn rust_binder_mutex_lock(lock: *mut kernel::bindings::mutex);
}

/// A kernel `spinlock_t`, locked and unlocked through `ffi/c_macros.c`.
pub(crate) struct SpinBackend;

/// A spinlock protecting a `T` (as `kernel::sync::SpinLock`, one call each
/// way).
pub(crate) type SpinLock<T> = kernel::sync::lock::Lock<T, SpinBackend>;

// SAFETY: `init` initialises the `spinlock_t` (as `kernel::sync::SpinLock`
// does), `lock` acquires it and `unlock` releases it, with the kernel's own
// `spin_lock()` and `spin_unlock()`: only one holder at a time.
unsafe impl kernel::sync::lock::Backend for SpinBackend {
    type State = kernel::bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller passes a lock valid for writes, and a name and
        // key valid for ever.
        unsafe { kernel::bindings::__spin_lock_init(ptr, name, key) }
    }

    #[inline]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller passes an initialised lock.
        unsafe { spin::lock(ptr) }
    }

    #[inline]
    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller holds the lock.
        unsafe { spin::unlock(ptr) }
    }
}

/// `spin_lock()` and `spin_unlock()` through `ffi/c_macros.c`, one call each.
#[cfg(not(rb_bare_qspinlock))]
mod spin {
    extern "C" {
        fn rust_binder_spin_lock(lock: *mut kernel::bindings::spinlock_t);
        fn rust_binder_spin_unlock(lock: *mut kernel::bindings::spinlock_t);
    }

    /// `spin_lock(ptr)`.
    ///
    /// # Safety
    ///
    /// `ptr` is an initialised `spinlock_t`.
    #[inline(always)]
    pub(super) unsafe fn lock(ptr: *mut kernel::bindings::spinlock_t) {
        // SAFETY: the caller passes an initialised lock.
        unsafe { rust_binder_spin_lock(ptr) }
    }

    /// `spin_unlock(ptr)`.
    ///
    /// # Safety
    ///
    /// The caller holds the lock `ptr`.
    #[inline(always)]
    pub(super) unsafe fn unlock(ptr: *mut kernel::bindings::spinlock_t) {
        // SAFETY: the caller holds the lock.
        unsafe { rust_binder_spin_unlock(ptr) }
    }
}

/// `spin_lock()` and `spin_unlock()` inline, for kernels where they are a
/// queued spinlock's and nothing more (Kbuild sets `rb_bare_qspinlock`):
/// x86-64 with queued spinlocks, without paravirt spinlocks, lock
/// debugging, lockdep, preemption counting, PREEMPT_RT or KCSAN (the
/// production configurations without `CONFIG_PREEMPT_COUNT`, such as the
/// benchmarks' perf kernel). There `spin_unlock()`
/// is C's inline `queued_spin_unlock()`, a release store of 0 to the lock's
/// `locked` byte, and `spin_lock()` is an out-of-line `_raw_spin_lock()`
/// whose body is `queued_spin_lock()`: an acquire compare-and-swap of the
/// lock word from 0 to `_Q_LOCKED_VAL`, else `queued_spin_lock_slowpath()`.
/// These are the same operations, inline: an uncontended lock and every
/// unlock make no call (with the C functions, each was a call and a return,
/// which TCG can't chain: a lookup each). Other kernels keep the calls.
#[cfg(rb_bare_qspinlock)]
mod spin {
    use super::bindings;
    use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

    // Without lock debugging a `spinlock_t` is a bare `qspinlock`: the lock
    // word, whose low byte is `locked` (x86 is little-endian).
    const _: () = assert!(core::mem::size_of::<kernel::bindings::spinlock_t>() == 4);
    const _: () = assert!(core::mem::size_of::<bindings::qspinlock>() == 4);
    const Q_LOCKED_VAL: u32 = 1;

    /// `spin_lock(ptr)`.
    ///
    /// # Safety
    ///
    /// `ptr` is an initialised `spinlock_t`.
    #[inline(always)]
    pub(super) unsafe fn lock(ptr: *mut kernel::bindings::spinlock_t) {
        // The kernel accesses the lock word only atomically: whole, or by
        // its `locked` byte and `tail` half, as the kernel's memory model
        // allows and C's qspinlock does.
        // SAFETY: a 4-byte aligned `atomic_t`, live as long as the lock.
        let word = unsafe { AtomicU32::from_ptr(ptr.cast()) };
        if let Err(val) =
            word.compare_exchange(0, Q_LOCKED_VAL, Ordering::Acquire, Ordering::Relaxed)
        {
            // SAFETY: as C's `queued_spin_lock()`: the lock is initialised
            // and `val` is the word the compare-and-swap saw.
            unsafe { bindings::queued_spin_lock_slowpath(ptr.cast(), val) }
        }
    }

    /// `spin_unlock(ptr)`.
    ///
    /// # Safety
    ///
    /// The caller holds the lock `ptr`.
    #[inline(always)]
    pub(super) unsafe fn unlock(ptr: *mut kernel::bindings::spinlock_t) {
        // SAFETY: `locked` is the lock word's low byte (aligned, and live as
        // long as the lock), which only the holder clears, atomically (as
        // C's `queued_spin_unlock()` does).
        let locked = unsafe { AtomicU8::from_ptr(ptr.cast()) };
        locked.store(0, Ordering::Release);
    }
}

/// A new [`SpinLock`] with its own lock class, named as
/// `kernel::new_spinlock!` names it.
#[macro_export]
macro_rules! new_spinlock {
    ($t:expr $(, $name:literal)? $(,)?) => {
        $crate::ffi::sync::SpinLock::new(
            $t,
            kernel::optional_name!($($name)?),
            kernel::static_lock_class!(),
        )
    };
}

/// A kernel `struct mutex`, locked through `ffi/c_macros.c` (`mutex_lock()`
/// may be a macro) and unlocked with `mutex_unlock()`.
pub(crate) struct MutexBackend;

/// A mutex protecting a `T` (as `kernel::sync::Mutex`, one call each way).
pub(crate) type Mutex<T> = kernel::sync::lock::Lock<T, MutexBackend>;

// SAFETY: `init` initialises the mutex (as `kernel::sync::Mutex` does),
// `lock` acquires it and `unlock` releases it, with the kernel's own
// `mutex_lock()` and `mutex_unlock()`: only one holder at a time.
unsafe impl kernel::sync::lock::Backend for MutexBackend {
    type State = kernel::bindings::mutex;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut kernel::bindings::lock_class_key,
    ) {
        // SAFETY: the caller passes a mutex valid for writes, and a name and
        // key valid for ever.
        unsafe { kernel::bindings::__mutex_init(ptr, name, key) }
    }

    #[inline]
    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller passes an initialised mutex.
        unsafe { rust_binder_mutex_lock(ptr) }
    }

    #[inline]
    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller holds the mutex.
        unsafe { kernel::bindings::mutex_unlock(ptr) }
    }
}

/// A new [`Mutex`] with its own lock class, named as `kernel::new_mutex!`
/// names it.
#[macro_export]
macro_rules! new_mutex {
    ($t:expr $(, $name:literal)? $(,)?) => {
        $crate::ffi::sync::Mutex::new(
            $t,
            kernel::optional_name!($($name)?),
            kernel::static_lock_class!(),
        )
    };
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
