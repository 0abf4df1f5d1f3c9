/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/guard.h — the host protection compiled into every domain's table
 * (policy/nft_guard.c) and what it counted, read back (policy/guard_read.c):
 * the rules that must never match, and black's and crypto's flood guard on
 * WireGuard's port (sources over the rate are blocked for a while).
 */
#ifndef UMBRAL_GUARD_H
#define UMBRAL_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* Named counters of the table. */
#define GUARD_CTR_NEVER "never"	      /* packets a must-never-match rule dropped */
#define GUARD_CTR_BLOCKED "flood_src" /* packets of blocked or over-rate sources */
#define GUARD_CTR_GLOBAL "flood_all"  /* packets over the global rate */

/*
 * Rates, in packets per second. Only traffic to WireGuard's port from a
 * source that is no configured peer and has no established flow is metered:
 * a peer that roams sends at most a few handshakes before its flow is
 * established, so these are far above anything legitimate.
 */
#define GUARD_SOURCE_PPS 1000
#define GUARD_SOURCE_BURST 2000
#define GUARD_GLOBAL_PPS 10000
#define GUARD_GLOBAL_BURST 20000
#define GUARD_BLOCK_SECONDS                                                                        \
	15		  /* a blocked source stays blocked this long after its last packet        \
			   */
#define GUARD_PING_PPS 50 /* red answers the LAN's pings up to this rate */
#define GUARD_PING_BURST 100

/* One source in the block set. */
struct guard_source {
	int family;
	uint8_t addr[16];
	uint64_t packets; /* dropped since it was blocked */
};

#define GUARD_TOP 5 /* sources named in an alarm and in status */

/* What the guard counted: every blocked source counted, the top ones kept, most first. */
struct guard_counts {
	uint64_t never, blocked, global;
	struct guard_source top[GUARD_TOP];
	size_t ntop, nsources;
};

/*
 * Reads the counters and the block sets of the table for domain d (red has
 * no flood guard: only never) over nl, a NETLINK_NETFILTER socket in the
 * table's namespace. Returns 0 or negative errno; -ENOENT while there is
 * no table.
 */
struct mnl_socket;
int guard_read(struct mnl_socket *nl, enum domain d, struct guard_counts *out);

#endif
