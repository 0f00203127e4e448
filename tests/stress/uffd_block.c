// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder stress: a user copy that blocks (userfaultfd) must not block
 * anyone else.
 *
 *   uffd_block [-S reader|sender|all] [-w MS]
 *
 * A page registered with userfaultfd (UFFDIO_REGISTER_MODE_MISSING) whose
 * fault is never resolved until the end makes the driver's copy to or from
 * it sleep for as long as we like. The C driver never copies to or from
 * user memory with a binder lock held, so while one thread of a process
 * sits in such a fault, everything else goes on. Scenarios:
 *
 *  reader  R (the context manager) has a one-way transaction queued; its
 *          thread's BINDER_WRITE_READ read buffer starts 4 bytes before
 *          the registered page: BR_NOOP fits, the BR_TRANSACTION written
 *          after it faults.
 *  sender  a client S's BC_TRANSACTION to R has its data in the
 *          registered page: the copy of the payload into R's buffer
 *          faults.
 *
 * Once the fault is seen on the userfaultfd, each of these runs in its own
 * process and must return within -w MS (default 5000):
 *   - another sender's one-way BC_TRANSACTION to R (the write returns),
 *   - another sender's sync BC_TRANSACTION to R (the write returns),
 *   - BINDER_FREEZE of R from another process (returns 0 or EAGAIN; then
 *     it is thawed),
 *   - reading binder_logs/state, binder_logs/stats,
 *     binder_logs/transactions and binder_logs/proc/<R> (returns).
 * Then the fault is resolved (UFFDIO_COPY): everything that was blocked
 * must finish, and after all processes exit the leak oracle must find
 * every active counter back at zero. A check that blocks is reported with
 * its kernel stack (/proc/PID/stack) taken while it is blocked.
 * TAP output.
 */
#include "binder_test_lib.h"
#include "leak_oracle.h"

#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <linux/userfaultfd.h>
#include <sys/eventfd.h>

static struct bt_dev dev;
static int wait_ms = 5000;

static void tap_skip(const char *what)
{
	bt_ntests++;
	printf("ok %d - %s # SKIP no stalled fault\n", bt_ntests, what);
}

/* ---- userfaultfd ------------------------------------------------------- */

struct uf {
	int fd;
	uint8_t *area;		/* 2 pages: page 0 normal, page 1 registered */
	long psz;
};

static int uf_setup(struct uf *u)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	u->psz = sysconf(_SC_PAGESIZE);
	u->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (u->fd < 0)
		return -errno;
	if (ioctl(u->fd, UFFDIO_API, &api))
		return -errno;
	u->area = mmap(NULL, 2 * u->psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (u->area == MAP_FAILED)
		return -errno;
	memset(u->area, 0, u->psz);	/* page 0 is present */
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)u->area + u->psz;
	reg.range.len = u->psz;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (ioctl(u->fd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* Wait for the page fault event on page 1; 0 or -ETIMEDOUT. */
static int uf_wait_fault(struct uf *u, int ms)
{
	long deadline = bt_now_ms() + ms;

	for (;;) {
		struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
		struct uffd_msg msg;
		int left = (int)(deadline - bt_now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		if (read(u->fd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event == UFFD_EVENT_PAGEFAULT)
			return 0;
	}
}

static int uf_resolve(struct uf *u)
{
	struct uffdio_copy cp;
	static uint8_t zero[65536] __attribute__((aligned(4096)));

	memset(&cp, 0, sizeof(cp));
	cp.dst = (uintptr_t)u->area + u->psz;
	cp.src = (uintptr_t)zero;
	cp.len = u->psz;
	if (ioctl(u->fd, UFFDIO_COPY, &cp) && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- the stalled side ---------------------------------------------------- */

enum { CMD_STALL = 1, CMD_RESOLVE, CMD_EXIT };
enum { EV_READY = 1, EV_FAULT, EV_NOFAULT, EV_RESOLVED, EV_DONE };

struct stall_arg {
	int fd;
	struct uf *u;
	uint32_t handle;
	int ret;
	size_t consumed;
};

static void *reader_thread(void *arg)
{
	struct stall_arg *a = arg;
	uint8_t *buf = a->u->area + a->u->psz - 4;
	size_t rc = 0;

	/* BR_NOOP goes to page 0, the next return word to page 1 (faults). */
	a->ret = bt_wr(a->fd, NULL, 0, NULL, buf, 256, &rc, 0);
	a->consumed = rc;
	return NULL;
}

static void *sender_thread(void *arg)
{
	struct stall_arg *a = arg;
	struct binder_transaction_data tr;
	struct bt_rets r;

	/* The payload is the registered page: the copy into R's buffer faults. */
	bt_tr_raw(&tr, a->handle, 5, TF_ONE_WAY, a->u->area + a->u->psz, 64, NULL, 0);
	bt_rets_init(&r);
	a->ret = bt_call_tr(a->fd, BC_TRANSACTION, &tr, 0, &r);
	return NULL;
}

/*
 * R: context manager. reader: its thread stalls reading. sender: it only
 * serves (answers sync calls, frees one-ways) from a thread.
 */
static volatile int r_stop;

static void *r_serve(void *arg)
{
	int fd = *(int *)arg;

	while (!r_stop) {
		struct bt_rets r;
		struct bt_cmds c;
		int i;

		bt_rets_init(&r);
		if (bt_read(fd, &r, 200))
			continue;
		bt_cmds_init(&c);
		for (i = 0; i < r.n; i++) {
			struct bt_ret *e = &r.r[i];

			if (e->cmd == BR_TRANSACTION) {
				if (!(e->tr.flags & TF_ONE_WAY)) {
					struct binder_transaction_data rt;

					bt_tr(&rt, 0, 0, 0, NULL);
					bt_cmd_txn(&c, BC_REPLY, &rt);
				}
				bt_cmd_u64(&c, BC_FREE_BUFFER, e->tr.data.ptr.buffer);
			} else if (e->cmd == BR_INCREFS || e->cmd == BR_ACQUIRE) {
				bt_cmd_ptr_cookie(&c, e->cmd == BR_INCREFS ? BC_INCREFS_DONE : BC_ACQUIRE_DONE,
						  e->pc.ptr, e->pc.cookie);
			}
		}
		if (c.len)
			bt_send(fd, &c);
	}
	return NULL;
}

static void r_main(struct bt_chan *ch, bool reader)
{
	struct bt_proc p;
	struct stall_arg a;
	struct uf u;
	pthread_t th, srv;
	uint64_t cmd;
	int ret;

	bt_chan_child(ch);
	BT_CHECK_EQ(bt_open(dev.path, BT_MAP_SIZE, &p), 0);
	BT_CHECK_EQ(bt_set_cm(p.fd), 0);
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	BT_CHECK_EQ(uf_setup(&u), 0);
	memset(&a, 0, sizeof(a));
	a.fd = p.fd;
	a.u = &u;
	if (!reader)
		BT_CHECK(pthread_create(&srv, NULL, r_serve, &p.fd) == 0);
	BT_CHECK_EQ(bt_tell_parent(ch, EV_READY), 0);
	for (;;) {
		ret = bt_hear_parent(ch, &cmd, 120000);
		if (ret)
			_exit(1);
		if (cmd == CMD_STALL && reader) {
			BT_CHECK(pthread_create(&th, NULL, reader_thread, &a) == 0);
			ret = uf_wait_fault(&u, 10000);
			bt_tell_parent(ch, ret ? EV_NOFAULT : EV_FAULT);
		} else if (cmd == CMD_RESOLVE) {
			if (reader) {
				uf_resolve(&u);
				pthread_join(th, NULL);
				/* The transaction it read: free its buffer. */
				if (a.ret == 0 && a.consumed > 4) {
					struct bt_rets r;
					int i;

					bt_rets_init(&r);
					bt_parse(u.area + u.psz - 4, a.consumed, &r);
					for (i = 0; i < r.n; i++)
						if (r.r[i].cmd == BR_TRANSACTION)
							bt_free_buffer(p.fd, r.r[i].tr.data.ptr.buffer);
				}
				/* Serve the rest until told to exit. */
				BT_CHECK(pthread_create(&srv, NULL, r_serve, &p.fd) == 0);
				reader = false;
			}
			bt_tell_parent(ch, EV_RESOLVED);
		} else if (cmd == CMD_EXIT) {
			r_stop = 1;
			pthread_join(srv, NULL);
			bt_close(&p);
			_exit(0);
		}
	}
}

/* S (sender scenario): a client whose one-way to R has its data in the registered page. */
static void s_main(struct bt_chan *ch)
{
	struct bt_proc p;
	struct stall_arg a;
	struct uf u;
	pthread_t th;
	uint64_t cmd;
	int ret;

	bt_chan_child(ch);
	BT_CHECK_EQ(bt_open(dev.path, BT_MAP_SIZE, &p), 0);
	BT_CHECK_EQ(uf_setup(&u), 0);
	memset(&a, 0, sizeof(a));
	a.fd = p.fd;
	a.u = &u;
	a.handle = 0;
	BT_CHECK_EQ(bt_tell_parent(ch, EV_READY), 0);
	for (;;) {
		ret = bt_hear_parent(ch, &cmd, 120000);
		if (ret)
			_exit(1);
		if (cmd == CMD_STALL) {
			BT_CHECK(pthread_create(&th, NULL, sender_thread, &a) == 0);
			ret = uf_wait_fault(&u, 10000);
			bt_tell_parent(ch, ret ? EV_NOFAULT : EV_FAULT);
		} else if (cmd == CMD_RESOLVE) {
			uf_resolve(&u);
			pthread_join(th, NULL);
			bt_tell_parent(ch, EV_RESOLVED);
		} else if (cmd == CMD_EXIT) {
			bt_close(&p);
			_exit(0);
		}
	}
}

/* ---- checks --------------------------------------------------------------- */

enum check_kind {
	CK_ONEWAY, CK_SYNC_WRITE, CK_FREEZE, CK_LOG_STATE, CK_LOG_STATS,
	CK_LOG_TRANSACTIONS, CK_LOG_PROC,
};

struct check {
	enum check_kind kind;
	const char *what;
	pid_t pid;
	int rfd;
	bool done;
	long ms;
	int ret;
	char stack[2048];
};

struct ck_result {
	long ms;
	int ret;
};

static pid_t r_pid;

static int run_check_body(enum check_kind k)
{
	char path[256];
	struct bt_proc p;
	int ret;

	switch (k) {
	case CK_ONEWAY:
	case CK_SYNC_WRITE: {
		struct binder_transaction_data tr;
		struct bt_parcel pc;
		struct bt_cmds c;

		ret = bt_open(dev.path, BT_MAP_SIZE, &p);
		if (ret)
			return ret;
		bt_parcel_init(&pc);
		bt_p_u32(&pc, 42);
		bt_tr(&tr, 0, 7, k == CK_ONEWAY ? TF_ONE_WAY : 0, &pc);
		bt_cmds_init(&c);
		bt_cmd_txn(&c, BC_TRANSACTION, &tr);
		return bt_send(p.fd, &c);	/* the write only */
	}
	case CK_FREEZE: {
		struct binder_freeze_info fz;

		ret = bt_open(dev.path, 0, &p);
		if (ret)
			return ret;
		memset(&fz, 0, sizeof(fz));
		fz.pid = r_pid;
		fz.enable = 1;
		fz.timeout_ms = 100;
		ret = bt_ioctl(p.fd, BINDER_FREEZE, &fz);
		fz.enable = 0;
		bt_ioctl(p.fd, BINDER_FREEZE, &fz);
		return ret == -EAGAIN ? 0 : ret;
	}
	case CK_LOG_STATE:
	case CK_LOG_STATS:
	case CK_LOG_TRANSACTIONS:
	case CK_LOG_PROC: {
		char *buf;

		if (k == CK_LOG_PROC)
			snprintf(path, sizeof(path), "%s/binder_logs/proc/%d", dev.mnt, r_pid);
		else
			snprintf(path, sizeof(path), "%s/binder_logs/%s", dev.mnt,
				 k == CK_LOG_STATE ? "state" : k == CK_LOG_STATS ? "stats" :
				 "transactions");
		buf = lo_slurp(path, NULL);
		if (!buf)
			return -errno;
		free(buf);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static void start_check(struct check *c)
{
	int p[2];

	BT_CHECK(pipe2(p, O_CLOEXEC) == 0);
	fflush(stdout);
	c->pid = fork();
	BT_CHECK(c->pid >= 0);
	if (c->pid == 0) {
		struct ck_result res;
		long t0 = bt_now_ms();

		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		res.ret = run_check_body(c->kind);
		res.ms = bt_now_ms() - t0;
		if (write(p[1], &res, sizeof(res)) != sizeof(res))
			_exit(2);
		_exit(0);
	}
	close(p[1]);
	c->rfd = p[0];
	c->done = false;
	c->stack[0] = '\0';
}

/* Collect results until deadline; returns how many are still pending. */
static int collect(struct check *cs, int n, long deadline)
{
	int pending, i;

	for (;;) {
		struct pollfd pfd[16];
		int map[16], np = 0, left;

		for (i = 0; i < n; i++)
			if (!cs[i].done) {
				pfd[np].fd = cs[i].rfd;
				pfd[np].events = POLLIN;
				map[np++] = i;
			}
		pending = np;
		if (!np)
			return 0;
		left = (int)(deadline - bt_now_ms());
		if (left <= 0)
			return pending;
		if (poll(pfd, np, left) <= 0)
			continue;
		for (i = 0; i < np; i++) {
			struct check *c = &cs[map[i]];
			struct ck_result res;

			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			if (read(c->rfd, &res, sizeof(res)) == sizeof(res)) {
				c->ms = res.ms;
				c->ret = res.ret;
			} else {
				c->ms = -1;
				c->ret = -EPIPE;
			}
			c->done = true;
		}
	}
}

static void grab_stack(struct check *c)
{
	char path[64], *buf, *p;
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/%d/stack", c->pid);
	buf = lo_slurp(path, NULL);
	if (!buf)
		return;
	for (p = strtok(buf, "\n"); p && len < sizeof(c->stack) - 100; p = strtok(NULL, "\n"))
		len += snprintf(c->stack + len, sizeof(c->stack) - len, "#     %s\n", p);
	free(buf);
}

/* Print the kernel stack of the thread of pid that sits in the userfaultfd fault. */
static void print_stalled_stack(pid_t pid)
{
	char path[320], *buf;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		char *p;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, de->d_name);
		buf = lo_slurp(path, NULL);
		if (buf && strstr(buf, "userfault")) {
			printf("#   the stalled thread (%d/%s):\n", pid, de->d_name);
			for (p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
				printf("#     %s\n", p);
		}
		free(buf);
	}
	closedir(d);
}

static void run_scenario(bool reader)
{
	const char *sc = reader ? "reader" : "sender";
	struct check cs[16];
	struct bt_chan rch, sch;
	struct lo_stats st;
	pid_t s_pid = 0;
	uint64_t ev = 0;
	int n = 0, i, ret, pending;
	long deadline;
	bool stalled;

	BT_CHECK(bt_chan_init(&rch) == 0);
	r_pid = bt_fork();
	BT_CHECK(r_pid >= 0);
	if (r_pid == 0)
		r_main(&rch, reader);
	bt_chan_parent(&rch);
	ret = bt_hear_child(&rch, &ev, 10000);
	if (ret || ev != EV_READY) {
		bt_tap(false, "%s: set-up of the stalled process (R): %s", sc, ret ? strerror(-ret) : "bad event");
		bt_kill(r_pid);
		return;
	}
	if (reader) {
		/* Queue a one-way for R before it reads. */
		struct bt_proc p;
		struct bt_parcel pc;
		struct bt_rets r;

		BT_CHECK_EQ(bt_open(dev.path, BT_MAP_SIZE, &p), 0);
		bt_parcel_init(&pc);
		bt_p_u32(&pc, 1);
		bt_rets_init(&r);
		ret = bt_call(p.fd, 0, 3, TF_ONE_WAY, &pc, &r);
		bt_close(&p);
		BT_CHECK(ret == (int)BR_TRANSACTION_COMPLETE);
		bt_tell_child(&rch, CMD_STALL);
		ret = bt_hear_child(&rch, &ev, 15000);
	} else {
		BT_CHECK(bt_chan_init(&sch) == 0);
		s_pid = bt_fork();
		BT_CHECK(s_pid >= 0);
		if (s_pid == 0)
			s_main(&sch);
		bt_chan_parent(&sch);
		ret = bt_hear_child(&sch, &ev, 10000);
		BT_CHECK(ret == 0 && ev == EV_READY);
		bt_tell_child(&sch, CMD_STALL);
		ret = bt_hear_child(&sch, &ev, 15000);
	}
	stalled = ret == 0 && ev == EV_FAULT;
	if (stalled)
		print_stalled_stack(reader ? r_pid : s_pid);
	bt_tap(stalled, "%s: %s stalls in a page fault on its userfaultfd page", sc,
	    reader ? "R's BINDER_WRITE_READ read (copying BR_TRANSACTION out)"
		   : "S's BC_TRANSACTION (copying its payload in)");

	cs[n++] = (struct check){ .kind = CK_ONEWAY, .what = "another sender's one-way BC_TRANSACTION to R returns" };
	cs[n++] = (struct check){ .kind = CK_SYNC_WRITE, .what = "another sender's sync BC_TRANSACTION write to R returns" };
	cs[n++] = (struct check){ .kind = CK_FREEZE, .what = "BINDER_FREEZE of R from another process returns" };
	cs[n++] = (struct check){ .kind = CK_LOG_STATE, .what = "reading binder_logs/state returns" };
	cs[n++] = (struct check){ .kind = CK_LOG_STATS, .what = "reading binder_logs/stats returns" };
	cs[n++] = (struct check){ .kind = CK_LOG_TRANSACTIONS, .what = "reading binder_logs/transactions returns" };
	cs[n++] = (struct check){ .kind = CK_LOG_PROC, .what = "reading binder_logs/proc/<R> returns" };
	if (stalled) {
		for (i = 0; i < n; i++)
			start_check(&cs[i]);
		deadline = bt_now_ms() + wait_ms;
		pending = collect(cs, n, deadline);
		/* Stacks of the blocked ones, taken while they are blocked. */
		for (i = 0; i < n; i++)
			if (!cs[i].done)
				grab_stack(&cs[i]);
		for (i = 0; i < n; i++) {
			if (cs[i].done)
				bt_tap(cs[i].ret == 0, "%s: %s (%ld ms%s%s)", sc, cs[i].what, cs[i].ms,
				    cs[i].ret ? ", " : "", cs[i].ret ? strerror(-cs[i].ret) : "");
			else {
				bt_tap(false, "%s: %s: BLOCKED (no return within %d ms)", sc, cs[i].what,
				    wait_ms);
				if (cs[i].stack[0])
					printf("#   its kernel stack while blocked:\n%s", cs[i].stack);
			}
		}
		(void)pending;
	} else {
		for (i = 0; i < n; i++) {
			char w[160];

			snprintf(w, sizeof(w), "%s: %s", sc, cs[i].what);
			tap_skip(w);
		}
	}

	/* Resolve the fault: everything must finish now. */
	if (reader)
		bt_tell_child(&rch, CMD_RESOLVE);
	else
		bt_tell_child(&sch, CMD_RESOLVE);
	ret = bt_hear_child(reader ? &rch : &sch, &ev, 20000);
	if (stalled) {
		int still;

		still = collect(cs, n, bt_now_ms() + 20000);
		bt_tap(ret == 0 && ev == EV_RESOLVED && still == 0,
		    "%s: after UFFDIO_COPY the stalled thread and every check finish%s", sc,
		    still ? " (some checks still blocked)" : ret ? " (the stalled thread did not)" : "");
		for (i = 0; i < n; i++) {
			bt_kill(cs[i].pid);
			close(cs[i].rfd);
		}
	} else {
		tap_skip(reader ? "reader: after UFFDIO_COPY everything finishes" :
			 "sender: after UFFDIO_COPY everything finishes");
	}
	if (!reader) {
		bt_tell_child(&sch, CMD_EXIT);
		if (bt_wait(s_pid, 10000) != 0)
			bt_kill(s_pid);
		bt_chan_close(&sch);
	}
	bt_tell_child(&rch, CMD_EXIT);
	if (bt_wait(r_pid, 10000) != 0)
		bt_kill(r_pid);
	bt_chan_close(&rch);
	ret = lo_wait_settled(dev.mnt, NULL, 20000, &st);
	bt_tap(ret == 0, "%s: leak oracle: all active counters back to zero%s%s", sc,
	    ret ? ": " : "", ret ? lo_fmt(&st) : "");
	if (ret)
		lo_dump(stdout, dev.mnt, "state", 60);
}

int main(int argc, char **argv)
{
	const char *sc = "all";
	int opt, ret;

	while ((opt = getopt(argc, argv, "S:w:")) != -1) {
		switch (opt) {
		case 'S': sc = optarg; break;
		case 'w': wait_ms = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: %s [-S reader|sender|all] [-w MS]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("1..%d\n", strcmp(sc, "all") ? 10 : 20);
	ret = bt_dev_create_opts(&dev, "stats=global");
	if (ret) {
		printf("Bail out! binderfs with stats=global: %s\n", strerror(-ret));
		return 1;
	}
	if (!strcmp(sc, "all") || !strcmp(sc, "reader"))
		run_scenario(true);
	if (!strcmp(sc, "all") || !strcmp(sc, "sender"))
		run_scenario(false);
	bt_dev_destroy(&dev);
	printf("# %d tests, %d failed\n", bt_ntests, bt_nfail);
	return bt_nfail ? 1 : 0;
}
