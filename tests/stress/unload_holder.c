// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder stress: helper for unload_loop.sh. Holds a binder file in
 * the ways that must keep the module from being unloaded, or checks that
 * unloading works.
 *
 *   unload_holder rmmod NAME           delete_module(NAME, O_NONBLOCK): exit 0
 *                                      if unloaded, else print the errno
 *                                      name ("EAGAIN", "EBUSY", ...), exit 1
 *   unload_holder mkdev MNT NAME       BINDER_CTL_ADD NAME in binderfs MNT
 *   unload_holder zombie DEV READY     open+mmap DEV, use it, then the main
 *                                      thread exits (the leader is a zombie)
 *                                      while another thread keeps the fd
 *   unload_holder reaped-zombie DEV READY
 *                                      a child uses DEV and exits; it stays
 *                                      an unreaped zombie until SIGTERM
 *   unload_holder scm DEV READY        the binder fd in flight in an
 *                                      SCM_RIGHTS message on a unix socket
 *                                      pair (our own copy closed)
 *   unload_holder scm-cycle DEV READY  the binder fd and the receiving socket
 *                                      itself in flight (a garbage cycle
 *                                      only the unix GC frees); exits at once
 *   unload_holder epoll DEV READY      the binder fd in an epoll set (after a
 *                                      BINDER_THREAD_EXIT of the polled thread)
 *   unload_holder gc-kick              close a unix socket with an fd in flight:
 *                                      makes the kernel run the unix GC (which
 *                                      frees what scm-cycle left)
 *
 * The holding modes create READY when the hold is in place and then wait
 * for SIGTERM (or SIGKILL); on SIGTERM they release in the mode's order
 * (epoll: binder fd first, then epoll_wait, then the epoll fd; scm: the
 * message is received and closed) and exit 0.
 */
#include "binder_test_lib.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

static void ready(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

static void wait_term(void)
{
	while (!term)
		pause();
}

/* Open + mmap + a thread + a BINDER_VERSION: a binder proc with state. */
static int use_binder(const char *dev, struct bt_proc *p)
{
	int ret = bt_open(dev, BT_MAP_SIZE, p);

	if (ret) {
		fprintf(stderr, "# unload_holder: open %s: %s\n", dev, strerror(-ret));
		return ret;
	}
	bt_version(p->fd);
	bt_enter_looper(p->fd);
	return 0;
}

static void *sleeper(void *arg)
{
	(void)arg;
	wait_term();
	_exit(0);
	return NULL;
}

static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	char b = 'x';

	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = &b;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	return sendmsg(sock, &mh, 0) < 0 ? -errno : 0;
}

static int recv_and_close(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct msghdr mh;
	struct cmsghdr *cm;
	struct iovec iov;
	char b;
	int n = 0;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &b;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		int i, cnt;

		if (cm->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
			n++;
		}
	}
	return n;
}

static const char *errname(int e)
{
	switch (e) {
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case ENOENT: return "ENOENT";
	case EPERM: return "EPERM";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	struct bt_proc p;
	const char *mode;

	if (argc < 2 || (argc < 3 && strcmp(argv[1], "gc-kick"))) {
		fprintf(stderr, "usage: see the header of unload_holder.c\n");
		return 2;
	}
	mode = argv[1];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);

	if (!strcmp(mode, "gc-kick")) {
		int sv[2], fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return 1;
		send_fds(sv[0], &fd, 1);
		close(fd);
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (!strcmp(mode, "rmmod")) {
		if (syscall(SYS_delete_module, argv[2], O_NONBLOCK) == 0)
			return 0;
		printf("%s\n", errname(errno));
		return 1;
	}
	if (!strcmp(mode, "mkdev")) {
		struct binderfs_device d;
		char ctl[256];
		int fd;

		if (argc < 4)
			return 2;
		snprintf(ctl, sizeof(ctl), "%s/binder-control", argv[2]);
		fd = open(ctl, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			perror("binder-control");
			return 1;
		}
		memset(&d, 0, sizeof(d));
		snprintf(d.name, sizeof(d.name), "%s", argv[3]);
		if (ioctl(fd, BINDER_CTL_ADD, &d) < 0) {
			perror("BINDER_CTL_ADD");
			return 1;
		}
		return 0;
	}
	if (argc < 4)
		return 2;

	if (!strcmp(mode, "zombie")) {
		pthread_t th;

		if (use_binder(argv[2], &p))
			return 1;
		if (pthread_create(&th, NULL, sleeper, NULL))
			return 1;
		ready(argv[3]);
		/* The leader exits; the other thread keeps the files. */
		pthread_exit(NULL);
	}
	if (!strcmp(mode, "reaped-zombie")) {
		pid_t pid = fork();

		if (pid == 0) {
			if (use_binder(argv[2], &p))
				_exit(1);
			_exit(0);
		}
		/* Let it exit, but don't reap it. */
		while (1) {
			char path[64], st[512];
			int fd, n;

			snprintf(path, sizeof(path), "/proc/%d/stat", pid);
			fd = open(path, O_RDONLY);
			if (fd < 0)
				break;
			n = read(fd, st, sizeof(st) - 1);
			close(fd);
			if (n > 0) {
				char *q;

				st[n] = 0;
				q = strrchr(st, ')');
				if (q && q[2] == 'Z')
					break;
			}
			bt_msleep(10);
		}
		ready(argv[3]);
		wait_term();
		waitpid(pid, NULL, 0);
		return 0;
	}
	if (!strcmp(mode, "scm") || !strcmp(mode, "scm-cycle")) {
		int sv[2], fds[2];

		if (use_binder(argv[2], &p))
			return 1;
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			return 1;
		fds[0] = p.fd;
		fds[1] = sv[1];
		if (send_fds(sv[0], fds, !strcmp(mode, "scm") ? 1 : 2)) {
			perror("sendmsg");
			return 1;
		}
		bt_close(&p);
		if (!strcmp(mode, "scm-cycle")) {
			/* Both ends closed: only the unix GC can free the binder file now. */
			close(sv[0]);
			close(sv[1]);
			ready(argv[3]);
			return 0;
		}
		ready(argv[3]);
		wait_term();
		recv_and_close(sv[1]);
		close(sv[0]);
		close(sv[1]);
		return 0;
	}
	if (!strcmp(mode, "epoll")) {
		struct epoll_event ev, out[4];
		int ep;

		if (use_binder(argv[2], &p))
			return 1;
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0)
			return 1;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.fd = p.fd;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev)) {
			perror("epoll_ctl");
			return 1;
		}
		epoll_wait(ep, out, 4, 10);
		/* Free the polled binder thread while the epoll set waits on it. */
		bt_thread_exit(p.fd);
		epoll_wait(ep, out, 4, 10);
		ev.events = EPOLLIN | EPOLLOUT;
		epoll_ctl(ep, EPOLL_CTL_MOD, p.fd, &ev);
		epoll_wait(ep, out, 4, 10);
		ready(argv[3]);
		wait_term();
		bt_close(&p);
		epoll_wait(ep, out, 4, 10);
		close(ep);
		return 0;
	}
	fprintf(stderr, "unload_holder: unknown mode %s\n", mode);
	return 2;
}
