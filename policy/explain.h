/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/explain.h — which path a packet from the LAN takes under a policy,
 * and which rule decided: the same order red's prerouting chain evaluates
 * (own prefixes, split rules by priority, other sites, the default), and
 * crypto's choice of peer (the most specific allowed-ip).
 */
#ifndef UMBRAL_EXPLAIN_H
#define UMBRAL_EXPLAIN_H

#include "core/buf.h"
#include "policy/policy.h"
#include "policy/ranges.h"

enum path { PATH_LOCAL, PATH_TUNNEL, PATH_DIRECT, PATH_DROP };

struct explain_pkt {
	uint8_t family;
	uint8_t src[16], dst[16];
	uint8_t proto; /* 0 any, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	uint16_t port;
};

struct explanation {
	enum path path;
	char site[POLICY_NAME_MAX + 1]; /* tunnel: the peer that carries it */
	uint16_t rule;			/* the split rule that decided; 0 for none */
	char why[160];
};

/* Parses "SRC DST [tcp|udp|icmp [PORT]]" words. Errors go to eb; -EINVAL. */
int explain_parse(int argc, char **argv, struct explain_pkt *out, struct errbuf *eb);
void policy_explain(const struct policy *p, const struct explain_pkt *pkt, struct explanation *out);
const char *path_name(enum path p);
void explanation_json(const struct explanation *e, struct buf *out);
/*
 * Only the path of policy_explain: no peer is picked (the prune needs no
 * more). secure: p's site prefixes as ranges_build made them, for many
 * packets; NULL: each packet scans them.
 */
enum path explain_path(const struct policy *p, const struct ranges *secure,
		       const struct explain_pkt *pkt);

/*
 * Where two policies can give a packet different paths (policy_explain's
 * .path). all: anywhere. Otherwise only to a prefix of a site added,
 * removed or re-addressed, or where a split rule added, removed or changed
 * matches; elsewhere each packet meets the same rules in the same order and
 * the same secure prefixes.
 */
struct explain_scope {
	bool all;
	struct prefix *prefixes; /* owned */
	size_t nprefixes;
	const struct split_rule **rules; /* owned array; the rules are the policies' */
	size_t nrules;
};

/*
 * The scope of a change from old to new (all when the node's part differs:
 * policy_node_paths_equal). It points into both policies, which must outlive
 * it. 0, or -ENOMEM with *out all (still a right answer, only a wide one).
 */
int explain_scope(const struct policy *old, const struct policy *new, struct explain_scope *out);
bool explain_in_scope(const struct explain_scope *s, const struct explain_pkt *pkt);
void explain_scope_free(struct explain_scope *s);

#endif
