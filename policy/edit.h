/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/edit.h — changes to a policy, in the words an administrator types
 * ("site add paris --key K --prefix 10.2.0.0/16"), and the policy printed
 * back as those words.
 *
 * The same words travel over the control socket, so the daemon and the CLI
 * share one parser and one set of error messages.
 */
#ifndef UMBRAL_POLICY_EDIT_H
#define UMBRAL_POLICY_EDIT_H

#include "core/buf.h"
#include "policy/policy.h"

/*
 * Applies one change (argv without the program name, e.g. {"site","del","x"})
 * to p. On any error p is unchanged, every problem is in eb, and -EINVAL is
 * returned. The result is validated as a whole (names, keys, overlaps).
 */
int policy_edit(struct policy *p, int argc, char **argv, struct errbuf *eb);
/* True when argv names a change policy_edit() understands. */
bool policy_edit_known(int argc, char **argv);
/* Appends the policy as the commands that re-create it, one per line. */
void policy_print(const struct policy *p, struct buf *out);
/* Its lines for the node, and for one site, without the newline. */
void policy_node_print(const struct policy *p, struct buf *out);
void policy_site_print(const struct site *s, struct buf *out);
/* Appends one site as a JSON object. */
void policy_site_json(const struct site *s, struct buf *out);
/* Appends a rule as the words after "split add", or as a JSON object. */
void policy_rule_print(const struct split_rule *r, struct buf *out);
void policy_rule_json(const struct split_rule *r, struct buf *out);

#endif
