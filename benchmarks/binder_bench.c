// SPDX-License-Identifier: GPL-2.0
/*
 * binder_bench: synchronous binder round trips between a client and a
 * context-manager server, over raw BINDER_WRITE_READ (as libbinder does:
 * the server frees the request and replies in the write half, and reads
 * the next request in the read half of one ioctl).
 *
 *   binder_bench DEVICE [CALLS] [PAYLOAD_BYTES]
 *
 * Prints one line: "bench: size=.. calls=.. p50_ns=.. p90_ns=.. mean_ns=..".
 * Under TCG only ratios between drivers in the same setup mean anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/android/binder.h>

#define MAP_SIZE (1024 * 1024)
#define CODE_CALL 1
#define CODE_EXIT 2

struct wbuf {
	uint8_t b[256];
	size_t n;
};

static void put(struct wbuf *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

static void put32(struct wbuf *w, uint32_t v) { put(w, &v, 4); }
static void put64(struct wbuf *w, uint64_t v) { put(w, &v, 8); }

static int open_dev(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0 || mmap(NULL, MAP_SIZE, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED) {
		perror(path);
		exit(1);
	}
	return fd;
}

static int wr(int fd, struct wbuf *w, void *rbuf, size_t rsize, size_t *rcons)
{
	struct binder_write_read bwr = {
		.write_size = w ? w->n : 0,
		.write_buffer = (uintptr_t)(w ? w->b : NULL),
		.read_size = rsize,
		.read_buffer = (uintptr_t)rbuf,
	};
	int ret;

	do
		ret = ioctl(fd, BINDER_WRITE_READ, &bwr);
	while (ret < 0 && errno == EINTR);
	if (rcons)
		*rcons = bwr.read_consumed;
	return ret;
}

/* Walks a read buffer; returns the first BR_TRANSACTION/BR_REPLY found. */
static uint32_t scan(const uint8_t *p, size_t n, struct binder_transaction_data *out)
{
	size_t i = 0;

	while (i + 4 <= n) {
		uint32_t cmd;

		memcpy(&cmd, p + i, 4);
		i += 4;
		if (cmd == BR_TRANSACTION || cmd == BR_REPLY) {
			memcpy(out, p + i, sizeof(*out));
			return cmd;
		}
		if (cmd == BR_FAILED_REPLY || cmd == BR_DEAD_REPLY)
			return cmd;
		i += _IOC_SIZE(cmd);
	}
	return 0;
}

static void txn(struct wbuf *w, uint32_t cmd, uint32_t code, uint32_t flags,
		const void *data, size_t size)
{
	struct binder_transaction_data tr;

	memset(&tr, 0, sizeof(tr));
	tr.target.handle = 0;
	tr.code = code;
	tr.flags = flags;
	tr.data_size = size;
	tr.data.ptr.buffer = (uintptr_t)data;
	put32(w, cmd);
	put(w, &tr, sizeof(tr));
}

static void server(const char *path, size_t size, int ready)
{
	int fd = open_dev(path);
	static uint8_t rbuf[4096], payload[4096];
	struct binder_transaction_data t;
	struct wbuf w = { .n = 0 };
	uint64_t pending = 0;
	size_t rc;

	if (ioctl(fd, BINDER_SET_CONTEXT_MGR, 0)) {
		perror("BINDER_SET_CONTEXT_MGR");
		exit(1);
	}
	put32(&w, BC_ENTER_LOOPER);
	if (write(ready, "r", 1) != 1)
		exit(1);
	for (;;) {
		if (pending) {
			put32(&w, BC_FREE_BUFFER);
			put64(&w, pending);
			txn(&w, BC_REPLY, 0, 0, payload, size);
			pending = 0;
		}
		if (wr(fd, &w, rbuf, sizeof(rbuf), &rc))
			exit(1);
		w.n = 0;
		if (scan(rbuf, rc, &t) != BR_TRANSACTION)
			continue;
		if (t.code == CODE_EXIT)
			exit(0);
		pending = t.data.ptr.buffer;
	}
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/binderfs/binder";
	long calls = argc > 2 ? atol(argv[2]) : 2000;
	size_t size = argc > 3 ? (size_t)atol(argv[3]) : 64;
	static uint8_t rbuf[4096], payload[4096];
	struct binder_transaction_data t;
	uint64_t *lat, sum = 0;
	int pfd[2], fd;
	pid_t pid;
	char c;

	if (size > sizeof(payload) || calls < 1 || pipe(pfd))
		return 2;
	pid = fork();
	if (pid == 0)
		server(path, size, pfd[1]);
	if (read(pfd[0], &c, 1) != 1)
		return 1;
	fd = open_dev(path);
	lat = calloc(calls, sizeof(*lat));
	for (long i = 0; i < calls; i++) {
		struct timespec a, b;
		struct wbuf w = { .n = 0 };
		size_t rc;
		uint32_t cmd;

		clock_gettime(CLOCK_MONOTONIC, &a);
		txn(&w, BC_TRANSACTION, CODE_CALL, 0, payload, size);
		do {
			if (wr(fd, &w, rbuf, sizeof(rbuf), &rc))
				return 1;
			w.n = 0;
			cmd = scan(rbuf, rc, &t);
		} while (!cmd);
		if (cmd != BR_REPLY) {
			fprintf(stderr, "call %ld failed: %x\n", i, cmd);
			return 1;
		}
		w.n = 0;
		put32(&w, BC_FREE_BUFFER);
		put64(&w, t.data.ptr.buffer);
		if (wr(fd, &w, NULL, 0, NULL))
			return 1;
		clock_gettime(CLOCK_MONOTONIC, &b);
		lat[i] = (b.tv_sec - a.tv_sec) * 1000000000ull + b.tv_nsec - a.tv_nsec;
		sum += lat[i];
	}
	{
		struct wbuf w = { .n = 0 };

		txn(&w, BC_TRANSACTION, CODE_EXIT, TF_ONE_WAY, payload, 0);
		wr(fd, &w, NULL, 0, NULL);
	}
	waitpid(pid, NULL, 0);
	qsort(lat, calls, sizeof(*lat), cmp);
	printf("bench: size=%zu calls=%ld p50_ns=%llu p90_ns=%llu mean_ns=%llu\n", size, calls,
	       (unsigned long long)lat[calls / 2], (unsigned long long)lat[calls * 9 / 10],
	       (unsigned long long)(sum / calls));
	return 0;
}
