/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/shell.h — umbral's interactive shell (libedit): line editing, history,
 * tab completion of commands and site names, and a candidate: changes typed
 * here are checked and staged, and `commit` applies them as one revision.
 */
#ifndef UMBRAL_CLI_SHELL_H
#define UMBRAL_CLI_SHELL_H

#include <stddef.h>

#include "cli/node.h"
#include "cli/script.h"

struct shell_cfg {
	const char *const *commands; /* "site add", "status", ... for completion */
	size_t ncommands;
	script_cmd run; /* a command that is not a change: runs at once */
	void (*help)(void);
	void *ctx;
	unsigned idle_s; /* an idle session ends after this long; 0: never */
};

/* Runs the shell on n until exit, quit or end of input. Returns an exit code. */
int shell_run(struct node_ctx *n, const struct shell_cfg *cfg);

#endif
