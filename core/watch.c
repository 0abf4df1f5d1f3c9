// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/watch.c — crypto's handshake watch, the per-site kill switch.
 *
 * Every few seconds it reads each peer's last handshake and byte counters.
 * A site whose handshake is older than the limit (180 s: WireGuard's
 * REJECT_AFTER_TIME, so no session of it can be alive) while we send to it
 * and hear nothing back turns stale: its prefixes get unreachable routes, so
 * the LAN learns at once (ICMP) instead of queueing into a dead tunnel, and
 * status raises an alert. When a handshake comes back it is routed again.
 * While a site is stale the watch asks WireGuard for a handshake on every
 * round, since no traffic reaches the tunnel to ask for one.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/daemon.h"
#include "core/log.h"
#include "policy/route.h"
#include "storage/audit.h"
#include "wg/wg.h"

#define STALE_AFTER_DEFAULT 180
#define WATCH_INTERVAL_MAX 5.0

static struct site *
site_of(struct policy *p, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < p->nsites; i++)
		if (sodium_memcmp(p->sites[i].pubkey, key, WG_KEY_LEN) == 0)
			return &p->sites[i];
	return NULL;
}

/* The alarm and its end go to the audit log too, as security events. */
static void
alarm_audit(struct daemon *d, const struct site *s, const char *what)
{
	char summary[160], *words[] = {"handshake watch"};

	snprintf(summary, sizeof(summary), "site %s: %s", s->name, what);
	admin_audit(d, NULL, AUDIT_KIND_HANDSHAKE_ALARM, 1, words, d->policy.revision, summary,
		    AUDIT_OK);
}

/* Updates one site from its peer's state. Returns whether stale changed. */
static bool
watch_peer(struct daemon *d, struct site *s, const struct wg_peer_state *ps, int64_t now)
{
	bool sent = ps->tx_bytes != s->watch_tx, heard = ps->rx_bytes != s->watch_rx;
	int64_t since;

	if (!s->watch_since)
		s->watch_since = now;
	since = ps->last_handshake ? ps->last_handshake : s->watch_since;
	s->watch_tx = ps->tx_bytes;
	s->watch_rx = ps->rx_bytes;
	if (!s->stale && now - since > d->stale_after && sent && !heard) {
		s->stale = true;
		log_warnx("crypto: ALERT site %s: no handshake for %lld s while traffic waits; "
			  "its prefixes are unreachable",
			  s->name, (long long)(now - since));
		alarm_audit(d, s, "stale: its prefixes are unreachable");
		return true;
	}
	if (s->stale && ps->last_handshake && now - ps->last_handshake <= d->stale_after) {
		s->stale = false;
		log_info("crypto: site %s: handshake is back; its prefixes are routed again",
			 s->name);
		alarm_audit(d, s, "handshake back: routed again");
		return true;
	}
	return false;
}

/* A stale site's tunnel gets no traffic (its routes are unreachable): ask for a handshake. */
static void
poke(struct daemon *d, const struct site *s)
{
	struct wg_peer_conf pc = {.has_endpoint = s->has_endpoint,
				  .endpoint = s->endpoint,
				  .keepalive = s->keepalive};
	struct prefix *allowed;
	int ret;

	memcpy(pc.pubkey, s->pubkey, WG_KEY_LEN);
	ret = policy_site_allowed(&d->policy, s, &allowed, &pc.nallowed);
	if (ret == 0) {
		pc.allowed = allowed;
		ret = wg_poke(d->wg, &pc);
		free(allowed);
	}
	if (ret < 0)
		log_warnx("crypto: site %s: cannot ask for a handshake: %s", s->name,
			  strerror(-ret));
}

static void
watch_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	struct wg_dev_state st = {0};
	int64_t now = time(NULL);
	bool changed = false;
	int ret;

	(void)loop;
	(void)revents;
	if (!d->wg || !wg_alive(d->wg) || wg_get(d->wg, &st) < 0)
		return; /* the health check rebuilds the device */
	for (size_t i = 0; i < st.npeers; i++) {
		struct site *s = site_of(&d->policy, st.peers[i].pubkey);
		if (s && watch_peer(d, s, &st.peers[i], now))
			changed = true;
		if (s && s->stale)
			poke(d, s);
	}
	wg_state_free(&st);
	if (changed && (ret = route_apply(&d->policy, DOMAIN_CRYPTO, NULL)) < 0)
		log_warnx("crypto: handshake watch: routes: %s", strerror(-ret));
}

void
watch_start(struct daemon *d)
{
	const char *env = getenv("UMBRAL_STALE_AFTER");
	long v = env ? strtol(env, NULL, 10) : 0;
	double every;

	d->stale_after = v > 0 ? v : STALE_AFTER_DEFAULT;
	every = (double)d->stale_after / 3;
	if (every > WATCH_INTERVAL_MAX)
		every = WATCH_INTERVAL_MAX;
	if (every < 1)
		every = 1;
	ev_timer_init(&d->watch, watch_cb, every, every);
	d->watch.data = d;
	ev_timer_start(d->loop, &d->watch);
}

void
watch_stop(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->watch);
}

size_t
watch_stale(const struct policy *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nsites; i++)
		n += p->sites[i].stale;
	return n;
}
