/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_lib.h: the raw binder protocol as the benchmarks (binder_bench.c,
 * bench_mem.c, bench_scale.c) use it: a per-thread context that batches
 * BC_ commands and walks BR_ returns the way libbinder's IPCThreadState does
 * (pending commands go out with the next BINDER_WRITE_READ), a tiny context
 * manager with named slots, echo servers and timed call loops.
 *
 * Everything here runs inside the QEMU guest; nothing is specific to one
 * driver. Under TCG only the rust_binder/C ratios mean anything.
 */
#ifndef BENCH_LIB_H
#define BENCH_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/android/binder.h>

#define KIB 1024UL
#define MIB (1024UL * 1024UL)

/* Transaction codes understood by the context manager and the servers. */
enum {
	CM_ADD = 1,		/* u32 slot, u32 0, flat_binder_object: publish */
	CM_GET,			/* u32 slot; reply: flat_binder_object (handle) */
	CODE_CALL,		/* echo server: reply with reply_size bytes */
	CODE_HOLD,		/* sink: keep the buffer (and its refs), reply */
	CODE_ACQUIRE,		/* sink: BC_ACQUIRE every handle, free, reply */
	CODE_PRIME,		/* sink: free, reply (touches its buffer pages) */
	CODE_BATCH_END,		/* holder: reply, then run a timed call phase */
};

/* A growing buffer of BC_ commands. */
struct wbuf {
	uint8_t *b;
	size_t n, cap;
};

/* One thread's view of a binder fd. */
struct bctx {
	int fd;
	struct wbuf w;		/* commands not yet written */
	uint8_t *r;		/* read buffer */
	size_t rsize, rpos, rlen;
};

/* The timed-loop settings of one cell. */
struct budget {
	uint64_t warm_ns;	/* warm-up: at least this long ... */
	uint32_t warm_min;	/* ... and at least this many calls */
	uint64_t run_ns;	/* timed phase: until this much time passed ... */
	uint32_t min_calls;	/* ... and at least this many calls */
	uint64_t cap;		/* never more than this many timed calls */
};

/* Per-worker results, in shared memory. */
struct wres {
	uint64_t n, end_ns, retries, warm;
};

#define MAX_WORKERS 16

/* One cell's shared memory: results of up to MAX_WORKERS workers. */
struct cellmem {
	uint64_t start_ns, deadline_ns;
	uint64_t cap;
	uint32_t nworkers, failed;
	struct wres w[MAX_WORKERS];
	/* one-way receive side (echo server) */
	uint64_t rx_count, rx_last_ns;
	uint64_t lat[];		/* nworkers * cap latencies, ns */
};

/* Options of an echo server process. */
struct srv_opts {
	uint32_t slot;		/* published in this context manager slot */
	int threads;		/* looper threads */
	size_t map;		/* size of its buffer mapping */
	size_t reply_size;	/* bytes in each reply */
	struct cellmem *cm;	/* one-way receive counters, or NULL */
};

/* Options of a sink process (receives binder objects, see CODE_*). */
struct sink_opts {
	uint32_t slot;		/* published in this slot */
	size_t map;
	int no_read;		/* publish, then never read again */
	/* holder: after CODE_BATCH_END, timed calls to call_slot, then a byte on done_fd */
	int holder;
	uint32_t call_slot;
	const struct budget *b;
	struct cellmem *m;
	int done_fd;
};

extern const char *bench_dev;		/* the binder device */

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
uint64_t now_ns(void);
void *xmalloc(size_t n);
void *shared_alloc(size_t n);
void shared_free(void *p, size_t n);

int bdev_open(size_t map);
void bx_init(struct bctx *x, int fd, size_t rsize);
void bx_destroy(struct bctx *x);
void wb_put(struct wbuf *w, const void *p, size_t n);
void wb_u32(struct wbuf *w, uint32_t v);
void wb_u64(struct wbuf *w, uint64_t v);
void wb_reserve(struct wbuf *w, size_t cap);
void bx_txn(struct bctx *x, uint32_t cmd, uint32_t handle, uint32_t code, uint32_t flags,
	    const void *data, size_t size, const binder_size_t *offs, size_t noffs);
void bx_free(struct bctx *x, binder_uintptr_t buf);
void bx_flush(struct bctx *x);
uint32_t bx_next(struct bctx *x, struct binder_transaction_data *t);
uint32_t bx_call(struct bctx *x, uint32_t handle, uint32_t code, const void *data, size_t size,
		 const binder_size_t *offs, size_t noffs, struct binder_transaction_data *reply);
void bx_call_free(struct bctx *x, uint32_t handle, uint32_t code, const void *data,
		  size_t size, const binder_size_t *offs, size_t noffs);

pid_t cm_start(void);
void cm_add(struct bctx *x, uint32_t slot, uint64_t ptr);
uint32_t cm_get(struct bctx *x, uint32_t slot);

pid_t xfork(void);
pid_t server_start(const struct srv_opts *o);
pid_t sink_start(const struct sink_opts *o);
void kill_wait(pid_t pid);

struct cellmem *cellmem_new(uint32_t nworkers, uint64_t cap, size_t *len);
void timed_calls(struct bctx *x, uint32_t handle, const void *data, size_t size, int oneway,
		 const struct budget *b, struct cellmem *m, int idx, int ready_fd, int go_fd);
int report_latency(const char *name, struct cellmem *m, const char *extra);
void cellmem_reset(struct cellmem *m);
void stats_line(const char *name, uint64_t *lat, uint64_t n, double secs, const char *extra);

/* The groups of cells in bench_mem.c and bench_scale.c. */
void group_mem(int quick);
void group_refs(int quick, double secs);

#endif
