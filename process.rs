// SPDX-License-Identifier: GPL-2.0

//! A binder process: the state behind one open binder device file (its
//! threads' state, nodes, references, buffer area), the ioctls, work queues
//! and delivery, and release. Elsewhere, as `impl Process` blocks: what
//! runs on a thread (`BINDER_WRITE_READ`) in `thread.rs`, transactions in
//! `transaction.rs`, node counts and death notifications in `node.rs`,
//! references in `refs.rs`, freezing in `freeze.rs`, buffers and mmap in
//! `allocation.rs`, the binder_logs text in `print.rs`.
//!
//! Locks, in the order they may be taken:
//! 1. `BinderDevice::manager` (mutex; context manager; whether a node is
//!    the manager's is read without it, `BinderDevice::is_context_manager`),
//! 2. `Process::refs` (mutex; of any process; nothing allocates under it:
//!    a new reference's entries, the handle bitmap's room and the owner's
//!    holder or watch room are made before it is taken),
//! 3. `Registry::dead_nodes` (mutex; a dying owner moves its nodes there),
//! 4. `Process::inner` (spinlock; of any process, never two at once),
//! 5. `Transaction::links`, `Node::owner`, wait queues (spinlocks).
//!
//! Apart from that order, and never nested with `inner` either way:
//! `mmap_lock` of the area's address space (held for writing while a new
//! buffer's absent pages are installed, as C 6.12 does), then
//! `Process::mapping` (mutex; nothing is allocated and no user memory is
//! touched under it: the shrinker takes it, and then `mmap_lock`, only
//! with trylocks), then `Process::area` (spinlock; the only lock the
//! `mmap` handler and `vm_ops->close` take). `Registry::logs` and
//! `Thread::ee` (spinlocks; a thread's extended error) are leaves: nothing
//! is taken under them.
//!
//! `inner` is a spinlock, as C's `proc->inner_lock`, and threads are woken
//! under it as C wakes them (only those waiting in a read or polling; the
//! scheduler's locks nest inside it). Nothing under it sleeps: no mutex, no
//! allocation, no user copy, no `nice` change; what it takes out (a node's
//! state, a transaction, vectors that may be `vmalloc`ed) is dropped after
//! unlocking. Work items carry their own list links (`work.rs`); the few
//! vectors kept under it (the ids of waiting threads, a node's holders
//! and notifications) grow outside the lock
//! ([`Process::reserve_vec_room`]) and are pushed into within capacity;
//! binder_logs text is written into room made before
//! (`Snapshot::bounded`).

use crate::allocation::Mapping;
use crate::device::BinderDevice;
use crate::ffi::abi::FlatObject;
use crate::ffi::file::File;
use crate::ffi::fs::FileSystem;
use crate::ffi::mm::MmGrab;
use crate::ffi::poll::{PollTable, POLLERR, POLLIN};
use crate::ffi::sync::{Mutex, SpinLock, TryMutex};
use crate::ffi::task::{self, security, Cred, Kuid};
use crate::ffi::vec::VecExt;
use crate::handles::Handles;
use crate::node::{Node, NodeState, Watch};
use crate::refs::ProcessRefs;
use crate::stats::{ProcCount, Stats};
use crate::transaction::{send_failed_reply, Transaction};
use crate::uapi::*;
use crate::work::{Complete, CompleteArc, DArc, Queue, View, Work, WorkArc, Wrap};
use core::mem::size_of;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, CondVar};
use kernel::task::Task;
use kernel::types::ARef;
use kernel::uaccess::UserSlice;

use crate::thread::{wake_now, Thread, ThreadState, WakeKind, LOOPER_POLL, LOOPER_WAITING};

/// The mutable state of a process.
pub(crate) struct ProcessInner {
    pub(crate) is_dead: bool,
    pub(crate) threads: RBTree<i32, ThreadState>,
    /// The process's nodes by their pointer.
    pub(crate) nodes: RBTree<u64, NodeState>,
    pub(crate) todo: Queue,
    /// Threads waiting for process work; the last one waited most recently.
    pub(crate) waiting: KVVec<i32>,
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
    pub(crate) sync_recv: bool,
    pub(crate) async_recv: bool,
    /// Transactions queued to or being handled by this process.
    pub(crate) outstanding_txns: u32,
}

impl ProcessInner {
    /// Whether sync transactions are still being handled here.
    pub(crate) fn txns_pending(&self) -> bool {
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
    pub(crate) fn push_thread_work(&mut self, id: i32, w: WorkArc, wake: bool) {
        match self.threads.get_mut(&id) {
            Some(ts) => {
                ts.todo.push_back(w);
                if wake {
                    ts.process_todo = true;
                    ts.wake(WakeKind::Normal);
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
                ts.wake(WakeKind::Sync);
            }
            None => self.push_proc_work(w),
        }
    }

    /// Queues `w` for any thread of the process and wakes one.
    pub(crate) fn push_proc_work(&mut self, w: WorkArc) {
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
        if let Some(id) = self.waiting.pop() {
            let kind = if sync {
                WakeKind::Sync
            } else {
                WakeKind::Normal
            };
            if let Some(ts) = self.threads.get(&id) {
                wake_now(&ts.thread, Some(kind), false);
            }
            return;
        }
        // Nobody waits in a read: wake the pollers that could take it.
        for (_, ts) in self.threads.iter() {
            let free = ts.stack.is_none() && ts.todo.is_empty();
            if ts.looper & LOOPER_POLL != 0 && free {
                wake_now(&ts.thread, None, true);
            }
        }
    }

    /// Takes the refcount update of `node` off whichever queue holds it and
    /// returns its queue reference, also when no queue held it (as C's
    /// `binder_dequeue_work_ilocked`); `None` while a reader delivers it.
    pub(crate) fn dequeue_node_work(&mut self, node: &DArc<Node>) -> Option<WorkArc> {
        // In no queue, no queue is walked. So it is for each node a
        // transaction makes, which would otherwise walk the updates queued
        // for the nodes made before it.
        if let Some(w) = Wrap::dequeue(node, [&mut self.todo]) {
            return Some(w);
        }
        for (_, ts) in self.threads.iter_mut() {
            if let Some(w) = ts.todo.remove_same(node) {
                if ts.todo.is_empty() {
                    ts.process_todo = false;
                }
                return Some(w);
            }
        }
        None
    }
}

/// What the `mmap` handler leaves for the allocator.
pub(crate) struct Area {
    pub(crate) mapped: bool,
    pub(crate) pending: Option<(usize, usize)>,
    /// The mapping (or part of it) was unmapped: no more buffers, for
    /// good (`ESRCH`, as C once its `alloc->vma` is cleared).
    pub(crate) closed: bool,
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
    pub(crate) mm: Option<MmGrab>,
    #[pin]
    pub(crate) inner: SpinLock<ProcessInner>,
    #[pin]
    pub(crate) refs: Mutex<ProcessRefs>,
    /// Whether `refs` keeps spare tree entries for a new reference (read
    /// unlocked, as a hint: written under `refs`).
    pub(crate) refs_spare: AtomicBool,
    #[pin]
    pub(crate) mapping: TryMutex<Option<Mapping>>,
    #[pin]
    pub(crate) area: SpinLock<Area>,
    /// Where `BINDER_FREEZE` waits for outstanding transactions.
    #[pin]
    pub(crate) freeze_wait: CondVar,
    /// `BINDER_ENABLE_ONEWAY_SPAM_DETECTION`.
    pub(crate) spam_detection: AtomicBool,
    /// Set with `inner.is_dead`, to be read without the lock.
    dead: AtomicBool,
    /// Whether this process made its `binder_logs/proc/<pid>` entry.
    pub(crate) log_entry: AtomicBool,
    /// Commands and returns of this process.
    pub(crate) stats: Stats,
    _count: ProcCount,
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
                inner <- crate::new_spinlock!(ProcessInner {
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
                }, "Process::inner"),
                freeze_wait <- kernel::new_condvar!("Process::freeze_wait"),
                refs <- crate::new_mutex!(ProcessRefs {
                    by_handle: RBTree::new(),
                    handles: Handles::new(),
                    by_node: RBTree::new(),
                    dead: false,
                    spare: None,
                }, "Process::refs"),
                mapping <- crate::new_trymutex!(None, "Process::mapping"),
                area <- crate::new_spinlock!(Area { mapped: false, pending: None, closed: false }, "Process::area"),
                refs_spare: AtomicBool::new(false),
                spam_detection: AtomicBool::new(false),
                dead: AtomicBool::new(false),
                log_entry: AtomicBool::new(false),
                stats: Stats::new(),
                _count: ProcCount::new(),
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
                let max: u32 = UserSlice::new(arg, 4).reader().read().map_err(|_| EINVAL)?;
                self.inner.lock().max_threads = max;
            }
            BINDER_SET_CONTEXT_MGR_EXT => {
                let fp: FlatObject = UserSlice::new(arg, size_of::<FlatObject>())
                    .reader()
                    .read()
                    .map_err(|_| EINVAL)?;
                self.set_context_mgr(fp.binder, fp.cookie, fp.flags)?;
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
                let (mut r, mut w) =
                    UserSlice::new(arg, size_of::<binder_node_debug_info>()).reader_writer();
                let ptr = r.read::<binder_node_debug_info>()?.ptr;
                let mut out = binder_node_debug_info::default();
                let mut inner = self.inner.lock();
                if let Some(c) = inner
                    .nodes
                    .cursor_lower_bound(&ptr.wrapping_add(1))
                    .filter(|_| ptr != u64::MAX)
                {
                    let (_, ns) = c.current();
                    out = binder_node_debug_info {
                        ptr: ns.node.ptr,
                        cookie: ns.node.cookie,
                        has_strong_ref: ns.has_strong as u32,
                        has_weak_ref: ns.has_weak as u32,
                    };
                }
                drop(inner);
                w.write(&out)?;
            }
            BINDER_GET_NODE_INFO_FOR_REF => {
                let (mut r, mut w) =
                    UserSlice::new(arg, size_of::<binder_node_info_for_ref>()).reader_writer();
                let mut info: binder_node_info_for_ref = r.read()?;
                if info.strong_count != 0
                    || info.weak_count != 0
                    || info.reserved1 != 0
                    || info.reserved2 != 0
                    || info.reserved3 != 0
                {
                    return Err(EINVAL);
                }
                let handle = info.handle;
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
                info.strong_count = strong;
                info.weak_count = weak;
                w.write(&info)?;
            }
            BINDER_ENABLE_ONEWAY_SPAM_DETECTION => {
                let v: u32 = UserSlice::new(arg, 4).reader().read()?;
                self.spam_detection.store(v != 0, Ordering::Relaxed);
            }
            BINDER_FREEZE => {
                let info: binder_freeze_info = UserSlice::new(arg, size_of::<binder_freeze_info>())
                    .reader()
                    .read()?;
                let targets = self.device.registry.with_pid(info.pid as i32)?;
                if targets.is_empty() {
                    return Err(EINVAL);
                }
                let mut res = Ok(());
                for p in targets.iter() {
                    if res.is_ok() {
                        res = p.freeze(info.enable != 0, info.timeout_ms);
                    }
                }
                res?;
            }
            BINDER_GET_FROZEN_INFO => {
                let (mut r, mut w) =
                    UserSlice::new(arg, size_of::<binder_frozen_status_info>()).reader_writer();
                let mut info: binder_frozen_status_info = r.read()?;
                let targets = self.device.registry.with_pid(info.pid as i32)?;
                if targets.is_empty() {
                    return Err(EINVAL);
                }
                let (mut sync, mut async_) = (0u32, 0u32);
                for p in targets.iter() {
                    let inner = p.inner.lock();
                    sync |= inner.sync_recv as u32 | ((inner.txns_pending() as u32) << 1);
                    async_ |= inner.async_recv as u32;
                }
                info.sync_recv = sync;
                info.async_recv = async_;
                w.write(&info)?;
            }
            BINDER_GET_EXTENDED_ERROR => {
                let ee = thread.take_extended_error();
                let out = binder_extended_error {
                    id: ee.id,
                    command: ee.command,
                    param: ee.param,
                };
                UserSlice::new(arg, size_of::<binder_extended_error>())
                    .writer()
                    .write(&out)?;
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
        self.device.set_manager_node(&mut mgr, Some(node));
        Ok(())
    }

    /// A transaction counted in `outstanding_txns` of this process is done;
    /// `inner` is this process's locked state. Returns its buffer, which no
    /// longer belongs to a live transaction (unless its delivery already
    /// said so): the caller passes it to [`Process::buffer_inactive`] once
    /// `inner` is released (the mapping lock is a mutex).
    #[must_use = "the buffer is to be marked inactive after unlocking"]
    pub(crate) fn txn_done_locked(
        &self,
        inner: &mut ProcessInner,
        t: &Transaction,
    ) -> Option<usize> {
        let buffer = match t.buffer_inactive.swap(true, Ordering::Relaxed) {
            true => None,
            false => t.links.lock().buffer(),
        };
        if t.counted.swap(false, Ordering::AcqRel) {
            inner.outstanding_txns = inner.outstanding_txns.saturating_sub(1);
            // As C, only a freeze waits for the count to reach zero.
            if inner.outstanding_txns == 0 && inner.is_frozen {
                self.freeze_wait.notify_all();
            }
        }
        buffer
    }

    /// As [`Process::txn_done_locked`], taking the lock.
    pub(crate) fn txn_done(&self, t: &Transaction) {
        let buffer = self.txn_done_locked(&mut self.inner.lock(), t);
        self.buffer_inactive(buffer);
    }

    /// Buffer `off` (if any) no longer belongs to a live transaction, as
    /// `binder_logs` shows it.
    pub(crate) fn buffer_inactive(&self, off: Option<usize>) {
        if let Some(off) = off {
            if let Some(meta) = self.mapping.lock().as_mut().and_then(|m| m.meta_mut(off)) {
                meta.active = false;
            }
        }
    }

    // ---- used by transactions ----

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
    pub(crate) fn queue_complete(&self, id: i32, c: Option<CompleteArc>) {
        if let Some(c) = c {
            self.inner.lock().push_thread_work(id, c, true);
        }
    }

    /// Thread `id` sent the reply to `orig` (a call to this process): its
    /// completion `c`, and the call is done.
    pub(crate) fn reply_sent(&self, id: i32, orig: &Transaction, c: Option<CompleteArc>) {
        let mut inner = self.inner.lock();
        if let Some(c) = c {
            inner.push_thread_work(id, c, true);
        }
        // The call came to this process (`orig.to_proc`).
        let buffer = self.txn_done_locked(&mut inner, orig);
        drop(inner);
        self.buffer_inactive(buffer);
    }

    /// Takes back the deferred completion `c` of thread `id` (its call
    /// could not be sent); dropped after unlocking.
    pub(crate) fn dequeue_complete(&self, id: i32, c: &DArc<Complete>) {
        let mut inner = self.inner.lock();
        let taken = inner.thread_mut(id).and_then(|ts| {
            let taken = ts.todo.remove_same(c);
            if ts.todo.is_empty() {
                ts.process_todo = false;
            }
            taken
        });
        drop(inner);
        if taken.is_some() {
            c.discarded();
        }
        drop(taken);
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
        t: &DArc<Transaction>,
        thread: Option<Arc<Thread>>,
    ) -> Result<bool, crate::transaction::TxnError> {
        let err = |cmd| crate::transaction::TxnError::new(cmd, 0);
        let oneway = t.is_oneway();
        let mut outdated = None;
        // A new transaction is in no queue yet.
        let item = Wrap::item(t).ok_or(err(BR_FAILED_REPLY))?;
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
        // An idle process's work goes to the thread that waited last, taken
        // off the list of waiting threads (the error below needs a pending
        // one-way: never with this).
        let thread = match thread {
            Some(th) => Some(th.id),
            None if idle => inner.waiting.pop(),
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
        if oneway && !pending_async {
            if let Some(ns) = t.target_node.as_ref().and_then(|n| inner.node_state(n)) {
                ns.has_async = true;
            }
        }
        let sync = !t.is_oneway();
        if let Some(id) = thread {
            if sync {
                inner.push_thread_work_sync(id, item);
            } else {
                inner.push_thread_work(id, item, true);
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
        let inactive = match &outdated {
            Some(Work::Transaction(old)) => self.txn_done_locked(&mut inner, old),
            _ => None,
        };
        drop(inner);
        self.buffer_inactive(inactive);
        // The superseded one-way transaction and its buffer go; it waited
        // in the node's queue, so the node's one-way in flight is not this
        // one and stays (C frees only the buffer too).
        if let Some(Work::Transaction(old)) = outdated {
            let buffer = old.links.lock().take_buffer();
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
        t: &DArc<Transaction>,
    ) -> Result<(), crate::transaction::TxnError> {
        // A new reply is in no queue yet.
        let item = Wrap::item(t).ok_or(crate::transaction::TxnError::new(BR_FAILED_REPLY, 0))?;
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

    // ---- teardown ----

    /// Tears the process down when its file is released.
    pub(crate) fn release(self: &Arc<Self>) {
        {
            let mut mgr = self.device.manager.lock();
            if mgr.node.as_ref().is_some_and(|n| n.is_owned_by(self)) {
                self.device.set_manager_node(&mut mgr, None);
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
            let (gone, owner, watches, async_todo, unused) = {
                // The device's dead nodes (a mutex) before `inner`.
                let mut dead_nodes = self.device.registry.dead_nodes.lock();
                let mut inner = self.inner.lock();
                let Some(mut c) = inner.nodes.cursor_front() else {
                    break;
                };
                let (_, ns) = c.current_mut();
                let owner = ns.node.clear_owner();
                let watches = ns.watches.take();
                let async_todo = ns.async_todo.take_all();
                let unused = match (slot, ns.refs > 0) {
                    (Some(slot), true) => {
                        let dead = crate::context::DeadNode {
                            node: ns.node.clone(),
                            has_strong: ns.has_strong,
                            has_weak: ns.has_weak,
                            internal_strong: ns.internal_strong,
                            refs: ns.refs,
                            holders: core::mem::take(&mut ns.holders),
                        };
                        let key = dead.node.key();
                        dead_nodes.insert(slot.into_node(key, dead));
                        None
                    }
                    (slot, _) => slot,
                };
                let (_, gone) = c.remove_current();
                (gone, owner, watches, async_todo, unused)
            };
            drop(unused);
            drop(gone);
            drop(owner);
            release_work(async_todo);
            for d in watches.iter().filter_map(Watch::death) {
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
                            ns.forget_death(d);
                        }
                        if let Some(f) = &r.freeze {
                            ns.forget_freeze(f);
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
        // Its pages and trees are freed after unlocking.
        let mapping = self.mapping.lock().take();
        drop(mapping);
    }

    /// `poll()`: readable when the calling thread has work.
    pub(crate) fn poll<F: FileSystem>(
        self: &Arc<Self>,
        file: &File<F>,
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
            t.register(file, &thread.poll_wq);
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
                ts.wake(WakeKind::Normal);
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
