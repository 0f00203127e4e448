// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: helpers for the binder driver-interface kselftests.
 * See binder_test_lib.h.
 */
#include <stdarg.h>
#include "binder_test_lib.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>

/* ---- time, signals ----------------------------------------------- */

long bt_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void bt_msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

pid_t bt_gettid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

int bt_count_fds(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *dir;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/fd");
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			n++;
	closedir(dir);
	/* Our own listing fd is not counted. */
	return pid ? n : n - 1;
}

bool bt_fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

int bt_lowest_free_fd(void)
{
	int fd = 0;

	while (bt_fd_is_open(fd))
		fd++;
	return fd;
}

static void bt_sig_noop(int sig)
{
	(void)sig;
}

/* Per-thread POSIX timer that interrupts a blocking ioctl (SIGUSR2). */
static __thread int bt_timer_made;
static __thread timer_t bt_timer;

static void bt_atfork_child(void)
{
	/* Timers are not inherited by fork(). */
	bt_timer_made = 0;
}

__attribute__((constructor)) static void bt_lib_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bt_sig_noop;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: the ioctl returns EINTR */
	sigaction(SIGUSR2, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_atfork(NULL, NULL, bt_atfork_child);
}

static int bt_timer_arm(int ms)
{
	struct itimerspec its;

	if (!bt_timer_made) {
		struct sigevent sev;

		memset(&sev, 0, sizeof(sev));
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = SIGUSR2;
		sev._sigev_un._tid = bt_gettid();
		if (timer_create(CLOCK_MONOTONIC, &sev, &bt_timer))
			return -errno;
		bt_timer_made = 1;
	}
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000L;
	if (timer_settime(bt_timer, 0, &its, NULL))
		return -errno;
	return 0;
}

static void bt_timer_disarm(void)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (bt_timer_made)
		timer_settime(bt_timer, 0, &its, NULL);
}

/* ---- devices ------------------------------------------------------ */

int bt_dev_create(struct bt_dev *d)
{
	const char *env = getenv("BINDER_TEST_DEVICE");

	if (env && *env) {
		memset(d, 0, sizeof(*d));
		snprintf(d->path, sizeof(d->path), "%s", env);
		return 0;
	}
	return bt_dev_create_opts(d, NULL);
}

int bt_dev_add(struct bt_dev *d, const char *name, char *path, size_t len)
{
	struct binderfs_device dev;
	char ctl[sizeof(d->mnt) + 32];
	int fd, ret;

	if (!d->mnt[0])
		return -EOPNOTSUPP;
	snprintf(ctl, sizeof(ctl), "%s/binder-control", d->mnt);
	fd = open(ctl, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&dev, 0, sizeof(dev));
	snprintf(dev.name, sizeof(dev.name), "%s", name);
	ret = ioctl(fd, BINDER_CTL_ADD, &dev) < 0 ? -errno : 0;
	close(fd);
	if (!ret)
		snprintf(path, len, "%s/%s", d->mnt, name);
	return ret;
}

int bt_dev_create_opts(struct bt_dev *d, const char *opts)
{
	int ret;

	memset(d, 0, sizeof(*d));
	/* A private mount namespace: the instance goes away with the test. */
	if (unshare(CLONE_NEWNS) == 0)
		mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
	snprintf(d->mnt, sizeof(d->mnt), "/tmp/bt_binderfs_XXXXXX");
	if (!mkdtemp(d->mnt)) {
		ret = -errno;
		d->mnt[0] = '\0';
		return ret;
	}
	if (mount("binder", d->mnt, "binder", 0, opts)) {
		ret = -errno;
		rmdir(d->mnt);
		d->mnt[0] = '\0';
		return ret;
	}
	return bt_dev_add(d, "binder", d->path, sizeof(d->path));
}

void bt_dev_destroy(struct bt_dev *d)
{
	if (d->mnt[0]) {
		umount2(d->mnt, MNT_DETACH);
		rmdir(d->mnt);
		d->mnt[0] = '\0';
	}
}

/* ---- open, ioctls --------------------------------------------------- */

int bt_open(const char *path, size_t map_size, struct bt_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->fd = open(path, O_RDWR | O_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (map_size) {
		p->map = mmap(NULL, map_size, PROT_READ, MAP_PRIVATE, p->fd, 0);
		if (p->map == MAP_FAILED) {
			int ret = -errno;

			close(p->fd);
			p->fd = -1;
			p->map = NULL;
			return ret;
		}
		p->map_size = map_size;
	}
	return 0;
}

void bt_close(struct bt_proc *p)
{
	if (p->map)
		munmap(p->map, p->map_size);
	if (p->fd >= 0)
		close(p->fd);
	p->map = NULL;
	p->fd = -1;
}

int bt_open_cm(const char *path, size_t map_size, struct bt_proc *p)
{
	int ret = bt_open(path, map_size, p);

	if (ret)
		return ret;
	ret = bt_set_cm(p->fd);
	if (!ret)
		ret = bt_enter_looper(p->fd);
	if (ret)
		bt_close(p);
	return ret;
}

int bt_ioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int bt_version(int fd)
{
	struct binder_version v = { .protocol_version = -1 };
	int ret = bt_ioctl(fd, BINDER_VERSION, &v);

	return ret ? ret : v.protocol_version;
}

int bt_set_cm(int fd)
{
	int32_t zero = 0;

	return bt_ioctl(fd, BINDER_SET_CONTEXT_MGR, &zero);
}

int bt_set_cm_ext(int fd, uint64_t ptr, uint64_t cookie, uint32_t flags)
{
	struct flat_binder_object fbo;

	memset(&fbo, 0, sizeof(fbo));
	fbo.hdr.type = BINDER_TYPE_BINDER;
	fbo.flags = flags;
	fbo.binder = ptr;
	fbo.cookie = cookie;
	return bt_ioctl(fd, BINDER_SET_CONTEXT_MGR_EXT, &fbo);
}

int bt_set_max_threads(int fd, uint32_t n)
{
	return bt_ioctl(fd, BINDER_SET_MAX_THREADS, &n);
}

int bt_thread_exit(int fd)
{
	int32_t zero = 0;

	return bt_ioctl(fd, BINDER_THREAD_EXIT, &zero);
}

int bt_get_ee(int fd, struct binder_extended_error *ee)
{
	memset(ee, 0xa5, sizeof(*ee));
	return bt_ioctl(fd, BINDER_GET_EXTENDED_ERROR, ee);
}

int bt_set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

int bt_wr(int fd, const void *wbuf, size_t wsize, size_t *wcons,
	  void *rbuf, size_t rsize, size_t *rcons, int timeout_ms)
{
	struct binder_write_read bwr;
	int armed = 0, ret;

	memset(&bwr, 0, sizeof(bwr));
	bwr.write_size = wsize;
	bwr.write_buffer = (uintptr_t)wbuf;
	bwr.read_size = rsize;
	bwr.read_buffer = (uintptr_t)rbuf;
	if (rsize && timeout_ms > 0)
		armed = bt_timer_arm(timeout_ms) == 0;
	ret = ioctl(fd, BINDER_WRITE_READ, &bwr) < 0 ? -errno : 0;
	if (armed)
		bt_timer_disarm();
	if (wcons)
		*wcons = bwr.write_consumed;
	if (rcons)
		*rcons = bwr.read_consumed;
	return ret;
}

/* ---- commands ----------------------------------------------------- */

void bt_cmds_init(struct bt_cmds *c)
{
	c->len = 0;
}

void bt_cmd_raw(struct bt_cmds *c, const void *data, size_t len)
{
	if (c->len + len > sizeof(c->buf)) {
		fprintf(stderr, "# bt_cmds overflow\n");
		abort();
	}
	memcpy(c->buf + c->len, data, len);
	c->len += len;
}

void bt_cmd(struct bt_cmds *c, uint32_t cmd)
{
	bt_cmd_raw(c, &cmd, sizeof(cmd));
}

void bt_cmd_u32(struct bt_cmds *c, uint32_t cmd, uint32_t v)
{
	bt_cmd(c, cmd);
	bt_cmd_raw(c, &v, sizeof(v));
}

void bt_cmd_u64(struct bt_cmds *c, uint32_t cmd, uint64_t v)
{
	bt_cmd(c, cmd);
	bt_cmd_raw(c, &v, sizeof(v));
}

void bt_cmd_ptr_cookie(struct bt_cmds *c, uint32_t cmd, uint64_t ptr,
		       uint64_t cookie)
{
	struct binder_ptr_cookie pc = { .ptr = ptr, .cookie = cookie };

	bt_cmd(c, cmd);
	bt_cmd_raw(c, &pc, sizeof(pc));
}

void bt_cmd_handle_cookie(struct bt_cmds *c, uint32_t cmd, uint32_t handle,
			  uint64_t cookie)
{
	struct binder_handle_cookie hc = { .handle = handle, .cookie = cookie };

	bt_cmd(c, cmd);
	bt_cmd_raw(c, &hc, sizeof(hc));
}

void bt_cmd_txn(struct bt_cmds *c, uint32_t cmd,
		const struct binder_transaction_data *tr)
{
	bt_cmd(c, cmd);
	bt_cmd_raw(c, tr, sizeof(*tr));
}

void bt_cmd_txn_sg(struct bt_cmds *c, uint32_t cmd,
		   const struct binder_transaction_data *tr,
		   uint64_t buffers_size)
{
	struct binder_transaction_data_sg sg;

	memset(&sg, 0, sizeof(sg));
	sg.transaction_data = *tr;
	sg.buffers_size = buffers_size;
	bt_cmd(c, cmd);
	bt_cmd_raw(c, &sg, sizeof(sg));
}

int bt_send(int fd, const struct bt_cmds *c)
{
	size_t wc = 0;
	int ret = bt_wr(fd, c->buf, c->len, &wc, NULL, 0, NULL, 0);

	if (ret)
		return ret;
	return wc == c->len ? 0 : -EPROTO;
}

int bt_send_cmd(int fd, uint32_t cmd)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd(&c, cmd);
	return bt_send(fd, &c);
}

int bt_send_u32(int fd, uint32_t cmd, uint32_t v)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_u32(&c, cmd, v);
	return bt_send(fd, &c);
}

int bt_send_u64(int fd, uint32_t cmd, uint64_t v)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_u64(&c, cmd, v);
	return bt_send(fd, &c);
}

int bt_send_ptr_cookie(int fd, uint32_t cmd, uint64_t ptr, uint64_t cookie)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_ptr_cookie(&c, cmd, ptr, cookie);
	return bt_send(fd, &c);
}

int bt_send_handle_cookie(int fd, uint32_t cmd, uint32_t h, uint64_t cookie)
{
	struct bt_cmds c;

	bt_cmds_init(&c);
	bt_cmd_handle_cookie(&c, cmd, h, cookie);
	return bt_send(fd, &c);
}

int bt_free_buffer(int fd, binder_uintptr_t buf)
{
	return bt_send_u64(fd, BC_FREE_BUFFER, buf);
}

int bt_enter_looper(int fd)
{
	return bt_send_cmd(fd, BC_ENTER_LOOPER);
}

/* ---- parcels ------------------------------------------------------ */

void bt_parcel_init(struct bt_parcel *p)
{
	memset(p, 0, sizeof(*p));
}

void bt_p_bytes(struct bt_parcel *p, const void *b, size_t n)
{
	if (p->len + n > sizeof(p->data)) {
		fprintf(stderr, "# bt_parcel overflow\n");
		abort();
	}
	memcpy(p->data + p->len, b, n);
	p->len += n;
}

void bt_p_u32(struct bt_parcel *p, uint32_t v)
{
	bt_p_bytes(p, &v, sizeof(v));
}

void bt_p_u64(struct bt_parcel *p, uint64_t v)
{
	bt_p_bytes(p, &v, sizeof(v));
}

void bt_p_obj(struct bt_parcel *p, const void *obj, size_t size)
{
	if (p->noffs >= sizeof(p->offs) / sizeof(p->offs[0])) {
		fprintf(stderr, "# bt_parcel offsets overflow\n");
		abort();
	}
	p->offs[p->noffs++] = p->len;
	bt_p_bytes(p, obj, size);
}

void bt_p_binder(struct bt_parcel *p, uint32_t type, uint64_t ptr,
		 uint64_t cookie, uint32_t flags)
{
	struct flat_binder_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = type;
	o.flags = flags;
	o.binder = ptr;
	o.cookie = cookie;
	bt_p_obj(p, &o, sizeof(o));
}

void bt_p_handle(struct bt_parcel *p, uint32_t type, uint32_t handle)
{
	struct flat_binder_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = type;
	o.handle = handle;
	bt_p_obj(p, &o, sizeof(o));
}

void bt_p_fd(struct bt_parcel *p, int fd)
{
	struct binder_fd_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_FD;
	o.fd = fd;
	bt_p_obj(p, &o, sizeof(o));
}

void bt_p_ptr(struct bt_parcel *p, const void *buf, uint64_t len,
	      uint32_t flags, uint64_t parent, uint64_t parent_off)
{
	struct binder_buffer_object o;

	memset(&o, 0, sizeof(o));
	o.hdr.type = BINDER_TYPE_PTR;
	o.flags = flags;
	o.buffer = (uintptr_t)buf;
	o.length = len;
	o.parent = parent;
	o.parent_offset = parent_off;
	bt_p_obj(p, &o, sizeof(o));
}

void bt_tr_raw(struct binder_transaction_data *tr, uint32_t handle,
	       uint32_t code, uint32_t flags, const void *data,
	       size_t data_size, const void *offs, size_t offs_size)
{
	memset(tr, 0, sizeof(*tr));
	tr->target.handle = handle;
	tr->code = code;
	tr->flags = flags;
	tr->data_size = data_size;
	tr->offsets_size = offs_size;
	tr->data.ptr.buffer = (uintptr_t)data;
	tr->data.ptr.offsets = (uintptr_t)offs;
}

void bt_tr(struct binder_transaction_data *tr, uint32_t handle,
	   uint32_t code, uint32_t flags, const struct bt_parcel *p)
{
	if (p)
		bt_tr_raw(tr, handle, code, flags, p->data, p->len, p->offs,
			  p->noffs * sizeof(binder_size_t));
	else
		bt_tr_raw(tr, handle, code, flags, NULL, 0, NULL, 0);
}

/* ---- return streams ----------------------------------------------- */

void bt_rets_init(struct bt_rets *r)
{
	r->n = 0;
	r->reads = 0;
	r->last_consumed = 0;
}

static const struct {
	uint32_t cmd;
	const char *name;
	int size;
} bt_brs[] = {
	/*
	 * BR_ERROR is declared with an int payload, but the C driver only
	 * ever writes the command word (binder_thread_read(),
	 * BINDER_WORK_RETURN_ERROR), so it is parsed without one.
	 */
	{ BR_ERROR, "ERROR", 0 },
	{ BR_OK, "OK", 0 },
	{ BR_TRANSACTION_SEC_CTX, "TRANSACTION_SEC_CTX",
	  sizeof(struct binder_transaction_data_secctx) },
	{ BR_TRANSACTION, "TRANSACTION", sizeof(struct binder_transaction_data) },
	{ BR_REPLY, "REPLY", sizeof(struct binder_transaction_data) },
	{ BR_ACQUIRE_RESULT, "ACQUIRE_RESULT", sizeof(int32_t) },
	{ BR_DEAD_REPLY, "DEAD_REPLY", 0 },
	{ BR_TRANSACTION_COMPLETE, "TRANSACTION_COMPLETE", 0 },
	{ BR_INCREFS, "INCREFS", sizeof(struct binder_ptr_cookie) },
	{ BR_ACQUIRE, "ACQUIRE", sizeof(struct binder_ptr_cookie) },
	{ BR_RELEASE, "RELEASE", sizeof(struct binder_ptr_cookie) },
	{ BR_DECREFS, "DECREFS", sizeof(struct binder_ptr_cookie) },
	{ BR_ATTEMPT_ACQUIRE, "ATTEMPT_ACQUIRE", sizeof(struct binder_pri_ptr_cookie) },
	{ BR_NOOP, "NOOP", 0 },
	{ BR_SPAWN_LOOPER, "SPAWN_LOOPER", 0 },
	{ BR_FINISHED, "FINISHED", 0 },
	{ BR_DEAD_BINDER, "DEAD_BINDER", sizeof(binder_uintptr_t) },
	{ BR_CLEAR_DEATH_NOTIFICATION_DONE, "CLEAR_DEATH_NOTIFICATION_DONE",
	  sizeof(binder_uintptr_t) },
	{ BR_FAILED_REPLY, "FAILED_REPLY", 0 },
	{ BR_FROZEN_REPLY, "FROZEN_REPLY", 0 },
	{ BR_ONEWAY_SPAM_SUSPECT, "ONEWAY_SPAM_SUSPECT", 0 },
	{ BR_TRANSACTION_PENDING_FROZEN, "TRANSACTION_PENDING_FROZEN", 0 },
	{ BR_FROZEN_BINDER, "FROZEN_BINDER", sizeof(struct binder_frozen_state_info) },
	{ BR_CLEAR_FREEZE_NOTIFICATION_DONE, "CLEAR_FREEZE_NOTIFICATION_DONE",
	  sizeof(binder_uintptr_t) },
};

int bt_br_size(uint32_t cmd)
{
	size_t i;

	for (i = 0; i < sizeof(bt_brs) / sizeof(bt_brs[0]); i++)
		if (bt_brs[i].cmd == cmd)
			return bt_brs[i].size;
	return -1;
}

const char *bt_br_name(uint32_t cmd)
{
	static __thread char buf[32];
	size_t i;

	for (i = 0; i < sizeof(bt_brs) / sizeof(bt_brs[0]); i++)
		if (bt_brs[i].cmd == cmd)
			return bt_brs[i].name;
	snprintf(buf, sizeof(buf), "?%08x", cmd);
	return buf;
}

int bt_parse(const void *buf, size_t len, struct bt_rets *r)
{
	const uint8_t *p = buf, *end = p + len;

	while (p < end) {
		struct bt_ret *e;
		uint32_t cmd;
		int size;

		if (end - p < 4)
			return -EPROTO;
		memcpy(&cmd, p, 4);
		p += 4;
		size = bt_br_size(cmd);
		if (size < 0) {
			fprintf(stderr, "# bt_parse: unknown return 0x%08x\n", cmd);
			return -EPROTO;
		}
		if (end - p < size)
			return -EPROTO;
		if (r->n >= BT_MAX_RETS)
			return -E2BIG;
		e = &r->r[r->n++];
		memset(e, 0, sizeof(*e));
		e->cmd = cmd;
		if (cmd == BR_TRANSACTION_SEC_CTX) {
			struct binder_transaction_data_secctx s;

			memcpy(&s, p, sizeof(s));
			e->tr = s.transaction_data;
			e->secctx = s.secctx;
		} else if (size) {
			memcpy(&e->tr, p, size);
		}
		p += size;
	}
	return 0;
}

int bt_read(int fd, struct bt_rets *r, int timeout_ms)
{
	uint64_t buf[BT_READ_SIZE / 8];
	size_t rc = 0;
	int ret;

	ret = bt_wr(fd, NULL, 0, NULL, buf, sizeof(buf), &rc, timeout_ms);
	if (ret)
		return ret;
	r->reads++;
	r->last_consumed = rc;
	if (rc > sizeof(buf))
		return -EPROTO;
	return bt_parse(buf, rc, r);
}

int bt_read_nb(int fd, struct bt_rets *r)
{
	int ret = bt_set_nonblock(fd, true);

	if (ret)
		return ret;
	ret = bt_read(fd, r, 0);
	bt_set_nonblock(fd, false);
	return ret;
}

int bt_idle(int fd, struct bt_rets *r)
{
	int i, j, ret;

	for (i = 0; i < 3; i++) {
		struct bt_rets tmp;
		bool only_noop = true;

		bt_rets_init(&tmp);
		ret = bt_read_nb(fd, &tmp);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
		for (j = 0; j < tmp.n; j++)
			if (tmp.r[j].cmd != BR_NOOP)
				only_noop = false;
		if (only_noop)
			continue;
		if (r) {
			for (j = 0; j < tmp.n && r->n < BT_MAX_RETS; j++)
				r->r[r->n++] = tmp.r[j];
			r->reads++;
		}
		return 1;
	}
	return 1;
}

static bool bt_in_set(uint32_t cmd, const uint32_t *set, int nset)
{
	int i;

	for (i = 0; i < nset; i++)
		if (set[i] == cmd)
			return true;
	return false;
}

static int bt_read_until_set(int fd, struct bt_rets *r, const uint32_t *set,
			     int nset, int flags, int timeout_ms)
{
	long deadline = timeout_ms > 0 ? bt_now_ms() + timeout_ms : 0;
	int i, ret;

	for (;;) {
		int start = r->n, found = -1, tmo = 0;

		if (deadline) {
			tmo = (int)(deadline - bt_now_ms());
			if (tmo <= 0)
				return -EINTR;
		}
		ret = bt_read(fd, r, tmo);
		if (ret)
			return ret;
		for (i = start; i < r->n; i++) {
			uint32_t cmd = r->r[i].cmd;

			if ((flags & BT_ACK_REFS) &&
			    (cmd == BR_INCREFS || cmd == BR_ACQUIRE)) {
				ret = bt_send_ptr_cookie(fd,
					cmd == BR_INCREFS ? BC_INCREFS_DONE :
							    BC_ACQUIRE_DONE,
					r->r[i].pc.ptr, r->r[i].pc.cookie);
				if (ret)
					return ret;
			}
			if (found < 0 && bt_in_set(cmd, set, nset))
				found = i;
		}
		if (found >= 0)
			return found;
	}
}

static const uint32_t bt_terminal[] = {
	BR_REPLY, BR_DEAD_REPLY, BR_FAILED_REPLY, BR_FROZEN_REPLY, BR_ERROR,
};

int bt_read_until(int fd, struct bt_rets *r, uint32_t cmd, int flags,
		  int timeout_ms)
{
	uint32_t set[8];
	int n = 0;
	size_t i;

	set[n++] = cmd;
	if (flags & BT_ANY_TERMINAL)
		for (i = 0; i < sizeof(bt_terminal) / sizeof(bt_terminal[0]); i++)
			set[n++] = bt_terminal[i];
	return bt_read_until_set(fd, r, set, n, flags, timeout_ms);
}

int bt_find(const struct bt_rets *r, uint32_t cmd, int from)
{
	int i;

	for (i = from < 0 ? 0 : from; i < r->n; i++)
		if (r->r[i].cmd == cmd)
			return i;
	return -1;
}

static const char *bt_seq_impl(const struct bt_rets *r, int from, bool all)
{
	static __thread char buf[2048];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = from < 0 ? 0 : from; i < r->n; i++) {
		const char *name;

		if (!all && r->r[i].cmd == BR_NOOP)
			continue;
		name = bt_br_name(r->r[i].cmd);
		if (len + strlen(name) + 2 >= sizeof(buf))
			break;
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s",
				len ? " " : "", name);
	}
	return buf;
}

const char *bt_seq(const struct bt_rets *r, int from)
{
	return bt_seq_impl(r, from, false);
}

const char *bt_seq_all(const struct bt_rets *r, int from)
{
	return bt_seq_impl(r, from, true);
}

/* ---- calls -------------------------------------------------------- */

int bt_call_tr(int fd, uint32_t cmd, const struct binder_transaction_data *tr,
	       uint64_t buffers_size, struct bt_rets *r)
{
	static const uint32_t sync_set[] = {
		BR_REPLY, BR_DEAD_REPLY, BR_FAILED_REPLY, BR_FROZEN_REPLY,
		BR_ERROR,
	};
	static const uint32_t async_set[] = {
		BR_TRANSACTION_COMPLETE, BR_ONEWAY_SPAM_SUSPECT,
		BR_TRANSACTION_PENDING_FROZEN, BR_DEAD_REPLY, BR_FAILED_REPLY,
		BR_FROZEN_REPLY, BR_ERROR,
	};
	struct bt_rets local;
	struct bt_cmds c;
	int ret, idx;

	if (!r) {
		r = &local;
		bt_rets_init(r);
	}
	bt_cmds_init(&c);
	if (cmd == BC_TRANSACTION_SG || cmd == BC_REPLY_SG)
		bt_cmd_txn_sg(&c, cmd, tr, buffers_size);
	else
		bt_cmd_txn(&c, cmd, tr);
	ret = bt_send(fd, &c);
	if (ret)
		return ret;
	if (tr->flags & TF_ONE_WAY)
		idx = bt_read_until_set(fd, r, async_set,
					sizeof(async_set) / sizeof(async_set[0]),
					0, BT_TIMEOUT_MS);
	else
		idx = bt_read_until_set(fd, r, sync_set,
					sizeof(sync_set) / sizeof(sync_set[0]),
					0, BT_TIMEOUT_MS);
	if (idx < 0)
		return idx;
	return (int)r->r[idx].cmd;
}

int bt_call(int fd, uint32_t handle, uint32_t code, uint32_t flags,
	    const struct bt_parcel *p, struct bt_rets *r)
{
	struct binder_transaction_data tr;

	bt_tr(&tr, handle, code, flags, p);
	return bt_call_tr(fd, BC_TRANSACTION, &tr, 0, r);
}

int bt_reply(int fd, const struct bt_parcel *p, uint32_t flags)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;

	bt_tr(&tr, 0, 0, flags, p);
	bt_cmds_init(&c);
	bt_cmd_txn(&c, BC_REPLY, &tr);
	return bt_send(fd, &c);
}

int bt_free_and_reply(int fd, binder_uintptr_t buf, const struct bt_parcel *p,
		      uint32_t flags)
{
	struct binder_transaction_data tr;
	struct bt_cmds c;

	bt_tr(&tr, 0, 0, flags, p);
	bt_cmds_init(&c);
	bt_cmd_u64(&c, BC_FREE_BUFFER, buf);
	bt_cmd_txn(&c, BC_REPLY, &tr);
	return bt_send(fd, &c);
}

struct binder_transaction_data *bt_last_tr(struct bt_rets *r)
{
	int i;

	for (i = r->n - 1; i >= 0; i--)
		if (r->r[i].cmd == BR_TRANSACTION || r->r[i].cmd == BR_REPLY ||
		    r->r[i].cmd == BR_TRANSACTION_SEC_CTX)
			return &r->r[i].tr;
	return NULL;
}

/* ---- processes and pipes ------------------------------------------ */

/* Seconds a forked helper lives at most (SIGALRM). */
unsigned int bt_child_alarm_s = 60;

pid_t bt_fork(void)
{
	pid_t parent = getpid();
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
		alarm(bt_child_alarm_s);
	}
	return pid;
}

int bt_wait(pid_t pid, int timeout_ms)
{
	long deadline = bt_now_ms() + timeout_ms;
	int status, sleep_ms = 1;
	pid_t ret;

	for (;;) {
		ret = waitpid(pid, &status, WNOHANG);
		if (ret == pid)
			break;
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (bt_now_ms() > deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		bt_msleep(sleep_ms);
		if (sleep_ms < 20)
			sleep_ms *= 2;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -EPROTO;
}

int bt_kill(pid_t pid)
{
	kill(pid, SIGKILL);
	return bt_wait(pid, BT_TIMEOUT_MS);
}

int bt_chan_init(struct bt_chan *c)
{
	if (pipe2(c->p2c, O_CLOEXEC))
		return -errno;
	if (pipe2(c->c2p, O_CLOEXEC)) {
		close(c->p2c[0]);
		close(c->p2c[1]);
		return -errno;
	}
	return 0;
}

static void bt_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void bt_chan_child(struct bt_chan *c)
{
	bt_close_fd(&c->p2c[1]);
	bt_close_fd(&c->c2p[0]);
}

void bt_chan_parent(struct bt_chan *c)
{
	bt_close_fd(&c->p2c[0]);
	bt_close_fd(&c->c2p[1]);
}

void bt_chan_close(struct bt_chan *c)
{
	bt_close_fd(&c->p2c[0]);
	bt_close_fd(&c->p2c[1]);
	bt_close_fd(&c->c2p[0]);
	bt_close_fd(&c->c2p[1]);
}

int bt_pipe_send(int fd, uint64_t v)
{
	ssize_t n;

	do {
		n = write(fd, &v, sizeof(v));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(v) ? 0 : -EIO;
}

int bt_pipe_recv(int fd, uint64_t *v, int timeout_ms)
{
	long deadline = bt_now_ms() + timeout_ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t tmp;
	ssize_t n;
	int ret;

	for (;;) {
		int left = (int)(deadline - bt_now_ms());

		if (left < 0)
			return -ETIMEDOUT;
		ret = poll(&pfd, 1, left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0)
			return -errno;
		if (ret == 0)
			return -ETIMEDOUT;
		break;
	}
	do {
		n = read(fd, &tmp, sizeof(tmp));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EPIPE;
	if (n != sizeof(tmp))
		return -EIO;
	if (v)
		*v = tmp;
	return 0;
}

int bt_tell_child(struct bt_chan *c, uint64_t v)
{
	return bt_pipe_send(c->p2c[1], v);
}

int bt_hear_child(struct bt_chan *c, uint64_t *v, int timeout_ms)
{
	return bt_pipe_recv(c->c2p[0], v, timeout_ms);
}

int bt_tell_parent(struct bt_chan *c, uint64_t v)
{
	return bt_pipe_send(c->c2p[1], v);
}

int bt_hear_parent(struct bt_chan *c, uint64_t *v, int timeout_ms)
{
	return bt_pipe_recv(c->p2c[0], v, timeout_ms);
}

int bt_wait_sleeping(pid_t tid, int timeout_ms)
{
	long deadline = bt_now_ms() + timeout_ms;
	char path[64], buf[512];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	for (;;) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		ssize_t n;
		char *p;

		if (fd < 0)
			return -errno;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			return -EIO;
		buf[n] = '\0';
		p = strrchr(buf, ')');
		if (p && p[1] == ' ' && p[2] == 'S') {
			bt_msleep(20);
			return 0;
		}
		if (bt_now_ms() > deadline)
			return -ETIMEDOUT;
		bt_msleep(2);
	}
}

/* ---- report server ------------------------------------------------ */

/* Write all of c; if a pending return error stops the write, read it first. */
static int bt_srv_write(int fd, const struct bt_cmds *c, struct bt_rets *sink)
{
	size_t off = 0;
	int tries = 0;

	while (off < c->len) {
		size_t wc = 0;
		int ret = bt_wr(fd, c->buf + off, c->len - off, &wc, NULL, 0,
				NULL, 0);

		if (ret)
			return ret;
		off += wc;
		if (off < c->len) {
			if (++tries > 8)
				return -EPROTO;
			ret = bt_read(fd, sink, BT_TIMEOUT_MS);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void bt_report_server(const char *path, const struct bt_server_opts *o,
		      struct bt_chan *ch)
{
	struct bt_server_opts def;
	binder_uintptr_t held[256];
	int nheld = 0, count = 0;
	struct bt_parcel last_oneway;
	struct bt_proc p;

	if (!o) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	BT_CHECK_EQ(bt_open(path, o->map_size ? o->map_size : BT_MAP_SIZE,
			    &p), 0);
	if (!o->no_cm) {
		if (o->ptr || o->cookie || o->cm_flags)
			BT_CHECK_EQ(bt_set_cm_ext(p.fd, o->ptr, o->cookie,
						  o->cm_flags), 0);
		else
			BT_CHECK_EQ(bt_set_cm(p.fd), 0);
	}
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	bt_parcel_init(&last_oneway);
	if (ch) {
		BT_CHECK_EQ(bt_tell_parent(ch, getpid()), 0);
		bt_chan_close(ch);
	}

	for (;;) {
		static const uint32_t set[] = { BR_TRANSACTION,
						BR_TRANSACTION_SEC_CTX };
		struct binder_transaction_data *tr;
		struct bt_parcel reply;
		struct bt_report rep;
		struct bt_rets r;
		struct bt_cmds c;
		bool oneway, exit_after = false, keep = false, do_reply = true;
		uint32_t reply_flags = 0;
		int idx;

		bt_rets_init(&r);
		idx = bt_read_until_set(p.fd, &r, set, 2, BT_ACK_REFS, 0);
		BT_CHECK(idx >= 0);
		tr = &r.r[idx].tr;
		oneway = tr->flags & TF_ONE_WAY;
		count++;

		memset(&rep, 0, sizeof(rep));
		rep.cmd = r.r[idx].cmd;
		rep.code = tr->code;
		rep.flags = tr->flags;
		rep.sender_pid = tr->sender_pid;
		rep.sender_euid = tr->sender_euid;
		rep.txn_count = count;
		rep.target_ptr = tr->target.ptr;
		rep.cookie = tr->cookie;
		rep.data_size = tr->data_size;
		rep.offsets_size = tr->offsets_size;
		rep.offsets_delta = tr->data.ptr.offsets - tr->data.ptr.buffer;
		rep.buffer_in_map =
			tr->data.ptr.buffer >= (uintptr_t)p.map &&
			tr->data.ptr.buffer + tr->data_size <=
				(uintptr_t)p.map + p.map_size;

		bt_cmds_init(&c);
		switch (tr->code) {
		case BT_CODE_EXIT:
			exit_after = true;
			break;
		case BT_CODE_HOLD:
			keep = true;
			break;
		case BT_CODE_FREE_HELD:
			if (nheld) {
				bt_cmd_u64(&c, BC_FREE_BUFFER, held[0]);
				memmove(held, held + 1,
					--nheld * sizeof(held[0]));
			}
			break;
		case BT_CODE_NO_REPLY:
			do_reply = false;
			keep = true;
			break;
		case BT_CODE_ACQUIRE_HANDLES: {
			binder_size_t *offs = bt_offs(tr);
			size_t i;

			for (i = 0; i < tr->offsets_size / 8; i++) {
				struct flat_binder_object *fp = (void *)
					((uint8_t *)bt_data(tr) + offs[i]);

				if (fp->hdr.type == BINDER_TYPE_HANDLE)
					bt_cmd_u32(&c, BC_ACQUIRE, fp->handle);
				else if (fp->hdr.type ==
					 BINDER_TYPE_WEAK_HANDLE)
					bt_cmd_u32(&c, BC_INCREFS, fp->handle);
			}
			break;
		}
		default:
			break;
		}
		if (keep && nheld < 256)
			held[nheld++] = tr->data.ptr.buffer;
		rep.held = nheld;

		bt_parcel_init(&reply);
		if (tr->code == BT_CODE_STATUS) {
			uint32_t v = 0;

			if (tr->data_size >= 4)
				memcpy(&v, bt_data(tr), 4);
			bt_p_u32(&reply, v);
			reply_flags = TF_STATUS_CODE;
		} else if (tr->code == BT_CODE_GET_LAST_ONEWAY) {
			reply = last_oneway;
		} else if (tr->code == BT_CODE_ECHO_OBJS) {
			size_t n = tr->data_size, i;

			if (n > sizeof(reply.data))
				n = sizeof(reply.data);
			memcpy(reply.data, bt_data(tr), n);
			reply.len = n;
			for (i = 0; i < tr->offsets_size / 8 && i < 64; i++)
				reply.offs[reply.noffs++] = bt_offs(tr)[i];
		} else {
			size_t n = tr->data_size;

			if (n > sizeof(reply.data) - sizeof(rep))
				n = sizeof(reply.data) - sizeof(rep);
			rep.data_copied = n;
			bt_p_bytes(&reply, &rep, sizeof(rep));
			bt_p_bytes(&reply, bt_data(tr), n);
		}
		if (oneway)
			last_oneway = reply;
		if (!oneway && do_reply) {
			struct binder_transaction_data rtr;

			bt_tr(&rtr, 0, 0, reply_flags, &reply);
			bt_cmd_txn(&c, BC_REPLY, &rtr);
		}
		/* Free after the reply (its objects may refer to this buffer's refs). */
		if (!keep)
			bt_cmd_u64(&c, BC_FREE_BUFFER, tr->data.ptr.buffer);
		if (c.len)
			BT_CHECK_EQ(bt_srv_write(p.fd, &c, &r), 0);
		if (exit_after || (o->max_txns && count >= o->max_txns))
			break;
	}
	bt_close(&p);
	_exit(0);
}

pid_t bt_start_server(const char *path, const struct bt_server_opts *o)
{
	struct bt_chan ch;
	uint64_t v = 0;
	pid_t pid;
	int ret;

	ret = bt_chan_init(&ch);
	if (ret)
		return ret;
	pid = bt_fork();
	if (pid < 0) {
		ret = -errno;
		bt_chan_close(&ch);
		return ret;
	}
	if (pid == 0) {
		bt_chan_child(&ch);
		bt_report_server(path, o, &ch);
	}
	bt_chan_parent(&ch);
	ret = bt_hear_child(&ch, &v, BT_TIMEOUT_MS);
	bt_chan_close(&ch);
	if (ret || v != (uint64_t)pid) {
		bt_kill(pid);
		return ret ? ret : -EPROTO;
	}
	return pid;
}

int bt_call_report(int fd, uint32_t handle, uint32_t code, uint32_t flags,
		   const struct bt_parcel *p, struct bt_report *rep,
		   void *data, size_t data_len, struct bt_rets *r)
{
	struct binder_transaction_data *tr;
	struct bt_rets local;
	int ret;

	if (!r) {
		r = &local;
		bt_rets_init(r);
	}
	if (rep)
		memset(rep, 0, sizeof(*rep));
	ret = bt_call(fd, handle, code, flags, p, r);
	if (ret != (int)BR_REPLY)
		return ret;
	tr = bt_last_tr(r);
	if (rep && tr->data_size >= sizeof(*rep))
		memcpy(rep, bt_data(tr), sizeof(*rep));
	if (data && tr->data_size > sizeof(*rep)) {
		size_t n = tr->data_size - sizeof(*rep);

		memcpy(data, (uint8_t *)bt_data(tr) + sizeof(*rep),
		       n < data_len ? n : data_len);
	}
	bt_free_buffer(fd, tr->data.ptr.buffer);
	return ret;
}

int bt_stop_server(int fd, pid_t pid)
{
	int ret = bt_call_report(fd, 0, BT_CODE_EXIT, 0, NULL, NULL, NULL, 0,
				 NULL);

	if (ret != (int)BR_REPLY) {
		bt_kill(pid);
		return -EPROTO;
	}
	return bt_wait(pid, BT_TIMEOUT_MS);
}

int bt_ack_refs(int fd, const struct bt_rets *r, int from)
{
	int i, ret;

	for (i = from < 0 ? 0 : from; i < r->n; i++) {
		uint32_t cmd = r->r[i].cmd;

		if (cmd != BR_INCREFS && cmd != BR_ACQUIRE)
			continue;
		ret = bt_send_ptr_cookie(fd, cmd == BR_INCREFS ? BC_INCREFS_DONE
							       : BC_ACQUIRE_DONE,
					 r->r[i].pc.ptr, r->r[i].pc.cookie);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- scripted service ---------------------------------------------- */

static uint64_t bt_obj_answer(const struct binder_transaction_data *tr)
{
	const struct flat_binder_object *fp;
	uint64_t kind;

	if (tr->offsets_size < 8)
		return 0;
	fp = (const void *)((const uint8_t *)bt_data(tr) + bt_offs(tr)[0]);
	switch (fp->hdr.type) {
	case BINDER_TYPE_HANDLE:
		kind = BT_OBJ_HANDLE;
		break;
	case BINDER_TYPE_WEAK_HANDLE:
		kind = BT_OBJ_WEAK_HANDLE;
		break;
	case BINDER_TYPE_BINDER:
		kind = BT_OBJ_BINDER;
		break;
	case BINDER_TYPE_WEAK_BINDER:
		kind = BT_OBJ_WEAK_BINDER;
		break;
	default:
		kind = BT_OBJ_OTHER;
		break;
	}
	return kind << 32 | (uint32_t)fp->handle;
}

static void bt_script_main(const char *path, const struct bt_script_opts *o,
			   struct bt_chan *ch)
{
	binder_uintptr_t held[256];
	int nheld = 0;
	struct bt_proc p;

	bt_chan_child(ch);
	BT_CHECK_EQ(bt_open(path, o->map_size ? o->map_size : BT_MAP_SIZE,
			    &p), 0);
	if (o->cm && o->cm_flags)
		BT_CHECK_EQ(bt_set_cm_ext(p.fd, 0, 0, o->cm_flags), 0);
	else if (o->cm)
		BT_CHECK_EQ(bt_set_cm(p.fd), 0);
	BT_CHECK_EQ(bt_enter_looper(p.fd), 0);
	BT_CHECK_EQ(bt_tell_parent(ch, 0), 0);
	for (;;) {
		struct bt_rets r;
		struct bt_cmds c;
		uint64_t req, ans = 0;
		uint32_t op, arg;
		int idx, ret;

		ret = bt_hear_parent(ch, &req, 60000);
		if (ret == -EPIPE)
			_exit(0);
		BT_CHECK_EQ(ret, 0);
		op = req >> 32;
		arg = (uint32_t)req;
		bt_rets_init(&r);
		bt_cmds_init(&c);
		switch (op) {
		case BT_SC_READ:
			idx = bt_read_until(p.fd, &r, BR_TRANSACTION, 0,
					    BT_TIMEOUT_MS);
			BT_CHECK(idx >= 0);
			BT_CHECK(nheld < 256);
			held[nheld++] = r.r[idx].tr.data.ptr.buffer;
			ans = bt_obj_answer(&r.r[idx].tr);
			break;
		case BT_SC_REPLY:
		case BT_SC_REPLY_HANDLE: {
			struct binder_transaction_data tr;
			struct bt_parcel pc;

			bt_parcel_init(&pc);
			if (op == BT_SC_REPLY_HANDLE)
				bt_p_handle(&pc, BINDER_TYPE_HANDLE, arg);
			bt_tr(&tr, 0, 0, 0, &pc);
			bt_cmd_txn(&c, BC_REPLY, &tr);
			break;
		}
		case BT_SC_FREE:
			BT_CHECK(nheld > 0);
			bt_cmd_u64(&c, BC_FREE_BUFFER, held[0]);
			memmove(held, held + 1, --nheld * sizeof(held[0]));
			break;
		case BT_SC_ACQUIRE:
			bt_cmd_u32(&c, BC_ACQUIRE, arg);
			break;
		case BT_SC_RELEASE:
			bt_cmd_u32(&c, BC_RELEASE, arg);
			break;
		case BT_SC_INCREFS:
			bt_cmd_u32(&c, BC_INCREFS, arg);
			break;
		case BT_SC_DECREFS:
			bt_cmd_u32(&c, BC_DECREFS, arg);
			break;
		case BT_SC_CALL_ONEWAY:
		case BT_SC_CALL_SYNC: {
			struct binder_transaction_data *tr;

			ret = bt_call(p.fd, arg, 1,
				      op == BT_SC_CALL_ONEWAY ? TF_ONE_WAY : 0,
				      NULL, &r);
			BT_CHECK(!BT_IS_ERR(ret));
			tr = bt_last_tr(&r);
			if (ret == (int)BR_REPLY && tr)
				bt_free_buffer(p.fd, tr->data.ptr.buffer);
			ans = (uint32_t)ret;
			break;
		}
		case BT_SC_REQUEST_DEATH:
			bt_cmd_handle_cookie(&c, BC_REQUEST_DEATH_NOTIFICATION,
					     arg, BT_SC_COOKIE(arg));
			break;
		case BT_SC_READ_DEATH:
			idx = bt_read_until(p.fd, &r, BR_DEAD_BINDER, 0,
					    BT_TIMEOUT_MS);
			BT_CHECK(idx >= 0);
			ans = r.r[idx].cookie;
			bt_cmd_u64(&c, BC_DEAD_BINDER_DONE, ans);
			break;
		case BT_SC_PID:
			ans = getpid();
			break;
		case BT_SC_SEND_NODE: {
			struct bt_parcel pc;

			bt_parcel_init(&pc);
			bt_p_binder(&pc, BINDER_TYPE_BINDER, arg, arg + 1, 0);
			ret = bt_call(p.fd, 0, 1, 0, &pc, &r);
			BT_CHECK(!BT_IS_ERR(ret));
			if (ret == (int)BR_REPLY)
				bt_free_buffer(p.fd, bt_last_tr(&r)->data.ptr.buffer);
			ans = (uint32_t)ret;
			break;
		}
		case BT_SC_CALL_GET_OBJ: {
			struct binder_transaction_data *tr;

			ret = bt_call(p.fd, arg, 1, 0, NULL, &r);
			BT_CHECK_EQ(ret, BR_REPLY);
			tr = bt_last_tr(&r);
			BT_CHECK(nheld < 256);
			held[nheld++] = tr->data.ptr.buffer;
			ans = bt_obj_answer(tr);
			break;
		}
		case BT_SC_READ_CODE: {
			struct binder_transaction_data *t;

			idx = bt_read_until(p.fd, &r, BR_TRANSACTION, 0,
					    BT_TIMEOUT_MS);
			BT_CHECK(idx >= 0);
			BT_CHECK(nheld < 256);
			t = &r.r[idx].tr;
			held[nheld++] = t->data.ptr.buffer;
			ans = (uint64_t)t->code << 32;
			if (t->data_size >= 4) {
				uint32_t v;

				memcpy(&v, bt_data(t), 4);
				ans |= v;
			}
			break;
		}
		case BT_SC_IDLE: {
			int i;

			ret = bt_idle(p.fd, &r);
			BT_CHECK(ret >= 0);
			for (i = 0; i < r.n; i++) {
				if (r.r[i].cmd == BR_NOOP ||
				    r.r[i].cmd == BR_SPAWN_LOOPER)
					continue;
				if (!ans)
					ans = r.r[i].cmd;
				if (r.r[i].cmd == BR_TRANSACTION && nheld < 256)
					held[nheld++] = r.r[i].tr.data.ptr.buffer;
			}
			break;
		}
		case BT_SC_EXIT:
			bt_close(&p);
			_exit(0);
		default:
			BT_CHECK(!"bad script op");
		}
		if (c.len)
			BT_CHECK_EQ(bt_srv_write(p.fd, &c, &r), 0);
		if (op == BT_SC_REPLY || op == BT_SC_REPLY_HANDLE) {
			/* Consume the replier's own return (TC) now. */
			idx = bt_read_until(p.fd, &r, BR_TRANSACTION_COMPLETE,
					    BT_ANY_TERMINAL, BT_TIMEOUT_MS);
			BT_CHECK(idx >= 0);
			ans = r.r[idx].cmd;
		}
		BT_CHECK_EQ(bt_tell_parent(ch, ans), 0);
	}
}

int bt_script_start(struct bt_script *s, const char *path,
		    const struct bt_script_opts *o)
{
	struct bt_script_opts def;
	uint64_t v;
	int ret;

	if (!o) {
		memset(&def, 0, sizeof(def));
		o = &def;
	}
	ret = bt_chan_init(&s->ch);
	if (ret)
		return ret;
	s->pid = bt_fork();
	if (s->pid < 0) {
		ret = -errno;
		bt_chan_close(&s->ch);
		return ret;
	}
	if (s->pid == 0)
		bt_script_main(path, o, &s->ch);
	bt_chan_parent(&s->ch);
	ret = bt_hear_child(&s->ch, &v, BT_TIMEOUT_MS);
	if (ret) {
		bt_kill(s->pid);
		bt_chan_close(&s->ch);
		return ret;
	}
	return 0;
}

int bt_script_async(struct bt_script *s, uint32_t op, uint32_t arg)
{
	return bt_tell_child(&s->ch, (uint64_t)op << 32 | arg);
}

int64_t bt_script_result(struct bt_script *s)
{
	uint64_t v;
	int ret = bt_hear_child(&s->ch, &v, 2 * BT_TIMEOUT_MS);

	return ret ? ret : (int64_t)v;
}

int64_t bt_script(struct bt_script *s, uint32_t op, uint32_t arg)
{
	uint64_t v;
	int ret = bt_tell_child(&s->ch, (uint64_t)op << 32 | arg);

	if (ret)
		return ret;
	ret = bt_hear_child(&s->ch, &v, 2 * BT_TIMEOUT_MS);
	if (ret)
		return ret;
	return (int64_t)v;
}

int bt_script_stop(struct bt_script *s)
{
	int ret;

	bt_tell_child(&s->ch, (uint64_t)BT_SC_EXIT << 32);
	ret = bt_wait(s->pid, BT_TIMEOUT_MS);
	bt_chan_close(&s->ch);
	return ret;
}

int bt_script_kill(struct bt_script *s)
{
	int ret = bt_kill(s->pid);

	bt_chan_close(&s->ch);
	return ret;
}

int bt_ntests, bt_nfail;

void bt_tap(bool ok, const char *fmt, ...)
{
	va_list ap;

	bt_ntests++;
	if (!ok)
		bt_nfail++;
	printf("%s %d - ", ok ? "ok" : "not ok", bt_ntests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
