// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/crypto.c — the crypto domain's part of umbrald: the node's WireGuard
 * identity, the wg0 device and its peers (one per site), and their state.
 * The private key lives only here, in sodium memory, and is never printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "wg/key.h"
#include "wg/wg.h"

#define CRYPTO_HEALTH_INTERVAL 1.0
#define CRYPTO_PEER_INTERVAL 5.0 /* "flowing" means bytes came in during this */

/* -ENAMETOOLONG rather than a silently shortened path. */
static int
uapi_path(const struct daemon *d, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/crypto-%s.uapi", d->run_dir, IF_WG) < (int)len
		       ? 0
		       : -ENAMETOOLONG;
}

/* WireGuard can vanish under us (wireguard-go killed, wg0 deleted): notice and rebuild. */
static void
health_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	if (!d->wg || !wg_alive(d->wg)) {
		log_warnx("crypto: %s is gone; rebuilding it", IF_WG);
		daemon_reapply_soon(d);
	}
}

static void
peer_poll_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	struct wg_dev_state st = {0};

	(void)loop;
	(void)revents;
	if (!d->wg || wg_get(d->wg, &st) < 0)
		return;
	if (wg_drifted(d->wg, &st)) {
		log_warnx("crypto: %s differs from what the last apply set; re-applying", IF_WG);
		daemon_reapply_soon(d);
	}
	if (peerstats_update(&d->peerstats, &st) < 0)
		log_warnx("crypto: peer statistics: out of memory");
	else
		watch_update(d, &st);
	wg_state_free(&st);
}

int
crypto_init(struct daemon *d)
{
	char legacy[PATH_MAX];
	int ret;

	if ((ret = crypto_unlock_boot(d)) == -ENOMEM)
		return ret;
	if (snprintf(legacy, sizeof(legacy), "%s/private.key", d->state_dir) < (int)sizeof(legacy) &&
	    access(legacy, F_OK) == 0)
		log_warnx("crypto: %s is a plaintext key of an older umbrald and is not used; "
			  "delete it (umbral key generate seals a new one)",
			  legacy);
	if (!d->privkey)
		log_info("crypto: %s", crypto_has_keystore(d)
					       ? "locked: forwarding nothing until umbral unlock"
					       : "no key yet (umbral key generate)");
	ev_timer_init(&d->health, health_cb, CRYPTO_HEALTH_INTERVAL, CRYPTO_HEALTH_INTERVAL);
	d->health.data = d;
	ev_timer_start(d->loop, &d->health);
	watch_init(d);
	d->peerstats.interval = CRYPTO_PEER_INTERVAL;
	ev_timer_init(&d->peer_poll, peer_poll_cb, 0.5, CRYPTO_PEER_INTERVAL);
	d->peer_poll.data = d;
	ev_timer_start(d->loop, &d->peer_poll);
	return 0;
}

void
crypto_fini(struct daemon *d)
{
	ev_timer_stop(d->loop, &d->health);
	ev_timer_stop(d->loop, &d->peer_poll);
	peerstats_free(&d->peerstats);
	wg_close(d->wg); /* the device keeps running: the kernel holds the state */
	d->wg = NULL;
	sodium_free(d->privkey);
	d->privkey = NULL;
}

static int
ensure_device(struct daemon *d, const struct policy *p)
{
	char path[PATH_MAX];

	if (d->wg && wg_alive(d->wg))
		return 0;
	wg_close(d->wg);
	d->wg = NULL;
	if (uapi_path(d, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	return wg_open(IF_WG, p->node.mtu, path, &d->wg);
}

int
crypto_apply(struct daemon *d, const struct policy *p, struct errbuf *eb)
{
	struct wg_peer_conf *peers = calloc(p->nsites + 1, sizeof(*peers));
	struct wg_conf conf = {0};
	struct tunnels t = {0};
	int ret;

	if (!peers || policy_tunnels_index(p, &t) < 0) {
		free(peers);
		return -ENOMEM;
	}
	ret = ensure_device(d, p);
	if (ret < 0) {
		errbuf_add(eb, "crypto: %s: cannot create the device", IF_WG);
		free(peers);
		free(t.v);
		return ret;
	}
	for (size_t i = 0; i < p->nsites && ret == 0; i++) {
		const struct site *s = &p->sites[i];
		struct prefix *allowed;
		memcpy(peers[i].pubkey, s->pubkey, WG_KEY_LEN);
		peers[i].has_endpoint = s->has_endpoint;
		peers[i].endpoint = s->endpoint;
		peers[i].keepalive = s->keepalive;
		ret = policy_site_allowed_in(&t, s, &allowed, &peers[i].nallowed);
		peers[i].allowed = allowed;
	}
	conf.privkey = d->privkey;
	conf.listen_port = p->node.listen_port;
	conf.fwmark = MARK_WG;
	conf.peers = peers;
	/* Locked (or keyless): wg0 keeps no peer, so nothing is forwarded (fail-closed). */
	conf.npeers = d->privkey ? p->nsites : 0;
	if (ret == 0)
		ret = wg_set(d->wg, &conf);
	for (size_t i = 0; i < p->nsites; i++)
		free((void *)peers[i].allowed);
	free(peers);
	free(t.v);
	return ret;
}

/* What the poller saw: traffic in the last interval, handshakes counted. */
static void
peer_stats_json(const struct peerstats *pst, const struct wg_peer_state *ps, struct buf *out)
{
	const struct peerstat *s = peerstats_find(pst, ps->pubkey);

	buf_printf(out, ",\"interval\":%g,\"rx_last_interval\":%llu,\"tx_last_interval\":%llu",
		   pst->interval, s ? (unsigned long long)s->drx : 0ULL,
		   s ? (unsigned long long)s->dtx : 0ULL);
	buf_printf(out, ",\"flowing\":%s,\"handshakes\":%u",
		   s && peerstat_flowing(s) ? "true" : "false", s ? s->handshakes : 0);
}

static void
peer_json(const struct daemon *d, const struct wg_peer_state *ps, time_t now, struct buf *out)
{
	const struct site *s = policy_site_by_key(&d->policy, ps->pubkey);
	char key[WG_KEY_B64_LEN], tmp[80];

	key_to_base64(key, ps->pubkey);
	buf_puts(out, "{\"site\":");
	if (s)
		buf_json_str(out, s->name);
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"stale\":%s", s && s->stale ? "true" : "false");
	buf_printf(out, ",\"public_key\":\"%s\",\"endpoint\":", key);
	if (ps->has_endpoint)
		buf_json_str(out, endpoint_format(&ps->endpoint, tmp, sizeof(tmp)));
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"latest_handshake\":%lld,\"handshake_age\":", (long long)ps->last_handshake);
	if (ps->last_handshake)
		buf_printf(out, "%lld", (long long)(now - ps->last_handshake));
	else
		buf_puts(out, "null");
	buf_printf(out, ",\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"allowed_ips\":[",
		   (unsigned long long)ps->rx_bytes, (unsigned long long)ps->tx_bytes);
	for (size_t j = 0; j < ps->nallowed; j++) {
		buf_puts(out, j ? "," : "");
		buf_json_str(out, prefix_format(&ps->allowed[j], tmp, sizeof(tmp)));
	}
	buf_puts(out, "]");
	peer_stats_json(&d->peerstats, ps, out);
	buf_puts(out, "}");
}

static const char *
keystore_state(const struct daemon *d)
{
	if (d->privkey)
		return "unlocked";
	return crypto_has_keystore(d) ? "locked" : "none";
}

void
crypto_status_json(struct daemon *d, struct buf *out)
{
	struct wg_dev_state st = {0};
	char key[WG_KEY_B64_LEN];
	bool up = d->wg && wg_alive(d->wg);
	time_t now = time(NULL);

	buf_printf(out, ",\"wireguard\":{\"interface\":\"%s\",\"up\":%s,\"backend\":", IF_WG,
		   up ? "true" : "false");
	buf_json_str(out, d->wg ? wg_backend(d->wg) : "none");
	buf_printf(out, ",\"pid\":%d,\"public_key\":", d->wg ? (int)wg_pid(d->wg) : 0);
	if (d->privkey) {
		uint8_t pub[WG_KEY_LEN];
		wg_key_public(pub, d->privkey);
		key_to_base64(key, pub);
		buf_printf(out, "\"%s\"", key);
	} else {
		buf_puts(out, "null");
	}
	buf_printf(out, ",\"keystore\":\"%s\",\"locked\":%s", keystore_state(d),
		   d->privkey || !crypto_has_keystore(d) ? "false" : "true");
	buf_puts(out, ",\"peers\":[");
	if (up && wg_get(d->wg, &st) == 0) {
		for (size_t i = 0; i < st.npeers; i++) {
			buf_puts(out, i ? "," : "");
			peer_json(d, &st.peers[i], now, out);
		}
		wg_state_free(&st);
	}
	buf_puts(out, "]}");
}

static void
peer_text(const struct daemon *d, const struct wg_peer_state *ps, time_t now, struct buf *out)
{
	const struct site *s = policy_site_by_key(&d->policy, ps->pubkey);
	const struct peerstat *st = peerstats_find(&d->peerstats, ps->pubkey);
	char tmp[80];

	buf_printf(out, "  peer %-12s endpoint %-22s", s ? s->name : "(unknown)",
		   ps->has_endpoint ? endpoint_format(&ps->endpoint, tmp, sizeof(tmp)) : "(none)");
	if (ps->last_handshake)
		buf_printf(out, " handshake %llds ago", (long long)(now - ps->last_handshake));
	else
		buf_puts(out, " handshake never");
	buf_printf(out, "  rx %llu B  tx %llu B", (unsigned long long)ps->rx_bytes,
		   (unsigned long long)ps->tx_bytes);
	if (st)
		buf_printf(out, "  %s (rx %llu B in %gs)  handshakes %u",
			   peerstat_flowing(st) ? "flowing" : "NOT FLOWING",
			   (unsigned long long)st->drx, d->peerstats.interval, st->handshakes);
	buf_puts(out, "\n");
	if (s && s->stale)
		buf_printf(out, "  ALERT: site %s: no handshake while traffic waits; its prefixes "
				"are unreachable (kill switch)\n",
			   s->name);
}

void
crypto_status_text(struct daemon *d, struct buf *out)
{
	struct wg_dev_state st = {0};
	bool up = d->wg && wg_alive(d->wg);
	time_t now = time(NULL);

	buf_printf(out, "  wireguard %s (%s%s), key %s\n", IF_WG, up ? "up" : "DOWN",
		   d->wg ? (strcmp(wg_backend(d->wg), "kernel") ? ", wireguard-go" : ", kernel")
			 : "",
		   d->privkey		     ? "unlocked"
		   : crypto_has_keystore(d) ? "locked (umbral unlock): forwarding nothing"
					    : "MISSING (umbral key generate)");
	if (up && wg_get(d->wg, &st) == 0) {
		for (size_t i = 0; i < st.npeers; i++)
			peer_text(d, &st.peers[i], now, out);
		wg_state_free(&st);
	}
}
