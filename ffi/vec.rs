// SPDX-License-Identifier: GPL-2.0

//! Vector operations that the 6.12 `KVec` lacks and newer kernels have
//! (`pop`, `remove`, `retain`, `push_within_capacity`), as an extension
//! trait; and [`ThinVec`], a vector that costs one pointer and nothing
//! else until it allocates.

use core::ops::{Deref, DerefMut};
use core::ptr;
use kernel::alloc::{AllocError, Allocator, Flags, KBox, KVVec, Vec};

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

/// A vector kept behind one pointer, for vectors that are almost always
/// empty (the references and fds a buffer or transaction carries): 8 bytes
/// in the object that holds it, where a `KVVec` takes 24, and no allocator
/// call at all while it stays empty (the 6.12 `Vec` frees through its
/// allocator on drop even when it never allocated).
pub(crate) struct ThinVec<T>(Option<KBox<KVVec<T>>>);

impl<T> ThinVec<T> {
    /// An empty vector; nothing is allocated.
    pub(crate) const fn new() -> Self {
        Self(None)
    }

    /// An empty vector with room for `n` elements.
    pub(crate) fn with_capacity(n: usize, flags: Flags) -> Result<Self, AllocError> {
        let mut v = Self::new();
        v.reserve(n, flags)?;
        Ok(v)
    }

    /// How many elements it holds without allocating.
    pub(crate) fn capacity(&self) -> usize {
        self.0.as_ref().map_or(0, |v| v.capacity())
    }

    /// Removes and returns the element at `i` (shifting the rest down).
    pub(crate) fn remove_at(&mut self, i: usize) -> Option<T> {
        self.0.as_mut()?.remove_at(i)
    }

    /// Keeps only the elements for which `f` holds, in order.
    pub(crate) fn retain(&mut self, f: impl FnMut(&T) -> bool) {
        if let Some(v) = self.0.as_mut() {
            v.retain(f);
        }
    }

    /// Makes room for `n` more elements (none: no allocation).
    pub(crate) fn reserve(&mut self, n: usize, flags: Flags) -> Result<(), AllocError> {
        match &mut self.0 {
            Some(v) => v.reserve(n, flags),
            None if n == 0 => Ok(()),
            None => {
                let v = KVVec::with_capacity(n, flags)?;
                self.0 = Some(KBox::new(v, flags)?);
                Ok(())
            }
        }
    }

    /// Appends `v`, allocating if needed.
    pub(crate) fn push(&mut self, v: T, flags: Flags) -> Result<(), AllocError> {
        self.reserve(1, flags)?;
        match &mut self.0 {
            Some(vec) => vec.push(v, flags),
            None => Err(AllocError),
        }
    }

    /// Appends `v` if there is room for it without allocating; gives it
    /// back otherwise.
    pub(crate) fn push_within_capacity(&mut self, v: T) -> Result<(), T> {
        match &mut self.0 {
            Some(vec) => vec.push_within_capacity(v),
            None => Err(v),
        }
    }

    /// Takes the elements out, leaving it empty (no allocator call).
    pub(crate) fn take(&mut self) -> Self {
        Self(self.0.take())
    }
}

impl<T> Drop for ThinVec<T> {
    /// Inlined where the vector dies, so an empty one (the usual case)
    /// costs a test: the drop glue of the allocated vector is a function
    /// call (profiled: 13 calls per sync round trip when left to it).
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(v) = self.0.take() {
            drop_boxed(v);
        }
    }
}

/// Drops an allocated [`ThinVec`]'s elements and memory.
#[inline(never)]
fn drop_boxed<T>(v: KBox<KVVec<T>>) {
    drop(v);
}

impl<T> Default for ThinVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Deref for ThinVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match &self.0 {
            Some(v) => v,
            None => &[],
        }
    }
}

impl<T> DerefMut for ThinVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        match &mut self.0 {
            Some(v) => v,
            None => &mut [],
        }
    }
}
