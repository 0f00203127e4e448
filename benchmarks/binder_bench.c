// SPDX-License-Identifier: GPL-2.0
/*
 * binder_bench: a raw-ioctl binder load generator (in the manner of AOSP's
 * binderThroughputTest, written from scratch) that runs the benchmark
 * matrix of `make bench` inside the QEMU guest, against whichever binder
 * driver is loaded, and prints one machine-readable line per cell.
 *
 *   binder_bench [-q] [-t SECS] [-d DEVICE] [-l] [CELL-PREFIX...]
 *
 *   -q         quick mode: a subset with short cells (make bench QUICK=1)
 *   -t SECS    timed phase of each latency cell (default 7, quick 2)
 *   -d DEVICE  binder device (default /dev/binderfs/binder; binderfs must be
 *              mounted and the device created by the caller)
 *   -l         list the cells (of this mode) and exit
 *   CELL-PREFIX  run only the cells whose names start with one of these
 *
 * Set-up: one context manager (named slots, CM_ADD/CM_GET) for the whole
 * run; each cell forks fresh servers and clients. A server publishes one
 * binder and serves it with BC_ENTER_LOOPER threads: it frees the request
 * and sends its (empty) reply in one write, together with the read of the
 * next request. A client frees each reply with its next call, as libbinder
 * does. Every call is timed with CLOCK_MONOTONIC, after a warm-up; a cell's
 * timed phase lasts -t seconds (at least a few calls), so a slow driver
 * makes fewer calls rather than a longer run.
 *
 * Cells ("cell name=... key=value..." lines; times in ns):
 *   sync_pP_S      P client processes, each calling its own server process
 *                  (P = 1, 2, 4) with S-byte requests (0B, 4KiB, 64KiB, 1MiB),
 *                  empty replies: calls_per_s (all clients), p50/p90/p99/max
 *   oneway_S       one sender, one-way calls of S bytes (0B, 4KiB) to a
 *                  server with a 1 MiB mapping (512 KiB async space); a call
 *                  that finds the async space full (BR_FAILED_REPLY) is
 *                  retried (retries=); latency is the sender's, calls_per_s
 *                  counts until the server has received the last one
 *   pipe_4B        round trip of 4 bytes over two pipes: the non-binder floor
 *   threads_tT     T client threads of one process (T = 1, 2, 4, 8) calling
 *                  one server process with 8 looper threads (0-byte calls)
 *   refs_R_call    0-byte calls while the caller holds R references
 *                  (10, 1k, 10k, 50k): bench_scale.c
 *   refs_create_N  time to create N references (10k, 50k): bench_scale.c
 *   mem_*          kernel memory per process, node, reference and queued
 *                  one-way call: bench_mem.c
 *
 * The latency cells but refs and aidl (pipe_4B included) also report what
 * the guest did per timed call (usr_us, sys_us, idle_us, ctxt, intr, migr)
 * and cal_us, the time of a fixed piece of user-space work run after the
 * timed phase: how fast that boot's vCPUs were running (sysload_extra).
 *
 * Between cells the program waits for the CPUs to go idle, so that the
 * deferred clean-up of one cell's processes doesn't run during the next.
 *
 * Under TCG (the project's VM) absolute numbers mean little: only ratios
 * between the two drivers, measured the same way, do. Exit status 1 if a
 * cell failed (its line then says error=...).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <linux/perf_event.h>

#include "bench_lib.h"

static int quick;
static double cell_secs;
static uint8_t *payload;		/* 1 MiB of request data */

struct cell {
	const char *name;
	void (*fn)(const struct cell *c);
	int n;				/* pairs or threads */
	size_t size;			/* request bytes */
	int in_quick;
};

static struct budget cell_budget(double secs)
{
	struct budget b = {
		.warm_ns = (uint64_t)(secs * 1e9 / 10),
		.warm_min = 5,
		.run_ns = (uint64_t)(secs * 1e9),
		.min_calls = 10,
	};

	/*
	 * No call takes less than 4 us in the VM; a million samples at most (a
	 * one-way send takes ~8 us under TCG: 7 s of them fit).
	 */
	b.cap = b.run_ns / 4000;
	if (b.cap > 1000000)
		b.cap = 1000000;
	if (b.cap < 100)
		b.cap = 100;
	return b;
}

/*
 * What the whole guest did during a cell's timed phase, from /proc/stat:
 * CPU time (USER_HZ ticks) by kind, context switches and interrupts; and
 * task migrations between CPUs (a software perf counter per CPU; none if
 * perf events are not there).
 */
struct sysload {
	unsigned long long user, nice, sys, idle, iowait, irq, softirq, ctxt, intr, migr;
};

static struct sysload load0;

#define MAX_MIGR_CPUS 64
static int migr_fd[MAX_MIGR_CPUS];
static int migr_n = -1;

/* Task migrations on all CPUs since the counters were opened (first call). */
static unsigned long long migrations(void)
{
	unsigned long long sum = 0, v;

	if (migr_n < 0) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		migr_n = 0;
		for (long c = 0; c < ncpu && migr_n < MAX_MIGR_CPUS; c++) {
			struct perf_event_attr a = {
				.type = PERF_TYPE_SOFTWARE,
				.size = sizeof(a),
				.config = PERF_COUNT_SW_CPU_MIGRATIONS,
			};
			int fd = syscall(SYS_perf_event_open, &a, -1, (int)c, -1,
					 PERF_FLAG_FD_CLOEXEC);

			if (fd >= 0)
				migr_fd[migr_n++] = fd;
		}
	}
	for (int i = 0; i < migr_n; i++)
		if (read(migr_fd[i], &v, sizeof(v)) == sizeof(v))
			sum += v;
	return sum;
}

static void sysload_read(struct sysload *s)
{
	char line[256];
	FILE *f = fopen("/proc/stat", "r");

	memset(s, 0, sizeof(*s));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "cpu ", 4))
			sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu", &s->user, &s->nice,
			       &s->sys, &s->idle, &s->iowait, &s->irq, &s->softirq);
		else if (!strncmp(line, "ctxt ", 5))
			sscanf(line + 5, "%llu", &s->ctxt);
		else if (!strncmp(line, "intr ", 5))
			sscanf(line + 5, "%llu", &s->intr);
	}
	fclose(f);
	s->migr = migrations();
}

/*
 * A fixed piece of user-space work, the same in every boot and cell: calls
 * through a table of function pointers (TCG can't chain an indirect call or
 * a return: each is a lookup) and a walk over 64 KiB (16 pages: software
 * TLB fills). No system call, no driver: its time says how fast the boot's
 * vCPUs ran user code around the cell (under TCG a whole boot, or part of
 * one, can run slower), so a cell that ran in a slow boot can be told from
 * a slow driver.
 */
#define CAL_ITERS 50000
#define CAL_BYTES (64 * 1024)

static __attribute__((noinline)) uint64_t cal_a(uint64_t x) { return x * 6364136223846793005ull + 1; }
static __attribute__((noinline)) uint64_t cal_b(uint64_t x) { return (x ^ (x >> 29)) + 7; }
static __attribute__((noinline)) uint64_t cal_c(uint64_t x) { return x + (x << 7) + 3; }
static __attribute__((noinline)) uint64_t cal_d(uint64_t x) { return (x >> 3) ^ (x * 31); }

static uint64_t (*const volatile cal_fns[4])(uint64_t) = { cal_a, cal_b, cal_c, cal_d };

/* The best of five runs of the work, in microseconds (an interrupt or a
 * first translation in a run doesn't count; a vCPU that stays slow does). */
static double cal_us(void)
{
	static uint8_t buf[CAL_BYTES];
	volatile uint64_t sink;
	double best = 0, us;

	for (int r = 0; r < 5; r++) {
		uint64_t x = 1, t0 = now_ns();

		for (uint32_t i = 0; i < CAL_ITERS; i++) {
			x = cal_fns[x & 3](x);
			buf[(i * 64) % CAL_BYTES] += (uint8_t)x;
		}
		sink = x;
		(void)sink;
		us = (now_ns() - t0) / 1000.0;
		if (r == 0 || us < best)
			best = us;
	}
	return best;
}

/*
 * Per timed call since load0: guest CPU time in user space and in the
 * kernel (with interrupts), idle time (all CPUs, us), context switches,
 * interrupts and task migrations. A driver that costs CPU shows in sys_us;
 * one whose calls wait (wake-ups, idle CPUs) shows in idle_us and ctxt;
 * one whose wake-ups move threads between CPUs shows in migr. Then cal_us
 * (run here, after the load is read): a slow boot shows there, driver aside.
 */
static void sysload_extra(char *buf, size_t len, const struct cellmem *m, const char *more)
{
	struct sysload s;
	uint64_t calls = 0;
	double us = 1e6 / sysconf(_SC_CLK_TCK);
	size_t n;

	sysload_read(&s);
	for (uint32_t i = 0; i < m->nworkers; i++)
		calls += m->w[i].n;
	if (!calls || !s.ctxt) {
		snprintf(buf, len, "%s", more);
		return;
	}
	snprintf(buf, len, "%s%susr_us=%.1f sys_us=%.1f idle_us=%.1f ctxt=%.2f intr=%.2f", more,
		 *more ? " " : "", (s.user + s.nice - load0.user - load0.nice) * us / calls,
		 (s.sys + s.irq + s.softirq - load0.sys - load0.irq - load0.softirq) * us / calls,
		 (s.idle + s.iowait - load0.idle - load0.iowait) * us / calls,
		 (double)(s.ctxt - load0.ctxt) / calls, (double)(s.intr - load0.intr) / calls);
	if (migr_n > 0) {
		n = strlen(buf);
		snprintf(buf + n, len > n ? len - n : 0, " migr=%.3f",
			 (double)(s.migr - load0.migr) / calls);
	}
	n = strlen(buf);
	snprintf(buf + n, len > n ? len - n : 0, " cal_us=%.1f", cal_us());
}

/* Starts the workers: waits for n "ready" bytes, sets the clock, closes go. */
static int release_workers(struct cellmem *m, const struct budget *b, int ready, int go, int n)
{
	char c;

	for (int i = 0; i < n; i++)
		if (read(ready, &c, 1) != 1)
			return -1;
	sysload_read(&load0);
	m->start_ns = now_ns();
	m->deadline_ns = m->start_ns + b->run_ns;
	close(go);
	return 0;
}

/* Waits for the pids; non-zero if one of them failed. */
static int wait_all(pid_t *pids, int n)
{
	int bad = 0, st;

	for (int i = 0; i < n; i++) {
		if (waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			bad = 1;
	}
	return bad;
}

/* ---- sync_pP_S and oneway_S ---------------------------------------------------- */

static void cell_pairs(const struct cell *c)
{
	int oneway = !strncmp(c->name, "oneway", 6), pairs = c->n, ready[2], go[2], bad;
	struct budget b = cell_budget(cell_secs);
	pid_t srv[MAX_WORKERS], cli[MAX_WORKERS];
	struct cellmem *m;
	char extra[256] = "", retries_s[64] = "";
	size_t mlen;

	m = cellmem_new(pairs, b.cap, &mlen);
	for (int i = 0; i < pairs; i++) {
		struct srv_opts o = {
			.slot = 1 + i,
			.threads = 1,
			/* One-way: libbinder's mapping size, so the async space counts. */
			.map = oneway ? 1 * MIB : 4 * MIB,
			.reply_size = 0,
			.cm = oneway ? m : NULL,
		};

		srv[i] = server_start(&o);
	}
	if (pipe(ready) || pipe(go))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < pairs; i++) {
		cli[i] = xfork();
		if (cli[i] == 0) {
			struct bctx x;
			uint32_t h;

			close(ready[0]);
			close(go[1]);
			bx_init(&x, bdev_open(1 * MIB), 16 * KIB);
			h = cm_get(&x, 1 + i);
			timed_calls(&x, h, payload, c->size, oneway, &b, m, i, ready[1], go[0]);
			exit(0);
		}
	}
	close(ready[1]);
	close(go[0]);
	bad = release_workers(m, &b, ready[0], go[1], pairs);
	close(ready[0]);
	bad |= wait_all(cli, pairs);
	if (oneway && !bad) {
		uint64_t sent = 0, t0 = now_ns(), retries = 0;

		for (int i = 0; i < pairs; i++) {
			sent += m->w[i].warm + m->w[i].n;
			retries += m->w[i].retries;
		}
		while (__atomic_load_n(&m->rx_count, __ATOMIC_ACQUIRE) < sent) {
			if (now_ns() - t0 > 120000000000ull) {
				bad = 1;
				break;
			}
			usleep(1000);
		}
		for (int i = 0; i < pairs; i++)
			m->w[i].end_ns = m->rx_last_ns;
		snprintf(retries_s, sizeof(retries_s), "retries=%llu", (unsigned long long)retries);
	}
	if (!bad)
		sysload_extra(extra, sizeof(extra), m, retries_s);
	if (bad)
		printf("cell name=%s error=worker_failed\n", c->name);
	else
		report_latency(c->name, m, extra);
	for (int i = 0; i < pairs; i++)
		kill_wait(srv[i]);
	shared_free(m, mlen);
	if (bad)
		exit(1);
}

/* ---- pipe_4B ---------------------------------------------------------------------- */

static void pipe_rt(int wfd, int rfd, uint8_t *buf, size_t size)
{
	size_t got = 0;
	ssize_t r;

	if (write(wfd, buf, size) != (ssize_t)size)
		die("pipe write: %s", strerror(errno));
	while (got < size) {
		r = read(rfd, buf + got, size - got);
		if (r <= 0)
			die("pipe read: %s", r ? strerror(errno) : "EOF");
		got += r;
	}
}

static void cell_pipe(const struct cell *c)
{
	struct budget b = cell_budget(cell_secs);
	int req[2], rep[2], ready[2], go[2], bad;
	char extra[256] = "";
	uint8_t buf[64];
	struct cellmem *m;
	pid_t echo, cli;
	size_t mlen;

	if (pipe(req) || pipe(rep))
		die("pipe: %s", strerror(errno));
	m = cellmem_new(1, b.cap, &mlen);
	echo = xfork();
	if (echo == 0) {
		ssize_t r;

		close(req[1]);
		close(rep[0]);
		while ((r = read(req[0], buf, sizeof(buf))) > 0)
			if (write(rep[1], buf, r) != r)
				exit(1);
		exit(0);
	}
	close(req[0]);
	close(rep[1]);
	/* After the echo process: it must not hold the go pipe open. */
	if (pipe(ready) || pipe(go))
		die("pipe: %s", strerror(errno));
	cli = xfork();
	if (cli == 0) {
		uint64_t *lat = m->lat, n = 0, warm = 0, t0, t1 = 0, start = now_ns();
		char ch;

		close(ready[0]);
		close(go[1]);
		memset(buf, 0x5a, sizeof(buf));
		while (warm < b.warm_min || now_ns() - start < b.warm_ns) {
			pipe_rt(req[1], rep[0], buf, c->size);
			warm++;
		}
		m->w[0].warm = warm;
		if (write(ready[1], "r", 1) != 1 || read(go[0], &ch, 1) != 0)
			exit(1);
		for (;;) {
			t0 = now_ns();
			pipe_rt(req[1], rep[0], buf, c->size);
			t1 = now_ns();
			lat[n++] = t1 - t0;
			if (n >= m->cap || (t1 >= m->deadline_ns && n >= b.min_calls))
				break;
		}
		m->w[0].end_ns = t1;
		m->w[0].n = n;
		exit(0);
	}
	close(ready[1]);
	close(go[0]);
	bad = release_workers(m, &b, ready[0], go[1], 1);
	bad |= wait_all(&cli, 1);
	/* What the guest did meanwhile: the same with either driver loaded. */
	if (!bad)
		sysload_extra(extra, sizeof(extra), m, "");
	close(req[1]);
	close(rep[0]);
	kill_wait(echo);
	if (bad)
		printf("cell name=%s error=worker_failed\n", c->name);
	else
		report_latency(c->name, m, extra);
	shared_free(m, mlen);
	if (bad)
		exit(1);
}

/* ---- threads_tT ------------------------------------------------------------------ */

struct tworker {
	int fd, idx, ready, go;
	uint32_t handle;
	const struct budget *b;
	struct cellmem *m;
};

static void *thread_worker(void *arg)
{
	struct tworker *w = arg;
	struct bctx x;

	bx_init(&x, w->fd, 16 * KIB);
	timed_calls(&x, w->handle, payload, 0, 0, w->b, w->m, w->idx, w->ready, w->go);
	bx_destroy(&x);
	return NULL;
}

static void cell_threads(const struct cell *c)
{
	struct budget b = cell_budget(cell_secs);
	struct srv_opts o = { .slot = 1, .threads = 8, .map = 1 * MIB, .reply_size = 0 };
	int ready[2], go[2], bad, nt = c->n;
	char extra[256] = "";
	struct cellmem *m;
	pid_t srv, cli;
	size_t mlen;

	m = cellmem_new(nt, b.cap, &mlen);
	srv = server_start(&o);
	if (pipe(ready) || pipe(go))
		die("pipe: %s", strerror(errno));
	cli = xfork();
	if (cli == 0) {
		struct tworker w[MAX_WORKERS];
		pthread_t th[MAX_WORKERS];
		struct bctx x;
		uint32_t h;
		int fd;

		close(ready[0]);
		close(go[1]);
		fd = bdev_open(1 * MIB);
		bx_init(&x, fd, 4 * KIB);
		h = cm_get(&x, 1);
		for (int i = 0; i < nt; i++) {
			w[i] = (struct tworker){ .fd = fd, .idx = i, .ready = ready[1], .go = go[0],
						 .handle = h, .b = &b, .m = m };
			if (pthread_create(&th[i], NULL, thread_worker, &w[i]))
				die("pthread_create");
		}
		for (int i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
		exit(0);
	}
	close(ready[1]);
	close(go[0]);
	bad = release_workers(m, &b, ready[0], go[1], nt);
	close(ready[0]);
	bad |= wait_all(&cli, 1);
	if (!bad)
		sysload_extra(extra, sizeof(extra), m, "");
	kill_wait(srv);
	if (bad)
		printf("cell name=%s error=worker_failed\n", c->name);
	else
		report_latency(c->name, m, extra);
	shared_free(m, mlen);
	if (bad)
		exit(1);
}

/* ---- groups in other files -------------------------------------------------------- */

static void cell_mem(const struct cell *c)
{
	group_mem(quick);
}

static void cell_refs(const struct cell *c)
{
	group_refs(quick, cell_secs > 5 ? 5 : cell_secs);
}

static const struct cell cells[] = {
	{ "sync_p1_0B", cell_pairs, 1, 0, 1 },
	{ "sync_p1_4KiB", cell_pairs, 1, 4 * KIB, 1 },
	{ "sync_p1_64KiB", cell_pairs, 1, 64 * KIB, 1 },
	{ "sync_p1_1MiB", cell_pairs, 1, 1 * MIB, 0 },
	{ "sync_p2_0B", cell_pairs, 2, 0, 1 },
	{ "sync_p2_4KiB", cell_pairs, 2, 4 * KIB, 0 },
	{ "sync_p2_64KiB", cell_pairs, 2, 64 * KIB, 0 },
	{ "sync_p2_1MiB", cell_pairs, 2, 1 * MIB, 0 },
	{ "sync_p4_0B", cell_pairs, 4, 0, 0 },
	{ "sync_p4_4KiB", cell_pairs, 4, 4 * KIB, 0 },
	{ "sync_p4_64KiB", cell_pairs, 4, 64 * KIB, 0 },
	{ "sync_p4_1MiB", cell_pairs, 4, 1 * MIB, 0 },
	{ "oneway_0B", cell_pairs, 1, 0, 1 },
	{ "oneway_4KiB", cell_pairs, 1, 4 * KIB, 0 },
	{ "pipe_4B", cell_pipe, 1, 4, 1 },
	{ "threads_t1", cell_threads, 1, 0, 0 },
	{ "threads_t2", cell_threads, 2, 0, 1 },
	{ "threads_t4", cell_threads, 4, 0, 0 },
	{ "threads_t8", cell_threads, 8, 0, 0 },
	{ "refs", cell_refs, 0, 0, 1 },
	{ "mem", cell_mem, 0, 0, 1 },
};

static int selected(const char *name, char **filters, int nf)
{
	if (!nf)
		return 1;
	for (int i = 0; i < nf; i++) {
		size_t l = strlen(filters[i]);

		/* "refs_1k" selects the group "refs"; "sync" selects "sync_p1_0B". */
		if (!strncmp(name, filters[i], l) || !strncmp(filters[i], name, strlen(name)))
			return 1;
	}
	return 0;
}

/* Idle and total jiffies of all CPUs, from /proc/stat. */
static void cpu_times(unsigned long long *idle, unsigned long long *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");

	*idle = *total = 0;
	if (!f)
		return;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) == 8) {
		*idle = v[3] + v[4];
		for (int i = 0; i < 8; i++)
			*total += v[i];
	}
	fclose(f);
}

/*
 * Waits (at most 10 s) until the CPUs are idle for 100 ms: the deferred
 * clean-up of the previous cell's processes (a server killed with thousands
 * of queued one-way calls, say) must not run during the next cell.
 */
static void quiesce(const char *after)
{
	uint64_t t0 = now_ns();
	int tries;

	for (tries = 0; tries < 100; tries++) {
		unsigned long long i0, t0j, i1, t1j;

		cpu_times(&i0, &t0j);
		usleep(100000);
		cpu_times(&i1, &t1j);
		if (t1j <= t0j || (i1 - i0) * 100 >= (t1j - t0j) * 95)
			break;
	}
	if (tries)
		printf("# binder_bench: %.1f s for the CPUs to go idle after %s\n",
		       (now_ns() - t0) / 1e9, after);
}

/* Runs one cell (or group) in a child process, with a time limit. */
static int run_cell(const struct cell *c)
{
	pid_t pid = xfork();
	int st;

	if (pid == 0) {
		/* A stuck cell must not hang the boot: SIGALRM ends it. */
		alarm(quick ? 120 : 300);
		c->fn(c);
		exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		printf("cell name=%s error=%s\n", c->name,
		       WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? "timeout" : "failed");
		fflush(stdout);
		return 1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: binder_bench [-q] [-t SECS] [-d DEVICE] [-l] [CELL-PREFIX...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, list = 0, failed = 0, ran = 0;
	uint64_t t0 = now_ns();
	pid_t cm;

	while ((opt = getopt(argc, argv, "qt:d:l")) != -1) {
		switch (opt) {
		case 'q':
			quick = 1;
			break;
		case 't':
			cell_secs = atof(optarg);
			break;
		case 'd':
			bench_dev = optarg;
			break;
		case 'l':
			list = 1;
			break;
		default:
			usage();
		}
	}
	if (cell_secs <= 0)
		cell_secs = quick ? 2 : 7;
	if (list) {
		for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++)
			if (!quick || cells[i].in_quick)
				printf("%s\n", cells[i].name);
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	payload = xmalloc(1 * MIB);
	memset(payload, 0x5a, 1 * MIB);
	printf("# binder_bench: mode=%s cell_secs=%.1f device=%s (TCG: compare only rust/C ratios)\n",
	       quick ? "quick" : "full", cell_secs, bench_dev);
	cm = cm_start();
	quiesce("boot");
	for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
		const struct cell *c = &cells[i];

		if ((quick && !c->in_quick) || !selected(c->name, argv + optind, argc - optind))
			continue;
		ran++;
		failed += run_cell(c);
		quiesce(c->name);
	}
	kill_wait(cm);
	printf("# binder_bench: done cells=%d failed=%d secs=%.1f\n", ran, failed,
	       (now_ns() - t0) / 1e9);
	return failed ? 1 : 0;
}
