// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: a short binderfs workout for the kmemleak boot (run before
 * the module is unloaded): mount, create, open, unlink, umount, on the good
 * paths and on the error paths, so that kmemleak can see what either leaks.
 */
#include "rb_binderfs.h"

FIXTURE(binderfs_smoke) {
	int unused;
};

FIXTURE_SETUP(binderfs_smoke)
{
	ASSERT_EQ(0, rb_private_mountns());
}

FIXTURE_TEARDOWN(binderfs_smoke)
{
}

TEST_F(binderfs_smoke, lifecycle)
{
	char m[RB_MNT_LEN], name[32];
	int round, i, fd, kept = -1;

	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, rb_mount(m, round == 1 ? "stats=global" : NULL));
		for (i = 0; i < 8; i++) {
			snprintf(name, sizeof(name), "dev%d", i);
			ASSERT_EQ(0, rb_ctl_add(m, name, NULL));
			fd = rb_open(m, name, O_RDWR);
			ASSERT_GE(fd, 0);
			EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
			if (i % 2 == 0)
				EXPECT_EQ(0, rb_unlink(m, name));
			if (i == 3 && round == 2)
				kept = fd;	/* open across the umount */
			else
				close(fd);
		}
		EXPECT_EQ(0, rb_umount(m));
	}
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(kept));
	close(kept);
}

TEST_F(binderfs_smoke, error_paths)
{
	struct binderfs_device dev;
	char m[RB_MNT_LEN];
	int ctl, i;

	EXPECT_EQ(-EINVAL, rb_mount(m, "max=1048577"));
	EXPECT_EQ(-EINVAL, rb_mount(m, "bogus"));
	ASSERT_EQ(0, rb_mount(m, "max=2"));
	EXPECT_EQ(0, rb_ctl_add(m, "a", NULL));
	EXPECT_EQ(-EEXIST, rb_ctl_add(m, "a", NULL));
	EXPECT_EQ(-EACCES, rb_ctl_add(m, "..", NULL));
	EXPECT_EQ(0, rb_ctl_add(m, "b", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "c", NULL));
	EXPECT_EQ(-EINVAL, rb_remount(m, "stats=global"));
	EXPECT_EQ(0, rb_remount(m, "max=3"));
	ctl = rb_open(m, "binder-control", O_RDONLY);
	ASSERT_GE(ctl, 0);
	EXPECT_EQ(-1, ioctl(ctl, BINDER_CTL_ADD, NULL));
	memset(&dev, 'z', sizeof(dev));
	EXPECT_EQ(0, rb_ctl_add_fd(ctl, &dev));
	for (i = 0; i < 4; i++)
		EXPECT_EQ(-1, ioctl(ctl, _IO('b', 99)));
	close(ctl);
	EXPECT_EQ(0, rb_umount(m));
}

TEST_F(binderfs_smoke, userns)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char m[RB_MNT_LEN];

		ASSERT_EQ(0, rb_enter_unpriv_userns());
		ASSERT_EQ(0, rb_mount(m, NULL));
		EXPECT_EQ(0, rb_ctl_add(m, "u", NULL));
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(m, "u"));
		EXPECT_EQ(-EPERM, rb_mount(m, "stats=global"));
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
}

TEST_HARNESS_MAIN
