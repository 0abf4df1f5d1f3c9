// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_roster.c — libFuzzer entry for the roster parser (and the
 * signature check and policy building that follow it on an import). Not built
 * by the Makefile; how to build and run it is in docs/roster.md.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "policy/roster.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t authority[ROSTER_PK_LEN] = {1};
	struct errbuf eb = {0};
	struct policy cur, next;
	struct roster r;

	/* Any verdict is fine; only crashes, leaks and undefined behaviour are not. */
	(void)roster_verify((const char *)data, size, authority, &eb);
	if (roster_parse((const char *)data, size, &r, &eb) != 0)
		return 0;
	policy_init(&cur);
	if (r.nnodes > 0 && roster_to_policy(&r, r.nodes[0].name, &cur, &next, &eb) == 0) {
		struct buf d;
		buf_init(&d);
		roster_diff(&cur, &next, &d);
		roster_diff(&next, &cur, &d);
		buf_free(&d);
		policy_free(&next);
	}
	roster_free(&r);
	return 0;
}
