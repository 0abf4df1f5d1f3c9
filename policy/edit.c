// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/edit.c — parses administrator changes (node set, site add/del) into
 * a copy of the policy, validates the result whole, and prints policies back.
 */
#include "policy/edit.h"

#include "policy/lan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
number_parse(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Collects the values of a repeated option; "--prefix a b" and "--prefix a,b" both work. */
static int
prefixes_add(struct prefix **list, size_t *n, const char *arg, const char *what, struct errbuf *eb)
{
	char *dup = strdup(arg), *save = NULL, *tok;
	int ret = 0;

	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct prefix p, *grown;
		if (prefix_parse(tok, &p, what, eb) < 0) {
			ret = -EINVAL;
			continue;
		}
		if (*n >= POLICY_PREFIX_MAX) {
			errbuf_add(eb, "%s%s: at most %d prefixes", what, tok, POLICY_PREFIX_MAX);
			ret = -EINVAL;
			break;
		}
		grown = realloc(*list, (*n + 1) * sizeof(**list));
		if (!grown) {
			ret = -ENOMEM;
			break;
		}
		*list = grown;
		(*list)[(*n)++] = p;
	}
	free(dup);
	return ret;
}

/* Whether argv[i] is a value (not the next --option). */
static bool
is_value(int argc, char **argv, int i)
{
	return i < argc && strncmp(argv[i], "--", 2) != 0;
}

static int
site_option(struct site *s, int argc, char **argv, int *i, struct errbuf *eb, const char *what)
{
	const char *opt = argv[*i];
	char field[POLICY_NAME_MAX + 32]; /* "site NAME: prefix " names the field in messages */
	long v;

	if (!is_value(argc, argv, *i + 1)) {
		errbuf_add(eb, "%s%s: needs a value", what, opt);
		return -EINVAL;
	}
	if (strcmp(opt, "--key") == 0) {
		if (key_from_base64(s->pubkey, argv[++*i]) < 0) {
			errbuf_add(eb,
				   "%skey %s: not a WireGuard public key (44 base64 characters)",
				   what, argv[*i]);
			return -EINVAL;
		}
	} else if (strcmp(opt, "--endpoint") == 0) {
		s->has_endpoint = true;
		snprintf(field, sizeof(field), "%sendpoint ", what);
		return endpoint_parse(argv[++*i], &s->endpoint, field, eb);
	} else if (strcmp(opt, "--keepalive") == 0) {
		if (number_parse(argv[++*i], 0, 65535, &v) < 0) {
			errbuf_add(eb, "%skeepalive %s: must be 0-65535 seconds", what, argv[*i]);
			return -EINVAL;
		}
		s->keepalive = (uint16_t)v;
	} else if (strcmp(opt, "--prefix") == 0) {
		int ret = 0;
		snprintf(field, sizeof(field), "%sprefix ", what);
		while (is_value(argc, argv, *i + 1))
			if (prefixes_add(&s->prefixes, &s->nprefixes, argv[++*i], field, eb) < 0)
				ret = -EINVAL;
		return ret;
	} else {
		errbuf_add(eb, "%s%s: unknown option (--key, --endpoint, --keepalive, --prefix)",
			   what, opt);
		return -EINVAL;
	}
	return 0;
}

static int
site_add(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct site s = {0};
	char what[POLICY_NAME_MAX + 16];
	bool has_key = false;
	int before = eb->count, ret;

	if (argc < 1 || strncmp(argv[0], "--", 2) == 0) {
		errbuf_add(eb, "site add: NAME is missing");
		return -EINVAL;
	}
	snprintf(s.name, sizeof(s.name), "%s", argv[0]);
	if (strlen(argv[0]) > POLICY_NAME_MAX)
		errbuf_add(eb, "site %s: name: at most %d characters", argv[0], POLICY_NAME_MAX);
	snprintf(what, sizeof(what), "site %s: ", s.name);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key") == 0)
			has_key = true;
		if (strncmp(argv[i], "--", 2) != 0) {
			errbuf_add(eb, "%s'%s': unexpected (options start with --)", what, argv[i]);
			continue;
		}
		site_option(&s, argc, argv, &i, eb, what);
	}
	if (!has_key)
		errbuf_add(eb, "%skey: --key PUBLIC_KEY is required", what);
	if (eb->count == before && policy_site_find(p, s.name))
		errbuf_add(eb, "%sname: already exists (site del it first)", what);
	ret = eb->count > before ? -EINVAL : policy_site_append(p, &s);
	site_free(&s);
	return ret;
}

static int
site_del(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct site *s;

	if (argc != 1) {
		errbuf_add(eb, "site del: give exactly one NAME");
		return -EINVAL;
	}
	s = policy_site_find(p, argv[0]);
	if (!s) {
		errbuf_add(eb, "site %s: no such site", argv[0]);
		return -ENOENT;
	}
	site_free(s);
	memmove(s, s + 1, (size_t)(p->sites + p->nsites - (s + 1)) * sizeof(*s));
	p->nsites--;
	return 0;
}

static int
node_option(struct node *n, int argc, char **argv, int *i, struct errbuf *eb)
{
	const char *opt = argv[*i];
	long v;

	if (!is_value(argc, argv, *i + 1)) {
		errbuf_add(eb, "node: %s: needs a value", opt);
		return -EINVAL;
	}
	if (strcmp(opt, "--name") == 0) {
		if (strlen(argv[*i + 1]) > POLICY_NAME_MAX) {
			errbuf_add(eb, "node: name %s: at most %d characters", argv[*i + 1],
				   POLICY_NAME_MAX);
			return -EINVAL;
		}
		snprintf(n->name, sizeof(n->name), "%s", argv[++*i]);
	} else if (strcmp(opt, "--mode") == 0) {
		if (mode_parse(argv[++*i], &n->mode) < 0) {
			errbuf_add(eb, "node: mode %s: must be small or large", argv[*i]);
			return -EINVAL;
		}
	} else if (strcmp(opt, "--default") == 0) {
		if (split_action_parse(argv[++*i], &n->default_action) < 0 ||
		    n->default_action == SPLIT_TUNNEL) {
			errbuf_add(eb, "node: default %s: must be direct or drop", argv[*i]);
			return -EINVAL;
		}
	} else if (strcmp(opt, "--listen-port") == 0) {
		if (number_parse(argv[++*i], 1, 65535, &v) < 0) {
			errbuf_add(eb, "node: listen-port %s: must be 1-65535", argv[*i]);
			return -EINVAL;
		}
		n->listen_port = (uint16_t)v;
	} else if (strcmp(opt, "--mtu") == 0) {
		if (number_parse(argv[++*i], 1280, 9000, &v) < 0) {
			errbuf_add(eb, "node: mtu %s: must be 1280-9000", argv[*i]);
			return -EINVAL;
		}
		n->mtu = (uint16_t)v;
	} else if (strcmp(opt, "--prefix") == 0) {
		int ret = 0;
		free(n->prefixes); /* the option replaces the list */
		n->prefixes = NULL;
		n->nprefixes = 0;
		while (is_value(argc, argv, *i + 1))
			if (prefixes_add(&n->prefixes, &n->nprefixes, argv[++*i], "node: prefix ",
					 eb) < 0)
				ret = -EINVAL;
		return ret;
	} else {
		errbuf_add(eb,
			   "node: %s: unknown option (--name, --mode, --default, --listen-port, "
			   "--mtu, --prefix)",
			   opt);
		return -EINVAL;
	}
	return 0;
}

static int
node_set(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	int before = eb->count;

	if (argc == 0) {
		errbuf_add(eb, "node set: nothing to set");
		return -EINVAL;
	}
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			errbuf_add(eb, "node: '%s': unexpected (options start with --)", argv[i]);
			continue;
		}
		node_option(&p->node, argc, argv, &i, eb);
	}
	return eb->count > before ? -EINVAL : 0;
}

static int
rule_prefix(const char *arg, struct prefix *out, bool *has, const char *what, struct errbuf *eb)
{
	if (prefix_parse(arg, out, what, eb) < 0)
		return -EINVAL;
	*has = true;
	return 0;
}

static int
rule_option(struct split_rule *r, const char *opt, const char *val, struct errbuf *eb)
{
	char what[48];
	const char *want = NULL;
	long v;

	snprintf(what, sizeof(what), "split %u: %s ", r->priority, opt + 2);
	if (strcmp(opt, "--dst") == 0)
		return rule_prefix(val, &r->dst, &r->has_dst, what, eb);
	if (strcmp(opt, "--src") == 0)
		return rule_prefix(val, &r->src, &r->has_src, what, eb);
	if (strcmp(opt, "--proto") == 0) {
		if (proto_parse(val, &r->proto) == 0)
			return 0;
		want = "tcp, udp or icmp";
	} else if (strcmp(opt, "--port") == 0) {
		if (number_parse(val, 1, 65535, &v) == 0) {
			r->port = (uint16_t)v;
			return 0;
		}
		want = "1-65535";
	} else if (strcmp(opt, "--action") == 0) {
		if (split_action_parse(val, &r->action) == 0)
			return 0;
		want = "tunnel, direct or drop";
	} else if (strcmp(opt, "--site") == 0) {
		if (strlen(val) <= POLICY_NAME_MAX) {
			snprintf(r->site, sizeof(r->site), "%s", val);
			return 0;
		}
		want = "a site name";
	}
	if (want)
		errbuf_add(eb, "%s%s: must be %s", what, val, want);
	else
		errbuf_add(eb,
			   "split %u: %s: unknown option (--action, --site, --dst, --src, "
			   "--proto, --port)",
			   r->priority, opt);
	return -EINVAL;
}

static int
split_add(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct split_rule r = {.action = SPLIT_DROP};
	bool has_action = false;
	int before = eb->count;
	long v;

	if (argc < 1 || number_parse(argv[0], 1, 65535, &v) < 0) {
		errbuf_add(eb, "split add: PRIORITY (1-65535) comes first, got '%s'",
			   argc ? argv[0] : "");
		return -EINVAL;
	}
	r.priority = (uint16_t)v;
	for (int i = 1; i < argc; i += 2) {
		if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
			errbuf_add(eb, "split %u: '%s': expected --OPTION VALUE", r.priority,
				   argv[i]);
			continue;
		}
		has_action |= strcmp(argv[i], "--action") == 0;
		rule_option(&r, argv[i], argv[i + 1], eb);
	}
	if (!has_action)
		errbuf_add(eb, "split %u: action: --action tunnel|direct|drop is required",
			   r.priority);
	if (r.action != SPLIT_TUNNEL && r.site[0])
		errbuf_add(eb, "split %u: site: only a tunnel rule names a site", r.priority);
	if (eb->count == before && policy_rule_find(p, r.priority))
		errbuf_add(eb, "split %u: priority: already used (split del it first)", r.priority);
	if (eb->count > before)
		return -EINVAL;
	return policy_rule_insert(p, &r);
}

static int
split_del(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct split_rule *r;
	long v;

	if (argc != 1 || number_parse(argv[0], 1, 65535, &v) < 0) {
		errbuf_add(eb, "split del: give exactly one PRIORITY (1-65535)");
		return -EINVAL;
	}
	r = policy_rule_find(p, (uint16_t)v);
	if (!r) {
		errbuf_add(eb, "split %ld: no such rule", v);
		return -ENOENT;
	}
	memmove(r, r + 1, (size_t)(p->rules + p->nrules - (r + 1)) * sizeof(*r));
	p->nrules--;
	return 0;
}

bool
policy_edit_known(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (lan_edit_known(argc, argv))
		return true;
	if (strcmp(argv[0], "site") == 0 || strcmp(argv[0], "split") == 0)
		return strcmp(argv[1], "add") == 0 || strcmp(argv[1], "del") == 0;
	return strcmp(argv[0], "node") == 0 && strcmp(argv[1], "set") == 0;
}

int
policy_edit(struct policy *p, int argc, char **argv, struct errbuf *eb)
{
	struct policy work;
	int ret;

	if (!policy_edit_known(argc, argv)) {
		errbuf_add(eb,
			   "%s: not a change (site add|del, split add|del, node set, dhcp set, "
			   "dhcp static add|del, lan route add|del)",
			   argc ? argv[0] : "(nothing)");
		return -EINVAL;
	}
	if (policy_copy(&work, p) < 0)
		return -ENOMEM;
	if (lan_edit_known(argc, argv))
		ret = lan_edit(&work, argc, argv, eb);
	else if (strcmp(argv[0], "node") == 0)
		ret = node_set(&work, argc - 2, argv + 2, eb);
	else if (strcmp(argv[0], "split") == 0)
		ret = strcmp(argv[1], "add") == 0 ? split_add(&work, argc - 2, argv + 2, eb)
						  : split_del(&work, argc - 2, argv + 2, eb);
	else if (strcmp(argv[1], "add") == 0)
		ret = site_add(&work, argc - 2, argv + 2, eb);
	else
		ret = site_del(&work, argc - 2, argv + 2, eb);
	if (ret == 0)
		ret = policy_validate(&work, eb);
	if (ret < 0) {
		policy_free(&work);
		return ret == -ENOMEM ? ret : -EINVAL;
	}
	policy_free(p);
	*p = work;
	return 0;
}

static void
print_prefixes(struct buf *out, const struct prefix *pr, size_t n)
{
	char tmp[64];

	if (n == 0)
		return;
	buf_puts(out, " --prefix");
	for (size_t i = 0; i < n; i++)
		buf_printf(out, " %s", prefix_format(&pr[i], tmp, sizeof(tmp)));
}

void
policy_node_print(const struct policy *p, struct buf *out)
{
	buf_printf(out, "node set --mode %s --default %s --listen-port %u --mtu %u",
		   mode_name(p->node.mode), split_action_name(p->node.default_action),
		   p->node.listen_port, p->node.mtu);
	if (p->node.name[0])
		buf_printf(out, " --name %s", p->node.name);
	print_prefixes(out, p->node.prefixes, p->node.nprefixes);
}

void
policy_site_print(const struct site *s, struct buf *out)
{
	char key[WG_KEY_B64_LEN], ep[80];

	key_to_base64(key, s->pubkey);
	buf_printf(out, "site add %s --key %s", s->name, key);
	if (s->has_endpoint)
		buf_printf(out, " --endpoint %s", endpoint_format(&s->endpoint, ep, sizeof(ep)));
	if (s->keepalive)
		buf_printf(out, " --keepalive %u", s->keepalive);
	print_prefixes(out, s->prefixes, s->nprefixes);
}

void
policy_print(const struct policy *p, struct buf *out)
{
	policy_node_print(p, out);
	buf_puts(out, "\n");
	for (size_t i = 0; i < p->nsites; i++) {
		policy_site_print(&p->sites[i], out);
		buf_puts(out, "\n");
	}
	for (size_t i = 0; i < p->nrules; i++) {
		buf_puts(out, "split add ");
		policy_rule_print(&p->rules[i], out);
		buf_puts(out, "\n");
	}
	lan_print(p, out);
}

void
policy_rule_print(const struct split_rule *r, struct buf *out)
{
	char tmp[64];

	buf_printf(out, "%u --action %s", r->priority, split_action_name(r->action));
	if (r->action == SPLIT_TUNNEL)
		buf_printf(out, " --site %s", r->site);
	if (r->has_dst)
		buf_printf(out, " --dst %s", prefix_format(&r->dst, tmp, sizeof(tmp)));
	if (r->has_src)
		buf_printf(out, " --src %s", prefix_format(&r->src, tmp, sizeof(tmp)));
	if (r->proto)
		buf_printf(out, " --proto %s", proto_name(r->proto));
	if (r->port)
		buf_printf(out, " --port %u", r->port);
}

void
policy_rule_json(const struct split_rule *r, struct buf *out)
{
	char tmp[64];

	buf_printf(out, "{\"priority\":%u,\"action\":\"%s\",\"site\":", r->priority,
		   split_action_name(r->action));
	if (r->action == SPLIT_TUNNEL)
		buf_json_str(out, r->site);
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"dst\":");
	if (r->has_dst)
		buf_json_str(out, prefix_format(&r->dst, tmp, sizeof(tmp)));
	else
		buf_puts(out, "null");
	buf_puts(out, ",\"src\":");
	if (r->has_src)
		buf_json_str(out, prefix_format(&r->src, tmp, sizeof(tmp)));
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"proto\":\"%s\",\"port\":", proto_name(r->proto));
	if (r->port)
		buf_printf(out, "%u}", r->port);
	else
		buf_puts(out, "null}");
}

void
policy_site_json(const struct site *s, struct buf *out)
{
	char key[WG_KEY_B64_LEN], tmp[80];

	key_to_base64(key, s->pubkey);
	buf_puts(out, "{\"name\":");
	buf_json_str(out, s->name);
	buf_printf(out, ",\"public_key\":\"%s\",\"endpoint\":", key);
	if (s->has_endpoint)
		buf_json_str(out, endpoint_format(&s->endpoint, tmp, sizeof(tmp)));
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"keepalive\":%u,\"prefixes\":[", s->keepalive);
	for (size_t i = 0; i < s->nprefixes; i++) {
		buf_puts(out, i ? "," : "");
		buf_json_str(out, prefix_format(&s->prefixes[i], tmp, sizeof(tmp)));
	}
	buf_puts(out, "]}");
}
