/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_binder: helpers shared by the binderfs kselftests.
 *
 * Every helper returns 0 (or a value >= 0) on success and -errno on
 * failure, so that tests can assert the exact errno the C driver gives.
 * The tests need the installed uapi headers of the test kernel
 * ($KDIR/usr-headers/include) and the kernel's kselftest_harness.h.
 */
#ifndef RB_BINDERFS_H
#define RB_BINDERFS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>
#include <linux/magic.h>

#include "kselftest_harness.h"

/* binderfs.c: BINDERFS_MAX_MINOR = 1 << MINORBITS */
#define RB_MAX_MINOR (1U << 20)
/* Unprivileged user the VM's /init provides (and tests setuid() to). */
#define RB_UNPRIV_UID 1000
#define RB_UNPRIV_GID 1000
/* Buffer size for a mount point path ("/tmp/binderfs_XXXXXX"). */
#define RB_MNT_LEN 64
/* Buffer size for a path below a mount point with a maximal name. */
#define RB_PATH_LEN (RB_MNT_LEN + BINDERFS_MAX_NAME + 64)

/* Enter a new mount namespace in which "/" is recursively private. */
static inline int rb_private_mountns(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

/* Make a fresh directory /tmp/binderfs_XXXXXX in dir (RB_MNT_LEN bytes). */
static inline int rb_mkdtemp(char *dir)
{
	snprintf(dir, RB_MNT_LEN, "/tmp/binderfs_XXXXXX");
	if (!mkdtemp(dir))
		return -errno;
	return 0;
}

/*
 * Mount a new binderfs instance with options opts (may be NULL) on a new
 * directory, whose path is stored in dir (RB_MNT_LEN bytes). On failure the
 * directory is removed again.
 */
static inline int rb_mount(char *dir, const char *opts)
{
	int ret = rb_mkdtemp(dir);

	if (ret)
		return ret;
	if (mount(NULL, dir, "binder", 0, opts)) {
		ret = -errno;
		rmdir(dir);
		return ret;
	}
	return 0;
}

/* Remount an instance with new options. */
static inline int rb_remount(const char *dir, const char *opts)
{
	if (mount(NULL, dir, NULL, MS_REMOUNT, opts))
		return -errno;
	return 0;
}

/* Lazily unmount dir and remove it. */
static inline int rb_umount(const char *dir)
{
	int ret = 0;

	if (umount2(dir, MNT_DETACH))
		ret = -errno;
	if (rmdir(dir) && !ret)
		ret = -errno;
	return ret;
}

/* buf (RB_PATH_LEN bytes) = mnt/name; "" if that doesn't fit. */
static inline void rb_path(char *buf, const char *mnt, const char *name)
{
	size_t lm = strlen(mnt), ln = strlen(name);

	buf[0] = '\0';
	if (lm + 1 + ln >= RB_PATH_LEN)
		return;
	memcpy(buf, mnt, lm);
	buf[lm] = '/';
	memcpy(buf + lm + 1, name, ln + 1);
}

static inline int rb_open(const char *mnt, const char *name, int flags)
{
	char path[RB_PATH_LEN];
	int fd;

	rb_path(path, mnt, name);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* BINDER_CTL_ADD on an open binder-control fd; dev->name must be set. */
static inline int rb_ctl_add_fd(int ctl, struct binderfs_device *dev)
{
	if (ioctl(ctl, BINDER_CTL_ADD, dev) < 0)
		return -errno;
	return 0;
}

/*
 * BINDER_CTL_ADD of a device called name in the instance mounted at mnt.
 * dev (may be NULL) receives the answer.
 */
static inline int rb_ctl_add(const char *mnt, const char *name,
			     struct binderfs_device *dev)
{
	struct binderfs_device tmp;
	int ctl, ret;

	if (!dev)
		dev = &tmp;
	memset(dev, 0, sizeof(*dev));
	memcpy(dev->name, name, strnlen(name, BINDERFS_MAX_NAME));
	ctl = rb_open(mnt, "binder-control", O_RDONLY);
	if (ctl < 0)
		return ctl;
	ret = rb_ctl_add_fd(ctl, dev);
	close(ctl);
	return ret;
}

/* BINDER_VERSION on an open binder device: returns the protocol version. */
static inline int rb_version_fd(int fd)
{
	struct binder_version v = { .protocol_version = -1 };

	if (ioctl(fd, BINDER_VERSION, &v) < 0)
		return -errno;
	return v.protocol_version;
}

/* Open mnt/name and return its BINDER_VERSION answer. */
static inline int rb_version(const char *mnt, const char *name)
{
	int fd = rb_open(mnt, name, O_RDWR), ret;

	if (fd < 0)
		return fd;
	ret = rb_version_fd(fd);
	close(fd);
	return ret;
}

static inline int rb_stat(const char *mnt, const char *name, struct stat *st)
{
	char path[RB_PATH_LEN];

	rb_path(path, mnt, name);
	if (stat(path, st))
		return -errno;
	return 0;
}

static inline bool rb_exists(const char *mnt, const char *name)
{
	struct stat st;

	return rb_stat(mnt, name, &st) == 0;
}

static inline int rb_unlink(const char *mnt, const char *name)
{
	char path[RB_PATH_LEN];

	rb_path(path, mnt, name);
	if (unlink(path))
		return -errno;
	return 0;
}

/* Read a whole (small) file into buf, NUL-terminated; returns its length. */
static inline int rb_read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;
	int ret = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < len - 1) {
		n = read(fd, buf + total, len - 1 - total);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return ret ? ret : (int)total;
}

static inline int rb_write_file(const char *path, const char *buf)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, buf, strlen(buf));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(buf))
		ret = -EIO;
	close(fd);
	return ret;
}

static inline int rb_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The sorted, comma-separated names in a directory (without "." and ".."),
 * e.g. "binder-control,features".
 */
static inline int rb_list_dir(const char *path, char *buf, size_t len)
{
	char *names[512];
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(path);
	int ret = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == sizeof(names) / sizeof(names[0])) {
			ret = -E2BIG;
			break;
		}
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), rb_cmp_str);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i)
			strncat(buf, ",", len - strlen(buf) - 1);
		strncat(buf, names[i], len - strlen(buf) - 1);
		free(names[i]);
	}
	return ret;
}

/*
 * The filesystem type and super block options /proc/self/mountinfo shows
 * for the mount at mnt (the last such line, i.e. the topmost mount).
 */
static inline int rb_mountinfo(const char *mnt, char *fstype, char *opts,
			       size_t len)
{
	char line[4096];
	int found = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *tok, *fields[64];
		int n = 0, i;

		line[strcspn(line, "\n")] = '\0';
		for (tok = strtok_r(line, " ", &save); tok && n < 64;
		     tok = strtok_r(NULL, " ", &save))
			fields[n++] = tok;
		if (n < 10 || strcmp(fields[4], mnt))
			continue;
		for (i = 6; i < n; i++)
			if (!strcmp(fields[i], "-"))
				break;
		if (i + 3 >= n)
			continue;
		snprintf(fstype, len, "%s", fields[i + 1]);
		snprintf(opts, len, "%s", fields[i + 3]);
		found = 0;
	}
	fclose(f);
	return found;
}

/*
 * Write the maps of the caller (just after unshare(CLONE_NEWUSER)): its
 * outer uid/gid become inner inside the new user namespace.
 */
static inline int rb_map_self(unsigned int inner, uid_t outer_uid,
			      gid_t outer_gid)
{
	char map[64];
	int ret;

	ret = rb_write_file("/proc/self/setgroups", "deny");
	if (ret && ret != -ENOENT)
		return ret;
	snprintf(map, sizeof(map), "%u %u 1\n", inner, (unsigned int)outer_uid);
	ret = rb_write_file("/proc/self/uid_map", map);
	if (ret)
		return ret;
	snprintf(map, sizeof(map), "%u %u 1\n", inner, (unsigned int)outer_gid);
	return rb_write_file("/proc/self/gid_map", map);
}

/* Make the caller root of its new user namespace: "0 <outer id> 1". */
static inline int rb_map_self_to_root(uid_t outer_uid, gid_t outer_gid)
{
	return rb_map_self(0, outer_uid, outer_gid);
}

/*
 * Drop to the unprivileged user. Stay dumpable, so that /proc/self/uid_map
 * and friends stay owned by us (a uid change makes a task non-dumpable).
 */
static inline int rb_become_unpriv(void)
{
	if (setgroups(0, NULL) || setgid(RB_UNPRIV_GID) ||
	    setuid(RB_UNPRIV_UID))
		return -errno;
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0))
		return -errno;
	return 0;
}

/*
 * Become the unprivileged user (RB_UNPRIV_UID) and then root of a new user
 * namespace with its own (private) mount namespace. For forked children.
 */
static inline int rb_enter_unpriv_userns(void)
{
	int ret = rb_become_unpriv();

	if (ret)
		return ret;
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		return -errno;
	return rb_map_self_to_root(RB_UNPRIV_UID, RB_UNPRIV_GID);
}

/* Wait for a child; returns its exit code, or -1 if it didn't exit. */
static inline int rb_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

#endif /* RB_BINDERFS_H */
