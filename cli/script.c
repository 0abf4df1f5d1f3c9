// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/script.c — runs a file of umbral commands, one a line, stopping at the
 * first failure: a script is all the administrator meant or nothing more.
 */
#include "cli/script.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_WORDS_MAX 512

/* Copies one word starting at *src into *dst; returns -1 on an open quote. */
static int
one_word(char **src, char **dst)
{
	char *s = *src, *d = *dst, quote = 0;

	for (; *s; s++) {
		if (quote) {
			if (*s == quote)
				quote = 0;
			else if (*s == '\\' && quote == '"' && s[1])
				*d++ = *++s;
			else
				*d++ = *s;
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
		} else if (*s == '\\' && s[1]) {
			*d++ = *++s;
		} else if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			break;
		} else {
			*d++ = *s;
		}
	}
	if (quote)
		return -1;
	*src = s;
	*dst = d;
	return 0;
}

int
script_split(char *line, char **argv, int max, const char **why)
{
	char *s = line, *d = line;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			return n;
		if (n == max) {
			*why = "too many words";
			return -1;
		}
		argv[n++] = d;
		if (one_word(&s, &d) < 0) {
			*why = "unterminated quote";
			return -1;
		}
		/* s is at a blank or the end; the word's end may overwrite it. */
		if (*s)
			s++;
		*d++ = '\0';
	}
}

int
script_run(const char *path, script_cmd run, void *ctx)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL, *argv[SCRIPT_WORDS_MAX];
	size_t cap = 0;
	int lineno = 0, rc = 0;

	if (!f) {
		fprintf(stderr, "umbral: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		const char *why = NULL;
		int argc = script_split(line, argv, SCRIPT_WORDS_MAX, &why);
		lineno++;
		if (argc < 0) {
			fprintf(stderr, "umbral: %s:%d: %s\n", path, lineno, why);
			rc = 2;
		} else if (argc > 0 && (rc = run(ctx, argc, argv)) != 0) {
			fprintf(stderr,
				"umbral: %s:%d: '%s%s%s' failed (exit %d); the lines after it "
				"were not run\n",
				path, lineno, argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "",
				rc);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}
