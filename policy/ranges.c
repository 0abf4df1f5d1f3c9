// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/ranges.c — prefixes as address ranges, for nftables' interval sets
 * (policy/nft.c) and for looking a destination up among many prefixes:
 * sorted by start with overlaps merged, the last range starting at or below
 * an address is the only one that can hold it.
 */
#include "policy/ranges.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* end = first address after the prefix: add 2^(bits - len), carry to the left. */
void
range_of(const struct prefix *p, struct range *r)
{
	size_t alen = p->family == AF_INET ? 4 : 16;
	unsigned carry;

	memset(r, 0, sizeof(*r));
	memcpy(r->start, p->addr, alen);
	for (size_t b = 0; b < alen; b++) {
		unsigned keep = p->len >= (b + 1) * 8 ? 8 : p->len > b * 8 ? p->len - b * 8 : 0;
		r->start[b] &= (uint8_t)(0xff00u >> keep); /* host bits, defensively */
	}
	memcpy(r->end, r->start, alen);
	if (p->len == 0) {
		r->open = true;
		return;
	}
	carry = 1u << (7 - (p->len - 1) % 8);
	for (size_t b = (p->len - 1) / 8 + 1; b-- > 0 && carry;) {
		unsigned v = r->end[b] + carry;
		r->end[b] = (uint8_t)v;
		carry = v >> 8;
	}
	r->open = carry != 0;
}

/* Unused key bytes are zero (range_of), so all 16 compare for either family. */
static int
range_cmp(const void *a, const void *b)
{
	return memcmp(((const struct range *)a)->start, ((const struct range *)b)->start, 16);
}

size_t
ranges_merge(struct range *r, size_t n)
{
	struct range *cur;
	size_t out = 0;

	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 0; i < n; i++) {
		cur = out > 0 ? &r[out - 1] : NULL;
		if (!cur || (!cur->open && memcmp(r[i].start, cur->end, 16) >= 0)) {
			r[out++] = r[i];
			continue;
		}
		/* Overlaps cur: widen cur to cover it. */
		if (r[i].open)
			cur->open = true;
		else if (!cur->open && memcmp(r[i].end, cur->end, 16) > 0)
			memcpy(cur->end, r[i].end, 16);
	}
	return out;
}

size_t
ranges_collect(const struct prefix *pf, size_t np, uint8_t family, struct range *r, size_t n)
{
	for (size_t k = 0; k < np; k++) {
		if (pf[k].family != family)
			continue;
		if (r)
			range_of(&pf[k], &r[n]);
		n++;
	}
	return n;
}

/* The ranges of p's site prefixes of this family into r, merged; their count. */
static size_t
family_ranges(const struct policy *p, uint8_t family, struct range *r)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nsites; i++)
		n = ranges_collect(p->sites[i].prefixes, p->sites[i].nprefixes, family, r, n);
	return ranges_merge(r, n);
}

int
ranges_build(const struct policy *p, struct ranges *out)
{
	size_t n = 0;

	*out = (struct ranges){0};
	for (size_t i = 0; i < p->nsites; i++)
		n += p->sites[i].nprefixes;
	if (n == 0)
		return 0;
	if (!(out->v = malloc(n * sizeof(*out->v))))
		return -ENOMEM;
	out->n4 = family_ranges(p, AF_INET, out->v);
	out->n = out->n4 + family_ranges(p, AF_INET6, out->v + out->n4);
	return 0;
}

bool
ranges_contain(const struct ranges *r, uint8_t family, const uint8_t addr[16])
{
	size_t lo = family == AF_INET ? 0 : r->n4, hi = family == AF_INET ? r->n4 : r->n;
	size_t first = lo;
	uint8_t a[16] = {0};

	memcpy(a, addr, family == AF_INET ? 4 : 16);
	while (lo < hi) { /* the first range starting above a */
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(r->v[mid].start, a, 16) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > first && (r->v[lo - 1].open || memcmp(a, r->v[lo - 1].end, 16) < 0);
}

void
ranges_free(struct ranges *r)
{
	free(r->v);
	*r = (struct ranges){0};
}
