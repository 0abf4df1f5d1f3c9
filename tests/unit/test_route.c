// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_route.c — route_plan per domain and mode, the rtnetlink
 * builders checked by parsing their output back, and sysctl_apply on a
 * scratch tree. Hermetic: no kernel state, no root.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "policy/policy.h"
#include "policy/route.h"
#include "policy/sysctl.h"

struct planned {
	struct route_want *r;
	size_t nr;
	struct rule_want *u;
	size_t nu;
};

static void
add_prefix(struct prefix **arr, size_t *n, const char *s)
{
	struct errbuf eb = {0};

	*arr = realloc(*arr, (*n + 1) * sizeof(**arr));
	assert_non_null(*arr);
	assert_int_equal(prefix_parse(s, &(*arr)[*n], "test ", &eb), 0);
	(*n)++;
}

static void
add_site(struct policy *p, const char *name, const char *v4, const char *v6)
{
	struct site s = {0};

	snprintf(s.name, sizeof(s.name), "%s", name);
	add_prefix(&s.prefixes, &s.nprefixes, v4);
	if (v6)
		add_prefix(&s.prefixes, &s.nprefixes, v6);
	assert_int_equal(policy_site_append(p, &s), 0);
	site_free(&s);
}

/* Node 10.1.0.0/16 + fd00:0:1::/48, sites 2 and 3 with both families. */
static void
make_policy(struct policy *p, enum node_mode mode)
{
	policy_init(p);
	p->node.mode = mode;
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "10.1.0.0/16");
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "fd00:0:1::/48");
	add_site(p, "two", "10.2.0.0/16", "fd00:0:2::/48");
	add_site(p, "three", "10.3.0.0/16", "fd00:0:3::/48");
}

static void
plan(const struct policy *p, enum domain d, struct planned *out)
{
	assert_int_equal(route_plan(p, d, &out->r, &out->nr, &out->u, &out->nu), 0);
}

static void
planned_free(struct planned *pl)
{
	free(pl->r);
	free(pl->u);
}

static size_t
count_routes(const struct planned *pl, uint8_t family, uint32_t table, uint8_t type)
{
	size_t n = 0;

	for (size_t i = 0; i < pl->nr; i++)
		if (pl->r[i].family == family && pl->r[i].table == table && pl->r[i].type == type)
			n++;
	return n;
}

/* The route with this table and destination ("default" or a prefix). */
static const struct route_want *
find_route(const struct planned *pl, uint32_t table, const char *dst, uint8_t type)
{
	struct prefix want = {0};
	struct errbuf eb = {0};

	if (strcmp(dst, "default") != 0)
		assert_int_equal(prefix_parse(dst, &want, "", &eb), 0);
	for (size_t i = 0; i < pl->nr; i++) {
		const struct route_want *r = &pl->r[i];

		if (r->table != table || r->type != type)
			continue;
		if (want.family ? (r->family == want.family && r->dst.len == want.len &&
				   memcmp(r->dst.addr, want.addr, 16) == 0)
				: r->dst.len == 0)
			return r;
	}
	fail_msg("no route %s in table %u", dst, table);
	return NULL;
}

static void
check_via(const struct route_want *r, const char *gw, const char *dev, uint32_t metric)
{
	uint8_t a[16] = {0};

	inet_pton(AF_INET, gw, a);
	assert_int_equal(r->family, AF_INET);
	assert_true(r->has_gw);
	assert_memory_equal(r->gw, a, 16);
	assert_string_equal(r->dev, dev);
	assert_int_equal(r->metric, metric);
	assert_int_equal(r->type, RTN_UNICAST);
}

/* Both families, highest metric, no device: the kill switch of one table. */
static void
check_unreachable(const struct planned *pl, uint32_t table)
{
	size_t v4 = 0, v6 = 0;

	for (size_t i = 0; i < pl->nr; i++) {
		const struct route_want *r = &pl->r[i];

		if (r->table != table || r->type != RTN_UNREACHABLE)
			continue;
		assert_int_equal(r->dst.len, 0);
		assert_int_equal(r->metric, 4294967295u);
		assert_false(r->has_gw);
		assert_string_equal(r->dev, "");
		v4 += r->family == AF_INET;
		v6 += r->family == AF_INET6;
	}
	assert_int_equal(v4, 1);
	assert_int_equal(v6, 1);
}

/* The rule pair (v4, v6) at prio. */
static void
check_rule(const struct planned *pl, uint32_t prio, uint32_t table, uint32_t mark, uint32_t mask)
{
	size_t v4 = 0, v6 = 0;

	for (size_t i = 0; i < pl->nu; i++) {
		const struct rule_want *u = &pl->u[i];

		if (u->prio != prio)
			continue;
		assert_int_equal(u->table, table);
		assert_int_equal(u->mark, mark);
		assert_int_equal(u->mask, mask);
		v4 += u->family == AF_INET;
		v6 += u->family == AF_INET6;
	}
	assert_int_equal(v4, 1);
	assert_int_equal(v6, 1);
}

static void
test_plan_red_small(void **state)
{
	struct policy p;
	struct planned pl;

	(void)state;
	make_policy(&p, MODE_SMALL);
	plan(&p, DOMAIN_RED, &pl);
	assert_int_equal(pl.nu, 4);
	check_rule(&pl, RULE_PRIO, TABLE_SECURE, MARK_SECURE, MARK_MASK);
	check_rule(&pl, RULE_PRIO + 1, TABLE_DIRECT, MARK_DIRECT, MARK_MASK);
	assert_int_equal(pl.nr, 6);
	check_via(find_route(&pl, TABLE_SECURE, "default", RTN_UNICAST), TOPO_CRYPTO_TO_RED,
		  IF_TO_CRYPTO, 0);
	check_via(find_route(&pl, TABLE_DIRECT, "default", RTN_UNICAST), TOPO_BLACK_TO_RED,
		  IF_TO_BLACK, 0);
	check_unreachable(&pl, TABLE_SECURE);
	check_unreachable(&pl, TABLE_DIRECT);
	assert_int_equal(count_routes(&pl, AF_INET, TABLE_SECURE, RTN_UNICAST), 1);
	assert_int_equal(count_routes(&pl, AF_INET6, TABLE_SECURE, RTN_UNICAST), 0);
	planned_free(&pl);
	policy_free(&p);
}

static void
test_plan_red_large(void **state)
{
	struct policy p;
	struct planned pl;

	(void)state;
	make_policy(&p, MODE_LARGE);
	plan(&p, DOMAIN_RED, &pl);
	assert_int_equal(pl.nu, 2);
	check_rule(&pl, RULE_PRIO, TABLE_SECURE, MARK_SECURE, MARK_MASK);
	assert_int_equal(pl.nr, 3);
	check_via(find_route(&pl, TABLE_SECURE, "default", RTN_UNICAST), TOPO_CRYPTO_TO_RED,
		  IF_TO_CRYPTO, 0);
	check_unreachable(&pl, TABLE_SECURE);
	for (size_t i = 0; i < pl.nr; i++)
		assert_int_not_equal(pl.r[i].table, TABLE_DIRECT);
	planned_free(&pl);
	policy_free(&p);
}

/* The route in table with this destination and type, or NULL. */
static const struct route_want *
route_or_null(const struct planned *pl, uint32_t table, const char *dst, uint8_t type)
{
	struct prefix want = {0};
	struct errbuf eb = {0};

	assert_int_equal(prefix_parse(dst, &want, "", &eb), 0);
	for (size_t i = 0; i < pl->nr; i++)
		if (pl->r[i].table == table && pl->r[i].type == type &&
		    memcmp(&pl->r[i].dst, &want, sizeof(want)) == 0)
			return &pl->r[i];
	return NULL;
}

/* Crypto's secure table sends this destination into wg0 by a route of its own. */
static void
check_into_wg(const struct planned *pl, const char *dst)
{
	const struct route_want *r = route_or_null(pl, TABLE_SECURE, dst, RTN_UNICAST);

	if (!r)
		fail_msg("no route %s dev %s", dst, IF_WG);
	assert_false(r->has_gw);
	assert_string_equal(r->dev, IF_WG);
	assert_int_equal(r->metric, 0);
}

static void
check_crypto(enum node_mode mode)
{
	struct policy p;
	struct planned pl;
	const char *sites[] = {"10.2.0.0/16", "fd00:0:2::/48", "10.3.0.0/16", "fd00:0:3::/48"};

	make_policy(&p, mode);
	plan(&p, DOMAIN_CRYPTO, &pl);
	assert_int_equal(pl.nu, 4);
	check_rule(&pl, RULE_PRIO, TABLE_WG, MARK_WG, MARK_MASK);
	check_rule(&pl, RULE_PRIO + 1, TABLE_SECURE, 0, 0);
	/* WG: default + 2 unreachable; SECURE: 2 defaults + 1 node (v4 only) + 2 unreachable. */
	assert_int_equal(pl.nr, 8);
	check_via(find_route(&pl, TABLE_WG, "default", RTN_UNICAST), TOPO_BLACK_TO_CRYPTO,
		  IF_TO_BLACK, 0);
	check_unreachable(&pl, TABLE_WG);
	check_unreachable(&pl, TABLE_SECURE);
	/* WireGuard's allowed-ips choose the peer: no route per site prefix. */
	check_into_wg(&pl, "0.0.0.0/0");
	check_into_wg(&pl, "::/0");
	for (size_t i = 0; i < 4; i++)
		assert_null(route_or_null(&pl, TABLE_SECURE, sites[i], RTN_UNICAST));
	check_via(find_route(&pl, TABLE_SECURE, "10.1.0.0/16", RTN_UNICAST), TOPO_RED_TO_CRYPTO,
		  IF_TO_RED, 0);
	planned_free(&pl);
	policy_free(&p);
}

static void
test_plan_crypto(void **state)
{
	(void)state;
	check_crypto(MODE_SMALL);
	check_crypto(MODE_LARGE);
}

static void
add_tunnel(struct policy *p, uint16_t prio, const char *dst, const char *site)
{
	struct split_rule r = {.priority = prio, .has_dst = true, .action = SPLIT_TUNNEL};
	struct errbuf eb = {0};

	assert_int_equal(prefix_parse(dst, &r.dst, "", &eb), 0);
	snprintf(r.site, sizeof(r.site), "%s", site);
	p->rules = realloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	assert_non_null(p->rules);
	p->rules[p->nrules++] = r;
}

/*
 * A stale site's destinations are unreachable; a live site inside a stale
 * one (behind a stale hub's 0.0.0.0/0) keeps a route of its own into wg0,
 * and a stale default leaves that family to the table's unreachable end.
 */
static void
test_plan_crypto_stale(void **state)
{
	struct policy p;
	struct planned pl;

	(void)state;
	make_policy(&p, MODE_SMALL);
	add_site(&p, "hub", "10.4.0.0/16", NULL);
	add_tunnel(&p, 10, "0.0.0.0/0", "hub");
	add_tunnel(&p, 20, "10.2.0.0/16", "hub"); /* a site prefix: s2's own route decides */
	add_tunnel(&p, 30, "10.2.5.0/24", "three");
	policy_site_find(&p, "two")->stale = true;
	plan(&p, DOMAIN_CRYPTO, &pl);
	assert_non_null(route_or_null(&pl, TABLE_SECURE, "10.2.0.0/16", RTN_UNREACHABLE));
	assert_non_null(route_or_null(&pl, TABLE_SECURE, "fd00:0:2::/48", RTN_UNREACHABLE));
	check_into_wg(&pl, "10.2.5.0/24"); /* three's, inside stale two */
	assert_null(route_or_null(&pl, TABLE_SECURE, "10.3.0.0/16", RTN_UNICAST));
	check_into_wg(&pl, "0.0.0.0/0");
	planned_free(&pl);

	policy_site_find(&p, "hub")->stale = true;
	plan(&p, DOMAIN_CRYPTO, &pl);
	assert_null(route_or_null(&pl, TABLE_SECURE, "0.0.0.0/0", RTN_UNICAST));
	/* IPv4 unreachable: two's, the hub's and the end; the stale default is the end. */
	assert_int_equal(count_routes(&pl, AF_INET, TABLE_SECURE, RTN_UNREACHABLE), 3);
	assert_int_equal(route_or_null(&pl, TABLE_SECURE, "0.0.0.0/0", RTN_UNREACHABLE)->metric,
			 ROUTE_METRIC_LAST);
	check_into_wg(&pl, "::/0");
	assert_non_null(route_or_null(&pl, TABLE_SECURE, "10.4.0.0/16", RTN_UNREACHABLE));
	check_into_wg(&pl, "10.3.0.0/16"); /* live, under the stale hub's default */
	check_into_wg(&pl, "10.2.5.0/24");
	assert_null(route_or_null(&pl, TABLE_SECURE, "fd00:0:3::/48", RTN_UNICAST));
	planned_free(&pl);
	policy_free(&p);
}

static void
test_plan_black(void **state)
{
	struct policy p;
	struct planned pl;

	(void)state;
	make_policy(&p, MODE_SMALL);
	add_prefix(&p.node.prefixes, &p.node.nprefixes, "10.101.0.0/16");
	plan(&p, DOMAIN_BLACK, &pl);
	assert_int_equal(pl.nu, 0);
	assert_int_equal(pl.nr, 2);
	check_via(find_route(&pl, RT_TABLE_MAIN, "10.1.0.0/16", RTN_UNICAST), TOPO_RED_TO_BLACK,
		  IF_TO_RED, 0);
	check_via(find_route(&pl, RT_TABLE_MAIN, "10.101.0.0/16", RTN_UNICAST), TOPO_RED_TO_BLACK,
		  IF_TO_RED, 0);
	planned_free(&pl);
	policy_free(&p);
}

static void
test_plan_empty_and_bad(void **state)
{
	struct policy p;
	struct planned pl = {0};

	(void)state;
	policy_init(&p);
	plan(&p, DOMAIN_BLACK, &pl);
	assert_int_equal(pl.nr, 0);
	assert_int_equal(pl.nu, 0);
	planned_free(&pl);
	plan(&p, DOMAIN_CRYPTO, &pl);
	assert_int_equal(pl.nr, 7); /* WG: default + 2 unreachable; SECURE: 2 into wg0, 2 unreachable */
	planned_free(&pl);
	pl = (struct planned){0};
	assert_int_equal(route_plan(&p, DOMAIN_COUNT, &pl.r, &pl.nr, &pl.u, &pl.nu), -EINVAL);
	assert_null(pl.r);
	policy_free(&p);
}

static int
attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static void
test_build_route(void **state)
{
	char buf[ROUTE_MSG_MAX];
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct route_want r = {.family = AF_INET,
			       .table = 1000,
			       .type = RTN_UNICAST,
			       .has_gw = true,
			       .metric = 7,
			       .dev = "to-red"};
	struct errbuf eb = {0};
	struct route_seen s;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	(void)state;
	assert_int_equal(prefix_parse("10.1.0.0/16", &r.dst, "", &eb), 0);
	inet_pton(AF_INET, TOPO_RED_TO_CRYPTO, r.gw);
	nlh = route_msg_route(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &r, 42);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_family, AF_INET);
	assert_int_equal(rtm->rtm_table, RT_TABLE_UNSPEC); /* 1000 does not fit */
	assert_int_equal(rtm->rtm_dst_len, 16);
	assert_int_equal(rtm->rtm_protocol, RTPROT_UMBRAL);
	assert_int_equal(rtm->rtm_type, RTN_UNICAST);
	assert_int_equal(rtm->rtm_scope, RT_SCOPE_UNIVERSE);
	assert_true(rtm->rtm_flags & RTNH_F_ONLINK);
	assert_true(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) >= 0);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_TABLE]), 1000);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_PRIORITY]), 7);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_OIF]), 42);
	assert_int_equal(mnl_attr_get_payload_len(tb[RTA_DST]), 4);
	assert_memory_equal(mnl_attr_get_payload(tb[RTA_DST]), r.dst.addr, 4);
	assert_int_equal(mnl_attr_get_payload_len(tb[RTA_GATEWAY]), 4);
	assert_memory_equal(mnl_attr_get_payload(tb[RTA_GATEWAY]), r.gw, 4);
	/* And back through the parser apply uses on dumps. */
	assert_int_equal(route_msg_parse_route(nlh, &s), 0);
	assert_memory_equal(&s.r.dst, &r.dst, sizeof(r.dst));
	assert_memory_equal(s.r.gw, r.gw, 16);
	assert_true(s.r.has_gw);
	assert_int_equal(s.r.table, 1000);
	assert_int_equal(s.r.metric, 7);
	assert_int_equal(s.oif, 42);
	assert_int_equal(s.protocol, RTPROT_UMBRAL);
	assert_true(s.flags & RTNH_F_ONLINK);
}

static void
test_build_route_small_table_v6(void **state)
{
	char buf[ROUTE_MSG_MAX];
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	struct route_want r = {.family = AF_INET6,
			       .table = TABLE_SECURE,
			       .type = RTN_UNREACHABLE,
			       .metric = ROUTE_METRIC_LAST};
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct route_seen s;

	(void)state;
	r.dst.family = AF_INET6;
	nlh = route_msg_route(buf, RTM_NEWROUTE, NLM_F_CREATE, &r, 0);
	rtm = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(rtm->rtm_table, TABLE_SECURE);
	assert_int_equal(rtm->rtm_type, RTN_UNREACHABLE);
	assert_int_equal(rtm->rtm_flags, 0);
	assert_int_equal(rtm->rtm_dst_len, 0);
	assert_true(mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, tb) >= 0);
	assert_null(tb[RTA_DST]);
	assert_null(tb[RTA_GATEWAY]);
	assert_null(tb[RTA_OIF]);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_TABLE]), TABLE_SECURE);
	assert_int_equal(mnl_attr_get_u32(tb[RTA_PRIORITY]), 4294967295u);
	/* A device route has link scope; a delete matches any scope. */
	r = (struct route_want){.family = AF_INET6, .table = TABLE_SECURE, .type = RTN_UNICAST};
	nlh = route_msg_route(buf, RTM_NEWROUTE, 0, &r, 3);
	assert_int_equal(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope, RT_SCOPE_LINK);
	nlh = route_msg_route(buf, RTM_DELROUTE, 0, &r, 3);
	assert_int_equal(((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_scope, RT_SCOPE_NOWHERE);
	assert_int_equal(route_msg_parse_route(nlh, &s), 0);
	assert_int_equal(s.r.family, AF_INET6);
	assert_false(s.r.has_gw);
}

static void
test_parse_route_rejects(void **state)
{
	char buf[ROUTE_MSG_MAX];
	struct route_want r = {.family = AF_INET, .table = 100, .type = RTN_UNICAST};
	struct route_seen s;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	(void)state;
	nlh = route_msg_route(buf, RTM_NEWROUTE, 0, &r, 1);
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_UNSPEC;
	assert_int_equal(route_msg_parse_route(nlh, &s), -EINVAL);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 33;
	assert_int_equal(route_msg_parse_route(nlh, &s), -EINVAL);
	/* An IPv6-sized destination in an IPv4 route. */
	nlh = route_msg_route(buf, RTM_NEWROUTE, 0, &r, 1);
	mnl_attr_put(nlh, RTA_DST, 16, r.gw);
	assert_int_equal(route_msg_parse_route(nlh, &s), -EINVAL);
	/* A u32 attribute of the wrong size. */
	nlh = route_msg_route(buf, RTM_NEWROUTE, 0, &r, 0);
	mnl_attr_put_u16(nlh, RTA_OIF, 1);
	assert_int_equal(route_msg_parse_route(nlh, &s), -EINVAL);
	nlh->nlmsg_len = mnl_nlmsg_size(2);
	assert_int_equal(route_msg_parse_route(nlh, &s), -EINVAL);
}

static void
test_build_rule(void **state)
{
	char buf[ROUTE_MSG_MAX];
	const struct nlattr *tb[FRA_MAX + 1] = {0};
	struct rule_want u = {.family = AF_INET6,
			      .prio = RULE_PRIO,
			      .table = TABLE_SECURE,
			      .mark = MARK_SECURE,
			      .mask = MARK_MASK};
	struct fib_rule_hdr *frh;
	struct nlmsghdr *nlh;
	struct rule_seen s;

	(void)state;
	nlh = route_msg_rule(buf, RTM_NEWRULE, NLM_F_CREATE, &u);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(nlh->nlmsg_type, RTM_NEWRULE);
	assert_int_equal(frh->family, AF_INET6);
	assert_int_equal(frh->table, TABLE_SECURE);
	assert_int_equal(frh->action, FR_ACT_TO_TBL);
	assert_true(mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb) >= 0);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_PRIORITY]), RULE_PRIO);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_TABLE]), TABLE_SECURE);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_FWMARK]), MARK_SECURE);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_FWMASK]), MARK_MASK);
	assert_int_equal(mnl_attr_get_u8(tb[FRA_PROTOCOL]), RTPROT_UMBRAL);
	assert_int_equal(route_msg_parse_rule(nlh, &s), 0);
	assert_memory_equal(&s.u, &u, sizeof(u));
	assert_int_equal(s.action, FR_ACT_TO_TBL);

	/* Match-all, a table above 255, and a delete (no protocol to match on). */
	u = (struct rule_want){.family = AF_INET, .prio = RULE_PRIO + 1, .table = 5000};
	memset(tb, 0, sizeof(tb));
	nlh = route_msg_rule(buf, RTM_DELRULE, 0, &u);
	frh = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(frh->table, RT_TABLE_UNSPEC);
	assert_true(mnl_attr_parse(nlh, sizeof(*frh), attr_cb, tb) >= 0);
	assert_int_equal(mnl_attr_get_u32(tb[FRA_TABLE]), 5000);
	assert_null(tb[FRA_FWMARK]);
	assert_null(tb[FRA_FWMASK]);
	assert_null(tb[FRA_PROTOCOL]);
	assert_int_equal(route_msg_parse_rule(nlh, &s), 0);
	assert_memory_equal(&s.u, &u, sizeof(u));
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
check_file(const char *path, const char *text)
{
	char got[64] = "";
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	assert_string_equal(got, text);
}

/* A scratch /proc/sys: every key the module writes, with the wrong value. */
static void
test_sysctl_tree(void **state)
{
	char root[] = "/tmp/test_route.XXXXXX", p[512];
	const char *dirs[] = {"net",
			      "net/ipv4",
			      "net/ipv4/conf",
			      "net/ipv4/conf/all",
			      "net/ipv4/conf/default",
			      "net/ipv4/conf/lan",
			      "net/ipv6",
			      "net/ipv6/conf",
			      "net/ipv6/conf/all",
			      "net/ipv6/conf/default",
			      "net/ipv6/conf/lan"};
	const char *files[][2] = {{"net/ipv4/ip_forward", "1"},
				  {"net/ipv6/conf/all/forwarding", "1"},
				  {"net/ipv4/conf/all/rp_filter", "0"},
				  {"net/ipv4/conf/default/rp_filter", "0"},
				  {"net/ipv4/conf/lan/rp_filter", "0"},
				  {"net/ipv6/conf/all/accept_ra", "0"},
				  {"net/ipv6/conf/default/accept_ra", "0"},
				  {"net/ipv6/conf/lan/accept_ra", "0"}};
	size_t nfiles = sizeof(files) / sizeof(files[0]);

	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	for (size_t i = 0; i < nfiles; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, files[i][0]);
		write_file(p, files[i][1][0] == '1' ? "0\n" : "2\n");
	}
	assert_int_equal(sysctl_apply_at(root, DOMAIN_RED), 0);
	assert_int_equal(sysctl_apply_at(root, DOMAIN_RED), 0);
	for (size_t i = 0; i < nfiles; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, files[i][0]);
		check_file(p, files[i][1]);
	}
	assert_int_equal(sysctl_apply_at(root, DOMAIN_COUNT), -EINVAL);
	/* A missing key is reported; the others are still set. */
	snprintf(p, sizeof(p), "%s/net/ipv4/ip_forward", root);
	unlink(p);
	snprintf(p, sizeof(p), "%s/net/ipv4/conf/lan/rp_filter", root);
	write_file(p, "1\n");
	assert_int_equal(sysctl_apply_at(root, DOMAIN_CRYPTO), -ENOENT);
	check_file(p, "0");
	for (size_t i = 1; i < nfiles; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, files[i][0]);
		unlink(p);
	}
	for (size_t i = sizeof(dirs) / sizeof(dirs[0]); i-- > 0;) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		rmdir(p);
	}
	rmdir(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_red_small),
	    cmocka_unit_test(test_plan_red_large),
	    cmocka_unit_test(test_plan_crypto),
	    cmocka_unit_test(test_plan_crypto_stale),
	    cmocka_unit_test(test_plan_black),
	    cmocka_unit_test(test_plan_empty_and_bad),
	    cmocka_unit_test(test_build_route),
	    cmocka_unit_test(test_build_route_small_table_v6),
	    cmocka_unit_test(test_parse_route_rejects),
	    cmocka_unit_test(test_build_rule),
	    cmocka_unit_test(test_sysctl_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
