// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder stress: systematic allocation-failure injection (fail-nth).
 *
 *   stress_failnth [-o OP[,OP...]] [-m MAX_N] [-r ITERS [-p PCT]] [-l] [-v] [-V]
 *
 * For each key binder operation, N = 1, 2, 3, ...: a fresh child process
 * sets up what the operation needs, writes N to
 * /proc/self/task/<tid>/fail-nth right before the operation's system call
 * (so that the N-th allocation of that task inside it fails; failslab and
 * fail_page_alloc are configured for that below), reads fail-nth back
 * right after (0: the failure was injected) and then checks:
 *   - the operation returned (an error or success; nothing hangs: every
 *     wait is bounded, the child is killed after 40 s and its stacks are
 *     printed),
 *   - the protocol stayed consistent: a transaction that was accepted
 *     gets its outcome (BR_TRANSACTION_COMPLETE / BR_REPLY / an error
 *     return), a death or freeze notification that was accepted is
 *     delivered, one that was refused is not and left nothing behind (a
 *     retry without the fault is accepted and delivered),
 *   - a normal round trip (a call to the context manager) still works,
 *   - and, once the child is gone, the leak oracle: every "active" counter
 *     of binder_logs/stats is back to its value before the case.
 * The sweep of an operation ends at the first N that was not injected
 * (the operation did fewer allocations) or at MAX_N (default 300).
 *
 * -V sets the fault injection "verbose" to 2: the console log gets a stack
 * trace per injected failure (diagnosis only: run-vm.sh then flags the
 * "Call Trace:" lines).
 *
 * -r ITERS: random mode instead (see random_pct below): each operation
 * runs ITERS times with every allocation of the thread failing with
 * probability PCT (default 20) via make-it-fail.
 *
 * Fault injection set-up (Documentation/fault-injection): failslab and
 * fail_page_alloc with task-filter Y (nothing fails by probability: no
 * task has make-it-fail set), probability 100, interval 1, times -1,
 * verbose 0, ignore-gfp-wait N, fail_page_alloc ignore-gfp-highmem N and
 * min-order 0. With CONFIG_FAULT_INJECTION_STACKTRACE_FILTER the
 * require-start/require-end range is set to the binder module (its
 * /proc/modules address and size) so that only allocations with the
 * module on the stack count; without it (the debug kernel has it off)
 * every allocation of the task in the system call counts.
 *
 * Operations (-l lists them): open, mmap, set_context_mgr, thread_create,
 * txn_data, txn_oneway, txn_binder, txn_handle, txn_fd, txn_fda, txn_ptr,
 * txn_all_oneway, call_write_read, reply, read_fds, free_buffer, death_request,
 * death_on_dead, clear_death, freeze_request, binder_freeze, increfs,
 * acquire, ctl_add, binderfs_mount.
 *
 * TAP: one test point per operation. Works on both drivers.
 */
#include "binder_test_lib.h"
#include "leak_oracle.h"
#include "fault_inject.h"

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/mount.h>

#define MAP_SZ (128 * 1024)
#define CHILD_TIMEOUT_MS 40000
#define NB_PTR 0xb0b0000ULL
#define NA_PTR 0xa0a0000ULL

/* Context manager codes. */
enum { CM_ECHO = 1, CM_STASH, CM_FETCH, CM_UNSTASH, CM_ECHO_FD };

static struct bt_dev dev;
static char cmdev_path[256];	/* second device, for set_context_mgr */
static int verbose;

/* ---- the context manager ------------------------------------------- */

static void cm_main(int ready_fd)
{
	struct bt_proc p;
	uint32_t stash = 0;
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	long deadline = bt_now_ms() + 10000;
	int ret;

	BT_CHECK_EQ(bt_open(dev.path, MAP_SZ, &p), 0);
	/* The previous manager may still be being released. */
	while ((ret = bt_set_cm_ext(p.fd, 0, 0, FLAT_BINDER_FLAG_ACCEPTS_FDS)) == -EBUSY &&
	       bt_now_ms() < deadline)
		bt_msleep(10);
	BT_CHECK_EQ(ret, 0);
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	BT_CHECK_EQ(bt_pipe_send(ready_fd, 1), 0);
	close(ready_fd);
	for (;;) {
		struct bt_rets r;
		int i, ret;

		bt_rets_init(&r);
		ret = bt_read(p.fd, &r, 0);
		if (ret == -EINTR)
			continue;
		BT_CHECK(ret == 0);
		for (i = 0; i < r.n; i++) {
			struct bt_ret *e = &r.r[i];
			struct binder_transaction_data *tr = &e->tr;
			struct bt_parcel rp;
			struct bt_cmds c;

			bt_cmds_init(&c);
			switch (e->cmd) {
			case BR_INCREFS:
			case BR_ACQUIRE:
				bt_cmd_ptr_cookie(&c, e->cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
						  e->pc.ptr, e->pc.cookie);
				break;
			case BR_DEAD_BINDER:
				if (stash) {
					bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, stash, stash);
					bt_cmd_u32(&c, BC_RELEASE, stash);
					stash = 0;
				}
				bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, e->cookie);
				break;
			case BR_TRANSACTION:
			case BR_TRANSACTION_SEC_CTX: {
				binder_size_t *offs = bt_offs(tr);
				size_t k, n = tr->offsets_size / 8;
				uint32_t got = 0;

				for (k = 0; k < n; k++) {
					struct flat_binder_object *fo =
						(void *)((uint8_t *)bt_data(tr) + offs[k]);

					if (fo->hdr.type == BINDER_TYPE_FD)
						close(((struct binder_fd_object *)fo)->fd);
					if (fo->hdr.type == BINDER_TYPE_HANDLE && !got)
						got = fo->handle;
				}
				if (tr->flags & TF_ONE_WAY) {
					bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
					break;
				}
				bt_parcel_init(&rp);
				bt_p_u32(&rp, 0);
				if ((tr->code == CM_STASH && got) || tr->code == CM_UNSTASH) {
					if (stash) {
						bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, stash, stash);
						bt_cmd_u32(&c, BC_RELEASE, stash);
						stash = 0;
					}
					if (tr->code == CM_STASH) {
						stash = got;
						bt_cmd_u32(&c, BC_ACQUIRE, stash);
						bt_cmd_handle_cookie(&c, BC_REQUEST_DEATH_NOTIFICATION, stash, stash);
					}
				} else if (tr->code == CM_FETCH && stash) {
					bt_p_handle(&rp, BINDER_TYPE_HANDLE, stash);
				} else if (tr->code == CM_ECHO_FD && devnull >= 0) {
					bt_p_fd(&rp, devnull);
				}
				{
					struct binder_transaction_data rtr;

					bt_tr(&rtr, 0, 0, 0, &rp);
					bt_cmd_txn(&c, BC_REPLY, &rtr);
				}
				bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
				break;
			}
			default:
				break;
			}
			if (c.len) {
				/* A pending error stops the write: read it away and retry. */
				size_t off = 0;
				int tries;

				for (tries = 0; tries < 5 && off < c.len; tries++) {
					size_t wc = 0;

					bt_wr(p.fd, c.buf + off, c.len - off, &wc, NULL, 0, NULL, 0);
					off += wc;
					if (off < c.len) {
						struct bt_rets tmp;

						bt_rets_init(&tmp);
						bt_read_nb(p.fd, &tmp);
					}
				}
			}
		}
	}
}

/* ---- child-side helpers ---------------------------------------------- */

/* Result of one iteration, sent to the parent. */
struct res {
	int injected;
	int op_ret;		/* the system call's return (-errno) */
	uint32_t outcome;	/* BR code that ended it, or 0 */
	int rt_ok;		/* the round trip after it worked */
	int bad;		/* a protocol inconsistency (msg says what) */
	char msg[240];
};

static struct res R;

static void bad(const char *fmt, ...)
{
	va_list ap;
	size_t l = strlen(R.msg);

	R.bad = 1;
	va_start(ap, fmt);
	vsnprintf(R.msg + l, sizeof(R.msg) - l, fmt, ap);
	va_end(ap);
}

/* Write all of c (reading away a pending error that stops the write). */
static int wr_all(int fd, const struct bt_cmds *c, struct bt_rets *sink)
{
	size_t off = 0;
	int tries, ret = 0;

	for (tries = 0; tries < 5 && off < c->len; tries++) {
		size_t wc = 0;

		ret = bt_wr(fd, c->buf + off, c->len - off, &wc, NULL, 0, NULL, 0);
		off += wc;
		if (ret)
			return ret;
		if (off < c->len && sink)
			bt_read_nb(fd, sink);
	}
	return off == c->len ? 0 : -EPROTO;
}

/* Drain everything pending for this thread into r (non-blocking). */
static void drain(int fd, struct bt_rets *r)
{
	int i;

	for (i = 0; i < 8; i++) {
		int before = r->n;

		if (bt_read_nb(fd, r))
			break;
		if (r->n == before && i > 2)
			break;
	}
}

/* Acknowledge refs and free buffers among r's entries from index from. */
static void settle_rets(int fd, struct bt_rets *r, int from)
{
	struct bt_cmds c;
	int i;

	bt_cmds_init(&c);
	for (i = from; i < r->n; i++) {
		struct bt_ret *e = &r->r[i];

		if (c.len > sizeof(c.buf) - 64) {
			wr_all(fd, &c, NULL);
			bt_cmds_init(&c);
		}
		switch (e->cmd) {
		case BR_INCREFS:
			bt_cmd_ptr_cookie(&c, BC_INCREFS_DONE, e->pc.ptr, e->pc.cookie);
			break;
		case BR_ACQUIRE:
			bt_cmd_ptr_cookie(&c, BC_ACQUIRE_DONE, e->pc.ptr, e->pc.cookie);
			break;
		case BR_TRANSACTION:
		case BR_TRANSACTION_SEC_CTX:
		case BR_REPLY: {
			binder_size_t *offs = bt_offs(&e->tr);
			size_t k;

			for (k = 0; k < e->tr.offsets_size / 8; k++) {
				struct binder_fd_object *fo =
					(void *)((uint8_t *)bt_data(&e->tr) + offs[k]);

				if (fo->hdr.type == BINDER_TYPE_FD)
					close(fo->fd);
			}
			bt_cmd_u64(&c, BC_FREE_BUFFER, e->tr.data.ptr.buffer);
			break;
		}
		case BR_DEAD_BINDER:
			bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, e->cookie);
			break;
		case BR_FROZEN_BINDER:
			bt_cmd_u64(&c, BC_FREEZE_NOTIFICATION_DONE, e->frozen.cookie);
			break;
		}
	}
	if (c.len)
		wr_all(fd, &c, NULL);
}

/* A sync call to the manager (ECHO): up to 3 tries past leftover errors. */
static bool roundtrip(int fd)
{
	int i;

	for (i = 0; i < 3; i++) {
		struct bt_parcel p;
		struct bt_rets r;
		int ret;

		bt_parcel_init(&p);
		bt_p_u32(&p, 0x5151);
		bt_rets_init(&r);
		ret = bt_call(fd, 0, CM_ECHO, 0, &p, &r);
		settle_rets(fd, &r, 0);
		if (ret == (int)BR_REPLY)
			return true;
		if (verbose)
			fprintf(stderr, "# roundtrip try %d: %s (%s)\n", i,
				BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret), bt_seq(&r, 0));
		if (ret == -EINTR)
			return false;
	}
	return false;
}

static bool roundtrip_fresh(void)
{
	struct bt_proc p;
	bool ok;

	if (bt_open(dev.path, MAP_SZ, &p))
		return false;
	ok = roundtrip(p.fd);
	bt_close(&p);
	return ok;
}

/* The setting most operations run in: A (client, looper) and B (a service with node nb). */
struct ctx {
	struct bt_proc a, b;
	uint32_t h_nb;		/* A's handle to B's node */
	pthread_t bthr;
	volatile int bstop;
	bool bthr_on;
	int b_served;
	uint32_t b_last;	/* B's last outcome (reply op) */
	uint32_t h_na;		/* B's handle to A's node (reply op) */
};

static int call_simple(int fd, uint32_t handle, uint32_t code, const struct bt_parcel *p,
		       struct bt_rets *r)
{
	int ret = bt_call(fd, handle, code, 0, p, r);

	settle_rets(fd, r, 0);
	return ret;
}

/* B: publish nb through the manager, A: fetch it (acquire), then the manager drops it. */
static int setup_ab(struct ctx *x)
{
	struct bt_parcel p;
	struct bt_rets r;
	int ret, i;

	memset(x, 0, sizeof(*x));
	x->a.fd = x->b.fd = -1;
	ret = bt_open(dev.path, MAP_SZ, &x->a);
	if (!ret)
		ret = bt_open(dev.path, MAP_SZ, &x->b);
	if (ret)
		return ret;
	bt_enter_looper(x->a.fd);
	bt_enter_looper(x->b.fd);
	bt_parcel_init(&p);
	bt_p_u32(&p, 0);
	bt_p_binder(&p, BINDER_TYPE_BINDER, NB_PTR, NB_PTR, FLAT_BINDER_FLAG_ACCEPTS_FDS);
	bt_rets_init(&r);
	ret = call_simple(x->b.fd, 0, CM_STASH, &p, &r);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	bt_parcel_init(&p);
	bt_rets_init(&r);
	ret = bt_call(x->a.fd, 0, CM_FETCH, 0, &p, &r);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	for (i = 0; i < r.n; i++) {
		if (r.r[i].cmd == BR_REPLY && r.r[i].tr.offsets_size >= 8) {
			struct flat_binder_object *fo = (void *)((uint8_t *)bt_data(&r.r[i].tr) +
								 bt_offs(&r.r[i].tr)[0]);

			x->h_nb = fo->handle;
		}
	}
	if (!x->h_nb)
		return -EPROTO;
	bt_send_u32(x->a.fd, BC_ACQUIRE, x->h_nb);
	settle_rets(x->a.fd, &r, 0);
	bt_rets_init(&r);
	call_simple(x->a.fd, 0, CM_UNSTASH, &p, &r);
	/* B acknowledges the refs on nb. */
	bt_rets_init(&r);
	drain(x->b.fd, &r);
	settle_rets(x->b.fd, &r, 0);
	return 0;
}

/* B's service thread: answer every transaction; remember handles it got. */
static void *b_thread(void *arg)
{
	struct ctx *x = arg;

	while (!x->bstop) {
		struct bt_rets r;
		struct bt_cmds c;
		int i, ret;

		bt_rets_init(&r);
		ret = bt_read(x->b.fd, &r, 200);
		if (ret == -EINTR)
			continue;
		if (ret)
			break;
		bt_cmds_init(&c);
		for (i = 0; i < r.n; i++) {
			struct bt_ret *e = &r.r[i];

			if (e->cmd == BR_TRANSACTION) {
				binder_size_t *offs = bt_offs(&e->tr);
				size_t k;

				x->b_served++;
				for (k = 0; k < e->tr.offsets_size / 8; k++) {
					struct flat_binder_object *fo =
						(void *)((uint8_t *)bt_data(&e->tr) + offs[k]);

					if (fo->hdr.type == BINDER_TYPE_FD)
						close(((struct binder_fd_object *)fo)->fd);
					if (fo->hdr.type == BINDER_TYPE_HANDLE && !x->h_na) {
						x->h_na = fo->handle;
						bt_cmd_u32(&c, BC_ACQUIRE, fo->handle);
					}
				}
				if (!(e->tr.flags & TF_ONE_WAY)) {
					struct binder_transaction_data rtr;

					bt_tr(&rtr, 0, 0, 0, NULL);
					bt_cmd_txn(&c, BC_REPLY, &rtr);
				}
				bt_cmd_u64(&c, BC_FREE_BUFFER, e->tr.data.ptr.buffer);
			} else if (e->cmd == BR_INCREFS || e->cmd == BR_ACQUIRE) {
				bt_cmd_ptr_cookie(&c, e->cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
						  e->pc.ptr, e->pc.cookie);
			}
		}
		if (c.len)
			wr_all(x->b.fd, &c, NULL);
	}
	return NULL;
}

static void b_start(struct ctx *x)
{
	x->bstop = 0;
	if (pthread_create(&x->bthr, NULL, b_thread, x) == 0)
		x->bthr_on = true;
}

static void b_stop(struct ctx *x)
{
	if (x->bthr_on) {
		x->bstop = 1;
		pthread_join(x->bthr, NULL);
		x->bthr_on = false;
	}
}

static void teardown_ab(struct ctx *x)
{
	b_stop(x);
	if (x->a.fd >= 0)
		bt_close(&x->a);
	if (x->b.fd >= 0)
		bt_close(&x->b);
}

/*
 * Read the outcome of a transaction this thread sent (sync: REPLY or an
 * error; one-way: TRANSACTION_COMPLETE or an error). A sync REPLY must
 * come after a TRANSACTION_COMPLETE.
 */
static uint32_t read_outcome(int fd, bool oneway, struct bt_rets *r)
{
	static const uint32_t term_sync[] = { BR_REPLY, BR_DEAD_REPLY, BR_FAILED_REPLY,
					       BR_FROZEN_REPLY, BR_ERROR };
	static const uint32_t term_ow[] = { BR_TRANSACTION_COMPLETE, BR_ONEWAY_SPAM_SUSPECT,
					     BR_TRANSACTION_PENDING_FROZEN, BR_DEAD_REPLY,
					     BR_FAILED_REPLY, BR_FROZEN_REPLY, BR_ERROR };
	long deadline = bt_now_ms() + 10000;
	int i, from = 0;

	for (;;) {
		const uint32_t *set = oneway ? term_ow : term_sync;
		int nset = oneway ? 7 : 5, j;

		for (i = from; i < r->n; i++)
			for (j = 0; j < nset; j++)
				if (r->r[i].cmd == set[j]) {
					uint32_t br = r->r[i].cmd;

					if (br == BR_REPLY && bt_find(r, BR_TRANSACTION_COMPLETE, 0) < 0)
						bad("BR_REPLY without BR_TRANSACTION_COMPLETE (%s); ",
						    bt_seq(r, 0));
					return br;
				}
		from = r->n;
		if (bt_now_ms() > deadline)
			return 0;
		if (bt_read(fd, r, (int)(deadline - bt_now_ms())) && bt_now_ms() > deadline)
			return 0;
	}
}

/*
 * Send a transaction from A with fail-nth armed around the write ioctl,
 * then read its outcome (unarmed).
 */
static void txn_op(struct ctx *x, int n, uint32_t handle, uint32_t flags,
		   const struct bt_parcel *p, uint64_t sg)
{
	struct binder_transaction_data tr;
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;

	bt_tr(&tr, handle, 0x77, flags | TF_ACCEPT_FDS, p);
	bt_cmds_init(&c);
	if (sg)
		bt_cmd_txn_sg(&c, BC_TRANSACTION_SG, &tr, sg);
	else
		bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	bt_rets_init(&r);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	if (R.op_ret == 0 && wc != c.len)
		bad("write consumed %zu of %zu; ", wc, c.len);
	if (R.op_ret == 0 || wc == c.len) {
		R.outcome = read_outcome(x->a.fd, flags & TF_ONE_WAY, &r);
		if (!R.outcome)
			bad("no outcome within 10 s for an accepted transaction (%s); ",
			    bt_seq(&r, 0));
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

/* ---- operations --------------------------------------------------------- */

struct op {
	const char *name;
	bool needs_ab;		/* set up A and B before */
	bool b_serves;		/* B's service thread runs during the op */
	void (*fn)(struct ctx *x, int n);
};

static void op_open(struct ctx *x, int n)
{
	int fd;

	fn_arm(n);
	fd = open(dev.path, O_RDWR | O_CLOEXEC);
	R.injected = fn_disarm();
	R.op_ret = fd < 0 ? -errno : 0;
	if (fd >= 0) {
		void *m = mmap(NULL, MAP_SZ, PROT_READ, MAP_PRIVATE, fd, 0);

		if (m == MAP_FAILED)
			bad("mmap after a successful open: %s; ", strerror(errno));
		else if (!roundtrip(fd))
			bad("round trip on the opened fd failed; ");
		if (m != MAP_FAILED)
			munmap(m, MAP_SZ);
		close(fd);
	}
}

static void op_mmap(struct ctx *x, int n)
{
	int fd = open(dev.path, O_RDWR | O_CLOEXEC);
	void *m;

	BT_CHECK(fd >= 0);
	fn_arm(n);
	m = mmap(NULL, MAP_SZ, PROT_READ, MAP_PRIVATE, fd, 0);
	R.injected = fn_disarm();
	R.op_ret = m == MAP_FAILED ? -errno : 0;
	if (m != MAP_FAILED) {
		if (!roundtrip(fd))
			bad("round trip after a successful mmap failed; ");
		munmap(m, MAP_SZ);
	} else {
		/* A second mmap of the fd after the failed one. */
		m = mmap(NULL, MAP_SZ, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			roundtrip(fd);
			munmap(m, MAP_SZ);
		}
	}
	close(fd);
}

static void op_set_cm(struct ctx *x, int n)
{
	int fd = open(cmdev_path, O_RDWR | O_CLOEXEC), zero = 0, ret;
	long deadline = bt_now_ms() + 10000;

	BT_CHECK(fd >= 0);
	/* The previous iteration's manager may still be being released. */
	while ((ret = bt_ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero)) == -EBUSY &&
	       bt_now_ms() < deadline) {
		close(fd);
		bt_msleep(10);
		fd = open(cmdev_path, O_RDWR | O_CLOEXEC);
		BT_CHECK(fd >= 0);
	}
	close(fd);
	bt_msleep(20);
	fd = open(cmdev_path, O_RDWR | O_CLOEXEC);
	BT_CHECK(fd >= 0);
	do {
		fn_arm(n);
		ret = bt_ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero);
		R.injected = fn_disarm();
		if (ret == -EBUSY && !R.injected)
			bt_msleep(10);
	} while (ret == -EBUSY && !R.injected && bt_now_ms() < deadline);
	R.op_ret = ret;
	if (ret && ret != -EBUSY) {
		/* Refused: a second try must work. */
		if (bt_ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero))
			bad("SET_CONTEXT_MGR after a failed one: %s; ", strerror(errno));
	}
	close(fd);
}

struct thr_arg {
	int fd, n;
	int ret;
	bool injected;
};

static void *thread_create_fn(void *arg)
{
	struct thr_arg *t = arg;

	BT_CHECK(fn_open() == 0);
	fn_arm(t->n);
	t->ret = bt_version(t->fd);
	t->injected = fn_disarm();
	close(fn_fd);
	return NULL;
}

static void op_thread_create(struct ctx *x, int n)
{
	struct thr_arg t = { .fd = x->a.fd, .n = n };
	pthread_t th;

	BT_CHECK(pthread_create(&th, NULL, thread_create_fn, &t) == 0);
	pthread_join(th, NULL);
	R.injected = t.injected;
	R.op_ret = t.ret < 0 ? t.ret : 0;
}

static void op_txn_data(struct ctx *x, int n)
{
	struct bt_parcel p;

	bt_parcel_init(&p);
	bt_p_u64(&p, 0x1122334455667788ULL);
	txn_op(x, n, 0, 0, &p, 0);
}

static void op_txn_oneway(struct ctx *x, int n)
{
	struct bt_parcel p;

	bt_parcel_init(&p);
	bt_p_u64(&p, 0x1122334455667788ULL);
	txn_op(x, n, 0, TF_ONE_WAY, &p, 0);
}

static void op_txn_binder(struct ctx *x, int n)
{
	struct bt_parcel p;

	bt_parcel_init(&p);
	bt_p_u32(&p, 1);
	bt_p_binder(&p, BINDER_TYPE_BINDER, NA_PTR, NA_PTR, 0);
	bt_p_binder(&p, BINDER_TYPE_WEAK_BINDER, NA_PTR + 0x10, NA_PTR, 0);
	txn_op(x, n, 0, 0, &p, 0);
}

static void op_txn_handle(struct ctx *x, int n)
{
	struct bt_parcel p;

	/* A's ref to the manager's node (desc 0), sent to B: B gets a new ref. */
	bt_send_u32(x->a.fd, BC_ACQUIRE, 0);
	bt_parcel_init(&p);
	bt_p_u32(&p, 1);
	bt_p_handle(&p, BINDER_TYPE_HANDLE, 0);
	bt_p_handle(&p, BINDER_TYPE_WEAK_HANDLE, 0);
	txn_op(x, n, x->h_nb, 0, &p, 0);
}

static void op_txn_fd(struct ctx *x, int n)
{
	struct bt_parcel p;
	int fd = eventfd(0, EFD_CLOEXEC);

	bt_parcel_init(&p);
	bt_p_u32(&p, 1);
	bt_p_fd(&p, fd);
	txn_op(x, n, 0, 0, &p, 0);
	close(fd);
}

static void op_txn_fda(struct ctx *x, int n)
{
	struct { uint32_t fds[2]; uint64_t pad; } buf;
	struct binder_fd_array_object fa;
	struct bt_parcel p;
	int f1 = eventfd(0, EFD_CLOEXEC), f2 = open("/dev/null", O_RDONLY | O_CLOEXEC);

	buf.fds[0] = f1;
	buf.fds[1] = f2;
	buf.pad = 0;
	bt_parcel_init(&p);
	bt_p_u64(&p, 0);
	bt_p_ptr(&p, &buf, sizeof(buf), 0, 0, 0);
	memset(&fa, 0, sizeof(fa));
	fa.hdr.type = BINDER_TYPE_FDA;
	fa.num_fds = 2;
	fa.parent = 0;
	fa.parent_offset = 0;
	bt_p_obj(&p, &fa, sizeof(fa));
	txn_op(x, n, 0, 0, &p, sizeof(buf));
	close(f1);
	close(f2);
}

static void op_txn_ptr(struct ctx *x, int n)
{
	static char child[40] = "child buffer, pointed to by the parent";
	struct { uint64_t hdr; uint64_t ptr; uint64_t tail; } parent;
	struct bt_parcel p;

	parent.hdr = 0x7061726e;
	parent.ptr = (uintptr_t)child;
	parent.tail = 0;
	bt_parcel_init(&p);
	bt_p_u32(&p, 2);
	bt_p_ptr(&p, &parent, sizeof(parent), 0, 0, 0);
	bt_p_ptr(&p, child, sizeof(child), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 8);
	txn_op(x, n, 0, 0, &p, sizeof(parent) + sizeof(child));
}

/* Every object type at once, one-way to B (B's proc gets refs and fds). */
static void op_txn_all_oneway(struct ctx *x, int n)
{
	struct { uint32_t fds[2]; uint64_t pad; } buf;
	struct binder_fd_array_object fa;
	struct bt_parcel p;
	int f0 = eventfd(0, EFD_CLOEXEC), f1 = eventfd(0, EFD_CLOEXEC),
	    f2 = open("/dev/null", O_RDONLY | O_CLOEXEC);

	bt_send_u32(x->a.fd, BC_ACQUIRE, 0);
	buf.fds[0] = f1;
	buf.fds[1] = f2;
	buf.pad = 0;
	bt_parcel_init(&p);
	bt_p_u32(&p, 3);
	bt_p_binder(&p, BINDER_TYPE_BINDER, NA_PTR, NA_PTR, 0);
	bt_p_handle(&p, BINDER_TYPE_HANDLE, 0);
	bt_p_fd(&p, f0);
	bt_p_ptr(&p, &buf, sizeof(buf), 0, 0, 0);
	memset(&fa, 0, sizeof(fa));
	fa.hdr.type = BINDER_TYPE_FDA;
	fa.num_fds = 2;
	fa.parent = 3;
	bt_p_obj(&p, &fa, sizeof(fa));
	txn_op(x, n, x->h_nb, TF_ONE_WAY, &p, sizeof(buf));
	close(f0);
	close(f1);
	close(f2);
}

/* A sync call written and its reply read in one BINDER_WRITE_READ (the reply carries an fd). */
static void op_call_write_read(struct ctx *x, int n)
{
	struct binder_transaction_data tr;
	uint64_t rbuf[BT_READ_SIZE / 8];
	struct bt_parcel p;
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0, rc = 0;
	int fd = eventfd(0, EFD_CLOEXEC);

	memset(rbuf, 0, sizeof(rbuf));
	bt_parcel_init(&p);
	bt_p_u32(&p, 1);
	bt_p_fd(&p, fd);
	bt_tr(&tr, 0, CM_ECHO_FD, TF_ACCEPT_FDS, &p);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	bt_rets_init(&r);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, rbuf, sizeof(rbuf), &rc, 10000);
	R.injected = fn_disarm();
	close(fd);
	if (rc)
		bt_parse(rbuf, rc, &r);
	if (wc == c.len) {
		R.outcome = read_outcome(x->a.fd, false, &r);
		if (!R.outcome)
			bad("no outcome within 10 s for an accepted call (%s); ", bt_seq(&r, 0));
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

/* B calls A's node; A replies (with objects) with fail-nth armed. */
static void *b_caller(void *arg)
{
	struct ctx *x = arg;
	struct bt_rets r;
	struct bt_parcel p;
	int ret;

	bt_parcel_init(&p);
	bt_p_u32(&p, 9);
	bt_rets_init(&r);
	ret = bt_call(x->b.fd, x->h_na, 0x42, TF_ACCEPT_FDS, &p, &r);
	x->b_last = BT_IS_ERR(ret) ? 0 : (uint32_t)ret;
	settle_rets(x->b.fd, &r, 0);
	return NULL;
}

static void op_reply(struct ctx *x, int n)
{
	struct binder_transaction_data tr, *in;
	struct bt_parcel p;
	struct bt_rets r;
	struct bt_cmds c;
	pthread_t th;
	size_t wc = 0;
	int idx, fd, i;

	/* Give B a handle to A's node (B's thread acquires it). */
	bt_parcel_init(&p);
	bt_p_binder(&p, BINDER_TYPE_BINDER, NA_PTR, NA_PTR, FLAT_BINDER_FLAG_ACCEPTS_FDS);
	bt_rets_init(&r);
	b_start(x);
	bt_call(x->a.fd, x->h_nb, 1, TF_ONE_WAY, &p, &r);
	for (i = 0; i < 200 && !x->h_na; i++)
		bt_msleep(10);
	b_stop(x);
	settle_rets(x->a.fd, &r, 0);
	BT_CHECK(x->h_na);
	/* B calls A (from its own thread); A reads it. */
	BT_CHECK(pthread_create(&th, NULL, b_caller, x) == 0);
	bt_rets_init(&r);
	idx = bt_read_until(x->a.fd, &r, BR_TRANSACTION, BT_ACK_REFS, 10000);
	BT_CHECK(idx >= 0);
	in = &r.r[idx].tr;
	fd = eventfd(0, EFD_CLOEXEC);
	bt_send_u32(x->a.fd, BC_ACQUIRE, 0);
	bt_parcel_init(&p);
	bt_p_u32(&p, 5);
	bt_p_binder(&p, BINDER_TYPE_BINDER, NA_PTR + 0x20, NA_PTR, 0);
	bt_p_handle(&p, BINDER_TYPE_HANDLE, 0);
	bt_p_fd(&p, fd);
	bt_tr(&tr, 0, 0, 0, &p);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_REPLY, &tr);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	close(fd);
	bt_free_buffer(x->a.fd, in->data.ptr.buffer);
	pthread_join(th, NULL);
	R.outcome = x->b_last;
	if (!x->b_last)
		bad("the caller got no outcome for its call; ");
	else if (x->b_last != BR_REPLY && x->b_last != BR_FAILED_REPLY &&
		 x->b_last != BR_DEAD_REPLY)
		bad("the caller got %s; ", bt_br_name(x->b_last));
	/* The replier gets TRANSACTION_COMPLETE or an error for its reply. */
	if (wc == c.len) {
		int from = r.n, k;
		bool got = false;

		for (k = 0; k < 3 && !got; k++) {
			int j;

			bt_read_nb(x->a.fd, &r);
			for (j = from; j < r.n; j++)
				if (r.r[j].cmd == BR_TRANSACTION_COMPLETE ||
				    r.r[j].cmd == BR_FAILED_REPLY || r.r[j].cmd == BR_DEAD_REPLY ||
				    r.r[j].cmd == BR_ERROR)
					got = true;
		}
		if (!got)
			bad("replier got no TRANSACTION_COMPLETE/error for its reply (%s); ",
			    bt_seq(&r, from));
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, idx + 1);
}

/* Receiver side: B reads a one-way carrying fds (fd install) with fail-nth armed. */
static void op_read_fds(struct ctx *x, int n)
{
	struct { uint32_t fds[2]; uint64_t pad; } buf;
	struct binder_fd_array_object fa;
	uint64_t rbuf[BT_READ_SIZE / 8];
	struct bt_parcel p;
	struct bt_rets r, rb;
	size_t rc = 0;
	int f0 = eventfd(0, EFD_CLOEXEC), f1 = eventfd(0, EFD_CLOEXEC),
	    f2 = open("/dev/null", O_RDONLY | O_CLOEXEC), ret, i;

	buf.fds[0] = f1;
	buf.fds[1] = f2;
	buf.pad = 0;
	bt_parcel_init(&p);
	bt_p_u32(&p, 3);
	bt_p_fd(&p, f0);
	bt_p_ptr(&p, &buf, sizeof(buf), 0, 0, 0);
	memset(&fa, 0, sizeof(fa));
	fa.hdr.type = BINDER_TYPE_FDA;
	fa.num_fds = 2;
	fa.parent = 1;
	bt_p_obj(&p, &fa, sizeof(fa));
	{
		struct binder_transaction_data tr;

		bt_tr(&tr, x->h_nb, 1, TF_ONE_WAY, &p);
		bt_rets_init(&r);
		ret = bt_call_tr(x->a.fd, BC_TRANSACTION_SG, &tr, sizeof(buf), &r);
		settle_rets(x->a.fd, &r, 0);
	}
	close(f0);
	close(f1);
	close(f2);
	if (ret != (int)BR_TRANSACTION_COMPLETE) {
		bad("set-up one-way: %s; ", BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret));
		return;
	}
	memset(rbuf, 0, sizeof(rbuf));
	bt_rets_init(&rb);
	/* The one-way is queued: a non-blocking read takes it, and one whose
	 * install failed (the transaction is dropped, as C does) returns
	 * instead of waiting for a timer. A timer signal delivered while
	 * make-it-fail is armed can fail the signal frame's page and kill the
	 * child with SIGSEGV: the harness's fault, not the driver's. */
	BT_CHECK_EQ(bt_set_nonblock(x->b.fd, true), 0);
	fn_arm(n);
	R.op_ret = bt_wr(x->b.fd, NULL, 0, NULL, rbuf, sizeof(rbuf), &rc, 0);
	R.injected = fn_disarm();
	BT_CHECK_EQ(bt_set_nonblock(x->b.fd, false), 0);
	if (R.op_ret == -EAGAIN)
		R.op_ret = 0;	/* nothing left to read: see below */
	if (rc)
		bt_parse(rbuf, rc, &rb);
	for (i = 0; i < rb.n; i++)
		if (rb.r[i].cmd == BR_TRANSACTION)
			R.outcome = BR_TRANSACTION;
	if (!R.outcome && R.op_ret == 0) {
		/* Not delivered in that read: the next read gets it, or it was dropped. */
		drain(x->b.fd, &rb);
		for (i = 0; i < rb.n; i++)
			if (rb.r[i].cmd == BR_TRANSACTION)
				R.outcome = BR_TRANSACTION;
	}
	drain(x->b.fd, &rb);
	settle_rets(x->b.fd, &rb, 0);
}

/* Wait up to ms for a return cmd (with cookie) on fd; returns its index or -1. */
static int wait_for(int fd, struct bt_rets *r, uint32_t cmd, int ms)
{
	long deadline = bt_now_ms() + ms;
	int from = 0;

	for (;;) {
		int i;

		for (i = from; i < r->n; i++)
			if (r->r[i].cmd == cmd)
				return i;
		from = r->n;
		if (bt_now_ms() > deadline)
			return -1;
		bt_read(fd, r, (int)(deadline - bt_now_ms()) + 1);
	}
}

/* BC_FREE_BUFFER of a reply buffer in A's mapping; then A must still receive replies. */
static void op_free_buffer(struct ctx *x, int n)
{
	struct binder_transaction_data *tr;
	struct bt_parcel p;
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;
	int ret, i;

	bt_parcel_init(&p);
	bt_p_u32(&p, 1);
	bt_rets_init(&r);
	ret = bt_call(x->a.fd, 0, CM_ECHO, 0, &p, &r);
	tr = bt_last_tr(&r);
	if (ret != (int)BR_REPLY || !tr) {
		bad("set-up call: %s; ", BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret));
		return;
	}
	bt_cmds_init(&c);
	bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	/* A's buffer space must be whole again: several replies in a row. */
	for (i = 0; i < 4; i++) {
		bt_rets_init(&r);
		ret = bt_call(x->a.fd, 0, CM_ECHO, 0, &p, &r);
		settle_rets(x->a.fd, &r, 0);
		if (ret != (int)BR_REPLY) {
			struct binder_extended_error ee;

			bt_get_ee(x->a.fd, &ee);
			bad("after BC_FREE_BUFFER, call %d to the manager: %s (extended error %d); ", i,
			    BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret), ee.param);
			break;
		}
	}
}

static void op_death_request(struct ctx *x, int n)
{
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;
	bool err;
	int i;

	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_REQUEST_DEATH_NOTIFICATION, x->h_nb, 0xd1e);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	err = R.op_ret || bt_find(&r, BR_ERROR, 0) >= 0;
	R.outcome = err ? BR_ERROR : 0;
	if (err) {
		/* Refused: nothing may be left half-registered, a retry must work. */
		int from = r.n, ret2;

		ret2 = bt_send_handle_cookie(x->a.fd, BC_REQUEST_DEATH_NOTIFICATION, x->h_nb, 0xd1e);
		drain(x->a.fd, &r);
		if (ret2 || bt_find(&r, BR_ERROR, from) >= 0)
			bad("the retry of a refused death request is refused too (%s); ",
			    ret2 ? strerror(-ret2) : "BR_ERROR");
		if (bt_find(&r, BR_DEAD_BINDER, 0) >= 0)
			bad("BR_DEAD_BINDER before the node died; ");
	}
	/* B goes away: nb dies. */
	bt_close(&x->b);
	x->b.fd = -1;
	i = wait_for(x->a.fd, &r, BR_DEAD_BINDER, 10000);
	if (i >= 0 && !err)
		R.outcome = BR_DEAD_BINDER;
	if (i < 0)
		bad("%s but no BR_DEAD_BINDER within 10 s of the node's death (%s); ",
		    err ? "death request refused, its retry accepted," : "death request accepted",
		    bt_seq(&r, 0));
	if (i >= 0) {
		bt_cmds_init(&c);
		bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, x->h_nb, 0xd1e);
		bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, r.r[i].cookie);
		wr_all(x->a.fd, &c, &r);
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

static void op_death_on_dead(struct ctx *x, int n)
{
	struct bt_parcel p;
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;
	long deadline;
	bool err;
	int i, ret;

	bt_close(&x->b);
	x->b.fd = -1;
	/* Wait until nb is dead: a call to it gets BR_DEAD_REPLY. */
	deadline = bt_now_ms() + 10000;
	do {
		bt_parcel_init(&p);
		bt_rets_init(&r);
		ret = bt_call(x->a.fd, x->h_nb, 1, 0, &p, &r);
		settle_rets(x->a.fd, &r, 0);
		if (ret != (int)BR_DEAD_REPLY)
			bt_msleep(10);
	} while (ret != (int)BR_DEAD_REPLY && bt_now_ms() < deadline);
	BT_CHECK(ret == (int)BR_DEAD_REPLY);
	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_REQUEST_DEATH_NOTIFICATION, x->h_nb, 0xd2e);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	err = R.op_ret || bt_find(&r, BR_ERROR, 0) >= 0;
	i = wait_for(x->a.fd, &r, BR_DEAD_BINDER, err ? 1000 : 10000);
	R.outcome = i >= 0 ? BR_DEAD_BINDER : err ? BR_ERROR : 0;
	if (!err && i < 0)
		bad("death notification on a dead node accepted but no BR_DEAD_BINDER (%s); ",
		    bt_seq(&r, 0));
	if (err && i >= 0)
		bad("death notification refused but BR_DEAD_BINDER delivered; ");
	if (err && i < 0) {
		/* A retry must be accepted and answered at once. */
		int from = r.n, ret2;

		ret2 = bt_send_handle_cookie(x->a.fd, BC_REQUEST_DEATH_NOTIFICATION, x->h_nb, 0xd2e);
		i = wait_for(x->a.fd, &r, BR_DEAD_BINDER, 10000);
		if (ret2 || bt_find(&r, BR_ERROR, from) >= 0)
			bad("the retry of a refused death request is refused too (%s); ",
			    ret2 ? strerror(-ret2) : "BR_ERROR");
		else if (i < 0)
			bad("the retry of a refused death request on a dead node got no BR_DEAD_BINDER (%s); ",
			    bt_seq(&r, from));
	}
	if (i >= 0) {
		bt_cmds_init(&c);
		bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, x->h_nb, 0xd2e);
		bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, r.r[i].cookie);
		wr_all(x->a.fd, &c, &r);
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

static void op_clear_death(struct ctx *x, int n)
{
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;
	int i;

	BT_CHECK(bt_send_handle_cookie(x->a.fd, BC_REQUEST_DEATH_NOTIFICATION, x->h_nb, 0xd3e) == 0);
	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, x->h_nb, 0xd3e);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	i = wait_for(x->a.fd, &r, BR_CLEAR_DEATH_NOTIFICATION_DONE, 3000);
	R.outcome = i >= 0 ? BR_CLEAR_DEATH_NOTIFICATION_DONE : 0;
	if (!R.op_ret && i < 0 && bt_find(&r, BR_ERROR, 0) < 0)
		bad("clear accepted but no BR_CLEAR_DEATH_NOTIFICATION_DONE (%s); ", bt_seq(&r, 0));
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

static void op_freeze_request(struct ctx *x, int n)
{
	struct bt_rets r;
	struct bt_cmds c;
	size_t wc = 0;
	bool err;
	int i;

	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_REQUEST_FREEZE_NOTIFICATION, x->h_nb, 0xf1e);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	err = R.op_ret || bt_find(&r, BR_ERROR, 0) >= 0;
	i = wait_for(x->a.fd, &r, BR_FROZEN_BINDER, err ? 1000 : 10000);
	R.outcome = i >= 0 ? BR_FROZEN_BINDER : err ? BR_ERROR : 0;
	if (!err && i < 0)
		bad("freeze notification accepted but no BR_FROZEN_BINDER (%s); ", bt_seq(&r, 0));
	if (err && i >= 0)
		bad("freeze notification refused (%s) but BR_FROZEN_BINDER delivered; ",
		    R.op_ret ? strerror(-R.op_ret) : "BR_ERROR");
	if (err && i < 0) {
		/* Refused: nothing may be left half-registered, a retry must work. */
		int from = r.n, ret2;

		ret2 = bt_send_handle_cookie(x->a.fd, BC_REQUEST_FREEZE_NOTIFICATION, x->h_nb, 0xf1e);
		i = wait_for(x->a.fd, &r, BR_FROZEN_BINDER, 10000);
		if (ret2 || bt_find(&r, BR_ERROR, from) >= 0) {
			bad("the retry of a refused freeze request is refused too (%s); ",
			    ret2 ? strerror(-ret2) : "BR_ERROR");
			i = -1;
		} else if (i < 0) {
			bad("the retry of a refused freeze request got no BR_FROZEN_BINDER (%s); ",
			    bt_seq(&r, from));
		}
	}
	if (i >= 0) {
		int j;

		bt_cmds_init(&c);
		bt_cmd_u64(&c, BC_FREEZE_NOTIFICATION_DONE, r.r[i].frozen.cookie);
		bt_cmd_handle_cookie(&c, BC_CLEAR_FREEZE_NOTIFICATION, x->h_nb, 0xf1e);
		r.r[i].cmd = BR_NOOP;	/* done by hand */
		wr_all(x->a.fd, &c, &r);
		j = wait_for(x->a.fd, &r, BR_CLEAR_FREEZE_NOTIFICATION_DONE, 10000);
		if (j < 0)
			bad("no BR_CLEAR_FREEZE_NOTIFICATION_DONE after clearing (%s); ",
			    bt_seq(&r, 0));
	}
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

static void op_binder_freeze(struct ctx *x, int n)
{
	struct binder_freeze_info fz;
	struct bt_rets r;
	int ret;

	/* Freeze this process (A and B) from A, then thaw it. */
	memset(&fz, 0, sizeof(fz));
	fz.pid = getpid();
	fz.enable = 1;
	fz.timeout_ms = 100;
	fn_arm(n);
	R.op_ret = bt_ioctl(x->a.fd, BINDER_FREEZE, &fz);
	R.injected = fn_disarm();
	fz.enable = 0;
	ret = bt_ioctl(x->a.fd, BINDER_FREEZE, &fz);
	if (ret)
		bad("unfreeze after freeze: %s; ", strerror(-ret));
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	settle_rets(x->a.fd, &r, 0);
}

static void op_increfs(struct ctx *x, int n)
{
	struct bt_cmds c;
	struct bt_rets r;
	size_t wc = 0;

	/* A fresh proc's first reference to the manager's node. */
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_INCREFS, 0);
	bt_cmd_u32(&c, BC_ACQUIRE, 0);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	if (bt_find(&r, BR_ERROR, 0) >= 0)
		R.outcome = BR_ERROR;
	settle_rets(x->a.fd, &r, 0);
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_RELEASE, 0);
	bt_cmd_u32(&c, BC_DECREFS, 0);
	wr_all(x->a.fd, &c, NULL);
}

static void op_acquire(struct ctx *x, int n)
{
	struct bt_cmds c;
	struct bt_rets r;
	size_t wc = 0;

	/* More refs on A's handle to nb, and a release: BR_ACQUIRE/RELEASE work for B. */
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_INCREFS, x->h_nb);
	bt_cmd_u32(&c, BC_ACQUIRE, x->h_nb);
	bt_cmd_u32(&c, BC_RELEASE, x->h_nb);
	bt_cmd_u32(&c, BC_RELEASE, x->h_nb);
	fn_arm(n);
	R.op_ret = bt_wr(x->a.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
	R.injected = fn_disarm();
	bt_rets_init(&r);
	drain(x->a.fd, &r);
	if (bt_find(&r, BR_ERROR, 0) >= 0)
		R.outcome = BR_ERROR;
	settle_rets(x->a.fd, &r, 0);
	bt_rets_init(&r);
	drain(x->b.fd, &r);
	settle_rets(x->b.fd, &r, 0);
}

static void op_ctl_add(struct ctx *x, int n)
{
	struct binderfs_device d;
	char ctl[128], path[400];
	int fd, ret;

	snprintf(ctl, sizeof(ctl), "%s/binder-control", dev.mnt);
	fd = open(ctl, O_RDONLY | O_CLOEXEC);
	BT_CHECK(fd >= 0);
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "fn%d", n);
	fn_arm(n);
	ret = ioctl(fd, BINDER_CTL_ADD, &d) < 0 ? -errno : 0;
	R.injected = fn_disarm();
	R.op_ret = ret;
	snprintf(path, sizeof(path), "%s/%s", dev.mnt, d.name);
	if (ret == 0) {
		int bfd = open(path, O_RDWR | O_CLOEXEC);

		if (bfd < 0 || bt_version(bfd) != BINDER_CURRENT_PROTOCOL_VERSION)
			bad("new device %s unusable: %s; ", path, strerror(errno));
		if (bfd >= 0)
			close(bfd);
		if (unlink(path))
			bad("unlink %s: %s; ", path, strerror(errno));
	} else if (access(path, F_OK) == 0) {
		bad("BINDER_CTL_ADD failed (%s) but %s exists; ", strerror(-ret), path);
		unlink(path);
	}
	/* A normal add (and remove) still works. */
	memset(&d, 0, sizeof(d));
	snprintf(d.name, sizeof(d.name), "fnok%d", n);
	if (ioctl(fd, BINDER_CTL_ADD, &d) < 0) {
		bad("BINDER_CTL_ADD after the failure: %s; ", strerror(errno));
	} else {
		snprintf(path, sizeof(path), "%s/%s", dev.mnt, d.name);
		unlink(path);
	}
	close(fd);
}

static void op_mount(struct ctx *x, int n)
{
	char mnt[64], path[128];
	int ret;

	snprintf(mnt, sizeof(mnt), "/tmp/fn_mnt_%d", getpid());
	mkdir(mnt, 0755);
	fn_arm(n);
	ret = mount("binder", mnt, "binder", 0, "stats=global") ? -errno : 0;
	R.injected = fn_disarm();
	R.op_ret = ret;
	if (ret == 0) {
		snprintf(path, sizeof(path), "%s/binder-control", mnt);
		if (access(path, F_OK))
			bad("mounted binderfs without binder-control; ");
		if (umount2(mnt, 0))
			bad("umount: %s; ", strerror(errno));
	}
	/* A normal mount still works. */
	if (mount("binder", mnt, "binder", 0, "stats=global")) {
		bad("mount after the failure: %s; ", strerror(errno));
	} else {
		struct binderfs_device d;
		int fd;

		snprintf(path, sizeof(path), "%s/binder-control", mnt);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "x");
		if (fd < 0 || ioctl(fd, BINDER_CTL_ADD, &d) < 0)
			bad("BINDER_CTL_ADD in a new mount: %s; ", strerror(errno));
		if (fd >= 0)
			close(fd);
		umount2(mnt, MNT_DETACH);
	}
	rmdir(mnt);
}

static const struct op ops[] = {
	{ "open", false, false, op_open },
	{ "mmap", false, false, op_mmap },
	{ "set_context_mgr", false, false, op_set_cm },
	{ "thread_create", true, false, op_thread_create },
	{ "txn_data", true, false, op_txn_data },
	{ "txn_oneway", true, false, op_txn_oneway },
	{ "txn_binder", true, false, op_txn_binder },
	{ "txn_handle", true, true, op_txn_handle },
	{ "txn_fd", true, false, op_txn_fd },
	{ "txn_fda", true, false, op_txn_fda },
	{ "txn_ptr", true, false, op_txn_ptr },
	{ "txn_all_oneway", true, false, op_txn_all_oneway },
	{ "call_write_read", true, false, op_call_write_read },
	{ "reply", true, false, op_reply },
	{ "read_fds", true, false, op_read_fds },
	{ "free_buffer", true, false, op_free_buffer },
	{ "death_request", true, false, op_death_request },
	{ "death_on_dead", true, false, op_death_on_dead },
	{ "clear_death", true, false, op_clear_death },
	{ "freeze_request", true, false, op_freeze_request },
	{ "binder_freeze", true, false, op_binder_freeze },
	{ "increfs", true, false, op_increfs },
	{ "acquire", true, false, op_acquire },
	{ "ctl_add", false, false, op_ctl_add },
	{ "binderfs_mount", false, false, op_mount },
};
#define NOPS (int)(sizeof(ops) / sizeof(ops[0]))

/* ---- the parent ------------------------------------------------------------ */

static void child_run(const struct op *o, int n, int wfd)
{
	struct ctx x;
	int ret;

	memset(&R, 0, sizeof(R));
	memset(&x, 0, sizeof(x));
	x.a.fd = x.b.fd = -1;
	BT_CHECK(fn_open() == 0);
	if (o->needs_ab) {
		ret = setup_ab(&x);
		if (ret) {
			snprintf(R.msg, sizeof(R.msg), "set-up failed: %s", strerror(-ret));
			R.bad = 1;
			goto out;
		}
		if (o->b_serves)
			b_start(&x);
	}
	o->fn(&x, n);
	b_stop(&x);
	/* A normal round trip still works: from A (if it is there) and from a new proc. */
	R.rt_ok = 1;
	if (x.a.fd >= 0 && !roundtrip(x.a.fd)) {
		R.rt_ok = 0;
		bad("round trip from the same proc failed; ");
	}
	if (!roundtrip_fresh()) {
		R.rt_ok = 0;
		bad("round trip from a new proc failed; ");
	}
out:
	teardown_ab(&x);
	if (write(wfd, &R, sizeof(R)) != sizeof(R))
		_exit(3);
	_exit(0);
}

static void dump_stacks(pid_t pid)
{
	char path[320], *buf, *p;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, de->d_name);
		buf = lo_slurp(path, NULL);
		printf("#   task %s:\n", de->d_name);
		if (!buf)
			continue;
		for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
			printf("#     %s\n", p);
		free(buf);
	}
	closedir(d);
}

/* One iteration; 0 ok, 1 failed; *injected set. */
static int iterate(const struct op *o, int n, struct lo_stats *base, bool *injected,
		   char *outcomes, size_t olen)
{
	struct res res;
	int p[2], fail = 0, ret;
	bool timed_out = true;
	struct lo_stats now;
	pid_t pid;
	long deadline;
	ssize_t got = 0;

	BT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(stdout);
	pid = fork();
	BT_CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		child_run(o, n, p[1]);
	}
	close(p[1]);
	memset(&res, 0, sizeof(res));
	deadline = bt_now_ms() + CHILD_TIMEOUT_MS;
	for (;;) {
		struct pollfd pfd = { .fd = p[0], .events = POLLIN };
		int left = (int)(deadline - bt_now_ms());

		if (left <= 0)
			break;
		if (poll(&pfd, 1, left) > 0) {
			got = read(p[0], &res, sizeof(res));
			timed_out = false;
			break;
		}
	}
	close(p[0]);
	*injected = res.injected;
	if (got != sizeof(res)) {
		if (timed_out) {
			printf("# %s n=%d: HANG: no result within %d s\n", o->name, n,
			       CHILD_TIMEOUT_MS / 1000);
			dump_stacks(pid);
		} else {
			printf("# %s n=%d: the child died without a result\n", o->name, n);
		}
		*injected = true;	/* keep sweeping */
		fail = 1;
	}
	ret = bt_wait(pid, 15000);
	if (ret == -ETIMEDOUT) {
		printf("# %s n=%d: the child did not exit (killed; hang)\n", o->name, n);
		fail = 1;
	} else if (ret != 0) {
		/* 128 + N: killed by signal N (a fault injected into its own page
		 * fault shows up as SIGBUS/SIGSEGV here, not as a driver problem). */
		printf("# %s n=%d: the child exited with %d%s\n", o->name, n, ret,
		       ret > 128 ? " (killed by a signal)" : "");
		fail = 1;
	}
	if (got == sizeof(res)) {
		if (res.bad || !res.rt_ok) {
			printf("# %s n=%d%s: op %s, outcome %s: %s\n", o->name, n,
			       res.injected ? " (injected)" : "",
			       res.op_ret ? strerror(-res.op_ret) : "ok",
			       res.outcome ? bt_br_name(res.outcome) : "-", res.msg);
			fail = 1;
		} else if (verbose) {
			printf("# %s n=%d%s: op %s, outcome %s\n", o->name, n,
			       res.injected ? " (injected)" : "",
			       res.op_ret ? strerror(-res.op_ret) : "ok",
			       res.outcome ? bt_br_name(res.outcome) : "-");
		}
		if (res.injected) {
			char tag[64];

			snprintf(tag, sizeof(tag), "%s/%s",
				 res.op_ret ? strerror(-res.op_ret) : "0",
				 res.outcome ? bt_br_name(res.outcome) : "-");
			if (!strstr(outcomes, tag) && strlen(outcomes) + strlen(tag) + 3 < olen) {
				if (*outcomes)
					strcat(outcomes, ", ");
				strcat(outcomes, tag);
			}
		}
	}
	/* The leak oracle. */
	ret = lo_wait_settled(dev.mnt, base, 10000, &now);
	if (ret) {
		printf("# %s n=%d%s: LEAK: active counters not back after 10 s: %s\n", o->name, n,
		       *injected ? " (injected)" : "", lo_diff(&now, base));
		if (lo_has_proc(&now, pid))
			printf("#   binder_logs/stats still has proc %d (the dead child)\n", pid);
		lo_dump(stdout, dev.mnt, "state", 40);
		*base = now;	/* go on from here */
		fail = 1;
	} else if (lo_has_proc(&now, pid)) {
		printf("# %s n=%d: binder_logs/stats still has proc %d (the dead child)\n", o->name, n, pid);
		fail = 1;
	}
	return fail;
}

static int ntests, nfail;

int main(int argc, char **argv)
{
	const char *only = NULL;
	int maxn = 300, opt, i, ready[2], ret, rand_iters = 0;
	struct lo_stats base;
	uint64_t v;
	pid_t cm;

	while ((opt = getopt(argc, argv, "o:m:r:p:lvV")) != -1) {
		switch (opt) {
		case 'V': fi_verbose = "2"; break;
		case 'o': only = optarg; break;
		case 'r': rand_iters = atoi(optarg); break;
		case 'p': random_pct = atoi(optarg); break;
		case 'm': maxn = atoi(optarg); break;
		case 'v': verbose = 1; break;
		case 'l':
			for (i = 0; i < NOPS; i++)
				printf("%s\n", ops[i].name);
			return 0;
		default:
			fprintf(stderr, "usage: %s [-o OP,...] [-m MAX_N] [-r ITERS [-p PCT]] [-l] [-v] [-V]\n",
				argv[0]);
			return 2;
		}
	}
	if (rand_iters && !random_pct)
		random_pct = 20;
	if (!rand_iters)
		random_pct = 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	{
		int count = 0;

		for (i = 0; i < NOPS; i++) {
			char pat[64];

			snprintf(pat, sizeof(pat), ",%s,", ops[i].name);
			if (only) {
				char list[512];

				snprintf(list, sizeof(list), ",%s,", only);
				if (!strstr(list, pat))
					continue;
			}
			count++;
		}
		printf("1..%d\n", count + 1);
	}
	if (fi_setup()) {
		printf("Bail out! fault injection not available\n");
		return 1;
	}
	ret = bt_dev_create_opts(&dev, "stats=global");
	if (ret) {
		printf("Bail out! binderfs: %s\n", strerror(-ret));
		return 1;
	}
	ret = bt_dev_add(&dev, "cmdev", cmdev_path, sizeof(cmdev_path));
	if (ret) {
		printf("Bail out! BINDER_CTL_ADD cmdev: %s\n", strerror(-ret));
		return 1;
	}
	cm = 0;
	for (i = 0; i < NOPS; i++) {
		const struct op *o = &ops[i];
		char outcomes[512] = "";
		int n, fails = 0, injections = 0;
		bool injected = true;
		long t0 = bt_now_ms();

		if (only) {
			char list[512], pat[64];

			snprintf(list, sizeof(list), ",%s,", only);
			snprintf(pat, sizeof(pat), ",%s,", o->name);
			if (!strstr(list, pat))
				continue;
		}
		/* A fresh context manager per operation: a broken one can't spoil the next. */
		if (cm > 0) {
			kill(cm, SIGKILL);
			bt_wait(cm, 10000);
		}
		BT_CHECK(pipe2(ready, O_CLOEXEC) == 0);
		cm = fork();
		if (cm == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(ready[0]);
			cm_main(ready[1]);
		}
		close(ready[1]);
		if (bt_pipe_recv(ready[0], &v, 15000)) {
			printf("Bail out! context manager did not start\n");
			return 1;
		}
		close(ready[0]);
		ret = lo_wait_settled(dev.mnt, NULL, 0, &base);
		if (ret && ret != -ETIMEDOUT) {
			printf("Bail out! binder_logs/stats: %s\n", strerror(-ret));
			return 1;
		}
		for (n = 1; rand_iters ? n <= rand_iters : (n <= maxn && injected); n++) {
			fails += iterate(o, n, &base, &injected, outcomes, sizeof(outcomes));
			if (injected)
				injections++;
			if (fails > 20) {
				printf("# %s: too many failures, stopping the sweep\n", o->name);
				break;
			}
		}
		ntests++;
		if (fails)
			nfail++;
		if (rand_iters)
			printf("%s %d - failrandom %s: %d of %d runs had injected failures (p=%d%%), %d bad; outcomes: %s (%.1f s)\n",
			       fails ? "not ok" : "ok", ntests, o->name, injections, n - 1, random_pct,
			       fails, *outcomes ? outcomes : "none", (bt_now_ms() - t0) / 1000.0);
		else
			printf("%s %d - failnth %s: %d injected failures (N=1..%d%s), %d bad; outcomes: %s (%.1f s)\n",
			       fails ? "not ok" : "ok", ntests, o->name, injections, n - 1,
			       injected ? ", sweep cut at MAX_N" : "", fails,
			       *outcomes ? outcomes : "none", (bt_now_ms() - t0) / 1000.0);
	}
	fi_teardown();
	kill(cm, SIGKILL);
	bt_wait(cm, 10000);
	ret = lo_wait_settled(dev.mnt, NULL, 20000, &base);
	ntests++;
	if (ret)
		nfail++;
	printf("%s %d - failnth: all counters back to zero at the end%s%s\n", ret ? "not ok" : "ok",
	       ntests, ret ? ": " : "", ret ? lo_fmt(&base) : "");
	bt_dev_destroy(&dev);
	printf("# %d tests, %d failed\n", ntests, nfail);
	return nfail ? 1 : 0;
}
