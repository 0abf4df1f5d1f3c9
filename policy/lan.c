// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/lan.c — DHCP settings, static leases and LAN routes: parsing the
 * administrator's changes, validating them, printing them back as commands.
 */
#include "policy/lan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LEASE_TIME_MIN 60
#define LEASE_TIME_MAX 31536000 /* a year */
#define LEASE_TIME_DEFAULT 3600
#define DHCP_POOL_LIMIT 4096

void
lan_dhcp_init(struct dhcp_policy *d)
{
	memset(d, 0, sizeof(*d));
	d->enabled = true;
	d->lease_time = LEASE_TIME_DEFAULT;
}

int
lan_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (s[i * 3 + 2] != ':' && i < 5)
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

char *
lan_mac_format(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
	return buf;
}

void
lan_dhcp_default_pool(struct in_addr server, uint8_t plen, struct in_addr *start,
		      struct in_addr *end)
{
	uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
	uint32_t net = ntohl(server.s_addr) & mask, bcast = net | ~mask, hosts = ~mask - 1;
	uint32_t s, e;

	if (plen > 30) {
		start->s_addr = end->s_addr = 0;
		return;
	}
	if (hosts >= 254) {
		s = net + 100;
		e = bcast - 1;
		if (e - s + 1 > DHCP_POOL_LIMIT)
			e = s + DHCP_POOL_LIMIT - 1;
	} else {
		s = net + hosts / 2 + 1;
		e = bcast - 1;
	}
	start->s_addr = htonl(s);
	end->s_addr = htonl(e);
}

static int
addr_parse(const char *s, struct in_addr *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1 || a.s_addr == 0)
		return -EINVAL;
	*out = a;
	return 0;
}

static int
number_parse(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s == '-' || *s == '+')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool
name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.",
			    s[i]))
			return false;
	return true;
}

static int
pool_parse(struct dhcp_policy *d, const char *v, struct errbuf *eb)
{
	char a[32], *dash;

	if (strcmp(v, "auto") == 0) {
		d->pool_start.s_addr = d->pool_end.s_addr = 0;
		return 0;
	}
	snprintf(a, sizeof(a), "%s", v);
	dash = strchr(a, '-');
	if (dash)
		*dash = '\0';
	if (!dash || addr_parse(a, &d->pool_start) < 0 || addr_parse(dash + 1, &d->pool_end) < 0) {
		errbuf_add(eb, "dhcp: pool %s: must be START-END (two IPv4 addresses) or auto", v);
		return -EINVAL;
	}
	return 0;
}

static int
dns_parse(struct dhcp_policy *d, const char *v, struct errbuf *eb)
{
	char buf[128], *save = NULL, *tok;

	d->ndns = 0;
	if (strcmp(v, "none") == 0)
		return 0;
	snprintf(buf, sizeof(buf), "%s", v);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (d->ndns == POLICY_DHCP_DNS_MAX || addr_parse(tok, &d->dns[d->ndns]) < 0) {
			errbuf_add(eb, "dhcp: dns %s: must be 1-%d IPv4 addresses (a,b) or none", v,
				   POLICY_DHCP_DNS_MAX);
			return -EINVAL;
		}
		d->ndns++;
	}
	return d->ndns ? 0 : -EINVAL;
}

static int
router_parse(struct dhcp_policy *d, const char *v, struct errbuf *eb)
{
	d->no_router = strcmp(v, "none") == 0;
	d->router.s_addr = 0;
	if (d->no_router || strcmp(v, "auto") == 0)
		return 0;
	if (addr_parse(v, &d->router) == 0)
		return 0;
	errbuf_add(eb, "dhcp: router %s: must be an IPv4 address, auto or none", v);
	return -EINVAL;
}

static int
dhcp_option(struct dhcp_policy *d, const char *opt, const char *v, struct errbuf *eb)
{
	unsigned long n;

	if (strcmp(opt, "--pool") == 0)
		return pool_parse(d, v, eb);
	if (strcmp(opt, "--router") == 0)
		return router_parse(d, v, eb);
	if (strcmp(opt, "--dns") == 0)
		return dns_parse(d, v, eb);
	if (strcmp(opt, "--server") == 0) {
		if (strcmp(v, "on") && strcmp(v, "off")) {
			errbuf_add(eb, "dhcp: server %s: must be on or off", v);
			return -EINVAL;
		}
		d->enabled = strcmp(v, "on") == 0;
	} else if (strcmp(opt, "--domain") == 0) {
		if (strcmp(v, "none") && !name_ok(v, POLICY_DHCP_DOMAIN_MAX)) {
			errbuf_add(eb, "dhcp: domain %s: letters, digits, '-', '.' or none", v);
			return -EINVAL;
		}
		snprintf(d->domain, sizeof(d->domain), "%s", strcmp(v, "none") ? v : "");
	} else if (strcmp(opt, "--lease-time") == 0) {
		if (number_parse(v, LEASE_TIME_MIN, LEASE_TIME_MAX, &n) < 0) {
			errbuf_add(eb, "dhcp: lease-time %s: must be %d-%d seconds", v,
				   LEASE_TIME_MIN, LEASE_TIME_MAX);
			return -EINVAL;
		}
		d->lease_time = (uint32_t)n;
	} else if (strcmp(opt, "--mtu") == 0) {
		if (number_parse(v, 0, 9000, &n) < 0 || (n && n < 576)) {
			errbuf_add(eb, "dhcp: mtu %s: must be 576-9000, or 0 (not sent)", v);
			return -EINVAL;
		}
		d->mtu = (uint16_t)n;
	} else {
		errbuf_add(eb,
			   "dhcp: %s: unknown option (--server, --pool, --router, --dns, "
			   "--domain, --lease-time, --mtu)",
			   opt);
		return -EINVAL;
	}
	return 0;
}

static int
dhcp_set(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	int before = eb->count;

	if (argc == 0) {
		errbuf_add(eb, "dhcp set: nothing to set");
		return -EINVAL;
	}
	for (int i = 0; i < argc; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
			errbuf_add(eb, "dhcp: '%s': expected --OPTION VALUE", argv[i]);
			continue;
		}
		dhcp_option(&p->dhcp, argv[i], argv[i + 1], eb);
	}
	return eb->count > before ? -EINVAL : 0;
}

static struct dhcp_static_lease *
static_find(struct dhcp_policy *d, const uint8_t mac[6])
{
	for (size_t i = 0; i < d->nstatics; i++)
		if (memcmp(d->statics[i].mac, mac, 6) == 0)
			return &d->statics[i];
	return NULL;
}

static int
static_add(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct dhcp_static_lease s = {0};
	int before = eb->count;

	if (argc < 2 || argc > 3) {
		errbuf_add(eb, "dhcp static add: give MAC IP [NAME]");
		return -EINVAL;
	}
	if (lan_mac_parse(argv[0], s.mac) < 0)
		errbuf_add(eb, "dhcp static %s: mac: must be aa:bb:cc:dd:ee:ff", argv[0]);
	if (addr_parse(argv[1], &s.ip) < 0)
		errbuf_add(eb, "dhcp static %s: ip %s: must be an IPv4 address", argv[0], argv[1]);
	if (argc == 3 && !name_ok(argv[2], POLICY_DHCP_NAME_MAX))
		errbuf_add(eb, "dhcp static %s: name %s: letters, digits, '-', '_', '.' (1-%d)",
			   argv[0], argv[2], POLICY_DHCP_NAME_MAX);
	else if (argc == 3)
		snprintf(s.name, sizeof(s.name), "%s", argv[2]);
	if (eb->count == before && static_find(&p->dhcp, s.mac))
		errbuf_add(eb, "dhcp static %s: already exists (dhcp static del it first)",
			   argv[0]);
	if (eb->count == before && p->dhcp.nstatics == POLICY_DHCP_STATIC_MAX)
		errbuf_add(eb, "dhcp static %s: at most %d static leases", argv[0],
			   POLICY_DHCP_STATIC_MAX);
	if (eb->count > before)
		return -EINVAL;
	p->dhcp.statics[p->dhcp.nstatics++] = s;
	return 0;
}

static int
static_del(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct dhcp_static_lease *s;
	uint8_t mac[6];

	if (argc != 1 || lan_mac_parse(argv[0], mac) < 0) {
		errbuf_add(eb, "dhcp static del: give exactly one MAC (aa:bb:cc:dd:ee:ff)");
		return -EINVAL;
	}
	if (!(s = static_find(&p->dhcp, mac))) {
		errbuf_add(eb, "dhcp static %s: no such static lease", argv[0]);
		return -ENOENT;
	}
	memmove(s, s + 1, (size_t)(p->dhcp.statics + p->dhcp.nstatics - (s + 1)) * sizeof(*s));
	p->dhcp.nstatics--;
	return 0;
}

static struct lan_route *
route_find(struct policy *p, const struct prefix *q)
{
	for (size_t i = 0; i < p->nlan_routes; i++)
		if (memcmp(&p->lan_routes[i].dst, q, sizeof(*q)) == 0)
			return &p->lan_routes[i];
	return NULL;
}

static int
route_add(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct lan_route r = {0};
	int before = eb->count;

	if (argc != 3 || strcmp(argv[1], "via") != 0) {
		errbuf_add(eb, "lan route add: give PREFIX via GATEWAY");
		return -EINVAL;
	}
	if (prefix_parse(argv[0], &r.dst, "lan route: prefix ", eb) == 0 && r.dst.family != AF_INET)
		errbuf_add(eb, "lan route %s: prefix: IPv4 only for now", argv[0]);
	if (addr_parse(argv[2], &r.gw) < 0)
		errbuf_add(eb, "lan route %s: via %s: must be an IPv4 address", argv[0], argv[2]);
	if (eb->count == before && route_find(p, &r.dst))
		errbuf_add(eb, "lan route %s: already exists (lan route del it first)", argv[0]);
	if (eb->count == before && p->nlan_routes == POLICY_LAN_ROUTE_MAX)
		errbuf_add(eb, "lan route %s: at most %d LAN routes", argv[0],
			   POLICY_LAN_ROUTE_MAX);
	if (eb->count > before)
		return -EINVAL;
	p->lan_routes[p->nlan_routes++] = r;
	return 0;
}

static int
route_del(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct prefix q;
	struct lan_route *r;

	if (argc != 1 || prefix_parse(argv[0], &q, "lan route: prefix ", eb) < 0) {
		if (argc != 1)
			errbuf_add(eb, "lan route del: give exactly one PREFIX");
		return -EINVAL;
	}
	if (!(r = route_find(p, &q))) {
		errbuf_add(eb, "lan route %s: no such route", argv[0]);
		return -ENOENT;
	}
	memmove(r, r + 1, (size_t)(p->lan_routes + p->nlan_routes - (r + 1)) * sizeof(*r));
	p->nlan_routes--;
	return 0;
}

bool
lan_edit_known(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[0], "dhcp") == 0 && strcmp(argv[1], "set") == 0)
		return true;
	if (argc < 3)
		return false;
	if (!(strcmp(argv[0], "dhcp") == 0 && strcmp(argv[1], "static") == 0) &&
	    !(strcmp(argv[0], "lan") == 0 && strcmp(argv[1], "route") == 0))
		return false;
	return strcmp(argv[2], "add") == 0 || strcmp(argv[2], "del") == 0;
}

int
lan_edit(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	if (!lan_edit_known(argc, argv))
		return -EINVAL;
	if (strcmp(argv[1], "set") == 0)
		return dhcp_set(p, argc - 2, argv + 2, eb);
	if (strcmp(argv[0], "dhcp") == 0)
		return strcmp(argv[2], "add") == 0 ? static_add(p, argc - 3, argv + 3, eb)
						   : static_del(p, argc - 3, argv + 3, eb);
	return strcmp(argv[2], "add") == 0 ? route_add(p, argc - 3, argv + 3, eb)
					   : route_del(p, argc - 3, argv + 3, eb);
}

static void
validate_statics(const struct dhcp_policy *d, struct errbuf *eb)
{
	char mac[18], ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < d->nstatics; i++) {
		const struct dhcp_static_lease *s = &d->statics[i];
		lan_mac_format(s->mac, mac, sizeof(mac));
		if (s->ip.s_addr == 0)
			errbuf_add(eb, "dhcp static %s: ip: missing", mac);
		for (size_t j = 0; j < i; j++)
			if (d->statics[j].ip.s_addr == s->ip.s_addr)
				errbuf_add(eb, "dhcp static %s: ip %s: already given to %s", mac,
					   inet_ntop(AF_INET, &s->ip, ip, sizeof(ip)),
					   lan_mac_format(d->statics[j].mac, mac, sizeof(mac)));
	}
}

void
lan_validate(const struct policy *p, struct errbuf *eb)
{
	const struct dhcp_policy *d = &p->dhcp;
	uint32_t s = ntohl(d->pool_start.s_addr), e = ntohl(d->pool_end.s_addr);
	char tmp[64];

	if ((s == 0) != (e == 0) || s > e)
		errbuf_add(eb, "dhcp: pool: the start must not be after the end");
	else if (s && e - s + 1 > DHCP_POOL_LIMIT)
		errbuf_add(eb, "dhcp: pool: at most %d addresses", DHCP_POOL_LIMIT);
	if (d->lease_time < LEASE_TIME_MIN || d->lease_time > LEASE_TIME_MAX)
		errbuf_add(eb, "dhcp: lease-time %u: must be %d-%d seconds", d->lease_time,
			   LEASE_TIME_MIN, LEASE_TIME_MAX);
	if (d->ndns > POLICY_DHCP_DNS_MAX || d->nstatics > POLICY_DHCP_STATIC_MAX ||
	    p->nlan_routes > POLICY_LAN_ROUTE_MAX)
		errbuf_add(eb, "dhcp: too many entries");
	else
		validate_statics(d, eb);
	for (size_t i = 0; i < p->nlan_routes && i < POLICY_LAN_ROUTE_MAX; i++) {
		const struct lan_route *r = &p->lan_routes[i];
		if (r->dst.family != AF_INET || r->gw.s_addr == 0)
			errbuf_add(eb, "lan route %s: IPv4 prefix and gateway needed",
				   prefix_format(&r->dst, tmp, sizeof(tmp)));
	}
}

bool
lan_equal(const struct policy *a, const struct policy *b)
{
	const struct dhcp_policy *x = &a->dhcp, *y = &b->dhcp;

	if (x->enabled != y->enabled || x->pool_start.s_addr != y->pool_start.s_addr ||
	    x->pool_end.s_addr != y->pool_end.s_addr || x->no_router != y->no_router ||
	    x->router.s_addr != y->router.s_addr || x->lease_time != y->lease_time ||
	    x->ndns != y->ndns || x->mtu != y->mtu || strcmp(x->domain, y->domain) ||
	    x->nstatics != y->nstatics || a->nlan_routes != b->nlan_routes)
		return false;
	for (size_t i = 0; i < x->ndns; i++)
		if (x->dns[i].s_addr != y->dns[i].s_addr)
			return false;
	for (size_t i = 0; i < x->nstatics; i++)
		if (memcmp(x->statics[i].mac, y->statics[i].mac, 6) ||
		    x->statics[i].ip.s_addr != y->statics[i].ip.s_addr ||
		    strcmp(x->statics[i].name, y->statics[i].name))
			return false;
	for (size_t i = 0; i < a->nlan_routes; i++)
		if (memcmp(&a->lan_routes[i].dst, &b->lan_routes[i].dst, sizeof(struct prefix)) ||
		    a->lan_routes[i].gw.s_addr != b->lan_routes[i].gw.s_addr)
			return false;
	return true;
}

static void
print_dhcp_set(const struct dhcp_policy *d, struct buf *out)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	buf_printf(out, "dhcp set --server %s --pool ", d->enabled ? "on" : "off");
	if (d->pool_start.s_addr)
		buf_printf(out, "%s-%s", inet_ntop(AF_INET, &d->pool_start, a, sizeof(a)),
			   inet_ntop(AF_INET, &d->pool_end, b, sizeof(b)));
	else
		buf_puts(out, "auto");
	buf_printf(out, " --router %s --dns ",
		   d->no_router	      ? "none"
		   : d->router.s_addr ? inet_ntop(AF_INET, &d->router, a, sizeof(a))
				      : "auto");
	for (size_t i = 0; i < d->ndns; i++)
		buf_printf(out, "%s%s", i ? "," : "", inet_ntop(AF_INET, &d->dns[i], a, sizeof(a)));
	if (d->ndns == 0)
		buf_puts(out, "none");
	buf_printf(out, " --domain %s --lease-time %u --mtu %u\n",
		   d->domain[0] ? d->domain : "none", d->lease_time, d->mtu);
}

void
lan_print(const struct policy *p, struct buf *out)
{
	char mac[18], a[INET_ADDRSTRLEN], tmp[64];

	const struct dhcp_policy *d = &p->dhcp;

	/* The defaults are left out, so that a policy without DHCP prints as before. */
	if (!d->enabled || d->pool_start.s_addr || d->no_router || d->router.s_addr ||
	    d->lease_time != LEASE_TIME_DEFAULT || d->ndns || d->domain[0] || d->mtu)
		print_dhcp_set(d, out);
	for (size_t i = 0; i < p->dhcp.nstatics; i++) {
		const struct dhcp_static_lease *s = &p->dhcp.statics[i];
		buf_printf(
		    out, "dhcp static add %s %s%s%s\n", lan_mac_format(s->mac, mac, sizeof(mac)),
		    inet_ntop(AF_INET, &s->ip, a, sizeof(a)), s->name[0] ? " " : "", s->name);
	}
	for (size_t i = 0; i < p->nlan_routes; i++)
		buf_printf(out, "lan route add %s via %s\n",
			   prefix_format(&p->lan_routes[i].dst, tmp, sizeof(tmp)),
			   inet_ntop(AF_INET, &p->lan_routes[i].gw, a, sizeof(a)));
}
