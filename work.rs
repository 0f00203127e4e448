// SPDX-License-Identifier: GPL-2.0

//! Work items, what a thread reads from the driver, and the queues that
//! hold them (a process's, a thread's, a node's one-way queue).

use crate::node::{Death, Freeze, Node};
use crate::transaction::Transaction;
use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL},
    KVVec,
};
use kernel::error::{code::ENOMEM, Result};
use kernel::sync::Arc;

/// Something to deliver to user space.
pub(crate) enum Work {
    /// `BR_TRANSACTION` (or `BR_REPLY` for a reply).
    Transaction(Arc<Transaction>),
    /// `BR_TRANSACTION_COMPLETE`.
    TransactionComplete,
    /// `BR_TRANSACTION_PENDING_FROZEN`: a one-way call waits in a frozen
    /// process.
    PendingFrozen,
    /// `BR_ONEWAY_SPAM_SUSPECT` if the process asked for spam detection,
    /// else `BR_TRANSACTION_COMPLETE`.
    SpamSuspect,
    /// The thread's pending return error (`BR_FAILED_REPLY`, ...).
    ReturnError,
    /// The thread's pending reply error (`BR_DEAD_REPLY`, ...).
    ReplyError,
    /// A refcount update for one of the process's own nodes.
    Node(Arc<Node>),
    /// `BR_DEAD_BINDER`.
    DeadBinder(Arc<Death>),
    /// `BR_CLEAR_DEATH_NOTIFICATION_DONE`.
    ClearDeathDone(Arc<Death>),
    /// `BR_FROZEN_BINDER`, or `BR_CLEAR_FREEZE_NOTIFICATION_DONE` once
    /// cleared.
    Freeze(Arc<Freeze>),
}

impl Work {
    /// A `BR_TRANSACTION_COMPLETE` (or what stands in for it).
    pub(crate) fn is_complete(&self) -> bool {
        matches!(
            self,
            Work::TransactionComplete | Work::SpamSuspect | Work::PendingFrozen
        )
    }
}

/// A FIFO of work items, as a ring over a growable vector.
///
/// Its length is user-driven (e.g. a write of 262k death-notification
/// requests and clears queues as many items), so the ring is a `KVVec`:
/// large rings fall back to vmalloc instead of a high-order allocation.
pub(crate) struct Queue {
    buf: KVVec<Option<Work>>,
    head: usize,
    len: usize,
}

impl Queue {
    pub(crate) const fn new() -> Self {
        Self {
            buf: KVVec::new(),
            head: 0,
            len: 0,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Makes room for `n` more items (may sleep), so that the next `n`
    /// pushes don't fail.
    pub(crate) fn reserve(&mut self, n: usize) -> Result {
        if let Some(cap) = self.grow_for(n)? {
            self.install(Self::alloc_ring(cap)?);
        }
        Ok(())
    }

    /// The capacity to grow to for `n` more items, if the queue must grow.
    pub(crate) fn grow_for(&self, n: usize) -> Result<Option<usize>> {
        let want = self.len.checked_add(n).ok_or(ENOMEM)?;
        if want <= self.buf.len() {
            return Ok(None);
        }
        Ok(Some(self.buf.len().saturating_mul(2).max(want).max(4)))
    }

    /// An empty ring of `cap` slots, for [`Queue::install`] (allocated
    /// before taking the lock of the queue).
    pub(crate) fn alloc_ring(cap: usize) -> Result<KVVec<Option<Work>>> {
        let mut ring = KVVec::with_capacity(cap, GFP_KERNEL | __GFP_NOWARN)?;
        while ring.len() < cap {
            ring.push(None, GFP_KERNEL)?;
        }
        Ok(ring)
    }

    /// Moves the items into `ring` (from [`Queue::alloc_ring`]) if it is
    /// larger; returns the ring that is not used any more, to be dropped
    /// after unlocking.
    pub(crate) fn install(&mut self, mut ring: KVVec<Option<Work>>) -> KVVec<Option<Work>> {
        if ring.len() <= self.buf.len() {
            return ring;
        }
        for i in 0..self.len {
            let idx = (self.head + i) % self.buf.len();
            ring[i] = self.buf[idx].take();
        }
        self.head = 0;
        core::mem::replace(&mut self.buf, ring)
    }

    /// Appends `w`; fails (keeping the queue as it was) only if it must
    /// grow and can't: see [`Queue::reserve`].
    pub(crate) fn push_back(&mut self, w: Work) -> Result {
        let tc = w.is_complete();
        self.reserve(1)?;
        let idx = (self.head + self.len) % self.buf.len();
        self.buf[idx] = Some(w);
        self.len += 1;
        if tc {
            crate::stats::created(crate::stats::Obj::TransactionComplete);
        }
        Ok(())
    }

    /// The item that would be popped next.
    pub(crate) fn front(&self) -> Option<&Work> {
        if self.len == 0 {
            return None;
        }
        self.buf[self.head].as_ref()
    }

    pub(crate) fn pop_front(&mut self) -> Option<Work> {
        if self.len == 0 {
            return None;
        }
        let w = self.buf[self.head].take();
        self.head = (self.head + 1) % self.buf.len();
        self.len -= 1;
        if w.as_ref().is_some_and(Work::is_complete) {
            crate::stats::deleted(crate::stats::Obj::TransactionComplete);
        }
        w
    }

    /// Removes the first item for which `pred` holds.
    pub(crate) fn remove_first(&mut self, mut pred: impl FnMut(&Work) -> bool) -> Option<Work> {
        let n = self.buf.len();
        let pos = (0..self.len).find(|&i| {
            self.buf[(self.head + i) % n]
                .as_ref()
                .is_some_and(&mut pred)
        })?;
        let w = self.buf[(self.head + pos) % n].take();
        // Close the gap by shifting the later items down.
        for i in pos..self.len - 1 {
            let (a, b) = ((self.head + i) % n, (self.head + i + 1) % n);
            self.buf[a] = self.buf[b].take();
        }
        self.len -= 1;
        if w.as_ref().is_some_and(Work::is_complete) {
            crate::stats::deleted(crate::stats::Obj::TransactionComplete);
        }
        w
    }

    /// Calls `f` on every item, oldest first, until it fails.
    pub(crate) fn for_each(
        &self,
        mut f: impl FnMut(&Work) -> core::fmt::Result,
    ) -> core::fmt::Result {
        let n = self.buf.len();
        for i in 0..self.len {
            if let Some(w) = &self.buf[(self.head + i) % n] {
                f(w)?;
            }
        }
        Ok(())
    }

    /// Takes every item out.
    pub(crate) fn take_all(&mut self) -> Self {
        core::mem::replace(self, Self::new())
    }
}
