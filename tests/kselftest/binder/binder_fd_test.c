// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: file descriptors and scatter-gather buffers in
 * transactions: BINDER_TYPE_FD, BINDER_TYPE_FDA, BINDER_TYPE_PTR with
 * BC_TRANSACTION_SG / BC_REPLY_SG, parent fixups, and the failure paths
 * (nothing leaked: no fd in the receiver, no file reference anywhere).
 * Every expectation is what the C driver (Linux 6.12) does.
 *
 * "No file reference leaked" is checked with pipes: once every holder of
 * the write end (the sender, the receiver's installed fd, binder's own
 * in-flight reference) has dropped it, the read end sees EOF.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <sys/resource.h>

#define FDO_SIZE sizeof(struct binder_fd_object)
#define FDA_SIZE sizeof(struct binder_fd_array_object)
#define BBO_SIZE sizeof(struct binder_buffer_object)
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

/* ---- helpers ------------------------------------------------------- */

static void p_fd_full(struct bt_parcel *p, uint64_t pad_binder, uint32_t fd,
		      uint32_t pad_flags, uint64_t cookie)
{
	struct binder_fd_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_FD;
	o.pad_flags = pad_flags;
	o.pad_binder = pad_binder;
	o.fd = fd;
	o.cookie = cookie;
	bt_p_obj(p, &o, sizeof(o));
}

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

static struct binder_buffer_object bbo_at(const struct binder_transaction_data *t,
					   int i)
{
	struct binder_buffer_object o;

	memcpy(&o, (uint8_t *)bt_data(t) + bt_offs(t)[i], sizeof(o));
	return o;
}

static struct binder_fd_object fdo_at(const struct binder_transaction_data *t,
				      int i)
{
	struct binder_fd_object o;

	memcpy(&o, (uint8_t *)bt_data(t) + bt_offs(t)[i], sizeof(o));
	return o;
}

static struct binder_fd_array_object fda_at(const struct binder_transaction_data *t,
					    int i)
{
	struct binder_fd_array_object o;

	memcpy(&o, (uint8_t *)bt_data(t) + bt_offs(t)[i], sizeof(o));
	return o;
}

/* Start of the scatter-gather area of a received buffer. */
static uint64_t sg_start(const struct binder_transaction_data *t)
{
	return t->data.ptr.buffer + ALIGN8(t->data_size) + ALIGN8(t->offsets_size);
}

static uint64_t ino_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_ino;
}

static uint64_t dev_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return 0;
	return st.st_dev;
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

/* Write v through wfd and read it back from rfd. */
static int pipe_roundtrip(int wfd, int rfd, uint64_t v)
{
	uint64_t got = 0;

	if (write(wfd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	if (bt_pipe_recv(rfd, &got, BT_TIMEOUT_MS))
		return -ETIMEDOUT;
	return got == v ? 0 : -EPROTO;
}

/* Wait until fd has something to read (no read). */
static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms);

	return ret == 1 ? 0 : ret == 0 ? -ETIMEDOUT : -errno;
}

/* Open dev as context manager with node flags, ENTER_LOOPER. */
static int open_receiver(const char *path, uint32_t flags, struct bt_proc *p)
{
	int ret = bt_open(path, BT_MAP_SIZE, p);

	if (ret)
		return ret;
	ret = bt_set_cm_ext(p->fd, 0, 0, flags);
	if (!ret)
		ret = bt_enter_looper(p->fd);
	if (ret)
		bt_close(p);
	return ret;
}

static int recv_txn(int fd, struct bt_rets *r, struct binder_transaction_data *t)
{
	int idx;

	bt_rets_init(r);
	idx = bt_read_until(fd, r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	if (idx < 0)
		return idx;
	*t = r->r[idx].tr;
	return 0;
}

/*
 * A helper process ("peer") that runs one transaction for the test and
 * reports its outcome: the terminal BR code, the number of non-NOOP
 * returns it read up to it, and its extended error.
 */
struct peer {
	pid_t pid;
	struct bt_chan ch;
};

struct outcome {
	uint32_t br;
	int nrets;
	uint32_t ee_cmd;
	int32_t ee_param;
};

static void peer_report(struct peer *s, int fd, int ret, const struct bt_rets *r)
{
	struct binder_extended_error ee;
	int i, n = 0;

	BT_CHECK(!BT_IS_ERR(ret));
	BT_CHECK_EQ(bt_get_ee(fd, &ee), 0);
	for (i = 0; i < r->n; i++)
		if (r->r[i].cmd != BR_NOOP && r->r[i].cmd != BR_SPAWN_LOOPER)
			n++;
	BT_CHECK_EQ(bt_tell_parent(&s->ch, (uint64_t)n << 32 | (uint32_t)ret), 0);
	BT_CHECK_EQ(bt_tell_parent(&s->ch, (uint64_t)(uint32_t)ee.param << 32 |
					   ee.command), 0);
}

static int peer_outcome(struct peer *s, struct outcome *o)
{
	uint64_t a, b;
	int ret;

	memset(o, 0, sizeof(*o));
	ret = bt_hear_child(&s->ch, &a, 2 * BT_TIMEOUT_MS);
	if (!ret)
		ret = bt_hear_child(&s->ch, &b, BT_TIMEOUT_MS);
	if (ret)
		return ret;
	o->br = (uint32_t)a;
	o->nrets = (int)(a >> 32);
	o->ee_cmd = (uint32_t)b;
	o->ee_param = (int32_t)(b >> 32);
	ret = bt_wait(s->pid, BT_TIMEOUT_MS);
	bt_chan_close(&s->ch);
	return ret;
}

/*
 * Sender: opens path, tells "ready", waits for a go, sends cmd/tr
 * (buffers_size bufsize), reads until the outcome, frees a reply, closes
 * close_fd (its copy of a file it sent), reports and exits. tr points
 * into memory the child inherits.
 */
static int sender_start(struct peer *s, const char *path, uint32_t cmd,
			const struct binder_transaction_data *tr,
			uint64_t bufsize, int close_fd)
{
	uint64_t v;

	if (bt_chan_init(&s->ch))
		return -1;
	s->pid = bt_fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		struct bt_rets r;
		struct bt_proc c;
		int ret;

		bt_chan_child(&s->ch);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &c), 0);
		BT_CHECK_EQ(bt_tell_parent(&s->ch, 0), 0);
		BT_CHECK_EQ(bt_hear_parent(&s->ch, &v, BT_TIMEOUT_MS), 0);
		bt_rets_init(&r);
		ret = bt_call_tr(c.fd, cmd, tr, bufsize, &r);
		if (ret == (int)BR_REPLY)
			bt_free_buffer(c.fd, bt_last_tr(&r)->data.ptr.buffer);
		if (close_fd >= 0)
			close(close_fd);
		peer_report(s, c.fd, ret, &r);
		_exit(0);
	}
	bt_chan_parent(&s->ch);
	return bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
}

static int peer_go(struct peer *s)
{
	return bt_tell_child(&s->ch, 1);
}

/*
 * Replier: a context manager (node flags cm_flags) that answers the
 * first call with cmd/tr/bufsize (freeing the call's buffer first),
 * reads until its own outcome (BR_TRANSACTION_COMPLETE), closes
 * close_fd, reports and exits.
 */
static int replier_start(struct peer *s, const char *path, uint32_t cm_flags,
			 uint32_t cmd, const struct binder_transaction_data *tr,
			 uint64_t bufsize, int close_fd)
{
	uint64_t v;

	if (bt_chan_init(&s->ch))
		return -1;
	s->pid = bt_fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		struct bt_rets r;
		struct bt_cmds c;
		struct bt_proc p;
		int idx;

		bt_chan_child(&s->ch);
		BT_CHECK_EQ(open_receiver(path, cm_flags, &p), 0);
		BT_CHECK_EQ(bt_tell_parent(&s->ch, 0), 0);
		bt_rets_init(&r);
		idx = bt_read_until(p.fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
		BT_CHECK(idx >= 0);
		bt_cmds_init(&c);
		bt_cmd_u64(&c, BC_FREE_BUFFER, r.r[idx].tr.data.ptr.buffer);
		if (cmd == BC_REPLY_SG)
			bt_cmd_txn_sg(&c, cmd, tr, bufsize);
		else
			bt_cmd_txn(&c, cmd, tr);
		BT_CHECK_EQ(bt_send(p.fd, &c), 0);
		bt_rets_init(&r);
		idx = bt_read_until(p.fd, &r, BR_TRANSACTION_COMPLETE,
				    BT_ANY_TERMINAL, BT_TIMEOUT_MS);
		BT_CHECK(idx >= 0);
		if (close_fd >= 0)
			close(close_fd);
		peer_report(s, p.fd, (int)r.r[idx].cmd, &r);
		_exit(0);
	}
	bt_chan_parent(&s->ch);
	return bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
}

/* ---- the test process receives (context manager, ACCEPTS_FDS) ------ */

FIXTURE(fd) {
	struct bt_dev dev;
	struct bt_proc cm;
	struct bt_rets r;
	struct binder_transaction_data t;
	struct peer s;
};

FIXTURE_SETUP(fd)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, open_receiver(self->dev.path, FLAT_BINDER_FLAG_ACCEPTS_FDS,
				   &self->cm));
}

FIXTURE_TEARDOWN(fd)
{
	bt_close(&self->cm);
	bt_dev_destroy(&self->dev);
}

TEST_F(fd, fd_object_translated_for_receiver)
{
	struct binder_transaction_data tr;
	struct binder_fd_object fo;
	struct outcome out;
	struct bt_parcel pc;
	int pfd[2], lowest;
	uint64_t v;

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0x0102030405060708ULL);
	/* Garbage in the upper half of pad_binder, flags and cookie set. */
	p_fd_full(&pc, 0xdeadbeef00000000ULL, pfd[1], 0x55, 0x1122334455667788ULL);
	bt_tr(&tr, 0, 7, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION, &tr,
				  0, pfd[1]));
	close(pfd[1]);
	lowest = bt_lowest_free_fd();
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(8 + FDO_SIZE, self->t.data_size);
	ASSERT_EQ(8, self->t.offsets_size);
	ASSERT_EQ(8, bt_offs(&self->t)[0]);
	ASSERT_EQ(0x0102030405060708ULL, *(uint64_t *)bt_data(&self->t));
	fo = fdo_at(&self->t, 0);
	ASSERT_EQ(BINDER_TYPE_FD, fo.hdr.type);
	ASSERT_EQ(0x55, fo.pad_flags);
	ASSERT_EQ(0x1122334455667788ULL, fo.cookie);
	/* The new fd: the lowest free number, upper half cleared. */
	ASSERT_EQ(0, fo.pad_binder >> 32);
	ASSERT_EQ(lowest, (int)fo.fd);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fo.fd, F_GETFD));
	ASSERT_EQ(O_WRONLY, fcntl(fo.fd, F_GETFL) & O_ACCMODE);
	ASSERT_EQ(ino_of(pfd[0]), ino_of(fo.fd));
	ASSERT_EQ(dev_of(pfd[0]), dev_of(fo.fd));
	/* Same file: what we write arrives at the sender's pipe. */
	v = 0x5a5a5a5a;
	ASSERT_EQ(0, pipe_roundtrip(fo.fd, pfd[0], v));
	close(fo.fd);
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
	/* Sender and receiver closed their copies: nobody holds the file. */
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
}

TEST_F(fd, fd_installed_when_transaction_is_read)
{
	struct binder_transaction_data tr;
	struct binder_fd_object fo;
	struct outcome out;
	struct bt_parcel pc;
	int pfd[2], n0, lowest;

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION, &tr,
				  0, pfd[1]));
	close(pfd[1]);
	n0 = bt_count_fds(0);
	lowest = bt_lowest_free_fd();
	ASSERT_EQ(0, peer_go(&self->s));
	/* Queued for us (poll readable) but not read: no new fd yet. */
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_FALSE(bt_fd_is_open(lowest));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(n0 + 1, bt_count_fds(0));
	fo = fdo_at(&self->t, 0);
	ASSERT_EQ(lowest, (int)fo.fd);
	ASSERT_TRUE(bt_fd_is_open(fo.fd));
	close(fo.fd);
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
}

TEST_F(fd, oneway_fd_outlives_sender_copy)
{
	struct binder_transaction_data tr;
	struct binder_fd_object fo;
	struct outcome out;
	struct bt_parcel pc;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 1, TF_ONE_WAY, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION, &tr,
				  0, pfd[1]));
	close(pfd[1]);
	ASSERT_EQ(0, peer_go(&self->s));
	/* The sender closes its copy and exits before we read. */
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.br);
	ASSERT_EQ(0, pipe_eof(pfd[0], 200));	/* binder still holds it */
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(TF_ONE_WAY, self->t.flags & TF_ONE_WAY);
	fo = fdo_at(&self->t, 0);
	ASSERT_EQ(0, pipe_roundtrip(fo.fd, pfd[0], 77));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, self->t.data.ptr.buffer));
	/* A plain FD object is not closed when its buffer is freed. */
	ASSERT_TRUE(bt_fd_is_open(fo.fd));
	ASSERT_EQ(0, pipe_eof(pfd[0], 100));
	close(fo.fd);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
}

TEST_F(fd, fd_fixup_failure_on_read_drops_transaction_no_leak)
{
	struct binder_transaction_data tr;
	struct outcome out;
	struct bt_parcel pc;
	struct rlimit old, rl;
	int pfd[2], maxfd, fd, n0, nfill = 0, fill[64];

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION, &tr,
				  0, pfd[1]));
	close(pfd[1]);
	/* Leave exactly one free fd slot below RLIMIT_NOFILE. */
	maxfd = 0;
	for (fd = 0; fd < 1024; fd++)
		if (bt_fd_is_open(fd))
			maxfd = fd;
	for (fd = 0; fd < maxfd; fd++)
		if (!bt_fd_is_open(fd)) {
			ASSERT_LT(nfill, 64);
			fill[nfill] = open("/dev/null", O_RDONLY);
			ASSERT_EQ(fd, fill[nfill]);
			nfill++;
		}
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = maxfd + 2;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	n0 = bt_count_fds(0);
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, wait_readable(self->cm.fd, BT_TIMEOUT_MS));
	/*
	 * The second fd can't be allocated: the transaction is dropped
	 * while we read it (nothing returned, EAGAIN), the first fd is
	 * given back, the caller gets BR_FAILED_REPLY.
	 */
	bt_rets_init(&self->r);
	ASSERT_EQ(-EAGAIN, bt_read_nb(self->cm.fd, &self->r));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_FALSE(bt_fd_is_open(maxfd + 1));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_FAILED_REPLY, out.br);
	ASSERT_EQ(2, out.nrets);		/* TRANSACTION_COMPLETE FAILED_REPLY */
	ASSERT_EQ(BR_OK, out.ee_cmd);
	ASSERT_EQ(0, out.ee_param);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_idle(self->cm.fd, NULL));
	while (nfill)
		close(fill[--nfill]);
	close(pfd[0]);
}

TEST_F(fd, accept_fds_is_per_target_node)
{
	struct binder_transaction_data t;
	struct bt_parcel reply;
	struct bt_chan ch;
	struct bt_rets r;
	uint64_t v;
	struct bt_proc cm;
	char path[256];
	pid_t pid;
	int pfd[2], idx;

	/* A manager node without ACCEPTS_FDS (on a second device). */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path, sizeof(path)));
	ASSERT_EQ(0, open_receiver(path, 0, &cm));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct binder_extended_error ee;
		struct flat_binder_object fb;
		struct bt_parcel pc;
		struct bt_rets cr;
		struct bt_proc c;
		static const uint32_t hs[3] = { 1, 2, 0 };
		int ret, i;

		bt_chan_child(&ch);
		close(pfd[0]);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &c), 0);
		bt_rets_init(&cr);
		/* Get handles 1 (ACCEPTS_FDS) and 2 (without) from the manager. */
		BT_CHECK_EQ(bt_call(c.fd, 0, 1, 0, NULL, &cr), BR_REPLY);
		memcpy(&fb, bt_data(bt_last_tr(&cr)), sizeof(fb));
		BT_CHECK_EQ(fb.handle, 1);
		memcpy(&fb, (uint8_t *)bt_data(bt_last_tr(&cr)) + sizeof(fb), sizeof(fb));
		BT_CHECK_EQ(fb.handle, 2);
		/* Keep the buffer (it holds the refs). */
		for (i = 0; i < 3; i++) {
			bt_parcel_init(&pc);
			bt_p_fd(&pc, pfd[1]);
			bt_rets_init(&cr);
			ret = bt_call(c.fd, hs[i], 2, 0, &pc, &cr);
			BT_CHECK_EQ(bt_get_ee(c.fd, &ee), 0);
			if (ret == (int)BR_REPLY)
				bt_free_buffer(c.fd, bt_last_tr(&cr)->data.ptr.buffer);
			BT_CHECK_EQ(bt_tell_parent(&ch, (uint32_t)ret), 0);
			BT_CHECK_EQ(bt_tell_parent(&ch, (uint32_t)ee.param), 0);
		}
		_exit(0);
	}
	bt_chan_parent(&ch);
	close(pfd[1]);
	/* Answer the first call with two nodes. */
	ASSERT_EQ(0, recv_txn(cm.fd, &self->r, &t));
	bt_parcel_init(&reply);
	bt_p_binder(&reply, BINDER_TYPE_BINDER, 0xa000, 0xa001,
		    FLAT_BINDER_FLAG_ACCEPTS_FDS);
	bt_p_binder(&reply, BINDER_TYPE_BINDER, 0xb000, 0xb001, 0);
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, &reply, 0));
	/* The FD to node 0xa000 arrives. */
	bt_rets_init(&r);
	idx = bt_read_until(cm.fd, &r, BR_TRANSACTION, BT_ACK_REFS,
			    BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = r.r[idx].tr;
	ASSERT_EQ(0xa000, t.target.ptr);
	ASSERT_EQ(BINDER_TYPE_FD, fdo_at(&t, 0).hdr.type);
	ASSERT_EQ(ino_of(pfd[0]), ino_of(fdo_at(&t, 0).fd));
	close(fdo_at(&t, 0).fd);
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_REPLY, (uint32_t)v);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* Node 0xb000 and the manager node (flags 0): EPERM. */
	ASSERT_EQ(0, bt_hear_child(&ch, &v, 2 * BT_TIMEOUT_MS));
	ASSERT_EQ(BR_FAILED_REPLY, (uint32_t)v);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(-EPERM, (int32_t)v);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, 2 * BT_TIMEOUT_MS));
	ASSERT_EQ(BR_FAILED_REPLY, (uint32_t)v);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(-EPERM, (int32_t)v);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	close(pfd[0]);
	bt_close(&cm);
}

/* ---- fd arrays ------------------------------------------------------ */

TEST_F(fd, fda_fds_installed_in_parent_and_closed_on_free)
{
	struct { uint32_t fds[2]; uint64_t marker; } buf;
	struct binder_transaction_data tr;
	struct binder_buffer_object bo;
	struct binder_fd_array_object fa;
	struct outcome out;
	struct bt_parcel pc;
	int p1[2], p2[2], n0, f0, f1;
	uint8_t *copy;

	ASSERT_EQ(0, pipe(p1));
	ASSERT_EQ(0, pipe(p2));
	buf.fds[0] = p1[1];
	buf.fds[1] = p2[1];
	buf.marker = 0xfeedfacecafebeefULL;
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);	/* no parent object at data offset 0 */
	bt_p_ptr(&pc, &buf, sizeof(buf), 0, 0, 0);
	p_fda(&pc, 2, 0, 0);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION_SG,
				  &tr, sizeof(buf), -1));
	close(p1[1]);
	close(p2[1]);
	n0 = bt_count_fds(0);
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(8 + BBO_SIZE + FDA_SIZE, self->t.data_size);
	ASSERT_EQ(16, self->t.offsets_size);
	bo = bbo_at(&self->t, 0);
	ASSERT_EQ(sizeof(buf), bo.length);
	ASSERT_EQ(sg_start(&self->t), bo.buffer);
	fa = fda_at(&self->t, 1);
	/* The FDA object itself arrives unchanged. */
	ASSERT_EQ(BINDER_TYPE_FDA, fa.hdr.type);
	ASSERT_EQ(2, fa.num_fds);
	ASSERT_EQ(0, fa.parent);
	ASSERT_EQ(0, fa.parent_offset);
	/* The fds inside the parent buffer are ours now. */
	copy = (uint8_t *)(uintptr_t)bo.buffer;
	memcpy(&f0, copy, 4);
	memcpy(&f1, copy + 4, 4);
	ASSERT_EQ(0xfeedfacecafebeefULL, *(uint64_t *)(copy + 8));
	ASSERT_EQ(n0 + 2, bt_count_fds(0));
	ASSERT_NE(f0, f1);
	ASSERT_EQ(FD_CLOEXEC, fcntl(f0, F_GETFD));
	ASSERT_EQ(FD_CLOEXEC, fcntl(f1, F_GETFD));
	ASSERT_EQ(ino_of(p1[0]), ino_of(f0));
	ASSERT_EQ(ino_of(p2[0]), ino_of(f1));
	ASSERT_EQ(0, pipe_roundtrip(f0, p1[0], 1));
	ASSERT_EQ(0, pipe_roundtrip(f1, p2[0], 2));
	/* Freeing the buffer closes them (before BC_FREE_BUFFER returns). */
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, self->t.data.ptr.buffer));
	ASSERT_FALSE(bt_fd_is_open(f0));
	ASSERT_EQ(EBADF, errno);
	ASSERT_FALSE(bt_fd_is_open(f1));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, bt_reply(self->cm.fd, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
	/* The sender kept its copies until it exited: all gone now. */
	ASSERT_EQ(1, pipe_eof(p1[0], BT_TIMEOUT_MS));
	ASSERT_EQ(1, pipe_eof(p2[0], BT_TIMEOUT_MS));
	close(p1[0]);
	close(p2[0]);
}

TEST_F(fd, fda_then_ptr_fixup_in_same_parent)
{
	struct { uint64_t head; uint32_t fds[2]; uint64_t slot; } a;
	static const char child[] = "child-buf";	/* 10 bytes */
	struct binder_transaction_data tr;
	struct binder_buffer_object bo, bb;
	struct outcome out;
	struct bt_parcel pc;
	int p1[2], f0, f1;
	uint8_t *copy;

	ASSERT_EQ(0, pipe(p1));
	a.head = 0x1111111111111111ULL;
	a.fds[0] = p1[1];
	a.fds[1] = p1[1];
	a.slot = 0x2222222222222222ULL;
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);	/* see fixup_parent_at_data_offset_0_einval */
	bt_p_ptr(&pc, &a, sizeof(a), 0, 0, 0);
	p_fda(&pc, 2, 0, 8);			/* fds at 8..16 of a */
	bt_p_ptr(&pc, child, sizeof(child), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 16);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION_SG,
				  &tr, sizeof(a) + 16, p1[1]));
	close(p1[1]);
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	bo = bbo_at(&self->t, 0);
	bb = bbo_at(&self->t, 2);
	ASSERT_EQ(sg_start(&self->t), bo.buffer);
	ASSERT_EQ(sg_start(&self->t) + sizeof(a), bb.buffer);
	copy = (uint8_t *)(uintptr_t)bo.buffer;
	ASSERT_EQ(0x1111111111111111ULL, *(uint64_t *)copy);
	/* The pointer slot now points at the child's copy. */
	ASSERT_EQ(bb.buffer, *(uint64_t *)(copy + 16));
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)bb.buffer, child, sizeof(child)));
	memcpy(&f0, copy + 8, 4);
	memcpy(&f1, copy + 12, 4);
	/* The same file twice: two different fds. */
	ASSERT_NE(f0, f1);
	ASSERT_EQ(ino_of(p1[0]), ino_of(f0));
	ASSERT_EQ(ino_of(p1[0]), ino_of(f1));
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_FALSE(bt_fd_is_open(f0));
	ASSERT_FALSE(bt_fd_is_open(f1));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
	ASSERT_EQ(1, pipe_eof(p1[0], BT_TIMEOUT_MS));
	close(p1[0]);
}

TEST_F(fd, fda_zero_fds_accepted)
{
	uint64_t a[2] = { 5, 6 };
	struct binder_transaction_data tr;
	struct outcome out;
	struct bt_parcel pc;
	int n0;

	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);	/* see fixup_parent_at_data_offset_0_einval */
	bt_p_ptr(&pc, a, sizeof(a), 0, 0, 0);
	p_fda(&pc, 0, 0, 0);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION_SG,
				  &tr, sizeof(a), -1));
	n0 = bt_count_fds(0);
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, fda_at(&self->t, 1).num_fds);
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)bbo_at(&self->t, 0).buffer, a, sizeof(a)));
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
}

/* ---- scatter-gather buffers ------------------------------------------ */

TEST_F(fd, sg_buffers_copied_consecutively_8_aligned)
{
	static const char a[13] = "thirteen-byte";
	static const char b[5] = "five5";
	struct binder_transaction_data tr;
	struct binder_buffer_object oa, ob;
	struct outcome out;
	struct bt_parcel pc;

	bt_parcel_init(&pc);
	bt_p_u32(&pc, 0xabcdef01);
	bt_p_u32(&pc, 0);
	bt_p_ptr(&pc, a, sizeof(a), 0, 0, 0);
	bt_p_ptr(&pc, b, sizeof(b), 0, 0, 0);
	bt_tr(&tr, 0, 1, 0, &pc);
	/* 16 + 8 needed; a larger buffers_size is fine. */
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION_SG,
				  &tr, 64, -1));
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	ASSERT_EQ(8 + 2 * BBO_SIZE, self->t.data_size);
	ASSERT_EQ(16, self->t.offsets_size);
	oa = bbo_at(&self->t, 0);
	ob = bbo_at(&self->t, 1);
	ASSERT_EQ(BINDER_TYPE_PTR, oa.hdr.type);
	ASSERT_EQ(sizeof(a), oa.length);
	ASSERT_EQ(sizeof(b), ob.length);
	ASSERT_EQ(0, oa.flags);
	/* Right after the offsets, each at an 8-aligned offset. */
	ASSERT_EQ(sg_start(&self->t), oa.buffer);
	ASSERT_EQ(sg_start(&self->t) + 16, ob.buffer);
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)oa.buffer, a, sizeof(a)));
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)ob.buffer, b, sizeof(b)));
	ASSERT_EQ(0xabcdef01, *(uint32_t *)bt_data(&self->t));
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
}

TEST_F(fd, sg_nested_parent_fixups)
{
	/*
	 * A
	 *   B (parent A, offset 0)
	 *   C (parent A, offset 16)
	 *     D (parent C, offset 0)
	 *   E (parent A, offset 32)
	 */
	uint64_t A[5] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4 };
	uint64_t B[1] = { 0xb0 };
	uint64_t C[2] = { 0xc0, 0xc1 };
	uint64_t D[1] = { 0xd0 };
	uint64_t E[3] = { 0xe0, 0xe1, 0xe2 };
	struct binder_transaction_data tr;
	struct binder_buffer_object o[5];
	struct outcome out;
	struct bt_parcel pc;
	uint64_t *ca, *cc;
	int i;

	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);	/* see fixup_parent_at_data_offset_0_einval */
	bt_p_ptr(&pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&pc, B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	bt_p_ptr(&pc, C, sizeof(C), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 16);
	bt_p_ptr(&pc, D, sizeof(D), BINDER_BUFFER_FLAG_HAS_PARENT, 2, 0);
	bt_p_ptr(&pc, E, sizeof(E), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 32);
	bt_tr(&tr, 0, 1, 0, &pc);
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path, BC_TRANSACTION_SG,
				  &tr, sizeof(A) + sizeof(B) + sizeof(C) +
				  sizeof(D) + sizeof(E), -1));
	ASSERT_EQ(0, peer_go(&self->s));
	ASSERT_EQ(0, recv_txn(self->cm.fd, &self->r, &self->t));
	for (i = 0; i < 5; i++)
		o[i] = bbo_at(&self->t, i);
	/* Objects: buffers rewritten, parent/parent_offset/flags kept. */
	ASSERT_EQ(sg_start(&self->t), o[0].buffer);
	ASSERT_EQ(o[0].buffer + sizeof(A), o[1].buffer);
	ASSERT_EQ(o[1].buffer + sizeof(B), o[2].buffer);
	ASSERT_EQ(o[2].buffer + sizeof(C), o[3].buffer);
	ASSERT_EQ(o[3].buffer + sizeof(D), o[4].buffer);
	ASSERT_EQ(BINDER_BUFFER_FLAG_HAS_PARENT, o[3].flags);
	ASSERT_EQ(2, o[3].parent);
	ASSERT_EQ(32, o[4].parent_offset);
	/* Pointers inside the copies point at the copies. */
	ca = (uint64_t *)(uintptr_t)o[0].buffer;
	cc = (uint64_t *)(uintptr_t)o[2].buffer;
	ASSERT_EQ(o[1].buffer, ca[0]);
	ASSERT_EQ(0xa1, ca[1]);
	ASSERT_EQ(o[2].buffer, ca[2]);
	ASSERT_EQ(0xa3, ca[3]);
	ASSERT_EQ(o[4].buffer, ca[4]);
	ASSERT_EQ(o[3].buffer, cc[0]);
	ASSERT_EQ(0xc1, cc[1]);
	ASSERT_EQ(0xb0, *(uint64_t *)(uintptr_t)o[1].buffer);
	ASSERT_EQ(0xd0, *(uint64_t *)(uintptr_t)o[3].buffer);
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)o[4].buffer, E, sizeof(E)));
	ASSERT_EQ(0, bt_free_and_reply(self->cm.fd, self->t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_REPLY, out.br);
}

/* ---- replies carrying fds and buffers (the test process calls) ------- */

FIXTURE(reply) {
	struct bt_dev dev;
	struct bt_proc p;
	struct bt_rets r;
	struct peer s;
};

FIXTURE_SETUP(reply)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
}

FIXTURE_TEARDOWN(reply)
{
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

TEST_F(reply, fd_in_reply_installed_with_accept_fds)
{
	struct binder_transaction_data rtr, *t;
	struct binder_fd_object fo;
	struct outcome out;
	struct bt_parcel pc;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&rtr, 0, 0, 0, &pc);
	ASSERT_EQ(0, replier_start(&self->s, self->dev.path, 0, BC_REPLY, &rtr,
				   0, pfd[1]));
	close(pfd[1]);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call(self->p.fd, 0, 1, TF_ACCEPT_FDS, NULL, &self->r));
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", bt_seq(&self->r, 0));
	t = bt_last_tr(&self->r);
	fo = fdo_at(t, 0);
	ASSERT_EQ(BINDER_TYPE_FD, fo.hdr.type);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fo.fd, F_GETFD));
	ASSERT_EQ(ino_of(pfd[0]), ino_of(fo.fd));
	ASSERT_EQ(0, pipe_roundtrip(fo.fd, pfd[0], 3));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, t->data.ptr.buffer));
	ASSERT_TRUE(bt_fd_is_open(fo.fd));
	close(fo.fd);
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.br);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
}

TEST_F(reply, fd_in_reply_without_accept_fds_failed_reply)
{
	struct binder_transaction_data rtr;
	struct binder_extended_error ee;
	struct outcome out;
	struct bt_parcel pc;
	int pfd[2], n0;

	ASSERT_EQ(0, pipe(pfd));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, pfd[1]);
	bt_tr(&rtr, 0, 0, 0, &pc);
	/* The manager node accepts fds; the call's flags decide for replies. */
	ASSERT_EQ(0, replier_start(&self->s, self->dev.path,
				   FLAT_BINDER_FLAG_ACCEPTS_FDS, BC_REPLY, &rtr,
				   0, pfd[1]));
	close(pfd[1]);
	n0 = bt_count_fds(0);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(self->p.fd, 0, 1, 0, NULL, &self->r));
	ASSERT_STREQ("TRANSACTION_COMPLETE FAILED_REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_get_ee(self->p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EPERM, ee.param);
	ASSERT_EQ(n0, bt_count_fds(0));
	/* The replier only sees its BR_TRANSACTION_COMPLETE, no error. */
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.br);
	ASSERT_EQ(1, out.nrets);
	ASSERT_EQ(BR_OK, out.ee_cmd);
	ASSERT_EQ(0, out.ee_param);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
}

TEST_F(reply, reply_sg_with_fda_fixed_up_in_caller)
{
	struct { uint32_t fds[2]; uint64_t slot; } a;
	static const char child[] = "reply-child";
	struct binder_transaction_data rtr, *t;
	struct binder_buffer_object bo, bb;
	struct outcome out;
	struct bt_parcel pc;
	int p1[2], f0, f1, n0;
	uint8_t *copy;

	ASSERT_EQ(0, pipe(p1));
	a.fds[0] = p1[1];
	a.fds[1] = p1[1];
	a.slot = 0;
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);	/* see fixup_parent_at_data_offset_0_einval */
	bt_p_ptr(&pc, &a, sizeof(a), 0, 0, 0);
	p_fda(&pc, 2, 0, 0);
	bt_p_ptr(&pc, child, sizeof(child), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 8);
	bt_tr(&rtr, 0, 0, 0, &pc);
	ASSERT_EQ(0, replier_start(&self->s, self->dev.path, 0, BC_REPLY_SG, &rtr,
				   sizeof(a) + 16, p1[1]));
	close(p1[1]);
	n0 = bt_count_fds(0);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call(self->p.fd, 0, 1, TF_ACCEPT_FDS, NULL, &self->r));
	t = bt_last_tr(&self->r);
	bo = bbo_at(t, 0);
	bb = bbo_at(t, 2);
	ASSERT_EQ(sg_start(t), bo.buffer);
	ASSERT_EQ(sg_start(t) + sizeof(a), bb.buffer);
	ASSERT_TRUE(bo.buffer >= (uintptr_t)self->p.map &&
		    bb.buffer + sizeof(child) <= (uintptr_t)self->p.map + self->p.map_size);
	copy = (uint8_t *)(uintptr_t)bo.buffer;
	ASSERT_EQ(bb.buffer, *(uint64_t *)(copy + 8));
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)bb.buffer, child, sizeof(child)));
	memcpy(&f0, copy, 4);
	memcpy(&f1, copy + 4, 4);
	ASSERT_EQ(n0 + 2, bt_count_fds(0));
	ASSERT_EQ(ino_of(p1[0]), ino_of(f0));
	ASSERT_EQ(ino_of(p1[0]), ino_of(f1));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, t->data.ptr.buffer));
	ASSERT_FALSE(bt_fd_is_open(f0));
	ASSERT_FALSE(bt_fd_is_open(f1));
	ASSERT_EQ(n0, bt_count_fds(0));
	ASSERT_EQ(0, peer_outcome(&self->s, &out));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, out.br);
	ASSERT_EQ(1, pipe_eof(p1[0], BT_TIMEOUT_MS));
	close(p1[0]);
}

TEST_F(reply, undelivered_fds_released_when_receiver_dies)
{
	struct binder_transaction_data tr;
	struct bt_parcel pc;
	struct bt_chan ch;
	uint32_t fds[1];
	int p1[2], p2[2];
	uint64_t v;
	pid_t pid;

	ASSERT_EQ(0, pipe(p1));
	ASSERT_EQ(0, pipe(p2));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc r;

		bt_chan_child(&ch);
		close(p1[1]);
		close(p2[1]);
		BT_CHECK_EQ(open_receiver(self->dev.path,
					  FLAT_BINDER_FLAG_ACCEPTS_FDS, &r), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		bt_hear_parent(&ch, &v, 60000);
		_exit(0);	/* without ever reading */
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* Two one-ways: an FD (process todo), an FDA (node async queue). */
	bt_parcel_init(&pc);
	bt_p_fd(&pc, p1[1]);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(self->p.fd, 0, 1, TF_ONE_WAY,
						   &pc, &self->r));
	fds[0] = p2[1];
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 0);
	bt_p_ptr(&pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&pc, 1, 0, 0);
	bt_tr(&tr, 0, 1, TF_ONE_WAY, &pc);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call_tr(self->p.fd, BC_TRANSACTION_SG,
						      &tr, 8, &self->r));
	close(p1[1]);
	close(p2[1]);
	/* binder holds both files for the undelivered transactions... */
	ASSERT_EQ(0, pipe_eof(p1[0], 100));
	ASSERT_EQ(0, pipe_eof(p2[0], 100));
	/* ...until the receiver goes away. */
	bt_chan_close(&ch);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	ASSERT_EQ(1, pipe_eof(p1[0], BT_TIMEOUT_MS));
	ASSERT_EQ(1, pipe_eof(p2[0], BT_TIMEOUT_MS));
	close(p1[0]);
	close(p2[0]);
}

/* ---- rejected transactions (the test process sends) ------------------ */

FIXTURE(bad) {
	struct bt_dev dev;
	struct bt_proc p;
	pid_t srv;
	int srv_fds;
	struct bt_parcel pc;
	struct bt_rets r;
	struct binder_extended_error ee;
};

/*
 * A fresh parcel that starts with 8 bytes of data: the C driver takes a
 * parent object at data offset 0 for "no object to fix up in"
 * (binder_validate_fixup(), last_obj_offset == 0), see
 * fixup_parent_at_data_offset_0_einval.
 */
#define RESET_PC() do {								\
	bt_parcel_init(&self->pc);						\
	bt_p_u64(&self->pc, 0x4848484848484848ULL);				\
} while (0)

/* A report service as context manager with node flags, and our fd. */
#define BAD_SETUP(flags_) do {							\
	struct bt_server_opts __o = { .ptr = 0x1000, .cookie = 0x1001,		\
				      .cm_flags = (flags_) };			\
	ASSERT_EQ(0, bt_dev_create(&self->dev));				\
	self->srv = bt_start_server(self->dev.path, &__o);			\
	ASSERT_GT(self->srv, 0);						\
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));		\
	/* One call first: by then the service has closed its start-up pipes. */ \
	ASSERT_EQ(BR_REPLY, bt_call_report(self->p.fd, 0, BT_CODE_REPORT, 0,	\
					   NULL, NULL, NULL, 0, NULL));		\
	self->srv_fds = bt_count_fds(self->srv);				\
	ASSERT_GT(self->srv_fds, 0);						\
	RESET_PC();								\
} while (0)

#define BAD_TEARDOWN() do {							\
	bt_kill(self->srv);							\
	bt_close(&self->p);							\
	bt_dev_destroy(&self->dev);						\
} while (0)

FIXTURE_SETUP(bad)
{
	BAD_SETUP(FLAT_BINDER_FLAG_ACCEPTS_FDS);
}

FIXTURE_TEARDOWN(bad)
{
	BAD_TEARDOWN();
}

FIXTURE(noaccept) {
	struct bt_dev dev;
	struct bt_proc p;
	pid_t srv;
	int srv_fds;
	struct bt_parcel pc;
	struct bt_rets r;
	struct binder_extended_error ee;
};

FIXTURE_SETUP(noaccept)
{
	BAD_SETUP(0);
}

FIXTURE_TEARDOWN(noaccept)
{
	BAD_TEARDOWN();
}

/* Send self->pc with BC_TRANSACTION_SG: expect only BR_FAILED_REPLY with err_. */
#define EXPECT_SG_REJECTED(bufsize, err_) do {					\
	struct binder_transaction_data __tr;					\
	bt_tr(&__tr, 0, BT_CODE_REPORT, 0, &self->pc);				\
	bt_rets_init(&self->r);							\
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(self->p.fd, BC_TRANSACTION_SG,	\
					      &__tr, bufsize, &self->r));	\
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&self->r, 0));			\
	ASSERT_EQ(0, bt_get_ee(self->p.fd, &self->ee));				\
	ASSERT_EQ(BR_FAILED_REPLY, self->ee.command);				\
	ASSERT_EQ(err_, self->ee.param);					\
	ASSERT_EQ(self->srv_fds, bt_count_fds(self->srv));			\
} while (0)

/* The service still works and got nothing else. */
#define EXPECT_SERVICE_CLEAN() do {						\
	struct bt_report __rep;							\
	ASSERT_EQ(BR_REPLY, bt_call_report(self->p.fd, 0, BT_CODE_REPORT, 0,	\
					   NULL, &__rep, NULL, 0, NULL));	\
	ASSERT_EQ(2, __rep.txn_count);	/* the set-up call and this one */	\
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));				\
} while (0)

TEST_F(bad, bad_fd_after_good_fd_ebadf_releases_file)
{
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	bt_p_fd(&self->pc, pfd[1]);
	bt_p_fd(&self->pc, 999);
	EXPECT_SG_REJECTED(0, -EBADF);
	/* binder dropped its reference to the first file. */
	close(pfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fda_bad_fd_ebadf_releases_file)
{
	uint32_t fds[2];
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	fds[0] = pfd[1];
	fds[1] = 999;
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 0);
	EXPECT_SG_REJECTED(8, -EBADF);
	close(pfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, failure_after_fd_objects_releases_files)
{
	uint32_t fds[2];
	uint64_t buf[2] = { 0, 0 };
	int pfd[2];

	/* FD, FDA (2 fds), then a PTR with an invalid parent. */
	ASSERT_EQ(0, pipe(pfd));
	fds[0] = pfd[1];
	fds[1] = pfd[1];
	bt_p_fd(&self->pc, pfd[1]);
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 1, 0);
	bt_p_ptr(&self->pc, buf, sizeof(buf), BINDER_BUFFER_FLAG_HAS_PARENT, 7, 0);
	EXPECT_SG_REJECTED(32, -EINVAL);
	close(pfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fda_too_many_fds_for_parent_einval)
{
	uint32_t fds[2] = { 0, 1 };

	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 3, 0, 0);
	EXPECT_SG_REJECTED(8, -EINVAL);
	/* Two fds, but starting at offset 4 of an 8-byte parent. */
	RESET_PC();
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 4);
	EXPECT_SG_REJECTED(8, -EINVAL);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fda_parent_must_be_earlier_ptr_einval)
{
	uint32_t fds[2] = { 0, 1 };

	/* Parent index pointing at a BINDER object. */
	bt_p_binder(&self->pc, BINDER_TYPE_BINDER, 0x5000, 0x5001, 0);
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 0);
	EXPECT_SG_REJECTED(8, -EINVAL);
	/* Parent index of the FDA itself / a later object. */
	RESET_PC();
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 1, 0);
	EXPECT_SG_REJECTED(8, -EINVAL);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fda_unaligned_parent_offset_einval)
{
	uint32_t fds[4] = { 0, 1, 2, 3 };

	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 2);
	EXPECT_SG_REJECTED(16, -EINVAL);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fda_fixup_below_fda_end_einval)
{
	struct { uint64_t head; uint32_t fds[2]; uint64_t slot; } a;
	uint64_t child = 7;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	a.head = 0;
	a.fds[0] = pfd[1];
	a.fds[1] = pfd[1];
	a.slot = 0;
	/* FDA covers 8..16 of a: a pointer fixup at 8 is out of order. */
	bt_p_ptr(&self->pc, &a, sizeof(a), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 8);
	bt_p_ptr(&self->pc, &child, sizeof(child), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 8);
	EXPECT_SG_REJECTED(32, -EINVAL);
	close(pfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, sg_out_of_order_fixups_einval)
{
	uint64_t A[5] = { 0 }, B = 1, C[2] = { 2, 3 }, D = 4;

	/* Decreasing offset within the same parent. */
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, C, sizeof(C), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 16);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	EXPECT_SG_REJECTED(128, -EINVAL);
	/* The same offset twice. */
	RESET_PC();
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	bt_p_ptr(&self->pc, &D, sizeof(D), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	EXPECT_SG_REJECTED(128, -EINVAL);
	/* A parent that is neither the last object nor one of its parents. */
	RESET_PC();
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	bt_p_ptr(&self->pc, C, sizeof(C), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 16);
	bt_p_ptr(&self->pc, &D, sizeof(D), BINDER_BUFFER_FLAG_HAS_PARENT, 1, 0);
	EXPECT_SG_REJECTED(128, -EINVAL);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, sg_invalid_parent_einval)
{
	uint64_t A[2] = { 0, 0 }, B = 1;

	/* The first object can't have a parent (not even itself). */
	bt_p_ptr(&self->pc, A, sizeof(A), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	EXPECT_SG_REJECTED(16, -EINVAL);
	/* A later object as parent. */
	RESET_PC();
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 2, 0);
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	EXPECT_SG_REJECTED(48, -EINVAL);
	/* A parent that is not a PTR object. */
	RESET_PC();
	bt_p_binder(&self->pc, BINDER_TYPE_BINDER, 0x6000, 0x6001, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	EXPECT_SG_REJECTED(8, -EINVAL);
	/* No room for a pointer at parent_offset (16-byte parent, offset 12). */
	RESET_PC();
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 12);
	EXPECT_SG_REJECTED(24, -EINVAL);
	EXPECT_SERVICE_CLEAN();
}

TEST_F(bad, fixup_parent_at_data_offset_0_einval)
{
	uint64_t A[2] = { 1, 2 }, B = 3;
	uint32_t fds[2] = { 0, 1 };
	struct binder_transaction_data tr;

	/* A parent PTR object at data offset 0 can't be fixed up into. */
	bt_parcel_init(&self->pc);
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	EXPECT_SG_REJECTED(24, -EINVAL);
	bt_parcel_init(&self->pc);
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 2, 0, 0);
	EXPECT_SG_REJECTED(8, -EINVAL);
	/* The same objects after 8 bytes of data work. */
	RESET_PC();
	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, &B, sizeof(B), BINDER_BUFFER_FLAG_HAS_PARENT, 0, 0);
	bt_tr(&tr, 0, BT_CODE_REPORT, 0, &self->pc);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call_tr(self->p.fd, BC_TRANSACTION_SG, &tr, 24,
				       &self->r));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, bt_last_tr(&self->r)->data.ptr.buffer));
}

TEST_F(bad, sg_buffers_size_covers_all_buffers)
{
	uint64_t A[2] = { 1, 2 }, B[2] = { 3, 4 };
	struct binder_transaction_data tr;

	bt_p_ptr(&self->pc, A, sizeof(A), 0, 0, 0);
	bt_p_ptr(&self->pc, B, sizeof(B), 0, 0, 0);
	EXPECT_SG_REJECTED(24, -EINVAL);
	/* Exactly enough works. */
	bt_tr(&tr, 0, BT_CODE_REPORT, 0, &self->pc);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call_tr(self->p.fd, BC_TRANSACTION_SG, &tr, 32,
				       &self->r));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, bt_last_tr(&self->r)->data.ptr.buffer));
}

TEST_F(noaccept, fd_objects_need_accept_fds)
{
	uint32_t fds[1];
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	bt_p_fd(&self->pc, pfd[1]);
	EXPECT_SG_REJECTED(0, -EPERM);
	fds[0] = pfd[1];
	RESET_PC();
	bt_p_ptr(&self->pc, fds, sizeof(fds), 0, 0, 0);
	p_fda(&self->pc, 1, 0, 0);
	EXPECT_SG_REJECTED(8, -EPERM);
	/* One-way too. */
	{
		struct binder_transaction_data tr;

		bt_tr(&tr, 0, BT_CODE_REPORT, TF_ONE_WAY, &self->pc);
		bt_rets_init(&self->r);
		ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(self->p.fd, BC_TRANSACTION_SG,
						      &tr, 8, &self->r));
		ASSERT_STREQ("FAILED_REPLY", bt_seq(&self->r, 0));
	}
	close(pfd[1]);
	ASSERT_EQ(1, pipe_eof(pfd[0], BT_TIMEOUT_MS));
	close(pfd[0]);
	EXPECT_SERVICE_CLEAN();
}

TEST_HARNESS_MAIN
