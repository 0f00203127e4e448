// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: binderfs in user namespaces. An unprivileged user (uid/gid
 * 1000, which the VM's /init provides) makes a user + mount namespace, is
 * root there and mounts binderfs (FS_USERNS_MOUNT). The instance's root
 * and devices belong to the namespace's root; stats=global is refused.
 *
 * The C driver (drivers/android/binderfs.c) is the oracle. Checks inside
 * forked children use the harness's ASSERT/EXPECT: the test's metadata is
 * shared memory, so a failure there fails the test.
 */
#include "rb_binderfs.h"

FIXTURE(binderfs_userns) {
	int unused;
};

FIXTURE_SETUP(binderfs_userns)
{
}

FIXTURE_TEARDOWN(binderfs_userns)
{
}

/* Without a user namespace, the unprivileged user can't mount binderfs. */
TEST_F(binderfs_userns, unpriv_mount_eperm)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char m[RB_MNT_LEN];

		ASSERT_EQ(0, rb_private_mountns());
		ASSERT_EQ(0, rb_become_unpriv());
		ASSERT_EQ(0, rb_mkdtemp(m));
		EXPECT_EQ(-1, mount(NULL, m, "binder", 0, NULL));
		EXPECT_EQ(EPERM, errno);
		rmdir(m);
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
}

/* The unprivileged user can't open root's 0600 binder nodes. */
TEST_F(binderfs_userns, unpriv_open_eacces)
{
	pid_t pid = fork();

	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char m[RB_MNT_LEN];

		ASSERT_EQ(0, rb_private_mountns());
		ASSERT_EQ(0, rb_mount(m, NULL));
		ASSERT_EQ(0, rb_ctl_add(m, "dev", NULL));
		ASSERT_EQ(0, rb_become_unpriv());
		EXPECT_EQ(-EACCES, rb_open(m, "binder-control", O_RDONLY));
		EXPECT_EQ(-EACCES, rb_open(m, "dev", O_RDWR));
		EXPECT_EQ(-EACCES, rb_ctl_add(m, "other", NULL));
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
}

/*
 * Mount in a user namespace: everything works as root of the namespace,
 * the nodes belong to the namespace's root (uid 1000 outside), and
 * stats=global is refused.
 */
TEST_F(binderfs_userns, userns_mount)
{
	int to_parent[2], to_child[2];
	char m[RB_MNT_LEN], path[RB_PATH_LEN + 64];
	struct stat st;
	pid_t pid;
	int fd;
	char c;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct binderfs_device dev;
		char m2[RB_MNT_LEN], buf[4096];

		close(to_parent[0]);
		close(to_child[1]);
		ASSERT_EQ(0, rb_enter_unpriv_userns());
		EXPECT_EQ(0, getuid());
		ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		ASSERT_EQ(0, rb_mount(m, NULL));

		ASSERT_EQ(0, stat(m, &st));
		EXPECT_EQ(0, st.st_uid);
		EXPECT_EQ(0, st.st_gid);
		EXPECT_EQ(0755, st.st_mode & 07777);
		ASSERT_EQ(0, rb_list_dir(m, buf, sizeof(buf)));
		EXPECT_STREQ("binder-control,features", buf);

		ASSERT_EQ(0, rb_ctl_add(m, "userns-dev", &dev));
		ASSERT_EQ(0, rb_stat(m, "userns-dev", &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
		EXPECT_EQ(0, st.st_gid);
		EXPECT_EQ(makedev(dev.major, dev.minor), st.st_rdev);
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
			  rb_version(m, "userns-dev"));
		EXPECT_EQ(0, rb_unlink(m, "userns-dev"));
		ASSERT_EQ(0, rb_ctl_add(m, "userns-dev", &dev));

		/* stats=global needs CAP_SYS_ADMIN in the initial namespace. */
		EXPECT_EQ(-EPERM, rb_mount(m2, "stats=global"));
		EXPECT_EQ(-EPERM, rb_mount(m2, "max=4,stats=global"));
		EXPECT_EQ(-EPERM, rb_remount(m, "stats=global"));

		/* max= works in a user namespace. */
		ASSERT_EQ(0, rb_mount(m2, "max=1"));
		EXPECT_EQ(0, rb_ctl_add(m2, "a", NULL));
		EXPECT_EQ(-ENOSPC, rb_ctl_add(m2, "b", NULL));
		EXPECT_EQ(0, rb_remount(m2, "max=2"));
		EXPECT_EQ(0, rb_ctl_add(m2, "b", NULL));
		EXPECT_EQ(0, rb_umount(m2));

		/* Let the parent look from outside, then finish. */
		ASSERT_EQ(RB_MNT_LEN, write(to_parent[1], m, RB_MNT_LEN));
		ASSERT_EQ(1, read(to_child[0], &c, 1));
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(RB_MNT_LEN, read(to_parent[0], m, RB_MNT_LEN));

	/* Seen from the initial namespaces: owned by uid/gid 1000. */
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(RB_UNPRIV_UID, st.st_uid);
	EXPECT_EQ(RB_UNPRIV_GID, st.st_gid);
	snprintf(path, sizeof(path), "/proc/%d/root%s/binder-control", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(RB_UNPRIV_UID, st.st_uid);
	EXPECT_EQ(RB_UNPRIV_GID, st.st_gid);
	snprintf(path, sizeof(path), "/proc/%d/root%s/userns-dev", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(RB_UNPRIV_UID, st.st_uid);
	EXPECT_EQ(RB_UNPRIV_GID, st.st_gid);
	/* The initial root can use the namespace's devices too. */
	fd = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION, rb_version_fd(fd));
	close(fd);

	ASSERT_EQ(1, write(to_child[1], "1", 1));
	EXPECT_EQ(0, rb_wait(pid));
	close(to_parent[0]);
	close(to_child[1]);
}

/*
 * A user namespace that doesn't map uid/gid 0: binder-control and the
 * devices fall back to the global root (binderfs_fill_super: GLOBAL_ROOT_UID/
 * GID). That owner isn't mapped in the namespace, so its capabilities don't
 * override the 0600 of binder-control: opening it fails with EACCES there.
 * The root directory keeps new_inode()'s owner, uid/gid 0 of the namespace,
 * which is invalid here: it reads as the overflow id (65534) everywhere.
 */
TEST_F(binderfs_userns, userns_unmapped_root)
{
	int to_parent[2], to_child[2];
	char m[RB_MNT_LEN], path[RB_PATH_LEN + 64];
	struct stat st;
	struct binderfs_device dev = { .name = "from-outside" };
	pid_t pid;
	int ctl;
	char c;

	ASSERT_EQ(0, pipe(to_parent));
	ASSERT_EQ(0, pipe(to_child));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		ASSERT_EQ(0, rb_become_unpriv());
		ASSERT_EQ(0, unshare(CLONE_NEWUSER | CLONE_NEWNS));
		ASSERT_EQ(0, rb_map_self(1, RB_UNPRIV_UID, RB_UNPRIV_GID));
		EXPECT_EQ(1, getuid());
		ASSERT_EQ(0, mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
		ASSERT_EQ(0, rb_mount(m, NULL));
		/* Unmapped global root reads as the overflow id inside. */
		ASSERT_EQ(0, stat(m, &st));
		EXPECT_EQ(65534, st.st_uid);
		EXPECT_EQ(65534, st.st_gid);
		ASSERT_EQ(0, rb_stat(m, "binder-control", &st));
		EXPECT_EQ(65534, st.st_uid);
		EXPECT_EQ(-EACCES, rb_open(m, "binder-control", O_RDONLY));
		ASSERT_EQ(RB_MNT_LEN, write(to_parent[1], m, RB_MNT_LEN));
		ASSERT_EQ(1, read(to_child[0], &c, 1));
		_exit(0);
	}
	close(to_parent[1]);
	close(to_child[0]);
	ASSERT_EQ(RB_MNT_LEN, read(to_parent[0], m, RB_MNT_LEN));
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(65534, st.st_uid);
	EXPECT_EQ(65534, st.st_gid);
	snprintf(path, sizeof(path), "/proc/%d/root%s/binder-control", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
	/* The initial root can use it. */
	ctl = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_GE(ctl, 0);
	EXPECT_EQ(0, rb_ctl_add_fd(ctl, &dev));
	close(ctl);
	snprintf(path, sizeof(path), "/proc/%d/root%s/from-outside", pid, m);
	ASSERT_EQ(0, stat(path, &st));
	EXPECT_EQ(0, st.st_uid);
	ASSERT_EQ(1, write(to_child[1], "1", 1));
	EXPECT_EQ(0, rb_wait(pid));
	close(to_parent[0]);
	close(to_child[1]);
}

/* Instances in a user namespace and in the initial one are independent. */
TEST_F(binderfs_userns, userns_instances_independent)
{
	pid_t pid;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char outer[RB_MNT_LEN], inner[RB_MNT_LEN];

		ASSERT_EQ(0, rb_private_mountns());
		ASSERT_EQ(0, rb_mount(outer, NULL));
		ASSERT_EQ(0, rb_ctl_add(outer, "outer-dev", NULL));
		ASSERT_EQ(0, rb_enter_unpriv_userns());
		ASSERT_EQ(0, rb_mount(inner, NULL));
		EXPECT_FALSE(rb_exists(inner, "outer-dev"));
		EXPECT_EQ(0, rb_ctl_add(inner, "outer-dev", NULL));
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
			  rb_version(inner, "outer-dev"));
		EXPECT_EQ(0, rb_umount(inner));
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
}

TEST_HARNESS_MAIN
