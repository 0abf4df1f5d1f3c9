// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_route.c — libFuzzer harness for the rtnetlink route and
 * rule parsers that read the kernel's dumps (route_msg_parse_route/rule).
 * The input is one netlink message; nlmsg_len is set to its size, as
 * mnl_cb_run() checks it against the datagram before any callback runs.
 * The copy is padded with zeros to NLMSG_ALIGNTO: libmnl ends the attribute
 * walk at MNL_ALIGN(nlmsg_len), so it may read the up to 3 bytes of padding,
 * which a receive buffer (MNL_SOCKET_BUFFER_SIZE) always has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

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
	if (!(nlh = calloc(1, MNL_ALIGN(size))))
		return 0;
	memcpy(nlh, data, size);
	nlh->nlmsg_len = (uint32_t)size;
	(void)route_msg_parse_route(nlh, &rs);
	(void)route_msg_parse_rule(nlh, &us);
	free(nlh);
	return 0;
}
