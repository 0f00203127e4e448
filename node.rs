// SPDX-License-Identifier: GPL-2.0

//! Binder nodes (the objects a process offers to others) and references to
//! them (the handles other processes hold), with the reference-count
//! handshake of the C driver: `BR_INCREFS`/`BR_ACQUIRE` tell the owner that
//! its node gained its first weak/strong reference (answered with
//! `BC_INCREFS_DONE`/`BC_ACQUIRE_DONE`), `BR_RELEASE`/`BR_DECREFS` that the
//! last one went.
//!
//! The counts of a node live in its owner's [`ProcessInner`], so they are
//! always changed under the owner's lock; references live in the holder's
//! [`ProcessRefs`].
//!
//! [`ProcessInner`]: crate::process::ProcessInner
//! [`ProcessRefs`]: crate::process::ProcessRefs

use crate::ffi::vec::VecExt;
use crate::process::Process;
use crate::stats::{DeathCount, FreezeCount, NodeCount, RefCount};
use crate::work::{DArc, Queue, Wrap};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::alloc::KVVec;
use kernel::error::Result;
use kernel::prelude::*;
use kernel::sync::{Arc, SpinLock};

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// A new debug id, unique among nodes, transactions and the like.
pub(crate) fn next_debug_id() -> usize {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A binder node: an object owned by one process.
///
/// # Invariants
///
/// `owner` is `Some` while the node is in its owner's `ProcessInner::nodes`;
/// it is cleared, under the owner's inner lock, when the owner dies and the
/// node leaves that tree (then moving to the device's dead nodes if
/// references to it remain). A dead node doesn't keep its owner alive.
#[pin_data]
pub(crate) struct Node {
    /// Unique id (also the key of references to it).
    pub(crate) id: usize,
    /// The owner's pointer and cookie for the object.
    pub(crate) ptr: u64,
    pub(crate) cookie: u64,
    /// `FLAT_BINDER_FLAG_*` given when the node was created.
    pub(crate) flags: u32,
    /// The owner's thread-group id (kept once it died, for the logs).
    pub(crate) owner_pid: i32,
    /// The owning process, until it dies.
    #[pin]
    owner: SpinLock<Option<Arc<Process>>>,
    pub(crate) _count: NodeCount,
}

impl Node {
    /// A new node of `owner`.
    pub(crate) fn new(
        owner: Arc<Process>,
        ptr: u64,
        cookie: u64,
        flags: u32,
    ) -> Result<DArc<Self>> {
        let owner_pid = owner.pid;
        Wrap::pin_new(pin_init!(Self {
            id: next_debug_id(),
            ptr,
            cookie,
            flags,
            owner_pid,
            owner <- kernel::new_spinlock!(Some(owner), "Node::owner"),
            _count: NodeCount::new(),
        }))
    }

    /// The owning process, or `None` once it died.
    pub(crate) fn owner(&self) -> Option<Arc<Process>> {
        self.owner.lock().clone()
    }

    /// Whether `p` owns this node (and is alive).
    pub(crate) fn is_owned_by(&self, p: &Process) -> bool {
        self.owner
            .lock()
            .as_ref()
            .is_some_and(|o| core::ptr::eq(&**o, p))
    }

    /// Forgets the owner; called by the owner, under its inner lock, as
    /// the node leaves its tree. Returns the owner's reference, to drop
    /// after unlocking.
    pub(crate) fn clear_owner(&self) -> Option<Arc<Process>> {
        // INVARIANT: the caller takes the node out of its owner's tree.
        self.owner.lock().take()
    }
}

/// A registered death notification.
pub(crate) struct Death {
    /// The process holding the reference (where `BR_DEAD_BINDER` goes).
    pub(crate) proc: Arc<Process>,
    pub(crate) cookie: u64,
    /// Queued or delivered and not yet acknowledged (changed under the
    /// holder's inner lock).
    pub(crate) queued: AtomicBool,
    /// Cleared while queued: `BR_CLEAR_DEATH_NOTIFICATION_DONE` follows the
    /// acknowledgement.
    pub(crate) and_clear: AtomicBool,
    /// What its next delivery is: `BR_CLEAR_DEATH_NOTIFICATION_DONE` if
    /// set, else `BR_DEAD_BINDER` (set as it is queued).
    pub(crate) clear_done: AtomicBool,
    _count: DeathCount,
}

/// A registered freeze notification (`BC_REQUEST_FREEZE_NOTIFICATION`).
///
/// The flags change under the holder's inner lock.
pub(crate) struct Freeze {
    /// The process holding the reference (where `BR_FROZEN_BINDER` goes).
    pub(crate) proc: Arc<Process>,
    pub(crate) cookie: u64,
    /// The state to report.
    pub(crate) is_frozen: AtomicBool,
    /// Queued, or delivered and not yet acknowledged.
    pub(crate) queued: AtomicBool,
    /// Delivered and not yet acknowledged.
    pub(crate) sent: AtomicBool,
    /// Send again once acknowledged.
    pub(crate) resend: AtomicBool,
    /// Cleared: the next delivery is `BR_CLEAR_FREEZE_NOTIFICATION_DONE`.
    pub(crate) clear: AtomicBool,
    _count: FreezeCount,
}

impl Freeze {
    pub(crate) fn new(proc: Arc<Process>, cookie: u64) -> Self {
        let f = || AtomicBool::new(false);
        Self {
            proc,
            cookie,
            is_frozen: f(),
            queued: f(),
            sent: f(),
            resend: f(),
            clear: f(),
            _count: FreezeCount::new(),
        }
    }
}

impl Death {
    pub(crate) fn new(proc: Arc<Process>, cookie: u64) -> Self {
        Self {
            proc,
            cookie,
            queued: AtomicBool::new(false),
            and_clear: AtomicBool::new(false),
            clear_done: AtomicBool::new(false),
            _count: DeathCount::new(),
        }
    }
}

/// The counts and state of a node, kept in its owner's inner state.
pub(crate) struct NodeState {
    pub(crate) node: DArc<Node>,
    /// References from other processes that are strong, plus the
    /// references transactions in flight hold.
    pub(crate) internal_strong: u32,
    /// References from other processes (each counts as a weak reference).
    pub(crate) refs: u32,
    /// The pids of the processes holding them (one per holder: as many as
    /// binder files are open, so `kvmalloc`ed).
    pub(crate) ref_pids: KVVec<i32>,
    /// Strong and weak counts held by the owner itself (objects in its own
    /// buffers, and the pending handshake).
    pub(crate) local_strong: u32,
    pub(crate) local_weak: u32,
    /// Whether the owner was told of a strong / weak reference.
    pub(crate) has_strong: bool,
    pub(crate) has_weak: bool,
    /// Whether the owner still has to acknowledge the last BR_ACQUIRE /
    /// BR_INCREFS.
    pub(crate) pending_strong: bool,
    pub(crate) pending_weak: bool,
    /// Whether a refcount update for this node is queued for the owner.
    pub(crate) work_queued: bool,
    /// A one-way transaction to this node is being handled.
    pub(crate) has_async: bool,
    /// One-way transactions waiting for the current one to finish.
    pub(crate) async_todo: Queue,
    /// Death and freeze notifications registered by holders of references
    /// (one vector for both: a node's state fits in a 128-byte slab).
    pub(crate) watches: KVVec<Watch>,
}

/// A notification registered on a node by a holder of a reference to it.
#[derive(Clone)]
pub(crate) enum Watch {
    Death(DArc<Death>),
    Freeze(DArc<Freeze>),
}

impl Watch {
    /// The death notification, if it is one.
    pub(crate) fn death(&self) -> Option<&DArc<Death>> {
        match self {
            Watch::Death(d) => Some(d),
            Watch::Freeze(_) => None,
        }
    }

    /// The freeze notification, if it is one.
    pub(crate) fn freeze(&self) -> Option<&DArc<Freeze>> {
        match self {
            Watch::Freeze(f) => Some(f),
            Watch::Death(_) => None,
        }
    }
}

impl NodeState {
    pub(crate) fn new(node: DArc<Node>) -> Self {
        Self {
            node,
            internal_strong: 0,
            refs: 0,
            ref_pids: KVVec::new(),
            local_strong: 0,
            local_weak: 0,
            has_strong: false,
            has_weak: false,
            pending_strong: false,
            pending_weak: false,
            work_queued: false,
            has_async: false,
            async_todo: Queue::new(),
            watches: KVVec::new(),
        }
    }

    /// The freeze notifications registered on the node.
    pub(crate) fn freezes(&self) -> impl Iterator<Item = &DArc<Freeze>> {
        self.watches.iter().filter_map(Watch::freeze)
    }

    /// Forgets death notification `death`.
    pub(crate) fn forget_death(&mut self, death: &DArc<Death>) {
        self.watches
            .retain(|w| !w.death().is_some_and(|d| Arc::ptr_eq(d, death)));
    }

    /// Forgets freeze notification `f`.
    pub(crate) fn forget_freeze(&mut self, f: &DArc<Freeze>) {
        self.watches
            .retain(|w| !w.freeze().is_some_and(|x| Arc::ptr_eq(x, f)));
    }

    /// Whether anything still holds the node strongly.
    pub(crate) fn strong(&self) -> bool {
        self.internal_strong > 0 || self.local_strong > 0
    }

    /// Whether anything still holds the node at all.
    pub(crate) fn weak(&self) -> bool {
        self.refs > 0 || self.local_weak > 0 || self.strong()
    }
}

/// A reference a process holds on a node of another process (or its own,
/// for the context manager's handle 0).
pub(crate) struct NodeRef {
    pub(crate) node: DArc<Node>,
    pub(crate) strong: u32,
    pub(crate) weak: u32,
    /// The death notification registered on this handle.
    pub(crate) death: Option<DArc<Death>>,
    /// The freeze notification registered on this handle.
    pub(crate) freeze: Option<DArc<Freeze>>,
    pub(crate) _count: RefCount,
}
