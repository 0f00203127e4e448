// SPDX-License-Identifier: GPL-2.0

//! Transactions: `BC_TRANSACTION` and `BC_REPLY` as the C driver handles
//! them, from finding the target to copying and translating the payload
//! into a buffer of the target process and queuing it.
//!
//! A synchronous transaction sits on two transaction stacks: the sender
//! thread's (through `from_parent`) and, once read, the receiving thread's
//! (through `to_parent`). Replies unwind both.
//!
//! Locks: no process lock is held while another process's lock is taken;
//! `links` (a spinlock) nests inside a process's `inner`.

use crate::allocation::{
    align8, buffer_layout, buffer_size, BufferMeta, BufferPages, FdFixup, Held,
};
use crate::context::TxnLogEntry;
use crate::ffi::abi::{self, FdObject, FlatObject};
use crate::ffi::file::FileRef;
use crate::ffi::sync::SpinLock;
use crate::ffi::task::{security, Kuid};
use crate::ffi::vec::ThinVec;
use crate::node::{next_debug_id, Node};
use crate::process::Process;
use crate::thread::Thread;
use crate::uapi::*;
use crate::work::{Complete, CompleteKind, DArc, Unsent, View, Wrap};
use core::mem::{offset_of, size_of};
use core::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL},
    Flags,
};
use kernel::error::{code::*, Error, Result};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::UserSlice;

pub(crate) use crate::ffi::abi::TxnData;

/// The size of `struct binder_transaction_data`.
pub(crate) const TXN_DATA_SIZE: usize = core::mem::size_of::<TxnData>();

/// The links of a transaction into the two transaction stacks.
pub(crate) struct Links {
    /// The thread waiting for the reply; cleared if it dies.
    pub(crate) from: Option<Arc<Thread>>,
    /// The sender's previous transaction.
    pub(crate) from_parent: Option<DArc<Transaction>>,
    /// The thread handling the transaction; cleared if it dies.
    pub(crate) to_thread: Option<Arc<Thread>>,
    /// The handler's previous transaction.
    pub(crate) to_parent: Option<DArc<Transaction>>,
    /// The buffer's offset in the target's area, while it is not freed
    /// (below `MAX_AREA`: 32 bits, to keep a transaction in a 192-byte
    /// slab).
    buffer: Option<u32>,
    /// Files to install in the receiver when it reads the transaction (an
    /// fd array alone can carry a million: `kvmalloc`ed).
    pub(crate) fds: ThinVec<FdFixup>,
}

/// What a transaction's payload is copied from and to.
struct Payload<'a> {
    /// The transaction's debug id (trace events).
    id: usize,
    tr: &'a TxnData,
    target: &'a Arc<Process>,
    /// User address of the buffer in the target.
    buf_addr: usize,
    data_size: usize,
    offsets_size: usize,
    /// Size of the scatter-gather area (`BC_*_SG`).
    sg_size: usize,
    /// Whether file descriptors may be sent.
    accept_fds: bool,
}

/// One transaction or reply.
#[pin_data]
pub(crate) struct Transaction {
    pub(crate) id: usize,
    pub(crate) code: u32,
    pub(crate) flags: u32,
    pub(crate) is_reply: bool,
    pub(crate) sender_euid: Kuid,
    pub(crate) to_proc: Arc<Process>,
    /// The node a (non-reply) transaction goes to.
    pub(crate) target_node: Option<DArc<Node>>,
    /// Sizes of the data and offsets (they fit in the buffer: 32 bits).
    pub(crate) data_size: u32,
    pub(crate) offsets_size: u32,
    /// User address of the buffer in the target.
    pub(crate) buffer_addr: usize,
    /// Where the sender's security context is in the buffer.
    secctx_off: Option<u32>,
    #[pin]
    pub(crate) links: SpinLock<Links>,
    /// Counted in the target's `outstanding_txns`.
    pub(crate) counted: AtomicBool,
    /// Its buffer was already marked as no longer active (when it was
    /// delivered), so being done needs no mapping lock.
    pub(crate) buffer_inactive: AtomicBool,
    /// Thread-group id of the sender.
    pub(crate) from_tgid: i32,
    /// The sender's nice value.
    pub(crate) priority: i32,
    /// The sender's pid and tid (kept when the sender goes away).
    pub(crate) from_tid: i32,
    /// When the transaction was made (ns, monotonic).
    pub(crate) start_ns: i64,
    _count: crate::stats::TxnCount,
    /// The handler's nice value before it took the call (restored by its
    /// reply).
    pub(crate) saved_priority: AtomicI32,
}

// A queued transaction, with its reference count, fits the 192-byte slab
// that C's `binder_transaction` takes (kernels without lock debugging,
// where a spinlock is 4 bytes).
#[cfg(not(any(CONFIG_DEBUG_SPINLOCK, CONFIG_DEBUG_LOCK_ALLOC, CONFIG_PREEMPT_RT)))]
const _: () = assert!(core::mem::size_of::<Wrap<Transaction>>() + 8 <= 192);

impl Transaction {
    pub(crate) fn is_oneway(&self) -> bool {
        self.flags & TF_ONE_WAY != 0
    }

    /// Whether this queued one-way transaction may be replaced by `new`
    /// (`TF_UPDATE_TXN`: same target, code, flags and sender).
    pub(crate) fn can_be_updated_by(&self, new: &Transaction) -> bool {
        let both = self.flags & new.flags & (TF_ONE_WAY | TF_UPDATE_TXN);
        if both != (TF_ONE_WAY | TF_UPDATE_TXN) {
            return false;
        }
        let same_node = match (&self.target_node, &new.target_node) {
            (Some(a), Some(b)) => a.ptr == b.ptr && a.cookie == b.cookie,
            _ => false,
        };
        Arc::ptr_eq(&self.to_proc, &new.to_proc)
            && self.code == new.code
            && self.flags == new.flags
            && self.from_tgid == new.from_tgid
            && same_node
    }

    pub(crate) fn from(&self) -> Option<Arc<Thread>> {
        self.links.lock().from.clone()
    }

    /// User address of the sender's security context in the buffer.
    pub(crate) fn secctx_addr(&self) -> Option<usize> {
        self.secctx_off
            .map(|off| self.buffer_addr.wrapping_add(off as usize))
    }
}

impl Links {
    /// The buffer's offset, while it is not freed.
    pub(crate) fn buffer(&self) -> Option<usize> {
        self.buffer.map(|off| off as usize)
    }

    /// Takes the buffer: whoever takes it frees it.
    pub(crate) fn take_buffer(&mut self) -> Option<usize> {
        self.buffer.take().map(|off| off as usize)
    }
}

/// Allocation flags for vectors whose length user space chooses: they
/// may grow past what `kmalloc` can give (`kvmalloc` falls back to
/// `vmalloc`), and a failure is an error for the sender, not a warning.
/// Flags for allocations whose size a user chooses: no allocation-failure
/// warning (a large request just fails, or falls back to vmalloc).
pub(crate) fn gfp_user_sized() -> Flags {
    GFP_KERNEL | __GFP_NOWARN
}

fn eproto() -> Error {
    Error::from_errno(-(crate::ffi::bindings::EPROTO as i32))
}

/// Why a transaction failed: the BR_* code and the errno parameter (as the
/// extended error reports them).
pub(crate) struct TxnError {
    pub(crate) cmd: u32,
    pub(crate) param: i32,
    /// Already reported (to the caller of a failed reply).
    pub(crate) handled: bool,
    /// The source line that failed it (the logs' `l=`).
    pub(crate) line: u32,
}

impl TxnError {
    #[track_caller]
    pub(crate) fn new(cmd: u32, param: i32) -> Self {
        let line = core::panic::Location::caller().line();
        Self {
            cmd,
            param,
            handled: false,
            line,
        }
    }

    #[track_caller]
    fn failed(e: Error) -> Self {
        Self::new(BR_FAILED_REPLY, e.to_errno())
    }

    #[track_caller]
    fn dead() -> Self {
        Self::new(BR_DEAD_REPLY, EINVAL.to_errno())
    }
}

const FLAT_OBJ_SIZE: usize = size_of::<FlatObject>();
const PTR_OBJ_SIZE: usize = size_of::<binder_buffer_object>();
/// The largest object (`struct binder_buffer_object`).
const MAX_OBJ_SIZE: usize = PTR_OBJ_SIZE;

/// The type of the object in `b` (0 if too short to have one).
fn obj_type(b: &[u8]) -> u32 {
    abi::read::<binder_object_header>(b).map_or(0, |h| h.type_)
}

/// A failed access to the target buffer: the mapping gone is a dead
/// target, anything else `errno`.
fn buf_err(e: Error, errno: Error) -> TxnError {
    if e == ESRCH {
        TxnError::dead()
    } else {
        TxnError::failed(errno)
    }
}

/// The size of an object of type `ty`; 0 for an unknown type.
fn type_size(ty: u32) -> usize {
    match ty {
        BINDER_TYPE_BINDER
        | BINDER_TYPE_WEAK_BINDER
        | BINDER_TYPE_HANDLE
        | BINDER_TYPE_WEAK_HANDLE => FLAT_OBJ_SIZE,
        BINDER_TYPE_FD => size_of::<FdObject>(),
        BINDER_TYPE_PTR => PTR_OBJ_SIZE,
        BINDER_TYPE_FDA => size_of::<binder_fd_array_object>(),
        _ => 0,
    }
}

/// The bytes to read of an object at `off` in data of `data_size` bytes, as
/// `binder_get_object`: `None` for a misaligned offset or one past the data.
fn object_read_size(data_size: usize, off: usize) -> Option<usize> {
    let read = data_size.checked_sub(off)?.min(MAX_OBJ_SIZE);
    (read >= 4 && off % 4 == 0).then_some(read)
}

/// The object at `off` in the sender's data at user address `ubuf`, read
/// from its memory as `binder_get_object` does: its bytes and its size, 0
/// if it is not a whole, known object (or can't be read).
fn user_object(ubuf: usize, data_size: usize, off: usize) -> ([u8; MAX_OBJ_SIZE], usize) {
    let mut obj = [0u8; MAX_OBJ_SIZE];
    let Some(read) = object_read_size(data_size, off) else {
        return (obj, 0);
    };
    let copied = UserSlice::new(ubuf.wrapping_add(off), read)
        .reader()
        .read_slice(&mut obj[..read]);
    let size = type_size(obj_type(&obj));
    if copied.is_err() || size > read {
        return (obj, 0);
    }
    (obj, size)
}

/// The object at `off` in the target buffer (already translated), as
/// `binder_get_object` reads it from a buffer; size 0 if it isn't one.
fn buffer_object(
    buf: &mut BufferPages<'_>,
    data_size: usize,
    off: usize,
) -> ([u8; MAX_OBJ_SIZE], usize) {
    let mut obj = [0u8; MAX_OBJ_SIZE];
    let Some(read) = object_read_size(data_size, off) else {
        return (obj, 0);
    };
    if buf.read(off, &mut obj[..read]).is_err() {
        return (obj, 0);
    }
    let size = type_size(obj_type(&obj));
    if size > read {
        return (obj, 0);
    }
    (obj, size)
}

impl Process {
    /// Handles `BC_TRANSACTION` / `BC_REPLY` from `thread`. Failures are
    /// reported to the thread (or, for replies, to the caller) through
    /// return errors, as in the C driver.
    pub(crate) fn transaction(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        tr: &TxnData,
        reply: bool,
        sg_size: u64,
    ) {
        let id = next_debug_id();
        thread.set_extended_error(id, BR_OK, 0);
        let mut log = TxnLogEntry {
            debug_id: id,
            call_type: if reply {
                2
            } else if tr.flags & TF_ONE_WAY != 0 {
                1
            } else {
                0
            },
            from_proc: self.pid,
            from_thread: thread.id,
            target_handle: if reply { 0 } else { tr.target as u32 },
            data_size: tr.data_size,
            offsets_size: tr.offsets_size,
            return_error: BR_OK,
            ..Default::default()
        };
        let res = if reply {
            self.reply(thread, tr, sg_size, id, &mut log)
        } else {
            self.call_target(thread, tr)
                .and_then(|(node, target_proc, target_thread)| {
                    log.to_proc = node.owner_pid;
                    log.to_node = node.id as usize;
                    log.to_thread = target_thread.as_ref().map_or(0, |t| t.id);
                    let to = (target_proc, target_thread);
                    self.send(thread, tr, sg_size, id, Some(node), to, None)
                })
        };
        if let Err(e) = &res {
            log.return_error = e.cmd;
            log.return_error_param = e.param;
            log.return_error_line = e.line;
        }
        self.device.registry.log_txn(&log, &self.device);
        if let Err(e) = res {
            if !e.handled {
                self.report_error(thread, id, e);
            }
        }
    }

    /// `BC_REPLY`: failures after the call was popped go to the caller, the
    /// replier only sees `BR_TRANSACTION_COMPLETE` (`handled` errors).
    fn reply(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        tr: &TxnData,
        sg_size: u64,
        id: usize,
        log: &mut TxnLogEntry,
    ) -> Result<(), TxnError> {
        let orig = self.reply_target(thread)?;
        let res = match orig.from() {
            None => Err(TxnError::dead()),
            Some(caller) => {
                log.to_proc = caller.process.pid;
                log.to_thread = caller.id;
                if !caller.process.is_waiting_on(&caller, &orig) {
                    return Err(TxnError::failed(eproto()));
                }
                let to = (caller.process.clone(), Some(caller));
                self.send(thread, tr, sg_size, id, None, to, Some(&orig))
            }
        };
        res.map_err(|e| {
            if let Some(caller) = orig.from() {
                caller.set_caller_error(id, e.cmd, e.param);
            }
            self.queue_return_error(thread.id, BR_TRANSACTION_COMPLETE);
            send_failed_reply(orig, e.cmd);
            TxnError { handled: true, ..e }
        })
    }

    fn report_error(&self, thread: &Arc<Thread>, id: usize, e: TxnError) {
        if crate::debug::enabled(crate::debug::FAILED_TRANSACTION) {
            pr_info!(
                "{}:{} transaction {} failed {}/{}\n",
                self.pid,
                thread.id,
                id,
                e.cmd,
                e.param
            );
        }
        thread.set_extended_error(id, e.cmd, e.param);
        self.queue_return_error(thread.id, e.cmd);
    }

    /// The transaction a reply answers, with the replier's stack popped.
    fn reply_target(&self, thread: &Arc<Thread>) -> Result<DArc<Transaction>, TxnError> {
        let proto = || TxnError::failed(eproto());
        let mut inner = self.inner.lock();
        let ts = inner.thread_mut(thread.id).ok_or_else(proto)?;
        // Taken off the stack, and put back if it is not this thread's.
        let orig = ts.stack.take().ok_or_else(proto)?;
        let mut links = orig.links.lock();
        let parent = links
            .to_thread
            .as_ref()
            .is_some_and(|t| Arc::ptr_eq(t, thread))
            .then(|| links.to_parent.take());
        drop(links);
        match parent {
            Some(p) => ts.stack = p,
            None => {
                ts.stack = Some(orig);
                return Err(proto());
            }
        }
        drop(inner);
        crate::ffi::task::set_current_nice(orig.saved_priority.load(Ordering::Relaxed));
        Ok(orig)
    }

    /// The node a call goes to, and the thread of the target that should
    /// handle it (one already waiting in this thread's call chain).
    fn call_target(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        tr: &TxnData,
    ) -> Result<(DArc<Node>, Arc<Process>, Option<Arc<Thread>>), TxnError> {
        // `tr->target.handle`: the low 32 bits of the union, as in C.
        let handle = tr.target as u32;
        let node = if handle != 0 {
            let refs = self.refs.lock();
            match refs.by_handle.get(&handle) {
                Some(r) if r.strong > 0 => r.node.clone(),
                _ => return Err(TxnError::failed(EINVAL)),
            }
        } else {
            match self.device.context_manager() {
                Some(n) if n.owner_pid == self.pid => return Err(TxnError::failed(EINVAL)),
                Some(n) => n,
                None => return Err(TxnError::dead()),
            }
        };
        let target_proc = node.owner().ok_or(TxnError::dead())?;
        if target_proc.is_dead() {
            return Err(TxnError::dead());
        }
        if Arc::ptr_eq(&target_proc, self) {
            return Err(TxnError::failed(EINVAL));
        }
        security::binder_transaction(&self.cred, &target_proc.cred)
            .map_err(|_| TxnError::failed(EPERM))?;

        let mut target_thread = None;
        if tr.flags & TF_ONE_WAY == 0 {
            // The top of the stack is taken under `inner`; the chain below
            // it is walked after unlocking, under each transaction's own
            // lock (a reference dropped on the way may be the last one).
            let top = {
                let inner = self.inner.lock();
                let ts = inner
                    .threads
                    .get(&thread.id)
                    .ok_or(TxnError::failed(eproto()))?;
                if ts.todo.front_is(|w| matches!(w, View::Transaction(_))) {
                    return Err(TxnError::failed(eproto()));
                }
                ts.stack.clone()
            };
            if let Some(top) = top {
                if !top
                    .links
                    .lock()
                    .to_thread
                    .as_ref()
                    .is_some_and(|t| Arc::ptr_eq(t, thread))
                {
                    return Err(TxnError::failed(eproto()));
                }
                let mut cur = Some(top);
                while let Some(t) = cur {
                    let links = t.links.lock();
                    if let Some(from) = &links.from {
                        if Arc::ptr_eq(&from.process, &target_proc) {
                            target_thread = Some(from.clone());
                            break;
                        }
                    }
                    cur = links.from_parent.clone();
                }
            }
        }
        Ok((node, target_proc, target_thread))
    }

    /// Builds the transaction in the target's buffer and queues it: a call
    /// to `node`, or a reply to `in_reply_to`, for process `target_proc`
    /// (thread `target_thread`, if one must take it).
    fn send(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        tr: &TxnData,
        sg_size: u64,
        id: usize,
        node: Option<DArc<Node>>,
        (target_proc, target_thread): (Arc<Process>, Option<Arc<Thread>>),
        in_reply_to: Option<&DArc<Transaction>>,
    ) -> Result<(), TxnError> {
        let reply = in_reply_to.is_some();
        let oneway = !reply && tr.flags & TF_ONE_WAY != 0;
        // The sender's completion, allocated before the buffer (C's
        // `tcomplete`): once the transaction is queued, nothing can fail.
        let mut complete = Unsent::new(match Complete::reuse(&thread.complete) {
            Some(c) => c,
            None => Complete::new().map_err(|_| TxnError::failed(ENOMEM))?,
        });
        let data_size = usize::try_from(tr.data_size).map_err(|_| TxnError::failed(EINVAL))?;
        let offsets_size =
            usize::try_from(tr.offsets_size).map_err(|_| TxnError::failed(EINVAL))?;
        // The sender's security context goes at the end of the buffer when
        // the target node asks for it.
        let secctx = match &node {
            Some(n) if n.flags & FLAT_BINDER_FLAG_TXN_SECURITY_CTX != 0 => {
                Some(security::SecCtx::of(&self.cred).map_err(TxnError::failed)?)
            }
            _ => None,
        };
        let sg_size = usize::try_from(sg_size).map_err(|_| TxnError::failed(EINVAL))?;
        // Sizes come from user space: every sum is checked, and an
        // overflow is `EINVAL` as in C (`extra_buffers_size < added_size`,
        // `sanitized_size`).
        let ctx_len = match &secctx {
            Some(c) => align8(c.as_bytes().len()).ok_or(TxnError::failed(EINVAL))?,
            None => 0,
        };
        let extra = sg_size
            .checked_add(ctx_len)
            .ok_or(TxnError::failed(EINVAL))?;
        let size = buffer_size(data_size, offsets_size, extra).ok_or(TxnError::failed(EINVAL))?;
        // Where the security context goes: after the sg area.
        let ctx_off = buffer_layout(data_size, offsets_size)
            .and_then(|(_, sg_start)| sg_start.checked_add(sg_size))
            .ok_or(TxnError::failed(EINVAL))?;
        let accept_fds = match (&node, &in_reply_to) {
            (Some(n), _) => n.flags & FLAT_BINDER_FLAG_ACCEPTS_FDS != 0,
            (None, Some(orig)) => orig.flags & TF_ACCEPT_FDS != 0,
            (None, None) => false,
        };

        let lat = crate::trace::transaction(
            reply,
            id,
            node.as_ref(),
            &target_proc,
            target_thread.as_deref(),
            thread,
            tr.code,
            tr.flags,
        );
        // The buffer.
        let meta = BufferMeta {
            data_size,
            offsets_size,
            is_async: oneway,
            clear_on_free: tr.flags & TF_CLEAR_BUF != 0,
            sender_pid: self.pid,
            target_node: node.clone(),
            allow_user_free: false,
            active: true,
            held: ThinVec::new(),
            close_on_free: ThinVec::new(),
        };
        // A call pins its target node strongly until its buffer is freed
        // (`BufferMeta::target_node`).
        let mut held = ThinVec::new();
        if let Some(n) = &node {
            target_proc
                .inc_node_local(n, true)
                .map_err(TxnError::failed)?;
        }
        // The buffer, written through the view of its pages; the view's
        // page references go at the end of this block (in place: it is
        // large), before the target's reference moves into the
        // transaction.
        let (start, spam_suspect, off, res, fds) = {
            // Filled in place by the allocation (never moved); its first
            // pages are looked up with the allocation unless nothing is
            // written (no data: the buffer's 8 bytes are left as they are).
            let written = (data_size | offsets_size | extra) != 0;
            let mut pages = BufferPages::new(&target_proc.mapping, written);
            let (start, spam_suspect) = match target_proc.alloc_buffer(size, meta, &mut pages) {
                Ok(v) => v,
                Err(e) => {
                    if let Some(n) = &node {
                        target_proc.dec_node(n, true, false);
                    }
                    return Err(TxnError::new(
                        if e == ESRCH {
                            BR_DEAD_REPLY
                        } else {
                            BR_FAILED_REPLY
                        },
                        e.to_errno(),
                    ));
                }
            };
            let mut fds = ThinVec::new();
            let off = pages.off();
            crate::trace::alloc_buf(&target_proc, off, id, (data_size, offsets_size, extra));
            let mut res = self.fill_buffer(
                &Payload {
                    id,
                    tr,
                    target: &target_proc,
                    buf_addr: start + off,
                    data_size,
                    offsets_size,
                    sg_size,
                    accept_fds,
                },
                &mut pages,
                thread,
                &mut held,
                &mut fds,
            );
            if let (Ok(()), Some(c)) = (&res, &secctx) {
                res = pages
                    .write(ctx_off, c.as_bytes())
                    .map_err(|e| buf_err(e, e));
            }
            (start, spam_suspect, off, res, fds)
        };
        // Record what the buffer holds, even on failure, so that freeing it
        // gives everything back.
        target_proc.set_buffer_held(off, held);
        if let Err(e) = res {
            target_proc.free_buffer(off);
            return Err(e);
        }

        // Every part is inside the buffer, and the buffer inside the area
        // (at most `MAX_AREA`): each fits in 32 bits.
        let parts = (
            u32::try_from(off),
            u32::try_from(data_size),
            u32::try_from(offsets_size),
            u32::try_from(ctx_off),
        );
        let (Ok(off32), Ok(data_size), Ok(offsets_size), Ok(ctx_off)) = parts else {
            target_proc.free_buffer(off);
            return Err(TxnError::failed(EINVAL));
        };
        // The transaction's memory: the target process's reference then
        // moves into it (not cloned: the transaction holds the target).
        let Ok(slot) = Wrap::<Transaction>::reserve() else {
            target_proc.free_buffer(off);
            return Err(TxnError::failed(ENOMEM));
        };
        let t = Wrap::init_in(
            slot,
            pin_init!(Transaction {
                id,
                code: tr.code,
                flags: tr.flags,
                is_reply: reply,
                sender_euid: Kuid::current_euid(),
                to_proc: target_proc,
                target_node: node,
                data_size,
                offsets_size,
                buffer_addr: start + off,
                secctx_off: secctx.as_ref().map(|_| ctx_off),
                counted: AtomicBool::new(false),
                buffer_inactive: AtomicBool::new(false),
                from_tgid: self.pid,
                priority: crate::ffi::task::current_nice(),
                from_tid: thread.id,
                start_ns: kernel::time::Ktime::ktime_get().to_ns(),
                _count: crate::stats::TxnCount::new(),
                saved_priority: AtomicI32::new(0),
                links <- crate::new_spinlock!(Links {
                    from: if reply || oneway { None } else { Some(thread.clone()) },
                    from_parent: None,
                    to_thread: None,
                    to_parent: None,
                    buffer: Some(off32),
                    fds,
                }, "Transaction::links"),
            }),
        );
        let target_proc = &t.to_proc;

        let res = if let Some(orig) = in_reply_to {
            // Replies: the reply for the caller, then, under one lock of
            // the replier's, its completion and the call answered (no one
            // sees the order: the replier reads after this command).
            // A reply always has its target thread; without one it fails
            // below like any other delivery (its buffer freed).
            let delivered = match target_thread.as_ref() {
                Some(target) => target_proc.deliver_reply(target, &orig, &t),
                None => Err(TxnError::dead()),
            };
            if delivered.is_ok() {
                crate::trace::txn_free_answered(&orig);
                if Arc::ptr_eq(&orig.to_proc, self) {
                    self.reply_sent(thread.id, &orig, complete.take());
                } else {
                    self.queue_complete(thread.id, complete.take());
                    orig.to_proc.txn_done(&orig);
                }
            }
            delivered
        } else if !oneway {
            // Calls: complete is deferred until the reply comes (taken
            // back, this one and no other, if the call can't be sent).
            match complete.take() {
                Some(complete) => {
                    let mine = complete.clone_arc();
                    self.push_outgoing(thread, &t, complete);
                    match target_proc.deliver(&t, target_thread) {
                        Ok(_) => Ok(()),
                        Err(e) => {
                            self.pop_outgoing(thread, &t);
                            self.dequeue_complete(thread.id, &mine);
                            Err(e)
                        }
                    }
                }
                // Not reached: the completion is taken here only.
                None => Err(TxnError::failed(EINVAL)),
            }
        } else {
            match target_proc.deliver(&t, None) {
                Ok(pending_frozen) => {
                    if pending_frozen {
                        complete.set(CompleteKind::PendingFrozen);
                    } else if spam_suspect {
                        complete.set(CompleteKind::SpamSuspect);
                    }
                    self.queue_complete(thread.id, complete.take());
                    Ok(())
                }
                Err(e) => Err(e),
            }
        };
        if res.is_err() {
            t.links.lock().buffer = None;
            target_proc.free_buffer(off);
        }
        lat.end(&res);
        res
    }

    /// Copies the payload from the sender's memory straight into the target
    /// buffer and translates its objects in place, as `binder_transaction`
    /// does: what the objects hold goes into `held`, files to install into
    /// `fds`. Nothing is staged: no allocation is sized by the payload.
    fn fill_buffer(
        self: &Arc<Self>,
        p: &Payload<'_>,
        buf: &mut BufferPages<'_>,
        thread: &Arc<Thread>,
        held: &mut ThinVec<Held>,
        fds: &mut ThinVec<FdFixup>,
    ) -> Result<(), TxnError> {
        let fail = TxnError::failed;
        let (data_size, offsets_size, sg_size) = (p.data_size, p.offsets_size, p.sg_size);
        // The buffer of these sizes was allocated, so this can't overflow;
        // checked all the same (`EINVAL`, as `sanitized_size`).
        let (off_start, sg_start) = buffer_layout(data_size, offsets_size).ok_or(fail(EINVAL))?;
        let ubuf = p.tr.buffer as usize;
        // Copies `[from, from + len)` of the sender's data to the same place
        // in the buffer (`from + len <= data_size`).
        let copy_data = |buf: &mut BufferPages<'_>, from: usize, len: usize| {
            let mut r = UserSlice::new(ubuf.wrapping_add(from), len).reader();
            buf.copy_from_user(from, &mut r, len)
                .map_err(|e| buf_err(e, EFAULT))
        };
        // Offsets first, as the C driver copies them first.
        let mut r = UserSlice::new(p.tr.offsets as usize, offsets_size).reader();
        buf.copy_from_user(off_start, &mut r, offsets_size)
            .map_err(|e| buf_err(e, EFAULT))?;
        if offsets_size % 8 != 0 || sg_size % 8 != 0 {
            return Err(fail(EINVAL));
        }
        // Used part of the sg area; `sg_used <= sg_size`, both multiples
        // of 8 (checked above), so `sg_size - sg_used` never wraps.
        let mut sg_used = 0usize;
        let mut last_fixup_obj = 0usize;
        let mut last_fixup_min = 0usize;
        let num_objs = offsets_size / 8;
        let mut user_off = 0usize;
        let mut off_min = 0usize;
        for i in 0..num_objs {
            // `i < num_objs`, so `off_start + i * 8 + 8` is inside the buffer.
            let obj_off = buf
                .read_u64(off_start + i * 8)
                .map_err(|e| buf_err(e, EFAULT))?;
            let obj_off = usize::try_from(obj_off).unwrap_or(usize::MAX);
            // The sender's data up to this object.
            if obj_off != user_off {
                if user_off > obj_off || obj_off > data_size {
                    return Err(fail(EFAULT));
                }
                copy_data(buf, user_off, obj_off - user_off)?;
            }
            // The object itself is read from the sender's memory.
            let (obj, size) = user_object(ubuf, data_size, obj_off);
            if size == 0 || obj_off < off_min {
                return Err(fail(EINVAL));
            }
            // `user_object` checked `obj_off + size <= data_size`.
            user_off = obj_off + size;
            off_min = obj_off + size;
            match obj_type(&obj) {
                BINDER_TYPE_BINDER
                | BINDER_TYPE_WEAK_BINDER
                | BINDER_TYPE_HANDLE
                | BINDER_TYPE_WEAK_HANDLE => {
                    let mut fp: FlatObject = abi::read(&obj).ok_or(fail(EINVAL))?;
                    self.translate_flat(thread, p, &mut fp, held)
                        .map_err(fail)?;
                    buf.write(obj_off, abi::bytes(&fp))
                        .map_err(|e| buf_err(e, EFAULT))?;
                }
                BINDER_TYPE_FD => {
                    let mut fo: FdObject = abi::read(&obj).ok_or(fail(EINVAL))?;
                    let at = obj_off + offset_of!(FdObject, fd);
                    let file = self.translate_fd(p, fo.fd, at).map_err(fail)?;
                    fds.push(FdFixup::new(file, at, false), gfp_user_sized())
                        .map_err(|_| fail(ENOMEM))?;
                    // `pad_binder = 0`: the number is written at read time.
                    fo.fd = 0;
                    fo.pad = 0;
                    buf.write(obj_off, abi::bytes(&fo))
                        .map_err(|e| buf_err(e, EFAULT))?;
                }
                BINDER_TYPE_FDA => {
                    let fda: binder_fd_array_object = abi::read(&obj).ok_or(fail(EINVAL))?;
                    let (num_fds, parent_idx, parent_offset) =
                        (fda.num_fds, fda.parent, fda.parent_offset);
                    let (parent_off, parent) = fixup_parent(
                        buf,
                        (off_start, data_size),
                        (parent_idx, i),
                        parent_offset,
                        (last_fixup_obj, last_fixup_min),
                    )?;
                    // The parent as the sender wrote it, read again from its
                    // memory (as C does): its pointer is where the fds are.
                    let (uparent, usize_) = user_object(ubuf, data_size, parent_off);
                    let user_parent = abi::read::<binder_buffer_object>(&uparent)
                        .filter(|_| usize_ == PTR_OBJ_SIZE)
                        .ok_or(fail(EINVAL))?
                        .buffer;
                    // The translated parent (in the target's buffer) and its
                    // length, as the sender gave it (checked against the sg
                    // area when the parent was copied).
                    let (parent_buf, parent_len) = (parent.buffer, parent.length);
                    if num_fds > 0 {
                        // As `binder_translate_fd_array`: too many fds, or
                        // not in the parent, is EINVAL.
                        let fd_bytes = num_fds.checked_mul(4).ok_or(fail(EINVAL))?;
                        if fd_bytes > parent_len || parent_offset > parent_len - fd_bytes {
                            return Err(fail(EINVAL));
                        }
                        let fd_bytes = usize::try_from(fd_bytes).map_err(|_| fail(EINVAL))?;
                        let num = fd_bytes / 4;
                        // `parent_buf - user_data + parent_offset`: C's
                        // `binder_size_t` arithmetic can't wrap here (the
                        // parent's buffer is in this buffer, the array in
                        // the parent); checked, an impossible wrap is EINVAL.
                        let fda_off = parent_buf
                            .checked_sub(p.buf_addr as u64)
                            .and_then(|o| o.checked_add(parent_offset))
                            .and_then(|o| usize::try_from(o).ok())
                            .filter(|o| o.checked_add(fd_bytes).is_some())
                            .ok_or(fail(EINVAL))?;
                        // A user pointer: wraps as C's pointer sum does (a
                        // bad one fails the copy below).
                        let ubase = user_parent.wrapping_add(parent_offset);
                        if fda_off % 4 != 0 || ubase % 4 != 0 {
                            return Err(fail(EINVAL));
                        }
                        // The array's place in the parent's copy is not the
                        // sender's: the numbers are written at read time.
                        // It is inside the sg area (the parent is); anything
                        // else is left alone, as before.
                        if fda_off >= sg_start && fda_off + fd_bytes <= sg_start + sg_size {
                            buf.zero(fda_off, fd_bytes)
                                .map_err(|e| buf_err(e, EFAULT))?;
                        }
                        fds.reserve(num, gfp_user_sized())
                            .map_err(|_| fail(ENOMEM))?;
                        let mut r = UserSlice::new(ubase as usize, fd_bytes).reader();
                        // `fda_off + fd_bytes` doesn't overflow (checked), so
                        // neither does `fda_off + k * 4`.
                        for k in 0..num {
                            let mut b = [0u8; 4];
                            r.read_slice(&mut b).map_err(|_| fail(EINVAL))?;
                            let fd = u32::from_ne_bytes(b);
                            let file = self.translate_fd(p, fd, fda_off + k * 4).map_err(fail)?;
                            fds.push(FdFixup::new(file, fda_off + k * 4, true), gfp_user_sized())
                                .map_err(|_| fail(ENOMEM))?;
                        }
                    }
                    buf.write(obj_off, abi::bytes(&fda))
                        .map_err(|e| buf_err(e, EFAULT))?;
                    last_fixup_obj = parent_off;
                    // C: `parent_offset + 4 * num_fds` in `binder_size_t`.
                    // It can't wrap (with fds it is at most `parent_len`,
                    // without it is `parent_offset`), so saturating is the
                    // same value, without a panic path.
                    last_fixup_min =
                        usize::try_from(parent_offset.saturating_add(num_fds.saturating_mul(4)))
                            .unwrap_or(usize::MAX);
                }
                BINDER_TYPE_PTR => {
                    let mut bo: binder_buffer_object = abi::read(&obj).ok_or(fail(EINVAL))?;
                    let (flags, ubuf_ptr) = (bo.flags, bo.buffer);
                    let len = usize::try_from(bo.length).unwrap_or(usize::MAX);
                    // As C (`bp->length > buf_left`): EINVAL.
                    if len > sg_size - sg_used {
                        return Err(fail(EINVAL));
                    }
                    // The pointed-to data goes straight to the sg area.
                    let mut r = UserSlice::new(ubuf_ptr as usize, len).reader();
                    buf.copy_from_user(sg_start + sg_used, &mut r, len)
                        .map_err(|e| buf_err(e, EINVAL))?;
                    // Inside the allocated buffer: `buf_addr + sg_start +
                    // sg_size` is at most the end of the mapped area.
                    let new_buf = (p.buf_addr + sg_start + sg_used) as u64;
                    bo.buffer = new_buf;
                    // `len <= sg_size - sg_used`, a multiple of 8: its
                    // rounding up stays within it.
                    sg_used += (len + 7) & !7;
                    if flags & BINDER_BUFFER_FLAG_HAS_PARENT != 0 {
                        let (parent_idx, parent_offset) = (bo.parent, bo.parent_offset);
                        let (_, parent) = fixup_parent(
                            buf,
                            (off_start, data_size),
                            (parent_idx, i),
                            parent_offset,
                            (last_fixup_obj, last_fixup_min),
                        )?;
                        let parent_len = parent.length;
                        if parent_len < 8 || parent_offset > parent_len - 8 {
                            return Err(fail(EINVAL));
                        }
                        // `parent->buffer - user_data + parent_offset`, as
                        // for fd arrays: can't wrap; checked (EINVAL).
                        let at = parent
                            .buffer
                            .checked_sub(p.buf_addr as u64)
                            .and_then(|o| o.checked_add(parent_offset))
                            .and_then(|o| usize::try_from(o).ok())
                            .ok_or(fail(EINVAL))?;
                        // The parent was copied before: the pointer in its
                        // copy is patched now. Only inside the sg area.
                        if at < sg_start || at.checked_add(8).is_none_or(|e| e > sg_start + sg_size)
                        {
                            return Err(fail(EINVAL));
                        }
                        buf.write(at, &new_buf.to_ne_bytes())
                            .map_err(|e| buf_err(e, EINVAL))?;
                    }
                    buf.write(obj_off, abi::bytes(&bo))
                        .map_err(|e| buf_err(e, EFAULT))?;
                    last_fixup_obj = obj_off;
                    last_fixup_min = 0;
                }
                _ => return Err(fail(EINVAL)),
            }
        }
        // The rest of the sender's data (`user_off <= data_size`: every
        // object is inside the data).
        copy_data(buf, user_off, data_size - user_off)
    }

    /// Takes a reference on the file of descriptor `fd` for the target.
    fn translate_fd(&self, p: &Payload<'_>, fd: u32, offset: usize) -> Result<FileRef> {
        if !p.accept_fds {
            return Err(EPERM);
        }
        let file = FileRef::fget(fd).ok_or(EBADF)?;
        security::binder_transfer_file(&self.cred, &p.target.cred, &file).map_err(|_| EPERM)?;
        crate::trace::fd_send(p.id, fd, offset);
        Ok(file)
    }

    /// Translates a binder or handle object for `target`.
    fn translate_flat(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        p: &Payload<'_>,
        fp: &mut FlatObject,
        held: &mut ThinVec<Held>,
    ) -> Result {
        let target = p.target;
        let FlatObject {
            type_: ty,
            flags,
            binder,
            cookie,
        } = *fp;
        held.reserve(1, gfp_user_sized())?;
        let (new_ty, new_binder, new_cookie) = match ty {
            BINDER_TYPE_BINDER | BINDER_TYPE_WEAK_BINDER => {
                let strong = ty == BINDER_TYPE_BINDER;
                let node = self.get_or_create_node(binder, cookie, flags)?;
                if node.cookie != cookie {
                    return Err(EINVAL);
                }
                security::binder_transfer_binder(&self.cred, &target.cred).map_err(|_| EPERM)?;
                let handle = target.inc_ref_for_node(&node, strong, Some(thread))?;
                crate::trace::node_to_ref(p.id, &node, handle);
                held.push(Held::Ref { node, strong }, GFP_KERNEL)?;
                (
                    if strong {
                        BINDER_TYPE_HANDLE
                    } else {
                        BINDER_TYPE_WEAK_HANDLE
                    },
                    handle as u64,
                    0,
                )
            }
            _ => {
                let strong = ty == BINDER_TYPE_HANDLE;
                // `handle` is the low 32 bits of the union, as in C.
                let node = self.node_for_handle(binder as u32, strong).ok_or(EINVAL)?;
                security::binder_transfer_binder(&self.cred, &target.cred).map_err(|_| EPERM)?;
                if node.is_owned_by(target) {
                    target.inc_node_local(&node, strong)?;
                    crate::trace::ref_to_node(p.id, &node, binder as u32);
                    let (b, c) = (node.ptr, node.cookie);
                    held.push(Held::Node { node, strong }, GFP_KERNEL)?;
                    (
                        if strong {
                            BINDER_TYPE_BINDER
                        } else {
                            BINDER_TYPE_WEAK_BINDER
                        },
                        b,
                        c,
                    )
                } else {
                    let handle = target.inc_ref_for_node(&node, strong, None)?;
                    crate::trace::ref_to_ref(p.id, &node, binder as u32, handle);
                    held.push(Held::Ref { node, strong }, GFP_KERNEL)?;
                    (
                        if strong {
                            BINDER_TYPE_HANDLE
                        } else {
                            BINDER_TYPE_WEAK_HANDLE
                        },
                        handle as u64,
                        0,
                    )
                }
            }
        };
        fp.type_ = new_ty;
        fp.binder = new_binder;
        fp.cookie = new_cookie;
        Ok(())
    }
}

/// The PTR object `parent.0` (an object before object `parent.1`) that a
/// fixup at `fixup_offset` of its buffer goes into, checked for order
/// against the last fixup `last` (`binder_validate_ptr` and
/// `binder_validate_fixup`): its offset and its bytes as translated in the
/// buffer; `EINVAL` if either check fails. `layout` is the offsets array's
/// place in the buffer and the data size.
fn fixup_parent(
    buf: &mut BufferPages<'_>,
    layout: (usize, usize),
    parent: (u64, usize),
    fixup_offset: u64,
    last: (usize, usize),
) -> Result<(usize, binder_buffer_object), TxnError> {
    let (off, obj) =
        validate_ptr(buf, layout, parent.0, parent.1).ok_or(TxnError::failed(EINVAL))?;
    if !validate_fixup(buf, layout, parent.1, off, fixup_offset, last) {
        return Err(TxnError::failed(EINVAL));
    }
    Ok((off, obj))
}

/// The offset of object `index` of the offsets array (`index < num`,
/// which keeps it inside the array).
fn object_offset(buf: &mut BufferPages<'_>, off_start: usize, index: usize) -> Option<usize> {
    let v = buf.read_u64(off_start + index * 8).ok()?;
    usize::try_from(v).ok()
}

/// The offset and bytes of the PTR object that is object `index` of the
/// offsets array, if `index` names an object before object `num_valid`.
fn validate_ptr(
    buf: &mut BufferPages<'_>,
    (off_start, data_size): (usize, usize),
    index: u64,
    num_valid: usize,
) -> Option<(usize, binder_buffer_object)> {
    let index = usize::try_from(index).ok().filter(|&i| i < num_valid)?;
    let off = object_offset(buf, off_start, index)?;
    let (obj, size) = buffer_object(buf, data_size, off);
    if size != PTR_OBJ_SIZE || obj_type(&obj) != BINDER_TYPE_PTR {
        return None;
    }
    Some((off, abi::read(&obj)?))
}

/// Whether a fixup at `fixup_offset` in the buffer of the PTR object at
/// `parent_off` comes after the last one `(last_obj, last_min)`: only in
/// the last object with fixups or its ancestors, at increasing offsets
/// (`binder_validate_fixup`). Objects before object `num_valid` only.
fn validate_fixup(
    buf: &mut BufferPages<'_>,
    (off_start, data_size): (usize, usize),
    num_valid: usize,
    parent_off: usize,
    fixup_offset: u64,
    (last_obj, last_min): (usize, usize),
) -> bool {
    if last_obj == 0 {
        return false;
    }
    let (mut lo, mut lm) = (last_obj, last_min as u64);
    while lo != parent_off {
        let (obj, size) = buffer_object(buf, data_size, lo);
        let Some(bo) = abi::read::<binder_buffer_object>(&obj).filter(|_| size == PTR_OBJ_SIZE)
        else {
            return false;
        };
        if bo.flags & BINDER_BUFFER_FLAG_HAS_PARENT == 0 {
            return false;
        }
        // C: `parent_offset + sizeof(uintptr_t)` in `binder_size_t`; the
        // object's fixup was validated (`parent_offset <= length - 8`), so
        // it can't wrap: saturating gives the same value.
        lm = bo.parent_offset.saturating_add(8);
        let Ok(idx) = usize::try_from(bo.parent) else {
            return false;
        };
        // Keeps `idx * 8` inside the part of the offsets array read so far.
        if idx >= num_valid {
            return false;
        }
        lo = object_offset(buf, off_start, idx).unwrap_or(usize::MAX);
    }
    fixup_offset >= lm
}

/// Tells the caller waiting for `t` (or, if that caller is gone, the one
/// waiting further down its chain) that its call failed with `cmd`.
pub(crate) fn send_failed_reply(mut t: DArc<Transaction>, cmd: u32) {
    loop {
        let (from, parent) = {
            let links = t.links.lock();
            (links.from.clone(), links.from_parent.clone())
        };
        t.to_proc.txn_done(&t);
        crate::trace::txn_free_answered(&t);
        if let Some(from) = from {
            let proc = from.process.clone();
            proc.fail_waiting_thread(&from, &t, cmd);
            return;
        }
        match parent {
            Some(p) => t = p,
            None => return,
        }
    }
}
