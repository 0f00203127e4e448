// SPDX-License-Identifier: GPL-2.0

//! Vector operations that the 6.12 `KVec` lacks and newer kernels have
//! (`pop`, `remove`, `retain`, `push_within_capacity`), as an extension
//! trait.

use core::ptr;
use kernel::alloc::{Allocator, Vec};

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
