/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/roster.h — the signed roster: the secure network's membership
 * (every node's name, WireGuard public key, endpoint, keepalive, prefixes),
 * signed offline with the network authority's Ed25519 key. docs/roster.md
 * describes the file format.
 *
 * A struct roster owns its nodes and their prefixes; roster_free() releases
 * them. Every function writes its out-parameters only on success and puts
 * every problem it found into the errbuf, each with its line number.
 */
#ifndef UMBRAL_POLICY_ROSTER_H
#define UMBRAL_POLICY_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "policy/policy.h"

#define ROSTER_MAGIC "umbral-roster 1"
#define ROSTER_NODE_MAX POLICY_SITE_MAX	    /* 1024 */
#define ROSTER_PREFIX_MAX POLICY_PREFIX_MAX /* 256 per node */
#define ROSTER_LINE_MAX 16384		    /* bytes, newline excluded: 256 IPv6 prefixes fit */
#define ROSTER_TEXT_MAX (16u << 20)	    /* bytes: the largest roster accepted */
#define ROSTER_PK_LEN 32		    /* crypto_sign_PUBLICKEYBYTES */
#define ROSTER_SK_LEN 64		    /* crypto_sign_SECRETKEYBYTES */
#define ROSTER_SIG_LEN 64		    /* crypto_sign_BYTES */

struct roster {
	char network[POLICY_NAME_MAX + 1];
	uint64_t serial;    /* >= 1 */
	struct site *nodes; /* in file order; each has at least one prefix */
	size_t nnodes;
	bool has_signature; /* a well-formed signature line ends the text (not verified) */
};

/* What a node keeps of the last roster it accepted; zeroed before the first. */
struct roster_state {
	char network[POLICY_NAME_MAX + 1]; /* "" before the first import */
	uint64_t serial;		   /* 0 before the first import */
};

/*
 * Parses text (len bytes, need not be NUL-terminated) checking syntax only:
 * keywords, values, limits, duplicate node names and keys. The signature
 * line is optional here and is not verified. Returns 0, -EINVAL (every
 * problem in eb, "line N: ..."), or -ENOMEM. out is written only on success
 * and must then be released with roster_free().
 */
int roster_parse(const char *text, size_t len, struct roster *out, struct errbuf *eb);

/* Releases what r owns; r may be NULL or already freed. */
void roster_free(struct roster *r);

/*
 * Checks that text ends with a signature line and that the signature is the
 * authority's over every byte before that line. Returns 0, or -EBADMSG
 * (missing, malformed, wrong key or tampered text; the reason in eb).
 */
int roster_verify(const char *text, size_t len, const uint8_t authority_pub[ROSTER_PK_LEN],
		  struct errbuf *eb);

/*
 * Appends to out the unsigned text (a newline added when it lacks one) and
 * its signature line. Refuses text that already has a signature line
 * (-EEXIST) or does not parse (-EINVAL); a signed roster always parses.
 * Returns 0, -EINVAL, -EEXIST or -ENOMEM; out is unchanged on error.
 */
int roster_sign(const char *unsigned_text, size_t len, const uint8_t authority_sk[ROSTER_SK_LEN],
		struct buf *out, struct errbuf *eb);

/*
 * Makes a new authority key pair. sk must point into sodium_malloc memory
 * (the caller's); it is written only on success. Returns 0 or -EIO.
 */
int roster_keygen(uint8_t pk[ROSTER_PK_LEN], uint8_t sk[ROSTER_SK_LEN]);

/*
 * Builds the next policy: a copy of current (node mode, port, MTU, revision
 * kept) whose node is self_name with self's roster prefixes, and whose sites
 * are every other roster node. The result passes policy_validate(). Returns
 * 0, -EINVAL (self absent, or validation messages in eb) or -ENOMEM; out is
 * written only on success and is then the caller's to policy_free().
 */
int roster_to_policy(const struct roster *r, const char *self_name, const struct policy *current,
		     struct policy *out, struct errbuf *eb);

/*
 * Appends a summary of what going from old to new changes, one line each:
 * "+ node", "- node", "~ node NAME: re-keyed/endpoint/keepalive/prefixes",
 * "~ self: prefixes", and a last line with the counts ("no changes" alone
 * when there are none).
 */
void roster_diff(const struct policy *old, const struct policy *new, struct buf *out);

/*
 * The import rule against rollback: next must be strictly greater than
 * current. Returns 0, or -ESTALE with both serials named in eb.
 */
int roster_check_serial(uint64_t current, uint64_t next, struct errbuf *eb);

/*
 * The whole import, in the order a node must apply its rules: signature
 * first (untrusted bytes reach the parser only once authenticated), then
 * syntax, network name (must equal state's once one was accepted), serial
 * (no rollback), self's key (when self_pub is not NULL it must equal the
 * roster's key for self_name) and finally the policy it yields. On success
 * writes out (the next policy, caller frees) and out_state; on any error
 * nothing is written and every reason is in eb. Returns 0, -EBADMSG,
 * -EINVAL, -ESTALE or -ENOMEM.
 */
int roster_import(const char *text, size_t len, const uint8_t authority_pub[ROSTER_PK_LEN],
		  const char *self_name, const uint8_t *self_pub, const struct roster_state *state,
		  const struct policy *current, struct policy *out, struct roster_state *out_state,
		  struct errbuf *eb);

#endif
