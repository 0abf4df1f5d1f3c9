// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/admin.c — the administrator's record in each domain: every change and
 * every refusal this domain sees goes into its own hash-chained audit log
 * (storage/audit.c); the log, its verification, the revisions and the
 * difference between two of them are read back here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "policy/diff.h"
#include "storage/audit.h"
#include "storage/store.h"

#define AUDIT_LIST_MAX 2000 /* a reply stays well under CTL_MSG_MAX */
#define REVISIONS_MAX 1000

static enum audit_role
audit_role_of(const struct ctl_peer *peer)
{
	if (!peer)
		return AUDIT_ROLE_DAEMON;
	switch (peer->role) {
	case ROLE_ADMIN:
		return AUDIT_ROLE_ADMIN;
	case ROLE_OPERATOR:
		return AUDIT_ROLE_OPERATOR;
	default:
		return AUDIT_ROLE_NONE;
	}
}

/* Commands whose options may carry a secret (the unlock secret, a passphrase). */
static bool
secret_options(int argc, char **argv)
{
	return argc > 0 && (strcmp(argv[0], "unlock") == 0 || strcmp(argv[0], "key") == 0);
}

/* Appends c to buf at *used, a control byte as \xNN: a record stays one line. */
static void
put_char(char *buf, size_t len, size_t *used, unsigned char c)
{
	if (*used >= len)
		return;
	if (c < 0x20 || c == 0x7f)
		*used += (size_t)snprintf(buf + *used, len - *used, "\\x%02x", c);
	else if (*used + 1 < len) {
		buf[(*used)++] = (char)c;
		buf[*used] = '\0';
	}
}

/*
 * The command as recorded: argv joined with spaces, cut to fit. Every
 * record goes through here, whoever calls (a change, a refusal), so no path
 * can write a secret or a line break into the log: for unlock and key the
 * record stops at the first option.
 */
static void
join_words(int argc, char **argv, char *buf, size_t len)
{
	bool secret = secret_options(argc, argv);
	size_t used = 0;

	buf[0] = '\0';
	for (int i = 0; i < argc && used < len; i++) {
		if (secret && argv[i][0] == '-') {
			put_char(buf, len, &used, ' ');
			for (const char *c = "[options withheld]"; *c; c++)
				put_char(buf, len, &used, (unsigned char)*c);
			break;
		}
		if (i)
			put_char(buf, len, &used, ' ');
		for (const char *c = argv[i]; *c; c++)
			put_char(buf, len, &used, (unsigned char)*c);
	}
}

void
admin_audit_fill(struct daemon *d, const struct ctl_peer *peer, int kind, int argc, char **argv,
		 int64_t revision, const char *summary, int outcome, struct audit_rec *out)
{
	struct audit_rec r = {0};

	r.uid = peer ? peer->uid : getuid();
	if (peer)
		roles_user_name(peer->uid, r.user, sizeof(r.user));
	else
		snprintf(r.user, sizeof(r.user), "umbrald");
	r.role = audit_role_of(peer);
	r.domain = d->domain;
	r.kind = (enum audit_kind)kind;
	join_words(argc, argv, r.command, sizeof(r.command));
	r.revision = revision < 0 ? 0 : revision;
	snprintf(r.summary, sizeof(r.summary), "%s", summary ? summary : "");
	r.outcome = (enum audit_outcome)outcome;
	*out = r;
}

void
admin_audit(struct daemon *d, const struct ctl_peer *peer, int kind, int argc, char **argv,
	    int64_t revision, const char *summary, int outcome)
{
	struct audit_rec r;

	admin_audit_fill(d, peer, kind, argc, argv, revision, summary, outcome, &r);
	admin_audit_append(d, &r);
}

void
admin_audit_append(struct daemon *d, const struct audit_rec *r)
{
	int ret = audit_append(d->store, r, NULL);

	if (ret < 0)
		log_warnx("%s: cannot append to the audit log: %s", __func__, strerror(-ret));
	else
		admin_rotate_auto(d);
}

/* A clock that does not go back, for the refusal buckets. */
static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One record for refusals that were only counted. */
static void
refusal_summary(struct daemon *d, const struct refusals_summary *s)
{
	struct ctl_peer who = {.uid = s->uid, .role = ROLE_NONE};
	char user[64], from[96] = "other users", text[256], *words[] = {"(rate limit)"};

	if (!s->others) {
		roles_user_name(s->uid, user, sizeof(user));
		snprintf(from, sizeof(from), "uid %u (%s)", (unsigned)s->uid, user);
	}
	snprintf(text, sizeof(text),
		 "%" PRIu64 " more refusal%s from %s suppressed over %.0f s "
		 "(recorded: %u at once, then one per %.0f s)",
		 s->suppressed, s->suppressed == 1 ? "" : "s", from, s->seconds, d->refusals.burst,
		 d->refusals.refill_s);
	log_warnx("ctl: %s", text);
	admin_audit(d, s->others ? NULL : &who, AUDIT_KIND_REFUSED, 1, words, 0, text,
		    AUDIT_DENIED);
}

static void
refusal_arm(struct daemon *d, double now)
{
	double next = refusals_next(&d->refusals, now);

	ev_timer_stop(d->loop, &d->refusal_due);
	if (next < 0)
		return;
	ev_timer_set(&d->refusal_due, next + 0.01, 0.);
	ev_timer_start(d->loop, &d->refusal_due);
}

static void
refusal_due_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	struct refusals_summary s;
	double now = mono_now();

	(void)loop;
	(void)revents;
	while (refusals_due(&d->refusals, now, &s))
		refusal_summary(d, &s);
	refusal_arm(d, now);
}

void
admin_refused_init(struct daemon *d)
{
	const char *env = getenv("UMBRAL_REFUSAL_REFILL");
	double refill = env ? strtod(env, NULL) : 0;

	refusals_init(&d->refusals, REFUSALS_BURST, refill);
	ev_timer_init(&d->refusal_due, refusal_due_cb, 1., 0.);
	d->refusal_due.data = d;
}

void
admin_refuse(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
	     const char *why)
{
	struct refusals_summary s;
	double now = mono_now();
	char user[64];

	if (refusals_hit(&d->refusals, peer->uid, now, &s)) {
		if (s.suppressed)
			refusal_summary(d, &s);
		roles_user_name(peer->uid, user, sizeof(user));
		log_warnx("ctl: refused %s (uid %u, pid %d): %s", user, (unsigned)peer->uid,
			  (int)peer->pid, why);
		admin_audit(d, peer, AUDIT_KIND_REFUSED, argc, argv, 0, why, AUDIT_DENIED);
	}
	refusal_arm(d, now);
}

void
admin_refused(void *ctx, const struct ctl_peer *peer, int argc, char **argv)
{
	admin_refuse(ctx, peer, argc, argv, "refused at the socket: no role");
}

static void
rec_text(const struct audit_rec *r, struct buf *out)
{
	char when[32];
	time_t t = (time_t)r->time;
	struct tm tm;

	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	buf_printf(out, "%s %-6s #%-4" PRId64 " %-8s %s (uid %" PRIu32 ") %s", when,
		   domain_name(r->domain), r->seq, audit_role_name(r->role), r->user, r->uid,
		   audit_kind_name(r->kind));
	if (r->revision)
		buf_printf(out, " revision %" PRId64, r->revision);
	buf_printf(out, " %s: %s", audit_outcome_name(r->outcome), r->command);
	if (r->summary[0])
		buf_printf(out, " [%s]", r->summary);
}

/*
 * audit list [--since EPOCH] [--json] [--keyed]: oldest first, one record a
 * line. --keyed puts a fixed-width sort key first (time, domain, seq: 44
 * characters) so that the CLI can merge the three domains' logs.
 */
int
admin_audit_list(struct daemon *d, int argc, char **argv, struct buf *out)
{
	bool json = false, keyed = false;
	int64_t since = 0;
	struct audit_rec *recs;
	size_t n;
	int ret;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = true;
		else if (strcmp(argv[i], "--keyed") == 0)
			keyed = true;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = strtoll(argv[++i], NULL, 10);
		else {
			buf_printf(out, "audit list: unknown argument '%s'\n", argv[i]);
			return CTL_INVALID;
		}
	}
	ret = audit_list(d->store, since, AUDIT_LIST_MAX, &recs, &n);
	if (ret < 0) {
		buf_printf(out, "%s: cannot read the audit log: %s\n", domain_name(d->domain),
			   strerror(-ret));
		return CTL_FAILED;
	}
	if (!json) {
		admin_archives_note(d, out);
		if (n == AUDIT_LIST_MAX)
			buf_printf(out,
				   "# %s: only the newest %d records are shown; --since narrows\n",
				   domain_name(d->domain), AUDIT_LIST_MAX);
	}
	for (size_t i = 0; i < n; i++) {
		if (keyed)
			buf_printf(out, "%020" PRId64 " %d %020" PRId64 " ", recs[i].time,
				   (int)d->domain, recs[i].seq);
		if (json)
			audit_rec_json(&recs[i], out);
		else
			rec_text(&recs[i], out);
		buf_puts(out, "\n");
	}
	free(recs);
	return CTL_OK;
}

int
admin_audit_verify(struct daemon *d, struct buf *out)
{
	char why[256] = "";
	int64_t bad = 0, first = 0, last = 0;
	struct audit_rec *recs = NULL;
	size_t n = 0;
	int ret = audit_verify(d->store, &bad, why, sizeof(why));

	if (ret == -EBADMSG) {
		buf_printf(out, "%s: audit log BROKEN at record %" PRId64 ": %s\n",
			   domain_name(d->domain), bad, why);
		log_warnx("%s: audit record %" PRId64 ": %s", __func__, bad, why);
		return CTL_FAILED;
	}
	if (ret < 0) {
		buf_printf(out, "%s: cannot verify the audit log: %s\n", domain_name(d->domain),
			   strerror(-ret));
		return CTL_FAILED;
	}
	/* The span and the newest record: no need to hold the whole log in memory. */
	if (audit_span(d->store, &first, &last) < 0 || audit_list(d->store, 0, 1, &recs, &n) < 0)
		n = 0;
	buf_printf(out, "%s: audit log intact, %" PRId64 " records", domain_name(d->domain),
		   n ? last - first + 1 : 0);
	if (n) {
		buf_printf(out, " (%" PRId64 "-%" PRId64 "), newest hash ", first, last);
		for (int i = 0; i < AUDIT_HASH_LEN; i++)
			buf_printf(out, "%02x", recs[0].hash[i]);
	}
	buf_puts(out, "\n");
	free(recs);
	return admin_archives_verify(d, out) ? CTL_OK : CTL_FAILED;
}

int
admin_show_revisions(struct daemon *d, int argc, char **argv, struct buf *out)
{
	bool json = argc > 2 && strcmp(argv[2], "--json") == 0;
	struct store_rev *revs;
	size_t n;
	int ret = store_revisions(d->store, REVISIONS_MAX, &revs, &n);

	if (ret < 0) {
		buf_printf(out, "%s: cannot read revisions: %s\n", domain_name(d->domain),
			   strerror(-ret));
		return CTL_FAILED;
	}
	buf_puts(out, json ? "[" : "");
	for (size_t i = 0; i < n; i++) {
		char when[32];
		time_t t = (time_t)revs[i].time;
		struct tm tm;
		if (json) {
			buf_printf(out,
				   "%s{\"revision\":%" PRId64 ",\"time\":%" PRId64 ",\"author\":",
				   i ? "," : "", revs[i].number, revs[i].time);
			buf_json_str(out, revs[i].author);
			buf_puts(out, ",\"comment\":");
			buf_json_str(out, revs[i].comment);
			buf_puts(out, "}");
			continue;
		}
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
		buf_printf(out, "%5" PRId64 "  %s  %-24s %s%s\n", revs[i].number, when,
			   revs[i].author, revs[i].comment,
			   revs[i].number == d->policy.revision ? "  (current)" : "");
	}
	buf_puts(out, json ? "]\n" : "");
	free(revs);
	return CTL_OK;
}

/* Revision arg (a number, "current", or 0 for the empty policy) into *out. */
static int
load_rev(struct daemon *d, const char *arg, struct policy *out, struct buf *msg)
{
	char *end;
	long long rev = strcmp(arg, "current") == 0 ? d->policy.revision : strtoll(arg, &end, 10);
	int ret;

	if (strcmp(arg, "current") != 0 && (*end || end == arg || rev < 0)) {
		buf_printf(msg, "revision '%s': not a revision number\n", arg);
		return -EINVAL;
	}
	if (rev == 0) {
		policy_init(out);
		return 0;
	}
	ret = store_load_revision(d->store, rev, out);
	if (ret == -ENOENT)
		buf_printf(msg, "revision %lld: no such revision (newest is %lld)\n", rev,
			   (long long)d->policy.revision);
	else if (ret < 0)
		buf_printf(msg, "revision %lld: cannot load: %s\n", rev, strerror(-ret));
	return ret;
}

/* Loads revision arg for `rollback`: 0 or -1 with the reason in msg. */
int
admin_load_revision(struct daemon *d, const char *arg, struct policy *out, struct buf *msg)
{
	return load_rev(d, arg, out, msg) < 0 ? -1 : 0;
}

/* diff N [M]: from revision N to M (default: the current one). */
int
admin_diff(struct daemon *d, int argc, char **argv, struct buf *out)
{
	struct policy a, b;
	int ret;

	if (argc < 2 || argc > 3) {
		buf_puts(out, "diff: give one or two revision numbers: diff N [M]\n");
		return CTL_INVALID;
	}
	if (load_rev(d, argv[1], &a, out) < 0)
		return CTL_INVALID;
	if (load_rev(d, argc == 3 ? argv[2] : "current", &b, out) < 0) {
		policy_free(&a);
		return CTL_INVALID;
	}
	ret = policy_diff(&a, &b, out);
	policy_free(&a);
	policy_free(&b);
	return ret < 0 ? CTL_FAILED : CTL_OK;
}
