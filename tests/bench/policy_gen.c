// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/bench/policy_gen.c — writes a large policy into one domain's store,
 * for the policy benchmark: the node's own settings are kept, and NSITES
 * sites of PREFIXES IPv4 /24s each plus RULES split rules are added, as one
 * new revision. It goes through the same edit, validation and storage code
 * as `umbral`, and is deterministic (same arguments, same policy, same keys),
 * so running it on each of a node's three stores gives them equal revisions.
 *
 *   policy_gen DB NSITES PREFIXES RULES
 *
 * Sites are named nK (K from 3) with prefixes in 172.16.0.0/12, clear of
 * the lab's 10.N.0.0/16; rules use priorities 1000 and up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "policy/edit.h"
#include "policy/policy.h"
#include "storage/store.h"

#define LINE_MAX_LEN 2048

/* Applies one command line (words split on spaces) to p. */
static int
edit_line(struct policy *p, char *line)
{
	char *argv[64], *save = NULL;
	struct errbuf eb = {0};
	int argc = 0;

	for (char *t = strtok_r(line, " ", &save); t && argc < 64; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (policy_edit(p, argc, argv, &eb) < 0) {
		fprintf(stderr, "policy_gen: %s", eb.text);
		return -EINVAL;
	}
	return 0;
}

/* A real Curve25519 public key, the same for the same k on every run. */
static void
site_key(int k, char b64[64])
{
	uint8_t seed[8] = {'u', 'b', 'e', 'n', 'c', 'h', (uint8_t)k, (uint8_t)(k >> 8)};
	uint8_t priv[crypto_scalarmult_BYTES], pub[crypto_scalarmult_BYTES];

	crypto_generichash(priv, sizeof(priv), seed, sizeof(seed), NULL, 0);
	crypto_scalarmult_base(pub, priv);
	sodium_bin2base64(b64, 64, pub, sizeof(pub), sodium_base64_VARIANT_ORIGINAL);
}

static int
add_sites(struct policy *p, int nsites, int nprefixes)
{
	char line[LINE_MAX_LEN], key[64];

	for (int k = 3; k < 3 + nsites; k++) {
		int n, i = k - 3;
		site_key(k, key);
		n = snprintf(line, sizeof(line),
			     "site add n%d --key %s --endpoint 198.18.%d.%d:51820 --prefix", k, key,
			     100 + i / 250, 1 + i % 250);
		for (int j = 0; j < nprefixes; j++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " 172.%d.%d.0/24",
				      16 + i / 16, (i % 16) * 16 + j);
		if (edit_line(p, line) < 0)
			return -EINVAL;
	}
	return 0;
}

/* A mix of the four kinds of rule an administrator writes. */
static int
add_rules(struct policy *p, int nrules, int nsites)
{
	char line[LINE_MAX_LEN];

	for (int i = 0; i < nrules; i++) {
		int prio = 1000 + i;
		switch (i % 4) {
		case 0:
			snprintf(line, sizeof(line),
				 "split add %d --action direct --dst 100.64.%d.%d/32 --proto tcp "
				 "--port 443",
				 prio, i / 256, i % 256);
			break;
		case 1:
			snprintf(line, sizeof(line),
				 "split add %d --action drop --src 10.1.1.%d/32 --proto udp --port %d",
				 prio, 1 + i % 250, 1000 + i);
			break;
		case 2:
			snprintf(line, sizeof(line),
				 "split add %d --action tunnel --site n%d --dst 100.100.%d.%d/32", prio,
				 3 + i % (nsites ? nsites : 1), i / 256, i % 256);
			break;
		default:
			snprintf(line, sizeof(line),
				 "split add %d --action direct --dst 192.0.%d.%d/32 --proto udp --port 53",
				 prio, 2 + i / 256, i % 256);
		}
		if (nsites == 0 && i % 4 == 2)
			continue;
		if (edit_line(p, line) < 0)
			return -EINVAL;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct store *st;
	struct policy p;
	int ret;

	if (argc != 5) {
		fprintf(stderr, "usage: policy_gen DB NSITES PREFIXES RULES\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if ((ret = store_open(argv[1], &st)) < 0) {
		fprintf(stderr, "policy_gen: %s: %s\n", argv[1], strerror(-ret));
		return 1;
	}
	ret = store_load(st, &p);
	if (ret == 0)
		ret = add_sites(&p, atoi(argv[2]), atoi(argv[3]));
	if (ret == 0)
		ret = add_rules(&p, atoi(argv[4]), atoi(argv[2]));
	if (ret == 0) {
		p.revision = store_revision(st) + 1;
		ret = store_commit(st, &p, "bench (policy_gen)", "large policy for make bench");
	}
	if (ret < 0)
		fprintf(stderr, "policy_gen: %s\n", strerror(-ret));
	else
		printf("%lld\n", (long long)p.revision);
	policy_free(&p);
	store_close(st);
	return ret < 0 ? 1 : 0;
}
