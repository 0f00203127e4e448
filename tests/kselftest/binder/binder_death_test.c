// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: death: death notifications (request, clear, done), dead
 * replies when a service dies, replies to dead callers, references
 * dropped when a process goes away, close + reopen. Every expectation is
 * what the C driver (Linux 6.12) does.
 *
 * Several tests use two or three binder fds of the test process itself:
 * each open is its own binder_proc, and closing one is a process death
 * as far as binder is concerned.
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

#define CK_A 0xc0ffee01ULL
#define CK_B 0xc0ffee02ULL

/* A context manager fd without mapping (it never receives anything). */
static int open_owner(const char *path, struct bt_proc *p)
{
	int ret = bt_open(path, 0, p);

	if (!ret)
		ret = bt_set_cm(p->fd);
	return ret;
}

/* A looper fd with a weak reference (handle 0) to the context manager. */
static int open_holder(const char *path, struct bt_proc *p)
{
	int ret = bt_open(path, 0, p);

	if (!ret)
		ret = bt_enter_looper(p->fd);
	if (!ret)
		ret = bt_send_u32(p->fd, BC_INCREFS, 0);
	return ret;
}

static int request_death(int fd, uint32_t h, uint64_t cookie)
{
	return bt_send_handle_cookie(fd, BC_REQUEST_DEATH_NOTIFICATION, h, cookie);
}

static int clear_death(int fd, uint32_t h, uint64_t cookie)
{
	return bt_send_handle_cookie(fd, BC_CLEAR_DEATH_NOTIFICATION, h, cookie);
}

/* Read until cmd; the cookie of that entry (or 0). */
static uint64_t read_cookie(int fd, struct bt_rets *r, uint32_t cmd)
{
	int idx;

	bt_rets_init(r);
	idx = bt_read_until(fd, r, cmd, 0, BT_TIMEOUT_MS);
	return idx < 0 ? 0 : r->r[idx].cookie;
}

TEST_F(binder, dead_binder_when_owner_closes)
{
	struct bt_proc owner, a;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_STREQ("DEAD_BINDER", bt_seq(&r, 0));
	/* Delivered once, even before BC_DEAD_BINDER_DONE. */
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&a);
}

TEST_F(binder, dead_binder_when_owner_process_killed)
{
	struct bt_script_opts o = { .cm = true };
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc a;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	ASSERT_EQ(128 + SIGKILL, bt_script_kill(&s));
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	bt_close(&a);
}

TEST_F(binder, dead_binder_for_every_holder)
{
	struct bt_proc owner, a, b;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, open_holder(self->dev.path, &b));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, request_death(b.fd, 0, CK_B));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(CK_B, read_cookie(b.fd, &r, BR_DEAD_BINDER));
	bt_close(&a);
	bt_close(&b);
}

TEST_F(binder, request_needs_a_reference)
{
	struct bt_proc owner, a, probe;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	/* No BC_INCREFS 0: calling handle 0 needs no ref, death requests do. */
	ASSERT_EQ(0, bt_open(self->dev.path, 0, &a));
	ASSERT_EQ(0, bt_enter_looper(a.fd));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, open_holder(self->dev.path, &probe));
	ASSERT_EQ(0, request_death(probe.fd, 0, CK_B));
	bt_close(&owner);
	ASSERT_EQ(CK_B, read_cookie(probe.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&a);
	bt_close(&probe);
}

TEST_F(binder, clear_death_notification_done)
{
	struct bt_proc owner, a, probe;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	/* A wrong cookie does not clear it. */
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_B));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(a.fd, &r));
	ASSERT_STREQ("CLEAR_DEATH_NOTIFICATION_DONE", bt_seq(&r, 0));
	ASSERT_EQ(CK_A, r.r[bt_find(&r, BR_CLEAR_DEATH_NOTIFICATION_DONE, 0)].cookie);
	/* Clearing again: not active, ignored. */
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	/* Then the owner dies: nothing for us. */
	ASSERT_EQ(0, open_holder(self->dev.path, &probe));
	ASSERT_EQ(0, request_death(probe.fd, 0, CK_B));
	bt_close(&owner);
	ASSERT_EQ(CK_B, read_cookie(probe.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&a);
	bt_close(&probe);
}

TEST_F(binder, second_request_ignored)
{
	struct bt_proc owner, a;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_B));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	bt_close(&a);
}

TEST_F(binder, request_after_death_fires_immediately)
{
	struct bt_proc owner, a;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_CLEAR_DEATH_NOTIFICATION_DONE));
	/* Our ref still points at the dead node: a new request fires at once. */
	ASSERT_EQ(0, request_death(a.fd, 0, CK_B));
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(a.fd, &r));
	ASSERT_STREQ("DEAD_BINDER", bt_seq(&r, 0));
	ASSERT_EQ(CK_B, r.r[bt_find(&r, BR_DEAD_BINDER, 0)].cookie);
	bt_close(&a);
}

TEST_F(binder, clear_after_dead_binder_completes_on_done)
{
	struct bt_proc owner, a;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	/* Cleared while the notification is not acknowledged: wait for DONE. */
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	/* An unknown cookie is ignored. */
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_B));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(a.fd, &r));
	ASSERT_STREQ("CLEAR_DEATH_NOTIFICATION_DONE", bt_seq(&r, 0));
	ASSERT_EQ(CK_A, r.r[bt_find(&r, BR_CLEAR_DEATH_NOTIFICATION_DONE, 0)].cookie);
	bt_close(&a);
}

TEST_F(binder, clear_before_dead_binder_read)
{
	struct bt_proc owner, a;
	struct pollfd pfd;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	bt_close(&owner);
	/* Wait until the notification is queued, then clear before reading it. */
	pfd.fd = a.fd;
	pfd.events = POLLIN;
	ASSERT_EQ(1, poll(&pfd, 1, BT_TIMEOUT_MS));
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	/* It is still delivered as BR_DEAD_BINDER; the clear completes on DONE. */
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(a.fd, &r));
	ASSERT_STREQ("DEAD_BINDER", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_idle(a.fd, NULL));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_CLEAR_DEATH_NOTIFICATION_DONE));
	bt_close(&a);
}

TEST_F(binder, handle0_follows_new_manager_but_old_ref_stays_dead)
{
	struct bt_script_opts o = { .cm = true };
	struct bt_proc owner, a;
	struct bt_script s2;
	struct bt_rets r;

	ASSERT_EQ(0, open_owner(self->dev.path, &owner));
	ASSERT_EQ(0, open_holder(self->dev.path, &a));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_A));
	bt_close(&owner);
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	ASSERT_EQ(0, bt_send_u64(a.fd, BC_DEAD_BINDER_DONE, CK_A));
	/* The manager slot is free once its death is reported. */
	ASSERT_EQ(0, bt_script_start(&s2, self->dev.path, &o));
	/* Calls to handle 0 go to the current manager... */
	bt_rets_init(&r);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(a.fd, 0, 5, TF_ONE_WAY, NULL, &r));
	ASSERT_EQ(BT_OBJ_NONE, bt_script(&s2, BT_SC_READ, 0));
	/* ...but ref 0 still names the dead node. */
	ASSERT_EQ(0, clear_death(a.fd, 0, CK_A));
	ASSERT_EQ(CK_A, read_cookie(a.fd, &r, BR_CLEAR_DEATH_NOTIFICATION_DONE));
	ASSERT_EQ(0, request_death(a.fd, 0, CK_B));
	ASSERT_EQ(CK_B, read_cookie(a.fd, &r, BR_DEAD_BINDER));
	bt_script_kill(&s2);
	bt_close(&a);
}

/* The test process as context manager receives node ptr from script s; returns its handle. */
static int64_t receive_node(int cmfd, struct bt_script *s, uint64_t ptr)
{
	struct flat_binder_object fo;
	struct bt_rets r;
	struct binder_transaction_data t;
	int idx;

	if (bt_script_async(s, BT_SC_SEND_NODE, ptr))
		return -1;
	bt_rets_init(&r);
	idx = bt_read_until(cmfd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	if (idx < 0)
		return -1;
	t = r.r[idx].tr;
	memcpy(&fo, bt_data(&t), sizeof(fo));
	if (fo.hdr.type != BINDER_TYPE_HANDLE)
		return -1;
	if (bt_send_u32(cmfd, BC_ACQUIRE, fo.handle))
		return -1;
	if (bt_free_and_reply(cmfd, t.data.ptr.buffer, NULL, 0))
		return -1;
	/* Our own BR_TRANSACTION_COMPLETE for the reply. */
	bt_rets_init(&r);
	if (bt_read_until(cmfd, &r, BR_TRANSACTION_COMPLETE, 0, BT_TIMEOUT_MS) < 0)
		return -1;
	if (bt_script_result(s) != BR_REPLY)
		return -1;
	return fo.handle;
}

TEST_F(binder, one_dead_binder_per_read_and_dead_node_calls)
{
	struct binder_extended_error ee;
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc cm;
	uint64_t c1, c2;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, NULL));
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(1, receive_node(cm.fd, &s, 0x9000));
	ASSERT_EQ(2, receive_node(cm.fd, &s, 0xa000));
	ASSERT_EQ(0, request_death(cm.fd, 1, CK_A));
	ASSERT_EQ(0, request_death(cm.fd, 2, CK_B));
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	ASSERT_EQ(128 + SIGKILL, bt_script_kill(&s));
	bt_msleep(200);
	/* A read stops after a BR_DEAD_BINDER (it may lead to transactions). */
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(cm.fd, &r, BR_DEAD_BINDER, 0, BT_TIMEOUT_MS));
	ASSERT_STREQ("DEAD_BINDER", bt_seq(&r, 0));
	c1 = r.r[bt_find(&r, BR_DEAD_BINDER, 0)].cookie;
	bt_rets_init(&r);
	ASSERT_EQ(0, bt_read(cm.fd, &r, BT_TIMEOUT_MS));
	ASSERT_STREQ("DEAD_BINDER", bt_seq(&r, 0));
	c2 = r.r[bt_find(&r, BR_DEAD_BINDER, 0)].cookie;
	ASSERT_TRUE((c1 == CK_A && c2 == CK_B) || (c1 == CK_B && c2 == CK_A));
	/* Calls to a dead node's handle: BR_DEAD_REPLY. */
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(cm.fd, 1, 1, 0, NULL, &r));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(cm.fd, &ee));
	ASSERT_EQ(BR_DEAD_REPLY, ee.command);
	ASSERT_EQ(-EINVAL, ee.param);
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(cm.fd, 2, 1, TF_ONE_WAY, NULL, &r));
	bt_close(&cm);
}

/* ---- dead replies ----------------------------------------------------- */

static int send_call(int fd, uint32_t handle, uint32_t flags)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;

	bt_tr(&tr, handle, 1, flags, NULL);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	return bt_send(fd, &c);
}

TEST_F(binder, service_killed_during_call_dead_reply)
{
	struct bt_script_opts o = { .cm = true };
	struct binder_extended_error ee;
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, send_call(p.fd, 0, 0));
	ASSERT_EQ(BT_OBJ_NONE, bt_script(&s, BT_SC_READ, 0));
	ASSERT_EQ(128 + SIGKILL, bt_script_kill(&s));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_DEAD_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS));
	ASSERT_STREQ("TRANSACTION_COMPLETE DEAD_REPLY", bt_seq(&r, 0));
	/* Not an error of this thread's own transaction: no extended error. */
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_OK, ee.command);
	bt_close(&p);
}

TEST_F(binder, service_exits_without_reading_dead_reply)
{
	struct bt_script_opts o = { .cm = true };
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, send_call(p.fd, 0, 0));
	ASSERT_EQ(0, bt_script_stop(&s));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_DEAD_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS));
	ASSERT_STREQ("TRANSACTION_COMPLETE DEAD_REPLY", bt_seq(&r, 0));
	bt_close(&p);
}

TEST_F(binder, reply_to_killed_caller_completes_silently)
{
	struct binder_extended_error ee;
	struct binder_transaction_data t;
	struct bt_parcel pc;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;
	int idx;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc c;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		bt_call(c.fd, 0, 1, 0, NULL, NULL);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	bt_rets_init(&r);
	idx = bt_read_until(cm.fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = r.r[idx].tr;
	ASSERT_EQ(pid, t.sender_pid);
	ASSERT_EQ(128 + SIGKILL, bt_kill(pid));
	bt_msleep(100);
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 1);
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, &pc, 0));
	/* The replier is not told that the caller is gone. */
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(cm.fd, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(cm.fd, &ee));
	ASSERT_EQ(BR_OK, ee.command);
	/* The transaction is done with: another reply has nothing to answer. */
	ASSERT_EQ(0, bt_reply(cm.fd, NULL, 0));
	bt_rets_init(&r);
	ASSERT_EQ(1, bt_idle(cm.fd, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	bt_chan_close(&ch);
	bt_close(&cm);
}

/* ---- references dropped by process death ------------------------------ */

static int64_t send_node(int fd, struct bt_script *s, uint64_t ptr,
			 struct bt_rets *r)
{
	struct binder_transaction_data tr;
	struct bt_parcel pc;
	struct bt_cmds c;
	int64_t obj;
	int ret;

	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, ptr, ptr + 1, 0);
	bt_tr(&tr, 0, 1, 0, &pc);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ret = bt_send(fd, &c);
	if (ret)
		return ret;
	obj = bt_script(s, BT_SC_READ, 0);
	if (obj < 0 || bt_script(s, BT_SC_REPLY, 0) != BR_TRANSACTION_COMPLETE)
		return -EPROTO;
	bt_rets_init(r);
	ret = bt_read_until(fd, r, BR_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS);
	if (ret < 0 || r->r[ret].cmd != BR_REPLY)
		return -EPROTO;
	bt_free_buffer(fd, r->r[ret].tr.data.ptr.buffer);
	return obj;
}

TEST_F(binder, holder_exit_releases_owner_node)
{
	struct bt_script_opts o = { .cm = true };
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc p;
	int64_t obj;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_enter_looper(p.fd));
	obj = send_node(p.fd, &s, 0x1000, &r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(p.fd, &r, 0));
	ASSERT_EQ(0, bt_script(&s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&s, BT_SC_INCREFS, 1));
	ASSERT_EQ(0, bt_script(&s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	ASSERT_EQ(128 + SIGKILL, bt_script_kill(&s));
	bt_rets_init(&r);
	ASSERT_LE(0, bt_read_until(p.fd, &r, BR_DECREFS, 0, BT_TIMEOUT_MS));
	ASSERT_STREQ("RELEASE DECREFS", bt_seq(&r, 0));
	ASSERT_EQ(0x1000, r.r[bt_find(&r, BR_DECREFS, 0)].pc.ptr);
	bt_close(&p);
}

TEST_F(binder, close_kills_nodes_and_reopen_works)
{
	struct bt_script_opts o = { .cm = true };
	struct bt_script s;
	struct bt_rets r;
	struct bt_proc p;
	int64_t obj;

	ASSERT_EQ(0, bt_script_start(&s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	obj = send_node(p.fd, &s, 0x1000, &r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(p.fd, &r, 0));
	ASSERT_EQ(0, bt_script(&s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&s, BT_SC_REQUEST_DEATH, 1));
	/* Close with a live node, a held reference and an unfreed buffer. */
	bt_close(&p);
	ASSERT_EQ(BT_SC_COOKIE(1), bt_script(&s, BT_SC_READ_DEATH, 0));
	ASSERT_EQ(BR_DEAD_REPLY, bt_script(&s, BT_SC_CALL_SYNC, 1));
	ASSERT_EQ(BR_DEAD_REPLY, bt_script(&s, BT_SC_CALL_ONEWAY, 1));
	/* A new open is a new, working binder_proc. */
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(8, bt_version(p.fd));
	obj = send_node(p.fd, &s, 0x1000, &r);
	/* Handle 1 still names the dead node there: the new node gets 2. */
	ASSERT_EQ(2, BT_SC_HANDLE(obj));
	ASSERT_STREQ("INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	bt_script_kill(&s);
	bt_close(&p);
}

TEST_HARNESS_MAIN
