// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: a QEMU TCG plugin that counts what a guest's work costs TCG
 * beyond its instructions, for scripts/bench-profile.sh's "tlb" mode.
 *
 * TCG flushes its software TLB and its jump cache whenever the guest writes
 * CR3 (every switch between processes; QEMU models no PCID tags). After that
 * every guest page touched again costs a page-table walk (a TLB fill), and
 * every block reached by a jump TCG can't chain (a return, an indirect call
 * or jump, a jump to another page) costs a hash-table lookup the first time.
 * Two drivers with the same instruction count can differ there: code spread
 * over more pages, more calls to out-of-line helpers, more data pages.
 *
 * Per vCPU, an "epoch" runs from one CR3 write to the next. The plugin
 * counts, for each guest page, how many epochs touched it as code and as
 * data (first touches: each is a TLB fill), and how many unchained block
 * entries there were and how many were the first to their target in their
 * epoch (jump-cache misses). Each time the guest runs the block at "mark"
 * (as tcg_profile.c: the entry of sync(2)), it appends a snapshot:
 *
 *   snapshot N
 *   totals EPOCHS LOOKUPS LOOKUP_MISSES CODE_FILLS DATA_FILLS
 *   sim JC_MISSES DTLB_MISSES(256 1K 4K entries) CODE_TLB_MISSES(same)
 *   page VPAGE CODE_FILLS DATA_FILLS   (pages with a fill so far)
 *   target VADDR LOOKUPS JC_MISSES     (unchained entries to a block)
 *
 *   gcc -shared -fPIC -O2 -o tcg_tlb.so benchmarks/tcg_tlb.c
 *   qemu-system-x86_64 -accel tcg,thread=single \
 *       -plugin ./tcg_tlb.so,out=FILE,mark=0xffffffff81234560 ...
 *
 * Besides the epoch counts, it simulates QEMU's jump cache and its TLB
 * (below), conflicts included: "sim". A model, not QEMU's own counters: it
 * ignores flushes other than CR3's, and QEMU sizes its TLB dynamically.
 * benchmarks/tcg_tlb_report.py prints the difference of two snapshots per
 * call of the cell, and the functions most entered unchained.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

#define MAX_VCPUS 16
#define PAGE_SHIFT 12

/* What a block's translation knew, passed to its exec callback. */
struct tbinfo {
	uint64_t vaddr;
	bool indirect_exit;	/* ends in a return, indirect jump/call, iret or sysret */
};

struct page {
	uint64_t key;		/* vpage << 4 | vcpu, +1 (0: empty) */
	uint64_t code_epoch, data_epoch;
	uint64_t code_fills, data_fills;
};

#define PAGES_LOG 22
#define PAGES (1u << PAGES_LOG)
#define TARGETS_LOG 20
#define TARGETS (1u << TARGETS_LOG)

static struct page *pages;
static struct target {
	uint64_t key, epoch, n, jcm;
} *targets;
/*
 * QEMU 7.2's own caches, simulated: the jump cache (4096 entries per vCPU,
 * indexed by tb_jmp_cache_hash_func(): 64 groups of 64 slots chosen by the
 * page number, so pages whose numbers hash alike share 64 slots) and the
 * softmmu TLB (direct-mapped by page number, one table per MMU mode, here
 * kernel and user addresses, with 8 victim entries), at three sizes since
 * QEMU resizes it at flushes.
 */
#define JC_BITS 12
#define TLB_SIZES 3
#define VICTIMS 8
static const unsigned tlb_bits[TLB_SIZES] = { 8, 10, 12 };

struct tlb {
	uint64_t *main;		/* vpage + 1, 0: empty */
	uint64_t victim[VICTIMS];
	unsigned next_victim;
};

static struct vcpu {
	uint64_t epoch;
	const struct tbinfo *prev;
	uint64_t jc[1u << JC_BITS];
	struct tlb tlb[TLB_SIZES][2];
} vcpus[MAX_VCPUS];
static uint64_t jc_misses, tlb_misses[TLB_SIZES], ctlb_misses[TLB_SIZES];

static unsigned jc_hash(uint64_t pc)
{
	uint64_t tmp = pc ^ (pc >> 6);

	return ((tmp >> 6) & 0xfc0) | (tmp & 0x3f);
}

/* One access to the page of vaddr; true if it missed (a TLB fill). */
static bool tlb_access(struct tlb *t, unsigned bits, uint64_t vaddr)
{
	uint64_t key = (vaddr >> PAGE_SHIFT) + 1;
	uint64_t *slot = &t->main[(vaddr >> PAGE_SHIFT) & ((1u << bits) - 1)];
	unsigned i;

	if (*slot == key)
		return false;
	for (i = 0; i < VICTIMS; i++)
		if (t->victim[i] == key) {
			t->victim[i] = *slot;
			*slot = key;
			return false;
		}
	if (*slot) {
		t->victim[t->next_victim] = *slot;
		t->next_victim = (t->next_victim + 1) % VICTIMS;
	}
	*slot = key;
	return true;
}

static void tlb_flush_all(struct vcpu *v)
{
	unsigned s, m;

	for (s = 0; s < TLB_SIZES; s++)
		for (m = 0; m < 2; m++) {
			if (v->tlb[s][m].main)
				memset(v->tlb[s][m].main, 0, sizeof(uint64_t) << tlb_bits[s]);
			memset(v->tlb[s][m].victim, 0, sizeof(v->tlb[s][m].victim));
		}
	memset(v->jc, 0, sizeof(v->jc));
}

static void tlb_count(struct vcpu *v, uint64_t vaddr, uint64_t *misses)
{
	unsigned s, m = vaddr >> 63;

	for (s = 0; s < TLB_SIZES; s++) {
		if (!v->tlb[s][m].main)
			v->tlb[s][m].main = calloc(1u << tlb_bits[s], sizeof(uint64_t));
		if (v->tlb[s][m].main && tlb_access(&v->tlb[s][m], tlb_bits[s], vaddr))
			misses[s]++;
	}
}
static uint64_t next_epoch = 1;
static uint64_t epochs, lookups, lookup_misses, code_fills, data_fills;
static uint64_t mark;
static FILE *out;
static unsigned snapshots;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t hash(uint64_t k)
{
	return k * 0x9e3779b97f4a7c15ULL;
}

static struct page *page_of(uint64_t vaddr, unsigned vcpu)
{
	uint64_t key = ((vaddr >> PAGE_SHIFT) << 4 | vcpu) + 1;
	unsigned i = hash(key) >> (64 - PAGES_LOG), n;

	for (n = 0; n < PAGES; n++, i = (i + 1) & (PAGES - 1)) {
		struct page *p = &pages[i];

		if (p->key == key)
			return p;
		if (!p->key) {
			p->key = key;
			return p;
		}
	}
	return NULL;
}

static struct vcpu *vcpu_of(unsigned int i)
{
	return &vcpus[i % MAX_VCPUS];
}

static void on_cr3(unsigned int vcpu, void *udata)
{
	(void)udata;
	vcpu_of(vcpu)->epoch = next_epoch++;
	tlb_flush_all(vcpu_of(vcpu));
	epochs++;
}

static void on_block(unsigned int vcpu, void *udata)
{
	const struct tbinfo *t = udata;
	struct vcpu *v = vcpu_of(vcpu);
	struct page *p;

	if (!v->epoch)
		v->epoch = next_epoch++;
	p = page_of(t->vaddr, vcpu);
	if (p && p->code_epoch != v->epoch) {
		p->code_epoch = v->epoch;
		p->code_fills++;
		code_fills++;
	}
	if (!v->prev || v->prev->indirect_exit ||
	    (v->prev->vaddr >> PAGE_SHIFT) != (t->vaddr >> PAGE_SHIFT)) {
		uint64_t key = (t->vaddr << 4 | (vcpu % MAX_VCPUS)) + 1;
		unsigned i = hash(key) >> (64 - TARGETS_LOG), n;

		unsigned j = jc_hash(t->vaddr);
		bool jcm = false;

		lookups++;
		if (v->jc[j] != t->vaddr + 1) {
			v->jc[j] = t->vaddr + 1;
			jc_misses++;
			jcm = true;
			tlb_count(v, t->vaddr, ctlb_misses);
		}
		for (n = 0; n < TARGETS; n++, i = (i + 1) & (TARGETS - 1)) {
			struct target *e = &targets[i];

			if (!e->key)
				e->key = key;
			if (e->key == key) {
				e->n++;
				e->jcm += jcm;
				if (e->epoch != v->epoch) {
					e->epoch = v->epoch;
					lookup_misses++;
				}
				break;
			}
		}
	}
	v->prev = t;
}

static void on_mem(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t vaddr, void *udata)
{
	struct vcpu *v = vcpu_of(vcpu);
	struct page *p = page_of(vaddr, vcpu);

	(void)info;
	(void)udata;
	tlb_count(v, vaddr, tlb_misses);
	if (p && p->data_epoch != v->epoch) {
		p->data_epoch = v->epoch;
		p->data_fills++;
		data_fills++;
	}
}

static void snapshot(unsigned int vcpu, void *udata)
{
	unsigned i;

	(void)vcpu;
	(void)udata;
	pthread_mutex_lock(&lock);
	fprintf(out, "snapshot %u\n", ++snapshots);
	fprintf(out, "totals %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", epochs,
		lookups, lookup_misses, code_fills, data_fills);
	fprintf(out, "sim %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
		jc_misses, tlb_misses[0], tlb_misses[1], tlb_misses[2], ctlb_misses[0],
		ctlb_misses[1], ctlb_misses[2]);
	/* Per page, summed over the vCPUs. */
	for (i = 0; i < PAGES; i++)
		if (pages[i].code_fills || pages[i].data_fills)
			fprintf(out, "page %" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
				((pages[i].key - 1) >> 4) << PAGE_SHIFT, pages[i].code_fills,
				pages[i].data_fills);
	for (i = 0; i < TARGETS; i++)
		if (targets[i].n)
			fprintf(out, "target %" PRIx64 " %" PRIu64 " %" PRIu64 "\n",
				(uint64_t)((targets[i].key - 1) >> 4 |
					   0xf000000000000000ULL * ((targets[i].key - 1) >> 63)),
				targets[i].n, targets[i].jcm);
	fflush(out);
	pthread_mutex_unlock(&lock);
}

/* mov %reg,%cr3 (0f 22 d8+r, maybe after a REX prefix). */
static bool writes_cr3(const uint8_t *b, size_t n)
{
	if (n >= 1 && (b[0] & 0xf0) == 0x40) {
		b++;
		n--;
	}
	return n >= 3 && b[0] == 0x0f && b[1] == 0x22 && (b[2] & 0xf8) == 0xd8;
}

static bool indirect(const uint8_t *b, size_t n)
{
	while (n && ((b[0] & 0xf0) == 0x40 || b[0] == 0x2e || b[0] == 0x3e || b[0] == 0xf3 ||
		     b[0] == 0xf2 || b[0] == 0x66)) {
		b++;
		n--;
	}
	if (!n)
		return false;
	if (b[0] == 0xc3 || b[0] == 0xc2 || b[0] == 0xcf || b[0] == 0xcb || b[0] == 0xca)
		return true;
	if (n >= 2 && b[0] == 0x0f && (b[1] == 0x07 || b[1] == 0x35 || b[1] == 0x05))
		return true;	/* sysret, sysexit, syscall */
	if (n >= 2 && b[0] == 0xff) {
		unsigned reg = (b[1] >> 3) & 7;

		return reg >= 2 && reg <= 5;
	}
	return false;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t n = qemu_plugin_tb_n_insns(tb), i;
	struct tbinfo *t;

	(void)id;
	if (!n)
		return;
	/* Never freed: a block's callbacks may run until the guest ends. */
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	t->vaddr = qemu_plugin_tb_vaddr(tb);
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *b = qemu_plugin_insn_data(insn);
		size_t sz = qemu_plugin_insn_size(insn);

		if (writes_cr3(b, sz))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_cr3, QEMU_PLUGIN_CB_NO_REGS, NULL);
		qemu_plugin_register_vcpu_mem_cb(insn, on_mem, QEMU_PLUGIN_CB_NO_REGS,
						 QEMU_PLUGIN_MEM_RW, NULL);
		if (i == n - 1)
			t->indirect_exit = indirect(b, sz);
	}
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, t);
	if (mark && t->vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, snapshot, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&lock);
	fprintf(out, "end %u snapshots\n", snapshots);
	fclose(out);
	out = NULL;
	pthread_mutex_unlock(&lock);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	const char *path = NULL;
	int i;

	(void)info;
	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			path = argv[i] + 4;
		else if (!strncmp(argv[i], "mark=", 5))
			mark = strtoull(argv[i] + 5, NULL, 16);
		else {
			fprintf(stderr, "tcg_tlb: unknown argument %s (want out=FILE, mark=HEXADDR)\n",
				argv[i]);
			return -1;
		}
	}
	if (!path || !mark) {
		fprintf(stderr, "tcg_tlb: out=FILE and mark=HEXADDR are required\n");
		return -1;
	}
	out = fopen(path, "w");
	pages = calloc(PAGES, sizeof(*pages));
	targets = calloc(TARGETS, sizeof(*targets));
	if (!out || !pages || !targets) {
		perror("tcg_tlb");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
