// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder stress: kill storms.
 *
 *   stress_kill [-t SECONDS] [-s SEED] [-c CLIENTS] [-n SERVERS]
 *               [-k MIN_MS,MAX_MS] [-v]
 *
 * In a fresh binderfs instance (stats=global) a tree of processes talks
 * binder the way Android does:
 *
 *  - a context manager (registry): ADD(slot, BINDER) / GET(slot) ->
 *    HANDLE; it holds every registered handle (BC_ACQUIRE) with a death
 *    notification and drops it when the service dies;
 *  - servers: a thread pool (BINDER_SET_MAX_THREADS, BR_SPAWN_LOOPER ->
 *    BC_REGISTER_LOOPER, idle threads leave with BC_EXIT_LOOPER +
 *    BINDER_THREAD_EXIT); they publish their node in the registry (again
 *    whenever the manager died: death notification on handle 0) and answer
 *    ECHO (reply with the same objects: binders, handles, fds, fd arrays,
 *    buffers), CALLBACK (a nested sync call and a one-way call into a
 *    binder the caller sent), FORWARD (a call to another server), PING;
 *    they keep some handles they received, with death and freeze
 *    notifications;
 *  - clients: look services up, hold handles (BC_ACQUIRE + death + freeze
 *    notifications), call them sync and one-way with every object type
 *    (their own binders, handles, fds, an fd array in a scatter-gather
 *    buffer), answer callbacks, release handles, exit now and then.
 *
 * The orchestrator SIGKILLs one of them every MIN..MAX ms (preferring one
 * that is inside a transaction), re-spawns it, freezes and thaws servers
 * and clients with BINDER_FREEZE, and reads binder_logs/{state,stats,
 * transactions} all the time. After SECONDS it kills everyone and checks:
 *  - every process died after SIGKILL within 15 s (no task stuck in the
 *    driver; /proc/PID/stack is printed otherwise), and the storm made
 *    progress (successful calls, no 30 s stretch without one);
 *  - the leak oracle: every "active" counter of binder_logs/stats is back
 *    to its value before the storm, and no binder_logs "proc" section is
 *    left for a dead process;
 *  - a fresh context manager + client round trip still works, and the
 *    counters go back to the baseline after it.
 * TAP output; exit status 1 if anything failed.
 */
#include "binder_test_lib.h"
#include "leak_oracle.h"

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/eventfd.h>

/* ---- configuration ------------------------------------------------- */

#define MAX_CLIENTS 8
#define MAX_SERVERS 6
#define MAX_ROLES (1 + MAX_SERVERS + MAX_CLIENTS)
#define MAP_SIZE (256 * 1024)
#define MAX_POOL 4		/* server thread pool (BINDER_SET_MAX_THREADS) */
#define MAX_HELD 6		/* handles a process keeps */
#define REPLY_TIMEOUT_MS 30000	/* a call with no outcome after this is a bug */

enum { R_CM, R_SERVER, R_CLIENT };
static const char *const role_names[] = { "cm", "server", "client" };

/* Registry codes (context manager). */
enum { SM_ADD = 0x100, SM_GET };
/* Service codes. */
enum { C_ECHO = 1, C_CALLBACK, C_FORWARD, C_PING };

enum {
	K_CALL_OK, K_ONEWAY_OK, K_DEAD_REPLY, K_FAILED_REPLY, K_FROZEN_REPLY,
	K_BR_ERROR, K_TIMEOUT, K_DEAD_BINDER, K_FROZEN_BINDER, K_INCOMING,
	K_CALLBACK, K_FORWARD, K_PUBLISH, K_GET_OK, K_THREAD_SPAWN,
	K_THREAD_EXIT, K_IOCTL_ERR, K_REPLY_FAILED, K_KILLS, K_FREEZES,
	K_FREEZE_EAGAIN, K_VOLUNTARY_EXIT, K_LOG_READS, K_FDS_RECEIVED,
	K_CLEAR_DONE, NK
};
static const char *const k_names[NK] = {
	"calls_ok", "oneway_ok", "dead_reply", "failed_reply", "frozen_reply",
	"br_error", "timeout", "dead_binder", "frozen_binder", "incoming",
	"callback", "forward", "publish", "get_ok", "thread_spawn",
	"thread_exit", "ioctl_err", "reply_failed", "kills", "freezes",
	"freeze_eagain", "voluntary_exit", "log_reads", "fds_received",
	"clear_done",
};

struct role {
	volatile pid_t pid;
	int kind, idx;
	volatile int in_txn;
	volatile int frozen;
	volatile long frozen_since;
	int gen;
};

struct shm {
	volatile int stop;
	volatile int cm_ready;
	uint64_t seed;
	struct role roles[MAX_ROLES];
	long k[NK];
};

static struct shm *shm;
static char dev_path[192];
static int verbose;

static void kinc(int k)
{
	__atomic_fetch_add(&shm->k[k], 1, __ATOMIC_RELAXED);
}

/* ---- per-thread randomness ------------------------------------------ */

static __thread uint64_t rs;

static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)(rs >> 11);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static void rnd_seed(uint64_t s)
{
	rs = s * 0x9e3779b97f4a7c15ULL + 0x1234567;
	if (!rs)
		rs = 1;
	rnd();
}

/* ---- the engine: one binder process of a role ----------------------- */

struct held {
	uint32_t h;
	uint64_t death;		/* death cookie, 0: none */
	uint64_t freeze;	/* freeze cookie, 0: none */
	bool dead;
};

struct eng {
	int fd;
	void *map;
	struct role *role;
	uint64_t node_base;	/* ptr of our nodes */
	pthread_mutex_t lock;
	struct held held[MAX_HELD];
	int nheld;
	uint64_t next_cookie;
	volatile int nthreads;
	volatile int pool_requested;
	/* context manager registry */
	uint32_t slot_h[MAX_SERVERS];
	uint64_t slot_cookie[MAX_SERVERS];
	/* server: death notification on the manager */
	volatile int cm_watch;	/* 0 none, 1 registered, 2 dead: republish */
	uint64_t cm_cookie;
};

/* A parsed return. */
struct item {
	uint32_t cmd;
	union {
		struct binder_transaction_data tr;
		struct binder_ptr_cookie pc;
		binder_uintptr_t cookie;
		struct binder_frozen_state_info frozen;
	};
};

#define QCAP 256
struct th {
	struct eng *e;
	struct item q[QCAP];
	int qn;
	int depth;
	bool looper;
};

/* What a waiting loop waits for. */
enum want { W_NONE, W_SYNC, W_ONEWAY, W_REPLY_SENT };

struct outcome {
	uint32_t br;		/* terminal BR code */
	bool tc;		/* BR_TRANSACTION_COMPLETE seen (sync) */
	struct binder_transaction_data tr;	/* BR_REPLY */
};

static int eng_handle_item(struct th *t, struct item *it);

static int parse_into(struct th *t, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;

	while (p + 4 <= end) {
		uint32_t cmd;
		int size;

		memcpy(&cmd, p, 4);
		p += 4;
		if (cmd == BR_TRANSACTION_SEC_CTX)
			size = sizeof(struct binder_transaction_data_secctx);
		else
			size = bt_br_size(cmd);
		if (size < 0 || p + size > end) {
			fprintf(stderr, "# [pid %d] bad return stream 0x%08x\n",
				getpid(), cmd);
			return -EPROTO;
		}
		if (cmd != BR_NOOP && cmd != BR_OK && cmd != BR_FINISHED) {
			struct item *it;

			if (t->qn >= QCAP) {
				fprintf(stderr, "# [pid %d] return queue full\n", getpid());
				return -E2BIG;
			}
			it = &t->q[t->qn++];
			memset(it, 0, sizeof(*it));
			it->cmd = cmd;
			if (cmd == BR_TRANSACTION_SEC_CTX) {
				struct binder_transaction_data_secctx s;

				memcpy(&s, p, sizeof(s));
				it->tr = s.transaction_data;
				it->cmd = BR_TRANSACTION;
			} else if (size) {
				memcpy(&it->tr, p, size);
			}
		}
		p += size;
	}
	return 0;
}

/*
 * A per-thread timer (SIGUSR2, whose handler binder_test_lib installs
 * without SA_RESTART) bounds a blocking read. Unlike bt_wr()'s one-shot
 * timer it repeats every 10 ms after the first expiry, so that a signal
 * that comes before the thread entered the ioctl can't leave it blocked.
 */
static __thread int sk_timer_made;
static __thread timer_t sk_timer;

static void sk_timer_set(int ms, int interval_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	its.it_interval.tv_nsec = interval_ms * 1000000L;
	timer_settime(sk_timer, 0, &its, NULL);
}

static void sk_timer_delete(void)
{
	if (sk_timer_made)
		timer_delete(sk_timer);
	sk_timer_made = 0;
}

static int sk_wr(int fd, const void *w, size_t ws, size_t *wc, void *r,
		 size_t rs, size_t *rc, int ms)
{
	struct binder_write_read bwr;
	bool armed = false;
	int ret;

	if (rs && ms > 0) {
		if (!sk_timer_made) {
			struct sigevent sev;

			memset(&sev, 0, sizeof(sev));
			sev.sigev_notify = SIGEV_THREAD_ID;
			sev.sigev_signo = SIGUSR2;
			sev._sigev_un._tid = bt_gettid();
			if (timer_create(CLOCK_MONOTONIC, &sev, &sk_timer) == 0)
				sk_timer_made = 1;
		}
		if (sk_timer_made) {
			sk_timer_set(ms, 10);
			armed = true;
		}
	}
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_size = ws;
	bwr.write_buffer = (uintptr_t)w;
	bwr.read_size = rs;
	bwr.read_buffer = (uintptr_t)r;
	ret = ioctl(fd, BINDER_WRITE_READ, &bwr) < 0 ? -errno : 0;
	if (armed)
		sk_timer_set(0, 0);
	if (wc)
		*wc = bwr.write_consumed;
	if (rc)
		*rc = bwr.read_consumed;
	return ret;
}

/* One read (bounded by ms; nonblock: a few ms) appended to the queue. */
static int eng_read(struct th *t, int ms, bool nonblock)
{
	uint64_t buf[512];
	size_t rc = 0;
	int ret;

	ret = sk_wr(t->e->fd, NULL, 0, NULL, buf, sizeof(buf), &rc,
		    nonblock ? 5 : ms);
	if (ret)
		return ret;
	return parse_into(t, (uint8_t *)buf, rc);
}

/*
 * Write all of c. A pending return error stops the driver from consuming
 * the rest: read (into the queue) and write the rest, a few times.
 */
static int eng_write(struct th *t, const struct bt_cmds *c)
{
	size_t off = 0;
	int tries;

	for (tries = 0; tries < 4 && off < c->len; tries++) {
		size_t wc = 0;
		int ret = sk_wr(t->e->fd, c->buf + off, c->len - off, &wc,
				NULL, 0, NULL, 0);

		off += wc;
		if (ret) {
			kinc(K_IOCTL_ERR);
			return ret;
		}
		if (off < c->len) {
			ret = eng_read(t, 0, true);
			if (ret && ret != -EINTR && ret != -EAGAIN)
				return ret;
		}
	}
	return off == c->len ? 0 : -EPROTO;
}

static int eng_cmd0(struct th *t, uint32_t cmd)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd(&c, cmd);
	return eng_write(t, &c);
}

static int eng_cmd_u32(struct th *t, uint32_t cmd, uint32_t v)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_u32(&c, cmd, v);
	return eng_write(t, &c);
}

static int eng_cmd_hc(struct th *t, uint32_t cmd, uint32_t h, uint64_t cookie)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, cmd, h, cookie);
	return eng_write(t, &c);
}

static bool is_terminal(uint32_t cmd)
{
	switch (cmd) {
	case BR_TRANSACTION_COMPLETE:
	case BR_REPLY:
	case BR_DEAD_REPLY:
	case BR_FAILED_REPLY:
	case BR_FROZEN_REPLY:
	case BR_ERROR:
	case BR_ONEWAY_SPAM_SUSPECT:
	case BR_TRANSACTION_PENDING_FROZEN:
		return true;
	}
	return false;
}

/* Close the fds of FD objects of a received buffer (FDA fds are closed by the driver on free). */
static void close_received_fds(const struct binder_transaction_data *tr)
{
	const uint8_t *data = bt_data(tr);
	const binder_size_t *offs = bt_offs(tr);
	size_t i, n = tr->offsets_size / sizeof(binder_size_t);

	for (i = 0; i < n; i++) {
		struct binder_object_header hdr;

		if (offs[i] + sizeof(struct binder_fd_object) > tr->data_size)
			continue;
		memcpy(&hdr, data + offs[i], sizeof(hdr));
		if (hdr.type == BINDER_TYPE_FD) {
			struct binder_fd_object fo;

			memcpy(&fo, data + offs[i], sizeof(fo));
			close((int)fo.fd);
			kinc(K_FDS_RECEIVED);
		}
	}
}

static void free_buffer(struct th *t, const struct binder_transaction_data *tr)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
	eng_write(t, &c);
}

/*
 * Process the queue and read until the loop's want is met (or, W_NONE,
 * once). Terminal returns a nested loop does not wait for stay in the
 * queue for the outer loop. Returns the terminal BR (as int) or 0 (W_NONE)
 * or -errno (-ETIMEDOUT after timeout_ms).
 */
static int eng_loop(struct th *t, enum want want, struct outcome *out,
		    int timeout_ms)
{
	long deadline = bt_now_ms() + timeout_ms;
	int i, ret;

	if (out)
		memset(out, 0, sizeof(*out));
	for (;;) {
		bool progressed = false;

		for (i = 0; i < t->qn; i++) {
			struct item it = t->q[i];
			bool mine = false, done = false;

			if (is_terminal(it.cmd)) {
				switch (want) {
				case W_NONE:
					mine = t->depth == 0;
					break;
				case W_SYNC:
					mine = it.cmd != BR_ONEWAY_SPAM_SUSPECT &&
					       it.cmd != BR_TRANSACTION_PENDING_FROZEN;
					done = mine && it.cmd != BR_TRANSACTION_COMPLETE;
					break;
				case W_ONEWAY:
					mine = it.cmd != BR_REPLY;
					done = mine;
					break;
				case W_REPLY_SENT:
					mine = it.cmd != BR_REPLY;
					done = mine;
					break;
				}
				if (!mine)
					continue;	/* an outer loop's */
			}
			/* Take it out of the queue, then handle it. */
			memmove(&t->q[i], &t->q[i + 1], (t->qn - i - 1) * sizeof(t->q[0]));
			t->qn--;
			i--;
			progressed = true;
			if (is_terminal(it.cmd)) {
				if (want == W_SYNC && it.cmd == BR_TRANSACTION_COMPLETE) {
					if (out)
						out->tc = true;
					continue;
				}
				if (!done) {
					/* Stray (depth 0): free a stray reply buffer. */
					if (it.cmd == BR_REPLY) {
						close_received_fds(&it.tr);
						free_buffer(t, &it.tr);
					}
					continue;
				}
				if (out) {
					out->br = it.cmd;
					if (it.cmd == BR_REPLY)
						out->tr = it.tr;
				} else if (it.cmd == BR_REPLY) {
					close_received_fds(&it.tr);
					free_buffer(t, &it.tr);
				}
				return (int)it.cmd;
			}
			ret = eng_handle_item(t, &it);
			if (ret < 0 && ret != -EINTR)
				return ret;
		}
		if (want == W_NONE && progressed)
			return 0;
		if (want != W_NONE && bt_now_ms() > deadline)
			return -ETIMEDOUT;
		ret = eng_read(t, want == W_NONE ? timeout_ms : 1000, false);
		if (ret == -EINTR) {
			if (want == W_NONE)
				return 0;
			continue;
		}
		if (ret)
			return ret;
		if (want == W_NONE && t->qn == 0)
			return 0;
	}
}

static void count_outcome(uint32_t br)
{
	switch (br) {
	case BR_DEAD_REPLY: kinc(K_DEAD_REPLY); break;
	case BR_FAILED_REPLY: kinc(K_FAILED_REPLY); break;
	case BR_FROZEN_REPLY: kinc(K_FROZEN_REPLY); break;
	case BR_ERROR: kinc(K_BR_ERROR); break;
	}
}

/*
 * A transaction: BC_TRANSACTION(_SG) then wait for its outcome. For a
 * sync call with out != NULL the caller owns the reply buffer (must
 * free it); else it is freed here. Returns the terminal BR or -errno.
 */
static int eng_call(struct th *t, uint32_t handle, uint32_t code,
		    uint32_t flags, const struct bt_parcel *p, uint64_t sg,
		    struct outcome *out)
{
	struct binder_transaction_data tr;
	struct outcome local;
	struct bt_cmds c;
	int ret;

	if (!out)
		out = &local;
	bt_tr(&tr, handle, code, flags, p);
	bt_cmds_init(&c);
	if (sg)
		bt_cmd_txn_sg(&c, BC_TRANSACTION_SG, &tr, sg);
	else
		bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	t->e->role->in_txn++;
	ret = eng_write(t, &c);
	if (!ret)
		ret = eng_loop(t, (flags & TF_ONE_WAY) ? W_ONEWAY : W_SYNC, out,
			       REPLY_TIMEOUT_MS);
	t->e->role->in_txn--;
	if (ret == -ETIMEDOUT) {
		kinc(K_TIMEOUT);
		fprintf(stderr, "# [pid %d %s%d] no outcome for a %s call to handle %u code %u after %d ms\n",
			getpid(), role_names[t->e->role->kind], t->e->role->idx,
			(flags & TF_ONE_WAY) ? "one-way" : "sync", handle, code,
			REPLY_TIMEOUT_MS);
		/* The thread's transaction stack is unusable now: leave. */
		_exit(3);
	}
	if (BT_IS_ERR(ret))
		return ret;
	if ((uint32_t)ret == BR_REPLY) {
		kinc(K_CALL_OK);
		if (out == &local) {
			close_received_fds(&out->tr);
			free_buffer(t, &out->tr);
		}
	} else if ((uint32_t)ret == BR_TRANSACTION_COMPLETE ||
		   (uint32_t)ret == BR_ONEWAY_SPAM_SUSPECT ||
		   (uint32_t)ret == BR_TRANSACTION_PENDING_FROZEN) {
		kinc(K_ONEWAY_OK);
	} else {
		count_outcome(ret);
	}
	return ret;
}

/* Send a reply (+ free the request buffer), wait for its own outcome. */
static int eng_reply(struct th *t, const struct binder_transaction_data *req,
		     const struct bt_parcel *p, uint64_t sg, int *fds_to_close,
		     int nclose)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;
	int ret, i;

	bt_tr(&tr, 0, 0, 0, p);
	bt_cmds_init(&c);
	if (sg)
		bt_cmd_txn_sg(&c, BC_REPLY_SG, &tr, sg);
	else
		bt_cmd_txn(&c, BC_REPLY, &tr);
	bt_cmd_u64(&c, BC_FREE_BUFFER, req->data.ptr.buffer);
	ret = eng_write(t, &c);
	for (i = 0; i < nclose; i++)
		close(fds_to_close[i]);
	if (ret)
		return ret;
	ret = eng_loop(t, W_REPLY_SENT, NULL, REPLY_TIMEOUT_MS);
	if (ret == -ETIMEDOUT) {
		kinc(K_TIMEOUT);
		fprintf(stderr, "# [pid %d] no BR_TRANSACTION_COMPLETE for a reply after %d ms\n",
			getpid(), REPLY_TIMEOUT_MS);
		_exit(3);
	}
	if (!BT_IS_ERR(ret) && (uint32_t)ret != BR_TRANSACTION_COMPLETE)
		kinc(K_REPLY_FAILED);
	return ret;
}

/* ---- held handles ---------------------------------------------------- */

static int held_find(struct eng *e, uint32_t h)
{
	int i;

	for (i = 0; i < e->nheld; i++)
		if (e->held[i].h == h)
			return i;
	return -1;
}

/* Drop held[i]: clear notifications, release the strong ref. Lock held. */
static void held_drop_locked(struct th *t, int i)
{
	struct held hd = t->e->held[i];

	t->e->held[i] = t->e->held[--t->e->nheld];
	if (hd.death)
		eng_cmd_hc(t, BC_CLEAR_DEATH_NOTIFICATION, hd.h, hd.death);
	if (hd.freeze && !hd.dead)
		eng_cmd_hc(t, BC_CLEAR_FREEZE_NOTIFICATION, hd.h, hd.freeze);
	eng_cmd_u32(t, BC_RELEASE, hd.h);
}

/* Keep handle h (which a buffer we still hold references): acquire + notifications. */
static void held_add(struct th *t, uint32_t h, bool death, bool freeze)
{
	struct eng *e = t->e;
	struct held hd = { .h = h };

	if (h == 0)
		return;
	pthread_mutex_lock(&e->lock);
	if (held_find(e, h) >= 0) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	if (e->nheld >= MAX_HELD)
		held_drop_locked(t, rnd_below(e->nheld));
	if (eng_cmd_u32(t, BC_ACQUIRE, h)) {
		pthread_mutex_unlock(&e->lock);
		return;
	}
	if (death) {
		hd.death = ++e->next_cookie;
		if (eng_cmd_hc(t, BC_REQUEST_DEATH_NOTIFICATION, h, hd.death))
			hd.death = 0;
	}
	if (freeze) {
		hd.freeze = ++e->next_cookie | (1ULL << 40);
		if (eng_cmd_hc(t, BC_REQUEST_FREEZE_NOTIFICATION, h, hd.freeze))
			hd.freeze = 0;
	}
	e->held[e->nheld++] = hd;
	pthread_mutex_unlock(&e->lock);
}

static void held_drop_random(struct th *t)
{
	pthread_mutex_lock(&t->e->lock);
	if (t->e->nheld)
		held_drop_locked(t, rnd_below(t->e->nheld));
	pthread_mutex_unlock(&t->e->lock);
}

/* A random live held handle, 0 if none. */
static uint32_t held_pick(struct eng *e)
{
	uint32_t h = 0;
	int i, n;

	pthread_mutex_lock(&e->lock);
	n = e->nheld;
	if (n) {
		i = rnd_below(n);
		if (!e->held[i].dead)
			h = e->held[i].h;
	}
	pthread_mutex_unlock(&e->lock);
	return h;
}

/* ---- objects ---------------------------------------------------------- */

static int make_fd(void)
{
	switch (rnd_below(3)) {
	case 0:
		return eventfd(0, EFD_CLOEXEC);
	case 1: {
		int p[2];

		if (pipe2(p, O_CLOEXEC))
			return -1;
		close(p[0]);
		return p[1];
	}
	default:
		return open("/dev/null", O_RDWR | O_CLOEXEC);
	}
}

/* Scatter-gather area for fd arrays (per thread). */
struct sgbuf {
	uint32_t fds[4];
	uint64_t pad;
};

/*
 * A request parcel with random objects. fds opened for it are returned
 * in fds (closed by the caller after the call); *sg the SG size.
 */
static void build_parcel(struct th *t, struct bt_parcel *p, struct sgbuf *sgb,
			 int *fds, int *nfds, uint64_t *sg, bool allow_fds)
{
	struct eng *e = t->e;
	int nobj = rnd_below(4), i;

	bt_parcel_init(p);
	*nfds = 0;
	*sg = 0;
	bt_p_u32(p, 0xc0ffee00 | rnd_below(256));
	for (i = 0; i < nobj; i++) {
		switch (rnd_below(allow_fds ? 5 : 2)) {
		case 0:
			bt_p_binder(p, rnd_below(4) ? BINDER_TYPE_BINDER : BINDER_TYPE_WEAK_BINDER,
				    e->node_base + 16 * rnd_below(3), e->node_base,
				    FLAT_BINDER_FLAG_ACCEPTS_FDS | 0x7f);
			break;
		case 1: {
			uint32_t h = held_pick(e);

			if (h)
				bt_p_handle(p, BINDER_TYPE_HANDLE, h);
			else
				bt_p_u32(p, 0);
			break;
		}
		case 2:
		case 3: {
			int fd = make_fd();

			if (fd < 0)
				break;
			fds[(*nfds)++] = fd;
			bt_p_fd(p, fd);
			break;
		}
		case 4: {
			/* PTR buffer holding 2 fds + FDA over it (once per parcel). */
			struct binder_fd_array_object fa;
			int pidx = (int)p->noffs, f1, f2;

			if (*sg)
				break;
			f1 = make_fd();
			f2 = make_fd();
			if (f1 < 0 || f2 < 0) {
				if (f1 >= 0)
					close(f1);
				if (f2 >= 0)
					close(f2);
				break;
			}
			fds[(*nfds)++] = f1;
			fds[(*nfds)++] = f2;
			memset(sgb, 0, sizeof(*sgb));
			sgb->fds[0] = f1;
			sgb->fds[1] = f2;
			bt_p_ptr(p, sgb, sizeof(*sgb), 0, 0, 0);
			memset(&fa, 0, sizeof(fa));
			fa.hdr.type = BINDER_TYPE_FDA;
			fa.num_fds = 2;
			fa.parent = pidx;
			fa.parent_offset = 0;
			bt_p_obj(p, &fa, sizeof(fa));
			*sg = sizeof(*sgb);
			break;
		}
		}
	}
}

/* ---- service side ------------------------------------------------------ */

struct objinfo {
	int nhandles;
	uint32_t handles[16];
	int nbinders;
	uint64_t binders[16];
};

static void scan_objects(const struct binder_transaction_data *tr, struct objinfo *oi)
{
	const uint8_t *data = bt_data(tr);
	const binder_size_t *offs = bt_offs(tr);
	size_t i, n = tr->offsets_size / sizeof(binder_size_t);

	memset(oi, 0, sizeof(*oi));
	for (i = 0; i < n; i++) {
		struct flat_binder_object fo;

		if (offs[i] + sizeof(struct binder_object_header) > tr->data_size)
			continue;
		memcpy(&fo, data + offs[i], sizeof(struct binder_object_header));
		if (fo.hdr.type != BINDER_TYPE_HANDLE && fo.hdr.type != BINDER_TYPE_BINDER &&
		    fo.hdr.type != BINDER_TYPE_WEAK_HANDLE && fo.hdr.type != BINDER_TYPE_WEAK_BINDER)
			continue;
		memcpy(&fo, data + offs[i], sizeof(fo));
		if (fo.hdr.type == BINDER_TYPE_HANDLE && oi->nhandles < 16)
			oi->handles[oi->nhandles++] = fo.handle;
		if (fo.hdr.type == BINDER_TYPE_BINDER && oi->nbinders < 16)
			oi->binders[oi->nbinders++] = fo.binder;
	}
}

/*
 * ECHO: reply with the objects received (same order, so fd array parents
 * keep their indexes); PTR buffers are copied. FD fds are closed after the
 * reply is sent.
 */
static void serve_echo(struct th *t, const struct binder_transaction_data *tr)
{
	static __thread uint8_t ptrcopy[4][256];
	const uint8_t *data = bt_data(tr);
	const binder_size_t *offs = bt_offs(tr);
	size_t i, n = tr->offsets_size / sizeof(binder_size_t);
	int close_fds[32], nclose = 0, nptr = 0;
	struct bt_parcel p;
	uint64_t sg = 0;

	bt_parcel_init(&p);
	bt_p_u32(&p, 0xec40);
	for (i = 0; i < n && i < 32; i++) {
		struct binder_object_header hdr;

		memcpy(&hdr, data + offs[i], sizeof(hdr));
		switch (hdr.type) {
		case BINDER_TYPE_BINDER:
		case BINDER_TYPE_WEAK_BINDER:
		case BINDER_TYPE_HANDLE:
		case BINDER_TYPE_WEAK_HANDLE: {
			struct flat_binder_object fo;

			memcpy(&fo, data + offs[i], sizeof(fo));
			bt_p_obj(&p, &fo, sizeof(fo));
			break;
		}
		case BINDER_TYPE_FD: {
			struct binder_fd_object fo;

			memcpy(&fo, data + offs[i], sizeof(fo));
			kinc(K_FDS_RECEIVED);
			close_fds[nclose++] = fo.fd;
			fo.cookie = 0;
			bt_p_obj(&p, &fo, sizeof(fo));
			break;
		}
		case BINDER_TYPE_PTR: {
			struct binder_buffer_object bo;

			memcpy(&bo, data + offs[i], sizeof(bo));
			if (nptr >= 4 || bo.length > sizeof(ptrcopy[0])) {
				bt_p_u64(&p, 0);
				break;
			}
			memcpy(ptrcopy[nptr], (void *)(uintptr_t)bo.buffer, bo.length);
			bo.buffer = (uintptr_t)ptrcopy[nptr];
			bo.flags = 0;
			sg += (bo.length + 7) & ~7ULL;
			nptr++;
			bt_p_obj(&p, &bo, sizeof(bo));
			break;
		}
		case BINDER_TYPE_FDA: {
			struct binder_fd_array_object fa;

			memcpy(&fa, data + offs[i], sizeof(fa));
			bt_p_obj(&p, &fa, sizeof(fa));
			break;
		}
		default:
			break;
		}
	}
	eng_reply(t, tr, &p, sg, close_fds, nclose);
}

static uint32_t cm_get(struct th *t, int slot, struct outcome *out);

static void serve_txn(struct th *t, const struct binder_transaction_data *tr)
{
	struct eng *e = t->e;
	bool oneway = tr->flags & TF_ONE_WAY;
	struct objinfo oi;

	kinc(K_INCOMING);
	if (oneway) {
		/* Keep a handle now and then (with notifications). */
		scan_objects(tr, &oi);
		if (oi.nhandles && rnd_below(3) == 0)
			held_add(t, oi.handles[0], true, rnd_below(2));
		close_received_fds(tr);
		free_buffer(t, tr);
		return;
	}
	switch (tr->code) {
	case C_ECHO:
		scan_objects(tr, &oi);
		if (oi.nhandles && rnd_below(4) == 0)
			held_add(t, oi.handles[0], true, rnd_below(2));
		serve_echo(t, tr);
		return;
	case C_CALLBACK: {
		struct bt_parcel p;

		scan_objects(tr, &oi);
		kinc(K_CALLBACK);
		if (oi.nhandles && t->depth < 6) {
			bt_parcel_init(&p);
			bt_p_u32(&p, 7);
			/* Nested sync call back into the caller, then a one-way. */
			eng_call(t, oi.handles[0], C_PING, TF_ACCEPT_FDS, &p, 0, NULL);
			eng_call(t, oi.handles[0], C_PING, TF_ONE_WAY, &p, 0, NULL);
		}
		close_received_fds(tr);
		eng_reply(t, tr, NULL, 0, NULL, 0);
		return;
	}
	case C_FORWARD: {
		struct bt_parcel p;
		struct outcome o;
		int fds[8], nfds, i;
		uint64_t sg;
		struct sgbuf sgb;

		kinc(K_FORWARD);
		close_received_fds(tr);
		if (e->role->kind == R_SERVER && t->depth < 4) {
			uint32_t h = cm_get(t, rnd_below(MAX_SERVERS), &o);

			if (h) {
				build_parcel(t, &p, &sgb, fds, &nfds, &sg, true);
				eng_call(t, h, C_ECHO, TF_ACCEPT_FDS, &p, sg, NULL);
				for (i = 0; i < nfds; i++)
					close(fds[i]);
				/* The handle came in the GET reply: free it now. */
				free_buffer(t, &o.tr);
			}
		}
		eng_reply(t, tr, NULL, 0, NULL, 0);
		return;
	}
	default:
		close_received_fds(tr);
		eng_reply(t, tr, NULL, 0, NULL, 0);
		return;
	}
}

/* ---- context manager -------------------------------------------------- */

static void cm_drop_slot(struct th *t, int s)
{
	struct eng *e = t->e;

	if (!e->slot_h[s])
		return;
	eng_cmd_hc(t, BC_CLEAR_DEATH_NOTIFICATION, e->slot_h[s], e->slot_cookie[s]);
	eng_cmd_u32(t, BC_RELEASE, e->slot_h[s]);
	e->slot_h[s] = 0;
	e->slot_cookie[s] = 0;
}

static void cm_serve(struct th *t, const struct binder_transaction_data *tr)
{
	struct eng *e = t->e;
	const uint8_t *data = bt_data(tr);
	struct bt_parcel p;
	uint32_t slot = 0;

	kinc(K_INCOMING);
	if (tr->data_size >= 4)
		memcpy(&slot, data, 4);
	if (tr->flags & TF_ONE_WAY) {
		close_received_fds(tr);
		free_buffer(t, tr);
		return;
	}
	bt_parcel_init(&p);
	pthread_mutex_lock(&e->lock);
	if (tr->code == SM_ADD && slot < MAX_SERVERS) {
		struct objinfo oi;

		scan_objects(tr, &oi);
		if (oi.nhandles && oi.handles[0] != e->slot_h[slot]) {
			uint32_t h = oi.handles[0];

			cm_drop_slot(t, slot);
			if (!eng_cmd_u32(t, BC_ACQUIRE, h)) {
				e->slot_h[slot] = h;
				e->slot_cookie[slot] = ((uint64_t)slot << 32) | ++e->next_cookie;
				eng_cmd_hc(t, BC_REQUEST_DEATH_NOTIFICATION, h,
					   e->slot_cookie[slot]);
			}
		}
		bt_p_u32(&p, 0);
	} else if (tr->code == SM_GET && slot < MAX_SERVERS && e->slot_h[slot]) {
		bt_p_u32(&p, 0);
		bt_p_handle(&p, BINDER_TYPE_HANDLE, e->slot_h[slot]);
	} else {
		bt_p_u32(&p, 1);
	}
	pthread_mutex_unlock(&e->lock);
	close_received_fds(tr);
	eng_reply(t, tr, &p, 0, NULL, 0);
}

/* GET slot from the registry: the handle (reply buffer in out, to be freed) or 0. */
static uint32_t cm_get(struct th *t, int slot, struct outcome *out)
{
	struct bt_parcel p;
	struct objinfo oi;
	int ret;

	bt_parcel_init(&p);
	bt_p_u32(&p, slot);
	ret = eng_call(t, 0, SM_GET, 0, &p, 0, out);
	if ((uint32_t)ret != BR_REPLY)
		return 0;
	scan_objects(&out->tr, &oi);
	if (!oi.nhandles) {
		free_buffer(t, &out->tr);
		return 0;
	}
	kinc(K_GET_OK);
	return oi.handles[0];
}

/* ---- dispatch of non-terminal returns ---------------------------------- */

static void *pool_thread(void *arg);

static int eng_handle_item(struct th *t, struct item *it)
{
	struct eng *e = t->e;
	struct bt_cmds c;
	int i;

	switch (it->cmd) {
	case BR_TRANSACTION:
		t->depth++;
		if (e->role->kind == R_CM)
			cm_serve(t, &it->tr);
		else
			serve_txn(t, &it->tr);
		t->depth--;
		return 0;
	case BR_INCREFS:
	case BR_ACQUIRE:
		bt_cmds_init(&c);
		bt_cmd_ptr_cookie(&c, it->cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
				  it->pc.ptr, it->pc.cookie);
		return eng_write(t, &c);
	case BR_RELEASE:
	case BR_DECREFS:
		return 0;
	case BR_SPAWN_LOOPER:
		if (e->role->kind != R_CLIENT && e->nthreads < MAX_POOL) {
			pthread_t tid;
			pthread_attr_t a;

			__atomic_fetch_add(&e->nthreads, 1, __ATOMIC_SEQ_CST);
			pthread_attr_init(&a);
			pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
			if (pthread_create(&tid, &a, pool_thread, e))
				__atomic_fetch_sub(&e->nthreads, 1, __ATOMIC_SEQ_CST);
			else
				kinc(K_THREAD_SPAWN);
			pthread_attr_destroy(&a);
		}
		return 0;
	case BR_DEAD_BINDER: {
		uint64_t ck = it->cookie;

		kinc(K_DEAD_BINDER);
		bt_cmds_init(&c);
		pthread_mutex_lock(&e->lock);
		if (e->role->kind == R_CM) {
			for (i = 0; i < MAX_SERVERS; i++) {
				if (e->slot_h[i] && e->slot_cookie[i] == ck) {
					bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION,
							     e->slot_h[i], ck);
					bt_cmd_u32(&c, BC_RELEASE, e->slot_h[i]);
					e->slot_h[i] = 0;
					e->slot_cookie[i] = 0;
				}
			}
		} else if (ck == e->cm_cookie && e->cm_watch == 1) {
			bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, 0, ck);
			bt_cmd_u32(&c, BC_DECREFS, 0);
			e->cm_watch = 2;
		} else {
			for (i = 0; i < e->nheld; i++) {
				if (e->held[i].death == ck) {
					struct held hd = e->held[i];

					e->held[i] = e->held[--e->nheld];
					bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION,
							     hd.h, ck);
					bt_cmd_u32(&c, BC_RELEASE, hd.h);
					break;
				}
			}
		}
		bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, ck);
		pthread_mutex_unlock(&e->lock);
		return eng_write(t, &c);
	}
	case BR_CLEAR_DEATH_NOTIFICATION_DONE:
	case BR_CLEAR_FREEZE_NOTIFICATION_DONE:
		kinc(K_CLEAR_DONE);
		return 0;
	case BR_FROZEN_BINDER:
		kinc(K_FROZEN_BINDER);
		bt_cmds_init(&c);
		bt_cmd_u64(&c, BC_FREEZE_NOTIFICATION_DONE, it->frozen.cookie);
		return eng_write(t, &c);
	default:
		fprintf(stderr, "# [pid %d] unexpected return %s\n", getpid(),
			bt_br_name(it->cmd));
		return 0;
	}
}

/* ---- process bodies ----------------------------------------------------- */

static void th_init(struct th *t, struct eng *e)
{
	memset(t, 0, sizeof(*t));
	t->e = e;
}

static void *pool_thread(void *arg)
{
	struct eng *e = arg;
	struct th *t = calloc(1, sizeof(*t));
	int idle = 0;

	if (!t)
		goto out;
	th_init(t, e);
	rnd_seed(shm->seed ^ (uint64_t)bt_gettid() << 20);
	t->looper = true;
	eng_cmd0(t, BC_REGISTER_LOOPER);
	while (!shm->stop) {
		int ret = eng_loop(t, W_NONE, NULL, 300);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN)
			break;
		if (ret == 0 && t->qn == 0)
			idle++;
		else
			idle = 0;
		/* An idle pool thread leaves now and then. */
		if (idle > 3 && rnd_below(8) == 0)
			break;
	}
	{
		struct bt_cmds c;

		bt_cmds_init(&c);
		bt_cmd(&c, BC_EXIT_LOOPER);
		eng_write(t, &c);
		bt_thread_exit(e->fd);
		kinc(K_THREAD_EXIT);
	}
	sk_timer_delete();
	free(t);
out:
	__atomic_fetch_sub(&e->nthreads, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static int eng_open(struct eng *e, struct role *r)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	e->role = r;
	e->fd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	e->map = mmap(NULL, MAP_SIZE, PROT_READ, MAP_PRIVATE, e->fd, 0);
	if (e->map == MAP_FAILED)
		return -errno;
	e->nthreads = 1;
	e->next_cookie = (uint64_t)getpid() << 16;
	return 0;
}

static void cm_main(struct role *r)
{
	struct eng e;
	struct th *t = calloc(1, sizeof(*t));
	long deadline = bt_now_ms() + 20000;
	int ret;

	BT_CHECK(t);
	BT_CHECK(eng_open(&e, r) == 0);
	th_init(t, &e);
	/* The previous manager may not be released yet: EBUSY for a while. */
	while ((ret = bt_set_cm_ext(e.fd, 0, 0, FLAT_BINDER_FLAG_ACCEPTS_FDS)) == -EBUSY &&
	       bt_now_ms() < deadline)
		bt_msleep(5);
	if (ret) {
		fprintf(stderr, "# [cm] SET_CONTEXT_MGR: %s\n", strerror(-ret));
		_exit(2);
	}
	bt_set_max_threads(e.fd, 1);
	eng_cmd0(t, BC_ENTER_LOOPER);
	shm->cm_ready = 1;
	while (!shm->stop) {
		ret = eng_loop(t, W_NONE, NULL, 500);
		if (ret < 0 && ret != -EINTR)
			break;
	}
	_exit(0);
}

static void server_publish(struct th *t)
{
	struct eng *e = t->e;
	struct bt_parcel p;
	int ret;

	bt_parcel_init(&p);
	bt_p_u32(&p, e->role->idx);
	bt_p_binder(&p, BINDER_TYPE_BINDER, e->node_base, e->node_base,
		    FLAT_BINDER_FLAG_ACCEPTS_FDS | 0x7f);
	ret = eng_call(t, 0, SM_ADD, 0, &p, 0, NULL);
	if ((uint32_t)ret != BR_REPLY)
		return;
	kinc(K_PUBLISH);
	/* Watch the manager: republish when it dies. */
	if (e->cm_watch != 1) {
		e->cm_cookie = ++e->next_cookie | (1ULL << 41);
		if (!eng_cmd_u32(t, BC_INCREFS, 0) &&
		    !eng_cmd_hc(t, BC_REQUEST_DEATH_NOTIFICATION, 0, e->cm_cookie))
			e->cm_watch = 1;
	}
}

static void server_main(struct role *r)
{
	struct eng e;
	struct th *t = calloc(1, sizeof(*t));
	long next_pub = 0;

	BT_CHECK(t);
	BT_CHECK(eng_open(&e, r) == 0);
	th_init(t, &e);
	e.node_base = 0x510000 + 0x1000 * r->idx;
	bt_set_max_threads(e.fd, MAX_POOL - 1);
	eng_cmd0(t, BC_ENTER_LOOPER);
	t->looper = true;
	while (!shm->stop) {
		int ret;

		if (bt_now_ms() >= next_pub || e.cm_watch == 2) {
			if (e.cm_watch == 2)
				e.cm_watch = 0;
			server_publish(t);
			next_pub = bt_now_ms() + 500 + rnd_below(1000);
		}
		ret = eng_loop(t, W_NONE, NULL, 200);
		if (ret < 0 && ret != -EINTR)
			break;
		if (rnd_below(64) == 0)
			held_drop_random(t);
	}
	_exit(0);
}

static void client_main(struct role *r)
{
	struct eng e;
	struct th *t = calloc(1, sizeof(*t));
	long end = bt_now_ms() + 2000 + rnd_below(20000);

	BT_CHECK(t);
	BT_CHECK(eng_open(&e, r) == 0);
	th_init(t, &e);
	e.node_base = 0xc10000 + 0x1000 * r->idx;
	/* A looper too: one-way callbacks and notifications come to the proc. */
	eng_cmd0(t, BC_ENTER_LOOPER);
	t->looper = true;
	while (!shm->stop) {
		uint32_t h = held_pick(&e);
		unsigned int act = rnd_below(100);
		struct bt_parcel p;
		struct sgbuf sgb;
		struct outcome o;
		int fds[8], nfds = 0, i;
		uint64_t sg;

		if (bt_now_ms() > end && rnd_below(4) == 0) {
			/* Leave on our own (with whatever is in flight). */
			kinc(K_VOLUNTARY_EXIT);
			if (rnd_below(2))
				close(e.fd);
			_exit(0);
		}
		if (!h || act < 15) {
			uint32_t nh = cm_get(t, rnd_below(MAX_SERVERS), &o);

			if (nh) {
				held_add(t, nh, rnd_below(4) != 0, rnd_below(2));
				free_buffer(t, &o.tr);
			} else {
				bt_msleep(5);
			}
			continue;
		}
		if (act < 50) {
			/* Sync ECHO with objects; keep a handle from the reply sometimes. */
			build_parcel(t, &p, &sgb, fds, &nfds, &sg, true);
			if ((uint32_t)eng_call(t, h, C_ECHO, TF_ACCEPT_FDS, &p, sg, &o) == BR_REPLY) {
				struct objinfo oi;

				scan_objects(&o.tr, &oi);
				if (oi.nhandles && rnd_below(3) == 0)
					held_add(t, oi.handles[0], true, rnd_below(2));
				close_received_fds(&o.tr);
				free_buffer(t, &o.tr);
			}
		} else if (act < 65) {
			build_parcel(t, &p, &sgb, fds, &nfds, &sg, true);
			eng_call(t, h, C_ECHO, TF_ONE_WAY, &p, sg, NULL);
		} else if (act < 75) {
			bt_parcel_init(&p);
			bt_p_binder(&p, BINDER_TYPE_BINDER, e.node_base + 0x100, e.node_base,
				    FLAT_BINDER_FLAG_ACCEPTS_FDS);
			eng_call(t, h, C_CALLBACK, TF_ACCEPT_FDS, &p, 0, NULL);
		} else if (act < 82) {
			bt_parcel_init(&p);
			bt_p_u32(&p, 1);
			eng_call(t, h, C_FORWARD, 0, &p, 0, NULL);
		} else if (act < 88) {
			held_drop_random(t);
		} else if (act < 92) {
			/* Drain async work (one-way callbacks, notifications). */
			eng_loop(t, W_NONE, NULL, 50);
		} else if (act < 94) {
			/* A new binder thread for this task. */
			bt_thread_exit(e.fd);
			eng_cmd0(t, BC_ENTER_LOOPER);
		} else {
			bt_parcel_init(&p);
			bt_p_u32(&p, 3);
			eng_call(t, h, C_PING, 0, &p, 0, NULL);
		}
		for (i = 0; i < nfds; i++)
			close(fds[i]);
		eng_loop(t, W_NONE, NULL, 1);
	}
	_exit(0);
}

/* ---- orchestrator ------------------------------------------------------- */

static pid_t spawn(struct role *r)
{
	pid_t parent = getpid();
	pid_t pid;

	r->gen++;
	r->in_txn = 0;
	r->frozen = 0;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		sk_timer_made = 0;
		rnd_seed(shm->seed ^ ((uint64_t)(r - shm->roles) << 32) ^ (uint64_t)r->gen << 48);
		switch (r->kind) {
		case R_CM: cm_main(r); break;
		case R_SERVER: server_main(r); break;
		default: client_main(r); break;
		}
		_exit(0);
	}
	r->pid = pid;
	return pid;
}

static void dump_stack_of(pid_t pid)
{
	char path[320], *buf;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, de->d_name);
		buf = lo_slurp(path, NULL);
		printf("#   task %s stack:\n", de->d_name);
		if (!buf)
			continue;
		for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
			printf("#     %s\n", p);
		free(buf);
	}
	closedir(d);
}

static int hangs;

/* SIGKILL + reap within 15 s; a process that doesn't die is a hang. */
static void kill_and_reap(struct role *r)
{
	pid_t pid = r->pid;
	long deadline;
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	deadline = bt_now_ms() + 15000;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid || (w < 0 && errno == ECHILD))
			break;
		if (bt_now_ms() > deadline) {
			printf("# HANG: %s%d pid %d did not die within 15 s of SIGKILL\n",
			       role_names[r->kind], r->idx, pid);
			dump_stack_of(pid);
			hangs++;
			break;
		}
		bt_msleep(2);
	}
	r->pid = 0;
	r->in_txn = 0;
}

static void read_logs(const char *mnt)
{
	static const char *const files[] = { "state", "stats", "transactions" };
	char path[256], *buf;

	snprintf(path, sizeof(path), "%s/binder_logs/%s", mnt, files[rnd_below(3)]);
	buf = lo_slurp(path, NULL);
	free(buf);
	kinc(K_LOG_READS);
}

static int do_freeze(int fd, pid_t pid, int enable, int timeout_ms)
{
	struct binder_freeze_info fz;

	memset(&fz, 0, sizeof(fz));
	fz.pid = pid;
	fz.enable = enable;
	fz.timeout_ms = timeout_ms;
	return bt_ioctl(fd, BINDER_FREEZE, &fz);
}

/* A context manager and a client on a fresh setup: one round trip. */
static int final_roundtrip(void)
{
	struct bt_proc c;
	struct bt_rets r;
	pid_t srv;
	int ret;

	srv = bt_start_server(dev_path, NULL);
	if (srv < 0)
		return srv;
	ret = bt_open(dev_path, BT_MAP_SIZE, &c);
	if (ret) {
		bt_kill(srv);
		return ret;
	}
	bt_rets_init(&r);
	ret = bt_call_report(c.fd, 0, BT_CODE_REPORT, 0, NULL, NULL, NULL, 0, &r);
	if (ret != (int)BR_REPLY) {
		printf("# final round trip: %s (%d)\n", BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret), ret);
		ret = -EPROTO;
	} else {
		ret = 0;
	}
	if (bt_stop_server(c.fd, srv) < 0)
		bt_kill(srv);
	bt_close(&c);
	return ret;
}


int main(int argc, char **argv)
{
	int seconds = 30, nclients = 4, nservers = 3, kmin = 30, kmax = 300;
	uint64_t seed = (uint64_t)time(NULL);
	struct lo_stats base, after;
	struct bt_dev dev;
	int opt, i, nroles, ffd, ret, maxdead = 0;
	long end, last_progress_t, last_calls = 0, start;
	pid_t all_pids[4096];
	int npids = 0;
	bool stall = false;

	while ((opt = getopt(argc, argv, "t:s:c:n:k:v")) != -1) {
		switch (opt) {
		case 't': seconds = atoi(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'c': nclients = atoi(optarg); break;
		case 'n': nservers = atoi(optarg); break;
		case 'k': sscanf(optarg, "%d,%d", &kmin, &kmax); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: %s [-t SECS] [-s SEED] [-c CLIENTS] [-n SERVERS] [-k MIN,MAX] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (nclients < 1 || nclients > MAX_CLIENTS || nservers < 1 || nservers > MAX_SERVERS ||
	    kmin < 1 || kmax < kmin)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..5\n");
	printf("# stress_kill: %d s, seed %llu, %d servers, %d clients, kill every %d..%d ms\n",
	       seconds, (unsigned long long)seed, nservers, nclients, kmin, kmax);
	rnd_seed(seed);

	ret = bt_dev_create_opts(&dev, "stats=global");
	if (ret) {
		printf("Bail out! binderfs with stats=global: %s\n", strerror(-ret));
		return 1;
	}
	snprintf(dev_path, sizeof(dev_path), "%s", dev.path);
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED) {
		printf("Bail out! mmap\n");
		return 1;
	}
	memset(shm, 0, sizeof(*shm));
	shm->seed = seed;
	ret = lo_read(dev.mnt, &base);
	if (ret) {
		printf("Bail out! binder_logs/stats: %s\n", strerror(-ret));
		return 1;
	}
	printf("# baseline: %s\n", lo_fmt(&base));
	ffd = open(dev_path, O_RDWR | O_CLOEXEC);
	if (ffd < 0) {
		printf("Bail out! open %s: %s\n", dev_path, strerror(errno));
		return 1;
	}

	nroles = 1 + nservers + nclients;
	for (i = 0; i < nroles; i++) {
		struct role *r = &shm->roles[i];

		r->kind = i == 0 ? R_CM : i <= nservers ? R_SERVER : R_CLIENT;
		r->idx = i == 0 ? 0 : i <= nservers ? i - 1 : i - 1 - nservers;
	}
	spawn(&shm->roles[0]);
	all_pids[npids++] = shm->roles[0].pid;
	for (i = 0; i < 2000 && !shm->cm_ready; i++)
		bt_msleep(5);
	for (i = 1; i < nroles; i++) {
		spawn(&shm->roles[i]);
		all_pids[npids++] = shm->roles[i].pid;
	}

	start = bt_now_ms();
	end = start + seconds * 1000L;
	last_progress_t = start;
	while (bt_now_ms() < end) {
		int st, act;
		pid_t w;

		bt_msleep(kmin + rnd_below(kmax - kmin + 1));
		/* Respawn whoever left on its own. */
		while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < nroles; i++) {
				if (shm->roles[i].pid == w) {
					struct role *r = &shm->roles[i];

					if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
						printf("# %s%d pid %d exited with status %d\n",
						       role_names[r->kind], r->idx, w, WEXITSTATUS(st));
					if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
						printf("# %s%d pid %d died of signal %d\n",
						       role_names[r->kind], r->idx, w, WTERMSIG(st));
					r->pid = 0;
					spawn(r);
					if (npids < 4096)
						all_pids[npids++] = r->pid;
				}
			}
		}
		act = rnd_below(100);
		if (act < 75) {
			/* Kill: prefer a process inside a transaction. */
			struct role *victim = NULL;
			int tries;

			for (tries = 0; tries < 8 && !victim; tries++) {
				struct role *r = &shm->roles[rnd_below(nroles)];

				if (r->pid <= 0)
					continue;
				if (r->kind == R_CM && rnd_below(4))
					continue;
				if (r->in_txn || tries >= 4)
					victim = r;
			}
			if (victim) {
				if (verbose)
					printf("# kill %s%d pid %d (in_txn %d)\n", role_names[victim->kind],
					       victim->idx, victim->pid, victim->in_txn);
				kill_and_reap(victim);
				kinc(K_KILLS);
				if (rnd_below(3) == 0)
					bt_msleep(rnd_below(50));
				if (victim->kind == R_CM)
					shm->cm_ready = 0;
				spawn(victim);
				if (npids < 4096)
					all_pids[npids++] = victim->pid;
			}
		} else if (act < 90) {
			/* Freeze a server or a client; thaw the ones frozen long enough. */
			struct role *r = &shm->roles[1 + rnd_below(nroles - 1)];

			if (r->pid > 0 && !r->frozen) {
				ret = do_freeze(ffd, r->pid, 1, rnd_below(2) ? 0 : 20);
				if (ret == 0) {
					r->frozen = 1;
					r->frozen_since = bt_now_ms();
					kinc(K_FREEZES);
				} else if (ret == -EAGAIN) {
					kinc(K_FREEZE_EAGAIN);
					do_freeze(ffd, r->pid, 0, 0);
				}
			}
		}
		for (i = 1; i < nroles; i++) {
			struct role *r = &shm->roles[i];

			if (r->frozen && bt_now_ms() - r->frozen_since > 200) {
				if (r->pid > 0)
					do_freeze(ffd, r->pid, 0, 0);
				r->frozen = 0;
			}
		}
		read_logs(dev.mnt);
		if (shm->k[K_CALL_OK] != last_calls) {
			last_calls = shm->k[K_CALL_OK];
			last_progress_t = bt_now_ms();
		} else if (bt_now_ms() - last_progress_t > 30000 && !stall) {
			stall = true;
			printf("# STALL: no successful call for 30 s\n");
			lo_dump(stdout, dev.mnt, "state", 150);
		}
	}

	/* Stop: thaw, kill everyone, reap. */
	shm->stop = 1;
	for (i = 1; i < nroles; i++)
		if (shm->roles[i].frozen && shm->roles[i].pid > 0)
			do_freeze(ffd, shm->roles[i].pid, 0, 0);
	for (i = 0; i < nroles; i++)
		kill_and_reap(&shm->roles[i]);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	close(ffd);

	printf("# counters:");
	for (i = 0; i < NK; i++)
		printf(" %s=%ld", k_names[i], shm->k[i]);
	printf("\n");
	bt_tap(shm->k[K_CALL_OK] > 0 && !stall,
	    "storm of %d s made progress (%ld calls, %ld kills, %ld freezes)%s",
	    seconds, shm->k[K_CALL_OK], shm->k[K_KILLS], shm->k[K_FREEZES],
	    stall ? ": stalled for 30 s" : "");
	bt_tap(hangs == 0, "every process died after SIGKILL (%d hung)", hangs);

	ret = lo_wait_settled(dev.mnt, &base, 30000, &after);
	if (ret)
		printf("# leak oracle: active counts not back to baseline after 30 s: %s\n",
		       lo_diff(&after, &base));
	printf("# after: %s\n", lo_fmt(&after));
	bt_tap(ret == 0, "leak oracle: active counters back to baseline%s%s",
	    ret ? ": " : "", ret ? lo_diff(&after, &base) : "");
	{
		int left = 0;

		for (i = 0; i < npids; i++)
			if (lo_has_proc(&after, all_pids[i])) {
				if (left < 10)
					printf("# binder_logs still has proc %d (dead)\n", all_pids[i]);
				left++;
			}
		maxdead = left;
	}
	bt_tap(maxdead == 0, "no binder proc left for the %d dead processes (%d left)", npids, maxdead);
	if (ret || maxdead) {
		lo_dump(stdout, dev.mnt, "stats", 80);
		lo_dump(stdout, dev.mnt, "state", 150);
	}

	ret = final_roundtrip();
	if (!ret)
		ret = lo_wait_settled(dev.mnt, &base, 20000, &after);
	bt_tap(ret == 0, "a fresh manager + client round trip works afterwards and settles%s%s",
	    ret ? ": " : "", ret == -ETIMEDOUT ? lo_diff(&after, &base) : ret ? strerror(-ret) : "");
	bt_dev_destroy(&dev);
	printf("# %d tests, %d failed\n", bt_ntests, bt_nfail);
	return bt_nfail ? 1 : 0;
}
