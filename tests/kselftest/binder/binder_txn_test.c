// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: transactions: synchronous and one-way calls, replies,
 * BR_TRANSACTION_COMPLETE ordering, sender identity, one-way
 * serialisation, nested and recursive calls, buffer space, failures.
 * Every expectation is what the C driver (Linux 6.12) does.
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

static void fill(void *buf, size_t n, unsigned int seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7);
}

TEST_F(binder, sync_call_roundtrip)
{
	struct binder_transaction_data *tr;
	uint8_t sent[40], *got;
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	fill(sent, sizeof(sent), 1);
	bt_parcel_init(&pc);
	bt_p_bytes(&pc, sent, sizeof(sent));
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call(p.fd, 0, BT_CODE_REPORT, 0, &pc, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	tr = bt_last_tr(&r);
	/* What the caller sees in BR_REPLY. */
	ASSERT_EQ(0, tr->target.ptr);
	ASSERT_EQ(0, tr->cookie);
	ASSERT_EQ(0, tr->code);
	ASSERT_EQ(0, tr->flags);
	ASSERT_EQ(0, tr->sender_pid);	/* replies carry no sender pid */
	ASSERT_EQ(0, tr->sender_euid);
	ASSERT_EQ(sizeof(rep) + sizeof(sent), tr->data_size);
	ASSERT_EQ(0, tr->offsets_size);
	ASSERT_GE(tr->data.ptr.buffer, (uintptr_t)p.map);
	ASSERT_LE(tr->data.ptr.buffer + tr->data_size, (uintptr_t)p.map + BT_MAP_SIZE);
	/* What the service saw in BR_TRANSACTION. */
	memcpy(&rep, bt_data(tr), sizeof(rep));
	ASSERT_EQ(BR_TRANSACTION, rep.cmd);
	ASSERT_EQ(BT_CODE_REPORT, rep.code);
	ASSERT_EQ(0, rep.flags);
	ASSERT_EQ(sizeof(sent), rep.data_size);
	ASSERT_EQ(0, rep.offsets_size);
	ASSERT_EQ(1, rep.buffer_in_map);
	ASSERT_EQ(sizeof(sent), rep.data_copied);
	got = (uint8_t *)bt_data(tr) + sizeof(rep);
	ASSERT_EQ(0, memcmp(sent, got, sizeof(sent)));
	ASSERT_EQ(0, bt_free_buffer(p.fd, tr->data.ptr.buffer));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, sender_pid_and_euid)
{
	struct bt_report rep;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(getpid(), rep.sender_pid);
	ASSERT_EQ(0, rep.sender_euid);
	/* The euid at the time of the call. */
	ASSERT_EQ(0, seteuid(1000));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0, seteuid(0));
	ASSERT_EQ(1000, rep.sender_euid);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

struct thread_call {
	int fd;
	pid_t tid;
	int ret;
	struct bt_report rep;
};

static void *thread_call_fn(void *a)
{
	struct thread_call *tc = a;

	tc->tid = bt_gettid();
	tc->ret = bt_call_report(tc->fd, 0, BT_CODE_REPORT, 0, NULL, &tc->rep,
				 NULL, 0, NULL);
	return NULL;
}

TEST_F(binder, sender_pid_is_tgid_of_calling_thread)
{
	struct thread_call tc;
	struct bt_proc p;
	pthread_t th;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	memset(&tc, 0, sizeof(tc));
	tc.fd = p.fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, thread_call_fn, &tc));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(BR_REPLY, tc.ret);
	ASSERT_NE(getpid(), tc.tid);
	ASSERT_EQ(getpid(), tc.rep.sender_pid);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, oneway_call_fields)
{
	struct bt_report rep, last;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 0xfeedf00d);
	bt_rets_init(&r);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE,
		  bt_call(p.fd, 0, 42, TF_ONE_WAY, &pc, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&r, 0));
	/* Ask the service what it saw (a sync call is ordered after it here). */
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_GET_LAST_ONEWAY, 0,
					   NULL, &last, NULL, 0, NULL));
	ASSERT_EQ(BR_TRANSACTION, last.cmd);
	ASSERT_EQ(42, last.code);
	ASSERT_EQ(TF_ONE_WAY, last.flags);
	ASSERT_EQ(0, last.sender_pid);	/* one-way: no sender pid */
	ASSERT_EQ(0, last.sender_euid);
	ASSERT_EQ(4, last.data_size);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(3, rep.txn_count);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, transaction_flags_passed_through)
{
	uint32_t flags = TF_ACCEPT_FDS | TF_CLEAR_BUF | TF_ROOT_OBJECT;
	struct bt_report rep;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, 0x12345678, flags, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0x12345678, rep.code);
	ASSERT_EQ(flags, rep.flags);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, status_code_reply)
{
	struct binder_transaction_data *tr;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	uint32_t v;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 0xffffffea);	/* -22 */
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call(p.fd, 0, BT_CODE_STATUS, 0, &pc, &r));
	tr = bt_last_tr(&r);
	ASSERT_EQ(TF_STATUS_CODE, tr->flags);
	ASSERT_EQ(4, tr->data_size);
	memcpy(&v, bt_data(tr), 4);
	ASSERT_EQ(0xffffffea, v);
	ASSERT_EQ(0, bt_free_buffer(p.fd, tr->data.ptr.buffer));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, empty_and_unaligned_sizes)
{
	struct bt_report rep;
	struct bt_parcel pc;
	uint8_t back[16];
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0, rep.data_size);
	ASSERT_EQ(0, rep.offsets_size);
	ASSERT_EQ(0, rep.offsets_delta);
	ASSERT_EQ(1, rep.buffer_in_map);
	/* The offsets array starts at the pointer-aligned end of the data. */
	bt_parcel_init(&pc);
	bt_p_bytes(&pc, "0123456789abc", 13);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, &pc,
					   &rep, back, sizeof(back), NULL));
	ASSERT_EQ(13, rep.data_size);
	ASSERT_EQ(16, rep.offsets_delta);
	ASSERT_EQ(0, memcmp(back, "0123456789abc", 13));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

/* A context manager child that does only what the parent tells it to. */
enum { CM_READ_AND_REPLY = 1, CM_EXIT, CM_UNMAP_TAIL };

static void manual_cm(const char *path, struct bt_chan *ch, size_t map_size)
{
	struct bt_proc p;
	uint64_t cmd;

	bt_chan_child(ch);
	BT_CHECK_EQ(bt_open(path, map_size, &p), 0);
	BT_CHECK_EQ(bt_set_cm(p.fd), 0);
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	BT_CHECK_EQ(bt_tell_parent(ch, 0), 0);
	for (;;) {
		BT_CHECK_EQ(bt_hear_parent(ch, &cmd, 30000), 0);
		if (cmd == CM_READ_AND_REPLY) {
			struct bt_parcel pc;
			struct bt_rets r;
			int idx;

			bt_rets_init(&r);
			idx = bt_read_until(p.fd, &r, BR_TRANSACTION, BT_ACK_REFS,
					    BT_TIMEOUT_MS);
			BT_CHECK(idx >= 0);
			bt_parcel_init(&pc);
			bt_p_u32(&pc, 5);
			if (!(r.r[idx].tr.flags & TF_ONE_WAY))
				BT_CHECK_EQ(bt_reply(p.fd, &pc, 0), 0);
			BT_CHECK_EQ(bt_free_buffer(p.fd, r.r[idx].tr.data.ptr.buffer), 0);
			BT_CHECK_EQ(bt_tell_parent(ch, 0), 0);
		} else if (cmd == CM_UNMAP_TAIL) {
			/* The last page of the area goes: the vma is split. */
			BT_CHECK_EQ(munmap((char *)p.map + p.map_size - 4096, 4096), 0);
			BT_CHECK_EQ(bt_tell_parent(ch, 0), 0);
		} else {
			_exit(0);
		}
	}
}

static pid_t start_manual_cm(const char *path, struct bt_chan *ch, size_t map_size)
{
	uint64_t v;
	pid_t pid;

	if (bt_chan_init(ch))
		return -1;
	pid = bt_fork();
	if (pid == 0)
		manual_cm(path, ch, map_size);
	bt_chan_parent(ch);
	if (bt_hear_child(ch, &v, BT_TIMEOUT_MS)) {
		bt_kill(pid);
		return -1;
	}
	return pid;
}

TEST_F(binder, sync_transaction_complete_deferred_until_reply)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc p;
	uint64_t v;
	pid_t pid;

	pid = start_manual_cm(self->dev.path, &ch, BT_MAP_SIZE);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr(&tr, 0, 1, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	bt_msleep(50);
	/* Not even BR_TRANSACTION_COMPLETE before the reply. */
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_READ_AND_REPLY));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS));
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_EXIT));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

TEST_F(binder, oneway_transaction_complete_immediate)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc p;
	uint64_t v;
	pid_t pid;

	pid = start_manual_cm(self->dev.path, &ch, BT_MAP_SIZE);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr(&tr, 0, 1, TF_ONE_WAY, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	/* The service has not read it yet. */
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(p.fd, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_READ_AND_REPLY));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_EXIT));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

/* A client child: waits for "go", then sends the one-way codes and a final sync code 0 if asked. */
static pid_t start_oneway_client(const char *path, struct bt_chan *ch,
				 const uint32_t *codes, int n, bool sync_last)
{
	pid_t pid;

	if (bt_chan_init(ch))
		return -1;
	pid = bt_fork();
	if (pid == 0) {
		struct bt_proc p;
		struct bt_rets r;
		uint64_t v;
		int i;

		bt_chan_child(ch);
		BT_CHECK_EQ(bt_hear_parent(ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &p), 0);
		for (i = 0; i < n; i++) {
			bt_rets_init(&r);
			BT_CHECK_EQ(bt_call(p.fd, 0, codes[i], TF_ONE_WAY, NULL, &r),
				    BR_TRANSACTION_COMPLETE);
		}
		BT_CHECK_EQ(bt_tell_parent(ch, 1), 0);
		if (sync_last) {
			bt_rets_init(&r);
			BT_CHECK_EQ(bt_call(p.fd, 0, 100, 0, NULL, &r), BR_REPLY);
		}
		BT_CHECK_EQ(bt_hear_parent(ch, &v, BT_TIMEOUT_MS), 0);
		_exit(0);
	}
	bt_chan_parent(ch);
	return pid;
}

static int read_txn(int fd, struct binder_transaction_data *out)
{
	struct bt_rets r;
	int idx;

	bt_rets_init(&r);
	idx = bt_read_until(fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	if (idx < 0)
		return idx;
	*out = r.r[idx].tr;
	return 0;
}

TEST_F(binder, oneway_delivered_one_at_a_time_per_node)
{
	static const uint32_t codes[] = { 1, 2, 3 };
	struct binder_transaction_data t1, t2, t3;
	struct bt_chan ch;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;

	pid = start_oneway_client(self->dev.path, &ch, codes, 3, false);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* All three are queued; only the first is delivered. */
	ASSERT_EQ(0, read_txn(cm.fd, &t1));
	ASSERT_EQ(1, t1.code);
	ASSERT_EQ(TF_ONE_WAY, t1.flags);
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	/* The next one comes when the buffer of the previous one is freed. */
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t1.data.ptr.buffer));
	ASSERT_EQ(0, read_txn(cm.fd, &t2));
	ASSERT_EQ(2, t2.code);
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	/* Freeing a wrong pointer (inside the buffer) does nothing. */
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t2.data.ptr.buffer + 8));
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t2.data.ptr.buffer));
	ASSERT_EQ(0, read_txn(cm.fd, &t3));
	ASSERT_EQ(3, t3.code);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t3.data.ptr.buffer));
	/* A second free of the same buffer is ignored. */
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t3.data.ptr.buffer));
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, sync_call_not_blocked_by_pending_oneway)
{
	static const uint32_t codes[] = { 1, 2 };
	struct binder_transaction_data t1, t2;
	struct bt_chan ch;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;

	pid = start_oneway_client(self->dev.path, &ch, codes, 2, true);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, read_txn(cm.fd, &t1));
	ASSERT_EQ(1, t1.code);
	/* One-way 2 waits for t1's buffer; the sync call does not. */
	ASSERT_EQ(0, read_txn(cm.fd, &t2));
	ASSERT_EQ(100, t2.code);
	ASSERT_EQ(0, t2.flags);
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t2.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t1.data.ptr.buffer));
	ASSERT_EQ(0, read_txn(cm.fd, &t2));
	ASSERT_EQ(2, t2.code);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t2.data.ptr.buffer));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, poll_wakes_on_incoming_transaction)
{
	static const uint32_t codes[] = { 7 };
	struct binder_transaction_data t;
	struct pollfd pfd;
	struct bt_chan ch;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;

	pid = start_oneway_client(self->dev.path, &ch, codes, 1, false);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	pfd.fd = cm.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(1, poll(&pfd, 1, BT_TIMEOUT_MS));
	ASSERT_EQ(POLLIN, pfd.revents);
	ASSERT_EQ(0, read_txn(cm.fd, &t));
	ASSERT_EQ(7, t.code);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

/* A client child for the context manager (the test process) to answer. */
static pid_t start_sync_client(const char *path, struct bt_chan *ch,
			       uint32_t code, uint32_t flags, const char *want_seq,
			       const void *data, size_t len)
{
	pid_t pid;

	if (bt_chan_init(ch))
		return -1;
	pid = bt_fork();
	if (pid == 0) {
		struct binder_extended_error ee;
		struct bt_parcel pc;
		struct bt_proc p;
		struct bt_rets r;
		uint64_t v;

		bt_chan_child(ch);
		BT_CHECK_EQ(bt_hear_parent(ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &p), 0);
		bt_parcel_init(&pc);
		if (len)
			bt_p_bytes(&pc, data, len);
		bt_rets_init(&r);
		bt_call(p.fd, 0, code, flags, &pc, &r);
		BT_CHECK_STR(bt_seq(&r, 0), want_seq);
		BT_CHECK_EQ(bt_get_ee(p.fd, &ee), 0);
		BT_CHECK_EQ(bt_tell_parent(ch, ee.command), 0);
		BT_CHECK_EQ(bt_tell_parent(ch, (uint32_t)ee.param), 0);
		_exit(0);
	}
	bt_chan_parent(ch);
	return pid;
}

TEST_F(binder, failed_reply_goes_to_caller)
{
	struct binder_extended_error ee;
	struct binder_transaction_data t;
	struct bt_parcel pc;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc cm;
	uint64_t cmd, param;
	pid_t pid;

	pid = start_sync_client(self->dev.path, &ch, 1, 0,
				"TRANSACTION_COMPLETE FAILED_REPLY", NULL, 0);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, read_txn(cm.fd, &t));
	/* Reply with an object naming a handle we don't have. */
	bt_parcel_init(&pc);
	bt_p_handle(&pc, BINDER_TYPE_HANDLE, 99);
	ASSERT_EQ(0, bt_reply(cm.fd, &pc, 0));
	/* The replier only sees BR_TRANSACTION_COMPLETE... */
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(cm.fd, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(cm.fd, &ee));
	ASSERT_EQ(BR_OK, ee.command);
	ASSERT_EQ(0, bt_free_buffer(cm.fd, t.data.ptr.buffer));
	/* ...the caller gets BR_FAILED_REPLY and the extended error. */
	ASSERT_EQ(0, bt_hear_child(&ch, &cmd, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_hear_child(&ch, &param, BT_TIMEOUT_MS));
	ASSERT_EQ(BR_FAILED_REPLY, cmd);
	ASSERT_EQ((uint32_t)-EINVAL, param);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	/* The failed reply still popped the transaction: a new reply fails. */
	ASSERT_EQ(0, bt_reply(cm.fd, NULL, 0));
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(cm.fd, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, clear_buf_zeroes_buffer_on_free)
{
	struct binder_transaction_data t;
	uint8_t data[64], zero[64];
	struct bt_chan ch;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;

	memset(data, 0xab, sizeof(data));
	memset(zero, 0, sizeof(zero));
	pid = start_sync_client(self->dev.path, &ch, 1, TF_CLEAR_BUF,
				"TRANSACTION_COMPLETE REPLY", data, sizeof(data));
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, read_txn(cm.fd, &t));
	ASSERT_EQ(TF_CLEAR_BUF, t.flags);
	ASSERT_EQ(64, t.data_size);
	ASSERT_EQ(0, memcmp(bt_data(&t), data, sizeof(data)));
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, NULL, 0));
	/* The pages stay mapped; the contents were cleared. */
	ASSERT_EQ(0, memcmp(bt_data(&t), zero, sizeof(zero)));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, new_call_rejected_while_reply_unread)
{
	struct binder_extended_error ee;
	struct binder_transaction_data tr;
	uint32_t rbuf[20];
	struct bt_cmds c;
	struct bt_rets r;
	struct bt_proc p;
	size_t rc = 0;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr(&tr, 0, BT_CODE_REPORT, 0, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	/* An 80-byte read takes BR_TRANSACTION_COMPLETE but not the BR_REPLY. */
	ASSERT_EQ(0, bt_wr(p.fd, NULL, 0, NULL, rbuf, 80, &rc, BT_TIMEOUT_MS));
	ASSERT_EQ(8, rc);
	ASSERT_EQ(BR_NOOP, rbuf[0]);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, rbuf[1]);
	/* A transaction at the head of the thread's todo list: no new call. */
	ASSERT_EQ(0, bt_send(p.fd, &c));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_FAILED_REPLY, 0, BT_TIMEOUT_MS));
	ASSERT_STREQ("REPLY FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EPROTO, ee.param);
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, target_without_mmap_dead_reply)
{
	struct binder_extended_error ee;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc p;
	pid_t pid;

	pid = start_manual_cm(self->dev.path, &ch, 0);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, 0, NULL, &r));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_DEAD_REPLY, ee.command);
	ASSERT_EQ(-ESRCH, ee.param);
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, TF_ONE_WAY, NULL, &r));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_EXIT));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

/*
 * Once any part of the target's area is unmapped its buffers are gone for
 * good (C clears alloc->vma in vm_ops->close): BR_DEAD_REPLY, -ESRCH, even
 * for a small call that would fit in the pages still mapped. Found by the
 * fuzzer (binder_fuzz munmap of the last page) as a difference from C.
 */
TEST_F(binder, target_partly_unmapped_dead_reply)
{
	struct binder_extended_error ee;
	struct bt_parcel pc;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc p;
	uint64_t v;
	pid_t pid;

	pid = start_manual_cm(self->dev.path, &ch, BT_MAP_SIZE);
	ASSERT_GT(pid, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 1);
	/* Delivered while the area is whole. */
	bt_rets_init(&r);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(p.fd, 0, 1, TF_ONE_WAY, &pc, &r));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_READ_AND_REPLY));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_UNMAP_TAIL));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, 0, &pc, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_DEAD_REPLY, ee.command);
	ASSERT_EQ(-ESRCH, ee.param);
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, 1, TF_ONE_WAY, &pc, &r));
	ASSERT_EQ(0, bt_tell_child(&ch, CM_EXIT));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

TEST_F(binder, bad_user_pointers_failed_reply)
{
	struct binder_extended_error ee;
	struct binder_transaction_data tr;
	uint8_t data[32] = { 0 };
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Unreadable data. */
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, (void *)8, 16, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EFAULT, ee.param);
	/* Unreadable offsets. */
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, sizeof(data), (void *)8, 8);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-EFAULT, ee.param);
	/* Nothing leaked: a normal call (the stop request) works. */
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, oversized_transactions_failed_reply)
{
	struct binder_extended_error ee;
	struct binder_transaction_data tr;
	uint8_t data[8] = { 0 };
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Larger than the target's area: no space. */
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, 1ULL << 40, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-ENOSPC, ee.param);
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, BT_MAP_SIZE + 8, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-ENOSPC, ee.param);
	/* Sizes whose aligned sum overflows: invalid. */
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, ~0ULL - 2, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-EINVAL, ee.param);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, mapping_larger_than_4m_is_capped)
{
	struct bt_server_opts o = { .map_size = 8 << 20 };
	int i;
	struct binder_extended_error ee;
	struct binder_transaction_data tr;
	struct bt_report rep;
	struct bt_rets r;
	struct bt_proc p;
	uint8_t *data;
	pid_t srv;

	data = calloc(1, BT_MAX_MAP + 8);
	ASSERT_NE(NULL, data);
	srv = bt_start_server(self->dev.path, &o);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, BT_MAX_MAP + 8, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-ENOSPC, ee.param);
	/* Exactly 4 MiB fits (the whole capped area). */
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, BT_MAX_MAP, NULL, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_tr(p.fd, BC_TRANSACTION, &tr, 0, &r));
	memcpy(&rep, bt_data(bt_last_tr(&r)), sizeof(rep));
	ASSERT_EQ(BT_MAX_MAP, rep.data_size);
	ASSERT_EQ(1, rep.buffer_in_map);
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	/*
	 * The server frees the 4 MiB request in the write that sends its
	 * reply, after the reply: until it has, its area is full and a call
	 * fails (ENOSPC). Wait for room with small calls.
	 */
	for (i = 0; i < 200; i++) {
		bt_rets_init(&r);
		if (bt_call(p.fd, 0, BT_CODE_REPORT, 0, NULL, &r) == BR_REPLY)
			break;
		bt_msleep(10);
	}
	ASSERT_LT(i, 200);
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
	free(data);
}

static int call_size(int fd, uint32_t code, uint32_t flags, const void *data,
		     size_t size, struct bt_rets *r)
{
	struct binder_transaction_data tr;
	int ret;

	bt_tr_raw(&tr, 0, code, flags, data, size, NULL, 0);
	bt_rets_init(r);
	ret = bt_call_tr(fd, BC_TRANSACTION, &tr, 0, r);
	if (ret == (int)BR_REPLY)
		bt_free_buffer(fd, bt_last_tr(r)->data.ptr.buffer);
	return ret;
}

TEST_F(binder, buffer_exhaustion_and_recovery)
{
	const size_t sz = BT_MAP_SIZE / 4 - 8;
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;
	uint8_t *data;
	pid_t srv;
	int i;

	data = calloc(1, sz);
	ASSERT_NE(NULL, data);
	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* The service keeps each buffer: four fill 128 KiB but 32 bytes. */
	for (i = 0; i < 4; i++)
		ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_HOLD, 0, data, sz, &r));
	ASSERT_EQ(BR_FAILED_REPLY, call_size(p.fd, BT_CODE_HOLD, 0, data, sz, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-ENOSPC, ee.param);
	/* Small ones still fit; freeing one held buffer makes room again. */
	ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_FREE_HELD, 0, data, 0, &r));
	ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_HOLD, 0, data, sz, &r));
	ASSERT_EQ(BR_FAILED_REPLY, call_size(p.fd, BT_CODE_HOLD, 0, data, sz, &r));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
	free(data);
}

TEST_F(binder, async_space_is_half_the_area)
{
	const size_t sz = BT_MAP_SIZE / 8;
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;
	uint8_t *data;
	pid_t srv;
	int i;

	data = calloc(1, sz);
	ASSERT_NE(NULL, data);
	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* The service holds the first one-way; the others queue behind it. */
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(BR_TRANSACTION_COMPLETE,
			  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, sz, &r));
		/* Spam detection is off: plain BR_TRANSACTION_COMPLETE. */
		ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&r, 0));
	}
	ASSERT_EQ(BR_FAILED_REPLY,
		  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, sz, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-ENOSPC, ee.param);
	ASSERT_EQ(BR_FAILED_REPLY,
		  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, 8, &r));
	/* Synchronous calls use the other half. */
	ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_REPORT, 0, data, sz, &r));
	ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_REPORT, 0, data, sz, &r));
	/* Freeing the held one-way gives its async space back. */
	ASSERT_EQ(BR_REPLY, call_size(p.fd, BT_CODE_FREE_HELD, 0, data, 0, &r));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE,
		  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, sz, &r));
	bt_kill(srv);
	bt_close(&p);
	free(data);
}

TEST_F(binder, oneway_spam_suspect_when_enabled)
{
	const size_t sz = BT_MAP_SIZE / 8;
	struct bt_rets r;
	struct bt_proc p;
	uint32_t on = 1;
	uint8_t *data;
	pid_t srv;
	int i;

	data = calloc(1, sz);
	ASSERT_NE(NULL, data);
	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_ENABLE_ONEWAY_SPAM_DETECTION, &on));
	for (i = 0; i < 3; i++)
		ASSERT_EQ(BR_TRANSACTION_COMPLETE,
			  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, sz, &r));
	/*
	 * The fourth leaves less than 10% of the area for async buffers
	 * while this sender holds more than 25% of it.
	 */
	ASSERT_EQ(BR_ONEWAY_SPAM_SUSPECT,
		  call_size(p.fd, BT_CODE_HOLD, TF_ONE_WAY, data, sz, &r));
	ASSERT_STREQ("ONEWAY_SPAM_SUSPECT", bt_seq(&r, 0));
	bt_kill(srv);
	bt_close(&p);
	free(data);
}

struct conc_arg {
	int fd;
	int id;
	int calls;
	int failures;
};

static void *conc_thread(void *a)
{
	struct conc_arg *arg = a;
	int i;

	for (i = 0; i < arg->calls; i++) {
		uint32_t sent[4] = { arg->id, i, 0xabc, (uint32_t)bt_gettid() };
		uint32_t back[4] = { 0 };
		struct bt_report rep;
		struct bt_parcel pc;

		bt_parcel_init(&pc);
		bt_p_bytes(&pc, sent, sizeof(sent));
		if (bt_call_report(arg->fd, 0, BT_CODE_REPORT, 0, &pc, &rep,
				   back, sizeof(back), NULL) != (int)BR_REPLY ||
		    memcmp(sent, back, sizeof(sent)))
			arg->failures++;
	}
	return NULL;
}

TEST_F(binder, concurrent_callers_get_their_own_replies)
{
	struct conc_arg args[4];
	pthread_t th[4];
	struct bt_proc p;
	pid_t srv;
	int i;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	for (i = 0; i < 4; i++) {
		args[i].fd = p.fd;
		args[i].id = i;
		args[i].calls = 25;
		args[i].failures = 0;
		ASSERT_EQ(0, pthread_create(&th[i], NULL, conc_thread, &args[i]));
	}
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pthread_join(th[i], NULL));
		ASSERT_EQ(0, args[i].failures);
	}
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

/* ---- nested calls ---------------------------------------------------- */

struct looper_arg {
	int fd;
	pid_t tid;
	int ret;
	struct bt_rets r;
};

static void *idle_looper(void *a)
{
	struct looper_arg *arg = a;

	arg->tid = bt_gettid();
	bt_rets_init(&arg->r);
	arg->ret = bt_enter_looper(arg->fd);
	if (!arg->ret)
		arg->ret = bt_read(arg->fd, &arg->r, 20000);
	return NULL;
}

TEST_F(binder, nested_call_goes_to_waiting_caller_thread)
{
	struct binder_transaction_data *tr, nested;
	struct looper_arg la;
	struct bt_parcel pc;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc p;
	uint32_t v;
	uint64_t u;
	pthread_t th;
	pid_t pid;
	int idx;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct binder_transaction_data outer;
		struct flat_binder_object *fp;
		struct bt_parcel rp;
		struct bt_proc s;
		struct bt_rets sr;
		uint32_t inner;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open_cm(self->dev.path, BT_MAP_SIZE, &s), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		BT_CHECK_EQ(read_txn(s.fd, &outer), 0);
		fp = bt_data(&outer);
		BT_CHECK_EQ(fp->hdr.type, BINDER_TYPE_HANDLE);
		/* Call back into the caller while its call is in progress. */
		bt_parcel_init(&rp);
		bt_p_u32(&rp, 0x11);
		bt_rets_init(&sr);
		BT_CHECK_EQ(bt_call(s.fd, fp->handle, 7, 0, &rp, &sr), BR_REPLY);
		BT_CHECK_STR(bt_seq(&sr, 0), "TRANSACTION_COMPLETE REPLY");
		memcpy(&inner, bt_data(bt_last_tr(&sr)), 4);
		BT_CHECK_EQ(bt_free_buffer(s.fd, bt_last_tr(&sr)->data.ptr.buffer), 0);
		bt_parcel_init(&rp);
		bt_p_u32(&rp, inner + 1);
		BT_CHECK_EQ(bt_reply(s.fd, &rp, 0), 0);
		BT_CHECK_EQ(bt_free_buffer(s.fd, outer.data.ptr.buffer), 0);
		BT_CHECK_EQ(bt_hear_parent(&ch, &u, BT_TIMEOUT_MS), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &u, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Another thread of ours waits for process work. */
	memset(&la, 0, sizeof(la));
	la.fd = p.fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, idle_looper, &la));
	while (!__atomic_load_n(&la.tid, __ATOMIC_SEQ_CST))
		bt_msleep(1);
	ASSERT_EQ(0, bt_wait_sleeping(la.tid, BT_TIMEOUT_MS));

	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0xa000, 0xa001, 0);
	bt_tr(&nested, 0, 1, 0, &pc);
	{
		struct bt_cmds c;

		bt_cmds_init(&c);
		bt_cmd_txn(&c, BC_TRANSACTION, &nested);
		ASSERT_EQ(0, bt_send(p.fd, &c));
	}
	bt_rets_init(&r);
	idx = bt_read_until(p.fd, &r, BR_TRANSACTION, BT_ANY_TERMINAL, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	ASSERT_EQ(BR_TRANSACTION, r.r[idx].cmd);
	tr = &r.r[idx].tr;
	ASSERT_EQ(0xa000, tr->target.ptr);
	ASSERT_EQ(0xa001, tr->cookie);
	ASSERT_EQ(7, tr->code);
	ASSERT_EQ(pid, tr->sender_pid);
	memcpy(&v, bt_data(tr), 4);
	ASSERT_EQ(0x11, v);
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 0x22);
	ASSERT_EQ(0, bt_free_and_reply(p.fd, tr->data.ptr.buffer, &pc, 0));
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS));
	ASSERT_STREQ("INCREFS ACQUIRE TRANSACTION_COMPLETE TRANSACTION "
		     "TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	memcpy(&v, bt_data(bt_last_tr(&r)), 4);
	ASSERT_EQ(0x23, v);
	ASSERT_EQ(0, bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer));
	/* The idle looper got nothing: wake it with a flush. */
	close(dup(p.fd));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(0, la.ret);
	ASSERT_STREQ("", bt_seq(&la.r, 0));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

/*
 * Call handle with depth d (and our node if send_node); while waiting,
 * serve nested calls by calling back with depth - 1. Returns the reply
 * value (the number of levels below), or -1.
 */
static int recurse(int fd, uint32_t handle, uint32_t d, bool send_node,
		   uint32_t *trace, int *ntrace)
{
	struct binder_transaction_data tr;
	struct bt_parcel pc;
	struct bt_cmds c;

	bt_parcel_init(&pc);
	bt_p_u32(&pc, d);
	bt_p_u32(&pc, 0);
	if (send_node)
		bt_p_binder(&pc, BINDER_TYPE_BINDER, 0xb000, 0xb001, 0);
	bt_tr(&tr, handle, 1, 0, &pc);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	if (bt_send(fd, &c))
		return -1;
	for (;;) {
		struct binder_transaction_data *t;
		struct bt_rets r;
		uint32_t got;
		int idx, v;

		bt_rets_init(&r);
		idx = bt_read_until(fd, &r, BR_TRANSACTION, BT_ANY_TERMINAL,
				    BT_TIMEOUT_MS);
		if (idx < 0)
			return -1;
		t = &r.r[idx].tr;
		if (r.r[idx].cmd == BR_REPLY) {
			memcpy(&got, bt_data(t), 4);
			bt_free_buffer(fd, t->data.ptr.buffer);
			return (int)got;
		}
		if (r.r[idx].cmd != BR_TRANSACTION)
			return -1;
		memcpy(&got, bt_data(t), 4);
		if (trace)
			trace[(*ntrace)++] = got;
		v = got ? recurse(fd, handle, got - 1, false, trace, ntrace) + 1 : 0;
		if (v < 0)
			return -1;
		bt_parcel_init(&pc);
		bt_p_u32(&pc, v);
		if (bt_free_and_reply(fd, t->data.ptr.buffer, &pc, 0))
			return -1;
	}
}

TEST_F(binder, recursive_calls_depth_20)
{
	uint32_t trace[32];
	struct bt_chan ch;
	struct bt_proc p;
	int ntrace = 0, i;
	uint64_t u;
	pid_t pid;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct binder_transaction_data t;
		struct flat_binder_object *fp;
		struct bt_parcel pc;
		struct bt_proc s;
		uint32_t d;
		int v;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open_cm(self->dev.path, BT_MAP_SIZE, &s), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		BT_CHECK_EQ(read_txn(s.fd, &t), 0);
		memcpy(&d, bt_data(&t), 4);
		BT_CHECK_EQ(d, 20);
		BT_CHECK_EQ(t.offsets_size, 8);
		fp = (void *)((uint8_t *)bt_data(&t) + bt_offs(&t)[0]);
		BT_CHECK_EQ(fp->hdr.type, BINDER_TYPE_HANDLE);
		v = recurse(s.fd, fp->handle, d - 1, false, NULL, NULL);
		BT_CHECK(v >= 0);
		bt_parcel_init(&pc);
		bt_p_u32(&pc, v + 1);
		BT_CHECK_EQ(bt_reply(s.fd, &pc, 0), 0);
		BT_CHECK_EQ(bt_hear_parent(&ch, &u, BT_TIMEOUT_MS), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &u, BT_TIMEOUT_MS));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Both processes are single-threaded: every level reuses the waiting thread. */
	ASSERT_EQ(20, recurse(p.fd, 0, 20, true, trace, &ntrace));
	ASSERT_EQ(10, ntrace);
	for (i = 0; i < 10; i++)
		ASSERT_EQ(19 - 2 * i, trace[i]);
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&p);
}

TEST_HARNESS_MAIN
