// SPDX-License-Identifier: GPL-2.0

//! Allocation of binderfs minor numbers: the lowest free number first, as
//! the C driver's IDA does, shared by every binderfs instance.

use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};

/// A set of used minor numbers, as a growable bitmap.
pub(crate) struct MinorMap {
    words: KVec<u64>,
}

impl MinorMap {
    pub(crate) const fn new() -> Self {
        Self { words: KVec::new() }
    }

    /// Takes the lowest free number below `limit`; `ENOSPC` if none.
    pub(crate) fn alloc(&mut self, limit: u32) -> Result<u32> {
        for (i, w) in self.words.iter_mut().enumerate() {
            if *w != u64::MAX {
                let bit = w.trailing_ones();
                let n = i as u32 * 64 + bit;
                if n >= limit {
                    return Err(ENOSPC);
                }
                *w |= 1 << bit;
                return Ok(n);
            }
        }
        let n = self.words.len() as u32 * 64;
        if n >= limit {
            return Err(ENOSPC);
        }
        self.words.push(1, GFP_KERNEL)?;
        Ok(n)
    }

    /// Returns `n` to the free set.
    pub(crate) fn free(&mut self, n: u32) {
        if let Some(w) = self.words.get_mut((n / 64) as usize) {
            *w &= !(1u64 << (n % 64));
        }
    }
}
