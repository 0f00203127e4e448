// SPDX-License-Identifier: GPL-2.0

//! Open files: the [`File`] wrapper and `file_operations` tables built from
//! the [`FileOperations`] trait.

use super::bindings;
use super::fs::{FileSystem, Inode};
use super::layout::field;
use super::mm::{VmOps, VmaNew};
use super::poll::PollTable;
use super::ThisModulePtr;
use core::ffi::{c_int, c_long, c_uint, c_ulong};
use core::marker::PhantomData;
use kernel::error::{code::*, Error, Result};
use kernel::sync::ArcBorrow;
use kernel::types::{ForeignOwnable, Opaque};
use kernel::uaccess::{UserSlice, UserSliceWriter};

/// An open file (`struct file`), as the newer kernel crate's `File`.
///
/// # Invariants
///
/// Instances are only made from a `struct file` that the VFS keeps alive for
/// the duration of a file operation.
/// `F` is the filesystem whose inode the file was opened from.
#[repr(transparent)]
pub(crate) struct File<F: FileSystem>(Opaque<bindings::file>, PhantomData<F>);

impl<F: FileSystem> File<F> {
    /// # Safety
    ///
    /// `ptr` must point to a `struct file` valid for `'a`, opened from an
    /// inode of filesystem `F`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // SAFETY: `File` is a transparent wrapper; the caller guarantees validity.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::file {
        self.0.get()
    }

    /// The inode the file was opened from.
    pub(crate) fn inode(&self) -> &Inode<F> {
        // SAFETY: `f_inode` is fixed for the file's life and, by the type
        // invariant, an inode of `F`.
        unsafe { Inode::from_raw(*field!(self.0.get(), file, f_inode)) }
    }

    /// The credentials the file was opened with.
    pub(crate) fn cred(&self) -> super::task::Cred {
        // SAFETY: `f_cred` is set at open and lives as long as the file.
        unsafe { super::task::Cred::get(*field!(self.0.get(), file, f_cred)) }
    }

    /// The file's `O_*` flags.
    pub(crate) fn flags(&self) -> u32 {
        // SAFETY: `f_flags` of a live file may be read; races with fcntl are
        // benign as for C readers.
        unsafe { core::ptr::read_volatile(field!(self.0.get(), file, f_flags)) }
    }
}

/// How a file answers `lseek()`.
#[derive(PartialEq, Eq)]
pub(crate) enum Seek {
    /// No `llseek`: `ESPIPE`.
    None,
    /// `nonseekable_open` and `noop_llseek`.
    NonSeekable,
    /// `default_llseek`.
    Default,
}

/// The operations of one kind of file of the filesystem `Self::Fs`.
pub(crate) trait FileOperations: Sized + 'static {
    /// The filesystem whose inodes carry these operations.
    type Fs: FileSystem;
    /// Per-open data, kept in `file->private_data`.
    type Data: ForeignOwnable + Send + Sync;
    /// How the file seeks.
    const SEEK: Seek = Seek::None;
    /// Whether [`FileOperations::ioctl`] is provided.
    const HAS_IOCTL: bool = false;
    /// Whether [`FileOperations::read`] is provided.
    const HAS_READ: bool = false;
    /// Whether [`FileOperations::mmap`] is provided.
    const HAS_MMAP: bool = false;
    /// Whether [`FileOperations::flush`] is provided.
    const HAS_FLUSH: bool = false;
    /// Whether [`FileOperations::poll`] is provided.
    const HAS_POLL: bool = false;

    /// Opens the file; `node` is the inode's filesystem node, if it has one.
    fn open(
        node: Option<ArcBorrow<'_, <Self::Fs as FileSystem>::Node>>,
        file: &File<Self::Fs>,
    ) -> Result<Self::Data>;

    /// Releases the per-open data when the last reference to the file goes.
    fn release(data: Self::Data, _file: &File<Self::Fs>) {
        drop(data);
    }

    /// Handles an ioctl; returns the value for user space.
    fn ioctl(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _file: &File<Self::Fs>,
        _cmd: u32,
        _arg: usize,
    ) -> Result<i32> {
        Err(ENOTTY)
    }

    /// Sets up a new mapping of the file.
    fn mmap(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _file: &File<Self::Fs>,
        _vma: &VmaNew,
    ) -> Result {
        Err(ENODEV)
    }

    /// A mapping set up by [`FileOperations::mmap`] with the operations of
    /// [`vm_ops`] goes away, wholly or in part (`munmap`, `mremap`, exit):
    /// `vm_ops->close`, called with `mmap_lock` held for writing (take
    /// spinlocks only).
    fn vma_close(_data: <Self::Data as ForeignOwnable>::Borrowed<'_>) {}

    /// Reports readiness, registering the file's wait queues with `table`.
    fn poll(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _file: &File<Self::Fs>,
        _table: Option<&PollTable>,
    ) -> u32 {
        0
    }

    /// Called on every `close()` of a descriptor of the file.
    fn flush(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _file: &File<Self::Fs>,
    ) -> Result {
        Ok(())
    }

    /// Reads at `*pos` into `buf`, advancing `*pos`; returns the bytes read.
    fn read(
        _data: <Self::Data as ForeignOwnable>::Borrowed<'_>,
        _file: &File<Self::Fs>,
        _buf: UserSliceWriter,
        _pos: &mut i64,
    ) -> Result<usize> {
        Err(EINVAL)
    }
}

/// File operations whose files are opened through a misc device
/// ([`super::misc::MiscDevice`]) rather than an inode of `Self::Fs`: only
/// `open` differs.
///
/// Files opened this way are not backed by an inode of `Self::Fs`, so the
/// operations must not call [`File::inode`] on them (binder only does for
/// binderfs log entries, which misc-opened processes don't have).
pub(crate) trait MiscOpen: FileOperations {
    /// What the misc device carries.
    type MiscData: Send + Sync;

    /// Opens a file of the misc device carrying `data`.
    fn open_misc(data: &Self::MiscData, file: &File<Self::Fs>) -> Result<Self::Data>;
}

/// A `file_operations` table for `T`, to be placed in a `static`.
#[repr(transparent)]
pub(crate) struct FileOpsTable<T: FileOperations> {
    raw: bindings::file_operations,
    _p: PhantomData<T>,
}

// SAFETY: the table is never mutated after construction; the C side only
// reads it.
unsafe impl<T: FileOperations> Sync for FileOpsTable<T> {}

impl<T: FileOperations> FileOpsTable<T> {
    /// Builds the table; `owner` pins the module while files are open.
    pub(crate) const fn new(owner: ThisModulePtr) -> Self {
        // SAFETY: all-zero is a valid `file_operations` (no operations).
        let mut raw: bindings::file_operations = unsafe { core::mem::zeroed() };
        raw.owner = owner.as_ptr();
        raw.open = Some(open_callback::<T>);
        raw.release = Some(release_callback::<T>);
        match T::SEEK {
            Seek::None => {}
            Seek::NonSeekable => raw.llseek = Some(bindings::noop_llseek),
            Seek::Default => raw.llseek = Some(bindings::default_llseek),
        }
        if T::HAS_IOCTL {
            raw.unlocked_ioctl = Some(ioctl_callback::<T>);
            raw.compat_ioctl = Some(ioctl_callback::<T>);
        }
        if T::HAS_READ {
            raw.read = Some(read_callback::<T>);
        }
        if T::HAS_MMAP {
            raw.mmap = Some(mmap_callback::<T>);
        }
        if T::HAS_FLUSH {
            raw.flush = Some(flush_callback::<T>);
        }
        if T::HAS_POLL {
            raw.poll = Some(poll_callback::<T>);
        }
        Self {
            raw,
            _p: PhantomData,
        }
    }

    /// The same table with the misc-device `open`.
    pub(crate) const fn new_misc(owner: ThisModulePtr) -> Self
    where
        T: MiscOpen,
    {
        let mut t = Self::new(owner);
        t.raw.open = Some(misc_open_callback::<T>);
        t
    }

    pub(crate) fn as_raw(&'static self) -> *const bindings::file_operations {
        &self.raw
    }
}

/// # Safety
///
/// Called by the VFS with a live inode of `T::Fs` and a file being opened.
unsafe extern "C" fn open_callback<T: FileOperations>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the VFS passes a live inode and file for the whole call.
    let (inode, f) = unsafe {
        (
            Inode::<T::Fs>::from_raw(inode),
            File::<T::Fs>::from_raw(file),
        )
    };
    if T::SEEK == Seek::NonSeekable {
        // SAFETY: both pointers are valid, as above.
        let ret = unsafe { bindings::nonseekable_open(inode.as_raw(), file) };
        if ret != 0 {
            return ret;
        }
    }
    match T::open(inode.node(), f) {
        Ok(data) => {
            // SAFETY: the file is ours until release; nothing else uses
            // `private_data` for these operations.
            unsafe { *field!(file, file, private_data) = data.into_foreign() as _ };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by `misc_open` for a file of a `MiscDevice<T::MiscData>`.
unsafe extern "C" fn misc_open_callback<T: MiscOpen>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: by the caller's guarantee `private_data` is our misc device.
    let data = unsafe { super::misc::MiscDevice::<T::MiscData>::data_of(file) };
    // SAFETY: the file is live for the call (see `MiscOpen` on `inode`).
    let f = unsafe { File::<T::Fs>::from_raw(file) };
    match T::open_misc(data, f) {
        Ok(d) => {
            // SAFETY: the file is ours until release.
            unsafe { *field!(file, file, private_data) = d.into_foreign() as _ };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS once, after a successful open, with the same file.
unsafe extern "C" fn release_callback<T: FileOperations>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` was set by `open_callback` from `into_foreign`,
    // and this is the last use of the file.
    unsafe {
        let data = T::Data::from_foreign(*field!(file, file, private_data));
        *field!(file, file, private_data) = core::ptr::null_mut();
        T::release(data, File::<T::Fs>::from_raw(file));
    }
    0
}

/// # Safety
///
/// Called by the VFS on a file opened through `open_callback::<T>`.
unsafe extern "C" fn ioctl_callback<T: FileOperations>(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    // SAFETY: `private_data` holds `T::Data` until release, which can't run
    // concurrently with an ioctl on the same file.
    let (data, f) = unsafe {
        (
            T::Data::borrow(*field!(file, file, private_data)),
            File::<T::Fs>::from_raw(file),
        )
    };
    match T::ioctl(data, f, cmd, arg as usize) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// Called by the VFS on a file opened through `open_callback::<T>`, with a
/// user buffer and a valid position pointer.
unsafe extern "C" fn read_callback<T: FileOperations>(
    file: *mut bindings::file,
    buf: *mut core::ffi::c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: as for `ioctl_callback`; `ppos` is valid for the call.
    let (data, f, pos) = unsafe {
        (
            T::Data::borrow(*field!(file, file, private_data)),
            File::<T::Fs>::from_raw(file),
            &mut *ppos,
        )
    };
    let writer = UserSlice::new(buf as usize, count).writer();
    match T::read(data, f, writer, pos) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by the VFS (with `mmap_lock` held for writing) on a file opened
/// through `open_callback::<T>`, with the new mapping.
unsafe extern "C" fn mmap_callback<T: FileOperations>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: as for `ioctl_callback`; `vma` is the mapping being created.
    let (data, f, vma) = unsafe {
        (
            T::Data::borrow(*field!(file, file, private_data)),
            File::<T::Fs>::from_raw(file),
            VmaNew::from_raw(vma),
        )
    };
    match T::mmap(data, f, vma) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// The mapping operations for the files of `T`: faults are `SIGBUS`, and
/// `close` calls [`FileOperations::vma_close`]. `T::mmap` must only give
/// them to mappings of its own files.
pub(crate) const fn vm_ops<T: FileOperations>() -> VmOps {
    VmOps::with_close(vma_close_callback::<T>)
}

/// # Safety
///
/// Called by the mm (`vm_ops->close`) for a mapping whose operations came
/// from [`vm_ops::<T>`], so its `vm_file` is a file opened through
/// `open_callback::<T>`; the mapping holds a reference to that file.
unsafe extern "C" fn vma_close_callback<T: FileOperations>(vma: *mut bindings::vm_area_struct) {
    // SAFETY: by the caller's guarantee `vm_file` is one of our files, kept
    // open by the mapping, so `private_data` holds `T::Data` (release, which
    // takes it, can't run before the mapping drops its reference).
    let data = unsafe {
        let file = *field!(vma, vm_area_struct, vm_file);
        T::Data::borrow(*field!(file, file, private_data))
    };
    T::vma_close(data);
}

/// # Safety
///
/// Called by the VFS on a file opened through `open_callback::<T>`.
unsafe extern "C" fn flush_callback<T: FileOperations>(
    file: *mut bindings::file,
    _id: bindings::fl_owner_t,
) -> c_int {
    // SAFETY: as for `ioctl_callback`.
    let (data, f) = unsafe {
        (
            T::Data::borrow(*field!(file, file, private_data)),
            File::<T::Fs>::from_raw(file),
        )
    };
    match T::flush(data, f) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS on a file opened through `open_callback::<T>`, with a
/// null or valid poll table.
unsafe extern "C" fn poll_callback<T: FileOperations>(
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
) -> bindings::__poll_t {
    // SAFETY: as for `ioctl_callback`; the table is valid for the call.
    let (data, f, table) = unsafe {
        (
            T::Data::borrow(*field!(file, file, private_data)),
            File::<T::Fs>::from_raw(file),
            PollTable::from_raw(table),
        )
    };
    T::poll(data, f, table)
}

/// Converts a C return value into a [`Result`].
pub(crate) fn check(ret: c_int) -> Result {
    if ret < 0 {
        Err(Error::from_errno(ret))
    } else {
        Ok(())
    }
}

/// A counted reference to a file (`fget`); `fput` on drop.
///
/// # Invariants
///
/// `self.0` is a file on which we own a reference.
pub(crate) struct FileRef(core::ptr::NonNull<bindings::file>);

// SAFETY: file references may be taken and dropped on any thread.
unsafe impl Send for FileRef {}
// SAFETY: shared access only reads the pointer.
unsafe impl Sync for FileRef {}

impl FileRef {
    /// The file behind descriptor `fd` of the current task.
    pub(crate) fn fget(fd: u32) -> Option<Self> {
        // SAFETY: `fget` has no preconditions; it returns a referenced file
        // or null.
        let f = unsafe { bindings::fget(fd) };
        // INVARIANT: `fget` took a reference.
        core::ptr::NonNull::new(f).map(Self)
    }

    /// The raw file (only the LSM hooks need it).
    #[cfg_attr(not(CONFIG_SECURITY), allow(dead_code))]
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.0.as_ptr()
    }
}

impl Drop for FileRef {
    fn drop(&mut self) {
        // SAFETY: we own a reference (type invariant).
        unsafe { bindings::fput(self.0.as_ptr()) };
    }
}

/// A file descriptor number reserved in the current task's table.
///
/// # Invariants
///
/// `self.0` was returned by `get_unused_fd_flags` and not yet installed
/// or released.
pub(crate) struct ReservedFd(u32);

impl ReservedFd {
    /// Reserves the lowest free descriptor, close-on-exec.
    pub(crate) fn new() -> Result<Self> {
        // SAFETY: no preconditions.
        let fd = unsafe { bindings::get_unused_fd_flags(bindings::O_CLOEXEC) };
        check(fd)?;
        // INVARIANT: a reserved descriptor.
        Ok(Self(fd as u32))
    }

    pub(crate) fn fd(&self) -> u32 {
        self.0
    }

    /// Makes the descriptor refer to `file` (consuming both).
    pub(crate) fn install(self, file: FileRef) {
        let (fd, f) = (self.0, file.0.as_ptr());
        core::mem::forget(self);
        core::mem::forget(file);
        // SAFETY: `fd` is reserved in the current table (type invariant) and
        // `fd_install` takes over our file reference.
        unsafe { bindings::fd_install(fd, f) };
    }
}

impl Drop for ReservedFd {
    fn drop(&mut self) {
        // SAFETY: reserved and not installed (type invariant).
        unsafe { bindings::put_unused_fd(self.0) };
    }
}

/// A file whose close waits for its task's return to user space.
///
/// # Invariants
///
/// `work` is the first field (the task-work callback finds the whole from
/// it), and `file` is a reference to a file, owned by this value.
#[repr(C)]
struct DeferredClose {
    work: bindings::callback_head,
    file: *mut bindings::file,
}

/// The task-work callback of [`close_fd`]: closes the file, in the task
/// that queued it, back on its way to user space.
///
/// # Safety
///
/// `head` is the `work` of a [`DeferredClose`] leaked by [`close_fd`] and
/// queued once.
unsafe extern "C" fn deferred_close(head: *mut bindings::callback_head) {
    // SAFETY: by the function's safety requirements (and the type
    // invariant: `work` is at offset 0), this is the box `close_fd` leaked.
    let dc = unsafe { kernel::alloc::KBox::from_raw(head.cast::<DeferredClose>()) };
    // SAFETY: `dc.file` is a file reference we own; `filp_close` flushes
    // and drops it, with the current task's table as the lock owner id.
    unsafe {
        let files = *field!(super::task::current_raw(), task_struct, files);
        bindings::filp_close(dc.file, files.cast());
    }
}

/// Closes descriptor `fd` of the current task, if open (as the C driver
/// closes the fds of a freed buffer): the descriptor goes at once, the
/// file is closed when the task returns to user space (C's
/// `binder_deferred_fd_close`). Closing it inside the ioctl could drop the
/// last reference of the binder file the ioctl runs on (`fdget` takes
/// none). Returns whether a close was queued (the thread should then
/// return to user space soon). Without memory the fd stays open, as in C.
pub(crate) fn close_fd(fd: u32) -> bool {
    let dc = DeferredClose {
        work: bindings::callback_head {
            next: core::ptr::null_mut(),
            func: Some(deferred_close),
        },
        file: core::ptr::null_mut(),
    };
    let Ok(mut dc) = kernel::alloc::KBox::new(dc, kernel::alloc::flags::GFP_KERNEL) else {
        return false;
    };
    // SAFETY: `file_close_fd` removes the descriptor from the current
    // task's table and hands us its reference (or returns null).
    dc.file = unsafe { bindings::file_close_fd(fd) };
    if dc.file.is_null() {
        return false;
    }
    let raw = kernel::alloc::KBox::into_raw(dc);
    // SAFETY: `raw` is a valid, leaked `DeferredClose` whose `work` is set
    // up; the current task is live. On success the callback owns it.
    let ret = unsafe {
        bindings::task_work_add(
            super::task::current_raw(),
            core::ptr::addr_of_mut!((*raw).work),
            bindings::task_work_notify_mode_TWA_RESUME,
        )
    };
    if ret != 0 {
        // The task is exiting: close now.
        // SAFETY: the work was not queued, so `raw` is still ours alone
        // and queued nowhere.
        unsafe { deferred_close(core::ptr::addr_of_mut!((*raw).work)) };
    }
    true
}
