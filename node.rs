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

use crate::ffi::node_keys::NodeKey;
use crate::ffi::sync::SpinLock;
use crate::ffi::vec::ThinVec;
use crate::freeze::Freeze;
use crate::process::{Process, ProcessInner};
use crate::stats::{DeathCount, NodeCount, RefCount};
use crate::thread::{Thread, LOOPER_ENTERED, LOOPER_REGISTERED};
use crate::work::{DArc, Queue, View, WorkArc, Wrap};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::rbtree::RBTreeNode;
use kernel::sync::Arc;

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
    /// Debug id, for the logs and trace events (as C's `debug_id`, an
    /// `int` that may wrap).
    pub(crate) id: u32,
    /// The key of references to it (in each holder's `by_node` tree), of
    /// the device's dead nodes and of the context manager's node: unique
    /// among live nodes.
    key: NodeKey,
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
        let key = NodeKey::new()?;
        Wrap::pin_new(pin_init!(Self {
            // The debug id is only shown: its low 32 bits, as C's `int`.
            id: next_debug_id() as u32,
            key,
            ptr,
            cookie,
            flags,
            owner_pid,
            owner <- crate::new_spinlock!(Some(owner), "Node::owner"),
            _count: NodeCount::new(),
        }))
    }

    /// The node's key, unique among live nodes.
    pub(crate) fn key(&self) -> u32 {
        self.key.get()
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
    /// The pids of the processes holding them, one per holder.
    pub(crate) holders: Holders,
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
    /// (one vector for both, behind one pointer: a node's state tree entry
    /// fits in a 96-byte slab).
    pub(crate) watches: ThinVec<Watch>,
}

// A node's state tree entry (tree links 24 bytes, key 8, then this) fits
// a 96-byte slab.
const _: () = assert!(core::mem::size_of::<NodeState>() <= 64);

// A node with its queue links and `Arc` count fits a 96-byte slab
// (kernels without lock debugging, where a spinlock is 4 bytes).
#[cfg(not(any(CONFIG_DEBUG_SPINLOCK, CONFIG_DEBUG_LOCK_ALLOC, CONFIG_PREEMPT_RT)))]
const _: () = assert!(core::mem::size_of::<crate::work::Wrap<Node>>() <= 88);

/// How many holders' pids a node keeps inline.
const INLINE_HOLDERS: usize = 2;

/// The pids of the processes holding references to a node, one per
/// holder, kept oldest first: the first two inline (most nodes have one or
/// two holders), the others in a vector grown outside the owner's lock.
///
/// # Invariants
///
/// The used inline slots come first (a pid is never 0, the mark of an
/// unused slot), and `more` is empty unless both are used.
#[derive(Default)]
pub(crate) struct Holders {
    inline: [i32; INLINE_HOLDERS],
    more: ThinVec<i32>,
}

impl Holders {
    pub(crate) fn is_empty(&self) -> bool {
        self.inline.iter().all(|&p| p == 0)
    }

    /// The pids, newest first (as C lists a node's references: each new
    /// one goes at the head of `node->refs`).
    pub(crate) fn iter(&self) -> impl Iterator<Item = i32> + '_ {
        Iterator::chain(
            self.more.iter().rev().copied(),
            self.inline.iter().rev().copied().filter(|&p| p != 0),
        )
    }

    /// The vector a new pid goes to once the inline slots are used, for
    /// [`Process::reserve_vec_room`] to grow (`None`: a slot is free).
    pub(crate) fn room(&mut self) -> Option<&mut ThinVec<i32>> {
        self.inline
            .iter()
            .all(|&p| p != 0)
            .then_some(&mut self.more)
    }

    /// Whether [`Holders::push_within_capacity`] would find room.
    pub(crate) fn has_room(&self) -> bool {
        self.inline.iter().any(|&p| p == 0) || self.more.len() < self.more.capacity()
    }

    /// Adds `pid` without allocating; gives it back if there is no room.
    pub(crate) fn push_within_capacity(&mut self, pid: i32) -> Result<(), i32> {
        match self.inline.iter_mut().find(|p| **p == 0) {
            Some(slot) => {
                // INVARIANT: the first unused slot; `more` stays empty.
                *slot = pid;
                Ok(())
            }
            None => self.more.push_within_capacity(pid),
        }
    }

    /// Adds `pid`, allocating if needed (not under a spinlock).
    pub(crate) fn push(&mut self, pid: i32) -> Result {
        if let Err(pid) = self.push_within_capacity(pid) {
            self.more.push(pid, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// Removes one entry of `pid`.
    pub(crate) fn remove(&mut self, pid: i32) {
        if pid == 0 {
            return;
        }
        match self.inline.iter().position(|&p| p == pid) {
            Some(i) => {
                // INVARIANT: the later pids move down one slot, the oldest
                // of `more` into the last one.
                // (`i` is a slot's index: `i + 1 <= INLINE_HOLDERS`.)
                self.inline.copy_within(i + 1.., i);
                if let Some(last) = self.inline.last_mut() {
                    *last = self.more.remove_at(0).unwrap_or(0);
                }
            }
            None => {
                if let Some(i) = self.more.iter().position(|&p| p == pid) {
                    self.more.remove_at(i);
                }
            }
        }
    }
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
            holders: Holders::default(),
            local_strong: 0,
            local_weak: 0,
            has_strong: false,
            has_weak: false,
            pending_strong: false,
            pending_weak: false,
            work_queued: false,
            has_async: false,
            async_todo: Queue::new(),
            watches: ThinVec::new(),
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

// ---- node counts and death notifications, under the owner's lock ----

impl Process {
    /// The node of this process for `ptr`, created if new.
    pub(crate) fn get_or_create_node(
        self: &Arc<Self>,
        ptr: u64,
        cookie: u64,
        flags: u32,
    ) -> Result<DArc<Node>> {
        if let Some(ns) = self.inner.lock().nodes.get(&ptr) {
            return Ok(ns.node.clone());
        }
        let node = Node::new(self.clone(), ptr, cookie, flags)?;
        let rb = RBTreeNode::new(ptr, NodeState::new(node.clone()), GFP_KERNEL)?;
        let mut inner = self.inner.lock();
        if let Some(ns) = inner.nodes.get(&ptr) {
            return Ok(ns.node.clone());
        }
        if inner.is_dead {
            return Err(ESRCH);
        }
        inner.nodes.insert(rb);
        Ok(node)
    }

    /// Increments a count of `node` in its owner (this process); see the C
    /// driver's `binder_inc_node_nilocked`. `thread` is the sending thread
    /// (of this process) that gets the refcount update, if any.
    pub(crate) fn inc_node(
        &self,
        node: &DArc<Node>,
        strong: bool,
        internal: bool,
        thread: Option<&Arc<Thread>>,
    ) -> Result {
        // Only an internal strong count taken outside a thread asks whether
        // the node is the manager's (the manager lock goes before `inner`).
        let is_mgr = self.is_mgr_for_inc(node, strong, internal, thread);
        let mut inner = self.inner.lock();
        Self::inc_node_locked(&mut inner, node, (strong, internal), thread, is_mgr)
    }

    /// Whether [`Process::inc_node_locked`] needs to know that `node` is
    /// the context manager's, and it is (the manager lock is taken before
    /// `inner`).
    fn is_mgr_for_inc(
        &self,
        node: &DArc<Node>,
        strong: bool,
        internal: bool,
        thread: Option<&Arc<Thread>>,
    ) -> bool {
        // Only an internal strong count taken outside a thread asks.
        strong && internal && thread.is_none() && self.device.is_context_manager(node)
    }

    /// [`Process::inc_node`] under the lock; `is_mgr` from
    /// [`Process::is_mgr_for_inc`].
    fn inc_node_locked(
        inner: &mut ProcessInner,
        node: &DArc<Node>,
        (strong, internal): (bool, bool),
        thread: Option<&Arc<Thread>>,
        is_mgr: bool,
    ) -> Result {
        let Some(ns) = inner.node_state(node) else {
            return Ok(());
        };
        // Whatever can fail comes first: a failed call changes nothing.
        let work = if strong {
            if internal && thread.is_none() && ns.internal_strong == 0 && !(is_mgr && ns.has_strong)
            {
                return Err(EINVAL);
            }
            !ns.has_strong && thread.is_some()
        } else {
            if !ns.has_weak && !ns.work_queued && thread.is_none() {
                return Err(EINVAL);
            }
            !ns.has_weak && !ns.work_queued
        };
        let th = thread.filter(|_| work);
        let Some(ns) = inner.node_state(node) else {
            return Ok(());
        };
        match (strong, internal) {
            (true, true) => ns.internal_strong = ns.internal_strong.wrapping_add(1),
            (true, false) => ns.local_strong = ns.local_strong.wrapping_add(1),
            (false, false) => ns.local_weak = ns.local_weak.wrapping_add(1),
            (false, true) => {}
        }
        if let Some(th) = th {
            ns.work_queued = true;
            // For a strong count taken off its queue first, as C; for a
            // weak one queued only if it is in no queue.
            let w = if strong {
                inner.dequeue_node_work(node)
            } else {
                Wrap::item(node)
            };
            if let Some(w) = w {
                inner.push_thread_work(th.id, w, false);
            }
        }
        Ok(())
    }

    /// Increments a local count of our `node` (an object in a buffer).
    pub(crate) fn inc_node_local(&self, node: &DArc<Node>, strong: bool) -> Result {
        self.inc_node(node, strong, false, None)
    }

    /// Decrements a count of `node` (ours); see `binder_dec_node_nilocked`.
    pub(crate) fn dec_node(&self, node: &DArc<Node>, strong: bool, internal: bool) {
        let mut inner = self.inner.lock();
        let gone = self.dec_node_locked(&mut inner, node, strong, internal);
        drop(inner);
        drop(gone);
    }

    /// [`Process::dec_node`] under the lock. Returns the state of the node
    /// if it is gone, to be dropped after unlocking (its vectors may be
    /// `vmalloc`ed).
    #[must_use = "drop the node's state after unlocking"]
    pub(crate) fn dec_node_locked(
        &self,
        inner: &mut ProcessInner,
        node: &DArc<Node>,
        strong: bool,
        internal: bool,
    ) -> Option<NodeState> {
        let ns = inner.node_state(node)?;
        if strong {
            if internal {
                ns.internal_strong = ns.internal_strong.saturating_sub(1);
            } else {
                ns.local_strong = ns.local_strong.saturating_sub(1);
            }
            if ns.strong() {
                return None;
            }
        } else {
            if !internal {
                ns.local_weak = ns.local_weak.saturating_sub(1);
            }
            if ns.local_weak > 0 || ns.refs > 0 {
                return None;
            }
        }
        if ns.has_strong || ns.has_weak {
            if !ns.work_queued {
                ns.work_queued = true;
                if let Some(w) = Wrap::item(node) {
                    inner.push_proc_work(w);
                }
            }
        } else if ns.refs == 0 && ns.local_strong == 0 && ns.local_weak == 0 {
            if ns.work_queued {
                // The caller's reference keeps the node: dropping this one
                // under the lock frees nothing.
                drop(inner.dequeue_node_work(node));
            }
            return inner.nodes.remove(&node.ptr);
        }
        None
    }

    /// Makes room for one more element in the vector that `pick` chooses
    /// under `inner` (none: nothing to make room in), so that a later push
    /// under the lock needn't allocate (someone may take the room first:
    /// the caller then tries again). The vector grows outside the lock: a
    /// full one is measured, a larger one allocated unlocked and installed,
    /// and the vector replaced is dropped after unlocking.
    fn reserve_vec_room<T: Clone>(
        &self,
        pick: impl Fn(&mut ProcessInner) -> Option<&mut ThinVec<T>>,
    ) -> Result {
        // Every vector that is not installed is dropped after unlocking
        // (`vfree` may sleep; `inner` is a spinlock).
        let mut spare: Option<ThinVec<T>> = None;
        let leftover = loop {
            let mut inner = self.inner.lock();
            let v = match pick(&mut inner) {
                Some(v) if v.len() >= v.capacity() => v,
                // Nothing to make room in, or the room is there.
                _ => {
                    drop(inner);
                    break spare;
                }
            };
            spare = match spare.take() {
                Some(mut new) if new.capacity() > v.len() && new.is_empty() => {
                    // `new` has room for every element and one more: these
                    // pushes don't allocate.
                    for x in v.iter() {
                        if new.push_within_capacity(x.clone()).is_err() {
                            break;
                        }
                    }
                    if new.len() == v.len() {
                        let old = core::mem::replace(v, new);
                        drop(inner);
                        break Some(old);
                    }
                    Some(new)
                }
                other => other,
            };
            let want = v.len().saturating_mul(2).max(4);
            drop(inner);
            // A spare that didn't fit goes before the larger one is made.
            drop(spare.take());
            spare = Some(ThinVec::with_capacity(want, GFP_KERNEL)?);
        };
        drop(leftover);
        Ok(())
    }

    /// Counts a new reference of process `pid` to our `node`; `false` if
    /// the node is not ours any more.
    ///
    /// With `first` (`strong`, `thread`), the new reference's first count
    /// is taken too, as [`Process::inc_node`] with `internal`, under the
    /// same lock; if that fails, nothing is counted.
    ///
    /// Nothing here allocates: if the list of holders is full, `Ok(None)`
    /// and nothing is counted, unless `unlisted` allows the pid to go
    /// unlisted (the caller then makes room with [`Process::reserve_holder`]
    /// and tries again, once).
    pub(crate) fn count_ref(
        &self,
        node: &DArc<Node>,
        pid: i32,
        first: Option<(bool, Option<&Arc<Thread>>)>,
        unlisted: bool,
    ) -> Result<Option<bool>> {
        let is_mgr = first.is_some_and(|(strong, th)| self.is_mgr_for_inc(node, strong, true, th));
        let mut inner = self.inner.lock();
        let full = inner
            .node_state(node)
            .is_some_and(|ns| !ns.holders.has_room());
        if full && !unlisted {
            return Ok(None);
        }
        Self::count_ref_locked(&mut inner, node, pid, first, is_mgr).map(Some)
    }

    /// Makes room for one more holder of `node` (ours), before the holder
    /// locks its references and calls [`Process::count_ref`] again, which
    /// does not allocate. Without memory (or if the room is taken
    /// meanwhile), only binder_logs miss the holder's pid.
    pub(crate) fn reserve_holder(&self, node: &DArc<Node>) {
        if self
            .reserve_vec_room(|i| i.node_state(node).and_then(|ns| ns.holders.room()))
            .is_err()
        {
            // Only binder_logs miss the pid (see above).
        }
    }

    /// Makes room for one more watch (death or freeze notification) in
    /// the list of the node behind our `handle`, on its owner, before the
    /// watcher locks its references (nothing allocates under them).
    pub(crate) fn reserve_watch(&self, handle: u32) -> Result {
        let Some(node) = self.node_for_handle(handle, false) else {
            return Ok(());
        };
        match node.owner() {
            Some(o) => o.reserve_vec_room(|i| i.node_state(&node).map(|ns| &mut ns.watches)),
            None => Ok(()),
        }
    }

    /// [`Process::count_ref`] under the lock.
    fn count_ref_locked(
        inner: &mut ProcessInner,
        node: &DArc<Node>,
        pid: i32,
        first: Option<(bool, Option<&Arc<Thread>>)>,
        is_mgr: bool,
    ) -> Result<bool> {
        if inner.node_state(node).is_none() {
            return Ok(false);
        }
        if let Some((strong, th)) = first {
            Self::inc_node_locked(inner, node, (strong, true), th, is_mgr)?;
        }
        if let Some(ns) = inner.node_state(node) {
            ns.refs = ns.refs.wrapping_add(1);
            if ns.holders.push_within_capacity(pid).is_err() {
                // No room was found: the pid goes unlisted.
            }
        }
        Ok(true)
    }

    /// `BC_INCREFS_DONE` / `BC_ACQUIRE_DONE` for our node at `ptr`.
    pub(crate) fn refcount_done(&self, ptr: u64, cookie: u64, strong: bool) {
        let node = {
            let mut inner = self.inner.lock();
            let Some(ns) = inner.nodes.get_mut(&ptr) else {
                return;
            };
            if ns.node.cookie != cookie {
                return;
            }
            let pending = if strong {
                &mut ns.pending_strong
            } else {
                &mut ns.pending_weak
            };
            if !*pending {
                return;
            }
            *pending = false;
            ns.node.clone()
        };
        self.dec_node(&node, strong, false);
    }

    pub(crate) fn request_death(
        self: &Arc<Self>,
        _thread: &Arc<Thread>,
        handle: u32,
        cookie: u64,
    ) -> Result {
        let death = Wrap::new(Death::new(self.clone(), cookie))?;
        loop {
            // The room in the owner's list is made before `refs` is locked
            // (nothing allocates under it); if someone took it meanwhile,
            // this starts over.
            self.reserve_watch(handle)?;
            let mut refs = self.refs.lock();
            let Some(r) = refs.by_handle.get_mut(&handle) else {
                return Ok(());
            };
            if r.death.is_some() {
                return Ok(());
            }
            let node = r.node.clone();
            let registered = match node.owner() {
                Some(o) => {
                    let mut oi = o.inner.lock();
                    let alive = !oi.is_dead;
                    match oi.node_state(&node) {
                        Some(ns) if alive => {
                            let w = Watch::Death(death.clone());
                            if ns.watches.push_within_capacity(w).is_err() {
                                continue;
                            }
                            true
                        }
                        _ => false,
                    }
                }
                None => false,
            };
            if !registered {
                // The node is dead already: notify at once (our refs lock
                // keeps anyone from acting on it meanwhile).
                let mut inner = self.inner.lock();
                // New: in no queue yet.
                if let Some(w) = Wrap::item(&death) {
                    death.queued.store(true, Ordering::Relaxed);
                    inner.push_proc_work(w);
                }
            }
            // Only once the node knows it.
            r.death = Some(death);
            return Ok(());
        }
    }

    /// Removes `death` from `node`'s list, and a queued notification of it
    /// from our queue.
    pub(crate) fn forget_death(&self, node: &DArc<Node>, death: &DArc<Death>) {
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(node) {
                ns.forget_death(death);
            }
        }
        let mut inner = self.inner.lock();
        // Gone with the reference: a dying owner that still has it in its
        // list (taken before this) must not queue it (checked under this
        // lock).
        death.clear_done.store(true, Ordering::Relaxed);
        // In no queue (the usual case), no queue is walked.
        let w = Wrap::dequeue(death, [&mut inner.todo]);
        drop(inner);
        drop(w);
    }

    /// Queues `BR_CLEAR_DEATH_NOTIFICATION_DONE` of the death notification
    /// whose queue reference is `w` (it is in no queue).
    pub(crate) fn queue_clear_done(
        &self,
        inner: &mut ProcessInner,
        thread: &Arc<Thread>,
        w: WorkArc,
    ) {
        if let View::Death(death) = w.view() {
            death.queued.store(true, Ordering::Relaxed);
            death.clear_done.store(true, Ordering::Relaxed);
        }
        let looping = inner
            .threads
            .get(&thread.id)
            .is_some_and(|ts| ts.looper & (LOOPER_REGISTERED | LOOPER_ENTERED) != 0);
        if looping {
            inner.push_thread_work(thread.id, w, true);
        } else {
            inner.push_proc_work(w);
        }
    }

    pub(crate) fn clear_death(&self, thread: &Arc<Thread>, handle: u32, cookie: u64) {
        let mut refs = self.refs.lock();
        let Some(r) = refs.by_handle.get_mut(&handle) else {
            return;
        };
        match &r.death {
            Some(d) if d.cookie == cookie => {}
            _ => return,
        }
        let Some(death) = r.death.take() else { return };
        let node = r.node.clone();
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(&node) {
                ns.forget_death(&death);
            }
        }
        drop(refs);
        let mut inner = self.inner.lock();
        if death.queued.load(Ordering::Relaxed) {
            death.and_clear.store(true, Ordering::Relaxed);
        } else if let Some(w) = Wrap::item(&death) {
            // Not queued nor delivered: in no queue.
            self.queue_clear_done(&mut inner, thread, w);
        }
        drop(inner);
    }

    pub(crate) fn dead_binder_done(&self, thread: &Arc<Thread>, cookie: u64) {
        let mut inner = self.inner.lock();
        let Some(w) = inner
            .delivered_death
            .remove_item(|w| matches!(w, View::Death(d) if d.cookie == cookie))
        else {
            return;
        };
        let and_clear = match w.view() {
            View::Death(d) => {
                d.queued.store(false, Ordering::Relaxed);
                d.and_clear.load(Ordering::Relaxed)
            }
            _ => false,
        };
        if and_clear {
            self.queue_clear_done(&mut inner, thread, w);
        } else {
            drop(inner);
            drop(w);
        }
    }
}
