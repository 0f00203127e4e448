// SPDX-License-Identifier: GPL-2.0

//! `binder_logs/` (with `stats=global`): the driver's state, statistics and
//! transaction logs, and `proc/<pid>` for each process with the device
//! open, in the C driver's text format.
//!
//! Each file is rendered when it is opened and read from that snapshot.
//! The first line of every file is in place; the detailed records are
//! still to come (issue 4), so a file has its header only.

use super::{create_dir, BinderFs, Node, INODE_OFFSET, LOG_FOPS, MAX_MINOR};
use crate::device::BinderDevice;
use crate::ffi::file::{File, FileOperations, Seek};
use crate::ffi::fs::{Dentry, Ino, InodeKind, InodeSpec, SuperBlock};
use core::fmt::Write;
use core::marker::PhantomData;
use kernel::alloc::{flags::GFP_KERNEL, KBox, KVec};
use kernel::error::{code::*, Result};
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserSliceWriter;

/// Which log a file shows.
pub(crate) enum LogKind {
    State,
    Stats,
    Transactions,
    TransactionLog,
    FailedTransactionLog,
    /// `proc/<pid>`.
    Proc {
        pid: i32,
        device: Arc<BinderDevice>,
    },
}

const FILES: [(&[u8], fn() -> LogKind); 5] = [
    (b"state", || LogKind::State),
    (b"stats", || LogKind::Stats),
    (b"transactions", || LogKind::Transactions),
    (b"transaction_log", || LogKind::TransactionLog),
    (b"failed_transaction_log", || LogKind::FailedTransactionLog),
];

fn file_spec() -> InodeSpec<BinderFs> {
    InodeSpec {
        ino: Ino::Unique(MAX_MINOR as u64 + INODE_OFFSET),
        kind: InodeKind::file(&LOG_FOPS),
        perm: 0o444,
        owner: None,
        _p: PhantomData,
    }
}

/// Creates `binder_logs/` with its files and `proc/`.
pub(super) fn create(sb: &SuperBlock<BinderFs>) -> Result {
    create_dir(sb.root(), b"binder_logs")?;
    let dir = sb.root().child(b"binder_logs")?;
    for (name, kind) in FILES {
        let node = Arc::new(Node::Log(kind()), GFP_KERNEL)?;
        dir.create_child(name, sb.new_inode(file_spec(), Some(node))?)?;
    }
    create_dir(&dir, b"proc")
}

fn proc_dir(sb: &SuperBlock<BinderFs>) -> Result<crate::ffi::fs::DentryRef<BinderFs>> {
    sb.root().child(b"binder_logs")?.child(b"proc")
}

fn pid_name(pid: i32, buf: &mut [u8; 12]) -> &[u8] {
    let mut n = pid.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// Adds `proc/<pid>`; `Ok(false)` if it exists already.
pub(crate) fn add_proc(
    sb: &SuperBlock<BinderFs>,
    pid: i32,
    device: Arc<BinderDevice>,
) -> Result<bool> {
    let dir = proc_dir(sb)?;
    let node = Arc::new(Node::Log(LogKind::Proc { pid, device }), GFP_KERNEL)?;
    let mut buf = [0u8; 12];
    match dir.create_child(
        pid_name(pid, &mut buf),
        sb.new_inode(file_spec(), Some(node))?,
    ) {
        Ok(()) => Ok(true),
        Err(e) if e == EEXIST => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes `proc/<pid>`.
pub(crate) fn remove_proc(sb: &SuperBlock<BinderFs>, pid: i32) {
    if let Ok(dir) = proc_dir(sb) {
        let mut buf = [0u8; 12];
        dir.remove_child(pid_name(pid, &mut buf));
    }
}

/// Whether the instance of `dentry` keeps logs.
pub(crate) fn enabled(sb: &SuperBlock<BinderFs>) -> bool {
    sb.info().is_some_and(|i| i.stats_global)
}

/// A rendered log.
pub(crate) struct Snapshot(KVec<u8>);

impl Write for Snapshot {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

fn render(kind: &LogKind) -> Result<Snapshot> {
    let mut out = Snapshot(KVec::new());
    let r = match kind {
        LogKind::State => out.write_str("binder state:\n"),
        LogKind::Stats => out.write_str("binder stats:\n"),
        LogKind::Transactions => out.write_str("binder transactions:\n"),
        LogKind::TransactionLog | LogKind::FailedTransactionLog => Ok(()),
        LogKind::Proc { pid, device } => {
            let name = core::str::from_utf8(device.name()).unwrap_or("?");
            write!(out, "binder proc state:\nproc {pid}\ncontext {name}\n")
        }
    };
    r.map_err(|_| ENOMEM)?;
    Ok(out)
}

/// The log files.
pub(crate) struct LogFile;

impl FileOperations for LogFile {
    type Fs = BinderFs;
    type Data = KBox<Snapshot>;
    const SEEK: Seek = Seek::Default;
    const HAS_READ: bool = true;

    fn open(node: Option<ArcBorrow<'_, Node>>, _file: &File<BinderFs>) -> Result<KBox<Snapshot>> {
        match node.as_deref() {
            Some(Node::Log(kind)) => Ok(KBox::new(render(kind)?, GFP_KERNEL)?),
            _ => Err(ENODEV),
        }
    }

    fn read(
        snap: &Snapshot,
        _file: &File<BinderFs>,
        mut buf: UserSliceWriter,
        pos: &mut i64,
    ) -> Result<usize> {
        let data = &snap.0;
        let start = usize::try_from(*pos).map_err(|_| EINVAL)?.min(data.len());
        let n = (data.len() - start).min(buf.len());
        buf.write_slice(&data[start..start + n])?;
        *pos += n as i64;
        Ok(n)
    }
}

/// Used by `Dentry` users that only need the type.
#[allow(dead_code)]
type _D = Dentry<BinderFs>;
