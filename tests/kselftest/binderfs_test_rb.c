// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: binderfs tests: instances, binder-control (BINDER_CTL_ADD),
 * minor numbers, mount options (max=, stats=global), remount, and the
 * directory operations binderfs allows or refuses.
 *
 * The C driver (drivers/android/binderfs.c) is the oracle: every expected
 * value or errno below is what it answers. Run as root in the initial
 * namespaces (the VM's /init does that); each test runs in a private mount
 * namespace, so nothing stays mounted when it ends.
 */
#include "rb_binderfs.h"

FIXTURE(binderfs) {
	char mnt[RB_MNT_LEN];
};

FIXTURE_SETUP(binderfs)
{
	ASSERT_EQ(0, rb_private_mountns());
	ASSERT_EQ(0, rb_mount(self->mnt, NULL));
}

FIXTURE_TEARDOWN(binderfs)
{
	rb_umount(self->mnt);
}

static const char *const features[] = {
	"extended_error", "freeze_notification", "oneway_spam_detection",
};

/* A fresh instance holds binder-control and features/ only. */
TEST_F(binderfs, fresh_instance_contents)
{
	char buf[4096], path[RB_PATH_LEN];
	struct stat st;
	size_t i;

	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);
	rb_path(path, self->mnt, "features");
	ASSERT_EQ(0, rb_list_dir(path, buf, sizeof(buf)));
	EXPECT_STREQ("extended_error,freeze_notification,oneway_spam_detection", buf);

	ASSERT_EQ(0, rb_stat(self->mnt, "binder-control", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(1, st.st_nlink);

	ASSERT_EQ(0, rb_stat(self->mnt, "features", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, st.st_mode & 07777);
	EXPECT_EQ(2, st.st_nlink);
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		snprintf(path, sizeof(path), "features/%s", features[i]);
		ASSERT_EQ(0, rb_stat(self->mnt, path, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(0444, st.st_mode & 07777);
	}
	EXPECT_FALSE(rb_exists(self->mnt, "binder_logs"));
}

/* The root directory: 0755, owned by root, nlink 2 + features/. */
TEST_F(binderfs, root_dir)
{
	struct stat st;

	ASSERT_EQ(0, stat(self->mnt, &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(3, st.st_nlink);
}

/* Inode numbers: root 1, binder-control 2, a device minor + 3. */
TEST_F(binderfs, inode_numbers)
{
	struct binderfs_device dev;
	struct stat st;

	ASSERT_EQ(0, stat(self->mnt, &st));
	EXPECT_EQ(1, st.st_ino);
	ASSERT_EQ(0, rb_stat(self->mnt, "binder-control", &st));
	EXPECT_EQ(2, st.st_ino);
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "ino", &dev));
	ASSERT_EQ(0, rb_stat(self->mnt, "ino", &st));
	EXPECT_EQ(dev.minor + 3, st.st_ino);
}

TEST_F(binderfs, statfs_magic)
{
	struct binderfs_device dev;
	struct statfs sfs;
	int fd;

	ASSERT_EQ(0, statfs(self->mnt, &sfs));
	EXPECT_EQ(BINDERFS_SUPER_MAGIC, sfs.f_type);
	EXPECT_EQ(sysconf(_SC_PAGESIZE), sfs.f_bsize);
	EXPECT_EQ(255, sfs.f_namelen);

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "magic", &dev));
	fd = rb_open(self->mnt, "magic", O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstatfs(fd, &sfs));
	EXPECT_EQ(BINDERFS_SUPER_MAGIC, sfs.f_type);
	close(fd);
}

/* Each mount is its own instance; minors are global, the major is shared. */
TEST_F(binderfs, instances_independent)
{
	char other[RB_MNT_LEN], buf[4096];
	struct binderfs_device a, b;
	struct stat c1, c2, r1, r2;

	ASSERT_EQ(0, rb_mount(other, NULL));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "only-here", &a));
	EXPECT_TRUE(rb_exists(self->mnt, "only-here"));
	EXPECT_FALSE(rb_exists(other, "only-here"));
	ASSERT_EQ(0, rb_list_dir(other, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);

	/* The same name may exist in both instances, with its own minor. */
	ASSERT_EQ(0, rb_ctl_add(other, "only-here", &b));
	EXPECT_EQ(a.major, b.major);
	EXPECT_NE(a.minor, b.minor);

	ASSERT_EQ(0, rb_stat(self->mnt, "binder-control", &c1));
	ASSERT_EQ(0, rb_stat(other, "binder-control", &c2));
	EXPECT_NE(c1.st_rdev, c2.st_rdev);
	EXPECT_EQ(major(c1.st_rdev), major(c2.st_rdev));
	EXPECT_EQ(a.major, major(c1.st_rdev));

	ASSERT_EQ(0, stat(self->mnt, &r1));
	ASSERT_EQ(0, stat(other, &r2));
	EXPECT_NE(r1.st_dev, r2.st_dev);

	/* Removing it from one instance leaves the other's alone. */
	ASSERT_EQ(0, rb_unlink(other, "only-here"));
	EXPECT_TRUE(rb_exists(self->mnt, "only-here"));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
		  rb_version(self->mnt, "only-here"));
	EXPECT_EQ(0, rb_umount(other));
}

/* BINDER_CTL_ADD: answer, node type, owner, mode, st_rdev. */
TEST_F(binderfs, ctl_add)
{
	struct binderfs_device dev;
	struct stat st, ctl;
	char buf[4096];

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "my-binder", &dev));
	EXPECT_STREQ("my-binder", dev.name);
	ASSERT_EQ(0, rb_stat(self->mnt, "binder-control", &ctl));
	EXPECT_EQ(major(ctl.st_rdev), dev.major);
	EXPECT_NE(minor(ctl.st_rdev), dev.minor);

	ASSERT_EQ(0, rb_stat(self->mnt, "my-binder", &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(makedev(dev.major, dev.minor), st.st_rdev);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	EXPECT_EQ(1, st.st_nlink);

	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features,my-binder", buf);
	/* A device is no directory: the root's link count is unchanged. */
	ASSERT_EQ(0, stat(self->mnt, &st));
	EXPECT_EQ(3, st.st_nlink);

	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
		  rb_version(self->mnt, "my-binder"));
}

/* The control device may be opened read-only or read-write. */
TEST_F(binderfs, ctl_add_open_modes)
{
	struct binderfs_device dev = { .name = "rw-ctl" };
	int ctl;

	ctl = rb_open(self->mnt, "binder-control", O_RDWR);
	ASSERT_GE(ctl, 0);
	EXPECT_EQ(0, rb_ctl_add_fd(ctl, &dev));
	close(ctl);
	EXPECT_TRUE(rb_exists(self->mnt, "rw-ctl"));
}

TEST_F(binderfs, ctl_add_duplicate)
{
	struct binderfs_device dev;

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "dup", &dev));
	EXPECT_EQ(-EEXIST, rb_ctl_add(self->mnt, "dup", NULL));
	EXPECT_EQ(-EEXIST, rb_ctl_add(self->mnt, "binder-control", NULL));
	EXPECT_EQ(-EEXIST, rb_ctl_add(self->mnt, "features", NULL));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(self->mnt, "dup"));
}

/* lookup_one_len() refuses these names: EACCES, and nothing is created. */
TEST_F(binderfs, ctl_add_invalid_names)
{
	static const char *const bad[] = { ".", "..", "a/b", "", "/", "x/" };
	char buf[4096];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EACCES, rb_ctl_add(self->mnt, bad[i], NULL)) {
			TH_LOG("name \"%s\"", bad[i]);
		}
	}
	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);
	EXPECT_FALSE(rb_exists(self->mnt, "a"));
}

/* Failed adds give their minor and their place under max= back. */
TEST_F(binderfs, ctl_add_failures_release_count)
{
	char m[RB_MNT_LEN];
	int i;

	ASSERT_EQ(0, rb_mount(m, "max=2"));
	ASSERT_EQ(0, rb_ctl_add(m, "a", NULL));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(-EEXIST, rb_ctl_add(m, "a", NULL));
		EXPECT_EQ(-EACCES, rb_ctl_add(m, "..", NULL));
	}
	EXPECT_EQ(0, rb_ctl_add(m, "b", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "c", NULL));
	EXPECT_EQ(0, rb_umount(m));
}

/* A 255-character name works; an unterminated one is cut at 255. */
TEST_F(binderfs, ctl_add_name_max_len)
{
	struct binderfs_device dev;
	char name[BINDERFS_MAX_NAME + 1];
	struct stat st;
	int ctl;

	memset(name, 'x', BINDERFS_MAX_NAME);
	name[BINDERFS_MAX_NAME] = '\0';
	ASSERT_EQ(0, rb_ctl_add(self->mnt, name, &dev));
	ASSERT_EQ(0, rb_stat(self->mnt, name, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(makedev(dev.major, dev.minor), st.st_rdev);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(self->mnt, name));

	/* All 256 bytes set: the driver NUL-terminates at 255. */
	memset(&dev, 'y', sizeof(dev.name));
	ctl = rb_open(self->mnt, "binder-control", O_RDONLY);
	ASSERT_GE(ctl, 0);
	ASSERT_EQ(0, rb_ctl_add_fd(ctl, &dev));
	close(ctl);
	EXPECT_EQ('\0', dev.name[BINDERFS_MAX_NAME]);
	memset(name, 'y', BINDERFS_MAX_NAME);
	EXPECT_STREQ(name, dev.name);
	ASSERT_EQ(0, rb_stat(self->mnt, name, &st));
	EXPECT_EQ(makedev(dev.major, dev.minor), st.st_rdev);
}

/* Bad user pointers give EFAULT and create nothing. */
TEST_F(binderfs, ctl_add_efault)
{
	long page = sysconf(_SC_PAGESIZE);
	struct binderfs_device *ro, *straddle;
	char buf[4096];
	void *none;
	char *two;
	int ctl;

	ctl = rb_open(self->mnt, "binder-control", O_RDONLY);
	ASSERT_GE(ctl, 0);

	EXPECT_EQ(-1, ioctl(ctl, BINDER_CTL_ADD, NULL));
	EXPECT_EQ(EFAULT, errno);

	none = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, none);
	EXPECT_EQ(-1, ioctl(ctl, BINDER_CTL_ADD, none));
	EXPECT_EQ(EFAULT, errno);

	/* Readable but not writable: the answer can't be copied back. */
	ro = mmap(NULL, page, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	strcpy(ro->name, "ro-dev");
	ASSERT_EQ(0, mprotect(ro, page, PROT_READ));
	EXPECT_EQ(-1, ioctl(ctl, BINDER_CTL_ADD, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_FALSE(rb_exists(self->mnt, "ro-dev"));

	/* The struct runs into an unmapped page. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + page, page, PROT_NONE));
	straddle = (struct binderfs_device *)(two + page - 16);
	memcpy(straddle->name, "straddle", 9);
	EXPECT_EQ(-1, ioctl(ctl, BINDER_CTL_ADD, straddle));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_FALSE(rb_exists(self->mnt, "straddle"));

	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);
	close(ctl);
	munmap(none, page);
	munmap(ro, page);
	munmap(two, 2 * page);
}

/* binder-control answers only BINDER_CTL_ADD; everything else is EINVAL. */
TEST_F(binderfs, ctl_unknown_ioctl)
{
	struct binder_version v = { 0 };
	int ctl, arg = 0;

	ctl = rb_open(self->mnt, "binder-control", O_RDONLY);
	ASSERT_GE(ctl, 0);
	EXPECT_EQ(-1, ioctl(ctl, BINDER_VERSION, &v));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(ctl, _IO('b', 99)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(ctl, _IOWR('b', 1, int), &arg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(ctl, BINDER_SET_MAX_THREADS, &arg));
	EXPECT_EQ(EINVAL, errno);
	close(ctl);
}

/* binder-control has no read or write. */
TEST_F(binderfs, ctl_read_write)
{
	char buf[16] = "x";
	int ctl;

	ctl = rb_open(self->mnt, "binder-control", O_RDWR);
	ASSERT_GE(ctl, 0);
	EXPECT_EQ(-1, read(ctl, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(ctl, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	close(ctl);
}

/* Minors are allocated lowest-free first; an unlinked device's is reused. */
TEST_F(binderfs, minor_reuse_lowest_free)
{
	struct binderfs_device a, b, c, d, e;

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "a", &a));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "b", &b));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "c", &c));
	EXPECT_LT(a.minor, b.minor);
	EXPECT_LT(b.minor, c.minor);

	ASSERT_EQ(0, rb_unlink(self->mnt, "b"));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "d", &d));
	EXPECT_EQ(b.minor, d.minor);

	ASSERT_EQ(0, rb_unlink(self->mnt, "a"));
	ASSERT_EQ(0, rb_unlink(self->mnt, "c"));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "e", &e));
	EXPECT_EQ(a.minor, e.minor);
}

/* An unlinked device keeps its minor until its last open file is closed. */
TEST_F(binderfs, minor_held_until_last_close)
{
	struct binderfs_device x, y, z;
	int fd;

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "x", &x));
	fd = rb_open(self->mnt, "x", O_RDWR);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, rb_unlink(self->mnt, "x"));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "y", &y));
	EXPECT_NE(x.minor, y.minor);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	close(fd);
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "z", &z));
	EXPECT_EQ(x.minor, z.minor);
}

/* Unmounting an instance releases its minors (binder-control's too). */
TEST_F(binderfs, minors_released_on_umount)
{
	struct binderfs_device d1, d2;
	char m[RB_MNT_LEN];
	struct stat c1, c2;

	ASSERT_EQ(0, rb_mount(m, NULL));
	ASSERT_EQ(0, rb_stat(m, "binder-control", &c1));
	ASSERT_EQ(0, rb_ctl_add(m, "d", &d1));
	ASSERT_EQ(0, rb_umount(m));

	ASSERT_EQ(0, rb_mount(m, NULL));
	ASSERT_EQ(0, rb_stat(m, "binder-control", &c2));
	ASSERT_EQ(0, rb_ctl_add(m, "d", &d2));
	EXPECT_EQ(c1.st_rdev, c2.st_rdev);
	EXPECT_EQ(d1.minor, d2.minor);
	EXPECT_EQ(0, rb_umount(m));
}

/* max=N: N devices, then ENOSPC; binder-control doesn't count. */
TEST_F(binderfs, max_enospc)
{
	char m[RB_MNT_LEN];

	ASSERT_EQ(0, rb_mount(m, "max=3"));
	EXPECT_EQ(0, rb_ctl_add(m, "a", NULL));
	EXPECT_EQ(0, rb_ctl_add(m, "b", NULL));
	EXPECT_EQ(0, rb_ctl_add(m, "c", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "d", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "d", NULL));
	/* A name that exists: the limit is checked first. */
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "a", NULL));
	ASSERT_EQ(0, rb_unlink(m, "a"));
	EXPECT_EQ(0, rb_ctl_add(m, "d", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "e", NULL));
	EXPECT_FALSE(rb_exists(m, "e"));
	EXPECT_EQ(0, rb_umount(m));
}

TEST_F(binderfs, max_zero)
{
	char m[RB_MNT_LEN];

	ASSERT_EQ(0, rb_mount(m, "max=0"));
	EXPECT_TRUE(rb_exists(m, "binder-control"));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "a", NULL));
	EXPECT_EQ(0, rb_umount(m));
}

/* max= is limited to 1 << 20; bad values and unknown options: EINVAL. */
TEST_F(binderfs, mount_bad_options)
{
	static const char *const bad[] = {
		"max=1048577", "max=4294967295", "max=4294967296", "max=-1",
		"max=abc", "max=", "max", "stats=local", "stats=", "stats",
		"bogus=1", "bogus",
	};
	char m[RB_MNT_LEN];
	size_t i;

	ASSERT_EQ(0, rb_mount(m, "max=1048576"));
	EXPECT_EQ(0, rb_umount(m));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, rb_mount(m, bad[i])) {
			TH_LOG("options \"%s\"", bad[i]);
		}
	}
}

/* Remount with another max= takes effect; without max= it resets to 1<<20. */
TEST_F(binderfs, remount_max)
{
	char m[RB_MNT_LEN], type[64], opts[256];

	ASSERT_EQ(0, rb_mount(m, "max=1"));
	EXPECT_EQ(0, rb_ctl_add(m, "a", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "b", NULL));

	ASSERT_EQ(0, rb_remount(m, "max=2"));
	ASSERT_EQ(0, rb_mountinfo(m, type, opts, sizeof(opts)));
	EXPECT_STREQ("rw,max=2", opts);
	EXPECT_EQ(0, rb_ctl_add(m, "b", NULL));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "c", NULL));

	/* Lower than the current count: allowed, no more adds. */
	ASSERT_EQ(0, rb_remount(m, "max=1"));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "c", NULL));
	ASSERT_EQ(0, rb_unlink(m, "a"));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "c", NULL));
	ASSERT_EQ(0, rb_unlink(m, "b"));
	EXPECT_EQ(0, rb_ctl_add(m, "c", NULL));

	ASSERT_EQ(-EINVAL, rb_remount(m, "max=1048577"));
	ASSERT_EQ(0, rb_mountinfo(m, type, opts, sizeof(opts)));
	EXPECT_STREQ("rw,max=1", opts);

	/* A remount without max= sets the default again. */
	ASSERT_EQ(0, rb_remount(m, NULL));
	ASSERT_EQ(0, rb_mountinfo(m, type, opts, sizeof(opts)));
	EXPECT_STREQ("rw,max=1048576", opts);
	EXPECT_EQ(0, rb_ctl_add(m, "d", NULL));
	EXPECT_EQ(0, rb_umount(m));
}

/* /proc/self/mountinfo: type "binder", options as binderfs_show_options(). */
TEST_F(binderfs, mountinfo_options)
{
	static const struct { const char *opts, *shown; } cases[] = {
		{ NULL, "rw,max=1048576" },
		{ "max=7", "rw,max=7" },
		{ "max=0", "rw,max=0" },
		{ "stats=global", "rw,max=1048576,stats=global" },
		{ "max=3,stats=global", "rw,max=3,stats=global" },
		{ "stats=global,max=4", "rw,max=4,stats=global" },
	};
	char m[RB_MNT_LEN], type[64], opts[256];
	size_t i;

	ASSERT_EQ(0, rb_mountinfo(self->mnt, type, opts, sizeof(opts)));
	EXPECT_STREQ("binder", type);
	EXPECT_STREQ("rw,max=1048576", opts);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ASSERT_EQ(0, rb_mount(m, cases[i].opts));
		ASSERT_EQ(0, rb_mountinfo(m, type, opts, sizeof(opts)));
		EXPECT_STREQ("binder", type);
		EXPECT_STREQ(cases[i].shown, opts) {
			TH_LOG("options \"%s\"", cases[i].opts);
		}
		EXPECT_EQ(0, rb_umount(m));
	}
}

/* stats=global (initial user namespace): binder_logs/ appears. */
TEST_F(binderfs, stats_global)
{
	char m[RB_MNT_LEN], buf[4096], path[RB_PATH_LEN], pid[32];
	struct stat st;
	int fd;

	ASSERT_EQ(0, rb_mount(m, "stats=global"));
	ASSERT_EQ(0, rb_list_dir(m, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,binder_logs,features", buf);
	rb_path(path, m, "binder_logs");
	ASSERT_EQ(0, rb_list_dir(path, buf, sizeof(buf)));
	EXPECT_STREQ("failed_transaction_log,proc,state,stats,transaction_log,transactions", buf);

	ASSERT_EQ(0, stat(m, &st));
	EXPECT_EQ(4, st.st_nlink);
	ASSERT_EQ(0, rb_stat(m, "binder_logs", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, st.st_mode & 07777);
	EXPECT_EQ(3, st.st_nlink);
	ASSERT_EQ(0, rb_stat(m, "binder_logs/proc", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(0, rb_stat(m, "binder_logs/state", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0444, st.st_mode & 07777);

	/* An open binder fd shows up as binder_logs/proc/<pid> until closed. */
	rb_path(path, m, "binder_logs/proc");
	ASSERT_EQ(0, rb_list_dir(path, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	ASSERT_EQ(0, rb_ctl_add(m, "logged", NULL));
	fd = rb_open(m, "logged", O_RDWR);
	ASSERT_GE(fd, 0);
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, rb_list_dir(path, buf, sizeof(buf)));
	EXPECT_STREQ(pid, buf);
	close(fd);
	ASSERT_EQ(0, rb_list_dir(path, buf, sizeof(buf)));
	EXPECT_STREQ("", buf);
	EXPECT_EQ(0, rb_umount(m));
}

/* The binder_logs files read like binder.c's debugfs files. */
TEST_F(binderfs, stats_global_logs_readable)
{
	char m[RB_MNT_LEN], path[RB_PATH_LEN];
	static char buf[1 << 16];
	int fd;

	ASSERT_EQ(0, rb_mount(m, "stats=global"));
	ASSERT_EQ(0, rb_ctl_add(m, "logged", NULL));
	fd = rb_open(m, "logged", O_RDWR);
	ASSERT_GE(fd, 0);
	rb_path(path, m, "binder_logs/state");
	EXPECT_GT(rb_read_file(path, buf, sizeof(buf)), 0);
	EXPECT_EQ(0, strncmp(buf, "binder state:\n", 14));
	rb_path(path, m, "binder_logs/stats");
	EXPECT_GT(rb_read_file(path, buf, sizeof(buf)), 0);
	EXPECT_EQ(0, strncmp(buf, "binder stats:\n", 14));
	rb_path(path, m, "binder_logs/transactions");
	EXPECT_GT(rb_read_file(path, buf, sizeof(buf)), 0);
	EXPECT_EQ(0, strncmp(buf, "binder transactions:\n", 21));
	rb_path(path, m, "binder_logs/transaction_log");
	EXPECT_GE(rb_read_file(path, buf, sizeof(buf)), 0);
	rb_path(path, m, "binder_logs/failed_transaction_log");
	EXPECT_GE(rb_read_file(path, buf, sizeof(buf)), 0);
	snprintf(path, sizeof(path), "%s/binder_logs/proc/%d", m, getpid());
	EXPECT_GT(rb_read_file(path, buf, sizeof(buf)), 0);
	EXPECT_EQ(0, strncmp(buf, "binder proc state:\n", 19));
	close(fd);
	EXPECT_EQ(0, rb_umount(m));
}

/* The stats mode can't change on remount (either way). */
TEST_F(binderfs, stats_remount)
{
	char m[RB_MNT_LEN], type[64], opts[256];

	ASSERT_EQ(0, rb_mount(m, "stats=global"));
	EXPECT_EQ(-EINVAL, rb_remount(m, NULL));
	EXPECT_EQ(-EINVAL, rb_remount(m, "max=5"));
	EXPECT_EQ(0, rb_remount(m, "stats=global"));
	EXPECT_EQ(0, rb_remount(m, "stats=global,max=5"));
	ASSERT_EQ(0, rb_mountinfo(m, type, opts, sizeof(opts)));
	EXPECT_STREQ("rw,max=5,stats=global", opts);
	EXPECT_TRUE(rb_exists(m, "binder_logs"));
	EXPECT_EQ(0, rb_umount(m));

	EXPECT_EQ(-EINVAL, rb_remount(self->mnt, "stats=global"));
	EXPECT_FALSE(rb_exists(self->mnt, "binder_logs"));
	ASSERT_EQ(0, rb_mountinfo(self->mnt, type, opts, sizeof(opts)));
	EXPECT_STREQ("rw,max=1048576", opts);
}

TEST_F(binderfs, unlink_device)
{
	struct binderfs_device dev;
	char buf[4096];

	ASSERT_EQ(0, rb_ctl_add(self->mnt, "gone", &dev));
	EXPECT_EQ(0, rb_unlink(self->mnt, "gone"));
	EXPECT_FALSE(rb_exists(self->mnt, "gone"));
	EXPECT_EQ(-ENOENT, rb_open(self->mnt, "gone", O_RDWR));
	EXPECT_EQ(-ENOENT, rb_unlink(self->mnt, "gone"));
	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);
	/* The name is free again. */
	EXPECT_EQ(0, rb_ctl_add(self->mnt, "gone", NULL));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(self->mnt, "gone"));
}

/* binder-control can't be unlinked, renamed or replaced. */
TEST_F(binderfs, ctl_unlink_rename_eperm)
{
	char ctl[RB_PATH_LEN], dev[RB_PATH_LEN], other[RB_PATH_LEN];
	struct stat before, after;

	rb_path(ctl, self->mnt, "binder-control");
	rb_path(dev, self->mnt, "dev");
	rb_path(other, self->mnt, "other");
	ASSERT_EQ(0, stat(ctl, &before));
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "dev", NULL));

	EXPECT_EQ(-1, unlink(ctl));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, rename(ctl, other));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, rename(ctl, dev));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, rename(dev, ctl));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, renameat2(AT_FDCWD, dev, AT_FDCWD, ctl, RENAME_EXCHANGE));
	EXPECT_EQ(EPERM, errno);

	ASSERT_EQ(0, stat(ctl, &after));
	EXPECT_EQ(before.st_rdev, after.st_rdev);
	EXPECT_TRUE(rb_exists(self->mnt, "dev"));
	EXPECT_FALSE(rb_exists(self->mnt, "other"));
	EXPECT_EQ(0, rb_ctl_add(self->mnt, "still-works", NULL));
}

/* Devices can be renamed (simple_rename: replace, NOREPLACE, EXCHANGE). */
TEST_F(binderfs, rename_device)
{
	char a[RB_PATH_LEN], b[RB_PATH_LEN], c[RB_PATH_LEN], n[RB_PATH_LEN];
	struct binderfs_device da, dc, dn;
	struct stat st;

	rb_path(a, self->mnt, "a");
	rb_path(b, self->mnt, "b");
	rb_path(c, self->mnt, "c");
	rb_path(n, self->mnt, "n");
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "a", &da));
	ASSERT_EQ(0, rename(a, b));
	EXPECT_FALSE(rb_exists(self->mnt, "a"));
	ASSERT_EQ(0, stat(b, &st));
	EXPECT_EQ(makedev(da.major, da.minor), st.st_rdev);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version(self->mnt, "b"));
	/* The old name is free again. */
	EXPECT_EQ(0, rb_ctl_add(self->mnt, "a", NULL));
	EXPECT_EQ(0, rb_unlink(self->mnt, "a"));

	/* Onto an existing device: NOREPLACE fails, a plain rename replaces. */
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "c", &dc));
	EXPECT_EQ(-1, renameat2(AT_FDCWD, b, AT_FDCWD, c, RENAME_NOREPLACE));
	EXPECT_EQ(EEXIST, errno);
	ASSERT_EQ(0, rename(b, c));
	EXPECT_FALSE(rb_exists(self->mnt, "b"));
	ASSERT_EQ(0, stat(c, &st));
	EXPECT_EQ(makedev(da.major, da.minor), st.st_rdev);
	/* The replaced device is gone and its minor free (lowest first). */
	ASSERT_EQ(0, rb_ctl_add(self->mnt, "n", &dn));
	EXPECT_EQ(dc.minor, dn.minor);

	/* EXCHANGE swaps the two nodes. */
	ASSERT_EQ(0, renameat2(AT_FDCWD, c, AT_FDCWD, n, RENAME_EXCHANGE));
	ASSERT_EQ(0, stat(c, &st));
	EXPECT_EQ(makedev(dn.major, dn.minor), st.st_rdev);
	ASSERT_EQ(0, stat(n, &st));
	EXPECT_EQ(makedev(da.major, da.minor), st.st_rdev);

	/* simple_rename() knows no other flags. */
	EXPECT_EQ(-1, renameat2(AT_FDCWD, c, AT_FDCWD, a, RENAME_WHITEOUT));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_TRUE(rb_exists(self->mnt, "c"));
}

/* binderfs has no create/mkdir/mknod/symlink/link/rmdir operations. */
TEST_F(binderfs, no_create_ops)
{
	char p[RB_PATH_LEN], ctl[RB_PATH_LEN], buf[4096];

	rb_path(ctl, self->mnt, "binder-control");

	rb_path(p, self->mnt, "newdir");
	EXPECT_EQ(-1, mkdir(p, 0755));
	EXPECT_EQ(EPERM, errno);
	rb_path(p, self->mnt, "newfile");
	EXPECT_EQ(-1, open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	EXPECT_EQ(EACCES, errno);
	EXPECT_EQ(-1, creat(p, 0644));
	EXPECT_EQ(EACCES, errno);
	rb_path(p, self->mnt, "node");
	EXPECT_EQ(-1, mknod(p, S_IFCHR | 0600, makedev(1, 3)));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mknod(p, S_IFIFO | 0600, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, mknod(p, S_IFREG | 0600, 0));
	EXPECT_EQ(EACCES, errno);
	rb_path(p, self->mnt, "link");
	EXPECT_EQ(-1, symlink("binder-control", p));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, link(ctl, p));
	EXPECT_EQ(EPERM, errno);
	rb_path(p, self->mnt, "features");
	EXPECT_EQ(-1, rmdir(p));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, unlink(p));
	EXPECT_EQ(EISDIR, errno);

	/* Nor has features/ (simple_dir_inode_operations). */
	rb_path(p, self->mnt, "features/newdir");
	EXPECT_EQ(-1, mkdir(p, 0755));
	EXPECT_EQ(EPERM, errno);
	rb_path(p, self->mnt, "features/newfile");
	EXPECT_EQ(-1, creat(p, 0644));
	EXPECT_EQ(EACCES, errno);
	rb_path(p, self->mnt, "features/extended_error");
	EXPECT_EQ(-1, unlink(p));
	EXPECT_EQ(EPERM, errno);

	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ("binder-control,features", buf);
	rb_path(p, self->mnt, "features");
	ASSERT_EQ(0, rb_list_dir(p, buf, sizeof(buf)));
	EXPECT_STREQ("extended_error,freeze_notification,oneway_spam_detection", buf);
}

/* Every feature file reads "1\n". */
TEST_F(binderfs, features_read_one)
{
	char path[RB_PATH_LEN], buf[64];
	size_t i;

	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		snprintf(path, sizeof(path), "%s/features/%s", self->mnt,
			 features[i]);
		EXPECT_EQ(2, rb_read_file(path, buf, sizeof(buf)));
		EXPECT_STREQ("1\n", buf) {
			TH_LOG("feature %s", features[i]);
		}
	}
}

TEST_HARNESS_MAIN
