// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: a QEMU TCG plugin that counts the guest instructions each
 * translation block executes, for scripts/bench-profile.sh's "insns" mode:
 * where a benchmark cell's instructions go, function by function, in the
 * kernel and the binder module (Rust functions included, which ftrace can't
 * see in 6.12). Instruction counts are exact and repeatable under TCG, unlike
 * its times; they are not cycles (an atomic or a TLB miss costs more).
 *
 * Built on the host against the running QEMU's plugin API (version 1, QEMU
 * 7.2: the few declarations it needs are in qemu_plugin_api.h, so no QEMU
 * headers are needed):
 *
 *   gcc -shared -fPIC -O2 -o tcg_profile.so benchmarks/tcg_profile.c
 *   qemu-system-x86_64 -accel tcg,thread=single \
 *       -plugin ./tcg_profile.so,out=FILE,mark=0xffffffff81234560 ...
 *
 * Each time the guest runs the translation block at address "mark" (the
 * entry of a syscall the guest calls around the measured run, e.g.
 * __x64_sys_sync), the plugin appends a snapshot of every block's count to
 * FILE:
 *
 *   snapshot N
 *   VADDR NINSNS EXECS TRANS LOCKED MEMS
 *
 * (hex address; blocks that ran at least once; TRANS: times translated;
 * LOCKED: the block's atomic read-modify-writes, which TCG runs through
 * out-of-line helpers; MEMS: the loads and stores its executions made, each
 * a software-TLB lookup in TCG's code; so the report can count both per
 * call and function).
 *
 * The difference of two snapshots is the run between the marks. With
 * thread=single the counts are exact (the inline adds don't race).
 *
 * With callers=ADDR+ADDR+... (function entries, hex), every block also
 * remembers that it ran last, and each entry of one of those functions
 * counts the block that ran before it (the caller's block that made the
 * call, but for an interrupt in between): the snapshot then also has
 *
 *   caller PREV_VADDR TARGET_VADDR COUNT
 *
 * That is a callback on every block, several times slower: for finding
 * who calls a helper, not for the instruction counts.
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

/* ---- the counters --------------------------------------------------- */
struct block {
	uint64_t vaddr;
	uint64_t ninsns;	/* 0: empty slot */
	uint64_t execs;
	uint64_t trans;		/* times translated (again: its code was invalidated) */
	uint64_t locked;	/* its atomic read-modify-writes (lock prefix, xchg with memory) */
	uint64_t mems;		/* memory accesses its executions made */
};

#define SLOTS_LOG 20		/* a million blocks: more than a boot translates */
#define SLOTS (1u << SLOTS_LOG)

static struct block *blocks;
static unsigned used;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t mark;
static FILE *out;
static unsigned snapshots;

#define MAX_WATCH 32
#define EDGES 65536
static uint64_t watch[MAX_WATCH];
static unsigned nwatch;
static uint64_t last;		/* the block that ran last (thread=single) */
static struct edge {
	uint64_t from, to, n;
} edges[EDGES];

static bool watched(uint64_t vaddr)
{
	unsigned i;

	for (i = 0; i < nwatch; i++)
		if (watch[i] == vaddr)
			return true;
	return false;
}

static void track(unsigned int vcpu, void *udata)
{
	uint64_t vaddr = (uintptr_t)udata;

	(void)vcpu;
	if (watched(vaddr)) {
		uint64_t h = (last ^ (vaddr << 20)) * 0x9e3779b97f4a7c15ULL;
		unsigned i = h >> 48, n;

		for (n = 0; n < EDGES; n++, i = (i + 1) & (EDGES - 1)) {
			struct edge *e = &edges[i];

			if (e->n && e->from == last && e->to == vaddr) {
				e->n++;
				break;
			}
			if (!e->n) {
				e->from = last;
				e->to = vaddr;
				e->n = 1;
				break;
			}
		}
	}
	last = vaddr;
}

/* The counter of the block at vaddr with ninsns instructions (NULL: full). */
static struct block *find(uint64_t vaddr, uint64_t ninsns)
{
	uint64_t h = (vaddr ^ (ninsns << 48)) * 0x9e3779b97f4a7c15ULL;
	unsigned i = h >> (64 - SLOTS_LOG), n;

	for (n = 0; n < SLOTS; n++, i = (i + 1) & (SLOTS - 1)) {
		struct block *b = &blocks[i];

		if (b->ninsns == ninsns && b->vaddr == vaddr)
			return b;
		if (!b->ninsns) {
			if (used >= SLOTS - SLOTS / 8)
				return NULL;
			used++;
			b->vaddr = vaddr;
			b->ninsns = ninsns;
			return b;
		}
	}
	return NULL;
}

static void snapshot(unsigned int vcpu, void *udata)
{
	unsigned i;

	(void)vcpu;
	(void)udata;
	pthread_mutex_lock(&lock);
	fprintf(out, "snapshot %u\n", ++snapshots);
	for (i = 0; i < SLOTS; i++)
		if (blocks[i].execs)
			fprintf(out, "%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
				" %" PRIu64 "\n",
				blocks[i].vaddr, blocks[i].ninsns, blocks[i].execs, blocks[i].trans,
				blocks[i].locked, blocks[i].mems);
	for (i = 0; i < EDGES; i++)
		if (edges[i].n)
			fprintf(out, "caller %" PRIx64 " %" PRIx64 " %" PRIu64 "\n", edges[i].from,
				edges[i].to, edges[i].n);
	fflush(out);
	pthread_mutex_unlock(&lock);
}

/*
 * Whether the x86 instruction `insn` is an atomic read-modify-write: a lock
 * prefix, or xchg with a memory operand (locked without one). TCG runs each
 * through an out-of-line atomic helper, where plain loads and stores are
 * inline: an atomic costs it several times an ordinary instruction.
 */
static bool is_locked(const struct qemu_plugin_insn *insn)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);
	size_t n = qemu_plugin_insn_size(insn), i;

	for (i = 0; i < n; i++) {
		uint8_t b = p[i];

		if (b == 0xf0)
			return true;
		if (b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x36 || b == 0x3e ||
		    b == 0x26 || b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67 ||
		    (b >= 0x40 && b <= 0x4f))
			continue;
		/* xchg r/m, r with a memory operand (ModRM mod != 3). */
		return (b == 0x86 || b == 0x87) && i + 1 < n && (p[i + 1] >> 6) != 3;
	}
	return false;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t vaddr = qemu_plugin_tb_vaddr(tb);
	uint64_t n = qemu_plugin_tb_n_insns(tb);
	uint64_t locked = 0, i;
	struct block *b;

	(void)id;
	if (!n)
		return;

	for (i = 0; i < n; i++)
		locked += is_locked(qemu_plugin_tb_get_insn(tb, i));
	pthread_mutex_lock(&lock);
	b = find(vaddr, n);
	if (b) {
		b->trans++;
		b->locked = locked;
	}
	pthread_mutex_unlock(&lock);
	if (b) {
		qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->execs, 1);
		/* Each guest load or store through TCG's software TLB. */
		for (i = 0; i < n; i++)
			qemu_plugin_register_vcpu_mem_inline(qemu_plugin_tb_get_insn(tb, i),
							     QEMU_PLUGIN_MEM_RW,
							     QEMU_PLUGIN_INLINE_ADD_U64, &b->mems, 1);
	}
	if (nwatch)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, track, QEMU_PLUGIN_CB_NO_REGS,
						     (void *)(uintptr_t)vaddr);
	if (mark && vaddr == mark)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, snapshot, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *udata)
{
	(void)id;
	(void)udata;
	pthread_mutex_lock(&lock);
	fprintf(out, "end %u snapshots, %u blocks\n", snapshots, used);
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
		else if (!strncmp(argv[i], "callers=", 8)) {
			char *p = argv[i] + 8;

			while (*p && nwatch < MAX_WATCH) {
				watch[nwatch++] = strtoull(p, &p, 16);
				if (*p == '+')
					p++;
			}
		}
		else {
			fprintf(stderr, "tcg_profile: unknown argument %s (want out=FILE, mark=HEXADDR, callers=HEXADDR+...)\n",
				argv[i]);
			return -1;
		}
	}
	if (!path || !mark) {
		fprintf(stderr, "tcg_profile: out=FILE and mark=HEXADDR are required\n");
		return -1;
	}
	out = fopen(path, "w");
	blocks = calloc(SLOTS, sizeof(*blocks));
	if (!out || !blocks) {
		perror("tcg_profile");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
