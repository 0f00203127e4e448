// SPDX-License-Identifier: GPL-2.0

//! Node keys: numbers from the kernel's IDA (in `ffi/c_macros.c`), each
//! held by one live node, to key the trees of references by node with a
//! `u32` (a 32-byte tree entry, where a `usize` key makes it 40 and so a
//! 64-byte slab).

use kernel::error::{Error, Result};

extern "C" {
    fn rust_binder_node_key_alloc() -> core::ffi::c_int;
    fn rust_binder_node_key_free(key: core::ffi::c_uint);
}

/// A key no other live node has.
///
/// # Invariants
///
/// The key was allocated from the IDA and is freed only by drop.
pub(crate) struct NodeKey(u32);

impl NodeKey {
    /// Allocates a key (may sleep: no lock held).
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: the function has no preconditions.
        let r = unsafe { rust_binder_node_key_alloc() };
        match u32::try_from(r) {
            // INVARIANT: a key the IDA handed out.
            Ok(k) => Ok(Self(k)),
            Err(_) => Err(Error::from_errno(r)),
        }
    }

    /// The key's value.
    pub(crate) fn get(&self) -> u32 {
        self.0
    }
}

impl Drop for NodeKey {
    fn drop(&mut self) {
        // SAFETY: the key is allocated (type invariant) and freed once.
        unsafe { rust_binder_node_key_free(self.0) };
    }
}
