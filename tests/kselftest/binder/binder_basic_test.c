// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: binder driver interface basics: open, mmap rules, ioctls,
 * BINDER_WRITE_READ framing, consumed counts, error returns, looper
 * commands, poll(). Every expectation is what the C driver
 * (drivers/android/binder.c, Linux 6.12) does.
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

/* Queue a BR_DEAD_REPLY for the calling thread: call handle 0 without a context manager. */
static int queue_dead_reply(int fd)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;

	bt_tr(&tr, 0, 1, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	return bt_send(fd, &c);
}

TEST_F(binder, open_close_reopen)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	bt_close(&p);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_close(&p);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_close(&p);
}

TEST_F(binder, two_opens_are_independent)
{
	struct bt_proc a, b;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &a));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &b));
	/* Each open has its own mapping (no EBUSY for the second fd). */
	ASSERT_NE(a.map, b.map);
	bt_close(&a);
	bt_close(&b);
}

TEST_F(binder, version_is_8)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	ASSERT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, bt_version(p.fd));
	ASSERT_EQ(8, bt_version(p.fd));
	bt_close(&p);
}

TEST_F(binder, version_bad_pointer_einval)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	/* put_user() failure is reported as EINVAL, not EFAULT. */
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_VERSION, (void *)8));
	bt_close(&p);
}

TEST_F(binder, unknown_ioctls_einval)
{
	int64_t arg = 0;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, _IO('b', 99), &arg));
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, _IOWR('b', 1, int), &arg));
	/* Declared in the uapi header but not implemented. */
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_SET_IDLE_TIMEOUT, &arg));
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_SET_IDLE_PRIORITY, &arg));
	/* A tty ioctl: EINVAL too (not ENOTTY). */
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, 0x5401 /* TCGETS */, &arg));
	bt_close(&p);
}

TEST_F(binder, mmap_writable_eperm)
{
	struct bt_proc p;
	void *m;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	m = mmap(NULL, BT_MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, p.fd, 0);
	ASSERT_EQ(MAP_FAILED, m);
	ASSERT_EQ(EPERM, errno);
	m = mmap(NULL, BT_MAP_SIZE, PROT_WRITE, MAP_SHARED, p.fd, 0);
	ASSERT_EQ(MAP_FAILED, m);
	ASSERT_EQ(EPERM, errno);
	/* A refused mmap does not count: a read-only one still works. */
	m = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, p.fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	munmap(m, BT_MAP_SIZE);
	bt_close(&p);
}

TEST_F(binder, mprotect_write_refused)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* VM_MAYWRITE is cleared. */
	ASSERT_EQ(-1, mprotect(p.map, BT_MAP_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(EACCES, errno);
	bt_close(&p);
}

TEST_F(binder, mmap_twice_ebusy)
{
	struct bt_proc p;
	void *m;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	m = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, p.fd, 0);
	ASSERT_EQ(MAP_FAILED, m);
	ASSERT_EQ(EBUSY, errno);
	bt_close(&p);
}

TEST_F(binder, mmap_after_munmap_ebusy)
{
	struct bt_proc p;
	void *m;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, munmap(p.map, BT_MAP_SIZE));
	p.map = NULL;
	/* The area is set up once per open file, even after munmap. */
	m = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, p.fd, 0);
	ASSERT_EQ(MAP_FAILED, m);
	ASSERT_EQ(EBUSY, errno);
	bt_close(&p);
}

TEST_F(binder, mmap_in_forked_child_einval)
{
	struct bt_proc p;
	pid_t pid;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		void *m = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, p.fd, 0);

		/* Only the opening process (its group leader) may map. */
		BT_CHECK(m == MAP_FAILED);
		BT_CHECK_EQ(errno, EINVAL);
		_exit(0);
	}
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	/* The opener still can. */
	p.map = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, p.fd, 0);
	ASSERT_NE(MAP_FAILED, p.map);
	p.map_size = BT_MAP_SIZE;
	bt_close(&p);
}

struct mmap_thread_arg {
	int fd;
	void *map;
	int err;
};

static void *mmap_thread(void *a)
{
	struct mmap_thread_arg *arg = a;

	arg->map = mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, arg->fd, 0);
	arg->err = arg->map == MAP_FAILED ? errno : 0;
	return NULL;
}

TEST_F(binder, mmap_from_other_thread_ok)
{
	struct mmap_thread_arg arg;
	struct bt_proc p;
	pthread_t th;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	arg.fd = p.fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, mmap_thread, &arg));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, arg.err);
	munmap(arg.map, BT_MAP_SIZE);
	bt_close(&p);
}

TEST_F(binder, unpopulated_mapping_sigbus)
{
	pid_t pid = bt_fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc p;

		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &p), 0);
		/* No buffer was ever allocated: the fault handler gives SIGBUS. */
		(void)*(volatile char *)p.map;
		_exit(0);
	}
	ASSERT_EQ(128 + SIGBUS, bt_wait(pid, BT_TIMEOUT_MS));
}

TEST_F(binder, write_read_empty_ok)
{
	size_t wc = 77, rc = 77;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, &wc, NULL, 0, &rc, 0));
	ASSERT_EQ(0, wc);
	ASSERT_EQ(0, rc);
	bt_close(&p);
}

TEST_F(binder, write_read_bad_struct_pointer_efault)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_WRITE_READ, (void *)8));
	bt_close(&p);
}

TEST_F(binder, first_read_returns_noop_without_blocking)
{
	uint32_t buf[64];
	struct bt_rets r;
	struct bt_proc p;
	size_t rc = 0;
	long t0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* A new thread "needs to return" once: its first read does not block. */
	t0 = bt_now_ms();
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 5000));
	ASSERT_LT(bt_now_ms() - t0, 4000);
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	/* The second one blocks (interrupted by our timer: EINTR). */
	bt_rets_init(&r);
	ASSERT_EQ(-EINTR, bt_read(p.fd, &r, 300));
	bt_close(&p);
}

TEST_F(binder, blocking_read_interrupted_eintr)
{
	uint32_t buf[64];
	struct bt_proc p;
	size_t rc = 99;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(8, bt_version(p.fd));	/* any ioctl clears "need return" */
	ASSERT_EQ(-EINTR, bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 200));
	ASSERT_EQ(0, rc);
	bt_close(&p);
}

TEST_F(binder, nonblock_read_noop_then_eagain)
{
	uint32_t buf[64];
	size_t rc = 99;
	int fd;

	fd = open(self->dev.path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_NE(MAP_FAILED, mmap(NULL, BT_MAP_SIZE, PROT_READ, MAP_PRIVATE, fd, 0));
	/* The new thread's first read still returns (BR_NOOP only). */
	ASSERT_EQ(0, bt_wr(fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 0));
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	rc = 99;
	ASSERT_EQ(-EAGAIN, bt_wr(fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 0));
	ASSERT_EQ(0, rc);
	close(fd);
}

TEST_F(binder, read_buffer_too_small_keeps_work)
{
	uint32_t buf[64];
	struct bt_proc p;
	size_t rc;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, queue_dead_reply(p.fd));
	/*
	 * Work is only returned if a whole binder_transaction_data_secctx
	 * plus a command fits after the leading BR_NOOP: 4 + 76 bytes.
	 */
	rc = 0;
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, 4, &rc, BT_TIMEOUT_MS));
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	rc = 0;
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, 79, &rc, BT_TIMEOUT_MS));
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	rc = 0;
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, 80, &rc, BT_TIMEOUT_MS));
	ASSERT_EQ(8, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	ASSERT_EQ(BR_DEAD_REPLY, buf[1]);
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	bt_close(&p);
}

TEST_F(binder, read_appends_at_read_consumed)
{
	struct binder_write_read bwr;
	uint32_t buf[64];
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, queue_dead_reply(p.fd));
	memset(buf, 0xee, sizeof(buf));
	memset(&bwr, 0, sizeof(bwr));
	bwr.read_buffer = (uintptr_t)buf;
	bwr.read_size = sizeof(buf);
	bwr.read_consumed = 8;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_WRITE_READ, &bwr));
	/* read_consumed != 0 on entry: no leading BR_NOOP, data appended. */
	ASSERT_EQ(12, bwr.read_consumed);
	ASSERT_EQ(0xeeeeeeeeu, buf[0]);
	ASSERT_EQ(0xeeeeeeeeu, buf[1]);
	ASSERT_EQ(BR_DEAD_REPLY, buf[2]);
	bt_close(&p);
}

TEST_F(binder, write_consumed_counts)
{
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd(&c, BC_EXIT_LOOPER);
	bt_cmd_u64(&c, BC_FREE_BUFFER, 0x1234);	/* no such buffer: ignored */
	ASSERT_EQ(0, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(c.len, wc);
	ASSERT_EQ(20, wc);
	bt_close(&p);
}

TEST_F(binder, write_consumed_is_cumulative)
{
	struct binder_write_read bwr;
	struct bt_proc p;
	struct bt_cmds c;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd(&c, BC_EXIT_LOOPER);
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = c.len;
	bwr.write_consumed = 4;	/* start at the second command */
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_WRITE_READ, &bwr));
	ASSERT_EQ(8, bwr.write_consumed);
	bt_close(&p);
}

TEST_F(binder, unknown_command_einval_stops_write)
{
	uint32_t rbuf[32];
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 99, rc = 99;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd(&c, 0x12345678);
	bt_cmd(&c, BC_EXIT_LOOPER);
	memset(rbuf, 0xff, sizeof(rbuf));
	ASSERT_EQ(-EINVAL, bt_wr(p.fd, c.buf, c.len, &wc, rbuf, sizeof(rbuf),
				 &rc, BT_TIMEOUT_MS));
	/* Consumed up to (not including) the bad command; no read done. */
	ASSERT_EQ(4, wc);
	ASSERT_EQ(0, rc);
	ASSERT_EQ(0xffffffffu, rbuf[0]);
	bt_close(&p);
}

TEST_F(binder, attempt_acquire_and_acquire_result_einval)
{
	struct binder_pri_desc pd = { 0, 0 };
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 99;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ATTEMPT_ACQUIRE);
	bt_cmd_raw(&c, &pd, sizeof(pd));
	ASSERT_EQ(-EINVAL, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd_u32(&c, BC_ACQUIRE_RESULT, 0);
	ASSERT_EQ(-EINVAL, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(4, wc);
	bt_close(&p);
}

TEST_F(binder, write_buffer_bad_pointer_efault)
{
	struct bt_proc p;
	size_t wc = 99;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(-EFAULT, bt_wr(p.fd, (void *)8, 4, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	bt_close(&p);
}

TEST_F(binder, read_buffer_bad_pointer_efault)
{
	struct bt_proc p;
	size_t rc = 99;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(-EFAULT, bt_wr(p.fd, NULL, 0, NULL, (void *)8, 64, &rc, 1000));
	bt_close(&p);
}

TEST_F(binder, transaction_struct_bad_pointer_efault)
{
	struct bt_proc p;
	uint32_t cmd = BC_TRANSACTION;
	size_t wc = 99;
	void *m;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Command word readable, binder_transaction_data not. */
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, m);
	ASSERT_EQ(0, munmap((char *)m + 4096, 4096));
	memcpy((char *)m + 4096 - 4, &cmd, 4);
	ASSERT_EQ(-EFAULT, bt_wr(p.fd, (char *)m + 4096 - 4,
				 4 + sizeof(struct binder_transaction_data),
				 &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	munmap(m, 4096);
	bt_close(&p);
}

TEST_F(binder, set_max_threads)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_max_threads(p.fd, 0));
	ASSERT_EQ(0, bt_set_max_threads(p.fd, 15));
	ASSERT_EQ(0, bt_set_max_threads(p.fd, 0xffffffffu));
	/* copy_from_user() failure is reported as EINVAL. */
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_SET_MAX_THREADS, (void *)8));
	bt_close(&p);
}

TEST_F(binder, thread_exit_then_thread_is_new)
{
	uint32_t buf[16];
	struct bt_rets r;
	struct bt_proc p;
	size_t rc = 0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, queue_dead_reply(p.fd));
	ASSERT_EQ(0, bt_thread_exit(p.fd));
	/* The pending BR_DEAD_REPLY went with the old thread; the new one returns once. */
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 5000));
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	bt_rets_init(&r);
	ASSERT_EQ(0, bt_idle(p.fd, &r));
	ASSERT_EQ(0, bt_thread_exit(p.fd));
	ASSERT_EQ(0, bt_thread_exit(p.fd));
	bt_close(&p);
}

TEST_F(binder, looper_commands_invalid_sequences_silent)
{
	struct bt_proc p;
	struct bt_cmds c;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Register without a BR_SPAWN_LOOPER request, enter after register, exit twice. */
	bt_cmds_init(&c);
	bt_cmd(&c, BC_REGISTER_LOOPER);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd(&c, BC_REGISTER_LOOPER);
	bt_cmd(&c, BC_EXIT_LOOPER);
	bt_cmd(&c, BC_EXIT_LOOPER);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	/* The thread is only marked invalid: no BR_ERROR or anything else. */
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	bt_close(&p);
}

TEST_F(binder, poll_fresh_thread_readable)
{
	struct pollfd pfd;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	pfd.fd = p.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* A thread created by poll() still "needs to return": readable. */
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	ASSERT_EQ(POLLIN, pfd.revents);
	bt_close(&p);
}

TEST_F(binder, poll_idle_thread_not_readable)
{
	struct pollfd pfd;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(8, bt_version(p.fd));
	pfd.fd = p.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(0, poll(&pfd, 1, 50));
	bt_close(&p);
}

TEST_F(binder, poll_readable_with_pending_return)
{
	struct pollfd pfd;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, queue_dead_reply(p.fd));
	pfd.fd = p.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 1000));
	ASSERT_EQ(POLLIN, pfd.revents);
	bt_rets_init(&r);
	ASSERT_EQ(0, bt_read(p.fd, &r, BT_TIMEOUT_MS));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	pfd.revents = 0;
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	bt_close(&p);
}

TEST_F(binder, extended_error_initially_ok)
{
	struct binder_extended_error ee;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(0, ee.id);
	ASSERT_EQ(BR_OK, ee.command);
	ASSERT_EQ(0, ee.param);
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_GET_EXTENDED_ERROR, (void *)8));
	bt_close(&p);
}

TEST_F(binder, extended_error_reported_once)
{
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, 0, NULL, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_NE(0, ee.id);
	ASSERT_EQ(BR_DEAD_REPLY, ee.command);
	ASSERT_EQ(-EINVAL, ee.param);
	/* Reading it resets it. */
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(0, ee.id);
	ASSERT_EQ(BR_OK, ee.command);
	ASSERT_EQ(0, ee.param);
	bt_close(&p);
}

TEST_F(binder, call_handle0_without_context_manager_dead_reply)
{
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, 0, NULL, &r));
	/* No BR_TRANSACTION_COMPLETE for a transaction that failed. */
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, TF_ONE_WAY, NULL, &r));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	bt_close(&p);
}

TEST_F(binder, call_unknown_handle_failed_reply)
{
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 7, 1, 0, NULL, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EINVAL, ee.param);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 7, 1, TF_ONE_WAY, NULL, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	bt_close(&p);
}

TEST_F(binder, reply_without_transaction_failed_reply)
{
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_reply(p.fd, NULL, 0));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_FAILED_REPLY, BT_ANY_TERMINAL,
				   BT_TIMEOUT_MS));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EPROTO, ee.param);
	bt_close(&p);
}

TEST_F(binder, pending_error_stops_write)
{
	struct binder_transaction_data tr;
	struct bt_rets r;
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr(&tr, 0, 1, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd(&c, BC_EXIT_LOOPER);
	ASSERT_EQ(0, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	/* The failed transaction leaves an error pending: the rest is not processed. */
	ASSERT_EQ(4 + sizeof(tr), wc);
	/* Nothing is processed until the error is read. */
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	wc = 99;
	ASSERT_EQ(0, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	bt_rets_init(&r);
	ASSERT_EQ(0, bt_read(p.fd, &r, BT_TIMEOUT_MS));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(4, wc);
	bt_close(&p);
}

TEST_F(binder, write_and_read_in_one_call)
{
	struct binder_transaction_data tr;
	uint32_t rbuf[32];
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 0, rc = 0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(8, bt_version(p.fd));
	bt_tr(&tr, 0, 1, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ASSERT_EQ(0, bt_wr(p.fd, c.buf, c.len, &wc, rbuf, sizeof(rbuf), &rc,
			   BT_TIMEOUT_MS));
	ASSERT_EQ(c.len, wc);
	ASSERT_EQ(8, rc);
	ASSERT_EQ(BR_NOOP, rbuf[0]);
	ASSERT_EQ(BR_DEAD_REPLY, rbuf[1]);
	bt_close(&p);
}

TEST_F(binder, unknown_refs_and_buffers_ignored)
{
	struct bt_proc p;
	struct bt_cmds c;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_INCREFS, 42);
	bt_cmd_u32(&c, BC_ACQUIRE, 42);
	bt_cmd_u32(&c, BC_RELEASE, 42);
	bt_cmd_u32(&c, BC_DECREFS, 42);
	bt_cmd_u32(&c, BC_ACQUIRE, 0);	/* no context manager */
	bt_cmd_u32(&c, BC_INCREFS, 0);
	bt_cmd_ptr_cookie(&c, BC_INCREFS_DONE, 0x1000, 0x2000);
	bt_cmd_ptr_cookie(&c, BC_ACQUIRE_DONE, 0x1000, 0x2000);
	bt_cmd_u64(&c, BC_FREE_BUFFER, 0);
	bt_cmd_u64(&c, BC_FREE_BUFFER, (uintptr_t)p.map);
	bt_cmd_u64(&c, BC_FREE_BUFFER, (uintptr_t)p.map + 4096);
	bt_cmd_handle_cookie(&c, BC_REQUEST_DEATH_NOTIFICATION, 42, 0x77);
	bt_cmd_handle_cookie(&c, BC_CLEAR_DEATH_NOTIFICATION, 42, 0x77);
	bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, 0x77);
	/* All consumed, all ignored: no error, nothing to read. */
	ASSERT_EQ(0, bt_send(p.fd, &c));
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	bt_close(&p);
}

TEST_F(binder, enable_oneway_spam_detection_ioctl)
{
	uint32_t on = 1, off = 0;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION, &on));
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION, &off));
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION,
				    (void *)8));
	bt_close(&p);
}

TEST_F(binder, freeze_info_unknown_pid_einval)
{
	struct binder_frozen_status_info fi;
	struct binder_freeze_info fz;
	struct bt_proc p;
	pid_t pid;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* A process without a binder fd. */
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(p.fd);
		pause();
		_exit(0);
	}
	memset(&fz, 0, sizeof(fz));
	fz.pid = pid;
	fz.enable = 1;
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_FREEZE, &fz));
	memset(&fi, 0, sizeof(fi));
	fi.pid = pid;
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_GET_FROZEN_INFO, &fi));
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_FREEZE, (void *)8));
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_GET_FROZEN_INFO, (void *)8));
	bt_kill(pid);
	bt_close(&p);
}

TEST_F(binder, freeze_info_self)
{
	struct binder_frozen_status_info fi;
	struct binder_freeze_info fz;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	memset(&fi, 0xff, sizeof(fi));
	fi.pid = getpid();
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_FROZEN_INFO, &fi));
	ASSERT_EQ(getpid(), fi.pid);
	ASSERT_EQ(0, fi.sync_recv);
	ASSERT_EQ(0, fi.async_recv);
	/* Freeze and unfreeze ourselves (no transactions pending). */
	memset(&fz, 0, sizeof(fz));
	fz.pid = getpid();
	fz.enable = 1;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_FREEZE, &fz));
	fz.enable = 0;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_FREEZE, &fz));
	bt_close(&p);
}

TEST_F(binder, exit_of_fd_sharing_child_wakes_reader)
{
	uint32_t buf[16];
	struct bt_proc p;
	size_t rc = 0;
	pid_t pid;
	long t0;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_enter_looper(p.fd));	/* also clears "need return" */
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		bt_msleep(300);
		_exit(0);	/* closing the inherited fd flushes the binder_proc */
	}
	/* The flush makes the blocked read return with only BR_NOOP. */
	t0 = bt_now_ms();
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, buf, sizeof(buf), &rc, 8000));
	ASSERT_LT(bt_now_ms() - t0, 7000);
	ASSERT_EQ(4, rc);
	ASSERT_EQ(BR_NOOP, buf[0]);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_close(&p);
}

TEST_HARNESS_MAIN
