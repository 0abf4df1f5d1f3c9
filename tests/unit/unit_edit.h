/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * tests/unit/unit_edit.h — for the unit tests only: one policy edit written
 * as the administrator types it ("site add s2 --prefix ..."), split into
 * words as the shell and scripts split them (cli/script.c).
 */
#ifndef UMBRAL_UNIT_EDIT_H
#define UMBRAL_UNIT_EDIT_H

#include <stdio.h>

#include "cli/script.h"
#include "policy/edit.h"

static inline int
edit(struct policy *p, struct errbuf *eb, const char *line)
{
	char buf[512], *argv[64];
	const char *why = NULL;
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = script_split(buf, argv, 64, &why);
	return argc < 0 ? -1 : policy_edit(p, argc, argv, eb);
}

#endif
