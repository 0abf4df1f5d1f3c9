// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_rules.c — the policy's rules in each domain's chains: red's
 * classification and forwarding, crypto's and black's forwarding and NAT,
 * composed of the helpers of policy/nft_expr.h.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <string.h>

#include "policy/nft_expr.h"

/* A "never" rule: counted, so it can be read and alerted on, then dropped. */
static void
never_daddr(struct nft_ctx *c, const char *chain, uint32_t ifkey, const char *ifname)
{
	struct rb rb;

	for (int s = 0; s < NFT_NSETS; s++) {
		rule_begin(c, &rb, chain);
		m_ifname(&rb, ifkey, ifname);
		m_nfproto(&rb, nft_set_family(s));
		m_addr_in(&rb, true, s, false);
		a_never(&rb);
		ex_verdict(&rb, NF_DROP);
		rule_end(c, &rb);
	}
}

static void
accept_between(struct nft_ctx *c, const char *chain, const char *in, const char *out)
{
	struct rb rb;

	rule_begin(c, &rb, chain);
	m_ifname(&rb, NFT_META_IIFNAME, in);
	m_ifname(&rb, NFT_META_OIFNAME, out);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
}

/* One split rule for one family: match, then mark (and stop) or drop. */
static void
split_rule(struct nft_ctx *c, const struct split_rule *r, int family)
{
	enum nft_set_idx remote = family == AF_INET ? NFT_REMOTE4 : NFT_REMOTE6;
	struct rb rb;

	if (r->action == SPLIT_DIRECT && c->p->node.mode != MODE_SMALL)
		return; /* a large node has no direct path: unmarked, it is unreachable */
	rule_begin(c, &rb, NFT_CHAIN_LAN);
	m_nfproto(&rb, family);
	if (r->has_dst)
		m_prefix(&rb, true, &r->dst);
	if (r->has_src)
		m_prefix(&rb, false, &r->src);
	m_service(&rb, family, r->proto, r->port);
	if (r->action == SPLIT_DROP) {
		ex_counter(&rb);
		ex_verdict(&rb, NF_DROP);
	} else {
		/* A secure destination never goes direct: the rule is skipped for it. */
		if (r->action == SPLIT_DIRECT)
			m_addr_in(&rb, true, remote, true);
		ex_goto(&rb, r->action == SPLIT_TUNNEL ? NFT_CHAIN_SECURE : NFT_CHAIN_DIRECT);
	}
	rule_end(c, &rb);
}

/* A rule pinned by a prefix is of that prefix's family; otherwise it applies to both. */
static bool
split_applies(const struct split_rule *r, int family)
{
	if (r->has_dst)
		return r->dst.family == family;
	if (r->has_src)
		return r->src.family == family;
	return true;
}

/*
 * Large node: what the LAN sends to a destination that is neither this
 * site's nor another site's is answered with ICMP administratively
 * prohibited, so hosts behind the site's router fail fast. Link-local and
 * broadcast or multicast traffic (neighbour discovery) is left alone.
 */
static void
red_large_reject(struct nft_ctx *c)
{
	static const struct prefix ll = {.family = AF_INET6, .len = 10, .addr = {0xfe, 0x80}};
	uint8_t host = PACKET_HOST;
	struct rb rb;

	rule_begin(c, &rb, NFT_CHAIN_LAN);
	m_nfproto(&rb, AF_INET6);
	m_prefix(&rb, true, &ll);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	rule_begin(c, &rb, NFT_CHAIN_LAN);
	ex_meta(&rb, NFT_META_PKTTYPE, false);
	ex_cmp(&rb, NFT_CMP_EQ, &host, sizeof(host));
	ex_counter(&rb);
	a_reject_admin(&rb);
	rule_end(c, &rb);
}

/* A regular chain that gives the packet a mark and accepts it: where a classification ends. */
static void
mark_chain(struct nft_ctx *c, const char *chain, uint32_t mark)
{
	struct rb rb;

	rule_begin(c, &rb, chain);
	a_mark(&rb, mark);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
}

/*
 * Classifies traffic from the LAN into a mark that picks the routing table:
 * own prefixes stay (no mark), then the split rules by priority, then other
 * sites' prefixes go to crypto, then the node's default. The first match
 * ends the chain, so what explain computes is what the kernel does.
 * Prerouting sends the LAN's packets to chain lan once, and a match marks
 * by going to chain secure or direct: each of a thousand rules then holds
 * only its own matches (a third fewer expressions to load and to run).
 */
static void
red_prerouting(struct nft_ctx *c)
{
	static const enum nft_set_idx local[] = {NFT_LOCAL4, NFT_LOCAL6};
	static const enum nft_set_idx remote[] = {NFT_REMOTE4, NFT_REMOTE6};
	static const int fams[] = {AF_INET, AF_INET6};
	bool small = c->p->node.mode == MODE_SMALL;
	struct rb rb;

	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
	ex_goto(&rb, NFT_CHAIN_LAN);
	rule_end(c, &rb);
	mark_chain(c, NFT_CHAIN_SECURE, MARK_SECURE);
	if (small)
		mark_chain(c, NFT_CHAIN_DIRECT, MARK_DIRECT);
	for (int f = 0; f < 2; f++) {
		rule_begin(c, &rb, NFT_CHAIN_LAN);
		m_nfproto(&rb, fams[f]);
		m_addr_in(&rb, true, local[f], false);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	for (size_t i = 0; i < c->p->nrules; i++)
		for (int f = 0; f < 2; f++)
			if (split_applies(&c->p->rules[i], fams[f]))
				split_rule(c, &c->p->rules[i], fams[f]);
	for (int f = 0; f < 2; f++) {
		rule_begin(c, &rb, NFT_CHAIN_LAN);
		m_nfproto(&rb, fams[f]);
		m_addr_in(&rb, true, remote[f], false);
		ex_goto(&rb, NFT_CHAIN_SECURE);
		rule_end(c, &rb);
	}
	if (!small) {
		red_large_reject(c);
		return;
	}
	if (c->p->node.default_action != SPLIT_DIRECT)
		return;
	rule_begin(c, &rb, NFT_CHAIN_LAN);
	ex_goto(&rb, NFT_CHAIN_DIRECT);
	rule_end(c, &rb);
}

static void
red_forward(struct nft_ctx *c)
{
	struct rb rb;

	/* Kill switch backstop: a secure destination never goes to black. */
	never_daddr(c, "forward", NFT_META_OIFNAME, IF_TO_BLACK);
	rule_begin(c, &rb, "forward");
	m_ct_established(&rb);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	accept_between(c, "forward", IF_LAN, IF_TO_CRYPTO);
	accept_between(c, "forward", IF_TO_CRYPTO, IF_LAN);
	if (c->p->node.mode == MODE_SMALL) {
		/* Only what the policy marked direct may leave towards black. */
		rule_begin(c, &rb, "forward");
		m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
		m_ifname(&rb, NFT_META_OIFNAME, IF_TO_BLACK);
		m_mark(&rb, MARK_DIRECT);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	final_counter(c, "forward");
}

static void
crypto_forward(struct nft_ctx *c)
{
	static const uint32_t keys[] = {NFT_META_OIFNAME, NFT_META_IIFNAME};
	struct rb rb;

	/* Before the accepts, which end evaluation. */
	for (int i = 0; i < 2; i++) {
		rule_begin(c, &rb, "forward");
		m_ifname(&rb, keys[i], IF_WG);
		a_mss_clamp(&rb);
		rule_end(c, &rb);
	}
	accept_between(c, "forward", IF_TO_RED, IF_WG);
	accept_between(c, "forward", IF_WG, IF_TO_RED);
	final_counter(c, "forward");
}

static void
black_nat(struct nft_ctx *c)
{
	uint16_t port = c->p->node.listen_port;
	struct rb rb;

	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_WAN);
	m_udp_port(&rb, 2, port);
	a_dnat4(&rb, TOPO_CRYPTO_TO_BLACK, port);
	rule_end(c, &rb);

	rule_begin(c, &rb, "postrouting");
	m_ifname(&rb, NFT_META_OIFNAME, IF_WAN);
	ex_new(&rb, "masq");
	rule_end(c, &rb);
}

static void
black_forward(struct nft_ctx *c)
{
	uint16_t port = c->p->node.listen_port;
	struct rb rb;

	/* Plaintext of secure traffic never leaves. */
	never_daddr(c, "forward", NFT_META_IIFNAME, IF_TO_RED);
	/* After DNAT the destination port is crypto's. */
	rule_begin(c, &rb, "forward");
	m_ifname(&rb, NFT_META_IIFNAME, IF_WAN);
	m_ifname(&rb, NFT_META_OIFNAME, IF_TO_CRYPTO);
	m_udp_port(&rb, 2, port);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	rule_begin(c, &rb, "forward");
	m_ifname(&rb, NFT_META_IIFNAME, IF_TO_CRYPTO);
	m_ifname(&rb, NFT_META_OIFNAME, IF_WAN);
	m_udp_port(&rb, 0, port);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	if (c->p->node.mode == MODE_SMALL) {
		accept_between(c, "forward", IF_TO_RED, IF_WAN);
		/* Only replies come back to red's direct traffic. */
		rule_begin(c, &rb, "forward");
		m_ct_established(&rb);
		m_ifname(&rb, NFT_META_IIFNAME, IF_WAN);
		m_ifname(&rb, NFT_META_OIFNAME, IF_TO_RED);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	final_counter(c, "forward");
}

void
nft_rules_build(struct nft_ctx *c)
{
	switch (c->d) {
	case DOMAIN_RED:
		red_prerouting(c);
		red_forward(c);
		break;
	case DOMAIN_CRYPTO:
		crypto_forward(c);
		break;
	case DOMAIN_BLACK:
		black_nat(c);
		black_forward(c);
		break;
	default:
		c->err = -EINVAL;
	}
}
