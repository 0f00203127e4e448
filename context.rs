// SPDX-License-Identifier: GPL-2.0

//! The binder context: what is shared beyond one process. A device's
//! context manager ([`Manager`]), and the module's [`Registry`]: every
//! binder process (for the ioctls that name processes by pid, and the page
//! shrinker), the nodes whose owner died while others still hold them, and
//! the logs of the last transactions.

use crate::device::BinderDevice;
use crate::ffi::shrinker::Shrink;
use crate::ffi::sync::{Mutex, SpinLock, TryMutex};
use crate::ffi::task::Kuid;
use crate::ffi::vec::VecExt;
use crate::node::{Holders, Node};
use crate::process::Process;
use crate::work::DArc;
use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL, GFP_NOWAIT},
    KVVec,
};
use kernel::error::Result;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::Arc;

/// The context manager of a device.
pub(crate) struct Manager {
    /// The context manager's node (handle 0 of every other process).
    pub(crate) node: Option<DArc<Node>>,
    /// The user that first became context manager; only it may again.
    pub(crate) uid: Option<Kuid>,
}

/// Every binder process of the module, for the ioctls that name processes
/// by pid (`BINDER_FREEZE`, `BINDER_GET_FROZEN_INFO`).
///
/// Its lists are as long as user space makes them (open binder files,
/// dead nodes), so they are `kvmalloc`ed.
#[pin_data]
pub(crate) struct Registry {
    #[pin]
    procs: TryMutex<KVVec<Arc<Process>>>,
    /// The last transactions, and the last failed ones (`binder_logs/`):
    /// a spinlock, as every transaction of every process records itself.
    #[pin]
    logs: SpinLock<TxnLogs>,
    /// Nodes whose owner died while others still held references, by node
    /// id (an ordered map: a dead node goes in O(log n) when its last
    /// reference does, however many there are).
    #[pin]
    pub(crate) dead_nodes: Mutex<RBTree<u32, DeadNode>>,
    /// debugfs's `binder/proc/` and its entries (`crate::debugfs`), while
    /// the module's debugfs files exist.
    #[pin]
    pub(crate) debugfs: Mutex<Option<crate::debugfs::ProcEntries>>,
}

/// A node whose owner died, kept for `binder_logs/state` until the last
/// reference to it goes.
pub(crate) struct DeadNode {
    pub(crate) node: DArc<Node>,
    /// The last counts its owner knew.
    pub(crate) has_strong: bool,
    pub(crate) has_weak: bool,
    pub(crate) internal_strong: u32,
    /// References still held (the entry goes with the last).
    pub(crate) refs: u32,
    /// Pids of the processes still holding references.
    pub(crate) holders: Holders,
}

/// One record of `transaction_log` / `failed_transaction_log`.
#[derive(Clone, Copy, Default)]
pub(crate) struct TxnLogEntry {
    pub(crate) debug_id: usize,
    /// 0 call, 1 one-way, 2 reply.
    pub(crate) call_type: u32,
    pub(crate) from_proc: i32,
    pub(crate) from_thread: i32,
    pub(crate) to_proc: i32,
    pub(crate) to_thread: i32,
    pub(crate) to_node: usize,
    pub(crate) target_handle: u32,
    pub(crate) data_size: u64,
    pub(crate) offsets_size: u64,
    pub(crate) return_error: u32,
    pub(crate) return_error_param: i32,
    pub(crate) return_error_line: u32,
}

const LOG_SIZE: usize = 32;

/// One entry of a log ring.
type LogSlot = (TxnLogEntry, Arc<BinderDevice>);

/// Two rings of the last transactions, as the C driver keeps them.
pub(crate) struct TxnLogs {
    pub(crate) all: [Option<(TxnLogEntry, Arc<BinderDevice>)>; LOG_SIZE],
    pub(crate) next_all: usize,
    pub(crate) failed: [Option<(TxnLogEntry, Arc<BinderDevice>)>; LOG_SIZE],
    pub(crate) next_failed: usize,
}

/// Puts `e` in `slot`; returns the entry it replaced, if the device changed
/// (a slot of the same device is overwritten in place: no reference count
/// is taken or dropped per transaction).
fn put_slot(
    slot: &mut Option<LogSlot>,
    e: &TxnLogEntry,
    dev: &Arc<BinderDevice>,
) -> Option<LogSlot> {
    match slot {
        Some((old, d)) if Arc::ptr_eq(d, dev) => {
            *old = *e;
            None
        }
        _ => slot.replace((*e, dev.clone())),
    }
}

impl TxnLogs {
    /// Records `e`; returns the entries it replaced, to be dropped after
    /// unlocking.
    fn record(&mut self, e: &TxnLogEntry, dev: &Arc<BinderDevice>) -> [Option<LogSlot>; 2] {
        let failed = e.return_error != crate::uapi::BR_OK;
        // One per transaction: wraps as C's `atomic_inc_return(&log->cur)`
        // (after 2^64 of them only the ring's order would suffer).
        let a = put_slot(&mut self.all[self.next_all % LOG_SIZE], e, dev);
        self.next_all = self.next_all.wrapping_add(1);
        let f = if failed {
            let f = put_slot(&mut self.failed[self.next_failed % LOG_SIZE], e, dev);
            self.next_failed = self.next_failed.wrapping_add(1);
            f
        } else {
            None
        };
        [a, f]
    }

    /// The entries of one ring, oldest first.
    pub(crate) fn entries(
        &self,
        failed: bool,
    ) -> impl Iterator<Item = &(TxnLogEntry, Arc<BinderDevice>)> {
        let (ring, next) = if failed {
            (&self.failed, self.next_failed)
        } else {
            (&self.all, self.next_all)
        };
        let start = next.saturating_sub(LOG_SIZE);
        (start..next).filter_map(move |i| ring[i % LOG_SIZE].as_ref())
    }
}

impl Registry {
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                procs <- crate::new_trymutex!(KVVec::new(), "Registry::procs"),
                dead_nodes <- crate::new_mutex!(RBTree::new(), "Registry::dead_nodes"),
                debugfs <- crate::new_mutex!(None, "Registry::debugfs"),
                logs <- crate::new_spinlock!(
                    TxnLogs { all: [const { None }; LOG_SIZE], next_all: 0, failed: [const { None }; LOG_SIZE], next_failed: 0 },
                    "Registry::logs"
                ),
            }),
            GFP_KERNEL,
        )
    }

    pub(crate) fn add(&self, p: &Arc<Process>) -> Result {
        self.procs
            .lock()
            .push(p.clone(), GFP_KERNEL | __GFP_NOWARN)?;
        Ok(())
    }

    pub(crate) fn remove(&self, p: &Arc<Process>) {
        self.procs.lock().retain(|x| !Arc::ptr_eq(x, p));
    }

    /// Every process, in the order they opened their devices.
    pub(crate) fn all(&self) -> Result<KVVec<Arc<Process>>> {
        let procs = self.procs.lock();
        let mut v = KVVec::with_capacity(procs.len(), GFP_KERNEL | __GFP_NOWARN)?;
        for p in procs.iter() {
            v.push(p.clone(), GFP_KERNEL)?;
        }
        Ok(v)
    }

    /// Forgets the logged transactions (their devices refer back to this
    /// registry); called when the module goes away.
    pub(crate) fn clear_logs(&self) {
        let mut logs = self.logs.lock();
        let all = core::mem::replace(&mut logs.all, [const { None }; LOG_SIZE]);
        drop(logs);
        drop(all);
        let dead = core::mem::replace(&mut *self.dead_nodes.lock(), RBTree::new());
        drop(dead);
        let mut logs = self.logs.lock();
        let failed = core::mem::replace(&mut logs.failed, [const { None }; LOG_SIZE]);
        drop(logs);
        drop(failed);
    }

    /// The entries of one log ring, oldest first, copied out of the lock
    /// (into room allocated before taking it).
    pub(crate) fn log_entries(
        &self,
        failed: bool,
    ) -> Result<KVVec<(TxnLogEntry, Arc<BinderDevice>)>> {
        let mut v = KVVec::with_capacity(LOG_SIZE, GFP_KERNEL)?;
        let logs = self.logs.lock();
        for (e, d) in logs.entries(failed) {
            // A ring holds at most `LOG_SIZE` entries: within the room
            // reserved, so this never allocates (and can't fail).
            if v.len() < LOG_SIZE && v.push((*e, d.clone()), GFP_NOWAIT).is_err() {
                break;
            }
        }
        drop(logs);
        Ok(v)
    }

    /// A reference held by `holder` on the dead node `node` went away.
    pub(crate) fn drop_dead_ref(&self, node: &DArc<Node>, holder: i32) {
        let mut dead = self.dead_nodes.lock();
        let Some(d) = dead
            .get_mut(&node.key())
            .filter(|d| Arc::ptr_eq(&d.node, node))
        else {
            return;
        };
        d.holders.remove(holder);
        d.refs = d.refs.saturating_sub(1);
        if d.refs == 0 {
            let gone = dead.remove_node(&node.key());
            drop(dead);
            drop(gone);
        }
    }

    /// Process `holder` made a new reference to the dead node `node`
    /// (a handle to it passed on after its owner died).
    pub(crate) fn add_dead_ref(&self, node: &DArc<Node>, holder: i32) {
        let mut dead = self.dead_nodes.lock();
        if let Some(d) = dead
            .get_mut(&node.key())
            .filter(|d| Arc::ptr_eq(&d.node, node))
        {
            d.refs = d.refs.wrapping_add(1);
            // Only the logs miss the pid if there is no memory for it.
            if d.holders.push(holder).is_err() {
                pr_debug!(
                    "rust_binder: ref of {} to dead node {} unlisted\n",
                    holder,
                    node.id
                );
            }
        }
    }

    /// Records a transaction of `dev` in the logs (by reference: an entry is
    /// copied once, into its slot).
    pub(crate) fn log_txn(&self, e: &TxnLogEntry, dev: &Arc<BinderDevice>) {
        // The entries pushed out of the rings are dropped after unlocking.
        let old = self.logs.lock().record(e, dev);
        drop(old);
    }

    /// The processes whose thread-group id is `pid`.
    pub(crate) fn with_pid(&self, pid: i32) -> Result<KVVec<Arc<Process>>> {
        let mut v = KVVec::new();
        for p in self.procs.lock().iter() {
            if p.pid == pid {
                v.push(p.clone(), GFP_KERNEL | __GFP_NOWARN)?;
            }
        }
        Ok(v)
    }
}

/// The page shrinker: unused buffer pages of every process.
impl Shrink for Registry {
    fn count(&self) -> usize {
        crate::allocation::lru_pages()
    }

    fn scan(&self, nr: usize) -> Option<usize> {
        let procs = self.procs.try_lock()?;
        let mut freed = 0;
        for p in procs.iter() {
            if freed >= nr {
                break;
            }
            // `freed < nr`, and `reclaim` frees at most what it is asked.
            freed += p.reclaim(nr - freed);
        }
        Some(freed)
    }
}
