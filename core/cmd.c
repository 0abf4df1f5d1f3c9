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
#include "policy/ct.h"
#include "policy/diff.h"
#include "policy/edit.h"
#include "policy/explain.h"
#include "storage/audit.h"
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
		buf_printf(
		    out, ",\"sites\":%zu,\"applied\":%s,\"applies\":%u,\"apply_failures\":%u",
		    d->policy.nsites, d->applied ? "true" : "false", d->applies, d->apply_failures);
		buf_printf(out, ",\"last_apply_ms\":%.3f", d->last_apply_ms);
		buf_puts(out, ",\"apply_error\":");
		if (d->apply_error[0])
			buf_json_str(out, d->apply_error);
		else
			buf_puts(out, "null");
		admin_status(d, true, out);
		guardwatch_status(d, true, out);
		if (d->domain == DOMAIN_CRYPTO)
			crypto_status_json(d, out);
		if (d->domain == DOMAIN_RED) {
			red_ct_status(d, true, out);
			red_status_json(d, out);
		}
		buf_puts(out, "}\n");
		return CTL_OK;
	}
	buf_printf(out, "%-6s revision %lld, %s, up %lds, pid %d, %zu sites\n",
		   domain_name(d->domain), (long long)d->policy.revision,
		   d->applied ? "applied" : "NOT APPLIED", up, (int)getpid(), d->policy.nsites);
	if (d->apply_error[0])
		buf_printf(out, "  last error: %s\n", d->apply_error);
	admin_status(d, false, out);
	guardwatch_status(d, false, out);
	if (d->domain == DOMAIN_CRYPTO)
		crypto_status_text(d, out);
	if (d->domain == DOMAIN_RED) {
		red_ct_status(d, false, out);
		red_status_text(d, out);
	}
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
		} else if (strcmp(argv[i], "--confirm-at") == 0 && i + 1 < argc) {
			o->confirm_at = strtoll(argv[i + 1], NULL, 10);
			i += 2;
		} else {
			break;
		}
	}
	return i;
}

/*
 * Flows the new policy no longer allows must not live on through conntrack.
 * The filter is already right if this fails: say so, but do not undo.
 */
static void
prune_flows(struct daemon *d, const struct policy *old, const struct policy *next)
{
	struct ct_pruned r;
	int ret = ct_prune(old, next, d->ct, &r);

	if (ret < 0)
		log_warnx("conntrack: cannot prune flows of the old policy: %s", strerror(-ret));
	else if (r.deleted)
		log_info(
		    "conntrack: %zu flow%s the new policy routes differently deleted, of %zu %s",
		    r.deleted, r.deleted == 1 ? "" : "s", r.looked,
		    r.dumped ? "in the table" : "tracked");
}

/*
 * The revision and its audit record (rec NULL: none) in one transaction: a
 * daemon killed in between leaves neither, never a revision nobody recorded.
 */
static int
store_with_record(struct daemon *d, const struct policy *next, const char *author,
		  const char *comment, struct audit_rec *rec)
{
	int ret = store_batch_begin(d->store);

	if (ret < 0)
		return ret;
	ret = store_commit_change(d->store, &d->policy, next, author, comment);
	if (ret == 0 && rec) {
		rec->revision = next->revision;
		ret = audit_append(d->store, rec, NULL);
	}
	return store_batch_end(d->store, ret);
}

static int
commit(struct daemon *d, struct policy *next, const char *author, const char *comment,
       struct audit_rec *rec, struct buf *out)
{
	struct errbuf eb = {0};
	int ret;

	next->revision = d->policy.revision + 1;
	if (daemon_apply(d, next, &eb) < 0) {
		buf_printf(out, "%s: apply failed, nothing changed:\n%s", domain_name(d->domain),
			   eb.text);
		daemon_apply(d, &d->policy, &(struct errbuf){0}); /* back to what was */
		return CTL_FAILED;
	}
	if (d->domain == DOMAIN_RED)
		prune_flows(d, &d->policy, next);
	ret = store_with_record(d, next, author, comment, rec);
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

int
daemon_commit(struct daemon *d, struct policy *next, const char *author, const char *comment,
	      struct audit_rec *rec, struct buf *out)
{
	int st = commit(d, next, author, comment, rec, out);

	if (rec && st != CTL_OK) {
		/* No revision and no record were written: say it failed (revision 0, audit.h). */
		rec->revision = 0;
		rec->outcome = AUDIT_FAILED;
		admin_audit_append(d, rec);
	} else if (rec) {
		admin_rotate_auto(d);
	}
	return st;
}

/* The policy a change asks for: an edit of the current one, or an old revision's content. */
static int
change_target(struct daemon *d, int argc, char **argv, struct policy *next, struct buf *out)
{
	struct errbuf eb = {0};
	struct buf msg;

	if (strcmp(argv[0], "rollback") == 0) {
		if (argc != 2) {
			buf_puts(out, "rollback: give one revision number: rollback N\n");
			return CTL_INVALID;
		}
		buf_init(&msg);
		if (admin_load_revision(d, argv[1], next, &msg) < 0) {
			buf_printf(out, "rollback: %s", buf_str(&msg));
			buf_free(&msg);
			return CTL_INVALID;
		}
		buf_free(&msg);
		if (policy_validate(next, &eb) < 0) {
			buf_printf(out, "rollback: revision %s is not valid now:\n%s", argv[1],
				   eb.text);
			policy_free(next);
			return CTL_INVALID;
		}
		return CTL_OK;
	}
	if (strcmp(argv[0], "replace") == 0) {
		/* The whole policy, as show config prints it: repair of a domain left behind. */
		policy_init(next);
		argc--;
		argv++;
	} else if (policy_copy(next, &d->policy) < 0) {
		return CTL_FAILED;
	}
	/* A candidate of several edits comes as one request, the edits separated by ";". */
	for (int i = 0, start = 0; i <= argc; i++) {
		if (i < argc && strcmp(argv[i], ";") != 0)
			continue;
		if (i > start && policy_edit(next, i - start, argv + start, &eb) < 0) {
			buf_puts(out, eb.text);
			policy_free(next);
			return CTL_INVALID;
		}
		start = i + 1;
	}
	return CTL_OK;
}

/* The audit kind of a change: its first word says what made it. */
static int
change_kind(char **argv)
{
	if (strcmp(argv[0], "rollback") == 0)
		return AUDIT_KIND_ROLLBACK;
	if (strcmp(argv[0], "roster") == 0)
		return AUDIT_KIND_ROSTER_IMPORT;
	return AUDIT_KIND_CHANGE;
}

int
change_may_start(struct daemon *d, const struct change_opts *o, struct buf *out)
{
	if (o->base >= 0 && o->base != d->policy.revision) {
		buf_printf(out, "%s: the policy moved on (revision %lld, expected %lld); retry\n",
			   domain_name(d->domain), (long long)d->policy.revision, o->base);
		return CTL_FAILED;
	}
	return admin_confirm_blocks(d, out) ? CTL_FAILED : CTL_OK;
}

int
change_record(struct daemon *d, const struct ctl_peer *peer, const struct change_opts *o, int argc,
	      char **argv, struct policy *next, struct buf *out)
{
	char author[96], summary[AUDIT_SUMMARY_MAX + 1] = "";
	int64_t base = d->policy.revision;
	struct audit_rec rec;
	int st;

	policy_diff_summary(&d->policy, next, summary, sizeof(summary));
	author_of(peer, author, sizeof(author));
	admin_audit_fill(d, peer, change_kind(argv), argc, argv, 0, summary, AUDIT_OK, &rec);
	st = daemon_commit(d, next, author, o->comment, &rec, out);
	if (st == CTL_OK && o->confirm_at > 0) {
		admin_confirm_arm(d, base, d->policy.revision, o->confirm_at);
		buf_printf(out, "%s: goes back to revision %lld in %llds unless confirmed\n",
			   domain_name(d->domain), (long long)base,
			   o->confirm_at - (long long)time(NULL));
	}
	return st;
}

static int
cmd_change(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	struct change_opts o;
	struct policy next;
	int skip = change_opts_parse(argc, argv, &o), st;

	if ((st = change_may_start(d, &o, out)) != CTL_OK)
		return st;
	st = change_target(d, argc - skip, argv + skip, &next, out);
	if (st != CTL_OK) {
		if (!o.check)
			admin_audit(d, peer,
				    argc > skip ? change_kind(argv + skip) : AUDIT_KIND_CHANGE,
				    argc - skip, argv + skip, 0, "invalid", AUDIT_FAILED);
		return st;
	}
	if (o.check) {
		buf_puts(out, "valid\n");
		policy_free(&next);
		return CTL_OK;
	}
	st = change_record(d, peer, &o, argc - skip, argv + skip, &next, out);
	policy_free(&next);
	return st;
}

static int
cmd_reload(struct daemon *d, struct buf *out)
{
	struct errbuf eb = {0};

	if (daemon_apply_fresh(d, &eb) < 0) {
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

	if (skip < argc &&
	    (strcmp(argv[skip], "rollback") == 0 || strcmp(argv[skip], "replace") == 0))
		return true;
	return policy_edit_known(argc - skip, argv + skip);
}

static bool
is_word(int argc, char **argv, const char *a, const char *b)
{
	return argc >= (b ? 2 : 1) && strcmp(argv[0], a) == 0 && (!b || strcmp(argv[1], b) == 0);
}

/* What an operator may do: read. Anything not named here needs an admin. */
static bool
is_read(int argc, char **argv)
{
	return is_word(argc, argv, "status", NULL) || is_word(argc, argv, "revision", NULL) ||
	       is_word(argc, argv, "site", "list") || is_word(argc, argv, "split", "list") ||
	       is_word(argc, argv, "explain", NULL) || is_word(argc, argv, "show", NULL) ||
	       is_word(argc, argv, "diff", NULL) || is_word(argc, argv, "audit", "list") ||
	       is_word(argc, argv, "audit", "verify") || is_word(argc, argv, "key", "public") ||
	       is_word(argc, argv, "whoami", NULL) || is_word(argc, argv, "roster", "status") ||
	       is_word(argc, argv, "dhcp", "leases") || is_word(argc, argv, "dhcp", "stats");
}

static int
refuse_change(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	struct change_opts o;
	int skip = change_opts_parse(argc, argv, &o);
	char user[64];

	roles_user_name(peer->uid, user, sizeof(user));
	buf_printf(out,
		   "%s: permission denied: %s (uid %u) is an operator and may only read; "
		   "changes need root or group %s\n",
		   argc > skip ? argv[skip] : argv[0], user, (unsigned)peer->uid,
		   ROLES_ADMIN_GROUP);
	admin_refuse(d, peer, argc - skip, argv + skip, "permission denied: operator");
	return CTL_DENIED;
}

/* Keys live in crypto; creating or replacing one is a security event for the audit log. */
static int
key_cmd(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	int st = crypto_key_cmd(d, argc, argv, out);
	bool unlock = strcmp(argv[0], "unlock") == 0;
	bool rotates =
	    argc > 1 && (strcmp(argv[1], "generate") == 0 || strcmp(argv[1], "rotate") == 0);

	/* admin_audit keeps the secret-bearing options off the record. */
	if (unlock || rotates)
		admin_audit(d, peer, unlock ? AUDIT_KIND_UNLOCK : AUDIT_KIND_KEY_ROTATION, argc,
			    argv, 0,
			    st != CTL_OK ? ""
			    : unlock	 ? "sealed key opened"
					 : "new WireGuard key pair",
			    st == CTL_OK ? AUDIT_OK : AUDIT_FAILED);
	return st;
}

int
daemon_handle(void *ctx, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	struct daemon *d = ctx;

	if (peer->role != ROLE_ADMIN && !is_read(argc, argv))
		return refuse_change(d, peer, argc, argv, out);
	if (is_word(argc, argv, "whoami", NULL)) {
		char user[64];
		roles_user_name(peer->uid, user, sizeof(user));
		buf_printf(out, "%s %s\n", user, role_name(peer->role));
		return CTL_OK;
	}
	if (is_word(argc, argv, "audit", "list"))
		return admin_audit_list(d, argc, argv, out);
	if (is_word(argc, argv, "audit", "verify"))
		return admin_audit_verify(d, out);
	if (is_word(argc, argv, "audit", "rotate"))
		return admin_rotate(d, peer, argc, argv, out);
	if (is_word(argc, argv, "show", "revisions"))
		return admin_show_revisions(d, argc, argv, out);
	if (is_word(argc, argv, "diff", NULL))
		return admin_diff(d, argc, argv, out);
	if (is_word(argc, argv, "confirm", NULL))
		return admin_confirm(d, peer, out);
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
	if (argc >= 2 && strcmp(argv[0], "dhcp") == 0 &&
	    (strcmp(argv[1], "leases") == 0 || strcmp(argv[1], "stats") == 0))
		return red_dhcp_cmd(d, argc, argv, out);
	if (strcmp(argv[0], "key") == 0 || strcmp(argv[0], "unlock") == 0) {
		if (d->domain != DOMAIN_CRYPTO) {
			buf_printf(out, "%s: keys live only in the crypto domain\n", argv[0]);
			return CTL_INVALID;
		}
		return key_cmd(d, peer, argc, argv, out);
	}
	if (is_change(argc, argv))
		return cmd_change(d, peer, argc, argv, out);
	if (strcmp(argv[0], "roster") == 0 || is_roster_import(argc, argv))
		return cmd_roster(d, peer, argc, argv, out);
	buf_printf(out, "%s: unknown command\n", argv[0]);
	return CTL_INVALID;
}
