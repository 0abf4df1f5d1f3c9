// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/diff.c — compares two policies as the commands that re-create
 * them. Order within the printout is canonical (sites as stored, rules by
 * priority), so a line present on one side only is a real difference.
 *
 * Every change is diffed for its audit record, at 250 sites and 1000 rules
 * too: sites are matched by name and rules by priority, and only those whose
 * content differs are printed. A site's (a rule's) line is a function of its
 * fields, so "equal fields" is "same line". The node's and the LAN's few
 * lines are printed and compared as text.
 */
#include "policy/diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/edit.h"
#include "policy/lan.h"

/* The lines of one side's LAN printout (lan_print), split in place. */
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
lines_split(struct lines *l)
{
	size_t cap = 0;

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

/* What one side prints outside its sites and rules: the node line, the LAN lines. */
struct side {
	const struct policy *p;
	struct buf node;
	struct lines lan;
	const struct site **by_name; /* sites sorted by name, to find a's in b */
};

static void
side_free(struct side *s)
{
	buf_free(&s->node);
	lines_free(&s->lan);
	free(s->by_name);
}

static void
side_init(struct side *s, const struct policy *p)
{
	*s = (struct side){.p = p};
	buf_init(&s->node);
	buf_init(&s->lan.text);
}

static int
side_fill(struct side *s)
{
	const struct policy *p = s->p;

	policy_node_print(p, &s->node);
	lan_print(p, &s->lan.text);
	if (buf_failed(&s->node) || buf_failed(&s->lan.text) || lines_split(&s->lan) < 0)
		return -ENOMEM;
	return policy_sites_by_name(p, &s->by_name);
}

static bool
has_site(const struct side *s, const struct site *site)
{
	const struct site *hit = policy_sites_lookup(s->by_name, s->p->nsites, site->name);

	return hit && policy_site_equal(hit, site);
}

static bool
has_rule(const struct policy *p, const struct split_rule *r)
{
	const struct split_rule *o = policy_rule_find(p, r->priority);

	return o && policy_rule_equal(o, r);
}

static bool
has_lan_line(const struct side *s, const char *line)
{
	for (size_t i = 0; i < s->lan.n; i++)
		if (strcmp(s->lan.v[i], line) == 0)
			return true;
	return false;
}

/* Appends a's lines that b lacks, each after mark, in printout order. Returns how many. */
static int
only_in(const struct side *a, const struct side *b, const char *mark, struct buf *out)
{
	int n = 0;

	if (strcmp(buf_str(&a->node), buf_str(&b->node)) != 0) {
		buf_printf(out, "%s%s\n", mark, buf_str(&a->node));
		n++;
	}
	for (size_t i = 0; i < a->p->nsites; i++) {
		if (has_site(b, &a->p->sites[i]))
			continue;
		buf_puts(out, mark);
		policy_site_print(&a->p->sites[i], out);
		buf_puts(out, "\n");
		n++;
	}
	for (size_t i = 0; i < a->p->nrules; i++) {
		if (has_rule(b->p, &a->p->rules[i]))
			continue;
		buf_printf(out, "%ssplit add ", mark);
		policy_rule_print(&a->p->rules[i], out);
		buf_puts(out, "\n");
		n++;
	}
	for (size_t i = 0; i < a->lan.n; i++) {
		if (has_lan_line(b, a->lan.v[i]))
			continue;
		buf_printf(out, "%s%s\n", mark, a->lan.v[i]);
		n++;
	}
	return n;
}

int
policy_diff(const struct policy *a, const struct policy *b, struct buf *out)
{
	struct side sa, sb;
	int ret;

	side_init(&sa, a);
	side_init(&sb, b);
	ret = side_fill(&sa);
	if (ret == 0)
		ret = side_fill(&sb);
	if (ret == 0) {
		ret = only_in(&sa, &sb, "- ", out);
		ret += only_in(&sb, &sa, "+ ", out);
		if (buf_failed(out))
			ret = -ENOMEM;
	}
	side_free(&sa);
	side_free(&sb);
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
