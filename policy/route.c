// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/route.c — the policy compiled into a domain's fib rules and routes
 * (own tables, each ending in an unreachable default: the kill switch), and
 * the rtnetlink exchange that makes the kernel match them.
 */
#include "policy/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include "core/log.h"
#include "core/nl.h"

/* IPv6 stores metric 0 as the kernel's default user metric. */
#define IP6_METRIC_DEFAULT 1024

struct plan {
	struct route_want *r;
	size_t nr, rcap;
	struct rule_want *u;
	size_t nu, ucap;
};

static size_t
addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* Appends a zeroed unicast route; the caller sized the array. */
static struct route_want *
plan_route(struct plan *pl, uint8_t family, uint32_t table)
{
	struct route_want *r = &pl->r[pl->nr++];

	memset(r, 0, sizeof(*r));
	r->family = family;
	r->table = table;
	r->type = RTN_UNICAST;
	r->dst.family = family;
	return r;
}

/* The kill switch: with no usable next hop the table drops, never falls through. */
static void
plan_unreachable(struct plan *pl, uint32_t table)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};

	for (size_t i = 0; i < sizeof(families); i++) {
		struct route_want *r = plan_route(pl, families[i], table);

		r->type = RTN_UNREACHABLE;
		r->metric = ROUTE_METRIC_LAST;
	}
}

/*
 * An IPv4 route via a fixed internal-link address. Onlink because the table
 * has no connected route for the link. dst NULL is the default route.
 */
/* A site's prefix while its handshake is stale: dropped with ICMP unreachable. */
static void
plan_unreachable_dst(struct plan *pl, uint32_t table, const struct prefix *dst)
{
	struct route_want *r = plan_route(pl, dst->family, table);

	r->dst = *dst;
	r->type = RTN_UNREACHABLE;
}

static void
plan_via(struct plan *pl, uint32_t table, const struct prefix *dst, const char *gw, const char *dev)
{
	struct route_want *r = plan_route(pl, AF_INET, table);

	if (dst)
		r->dst = *dst;
	r->has_gw = true;
	inet_pton(AF_INET, gw, r->gw);
	snprintf(r->dev, sizeof(r->dev), "%s", dev);
}

static void
plan_dev(struct plan *pl, uint32_t table, const struct prefix *dst, const char *dev)
{
	struct route_want *r = plan_route(pl, dst->family, table);

	r->dst = *dst;
	snprintf(r->dev, sizeof(r->dev), "%s", dev);
}

/* The same rule for IPv4 and IPv6. */
static void
plan_rule(struct plan *pl, uint32_t prio, uint32_t table, uint32_t mark, uint32_t mask)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};

	for (size_t i = 0; i < sizeof(families); i++) {
		struct rule_want *u = &pl->u[pl->nu++];

		*u = (struct rule_want){.family = families[i],
					.prio = prio,
					.table = table,
					.mark = mark,
					.mask = mask};
	}
}

static void
plan_red(const struct policy *p, struct plan *pl)
{
	plan_rule(pl, RULE_PRIO, TABLE_SECURE, MARK_SECURE, MARK_MASK);
	plan_via(pl, TABLE_SECURE, NULL, TOPO_CRYPTO_TO_RED, IF_TO_CRYPTO);
	plan_unreachable(pl, TABLE_SECURE);
	/* Prefixes behind the site's own router (large node), for LAN and tunnel alike. */
	for (size_t i = 0; i < p->nlan_routes; i++) {
		char gw[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &p->lan_routes[i].gw, gw, sizeof(gw));
		plan_via(pl, RT_TABLE_MAIN, &p->lan_routes[i].dst, gw, IF_LAN);
	}
	if (p->node.mode != MODE_SMALL)
		return;
	plan_rule(pl, RULE_PRIO + 1, TABLE_DIRECT, MARK_DIRECT, MARK_MASK);
	plan_via(pl, TABLE_DIRECT, NULL, TOPO_BLACK_TO_RED, IF_TO_BLACK);
	plan_unreachable(pl, TABLE_DIRECT);
}

static int
prefix_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct prefix));
}

/*
 * The site prefixes, sorted: a tunnel rule's destination that is one of them
 * is that site's. Built only when some site is stale.
 */
static struct prefix *
site_prefixes_sorted(const struct policy *p, size_t *n)
{
	size_t k = 0;
	struct prefix *v;

	for (size_t i = 0; i < p->nsites; i++)
		k += p->sites[i].nprefixes;
	if (!(v = calloc(k ? k : 1, sizeof(*v))))
		return NULL;
	k = 0;
	for (size_t i = 0; i < p->nsites; i++)
		for (size_t j = 0; j < p->sites[i].nprefixes; j++)
			v[k++] = p->sites[i].prefixes[j];
	qsort(v, k, sizeof(*v), prefix_cmp);
	*n = k;
	return v;
}

/* Whether an earlier tunnel rule has the same destination (rules are few next to prefixes). */
static bool
rule_dst_seen(const struct policy *p, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (p->rules[j].action == SPLIT_TUNNEL &&
		    memcmp(&p->rules[j].dst, &p->rules[i].dst, sizeof(struct prefix)) == 0)
			return true;
	return false;
}

/* A destination crypto sends into wg0, and whether its site is stale. */
struct tunnel_dst {
	const struct prefix *dst;
	bool stale;
};

/*
 * Every destination that enters wg0: the site prefixes, then what tunnel
 * rules send to a site (e.g. 0.0.0.0/0 to a hub) unless it is a site prefix
 * already. Returns how many, or -ENOMEM.
 */
static ssize_t
tunnel_dsts(const struct policy *p, struct tunnel_dst **out)
{
	size_t n = p->nrules, nsp = 0, k = 0;
	struct prefix *sp = site_prefixes_sorted(p, &nsp);
	struct tunnel_dst *v;

	if (!sp || !(v = calloc(nsp + n + 1, sizeof(*v)))) {
		free(sp);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nsites; i++)
		for (size_t j = 0; j < p->sites[i].nprefixes; j++)
			v[k++] = (struct tunnel_dst){&p->sites[i].prefixes[j], p->sites[i].stale};
	for (size_t i = 0; i < p->nrules; i++) {
		const struct split_rule *r = &p->rules[i];
		const struct site *s;

		if (r->action != SPLIT_TUNNEL ||
		    bsearch(&r->dst, sp, nsp, sizeof(*sp), prefix_cmp) || rule_dst_seen(p, i))
			continue;
		s = policy_site_find(p, r->site);
		v[k++] = (struct tunnel_dst){&r->dst, s && s->stale};
	}
	free(sp);
	*out = v;
	return (ssize_t)k;
}

/* Whether one of the stale destinations strictly contains e: e needs a route of its own. */
static bool
under_stale(const struct prefix *const *stale, size_t n, const struct prefix *e)
{
	for (size_t i = 0; i < n; i++)
		if (stale[i]->len < e->len && prefix_contains(stale[i], e->family, e->addr))
			return true;
	return false;
}

/*
 * Stale sites in the secure table: each stale destination unreachable, and
 * each live one that a stale one contains (a site behind a stale hub's
 * 0.0.0.0/0) routed into wg0 itself. A stale default is the table's own
 * unreachable end, so that family gets no default into wg0 (*no_default).
 */
static int
plan_stale(const struct policy *p, struct plan *pl, bool no_default[2])
{
	const struct prefix **stale;
	struct tunnel_dst *v;
	ssize_t n = tunnel_dsts(p, &v);
	size_t ns = 0;

	if (n < 0)
		return (int)n;
	/* The stale ones apart: few next to the live ones, each live one is checked against them. */
	if (!(stale = calloc((size_t)n + 1, sizeof(*stale)))) {
		free(v);
		return -ENOMEM;
	}
	for (ssize_t i = 0; i < n; i++)
		if (v[i].stale)
			stale[ns++] = v[i].dst;
	for (ssize_t i = 0; i < n; i++) {
		const struct prefix *d = v[i].dst;

		if (v[i].stale && d->len == 0)
			no_default[d->family == AF_INET6] = true;
		else if (v[i].stale)
			plan_unreachable_dst(pl, TABLE_SECURE, d);
		else if (under_stale(stale, ns, d))
			plan_dev(pl, TABLE_SECURE, d, IF_WG);
	}
	free(stale);
	free(v);
	return 0;
}

static bool
any_site_stale(const struct policy *p)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (p->sites[i].stale)
			return true;
	return false;
}

/*
 * Crypto: its own WireGuard traffic (marked) goes to black; everything else
 * takes the secure table, where one default route per family enters wg0
 * and WireGuard's allowed-ips choose the peer, so routing is O(1) in the
 * sites' prefixes and a site added or removed changes no route. What no
 * peer claims, wg0 drops; crypto's forward chain passes wg0 only to and
 * from red. With wg0 gone its routes go with it and the table's
 * unreachable end drops (the kill switch).
 */
static int
plan_crypto(const struct policy *p, const struct prefix *mine, size_t nmine, struct plan *pl)
{
	static const uint8_t families[] = {AF_INET, AF_INET6};
	bool no_default[2] = {false, false};

	plan_rule(pl, RULE_PRIO, TABLE_WG, MARK_WG, MARK_MASK);
	plan_rule(pl, RULE_PRIO + 1, TABLE_SECURE, 0, 0);
	plan_via(pl, TABLE_WG, NULL, TOPO_BLACK_TO_CRYPTO, IF_TO_BLACK);
	plan_unreachable(pl, TABLE_WG);
	if (any_site_stale(p) && plan_stale(p, pl, no_default) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(families); i++)
		if (!no_default[i])
			plan_dev(pl, TABLE_SECURE, &(struct prefix){.family = families[i]}, IF_WG);
	/* IPv6 node prefixes wait for IPv6 next hops on the internal links. */
	for (size_t i = 0; i < nmine; i++)
		if (mine[i].family == AF_INET)
			plan_via(pl, TABLE_SECURE, &mine[i], TOPO_RED_TO_CRYPTO, IF_TO_RED);
	plan_unreachable(pl, TABLE_SECURE);
	return 0;
}

/* Replies to red's direct traffic, de-NATed by black, go back to red. */
static void
plan_black(const struct prefix *mine, size_t nmine, struct plan *pl)
{
	for (size_t i = 0; i < nmine; i++)
		if (mine[i].family == AF_INET)
			plan_via(pl, RT_TABLE_MAIN, &mine[i], TOPO_RED_TO_BLACK, IF_TO_RED);
}

int
route_plan(const struct policy *p, enum domain d, struct route_want **routes, size_t *nroutes,
	   struct rule_want **rules, size_t *nrules)
{
	struct plan pl = {0};
	struct prefix *mine = NULL;
	size_t nmine = 0;

	if ((unsigned)d >= DOMAIN_COUNT)
		return -EINVAL;
	/* Upper bounds: 3 routes per table (3 tables at most) plus one per prefix. */
	pl.rcap = 9 + p->node.nprefixes + p->nrules + p->nlan_routes;
	for (size_t i = 0; i < p->nsites; i++)
		pl.rcap += p->sites[i].nprefixes;
	pl.ucap = 4;
	pl.r = calloc(pl.rcap, sizeof(*pl.r));
	pl.u = calloc(pl.ucap, sizeof(*pl.u));
	if (!pl.r || !pl.u || policy_local_prefixes(p, &mine, &nmine) < 0) {
		free(pl.r);
		free(pl.u);
		return -ENOMEM;
	}
	if (d == DOMAIN_RED)
		plan_red(p, &pl);
	else if (d == DOMAIN_CRYPTO && plan_crypto(p, mine, nmine, &pl) < 0) {
		free(mine);
		free(pl.r);
		free(pl.u);
		return -ENOMEM;
	} else if (d == DOMAIN_BLACK)
		plan_black(mine, nmine, &pl);
	free(mine);
	*routes = pl.r;
	*nroutes = pl.nr;
	*rules = pl.u;
	*nrules = pl.nu;
	return 0;
}

struct nlmsghdr *
route_msg_route(char *buf, uint16_t type, uint16_t flags, const struct route_want *r, uint32_t oif)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	size_t alen = addr_len(r->family);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = r->family;
	rtm->rtm_dst_len = r->dst.len;
	rtm->rtm_table = r->table < 256 ? (uint8_t)r->table : RT_TABLE_UNSPEC;
	rtm->rtm_protocol = RTPROT_UMBRAL;
	rtm->rtm_type = r->type;
	if (type == RTM_DELROUTE)
		rtm->rtm_scope = RT_SCOPE_NOWHERE; /* any scope, as ip route del */
	else if (r->type == RTN_UNICAST && !r->has_gw)
		rtm->rtm_scope = RT_SCOPE_LINK;
	else
		rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	if (r->has_gw)
		rtm->rtm_flags = RTNH_F_ONLINK;
	mnl_attr_put_u32(nlh, RTA_TABLE, r->table);
	if (r->dst.len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst.addr);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
	mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nlh;
}

struct nlmsghdr *
route_msg_rule(char *buf, uint16_t type, uint16_t flags, const struct rule_want *u)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = u->family;
	frh->table = u->table < 256 ? (uint8_t)u->table : RT_TABLE_UNSPEC;
	frh->action = FR_ACT_TO_TBL;
	mnl_attr_put_u32(nlh, FRA_PRIORITY, u->prio);
	mnl_attr_put_u32(nlh, FRA_TABLE, u->table);
	if (u->mark || u->mask) {
		mnl_attr_put_u32(nlh, FRA_FWMARK, u->mark);
		mnl_attr_put_u32(nlh, FRA_FWMASK, u->mask);
	}
	/* A delete names the rule by what it matches; the protocol may differ. */
	if (type == RTM_NEWRULE)
		mnl_attr_put_u8(nlh, FRA_PROTOCOL, RTPROT_UMBRAL);
	return nlh;
}

static int
route_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, RTA_MAX) < 0)
		return MNL_CB_OK; /* newer than our headers: not ours to read */
	switch (t) {
	case RTA_TABLE:
	case RTA_OIF:
	case RTA_PRIORITY:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[t] = a;
	return MNL_CB_OK;
}

/* Copies an address attribute, which must be exactly alen bytes. */
static int
attr_addr(const struct nlattr *a, size_t alen, uint8_t *out)
{
	if (mnl_attr_get_payload_len(a) != alen)
		return -EINVAL;
	memcpy(out, mnl_attr_get_payload(a), alen);
	return 0;
}

int
route_msg_parse_route(const struct nlmsghdr *nlh, struct route_seen *s)
{
	const struct nlattr *tb[RTA_MAX + 1] = {0};
	const struct rtmsg *rtm;
	size_t alen;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*rtm)))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
		return -EINVAL;
	alen = addr_len(rtm->rtm_family);
	if (rtm->rtm_dst_len > alen * 8 || mnl_attr_parse(nlh, sizeof(*rtm), route_attr_cb, tb) < 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->r.family = rtm->rtm_family;
	s->r.type = rtm->rtm_type;
	s->r.table = tb[RTA_TABLE] ? mnl_attr_get_u32(tb[RTA_TABLE]) : rtm->rtm_table;
	s->r.dst.family = rtm->rtm_family;
	s->r.dst.len = rtm->rtm_dst_len;
	if (tb[RTA_DST] && attr_addr(tb[RTA_DST], alen, s->r.dst.addr) < 0)
		return -EINVAL;
	if (tb[RTA_GATEWAY]) {
		if (attr_addr(tb[RTA_GATEWAY], alen, s->r.gw) < 0)
			return -EINVAL;
		s->r.has_gw = true;
	}
	s->r.metric = tb[RTA_PRIORITY] ? mnl_attr_get_u32(tb[RTA_PRIORITY]) : 0;
	s->oif = tb[RTA_OIF] ? mnl_attr_get_u32(tb[RTA_OIF]) : 0;
	s->flags = rtm->rtm_flags;
	s->protocol = rtm->rtm_protocol;
	return 0;
}

static int
rule_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t t = mnl_attr_get_type(a);

	if (mnl_attr_type_valid(a, FRA_MAX) < 0)
		return MNL_CB_OK;
	switch (t) {
	case FRA_PRIORITY:
	case FRA_TABLE:
	case FRA_FWMARK:
	case FRA_FWMASK:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[t] = a;
	return MNL_CB_OK;
}

int
route_msg_parse_rule(const struct nlmsghdr *nlh, struct rule_seen *s)
{
	const struct nlattr *tb[FRA_MAX + 1] = {0};
	const struct fib_rule_hdr *frh;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*frh)))
		return -EINVAL;
	frh = mnl_nlmsg_get_payload(nlh);
	if (frh->family != AF_INET && frh->family != AF_INET6)
		return -EINVAL;
	if (mnl_attr_parse(nlh, sizeof(*frh), rule_attr_cb, tb) < 0)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->u.family = frh->family;
	s->u.table = tb[FRA_TABLE] ? mnl_attr_get_u32(tb[FRA_TABLE]) : frh->table;
	s->u.prio = tb[FRA_PRIORITY] ? mnl_attr_get_u32(tb[FRA_PRIORITY]) : 0;
	s->u.mark = tb[FRA_FWMARK] ? mnl_attr_get_u32(tb[FRA_FWMARK]) : 0;
	s->u.mask = tb[FRA_FWMASK] ? mnl_attr_get_u32(tb[FRA_FWMASK]) : 0;
	s->action = frh->action;
	return 0;
}

/* Text for log lines, in ip-route words: "table 100 default via 169.254.1.2 dev to-crypto ...". */
static char *
route_str(const struct route_want *r, char *buf, size_t len)
{
	char dst[64] = "default", gw[INET6_ADDRSTRLEN] = "";

	if (r->dst.len)
		prefix_format(&r->dst, dst, sizeof(dst));
	if (r->has_gw)
		inet_ntop(r->family, r->gw, gw, sizeof(gw));
	snprintf(buf, len, "%s%s%s%s%s%s%s%s table %u metric %u",
		 r->type == RTN_UNREACHABLE ? "unreachable " : "",
		 r->family == AF_INET6 ? "-6 " : "", dst, r->has_gw ? " via " : "", gw,
		 r->dev[0] ? " dev " : "", r->dev, r->has_gw ? " onlink" : "", r->table, r->metric);
	return buf;
}

static uint32_t
metric_norm(uint8_t family, uint32_t metric)
{
	return family == AF_INET6 && metric == 0 ? IP6_METRIC_DEFAULT : metric;
}

/*
 * Orders routes by what the kernel's replace keys on (family, table, prefix,
 * metric); 0 means a route with the same key is replaced. The sort lets a
 * crypto domain with many stale prefixes match want to seen in O(n log n).
 */
static int
route_key_cmp(const struct route_want *a, const struct route_want *b)
{
	uint32_t ma = metric_norm(a->family, a->metric), mb = metric_norm(b->family, b->metric);
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	if (a->dst.len != b->dst.len)
		return a->dst.len < b->dst.len ? -1 : 1;
	if ((c = memcmp(a->dst.addr, b->dst.addr, addr_len(a->family))) != 0)
		return c;
	return ma < mb ? -1 : ma > mb;
}

static bool
route_same_key(const struct route_want *a, const struct route_want *b)
{
	return route_key_cmp(a, b) == 0;
}

static bool
route_same(const struct route_want *w, uint32_t oif, const struct route_seen *s)
{
	if (!route_same_key(w, &s->r) || w->type != s->r.type)
		return false;
	if (w->type != RTN_UNICAST)
		return true; /* the kernel hangs reject routes on lo: no device to compare */
	return w->has_gw == s->r.has_gw && oif == s->oif &&
	       (!w->has_gw || memcmp(w->gw, s->r.gw, addr_len(w->family)) == 0) &&
	       (s->flags & RTNH_F_ONLINK) == (w->has_gw ? RTNH_F_ONLINK : 0u);
}

static bool
rule_same(const struct rule_want *w, const struct rule_seen *s)
{
	return s->action == FR_ACT_TO_TBL && w->family == s->u.family && w->prio == s->u.prio &&
	       w->table == s->u.table && w->mark == s->u.mark && w->mask == s->u.mask;
}

struct apply {
	struct mnl_socket *nl;
	struct route_want *want;
	size_t nwant;
	const struct route_want **wsorted; /* want by key (route_key_cmp) */
	uint32_t *oif; /* per want, resolved before anything is sent */
	struct rule_want *uwant;
	size_t nuwant;
	struct route_seen *seen;
	size_t nseen, seencap;
	struct rule_seen *useen;
	size_t nuseen, useencap;
	bool changed;
	int err; /* set by dump callbacks */
};

/* Grows *arr (of size elements) so that one more fits. */
static int
grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap = *cap ? *cap * 2 : 32;
	void *p;

	if (n < *cap)
		return 0;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

static int
seen_cmp(const void *a, const void *b)
{
	return route_key_cmp(&((const struct route_seen *)a)->r, &((const struct route_seen *)b)->r);
}

static int
wptr_cmp(const void *a, const void *b)
{
	return route_key_cmp(*(const struct route_want *const *)a,
			     *(const struct route_want *const *)b);
}

/* The first seen route whose key is not below w's (a->seen is sorted by dump_routes). */
static size_t
seen_lower(const struct apply *a, const struct route_want *w)
{
	size_t lo = 0, hi = a->nseen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (route_key_cmp(&a->seen[mid].r, w) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first wanted route (in a->wsorted) whose key is not below r's. */
static size_t
want_lower(const struct apply *a, const struct route_want *r)
{
	size_t lo = 0, hi = a->nwant;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (route_key_cmp(a->wsorted[mid], r) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Sorts pointers to the wanted routes by key, for routes_del's lookups. */
static int
want_sort(struct apply *a)
{
	a->wsorted = calloc(a->nwant ? a->nwant : 1, sizeof(*a->wsorted));
	if (!a->wsorted)
		return -ENOMEM;
	for (size_t i = 0; i < a->nwant; i++)
		a->wsorted[i] = &a->want[i];
	qsort(a->wsorted, a->nwant, sizeof(*a->wsorted), wptr_cmp);
	return 0;
}

static int
route_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct apply *a = data;
	struct route_seen s;

	if (nlh->nlmsg_type != RTM_NEWROUTE || route_msg_parse_route(nlh, &s) < 0 ||
	    s.protocol != RTPROT_UMBRAL)
		return MNL_CB_OK;
	if (grow((void **)&a->seen, &a->seencap, a->nseen, sizeof(*a->seen)) < 0) {
		a->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	a->seen[a->nseen++] = s;
	return MNL_CB_OK;
}

static int
rule_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct apply *a = data;
	struct rule_seen s;

	if (nlh->nlmsg_type != RTM_NEWRULE || route_msg_parse_rule(nlh, &s) < 0 ||
	    s.u.prio < RULE_PRIO || s.u.prio >= RULE_PRIO + RULE_PRIO_SPAN)
		return MNL_CB_OK;
	if (grow((void **)&a->useen, &a->useencap, a->nuseen, sizeof(*a->useen)) < 0) {
		a->err = -ENOMEM;
		return MNL_CB_ERROR;
	}
	a->useen[a->nuseen++] = s;
	return MNL_CB_OK;
}

/* Reads Umbral's routes (all tables, both families) into a->seen. */
static int
dump_routes(struct apply *a)
{
	char buf[ROUTE_MSG_MAX];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	int ret;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_UNSPEC;
	a->nseen = 0;
	ret = nl_talk(a->nl, nlh, route_dump_cb, a);
	if (a->err)
		ret = a->err;
	if (ret < 0)
		log_warnx("%s: route dump: %s", __func__, strerror(-ret));
	else if (a->nseen)
		qsort(a->seen, a->nseen, sizeof(*a->seen), seen_cmp);
	return ret;
}

/* Reads the rules in Umbral's priority range into a->useen. */
static int
dump_rules(struct apply *a)
{
	char buf[ROUTE_MSG_MAX];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct fib_rule_hdr *frh;
	int ret;

	nlh->nlmsg_type = RTM_GETRULE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	frh = mnl_nlmsg_put_extra_header(nlh, sizeof(*frh));
	frh->family = AF_UNSPEC;
	a->nuseen = 0;
	ret = nl_talk(a->nl, nlh, rule_dump_cb, a);
	if (a->err)
		ret = a->err;
	if (ret < 0)
		log_warnx("%s: rule dump: %s", __func__, strerror(-ret));
	return ret;
}

/*
 * Device indexes already looked up. A domain routes over a handful of
 * devices with up to thousands of routes (a stale site's prefixes), and
 * each if_nametoindex() is a socket and an ioctl.
 */
#define DEV_CACHE_MAX 8
struct dev_cache {
	char name[DEV_CACHE_MAX][IFNAMSIZ];
	uint32_t index[DEV_CACHE_MAX];
	size_t n;
};

/* dev's index, 0 when absent (not kept: the caller reports it). */
static uint32_t
dev_index(struct dev_cache *c, const char *dev)
{
	uint32_t i;

	for (size_t k = 0; k < c->n; k++)
		if (strcmp(c->name[k], dev) == 0)
			return c->index[k];
	i = if_nametoindex(dev);
	if (i && c->n < DEV_CACHE_MAX) {
		snprintf(c->name[c->n], IFNAMSIZ, "%s", dev);
		c->index[c->n++] = i;
	}
	return i;
}

/* Every device first, so that a missing one changes nothing; each is named. */
static int
resolve_devs(struct apply *a)
{
	struct dev_cache cache = {.n = 0};
	char text[160];
	int ret = 0;

	a->oif = calloc(a->nwant ? a->nwant : 1, sizeof(*a->oif));
	if (!a->oif)
		return -ENOMEM;
	for (size_t i = 0; i < a->nwant; i++) {
		if (!a->want[i].dev[0])
			continue;
		a->oif[i] = dev_index(&cache, a->want[i].dev);
		if (a->oif[i] == 0) {
			log_warnx("%s: route %s: no device %s", __func__,
				  route_str(&a->want[i], text, sizeof(text)), a->want[i].dev);
			ret = -ENODEV;
		}
	}
	return ret;
}

/*
 * Routes go ROUTE_BATCH to a datagram, each acked (a stale site's prefixes
 * turn unreachable together: up to thousands, which one round trip each
 * made slow), and few enough that their acks fit the socket's receive buffer.
 */
#define ROUTE_BATCH 128

struct route_batch {
	struct apply *a;
	uint16_t type, flags;
	size_t len, n;
	const struct route_want *r[ROUTE_BATCH]; /* for the log, if one fails */
	char buf[ROUTE_BATCH * ROUTE_MSG_MAX];
};

static int
batch_err(size_t i, int err, void *ctx)
{
	struct route_batch *b = ctx;
	char text[160];

	if (b->type == RTM_DELROUTE && (err == -ESRCH || err == -ENOENT))
		return 0; /* a route already gone is what a delete wants */
	log_warnx("%s: %s route %s: %s", __func__, b->type == RTM_DELROUTE ? "delete" : "add",
		  route_str(b->r[i], text, sizeof(text)), strerror(-err));
	return err;
}

static int
batch_flush(struct route_batch *b)
{
	int ret;

	if (b->n == 0)
		return 0;
	b->a->changed = true;
	ret = nl_talk_many(b->a->nl, b->buf, b->len, batch_err, b);
	b->len = b->n = 0;
	return ret;
}

static int
batch_route(struct route_batch *b, const struct route_want *r, uint32_t oif)
{
	struct nlmsghdr *nlh = route_msg_route(b->buf + b->len, b->type, b->flags, r, oif);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->r[b->n++] = r;
	return b->n == ROUTE_BATCH ? batch_flush(b) : 0;
}

static struct route_batch *
batch_new(struct apply *a, uint16_t type, uint16_t flags)
{
	struct route_batch *b = malloc(sizeof(*b));

	if (b)
		*b = (struct route_batch){.a = a, .type = type, .flags = flags};
	return b;
}

static int
send_rule(struct apply *a, uint16_t type, const struct rule_want *u, uint8_t action)
{
	char buf[ROUTE_MSG_MAX];
	struct nlmsghdr *nlh;
	int ret;

	nlh = route_msg_rule(buf, type, type == RTM_NEWRULE ? NLM_F_CREATE : 0, u);
	((struct fib_rule_hdr *)mnl_nlmsg_get_payload(nlh))->action = action;
	ret = nl_talk(a->nl, nlh, NULL, NULL);
	a->changed = true;
	if (ret == 0 || (type == RTM_DELRULE && (ret == -ENOENT || ret == -ESRCH)))
		return 0;
	log_warnx("%s: %s rule %sprio %u fwmark %#x/%#x table %u: %s", __func__,
		  type == RTM_DELRULE ? "delete" : "add", u->family == AF_INET6 ? "-6 " : "",
		  u->prio, u->mark, u->mask, u->table, strerror(-ret));
	return ret;
}

/* Whether the kernel has wanted route i exactly: among the seen routes of its key. */
static bool
seen_has(const struct apply *a, size_t i)
{
	const struct route_want *w = &a->want[i];

	for (size_t j = seen_lower(a, w); j < a->nseen && route_same_key(w, &a->seen[j].r); j++)
		if (route_same(w, a->oif[i], &a->seen[j]))
			return true;
	return false;
}

/* Claims the first unclaimed wanted route equal to s, if any: each matches once. */
static bool
want_claim(const struct apply *a, bool *claimed, const struct route_seen *s)
{
	for (size_t k = want_lower(a, &s->r); k < a->nwant && route_same_key(a->wsorted[k], &s->r);
	     k++) {
		size_t i = (size_t)(a->wsorted[k] - a->want);
		if (!claimed[i] && route_same(a->wsorted[k], a->oif[i], s)) {
			claimed[i] = true;
			return true;
		}
	}
	return false;
}

/* Adds or replaces every wanted route the kernel does not have exactly. */
static int
routes_add(struct apply *a)
{
	struct route_batch *b = batch_new(a, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE);
	int ret = b ? 0 : -ENOMEM;

	for (size_t i = 0; i < a->nwant && ret == 0; i++)
		if (!seen_has(a, i))
			ret = batch_route(b, &a->want[i], a->oif[i]);
	if (ret == 0)
		ret = batch_flush(b);
	free(b);
	return ret;
}

/*
 * Deletes Umbral's routes that match no wanted one (or duplicate one), read
 * afresh when routes were just replaced.
 */
static int
routes_del(struct apply *a, bool redump)
{
	struct route_batch *b;
	bool *claimed;
	int ret = redump ? dump_routes(a) : 0;

	if (ret < 0)
		return ret;
	claimed = calloc(a->nwant ? a->nwant : 1, sizeof(*claimed));
	b = batch_new(a, RTM_DELROUTE, 0);
	if (!claimed || !b)
		ret = -ENOMEM;
	for (size_t j = 0; j < a->nseen && ret == 0; j++) {
		struct route_seen *s = &a->seen[j];

		if (want_claim(a, claimed, s))
			continue;
		if (s->oif && !if_indextoname(s->oif, s->r.dev))
			s->r.dev[0] = '\0';
		ret = batch_route(b, &s->r, s->r.type == RTN_UNICAST ? s->oif : 0);
	}
	if (ret == 0)
		ret = batch_flush(b);
	free(claimed);
	free(b);
	return ret;
}

static int
rules_add(struct apply *a)
{
	for (size_t i = 0; i < a->nuwant; i++) {
		size_t j = 0;
		int ret;

		while (j < a->nuseen && !rule_same(&a->uwant[i], &a->useen[j]))
			j++;
		if (j < a->nuseen)
			continue;
		ret = send_rule(a, RTM_NEWRULE, &a->uwant[i], FR_ACT_TO_TBL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* Rules in Umbral's range that match no wanted one (or duplicate one) go. */
static int
rules_del(struct apply *a)
{
	bool *claimed = calloc(a->nuwant ? a->nuwant : 1, sizeof(*claimed));
	int ret = 0;

	if (!claimed)
		return -ENOMEM;
	for (size_t j = 0; j < a->nuseen && ret == 0; j++) {
		size_t i = 0;

		while (i < a->nuwant && (claimed[i] || !rule_same(&a->uwant[i], &a->useen[j])))
			i++;
		if (i < a->nuwant)
			claimed[i] = true;
		else
			ret = send_rule(a, RTM_DELRULE, &a->useen[j].u, a->useen[j].action);
	}
	free(claimed);
	return ret;
}

/*
 * What the last apply of this process left in the kernel: its plan, each
 * route with the device index it went out with. The next apply diffs
 * against it instead of dumping the table (up to thousands of routes while
 * sites are stale). Forgotten on any failure, on link events (the kernel
 * drops a down link's routes) and on reload; route_check() compares it with
 * a dump now and then.
 */
static struct {
	bool ok;
	enum domain d; /* one umbrald, one domain, in the netns it started in */
	struct route_seen *routes; /* sorted by key */
	size_t nroutes;
	struct rule_seen *rules;
	size_t nrules;
} known;

void
route_forget(void)
{
	free(known.routes);
	free(known.rules);
	memset(&known, 0, sizeof(known));
}

/* After a full sync: the kernel's routes and rules of ours are exactly a's plan. */
static void
known_set(const struct apply *a, enum domain d)
{
	route_forget();
	known.routes = calloc(a->nwant ? a->nwant : 1, sizeof(*known.routes));
	known.rules = calloc(a->nuwant ? a->nuwant : 1, sizeof(*known.rules));
	if (!known.routes || !known.rules) {
		route_forget();
		return;
	}
	/* In key order already: a->wsorted. */
	for (size_t k = 0; k < a->nwant; k++) {
		size_t i = (size_t)(a->wsorted[k] - a->want);
		struct route_seen *r = &known.routes[k];
		r->r = a->want[i];
		r->r.dev[0] = '\0';
		r->oif = a->oif[i];
		r->flags = a->want[i].has_gw ? RTNH_F_ONLINK : 0;
		r->protocol = RTPROT_UMBRAL;
	}
	known.nroutes = a->nwant;
	for (size_t i = 0; i < a->nuwant; i++)
		known.rules[i] = (struct rule_seen){.u = a->uwant[i], .action = FR_ACT_TO_TBL};
	known.nrules = a->nuwant;
	known.d = d;
	known.ok = true;
}

/*
 * The short way, when the last apply's plan is known: one merge of it with
 * this plan (both sorted by key) finds the routes to add and to delete. A
 * key in both with different routes (a site gone stale, wg0 re-created) is a
 * replacement in place: 1, and the caller takes the long way, with dumps.
 */
static int
merge_known(struct apply *a, size_t *add, size_t *nadd, size_t *del, size_t *ndel)
{
	size_t i = 0, j = 0;

	*nadd = *ndel = 0;
	while (i < known.nroutes || j < a->nwant) {
		const struct route_want *w = j < a->nwant ? a->wsorted[j] : NULL;
		const struct route_seen *k = i < known.nroutes ? &known.routes[i] : NULL;
		int c = !w ? -1 : !k ? 1 : route_key_cmp(&k->r, w);

		if (c < 0) {
			del[(*ndel)++] = i++;
		} else if (c > 0) {
			add[(*nadd)++] = (size_t)(w - a->want);
			j++;
		} else {
			if (!route_same(w, a->oif[w - a->want], k))
				return 1;
			i++;
			j++;
		}
	}
	return 0;
}

static int
send_routes_known(struct apply *a, const size_t *idx, size_t n, bool adding)
{
	struct route_batch *b = adding ? batch_new(a, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE)
				       : batch_new(a, RTM_DELROUTE, 0);
	int ret = b ? 0 : -ENOMEM;

	for (size_t k = 0; k < n && ret == 0; k++) {
		const struct route_seen *s = &known.routes[idx[k]];
		ret = adding ? batch_route(b, &a->want[idx[k]], a->oif[idx[k]])
			     : batch_route(b, &s->r, s->r.type == RTN_UNICAST ? s->oif : 0);
	}
	if (ret == 0)
		ret = batch_flush(b);
	free(b);
	return ret;
}

/* 0 done, 1 not applicable (the long way), negative on error. Same order as apply_sync. */
static int
sync_known(struct apply *a, enum domain d)
{
	size_t *add, *del, nadd, ndel;
	int ret;

	if (!known.ok || known.d != d)
		return 1;
	add = calloc(a->nwant + 1, sizeof(*add));
	del = calloc(known.nroutes + 1, sizeof(*del));
	a->useen = malloc((known.nrules + 1) * sizeof(*a->useen));
	ret = add && del && a->useen ? merge_known(a, add, &nadd, del, &ndel) : -ENOMEM;
	if (ret == 0) {
		memcpy(a->useen, known.rules, known.nrules * sizeof(*a->useen));
		a->nuseen = a->useencap = known.nrules;
		ret = send_routes_known(a, add, nadd, true);
	}
	if (ret == 0 && (ret = rules_add(a)) == 0 && (ret = rules_del(a)) == 0)
		ret = send_routes_known(a, del, ndel, false);
	free(add);
	free(del);
	return ret;
}

/*
 * Fail-closed order: tables are filled before rules point at them, new rules
 * are in place before old ones go, and routes go last.
 */
static int
apply_sync(struct apply *a, enum domain d)
{
	bool before;
	int ret = sync_known(a, d);

	if (ret <= 0)
		return ret;
	if ((ret = dump_routes(a)) < 0 || (ret = dump_rules(a)) < 0)
		return ret;
	if ((ret = routes_add(a)) < 0)
		return ret;
	before = a->changed;
	if ((ret = rules_add(a)) < 0 || (ret = rules_del(a)) < 0)
		return ret;
	return routes_del(a, before);
}

/* The plan of p for d, its devices resolved and its routes sorted, into a. */
static int
plan_into(struct apply *a, const struct policy *p, enum domain d)
{
	int ret = route_plan(p, d, &a->want, &a->nwant, &a->uwant, &a->nuwant);

	if (ret == 0)
		ret = resolve_devs(a);
	if (ret == 0)
		ret = want_sort(a);
	return ret;
}

static void
apply_free(struct apply *a)
{
	if (a->nl)
		mnl_socket_close(a->nl);
	free(a->want);
	free(a->wsorted);
	free(a->uwant);
	free(a->oif);
	free(a->seen);
	free(a->useen);
}

int
route_apply(const struct policy *p, enum domain d, bool *changed)
{
	struct apply a = {0};
	int ret = plan_into(&a, p, d);

	if (ret == 0) {
		a.nl = nl_open(NETLINK_ROUTE);
		if (!a.nl) {
			ret = -errno;
			log_warnx("%s: netlink: %s", __func__, strerror(errno));
		}
	}
	if (ret == 0)
		ret = apply_sync(&a, d);
	if (ret == 0)
		known_set(&a, d);
	else
		route_forget();
	if (ret == 0 && a.changed)
		log_info("%s: %s routes and rules updated", __func__, domain_name(d));
	if (changed)
		*changed = a.changed;
	apply_free(&a);
	return ret;
}

int
route_check(enum domain d, bool *drifted)
{
	struct apply a = {0};
	int ret;

	*drifted = false;
	if (!known.ok || known.d != d)
		return 0;
	if (!(a.nl = nl_open(NETLINK_ROUTE)))
		return -errno;
	ret = dump_routes(&a);
	if (ret == 0)
		ret = dump_rules(&a);
	/* Both sorted by key, each key once: pair by pair. */
	if (ret == 0) {
		*drifted = a.nseen != known.nroutes || a.nuseen != known.nrules;
		for (size_t i = 0; i < a.nseen && !*drifted; i++)
			*drifted = !route_same(&known.routes[i].r, known.routes[i].oif, &a.seen[i]);
		for (size_t j = 0; j < a.nuseen && !*drifted; j++) {
			size_t i = 0;
			while (i < known.nrules && !rule_same(&known.rules[i].u, &a.useen[j]))
				i++;
			*drifted = i == known.nrules;
		}
	}
	if (*drifted)
		route_forget();
	apply_free(&a);
	return ret;
}
