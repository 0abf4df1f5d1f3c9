/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/nft_expr.h — building one rule of our table (policy/nft_expr.c):
 * rule_begin(), matches m_*, actions a_*, raw expressions ex_*, then
 * rule_end() puts it in the batch. Only policy/nft*.c include this.
 */
#ifndef UMBRAL_NFT_EXPR_H
#define UMBRAL_NFT_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/nft_int.h"

struct nftnl_expr;

/* One rule under construction; the rule owns its expressions, err is sticky. */
struct rb {
	struct nftnl_rule *r;
	int err;
};

void rule_begin(struct nft_ctx *c, struct rb *rb, const char *chain);
/* Writes the rule into the batch (appended to its chain) and frees it. */
void rule_end(struct nft_ctx *c, struct rb *rb);

/* Raw expressions; results go to register 1. ex_new: NULL once err is set. */
struct nftnl_expr *ex_new(struct rb *rb, const char *name);
void ex_meta(struct rb *rb, uint32_t key, bool set);
void ex_cmp(struct rb *rb, uint32_t op, const void *data, uint32_t len);
void ex_payload(struct rb *rb, uint32_t base, uint32_t offset, uint32_t len);
void ex_bitwise(struct rb *rb, const void *mask, const void * xor, uint32_t len);
void ex_counter(struct rb *rb);
void ex_verdict(struct rb *rb, int verdict);
/* goto chain: its verdict is the packet's; at its end, the base chain's policy. */
void ex_goto(struct rb *rb, const char *chain);
void ex_immediate(struct rb *rb, uint32_t reg, const void *data, uint32_t len);

/* Matches. */
void m_ifname(struct rb *rb, uint32_t key, const char *name);
void m_nfproto(struct rb *rb, int family);
void m_lookup(struct rb *rb, enum nft_set_idx set, bool negate);
/* ip/ip6 saddr or daddr into register 1 (the family pinned first: m_nfproto). */
void ex_addr(struct rb *rb, bool dst, int family);
/* ip/ip6 saddr or daddr [not] in @set; m_nfproto() must come first. */
void m_addr_in(struct rb *rb, bool dst, enum nft_set_idx set, bool negate);
void m_udp_port(struct rb *rb, uint32_t offset, uint16_t port);
void m_ct_established(struct rb *rb);
void m_prefix(struct rb *rb, bool dst, const struct prefix *p);
void m_service(struct rb *rb, int family, uint8_t proto, uint16_t port);
void m_mark(struct rb *rb, uint32_t value);

/* A chain's last rule: counts what its policy drops. */
void final_counter(struct nft_ctx *c, const char *chain);

/* Actions. */
void a_mark(struct rb *rb, uint32_t value);
void a_mss_clamp(struct rb *rb);
void a_reject_admin(struct rb *rb);
/* counter name "never" (nft_guard.c owns the name): a rule that must never match */
void a_never(struct rb *rb);
/* dnat ip to addr:port */
void a_dnat4(struct rb *rb, const char *addr, uint16_t port);

#endif
