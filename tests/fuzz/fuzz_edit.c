// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_edit.c — libFuzzer harness for the administrator's
 * command parser: the input split into words on whitespace, applied with
 * policy_edit() to a small policy of two sites, the result printed back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARGC_MAX 64

static char *base_node[] = {"node", "set", "--name", "n1", "--mode", "small", "--prefix",
			    "10.1.0.0/16", "fd00:0:1::/48"};
static char *base_s2[] = {"site", "add", "s2", "--key",
			  "hGpFsWxNpg8W3hHl4yFJzU8QhW1C8cYz4/ZqjTe6a2U=", "--endpoint",
			  "198.18.2.2:51820", "--keepalive", "25", "--prefix", "10.2.0.0/16"};
static char *base_s3[] = {"site", "add", "s3", "--key",
			  "MKjq0a8n6ATl7CGTzG8cTzUvQF2W3hrq0B3+Hs0J2Uw=", "--prefix",
			  "10.3.0.0/16", "fd00:0:3::/48"};

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The same small policy every run, built with the parser under test. */
static void
base_policy(struct policy *p)
{
	struct errbuf eb = {0};

	policy_init(p);
	if (policy_edit(p, N(base_node), base_node, &eb) < 0 ||
	    policy_edit(p, N(base_s2), base_s2, &eb) < 0 ||
	    policy_edit(p, N(base_s3), base_s3, &eb) < 0)
		__builtin_trap(); /* the harness itself is wrong */
}

static int
split(char *s, char **argv)
{
	int argc = 0;

	for (char *tok = strtok(s, " \t\n\r"); tok && argc < ARGC_MAX;
	     tok = strtok(NULL, " \t\n\r"))
		argv[argc++] = tok;
	return argc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[ARGC_MAX], *text;
	struct errbuf eb = {0};
	struct policy p;
	struct buf out;
	int argc;

	if (!(text = malloc(size + 1)))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argc = split(text, argv);
	base_policy(&p);
	(void)policy_edit_known(argc, argv);
	buf_init(&out);
	if (policy_edit(&p, argc, argv, &eb) == 0) {
		/* A change that was accepted leaves a policy that validates and prints. */
		if (policy_validate(&p, &eb) < 0)
			__builtin_trap();
		policy_print(&p, &out);
		for (size_t i = 0; i < p.nsites; i++)
			policy_site_json(&p.sites[i], &out);
	}
	buf_free(&out);
	policy_free(&p);
	free(text);
	return 0;
}
