// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder: the driver's devices= module parameter. Every new binderfs
 * instance starts with those devices (binderfs_fill_super()).
 *
 * Run in a VM whose driver was loaded with devices=binder,hwbinder,vndbinder
 * (scripts/run-vm.sh --params devices=...). RB_BINDER_DEVICES in the
 * environment overrides the expected list (comma-separated).
 * The C driver (drivers/android/binderfs.c) is the oracle.
 */
#include "rb_binderfs.h"

#define RB_DEFAULT_DEVICES "binder,hwbinder,vndbinder"

FIXTURE(binderfs_devices) {
	char mnt[RB_MNT_LEN];
	char *names[16];
	int count;
};

FIXTURE_SETUP(binderfs_devices)
{
	const char *env = getenv("RB_BINDER_DEVICES");
	char *copy, *tok, *save = NULL;

	copy = strdup(env && *env ? env : RB_DEFAULT_DEVICES);
	ASSERT_NE(NULL, copy);
	self->count = 0;
	for (tok = strtok_r(copy, ",", &save); tok && self->count < 16;
	     tok = strtok_r(NULL, ",", &save))
		self->names[self->count++] = tok;
	ASSERT_GT(self->count, 0);
	ASSERT_EQ(0, rb_private_mountns());
	ASSERT_EQ(0, rb_mount(self->mnt, NULL));
}

FIXTURE_TEARDOWN(binderfs_devices)
{
	rb_umount(self->mnt);
}

/* The sorted listing of a fresh instance: devices + binder-control + features. */
static void expected_listing(FIXTURE_DATA(binderfs_devices) *self, char *buf,
			     size_t len)
{
	const char *all[20];
	int n = 0, i;

	all[n++] = "binder-control";
	all[n++] = "features";
	for (i = 0; i < self->count; i++)
		all[n++] = self->names[i];
	qsort(all, n, sizeof(char *), rb_cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strncat(buf, ",", len - strlen(buf) - 1);
		strncat(buf, all[i], len - strlen(buf) - 1);
	}
}

TEST_F(binderfs_devices, present)
{
	char buf[4096], want[4096];
	struct stat st, ctl;
	dev_t seen[16];
	int i, j;

	expected_listing(self, want, sizeof(want));
	ASSERT_EQ(0, rb_list_dir(self->mnt, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
	ASSERT_EQ(0, rb_stat(self->mnt, "binder-control", &ctl));
	for (i = 0; i < self->count; i++) {
		ASSERT_EQ(0, rb_stat(self->mnt, self->names[i], &st));
		EXPECT_TRUE(S_ISCHR(st.st_mode));
		EXPECT_EQ(0600, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid);
		EXPECT_EQ(0, st.st_gid);
		EXPECT_EQ(major(ctl.st_rdev), major(st.st_rdev));
		EXPECT_NE(ctl.st_rdev, st.st_rdev);
		EXPECT_EQ(minor(st.st_rdev) + 3, st.st_ino);
		seen[i] = st.st_rdev;
		for (j = 0; j < i; j++)
			EXPECT_NE(seen[j], seen[i]);
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
			  rb_version(self->mnt, self->names[i])) {
			TH_LOG("device %s", self->names[i]);
		}
	}
}

/* Every instance gets its own set; unlinking in one leaves the other. */
TEST_F(binderfs_devices, per_instance)
{
	char other[RB_MNT_LEN], buf[4096], want[4096];
	struct stat a, b;
	int i;

	ASSERT_EQ(0, rb_mount(other, NULL));
	expected_listing(self, want, sizeof(want));
	ASSERT_EQ(0, rb_list_dir(other, buf, sizeof(buf)));
	EXPECT_STREQ(want, buf);
	for (i = 0; i < self->count; i++) {
		ASSERT_EQ(0, rb_stat(self->mnt, self->names[i], &a));
		ASSERT_EQ(0, rb_stat(other, self->names[i], &b));
		EXPECT_NE(a.st_rdev, b.st_rdev);
	}
	ASSERT_EQ(0, rb_unlink(other, self->names[0]));
	EXPECT_FALSE(rb_exists(other, self->names[0]));
	EXPECT_TRUE(rb_exists(self->mnt, self->names[0]));
	EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
		  rb_version(self->mnt, self->names[0]));
	/* The name is free in that instance again. */
	EXPECT_EQ(0, rb_ctl_add(other, self->names[0], NULL));
	/* Duplicate of a default device. */
	EXPECT_EQ(-EEXIST, rb_ctl_add(self->mnt, self->names[0], NULL));
	EXPECT_EQ(0, rb_umount(other));
}

/* The default devices count against max=; too many and the mount fails. */
TEST_F(binderfs_devices, count_against_max)
{
	char m[RB_MNT_LEN], opts[64];

	snprintf(opts, sizeof(opts), "max=%d", self->count);
	ASSERT_EQ(0, rb_mount(m, opts));
	EXPECT_EQ(-ENOSPC, rb_ctl_add(m, "extra", NULL));
	ASSERT_EQ(0, rb_unlink(m, self->names[0]));
	EXPECT_EQ(0, rb_ctl_add(m, "extra", NULL));
	EXPECT_EQ(0, rb_umount(m));

	snprintf(opts, sizeof(opts), "max=%d", self->count - 1);
	EXPECT_EQ(-ENOSPC, rb_mount(m, opts));
	EXPECT_EQ(-ENOSPC, rb_mount(m, "max=0"));

	/* Nothing leaked: a normal mount still works. */
	ASSERT_EQ(0, rb_mount(m, NULL));
	EXPECT_EQ(0, rb_ctl_add(m, "extra", NULL));
	EXPECT_EQ(0, rb_umount(m));
}

/* stats=global instances get the devices too. */
TEST_F(binderfs_devices, with_stats_global)
{
	char m[RB_MNT_LEN];
	int i;

	ASSERT_EQ(0, rb_mount(m, "stats=global"));
	EXPECT_TRUE(rb_exists(m, "binder_logs"));
	for (i = 0; i < self->count; i++)
		EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
			  rb_version(m, self->names[i]));
	EXPECT_EQ(0, rb_umount(m));
}

/* A user namespace's instance has them too, owned by its root. */
TEST_F(binderfs_devices, in_userns)
{
	char buf[4096], want[4096];
	pid_t pid;

	expected_listing(self, want, sizeof(want));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		char m[RB_MNT_LEN];
		struct stat st;
		int i;

		ASSERT_EQ(0, rb_enter_unpriv_userns());
		ASSERT_EQ(0, rb_mount(m, NULL));
		ASSERT_EQ(0, rb_list_dir(m, buf, sizeof(buf)));
		EXPECT_STREQ(want, buf);
		for (i = 0; i < self->count; i++) {
			ASSERT_EQ(0, rb_stat(m, self->names[i], &st));
			EXPECT_EQ(0, st.st_uid);
			EXPECT_EQ(0, st.st_gid);
			EXPECT_EQ(BINDER_CURRENT_PROTOCOL_VERSION,
				  rb_version(m, self->names[i]));
		}
		EXPECT_EQ(0, rb_umount(m));
		_exit(0);
	}
	EXPECT_EQ(0, rb_wait(pid));
}

TEST_HARNESS_MAIN
