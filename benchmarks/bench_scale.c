// SPDX-License-Identifier: GPL-2.0
/*
 * bench_scale.c: the reference-scaling cells of binder_bench (run with
 * `binder_bench refs`).
 *
 * This process publishes up to 50k nodes (local binders) by sending them
 * to "holder" processes in transactions of 1000 BINDER objects each; a
 * holder replies at once and keeps the buffer, so every reference the
 * driver created for it stays alive (the driver allows as many references
 * as there are distinct nodes).
 *
 *   refs_R_call      one holder gets 10, then 1k, 10k and 50k references
 *                   (quick: 10 and 1k); after each step it makes 0-byte calls
 *                   to an echo server for the cell's time: calls_per_s and
 *                   p50/p90/p99/max, as the latency cells
 *   refs_create_N    N references (10k and 50k; quick: 1k) created in a fresh
 *                   holder for existing nodes (they were created for the
 *                   first holder): "total_ms" from the first transaction to
 *                   the last reply, and "per_ref_ns"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_lib.h"

#define CHUNK 1000

static void send_hold(struct bctx *x, uint32_t handle, const struct flat_binder_object *objs,
		      const binder_size_t *offs, long from, long to)
{
	for (long i = from; i < to; i += CHUNK) {
		long k = to - i < CHUNK ? to - i : CHUNK;

		bx_call_free(x, handle, CODE_HOLD, objs + i, k * sizeof(*objs), offs, k);
	}
	bx_flush(x);
}

static const char *count_name(long n, char *buf, size_t len)
{
	if (n >= 1000 && n % 1000 == 0)
		snprintf(buf, len, "%ldk", n / 1000);
	else
		snprintf(buf, len, "%ld", n);
	return buf;
}

void group_refs(int quick, double secs)
{
	static const long full_steps[] = { 10, 1000, 10000, 50000 };
	static const long quick_steps[] = { 10, 1000 };
	const long *steps = quick ? quick_steps : full_steps;
	int nsteps = quick ? 2 : 4, done[2];
	long nmax = steps[nsteps - 1], prev = 0;
	struct budget b = {
		.warm_ns = (uint64_t)(secs * 1e8), .warm_min = 5,
		.run_ns = (uint64_t)(secs * 1e9), .min_calls = 10,
	};
	struct srv_opts so = { .slot = 30, .threads = 1, .map = 1 * MIB };
	struct sink_opts ho = { .slot = 31, .map = 4 * MIB, .holder = 1, .call_slot = 30 };
	struct sink_opts co = { .map = 4 * MIB };
	struct flat_binder_object *objs;
	binder_size_t *offs;
	struct cellmem *m;
	pid_t srv, holder;
	uint32_t hh;
	struct bctx x;
	size_t mlen;
	char name[64], nb[24];

	b.cap = b.run_ns / 4000;
	if (b.cap > 200000)
		b.cap = 200000;
	m = cellmem_new(1, b.cap, &mlen);
	if (pipe(done))
		die("pipe: %s", strerror(errno));
	srv = server_start(&so);
	ho.b = &b;
	ho.m = m;
	ho.done_fd = done[1];
	holder = sink_start(&ho);
	close(done[1]);

	bx_init(&x, bdev_open(1 * MIB), 64 * KIB);
	wb_reserve(&x.w, 256 * KIB);
	hh = cm_get(&x, 31);
	objs = xmalloc(nmax * sizeof(*objs));
	offs = xmalloc(CHUNK * sizeof(*offs));
	memset(objs, 0, nmax * sizeof(*objs));
	for (long i = 0; i < nmax; i++) {
		objs[i].hdr.type = BINDER_TYPE_BINDER;
		objs[i].binder = 0x100000 + 0x10 * (uint64_t)i;
		objs[i].cookie = i;
	}
	for (long i = 0; i < CHUNK; i++)
		offs[i] = i * sizeof(*objs);

	for (int s = 0; s < nsteps; s++) {
		char c;

		send_hold(&x, hh, objs, offs, prev, steps[s]);
		prev = steps[s];
		cellmem_reset(m);
		bx_call_free(&x, hh, CODE_BATCH_END, NULL, 0, NULL, 0);
		bx_flush(&x);
		if (read(done[0], &c, 1) != 1)
			die("refs: the holder failed");
		snprintf(name, sizeof(name), "refs_%s_call", count_name(steps[s], nb, sizeof(nb)));
		if (report_latency(name, m, ""))
			exit(1);
	}

	/* Creation: fresh holders, nodes that exist already. */
	for (int s = 0; s < 2; s++) {
		long n = quick ? (s ? 0 : 1000) : (s ? 50000 : 10000);
		uint64_t t0, t1;
		pid_t p;
		uint32_t h;

		if (!n || n > nmax)
			continue;
		co.slot = 32 + s;
		p = sink_start(&co);
		h = cm_get(&x, co.slot);
		t0 = now_ns();
		send_hold(&x, h, objs, offs, 0, n);
		t1 = now_ns();
		printf("cell name=refs_create_%s n=%ld total_ms=%.2f per_ref_ns=%.0f\n",
		       count_name(n, nb, sizeof(nb)), n, (t1 - t0) / 1e6, (double)(t1 - t0) / n);
		fflush(stdout);
		kill_wait(p);
	}
	kill_wait(holder);
	kill_wait(srv);
	close(x.fd);
	bx_destroy(&x);
	free(objs);
	free(offs);
	shared_free(m, mlen);
}
