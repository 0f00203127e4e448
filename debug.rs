// SPDX-License-Identifier: GPL-2.0

//! Kernel-log messages gated by the `debug_mask` module parameter, with the
//! C driver's mask bits, rate-limited so that a misbehaving process can't
//! flood the log.

use core::sync::atomic::{AtomicU64, Ordering};

/// `BINDER_DEBUG_USER_ERROR`: a process broke the protocol.
pub(crate) const USER_ERROR: u32 = 1 << 0;
/// `BINDER_DEBUG_FAILED_TRANSACTION`: a transaction failed.
pub(crate) const FAILED_TRANSACTION: u32 = 1 << 1;
/// `BINDER_DEBUG_DEAD_TRANSACTION`: a transaction's target died.
pub(crate) const DEAD_TRANSACTION: u32 = 1 << 2;
/// The C driver's default mask.
pub(crate) const DEFAULT_MASK: u32 = USER_ERROR | FAILED_TRANSACTION | DEAD_TRANSACTION;

/// Messages allowed per window, and the window in nanoseconds (5 s).
const BURST: u64 = 10;
const WINDOW_NS: u64 = 5_000_000_000;
static WINDOW: AtomicU64 = AtomicU64::new(0);
static COUNT: AtomicU64 = AtomicU64::new(0);

/// Whether a message of class `mask` should be printed now.
pub(crate) fn enabled(mask: u32) -> bool {
    if crate::DEBUG_MASK.get() & mask == 0 {
        return false;
    }
    let now = kernel::time::Ktime::ktime_get().to_ns() as u64;
    let start = WINDOW.load(Ordering::Relaxed);
    if now.wrapping_sub(start) > WINDOW_NS {
        WINDOW.store(now, Ordering::Relaxed);
        COUNT.store(0, Ordering::Relaxed);
    }
    COUNT.fetch_add(1, Ordering::Relaxed) < BURST
}
