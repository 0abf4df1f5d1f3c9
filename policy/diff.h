/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/diff.h — what differs between two policies, in the administrator's
 * words: the lines of policy_print() that only one side has.
 */
#ifndef UMBRAL_POLICY_DIFF_H
#define UMBRAL_POLICY_DIFF_H

#include "core/buf.h"
#include "policy/policy.h"

/*
 * Appends "- LINE" for every command of a's printout that b's lacks, then
 * "+ LINE" for every command of b's that a's lacks, in printout order.
 * Returns how many lines differ (0: same content), or -ENOMEM.
 */
int policy_diff(const struct policy *a, const struct policy *b, struct buf *out);

/*
 * One line for the audit log: "+N -M: " then the differing lines joined by
 * "; ", cut to fit len (at least 4 bytes) with "...". Returns policy_diff's result.
 */
int policy_diff_summary(const struct policy *a, const struct policy *b, char *buf, size_t len);

#endif
