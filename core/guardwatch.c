// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/guardwatch.c — every domain's alarms on what its table's host
 * protection counted (policy/guard.h): a rule that must never match did,
 * and (black, crypto) a flood on WireGuard's port began or ended, with the
 * sources the guard blocked. Polled once a second, so an alarm is raised
 * within seconds; each goes to the log (syslog when umbrald runs with it),
 * the audit log and status.
 *
 * The first reading after start-up is the baseline: what an earlier run of
 * the daemon already reported is not reported again. A flood ends when no
 * source is blocked any more (a blocked source stays so for
 * GUARD_BLOCK_SECONDS after its last packet) and nothing was dropped for
 * FLOOD_QUIET seconds.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/daemon.h"
#include "core/log.h"
#include "core/nl.h"
#include "storage/audit.h"

#define GUARD_POLL_INTERVAL 1.0
#define FLOOD_QUIET 3
#define NEVER_REPEAT 60 /* seconds: a steady trickle of never-matches alarms once a minute */

/* cur - last, where a smaller cur means the table was replaced (counters start again). */
static uint64_t
delta(uint64_t cur, uint64_t last)
{
	return cur >= last ? cur - last : cur;
}

static void
audit_event(struct daemon *d, int kind, const char *summary)
{
	char *words[] = {"guard watch"};

	admin_audit(d, NULL, kind, 1, words, d->policy.revision, summary, AUDIT_OK);
}

/* "a (n packets), b (n packets)" of the top sources, into buf. */
static void
sources_text(const struct guard_counts *g, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->ntop && at < len; i++) {
		inet_ntop(g->top[i].family, g->top[i].addr, addr, sizeof(addr));
		at += (size_t)snprintf(buf + at, len - at, "%s%s (%" PRIu64 " packets)",
				       i ? ", " : "", addr, g->top[i].packets);
	}
	if (g->nsources > g->ntop && at < len)
		snprintf(buf + at, len - at, " and %zu more", g->nsources - g->ntop);
}

static void
never_check(struct daemon *d, struct guard_watch *w, uint64_t dn, time_t now)
{
	char summary[200];

	if (!dn)
		return;
	w->never_total += dn;
	if (w->never_at && now - w->never_at < NEVER_REPEAT)
		return;
	w->never_at = now;
	snprintf(summary, sizeof(summary),
		 "%" PRIu64 " packets hit a rule that must never match (%" PRIu64 " so far)", dn,
		 w->never_total);
	log_warnx("%s: ALERT: %s", domain_name(d->domain), summary);
	audit_event(d, AUDIT_KIND_NEVER_MATCH, summary);
}

static void
flood_begin(struct daemon *d, struct guard_watch *w, const struct guard_counts *g, time_t now)
{
	char summary[400], top[300];

	w->flooding = true;
	w->flood_since = now;
	sources_text(g, top, sizeof(top));
	snprintf(summary, sizeof(summary), "flood on udp/%u began; blocked: %s",
		 d->policy.node.listen_port,
		 g->nsources ? top : "none (no single source over the limit)");
	log_warnx("%s: ALERT: %s", domain_name(d->domain), summary);
	audit_event(d, AUDIT_KIND_DOS_ALERT, summary);
}

static void
flood_end(struct daemon *d, struct guard_watch *w, time_t now)
{
	char summary[200];

	w->flooding = false;
	snprintf(summary, sizeof(summary),
		 "flood on udp/%u ended after %lld s: %" PRIu64 " packets dropped",
		 d->policy.node.listen_port, (long long)(now - w->flood_since), w->flood_dropped);
	log_info("%s: %s", domain_name(d->domain), summary);
	audit_event(d, AUDIT_KIND_DOS_ALERT, summary);
	w->flood_dropped = 0;
}

static void
flood_check(struct daemon *d, struct guard_watch *w, const struct guard_counts *g, uint64_t dd,
	    time_t now)
{
	bool active = g->nsources > 0 || dd > 0;

	if (active) {
		w->quiet_since = 0;
		w->flood_dropped += dd;
		if (!w->flooding)
			flood_begin(d, w, g, now);
		return;
	}
	if (!w->flooding)
		return;
	if (!w->quiet_since)
		w->quiet_since = now;
	if (now - w->quiet_since >= FLOOD_QUIET)
		flood_end(d, w, now);
}

static void
poll_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct daemon *d = t->data;
	struct guard_watch *w = &d->guard;
	struct guard_counts g;
	time_t now = time(NULL);
	int ret = 0;

	(void)loop;
	(void)revents;
	if (!w->nl && !(w->nl = nl_open(NETLINK_NETFILTER)))
		ret = -errno;
	if (ret == 0 && (ret = guard_read(w->nl, d->domain, &g)) < 0 && ret != -ENOENT) {
		mnl_socket_close(w->nl); /* a reply may be half read: start clean next time */
		w->nl = NULL;
	}
	if (ret < 0) {
		if (ret != -ENOENT && !w->read_failed)
			log_warnx("%s: guard watch: cannot read counters: %s",
				  domain_name(d->domain), strerror(-ret));
		w->read_failed = ret != -ENOENT;
		return;
	}
	w->read_failed = false;
	if (w->have_baseline) {
		never_check(d, w, delta(g.never, w->last.never), now);
		if (d->domain != DOMAIN_RED)
			flood_check(d, w, &g,
				    delta(g.blocked, w->last.blocked) +
					delta(g.global, w->last.global),
				    now);
	}
	w->have_baseline = true;
	w->last = g;
}

void
guardwatch_start(struct daemon *d)
{
	ev_timer_init(&d->guard.timer, poll_cb, GUARD_POLL_INTERVAL, GUARD_POLL_INTERVAL);
	d->guard.timer.data = d;
	ev_timer_start(d->loop, &d->guard.timer);
}

void
guardwatch_stop(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->guard.timer);
	if (d->guard.nl)
		mnl_socket_close(d->guard.nl);
	d->guard.nl = NULL;
}

void
guardwatch_status(struct daemon *d, bool json, struct buf *out)
{
	const struct guard_watch *w = &d->guard;
	char addr[INET6_ADDRSTRLEN], top[300];

	if (!json) {
		if (w->flooding) {
			sources_text(&w->last, top, sizeof(top));
			buf_printf(
			    out, "  ALERT: flood on udp/%u for %llds; blocked: %s\n",
			    d->policy.node.listen_port, (long long)(time(NULL) - w->flood_since),
			    w->last.nsources ? top : "none (no single source over the limit)");
		}
		if (w->never_total)
			buf_printf(out,
				   "  ALERT: %" PRIu64 " packets hit rules that must never match\n",
				   w->never_total);
		return;
	}
	buf_printf(out, ",\"guard\":{\"never\":%" PRIu64, w->never_total);
	if (d->domain != DOMAIN_RED) {
		buf_printf(out,
			   ",\"flood\":%s,\"flood_since\":%lld,\"flood_dropped\":%" PRIu64
			   ",\"blocked\":%zu,\"top_sources\":[",
			   w->flooding ? "true" : "false",
			   w->flooding ? (long long)w->flood_since : 0LL, w->flood_dropped,
			   w->last.nsources);
		for (size_t i = 0; i < w->last.ntop; i++) {
			const struct guard_source *src = &w->last.top[i];
			inet_ntop(src->family, src->addr, addr, sizeof(addr));
			buf_printf(out, "%s{\"address\":\"%s\",\"packets\":%" PRIu64 "}",
				   i ? "," : "", addr, src->packets);
		}
		buf_puts(out, "]");
	}
	buf_puts(out, "}");
}
