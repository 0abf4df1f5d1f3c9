// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/bench/wggo_tune.c — gives a wireguard-go process the same socket
 * buffers umbrald gives its own, so that the benchmark's bare pair can be
 * measured both stock and tuned in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wg/internal.h"

int
main(int argc, char **argv)
{
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: wggo_tune PID\n");
		return 2;
	}
	n = wg_go_tune_sockets((pid_t)atoi(argv[1]));
	if (n < 0) {
		fprintf(stderr, "wggo_tune: %s\n", strerror(-n));
		return 1;
	}
	printf("%d sockets tuned\n", n);
	return n > 0 ? 0 : 1;
}
