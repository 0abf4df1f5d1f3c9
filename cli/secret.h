/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/secret.h — how umbral hands crypto the unlock secret: the bytes of a
 * key file (read here, sent hex-encoded), or a passphrase read from the
 * terminal without echo; both in sodium memory.
 */
#ifndef UMBRAL_CLI_SECRET_H
#define UMBRAL_CLI_SECRET_H

#include <stdbool.h>

struct secret_arg {
	char *words[2]; /* {"--secret-hex", HEX} or {"--passphrase", TEXT} */
	char *owned;	/* sodium memory behind words[1]; NULL until filled */
};

/*
 * Fills a: with file, its content; otherwise prompts on /dev/tty (twice
 * when confirm) with echo off. Returns 0 or -1 after printing why. On
 * success the caller calls secret_arg_free(a).
 */
int secret_arg_get(struct secret_arg *a, const char *file, const char *node, bool confirm);
/* Wipes and frees what a holds; safe on a zeroed or freed a. */
void secret_arg_free(struct secret_arg *a);

#endif
