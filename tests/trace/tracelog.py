# SPDX-License-Identifier: GPL-2.0
"""rust_binder: reads binder_trace_test's output (lines "# trace <scenario>
<tracefs trace line>" and "# trace <scenario> pids C=<pid> S=<pid>") for
compare.py and timeline.py."""
import re

LINE = re.compile(r'^# trace (\S+) (.*)$')
EVENT = re.compile(r'^\s*(.+?)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): (binder_\w+): ?(.*)$')
PIDS = re.compile(r'^pids C=(\d+) S=(\d+)$')


def parse(path):
    """{scenario: (roles, [(timestamp, pid, event, fields)])}, scenarios in
    the order they first appear; roles maps a pid to C (client) or S."""
    out = {}
    with open(path, errors='replace') as f:
        for line in f:
            m = LINE.match(line.rstrip('\n'))
            if not m:
                continue
            sc, rest = m.groups()
            roles, evs = out.setdefault(sc, ({}, []))
            p = PIDS.match(rest)
            if p:
                roles[p.group(1)] = 'C'
                roles[p.group(2)] = 'S'
                continue
            e = EVENT.match(rest)
            if e:
                evs.append((float(e.group(3)), e.group(2), e.group(4), e.group(5)))
    return out
