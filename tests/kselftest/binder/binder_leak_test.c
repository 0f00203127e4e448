// SPDX-License-Identifier: GPL-2.0
/*
 * binder_leak_test: regression tests for the leaks and lost state the
 * stress suite (tests/stress: kill storms, fail-nth, leak oracle) found,
 * each checked with the leak oracle (binder_logs/stats "active" counters
 * back to the baseline) after every iteration. Part of the binder suite
 * (make check, both drivers, -n 40) and of make stress (-n 150).
 *
 *   binder_leak_test [-c CASE[,CASE...]] [-n ITERATIONS] [-l]
 *
 * Cases (-l lists them; ITERATIONS for the racy ones, default 150):
 *  dead_node_pins_owner     O (context manager) dies while H holds a
 *                           reference to its node: once O is released the
 *                           "proc" count must not include O any more (the
 *                           C driver frees a dead process even while its
 *                           nodes live on as dead nodes); then H goes too.
 *  death_unacked_exit       H gets BR_DEAD_BINDER and exits without
 *                           BC_DEAD_BINDER_DONE.
 *  freeze_unacked_exit      H gets BR_FROZEN_BINDER and exits without
 *                           BC_FREEZE_NOTIFICATION_DONE.
 *  ref_vs_owner_release     O's and H's files are closed at the same
 *                           moment from two threads (H holds a strong
 *                           reference to O's node).
 *  death_vs_release         the same with a death notification registered
 *                           on H's reference.
 *  freeze_vs_release        O (another process) is frozen with
 *                           BINDER_FREEZE while H (which registered a
 *                           freeze notification on O's node) is closed.
 *  target_dies_mid_txn      4 threads of S make sync calls carrying 16 of
 *                           S's binders each (each a new reference in the
 *                           target) to T's node (a handle S got through a
 *                           relay manager) while another thread unmaps and
 *                           closes T (T never reads: the calls end with
 *                           BR_DEAD_REPLY).
 *                           The C driver (6.12) leaks the dead target node
 *                           in some iterations (a dead node with "ls -1" in
 *                           binder_logs/state): the oracle does not count
 *                           those with binder_linux (see leak_oracle.h).
 *  free_buffer_fail_nth     BC_FREE_BUFFER with its N-th allocation failing
 *                           (fail-nth, N = 1..6; skipped without fault
 *                           injection): later one-way calls must still
 *                           find room.
 *  target_dies_mid_txn_oneway  the same with one thread sending one-way
 *                           calls (only with -c).
 *  target_dies_mid_txn_cm   one-way calls to T as the context manager
 *                           (handle 0; only with -c).
 * TAP: one test point per case; a failing one prints how many iterations
 * leaked, the first difference and binder_logs/state.
 */
#include "binder_test_lib.h"
#include "leak_oracle.h"
#include "fault_inject.h"

#include <getopt.h>
#include <stdarg.h>

static struct bt_dev dev;
static int iterations = 40;

/* ---- helpers ------------------------------------------------------------ */

/* The context manager of the test device: retries while the previous one is released. */
static int open_cm(struct bt_proc *p)
{
	long deadline = bt_now_ms() + 10000;
	int ret;

	ret = bt_open(dev.path, BT_MAP_SIZE, p);
	if (ret)
		return ret;
	while ((ret = bt_set_cm(p->fd)) == -EBUSY && bt_now_ms() < deadline)
		bt_msleep(2);
	if (!ret)
		ret = bt_enter_looper(p->fd);
	if (ret)
		bt_close(p);
	return ret;
}

/* Answer O's pending BR_INCREFS/BR_ACQUIRE (so its node is fully referenced). */
static void ack_all(int fd)
{
	struct bt_rets r;
	int i;

	for (i = 0; i < 3; i++) {
		bt_rets_init(&r);
		if (bt_read_nb(fd, &r))
			break;
		bt_ack_refs(fd, &r, 0);
	}
}

/* One side of a race: after the barrier and delay_us, act(fd, pid). */
struct racer {
	int fd;
	pid_t pid;
	pthread_barrier_t *bar;
	int delay_us;
	void (*act)(int fd, pid_t pid);
};

static void *race_thread(void *arg)
{
	struct racer *c = arg;

	pthread_barrier_wait(c->bar);
	if (c->delay_us)
		usleep(c->delay_us);
	c->act(c->fd, c->pid);
	return NULL;
}

static void act_close(int fd, pid_t pid)
{
	close(fd);
}

/* Close two fds at the same moment from two threads. */
static void close_both(int fd1, int fd2, int skew_us)
{
	pthread_barrier_t bar;
	struct racer a = { .fd = fd1, .bar = &bar, .act = act_close };
	struct racer b = { .fd = fd2, .bar = &bar, .act = act_close };
	pthread_t ta, tb;

	if (skew_us > 0)
		b.delay_us = skew_us;
	else
		a.delay_us = -skew_us;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&ta, NULL, race_thread, &a);
	pthread_create(&tb, NULL, race_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	pthread_barrier_destroy(&bar);
}

/* Oracle after an iteration; on a leak prints (the first time) and re-baselines. */
struct tally {
	int leaks;
	char first[512];
};

static void check_iter(struct lo_stats *base, struct tally *t, int iter)
{
	struct lo_stats now;

	if (lo_wait_settled(dev.mnt, base, 3000, &now) == 0)
		return;
	if (!t->leaks++) {
		snprintf(t->first, sizeof(t->first), "iteration %d: %s", iter, lo_diff(&now, base));
		lo_dump(stdout, dev.mnt, "state", 30);
	}
	*base = now;
}

/* Enough evidence: a racy case stops after this many leaking iterations. */
#define MAX_LEAKS 5

static void report(const char *name, struct tally *t, int n)
{
	struct lo_stats now;

	if (lo_read(dev.mnt, &now) == 0 && now.c_bug_nodes)
		printf("# %s: %d dead nodes with ls -1 so far (known C driver leak, not counted)\n",
		       name, now.c_bug_nodes);
	if (t->leaks)
		printf("# %s: first leak at %s\n", name, t->first);
	bt_tap(!t->leaks, "%s: %d of %d iterations leaked%s", name, t->leaks, n,
	    t->leaks >= MAX_LEAKS ? " (stopped there)" : "");
}

/* ---- cases ------------------------------------------------------------- */

static void case_dead_node_pins_owner(void)
{
	struct lo_stats base, now;
	struct bt_proc o, h;
	int ret, procs_after;
	bool dead_listed;
	char *st;

	lo_read(dev.mnt, &base);
	if (open_cm(&o) || bt_open(dev.path, BT_MAP_SIZE, &h)) {
		bt_tap(false, "dead_node_pins_owner: set-up");
		return;
	}
	bt_send_u32(h.fd, BC_ACQUIRE, 0);
	ack_all(o.fd);
	bt_close(&o);
	/* O is released (synchronously or by the deferred work): wait for the count. */
	{
		long deadline = bt_now_ms() + 5000;

		do {
			lo_read(dev.mnt, &now);
			if (now.active[0] == base.active[0] + 1)
				break;
			bt_msleep(20);
		} while (bt_now_ms() < deadline);
	}
	procs_after = (int)(now.active[0] - base.active[0]);
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/binder_logs/state", dev.mnt);
		st = lo_slurp(path, NULL);
		dead_listed = st && strstr(st, "dead nodes:");
		free(st);
	}
	printf("# dead_node_pins_owner: with H holding a ref to O's dead node: proc %+d, node %+d, ref %+d%s\n",
	       procs_after, (int)(now.active[2] - base.active[2]), (int)(now.active[3] - base.active[3]),
	       dead_listed ? ", \"dead nodes:\" listed" : "");
	bt_tap(procs_after == 1, "dead_node_pins_owner: O's process is freed while H still references its dead node (proc %+d, expected +1: H only)",
	    procs_after);
	bt_close(&h);
	ret = lo_wait_settled(dev.mnt, &base, 5000, &now);
	bt_tap(ret == 0, "dead_node_pins_owner: everything goes once H is closed too%s%s", ret ? ": " : "",
	    ret ? lo_diff(&now, &base) : "");
}

static void case_death_unacked_exit(void)
{
	struct lo_stats base, now;
	struct bt_proc o, h;
	struct bt_rets r;
	int ret, idx;

	lo_read(dev.mnt, &base);
	if (open_cm(&o) || bt_open(dev.path, BT_MAP_SIZE, &h)) {
		bt_tap(false, "death_unacked_exit: set-up");
		return;
	}
	bt_send_u32(h.fd, BC_ACQUIRE, 0);
	bt_send_handle_cookie(h.fd, BC_REQUEST_DEATH_NOTIFICATION, 0, 0xdead);
	ack_all(o.fd);
	bt_close(&o);
	bt_rets_init(&r);
	idx = bt_read_until(h.fd, &r, BR_DEAD_BINDER, 0, 5000);
	bt_close(&h);		/* no BC_DEAD_BINDER_DONE */
	ret = lo_wait_settled(dev.mnt, &base, 5000, &now);
	if (ret)
		lo_dump(stdout, dev.mnt, "state", 30);
	bt_tap(idx >= 0 && ret == 0, "death_unacked_exit: BR_DEAD_BINDER %s; all counters back after H exits without BC_DEAD_BINDER_DONE%s%s",
	    idx >= 0 ? "delivered" : "NOT delivered", ret ? ": " : "", ret ? lo_diff(&now, &base) : "");
}

static void case_freeze_unacked_exit(void)
{
	struct lo_stats base, now;
	struct bt_proc o, h;
	struct bt_rets r;
	int ret, idx;

	lo_read(dev.mnt, &base);
	if (open_cm(&o) || bt_open(dev.path, BT_MAP_SIZE, &h)) {
		bt_tap(false, "freeze_unacked_exit: set-up");
		return;
	}
	bt_send_u32(h.fd, BC_ACQUIRE, 0);
	ret = bt_send_handle_cookie(h.fd, BC_REQUEST_FREEZE_NOTIFICATION, 0, 0xf00);
	ack_all(o.fd);
	bt_rets_init(&r);
	idx = bt_read_until(h.fd, &r, BR_FROZEN_BINDER, 0, 5000);
	bt_close(&h);		/* no BC_FREEZE_NOTIFICATION_DONE */
	bt_close(&o);
	ret = lo_wait_settled(dev.mnt, &base, 5000, &now);
	if (ret)
		lo_dump(stdout, dev.mnt, "state", 30);
	bt_tap(idx >= 0 && ret == 0, "freeze_unacked_exit: BR_FROZEN_BINDER %s; all counters back after H exits without BC_FREEZE_NOTIFICATION_DONE%s%s",
	    idx >= 0 ? "delivered" : "NOT delivered", ret ? ": " : "", ret ? lo_diff(&now, &base) : "");
}

static void race_close(const char *name, bool death)
{
	struct lo_stats base;
	struct tally t = { 0 };
	int i;

	lo_read(dev.mnt, &base);
	for (i = 0; i < iterations; i++) {
		struct bt_proc o, h;

		if (open_cm(&o) || bt_open(dev.path, BT_MAP_SIZE, &h)) {
			bt_tap(false, "%s: set-up at iteration %d", name, i);
			return;
		}
		bt_send_u32(h.fd, BC_ACQUIRE, 0);
		if (death)
			bt_send_handle_cookie(h.fd, BC_REQUEST_DEATH_NOTIFICATION, 0, 0xd0 + i);
		ack_all(o.fd);
		munmap(o.map, o.map_size);
		munmap(h.map, h.map_size);
		/* Skew from -300 to +300 us around "the same moment". */
		close_both(o.fd, h.fd, (int)(rand() % 601) - 300);
		check_iter(&base, &t, i);
		if (t.leaks >= MAX_LEAKS) {
			i++;
			break;
		}
	}
	report(name, &t, i);
}

static int do_freeze(int fd, pid_t pid, int enable)
{
	struct binder_freeze_info fz;

	memset(&fz, 0, sizeof(fz));
	fz.pid = pid;
	fz.enable = enable;
	fz.timeout_ms = 0;
	return bt_ioctl(fd, BINDER_FREEZE, &fz);
}

static void act_freeze(int fd, pid_t pid)
{
	do_freeze(fd, pid, 1);
	/* This task's binder thread in ctl's proc goes with it. */
	bt_thread_exit(fd);
}

static void case_freeze_vs_release(void)
{
	struct lo_stats base;
	struct tally t = { 0 };
	struct bt_proc ctl;
	int i;

	if (bt_open(dev.path, 0, &ctl)) {
		bt_tap(false, "freeze_vs_release: set-up");
		return;
	}
	bt_version(ctl.fd);
	/* ctl (and its thread) stay open during the case: part of the baseline. */
	lo_read(dev.mnt, &base);
	for (i = 0; i < iterations; i++) {
		struct bt_chan ch;
		struct bt_proc h;
		pthread_barrier_t bar;
		struct racer fr, cl;
		pthread_t tf, tc;
		uint64_t v;
		pid_t o;
		int skew = (int)(rand() % 601) - 300;

		BT_CHECK(bt_chan_init(&ch) == 0);
		o = bt_fork();
		if (o == 0) {
			struct bt_proc op;

			bt_chan_child(&ch);
			BT_CHECK(open_cm(&op) == 0);
			bt_tell_parent(&ch, 1);
			/* Answer refcount work until killed. */
			for (;;) {
				struct bt_rets r;

				bt_rets_init(&r);
				if (bt_read(op.fd, &r, 200) == 0)
					bt_ack_refs(op.fd, &r, 0);
			}
		}
		bt_chan_parent(&ch);
		if (bt_hear_child(&ch, &v, 10000)) {
			bt_tap(false, "freeze_vs_release: O did not start");
			bt_kill(o);
			return;
		}
		BT_CHECK(bt_open(dev.path, BT_MAP_SIZE, &h) == 0);
		bt_send_u32(h.fd, BC_ACQUIRE, 0);
		bt_send_handle_cookie(h.fd, BC_REQUEST_FREEZE_NOTIFICATION, 0, 0xf0 + i);
		munmap(h.map, h.map_size);
		pthread_barrier_init(&bar, NULL, 2);
		fr = (struct racer){ .fd = ctl.fd, .pid = o, .bar = &bar,
				     .delay_us = skew > 0 ? skew : 0, .act = act_freeze };
		cl = (struct racer){ .fd = h.fd, .bar = &bar, .delay_us = skew < 0 ? -skew : 0,
				     .act = act_close };
		pthread_create(&tf, NULL, race_thread, &fr);
		pthread_create(&tc, NULL, race_thread, &cl);
		pthread_join(tf, NULL);
		pthread_join(tc, NULL);
		pthread_barrier_destroy(&bar);
		do_freeze(ctl.fd, o, 0);
		bt_kill(o);
		bt_chan_close(&ch);
		check_iter(&base, &t, i);
		if (t.leaks >= MAX_LEAKS) {
			i++;
			break;
		}
	}
	bt_close(&ctl);
	report("freeze_vs_release", &t, i);
}

struct tcloser {
	struct bt_proc *p;
	int delay_us;
	volatile int *closed;
};

static void *t_close(void *arg)
{
	struct tcloser *c = arg;

	usleep(c->delay_us);
	/* The mapping holds the file too: both go, back to back. */
	munmap(c->p->map, c->p->map_size);
	close(c->p->fd);
	*c->closed = 1;
	return NULL;
}

/*
 * A relay context manager on the second device: STASH (a BINDER) /
 * FETCH (-> HANDLE) / UNSTASH, so that S can get a handle to T's node
 * without T being the manager (the C driver leaks a dead manager node
 * when the manager dies under one-way calls to handle 0: see -c
 * target_dies_mid_txn_cm).
 */
enum { RL_STASH = 1, RL_FETCH, RL_UNSTASH };
static char dev2_path[256];

static void relay_main(int ready_fd)
{
	struct bt_proc p;
	uint32_t stash = 0;

	BT_CHECK_EQ(bt_open(dev2_path, BT_MAP_SIZE, &p), 0);
	BT_CHECK_EQ(bt_set_cm(p.fd), 0);
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	BT_CHECK_EQ(bt_pipe_send(ready_fd, 1), 0);
	for (;;) {
		struct bt_rets r;
		int i;

		bt_rets_init(&r);
		if (bt_read(p.fd, &r, 0))
			continue;
		for (i = 0; i < r.n; i++) {
			struct bt_ret *e = &r.r[i];
			struct binder_transaction_data rtr, *tr = &e->tr;
			struct bt_parcel rp;
			struct bt_cmds c;
			uint32_t got = 0;

			bt_cmds_init(&c);
			if (e->cmd == BR_INCREFS || e->cmd == BR_ACQUIRE) {
				bt_cmd_ptr_cookie(&c, e->cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
						  e->pc.ptr, e->pc.cookie);
			} else if (e->cmd == BR_TRANSACTION) {
				if (tr->offsets_size >= 8) {
					struct flat_binder_object *fo =
						(void *)((uint8_t *)bt_data(tr) + bt_offs(tr)[0]);

					if (fo->hdr.type == BINDER_TYPE_HANDLE)
						got = fo->handle;
				}
				bt_parcel_init(&rp);
				bt_p_u32(&rp, 0);
				if (tr->code == RL_STASH || tr->code == RL_UNSTASH) {
					if (stash)
						bt_cmd_u32(&c, BC_RELEASE, stash);
					stash = 0;
					if (tr->code == RL_STASH && got) {
						stash = got;
						bt_cmd_u32(&c, BC_ACQUIRE, stash);
					}
				} else if (tr->code == RL_FETCH && stash) {
					bt_p_handle(&rp, BINDER_TYPE_HANDLE, stash);
				}
				if (!(tr->flags & TF_ONE_WAY)) {
					bt_tr(&rtr, 0, 0, 0, &rp);
					bt_cmd_txn(&c, BC_REPLY, &rtr);
				}
				bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
			}
			if (c.len)
				bt_send(p.fd, &c);
		}
	}
}

static pid_t relay_start(void)
{
	int ready[2];
	uint64_t v;
	pid_t pid;

	BT_CHECK(pipe2(ready, O_CLOEXEC) == 0);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(ready[0]);
		relay_main(ready[1]);
	}
	close(ready[1]);
	if (bt_pipe_recv(ready[0], &v, 10000)) {
		bt_kill(pid);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

/* T publishes its node through the relay; S fetches a handle to it (strong). */
static int relay_handle(struct bt_proc *t, struct bt_proc *s, uint32_t *h)
{
	struct bt_parcel p;
	struct bt_rets r;
	int i, ret;

	bt_parcel_init(&p);
	bt_p_binder(&p, BINDER_TYPE_BINDER, 0x7000, 0x7000, 0);
	bt_rets_init(&r);
	ret = bt_call(t->fd, 0, RL_STASH, 0, &p, &r);
	bt_ack_refs(t->fd, &r, 0);
	for (i = 0; i < r.n; i++)
		if (r.r[i].cmd == BR_REPLY)
			bt_free_buffer(t->fd, r.r[i].tr.data.ptr.buffer);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	bt_parcel_init(&p);
	bt_rets_init(&r);
	ret = bt_call(s->fd, 0, RL_FETCH, 0, &p, &r);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	*h = 0;
	for (i = 0; i < r.n; i++) {
		if (r.r[i].cmd == BR_REPLY) {
			struct binder_transaction_data *tr = &r.r[i].tr;

			if (tr->offsets_size >= 8)
				*h = ((struct flat_binder_object *)((uint8_t *)bt_data(tr) +
								    bt_offs(tr)[0]))->handle;
			bt_send_u32(s->fd, BC_ACQUIRE, *h);
			bt_free_buffer(s->fd, tr->data.ptr.buffer);
		}
	}
	bt_parcel_init(&p);
	bt_rets_init(&r);
	bt_call(s->fd, 0, RL_UNSTASH, 0, &p, &r);
	for (i = 0; i < r.n; i++)
		if (r.r[i].cmd == BR_REPLY)
			bt_free_buffer(s->fd, r.r[i].tr.data.ptr.buffer);
	ack_all(t->fd);
	return *h ? 0 : -EPROTO;
}

struct sender {
	int fd;
	uint32_t h;
	bool oneway;
	int id;
	volatile int *closed;
};

/* Calls (16 binders each) to h until T is gone. */
static void *send_thread(void *arg)
{
	struct sender *sd = arg;
	int k;

	for (k = 0; k < 200; k++) {
		struct bt_parcel p;
		struct bt_rets r;
		int j, ret;

		bt_parcel_init(&p);
		for (j = 0; j < 16; j++)
			bt_p_binder(&p, BINDER_TYPE_BINDER,
				    0x5000 + 0x10 * ((sd->id * 97 + k * 16 + j) % 64), 0, 0);
		bt_rets_init(&r);
		ret = bt_call(sd->fd, sd->h, 1, sd->oneway ? TF_ONE_WAY : 0, &p, &r);
		bt_ack_refs(sd->fd, &r, 0);
		if (ret == (int)BR_REPLY)
			bt_free_buffer(sd->fd, bt_last_tr(&r)->data.ptr.buffer);
		if (ret == (int)BR_DEAD_REPLY || (ret != (int)BR_TRANSACTION_COMPLETE && *sd->closed))
			break;
	}
	bt_thread_exit(sd->fd);
	return NULL;
}

static void target_dies(bool via_cm, bool oneway)
{
	const char *name = via_cm ? "target_dies_mid_txn_cm" :
			   oneway ? "target_dies_mid_txn_oneway" : "target_dies_mid_txn";
	struct lo_stats base;
	struct tally t = { 0 };
	pid_t relay = -1;
	int i;

	if (!via_cm) {
		relay = relay_start();
		if (relay < 0) {
			bt_tap(false, "%s: relay did not start", name);
			return;
		}
	}
	lo_wait_settled(dev.mnt, NULL, 0, &base);
	for (i = 0; i < iterations; i++) {
		struct bt_proc tp, s;
		struct sender sd[4];
		struct tcloser c;
		volatile int closed = 0;
		pthread_t th, st[4];
		uint32_t h = 0;
		int k, nsend = oneway ? 1 : 4;

		if (via_cm) {
			if (open_cm(&tp) || bt_open(dev.path, BT_MAP_SIZE, &s)) {
				bt_tap(false, "%s: set-up at iteration %d", name, i);
				return;
			}
		} else {
			if (bt_open(dev2_path, BT_MAP_SIZE, &tp) || bt_open(dev2_path, BT_MAP_SIZE, &s) ||
			    bt_enter_looper(tp.fd) || relay_handle(&tp, &s, &h)) {
				bt_tap(false, "%s: set-up at iteration %d", name, i);
				bt_kill(relay);
				return;
			}
		}
		c = (struct tcloser){ .p = &tp, .delay_us = rand() % 4000, .closed = &closed };
		pthread_create(&th, NULL, t_close, &c);
		for (k = 0; k < nsend; k++) {
			sd[k] = (struct sender){ .fd = s.fd, .h = h, .oneway = oneway, .id = k,
						 .closed = &closed };
			pthread_create(&st[k], NULL, send_thread, &sd[k]);
		}
		for (k = 0; k < nsend; k++)
			pthread_join(st[k], NULL);
		pthread_join(th, NULL);
		ack_all(s.fd);
		bt_close(&s);
		check_iter(&base, &t, i);
		if (t.leaks >= MAX_LEAKS) {
			i++;
			break;
		}
	}
	if (relay > 0)
		bt_kill(relay);
	report(name, &t, i);
}

static void case_target_dies_mid_txn(void)
{
	target_dies(false, false);
}

static void case_target_dies_mid_txn_oneway(void)
{
	target_dies(false, true);
}

static void case_target_dies_mid_txn_cm(void)
{
	target_dies(true, true);
}

/* H (a child: calls to the manager from its own process are refused): one one-way per request. */
static void oneway_sender(struct bt_chan *ch)
{
	struct bt_parcel p;
	struct bt_rets r;
	struct bt_proc h;
	uint64_t v;
	int ret;

	bt_chan_child(ch);
	if (bt_open(dev.path, BT_MAP_SIZE, &h))
		_exit(1);
	while (bt_hear_parent(ch, &v, 30000) == 0 && v) {
		bt_parcel_init(&p);
		bt_p_u32(&p, (uint32_t)v);
		bt_rets_init(&r);
		ret = bt_call(h.fd, 0, 1, TF_ONE_WAY, &p, &r);
		if (ret != (int)BR_TRANSACTION_COMPLETE) {
			struct binder_extended_error ee = { 0 };

			bt_get_ee(h.fd, &ee);
			printf("# free_buffer_fail_nth: one-way %llu: %s (%s; extended error %d)\n",
			       (unsigned long long)v, BT_IS_ERR(ret) ? strerror(-ret) : bt_br_name(ret),
			       bt_seq(&r, 0), ee.param);
			fflush(stdout);
		}
		bt_tell_parent(ch, ret == (int)BR_TRANSACTION_COMPLETE);
	}
	bt_close(&h);
	_exit(0);
}

/*
 * Freeing a buffer must not need memory: with the N-th allocation of
 * BC_FREE_BUFFER failing (fail-nth, N = 1..6), the area must stay whole
 * (rust_binder lost the freed block's free-list entry, found by
 * stress_failnth free_buffer: every later transaction got ENOSPC).
 */
static void case_free_buffer_fail_nth(void)
{
	struct binder_transaction_data *tr;
	struct lo_stats base, now;
	struct bt_chan ch;
	struct bt_proc o;
	struct bt_rets r;
	struct bt_cmds c;
	int n, i, ret, injected = 0, bad = 0;
	char why[256] = "";
	uint64_t ok;
	size_t wc;
	pid_t pid;

	if (fi_setup() || fn_open()) {
		bt_tap(true, "free_buffer_fail_nth # SKIP no fault injection (failslab/fail-nth)");
		bt_tap(true, "free_buffer_fail_nth: nothing left once closed # SKIP no fault injection");
		return;
	}
	lo_read(dev.mnt, &base);
	if (open_cm(&o) || bt_chan_init(&ch)) {
		bt_tap(false, "free_buffer_fail_nth: set-up");
		bt_tap(false, "free_buffer_fail_nth: nothing left once closed: set-up");
		fi_teardown();
		return;
	}
	pid = bt_fork();
	if (pid == 0)
		oneway_sender(&ch);
	bt_chan_parent(&ch);
	/* O receives each one-way and frees its buffer: the first after each N with fail-nth N. */
	for (n = 0; n <= 6 && !bad; n++) {
		for (i = 0; i < (n ? 3 : 1) && !bad; i++) {
			if (bt_tell_child(&ch, 1 + n * 10 + i) || bt_hear_child(&ch, &ok, 10000) || !ok) {
				snprintf(why, sizeof(why), "one-way %d after fail-nth %d failed", i, n);
				bad = 1;
				break;
			}
			bt_rets_init(&r);
			if (bt_read_until(o.fd, &r, BR_TRANSACTION, BT_ACK_REFS, 3000) < 0 ||
			    !(tr = bt_last_tr(&r))) {
				snprintf(why, sizeof(why), "one-way %d after fail-nth %d not received", i, n);
				bad = 1;
				break;
			}
			bt_cmds_init(&c);
			bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
			wc = 0;
			if (i == 0 && n > 0) {
				fn_arm(n);
				bt_wr(o.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
				injected += fn_disarm();
			} else {
				bt_wr(o.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0);
			}
		}
	}
	close(fn_fd);
	fn_fd = -1;
	fi_teardown();
	bt_tell_child(&ch, 0);
	bt_wait(pid, 10000);
	bt_chan_close(&ch);
	printf("# free_buffer_fail_nth: %d frees had an injected failure\n", injected);
	bt_tap(!bad, "free_buffer_fail_nth: the area stays whole after BC_FREE_BUFFER with failed allocations%s%s",
	    bad ? ": " : "", why);
	bt_close(&o);
	ret = lo_wait_settled(dev.mnt, &base, 5000, &now);
	bt_tap(ret == 0, "free_buffer_fail_nth: nothing left once closed%s%s", ret ? ": " : "",
	    ret ? lo_diff(&now, &base) : "");
}

static const struct {
	const char *name;
	void (*fn)(void);
	bool racy;
} cases[] = {
	{ "dead_node_pins_owner", case_dead_node_pins_owner, false },
	{ "death_unacked_exit", case_death_unacked_exit, false },
	{ "freeze_unacked_exit", case_freeze_unacked_exit, false },
	{ "ref_vs_owner_release", NULL, true },
	{ "death_vs_release", NULL, true },
	{ "freeze_vs_release", case_freeze_vs_release, true },
	{ "target_dies_mid_txn", case_target_dies_mid_txn, true },
	{ "free_buffer_fail_nth", case_free_buffer_fail_nth, false },
	/* Only with -c (variants of the one above). */
	{ "target_dies_mid_txn_oneway", case_target_dies_mid_txn_oneway, true },
	{ "target_dies_mid_txn_cm", case_target_dies_mid_txn_cm, true },
};
#define NCASES (int)(sizeof(cases) / sizeof(cases[0]))

static void run_case(int i)
{
	if (!strcmp(cases[i].name, "ref_vs_owner_release"))
		race_close("ref_vs_owner_release", false);
	else if (!strcmp(cases[i].name, "death_vs_release"))
		race_close("death_vs_release", true);
	else
		cases[i].fn();
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	struct lo_stats st;
	int opt, i, ret, planned = 0;

	while ((opt = getopt(argc, argv, "c:n:l")) != -1) {
		switch (opt) {
		case 'c': only = optarg; break;
		case 'n': iterations = atoi(optarg); break;
		case 'l':
			for (i = 0; i < NCASES; i++)
				printf("%s\n", cases[i].name);
			return 0;
		default:
			fprintf(stderr, "usage: %s [-c CASE,...] [-n ITERATIONS] [-l]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	srand(1);
	for (i = 0; i < NCASES; i++) {
		char list[512], pat[64];

		snprintf(list, sizeof(list), ",%s,", only ? only : "");
		snprintf(pat, sizeof(pat), ",%s,", cases[i].name);
		if (only ? !strstr(list, pat) : strstr(cases[i].name, "_oneway") || strstr(cases[i].name, "_cm"))
			continue;
		planned += !strcmp(cases[i].name, "dead_node_pins_owner") ||
			   !strcmp(cases[i].name, "free_buffer_fail_nth") ? 2 : 1;
	}
	printf("TAP version 13\n1..%d\n", planned + 1);
	ret = bt_dev_create_opts(&dev, "stats=global");
	if (ret) {
		printf("Bail out! binderfs with stats=global: %s\n", strerror(-ret));
		return 1;
	}
	ret = bt_dev_add(&dev, "relay", dev2_path, sizeof(dev2_path));
	if (ret) {
		printf("Bail out! BINDER_CTL_ADD relay: %s\n", strerror(-ret));
		return 1;
	}
	for (i = 0; i < NCASES; i++) {
		char list[512], pat[64];

		snprintf(list, sizeof(list), ",%s,", only ? only : "");
		snprintf(pat, sizeof(pat), ",%s,", cases[i].name);
		if (only ? !strstr(list, pat) : strstr(cases[i].name, "_oneway") || strstr(cases[i].name, "_cm"))
			continue;
		run_case(i);
	}
	ret = lo_wait_settled(dev.mnt, NULL, 10000, &st);
	bt_tap(ret == 0, "binder_leak_test: all active counters zero at the end%s%s", ret ? ": " : "",
	    ret ? lo_fmt(&st) : "");
	if (ret)
		lo_dump(stdout, dev.mnt, "state", 40);
	bt_dev_destroy(&dev);
	printf("# %d tests, %d failed\n", bt_ntests, bt_nfail);
	return bt_nfail ? 1 : 0;
}
