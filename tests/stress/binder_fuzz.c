// SPDX-License-Identifier: GPL-2.0
/*
 * binder_fuzz: a seeded, time-boxed random command fuzzer for the binder
 * driver interface (rust_binder issue 8, item 1).
 *
 *   binder_fuzz -s SEED -n MAXOPS -t SECONDS [-d DEVICE] [-p PROCS] [-v] [-H] [-X]
 *
 *   make -C tests/stress KDIR=...      (static binary: build/tests/stress/binder_fuzz)
 *   scripts/run-vm.sh --driver c|rust --timeout 600 \
 *       build/tests/stress/binder_fuzz::"-s 1 -n 200000 -t 120"
 *
 * Set-up. In a private mount namespace it mounts a binderfs instance
 * (stats=global when allowed, for binder_logs/) with the devices "binder"
 * and "extra" and a second instance with "binder" (BINDER_CTL_ADD on
 * binder-control), then forks 3-4 worker processes of 2-3 threads (counts
 * drawn from SEED). Each worker opens four binder connections ("conns"):
 * A = instance 1 "binder" (or -d DEVICE), A2 = a second open of the same
 * device (two binder fds in one process), B = instance 2 "binder",
 * X = instance 1 "extra", plus two spare binder fds used as FD payloads.
 * Worker 0 is the context manager of A, worker 1 of B, worker 2 usually of
 * X (BINDER_SET_CONTEXT_MGR_EXT); they take the role back after a reopen,
 * the others register nodes with them now and then; the managers hand
 * out the handles they received in their replies, so the others hold real
 * refs to each other's nodes. All binder fds are O_NONBLOCK, waits are
 * poll()s with timeouts: the fuzzer never blocks on a legitimate wait.
 *
 * Operations (each thread draws them until MAXOPS were done in total or
 * SECONDS passed):
 *   - every BC_* command: BC_TRANSACTION(_SG) / BC_REPLY(_SG) with random
 *     objects at valid and invalid offsets (BINDER/WEAK_BINDER from a pool
 *     of 8 node pointers, HANDLE/WEAK_HANDLE from the refs the process has
 *     plus random ones, FD (pipe ends, /dev/null, memfd, eventfd, socket,
 *     binder-control and binder fds, invalid numbers), FDA in a PTR, PTR
 *     with random parents and parent offsets), random TF_ONE_WAY,
 *     TF_ACCEPT_FDS, TF_CLEAR_BUF, TF_UPDATE_TXN, TF_STATUS_CODE; 80% are
 *     "clean" (meant to be delivered), 20% "dirty" (bad fds, garbage
 *     objects, bad offsets/sizes/pointers/parents); bursts of one-way
 *     calls (async space, spam detection); big transactions; forwards of
 *     received data; BC_FREE_BUFFER (valid, in the reply's write, stale,
 *     double in one write, bogus); BC_INCREFS/ACQUIRE/RELEASE/DECREFS;
 *     BC_INCREFS_DONE/ACQUIRE_DONE real (answers) and bogus;
 *     BC_REGISTER/ENTER/EXIT_LOOPER; BC_REQUEST/CLEAR_DEATH_NOTIFICATION,
 *     BC_DEAD_BINDER_DONE, BC_REQUEST/CLEAR_FREEZE_NOTIFICATION,
 *     BC_FREEZE_NOTIFICATION_DONE; BC_ATTEMPT_ACQUIRE, BC_ACQUIRE_RESULT,
 *     unknown codes, commands cut short, random words; several commands
 *     in one write, with and without a read;
 *   - returns are answered like libbinder does most of the time (so that
 *     deep states are reached, not only error paths): BR_INCREFS/BR_ACQUIRE
 *     with the *_DONE commands, BR_DEAD_BINDER with a clear and
 *     BC_DEAD_BINDER_DONE, BR_FROZEN_BINDER with BC_FREEZE_NOTIFICATION_DONE,
 *     sync BR_TRANSACTIONs with a reply (sometimes late or never), received
 *     handles with BC_ACQUIRE/BC_INCREFS, dead handles are dropped;
 *   - every other ioctl: BINDER_FREEZE of itself and siblings (timeouts of
 *     0-40 ms; unfrozen 10-300 ms later), GET_FROZEN_INFO, SET_MAX_THREADS,
 *     THREAD_EXIT, VERSION, GET_NODE_DEBUG_INFO, GET_NODE_INFO_FOR_REF,
 *     GET_EXTENDED_ERROR, ENABLE_ONEWAY_SPAM_DETECTION, SET_CONTEXT_MGR(_EXT),
 *     unknown ioctls and bad argument pointers;
 *   - poll(); flush (close of a dup of the fd); close + reopen of a conn,
 *     sometimes racy (the old fd closed and its mapping unmapped while the
 *     other threads are inside ioctls on it); munmap (whole, first or last
 *     page), mremap (shrink, move), a second mmap; fork with the inherited
 *     fds (the child does a few ops on them, maybe opens its own fd and
 *     registers a node with the manager, and exits); ioctls on binder fds
 *     received from other processes; BINDER_CTL_ADD on received
 *     binder-control fds; reads of binder_logs/; drop_caches (the binder
 *     page shrinker); hostile BINDER_WRITE_READ cursors (read_size < 4,
 *     read_consumed > read_size, read_consumed near 2^64, read/write
 *     buffers near 2^64, write_consumed > write_size, a write_size running
 *     into a PROT_NONE page, the read-only binder mapping as read buffer
 *     and as write buffer; the real buffers are big enough for what C
 *     writes past read_size); BINDER_THREAD_EXIT; a thread replaced by a
 *     new one (its binder threads stay behind); a worker killing itself
 *     (_exit or SIGKILL) in the middle of everything, respawned.
 *
 * Determinism: every thread, forked child and respawned worker or thread
 * draws from its own splitmix64 stream derived from SEED and (process,
 * process generation, thread, thread generation), so the sequence of random
 * numbers of each stream is reproducible; the operations they turn into
 * also depend on what the driver returned (pending transactions, learned
 * handles, ...), i.e. on the interleaving of threads and processes, which
 * is not reproducible. A failing seed is a good candidate, not a recipe.
 *
 * What it detects (the kernel's own reports are caught by run-vm.sh's log
 * scan):
 *   - hangs: the supervisor's watchdog (alarm(1) ticks) reports a thread
 *     that made no progress for 20 s with its operation, and the wchan and
 *     kernel stack of every thread, SIGKILLs the workers (which also have
 *     PR_SET_PDEATHSIG) and exits with status 2; a forked child that
 *     doesn't exit within 12 s is reported the same way (-H fakes a hang
 *     to check the watchdog);
 *   - impossible answers (exit status 1): unknown or truncated BR_* codes,
 *     write_consumed / read_consumed past what was given, buffers outside
 *     the mapping, BR_TRANSACTION/BR_INCREFS.. for node pointers never
 *     sent, a BR_REPLY with a target, a one-way with a sender_pid, a
 *     sender_euid that isn't ours, offsets_size not a multiple of 8,
 *     received objects of unknown types or pointing outside the buffer,
 *     received fds that aren't open O_CLOEXEC, BINDER_VERSION != 8, bad
 *     GET_FROZEN_INFO / GET_EXTENDED_ERROR / GET_NODE_DEBUG_INFO answers,
 *     and "ECHO" transactions and replies whose payload (and PTR buffer)
 *     checksums don't match what was sent (data corruption). Object-level
 *     findings are excused when one of our own stale/bogus frees may have
 *     freed the buffer under the reader (counted as excused_anomalies);
 *   - leaks: with binder_logs, every worker's binder_logs/proc/PID must be
 *     gone 15 s after it exited.
 *
 * Binder fds as FD payloads are the spare ones: a binder file queued in a
 * transaction to a proc that is closed but still referenced can form
 * reference cycles that keep binder_procs alive for ever (the C driver
 * too: binder has no fd garbage collector). -X also sends the conns' own
 * fds (expect the leak check to fail, on C as well).
 *
 * At the end it prints statistics as '#' lines and
 *   fuzz: seed=S ops=N seconds=T
 * -v also prints excused anomalies and, at the end, the binder_logs
 * failed_transaction_log and the proc lines of binder_logs/state.
 */
#include "binder_test_lib.h"

#include <dirent.h>
#include <getopt.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <termios.h>

#define MAXP		4
#define MAXT		3
#define NCONN		4
#define MAXBUFS		48
#define MAXH		40
#define MAXREQ		16
#define MAXKEEP		6
#define MAXIN		16
#define STUCK_MS	20000
#define CHILD_WAIT_MS	12000
#define PAGE		4096
#define RBUF		16384
#define HOST_SIZE	(64 * 1024)	/* hostile area, a PROT_NONE page after it */
#define DATA_MAX	2048
#define SG_MAX		8192
#define MAXOFFS		64
#define COPY_MAX	(16 * 1024)
#define BIG_MAX		(192 * 1024)

#define ALIGN8(x)	(((x) + 7) & ~(uint64_t)7)

static const uint64_t node_ptrs[] = {
	0x1000, 0x2000, 0x3000, 0x4000, 0x5008, 0x6010, 0x7ffff000,
	0xffff800000001000ULL,
};
#define NPTRS (int)(sizeof(node_ptrs) / sizeof(node_ptrs[0]))

static uint64_t node_cookie(uint64_t ptr)
{
	return ptr ^ 0xc0c0c0c000000000ULL;
}

static bool is_pool_ptr(uint64_t p)
{
	int i;

	if (!p)
		return true;
	for (i = 0; i < NPTRS; i++)
		if (node_ptrs[i] == p)
			return true;
	return false;
}

enum {
	OP_TXN, OP_REPLY, OP_FREE, OP_REFS, OP_DONE, OP_LOOPER, OP_DEATH,
	OP_FRZNOTIF, OP_GARBAGE, OP_READ, OP_HOSTILE, OP_MULTI, OP_IOCTL,
	OP_FREEZE, OP_SETCM, OP_POLL, OP_FLUSH, OP_REOPEN, OP_MAP, OP_FORK,
	OP_FOREIGN, OP_LOGS, OP_RECLAIM, OP_WAIT, OP_DIE, OP_RESPAWN, OP__N
};

static const char *const op_names[OP__N] = {
	"txn", "reply", "free", "refs", "done", "looper", "death",
	"frznotif", "garbage", "read", "hostile", "multi", "ioctl",
	"freeze", "setcm", "poll", "flush", "reopen", "map", "fork",
	"foreign", "logs", "reclaim", "wait", "die", "respawn",
};

/* Weights (per mille-ish) of the operations a thread draws. */
static const int op_weight[OP__N] = {
	[OP_TXN] = 200, [OP_REPLY] = 30, [OP_FREE] = 60, [OP_REFS] = 60,
	[OP_DONE] = 12, [OP_LOOPER] = 12, [OP_DEATH] = 40, [OP_FRZNOTIF] = 30,
	[OP_GARBAGE] = 20, [OP_READ] = 120, [OP_HOSTILE] = 20, [OP_MULTI] = 60,
	[OP_IOCTL] = 60, [OP_FREEZE] = 12, [OP_SETCM] = 2, [OP_POLL] = 30,
	[OP_FLUSH] = 6, [OP_REOPEN] = 1, [OP_MAP] = 1, [OP_FORK] = 2,
	[OP_FOREIGN] = 8, [OP_LOGS] = 3, [OP_RECLAIM] = 2, [OP_WAIT] = 0,
	[OP_DIE] = 0, [OP_RESPAWN] = 0,	/* drawn separately (rare) */
};

/* ---- state shared by the supervisor and the workers (MAP_SHARED) ---- */
struct tslot {
	_Atomic long last_ms;	/* last progress */
	_Atomic unsigned long ops;
	_Atomic int tid;
	_Atomic int seq;	/* odd while op[] is written */
	char op[160];		/* the operation being done */
};

struct pslot {
	_Atomic int pid;
	_Atomic long frozen_until;	/* BINDER_FREEZE by us, unfreeze due (ms) */
	_Atomic int done;
	_Atomic int planned_death;	/* the worker kills itself: respawn it */
	_Atomic int gen;		/* respawns of this worker */
	int nthreads;
	struct tslot t[MAXT];
};

struct shm {
	uint64_t seed;
	long t0, deadline;
	unsigned long maxops;
	int nprocs;
	int verbose;
	int have_logs;
	int test_hang;
	int real_fds;
	_Atomic unsigned long ops;
	_Atomic int stop;
	_Atomic int failed;
	_Atomic unsigned long soft;	/* anomalies excused by a stale free */
	_Atomic unsigned long soft_pending;	/* of those: only by one still unsent */
	char dev[NCONN][192];
	char ctl[2][192];
	char logs[192];
	struct pslot p[MAXP];
	_Atomic unsigned long opstat[OP__N];
	_Atomic unsigned long brstat[32];
	_Atomic unsigned long errstat[160];
	_Atomic unsigned long failstat[160];
	_Atomic unsigned long kindstat[8];
	_Atomic unsigned long esrch[NCONN][2];
	_Atomic unsigned long cmstat[2];	/* extended error param of failed txns */
	_Atomic unsigned long echo_ok, echo_sent;
	_Atomic unsigned long racy_reopens;
	_Atomic unsigned long forks, child_ops, reopens, learned, fds_rcvd, respawns, bursts;
};

static struct shm *S;

/* ---- per-process state ------------------------------------------- */
struct href {
	uint32_t h;
	int strong, weak;	/* BC_ACQUIRE / BC_INCREFS we did and hold */
};

struct req {
	uint32_t h;
	uint64_t cookie;
};

struct region {
	uint8_t *a;
	size_t n;
};

struct conn {
	pthread_rwlock_t lk;	/* rd: use fd/map; wr: close, reopen, munmap */
	pthread_mutex_t mu;	/* the pools below */
	pthread_mutex_t mapmu;	/* serialises reopen / munmap / mremap (before lk) */
	int idx;
	int fd;
	uint8_t *map;		/* where the driver's buffers are (original mmap) */
	size_t map_size;
	bool intact;		/* [map, map + map_size) is still our mapping */
	struct region reg[3];	/* what is still mapped of it (to munmap) */
	int nreg;
	unsigned gen;		/* bumped by each reopen */
	_Atomic unsigned stale;	/* bumped when a free may hit someone's buffer */
	/*
	 * Such frees written but not yet sent: a reader that started while one
	 * was pending may see it land, though stale was bumped before it began.
	 */
	_Atomic int inflight;
	_Atomic int wild;	/* commands from random memory ran: nodes may have any ptr */
	long reopen_at;
	bool cm;
	uint64_t bufs[MAXBUFS];	/* received buffers not freed yet */
	/*
	 * stale when each was added: if it moved since, a stale free may have
	 * freed that buffer and the driver given its address to another
	 * reader, so freeing it from the pool is a stale free too.
	 */
	unsigned bufs_at[MAXBUFS];
	int nbufs;
	uint64_t freed[8];
	int nfreed;
	struct href hs[MAXH];
	int nh;
	struct req death[MAXREQ], frz[MAXREQ];
	int ndeath, nfrz;
};

static struct {
	int idx;
	struct conn c[NCONN];
	bool cm_of[NCONN];
	pthread_mutex_t mu;
	int keep[MAXKEEP];	/* received fds kept for OP_FOREIGN */
	int nkeep;
	int sendfds[12];
	int nsend;
	int bfd[2];		/* spare binder fds (instance 1 "binder", instance 2 "binder") */
	int nullfd;		/* /dev/null, dup2()ed over fds closed under other threads */
	uint8_t *ro;		/* a read-only page */
	int gen;		/* this worker's generation (respawns) */
	_Atomic int live;	/* running threads */
} P;

/* ---- per-thread state ---------------------------------------------- */
struct tconn {
	unsigned gen;
	uint64_t in[MAXIN];	/* received sync transactions to reply to */
	bool in_echo[MAXIN];
	int nin;
	int awaiting;		/* sync transactions sent, outcome not read */
	uint32_t last_target;	/* handle of the last transaction sent */
	long await_since;
};

struct wbuf {
	uint8_t *p;
	size_t n, cap;
};

struct thr {
	int pidx, tidx;
	uint64_t rng;
	struct tslot *slot;
	struct tconn tc[NCONN];
	int pend[NCONN];	/* this thread's share of each conn's inflight */
	int pend_fu[NCONN];	/* the same for commands in fu */
	size_t last_wcons;
	int tgen;		/* respawns of this thread */
	int last_kind;
	long next_maint;
	struct wbuf w;
	struct wbuf fu;		/* follow-up commands (acks, frees, replies) */
	uint8_t wmem[16384] __attribute__((aligned(8)));
	uint8_t fumem[4096] __attribute__((aligned(8)));
	uint8_t fu2[4096] __attribute__((aligned(8)));
	uint8_t rbuf[RBUF] __attribute__((aligned(8)));
	uint8_t data[DATA_MAX + 64] __attribute__((aligned(8)));
	binder_size_t offs[MAXOFFS + 4];
	uint8_t sg[SG_MAX + 64] __attribute__((aligned(8)));
	uint8_t copy[COPY_MAX] __attribute__((aligned(8)));
	binder_size_t ocopy[MAXOFFS];
	uint8_t pcopy[2048];
	uint8_t *big;		/* BIG_MAX bytes for big transactions */
	uint8_t *host;		/* HOST_SIZE bytes, then a PROT_NONE page */
};

/* ---- small helpers ----------------------------------------------- */
static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static uint64_t sm64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t stream_seed(uint64_t seed, uint64_t a, uint64_t b)
{
	uint64_t s = seed ^ (a * 0x100000001b3ULL) ^ (b << 40) ^ 0x5eed;

	sm64(&s);
	return sm64(&s);
}

static uint64_t r64(uint64_t *s)
{
	return sm64(s);
}

static uint32_t rn(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(sm64(s) % n) : 0;
}

static bool pc(uint64_t *s, int p)
{
	return (int)rn(s, 100) < p;
}

#define RND(n)	rn(&t->rng, (n))
#define PCT(p)	pc(&t->rng, (p))
#define R64()	r64(&t->rng)

/* One write(2) per message so that lines of processes don't mix. */
static void say(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (n > 0 && write(fd, buf, n) < 0)
		return;
}

static __thread struct thr *cur;

static void set_op(struct thr *t, const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&t->slot->seq, 1);
	va_start(ap, fmt);
	vsnprintf(t->slot->op, sizeof(t->slot->op), fmt, ap);
	va_end(ap);
	atomic_fetch_add(&t->slot->seq, 1);
	atomic_store(&t->slot->last_ms, now_ms());
}

/* An impossible answer: report, make everybody stop, fail. */
static void fatal(struct thr *t, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t)
		say(2, "# FAIL: [proc %d thread %d pid %d tid %d] during \"%s\": %s\n",
		    t->pidx, t->tidx, (int)getpid(), (int)bt_gettid(),
		    t->slot->op, msg);
	else
		say(2, "# FAIL: [pid %d] %s\n", (int)getpid(), msg);
	atomic_store(&S->failed, 1);
	atomic_store(&S->stop, 1);
}

static void count_err(int ret)
{
	int e = ret < 0 ? -ret : 0;

	if (e >= 0 && e < 160)
		atomic_fetch_add(&S->errstat[e], 1);
}

/* Guarded reads of the binder mapping (SIGSEGV/SIGBUS -> false). */
static __thread sigjmp_buf *guard_jb;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	sigjmp_buf *jb = guard_jb;

	if (jb) {
		guard_jb = NULL;
		siglongjmp(*jb, 1);
	}
	signal(sig, SIG_DFL);
}

static bool safe_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf jb;

	if (sigsetjmp(jb, 1)) {
		guard_jb = NULL;
		return false;
	}
	guard_jb = &jb;
	memcpy(dst, src, n);
	__asm__ volatile("" ::: "memory");
	guard_jb = NULL;
	return true;
}

/* ---- command buffers ------------------------------------------------ */
static void wreset(struct wbuf *w)
{
	w->n = 0;
}

static void wput(struct wbuf *w, const void *d, size_t n)
{
	if (w->n + n > w->cap)
		return;
	memcpy(w->p + w->n, d, n);
	w->n += n;
}

static void wc(struct wbuf *w, uint32_t cmd)
{
	wput(w, &cmd, 4);
}

static void wc32(struct wbuf *w, uint32_t cmd, uint32_t v)
{
	wc(w, cmd);
	wput(w, &v, 4);
}

static void wc64(struct wbuf *w, uint32_t cmd, uint64_t v)
{
	wc(w, cmd);
	wput(w, &v, 8);
}

static void wcpc(struct wbuf *w, uint32_t cmd, uint64_t ptr, uint64_t cookie)
{
	struct binder_ptr_cookie pc = { .ptr = ptr, .cookie = cookie };

	wc(w, cmd);
	wput(w, &pc, sizeof(pc));
}

static void wchc(struct wbuf *w, uint32_t cmd, uint32_t h, uint64_t cookie)
{
	struct binder_handle_cookie hc = { .handle = h, .cookie = cookie };

	wc(w, cmd);
	wput(w, &hc, sizeof(hc));
}

static bool wroom(struct wbuf *w, size_t n)
{
	return w->n + n <= w->cap;
}

/* ---- return codes ----------------------------------------------------- */
/* Payload size of a return the driver may send; -1: impossible. */
static int br_size(uint32_t c)
{
	switch (c) {
	case BR_ERROR:		/* C writes only the command word */
	case BR_DEAD_REPLY:
	case BR_TRANSACTION_COMPLETE:
	case BR_NOOP:
	case BR_SPAWN_LOOPER:
	case BR_FAILED_REPLY:
	case BR_FROZEN_REPLY:
	case BR_ONEWAY_SPAM_SUSPECT:
	case BR_TRANSACTION_PENDING_FROZEN:
		return 0;
	case BR_TRANSACTION_SEC_CTX:
		return sizeof(struct binder_transaction_data_secctx);
	case BR_TRANSACTION:
	case BR_REPLY:
		return sizeof(struct binder_transaction_data);
	case BR_INCREFS:
	case BR_ACQUIRE:
	case BR_RELEASE:
	case BR_DECREFS:
		return sizeof(struct binder_ptr_cookie);
	case BR_DEAD_BINDER:
	case BR_CLEAR_DEATH_NOTIFICATION_DONE:
	case BR_CLEAR_FREEZE_NOTIFICATION_DONE:
		return sizeof(binder_uintptr_t);
	case BR_FROZEN_BINDER:
		return sizeof(struct binder_frozen_state_info);
	default:		/* also BR_OK, BR_ACQUIRE_RESULT, BR_ATTEMPT_ACQUIRE, BR_FINISHED */
		return -1;
	}
}

/* For statistics (BR_TRANSACTION_SEC_CTX counts as BR_TRANSACTION: same nr). */
static const uint32_t all_brs[] = {
	BR_ERROR, BR_OK, BR_TRANSACTION, BR_REPLY, BR_ACQUIRE_RESULT,
	BR_DEAD_REPLY, BR_TRANSACTION_COMPLETE, BR_INCREFS, BR_ACQUIRE,
	BR_RELEASE, BR_DECREFS, BR_ATTEMPT_ACQUIRE, BR_NOOP, BR_SPAWN_LOOPER,
	BR_FINISHED, BR_DEAD_BINDER, BR_CLEAR_DEATH_NOTIFICATION_DONE,
	BR_FAILED_REPLY, BR_FROZEN_REPLY, BR_ONEWAY_SPAM_SUSPECT,
	BR_TRANSACTION_PENDING_FROZEN, BR_FROZEN_BINDER,
	BR_CLEAR_FREEZE_NOTIFICATION_DONE,
};

/* ---- connections --------------------------------------------------- */
static size_t pick_map_size(uint64_t *rng)
{
	uint32_t k = rn(rng, 100);

	if (k < 60)
		return 128 * 1024;
	if (k < 70)
		return 16 * 1024;
	if (k < 80)
		return 64 * 1024;
	if (k < 95)
		return 1024 * 1024;
	return 4 * 1024 * 1024 + 64 * 1024;	/* C caps the area at 4 MiB */
}

static void conn_clear_pools(struct conn *c)
{
	c->nbufs = c->nfreed = c->nh = c->ndeath = c->nfrz = 0;
	c->cm = false;
}

static int conn_open(struct conn *c, uint64_t *rng)
{
	void *m;

	c->fd = open(S->dev[c->idx], O_RDWR | O_NONBLOCK | O_CLOEXEC);
	c->map = NULL;
	c->map_size = 0;
	c->intact = false;
	c->nreg = 0;
	if (c->fd < 0)
		return -errno;
	c->map_size = pick_map_size(rng);
	m = mmap(NULL, c->map_size, PROT_READ, MAP_PRIVATE, c->fd, 0);
	if (m == MAP_FAILED)
		return 0;
	c->map = m;
	c->intact = true;
	c->reg[0].a = m;
	c->reg[0].n = c->map_size;
	c->nreg = 1;
	return 0;
}

static void conn_close(struct conn *c)
{
	int i;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	for (i = 0; i < c->nreg; i++)
		munmap(c->reg[i].a, c->reg[i].n);
	c->nreg = 0;
	c->intact = false;
	c->map = NULL;
	conn_clear_pools(c);
	atomic_store(&c->wild, 0);
}

static void become_cm(struct conn *c, uint64_t *rng)
{
	struct flat_binder_object fbo;
	int ret;

	memset(&fbo, 0, sizeof(fbo));
	fbo.hdr.type = BINDER_TYPE_BINDER;
	fbo.flags = FLAT_BINDER_FLAG_ACCEPTS_FDS;
	if (pc(rng, 20))
		fbo.flags |= rn(rng, 0x80);
	if (pc(rng, 30)) {
		fbo.binder = node_ptrs[rn(rng, NPTRS)];
		fbo.cookie = node_cookie(fbo.binder);
	}
	ret = ioctl(c->fd, BINDER_SET_CONTEXT_MGR_EXT, &fbo) < 0 ? -errno : 0;
	if (ret && pc(rng, 50))
		ret = ioctl(c->fd, BINDER_SET_CONTEXT_MGR, &(int32_t){0}) < 0 ? -errno : 0;
	c->cm = ret == 0;
	atomic_fetch_add(&S->cmstat[ret == 0], 1);
}

/* ---- pools ------------------------------------------------------------- */
static void pool_free_mark(struct thr *t, int *pend, int ci, unsigned at);

static void add_buf(struct conn *c, struct thr *t, uint64_t b)
{
	pthread_mutex_lock(&c->mu);
	if (c->nbufs == MAXBUFS) {
		/* Full: free the oldest now. */
		pool_free_mark(t, t->pend_fu, c->idx, c->bufs_at[0]);
		wc64(&t->fu, BC_FREE_BUFFER, c->bufs[0]);
		memmove(c->bufs, c->bufs + 1, (MAXBUFS - 1) * sizeof(c->bufs[0]));
		memmove(c->bufs_at, c->bufs_at + 1, (MAXBUFS - 1) * sizeof(c->bufs_at[0]));
		c->nbufs--;
	}
	c->bufs_at[c->nbufs] = atomic_load(&c->stale);
	c->bufs[c->nbufs++] = b;
	pthread_mutex_unlock(&c->mu);
}

static bool take_buf(struct conn *c, uint64_t b, unsigned *at)
{
	bool found = false;
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nbufs; i++) {
		if (c->bufs[i] == b) {
			*at = c->bufs_at[i];
			c->bufs[i] = c->bufs[--c->nbufs];
			c->bufs_at[i] = c->bufs_at[c->nbufs];
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return found;
}

static void note_freed(struct conn *c, uint64_t b)
{
	pthread_mutex_lock(&c->mu);
	if (c->nfreed == 8)
		memmove(c->freed, c->freed + 1, 7 * sizeof(c->freed[0]));
	else
		c->nfreed++;
	c->freed[c->nfreed - 1] = b;
	pthread_mutex_unlock(&c->mu);
}

/* A handle found in a received object: remember it, often take a ref. */
static void learn_handle(struct thr *t, struct conn *c, uint32_t h, bool strong)
{
	struct href *e = NULL;
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nh; i++)
		if (c->hs[i].h == h)
			e = &c->hs[i];
	if (!e) {
		if (c->nh == MAXH) {
			/* Evict one, giving back what we took. */
			i = RND(MAXH);
			e = &c->hs[i];
			while (e->strong > 0 && wroom(&t->fu, 8)) {
				wc32(&t->fu, BC_RELEASE, e->h);
				e->strong--;
			}
			while (e->weak > 0 && wroom(&t->fu, 8)) {
				wc32(&t->fu, BC_DECREFS, e->h);
				e->weak--;
			}
		} else {
			e = &c->hs[c->nh++];
		}
		e->h = h;
		e->strong = e->weak = 0;
		atomic_fetch_add(&S->learned, 1);
	}
	if (PCT(85) && wroom(&t->fu, 8)) {
		if (strong && e->strong < 3) {
			wc32(&t->fu, BC_ACQUIRE, h);
			e->strong++;
		} else if (e->weak < 3) {
			wc32(&t->fu, BC_INCREFS, h);
			e->weak++;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

/* The node behind h died: give back our refs and forget it (like libbinder). */
static void forget_handle(struct thr *t, struct conn *c, uint32_t h)
{
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->nh; i++) {
		struct href *e = &c->hs[i];

		if (e->h != h)
			continue;
		while (e->strong > 0 && wroom(&t->fu, 8)) {
			wc32(&t->fu, BC_RELEASE, h);
			e->strong--;
		}
		while (e->weak > 0 && wroom(&t->fu, 8)) {
			wc32(&t->fu, BC_DECREFS, h);
			e->weak--;
		}
		c->hs[i] = c->hs[--c->nh];
		break;
	}
	pthread_mutex_unlock(&c->mu);
}

static __thread int pick_kind;	/* what the last pick_handle() returned (statistics) */

static uint32_t pick_handle(struct thr *t, struct conn *c)
{
	uint32_t h = 0;
	bool got = false;

	pick_kind = 3;
	if (PCT(90)) {
		pthread_mutex_lock(&c->mu);
		if (c->nh) {
			int i = RND(c->nh), tries;

			/*
			 * Prefer handles we hold a strong ref on: the others may
			 * be gone, and weak ones can't be called.
			 */
			for (tries = 0; tries < 3 && !c->hs[i].strong && PCT(75); tries++)
				i = RND(c->nh);
			h = c->hs[i].h;
			got = true;
			pick_kind = c->hs[i].strong ? 1 : c->hs[i].weak ? 2 : 4;
		}
		pthread_mutex_unlock(&c->mu);
	}
	if (got)
		return h;
	if (PCT(60))
		return 0;
	if (PCT(80))
		return RND(6);
	return PCT(50) ? (uint32_t)R64() : 0xffffffffu;
}

/* Does this process own the context manager of conn ci's context? */
static bool own_cm(int ci)
{
	int ctx = ci == 1 ? 0 : ci;

	return P.c[ctx].cm;
}

static uint32_t pick_target(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	uint32_t k = RND(100);

	if (k < 35 && own_cm(ci) && PCT(90))
		k = 35;
	pick_kind = 0;
	if (k < 35)
		return 0;
	if (k < 95)
		return pick_handle(t, c);
	if (k < 98)
		return RND(10);
	return (uint32_t)R64();
}

/* ---- returns --------------------------------------------------------- */
enum { R_STRICT = 1, R_DEREF = 2 };

struct rx {
	struct thr *t;
	struct conn *c;		/* NULL: foreign fd or forked child (no state) */
	int ci;
	int flags;
	unsigned stale0;
	int inflight0;		/* others' stale frees pending when it began */
};

/* The binder_logs/state lines that mention node pointer ptr (diagnostics). */
static void dump_node_lines(uint64_t ptr)
{
	char path[300], pat[40], buf[65536];
	ssize_t n;
	int fd;

	if (!S->have_logs)
		return;
	snprintf(path, sizeof(path), "%s/state", S->logs);
	snprintf(pat, sizeof(pat), "u%016llx", (unsigned long long)ptr);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		char *l, *save = NULL;

		buf[n] = 0;
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			if (strstr(l, pat) || !strncmp(l, "proc ", 5))
				say(2, "# state: %s\n", l);
	}
	close(fd);
}

/*
 * Something that can't happen unless a buffer was freed under us by one of
 * our bogus/stale frees (then it is only counted).
 */
static void anomaly(struct rx *rx, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!(rx->flags & R_STRICT) || !rx->c ||
	    atomic_load(&rx->c->stale) != rx->stale0 || rx->inflight0 > 0) {
		atomic_fetch_add(&S->soft, 1);
		if ((rx->flags & R_STRICT) && rx->c &&
		    atomic_load(&rx->c->stale) == rx->stale0)
			atomic_fetch_add(&S->soft_pending, 1);
		if (S->verbose)
			say(2, "# note: excused anomaly: %s\n", msg);
		return;
	}
	fatal(rx->t, "conn %d: %s", rx->ci, msg);
}

static void proto_fail(struct rx *rx, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	if (!(rx->flags & R_STRICT))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fatal(rx->t, "conn %d: %s", rx->ci, msg);
}

#define ECHO_CODE	0x4543484fu	/* "ECHO" */
#define ECHO_MAGIC	0xec40ec40u

struct echo_hdr {
	uint32_t magic;
	uint32_t len;		/* data_size */
	uint64_t sum;		/* of the payload after the header (and PTR object) */
	uint64_t psum;		/* of the PTR buffer's contents */
	uint32_t plen;		/* its length */
	uint32_t nptr;		/* 0 or 1 PTR object, right after the header */
};

#define FNV_BASIS 0xcbf29ce484222325ULL

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t echo_sum(const uint8_t *p, size_t n)
{
	return fnv(FNV_BASIS, p, n) ^ n;
}

static bool in_map(struct conn *c, uint64_t a, uint64_t len)
{
	uint64_t lo = (uintptr_t)c->map, hi = lo + c->map_size;

	return a >= lo && a <= hi && len <= hi - a;
}

static void keep_or_close(struct thr *t, int fd)
{
	if (PCT(12)) {
		pthread_mutex_lock(&P.mu);
		if (P.nkeep < MAXKEEP) {
			P.keep[P.nkeep++] = fd;
			fd = -1;
		}
		pthread_mutex_unlock(&P.mu);
	}
	if (fd >= 0)
		close(fd);
}

/*
 * ECHO transactions and replies carry a checksum of their payload (and of
 * the contents of their one PTR buffer): a receiver that finds other bytes
 * than were sent has found data corruption in the driver.
 */
static bool verify_echo(struct rx *rx, const struct binder_transaction_data *tr)
{
	struct thr *t = rx->t;
	struct conn *c = rx->c;
	uint64_t dsz = tr->data_size;
	struct echo_hdr h;
	struct binder_buffer_object o;
	size_t start;
	uint64_t sum;

	if (tr->code != ECHO_CODE || dsz < sizeof(h))
		return false;
	memcpy(&h, t->copy, sizeof(h));
	if (h.magic != ECHO_MAGIC)
		return false;
	start = sizeof(h) + (h.nptr ? sizeof(struct binder_buffer_object) : 0);
	if (h.len != dsz || h.nptr > 1 || start > dsz) {
		anomaly(rx, "echo: data_size %llu (sent %u bytes, %u PTR)",
			(unsigned long long)dsz, h.len, h.nptr);
		return true;
	}
	memcpy(&o, t->copy + sizeof(h), sizeof(o));	/* (t->copy is reused below) */
	if (dsz <= COPY_MAX) {
		sum = echo_sum(t->copy + start, dsz - start);
	} else {
		/* A big one: checksum it in pieces, straight from the mapping. */
		const uint8_t *p = (const uint8_t *)(uintptr_t)tr->data.ptr.buffer + start;
		uint64_t left = dsz - start;

		sum = FNV_BASIS;
		while (left) {
			size_t n = left > COPY_MAX ? COPY_MAX : left;

			if (!safe_copy(t->copy, p, n)) {
				anomaly(rx, "echo: fault reading the received data at %p", p);
				return true;
			}
			sum = fnv(sum, t->copy, n);
			p += n;
			left -= n;
		}
		sum ^= dsz - start;
	}
	if (sum != h.sum) {
		anomaly(rx, "echo: the %llu payload bytes received are not those sent (checksum %#llx, sent %#llx)",
			(unsigned long long)(dsz - start), (unsigned long long)sum,
			(unsigned long long)h.sum);
		return true;
	}
	if (h.nptr) {
		if (tr->offsets_size != 8 || t->ocopy[0] != sizeof(h)) {
			anomaly(rx, "echo: offsets_size %llu, first offset %llu (sent 8, %zu)",
				(unsigned long long)tr->offsets_size,
				(unsigned long long)(tr->offsets_size ? t->ocopy[0] : 0), sizeof(h));
			return true;
		}
		if (o.hdr.type != BINDER_TYPE_PTR || o.length != h.plen || o.flags ||
		    !in_map(c, o.buffer, o.length)) {
			char hex[3 * 80 + 1];
			int k;

			for (k = 0; k < 80 && k < (int)dsz; k++)
				snprintf(hex + 3 * k, 4, "%02x ", t->copy[k]);
			anomaly(rx, "echo: PTR object type %#x flags %#x buffer %#llx length %llu (sent %u bytes); tr code %#x flags %#x data_size %llu offsets_size %llu buffer %#llx offsets %#llx sender %d; data: %s",
				o.hdr.type, o.flags, (unsigned long long)o.buffer,
				(unsigned long long)o.length, h.plen, tr->code, tr->flags,
				(unsigned long long)tr->data_size, (unsigned long long)tr->offsets_size,
				(unsigned long long)tr->data.ptr.buffer, (unsigned long long)tr->data.ptr.offsets,
				tr->sender_pid, hex);
			return true;
		}
		if (!safe_copy(t->pcopy, (void *)(uintptr_t)o.buffer, h.plen)) {
			anomaly(rx, "echo: fault reading the PTR buffer %#llx", (unsigned long long)o.buffer);
			return true;
		}
		if (echo_sum(t->pcopy, h.plen) != h.psum) {
			anomaly(rx, "echo: the %u bytes of the PTR buffer received are not those sent",
				h.plen);
			return true;
		}
	}
	atomic_fetch_add(&S->echo_ok, 1);
	return true;
}

static bool parse_objects(struct rx *rx, const struct binder_transaction_data *tr)
{
	struct thr *t = rx->t;
	struct conn *c = rx->c;
	uint64_t dsz = tr->data_size, osz = tr->offsets_size, n, i;
	bool echo;

	if (osz > MAXOFFS * 8)
		return false;
	n = osz / 8;
	if (dsz > COPY_MAX) {
		/* Only big echoes are that big: header, PTR object, payload. */
		if (!safe_copy(t->copy, (void *)(uintptr_t)tr->data.ptr.buffer, 256) ||
		    !safe_copy(t->ocopy, (void *)(uintptr_t)tr->data.ptr.offsets, n * 8)) {
			anomaly(rx, "fault reading received buffer %#llx", (unsigned long long)tr->data.ptr.buffer);
			return false;
		}
		return verify_echo(rx, tr);
	}
	if (!safe_copy(t->copy, (void *)(uintptr_t)tr->data.ptr.buffer, dsz) ||
	    !safe_copy(t->ocopy, (void *)(uintptr_t)tr->data.ptr.offsets, n * 8)) {
		anomaly(rx, "fault reading received buffer %#llx (%llu+%llu bytes)",
			(unsigned long long)tr->data.ptr.buffer,
			(unsigned long long)dsz, (unsigned long long)osz);
		return false;
	}
	echo = verify_echo(rx, tr);
	for (i = 0; i < n; i++) {
		uint64_t off = t->ocopy[i];
		uint32_t type;

		if (off > dsz || dsz - off < 8) {
			anomaly(rx, "object offset %llu outside data (%llu bytes)",
				(unsigned long long)off, (unsigned long long)dsz);
			continue;
		}
		memcpy(&type, t->copy + off, 4);
		switch (type) {
		case BINDER_TYPE_BINDER:
		case BINDER_TYPE_WEAK_BINDER:
		case BINDER_TYPE_HANDLE:
		case BINDER_TYPE_WEAK_HANDLE: {
			struct flat_binder_object o;

			if (dsz - off < sizeof(o)) {
				anomaly(rx, "truncated flat_binder_object at %llu", (unsigned long long)off);
				break;
			}
			memcpy(&o, t->copy + off, sizeof(o));
			if (type == BINDER_TYPE_BINDER || type == BINDER_TYPE_WEAK_BINDER) {
				if (!is_pool_ptr(o.binder) && !atomic_load(&c->wild))
					anomaly(rx, "received BINDER object with foreign ptr %#llx",
						(unsigned long long)o.binder);
			} else {
				learn_handle(t, c, o.handle, type == BINDER_TYPE_HANDLE);
			}
			break;
		}
		case BINDER_TYPE_FD: {
			struct binder_fd_object o;
			int fl;

			if (dsz - off < sizeof(o)) {
				anomaly(rx, "truncated fd object at %llu", (unsigned long long)off);
				break;
			}
			memcpy(&o, t->copy + off, sizeof(o));
			atomic_fetch_add(&S->fds_rcvd, 1);
			fl = fcntl((int)o.fd, F_GETFD);
			if (fl < 0 || !(fl & FD_CLOEXEC)) {
				anomaly(rx, "received fd %d: F_GETFD %d (errno %d), expected an open O_CLOEXEC fd",
					(int)o.fd, fl, fl < 0 ? errno : 0);
				break;
			}
			keep_or_close(t, (int)o.fd);
			break;
		}
		case BINDER_TYPE_FDA:
			/* The driver closes these fds when the buffer is freed. */
			if (dsz - off < sizeof(struct binder_fd_array_object))
				anomaly(rx, "truncated fda object at %llu", (unsigned long long)off);
			break;
		case BINDER_TYPE_PTR: {
			struct binder_buffer_object o;

			if (dsz - off < sizeof(o)) {
				anomaly(rx, "truncated buffer object at %llu", (unsigned long long)off);
				break;
			}
			memcpy(&o, t->copy + off, sizeof(o));
			if (!in_map(c, o.buffer, o.length))
				anomaly(rx, "PTR object buffer %#llx+%llu outside the mapping %p+%zu",
					(unsigned long long)o.buffer, (unsigned long long)o.length,
					c->map, c->map_size);
			break;
		}
		default:
			anomaly(rx, "received object of unknown type %#x at offset %llu",
				type, (unsigned long long)off);
		}
	}
	return echo;
}

static void on_txn(struct rx *rx, uint32_t cmd, const struct binder_transaction_data *tr)
{
	struct thr *t = rx->t;
	struct conn *c = rx->c;
	uint64_t buf = tr->data.ptr.buffer;
	bool oneway = tr->flags & TF_ONE_WAY;
	bool reply = cmd == BR_REPLY;
	bool echo = false;
	struct tconn *tc;

	if (!c) {
		/* No state: free it, answer it. */
		wc64(&t->fu, BC_FREE_BUFFER, buf);
		if (!reply && !oneway && PCT(90)) {
			struct binder_transaction_data r;

			memset(&r, 0, sizeof(r));
			wc(&t->fu, BC_REPLY);
			wput(&t->fu, &r, sizeof(r));
		}
		return;
	}
	if (rx->flags & R_STRICT) {
		if (c->map && (!in_map(c, buf, tr->data_size) ||
			       !in_map(c, tr->data.ptr.offsets, tr->offsets_size)))
			proto_fail(rx, "%s buffer %#llx (%llu bytes, offsets %#llx, %llu bytes) outside the mapping %p+%zu",
				   reply ? "BR_REPLY" : "BR_TRANSACTION",
				   (unsigned long long)buf, (unsigned long long)tr->data_size,
				   (unsigned long long)tr->data.ptr.offsets,
				   (unsigned long long)tr->offsets_size, c->map, c->map_size);
		if (tr->offsets_size % 8)
			proto_fail(rx, "offsets_size %llu not a multiple of 8",
				   (unsigned long long)tr->offsets_size);
		if (reply && (tr->target.ptr || tr->cookie))
			proto_fail(rx, "BR_REPLY with target.ptr %#llx cookie %#llx",
				   (unsigned long long)tr->target.ptr,
				   (unsigned long long)tr->cookie);
		if (!reply && !is_pool_ptr(tr->target.ptr) && !atomic_load(&c->wild))
			proto_fail(rx, "BR_TRANSACTION for a node we don't have: ptr %#llx",
				   (unsigned long long)tr->target.ptr);
		if (!reply && oneway && tr->sender_pid)
			proto_fail(rx, "one-way BR_TRANSACTION with sender_pid %d",
				   tr->sender_pid);
	}
	if ((rx->flags & R_STRICT) && tr->sender_euid != geteuid())
		proto_fail(rx, "%s sender_euid %u (we all run as %u)",
			   reply ? "BR_REPLY" : "BR_TRANSACTION", tr->sender_euid, geteuid());
	if ((rx->flags & R_DEREF) && c->intact)
		echo = parse_objects(rx, tr);
	tc = &t->tc[rx->ci];
	if (reply) {
		if (tc->awaiting > 0)
			tc->awaiting--;
	} else if (!oneway) {
		if (tc->nin < MAXIN) {
			tc->in_echo[tc->nin] = echo;
			tc->in[tc->nin++] = buf;
		}
	}
	if (oneway && PCT(70)) {
		wc64(&t->fu, BC_FREE_BUFFER, buf);
		return;
	}
	add_buf(c, t, buf);
}

static void record_req_drop(struct conn *c, struct req *a, int *n, uint64_t cookie,
			    uint32_t *h)
{
	int i;

	pthread_mutex_lock(&c->mu);
	for (i = 0; i < *n; i++) {
		if (a[i].cookie == cookie) {
			if (h)
				*h = a[i].h;
			a[i] = a[--*n];
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
}

static void handle_returns(struct rx *rx, const uint8_t *p, size_t len)
{
	struct thr *t = rx->t;
	const uint8_t *end = p + len;

	while (p < end) {
		union {
			struct binder_transaction_data tr;
			struct binder_transaction_data_secctx sc;
			struct binder_ptr_cookie pc;
			binder_uintptr_t cookie;
			struct binder_frozen_state_info fz;
		} u;
		uint32_t cmd;
		int sz;

		if (end - p < 4) {
			proto_fail(rx, "return stream ends in the middle of a command (%zu bytes left)",
				   (size_t)(end - p));
			return;
		}
		memcpy(&cmd, p, 4);
		p += 4;
		sz = br_size(cmd);
		if (sz < 0) {
			proto_fail(rx, "impossible return code %#x at offset %zu of %zu",
				   cmd, (size_t)(p - 4 - (end - len)), len);
			return;
		}
		if (end - p < sz) {
			proto_fail(rx, "return %#x truncated (%zu of %d bytes)", cmd,
				   (size_t)(end - p), sz);
			return;
		}
		memcpy(&u, p, sz);
		p += sz;
		atomic_fetch_add(&S->brstat[_IOC_NR(cmd) & 31], 1);
		switch (cmd) {
		case BR_TRANSACTION_SEC_CTX:
		case BR_TRANSACTION:
		case BR_REPLY:
			on_txn(rx, cmd, &u.tr);
			break;
		case BR_DEAD_REPLY:
		case BR_FAILED_REPLY:
		case BR_FROZEN_REPLY:
			if (rx->c && t->tc[rx->ci].awaiting > 0)
				t->tc[rx->ci].awaiting--;
			/* A dead target: usually drop its handle (like libbinder). */
			if (rx->c && cmd == BR_DEAD_REPLY && t->tc[rx->ci].last_target && PCT(70))
				forget_handle(t, rx->c, t->tc[rx->ci].last_target);
			if (rx->c && (rx->flags & R_STRICT) && PCT(50)) {
				/* Why (and a check of the extended error). */
				struct binder_extended_error ee;

				memset(&ee, 0, sizeof(ee));
				if (ioctl(rx->c->fd, BINDER_GET_EXTENDED_ERROR, &ee) == 0) {
					if (br_size(ee.command) < 0 && ee.command != BR_OK)
						proto_fail(rx, "GET_EXTENDED_ERROR command %#x after %#x",
							   ee.command, cmd);
					if (ee.command == cmd && ee.param <= 0 && ee.param > -160)
						atomic_fetch_add(&S->failstat[-ee.param], 1);
					if (ee.param == -EINVAL)
						atomic_fetch_add(&S->kindstat[t->last_kind], 1);
					if (ee.param == -ESRCH)
						atomic_fetch_add(&S->esrch[rx->ci][t->tc[rx->ci].last_target == 0], 1);
				}
			}
			break;
		case BR_INCREFS:
		case BR_ACQUIRE:
		case BR_RELEASE:
		case BR_DECREFS:
			if (rx->c && (rx->flags & R_STRICT) && !is_pool_ptr(u.pc.ptr) &&
			    !atomic_load(&rx->c->wild)) {
				dump_node_lines(u.pc.ptr);
				proto_fail(rx, "ref return %#x for a node we don't have: ptr %#llx cookie %#llx",
					   cmd, (unsigned long long)u.pc.ptr,
					   (unsigned long long)u.pc.cookie);
			}
			if (cmd == BR_INCREFS || cmd == BR_ACQUIRE) {
				uint32_t done = cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE;
				uint32_t k = RND(100);

				if (k < 92)
					wcpc(&t->fu, done, u.pc.ptr, u.pc.cookie);
				else if (k < 96)
					wcpc(&t->fu, done, u.pc.ptr, u.pc.cookie ^ (1ULL << RND(64)));
			}
			break;
		case BR_DEAD_BINDER: {
			uint32_t k = RND(100), h = 0;

			if (rx->c && k < 60) {
				bool have = false;

				pthread_mutex_lock(&rx->c->mu);
				for (int i = 0; i < rx->c->ndeath; i++)
					if (rx->c->death[i].cookie == u.cookie) {
						h = rx->c->death[i].h;
						have = true;
					}
				pthread_mutex_unlock(&rx->c->mu);
				if (have) {
					record_req_drop(rx->c, rx->c->death, &rx->c->ndeath, u.cookie, NULL);
					wchc(&t->fu, BC_CLEAR_DEATH_NOTIFICATION, h, u.cookie);
					if (PCT(70))
						forget_handle(t, rx->c, h);
				}
			}
			if (k < 92)
				wc64(&t->fu, BC_DEAD_BINDER_DONE, u.cookie);
			break;
		}
		case BR_FROZEN_BINDER:
			if ((rx->flags & R_STRICT) && u.fz.is_frozen > 1)
				proto_fail(rx, "BR_FROZEN_BINDER is_frozen %u", u.fz.is_frozen);
			if (PCT(92))
				wc64(&t->fu, BC_FREEZE_NOTIFICATION_DONE, u.fz.cookie);
			break;
		case BR_SPAWN_LOOPER:
			if (PCT(10))
				wc(&t->fu, BC_REGISTER_LOOPER);
			break;
		default:
			break;
		}
	}
}

/*
 * A command that may free someone else's buffer is about to be written for
 * conn ci: in flight until this thread's next write to the driver. inflight
 * goes up before stale, and a reader loads stale0 before inflight0, so a
 * reader either began before the bump (stale differs at its check) or saw
 * the free pending (inflight0 > 0).
 */
static void stale_mark_in(struct thr *t, int *pend, int ci)
{
	atomic_fetch_add(&P.c[ci].inflight, 1);
	pend[ci]++;
	atomic_fetch_add(&P.c[ci].stale, 1);
}

static void stale_mark(struct thr *t, int ci)
{
	stale_mark_in(t, t->pend, ci);
}

/* The commands of pend (t->pend: in t->w; t->pend_fu: in t->fu) marked by
 * stale_mark() have been sent (or dropped). */
static void stale_sent_in(int *pend)
{
	int i;

	for (i = 0; i < NCONN; i++) {
		if (pend[i])
			atomic_fetch_sub(&P.c[i].inflight, pend[i]);
		pend[i] = 0;
	}
}

static void stale_sent(struct thr *t)
{
	stale_sent_in(t->pend);
	stale_sent_in(t->pend_fu);
}

/* Freeing pool entry b (added when stale was at): a stale free if stale
 * moved since (see conn.bufs_at). */
static void pool_free_mark(struct thr *t, int *pend, int ci, unsigned at)
{
	if (atomic_load(&P.c[ci].stale) != at)
		stale_mark_in(t, pend, ci);
}

/* Others' stale frees pending on conn ci (read after stale0). */
static int others_inflight(struct thr *t, int ci)
{
	return atomic_load(&P.c[ci].inflight) - t->pend[ci] - t->pend_fu[ci];
}

/*
 * One BINDER_WRITE_READ on conn ci (its rdlock held): the commands in
 * w/wlen and a read of rsize bytes into t->rbuf; the returns are handled
 * (follow-up commands collected in t->fu).
 */
static int xfer(struct thr *t, int ci, const void *w, size_t wlen, size_t rsize)
{
	struct conn *c = &P.c[ci];
	struct binder_write_read b;
	unsigned stale0 = atomic_load(&c->stale);
	int inflight0 = others_inflight(t, ci);
	int ret;

	memset(&b, 0, sizeof(b));
	b.write_buffer = (uintptr_t)w;
	b.write_size = wlen;
	b.read_buffer = (uintptr_t)t->rbuf;
	b.read_size = rsize;
	ret = ioctl(c->fd, BINDER_WRITE_READ, &b) < 0 ? -errno : 0;
	count_err(ret);
	if (w == t->w.p)
		stale_sent_in(t->pend);
	else if (w == t->fu2)
		stale_sent_in(t->pend_fu);
	t->last_wcons = b.write_consumed;
	/*
	 * A command cut by write_size is still read whole by C (its payload
	 * past write_size): write_consumed may exceed write_size by up to the
	 * largest payload (binder_transaction_data_sg).
	 */
	if (b.write_consumed > wlen + sizeof(struct binder_transaction_data_sg))
		fatal(t, "conn %d: write_consumed %llu > write_size %zu + 72 (ret %d)", ci,
		      (unsigned long long)b.write_consumed, wlen, ret);
	if (rsize >= 4 && b.read_consumed > rsize)
		fatal(t, "conn %d: read_consumed %llu > read_size %zu (ret %d)", ci,
		      (unsigned long long)b.read_consumed, rsize, ret);
	if (rsize && b.read_consumed && b.read_consumed <= rsize) {
		struct rx rx = { .t = t, .c = c, .ci = ci,
				 .flags = R_STRICT | R_DEREF, .stale0 = stale0,
				 .inflight0 = inflight0 };

		if (rsize < 4)
			rx.flags = 0;
		handle_returns(&rx, t->rbuf, b.read_consumed);
	}
	return ret;
}

/* Send the follow-up commands (and read), a few rounds. */
static void flush_fu(struct thr *t, int ci)
{
	int round;

	for (round = 0; round < 4 && t->fu.n; round++) {
		size_t n = t->fu.n;

		memcpy(t->fu2, t->fu.p, n);
		wreset(&t->fu);
		xfer(t, ci, t->fu2, n, 4096);
		if (t->last_wcons < n) {
			/* Stopped at a pending error (read it next round): requeue the rest. */
			size_t rest = n - t->last_wcons, keep = t->fu.n;

			if (rest + keep <= t->fu.cap) {
				memmove(t->fu.p + rest, t->fu.p, keep);
				memcpy(t->fu.p, t->fu2 + t->last_wcons, rest);
				t->fu.n = rest + keep;
			}
		}
	}
	wreset(&t->fu);
}

static size_t pick_rsize(struct thr *t)
{
	static const size_t sizes[] = { 4, 8, 76, 79, 80, 100, 256, 1024, RBUF };
	if (PCT(75))
		return 4096;
	return sizes[RND(sizeof(sizes) / sizeof(sizes[0]))];
}

/* Non-blocking reads until nothing is left (bounded). */
static void drain(struct thr *t, int ci, int max)
{
	int i;

	for (i = 0; i < max && !atomic_load(&S->stop); i++) {
		struct pollfd pfd = { .fd = P.c[ci].fd, .events = POLLIN };
		int ret;

		if (PCT(85) && poll(&pfd, 1, 0) == 0)
			break;
		ret = xfer(t, ci, NULL, 0, 4096);

		flush_fu(t, ci);
		if (ret)
			break;
	}
}

/* ---- transaction building ------------------------------------------ */
struct txb {
	uint32_t cmd;		/* BC_TRANSACTION(_SG) / BC_REPLY(_SG) */
	struct binder_transaction_data tr;
	uint64_t bsize;
};

static int pick_fd(struct thr *t, bool dirty)
{
	uint32_t k = RND(100);

	if (dirty && k < 25)
		return PCT(50) ? -1 : 1000 + (int)RND(50000);
	if (k < 70)
		return P.sendfds[RND(P.nsend)];
	/*
	 * A binder fd. Normally one of the process's spare binder fds (mapped,
	 * no nodes, never used for its own transactions): a binder file sent
	 * to a proc that is closed but not released (still referenced) stays
	 * in its queue, and such references can form cycles that keep
	 * binder_procs alive for ever (in C too: binder has no fd garbage
	 * collector). The spare fds can't be part of a cycle. With -X also
	 * the fds of the conns themselves (racy read: may be stale or -1).
	 */
	if (S->real_fds && PCT(10))
		return P.c[RND(NCONN)].fd;
	return P.bfd[RND(2)];
}

static size_t fill_random(struct thr *t, uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = PCT(50) ? R64() : RND(5);

		memcpy(d + i, &v, 8);
	}
	for (; i < n; i++)
		d[i] = (uint8_t)R64();
	return n;
}

/*
 * Build a transaction (or reply) in t->data / t->offs / t->sg. Most are
 * "clean" (valid objects and layout, so that they get delivered and deep
 * states are reached); the others ("dirty") get invalid fds, garbage
 * objects, bad parents, offsets, sizes and pointers.
 */
static void build(struct thr *t, int ci, bool reply, struct txb *x)
{
	struct conn *c = &P.c[ci];
	uint8_t *d = t->data;
	size_t len = 0, sgo = 0;
	int no = 0, nptr = 0, i, nobj;
	int ptr_idx[MAXOFFS];
	uint64_t ptr_len[MAXOFFS], bsz = 0;
	bool sg_objs = false, dirty = PCT(20);
	uint32_t flags = 0;

#define BAD(p) (dirty && PCT(p))
	nobj = PCT(15) ? 0 : 1 + RND(reply && c->cm ? 6 : 4);
	if (PCT(40))
		len += fill_random(t, d, 4 * (1 + RND(6)));
	for (i = 0; i < nobj; i++) {
		uint32_t k = RND(dirty ? 100 : 90);

		if (PCT(20))
			len += fill_random(t, d + len, 4 * (1 + RND(4)));
		if (len + 2 * sizeof(struct binder_buffer_object) + 16 > DATA_MAX ||
		    no + 2 > MAXOFFS)
			break;
		if (reply && c->cm && k < 50)
			k = 30 + RND(20);	/* the manager hands out handles */
		if (k < 26) {
			struct flat_binder_object o;
			uint64_t p = node_ptrs[RND(NPTRS)];

			memset(&o, 0, sizeof(o));
			o.hdr.type = k < 18 ? BINDER_TYPE_BINDER : BINDER_TYPE_WEAK_BINDER;
			o.binder = p;
			o.cookie = BAD(20) ? R64() : node_cookie(p);
			if (PCT(85))
				o.flags |= FLAT_BINDER_FLAG_ACCEPTS_FDS;
			if (PCT(20))
				o.flags |= RND(0x100);
			if (PCT(10))
				o.flags |= 1u << (13 + RND(8));	/* bits C ignores */
			if (BAD(4))
				o.flags |= FLAT_BINDER_FLAG_TXN_SECURITY_CTX;
			if (BAD(4))
				o.flags = (uint32_t)R64();
			t->offs[no++] = len;
			memcpy(d + len, &o, sizeof(o));
			len += sizeof(o);
		} else if (k < 50) {
			struct flat_binder_object o;

			memset(&o, 0, sizeof(o));
			o.hdr.type = k < 42 ? BINDER_TYPE_HANDLE : BINDER_TYPE_WEAK_HANDLE;
			o.handle = pick_handle(t, c);
			if (BAD(10))
				o.handle = (uint32_t)R64();
			if (PCT(3))
				o.cookie = R64();
			t->offs[no++] = len;
			memcpy(d + len, &o, sizeof(o));
			len += sizeof(o);
		} else if (k < 64) {
			struct binder_fd_object o;

			memset(&o, 0, sizeof(o));
			o.hdr.type = BINDER_TYPE_FD;
			o.fd = pick_fd(t, dirty);
			o.cookie = PCT(90) ? 0 : R64();
			if (BAD(5))
				o.pad_flags = (uint32_t)R64();
			t->offs[no++] = len;
			memcpy(d + len, &o, sizeof(o));
			len += sizeof(o);
		} else if (k < 90) {
			/* PTR, sometimes followed by an FDA in it. */
			struct binder_buffer_object o;
			bool fda = k >= 80;
			uint64_t l;

			memset(&o, 0, sizeof(o));
			o.hdr.type = BINDER_TYPE_PTR;
			if (fda) {
				int n = RND(5), j;

				l = 4 * n + (PCT(30) ? 8 * RND(4) : 0);
				if (sgo + l > SG_MAX)
					l = 0, n = 0;
				for (j = 0; j < n; j++) {
					int fd = pick_fd(t, dirty);

					memcpy(t->sg + sgo + 4 * j, &fd, 4);
				}
			} else {
				l = PCT(10) ? 0 : 1 + RND(300);
				if (sgo + l > SG_MAX)
					l = 0;
				fill_random(t, t->sg + sgo, l);
			}
			o.buffer = (uintptr_t)(t->sg + sgo);
			o.length = l;
			sgo += ALIGN8(l);
			if (BAD(6))
				o.buffer = PCT(50) ? 0x10 : 0xfffffffffffff000ULL;
			if (BAD(4))
				o.length = 1ULL << (20 + RND(40));
			if (nptr && PCT(35)) {
				/* A child of an earlier buffer (valid if it is the last one or an ancestor). */
				int pi = dirty ? (int)RND(nptr) : nptr - 1;

				o.flags = BINDER_BUFFER_FLAG_HAS_PARENT;
				o.parent = ptr_idx[pi];
				if (ptr_len[pi] >= 8 && !BAD(30))
					o.parent_offset = RND(ptr_len[pi] - 8 + 1) & ~7u;
				else
					o.parent_offset = RND(80);
				if (BAD(15))
					o.parent = RND(MAXOFFS + 4);
				if (!dirty && ptr_len[pi] < 8)
					o.flags = 0;
			} else if (BAD(6)) {
				o.flags = (uint32_t)R64();
			}
			ptr_idx[nptr] = no;
			ptr_len[nptr++] = l;
			bsz += ALIGN8(l);
			t->offs[no++] = len;
			memcpy(d + len, &o, sizeof(o));
			len += sizeof(o);
			sg_objs = true;
			if (fda) {
				struct binder_fd_array_object fa;

				memset(&fa, 0, sizeof(fa));
				fa.hdr.type = BINDER_TYPE_FDA;
				fa.num_fds = l / 4;
				if (l >= 4 && PCT(20))
					fa.num_fds = RND(l / 4);
				fa.parent = no - 1;
				fa.parent_offset = 0;
				if (BAD(25))
					fa.num_fds = PCT(50) ? RND(16) : R64();
				if (BAD(20))
					fa.parent = RND(no + 2);
				if (BAD(25))
					fa.parent_offset = RND(l + 8);
				if (BAD(5))
					fa.pad = 1;
				t->offs[no++] = len;
				memcpy(d + len, &fa, sizeof(fa));
				len += sizeof(fa);
			}
		} else {
			/* Garbage object: random type, or a real type cut short. */
			uint32_t type = (uint32_t)R64();

			if (PCT(50)) {
				static const uint32_t types[] = {
					BINDER_TYPE_BINDER, BINDER_TYPE_HANDLE,
					BINDER_TYPE_FD, BINDER_TYPE_FDA, BINDER_TYPE_PTR,
				};
				type = types[RND(5)] ^ (PCT(50) ? 1u << RND(32) : 0);
			}
			t->offs[no++] = len;
			fill_random(t, d + len, 24);
			memcpy(d + len, &type, 4);
			if (type == BINDER_TYPE_BINDER || type == BINDER_TYPE_WEAK_BINDER) {
				/*
				 * Its ptr: from the pool (nodes are checked against it).
				 * Cut short, it keeps its ptr: what follows (random words,
				 * often 0..4) would otherwise become the ptr of a node
				 * that both drivers create and the model doesn't know.
				 */
				uint64_t p = node_ptrs[RND(NPTRS)];

				memcpy(d + len + 8, &p, 8);
				len += PCT(50) ? 24 : 16;
			} else {
				len += PCT(50) ? 24 : 8;
			}
		}
	}
	if (PCT(30))
		len += fill_random(t, d + len, dirty ? RND(24) : 4 * RND(6));

	/* Flags. */
	if (!reply) {
		if (PCT(35))
			flags |= TF_ONE_WAY;
		if (PCT(85))
			flags |= TF_ACCEPT_FDS;
		if (PCT(15))
			flags |= TF_CLEAR_BUF;
		if (PCT((flags & TF_ONE_WAY) ? 25 : 3))
			flags |= TF_UPDATE_TXN;
		if (PCT(3))
			flags |= TF_ROOT_OBJECT | TF_STATUS_CODE;
		if (BAD(4))
			flags = (uint32_t)R64();
	} else {
		if (PCT(10))
			flags |= TF_STATUS_CODE;
		if (PCT(15))
			flags |= TF_CLEAR_BUF;
		if (PCT(10))
			flags |= TF_ACCEPT_FDS;
		if (BAD(8))
			flags |= TF_ONE_WAY;
	}

	memset(&x->tr, 0, sizeof(x->tr));
	x->tr.code = PCT(90) ? RND(6) : (uint32_t)R64();
	x->tr.flags = flags;
	x->tr.cookie = PCT(90) ? 0 : R64();
	x->tr.data_size = len;
	x->tr.offsets_size = no * sizeof(binder_size_t);
	x->tr.data.ptr.buffer = (uintptr_t)d;
	x->tr.data.ptr.offsets = (uintptr_t)t->offs;
	if (PCT(2))
		x->tr.sender_pid = (pid_t)R64();

	/* Mutations of the layout (dirty only). */
	if (no && BAD(30)) {
		int j = RND(no);

		switch (RND(7)) {
		case 0: t->offs[j] += 1 + RND(3); break;
		case 1: t->offs[j] = R64(); break;
		case 2: t->offs[j] = len >= 4 ? len - 4 : 0; break;
		case 3: t->offs[j] = len; break;
		case 4: t->offs[j] = j ? t->offs[j - 1] : 0; break;
		case 5: t->offs[j] = j ? t->offs[j - 1] + 8 : 8; break;
		default:
			if (no > 1) {
				binder_size_t tmp = t->offs[0];

				t->offs[0] = t->offs[no - 1];
				t->offs[no - 1] = tmp;
			}
		}
	}
	if (BAD(10))
		x->tr.offsets_size += PCT(50) ? 4 : 8 * (1 + RND(4));
	if (PCT(4))
		x->tr.data_size += 1 + RND(7);	/* unaligned data_size is fine */
	if (BAD(8))
		x->tr.data_size = RND(len + 1);
	if (BAD(4))
		x->tr.data_size = 1ULL << (16 + RND(30));
	if (BAD(4))
		x->tr.data.ptr.buffer = PCT(50) ? 0 : 0xfffffffffffff000ULL;
	if (BAD(4))
		x->tr.data.ptr.offsets = PCT(50) ? 8 : (uintptr_t)P.ro + PAGE - 4;
	if (BAD(4))
		x->tr.offsets_size = RND(2) ? (1ULL << 40) : 1ULL << 63;

	/* Plain or scatter-gather. */
	x->bsize = bsz;
	if (sg_objs ? !BAD(40) : PCT(10)) {
		x->cmd = reply ? BC_REPLY_SG : BC_TRANSACTION_SG;
		if (!sg_objs && PCT(50))
			x->bsize = 8 * RND(32);
		if (BAD(30)) {
			switch (RND(4)) {
			case 0: x->bsize = 0; break;
			case 1: x->bsize = bsz >= 8 ? bsz - 8 : 0; break;
			case 2: x->bsize = bsz + 8 * RND(64) + 1; break;
			default: x->bsize = R64(); break;
			}
		}
	} else {
		x->cmd = reply ? BC_REPLY : BC_TRANSACTION;
	}
#undef BAD
}

/* A clean transaction (or reply) with checksummed contents (see verify_echo()). */
static void build_echo(struct thr *t, bool reply, struct txb *x)
{
	uint8_t *d = t->data;
	struct echo_hdr h;
	size_t len = sizeof(h), pay;
	int no = 0;

	memset(&h, 0, sizeof(h));
	h.magic = ECHO_MAGIC;
	if (PCT(35)) {
		struct binder_buffer_object o;

		memset(&o, 0, sizeof(o));
		o.hdr.type = BINDER_TYPE_PTR;
		h.plen = 1 + RND(sizeof(t->pcopy));
		fill_random(t, t->sg, h.plen);
		h.psum = echo_sum(t->sg, h.plen);
		h.nptr = 1;
		o.buffer = (uintptr_t)t->sg;
		o.length = h.plen;
		t->offs[no++] = len;
		memcpy(d + len, &o, sizeof(o));
		len += sizeof(o);
	}
	if (PCT(6)) {
		/* Big: many pages (the payload is mostly the same every time). */
		int k;

		memcpy(t->big, d, len);
		d = t->big;
		pay = COPY_MAX + RND(BIG_MAX - COPY_MAX - len);
		for (k = 0; k < 16; k++)
			d[len + RND(pay)] = (uint8_t)R64();
	} else {
		pay = PCT(20) ? RND(16) : RND(DATA_MAX - len);
		fill_random(t, d + len, pay);
	}
	h.sum = echo_sum(d + len, pay);
	len += pay;
	h.len = len;
	memcpy(d, &h, sizeof(h));
	memset(&x->tr, 0, sizeof(x->tr));
	x->tr.code = ECHO_CODE;
	x->tr.flags = TF_ACCEPT_FDS | (!reply && PCT(30) ? TF_ONE_WAY : 0) |
		      (PCT(15) ? TF_CLEAR_BUF : 0);
	x->tr.data_size = len;
	x->tr.offsets_size = no * sizeof(binder_size_t);
	x->tr.data.ptr.buffer = (uintptr_t)d;
	x->tr.data.ptr.offsets = (uintptr_t)t->offs;
	x->bsize = ALIGN8(h.plen) + (PCT(20) ? 8 * RND(8) : 0);
	if (h.nptr || PCT(10))
		x->cmd = reply ? BC_REPLY_SG : BC_TRANSACTION_SG;
	else
		x->cmd = reply ? BC_REPLY : BC_TRANSACTION;
	atomic_fetch_add(&S->echo_sent, 1);
}

static void put_txb(struct wbuf *w, const struct txb *x)
{
	wc(w, x->cmd);
	wput(w, &x->tr, sizeof(x->tr));
	if (x->cmd == BC_TRANSACTION_SG || x->cmd == BC_REPLY_SG)
		wput(w, &x->bsize, sizeof(x->bsize));
}

/* ---- command generators (into t->w) --------------------------------- */
/* Returns true if a sync transaction was queued. */
static bool gen_txn(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct txb x;

	if (PCT(15)) {
		/* libbinder style: free an old buffer in the same write. */
		uint64_t b = 0;
		unsigned at = 0;

		pthread_mutex_lock(&c->mu);
		if (c->nbufs) {
			b = c->bufs[--c->nbufs];
			at = c->bufs_at[c->nbufs];
		}
		pthread_mutex_unlock(&c->mu);
		if (b) {
			pool_free_mark(t, t->pend, ci, at);
			wc64(&t->w, BC_FREE_BUFFER, b);
			note_freed(c, b);
		}
	}
	if (PCT(15))
		build_echo(t, false, &x);
	else
		build(t, ci, false, &x);
	x.tr.target.handle = pick_target(t, ci);
	t->last_kind = pick_kind;
	t->tc[ci].last_target = x.tr.target.handle;
	if (PCT(3) && c->intact) {
		/* Forward: the data of a received buffer (in the read-only mapping). */
		uint64_t b = 0;

		pthread_mutex_lock(&c->mu);
		if (c->nbufs)
			b = c->bufs[RND(c->nbufs)];
		pthread_mutex_unlock(&c->mu);
		if (b) {
			x.tr.data.ptr.buffer = b;
			x.tr.code = RND(6);	/* never ECHO_CODE: not ours to checksum */
			x.tr.data_size = RND(512);
			if (x.tr.data_size > (uintptr_t)c->map + c->map_size - b)
				x.tr.data_size = (uintptr_t)c->map + c->map_size - b;
			x.tr.offsets_size = 0;
		}
	}
	/* A sync call while one is pending fails (EPROTO): mostly one-way then. */
	if (t->tc[ci].awaiting && PCT(90))
		x.tr.flags |= TF_ONE_WAY;
	put_txb(&t->w, &x);
	return !(x.tr.flags & TF_ONE_WAY);
}

static void gen_reply(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct tconn *tc = &t->tc[ci];
	struct txb x;
	uint64_t in = 0;
	bool echo = false;

	if (tc->nin) {
		in = tc->in[--tc->nin];
		echo = tc->in_echo[tc->nin];
	}
	unsigned at;

	if (in && PCT(60) && take_buf(c, in, &at)) {
		pool_free_mark(t, t->pend, ci, at);
		wc64(&t->w, BC_FREE_BUFFER, in);
		note_freed(c, in);
	}
	if (PCT(echo ? 75 : 5))
		build_echo(t, true, &x);
	else
		build(t, ci, true, &x);
	put_txb(&t->w, &x);
}

static void gen_free(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	uint32_t k = RND(100);
	uint64_t b = 0;

	if (k < 72) {
		unsigned at = 0;

		pthread_mutex_lock(&c->mu);
		if (c->nbufs) {
			int i = PCT(70) ? 0 : RND(c->nbufs);

			b = c->bufs[i];
			at = c->bufs_at[i];
			c->bufs[i] = c->bufs[--c->nbufs];
			c->bufs_at[i] = c->bufs_at[c->nbufs];
		}
		pthread_mutex_unlock(&c->mu);
		if (!b)
			return;
		pool_free_mark(t, t->pend, ci, at);
		wc64(&t->w, BC_FREE_BUFFER, b);
		note_freed(c, b);
		if (PCT(8)) {
			/* Double free in the same write. */
			stale_mark(t, ci);
			wc64(&t->w, BC_FREE_BUFFER, b);
		}
	} else if (k < 82) {
		/* Stale: a buffer freed before (its address may be reused). */
		pthread_mutex_lock(&c->mu);
		if (c->nfreed)
			b = c->freed[RND(c->nfreed)];
		pthread_mutex_unlock(&c->mu);
		if (!b)
			return;
		stale_mark(t, ci);
		wc64(&t->w, BC_FREE_BUFFER, b);
	} else if (k < 91) {
		/* Bogus, inside the mapping. */
		if (!c->map)
			return;
		stale_mark(t, ci);
		b = (uintptr_t)c->map + (RND(c->map_size) & ~(PCT(80) ? 7u : 0u));
		wc64(&t->w, BC_FREE_BUFFER, b);
	} else {
		static const uint64_t bogus[] = { 0, 8, 0xfffffffffffffff8ULL, 0x7fffffffffffULL };

		b = PCT(50) ? bogus[RND(4)] : R64();
		wc64(&t->w, BC_FREE_BUFFER, b);
	}
}

static void gen_refs(struct thr *t, int ci)
{
	static const uint32_t cmds[] = { BC_INCREFS, BC_ACQUIRE, BC_RELEASE, BC_DECREFS };
	struct conn *c = &P.c[ci];
	uint32_t cmd = cmds[RND(4)], h;
	bool sent = false;

	pthread_mutex_lock(&c->mu);
	if (c->nh && PCT(85)) {
		struct href *e = &c->hs[RND(c->nh)];

		h = e->h;
		switch (cmd) {
		case BC_INCREFS:
			if (e->weak < 4 || PCT(5)) {
				e->weak++;
				sent = true;
			}
			break;
		case BC_ACQUIRE:
			if (e->strong < 4 || PCT(5)) {
				e->strong++;
				sent = true;
			}
			break;
		case BC_RELEASE:
			if (e->strong > 0) {
				e->strong--;
				sent = true;
			} else {
				sent = PCT(10);
			}
			break;
		default:
			if (e->weak > 0) {
				e->weak--;
				sent = true;
			} else {
				sent = PCT(10);
			}
		}
	} else {
		h = PCT(50) ? RND(8) : (uint32_t)R64();
		sent = true;
	}
	pthread_mutex_unlock(&c->mu);
	if (sent)
		wc32(&t->w, cmd, h);
}

static void gen_done(struct thr *t, int ci)
{
	uint64_t p = node_ptrs[RND(NPTRS)];
	uint64_t ck = PCT(50) ? node_cookie(p) : R64();

	if (PCT(20))
		p = R64();
	wcpc(&t->w, PCT(50) ? BC_INCREFS_DONE : BC_ACQUIRE_DONE, p, ck);
}

static void gen_looper(struct thr *t, int ci)
{
	uint32_t k = RND(100);

	wc(&t->w, k < 55 ? BC_ENTER_LOOPER : k < 80 ? BC_REGISTER_LOOPER : BC_EXIT_LOOPER);
}

static uint64_t death_cookie(int ci, uint32_t h)
{
	return (0xdeadULL << 48) | ((uint64_t)ci << 32) | h;
}

static void gen_notif(struct thr *t, int ci, bool freeze)
{
	struct conn *c = &P.c[ci];
	struct req *a = freeze ? c->frz : c->death;
	int *n = freeze ? &c->nfrz : &c->ndeath;
	uint32_t req = freeze ? BC_REQUEST_FREEZE_NOTIFICATION : BC_REQUEST_DEATH_NOTIFICATION;
	uint32_t clr = freeze ? BC_CLEAR_FREEZE_NOTIFICATION : BC_CLEAR_DEATH_NOTIFICATION;
	uint32_t done = freeze ? BC_FREEZE_NOTIFICATION_DONE : BC_DEAD_BINDER_DONE;
	uint32_t k = RND(100);

	if (k < 55) {
		uint32_t h = pick_handle(t, c);
		uint64_t ck = PCT(90) ? death_cookie(ci, h) ^ (freeze ? 1ULL << 47 : 0) : R64();

		wchc(&t->w, req, h, ck);
		pthread_mutex_lock(&c->mu);
		if (*n < MAXREQ) {
			a[*n].h = h;
			a[*n].cookie = ck;
			(*n)++;
		}
		pthread_mutex_unlock(&c->mu);
	} else if (k < 88) {
		struct req r = { .h = pick_handle(t, c), .cookie = R64() };
		bool have = false;

		pthread_mutex_lock(&c->mu);
		if (*n) {
			int i = RND(*n);

			r = a[i];
			a[i] = a[--*n];
			have = true;
		}
		pthread_mutex_unlock(&c->mu);
		if (have && PCT(10))
			r.cookie ^= 0x100;
		wchc(&t->w, clr, r.h, r.cookie);
	} else {
		uint64_t ck = R64();

		pthread_mutex_lock(&c->mu);
		if (*n && PCT(60))
			ck = a[RND(*n)].cookie;
		pthread_mutex_unlock(&c->mu);
		wc64(&t->w, done, ck);
	}
}

static void gen_garbage(struct thr *t, int ci)
{
	static const uint32_t bcs[] = {
		BC_TRANSACTION, BC_REPLY, BC_ACQUIRE_RESULT, BC_FREE_BUFFER,
		BC_INCREFS, BC_ACQUIRE, BC_RELEASE, BC_DECREFS, BC_INCREFS_DONE,
		BC_ACQUIRE_DONE, BC_ATTEMPT_ACQUIRE, BC_REGISTER_LOOPER,
		BC_ENTER_LOOPER, BC_EXIT_LOOPER, BC_REQUEST_DEATH_NOTIFICATION,
		BC_CLEAR_DEATH_NOTIFICATION, BC_DEAD_BINDER_DONE,
		BC_TRANSACTION_SG, BC_REPLY_SG, BC_REQUEST_FREEZE_NOTIFICATION,
		BC_CLEAR_FREEZE_NOTIFICATION, BC_FREEZE_NOTIFICATION_DONE,
	};
	int n = 1 + RND(6), i;

	for (i = 0; i < n && wroom(&t->w, 128); i++) {
		uint32_t k = RND(100);

		if (k < 40) {
			/* A real command with a random (maybe cut) payload. */
			uint32_t cmd = bcs[RND(sizeof(bcs) / sizeof(bcs[0]))];
			size_t sz = _IOC_SIZE(cmd);

			if (cmd == BC_FREE_BUFFER)
				stale_mark(t, ci);
			wc(&t->w, cmd);
			if (PCT(30))
				sz = RND(sz + 1);
			fill_random(t, t->w.p + t->w.n, sz);
			t->w.n += sz;
		} else if (k < 55) {
			wc(&t->w, PCT(50) ? BC_ATTEMPT_ACQUIRE : BC_ACQUIRE_RESULT);
			wc64(&t->w, (uint32_t)R64(), R64());
		} else if (k < 75) {
			/* Right type/nr, wrong size or direction. */
			uint32_t cmd = bcs[RND(sizeof(bcs) / sizeof(bcs[0]))];

			cmd ^= PCT(50) ? (1u << (16 + RND(14))) : (1u << (30 + RND(2)));
			wc(&t->w, cmd);
		} else {
			wc(&t->w, (uint32_t)R64());
		}
	}
}

/* A random simple command for OP_MULTI. */
static bool gen_any(struct thr *t, int ci, bool *txn_used)
{
	switch (RND(9)) {
	case 0:
		if (*txn_used)
			return false;
		*txn_used = true;
		return gen_txn(t, ci);
	case 1:
		if (*txn_used || !t->tc[ci].nin)
			return false;
		*txn_used = true;
		gen_reply(t, ci);
		return false;
	case 2: gen_free(t, ci); return false;
	case 3: gen_refs(t, ci); return false;
	case 4: gen_done(t, ci); return false;
	case 5: gen_looper(t, ci); return false;
	case 6: gen_notif(t, ci, false); return false;
	case 7: gen_notif(t, ci, true); return false;
	default:
		if (PCT(20))
			gen_garbage(t, ci);
		return false;
	}
}

/* ---- operations on a conn (its rdlock held) -------------------------- */
static void do_write(struct thr *t, int ci, bool sync_txn, size_t rsize)
{
	struct tconn *tc = &t->tc[ci];

	if (sync_txn) {
		if (!tc->awaiting)
			tc->await_since = now_ms();
		tc->awaiting++;
	}
	xfer(t, ci, t->w.p, t->w.n, rsize);
	if (sync_txn && t->last_wcons < t->w.n && tc->awaiting > 0)
		tc->awaiting--;
}

/*
 * Many one-way calls to one handle in a single write (their buffers queue
 * up in the target's async space: low async space, spam detection).
 */
static void op_burst(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct txb x;
	int n = 8 + RND(40), i;

	if (PCT(60)) {
		uint32_t on = 1;

		ioctl(c->fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION, &on);
	}
	build(t, ci, false, &x);
	x.tr.target.handle = pick_target(t, ci);
	x.tr.flags |= TF_ONE_WAY;
	if (PCT(50)) {
		/* Fat ones. */
		x.tr.data_size = DATA_MAX;
		x.tr.offsets_size = 0;
	}
	wreset(&t->w);
	for (i = 0; i < n && wroom(&t->w, sizeof(x.tr) + 16); i++)
		put_txb(&t->w, &x);
	atomic_fetch_add(&S->bursts, 1);
	do_write(t, ci, false, PCT(50) ? RBUF : 0);
}

static void reset_tconn(struct thr *t, int ci)
{
	t->tc[ci].nin = 0;
	t->tc[ci].awaiting = 0;
}

static void enter_looper(struct thr *t, int ci)
{
	wreset(&t->w);
	wc(&t->w, BC_ENTER_LOOPER);
	xfer(t, ci, t->w.p, t->w.n, 0);
}

static void op_hostile(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct binder_write_read b;
	uint8_t *H = t->host;
	uint64_t c0;
	bool sync = false;
	int ret;

	memset(&b, 0, sizeof(b));
	wreset(&t->w);
	if (PCT(50))
		sync = gen_txn(t, ci);
	else if (PCT(50))
		wc32(&t->w, BC_ACQUIRE, pick_handle(t, c));
	memset(H, 0, 256);
	b.write_buffer = (uintptr_t)t->w.p;
	b.write_size = t->w.n;
	b.read_buffer = (uintptr_t)H;
	switch (RND(11)) {
	case 0:		/* read_size < 4: C writes BR_NOOP and the work past it */
		b.read_size = 1 + RND(3);
		break;
	case 1:		/* read_consumed > read_size */
		b.read_size = RND(80);
		b.read_consumed = b.read_size + 1 + RND(4096);
		break;
	case 2:		/* read_consumed far outside */
		b.read_size = RND(256);
		b.read_consumed = 1ULL << (40 + RND(24));
		break;
	case 3:		/* read buffer near 2^64 */
		b.read_buffer = 0xfffffffffffffff0ULL - 8 * RND(64);
		b.read_size = 256;
		b.read_consumed = PCT(50) ? 0 : 32;
		break;
	case 4:		/* write_consumed > write_size */
		b.read_size = PCT(50) ? 4096 : 0;
		b.write_consumed = b.write_size + 1 + RND(64);
		if (PCT(30))
			b.write_consumed = 1ULL << 62;
		break;
	case 5:		/* write buffer near 2^64 */
		b.write_buffer = UINT64_MAX - RND(32);
		b.write_size = 8 + RND(64);
		b.read_size = PCT(50) ? 4096 : 0;
		break;
	case 6:		/* no read, random read_consumed */
		b.read_size = 0;
		b.read_consumed = R64();
		if (PCT(50))
			b.read_buffer = R64();
		break;
	case 7: {	/* write_size runs into a PROT_NONE page */
		size_t pairs = 1 + RND(256), i;
		uint32_t h = PCT(50) ? 0 : pick_handle(t, c);
		uint8_t *s = H + HOST_SIZE - pairs * 16;

		for (i = 0; i < pairs; i++) {
			uint32_t v[4] = { BC_INCREFS, h, BC_DECREFS, h };

			memcpy(s + 16 * i, v, 16);
		}
		b.write_buffer = (uintptr_t)s;
		b.write_size = PCT(50) ? pairs * 16 + 4 : 1ULL << (20 + RND(40));
		b.write_consumed = 0;
		b.read_size = 0;
		break;
	}
	case 8:		/* read into the read-only binder mapping / a read-only page */
		b.read_buffer = c->intact && PCT(50) ? (uintptr_t)c->map : (uintptr_t)P.ro;
		b.read_size = 256;
		break;
	case 9:		/* the binder mapping as write buffer */
		if (!c->intact)
			return;
		stale_mark(t, ci);
		atomic_store(&c->wild, 1);
		b.write_buffer = (uintptr_t)c->map + (RND(c->map_size) & ~3u);
		b.write_size = 4 + RND(256);
		if ((uintptr_t)c->map + c->map_size - b.write_buffer < b.write_size)
			b.write_size = (uintptr_t)c->map + c->map_size - b.write_buffer;
		b.read_size = 0;
		break;
	default:	/* read_consumed inside the buffer, ordinary size */
		b.read_size = 256 + RND(4096);
		b.read_consumed = 4 * RND(64);
		break;
	}
	c0 = b.read_consumed;
	if (sync)
		t->tc[ci].awaiting++, t->tc[ci].await_since = now_ms();
	ret = ioctl(c->fd, BINDER_WRITE_READ, &b) < 0 ? -errno : 0;
	count_err(ret);
	stale_sent_in(t->pend);
	if (sync && b.write_consumed < t->w.n && t->tc[ci].awaiting > 0)
		t->tc[ci].awaiting--;
	/* Handle what was written into H (to keep the state), no checks. */
	if (b.read_buffer == (uintptr_t)H && b.read_consumed > c0 &&
	    b.read_consumed <= HOST_SIZE && c0 <= HOST_SIZE) {
		struct rx rx = { .t = t, .c = c, .ci = ci, .flags = R_DEREF,
				 .stale0 = atomic_load(&c->stale) };

		handle_returns(&rx, H + c0, b.read_consumed - c0);
	}
}

static void op_ioctl(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	int fd = c->fd, ret = 0;

	switch (RND(15)) {
	case 0: {
		uint32_t n = PCT(80) ? RND(16) : (uint32_t)R64();

		ret = ioctl(fd, BINDER_SET_MAX_THREADS, &n);
		break;
	}
	case 1:
		ret = ioctl(fd, PCT(50) ? BINDER_SET_MAX_THREADS : BINDER_ENABLE_ONEWAY_SPAM_DETECTION, NULL);
		break;
	case 2:
		ret = ioctl(fd, BINDER_THREAD_EXIT, NULL);
		reset_tconn(t, ci);
		if (PCT(85))
			enter_looper(t, ci);
		break;
	case 3: {
		struct binder_version v = { .protocol_version = -1 };

		ret = ioctl(fd, BINDER_VERSION, &v);
		if (ret == 0 && v.protocol_version != BINDER_CURRENT_PROTOCOL_VERSION)
			fatal(t, "BINDER_VERSION: %d", v.protocol_version);
		break;
	}
	case 4:
		ret = ioctl(fd, BINDER_VERSION, PCT(50) ? NULL : (void *)P.ro);
		break;
	case 5: {
		struct binder_node_debug_info ni;
		uint64_t prev = PCT(70) ? 0 : node_ptrs[RND(NPTRS)];
		int i;

		for (i = 0; i < 10; i++) {
			memset(&ni, 0, sizeof(ni));
			ni.ptr = prev;
			ret = ioctl(fd, BINDER_GET_NODE_DEBUG_INFO, &ni);
			if (ret)
				break;
			if (!ni.ptr)
				break;
			if (ni.ptr <= prev || (!is_pool_ptr(ni.ptr) && !atomic_load(&c->wild)))
				fatal(t, "GET_NODE_DEBUG_INFO after %#llx: %#llx",
				      (unsigned long long)prev, (unsigned long long)ni.ptr);
			if (ni.has_strong_ref > 1 || ni.has_weak_ref > 1)
				fatal(t, "GET_NODE_DEBUG_INFO has_strong_ref %u has_weak_ref %u",
				      ni.has_strong_ref, ni.has_weak_ref);
			prev = ni.ptr;
		}
		break;
	}
	case 6: {
		struct binder_node_info_for_ref ir;

		memset(&ir, 0, sizeof(ir));
		ir.handle = pick_handle(t, c);
		if (PCT(10))
			ir.strong_count = 1;
		if (PCT(5))
			ir.reserved3 = 1;
		ret = ioctl(fd, BINDER_GET_NODE_INFO_FOR_REF, &ir);
		break;
	}
	case 7: {
		struct binder_extended_error ee;

		memset(&ee, 0xa5, sizeof(ee));
		ret = ioctl(fd, BINDER_GET_EXTENDED_ERROR, &ee);
		if (ret == 0 && (br_size(ee.command) < 0 && ee.command != BR_OK))
			fatal(t, "GET_EXTENDED_ERROR command %#x", ee.command);
		if (ret == 0 && ee.command == BR_OK && ee.param)
			fatal(t, "GET_EXTENDED_ERROR BR_OK with param %d", ee.param);
		break;
	}
	case 8: {
		uint32_t e = PCT(90) ? RND(2) : (uint32_t)R64();

		ret = ioctl(fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION, &e);
		break;
	}
	case 9:
	case 10: {
		struct binder_frozen_status_info fi;
		int k = RND(100);

		memset(&fi, 0, sizeof(fi));
		if (k < 30)
			fi.pid = getpid();
		else if (k < 85)
			fi.pid = atomic_load(&S->p[RND(S->nprocs)].pid);
		else
			fi.pid = PCT(50) ? 1 : (uint32_t)R64();
		ret = ioctl(fd, BINDER_GET_FROZEN_INFO, &fi);
		if (ret == 0 && (fi.sync_recv > 3 || fi.async_recv > 1))
			fatal(t, "GET_FROZEN_INFO pid %u: sync_recv %u async_recv %u",
			      fi.pid, fi.sync_recv, fi.async_recv);
		break;
	}
	case 11: {
		static const unsigned long bad[] = {
			BINDER_SET_IDLE_TIMEOUT, BINDER_SET_IDLE_PRIORITY,
			_IOWR('b', 99, uint64_t), TCGETS, _IO('b', 1),
			_IOW('b', 1, uint32_t), _IOWR('b', 10, uint64_t),
		};
		uint64_t arg[8] = { 0 };

		ret = ioctl(fd, bad[RND(sizeof(bad) / sizeof(bad[0]))], arg);
		break;
	}
	case 12: {
		/* BINDER_WRITE_READ with a bad struct pointer. */
		static const uintptr_t bad[] = { 0, 8, 0xfffffffffffffff0ULL };

		ret = ioctl(fd, BINDER_WRITE_READ, PCT(70) ? (void *)bad[RND(3)] : (void *)P.ro);
		break;
	}
	case 13: {
		struct binder_freeze_info fz;

		memset(&fz, 0, sizeof(fz));
		fz.pid = PCT(50) ? 1 : (uint32_t)R64();
		fz.enable = RND(3);
		ret = ioctl(fd, BINDER_FREEZE, PCT(50) ? (void *)&fz : NULL);
		break;
	}
	default:
		wreset(&t->w);
		wc(&t->w, BC_ENTER_LOOPER);
		xfer(t, ci, t->w.p, t->w.n, pick_rsize(t));
		break;
	}
	count_err(ret < 0 ? -errno : 0);
}

static void op_setcm(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct flat_binder_object fbo;
	int ret;

	memset(&fbo, 0, sizeof(fbo));
	fbo.hdr.type = PCT(90) ? BINDER_TYPE_BINDER : (uint32_t)R64();
	fbo.flags = PCT(80) ? FLAT_BINDER_FLAG_ACCEPTS_FDS : (uint32_t)R64();
	fbo.binder = PCT(80) ? node_ptrs[RND(NPTRS)] : 0;
	fbo.cookie = node_cookie(fbo.binder);
	if (PCT(50))
		ret = ioctl(c->fd, BINDER_SET_CONTEXT_MGR_EXT, PCT(95) ? (void *)&fbo : NULL);
	else
		ret = ioctl(c->fd, BINDER_SET_CONTEXT_MGR, &(int32_t){0});
	if (ret == 0)
		c->cm = true;
	count_err(ret < 0 ? -errno : 0);
}

static void op_poll(struct thr *t, int ci, int timeout)
{
	struct pollfd pfd = { .fd = P.c[ci].fd, .events = POLLIN | (PCT(10) ? POLLOUT : 0) };
	int ret = poll(&pfd, 1, timeout);

	if (ret > 0 && (pfd.revents & POLLIN))
		drain(t, ci, 2);
}

static void op_flush(struct thr *t, int ci)
{
	int d = dup(P.c[ci].fd);

	/* close() of another fd of the file: binder_flush() against our threads. */
	if (d >= 0)
		close(d);
}

/* Non-conn operations. */
static void freeze_pid(struct thr *t, int ci, pid_t pid, bool enable, uint32_t timeout)
{
	struct binder_freeze_info fz = { .pid = pid, .enable = enable, .timeout_ms = timeout };
	int ret = ioctl(P.c[ci].fd, BINDER_FREEZE, &fz) < 0 ? -errno : 0;

	count_err(ret);
}

static void op_freeze(struct thr *t, int ci)
{
	uint32_t k = RND(100);
	int target = RND(S->nprocs);
	pid_t pid;

	if (k < 20)
		target = t->pidx;
	pid = atomic_load(&S->p[target].pid);
	if (k >= 90)
		pid = PCT(50) ? 1 : (pid_t)(R64() & 0x3fffff);
	if (PCT(15)) {
		freeze_pid(t, ci, pid, false, 0);
		if (k < 90)
			atomic_store(&S->p[target].frozen_until, 0);
		return;
	}
	freeze_pid(t, ci, pid, true, PCT(40) ? 0 : 1 + RND(40));
	if (k < 90)
		atomic_store(&S->p[target].frozen_until, now_ms() + 10 + RND(300));
}

/* Unfreeze the processes whose freeze expired (any thread does it). */
static void unfreeze_due(struct thr *t)
{
	long now = now_ms();
	int i;

	for (i = 0; i < S->nprocs; i++) {
		long until = atomic_load(&S->p[i].frozen_until);

		if (until && now >= until &&
		    atomic_compare_exchange_strong(&S->p[i].frozen_until, &until, 0)) {
			struct conn *c = &P.c[0];

			pthread_rwlock_rdlock(&c->lk);
			if (c->fd >= 0)
				freeze_pid(t, 0, atomic_load(&S->p[i].pid), false, 0);
			pthread_rwlock_unlock(&c->lk);
		}
	}
}

static int timed_wrlock(pthread_rwlock_t *lk, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return pthread_rwlock_timedwrlock(lk, &ts);
}

static void reopen_locked(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];

	conn_close(c);
	conn_open(c, &t->rng);
	c->gen++;
	c->reopen_at = 0;
	atomic_fetch_add(&S->reopens, 1);
	if (c->fd >= 0 && P.cm_of[ci] && PCT(95))
		become_cm(c, &t->rng);
}

/*
 * Close + reopen. Usually with the other threads kept out (wrlock); the
 * racy way: munmap and close the old fd (dup2() of /dev/null over it, so
 * that its number stays ours) while the other threads may be inside
 * ioctls on it, then install the new one.
 */
static void op_reopen(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	struct conn nc;
	int i;

	pthread_mutex_lock(&c->mapmu);
	if (!PCT(40) || c->fd < 0) {
		if (!timed_wrlock(&c->lk, 300)) {
			reopen_locked(t, ci);
			pthread_rwlock_unlock(&c->lk);
		}
		pthread_mutex_unlock(&c->mapmu);
		return;
	}
	memset(&nc, 0, sizeof(nc));
	nc.idx = ci;
	conn_open(&nc, &t->rng);
	/*
	 * Readers that still saw intact may fault in safe_copy(): their
	 * anomaly is excused by the stale bump (ordered after intact = false,
	 * before the munmap).
	 */
	__atomic_store_n(&c->intact, false, __ATOMIC_SEQ_CST);
	atomic_fetch_add(&c->stale, 1);
	for (i = 0; i < c->nreg; i++)
		munmap(c->reg[i].a, c->reg[i].n);
	c->nreg = 0;
	if (dup2(P.nullfd, c->fd) < 0)
		count_err(-errno);
	for (i = 0; timed_wrlock(&c->lk, 300); i++)
		set_op(t, "racy reopen conn %d: waiting for the other threads (%d)", ci, i);
	close(c->fd);
	c->fd = nc.fd;
	c->map = nc.map;
	c->map_size = nc.map_size;
	c->intact = nc.intact;
	memcpy(c->reg, nc.reg, sizeof(c->reg));
	c->nreg = nc.nreg;
	conn_clear_pools(c);
	atomic_store(&c->wild, 0);
	c->gen++;
	c->reopen_at = 0;
	atomic_fetch_add(&S->reopens, 1);
	atomic_fetch_add(&S->racy_reopens, 1);
	if (c->fd >= 0 && P.cm_of[ci] && PCT(95))
		become_cm(c, &t->rng);
	pthread_rwlock_unlock(&c->lk);
	pthread_mutex_unlock(&c->mapmu);
}

static void op_map(struct thr *t, int ci)
{
	struct conn *c = &P.c[ci];
	void *m;

	pthread_mutex_lock(&c->mapmu);
	if (timed_wrlock(&c->lk, 300)) {
		pthread_mutex_unlock(&c->mapmu);
		return;
	}
	if (!c->intact || c->fd < 0 || c->map_size < 2 * PAGE) {
		pthread_rwlock_unlock(&c->lk);
		pthread_mutex_unlock(&c->mapmu);
		return;
	}
	switch (RND(6)) {
	case 0:
		munmap(c->map, c->map_size);
		c->nreg = 0;
		c->intact = false;
		break;
	case 1:
		munmap(c->map, PAGE);
		c->reg[0].a = c->map + PAGE;
		c->reg[0].n = c->map_size - PAGE;
		c->intact = false;
		break;
	case 2:
		munmap(c->map + c->map_size - PAGE, PAGE);
		c->reg[0].n = c->map_size - PAGE;
		c->intact = false;
		break;
	case 3: {
		size_t half = (c->map_size / 2) & ~(size_t)(PAGE - 1);

		m = mremap(c->map, c->map_size, half, 0);
		if (m != MAP_FAILED) {
			c->reg[0].n = half;
			c->intact = false;
		}
		break;
	}
	case 4:
		m = mremap(c->map, c->map_size, c->map_size * 2, MREMAP_MAYMOVE);
		if (m != MAP_FAILED) {
			c->reg[0].a = m;
			c->reg[0].n = c->map_size * 2;
			c->intact = false;
		}
		break;
	default:
		/* A second mmap: EBUSY. */
		m = mmap(NULL, PAGE * 4, PROT_READ, MAP_PRIVATE, c->fd, 0);
		if (m != MAP_FAILED && c->nreg < 3) {
			c->reg[c->nreg].a = m;
			c->reg[c->nreg].n = PAGE * 4;
			c->nreg++;
		}
		break;
	}
	if (!c->intact)
		c->reopen_at = now_ms() + 20 + RND(400);
	pthread_rwlock_unlock(&c->lk);
	pthread_mutex_unlock(&c->mapmu);
}

/* ---- returns without state: forked children, foreign fds ------------ */
/*
 * Parse a read of a binder fd whose buffers we must not touch: free them,
 * answer sync transactions with an empty reply, acknowledge refs and
 * notifications. No locks, no stdio (safe in a forked child). Returns -1
 * on an impossible answer.
 */
static int simple_returns(const uint8_t *p, size_t len, struct wbuf *fu)
{
	const uint8_t *end = p + len;

	while (p < end) {
		union {
			struct binder_transaction_data tr;
			struct binder_transaction_data_secctx sc;
			struct binder_ptr_cookie pc;
			binder_uintptr_t cookie;
			struct binder_frozen_state_info fz;
		} u;
		uint32_t cmd;
		int sz;

		if (end - p < 4)
			return -1;
		memcpy(&cmd, p, 4);
		p += 4;
		sz = br_size(cmd);
		if (sz < 0 || end - p < sz)
			return -1;
		memcpy(&u, p, sz);
		p += sz;
		switch (cmd) {
		case BR_TRANSACTION_SEC_CTX:
		case BR_TRANSACTION:
		case BR_REPLY:
			wc64(fu, BC_FREE_BUFFER, u.tr.data.ptr.buffer);
			if (cmd != BR_REPLY && !(u.tr.flags & TF_ONE_WAY)) {
				struct binder_transaction_data r;

				memset(&r, 0, sizeof(r));
				wc(fu, BC_REPLY);
				wput(fu, &r, sizeof(r));
			}
			break;
		case BR_INCREFS:
			wcpc(fu, BC_INCREFS_DONE, u.pc.ptr, u.pc.cookie);
			break;
		case BR_ACQUIRE:
			wcpc(fu, BC_ACQUIRE_DONE, u.pc.ptr, u.pc.cookie);
			break;
		case BR_DEAD_BINDER:
			wc64(fu, BC_DEAD_BINDER_DONE, u.cookie);
			break;
		case BR_FROZEN_BINDER:
			wc64(fu, BC_FREEZE_NOTIFICATION_DONE, u.fz.cookie);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* Read fd (non-blocking) and answer; -1 on an impossible answer. */
static int simple_read(int fd, uint8_t *rb, size_t rsize, uint8_t *fm, size_t fcap)
{
	struct wbuf fu = { .p = fm, .n = 0, .cap = fcap };
	struct binder_write_read b;
	int i;

	for (i = 0; i < 3; i++) {
		memset(&b, 0, sizeof(b));
		b.read_buffer = (uintptr_t)rb;
		b.read_size = rsize;
		b.write_buffer = (uintptr_t)fm;
		b.write_size = fu.n;
		if (ioctl(fd, BINDER_WRITE_READ, &b) < 0 && errno != EAGAIN)
			return 0;
		if (b.read_consumed > rsize || b.write_consumed > fu.n)
			return -1;
		fu.n = 0;
		if (!b.read_consumed)
			break;
		if (simple_returns(rb, b.read_consumed, &fu))
			return -1;
		if (!fu.n)
			break;
	}
	if (fu.n) {
		memset(&b, 0, sizeof(b));
		b.write_buffer = (uintptr_t)fm;
		b.write_size = fu.n;
		ioctl(fd, BINDER_WRITE_READ, &b);
	}
	return 0;
}

static void child_txn(int fd, uint64_t *rng, uint32_t h, bool oneway, bool node)
{
	struct {
		uint32_t cmd;
		struct binder_transaction_data tr;
	} __attribute__((packed)) w;
	uint64_t data[8] = { 0x1234, 0 };
	binder_size_t offs[2];
	struct binder_write_read b;
	size_t len = 16, no = 0;

	if (node) {
		struct flat_binder_object o;
		uint64_t p = node_ptrs[rn(rng, NPTRS)];

		memset(&o, 0, sizeof(o));
		o.hdr.type = BINDER_TYPE_BINDER;
		o.flags = FLAT_BINDER_FLAG_ACCEPTS_FDS;
		o.binder = p;
		o.cookie = node_cookie(p);
		offs[no++] = len;
		memcpy((uint8_t *)data + len, &o, sizeof(o));
		len += sizeof(o);
	}
	if (pc(rng, 30)) {
		struct binder_fd_object o;

		memset(&o, 0, sizeof(o));
		o.hdr.type = BINDER_TYPE_FD;
		o.fd = P.sendfds[rn(rng, P.nsend)];
		offs[no++] = len;
		memcpy((uint8_t *)data + len, &o, sizeof(o));
		len += sizeof(o);
	}
	memset(&w, 0, sizeof(w));
	w.cmd = BC_TRANSACTION;
	w.tr.target.handle = h;
	w.tr.code = rn(rng, 4);
	w.tr.flags = (oneway ? TF_ONE_WAY : 0) | TF_ACCEPT_FDS;
	w.tr.data_size = len;
	w.tr.offsets_size = no * sizeof(binder_size_t);
	w.tr.data.ptr.buffer = (uintptr_t)data;
	w.tr.data.ptr.offsets = (uintptr_t)offs;
	memset(&b, 0, sizeof(b));
	b.write_buffer = (uintptr_t)&w;
	b.write_size = sizeof(w);
	ioctl(fd, BINDER_WRITE_READ, &b);
}

static void child_fail(const char *what)
{
	say(2, "# FAIL: [fork child pid %d] %s\n", (int)getpid(), what);
	_exit(3);
}

/* A forked child with the inherited binder fds: a few ops, then exit. */
static __attribute__((noreturn)) void child_main(int fd, const uint32_t *hs, int nh,
						 uint64_t rng, pid_t parent)
{
	static uint8_t rb[4096] __attribute__((aligned(8)));
	static uint8_t fm[2048] __attribute__((aligned(8)));
	int nops = 2 + rn(&rng, 10), own = -1, i;
	struct pollfd pfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	signal(SIGALRM, SIG_DFL);
	alarm(15);
	if (pc(&rng, 50)) {
		own = open(S->dev[0], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (own >= 0 && mmap(NULL, 64 * 1024, PROT_READ, MAP_PRIVATE, own, 0) == MAP_FAILED) {
			close(own);
			own = -1;
		}
		if (own >= 0) {
			{
				uint32_t el = BC_ENTER_LOOPER;
				struct binder_write_read b = { .write_buffer = (uintptr_t)&el, .write_size = 4 };

				ioctl(own, BINDER_WRITE_READ, &b);
			}
			/* Register a node with the manager: it dies with us. */
			child_txn(own, &rng, 0, pc(&rng, 50), true);
		}
	}
	for (i = 0; i < nops; i++) {
		uint32_t h = nh && pc(&rng, 70) ? hs[rn(&rng, nh)] : rn(&rng, 3);

		atomic_fetch_add(&S->child_ops, 1);
		switch (rn(&rng, 9)) {
		case 0:
			child_txn(fd, &rng, h, true, pc(&rng, 40));
			break;
		case 1:
			child_txn(fd, &rng, h, false, pc(&rng, 40));
			break;
		case 2:
		case 3:
			if (simple_read(fd, rb, sizeof(rb), fm, sizeof(fm)))
				child_fail("impossible answer on the inherited fd");
			break;
		case 4: {
			void *m = mmap(NULL, PAGE * 4, PROT_READ, MAP_PRIVATE, fd, 0);

			if (m != MAP_FAILED)
				munmap(m, PAGE * 4);
			break;
		}
		case 5:
			if (own >= 0) {
				child_txn(own, &rng, pc(&rng, 50) ? 0 : h, pc(&rng, 50), pc(&rng, 50));
				pfd.fd = own;
				pfd.events = POLLIN;
				poll(&pfd, 1, 20);
				if (simple_read(own, rb, sizeof(rb), fm, sizeof(fm)))
					child_fail("impossible answer on its own fd");
			}
			break;
		case 6:
			pfd.fd = fd;
			pfd.events = POLLIN;
			poll(&pfd, 1, 10);
			break;
		case 7: {
			uint32_t el = pc(&rng, 70) ? BC_ENTER_LOOPER : BC_REGISTER_LOOPER;
			struct binder_write_read b = { .write_buffer = (uintptr_t)&el, .write_size = 4 };

			ioctl(fd, BINDER_WRITE_READ, &b);
			break;
		}
		default: {
			struct binder_version v;

			if (ioctl(fd, BINDER_VERSION, &v) == 0 && v.protocol_version != 8)
				child_fail("BINDER_VERSION != 8");
			break;
		}
		}
	}
	/* Answer what we took, then usually leave the thread cleanly. */
	for (i = 0; i < 3; i++)
		if (simple_read(fd, rb, sizeof(rb), fm, sizeof(fm)))
			child_fail("impossible answer on the inherited fd");
	if (pc(&rng, 80))
		ioctl(fd, BINDER_THREAD_EXIT, NULL);
	if (own >= 0 && pc(&rng, 50)) {
		pfd.fd = own;
		pfd.events = POLLIN;
		poll(&pfd, 1, 10);
		simple_read(own, rb, sizeof(rb), fm, sizeof(fm));
	}
	_exit(0);
}

static void dump_task(const char *who, pid_t pid, pid_t tid)
{
	char path[96], buf[4096];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", (int)pid, (int)tid);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	say(2, "# %s pid %d tid %d wchan: %s\n", who, (int)pid, (int)tid, buf);
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stack", (int)pid, (int)tid);
	fd = open(path, O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		char *l, *save = NULL;

		buf[n] = 0;
		for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			say(2, "#   %s\n", l);
	}
}

static void op_fork(struct thr *t)
{
	struct conn *c = &P.c[PCT(80) ? 0 : RND(NCONN)];
	uint32_t hs[8];
	int nh = 0, st = 0, fd;
	uint64_t crng = R64();
	pid_t me = getpid(), pid;
	long t0;

	pthread_rwlock_rdlock(&c->lk);
	fd = c->fd;
	pthread_mutex_lock(&c->mu);
	for (nh = 0; nh < c->nh && nh < 8; nh++)
		hs[nh] = c->hs[nh].h;
	pthread_mutex_unlock(&c->mu);
	if (fd < 0) {
		pthread_rwlock_unlock(&c->lk);
		return;
	}
	pid = fork();
	if (pid == 0)
		child_main(fd, hs, nh, crng, me);
	pthread_rwlock_unlock(&c->lk);
	if (pid < 0)
		return;
	atomic_fetch_add(&S->forks, 1);
	set_op(t, "fork: waiting for child %d (conn %d fd %d)", (int)pid, c->idx, fd);
	t0 = now_ms();
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return;
		if (now_ms() - t0 > CHILD_WAIT_MS) {
			dump_task("stuck fork child", pid, pid);
			fatal(t, "forked child %d made no progress for %d ms", (int)pid, CHILD_WAIT_MS);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			return;
		}
		usleep(2000);
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
		fatal(t, "forked child %d died of signal %d%s", (int)pid, WTERMSIG(st),
		      WTERMSIG(st) == SIGALRM ? " (its 15 s alarm: hung)" : "");
	else if (WIFEXITED(st) && WEXITSTATUS(st))
		fatal(t, "forked child %d exited with %d", (int)pid, WEXITSTATUS(st));
}

/* Use an fd we received from another process. */
static void op_foreign(struct thr *t)
{
	int fd = -1, i;
	struct binder_version v;
	char path[64], link[256];
	ssize_t n;

	/* Oldest first: a kept binder fd keeps its (maybe reopened) proc alive. */
	pthread_mutex_lock(&P.mu);
	if (P.nkeep) {
		fd = P.keep[0];
		memmove(P.keep, P.keep + 1, (--P.nkeep) * sizeof(P.keep[0]));
	}
	pthread_mutex_unlock(&P.mu);
	if (fd < 0)
		return;
	set_op(t, "foreign: fd %d", fd);
	if (ioctl(fd, BINDER_VERSION, &v) == 0) {
		if (v.protocol_version != 8)
			fatal(t, "BINDER_VERSION on a received binder fd: %d", v.protocol_version);
		for (i = 0; i < 1 + (int)RND(4); i++) {
			switch (RND(4)) {
			case 0:
				if (simple_read(fd, t->rbuf, 4096, t->fu2, sizeof(t->fu2)))
					fatal(t, "impossible answer on a received binder fd");
				break;
			case 1:
				child_txn(fd, &t->rng, 0, true, false);
				break;
			case 2: {
				struct binder_frozen_status_info fi = { .pid = getpid() };

				ioctl(fd, BINDER_GET_FROZEN_INFO, &fi);
				break;
			}
			default: {
				uint32_t cmd[2] = { BC_INCREFS, 0 };
				struct binder_write_read b = { .write_buffer = (uintptr_t)cmd, .write_size = 8 };

				ioctl(fd, BINDER_WRITE_READ, &b);
				cmd[0] = BC_DECREFS;
				ioctl(fd, BINDER_WRITE_READ, &b);
			}
			}
		}
		simple_read(fd, t->rbuf, 4096, t->fu2, sizeof(t->fu2));
		ioctl(fd, BINDER_THREAD_EXIT, NULL);
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = 0;
		if (strstr(link, "binder-control")) {
			struct binderfs_device dev;

			memset(&dev, 0, sizeof(dev));
			snprintf(dev.name, sizeof(dev.name), "fz%u", RND(4));
			ioctl(fd, BINDER_CTL_ADD, &dev);
		}
	}
	close(fd);
}

static void op_logs(struct thr *t)
{
	static const char *const files[] = {
		"state", "stats", "transactions", "transaction_log",
		"failed_transaction_log", "proc",
	};
	static __thread char buf[16384];
	char path[300];
	const char *f = files[RND(6)];
	int fd;

	if (!S->have_logs)
		return;
	if (!strcmp(f, "proc"))
		snprintf(path, sizeof(path), "%s/proc/%d", S->logs,
			 (int)atomic_load(&S->p[RND(S->nprocs)].pid));
	else
		snprintf(path, sizeof(path), "%s/%s", S->logs, f);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* ---- the thread loop --------------------------------------------------- */
static int pick_op(struct thr *t, int ci)
{
	static int total;
	int i, r;

	if (!total)
		for (i = 0; i < OP__N; i++)
			total += op_weight[i];
	if (t->tc[ci].awaiting && PCT(70))
		return OP_WAIT;
	if (t->tc[ci].nin && PCT(45))
		return OP_REPLY;
	r = RND(total);
	for (i = 0; i < OP__N; i++) {
		r -= op_weight[i];
		if (r < 0)
			return i;
	}
	return OP_READ;
}

static int pick_conn(struct thr *t)
{
	uint32_t k = RND(100);
	int ci;

	/* Often a conn where this thread has something to answer or wait for. */
	if (PCT(50)) {
		int first = RND(NCONN);

		for (ci = 0; ci < NCONN; ci++) {
			int cj = (first + ci) % NCONN;

			if (t->tc[cj].nin || t->tc[cj].awaiting)
				return cj;
		}
	}

	return k < 55 ? 0 : k < 70 ? 1 : k < 90 ? 2 : 3;
}

static void sync_gen(struct thr *t, int ci)
{
	struct tconn *tc = &t->tc[ci];

	if (tc->gen == P.c[ci].gen)
		return;
	tc->gen = P.c[ci].gen;
	reset_tconn(t, ci);
	if (PCT(92))
		enter_looper(t, ci);
}

static void run_conn_op(struct thr *t, int op, int ci)
{
	struct conn *c = &P.c[ci];
	struct tconn *tc = &t->tc[ci];
	bool sync;

	pthread_rwlock_rdlock(&c->lk);
	if (c->fd < 0) {
		pthread_rwlock_unlock(&c->lk);
		return;
	}
	sync_gen(t, ci);
	wreset(&t->w);
	wreset(&t->fu);
	switch (op) {
	case OP_TXN:
		if (PCT(3)) {
			op_burst(t, ci);
			break;
		}
		sync = gen_txn(t, ci);
		do_write(t, ci, sync, PCT(60) ? pick_rsize(t) : 0);
		break;
	case OP_REPLY:
		if (!tc->nin && PCT(70))
			break;
		gen_reply(t, ci);
		do_write(t, ci, false, PCT(50) ? pick_rsize(t) : 0);
		break;
	case OP_FREE:
		gen_free(t, ci);
		do_write(t, ci, false, PCT(30) ? pick_rsize(t) : 0);
		break;
	case OP_REFS:
		gen_refs(t, ci);
		do_write(t, ci, false, PCT(30) ? pick_rsize(t) : 0);
		break;
	case OP_DONE:
		gen_done(t, ci);
		do_write(t, ci, false, 0);
		break;
	case OP_LOOPER:
		gen_looper(t, ci);
		do_write(t, ci, false, PCT(50) ? pick_rsize(t) : 0);
		break;
	case OP_DEATH:
	case OP_FRZNOTIF:
		gen_notif(t, ci, op == OP_FRZNOTIF);
		do_write(t, ci, false, PCT(50) ? pick_rsize(t) : 0);
		break;
	case OP_GARBAGE:
		gen_garbage(t, ci);
		do_write(t, ci, false, PCT(50) ? pick_rsize(t) : 0);
		break;
	case OP_READ: {
		size_t rs = pick_rsize(t);
		int i;

		for (i = 0; i < 3; i++) {
			if (xfer(t, ci, NULL, 0, rs))
				break;
			flush_fu(t, ci);
		}
		break;
	}
	case OP_HOSTILE:
		op_hostile(t, ci);
		break;
	case OP_MULTI: {
		int n = 2 + RND(5), i;
		bool txn_used = false;

		sync = false;
		for (i = 0; i < n; i++)
			sync |= gen_any(t, ci, &txn_used);
		do_write(t, ci, sync, PCT(70) ? pick_rsize(t) : 0);
		break;
	}
	case OP_IOCTL:
		op_ioctl(t, ci);
		break;
	case OP_FREEZE:
		op_freeze(t, ci);
		break;
	case OP_SETCM:
		op_setcm(t, ci);
		break;
	case OP_POLL:
		op_poll(t, ci, RND(20));
		break;
	case OP_WAIT:
		op_poll(t, ci, 5 + RND(40));
		drain(t, ci, 1);
		if (tc->awaiting && now_ms() - tc->await_since > 3000) {
			/* Give up on the outcome: usually drop the thread's state. */
			tc->awaiting = 0;
			if (PCT(60)) {
				ioctl(c->fd, BINDER_THREAD_EXIT, NULL);
				reset_tconn(t, ci);
				if (PCT(90))
					enter_looper(t, ci);
			}
		}
		break;
	case OP_FLUSH:
		op_flush(t, ci);
		break;
	}
	flush_fu(t, ci);
	if (op != OP_READ && op != OP_WAIT && !atomic_load(&S->stop))
		drain(t, ci, 2);
	pthread_rwlock_unlock(&c->lk);
}

/* Register a node with the manager of conn ci's context (rdlock held). */
static void register_node(struct thr *t, int ci)
{
	struct flat_binder_object o;
	uint64_t p = node_ptrs[RND(NPTRS)];
	struct txb x;

	wreset(&t->w);
	memset(&x, 0, sizeof(x));
	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_BINDER;
	o.flags = FLAT_BINDER_FLAG_ACCEPTS_FDS;
	o.binder = p;
	o.cookie = node_cookie(p);
	memcpy(t->data, &o, sizeof(o));
	t->offs[0] = 0;
	x.cmd = BC_TRANSACTION;
	x.tr.target.handle = 0;
	x.tr.flags = TF_ACCEPT_FDS | (t->tc[ci].awaiting ? TF_ONE_WAY : 0);
	x.tr.data_size = sizeof(o);
	x.tr.offsets_size = 8;
	x.tr.data.ptr.buffer = (uintptr_t)t->data;
	x.tr.data.ptr.offsets = (uintptr_t)t->offs;
	put_txb(&t->w, &x);
	t->tc[ci].last_target = 0;
	do_write(t, ci, !(x.tr.flags & TF_ONE_WAY), 4096);
	flush_fu(t, ci);
}

/*
 * Keep the set-up alive like Android does: the manager process takes the
 * role back when it lost it (reopen), services re-register now and then.
 */
static void maintenance(struct thr *t)
{
	long now = now_ms();
	int ci;

	unfreeze_due(t);
	for (ci = 0; ci < NCONN; ci++) {
		struct conn *c = &P.c[ci];

		if (c->reopen_at && now >= c->reopen_at) {
			set_op(t, "reopen (due) conn %d", ci);
			pthread_mutex_lock(&c->mapmu);
			if (!timed_wrlock(&c->lk, 300)) {
				if (c->reopen_at)
					reopen_locked(t, ci);
				pthread_rwlock_unlock(&c->lk);
			}
			pthread_mutex_unlock(&c->mapmu);
		}
	}
	if (t->tidx != 0 || now < t->next_maint)
		return;
	t->next_maint = now + 100 + RND(200);
	for (ci = 0; ci < NCONN; ci++) {
		struct conn *c = &P.c[ci];

		pthread_rwlock_rdlock(&c->lk);
		if (c->fd >= 0) {
			sync_gen(t, ci);
			if (P.cm_of[ci] && !c->cm && PCT(40)) {
				set_op(t, "maintenance: become manager again, conn %d", ci);
				become_cm(c, &t->rng);
			} else if (!own_cm(ci) && PCT(8)) {
				set_op(t, "maintenance: register a node, conn %d", ci);
				register_node(t, ci);
			}
		}
		pthread_rwlock_unlock(&c->lk);
	}
}

static void thread_start(struct thr *t)
{
	int ci;

	for (ci = 0; ci < NCONN; ci++) {
		struct conn *c = &P.c[ci];

		pthread_rwlock_rdlock(&c->lk);
		if (c->fd >= 0) {
			t->tc[ci].gen = c->gen;
			if (PCT(92))
				enter_looper(t, ci);
			if (t->tidx == 0 && !own_cm(ci))
				register_node(t, ci);
		}
		pthread_rwlock_unlock(&c->lk);
	}
}

static struct thr *thr_new(int pidx, int tidx, int tgen);
static void thr_free(struct thr *t);
static void *thread_main(void *arg);

/* The worker kills itself in the middle of everything (respawned by the supervisor). */
static void op_die(struct thr *t)
{
	set_op(t, "die (worker exits abruptly, gen %d)", P.gen);
	atomic_fetch_add(&S->p[t->pidx].planned_death, 1);
	if (PCT(50))
		kill(getpid(), SIGKILL);
	_exit(100);
}

/* This thread is replaced by a new one (its binder threads stay behind). */
static bool op_respawn(struct thr *t)
{
	struct thr *nt = thr_new(t->pidx, t->tidx, t->tgen + 1);
	pthread_attr_t at;
	pthread_t th;

	if (!nt)
		return false;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&P.live, 1);
	if (pthread_create(&th, &at, thread_main, nt)) {
		atomic_fetch_sub(&P.live, 1);
		thr_free(nt);
		pthread_attr_destroy(&at);
		return false;
	}
	pthread_attr_destroy(&at);
	return true;
}

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	unsigned long n = 0;

	cur = t;
	atomic_store(&t->slot->tid, bt_gettid());
	set_op(t, "start");
	thread_start(t);
	while (!atomic_load(&S->stop)) {
		int op, ci;

		if (atomic_fetch_add(&S->ops, 1) >= S->maxops || now_ms() >= S->deadline) {
			atomic_store(&S->stop, 1);
			break;
		}
		maintenance(t);
		ci = pick_conn(t);
		op = pick_op(t, ci);
		if (RND(30000) == 0 && !atomic_load(&S->stop))
			op = OP_DIE;
		else if (t->tidx && RND(6000) == 0)
			op = OP_RESPAWN;
		set_op(t, "#%lu %s conn %d", n, op_names[op], ci);
		atomic_fetch_add(&S->opstat[op], 1);
		switch (op) {
		case OP_REOPEN:
			op_reopen(t, ci);
			break;
		case OP_MAP:
			op_map(t, ci);
			break;
		case OP_FORK:
			op_fork(t);
			break;
		case OP_FOREIGN:
			op_foreign(t);
			break;
		case OP_LOGS:
			op_logs(t);
			break;
		case OP_RECLAIM: {
			/* Run the shrinkers (binder's page shrinker among them). */
			int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

			if (fd >= 0) {
				if (write(fd, "2", 1) < 0)
					count_err(-errno);
				close(fd);
			}
			break;
		}
		case OP_DIE:
			op_die(t);
			break;
		case OP_RESPAWN:
			if (op_respawn(t)) {
				stale_sent(t);
				atomic_fetch_add(&t->slot->ops, 1);
				atomic_fetch_sub(&P.live, 1);
				thr_free(t);
				return NULL;
			}
			break;
		default:
			if (S->test_hang && t->pidx == 0 && t->tidx == 0 && n == 100) {
				/* -H: check the watchdog (a fake hang inside an op). */
				set_op(t, "#%lu test hang (-H) conn %d", n, ci);
				sleep(3600);
			}
			run_conn_op(t, op, ci);
		}
		/* Keep the other conns moving too. */
		if ((n & 15) == 15) {
			int cj = RND(NCONN);

			set_op(t, "#%lu drain conn %d", n, cj);
			pthread_rwlock_rdlock(&P.c[cj].lk);
			if (P.c[cj].fd >= 0) {
				sync_gen(t, cj);
				wreset(&t->fu);
				drain(t, cj, 2);
			}
			pthread_rwlock_unlock(&P.c[cj].lk);
		}
		n++;
		atomic_fetch_add(&t->slot->ops, 1);
		atomic_store(&t->slot->last_ms, now_ms());
	}
	set_op(t, "done after %lu ops", n);
	if (t->tidx)
		atomic_fetch_sub(&P.live, 1);
	return NULL;
}

static void thr_free(struct thr *t)
{
	munmap(t->host, HOST_SIZE + PAGE);
	free(t->big);
	free(t);
}

static struct thr *thr_new(int pidx, int tidx, int tgen)
{
	struct thr *t = calloc(1, sizeof(*t));
	uint8_t *h;

	if (!t)
		return NULL;
	t->pidx = pidx;
	t->tidx = tidx;
	t->tgen = tgen;
	/* Stream: (seed, process, its generation, thread, its generation). */
	t->rng = stream_seed(S->seed, pidx + 1 + 16 * P.gen, tidx + 1 + 16 * tgen);
	t->slot = &S->p[pidx].t[tidx];
	t->w.p = t->wmem;
	t->w.cap = sizeof(t->wmem);
	t->fu.p = t->fumem;
	t->fu.cap = sizeof(t->fumem);
	h = mmap(NULL, HOST_SIZE + PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (h == MAP_FAILED)
		return NULL;
	mprotect(h + HOST_SIZE, PAGE, PROT_NONE);
	t->host = h;
	t->big = malloc(BIG_MAX);
	if (!t->big)
		return NULL;
	fill_random(t, t->big, BIG_MAX);
	return t;
}

static void worker(int pidx, pid_t sup)
{
	struct pslot *ps = &S->p[pidx];
	struct thr *ts[MAXT];
	uint64_t rng;
	pthread_attr_t at;
	long t0;
	int i, ci, p[2];
	struct sigaction sa;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != sup)
		_exit(1);
	signal(SIGALRM, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fault_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);

	P.idx = pidx;
	P.gen = atomic_load(&ps->gen);
	rng = stream_seed(S->seed, pidx + 1 + 16 * P.gen, 0);
	pthread_mutex_init(&P.mu, NULL);
	P.ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	/* Fds to send. */
	if (pipe(p) == 0) {
		P.sendfds[P.nsend++] = p[0];
		P.sendfds[P.nsend++] = p[1];
	}
	P.sendfds[P.nsend++] = open("/dev/null", O_RDWR | O_CLOEXEC);
	P.nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
	P.sendfds[P.nsend++] = memfd_create("fuzz", MFD_CLOEXEC);
	P.sendfds[P.nsend++] = eventfd(0, EFD_CLOEXEC);
	P.sendfds[P.nsend++] = open(S->ctl[0], O_RDONLY | O_CLOEXEC);
	P.sendfds[P.nsend++] = open(S->ctl[1], O_RDONLY | O_CLOEXEC);
	{
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0)
			P.sendfds[P.nsend++] = sv[0];
	}
	for (i = 0; i < P.nsend; i++)
		if (P.sendfds[i] < 0)
			P.sendfds[i] = 0;	/* stdin then */
	for (i = 0; i < 2; i++) {
		P.bfd[i] = open(S->dev[i ? 2 : 0], O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (P.bfd[i] >= 0)
			mmap(NULL, 16 * 1024, PROT_READ, MAP_PRIVATE, P.bfd[i], 0);
		else
			P.bfd[i] = 0;
	}

	P.cm_of[0] = pidx == 0;
	P.cm_of[2] = pidx == 1;
	P.cm_of[3] = pidx == 2 && pc(&rng, 75);
	for (ci = 0; ci < NCONN; ci++) {
		struct conn *c = &P.c[ci];

		pthread_rwlock_init(&c->lk, NULL);
		pthread_mutex_init(&c->mu, NULL);
		pthread_mutex_init(&c->mapmu, NULL);
		c->idx = ci;
		c->fd = -1;
		conn_open(c, &rng);
		if (c->fd < 0)
			say(2, "# worker %d: open %s: %s\n", pidx, S->dev[ci], strerror(errno));
		if (c->fd >= 0 && P.cm_of[ci])
			become_cm(c, &rng);
	}
	/* Managers first, so that the others' registrations find them. */
	if (!P.cm_of[0] && !P.cm_of[2])
		usleep(100 * 1000);

	for (i = 0; i < ps->nthreads; i++) {
		ts[i] = thr_new(pidx, i, 0);
		if (!ts[i]) {
			say(2, "# worker %d: out of memory\n", pidx);
			_exit(1);
		}
		atomic_store(&ts[i]->slot->last_ms, now_ms());
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	atomic_store(&P.live, 1);
	for (i = 1; i < ps->nthreads; i++) {
		pthread_t th;

		atomic_fetch_add(&P.live, 1);
		if (pthread_create(&th, &at, thread_main, ts[i]))
			atomic_fetch_sub(&P.live, 1);
	}
	thread_main(ts[0]);
	/* Wait for the others (the watchdog reports one that doesn't stop). */
	set_op(ts[0], "waiting for the other threads to stop");
	t0 = now_ms();
	while (atomic_load(&P.live) > 1 && now_ms() - t0 < 60000)
		usleep(5000);
	for (i = 0; i < ps->nthreads; i++)
		atomic_store(&ps->t[i].last_ms, now_ms());
	set_op(ts[0], "teardown (close of every conn)");
	/* Teardown with everything still in flight is part of the test. */
	for (ci = 0; ci < NCONN; ci++)
		conn_close(&P.c[ci]);
	_exit(atomic_load(&S->failed) ? 1 : 0);
}

/* ---- supervisor ---------------------------------------------------- */
static volatile sig_atomic_t tick;

static void on_alarm(int sig)
{
	tick = 1;
}

static int mount_instance(const char *dir, const char *opts)
{
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (mount("binder", dir, "binder", 0, opts))
		return -errno;
	return 0;
}

static int ctl_add(const char *mnt, const char *name)
{
	struct binderfs_device dev;
	char ctl[256];
	int fd, ret;

	snprintf(ctl, sizeof(ctl), "%s/binder-control", mnt);
	fd = open(ctl, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "%s", name);
	ret = ioctl(fd, BINDER_CTL_ADD, &dev) < 0 ? -errno : 0;
	close(fd);
	/* (With the module's devices= parameter the instance may have it already.) */
	return ret == -EEXIST ? 0 : ret;
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"usage: %s -s SEED -n MAXOPS -t SECONDS [-d DEVICE] [-p PROCS] [-v] [-H] [-X]\n"
		"  -s SEED     PRNG seed (default 1)\n"
		"  -n MAXOPS   stop after this many operations in total (default 100000)\n"
		"  -t SECONDS  stop after this many seconds (default 60)\n"
		"  -d DEVICE   use this binder device for conns A/A2 instead of a fresh one\n"
		"  -p PROCS    number of worker processes (1-4; default 3-4 from the seed)\n"
		"  -v          print excused anomalies and, at the end, failed_transaction_log\n"
		"  -H          fake a hang in one thread (checks the watchdog: exit status 2)\n"
		"  -X          also send the fds of the conns themselves in FD objects (can leak\n"
		"              binder_procs through fd reference cycles, in C too)\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, rng;
	unsigned long maxops = 100000;
	long secs = 60, t_end;
	const char *device = NULL;
	char mnt1[128], mnt2[160];
	int nprocs = 0, opt, i, j, ret, status = 0, alive, verbose = 0, test_hang = 0, real_fds = 0;
	pid_t pids[MAXP], sup = getpid(), allpids[256];
	int nallpids = 0;
	struct sigaction sa;
	struct rlimit rl;
	bool stuck = false;

	while ((opt = getopt(argc, argv, "s:n:t:d:p:vHXh")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': maxops = strtoul(optarg, NULL, 0); break;
		case 't': secs = strtol(optarg, NULL, 0); break;
		case 'd': device = optarg; break;
		case 'p': nprocs = atoi(optarg); break;
		case 'v': verbose = 1; break;
		case 'H': test_hang = 1; break;
		case 'X': real_fds = 1; break;
		default: usage(argv[0]);
		}
	}
	if (nprocs < 0 || nprocs > MAXP || secs <= 0)
		usage(argv[0]);
	setvbuf(stdout, NULL, _IOLBF, 0);

	S = mmap(NULL, sizeof(*S), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (S == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	S->verbose = verbose;
	S->test_hang = test_hang;
	S->real_fds = real_fds;
	S->seed = seed;
	S->maxops = maxops;
	rng = stream_seed(seed, 0, 0);
	S->nprocs = nprocs ? nprocs : 3 + (int)rn(&rng, 2);
	for (i = 0; i < S->nprocs; i++)
		S->p[i].nthreads = 2 + (int)rn(&rng, 2);

	/* More fds: received ones may pile up. */
	rl.rlim_cur = rl.rlim_max = 8192;
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);

	/* Two binderfs instances in a private mount namespace. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(mnt1, sizeof(mnt1), "/tmp/binder_fuzz_XXXXXX");
	if (!mkdtemp(mnt1)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(mnt2, sizeof(mnt2), "%s/b", mnt1);
	strcat(mnt1, "/a");
	ret = mount_instance(mnt1, "stats=global");
	if (ret == 0) {
		S->have_logs = 1;
	} else {
		ret = mount_instance(mnt1, NULL);
	}
	if (ret == 0)
		ret = mount_instance(mnt2, NULL);
	if (ret) {
		fprintf(stderr, "binder_fuzz: mount binderfs: %s\n", strerror(-ret));
		return 2;
	}
	snprintf(S->logs, sizeof(S->logs), "%s/binder_logs", mnt1);
	if (access(S->logs, R_OK))
		S->have_logs = 0;
	if ((ret = ctl_add(mnt1, "binder")) || (ret = ctl_add(mnt1, "extra")) ||
	    (ret = ctl_add(mnt2, "binder"))) {
		fprintf(stderr, "binder_fuzz: BINDER_CTL_ADD: %s\n", strerror(-ret));
		return 2;
	}
	if (device) {
		snprintf(S->dev[0], sizeof(S->dev[0]), "%s", device);
	} else {
		snprintf(S->dev[0], sizeof(S->dev[0]), "%s/binder", mnt1);
	}
	snprintf(S->dev[1], sizeof(S->dev[1]), "%s", S->dev[0]);
	snprintf(S->dev[2], sizeof(S->dev[2]), "%s/binder", mnt2);
	snprintf(S->dev[3], sizeof(S->dev[3]), "%s/extra", mnt1);
	snprintf(S->ctl[0], sizeof(S->ctl[0]), "%s/binder-control", mnt1);
	snprintf(S->ctl[1], sizeof(S->ctl[1]), "%s/binder-control", mnt2);

	printf("# binder_fuzz: seed=%llu maxops=%lu seconds=%ld procs=%d threads=",
	       (unsigned long long)seed, maxops, secs, S->nprocs);
	for (i = 0; i < S->nprocs; i++)
		printf("%s%d", i ? "," : "", S->p[i].nthreads);
	printf(" devices=%s,%s,%s logs=%s\n", S->dev[0], S->dev[2], S->dev[3],
	       S->have_logs ? "yes" : "no");
	fflush(stdout);

	S->t0 = now_ms();
	S->deadline = S->t0 + secs * 1000;
	for (i = 0; i < S->nprocs; i++) {
		for (j = 0; j < S->p[i].nthreads; j++)
			atomic_store(&S->p[i].t[j].last_ms, S->t0);
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			atomic_store(&S->stop, 1);
			S->nprocs = i;
			break;
		}
		if (pids[i] == 0)
			worker(i, sup);
		atomic_store(&S->p[i].pid, pids[i]);
		allpids[nallpids++] = pids[i];
	}

	/* Supervise: a tick a second (alarm), the watchdog, reaping. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: waitpid returns EINTR */
	alarm(1);
	t_end = S->deadline + 60000;
	alive = S->nprocs;
	while (alive) {
		int st;
		pid_t r = waitpid(-1, &st, 0);

		if (r > 0) {
			for (i = 0; i < S->nprocs; i++) {
				if (pids[i] != r)
					continue;
				pids[i] = 0;
				alive--;
				if (atomic_load(&S->p[i].planned_death) &&
				    ((WIFEXITED(st) && WEXITSTATUS(st) == 100) ||
				     (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL))) {
					/* It killed itself on purpose: a new one takes its place. */
					atomic_store(&S->p[i].planned_death, 0);
					if (atomic_load(&S->stop))
						continue;
					atomic_fetch_add(&S->p[i].gen, 1);
					atomic_fetch_add(&S->respawns, 1);
					atomic_store(&S->p[i].frozen_until, 0);
					for (j = 0; j < S->p[i].nthreads; j++)
						atomic_store(&S->p[i].t[j].last_ms, now_ms());
					pids[i] = fork();
					if (pids[i] == 0)
						worker(i, sup);
					if (pids[i] > 0) {
						atomic_store(&S->p[i].pid, pids[i]);
						if (nallpids < 256)
							allpids[nallpids++] = pids[i];
						alive++;
					} else {
						pids[i] = 0;
					}
					continue;
				}
				if (WIFSIGNALED(st)) {
					say(2, "# FAIL: worker %d (pid %d) died of signal %d during \"%s\"\n",
					    i, (int)r, WTERMSIG(st), S->p[i].t[0].op);
					status = 1;
					atomic_store(&S->stop, 1);
				} else if (WEXITSTATUS(st)) {
					status = 1;
				}
			}
			continue;
		}
		if (r < 0 && errno != EINTR)
			break;
		if (!tick)
			continue;
		tick = 0;
		alarm(1);
		{
			long now = now_ms();

			for (i = 0; i < S->nprocs && !stuck; i++) {
				if (!pids[i])
					continue;
				for (j = 0; j < S->p[i].nthreads; j++) {
					struct tslot *ts = &S->p[i].t[j];
					long idle = now - atomic_load(&ts->last_ms);

					if (idle < STUCK_MS && now < t_end)
						continue;
					say(1, "# STUCK: worker %d (pid %d) thread %d (tid %d): no progress for %ld s, op: %s\n",
					    i, (int)pids[i], j, (int)atomic_load(&ts->tid),
					    idle / 1000, ts->op);
					stuck = true;
					break;
				}
			}
			if (stuck) {
				for (i = 0; i < S->nprocs; i++) {
					if (!pids[i])
						continue;
					for (j = 0; j < S->p[i].nthreads; j++) {
						char who[128];

						snprintf(who, sizeof(who), "worker %d thread %d (op: %.40s)",
							 i, j, S->p[i].t[j].op);
						dump_task(who, pids[i], atomic_load(&S->p[i].t[j].tid));
					}
				}
				for (i = 0; i < S->nprocs; i++)
					if (pids[i])
						kill(pids[i], SIGKILL);
				atomic_store(&S->stop, 1);
				status = 2;
				break;
			}
		}
	}
	alarm(0);

	/*
	 * Every binder_proc of the workers must go away once they exited
	 * (release is deferred to a workqueue: give it some time).
	 */
	if (S->have_logs && !stuck) {
		long t0 = now_ms();
		int left;

		do {
			left = 0;
			for (i = 0; i < nallpids; i++) {
				char path[300];

				snprintf(path, sizeof(path), "%s/proc/%d", S->logs, (int)allpids[i]);
				if (!access(path, F_OK))
					left++;
			}
			if (left)
				usleep(100 * 1000);
		} while (left && now_ms() - t0 < 15000);
		for (i = 0; i < nallpids && left; i++) {
			char path[300], buf[2048];
			ssize_t n;
			int fd;

			snprintf(path, sizeof(path), "%s/proc/%d", S->logs, (int)allpids[i]);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				continue;
			say(2, "# FAIL: %s still there 15 s after worker pid %d exited (leaked binder_proc?):\n",
			    path, (int)allpids[i]);
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			if (n > 0) {
				char *l, *save = NULL;
				int k = 0;

				buf[n] = 0;
				for (l = strtok_r(buf, "\n", &save); l && k < 20; l = strtok_r(NULL, "\n", &save), k++)
					say(2, "#   %s\n", l);
			}
			status = 1;
		}
	}

	{
		long ms = now_ms() - S->t0;
		unsigned long ops = 0;
		char line[2048];
		int n = 0;

		for (i = 0; i < S->nprocs; i++)
			for (j = 0; j < S->p[i].nthreads; j++)
				ops += atomic_load(&S->p[i].t[j].ops);
		n += snprintf(line + n, sizeof(line) - n, "# ops:");
		for (i = 0; i < OP__N; i++)
			n += snprintf(line + n, sizeof(line) - n, " %s=%lu", op_names[i],
				      atomic_load(&S->opstat[i]));
		printf("%s\n", line);
		n = snprintf(line, sizeof(line), "# returns:");
		for (i = 0; i < (int)(sizeof(all_brs) / sizeof(all_brs[0])); i++)
			if (atomic_load(&S->brstat[_IOC_NR(all_brs[i])]))
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      bt_br_name(all_brs[i]),
					      atomic_load(&S->brstat[_IOC_NR(all_brs[i])]));
		printf("%s\n", line);
		n = snprintf(line, sizeof(line), "# errno:");
		for (i = 0; i < 160; i++)
			if (atomic_load(&S->errstat[i]))
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      i ? strerrorname_np(i) ? strerrorname_np(i) : "?" : "OK",
					      atomic_load(&S->errstat[i]));
		printf("%s\n", line);
		n = snprintf(line, sizeof(line), "# failed transactions (extended error, sampled):");
		for (i = 0; i < 160; i++)
			if (atomic_load(&S->failstat[i]))
				n += snprintf(line + n, sizeof(line) - n, " %s=%lu",
					      i ? strerrorname_np(i) ? strerrorname_np(i) : "?" : "0",
					      atomic_load(&S->failstat[i]));
		printf("%s\n", line);
		printf("# EINVAL failures by target: h0=%lu strong=%lu weak=%lu unheld=%lu random=%lu\n",
		       S->kindstat[0], S->kindstat[1], S->kindstat[2], S->kindstat[4], S->kindstat[3]);
		printf("# become manager: ok=%lu failed=%lu\n", S->cmstat[1], S->cmstat[0]);
		printf("# echo (checksummed) transactions: sent=%lu verified=%lu\n",
		       S->echo_sent, S->echo_ok);
		printf("# ESRCH (no vma) by conn, handle!=0/0:");
		for (i = 0; i < NCONN; i++)
			printf(" %lu/%lu", S->esrch[i][0], S->esrch[i][1]);
		printf("\n");
		printf("# forks=%lu child_ops=%lu respawns=%lu bursts=%lu reopens=%lu (racy %lu) handles_learned=%lu fds_received=%lu excused_anomalies=%lu (by unsent frees %lu) ops/s=%.0f\n",
		       atomic_load(&S->forks), atomic_load(&S->child_ops),
		       atomic_load(&S->respawns), atomic_load(&S->bursts),
		       atomic_load(&S->reopens), atomic_load(&S->racy_reopens), atomic_load(&S->learned),
		       atomic_load(&S->fds_rcvd), atomic_load(&S->soft),
		       atomic_load(&S->soft_pending),
		       ms ? ops * 1000.0 / ms : 0.0);
		if (atomic_load(&S->failed) && !status)
			status = 1;
		printf("# result: %s\n", status == 0 ? "ok" : status == 2 ? "HANG" : "FAILED");
		printf("fuzz: seed=%llu ops=%lu seconds=%ld\n", (unsigned long long)seed, ops,
		       (ms + 500) / 1000);
	}
	if (S->verbose && S->have_logs) {
		char path[300], buf[8192];
		ssize_t n;
		int fd;

		snprintf(path, sizeof(path), "%s/state", S->logs);
		fd = open(path, O_RDONLY);
		printf("# %s (proc and context lines):\n", path);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			char *l, *save = NULL;

			buf[n] = 0;
			for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				if (!strncmp(l, "proc ", 5) || !strncmp(l, "context ", 8))
					printf("#   %s\n", l);
		}
		if (fd >= 0)
			close(fd);
		snprintf(path, sizeof(path), "%s/failed_transaction_log", S->logs);
		fd = open(path, O_RDONLY);
		printf("# %s:\n", path);
		while (fd >= 0 && (n = read(fd, buf, sizeof(buf) - 1)) > 0) {
			char *l, *save = NULL;

			buf[n] = 0;
			for (l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
				printf("#   %s\n", l);
		}
		if (fd >= 0)
			close(fd);
	}
	umount2(mnt2, MNT_DETACH);
	umount2(mnt1, MNT_DETACH);
	return status;
}
