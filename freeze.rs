// SPDX-License-Identifier: GPL-2.0

//! Freezing: `BINDER_FREEZE` of a process (it waits for the transactions
//! it handles, then refuses new ones), and freeze notifications
//! (`BC_REQUEST_FREEZE_NOTIFICATION`): a holder of a reference learns when
//! the node's owner is frozen or thawed.

use crate::ffi::task;
use crate::ffi::vec::VecExt;
use crate::node::{Node, Watch};
use crate::process::Process;
use crate::stats::FreezeCount;
use crate::work::{DArc, View, Wrap};
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVVec};
use kernel::error::{code::*, Result};
use kernel::sync::{Arc, CondVarTimeoutResult};

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

impl Process {
    /// `BINDER_FREEZE` for this process: freezing waits up to `timeout_ms`
    /// for outstanding transactions, and fails with `EAGAIN` (unfrozen
    /// again) if sync work is still pending.
    pub(crate) fn freeze(&self, enable: bool, timeout_ms: u32) -> Result {
        let res = self.freeze_locked(enable, timeout_ms);
        if res.is_ok() {
            self.add_freeze_work(enable);
        }
        res
    }

    pub(crate) fn freeze_locked(&self, enable: bool, timeout_ms: u32) -> Result {
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
                    .wait_interruptible_timeout(&mut inner, left)
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

    /// Removes freeze notification `f` from `node`'s list, and any
    /// queued or unacknowledged delivery of it.
    pub(crate) fn forget_freeze(&self, node: &DArc<Node>, f: &DArc<Freeze>) {
        if let Some(o) = node.owner() {
            if let Some(ns) = o.inner.lock().node_state(node) {
                ns.forget_freeze(f);
            }
        }
        let mut inner = self.inner.lock();
        // Gone with the reference: an owner's freeze or thaw that listed it
        // before this must not queue it (checked under this lock).
        f.clear.store(true, Ordering::Relaxed);
        let i = &mut *inner;
        let w = Wrap::dequeue(f, [&mut i.todo, &mut i.delivered_freeze]);
        drop(inner);
        drop(w);
    }

    pub(crate) fn request_freeze(self: &Arc<Self>, handle: u32, cookie: u64) -> Result {
        let f = Wrap::new(Freeze::new(self.clone(), cookie))?;
        loop {
            // The room in the owner's list is made before `refs` is locked
            // (nothing allocates under it); if someone took it meanwhile,
            // this starts over.
            self.reserve_watch(handle)?;
            let mut refs = self.refs.lock();
            let r = refs.by_handle.get_mut(&handle).ok_or(EINVAL)?;
            if r.freeze.is_some() {
                return Err(EINVAL);
            }
            let node = r.node.clone();
            let state = match node.owner() {
                Some(o) => {
                    let mut oi = o.inner.lock();
                    let frozen = oi.is_frozen;
                    let dead = oi.is_dead;
                    match oi.node_state(&node) {
                        Some(ns) if !dead => {
                            let w = Watch::Freeze(f.clone());
                            if ns.watches.push_within_capacity(w).is_err() {
                                continue;
                            }
                            Some(frozen)
                        }
                        _ => None,
                    }
                }
                None => None,
            };
            if let Some(frozen) = state {
                // The first report, queued before the request is recorded
                // (our refs lock keeps clears away meanwhile); unless the
                // owner's freeze or thaw queued it already.
                let mut inner = self.inner.lock();
                if !f.queued.load(Ordering::Relaxed) {
                    if let Some(w) = Wrap::item(&f) {
                        f.is_frozen.store(frozen, Ordering::Relaxed);
                        f.queued.store(true, Ordering::Relaxed);
                        inner.push_proc_work(w);
                    }
                }
            }
            // Only once the node knows it.
            r.freeze = Some(f);
            return Ok(());
        }
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
                ns.forget_freeze(&f);
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
    pub(crate) fn add_freeze_work(&self, frozen: bool) {
        // Every notification, collected into a list sized before the lock
        // (retried until memory is found: the freeze happened, its
        // notifications must not be lost).
        let all = loop {
            let n = {
                let inner = self.inner.lock();
                inner
                    .nodes
                    .iter()
                    .map(|(_, ns)| ns.freezes().count())
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
                .map(|(_, ns)| ns.freezes().count())
                .sum::<usize>();
            if now > n {
                continue;
            }
            for (_, ns) in inner.nodes.iter() {
                for f in ns.freezes() {
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
}
