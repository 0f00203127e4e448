// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: binderfs binder_logs/ (mount option stats=global): the
 * shape of state, stats, transactions, transaction_log,
 * failed_transaction_log and proc/<pid> as the C driver prints them
 * (binder.c print_binder_*(), *_show(), binder_alloc_print_*()). The
 * checks are on line prefixes, field layout, section order and values
 * the scenario determines (pids, tids, codes, sizes, counts, consistency
 * between ids), never on absolute debug ids, pointers or times.
 *
 * The scenario: S (a scripted service) is context manager; the test
 * process C sent S a node (S holds the buffer and so a strong ref, handle
 * 1) and has a call in flight from a second thread (S read it and has
 * not replied); I is an idle process with the device open.
 */
#include "binder_test_lib.h"
#include "kselftest_harness.h"

#include <regex.h>

#define LOG_SIZE (256 * 1024)
#define MAX_LINES 4096

struct log {
	char *buf;
	char *line[MAX_LINES];
	int n;
};

static int log_read(struct log *lg, const char *mnt, const char *name)
{
	char path[512];
	size_t len = 0;
	ssize_t n;
	char *p;
	int fd;

	if (!lg->buf)
		lg->buf = malloc(LOG_SIZE);
	if (!lg->buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/binder_logs/%s", mnt, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, lg->buf + len, LOG_SIZE - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -errno;
	lg->buf[len] = '\0';
	lg->n = 0;
	for (p = lg->buf; *p && lg->n < MAX_LINES; ) {
		char *nl = strchr(p, '\n');

		lg->line[lg->n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return 0;
}

static void log_free(struct log *lg)
{
	free(lg->buf);
	lg->buf = NULL;
	lg->n = 0;
}

static void log_dump(const struct log *lg)
{
	int i;

	for (i = 0; i < lg->n; i++)
		fprintf(stderr, "#   | %s\n", lg->line[i]);
}

/*
 * Index of the first line in [from, to) matching the extended regex re
 * (anchored by the caller); the first capture group, if any, as a number
 * in *cap (may be NULL). -1 if none.
 */
static int log_find(const struct log *lg, int from, int to, const char *re,
		    long *cap)
{
	regmatch_t m[2];
	regex_t rx;
	int i;

	if (regcomp(&rx, re, REG_EXTENDED)) {
		fprintf(stderr, "# bad regex %s\n", re);
		return -1;
	}
	if (to > lg->n || to < 0)
		to = lg->n;
	for (i = from < 0 ? 0 : from; i < to; i++) {
		if (regexec(&rx, lg->line[i], 2, m, 0))
			continue;
		if (cap && m[1].rm_so >= 0)
			*cap = strtol(lg->line[i] + m[1].rm_so, NULL, 0);
		regfree(&rx);
		return i;
	}
	regfree(&rx);
	return -1;
}

static int log_count(const struct log *lg, int from, int to, const char *re)
{
	int n = 0, i = from;

	while ((i = log_find(lg, i, to, re, NULL)) >= 0) {
		n++;
		i++;
	}
	return n;
}

/* The section "proc PID" (+ "context NAME"): [*start, *end). */
static int log_proc(const struct log *lg, int from, pid_t pid, int *start, int *end)
{
	char re[64];
	int i;

	snprintf(re, sizeof(re), "^proc %d$", (int)pid);
	i = log_find(lg, from, -1, re, NULL);
	if (i < 0)
		return -1;
	*start = i;
	for (i = i + 1; i < lg->n; i++)
		if (!strncmp(lg->line[i], "proc ", 5) ||
		    !strcmp(lg->line[i], "dead nodes:"))
			break;
	*end = i;
	return 0;
}

/* ---- the scenario --------------------------------------------------- */

struct call_arg {
	int fd;
	int with_node;
	pid_t tid;
	int ret;
};

static void *call_thread(void *a)
{
	struct call_arg *c = a;
	struct bt_parcel pc;
	struct bt_rets r;

	c->tid = bt_gettid();
	bt_parcel_init(&pc);
	if (c->with_node) {
		bt_p_binder(&pc, BINDER_TYPE_BINDER, 0x1000, 0x2000, 0);
	} else {
		bt_p_u64(&pc, 1);
		bt_p_u64(&pc, 2);
	}
	bt_rets_init(&r);
	c->ret = bt_call(c->fd, 0, c->with_node ? 1 : 0x42, 0, &pc, &r);
	if (c->ret == (int)BR_REPLY)
		bt_free_buffer(c->fd, bt_last_tr(&r)->data.ptr.buffer);
	return NULL;
}

FIXTURE(logs) {
	struct bt_dev dev;
	struct bt_script s, idle;
	struct bt_proc p;
	struct call_arg node_call, call;
	pthread_t th;
	bool in_flight;
	struct log lg;
};

FIXTURE_SETUP(logs)
{
	struct bt_script_opts o = { .cm = true };
	pthread_t th;

	memset(&self->lg, 0, sizeof(self->lg));
	self->in_flight = false;
	ASSERT_EQ(0, bt_dev_create_opts(&self->dev, "stats=global"));
	ASSERT_EQ(0, bt_script_start(&self->s, self->dev.path, &o));
	ASSERT_EQ(0, bt_script_start(&self->idle, self->dev.path, NULL));
	ASSERT_EQ(0, bt_open(self->dev.path, BT_MAP_SIZE, &self->p));
	ASSERT_EQ(8, bt_version(self->p.fd));	/* a binder thread for C's main thread */
	/* C sends S a node; S keeps the buffer (and the ref). */
	self->node_call.fd = self->p.fd;
	self->node_call.with_node = 1;
	ASSERT_EQ(0, pthread_create(&th, NULL, call_thread, &self->node_call));
	ASSERT_EQ((int64_t)BT_OBJ_HANDLE << 32 | 1, bt_script(&self->s, BT_SC_READ, 0));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_REPLY, 0));
	ASSERT_EQ(0, pthread_join(th, NULL));
	ASSERT_EQ(BR_REPLY, self->node_call.ret);
}

FIXTURE_TEARDOWN(logs)
{
	if (self->in_flight) {
		bt_script(&self->s, BT_SC_REPLY, 0);
		pthread_join(self->th, NULL);
	}
	bt_script_kill(&self->s);
	bt_script_kill(&self->idle);
	bt_close(&self->p);
	log_free(&self->lg);
	bt_dev_destroy(&self->dev);
}

/* A call (code 0x42, 16 bytes) from a new thread of C that S reads and holds. */
static int start_call_in_flight(FIXTURE_DATA(logs) *self)
{
	self->call.fd = self->p.fd;
	self->call.with_node = 0;
	if (pthread_create(&self->th, NULL, call_thread, &self->call))
		return -1;
	self->in_flight = true;
	if (bt_script(&self->s, BT_SC_READ, 0) != 0)
		return -1;
	return 0;
}

static int finish_call_in_flight(FIXTURE_DATA(logs) *self)
{
	int64_t ret = bt_script(&self->s, BT_SC_REPLY, 0);

	pthread_join(self->th, NULL);
	self->in_flight = false;
	return ret == BR_TRANSACTION_COMPLETE && self->call.ret == (int)BR_REPLY ? 0 : -1;
}

#define FIND(from, to, re, cap) ({						\
	int __i = log_find(&self->lg, (from), (to), (re), (cap));		\
	if (__i < 0) {								\
		TH_LOG("no line matching /%s/ in lines %d..%d:", (re), (from), (to)); \
		log_dump(&self->lg);						\
	}									\
	__i;									\
})

#define RE(...) ({ static char __re[512]; snprintf(__re, sizeof(__re), __VA_ARGS__); __re; })

TEST_F(logs, binder_logs_files)
{
	static const char * const files[] = {
		"state", "stats", "transactions", "transaction_log",
		"failed_transaction_log",
	};
	struct bt_dev plain;
	char path[512];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/binder_logs/%s", self->dev.mnt, files[i]);
		ASSERT_EQ(0, stat(path, &st));
		ASSERT_TRUE(S_ISREG(st.st_mode));
		ASSERT_EQ(0444, st.st_mode & 07777);
	}
	snprintf(path, sizeof(path), "%s/binder_logs/proc", self->dev.mnt);
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	/* One file per process that opened a device of this instance. */
	snprintf(path, sizeof(path), "%s/binder_logs/proc/%d", self->dev.mnt, getpid());
	ASSERT_EQ(0, stat(path, &st));
	ASSERT_TRUE(S_ISREG(st.st_mode));
	ASSERT_EQ(0444, st.st_mode & 07777);
	snprintf(path, sizeof(path), "%s/binder_logs/proc/%d", self->dev.mnt, self->s.pid);
	ASSERT_EQ(0, stat(path, &st));
	/* Without stats=global there is no binder_logs. */
	ASSERT_EQ(0, bt_dev_create(&plain));
	ASSERT_NE(0, plain.mnt[0]);
	snprintf(path, sizeof(path), "%s/binder_logs", plain.mnt);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ENOENT, errno);
	bt_dev_destroy(&plain);
}

TEST_F(logs, state_shape)
{
	int s0, s1, c0, c1, i0, i1, i, last;
	long in_id = -1, out_id = -1, cm_node = -1, c_node = -1, ref_node = -1, v;
	pid_t me = getpid(), sp = self->s.pid;

	ASSERT_EQ(0, start_call_in_flight(self));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "state"));
	ASSERT_GT(self->lg.n, 0);
	ASSERT_STREQ("binder state:", self->lg.line[0]);

	/* S: its looper thread handles the call; node, ref, two buffers. */
	ASSERT_EQ(0, log_proc(&self->lg, 0, sp, &s0, &s1));
	ASSERT_STREQ("context binder", self->lg.line[s0 + 1]);
	i = FIND(s0, s1, RE("^  thread %d: l [0-9a-f]{2} need_return [01] tr [0-9]+$", sp), NULL);
	ASSERT_EQ(s0 + 2, i);
	i = FIND(s0, s1, RE("^    incoming transaction ([0-9]+): [^ ]+ from %d:%d to %d:%d code 42 flags 0 pri 0 r1 elapsed [0-9]+ms node [0-9]+ size 16:0 offset [0-9a-f]+$",
			    me, self->call.tid, sp, sp), &in_id);
	ASSERT_EQ(s0 + 3, i);
	ASSERT_LT(0, FIND(i, i + 1, "node ([0-9]+) size", &cm_node));
	/* Its context manager node: ptr/cookie 0, no refs (no " proc"). */
	i = FIND(s0, s1, "^  node ([0-9]+): u0000000000000000 c0000000000000000 hs [01] hw [01] ls [0-9]+ lw [0-9]+ is 0 iw 0 tr [0-9]+$", &v);
	ASSERT_EQ(s0 + 4, i);
	ASSERT_EQ(cm_node, v);
	/* Handle 1: one strong ref to C's node. */
	i = FIND(s0, s1, "^  ref [0-9]+: desc 1 node [0-9]+ s 1 w 0 d [^ ]+$", NULL);
	ASSERT_EQ(s0 + 5, i);
	ASSERT_EQ(s0 + 5, FIND(i, i + 1, "node ([0-9]+) s", &ref_node));
	/* The node's buffer (returned and kept) and the call's buffer. */
	ASSERT_EQ(s0 + 6, FIND(s0, s1, "^  buffer [0-9]+: [0-9a-f]+ size 24:8:0 delivered$", NULL));
	ASSERT_EQ(s0 + 7, FIND(s0, s1, "^  buffer [0-9]+: [0-9a-f]+ size 16:0:0 active$", NULL));
	ASSERT_EQ(s0 + 8, s1);

	/* C: three threads in tid order; the calling one has the outgoing call. */
	ASSERT_EQ(0, log_proc(&self->lg, 0, me, &c0, &c1));
	ASSERT_STREQ("context binder", self->lg.line[c0 + 1]);
	last = 0;
	for (i = c0 + 2; i < c1 && !strncmp(self->lg.line[i], "  thread ", 9); i++) {
		long tid = strtol(self->lg.line[i] + 9, NULL, 10);

		ASSERT_GT(tid, last);
		last = tid;
		if (tid == self->call.tid) {
			ASSERT_LT(0, FIND(i, i + 1, "^  thread [0-9]+: l [0-9a-f]{2} need_return 0 tr [0-9]+$", NULL));
			i++;
			ASSERT_EQ(i, FIND(i, i + 1, RE("^    outgoing transaction ([0-9]+): [^ ]+ from %d:%d to %d:%d code 42 flags 0 pri 0 r1 elapsed [0-9]+ms$",
						     me, self->call.tid, sp, sp), &out_id));
			/* The call's deferred BR_TRANSACTION_COMPLETE. */
			i++;
			ASSERT_STREQ("    transaction complete", self->lg.line[i]);
		}
	}
	ASSERT_EQ(in_id, out_id);
	ASSERT_EQ(3, log_count(&self->lg, c0, c1, "^  thread "));
	/* C's node, referenced by S. */
	ASSERT_EQ(i, FIND(c0, c1, RE("^  node ([0-9]+): u0000000000001000 c0000000000002000 hs 1 hw 1 ls [0-9]+ lw [0-9]+ is 1 iw 1 tr [0-9]+ proc %d$", sp), &c_node));
	ASSERT_EQ(ref_node, c_node);
	ASSERT_EQ(i + 1, c1);

	/* I: just an idle looper thread. */
	ASSERT_EQ(0, log_proc(&self->lg, 0, self->idle.pid, &i0, &i1));
	ASSERT_STREQ("context binder", self->lg.line[i0 + 1]);
	ASSERT_EQ(i0 + 2, FIND(i0, i1, RE("^  thread %d: l [0-9a-f]{2} need_return 0 tr 0$", self->idle.pid), NULL));
	ASSERT_EQ(i0 + 3, i1);
	ASSERT_EQ(0, finish_call_in_flight(self));
}

TEST_F(logs, transactions_lists_only_busy_parts)
{
	int s0, s1, c0, c1;
	pid_t me = getpid(), sp = self->s.pid;

	ASSERT_EQ(0, start_call_in_flight(self));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "transactions"));
	ASSERT_STREQ("binder transactions:", self->lg.line[0]);
	ASSERT_EQ(0, log_proc(&self->lg, 0, sp, &s0, &s1));
	ASSERT_STREQ("context binder", self->lg.line[s0 + 1]);
	ASSERT_EQ(s0 + 2, FIND(s0, s1, RE("^  thread %d: ", sp), NULL));
	ASSERT_EQ(s0 + 3, FIND(s0, s1, RE("^    incoming transaction [0-9]+: [^ ]+ from %d:%d to %d:%d code 42 ", me, self->call.tid, sp, sp), NULL));
	/* No nodes or refs; buffers always. */
	ASSERT_EQ(s0 + 4, FIND(s0, s1, "^  buffer [0-9]+: [0-9a-f]+ size 24:8:0 delivered$", NULL));
	ASSERT_EQ(s0 + 5, FIND(s0, s1, "^  buffer [0-9]+: [0-9a-f]+ size 16:0:0 active$", NULL));
	ASSERT_EQ(s0 + 6, s1);
	/* C: only the thread with the call. */
	ASSERT_EQ(0, log_proc(&self->lg, 0, me, &c0, &c1));
	ASSERT_EQ(c0 + 2, FIND(c0, c1, RE("^  thread %d: ", self->call.tid), NULL));
	ASSERT_EQ(c0 + 3, FIND(c0, c1, "^    outgoing transaction ", NULL));
	ASSERT_EQ(c0 + 4, FIND(c0, c1, "^    transaction complete$", NULL));
	ASSERT_EQ(c0 + 5, c1);
	/* I has nothing to show. */
	ASSERT_EQ(-1, log_find(&self->lg, 0, -1, RE("^proc %d$", self->idle.pid), NULL));
	ASSERT_EQ(0, finish_call_in_flight(self));
	/* Once done, C has nothing to show either. */
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "transactions"));
	ASSERT_EQ(-1, log_find(&self->lg, 0, -1, RE("^proc %d$", me), NULL));
}

TEST_F(logs, stats_shape)
{
	static const char * const global[] = {
		"^BC_TRANSACTION: [0-9]+$", "^BC_REPLY: [0-9]+$",
		"^BC_FREE_BUFFER: [0-9]+$", "^BC_ENTER_LOOPER: [0-9]+$",
		"^BR_TRANSACTION: [0-9]+$", "^BR_REPLY: [0-9]+$",
		"^BR_TRANSACTION_COMPLETE: [0-9]+$", "^BR_INCREFS: [0-9]+$",
		"^BR_ACQUIRE: [0-9]+$",
		"^proc: active [0-9]+ total [0-9]+$",
		"^thread: active [0-9]+ total [0-9]+$",
		"^node: active [0-9]+ total [0-9]+$",
		"^ref: active [0-9]+ total [0-9]+$",
		"^transaction: active [0-9]+ total [0-9]+$",
		"^transaction_complete: active [0-9]+ total [0-9]+$",
	};
	static const char * const s_block[] = {
		"context binder",
		"  threads: 1",
		"  requested threads: 0+0/0",
		"  ready threads 0",
		"  free async space 65536",
		"  nodes: 1",
		"  refs: 1 s 1 w 0",
		"  buffers: 2",
	};
	int s0, s1, c0, c1, first_proc, i, a, l, f;
	size_t k;

	ASSERT_EQ(0, start_call_in_flight(self));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "stats"));
	ASSERT_STREQ("binder stats:", self->lg.line[0]);
	first_proc = FIND(0, -1, "^proc [0-9]+$", NULL);
	ASSERT_GT(first_proc, 0);
	/* Global counters before the first proc; only non-zero ones. */
	for (k = 0; k < sizeof(global) / sizeof(global[0]); k++)
		ASSERT_LT(0, FIND(1, first_proc, global[k], NULL));
	ASSERT_EQ(-1, log_find(&self->lg, 1, first_proc, ": 0$", NULL));
	ASSERT_EQ(-1, log_find(&self->lg, 1, first_proc, "active [0-9]+ total 0$", NULL));

	ASSERT_EQ(0, log_proc(&self->lg, 0, self->s.pid, &s0, &s1));
	for (k = 0; k < sizeof(s_block) / sizeof(s_block[0]); k++)
		ASSERT_STREQ(s_block[k], self->lg.line[s0 + 1 + k]);
	i = s0 + 1 + k;
	ASSERT_EQ(3, sscanf(self->lg.line[i], "  pages: %d:%d:%d", &a, &l, &f));
	ASSERT_EQ(BT_MAP_SIZE / 4096, a + l + f);
	ASSERT_GE(a, 1);
	ASSERT_EQ(i + 1, FIND(i, i + 2, "^  pages high watermark: [0-9]+$", NULL));
	ASSERT_STREQ("  pending transactions: 0", self->lg.line[i + 2]);
	/* Per-proc counters: S replied once and read two transactions. */
	ASSERT_STREQ("  BC_REPLY: 1", self->lg.line[i + 3]);
	ASSERT_STREQ("  BC_ENTER_LOOPER: 1", self->lg.line[i + 4]);
	ASSERT_STREQ("  BR_TRANSACTION: 2", self->lg.line[i + 5]);
	ASSERT_STREQ("  BR_TRANSACTION_COMPLETE: 1", self->lg.line[i + 6]);
	ASSERT_EQ(i + 7, s1);

	/* C: 3 threads, its node, no refs, nothing allocated. */
	ASSERT_EQ(0, log_proc(&self->lg, 0, getpid(), &c0, &c1));
	ASSERT_STREQ("  threads: 3", self->lg.line[c0 + 2]);
	ASSERT_STREQ("  nodes: 1", self->lg.line[c0 + 6]);
	ASSERT_STREQ("  refs: 0 s 0 w 0", self->lg.line[c0 + 7]);
	ASSERT_STREQ("  buffers: 0", self->lg.line[c0 + 8]);
	ASSERT_LT(0, FIND(c0, c1, "^  BC_TRANSACTION: 2$", NULL));
	ASSERT_LT(0, FIND(c0, c1, "^  BR_INCREFS: 1$", NULL));
	ASSERT_LT(0, FIND(c0, c1, "^  BR_ACQUIRE: 1$", NULL));
	ASSERT_EQ(0, finish_call_in_flight(self));
}

TEST_F(logs, pending_oneway_shapes)
{
	int s0, s1, i;
	long node = -1, v;
	pid_t me = getpid(), sp = self->s.pid;
	struct bt_parcel pc;
	struct bt_rets r;

	/* S does not read: the first one-way waits in its todo, the second in the node's. */
	bt_parcel_init(&pc);
	bt_p_u64(&pc, 7);
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(self->p.fd, 0, 7, TF_ONE_WAY, &pc, &r));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_call(self->p.fd, 0, 8, TF_ONE_WAY, &pc, &r));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "state"));
	ASSERT_EQ(0, log_proc(&self->lg, 0, sp, &s0, &s1));
	i = FIND(s0, s1, "^  node ([0-9]+): u0000000000000000 ", &node);
	ASSERT_GT(i, 0);
	ASSERT_EQ(i + 1, FIND(s0, s1, RE("^    pending async transaction [0-9]+: [^ ]+ from %d:%d to %d:0 code 8 flags 1 pri 0 r0 elapsed [0-9]+ms node ([0-9]+) size 8:0 offset [0-9a-f]+$", me, me, sp), &v));
	ASSERT_LT(0, FIND(i + 1, i + 2, "node ([0-9]+) size", &v));
	ASSERT_EQ(node, v);
	/* The last lines: proc work after the buffers. */
	ASSERT_EQ(s1 - 1, FIND(s0, s1, RE("^  pending transaction [0-9]+: [^ ]+ from %d:%d to %d:0 code 7 flags 1 pri 0 r0 elapsed [0-9]+ms node [0-9]+ size 8:0 offset [0-9a-f]+$", me, me, sp), NULL));
	ASSERT_GT(s1 - 1, FIND(s0, s1, "^  buffer ", NULL));
	/* transactions shows the node (it has async work) but not its ref. */
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "transactions"));
	ASSERT_EQ(0, log_proc(&self->lg, 0, sp, &s0, &s1));
	ASSERT_LT(0, FIND(s0, s1, "^  node [0-9]+: u0000000000000000 ", NULL));
	ASSERT_LT(0, FIND(s0, s1, "^    pending async transaction ", NULL));
	ASSERT_LT(0, FIND(s0, s1, "^  pending transaction ", NULL));
	ASSERT_EQ(-1, log_find(&self->lg, s0, s1, "^  ref ", NULL));
	/* stats counts the pending transaction in the proc todo only. */
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "stats"));
	ASSERT_EQ(0, log_proc(&self->lg, 0, sp, &s0, &s1));
	ASSERT_LT(0, FIND(s0, s1, "^  pending transactions: 1$", NULL));
	ASSERT_LT(0, FIND(s0, s1, "^  free async space [0-9]+$", NULL));
	ASSERT_EQ(-1, log_find(&self->lg, s0, s1, "^  free async space 65536$", NULL));
	/* transaction_log: "async" entries. */
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "transaction_log"));
	ASSERT_EQ(2, log_count(&self->lg, 0, -1, RE("^[0-9]+: async from %d:%d to %d:0 context binder node [0-9]+ handle 0 size 8:0 ret 0/0 l=0$", me, me, sp)));
}

TEST_F(logs, transaction_log_lines)
{
	int a, b, c, d;
	long ida, idb, idc, idd;
	pid_t me = getpid(), sp = self->s.pid;
	struct bt_rets r;

	ASSERT_EQ(0, start_call_in_flight(self));
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(self->p.fd, 99, 1, 0, NULL, &r));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "transaction_log"));
	/* Entries in order: id: call/reply/async from..to.. context node handle size ret l. */
	a = FIND(0, -1, RE("^([0-9]+): call  from %d:%d to %d:0 context binder node [0-9]+ handle 0 size 24:8 ret 0/0 l=0$", me, self->node_call.tid, sp), &ida);
	ASSERT_GE(a, 0);
	b = FIND(a, -1, RE("^([0-9]+): reply from %d:%d to %d:%d context binder node 0 handle 0 size 0:0 ret 0/0 l=0$", sp, sp, me, self->node_call.tid), &idb);
	ASSERT_GT(b, a);
	c = FIND(b, -1, RE("^([0-9]+): call  from %d:%d to %d:0 context binder node [0-9]+ handle 0 size 16:0 ret 0/0 l=0$", me, self->call.tid, sp), &idc);
	ASSERT_GT(c, b);
	/* The failed call: target unknown, BR_FAILED_REPLY/-EINVAL, a source line. */
	d = FIND(c, -1, RE("^([0-9]+): call  from %d:%d to 0:0 context binder node 0 handle 99 size 0:0 ret %d/%d l=[1-9][0-9]*$", me, me, BR_FAILED_REPLY, -EINVAL), &idd);
	ASSERT_GT(d, c);
	ASSERT_LT(ida, idb);
	ASSERT_LT(idb, idc);
	ASSERT_LT(idc, idd);
	ASSERT_EQ(0, finish_call_in_flight(self));
}

TEST_F(logs, failed_transaction_log_gains_a_line)
{
	struct bt_rets r;
	struct bt_parcel pc;
	int n0, n1, n2;
	pid_t me = getpid();

	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "failed_transaction_log"));
	n0 = self->lg.n;
	ASSERT_LE(n0, 32);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(self->p.fd, 99, 1, 0, NULL, &r));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "failed_transaction_log"));
	n1 = self->lg.n;
	ASSERT_EQ(n0 < 32 ? n0 + 1 : 32, n1);
	ASSERT_EQ(n1 - 1, FIND(0, -1, RE("^[0-9]+: call  from %d:%d to 0:0 context binder node 0 handle 99 size 0:0 ret %d/%d l=[0-9]+$", me, me, BR_FAILED_REPLY, -EINVAL), NULL));
	/* A one-way with a bad fd to S (its node takes no fds): -EPERM. */
	bt_parcel_init(&pc);
	bt_p_fd(&pc, 0);
	ASSERT_EQ(BR_FAILED_REPLY, bt_call(self->p.fd, 0, 3, TF_ONE_WAY, &pc, &r));
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "failed_transaction_log"));
	n2 = self->lg.n;
	ASSERT_EQ(n1 < 32 ? n1 + 1 : 32, n2);
	ASSERT_EQ(n2 - 1, FIND(0, -1, RE("^[0-9]+: async from %d:%d to %d:0 context binder node [1-9][0-9]* handle 0 size 24:8 ret %d/%d l=[0-9]+$", me, me, self->s.pid, BR_FAILED_REPLY, -EPERM), NULL));
	/* Successful transactions are not in it. */
	ASSERT_EQ(-1, log_find(&self->lg, 0, -1, "ret 0/0", NULL));
}

TEST_F(logs, proc_file_per_pid)
{
	char name[64], path2[256], path[512];
	struct bt_chan ch;
	struct stat st;
	uint64_t v;
	pid_t pid;
	int i0, i1, j0, j1;
	long t0;

	snprintf(name, sizeof(name), "proc/%d", self->s.pid);
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, name));
	ASSERT_STREQ("binder proc state:", self->lg.line[0]);
	ASSERT_STREQ(RE("proc %d", self->s.pid), self->lg.line[1]);
	ASSERT_STREQ("context binder", self->lg.line[2]);
	ASSERT_EQ(3, FIND(0, -1, RE("^  thread %d: ", self->s.pid), NULL));
	ASSERT_LT(0, FIND(0, -1, "^  ref [0-9]+: desc 1 ", NULL));
	ASSERT_EQ(1, log_count(&self->lg, 0, -1, "^proc "));

	/* A process with fds on two devices: one file, a section for each. */
	ASSERT_EQ(0, bt_dev_add(&self->dev, "binder2", path2, sizeof(path2)));
	ASSERT_EQ(0, bt_chan_init(&ch));
	pid = bt_fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct bt_proc a, b;

		bt_chan_child(&ch);
		BT_CHECK_EQ(bt_open(self->dev.path, BT_MAP_SIZE, &a), 0);
		BT_CHECK_EQ(bt_open(path2, BT_MAP_SIZE, &b), 0);
		BT_CHECK_EQ(bt_tell_parent(&ch, 0), 0);
		bt_hear_parent(&ch, &v, 60000);
		_exit(0);
	}
	bt_chan_parent(&ch);
	ASSERT_EQ(0, bt_hear_child(&ch, &v, BT_TIMEOUT_MS));
	snprintf(name, sizeof(name), "proc/%d", pid);
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, name));
	ASSERT_STREQ("binder proc state:", self->lg.line[0]);
	ASSERT_EQ(2, log_count(&self->lg, 0, -1, RE("^proc %d$", pid)));
	ASSERT_EQ(0, log_proc(&self->lg, 0, pid, &i0, &i1));
	ASSERT_EQ(0, log_proc(&self->lg, i1, pid, &j0, &j1));
	/* Both contexts, in either order. */
	ASSERT_TRUE((!strcmp(self->lg.line[i0 + 1], "context binder") &&
		     !strcmp(self->lg.line[j0 + 1], "context binder2")) ||
		    (!strcmp(self->lg.line[i0 + 1], "context binder2") &&
		     !strcmp(self->lg.line[j0 + 1], "context binder")));
	/* The file goes away once the process has released its fds. */
	bt_chan_close(&ch);
	ASSERT_EQ(0, bt_wait(pid, BT_TIMEOUT_MS));
	snprintf(path, sizeof(path), "%s/binder_logs/%s", self->dev.mnt, name);
	t0 = bt_now_ms();
	while (stat(path, &st) == 0 && bt_now_ms() - t0 < 5000)
		bt_msleep(10);
	ASSERT_EQ(-1, stat(path, &st));
	ASSERT_EQ(ENOENT, errno);
}

TEST_F(logs, dead_node_and_dead_ref)
{
	struct bt_script owner;
	int s0, s1, d, i;
	long node = -1, ref_node = -1;
	long t0;

	/* owner sends S node 0x300; S keeps it (handle 2); owner dies. */
	ASSERT_EQ(0, bt_script_start(&owner, self->dev.path, NULL));
	ASSERT_EQ(0, bt_script_async(&owner, BT_SC_SEND_NODE, 0x300));
	ASSERT_EQ((int64_t)BT_OBJ_HANDLE << 32 | 2, bt_script(&self->s, BT_SC_READ, 0));
	ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_REPLY, 0));
	ASSERT_EQ(BR_REPLY, bt_script_result(&owner));
	ASSERT_EQ(128 + SIGKILL, bt_script_kill(&owner));
	t0 = bt_now_ms();
	do {
		ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "state"));
		d = log_find(&self->lg, 0, -1, "^dead nodes:$", NULL);
		if (d > 0 && log_find(&self->lg, d, -1, "^  node [0-9]+: u0000000000000300 ", NULL) > 0)
			break;
		bt_msleep(20);
	} while (bt_now_ms() - t0 < 5000);
	/* "dead nodes:" comes right after the header, before the procs. */
	ASSERT_EQ(1, FIND(0, -1, "^dead nodes:$", NULL));
	i = FIND(d, -1, RE("^  node ([0-9]+): u0000000000000300 c0000000000000301 hs [01] hw [01] ls [0-9]+ lw [0-9]+ is [0-9]+ iw 1 tr [0-9]+ proc %d$", self->s.pid), &node);
	ASSERT_GT(i, d);
	ASSERT_LT(i, FIND(0, -1, "^proc [0-9]+$", NULL));
	ASSERT_EQ(0, log_proc(&self->lg, 0, self->s.pid, &s0, &s1));
	ASSERT_LT(0, FIND(s0, s1, "^  ref [0-9]+: desc 2 dead node ([0-9]+) s 1 w 0 d [^ ]+$", &ref_node));
	ASSERT_EQ(node, ref_node);
	/* The live ref (handle 1) has no "dead". */
	ASSERT_LT(0, FIND(s0, s1, "^  ref [0-9]+: desc 1 node [0-9]+ s 1 w 0 d ", NULL));
}

/* A node's holders are listed newest first, as C walks node->refs (each
 * new ref is added at the head); one going away leaves the others' order. */
TEST_F(logs, node_holders_newest_first)
{
	struct bt_script h[3];
	pid_t hp[3], me = getpid(), sp = self->s.pid;
	int64_t obj;
	int c0, c1, k;
	long t0;

	/* S holds C's node (handle 1); three more processes get it from S. */
	for (k = 0; k < 3; k++) {
		ASSERT_EQ(0, bt_script_start(&h[k], self->dev.path, NULL));
		hp[k] = h[k].pid;
		ASSERT_EQ(0, bt_script_async(&h[k], BT_SC_CALL_GET_OBJ, 0));
		ASSERT_EQ(BT_OBJ_NONE, BT_SC_KIND(bt_script(&self->s, BT_SC_READ, 0)));
		ASSERT_EQ(BR_TRANSACTION_COMPLETE, bt_script(&self->s, BT_SC_REPLY_HANDLE, 1));
		obj = bt_script_result(&h[k]);
		ASSERT_EQ(BT_OBJ_HANDLE, BT_SC_KIND(obj));
	}
	ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "state"));
	ASSERT_EQ(0, log_proc(&self->lg, 0, me, &c0, &c1));
	ASSERT_LT(0, FIND(c0, c1, RE("^  node [0-9]+: u0000000000001000 c0000000000002000 hs 1 hw 1 ls [0-9]+ lw [0-9]+ is [0-9]+ iw 4 tr [0-9]+ proc %d %d %d %d$",
				     hp[2], hp[1], hp[0], sp), NULL));
	/* The second holder goes (its ref with its process). */
	ASSERT_EQ(0, bt_script_stop(&h[1]));
	t0 = bt_now_ms();
	for (;;) {
		ASSERT_EQ(0, log_read(&self->lg, self->dev.mnt, "state"));
		ASSERT_EQ(0, log_proc(&self->lg, 0, me, &c0, &c1));
		if (log_find(&self->lg, c0, c1, " iw 3 ", NULL) >= 0 || bt_now_ms() - t0 > 5000)
			break;
		bt_msleep(20);
	}
	ASSERT_LT(0, FIND(c0, c1, RE("^  node [0-9]+: u0000000000001000 c0000000000002000 hs 1 hw 1 ls [0-9]+ lw [0-9]+ is [0-9]+ iw 3 tr [0-9]+ proc %d %d %d$",
				     hp[2], hp[0], sp), NULL));
	bt_script_kill(&h[0]);
	bt_script_kill(&h[2]);
}

TEST_HARNESS_MAIN
