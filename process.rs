// SPDX-License-Identifier: GPL-2.0

//! A binder process: the state behind one open binder device file (its
//! threads' state, nodes, references, buffer area), the ioctls, mmap and
//! release. What runs on a thread (`BINDER_WRITE_READ`) is in `thread.rs`.
//!
//! Locks, in the order they may be taken:
//! 1. `BinderDevice::manager` (context manager),
//! 2. `Process::refs` (of any process),
//! 3. `Process::inner` (of any process, never two at once),
//! 4. `Transaction::links`,
//! 5. `Process::mapping` (never held while taking a lock above),
//! 6. `mmap_lock` of an address space (taken inside `mapping`),
//! 7. `Process::area` (spinlock; the only lock the `mmap` handler and
//!    `vm_ops->close` take).
//!
//! Leaves, taken under any of the above and taking nothing themselves:
//! `Registry::dead_nodes` (a dying owner moves its nodes there under its
//! `inner`), `Node::owner` (spinlock; cloned out, never held across a call),
//! `Registry::logs` (spinlock; entries copied out to be printed).
//!
//! `inner` is a [`DeferMutex`]: the threads to wake are chosen under it and
//! woken once it is released (only those waiting in a read or polling), so
//! a woken thread doesn't find the lock still held by its waker.
//!
//! Nothing on the IPC paths allocates under `inner`: work items carry their
//! own list links (`work.rs`), and the few vectors kept under it (waiting
//! threads, a node's holders and notifications) grow outside the lock
//! ([`Process::lock_with_vec_room`]) and are pushed into within capacity.
//! Only binder_logs' printing grows its text buffer under it.

use crate::allocation::{BufferMeta, BufferPages, Held, Mapping, MAX_AREA};
use crate::device::BinderDevice;
use crate::device::BINDER_VM_OPS;
use crate::ffi::file::close_fd;
use crate::ffi::mm::{MmGrab, VmaNew};
use crate::ffi::poll::{PollTable, POLLERR, POLLIN};
use crate::ffi::sync::{AfterUnlock, DeferGuard, DeferMutex, TryMutex};
use crate::ffi::task::{self, security, Cred, Kuid};
use crate::ffi::vec::VecExt;
use crate::handles::Handles;
use crate::node::{Death, Freeze, Node, NodeRef, NodeState};
use crate::stats::{Obj, ObjCount, Stats};
use crate::transaction::{send_failed_reply, Transaction};
use crate::uapi::*;
use crate::work::{same, Complete, CompleteArc, DArc, ErrorKind, Queue, View, Work, WorkArc, Wrap};
use core::fmt::Write as _;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation};
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, Mutex, SpinLock};
use kernel::task::Task;
use kernel::types::ARef;
use kernel::uaccess::UserSlice;

use crate::thread::{
    read_u32, read_u64, ExtendedError, Thread, ThreadState, WakeKind, Wakes, LOOPER_ENTERED,
    LOOPER_POLL, LOOPER_REGISTERED, LOOPER_WAITING,
};

/// The mutable state of a process.
pub(crate) struct ProcessInner {
    pub(crate) is_dead: bool,
    pub(crate) threads: RBTree<i32, ThreadState>,
    /// The process's nodes by their pointer.
    pub(crate) nodes: RBTree<u64, NodeState>,
    pub(crate) todo: Queue,
    /// Threads waiting for process work; the last one waited most recently.
    pub(crate) waiting: KVVec<Arc<Thread>>,
    /// Death notifications delivered and not yet acknowledged (each
    /// moves here from the queue it was read from).
    pub(crate) delivered_death: Queue,
    /// Freeze notifications delivered and not yet acknowledged.
    pub(crate) delivered_freeze: Queue,
    pub(crate) max_threads: u32,
    pub(crate) requested_threads: u32,
    pub(crate) requested_threads_started: u32,
    /// `BINDER_FREEZE`: frozen, and whether sync / one-way transactions
    /// arrived while frozen.
    pub(crate) is_frozen: bool,
    sync_recv: bool,
    async_recv: bool,
    /// Transactions queued to or being handled by this process.
    pub(crate) outstanding_txns: u32,
    /// Wake-ups to do once the lock is released.
    pub(crate) wakes: Wakes,
}

impl AfterUnlock for ProcessInner {
    type Deferred = Wakes;
    fn take_deferred(&mut self) -> Wakes {
        core::mem::replace(&mut self.wakes, Wakes::new())
    }
    fn run_deferred(w: Wakes) {
        w.run();
    }
}

impl ProcessInner {
    /// Whether sync transactions are still being handled here.
    fn txns_pending(&self) -> bool {
        self.outstanding_txns > 0 || self.threads.iter().any(|(_, ts)| ts.stack.is_some())
    }

    pub(crate) fn thread_mut(&mut self, id: i32) -> Option<&mut ThreadState> {
        self.threads.get_mut(&id)
    }

    pub(crate) fn node_state(&mut self, node: &Node) -> Option<&mut NodeState> {
        self.nodes
            .get_mut(&node.ptr)
            .filter(|ns| core::ptr::eq(&**ns.node, node))
    }

    pub(crate) fn available_for_proc_work(&self, id: i32) -> bool {
        self.threads
            .get(&id)
            .is_some_and(|ts| ts.stack.is_none() && ts.todo.is_empty())
    }

    pub(crate) fn has_work(&self, id: i32, proc_work: bool) -> bool {
        // `process_todo` with an empty `todo` would make a reader spin
        // without sleeping: only work that is there counts.
        self.threads.get(&id).is_some_and(|ts| {
            (ts.process_todo && !ts.todo.is_empty())
                || ts.thread.need_return.load(Ordering::Relaxed)
        }) || (proc_work && !self.todo.is_empty())
    }

    /// Queues `w` for `id`; `wake` marks it as work that ends a wait. If
    /// the thread is gone (it exited; its queue was disposed of), work that
    /// must not be lost (a transaction, a refcount update, a notification)
    /// goes to the process instead; its completions and errors go with it.
    fn push_thread_work(&mut self, id: i32, w: WorkArc, wake: bool) {
        match self.threads.get_mut(&id) {
            Some(ts) => {
                ts.todo.push_back(w);
                if wake {
                    ts.process_todo = true;
                    ts.wake(&mut self.wakes, WakeKind::Normal);
                }
            }
            None if matches!(w.view(), View::Complete | View::Error(_)) => {}
            None => self.push_proc_work(w),
        }
    }

    /// Queues a sync call or a reply for `id` and wakes it synchronously
    /// (the caller is about to wait for the answer); the caller checked
    /// that the thread is there.
    fn push_thread_work_sync(&mut self, id: i32, w: WorkArc) {
        match self.threads.get_mut(&id) {
            Some(ts) => {
                ts.todo.push_back(w);
                ts.process_todo = true;
                ts.wake(&mut self.wakes, WakeKind::Sync);
            }
            None => self.push_proc_work(w),
        }
    }

    /// Queues `w` for any thread of the process and wakes one.
    fn push_proc_work(&mut self, w: WorkArc) {
        self.todo.push_back(w);
        self.wake_one(false);
    }

    /// Queues a sync call for any thread and wakes one synchronously.
    fn push_proc_work_sync(&mut self, w: WorkArc) {
        self.todo.push_back(w);
        self.wake_one(true);
    }

    /// Queues thread `id`'s pending error (return or reply) once.
    fn push_thread_error(&mut self, id: i32, reply: bool) {
        let Some(ts) = self.threads.get_mut(&id) else {
            return;
        };
        let work = if reply {
            &ts.thread.reply_work
        } else {
            &ts.thread.return_work
        };
        // Queued at most once (one pending error per kind, as C's
        // `thread->return_error.work`): if it is queued, the new command
        // replaced the old one.
        if let Some(w) = Wrap::item(work) {
            self.push_thread_work(id, w, true);
        }
    }

    pub(crate) fn wake_one(&mut self, sync: bool) {
        if let Some(t) = self.waiting.pop() {
            let kind = if sync {
                WakeKind::Sync
            } else {
                WakeKind::Normal
            };
            self.wakes.add(&t, Some(kind), false);
            return;
        }
        // Nobody waits in a read: wake the pollers that could take it.
        for (_, ts) in self.threads.iter() {
            let free = ts.stack.is_none() && ts.todo.is_empty();
            if ts.looper & LOOPER_POLL != 0 && free {
                self.wakes.add(&ts.thread, None, true);
            }
        }
    }

    /// Removes the queued refcount update of `node` from wherever it is.
    fn dequeue_node_work(&mut self, node: &DArc<Node>) {
        let is = |w: View<'_>| matches!(w, View::Node(n) if core::ptr::eq(n, &***node));
        if self.todo.remove_item(is).is_some() {
            return;
        }
        for (_, ts) in self.threads.iter_mut() {
            if ts.todo.remove_item(is).is_some() {
                if ts.todo.is_empty() {
                    ts.process_todo = false;
                }
                return;
            }
        }
    }
}

/// References a process holds, by handle and by node.
pub(crate) struct ProcessRefs {
    pub(crate) by_handle: RBTree<u32, NodeRef>,
    /// The handles of `by_handle`, for the lowest free one.
    handles: Handles,
    by_node: RBTree<usize, u32>,
    /// The process was released: it makes no new references (they would
    /// never be dropped).
    dead: bool,
}

/// What the `mmap` handler leaves for the allocator.
struct Area {
    mapped: bool,
    pending: Option<(usize, usize)>,
    /// The mapping (or part of it) was unmapped: no more buffers, for
    /// good (`ESRCH`, as C once its `alloc->vma` is cleared).
    closed: bool,
}

/// A binder process.
#[pin_data]
pub(crate) struct Process {
    pub(crate) device: Arc<BinderDevice>,
    /// The group leader that opened the device.
    pub(crate) task: ARef<Task>,
    /// Its thread-group id.
    pub(crate) pid: i32,
    /// Credentials of the opener.
    pub(crate) cred: Cred,
    /// The opener's nice value: threads waiting for process work run at it.
    pub(crate) default_priority: i32,
    mm: Option<MmGrab>,
    #[pin]
    pub(crate) inner: DeferMutex<ProcessInner>,
    #[pin]
    pub(crate) refs: Mutex<ProcessRefs>,
    #[pin]
    pub(crate) mapping: TryMutex<Option<Mapping>>,
    #[pin]
    area: SpinLock<Area>,
    /// Where `BINDER_FREEZE` waits for outstanding transactions.
    #[pin]
    freeze_wait: CondVar,
    /// `BINDER_ENABLE_ONEWAY_SPAM_DETECTION`.
    pub(crate) spam_detection: AtomicBool,
    /// Set with `inner.is_dead`, to be read without the lock.
    dead: AtomicBool,
    /// Whether this process made its `binder_logs/proc/<pid>` entry.
    pub(crate) log_entry: AtomicBool,
    /// Commands and returns of this process.
    pub(crate) stats: Stats,
    _count: ObjCount,
}

impl Process {
    /// Creates the process for a file being opened by the current task.
    pub(crate) fn new(device: Arc<BinderDevice>, cred: Cred) -> Result<Arc<Self>> {
        let task: ARef<Task> = task::current_group_leader();
        Arc::pin_init(
            pin_init!(Self {
                device,
                task,
                pid: task::current_tgid(),
                cred,
                default_priority: task::current_nice(),
                mm: MmGrab::current(),
                inner <- crate::new_defer_mutex!(ProcessInner {
                    is_dead: false,
                    threads: RBTree::new(),
                    nodes: RBTree::new(),
                    todo: Queue::new(),
                    waiting: KVVec::new(),
                    delivered_death: Queue::new(),
                    delivered_freeze: Queue::new(),
                    max_threads: 0,
                    requested_threads: 0,
                    requested_threads_started: 0,
                    is_frozen: false,
                    sync_recv: false,
                    async_recv: false,
                    outstanding_txns: 0,
                    wakes: Wakes::new(),
                }, "Process::inner"),
                freeze_wait <- kernel::new_condvar!("Process::freeze_wait"),
                refs <- kernel::new_mutex!(ProcessRefs {
                    by_handle: RBTree::new(),
                    handles: Handles::new(),
                    by_node: RBTree::new(),
                    dead: false,
                }, "Process::refs"),
                mapping <- crate::new_trymutex!(None, "Process::mapping"),
                area <- kernel::new_spinlock!(Area { mapped: false, pending: None, closed: false }, "Process::area"),
                spam_detection: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                log_entry: AtomicBool::new(false),
                stats: Stats::new(),
                _count: ObjCount::new(Obj::Proc),
            }),
            GFP_KERNEL,
        )
    }

    /// Whether the process was released (`inner.is_dead`, read without
    /// the lock).
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    // ---- ioctls ----

    /// Handles an ioctl on the process's file.
    pub(crate) fn ioctl(self: &Arc<Self>, cmd: u32, arg: usize, nonblock: bool) -> Result<i32> {
        let thread = self.get_thread()?;
        let res = self.ioctl_thread(&thread, cmd, arg, nonblock);
        thread.need_return.store(false, Ordering::Relaxed);
        res
    }

    fn ioctl_thread(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        cmd: u32,
        arg: usize,
        nonblock: bool,
    ) -> Result<i32> {
        match cmd {
            BINDER_WRITE_READ => self.write_read(thread, arg, nonblock)?,
            BINDER_SET_MAX_THREADS => {
                let mut r = UserSlice::new(arg, 4).reader();
                let max = read_u32(&mut r).map_err(|_| EINVAL)?;
                self.inner.lock().max_threads = max;
            }
            BINDER_SET_CONTEXT_MGR_EXT => {
                let mut b = [0u8; 24];
                UserSlice::new(arg, 24)
                    .reader()
                    .read_slice(&mut b)
                    .map_err(|_| EINVAL)?;
                let flags = u32::from_ne_bytes([b[4], b[5], b[6], b[7]]);
                let mut p = [0u8; 8];
                p.copy_from_slice(&b[8..16]);
                let mut c = [0u8; 8];
                c.copy_from_slice(&b[16..24]);
                self.set_context_mgr(u64::from_ne_bytes(p), u64::from_ne_bytes(c), flags)?;
            }
            BINDER_SET_CONTEXT_MGR => self.set_context_mgr(0, 0, 0)?,
            BINDER_THREAD_EXIT => self.thread_release(thread),
            BINDER_VERSION => {
                let version = BINDER_CURRENT_PROTOCOL_VERSION as i32;
                // As the C driver: a fault here is reported as EINVAL.
                UserSlice::new(arg, 4)
                    .writer()
                    .write_slice(&version.to_ne_bytes())
                    .map_err(|_| EINVAL)?;
            }
            BINDER_GET_NODE_DEBUG_INFO => {
                let (mut r, mut w) = UserSlice::new(arg, 24).reader_writer();
                let ptr = read_u64(&mut r)?;
                let mut out = [0u8; 24];
                let mut inner = self.inner.lock();
                if let Some(c) = inner
                    .nodes
                    .cursor_lower_bound(&ptr.wrapping_add(1))
                    .filter(|_| ptr != u64::MAX)
                {
                    let (_, ns) = c.current();
                    out[..8].copy_from_slice(&ns.node.ptr.to_ne_bytes());
                    out[8..16].copy_from_slice(&ns.node.cookie.to_ne_bytes());
                    out[16..20].copy_from_slice(&(ns.has_strong as u32).to_ne_bytes());
                    out[20..24].copy_from_slice(&(ns.has_weak as u32).to_ne_bytes());
                }
                drop(inner);
                w.write_slice(&out)?;
            }
            BINDER_GET_NODE_INFO_FOR_REF => {
                let (mut r, mut w) = UserSlice::new(arg, 24).reader_writer();
                let mut b = [0u8; 24];
                r.read_slice(&mut b)?;
                if b[4..].iter().any(|&x| x != 0) {
                    return Err(EINVAL);
                }
                let handle = u32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                match self.device.context_manager() {
                    Some(n) if n.is_owned_by(self) => {}
                    _ => return Err(EPERM),
                }
                let node = self.node_for_handle(handle, true).ok_or(EINVAL)?;
                let (strong, weak) = match node.owner() {
                    Some(o) => match o.inner.lock().node_state(&node) {
                        Some(ns) => (
                            ns.local_strong.wrapping_add(ns.internal_strong),
                            ns.local_weak,
                        ),
                        None => (0, 0),
                    },
                    None => (0, 0),
                };
                b[4..8].copy_from_slice(&strong.to_ne_bytes());
                b[8..12].copy_from_slice(&weak.to_ne_bytes());
                w.write_slice(&b)?;
            }
            BINDER_ENABLE_ONEWAY_SPAM_DETECTION => {
                let mut r = UserSlice::new(arg, 4).reader();
                let v = read_u32(&mut r)?;
                self.spam_detection.store(v != 0, Ordering::Relaxed);
            }
            BINDER_FREEZE => {
                let mut b = [0u8; 12];
                UserSlice::new(arg, 12).reader().read_slice(&mut b)?;
                let w = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
                let targets = self.device.registry.with_pid(w(0) as i32)?;
                if targets.is_empty() {
                    return Err(EINVAL);
                }
                let mut res = Ok(());
                for p in targets.iter() {
                    if res.is_ok() {
                        res = p.freeze(w(4) != 0, w(8));
                    }
                }
                res?;
            }
            BINDER_GET_FROZEN_INFO => {
                let (mut r, mut w) = UserSlice::new(arg, 12).reader_writer();
                let mut b = [0u8; 12];
                r.read_slice(&mut b)?;
                let pid = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
                let targets = self.device.registry.with_pid(pid)?;
                if targets.is_empty() {
                    return Err(EINVAL);
                }
                let (mut sync, mut async_) = (0u32, 0u32);
                for p in targets.iter() {
                    let inner = p.inner.lock();
                    sync |= inner.sync_recv as u32 | ((inner.txns_pending() as u32) << 1);
                    async_ |= inner.async_recv as u32;
                }
                b[4..8].copy_from_slice(&sync.to_ne_bytes());
                b[8..12].copy_from_slice(&async_.to_ne_bytes());
                w.write_slice(&b)?;
            }
            BINDER_GET_EXTENDED_ERROR => {
                let ee = {
                    let mut inner = self.inner.lock();
                    let ts = inner.thread_mut(thread.id).ok_or(EINVAL)?;
                    let ee = ts.ee;
                    ts.ee = ExtendedError {
                        id: 0,
                        command: BR_OK,
                        param: 0,
                    };
                    ee
                };
                let mut b = [0u8; 12];
                b[..4].copy_from_slice(&ee.id.to_ne_bytes());
                b[4..8].copy_from_slice(&ee.command.to_ne_bytes());
                b[8..].copy_from_slice(&ee.param.to_ne_bytes());
                UserSlice::new(arg, 12).writer().write_slice(&b)?;
            }
            _ => return Err(EINVAL),
        }
        Ok(0)
    }

    fn set_context_mgr(self: &Arc<Self>, ptr: u64, cookie: u64, flags: u32) -> Result {
        let euid = Kuid::current_euid();
        let mut mgr = self.device.manager.lock();
        if mgr.node.is_some() {
            return Err(EBUSY);
        }
        security::binder_set_context_mgr(&self.cred)?;
        match mgr.uid {
            Some(uid) if uid != euid => return Err(EPERM),
            Some(_) => {}
            None => mgr.uid = Some(euid),
        }
        let node = self.get_or_create_node(ptr, cookie, flags)?;
        {
            let mut inner = self.inner.lock();
            if let Some(ns) = inner.node_state(&node) {
                ns.local_weak = ns.local_weak.wrapping_add(1);
                ns.local_strong = ns.local_strong.wrapping_add(1);
                ns.has_strong = true;
                ns.has_weak = true;
            }
        }
        mgr.node = Some(node);
        Ok(())
    }

    /// `BINDER_FREEZE` for this process: freezing waits up to `timeout_ms`
    /// for outstanding transactions, and fails with `EAGAIN` (unfrozen
    /// again) if sync work is still pending.
    fn freeze(&self, enable: bool, timeout_ms: u32) -> Result {
        let res = self.freeze_locked(enable, timeout_ms);
        if res.is_ok() {
            self.add_freeze_work(enable);
        }
        res
    }

    fn freeze_locked(&self, enable: bool, timeout_ms: u32) -> Result {
        let mut inner = self.inner.lock();
        inner.sync_recv = false;
        inner.async_recv = false;
        inner.is_frozen = enable;
        if !enable {
            return Ok(());
        }
        let mut res = Ok(());
        if timeout_ms > 0 {
            let mut left = kernel::time::msecs_to_jiffies(timeout_ms);
            while inner.outstanding_txns > 0 {
                match self
                    .freeze_wait
                    .wait_interruptible_timeout(inner.for_wait(), left)
                {
                    CondVarTimeoutResult::Timeout => break,
                    CondVarTimeoutResult::Signal { .. } => {
                        res = Err(ERESTARTSYS);
                        break;
                    }
                    CondVarTimeoutResult::Woken { jiffies } => left = jiffies,
                }
            }
        }
        if res.is_ok() && inner.txns_pending() {
            res = Err(EAGAIN);
        }
        if res.is_err() {
            inner.is_frozen = false;
        }
        res
    }

    /// A transaction counted in `outstanding_txns` of this process is done;
    /// `inner` is this process's locked state.
    pub(crate) fn txn_done_locked(&self, inner: &mut ProcessInner, t: &Transaction) {
        // Its buffer no longer belongs to a live transaction (unless its
        // delivery already said so).
        let buffer = match t.buffer_inactive.load(Ordering::Relaxed) {
            true => None,
            false => t.links.lock().buffer,
        };
        if let Some(off) = buffer {
            if let Some(meta) = self.mapping.lock().as_mut().and_then(|m| m.meta_mut(off)) {
                meta.active = false;
            }
        }
        if t.counted.swap(false, Ordering::AcqRel) {
            inner.outstanding_txns = inner.outstanding_txns.saturating_sub(1);
            if inner.outstanding_txns == 0 {
                self.freeze_wait.notify_all();
            }
        }
    }

    /// As [`Process::txn_done_locked`], taking the lock.
    pub(crate) fn txn_done(&self, t: &Transaction) {
        let mut inner = self.inner.lock();
        self.txn_done_locked(&mut inner, t);
    }

    // ---- used by transactions ----

    /// Records the extended error of thread `id`.
    pub(crate) fn set_extended_error(&self, id: i32, txn: usize, command: u32, param: i32) {
        if let Some(ts) = self.inner.lock().thread_mut(id) {
            ts.ee = ExtendedError {
                id: txn as u32,
                command,
                param,
            };
        }
    }

    /// Records a failed reply in the extended error of the caller `thread`,
    /// unless it already has one.
    pub(crate) fn set_caller_error(
        &self,
        thread: &Arc<Thread>,
        txn: usize,
        command: u32,
        param: i32,
    ) {
        if let Some(ts) = self.inner.lock().thread_mut(thread.id) {
            if ts.ee.command == BR_OK {
                ts.ee = ExtendedError {
                    id: txn as u32,
                    command,
                    param,
                };
            }
        }
    }

    /// Makes `cmd` the pending return error of thread `id`.
    pub(crate) fn queue_return_error(&self, id: i32, cmd: u32) {
        let mut inner = self.inner.lock();
        if let Some(ts) = inner.thread_mut(id) {
            ts.thread.return_error.store(cmd, Ordering::Relaxed);
        }
        inner.push_thread_error(id, false);
    }

    /// Queues completion `c` (allocated before the lock) for thread `id`
    /// of this process.
    pub(crate) fn queue_complete(&self, id: i32, c: CompleteArc) {
        self.inner.lock().push_thread_work(id, c, true);
    }

    /// Thread `id` sent the reply to `orig` (a call to this process): its
    /// completion `c`, and the call is done.
    pub(crate) fn reply_sent(&self, id: i32, orig: &Transaction, c: CompleteArc) {
        let mut inner = self.inner.lock();
        inner.push_thread_work(id, c, true);
        // The call came to this process (`orig.to_proc`).
        self.txn_done_locked(&mut inner, orig);
    }

    /// Takes back the deferred completion `c` of thread `id` (its call
    /// could not be sent); dropped after unlocking.
    pub(crate) fn dequeue_complete(&self, id: i32, c: &DArc<Complete>) {
        let mut inner = self.inner.lock();
        let c = inner.thread_mut(id).and_then(|ts| {
            let c = ts.todo.remove_same(c);
            if ts.todo.is_empty() {
                ts.process_todo = false;
            }
            c
        });
        drop(inner);
        drop(c);
    }

    /// Pushes the call `t` on `thread`'s stack, with its deferred
    /// completion `c`.
    pub(crate) fn push_outgoing(
        &self,
        thread: &Arc<Thread>,
        t: &DArc<Transaction>,
        c: CompleteArc,
    ) {
        let mut inner = self.inner.lock();
        if let Some(ts) = inner.thread_mut(thread.id) {
            ts.todo.push_back(c);
            t.links.lock().from_parent = ts.stack.take();
            ts.stack = Some(t.clone());
        }
    }

    /// Pops the call `t` from `thread`'s stack after it could not be sent.
    pub(crate) fn pop_outgoing(&self, thread: &Arc<Thread>, t: &DArc<Transaction>) {
        let mut inner = self.inner.lock();
        if let Some(ts) = inner.thread_mut(thread.id) {
            if ts.stack.as_ref().is_some_and(|s| Arc::ptr_eq(s, t)) {
                ts.stack = t.links.lock().from_parent.take();
            }
        }
    }

    /// Whether `thread` of this process is waiting for the reply to `t`.
    pub(crate) fn is_waiting_on(&self, thread: &Arc<Thread>, t: &DArc<Transaction>) -> bool {
        let inner = self.inner.lock();
        inner
            .threads
            .get(&thread.id)
            .and_then(|ts| ts.stack.as_ref())
            .is_some_and(|s| Arc::ptr_eq(s, t))
    }

    /// Queues transaction `t` in this (target) process: for `thread` if
    /// given, else for a waiting thread or the process.
    pub(crate) fn deliver(
        &self,
        t: DArc<Transaction>,
        thread: Option<Arc<Thread>>,
    ) -> Result<bool, crate::transaction::TxnError> {
        let err = |cmd| crate::transaction::TxnError::new(cmd, 0);
        let oneway = t.is_oneway();
        let mut outdated = None;
        // A new transaction is in no queue yet.
        let item = Wrap::item(&t).ok_or(err(BR_FAILED_REPLY))?;
        let mut inner = self.inner.lock();
        // A one-way waits behind the one its node is handling.
        let pending_async = oneway
            && t.target_node
                .as_ref()
                .and_then(|n| inner.node_state(n))
                .is_some_and(|ns| ns.has_async);
        let frozen = inner.is_frozen;
        if frozen {
            inner.sync_recv |= !oneway;
            inner.async_recv |= oneway;
        }
        if frozen && !oneway {
            return Err(err(BR_FROZEN_REPLY));
        }
        let thread_gone = thread.as_ref().is_some_and(|th| {
            !inner
                .threads
                .get(&th.id)
                .is_some_and(|ts| Arc::ptr_eq(&ts.thread, th))
        });
        if inner.is_dead || thread_gone {
            return Err(err(BR_DEAD_REPLY));
        }
        let idle = thread.is_none() && !pending_async;
        let thread = match thread {
            Some(th) => Some(th),
            None if idle => inner.waiting.last().cloned(),
            None => None,
        };
        // A one-way behind another needs its node's queue.
        if pending_async
            && thread.is_none()
            && !t
                .target_node
                .as_ref()
                .is_some_and(|n| inner.node_state(n).is_some())
        {
            return Err(err(BR_FAILED_REPLY));
        }
        if idle && thread.is_some() {
            inner.waiting.pop();
        }
        if oneway && !pending_async {
            if let Some(ns) = t.target_node.as_ref().and_then(|n| inner.node_state(n)) {
                ns.has_async = true;
            }
        }
        let sync = !t.is_oneway();
        if let Some(th) = thread {
            if sync {
                inner.push_thread_work_sync(th.id, item);
            } else {
                inner.push_thread_work(th.id, item, true);
            }
        } else if !pending_async {
            if sync {
                inner.push_proc_work_sync(item);
            } else {
                inner.push_proc_work(item);
            }
        } else if let Some(ns) = t.target_node.as_ref().and_then(|n| inner.node_state(n)) {
            // (Checked above: the node is ours.)
            if frozen && t.flags & TF_UPDATE_TXN != 0 {
                outdated = ns
                    .async_todo
                    .remove_first(|w| matches!(w, View::Transaction(q) if q.can_be_updated_by(&t)));
            }
            ns.async_todo.push_back(item);
        }
        inner.outstanding_txns = inner.outstanding_txns.wrapping_add(1);
        t.counted.store(true, Ordering::Release);
        if let Some(Work::Transaction(old)) = &outdated {
            self.txn_done_locked(&mut inner, old);
        }
        drop(inner);
        // The superseded one-way transaction and its buffer go; it waited
        // in the node's queue, so the node's one-way in flight is not this
        // one and stays (C frees only the buffer too).
        if let Some(Work::Transaction(old)) = outdated {
            let buffer = old.links.lock().buffer.take();
            if let Some(off) = buffer {
                self.release_buffer(off, false, false);
            }
        }
        Ok(oneway && frozen)
    }

    /// Delivers reply `t` to `thread` (of this process), which waits for
    /// `orig`.
    pub(crate) fn deliver_reply(
        &self,
        thread: &Arc<Thread>,
        orig: &DArc<Transaction>,
        t: DArc<Transaction>,
    ) -> Result<(), crate::transaction::TxnError> {
        // A new reply is in no queue yet.
        let item = Wrap::item(&t).ok_or(crate::transaction::TxnError::new(BR_FAILED_REPLY, 0))?;
        let mut inner = self.inner.lock();
        let Some(ts) = inner
            .thread_mut(thread.id)
            .filter(|ts| Arc::ptr_eq(&ts.thread, thread))
        else {
            return Err(crate::transaction::TxnError::new(
                BR_DEAD_REPLY,
                EINVAL.to_errno(),
            ));
        };
        if ts.stack.as_ref().is_some_and(|s| Arc::ptr_eq(s, orig)) {
            ts.stack = orig.links.lock().from_parent.take();
        }
        inner.push_thread_work_sync(thread.id, item);
        inner.outstanding_txns = inner.outstanding_txns.wrapping_add(1);
        t.counted.store(true, Ordering::Release);
        Ok(())
    }

    /// Tells `thread` (of this process), which waits for `t`, that the call
    /// failed with `cmd`.
    pub(crate) fn fail_waiting_thread(
        &self,
        thread: &Arc<Thread>,
        t: &DArc<Transaction>,
        cmd: u32,
    ) {
        let mut inner = self.inner.lock();
        let Some(ts) = inner
            .thread_mut(thread.id)
            .filter(|ts| Arc::ptr_eq(&ts.thread, thread))
        else {
            return;
        };
        if ts.stack.as_ref().is_some_and(|s| Arc::ptr_eq(s, t)) {
            ts.stack = t.links.lock().from_parent.take();
        }
        if ts.reply_error == BR_OK {
            ts.reply_error = cmd;
            inner.push_thread_error(thread.id, true);
        }
    }

    // ---- buffers ----

    /// Allocates a buffer of `size` bytes; returns its offset and the
    /// area's user address.
    /// The buffer comes with the window of its pages loaded
    /// ([`BufferPages`], under the same lock).
    pub(crate) fn alloc_buffer(
        &self,
        size: usize,
        meta: BufferMeta,
    ) -> Result<(BufferPages<'_>, usize, bool)> {
        let mm = self.mm.as_ref().ok_or(ESRCH)?;
        let mut mapping = self.mapping.lock();
        if mapping.is_none() {
            let pending = self.area.lock().pending.take();
            let (start, len) = pending.ok_or(ESRCH)?;
            *mapping = Some(Mapping::new(
                start,
                len,
                (self.vma_id(), self.pid),
                &BINDER_VM_OPS,
            )?);
        }
        // Checked first, as C checks its vma before the sizes.
        if self.area.lock().closed {
            return Err(ESRCH);
        }
        let m = mapping.as_mut().ok_or(ESRCH)?;
        let (off, suspect) = m.alloc(mm, size, meta)?;
        let mut pages = BufferPages::new(&self.mapping, off, size);
        pages.preload(m);
        Ok((pages, m.start, suspect))
    }

    /// Records the references a buffer holds.
    pub(crate) fn set_buffer_held(&self, off: usize, held: KVVec<Held>) {
        // Most buffers hold nothing (the metadata starts empty).
        if held.is_empty() {
            return;
        }
        let mut mapping = self.mapping.lock();
        // The vector replaced (empty), or `held` if the buffer is gone, is
        // dropped after unlocking.
        let old = match mapping.as_mut().and_then(|m| m.meta_mut(off)) {
            Some(m) => core::mem::replace(&mut m.held, held),
            None => held,
        };
        drop(mapping);
        drop(old);
    }

    /// Frees the buffer at offset `off`: releases what its objects hold and
    /// starts the next one-way transaction of its node.
    pub(crate) fn free_buffer(&self, off: usize) {
        self.release_buffer(off, false, true);
    }

    /// Frees buffer `off` (as [`Process::free_buffer`]); `user` when the
    /// reader freed it or could not take it, in which case the fds its fd
    /// arrays installed are closed in the current task.
    pub(crate) fn free_buffer_as(&self, off: usize, user: bool) {
        self.release_buffer(off, user, true);
    }

    /// Frees buffer `off`: closes the fds it installed if `close_fds`,
    /// starts the next one-way transaction of its node if `next_async` (not
    /// for a one-way superseded by `TF_UPDATE_TXN`, which was never the
    /// node's one in flight), and releases what its objects hold.
    fn release_buffer(&self, off: usize, user: bool, next_async: bool) {
        // A read that failed returns to user space, running the closes.
        self.release_found(|_| Some(off), user, next_async);
    }

    /// [`Process::release_buffer`] of the buffer that `find` picks under
    /// the mapping lock (`None`: nothing to free).
    /// Returns whether it queued closes of fds (done when the task returns
    /// to user space).
    fn release_found(
        &self,
        find: impl FnOnce(&mut Mapping) -> Option<usize>,
        user: bool,
        next_async: bool,
    ) -> bool {
        let Some(mm) = self.mm.as_ref() else {
            return false;
        };
        let mut to_close = KVVec::new();
        let meta = match self.mapping.lock().as_mut() {
            Some(m) => {
                let Some(off) = find(m) else {
                    return false;
                };
                // The fds its reader installed from fd arrays are closed
                // when user space frees it (listed when installed).
                if let Some(meta) = m.meta_mut(off).filter(|_| user) {
                    to_close = core::mem::replace(&mut meta.close_on_free, KVVec::new());
                }
                crate::trace::buffer_release(m, off, user, next_async);
                m.free(mm, off)
            }
            None => None,
        };
        let mut closing = false;
        for fd in to_close.iter() {
            closing |= close_fd(*fd);
            task::cond_resched();
        }
        let Some(meta) = meta else {
            return closing;
        };
        // The node's next one-way, then the target node's count, then the
        // objects', as C releases them. The target node is normally ours
        // (the buffer is in its owner's area): both under one lock.
        let async_next = meta
            .target_node
            .as_ref()
            .filter(|_| meta.is_async && next_async);
        let own_target = meta.target_node.as_ref().filter(|n| n.is_owned_by(self));
        if async_next.is_some() || own_target.is_some() {
            let mut inner = self.inner.lock();
            if let Some(node) = async_next {
                let next = inner.node_state(node).and_then(|ns| {
                    let w = ns.async_todo.pop_item();
                    if w.is_none() {
                        ns.has_async = false;
                    }
                    w
                });
                if let Some(w) = next {
                    inner.push_proc_work(w);
                }
            }
            if let Some(node) = own_target {
                self.dec_node_locked(&mut inner, node, true, false);
            }
        }
        if let Some(node) = meta.target_node.as_ref().filter(|_| own_target.is_none()) {
            if let Some(o) = node.owner() {
                o.dec_node(node, true, false);
            }
        }
        for h in meta.held.iter() {
            match h {
                Held::Node { node, strong } => {
                    if let Some(o) = node.owner() {
                        o.dec_node(node, *strong, false);
                    }
                }
                Held::Ref { node, strong } => {
                    let handle = self.refs.lock().by_node.get(&node.id).copied();
                    if let Some(handle) = handle {
                        // As C's buffer release, a count that is already
                        // gone is only reported.
                        if let Err(e) = self.update_ref(handle, false, *strong) {
                            if crate::debug::enabled(crate::debug::USER_ERROR) {
                                pr_info!(
                                    "{}: buffer release of ref {} failed {}\n",
                                    self.pid,
                                    handle,
                                    e.to_errno()
                                );
                            }
                        }
                    }
                }
            }
        }
        closing
    }

    /// Returns whether fds are to be closed when the thread returns to user
    /// space.
    pub(crate) fn user_free_buffer(&self, ptr: usize) -> bool {
        // Found and freed under one mapping lock.
        let find = |m: &mut Mapping| {
            let off = ptr.checked_sub(m.start)?;
            match m.meta_mut(off) {
                Some(meta) if meta.allow_user_free => {
                    meta.allow_user_free = false;
                    Some(off)
                }
                // No match, or not yet delivered: the C driver only logs it.
                _ => None,
            }
        };
        self.release_found(find, true, true)
    }

    fn vma_id(&self) -> usize {
        self as *const Self as usize
    }

    /// Sets up the mapping of the buffer area (the `mmap` file operation).
    pub(crate) fn mmap(&self, vma: &VmaNew) -> Result {
        if !task::is_current_group_leader(&self.task) {
            return Err(EINVAL);
        }
        if vma.is_writable() {
            return Err(EPERM);
        }
        vma.set_binder(&BINDER_VM_OPS, self.vma_id());
        if !self.mm.as_ref().is_some_and(|mm| vma.in_mm(mm)) {
            return Err(EINVAL);
        }
        let mut area = self.area.lock();
        if area.mapped {
            return Err(EBUSY);
        }
        area.mapped = true;
        area.pending = Some((vma.start(), (vma.end() - vma.start()).min(MAX_AREA)));
        Ok(())
    }

    /// Our mapping, or a part of it, was unmapped (`vm_ops->close`, under
    /// `mmap_lock`: only the `area` spinlock is taken).
    pub(crate) fn vma_close(&self) {
        self.area.lock().closed = true;
    }

    /// Frees up to `nr` unused pages of the buffer area (for the
    /// shrinker; never waits for a lock).
    pub(crate) fn reclaim(&self, nr: usize) -> usize {
        let Some(mm) = self.mm.as_ref() else { return 0 };
        let Some(mut mapping) = self.mapping.try_lock() else {
            return 0;
        };
        mapping.as_mut().map_or(0, |m| m.reclaim(mm, nr))
    }

    // ---- nodes and references ----

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

    /// The node behind `handle`, if the reference is (`strong`ly) held.
    pub(crate) fn node_for_handle(&self, handle: u32, strong: bool) -> Option<DArc<Node>> {
        let refs = self.refs.lock();
        let r = refs.by_handle.get(&handle)?;
        if strong && r.strong == 0 {
            return None;
        }
        Some(r.node.clone())
    }

    /// Increments a count of `node` in its owner (this process); see the C
    /// driver's `binder_inc_node_nilocked`. `thread` is the sending thread
    /// (of this process) that gets the refcount update, if any.
    fn inc_node(
        &self,
        node: &DArc<Node>,
        strong: bool,
        internal: bool,
        thread: Option<&Arc<Thread>>,
    ) -> Result {
        // Only an internal strong count taken outside a thread asks whether
        // the node is the manager's (the manager lock goes before `inner`).
        let is_mgr = strong
            && internal
            && thread.is_none()
            && self
                .device
                .context_manager()
                .is_some_and(|m| Arc::ptr_eq(&m, node));
        let mut inner = self.inner.lock();
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
            if strong {
                inner.dequeue_node_work(node);
            }
            // Not queued (or just taken off its queue): a no-op otherwise.
            if let Some(w) = Wrap::item(node) {
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
        self.dec_node_locked(&mut inner, node, strong, internal);
    }

    /// [`Process::dec_node`] under the lock.
    fn dec_node_locked(
        &self,
        inner: &mut ProcessInner,
        node: &DArc<Node>,
        strong: bool,
        internal: bool,
    ) {
        let Some(ns) = inner.node_state(node) else {
            return;
        };
        if strong {
            if internal {
                ns.internal_strong = ns.internal_strong.saturating_sub(1);
            } else {
                ns.local_strong = ns.local_strong.saturating_sub(1);
            }
            if ns.strong() {
                return;
            }
        } else {
            if !internal {
                ns.local_weak = ns.local_weak.saturating_sub(1);
            }
            if ns.local_weak > 0 || ns.refs > 0 {
                return;
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
                inner.dequeue_node_work(node);
            }
            inner.nodes.remove(&node.ptr);
        }
    }

    /// Locks `inner` with room for one more element in the vector that
    /// `pick` chooses (none: nothing to make room in). The vector grows
    /// outside the lock: a full one is measured, a larger one allocated
    /// unlocked and installed, and the lock taken again. Returns the guard
    /// and the vector replaced, to drop after unlocking.
    fn lock_with_vec_room<T: Clone>(
        &self,
        pick: impl Fn(&mut ProcessInner) -> Option<&mut KVVec<T>>,
    ) -> Result<(DeferGuard<'_, ProcessInner>, Option<KVVec<T>>)> {
        let mut spare: Option<KVVec<T>> = None;
        loop {
            let mut inner = self.inner.lock();
            let Some(v) = pick(&mut inner) else {
                return Ok((inner, None));
            };
            if v.len() < v.capacity() {
                return Ok((inner, None));
            }
            if let Some(mut new) = spare.take().filter(|n| n.capacity() > v.len()) {
                // `new` has room for every element and one more: these
                // pushes don't allocate.
                for x in v.iter() {
                    if new.push_within_capacity(x.clone()).is_err() {
                        break;
                    }
                }
                if new.len() == v.len() {
                    let old = core::mem::replace(v, new);
                    return Ok((inner, Some(old)));
                }
                continue;
            }
            let want = v.len().saturating_mul(2).max(4);
            drop(inner);
            spare = Some(KVVec::with_capacity(want, GFP_KERNEL)?);
        }
    }

    /// Counts a new reference of process `pid` to our `node`; `false` if
    /// the node is not ours any more.
    fn count_ref(&self, node: &DArc<Node>, pid: i32) -> bool {
        // Without memory for a longer list of holders, only binder_logs
        // miss this one's pid.
        let (mut inner, old) =
            match self.lock_with_vec_room(|i| i.node_state(node).map(|ns| &mut ns.ref_pids)) {
                Ok(v) => v,
                Err(_) => (self.inner.lock(), None),
            };
        let counted = match inner.node_state(node) {
            Some(ns) => {
                ns.refs = ns.refs.wrapping_add(1);
                if ns.ref_pids.push_within_capacity(pid).is_err() {
                    // No room was found (above): the pid goes unlisted.
                }
                true
            }
            None => false,
        };
        drop(inner);
        drop(old);
        counted
    }

    /// Takes a strong or weak count on this process's reference to `node`,
    /// creating the reference (lowest free handle) if needed; returns the
    /// handle.
    pub(crate) fn inc_ref_for_node(
        &self,
        node: &DArc<Node>,
        strong: bool,
        thread: Option<&Arc<Thread>>,
    ) -> Result<u32> {
        let is_mgr = self
            .device
            .context_manager()
            .is_some_and(|m| Arc::ptr_eq(&m, node));
        let mut refs = self.refs.lock();
        let (handle, created) = match refs.by_node.get(&node.id) {
            Some(&h) => (h, false),
            None if refs.dead => return Err(ESRCH),
            None => {
                // The lowest free handle (0 only for the context manager).
                let h = refs.handles.lowest_free(if is_mgr { 0 } else { 1 })?;
                let n1 = RBTreeNode::new(
                    h,
                    NodeRef {
                        node: node.clone(),
                        strong: 0,
                        weak: 0,
                        death: None,
                        freeze: None,
                        _count: ObjCount::new(Obj::Ref),
                    },
                    GFP_KERNEL,
                )?;
                let n2 = RBTreeNode::new(node.id, h, GFP_KERNEL)?;
                refs.handles.set(h)?;
                refs.by_handle.insert(n1);
                refs.by_node.insert(n2);
                let counted = node.owner().is_some_and(|o| o.count_ref(node, self.pid));
                if !counted {
                    // Its owner died (and moved it to the dead nodes under
                    // its inner lock, so it is there by now).
                    self.device.registry.add_dead_ref(node, self.pid);
                }
                (h, true)
            }
        };
        let r = refs.by_handle.get(&handle).ok_or(EINVAL)?;
        let first = if strong { r.strong == 0 } else { r.weak == 0 };
        let res = match node.owner() {
            Some(o) if first => o.inc_node(node, strong, true, thread),
            _ => Ok(()),
        };
        match res {
            Ok(()) => {
                if let Some(r) = refs.by_handle.get_mut(&handle) {
                    if strong {
                        r.strong = r.strong.wrapping_add(1);
                    } else {
                        r.weak = r.weak.wrapping_add(1);
                    }
                }
                Ok(handle)
            }
            Err(e) => {
                if created {
                    refs.by_handle.remove(&handle);
                    refs.handles.clear(handle);
                    refs.by_node.remove(&node.id);
                    drop(refs);
                    self.drop_ref_count(node);
                }
                Err(e)
            }
        }
    }

    /// One reference of ours to `node` went away: its owner's count (or
    /// the dead node's) goes down.
    fn drop_ref_count(&self, node: &DArc<Node>) {
        if let Some(owner) = node.owner() {
            let mut inner = owner.inner.lock();
            if let Some(ns) = inner.node_state(node) {
                ns.refs = ns.refs.saturating_sub(1);
                if let Some(i) = ns.ref_pids.iter().position(|&p| p == self.pid) {
                    ns.ref_pids.remove_at(i);
                }
                drop(inner);
                owner.dec_node(node, false, true);
                return;
            }
        }
        // The owner died: it moved the node to the dead nodes, under its
        // inner lock, before we could see it gone.
        self.device.registry.drop_dead_ref(node, self.pid);
    }

    /// `BC_INCREFS` and friends on a handle: errors are user errors.
    pub(crate) fn update_ref(&self, handle: u32, increment: bool, strong: bool) -> Result {
        let mut refs = self.refs.lock();
        let r = refs.by_handle.get_mut(&handle).ok_or(EINVAL)?;
        if strong && r.strong == 0 {
            return Err(EINVAL);
        }
        let node = r.node.clone();
        if increment {
            let first = if strong { r.strong == 0 } else { r.weak == 0 };
            if first {
                if let Some(o) = node.owner() {
                    o.inc_node(&node, strong, true, None)?;
                }
            }
            let r = refs.by_handle.get_mut(&handle).ok_or(EINVAL)?;
            if strong {
                r.strong = r.strong.wrapping_add(1);
            } else {
                r.weak = r.weak.wrapping_add(1);
            }
            return Ok(());
        }
        if strong {
            // `r.strong > 0` (checked above).
            r.strong -= 1;
            if r.strong == 0 {
                if let Some(o) = node.owner() {
                    o.dec_node(&node, true, true);
                }
            }
        } else {
            if r.weak == 0 {
                return Err(EINVAL);
            }
            r.weak -= 1;
        }
        let r = refs.by_handle.get(&handle).ok_or(EINVAL)?;
        if r.strong == 0 && r.weak == 0 {
            let r = refs.by_handle.remove(&handle);
            refs.handles.clear(handle);
            refs.by_node.remove(&node.id);
            drop(refs);
            if let Some(r) = r {
                if let Some(death) = &r.death {
                    self.forget_death(&node, death);
                }
                if let Some(f) = &r.freeze {
                    self.forget_freeze(&node, f);
                }
            }
            self.drop_ref_count(&node);
        }
        Ok(())
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

    // ---- death notifications ----

    pub(crate) fn request_death(
        self: &Arc<Self>,
        _thread: &Arc<Thread>,
        handle: u32,
        cookie: u64,
    ) -> Result {
        let death = Wrap::new(Death::new(self.clone(), cookie))?;
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
                let (mut oi, old) =
                    o.lock_with_vec_room(|i| i.node_state(&node).map(|ns| &mut ns.deaths))?;
                let alive = !oi.is_dead;
                let registered = match oi.node_state(&node) {
                    Some(ns) if alive => ns.deaths.push_within_capacity(death.clone()).is_ok(),
                    _ => false,
                };
                drop(oi);
                drop(old);
                registered
            }
            None => false,
        };
        if !registered {
            // The node is dead already: notify at once. Queued before the
            // request is recorded, so that a failed push refuses the request
            // instead of losing its notification (our refs lock keeps
            // anyone from acting on it meanwhile).
            let mut inner = self.inner.lock();
            // New: in no queue yet.
            if let Some(w) = Wrap::item(&death) {
                death.queued.store(true, Ordering::Relaxed);
                inner.push_proc_work(w);
            }
        }
        // Only once the node knows it (a failed push leaves no trace).
        r.death = Some(death);
        Ok(())
    }

    /// Removes `death` from `node`'s list, and a queued notification of it
    /// from our queue.
    fn forget_death(&self, node: &DArc<Node>, death: &DArc<Death>) {
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(node) {
                ns.deaths.retain(|d| !Arc::ptr_eq(d, death));
            }
        }
        let mut inner = self.inner.lock();
        // Gone with the reference: a dying owner that still has it in its
        // list (taken before this) must not queue it (checked under this
        // lock).
        death.clear_done.store(true, Ordering::Relaxed);
        let w = inner
            .todo
            .remove_item(|w| matches!(w, View::Death(d) if same(d, death)));
        drop(inner);
        drop(w);
    }

    /// Removes freeze notification `f` from `node`'s list, and any
    /// queued or unacknowledged delivery of it.
    fn forget_freeze(&self, node: &DArc<Node>, f: &DArc<Freeze>) {
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(node) {
                ns.freezes.retain(|x| !Arc::ptr_eq(x, f));
            }
        }
        let mut inner = self.inner.lock();
        // Gone with the reference: an owner's freeze or thaw that listed it
        // before this must not queue it (checked under this lock).
        f.clear.store(true, Ordering::Relaxed);
        let is = |w: View<'_>| matches!(w, View::Freeze(x) if same(x, f));
        let queued = inner.todo.remove_item(is);
        let delivered = inner.delivered_freeze.remove_item(is);
        drop(inner);
        drop((queued, delivered));
    }

    /// Queues `BR_CLEAR_DEATH_NOTIFICATION_DONE` of the death notification
    /// whose queue reference is `w` (it is in no queue).
    fn queue_clear_done(&self, inner: &mut ProcessInner, thread: &Arc<Thread>, w: WorkArc) {
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
                ns.deaths.retain(|d| !Arc::ptr_eq(d, &death));
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

    // ---- freeze notifications ----

    pub(crate) fn request_freeze(self: &Arc<Self>, handle: u32, cookie: u64) -> Result {
        let f = Wrap::new(Freeze::new(self.clone(), cookie))?;
        let mut refs = self.refs.lock();
        let r = refs.by_handle.get_mut(&handle).ok_or(EINVAL)?;
        if r.freeze.is_some() {
            return Err(EINVAL);
        }
        let node = r.node.clone();
        let state = match node.owner() {
            Some(o) => {
                let (mut oi, old) =
                    o.lock_with_vec_room(|i| i.node_state(&node).map(|ns| &mut ns.freezes))?;
                let frozen = oi.is_frozen;
                let dead = oi.is_dead;
                let state = match oi.node_state(&node) {
                    Some(ns) if !dead => ns
                        .freezes
                        .push_within_capacity(f.clone())
                        .is_ok()
                        .then_some(frozen),
                    _ => None,
                };
                drop(oi);
                drop(old);
                state
            }
            None => None,
        };
        if let Some(frozen) = state {
            // The first report, queued before the request is recorded (our
            // refs lock keeps clears away meanwhile); unless the owner's
            // freeze or thaw queued it already.
            let mut inner = self.inner.lock();
            if !f.queued.load(Ordering::Relaxed) {
                if let Some(w) = Wrap::item(&f) {
                    f.is_frozen.store(frozen, Ordering::Relaxed);
                    f.queued.store(true, Ordering::Relaxed);
                    inner.push_proc_work(w);
                }
            }
        }
        // Only once the node knows it: a failed request leaves no trace and
        // can be retried.
        r.freeze = Some(f);
        Ok(())
    }

    pub(crate) fn clear_freeze(&self, handle: u32, cookie: u64) -> Result {
        let mut refs = self.refs.lock();
        let r = refs.by_handle.get_mut(&handle).ok_or(EINVAL)?;
        match &r.freeze {
            Some(f) if f.cookie == cookie => {}
            _ => return Err(EINVAL),
        }
        let f = r.freeze.take().ok_or(EINVAL)?;
        let node = r.node.clone();
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(&node) {
                ns.freezes.retain(|x| !Arc::ptr_eq(x, &f));
            }
        }
        drop(refs);
        let mut inner = self.inner.lock();
        f.clear.store(true, Ordering::Relaxed);
        if !f.queued.load(Ordering::Relaxed) {
            // Not queued nor delivered: in no queue.
            if let Some(w) = Wrap::item(&f) {
                f.queued.store(true, Ordering::Relaxed);
                inner.push_proc_work(w);
            }
        } else if f.sent.load(Ordering::Relaxed) {
            f.resend.store(true, Ordering::Relaxed);
        }
        drop(inner);
        Ok(())
    }

    pub(crate) fn freeze_done(&self, cookie: u64) -> Result {
        let mut inner = self.inner.lock();
        let w = inner
            .delivered_freeze
            .remove_item(|w| matches!(w, View::Freeze(f) if f.cookie == cookie))
            .ok_or(EINVAL)?;
        let resend = match w.view() {
            View::Freeze(f) => {
                f.sent.store(false, Ordering::Relaxed);
                let resend = f.resend.swap(false, Ordering::Relaxed);
                f.queued.store(resend, Ordering::Relaxed);
                resend
            }
            _ => false,
        };
        if resend {
            inner.push_proc_work(w);
        } else {
            drop(inner);
            drop(w);
        }
        Ok(())
    }

    /// Tells every holder of a freeze notification on our nodes that we are
    /// now `frozen` (or not).
    fn add_freeze_work(&self, frozen: bool) {
        // Every notification, collected into a list sized before the lock
        // (retried until memory is found: the freeze happened, its
        // notifications must not be lost).
        let all = loop {
            let n = {
                let inner = self.inner.lock();
                inner
                    .nodes
                    .iter()
                    .map(|(_, ns)| ns.freezes.len())
                    .sum::<usize>()
            };
            let Ok(mut all) = KVVec::with_capacity(n, GFP_KERNEL) else {
                task::sleep_a_tick();
                continue;
            };
            let inner = self.inner.lock();
            let now = inner
                .nodes
                .iter()
                .map(|(_, ns)| ns.freezes.len())
                .sum::<usize>();
            if now > n {
                continue;
            }
            for (_, ns) in inner.nodes.iter() {
                for f in ns.freezes.iter() {
                    // Within the capacity: doesn't allocate or fail.
                    if all.push_within_capacity(f.clone()).is_err() {
                        break;
                    }
                }
            }
            break all;
        };
        for f in all.iter() {
            let mut hi = f.proc.inner.lock();
            // A holder that is being released has drained its queues for
            // good: work pushed there now would hold it (Freeze -> holder)
            // forever.
            // Nor one cleared (or whose reference went) since the list was
            // taken: C never reaches a cleared freeze notification.
            if hi.is_dead || f.clear.load(Ordering::Relaxed) {
                continue;
            }
            if !f.queued.load(Ordering::Relaxed) {
                // Not queued nor delivered: in no queue.
                if let Some(w) = Wrap::item(f) {
                    f.is_frozen.store(frozen, Ordering::Relaxed);
                    f.queued.store(true, Ordering::Relaxed);
                    hi.push_proc_work(w);
                }
            } else {
                if f.sent.load(Ordering::Relaxed) && f.is_frozen.load(Ordering::Relaxed) != frozen {
                    f.resend.store(true, Ordering::Relaxed);
                }
                f.is_frozen.store(frozen, Ordering::Relaxed);
            }
        }
    }

    // ---- binder_logs ----

    /// Writes this process as `print_binder_proc` does: everything
    /// (`all`), or only what is in flight.
    pub(crate) fn print(&self, m: &mut dyn core::fmt::Write, all: bool) -> core::fmt::Result {
        let name = core::str::from_utf8(self.device.name()).unwrap_or("?");
        let mut body = crate::binderfs::logs::Snapshot::new();
        {
            let inner = self.inner.lock();
            for (_, ts) in inner.threads.iter() {
                if !all && ts.stack.is_none() && ts.todo.is_empty() {
                    continue;
                }
                writeln!(
                    body,
                    "  thread {}: l {:02x} need_return {} tr 0",
                    ts.thread.id,
                    ts.looper,
                    ts.thread.need_return.load(Ordering::Relaxed) as u32
                )?;
                let mut cur = ts.stack.clone();
                while let Some(t) = cur {
                    let links = t.links.lock();
                    let (prefix, next) = if links
                        .to_thread
                        .as_ref()
                        .is_some_and(|x| Arc::ptr_eq(x, &ts.thread))
                    {
                        ("    incoming transaction", links.to_parent.clone())
                    } else if links
                        .from
                        .as_ref()
                        .is_some_and(|x| Arc::ptr_eq(x, &ts.thread))
                    {
                        ("    outgoing transaction", links.from_parent.clone())
                    } else {
                        ("    bad transaction", None)
                    };
                    drop(links);
                    print_txn(&mut body, prefix, &t, self.pid)?;
                    cur = next;
                }
                let errors = (
                    ts.thread.return_error.load(Ordering::Relaxed),
                    ts.reply_error,
                );
                print_todo(
                    &mut body,
                    "    pending transaction",
                    &ts.todo,
                    self.pid,
                    errors,
                )?;
            }
            for (_, ns) in inner.nodes.iter() {
                if !all && !ns.has_async {
                    continue;
                }
                write!(
                    body,
                    "  node {}: u{:016x} c{:016x} hs {} hw {} ls {} lw {} is {} iw {} tr 1",
                    ns.node.id,
                    ns.node.ptr,
                    ns.node.cookie,
                    ns.has_strong as u32,
                    ns.has_weak as u32,
                    ns.local_strong,
                    ns.local_weak,
                    ns.internal_strong,
                    ns.refs
                )?;
                if !ns.ref_pids.is_empty() {
                    body.write_str(" proc")?;
                    for p in ns.ref_pids.iter() {
                        write!(body, " {}", p)?;
                    }
                }
                body.write_str("\n")?;
                print_todo(
                    &mut body,
                    "    pending async transaction",
                    &ns.async_todo,
                    self.pid,
                    (BR_OK, BR_OK),
                )?;
            }
        }
        if all {
            let refs = self.refs.lock();
            for (handle, r) in refs.by_handle.iter() {
                let dead = match r.node.owner() {
                    Some(o) if !o.is_dead() => "",
                    _ => "dead ",
                };
                writeln!(
                    body,
                    "  ref {}: desc {} {}node {} s {} w {} d {:016x}",
                    r.node.id,
                    handle,
                    dead,
                    r.node.id,
                    r.strong,
                    r.weak,
                    r.death.is_some() as u64
                )?;
            }
        }
        if let Some(m) = self.mapping.lock().as_ref() {
            m.print_allocated(&mut body)?;
        }
        {
            let inner = self.inner.lock();
            print_todo(
                &mut body,
                "  pending transaction",
                &inner.todo,
                self.pid,
                (BR_OK, BR_OK),
            )?;
            if !inner.delivered_death.is_empty() {
                body.write_str("  has delivered dead binder\n")?;
            }
            if !inner.delivered_freeze.is_empty() {
                body.write_str("  has delivered freeze binder\n")?;
            }
        }
        if !all && body.is_empty() {
            return Ok(());
        }
        writeln!(m, "proc {}", self.pid)?;
        writeln!(m, "context {}", name)?;
        m.write_str(body.as_str())
    }

    /// Writes this process's counters as `print_binder_proc_stats` does.
    pub(crate) fn print_stats(&self, m: &mut dyn core::fmt::Write) -> core::fmt::Result {
        writeln!(m, "proc {}", self.pid)?;
        writeln!(
            m,
            "context {}",
            core::str::from_utf8(self.device.name()).unwrap_or("?")
        )?;
        let inner = self.inner.lock();
        writeln!(m, "  threads: {}", inner.threads.iter().count())?;
        writeln!(
            m,
            "  requested threads: {}+{}/{}",
            inner.requested_threads, inner.requested_threads_started, inner.max_threads
        )?;
        let mapping = self.mapping.lock();
        let (async_space, buffers, pages, high) =
            mapping.as_ref().map_or((0, 0, (0, 0, 0), 0), |m| m.stats());
        drop(mapping);
        writeln!(m, "  ready threads {}", inner.waiting.len())?;
        writeln!(m, "  free async space {}", async_space)?;
        writeln!(m, "  nodes: {}", inner.nodes.iter().count())?;
        let mut pending: usize = 0;
        inner.todo.for_each(|w| {
            if matches!(w, View::Transaction(_)) {
                pending += 1;
            }
            Ok(())
        })?;
        drop(inner);
        let refs = self.refs.lock();
        let (mut n, mut s, mut w): (usize, u32, u32) = (0, 0, 0);
        for (_, r) in refs.by_handle.iter() {
            n += 1;
            // Counts are user-driven u32s: the sums wrap, as C's ints.
            s = r.strong.wrapping_add(s);
            w = r.weak.wrapping_add(w);
        }
        writeln!(m, "  refs: {} s {} w {}", n, s, w)?;
        writeln!(m, "  buffers: {}", buffers)?;
        writeln!(m, "  pages: {}:{}:{}", pages.0, pages.1, pages.2)?;
        writeln!(m, "  pages high watermark: {}", high)?;
        writeln!(m, "  pending transactions: {}", pending)?;
        self.stats.print(m, "  ")
    }

    // ---- teardown ----

    /// Tears the process down when its file is released.
    pub(crate) fn release(self: &Arc<Self>) {
        {
            let mut mgr = self.device.manager.lock();
            if mgr.node.as_ref().is_some_and(|n| n.is_owned_by(self)) {
                mgr.node = None;
            }
        }
        let mut inner = self.inner.lock();
        inner.is_dead = true;
        self.dead.store(true, Ordering::Release);
        drop(inner);
        // Every thread goes (each call takes one out of the tree).
        loop {
            let first = {
                let inner = self.inner.lock();
                inner.threads.iter().next().map(|(_, ts)| ts.thread.clone())
            };
            let Some(t) = first else { break };
            self.thread_release(&t);
        }
        // Our nodes die, one at a time: each leaves our tree, forgets us
        // and, if references to it remain, joins the device's dead nodes,
        // all under our inner lock, so that a holder dropping its
        // reference finds the node in one place or the other. Holders of
        // death notifications are told.
        loop {
            // Allocated before the lock; without memory the dead node is
            // only missing from binder_logs/state.
            let slot = RBTreeNodeReservation::new(GFP_KERNEL).ok();
            let (gone, owner, deaths, async_todo) = {
                let mut inner = self.inner.lock();
                let Some(mut c) = inner.nodes.cursor_front() else {
                    break;
                };
                let (_, ns) = c.current_mut();
                let owner = ns.node.clear_owner();
                let deaths = core::mem::replace(&mut ns.deaths, KVVec::new());
                let async_todo = ns.async_todo.take_all();
                if let (Some(slot), true) = (slot, ns.refs > 0) {
                    let dead = crate::device::DeadNode {
                        node: ns.node.clone(),
                        has_strong: ns.has_strong,
                        has_weak: ns.has_weak,
                        internal_strong: ns.internal_strong,
                        refs: ns.refs,
                        ref_pids: core::mem::replace(&mut ns.ref_pids, KVVec::new()),
                    };
                    let id = dead.node.id;
                    self.device
                        .registry
                        .dead_nodes
                        .lock()
                        .insert(slot.into_node(id, dead));
                }
                let (_, gone) = c.remove_current();
                (gone, owner, deaths, async_todo)
            };
            drop(gone);
            drop(owner);
            release_work(async_todo);
            for d in deaths.iter() {
                let mut hi = d.proc.inner.lock();
                // Not into a holder being released: it drained its queues
                // for good, and the work would pin it (Death -> holder).
                // Nor a notification cleared, or whose reference went, since
                // the list was taken (both marked under this lock): C walks
                // the node's live references instead.
                if hi.is_dead
                    || d.clear_done.load(Ordering::Relaxed)
                    || d.and_clear.load(Ordering::Relaxed)
                {
                    continue;
                }
                // Registered on a live node: in no queue.
                if let Some(w) = Wrap::item(d) {
                    d.queued.store(true, Ordering::Relaxed);
                    hi.push_proc_work(w);
                }
            }
        }
        // Our references go.
        let (mut refs, handles) = {
            let mut r = self.refs.lock();
            // No reference is made after this (see `inc_ref_for_node`).
            r.dead = true;
            r.by_node = RBTree::new();
            (
                core::mem::replace(&mut r.by_handle, RBTree::new()),
                core::mem::replace(&mut r.handles, Handles::new()),
            )
        };
        drop(handles);
        while let Some(c) = refs.cursor_front() {
            let (_, n) = c.remove_current();
            let (_, r) = n.to_key_value();
            if let Some(o) = r.node.owner() {
                if r.death.is_some() || r.freeze.is_some() {
                    if let Some(ns) = o.inner.lock().node_state(&r.node) {
                        if let Some(d) = &r.death {
                            ns.deaths.retain(|x| !Arc::ptr_eq(x, d));
                        }
                        if let Some(f) = &r.freeze {
                            ns.freezes.retain(|x| !Arc::ptr_eq(x, f));
                        }
                    }
                }
                if r.strong > 0 {
                    o.dec_node(&r.node, true, true);
                }
            }
            self.drop_ref_count(&r.node);
        }
        let (todo, deaths, freezes) = {
            let mut inner = self.inner.lock();
            (
                inner.todo.take_all(),
                inner.delivered_death.take_all(),
                inner.delivered_freeze.take_all(),
            )
        };
        release_work(todo);
        // These refer back to this process.
        drop(deaths);
        drop(freezes);
        *self.mapping.lock() = None;
    }

    /// `poll()`: readable when the calling thread has work.
    pub(crate) fn poll(
        self: &Arc<Self>,
        file: *mut crate::ffi::bindings::file,
        table: Option<&PollTable>,
    ) -> u32 {
        let Ok(thread) = self.get_thread() else {
            return POLLERR;
        };
        let proc_work = {
            let mut inner = self.inner.lock();
            if let Some(ts) = inner.thread_mut(thread.id) {
                ts.looper |= LOOPER_POLL;
            }
            inner.available_for_proc_work(thread.id)
        };
        if let Some(t) = table {
            // SAFETY: `file` is the file being polled.
            unsafe { t.register(file, &thread.poll_wq) };
        }
        if self.inner.lock().has_work(thread.id, proc_work) {
            POLLIN
        } else {
            0
        }
    }

    /// `flush()`: every thread returns from its current read.
    pub(crate) fn flush(&self) {
        let mut guard = self.inner.lock();
        let inner = &mut *guard;
        for (_, ts) in inner.threads.iter_mut() {
            ts.thread.need_return.store(true, Ordering::Relaxed);
            if ts.looper & LOOPER_WAITING != 0 {
                ts.wake(&mut inner.wakes, WakeKind::Normal);
            }
        }
    }
}

/// Disposes of undelivered work: callers of undelivered calls get
/// `BR_DEAD_REPLY`.
pub(crate) fn release_work(mut q: Queue) {
    while let Some(w) = q.pop_front() {
        if let Work::Transaction(t) = w {
            t.to_proc.txn_done(&t);
            if t.target_node.is_some() && !t.is_oneway() {
                send_failed_reply(t, BR_DEAD_REPLY);
            }
        }
    }
}

/// Writes one transaction as `print_binder_transaction_ilocked` does,
/// printed as part of process `proc_pid`.
fn print_txn(
    m: &mut dyn core::fmt::Write,
    prefix: &str,
    t: &Transaction,
    proc_pid: i32,
) -> core::fmt::Result {
    let (to_tid, buffer) = {
        let links = t.links.lock();
        (links.to_thread.as_ref().map_or(0, |x| x.id), links.buffer)
    };
    let elapsed = (kernel::time::Ktime::ktime_get().to_ns() - t.start_ns) / 1_000_000;
    write!(
        m,
        "{} {}: (____ptrval____) from {}:{} to {}:{} code {:x} flags {:x} pri {} r{} elapsed {}ms",
        prefix,
        t.id,
        t.from_tgid,
        t.from_tid,
        t.to_proc.pid,
        to_tid,
        t.code,
        t.flags,
        t.priority,
        (!t.is_oneway() && !t.is_reply) as u32,
        elapsed
    )?;
    if t.to_proc.pid != proc_pid {
        return m.write_str("\n");
    }
    match buffer {
        None => m.write_str(" buffer free\n"),
        Some(off) => {
            if let Some(n) = &t.target_node {
                write!(m, " node {}", n.id)?;
            }
            writeln!(
                m,
                " size {}:{} offset {:x}",
                t.data_size, t.offsets_size, off
            )
        }
    }
}

/// Writes the work items of a queue as `print_binder_work_ilocked` does;
/// `errors` are the pending return and reply errors of the thread whose
/// queue it is.
fn print_todo(
    m: &mut dyn core::fmt::Write,
    txn_prefix: &str,
    q: &Queue,
    proc_pid: i32,
    errors: (u32, u32),
) -> core::fmt::Result {
    let indent = if txn_prefix.starts_with("    ") {
        "    "
    } else {
        "  "
    };
    q.for_each(|w| match w {
        View::Transaction(t) => print_txn(m, txn_prefix, t, proc_pid),
        View::Error(ErrorKind::Return) => writeln!(m, "{}transaction error: {}", indent, errors.0),
        View::Error(ErrorKind::Reply) => writeln!(m, "{}transaction error: {}", indent, errors.1),
        View::Complete => writeln!(m, "{}transaction complete", indent),
        View::Node(n) => writeln!(
            m,
            "{}node work {}: u{:016x} c{:016x}",
            indent, n.id, n.ptr, n.cookie
        ),
        View::Death(d) if d.clear_done.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared death notification", indent)
        }
        View::Death(d) if d.and_clear.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared dead binder", indent)
        }
        View::Freeze(f) if f.clear.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared freeze notification", indent)
        }
        View::Death(_) => writeln!(m, "{}has dead binder", indent),
        View::Freeze(_) => writeln!(m, "{}has frozen binder", indent),
    })
}
