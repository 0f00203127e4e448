// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: threads: BR_SPAWN_LOOPER conditions, BC_REGISTER_LOOPER
 * accounting, BINDER_THREAD_EXIT with transactions in flight, dispatch to
 * several looper threads, a bounded multi-threaded stress run. Every
 * expectation is what the C driver (Linux 6.12) does.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

FIXTURE(binder) {
	struct bt_dev dev;
};

FIXTURE_SETUP(binder)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
}

FIXTURE_TEARDOWN(binder)
{
	bt_dev_destroy(&self->dev);
}

/*
 * A client child: waits for "go" (the value is the number of one-way
 * calls to make, codes 1..n), makes them, reports, waits for "exit".
 */
static pid_t start_client(const char *path, struct bt_chan *ch)
{
	pid_t pid;

	if (bt_chan_init(ch))
		return -1;
	pid = bt_fork();
	if (pid == 0) {
		struct bt_proc p;
		struct bt_rets r;
		uint64_t n, i;

		bt_chan_child(ch);
		BT_CHECK_EQ(bt_hear_parent(ch, &n, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &p), 0);
		for (i = 1; i <= n; i++) {
			bt_rets_init(&r);
			BT_CHECK_EQ(bt_call(p.fd, 0, i, TF_ONE_WAY, NULL, &r),
				    BR_TRANSACTION_COMPLETE);
		}
		BT_CHECK_EQ(bt_tell_parent(ch, 1), 0);
		BT_CHECK_EQ(bt_hear_parent(ch, &n, 30000), 0);
		_exit(0);
	}
	bt_chan_parent(ch);
	return pid;
}

static int stop_client(struct bt_chan *ch, pid_t pid)
{
	int ret;

	bt_tell_child(ch, 0);
	ret = bt_wait(pid, BT_TIMEOUT_MS);
	bt_chan_close(ch);
	return ret;
}

/*
 * Read until a BR_TRANSACTION arrives; *first is the first command of the
 * read that returned it (BR_NOOP or BR_SPAWN_LOOPER).
 */
static int read_txn_first(int fd, uint32_t *first,
			  struct binder_transaction_data *tr)
{
	int i, ret;

	for (i = 0; i < 100; i++) {
		struct bt_rets r;
		int idx;

		bt_rets_init(&r);
		ret = bt_read(fd, &r, BT_TIMEOUT_MS);
		if (ret)
			return ret;
		idx = bt_find(&r, BR_TRANSACTION, 0);
		if (idx >= 0) {
			*first = r.r[0].cmd;
			*tr = r.r[idx].tr;
			return 0;
		}
	}
	return -EPROTO;
}

static int spawn_case(const char *path, uint32_t max_threads, bool looper,
		      uint32_t *first)
{
	struct binder_transaction_data t;
	struct bt_chan ch;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;
	int ret;

	pid = start_client(path, &ch);
	if (pid < 0)
		return -1;
	ret = bt_open(path, BT_MAP_SIZE, &cm);
	if (!ret)
		ret = bt_set_cm(cm.fd);
	if (!ret)
		ret = bt_set_max_threads(cm.fd, max_threads);
	if (!ret && looper)
		ret = bt_enter_looper(cm.fd);
	if (!ret)
		ret = bt_tell_child(&ch, 1);
	if (!ret)
		ret = bt_hear_child(&ch, &v, BT_TIMEOUT_MS);
	if (!ret)
		ret = read_txn_first(cm.fd, first, &t);
	if (!ret)
		ret = bt_free_buffer(cm.fd, t.data.ptr.buffer);
	if (stop_client(&ch, pid) && !ret)
		ret = -ECHILD;
	bt_close(&cm);
	return ret;
}

TEST_F(binder, spawn_looper_when_no_thread_left_waiting)
{
	uint32_t first = 0;

	ASSERT_EQ(0, spawn_case(self->dev.path, 1, true, &first));
	/* BR_SPAWN_LOOPER takes the place of the leading BR_NOOP. */
	ASSERT_EQ(BR_SPAWN_LOOPER, first);
}

TEST_F(binder, no_spawn_looper_with_max_threads_zero)
{
	uint32_t first = 0;

	ASSERT_EQ(0, spawn_case(self->dev.path, 0, true, &first));
	ASSERT_EQ(BR_NOOP, first);
}

TEST_F(binder, no_spawn_looper_for_non_looper_thread)
{
	uint32_t first = 0;

	ASSERT_EQ(0, spawn_case(self->dev.path, 4, false, &first));
	ASSERT_EQ(BR_NOOP, first);
}

static void *register_and_exit(void *a)
{
	int fd = *(int *)a;

	if (bt_send_cmd(fd, BC_REGISTER_LOOPER) || bt_thread_exit(fd))
		*(int *)a = -1;
	return NULL;
}

static int register_thread(int fd)
{
	int arg = fd;
	pthread_t th;

	if (pthread_create(&th, NULL, register_and_exit, &arg))
		return -1;
	pthread_join(th, NULL);
	return arg == fd ? 0 : -1;
}

TEST_F(binder, spawn_looper_requested_once_until_registered)
{
	struct binder_transaction_data t;
	struct bt_chan ch;
	struct bt_proc cm;
	uint32_t first;
	uint64_t v;
	pid_t pid;

	pid = start_client(self->dev.path, &ch);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_max_threads(cm.fd, 2));
	ASSERT_EQ(0, bt_tell_child(&ch, 4));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* One-ways to one node arrive one by one, as each buffer is freed. */
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	ASSERT_EQ(1, t.code);
	ASSERT_EQ(BR_SPAWN_LOOPER, first);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	/* A request is outstanding: no second BR_SPAWN_LOOPER. */
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	ASSERT_EQ(2, t.code);
	ASSERT_EQ(BR_NOOP, first);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	/* A thread answering it with BC_REGISTER_LOOPER: one started of 2. */
	ASSERT_EQ(0, register_thread(cm.fd));
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	ASSERT_EQ(3, t.code);
	ASSERT_EQ(BR_SPAWN_LOOPER, first);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	/* Two started (exited threads still count): never again. */
	ASSERT_EQ(0, register_thread(cm.fd));
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	ASSERT_EQ(4, t.code);
	ASSERT_EQ(BR_NOOP, first);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	ASSERT_EQ(0, stop_client(&ch, pid));
	bt_close(&cm);
}

TEST_F(binder, first_looper_read_requests_spawn_without_work)
{
	struct bt_proc p;
	uint32_t cmd = BC_ENTER_LOOPER, buf[16];
	size_t wc = 0, rc = 0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_max_threads(p.fd, 1));
	/* That ioctl made our binder thread; start again with a new one. */
	ASSERT_EQ(0, bt_thread_exit(p.fd));
	/*
	 * libbinder's first call: BC_ENTER_LOOPER + read on a new thread. The
	 * read returns at once ("need return") and the pool is empty.
	 */
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(0, bt_wr(p.fd, &cmd, 4, &wc, buf, sizeof(buf), &rc, BT_TIMEOUT_MS));
	ASSERT_EQ(4, wc);
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_SPAWN_LOOPER, buf[0]);
	/* Requested once: the next read neither spawns nor returns anything. */
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	bt_close(&p);
}

static void *register_only(void *a)
{
	int fd = *(int *)a;

	if (bt_send_cmd(fd, BC_REGISTER_LOOPER) || bt_thread_exit(fd))
		*(int *)a = -1;
	return NULL;
}

TEST_F(binder, register_looper_without_request_not_counted)
{
	struct binder_transaction_data t;
	struct bt_chan ch;
	struct bt_proc cm;
	pthread_t th;
	uint32_t first;
	uint64_t v;
	pid_t pid;
	int arg;

	pid = start_client(self->dev.path, &ch);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_cm(cm.fd));
	ASSERT_EQ(0, bt_set_max_threads(cm.fd, 1));
	/* A thread registers without BR_SPAWN_LOOPER having asked for it. */
	arg = cm.fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, register_only, &arg));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(cm.fd, arg);
	ASSERT_EQ(0, bt_enter_looper(cm.fd));
	ASSERT_EQ(0, bt_tell_child(&ch, 1));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	/* It was not counted as started: the pool (max 1) still asks for one. */
	ASSERT_EQ(BR_SPAWN_LOOPER, first);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	ASSERT_EQ(0, stop_client(&ch, pid));
	bt_close(&cm);
}

struct reader {
	int fd;
	pid_t tid;
	int ret;
	uint32_t first;
	uint32_t code;
};

static void *reader_fn(void *a)
{
	struct binder_transaction_data t;
	struct reader *rd = a;

	rd->ret = bt_enter_looper(rd->fd);
	__atomic_store_n(&rd->tid, bt_gettid(), __ATOMIC_SEQ_CST);
	if (!rd->ret)
		rd->ret = read_txn_first(rd->fd, &rd->first, &t);
	if (!rd->ret) {
		rd->code = t.code;
		rd->ret = bt_free_buffer(rd->fd, t.data.ptr.buffer);
	}
	return NULL;
}

static int wait_tid(struct reader *rd)
{
	while (!__atomic_load_n(&rd->tid, __ATOMIC_SEQ_CST))
		bt_msleep(1);
	return bt_wait_sleeping(rd->tid, BT_TIMEOUT_MS);
}

TEST_F(binder, spawn_looper_only_when_no_other_thread_waits)
{
	struct reader rd[2];
	struct bt_chan ch;
	struct bt_proc cm;
	pthread_t th[2];
	uint64_t v;
	pid_t pid;
	int i, spawn = 0, noop = 0;

	pid = start_client(self->dev.path, &ch);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_cm(cm.fd));
	ASSERT_EQ(0, bt_set_max_threads(cm.fd, 1));
	memset(rd, 0, sizeof(rd));
	for (i = 0; i < 2; i++) {
		rd[i].fd = cm.fd;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, reader_fn, &rd[i]));
		ASSERT_EQ(0, wait_tid(&rd[i]));
	}
	/* Both threads wait; the first call leaves the other one waiting. */
	ASSERT_EQ(0, bt_tell_child(&ch, 2));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, rd[i].ret);
		if (rd[i].first == BR_SPAWN_LOOPER)
			spawn++;
		if (rd[i].first == BR_NOOP)
			noop++;
	}
	ASSERT_EQ(1, noop);
	ASSERT_EQ(1, spawn);
	/* The first call (code 1) came with BR_NOOP, the second with the spawn request. */
	for (i = 0; i < 2; i++)
		ASSERT_EQ(rd[i].first == BR_NOOP ? 1 : 2, rd[i].code);
	ASSERT_EQ(0, stop_client(&ch, pid));
	bt_close(&cm);
}

struct held_call {
	int fd;
	int *in_flight;
	int ret;
	pid_t tid;
};

/* Take one call, wait until the other thread holds one too, then reply. */
static void *hold_call_fn(void *a)
{
	struct held_call *hc = a;
	struct binder_transaction_data t;
	struct bt_parcel pc;
	uint32_t first;
	long deadline;

	hc->ret = bt_enter_looper(hc->fd);
	__atomic_store_n(&hc->tid, bt_gettid(), __ATOMIC_SEQ_CST);
	if (hc->ret)
		return NULL;
	hc->ret = read_txn_first(hc->fd, &first, &t);
	if (hc->ret)
		return NULL;
	__atomic_add_fetch(hc->in_flight, 1, __ATOMIC_SEQ_CST);
	deadline = bt_now_ms() + BT_TIMEOUT_MS;
	while (__atomic_load_n(hc->in_flight, __ATOMIC_SEQ_CST) < 2) {
		if (bt_now_ms() > deadline) {
			hc->ret = -ETIMEDOUT;
			break;
		}
		bt_msleep(2);
	}
	bt_parcel_init(&pc);
	bt_p_u32(&pc, (uint32_t)bt_gettid());
	if (bt_free_and_reply(hc->fd, t.data.ptr.buffer, &pc, 0) && !hc->ret)
		hc->ret = -EIO;
	return NULL;
}

struct call_arg {
	int fd;
	int ret;
	uint32_t server_tid;
};

static void *call_fn(void *a)
{
	struct call_arg *ca = a;
	struct bt_rets r;

	bt_rets_init(&r);
	ca->ret = bt_call(ca->fd, 0, 1, 0, NULL, &r);
	if (ca->ret == (int)BR_REPLY) {
		memcpy(&ca->server_tid, bt_data(bt_last_tr(&r)), 4);
		bt_free_buffer(ca->fd, bt_last_tr(&r)->data.ptr.buffer);
	}
	return NULL;
}

TEST_F(binder, calls_dispatched_to_different_looper_threads)
{
	struct held_call hc[2];
	struct bt_chan ch;
	struct bt_proc cm;
	pthread_t th[2];
	int in_flight = 0;
	uint64_t v;
	pid_t pid;
	int i;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct call_arg ca[2];
		struct bt_proc p;
		pthread_t ct[2];
		int j;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &p), 0);
		for (j = 0; j < 2; j++) {
			ca[j].fd = p.fd;
			BT_CHECK_EQ(pthread_create(&ct[j], NULL, call_fn, &ca[j]), 0);
		}
		for (j = 0; j < 2; j++) {
			BT_CHECK_EQ(pthread_join(ct[j], NULL), 0);
			BT_CHECK_EQ(ca[j].ret, BR_REPLY);
		}
		/* Answered by two different threads. */
		BT_CHECK(ca[0].server_tid != ca[1].server_tid);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_cm(cm.fd));
	memset(hc, 0, sizeof(hc));
	for (i = 0; i < 2; i++) {
		hc[i].fd = cm.fd;
		hc[i].in_flight = &in_flight;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, hold_call_fn, &hc[i]));
	}
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, hc[i].ret);
	}
	ASSERT_EQ(2, in_flight);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, thread_exit_with_incoming_call_dead_reply)
{
	struct binder_transaction_data t;
	struct bt_rets r;
	struct bt_chan ch;
	struct bt_proc cm;
	uint32_t first;
	uint64_t v;
	pid_t pid;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc p;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &p), 0);
		bt_rets_init(&r);
		BT_CHECK_EQ(bt_call(p.fd, 0, 1, 0, NULL, &r), BR_DEAD_REPLY);
		BT_CHECK_STR(bt_seq(&r, 0), "TRANSACTION_COMPLETE DEAD_REPLY");
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, read_txn_first(cm.fd, &first, &t));
	/* The thread handling the call goes away: the caller gets BR_DEAD_REPLY. */
	ASSERT_EQ(0, bt_thread_exit(cm.fd));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	/* The buffer is still ours to free; the new thread has no stack. */
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	ASSERT_EQ(0, bt_reply(cm.fd, NULL, 0));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(cm.fd, &r, BR_FAILED_REPLY, 0, BT_TIMEOUT_MS));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, thread_exit_of_caller_drops_reply)
{
	struct bt_script_opts o = { .cm = true };
	struct binder_transaction_data tr;
	struct bt_script s;
	struct bt_cmds c;
	struct bt_proc p;
	uint32_t buf[16];
	size_t rc = 0;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr(&tr, 0, 1, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	ASSERT_EQ(BT_OBJ_NONE, bt_script(&s, BT_SC_READ, 0));
	/* The calling thread exits before the reply. */
	ASSERT_EQ(0, bt_thread_exit(p.fd));
	/* The replier still just gets BR_TRANSACTION_COMPLETE. */
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&s, BT_SC_REPLY, 0));
	/* Our (new) thread gets nothing. */
	ASSERT_EQ(0, bt_enter_looper(p.fd));
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	ASSERT_EQ(-EINTR, bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 200));
	ASSERT_EQ(0, bt_script_stop(&s));
	bt_close(&p);
}

/* ---- stress ----------------------------------------------------------- */

#define STRESS_THREADS 4
#define STRESS_CALLS 40
#define STRESS_EXIT 0xe1e1

static void *echo_looper(void *a)
{
	int fd = *(int *)a;

	BT_CHECK_EQ(bt_enter_looper(fd), 0);
	for (;;) {
		struct binder_transaction_data t;
		struct bt_parcel pc;
		struct bt_rets r;
		int idx;

		bt_rets_init(&r);
		idx = bt_read_until(fd, &r, BR_TRANSACTION, BT_ACK_REFS, 0);
		BT_CHECK(idx >= 0);
		t = r.r[idx].tr;
		if (t.code == STRESS_EXIT) {
			BT_CHECK_EQ(bt_free_and_reply(fd, t.data.ptr.buffer, NULL, 0), 0);
			bt_msleep(50);
			_exit(0);
		}
		if (t.flags & TF_ONE_WAY) {
			BT_CHECK_EQ(bt_free_buffer(fd, t.data.ptr.buffer), 0);
			continue;
		}
		bt_parcel_init(&pc);
		bt_p_bytes(&pc, bt_data(&t), t.data_size);
		BT_CHECK_EQ(bt_free_and_reply(fd, t.data.ptr.buffer, &pc, 0), 0);
	}
	return NULL;
}

struct stress_arg {
	int fd;
	int id;
	int failures;
	int oneways;
};

static void *stress_client(void *a)
{
	struct stress_arg *sa = a;
	int i;

	for (i = 0; i < STRESS_CALLS; i++) {
		uint32_t sent[8], *back;
		struct bt_parcel pc;
		struct bt_rets r;
		int k;

		for (k = 0; k < 8; k++)
			sent[k] = sa->id << 16 | i << 4 | k;
		bt_parcel_init(&pc);
		bt_p_bytes(&pc, sent, sizeof(sent) - (i % 8) * 4);
		bt_rets_init(&r);
		if (i % 5 == 4) {
			if (bt_call(sa->fd, 0, 2, TF_ONE_WAY, &pc, &r) !=
			    (int)BR_TRANSACTION_COMPLETE)
				sa->failures++;
			else
				sa->oneways++;
			continue;
		}
		if (bt_call(sa->fd, 0, 1, 0, &pc, &r) != (int)BR_REPLY) {
			sa->failures++;
			continue;
		}
		back = bt_data(bt_last_tr(&r));
		if (bt_last_tr(&r)->data_size != pc.len ||
		    memcmp(back, sent, pc.len))
			sa->failures++;
		bt_free_buffer(sa->fd, bt_last_tr(&r)->data.ptr.buffer);
	}
	return NULL;
}

TEST_F_TIMEOUT(binder, multithreaded_stress, 120)
{
	struct stress_arg sa[STRESS_THREADS];
	pthread_t th[STRESS_THREADS];
	struct bt_chan ch;
	struct bt_proc p;
	struct bt_rets r;
	uint64_t v;
	pid_t pid;
	int i;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		pthread_t st[STRESS_THREADS];
		struct bt_proc s;
		int j;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open(self->dev.path, 1 << 20, &s), 0);
		BT_CHECK_EQ(bt_set_cm(s.fd), 0);
		BT_CHECK_EQ(bt_set_max_threads(s.fd, STRESS_THREADS), 0);
		for (j = 0; j < STRESS_THREADS; j++)
			BT_CHECK_EQ(pthread_create(&st[j], NULL, echo_looper, &s.fd), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		for (j = 0; j < STRESS_THREADS; j++)
			pthread_join(st[j], NULL);
		_exit(1);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_open(self->dev.path, 1 << 20, &p));
	for (i = 0; i < STRESS_THREADS; i++) {
		sa[i].fd = p.fd;
		sa[i].id = i;
		sa[i].failures = 0;
		sa[i].oneways = 0;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, stress_client, &sa[i]));
	}
	for (i = 0; i < STRESS_THREADS; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, sa[i].failures);
		ASSERT_EQ(STRESS_CALLS / 5, sa[i].oneways);
	}
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call(p.fd, 0, STRESS_EXIT, 0, NULL, &r));
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

TEST_HARNESS_MAIN
