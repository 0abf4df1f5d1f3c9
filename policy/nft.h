/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/nft.h — the policy compiled into each domain's nftables table
 * `inet umbral`, built with libnftnl and sent as one atomic batch.
 *
 * The table carries the digest of its compiled content in its comment
 * (table userdata, "umbral <64 hex digits>"), all of it but the elements of
 * the sets the policy fills (local, remote, peers): those are compared with
 * the kernel's own. An apply whose digest and elements the kernel already
 * holds sends nothing, so a restart leaves handles alone; one that differs
 * only in elements (a site added or removed) sends only them.
 */
#ifndef UMBRAL_NFT_H
#define UMBRAL_NFT_H

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define NFT_TABLE "umbral"
#define NFT_DIGEST_HEX 64 /* BLAKE2b-256, lower-case hex */
#define NFT_COMMENT_PREFIX "umbral "
/* No single message nft_build writes is larger; a batch's limit must be at least this. */
#define NFT_MSG_MAX 32768

/*
 * Builds the complete batch for domain d into b, batch begin and end
 * included, numbering messages from *seq and leaving *seq after the last.
 * Pure: no socket. b must be started with mnl_nlmsg_batch_start() on a
 * buffer twice its limit (libmnl's rule), the limit at least NFT_MSG_MAX;
 * nft_batch_limit() says a limit that fits p. Returns 0, -EMSGSIZE when the
 * batch is full (b then holds a partial batch: discard it), -ENOMEM, or
 * -EINVAL for a domain out of range.
 */
int nft_build(const struct policy *p, enum domain d, struct mnl_nlmsg_batch *b, uint32_t *seq);

/* A batch limit that nft_build(p, ...) fits in, for any domain. */
size_t nft_batch_limit(const struct policy *p);

/*
 * Finds the digest in a batch nft_build() wrote (the comment of its last
 * "add table"), as NUL-terminated hex. Returns 0 or -ENOENT.
 */
int nft_batch_digest(const void *batch, size_t len, char hex[NFT_DIGEST_HEX + 1]);

/* The digest nft_build(p, d, ...) would write. Returns 0 or negative errno. */
int nft_digest(const struct policy *p, enum domain d, char hex[NFT_DIGEST_HEX + 1]);

/*
 * Reads the digest the kernel's `inet umbral` table carries, in the current
 * network namespace. Returns 0, -ENOENT when there is no such table or it
 * carries no digest of ours, or the kernel's negative errno.
 */
int nft_kernel_digest(char hex[NFT_DIGEST_HEX + 1]);

/*
 * Applies the table for d. When the kernel's table carries the same digest,
 * sends the set elements that differ, as one batch (none: sends nothing and
 * sets *changed = false); if that batch fails, or the digest differs, sends
 * the whole table as one batch. Every ack is read; on an error nothing
 * changed (each batch is atomic) and the kernel's negative errno is
 * returned. *changed is written only on success.
 */
int nft_apply(const struct policy *p, enum domain d, bool *changed);

/*
 * Whether the kernel's table is still what nft_apply() last made it (its
 * digest and its static set elements). *drifted: someone changed it; the
 * next nft_apply() then takes the long way. 0 or a negative errno.
 */
int nft_check(enum domain d, bool *drifted);
/* Forgets what nft_apply() last made: its next apply reads the kernel's table back. */
void nft_forget(void);

#endif
