// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: tests of binder device files made through binderfs:
 * open, BINDER_VERSION, unknown ioctls, bad pointers, and the lifetime of
 * a device that is unlinked or whose instance is unmounted while open.
 *
 * The C driver (drivers/android/binder.c, binderfs.c) is the oracle.
 */
#include "rb_binderfs.h"

FIXTURE(binderfs_dev) {
	char mnt[RB_MNT_LEN];
	struct binderfs_device dev;
};

FIXTURE_SETUP(binderfs_dev)
{
	ASSERT_EQ(0, rb_private_mountns());
	ASSERT_EQ(0, rb_mount(self->mnt, NULL));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "dev", &self->dev));
}

FIXTURE_TEARDOWN(binderfs_dev)
{
	rb_umount(self->mnt);
}

TEST_F(binderfs_dev, version)
{
	int fd;

	EXPECT_EQ(8, BINDER_CURRENT_PROTOCOL_VERSION);
	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(8, rb_version_fd(fd));
	/* Again on the same fd (the thread exists now). */
	EXPECT_EQ(8, rb_version_fd(fd));
	close(fd);

	fd = rb_open(self->mnt, "dev", O_RDONLY);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(8, rb_version_fd(fd));
	close(fd);
}

/* Unknown ioctl numbers, and binder-control's ioctl: EINVAL. */
TEST_F(binderfs_dev, unknown_ioctl)
{
	struct binderfs_device req = { .name = "nested" };
	int fd, arg = 0;

	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(fd, _IO('b', 99)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, _IOWR('x', 1, int), &arg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, BINDER_CTL_ADD, &req));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_FALSE(rb_exists(self->mnt, "nested"));
	/* The fd still works. */
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	close(fd);
}

/* BINDER_VERSION to a bad pointer: binder.c answers EINVAL, not EFAULT. */
TEST_F(binderfs_dev, version_bad_pointer)
{
	long page = sysconf(_SC_PAGESIZE);
	void *none, *ro;
	int fd;

	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, ioctl(fd, BINDER_VERSION, NULL));
	EXPECT_EQ(EINVAL, errno);

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-1, ioctl(fd, BINDER_VERSION, none));
	EXPECT_EQ(EINVAL, errno);

	ro = mmap(NULL, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	EXPECT_EQ(-1, ioctl(fd, BINDER_VERSION, ro));
	EXPECT_EQ(EINVAL, errno);

	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	close(fd);
	munmap(none, page);
	munmap(ro, page);
}

/* A binder device has no read or write. */
TEST_F(binderfs_dev, read_write)
{
	char buf[16] = "x";
	int fd;

	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_F(binderfs_dev, many_opens)
{
	int fds[32], i;

	for (i = 0; i < 32; i++) {
		fds[i] = rb_open(self->mnt, "dev", O_RDWR);
		ASSERT_GE(fds[i], 0);
	}
	for (i = 0; i < 32; i++)
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fds[i]));
	for (i = 0; i < 32; i++)
		close(fds[i]);
}

/* The same device opened by a child process. */
TEST_F(binderfs_dev, open_in_child)
{
	pid_t pid;
	int fd;

	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int cfd = rb_open(self->mnt, "dev", O_RDWR);

		/* Both the inherited fd and a new one. */
		if (cfd < 0 || rb_version_fd(cfd) != 8 || rb_version_fd(fd) != 8)
			_exit(1);
		close(cfd);
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	close(fd);
}

/* Unlinked while open: the open file keeps working, and can be reopened. */
TEST_F(binderfs_dev, unlink_while_open)
{
	char proc[64];
	struct stat st;
	int fd, fd2;

	fd = rb_open(self->mnt, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, rb_unlink(self->mnt, "dev"));
	EXPECT_FALSE(rb_exists(self->mnt, "dev"));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_nlink);
	EXPECT_EQ(makedev(self->dev.major, self->dev.minor), st.st_rdev);

	/* Reopen the unlinked device through /proc/self/fd. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	fd2 = open(proc, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd2));
	close(fd);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd2));
	close(fd2);

	/* A new device of that name is a new device. */
	EXPECT_EQ(0, rb_ctl_add(self->mnt, "dev", NULL));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(self->mnt, "dev"));
}

/*
 * umount2(MNT_DETACH) while a device and binder-control are open: both keep
 * working (BINDER_CTL_ADD adds to the detached instance) until closed.
 */
TEST_F(binderfs_dev, umount_detach_while_open)
{
	struct binderfs_device req = { .name = "late" };
	char m[RB_MNT_LEN], proc[64];
	int fd, ctl, fd2;

	ASSERT_EQ(0, rb_mount(m, NULL));
	ASSERT_EQ(0, rb_ctl_add(m, "dev", NULL));
	fd = rb_open(m, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	ctl = rb_open(m, "binder-control", O_RDONLY);
	ASSERT_GE(ctl, 0);

	ASSERT_EQ(0, umount2(m, MNT_DETACH));
	ASSERT_EQ(0, rmdir(m));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	EXPECT_EQ(0, rb_ctl_add_fd(ctl, &req));
	close(ctl);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));

	/* A second open of the detached device through /proc/self/fd. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	fd2 = open(proc, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd2, 0);
	close(fd);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd2));
	close(fd2);
}

/* Unmount (detach) with the device open in a child that outlives it. */
TEST_F(binderfs_dev, umount_then_child_closes)
{
	char m[RB_MNT_LEN];
	int pipefd[2], fd;
	pid_t pid;
	char c;

	ASSERT_EQ(0, rb_mount(m, NULL));
	ASSERT_EQ(0, rb_ctl_add(m, "dev", NULL));
	fd = rb_open(m, "dev", O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(2);
		_exit(rb_version_fd(fd) == 8 ? 0 : 1);
	}
	close(pipefd[0]);
	close(fd);
	ASSERT_EQ(0, rb_umount(m));
	ASSERT_EQ(1, write(pipefd[1], "1", 1));
	close(pipefd[1]);
	EXPECT_EQ(0, rb_wait(pid));
}

TEST_HARNESS_MAIN
