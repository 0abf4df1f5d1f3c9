// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/secret.c — the unlock secret on the administrator's side: the bytes of
 * a key file, read here (crypto runs without root and could not read a
 * root-only key file), or a passphrase typed at the terminal (no echo);
 * kept in sodium memory and wiped when the request is sent.
 */
#include "cli/secret.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <sodium.h>

#include "wg/keystore.h"

#define PASS_MAX 1024

/* Reads one line from the terminal with echo off into buf (sodium memory). */
static int
read_noecho(FILE *tty, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int fd = fileno(tty), ret = 0;
	bool restore = tcgetattr(fd, &old) == 0;

	/* Output goes straight to the descriptor: the stream is only read. */
	dprintf(fd, "%s", prompt);
	if (restore) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (!fgets(buf, (int)len, tty))
		ret = -1;
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	dprintf(fd, "\n");
	if (ret == 0)
		buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

static int
from_terminal(struct secret_arg *a, const char *node, bool confirm)
{
	FILE *tty = fopen("/dev/tty", "r+");
	char prompt[96], *again = NULL;
	int ret = -1;

	if (!tty) {
		fprintf(stderr, "umbral: no terminal to read the unlock secret from; "
				"give --unlock-file PATH\n");
		return -1;
	}
	a->owned = sodium_malloc(PASS_MAX);
	if (confirm)
		again = sodium_malloc(PASS_MAX);
	snprintf(prompt, sizeof(prompt), "Unlock secret for node %s: ", node);
	if (a->owned && (!confirm || again) && read_noecho(tty, prompt, a->owned, PASS_MAX) == 0) {
		ret = 0;
		if (!a->owned[0]) {
			fprintf(stderr, "umbral: empty unlock secret\n");
			ret = -1;
		} else if (confirm && (read_noecho(tty, "Again: ", again, PASS_MAX) < 0 ||
				       strcmp(a->owned, again) != 0)) {
			fprintf(stderr, "umbral: the two entries differ; nothing changed\n");
			ret = -1;
		}
	}
	sodium_free(again);
	fclose(tty);
	a->words[0] = "--passphrase";
	a->words[1] = a->owned;
	return ret;
}

/* The key file's bytes, hex-encoded into sodium memory (a request word is a C string). */
static int
from_file(struct secret_arg *a, const char *file)
{
	uint8_t *bytes;
	size_t len;
	int ret = keystore_secret_load(file, &bytes, &len);

	if (ret < 0) {
		fprintf(stderr, "umbral: unlock file %s: %s\n", file,
			ret == -EINVAL ? "not a file of 1-4096 bytes" : strerror(-ret));
		return -1;
	}
	a->owned = sodium_malloc(len * 2 + 1);
	if (a->owned)
		sodium_bin2hex(a->owned, len * 2 + 1, bytes, len);
	sodium_free(bytes);
	if (!a->owned)
		return -1;
	a->words[0] = "--secret-hex";
	a->words[1] = a->owned;
	return 0;
}

int
secret_arg_get(struct secret_arg *a, const char *file, const char *node, bool confirm)
{
	*a = (struct secret_arg){0};
	if (sodium_init() < 0) {
		fprintf(stderr, "umbral: libsodium cannot initialise\n");
		return -1;
	}
	return file ? from_file(a, file) : from_terminal(a, node, confirm);
}

void
secret_arg_free(struct secret_arg *a)
{
	sodium_free(a->owned);
	*a = (struct secret_arg){0};
}
