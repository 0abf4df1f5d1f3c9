// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_guard.c — the host's own protection in each domain's table:
 * default-deny input and output chains (only what the domain's job needs
 * reaches or leaves its own sockets), the named counter of the rules that
 * must never match, and (black and crypto) the flood guard on WireGuard's
 * port. The guard meters each unknown source that has no established flow:
 * one over the per-source rate goes into a block set for a while; all such
 * traffic together is held to a global rate. Configured peers' endpoints
 * and established flows pass untouched, so a known peer is never blocked.
 *
 * The table is replaced on every apply, and its dynamic sets with it: a
 * reload during a flood lets a blocked source send one burst before the
 * meter blocks it again.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <string.h>

#include "core/dhcp_msg.h"
#include "policy/guard.h"
#include "policy/nft_expr.h"

/* How long the meter remembers a source. */
#define METER_TIMEOUT_MS 60000
#define BLOCK_TIMEOUT_MS (GUARD_BLOCK_SECONDS * 1000)

static bool
guarded(const struct nft_ctx *c)
{
	return c->d == DOMAIN_BLACK || c->d == DOMAIN_CRYPTO;
}

/* Where the guard stands: black's WAN, or crypto's side towards black. */
static const char *
guard_if(const struct nft_ctx *c)
{
	return c->d == DOMAIN_BLACK ? IF_WAN : IF_TO_BLACK;
}

static void
counter_obj(struct nft_ctx *c, const char *name)
{
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (o) {
		/* These setters return nothing: a failed copy shows as an unset attribute. */
		nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
		nftnl_obj_set_str(o, NFTNL_OBJ_NAME, name);
	}
	if (!o || !nftnl_obj_is_set(o, NFTNL_OBJ_TABLE) || !nftnl_obj_is_set(o, NFTNL_OBJ_NAME)) {
		if (!c->err)
			c->err = -ENOMEM;
		goto out;
	}
	nftnl_obj_set_u32(o, NFTNL_OBJ_FAMILY, NFPROTO_INET);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	nlh = nft_msg_begin(c, NFT_MSG_NEWOBJ, NLM_F_CREATE);
	if (nlh) {
		nftnl_obj_nlmsg_build_payload(nlh, o);
		nft_msg_end(c);
	}
out:
	if (o)
		nftnl_obj_free(o);
}

/* A hash set of addresses; dynamic ones have a timeout, blocks count per element. */
static void
addr_set(struct nft_ctx *c, enum nft_set_idx i, uint64_t timeout_ms, bool count)
{
	struct nftnl_expr *ctr = NULL;

	if (count && !(ctr = nftnl_expr_alloc("counter"))) {
		if (!c->err)
			c->err = -ENOMEM;
		return;
	}
	nft_set_msg(c, i, timeout_ms ? NFT_SET_TIMEOUT | NFT_SET_EVAL : 0, timeout_ms, ctr);
}

/* The configured endpoints' addresses of family f into set i. */
static void
peer_elems(struct nft_ctx *c, enum nft_set_idx i)
{
	int family = nft_set_family(i);
	struct nft_elems e = {.c = c, .set = i};

	for (size_t k = 0; k < c->p->nsites; k++) {
		const struct site *s = &c->p->sites[k];
		if (s->has_endpoint && s->endpoint.family == family)
			nft_elems_add(&e, s->endpoint.addr, family == AF_INET ? 4 : 16, 0, false);
	}
	nft_elems_flush(&e);
}

void
nft_guard_sets(struct nft_ctx *c)
{
	counter_obj(c, GUARD_CTR_NEVER);
	if (!guarded(c))
		return;
	counter_obj(c, GUARD_CTR_BLOCKED);
	counter_obj(c, GUARD_CTR_GLOBAL);
	for (int f = 0; f < 2; f++) {
		addr_set(c, NFT_PEERS4 + f, 0, false);
		peer_elems(c, NFT_PEERS4 + f);
		addr_set(c, NFT_METER4 + f, METER_TIMEOUT_MS, false);
		addr_set(c, NFT_BLOCK4 + f, BLOCK_TIMEOUT_MS, true);
	}
}

void
nft_guard_peer_elems(struct nft_ctx *c)
{
	if (!guarded(c))
		return;
	for (int f = 0; f < 2; f++)
		peer_elems(c, NFT_PEERS4 + f);
}

bool
nft_guarded(enum domain d)
{
	return guarded(&(struct nft_ctx){.d = d});
}

/* limit rate [over] rate/second burst burst packets */
static struct nftnl_expr *
limit_new(uint64_t rate, uint32_t burst, bool over)
{
	struct nftnl_expr *e = nftnl_expr_alloc("limit");

	if (!e)
		return NULL;
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_RATE, rate);
	nftnl_expr_set_u64(e, NFTNL_EXPR_LIMIT_UNIT, 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_BURST, burst);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LIMIT_FLAGS, over ? NFT_LIMIT_F_INV : 0);
	return e;
}

static void
a_limit(struct rb *rb, uint64_t rate, uint32_t burst, bool over)
{
	struct nftnl_expr *e;

	if (rb->err)
		return;
	if (!(e = limit_new(rate, burst, over))) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_rule_add_expr(rb->r, e);
}

/*
 * add/update @set { ip saddr }, or with the per-source limit
 * ("update @meter { ip saddr limit rate over ... }"): the rule goes on only
 * for a source over it.
 */
static void
a_dynset_saddr(struct rb *rb, enum nft_set_idx set, uint32_t op, bool limited)
{
	struct nftnl_expr *e, *lim;

	ex_addr(rb, false, nft_set_family(set));
	if (!(e = ex_new(rb, "dynset")))
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, op);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, nft_set_name(set)) < 0)
		rb->err = -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, (uint32_t)set + 1);
	if (!limited)
		return;
	/* Without its limit the rule would block every source it sees: an error, not a rule. */
	lim = limit_new(GUARD_SOURCE_PPS, GUARD_SOURCE_BURST, true);
	if (!lim || nftnl_expr_set(e, NFTNL_EXPR_DYNSET_EXPR, lim, 0) < 0) {
		if (lim)
			nftnl_expr_free(lim);
		rb->err = -ENOMEM;
	}
}

/* counter name "name" */
static void
a_named_counter(struct rb *rb, const char *name)
{
	struct nftnl_expr *e = ex_new(rb, "objref");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_OBJREF_IMM_NAME, name) < 0)
		rb->err = -ENOMEM;
}

/* iifname IF udp dport PORT: the start of every guard rule on the port. */
static void
guard_begin(struct nft_ctx *c, struct rb *rb, const char *chain)
{
	rule_begin(c, rb, chain);
	m_ifname(rb, NFT_META_IIFNAME, guard_if(c));
	m_udp_port(rb, 2, c->p->node.listen_port);
}

/*
 * The flood guard, in black's guard chain (before DNAT) or crypto's input.
 * Order matters: known peers and established flows first, then sources
 * already blocked, then the per-source meter, then the global limit.
 */
static void
guard_rules(struct nft_ctx *c, const char *chain)
{
	static const int fams[] = {AF_INET, AF_INET6};
	struct rb rb;

	for (int f = 0; f < 2; f++) {
		guard_begin(c, &rb, chain);
		m_nfproto(&rb, fams[f]);
		m_addr_in(&rb, false, NFT_PEERS4 + f, false);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	guard_begin(c, &rb, chain);
	m_ct_established(&rb);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	for (int f = 0; f < 2; f++) {
		/* A blocked source is refused everything on this side, not only the port. */
		rule_begin(c, &rb, chain);
		m_ifname(&rb, NFT_META_IIFNAME, guard_if(c));
		m_nfproto(&rb, fams[f]);
		m_addr_in(&rb, false, NFT_BLOCK4 + f, false);
		a_dynset_saddr(&rb, NFT_BLOCK4 + f, NFT_DYNSET_OP_UPDATE, false);
		a_named_counter(&rb, GUARD_CTR_BLOCKED);
		ex_verdict(&rb, NF_DROP);
		rule_end(c, &rb);
		guard_begin(c, &rb, chain);
		m_nfproto(&rb, fams[f]);
		a_dynset_saddr(&rb, NFT_METER4 + f, NFT_DYNSET_OP_UPDATE, true);
		a_dynset_saddr(&rb, NFT_BLOCK4 + f, NFT_DYNSET_OP_ADD, false);
		a_named_counter(&rb, GUARD_CTR_BLOCKED);
		ex_verdict(&rb, NF_DROP);
		rule_end(c, &rb);
	}
	guard_begin(c, &rb, chain);
	a_limit(&rb, GUARD_GLOBAL_PPS, GUARD_GLOBAL_BURST, true);
	a_named_counter(&rb, GUARD_CTR_GLOBAL);
	ex_verdict(&rb, NF_DROP);
	rule_end(c, &rb);
}

/* icmp type T, or icmpv6 type T (m_service picks the protocol by family) */
static void
m_icmp_type(struct rb *rb, int family, uint8_t type)
{
	m_nfproto(rb, family);
	m_service(rb, family, IPPROTO_ICMP, 0);
	ex_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
	ex_cmp(rb, NFT_CMP_EQ, &type, sizeof(type));
}

/* One accept rule per ICMP type; ifname NULL: any interface. */
static void
accept_icmp(struct nft_ctx *c, const char *chain, uint32_t ifkey, const char *ifname, int family,
	    const uint8_t *types, size_t n)
{
	struct rb rb;

	for (size_t k = 0; k < n; k++) {
		rule_begin(c, &rb, chain);
		if (ifname)
			m_ifname(&rb, ifkey, ifname);
		m_icmp_type(&rb, family, types[k]);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
}

/*
 * What every domain's own traffic needs either way: loopback, replies of
 * what was let through, and IPv6 neighbour discovery (the links between
 * domains route over link-local addresses).
 */
static void
host_common(struct nft_ctx *c, const char *chain, uint32_t ifkey)
{
	static const uint8_t nd[] = {ND_ROUTER_SOLICIT, ND_ROUTER_ADVERT, ND_NEIGHBOR_SOLICIT,
				     ND_NEIGHBOR_ADVERT};
	struct rb rb;

	rule_begin(c, &rb, chain);
	m_ifname(&rb, ifkey, "lo");
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	rule_begin(c, &rb, chain);
	m_ct_established(&rb);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	accept_icmp(c, chain, ifkey, NULL, AF_INET6, nd, sizeof(nd));
}

/*
 * The kernel's own error messages (unreachable, too big, time exceeded):
 * they tell the LAN at once that a path is closed and keep path MTU
 * discovery working. Never out of black's WAN: black answers nothing there.
 */
static void
output_errors(struct nft_ctx *c)
{
	static const uint8_t v4[] = {ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED, ICMP_PARAMETERPROB};
	static const uint8_t v6[] = {ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED,
				     ICMP6_PARAM_PROB};
	static const char *const black_ifs[] = {IF_TO_RED, IF_TO_CRYPTO};

	if (c->d != DOMAIN_BLACK) {
		accept_icmp(c, "output", 0, NULL, AF_INET, v4, sizeof(v4));
		accept_icmp(c, "output", 0, NULL, AF_INET6, v6, sizeof(v6));
		return;
	}
	for (size_t k = 0; k < 2; k++) {
		accept_icmp(c, "output", NFT_META_OIFNAME, black_ifs[k], AF_INET, v4, sizeof(v4));
		accept_icmp(c, "output", NFT_META_OIFNAME, black_ifs[k], AF_INET6, v6, sizeof(v6));
	}
}

/* ifkey IF udp sport|dport PORT accept */
static void
accept_udp(struct nft_ctx *c, const char *chain, uint32_t ifkey, const char *ifname,
	   uint32_t offset, uint16_t port)
{
	struct rb rb;

	rule_begin(c, &rb, chain);
	m_ifname(&rb, ifkey, ifname);
	m_udp_port(&rb, offset, port);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
}

/*
 * Red: the LAN may ping its gateway, at a rate no flood gets past. The
 * limit comes before the established rule: one ping's echo requests are all
 * one conntrack flow, established after its first answer.
 */
static void
red_ping(struct nft_ctx *c, bool over)
{
	static const int fams[] = {AF_INET, AF_INET6};
	static const uint8_t echo[] = {ICMP_ECHO, ICMP6_ECHO_REQUEST};
	struct rb rb;

	for (int f = 0; f < 2; f++) {
		rule_begin(c, &rb, "input");
		m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
		m_icmp_type(&rb, fams[f], echo[f]);
		if (over) {
			a_limit(&rb, GUARD_PING_PPS, GUARD_PING_BURST, true);
			ex_counter(&rb);
		}
		ex_verdict(&rb, over ? NF_DROP : NF_ACCEPT);
		rule_end(c, &rb);
	}
}

static void
host_input(struct nft_ctx *c)
{
	bool dhcp = c->d == DOMAIN_RED && c->p->node.mode == MODE_SMALL;

	if (c->d == DOMAIN_RED)
		red_ping(c, true);
	host_common(c, "input", NFT_META_IIFNAME);
	if (c->d == DOMAIN_RED)
		red_ping(c, false);
	if (dhcp)
		accept_udp(c, "input", NFT_META_IIFNAME, IF_LAN, 2, DHCP_SERVER_PORT);
	if (c->d == DOMAIN_CRYPTO) {
		guard_rules(c, "input");
		accept_udp(c, "input", NFT_META_IIFNAME, IF_TO_BLACK, 2, c->p->node.listen_port);
	}
	final_counter(c, "input");
}

static void
host_output(struct nft_ctx *c)
{
	bool dhcp = c->d == DOMAIN_RED && c->p->node.mode == MODE_SMALL;

	host_common(c, "output", NFT_META_OIFNAME);
	output_errors(c);
	if (dhcp)
		accept_udp(c, "output", NFT_META_OIFNAME, IF_LAN, 0, DHCP_SERVER_PORT);
	if (c->d == DOMAIN_CRYPTO)
		accept_udp(c, "output", NFT_META_OIFNAME, IF_TO_BLACK, 0, c->p->node.listen_port);
	final_counter(c, "output");
}

void
nft_guard_rules(struct nft_ctx *c)
{
	host_input(c);
	host_output(c);
	if (c->d == DOMAIN_BLACK)
		guard_rules(c, "guard");
}

void
a_never(struct rb *rb)
{
	a_named_counter(rb, GUARD_CTR_NEVER);
}
