/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/ranges.h — prefixes as address ranges: one prefix's range, lists of
 * them sorted with overlaps merged (what an nftables interval set holds),
 * and a policy's secure prefixes as such lists, so that "is this
 * destination another site's?" costs a binary search instead of a scan of
 * every prefix (the conntrack prune asks it of each flow when a change can
 * move any flow).
 */
#ifndef UMBRAL_RANGES_H
#define UMBRAL_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

/* A half-open address range [start, end); open means it reaches the top. */
struct range {
	uint8_t start[16]; /* network byte order; bytes past the family's are zero */
	uint8_t end[16];
	bool open;
};

/* The range of p's addresses (its host bits ignored). */
void range_of(const struct prefix *p, struct range *r);
/* Appends the ranges of pf's prefixes of family to r (when not NULL) from n; the new n. */
size_t ranges_collect(const struct prefix *pf, size_t np, uint8_t family, struct range *r,
		      size_t n);
/* Sorts r[0..n) by start and merges overlapping ranges (adjacent ones stay apart); the new n. */
size_t ranges_merge(struct range *r, size_t n);

/* A policy's site prefixes, merged per family. */
struct ranges {
	struct range *v; /* owned: the IPv4 ranges [0, n4), then the IPv6 ones [n4, n) */
	size_t n4, n;
};

/* p's site prefixes into *out (ranges_free it). 0 or -ENOMEM. */
int ranges_build(const struct policy *p, struct ranges *out);
/* Whether addr (of family) lies in one of the ranges. */
bool ranges_contain(const struct ranges *r, uint8_t family, const uint8_t addr[16]);
void ranges_free(struct ranges *r);

#endif
