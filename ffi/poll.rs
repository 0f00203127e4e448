// SPDX-License-Identifier: GPL-2.0

//! `poll()` support: the poll table a `poll` file operation registers with,
//! and a wait queue that pollers can wait on (shaped like the newer kernel
//! crate's `PollTable` and `PollCondVar`).

use super::bindings;
use super::file::File;
use super::fs::FileSystem;
use super::layout::field;
use core::ffi::c_uint;
use core::marker::PhantomPinned;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::LockClassKey;
use kernel::types::Opaque;

/// `EPOLLIN | EPOLLRDNORM`-style readiness bits.
pub(crate) const POLLIN: u32 = bindings::POLLIN;
/// An error condition.
pub(crate) const POLLERR: u32 = bindings::POLLERR;

/// A wait queue for pollers.
///
/// A poll table keeps pointers into the queue past the `poll` call (until
/// the poller's next wake-up, or its `poll` ends): the queue is freed only
/// after [`PollWaitQueue::pollfree`] has removed every poller and waited
/// for them, which its drop does if it was ever polled since.
///
/// # Invariants
///
/// `wq` is an initialised `wait_queue_head`; it is never moved. `polled`
/// is set whenever a poll table may hold a pointer to it.
#[pin_data(PinnedDrop)]
pub(crate) struct PollWaitQueue {
    #[pin]
    wq: Opaque<bindings::wait_queue_head>,
    polled: AtomicBool,
    #[pin]
    _pin: PhantomPinned,
}

// SAFETY: wait queues are used from any thread, with their own lock.
unsafe impl Send for PollWaitQueue {}
// SAFETY: as above.
unsafe impl Sync for PollWaitQueue {}

impl PollWaitQueue {
    /// A new wait queue named `name`, in lock class `key`.
    pub(crate) fn new(name: &'static CStr, key: &'static LockClassKey) -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: `__init_waitqueue_head` initialises the slot in place;
            // `LockClassKey` is a transparent wrapper of `lock_class_key`.
            wq <- Opaque::ffi_init(|p| unsafe {
                bindings::__init_waitqueue_head(
                    p,
                    name.as_char_ptr().cast(),
                    (key as *const LockClassKey).cast_mut().cast(),
                )
            }),
            polled: AtomicBool::new(false),
            _pin: PhantomPinned,
        })
    }

    /// Wakes every waiter.
    pub(crate) fn wake_all(&self) {
        // SAFETY: initialised wait queue (type invariant); `TASK_NORMAL`.
        unsafe { bindings::__wake_up(self.wq.get(), 3 as c_uint, 0, core::ptr::null_mut()) };
    }

    /// Removes every poller (`wake_up_pollfree`) and waits until none can
    /// still be looking at the queue (it sleeps: process context, no lock
    /// held). Nothing to do if it was not polled since the last time.
    pub(crate) fn pollfree(&self) {
        if !self.polled.swap(false, Ordering::AcqRel) {
            return;
        }
        // SAFETY: initialised wait queue; `waitqueue_active` is an unlocked
        // emptiness check of its list, as in C.
        unsafe {
            let head = field!(self.wq.get(), wait_queue_head, head as bindings::list_head);
            if !core::ptr::eq((*head).next, head) {
                bindings::__wake_up_pollfree(self.wq.get());
            }
            bindings::synchronize_rcu();
        }
    }
}

#[pinned_drop]
impl PinnedDrop for PollWaitQueue {
    fn drop(self: Pin<&mut Self>) {
        // A queue polled since its last `pollfree` (which its owner runs
        // where it may sleep, before the last reference can go): no poll
        // table may keep pointing into freed memory.
        self.pollfree();
    }
}

/// The poll table of a `poll` file operation.
#[repr(transparent)]
pub(crate) struct PollTable(Opaque<bindings::poll_table_struct>);

impl PollTable {
    /// # Safety
    ///
    /// `ptr` must be null or a poll table valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::poll_table_struct) -> Option<&'a Self> {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { ptr.cast::<Self>().as_ref() }
    }

    /// Registers `wq` as a queue the polling task waits on for `file`
    /// (`poll_wait`).
    pub(crate) fn register<F: FileSystem>(&self, file: &File<F>, wq: &PollWaitQueue) {
        // INVARIANT: the table may keep a pointer to the queue from now on.
        wq.polled.store(true, Ordering::Release);
        // `_qproc` is called as `poll_wait()` does, with a live file (it
        // takes a reference to it); the queue is freed only after
        // `pollfree` (type invariant of `PollWaitQueue`).
        // SAFETY: the table is valid for this poll call, the file is live,
        // and the queue outlives the registration (above).
        unsafe {
            let qproc = *field!(self.0.get(), poll_table_struct, _qproc);
            if let Some(q) = qproc {
                q(file.as_raw(), wq.wq.get(), self.0.get());
            }
        }
    }
}
