// SPDX-License-Identifier: GPL-2.0

//! The buffer area of a process: the read-only region it mapped, carved into
//! transaction buffers by a best-fit allocator that merges free neighbours
//! (O(log n) per operation), with async-space accounting, and the pages
//! behind buffers, allocated when a buffer first needs them and inserted
//! into the process's mapping, released when no buffer uses them.

use crate::device::BINDER_VM_OPS;
use crate::ffi::file::{close_fd, FileRef, ReservedFd};
use crate::ffi::mm::VmaNew;
use crate::ffi::mm::{MmGrab, VmOps};
use crate::ffi::sync::TryMutex;
use crate::ffi::task;
use crate::ffi::vec::ThinVec;
use crate::node::Node;
use crate::process::Process;
use crate::work::DArc;
use kernel::prelude::*;

use core::mem::ManuallyDrop;
use core::sync::atomic::{AtomicUsize, Ordering};
use kernel::alloc::{KBox, KVVec};
use kernel::error::Result;
use kernel::page::{Page, PAGE_SIZE};
use kernel::rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation};
use kernel::sync::Arc;
use kernel::uaccess::UserSliceReader;

/// The largest area a process may map.
pub(crate) const MAX_AREA: usize = 4 << 20;

/// Pages that no buffer uses but that stay mapped, over all processes: what
/// the shrinker can free.
static LRU_PAGES: AtomicUsize = AtomicUsize::new(0);

/// The number of pages the shrinker could free now.
pub(crate) fn lru_pages() -> usize {
    LRU_PAGES.load(Ordering::Relaxed)
}

/// A file sent in a transaction. The sender makes one per fd object (its
/// list is the only allocation fds need); the receiver reserves a
/// descriptor in it, writes its number at `offset` in the buffer and
/// installs the file. Dropped before that, it puts back what it holds.
pub(crate) struct FdFixup {
    /// The file, until it is installed.
    file: Option<FileRef>,
    /// The descriptor reserved for it in the reader, until it is installed.
    reserved: Option<ReservedFd>,
    /// Where in the buffer its number goes.
    pub(crate) offset: usize,
    /// Its number in the reader, once installed.
    fd: u32,
    /// In an fd array (`BINDER_TYPE_FDA`): closed when the receiver frees
    /// the buffer.
    pub(crate) in_array: bool,
}

impl FdFixup {
    pub(crate) fn new(file: FileRef, offset: usize, in_array: bool) -> Self {
        Self {
            file: Some(file),
            reserved: None,
            offset,
            fd: 0,
            in_array,
        }
    }

    /// Reserves a descriptor for the file in the current task.
    pub(crate) fn reserve(&mut self) -> Result {
        self.reserved = Some(ReservedFd::new()?);
        Ok(())
    }

    /// The reserved or installed descriptor.
    pub(crate) fn fd(&self) -> u32 {
        self.reserved.as_ref().map_or(self.fd, |r| r.fd())
    }

    /// Installs the file at its reserved descriptor (nothing if none).
    pub(crate) fn install(&mut self) {
        if let (Some(r), Some(file)) = (self.reserved.take(), self.file.take()) {
            self.fd = r.fd();
            r.install(file);
        }
    }

    /// The descriptor to close when the buffer is freed, if any.
    fn to_close(&self) -> Option<u32> {
        (self.in_array && self.file.is_none() && self.reserved.is_none()).then_some(self.fd)
    }
}

/// A reference that a buffer holds on behalf of its transaction's objects,
/// dropped when the buffer is freed.
pub(crate) enum Held {
    /// A strong or weak local reference on a node of the buffer's owner.
    Node { node: DArc<Node>, strong: bool },
    /// A strong or weak count on the owner's handle for `node`.
    Ref { node: DArc<Node>, strong: bool },
}

/// What the driver knows of an allocated buffer.
pub(crate) struct BufferMeta {
    pub(crate) data_size: usize,
    pub(crate) offsets_size: usize,
    /// Counted against the async space.
    pub(crate) is_async: bool,
    /// Still attached to a transaction (not yet read, or a call not yet
    /// answered), as `binder_logs` shows it.
    pub(crate) active: bool,
    /// Zeroed when freed (`TF_CLEAR_BUF`).
    pub(crate) clear_on_free: bool,
    /// Thread-group id of the sender (for one-way spam detection).
    pub(crate) sender_pid: i32,
    /// The node the transaction in this buffer went to (none for a
    /// reply): the buffer holds a strong local count on it until it is
    /// freed, and for a one-way transaction the node's next queued one-way
    /// is released then.
    pub(crate) target_node: Option<DArc<Node>>,
    /// Delivered to user space, so `BC_FREE_BUFFER` may free it.
    pub(crate) allow_user_free: bool,
    /// References the objects in the buffer hold (one per binder or
    /// handle object: as many as user space fits in the buffer, so
    /// `kvmalloc`ed).
    pub(crate) held: ThinVec<Held>,
    /// The files of the transaction in the buffer, once its receiver has
    /// installed them: those from fd arrays are closed when it frees the
    /// buffer (the sender's list, kept: neither the read nor the free
    /// needs memory).
    pub(crate) close_on_free: ThinVec<FdFixup>,
}

/// Room in `Mapping::free_by_size` for one entry, allocated in advance.
type FreeSlot = RBTreeNodeReservation<u64, ()>;

// A buffer's entry in `Mapping::blocks` (tree links 24 bytes, key 8, then
// this) fits a 96-byte slab.
const _: () = assert!(core::mem::size_of::<(usize, Block)>() <= 64);

enum Block {
    Free,
    /// An allocated buffer, with the slot its free-list entry takes once it
    /// is freed: freeing never allocates, so it can't fail and lose space.
    Used(BufferMeta, FreeSlot),
}

struct PageSlot {
    page: Option<Arc<Page>>,
    users: u32,
}

/// The mapped area of one process.
pub(crate) struct Mapping {
    /// User address of the area.
    pub(crate) start: usize,
    /// Its size in bytes.
    pub(crate) size: usize,
    vma_id: usize,
    /// The owner's pid (trace events).
    pid: i32,
    /// The transactions' debug ids and extra sizes of buffers allocated
    /// while a buffer release event was on, by offset (trace events; empty
    /// otherwise).
    trace_ids: RBTree<usize, (usize, usize)>,
    /// The operations binder mappings have (to recognise ours).
    ops: &'static VmOps,
    /// Every block by offset, with its size.
    blocks: RBTree<usize, (usize, Block)>,
    /// Free blocks by size, then offset ([`free_key`]).
    free_by_size: RBTree<u64, ()>,
    free_async_space: usize,
    /// A one-way spammer was reported since async space last ran low.
    spam_detected: bool,
    /// One past the highest page index ever made present.
    pages_high: usize,
    /// One slot per page of the area (up to 1024 for 4 MiB: 16 KiB, so
    /// `kvmalloc`ed).
    pages: KVVec<PageSlot>,
    /// Tree nodes of blocks merged away, kept for the next splits (a call
    /// and its reply each split a block and merge it back: in a steady
    /// exchange, no allocation).
    spare: Spare,
}

/// What freeing a buffer let go of, to drop after the mapping lock: the
/// tree nodes its merges freed when the mapping keeps [`KEPT`] already
/// (two of each at most), and its trace entry.
#[derive(Default)]
pub(crate) struct Unused {
    blocks: [Option<RBTreeNodeReservation<usize, (usize, Block)>>; 2],
    free: [Option<FreeSlot>; 2],
    trace: Option<RBTreeNode<usize, (usize, usize)>>,
}

impl Unused {
    fn put<T>(slots: &mut [Option<T>], v: Option<T>) {
        if let Some(v) = v {
            // Two slots: a free merges with two neighbours at most.
            if let Some(s) = slots.iter_mut().find(|s| s.is_none()) {
                *s = Some(v);
            }
        }
    }
}

/// A buffer [`Mapping::alloc`] made.
pub(crate) struct Allocated {
    /// Its offset in the area.
    off: usize,
    /// Its sender looks like a one-way spammer.
    suspect: bool,
    /// Some of its pages are absent ([`Process::install_pages`]).
    absent: bool,
}

/// Room for the tree entries of free blocks, kept from merges.
#[derive(Default)]
struct Spare {
    blocks: Kept<RBTreeNodeReservation<usize, (usize, Block)>>,
    free: Kept<FreeSlot>,
}

impl Spare {
    /// Whether a split would find both its tree nodes here.
    fn ready(&self) -> bool {
        self.blocks.n > 0 && self.free.n > 0
    }
}

/// The two tree nodes of a split, allocated before the mapping lock is
/// taken when the mapping has no spare ones (the lock is never held across
/// an allocation).
pub(crate) struct SplitNodes {
    blocks: Option<RBTreeNodeReservation<usize, (usize, Block)>>,
    free: Option<FreeSlot>,
}

impl SplitNodes {
    fn new() -> Result<Self> {
        Ok(Self {
            blocks: Some(RBTreeNodeReservation::new(GFP_KERNEL)?),
            free: Some(RBTreeNodeReservation::new(GFP_KERNEL)?),
        })
    }
}

/// How many tree nodes of each kind a mapping keeps (at most 64 * 96
/// bytes kept idle, after a burst). A one-way stream splits blocks in
/// bursts (the sender runs ahead) and merges them in bursts (the reader
/// frees one at a time, each freeing the next): with room for two, each
/// one-way call allocated two nodes and freed two (oneway_0B profile:
/// about 100 buffers per burst).
const KEPT: usize = 64;

/// A stack of at most [`KEPT`] spare tree nodes.
///
/// # Invariants
///
/// `slots[..n]` are `Some`, the rest `None`.
struct Kept<T> {
    slots: [Option<T>; KEPT],
    n: usize,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        // INVARIANT: none kept, all `None`.
        Self {
            slots: core::array::from_fn(|_| None),
            n: 0,
        }
    }
}

impl<T> Kept<T> {
    /// Keeps `r`; gives it back if there is no room (to drop).
    fn keep(&mut self, r: T) -> Option<T> {
        match self.slots.get_mut(self.n) {
            Some(s) => {
                *s = Some(r);
                // INVARIANT: slot `n` was `None` and is now `Some`.
                self.n += 1;
                None
            }
            None => Some(r),
        }
    }

    /// Takes a kept node.
    fn take(&mut self) -> Option<T> {
        let i = self.n.checked_sub(1)?;
        // INVARIANT: slot `i` becomes `None`, the last of `..n`.
        self.n = i;
        self.slots.get_mut(i)?.take()
    }
}

/// The key of a free block in `Mapping::free_by_size`: its size, then its
/// offset, in one `u64` (a tree entry of 32 bytes, where a pair of `usize`
/// takes a 64-byte slab). Both are below [`MAX_AREA`], so each fits in 32
/// bits and the order is that of the pair.
fn free_key(size: usize, off: usize) -> u64 {
    // Saturating, should a caller pass more: still an upper bound.
    let part = |v: usize| u64::from(u32::try_from(v).unwrap_or(u32::MAX));
    (part(size) << 32) | part(off)
}

/// The size and offset in a [`free_key`].
fn from_free_key(k: u64) -> (usize, usize) {
    ((k >> 32) as usize, (k & 0xffff_ffff) as usize)
}

/// `v` rounded up to a multiple of 8 (`ALIGN(v, 8)`); `None` on overflow
/// (where C's `ALIGN` wraps and `sanitized_size` catches it).
pub(crate) fn align8(v: usize) -> Option<usize> {
    v.checked_add(7).map(|v| v & !7)
}

/// The size a buffer needs for its parts, each 8-byte aligned; `None` on
/// overflow (`sanitized_size` returning 0: `EINVAL`).
pub(crate) fn buffer_size(data: usize, offsets: usize, extra: usize) -> Option<usize> {
    let total = align8(data)?
        .checked_add(align8(offsets)?)?
        .checked_add(align8(extra)?)?;
    // Zero-sized buffers still get unique addresses.
    Some(total.max(core::mem::size_of::<usize>()))
}

/// Where the parts of a buffer start: the offsets array after the data,
/// the scatter-gather area after the offsets (each 8-byte aligned);
/// `None` on overflow.
pub(crate) fn buffer_layout(data: usize, offsets: usize) -> Option<(usize, usize)> {
    let off_start = align8(data)?;
    Some((off_start, off_start.checked_add(align8(offsets)?)?))
}

impl Mapping {
    /// The area `[start, start + size)`, mapped by the binder mapping with
    /// identity `vma_id`.
    pub(crate) fn new(
        start: usize,
        size: usize,
        (vma_id, pid): (usize, i32),
        ops: &'static VmOps,
    ) -> Result<Self> {
        let npages = size.div_ceil(PAGE_SIZE);
        let mut pages = KVVec::with_capacity(npages, GFP_KERNEL)?;
        for _ in 0..npages {
            pages.push(
                PageSlot {
                    page: None,
                    users: 0,
                },
                GFP_KERNEL,
            )?;
        }
        let mut blocks = RBTree::new();
        blocks.insert(RBTreeNode::new(0, (size, Block::Free), GFP_KERNEL)?);
        let mut free_by_size = RBTree::new();
        free_by_size.insert(RBTreeNode::new(free_key(size, 0), (), GFP_KERNEL)?);
        Ok(Self {
            start,
            size,
            vma_id,
            pid,
            trace_ids: RBTree::new(),
            ops,
            blocks,
            free_by_size,
            free_async_space: size / 2,
            spam_detected: false,
            pages_high: 0,
            pages,
            spare: Spare::default(),
        })
    }

    /// Allocates a buffer of `size` bytes (see [`buffer_size`]): the free
    /// block that fits best, split if larger; its pages are made present.
    /// `ENOSPC` if nothing fits (or the async space is used up), `ESRCH` if
    /// the mapping is gone. Also tells whether the sender of a one-way
    /// buffer looks like a spammer (see [`Mapping::spam_suspect`]).
    pub(crate) fn alloc(
        &mut self,
        size: usize,
        meta: BufferMeta,
        nodes: &mut Option<SplitNodes>,
    ) -> Result<Allocated> {
        // Larger than the area: nothing fits (and the tree key below holds
        // sizes up to the area's only).
        if size > self.size || (meta.is_async && self.free_async_space < size) {
            return Err(ENOSPC);
        }
        let (bsize, off) = match self.free_by_size.cursor_lower_bound(&free_key(size, 0)) {
            Some(c) => from_free_key(*c.current().0),
            None => return Err(ENOSPC),
        };
        // Everything that can fail comes before any change.
        // `bsize >= size` (the lower bound), `off + bsize <= self.size`.
        // The split's tree nodes: kept ones, else the caller's (allocated
        // before locking when [`Mapping::split_ready`] said no).
        let rest = if bsize > size {
            let (b, f) = match (self.spare.blocks.take(), self.spare.free.take()) {
                (Some(b), Some(f)) => (Some(b), Some(f)),
                (b, f) => match nodes.as_mut() {
                    Some(n) => (b.or_else(|| n.blocks.take()), f.or_else(|| n.free.take())),
                    None => (b, f),
                },
            };
            match (b, f) {
                (Some(b), Some(f)) => Some((
                    b.into_node(off + size, (bsize - size, Block::Free)),
                    f.into_node(free_key(bsize - size, off + size), ()),
                )),
                (b, f) => {
                    // Not reached (the caller made sure of two). What was
                    // taken goes back: the stacks it came from had room.
                    if let Some(b) = b {
                        drop(self.spare.blocks.keep(b));
                    }
                    if let Some(f) = f {
                        drop(self.spare.free.keep(f));
                    }
                    return Err(ENOMEM);
                }
            }
        } else {
            None
        };
        // The free-list entry of the block becomes the buffer's slot.
        let Some(slot) = self.free_by_size.remove_node(&free_key(bsize, off)) else {
            // Not reached (the lower bound found it): the nodes are kept.
            if let Some((b, f)) = rest {
                drop(self.spare.blocks.keep(b.into_reservation()));
                drop(self.spare.free.keep(f.into_reservation()));
            }
            return Err(ENOSPC);
        };
        crate::trace::alloc_range(self.pid, self.start, (off, bsize, size), &|i| {
            self.present(i)
        });
        let absent = self.claim_pages(off, size);
        let slot = slot.into_reservation();
        if let Some((b, f)) = rest {
            self.blocks.insert(b);
            self.free_by_size.insert(f);
        }
        let (is_async, pid) = (meta.is_async, meta.sender_pid);
        if is_async {
            // `free_async_space >= size`: checked first (`ENOSPC`, as C).
            self.free_async_space -= size;
        }
        if let Some(b) = self.blocks.get_mut(&off) {
            *b = (size, Block::Used(meta, slot));
        }
        let suspect = is_async && self.spam_suspect(pid);
        Ok(Allocated {
            off,
            suspect,
            absent,
        })
    }

    /// Whether a split finds its two tree nodes in the mapping's spare
    /// ones; if not, the caller allocates them ([`SplitNodes`]) before
    /// taking the lock again.
    pub(crate) fn split_ready(&self) -> bool {
        self.spare.ready()
    }

    /// Keeps the caller's split nodes that [`Mapping::alloc`] did not use;
    /// what finds no room is returned, to drop after unlocking.
    pub(crate) fn keep_split_nodes(&mut self, nodes: Option<SplitNodes>) -> Option<SplitNodes> {
        let mut n = nodes?;
        n.blocks = n.blocks.and_then(|b| self.spare.blocks.keep(b));
        n.free = n.free.and_then(|f| self.spare.free.keep(f));
        (n.blocks.is_some() || n.free.is_some()).then_some(n)
    }

    /// The C driver's one-way spam rule: once less than a tenth of the area
    /// is free async space, a sender holding more than 50 one-way buffers
    /// or more than a quarter of the area is reported, once until the space
    /// recovers.
    fn spam_suspect(&mut self, pid: i32) -> bool {
        if self.free_async_space >= self.size / 10 {
            self.spam_detected = false;
            return false;
        }
        let (mut total, mut count) = (0usize, 0usize);
        for (_, (size, b)) in self.blocks.iter() {
            if let Block::Used(m, _) = b {
                if m.is_async && m.sender_pid == pid {
                    total += *size;
                    count += 1;
                }
            }
        }
        if (count > 50 || total > self.size / 4) && !self.spam_detected {
            self.spam_detected = true;
            return true;
        }
        false
    }

    /// The metadata of the allocated buffer at `off`.
    pub(crate) fn meta_mut(&mut self, off: usize) -> Option<&mut BufferMeta> {
        match self.blocks.get_mut(&off) {
            Some((_, Block::Used(m, _))) => Some(m),
            _ => None,
        }
    }

    /// Frees the allocated buffer at `off`, merging it with free neighbours
    /// and releasing pages no other buffer uses; returns its metadata.
    pub(crate) fn free(
        &mut self,
        mm: &MmGrab,
        off: usize,
        unused: &mut Unused,
    ) -> Option<BufferMeta> {
        // The trace event sees the neighbours as they were (it walks the
        // tree only when it is on).
        if crate::trace::pages_enabled() {
            if let Some(&(size, Block::Used(..))) = self.blocks.get(&off) {
                self.trace_free(off, size);
            }
        }
        // One walk of the block tree: the buffer's block is marked free and
        // merged with its free neighbours (the blocks tile the area: the
        // next one starts at `off + size`).
        let mut c = self.blocks.cursor_lower_bound(&off)?;
        let (&k, (size, b)) = c.current_mut();
        if k != off || !matches!(b, Block::Used(..)) {
            return None;
        }
        let size = *size;
        let (meta, slot) = match core::mem::replace(b, Block::Free) {
            Block::Used(m, slot) => (m, slot),
            Block::Free => return None,
        };
        let (mut start, mut len) = (off, size);
        let next = match c.peek_next() {
            Some((&n, (nsize, Block::Free))) if n == off + size => Some(*nsize),
            _ => None,
        };
        if let Some(nsize) = next {
            if let Some(n) = c.remove_next() {
                Unused::put(
                    &mut unused.blocks,
                    self.spare.blocks.keep(n.into_reservation()),
                );
            }
            if let Some(n) = self.free_by_size.remove_node(&free_key(nsize, off + size)) {
                Unused::put(&mut unused.free, self.spare.free.keep(n.into_reservation()));
            }
            len += nsize;
        }
        let prev = match c.peek_prev_mut() {
            Some((&poff, (psize, Block::Free))) => {
                let p = (poff, *psize);
                *psize += len;
                Some(p)
            }
            _ => None,
        };
        match prev {
            Some((poff, psize)) => {
                if let Some(n) = self.free_by_size.remove_node(&free_key(psize, poff)) {
                    Unused::put(&mut unused.free, self.spare.free.keep(n.into_reservation()));
                }
                let (_, n) = c.remove_current();
                Unused::put(
                    &mut unused.blocks,
                    self.spare.blocks.keep(n.into_reservation()),
                );
                start = poff;
                len += psize;
            }
            None => c.current_mut().1 .0 = len,
        }
        self.free_by_size
            .insert(slot.into_node(free_key(len, start), ()));

        // What the buffer held of the area: its async space, its bytes (if
        // asked to clear them) and its pages, which don't depend on the tree.
        if meta.is_async {
            self.free_async_space += size;
        }
        if meta.clear_on_free {
            // The pages of a used buffer are present: zeroing them can't
            // fail. Were one missing, there would be nothing to clear in it.
            if self.zero(off, size).is_err() {
                kernel::pr_debug!("rust_binder: buffer {:#x} not cleared\n", off);
            }
        }
        unused.trace = self.trace_ids.remove_node(&off);
        self.release_pages(mm, off, size);
        Some(meta)
    }

    /// Free async space, allocated buffers, and pages (in use, kept free,
    /// absent) for `binder_logs/stats`.
    pub(crate) fn stats(&self) -> (usize, usize, (usize, usize, usize), usize) {
        let buffers = self
            .blocks
            .iter()
            .filter(|(_, (_, b))| matches!(b, Block::Used(..)))
            .count();
        let (mut active, mut lru, mut free) = (0, 0, 0);
        for p in self.pages.iter() {
            match (&p.page, p.users) {
                (Some(_), 0) => lru += 1,
                (Some(_), _) => active += 1,
                (None, _) => free += 1,
            }
        }
        (
            self.free_async_space,
            buffers,
            (active, lru, free),
            self.pages_high,
        )
    }

    /// Writes the allocated buffers as `binder_alloc_print_allocated` does.
    pub(crate) fn print_allocated(&self, m: &mut dyn core::fmt::Write) -> core::fmt::Result {
        for (off, (_, b)) in self.blocks.iter() {
            if let Block::Used(meta, _) = b {
                writeln!(
                    m,
                    "  buffer {}: {:x} size {}:{}:0 {}",
                    off,
                    off,
                    meta.data_size,
                    meta.offsets_size,
                    if meta.active { "active" } else { "delivered" }
                )?;
            }
        }
        Ok(())
    }

    fn page_range(off: usize, size: usize) -> core::ops::Range<usize> {
        off / PAGE_SIZE..(off + size).div_ceil(PAGE_SIZE)
    }

    /// Claims the pages of a new buffer `[off, off + size)`: the shrinker
    /// leaves pages with users alone, and an idle page taken back into use
    /// leaves its count. Returns whether some are absent, for
    /// [`Process::install_pages`] to allocate and map once the mapping
    /// lock is dropped.
    fn claim_pages(&mut self, off: usize, size: usize) -> bool {
        let (mut reused, mut absent) = (0, false);
        for i in Self::page_range(off, size) {
            let Some(slot) = self.pages.get_mut(i) else {
                continue;
            };
            match (&slot.page, slot.users) {
                (Some(_), 0) => reused += 1,
                (None, _) => absent = true,
                _ => {}
            }
            // At most one user per 8 bytes of the page.
            slot.users = slot.users.saturating_add(1);
        }
        LRU_PAGES.fetch_sub(reused, Ordering::Relaxed);
        absent
    }

    /// The first absent page of `range`, if any.
    fn first_absent(&self, range: core::ops::Range<usize>) -> Option<usize> {
        range
            .into_iter()
            .find(|&i| self.pages.get(i).is_some_and(|s| s.page.is_none()))
    }

    /// Records `page`, just mapped at index `i` by
    /// [`Process::install_pages`]; gives it back if the slot is taken (not
    /// reached: installers hold `mmap_lock` for writing, and only they fill
    /// slots), to drop after unlocking.
    fn set_page(&mut self, i: usize, page: Arc<Page>) -> Option<Arc<Page>> {
        let Some(slot) = self.pages.get_mut(i) else {
            return Some(page);
        };
        if slot.page.is_some() {
            return Some(page);
        }
        if slot.users == 0 {
            LRU_PAGES.fetch_add(1, Ordering::Relaxed);
        }
        slot.page = Some(page);
        self.pages_high = self.pages_high.max(i + 1);
        None
    }

    /// Drops the buffer's claim on its pages. Pages no buffer uses stay
    /// mapped, as in the C driver, until the shrinker reclaims them
    /// ([`Mapping::reclaim`]); a later buffer there reuses them.
    fn release_pages(&mut self, _mm: &MmGrab, off: usize, size: usize) {
        for i in Self::page_range(off, size) {
            let slot = &mut self.pages[i];
            slot.users = slot.users.saturating_sub(1);
            if slot.users == 0 && slot.page.is_some() {
                LRU_PAGES.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Frees up to `nr` pages that no buffer uses, unmapping them first;
    /// returns how many. Gives up (0) rather than wait for `mmap_lock`.
    pub(crate) fn reclaim(&mut self, mm: &MmGrab, nr: usize) -> usize {
        let idle = |s: &PageSlot| s.users == 0 && s.page.is_some();
        if nr == 0 || !self.pages.iter().any(idle) {
            return 0;
        }
        // Without users the address space is gone, and so are the PTEs.
        let user = mm.mmget_reclaim();
        let guard = match &user {
            Some(u) => match u.try_read_lock() {
                Some(g) => Some(g),
                None => return 0,
            },
            None => None,
        };
        let vma = guard
            .as_ref()
            .and_then(|g| g.vma_lookup(self.start))
            .filter(|v| v.is_binder(self.ops, self.vma_id));
        let mut freed = 0;
        for i in 0..self.pages.len() {
            if freed == nr {
                break;
            }
            if !idle(&self.pages[i]) {
                continue;
            }
            crate::trace::unmap(self.pid, i, 0);
            crate::trace::unmap(self.pid, i, 1);
            if let Some(v) = vma {
                crate::trace::unmap(self.pid, i, 2);
                v.zap(self.start + i * PAGE_SIZE, PAGE_SIZE);
                crate::trace::unmap(self.pid, i, 3);
            }
            self.pages[i].page = None;
            freed += 1;
        }
        LRU_PAGES.fetch_sub(freed, Ordering::Relaxed);
        freed
    }

    /// Zeroes `[off, off + len)`, a buffer being freed (its only caller,
    /// [`Mapping::free`], under the mapping lock). Nothing else writes it
    /// then: its sender finished before queueing it, its fds were written
    /// under the mapping lock, and user space maps the area read-only.
    fn zero(&self, off: usize, len: usize) -> Result {
        self.for_pages(off, len, |page, o, n| {
            // SAFETY: `o + n` is within the page; no access races (above).
            unsafe { page.fill_zero_raw(o, n) }
        })
    }

    /// Calls `f(page, offset in page, len)` over `[off, off + len)`.
    fn for_pages(
        &self,
        off: usize,
        len: usize,
        mut f: impl FnMut(&Page, usize, usize) -> Result,
    ) -> Result {
        if off.checked_add(len).is_none_or(|end| end > self.size) {
            return Err(EINVAL);
        }
        let mut done = 0;
        while done < len {
            let pos = off + done;
            let (i, in_page) = (pos / PAGE_SIZE, pos % PAGE_SIZE);
            let n = (PAGE_SIZE - in_page).min(len - done);
            let page = self.pages[i].page.as_ref().ok_or(EFAULT)?;
            f(page, in_page, n)?;
            done += n;
        }
        Ok(())
    }

    /// Writes `data` into the buffer area at `off`: only the fds that a
    /// reader installs in a buffer delivered to it, under the mapping lock.
    /// Nothing else writes it then: its sender finished before queueing
    /// it, and fd writes and the zeroing on free hold the mapping lock.
    pub(crate) fn write(&self, off: usize, data: &[u8]) -> Result {
        let mut done = 0;
        self.for_pages(off, data.len(), |page, o, n| {
            // SAFETY: `o + n` is within the page, `data[done..done + n]` is
            // valid for reads; no access races (above).
            unsafe { page.write_raw(data[done..].as_ptr(), o, n)? };
            done += n;
            Ok(())
        })
    }
}

/// How many pages a [`BufferPages`] looks up at a time (a 64 KiB parcel's
/// objects and their offsets are in one window).
const WINDOW: usize = 16;

/// Direct access to the pages of one allocated buffer, so that a payload is
/// copied from the sender's memory straight into the target's pages.
///
/// The pages are looked up a window at a time under the mapping lock, and
/// read or written after it is dropped: no user copy runs under the lock,
/// and a sender stalled in a page fault blocks nobody. A page of an
/// allocated buffer stays in place until the buffer is freed; the window's
/// references keep even a page that the mapping dropped alive.
///
/// It is large (a window of page references): made once per send by its
/// user and filled in place ([`Process::alloc_buffer`]), never moved, and
/// its drop visits only the slots it filled.
///
/// # Invariants
///
/// The slots of `window` from `loaded` on are `None`.
pub(crate) struct BufferPages<'a> {
    mapping: &'a TryMutex<Option<Mapping>>,
    /// Offset of the buffer in the area, and its size.
    off: usize,
    size: usize,
    /// Index (in the area) of the window's first page.
    first: usize,
    /// How many slots of `window` may be filled.
    loaded: usize,
    /// Whether the first window is loaded with the allocation (else on
    /// first use).
    preload: bool,
    /// Dropped by [`BufferPages`]'s `Drop` (its filled slots only).
    window: ManuallyDrop<[Option<Arc<Page>>; WINDOW]>,
}

impl Drop for BufferPages<'_> {
    fn drop(&mut self) {
        // The slots from `loaded` on are empty: nothing to drop there.
        self.release();
    }
}

impl<'a> BufferPages<'a> {
    /// An empty view of the area behind `mapping`, pointed at a buffer by
    /// [`BufferPages::attach`], which loads its first pages if `preload`
    /// (a caller that writes nothing saves their references). Inlined, so
    /// that it is built in its user's frame (a call returns it through a
    /// `memcpy`).
    #[inline(always)]
    pub(crate) fn new(mapping: &'a TryMutex<Option<Mapping>>, preload: bool) -> Self {
        // INVARIANT: no slot is filled.
        Self {
            mapping,
            off: 0,
            size: 0,
            first: 0,
            loaded: 0,
            preload,
            window: ManuallyDrop::new([const { None }; WINDOW]),
        }
    }

    /// Points the (empty) view at the buffer `[off, off + size)` of `m`,
    /// the mapping the caller holds locked, and loads its first window
    /// (if asked to: [`BufferPages::new`]).
    /// The buffer must be allocated to the caller, which alone writes it
    /// until it is handed to the reader.
    fn attach(&mut self, m: &Mapping, off: usize, size: usize) {
        self.off = off;
        self.size = size;
        self.preload(m);
    }

    /// Drops the window's page references now, in place (moving the view
    /// to drop it would copy it); it must not be used after this.
    pub(crate) fn release(&mut self) {
        for slot in self.window.iter_mut().take(self.loaded) {
            drop(slot.take());
        }
        // INVARIANT: every slot is empty.
        self.loaded = 0;
        self.size = 0;
    }

    /// The buffer's offset in the area.
    pub(crate) fn off(&self) -> usize {
        self.off
    }

    /// Loads the window at the buffer's first page from `m`, the mapping
    /// the caller holds locked (an empty window is only a later lookup).
    fn preload(&mut self, m: &Mapping) {
        if self.size == 0 || !self.preload {
            return;
        }
        let idx = self.off / PAGE_SIZE;
        self.fill(m, idx);
    }

    /// Fills the (empty) window with the pages from `idx` on that are in
    /// the buffer.
    fn fill(&mut self, m: &Mapping, idx: usize) {
        // Only called for a non-empty buffer that fits in the area.
        let last = (self.off + self.size - 1) / PAGE_SIZE;
        let mut n = 0;
        for (j, slot) in self.window.iter_mut().enumerate() {
            let i = idx + j;
            if i > last {
                break;
            }
            *slot = m.pages.get(i).and_then(|s| s.page.clone());
            n = j + 1;
        }
        // INVARIANT: the slots past the first `n` were empty and stay so.
        self.loaded = n;
        self.first = idx;
    }

    /// Loads the window starting at page `idx`. `ESRCH` if the mapping is
    /// gone.
    fn load(&mut self, idx: usize) -> Result {
        // The old window is dropped after the lock (a page may be freed).
        let old = core::mem::replace(&mut *self.window, [const { None }; WINDOW]);
        // INVARIANT: every slot is empty.
        self.loaded = 0;
        {
            let guard = self.mapping.lock();
            let m = guard.as_ref().ok_or(ESRCH)?;
            // `load` is only called for an offset inside the buffer.
            self.fill(m, idx);
        }
        drop(old);
        Ok(())
    }

    /// Calls `f(page, offset in page, len, done)` over `[at, at + len)` of
    /// the buffer; `EINVAL` if that is not inside the buffer, `EFAULT` for
    /// a missing page.
    fn for_pages(
        &mut self,
        at: usize,
        len: usize,
        mut f: impl FnMut(&Page, usize, usize, usize) -> Result,
    ) -> Result {
        self.check_range(at, len)?;
        let mut done = 0;
        while done < len {
            // `off + size` fits in the area, which bounds `pos`.
            let pos = self.off + at + done;
            let (idx, in_page) = (pos / PAGE_SIZE, pos % PAGE_SIZE);
            let n = (PAGE_SIZE - in_page).min(len - done);
            let hit = idx
                .checked_sub(self.first)
                .filter(|&k| k < WINDOW && self.window[k].is_some());
            let k = match hit {
                Some(k) => k,
                None => {
                    self.load(idx)?;
                    0
                }
            };
            let page = self.window[k].as_deref().ok_or(EFAULT)?;
            f(page, in_page, n, done)?;
            done += n;
        }
        Ok(())
    }

    /// Copies `len` bytes from `reader` to `at` in the buffer. Inlined:
    /// copying nothing (a transaction without data or offsets) makes no
    /// call.
    #[inline]
    pub(crate) fn copy_from_user(
        &mut self,
        at: usize,
        reader: &mut UserSliceReader,
        len: usize,
    ) -> Result {
        if len == 0 {
            return self.check_range(at, 0);
        }
        self.copy_pages_from_user(at, reader, len)
    }

    /// `EINVAL` unless `[at, at + len)` is inside the buffer.
    #[inline]
    fn check_range(&self, at: usize, len: usize) -> Result {
        if at.checked_add(len).is_none_or(|end| end > self.size) {
            return Err(EINVAL);
        }
        Ok(())
    }

    /// [`BufferPages::copy_from_user`] of a non-empty range.
    fn copy_pages_from_user(
        &mut self,
        at: usize,
        reader: &mut UserSliceReader,
        len: usize,
    ) -> Result {
        self.for_pages(at, len, |page, o, n, _| {
            // SAFETY: `o + n` is within the page; the buffer's bytes are
            // written by its owner alone (`BufferPages::new`).
            unsafe { page.copy_from_user_slice_raw(reader, o, n) }
        })
    }

    /// Writes `data` at `at` in the buffer.
    pub(crate) fn write(&mut self, at: usize, data: &[u8]) -> Result {
        self.for_pages(at, data.len(), |page, o, n, done| {
            // SAFETY: `o + n` is within the page, `data[done..done + n]` is
            // valid for reads, and the buffer's bytes are its owner's alone.
            unsafe { page.write_raw(data[done..].as_ptr(), o, n) }
        })
    }

    /// Reads `out.len()` bytes at `at` in the buffer.
    pub(crate) fn read(&mut self, at: usize, out: &mut [u8]) -> Result {
        self.for_pages(at, out.len(), |page, o, n, done| {
            // SAFETY: `o + n` is within the page, `out[done..done + n]` is
            // valid for writes, and the buffer's bytes are its owner's alone.
            unsafe { page.read_raw(out[done..].as_mut_ptr(), o, n) }
        })
    }

    /// Zeroes `[at, at + len)` of the buffer.
    pub(crate) fn zero(&mut self, at: usize, len: usize) -> Result {
        self.for_pages(at, len, |page, o, n, _| {
            // SAFETY: `o + n` is within the page; the buffer's bytes are its
            // owner's alone.
            unsafe { page.fill_zero_raw(o, n) }
        })
    }

    /// The `u64` at `at` in the buffer.
    pub(crate) fn read_u64(&mut self, at: usize) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read(at, &mut b)?;
        Ok(u64::from_ne_bytes(b))
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        let idle = self
            .pages
            .iter()
            .filter(|s| s.users == 0 && s.page.is_some())
            .count();
        LRU_PAGES.fetch_sub(idle, Ordering::Relaxed);
    }
}

impl Mapping {
    /// Remembers that buffer `off` holds transaction `id` with `extra`
    /// bytes of sg buffers and security context (trace events), given as
    /// the tree entry `n` (made before locking).
    /// Returns the entry it replaces (none: a freed buffer's entry goes
    /// with it), to drop after unlocking.
    pub(crate) fn set_trace_id(
        &mut self,
        n: RBTreeNode<usize, (usize, usize)>,
    ) -> Option<RBTreeNode<usize, (usize, usize)>> {
        self.trace_ids.insert(n)
    }

    /// What the buffer release events print of buffer `off`: its
    /// transaction's debug id, data, offsets and extra sizes (for a buffer
    /// allocated while these events were off: id 0, and the extra size is
    /// what the block has beyond the data and offsets).
    pub(crate) fn trace_info(&mut self, off: usize) -> Option<(usize, usize, usize, usize)> {
        let (size, meta) = match self.blocks.get(&off) {
            Some((size, Block::Used(m, _))) => (*size, m),
            _ => return None,
        };
        let (id, extra) = match self.trace_ids.get(&off) {
            Some(&v) => v,
            None => {
                let parts = align8(meta.data_size)?.checked_add(align8(meta.offsets_size)?)?;
                // `sanitized_size`: at least 8 bytes, even with no parts.
                (
                    0,
                    if parts == 0 && size == 8 {
                        0
                    } else {
                        size.saturating_sub(parts)
                    },
                )
            }
        };
        Some((id, meta.data_size, meta.offsets_size, extra))
    }

    /// Whether page `i` is present (trace events).
    fn present(&self, i: usize) -> bool {
        self.pages.get(i).is_some_and(|p| p.page.is_some())
    }

    /// The page trace events of freeing block `off` of `size` bytes, already
    /// marked free (see [`crate::trace::free_range`]).
    fn trace_free(&mut self, off: usize, size: usize) {
        if !crate::trace::pages_enabled() {
            return;
        }
        let next_free = match self.blocks.get(&(off + size)) {
            Some((s, Block::Free)) => Some((off + size, *s)),
            _ => None,
        };
        let prev_free = self.blocks.cursor_lower_bound(&off).and_then(|c| {
            c.peek_prev()
                .and_then(|(&p, (_, b))| matches!(b, Block::Free).then_some(p))
        });
        let n = crate::trace::Neighbours {
            next_free,
            prev_free,
            area_size: self.size,
        };
        crate::trace::free_range(self.pid, self.start, (off, size), n, &|i| self.present(i));
    }
}

// ---- a process's buffers ----

impl Process {
    /// Allocates a buffer of `size` bytes; returns its offset and the
    /// area's user address.
    /// The buffer comes with the window of its pages loaded
    /// ([`BufferPages`], under the same lock).
    pub(crate) fn alloc_buffer<'a>(
        &'a self,
        size: usize,
        meta: BufferMeta,
        pages: &mut BufferPages<'a>,
    ) -> Result<(usize, bool)> {
        let mm = self.mm.as_ref().ok_or(ESRCH)?;
        // Nothing is allocated under the mapping lock: the mapping itself
        // and a split's tree nodes (when the mapping kept none) are made
        // before it is taken, and the lookup starts over. Nor freed: these
        // are declared before the guard, so whichever way this returns they
        // are dropped after it.
        let mut made = None;
        let mut nodes = None;
        let _surplus;
        let mut mapping = loop {
            let mut mapping = self.mapping.lock();
            if mapping.is_none() {
                match made.take() {
                    // The area `mmap` left is taken once: after release
                    // (the mapping gone) none is made again.
                    Some(m) if self.area.lock().pending.take().is_some() => {
                        *mapping = Some(KBox::into_inner(m))
                    }
                    Some(m) => {
                        drop(mapping);
                        drop(m);
                        return Err(ESRCH);
                    }
                    None => {
                        drop(mapping);
                        made = Some(self.new_mapping()?);
                        continue;
                    }
                }
            }
            let ready = mapping.as_ref().is_some_and(|m| m.split_ready());
            if !ready && nodes.is_none() {
                drop(mapping);
                nodes = Some(SplitNodes::new()?);
                continue;
            }
            break mapping;
        };
        // Checked first, as C checks its vma before the sizes.
        if self.area.lock().closed {
            return Err(ESRCH);
        }
        let Some(m) = mapping.as_mut() else {
            return Err(ESRCH);
        };
        let res = m.alloc(size, meta, &mut nodes);
        _surplus = m.keep_split_nodes(nodes.take());
        let a = res?;
        let start = m.start;
        if !a.absent {
            pages.attach(m, a.off, size);
            return Ok((start, a.suspect));
        }
        drop(mapping);
        // Its absent pages are made and mapped without the mapping lock,
        // then the window is loaded; on failure the buffer goes again.
        let res = self.install_pages(mm, a.off, size).and_then(|()| {
            let mut mapping = self.mapping.lock();
            let m = mapping.as_mut().ok_or(ESRCH)?;
            pages.attach(m, a.off, size);
            Ok(())
        });
        if let Err(e) = res {
            let mut unused = Unused::default();
            let meta = self
                .mapping
                .lock()
                .as_mut()
                .and_then(|m| m.free(mm, a.off, &mut unused));
            drop(meta);
            drop(unused);
            return Err(e);
        }
        Ok((start, a.suspect))
    }

    /// The mapping of the area that `mmap` set up (`ESRCH`: none), made
    /// with no lock held; [`Process::alloc_buffer`] installs it. Boxed
    /// until then: it is large (the spare node stacks), and the sender's
    /// `Option` of it must cost no copy on every call.
    fn new_mapping(&self) -> Result<KBox<Mapping>> {
        let pending = self.area.lock().pending;
        let (start, len) = pending.ok_or(ESRCH)?;
        let m = Mapping::new(start, len, (self.vma_id(), self.pid), &BINDER_VM_OPS)?;
        Ok(KBox::new(m, GFP_KERNEL)?)
    }

    /// Allocates and maps the absent pages of the new buffer `[off, off +
    /// size)`, as C's `binder_install_buffer_pages`: with the target's
    /// `mmap_lock` held for writing (installers of a page shared by two
    /// new buffers take turns) and no binder lock; the mapping lock is
    /// taken only to find an absent page and to record it. The buffer's
    /// claim keeps the shrinker away from its pages meanwhile.
    fn install_pages(&self, mm: &MmGrab, off: usize, size: usize) -> Result {
        let user = mm.mmget().ok_or(ESRCH)?;
        let guard = user.write_lock();
        // Unmapped (even in part) since the buffer was made: as C finds
        // its `alloc->vma` cleared.
        if self.area.lock().closed {
            return Err(ESRCH);
        }
        let range = Mapping::page_range(off, size);
        let (start, ops, vma_id, pid) = {
            let mapping = self.mapping.lock();
            let m = mapping.as_ref().ok_or(ESRCH)?;
            (m.start, m.ops, m.vma_id, m.pid)
        };
        let vma = guard
            .vma_lookup(start)
            .filter(|v| v.is_binder(ops, vma_id))
            .ok_or(ESRCH)?;
        let mut from = range.start;
        loop {
            let next = self
                .mapping
                .lock()
                .as_ref()
                .ok_or(ESRCH)?
                .first_absent(from..range.end);
            let Some(i) = next else {
                return Ok(());
            };
            crate::trace::alloc_page(pid, i, false);
            let page = Page::alloc_page(GFP_KERNEL | __GFP_ZERO).map_err(|_| ENOMEM)?;
            let page = Arc::new(page, GFP_KERNEL)?;
            // As C, a page that can't be mapped is `ENOMEM`.
            vma.insert_page(start + i * PAGE_SIZE, &page)
                .map_err(|_| ENOMEM)?;
            crate::trace::alloc_page(pid, i, true);
            let taken = match self.mapping.lock().as_mut() {
                Some(m) => m.set_page(i, page),
                None => Some(page),
            };
            drop(taken);
            from = i + 1;
        }
    }

    /// Records the references a buffer holds.
    pub(crate) fn set_buffer_held(&self, off: usize, held: ThinVec<Held>) {
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
    pub(crate) fn release_buffer(&self, off: usize, user: bool, next_async: bool) {
        // A read that failed returns to user space, running the closes.
        self.release_found(|_| Some(off), user, next_async);
    }

    /// [`Process::release_buffer`] of the buffer that `find` picks under
    /// the mapping lock (`None`: nothing to free).
    /// Returns whether it queued closes of fds (done when the task returns
    /// to user space).
    pub(crate) fn release_found(
        &self,
        find: impl FnOnce(&mut Mapping) -> Option<usize>,
        user: bool,
        next_async: bool,
    ) -> bool {
        let Some(mm) = self.mm.as_ref() else {
            return false;
        };
        let mut to_close = ThinVec::new();
        let mut unused = Unused::default();
        let meta = match self.mapping.lock().as_mut() {
            Some(m) => {
                let Some(off) = find(m) else {
                    return false;
                };
                // The fds its reader installed from fd arrays are closed
                // when user space frees it (listed when installed).
                if let Some(meta) = m.meta_mut(off).filter(|_| user) {
                    to_close = meta.close_on_free.take();
                }
                crate::trace::buffer_release(m, off, user, next_async);
                m.free(mm, off, &mut unused)
            }
            None => None,
        };
        drop(unused);
        let mut closing = false;
        for fd in to_close.iter().filter_map(FdFixup::to_close) {
            closing |= close_fd(fd);
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
            let gone =
                own_target.and_then(|node| self.dec_node_locked(&mut inner, node, true, false));
            drop(inner);
            drop(gone);
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
                    let handle = self.refs.lock().by_node.get(&node.key()).copied();
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

    pub(crate) fn vma_id(&self) -> usize {
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
}
