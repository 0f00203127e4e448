#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rust_binder: compare the binder trace events of two drivers.

Reads the output of binder_trace_test (tests/kselftest/binder) run on the C
driver (the oracle) and on rust_binder, normalises every scenario's trace
and prints TAP: one test per scenario, "ok" when the sequences of events
and their fields are the same, else the first differences as comments.

Normalised: the task and pid of each line become the scenario's role (C
the client, S the context manager, K anything else, e.g. a kworker);
pids in fields likewise; debug ids (transaction=, dest_node=, node=)
become T1, T2... in order of first appearance; references' debug ids
become R (rust_binder has no per-reference ids and prints the node's);
ioctl arguments (user stack addresses) become A. Timestamps and CPUs go.

Usage: compare.py C_OUTPUT RUST_OUTPUT     (also: --show OUTPUT [SCENARIO])
"""
import difflib
import re
import sys

from tracelog import parse


def normalise(roles, evs):
    ids = {}

    def did(v):
        if v == '0':
            return '0'
        if v not in ids:
            ids[v] = 'T%d' % (len(ids) + 1)
        return ids[v]

    def pid(v):
        return '0' if v == '0' else roles.get(v, 'K')

    res = []
    for _, p, ev, f in evs:
        f = re.sub(r'\b(transaction|dest_node|node)=(-?\d+)',
                   lambda m: '%s=%s' % (m.group(1), did(m.group(2))), f)
        f = re.sub(r'\b(src_ref|dest_ref)=(-?\d+)', r'\1=R', f)
        f = re.sub(r'\b(dest_proc|dest_thread|proc)=(\d+)',
                   lambda m: '%s=%s' % (m.group(1), pid(m.group(2))), f)
        f = re.sub(r'from (\d+):(\d+) to (\d+):(\d+)',
                   lambda m: 'from %s:%s to %s:%s' % tuple(pid(x) for x in m.groups()), f)
        f = re.sub(r'\barg=0x[0-9a-f]+', 'arg=A', f)
        res.append('%s %s %s' % (pid(p), ev, f.strip()))
    return res


def main(argv):
    if len(argv) >= 2 and argv[0] == '--show':
        data = parse(argv[1])
        for sc, (roles, evs) in data.items():
            if len(argv) > 2 and sc != argv[2]:
                continue
            print('== %s' % sc)
            for l in normalise(roles, evs):
                print(l)
        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    c, r = parse(argv[0]), parse(argv[1])
    n = fail = 0
    for sc in c:
        n += 1
        a = normalise(*c[sc])
        b = normalise(*r[sc]) if sc in r else []
        if a == b and a:
            print('ok %d - trace %s: rust_binder\'s %d events match the C driver\'s' % (n, sc, len(a)))
            continue
        fail += 1
        print('not ok %d - trace %s: events differ from the C driver\'s (%d vs %d)' % (n, sc, len(a), len(b)))
        for d in list(difflib.unified_diff(a, b, 'c', 'rust', n=2, lineterm=''))[:60]:
            print('# ' + d)
    if not c:
        n += 1
        fail += 1
        print('not ok %d - trace: no scenario in %s' % (n, argv[0]))
    print('1..%d' % n)
    return 1 if fail else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
