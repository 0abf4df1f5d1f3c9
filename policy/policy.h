/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/policy.h — the policy model: node, sites and their prefixes.
 *
 * A struct policy owns everything it points to; policy_free() releases it.
 * Parsers write their out-parameter only on success and report what was
 * wrong into a struct errbuf, naming the object and the field.
 */
#ifndef UMBRAL_POLICY_H
#define UMBRAL_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_NAME_MAX 31
#define WG_KEY_LEN 32
#define WG_KEY_B64_LEN 45     /* 44 characters and the NUL */
#define POLICY_PREFIX_MAX 256 /* per site */
#define POLICY_SITE_MAX 1024

/* The box's internal links are the same in every box: fixed addresses. */
#define TOPO_RED_TO_CRYPTO "169.254.1.1"
#define TOPO_CRYPTO_TO_RED "169.254.1.2"
#define TOPO_CRYPTO_TO_BLACK "169.254.2.1"
#define TOPO_BLACK_TO_CRYPTO "169.254.2.2"
#define TOPO_RED_TO_BLACK "169.254.3.1"
#define TOPO_BLACK_TO_RED "169.254.3.2"

/* Interface names inside the domains. */
#define IF_LAN "lan"
#define IF_WAN "wan"
#define IF_WG "wg0"
#define IF_TO_RED "to-red"
#define IF_TO_CRYPTO "to-crypto"
#define IF_TO_BLACK "to-black"

/*
 * Packet marks: Umbral owns only the bits in MARK_MASK so that marks other
 * tools set survive. Routing tables and rule priorities are Umbral's own.
 */
#define MARK_MASK 0x00ff0000u
#define MARK_SECURE 0x00010000u /* red: destination is another site */
#define MARK_DIRECT 0x00020000u /* red: destination goes straight to black */
#define MARK_WG 0x00030000u	/* crypto: WireGuard's own UDP */
#define TABLE_SECURE 100	/* red: to crypto; crypto: sites via wg0, own site to red */
#define TABLE_DIRECT 101	/* red: to black */
#define TABLE_WG 102		/* crypto: WireGuard UDP to black */
#define RULE_PRIO 1000

#define POLICY_RULE_MAX 4096

enum domain { DOMAIN_RED, DOMAIN_CRYPTO, DOMAIN_BLACK, DOMAIN_COUNT };
enum node_mode { MODE_SMALL, MODE_LARGE };
/* What happens to traffic from the LAN. */
enum split_action { SPLIT_TUNNEL, SPLIT_DIRECT, SPLIT_DROP };

/* Collected validation messages, one per line; count says how many. */
struct errbuf {
	char text[4096];
	size_t len;
	int count;
};

struct prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16]; /* network byte order; host bits are zero */
};

struct endpoint {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port; /* host byte order */
};

struct site {
	char name[POLICY_NAME_MAX + 1];
	uint8_t pubkey[WG_KEY_LEN];
	bool has_endpoint;
	struct endpoint endpoint;
	uint16_t keepalive; /* seconds; 0 is off */
	struct prefix *prefixes;
	size_t nprefixes;
	/*
	 * Runtime state of crypto's handshake watch (core/watch.c), never stored
	 * or compared: stale turns the site's prefixes unreachable in crypto.
	 */
	bool stale;
};

/*
 * A split-tunnel rule: traffic from the LAN that matches every given field
 * takes the action. Rules are tried by ascending priority; the first match
 * decides. A secure destination never goes direct (such a rule is skipped
 * for it), and tunnel rules name the site that carries them (e.g. a hub
 * that is the network's internet exit).
 */
struct split_rule {
	uint16_t priority; /* 1-65535, unique: also the rule's name */
	bool has_dst, has_src;
	struct prefix dst, src;
	uint8_t proto; /* 0 any, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (ICMPv6 for v6) */
	uint16_t port; /* destination port, tcp/udp only; 0 any */
	enum split_action action;
	char site[POLICY_NAME_MAX + 1]; /* tunnel only */
};

struct node {
	char name[POLICY_NAME_MAX + 1];
	enum node_mode mode;
	enum split_action default_action; /* for non-secure destinations: direct or drop */
	uint16_t listen_port;
	uint16_t mtu;
	struct prefix *prefixes; /* this site's own secure prefixes */
	size_t nprefixes;
};

#define POLICY_DHCP_STATIC_MAX 256
#define POLICY_DHCP_DNS_MAX 3
#define POLICY_DHCP_DOMAIN_MAX 253
#define POLICY_DHCP_NAME_MAX 63
#define POLICY_LAN_ROUTE_MAX 64

/* A fixed address for one LAN host, by its MAC. */
struct dhcp_static_lease {
	uint8_t mac[6];
	struct in_addr ip;
	char name[POLICY_DHCP_NAME_MAX + 1]; /* may be "" */
};

/*
 * Red's DHCPv4 server (small node only). A zero address means "derive it
 * from red's address on the LAN" (pool, router); see policy/lan.h.
 */
struct dhcp_policy {
	bool enabled;
	struct in_addr pool_start, pool_end; /* both 0: derived */
	bool no_router;			     /* send no router option */
	struct in_addr router;		     /* 0: red's LAN address */
	uint32_t lease_time;		     /* seconds */
	struct in_addr dns[POLICY_DHCP_DNS_MAX];
	uint8_t ndns;
	char domain[POLICY_DHCP_DOMAIN_MAX + 1]; /* "": not sent */
	uint16_t mtu;				 /* 0: not sent */
	struct dhcp_static_lease statics[POLICY_DHCP_STATIC_MAX];
	size_t nstatics;
};

/* Large node: a prefix behind the site's own router, reached via gw on the LAN. */
struct lan_route {
	struct prefix dst; /* IPv4 */
	struct in_addr gw;
};

struct policy {
	int64_t revision;
	struct node node;
	struct site *sites;
	size_t nsites;
	struct split_rule *rules; /* sorted by priority */
	size_t nrules;
	struct dhcp_policy dhcp;
	struct lan_route lan_routes[POLICY_LAN_ROUTE_MAX];
	size_t nlan_routes;
};

void errbuf_add(struct errbuf *eb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

const char *domain_name(enum domain d);
int domain_parse(const char *s, enum domain *out);
const char *mode_name(enum node_mode m);
int mode_parse(const char *s, enum node_mode *out);
const char *split_action_name(enum split_action a);
int split_action_parse(const char *s, enum split_action *out);
const char *proto_name(uint8_t proto); /* "any", "tcp", "udp", "icmp" */
int proto_parse(const char *s, uint8_t *out);
/* Whether addr (family's length) lies inside p. */
bool prefix_contains(const struct prefix *p, uint8_t family, const uint8_t addr[16]);
/* Whether two prefix lists are the same, in the same order. */
bool prefixes_equal(const struct prefix *a, size_t na, const struct prefix *b, size_t nb);

/* "10.1.0.0/16" or "fd00::/48"; host bits set is an error. Returns 0 or -EINVAL. */
int prefix_parse(const char *s, struct prefix *out, const char *what, struct errbuf *eb);
/* Writes "addr/len" into buf (at least 50 bytes). Returns buf. */
char *prefix_format(const struct prefix *p, char *buf, size_t len);
/* True when the two prefixes share any address. */
bool prefix_overlaps(const struct prefix *a, const struct prefix *b);
/* Whether all of inner lies within outer (same family). */
bool prefix_inside(const struct prefix *inner, const struct prefix *outer);
/*
 * This node's secure prefixes as the kernel must see them: its own, then
 * each LAN route's destination that none of them holds (a network behind a
 * router on the LAN is this site's too). Derived, never stored: a route's
 * prefix comes and goes with the route. *out (caller frees) may be NULL
 * when *n is 0. Returns 0 or -ENOMEM.
 */
int policy_local_prefixes(const struct policy *p, struct prefix **out, size_t *n);
/* "1.2.3.4:51820" or "[2001:db8::1]:51820". */
int endpoint_parse(const char *s, struct endpoint *out, const char *what, struct errbuf *eb);
char *endpoint_format(const struct endpoint *e, char *buf, size_t len);

/* Base64 WireGuard keys, encoded and decoded in constant time. */
int key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64);
void key_to_base64(char b64[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);

/* A policy with the node's defaults: mode small, port 51820, MTU 1420. */
void policy_init(struct policy *p);
void policy_free(struct policy *p);
/* Deep copy; dst is overwritten. Returns 0 or -ENOMEM. */
int policy_copy(struct policy *dst, const struct policy *src);
struct site *policy_site_find(const struct policy *p, const char *name);
/*
 * p's sites sorted by name into *out (malloc'd, caller frees; NULL when p
 * has none), and a lookup in it: for comparing large policies site by site.
 */
int policy_sites_by_name(const struct policy *p, const struct site ***out);
const struct site *policy_sites_lookup(const struct site *const *by_name, size_t n,
				       const char *name);
/* The site whose WireGuard public key is key, or NULL. */
struct site *policy_site_by_key(const struct policy *p, const uint8_t key[WG_KEY_LEN]);
/* Appends a deep copy of s. Returns 0 or -ENOMEM. */
int policy_site_append(struct policy *p, const struct site *s);
/* Inserts r in priority order. Returns 0, -EEXIST (priority taken) or -ENOMEM. */
int policy_rule_insert(struct policy *p, const struct split_rule *r);
struct split_rule *policy_rule_find(const struct policy *p, uint16_t priority);
/*
 * A site's WireGuard allowed-ips: its prefixes and the destinations of the
 * tunnel rules that name it. *out is calloc'd (caller frees). 0 or -ENOMEM.
 */
int policy_site_allowed(const struct policy *p, const struct site *s, struct prefix **out,
			size_t *n);
/*
 * The same for every site of p at once: the tunnel rules indexed by site
 * (t.v points into p->rules; free(t.v)), then one lookup per site.
 */
struct tunnels {
	const struct split_rule **v;
	size_t n;
};
int policy_tunnels_index(const struct policy *p, struct tunnels *out);
int policy_site_allowed_in(const struct tunnels *t, const struct site *s, struct prefix **out,
			   size_t *n);
void site_free(struct site *s);
/* Checks names, keys and overlaps across the whole policy; every error goes to eb. */
int policy_validate(const struct policy *p, struct errbuf *eb);
/* True when both describe the same policy (revision ignored). */
bool policy_equal(const struct policy *a, const struct policy *b);
/*
 * True when all that decides a packet's path but the sites and the split
 * rules is the same: the node's mode, default and own prefixes, the LAN (its
 * routes; its DHCP too, which is simpler to compare than to leave out).
 */
bool policy_node_paths_equal(const struct policy *a, const struct policy *b);
/* Whether two sites (two rules) have the same content, field by field. */
bool policy_site_equal(const struct site *a, const struct site *b);
bool policy_rule_equal(const struct split_rule *a, const struct split_rule *b);

#endif
