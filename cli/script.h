/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/script.h — umbral commands read from a file, one a line, as typed at
 * the shell: `umbral -N NODE -f FILE` (e.g. the output of `show config`).
 */
#ifndef UMBRAL_CLI_SCRIPT_H
#define UMBRAL_CLI_SCRIPT_H

/* Runs one command (argv as typed); returns an exit code. */
typedef int (*script_cmd)(void *ctx, int argc, char **argv);

/*
 * Splits line in place into words: blanks separate, '...' and "..." quote,
 * a backslash escapes the next character, '#' at a word's start ends the
 * line. Returns the word count, or -1 (and a reason in *why) for an
 * unterminated quote or more than max words.
 */
int script_split(char *line, char **argv, int max, const char **why);

/*
 * Runs every command of path ("-": standard input) in order, stopping at the
 * first that fails, which is named (file:line) on stderr. Returns that exit
 * code, 2 for a line that does not parse, 1 when the file cannot be read, or 0.
 */
int script_run(const char *path, script_cmd run, void *ctx);

#endif
