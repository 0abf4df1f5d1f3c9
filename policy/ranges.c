// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/ranges.c — secure prefixes as disjoint ranges: sorted by start,
 * overlapping ones merged, so that the last range starting at or below an
 * address is the only one that can hold it.
 */
#include "policy/ranges.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The prefix's first and last address. */
static void
range_of(const struct prefix *p, struct addr_range *r)
{
	size_t bytes = p->family == AF_INET ? 4 : 16;

	*r = (struct addr_range){.family = p->family};
	memcpy(r->lo, p->addr, bytes);
	memcpy(r->hi, p->addr, bytes);
	for (size_t i = 0; i < bytes; i++) {
		int bits = (int)p->len - 8 * (int)i; /* of this byte, the prefix's */
		uint8_t host = bits >= 8 ? 0 : (uint8_t)(0xff >> (bits < 0 ? 0 : bits));
		r->lo[i] &= (uint8_t)~host; /* as prefix_contains, whatever host bits came in */
		r->hi[i] |= host;
	}
}

/* Family first, then the address: memcmp over all 16 bytes (IPv4 pads with zeros). */
static int
range_cmp(uint8_t fa, const uint8_t *a, uint8_t fb, const uint8_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 16);
}

static int
lo_cmp(const void *a, const void *b)
{
	const struct addr_range *x = a, *y = b;

	return range_cmp(x->family, x->lo, y->family, y->lo);
}

/* Sorted by start; a range that starts inside the one before joins it. */
static size_t
merge(struct addr_range *v, size_t n)
{
	size_t out = 0;

	qsort(v, n, sizeof(*v), lo_cmp);
	for (size_t i = 0; i < n; i++) {
		struct addr_range *last = out ? &v[out - 1] : NULL;
		if (last && range_cmp(v[i].family, v[i].lo, last->family, last->hi) <= 0) {
			if (memcmp(v[i].hi, last->hi, 16) > 0)
				memcpy(last->hi, v[i].hi, 16);
			continue;
		}
		v[out++] = v[i];
	}
	return out;
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
	n = 0;
	for (size_t i = 0; i < p->nsites; i++)
		for (size_t j = 0; j < p->sites[i].nprefixes; j++)
			range_of(&p->sites[i].prefixes[j], &out->v[n++]);
	out->n = merge(out->v, n);
	return 0;
}

bool
ranges_contain(const struct ranges *r, uint8_t family, const uint8_t addr[16])
{
	uint8_t a[16] = {0};
	size_t lo = 0, hi = r->n;

	memcpy(a, addr, family == AF_INET ? 4 : 16);
	while (lo < hi) { /* the first range starting above a */
		size_t mid = lo + (hi - lo) / 2;
		if (range_cmp(r->v[mid].family, r->v[mid].lo, family, a) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && r->v[lo - 1].family == family && memcmp(a, r->v[lo - 1].hi, 16) <= 0;
}

void
ranges_free(struct ranges *r)
{
	free(r->v);
	*r = (struct ranges){0};
}
