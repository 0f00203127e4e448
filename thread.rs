// SPDX-License-Identifier: GPL-2.0

//! A thread of a binder process: its state (queue, looper state, transaction
//! stack, pending errors), the `BINDER_WRITE_READ` loops that run on it (the
//! write loop with its `BC_*` dispatch, the read loop that hands work to
//! user space) and its release (`BINDER_THREAD_EXIT`, process exit).
//!
//! The state lives in the process's inner state (see `process.rs` for the
//! lock order); work is taken from the queues under that lock and written
//! to user memory, and its fds installed, without it.

use crate::allocation::FdFixup;
use crate::ffi::abi;
use crate::ffi::poll::PollWaitQueue;
use crate::ffi::task;
use crate::ffi::uaccess;
use crate::ffi::vec::{ThinVec, VecExt};
use crate::node::NodeState;
use crate::process::{release_work, Process, ProcessInner};
use crate::stats::{self, Stats, ThreadCount};
use crate::transaction::{send_failed_reply, Transaction, TxnData, TXN_DATA_SIZE};
use crate::uapi::*;
use crate::work::{
    self, Complete, CompleteKind, DArc, ErrorKind, ErrorWork, Queue, View, Work, WorkArc, Wrap,
};
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::rbtree::RBTreeNode;
use kernel::sync::{Arc, CondVar};
use kernel::uaccess::{UserSlice, UserSliceReader};

/// Looper states of a thread (as in the C driver).
pub(crate) const LOOPER_REGISTERED: u32 = 0x01;
pub(crate) const LOOPER_ENTERED: u32 = 0x02;
pub(crate) const LOOPER_EXITED: u32 = 0x04;
pub(crate) const LOOPER_INVALID: u32 = 0x08;
pub(crate) const LOOPER_WAITING: u32 = 0x10;
pub(crate) const LOOPER_POLL: u32 = 0x20;

/// Room a read needs for one more item: a command and the largest payload.
const READ_ITEM_ROOM: usize = 4 + TXN_DATA_SIZE + 8;

/// A thread of a binder process.
#[pin_data]
pub(crate) struct Thread {
    /// The thread's id (global pid).
    pub(crate) id: i32,
    pub(crate) process: Arc<Process>,
    /// Where the thread waits for work.
    #[pin]
    pub(crate) cond: CondVar,
    /// Where pollers of the thread wait.
    #[pin]
    pub(crate) poll_wq: PollWaitQueue,
    /// The next read must return even without work (new thread, flush);
    /// cleared when an ioctl of the thread ends (as C, without a lock).
    pub(crate) need_return: AtomicBool,
    /// The pending return error (`BR_OK`: none), as C's
    /// `thread->return_error.cmd`: set and cleared by the thread itself,
    /// so commands check it without a lock.
    pub(crate) return_error: AtomicU32,
    /// Its pending return error and reply error as work items: each is
    /// queued at most once, so they are made with the thread.
    pub(crate) return_work: DArc<ErrorWork>,
    pub(crate) reply_work: DArc<ErrorWork>,
    /// Its `BR_TRANSACTION_COMPLETE`, reused by its sends while not queued
    /// ([`Complete::reuse`]).
    pub(crate) complete: DArc<Complete>,
    /// The extended error (`BINDER_GET_EXTENDED_ERROR`) in two atomics, so
    /// that a transaction records its id without a lock (C writes
    /// `thread->ee` unlocked too): the transaction id, and the command with
    /// its parameter ([`ExtendedError::pack`]). Only a failed reply writes
    /// another thread's, while that thread waits for it.
    ee_id: AtomicU32,
    ee: AtomicU64,
    _count: ThreadCount,
}

impl Thread {
    /// Records the thread's extended error.
    pub(crate) fn set_extended_error(&self, txn: usize, command: u32, param: i32) {
        // Ids are 32 bits in the ABI (C truncates them the same way).
        self.ee_id.store(txn as u32, Ordering::Relaxed);
        self.ee
            .store(ExtendedError::pack(command, param), Ordering::Relaxed);
    }

    /// Records a failed reply as the extended error of this (calling)
    /// thread, unless it already has one.
    pub(crate) fn set_caller_error(&self, txn: usize, command: u32, param: i32) {
        let cur = self.ee.load(Ordering::Relaxed);
        // The command is the low half ([`ExtendedError::pack`]).
        if cur as u32 != BR_OK {
            return;
        }
        let new = ExtendedError::pack(command, param);
        if self
            .ee
            .compare_exchange(cur, new, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.ee_id.store(txn as u32, Ordering::Relaxed);
        }
    }

    /// Takes the extended error, leaving none.
    pub(crate) fn take_extended_error(&self) -> ExtendedError {
        let packed = self.ee.swap(ExtendedError::NONE_PACKED, Ordering::Relaxed);
        ExtendedError::unpack(self.ee_id.swap(0, Ordering::Relaxed), packed)
    }
}

/// How a thread is to be woken.
#[derive(Clone, Copy)]
pub(crate) enum WakeKind {
    /// The waker goes on running.
    Normal,
    /// The waker is about to sleep (a sync call or a reply:
    /// `wake_up_interruptible_sync` in C), so the scheduler may run the
    /// woken thread on this CPU instead of waking another one.
    Sync,
}

/// Wakes `thread`'s read (`kind`) and its pollers (`poll`); called under
/// its process's lock, as C wakes under `proc->inner_lock`.
pub(crate) fn wake_now(thread: &Thread, kind: Option<WakeKind>, poll: bool) {
    match kind {
        Some(WakeKind::Normal) => thread.cond.notify_all(),
        Some(WakeKind::Sync) => thread.cond.notify_sync(),
        None => {}
    }
    if poll {
        thread.poll_wq.wake_all();
    }
}

impl ThreadState {
    /// Wakes the thread if it waits in a read or may wait in `poll()`: a
    /// running thread needs no wake-up.
    pub(crate) fn wake(&self, kind: WakeKind) {
        let waiting = self.looper & LOOPER_WAITING != 0;
        let poll = self.looper & LOOPER_POLL != 0;
        if waiting || poll {
            wake_now(&self.thread, waiting.then_some(kind), poll);
        }
    }
}

/// The extended error of a thread (`BINDER_GET_EXTENDED_ERROR`).
#[derive(Clone, Copy)]
pub(crate) struct ExtendedError {
    pub(crate) id: u32,
    pub(crate) command: u32,
    pub(crate) param: i32,
}

impl ExtendedError {
    /// No error, packed: `BR_OK` with parameter 0.
    const NONE_PACKED: u64 = BR_OK as u64;

    /// `command` in the low half, `param` (its bits) in the high half.
    fn pack(command: u32, param: i32) -> u64 {
        u64::from(command) | (u64::from(param as u32) << 32)
    }

    /// The error `id` with the command and parameter packed in `v`.
    fn unpack(id: u32, v: u64) -> Self {
        Self {
            id,
            command: v as u32,
            param: (v >> 32) as u32 as i32,
        }
    }
}

/// The state of a thread, kept in its process's inner state.
pub(crate) struct ThreadState {
    pub(crate) thread: Arc<Thread>,
    pub(crate) looper: u32,
    pub(crate) todo: Queue,
    /// Whether `todo` holds work that should end a wait (deferred work,
    /// such as the completion of a call, doesn't).
    pub(crate) process_todo: bool,
    /// Top of the thread's transaction stack.
    pub(crate) stack: Option<DArc<Transaction>>,
    pub(crate) reply_error: u32,
}

/// The `binder_transaction_data` of a command.
fn read_txn(b: &[u8; TXN_DATA_SIZE]) -> Result<TxnData> {
    abi::read(b).ok_or(EINVAL)
}

/// How many commands a write runs between two chances to reschedule.
const RESCHED_EVERY: u32 = 1024;

/// The longest command: `BC_TRANSACTION_SG` / `BC_REPLY_SG`.
const CMD_MAX: usize = 4 + TXN_DATA_SIZE + 8;

/// How many bytes of a write buffer are copied at a time: a server's
/// `BC_FREE_BUFFER` and `BC_REPLY` (80 bytes) come from one copy. The
/// reader is zeroed once per write: with 96 bytes that is a few stores,
/// with 128 (and its counters) a `memset` call.
const CMD_BUF: usize = 96;
const _: () = assert!(CMD_BUF >= CMD_MAX);

/// The commands of a write buffer, copied in up to [`CMD_BUF`] bytes at a
/// time; each command sees at most the longest a command can be
/// ([`CMD_MAX`], less at the end of the buffer), as when each was fetched
/// alone. If a copy faults (the rest of the buffer may, the command itself
/// may not), the command is read piece by piece from user memory instead,
/// as C reads it.
///
/// One per write, refilled when what is left of the last copy doesn't hold
/// the next command ([`CmdReader::fetch`]): its bytes are never moved (a
/// command is read on every write, and moving them was a `memcpy`).
///
/// # Invariants
///
/// `at <= limit <= filled <= CMD_BUF`; with `user`, `b` is unused
/// (`filled == limit == at == 0`).
struct CmdReader {
    b: [u8; CMD_BUF],
    /// Bytes of `b` copied from the buffer.
    filled: usize,
    /// Where the current command's bytes end.
    limit: usize,
    at: usize,
    user: Option<UserSliceReader>,
}

impl CmdReader {
    /// An empty reader.
    fn new() -> Self {
        // INVARIANT: nothing to read.
        Self {
            b: [0u8; CMD_BUF],
            filled: 0,
            limit: 0,
            at: 0,
            user: None,
        }
    }

    /// Makes the command at `ptr` readable, with `avail` bytes of buffer
    /// from there. The bytes left of the last copy are that command's when
    /// `ptr` moved on by what was read (as the write loop moves it).
    fn fetch(&mut self, ptr: usize, avail: usize) {
        let want = avail.min(CMD_MAX);
        if self.user.is_none() && self.filled - self.at >= want {
            // INVARIANT: `at + want <= filled`.
            self.limit = self.at + want;
            return;
        }
        let n = avail.min(CMD_BUF);
        // INVARIANT: nothing read yet, `want <= n <= CMD_BUF`.
        self.at = 0;
        self.user = None;
        self.filled = n;
        self.limit = want;
        if UserSlice::new(ptr, n)
            .reader()
            .read_slice(&mut self.b[..n])
            .is_err()
        {
            // INVARIANT: read from user memory instead.
            self.filled = 0;
            self.limit = 0;
            self.user = Some(UserSlice::new(ptr, avail).reader());
        }
    }

    /// Bytes of the buffer left to read.
    fn len(&self) -> usize {
        match &self.user {
            Some(u) => u.len(),
            None => self.limit - self.at,
        }
    }

    /// Reads `out.len()` bytes; `EFAULT` past the end of the buffer (as a
    /// user slice reader).
    fn read_slice(&mut self, out: &mut [u8]) -> Result {
        if let Some(u) = &mut self.user {
            return u.read_slice(out);
        }
        let end = self.at.checked_add(out.len()).filter(|&e| e <= self.limit);
        let src = end.and_then(|e| self.b.get(self.at..e)).ok_or(EFAULT)?;
        out.copy_from_slice(src);
        // INVARIANT: `at + out.len() <= limit`.
        self.at += out.len();
        Ok(())
    }

    fn read_u32(&mut self) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_slice(&mut b)?;
        Ok(u32::from_ne_bytes(b))
    }

    fn read_u64(&mut self) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_slice(&mut b)?;
        Ok(u64::from_ne_bytes(b))
    }
}

/// What delivering one work item did.
enum Step {
    /// Go on with the next item.
    Continue,
    /// The read ends here.
    End,
    /// The read ends with this transaction, to be finished under the lock
    /// that ends the read ([`Process::finish_delivery`]).
    Delivered(DArc<Transaction>),
    /// A transaction's files could not be installed.
    FdsFailed(DArc<Transaction>),
    /// A transaction could not be written to the read buffer.
    CopyFailed(DArc<Transaction>, Error),
}

/// What is left of a delivery once the lock that ends the read is released.
#[derive(Default)]
struct Finished {
    /// A call whose thread is gone (it can't be while its ioctl runs; kept
    /// as a guard): its caller must not wait for a reply that can't come.
    failed: Option<DArc<Transaction>>,
    /// A reply or one-way that is done, to be dropped unlocked.
    done: Option<DArc<Transaction>>,
    /// Its buffer, to be marked inactive ([`Process::txn_done_locked`]).
    inactive: Option<usize>,
}

/// What a work item taken under the process lock still has to do.
enum Prepared {
    /// Write the return commands prepared in the read's [`Items`].
    Write,
    /// Deliver this transaction.
    Transaction(DArc<Transaction>),
}

/// Up to four return commands of up to 20 bytes (a node's refcount update
/// is the longest: `BR_INCREFS` and `BR_ACQUIRE`, or `BR_RELEASE` and
/// `BR_DECREFS`), prepared under the lock and written without it. A read
/// has one, cleared for each work item (filled in place: it is too large
/// to move cheaply).
struct Items {
    b: [[u8; 20]; 4],
    len: [usize; 4],
    n: usize,
    /// The read ends after them.
    end: bool,
}

impl Items {
    fn new() -> Self {
        Self {
            b: [[0; 20]; 4],
            len: [0; 4],
            n: 0,
            end: false,
        }
    }

    /// Forgets the commands of the last work item.
    fn clear(&mut self) {
        self.n = 0;
        self.end = false;
    }

    fn push(&mut self, data: &[u8]) {
        if let (Some(b), Some(l)) = (self.b.get_mut(self.n), self.len.get_mut(self.n)) {
            let k = data.len().min(b.len());
            b[..k].copy_from_slice(&data[..k]);
            *l = k;
            self.n += 1;
        }
    }

    fn cmd(&mut self, cmd: u32) {
        self.push(&cmd.to_ne_bytes());
    }

    /// `cmd` followed by `payload` (at most 16 bytes).
    fn cmd_with(&mut self, cmd: u32, payload: &[u8]) {
        let mut b = [0u8; 20];
        b[..4].copy_from_slice(&cmd.to_ne_bytes());
        let n = payload.len().min(16);
        b[4..4 + n].copy_from_slice(&payload[..n]);
        self.push(&b[..4 + n]);
    }

    fn cmd_u64(&mut self, cmd: u32, v: u64) {
        self.cmd_with(cmd, &v.to_ne_bytes());
    }

    fn node_cmd(&mut self, cmd: u32, ptr: u64, cookie: u64) {
        self.cmd_with(cmd, abi::bytes(&binder_ptr_cookie { ptr, cookie }));
    }

    /// Writes them, each counted as its command.
    fn write(&self, out: &mut ReadBuf<'_>) -> Result<Step> {
        for (b, &l) in self.b.iter().zip(self.len.iter()).take(self.n) {
            out.put(&b[..l])?;
        }
        Ok(if self.end { Step::End } else { Step::Continue })
    }
}

/// Bytes of return commands a read gathers before copying them to user
/// memory: small commands (`BR_NOOP`, completions, refcount updates) go
/// out with what follows them, in one copy.
const STAGE: usize = 128;

/// A user read buffer being filled; every item starts with its return
/// command, which is counted (and traced) as it is added, so that the
/// events keep C's order.
///
/// `base`, `size` and `pos` (the read cursor, `read_consumed`) come from
/// user space unchecked, and they are treated exactly as the C driver's
/// pointers: an item goes to the wrapping address `base + pos` (a bad
/// address fails the copy with `EFAULT`), and the room left is the wrapping
/// `size - pos`, so with `pos > size` the room is huge and items go past
/// `base + size` (into the caller's own memory, checked by the user copy),
/// as C writes them.
///
/// Items after the leading `BR_NOOP` (written at once, as C's first
/// `put_user()`) are gathered in `stage` and copied together
/// ([`ReadBuf::flush`]): before the read sleeps, with a transaction, and
/// when the read ends.
///
/// # Invariants
///
/// `stage[..staged]` are the bytes of `[pos - staged, pos)` (wrapping), not
/// yet copied.
struct ReadBuf<'a> {
    base: usize,
    size: usize,
    pos: usize,
    stage: [u8; STAGE],
    staged: usize,
    stats: &'a Stats,
}

/// Copies item `src` into `dst`, which is as long (`EINVAL` if not: not
/// reached, the caller cuts `dst` to `src`'s length). The sizes items have
/// are copied as arrays of that size, with moves, not a `memcpy` call
/// (which costs more than these copies: a read stages several); a
/// transaction item in parts of at most 64 bytes.
fn copy_item(dst: &mut [u8], src: &[u8]) -> Result {
    const TXN: usize = 4 + TXN_DATA_SIZE;
    fn put<const N: usize>(dst: &mut [u8], src: &[u8]) -> Result {
        match (<&mut [u8; N]>::try_from(dst), <&[u8; N]>::try_from(src)) {
            (Ok(d), Ok(s)) => {
                *d = *s;
                Ok(())
            }
            _ => Err(EINVAL),
        }
    }
    if dst.len() != src.len() {
        return Err(EINVAL);
    }
    match src.len() {
        4 => put::<4>(dst, src),
        8 => put::<8>(dst, src),
        12 => put::<12>(dst, src),
        20 => put::<20>(dst, src),
        n if n == TXN || n == TXN + 8 => {
            let (dcmd, dst) = dst.split_at_mut_checked(4).ok_or(EINVAL)?;
            let (scmd, src) = src.split_at_checked(4).ok_or(EINVAL)?;
            put::<4>(dcmd, scmd)?;
            let (dtr, dctx) = dst.split_at_mut_checked(TXN_DATA_SIZE).ok_or(EINVAL)?;
            let (str_, sctx) = src.split_at_checked(TXN_DATA_SIZE).ok_or(EINVAL)?;
            put::<TXN_DATA_SIZE>(dtr, str_)?;
            if n > TXN {
                put::<8>(dctx, sctx)?;
            }
            Ok(())
        }
        _ => {
            for (d, s) in dst.iter_mut().zip(src) {
                *d = *s;
            }
            Ok(())
        }
    }
}

impl<'a> ReadBuf<'a> {
    fn new(base: usize, size: usize, pos: usize, stats: &'a Stats) -> Self {
        // INVARIANT: nothing gathered.
        Self {
            base,
            size,
            pos,
            stage: [0; STAGE],
            staged: 0,
            stats,
        }
    }

    /// Bytes left between the cursor and the end of the buffer, as C's
    /// unsigned view of `end - ptr`.
    fn room(&self) -> usize {
        self.size.wrapping_sub(self.pos)
    }

    /// Whether items are gathered and not yet copied.
    fn has_staged(&self) -> bool {
        self.staged != 0
    }

    /// Adds item `data` (at least its 4-byte command) at the cursor.
    fn put(&mut self, data: &[u8]) -> Result {
        if self.room() < data.len() {
            return Err(EFAULT);
        }
        self.stage_item(data)
    }

    /// Writes `v` at the cursor now, without looking at the room (C's
    /// `put_user()` of `BR_NOOP`: a bad buffer fails the read before any
    /// work is taken).
    fn put_raw_u32(&mut self, v: u32) -> Result {
        self.stage_item(&v.to_ne_bytes())?;
        self.flush()
    }

    fn put_u32(&mut self, v: u32) -> Result {
        self.put(&v.to_ne_bytes())
    }

    fn stage_item(&mut self, data: &[u8]) -> Result {
        if self.staged + data.len() > STAGE {
            self.flush()?;
        }
        let cmd = match data.get(..4) {
            Some(c) => u32::from_ne_bytes([c[0], c[1], c[2], c[3]]),
            None => return Err(EINVAL),
        };
        match self.stage.get_mut(self.staged..self.staged + data.len()) {
            Some(dst) => {
                copy_item(dst, data)?;
                // INVARIANT: the bytes of `[pos, pos + len)`.
                self.staged += data.len();
            }
            None => {
                // Larger than the stage (no item is): copied at once.
                UserSlice::new(self.base.wrapping_add(self.pos), data.len())
                    .writer()
                    .write_slice(data)?;
            }
        }
        stats::br(self.stats, cmd);
        // A pointer that wraps, as C's `ptr += size`.
        self.pos = self.pos.wrapping_add(data.len());
        Ok(())
    }

    /// Copies the gathered items to user memory. On failure they are not
    /// written: the cursor goes back to where they started.
    fn flush(&mut self) -> Result {
        if self.staged == 0 {
            return Ok(());
        }
        let start = self.pos.wrapping_sub(self.staged);
        let addr = self.base.wrapping_add(start);
        // One or two commands (`BR_NOOP`, what is copied out before a
        // read sleeps) are one `put_user()`, as C writes them.
        let word = |n: usize| self.stage.get(..n);
        let res = match self.staged {
            4 => match word(4).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
                Some(b) => uaccess::put_u32(addr, u32::from_ne_bytes(b)),
                None => Err(EINVAL),
            },
            8 => match word(8).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(b) => uaccess::put_u64(addr, u64::from_ne_bytes(b)),
                None => Err(EINVAL),
            },
            n => UserSlice::new(addr, n)
                .writer()
                .write_slice(&self.stage[..n]),
        };
        if res.is_err() {
            self.pos = start;
        }
        // INVARIANT: nothing gathered any more.
        self.staged = 0;
        res
    }
}

impl Process {
    /// The current thread, created on first use.
    pub(crate) fn get_thread(self: &Arc<Self>) -> Result<Arc<Thread>> {
        let id = task::current_pid();
        if let Some(ts) = self.inner.lock().threads.get(&id) {
            return Ok(ts.thread.clone());
        }
        let return_work = Wrap::new(ErrorWork {
            kind: ErrorKind::Return,
        })?;
        let reply_work = Wrap::new(ErrorWork {
            kind: ErrorKind::Reply,
        })?;
        let complete = Complete::new_kept()?;
        let thread = Arc::pin_init(
            pin_init!(Thread {
                id,
                process: self.clone(),
                cond <- kernel::new_condvar!("Thread::cond"),
                need_return: AtomicBool::new(true),
                return_error: AtomicU32::new(BR_OK),
                return_work,
                reply_work,
                complete,
                ee_id: AtomicU32::new(0),
                ee: AtomicU64::new(ExtendedError::NONE_PACKED),
                _count: ThreadCount::new(),
                poll_wq <- PollWaitQueue::new(kernel::c_str!("Thread::poll_wq"), kernel::static_lock_class!()),
            }),
            GFP_KERNEL,
        )?;
        let node = RBTreeNode::new(
            id,
            ThreadState {
                thread: thread.clone(),
                looper: 0,
                todo: Queue::new(),
                process_todo: false,
                stack: None,
                reply_error: BR_OK,
            },
            GFP_KERNEL,
        )?;
        let mut inner = self.inner.lock();
        if let Some(ts) = inner.threads.get(&id) {
            return Ok(ts.thread.clone());
        }
        inner.threads.insert(node);
        Ok(thread)
    }

    /// `BINDER_WRITE_READ`.
    pub(crate) fn write_read(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        arg: usize,
        nonblock: bool,
    ) -> Result {
        let size = core::mem::size_of::<binder_write_read>();
        let (mut r, mut w) = UserSlice::new(arg, size).reader_writer();
        let mut bwr: binder_write_read = r.read()?;
        // User pointers and sizes, used as C uses them (wrapping cursors).
        let (write_size, mut write_consumed, write_buffer) = (
            bwr.write_size as usize,
            bwr.write_consumed as usize,
            bwr.write_buffer as usize,
        );
        let (read_size, mut read_consumed, read_buffer) = (
            bwr.read_size as usize,
            bwr.read_consumed as usize,
            bwr.read_buffer as usize,
        );
        let mut ret = Ok(());
        if write_size > 0 {
            ret = self.thread_write(thread, write_buffer, write_size, &mut write_consumed);
            crate::trace::write_done(&ret);
            if ret.is_err() {
                read_consumed = 0;
            }
        }
        if ret.is_ok() && read_size > 0 {
            ret = self.thread_read(thread, read_buffer, read_size, &mut read_consumed, nonblock);
            crate::trace::read_done(&ret);
        }
        bwr.write_consumed = write_consumed as u64;
        bwr.read_consumed = read_consumed as u64;
        w.write(&bwr)?;
        ret
    }

    /// Runs the commands in `[buf + *consumed, buf + size)`.
    ///
    /// The cursors come from user space: as the C driver, they are pointers
    /// that wrap (`ptr = buf + consumed`, `end = buf + size`) and the loop
    /// runs while `ptr < end`, so a cursor past the end runs nothing and a
    /// buffer in the kernel half fails with `EFAULT` on the first read.
    fn thread_write(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        buf: usize,
        size: usize,
        consumed: &mut usize,
    ) -> Result {
        let end = buf.wrapping_add(size);
        let mut ptr = buf.wrapping_add(*consumed);
        let mut ran: u32 = 0;
        let mut r = CmdReader::new();
        // As C, commands run while the thread has no pending return error.
        while ptr < end && thread.return_error.load(Ordering::Relaxed) == BR_OK {
            // `ptr < end`, so `end - ptr` doesn't wrap.
            r.fetch(ptr, end - ptr);
            let start = r.len();
            let cmd = r.read_u32()?;
            stats::bc(&self.stats, cmd);
            self.command(thread, cmd, &mut r)?;
            // As C, only a command that succeeded counts as consumed; what
            // it read is at most `end - ptr`.
            ptr = ptr.wrapping_add(start - r.len());
            *consumed = ptr.wrapping_sub(buf);
            // A write may hold a million commands: no soft lockup. Not
            // after every command (C has none): a call has just woken its
            // target with a sync wake-up, and yielding here would switch
            // to it before this thread gets to wait for the reply.
            ran = ran.wrapping_add(1);
            if ran % RESCHED_EVERY == 0 {
                task::cond_resched();
            }
        }
        Ok(())
    }

    fn command(self: &Arc<Self>, thread: &Arc<Thread>, cmd: u32, r: &mut CmdReader) -> Result {
        match cmd {
            BC_INCREFS | BC_ACQUIRE | BC_RELEASE | BC_DECREFS => {
                let handle = r.read_u32()?;
                let strong = cmd == BC_ACQUIRE || cmd == BC_RELEASE;
                let increment = cmd == BC_INCREFS || cmd == BC_ACQUIRE;
                let mut done = false;
                if increment && handle == 0 {
                    if let Some(mgr) = self.device.context_manager() {
                        if mgr.is_owned_by(self) {
                            return Err(EINVAL);
                        }
                        done = self.inc_ref_for_node(&mgr, strong, None).is_ok();
                    }
                }
                if !done {
                    // Invalid references are user errors the C driver only
                    // logs (`binder_user_error`); the write goes on.
                    if let Err(e) = self.update_ref(handle, increment, strong) {
                        if crate::debug::enabled(crate::debug::USER_ERROR) {
                            pr_info!(
                                "{}:{} refcount change on invalid ref {} ret {}\n",
                                self.pid,
                                thread.id,
                                handle,
                                e.to_errno()
                            );
                        }
                    }
                }
            }
            BC_INCREFS_DONE | BC_ACQUIRE_DONE => {
                let ptr = r.read_u64()?;
                let cookie = r.read_u64()?;
                self.refcount_done(ptr, cookie, cmd == BC_ACQUIRE_DONE);
            }
            BC_ATTEMPT_ACQUIRE | BC_ACQUIRE_RESULT => return Err(EINVAL),
            BC_FREE_BUFFER => {
                let ptr = r.read_u64()? as usize;
                if self.user_free_buffer(ptr) {
                    // The fds close on the way back to user space: the next
                    // read must not block (C: `looper_need_return`).
                    thread.need_return.store(true, Ordering::Relaxed);
                }
            }
            BC_TRANSACTION | BC_REPLY => {
                let mut b = [0u8; TXN_DATA_SIZE];
                r.read_slice(&mut b)?;
                self.transaction(thread, &read_txn(&b)?, cmd == BC_REPLY, 0);
            }
            BC_TRANSACTION_SG | BC_REPLY_SG => {
                let mut b = [0u8; TXN_DATA_SIZE];
                r.read_slice(&mut b)?;
                let sg_size = r.read_u64()?;
                self.transaction(thread, &read_txn(&b)?, cmd == BC_REPLY_SG, sg_size);
            }
            BC_REGISTER_LOOPER => {
                let mut inner = self.inner.lock();
                let requested = inner.requested_threads;
                if requested > 0 {
                    if let Some(ts) = inner.threads.get(&thread.id) {
                        if ts.looper & LOOPER_ENTERED == 0 {
                            inner.requested_threads -= 1;
                            inner.requested_threads_started =
                                inner.requested_threads_started.wrapping_add(1);
                        }
                    }
                }
                if let Some(ts) = inner.thread_mut(thread.id) {
                    if ts.looper & LOOPER_ENTERED != 0 || requested == 0 {
                        ts.looper |= LOOPER_INVALID;
                    }
                    ts.looper |= LOOPER_REGISTERED;
                }
            }
            BC_ENTER_LOOPER => {
                if let Some(ts) = self.inner.lock().thread_mut(thread.id) {
                    if ts.looper & LOOPER_REGISTERED != 0 {
                        ts.looper |= LOOPER_INVALID;
                    }
                    ts.looper |= LOOPER_ENTERED;
                }
            }
            BC_EXIT_LOOPER => {
                if let Some(ts) = self.inner.lock().thread_mut(thread.id) {
                    ts.looper |= LOOPER_EXITED;
                }
            }
            BC_REQUEST_DEATH_NOTIFICATION | BC_CLEAR_DEATH_NOTIFICATION => {
                let handle = r.read_u32()?;
                let cookie = r.read_u64()?;
                if cmd == BC_REQUEST_DEATH_NOTIFICATION {
                    self.request_death(thread, handle, cookie)?;
                } else {
                    self.clear_death(thread, handle, cookie);
                }
            }
            BC_REQUEST_FREEZE_NOTIFICATION | BC_CLEAR_FREEZE_NOTIFICATION => {
                let handle = r.read_u32()?;
                let cookie = r.read_u64()?;
                if cmd == BC_REQUEST_FREEZE_NOTIFICATION {
                    self.request_freeze(handle, cookie)?;
                } else {
                    self.clear_freeze(handle, cookie)?;
                }
            }
            BC_FREEZE_NOTIFICATION_DONE => {
                let cookie = r.read_u64()?;
                self.freeze_done(cookie)?;
            }
            BC_DEAD_BINDER_DONE => {
                let cookie = r.read_u64()?;
                self.dead_binder_done(thread, cookie);
            }
            _ => return Err(EINVAL),
        }
        Ok(())
    }

    fn thread_read(
        self: &Arc<Self>,
        thread: &Arc<Thread>,
        buf: usize,
        size: usize,
        consumed: &mut usize,
        nonblock: bool,
    ) -> Result {
        let mut out = ReadBuf::new(buf, size, *consumed, &self.stats);
        // As C, a read from the start begins with BR_NOOP, written whatever
        // `size` says (a bad buffer: `EFAULT`).
        let noop = if out.pos == 0 {
            out.put_raw_u32(BR_NOOP)
        } else {
            Ok(())
        };
        let id = thread.id;
        let mut finish = None;
        let mut nice_set = false;
        let mut items = Items::new();
        let res = if let Err(e) = noop {
            Err(e)
        } else {
            'retry: loop {
                let mut inner = self.inner.lock();
                let proc_work = inner.available_for_proc_work(id);
                if proc_work && !nice_set && task::current_nice() != self.default_priority {
                    // As C, after unlocking (it may audit a capability);
                    // once per read: the nice value may stay different (a
                    // lower `RLIMIT_NICE`), and that must not spin.
                    drop(inner);
                    task::set_current_nice(self.default_priority);
                    nice_set = true;
                    continue 'retry;
                }
                if let Some(ts) = inner.thread_mut(id) {
                    ts.looper |= LOOPER_WAITING;
                }
                crate::trace::wait_for_work(proc_work, || {
                    inner.threads.get(&id).map_or((false, false), |ts| {
                        (ts.stack.is_some(), !ts.todo.is_empty())
                    })
                });
                let mut ret = Ok(());
                if nonblock {
                    if !inner.has_work(id, proc_work) {
                        ret = Err(EAGAIN);
                    }
                } else {
                    while !inner.has_work(id, proc_work) {
                        if out.has_staged() {
                            // What is gathered is copied before sleeping
                            // (a read waits again only at cursor 4, which
                            // a wrapping user cursor can reach with items
                            // gathered).
                            if let Some(ts) = inner.thread_mut(id) {
                                ts.looper &= !LOOPER_WAITING;
                            }
                            drop(inner);
                            if let Err(e) = out.flush() {
                                break 'retry Err(e);
                            }
                            continue 'retry;
                        }
                        if proc_work && inner.waiting.len() >= inner.waiting.capacity() {
                            // The list of waiters grows outside the lock,
                            // then the read starts over.
                            let want = inner.waiting.len().saturating_mul(2).max(4);
                            drop(inner);
                            match KVVec::with_capacity(want, GFP_KERNEL) {
                                Ok(v) => self.install_waiting(v),
                                Err(_) => break 'retry Err(ENOMEM),
                            }
                            continue 'retry;
                        }
                        // Room was made: this push doesn't allocate.
                        if proc_work && inner.waiting.push_within_capacity(id).is_err() {
                            ret = Err(ENOMEM);
                            break;
                        }
                        let signal = thread.cond.wait_interruptible(&mut inner);
                        inner.waiting.retain(|&t| t != id);
                        if signal {
                            ret = Err(EINTR);
                            break;
                        }
                    }
                }
                if let Some(ts) = inner.thread_mut(id) {
                    ts.looper &= !LOOPER_WAITING;
                }
                ret?;

                loop {
                    let Some(ts) = inner.threads.get(&id) else {
                        break 'retry Ok(());
                    };
                    let from_thread = !ts.todo.is_empty();
                    let need_return = ts.thread.need_return.load(Ordering::Relaxed);
                    if !from_thread && !(proc_work && !inner.todo.is_empty()) {
                        if out.pos == 4 && !need_return {
                            drop(inner);
                            continue 'retry;
                        }
                        break 'retry Ok(());
                    }
                    if out.room() < READ_ITEM_ROOM {
                        break 'retry Ok(());
                    }
                    let w = match inner.threads.get_mut(&id) {
                        Some(ts) if from_thread => {
                            let w = ts.todo.pop_item();
                            if ts.todo.is_empty() {
                                ts.process_todo = false;
                            }
                            w
                        }
                        _ => inner.todo.pop_item(),
                    };
                    let Some(w) = w else { break 'retry Ok(()) };
                    // The state changes under the lock; the copy to user memory
                    // and the fd installs without it (a reader stalled in a page
                    // fault must not block senders, freezes or the logs).
                    let mut gone = None;
                    items.clear();
                    let prepared = self.prepare_work(&mut inner, thread, w, &mut items, &mut gone);
                    drop(inner);
                    drop(gone);
                    let step = match prepared {
                        Prepared::Write => items.write(&mut out),
                        Prepared::Transaction(t) => self.deliver_transaction(t, &mut out),
                    };
                    match step {
                        Ok(Step::End) => break 'retry Ok(()),
                        Ok(Step::Delivered(t)) => {
                            finish = Some(t);
                            break 'retry Ok(());
                        }
                        Ok(Step::Continue) => {}
                        Ok(Step::FdsFailed(t)) => {
                            // As the C driver: the transaction fails, its buffer
                            // goes, and a reply becomes BR_FAILED_REPLY.
                            let is_reply = t.is_reply;
                            self.fail_popped(t);
                            if is_reply {
                                break 'retry out.put_u32(BR_FAILED_REPLY);
                            }
                        }
                        Ok(Step::CopyFailed(t, e)) => {
                            self.fail_popped(t);
                            break 'retry Err(e);
                        }
                        Err(e) => break 'retry Err(e),
                    }
                    inner = self.inner.lock();
                }
            }
        };
        // What is still gathered goes out now; if it can't, the read fails
        // with `EFAULT` (as C's `put_user()` of one of them would have).
        let res = match out.flush() {
            Ok(()) => res,
            Err(e) => Err(e),
        };
        *consumed = out.pos;
        // One lock ends the read: the delivered transaction is finished,
        // a looper may be asked for (as C, after the read), and process
        // work left over wakes another thread (as C's ioctl does after
        // every read, whatever it returned).
        let mut inner = self.inner.lock();
        let fin = match finish {
            Some(t) => self.finish_delivery(&mut inner, thread, t),
            None => Finished::default(),
        };
        let looping = inner
            .threads
            .get(&id)
            .is_some_and(|ts| ts.looper & (LOOPER_REGISTERED | LOOPER_ENTERED) != 0);
        let spawn = res.is_ok()
            && inner.requested_threads == 0
            && inner.waiting.is_empty()
            && inner.requested_threads_started < inner.max_threads
            && looping;
        if spawn {
            inner.requested_threads = inner.requested_threads.wrapping_add(1);
        }
        if !inner.todo.is_empty() {
            inner.wake_one(false);
        }
        drop(inner);
        self.buffer_inactive(fin.inactive);
        // Usually its last reference: dropped unlocked.
        drop(fin.done);
        if let Some(t) = fin.failed {
            send_failed_reply(t, BR_DEAD_REPLY);
        }
        res?;
        if spawn {
            UserSlice::new(buf, 4)
                .writer()
                .write_slice(&BR_SPAWN_LOOPER.to_ne_bytes())?;
            stats::br(&self.stats, BR_SPAWN_LOOPER);
        }
        Ok(())
    }

    /// Moves the waiting threads into `v` (allocated before the lock) if it
    /// is larger; the list replaced is dropped after unlocking.
    fn install_waiting(&self, mut v: KVVec<i32>) {
        let mut inner = self.inner.lock();
        if v.capacity() <= inner.waiting.capacity() {
            drop(inner);
            return;
        }
        for t in inner.waiting.iter() {
            // `v` has more room than the list has threads: no allocation.
            if v.push_within_capacity(*t).is_err() {
                drop(inner);
                return;
            }
        }
        let old = core::mem::replace(&mut inner.waiting, v);
        drop(inner);
        drop(old);
    }

    /// Takes one work item for the read buffer: its state changes happen
    /// here, under the process lock; what to write is returned, to be
    /// written once the lock is dropped (as C, which copies to user memory
    /// outside its locks; a failed copy loses a notification there too).
    fn prepare_work(
        self: &Arc<Self>,
        inner: &mut ProcessInner,
        thread: &Arc<Thread>,
        item: WorkArc,
        items: &mut Items,
        gone: &mut Option<NodeState>,
    ) -> Prepared {
        // A notification waits for its acknowledgement in the list of
        // delivered ones (its links move there, as C's `work.entry`).
        match item.view() {
            View::Death(death) if !death.clear_done.load(Ordering::Relaxed) => {
                items.cmd_u64(BR_DEAD_BINDER, death.cookie);
                items.end = true;
                inner.delivered_death.push_back(item);
                return Prepared::Write;
            }
            View::Freeze(f) if !f.clear.load(Ordering::Relaxed) => {
                f.sent.store(true, Ordering::Relaxed);
                let state = binder_frozen_state_info {
                    cookie: f.cookie,
                    is_frozen: f.is_frozen.load(Ordering::Relaxed) as u32,
                    reserved: 0,
                };
                items.cmd_with(BR_FROZEN_BINDER, abi::bytes(&state));
                items.end = true;
                inner.delivered_freeze.push_back(item);
                return Prepared::Write;
            }
            _ => {}
        }
        let w = work::take(item);
        match w {
            Work::Complete(CompleteKind::Done) => items.cmd(BR_TRANSACTION_COMPLETE),
            Work::Complete(CompleteKind::PendingFrozen) => items.cmd(BR_TRANSACTION_PENDING_FROZEN),
            Work::Complete(CompleteKind::SpamSuspect) => {
                items.cmd(if self.spam_detection.load(Ordering::Relaxed) {
                    BR_ONEWAY_SPAM_SUSPECT
                } else {
                    BR_TRANSACTION_COMPLETE
                })
            }
            Work::ReturnError => {
                items.cmd(thread.return_error.swap(BR_OK, Ordering::Relaxed));
            }
            Work::ReplyError => {
                let Some(ts) = inner.thread_mut(thread.id) else {
                    return Prepared::Write;
                };
                items.cmd(core::mem::replace(&mut ts.reply_error, BR_OK));
            }
            Work::Node(node) => {
                let Some(ns) = inner.node_state(&node) else {
                    return Prepared::Write;
                };
                ns.work_queued = false;
                let (strong, weak) = (ns.strong(), ns.weak());
                let (has_strong, has_weak) = (ns.has_strong, ns.has_weak);
                if weak && !has_weak {
                    ns.has_weak = true;
                    ns.pending_weak = true;
                    ns.local_weak = ns.local_weak.wrapping_add(1);
                }
                if strong && !has_strong {
                    ns.has_strong = true;
                    ns.pending_strong = true;
                    ns.local_strong = ns.local_strong.wrapping_add(1);
                }
                if !strong && has_strong {
                    ns.has_strong = false;
                }
                if !weak && has_weak {
                    ns.has_weak = false;
                }
                if !weak && !strong {
                    // Dropped by the caller after unlocking.
                    *gone = inner.nodes.remove(&node.ptr);
                }
                if weak && !has_weak {
                    items.node_cmd(BR_INCREFS, node.ptr, node.cookie);
                }
                if strong && !has_strong {
                    items.node_cmd(BR_ACQUIRE, node.ptr, node.cookie);
                }
                if !strong && has_strong {
                    items.node_cmd(BR_RELEASE, node.ptr, node.cookie);
                }
                if !weak && has_weak {
                    items.node_cmd(BR_DECREFS, node.ptr, node.cookie);
                }
            }
            Work::Freeze(f) => {
                // Cleared (the delivery of a report is above).
                f.queued.store(false, Ordering::Relaxed);
                items.cmd_u64(BR_CLEAR_FREEZE_NOTIFICATION_DONE, f.cookie);
            }
            Work::Death(death) => {
                // Cleared (the delivery of a death is above).
                death.queued.store(false, Ordering::Relaxed);
                items.cmd_u64(BR_CLEAR_DEATH_NOTIFICATION_DONE, death.cookie);
            }
            Work::Transaction(t) => return Prepared::Transaction(t),
        }
        Prepared::Write
    }

    /// Writes transaction `t` to the read buffer, no lock held: its fds are
    /// installed and it is copied; it is then recorded under the lock that
    /// ends the read ([`Process::finish_delivery`]).
    fn deliver_transaction(
        self: &Arc<Self>,
        t: DArc<Transaction>,
        out: &mut ReadBuf<'_>,
    ) -> Result<Step> {
        let mut tr = TxnData::default();
        let cmd = match &t.target_node {
            Some(n) => {
                tr.target = n.ptr;
                tr.cookie = n.cookie;
                // Priority inheritance, bounded by the node's minimum.
                let saved = task::current_nice();
                t.saved_priority.store(saved, Ordering::Relaxed);
                let min = (n.flags & FLAT_BINDER_FLAG_PRIORITY_MASK) as i32;
                if t.priority < min && !t.is_oneway() {
                    task::set_current_nice(t.priority);
                } else if !t.is_oneway() || saved > min {
                    task::set_current_nice(min);
                }
                BR_TRANSACTION
            }
            None => BR_REPLY,
        };
        tr.code = t.code;
        tr.flags = t.flags;
        tr.sender_euid = t.sender_euid.in_current_ns();
        tr.data_size = u64::from(t.data_size);
        tr.offsets_size = u64::from(t.offsets_size);
        tr.buffer = t.buffer_addr as u64;
        // `data_size` was checked against the buffer when it was sent.
        tr.offsets = t
            .buffer_addr
            .wrapping_add((t.data_size as usize).wrapping_add(7) & !7) as u64;
        // One round of the transaction's lock: its buffer, its files, and
        // its sender (read in place, not cloned).
        let (buffer, fds) = {
            let mut links = t.links.lock();
            tr.sender_pid = links
                .from
                .as_ref()
                .map_or(0, |from| task::tgid_in_current_ns(&from.process.task));
            (links.buffer(), links.fds.take())
        };
        let mut to_close = ThinVec::new();
        if !fds.is_empty() {
            match buffer.map(|off| self.install_fds(t.id, off, fds)) {
                Some(Ok(list)) => to_close = list,
                _ => return Ok(Step::FdsFailed(t)),
            }
        }
        if let Some(off) = buffer {
            if let Some(m) = self.mapping.lock().as_mut().and_then(|m| m.meta_mut(off)) {
                m.allow_user_free = true;
                // Swapped in: what was there (nothing) is dropped unlocked.
                core::mem::swap(&mut m.close_on_free, &mut to_close);
                // A reply or one-way is done once read: its buffer is no
                // longer active (said now, under this lock).
                if t.target_node.is_none() || t.is_oneway() {
                    m.active = false;
                    t.buffer_inactive.store(true, Ordering::Relaxed);
                }
            }
        }
        let mut b = [0u8; 4 + TXN_DATA_SIZE + 8];
        let (cmd, len) = match t.secctx_addr() {
            Some(addr) if cmd == BR_TRANSACTION => {
                b[4 + TXN_DATA_SIZE..].copy_from_slice(&(addr as u64).to_ne_bytes());
                (BR_TRANSACTION_SEC_CTX, b.len())
            }
            _ => (cmd, 4 + TXN_DATA_SIZE),
        };
        b[..4].copy_from_slice(&cmd.to_ne_bytes());
        b[4..4 + TXN_DATA_SIZE].copy_from_slice(abi::bytes(&tr));
        crate::trace::received(t.id);
        // Copied now with what was gathered before it, so that a faulting
        // buffer fails this transaction back.
        if let Err(e) = out.put(&b[..len]).and_then(|()| out.flush()) {
            // A bad or faulting read buffer: the transaction is failed back
            // (C: binder_cleanup_transaction), not lost.
            return Ok(Step::CopyFailed(t, e));
        }
        Ok(Step::Delivered(t))
    }

    /// The last step of delivering `t` to `thread`, under the lock that
    /// ends the read: a reply or one-way is done here; a call goes on the
    /// thread's stack. What is left to do after unlocking is returned.
    fn finish_delivery(
        &self,
        inner: &mut ProcessInner,
        thread: &Arc<Thread>,
        t: DArc<Transaction>,
    ) -> Finished {
        if t.target_node.is_none() || t.is_oneway() {
            crate::trace::txn_free(&t, thread.id);
            let inactive = self.txn_done_locked(inner, &t);
            return Finished {
                failed: None,
                done: Some(t),
                inactive,
            };
        }
        match inner.thread_mut(thread.id) {
            Some(ts) => {
                let mut links = t.links.lock();
                links.to_parent = ts.stack.take();
                links.to_thread = Some(thread.clone());
                drop(links);
                ts.stack = Some(t);
                Finished::default()
            }
            None => Finished {
                failed: Some(t),
                ..Finished::default()
            },
        }
    }

    /// Fails transaction `t`, popped by a reader of this process that could
    /// not take it (its files could not be installed, or the read buffer
    /// faulted): the sender of a sync call gets `BR_FAILED_REPLY`; a one-way
    /// call or a reply is just done. Either way `outstanding_txns` drops and
    /// the buffer is freed: its references released, files it installed
    /// closed in the reading task, the node's next one-way started.
    fn fail_popped(&self, t: DArc<Transaction>) {
        let buffer = t.links.lock().take_buffer();
        if t.target_node.is_some() && !t.is_oneway() {
            // Also marks it done here.
            send_failed_reply(t, BR_FAILED_REPLY);
        } else {
            self.txn_done(&t);
        }
        if let Some(off) = buffer {
            self.free_buffer_as(off, true);
        }
    }

    /// Installs the files a transaction carries into the current (reading)
    /// task and writes their descriptor numbers into buffer `off`; on
    /// failure nothing stays installed. Nothing is allocated here (the
    /// sender made the list) but what reserving a descriptor takes, as in
    /// C. Returns the list, to keep with the buffer if it has fds to close
    /// when the buffer is freed.
    fn install_fds(
        &self,
        id: usize,
        off: usize,
        mut fds: ThinVec<FdFixup>,
    ) -> Result<ThinVec<FdFixup>> {
        for f in fds.iter_mut() {
            f.reserve().map_err(|_| ENOMEM)?;
            task::cond_resched();
        }
        {
            let mut mapping = self.mapping.lock();
            let m = mapping.as_mut().ok_or(EINVAL)?;
            for f in fds.iter() {
                crate::trace::fd_recv(id, f.fd(), f.offset);
                m.write(off.saturating_add(f.offset), &f.fd().to_ne_bytes())
                    .map_err(|_| EINVAL)?;
            }
        }
        for f in fds.iter_mut() {
            f.install();
        }
        if fds.iter().any(|f| f.in_array) {
            Ok(fds)
        } else {
            Ok(ThinVec::new())
        }
    }

    /// Gets rid of thread `thread` (`BINDER_THREAD_EXIT` or process exit):
    /// its callers get `BR_DEAD_REPLY`, what it called forgets it.
    pub(crate) fn thread_release(&self, thread: &Arc<Thread>) {
        let ts = {
            let mut inner = self.inner.lock();
            inner.waiting.retain(|&t| t != thread.id);
            let ts = inner.threads.remove(&thread.id);
            // Refcount updates queued for the thread go with it (as C), so
            // their nodes may queue them again.
            if let Some(ts) = &ts {
                ts.todo.visit(|w| {
                    if let View::Node(n) = w {
                        if let Some(ns) = inner.node_state(n) {
                            ns.work_queued = false;
                        }
                    }
                });
            }
            ts
        };
        let Some(mut ts) = ts else { return };
        if ts.looper & LOOPER_POLL != 0 {
            thread.poll_wq.pollfree();
        }
        let mut send_reply = None;
        let mut cur = ts.stack.take();
        if let Some(t) = &cur {
            if t.links
                .lock()
                .to_thread
                .as_ref()
                .is_some_and(|x| Arc::ptr_eq(x, thread))
            {
                send_reply = Some(t.clone());
            }
        }
        while let Some(t) = cur {
            let mut links = t.links.lock();
            if links
                .to_thread
                .as_ref()
                .is_some_and(|x| Arc::ptr_eq(x, thread))
            {
                links.to_thread = None;
                cur = links.to_parent.clone();
                drop(links);
                self.txn_done(&t);
                continue;
            } else if links.from.as_ref().is_some_and(|x| Arc::ptr_eq(x, thread)) {
                links.from = None;
                cur = links.from_parent.clone();
            } else {
                cur = None;
            }
        }
        if let Some(t) = send_reply {
            send_failed_reply(t, BR_DEAD_REPLY);
        }
        release_work(ts.todo.take_all());
    }
}
