/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/adm.h — umbral's administration commands that span the node's three
 * domains: the merged audit log and its verification, rollback to an old
 * revision and confirming a confirmed commit. Each returns an exit code.
 */
#ifndef UMBRAL_CLI_ADM_H
#define UMBRAL_CLI_ADM_H

#include <stdint.h>

#include "cli/node.h"

/* log [--since TIME]: the three domains' audit records merged by time. */
int adm_log(struct node_ctx *n, int argc, char **argv);
/* audit verify: every domain's chain; names the first bad record. */
int adm_audit_verify(struct node_ctx *n, int argc, char **argv);
/*
 * audit rotate [--keep N]: each domain (crypto, red, black) moves its live
 * log but the newest N records into an archive file; stops at the first
 * refusal or bad input (nothing moved anywhere).
 */
int adm_audit_rotate(struct node_ctx *n, int argc, char **argv);
/* rollback N: revision N's content as a new revision, in a fail-closed order. */
int adm_rollback(struct node_ctx *n, int argc, char **argv, const char *comment);
/*
 * repair: a domain left behind by a change that stopped half-way (a daemon
 * killed, a domain unreachable) is given the newest domain's policy content
 * as its next revision, so that all three agree again.
 */
int adm_repair(struct node_ctx *n, int argc, char **argv);
/* confirm: keeps the revision a --confirm change made. */
int adm_confirm(struct node_ctx *n, int argc, char **argv);
/*
 * "1700000000" or "@1700000000", "2026-11-23", "2026-11-23 12:00[:00]" (also
 * with T; local time), or an age: "90s", "10m", "2h", "1d". 0 or -1.
 */
int adm_parse_time(const char *s, int64_t *out);

#endif
