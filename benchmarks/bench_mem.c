// SPDX-License-Identifier: GPL-2.0
/*
 * bench_mem.c: the memory cells of binder_bench (run with `binder_bench mem`).
 * Kernel memory per binder object, for whichever driver is loaded:
 *
 *   mem_proc_1MiB  per process that opened the device, mapped 1 MiB and
 *                  made one ioctl (so that its binder thread exists)
 *   mem_node       per node (a local binder sent to another process once)
 *   mem_ref        per reference (the same nodes sent to a second process,
 *                  which BC_ACQUIREs each handle and frees the buffer)
 *   mem_oneway     per one-way call (0 bytes) queued at a process that
 *                  doesn't read
 *
 * Each line: "cell name=mem_X n=N bytes=B slab_bytes=S": B is the drop of
 * free pages (from /proc/zoneinfo, the per-cpu page lists included, so
 * pages parked there don't count as used) per object, S the growth of
 * Slab in /proc/meminfo per object. Both are measured around the creation
 * of N objects at once, after letting deferred work settle, with every
 * user buffer touched beforehand; a few pages of noise remain, so small
 * per-object numbers of a few bytes (or below zero) mean "about nothing".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <fcntl.h>

#include "bench_lib.h"

#define CHUNK 1000		/* binder objects per transaction */

struct memsnap {
	long long free_pages;	/* free, and in per-cpu lists */
	long long slab_kb;
};

static void snap(struct memsnap *s)
{
	char line[256];
	long long v;
	FILE *f;

	/* RCU frees, the deferred release of dead processes, ... */
	usleep(300000);
	s->free_pages = 0;
	s->slab_kb = 0;
	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		die("/proc/zoneinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " pages free %lld", &v) == 1)
			s->free_pages += v;
		else if (sscanf(line, " count: %lld", &v) == 1)
			s->free_pages += v;
	}
	fclose(f);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		die("/proc/meminfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Slab: %lld kB", &v) == 1)
			s->slab_kb = v;
	fclose(f);
}

static void mem_line(const char *name, long n, const struct memsnap *a, const struct memsnap *b,
		     double sub_bytes, double sub_slab)
{
	double bytes = (double)(a->free_pages - b->free_pages) * 4096 / n - sub_bytes;
	double slab = (double)(b->slab_kb - a->slab_kb) * 1024 / n - sub_slab;

	printf("cell name=%s n=%ld bytes=%.0f slab_bytes=%.0f\n", name, n, bytes, slab);
	fflush(stdout);
}

/* N processes: open, mmap 1 MiB, BINDER_VERSION; memory before/after. */
static void mem_proc(int n)
{
	int go[2], ready[2];
	struct memsnap a, b;
	pid_t *pids = xmalloc(n * sizeof(*pids));
	char c;

	if (pipe(go) || pipe(ready))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < n; i++) {
		pids[i] = xfork();
		if (pids[i] == 0) {
			struct binder_version v;
			int fd;

			close(go[1]);
			close(ready[0]);
			if (read(go[0], &c, 1) != 0)
				exit(1);
			fd = open(bench_dev, O_RDWR | O_CLOEXEC);
			if (fd < 0 || mmap(NULL, 1 * MIB, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ||
			    ioctl(fd, BINDER_VERSION, &v))
				exit(1);
			if (write(ready[1], "r", 1) != 1)
				exit(1);
			for (;;)
				pause();
		}
	}
	close(go[0]);
	close(ready[1]);
	snap(&a);
	close(go[1]);
	for (int i = 0; i < n; i++)
		if (read(ready[0], &c, 1) != 1)
			die("mem_proc: a child failed");
	snap(&b);
	mem_line("mem_proc_1MiB", n, &a, &b, 0, 0);
	for (int i = 0; i < n; i++)
		kill_wait(pids[i]);
	close(ready[0]);
	free(pids);
}

/* Sends objs[0..n) to `handle` in CHUNK-object transactions with `code`. */
static void send_objs(struct bctx *x, uint32_t handle, uint32_t code,
		      const struct flat_binder_object *objs, const binder_size_t *offs, long n)
{
	for (long i = 0; i < n; i += CHUNK) {
		long k = n - i < CHUNK ? n - i : CHUNK;

		bx_call_free(x, handle, code, objs + i, k * sizeof(*objs), offs, k);
	}
	bx_flush(x);
}

void group_mem(int quick)
{
	/* The same sizes in quick mode: fewer objects would be mostly noise. */
	long nproc = 100, nobj = 10000, nq = 2000;
	struct sink_opts so = { .map = 4 * MIB };
	struct flat_binder_object *objs;
	struct memsnap s0, s1, s2;
	binder_size_t *offs;
	pid_t sb, sc, sd;
	uint32_t hb, hc, hd;
	struct bctx x;
	uint8_t *prime;

	mem_proc(nproc);

	/* mem_node, mem_ref: sinks B and C, this process owns the nodes. */
	so.slot = 40;
	sb = sink_start(&so);
	so.slot = 41;
	sc = sink_start(&so);
	so.slot = 42;
	so.no_read = 1;
	sd = sink_start(&so);
	bx_init(&x, bdev_open(1 * MIB), 64 * KIB);
	wb_reserve(&x.w, 256 * KIB);
	hb = cm_get(&x, 40);
	hc = cm_get(&x, 41);
	hd = cm_get(&x, 42);
	objs = xmalloc(nobj * sizeof(*objs));
	offs = xmalloc(CHUNK * sizeof(*offs));
	memset(objs, 0, nobj * sizeof(*objs));
	for (long i = 0; i < nobj; i++) {
		objs[i].hdr.type = BINDER_TYPE_BINDER;
		objs[i].binder = 0x100000 + 0x10 * (uint64_t)i;
		objs[i].cookie = i;
	}
	for (long i = 0; i < CHUNK; i++)
		offs[i] = i * sizeof(*objs);
	/* The sinks' buffer pages of a whole chunk exist before we measure. */
	prime = xmalloc(CHUNK * (sizeof(*objs) + sizeof(*offs)));
	memset(prime, 0, CHUNK * (sizeof(*objs) + sizeof(*offs)));
	bx_call_free(&x, hb, CODE_PRIME, prime, CHUNK * (sizeof(*objs) + sizeof(*offs)), NULL, 0);
	bx_call_free(&x, hc, CODE_PRIME, prime, CHUNK * (sizeof(*objs) + sizeof(*offs)), NULL, 0);
	bx_flush(&x);

	snap(&s0);
	send_objs(&x, hb, CODE_ACQUIRE, objs, offs, nobj);	/* nodes + refs */
	snap(&s1);
	send_objs(&x, hc, CODE_ACQUIRE, objs, offs, nobj);	/* refs only */
	snap(&s2);
	mem_line("mem_ref", nobj, &s1, &s2, 0, 0);
	mem_line("mem_node", nobj, &s0, &s1,
		 (double)(s1.free_pages - s2.free_pages) * 4096 / nobj,
		 (double)(s2.slab_kb - s1.slab_kb) * 1024 / nobj);

	/* mem_oneway: nq one-way calls queued at D, which never reads. */
	snap(&s0);
	for (long i = 0; i < nq; i++) {
		struct binder_transaction_data t;
		uint32_t cmd;

		bx_txn(&x, BC_TRANSACTION, hd, CODE_CALL, TF_ONE_WAY, NULL, 0, NULL, 0);
		cmd = bx_next(&x, &t);
		if (cmd != BR_TRANSACTION_COMPLETE)
			die("mem_oneway: call %ld: BR %#x", i, cmd);
	}
	snap(&s1);
	mem_line("mem_oneway", nq, &s0, &s1, 0, 0);

	kill_wait(sb);
	kill_wait(sc);
	kill_wait(sd);
	close(x.fd);
	bx_destroy(&x);
	free(objs);
	free(offs);
	free(prime);
}
