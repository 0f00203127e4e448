// SPDX-License-Identifier: GPL-2.0

//! `/sys/kernel/debug/binder/`: the C driver's debugfs files (`state`,
//! `stats`, `transactions`, `transaction_log`, `failed_transaction_log`,
//! and `proc/<pid>`), rendered by the same code as binderfs's
//! `binder_logs/` ([`crate::binderfs::logs`]).
//!
//! As in C (`binder_init`, `binder_open`, `binder_release`), the files are
//! made when the module loads, and `proc/<pid>` when a process opens a
//! binder device (of any binderfs instance, or a legacy device) while no
//! other open of the same pid exists; it goes when that open is released.
//! It shows every open of that pid, whatever the device.

use crate::binderfs::logs::{pid_cstr, render_into, LogKind, FILES};
use crate::context::Registry;
use crate::ffi::debugfs::{Dir, Show, ShowFile, ShowFops};
use crate::ffi::vec::VecExt;
use crate::process::Process;
use core::ffi::CStr;
use kernel::alloc::{flags::GFP_KERNEL, KVVec, KVec};
use kernel::error::Result;
use kernel::sync::Arc;

static FOPS: ShowFops<LogKind> = ShowFops::new();

impl Show for LogKind {
    fn show(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result {
        render_into(self, out)
    }
}

/// `binder/` and its global files (the module's for its lifetime).
pub(crate) struct DebugFs {
    // Fields drop in order: the files, then the directory.
    _files: KVec<ShowFile<LogKind>>,
    _root: Dir,
}

/// `binder/proc/` and its `<pid>` files, each with the address of the
/// process whose open made it.
pub(crate) struct ProcEntries {
    entries: KVVec<(usize, ShowFile<LogKind>)>,
    dir: Dir,
}

impl DebugFs {
    /// Creates `binder/`, its files and `proc/` (held by `registry`).
    pub(crate) fn create(registry: &Arc<Registry>) -> Result<Self> {
        let root = Dir::new(c"binder", None);
        let mut files = KVec::new();
        for (name, kind) in FILES {
            let mut n = KVec::new();
            n.extend_from_slice(name, GFP_KERNEL)?;
            n.push(0, GFP_KERNEL)?;
            let n = CStr::from_bytes_with_nul(&n).map_err(|_| kernel::error::code::EINVAL)?;
            files.push(
                ShowFile::new(n, &root, kind(registry.clone()), &FOPS)?,
                GFP_KERNEL,
            )?;
        }
        let dir = Dir::new(c"proc", Some(&root));
        *registry.debugfs.lock() = Some(ProcEntries {
            entries: KVVec::new(),
            dir,
        });
        Ok(Self {
            _files: files,
            _root: root,
        })
    }
}

/// `proc` opened a device: its `proc/<pid>` unless another open of its pid
/// exists (a failure only loses the entry, as C's warning).
pub(crate) fn opened(proc: &Arc<Process>) {
    let registry = &proc.device.registry;
    let Ok(all) = registry.all() else { return };
    if all
        .iter()
        .any(|p| p.pid == proc.pid && !Arc::ptr_eq(p, proc))
    {
        return;
    }
    let mut buf = [0u8; 12];
    let name = pid_cstr(proc.pid, &mut buf);
    let kind = LogKind::Proc {
        pid: proc.pid,
        device: proc.device.clone(),
    };
    let mut guard = registry.debugfs.lock();
    let Some(procs) = guard.as_mut() else { return };
    let Ok(file) = ShowFile::new(name, &procs.dir, kind, &FOPS) else {
        return;
    };
    let key = &**proc as *const Process as usize;
    // Room is made first: on failure the file goes, after unlocking.
    let file = match procs.entries.reserve(1, GFP_KERNEL) {
        Ok(()) => procs.entries.push_within_capacity((key, file)).err(),
        Err(_) => Some((key, file)),
    };
    drop(guard);
    drop(file);
}

/// `proc`'s open is released: the entry it made goes.
pub(crate) fn released(proc: &Arc<Process>) {
    let key = &**proc as *const Process as usize;
    let mut guard = proc.device.registry.debugfs.lock();
    let gone = guard.as_mut().and_then(|procs| {
        let i = procs.entries.iter().position(|(k, _)| *k == key)?;
        procs.entries.remove_at(i)
    });
    drop(guard);
    drop(gone);
}
