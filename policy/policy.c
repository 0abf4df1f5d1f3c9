// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/policy.c — the policy model: parsing of its values (prefixes,
 * endpoints, keys), deep copies, and whole-policy validation.
 */
#include "policy/policy.h"

#include "policy/lan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

void
errbuf_add(struct errbuf *eb, const char *fmt, ...)
{
	va_list ap;
	int n;

	eb->count++;
	if (eb->len >= sizeof(eb->text) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(eb->text + eb->len, sizeof(eb->text) - eb->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	eb->len += (size_t)n;
	if (eb->len > sizeof(eb->text) - 2)
		eb->len = sizeof(eb->text) - 2;
	eb->text[eb->len++] = '\n';
	eb->text[eb->len] = '\0';
}

static const char *domain_names[DOMAIN_COUNT] = {"red", "crypto", "black"};

const char *
domain_name(enum domain d)
{
	return (unsigned)d < DOMAIN_COUNT ? domain_names[d] : "?";
}

int
domain_parse(const char *s, enum domain *out)
{
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		if (strcmp(s, domain_names[d]) == 0) {
			*out = (enum domain)d;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
mode_name(enum node_mode m)
{
	return m == MODE_LARGE ? "large" : "small";
}

int
mode_parse(const char *s, enum node_mode *out)
{
	if (strcmp(s, "small") == 0)
		*out = MODE_SMALL;
	else if (strcmp(s, "large") == 0)
		*out = MODE_LARGE;
	else
		return -EINVAL;
	return 0;
}

static const char *const action_names[] = {"tunnel", "direct", "drop"};

const char *
split_action_name(enum split_action a)
{
	return (unsigned)a <= SPLIT_DROP ? action_names[a] : "?";
}

int
split_action_parse(const char *s, enum split_action *out)
{
	for (int a = SPLIT_TUNNEL; a <= SPLIT_DROP; a++) {
		if (strcmp(s, action_names[a]) == 0) {
			*out = (enum split_action)a;
			return 0;
		}
	}
	return -EINVAL;
}

const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case 0:
		return "any";
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	default:
		return "?";
	}
}

int
proto_parse(const char *s, uint8_t *out)
{
	static const uint8_t protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP};

	for (size_t i = 0; i < sizeof(protos); i++) {
		if (strcmp(s, proto_name(protos[i])) == 0) {
			*out = protos[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int
addr_len(uint8_t family)
{
	return family == 4 || family == AF_INET ? 4 : 16;
}

/* Clears the host bits; returns whether any was set. */
static bool
prefix_mask(struct prefix *p)
{
	bool had = false;

	for (int bit = p->len; bit < addr_len(p->family) * 8; bit++) {
		uint8_t m = 0x80 >> (bit % 8);
		had |= (p->addr[bit / 8] & m) != 0;
		p->addr[bit / 8] &= (uint8_t)~m;
	}
	return had;
}

int
prefix_parse(const char *s, struct prefix *out, const char *what, struct errbuf *eb)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	struct prefix p = {0};
	char *end;
	long len;
	int max;

	if (!slash || (size_t)(slash - s) >= sizeof(buf)) {
		errbuf_add(eb, "%s%s: not ADDRESS/LENGTH", what, s);
		return -EINVAL;
	}
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (inet_pton(AF_INET, buf, p.addr) == 1)
		p.family = AF_INET;
	else if (inet_pton(AF_INET6, buf, p.addr) == 1)
		p.family = AF_INET6;
	else {
		errbuf_add(eb, "%s%s: '%s' is not an IPv4 or IPv6 address", what, s, buf);
		return -EINVAL;
	}
	max = addr_len(p.family) * 8;
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || len < 0 || len > max) {
		errbuf_add(eb, "%s%s: length must be 0-%d", what, s, max);
		return -EINVAL;
	}
	p.len = (uint8_t)len;
	if (prefix_mask(&p)) {
		errbuf_add(eb, "%s%s: host bits are set (did you mean %s?)", what, s,
			   prefix_format(&p, buf, sizeof(buf)));
		return -EINVAL;
	}
	*out = p;
	return 0;
}

char *
prefix_format(const struct prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (len == 0)
		return buf;
	if (!inet_ntop(p->family, p->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

/* Whether the first bits of a and b are equal: whole bytes, then the rest. */
static bool
bits_equal(const uint8_t *a, const uint8_t *b, int bits)
{
	int whole = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff00 >> rest)) == 0;
}

bool
prefix_contains(const struct prefix *p, uint8_t family, const uint8_t addr[16])
{
	return p->family == family && bits_equal(p->addr, addr, p->len);
}

bool
prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family &&
	       bits_equal(a->addr, b->addr, a->len < b->len ? a->len : b->len);
}

static int
port_parse(const char *s, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int
endpoint_parse(const char *s, struct endpoint *out, const char *what, struct errbuf *eb)
{
	char host[64];
	const char *colon, *hs = s;
	size_t hl;
	struct endpoint e = {0};

	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			goto bad;
		hs = s + 1;
		hl = (size_t)(close - hs);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		goto bad;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, e.addr) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, host, e.addr) == 1)
		e.family = AF_INET6;
	else {
		errbuf_add(eb, "%s%s: '%s' is not an IP address", what, s, host);
		return -EINVAL;
	}
	if (port_parse(colon + 1, &e.port) < 0) {
		errbuf_add(eb, "%s%s: port must be 1-65535", what, s);
		return -EINVAL;
	}
	*out = e;
	return 0;
bad:
	errbuf_add(eb, "%s%s: not HOST:PORT (IPv6 as [ADDRESS]:PORT)", what, s);
	return -EINVAL;
}

char *
endpoint_format(const struct endpoint *e, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(e->family, e->addr, a, sizeof(a)))
		snprintf(a, sizeof(a), "?");
	if (e->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", a, e->port);
	else
		snprintf(buf, len, "%s:%u", a, e->port);
	return buf;
}

int
key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	uint8_t tmp[WG_KEY_LEN];
	size_t n = 0;
	const char *end;

	if (strlen(b64) != WG_KEY_B64_LEN - 1)
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), b64, WG_KEY_B64_LEN - 1, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != WG_KEY_LEN || *end) {
		sodium_memzero(tmp, sizeof(tmp));
		return -EINVAL;
	}
	memcpy(key, tmp, WG_KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return 0;
}

void
key_to_base64(char b64[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	sodium_bin2base64(b64, WG_KEY_B64_LEN, key, WG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
}

void
policy_init(struct policy *p)
{
	memset(p, 0, sizeof(*p));
	p->node.mode = MODE_SMALL;
	p->node.listen_port = 51820;
	p->node.mtu = 1420;
	p->node.default_action = SPLIT_DROP; /* fail closed: only what policy allows goes out */
	lan_dhcp_init(&p->dhcp);
}

void
site_free(struct site *s)
{
	free(s->prefixes);
	s->prefixes = NULL;
	s->nprefixes = 0;
}

void
policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->nsites; i++)
		site_free(&p->sites[i]);
	free(p->sites);
	free(p->node.prefixes);
	free(p->rules);
	p->rules = NULL;
	p->nrules = 0;
	p->sites = NULL;
	p->nsites = 0;
	p->node.prefixes = NULL;
	p->node.nprefixes = 0;
}

static int
prefixes_dup(struct prefix **dst, const struct prefix *src, size_t n)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	*dst = calloc(n, sizeof(**dst));
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * sizeof(**dst));
	return 0;
}

int
policy_site_append(struct policy *p, const struct site *s)
{
	struct site *n = realloc(p->sites, (p->nsites + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	p->sites = n;
	n[p->nsites] = *s;
	if (prefixes_dup(&n[p->nsites].prefixes, s->prefixes, s->nprefixes) < 0)
		return -ENOMEM;
	p->nsites++;
	return 0;
}

int
policy_copy(struct policy *dst, const struct policy *src)
{
	struct policy t = *src;

	t.sites = NULL;
	t.nsites = 0;
	t.rules = NULL;
	if (prefixes_dup(&t.node.prefixes, src->node.prefixes, src->node.nprefixes) < 0)
		return -ENOMEM;
	if (src->nrules) {
		t.rules = calloc(src->nrules, sizeof(*t.rules));
		if (!t.rules) {
			free(t.node.prefixes);
			return -ENOMEM;
		}
		memcpy(t.rules, src->rules, src->nrules * sizeof(*t.rules));
	}
	for (size_t i = 0; i < src->nsites; i++) {
		if (policy_site_append(&t, &src->sites[i]) < 0) {
			policy_free(&t);
			return -ENOMEM;
		}
	}
	*dst = t;
	return 0;
}

int
policy_rule_insert(struct policy *p, const struct split_rule *r)
{
	struct split_rule *n;
	size_t at = 0;

	if (policy_rule_find(p, r->priority))
		return -EEXIST;
	n = realloc(p->rules, (p->nrules + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->rules = n;
	while (at < p->nrules && p->rules[at].priority < r->priority)
		at++;
	memmove(&n[at + 1], &n[at], (p->nrules - at) * sizeof(*n));
	n[at] = *r;
	p->nrules++;
	return 0;
}

/* Rules are kept in priority order (policy_rule_insert): a binary search. */
struct split_rule *
policy_rule_find(const struct policy *p, uint16_t priority)
{
	size_t lo = 0, hi = p->nrules;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->rules[mid].priority == priority)
			return &p->rules[mid];
		if (p->rules[mid].priority < priority)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* s's prefixes, then the destinations of t (s's tunnel rules, in priority order), once each. */
static int
site_allowed(const struct site *s, const struct split_rule *const *t, size_t nt,
	     struct prefix **out, size_t *n)
{
	struct prefix *a = calloc(s->nprefixes + nt + 1, sizeof(*a));
	size_t k = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < s->nprefixes; i++)
		a[k++] = s->prefixes[i];
	for (size_t i = 0; i < nt; i++) {
		bool dup = false;
		for (size_t j = 0; j < k && !dup; j++)
			dup = memcmp(&a[j], &t[i]->dst, sizeof(t[i]->dst)) == 0;
		if (!dup)
			a[k++] = t[i]->dst;
	}
	*out = a;
	*n = k;
	return 0;
}

/*
 * By site name, then by priority: a site's tunnel rules in the order
 * policy_site_allowed takes them.
 */
static int
tunnel_cmp(const void *a, const void *b)
{
	const struct split_rule *x = *(const struct split_rule *const *)a;
	const struct split_rule *y = *(const struct split_rule *const *)b;
	int c = strcmp(x->site, y->site);

	return c ? c : (x->priority > y->priority) - (x->priority < y->priority);
}

int
policy_tunnels_index(const struct policy *p, struct tunnels *out)
{
	out->n = 0;
	out->v = calloc(p->nrules + 1, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].action == SPLIT_TUNNEL)
			out->v[out->n++] = &p->rules[i];
	qsort(out->v, out->n, sizeof(*out->v), tunnel_cmp);
	return 0;
}

int
policy_site_allowed_in(const struct tunnels *t, const struct site *s, struct prefix **out,
		       size_t *n)
{
	size_t lo = 0, hi = t->n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(t->v[mid]->site, s->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < t->n && strcmp(t->v[end]->site, s->name) == 0; end++)
		;
	return site_allowed(s, t->v + lo, end - lo, out, n);
}

int
policy_site_allowed(const struct policy *p, const struct site *s, struct prefix **out, size_t *n)
{
	struct tunnels t;
	int ret = policy_tunnels_index(p, &t);

	if (ret == 0)
		ret = policy_site_allowed_in(&t, s, out, n);
	free(t.v);
	return ret;
}

struct site *
policy_site_find(const struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (strcmp(p->sites[i].name, name) == 0)
			return &p->sites[i];
	return NULL;
}

/* By name, then by position: of two sites of one name, the earlier first. */
static int
site_name_cmp(const void *a, const void *b)
{
	const struct site *x = *(const struct site *const *)a, *y = *(const struct site *const *)b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x > y) - (x < y);
}

int
policy_sites_by_name(const struct policy *p, const struct site ***out)
{
	const struct site **v = NULL;

	if (p->nsites && !(v = malloc(p->nsites * sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < p->nsites; i++)
		v[i] = &p->sites[i];
	if (p->nsites)
		qsort(v, p->nsites, sizeof(*v), site_name_cmp);
	*out = v;
	return 0;
}

const struct site *
policy_sites_lookup(const struct site *const *by_name, size_t n, const char *name)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(by_name[mid]->name, name);
		if (c == 0)
			return by_name[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct site *
policy_site_by_key(const struct policy *p, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < p->nsites; i++)
		if (sodium_memcmp(p->sites[i].pubkey, key, WG_KEY_LEN) == 0)
			return &p->sites[i];
	return NULL;
}

/* Names are what an administrator types and what appears in logs: keep them plain. */
static bool
name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '-' || c == '_' || c == '.'))))
			return false;
	}
	return true;
}

struct owned_prefix {
	const char *owner; /* "node" or a site's name */
	bool site;
	const struct prefix *p;
};

/* Orders by family, then network address, then length (the wider first). */
static int
owned_cmp(const void *a, const void *b)
{
	const struct prefix *x = ((const struct owned_prefix *)a)->p;
	const struct prefix *y = ((const struct owned_prefix *)b)->p;
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

bool
prefix_inside(const struct prefix *inner, const struct prefix *outer)
{
	return inner->len >= outer->len && prefix_overlaps(inner, outer);
}

/* Whether a LAN route's destination is already one of the node's own prefixes. */
static bool
route_held(const struct policy *p, const struct lan_route *r)
{
	for (size_t i = 0; i < p->node.nprefixes; i++)
		if (prefix_inside(&r->dst, &p->node.prefixes[i]))
			return true;
	return false;
}

int
policy_local_prefixes(const struct policy *p, struct prefix **out, size_t *n)
{
	struct prefix *l = calloc(p->node.nprefixes + p->nlan_routes + 1, sizeof(*l));
	size_t k = p->node.nprefixes;

	if (!l)
		return -ENOMEM;
	if (k)
		memcpy(l, p->node.prefixes, k * sizeof(*l));
	for (size_t i = 0; i < p->nlan_routes; i++)
		if (!route_held(p, &p->lan_routes[i]))
			l[k++] = p->lan_routes[i].dst;
	*out = l;
	*n = k;
	return 0;
}

/*
 * all is sorted (owned_cmp). Two prefixes are either disjoint or one holds
 * the other, so one sweep that keeps the last prefix not held by an earlier
 * one finds every overlap: O(n log n) for the 250 x 16 of a large network.
 */
static void
check_overlaps(const struct owned_prefix *all, size_t n, struct errbuf *eb)
{
	char a[64], b[64];
	size_t top = 0;

	for (size_t j = 1; j < n; j++) {
		if (!prefix_inside(all[j].p, all[top].p)) {
			top = j;
			continue;
		}
		errbuf_add(eb, "%s%s: prefix %s overlaps %s of %s%s", all[j].site ? "site " : "",
			   all[j].owner, prefix_format(all[j].p, b, sizeof(b)),
			   prefix_format(all[top].p, a, sizeof(a)), all[top].site ? "site " : "",
			   all[top].owner);
	}
}

static size_t
count_prefixes(const struct policy *p)
{
	size_t n = p->node.nprefixes + p->nlan_routes;

	for (size_t i = 0; i < p->nsites; i++)
		n += p->sites[i].nprefixes;
	return n;
}

/*
 * Names who owns the secure prefix that holds all of dst, or NULL: the last
 * prefix that starts at or before dst (binary search in the sorted all[]),
 * since secure prefixes do not overlap.
 */
static const char *
secure_owner(const struct owned_prefix *all, size_t n, const struct prefix *dst)
{
	struct owned_prefix key = {.p = dst};
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (owned_cmp(&all[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && prefix_inside(dst, all[lo - 1].p))
		return all[lo - 1].site ? all[lo - 1].owner : "this node";
	return NULL;
}

static void
validate_rule(const struct policy *p, const struct owned_prefix *all, size_t n,
	      const struct split_rule *r, struct errbuf *eb)
{
	const char *owner;
	char tmp[64];

	if (r->port && r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP)
		errbuf_add(eb, "split %u: port %u: needs --proto tcp or udp", r->priority, r->port);
	if (r->has_dst && r->has_src && r->dst.family != r->src.family)
		errbuf_add(eb, "split %u: src and dst: one is IPv4, the other IPv6", r->priority);
	if (r->action == SPLIT_TUNNEL) {
		if (!policy_site_find(p, r->site))
			errbuf_add(eb, "split %u: site '%s': no such site", r->priority, r->site);
		if (!r->has_dst)
			errbuf_add(
			    eb, "split %u: tunnel needs --dst (it becomes the site's allowed-ips)",
			    r->priority);
	}
	if (r->action == SPLIT_DIRECT && r->has_dst && (owner = secure_owner(all, n, &r->dst)))
		errbuf_add(eb,
			   "split %u: dst %s: secure (%s); a secure destination never goes direct",
			   r->priority, prefix_format(&r->dst, tmp, sizeof(tmp)), owner);
}

/* By key, then by position. Public keys are public: an ordinary compare is fine here. */
static int
dup_key_cmp(const void *a, const void *b)
{
	const struct site *x = *(const struct site *const *)a, *y = *(const struct site *const *)b;
	int c = memcmp(x->pubkey, y->pubkey, WG_KEY_LEN);

	return c ? c : (x > y) - (x < y);
}

/*
 * Two sites of one name, or of one key: sorted, duplicates are neighbours
 * (O(n log n) for a network of hundreds of sites). The later site is named,
 * the first one holding the key with it.
 */
static int
check_duplicates(const struct policy *p, struct errbuf *eb)
{
	const struct site **v;

	if (policy_sites_by_name(p, &v) < 0)
		return -ENOMEM;
	for (size_t i = 1; i < p->nsites; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0)
			errbuf_add(eb, "site %s: name: already exists", v[i]->name);
	if (p->nsites)
		qsort(v, p->nsites, sizeof(*v), dup_key_cmp);
	for (size_t i = 1, first = 0; i < p->nsites; i++) {
		if (memcmp(v[first]->pubkey, v[i]->pubkey, WG_KEY_LEN) != 0) {
			first = i;
			continue;
		}
		errbuf_add(eb, "site %s: key: already used by site %s", v[i]->name, v[first]->name);
	}
	free(v);
	return 0;
}

int
policy_validate(const struct policy *p, struct errbuf *eb)
{
	int before = eb->count;
	struct owned_prefix *all;
	size_t n = 0;

	if (p->node.name[0] && !name_valid(p->node.name))
		errbuf_add(eb, "node: name '%s': letters, digits, '-', '_', '.' (1-%d)",
			   p->node.name, POLICY_NAME_MAX);
	if (p->node.mtu < 1280 || p->node.mtu > 9000)
		errbuf_add(eb, "node: mtu %u: must be 1280-9000", p->node.mtu);
	for (size_t i = 0; i < p->nsites; i++) {
		const struct site *s = &p->sites[i];
		if (!name_valid(s->name))
			errbuf_add(eb, "site '%s': name: letters, digits, '-', '_', '.' (1-%d)",
				   s->name, POLICY_NAME_MAX);
		if (s->nprefixes == 0)
			errbuf_add(eb, "site %s: prefix: at least one is needed", s->name);
	}
	if (check_duplicates(p, eb) < 0)
		return -ENOMEM;
	all = calloc(count_prefixes(p) + 1, sizeof(*all));
	if (!all)
		return -ENOMEM;
	for (size_t i = 0; i < p->node.nprefixes; i++)
		all[n++] = (struct owned_prefix){"node", false, &p->node.prefixes[i]};
	for (size_t i = 0; i < p->nlan_routes; i++)
		if (!route_held(p, &p->lan_routes[i]))
			all[n++] =
			    (struct owned_prefix){"node (lan route)", false, &p->lan_routes[i].dst};
	for (size_t i = 0; i < p->nsites; i++)
		for (size_t j = 0; j < p->sites[i].nprefixes; j++)
			all[n++] =
			    (struct owned_prefix){p->sites[i].name, true, &p->sites[i].prefixes[j]};
	qsort(all, n, sizeof(*all), owned_cmp);
	check_overlaps(all, n, eb);
	if (p->node.default_action == SPLIT_TUNNEL)
		errbuf_add(eb, "node: default: must be direct or drop");
	for (size_t i = 0; i < p->nrules; i++)
		validate_rule(p, all, n, &p->rules[i], eb);
	free(all);
	lan_validate(p, eb);
	return eb->count > before ? -EINVAL : 0;
}

static bool
endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

bool
prefixes_equal(const struct prefix *a, size_t na, const struct prefix *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

bool
policy_site_equal(const struct site *a, const struct site *b)
{
	return strcmp(a->name, b->name) == 0 && memcmp(a->pubkey, b->pubkey, WG_KEY_LEN) == 0 &&
	       a->has_endpoint == b->has_endpoint &&
	       (!a->has_endpoint || endpoint_equal(&a->endpoint, &b->endpoint)) &&
	       a->keepalive == b->keepalive &&
	       prefixes_equal(a->prefixes, a->nprefixes, b->prefixes, b->nprefixes);
}

bool
policy_rule_equal(const struct split_rule *a, const struct split_rule *b)
{
	return a->priority == b->priority && a->has_dst == b->has_dst && a->has_src == b->has_src &&
	       (!a->has_dst || memcmp(&a->dst, &b->dst, sizeof(a->dst)) == 0) &&
	       (!a->has_src || memcmp(&a->src, &b->src, sizeof(a->src)) == 0) &&
	       a->proto == b->proto && a->port == b->port && a->action == b->action &&
	       strcmp(a->site, b->site) == 0;
}

bool
policy_node_paths_equal(const struct policy *a, const struct policy *b)
{
	return a->node.default_action == b->node.default_action && a->node.mode == b->node.mode &&
	       prefixes_equal(a->node.prefixes, a->node.nprefixes, b->node.prefixes,
			      b->node.nprefixes) &&
	       lan_equal(a, b);
}

bool
policy_equal(const struct policy *a, const struct policy *b)
{
	if (!policy_node_paths_equal(a, b) || a->nrules != b->nrules ||
	    strcmp(a->node.name, b->node.name) || a->node.listen_port != b->node.listen_port ||
	    a->node.mtu != b->node.mtu || a->nsites != b->nsites)
		return false;
	for (size_t i = 0; i < a->nrules; i++)
		if (!policy_rule_equal(&a->rules[i], &b->rules[i]))
			return false;
	for (size_t i = 0; i < a->nsites; i++)
		if (!policy_site_equal(&a->sites[i], &b->sites[i]))
			return false;
	return true;
}
