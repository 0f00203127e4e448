// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: reclaim of free buffer pages. The C driver keeps the pages
 * of freed buffers mapped on a list_lru and gives them back through its
 * "android-binder" shrinker; writing 2 to /proc/sys/vm/drop_caches runs
 * every shrinker (drop_slab()). Afterwards the pages are gone from the
 * receiver's mapping (mincore() 0, a read faults with SIGBUS), pages still
 * used by a buffer stay, and the next transaction at the same place gets
 * fresh pages with the right data. Every expectation is what the C driver
 * (Linux 6.12, binder_alloc.c) does.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <setjmp.h>

#define PAGE 4096

static int drop_slab(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "2\n", 2) != 2)
		ret = -errno;
	close(fd);
	return ret;
}

/* Bitmask of resident pages [first, first + n) of the mapping. */
static int resident(const struct bt_proc *p, int first, int n)
{
	unsigned char vec[BT_MAP_SIZE / PAGE];
	int i, mask = 0;

	if (mincore(p->map, p->map_size, vec))
		return -errno;
	for (i = 0; i < n; i++)
		if (vec[first + i] & 1)
			mask |= 1 << i;
	return mask;
}

/*
 * Reclaim until pages [first, first + n) are gone (the shrinker skips a
 * page whose mm it can't trylock; retry a few times). The mask left.
 */
static int reclaim(const struct bt_proc *p, int first, int n)
{
	int i, mask = 0;

	for (i = 0; i < 5; i++) {
		if (drop_slab())
			return -1;
		mask = resident(p, first, n);
		if (mask == 0)
			break;
		bt_msleep(20);
	}
	return mask;
}

static sigjmp_buf bus_jmp;

static void on_sigbus(int sig)
{
	(void)sig;
	siglongjmp(bus_jmp, 1);
}

/* 1 if reading *addr raises SIGBUS, 0 if it reads fine. */
static int read_faults(const volatile uint8_t *addr)
{
	struct sigaction sa, old;
	int faulted = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigbus;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(bus_jmp, 1) == 0)
		(void)*addr;
	else
		faulted = 1;
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

static void fill(uint8_t *buf, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

static int check(const uint8_t *buf, size_t len, uint8_t seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i] != (uint8_t)(seed + i * 7 + (i >> 8)))
			return -1;
	return 0;
}

/*
 * A sender process: for each request (len << 8 | seed) makes a sync call
 * with len bytes of pattern seed and answers its outcome.
 */
struct sender {
	pid_t pid;
	struct bt_chan ch;
};

static int sender_start(struct sender *s, const char *path)
{
	uint64_t v;

	if (bt_chan_init(&s->ch))
		return -1;
	s->pid = bt_fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		static uint8_t buf[64 * 1024];
		struct bt_proc c;

		bt_chan_child(&s->ch);
		BT_CHECK_EQ(bt_open(path, BT_MAP_SIZE, &c), 0);
		BT_CHECK_EQ(bt_tell_parent(&s->ch, 0), 0);
		for (;;) {
			struct binder_transaction_data tr;
			struct bt_rets r;
			size_t len;
			int ret;

			ret = bt_hear_parent(&s->ch, &v, 60000);
			if (ret == -EPIPE)
				_exit(0);
			BT_CHECK_EQ(ret, 0);
			len = v >> 8;
			BT_CHECK(len <= sizeof(buf));
			fill(buf, len, (uint8_t)v);
			bt_tr_raw(&tr, 0, 1, 0, buf, len, NULL, 0);
			bt_rets_init(&r);
			ret = bt_call_tr(c.fd, BC_TRANSACTION, &tr, 0, &r);
			if (ret == (int)BR_REPLY)
				bt_free_buffer(c.fd, bt_last_tr(&r)->data.ptr.buffer);
			BT_CHECK_EQ(bt_tell_parent(&s->ch, (uint32_t)ret), 0);
		}
	}
	bt_chan_parent(&s->ch);
	return bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
}

FIXTURE(reclaim) {
	struct bt_dev dev;
	struct bt_proc cm;
	struct sender s;
	struct bt_rets r;
};

FIXTURE_SETUP(reclaim)
{
	ASSERT_EQ(0, bt_dev_create(&self->dev));
	ASSERT_EQ(0, bt_open_cm(self->dev.path, BT_MAP_SIZE, &self->cm));
	ASSERT_EQ(0, sender_start(&self->s, self->dev.path));
}

FIXTURE_TEARDOWN(reclaim)
{
	bt_chan_close(&self->s.ch);
	bt_wait(self->s.pid, BT_TIMEOUT_MS);
	bt_close(&self->cm);
	bt_dev_destroy(&self->dev);
}

/*
 * Have the sender call us with len bytes of seed; check the data, reply
 * (keeping the buffer); off_out = the buffer's offset in our mapping.
 */
#define RECV(len, seed, off_out) do {						\
	struct binder_transaction_data *__t;					\
	uint64_t __v;								\
	ASSERT_EQ(0, bt_tell_child(&self->s.ch, (uint64_t)(len) << 8 | (seed))); \
	bt_rets_init(&self->r);							\
	ASSERT_GE(bt_read_until(self->cm.fd, &self->r, BR_TRANSACTION, 0,	\
				BT_TIMEOUT_MS), 0);				\
	__t = bt_last_tr(&self->r);						\
	ASSERT_EQ((len), __t->data_size);					\
	ASSERT_EQ(0, check(bt_data(__t), (len), (seed)));			\
	(off_out) = __t->data.ptr.buffer - (uintptr_t)self->cm.map;		\
	ASSERT_EQ(0, bt_reply(self->cm.fd, NULL, 0));				\
	bt_rets_init(&self->r);							\
	ASSERT_GE(bt_read_until(self->cm.fd, &self->r, BR_TRANSACTION_COMPLETE, \
				0, BT_TIMEOUT_MS), 0);				\
	ASSERT_EQ(0, bt_hear_child(&self->s.ch, &__v, 2 * BT_TIMEOUT_MS));	\
	ASSERT_EQ(BR_REPLY, (uint32_t)__v);					\
} while (0)

#define MAP_AT(off) ((uint8_t *)self->cm.map + (off))

TEST_F(reclaim, freed_pages_reclaimed_and_come_back)
{
	uint64_t off;

	RECV(3 * PAGE, 0x11, off);
	ASSERT_EQ(0, off);
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(0)));
	/* Freed pages stay mapped (and keep the data) until reclaimed. */
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, check(MAP_AT(0), 3 * PAGE, 0x11));
	ASSERT_EQ(0, reclaim(&self->cm, 0, 3));
	ASSERT_EQ(1, read_faults(MAP_AT(0)));
	ASSERT_EQ(1, read_faults(MAP_AT(2 * PAGE)));
	/* The next buffer at the same place gets new pages. */
	RECV(3 * PAGE, 0x22, off);
	ASSERT_EQ(0, off);
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, read_faults(MAP_AT(2 * PAGE)));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(0)));
	/* And once more, with a partial last page. */
	ASSERT_EQ(0, reclaim(&self->cm, 0, 3));
	RECV(2 * PAGE + 100, 0x33, off);
	ASSERT_EQ(0, off);
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(0)));
}

TEST_F(reclaim, held_buffer_pages_survive_reclaim)
{
	uint64_t off;

	RECV(2 * PAGE, 0x44, off);
	ASSERT_EQ(0, off);
	ASSERT_EQ(0x3, reclaim(&self->cm, 0, 2));
	ASSERT_EQ(0, check(MAP_AT(0), 2 * PAGE, 0x44));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(0)));
	ASSERT_EQ(0, reclaim(&self->cm, 0, 2));
	ASSERT_EQ(1, read_faults(MAP_AT(PAGE)));
}

TEST_F(reclaim, page_shared_with_a_held_buffer_stays)
{
	uint64_t a, b;

	/* A: 100 bytes at 0 (held); B: 2 pages at 104 (pages 0..2). */
	RECV(100, 0x55, a);
	ASSERT_EQ(0, a);
	RECV(2 * PAGE, 0x66, b);
	ASSERT_EQ(104, b);
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(b)));
	/* Page 0 is still A's. */
	ASSERT_EQ(0x1, reclaim(&self->cm, 0, 3));
	ASSERT_EQ(0, check(MAP_AT(0), 100, 0x55));
	ASSERT_EQ(1, read_faults(MAP_AT(PAGE)));
	/* B's place again: pages 1 and 2 come back, page 0 is reused. */
	RECV(2 * PAGE, 0x77, b);
	ASSERT_EQ(104, b);
	ASSERT_EQ(0x7, resident(&self->cm, 0, 4));
	ASSERT_EQ(0, check(MAP_AT(0), 100, 0x55));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(b)));
	ASSERT_EQ(0, bt_free_buffer(self->cm.fd, (uintptr_t)MAP_AT(a)));
	ASSERT_EQ(0, reclaim(&self->cm, 0, 3));
}

TEST_F(reclaim, reply_pages_reclaimed_in_caller)
{
	struct bt_report rep;
	struct bt_parcel pc;
	struct bt_proc p;
	char path2[256];
	uint8_t data[3000], copy[3000];
	pid_t srv;
	int i;

	/* We call a report service: its replies land in our mapping. */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	srv = bt_start_server(path2, NULL);
	ASSERT_GT(srv, 0);
	ASSERT_EQ(0, bt_open(path2, BT_MAP_SIZE, &p));
	for (i = 0; i < 3; i++) {
		fill(data, sizeof(data), 0x80 + i);
		bt_parcel_init(&pc);
		bt_p_bytes(&pc, data, sizeof(data));
		memset(copy, 0, sizeof(copy));
		/* bt_call_report frees the reply buffer. */
		ASSERT_EQ(BR_REPLY, bt_call_report(p.fd, 0, BT_CODE_REPORT, 0, &pc,
						   &rep, copy, sizeof(copy), NULL));
		ASSERT_EQ(0, check(copy, sizeof(copy), 0x80 + i));
		ASSERT_EQ(0x1, resident(&p, 0, 2));
		ASSERT_EQ(0, reclaim(&p, 0, 1));
		ASSERT_EQ(1, read_faults((uint8_t *)p.map));
	}
	ASSERT_EQ(0, bt_stop_server(p.fd, srv));
	bt_close(&p);
}

TEST_HARNESS_MAIN
