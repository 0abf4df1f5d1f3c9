// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/node.c — talks to a node's three domains: single questions, and
 * changes carried to every domain in a fail-closed order as one revision.
 */
#include "cli/node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "core/ctlmsg.h"

void
node_sock_path(const struct node_ctx *n, enum domain d, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s.sock", n->run_dir, n->node, domain_name(d));
}

int
node_ask(const struct node_ctx *n, enum domain d, int argc, char *const argv[], struct buf *reply)
{
	char path[PATH_MAX + 64];

	node_sock_path(n, d, path, sizeof(path));
	return client_call(path, argc, argv, reply);
}

int
node_exit_code(int status)
{
	switch (status) {
	case CTL_OK:
		return EXIT_OK;
	case CTL_INVALID:
		return EXIT_USAGE;
	case CTL_DENIED:
		return EXIT_DENIED;
	default:
		return EXIT_FAIL;
	}
}

static void
print_unreachable(const struct node_ctx *n, enum domain d, int err)
{
	char path[PATH_MAX + 64];

	node_sock_path(n, d, path, sizeof(path));
	fprintf(stderr, "umbral: %s domain of node %s is not answering at %s: %s\n", domain_name(d),
		n->node, path, strerror(-err));
}

/* Every domain must be at the same revision before a change; returns it or -1. */
static long long
common_revision(const struct node_ctx *n)
{
	char *argv[] = {"revision"};
	long long rev[DOMAIN_COUNT];

	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, 1, argv, &r);
		if (st < 0)
			print_unreachable(n, (enum domain)d, st);
		else if (st != CTL_OK)
			fputs(buf_str(&r), stderr);
		rev[d] = st == CTL_OK ? strtoll(buf_str(&r), NULL, 10) : -1;
		buf_free(&r);
		if (rev[d] < 0)
			return -1;
	}
	if (rev[0] != rev[1] || rev[1] != rev[2]) {
		fprintf(stderr,
			"umbral: node %s: domains disagree (red %lld, crypto %lld, black %lld); "
			"nothing changed; 'umbral -N %s repair' brings them together\n",
			n->node, rev[0], rev[1], rev[2], n->node);
		return -1;
	}
	return rev[0];
}

/* Sends {prefix..., argv...} to domain d; prints the reply. Returns the ctl status or -errno. */
static int
send_change(const struct node_ctx *n, enum domain d, char **pre, int npre, int argc, char **argv,
	    bool quiet)
{
	char **all = calloc((size_t)(npre + argc), sizeof(*all));
	struct buf r;
	int st;

	if (!all)
		return -ENOMEM;
	memcpy(all, pre, (size_t)npre * sizeof(*all));
	memcpy(all + npre, argv, (size_t)argc * sizeof(*all));
	buf_init(&r);
	st = node_ask(n, d, npre + argc, all, &r);
	free(all);
	if (st < 0)
		print_unreachable(n, d, st);
	else if (st != CTL_OK || !quiet)
		fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
	buf_free(&r);
	return st;
}

int
node_change(const struct node_ctx *n, int argc, char **argv, bool removal, const char *comment)
{
	static const enum domain add_order[] = {DOMAIN_CRYPTO, DOMAIN_RED, DOMAIN_BLACK};
	static const enum domain del_order[] = {DOMAIN_BLACK, DOMAIN_RED, DOMAIN_CRYPTO};
	const enum domain *order = removal ? del_order : add_order;
	char base[32], *check[] = {"--check"};
	long long rev;
	time_t now;
	int st;

	/* Validation (and the caller's right to change) first: crypto audits a refusal. */
	st = send_change(n, DOMAIN_CRYPTO, check, 1, argc, argv, true);
	if (st != CTL_OK)
		return st < 0 ? EXIT_FAIL : node_exit_code(st);
	rev = common_revision(n);
	if (rev < 0)
		return EXIT_FAIL;
	snprintf(base, sizeof(base), "%lld", rev);
	/* One clock for all domains: a slow apply must not close their stagger. */
	now = time(NULL);
	for (int i = 0; i < DOMAIN_COUNT; i++) {
		char at[32],
		    *pre[] = {"--base", base, "--comment", (char *)comment, "--confirm-at", at};
		/* Going back undoes the change: the last domain changed goes back first. */
		snprintf(at, sizeof(at), "%lld",
			 (long long)now + (long long)(n->confirm_s + 0.5) + (DOMAIN_COUNT - 1 - i));
		st = send_change(n, order[i], pre, n->confirm_s > 0 ? 6 : 4, argc, argv, true);
		if (st != CTL_OK) {
			fprintf(stderr, "umbral: node %s: stopped at the %s domain; %s\n", n->node,
				domain_name(order[i]),
				i ? "earlier domains have the new revision (umbral status shows "
				    "which)"
				  : "nothing changed");
			return st < 0 ? EXIT_FAIL : node_exit_code(st);
		}
	}
	printf("node %s: revision %lld applied (%s, %s, %s)\n", n->node, rev + 1,
	       domain_name(order[0]), domain_name(order[1]), domain_name(order[2]));
	if (n->confirm_s > 0)
		printf(
		    "node %s: goes back to revision %lld in %.0f s unless 'umbral -N %s confirm'\n",
		    n->node, rev, n->confirm_s, n->node);
	return EXIT_OK;
}
