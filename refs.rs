// SPDX-License-Identifier: GPL-2.0

//! The references a process holds on other processes' nodes: handles,
//! their strong and weak counts, and what they count on the node.

use crate::ffi::sync::MutexBackend;
use crate::handles::Handles;
use crate::node::{Node, NodeRef};
use crate::process::Process;
use crate::stats::RefCount;
use crate::work::DArc;
use core::sync::atomic::Ordering;
use kernel::alloc::flags::GFP_KERNEL;
use kernel::alloc::KVVec;
use kernel::error::{code::*, Result};
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::lock::Guard;
use kernel::sync::Arc;

use crate::thread::Thread;

/// References a process holds, by handle and by node.
pub(crate) struct ProcessRefs {
    pub(crate) by_handle: RBTree<u32, NodeRef>,
    /// The handles of `by_handle`, for the lowest free one.
    pub(crate) handles: Handles,
    pub(crate) by_node: RBTree<u32, u32>,
    /// The process was released: it makes no new references (they would
    /// never be dropped).
    pub(crate) dead: bool,
    /// Tree entries for the next new reference (`Process::refs_spare`
    /// says whether there are).
    pub(crate) spare: Option<NewRef>,
}

/// The two tree entries of a new reference, allocated before `refs` is
/// locked.
pub(crate) struct NewRef {
    by_handle: RBTreeNodeReservation<u32, NodeRef>,
    by_node: RBTreeNodeReservation<u32, u32>,
}

impl NewRef {
    fn new() -> Result<Self> {
        Ok(Self {
            by_handle: RBTreeNodeReservation::new(GFP_KERNEL)?,
            by_node: RBTreeNodeReservation::new(GFP_KERNEL)?,
        })
    }
}

impl Process {
    /// The node behind `handle`, if the reference is (`strong`ly) held.
    pub(crate) fn node_for_handle(&self, handle: u32, strong: bool) -> Option<DArc<Node>> {
        let refs = self.refs.lock();
        let r = refs.by_handle.get(&handle)?;
        if strong && r.strong == 0 {
            return None;
        }
        Some(r.node.clone())
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
        // Asked without the manager lock (which goes before `refs`).
        let is_mgr = self.device.is_context_manager(node);
        // What a new reference needs is allocated with no lock held: the
        // process keeps one spare set of tree entries (made here, before
        // locking, when it has none), so that a new reference is usually
        // made in one round of the lock; the handle bitmap's room, when it
        // must grow, is made unlocked before the lookup runs again (as C's
        // `binder_inc_ref_for_node` allocates).
        let mut spare = if self.refs_spare.load(Ordering::Relaxed) {
            None
        } else {
            Some(NewRef::new()?)
        };
        let mut room: Option<KVVec<u64>> = None;
        // Whether room was made for the owner's list of holders.
        let mut reserved = false;
        loop {
            let mut refs = self.refs.lock();
            if refs.spare.is_none() {
                refs.spare = spare.take();
                self.refs_spare
                    .store(refs.spare.is_some(), Ordering::Relaxed);
            }
            let handle = match refs.by_node.get(&node.key()) {
                Some(&h) => h,
                None if refs.dead => return Err(ESRCH),
                None => {
                    // The lowest free handle (0 only for the context manager).
                    let h = refs.handles.lowest_free(if is_mgr { 0 } else { 1 })?;
                    let new = match refs.spare.take() {
                        Some(n) if refs.handles.fits(h, room.as_ref()) => n,
                        n => {
                            refs.spare = n;
                            let need_room = refs.handles.room_needed(h);
                            let need_spare = refs.spare.is_none();
                            drop(refs);
                            if let Some(words) = need_room {
                                room = Some(Handles::alloc_room(words)?);
                            }
                            if need_spare {
                                spare = Some(NewRef::new()?);
                            }
                            continue;
                        }
                    };
                    self.refs_spare.store(false, Ordering::Relaxed);
                    let how = (strong, thread, reserved);
                    match self.add_ref(refs, node, h, new, &mut room, how)? {
                        Ok(h) => return Ok(h),
                        Err(n) => {
                            // The owner's list of holders is full: room is
                            // made, and the entries kept for the next try.
                            spare = Some(n);
                            reserved = true;
                            if let Some(o) = node.owner() {
                                o.reserve_holder(node);
                            }
                            continue;
                        }
                    }
                }
            };
            let r = refs.by_handle.get(&handle).ok_or(EINVAL)?;
            let first = if strong { r.strong == 0 } else { r.weak == 0 };
            if first {
                if let Some(o) = node.owner() {
                    o.inc_node(node, strong, true, thread)?;
                }
            }
            if let Some(r) = refs.by_handle.get_mut(&handle) {
                if strong {
                    r.strong = r.strong.wrapping_add(1);
                } else {
                    r.weak = r.weak.wrapping_add(1);
                }
            }
            return Ok(handle);
        }
    }

    /// Makes the reference to `node` at free handle `h`, with its first
    /// (`strong` or weak) count, from what `new` allocated: nothing here
    /// allocates. The count is taken on the owner with the reference
    /// counted there, in one round of its lock; if that fails, nothing is
    /// made. If the owner's list of holders is full (and `unlisted` doesn't
    /// allow the pid to go unlisted), `new` comes back, nothing made.
    fn add_ref(
        &self,
        mut refs: Guard<'_, ProcessRefs, MutexBackend>,
        node: &DArc<Node>,
        h: u32,
        new: NewRef,
        room: &mut Option<KVVec<u64>>,
        (strong, thread, unlisted): (bool, Option<&Arc<Thread>>, bool),
    ) -> Result<Result<u32, NewRef>> {
        let old_words = refs.handles.set(h, room)?;
        let counted = match node.owner() {
            Some(o) => match o.count_ref(node, self.pid, Some((strong, thread)), unlisted) {
                Ok(Some(c)) => c,
                res => {
                    // Nothing made (the bitmap may have grown: it keeps
                    // its new room).
                    refs.handles.clear(h);
                    drop(refs);
                    drop(old_words);
                    return res.map(|_| Err(new));
                }
            },
            None => false,
        };
        refs.by_handle.insert(new.by_handle.into_node(
            h,
            NodeRef {
                node: node.clone(),
                strong: u32::from(strong),
                weak: u32::from(!strong),
                death: None,
                freeze: None,
                _count: RefCount::new(),
            },
        ));
        refs.by_node.insert(new.by_node.into_node(node.key(), h));
        drop(refs);
        drop(old_words);
        if !counted {
            // Its owner died (and moved it to the dead nodes under its
            // inner lock, so it is there by now).
            self.device.registry.add_dead_ref(node, self.pid);
        }
        Ok(Ok(h))
    }

    /// One reference of ours to `node` went away: its owner's count (or
    /// the dead node's) goes down.
    pub(crate) fn drop_ref_count(&self, node: &DArc<Node>) {
        if let Some(owner) = node.owner() {
            let mut inner = owner.inner.lock();
            if let Some(ns) = inner.node_state(node) {
                ns.refs = ns.refs.saturating_sub(1);
                ns.holders.remove(self.pid);
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
            refs.by_node.remove(&node.key());
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
}
