// SPDX-License-Identifier: GPL-2.0
/*
 * rust_binder stress tests: the leak oracle as a command (for shell
 * drivers such as unload_loop.sh). See leak_oracle.h.
 *
 *   leak_oracle [-t SECS] [-p] MNT
 *
 * MNT is a binderfs mount with stats=global. Waits up to SECS (default 20)
 * until every "active" object count of binder_logs/stats is zero; prints
 * the counts as a TAP comment and exits 0, or prints what is left (the
 * counts, binder_logs/stats and binder_logs/state) and exits 1.
 * -p only prints the counts (exit 0).
 */
#include "leak_oracle.h"

#include <getopt.h>

int main(int argc, char **argv)
{
	struct lo_stats s;
	int timeout = 20, print_only = 0, opt, ret;

	while ((opt = getopt(argc, argv, "t:p")) != -1) {
		switch (opt) {
		case 't':
			timeout = atoi(optarg);
			break;
		case 'p':
			print_only = 1;
			break;
		default:
			fprintf(stderr, "usage: %s [-t SECS] [-p] MNT\n", argv[0]);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: %s [-t SECS] [-p] MNT\n", argv[0]);
		return 2;
	}
	if (print_only) {
		ret = lo_read(argv[optind], &s);
		if (ret) {
			printf("# leak_oracle: can't read stats: %s\n", strerror(-ret));
			return 1;
		}
		printf("# leak_oracle: %s (%d procs)\n", lo_fmt(&s), s.nprocs);
		return 0;
	}
	ret = lo_wait_settled(argv[optind], NULL, timeout * 1000, &s);
	if (ret == 0) {
		printf("# leak_oracle: settled: %s\n", lo_fmt(&s));
		return 0;
	}
	if (ret != -ETIMEDOUT) {
		printf("# leak_oracle: can't read stats: %s\n", strerror(-ret));
		return 1;
	}
	printf("# leak_oracle: NOT settled after %d s: %s\n", timeout, lo_fmt(&s));
	lo_dump(stdout, argv[optind], "stats", 60);
	lo_dump(stdout, argv[optind], "state", 80);
	return 1;
}
