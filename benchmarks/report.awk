# SPDX-License-Identifier: GPL-2.0
# rust_binder: aggregates `make bench` results (scripts/bench.sh).
#
# Usage: awk -v mode=text|markdown|plot -f benchmarks/report.awk DATA
#
# DATA has one line per value: "ROUND DRIVER CELL KEY VALUE" (DRIVER c or
# rust; KEY one of binder_bench's: calls_per_s p50_ns p90_ns p99_ns max_ns
# retries bytes slab_bytes total_ms per_ref_ns error ...). For each cell
# and driver, the median over the rounds; the ratio is rust/C (calls/s:
# above 1 means rust_binder is faster; latencies and memory: above 1 means
# it is slower or bigger); "spread" is (max - min) / median over the rounds,
# in percent, of p50 (latency cells), bytes (memory cells) or total_ms.
# "k/u" is rust/C of the median kernel time per call over user time per call
# (function kpu): the drivers' kernel work with the boots' speed taken out.
# "cal" is rust/C of the median cal_us, a fixed piece of user-space work
# timed after each cell: above 1, the rust_binder boots' vCPUs ran slower
# (user code, no driver in it) around that cell than the C boots' did.
#   text      the table `make bench` prints
#   markdown  the same and every metric, as markdown tables
#   plot      gnuplot data: cell, C p50, rust p50, C p99, rust p99 (us)
# mawk-compatible (no gawk extensions).

function median(s,    a, n, i, j, t) {
	n = split(s, a, " ")
	if (n == 0)
		return ""
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	if (n % 2)
		return a[(n + 1) / 2] + 0
	return (a[n / 2] + a[n / 2 + 1]) / 2
}

function spread(s,    a, n, i, lo, hi, m) {
	n = split(s, a, " ")
	if (n < 2)
		return "-"
	lo = hi = a[1] + 0
	for (i = 2; i <= n; i++) {
		if (a[i] + 0 < lo) lo = a[i] + 0
		if (a[i] + 0 > hi) hi = a[i] + 0
	}
	m = median(s)
	if (m == 0)
		return "-"
	return sprintf("%.0f%%", (hi - lo) / (m < 0 ? -m : m) * 100)
}

function med(cell, drv, key) {
	return median(v[cell, drv, key])
}

# The median over the rounds of a cell's kernel time per call divided by its
# user time per call (sys_us / usr_us of each round). The user code is the
# same on both drivers, so its time measures how fast that boot's vCPUs ran;
# rust/C of this compares the drivers' kernel work across boots that ran at
# different speeds (TCG: a whole boot can run at half speed).
function kpu(cell, drv,    a, b, n, i, s) {
	n = split(v[cell, drv, "sys_us"], a, " ")
	if (n == 0 || n != split(v[cell, drv, "usr_us"], b, " "))
		return ""
	s = ""
	for (i = 1; i <= n; i++)
		if (b[i] + 0 > 0)
			s = s (s == "" ? "" : " ") (a[i] / b[i])
	return median(s)
}

function ratio(a, b) {
	if (a == "" || b == "" || a + 0 == 0)
		return "-"
	return sprintf("%.2f", b / a)
}

function num(x, scale, fmt) {
	if (x == "")
		return "-"
	return sprintf(fmt, x / scale)
}

# The distinct words of s.
function uniq(s,    a, n, i, out, seen2) {
	n = split(s, a, " ")
	out = ""
	for (i = 1; i <= n; i++)
		if (!(a[i] in seen2)) {
			seen2[a[i]] = 1
			out = out (out == "" ? "" : ",") a[i]
		}
	return out
}

# A cell's failures, if any, as "c: why; rust: why".
function errs(cell,    s) {
	s = ""
	if (v[cell, "c", "error"] != "")
		s = "c: " uniq(v[cell, "c", "error"])
	if (v[cell, "rust", "error"] != "")
		s = s (s == "" ? "" : "; ") "rust: " uniq(v[cell, "rust", "error"])
	return s
}

function kind(cell) {
	if (has[cell, "p50_ns"]) return "lat"
	if (has[cell, "bytes"]) return "mem"
	if (has[cell, "total_ms"]) return "create"
	return "err"
}

{
	cell = $3; key = $4; val = $5
	if (!(cell in seen)) {
		seen[cell] = 1
		order[++ncells] = cell
	}
	v[cell, $2, key] = v[cell, $2, key] (v[cell, $2, key] == "" ? "" : " ") val
	has[cell, key] = 1
}

function text_report(    i, c, k, e, line) {
	printf "%-17s %9s %9s %5s | %9s %9s %5s | %9s %9s %5s | %6s %6s | %5s %5s\n", \
		"cell", "calls/s C", "rust", "r/C", "p50 us C", "rust", "r/C", "p99 us C", "rust", "r/C", "sprd C", "rust", "k/u", "cal"
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		k = kind(c)
		if (k != "lat" && k != "err")
			continue
		e = errs(c)
		if (k == "err") {
			printf "%-17s %s\n", c, "FAILED (" e ")"
			continue
		}
		printf "%-17s %9s %9s %5s | %9s %9s %5s | %9s %9s %5s | %6s %6s | %5s %5s%s\n", c, \
			num(med(c, "c", "calls_per_s"), 1, "%.0f"), num(med(c, "rust", "calls_per_s"), 1, "%.0f"), \
			ratio(med(c, "c", "calls_per_s"), med(c, "rust", "calls_per_s")), \
			num(med(c, "c", "p50_ns"), 1000, "%.1f"), num(med(c, "rust", "p50_ns"), 1000, "%.1f"), \
			ratio(med(c, "c", "p50_ns"), med(c, "rust", "p50_ns")), \
			num(med(c, "c", "p99_ns"), 1000, "%.1f"), num(med(c, "rust", "p99_ns"), 1000, "%.1f"), \
			ratio(med(c, "c", "p99_ns"), med(c, "rust", "p99_ns")), \
			spread(v[c, "c", "p50_ns"]), spread(v[c, "rust", "p50_ns"]), \
			ratio(kpu(c, "c"), kpu(c, "rust")), \
			ratio(med(c, "c", "cal_us"), med(c, "rust", "cal_us")), \
			(e == "" ? "" : "  (" e ")")
	}
	line = 0
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		k = kind(c)
		if (k != "mem" && k != "create")
			continue
		if (!line++)
			printf "%-17s %9s %9s %5s | %9s %9s %5s | %25s | %6s %6s\n", \
				"cell", "C", "rust", "r/C", "C", "rust", "r/C", "", "sprd C", "rust"
		e = errs(c)
		if (k == "mem")
			printf "%-17s %9s %9s %5s | %9s %9s %5s | %-25s | %6s %6s%s\n", c, \
				num(med(c, "c", "bytes"), 1, "%.0f"), num(med(c, "rust", "bytes"), 1, "%.0f"), \
				ratio(med(c, "c", "bytes"), med(c, "rust", "bytes")), \
				num(med(c, "c", "slab_bytes"), 1, "%.0f"), num(med(c, "rust", "slab_bytes"), 1, "%.0f"), \
				ratio(med(c, "c", "slab_bytes"), med(c, "rust", "slab_bytes")), \
				"bytes/obj | slab B/obj", \
				spread(v[c, "c", "bytes"]), spread(v[c, "rust", "bytes"]), \
				(e == "" ? "" : "  (" e ")")
		else
			printf "%-17s %9s %9s %5s | %9s %9s %5s | %-25s | %6s %6s%s\n", c, \
				num(med(c, "c", "total_ms"), 1, "%.1f"), num(med(c, "rust", "total_ms"), 1, "%.1f"), \
				ratio(med(c, "c", "total_ms"), med(c, "rust", "total_ms")), \
				num(med(c, "c", "per_ref_ns"), 1000, "%.2f"), num(med(c, "rust", "per_ref_ns"), 1000, "%.2f"), \
				ratio(med(c, "c", "per_ref_ns"), med(c, "rust", "per_ref_ns")), \
				"total ms | us/ref", \
				spread(v[c, "c", "total_ms"]), spread(v[c, "rust", "total_ms"]), \
				(e == "" ? "" : "  (" e ")")
	}
}

function md_report(    i, c, k, e, n) {
	print "### Latency and throughput"
	print ""
	print "Times in microseconds; r/C = rust_binder / C (calls/s: above 1 is faster; latency: above 1 is slower); k/u r/C = rust/C of the median kernel time per call over user time per call (the same user code on both: the boots' speed taken out; above 1: more kernel work per call); cal r/C = rust/C of the median time of a fixed piece of user-space work run after the cell (above 1: the rust_binder boots ran slower there, driver aside)."
	print ""
	print "| cell | calls/s C | calls/s rust | r/C | p50 C | p50 rust | r/C | p90 C | p90 rust | p99 C | p99 rust | r/C | max C | max rust | spread p50 C | spread p50 rust | k/u r/C | cal r/C | notes |"
	print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		k = kind(c)
		e = errs(c)
		if (k == "err") {
			printf "| %s | FAILED | | | | | | | | | | | | | | | | | %s |\n", c, e
			continue
		}
		if (k != "lat")
			continue
		n = e
		if (has[c, "retries"])
			n = (n == "" ? "" : n "; ") "retries C " num(med(c, "c", "retries"), 1, "%.0f") \
				", rust " num(med(c, "rust", "retries"), 1, "%.0f")
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, \
			num(med(c, "c", "calls_per_s"), 1, "%.0f"), num(med(c, "rust", "calls_per_s"), 1, "%.0f"), \
			ratio(med(c, "c", "calls_per_s"), med(c, "rust", "calls_per_s")), \
			num(med(c, "c", "p50_ns"), 1000, "%.1f"), num(med(c, "rust", "p50_ns"), 1000, "%.1f"), \
			ratio(med(c, "c", "p50_ns"), med(c, "rust", "p50_ns")), \
			num(med(c, "c", "p90_ns"), 1000, "%.1f"), num(med(c, "rust", "p90_ns"), 1000, "%.1f"), \
			num(med(c, "c", "p99_ns"), 1000, "%.1f"), num(med(c, "rust", "p99_ns"), 1000, "%.1f"), \
			ratio(med(c, "c", "p99_ns"), med(c, "rust", "p99_ns")), \
			num(med(c, "c", "max_ns"), 1000, "%.0f"), num(med(c, "rust", "max_ns"), 1000, "%.0f"), \
			spread(v[c, "c", "p50_ns"]), spread(v[c, "rust", "p50_ns"]), \
			ratio(kpu(c, "c"), kpu(c, "rust")), \
			ratio(med(c, "c", "cal_us"), med(c, "rust", "cal_us")), n
	}
	print ""
	print "### Memory"
	print ""
	print "Kernel memory per object: bytes = free pages consumed (per-cpu lists counted as free), slab = growth of Slab."
	print ""
	print "| cell | n | bytes C | bytes rust | r/C | slab C | slab rust | r/C | spread C | spread rust | notes |"
	print "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		if (kind(c) != "mem")
			continue
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, \
			num(med(c, "c", "n") == "" ? med(c, "rust", "n") : med(c, "c", "n"), 1, "%.0f"), \
			num(med(c, "c", "bytes"), 1, "%.0f"), num(med(c, "rust", "bytes"), 1, "%.0f"), \
			ratio(med(c, "c", "bytes"), med(c, "rust", "bytes")), \
			num(med(c, "c", "slab_bytes"), 1, "%.0f"), num(med(c, "rust", "slab_bytes"), 1, "%.0f"), \
			ratio(med(c, "c", "slab_bytes"), med(c, "rust", "slab_bytes")), \
			spread(v[c, "c", "bytes"]), spread(v[c, "rust", "bytes"]), errs(c)
	}
	print ""
	print "### Reference creation"
	print ""
	print "| cell | total ms C | total ms rust | r/C | ns/ref C | ns/ref rust | spread C | spread rust | notes |"
	print "|---|--:|--:|--:|--:|--:|--:|--:|---|"
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		if (kind(c) != "create")
			continue
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, \
			num(med(c, "c", "total_ms"), 1, "%.1f"), num(med(c, "rust", "total_ms"), 1, "%.1f"), \
			ratio(med(c, "c", "total_ms"), med(c, "rust", "total_ms")), \
			num(med(c, "c", "per_ref_ns"), 1, "%.0f"), num(med(c, "rust", "per_ref_ns"), 1, "%.0f"), \
			spread(v[c, "c", "total_ms"]), spread(v[c, "rust", "total_ms"]), errs(c)
	}
}

function plot_data(    i, c) {
	for (i = 1; i <= ncells; i++) {
		c = order[i]
		if (kind(c) != "lat")
			continue
		printf "%s %s %s %s %s\n", c, \
			num(med(c, "c", "p50_ns"), 1000, "%.2f"), num(med(c, "rust", "p50_ns"), 1000, "%.2f"), \
			num(med(c, "c", "p99_ns"), 1000, "%.2f"), num(med(c, "rust", "p99_ns"), 1000, "%.2f")
	}
}

END {
	if (mode == "markdown")
		md_report()
	else if (mode == "plot")
		plot_data()
	else
		text_report()
}
