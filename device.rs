// SPDX-License-Identifier: GPL-2.0

//! Binder devices: one binder context each (its own context manager, see
//! `context.rs`), and the file operations of the device files that user
//! space opens to become a binder process.

use crate::binderfs::{logs, BinderFs, Node as FsNode};
use crate::context::{Manager, Registry};
use crate::ffi::file::{File, FileOperations, FileOpsTable, MiscOpen};
use crate::ffi::mm::{VmOps, VmaNew};
use crate::ffi::poll::PollTable;
use crate::ffi::sync::{with_arc, Mutex};
use crate::ffi::ThisModulePtr;
use crate::node::Node;
use crate::process::Process;
use crate::work::DArc;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::{Arc, ArcBorrow};

/// A binder device and the context it carries.
#[pin_data]
pub(crate) struct BinderDevice {
    /// All processes of the module.
    pub(crate) registry: Arc<Registry>,
    /// The device's name (without NUL).
    name: KVec<u8>,
    /// Its minor number when it was created.
    minor: u32,
    #[pin]
    pub(crate) manager: Mutex<Manager>,
    /// The key of `manager.node` (0: none), written under `manager`: whether
    /// a node is the manager's is asked without that lock (as C compares
    /// `binder_context_mgr_node` unlocked), so a caller may hold any other.
    manager_id: AtomicU32,
}

impl BinderDevice {
    pub(crate) fn new(name: &[u8], minor: u32, registry: Arc<Registry>) -> Result<Arc<Self>> {
        let mut v = KVec::new();
        v.extend_from_slice(name, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                registry,
                name: v,
                minor,
                manager <- crate::new_mutex!(Manager { node: None, uid: None }, "BinderDevice::manager"),
                manager_id: AtomicU32::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// The device's name.
    #[allow(dead_code)]
    pub(crate) fn name(&self) -> &[u8] {
        &self.name
    }

    /// The device's minor number.
    #[allow(dead_code)]
    pub(crate) fn minor(&self) -> u32 {
        self.minor
    }

    /// The context manager's node, if there is one.
    pub(crate) fn context_manager(&self) -> Option<DArc<Node>> {
        self.manager.lock().node.clone()
    }

    /// Whether `node` is the context manager's, without the manager lock.
    pub(crate) fn is_context_manager(&self, node: &Node) -> bool {
        // The manager's node is held while its key is stored, so no other
        // node has that key.
        self.manager_id.load(Ordering::Acquire) == node.key()
    }

    /// Sets (or clears) the context manager's node; `mgr` is the locked
    /// [`BinderDevice::manager`].
    pub(crate) fn set_manager_node(&self, mgr: &mut Manager, node: Option<DArc<Node>>) {
        self.manager_id
            .store(node.as_ref().map_or(0, |n| n.key()), Ordering::Release);
        mgr.node = node;
    }
}

/// Operations of legacy `/dev/<name>` binder devices.
pub(crate) static LEGACY_FOPS: FileOpsTable<BinderFile> =
    FileOpsTable::new_misc(ThisModulePtr::get());

impl MiscOpen for BinderFile {
    type MiscData = Arc<BinderDevice>;

    fn open_misc(device: &Arc<BinderDevice>, file: &File<BinderFs>) -> Result<Arc<Process>> {
        let proc = Process::new(device.clone(), file.cred())?;
        proc.device.registry.add(&proc)?;
        crate::debugfs::opened(&proc);
        Ok(proc)
    }
}

/// `O_NONBLOCK`.
const O_NONBLOCK: u32 = 0o4000;

/// The file operations of binder device files.
pub(crate) struct BinderFile;

/// The operations of every binder mapping.
pub(crate) static BINDER_VM_OPS: VmOps = crate::ffi::file::vm_ops::<BinderFile>();

impl FileOperations for BinderFile {
    type Fs = BinderFs;
    type Data = Arc<Process>;
    const HAS_IOCTL: bool = true;
    const HAS_MMAP: bool = true;
    const HAS_FLUSH: bool = true;
    const HAS_POLL: bool = true;

    fn open(node: Option<ArcBorrow<'_, FsNode>>, file: &File<BinderFs>) -> Result<Arc<Process>> {
        let proc = match node.as_deref() {
            Some(FsNode::Device { device, .. }) => Process::new(device.clone(), file.cred())?,
            _ => return Err(ENODEV),
        };
        proc.device.registry.add(&proc)?;
        crate::debugfs::opened(&proc);
        let sb = file.inode().super_block();
        // As C (binder_open only warns): without its binder_logs/proc entry
        // the open still succeeds, so nothing registered above needs undoing.
        if logs::enabled(sb) && logs::add_proc(sb, proc.pid, proc.device.clone()) == Ok(true) {
            proc.log_entry.store(true, Ordering::Relaxed);
        }
        Ok(proc)
    }

    fn release(proc: Arc<Process>, file: &File<BinderFs>) {
        if proc.log_entry.load(Ordering::Relaxed) {
            logs::remove_proc(file.inode().super_block(), proc.pid);
        }
        crate::debugfs::released(&proc);
        proc.device.registry.remove(&proc);
        proc.release();
    }

    fn ioctl(
        proc: ArcBorrow<'_, Process>,
        file: &File<BinderFs>,
        cmd: u32,
        arg: usize,
    ) -> Result<i32> {
        crate::trace::ioctl(cmd, arg);
        let nonblock = file.flags() & O_NONBLOCK != 0;
        let ret = with_arc(proc, |proc| proc.ioctl(cmd, arg, nonblock));
        crate::trace::ioctl_done(&ret);
        ret
    }

    fn mmap(proc: ArcBorrow<'_, Process>, _file: &File<BinderFs>, vma: &VmaNew) -> Result {
        proc.mmap(vma)
    }

    fn vma_close(proc: ArcBorrow<'_, Process>) {
        proc.vma_close();
    }

    fn poll(proc: ArcBorrow<'_, Process>, file: &File<BinderFs>, table: Option<&PollTable>) -> u32 {
        with_arc(proc, |proc| proc.poll(file, table))
    }

    fn flush(proc: ArcBorrow<'_, Process>, _file: &File<BinderFs>) -> Result {
        proc.flush();
        Ok(())
    }
}
