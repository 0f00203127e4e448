// SPDX-License-Identifier: GPL-2.0
/*
 * bench_lib.c: the binder protocol helpers of the benchmarks (see
 * bench_lib.h). Not a program of its own: linked into binder_bench.
 *
 * Conventions, as libbinder: commands queued in a struct bctx go out with
 * the next BINDER_WRITE_READ (a server's BC_FREE_BUFFER + BC_REPLY in the
 * same write as the read of the next request; a client's BC_FREE_BUFFER of
 * the previous reply in the same write as its next BC_TRANSACTION);
 * BR_INCREFS/BR_ACQUIRE are answered with BC_INCREFS_DONE/BC_ACQUIRE_DONE
 * in the next write.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_lib.h"

const char *bench_dev = "/dev/binderfs/binder";

void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "binder_bench[%d]: ", getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

void *shared_alloc(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap shared %zu: %s", n, strerror(errno));
	return p;
}

void shared_free(void *p, size_t n)
{
	munmap(p, n);
}

/* Opens the benchmark's binder device and maps `map` bytes of it. */
int bdev_open(size_t map)
{
	int fd = open(bench_dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", bench_dev, strerror(errno));
	if (mmap(NULL, map, PROT_READ, MAP_PRIVATE | MAP_NORESERVE, fd, 0) == MAP_FAILED)
		die("mmap %zu of %s: %s", map, bench_dev, strerror(errno));
	return fd;
}

/* Buffers are touched here, so that later page faults don't count. */
void bx_init(struct bctx *x, int fd, size_t rsize)
{
	memset(x, 0, sizeof(*x));
	x->fd = fd;
	x->rsize = rsize;
	x->r = xmalloc(rsize);
	memset(x->r, 0, rsize);
	wb_reserve(&x->w, 4 * KIB);
}

void bx_destroy(struct bctx *x)
{
	free(x->r);
	free(x->w.b);
	x->r = NULL;
	x->w.b = NULL;
}

void wb_reserve(struct wbuf *w, size_t cap)
{
	if (cap <= w->cap)
		return;
	w->b = realloc(w->b, cap);
	if (!w->b)
		die("out of memory (write buffer %zu)", cap);
	memset(w->b + w->cap, 0, cap - w->cap);
	w->cap = cap;
}

void wb_put(struct wbuf *w, const void *p, size_t n)
{
	if (w->n + n > w->cap)
		wb_reserve(w, 2 * (w->n + n));
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

void wb_u32(struct wbuf *w, uint32_t v)
{
	wb_put(w, &v, 4);
}

void wb_u64(struct wbuf *w, uint64_t v)
{
	wb_put(w, &v, 8);
}

/* Queues a BC_TRANSACTION or BC_REPLY; data and offs must stay valid until written. */
void bx_txn(struct bctx *x, uint32_t cmd, uint32_t handle, uint32_t code, uint32_t flags,
	    const void *data, size_t size, const binder_size_t *offs, size_t noffs)
{
	struct binder_transaction_data tr;

	memset(&tr, 0, sizeof(tr));
	tr.target.handle = handle;
	tr.code = code;
	tr.flags = flags;
	tr.data_size = size;
	tr.offsets_size = noffs * sizeof(binder_size_t);
	tr.data.ptr.buffer = (uintptr_t)data;
	tr.data.ptr.offsets = (uintptr_t)offs;
	wb_u32(&x->w, cmd);
	wb_put(&x->w, &tr, sizeof(tr));
}

void bx_free(struct bctx *x, binder_uintptr_t buf)
{
	wb_u32(&x->w, BC_FREE_BUFFER);
	wb_u64(&x->w, buf);
}

/* One BINDER_WRITE_READ: the queued commands, and a read if `rd`. */
static void bx_io(struct bctx *x, int rd)
{
	struct binder_write_read bwr = {
		.write_size = x->w.n,
		.write_buffer = (uintptr_t)x->w.b,
		.read_size = rd ? x->rsize : 0,
		.read_buffer = (uintptr_t)x->r,
	};
	int ret;

	ret = ioctl(x->fd, BINDER_WRITE_READ, &bwr);
	if (ret < 0 && errno != EINTR && errno != EAGAIN)
		die("BINDER_WRITE_READ: %s", strerror(errno));
	if (bwr.write_consumed) {
		memmove(x->w.b, x->w.b + bwr.write_consumed, x->w.n - bwr.write_consumed);
		x->w.n -= bwr.write_consumed;
	}
	if (rd) {
		x->rpos = 0;
		x->rlen = bwr.read_consumed;
	}
}

/* Writes every queued command, reads nothing. */
void bx_flush(struct bctx *x)
{
	int tries = 0;

	while (x->w.n) {
		bx_io(x, 0);
		if (++tries > 1000)
			die("BINDER_WRITE_READ leaves %zu bytes unwritten", x->w.n);
	}
}

/*
 * The next BR_ return that matters to the caller: BR_TRANSACTION, BR_REPLY
 * (*t filled in), BR_TRANSACTION_COMPLETE, BR_FAILED_REPLY, BR_DEAD_REPLY
 * and the other errors of a transaction. Reference-count requests are
 * answered in the next write; BR_NOOP and friends are skipped.
 */
uint32_t bx_next(struct bctx *x, struct binder_transaction_data *t)
{
	for (;;) {
		uint32_t cmd;
		size_t sz;
		const uint8_t *p;

		if (x->rpos >= x->rlen) {
			bx_io(x, 1);
			continue;
		}
		if (x->rlen - x->rpos < 4)
			die("read buffer: %zu stray bytes", x->rlen - x->rpos);
		memcpy(&cmd, x->r + x->rpos, 4);
		x->rpos += 4;
		sz = _IOC_SIZE(cmd);
		if (x->rlen - x->rpos < sz)
			die("read buffer: BR %#x truncated", cmd);
		p = x->r + x->rpos;
		x->rpos += sz;
		switch (cmd) {
		case BR_NOOP:
		case BR_SPAWN_LOOPER:
		case BR_OK:
		case BR_FINISHED:
		case BR_RELEASE:
		case BR_DECREFS:
			break;
		case BR_INCREFS:
			wb_u32(&x->w, BC_INCREFS_DONE);
			wb_put(&x->w, p, sizeof(struct binder_ptr_cookie));
			break;
		case BR_ACQUIRE:
			wb_u32(&x->w, BC_ACQUIRE_DONE);
			wb_put(&x->w, p, sizeof(struct binder_ptr_cookie));
			break;
		case BR_TRANSACTION:
		case BR_REPLY:
			memcpy(t, p, sizeof(*t));
			return cmd;
		case BR_TRANSACTION_COMPLETE:
		case BR_FAILED_REPLY:
		case BR_DEAD_REPLY:
		case BR_FROZEN_REPLY:
		case BR_ONEWAY_SPAM_SUSPECT:
		case BR_TRANSACTION_PENDING_FROZEN:
			return cmd;
		case BR_ERROR: {
			int32_t e;

			memcpy(&e, p, 4);
			die("BR_ERROR %d", e);
		}
		default:
			die("unexpected BR %#x", cmd);
		}
	}
}

/* A synchronous transaction: BR_REPLY (reply filled in) or the error BR_. */
uint32_t bx_call(struct bctx *x, uint32_t handle, uint32_t code, const void *data, size_t size,
		 const binder_size_t *offs, size_t noffs, struct binder_transaction_data *reply)
{
	bx_txn(x, BC_TRANSACTION, handle, code, TF_ACCEPT_FDS, data, size, offs, noffs);
	for (;;) {
		uint32_t cmd = bx_next(x, reply);

		if (cmd == BR_TRANSACTION_COMPLETE)
			continue;
		if (cmd == BR_TRANSACTION)
			die("unexpected incoming transaction during a call");
		return cmd;
	}
}

/* bx_call that must succeed; the reply is freed (with the next write). */
void bx_call_free(struct bctx *x, uint32_t handle, uint32_t code, const void *data,
		  size_t size, const binder_size_t *offs, size_t noffs)
{
	struct binder_transaction_data r;
	uint32_t cmd = bx_call(x, handle, code, data, size, offs, noffs, &r);

	if (cmd != BR_REPLY)
		die("call code %u to handle %u failed: BR %#x", code, handle, cmd);
	bx_free(x, r.data.ptr.buffer);
}

/* fork(); the child dies with its parent (a failed cell leaves nothing behind). */
pid_t xfork(void)
{
	pid_t ppid = getpid(), pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != ppid)
			_exit(1);
	}
	return pid;
}

/* ---- context manager ------------------------------------------------------- */

#define CM_SLOTS 64

struct cm_add_msg {
	uint32_t slot, pad;
	struct flat_binder_object obj;
};

static void cm_main(int ready)
{
	static uint32_t handles[CM_SLOTS];
	static struct flat_binder_object rep;
	static const binder_size_t rep_off[1] = { 0 };
	struct binder_transaction_data t;
	struct bctx x;
	int fd = bdev_open(1 * MIB), tries = 0;

	while (ioctl(fd, BINDER_SET_CONTEXT_MGR, 0)) {
		/* The previous context manager may still be being released. */
		if (errno != EBUSY || ++tries > 500)
			die("BINDER_SET_CONTEXT_MGR: %s", strerror(errno));
		usleep(20000);
	}
	bx_init(&x, fd, 16 * KIB);
	wb_u32(&x.w, BC_ENTER_LOOPER);
	if (write(ready, "r", 1) != 1)
		exit(1);
	close(ready);
	for (;;) {
		const uint8_t *d;
		uint32_t slot;

		if (bx_next(&x, &t) != BR_TRANSACTION)
			continue;
		d = (const uint8_t *)(uintptr_t)t.data.ptr.buffer;
		if (t.data_size < 4) {
			bx_free(&x, t.data.ptr.buffer);
			if (!(t.flags & TF_ONE_WAY))
				bx_txn(&x, BC_REPLY, 0, 0, 0, NULL, 0, NULL, 0);
			continue;
		}
		memcpy(&slot, d, 4);
		slot %= CM_SLOTS;
		if (t.code == CM_ADD && t.data_size >= sizeof(struct cm_add_msg)) {
			struct cm_add_msg m;

			memcpy(&m, d, sizeof(m));
			if (m.obj.hdr.type != BINDER_TYPE_HANDLE)
				die("cm: CM_ADD without a handle");
			wb_u32(&x.w, BC_ACQUIRE);
			wb_u32(&x.w, m.obj.handle);
			if (handles[slot]) {
				wb_u32(&x.w, BC_RELEASE);
				wb_u32(&x.w, handles[slot]);
			}
			handles[slot] = m.obj.handle;
			bx_free(&x, t.data.ptr.buffer);
			bx_txn(&x, BC_REPLY, 0, 0, 0, NULL, 0, NULL, 0);
		} else if (t.code == CM_GET && handles[slot]) {
			memset(&rep, 0, sizeof(rep));
			rep.hdr.type = BINDER_TYPE_HANDLE;
			rep.handle = handles[slot];
			bx_free(&x, t.data.ptr.buffer);
			bx_txn(&x, BC_REPLY, 0, 0, 0, &rep, sizeof(rep), rep_off, 1);
			/* Now: rep is reused for the next request. */
			bx_flush(&x);
		} else {
			bx_free(&x, t.data.ptr.buffer);
			bx_txn(&x, BC_REPLY, 0, 0, 0, NULL, 0, NULL, 0);
		}
	}
}

/*
 * Forks a child running child_main(arg, ready_fd), which writes a byte to
 * ready_fd once it is set up; returns the child's pid once it has (what
 * names the child in the error).
 */
static pid_t fork_ready(void (*child_main)(const void *arg, int ready), const void *arg,
			const char *what)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		die("pipe: %s", strerror(errno));
	pid = xfork();
	if (pid == 0) {
		close(p[0]);
		child_main(arg, p[1]);
		exit(0);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		die("%s did not start", what);
	close(p[0]);
	return pid;
}

static void cm_child(const void *arg, int ready)
{
	cm_main(ready);
}

/* Forks the context manager; returns once it is registered. */
pid_t cm_start(void)
{
	return fork_ready(cm_child, NULL, "the context manager");
}

/* Publishes the local binder `ptr` in slot `slot`. */
void cm_add(struct bctx *x, uint32_t slot, uint64_t ptr)
{
	static const binder_size_t off[1] = { offsetof(struct cm_add_msg, obj) };
	struct cm_add_msg m;

	memset(&m, 0, sizeof(m));
	m.slot = slot;
	m.obj.hdr.type = BINDER_TYPE_BINDER;
	m.obj.binder = ptr;
	m.obj.cookie = ptr;
	bx_call_free(x, 0, CM_ADD, &m, sizeof(m), off, 1);
	bx_flush(x);
}

/* The handle of slot `slot`, with a strong reference of our own. */
uint32_t cm_get(struct bctx *x, uint32_t slot)
{
	struct binder_transaction_data r;
	struct flat_binder_object o;
	uint32_t cmd;

	cmd = bx_call(x, 0, CM_GET, &slot, sizeof(slot), NULL, 0, &r);
	if (cmd != BR_REPLY)
		die("CM_GET %u: BR %#x", slot, cmd);
	if (r.data_size < sizeof(o))
		die("CM_GET %u: nothing published there", slot);
	memcpy(&o, (const void *)(uintptr_t)r.data.ptr.buffer, sizeof(o));
	if (o.hdr.type != BINDER_TYPE_HANDLE)
		die("CM_GET %u: object type %#x", slot, o.hdr.type);
	wb_u32(&x->w, BC_ACQUIRE);
	wb_u32(&x->w, o.handle);
	bx_free(x, r.data.ptr.buffer);
	bx_flush(x);
	return o.handle;
}

/* ---- echo servers ------------------------------------------------------------ */

struct srv_thread {
	int fd;
	const struct srv_opts *o;
	const void *reply;
};

static void *srv_loop(void *arg)
{
	const struct srv_thread *st = arg;
	struct cellmem *m = st->o->cm;
	struct binder_transaction_data t;
	struct bctx x;

	bx_init(&x, st->fd, 16 * KIB);
	wb_u32(&x.w, BC_ENTER_LOOPER);
	for (;;) {
		if (bx_next(&x, &t) != BR_TRANSACTION)
			continue;
		bx_free(&x, t.data.ptr.buffer);
		if (t.flags & TF_ONE_WAY) {
			if (m) {
				__atomic_store_n(&m->rx_last_ns, now_ns(), __ATOMIC_RELAXED);
				__atomic_add_fetch(&m->rx_count, 1, __ATOMIC_RELEASE);
			}
			continue;
		}
		bx_txn(&x, BC_REPLY, 0, 0, 0, st->reply, st->o->reply_size, NULL, 0);
	}
	return NULL;
}

static void srv_child(const void *arg, int ready)
{
	const struct srv_opts *o = arg;
	struct srv_thread st = { .o = o };
	struct bctx x;

	st.fd = bdev_open(o->map);
	st.reply = xmalloc(o->reply_size);
	memset((void *)st.reply, 0, o->reply_size);
	bx_init(&x, st.fd, 4 * KIB);
	cm_add(&x, o->slot, 0x1000 + 0x100 * (uint64_t)o->slot);
	bx_destroy(&x);
	for (int i = 1; i < o->threads; i++) {
		pthread_t th;

		if (pthread_create(&th, NULL, srv_loop, &st))
			die("pthread_create");
	}
	if (write(ready, "r", 1) != 1)
		exit(1);
	close(ready);
	srv_loop(&st);
}

/* Forks an echo server (o->threads loopers); returns once it is published. */
pid_t server_start(const struct srv_opts *o)
{
	char what[64];

	snprintf(what, sizeof(what), "server for slot %u", o->slot);
	return fork_ready(srv_child, o, what);
}

void kill_wait(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ---- sinks ------------------------------------------------------------------ */

static void sink_main(const struct sink_opts *o, int ready)
{
	struct binder_transaction_data t;
	uint32_t call_handle = 0;
	struct bctx x;
	int fd = bdev_open(o->map);

	bx_init(&x, fd, 64 * KIB);
	wb_reserve(&x.w, 256 * KIB);
	if (o->holder)
		call_handle = cm_get(&x, o->call_slot);
	cm_add(&x, o->slot, 0x2000 + 0x100 * (uint64_t)o->slot);
	if (write(ready, "r", 1) != 1)
		exit(1);
	close(ready);
	if (o->no_read) {
		/* Until killed: what is sent to us stays queued. */
		for (;;)
			pause();
	}
	wb_u32(&x.w, BC_ENTER_LOOPER);
	for (;;) {
		const uint8_t *d;
		const binder_size_t *offs;
		size_t n;

		if (bx_next(&x, &t) != BR_TRANSACTION)
			continue;
		if (t.code == CODE_HOLD) {
			/* The buffer, and so every reference it made, stays. */
			bx_txn(&x, BC_REPLY, 0, 0, 0, NULL, 0, NULL, 0);
			continue;
		}
		if (t.code == CODE_ACQUIRE) {
			d = (const uint8_t *)(uintptr_t)t.data.ptr.buffer;
			offs = (const binder_size_t *)(uintptr_t)t.data.ptr.offsets;
			n = t.offsets_size / sizeof(binder_size_t);
			for (size_t i = 0; i < n; i++) {
				struct flat_binder_object fo;

				memcpy(&fo, d + offs[i], sizeof(fo));
				if (fo.hdr.type != BINDER_TYPE_HANDLE)
					continue;
				wb_u32(&x.w, BC_ACQUIRE);
				wb_u32(&x.w, fo.handle);
			}
		}
		bx_free(&x, t.data.ptr.buffer);
		if (!(t.flags & TF_ONE_WAY))
			bx_txn(&x, BC_REPLY, 0, 0, 0, NULL, 0, NULL, 0);
		if (t.code == CODE_BATCH_END && o->holder) {
			bx_flush(&x);
			timed_calls(&x, call_handle, NULL, 0, 0, o->b, o->m, 0, -1, -1);
			if (write(o->done_fd, "d", 1) != 1)
				exit(1);
		}
	}
}

static void sink_child(const void *arg, int ready)
{
	sink_main(arg, ready);
}

/* Forks a sink; returns once it is published. */
pid_t sink_start(const struct sink_opts *o)
{
	char what[64];

	snprintf(what, sizeof(what), "sink for slot %u", o->slot);
	return fork_ready(sink_child, o, what);
}

/* ---- timed calls ------------------------------------------------------------- */

struct cellmem *cellmem_new(uint32_t nworkers, uint64_t cap, size_t *len)
{
	struct cellmem *m;

	*len = sizeof(*m) + nworkers * cap * sizeof(uint64_t);
	m = shared_alloc(*len);
	m->nworkers = nworkers;
	m->cap = cap;
	return m;
}

/*
 * One call as libbinder makes it: the previous reply's BC_FREE_BUFFER goes
 * out with this BC_TRANSACTION. One-way: until the driver takes it
 * (BR_TRANSACTION_COMPLETE); BR_FAILED_REPLY (async space full) is retried.
 */
static void one_call(struct bctx *x, uint32_t handle, const void *data, size_t size, int oneway,
		     binder_uintptr_t *prev, uint64_t *retries)
{
	struct binder_transaction_data t;
	uint32_t cmd;

	if (oneway) {
		for (;;) {
			bx_txn(x, BC_TRANSACTION, handle, CODE_CALL, TF_ONE_WAY, data, size, NULL, 0);
			do
				cmd = bx_next(x, &t);
			while (cmd == BR_ONEWAY_SPAM_SUSPECT);
			if (cmd == BR_TRANSACTION_COMPLETE)
				return;
			if (cmd != BR_FAILED_REPLY)
				die("one-way call: BR %#x", cmd);
			(*retries)++;
			sched_yield();
		}
	}
	if (*prev)
		bx_free(x, *prev);
	cmd = bx_call(x, handle, CODE_CALL, data, size, NULL, 0, &t);
	if (cmd != BR_REPLY)
		die("call of %zu bytes: BR %#x", size, cmd);
	*prev = t.data.ptr.buffer;
}

/*
 * A worker's calls: warm-up, "ready" on ready_fd, wait until go_fd is closed,
 * then calls until m->deadline_ns (at least b->min_calls, at most m->cap);
 * latencies (CLOCK_MONOTONIC around each call) into m->lat.
 */
void timed_calls(struct bctx *x, uint32_t handle, const void *data, size_t size, int oneway,
		 const struct budget *b, struct cellmem *m, int idx, int ready_fd, int go_fd)
{
	uint64_t *lat = m->lat + (uint64_t)idx * m->cap;
	uint64_t n = 0, retries = 0, warm = 0, t0, t1 = 0, start = now_ns(), deadline;
	binder_uintptr_t prev = 0;
	char c;

	while (warm < b->warm_min || now_ns() - start < b->warm_ns) {
		one_call(x, handle, data, size, oneway, &prev, &retries);
		warm++;
	}
	if (prev) {
		bx_free(x, prev);
		bx_flush(x);
		prev = 0;
	}
	retries = 0;
	m->w[idx].warm = warm;
	if (ready_fd < 0) {
		/* A lone worker: it starts the clock itself. */
		m->start_ns = now_ns();
		m->deadline_ns = m->start_ns + b->run_ns;
	} else if (write(ready_fd, "r", 1) != 1 || read(go_fd, &c, 1) != 0) {
		die("worker %d: start handshake failed", idx);
	}
	deadline = m->deadline_ns;
	for (;;) {
		t0 = now_ns();
		one_call(x, handle, data, size, oneway, &prev, &retries);
		t1 = now_ns();
		lat[n++] = t1 - t0;
		if (n >= m->cap || (t1 >= deadline && n >= b->min_calls))
			break;
	}
	if (prev) {
		bx_free(x, prev);
		bx_flush(x);
	}
	m->w[idx].retries = retries;
	m->w[idx].end_ns = t1;
	__atomic_store_n(&m->w[idx].n, n, __ATOMIC_RELEASE);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted lat[0..n). */
static uint64_t pct(const uint64_t *lat, uint64_t n, unsigned int p)
{
	uint64_t i = (n * p + 99) / 100;

	return lat[i ? i - 1 : 0];
}

/* Prints one machine-readable result line: sorts lat. */
void stats_line(const char *name, uint64_t *lat, uint64_t n, double secs, const char *extra)
{
	if (!n) {
		printf("cell name=%s error=no_calls\n", name);
		fflush(stdout);
		return;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	printf("cell name=%s calls=%llu calls_per_s=%.1f p50_ns=%llu p90_ns=%llu p99_ns=%llu max_ns=%llu%s%s\n",
	       name, (unsigned long long)n, secs > 0 ? n / secs : 0.0,
	       (unsigned long long)pct(lat, n, 50), (unsigned long long)pct(lat, n, 90),
	       (unsigned long long)pct(lat, n, 99), (unsigned long long)lat[n - 1],
	       extra && *extra ? " " : "", extra ? extra : "");
	fflush(stdout);
}

void cellmem_reset(struct cellmem *m)
{
	m->start_ns = m->deadline_ns = 0;
	m->failed = 0;
	memset(m->w, 0, sizeof(m->w));
	m->rx_count = m->rx_last_ns = 0;
}

/* Pools the workers' latencies of a cell; calls/s over the wall time of all. */
int report_latency(const char *name, struct cellmem *m, const char *extra)
{
	uint64_t total = 0, end = 0, k = 0, *all;
	double secs;

	for (uint32_t i = 0; i < m->nworkers; i++) {
		total += m->w[i].n;
		if (m->w[i].end_ns > end)
			end = m->w[i].end_ns;
	}
	all = xmalloc(total * sizeof(*all));
	for (uint32_t i = 0; i < m->nworkers; i++) {
		memcpy(all + k, m->lat + (uint64_t)i * m->cap, m->w[i].n * sizeof(*all));
		k += m->w[i].n;
	}
	secs = end > m->start_ns ? (end - m->start_ns) / 1e9 : 0;
	stats_line(name, all, total, secs, extra);
	free(all);
	return total ? 0 : 1;
}
