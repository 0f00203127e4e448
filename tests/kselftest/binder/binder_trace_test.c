// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: the `binder` trace events and /sys/kernel/debug/binder/.
 *
 * Runs scenarios between two processes, C (this one, the client) and S (a
 * forked context manager), with the binder trace events on, and prints
 * each scenario's trace as comment lines
 *
 *   # trace <scenario> pids C=<pid> S=<pid>
 *   # trace <scenario> <line of tracefs's trace file>
 *
 * which tests/trace/compare.py normalises (pids, debug ids, addresses) and
 * compares between the C driver (the oracle) and rust_binder. The two
 * processes take turns (a token passed through pipes): only the one
 * holding the token makes binder calls, and every read is non-blocking but
 * the one waiting for a death, so the sequence of events is the same on
 * every run. Then it checks the debugfs files: all of them readable with
 * the C driver's headers, proc/<pid> made by a process's first open and
 * removed with that open (as binder_open/binder_release do).
 *
 * Usage: binder_trace_test [-s scenario] (default: all)
 */
#include "binder_test_lib.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>

static char tracing[128];
static int tok_to_s[2], tok_to_c[2];

enum { C = 0, S = 1 };

struct ctx {
	int me;
	bool have;		/* holds the token */
	struct bt_proc p;
	binder_uintptr_t buf;	/* last buffer received */
	uint32_t handle;	/* last handle received */
	bool ok;		/* every step went as expected */
};

static int write_file(const char *name, const char *s)
{
	char path[256];
	int fd, n;

	snprintf(path, sizeof(path), "%s/%s", tracing, name);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n < 0 ? -errno : 0;
}

static int find_tracing(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char p[192];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/events/binder/enable", dirs[i]);
		if (access(p, W_OK) == 0) {
			snprintf(tracing, sizeof(tracing), "%s", dirs[i]);
			return 0;
		}
	}
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL) == 0) {
		snprintf(tracing, sizeof(tracing), "%s", dirs[0]);
		return 0;
	}
	return -ENOENT;
}

/* Makes sure `who` holds the token; returns whether that is us. */
static bool turn(struct ctx *c, int who)
{
	char b = 't';

	if (who == c->me) {
		if (!c->have) {
			if (read(c->me == C ? tok_to_c[0] : tok_to_s[0], &b, 1) != 1)
				_exit(3);
			c->have = true;
		}
		return true;
	}
	if (c->have) {
		if (write(c->me == C ? tok_to_s[1] : tok_to_c[1], &b, 1) != 1)
			_exit(3);
		c->have = false;
	}
	return false;
}

static void expect(struct ctx *c, bool cond, const char *what)
{
	if (!cond) {
		printf("# %s: %s failed\n", c->me == C ? "C" : "S", what);
		c->ok = false;
	}
}

/* One non-blocking read; the index of the first `cmd` in r, or -1. */
static int rd(struct ctx *c, struct bt_rets *r, uint32_t cmd)
{
	int i, ret;

	bt_rets_init(r);
	ret = bt_read(c->p.fd, r, 0);
	if (ret && ret != -EAGAIN)
		expect(c, false, "read");
	i = cmd ? bt_find(r, cmd, 0) : -1;
	if (i >= 0 && (cmd == BR_TRANSACTION || cmd == BR_REPLY))
		c->buf = r->r[i].tr.data.ptr.buffer;
	return i;
}

/* Reads until the driver has nothing (EAGAIN), acking refcount requests. */
static void drain(struct ctx *c)
{
	struct bt_rets r;
	struct bt_cmds cmds;
	int i, ret, n;

	for (n = 0; n < 8; n++) {
		bt_rets_init(&r);
		ret = bt_read(c->p.fd, &r, 0);
		if (ret == -EAGAIN)
			return;
		if (ret) {
			expect(c, false, "drain");
			return;
		}
		bt_cmds_init(&cmds);
		for (i = 0; i < r.n; i++) {
			if (r.r[i].cmd == BR_INCREFS)
				bt_cmd_ptr_cookie(&cmds, BC_INCREFS_DONE, r.r[i].pc.ptr,
						  r.r[i].pc.cookie);
			if (r.r[i].cmd == BR_ACQUIRE)
				bt_cmd_ptr_cookie(&cmds, BC_ACQUIRE_DONE, r.r[i].pc.ptr,
						  r.r[i].pc.cookie);
		}
		if (cmds.len)
			expect(c, bt_send(c->p.fd, &cmds) == 0, "ack refs");
	}
}

static void call(struct ctx *c, uint32_t handle, uint32_t code, uint32_t flags, size_t size)
{
	static uint8_t data[16384] __attribute__((aligned(8)));
	struct binder_transaction_data tr;
	struct bt_cmds cmds;

	memset(data, 0x5a, size);
	bt_tr_raw(&tr, handle, code, flags, data, size, NULL, 0);
	bt_cmds_init(&cmds);
	bt_cmd_txn(&cmds, BC_TRANSACTION, &tr);
	expect(c, bt_send(c->p.fd, &cmds) == 0, "BC_TRANSACTION");
}

static void free_buf(struct ctx *c)
{
	expect(c, bt_free_buffer(c->p.fd, c->buf) == 0, "BC_FREE_BUFFER");
}

/* ---- scenarios (run by both processes, each doing its own steps) ---- */

/* A call and its reply, both buffers freed. */
static void sc_sync(struct ctx *c)
{
	struct bt_rets r;

	if (turn(c, C))
		call(c, 0, 0x11, 0, 24);
	if (turn(c, S))
		expect(c, rd(c, &r, BR_TRANSACTION) >= 0, "BR_TRANSACTION");
	if (turn(c, S)) {
		struct bt_parcel p;

		bt_parcel_init(&p);
		bt_p_u32(&p, 42);
		expect(c, bt_free_and_reply(c->p.fd, c->buf, &p, 0) == 0, "reply");
	}
	if (turn(c, C))
		expect(c, rd(c, &r, BR_REPLY) >= 0, "BR_REPLY");
	if (turn(c, S))
		expect(c, rd(c, &r, BR_TRANSACTION_COMPLETE) >= 0, "complete");
	if (turn(c, C))
		free_buf(c);
}

/* A one-way transaction. */
static void sc_oneway(struct ctx *c)
{
	struct bt_rets r;

	if (turn(c, C)) {
		call(c, 0, 0x22, TF_ONE_WAY, 40);
		expect(c, rd(c, &r, BR_TRANSACTION_COMPLETE) >= 0, "complete");
	}
	if (turn(c, S)) {
		expect(c, rd(c, &r, BR_TRANSACTION) >= 0, "BR_TRANSACTION");
		free_buf(c);
	}
	if (turn(c, S))
		expect(c, rd(c, &r, 0) < 0, "nothing left");
}

/*
 * Failed transactions: to a handle that doesn't exist (fails before a
 * buffer), and carrying a bad handle (fails in translation, its buffer
 * released).
 */
static void sc_failed(struct ctx *c)
{
	struct bt_rets r;

	if (turn(c, C)) {
		call(c, 7, 0x33, 0, 8);
		expect(c, rd(c, &r, BR_FAILED_REPLY) >= 0, "BR_FAILED_REPLY (bad target)");
	}
	if (turn(c, C)) {
		struct binder_transaction_data tr;
		struct bt_parcel p;
		struct bt_cmds cmds;

		bt_parcel_init(&p);
		bt_p_u32(&p, 1);
		bt_p_handle(&p, BINDER_TYPE_HANDLE, 99);
		bt_tr(&tr, 0, 0x34, 0, &p);
		bt_cmds_init(&cmds);
		bt_cmd_txn(&cmds, BC_TRANSACTION, &tr);
		expect(c, bt_send(c->p.fd, &cmds) == 0, "BC_TRANSACTION");
		expect(c, rd(c, &r, BR_FAILED_REPLY) >= 0, "BR_FAILED_REPLY (bad object)");
	}
	if (turn(c, S))
		expect(c, rd(c, &r, 0) < 0, "nothing for S");
}

/*
 * Buffers over several pages carrying objects: a node of C (node to ref),
 * a file (fd send and receive), sent back in the reply (ref to node);
 * refcount requests answered; buffers freed, then a second, smaller
 * call reusing the pages.
 */
static void sc_objects(struct ctx *c)
{
	static uint8_t data[3 * 4096 + 200] __attribute__((aligned(8)));
	struct bt_rets r;

	if (turn(c, C)) {
		struct flat_binder_object *fb = (void *)data;
		struct binder_fd_object *fo = (void *)(data + sizeof(*fb));
		binder_size_t offs[2] = { 0, sizeof(*fb) };
		struct binder_transaction_data tr;
		struct bt_cmds cmds;

		memset(data, 0x11, sizeof(data));
		memset(fb, 0, sizeof(*fb));
		fb->hdr.type = BINDER_TYPE_BINDER;
		fb->binder = 0x1000;
		fb->cookie = 0x2000;
		memset(fo, 0, sizeof(*fo));
		fo->hdr.type = BINDER_TYPE_FD;
		fo->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		bt_tr_raw(&tr, 0, 0x44, TF_ACCEPT_FDS, data, sizeof(data), offs, sizeof(offs));
		bt_cmds_init(&cmds);
		bt_cmd_txn(&cmds, BC_TRANSACTION, &tr);
		expect(c, bt_send(c->p.fd, &cmds) == 0, "BC_TRANSACTION");
		close(fo->fd);
	}
	if (turn(c, S)) {
		int i = rd(c, &r, BR_TRANSACTION);

		expect(c, i >= 0, "BR_TRANSACTION");
		if (i >= 0) {
			const struct flat_binder_object *fb = (const void *)(uintptr_t)c->buf;
			const struct binder_fd_object *fo = (const void *)(fb + 1);

			c->handle = fb->handle;
			expect(c, fb->hdr.type == BINDER_TYPE_HANDLE, "handle received");
			close(fo->fd);
		}
	}
	if (turn(c, S)) {
		struct binder_transaction_data tr;
		struct bt_parcel p;
		struct bt_cmds cmds;

		bt_parcel_init(&p);
		bt_p_handle(&p, BINDER_TYPE_HANDLE, c->handle);
		bt_tr(&tr, 0, 0, 0, &p);
		bt_cmds_init(&cmds);
		bt_cmd_txn(&cmds, BC_REPLY, &tr);
		bt_cmd_u64(&cmds, BC_FREE_BUFFER, c->buf);
		expect(c, bt_send(c->p.fd, &cmds) == 0, "reply + free");
	}
	if (turn(c, C))
		expect(c, rd(c, &r, BR_REPLY) >= 0, "BR_REPLY");
	if (turn(c, C)) {
		free_buf(c);
		drain(c);
	}
	if (turn(c, S))
		drain(c);
	if (turn(c, C))
		call(c, 0, 0x45, 0, 5000);
	if (turn(c, S)) {
		expect(c, rd(c, &r, BR_TRANSACTION) >= 0, "BR_TRANSACTION 2");
		expect(c, bt_free_and_reply(c->p.fd, c->buf, NULL, 0) == 0, "reply 2");
	}
	if (turn(c, C)) {
		expect(c, rd(c, &r, BR_REPLY) >= 0, "BR_REPLY 2");
		free_buf(c);
	}
	if (turn(c, S))
		drain(c);
}

/* A death notification: C holds S's node, S goes away. */
static void sc_death(struct ctx *c)
{
	struct bt_rets r;

	if (turn(c, C)) {
		struct bt_cmds cmds;

		bt_cmds_init(&cmds);
		bt_cmd_u32(&cmds, BC_INCREFS, 0);
		bt_cmd_u32(&cmds, BC_ACQUIRE, 0);
		bt_cmd_handle_cookie(&cmds, BC_REQUEST_DEATH_NOTIFICATION, 0, 0x99);
		expect(c, bt_send(c->p.fd, &cmds) == 0, "acquire + request death");
	}
	if (turn(c, S))
		drain(c);
	if (turn(c, S))
		bt_close(&c->p);
	if (turn(c, C)) {
		bt_rets_init(&r);
		/* The only blocking read: S's release may still be running. */
		expect(c, bt_read_until(c->p.fd, &r, BR_DEAD_BINDER, 0, BT_TIMEOUT_MS) >= 0,
		       "BR_DEAD_BINDER");
	}
	if (turn(c, C)) {
		struct bt_cmds cmds;

		bt_cmds_init(&cmds);
		bt_cmd_u64(&cmds, BC_DEAD_BINDER_DONE, 0x99);
		bt_cmd_u32(&cmds, BC_RELEASE, 0);
		bt_cmd_u32(&cmds, BC_DECREFS, 0);
		expect(c, bt_send(c->p.fd, &cmds) == 0, "dead binder done + release");
		drain(c);
	}
}

/*
 * Pages a freed buffer left mapped are reclaimed by the shrinker (the
 * unmap events), then installed again by the next buffer.
 */
static void sc_reclaim(struct ctx *c)
{
	struct bt_rets r;
	int k;

	for (k = 0; k < 2; k++) {
		if (turn(c, C)) {
			call(c, 0, 0x55 + k, TF_ONE_WAY, k ? 100 : 3 * 4096 + 100);
			expect(c, rd(c, &r, BR_TRANSACTION_COMPLETE) >= 0, "complete");
		}
		if (turn(c, S)) {
			expect(c, rd(c, &r, BR_TRANSACTION) >= 0, "BR_TRANSACTION");
			free_buf(c);
		}
		if (turn(c, C) && k == 0) {
			int fd = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);

			expect(c, fd >= 0 && write(fd, "2", 1) == 1, "drop_caches");
			if (fd >= 0)
				close(fd);
		}
	}
}

static const struct {
	const char *name;
	void (*fn)(struct ctx *c);
} scenarios[] = {
	{ "sync", sc_sync },
	{ "oneway", sc_oneway },
	{ "failed", sc_failed },
	{ "objects", sc_objects },
	{ "death", sc_death },
	{ "reclaim", sc_reclaim },
};

static void print_trace(const char *name)
{
	char path[256], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/trace", tracing);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || !strstr(line, " binder_"))
			continue;
		printf("# trace %s %s", name, line);
		n++;
	}
	fclose(f);
	bt_tap(n > 0, "trace %s: %d events recorded", name, n);
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static void run_scenario(const struct bt_dev *d, int k)
{
	struct ctx c = { .me = C, .have = true, .ok = true };
	int st, ready[2];
	pid_t pid;
	char b;

	if (pipe(tok_to_s) || pipe(tok_to_c) || pipe(ready)) {
		bt_tap(false, "%s: pipes", scenarios[k].name);
		return;
	}
	pid = fork();
	if (pid == 0) {
		c.me = S;
		c.have = false;
		/* Set up with tracing off, then wait for the first turn. */
		if (bt_open(d->path, BT_MAP_SIZE, &c.p) ||
		    bt_set_cm_ext(c.p.fd, 0, 0, FLAT_BINDER_FLAG_ACCEPTS_FDS) ||
		    bt_enter_looper(c.p.fd) || nonblock(c.p.fd))
			_exit(2);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		scenarios[k].fn(&c);
		/* Hand the token back, and stay until tracing is off. */
		turn(&c, C);
		if (read(tok_to_s[0], &b, 1) != 1)
			_exit(3);
		bt_close(&c.p);
		_exit(c.ok ? 0 : 1);
	}
	if (read(ready[0], &b, 1) != 1 || bt_open(d->path, BT_MAP_SIZE, &c.p) ||
	    nonblock(c.p.fd)) {
		bt_tap(false, "%s: set-up", scenarios[k].name);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return;
	}
	printf("# trace %s pids C=%d S=%d\n", scenarios[k].name, getpid(), pid);
	write_file("trace", "");
	write_file("tracing_on", "1");
	scenarios[k].fn(&c);
	turn(&c, C);
	write_file("tracing_on", "0");
	if (write(tok_to_s[1], "e", 1) != 1)
		c.ok = false;
	waitpid(pid, &st, 0);
	bt_close(&c.p);
	bt_tap(c.ok && WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: scenario ran as expected",
	       scenarios[k].name);
	print_trace(scenarios[k].name);
	close(tok_to_s[0]); close(tok_to_s[1]);
	close(tok_to_c[0]); close(tok_to_c[1]);
	close(ready[0]); close(ready[1]);
}

/* ---- debugfs ---- */

#define DBG "/sys/kernel/debug/binder"

/* The file's first line (empty if none); -errno if it can't be read. */
static int first_line(const char *path, char *out, size_t len)
{
	static char buf[1 << 16];
	ssize_t n, tot = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *nl;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + tot, sizeof(buf) - 1 - tot)) > 0)
		tot += n;
	close(fd);
	if (n < 0)
		return -errno;
	buf[tot] = 0;
	nl = strchr(buf, '\n');
	if (nl)
		*nl = 0;
	snprintf(out, len, "%.200s", buf);
	return 0;
}

static void check_debugfs(const struct bt_dev *d)
{
	static const struct { const char *name, *head; } files[] = {
		{ "state", "binder state:" },
		{ "stats", "binder stats:" },
		{ "transactions", "binder transactions:" },
		{ "transaction_log", NULL },
		{ "failed_transaction_log", NULL },
	};
	struct bt_proc a, b;
	char path[256], line[256];
	unsigned int i;
	struct stat sb;
	int ret;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), DBG "/%s", files[i].name);
		ret = first_line(path, line, sizeof(line));
		bt_tap(ret == 0 && (!files[i].head || !strcmp(line, files[i].head)),
		       "debugfs %s: readable, first line \"%s\"", files[i].name, line);
	}
	/* The transaction logs hold the scenarios' transactions. */
	ret = first_line(DBG "/transaction_log", line, sizeof(line));
	bt_tap(ret == 0 && strstr(line, " from ") && strstr(line, " context "),
	       "debugfs transaction_log: entries as C prints them");
	ret = first_line(DBG "/failed_transaction_log", line, sizeof(line));
	bt_tap(ret == 0 && strstr(line, " ret "), "debugfs failed_transaction_log: has the failures");

	/* proc/<pid>: made by the first open of a pid, gone with that open. */
	snprintf(path, sizeof(path), DBG "/proc/%d", getpid());
	bt_tap(stat(path, &sb) != 0, "debugfs proc/<pid>: none before an open");
	if (bt_open(d->path, BT_MAP_SIZE, &a)) {
		bt_tap(false, "debugfs: open");
		return;
	}
	bt_tap(stat(DBG "/proc", &sb) == 0 && S_ISDIR(sb.st_mode), "debugfs proc/ is a directory");
	ret = first_line(path, line, sizeof(line));
	bt_tap(ret == 0 && !strcmp(line, "binder proc state:"),
	       "debugfs proc/<pid>: made by the open, first line \"%s\"", line);
	if (bt_open(d->path, 0, &b)) {
		bt_tap(false, "debugfs: second open");
		bt_close(&a);
		return;
	}
	bt_tap(stat(path, &sb) == 0, "debugfs proc/<pid>: a second open of the pid keeps it");
	bt_close(&a);
	bt_tap(stat(path, &sb) != 0, "debugfs proc/<pid>: removed with the open that made it");
	bt_close(&b);
	bt_tap(stat(path, &sb) != 0, "debugfs proc/<pid>: still none after the last close");
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	struct bt_dev d;
	unsigned int k;
	int opt;

	while ((opt = getopt(argc, argv, "s:")) != -1)
		if (opt == 's')
			only = optarg;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/*
	 * C and S on one CPU: its ring buffer keeps their events in order
	 * (under TCG the clock is coarse, and events of two CPUs with one
	 * timestamp would be merged by CPU number).
	 */
	{
		cpu_set_t one;

		CPU_ZERO(&one);
		CPU_SET(0, &one);
		sched_setaffinity(0, sizeof(one), &one);
	}
	printf("TAP version 13\n");
	if (find_tracing() || bt_dev_create(&d)) {
		printf("1..0 # SKIP no tracefs or binder device\n");
		return 4;
	}
	write_file("tracing_on", "0");
	write_file("buffer_size_kb", "4096");
	/* One clock for every CPU: the merged trace is in the order of events. */
	write_file("trace_clock", "global");
	write_file("events/enable", "0");
	write_file("events/binder/enable", "1");
	for (k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++)
		if (!only || !strcmp(only, scenarios[k].name))
			run_scenario(&d, k);
	write_file("events/binder/enable", "0");
	if (!only)
		check_debugfs(&d);
	bt_dev_destroy(&d);
	printf("1..%d\n", bt_ntests);
	return bt_nfail ? 1 : 0;
}
