// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/watch.c — crypto's handshake watch, the per-site kill switch.
 *
 * On every poll of the device (core/crypto.c's peer poll, which also keeps
 * the per-peer deltas in d->peerstats) it looks at each peer's last handshake.
 * A site whose handshake is older than the limit (180 s: WireGuard's
 * REJECT_AFTER_TIME, so no session of it can be alive) while we send to it
 * and hear nothing back turns stale: its prefixes get unreachable routes, so
 * the LAN learns at once (ICMP) instead of queueing into a dead tunnel, and
 * status raises an alert. When a handshake comes back it is routed again.
 * While a site is stale the watch asks WireGuard for a handshake on every
 * round, since no traffic reaches the tunnel to ask for one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/daemon.h"
#include "core/log.h"
#include "policy/route.h"
#include "storage/audit.h"
#include "wg/wg.h"

#define STALE_AFTER_DEFAULT 180

/* The alarm and its end go to the audit log too, as security events. */
static void
alarm_audit(struct daemon *d, const struct site *s, const char *what)
{
	char summary[160], *words[] = {"handshake watch"};

	snprintf(summary, sizeof(summary), "site %s: %s", s->name, what);
	admin_audit(d, NULL, AUDIT_KIND_HANDSHAKE_ALARM, 1, words, d->policy.revision, summary,
		    AUDIT_OK);
}

enum watch_change { WATCH_SAME, WATCH_STALE, WATCH_BACK };

/*
 * Judges one site from its peer's state and the poll's deltas. A peer that
 * never shook hands counts from the first poll that saw it.
 */
static enum watch_change
watch_peer(struct daemon *d, struct site *s, const struct wg_peer_state *ps,
	   const struct peerstat *pst, int64_t now)
{
	int64_t since = ps->last_handshake
			    ? ps->last_handshake
			    : now - (int64_t)(pst->polls * d->peerstats.interval);

	if (!s->stale && now - since > d->stale_after && pst->dtx && !pst->drx) {
		s->stale = true;
		log_warnx("crypto: ALERT site %s: no handshake for %lld s while traffic waits; "
			  "its prefixes are unreachable",
			  s->name, (long long)(now - since));
		alarm_audit(d, s, "stale: its prefixes are unreachable");
		return WATCH_STALE;
	}
	if (s->stale && ps->last_handshake && now - ps->last_handshake <= d->stale_after) {
		s->stale = false;
		log_info("crypto: site %s: handshake is back; its prefixes are routed again",
			 s->name);
		alarm_audit(d, s, "handshake back: routed again");
		return WATCH_BACK;
	}
	return WATCH_SAME;
}

/*
 * A stale site's tunnel gets no traffic (its routes are unreachable): ask for
 * a handshake. t: the policy's tunnel rules, indexed once for every poke of
 * this poll (t->v NULL until the first).
 */
static void
poke(struct daemon *d, struct tunnels *t, const struct site *s)
{
	struct wg_peer_conf pc = {.has_endpoint = s->has_endpoint,
				  .endpoint = s->endpoint,
				  .keepalive = s->keepalive};
	struct prefix *allowed;
	int ret = t->v ? 0 : policy_tunnels_index(&d->policy, t);

	memcpy(pc.pubkey, s->pubkey, WG_KEY_LEN);
	if (ret == 0)
		ret = policy_site_allowed_in(t, s, &allowed, &pc.nallowed);
	if (ret == 0) {
		pc.allowed = allowed;
		ret = wg_poke(d->wg, &pc);
		free(allowed);
	}
	if (ret < 0)
		log_warnx("crypto: site %s: cannot ask for a handshake: %s", s->name,
			  strerror(-ret));
}

void
watch_update(struct daemon *d, const struct wg_dev_state *st)
{
	int64_t now = time(NULL);
	bool changed = false, back = false;
	struct tunnels t = {0};
	struct errbuf eb = {0};
	int ret;

	/* peerstats_update() has just taken this same poll: its v[i] is peers[i]'s. */
	for (size_t i = 0; i < st->npeers && i < d->peerstats.n; i++) {
		struct site *s = policy_site_by_key(&d->policy, st->peers[i].pubkey);
		enum watch_change c;
		if (!s)
			continue;
		c = watch_peer(d, s, &st->peers[i], &d->peerstats.v[i], now);
		changed |= c != WATCH_SAME;
		back |= c == WATCH_BACK;
		if (s->stale)
			poke(d, &t, s);
	}
	free(t.v);
	/* The pokes left persistent keepalive on: a site that is back gets its own again. */
	if (back && (ret = crypto_apply(d, &d->policy, &eb)) < 0)
		log_warnx("crypto: handshake watch: WireGuard: %s", strerror(-ret));
	if (changed && (ret = route_apply(&d->policy, DOMAIN_CRYPTO, NULL)) < 0)
		log_warnx("crypto: handshake watch: routes: %s", strerror(-ret));
}

void
watch_init(struct daemon *d)
{
	const char *env = getenv("UMBRAL_STALE_AFTER");
	long v = env ? strtol(env, NULL, 10) : 0;

	d->stale_after = v > 0 ? v : STALE_AFTER_DEFAULT;
}
