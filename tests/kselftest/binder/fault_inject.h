/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fault injection for the binder tests (Documentation/fault-injection):
 * failslab and fail_page_alloc driven per thread, either systematically
 * with /proc/self/task/<tid>/fail-nth (the N-th allocation of the thread
 * fails) or randomly with make-it-fail (every allocation fails with a
 * probability: random_pct). Used by binder_leak_test (regressions) and
 * tests/stress/stress_failnth.
 *
 * fi_setup() configures both capabilities: task-filter Y (nothing fails
 * unless a task asks), probability 100 (or random_pct), interval 1,
 * times -1, ignore-gfp-wait N, fail_page_alloc ignore-gfp-highmem N and
 * min-order 0; with CONFIG_FAULT_INJECTION_STACKTRACE_FILTER,
 * require-start/require-end are the binder module's range so that only
 * allocations with the module on the stack count.
 */
#ifndef BINDER_FAULT_INJECT_H
#define BINDER_FAULT_INJECT_H

#include "binder_test_lib.h"

static int random_pct;		/* random mode: see fn_arm() */
static const char *fi_verbose = "0";	/* "2": a stack trace per injected failure */

static int fi_write(const char *cap, const char *file, const char *val)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/debug/%s/%s", cap, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static bool fi_module_range(unsigned long *start, unsigned long *end, char *name, size_t len)
{
	FILE *f = fopen("/proc/modules", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char mod[64];
		unsigned long size, addr;

		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", mod, &size, &addr) != 3)
			continue;
		if (strcmp(mod, "binder_linux") && strcmp(mod, "rust_binder"))
			continue;
		snprintf(name, len, "%s", mod);
		*start = addr;
		*end = addr + size;
		found = addr != 0;
	}
	fclose(f);
	return found;
}

static int fi_setup(void)
{
	static const char *const caps[] = { "failslab", "fail_page_alloc" };
	unsigned long ms = 0, me = 0;
	char mod[64] = "?", buf[32];
	bool range;
	size_t i;
	int ret;

	range = fi_module_range(&ms, &me, mod, sizeof(mod));
	for (i = 0; i < 2; i++) {
		const char *c = caps[i];

		ret = fi_write(c, "task-filter", "Y");
		if (ret) {
			printf("# no /sys/kernel/debug/%s (CONFIG_FAULT_INJECTION_DEBUG_FS?): %s\n",
			       c, strerror(-ret));
			return ret;
		}
		fi_write(c, "ignore-gfp-wait", "N");
		fi_write(c, "verbose", fi_verbose);
		if (random_pct) {
			snprintf(buf, sizeof(buf), "%d", random_pct);
			fi_write(c, "probability", buf);
			fi_write(c, "times", "1000000000");
		} else {
			fi_write(c, "probability", "100");
			fi_write(c, "times", "-1");
		}
		fi_write(c, "interval", "1");
		fi_write(c, "space", "0");
		if (range) {
			snprintf(buf, sizeof(buf), "%lu", ms);
			if (fi_write(c, "require-start", buf) == 0) {
				snprintf(buf, sizeof(buf), "%lu", me);
				fi_write(c, "require-end", buf);
				fi_write(c, "stacktrace-depth", "32");
				if (i == 0)
					printf("# fail-nth restricted to %s [%#lx, %#lx)\n", mod, ms, me);
			} else if (i == 0) {
				printf("# no require-start (CONFIG_FAULT_INJECTION_STACKTRACE_FILTER off):"
				       " every allocation in the system call counts\n");
			}
		}
	}
	fi_write("fail_page_alloc", "ignore-gfp-highmem", "N");
	fi_write("fail_page_alloc", "min-order", "0");
	return 0;
}

static void fi_teardown(void)
{
	fi_write("failslab", "probability", "0");
	fi_write("fail_page_alloc", "probability", "0");
	fi_write("failslab", "task-filter", "N");
	fi_write("fail_page_alloc", "task-filter", "N");
}

/*
 * Random mode (-r): instead of fail-nth, the operation runs with
 * make-it-fail set for the thread, so that every allocation in it fails
 * with the probability -p; consecutive failures happen too. That reaches
 * what fail-nth can't: kvrealloc() (the growth of every KVec/KVVec) retries
 * a failed krealloc() with kvmalloc(), so a single injected failure there
 * is absorbed and the caller's error path is never taken. Whether a
 * failure was injected is seen from the "times" counters (set to a large
 * number, decremented per injected failure).
 */
/* fail-nth (or make-it-fail) of the calling thread. */
static __thread int fn_fd = -1;
static __thread long fn_times_before;

/* Sum of the "times" counters (debugfs attributes are not seekable: reopen). */
static long fn_times(void)
{
	static const char *const f[] = { "/sys/kernel/debug/failslab/times",
					 "/sys/kernel/debug/fail_page_alloc/times" };
	long t = 0;
	int i;

	for (i = 0; i < 2; i++) {
		char b[32] = { 0 };
		int fd = open(f[i], O_RDONLY | O_CLOEXEC);

		if (fd >= 0 && read(fd, b, sizeof(b) - 1) > 0)
			t += atol(b);
		if (fd >= 0)
			close(fd);
	}
	return t;
}

static int fn_open(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", bt_gettid(),
		 random_pct ? "make-it-fail" : "fail-nth");
	fn_fd = open(path, O_RDWR | O_CLOEXEC);
	return fn_fd < 0 ? -errno : 0;
}

static inline void fn_arm(int n)
{
	char b[16];
	int l;

	if (random_pct) {
		fn_times_before = fn_times();
		if (pwrite(fn_fd, "1", 1, 0) != 1)
			BT_CHECK(!"make-it-fail write");
		return;
	}
	l = snprintf(b, sizeof(b), "%d", n);
	if (pwrite(fn_fd, b, l, 0) != l)
		BT_CHECK(!"fail-nth write");
}

/* Disarm; true if a failure was injected. errno is kept (the operation's). */
static inline bool fn_disarm(void)
{
	char b[16] = { 0 };
	int saved = errno;
	bool injected;

	if (random_pct) {
		if (pwrite(fn_fd, "0", 1, 0) != 1)
			BT_CHECK(!"make-it-fail reset");
		injected = fn_times() != fn_times_before;
		errno = saved;
		return injected;
	}
	if (pread(fn_fd, b, sizeof(b) - 1, 0) <= 0)
		b[0] = '?';
	injected = atoi(b) == 0 && b[0] == '0';
	if (pwrite(fn_fd, "0", 1, 0) != 1)
		BT_CHECK(!"fail-nth reset");
	errno = saved;
	return injected;
}

#endif /* BINDER_FAULT_INJECT_H */
