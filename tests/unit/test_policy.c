// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_policy.c — policy values, edits, validation, and printing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sodium.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "policy/edit.h"
#include "policy/explain.h"
#include "tests/unit/unit_edit.h"

#define KEY_A "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define KEY_B "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

static void
test_prefix_parse(void **state)
{
	struct errbuf eb = {0};
	struct prefix p;
	char out[64];

	(void)state;
	assert_int_equal(prefix_parse("10.2.0.0/16", &p, "", &eb), 0);
	assert_int_equal(p.family, AF_INET);
	assert_string_equal(prefix_format(&p, out, sizeof(out)), "10.2.0.0/16");
	assert_int_equal(prefix_parse("fd00:0:2::/48", &p, "", &eb), 0);
	assert_string_equal(prefix_format(&p, out, sizeof(out)), "fd00:0:2::/48");
	assert_int_equal(prefix_parse("0.0.0.0/0", &p, "", &eb), 0);
	assert_int_equal(eb.count, 0);
	assert_int_equal(prefix_parse("10.2.0.0/33", &p, "x: ", &eb), -EINVAL);
	assert_non_null(strstr(eb.text, "x: 10.2.0.0/33: length must be 0-32"));
	assert_int_equal(prefix_parse("10.2.1.0/16", &p, "", &eb), -EINVAL);
	assert_non_null(strstr(eb.text, "host bits are set (did you mean 10.2.0.0/16?)"));
	assert_int_equal(prefix_parse("10.2.0.0", &p, "", &eb), -EINVAL);
	assert_int_equal(prefix_parse("banana/8", &p, "", &eb), -EINVAL);
	assert_int_equal(prefix_parse("10.0.0.0/8x", &p, "", &eb), -EINVAL);
	assert_int_equal(eb.count, 5);
}

static void
test_overlap(void **state)
{
	struct errbuf eb = {0};
	struct prefix a, b, c;

	(void)state;
	prefix_parse("10.2.0.0/16", &a, "", &eb);
	prefix_parse("10.2.5.0/24", &b, "", &eb);
	prefix_parse("10.3.0.0/16", &c, "", &eb);
	assert_true(prefix_overlaps(&a, &b));
	assert_true(prefix_overlaps(&b, &a));
	assert_false(prefix_overlaps(&a, &c));
}

static void
test_endpoint(void **state)
{
	struct errbuf eb = {0};
	struct endpoint e;
	char out[80];

	(void)state;
	assert_int_equal(endpoint_parse("198.18.2.2:51820", &e, "", &eb), 0);
	assert_string_equal(endpoint_format(&e, out, sizeof(out)), "198.18.2.2:51820");
	assert_int_equal(endpoint_parse("[2001:db8:2::2]:51820", &e, "", &eb), 0);
	assert_string_equal(endpoint_format(&e, out, sizeof(out)), "[2001:db8:2::2]:51820");
	assert_int_equal(endpoint_parse("198.18.2.2:0", &e, "", &eb), -EINVAL);
	assert_int_equal(endpoint_parse("host.example:51820", &e, "", &eb), -EINVAL);
	assert_int_equal(endpoint_parse("198.18.2.2", &e, "", &eb), -EINVAL);
}

static void
test_edit_and_print_round_trip(void **state)
{
	struct policy p, q;
	struct errbuf eb = {0};
	struct buf out;
	char *line, *save = NULL;

	(void)state;
	policy_init(&p);
	policy_init(&q);
	assert_int_equal(edit(&p, &eb, "node set --prefix 10.1.0.0/16 fd00:0:1::/48 --mtu 1400"), 0);
	assert_int_equal(edit(&p, &eb, "site add s2 --key " KEY_A " --endpoint 198.18.2.2:51820 "
					"--keepalive 25 --prefix 10.2.0.0/16 fd00:0:2::/48"),
			 0);
	assert_int_equal(edit(&p, &eb, "site add s3 --key " KEY_B " --prefix 10.3.0.0/16,10.33.0.0/16"),
			 0);
	assert_int_equal(p.nsites, 2);
	assert_int_equal(p.sites[1].nprefixes, 2);
	buf_init(&out);
	policy_print(&p, &out);
	for (line = strtok_r(out.data, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_int_equal(edit(&q, &eb, line), 0);
	assert_true(policy_equal(&p, &q));
	assert_int_equal(eb.count, 0);
	assert_int_equal(edit(&q, &eb, "site del s2"), 0);
	assert_false(policy_equal(&p, &q));
	buf_free(&out);
	policy_free(&p);
	policy_free(&q);
}

static void
test_bad_edits_change_nothing(void **state)
{
	struct policy p, before;
	struct errbuf eb = {0};

	(void)state;
	policy_init(&p);
	assert_int_equal(edit(&p, &eb, "site add s2 --key " KEY_A " --prefix 10.2.0.0/16"), 0);
	policy_copy(&before, &p);
	assert_int_equal(edit(&p, &eb, "site add s2 --key " KEY_B " --prefix 10.9.0.0/16"), -EINVAL);
	assert_non_null(strstr(eb.text, "site s2: name: already exists"));
	assert_int_equal(edit(&p, &eb, "site add s9 --key " KEY_B " --prefix 10.2.1.0/24"), -EINVAL);
	assert_non_null(strstr(eb.text, "site s9: prefix 10.2.1.0/24 overlaps 10.2.0.0/16 of site s2"));
	assert_int_equal(edit(&p, &eb, "site add s9 --key " KEY_A " --prefix 10.9.0.0/16"), -EINVAL);
	assert_non_null(strstr(eb.text, "site s9: key: already used by site s2"));
	assert_int_equal(edit(&p, &eb, "site add s9 --key nope --prefix 10.9.0.0/16"), -EINVAL);
	assert_non_null(strstr(eb.text, "site s9: key nope: not a WireGuard public key"));
	assert_int_equal(edit(&p, &eb, "site add s9 --key " KEY_B), -EINVAL);
	assert_non_null(strstr(eb.text, "site s9: prefix: at least one is needed"));
	assert_int_equal(edit(&p, &eb, "site add bad/name --key " KEY_B " --prefix 10.9.0.0/16"),
			 -EINVAL);
	assert_int_equal(edit(&p, &eb, "site del nosuch"), -EINVAL);
	assert_int_equal(edit(&p, &eb, "node set --mode medium"), -EINVAL);
	assert_int_equal(edit(&p, &eb, "node set --mtu 100"), -EINVAL);
	assert_int_equal(edit(&p, &eb, "site rename a b"), -EINVAL);
	assert_true(policy_equal(&p, &before));
	policy_free(&p);
	policy_free(&before);
}

/* Secure prefixes never overlap, whichever is added first and at any depth. */
static void
test_overlaps_found_in_any_order(void **state)
{
	struct policy p;
	struct errbuf eb = {0};

	(void)state;
	policy_init(&p);
	assert_int_equal(edit(&p, &eb, "node set --prefix 10.1.0.0/16 fd00:0:1::/48"), 0);
	assert_int_equal(
	    edit(&p, &eb, "site add s2 --key " KEY_A " --prefix 10.2.16.0/21 fd00:0:2:8000::/49"),
	    0);
	/* wider, added later: holds s2's /21 */
	assert_int_equal(edit(&p, &eb, "site add s3 --key " KEY_B " --prefix 10.2.0.0/19"),
			 -EINVAL);
	assert_non_null(strstr(eb.text, "prefix 10.2.16.0/21 overlaps 10.2.0.0/19 of site s3"));
	/* IPv6, odd length: fd00:0:2:c000::/50 lies inside s2's /49 */
	assert_int_equal(edit(&p, &eb, "site add s3 --key " KEY_B " --prefix fd00:0:2:c000::/50"),
			 -EINVAL);
	assert_non_null(strstr(
	    eb.text, "site s3: prefix fd00:0:2:c000::/50 overlaps fd00:0:2:8000::/49 of site s2"));
	/* the neighbours just outside are fine */
	assert_int_equal(
	    edit(&p, &eb, "site add s3 --key " KEY_B " --prefix 10.2.24.0/21 fd00:0:2::/49"), 0);
	/* a direct rule may not reach into a secure prefix, of either family */
	assert_int_equal(edit(&p, &eb, "split add 5 --action direct --dst 10.2.25.0/24"), -EINVAL);
	assert_non_null(strstr(eb.text, "secure (s3)"));
	assert_int_equal(edit(&p, &eb, "split add 5 --action direct --dst fd00:0:1:5::/64"),
			 -EINVAL);
	assert_non_null(strstr(eb.text, "secure (this node)"));
	/* wider than every secure prefix: allowed; red skips secure destinations */
	assert_int_equal(edit(&p, &eb, "split add 5 --action direct --dst 10.0.0.0/8"), 0);
	policy_free(&p);
}

/* 250 sites x 16 prefixes validate without a false overlap. */
static void
test_large_policy_validates(void **state)
{
	struct policy p;
	struct errbuf eb = {0};
	uint8_t key[WG_KEY_LEN] = {0};
	char line[512], b64[64];

	(void)state;
	policy_init(&p);
	for (int s = 0; s < 250; s++) {
		int n;
		key[0] = (uint8_t)s;
		key[1] = 1;
		sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
				  sodium_base64_VARIANT_ORIGINAL);
		n = snprintf(line, sizeof(line), "site add n%d --key %s --prefix", s, b64);
		for (int j = 0; j < 16; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " 10.%d.%d.0/24", s,
				      j * 16);
		assert_int_equal(edit(&p, &eb, line), 0);
	}
	assert_int_equal(p.nsites, 250);
	assert_int_equal(policy_validate(&p, &eb), 0);
	assert_int_equal(eb.count, 0);
	policy_free(&p);
}

/* This node 10.1/16, sites s2 (10.2/16) and s3 (10.3/16). */
static void
two_sites(struct policy *p, struct errbuf *eb)
{
	policy_init(p);
	assert_int_equal(edit(p, eb, "node set --prefix 10.1.0.0/16"), 0);
	assert_int_equal(edit(p, eb, "site add s2 --key " KEY_A " --prefix 10.2.0.0/16"), 0);
	assert_int_equal(edit(p, eb, "site add s3 --key " KEY_B " --prefix 10.3.0.0/16"), 0);
}

/* A site's allowed-ips through the tunnel index are the ones policy_site_allowed gives. */
static void
test_allowed_indexed(void **state)
{
	struct policy p;
	struct errbuf eb = {0};
	struct tunnels t;

	(void)state;
	two_sites(&p, &eb);
	assert_int_equal(edit(&p, &eb, "split add 30 --action tunnel --site s3 --dst 0.0.0.0/0"), 0);
	assert_int_equal(edit(&p, &eb, "split add 10 --action tunnel --site s3 --dst 192.0.2.0/24"), 0);
	assert_int_equal(edit(&p, &eb, "split add 20 --action tunnel --site s2 --dst 198.51.100.0/24"), 0);
	assert_int_equal(edit(&p, &eb, "split add 40 --action tunnel --site s3 --dst 192.0.2.0/24 --proto tcp --port 80"), 0);
	assert_int_equal(policy_tunnels_index(&p, &t), 0);
	assert_int_equal(t.n, 4);
	for (size_t i = 0; i < p.nsites; i++) {
		struct prefix *a, *b;
		size_t na, nb;
		assert_int_equal(policy_site_allowed(&p, &p.sites[i], &a, &na), 0);
		assert_int_equal(policy_site_allowed_in(&t, &p.sites[i], &b, &nb), 0);
		assert_int_equal(na, nb);
		assert_memory_equal(a, b, na * sizeof(*a));
		/* s2: its prefix and one rule's; s3: its prefix and two (192.0.2.0/24 once) */
		assert_int_equal(na, i == 0 ? 2 : 3);
		free(a);
		free(b);
	}
	free(t.v);
	policy_free(&p);
}

/* The peer explain names is the one WireGuard picks: the most specific allowed-ip. */
static void
test_explain_peer(void **state)
{
	static const struct {
		const char *dst, *site;
	} cases[] = {
	    {"10.2.1.1", "s2"},	 /* s2's own /16 */
	    {"10.2.5.1", "s3"},	 /* a /24 of it tunnelled to s3: longer */
	    {"10.3.0.1", "s3"},	 /* s3's own */
	    {"198.51.100.7", "s3"}, /* the hub's 0.0.0.0/0 */
	};
	struct policy p;
	struct errbuf eb = {0};

	(void)state;
	two_sites(&p, &eb);
	assert_int_equal(edit(&p, &eb, "split add 10 --action tunnel --site s3 --dst 10.2.5.0/24"), 0);
	assert_int_equal(edit(&p, &eb, "split add 20 --action tunnel --site s3 --dst 0.0.0.0/0"), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[64], *argv[2] = {line, (char *)cases[i].dst};
		struct explain_pkt k;
		struct explanation e;
		snprintf(line, sizeof(line), "10.1.1.10");
		assert_int_equal(explain_parse(2, argv, &k, &eb), 0);
		policy_explain(&p, &k, &e);
		assert_int_equal(e.path, PATH_TUNNEL);
		assert_string_equal(e.site, cases[i].site);
	}
	policy_free(&p);
}

/* A policy with a little of everything that decides a path: three sites, a hub rule, services. */
static void
scope_base(struct policy *p, struct errbuf *eb)
{
	two_sites(p, eb);
	assert_int_equal(edit(p, eb, "site add s5 --key Q2ZUAqyo0sjvWoQu8xjJkEMPEnNOJYxw2lMAAd2hpXA= --prefix 10.5.0.0/16 --prefix fd00:5::/48"), 0);
	assert_int_equal(edit(p, eb, "node set --default direct"), 0);
	assert_int_equal(edit(p, eb, "split add 10 --action direct --dst 203.0.113.0/24 --proto tcp --port 80"), 0);
	assert_int_equal(edit(p, eb, "split add 20 --action drop --dst 203.0.113.0/24 --proto tcp --port 8080"), 0);
	assert_int_equal(edit(p, eb, "split add 30 --action tunnel --site s3 --dst 198.51.100.0/24"), 0);
	assert_int_equal(edit(p, eb, "split add 40 --action drop --src 10.1.2.0/24 --proto udp"), 0);
}

/* One packet of the grid; false when SRC and DST are not of one family. */
static bool
grid_pkt(const char *src, const char *dst, uint8_t proto, uint16_t port, struct explain_pkt *k)
{
	int f = strchr(dst, ':') ? AF_INET6 : AF_INET;

	*k = (struct explain_pkt){.family = (uint8_t)f, .proto = proto, .port = port};
	return inet_pton(f, src, k->src) == 1 && inet_pton(f, dst, k->dst) == 1;
}

/* Every packet of a grid over the prefixes above, their edges and beyond: to old and new. */
static void
scope_check(const struct policy *old, const struct ranges *secure, const struct policy *new,
	    const struct explain_scope *sc, size_t *changed, size_t *outside)
{
	static const char *const dst[] = {
	    "10.2.0.1",	    "10.2.200.1", "10.3.0.1",	  "10.4.0.1",  "10.4.255.1",
	    "203.0.113.9",  "203.0.113.200", "198.51.100.1", "192.0.2.1", "10.1.9.9",
	    "10.5.0.1",	    "10.6.0.1",	  "fd00:5::1",	  "fd00:6::1", "2001:db8::1"};
	static const char *const src[] = {"10.1.1.10", "10.1.2.10", "fd00:1::10"};
	static const uint8_t proto[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};
	static const uint16_t port[] = {0, 53, 80, 8080};

	for (size_t d = 0; d < sizeof(dst) / sizeof(*dst); d++)
		for (size_t s = 0; s < sizeof(src) / sizeof(*src); s++)
			for (size_t q = 0; q < sizeof(proto); q++)
				for (size_t t = 0; t < 4; t++) {
					struct explain_pkt k;
					bool moved, in;
					if ((port[t] && (proto[q] == 0 || proto[q] == IPPROTO_ICMP)) ||
					    !grid_pkt(src[s], dst[d], proto[q], port[t], &k))
						continue;
					moved = explain_path(old, NULL, &k) != explain_path(new, NULL, &k);
					if (explain_path(old, secure, &k) != explain_path(old, NULL, &k))
						fail_msg("%s -> %s: the ranges and the scan disagree", src[s],
							 dst[d]);
					in = explain_in_scope(sc, &k);
					if (moved && !in)
						fail_msg("%s -> %s proto %u port %u changed path outside the "
							 "scope",
							 src[s], dst[d], proto[q], port[t]);
					*changed += moved;
					*outside += !in;
				}
}

/*
 * The prune explains only the flows in a change's scope: every packet whose
 * path a change moves must lie in it, and the scope must leave out most of
 * those it cannot move (or it would save nothing).
 */
static void
test_explain_scope(void **state)
{
	static const struct {
		const char *edits[2];
		bool all, moves, empty; /* empty: no prefix, no rule, the prune looks at no flow */
	} cases[] = {
	    {{"site add s4 --key XTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= --prefix 10.4.0.0/16"}, false, true, false},
	    {{"site del s5"}, false, true, false},
	    {{"site del s2", "site add s2 --key " KEY_A " --prefix 10.2.0.0/17"}, false, true, false},
	    {{"site del s2", "site add s2 --key XTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg= --prefix 10.2.0.0/16"}, false, false, true},
	    {{"site del s5", "site add s5 --key Q2ZUAqyo0sjvWoQu8xjJkEMPEnNOJYxw2lMAAd2hpXA= --prefix 10.5.0.0/16 --prefix fd00:6::/48"}, false, true, false},
	    {{"site add s6 --key mz5iOpQQH9jp5sxI1HYKQ2nrj1IL3Lqe8O4jwTm3w0g= --prefix 203.0.113.0/25"}, false, true, false}, /* rule 10 no longer goes direct there */
	    {{"split del 20"}, false, true, false},
	    {{"split add 5 --action drop --dst 10.2.200.0/24"}, false, true, false},
	    {{"split del 20", "split add 20 --action direct --dst 203.0.113.0/24 --proto tcp --port 8080"}, false, true, false},
	    {{"split add 50 --action direct --dst 192.0.2.0/24"}, false, false, false}, /* the default already */
	    {{"node set --default drop"}, true, true, false},
	};
	struct errbuf eb = {0};
	struct ranges secure;
	struct policy base;

	(void)state;
	scope_base(&base, &eb);
	assert_int_equal(ranges_build(&base, &secure), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct explain_scope sc;
		size_t changed = 0, outside = 0;
		struct policy next;

		assert_int_equal(policy_copy(&next, &base), 0);
		for (size_t e = 0; e < 2 && cases[i].edits[e]; e++)
			if (edit(&next, &eb, cases[i].edits[e]) != 0)
				fail_msg("edit %zu.%zu: %s", i, e, eb.text);
		assert_int_equal(explain_scope(&base, &next, &sc), 0);
		assert_int_equal(sc.all, cases[i].all);
		scope_check(&base, &secure, &next, &sc, &changed, &outside);
		if ((changed > 0) != cases[i].moves)
			fail_msg("case %zu: %zu packets changed path", i, changed);
		if (!cases[i].all)
			assert_true(outside > 0);
		if (cases[i].empty && (sc.nprefixes || sc.nrules))
			fail_msg("case %zu: %zu prefixes, %zu rules in scope", i, sc.nprefixes, sc.nrules);
		explain_scope_free(&sc);
		policy_free(&next);
	}
	ranges_free(&secure);
	policy_free(&base);
}

/* A random prefix of family f: lengths across the range, host bits zero. */
static void
random_prefix(struct prefix *p, uint8_t f)
{
	int bits = f == AF_INET ? 32 : 128;

	/* Long enough to leave room around them (test_ranges_edges has the /0). */
	uint32_t min = f == AF_INET ? 16 : 32;
	uint32_t len = min + randombytes_uniform((uint32_t)bits - min + 1);

	*p = (struct prefix){.family = f, .len = (uint8_t)len};
	/* Few distinct high bytes, so that prefixes nest and overlap. */
	randombytes_buf(p->addr, f == AF_INET ? 4 : 16);
	p->addr[0] = f == AF_INET ? 10 : 0xfd;
	p->addr[1] &= 0x3;
	for (int i = 0; i < 16; i++) {
		int in = (int)p->len - 8 * i;
		p->addr[i] &= (uint8_t)(in >= 8 ? 0xff : in <= 0 ? 0 : 0xff << (8 - in));
	}
}

/*
 * The ranges answer as the scan over every prefix does, for prefixes that
 * nest, overlap and touch, in both families, at their edges and around.
 */
static void
test_ranges(void **state)
{
	struct site sites[8] = {0};
	struct prefix pr[8][40];
	struct policy p;
	struct ranges r;

	(void)state;
	policy_init(&p);
	p.sites = sites;
	p.nsites = 8;
	for (size_t i = 0; i < 8; i++) {
		sites[i].prefixes = pr[i];
		sites[i].nprefixes = 40;
		for (size_t j = 0; j < 40; j++)
			random_prefix(&pr[i][j], j % 2 ? AF_INET : AF_INET6);
	}
	assert_int_equal(ranges_build(&p, &r), 0);
	assert_true(r.n > 0 && r.n <= 320);
	for (int n = 0; n < 20000; n++) {
		const struct prefix *base = &pr[randombytes_uniform(8)][randombytes_uniform(40)];
		uint8_t a[16];
		bool scan = false;
		memcpy(a, base->addr, 16);
		int alen = base->family == AF_INET ? 4 : 16;
		/* A prefix's first address, its last, the one after its last, or one bit off. */
		if (n % 4 == 1 || n % 4 == 2)
			for (int bit = base->len; bit < alen * 8; bit++)
				a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
		if (n % 4 == 2)
			for (int i = alen - 1; i >= 0 && ++a[i] == 0; i--)
				;
		if (n % 4 == 3)
			a[randombytes_uniform((uint32_t)alen)] ^= (uint8_t)(1u << randombytes_uniform(8));
		for (size_t i = 0; i < 8 && !scan; i++)
			for (size_t j = 0; j < 40 && !scan; j++)
				scan = prefix_contains(&pr[i][j], base->family, a);
		if (ranges_contain(&r, base->family, a) != scan)
			fail_msg("ranges and scan disagree on an address of family %u", base->family);
	}
	ranges_free(&r);
}

/* Ranges at the ends of the address space: a /0, and one that reaches the top. */
static void
test_ranges_edges(void **state)
{
	struct prefix pr[3];
	struct site site = {.prefixes = pr, .nprefixes = 3};
	struct policy p;
	struct ranges r;
	uint8_t a[16] = {0};
	char *v6top = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

	(void)state;
	policy_init(&p);
	p.sites = &site;
	p.nsites = 1;
	assert_int_equal(prefix_parse("255.255.255.0/24", &pr[0], "", NULL), 0);
	assert_int_equal(prefix_parse("10.0.0.0/8", &pr[1], "", NULL), 0);
	assert_int_equal(prefix_parse("::/0", &pr[2], "", NULL), 0);
	assert_int_equal(ranges_build(&p, &r), 0);
	inet_pton(AF_INET, "255.255.255.255", a);
	assert_true(ranges_contain(&r, AF_INET, a));
	inet_pton(AF_INET, "255.255.254.255", a);
	assert_false(ranges_contain(&r, AF_INET, a));
	inet_pton(AF_INET, "11.0.0.0", a); /* the first address after 10/8 */
	assert_false(ranges_contain(&r, AF_INET, a));
	inet_pton(AF_INET, "10.255.255.255", a);
	assert_true(ranges_contain(&r, AF_INET, a));
	inet_pton(AF_INET6, v6top, a);
	assert_true(ranges_contain(&r, AF_INET6, a));
	memset(a, 0, sizeof(a));
	assert_true(ranges_contain(&r, AF_INET6, a));
	ranges_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_overlaps_found_in_any_order),
		cmocka_unit_test(test_large_policy_validates),
		cmocka_unit_test(test_allowed_indexed),
		cmocka_unit_test(test_explain_peer),
		cmocka_unit_test(test_explain_scope),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_ranges_edges),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_edit_and_print_round_trip),
		cmocka_unit_test(test_bad_edits_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
