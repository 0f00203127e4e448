// SPDX-License-Identifier: GPL-2.0

//! Filesystem types: registration, mount contexts, superblocks, inodes and
//! dentries, driven by the [`FileSystem`] trait.
//!
//! A filesystem is a `static` [`FsType`] holding every C operations table it
//! needs (lockdep requires the lock class keys inside `file_system_type` to
//! be static). Each inode the filesystem creates may carry an `Arc<T::Node>`
//! in `i_private`, handed back to [`FileSystem::evict`] when the inode dies.

use super::bindings;
use super::file::{check, FileOperations, FileOpsTable};
use super::layout::field;
use super::ThisModulePtr;
use core::ffi::{c_int, c_uint, c_void, CStr};
use core::fmt;
use core::marker::PhantomData;
use core::mem::size_of;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KBox};
use kernel::error::{code::*, Error, Result};
use kernel::sync::{Arc, ArcBorrow};
use kernel::types::{ForeignOwnable, Opaque};

/// The mode bits of a character device inode.
pub(crate) const S_IFCHR: u16 = bindings::S_IFCHR as u16;
const S_IFMT: u16 = bindings::S_IFMT as u16;
const S_IFDIR: u16 = bindings::S_IFDIR as u16;
const S_IFREG: u16 = bindings::S_IFREG as u16;

/// `-ENOPARAM`: the parameter is not known to the filesystem.
pub(crate) fn enoparam() -> Error {
    Error::from_errno(-519)
}

/// A filesystem implementation.
pub(crate) trait FileSystem: Sized + Send + Sync + 'static {
    /// Mount options being parsed (`fc->fs_private`).
    type Options: Send;
    /// Per-superblock data (`sb->s_fs_info`).
    type Info: Send + Sync;
    /// Data attached to inodes (`inode->i_private`).
    type Node: Send + Sync;
    /// The `s_magic` of superblocks.
    const MAGIC: u64;

    /// Default options for a new mount or reconfiguration.
    fn new_options(&self) -> Result<Self::Options>;
    /// Applies one `key[=value]` mount parameter.
    fn parse_param(&self, opts: &mut Self::Options, key: &[u8], value: ParamValue<'_>) -> Result;
    /// Applies new options to a mounted instance (remount).
    fn reconfigure(&self, opts: &Self::Options, info: &Self::Info) -> Result;
    /// Creates the per-superblock data of a new instance.
    fn new_info(&self, opts: &Self::Options, sb: &SuperBlock<Self>) -> Result<Self::Info>;
    /// Populates a new instance; the root directory exists.
    fn fill_root(&self, sb: &SuperBlock<Self>) -> Result;
    /// An inode carrying `node` is being evicted.
    fn evict(info: &Self::Info, node: Arc<Self::Node>);
    /// Writes the instance's options for `/proc/mounts` (`,key=value` each).
    fn show_options(info: &Self::Info, out: &mut SeqFile) -> fmt::Result;
    /// Whether `dentry` may be unlinked from the root directory.
    fn may_unlink(dentry: &Dentry<Self>) -> Result;
    /// Whether `old` may be renamed over `new` in the root directory.
    fn may_rename(old: &Dentry<Self>, new: &Dentry<Self>) -> Result;
}

/// The value of a mount parameter.
pub(crate) enum ParamValue<'a> {
    /// `key` alone.
    Flag,
    /// `key=value`.
    String(&'a CStr),
    /// A binary blob, file or path (`fsconfig()`); none is accepted here.
    Other,
}

/// A filesystem type: the C tables for `T` plus `T` itself once registered.
///
/// # Invariants
///
/// `data` is null or an `Arc<T>` from `into_foreign`, non-null exactly while
/// the type is registered.
#[repr(C)]
pub(crate) struct FsType<T: FileSystem> {
    raw: Opaque<bindings::file_system_type>,
    sops: bindings::super_operations,
    ctx_ops: bindings::fs_context_operations,
    dir_iops: bindings::inode_operations,
    data: AtomicPtr<c_void>,
    _p: PhantomData<T>,
}

// SAFETY: the C tables are read-only after construction except `raw`, which
// the VFS mutates under its own locks; `data` is atomic.
unsafe impl<T: FileSystem> Sync for FsType<T> {}

impl<T: FileSystem> FsType<T> {
    /// Builds the type named `name`, mountable in user namespaces when
    /// `userns_mount` is set.
    pub(crate) const fn new(name: &'static CStr, userns_mount: bool, owner: ThisModulePtr) -> Self {
        // SAFETY: all-zero is a valid `file_system_type` (no ops).
        let mut raw: bindings::file_system_type = unsafe { core::mem::zeroed() };
        // SAFETY: all-zero is a valid `super_operations` (no ops).
        let mut sops: bindings::super_operations = unsafe { core::mem::zeroed() };
        // SAFETY: all-zero is a valid `fs_context_operations` (no ops).
        let mut ctx_ops: bindings::fs_context_operations = unsafe { core::mem::zeroed() };
        // SAFETY: all-zero is a valid `inode_operations` (no ops).
        let mut dir_iops: bindings::inode_operations = unsafe { core::mem::zeroed() };
        raw.name = name.as_ptr();
        raw.fs_flags = if userns_mount {
            bindings::FS_USERNS_MOUNT as c_int
        } else {
            0
        };
        raw.init_fs_context = Some(init_fs_context_cb::<T>);
        raw.kill_sb = Some(kill_sb_cb::<T>);
        raw.owner = owner.as_ptr();
        sops.evict_inode = Some(evict_inode_cb::<T>);
        sops.show_options = Some(show_options_cb::<T>);
        sops.statfs = Some(bindings::simple_statfs);
        ctx_ops.free = Some(fc_free_cb::<T>);
        ctx_ops.get_tree = Some(get_tree_cb::<T>);
        ctx_ops.parse_param = Some(parse_param_cb::<T>);
        ctx_ops.reconfigure = Some(reconfigure_cb::<T>);
        dir_iops.lookup = Some(bindings::simple_lookup);
        dir_iops.unlink = Some(unlink_cb::<T>);
        dir_iops.rename = Some(rename_cb::<T>);
        Self {
            raw: Opaque::new(raw),
            sops,
            ctx_ops,
            dir_iops,
            data: AtomicPtr::new(ptr::null_mut()),
            _p: PhantomData,
        }
    }

    /// Registers the filesystem type with `fs` as its implementation.
    pub(crate) fn register(&'static self, fs: Arc<T>) -> Result<Registration<T>> {
        let p = fs.into_foreign() as *mut c_void;
        if self
            .data
            .compare_exchange(ptr::null_mut(), p, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `p` came from `into_foreign` just above.
            drop(unsafe { Arc::<T>::from_foreign(p) });
            return Err(EBUSY);
        }
        // SAFETY: `raw` is a static, fully initialised `file_system_type`.
        if let Err(e) = check(unsafe { bindings::register_filesystem(self.raw.get()) }) {
            self.data.store(ptr::null_mut(), Ordering::Release);
            // SAFETY: `p` came from `into_foreign` and was not handed out.
            drop(unsafe { Arc::<T>::from_foreign(p) });
            return Err(e);
        }
        Ok(Registration { ty: self })
    }

    /// # Safety
    ///
    /// `raw` must point to the `raw` field of a registered `FsType<T>`.
    unsafe fn from_raw(raw: *const bindings::file_system_type) -> &'static Self {
        // SAFETY: `raw` is the first field of a `repr(C)` static `FsType<T>`.
        unsafe { &*raw.cast::<Self>() }
    }

    /// The implementation; only called from callbacks of a registered type.
    fn fs(&self) -> ArcBorrow<'_, T> {
        let p = self.data.load(Ordering::Acquire);
        // Callbacks only run while the type is registered (every mount pins
        // the module); `Registration::drop` frees `data` after unregistering.
        // SAFETY: so `data` holds a live `Arc<T>` from `into_foreign`.
        unsafe { Arc::<T>::borrow(p) }
    }
}

/// A registered filesystem type; unregisters on drop.
pub(crate) struct Registration<T: FileSystem> {
    ty: &'static FsType<T>,
}

impl<T: FileSystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: the type was registered by `FsType::register`.
        unsafe { bindings::unregister_filesystem(self.ty.raw.get()) };
        let p = self.ty.data.swap(ptr::null_mut(), Ordering::AcqRel);
        // SAFETY: `p` is the `Arc<T>` stored by `register`; no callback can
        // run any more.
        drop(unsafe { Arc::<T>::from_foreign(p) });
    }
}

/// A superblock of filesystem `T`.
#[repr(transparent)]
pub(crate) struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// # Safety
    ///
    /// `ptr` must be a live superblock of an `FsType<T>` for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// The per-superblock data; `None` before `new_info` succeeded.
    pub(crate) fn info(&self) -> Option<&T::Info> {
        // SAFETY: `s_fs_info` is either null or a `KBox<T::Info>` set in
        // `fill_super_cb` and freed only after the superblock is shut down.
        unsafe { (*field!(self.raw(), super_block, s_fs_info) as *const T::Info).as_ref() }
    }

    /// The user and group ids (kernel-internal) that root of the
    /// superblock's user namespace maps to, or global root if unmapped.
    pub(crate) fn root_ids(&self) -> (u32, u32) {
        // SAFETY: `s_user_ns` is set for the superblock's lifetime.
        #[cfg(CONFIG_USER_NS)]
        let (uid, gid) = unsafe {
            let ns = *field!(self.raw(), super_block, s_user_ns);
            (
                bindings::make_kuid(ns, 0).val,
                bindings::make_kgid(ns, 0).val,
            )
        };
        // Without user namespaces ids map to themselves (C's inlines).
        #[cfg(not(CONFIG_USER_NS))]
        let (uid, gid) = (0u32, 0u32);
        (
            if uid == u32::MAX { 0 } else { uid },
            if gid == u32::MAX { 0 } else { gid },
        )
    }

    /// The root directory.
    pub(crate) fn root(&self) -> &Dentry<T> {
        // SAFETY: `s_root` is set before any caller can see the superblock
        // (`fill_super_cb` creates it before calling into `T`).
        unsafe { Dentry::from_raw(*field!(self.raw(), super_block, s_root)) }
    }

    /// Allocates a new inode of this superblock.
    pub(crate) fn new_inode(
        &self,
        spec: InodeSpec<T>,
        node: Option<Arc<T::Node>>,
    ) -> Result<NewInode<T>> {
        // SAFETY: the superblock is live.
        let inode = unsafe { bindings::new_inode(self.raw()) };
        if inode.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `inode` is a new inode that only we reference.
        unsafe {
            *field!(inode, inode, i_ino) = match spec.ino {
                Ino::Fixed(n) => n,
                Ino::Unique(min) => bindings::iunique(self.raw(), min),
            };
            bindings::simple_inode_init_ts(inode);
            match spec.kind {
                InodeKind::CharDev { rdev, fops } => {
                    bindings::init_special_inode(inode, S_IFCHR | spec.perm, rdev);
                    *field!(inode, inode, i_fop => __bindgen_anon_3.i_fop) = fops;
                }
                InodeKind::File { fops } => {
                    *field!(inode, inode, i_mode) = S_IFREG | spec.perm;
                    *field!(inode, inode, i_fop => __bindgen_anon_3.i_fop) = fops;
                }
                InodeKind::Dir => {
                    *field!(inode, inode, i_mode) = S_IFDIR | spec.perm;
                    *field!(inode, inode, i_fop => __bindgen_anon_3.i_fop) =
                        &raw const bindings::simple_dir_operations;
                    *field!(inode, inode, i_op) = &raw const bindings::simple_dir_inode_operations;
                    bindings::set_nlink(inode, 2);
                }
            }
            if let Some((uid, gid)) = spec.owner {
                (*field!(inode, inode, i_uid)).val = uid;
                (*field!(inode, inode, i_gid)).val = gid;
            }
            if let Some(node) = node {
                *field!(inode, inode, i_private) = node.into_foreign() as *mut c_void;
            }
        }
        // INVARIANT: a new inode with our reference.
        Ok(NewInode(inode, PhantomData))
    }
}

/// The inode number of a new inode.
pub(crate) enum Ino {
    /// This number.
    Fixed(u64),
    /// A number unique in the superblock and at least this.
    Unique(u64),
}

/// What kind of inode to create.
pub(crate) enum InodeKind {
    /// A character device whose file operations are `fops`.
    CharDev {
        rdev: u32,
        fops: *const bindings::file_operations,
    },
    /// A regular file whose file operations are `fops`.
    File {
        fops: *const bindings::file_operations,
    },
    /// A plain directory (the kernel's simple directory operations).
    Dir,
}

impl InodeKind {
    /// A character device with `T`'s file operations.
    pub(crate) fn char_dev<F: FileOperations>(rdev: u32, fops: &'static FileOpsTable<F>) -> Self {
        Self::CharDev {
            rdev,
            fops: fops.as_raw(),
        }
    }

    /// A regular file with `T`'s file operations.
    pub(crate) fn file<F: FileOperations>(fops: &'static FileOpsTable<F>) -> Self {
        Self::File {
            fops: fops.as_raw(),
        }
    }
}

/// How to create an inode.
pub(crate) struct InodeSpec<T> {
    /// Its number.
    pub(crate) ino: Ino,
    /// Its kind.
    pub(crate) kind: InodeKind,
    /// Its permission bits.
    pub(crate) perm: u16,
    /// Its owner (kernel uid, gid), root if `None`.
    pub(crate) owner: Option<(u32, u32)>,
    pub(crate) _p: PhantomData<T>,
}

/// A newly allocated inode not yet in the dentry tree; `iput` on drop.
///
/// # Invariants
///
/// `self.0` is a live inode of an `FsType<T>` on which we own a reference.
pub(crate) struct NewInode<T: FileSystem>(*mut bindings::inode, PhantomData<T>);

impl<T: FileSystem> Drop for NewInode<T> {
    fn drop(&mut self) {
        // SAFETY: we own a reference (type invariant); eviction hands the node
        // back to `T::evict`.
        unsafe { bindings::iput(self.0) };
    }
}

/// An inode of filesystem `T`.
#[repr(transparent)]
pub(crate) struct Inode<T: FileSystem>(Opaque<bindings::inode>, PhantomData<T>);

impl<T: FileSystem> Inode<T> {
    /// # Safety
    ///
    /// `ptr` must be a live inode of an `FsType<T>` for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// The node attached when the inode was created.
    pub(crate) fn node(&self) -> Option<ArcBorrow<'_, T::Node>> {
        // SAFETY: `i_private` of our inodes is null or an `Arc<T::Node>` that
        // lives until eviction, after the last user of `&self`.
        unsafe {
            let p = *field!(self.as_raw(), inode, i_private);
            if p.is_null() {
                None
            } else {
                Some(Arc::<T::Node>::borrow(p))
            }
        }
    }

    /// The superblock.
    pub(crate) fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: `i_sb` is fixed for the inode's lifetime.
        unsafe { SuperBlock::from_raw(*field!(self.as_raw(), inode, i_sb)) }
    }
}

/// A dentry of filesystem `T`.
#[repr(transparent)]
pub(crate) struct Dentry<T: FileSystem>(Opaque<bindings::dentry>, PhantomData<T>);

impl<T: FileSystem> Dentry<T> {
    /// # Safety
    ///
    /// `ptr` must be a live dentry of an `FsType<T>` for `'a`.
    unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: transparent wrapper; validity from the caller.
        unsafe { &*ptr.cast() }
    }

    fn raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// The inode, if the dentry is positive.
    pub(crate) fn inode(&self) -> Option<&Inode<T>> {
        // SAFETY: callers hold the dentry (and for VFS callbacks the parent's
        // lock), so `d_inode` doesn't change under them.
        unsafe {
            let i = *field!(self.raw(), dentry, d_inode);
            if i.is_null() {
                None
            } else {
                Some(Inode::from_raw(i))
            }
        }
    }

    /// Links `inode` under this directory as `name`, as binderfs does:
    /// `EEXIST` if the name is taken, the lookup's error for a bad name.
    pub(crate) fn create_child(&self, name: &[u8], inode: NewInode<T>) -> Result {
        let len = c_int::try_from(name.len()).map_err(|_| EINVAL)?;
        let dir = self.inode().ok_or(ENOENT)?.as_raw();
        // SAFETY: `dir` is a live directory inode; `i_rwsem` is its inode lock.
        unsafe { bindings::down_write(field!(dir, inode, i_rwsem)) };
        // SAFETY: the parent is locked as `lookup_one_len` requires; `name` is
        // valid for `len` bytes.
        let dentry = unsafe { bindings::lookup_one_len(name.as_ptr().cast(), self.raw(), len) };
        let ret = if let Some(e) = err_ptr(dentry) {
            Err(e)
        } else {
            // SAFETY: `dentry` is a live dentry we hold a reference on.
            unsafe {
                if !(*field!(dentry, dentry, d_inode)).is_null() {
                    bindings::dput(dentry);
                    Err(EEXIST)
                } else {
                    let raw = inode.0;
                    let is_dir = *field!(raw, inode, i_mode) & S_IFMT == S_IFDIR;
                    core::mem::forget(inode);
                    // The lookup's reference stays with the dentry: it pins
                    // it in the dcache until unlink or unmount, as in ramfs.
                    bindings::d_instantiate(dentry, raw);
                    if is_dir {
                        bindings::inc_nlink(dir);
                    }
                    notify_create(dir, dentry, is_dir);
                    Ok(())
                }
            }
        };
        // SAFETY: locked above.
        unsafe { bindings::up_write(field!(dir, inode, i_rwsem)) };
        ret
    }

    /// Removes the child `name` of this directory if it exists, as
    /// binderfs removes its per-process log files.
    pub(crate) fn remove_child(&self, name: &[u8]) {
        let Ok(len) = c_int::try_from(name.len()) else {
            return;
        };
        let Some(dir) = self.inode().map(|i| i.as_raw()) else {
            return;
        };
        // SAFETY: `dir` is a live directory; its lock is held around the
        // lookup and unlink as they require. The lookup's reference is
        // dropped last; `simple_unlink` drops the pin `create_child` left.
        unsafe {
            bindings::down_write(field!(dir, inode, i_rwsem));
            let d = bindings::lookup_one_len(name.as_ptr().cast(), self.raw(), len);
            if err_ptr(d).is_none() {
                if !(*field!(d, dentry, d_inode)).is_null() {
                    bindings::simple_unlink(dir, d);
                    bindings::d_delete(d);
                }
                bindings::dput(d);
            }
            bindings::up_write(field!(dir, inode, i_rwsem));
        }
    }

    /// Looks up the child `name` of this directory.
    pub(crate) fn child(&self, name: &[u8]) -> Result<DentryRef<T>> {
        let len = c_int::try_from(name.len()).map_err(|_| EINVAL)?;
        let dir = self.inode().ok_or(ENOENT)?.as_raw();
        // SAFETY: as in `create_child`.
        let d = unsafe {
            bindings::down_write(field!(dir, inode, i_rwsem));
            let d = bindings::lookup_one_len(name.as_ptr().cast(), self.raw(), len);
            bindings::up_write(field!(dir, inode, i_rwsem));
            d
        };
        match err_ptr(d) {
            Some(e) => Err(e),
            // INVARIANT: `lookup_one_len` returned a referenced dentry.
            None => Ok(DentryRef(d, PhantomData)),
        }
    }
}

/// Tells fsnotify watchers of `dir` that `dentry` was created in it, as
/// `fsnotify_create()` / `fsnotify_mkdir()` do.
///
/// # Safety
///
/// `dir` must be the locked parent inode of the live, positive `dentry`.
#[cfg(CONFIG_FSNOTIFY)]
unsafe fn notify_create(dir: *mut bindings::inode, dentry: *mut bindings::dentry, is_dir: bool) {
    let mask = bindings::FS_CREATE | if is_dir { bindings::FS_ISDIR } else { 0 };
    // SAFETY: as the inline C helpers do, with the caller's guarantees.
    unsafe {
        bindings::fsnotify(
            mask,
            dentry as *const c_void,
            bindings::fsnotify_data_type_FSNOTIFY_EVENT_DENTRY as c_int,
            dir,
            field!(dentry, dentry, d_name),
            ptr::null_mut(),
            0,
        );
    }
}

/// Without fsnotify in the kernel there is nobody to tell.
///
/// # Safety
///
/// None needed; the signature matches the real one.
#[cfg(not(CONFIG_FSNOTIFY))]
unsafe fn notify_create(_dir: *mut bindings::inode, _dentry: *mut bindings::dentry, _is_dir: bool) {
}

/// A counted reference to a dentry.
///
/// # Invariants
///
/// `self.0` is a live dentry of `T` on which we own a reference.
pub(crate) struct DentryRef<T: FileSystem>(*mut bindings::dentry, PhantomData<T>);

impl<T: FileSystem> core::ops::Deref for DentryRef<T> {
    type Target = Dentry<T>;
    fn deref(&self) -> &Dentry<T> {
        // SAFETY: we hold a reference (type invariant).
        unsafe { Dentry::from_raw(self.0) }
    }
}

impl<T: FileSystem> Drop for DentryRef<T> {
    fn drop(&mut self) {
        // SAFETY: we own a reference (type invariant).
        unsafe { bindings::dput(self.0) };
    }
}

/// Decodes an `ERR_PTR`.
fn err_ptr<P>(p: *mut P) -> Option<Error> {
    let v = p as isize;
    if v < 0 && v >= -4095 {
        Some(Error::from_errno(v as i32))
    } else if p.is_null() {
        Some(ENOMEM)
    } else {
        None
    }
}

/// A `seq_file` being written.
pub(crate) struct SeqFile(*mut bindings::seq_file);

impl fmt::Write for SeqFile {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // SAFETY: `self.0` is the live seq_file of a `show_options` call;
        // `s` is valid for its length. Overflow is handled by seq_file itself.
        unsafe { bindings::seq_write(self.0, s.as_ptr().cast(), s.len()) };
        Ok(())
    }
}

// ---- callbacks from the VFS ----

/// # Safety
///
/// Called by the VFS with a new `fs_context` of an `FsType<T>`.
unsafe extern "C" fn init_fs_context_cb<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc->fs_type` is our registered type.
    let ty = unsafe { FsType::<T>::from_raw(*field!(fc, fs_context, fs_type)) };
    let opts = match ty
        .fs()
        .new_options()
        .and_then(|o| Ok(KBox::new(o, GFP_KERNEL)?))
    {
        Ok(o) => o,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: we own the new context's private fields.
    unsafe {
        *field!(fc, fs_context, fs_private) = KBox::into_raw(opts).cast();
        *field!(fc, fs_context, ops) = &ty.ctx_ops;
    }
    0
}

/// # Safety
///
/// Called by the VFS once when a context made by `init_fs_context_cb` dies.
unsafe extern "C" fn fc_free_cb<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: `fs_private` is null or the `KBox<T::Options>` we stored.
    unsafe {
        let p = *field!(fc, fs_context, fs_private) as *mut T::Options;
        if !p.is_null() {
            drop(KBox::from_raw(p));
        }
    }
}

/// # Safety
///
/// Called by the VFS for each parameter of a context we initialised.
unsafe extern "C" fn parse_param_cb<T: FileSystem>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: the context and parameter are live for the call; `fs_private`
    // holds our options and is only used by this context's callbacks, which
    // the VFS serialises; `key` and, for strings, `string` are C strings.
    let (ty, opts, key, value) = unsafe {
        let ty = FsType::<T>::from_raw(*field!(fc, fs_context, fs_type));
        let opts = &mut *(*field!(fc, fs_context, fs_private) as *mut T::Options);
        let key = CStr::from_ptr(*field!(param, fs_parameter, key)).to_bytes();
        // `type` is an 8-bit bitfield right after `key` (checked in layout.rs).
        let ty_byte = field!(param, fs_parameter, key)
            .cast::<u8>()
            .add(size_of::<usize>());
        let value = match *ty_byte as bindings::fs_value_type {
            bindings::fs_value_type_fs_value_is_flag => ParamValue::Flag,
            bindings::fs_value_type_fs_value_is_string => ParamValue::String(CStr::from_ptr(
                *field!(param, fs_parameter, string => __bindgen_anon_1.string),
            )),
            _ => ParamValue::Other,
        };
        (ty, opts, key, value)
    };
    match ty.fs().parse_param(opts, key, value) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS to reconfigure a mounted instance.
unsafe extern "C" fn reconfigure_cb<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: for reconfiguration `fc->root` is the mounted root, whose
    // superblock is ours and populated.
    let (ty, opts, sb) = unsafe {
        let ty = FsType::<T>::from_raw(*field!(fc, fs_context, fs_type));
        let opts = &*(*field!(fc, fs_context, fs_private) as *const T::Options);
        (
            ty,
            opts,
            SuperBlock::<T>::from_raw(*field!(*field!(fc, fs_context, root), dentry, d_sb)),
        )
    };
    match sb.info() {
        Some(info) => match ty.fs().reconfigure(opts, info) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        },
        None => EINVAL.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS to create the tree of a context we initialised.
unsafe extern "C" fn get_tree_cb<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc` is live; `fill_super_cb` matches the callback type.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super_cb::<T>)) }
}

/// # Safety
///
/// Called by `get_tree_nodev` with a new superblock and our context.
unsafe extern "C" fn fill_super_cb<T: FileSystem>(
    sbp: *mut bindings::super_block,
    fc: *mut bindings::fs_context,
) -> c_int {
    // SAFETY: the superblock is new and exclusively ours until we return.
    let (ty, opts) = unsafe {
        let ty = FsType::<T>::from_raw(*field!(fc, fs_context, fs_type));
        *field!(sbp, super_block, s_blocksize) = bindings::PAGE_SIZE as _;
        *field!(sbp, super_block, s_blocksize_bits) = bindings::PAGE_SHIFT as _;
        // binderfs allows device nodes (made only through its control file)
        // even when mounted by a user namespace's root.
        *field!(sbp, super_block, s_iflags) &= !(bindings::SB_I_NODEV as core::ffi::c_ulong);
        *field!(sbp, super_block, s_iflags) |= bindings::SB_I_NOEXEC as core::ffi::c_ulong;
        *field!(sbp, super_block, s_magic) = T::MAGIC as _;
        *field!(sbp, super_block, s_op) = &ty.sops;
        *field!(sbp, super_block, s_time_gran) = 1;
        (
            ty,
            &*(*field!(fc, fs_context, fs_private) as *const T::Options),
        )
    };
    // SAFETY: live superblock of our type.
    let sb = unsafe { SuperBlock::<T>::from_raw(sbp) };
    let fs = ty.fs();
    let info = match fs
        .new_info(opts, sb)
        .and_then(|i| Ok(KBox::new(i, GFP_KERNEL)?))
    {
        Ok(i) => i,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: freed by `kill_sb_cb` after the superblock is shut down.
    unsafe { *field!(sbp, super_block, s_fs_info) = KBox::into_raw(info).cast() };

    // The root directory.
    // SAFETY: live superblock.
    let inode = unsafe { bindings::new_inode(sbp) };
    if inode.is_null() {
        return ENOMEM.to_errno();
    }
    // SAFETY: new inode only we reference; `d_make_root` consumes it, even
    // when it fails.
    unsafe {
        *field!(inode, inode, i_ino) = 1;
        *field!(inode, inode, i_fop => __bindgen_anon_3.i_fop) =
            &raw const bindings::simple_dir_operations;
        *field!(inode, inode, i_mode) = S_IFDIR | 0o755;
        bindings::simple_inode_init_ts(inode);
        *field!(inode, inode, i_op) = &ty.dir_iops;
        bindings::set_nlink(inode, 2);
        let root = bindings::d_make_root(inode);
        *field!(sbp, super_block, s_root) = root;
        if root.is_null() {
            return ENOMEM.to_errno();
        }
    }
    match fs.fill_root(sb) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS once to destroy a superblock of ours.
unsafe extern "C" fn kill_sb_cb<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: `s_fs_info` is null or our `KBox<T::Info>`; eviction during
    // `kill_litter_super` still needs it, so it is freed afterwards.
    unsafe {
        let info = *field!(sb, super_block, s_fs_info) as *mut T::Info;
        bindings::kill_litter_super(sb);
        if !info.is_null() {
            drop(KBox::from_raw(info));
        }
    }
}

/// # Safety
///
/// Called by the VFS when an inode of ours is evicted.
unsafe extern "C" fn evict_inode_cb<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: the inode is dying and exclusively ours; `i_private` is null or
    // the `Arc<T::Node>` from `new_inode`; the superblock info is alive until
    // `kill_sb_cb` returns.
    unsafe {
        bindings::clear_inode(inode);
        let p = *field!(inode, inode, i_private);
        if p.is_null() {
            return;
        }
        *field!(inode, inode, i_private) = ptr::null_mut();
        let node = Arc::<T::Node>::from_foreign(p);
        if let Some(info) = SuperBlock::<T>::from_raw(*field!(inode, inode, i_sb)).info() {
            T::evict(info, node);
        }
    }
}

/// # Safety
///
/// Called by the VFS with a seq_file and a root dentry of ours.
unsafe extern "C" fn show_options_cb<T: FileSystem>(
    seq: *mut bindings::seq_file,
    root: *mut bindings::dentry,
) -> c_int {
    // SAFETY: `root` is our live root dentry.
    let sb = unsafe { SuperBlock::<T>::from_raw(*field!(root, dentry, d_sb)) };
    if let Some(info) = sb.info() {
        let _ = T::show_options(info, &mut SeqFile(seq));
    }
    0
}

/// # Safety
///
/// Called by the VFS with the root directory (locked) and a child of it.
unsafe extern "C" fn unlink_cb<T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: live dentry of ours, held by the VFS.
    if let Err(e) = T::may_unlink(unsafe { Dentry::from_raw(dentry) }) {
        return e.to_errno();
    }
    // SAFETY: the VFS holds the locks `simple_unlink` expects.
    unsafe { bindings::simple_unlink(dir, dentry) }
}

/// # Safety
///
/// Called by the VFS with the directories locked and both dentries held.
unsafe extern "C" fn rename_cb<T: FileSystem>(
    idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: live dentries of ours, held by the VFS.
    if let Err(e) = T::may_rename(unsafe { Dentry::from_raw(old) }, unsafe {
        Dentry::from_raw(new)
    }) {
        return e.to_errno();
    }
    // SAFETY: as the VFS calls `->rename`.
    unsafe { bindings::simple_rename(idmap, old_dir, old, new_dir, new, flags) }
}

/// A range of character device numbers reserved with a dynamic major
/// (`alloc_chrdev_region`); released on drop.
///
/// # Invariants
///
/// `first..first + count` is reserved by this object.
pub(crate) struct ChrdevRegion {
    first: u32,
    count: u32,
}

impl ChrdevRegion {
    /// Reserves `count` minors under a new major, named `name`.
    pub(crate) fn alloc(count: u32, name: &'static CStr) -> Result<Self> {
        let mut first: bindings::dev_t = 0;
        // SAFETY: `first` is a valid out pointer and `name` a static string.
        check(unsafe { bindings::alloc_chrdev_region(&mut first, 0, count, name.as_ptr()) })?;
        // INVARIANT: the region was reserved just above.
        Ok(Self { first, count })
    }

    /// The major number.
    pub(crate) fn major(&self) -> u32 {
        super::major(self.first)
    }
}

impl Drop for ChrdevRegion {
    fn drop(&mut self) {
        // SAFETY: reserved by `alloc` (type invariant).
        unsafe { bindings::unregister_chrdev_region(self.first, self.count) };
    }
}

/// Parses an unsigned 32-bit number as the kernel's `kstrtouint(s, 0)`:
/// decimal, `0x` hex or leading-`0` octal.
/// Any malformed or out-of-range value is `EINVAL`, as `fs_parse()` says.
pub(crate) fn parse_u32(s: &CStr) -> Result<u32> {
    let mut v: c_uint = 0;
    // SAFETY: `s` is a C string, `v` a valid out pointer.
    check(unsafe { bindings::kstrtouint(s.as_ptr(), 0, &mut v) }).map_err(|_| EINVAL)?;
    Ok(v)
}
