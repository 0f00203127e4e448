// SPDX-License-Identifier: GPL-2.0

//! debugfs directories and read-only text files rendered through
//! `seq_file` (`single_open`), as the C driver's
//! `/sys/kernel/debug/binder/` files are.
//!
//! A [`Dir`] or [`ShowFile`] removes its entry when dropped; a file owns the
//! value it shows. `debugfs_remove()` waits for operations in progress on
//! the file and keeps new ones from starting, so the value outlives every
//! callback that reads it. In a kernel without `CONFIG_DEBUG_FS` (where the
//! debugfs functions are inline stubs) nothing is created.

use super::bindings;
use super::layout::field;
use super::ThisModulePtr;
use core::ffi::{c_int, c_void};
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::Result;

/// What a debugfs file shows: its whole text, written on every read from
/// the start (`seq_file` calls it again with a larger buffer if needed).
pub(crate) trait Show: Send + Sync + 'static {
    fn show(&self, out: &mut dyn core::fmt::Write) -> core::fmt::Result;
}

/// A debugfs entry's dentry, removed when dropped.
///
/// # Invariants
///
/// `d` is what `debugfs_create_*` returned (a dentry, or an error pointer
/// when debugfs is unavailable, which `debugfs_remove()` ignores), removed
/// only by drop.
struct Entry(*mut bindings::dentry);

// SAFETY: debugfs entries may be created and removed from any thread.
unsafe impl Send for Entry {}
// SAFETY: `Entry` has no `&self` methods that touch the dentry.
unsafe impl Sync for Entry {}

impl Drop for Entry {
    fn drop(&mut self) {
        #[cfg(CONFIG_DEBUG_FS)]
        // SAFETY: by the type invariant the entry is ours and still there
        // (or an error pointer, ignored); it is removed once.
        unsafe {
            bindings::debugfs_remove(self.0)
        };
    }
}

/// A debugfs directory (an error pointer inside if debugfs is unavailable:
/// then files made in it fail quietly, as the C driver's do).
pub(crate) struct Dir(Entry);

impl Dir {
    /// Creates directory `name` in `parent` (`None`: the debugfs root).
    pub(crate) fn new(name: &'static core::ffi::CStr, parent: Option<&Dir>) -> Self {
        let parent = parent.map_or(core::ptr::null_mut(), |p| p.0 .0);
        #[cfg(CONFIG_DEBUG_FS)]
        // SAFETY: `name` is NUL-terminated; `parent` is null or a directory
        // (or error pointer) of ours that outlives this call.
        let d = unsafe { bindings::debugfs_create_dir(name.as_ptr(), parent) };
        #[cfg(not(CONFIG_DEBUG_FS))]
        let d = {
            let _ = (name, parent);
            core::ptr::null_mut()
        };
        Dir(Entry(d))
    }
}

/// The `file_operations` of [`ShowFile`]s showing a `T`.
#[repr(transparent)]
pub(crate) struct ShowFops<T: Show> {
    raw: bindings::file_operations,
    _p: PhantomData<T>,
}

// SAFETY: the table is never mutated after construction.
unsafe impl<T: Show> Sync for ShowFops<T> {}

impl<T: Show> ShowFops<T> {
    pub(crate) const fn new() -> Self {
        // SAFETY: all-zero is a valid `file_operations` (no operations).
        let mut raw: bindings::file_operations = unsafe { core::mem::zeroed() };
        raw.owner = ThisModulePtr::get().as_ptr();
        raw.open = Some(open_callback::<T>);
        raw.read = Some(bindings::seq_read);
        raw.llseek = Some(bindings::seq_lseek);
        raw.release = Some(bindings::single_release);
        Self {
            raw,
            _p: PhantomData,
        }
    }
}

/// # Safety
///
/// Called by the VFS for a file made by [`ShowFile::new`]: `i_private` is
/// the `T` that the `ShowFile` owns (alive while debugfs lets callbacks
/// run).
unsafe extern "C" fn open_callback<T: Show>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `inode` is the file's inode; `i_private` is read at the C
    // compiler's offset.
    let data = unsafe { *field!(inode, inode, i_private) };
    // SAFETY: `file` is being opened; `single_open` stores `data` in its
    // `seq_file` for `show_callback`.
    unsafe { bindings::single_open(file, Some(show_callback::<T>), data) }
}

/// `fmt::Write` into a `seq_file` (overflow is `seq_file`'s to handle).
struct SeqWriter(*mut bindings::seq_file);

impl core::fmt::Write for SeqWriter {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        // SAFETY: `self.0` is the `seq_file` of a `show` in progress; `s`
        // is valid for `s.len()` bytes.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

/// # Safety
///
/// Called by `seq_read` for a file opened by `open_callback::<T>`: its
/// `private` is the `T` of the file.
unsafe extern "C" fn show_callback<T: Show>(m: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: `m` is the open file's `seq_file`; `private` (read at the C
    // offset) is `single_open`'s data, a `T` owned by the `ShowFile`,
    // which outlives every read (see the module documentation).
    let data = unsafe { &*(*field!(m, seq_file, private)).cast::<T>() };
    // A failed render leaves what was written: the reader sees it cut.
    let _ = data.show(&mut SeqWriter(m));
    0
}

/// A read-only (0444) debugfs file showing a `T`.
pub(crate) struct ShowFile<T: Show> {
    // Declared first: removed before `data` is freed.
    _entry: Entry,
    _data: KBox<T>,
}

impl<T: Show> ShowFile<T> {
    /// Creates file `name` in `dir` showing `data` with `fops`. `name` is
    /// copied by debugfs.
    pub(crate) fn new(
        name: &core::ffi::CStr,
        dir: &Dir,
        data: T,
        fops: &'static ShowFops<T>,
    ) -> Result<Self> {
        let data = KBox::new(data, GFP_KERNEL)?;
        let private = (&*data as *const T).cast_mut().cast::<c_void>();
        #[cfg(CONFIG_DEBUG_FS)]
        // SAFETY: `name` is NUL-terminated; `dir` is ours; `private` points
        // to the boxed `T`, which lives until the entry is removed (field
        // order); `fops` is static.
        let d = unsafe {
            bindings::debugfs_create_file(name.as_ptr(), 0o444, dir.0 .0, private, &fops.raw)
        };
        #[cfg(not(CONFIG_DEBUG_FS))]
        let d = {
            let _ = (name, dir, private, fops);
            core::ptr::null_mut()
        };
        Ok(Self {
            _entry: Entry(d),
            _data: data,
        })
    }
}
