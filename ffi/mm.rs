// SPDX-License-Identifier: GPL-2.0

//! Address spaces and memory mappings: the pieces of the newer kernel
//! crate's `mm` module that binder needs, for mapping its buffer pages into a
//! process's read-only binder area.
//!
//! Lock order: `mmap_lock` (through [`MmUser::write_lock`]) before the
//! caller's own locks, except for [`MmUser::try_read_lock`], which never
//! waits; the `mmap` file operation runs with `mmap_lock` held and must
//! only take spinlocks.

use super::bindings;
use super::layout::field;
use core::ffi::c_void;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::error::Result;
use kernel::page::Page;
use kernel::types::Opaque;

const VM_WRITE: u64 = bindings::VM_WRITE as u64;
const VM_MAYWRITE: u64 = bindings::VM_MAYWRITE as u64;
const VM_DONTCOPY: u64 = bindings::VM_DONTCOPY as u64;
const VM_MIXEDMAP: u64 = bindings::VM_MIXEDMAP as u64;

/// A counted hold on an address space (`mmgrab`): keeps the `mm_struct`
/// but not its mappings alive.
///
/// # Invariants
///
/// `self.0` is an `mm_struct` on which we own an `mm_count` reference.
pub(crate) struct MmGrab(NonNull<bindings::mm_struct>);

// SAFETY: `mmgrab`/`mmdrop` may be used from any thread.
unsafe impl Send for MmGrab {}
// SAFETY: shared access only reads the pointer.
unsafe impl Sync for MmGrab {}

impl MmGrab {
    /// Holds the current task's address space; `None` for kernel threads.
    pub(crate) fn current() -> Option<Self> {
        // SAFETY: `current->mm` is stable while we run as `current`.
        let mm = unsafe { *field!(super::task::current_raw(), task_struct, mm) };
        let mm = NonNull::new(mm)?;
        // SAFETY: the mm is alive (it's ours); incrementing `mm_count` is `mmgrab`.
        unsafe { mm_count(mm.as_ptr()).fetch_add(1, Ordering::Relaxed) };
        // INVARIANT: we took an `mm_count` reference.
        Some(Self(mm))
    }

    /// As [`MmGrab::mmget`], for memory reclaim: the reference is dropped
    /// with `mmput_async`, which never does the exit work in place.
    pub(crate) fn mmget_reclaim(&self) -> Option<MmUser> {
        self.mmget().map(|mut u| {
            u.1 = true;
            u
        })
    }

    /// Takes a user reference (`mmget_not_zero`), unless the address space
    /// has already exited.
    pub(crate) fn mmget(&self) -> Option<MmUser> {
        // SAFETY: `mm_users` of a grabbed mm stays readable.
        let users = unsafe { &*field!(self.0.as_ptr(), mm_struct, mm_users as AtomicI32) };
        let mut v = users.load(Ordering::Relaxed);
        loop {
            if v == 0 {
                return None;
            }
            // `atomic_inc_not_zero` wraps like any `atomic_t` increment.
            match users.compare_exchange_weak(
                v,
                v.wrapping_add(1),
                Ordering::SeqCst,
                Ordering::Relaxed,
            ) {
                // INVARIANT: we took a user reference.
                Ok(_) => return Some(MmUser(self.0, false)),
                Err(cur) => v = cur,
            }
        }
    }
}

impl Drop for MmGrab {
    fn drop(&mut self) {
        // SAFETY: we own an `mm_count` reference (`mmdrop`).
        unsafe {
            if mm_count(self.0.as_ptr()).fetch_sub(1, Ordering::SeqCst) == 1 {
                bindings::__mmdrop(self.0.as_ptr());
            }
        }
    }
}

/// # Safety
///
/// `mm` must be a live `mm_struct`.
unsafe fn mm_count<'a>(mm: *mut bindings::mm_struct) -> &'a AtomicI32 {
    // SAFETY: `mm_count` is an `atomic_t` in a live mm.
    unsafe { &*field!(mm, mm_struct, mm_count as AtomicI32) }
}

/// A user reference on an address space (`mmget`): its mappings stay.
///
/// # Invariants
///
/// `self.0` is an `mm_struct` on which we own an `mm_users` reference.
pub(crate) struct MmUser(NonNull<bindings::mm_struct>, bool);

impl MmUser {
    fn sem(&self) -> *mut bindings::rw_semaphore {
        field!(
            self.0.as_ptr(),
            mm_struct,
            mmap_lock as bindings::rw_semaphore
        )
    }

    /// Takes `mmap_lock` for writing (as C's `mmap_write_lock`).
    pub(crate) fn write_lock(&self) -> MmapGuard<'_> {
        // SAFETY: the mm is alive (type invariant).
        unsafe { bindings::down_write(self.sem()) };
        MmapGuard {
            mm: self,
            write: true,
        }
    }
}

impl MmUser {
    /// Takes `mmap_lock` for reading if nobody holds it for writing.
    pub(crate) fn try_read_lock(&self) -> Option<MmapGuard<'_>> {
        // SAFETY: the mm is alive (type invariant).
        if unsafe { bindings::down_read_trylock(self.sem()) } != 0 {
            Some(MmapGuard {
                mm: self,
                write: false,
            })
        } else {
            None
        }
    }
}

impl Drop for MmUser {
    fn drop(&mut self) {
        // SAFETY: we own a user reference.
        unsafe {
            if self.1 {
                bindings::mmput_async(self.0.as_ptr());
            } else {
                bindings::mmput(self.0.as_ptr());
            }
        }
    }
}

/// `mmap_lock` held, for writing if `write`, else for reading.
pub(crate) struct MmapGuard<'a> {
    mm: &'a MmUser,
    write: bool,
}

impl MmapGuard<'_> {
    /// The mapping that contains `addr`, if any.
    pub(crate) fn vma_lookup(&self, addr: usize) -> Option<&VmaRef> {
        // SAFETY: the mmap lock is held, as `find_vma` requires; the result
        // stays valid while it is.
        unsafe {
            let vma = bindings::find_vma(self.mm.0.as_ptr(), addr as _);
            if vma.is_null() || *field!(vma, vm_area_struct, vm_start as usize) > addr {
                return None;
            }
            Some(&*vma.cast::<VmaRef>())
        }
    }
}

impl Drop for MmapGuard<'_> {
    fn drop(&mut self) {
        let sem = self.mm.sem();
        // SAFETY: taken in `write_lock` if `write`, else in `try_read_lock`.
        unsafe {
            if self.write {
                bindings::up_write(sem)
            } else {
                bindings::up_read(sem)
            }
        };
    }
}

/// A mapping seen under `mmap_lock` held for reading.
#[repr(transparent)]
pub(crate) struct VmaRef(Opaque<bindings::vm_area_struct>);

impl VmaRef {
    fn raw(&self) -> *mut bindings::vm_area_struct {
        self.0.get()
    }

    /// Whether this mapping was set up by [`VmaNew::set_binder`] with `id`.
    pub(crate) fn is_binder(&self, ops: &'static VmOps, id: usize) -> bool {
        // SAFETY: the fields are stable under the mmap lock.
        unsafe {
            *field!(self.raw(), vm_area_struct, vm_ops) == &ops.0 as *const _
                && *field!(self.raw(), vm_area_struct, vm_private_data) as usize == id
        }
    }

    /// Maps `page` at `addr` (`vm_insert_page`).
    pub(crate) fn insert_page(&self, addr: usize, page: &Page) -> Result {
        // SAFETY: the mmap lock is held (for writing, by the one caller),
        // as `vm_insert_page` requires for a VM_MIXEDMAP mapping; the page
        // is live.
        let ret = unsafe { bindings::vm_insert_page(self.raw(), addr as _, page.as_ptr().cast()) };
        super::file::check(ret)
    }

    /// Unmaps whatever is mapped in `[addr, addr + size)`.
    pub(crate) fn zap(&self, addr: usize, size: usize) {
        // SAFETY: the mmap lock is held; the range is inside the mapping
        // (callers check), and no zap details are needed.
        unsafe {
            bindings::zap_page_range_single(self.raw(), addr as _, size as _, core::ptr::null_mut())
        };
    }
}

/// Operations of binder mappings: faults on pages the driver hasn't mapped
/// are `SIGBUS`, as in the C driver.
#[repr(transparent)]
pub(crate) struct VmOps(bindings::vm_operations_struct);

// SAFETY: read-only after construction.
unsafe impl Sync for VmOps {}

impl VmOps {
    /// Operations whose faults are `SIGBUS` and whose `close` is `close`
    /// (built by [`super::file::vm_ops`], which borrows the file's data).
    pub(crate) const fn with_close(
        close: unsafe extern "C" fn(*mut bindings::vm_area_struct),
    ) -> Self {
        // SAFETY: all-zero is a valid `vm_operations_struct` (no operations).
        let mut ops: bindings::vm_operations_struct = unsafe { core::mem::zeroed() };
        ops.fault = Some(fault_sigbus);
        ops.close = Some(close);
        Self(ops)
    }
}

/// # Safety
///
/// Called by the fault handler; `_vmf` is unused.
unsafe extern "C" fn fault_sigbus(_vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
    bindings::vm_fault_reason_VM_FAULT_SIGBUS as bindings::vm_fault_t
}

/// A mapping being created by the `mmap` file operation: not yet visible to
/// any other thread, so its flags may be changed directly.
#[repr(transparent)]
pub(crate) struct VmaNew(Opaque<bindings::vm_area_struct>);

impl VmaNew {
    /// # Safety
    ///
    /// `vma` must be the mapping an `mmap` file operation is setting up.
    pub(crate) unsafe fn from_raw<'a>(vma: *mut bindings::vm_area_struct) -> &'a Self {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { &*vma.cast() }
    }

    fn raw(&self) -> *mut bindings::vm_area_struct {
        self.0.get()
    }

    /// The start address.
    pub(crate) fn start(&self) -> usize {
        // SAFETY: fixed during `mmap`.
        unsafe { *field!(self.raw(), vm_area_struct, vm_start as usize) }
    }

    /// The end address (exclusive).
    pub(crate) fn end(&self) -> usize {
        // SAFETY: fixed during `mmap`.
        unsafe { *field!(self.raw(), vm_area_struct, vm_end as usize) }
    }

    fn flags(&self) -> *mut u64 {
        field!(self.raw(), vm_area_struct, vm_flags as u64)
    }

    /// Whether the mapping was asked to be writable.
    pub(crate) fn is_writable(&self) -> bool {
        // SAFETY: the new vma is ours during `mmap`.
        unsafe { *self.flags() & VM_WRITE != 0 }
    }

    /// Whether this is a mapping of the current address space.
    pub(crate) fn in_mm(&self, mm: &MmGrab) -> bool {
        // SAFETY: fixed during `mmap`.
        unsafe { *field!(self.raw(), vm_area_struct, vm_mm) == mm.0.as_ptr() }
    }

    /// Makes this a binder mapping: never writable, not inherited on fork,
    /// pages inserted by the driver only, `ops` with identity `id`.
    pub(crate) fn set_binder(&self, ops: &'static VmOps, id: usize) {
        // SAFETY: the vma isn't visible to anybody else during `mmap`, so
        // its flags may be written without `vma_start_write`.
        unsafe {
            let f = self.flags();
            *f = (*f | VM_DONTCOPY | VM_MIXEDMAP) & !VM_MAYWRITE;
            *field!(self.raw(), vm_area_struct, vm_ops) = &ops.0;
            *field!(self.raw(), vm_area_struct, vm_private_data) = id as *mut c_void;
        }
    }
}
