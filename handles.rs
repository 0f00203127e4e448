// SPDX-License-Identifier: GPL-2.0

//! The handles a process uses for its references: a bitmap that finds the
//! lowest free handle in a word-at-a-time scan (as the C driver's `dbitmap`
//! in 6.12), instead of walking every reference.

use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL},
    KVVec,
};
use kernel::error::{code::ENOMEM, Result};

use crate::ffi::vec::VecExt;

const BITS: usize = u64::BITS as usize;

/// The set of handles in use.
///
/// # Invariants
///
/// Bit `h % 64` of `words[h / 64]` is set exactly when handle `h` is in
/// use; handles past the end of `words` are free. Every word before
/// `full` has all its bits set (the scan for a free handle starts there),
/// but for handle 0: only a reference to the context manager takes it, so
/// most processes never do, and their first word would never count as
/// full (every new handle would scan the whole bitmap).
pub(crate) struct Handles {
    words: KVVec<u64>,
    full: usize,
}

impl Handles {
    /// No handle in use.
    pub(crate) const fn new() -> Self {
        // INVARIANT: no words, no handle in use.
        Self {
            words: KVVec::new(),
            full: 0,
        }
    }

    /// The lowest handle at or above `from` that is free.
    pub(crate) fn lowest_free(&self, from: u32) -> Result<u32> {
        // Handle 0 is the one bit `full` doesn't cover.
        if from == 0 && self.words.first().map_or(true, |&w| w & 1 == 0) {
            return Ok(0);
        }
        let from = from.max(1) as usize;
        let mut i = from / BITS;
        // Bits below `from` in its word count as used.
        let mut mask = (1u64 << (from % BITS)).wrapping_sub(1);
        if self.full > i {
            // The words before `full` have no free bit.
            i = self.full;
            mask = 0;
        }
        while let Some(&w) = self.words.get(i) {
            let free = !(w | mask);
            if free != 0 {
                let h = i * BITS + free.trailing_zeros() as usize;
                return u32::try_from(h).map_err(|_| ENOMEM);
            }
            mask = 0;
            i += 1;
        }
        // Past the bitmap everything is free.
        u32::try_from((i * BITS).max(from)).map_err(|_| ENOMEM)
    }

    /// The room a longer bitmap needs to mark `h` used, if this one is too
    /// short: twice as long at least, so that growth is amortised.
    pub(crate) fn room_needed(&self, h: u32) -> Option<usize> {
        let i = h as usize / BITS;
        (i >= self.words.len()).then(|| (i + 1).max(self.words.len().saturating_mul(2)))
    }

    /// Room for `n` words (see [`Handles::room_needed`]), allocated before
    /// the lock that guards the bitmap is taken.
    pub(crate) fn alloc_room(n: usize) -> Result<KVVec<u64>> {
        Ok(KVVec::with_capacity(n, GFP_KERNEL | __GFP_NOWARN)?)
    }

    /// Whether [`Handles::set`] can mark `h` used with `room`.
    pub(crate) fn fits(&self, h: u32, room: Option<&KVVec<u64>>) -> bool {
        let i = h as usize / BITS;
        i < self.words.len() || room.is_some_and(|r| r.is_empty() && r.capacity() > i)
    }

    /// Marks `h` used, without allocating: if the bitmap is too short, its
    /// words move into `room` (see [`Handles::fits`]) and the old vector is
    /// returned, to be freed once the lock is released. Without room,
    /// `ENOMEM` and nothing changes.
    pub(crate) fn set(
        &mut self,
        h: u32,
        room: &mut Option<KVVec<u64>>,
    ) -> Result<Option<KVVec<u64>>> {
        if !self.fits(h, room.as_ref()) {
            return Err(ENOMEM);
        }
        let (i, bit) = (h as usize / BITS, h as usize % BITS);
        let mut old = None;
        if i >= self.words.len() {
            let Some(mut new) = room.take() else {
                return Err(ENOMEM);
            };
            // `fits`: `new` is empty with room for `i + 1` words, so these
            // pushes don't allocate and don't fail.
            for &w in self.words.iter() {
                if new.push_within_capacity(w).is_err() {
                    return Err(ENOMEM);
                }
            }
            while new.len() <= i {
                if new.push_within_capacity(0).is_err() {
                    return Err(ENOMEM);
                }
            }
            // INVARIANT: the same bits, and zero words (free handles) after.
            old = Some(core::mem::replace(&mut self.words, new));
        }
        if let Some(w) = self.words.get_mut(i) {
            *w |= 1 << bit;
        }
        // INVARIANT: `full` moves past the words that are now full (handle
        // 0 counting as used).
        while self
            .words
            .get(self.full)
            .is_some_and(|&w| w | u64::from(self.full == 0) == u64::MAX)
        {
            self.full += 1;
        }
        Ok(old)
    }

    /// Marks `h` free.
    pub(crate) fn clear(&mut self, h: u32) {
        let (i, bit) = (h as usize / BITS, h as usize % BITS);
        if let Some(w) = self.words.get_mut(i) {
            *w &= !(1 << bit);
        }
        // INVARIANT: word `i` has a free bit now.
        self.full = self.full.min(i);
    }
}
