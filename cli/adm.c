// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/adm.c — administration across a node's domains: each domain keeps
 * its own audit log of what it saw, so `umbral log` merges them and
 * `umbral audit verify` checks every chain; rollback and confirm go to all
 * three domains like any change.
 */
#include "cli/adm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/script.h"
#include "core/ctlmsg.h"

#define KEY_LEN 44 /* the sort key daemons put before each keyed audit line */

struct lines {
	char **v;
	size_t n, cap;
};

static int
lines_add(struct lines *l, const char *s, size_t len)
{
	char *t;

	if (l->n == l->cap) {
		char **nv = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 64) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
	}
	if (!(t = strndup(s, len)))
		return -ENOMEM;
	l->v[l->n++] = t;
	return 0;
}

static void
lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds every keyed line of text to l, every note ("# ...": where older records are) to notes. */
static int
collect(struct lines *l, struct lines *notes, const char *text)
{
	for (const char *s = text, *nl; *s; s = nl + 1) {
		nl = strchr(s, '\n');
		if (!nl)
			break;
		if (strncmp(s, "# ", 2) == 0) {
			if (lines_add(notes, s + 2, (size_t)(nl - s - 2)) < 0)
				return -ENOMEM;
		} else if ((size_t)(nl - s) > KEY_LEN && lines_add(l, s, (size_t)(nl - s)) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void
print_merged(const struct node_ctx *n, struct lines *l, const struct lines *notes)
{
	for (size_t i = 0; i < notes->n; i++)
		printf("(%s)\n", notes->v[i]);
	if (l->n)
		qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	if (n->json)
		fputs("[", stdout);
	for (size_t i = 0; i < l->n; i++) {
		if (n->json)
			printf("%s%s", i ? ",\n" : "", l->v[i] + KEY_LEN);
		else
			printf("%s\n", l->v[i] + KEY_LEN);
	}
	if (n->json)
		fputs("]\n", stdout);
}

int
adm_log(struct node_ctx *n, int argc, char **argv)
{
	char since[24] = "0", *req[] = {"audit", "list", "--keyed", "--since", since, "--json"};
	struct lines l = {0}, notes = {0};
	int64_t t;
	int rc = EXIT_OK;

	if (argc == 3 && strcmp(argv[1], "--since") == 0) {
		if (adm_parse_time(argv[2], &t) < 0) {
			fprintf(stderr,
				"umbral: log: --since '%s': not a time (e.g. 2026-11-23 "
				"12:00, @1700000000, 10m, 2h, 1d)\n",
				argv[2]);
			return EXIT_USAGE;
		}
		snprintf(since, sizeof(since), "%lld", (long long)t);
	} else if (argc != 1) {
		return EXIT_USAGE;
	}
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, n->json ? 6 : 5, req, &r);
		if (st != CTL_OK) {
			fprintf(stderr, "umbral: log: %s domain: %s", domain_name((enum domain)d),
				st < 0 ? strerror(-st) : buf_str(&r));
			fputs(st < 0 ? "\n" : "", stderr);
			rc = node_exit_code(st < 0 ? CTL_FAILED : st);
		} else if (collect(&l, &notes, buf_str(&r)) < 0) {
			rc = EXIT_FAIL;
		}
		buf_free(&r);
	}
	print_merged(n, &l, &notes);
	lines_free(&l);
	lines_free(&notes);
	return rc;
}

int
adm_audit_verify(struct node_ctx *n, int argc, char **argv)
{
	int rc = EXIT_OK;

	if (argc != 2)
		return EXIT_USAGE;
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, 2, argv, &r);
		if (st < 0)
			fprintf(stderr, "%s: not answering: %s\n", domain_name((enum domain)d),
				strerror(-st));
		else
			fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
		if (st != CTL_OK)
			rc = st == CTL_DENIED ? EXIT_DENIED : EXIT_FAIL;
		buf_free(&r);
	}
	return rc;
}

int
adm_audit_rotate(struct node_ctx *n, int argc, char **argv)
{
	static const enum domain order[] = {DOMAIN_CRYPTO, DOMAIN_RED, DOMAIN_BLACK};
	int rc = EXIT_OK;

	if (argc != 2 && argc != 4)
		return EXIT_USAGE;
	for (int i = 0; i < DOMAIN_COUNT; i++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, order[i], argc, argv, &r);
		if (st < 0)
			fprintf(stderr, "umbral: %s domain of node %s is not answering: %s\n",
				domain_name(order[i]), n->node, strerror(-st));
		else
			fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
		buf_free(&r);
		if (st != CTL_OK && rc == EXIT_OK)
			rc = st < 0 ? EXIT_FAIL : node_exit_code(st);
		/* Refused or bad input: every domain would say the same. */
		if (st == CTL_DENIED || st == CTL_INVALID)
			break;
	}
	return rc;
}

/* Whether going to revision arg only removes things (then: the removal order). */
static int
rollback_removes(struct node_ctx *n, char *arg, bool *removal)
{
	char *req[] = {"diff", "current", arg};
	struct buf r;
	int st;

	buf_init(&r);
	st = node_ask(n, DOMAIN_RED, 3, req, &r);
	if (st == CTL_OK)
		*removal = strncmp(buf_str(&r), "+ ", 2) != 0 && !strstr(buf_str(&r), "\n+ ");
	else if (st < 0)
		fprintf(stderr, "umbral: red domain of node %s is not answering: %s\n", n->node,
			strerror(-st));
	else
		fputs(buf_str(&r), stderr);
	buf_free(&r);
	return st < 0 ? EXIT_FAIL : node_exit_code(st);
}

int
adm_rollback(struct node_ctx *n, int argc, char **argv, const char *comment)
{
	bool removal = false;
	int rc;

	if (argc != 2)
		return EXIT_USAGE;
	rc = rollback_removes(n, argv[1], &removal);
	if (rc != EXIT_OK)
		return rc;
	return node_change(n, argc, argv, removal, comment);
}

int
adm_confirm(struct node_ctx *n, int argc, char **argv)
{
	int rc = EXIT_OK;

	if (argc != 1)
		return EXIT_USAGE;
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, 1, argv, &r);
		if (st < 0)
			fprintf(stderr,
				"umbral: %s domain of node %s is not answering: %s; "
				"it goes back by itself unless confirmed\n",
				domain_name((enum domain)d), n->node, strerror(-st));
		else
			fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
		if (st != CTL_OK && rc == EXIT_OK)
			rc = st < 0 ? EXIT_FAIL : node_exit_code(st);
		buf_free(&r);
	}
	return rc;
}

static int
parse_age(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	long long unit;

	if (end == s || v < 0 || end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's':
		unit = 1;
		break;
	case 'm':
		unit = 60;
		break;
	case 'h':
		unit = 3600;
		break;
	case 'd':
		unit = 86400;
		break;
	default:
		return -1;
	}
	*out = (int64_t)time(NULL) - v * unit;
	return 0;
}

int
adm_parse_time(const char *s, int64_t *out)
{
	static const char *const fmts[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
					   "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"};
	const char *p = s[0] == '@' ? s + 1 : s;
	char *end;
	long long v;

	v = strtoll(p, &end, 10);
	if (end != p && *end == '\0' && v >= 0) {
		*out = v;
		return 0;
	}
	if (parse_age(s, out) == 0)
		return 0;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		struct tm tm = {.tm_isdst = -1};
		const char *e = strptime(s, fmts[i], &tm);
		if (e && *e == '\0') {
			*out = (int64_t)mktime(&tm);
			return 0;
		}
	}
	return -1;
}

/* Each domain's revision into rev[]; -1 (said why) when one does not answer. */
static int
domain_revisions(struct node_ctx *n, long long rev[DOMAIN_COUNT])
{
	char *req[] = {"revision"};

	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, 1, req, &r);
		rev[d] = st == CTL_OK ? strtoll(buf_str(&r), NULL, 10) : -1;
		if (st != CTL_OK)
			fprintf(stderr, "umbral: %s domain of node %s: %s%s",
				domain_name((enum domain)d), n->node,
				st < 0 ? strerror(-st) : buf_str(&r), st < 0 ? "\n" : "");
		buf_free(&r);
		if (rev[d] < 0)
			return st == CTL_DENIED ? EXIT_DENIED : EXIT_FAIL;
	}
	return EXIT_OK;
}

/* Sends "replace ; LINE ; LINE ..." (the leader's show config) to domain d at base. */
static int
replace_in(struct node_ctx *n, enum domain d, long long base, const char *config,
	   const char *comment)
{
	size_t len = strlen(config);
	char *text = strdup(config), **w = calloc(len + 8, sizeof(*w)), b[24];
	const char *why;
	struct buf r;
	int nw = 0, st = -ENOMEM;

	snprintf(b, sizeof(b), "%lld", base);
	if (text && w) {
		w[nw++] = "--base";
		w[nw++] = b;
		w[nw++] = "--comment";
		w[nw++] = (char *)comment;
		w[nw++] = "replace";
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			int k;
			w[nw++] = ";";
			/* A line that does not split would be a policy with a part missing. */
			if ((k = script_split(line, w + nw, (int)(len + 8) - nw, &why)) < 0) {
				fprintf(stderr,
					"umbral: repair: a line of the policy does not parse "
					"(%s): %s\n",
					why, line);
				free(text);
				free(w);
				return -EINVAL;
			}
			nw += k;
		}
		buf_init(&r);
		st = node_ask(n, d, nw, w, &r);
		if (st < 0)
			fprintf(stderr, "umbral: %s domain: %s\n", domain_name(d), strerror(-st));
		else
			fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
		buf_free(&r);
	}
	free(text);
	free(w);
	return st;
}

int
adm_repair(struct node_ctx *n, int argc, char **argv)
{
	static const enum domain order[] = {DOMAIN_CRYPTO, DOMAIN_RED, DOMAIN_BLACK};
	char *show[] = {"show", "config"}, comment[96];
	long long rev[DOMAIN_COUNT];
	struct buf cfg;
	int lead = 0, rc, st;

	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	if ((rc = domain_revisions(n, rev)) != EXIT_OK)
		return rc;
	for (int d = 1; d < DOMAIN_COUNT; d++)
		if (rev[d] > rev[lead])
			lead = d;
	if (rev[0] == rev[1] && rev[1] == rev[2]) {
		printf("node %s: every domain at revision %lld; nothing to repair\n", n->node,
		       rev[0]);
		return EXIT_OK;
	}
	buf_init(&cfg);
	st = node_ask(n, (enum domain)lead, 2, show, &cfg);
	snprintf(comment, sizeof(comment), "repair: revision %lld as in %s", rev[lead],
		 domain_name((enum domain)lead));
	for (int i = 0; i < DOMAIN_COUNT && st == CTL_OK; i++)
		if (rev[order[i]] < rev[lead])
			st = replace_in(n, order[i], rev[order[i]], buf_str(&cfg), comment);
	buf_free(&cfg);
	if (st != CTL_OK)
		return st < 0 ? EXIT_FAIL : node_exit_code(st);
	if ((rc = domain_revisions(n, rev)) != EXIT_OK)
		return rc;
	if (rev[0] != rev[1] || rev[1] != rev[2]) {
		fprintf(stderr,
			"umbral: node %s: still apart (red %lld, crypto %lld, black %lld)\n",
			n->node, rev[0], rev[1], rev[2]);
		return EXIT_FAIL;
	}
	printf("node %s: every domain at revision %lld\n", n->node, rev[0]);
	return EXIT_OK;
}
