// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: context manager: BINDER_SET_CONTEXT_MGR(_EXT), handle 0,
 * BINDER_GET_NODE_DEBUG_INFO, BINDER_GET_NODE_INFO_FOR_REF. Every
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

/* Become context manager, retrying while the previous one is being released. */
static int set_cm_retry(int fd, int timeout_ms)
{
	long deadline = bt_now_ms() + timeout_ms;
	int ret;

	while ((ret = bt_set_cm(fd)) == -EBUSY && bt_now_ms() < deadline)
		bt_msleep(10);
	return ret;
}

TEST_F(binder, set_context_mgr_ok)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_without_mmap_ok)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, 0, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_twice_ebusy)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	ASSERT_EQ(-EBUSY, bt_set_cm(p.fd));
	ASSERT_EQ(-EBUSY, bt_set_cm_ext(p.fd, 0x1000, 0x2000, 0));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_ext_then_plain_ebusy)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm_ext(p.fd, 0x1000, 0x2000, 0));
	ASSERT_EQ(-EBUSY, bt_set_cm(p.fd));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_second_fd_same_process_ebusy)
{
	struct bt_proc a, b;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &a));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &b));
	ASSERT_EQ(0, bt_set_cm(a.fd));
	ASSERT_EQ(-EBUSY, bt_set_cm(b.fd));
	bt_close(&a);
	bt_close(&b);
}

TEST_F(binder, set_context_mgr_other_process_ebusy)
{
	struct bt_proc p;
	pid_t pid;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc c;

		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		BT_CHECK_EQ(bt_set_cm(c.fd), -EBUSY);
		BT_CHECK_EQ(bt_set_cm_ext(c.fd, 1, 2, 0), -EBUSY);
		_exit(0);
	}
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_after_owner_closed)
{
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	bt_close(&p);
	/* The release is deferred (a workqueue), then the slot is free. */
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, set_cm_retry(p.fd, 5000));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_other_euid_eperm)
{
	struct bt_chan ch;
	struct bt_proc p;
	uint64_t v;
	pid_t pid;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm(p.fd));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		long deadline;
		struct bt_proc c;
		int ret;

		bt_chan_child(&ch);
		close(p.fd);	/* or the manager's binder_proc stays alive */
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		BT_CHECK_EQ(seteuid(1000), 0);
		/* While one is set: EBUSY (checked before the uid). */
		BT_CHECK_EQ(bt_set_cm(c.fd), -EBUSY);
		BT_CHECK_EQ(bt_tell_parent(&ch, 1), 0);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		/* After it is gone, the first manager's euid is remembered. */
		deadline = bt_now_ms() + 5000;
		while ((ret = bt_set_cm(c.fd)) == -EBUSY && bt_now_ms() < deadline)
			bt_msleep(10);
		BT_CHECK_EQ(ret, -EPERM);
		/* The same euid as the first manager may. */
		BT_CHECK_EQ(seteuid(0), 0);
		BT_CHECK_EQ(bt_set_cm(c.fd), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	bt_close(&p);
	ASSERT_EQ(0, bt_tell_child(&ch, 2));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
}

TEST_F(binder, call_handle0_reaches_context_manager)
{
	struct bt_report rep;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, &r));
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	ASSERT_EQ(BR_TRANSACTION, rep.cmd);
	ASSERT_EQ(BT_CODE_REPORT, rep.code);
	/* BINDER_SET_CONTEXT_MGR: the node has ptr 0 and cookie 0. */
	ASSERT_EQ(0, rep.target_ptr);
	ASSERT_EQ(0, rep.cookie);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, set_context_mgr_ext_ptr_and_cookie)
{
	struct bt_server_opts o = { .ptr = 0x1000, .cookie = 0x2000 };
	struct bt_report rep;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, &o);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0x1000, rep.target_ptr);
	ASSERT_EQ(0x2000, rep.cookie);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, security_ctx_flag_without_lsm_context_failed_reply)
{
	struct bt_server_opts o = { .ptr = 0x1000, .cookie = 0x2000,
				    .cm_flags = FLAT_BINDER_FLAG_TXN_SECURITY_CTX };
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, &o);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/*
	 * This kernel has no LSM that provides security contexts
	 * (CONFIG_LSM has no selinux/smack/apparmor): the sender's
	 * context can't be obtained and the call fails.
	 */
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 0, BT_CODE_REPORT, 0, NULL, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EOPNOTSUPP, ee.param);
	bt_kill(srv);
	bt_close(&p);
}

TEST_F(binder, context_manager_calls_handle0_failed_reply)
{
	struct binder_extended_error ee;
	struct bt_rets r;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &p));
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 0, 1, 0, NULL, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(BR_FAILED_REPLY, ee.command);
	ASSERT_EQ(-EINVAL, ee.param);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 0, 1, TF_ONE_WAY, NULL, &r));
	bt_close(&p);
}

TEST_F(binder, call_handle0_from_other_fd_of_manager_process_failed_reply)
{
	struct binder_extended_error ee;
	struct bt_proc cm, other;
	struct bt_rets r;

	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &other));
	/* The check compares pids, not binder_procs. */
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(other.fd, 0, 1, 0, NULL, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(other.fd, &ee));
	ASSERT_EQ(-EINVAL, ee.param);
	ASSERT_EQ(0, bt_idle(cm.fd, NULL));
	bt_close(&other);
	bt_close(&cm);
}

TEST_F(binder, context_manager_acquire_handle0_einval)
{
	struct bt_proc p;
	struct bt_cmds c;
	size_t wc = 99;

	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &p));
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_ACQUIRE, 0);
	ASSERT_EQ(-EINVAL, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(0, wc);
	bt_cmds_init(&c);
	bt_cmd(&c, BC_ENTER_LOOPER);
	bt_cmd_u32(&c, BC_INCREFS, 0);
	ASSERT_EQ(-EINVAL, bt_wr(p.fd, c.buf, c.len, &wc, NULL, 0, NULL, 0));
	ASSERT_EQ(4, wc);
	/* Decrements go to the (missing) ref 0: silently ignored. */
	bt_cmds_init(&c);
	bt_cmd_u32(&c, BC_RELEASE, 0);
	bt_cmd_u32(&c, BC_DECREFS, 0);
	ASSERT_EQ(0, bt_send(p.fd, &c));
	ASSERT_EQ(0, bt_idle(p.fd, NULL));
	bt_close(&p);
}

TEST_F(binder, handle0_dead_reply_after_context_manager_exit)
{
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	/* Queued to a dying process or refused: BR_DEAD_REPLY either way. */
	bt_rets_init(&r);
	ASSERT_EQ(BR_DEAD_REPLY, bt_call(p.fd, 0, BT_CODE_REPORT, 0, NULL, &r));
	ASSERT_STREQ("DEAD_REPLY", bt_seq(&r, 0));
	bt_close(&p);
}

TEST_F(binder, handle0_follows_new_context_manager)
{
	struct bt_server_opts o1 = { .ptr = 0x1111 }, o2 = { .ptr = 0x2222 };
	struct bt_report rep;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;
	int i, ret = 0;

	srv = bt_start_server(self->dev.path, &o1);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0x1111, rep.target_ptr);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	/* The new server may have to wait until the old one is released. */
	for (i = 0; i < 50; i++) {
		srv = bt_start_server(self->dev.path, &o2);
		if (srv > 0)
			break;
		bt_msleep(20);
	}
	ASSERT_GT(srv, 0);
	for (i = 0; i < 50; i++) {
		bt_rets_init(&r);
		ret = bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, NULL, &rep,
				     NULL, 0, &r);
		if (ret == BR_REPLY)
			break;
		bt_msleep(20);
	}
	ASSERT_EQ(BR_REPLY, ret);
	ASSERT_EQ(0x2222, rep.target_ptr);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, context_managers_are_per_device)
{
	struct bt_server_opts o1 = { .ptr = 0x1111 }, o2 = { .ptr = 0x2222 };
	struct bt_proc p1, p2, a, b;
	struct bt_report rep;
	char path2[256];
	pid_t s1, s2;

	if (!self->dev.mnt[0])
		SKIP(return, "needs a binderfs instance of its own");
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	/* One process may be context manager of two devices. */
	ASSERT_EQ(0, bt_open(self->dev.path, 0, &a));
	ASSERT_EQ(0, bt_open(path2, 0, &b));
	ASSERT_EQ(0, bt_set_cm(a.fd));
	ASSERT_EQ(0, bt_set_cm(b.fd));
	bt_close(&a);
	bt_close(&b);
	bt_msleep(100);

	s1 = bt_start_server(self->dev.path, &o1);
	ASSERT_GT(s1, 0);
	s2 = bt_start_server(path2, &o2);
	ASSERT_GT(s2, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p1));
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &p2));
	ASSERT_EQ(BR_REPLY, bt_call_report(p2.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0x2222, rep.target_ptr);
	ASSERT_EQ(BR_REPLY, bt_call_report(p1.fd, 0, BT_CODE_REPORT, 0, NULL,
					   &rep, NULL, 0, NULL));
	ASSERT_EQ(0x1111, rep.target_ptr);
	ASSERT_EQ(0, bt_stop_server(p1.fd, s1));
	ASSERT_EQ(0, bt_stop_server(p2.fd, s2));
	bt_close(&p1);
	bt_close(&p2);
}

TEST_F(binder, node_debug_info_context_manager_ext)
{
	struct binder_node_debug_info info;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	ASSERT_EQ(0, bt_set_cm_ext(p.fd, 0x1000, 0x2000, 0));
	memset(&info, 0xff, sizeof(info));
	info.ptr = 0;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
	ASSERT_EQ(0x1000, info.ptr);
	ASSERT_EQ(0x2000, info.cookie);
	ASSERT_EQ(1, info.has_strong_ref);
	ASSERT_EQ(1, info.has_weak_ref);
	/* The next node after 0x1000: none, all zero. */
	memset(&info, 0xff, sizeof(info));
	info.ptr = 0x1000;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
	ASSERT_EQ(0, info.ptr);
	ASSERT_EQ(0, info.cookie);
	ASSERT_EQ(0, info.has_strong_ref);
	ASSERT_EQ(0, info.has_weak_ref);
	bt_close(&p);
}

TEST_F(binder, node_debug_info_skips_ptr_zero_node)
{
	struct binder_node_debug_info info;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	memset(&info, 0xff, sizeof(info));
	info.ptr = 0;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
	ASSERT_EQ(0, info.ptr);
	ASSERT_EQ(0, info.has_strong_ref);
	/* The plain context manager node has ptr 0: never "greater than" a query. */
	ASSERT_EQ(0, bt_set_cm(p.fd));
	memset(&info, 0xff, sizeof(info));
	info.ptr = 0;
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
	ASSERT_EQ(0, info.ptr);
	ASSERT_EQ(0, info.cookie);
	ASSERT_EQ(0, info.has_strong_ref);
	ASSERT_EQ(0, info.has_weak_ref);
	ASSERT_EQ(-EFAULT, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, (void *)8));
	bt_close(&p);
}

TEST_F(binder, node_debug_info_iterates_nodes_in_ptr_order)
{
	struct binder_node_debug_info info;
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;
	int i;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Create three nodes by sending them; the service keeps strong refs. */
	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x3000, 0x3001, 0);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x1001, 0);
	bt_p_binder(&pc, BINDER_TYPE_WEAK_BINDER, 0x2000, 0x2001, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_ACQUIRE_HANDLES, 0,
					   &pc, &rep, NULL, 0, &r));
	info.ptr = 0;
	for (i = 1; i <= 3; i++) {
		uint64_t want = 0x1000 * i;

		ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
		ASSERT_EQ(want, info.ptr);
		ASSERT_EQ(want + 1, info.cookie);
		/* BR_INCREFS (+ BR_ACQUIRE for strong ones) were read. */
		ASSERT_EQ(i == 2 ? 0 : 1, info.has_strong_ref);
		ASSERT_EQ(1, info.has_weak_ref);
	}
	ASSERT_EQ(0, bt_ioctl(p.fd, BINDER_GET_NODE_DEBUG_INFO, &info));
	ASSERT_EQ(0, info.ptr);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, node_info_for_ref_requires_context_manager)
{
	struct binder_node_info_for_ref info;
	struct bt_proc p, cm;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	memset(&info, 0, sizeof(info));
	/* No context manager at all. */
	ASSERT_EQ(-EPERM, bt_ioctl(p.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_cm(cm.fd));
	/* Another process... */
	ASSERT_EQ(-EPERM, bt_ioctl(p.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	/* ...but the manager: handle 0 is not a ref of its own. */
	ASSERT_EQ(-EINVAL, bt_ioctl(cm.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	info.handle = 5;
	ASSERT_EQ(-EINVAL, bt_ioctl(cm.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	ASSERT_EQ(-EFAULT, bt_ioctl(cm.fd, BINDER_GET_NODE_INFO_FOR_REF, (void *)8));
	bt_close(&cm);
	bt_close(&p);
}

TEST_F(binder, node_info_for_ref_nonzero_fields_einval)
{
	struct binder_node_info_for_ref info;
	struct bt_proc p;

	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* Checked before the context manager check. */
	memset(&info, 0, sizeof(info));
	info.strong_count = 1;
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	memset(&info, 0, sizeof(info));
	info.reserved3 = 1;
	ASSERT_EQ(-EINVAL, bt_ioctl(p.fd, BINDER_GET_NODE_INFO_FOR_REF, &info));
	bt_close(&p);
}

static int node_info(int fd, uint32_t handle, uint32_t *strong, uint32_t *weak)
{
	struct binder_node_info_for_ref info;
	int ret;

	memset(&info, 0, sizeof(info));
	info.handle = handle;
	ret = bt_ioctl(fd, BINDER_GET_NODE_INFO_FOR_REF, &info);
	*strong = info.strong_count;
	*weak = info.weak_count;
	return ret;
}

TEST_F(binder, node_info_for_ref_counts)
{
	struct binder_transaction_data *tr;
	struct flat_binder_object *fp;
	uint32_t strong, weak;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc cm;
	uint64_t v;
	pid_t pid;
	int idx;

	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_parcel pc;
		struct bt_rets cr;
		struct bt_proc c;
		int i;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		bt_parcel_init(&pc);
		bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
		bt_rets_init(&cr);
		BT_CHECK_EQ(bt_call(c.fd, 0, 1, 0, &pc, &cr), BR_REPLY);
		BT_CHECK_STR(bt_seq(&cr, 0),
			     "INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY");
		BT_CHECK_EQ(bt_tell_parent(&ch, 1), 0);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		for (i = 0; i < cr.n; i++)
			if (cr.r[i].cmd == BR_INCREFS)
				BT_CHECK_EQ(bt_send_ptr_cookie(c.fd, BC_INCREFS_DONE,
					0x1000, 0x2000), 0);
			else if (cr.r[i].cmd == BR_ACQUIRE)
				BT_CHECK_EQ(bt_send_ptr_cookie(c.fd, BC_ACQUIRE_DONE,
					0x1000, 0x2000), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 2), 0);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		_exit(0);
	}
	bt_chan_parent(&ch);
	bt_rets_init(&r);
	idx = bt_read_until(cm.fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	tr = &r.r[idx].tr;
	fp = bt_data(tr);
	ASSERT_EQ(BINDER_TYPE_HANDLE, fp->hdr.type);
	ASSERT_EQ(1, fp->handle);
	/* One strong ref (ours); the owner has not seen BR_ACQUIRE yet. */
	ASSERT_EQ(0, node_info(cm.fd, 1, &strong, &weak));
	ASSERT_EQ(1, strong);
	ASSERT_EQ(0, weak);
	/* Keep it beyond the buffer, reply. */
	ASSERT_EQ(0, bt_send_u32(cm.fd, BC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, tr->data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* The owner read BR_INCREFS/BR_ACQUIRE: the driver holds a local ref of each. */
	ASSERT_EQ(0, node_info(cm.fd, 1, &strong, &weak));
	ASSERT_EQ(2, strong);
	ASSERT_EQ(1, weak);
	ASSERT_EQ(0, bt_tell_child(&ch, 1));
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	/* ...which BC_INCREFS_DONE/BC_ACQUIRE_DONE dropped. */
	ASSERT_EQ(0, node_info(cm.fd, 1, &strong, &weak));
	ASSERT_EQ(1, strong);
	ASSERT_EQ(0, weak);
	/* Dropping our last ref deletes the ref. */
	ASSERT_EQ(0, bt_send_u32(cm.fd, BC_RELEASE, 1));
	ASSERT_EQ(-EINVAL, node_info(cm.fd, 1, &strong, &weak));
	ASSERT_EQ(0, bt_tell_child(&ch, 2));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_HARNESS_MAIN
