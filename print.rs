// SPDX-License-Identifier: GPL-2.0

//! The text of a process in `binder_logs` and debugfs (`state`,
//! `transactions`, `proc/<pid>`, `stats`), line for line as the C driver's
//! `print_binder_proc` and `print_binder_proc_stats`.

use crate::binderfs::logs::Snapshot;
use crate::process::Process;
use crate::transaction::Transaction;
use crate::uapi::*;
use crate::work::{ErrorKind, Queue, View};
use core::fmt::Write as _;
use core::sync::atomic::Ordering;
use kernel::sync::Arc;

impl Process {
    /// Writes this process as `print_binder_proc` does: everything
    /// (`all`), or only what is in flight.
    pub(crate) fn print(&self, m: &mut dyn core::fmt::Write, all: bool) -> core::fmt::Result {
        let name = core::str::from_utf8(self.device.name()).unwrap_or("?");
        // The body is written under `inner` (a spinlock) into room made
        // before; if it doesn't fit, it starts over with four times more.
        let mut cap = 4096usize;
        let body = loop {
            let mut body = Snapshot::bounded(cap).map_err(|_| core::fmt::Error)?;
            match self.print_body(&mut body, all) {
                Ok(()) => break body,
                Err(_) if body.overflowed() => {
                    cap = body.capacity().checked_mul(4).ok_or(core::fmt::Error)?;
                }
                Err(e) => return Err(e),
            }
        };
        if !all && body.is_empty() {
            return Ok(());
        }
        writeln!(m, "proc {}", self.pid)?;
        writeln!(m, "context {}", name)?;
        m.write_str(body.as_str())
    }

    /// The body of [`Process::print`].
    pub(crate) fn print_body(&self, body: &mut Snapshot, all: bool) -> core::fmt::Result {
        {
            let inner = self.inner.lock();
            for (_, ts) in inner.threads.iter() {
                if !all && ts.stack.is_none() && ts.todo.is_empty() {
                    continue;
                }
                writeln!(
                    body,
                    "  thread {}: l {:02x} need_return {} tr 0",
                    ts.thread.id,
                    ts.looper,
                    ts.thread.need_return.load(Ordering::Relaxed) as u32
                )?;
                let mut cur = ts.stack.clone();
                while let Some(t) = cur {
                    let links = t.links.lock();
                    let (prefix, next) = if links
                        .to_thread
                        .as_ref()
                        .is_some_and(|x| Arc::ptr_eq(x, &ts.thread))
                    {
                        ("    incoming transaction", links.to_parent.clone())
                    } else if links
                        .from
                        .as_ref()
                        .is_some_and(|x| Arc::ptr_eq(x, &ts.thread))
                    {
                        ("    outgoing transaction", links.from_parent.clone())
                    } else {
                        ("    bad transaction", None)
                    };
                    drop(links);
                    print_txn(body, prefix, &t, self.pid)?;
                    cur = next;
                }
                let errors = (
                    ts.thread.return_error.load(Ordering::Relaxed),
                    ts.reply_error,
                );
                print_todo(body, "    pending transaction", &ts.todo, self.pid, errors)?;
            }
            for (_, ns) in inner.nodes.iter() {
                if !all && !ns.has_async {
                    continue;
                }
                write!(
                    body,
                    "  node {}: u{:016x} c{:016x} hs {} hw {} ls {} lw {} is {} iw {} tr 1",
                    ns.node.id,
                    ns.node.ptr,
                    ns.node.cookie,
                    ns.has_strong as u32,
                    ns.has_weak as u32,
                    ns.local_strong,
                    ns.local_weak,
                    ns.internal_strong,
                    ns.refs
                )?;
                if !ns.holders.is_empty() {
                    body.write_str(" proc")?;
                    for p in ns.holders.iter() {
                        write!(body, " {}", p)?;
                    }
                }
                body.write_str("\n")?;
                print_todo(
                    body,
                    "    pending async transaction",
                    &ns.async_todo,
                    self.pid,
                    (BR_OK, BR_OK),
                )?;
            }
        }
        if all {
            let refs = self.refs.lock();
            for (handle, r) in refs.by_handle.iter() {
                let dead = match r.node.owner() {
                    Some(o) if !o.is_dead() => "",
                    _ => "dead ",
                };
                writeln!(
                    body,
                    "  ref {}: desc {} {}node {} s {} w {} d {:016x}",
                    r.node.id,
                    handle,
                    dead,
                    r.node.id,
                    r.strong,
                    r.weak,
                    r.death.is_some() as u64
                )?;
            }
        }
        if let Some(m) = self.mapping.lock().as_ref() {
            m.print_allocated(body)?;
        }
        {
            let inner = self.inner.lock();
            print_todo(
                body,
                "  pending transaction",
                &inner.todo,
                self.pid,
                (BR_OK, BR_OK),
            )?;
            if !inner.delivered_death.is_empty() {
                body.write_str("  has delivered dead binder\n")?;
            }
            if !inner.delivered_freeze.is_empty() {
                body.write_str("  has delivered freeze binder\n")?;
            }
        }
        Ok(())
    }

    /// Writes this process's counters as `print_binder_proc_stats` does.
    pub(crate) fn print_stats(&self, m: &mut dyn core::fmt::Write) -> core::fmt::Result {
        writeln!(m, "proc {}", self.pid)?;
        writeln!(
            m,
            "context {}",
            core::str::from_utf8(self.device.name()).unwrap_or("?")
        )?;
        let mapping = self.mapping.lock();
        let (async_space, buffers, pages, high) =
            mapping.as_ref().map_or((0, 0, (0, 0, 0), 0), |m| m.stats());
        drop(mapping);
        // Counted under `inner` (a spinlock), written after.
        let inner = self.inner.lock();
        let threads = inner.threads.iter().count();
        let requested = (
            inner.requested_threads,
            inner.requested_threads_started,
            inner.max_threads,
        );
        let ready = inner.waiting.len();
        let nodes = inner.nodes.iter().count();
        let mut pending: usize = 0;
        inner.todo.for_each(|w| {
            if matches!(w, View::Transaction(_)) {
                pending += 1;
            }
            Ok(())
        })?;
        drop(inner);
        writeln!(m, "  threads: {}", threads)?;
        writeln!(
            m,
            "  requested threads: {}+{}/{}",
            requested.0, requested.1, requested.2
        )?;
        writeln!(m, "  ready threads {}", ready)?;
        writeln!(m, "  free async space {}", async_space)?;
        writeln!(m, "  nodes: {}", nodes)?;
        let refs = self.refs.lock();
        let (mut n, mut s, mut w): (usize, u32, u32) = (0, 0, 0);
        for (_, r) in refs.by_handle.iter() {
            n += 1;
            // Counts are user-driven u32s: the sums wrap, as C's ints.
            s = r.strong.wrapping_add(s);
            w = r.weak.wrapping_add(w);
        }
        writeln!(m, "  refs: {} s {} w {}", n, s, w)?;
        writeln!(m, "  buffers: {}", buffers)?;
        writeln!(m, "  pages: {}:{}:{}", pages.0, pages.1, pages.2)?;
        writeln!(m, "  pages high watermark: {}", high)?;
        writeln!(m, "  pending transactions: {}", pending)?;
        self.stats.print(m, "  ")
    }
}

/// Writes one transaction as `print_binder_transaction_ilocked` does,
/// printed as part of process `proc_pid`.
fn print_txn(
    m: &mut dyn core::fmt::Write,
    prefix: &str,
    t: &Transaction,
    proc_pid: i32,
) -> core::fmt::Result {
    let (to_tid, buffer) = {
        let links = t.links.lock();
        (links.to_thread.as_ref().map_or(0, |x| x.id), links.buffer())
    };
    let elapsed = (kernel::time::Ktime::ktime_get().to_ns() - t.start_ns) / 1_000_000;
    write!(
        m,
        "{} {}: (____ptrval____) from {}:{} to {}:{} code {:x} flags {:x} pri {} r{} elapsed {}ms",
        prefix,
        t.id,
        t.from_tgid,
        t.from_tid,
        t.to_proc.pid,
        to_tid,
        t.code,
        t.flags,
        t.priority,
        (!t.is_oneway() && !t.is_reply) as u32,
        elapsed
    )?;
    if t.to_proc.pid != proc_pid {
        return m.write_str("\n");
    }
    match buffer {
        None => m.write_str(" buffer free\n"),
        Some(off) => {
            if let Some(n) = &t.target_node {
                write!(m, " node {}", n.id)?;
            }
            writeln!(
                m,
                " size {}:{} offset {:x}",
                t.data_size, t.offsets_size, off
            )
        }
    }
}

/// Writes the work items of a queue as `print_binder_work_ilocked` does;
/// `errors` are the pending return and reply errors of the thread whose
/// queue it is.
fn print_todo(
    m: &mut dyn core::fmt::Write,
    txn_prefix: &str,
    q: &Queue,
    proc_pid: i32,
    errors: (u32, u32),
) -> core::fmt::Result {
    let indent = if txn_prefix.starts_with("    ") {
        "    "
    } else {
        "  "
    };
    q.for_each(|w| match w {
        View::Transaction(t) => print_txn(m, txn_prefix, t, proc_pid),
        View::Error(ErrorKind::Return) => writeln!(m, "{}transaction error: {}", indent, errors.0),
        View::Error(ErrorKind::Reply) => writeln!(m, "{}transaction error: {}", indent, errors.1),
        View::Complete => writeln!(m, "{}transaction complete", indent),
        View::Node(n) => writeln!(
            m,
            "{}node work {}: u{:016x} c{:016x}",
            indent, n.id, n.ptr, n.cookie
        ),
        View::Death(d) if d.clear_done.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared death notification", indent)
        }
        View::Death(d) if d.and_clear.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared dead binder", indent)
        }
        View::Freeze(f) if f.clear.load(Ordering::Relaxed) => {
            writeln!(m, "{}has cleared freeze notification", indent)
        }
        View::Death(_) => writeln!(m, "{}has dead binder", indent),
        View::Freeze(_) => writeln!(m, "{}has frozen binder", indent),
    })
}
