// SPDX-License-Identifier: GPL-2.0

//! The handles a process uses for its references: a bitmap that finds the
//! lowest free handle in a word-at-a-time scan (as the C driver's `dbitmap`
//! in 6.12), instead of walking every reference.

use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL},
    KVVec,
};
use kernel::error::{code::ENOMEM, Result};

const BITS: usize = u64::BITS as usize;

/// The set of handles in use.
///
/// # Invariants
///
/// Bit `h % 64` of `words[h / 64]` is set exactly when handle `h` is in
/// use; handles past the end of `words` are free.
pub(crate) struct Handles {
    words: KVVec<u64>,
}

impl Handles {
    /// No handle in use.
    pub(crate) const fn new() -> Self {
        // INVARIANT: no words, no handle in use.
        Self {
            words: KVVec::new(),
        }
    }

    /// The lowest handle at or above `from` that is free.
    pub(crate) fn lowest_free(&self, from: u32) -> Result<u32> {
        let from = from as usize;
        let mut i = from / BITS;
        // Bits below `from` in its word count as used.
        let mut mask = (1u64 << (from % BITS)).wrapping_sub(1);
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

    /// Marks `h` used; grows the bitmap if needed (may sleep).
    pub(crate) fn set(&mut self, h: u32) -> Result {
        let (i, bit) = (h as usize / BITS, h as usize % BITS);
        if i >= self.words.len() {
            // Room for one more word than needed, so that growth is amortised.
            let extra = i + 1 - self.words.len();
            self.words
                .reserve(extra.max(self.words.len()), GFP_KERNEL | __GFP_NOWARN)?;
            while self.words.len() <= i {
                self.words.push(0, GFP_KERNEL)?;
            }
        }
        self.words[i] |= 1 << bit;
        Ok(())
    }

    /// Marks `h` free.
    pub(crate) fn clear(&mut self, h: u32) {
        let (i, bit) = (h as usize / BITS, h as usize % BITS);
        if let Some(w) = self.words.get_mut(i) {
            *w &= !(1 << bit);
        }
    }
}
