// SPDX-License-Identifier: GPL-2.0

//! The current task's credentials and namespaces: capability checks and
//! counted references to IPC namespaces.

use super::bindings;
use super::layout::field;
use core::ptr::NonNull;

/// Linux capability numbers used by rust_binder.
pub(crate) const CAP_SYS_ADMIN: i32 = bindings::CAP_SYS_ADMIN as i32;

/// Whether the current task has `cap` in the initial user namespace, as
/// `capable()` (which also records the use for auditing).
pub(crate) fn capable(cap: i32) -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(cap) }
}

pub(crate) fn current_raw() -> *mut bindings::task_struct {
    // SAFETY: `get_current` has no preconditions; the two bindings describe
    // the same C `struct task_struct`.
    unsafe { kernel::bindings::get_current().cast() }
}

/// A counted reference to an IPC namespace.
///
/// # Invariants
///
/// `self.0` points to a live `ipc_namespace` on which this object owns one
/// reference (none without CONFIG_IPC_NS), or is null in a kernel without
/// SYSVIPC and POSIX_MQUEUE.
#[cfg_attr(
    not(any(CONFIG_IPC_NS, CONFIG_SYSVIPC, CONFIG_POSIX_MQUEUE)),
    allow(dead_code)
)]
pub(crate) struct IpcNs(*mut bindings::ipc_namespace);

// SAFETY: IPC namespace references may be taken and dropped on any thread.
unsafe impl Send for IpcNs {}
// SAFETY: `IpcNs` exposes no mutation.
unsafe impl Sync for IpcNs {}

impl IpcNs {
    /// Takes a reference to the current task's IPC namespace.
    pub(crate) fn current() -> Self {
        let task = current_raw();
        // Only the task itself changes `current->nsproxy`. Its `ipc_ns` is
        // null only in a kernel without SYSVIPC and POSIX_MQUEUE.
        // SAFETY: so the pointers are valid while we run as current.
        let ns = unsafe { *field!(*field!(task, task_struct, nsproxy), nsproxy, ipc_ns) };
        // Incrementing `ns.count` is what `get_ipc_ns()` does with
        // CONFIG_IPC_NS; without it, `get_ipc_ns()`/`put_ipc_ns()` are
        // no-ops on the one static namespace.
        #[cfg(CONFIG_IPC_NS)]
        if !ns.is_null() {
            // SAFETY: a live namespace (see above).
            unsafe {
                let count = field!(field!(ns, ipc_namespace, ns), ns_common, count);
                kernel::bindings::refcount_inc(count.cast());
            }
        }
        // INVARIANT: we took a reference (or there is none to take).
        Self(ns)
    }

    /// Whether this is the initial IPC namespace.
    pub(crate) fn is_initial(&self) -> bool {
        // Only the address of the exported static is taken.
        #[cfg(any(CONFIG_SYSVIPC, CONFIG_POSIX_MQUEUE))]
        return core::ptr::eq(self.0, &raw const bindings::init_ipc_ns);
        // Without IPC there is no other namespace.
        #[cfg(not(any(CONFIG_SYSVIPC, CONFIG_POSIX_MQUEUE)))]
        return true;
    }
}

impl Drop for IpcNs {
    fn drop(&mut self) {
        #[cfg(CONFIG_IPC_NS)]
        if !self.0.is_null() {
            // SAFETY: by the type invariant we own one reference.
            unsafe { bindings::put_ipc_ns(self.0) };
        }
    }
}

/// A kernel user id (`kuid_t`), as the initial user namespace sees it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Kuid(pub(crate) u32);

impl Kuid {
    /// The effective user id of the current task.
    pub(crate) fn current_euid() -> Self {
        // SAFETY: `current->cred` is stable while we run as `current`.
        unsafe {
            let cred = *field!(current_raw(), task_struct, cred as *const bindings::cred);
            Self((*field!(cred as *mut bindings::cred, cred, euid)).val)
        }
    }

    /// This id as seen from the current task's user namespace (the overflow
    /// id if unmapped).
    pub(crate) fn in_current_ns(self) -> u32 {
        #[cfg(CONFIG_USER_NS)]
        // SAFETY: as in `current_euid`; `from_kuid` only reads the namespace.
        return unsafe {
            let cred = *field!(current_raw(), task_struct, cred as *mut bindings::cred);
            let ns = *field!(cred, cred, user_ns);
            bindings::from_kuid(ns, bindings::kuid_t { val: self.0 })
        };
        // Without user namespaces every id maps to itself (C's inline
        // `from_kuid`).
        #[cfg(not(CONFIG_USER_NS))]
        return self.0;
    }
}

/// Gives the CPU to another task if one should run (C's `cond_resched()`),
/// in loops whose length a user chooses; the caller holds no spinlock.
pub(crate) fn cond_resched() {
    // With full preemption and no PREEMPT_DYNAMIC, C's `cond_resched()` is
    // a no-op and `__cond_resched` doesn't exist.
    #[cfg(any(not(CONFIG_PREEMPTION), CONFIG_PREEMPT_DYNAMIC))]
    // SAFETY: no precondition beyond being allowed to sleep.
    unsafe {
        bindings::__cond_resched()
    };
}

/// Sleeps (uninterruptibly) for at least one jiffy: the back-off of a
/// retry loop that waits for memory; the caller holds no lock.
pub(crate) fn sleep_a_tick() {
    // SAFETY: no precondition beyond being allowed to sleep.
    unsafe { bindings::schedule_timeout_uninterruptible(1) };
}

/// The current thread's id (global pid).
pub(crate) fn current_pid() -> i32 {
    // SAFETY: `current->pid` never changes.
    unsafe { *field!(current_raw(), task_struct, pid) }
}

/// The current thread group's id (global tgid).
pub(crate) fn current_tgid() -> i32 {
    // SAFETY: `current->tgid` never changes.
    unsafe { *field!(current_raw(), task_struct, tgid) }
}

/// The thread-group id of `task` as seen from the current task's pid
/// namespace (0 if it isn't visible there).
pub(crate) fn tgid_in_current_ns(task: &kernel::task::Task) -> i32 {
    // SAFETY: `task` is a live task (we hold a reference through `&Task`);
    // both helpers only read pid structures under RCU internally.
    unsafe {
        let t: *mut bindings::task_struct = (task as *const kernel::task::Task).cast_mut().cast();
        let ns = bindings::task_active_pid_ns(current_raw());
        bindings::__task_pid_nr_ns(t, bindings::pid_type_PIDTYPE_TGID, ns)
    }
}

/// Whether `task` is the current task's thread-group leader.
pub(crate) fn is_current_group_leader(task: &kernel::task::Task) -> bool {
    // SAFETY: `group_leader` of current is stable while we run as current.
    let leader = unsafe { *field!(current_raw(), task_struct, group_leader) };
    core::ptr::eq(leader.cast_const().cast::<kernel::task::Task>(), task)
}

/// Credentials (`struct cred`), counted.
///
/// # Invariants
///
/// `self.0` is a live cred on which we own a `usage` reference.
pub(crate) struct Cred(NonNull<bindings::cred>);

// SAFETY: creds are immutable and refcounted atomically.
unsafe impl Send for Cred {}
// SAFETY: as above.
unsafe impl Sync for Cred {}

impl Cred {
    /// Takes a reference on `cred` (`get_cred`).
    ///
    /// # Safety
    ///
    /// `cred` must be live for the duration of the call.
    pub(crate) unsafe fn get(cred: *const bindings::cred) -> Self {
        let usage = field!(
            cred.cast_mut(),
            cred,
            usage as core::sync::atomic::AtomicI64
        );
        // SAFETY: `usage` is an `atomic_long_t` of a live cred.
        unsafe { (*usage).fetch_add(1, core::sync::atomic::Ordering::Relaxed) };
        // INVARIANT: we took a reference on a non-null cred.
        Self(unsafe { NonNull::new_unchecked(cred.cast_mut()) })
    }

    #[cfg_attr(not(CONFIG_SECURITY), allow(dead_code))]
    pub(crate) fn as_ptr(&self) -> *const bindings::cred {
        self.0.as_ptr()
    }
}

impl Drop for Cred {
    fn drop(&mut self) {
        let usage = field!(
            self.0.as_ptr(),
            cred,
            usage as core::sync::atomic::AtomicI64
        );
        // SAFETY: we own a reference (`put_cred`).
        unsafe {
            if (*usage).fetch_sub(1, core::sync::atomic::Ordering::Release) == 1 {
                core::sync::atomic::fence(core::sync::atomic::Ordering::Acquire);
                bindings::__put_cred(self.0.as_ptr());
            }
        }
    }
}

/// The LSM hooks binder calls; each is `Ok` when no LSM objects.
///
/// Without CONFIG_SECURITY the C hooks are static inlines (which bindgen
/// can't bind) that allow everything and have no security contexts; the
/// `stub` versions below answer the same.
pub(crate) mod security {
    #[cfg(CONFIG_SECURITY)]
    pub(crate) use real::*;
    #[cfg(not(CONFIG_SECURITY))]
    pub(crate) use stub::*;

    #[cfg(CONFIG_SECURITY)]
    mod real {
        use super::super::{bindings, Cred};
        use crate::ffi::file::check;
        use kernel::error::Result;

        /// May `mgr` become the context manager?
        pub(crate) fn binder_set_context_mgr(mgr: &Cred) -> Result {
            // SAFETY: the cred is live.
            check(unsafe { bindings::security_binder_set_context_mgr(mgr.as_ptr()) })
        }

        /// May `from` make a transaction to `to`?
        pub(crate) fn binder_transaction(from: &Cred, to: &Cred) -> Result {
            // SAFETY: both creds are live.
            check(unsafe { bindings::security_binder_transaction(from.as_ptr(), to.as_ptr()) })
        }

        /// May `from` pass `file` to `to`?
        pub(crate) fn binder_transfer_file(
            from: &Cred,
            to: &Cred,
            file: &crate::ffi::file::FileRef,
        ) -> Result {
            // SAFETY: the creds and the file are live.
            check(unsafe {
                bindings::security_binder_transfer_file(from.as_ptr(), to.as_ptr(), file.as_ptr())
            })
        }

        /// May `from` pass a binder object to `to`?
        pub(crate) fn binder_transfer_binder(from: &Cred, to: &Cred) -> Result {
            // SAFETY: both creds are live.
            check(unsafe { bindings::security_binder_transfer_binder(from.as_ptr(), to.as_ptr()) })
        }

        /// The LSM security context of `cred`, as text.
        ///
        /// # Invariants
        ///
        /// `data`/`len` were returned by `security_secid_to_secctx` and are
        /// released once, on drop.
        pub(crate) struct SecCtx {
            data: *mut core::ffi::c_char,
            len: u32,
        }

        impl SecCtx {
            /// The context of `cred` (fails without an LSM that has one).
            pub(crate) fn of(cred: &Cred) -> Result<Self> {
                let mut secid = 0u32;
                let (mut data, mut len) = (core::ptr::null_mut(), 0u32);
                // SAFETY: the cred is live and the out pointers are valid.
                unsafe { bindings::security_cred_getsecid(cred.as_ptr(), &mut secid) };
                // SAFETY: as above.
                check(unsafe { bindings::security_secid_to_secctx(secid, &mut data, &mut len) })?;
                // INVARIANT: returned by `security_secid_to_secctx`.
                Ok(Self { data, len })
            }

            pub(crate) fn as_bytes(&self) -> &[u8] {
                // SAFETY: the LSM gave `len` bytes at `data`, valid until release.
                unsafe { core::slice::from_raw_parts(self.data.cast::<u8>(), self.len as usize) }
            }
        }

        impl Drop for SecCtx {
            fn drop(&mut self) {
                // SAFETY: by the type invariant.
                unsafe { bindings::security_release_secctx(self.data, self.len) };
            }
        }
    }

    #[cfg(not(CONFIG_SECURITY))]
    mod stub {
        use super::super::Cred;
        use kernel::error::{Error, Result};

        /// May `mgr` become the context manager? (Always.)
        pub(crate) fn binder_set_context_mgr(_mgr: &Cred) -> Result {
            Ok(())
        }

        /// May `from` make a transaction to `to`? (Always.)
        pub(crate) fn binder_transaction(_from: &Cred, _to: &Cred) -> Result {
            Ok(())
        }

        /// May `from` pass `file` to `to`? (Always.)
        pub(crate) fn binder_transfer_file(
            _from: &Cred,
            _to: &Cred,
            _file: &crate::ffi::file::FileRef,
        ) -> Result {
            Ok(())
        }

        /// May `from` pass a binder object to `to`? (Always.)
        pub(crate) fn binder_transfer_binder(_from: &Cred, _to: &Cred) -> Result {
            Ok(())
        }

        /// A security context; there is none without CONFIG_SECURITY.
        pub(crate) struct SecCtx(());

        impl SecCtx {
            /// Fails as C's inline `security_secid_to_secctx` does.
            pub(crate) fn of(_cred: &Cred) -> Result<Self> {
                Err(Error::from_errno(-(kernel::bindings::EOPNOTSUPP as i32)))
            }

            pub(crate) fn as_bytes(&self) -> &[u8] {
                &[]
            }
        }
    }
}

/// The current thread group's leader, counted.
///
/// (The 6.12 `Task::group_leader` reads `task_struct` with bindgen's
/// layout, which is wrong for this struct; see `layout.rs`.)
pub(crate) fn current_group_leader() -> kernel::types::ARef<kernel::task::Task> {
    // SAFETY: `current->group_leader` is a live task for as long as the
    // current task lives; `Task` is a transparent wrapper of `task_struct`,
    // and `ARef::from` takes a reference on it.
    unsafe {
        let leader = *field!(current_raw(), task_struct, group_leader);
        kernel::types::ARef::from(&*leader.cast::<kernel::task::Task>())
    }
}

/// The current task's nice value (`task_nice(current)`).
pub(crate) fn current_nice() -> i32 {
    let p = field!(current_raw(), task_struct, static_prio as i32);
    // SAFETY: only `set_user_nice` changes `static_prio` (under the runqueue
    // lock); a racy read is what `task_nice()` does too.
    let prio = unsafe { core::ptr::read_volatile(p) };
    // DEFAULT_PRIO (MAX_RT_PRIO + NICE_WIDTH / 2) is nice 0.
    prio - 120
}

/// Sets the current task's nice value as binder does (`binder_set_nice`):
/// if the task may not go that low, it goes as low as `RLIMIT_NICE` allows.
pub(crate) fn set_current_nice(nice: i32) {
    let cur = current_raw();
    // SAFETY: `can_nice` and `set_user_nice` may be called on the current
    // task from process context.
    unsafe {
        if bindings::can_nice(cur, nice) != 0 {
            bindings::set_user_nice(cur, nice as _);
            return;
        }
        // rlimit(RLIMIT_NICE): current->signal->rlim[RLIMIT_NICE].rlim_cur.
        let signal = *field!(cur, task_struct, signal);
        let rlim = field!(signal, signal_struct, rlim as bindings::rlimit)
            .add(bindings::RLIMIT_NICE as usize);
        let cur_lim = core::ptr::read_volatile(&raw const (*rlim).rlim_cur) as i64;
        // `rlimit_to_nice()`: `MAX_NICE - prio + 1` in `long`. The limit is
        // whatever `setrlimit` was given (`RLIM_INFINITY` is -1 here), so
        // this wraps as C does; `set_user_nice` ignores a result outside
        // [MIN_NICE, MAX_NICE].
        let min_nice = (bindings::MAX_NICE as i64)
            .wrapping_sub(cur_lim)
            .wrapping_add(1);
        bindings::set_user_nice(cur, min_nice as _);
    }
}
