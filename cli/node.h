/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/node.h — the CLI's view of one node: its three domains' sockets, and
 * the two ways of talking to them (ask one domain; change all three in a
 * fail-closed order as one revision).
 */
#ifndef UMBRAL_CLI_NODE_H
#define UMBRAL_CLI_NODE_H

#include <limits.h>
#include <stdbool.h>

#include "core/buf.h"
#include "policy/policy.h"

/* Exit codes of umbral. */
#define EXIT_OK 0
#define EXIT_FAIL 1 /* could not be done, or a domain is unreachable */
#define EXIT_USAGE 2 /* bad input: nothing changed */
#define EXIT_DENIED 3

struct node_ctx {
	char node[POLICY_NAME_MAX + 1];
	char run_dir[PATH_MAX];
	bool json;
	double confirm_s; /* > 0: changes go back by themselves unless confirmed in time */
};

void node_sock_path(const struct node_ctx *n, enum domain d, char *buf, size_t len);
/* Asks one domain; on success its reply text is in reply. Returns a ctl status or -errno. */
int node_ask(const struct node_ctx *n, enum domain d, int argc, char *const argv[],
	     struct buf *reply);
/* Maps a ctl status or -errno to umbral's exit code, printing the reason if needed. */
int node_exit_code(int status);
/*
 * Applies one policy change to the three domains as one new revision, in the
 * fail-closed order (adding: crypto, red, black; removing: the reverse), after
 * crypto has validated it. Prints what happened. Returns an exit code.
 * With n->confirm_s, each domain goes back by itself after that long unless
 * confirmed, in the reverse order, a second apart.
 */
int node_change(const struct node_ctx *n, int argc, char **argv, bool removal,
		const char *comment);

#endif
