// SPDX-License-Identifier: GPL-2.0
/*
 * binderctl: a small command-line tool for binderfs and binder devices.
 *
 *   binderctl add MOUNTPOINT NAME   create device NAME (BINDER_CTL_ADD) and
 *                                   print its major and minor
 *   binderctl version DEVICE        print the device's protocol version
 *   binderctl features MOUNTPOINT   print each file of features/
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/android/binder.h>
#include <linux/android/binderfs.h>

static int add(const char *mnt, const char *name)
{
	struct binderfs_device dev = { 0 };
	char path[4096];
	int fd;

	if (strlen(name) > BINDERFS_MAX_NAME) {
		fprintf(stderr, "binderctl: name longer than %d\n", BINDERFS_MAX_NAME);
		return 1;
	}
	strcpy(dev.name, name);
	snprintf(path, sizeof(path), "%s/binder-control", mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BINDER_CTL_ADD, &dev) < 0) {
		fprintf(stderr, "binderctl: %s: %s\n", fd < 0 ? path : "BINDER_CTL_ADD",
			strerror(errno));
		return 1;
	}
	close(fd);
	printf("%s/%s: major %u minor %u\n", mnt, dev.name, dev.major, dev.minor);
	return 0;
}

static int version(const char *path)
{
	struct binder_version v = { 0 };
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, BINDER_VERSION, &v) < 0) {
		fprintf(stderr, "binderctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	close(fd);
	printf("%s: binder protocol version %d\n", path, v.protocol_version);
	return 0;
}

static int features(const char *mnt)
{
	char path[4096], buf[64];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/features", mnt);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "binderctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while ((e = readdir(d))) {
		ssize_t n;
		int fd;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/features/%s", mnt, e->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = 0;
		printf("  %-24s %s", e->d_name, n > 0 ? buf : "?\n");
	}
	closedir(d);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "add"))
		return add(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "version"))
		return version(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "features"))
		return features(argv[2]);
	fprintf(stderr, "usage: binderctl add MOUNTPOINT NAME | version DEVICE | features MOUNTPOINT\n");
	return 2;
}
