// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: hostile and oversized input. BINDER_WRITE_READ with
 * consumed counts beyond the sizes and buffers at the top of the address
 * space, a read buffer whose copy faults half-way, huge reference counts,
 * hundreds of thousands of commands / death notifications / fds in one
 * call, tens of thousands of refs printed by binder_logs, TF_UPDATE_TXN
 * and fd-install failures on one-ways and replies. Every expectation is
 * what the C driver (drivers/android/binder.c, Linux 6.12) answers; a
 * driver must neither crash, WARN nor leak on any of it.
 *
 * binder_thread_write()/binder_thread_read() work on raw user pointers:
 * ptr = buffer + consumed, end = buffer + size, the loops run while
 * ptr < end (write) or while end - ptr >= 4 + sizeof(binder_transaction_data_secctx)
 * as a *size_t* (read), with wrapping pointer arithmetic (the kernel is
 * built with -fno-strict-overflow). So a read_consumed beyond read_size
 * makes end - ptr negative, i.e. huge: the C driver writes returns past
 * read_size (at buffer + read_consumed); a write buffer whose end wraps
 * past 2^64 executes nothing. put_user()/get_user() outside the user
 * address space fail with EFAULT.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <sys/resource.h>

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
#define PAGE 4096

/* ---- helpers -------------------------------------------------------- */

static int raw_wr(int fd, struct binder_write_read *bwr)
{
	return ioctl(fd, BINDER_WRITE_READ, bwr) < 0 ? -errno : 0;
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
#define SC_CODE(code, val) ((int64_t)((uint64_t)(code) << 32 | (uint32_t)(val)))

static int node_info(int fd, uint32_t handle, uint32_t *strong, uint32_t *weak)
{
	struct binder_node_info_for_ref info;
	int ret;

	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ret = bt_ioctl(fd, BINDER_GET_NODE_INFO_FOR_REF, &info);
	if (!ret) {
		*strong = info.strong_count;
		*weak = info.weak_count;
	}
	return ret;
}

/* Wait until fd has something to read (no read). */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret == 1 ? 0 : ret == 0 ? -ETIMEDOUT : -errno;
}

/*
 * 1 if the read end rfd sees EOF within timeout_ms (every write end is
 * closed), 0 if it stays empty, -errno on errors.
 */
static int pipe_eof(int rfd, int timeout_ms)
{
	struct pollfd pfd = { .fd = rfd, .events = POLLIN };
	char c;
	int ret;

	ret = poll(&pfd, 1, timeout_ms);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return 0;
	ret = read(rfd, &c, 1);
	if (ret < 0)
		return -errno;
	return ret == 0 ? 1 : -EPROTO;
}

/* A one-way BC_TRANSACTION to handle 0 with a u32 payload. */
static void cmd_oneway(struct bt_cmds *c, struct bt_parcel *pc, uint32_t val)
{
	struct binder_transaction_data tr;

	bt_parcel_init(pc);
	bt_p_u32(pc, val);
	bt_tr(&tr, 0, BT_CODE_REPORT, TF_ONE_WAY, pc);
	bt_cmd_txn(c, BC_TRANSACTION, &tr);
}

static void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static bool is_sync_terminal(uint32_t cmd)
{
	return cmd == BR_REPLY || cmd == BR_DEAD_REPLY ||
	       cmd == BR_FAILED_REPLY || cmd == BR_FROZEN_REPLY ||
	       cmd == BR_ERROR;
}

/*
 * Send one transaction and read (each read bounded by timeout_ms) until
 * its outcome (as bt_call_tr(), with a longer limit for the big cases).
 */
static int call_wait(int fd, uint32_t cmd, const struct binder_transaction_data *tr,
		     uint64_t bufsize, struct bt_rets *r, int timeout_ms)
{
	bool oneway = tr->flags & TF_ONE_WAY;
	struct bt_cmds c;
	int ret, i;

	bt_cmds_init(&c);
	if (cmd == BC_TRANSACTION_SG || cmd == BC_REPLY_SG)
		bt_cmd_txn_sg(&c, cmd, tr, bufsize);
	else
		bt_cmd_txn(&c, cmd, tr);
	ret = bt_send(fd, &c);
	if (ret)
		return ret;
	for (;;) {
		int start = r->n;

		ret = bt_read(fd, r, timeout_ms);
		if (ret)
			return ret;
		for (i = start; i < r->n; i++) {
			uint32_t br = r->r[i].cmd;

			if (is_sync_terminal(br) ||
			    (oneway && (br == BR_TRANSACTION_COMPLETE ||
					br == BR_TRANSACTION_PENDING_FROZEN)))
				return (int)br;
		}
	}
}

/*
 * Drain what is pending for the calling thread with nonblocking reads;
 * 0 if the reads returned nothing but BR_NOOP / only the commands in
 * allowed (a 0-terminated list), -EPROTO otherwise.
 */
static int drain_only(int fd, const uint32_t *allowed)
{
	int i, j, ret, rounds;

	for (rounds = 0; rounds < 16; rounds++) {
		struct bt_rets r;

		bt_rets_init(&r);
		ret = bt_read_nb(fd, &r);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
		for (i = 0; i < r.n; i++) {
			bool ok = r.r[i].cmd == BR_NOOP;

			for (j = 0; allowed && allowed[j] && !ok; j++)
				ok = r.r[i].cmd == allowed[j];
			if (!ok) {
				fprintf(stderr, "# unexpected %s\n",
					bt_br_name(r.r[i].cmd));
				return -EPROTO;
			}
		}
	}
	return -EPROTO;
}

static const uint32_t only_tc[] = { BR_TRANSACTION_COMPLETE, 0 };

/*
 * The C driver does not reschedule inside one BINDER_WRITE_READ, and the
 * test kernel is PREEMPT_NONE with softlockup_panic: the biggest single
 * system calls here keep a CPU busy for about the 20 s soft-lockup limit
 * under QEMU TCG (8 MiB of death commands: 18-23 s for C; reading a 7 MB
 * binder_logs/state, printed by one show() call per buffer size tried:
 * over 20 s). Those cases raise kernel.watchdog_thresh to its maximum
 * (lockup reported after 120 s) while they run; the fixture teardown puts
 * it back.
 */
#define WATCHDOG_THRESH "/proc/sys/kernel/watchdog_thresh"
static int watchdog_saved = -1;

static int sysctl_rw(const char *path, int set, int *old)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n <= 0) {
			close(fd);
			return -EIO;
		}
		buf[n] = '\0';
		*old = atoi(buf);
	}
	n = snprintf(buf, sizeof(buf), "%d\n", set);
	if (pwrite(fd, buf, n, 0) != n) {
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

static int relax_watchdog(void)
{
	if (watchdog_saved >= 0)
		return 0;
	return sysctl_rw(WATCHDOG_THRESH, 60, &watchdog_saved);
}

static void restore_watchdog(void)
{
	if (watchdog_saved >= 0)
		sysctl_rw(WATCHDOG_THRESH, watchdog_saved, NULL);
	watchdog_saved = -1;
}

/* Set the RLIMIT_NOFILE soft limit so that n more fds fit; old limit in *old. */
static int limit_fds(unsigned int n, struct rlimit *old)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, old))
		return -errno;
	rl = *old;
	rl.rlim_cur = bt_lowest_free_fd() + n;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/*
 * Parse a raw read stream (any length): counts per command, the cookies
 * of BR_CLEAR_DEATH_NOTIFICATION_DONE in order, the last transaction.
 */
struct scan {
	size_t noop, clear_done, increfs, acquire, other;
	uint64_t next_cookie;	/* expected next CLEAR_DONE cookie */
	size_t cookie_errors;
	uint32_t terminal;	/* last REPLY/FAILED_REPLY/DEAD_REPLY/... */
	struct binder_transaction_data tr;
};

static int scan_stream(const void *buf, size_t len, struct scan *s)
{
	const uint8_t *p = buf, *end = p + len;

	while (p < end) {
		uint32_t cmd;
		int size;

		if (end - p < 4)
			return -EPROTO;
		memcpy(&cmd, p, 4);
		p += 4;
		size = bt_br_size(cmd);
		if (size < 0 || end - p < size)
			return -EPROTO;
		switch (cmd) {
		case BR_NOOP:
			s->noop++;
			break;
		case BR_CLEAR_DEATH_NOTIFICATION_DONE: {
			uint64_t cookie;

			memcpy(&cookie, p, 8);
			if (cookie != s->next_cookie)
				s->cookie_errors++;
			s->next_cookie = cookie + 1;
			s->clear_done++;
			break;
		}
		case BR_INCREFS:
			s->increfs++;
			break;
		case BR_ACQUIRE:
			s->acquire++;
			break;
		case BR_TRANSACTION_COMPLETE:
			break;
		case BR_REPLY:
		case BR_TRANSACTION:
			memcpy(&s->tr, p, sizeof(s->tr));
			s->terminal = cmd;
			break;
		default:
			if (is_sync_terminal(cmd))
				s->terminal = cmd;
			else
				s->other++;
			break;
		}
		p += size;
	}
	return 0;
}

/*
 * A helper process that runs one transaction for the test: a caller
 * (sends when told "go", reads until the outcome) or a replier (becomes
 * context manager of path, answers the first call with cmd/tr, reads
 * until its own outcome). The outcome goes to shared memory.
 */
struct peer_res {
	int ret;		/* terminal BR code (as int) or -errno */
	uint32_t ee_cmd;
	int32_t ee_param;
	char seq[512];
};

struct peer {
	pid_t pid;
	struct bt_chan ch;
	struct peer_res *res;
};

struct peer_job {
	bool replier;
	const char *path;
	uint32_t cm_flags;	/* replier: SET_CONTEXT_MGR_EXT node flags */
	uint32_t cmd;
	const struct binder_transaction_data *tr;
	uint64_t bufsize;
	int close_fd;		/* closed after the transaction (-1: none) */
	int timeout_ms;		/* per read; 0: BT_TIMEOUT_MS */
};

static void peer_main(struct peer *s, const struct peer_job *j)
{
	int tmo = j->timeout_ms ? j->timeout_ms : BT_TIMEOUT_MS;
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;
	uint64_t v;
	int ret, from = 0;

	bt_chan_child(&s->ch);
	alarm(300);
	BT_CHECK_EQ(bt_open(j->path, BT_MAP_SIZE, &p), 0);
	if (j->replier) {
		BT_CHECK_EQ(bt_set_cm_ext(p.fd, 0, 0, j->cm_flags), 0);
		BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	}
	BT_CHECK_EQ(bt_tell_parent(&s->ch, 0), 0);
	bt_rets_init(&r);
	if (j->replier) {
		struct bt_cmds c;
		int idx;

		idx = bt_read_until(p.fd, &r, BR_TRANSACTION, 0, tmo);
		BT_CHECK(idx >= 0);
		from = r.n;
		bt_cmds_init(&c);
		bt_cmd_u64(&c, BC_FREE_BUFFER, r.r[idx].tr.data.ptr.buffer);
		if (j->cmd == BC_REPLY_SG)
			bt_cmd_txn_sg(&c, j->cmd, j->tr, j->bufsize);
		else
			bt_cmd_txn(&c, j->cmd, j->tr);
		BT_CHECK_EQ(bt_send(p.fd, &c), 0);
		idx = bt_read_until(p.fd, &r, BR_TRANSACTION_COMPLETE,
				    BT_ANY_TERMINAL, tmo);
		ret = idx < 0 ? idx : (int)r.r[idx].cmd;
	} else {
		BT_CHECK_EQ(bt_hear_parent(&s->ch, &v, 120000), 0);
		ret = call_wait(p.fd, j->cmd, j->tr, j->bufsize, &r, tmo);
		if (ret == (int)BR_REPLY)
			bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer);
	}
	if (j->close_fd >= 0)
		close(j->close_fd);
	BT_CHECK_EQ(bt_get_ee(p.fd, &ee), 0);
	s->res->ret = ret;
	s->res->ee_cmd = ee.command;
	s->res->ee_param = ee.param;
	snprintf(s->res->seq, sizeof(s->res->seq), "%s", bt_seq(&r, from));
	/*
	 * Stay alive until told: our exit closes our copies of the parent's
	 * binder fds, and such a flush makes the parent's next read return
	 * a bare BR_NOOP.
	 */
	BT_CHECK_EQ(bt_tell_parent(&s->ch, 2), 0);
	bt_hear_parent(&s->ch, &v, 600000);
	_exit(0);
}

static int peer_start(struct peer *s, const struct peer_job *j)
{
	uint64_t v;
	int ret;

	s->res = shared_alloc(sizeof(*s->res));
	if (!s->res)
		return -ENOMEM;
	memset(s->res, 0, sizeof(*s->res));
	s->res->ret = -ENODATA;
	ret = bt_chan_init(&s->ch);
	if (ret)
		return ret;
	s->pid = bt_fork();
	if (s->pid < 0)
		return -errno;
	if (s->pid == 0)
		peer_main(s, j);
	bt_chan_parent(&s->ch);
	return bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
}

static int peer_go(struct peer *s)
{
	return bt_tell_child(&s->ch, 1);
}

/* Wait for the peer's outcome (*out); the peer stays until peer_finish(). */
static int peer_outcome(struct peer *s, struct peer_res *out, int timeout_ms)
{
	uint64_t v;
	int ret = bt_hear_child(&s->ch, &v, timeout_ms);

	*out = *s->res;
	return ret;
}

/* Let the peer exit and reap it: its exit status. */
static int peer_finish(struct peer *s)
{
	int ret;

	bt_chan_close(&s->ch);
	ret = bt_wait(s->pid, BT_TIMEOUT_MS);
	munmap(s->res, sizeof(*s->res));
	return ret;
}

/* ==== 1-3, 5a: B (the test process) and a report service A ========== */

FIXTURE(hostile) {
	struct bt_dev dev;
	pid_t srv;		/* report service, context manager */
	struct bt_proc p;	/* B */
	struct bt_rets r;
};

/*
 * Forked helpers live 300 s here, not 60: the 8 MiB write alone takes
 * ~50 s under TCG with kmemleak on.
 */
static void __attribute__((constructor)) slow_helpers(void)
{
	bt_child_alarm_s = 300;
}

FIXTURE_SETUP(hostile)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	self->srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(self->srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
}

FIXTURE_TEARDOWN(hostile)
{
	if (self->srv > 0)
		bt_kill(self->srv);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
	restore_watchdog();
}

/*
 * After a hostile call: B still works. A sync call reaches A, which has
 * served txn_count transactions by then (so the one-ways of the hostile
 * writes that were executed were delivered).
 */
static int follow_up_call(int fd, uint32_t txn_count)
{
	struct bt_report rep;
	int ret;

	ret = bt_set_nonblock(fd, false);
	if (ret)
		return ret;
	ret = bt_call_report(fd, 0, BT_CODE_REPORT, 0, NULL, &rep, NULL, 0,
			     NULL);
	if (ret != (int)BR_REPLY)
		return -EPROTO;
	if (rep.txn_count != txn_count) {
		fprintf(stderr, "# txn_count %u, expected %u\n", rep.txn_count,
			txn_count);
		return -EPROTO;
	}
	return 0;
}

TEST_F(hostile, read_consumed_past_read_size_writes_past_it)
{
	struct binder_write_read bwr;
	struct bt_parcel pc;
	struct bt_cmds c;
	uint8_t *buf;
	size_t i;

	buf = calloc(1, PAGE);
	ASSERT_NE(NULL, buf);
	bt_cmds_init(&c);
	cmd_oneway(&c, &pc, 1);
	/*
	 * read_size 8, read_consumed 64, a one-way's TRANSACTION_COMPLETE
	 * queued by the write half: C sees end - ptr = -56, i.e. huge as a
	 * size_t, so it writes BR_TRANSACTION_COMPLETE at buffer + 64 (past
	 * read_size; the real buffer is 4 KiB) and returns 0.
	 */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = c.len;
	bwr.read_buffer = (uintptr_t)buf;
	bwr.read_size = 8;
	bwr.read_consumed = 64;
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(c.len, bwr.write_consumed);
	ASSERT_EQ(8, bwr.read_size);
	/* No BR_NOOP (read_consumed != 0): nothing below buffer + 64. */
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, buf[i]);
	/* (read_consumed is 68 on C; a driver may as well read nothing.) */
	ASSERT_EQ(0, drain_only(self->p.fd, only_tc));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 2));
	free(buf);
}

TEST_F(hostile, read_consumed_huge_efault)
{
	struct binder_write_read bwr;
	struct bt_parcel pc;
	struct bt_cmds c;
	uint8_t *buf;

	buf = calloc(1, PAGE);
	ASSERT_NE(NULL, buf);
	bt_cmds_init(&c);
	cmd_oneway(&c, &pc, 1);
	/*
	 * read_consumed 2^62: buffer + 2^62 is outside the user address
	 * space; with work queued C tries to put the return there: EFAULT
	 * (after the write half was done).
	 */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = c.len;
	bwr.read_buffer = (uintptr_t)buf;
	bwr.read_size = 8;
	bwr.read_consumed = 1ULL << 62;
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	ASSERT_EQ(-EFAULT, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(c.len, bwr.write_consumed);
	ASSERT_EQ(1ULL << 62, bwr.read_consumed);
	ASSERT_EQ(0, buf[0]);
	/* C dropped the TRANSACTION_COMPLETE it could not write. */
	ASSERT_EQ(0, drain_only(self->p.fd, only_tc));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 2));
	free(buf);
}

TEST_F(hostile, read_size_zero_with_consumed_reads_nothing)
{
	struct binder_write_read bwr;
	struct bt_parcel pc;
	struct bt_cmds c;
	uint8_t *buf;

	buf = calloc(1, PAGE);
	ASSERT_NE(NULL, buf);
	bt_cmds_init(&c);
	cmd_oneway(&c, &pc, 1);
	/* read_size 0: the read half is skipped whatever read_consumed says. */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = c.len;
	bwr.read_buffer = (uintptr_t)buf;
	bwr.read_size = 0;
	bwr.read_consumed = 1ULL << 40;
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(c.len, bwr.write_consumed);
	ASSERT_EQ(1ULL << 40, bwr.read_consumed);
	ASSERT_EQ(0, buf[0]);
	/* Same with read_consumed 2^64 - 1 and a wild read_buffer. */
	memset(&bwr, 0, sizeof(bwr));
	bwr.read_buffer = 0xfffffffffffffff0ULL;
	bwr.read_consumed = UINT64_MAX;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(UINT64_MAX, bwr.read_consumed);
	/* The TRANSACTION_COMPLETE is still there for a normal read. */
	bt_rets_init(&self->r);
	ASSERT_EQ(0, bt_read_nb(self->p.fd, &self->r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&self->r, 0));
	ASSERT_EQ(0, drain_only(self->p.fd, NULL));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 2));
	free(buf);
}

TEST_F(hostile, write_buffer_at_top_of_address_space)
{
	struct binder_write_read bwr;
	uint8_t rbuf[256];
	size_t i;

	/* 0xfffffffffffffff0 + 8 does not wrap: get_user() fails, EFAULT,
	 * nothing consumed and the read half is skipped. */
	memset(rbuf, 0xa5, sizeof(rbuf));
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = 0xfffffffffffffff0ULL;
	bwr.write_size = 8;
	bwr.read_buffer = (uintptr_t)rbuf;
	bwr.read_size = sizeof(rbuf);
	bwr.read_consumed = 0;
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	ASSERT_EQ(-EFAULT, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(0, bwr.write_consumed);
	ASSERT_EQ(0, bwr.read_consumed);
	for (i = 0; i < sizeof(rbuf); i++)
		ASSERT_EQ(0xa5, rbuf[i]);

	/*
	 * UINT64_MAX - 3 + 8 wraps to 4: ptr < end is false from the start,
	 * nothing is executed, 0 (and the read half runs).
	 */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = UINT64_MAX - 3;
	bwr.write_size = 8;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(0, bwr.write_consumed);
	/* 0xfffffffffffffff0 + 16 wraps to exactly 0: the same. */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = 0xfffffffffffffff0ULL;
	bwr.write_size = 16;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(0, bwr.write_consumed);
	/* A wrapping write buffer with a read half: the read is done. */
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = UINT64_MAX - 3;
	bwr.write_size = 8;
	bwr.read_buffer = (uintptr_t)rbuf;
	bwr.read_size = sizeof(rbuf);
	ASSERT_EQ(-EAGAIN, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(0, bwr.write_consumed);
	ASSERT_EQ(0, bwr.read_consumed);
	ASSERT_EQ(0, drain_only(self->p.fd, NULL));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 1));
}

TEST_F(hostile, write_consumed_past_write_size_executes_nothing)
{
	struct binder_write_read bwr;
	struct bt_parcel pc1, pc2;
	struct bt_cmds c;
	size_t first;

	/* Two one-ways; write_size covers the first, write_consumed points at the second. */
	bt_cmds_init(&c);
	cmd_oneway(&c, &pc1, 1);
	first = c.len;
	bt_cmd_u32(&c, BC_ACQUIRE, 0);	/* 8 bytes in between */
	cmd_oneway(&c, &pc2, 2);
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = first;
	bwr.write_consumed = first + 8;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(first + 8, bwr.write_consumed);
	/* Far beyond (the pointer leaves the address space): the same. */
	bwr.write_consumed = 1ULL << 62;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(1ULL << 62, bwr.write_consumed);
	/* write_consumed == write_size: nothing to do either. */
	bwr.write_consumed = first;
	ASSERT_EQ(0, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(first, bwr.write_consumed);
	/* Nothing was executed: no TRANSACTION_COMPLETE, nothing delivered. */
	ASSERT_EQ(0, drain_only(self->p.fd, NULL));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 1));
}

TEST_F(hostile, read_buffer_at_top_of_address_space_efault)
{
	struct binder_write_read bwr;
	struct bt_parcel pc;
	struct bt_cmds c;

	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	/* read_consumed 0: the leading BR_NOOP can't be written: EFAULT. */
	memset(&bwr, 0, sizeof(bwr));
	bwr.read_buffer = 0xfffffffffffffff0ULL;
	bwr.read_size = 256;
	ASSERT_EQ(-EFAULT, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(0, bwr.read_consumed);
	/*
	 * The same after a write half that queued a TRANSACTION_COMPLETE:
	 * the write is done, the read fails at the BR_NOOP, before any work
	 * is taken: the TRANSACTION_COMPLETE is still there afterwards.
	 */
	bt_cmds_init(&c);
	cmd_oneway(&c, &pc, 1);
	memset(&bwr, 0, sizeof(bwr));
	bwr.write_buffer = (uintptr_t)c.buf;
	bwr.write_size = c.len;
	bwr.read_buffer = 0xfffffffffffffff0ULL;
	bwr.read_size = 256;
	ASSERT_EQ(-EFAULT, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(c.len, bwr.write_consumed);
	ASSERT_EQ(0, bwr.read_consumed);
	bt_rets_init(&self->r);
	ASSERT_EQ(0, bt_read_nb(self->p.fd, &self->r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&self->r, 0));
	ASSERT_EQ(0, drain_only(self->p.fd, NULL));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 2));
}

TEST_F(hostile, read_pointer_wrapping_to_low_address_efault)
{
	struct binder_write_read bwr;
	struct bt_parcel pc;
	struct bt_cmds c;

	bt_cmds_init(&c);
	cmd_oneway(&c, &pc, 1);
	ASSERT_EQ(0, bt_send(self->p.fd, &c));
	/*
	 * 0xfffffffffffffff0 + 32 wraps to 0x10 (end to 0xf0): no BR_NOOP,
	 * end - ptr = 224 leaves room, the TRANSACTION_COMPLETE goes to the
	 * unmapped address 0x10: EFAULT.
	 */
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	memset(&bwr, 0, sizeof(bwr));
	bwr.read_buffer = 0xfffffffffffffff0ULL;
	bwr.read_size = 256;
	bwr.read_consumed = 32;
	ASSERT_EQ(-EFAULT, raw_wr(self->p.fd, &bwr));
	ASSERT_EQ(32, bwr.read_consumed);
	/* (C dropped the TRANSACTION_COMPLETE.) */
	ASSERT_EQ(0, drain_only(self->p.fd, only_tc));
	ASSERT_EQ(0, follow_up_call(self->p.fd, 2));
}

/*
 * 5a: 2^18 BC_REQUEST_DEATH_NOTIFICATION + BC_CLEAR_DEATH_NOTIFICATION
 * pairs on one handle in a single 8 MiB write: every clear queues a
 * BR_CLEAR_DEATH_NOTIFICATION_DONE for the (looper) thread.
 */
#define DEATH_PAIRS (1 << 18)

TEST_F_TIMEOUT(hostile, death_request_clear_pairs_in_one_write, 150)
{
	long t0 = bt_now_ms();
	struct binder_handle_cookie hc;
	size_t wsize = (size_t)DEATH_PAIRS * 32, wc = 0, rsize = 1 << 20;
	struct scan s;
	uint8_t *w, *rbuf, *q;
	uint32_t cmd;
	size_t i;
	int ret, reads = 0;

	ASSERT_EQ(0, relax_watchdog());
	ASSERT_EQ(0, bt_enter_looper(self->p.fd));
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_ACQUIRE, 0));
	w = malloc(wsize);
	rbuf = malloc(rsize);
	ASSERT_NE(NULL, w);
	ASSERT_NE(NULL, rbuf);
	for (i = 0, q = w; i < DEATH_PAIRS; i++) {
		hc.handle = 0;
		hc.cookie = i;
		cmd = BC_REQUEST_DEATH_NOTIFICATION;
		memcpy(q, &cmd, 4);
		memcpy(q + 4, &hc, sizeof(hc));
		cmd = BC_CLEAR_DEATH_NOTIFICATION;
		memcpy(q + 16, &cmd, 4);
		memcpy(q + 20, &hc, sizeof(hc));
		q += 32;
	}
	ASSERT_EQ(16, 4 + sizeof(hc));
	ASSERT_EQ(0, bt_wr(self->p.fd, w, wsize, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(wsize, wc);
	TH_LOG("written after %ld ms", bt_now_ms() - t0);
	free(w);
	/* Read them all (nonblocking, 1 MiB at a time), in order. */
	memset(&s, 0, sizeof(s));
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, true));
	for (;;) {
		size_t rc = 0;

		ret = bt_wr(self->p.fd, NULL, 0, NULL, rbuf, rsize, &rc, 0);
		if (ret == -EAGAIN)
			break;
		ASSERT_EQ(0, ret);
		ASSERT_LE(rc, rsize);
		ASSERT_EQ(0, scan_stream(rbuf, rc, &s));
		ASSERT_LT(++reads, 10000);
	}
	ASSERT_EQ(DEATH_PAIRS, s.clear_done);
	ASSERT_EQ(0, s.cookie_errors);
	ASSERT_EQ(DEATH_PAIRS, s.next_cookie);
	ASSERT_EQ(0, s.other);
	ASSERT_EQ(0, s.increfs + s.acquire);
	ASSERT_EQ(0, s.terminal);
	ASSERT_EQ(0, bt_set_nonblock(self->p.fd, false));
	/* The ref is still usable: one more pair works. */
	ASSERT_EQ(0, bt_send_handle_cookie(self->p.fd,
					   BC_REQUEST_DEATH_NOTIFICATION, 0, 7));
	ASSERT_EQ(0, bt_send_handle_cookie(self->p.fd,
					   BC_CLEAR_DEATH_NOTIFICATION, 0, 7));
	bt_rets_init(&self->r);
	ASSERT_EQ(0, bt_read_nb(self->p.fd, &self->r));
	ASSERT_STREQ("CLEAR_DEATH_NOTIFICATION_DONE", bt_seq(&self->r, 0));
	ASSERT_EQ(7, self->r.r[bt_find(&self->r, BR_CLEAR_DEATH_NOTIFICATION_DONE, 0)].cookie);
	ASSERT_EQ(0, bt_send_u32(self->p.fd, BC_RELEASE, 0));
	free(rbuf);
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

/* ==== 4, 5b, 6, 8: the test process is the context manager ========= */

FIXTURE(recv) {
	struct bt_dev dev;
	struct bt_proc cm;	/* ACCEPTS_FDS, 4 MiB mapping */
	struct bt_rets r;
};

FIXTURE_SETUP(recv)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAX_MAP, &self->cm));
	ASSERT_EQ(0, bt_set_cm_ext(self->cm.fd, 0, 0,
				   FLAT_BINDER_FLAG_ACCEPTS_FDS));
	ASSERT_EQ(0, bt_enter_looper(self->cm.fd));
}

FIXTURE_TEARDOWN(recv)
{
	bt_close(&self->cm);
	bt_dev_destroy(&self->dev);
	restore_watchdog();
}

/* n commands "cmd arg" in writes of 50000 (400 KB) each. */
static int write_many(int fd, uint32_t cmd, uint32_t arg, size_t n)
{
	size_t chunk = 50000, done = 0, i;
	uint32_t *buf = malloc(chunk * 8);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	for (i = 0; i < chunk; i++) {
		buf[2 * i] = cmd;
		buf[2 * i + 1] = arg;
	}
	while (done < n) {
		size_t k = n - done < chunk ? n - done : chunk, wc = 0;

		ret = bt_wr(fd, buf, k * 8, &wc, NULL, 0, NULL, 0);
		if (ret)
			break;
		if (wc != k * 8) {
			ret = -EPROTO;
			break;
		}
		done += k;
	}
	free(buf);
	return ret;
}

/*
 * 4: one ref incremented 200000 times (weak and strong), then decremented
 * as often. GET_NODE_INFO_FOR_REF reports the *node's* counts (local +
 * internal strong refs, local weak refs), so it stays {1, 0} throughout;
 * the ref's own counts show in when the node owner hears about it: only
 * the last BC_RELEASE (strong 200001 -> 0) gives it BR_RELEASE, only the
 * last BC_DECREFS BR_DECREFS. (The counts are u32/int in C; wrapping them
 * would take 2^32 commands, far too many for QEMU TCG.)
 */
#define NREFS 200000

/* Ask the owner what is pending for it (its returns, NOOPs left out). */
static const char *owner_sees(struct bt_chan *ch, const char *shm)
{
	uint64_t v;

	if (bt_tell_child(ch, 1) || bt_hear_child(ch, &v, 2 * BT_TIMEOUT_MS))
		return "(owner did not answer)";
	return shm;
}

TEST_F_TIMEOUT(recv, refcount_200000_increments_and_back, 120)
{
	long t0 = bt_now_ms();
	struct binder_transaction_data *tr;
	struct flat_binder_object *fp;
	uint32_t strong = 0, weak = 0;
	struct bt_chan ch;
	char *shm;
	uint64_t v;
	pid_t pid;
	int idx;

	shm = shared_alloc(PAGE);
	ASSERT_NE(NULL, shm);
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_parcel pc;
		struct bt_rets cr;
		struct bt_proc c;

		bt_chan_child(&ch);
		alarm(300);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		bt_parcel_init(&pc);
		bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
		bt_rets_init(&cr);
		BT_CHECK_EQ(bt_call(c.fd, 0, 1, 0, &pc, &cr), BR_REPLY);
		BT_CHECK_STR(bt_seq(&cr, 0),
			     "INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY");
		BT_CHECK_EQ(bt_free_buffer(c.fd, bt_last_tr(&cr)->data.ptr.buffer), 0);
		BT_CHECK_EQ(bt_ack_refs(c.fd, &cr, 0), 0);
		BT_CHECK_EQ(bt_enter_looper(c.fd), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 1), 0);
		/* On request: what is pending for the owner now. */
		for (;;) {
			int ret;

			BT_CHECK_EQ(bt_hear_parent(&ch, &v, 250000), 0);
			if (!v)
				_exit(0);
			bt_rets_init(&cr);
			ret = bt_idle(c.fd, &cr);
			BT_CHECK(ret >= 0);
			snprintf(shm, PAGE, "%s", ret ? bt_seq(&cr, 0) : "");
			BT_CHECK_EQ(bt_tell_parent(&ch, 2), 0);
		}
	}
	bt_chan_parent(&ch);
#define OWNER_SEES() owner_sees(&ch, shm)
#define NODE_INFO_IS(s, w) do {						\
	ASSERT_EQ(0, node_info(self->cm.fd, 1, &strong, &weak));	\
	ASSERT_EQ(s, strong);						\
	ASSERT_EQ(w, weak);						\
} while (0)

	bt_rets_init(&self->r);
	idx = bt_read_until(self->cm.fd, &self->r, BR_TRANSACTION, 0,
			    BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	tr = &self->r.r[idx].tr;
	fp = bt_data(tr);
	ASSERT_EQ(BINDER_TYPE_HANDLE, fp->hdr.type);
	ASSERT_EQ(1, fp->handle);
	/* Our ref: strong 1 beyond the buffer. */
	ASSERT_EQ(0, bt_send_u32(self->cm.fd, BC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, tr->data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	NODE_INFO_IS(1, 0);
	ASSERT_STREQ("", OWNER_SEES());

	ASSERT_EQ(0, write_many(self->cm.fd, BC_INCREFS, 1, NREFS));
	ASSERT_EQ(0, write_many(self->cm.fd, BC_ACQUIRE, 1, NREFS));
	/* ref: strong 200001, weak 200000; the node still has one ref. */
	NODE_INFO_IS(1, 0);
	ASSERT_STREQ("", OWNER_SEES());
	ASSERT_EQ(0, write_many(self->cm.fd, BC_RELEASE, 1, NREFS));
	NODE_INFO_IS(1, 0);
	ASSERT_EQ(0, write_many(self->cm.fd, BC_DECREFS, 1, NREFS - 1));
	/* ref: strong 1, weak 1 */
	NODE_INFO_IS(1, 0);
	ASSERT_STREQ("", OWNER_SEES());
	/* The last strong count: the owner gets BR_RELEASE (the ref stays, weak). */
	ASSERT_EQ(0, bt_send_u32(self->cm.fd, BC_RELEASE, 1));
	ASSERT_EQ(-EINVAL, node_info(self->cm.fd, 1, &strong, &weak));
	ASSERT_STREQ("RELEASE", OWNER_SEES());
	/* BC_ACQUIRE on the weak-only ref is ignored. */
	ASSERT_EQ(0, bt_send_u32(self->cm.fd, BC_ACQUIRE, 1));
	ASSERT_EQ(-EINVAL, node_info(self->cm.fd, 1, &strong, &weak));
	/* The last weak count: the ref goes, the owner gets BR_DECREFS. */
	ASSERT_EQ(0, bt_send_u32(self->cm.fd, BC_DECREFS, 1));
	ASSERT_EQ(-EINVAL, node_info(self->cm.fd, 1, &strong, &weak));
	ASSERT_STREQ("DECREFS", OWNER_SEES());
	/* Further commands on the gone handle are ignored. */
	ASSERT_EQ(0, write_many(self->cm.fd, BC_DECREFS, 1, 1000));
	ASSERT_STREQ("", OWNER_SEES());
#undef OWNER_SEES
#undef NODE_INFO_IS
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	munmap(shm, PAGE);
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

/* ---- 5b: an FDA of 270000 fds --------------------------------------- */

#define NFDA 270000

static void p_fda(struct bt_parcel *p, uint64_t num, uint64_t parent,
		  uint64_t parent_off)
{
	struct binder_fd_array_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_FDA;
	o.num_fds = num;
	o.parent = parent;
	o.parent_offset = parent_off;
	bt_p_obj(p, &o, sizeof(o));
}

/* A scatter-gather transaction: 8 bytes, PTR(fds, n * 4), FDA(n) in it. */
static void fda_txn(struct bt_parcel *pc, struct binder_transaction_data *tr,
		    uint32_t *fds, size_t n)
{
	bt_parcel_init(pc);
	bt_p_u64(pc, 0);	/* no parent object at data offset 0 */
	bt_p_ptr(pc, fds, n * 4, 0, 0, 0);
	p_fda(pc, n, 0, 0);
	bt_tr(tr, 0, 1, 0, pc);
}

TEST_F_TIMEOUT(recv, fda_270000_fds_installed_and_closed_on_free, 180)
{
	long t0 = bt_now_ms();
	struct binder_transaction_data tr, t;
	struct binder_buffer_object bo;
	struct rlimit old, rl;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;
	struct stat st0, st;
	uint32_t *fds, *got;
	uint8_t *seen;
	int nullfd, idx, n0;
	size_t i;

	ASSERT_EQ(0, relax_watchdog());
	/* Room for 270000 more fds (nr_open is 1048576). */
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl.rlim_cur = NFDA + 4096;
	rl.rlim_max = old.rlim_max > rl.rlim_cur ? old.rlim_max : rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(nullfd, 0);
	ASSERT_EQ(0, fstat(nullfd, &st0));
	fds = malloc(NFDA * 4);
	ASSERT_NE(NULL, fds);
	for (i = 0; i < NFDA; i++)
		fds[i] = nullfd;
	fda_txn(&pc, &tr, fds, NFDA);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){
		.path = self->dev.path, .cmd = BC_TRANSACTION_SG, .tr = &tr,
		.bufsize = ALIGN8(NFDA * 4), .close_fd = -1,
		.timeout_ms = 120000 }));
	n0 = bt_count_fds(0);
	ASSERT_EQ(0, peer_go(&s));
	bt_rets_init(&self->r);
	idx = bt_read_until(self->cm.fd, &self->r, BR_TRANSACTION, 0, 120000);
	ASSERT_GE(idx, 0);
	t = self->r.r[idx].tr;
	ASSERT_EQ(8 + sizeof(struct binder_buffer_object) +
		  sizeof(struct binder_fd_array_object), t.data_size);
	ASSERT_EQ(16, t.offsets_size);
	memcpy(&bo, (uint8_t *)bt_data(&t) + bt_offs(&t)[0], sizeof(bo));
	ASSERT_EQ(NFDA * 4, bo.length);
	/*
	 * Every fd installed: distinct new O_CLOEXEC fds (for /dev/null).
	 * (Not counted through /proc/self/fd: listing 270000 entries takes
	 * over a minute under TCG.)
	 */
	got = (uint32_t *)(uintptr_t)bo.buffer;
	seen = calloc(1, NFDA + 4096);
	ASSERT_NE(NULL, seen);
	for (i = 0; i < NFDA; i++) {
		uint32_t fd = got[i];

		ASSERT_LT(fd, NFDA + 4096);
		ASSERT_EQ(0, seen[fd]);
		seen[fd] = 1;
		ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
		if (i % 9973 == 0 || i == NFDA - 1) {
			ASSERT_EQ(0, fstat(fd, &st));
			ASSERT_EQ(st0.st_ino, st.st_ino);
			ASSERT_EQ(st0.st_rdev, st.st_rdev);
		}
	}
	TH_LOG("received and checked after %ld ms", bt_now_ms() - t0);
	/* BC_FREE_BUFFER closes all of them. */
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, t.data.ptr.buffer));
	ASSERT_FALSE(bt_fd_is_open(got[0]));
	ASSERT_FALSE(bt_fd_is_open(got[NFDA - 1]));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, bt_reply(self->cm.fd, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&s, &out, 120000));
	ASSERT_EQ(BR_REPLY, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", out.seq);
	ASSERT_EQ(0, drain_only(self->cm.fd, only_tc));
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 1, 0));
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 0, 0));
	ASSERT_EQ(0, peer_finish(&s));
	free(seen);
	free(fds);
	close(nullfd);
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

TEST_F_TIMEOUT(recv, fda_270000_fds_over_rlimit_dropped, 180)
{
	long t0 = bt_now_ms();
	struct binder_transaction_data tr;
	struct rlimit old;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;
	uint32_t *fds;
	int nullfd, n0;
	size_t i;

	ASSERT_EQ(0, relax_watchdog());
	nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(nullfd, 0);
	fds = malloc(NFDA * 4);
	ASSERT_NE(NULL, fds);
	for (i = 0; i < NFDA; i++)
		fds[i] = nullfd;
	fda_txn(&pc, &tr, fds, NFDA);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){
		.path = self->dev.path, .cmd = BC_TRANSACTION_SG, .tr = &tr,
		.bufsize = ALIGN8(NFDA * 4), .close_fd = -1,
		.timeout_ms = 120000 }));
	n0 = bt_count_fds(0);
	/* Only 100 more fds fit: installing fails part-way. */
	ASSERT_EQ(0, limit_fds(100, &old));
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, wait_readable(self->cm.fd, 120000));
	/* The transaction is dropped during the read: nothing, EAGAIN. */
	bt_rets_init(&self->r);
	ASSERT_EQ(-EAGAIN, bt_read_nb(self->cm.fd, &self->r));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, peer_outcome(&s, &out, 120000));
	ASSERT_EQ(BR_FAILED_REPLY, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE FAILED_REPLY", out.seq);
	ASSERT_EQ(BR_OK, out.ee_cmd);
	ASSERT_EQ(0, out.ee_param);
	ASSERT_EQ(0, bt_idle(self->cm.fd, NULL));
	/* Nothing outstanding. */
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 1, 0));
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 0, 0));
	ASSERT_EQ(0, peer_finish(&s));
	free(fds);
	close(nullfd);
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

/* ---- 6: the copy of a BR_TRANSACTION faults half-way ----------------- */

/*
 * Two pages, the second PROT_NONE; the read buffer starts 8 bytes before
 * it: BR_NOOP and the BR_TRANSACTION command word fit, the
 * binder_transaction_data does not (copy_to_user fails). C: the read
 * returns EFAULT, the transaction is cleaned up (a sync caller gets
 * BR_FAILED_REPLY), nothing stays outstanding.
 */
static int faulting_read(int fd)
{
	struct binder_write_read bwr;
	uint8_t *m;
	int ret;

	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	if (mprotect(m + PAGE, PAGE, PROT_NONE)) {
		munmap(m, 2 * PAGE);
		return -ENOMEM;
	}
	memset(&bwr, 0, sizeof(bwr));
	bwr.read_buffer = (uintptr_t)(m + PAGE - 8);
	bwr.read_size = 256;
	bt_set_nonblock(fd, true);
	ret = raw_wr(fd, &bwr);
	bt_set_nonblock(fd, false);
	munmap(m, 2 * PAGE);
	return ret;
}

/* After the faulting read: nothing left, nothing outstanding, calls work. */
static int check_recovered(int cmfd, const char *path)
{
	struct binder_transaction_data tr;
	struct peer_res out;
	struct bt_rets r;
	struct peer s;
	int ret, idx;

	ret = bt_idle(cmfd, NULL);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	/* outstanding_txns dropped: the receiver can be frozen. */
	ret = do_freeze(cmfd, getpid(), 1, 100);
	if (ret)
		return ret;
	ret = do_freeze(cmfd, getpid(), 0, 0);
	if (ret)
		return ret;
	bt_tr(&tr, 0, 2, 0, NULL);
	ret = peer_start(&s, &(struct peer_job){ .path = path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = -1 });
	if (ret)
		return ret;
	peer_go(&s);
	bt_rets_init(&r);
	idx = bt_read_until(cmfd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	if (idx < 0)
		return idx;
	if (r.r[idx].tr.code != 2)
		return -EPROTO;
	ret = bt_free_and_reply(cmfd, r.r[idx].tr.data.ptr.buffer, NULL, 0);
	if (ret)
		return ret;
	ret = peer_outcome(&s, &out, BT_TIMEOUT_MS);
	if (ret)
		return ret;
	if (out.ret != (int)BR_REPLY)
		return -EPROTO;
	ret = drain_only(cmfd, only_tc);
	if (ret)
		return ret;
	return peer_finish(&s);
}

TEST_F(recv, faulting_read_of_sync_call_failed_reply)
{
	struct binder_transaction_data tr;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;

	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0x1234);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .path = self->dev.path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = -1 }));
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	ASSERT_EQ(-EFAULT, faulting_read(self->cm.fd));
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_FAILED_REPLY, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE FAILED_REPLY", out.seq);
	ASSERT_EQ(BR_OK, out.ee_cmd);
	ASSERT_EQ(0, out.ee_param);
	ASSERT_EQ(0, check_recovered(self->cm.fd, self->dev.path));
	ASSERT_EQ(0, peer_finish(&s));
}

TEST_F(recv, faulting_read_of_oneway_dropped)
{
	struct binder_transaction_data tr;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;

	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0x1234);
	bt_tr(&tr, 0, 1, TF_ONE_WAY, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .path = self->dev.path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = -1 }));
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE", out.seq);
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	ASSERT_EQ(-EFAULT, faulting_read(self->cm.fd));
	/*
	 * (C never frees that one-way's buffer, so later one-ways to this
	 * node stay queued behind it: not asserted.)
	 */
	ASSERT_EQ(0, check_recovered(self->cm.fd, self->dev.path));
	ASSERT_EQ(0, peer_finish(&s));
}

TEST_F(recv, faulting_read_of_call_with_fd_failed_reply)
{
	struct binder_transaction_data tr;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .path = self->dev.path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = pfd[1] }));
	close(pfd[1]);
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	/* (Whether the fd stays installed here is not asserted.) */
	ASSERT_EQ(-EFAULT, faulting_read(self->cm.fd));
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_FAILED_REPLY, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE FAILED_REPLY", out.seq);
	ASSERT_EQ(0, check_recovered(self->cm.fd, self->dev.path));
	ASSERT_EQ(0, peer_finish(&s));
	close(pfd[0]);
}

/* ---- 8: fd install failures on a one-way and on a reply -------------- */

TEST_F(recv, oneway_fd_install_failure_drops_it)
{
	struct binder_transaction_data tr, t;
	struct binder_fd_object fo;
	struct rlimit old;
	struct peer_res out;
	struct bt_parcel pc;
	struct peer s;
	int pfd[2], n0, idx;

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 1, TF_ONE_WAY, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .path = self->dev.path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = pfd[1] }));
	close(pfd[1]);
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE", out.seq);
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	n0 = bt_count_fds(0);
	/* Not a single fd fits: the one-way is dropped while we read it. */
	ASSERT_EQ(0, limit_fds(0, &old));
	bt_rets_init(&self->r);
	ASSERT_EQ(-EAGAIN, bt_read_nb(self->cm.fd, &self->r));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, bt_idle(self->cm.fd, NULL));
	/* The file was released, nothing is outstanding. */
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 1, 100));
	ASSERT_EQ(0, do_freeze(self->cm.fd, getpid(), 0, 0));
	ASSERT_EQ(0, peer_finish(&s));
	/* The node's one-way queue moves on: the next one-way arrives. */
	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 3, TF_ONE_WAY, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .path = self->dev.path,
		.cmd = BC_TRANSACTION, .tr = &tr, .close_fd = pfd[1] }));
	close(pfd[1]);
	ASSERT_EQ(0, peer_go(&s));
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.ret);
	bt_rets_init(&self->r);
	idx = bt_read_until(self->cm.fd, &self->r, BR_TRANSACTION, 0,
			    BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = self->r.r[idx].tr;
	ASSERT_EQ(3, t.code);
	memcpy(&fo, bt_data(&t), sizeof(fo));
	ASSERT_TRUE(bt_fd_is_open(fo.fd));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, t.data.ptr.buffer));
	close(fo.fd);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	ASSERT_EQ(0, peer_finish(&s));
}

TEST_F(recv, reply_fd_install_failure_failed_reply)
{
	struct binder_transaction_data rtr;
	struct binder_extended_error ee;
	struct peer_res out;
	struct bt_parcel pc;
	struct bt_proc cl;
	struct rlimit old;
	char path2[256];
	struct peer s;
	int pfd[2], n0;

	/* A replier managing a second device answers with an FD object. */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&rtr, 0, 0, 0, &pc);
	ASSERT_EQ(0, peer_start(&s, &(struct peer_job){ .replier = true,
		.path = path2, .cm_flags = FLAT_BINDER_FLAG_ACCEPTS_FDS,
		.cmd = BC_REPLY, .tr = &rtr, .close_fd = pfd[1] }));
	close(pfd[1]);
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &cl));
	n0 = bt_count_fds(0);
	/* We (the caller) are at our fd limit when the reply arrives. */
	ASSERT_EQ(0, limit_fds(0, &old));
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(cl.fd, 0, 1, TF_ACCEPT_FDS, NULL,
					   &self->r));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_STREQ("TRANSACTION_COMPLETE FAILED_REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, bt_get_ee(cl.fd, &ee));
	ASSERT_EQ(BR_OK, ee.command);
	ASSERT_EQ(0, ee.param);
	/* The replier saw its reply go out. */
	ASSERT_EQ(0, peer_outcome(&s, &out, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.ret);
	ASSERT_STREQ("TRANSACTION_COMPLETE", out.seq);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	ASSERT_EQ(0, bt_idle(cl.fd, NULL));
	/* Nothing outstanding for the caller: it can be frozen. */
	ASSERT_EQ(0, do_freeze(cl.fd, getpid(), 1, 100));
	ASSERT_EQ(0, do_freeze(cl.fd, getpid(), 0, 0));
	ASSERT_EQ(0, peer_finish(&s));
	bt_close(&cl);
}

/* ==== 5c, 5d: binder_logs/state with 45000 refs ===================== */

#define LOG_TXNS 45
#define LOG_OBJS 1000
#define LOG_REFS (LOG_TXNS * LOG_OBJS)

FIXTURE(biglogs) {
	struct bt_dev dev;
	struct bt_proc cm;
	struct bt_chan ch;
	pid_t owner;
};

FIXTURE_SETUP(biglogs)
{
	self->owner = -1;
	/* C prints the whole state in one show() (one read, ~20 s here). */
	ASSERT_EQ(0, relax_watchdog());
	ASSERT_EQ(0, bt_dev_create_opts(&self->dev, "stats=global"));
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAX_MAP, &self->cm));
}

FIXTURE_TEARDOWN(biglogs)
{
	if (self->owner > 0) {
		bt_kill(self->owner);
		bt_chan_close(&self->ch);
	}
	bt_close(&self->cm);
	bt_dev_destroy(&self->dev);
	restore_watchdog();
}

static uint64_t log_node_ptr(int k, int i)
{
	return 0x100000 + ((uint64_t)k * LOG_OBJS + i) * 0x10;
}

/*
 * The owner: LOG_TXNS sync calls to handle 0, each with LOG_OBJS new
 * BINDER objects (ptrs increasing); reads the BR_INCREFS/BR_ACQUIREs and
 * the reply with a big buffer. Tells the parent the number of
 * BR_INCREFS, then waits (0: exit).
 */
static void log_owner(const char *path, struct bt_chan *ch)
{
	struct flat_binder_object *objs;
	binder_size_t *offs;
	size_t rsize = 256 * 1024, increfs = 0;
	uint8_t *rbuf;
	struct bt_proc c;
	uint64_t v;
	int k, i;

	bt_chan_child(ch);
	alarm(600);
	objs = calloc(LOG_OBJS, sizeof(*objs));
	offs = calloc(LOG_OBJS, sizeof(*offs));
	rbuf = malloc(rsize);
	BT_CHECK(objs && offs && rbuf);
	BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &c), 0);
	for (k = 0; k < LOG_TXNS; k++) {
		struct binder_transaction_data tr;
		struct bt_cmds cmds;
		struct scan s;

		for (i = 0; i < LOG_OBJS; i++) {
			memset(&objs[i], 0, sizeof(objs[i]));
			objs[i].hdr.type = BINDER_TYPE_BINDER;
			objs[i].binder = log_node_ptr(k, i);
			objs[i].cookie = log_node_ptr(k, i) + 1;
			offs[i] = i * sizeof(objs[i]);
		}
		bt_tr_raw(&tr, 0, 1, 0, objs, LOG_OBJS * sizeof(*objs), offs,
			  LOG_OBJS * sizeof(*offs));
		bt_cmds_init(&cmds);
		bt_cmd_txn(&cmds, BC_TRANSACTION, &tr);
		BT_CHECK_EQ(bt_send(c.fd, &cmds), 0);
		memset(&s, 0, sizeof(s));
		while (!s.terminal) {
			size_t rc = 0;

			BT_CHECK_EQ(bt_wr(c.fd, NULL, 0, NULL, rbuf, rsize, &rc,
					  60000), 0);
			BT_CHECK_EQ(scan_stream(rbuf, rc, &s), 0);
		}
		BT_CHECK_EQ(s.terminal, BR_REPLY);
		BT_CHECK_EQ(bt_free_buffer(c.fd, s.tr.data.ptr.buffer), 0);
		increfs += s.increfs;
	}
	BT_CHECK_EQ(bt_tell_parent(ch, increfs), 0);
	BT_CHECK_EQ(bt_hear_parent(ch, &v, 500000), 0);
	_exit(0);
}

/* The test process receives all calls, holds their buffers, replies. */
static int log_setup(FIXTURE_DATA(biglogs) *self)
{
	struct bt_rets r;
	uint64_t v;
	int k;

	if (bt_chan_init(&self->ch))
		return -1;
	self->owner = bt_fork();
	if (self->owner < 0)
		return -1;
	if (self->owner == 0)
		log_owner(self->dev.path, &self->ch);
	bt_chan_parent(&self->ch);
	for (k = 0; k < LOG_TXNS; k++) {
		struct binder_transaction_data *t;
		struct flat_binder_object *fp;
		int idx;

		bt_rets_init(&r);
		idx = bt_read_until(self->cm.fd, &r, BR_TRANSACTION, 0, 60000);
		if (idx < 0)
			return idx;
		t = &r.r[idx].tr;
		if (t->offsets_size != LOG_OBJS * 8)
			return -EPROTO;
		/* Handles 1.. in order. */
		fp = bt_data(t);
		if (fp[0].hdr.type != BINDER_TYPE_HANDLE ||
		    fp[0].handle != (uint32_t)k * LOG_OBJS + 1 ||
		    fp[LOG_OBJS - 1].handle != (uint32_t)(k + 1) * LOG_OBJS)
			return -EPROTO;
		if (bt_reply(self->cm.fd, NULL, 0))
			return -EPROTO;
	}
	if (bt_hear_child(&self->ch, &v, 120000))
		return -ETIMEDOUT;
	if (v != LOG_REFS)
		return -EPROTO;
	return 0;
}

/* Read a whole binder_logs file (any size). */
static char *read_log(const char *mnt, const char *name, size_t *len)
{
	size_t cap = 1 << 20;
	char path[256];
	char *buf = malloc(cap);
	ssize_t n = 0;
	int fd;

	*len = 0;
	snprintf(path, sizeof(path), "%s/binder_logs/%s", mnt, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !buf) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (cap - *len < 65536) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + *len, cap - *len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += n;
	}
	close(fd);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

struct state_counts {
	long lines;
	long refs;		/* "  ref N: desc D node N ..." */
	long dead_refs;		/* "  ref N: desc D dead node N ..." */
	long owner_nodes;	/* "  node ..." in the owner's proc section */
	long dead_nodes;	/* "  node ..." under "dead nodes:" */
	int dead_header_line;	/* line number of "dead nodes:" or -1 */
	bool owner_proc;	/* "proc OWNER" present */
};

static void count_state(char *buf, pid_t owner, struct state_counts *c)
{
	char owner_hdr[32];
	enum { NONE, DEAD, OWNER, OTHER } sect = NONE;
	char *p = buf;

	memset(c, 0, sizeof(*c));
	c->dead_header_line = -1;
	snprintf(owner_hdr, sizeof(owner_hdr), "proc %d", (int)owner);
	while (*p) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		if (!strcmp(p, "dead nodes:")) {
			c->dead_header_line = c->lines;
			sect = DEAD;
		} else if (!strncmp(p, "proc ", 5)) {
			sect = !strcmp(p, owner_hdr) ? OWNER : OTHER;
			if (sect == OWNER)
				c->owner_proc = true;
		} else if (!strncmp(p, "  node ", 7)) {
			if (sect == DEAD)
				c->dead_nodes++;
			else if (sect == OWNER)
				c->owner_nodes++;
		} else if (!strncmp(p, "  ref ", 6)) {
			if (strstr(p, " dead node "))
				c->dead_refs++;
			else
				c->refs++;
		}
		c->lines++;
		if (!nl)
			break;
		p = nl + 1;
	}
}

TEST_F_TIMEOUT(biglogs, state_with_45000_refs, 180)
{
	long t0 = bt_now_ms();
	struct state_counts c;
	size_t len;
	char *buf;

	ASSERT_EQ(0, log_setup(self));
	TH_LOG("%d refs made after %ld ms", LOG_REFS, bt_now_ms() - t0);
	buf = read_log(self->dev.mnt, "state", &len);
	ASSERT_NE(NULL, buf);
	TH_LOG("state read after %ld ms", bt_now_ms() - t0);
	count_state(buf, self->owner, &c);
	TH_LOG("state: %zu bytes, %ld lines, %ld refs, %ld owner nodes",
	       len, c.lines, c.refs, c.owner_nodes);
	ASSERT_GE(c.refs, LOG_REFS);
	ASSERT_TRUE(c.owner_proc);
	ASSERT_GE(c.owner_nodes, LOG_REFS);
	free(buf);
	ASSERT_EQ(0, bt_tell_child(&self->ch, 0));
	ASSERT_EQ(0, bt_wait(self->owner, 60000));
	self->owner = -1;
	bt_chan_close(&self->ch);
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

TEST_F_TIMEOUT(biglogs, state_with_45000_refs_to_dead_nodes, 180)
{
	long t0 = bt_now_ms();
	struct state_counts c;
	struct bt_rets r;
	size_t len;
	char *buf;
	int idx;

	ASSERT_EQ(0, log_setup(self));
	TH_LOG("%d refs made after %ld ms", LOG_REFS, bt_now_ms() - t0);
	/* The highest ptr is released last when the owner dies. */
	ASSERT_EQ(0, bt_send_handle_cookie(self->cm.fd,
					   BC_REQUEST_DEATH_NOTIFICATION,
					   LOG_REFS, 0xdead));
	ASSERT_EQ(0, bt_tell_child(&self->ch, 0));
	ASSERT_EQ(0, bt_wait(self->owner, 60000));
	bt_chan_close(&self->ch);
	bt_rets_init(&r);
	idx = bt_read_until(self->cm.fd, &r, BR_DEAD_BINDER, 0, 120000);
	ASSERT_GE(idx, 0);
	ASSERT_EQ(0xdead, r.r[idx].cookie);
	ASSERT_EQ(0, bt_send_u64(self->cm.fd, BC_DEAD_BINDER_DONE, 0xdead));
	buf = read_log(self->dev.mnt, "state", &len);
	ASSERT_NE(NULL, buf);
	TH_LOG("state read after %ld ms", bt_now_ms() - t0);
	count_state(buf, self->owner, &c);
	TH_LOG("state: %zu bytes, %ld lines, %ld dead refs, %ld dead nodes",
	       len, c.lines, c.dead_refs, c.dead_nodes);
	self->owner = -1;
	ASSERT_EQ(1, c.dead_header_line);
	ASSERT_GE(c.dead_nodes, LOG_REFS);
	ASSERT_GE(c.dead_refs, LOG_REFS);
	ASSERT_FALSE(c.owner_proc);
	free(buf);
	TH_LOG("%ld ms", bt_now_ms() - t0);
}

/* ==== 7: TF_UPDATE_TXN =============================================== */

FIXTURE(frz) {
	struct bt_dev dev;
	struct bt_proc p;
	struct bt_script s;
	struct bt_rets r;
};

FIXTURE_SETUP(frz)
{
	struct bt_script_opts o = { .cm = true };

	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_script_start(&self->s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
}

FIXTURE_TEARDOWN(frz)
{
	bt_script_kill(&self->s);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

TEST_F(frz, update_txn_one_at_a_time_then_the_replacement)
{
	struct bt_parcel pc;
	int i;

	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 0));
	for (i = 1; i <= 3; i++) {
		bt_parcel_init(&pc);
		bt_p_u32(&pc, i);
		bt_rets_init(&self->r);
		ASSERT_EQ(BR_TRANSACTION_PENDING_FROZEN,
			  bt_call(self->p.fd, 0, 5, TF_ONE_WAY | TF_UPDATE_TXN,
				  &pc, &self->r));
		ASSERT_STREQ("TRANSACTION_PENDING_FROZEN", bt_seq(&self->r, 0));
	}
	/* Two outstanding (the 2nd was replaced by the 3rd). */
	ASSERT_EQ(INFO(2, 1), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	/* The 1st; nothing else until its buffer is freed. */
	ASSERT_EQ(SC_CODE(5, 1), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* Then exactly one more, the 3rd, then nothing. */
	ASSERT_EQ(SC_CODE(5, 3), bt_script(&self->s, BT_SC_READ_CODE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_IDLE, 0));
	/* Nothing outstanding: the replaced one-way was accounted for. */
	ASSERT_EQ(INFO(0, 0), frozen_info(self->p.fd, self->s.pid));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 1, 100));
	ASSERT_EQ(0, do_freeze(self->p.fd, self->s.pid, 0, 0));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
}

TEST_HARNESS_MAIN
