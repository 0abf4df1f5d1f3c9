// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_rules.c — the rules of each domain's chains, as the expression
 * sequences nft itself emits for the same rule text (so `nft list` prints
 * them back as that text). Every match and action is one small helper.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <string.h>

#include "policy/nft_int.h"

/* One rule under construction; the rule owns its expressions. */
struct rb {
	struct nftnl_rule *r;
	int err;
};

/* Allocates an expression already handed to the rule, or NULL (err set). */
static struct nftnl_expr *
ex_new(struct rb *rb, const char *name)
{
	struct nftnl_expr *e;

	if (rb->err)
		return NULL;
	e = nftnl_expr_alloc(name);
	if (!e) {
		rb->err = -ENOMEM;
		return NULL;
	}
	nftnl_rule_add_expr(rb->r, e);
	return e;
}

static void
ex_meta(struct rb *rb, uint32_t key, bool set)
{
	struct nftnl_expr *e = ex_new(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG, NFT_REG_1);
}

static void
ex_cmp(struct rb *rb, uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex_new(rb, "cmp");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
	if (nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len) < 0)
		rb->err = -ENOMEM;
}

static void
ex_payload(struct rb *rb, uint32_t base, uint32_t offset, uint32_t len)
{
	struct nftnl_expr *e = ex_new(rb, "payload");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
}

/* reg1 = (reg1 & mask) ^ xor over len bytes. */
static void
ex_bitwise(struct rb *rb, const void *mask, const void * xor, uint32_t len)
{
	struct nftnl_expr *e = ex_new(rb, "bitwise");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
	if (nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len) < 0 ||
	    nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, xor, len) < 0)
		rb->err = -ENOMEM;
}

static void
ex_counter(struct rb *rb)
{
	ex_new(rb, "counter");
}

static void
ex_verdict(struct rb *rb, int verdict)
{
	struct nftnl_expr *e = ex_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

static void
ex_immediate(struct rb *rb, uint32_t reg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = ex_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
	if (nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len) < 0)
		rb->err = -ENOMEM;
}

/* iifname/oifname "name": an exact match compares all IFNAMSIZ bytes, as nft does. */
static void
m_ifname(struct rb *rb, uint32_t key, const char *name)
{
	char buf[IFNAMSIZ] = {0};

	strncpy(buf, name, sizeof(buf) - 1);
	ex_meta(rb, key, false);
	ex_cmp(rb, NFT_CMP_EQ, buf, sizeof(buf));
}

/* In an inet table an ip/ip6 header match first pins the packet's family. */
static void
m_nfproto(struct rb *rb, int family)
{
	uint8_t proto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	ex_meta(rb, NFT_META_NFPROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* ip daddr [!=] @set, or ip6 daddr; m_nfproto() must come first. */
static void
m_daddr(struct rb *rb, enum nft_set_idx set, bool negate)
{
	bool v4 = nft_set_family(set) == AF_INET;
	struct nftnl_expr *e;

	ex_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, v4 ? 16 : 24, v4 ? 4 : 16);
	e = ex_new(rb, "lookup");
	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nft_set_name(set)) < 0)
		rb->err = -ENOMEM;
	/* The set is new in this same batch: the id finds it before commit. */
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set + 1);
	if (negate)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

/* udp sport/dport port (offset 0 or 2 in the transport header). */
static void
m_udp_port(struct rb *rb, uint32_t offset, uint16_t port)
{
	uint8_t proto = IPPROTO_UDP;
	uint16_t be = htons(port);

	ex_meta(rb, NFT_META_L4PROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
	ex_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, offset, sizeof(be));
	ex_cmp(rb, NFT_CMP_EQ, &be, sizeof(be));
}

static void
m_ct_established(struct rb *rb)
{
	uint32_t mask = NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED);
	uint32_t zero = 0;
	struct nftnl_expr *e = ex_new(rb, "ct");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	ex_bitwise(rb, &mask, &zero, sizeof(mask));
	ex_cmp(rb, NFT_CMP_NEQ, &zero, sizeof(zero));
}

/* meta mark set (meta mark & ~MARK_MASK) | value: other tools' bits survive. */
static void
a_mark(struct rb *rb, uint32_t value)
{
	uint32_t mask = ~MARK_MASK;

	ex_meta(rb, NFT_META_MARK, false);
	ex_bitwise(rb, &mask, &value, sizeof(mask));
	ex_meta(rb, NFT_META_MARK, true);
}

/* tcp flags & (syn|rst) == syn tcp option maxseg size set rt mtu */
static void
a_mss_clamp(struct rb *rb)
{
	uint8_t tcp = IPPROTO_TCP, mask = TH_SYN | TH_RST, zero = 0, syn = TH_SYN;
	struct nftnl_expr *e;

	ex_meta(rb, NFT_META_L4PROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &tcp, sizeof(tcp));
	ex_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
	ex_bitwise(rb, &mask, &zero, 1);
	ex_cmp(rb, NFT_CMP_EQ, &syn, 1);
	if ((e = ex_new(rb, "rt"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_RT_KEY, NFT_RT_TCPMSS);
		nftnl_expr_set_u32(e, NFTNL_EXPR_RT_DREG, NFT_REG_1);
	}
	if ((e = ex_new(rb, "byteorder"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	}
	if ((e = ex_new(rb, "exthdr"))) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_SREG, NFT_REG_1);
		nftnl_expr_set_u8(e, NFTNL_EXPR_EXTHDR_TYPE, TCPOPT_MAXSEG);
		nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OFFSET, 2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_LEN, 2);
		nftnl_expr_set_u32(e, NFTNL_EXPR_EXTHDR_OP, NFT_EXTHDR_OP_TCPOPT);
	}
}

/* dnat ip to addr:port */
static void
a_dnat4(struct rb *rb, const char *addr, uint16_t port)
{
	struct in_addr a;
	uint16_t be = htons(port);
	struct nftnl_expr *e;

	if (inet_pton(AF_INET, addr, &a) != 1) {
		rb->err = -EINVAL;
		return;
	}
	ex_immediate(rb, NFT_REG_1, &a, sizeof(a));
	ex_immediate(rb, NFT_REG_2, &be, sizeof(be));
	if (!(e = ex_new(rb, "nat")))
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
	nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS, NF_NAT_RANGE_PROTO_SPECIFIED);
}

static void
rule_begin(struct nft_ctx *c, struct rb *rb, const char *chain)
{
	rb->err = c->err;
	rb->r = NULL;
	if (rb->err)
		return;
	rb->r = nftnl_rule_alloc();
	if (!rb->r) {
		rb->err = -ENOMEM;
		return;
	}
	nftnl_rule_set_u32(rb->r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if (nftnl_rule_set_str(rb->r, NFTNL_RULE_TABLE, NFT_TABLE) < 0 ||
	    nftnl_rule_set_str(rb->r, NFTNL_RULE_CHAIN, chain) < 0)
		rb->err = -ENOMEM;
}

/* Writes the rule into the batch (appended to its chain) and frees it. */
static void
rule_end(struct nft_ctx *c, struct rb *rb)
{
	struct nlmsghdr *nlh;

	if (rb->err && !c->err)
		c->err = rb->err;
	nlh = nft_msg_begin(c, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND);
	if (nlh) {
		nftnl_rule_nlmsg_build_payload(nlh, rb->r);
		nft_msg_end(c);
	}
	if (rb->r)
		nftnl_rule_free(rb->r);
	rb->r = NULL;
}

/* A "never" rule: counted, so it can be read and alerted on, then dropped. */
static void
never_daddr(struct nft_ctx *c, const char *chain, uint32_t ifkey, const char *ifname)
{
	struct rb rb;

	for (int s = 0; s < NFT_NSETS; s++) {
		rule_begin(c, &rb, chain);
		m_ifname(&rb, ifkey, ifname);
		m_nfproto(&rb, nft_set_family(s));
		m_daddr(&rb, s, false);
		ex_counter(&rb);
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

/* The forward chain's last rule: counts what its drop policy drops. */
static void
final_counter(struct nft_ctx *c, const char *chain)
{
	struct rb rb;

	rule_begin(c, &rb, chain);
	ex_counter(&rb);
	rule_end(c, &rb);
}

/* ip/ip6 saddr or daddr within p; m_nfproto() must come first. */
static void
m_prefix(struct rb *rb, bool dst, const struct prefix *p)
{
	bool v4 = p->family == AF_INET;
	uint32_t len = v4 ? 4 : 16, off = v4 ? (dst ? 16 : 12) : (dst ? 24 : 8);
	uint8_t mask[16] = {0}, zero[16] = {0};

	if (p->len == 0)
		return;
	ex_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, off, len);
	if (p->len < len * 8) {
		for (int i = 0; i < p->len; i++)
			mask[i / 8] |= (uint8_t)(0x80 >> (i % 8));
		ex_bitwise(rb, mask, zero, len);
	}
	ex_cmp(rb, NFT_CMP_EQ, p->addr, len);
}

/* meta l4proto and, for tcp/udp, th dport: ICMP means ICMPv6 in an IPv6 rule. */
static void
m_service(struct rb *rb, int family, uint8_t proto, uint16_t port)
{
	uint8_t l4 = proto == IPPROTO_ICMP && family == AF_INET6 ? IPPROTO_ICMPV6 : proto;
	uint16_t be = htons(port);

	if (!proto)
		return;
	ex_meta(rb, NFT_META_L4PROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &l4, sizeof(l4));
	if (!port)
		return;
	ex_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, 2, sizeof(be));
	ex_cmp(rb, NFT_CMP_EQ, &be, sizeof(be));
}

/* meta mark & MARK_MASK == value */
static void
m_mark(struct rb *rb, uint32_t value)
{
	uint32_t mask = MARK_MASK, zero = 0;

	ex_meta(rb, NFT_META_MARK, false);
	ex_bitwise(rb, &mask, &zero, sizeof(mask));
	ex_cmp(rb, NFT_CMP_EQ, &value, sizeof(value));
}

/* One split rule for one family: match, then mark (and stop) or drop. */
static void
split_rule(struct nft_ctx *c, const struct split_rule *r, int family)
{
	enum nft_set_idx remote = family == AF_INET ? NFT_REMOTE4 : NFT_REMOTE6;
	struct rb rb;

	if (r->action == SPLIT_DIRECT && c->p->node.mode != MODE_SMALL)
		return; /* a large node has no direct path: unmarked, it is unreachable */
	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
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
			m_daddr(&rb, remote, true);
		a_mark(&rb, r->action == SPLIT_TUNNEL ? MARK_SECURE : MARK_DIRECT);
		ex_verdict(&rb, NF_ACCEPT);
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

/* reject with icmpx admin-prohibited: "communication administratively prohibited" */
static void
a_reject_admin(struct rb *rb)
{
	struct nftnl_expr *e = ex_new(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
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

	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
	m_nfproto(&rb, AF_INET6);
	m_prefix(&rb, true, &ll);
	ex_verdict(&rb, NF_ACCEPT);
	rule_end(c, &rb);
	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
	ex_meta(&rb, NFT_META_PKTTYPE, false);
	ex_cmp(&rb, NFT_CMP_EQ, &host, sizeof(host));
	ex_counter(&rb);
	a_reject_admin(&rb);
	rule_end(c, &rb);
}

/*
 * Classifies traffic from the LAN into a mark that picks the routing table:
 * own prefixes stay (no mark), then the split rules by priority, then other
 * sites' prefixes go to crypto, then the node's default. The first match
 * ends the chain, so what explain computes is what the kernel does.
 */
static void
red_prerouting(struct nft_ctx *c)
{
	static const enum nft_set_idx local[] = {NFT_LOCAL4, NFT_LOCAL6};
	static const enum nft_set_idx remote[] = {NFT_REMOTE4, NFT_REMOTE6};
	static const int fams[] = {AF_INET, AF_INET6};
	struct rb rb;

	for (int f = 0; f < 2; f++) {
		rule_begin(c, &rb, "prerouting");
		m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
		m_nfproto(&rb, fams[f]);
		m_daddr(&rb, local[f], false);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	for (size_t i = 0; i < c->p->nrules; i++)
		for (int f = 0; f < 2; f++)
			if (split_applies(&c->p->rules[i], fams[f]))
				split_rule(c, &c->p->rules[i], fams[f]);
	for (int f = 0; f < 2; f++) {
		rule_begin(c, &rb, "prerouting");
		m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
		m_nfproto(&rb, fams[f]);
		m_daddr(&rb, remote[f], false);
		a_mark(&rb, MARK_SECURE);
		ex_verdict(&rb, NF_ACCEPT);
		rule_end(c, &rb);
	}
	if (c->p->node.mode != MODE_SMALL) {
		red_large_reject(c);
		return;
	}
	if (c->p->node.default_action != SPLIT_DIRECT)
		return;
	rule_begin(c, &rb, "prerouting");
	m_ifname(&rb, NFT_META_IIFNAME, IF_LAN);
	a_mark(&rb, MARK_DIRECT);
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
