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

fn current_raw() -> *mut bindings::task_struct {
    // SAFETY: `get_current` has no preconditions; the two bindings describe
    // the same C `struct task_struct`.
    unsafe { kernel::bindings::get_current().cast() }
}

/// A counted reference to an IPC namespace.
///
/// # Invariants
///
/// `self.0` points to a live `ipc_namespace` on which this object owns one
/// reference.
pub(crate) struct IpcNs(NonNull<bindings::ipc_namespace>);

// SAFETY: IPC namespace references may be taken and dropped on any thread.
unsafe impl Send for IpcNs {}
// SAFETY: `IpcNs` exposes no mutation.
unsafe impl Sync for IpcNs {}

impl IpcNs {
    /// Takes a reference to the current task's IPC namespace.
    pub(crate) fn current() -> Self {
        let task = current_raw();
        // SAFETY: `current->nsproxy` is only changed by the task itself, so it
        // stays valid while we run as that task, and it always has an
        // `ipc_ns`. Incrementing `ns.count` takes a reference as
        // `get_ipc_ns()` does.
        unsafe {
            let ns = *field!(*field!(task, task_struct, nsproxy), nsproxy, ipc_ns);
            let count = field!(field!(ns, ipc_namespace, ns), ns_common, count);
            kernel::bindings::refcount_inc(count.cast());
            // INVARIANT: we took a reference on a non-null namespace.
            Self(NonNull::new_unchecked(ns))
        }
    }

    /// Whether this is the initial IPC namespace.
    pub(crate) fn is_initial(&self) -> bool {
        // Only the address of the exported static is taken.
        core::ptr::eq(self.0.as_ptr(), &raw const bindings::init_ipc_ns)
    }
}

impl Drop for IpcNs {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference.
        unsafe { bindings::put_ipc_ns(self.0.as_ptr()) };
    }
}
