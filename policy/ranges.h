/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/ranges.h — a policy's secure prefixes (every site's) as sorted,
 * disjoint address ranges, so that "is this destination another site's?"
 * costs a binary search instead of a scan of every prefix. The conntrack
 * prune asks it of each flow when a change can move any flow.
 */
#ifndef UMBRAL_RANGES_H
#define UMBRAL_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

struct addr_range {
	uint8_t family;
	uint8_t lo[16], hi[16]; /* network byte order; an IPv4 address fills 4 bytes */
};

struct ranges {
	struct addr_range *v; /* owned; sorted by family, then lo; none overlap */
	size_t n;
};

/* The union of p's site prefixes into *out (ranges_free it). 0 or -ENOMEM. */
int ranges_build(const struct policy *p, struct ranges *out);
/* Whether addr (of family) lies in one of the ranges. */
bool ranges_contain(const struct ranges *r, uint8_t family, const uint8_t addr[16]);
void ranges_free(struct ranges *r);

#endif
