/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/roster_cli.h — `umbral roster ...`: the authority's side (keygen, sign:
 * local files, no node) and the node's side (trust, import, status).
 * Each returns an umbral exit code; argv starts at "roster".
 */
#ifndef UMBRAL_CLI_ROSTER_H
#define UMBRAL_CLI_ROSTER_H

#include "cli/node.h"

int roster_cli_keygen(int argc, char **argv);
int roster_cli_sign(int argc, char **argv);
int roster_cli_trust(struct node_ctx *n, int argc, char **argv);
int roster_cli_import(struct node_ctx *n, int argc, char **argv, const char *comment);

#endif
