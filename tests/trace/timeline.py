#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rust_binder: a per-transaction timeline of binder trace events.

Reads lines "# trace <scenario> <tracefs trace line>" (binder_trace_test's
output, see `make trace`) and prints, per scenario, every transaction with
what happened to it and when (microseconds after it was sent): sent, its
buffer allocated (pages installed), objects translated, received, buffer
freed, done (binder_txn_latency_free) with its latency. With --all, the
whole event list follows each scenario.

Usage: timeline.py [--all] OUTPUT [SCENARIO]
"""
import re
import sys

from tracelog import parse

TID = re.compile(r'\btransaction=(\d+)')


def kv(f):
    return dict(re.findall(r'(\w+)=(\S+)', f))


def main(argv):
    show_all = '--all' in argv
    argv = [a for a in argv if a != '--all']
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    only = argv[1] if len(argv) > 1 else None
    scen = {sc: (roles, [(ts, pid, ev[len('binder_'):], f) for ts, pid, ev, f in evs])
            for sc, (roles, evs) in parse(argv[0]).items()}
    order = list(scen)
    for sc in order:
        if only and sc != only:
            continue
        roles, evs = scen[sc]
        who = lambda pid: '%s:%s' % (roles.get(pid, 'K'), pid)
        names = ', '.join('%s = pid %s' % (r, p) for p, r in sorted(roles.items(), key=lambda x: x[1]))
        print('== scenario %s (%s; %d events)' % (sc, names, len(evs)))
        txns = {}
        pages = {}
        for ts, pid, ev, f in evs:
            m = TID.search(f)
            a = kv(f)
            if ev == 'alloc_page_end':
                pages[pid] = pages.get(pid, 0) + 1
            if not m:
                continue
            t = m.group(1)
            if ev == 'transaction':
                kind = 'reply' if a.get('reply') == '1' else (
                    'one-way' if int(a.get('flags', '0'), 16) & 1 else 'call')
                to = '%s:%s' % (roles.get(a['dest_proc'], 'K'), a['dest_proc'])
                if a.get('dest_thread', '0') != '0':
                    to += '/%s' % a['dest_thread']
                node = '' if a.get('dest_node', '0') == '0' else ' node %s' % a['dest_node']
                txns[t] = {'t0': ts, 'head': '%s %s -> %s%s code %s flags %s' % (
                    kind, who(pid), to, node, a.get('code'), a.get('flags')), 'steps': []}
                pages[pid] = 0
                what = 'sent'
            elif ev == 'transaction_alloc_buf':
                what = 'buffer allocated: %s data + %s offsets + %s extra bytes, %d page(s) installed' % (
                    a['data_size'], a['offsets_size'], a['extra_buffers_size'], pages.get(pid, 0))
            elif ev == 'transaction_received':
                what = 'received'
            elif ev.endswith('buffer_release'):
                what = {'transaction_buffer_release': 'buffer freed',
                        'transaction_failed_buffer_release': 'buffer released (failed)',
                        'transaction_update_buffer_release': 'buffer released (superseded)'}[ev]
            elif ev == 'txn_latency_free':
                what = 'done'
            elif ev.startswith('transaction_'):
                what = '%s: %s' % (ev[len('transaction_'):], f.split(' ', 1)[1] if ' ' in f else '')
            else:
                what = ev
            if t not in txns:
                txns[t] = {'t0': ts, 'head': '(made before the trace)', 'steps': []}
            txns[t]['steps'].append((ts, pid, what))
        for t, d in txns.items():
            print('  transaction %s: %s' % (t, d['head']))
            for ts, pid, what in d['steps']:
                print('    %+10.1f us  %-8s %s' % ((ts - d['t0']) * 1e6, who(pid), what))
            done = [s for s in d['steps'] if s[2] == 'done']
            if done:
                print('    latency %.1f us' % ((done[0][0] - d['t0']) * 1e6))
        fails = [(ts, pid, f) for ts, pid, ev, f in evs
                 if ev == 'return' and ('FAILED_REPLY' in f or 'DEAD_REPLY' in f or 'DEAD_BINDER' in f)]
        for ts, pid, f in fails:
            print('  %s got %s' % (who(pid), f.split()[-1]))
        if show_all:
            t0 = evs[0][0] if evs else 0
            for ts, pid, ev, f in evs:
                print('    %+10.1f us  %-8s %-32s %s' % ((ts - t0) * 1e6, who(pid), ev, f))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
