// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/confirm.c — confirmed commits: a change made with --confirm goes back
 * by itself unless `umbral confirm` comes in time. Each domain keeps its own
 * clock (armed with a deadline the CLI staggers so that the domains go back
 * in the fail-closed order), so no domain depends on another to undo a
 * change, and the promise survives a restart (it is kept in the store).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "storage/audit.h"
#include "storage/store.h"

#define META_KEY "confirm"
#define RETRY_S 5.0

static void
persist(struct daemon *d)
{
	char v[96];
	int ret;

	snprintf(v, sizeof(v), "%" PRId64 " %" PRId64 " %" PRId64, d->confirm_base, d->confirm_rev,
		 d->confirm_at);
	ret = store_meta_set(d->store, META_KEY, d->confirm_rev ? v : "");
	if (ret < 0)
		log_warnx("%s: cannot keep the pending confirmation: %s", __func__, strerror(-ret));
}

static void
clear(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->confirm);
	d->confirm_rev = 0;
	persist(d);
}

/* The time ran out: the content of confirm_base becomes the next revision. */
static void
expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	char base[24], comment[96], *words[] = {"rollback", base};
	struct policy next;
	struct audit_rec rec;
	struct buf msg;
	int st;

	(void)loop;
	(void)revents;
	snprintf(base, sizeof(base), "%" PRId64, d->confirm_base);
	snprintf(comment, sizeof(comment), "revision %" PRId64 " not confirmed: back to %" PRId64,
		 d->confirm_rev, d->confirm_base);
	buf_init(&msg);
	admin_audit_fill(d, NULL, AUDIT_KIND_ROLLBACK, 2, words, 0, comment, AUDIT_OK, &rec);
	if (admin_load_revision(d, base, &next, &msg) < 0) {
		st = CTL_FAILED;
		rec.outcome = AUDIT_FAILED;
		admin_audit_append(d, &rec);
	} else {
		st = daemon_commit(d, &next, "umbrald (confirm timeout)", comment, &rec, &msg);
		policy_free(&next);
	}
	if (st == CTL_OK) {
		log_info("%s", comment);
		clear(d);
	} else {
		log_warnx("%s: %s; retrying: %s", __func__, comment, buf_str(&msg));
		ev_timer_set(&d->confirm, RETRY_S, 0.);
		ev_timer_start(d->loop, &d->confirm);
	}
	buf_free(&msg);
}

static void
start_clock(struct daemon *d)
{
	double left = (double)(d->confirm_at - time(NULL));

	ev_timer_stop(d->loop, &d->confirm);
	ev_timer_init(&d->confirm, expired, left > 0 ? left : 0.01, 0.);
	d->confirm.data = d;
	ev_timer_start(d->loop, &d->confirm);
}

void
admin_init(struct daemon *d)
{
	char v[96];
	long long base, rev, at;

	ev_timer_init(&d->confirm, expired, 1., 0.);
	d->confirm.data = d;
	if (store_meta_get(d->store, META_KEY, v, sizeof(v)) < 0 ||
	    sscanf(v, "%lld %lld %lld", &base, &rev, &at) != 3)
		return;
	if (rev != d->policy.revision) {
		/* The pending revision never got stored here, or was replaced: nothing to undo. */
		clear(d);
		return;
	}
	d->confirm_base = base;
	d->confirm_rev = rev;
	d->confirm_at = at;
	log_info("revision %lld awaits confirmation; back to %lld in %llds", rev, base,
		 at - (long long)time(NULL));
	start_clock(d);
}

int
admin_confirm_arm(struct daemon *d, int64_t base, int64_t rev, int64_t at)
{
	d->confirm_base = base;
	d->confirm_rev = rev;
	d->confirm_at = at;
	persist(d);
	start_clock(d);
	return 0;
}

bool
admin_confirm_blocks(struct daemon *d, struct buf *out)
{
	if (!d->confirm_rev)
		return false;
	buf_printf(out,
		   "%s: revision %" PRId64 " awaits confirmation (back to revision %" PRId64
		   " in %llds): run 'umbral confirm' first, or let it go back\n",
		   domain_name(d->domain), d->confirm_rev, d->confirm_base,
		   (long long)(d->confirm_at - time(NULL)));
	return true;
}

int
admin_confirm(struct daemon *d, const struct ctl_peer *peer, struct buf *out)
{
	char *words[] = {"confirm"};
	int64_t rev = d->confirm_rev;

	if (!rev) {
		buf_printf(out, "%s: nothing awaits confirmation (revision %lld)\n",
			   domain_name(d->domain), (long long)d->policy.revision);
		return CTL_OK;
	}
	clear(d);
	admin_audit(d, peer, AUDIT_KIND_CHANGE, 1, words, rev, "confirmed", AUDIT_OK);
	buf_printf(out, "%s: revision %" PRId64 " confirmed\n", domain_name(d->domain), rev);
	return CTL_OK;
}

void
admin_status(struct daemon *d, bool json, struct buf *out)
{
	long long left = (long long)(d->confirm_at - time(NULL));

	if (json) {
		if (d->confirm_rev)
			buf_printf(out,
				   ",\"confirm\":{\"revision\":%" PRId64 ",\"back_to\":%" PRId64
				   ",\"seconds_left\":%lld}",
				   d->confirm_rev, d->confirm_base, left);
		else
			buf_puts(out, ",\"confirm\":null");
		return;
	}
	if (d->confirm_rev)
		buf_printf(out, "  awaiting confirmation: back to revision %" PRId64 " in %llds\n",
			   d->confirm_base, left);
}
