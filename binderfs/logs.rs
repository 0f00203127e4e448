// SPDX-License-Identifier: GPL-2.0

//! `binder_logs/` (with `stats=global`): the driver's state, statistics and
//! transaction logs, and `proc/<pid>` for each process with the device
//! open, in the C driver's text format.
//!
//! Each file is rendered when it is opened and read from that snapshot. The
//! same renderer serves `/sys/kernel/debug/binder/` (`crate::debugfs`).
//! Processes, threads, transactions, nodes, references and buffers are
//! printed in the C driver's formats; per-command statistics and the dead
//! nodes list are not kept.

use super::{create_dir, BinderFs, Node, INODE_OFFSET, LOG_FOPS, MAX_MINOR};
use crate::context::Registry;
use crate::device::BinderDevice;
use crate::ffi::file::{File, FileOperations, Seek};
use crate::ffi::fs::{Dentry, Ino, InodeKind, InodeSpec, SuperBlock};
use core::fmt::Write;
use core::marker::PhantomData;
use kernel::alloc::{
    flags::{__GFP_NOWARN, GFP_KERNEL},
    KBox, KVVec,
};
use kernel::error::{code::*, Result};
use kernel::sync::{Arc, ArcBorrow};
use kernel::uaccess::UserSliceWriter;

/// Which log a file shows.
pub(crate) enum LogKind {
    State(Arc<Registry>),
    Stats(Arc<Registry>),
    Transactions(Arc<Registry>),
    TransactionLog(Arc<Registry>),
    FailedTransactionLog(Arc<Registry>),
    /// `proc/<pid>`.
    Proc {
        pid: i32,
        device: Arc<BinderDevice>,
    },
}

type MakeKind = fn(Arc<Registry>) -> LogKind;

/// The files of `binder_logs/` (and of debugfs's `binder/`), in the order
/// the C driver creates them.
pub(crate) const FILES: [(&[u8], MakeKind); 5] = [
    (b"state", LogKind::State),
    (b"stats", LogKind::Stats),
    (b"transactions", LogKind::Transactions),
    (b"transaction_log", LogKind::TransactionLog),
    (b"failed_transaction_log", LogKind::FailedTransactionLog),
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
    let registry = sb.info().ok_or(EINVAL)?.inst.globals.registry();
    for (name, kind) in FILES {
        let node = Arc::new(Node::Log(kind(registry.clone())), GFP_KERNEL)?;
        dir.create_child(name, sb.new_inode(file_spec(), Some(node))?)?;
    }
    create_dir(&dir, b"proc")
}

fn proc_dir(sb: &SuperBlock<BinderFs>) -> Result<crate::ffi::fs::DentryRef<BinderFs>> {
    sb.root().child(b"binder_logs")?.child(b"proc")
}

fn pid_name(pid: i32, buf: &mut [u8; 12]) -> &[u8] {
    pid_cstr(pid, buf).to_bytes()
}

/// `pid` in decimal, NUL-terminated, written at the end of `buf` (a name
/// for `proc/<pid>` in binder_logs and debugfs).
pub(crate) fn pid_cstr(pid: i32, buf: &mut [u8; 12]) -> &core::ffi::CStr {
    let mut n = pid.unsigned_abs();
    // The NUL last; up to 10 digits before it.
    let mut i = buf.len() - 1;
    buf[i] = 0;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    core::ffi::CStr::from_bytes_with_nul(&buf[i..]).unwrap_or_default()
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

/// A rendered log: the whole text of one file, built in one buffer when the
/// file is opened (`binder_logs/state` lists every node and reference, so
/// it grows with what user space made: `kvmalloc`ed, and a failure to grow
/// fails the open with `ENOMEM` rather than warning).
///
/// A bounded snapshot never allocates while written (text is written into
/// it under spinlocks): room is made before, and a write that doesn't fit
/// fails and marks it overflowed, so that the writer starts over with more.
pub(crate) struct Snapshot {
    text: KVVec<u8>,
    bounded: bool,
    overflowed: bool,
}

impl Snapshot {
    pub(crate) const fn new() -> Self {
        Self {
            text: KVVec::new(),
            bounded: false,
            overflowed: false,
        }
    }

    /// An empty snapshot with room for `cap` bytes, which it never exceeds.
    pub(crate) fn bounded(cap: usize) -> Result<Self> {
        let mut text = KVVec::new();
        text.reserve(cap, GFP_KERNEL | __GFP_NOWARN)?;
        Ok(Self {
            text,
            bounded: true,
            overflowed: false,
        })
    }

    /// Whether a write didn't fit in a bounded snapshot.
    pub(crate) fn overflowed(&self) -> bool {
        self.overflowed
    }

    /// Its room, as made by [`Snapshot::bounded`].
    pub(crate) fn capacity(&self) -> usize {
        self.text.capacity()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(&self.text).unwrap_or("")
    }
}

impl Write for Snapshot {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        if self.bounded && self.text.capacity() - self.text.len() < s.len() {
            self.overflowed = true;
            return Err(core::fmt::Error);
        }
        // Bounded: within the room made before, so this doesn't allocate.
        self.text
            .extend_from_slice(s.as_bytes(), GFP_KERNEL | __GFP_NOWARN)
            .map_err(|_| core::fmt::Error)
    }
}

fn render(kind: &LogKind) -> Result<Snapshot> {
    let mut out = Snapshot::new();
    render_into(kind, &mut out).map_err(|_| ENOMEM)?;
    Ok(out)
}

/// Writes the text of `kind` (shared by `binder_logs/` and debugfs).
pub(crate) fn render_into(kind: &LogKind, out: &mut dyn Write) -> core::fmt::Result {
    let procs = |r: &Arc<Registry>| r.all().map_err(|_| core::fmt::Error);
    match kind {
        LogKind::State(r) => {
            out.write_str("binder state:\n")?;
            {
                let dead = r.dead_nodes.lock();
                if dead.iter().next().is_some() {
                    out.write_str("dead nodes:\n")?;
                }
                for (_, d) in dead.iter() {
                    write!(
                        out,
                        "  node {}: u{:016x} c{:016x} hs {} hw {} ls 0 lw 0 is {} iw {} tr 1 proc",
                        d.node.id,
                        d.node.ptr,
                        d.node.cookie,
                        d.has_strong as u32,
                        d.has_weak as u32,
                        d.internal_strong,
                        d.refs
                    )?;
                    for p in d.holders.iter() {
                        write!(out, " {}", p)?;
                    }
                    out.write_str("\n")?;
                }
            }
            for p in procs(r)?.iter().rev() {
                p.print(out, true)?;
            }
        }
        LogKind::Stats(r) => {
            out.write_str("binder stats:\n")?;
            crate::stats::print_global(out)?;
            for p in procs(r)?.iter().rev() {
                p.print_stats(out)?;
            }
        }
        LogKind::Transactions(r) => {
            out.write_str("binder transactions:\n")?;
            for p in procs(r)?.iter().rev() {
                p.print(out, false)?;
            }
        }
        LogKind::TransactionLog(r) | LogKind::FailedTransactionLog(r) => {
            let failed = matches!(kind, LogKind::FailedTransactionLog(_));
            for (e, dev) in r.log_entries(failed).map_err(|_| core::fmt::Error)?.iter() {
                let kind = match e.call_type {
                    2 => "reply",
                    1 => "async",
                    _ => "call ",
                };
                writeln!(
                    out,
                    "{}: {} from {}:{} to {}:{} context {} node {} handle {} size {}:{} ret {}/{} l={}",
                    e.debug_id,
                    kind,
                    e.from_proc,
                    e.from_thread,
                    e.to_proc,
                    e.to_thread,
                    core::str::from_utf8(dev.name()).unwrap_or("?"),
                    e.to_node,
                    e.target_handle,
                    e.data_size,
                    e.offsets_size,
                    if e.return_error == crate::uapi::BR_OK { 0 } else { e.return_error },
                    e.return_error_param,
                    e.return_error_line
                )?;
            }
        }
        LogKind::Proc { pid, device } => {
            out.write_str("binder proc state:\n")?;
            for p in procs(&device.registry)?.iter().filter(|p| p.pid == *pid) {
                p.print(out, true)?;
            }
        }
    }
    Ok(())
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
        let data = &snap.text;
        // `*pos` comes from user space (`lseek`, `pread`); the VFS keeps it
        // non-negative. Past the end nothing is read and it stays, as
        // `simple_read_from_buffer`; else `start + n <= len`.
        let start = usize::try_from(*pos).map_err(|_| EINVAL)?.min(data.len());
        let n = (data.len() - start).min(buf.len());
        buf.write_slice(&data[start..start + n])?;
        *pos = pos.saturating_add(i64::try_from(n).map_err(|_| EINVAL)?);
        Ok(n)
    }
}

/// Used by `Dentry` users that only need the type.
#[allow(dead_code)]
type _D = Dentry<BinderFs>;
