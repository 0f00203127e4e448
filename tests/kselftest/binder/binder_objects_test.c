// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: objects in transactions: binder/handle translation, handle
 * numbering, the node reference handshake (BR_INCREFS/BR_ACQUIRE/
 * BR_RELEASE/BR_DECREFS), malformed objects, fds, scatter-gather
 * buffers. Every expectation is what the C driver (Linux 6.12) does.
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

#define FBO_SIZE sizeof(struct flat_binder_object)

/* The i-th flat_binder_object of the data the report service copied back. */
static struct flat_binder_object obj_at(const uint8_t *copy, size_t off)
{
	struct flat_binder_object o;

	memcpy(&o, copy + off, sizeof(o));
	return o;
}

TEST_F(binder, binder_becomes_handle_in_receiver)
{
	struct flat_binder_object o;
	uint8_t copy[256];
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000,
		    FLAT_BINDER_FLAG_ACCEPTS_FDS | 0x13);
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_HOLD, 0, &pc,
					   &rep, copy, sizeof(copy), &r));
	/* The owner is asked to take a weak and a strong reference. */
	ASSERT_STREQ("INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0x1000, r.r[bt_find(&r, BR_INCREFS, 0)].pc.ptr);
	ASSERT_EQ(0x2000, r.r[bt_find(&r, BR_INCREFS, 0)].pc.cookie);
	ASSERT_EQ(0x1000, r.r[bt_find(&r, BR_ACQUIRE, 0)].pc.ptr);
	ASSERT_EQ(0x2000, r.r[bt_find(&r, BR_ACQUIRE, 0)].pc.cookie);
	ASSERT_EQ(FBO_SIZE, rep.data_size);
	ASSERT_EQ(8, rep.offsets_size);
	o = obj_at(copy, 0);
	ASSERT_EQ(BINDER_TYPE_HANDLE, o.hdr.type);
	ASSERT_EQ(1, o.handle);		/* 0 is the context manager's */
	ASSERT_EQ(1, o.binder);		/* the upper half is cleared */
	ASSERT_EQ(0, o.cookie);
	ASSERT_EQ(FLAT_BINDER_FLAG_ACCEPTS_FDS | 0x13, o.flags);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, weak_binder_becomes_weak_handle)
{
	struct flat_binder_object o;
	uint8_t copy[256];
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_WEAK_BINDER, 0x1000, 0x2000, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_HOLD, 0, &pc,
					   &rep, copy, sizeof(copy), &r));
	ASSERT_STREQ("INCREFS TRANSACTION_COMPLETE REPLY", bt_seq(&r, 0));
	o = obj_at(copy, 0);
	ASSERT_EQ(BINDER_TYPE_WEAK_HANDLE, o.hdr.type);
	ASSERT_EQ(1, o.handle);
	ASSERT_EQ(0, o.cookie);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, same_node_same_handle_new_node_next_handle)
{
	uint8_t copy[256];
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
	bt_p_binder(&pc, BINDER_TYPE_WEAK_BINDER, 0x3000, 0x4000, 0);
	bt_p_binder(&pc, BINDER_TYPE_WEAK_BINDER, 0x1000, 0x2000, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_HOLD, 0, &pc,
					   &rep, copy, sizeof(copy), &r));
	ASSERT_STREQ("INCREFS ACQUIRE INCREFS TRANSACTION_COMPLETE REPLY",
		     bt_seq(&r, 0));
	ASSERT_EQ(0x3000, r.r[bt_find(&r, BR_INCREFS, bt_find(&r, BR_INCREFS, 0) + 1)].pc.ptr);
	ASSERT_EQ(BINDER_TYPE_HANDLE, obj_at(copy, 0).hdr.type);
	ASSERT_EQ(1, obj_at(copy, 0).handle);
	ASSERT_EQ(1, obj_at(copy, FBO_SIZE).handle);
	ASSERT_EQ(BINDER_TYPE_WEAK_HANDLE, obj_at(copy, 2 * FBO_SIZE).hdr.type);
	ASSERT_EQ(2, obj_at(copy, 2 * FBO_SIZE).handle);
	/* A weak object for a node already referenced: the same handle. */
	ASSERT_EQ(BINDER_TYPE_WEAK_HANDLE, obj_at(copy, 3 * FBO_SIZE).hdr.type);
	ASSERT_EQ(1, obj_at(copy, 3 * FBO_SIZE).handle);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, handle_returns_to_owner_as_binder)
{
	struct binder_transaction_data *tr;
	struct flat_binder_object o;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_u32(&pc, 0x55);
	bt_p_u32(&pc, 0x66);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
	bt_p_binder(&pc, BINDER_TYPE_WEAK_BINDER, 0x3000, 0x4000, 0);
	bt_rets_init(&r);
	/* The service replies with the handles it got: we get our binders back. */
	ASSERT_EQ(BR_REPLY, bt_call(p.fd, 0, BT_CODE_ECHO_OBJS, 0, &pc, &r));
	tr = bt_last_tr(&r);
	ASSERT_EQ(pc.len, tr->data_size);
	ASSERT_EQ(16, tr->offsets_size);
	ASSERT_EQ(8, bt_offs(tr)[0]);
	ASSERT_EQ(8 + FBO_SIZE, bt_offs(tr)[1]);
	o = obj_at(bt_data(tr), 8);
	ASSERT_EQ(BINDER_TYPE_BINDER, o.hdr.type);
	ASSERT_EQ(0x1000, o.binder);
	ASSERT_EQ(0x2000, o.cookie);
	o = obj_at(bt_data(tr), 8 + FBO_SIZE);
	ASSERT_EQ(BINDER_TYPE_WEAK_BINDER, o.hdr.type);
	ASSERT_EQ(0x3000, o.binder);
	ASSERT_EQ(0x4000, o.cookie);
	ASSERT_EQ(0, memcmp(bt_data(tr), pc.data, 8));
	ASSERT_EQ(0, bt_free_buffer(p.fd, tr->data.ptr.buffer));
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, context_manager_node_becomes_binder_and_weak_ref_not_strong)
{
	struct bt_server_opts o = { .ptr = 0x5000, .cookie = 0x5001 };
	struct binder_extended_error ee;
	struct flat_binder_object fo;
	uint8_t copy[256];
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, &o);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	/* A weak reference 0 to the context manager node. */
	ASSERT_EQ(0, bt_send_u32(p.fd, BC_INCREFS, 0));
	bt_parcel_init(&pc);
	bt_p_handle(&pc, BINDER_TYPE_HANDLE, 0);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 0, BT_CODE_REPORT, 0, &pc, &r));
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&r, 0));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-EINVAL, ee.param);
	/* As a weak handle it goes; its owner receives its own node. */
	bt_parcel_init(&pc);
	bt_p_handle(&pc, BINDER_TYPE_WEAK_HANDLE, 0);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, &pc,
					   &rep, copy, sizeof(copy), NULL));
	fo = obj_at(copy, 0);
	ASSERT_EQ(BINDER_TYPE_WEAK_BINDER, fo.hdr.type);
	ASSERT_EQ(0x5000, fo.binder);
	ASSERT_EQ(0x5001, fo.cookie);
	/* Made strong with BC_ACQUIRE (the ref exists now), a strong handle works. */
	ASSERT_EQ(0, bt_send_u32(p.fd, BC_ACQUIRE, 0));
	bt_parcel_init(&pc);
	bt_p_handle(&pc, BINDER_TYPE_HANDLE, 0);
	ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, &pc,
					   &rep, copy, sizeof(copy), NULL));
	fo = obj_at(copy, 0);
	ASSERT_EQ(BINDER_TYPE_BINDER, fo.hdr.type);
	ASSERT_EQ(0x5000, fo.binder);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

/* ---- malformed objects ------------------------------------------------ */

/* Send raw data/offsets to the report service; returns terminal, fills ee. */
static int call_raw(int fd, const void *data, size_t dsize, const void *offs,
		    size_t osize, struct bt_rets *r, struct binder_extended_error *ee)
{
	struct binder_transaction_data tr;
	int ret;

	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, dsize, offs, osize);
	bt_rets_init(r);
	ret = bt_call_tr(fd, BC_TRANSACTION, &tr, 0, r);
	if (ret == (int)BR_REPLY)
		bt_free_buffer(fd, bt_last_tr(r)->data.ptr.buffer);
	if (ee)
		bt_get_ee(fd, ee);
	return ret;
}

static void put_obj(uint8_t *buf, size_t off, uint32_t type, uint64_t ptr)
{
	struct flat_binder_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = type;
	o.binder = ptr;
	o.cookie = ptr + 1;
	memcpy(buf + off, &o, sizeof(o));
}

/*
 * After a rejected transaction, a good one sending node 0x7000 gets the
 * full reference handshake and handle 1 in the service: nothing leaked.
 */
static int check_clean(int fd)
{
	uint8_t copy[256];
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_rets r;

	bt_parcel_init(&pc);
	bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x7000, 0x7001, 0);
	bt_rets_init(&r);
	/* The service holds the buffer (and its ref) so the handshake is stable. */
	if (bt_call_report(fd, 0, BT_CODE_HOLD, 0, &pc, &rep, copy,
			   sizeof(copy), &r) != (int)BR_REPLY)
		return 1;
	if (strcmp(bt_seq(&r, 0), "INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY"))
		return 2;
	if (obj_at(copy, 0).hdr.type != BINDER_TYPE_HANDLE ||
	    obj_at(copy, 0).handle != 1)
		return 3;
	return 0;
}

FIXTURE(malformed) {
	struct bt_dev dev;
	struct bt_proc p;
	pid_t srv;
	uint8_t data[128];
	binder_size_t offs[4];
	struct bt_rets r;
	struct binder_extended_error ee;
};

FIXTURE_SETUP(malformed)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	self->srv = bt_start_server(self->dev.path, NULL);
	ASSERT_GT(self->srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
	memset(self->data, 0, sizeof(self->data));
	memset(self->offs, 0, sizeof(self->offs));
}

FIXTURE_TEARDOWN(malformed)
{
	bt_kill(self->srv);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

/* Expect BR_FAILED_REPLY only, with extended error param, then a clean state. */
#define EXPECT_REJECTED(dsize, osize, err_) do {				\
	ASSERT_EQ(BR_FAILED_REPLY, call_raw(self->p.fd, self->data, dsize,	\
					    self->offs, osize, &self->r,	\
					    &self->ee));			\
	ASSERT_STREQ("FAILED_REPLY", bt_seq(&self->r, 0));			\
	ASSERT_EQ(BR_FAILED_REPLY, self->ee.command);				\
	ASSERT_EQ(err_, self->ee.param);					\
	ASSERT_EQ(0, check_clean(self->p.fd));					\
} while (0)

TEST_F(malformed, unaligned_offset)
{
	put_obj(self->data, 2, BINDER_TYPE_BINDER, 0x1000);
	self->offs[0] = 2;
	EXPECT_REJECTED(32, 8, -EINVAL);
}

TEST_F(malformed, offset_u32_aligned_accepted)
{
	uint8_t copy[256];
	struct bt_report rep;
	struct binder_transaction_data tr;

	/* Objects need only be 4-byte aligned. */
	put_obj(self->data, 4, BINDER_TYPE_BINDER, 0x1000);
	self->offs[0] = 4;
	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, self->data, 32, self->offs, 8);
	bt_rets_init(&self->r);
	ASSERT_EQ(BR_REPLY, bt_call_tr(self->p.fd, BC_TRANSACTION, &tr, 0, &self->r));
	memcpy(&rep, bt_data(bt_last_tr(&self->r)), sizeof(rep));
	memcpy(copy, (uint8_t *)bt_data(bt_last_tr(&self->r)) + sizeof(rep), 32);
	ASSERT_EQ(BINDER_TYPE_HANDLE, obj_at(copy, 4).hdr.type);
	ASSERT_EQ(1, obj_at(copy, 4).handle);
	bt_free_buffer(self->p.fd, bt_last_tr(&self->r)->data.ptr.buffer);
}

TEST_F(malformed, offset_past_data)
{
	put_obj(self->data, 0, BINDER_TYPE_BINDER, 0x1000);
	self->offs[0] = 40;
	/* Caught while copying the data up to the object: EFAULT. */
	EXPECT_REJECTED(32, 8, -EFAULT);
}

TEST_F(malformed, object_past_end_of_data)
{
	put_obj(self->data, 16, BINDER_TYPE_BINDER, 0x1000);
	self->offs[0] = 16;
	EXPECT_REJECTED(32, 8, -EINVAL);
}

TEST_F(malformed, overlapping_objects)
{
	put_obj(self->data, 0, BINDER_TYPE_BINDER, 0x1000);
	put_obj(self->data, 8, BINDER_TYPE_BINDER, 0x2000);
	self->offs[0] = 0;
	self->offs[1] = 8;
	/* An offset below the end of the previous object: EFAULT (data copy). */
	EXPECT_REJECTED(48, 16, -EFAULT);
}

TEST_F(malformed, decreasing_offsets)
{
	put_obj(self->data, 0, BINDER_TYPE_BINDER, 0x1000);
	put_obj(self->data, 24, BINDER_TYPE_BINDER, 0x2000);
	self->offs[0] = 24;
	self->offs[1] = 0;
	EXPECT_REJECTED(48, 16, -EFAULT);
}

TEST_F(malformed, offsets_size_not_multiple_of_8)
{
	put_obj(self->data, 0, BINDER_TYPE_BINDER, 0x1000);
	self->offs[0] = 0;
	EXPECT_REJECTED(32, 12, -EINVAL);
}

TEST_F(malformed, unknown_object_type)
{
	put_obj(self->data, 0, 0x12345678, 0x1000);
	self->offs[0] = 0;
	EXPECT_REJECTED(32, 8, -EINVAL);
}

TEST_F(malformed, unknown_handle)
{
	struct flat_binder_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_HANDLE;
	o.handle = 99;
	memcpy(self->data, &o, sizeof(o));
	EXPECT_REJECTED(32, 8, -EINVAL);
	o.hdr.type = BINDER_TYPE_WEAK_HANDLE;
	memcpy(self->data, &o, sizeof(o));
	ASSERT_EQ(BR_FAILED_REPLY, call_raw(self->p.fd, self->data, 32,
					    self->offs, 8, &self->r, &self->ee));
}

TEST_F(malformed, good_object_then_bad_object_leaks_nothing)
{
	put_obj(self->data, 0, BINDER_TYPE_BINDER, 0x7000);
	put_obj(self->data, 24, BINDER_TYPE_HANDLE, 0);
	((struct flat_binder_object *)(self->data + 24))->handle = 99;
	self->offs[0] = 0;
	self->offs[1] = 24;
	/* No BR_INCREFS/BR_ACQUIRE for the node created on the way. */
	EXPECT_REJECTED(48, 16, -EINVAL);
}

TEST_F(malformed, fd_to_node_without_accept_fds)
{
	struct binder_fd_object fo;
	int pfd[2];

	ASSERT_EQ(0, pipe(pfd));
	memset(&fo, 0, sizeof(fo));
	fo.hdr.type = BINDER_TYPE_FD;
	fo.fd = pfd[0];
	memcpy(self->data, &fo, sizeof(fo));
	EXPECT_REJECTED(sizeof(fo), 8, -EPERM);
	close(pfd[0]);
	close(pfd[1]);
}

TEST_F(malformed, ptr_object_without_sg_buffers)
{
	struct binder_buffer_object bo;
	uint64_t payload = 1;

	memset(&bo, 0, sizeof(bo));
	bo.hdr.type = BINDER_TYPE_PTR;
	bo.buffer = (uintptr_t)&payload;
	bo.length = sizeof(payload);
	memcpy(self->data, &bo, sizeof(bo));
	EXPECT_REJECTED(sizeof(bo), 8, -EINVAL);
}

static int call_sg(int fd, const void *data, size_t dsize, const void *offs,
		   size_t osize, uint64_t bufsize, struct bt_rets *r,
		   struct binder_extended_error *ee)
{
	struct binder_transaction_data tr;
	int ret;

	bt_tr_raw(&tr, 0, BT_CODE_REPORT, 0, data, dsize, offs, osize);
	bt_rets_init(r);
	ret = bt_call_tr(fd, BC_TRANSACTION_SG, &tr, bufsize, r);
	if (ret == (int)BR_REPLY)
		bt_free_buffer(fd, bt_last_tr(r)->data.ptr.buffer);
	bt_get_ee(fd, ee);
	return ret;
}

TEST_F(malformed, sg_buffers_size_checks)
{
	struct binder_buffer_object bo;
	uint8_t payload[32] = { 1, 2, 3 };

	memset(&bo, 0, sizeof(bo));
	bo.hdr.type = BINDER_TYPE_PTR;
	bo.buffer = (uintptr_t)payload;
	bo.length = 16;
	memcpy(self->data, &bo, sizeof(bo));
	/* buffers_size must be a multiple of 8. */
	ASSERT_EQ(BR_FAILED_REPLY, call_sg(self->p.fd, self->data, sizeof(bo),
					   self->offs, 8, 20, &self->r, &self->ee));
	ASSERT_EQ(-EINVAL, self->ee.param);
	/* The buffer must fit in what is left of buffers_size. */
	ASSERT_EQ(BR_FAILED_REPLY, call_sg(self->p.fd, self->data, sizeof(bo),
					   self->offs, 8, 8, &self->r, &self->ee));
	ASSERT_EQ(-EINVAL, self->ee.param);
	/* Unreadable source buffer: the deferred copy fails with EINVAL. */
	bo.buffer = 8;
	memcpy(self->data, &bo, sizeof(bo));
	ASSERT_EQ(BR_FAILED_REPLY, call_sg(self->p.fd, self->data, sizeof(bo),
					   self->offs, 8, 16, &self->r, &self->ee));
	ASSERT_EQ(-EINVAL, self->ee.param);
	bo.buffer = (uintptr_t)payload;
	memcpy(self->data, &bo, sizeof(bo));
	ASSERT_EQ(BR_REPLY, call_sg(self->p.fd, self->data, sizeof(bo),
				    self->offs, 8, 16, &self->r, &self->ee));
	ASSERT_EQ(0, check_clean(self->p.fd));
}

/* ---- fds and scatter-gather, checked by the receiving context manager ---- */

TEST_F(binder, fd_object_installed_in_receiver)
{
	struct binder_transaction_data t;
	struct binder_fd_object fo;
	struct bt_chan ch;
	struct bt_rets r;
	struct bt_proc cm;
	struct stat st;
	uint64_t v, ino;
	pid_t pid;
	int idx, fd;

	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_parcel pc;
		struct bt_proc c;
		struct bt_rets cr;
		struct stat cst;
		int pfd[2];

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(pipe(pfd), 0);
		BT_CHECK_EQ(fstat(pfd[1], &cst), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, cst.st_ino), 0);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		bt_parcel_init(&pc);
		bt_p_fd(&pc, pfd[1]);
		bt_rets_init(&cr);
		BT_CHECK_EQ(bt_call(c.fd, 0, 1, 0, &pc, &cr), BR_REPLY);
		close(pfd[1]);
		/* The receiver's copy works: its write arrives here. */
		BT_CHECK_EQ(read(pfd[0], &v, sizeof(v)), sizeof(v));
		BT_CHECK_EQ(v, 0x5a5a);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_set_cm_ext(cm.fd, 0x1000, 0x1001, FLAT_BINDER_FLAG_ACCEPTS_FDS));
	ASSERT_EQ(0, bt_enter_looper(cm.fd));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	ASSERT_EQ(0, bt_hear_child(&ch, &ino, BT_TIMEOUT_MS));
	bt_rets_init(&r);
	idx = bt_read_until(cm.fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = r.r[idx].tr;
	ASSERT_EQ(sizeof(fo), t.data_size);
	memcpy(&fo, bt_data(&t), sizeof(fo));
	ASSERT_EQ(BINDER_TYPE_FD, fo.hdr.type);
	fd = fo.fd;
	ASSERT_GE(fd, 0);
	/* A new fd of ours for the same file, close-on-exec. */
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(ino, st.st_ino);
	ASSERT_EQ(FD_CLOEXEC, fcntl(fd, F_GETFD));
	v = 0x5a5a;
	ASSERT_EQ(sizeof(v), write(fd, &v, sizeof(v)));
	close(fd);
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

TEST_F(binder, fd_object_bad_fd_ebadf)
{
	struct bt_server_opts o = { .ptr = 0x1000,
				    .cm_flags = FLAT_BINDER_FLAG_ACCEPTS_FDS };
	struct binder_extended_error ee;
	struct bt_parcel pc;
	struct bt_rets r;
	struct bt_proc p;
	pid_t srv;

	srv = bt_start_server(self->dev.path, &o);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &p));
	bt_parcel_init(&pc);
	bt_p_fd(&pc, 999);
	bt_rets_init(&r);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(p.fd, 0, BT_CODE_REPORT, 0, &pc, &r));
	ASSERT_EQ(0, bt_get_ee(p.fd, &ee));
	ASSERT_EQ(-EBADF, ee.param);
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_F(binder, sg_buffer_copied_and_pointer_fixed_up)
{
	static const char payload[] = "scatter-gather!";	/* 16 bytes */
	struct binder_transaction_data t;
	struct binder_buffer_object bo;
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
		struct binder_transaction_data tr;
		struct bt_parcel pc;
		struct bt_proc c;
		struct bt_rets cr;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_hear_parent(&ch, &v, BT_TIMEOUT_MS), 0);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &c), 0);
		bt_parcel_init(&pc);
		bt_p_u64(&pc, 0x1122334455667788ULL);
		bt_p_ptr(&pc, payload, sizeof(payload), 0, 0, 0);
		bt_tr(&tr, 0, 1, 0, &pc);
		bt_rets_init(&cr);
		BT_CHECK_EQ(bt_call_tr(c.fd, BC_TRANSACTION_SG, &tr, 16, &cr),
			    BR_REPLY);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &cm));
	ASSERT_EQ(0, bt_tell_child(&ch, 0));
	bt_rets_init(&r);
	idx = bt_read_until(cm.fd, &r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = r.r[idx].tr;
	ASSERT_EQ(8 + sizeof(bo), t.data_size);
	ASSERT_EQ(8, t.offsets_size);
	ASSERT_EQ(8, bt_offs(&t)[0]);
	memcpy(&bo, (uint8_t *)bt_data(&t) + 8, sizeof(bo));
	ASSERT_EQ(BINDER_TYPE_PTR, bo.hdr.type);
	ASSERT_EQ(16, bo.length);
	/* The copy follows the offsets array in the same buffer. */
	ASSERT_EQ(t.data.ptr.buffer + t.data_size + 8, bo.buffer);
	ASSERT_EQ(0, memcmp((void *)(uintptr_t)bo.buffer, payload, 16));
	ASSERT_EQ(0, bt_free_and_reply(cm.fd, t.data.ptr.buffer, NULL, 0));
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	bt_chan_close(&ch);
	bt_close(&cm);
}

/* ---- the reference handshake, driven through a scripted service ---- */

FIXTURE(refs) {
	struct bt_dev dev;
	struct bt_script s;
	struct bt_proc p;
	struct bt_rets r;
};

FIXTURE_SETUP(refs)
{
	struct bt_script_opts o = { .cm = true };

	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_script_start(&self->s, self->dev.path, &o));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
	/* We read our own node's BR_RELEASE/BR_DECREFS as a looper. */
	ASSERT_EQ(0, bt_enter_looper(self->p.fd));
}

FIXTURE_TEARDOWN(refs)
{
	bt_script_kill(&self->s);
	bt_close(&self->p);
	bt_dev_destroy(&self->dev);
}

/*
 * Send object (type, ptr, ptr + 1) to the scripted manager, which reads
 * it and replies (keeping the buffer). The caller's returns are in r;
 * returns the service's view of the object (BT_SC_READ answer).
 */
static int64_t send_node(int fd, struct bt_script *s, uint32_t type,
			 uint64_t ptr, struct bt_rets *r)
{
	struct binder_transaction_data tr;
	struct bt_parcel pc;
	struct bt_cmds c;
	int64_t obj;
	int ret;

	bt_parcel_init(&pc);
	bt_p_binder(&pc, type, ptr, ptr + 1, 0);
	bt_tr(&tr, 0, 1, 0, &pc);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_TRANSACTION, &tr);
	ret = bt_send(fd, &c);
	if (ret)
		return ret;
	obj = bt_script(s, BT_SC_READ, 0);
	if (obj < 0)
		return obj;
	if (bt_script(s, BT_SC_REPLY, 0) != BR_TRANSACTION_COMPLETE)
		return -EPROTO;
	bt_rets_init(r);
	ret = bt_read_until(fd, r, BR_REPLY, BT_ANY_TERMINAL, BT_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	if (r->r[ret].cmd != BR_REPLY)
		return -EPROTO;
	bt_free_buffer(fd, r->r[ret].tr.data.ptr.buffer);
	return obj;
}

/* Read proc work until cmd (BR_RELEASE/BR_DECREFS...); returns the seq read. */
static const char *read_refs(int fd, struct bt_rets *r, uint32_t cmd)
{
	bt_rets_init(r);
	if (bt_read_until(fd, r, cmd, 0, BT_TIMEOUT_MS) < 0)
		return "(timeout)";
	return bt_seq(r, 0);
}

TEST_F(refs, release_and_decrefs_when_receiver_frees)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(BT_OBJ_HANDLE, BT_SC_KIND(obj));
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_STREQ("INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	/* The buffer held the only reference. */
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
	ASSERT_EQ(0x1000, self->r.r[bt_find(&self->r, BR_RELEASE, 0)].pc.ptr);
	ASSERT_EQ(0x1001, self->r.r[bt_find(&self->r, BR_RELEASE, 0)].pc.cookie);
	ASSERT_EQ(0x1000, self->r.r[bt_find(&self->r, BR_DECREFS, 0)].pc.ptr);
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
}

TEST_F(refs, acquire_keeps_node_until_release)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_RELEASE, 1));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, increfs_keeps_weak_reference)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_INCREFS, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* Only the strong reference went away. */
	ASSERT_STREQ("RELEASE", read_refs(self->p.fd, &self->r, BR_RELEASE));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_DECREFS, 1));
	ASSERT_STREQ("DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, release_waits_for_done_acks)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* BR_INCREFS/BR_ACQUIRE not acknowledged yet: the driver keeps the node. */
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	/* Acks with a wrong cookie or for an unknown node are ignored. */
	ASSERT_EQ(0, bt_send_ptr_cookie(self->p.fd, BC_ACQUIRE_DONE, 0x1000, 0x9999));
	ASSERT_EQ(0, bt_send_ptr_cookie(self->p.fd, BC_ACQUIRE_DONE, 0x8000, 0x8001));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_send_ptr_cookie(self->p.fd, BC_INCREFS_DONE, 0x1000, 0x1001));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	/* A second BC_INCREFS_DONE has no pending request: ignored. */
	ASSERT_EQ(0, bt_send_ptr_cookie(self->p.fd, BC_INCREFS_DONE, 0x1000, 0x1001));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_send_ptr_cookie(self->p.fd, BC_ACQUIRE_DONE, 0x1000, 0x1001));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, no_new_increfs_while_referenced)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(BT_OBJ_HANDLE, BT_SC_KIND(obj));
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_STREQ("TRANSACTION_COMPLETE REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
}

TEST_F(refs, handshake_restarts_after_full_release)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_STREQ("INCREFS ACQUIRE TRANSACTION_COMPLETE REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, lowest_free_handle_is_reused)
{
	uint32_t ptr;
	int64_t obj;

	for (ptr = 0x1000; ptr <= 0x3000; ptr += 0x1000) {
		obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, ptr, &self->r);
		ASSERT_EQ(ptr / 0x1000, BT_SC_HANDLE(obj));
		ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
		ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, ptr / 0x1000));
		ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	}
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_RELEASE, 2));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
	ASSERT_EQ(0x2000, self->r.r[bt_find(&self->r, BR_RELEASE, 0)].pc.ptr);
	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_WEAK_BINDER, 0x4000, &self->r);
	ASSERT_EQ(BT_OBJ_WEAK_HANDLE, BT_SC_KIND(obj));
	ASSERT_EQ(2, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_INCREFS, 2));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x5000, &self->r);
	ASSERT_EQ(4, BT_SC_HANDLE(obj));
}

TEST_F(refs, weak_handle_cannot_be_acquired_or_called)
{
	int64_t obj;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_WEAK_BINDER, 0x1000, &self->r);
	ASSERT_EQ(BT_OBJ_WEAK_HANDLE, BT_SC_KIND(obj));
	ASSERT_STREQ("INCREFS TRANSACTION_COMPLETE REPLY", bt_seq(&self->r, 0));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_INCREFS, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* BC_ACQUIRE on a weak-only ref is refused (silently)... */
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	/* ...so it still can't be the target of a transaction. */
	ASSERT_EQ(BR_FAILED_REPLY, bt_script(&self->s, BT_SC_CALL_ONEWAY, 1));
	ASSERT_EQ(BR_FAILED_REPLY, bt_script(&self->s, BT_SC_CALL_SYNC, 1));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_DECREFS, 1));
	ASSERT_STREQ("DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, decrefs_without_weak_count_ignored_and_buffer_pins_node)
{
	struct binder_transaction_data t;
	int64_t obj;
	int idx;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* The ref is strong-only (weak count 0): BC_DECREFS does nothing. */
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_DECREFS, 1));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_CALL_ONEWAY, 1));
	bt_rets_init(&self->r);
	idx = bt_read_until(self->p.fd, &self->r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = self->r.r[idx].tr;
	/* The last ref goes, but our unfreed incoming buffer pins the node. */
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_RELEASE, 1));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, t.data.ptr.buffer));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
}

TEST_F(refs, strong_handle_transaction_reaches_owner)
{
	struct binder_transaction_data *t;
	int64_t obj;
	int idx;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_CALL_ONEWAY, 1));
	bt_rets_init(&self->r);
	idx = bt_read_until(self->p.fd, &self->r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = &self->r.r[idx].tr;
	ASSERT_EQ(0x1000, t->target.ptr);
	ASSERT_EQ(0x1001, t->cookie);
	ASSERT_EQ(TF_ONE_WAY, t->flags);
	ASSERT_EQ(0, t->sender_pid);
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, t->data.ptr.buffer));
}

TEST_F(refs, handle_passed_to_third_process)
{
	struct binder_transaction_data *t;
	struct bt_script c2;
	int64_t obj;
	int idx;

	obj = send_node(self->p.fd, &self->s, BINDER_TYPE_BINDER, 0x1000, &self->r);
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_ack_refs(self->p.fd, &self->r, 0));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_ACQUIRE, 1));
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_FREE, 0));
	/* A third process calls the manager, which answers with handle 1. */
	ASSERT_EQ(0, bt_script_start(&c2, self->dev.path, NULL));
	ASSERT_EQ(0, bt_script_async(&c2, BT_SC_CALL_GET_OBJ, 0));
	ASSERT_EQ(BT_OBJ_NONE, BT_SC_KIND(bt_script(&self->s, BT_SC_READ, 0)));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_REPLY_HANDLE, 1));
	obj = bt_script_result(&c2);
	/* Its first ref to a non-manager node: handle 1 there too. */
	ASSERT_EQ(BT_OBJ_HANDLE, BT_SC_KIND(obj));
	ASSERT_EQ(1, BT_SC_HANDLE(obj));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&c2, BT_SC_CALL_ONEWAY, 1));
	bt_rets_init(&self->r);
	idx = bt_read_until(self->p.fd, &self->r, BR_TRANSACTION, 0, BT_TIMEOUT_MS);
	ASSERT_GE(idx, 0);
	t = &self->r.r[idx].tr;
	ASSERT_EQ(0x1000, t->target.ptr);
	ASSERT_EQ(0, bt_free_buffer(self->p.fd, t->data.ptr.buffer));
	/* Both holders must let go before the owner hears about it. */
	ASSERT_EQ(0, bt_script(&self->s, BT_SC_RELEASE, 1));
	ASSERT_EQ(0, bt_idle(self->p.fd, NULL));
	ASSERT_EQ(0, bt_script(&c2, BT_SC_FREE, 0));
	ASSERT_STREQ("RELEASE DECREFS", read_refs(self->p.fd, &self->r, BR_DECREFS));
	bt_script_kill(&c2);
}

TEST_HARNESS_MAIN
