// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_expr.c — the building blocks of a rule: one helper per match
 * (m_*), action (a_*) or raw expression (ex_*), each the expression sequence
 * nft itself emits for that piece of rule text, so `nft list` prints our
 * rules back as text. nft_rules.c (the policy's rules) and nft_guard.c (the
 * host's own protection) compose them.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <arpa/inet.h>
#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <string.h>

#include "policy/nft_expr.h"

/* Allocates an expression already handed to the rule, or NULL (err set). */
struct nftnl_expr *
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

void
ex_meta(struct rb *rb, uint32_t key, bool set)
{
	struct nftnl_expr *e = ex_new(rb, "meta");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, set ? NFTNL_EXPR_META_SREG : NFTNL_EXPR_META_DREG, NFT_REG_1);
}

void
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

void
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
void
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

void
ex_counter(struct rb *rb)
{
	ex_new(rb, "counter");
}

void
ex_verdict(struct rb *rb, int verdict)
{
	struct nftnl_expr *e = ex_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
}

void
ex_goto(struct rb *rb, const char *chain)
{
	struct nftnl_expr *e = ex_new(rb, "immediate");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)NFT_GOTO);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain) < 0)
		rb->err = -ENOMEM;
}

void
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
void
m_ifname(struct rb *rb, uint32_t key, const char *name)
{
	char buf[IFNAMSIZ] = {0};

	strncpy(buf, name, sizeof(buf) - 1);
	ex_meta(rb, key, false);
	ex_cmp(rb, NFT_CMP_EQ, buf, sizeof(buf));
}

/* In an inet table an ip/ip6 header match first pins the packet's family. */
void
m_nfproto(struct rb *rb, int family)
{
	uint8_t proto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;

	ex_meta(rb, NFT_META_NFPROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
}

/* reg1 [not] in @set: the set is new in this same batch, its id finds it before commit. */
void
m_lookup(struct rb *rb, enum nft_set_idx set, bool negate)
{
	struct nftnl_expr *e = ex_new(rb, "lookup");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	if (nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, nft_set_name(set)) < 0)
		rb->err = -ENOMEM;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, (uint32_t)set + 1);
	if (negate)
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
}

void
ex_addr(struct rb *rb, bool dst, int family)
{
	bool v4 = family == AF_INET;

	ex_payload(rb, NFT_PAYLOAD_NETWORK_HEADER, v4 ? (dst ? 16 : 12) : (dst ? 24 : 8),
		   v4 ? 4 : 16);
}

void
m_addr_in(struct rb *rb, bool dst, enum nft_set_idx set, bool negate)
{
	ex_addr(rb, dst, nft_set_family(set));
	m_lookup(rb, set, negate);
}

void
final_counter(struct nft_ctx *c, const char *chain)
{
	struct rb rb;

	rule_begin(c, &rb, chain);
	ex_counter(&rb);
	rule_end(c, &rb);
}

/* udp sport/dport port (offset 0 or 2 in the transport header). */
void
m_udp_port(struct rb *rb, uint32_t offset, uint16_t port)
{
	uint8_t proto = IPPROTO_UDP;
	uint16_t be = htons(port);

	ex_meta(rb, NFT_META_L4PROTO, false);
	ex_cmp(rb, NFT_CMP_EQ, &proto, sizeof(proto));
	ex_payload(rb, NFT_PAYLOAD_TRANSPORT_HEADER, offset, sizeof(be));
	ex_cmp(rb, NFT_CMP_EQ, &be, sizeof(be));
}

void
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
void
a_mark(struct rb *rb, uint32_t value)
{
	uint32_t mask = ~MARK_MASK;

	ex_meta(rb, NFT_META_MARK, false);
	ex_bitwise(rb, &mask, &value, sizeof(mask));
	ex_meta(rb, NFT_META_MARK, true);
}

/* tcp flags & (syn|rst) == syn tcp option maxseg size set rt mtu */
void
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
void
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

void
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
void
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
/* ip/ip6 saddr or daddr within p; m_nfproto() must come first. */
void
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
void
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
void
m_mark(struct rb *rb, uint32_t value)
{
	uint32_t mask = MARK_MASK, zero = 0;

	ex_meta(rb, NFT_META_MARK, false);
	ex_bitwise(rb, &mask, &zero, sizeof(mask));
	ex_cmp(rb, NFT_CMP_EQ, &value, sizeof(value));
}
/* reject with icmpx admin-prohibited: "communication administratively prohibited" */
void
a_reject_admin(struct rb *rb)
{
	struct nftnl_expr *e = ex_new(rb, "reject");

	if (!e)
		return;
	nftnl_expr_set_u32(e, NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH);
	nftnl_expr_set_u8(e, NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_ADMIN_PROHIBITED);
}
