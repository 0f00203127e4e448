// SPDX-License-Identifier: GPL-2.0

//! Work items, what a thread reads from the driver, and the queues that
//! hold them (a process's, a thread's, a node's one-way queue, and the
//! notifications delivered and not yet acknowledged).
//!
//! The queues are intrusive lists (`kernel::list`), as C's `list_head`s:
//! every item carries its own links, so queueing never allocates and never
//! fails. An object that can be queued (a transaction, a node's refcount
//! update, a death or freeze notification, a thread's pending error) is
//! allocated inside a [`Wrap`], which holds the links; it is in at most one
//! queue at a time (the list owns its only [`ListArc`]). A completion
//! (`BR_TRANSACTION_COMPLETE` and the like) is its own small item,
//! allocated before any lock is taken, as C's `tcomplete`.

use crate::freeze::Freeze;
use crate::node::{Death, Node};
use crate::stats::CompleteCount;
use crate::transaction::Transaction;
use core::mem::MaybeUninit;
use core::ops::Deref;
use core::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use kernel::alloc::flags::GFP_KERNEL;
use kernel::list::{
    impl_has_list_links_self_ptr, impl_list_arc_safe, impl_list_item, AtomicTracker, HasListLinks,
    List, ListArc, ListLinksSelfPtr, TryNewListArc,
};
use kernel::prelude::*;
use kernel::sync::{Arc, UniqueArc};

/// An object that can be queued: the links of the queue it is in, and
/// whether it is in one, before the object itself.
///
/// # Invariants
///
/// `tracker` is set exactly while a [`ListArc`] of the object exists: while
/// it is in a queue, or moves from one queue to another under the lock of
/// both. [`Wrap::item`] hands that one reference out only when it is not
/// set, so an object is never in two queues, and the kernel's list code
/// (`impl_list_item!`, `impl_list_arc_safe!`) relies on that.
#[pin_data]
pub(crate) struct Wrap<T: ?Sized> {
    #[pin]
    links: ListLinksSelfPtr<Wrap<dyn WorkItem>>,
    #[pin]
    tracker: AtomicTracker,
    #[pin]
    inner: T,
}

/// A queueable object, shared.
pub(crate) type DArc<T> = Arc<Wrap<T>>;

/// The one reference through which a queue holds an item.
pub(crate) type WorkArc = ListArc<Wrap<dyn WorkItem>>;

impl_has_list_links_self_ptr! {
    impl{T: ?Sized} HasSelfPtr<Wrap<dyn WorkItem>> for Wrap<T> { self.links }
}

impl_list_arc_safe! {
    impl{T: ?Sized} ListArcSafe<0> for Wrap<T> { tracked_by tracker: AtomicTracker; }
}

impl_list_item! {
    impl ListItem<0> for Wrap<dyn WorkItem> { using ListLinksSelfPtr; }
}

impl<T: ?Sized> Deref for Wrap<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> Wrap<T> {
    /// A new queueable `value`.
    pub(crate) fn new(value: T) -> Result<DArc<T>> {
        Arc::pin_init(
            pin_init!(Self {
                links <- ListLinksSelfPtr::new(),
                tracker <- AtomicTracker::new(),
                inner: value,
            }),
            GFP_KERNEL,
        )
    }

    /// A new queueable value initialised in place.
    pub(crate) fn pin_new(init: impl PinInit<T>) -> Result<DArc<T>> {
        Ok(Self::init_in(Self::reserve()?, init))
    }

    /// The memory of a queueable value, allocated ahead for
    /// [`Wrap::init_in`]: what it will hold can then move in with no
    /// allocation left to fail (a transaction takes over its target
    /// process's reference this way).
    pub(crate) fn reserve() -> Result<Reserved<T>> {
        Ok(Reserved(UniqueArc::new_uninit(GFP_KERNEL)?))
    }

    /// A new queueable value initialised in place in `slot`: it can't
    /// fail, so the values `init` moves in are never lost to an
    /// allocation failure.
    pub(crate) fn init_in(slot: Reserved<T>, init: impl PinInit<T>) -> DArc<T> {
        let init = pin_init!(Self {
            links <- ListLinksSelfPtr::new(),
            tracker <- AtomicTracker::new(),
            inner <- init,
        });
        match slot.0.write_pin_init(init) {
            Ok(v) => Arc::from(v),
            // `init` is infallible: its error type has no value.
            Err(e) => match e {},
        }
    }
}

/// Memory for a [`Wrap<T>`], from [`Wrap::reserve`].
pub(crate) struct Reserved<T>(UniqueArc<MaybeUninit<Wrap<T>>>);

impl<T: WorkItem + 'static> Wrap<T> {
    /// The queue reference of `this`, unless it is queued already (an
    /// object is in one queue at most, as a `list_head`).
    pub(crate) fn item(this: &DArc<T>) -> Option<WorkArc> {
        ListArc::try_from_arc(this.clone())
            .ok()
            .map(|l| l as WorkArc)
    }

    /// Takes `this` out of whichever of `queues` holds it, for its queue
    /// reference; none is walked if it is in no queue (its queue reference
    /// is free then, and is what this returns). Otherwise the queues are
    /// walked in turn: O(length), where C's `list_del` is O(1).
    pub(crate) fn dequeue<'a>(
        this: &DArc<T>,
        queues: impl IntoIterator<Item = &'a mut Queue>,
    ) -> Option<WorkArc> {
        Self::item(this).or_else(|| queues.into_iter().find_map(|q| q.remove_same(this)))
    }
}

/// What a queued object is, seen in place (to pick, print or check items
/// without taking them).
pub(crate) enum View<'a> {
    Transaction(&'a Transaction),
    Complete,
    Error(ErrorKind),
    Node(&'a Node),
    Death(&'a Death),
    Freeze(&'a Freeze),
}

/// A queueable object.
pub(crate) trait WorkItem: Send + Sync {
    /// What the reader delivers, once the item is taken off its queue.
    fn take(self: DArc<Self>) -> Work;
    /// The item seen in place.
    fn view(&self) -> View<'_>;
}

/// A work item taken off its queue, to deliver to user space.
pub(crate) enum Work {
    /// `BR_TRANSACTION` (or `BR_REPLY` for a reply).
    Transaction(DArc<Transaction>),
    /// `BR_TRANSACTION_COMPLETE` or what stands in for it.
    Complete(CompleteKind),
    /// The thread's pending return error (`BR_FAILED_REPLY`, ...).
    ReturnError,
    /// The thread's pending reply error (`BR_DEAD_REPLY`, ...).
    ReplyError,
    /// A refcount update for one of the process's own nodes.
    Node(DArc<Node>),
    /// `BR_DEAD_BINDER`, or `BR_CLEAR_DEATH_NOTIFICATION_DONE` once
    /// cleared.
    Death(DArc<Death>),
    /// `BR_FROZEN_BINDER`, or `BR_CLEAR_FREEZE_NOTIFICATION_DONE` once
    /// cleared.
    Freeze(DArc<Freeze>),
}

/// Which completion a [`Complete`] item reports.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum CompleteKind {
    /// `BR_TRANSACTION_COMPLETE`.
    Done = 0,
    /// `BR_TRANSACTION_PENDING_FROZEN`: a one-way call waits in a frozen
    /// process.
    PendingFrozen = 1,
    /// `BR_ONEWAY_SPAM_SUSPECT` if the process asked for spam detection,
    /// else `BR_TRANSACTION_COMPLETE`.
    SpamSuspect = 2,
}

/// A completion not yet queued (its kind can still change).
pub(crate) type CompleteArc = ListArc<Wrap<Complete>>;

/// A completion, allocated by the sender before it takes any lock (C's
/// `tcomplete`), or a thread's own, reused ([`Complete::reuse`]).
pub(crate) struct Complete {
    kind: AtomicU8,
    /// A thread's own: `binder_logs/stats` count each use as an object,
    /// from [`Complete::reuse`] to its delivery ([`WorkItem::take`]) or,
    /// if it was dropped undelivered, to the next reuse or the thread's end.
    kept: Option<AtomicBool>,
    /// An allocated one's count (none for a thread's own).
    _count: Option<CompleteCount>,
}

impl Complete {
    /// A new `BR_TRANSACTION_COMPLETE`, not yet queued.
    pub(crate) fn new() -> Result<CompleteArc> {
        let c = Self {
            kind: AtomicU8::new(CompleteKind::Done as u8),
            kept: None,
            _count: Some(CompleteCount::new()),
        };
        ListArc::pin_init(
            try_pin_init!(Wrap {
                links <- ListLinksSelfPtr::new(),
                tracker <- AtomicTracker::new(),
                inner: c,
            }? Error),
            GFP_KERNEL,
        )
    }

    /// A completion to keep and reuse ([`Complete::reuse`]): a thread's
    /// own, made with the thread.
    pub(crate) fn new_kept() -> Result<DArc<Complete>> {
        Wrap::new(Self {
            kind: AtomicU8::new(CompleteKind::Done as u8),
            kept: Some(AtomicBool::new(false)),
            _count: None,
        })
    }

    /// `kept` as a new `BR_TRANSACTION_COMPLETE`, unless it is queued
    /// still (then the sender allocates one: [`Complete::new`]). A thread's
    /// completion is queued by its own sends and taken by its own reads,
    /// so usually it is free, and a send allocates none.
    pub(crate) fn reuse(kept: &DArc<Complete>) -> Option<CompleteArc> {
        let c = ListArc::try_from_arc(kept.clone()).ok()?;
        if let Some(used) = &c.kept {
            // The last use was dropped undelivered: it ends now.
            if used.swap(true, Ordering::Relaxed) {
                CompleteCount::deleted();
            }
            CompleteCount::created();
        }
        c.set(CompleteKind::Done);
        Some(c)
    }

    /// Marks a completion that will not be delivered (its send failed, or
    /// its call could not be sent): a thread's own counts as gone now, as
    /// C frees its `tcomplete` then.
    pub(crate) fn discarded(&self) {
        if self
            .kept
            .as_ref()
            .is_some_and(|u| u.swap(false, Ordering::Relaxed))
        {
            CompleteCount::deleted();
        }
    }

    /// Makes it report `kind` instead.
    pub(crate) fn set(&self, kind: CompleteKind) {
        self.kind.store(kind as u8, Ordering::Relaxed);
    }

    fn kind(&self) -> CompleteKind {
        match self.kind.load(Ordering::Relaxed) {
            1 => CompleteKind::PendingFrozen,
            2 => CompleteKind::SpamSuspect,
            _ => CompleteKind::Done,
        }
    }
}

impl Drop for Complete {
    fn drop(&mut self) {
        self.discarded();
    }
}

/// A sender's completion until it is queued: dropped unqueued (the send
/// failed), it is [`Complete::discarded`].
pub(crate) struct Unsent(Option<CompleteArc>);

impl Unsent {
    pub(crate) fn new(c: CompleteArc) -> Self {
        Self(Some(c))
    }

    /// The completion, to queue.
    pub(crate) fn take(&mut self) -> Option<CompleteArc> {
        self.0.take()
    }

    /// Makes it report `kind` instead.
    pub(crate) fn set(&self, kind: CompleteKind) {
        if let Some(c) = &self.0 {
            c.set(kind);
        }
    }
}

impl Drop for Unsent {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.discarded();
        }
    }
}

impl WorkItem for Complete {
    fn take(self: DArc<Self>) -> Work {
        // Delivered (or released with its thread): its use ends.
        self.discarded();
        Work::Complete(self.kind())
    }

    fn view(&self) -> View<'_> {
        View::Complete
    }
}

/// Which pending error of a thread an [`ErrorWork`] item reports.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ErrorKind {
    Return,
    Reply,
}

/// A thread's pending return or reply error: one item each, allocated with
/// the thread and queued at most once (C's `thread->return_error.work`).
pub(crate) struct ErrorWork {
    pub(crate) kind: ErrorKind,
}

impl WorkItem for ErrorWork {
    fn take(self: DArc<Self>) -> Work {
        match self.kind {
            ErrorKind::Return => Work::ReturnError,
            ErrorKind::Reply => Work::ReplyError,
        }
    }

    fn view(&self) -> View<'_> {
        View::Error(self.kind)
    }
}

impl WorkItem for Transaction {
    fn take(self: DArc<Self>) -> Work {
        Work::Transaction(self)
    }

    fn view(&self) -> View<'_> {
        View::Transaction(self)
    }
}

impl WorkItem for Node {
    fn take(self: DArc<Self>) -> Work {
        Work::Node(self)
    }

    fn view(&self) -> View<'_> {
        View::Node(self)
    }
}

impl WorkItem for Death {
    fn take(self: DArc<Self>) -> Work {
        Work::Death(self)
    }

    fn view(&self) -> View<'_> {
        View::Death(self)
    }
}

impl WorkItem for Freeze {
    fn take(self: DArc<Self>) -> Work {
        Work::Freeze(self)
    }

    fn view(&self) -> View<'_> {
        View::Freeze(self)
    }
}

/// Takes `item`, just removed from its queue, as what to deliver.
pub(crate) fn take(item: WorkArc) -> Work {
    ListArc::into_arc(item).take()
}

/// A FIFO of work items: an intrusive list, so that pushing never
/// allocates and never fails.
pub(crate) struct Queue {
    list: List<Wrap<dyn WorkItem>>,
}

impl Queue {
    pub(crate) const fn new() -> Self {
        Self { list: List::new() }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Appends `item`.
    pub(crate) fn push_back(&mut self, item: WorkArc) {
        self.list.push_back(item);
    }

    /// Whether there is a next item to pop, and `f` holds for it.
    pub(crate) fn front_is(&self, f: impl FnOnce(View<'_>) -> bool) -> bool {
        self.list.iter().next().is_some_and(|w| f(w.view()))
    }

    /// Takes the first item off the queue, to deliver or to move.
    pub(crate) fn pop_item(&mut self) -> Option<WorkArc> {
        self.list.pop_front()
    }

    /// Takes the first item off the queue, to deliver.
    pub(crate) fn pop_front(&mut self) -> Option<Work> {
        self.list.pop_front().map(take)
    }

    /// Removes the first item for which `pred` holds.
    pub(crate) fn remove_item(
        &mut self,
        mut pred: impl FnMut(View<'_>) -> bool,
    ) -> Option<WorkArc> {
        let mut cursor = self.list.cursor_front();
        while let Some(c) = cursor {
            if pred(c.current().view()) {
                return Some(c.remove());
            }
            cursor = c.next();
        }
        None
    }

    /// Removes the object `x` if it is in this queue.
    pub(crate) fn remove_same<T>(&mut self, x: &DArc<T>) -> Option<WorkArc> {
        let target = &**x as *const Wrap<T> as *const u8;
        let mut cursor = self.list.cursor_front();
        while let Some(c) = cursor {
            let cur = &*c.current() as *const Wrap<dyn WorkItem> as *const u8;
            if core::ptr::eq(cur, target) {
                return Some(c.remove());
            }
            cursor = c.next();
        }
        None
    }

    /// Removes the first item for which `pred` holds, to deliver or drop.
    pub(crate) fn remove_first(&mut self, pred: impl FnMut(View<'_>) -> bool) -> Option<Work> {
        self.remove_item(pred).map(take)
    }

    /// Calls `f` on every item, oldest first.
    pub(crate) fn visit(&self, mut f: impl FnMut(View<'_>)) {
        for w in self.list.iter() {
            f(w.view());
        }
    }

    /// Calls `f` on every item, oldest first, until it fails.
    pub(crate) fn for_each(
        &self,
        mut f: impl FnMut(View<'_>) -> core::fmt::Result,
    ) -> core::fmt::Result {
        for w in self.list.iter() {
            f(w.view())?;
        }
        Ok(())
    }

    /// Takes every item out.
    pub(crate) fn take_all(&mut self) -> Self {
        core::mem::replace(self, Self::new())
    }
}
