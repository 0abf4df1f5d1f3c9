/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/nft_int.h — what policy/nft*.c share and nothing else includes:
 * the batch being built and the set names rules refer to.
 */
#ifndef UMBRAL_NFT_INT_H
#define UMBRAL_NFT_INT_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/nft.h"

/* Where a static set's element goes instead of a batch (nft_walk_elems()). */
typedef int (*nft_elem_sink)(void *ctx, int set, const uint8_t *key, size_t len, uint32_t flags,
			     bool open);

/* One batch under construction; err is sticky so builders check once. */
struct nft_ctx {
	const struct policy *p;
	enum domain d;
	struct mnl_nlmsg_batch *b;
	uint32_t *seq;
	int err;
	nft_elem_sink sink; /* set: elements go to it, not into b */
	void *sink_ctx;
};

/*
 * The sets, in batch order; a set's id (NFTNL_SET_ID) is its index + 1.
 * First the four prefix sets (NFT_NSETS of them), then the guard's (black
 * and crypto only): configured peers, the per-source meter, the blocked.
 */
/* Red's regular chains: the LAN's classification, and the two marks it gives. */
#define NFT_CHAIN_LAN "lan"
#define NFT_CHAIN_SECURE "secure"
#define NFT_CHAIN_DIRECT "direct"

enum nft_set_idx {
	NFT_LOCAL4,
	NFT_LOCAL6,
	NFT_REMOTE4,
	NFT_REMOTE6,
	NFT_NSETS,
	NFT_PEERS4 = NFT_NSETS,
	NFT_PEERS6,
	NFT_METER4,
	NFT_METER6,
	NFT_BLOCK4,
	NFT_BLOCK6,
};

const char *nft_set_name(enum nft_set_idx i);
/* Whether domain d's table holds the four prefix sets (red and black do). */
bool nft_has_prefix_sets(enum domain d);
int nft_set_family(enum nft_set_idx i);
/* Dumps the elements of set i of our table through cb. Returns nl_talk's result or -ENOMEM. */
int nft_set_dump(struct mnl_socket *nl, enum nft_set_idx i, mnl_cb_t cb, void *data);
/* A set object naming set i of our table, id set: the set itself or a carrier of elements. */
struct nftnl_set *nft_set_new(struct nft_ctx *c, enum nft_set_idx i);

/*
 * Adds set i (an address of its family as key) with these flags; a timeout
 * (ms, 0 none) also bounds its size; elem_expr (may be NULL, handed over)
 * is a stateful expression every element gets, e.g. a counter.
 */
struct nftnl_expr;
void nft_set_msg(struct nft_ctx *c, enum nft_set_idx i, uint32_t flags, uint64_t timeout_ms,
		 struct nftnl_expr *elem_expr);

/* Sets whose elements come from the policy; the others fill at run time. */
#define NFT_STATIC_SETS (NFT_PEERS6 + 1)

/*
 * Elements collected into a carrier set, sent in chunks: add, then flush
 * once. type is NFT_MSG_NEWSETELEM (0 means it too) or NFT_MSG_DELSETELEM.
 */
struct nft_elems {
	struct nft_ctx *c;
	enum nft_set_idx set;
	struct nftnl_set *s;
	int n;
	uint16_t type;
};
/* One element; open marks an interval start without an end, as nft marks it. */
void nft_elems_add(struct nft_elems *e, const uint8_t *key, size_t len, uint32_t flags, bool open);
void nft_elems_flush(struct nft_elems *e);

/*
 * Starts a message of the nf_tables subsystem at the batch's current
 * position, NLM_F_ACK always set so every message is answered. Returns NULL
 * once c->err is set. nft_msg_end() closes it and notes a full batch.
 */
struct nlmsghdr *nft_msg_begin(struct nft_ctx *c, uint16_t type, uint16_t flags);
void nft_msg_end(struct nft_ctx *c);

/* Appends every rule of c->d's chains (chains already in the batch). */
void nft_rules_build(struct nft_ctx *c);
/* The host protection (nft_guard.c): its counters and sets, then its rules. */
void nft_guard_sets(struct nft_ctx *c);
/* Only the elements nft_guard_sets() gives its static sets (the peers' addresses). */
void nft_guard_peer_elems(struct nft_ctx *c);
/* Whether d's table has the guard's sets (black and crypto). */
bool nft_guarded(enum domain d);
/*
 * Every element nft_build() gives the static sets, in the same order, to
 * sink instead of a batch: what an apply of sites only compares. Returns 0,
 * or the first error (the sink's, or -ENOMEM).
 */
int nft_walk_elems(const struct policy *p, enum domain d, nft_elem_sink sink, void *ctx);
void nft_guard_rules(struct nft_ctx *c);

/*
 * The change that brings the kernel's static sets (local, remote, peers:
 * the elements a site change touches) to those of batch, a complete
 * nft_build() batch whose table the kernel holds already (same digest, which
 * leaves those elements out). Reads each set's elements from the kernel on
 * nl; *out gets a batch (malloc'd, caller frees; messages numbered from
 * *seq) that deletes the kernel's extra elements and adds the missing ones,
 * or NULL when they are equal. Returns 0, -ENOMEM or the kernel's error.
 */
int nft_delta(struct mnl_socket *nl, const void *batch, size_t len, uint32_t *seq, void **out,
	      size_t *outlen);

/*
 * The static sets of a batch, or of domain d's table for a policy, and
 * their elements, sorted once, so that the apply after can diff against
 * them without parsing or building again.
 */
struct nft_elemsets;
int nft_elemsets_from_batch(const void *batch, size_t len, struct nft_elemsets **out);
int nft_elemsets_from_policy(const struct policy *p, enum domain d, struct nft_elemsets **out);
void nft_elemsets_free(struct nft_elemsets *s);
/*
 * What turns have's elements into want's, and the kernel's (read on nl) into
 * want's, as nft_delta() writes it.
 */
int nft_delta_sets(struct nft_elemsets *want, struct nft_elemsets *have, uint32_t *seq, void **out,
		   size_t *outlen);
int nft_delta_kernel(struct mnl_socket *nl, struct nft_elemsets *want, uint32_t *seq, void **out,
		     size_t *outlen);

/* Parses table userdata; 0 and hex when its comment is one of ours, else -ENOENT. */
int nft_comment_digest(const void *udata, uint32_t len, char hex[NFT_DIGEST_HEX + 1]);

#endif
