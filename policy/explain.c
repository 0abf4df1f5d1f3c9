// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/explain.c — the path of one packet under a policy, computed in the
 * order the compiled nftables chain and WireGuard's allowed-ips decide it.
 */
#include "policy/explain.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const path_names[] = {"local", "tunnel", "direct", "drop"};

const char *
path_name(enum path p)
{
	return (unsigned)p <= PATH_DROP ? path_names[p] : "?";
}

static int
addr_parse(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, s, out) == 1)
		*family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

int
explain_parse(int argc, char **argv, struct explain_pkt *out, struct errbuf *eb)
{
	struct explain_pkt k = {0};
	uint8_t fam2;
	char *end;
	long port;

	if (argc < 2 || argc > 4) {
		errbuf_add(eb, "explain: SRC DST [tcp|udp|icmp [PORT]]");
		return -EINVAL;
	}
	if (addr_parse(argv[0], &k.family, k.src) < 0 || addr_parse(argv[1], &fam2, k.dst) < 0) {
		errbuf_add(eb, "explain: '%s' / '%s': SRC and DST must be IP addresses", argv[0],
			   argv[1]);
		return -EINVAL;
	}
	if (fam2 != k.family) {
		errbuf_add(eb, "explain: SRC and DST: one is IPv4, the other IPv6");
		return -EINVAL;
	}
	if (argc > 2 && proto_parse(argv[2], &k.proto) < 0) {
		errbuf_add(eb, "explain: protocol %s: must be tcp, udp or icmp", argv[2]);
		return -EINVAL;
	}
	if (argc > 3) {
		port = strtol(argv[3], &end, 10);
		if (*end || end == argv[3] || port < 1 || port > 65535 || k.proto == IPPROTO_ICMP) {
			errbuf_add(eb, "explain: port %s: 1-65535, with tcp or udp", argv[3]);
			return -EINVAL;
		}
		k.port = (uint16_t)port;
	}
	*out = k;
	return 0;
}

static bool
in_prefixes(const struct prefix *pr, size_t n, const struct explain_pkt *k)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_contains(&pr[i], k->family, k->dst))
			return true;
	return false;
}

/* This node's own prefixes, and what its LAN routes reach (policy_local_prefixes). */
static bool
is_local(const struct policy *p, const struct explain_pkt *k)
{
	if (in_prefixes(p->node.prefixes, p->node.nprefixes, k))
		return true;
	for (size_t i = 0; i < p->nlan_routes; i++)
		if (prefix_contains(&p->lan_routes[i].dst, k->family, k->dst))
			return true;
	return false;
}

/*
 * Another site's secure prefix: looked up in secure when given (the same
 * prefixes, merged), else by a scan.
 */
static bool
is_remote(const struct policy *p, const struct ranges *secure, const struct explain_pkt *k)
{
	if (secure)
		return ranges_contain(secure, k->family, k->dst);
	for (size_t i = 0; i < p->nsites; i++)
		if (in_prefixes(p->sites[i].prefixes, p->sites[i].nprefixes, k))
			return true;
	return false;
}

/* A rule with no protocol matches any packet; one with a port needs that port. */
static bool
rule_matches(const struct split_rule *r, const struct explain_pkt *k)
{
	if (r->has_dst && !prefix_contains(&r->dst, k->family, k->dst))
		return false;
	if (r->has_src && !prefix_contains(&r->src, k->family, k->src))
		return false;
	if (r->proto && r->proto != k->proto)
		return false;
	return !r->port || r->port == k->port;
}

/*
 * A longer match wins; of two as long, the site first in the policy (its
 * allowed-ips come first).
 */
static void
consider(const struct prefix *a, const struct site *s, const struct explain_pkt *k, int *best,
	 const struct site **win)
{
	if (!s || !prefix_contains(a, k->family, k->dst))
		return;
	if (a->len > *best || (a->len == *best && s < *win)) {
		*best = a->len;
		*win = s;
	}
}

/*
 * The peer WireGuard would pick in crypto: the most specific allowed-ip, a
 * site's prefixes or the destination of a tunnel rule naming it
 * (policy_site_allowed). Looked at in place, without building each site's
 * list.
 */
static void
pick_peer(const struct policy *p, const struct explain_pkt *k, struct explanation *e)
{
	const struct site *win = NULL;
	int best = -1;

	for (size_t i = 0; i < p->nsites; i++)
		for (size_t j = 0; j < p->sites[i].nprefixes; j++)
			consider(&p->sites[i].prefixes[j], &p->sites[i], k, &best, &win);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct split_rule *r = &p->rules[i];
		if (r->action == SPLIT_TUNNEL && r->has_dst &&
		    prefix_contains(&r->dst, k->family, k->dst) && r->dst.len >= best)
			consider(&r->dst, policy_site_find(p, r->site), k, &best, &win);
	}
	snprintf(e->site, sizeof(e->site), "%s", win ? win->name : "(none: crypto drops it)");
}

static void
decide(struct explanation *e, enum path path, uint16_t rule, const char *why)
{
	e->path = path;
	e->rule = rule;
	snprintf(e->why, sizeof(e->why), "%s", why);
}

/* The path and the rule that decided; the peer is pick_peer's. */
static void
decide_path(const struct policy *p, const struct ranges *secure, const struct explain_pkt *k,
	    struct explanation *e)
{
	char why[160];

	if (is_local(p, k)) {
		decide(e, PATH_LOCAL, 0, "this site's own prefix: stays on the LAN side");
		return;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct split_rule *r = &p->rules[i];
		if (!rule_matches(r, k))
			continue;
		if (r->action == SPLIT_DIRECT &&
		    (p->node.mode != MODE_SMALL || is_remote(p, secure, k)))
			continue; /* never direct to a secure destination; large nodes have no
				     direct path */
		snprintf(why, sizeof(why), "split rule %u", r->priority);
		decide(e,
		       r->action == SPLIT_TUNNEL   ? PATH_TUNNEL
		       : r->action == SPLIT_DIRECT ? PATH_DIRECT
						   : PATH_DROP,
		       r->priority, why);
		return;
	}
	if (is_remote(p, secure, k))
		decide(e, PATH_TUNNEL, 0, "another site's secure prefix");
	else if (p->node.mode == MODE_SMALL && p->node.default_action == SPLIT_DIRECT)
		decide(e, PATH_DIRECT, 0, "the node's default (direct)");
	else
		decide(e, PATH_DROP, 0,
		       p->node.mode == MODE_SMALL ? "the node's default (drop)"
						  : "large node: only secure traffic");
}

void
policy_explain(const struct policy *p, const struct explain_pkt *k, struct explanation *out)
{
	struct explanation e = {0};

	decide_path(p, NULL, k, &e);
	if (e.path == PATH_TUNNEL)
		pick_peer(p, k, &e);
	*out = e;
}

enum path
explain_path(const struct policy *p, const struct ranges *secure, const struct explain_pkt *k)
{
	struct explanation e;

	decide_path(p, secure, k, &e);
	return e.path;
}

static int
scope_add(struct explain_scope *sc, size_t *cap, const struct site *s)
{
	if (sc->nprefixes + s->nprefixes > *cap) {
		size_t c = 2 * (sc->nprefixes + s->nprefixes);
		struct prefix *v = realloc(sc->prefixes, c * sizeof(*v));
		if (!v)
			return -ENOMEM;
		sc->prefixes = v;
		*cap = c;
	}
	if (s->nprefixes)
		memcpy(sc->prefixes + sc->nprefixes, s->prefixes,
		       s->nprefixes * sizeof(*sc->prefixes));
	sc->nprefixes += s->nprefixes;
	return 0;
}

/* Each site of a that b lacks, or holds with other prefixes: a's prefixes of it. */
static int
scope_sites(const struct policy *a, const struct policy *b, struct explain_scope *sc, size_t *cap)
{
	const struct site **by_name;
	int ret = policy_sites_by_name(b, &by_name);

	if (ret < 0)
		return ret;
	for (size_t i = 0; ret == 0 && i < a->nsites; i++) {
		const struct site *t = policy_sites_lookup(by_name, b->nsites, a->sites[i].name);
		if (!t || !prefixes_equal(a->sites[i].prefixes, a->sites[i].nprefixes, t->prefixes,
					  t->nprefixes))
			ret = scope_add(sc, cap, &a->sites[i]);
	}
	free(by_name);
	return ret;
}

/* Both rule lists are sorted by priority, each priority once: one merge. */
static int
scope_rules(const struct policy *old, const struct policy *new, struct explain_scope *sc)
{
	size_t i = 0, j = 0;

	sc->rules = malloc((old->nrules + new->nrules + 1) * sizeof(*sc->rules));
	if (!sc->rules)
		return -ENOMEM;
	while (i < old->nrules || j < new->nrules) {
		const struct split_rule *a = i < old->nrules ? &old->rules[i] : NULL;
		const struct split_rule *b = j < new->nrules ? &new->rules[j] : NULL;

		if (a && b && a->priority == b->priority) {
			if (!policy_rule_equal(a, b)) {
				sc->rules[sc->nrules++] = a;
				sc->rules[sc->nrules++] = b;
			}
			i++;
			j++;
		} else if (a && (!b || a->priority < b->priority)) {
			sc->rules[sc->nrules++] = a;
			i++;
		} else {
			sc->rules[sc->nrules++] = b;
			j++;
		}
	}
	return 0;
}

/*
 * Sites enter a path only through is_remote (the peer is not the path),
 * which changes only inside a prefix some site gained or lost. A packet
 * that no changed rule matches meets the same matching rules, in the same
 * order, in both policies.
 */
int
explain_scope(const struct policy *old, const struct policy *new, struct explain_scope *out)
{
	struct explain_scope sc = {0};
	size_t cap = 0;
	int ret;

	*out = (struct explain_scope){.all = true};
	if (!policy_node_paths_equal(old, new))
		return 0;
	ret = scope_sites(old, new, &sc, &cap);
	if (ret == 0)
		ret = scope_sites(new, old, &sc, &cap);
	if (ret == 0)
		ret = scope_rules(old, new, &sc);
	if (ret < 0) {
		explain_scope_free(&sc);
		return ret;
	}
	*out = sc;
	return 0;
}

bool
explain_in_scope(const struct explain_scope *s, const struct explain_pkt *k)
{
	if (s->all || in_prefixes(s->prefixes, s->nprefixes, k))
		return true;
	for (size_t i = 0; i < s->nrules; i++)
		if (rule_matches(s->rules[i], k))
			return true;
	return false;
}

void
explain_scope_free(struct explain_scope *s)
{
	free(s->prefixes);
	free(s->rules);
	*s = (struct explain_scope){0};
}

void
explanation_json(const struct explanation *e, struct buf *out)
{
	buf_printf(out, "{\"path\":\"%s\",\"site\":", path_name(e->path));
	if (e->path == PATH_TUNNEL)
		buf_json_str(out, e->site);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"rule\":");
	if (e->rule)
		buf_printf(out, "%u", e->rule);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"why\":");
	buf_json_str(out, e->why);
	buf_puts(out, "}\n");
}
