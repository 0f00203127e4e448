// SPDX-License-Identifier: GPL-2.0

//! binderfs: the `binder` filesystem.
//!
//! Each mount is an instance holding `binder-control`, the devices named by
//! the `devices=` module parameter, `features/` and, with `stats=global`,
//! `binder_logs/`. `BINDER_CTL_ADD` on `binder-control` creates binder
//! devices; `unlink()` removes them. Minor numbers come from one pool shared
//! by all instances, under one dynamically allocated major.
//!
//! Lock order: the global minor lock (`Globals::minors`) is a leaf; the VFS
//! holds the root directory's inode lock around it when devices are created
//! or unlinked, never the other way round.

mod control;
mod features;
pub(crate) mod logs;
mod minors;

use crate::device::BinderDevice;
use crate::ffi::file::FileOpsTable;
use crate::ffi::fs::{
    enoparam, Dentry, FileSystem, FsType, Ino, InodeKind, InodeSpec, ParamValue, SeqFile,
    SuperBlock,
};
use crate::ffi::sync::Mutex;
use crate::ffi::task::{capable, IpcNs, CAP_SYS_ADMIN};
use crate::ffi::{mkdev, ThisModulePtr};
use crate::uapi;
use core::fmt::Write;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::alloc::{flags::GFP_KERNEL, KVec};
use kernel::error::{code::*, Result};
use kernel::prelude::*;
use kernel::sync::Arc;
use minors::MinorMap;

/// The longest device name, without its NUL.
pub(crate) const BINDERFS_MAX_NAME: usize = uapi::BINDERFS_MAX_NAME as usize;
/// The number of minors reserved under binderfs' major.
pub(crate) const MAX_MINOR: u32 = 1 << 20;
/// Instances outside the initial IPC namespace leave the last minors to it.
const MAX_MINOR_CAPPED: u32 = MAX_MINOR - 4;
const CONTROL_INO: u64 = 2;
const INODE_OFFSET: u64 = 3;

/// The filesystem type, with every C table it needs.
pub(crate) static BINDERFS_TYPE: FsType<BinderFs> =
    FsType::new(c"binder", true, ThisModulePtr::get());
/// Operations of `binder-control`.
static CONTROL_FOPS: FileOpsTable<control::ControlFile> = FileOpsTable::new(ThisModulePtr::get());
/// Operations of binder device files.
static BINDER_FOPS: FileOpsTable<crate::device::BinderFile> =
    FileOpsTable::new(ThisModulePtr::get());
/// Operations of the files in `binder_logs/`.
static LOG_FOPS: FileOpsTable<logs::LogFile> = FileOpsTable::new(ThisModulePtr::get());
/// Operations of the files in `features/`.
static FEATURE_FOPS: FileOpsTable<features::FeatureFile> = FileOpsTable::new(ThisModulePtr::get());

/// State shared by every instance.
#[pin_data]
pub(crate) struct Globals {
    major: u32,
    /// All binder processes.
    registry: Arc<crate::context::Registry>,
    /// The devices every new instance starts with (`devices=`).
    default_devices: KVec<KVec<u8>>,
    #[pin]
    minors: Mutex<MinorMap>,
}

impl Globals {
    /// Creates the shared state for binderfs under `major`, with the
    /// comma-separated default device list `devices`.
    pub(crate) fn new(major: u32, devices: &[u8]) -> Result<Arc<Self>> {
        let mut default_devices = KVec::new();
        // As the C driver: names up to the first empty one, none too long.
        for name in devices.split(|&c| c == b',') {
            if name.is_empty() {
                break;
            }
            if name.len() > BINDERFS_MAX_NAME {
                return Err(E2BIG);
            }
            let mut v = KVec::new();
            v.extend_from_slice(name, GFP_KERNEL)?;
            default_devices.push(v, GFP_KERNEL)?;
        }
        let registry = crate::context::Registry::new()?;
        Arc::pin_init(
            pin_init!(Self {
                major,
                registry,
                default_devices,
                minors <- crate::new_mutex!(MinorMap::new(), "binderfs_minors"),
            }),
            GFP_KERNEL,
        )
    }
}

impl Globals {
    /// The registry of all binder processes.
    pub(crate) fn registry(&self) -> Arc<crate::context::Registry> {
        self.registry.clone()
    }
}

/// The binderfs implementation registered with the VFS.
pub(crate) struct BinderFs {
    globals: Arc<Globals>,
}

impl BinderFs {
    pub(crate) fn new(globals: Arc<Globals>) -> Self {
        Self { globals }
    }
}

/// Mount options.
pub(crate) struct Options {
    max: u32,
    stats_global: bool,
}

/// State of one instance that outlives its superblock's users: device
/// reservations refer to it.
pub(crate) struct Instance {
    globals: Arc<Globals>,
    /// Minors available to this instance: all, or all but the reserve.
    minor_limit: u32,
    /// `max=`; changed by remount.
    max: AtomicU32,
    /// Devices of this instance; changed only under `globals.minors`.
    device_count: AtomicU32,
}

/// A minor number held by an inode; freed (and uncounted) on drop.
pub(crate) struct MinorReservation {
    inst: Arc<Instance>,
    minor: u32,
    counted: bool,
}

impl MinorReservation {
    /// Reserves the lowest free minor; `counted` reservations are devices,
    /// limited by `max=`.
    fn new(inst: &Arc<Instance>, counted: bool) -> Result<Self> {
        let mut minors = inst.globals.minors.lock();
        if counted {
            let count = inst.device_count.load(Ordering::Relaxed) + 1;
            if count > inst.max.load(Ordering::Relaxed) {
                return Err(ENOSPC);
            }
            let minor = minors.alloc(inst.minor_limit)?;
            inst.device_count.store(count, Ordering::Relaxed);
            Ok(Self {
                inst: inst.clone(),
                minor,
                counted,
            })
        } else {
            let minor = minors.alloc(inst.minor_limit)?;
            Ok(Self {
                inst: inst.clone(),
                minor,
                counted,
            })
        }
    }

    fn rdev(&self) -> u32 {
        mkdev(self.inst.globals.major, self.minor)
    }
}

impl Drop for MinorReservation {
    fn drop(&mut self) {
        let mut minors = self.inst.globals.minors.lock();
        if self.counted {
            self.inst.device_count.fetch_sub(1, Ordering::Relaxed);
        }
        minors.free(self.minor);
    }
}

/// Per-superblock data.
pub(crate) struct Info {
    inst: Arc<Instance>,
    /// Fixed at mount: it can't change on remount.
    stats_global: bool,
    root_ids: (u32, u32),
    /// The IPC namespace of the mounter, as the C driver keeps it.
    _ipc_ns: IpcNs,
}

/// What an inode of binderfs stands for.
pub(crate) enum Node {
    /// `binder-control`.
    Control(#[allow(dead_code)] MinorReservation),
    /// A binder device.
    Device {
        device: Arc<BinderDevice>,
        _minor: MinorReservation,
    },
    /// A read-only file with fixed contents (`features/*`).
    Constant(&'static [u8]),
    /// A file of `binder_logs/`.
    Log(logs::LogKind),
}

impl FileSystem for BinderFs {
    type Options = Options;
    type Info = Info;
    type Node = Node;
    const MAGIC: u64 = crate::ffi::bindings::BINDERFS_SUPER_MAGIC as u64;

    fn new_options(&self) -> Result<Options> {
        Ok(Options {
            max: MAX_MINOR,
            stats_global: false,
        })
    }

    fn parse_param(&self, opts: &mut Options, key: &[u8], value: ParamValue<'_>) -> Result {
        let value = match value {
            ParamValue::String(s) => Some(s),
            _ => None,
        };
        match key {
            b"max" => {
                let max = crate::ffi::fs::parse_u32(value.ok_or(EINVAL)?)?;
                if max > MAX_MINOR {
                    return Err(EINVAL);
                }
                opts.max = max;
            }
            b"stats" => {
                if value.ok_or(EINVAL)?.to_bytes() != b"global" {
                    return Err(EINVAL);
                }
                if !capable(CAP_SYS_ADMIN) {
                    return Err(EPERM);
                }
                opts.stats_global = true;
            }
            _ => return Err(enoparam()),
        }
        Ok(())
    }

    fn reconfigure(&self, opts: &Options, info: &Info) -> Result {
        if opts.stats_global != info.stats_global {
            return Err(EINVAL);
        }
        info.inst.max.store(opts.max, Ordering::Relaxed);
        Ok(())
    }

    fn new_info(&self, opts: &Options, sb: &SuperBlock<Self>) -> Result<Info> {
        let ipc_ns = IpcNs::current();
        let inst = Arc::new(
            Instance {
                globals: self.globals.clone(),
                minor_limit: if ipc_ns.is_initial() {
                    MAX_MINOR
                } else {
                    MAX_MINOR_CAPPED
                },
                max: AtomicU32::new(opts.max),
                device_count: AtomicU32::new(0),
            },
            GFP_KERNEL,
        )?;
        Ok(Info {
            inst,
            stats_global: opts.stats_global,
            root_ids: sb.root_ids(),
            _ipc_ns: ipc_ns,
        })
    }

    fn fill_root(&self, sb: &SuperBlock<Self>) -> Result {
        let info = sb.info().ok_or(EINVAL)?;
        let control = MinorReservation::new(&info.inst, false)?;
        let spec = InodeSpec {
            ino: Ino::Fixed(CONTROL_INO),
            kind: InodeKind::char_dev(control.rdev(), &CONTROL_FOPS),
            perm: 0o600,
            owner: Some(info.root_ids),
            _p: PhantomData,
        };
        let inode = sb.new_inode(spec, Some(Arc::new(Node::Control(control), GFP_KERNEL)?))?;
        sb.root().create_child(b"binder-control", inode)?;

        for name in self.globals.default_devices.iter() {
            add_device(sb, info, name, |_, _| Ok(()))?;
        }

        features::create(sb)?;
        if info.stats_global {
            logs::create(sb)?;
        }
        Ok(())
    }

    fn evict(_info: &Info, node: Arc<Node>) {
        // Dropping the node releases its minor number.
        drop(node);
    }

    fn show_options(info: &Info, out: &mut SeqFile) -> core::fmt::Result {
        let max = info.inst.max.load(Ordering::Relaxed);
        if max <= MAX_MINOR {
            write!(out, ",max={max}")?;
        }
        if info.stats_global {
            out.write_str(",stats=global")?;
        }
        Ok(())
    }

    fn may_unlink(dentry: &Dentry<Self>) -> Result {
        if is_control(dentry) {
            return Err(EPERM);
        }
        Ok(())
    }

    fn may_rename(old: &Dentry<Self>, new: &Dentry<Self>) -> Result {
        if is_control(old) || is_control(new) {
            return Err(EPERM);
        }
        Ok(())
    }
}

fn is_control(dentry: &Dentry<BinderFs>) -> bool {
    dentry
        .inode()
        .and_then(|i| i.node())
        .is_some_and(|n| matches!(&*n, Node::Control(_)))
}

/// Creates the binder device `name` in the root of `sb`, as
/// `BINDER_CTL_ADD` does: `report(major, minor)` runs once the numbers are
/// known and before the name is linked, and its failure undoes the device.
pub(crate) fn add_device(
    sb: &SuperBlock<BinderFs>,
    info: &Info,
    name: &[u8],
    report: impl FnOnce(u32, u32) -> Result,
) -> Result {
    let minor = MinorReservation::new(&info.inst, true)?;
    let (major, minor_nr, rdev) = (info.inst.globals.major, minor.minor, minor.rdev());
    let device = BinderDevice::new(name, minor_nr, info.inst.globals.registry.clone())?;
    let spec = InodeSpec {
        ino: Ino::Fixed(minor_nr as u64 + INODE_OFFSET),
        kind: InodeKind::char_dev(rdev, &BINDER_FOPS),
        perm: 0o600,
        owner: Some(info.root_ids),
        _p: PhantomData,
    };
    let node = Arc::new(
        Node::Device {
            device,
            _minor: minor,
        },
        GFP_KERNEL,
    )?;
    // From here on the inode owns the node: dropping it on failure evicts
    // the inode, which releases the minor.
    let inode = sb.new_inode(spec, Some(node))?;
    report(major, minor_nr)?;
    sb.root().create_child(name, inode)
}

/// Creates the directory `name` under `parent`.
fn create_dir(parent: &Dentry<BinderFs>, name: &[u8]) -> Result {
    let sb = parent.inode().ok_or(ENOENT)?.super_block();
    let spec = InodeSpec {
        ino: Ino::Unique(MAX_MINOR as u64 + INODE_OFFSET),
        kind: InodeKind::Dir,
        perm: 0o755,
        owner: None,
        _p: PhantomData,
    };
    parent.create_child(name, sb.new_inode(spec, None)?)
}
