#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""rust_binder: what TCG pays beyond instructions for one benchmark cell
(scripts/bench-profile.sh CELL SECS tlb): from benchmarks/tcg_tlb.c's two
snapshots around the measured run, per call of the cell: CR3 epochs,
unchained block entries (lookups) and simulated jump-cache misses, simulated
data and code TLB misses at three TLB sizes, the pages touched by region,
and the functions most entered unchained.

Usage: tcg_tlb_report.py SYSTEM_MAP DRV:TLB_FILE:TAP_FILE...
"""
import sys,re,collections,bisect
def load(path):
    snaps=[];cur=None
    for l in open(path):
        p=l.split()
        if p[0]=='snapshot': cur={'pages':{},'targets':collections.Counter(),'tjc':collections.Counter()};snaps.append(cur)
        elif p[0]=='totals': cur['tot']=list(map(int,p[1:]))
        elif p[0]=='sim': cur['sim']=list(map(int,p[1:]))
        elif p[0]=='page': cur['pages'][int(p[1],16)]=(int(p[2]),int(p[3]))
        elif p[0]=='target': a=int(p[1],16); cur['targets'][a]+=int(p[2]); cur['tjc'][a]+=int(p[3])
    return snaps
def calls(tap):
    for l in open(tap):
        m=re.search(r'^cell .*calls=(\d+)',l)
        if m: return int(m.group(1))
def syms(tap):
    s=[]
    for l in open(SYSMAP):
        p=l.split()
        if p[1] in 'tTwW': s.append((int(p[0],16),p[2]))
    for l in open(tap):
        if l.startswith('# ksym:'):
            p=l.split(); s.append((int(p[2],16),p[4]))
    s.sort(); return s
def name(s,a):
    if a<0x800000000000: return 'user'
    i=bisect.bisect_right([x[0] for x in s],a)-1
    return s[i][1] if i>=0 else hex(a)
def modrange(tap):
    a=[int(l.split()[2],16) for l in open(tap) if l.startswith('# ksym:')]
    return min(a),max(a)+4096
def region(a,mr):
    if mr[0]<=a<mr[1]: return 'module'
    if a>=0xffffffff80000000 and a<0xffffffffa0000000: return 'ktext'
    if a>=0xffffffffa0000000: return 'modarea'
    if a<0x800000000000: return 'user'
    if 0xffff888000000000<=a<0xffffc88000000000: return 'directmap'
    if 0xffffc90000000000<=a<0xffffe90000000000: return 'vmalloc'
    if 0xffffea0000000000<=a<0xffffeb0000000000: return 'vmemmap'
    return 'other'
SYSMAP=sys.argv[1]
TOP=15
for run in sys.argv[2:]:
    drv,tlb,tap=run.split(':')
    s=load(tlb); n=calls(tap); mr=modrange(tap)
    a,b=s[0],s[1]
    tot=[(y-x)/n for x,y in zip(a['tot'],b['tot'])]
    sim=[(y-x)/n for x,y in zip(a['sim'],b['sim'])]
    print(f'[{drv}] per call: epochs {tot[0]:.2f} lookups {tot[1]:.1f} jc_misses {sim[0]:.1f} dtlb_miss(256/1k/4k) {sim[1]:.1f}/{sim[2]:.1f}/{sim[3]:.1f} ctlb_miss {sim[4]:.1f}/{sim[5]:.1f}/{sim[6]:.1f}')
    reg=collections.defaultdict(lambda:[0,0])
    for pg,(c,d) in b['pages'].items():
        c0,d0=a['pages'].get(pg,(0,0))
        r=region(pg,mr)
        if c-c0>0: reg[r][0]+=1
        if d-d0>0: reg[r][1]+=1
    print('   pages touched (code/data): '+', '.join(f'{r} {v[0]}/{v[1]}' for r,v in sorted(reg.items())))
    sy=syms(tap)
    fn=collections.Counter(); fj=collections.Counter()
    for t,c in b['targets'].items():
        d=c-a['targets'].get(t,0); fn[name(sy,t)]+=d/n
        fj[name(sy,t)]+=(b['tjc'][t]-a['tjc'].get(t,0))/n
    print('   top lookup targets (per call: lookups, jc misses):')
    for f,c in fn.most_common(TOP): print(f'      {c:7.1f} {fj[f]:6.1f}  {f}')
    print('   top jc-miss targets:')
    for f,c in fj.most_common(TOP): print(f'      {fn[f]:7.1f} {c:6.1f}  {f}')
