// SPDX-License-Identifier: GPL-2.0

//! Counters for `binder_logs/stats`: commands read from and returns given
//! to user space, globally and per process, and how many objects of each
//! kind were made and still live, in the C driver's layout.

use core::fmt::Write;
use core::sync::atomic::{AtomicU32, Ordering};

const BC_NAMES: [&str; 22] = [
    "BC_TRANSACTION",
    "BC_REPLY",
    "BC_ACQUIRE_RESULT",
    "BC_FREE_BUFFER",
    "BC_INCREFS",
    "BC_ACQUIRE",
    "BC_RELEASE",
    "BC_DECREFS",
    "BC_INCREFS_DONE",
    "BC_ACQUIRE_DONE",
    "BC_ATTEMPT_ACQUIRE",
    "BC_REGISTER_LOOPER",
    "BC_ENTER_LOOPER",
    "BC_EXIT_LOOPER",
    "BC_REQUEST_DEATH_NOTIFICATION",
    "BC_CLEAR_DEATH_NOTIFICATION",
    "BC_DEAD_BINDER_DONE",
    "BC_TRANSACTION_SG",
    "BC_REPLY_SG",
    "BC_REQUEST_FREEZE_NOTIFICATION",
    "BC_CLEAR_FREEZE_NOTIFICATION",
    "BC_FREEZE_NOTIFICATION_DONE",
];

const BR_NAMES: [&str; 23] = [
    "BR_ERROR",
    "BR_OK",
    "BR_TRANSACTION",
    "BR_REPLY",
    "BR_ACQUIRE_RESULT",
    "BR_DEAD_REPLY",
    "BR_TRANSACTION_COMPLETE",
    "BR_INCREFS",
    "BR_ACQUIRE",
    "BR_RELEASE",
    "BR_DECREFS",
    "BR_ATTEMPT_ACQUIRE",
    "BR_NOOP",
    "BR_SPAWN_LOOPER",
    "BR_FINISHED",
    "BR_DEAD_BINDER",
    "BR_CLEAR_DEATH_NOTIFICATION_DONE",
    "BR_FAILED_REPLY",
    "BR_FROZEN_REPLY",
    "BR_ONEWAY_SPAM_SUSPECT",
    "BR_TRANSACTION_PENDING_FROZEN",
    "BR_FROZEN_BINDER",
    "BR_CLEAR_FREEZE_NOTIFICATION_DONE",
];

/// Kinds of objects whose lives are counted.
#[derive(Clone, Copy)]
pub(crate) enum Obj {
    Proc = 0,
    Thread,
    Node,
    Ref,
    Death,
    Transaction,
    TransactionComplete,
    Freeze,
}

const OBJ_NAMES: [&str; 8] = [
    "proc",
    "thread",
    "node",
    "ref",
    "death",
    "transaction",
    "transaction_complete",
    "freeze",
];

/// Command and return counters (one set for the module, one per process).
pub(crate) struct Stats {
    bc: [AtomicU32; 22],
    br: [AtomicU32; 23],
}

impl Stats {
    pub(crate) const fn new() -> Self {
        Self {
            bc: [const { AtomicU32::new(0) }; 22],
            br: [const { AtomicU32::new(0) }; 23],
        }
    }

    fn bump(table: &[AtomicU32], cmd: u32) {
        if let Some(c) = table.get((cmd & 0xff) as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes the non-zero counters, each line after `prefix`.
    pub(crate) fn print(&self, m: &mut dyn Write, prefix: &str) -> core::fmt::Result {
        for (c, name) in self.bc.iter().zip(BC_NAMES) {
            let v = c.load(Ordering::Relaxed);
            if v != 0 {
                writeln!(m, "{}{}: {}", prefix, name, v)?;
            }
        }
        for (c, name) in self.br.iter().zip(BR_NAMES) {
            let v = c.load(Ordering::Relaxed);
            if v != 0 {
                writeln!(m, "{}{}: {}", prefix, name, v)?;
            }
        }
        Ok(())
    }
}

static GLOBAL: Stats = Stats::new();
static CREATED: [AtomicU32; 8] = [const { AtomicU32::new(0) }; 8];
static DELETED: [AtomicU32; 8] = [const { AtomicU32::new(0) }; 8];

/// Counts command `cmd` of a process.
pub(crate) fn bc(proc: &Stats, cmd: u32) {
    crate::trace::command(cmd);
    Stats::bump(&GLOBAL.bc, cmd);
    Stats::bump(&proc.bc, cmd);
}

/// Counts return `cmd` given to a process (`BR_NOOP` is not counted).
pub(crate) fn br(proc: &Stats, cmd: u32) {
    if cmd == crate::uapi::BR_NOOP {
        return;
    }
    crate::trace::ret(cmd);
    Stats::bump(&GLOBAL.br, cmd);
    Stats::bump(&proc.br, cmd);
}

/// Writes the module-wide counters (the top of `binder_logs/stats`).
pub(crate) fn print_global(m: &mut dyn Write) -> core::fmt::Result {
    GLOBAL.print(m, "")?;
    for (i, name) in OBJ_NAMES.iter().enumerate() {
        let c = CREATED[i].load(Ordering::Relaxed);
        let d = DELETED[i].load(Ordering::Relaxed);
        if c != 0 || d != 0 {
            writeln!(m, "{}: active {} total {}", name, c.wrapping_sub(d), c)?;
        }
    }
    Ok(())
}

/// Counts one object of kind `K` (an [`Obj`] as `usize`) for as long as
/// it lives: embed it. It takes no room in the object.
pub(crate) struct ObjCount<const K: usize>(());

impl<const K: usize> ObjCount<K> {
    pub(crate) fn new() -> Self {
        Self::created();
        Self(())
    }

    /// Counts an object of kind `K` made, for objects that are reused
    /// rather than allocated (a thread's own completion): each use counts
    /// as one object, as C allocates one each time.
    pub(crate) fn created() {
        if let Some(c) = CREATED.get(K) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts an object of kind `K` gone (see [`ObjCount::created`]).
    pub(crate) fn deleted() {
        if let Some(d) = DELETED.get(K) {
            d.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl<const K: usize> Drop for ObjCount<K> {
    fn drop(&mut self) {
        Self::deleted();
    }
}

/// The counters embedded in each kind of object.
pub(crate) type ProcCount = ObjCount<{ Obj::Proc as usize }>;
pub(crate) type ThreadCount = ObjCount<{ Obj::Thread as usize }>;
pub(crate) type NodeCount = ObjCount<{ Obj::Node as usize }>;
pub(crate) type RefCount = ObjCount<{ Obj::Ref as usize }>;
pub(crate) type DeathCount = ObjCount<{ Obj::Death as usize }>;
pub(crate) type TxnCount = ObjCount<{ Obj::Transaction as usize }>;
pub(crate) type CompleteCount = ObjCount<{ Obj::TransactionComplete as usize }>;
pub(crate) type FreezeCount = ObjCount<{ Obj::Freeze as usize }>;
