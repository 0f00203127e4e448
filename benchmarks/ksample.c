// SPDX-License-Identifier: GPL-2.0
/*
 * ksample: a small sampling profiler of kernel time, module functions
 * included (Rust functions have no ftrace hooks, so the function profiler
 * of benchmarks/profile.sh can't see rust_binder's own code; a sampling
 * profiler sees every function the CPU is in).
 *
 *   ksample [-F HZ] [-n TOP] [-c] [-i] [-L|-r] [-o OUT] -- CMD ARGS...
 *
 *   -F HZ    samples per second per CPU (default 1000)
 *   -n TOP   print the TOP functions with the most samples (default 60)
 *   -c       also print the samples per module: rust_binder / binder_linux
 *            against the rest of the kernel (and the kernel image's own
 *            Rust code: the kernel crate and rust_helper_* functions)
 *   -i       count the idle tasks' samples in the table (default: reported
 *            on their own line only, percentages are of the non-idle ones)
 *   -L       Rust names demangled in full (default: short, with type paths
 *            by their last name, deep generic arguments elided as <..>)
 *   -r       raw symbol names (Rust names not demangled)
 *   -o OUT   write the report to OUT instead of stdout
 *   ksample -D [-L] < NAMES   (testing aid) each name of stdin demangled
 *
 * One perf event per online CPU (pid -1: every task; software cpu-clock,
 * an hrtimer; kernel samples only), ring buffers drained while CMD runs.
 * Each sample's IP is resolved against /proc/kallsyms (text symbols,
 * module symbols included), so the report lines are
 *
 *   # ksample: <pct>% <count> <symbol> [module]
 *
 * (with " (+N aliases)" after a symbol that shares its address with others:
 * identical code folded, e.g. Rust's many equal Default::default bodies).
 * Needs root (it sets kernel.kptr_restrict=0 and perf_event_paranoid=-1
 * itself when it can). The sampling timer is an ordinary interrupt, not an
 * NMI: time spent with interrupts off is charged to where they are turned
 * back on (often _raw_spin_unlock_irq*), as with any cpu-clock profile.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/perf_event.h>

#define DATA_PAGES 64		/* ring buffer pages per CPU (power of two) */

struct ring {
	int fd, cpu;
	void *base;
	size_t size;		/* data area bytes */
	unsigned char *data;
};

static struct ring *rings;
static int nrings;
static uint64_t *ips;		/* non-idle sample IPs */
static size_t nips, capips;
static uint64_t *idle_ips;	/* samples of the idle tasks (pid 0) */
static size_t nidle, capidle;
static uint64_t lost, nrecords;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ksample: ");
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void push(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4096;
		*v = realloc(*v, *cap * sizeof(**v));
		if (!*v)
			die("out of memory");
	}
	(*v)[(*n)++] = x;
}

static void write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0)
		return;
	if (write(fd, val, strlen(val)) < 0)
		fprintf(stderr, "ksample: %s: %s\n", path, strerror(errno));
	close(fd);
}

/* The online CPUs, from /sys/devices/system/cpu/online ("0-1,4"). */
static int online_cpus(int *cpus, int max)
{
	char buf[1024], *p;
	int n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);

		if (f)
			fclose(f);
		for (int i = 0; i < c && n < max; i++)
			cpus[n++] = i;
		return n;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		p = end;
		if (*p == '-')
			b = strtol(p + 1, &p, 10);
		for (long i = a; i <= b && n < max; i++)
			cpus[n++] = (int)i;
		if (*p == ',')
			p++;
	}
	return n;
}

static void open_rings(int hz)
{
	int cpus[1024], n = online_cpus(cpus, 1024);
	long page = sysconf(_SC_PAGESIZE);

	rings = calloc(n, sizeof(*rings));
	for (int i = 0; i < n; i++) {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.size = sizeof(attr),
			.config = PERF_COUNT_SW_CPU_CLOCK,
			.sample_period = 1000000000ull / hz,
			.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID,
			.disabled = 1,
			.exclude_user = 1,
			.exclude_hv = 1,
			.wakeup_watermark = DATA_PAGES * page / 4,
			.watermark = 1,
		};
		struct ring *r = &rings[nrings];
		int fd = syscall(SYS_perf_event_open, &attr, -1, cpus[i], -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0)
			die("perf_event_open(cpu %d): %s", cpus[i], strerror(errno));
		r->fd = fd;
		r->cpu = cpus[i];
		r->size = DATA_PAGES * page;
		r->base = mmap(NULL, (DATA_PAGES + 1) * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (r->base == MAP_FAILED)
			die("mmap of the cpu %d ring buffer: %s", cpus[i], strerror(errno));
		r->data = (unsigned char *)r->base + page;
		nrings++;
	}
	if (!nrings)
		die("no online CPU");
}

static void drain(struct ring *r)
{
	struct perf_event_mmap_page *pc = r->base;
	uint64_t head = __atomic_load_n(&pc->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = pc->data_tail;
	unsigned char rec[256];

	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail % r->size;

		memcpy(&h, r->data + off, sizeof(h));
		if (h.size < sizeof(h))
			break;	/* can't happen: don't loop for ever */
		if (h.size <= sizeof(rec)) {
			size_t first = r->size - off < h.size ? r->size - off : h.size;

			memcpy(rec, r->data + off, first);
			memcpy(rec + first, r->data, h.size - first);
			nrecords++;
			if (h.type == PERF_RECORD_SAMPLE && h.size >= 8 + 16) {
				uint64_t ip;
				uint32_t pid;

				memcpy(&ip, rec + 8, 8);
				memcpy(&pid, rec + 16, 4);
				if (pid == 0)
					push(&idle_ips, &nidle, &capidle, ip);
				else
					push(&ips, &nips, &capips, ip);
			} else if (h.type == PERF_RECORD_LOST && h.size >= 8 + 16) {
				uint64_t n;

				memcpy(&n, rec + 16, 8);
				lost += n;
			}
		}
		tail += h.size;
	}
	__atomic_store_n(&pc->data_tail, tail, __ATOMIC_RELEASE);
}

static void drain_all(void)
{
	for (int i = 0; i < nrings; i++)
		drain(&rings[i]);
}

/* ---- /proc/kallsyms ------------------------------------------------- */

struct sym {
	uint64_t addr;
	char *name;
	const char *mod;	/* "" for the kernel image */
	uint64_t count;
	int rank;		/* among aliases, lowest first: global, local, marker */
	int aliases;		/* other names at this address (folded code) */
};

static struct sym *syms;
static size_t nsyms;

static const char *intern_mod(const char *m)
{
	static char **mods;
	static size_t nmods;

	for (size_t i = 0; i < nmods; i++)
		if (!strcmp(mods[i], m))
			return mods[i];
	mods = realloc(mods, (nmods + 1) * sizeof(*mods));
	mods[nmods] = strdup(m);
	return mods[nmods++];
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	size_t lx, ly;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address (aliases, identical code folded): global, short names first */
	if (x->rank != y->rank)
		return x->rank - y->rank;
	lx = strlen(x->name);
	ly = strlen(y->name);
	if (lx != ly)
		return lx < ly ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Section boundaries (__sched_text_start...), not functions. */
static int is_marker(const char *name)
{
	static const char *const exact[] = { "_text", "_stext", "_etext", "_sinittext", "_einittext" };

	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(name, exact[i]))
			return 1;
	return strstr(name, "_text_start") || strstr(name, "_text_end") ||
	       !strncmp(name, "__start_", 8) || !strncmp(name, "__stop_", 7);
}

static void load_kallsyms(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	char line[2048];
	size_t cap = 0, nonzero = 0;

	if (!f)
		die("/proc/kallsyms: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char type, name[1024], mod[256] = "";
		unsigned long long addr;
		int n = sscanf(line, "%llx %c %1023s [%255[^]]]", &addr, &type, name, mod);

		if (n < 3)
			continue;
		if (!strchr("tTwW", type))
			continue;
		if (addr)
			nonzero++;
		if (nsyms == cap) {
			cap = cap ? cap * 2 : 65536;
			syms = realloc(syms, cap * sizeof(*syms));
			if (!syms)
				die("out of memory");
		}
		syms[nsyms].addr = addr;
		syms[nsyms].name = strdup(name);
		syms[nsyms].mod = intern_mod(mod);
		syms[nsyms].count = 0;
		syms[nsyms].rank = is_marker(name) ? 2 : (type == 'T' || type == 'W') ? 0 : 1;
		syms[nsyms].aliases = 0;
		nsyms++;
	}
	fclose(f);
	if (!nonzero)
		die("/proc/kallsyms shows no addresses (kptr_restrict? not root?)");
	qsort(syms, nsyms, sizeof(*syms), sym_cmp);
	for (size_t i = 0, j; i < nsyms; i = j) {
		for (j = i + 1; j < nsyms && syms[j].addr == syms[i].addr; j++)
			;
		syms[i].aliases = (int)(j - i - 1);
	}
}

/* The symbol at or before ip, or NULL. */
static struct sym *lookup(uint64_t ip)
{
	size_t lo = 0, hi = nsyms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (syms[mid].addr <= ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || !syms[lo - 1].addr)
		return NULL;
	/* the first of the symbols at this address */
	lo--;
	while (lo > 0 && syms[lo - 1].addr == syms[lo].addr)
		lo--;
	return &syms[lo];
}

/* ---- Rust symbol demangling (v0 and legacy), for readability --------- */

struct dm {
	const char *s;
	size_t n, pos;
	char *out;
	size_t olen, ocap;
	int skip, depth, err;
	int shortpaths;		/* type paths: only their last name */
	int gdepth, gmax;	/* generic args nested deeper than gmax: <..> */
};

static void dm_put(struct dm *d, const char *p, size_t n)
{
	if (d->skip || d->err)
		return;
	if (d->olen + n >= d->ocap) {
		d->err = 1;
		return;
	}
	memcpy(d->out + d->olen, p, n);
	d->olen += n;
	d->out[d->olen] = 0;
}

static void dm_puts(struct dm *d, const char *p)
{
	dm_put(d, p, strlen(p));
}

static int dm_peek(struct dm *d)
{
	return d->pos < d->n ? d->s[d->pos] : 0;
}

static int dm_next(struct dm *d)
{
	if (d->pos >= d->n) {
		d->err = 1;
		return 0;
	}
	return d->s[d->pos++];
}

static int dm_eat(struct dm *d, int c)
{
	if (dm_peek(d) == c) {
		d->pos++;
		return 1;
	}
	return 0;
}

static uint64_t dm_base62(struct dm *d)
{
	uint64_t v = 0;

	if (dm_eat(d, '_'))
		return 0;
	for (;;) {
		int c = dm_next(d), x;

		if (c == '_')
			return v + 1;
		if (c >= '0' && c <= '9')
			x = c - '0';
		else if (c >= 'a' && c <= 'z')
			x = c - 'a' + 10;
		else if (c >= 'A' && c <= 'Z')
			x = c - 'A' + 36;
		else {
			d->err = 1;
			return 0;
		}
		v = v * 62 + x;
	}
}

static uint64_t dm_disamb(struct dm *d, int tag)
{
	return dm_eat(d, tag) ? dm_base62(d) + 1 : 0;
}

static void dm_ident(struct dm *d, uint64_t *dis, const char **name, size_t *len)
{
	size_t n = 0;

	*dis = dm_disamb(d, 's');
	dm_eat(d, 'u');		/* punycode: printed as is */
	if (!(dm_peek(d) >= '0' && dm_peek(d) <= '9')) {
		d->err = 1;
		return;
	}
	if (dm_eat(d, '0')) {
		n = 0;
	} else {
		while (dm_peek(d) >= '0' && dm_peek(d) <= '9')
			n = n * 10 + (dm_next(d) - '0');
	}
	dm_eat(d, '_');
	if (n > d->n - d->pos) {
		d->err = 1;
		return;
	}
	*name = d->s + d->pos;
	*len = n;
	d->pos += n;
}

static void dm_path(struct dm *d, int in_value);
static void dm_type(struct dm *d);

/* Follows a back-reference, then comes back. */
static void dm_backref(struct dm *d, void (*fn)(struct dm *, int), int arg)
{
	uint64_t to = dm_base62(d) + 2;		/* offsets count from after "_R" */
	size_t save = d->pos;

	if (d->err || to >= d->pos || ++d->depth > 200) {
		d->err = 1;
		return;
	}
	d->pos = to;
	fn(d, arg);
	d->pos = save;
	d->depth--;
}

static void dm_type_arg(struct dm *d, int unused)
{
	(void)unused;
	dm_type(d);
}

static void dm_lifetime(struct dm *d)
{
	dm_base62(d);
	dm_puts(d, "'_");
}

static void dm_const(struct dm *d, int unused)
{
	int t = dm_next(d);
	uint64_t v = 0;
	int neg = 0, digits = 0;
	char buf[32];

	(void)unused;
	if (t == 'p') {
		dm_puts(d, "_");
		return;
	}
	if (t == 'B') {
		dm_backref(d, dm_const, 0);
		return;
	}
	if (!strchr("hmyotjaslxnibc", t) || !t) {
		d->err = 1;
		return;
	}
	neg = dm_eat(d, 'n');
	for (;;) {
		int c = dm_next(d);

		if (c == '_')
			break;
		if (c >= '0' && c <= '9')
			v = v * 16 + (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (c - 'a' + 10);
		else {
			d->err = 1;
			return;
		}
		if (++digits > 16) {
			d->err = 1;
			return;
		}
	}
	if (t == 'b')
		dm_puts(d, v ? "true" : "false");
	else {
		snprintf(buf, sizeof(buf), "%s%" PRIu64, neg ? "-" : "", v);
		dm_puts(d, buf);
	}
}

static void dm_generic_arg(struct dm *d)
{
	if (dm_eat(d, 'L'))
		dm_lifetime(d);
	else if (dm_eat(d, 'K'))
		dm_const(d, 0);
	else
		dm_type(d);
}

static const char *basic_type(int c)
{
	switch (c) {
	case 'a': return "i8";
	case 'b': return "bool";
	case 'c': return "char";
	case 'd': return "f64";
	case 'e': return "str";
	case 'f': return "f32";
	case 'h': return "u8";
	case 'i': return "isize";
	case 'j': return "usize";
	case 'l': return "i32";
	case 'm': return "u32";
	case 'n': return "i128";
	case 'o': return "u128";
	case 's': return "i16";
	case 't': return "u16";
	case 'u': return "()";
	case 'v': return "...";
	case 'x': return "i64";
	case 'y': return "u64";
	case 'z': return "!";
	case 'p': return "_";
	}
	return NULL;
}

static void dm_binder(struct dm *d)
{
	if (dm_eat(d, 'G'))
		dm_base62(d);
}

static void dm_type(struct dm *d)
{
	int c = dm_next(d), n = 0;
	const char *b = basic_type(c);

	if (d->err)
		return;
	if (++d->depth > 200) {
		d->err = 1;
		return;
	}
	if (b) {
		dm_puts(d, b);
	} else if (c == 'R' || c == 'Q') {
		dm_puts(d, "&");
		if (dm_eat(d, 'L')) {
			if (dm_base62(d))
				dm_puts(d, "'_ ");
		}
		if (c == 'Q')
			dm_puts(d, "mut ");
		dm_type(d);
	} else if (c == 'P' || c == 'O') {
		dm_puts(d, c == 'P' ? "*const " : "*mut ");
		dm_type(d);
	} else if (c == 'A' || c == 'S') {
		dm_puts(d, "[");
		dm_type(d);
		if (c == 'A') {
			dm_puts(d, "; ");
			dm_const(d, 0);
		}
		dm_puts(d, "]");
	} else if (c == 'T') {
		dm_puts(d, "(");
		while (!d->err && !dm_eat(d, 'E')) {
			if (n++)
				dm_puts(d, ", ");
			dm_type(d);
		}
		dm_puts(d, n == 1 ? ",)" : ")");
	} else if (c == 'F') {
		dm_binder(d);
		if (dm_eat(d, 'U'))
			dm_puts(d, "unsafe ");
		if (dm_eat(d, 'K')) {
			if (!dm_eat(d, 'C')) {
				uint64_t dis;
				const char *nm;
				size_t len;

				dm_ident(d, &dis, &nm, &len);
			}
			dm_puts(d, "extern ");
		}
		dm_puts(d, "fn(");
		while (!d->err && !dm_eat(d, 'E')) {
			if (n++)
				dm_puts(d, ", ");
			dm_type(d);
		}
		dm_puts(d, ")");
		if (dm_eat(d, 'u'))
			;
		else {
			dm_puts(d, " -> ");
			dm_type(d);
		}
	} else if (c == 'D') {
		dm_binder(d);
		dm_puts(d, "dyn ");
		while (!d->err && !dm_eat(d, 'E')) {
			if (n++)
				dm_puts(d, " + ");
			dm_path(d, 0);
			while (!d->err && dm_eat(d, 'p')) {
				uint64_t dis;
				const char *nm;
				size_t len;

				dm_ident(d, &dis, &nm, &len);
				dm_puts(d, "<");
				dm_put(d, nm, len);
				dm_puts(d, " = ");
				dm_type(d);
				dm_puts(d, ">");
			}
		}
		if (dm_eat(d, 'L'))
			dm_base62(d);
	} else if (c == 'B') {
		dm_backref(d, dm_type_arg, 0);
	} else {
		d->pos--;
		dm_path(d, 0);
	}
	d->depth--;
}

static void dm_path(struct dm *d, int in_value)
{
	int c = dm_next(d);
	uint64_t dis;
	const char *nm;
	size_t len;
	char buf[48];

	if (d->err)
		return;
	if (++d->depth > 200) {
		d->err = 1;
		return;
	}
	switch (c) {
	case 'C':
		dm_ident(d, &dis, &nm, &len);
		dm_put(d, nm, len);
		break;
	case 'N': {
		int ns = dm_next(d);
		/* short: Vec<Node>, not kernel::alloc::kvec::Vec<rust_binder::node::Node> */
		int last_only = d->shortpaths && !in_value && ns == 't';

		d->skip += last_only;
		dm_path(d, in_value);
		d->skip -= last_only;
		dm_ident(d, &dis, &nm, &len);
		if (last_only) {
			dm_put(d, nm, len);
		} else if (ns >= 'A' && ns <= 'Z') {
			dm_puts(d, "::{");
			dm_puts(d, ns == 'C' ? "closure" : ns == 'S' ? "shim" : "?");
			if (len) {
				dm_puts(d, ":");
				dm_put(d, nm, len);
			}
			snprintf(buf, sizeof(buf), "#%" PRIu64 "}", dis);
			dm_puts(d, buf);
		} else if (len) {
			dm_puts(d, "::");
			dm_put(d, nm, len);
		}
		break;
	}
	case 'M':
	case 'X':
	case 'Y':
		if (c != 'Y') {
			/* impl-path: where the impl is, not printed */
			dm_disamb(d, 's');
			d->skip++;
			dm_path(d, 0);
			d->skip--;
		}
		dm_puts(d, "<");
		dm_type(d);
		if (c != 'M') {
			dm_puts(d, " as ");
			dm_path(d, 0);
		}
		dm_puts(d, ">");
		break;
	case 'I': {
		int n = 0;

		int elide = d->gmax >= 0 && d->gdepth >= d->gmax;

		dm_path(d, in_value);
		if (in_value)
			dm_puts(d, "::");
		dm_puts(d, elide ? "<.." : "<");
		d->skip += elide;
		d->gdepth++;
		while (!d->err && !dm_eat(d, 'E')) {
			if (n++)
				dm_puts(d, ", ");
			dm_generic_arg(d);
		}
		d->gdepth--;
		d->skip -= elide;
		dm_puts(d, ">");
		break;
	}
	case 'B':
		dm_backref(d, dm_path, in_value);
		break;
	default:
		d->err = 1;
	}
	d->depth--;
}

/* Rust legacy mangling: _ZN 3foo 3bar 17h0123456789abcdef E. */
static int demangle_legacy(const char *s, char *out, size_t cap)
{
	static const struct { const char *esc, *ch; } escs[] = {
		{ "$SP$", "@" }, { "$BP$", "*" }, { "$RF$", "&" }, { "$LT$", "<" },
		{ "$GT$", ">" }, { "$LP$", "(" }, { "$RP$", ")" }, { "$C$", "," },
		{ "$u7e$", "~" }, { "$u20$", " " }, { "$u27$", "'" }, { "$u5b$", "[" },
		{ "$u5d$", "]" }, { "$u7b$", "{" }, { "$u7d$", "}" }, { "$u3b$", ";" },
		{ "$u2b$", "+" }, { "$u22$", "\"" },
	};
	const char *p = s + 3;
	size_t o = 0;
	int first = 1;

	while (*p && *p != 'E') {
		char *end;
		unsigned long n = strtoul(p, &end, 10);

		if (end == p || strlen(end) < n)
			return 0;
		p = end;
		/* the final hash component */
		if (n == 17 && p[0] == 'h' && p[17] == 'E' && strspn(p + 1, "0123456789abcdef") >= 16) {
			p += n;
			break;
		}
		if (!first) {
			if (o + 2 >= cap)
				return 0;
			out[o++] = ':';
			out[o++] = ':';
		}
		first = 0;
		for (const char *q = p; q < p + n;) {
			size_t k, l = 0;
			const char *ch = NULL;

			for (k = 0; k < sizeof(escs) / sizeof(escs[0]); k++) {
				l = strlen(escs[k].esc);
				if ((size_t)(p + n - q) >= l && !strncmp(q, escs[k].esc, l)) {
					ch = escs[k].ch;
					break;
				}
			}
			if (!ch && q + 1 < p + n && q[0] == '.' && q[1] == '.') {
				ch = "::";
				l = 2;
			}
			if (!ch && q == p && q[0] == '_' && q + 1 < p + n && q[1] == '$') {
				q++;	/* a leading "_$" */
				continue;
			}
			if (!ch) {
				static char one[2];

				one[0] = *q;
				ch = one;
				l = 1;
			}
			if (o + strlen(ch) >= cap)
				return 0;
			memcpy(out + o, ch, strlen(ch));
			o += strlen(ch);
			q += l;
		}
		p += n;
	}
	out[o] = 0;
	return o > 0;
}

/*
 * A readable name for sym (Rust names demangled), in buf: with full paths
 * (long), or short (type paths by their last name; generic arguments nested
 * deeper and deeper elided as "<..>" until the name fits in SHORT_MAX).
 */
#define SHORT_MAX 140
static const char *pretty(const char *sym, char *buf, size_t cap, int long_names)
{
	if (!strncmp(sym, "_R", 2)) {
		const char *dot = strchr(sym, '.');
		int gmax = -1;

		for (;;) {
			struct dm d = { .s = sym, .n = strlen(sym), .pos = 2, .out = buf, .ocap = cap,
					.shortpaths = !long_names, .gmax = gmax };

			if (dot)
				d.n = dot - sym;	/* ".llvm.NNN" and such suffixes */
			buf[0] = 0;
			while (dm_peek(&d) >= '0' && dm_peek(&d) <= '9')
				d.pos++;	/* encoding version */
			dm_path(&d, 1);
			/* then maybe the instantiating crate: not printed */
			if (d.err || !d.olen)
				break;
			if (long_names || d.olen <= SHORT_MAX || gmax == 0)
				return buf;
			gmax = gmax < 0 ? 3 : gmax - 1;
		}
	} else if (!strncmp(sym, "_ZN", 3) && demangle_legacy(sym, buf, cap)) {
		return buf;
	}
	return sym;
}

/* ---- report ---------------------------------------------------------- */

static int cmp_count_desc(const void *a, const void *b)
{
	const struct sym *x = *(struct sym *const *)a, *y = *(struct sym *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

struct modcount {
	const char *mod;
	uint64_t count;
};

static int cmp_mod_desc(const void *a, const void *b)
{
	const struct modcount *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->mod, y->mod);
}

static void usage(void)
{
	fprintf(stderr, "usage: ksample [-F HZ] [-n TOP] [-c] [-i] [-L|-r] [-o OUT] -- CMD ARGS...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int hz = 1000, top = 60, per_module = 0, with_idle = 0, raw = 0, long_names = 0;
	int opt, status;
	const char *outpath = NULL;
	FILE *out = stdout;
	uint64_t unknown = 0, total, denom;
	struct sym **hot;
	size_t nhot = 0;
	pid_t pid;
	int go[2];
	char c = 0;

	if (argc > 1 && !strcmp(argv[1], "-D")) {
		/* testing aid: demangle the names given, one per line of stdin */
		char line[2048], buf[2048];

		while (fgets(line, sizeof(line), stdin)) {
			line[strcspn(line, "\n")] = 0;
			puts(pretty(line, buf, sizeof(buf), argc > 2));
		}
		return 0;
	}
	while ((opt = getopt(argc, argv, "+F:n:o:ciLrh")) != -1) {
		switch (opt) {
		case 'F': hz = atoi(optarg); break;
		case 'n': top = atoi(optarg); break;
		case 'o': outpath = optarg; break;
		case 'c': per_module = 1; break;
		case 'i': with_idle = 1; break;
		case 'L': long_names = 1; break;
		case 'r': raw = 1; break;
		default: usage();
		}
	}
	if (optind >= argc || hz <= 0 || hz > 100000 || top < 0)
		usage();
	if (outpath && !(out = fopen(outpath, "w")))
		die("%s: %s", outpath, strerror(errno));

	write_sysctl("/proc/sys/kernel/kptr_restrict", "0");
	write_sysctl("/proc/sys/kernel/perf_event_paranoid", "-1");
	open_rings(hz);

	/* The child waits until the events are on, then runs CMD. */
	if (pipe2(go, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(127);
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "ksample: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	close(go[0]);
	for (int i = 0; i < nrings; i++)
		if (ioctl(rings[i].fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
			die("PERF_EVENT_IOC_ENABLE: %s", strerror(errno));
	if (write(go[1], &c, 1) != 1)
		die("write: %s", strerror(errno));
	close(go[1]);

	{
		struct pollfd *pfd = calloc(nrings, sizeof(*pfd));

		for (int i = 0; i < nrings; i++) {
			pfd[i].fd = rings[i].fd;
			pfd[i].events = POLLIN;
		}
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (w < 0 && errno != EINTR)
				die("waitpid: %s", strerror(errno));
			if (poll(pfd, nrings, 100) < 0 && errno != EINTR)
				die("poll: %s", strerror(errno));
			drain_all();
		}
		free(pfd);
	}
	for (int i = 0; i < nrings; i++)
		ioctl(rings[i].fd, PERF_EVENT_IOC_DISABLE, 0);
	drain_all();

	load_kallsyms();
	for (size_t i = 0; i < nips + (with_idle ? nidle : 0); i++) {
		struct sym *s = lookup(i < nips ? ips[i] : idle_ips[i - nips]);

		if (s)
			s->count++;
		else
			unknown++;
	}
	total = nips + nidle;
	denom = nips + (with_idle ? nidle : 0);
	fprintf(out, "# ksample: total %" PRIu64 " kernel samples at %d Hz on %d CPUs, "
		"idle task %" PRIu64 " (%.1f%%), lost %" PRIu64 "; percentages of %" PRIu64
		" (%s)\n", total, hz, nrings, nidle, total ? 100.0 * nidle / total : 0.0,
		lost, denom, with_idle ? "idle included" : "idle excluded");

	hot = malloc((nsyms + 1) * sizeof(*hot));
	for (size_t i = 0; i < nsyms; i++)
		if (syms[i].count)
			hot[nhot++] = &syms[i];
	qsort(hot, nhot, sizeof(*hot), cmp_count_desc);
	for (size_t i = 0; i < nhot && (int)i < top; i++) {
		char buf[2048];
		const char *name = raw ? hot[i]->name : pretty(hot[i]->name, buf, sizeof(buf), long_names);

		char more[32] = "";

		if (hot[i]->aliases)
			snprintf(more, sizeof(more), " (+%d alias%s)", hot[i]->aliases,
				 hot[i]->aliases > 1 ? "es" : "");
		fprintf(out, "# ksample: %6.2f%% %7" PRIu64 " %s%s%s%s%s\n",
			denom ? 100.0 * hot[i]->count / denom : 0.0, hot[i]->count, name,
			*hot[i]->mod ? " [" : "", hot[i]->mod, *hot[i]->mod ? "]" : "", more);
	}
	if (unknown)
		fprintf(out, "# ksample: %6.2f%% %7" PRIu64 " [unknown]\n",
			denom ? 100.0 * unknown / denom : 0.0, unknown);

	if (per_module) {
		struct modcount *mc = calloc(nhot + 2, sizeof(*mc));
		size_t nmc = 0;
		uint64_t binder = 0, krust = 0;

		for (size_t i = 0; i < nhot; i++) {
			size_t k;

			for (k = 0; k < nmc && mc[k].mod != hot[i]->mod; k++)
				;
			if (k == nmc)
				mc[nmc++].mod = hot[i]->mod;
			mc[k].count += hot[i]->count;
			if (!strcmp(hot[i]->mod, "rust_binder") || !strcmp(hot[i]->mod, "binder_linux"))
				binder += hot[i]->count;
			if (!*hot[i]->mod && (!strncmp(hot[i]->name, "_R", 2) ||
					      !strncmp(hot[i]->name, "_ZN", 3) ||
					      !strncmp(hot[i]->name, "rust_helper_", 12)))
				krust += hot[i]->count;
		}
		qsort(mc, nmc, sizeof(*mc), cmp_mod_desc);
		for (size_t k = 0; k < nmc; k++)
			fprintf(out, "# ksample: module %6.2f%% %7" PRIu64 " %s\n",
				denom ? 100.0 * mc[k].count / denom : 0.0, mc[k].count,
				*mc[k].mod ? mc[k].mod : "[kernel]");
		fprintf(out, "# ksample: of which Rust in the kernel image (kernel crate, rust_helper_*) "
			"%.2f%% (%" PRIu64 ")\n", denom ? 100.0 * krust / denom : 0.0, krust);
		fprintf(out, "# ksample: binder driver %.2f%% (%" PRIu64 "), rest of kernel %.2f%% (%"
			PRIu64 ")\n", denom ? 100.0 * binder / denom : 0.0, binder,
			denom ? 100.0 * (denom - binder) / denom : 0.0, denom - binder);
		free(mc);
	}
	if (out != stdout)
		fclose(out);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
