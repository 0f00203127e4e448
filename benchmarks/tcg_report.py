#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rust_binder: guest instructions per call of a benchmark cell, by function,
from the TCG plugin benchmarks/tcg_profile.c (scripts/bench-profile.sh CELL
SECS insns runs it on both drivers and then this).

    tcg_report.py SYSTEM_MAP LABEL:PROFILE:TAP [LABEL:PROFILE:TAP ...]

PROFILE is the plugin's output (two snapshots: the measured run lies
between them), TAP the guest's output of benchmarks/profile.sh in "insns"
mode (the module's symbols as "# ksym:" lines and the cell's "cell ...
calls=N" line). Prints, per label, the instructions per call in user space,
the kernel and the binder module, then the functions with the most
instructions per call side by side.
"""
import bisect
import re
import subprocess
import sys

USER_TOP = 0x0000800000000000


def read_core_symbols(system_map):
    syms = {}
    with open(system_map) as f:
        for line in f:
            p = line.split()
            if len(p) >= 3 and p[1] in "tTwW":
                syms[int(p[0], 16)] = p[2]
    return syms


def read_module_symbols(tap):
    """The module's functions as the guest listed them ("# ksym:" lines);
    both drivers' modules load at the same address, so each run has its own."""
    syms = {}
    with open(tap, errors="replace") as f:
        for line in f:
            m = re.match(r"# ksym: ([0-9a-f]+) [tTwW] (\S+)\s+\[(\S+)\]", line)
            if m:
                syms[int(m.group(1), 16)] = m.group(2) + " [mod]"
    return syms


def demangle(names):
    """Rust v0 names through c++filt when it knows them; as they are if not."""
    mangled = [n for n in names if n.startswith("_R")]
    if not mangled:
        return {}
    try:
        out = subprocess.run(["c++filt"], input="\n".join(mangled), capture_output=True,
                             text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return {}
    res = {}
    for m, d in zip(mangled, out):
        # Without crate hashes and the crate's own name.
        d = re.sub(r"\[[0-9a-f]+\]", "", d).replace("rust_binder::", "")
        res[m] = d if d and d != m else m
    return res


def read_profile(path):
    """Per block, between the first two snapshots: instructions, calls by
    (calling block, callee), translations, atomic read-modify-writes,
    executions and memory accesses."""
    snaps = []
    cur = None
    with open(path) as f:
        for line in f:
            if line.startswith("snapshot"):
                # execs, callers, then the optional columns trans, locked, mems
                cur = ({}, {}, {}, {}, {})
                snaps.append(cur)
            elif line.startswith("end") or cur is None:
                continue
            elif line.startswith("caller"):
                _, a, b, n = line.split()
                cur[1][(int(a, 16), int(b, 16))] = int(n)
            else:
                cols = line.split()
                key = (int(cols[0], 16), int(cols[1]))
                cur[0][key] = int(cols[2])
                for col, table in zip(cols[3:6], cur[2:]):
                    table[key] = int(col)
    if len(snaps) < 2:
        sys.exit("tcg_report: %s has %d snapshots, want 2" % (path, len(snaps)))
    (b0, e0, t0, _, m0), (b1, e1, t1, l1, m1) = snaps[0], snaps[1]

    def diff(new, old):
        return {k: n - old.get(k, 0) for k, n in new.items() if n > old.get(k, 0)}

    # Block executions (each block entered: chained or looked up).
    execs = diff(b1, b0)
    blocks = {k: n * k[1] for k, n in execs.items()}
    # Atomic read-modify-writes: each block's count per execution.
    atomics = {k: n * l1[k] for k, n in execs.items() if l1.get(k)}
    # Translations in the window: code translated again because its page
    # was written to (or the translation cache was flushed).
    return blocks, diff(e1, e0), diff(t1, t0), atomics, execs, diff(m1, m0)


def read_calls(tap):
    with open(tap, errors="replace") as f:
        for line in f:
            m = re.search(r"^cell name=(\S+) calls=(\d+)", line)
            if m:
                return m.group(1), int(m.group(2))
    sys.exit("tcg_report: no 'cell ... calls=N' line in %s" % tap)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    runs = [a.split(":", 2) for a in sys.argv[2:]]
    core = read_core_symbols(sys.argv[1])
    tables = []
    for label, prof, tap in runs:
        cell, calls = read_calls(tap)
        syms = dict(core)
        syms.update(read_module_symbols(tap))
        addrs = sorted(syms)
        names = [syms[a] for a in addrs]
        pretty = demangle(set(n.split(" ")[0] for n in names))
        by_sym = {}
        tot = {"user": 0, "kernel": 0, "module": 0}
        blocks, edges, trans, atomics, execs, mems = read_profile(prof)

        def where(vaddr, off=False):
            if vaddr < USER_TOP:
                return "[user space]"
            i = bisect.bisect_right(addrs, vaddr) - 1
            if i < 0:
                return "?"
            n = names[i].split(" ")[0]
            n = pretty.get(n, n) + (" [mod]" if names[i].endswith("]") else "")
            return n + ("+%#x" % (vaddr - addrs[i]) if off else "")

        callers = {}
        for (frm, to), n in edges.items():
            callers.setdefault(where(to), []).append((n, where(frm, True)))
        for target, lst in sorted(callers.items()):
            lst.sort(reverse=True)
            print("# callers: %s: %s: %.2f calls per call" % (label, target,
                                                             sum(n for n, _ in lst) / calls))
            for n, frm in lst[:15]:
                print("# callers: %s:    %8.2f  %s" % (label, n / calls, frm[:110]))
        for (vaddr, _), insns in blocks.items():
            if vaddr < USER_TOP:
                tot["user"] += insns
                name = "[user space]"
            else:
                tot["kernel"] += insns
                i = bisect.bisect_right(addrs, vaddr) - 1
                name = names[i] if i >= 0 else "?"
                if name.endswith("]"):
                    tot["module"] += insns
                name = pretty.get(name.split(" ")[0], name.split(" ")[0]) + \
                    (" [mod]" if name.endswith("]") else "")
            by_sym[name] = by_sym.get(name, 0) + insns
        def by_function(counts):
            """Totals (user, kernel, module) and counts by function."""
            per = {"user": 0, "kernel": 0, "module": 0}
            by_fn = {}
            for (vaddr, _), n in counts.items():
                w = where(vaddr)
                per["user" if vaddr < USER_TOP else "kernel"] += n
                if w.endswith("[mod]"):
                    per["module"] += n
                by_fn[w] = by_fn.get(w, 0) + n
            return per, sorted(by_fn.items(), key=lambda x: -x[1])

        _, rows = by_function(trans)
        print("# trans: %s: %.3f translations per call" % (label, sum(trans.values()) / calls))
        for w, n in rows[:12]:
            print("# trans: %s:    %8.3f  %s" % (label, n / calls, w[:100]))
        _, rows = by_function(atomics)
        print("# atomics: %s: %.1f atomic read-modify-writes per call"
              % (label, sum(atomics.values()) / calls))
        for w, n in rows[:20]:
            print("# atomics: %s:    %8.2f  %s" % (label, n / calls, w[:100]))
        for what, counts in (("blocks", execs), ("mems", mems)):
            per, rows = by_function(counts)
            print("# %s: %s: per call: user %.0f, kernel %.0f (module %.0f)"
                  % (what, label, per["user"] / calls, per["kernel"] / calls,
                     per["module"] / calls))
            for w, n in rows[:15]:
                print("# %s: %s:    %8.1f  %s" % (what, label, n / calls, w[:100]))
        print("# insns: %s: cell %s, %d calls; per call: user %.0f, kernel %.0f (module %.0f)"
              % (label, cell, calls, tot["user"] / calls, tot["kernel"] / calls,
                 tot["module"] / calls))
        tables.append((label, calls, by_sym))
    keys = set()
    for _, _, t in tables:
        keys.update(t)
    rows = sorted(keys, key=lambda k: -max(t.get(k, 0) / c for _, c, t in tables))
    print("# insns: %-72s" % "function (instructions per call)" +
          "".join("%12s" % l for l, _, _ in tables))
    for k in rows[:60]:
        print("# insns: %-72s" % k[:72] + "".join("%12.1f" % (t.get(k, 0) / c) for _, c, t in tables))


if __name__ == "__main__":
    main()
