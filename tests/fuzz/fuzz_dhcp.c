// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_dhcp.c — libFuzzer entry for the DHCP parser, and for the
 * decisions and reply built from whatever it accepts. Build (not in the
 * Makefile):
 *   clang -std=gnu11 -D_GNU_SOURCE -I. -g -O1 -fsanitize=fuzzer,address,undefined \
 *     tests/fuzz/fuzz_dhcp.c core/dhcp_msg.c core/dhcp_pool.c core/log.c -o fuzz_dhcp
 *   ./fuzz_dhcp -max_len=1600
 */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/dhcp_msg.h"
#include "core/dhcp_pool.h"

static struct dhcp_pool *
pool(void)
{
	static struct dhcp_pool *p;
	struct dhcp_conf c;

	if (p)
		return p;
	memset(&c, 0, sizeof(c));
	inet_pton(AF_INET, "10.77.1.1", &c.server);
	c.prefix_len = 24;
	inet_pton(AF_INET, "10.77.1.100", &c.pool_start);
	inet_pton(AF_INET, "10.77.1.110", &c.pool_end);
	c.lease_time = 600;
	c.router = c.server;
	if (dhcp_pool_new(&c, &p) < 0)
		__builtin_trap();
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int64_t now = 1700000000;
	struct dhcp_decision d;
	struct dhcp_msg m;
	enum dhcp_drop why;
	uint8_t out[DHCP_MSG_MAX];
	size_t len;

	if (dhcp_msg_parse(data, size, DHCP_BOOTREQUEST, &m, &why) < 0) {
		if ((unsigned)why >= DHCP_DROP_REASONS)
			__builtin_trap();
		return 0;
	}
	now += 7;
	dhcp_pool_handle(pool(), &m, size & 1, now, &d);
	if (d.action == DHCP_PROBE)
		dhcp_pool_probed(pool(), &m, d.reply.yiaddr, size & 2, now, &d);
	if (d.action == DHCP_SEND &&
	    dhcp_msg_build(&d.reply, dhcp_msg_reply_max(&m), out, sizeof(out), &len) == 0 &&
	    (len > dhcp_msg_reply_max(&m) || dhcp_msg_parse(out, len, DHCP_BOOTREPLY, &m, &why) < 0))
		__builtin_trap();
	return 0;
}
