// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/diff.c — compares two policies as the commands that re-create
 * them. Order within the printout is canonical (sites as stored, rules by
 * priority), so a line present on one side only is a real difference.
 */
#include "policy/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/edit.h"

struct lines {
	struct buf text; /* owns the characters; lines point into it */
	char **v;
	size_t n;
};

static void
lines_free(struct lines *l)
{
	buf_free(&l->text);
	free(l->v);
}

static int
lines_of(const struct policy *p, struct lines *l)
{
	size_t cap = 0;

	*l = (struct lines){0};
	buf_init(&l->text);
	policy_print(p, &l->text);
	if (buf_failed(&l->text))
		return -ENOMEM;
	for (char *s = l->text.data, *nl; s && *s; s = nl + 1) {
		if (l->n == cap) {
			char **t = realloc(l->v, (cap = cap ? cap * 2 : 16) * sizeof(*t));
			if (!t)
				return -ENOMEM;
			l->v = t;
		}
		nl = strchr(s, '\n');
		l->v[l->n++] = s;
		if (!nl)
			break;
		*nl = '\0';
	}
	return 0;
}

static bool
has_line(const struct lines *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

/* Appends the lines of a that b lacks, each after mark. Returns how many. */
static int
only_in(const struct lines *a, const struct lines *b, const char *mark, struct buf *out)
{
	int n = 0;

	for (size_t i = 0; i < a->n; i++) {
		if (has_line(b, a->v[i]))
			continue;
		buf_printf(out, "%s%s\n", mark, a->v[i]);
		n++;
	}
	return n;
}

int
policy_diff(const struct policy *a, const struct policy *b, struct buf *out)
{
	struct lines la, lb;
	int ret;

	ret = lines_of(a, &la);
	if (ret == 0)
		ret = lines_of(b, &lb);
	else
		lb = (struct lines){0};
	if (ret == 0) {
		ret = only_in(&la, &lb, "- ", out);
		ret += only_in(&lb, &la, "+ ", out);
		if (buf_failed(out))
			ret = -ENOMEM;
	}
	lines_free(&la);
	lines_free(&lb);
	return ret;
}

int
policy_diff_summary(const struct policy *a, const struct policy *b, char *buf, size_t len)
{
	struct buf d;
	int plus = 0, minus = 0, ret;
	size_t used;

	buf_init(&d);
	ret = policy_diff(a, b, &d);
	if (ret < 0) {
		buf_free(&d);
		return ret;
	}
	for (char *s = d.data; s && *s; s = strchr(s, '\n') + 1) {
		plus += *s == '+';
		minus += *s == '-';
	}
	used = (size_t)snprintf(buf, len, "+%d -%d", plus, minus);
	for (char *s = d.data; s && *s && used < len; s = strchr(s, '\n') + 1) {
		int w = (int)strcspn(s, "\n");
		used += (size_t)snprintf(buf + used, len - used, "; %.*s", w, s);
	}
	if (used >= len)
		memcpy(buf + len - 4, "...", 4);
	buf_free(&d);
	return ret;
}
