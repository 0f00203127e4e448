// SPDX-License-Identifier: GPL-2.0

//! Vector operations that the 6.12 `KVec` lacks and newer kernels have
//! (`pop`, `remove`, `retain`, `push_within_capacity`), as an extension
//! trait; and [`LazyVec`], a vector that costs nothing until it allocates.

use core::mem::ManuallyDrop;
use core::ops::{Deref, DerefMut};
use core::ptr;
use kernel::alloc::{Allocator, KVVec, Vec};

/// `pop`, `remove` and `retain` for kernel vectors.
pub(crate) trait VecExt<T> {
    /// Removes and returns the last element.
    fn pop(&mut self) -> Option<T>;
    /// Removes and returns the element at `i` (shifting the rest down);
    /// `None` if out of bounds.
    fn remove_at(&mut self, i: usize) -> Option<T>;
    /// Keeps only the elements for which `f` holds, in order.
    fn retain(&mut self, f: impl FnMut(&T) -> bool);
    /// Appends `v` if there is room for it without allocating; gives it
    /// back otherwise (for pushes under a lock, into room made before).
    fn push_within_capacity(&mut self, v: T) -> Result<(), T>;
}

impl<T, A: Allocator> VecExt<T> for Vec<T, A> {
    fn pop(&mut self) -> Option<T> {
        let len = self.len();
        self.remove_at(len.checked_sub(1)?)
    }

    fn remove_at(&mut self, i: usize) -> Option<T> {
        let len = self.len();
        if i >= len {
            return None;
        }
        // The element at `i < len` is read out once, the tail moved down
        // over it (`copy`: overlapping), and the length shrinks by one.
        // SAFETY: so every slot below the new length stays initialised.
        unsafe {
            let p = self.as_mut_ptr().add(i);
            let v = ptr::read(p);
            ptr::copy(p.add(1), p, len - i - 1);
            self.set_len(len - 1);
            Some(v)
        }
    }

    fn push_within_capacity(&mut self, v: T) -> Result<(), T> {
        let len = self.len();
        if len >= self.capacity() {
            return Err(v);
        }
        // SAFETY: `len < capacity`, so slot `len` is allocated and unused;
        // it is written once, then counted in the length.
        unsafe {
            ptr::write(self.as_mut_ptr().add(len), v);
            self.set_len(len + 1);
        }
        Ok(())
    }

    fn retain(&mut self, mut f: impl FnMut(&T) -> bool) {
        let mut i = 0;
        while i < self.len() {
            if f(&self[i]) {
                i += 1;
            } else {
                drop(self.remove_at(i));
            }
        }
    }
}

/// A `KVVec` that never calls its allocator unless it holds memory.
///
/// The 6.12 `Vec` frees through its allocator on drop even when it never
/// allocated (a `krealloc`/`kvrealloc` call and a `kfree` of nothing); the
/// transaction paths make several vectors that stay empty for almost every
/// call (the references and fds a buffer holds), so this one skips it.
///
/// # Invariants
///
/// The inner vector is dropped exactly once, in [`Drop::drop`], unless its
/// capacity is zero (then it owns no memory and holds no element).
pub(crate) struct LazyVec<T>(ManuallyDrop<KVVec<T>>);

impl<T> LazyVec<T> {
    /// An empty vector; nothing is allocated.
    pub(crate) const fn new() -> Self {
        Self(ManuallyDrop::new(KVVec::new()))
    }

    /// The vector itself (to be consumed by value).
    pub(crate) fn into_inner(self) -> KVVec<T> {
        let mut me = ManuallyDrop::new(self);
        // SAFETY: `me` is never dropped, so the inner vector is taken out
        // of it once and not dropped twice.
        unsafe { ManuallyDrop::take(&mut me.0) }
    }
}

impl<T> Default for LazyVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for LazyVec<T> {
    type Target = KVVec<T>;
    fn deref(&self) -> &KVVec<T> {
        &self.0
    }
}

impl<T> DerefMut for LazyVec<T> {
    fn deref_mut(&mut self) -> &mut KVVec<T> {
        &mut self.0
    }
}

impl<T> Drop for LazyVec<T> {
    fn drop(&mut self) {
        if self.0.capacity() != 0 {
            // SAFETY: dropped once, here; `self` is not used afterwards
            // (type invariant).
            unsafe { ManuallyDrop::drop(&mut self.0) };
        }
        // Otherwise it holds neither memory nor elements: nothing to do.
    }
}
