/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/nft.h — the policy compiled into each domain's nftables table
 * `inet umbral`, built with libnftnl and sent as one atomic batch.
 *
 * The table carries the digest of its compiled content in its comment
 * (table userdata, "umbral <64 hex digits>"): an apply whose digest the
 * kernel already holds sends nothing, so a restart leaves handles alone.
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
 * Applies the table for d unless the kernel's table already carries the
 * same digest: then sends nothing and sets *changed = false. Otherwise
 * sends the one batch and reads every ack; on any error nothing changed
 * (the batch is atomic) and the kernel's negative errno is returned.
 * *changed is written only on success.
 */
int nft_apply(const struct policy *p, enum domain d, bool *changed);

#endif
