/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_binder stress tests: the leak oracle.
 *
 * binderfs mounted with "stats=global" has binder_logs/stats, whose first
 * section is the module-wide counters of the C driver's
 * print_binder_stats():
 *
 *   binder stats:
 *   BC_TRANSACTION: 12
 *   ...
 *   proc: active 1 total 3
 *   thread: active 2 total 7
 *   ...
 *   proc 1234                 <- per-process sections follow
 *
 * An "active" count is objects created minus objects deleted (proc,
 * thread, node, ref, death, transaction, transaction_complete, freeze).
 * Once the processes of a test case are gone (and the driver's deferred
 * release has run), every active count must be back to its baseline
 * (zero, or what the surviving test processes hold), and no "proc PID"
 * section may name a process of the case.
 *
 * Known oracle bug: the C driver (6.12) resets a node's local strong count
 * to 0 when its owner dies (binder_node_release()) although a transaction
 * being built still holds one (binder_get_node_refs_for_txn()); the
 * transaction's clean-up then takes it to -1 and the dead node is never
 * freed ("ls -1" on its line under "dead nodes:" in binder_logs/state).
 * With binder_linux loaded, such dead nodes are not counted in "node"
 * (lo_stats.c_bug_nodes says how many there were; lo_fmt() shows them).
 *
 * Header-only (static functions) so that each stress program can use it
 * without another object file.
 */
#ifndef LEAK_ORACLE_H
#define LEAK_ORACLE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LO_NOBJ 8
static const char *const lo_obj_names[LO_NOBJ] = {
	"proc", "thread", "node", "ref", "death", "transaction",
	"transaction_complete", "freeze",
};

#define LO_MAX_PROCS 256
struct lo_stats {
	long active[LO_NOBJ];
	long total[LO_NOBJ];
	int nprocs;			/* "proc PID" sections */
	int procs[LO_MAX_PROCS];
	int c_bug_nodes;		/* C driver: dead nodes with "ls -1", not counted */
};

static __attribute__((unused)) long lo_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static __attribute__((unused)) void lo_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Read all of a (small) file into a malloc'd NUL-terminated buffer. */
static __attribute__((unused)) char *lo_slurp(const char *path, size_t *lenp)
{
	size_t cap = 65536, len = 0;
	char *buf = malloc(cap);
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/* Is the C driver (binder_linux) the one loaded? */
static __attribute__((unused)) bool lo_c_driver(void)
{
	static int is_c = -1;

	if (is_c < 0) {
		char *m = lo_slurp("/proc/modules", NULL);

		is_c = m && (strncmp(m, "binder_linux ", 13) == 0 || strstr(m, "\nbinder_linux "));
		free(m);
	}
	return is_c;
}

/* Dead nodes of the known C driver leak (see above) in binder_logs/state. */
static __attribute__((unused)) int lo_c_bug_nodes(const char *mnt)
{
	char path[256], *buf, *line, *save = NULL;
	bool in_dead = false;
	int n = 0;

	snprintf(path, sizeof(path), "%s/binder_logs/state", mnt);
	buf = lo_slurp(path, NULL);
	if (!buf)
		return 0;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(line, "dead nodes:")) {
			in_dead = true;
			continue;
		}
		if (in_dead && strncmp(line, "  node ", 7))
			break;
		if (in_dead && strstr(line, " ls -1 "))
			n++;
	}
	free(buf);
	return n;
}

/* Parse binder_logs/stats of binderfs mount mnt. 0 or -errno. */
static __attribute__((unused)) int lo_read(const char *mnt, struct lo_stats *s)
{
	char path[256], *buf, *line, *save = NULL;
	bool global = true;

	memset(s, 0, sizeof(*s));
	snprintf(path, sizeof(path), "%s/binder_logs/stats", mnt);
	buf = lo_slurp(path, NULL);
	if (!buf)
		return -errno ? -errno : -EIO;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		int pid, i;

		if (sscanf(line, "proc %d", &pid) == 1 && line[0] == 'p' &&
		    !strchr(line, ':')) {
			global = false;
			if (s->nprocs < LO_MAX_PROCS)
				s->procs[s->nprocs++] = pid;
			continue;
		}
		if (!global)
			continue;
		for (i = 0; i < LO_NOBJ; i++) {
			size_t n = strlen(lo_obj_names[i]);
			long a, t;

			if (strncmp(line, lo_obj_names[i], n) || line[n] != ':')
				continue;
			if (sscanf(line + n + 1, " active %ld total %ld", &a, &t) == 2) {
				s->active[i] = a;
				s->total[i] = t;
			}
		}
	}
	free(buf);
	if (lo_c_driver()) {
		s->c_bug_nodes = lo_c_bug_nodes(mnt);
		s->active[2] -= s->c_bug_nodes;
	}
	return 0;
}

/* true if every active count of s equals base's. */
static __attribute__((unused)) bool lo_same(const struct lo_stats *s, const struct lo_stats *base)
{
	int i;

	for (i = 0; i < LO_NOBJ; i++)
		if (s->active[i] != base->active[i])
			return false;
	return true;
}

/* "node +1 ref +2" style difference (static buffer). */
static __attribute__((unused)) const char *lo_diff(const struct lo_stats *s, const struct lo_stats *base)
{
	static char buf[512];
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < LO_NOBJ; i++) {
		long d = s->active[i] - base->active[i];

		if (d && len < sizeof(buf) - 40)
			len += snprintf(buf + len, sizeof(buf) - len, "%s%s %+ld (active %ld)",
					len ? ", " : "", lo_obj_names[i], d,
					s->active[i]);
	}
	return len ? buf : "none";
}

/* Active counts on one line (static buffer). */
static __attribute__((unused)) const char *lo_fmt(const struct lo_stats *s)
{
	static char buf[512];
	size_t len = 0;
	int i;

	for (i = 0; i < LO_NOBJ; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "%s%s=%ld",
				i ? " " : "", lo_obj_names[i], s->active[i]);
	if (s->c_bug_nodes)
		snprintf(buf + len, sizeof(buf) - len,
			 " [not counted: %d dead nodes with ls -1, a C driver leak]",
			 s->c_bug_nodes);
	return buf;
}

/*
 * Wait (up to timeout_ms, polling) until the active counts equal base's
 * (base NULL: all zero). 0 when settled; -ETIMEDOUT (last reading in out,
 * if out != NULL) or -errno if stats can't be read.
 */
static __attribute__((unused)) int lo_wait_settled(const char *mnt, const struct lo_stats *base,
			   int timeout_ms, struct lo_stats *out)
{
	struct lo_stats zero, cur;
	long deadline = lo_now_ms() + timeout_ms;
	int ret, sleep_ms = 2;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!base) {
		memset(&zero, 0, sizeof(zero));
		base = &zero;
	}
	for (;;) {
		ret = lo_read(mnt, &cur);
		if (ret)
			return ret;
		if (out)
			*out = cur;
		if (lo_same(&cur, base))
			return 0;
		if (lo_now_ms() > deadline)
			return -ETIMEDOUT;
		lo_sleep_ms(sleep_ms);
		if (sleep_ms < 100)
			sleep_ms *= 2;
	}
}

/* Is pid among the "proc PID" sections of s? */
static __attribute__((unused)) bool lo_has_proc(const struct lo_stats *s, int pid)
{
	int i;

	for (i = 0; i < s->nprocs; i++)
		if (s->procs[i] == pid)
			return true;
	return false;
}

/*
 * Print (as TAP comments, to stream f) the first max_lines lines of
 * binder_logs/NAME: what is left over when the oracle fails.
 */
static __attribute__((unused)) void lo_dump(FILE *f, const char *mnt, const char *name, int max_lines)
{
	char path[256], *buf, *p;
	int n = 0;

	snprintf(path, sizeof(path), "%s/binder_logs/%s", mnt, name);
	buf = lo_slurp(path, NULL);
	if (!buf) {
		fprintf(f, "# (can't read %s: %s)\n", path, strerror(errno));
		return;
	}
	fprintf(f, "# --- binder_logs/%s ---\n", name);
	for (p = strtok(buf, "\n"); p && n < max_lines; p = strtok(NULL, "\n"), n++)
		fprintf(f, "#   %s\n", p);
	if (p)
		fprintf(f, "#   ...\n");
	free(buf);
}

#endif /* LEAK_ORACLE_H */
