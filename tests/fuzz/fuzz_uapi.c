// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_uapi.c — libFuzzer harness for the parsers of
 * wireguard-go's UAPI replies: the text of a "get=1" reply, and of a set's
 * "errno=N" reply. wireguard-go runs unprivileged and its socket is outside
 * input to crypto's umbrald.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parser keeps each line in sodium memory (a private_key line is secret). */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		__builtin_trap();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_dev_state st;
	char *text;

	/* An exact-size copy, not NUL-terminated: the parser is given a length. */
	if (!(text = malloc(size ? size : 1)))
		return 0;
	memcpy(text, data, size);
	if (wg_uapi_parse_get(text, size, &st) == 0)
		wg_state_free(&st);
	(void)wg_uapi_parse_errno(text, size);
	free(text);
	return 0;
}
