// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_script.c — libFuzzer harness for the splitting of script
 * and shell lines into words (umbral -f, the interactive shell): any bytes,
 * no overrun, every word inside the line, and a word count within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line = malloc(size + 1), *argv[16];
	const char *why = NULL;
	int n;

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	n = script_split(line, argv, 16, &why);
	if (n < -1 || n > 16 || (n < 0 && !why))
		__builtin_trap();
	for (int i = 0; i < n; i++)
		if (argv[i] < line || argv[i] + strlen(argv[i]) > line + size)
			__builtin_trap();
	free(line);
	return 0;
}
