// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_route.c — libFuzzer harness for the rtnetlink route and
 * rule parsers that read the kernel's dumps (route_msg_parse_route/rule).
 * The input is one netlink message; nlmsg_len is set to its size, as
 * mnl_cb_run() checks it against the datagram before any callback runs.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_seen rs;
	struct rule_seen us;
	struct nlmsghdr *nlh;

	if (size < sizeof(*nlh) || size > UINT32_MAX)
		return 0;
	if (!(nlh = malloc(size)))
		return 0;
	memcpy(nlh, data, size);
	nlh->nlmsg_len = (uint32_t)size;
	(void)route_msg_parse_route(nlh, &rs);
	(void)route_msg_parse_rule(nlh, &us);
	free(nlh);
	return 0;
}
