// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: nice inheritance. The thread that reads a transaction
 * runs at a nice value derived from the caller's and the target node's
 * min priority (FLAT_BINDER_FLAG_PRIORITY_MASK of the node's flags, a
 * raw nice value 0..255), restored by BC_REPLY; a thread that waits for
 * process work is reset to the nice value its process had when it
 * opened the device. Every expectation is what the C driver (Linux 6.12,
 * binder_thread_read() / binder_transaction()) does:
 *
 *   sync:    nice = caller < min ? caller : min
 *   one-way: nice = current > min ? min : current
 *
 * (binder_set_nice() ignores values outside -20..19.)
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <sys/resource.h>

#define CODE_CALL 1
#define CODE_RENICE 2	/* set our nice to the u32 sent before replying */
#define CODE_EXIT 99

static int get_nice(void)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, 0);
}

static int set_nice(int nice)
{
	return setpriority(PRIO_PROCESS, 0, nice) ? -errno : 0;
}

struct prio_srv {
	pid_t pid;
	struct bt_chan ch;
};

/*
 * A context manager whose node has flags min_prio (the priority bits),
 * opened at nice open_nice and then switched to run_nice. For each
 * transaction: reports (nice when it read it, nice after its BC_REPLY or
 * BC_FREE_BUFFER).
 */
static int srv_start(struct prio_srv *s, const char *path, int open_nice,
		     int run_nice, uint32_t min_prio)
{
	uint64_t v;

	if (bt_chan_init(&s->ch))
		return -1;
	s->pid = bt_fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		struct bt_proc p;

		bt_chan_child(&s->ch);
		BT_CHECK_EQ(set_nice(open_nice), 0);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &p), 0);
		BT_CHECK_EQ(bt_set_cm_ext(p.fd, 0x100, 0x101, min_prio), 0);
		BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
		BT_CHECK_EQ(set_nice(run_nice), 0);
		BT_CHECK_EQ(bt_tell_parent(&s->ch, 0), 0);
		for (;;) {
			struct binder_transaction_data *t;
			struct bt_parcel reply;
			struct bt_rets r;
			int idx, in, after;

			bt_rets_init(&r);
			idx = bt_read_until(p.fd, &r, BR_TRANSACTION, 0, 30000);
			BT_CHECK(idx >= 0);
			in = get_nice();
			t = &r.r[idx].tr;
			if (t->flags & TF_ONE_WAY) {
				BT_CHECK_EQ(bt_free_buffer(p.fd, t->data.ptr.buffer), 0);
			} else {
				if (t->code == CODE_RENICE) {
					int32_t n;

					memcpy(&n, bt_data(t), 4);
					BT_CHECK_EQ(set_nice(n), 0);
				}
				bt_parcel_init(&reply);
				bt_p_u32(&reply, (uint32_t)in);
				BT_CHECK_EQ(bt_free_and_reply(p.fd, t->data.ptr.buffer,
							      &reply, 0), 0);
			}
			after = get_nice();
			BT_CHECK_EQ(bt_tell_parent(&s->ch, (uint64_t)(uint32_t)after << 32 |
							   (uint32_t)in), 0);
			if (t->code == CODE_EXIT)
				break;
			/* Consume our own BR_TRANSACTION_COMPLETE. */
			if (!(t->flags & TF_ONE_WAY)) {
				bt_rets_init(&r);
				BT_CHECK(bt_read_until(p.fd, &r, BR_TRANSACTION_COMPLETE,
						       0, BT_TIMEOUT_MS) >= 0);
			}
		}
		bt_close(&p);
		_exit(0);
	}
	bt_chan_parent(&s->ch);
	return bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
}

/* The service's report: nice at receive, nice after reply/free. */
static int srv_report(struct prio_srv *s, int *in, int *after)
{
	uint64_t v;
	int ret = bt_hear_child(&s->ch, &v, 2 * BT_TIMEOUT_MS);

	if (ret)
		return ret;
	*in = (int32_t)(uint32_t)v;
	*after = (int32_t)(uint32_t)(v >> 32);
	return 0;
}

static int srv_stop(struct prio_srv *s, int fd)
{
	int in, after, ret;

	ret = bt_call(fd, 0, CODE_EXIT, 0, NULL, NULL);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	if (srv_report(s, &in, &after))
		return -EPROTO;
	ret = bt_wait(s->pid, BT_TIMEOUT_MS);
	bt_chan_close(&s->ch);
	return ret;
}

FIXTURE(prio) {
	struct bt_dev dev;
	struct bt_proc p;
	struct prio_srv s;
	struct bt_rets r;
};

FIXTURE_SETUP(prio)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
	self->s.pid = 0;
}

FIXTURE_TEARDOWN(prio)
{
	if (self->s.pid > 0)
		bt_kill(self->s.pid);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

/*
 * Sync call at caller_nice: the nice the service handled it at (also in
 * the reply) and its nice after BC_REPLY.
 */
#define EXPECT_SYNC(caller_nice, exp_in, exp_after) do {			\
	int __in, __after;							\
	ASSERT_EQ(0, set_nice(caller_nice));					\
	bt_rets_init(&self->r);							\
	ASSERT_EQ(BR_REPLY, bt_call(self->p.fd, 0, CODE_CALL, 0, NULL,		\
				    &self->r));					\
	ASSERT_EQ((uint32_t)(exp_in), *(uint32_t *)bt_data(bt_last_tr(&self->r))); \
	ASSERT_EQ(0, bt_free_buffer(self->p.fd,					\
				    bt_last_tr(&self->r)->data.ptr.buffer));	\
	ASSERT_EQ(0, srv_report(&self->s, &__in, &__after));			\
	ASSERT_EQ((exp_in), __in);						\
	ASSERT_EQ((exp_after), __after);					\
	/* The caller keeps its own nice value. */				\
	ASSERT_EQ((caller_nice), get_nice());					\
} while (0)

#define EXPECT_ONEWAY(caller_nice, exp_in, exp_after) do {			\
	int __in, __after;							\
	ASSERT_EQ(0, set_nice(caller_nice));					\
	bt_rets_init(&self->r);							\
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(self->p.fd, 0, CODE_CALL,	\
						   TF_ONE_WAY, NULL, &self->r)); \
	ASSERT_EQ(0, srv_report(&self->s, &__in, &__after));			\
	ASSERT_EQ((exp_in), __in);						\
	ASSERT_EQ((exp_after), __after);					\
	ASSERT_EQ((caller_nice), get_nice());					\
} while (0)

TEST_F(prio, sync_call_runs_at_lower_caller_nice_then_restored)
{
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 0, 0, 0));
	EXPECT_SYNC(-7, -7, 0);
	EXPECT_SYNC(-20, -20, 0);
	EXPECT_SYNC(0, 0, 0);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, sync_call_raises_handler_to_node_min_priority)
{
	/* Service at nice 15, node min priority 0 (flags 0). */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 15, 15, 0));
	EXPECT_SYNC(10, 0, 15);
	EXPECT_SYNC(19, 0, 15);
	EXPECT_SYNC(-3, -3, 15);
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, node_min_priority_bounds_inherited_nice)
{
	/* Node min priority nice 12. */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 15, 15, 12));
	EXPECT_SYNC(10, 10, 15);
	EXPECT_SYNC(12, 12, 15);
	EXPECT_SYNC(14, 12, 15);
	EXPECT_SYNC(19, 12, 15);
	EXPECT_SYNC(-5, -5, 15);
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, sync_call_can_lower_handler_priority)
{
	/*
	 * Min priority 19: any caller nice below it is taken, even one
	 * above the service's own (0).
	 */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 0, 0, 19));
	EXPECT_SYNC(10, 10, 0);
	EXPECT_SYNC(19, 19, 0);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, min_priority_is_a_raw_byte)
{
	/* 0xff is not a nice value: never reached, the caller's is used. */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 5, 5,
			       FLAT_BINDER_FLAG_PRIORITY_MASK));
	EXPECT_SYNC(19, 19, 5);
	EXPECT_SYNC(-4, -4, 5);
	/* One-way: 5 > 255 is false, the nice stays. */
	EXPECT_ONEWAY(-4, 5, 5);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, oneway_uses_node_min_priority_not_caller)
{
	/* Service at 10, node min 3: one-way handled at 3 (not -7). */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 10, 10, 3));
	EXPECT_ONEWAY(-7, 3, 3);	/* not restored by BC_FREE_BUFFER */
	EXPECT_ONEWAY(19, 3, 3);
	/* Sync calls after it: the wait for work reset it to 10 first. */
	EXPECT_SYNC(8, 3, 10);
	EXPECT_SYNC(1, 1, 10);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, oneway_never_raises_nice)
{
	/* Service at 5, node min 12: one-way stays at 5. */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 5, 5, 12));
	EXPECT_ONEWAY(-7, 5, 5);
	EXPECT_ONEWAY(19, 5, 5);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, waiting_for_process_work_resets_to_nice_at_open)
{
	/*
	 * Opened at 15, then running at 3: waiting for process work
	 * resets the thread to 15 (one-way to a min-19 node keeps it).
	 */
	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 15, 3, 19));
	EXPECT_ONEWAY(0, 15, 15);
	EXPECT_SYNC(17, 17, 15);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_F(prio, nice_limit_above_nice_at_open_does_not_spin)
{
	/*
	 * Opened at nice 0, then unprivileged at nice 10 with RLIMIT_NICE
	 * allowing nothing below 10: a thread that may take process work
	 * can't go back to 0 (binder_set_nice() falls back to the limit, 10),
	 * and a non-blocking read still ends at once with EAGAIN.
	 */
	struct rlimit rl = { .rlim_cur = 10, .rlim_max = 10 };
	int status;
	pid_t pid;

	ASSERT_EQ(0, set_nice(0));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc p;
		uint32_t buf[16];
		size_t rc = 0;

		alarm(20);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &p), 0);
		/* The limit first: only root may raise it above the default 0. */
		BT_CHECK_EQ(setrlimit(RLIMIT_NICE, &rl), 0);
		BT_CHECK_EQ(setresgid(1000, 1000, 1000), 0);
		BT_CHECK_EQ(setresuid(1000, 1000, 1000), 0);
		BT_CHECK_EQ(set_nice(10), 0);
		BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
		BT_CHECK_EQ(bt_set_nonblock(p.fd, true), 0);
		BT_CHECK_EQ(bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 0), -EAGAIN);
		BT_CHECK_EQ(get_nice(), 10);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
}

TEST_F(prio, reply_restores_nice_saved_at_receive)
{
	struct bt_parcel pc;
	int in, after;

	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 4, 4, 0));
	/* The handler renices itself to 9 while handling: BC_REPLY restores 4. */
	ASSERT_EQ(0, set_nice(-2));
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 9);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call(self->p.fd, 0, CODE_RENICE, 0, &pc, &self->r));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, bt_last_tr(&self->r)->data.ptr.buffer));
	ASSERT_EQ(0, srv_report(&self->s, &in, &after));
	ASSERT_EQ(-2, in);
	ASSERT_EQ(4, after);
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

struct thread_call {
	int fd;
	int nice;
	int ret;
};

static void *thread_call_fn(void *arg)
{
	struct thread_call *tc = arg;
	struct bt_rets r;

	tc->ret = set_nice(tc->nice);
	if (tc->ret)
		return NULL;
	bt_rets_init(&r);
	tc->ret = bt_call(tc->fd, 0, CODE_CALL, 0, NULL, &r);
	if (tc->ret == (int)BR_REPLY)
		bt_free_buffer(tc->fd, bt_last_tr(&r)->data.ptr.buffer);
	return NULL;
}

TEST_F(prio, caller_nice_is_the_calling_threads)
{
	struct thread_call tc = { .fd = self->p.fd, .nice = -11 };
	pthread_t th;
	int in, after;

	ASSERT_EQ(0, srv_start(&self->s, self->dev.path, 0, 0, 0));
	EXPECT_SYNC(-6, -6, 0);
	/* Another thread of ours at -11 calls: -11, ours stays -6. */
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_call_fn, &tc));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(BR_REPLY, tc.ret);
	ASSERT_EQ(0, srv_report(&self->s, &in, &after));
	ASSERT_EQ(-11, in);
	ASSERT_EQ(0, after);
	ASSERT_EQ(-6, get_nice());
	ASSERT_EQ(0, set_nice(0));
	ASSERT_EQ(0, srv_stop(&self->s, self->p.fd));
	self->s.pid = 0;
}

TEST_HARNESS_MAIN
