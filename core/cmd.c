// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/cmd.c — what umbrald answers on its control socket: status, the
 * policy, and changes (validated, applied to this domain, stored as the next
 * revision; on failure the previous policy is put back).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "policy/edit.h"
#include "policy/explain.h"
#include "storage/store.h"

static bool
want_json(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--json") == 0)
			return true;
	return false;
}

static int
cmd_status(struct daemon *d, int argc, char **argv, struct buf *out)
{
	long up = (long)(time(NULL) - d->started);

	if (want_json(argc, argv)) {
		buf_puts(out, "{\"domain\":");
		buf_json_str(out, domain_name(d->domain));
		buf_puts(out, ",\"node\":");
		buf_json_str(out, d->node);
		buf_printf(out, ",\"pid\":%d,\"uptime\":%ld,\"revision\":%lld,\"mode\":\"%s\"",
			   (int)getpid(), up, (long long)d->policy.revision,
			   mode_name(d->policy.node.mode));
		buf_printf(out, ",\"sites\":%zu,\"applied\":%s,\"applies\":%u,\"apply_failures\":%u",
			   d->policy.nsites, d->applied ? "true" : "false", d->applies,
			   d->apply_failures);
		buf_puts(out, ",\"apply_error\":");
		if (d->apply_error[0])
			buf_json_str(out, d->apply_error);
		else
			buf_puts(out, "null");
		if (d->domain == DOMAIN_CRYPTO)
			crypto_status_json(d, out);
		buf_puts(out, "}\n");
		return CTL_OK;
	}
	buf_printf(out, "%-6s revision %lld, %s, up %lds, pid %d, %zu sites\n",
		   domain_name(d->domain), (long long)d->policy.revision,
		   d->applied ? "applied" : "NOT APPLIED", up, (int)getpid(), d->policy.nsites);
	if (d->apply_error[0])
		buf_printf(out, "  last error: %s\n", d->apply_error);
	if (d->domain == DOMAIN_CRYPTO)
		crypto_status_text(d, out);
	return CTL_OK;
}

static int
cmd_site_list(struct daemon *d, int argc, char **argv, struct buf *out)
{
	char tmp[80];

	if (want_json(argc, argv)) {
		buf_puts(out, "[");
		for (size_t i = 0; i < d->policy.nsites; i++) {
			buf_puts(out, i ? "," : "");
			policy_site_json(&d->policy.sites[i], out);
		}
		buf_puts(out, "]\n");
		return CTL_OK;
	}
	for (size_t i = 0; i < d->policy.nsites; i++) {
		const struct site *s = &d->policy.sites[i];
		buf_printf(out, "%-16s %-22s", s->name,
			   s->has_endpoint ? endpoint_format(&s->endpoint, tmp, sizeof(tmp))
					   : "(roaming)");
		for (size_t j = 0; j < s->nprefixes; j++)
			buf_printf(out, " %s", prefix_format(&s->prefixes[j], tmp, sizeof(tmp)));
		buf_puts(out, "\n");
	}
	return CTL_OK;
}

static int
cmd_split_list(struct daemon *d, int argc, char **argv, struct buf *out)
{
	bool json = want_json(argc, argv);

	buf_puts(out, json ? "[" : "");
	for (size_t i = 0; i < d->policy.nrules; i++) {
		if (json) {
			buf_puts(out, i ? "," : "");
			policy_rule_json(&d->policy.rules[i], out);
		} else {
			policy_rule_print(&d->policy.rules[i], out);
			buf_puts(out, "\n");
		}
	}
	if (json)
		buf_puts(out, "]\n");
	else
		buf_printf(out, "default (non-secure destinations): %s\n",
			   split_action_name(d->policy.node.default_action));
	return CTL_OK;
}

/* Strips --json (anywhere) so the positional words can be parsed. */
static int
drop_json(int argc, char **argv)
{
	int n = 0;

	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--json") != 0)
			argv[n++] = argv[i];
	return n;
}

static int
cmd_explain(struct daemon *d, int argc, char **argv, struct buf *out)
{
	bool json = want_json(argc, argv);
	struct explain_pkt k;
	struct explanation e;
	struct errbuf eb = {0};

	argc = drop_json(argc, argv);
	if (explain_parse(argc - 1, argv + 1, &k, &eb) < 0) {
		buf_puts(out, eb.text);
		return CTL_INVALID;
	}
	policy_explain(&d->policy, &k, &e);
	if (json) {
		explanation_json(&e, out);
		return CTL_OK;
	}
	buf_printf(out, "%s", path_name(e.path));
	if (e.path == PATH_TUNNEL)
		buf_printf(out, " to site %s", e.site);
	buf_printf(out, " (%s, revision %lld)\n", e.why, (long long)d->policy.revision);
	return CTL_OK;
}

/* Who made a change, as the kernel told us, for the revision record. */
static void
author_of(const struct ctl_peer *peer, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(peer->uid);

	snprintf(buf, len, "%s (uid %u)", pw ? pw->pw_name : "?", (unsigned)peer->uid);
}

/* Strips the leading options the CLI adds to a change. Returns how many words they took. */
int
change_opts_parse(int argc, char **argv, struct change_opts *o)
{
	int i = 0;

	*o = (struct change_opts){.base = -1, .comment = ""};
	while (i < argc) {
		if (strcmp(argv[i], "--check") == 0) {
			o->check = true;
			i++;
		} else if (strcmp(argv[i], "--base") == 0 && i + 1 < argc) {
			o->base = strtoll(argv[i + 1], NULL, 10);
			i += 2;
		} else if (strcmp(argv[i], "--comment") == 0 && i + 1 < argc) {
			o->comment = argv[i + 1];
			i += 2;
		} else {
			break;
		}
	}
	return i;
}

int
change_commit(struct daemon *d, struct policy *next, const struct ctl_peer *peer,
	      const char *comment, struct buf *out)
{
	struct errbuf eb = {0};
	char author[96];
	int ret;

	next->revision = d->policy.revision + 1;
	if (daemon_apply(d, next, &eb) < 0) {
		buf_printf(out, "%s: apply failed, nothing changed:\n%s", domain_name(d->domain),
			   eb.text);
		daemon_apply(d, &d->policy, &(struct errbuf){0}); /* back to what was */
		return CTL_FAILED;
	}
	author_of(peer, author, sizeof(author));
	ret = store_commit(d->store, next, author, comment);
	if (ret < 0) {
		buf_printf(out, "%s: cannot store revision %lld: %s; nothing changed\n",
			   domain_name(d->domain), (long long)next->revision, strerror(-ret));
		daemon_apply(d, &d->policy, &(struct errbuf){0});
		return CTL_FAILED;
	}
	policy_free(&d->policy);
	d->policy = *next;
	memset(next, 0, sizeof(*next));
	log_info("revision %lld by %s", (long long)d->policy.revision, author);
	buf_printf(out, "%s: revision %lld\n", domain_name(d->domain),
		   (long long)d->policy.revision);
	return CTL_OK;
}

static int
cmd_change(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
	   struct buf *out)
{
	struct change_opts o;
	struct errbuf eb = {0};
	struct policy next;
	int skip = change_opts_parse(argc, argv, &o), ret;

	if (o.base >= 0 && o.base != d->policy.revision) {
		buf_printf(out, "%s: the policy moved on (revision %lld, expected %lld); retry\n",
			   domain_name(d->domain), (long long)d->policy.revision, o.base);
		return CTL_FAILED;
	}
	if (policy_copy(&next, &d->policy) < 0)
		return CTL_FAILED;
	if (policy_edit(&next, argc - skip, argv + skip, &eb) < 0) {
		buf_puts(out, eb.text);
		policy_free(&next);
		return CTL_INVALID;
	}
	if (o.check) {
		buf_puts(out, "valid\n");
		policy_free(&next);
		return CTL_OK;
	}
	ret = change_commit(d, &next, peer, o.comment, out);
	policy_free(&next);
	return ret;
}

static int
cmd_reload(struct daemon *d, struct buf *out)
{
	struct errbuf eb = {0};

	if (daemon_apply(d, &d->policy, &eb) < 0) {
		buf_puts(out, eb.text);
		return CTL_FAILED;
	}
	buf_printf(out, "%s: revision %lld re-applied\n", domain_name(d->domain),
		   (long long)d->policy.revision);
	return CTL_OK;
}

static bool
is_change(int argc, char **argv)
{
	struct change_opts o;
	int skip = change_opts_parse(argc, argv, &o);

	return policy_edit_known(argc - skip, argv + skip);
}

int
daemon_handle(void *ctx, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	struct daemon *d = ctx;
	bool writes = is_change(argc, argv) || strcmp(argv[0], "reload") == 0 ||
		      is_roster_import(argc, argv) ||
		      (strcmp(argv[0], "roster") == 0 && argc > 1 && strcmp(argv[1], "status")) ||
		      strcmp(argv[0], "unlock") == 0 ||
		      (strcmp(argv[0], "key") == 0 && argc > 1 && strcmp(argv[1], "public"));

	if (writes && peer->uid != 0) {
		buf_printf(out, "%s: permission denied: changes need root\n", argv[0]);
		log_warnx("ctl: change refused for uid %u: %s", (unsigned)peer->uid, argv[0]);
		return CTL_DENIED;
	}
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(d, argc, argv, out);
	if (strcmp(argv[0], "revision") == 0) {
		buf_printf(out, "%lld\n", (long long)d->policy.revision);
		return CTL_OK;
	}
	if (argc >= 2 && strcmp(argv[0], "site") == 0 && strcmp(argv[1], "list") == 0)
		return cmd_site_list(d, argc, argv, out);
	if (argc >= 2 && strcmp(argv[0], "split") == 0 && strcmp(argv[1], "list") == 0)
		return cmd_split_list(d, argc, argv, out);
	if (strcmp(argv[0], "explain") == 0)
		return cmd_explain(d, argc, argv, out);
	if (argc == 2 && strcmp(argv[0], "show") == 0 && strcmp(argv[1], "config") == 0) {
		policy_print(&d->policy, out);
		return CTL_OK;
	}
	if (strcmp(argv[0], "reload") == 0)
		return cmd_reload(d, out);
	if (strcmp(argv[0], "key") == 0 || strcmp(argv[0], "unlock") == 0) {
		if (d->domain != DOMAIN_CRYPTO) {
			buf_printf(out, "%s: keys live only in the crypto domain\n", argv[0]);
			return CTL_INVALID;
		}
		return crypto_key_cmd(d, argc, argv, out);
	}
	if (is_change(argc, argv))
		return cmd_change(d, peer, argc, argv, out);
	if (strcmp(argv[0], "roster") == 0 || is_roster_import(argc, argv))
		return cmd_roster(d, peer, argc, argv, out);
	buf_printf(out, "%s: unknown command\n", argv[0]);
	return CTL_INVALID;
}
