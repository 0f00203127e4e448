// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: BINDER_FREEZE / BINDER_GET_FROZEN_INFO, transactions to
 * frozen processes (BR_FROZEN_REPLY, BR_TRANSACTION_PENDING_FROZEN,
 * TF_UPDATE_TXN) and freeze notifications (BC_REQUEST_FREEZE_NOTIFICATION,
 * BR_FROZEN_BINDER, BC_FREEZE_NOTIFICATION_DONE,
 * BC_CLEAR_FREEZE_NOTIFICATION). Every expectation is what the C driver
 * (Linux 6.12) does.
 *
 * BINDER_FREEZE only changes binder's view of a process (the cgroup
 * freezer does the rest on Android): a frozen service that sits in a
 * binder read would still be handed one-way work, so the frozen targets
 * here are scripted services that only read when told to.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <grp.h>

static int do_freeze(int fd, pid_t pid, int enable, int timeout_ms)
{
	struct binder_freeze_info fz;

	memset(&fz, 0, sizeof(fz));
	fz.pid = pid;
	fz.enable = enable;
	fz.timeout_ms = timeout_ms;
	return bt_ioctl(fd, BINDER_FREEZE, &fz);
}

/* GET_FROZEN_INFO: sync_recv << 8 | async_recv, or -errno. */
static int frozen_info(int fd, pid_t pid)
{
	struct binder_frozen_status_info fi;
	int ret;

	memset(&fi, 0xff, sizeof(fi));
	fi.pid = pid;
	ret = bt_ioctl(fd, BINDER_GET_FROZEN_INFO, &fi);
	if (ret)
		return ret;
	return (int)(fi.sync_recv << 8 | fi.async_recv);
}

#define INFO(sync, async) ((sync) << 8 | (async))

/* One-way call with a u32 payload: the outcome BR and the sequence in r. */
static int oneway(int fd, uint32_t handle, uint32_t code, uint32_t flags,
		  uint32_t val, struct bt_rets *r)
{
	struct bt_parcel pc;

	bt_parcel_init(&pc);
	bt_p_u32(&pc, val);
	bt_rets_init(r);
	return bt_call(fd, handle, code, TF_ONE_WAY | flags, &pc, r);
}

#define SC_CODE(code, val) ((int64_t)((uint64_t)(code) << 32 | (uint32_t)(val)))

FIXTURE(freeze) {
	struct bt_dev dev;
	struct bt_proc p;
	struct bt_script s;
	struct bt_rets r;
};

FIXTURE_SETUP(freeze)
{
	struct bt_script_opts o = { .cm = true };

	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_script_start(&self->s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
}

FIXTURE_TEARDOWN(freeze)
{
	bt_script_kill(&self->s);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

TEST_F(freeze, sync_call_to_frozen_process_frozen_reply)
{
	struct binder_extended_error ee;
	struct bt_report rep;
	struct bt_proc p2;
	char path2[256];
	pid_t srv;

	/* A report service (always waiting in a read) on a second device. */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	srv = bt_start_server(path2, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &p2));
	ASSERT_EQ(INFO(0, 0), frozen_info(p2.fd, srv));
	ASSERT_EQ(0, do_freeze(p2.fd, srv, 1, 0));
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(p2.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &self->r));
	/* Only BR_FROZEN_REPLY, no BR_TRANSACTION_COMPLETE. */
	ASSERT_STREQ("FROZEN_REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_get_ee(p2.fd, &ee));
	ASSERT_NE(0, ee.id);
	ASSERT_EQ(BR_FROZEN_REPLY, ee.command);
	ASSERT_EQ(0, ee.param);
	ASSERT_EQ(INFO(1, 0), frozen_info(p2.fd, srv));
	/* Unfreezing clears the bits; calls are delivered again. */
	ASSERT_EQ(0, do_freeze(p2.fd, srv, 0, 0));
	ASSERT_EQ(INFO(0, 0), frozen_info(p2.fd, srv));
	ASSERT_EQ(BR_REPLY, bt_call_report(p2.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(1, rep.txn_count);	/* the frozen call never arrived */
	ASSERT_EQ(0, bt_stop_server(p2.fd, srv));
	bt_close(&p2);
}

TEST_F(freeze, freeze_resets_recv_bits)
{
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(self->p.fd, 0, 1, 0, NULL, &self->r));
	ASSERT_EQ(INFO(1, 0), frozen_info(self->p.fd, self->s.pid));
	/* Freezing again starts from clean bits. */
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(self->p.fd, 0, 1, 0, NULL, &self->r));
	ASSERT_EQ(INFO(1, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
}

TEST_F(freeze, oneway_to_frozen_pending_then_delivered_after_unfreeze)
{
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(self->p.fd, 0, 9, 0, 0x99, &self->r));
	/* It replaces BR_TRANSACTION_COMPLETE. */
	ASSERT_STREQ("TRANSACTION_PENDING_FROZEN", bt_seq(&self->r, 0));
	/* async_recv, and sync_recv bit 1: a transaction is outstanding. */
	ASSERT_EQ(INFO(2, 1), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(SC_CODE(9, 0x99), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
}

TEST_F(freeze, freeze_eagain_with_undelivered_transaction)
{
	long t0;

	/* A one-way the service has not read yet is outstanding work. */
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, oneway(self->p.fd, 0, 1, 0, 1, &self->r));
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(-EAGAIN, do_freeze(self->p.fd, self->s.pid, 1, 0));
	t0 = bt_now_ms();
	ASSERT_EQ(-EAGAIN, do_freeze(self->p.fd, self->s.pid, 1, 200));
	ASSERT_GE(bt_now_ms() - t0, 150);
	/* The failed freeze left it unfrozen. */
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, oneway(self->p.fd, 0, 1, 0, 2, &self->r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&self->r, 0));
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(SC_CODE(1, 1), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(SC_CODE(1, 2), bt_script(&self->s, BT_SC_READ_CODE, 0));
	/* Read (buffer still held): nothing outstanding, freezing works. */
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
}

TEST_F(freeze, freeze_eagain_for_both_ends_of_a_sync_call)
{
	struct bt_script caller;

	ASSERT_EQ(0, bt_script_start(&caller, self->dev.path, NULL));
	ASSERT_EQ(0, bt_script_async(&caller, BT_SC_CALL_SYNC, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_READ, 0));
	/* The service handles the call, the caller waits for the reply. */
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, caller.pid));
	ASSERT_EQ(-EAGAIN, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(-EAGAIN, do_freeze(self->p.fd, caller.pid, 1, 0));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_REPLY, 0));
	ASSERT_EQ(BR_REPLY, bt_script_result(&caller));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, caller.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(0, do_freeze(self->p.fd, caller.pid, 1, 0));
	ASSERT_EQ(0, do_freeze(self->p.fd, caller.pid, 0, 0));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script_stop(&caller));
}

struct delayed_op {
	struct bt_script *s;
	uint32_t op;
	int delay_ms;
	int64_t result;
};

static void *delayed_op_thread(void *arg)
{
	struct delayed_op *d = arg;

	bt_msleep(d->delay_ms);
	d->result = bt_script(d->s, d->op, 0);
	return NULL;
}

TEST_F(freeze, freeze_timeout_waits_for_call_to_finish)
{
	struct delayed_op d = { .s = &self->s, .op = BT_SC_REPLY, .delay_ms = 300 };
	struct bt_script caller;
	pthread_t th;
	long t0, dt;

	ASSERT_EQ(0, bt_script_start(&caller, self->dev.path, NULL));
	ASSERT_EQ(0, bt_script_async(&caller, BT_SC_CALL_SYNC, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_READ, 0));
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_op_thread, &d));
	/* The freeze waits until the service has replied. */
	t0 = bt_now_ms();
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 5000));
	dt = bt_now_ms() - t0;
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, d.result);
	ASSERT_GE(dt, 250);
	ASSERT_LT(dt, 4500);
	ASSERT_EQ(BR_REPLY, bt_script_result(&caller));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(self->p.fd, 0, 1, 0, 1, &self->r));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(0, bt_script_stop(&caller));
}

TEST_F(freeze, freeze_applies_to_every_fd_of_the_pid)
{
	struct bt_proc p2, p3;
	struct bt_chan ch;
	char path2[256], path3[256];
	uint64_t v;
	pid_t pid;

	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder3", path3, sizeof(path3)));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc a, b;

		bt_chan_child(&ch);
		/* Two binder fds of one process: managers of devices 2 and 3. */
		BT_CHECK_EQ(bt_open(path2, BT_MAP_SIZE, &a), 0);
		BT_CHECK_EQ(bt_set_cm(a.fd), 0);
		BT_CHECK_EQ(bt_open(path3, BT_MAP_SIZE, &b), 0);
		BT_CHECK_EQ(bt_set_cm(b.fd), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		bt_hear_parent(&ch, &v, 60000);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &p2));
	ASSERT_EQ(0, bt_open(path3, BT_MAP_SIZE, &p3));
	/* One freeze, through a fd of yet another device, covers both. */
	ASSERT_EQ(0, do_freeze(self->p.fd, pid, 1, 0));
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(p2.fd, 0, 1, 0, NULL, &self->r));
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(p3.fd, 0, 1, 0, NULL, &self->r));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN, oneway(p3.fd, 0, 1, 0, 1, &self->r));
	/* GET_FROZEN_INFO ORs the bits of all of them. */
	ASSERT_EQ(INFO(3, 1), frozen_info(p2.fd, pid));
	ASSERT_EQ(0, do_freeze(p3.fd, pid, 0, 0));
	ASSERT_EQ(INFO(2, 0), frozen_info(self->p.fd, pid));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, oneway(p2.fd, 0, 1, 0, 1, &self->r));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, oneway(p3.fd, 0, 1, 0, 1, &self->r));
	bt_chan_close(&ch);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_close(&p2);
	bt_close(&p3);
}

TEST_F(freeze, freeze_needs_no_privilege)
{
	uint64_t v;
	pid_t pid;
	struct bt_chan ch;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc c;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		/* Drop every privilege (uid 1000, no capabilities). */
		BT_CHECK_EQ(setgroups(0, NULL), 0);
		BT_CHECK_EQ(setresgid(1000, 1000, 1000), 0);
		BT_CHECK_EQ(setresuid(1000, 1000, 1000), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, (uint32_t)do_freeze(c.fd, self->s.pid, 1, 0)), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, (uint32_t)frozen_info(c.fd, self->s.pid)), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, (int)v);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(INFO(0, 0), (int)v);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(self->p.fd, 0, 1, 0, 1, &self->r));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
}

static pid_t sleeper_tid;
static int sleeper_fd;

static void *sleeper_thread(void *arg)
{
	char ch;

	(void)arg;
	__atomic_store_n(&sleeper_tid, bt_gettid(), __ATOMIC_SEQ_CST);
	while (read(sleeper_fd, &ch, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

TEST_F(freeze, freeze_pid_is_the_thread_group_id)
{
	int pfd[2];
	pthread_t th;
	pid_t tid;

	ASSERT_EQ(0, pipe(pfd));
	sleeper_fd = pfd[0];
	sleeper_tid = 0;
	ASSERT_EQ(0, pthread_create(&th, NULL, sleeper_thread, NULL));
	while (!(tid = __atomic_load_n(&sleeper_tid, __ATOMIC_SEQ_CST)))
		bt_msleep(1);
	ASSERT_NE(getpid(), tid);
	/* A binder_proc is known by the tgid of its opener only. */
	ASSERT_EQ(-EINVAL, do_freeze(self->p.fd, tid, 1, 0));
	ASSERT_EQ(-EINVAL, frozen_info(self->p.fd, tid));
	ASSERT_EQ(-EINVAL, do_freeze(self->p.fd, tid, 0, 0));
	ASSERT_EQ(0, do_freeze(self->p.fd, getpid(), 1, 0));
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, getpid()));
	ASSERT_EQ(0, do_freeze(self->p.fd, getpid(), 0, 0));
	close(pfd[1]);
	ASSERT_EQ(0, pthread_join(th, NULL));
	close(pfd[0]);
}

/* ---- TF_UPDATE_TXN -------------------------------------------------- */

TEST_F(freeze, update_txn_replaces_pending_oneway)
{
	int i;

	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
			  oneway(self->p.fd, 0, 5, TF_UPDATE_TXN, i, &self->r));
		ASSERT_STREQ("TRANSACTION_PENDING_FROZEN", bt_seq(&self->r, 0));
	}
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	/*
	 * The first went straight to the process; the second waited in the
	 * node's async queue and was replaced by the third.
	 */
	ASSERT_EQ(SC_CODE(5, 1), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(SC_CODE(5, 3), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
}

TEST_F(freeze, update_txn_needs_same_code_and_flags_and_goes_to_the_tail)
{
	static const struct { uint32_t code, flags, val; } tx[] = {
		{ 5, TF_UPDATE_TXN, 1 },
		{ 5, TF_UPDATE_TXN, 2 },
		{ 6, TF_UPDATE_TXN, 3 },	/* other code: kept */
		{ 5, 0, 4 },			/* no TF_UPDATE_TXN: kept */
		{ 5, TF_UPDATE_TXN, 5 },	/* replaces 2, queued last */
	};
	static const int64_t order[] = {
		SC_CODE(5, 1), SC_CODE(6, 3), SC_CODE(5, 4), SC_CODE(5, 5),
	};
	size_t i;

	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	for (i = 0; i < sizeof(tx) / sizeof(tx[0]); i++)
		ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
			  oneway(self->p.fd, 0, tx[i].code, tx[i].flags,
				 tx[i].val, &self->r));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		ASSERT_EQ(order[i], bt_script(&self->s, BT_SC_READ_CODE, 0));
		ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	}
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
}

TEST_F(freeze, update_txn_ignored_when_not_frozen)
{
	int i;

	for (i = 1; i <= 3; i++)
		ASSERT_EQ(BR_TRANSACTION_COMPLETE,
			  oneway(self->p.fd, 0, 5, TF_UPDATE_TXN, i, &self->r));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(SC_CODE(5, i), bt_script(&self->s, BT_SC_READ_CODE, 0));
		ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	}
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
}

TEST_F(freeze, update_txn_only_replaces_same_sender)
{
	uint64_t v;
	pid_t pid;
	struct bt_chan ch;
	int i;

	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(self->p.fd, 0, 5, TF_UPDATE_TXN, 1, &self->r));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(self->p.fd, 0, 5, TF_UPDATE_TXN, 2, &self->r));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_rets r;
		struct bt_proc c;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, (uint32_t)oneway(c.fd, 0, 5,
					TF_UPDATE_TXN, 3, &r)), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN, (uint32_t)v);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	for (i = 1; i <= 3; i++) {
		ASSERT_EQ(SC_CODE(5, i), bt_script(&self->s, BT_SC_READ_CODE, 0));
		ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	}
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
}

static int pipe_eof(int rfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char ch;
	int ret = poll(&pfd, 1, timeout_ms);

	if (ret <= 0)
		return ret;
	return read(rfd, &ch, 1) == 0;
}

TEST_F(freeze, frozen_target_releases_rejected_and_replaced_files)
{
	struct bt_script_opts o = { .cm = true,
				    .cm_flags = FLAT_BINDER_FLAG_ACCEPTS_FDS };
	struct bt_script s2;
	struct bt_parcel pc;
	struct bt_proc p2;
	char path2[256];
	int pfd[2], qfd[2];

	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	ASSERT_EQ(0, bt_script_start(&s2, path2, &o));
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &p2));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(qfd));
	ASSERT_EQ(0, do_freeze(p2.fd, s2.pid, 1, 0));
	/* A sync call with an fd is rejected. */
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_FROZEN_REPLY, bt_call(p2.fd, 0, 5, 0, &pc, &self->r));
	/* A pending one-way with an fd is replaced (TF_UPDATE_TXN). */
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(p2.fd, 0, 5, TF_UPDATE_TXN, 1, &self->r));
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 2);
	bt_p_fd(&pc, qfd[1]);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  bt_call(p2.fd, 0, 5, TF_ONE_WAY | TF_UPDATE_TXN, &pc, &self->r));
	ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
		  oneway(p2.fd, 0, 5, TF_UPDATE_TXN, 3, &self->r));
	/* Both files are released (only our copies were left). */
	close(pfd[1]);
	close(qfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	ASSERT_EQ(1, pipe_eof(qfd[0], BT_TIMEOUT_MS));
	ASSERT_EQ(0, do_freeze(p2.fd, s2.pid, 0, 0));
	ASSERT_EQ(SC_CODE(5, 1), bt_script(&s2, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&s2, BT_SC_FREE, 0));
	ASSERT_EQ(SC_CODE(5, 3), bt_script(&s2, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&s2, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script(&s2, BT_SC_IDLE, 0));
	bt_script_kill(&s2);
	bt_close(&p2);
	close(pfd[0]);
	close(qfd[0]);
}

/* ---- freeze notifications --------------------------------------------- */

/*
 * The test process holds a reference to the context manager node
 * (BC_ACQUIRE 0) owned by the scripted service, and asks for freeze
 * notifications on handle 0.
 */
FIXTURE(fnotify) {
	struct bt_dev dev;
	struct bt_proc p;
	struct bt_script s;
	struct bt_rets r;
};

FIXTURE_SETUP(fnotify)
{
	struct bt_script_opts o = { .cm = true };

	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_script_start(&self->s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
	ASSERT_EQ(0, bt_enter_looper(self->p.fd));
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_ACQUIRE, 0));
}

FIXTURE_TEARDOWN(fnotify)
{
	bt_script_kill(&self->s);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

#define COOKIE 0xc00c1e0000000001ULL

/* Read until a BR_FROZEN_BINDER; it must be the only return of that read. */
#define EXPECT_FROZEN_BINDER(cookie_, frozen_) do {				\
	int __i;								\
	bt_rets_init(&self->r);							\
	__i = bt_read_until(self->p.fd, &self->r, BR_FROZEN_BINDER, 0,		\
			    BT_TIMEOUT_MS);					\
	ASSERT_GE(__i, 0);							\
	ASSERT_STREQ("FROZEN_BINDER", bt_seq(&self->r, 0));			\
	ASSERT_EQ((cookie_), self->r.r[__i].frozen.cookie);			\
	ASSERT_EQ((frozen_), self->r.r[__i].frozen.is_frozen);			\
	ASSERT_EQ(0, self->r.r[__i].frozen.reserved);				\
} while (0)

#define EXPECT_NOTHING() ASSERT_EQ(0, bt_idle(self->p.fd, NULL))

static int request_freeze(int fd, uint32_t handle, uint64_t cookie)
{
	return bt_send_handle_cookie(fd, BC_REQUEST_FREEZE_NOTIFICATION, handle,
				     cookie);
}

static int clear_freeze(int fd, uint32_t handle, uint64_t cookie)
{
	return bt_send_handle_cookie(fd, BC_CLEAR_FREEZE_NOTIFICATION, handle,
				     cookie);
}

static int freeze_done(int fd, uint64_t cookie)
{
	return bt_send_u64(fd, BC_FREEZE_NOTIFICATION_DONE, cookie);
}

TEST_F(fnotify, request_reports_state_then_every_change)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_NOTHING();
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_NOTHING();
}

TEST_F(fnotify, request_while_frozen_reports_frozen)
{
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
}

TEST_F(fnotify, next_notification_waits_for_done)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	/* Not acknowledged: the change is held back until DONE. */
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_NOTHING();
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_NOTHING();
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
}

TEST_F(fnotify, unread_notification_updated_in_place)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	/* Queued (state 0) but not read yet: the freeze updates it. */
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_NOTHING();
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
}

TEST_F(fnotify, unfreeze_of_unfrozen_process_notifies)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	/* "Unfreeze" of a process that is not frozen: reported again. */
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	EXPECT_NOTHING();
}

TEST_F(fnotify, failed_freeze_does_not_notify)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, oneway(self->p.fd, 0, 1, 0, 1, &self->r));
	ASSERT_EQ(-EAGAIN, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_NOTHING();
}

TEST_F(fnotify, clear_after_done)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, clear_freeze(self->p.fd, 0, COOKIE));
	bt_rets_init(&self->r);
	ASSERT_GE(bt_read_until(self->p.fd, &self->r,
				BR_CLEAR_FREEZE_NOTIFICATION_DONE, 0,
				BT_TIMEOUT_MS), 0);
	ASSERT_STREQ("CLEAR_FREEZE_NOTIFICATION_DONE", bt_seq(&self->r, 0));
	ASSERT_EQ(COOKIE, self->r.r[bt_find(&self->r,
				BR_CLEAR_FREEZE_NOTIFICATION_DONE, 0)].cookie);
	/* No more notifications; a new request is possible. */
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_NOTHING();
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE + 1));
	EXPECT_FROZEN_BINDER(COOKIE + 1, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE + 1));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
}

TEST_F(fnotify, clear_while_unacknowledged_completes_on_done)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, clear_freeze(self->p.fd, 0, COOKIE));
	EXPECT_NOTHING();
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	bt_rets_init(&self->r);
	ASSERT_GE(bt_read_until(self->p.fd, &self->r,
				BR_CLEAR_FREEZE_NOTIFICATION_DONE, 0,
				BT_TIMEOUT_MS), 0);
	ASSERT_STREQ("CLEAR_FREEZE_NOTIFICATION_DONE", bt_seq(&self->r, 0));
	EXPECT_NOTHING();
}

TEST_F(fnotify, clear_before_read_replaces_notification)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	ASSERT_EQ(0, clear_freeze(self->p.fd, 0, COOKIE));
	bt_rets_init(&self->r);
	ASSERT_GE(bt_read_until(self->p.fd, &self->r,
				BR_CLEAR_FREEZE_NOTIFICATION_DONE, 0,
				BT_TIMEOUT_MS), 0);
	/* The queued BR_FROZEN_BINDER became the CLEAR_DONE. */
	ASSERT_STREQ("CLEAR_FREEZE_NOTIFICATION_DONE", bt_seq(&self->r, 0));
	EXPECT_NOTHING();
}

TEST_F(fnotify, invalid_commands_einval)
{
	struct bt_cmds c;
	size_t wc = 0;

	/* No ref for handle 5: the ioctl fails before the command. */
	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_REQUEST_FREEZE_NOTIFICATION, 5, COOKIE);
	ASSERT_EQ(-EINVAL, bt_wr(self->p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	/* A second request on the same ref. */
	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, BC_REQUEST_FREEZE_NOTIFICATION, 0, COOKIE);
	bt_cmd_handle_cookie(&c, BC_REQUEST_FREEZE_NOTIFICATION, 0, COOKIE + 1);
	ASSERT_EQ(-EINVAL, bt_wr(self->p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(4 + sizeof(struct binder_handle_cookie), wc);
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	/* DONE for an unknown cookie / twice. */
	ASSERT_EQ(-EINVAL, freeze_done(self->p.fd, COOKIE + 1));
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(-EINVAL, freeze_done(self->p.fd, COOKIE));
	/* CLEAR with the wrong cookie, on an unknown handle. */
	ASSERT_EQ(-EINVAL, clear_freeze(self->p.fd, 0, COOKIE + 1));
	ASSERT_EQ(-EINVAL, clear_freeze(self->p.fd, 5, COOKIE));
	ASSERT_EQ(0, clear_freeze(self->p.fd, 0, COOKIE));
	bt_rets_init(&self->r);
	ASSERT_GE(bt_read_until(self->p.fd, &self->r,
				BR_CLEAR_FREEZE_NOTIFICATION_DONE, 0,
				BT_TIMEOUT_MS), 0);
	/* CLEAR when no notification is active. */
	ASSERT_EQ(-EINVAL, clear_freeze(self->p.fd, 0, COOKIE));
	EXPECT_NOTHING();
}

TEST_F(fnotify, dropping_the_ref_discards_notification)
{
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	/* The only (strong) ref goes away with its queued notification. */
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_RELEASE, 0));
	EXPECT_NOTHING();
	ASSERT_EQ(-EINVAL, request_freeze(self->p.fd, 0, COOKIE));
	ASSERT_EQ(-EINVAL, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_NOTHING();
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	EXPECT_NOTHING();
}

TEST_F(fnotify, weak_reference_is_enough)
{
	/* Drop the strong ref taken by the setup, keep a weak one. */
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_INCREFS, 0));
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_RELEASE, 0));
	ASSERT_EQ(0, request_freeze(self->p.fd, 0, COOKIE));
	EXPECT_FROZEN_BINDER(COOKIE, 0);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	EXPECT_FROZEN_BINDER(COOKIE, 1);
	ASSERT_EQ(0, freeze_done(self->p.fd, COOKIE));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
}

TEST_F(fnotify, one_frozen_binder_per_read)
{
	struct binder_transaction_data t;
	struct bt_script owner;
	struct bt_proc cm;
	char path2[256];
	uint64_t seen = 0;
	int i, idx, h;

	/* On a second device we manage; the owner sends us two nodes. */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	ASSERT_EQ(0, bt_open_cm(path2, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_script_start(&owner, path2, NULL));
	for (h = 1; h <= 2; h++) {
		struct flat_binder_object fb;

		ASSERT_EQ(0, bt_script_async(&owner, BT_SC_SEND_NODE, h * 0x100));
		bt_rets_init(&self->r);
		idx = bt_read_until(cm.fd, &self->r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
		ASSERT_GE(idx, 0);
		t = self->r.r[idx].tr;
		memcpy(&fb, bt_data(&t), sizeof(fb));
		ASSERT_EQ(h, fb.handle);
		ASSERT_EQ(0, bt_send_u32(cm.fd, BC_ACQUIRE, h));
		ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, NULL, 0));
		bt_rets_init(&self->r);
		ASSERT_GE(bt_read_until(cm.fd, &self->r, BR_TRANSACTION_COMPLETE,
					0, BT_TIMEOUT_MS), 0);
		ASSERT_EQ(BR_REPLY, bt_script_result(&owner));
	}
	ASSERT_EQ(0, request_freeze(cm.fd, 1, COOKIE + 1));
	ASSERT_EQ(0, request_freeze(cm.fd, 2, COOKIE + 2));
	for (i = 0; i < 2; i++) {
		bt_rets_init(&self->r);
		idx = bt_read_until(cm.fd, &self->r, BR_FROZEN_BINDER, 0,
				    BT_TIMEOUT_MS);
		ASSERT_GE(idx, 0);
		ASSERT_STREQ("FROZEN_BINDER", bt_seq(&self->r, 0));
		ASSERT_EQ(0, self->r.r[idx].frozen.is_frozen);
		seen |= 1ULL << (self->r.r[idx].frozen.cookie - COOKIE);
	}
	ASSERT_EQ(6, seen);
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	/* Both acknowledged: one freeze notifies both refs, one per read. */
	ASSERT_EQ(0, freeze_done(cm.fd, COOKIE + 1));
	ASSERT_EQ(0, freeze_done(cm.fd, COOKIE + 2));
	ASSERT_EQ(0, do_freeze(cm.fd, owner.pid, 1, 0));
	seen = 0;
	for (i = 0; i < 2; i++) {
		bt_rets_init(&self->r);
		idx = bt_read_until(cm.fd, &self->r, BR_FROZEN_BINDER, 0,
				    BT_TIMEOUT_MS);
		ASSERT_GE(idx, 0);
		ASSERT_STREQ("FROZEN_BINDER", bt_seq(&self->r, 0));
		ASSERT_EQ(1, self->r.r[idx].frozen.is_frozen);
		seen |= 1ULL << (self->r.r[idx].frozen.cookie - COOKIE);
	}
	ASSERT_EQ(6, seen);
	ASSERT_EQ(0, do_freeze(cm.fd, owner.pid, 0, 0));
	bt_script_kill(&owner);
	bt_close(&cm);
}

TEST_HARNESS_MAIN
