// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/state.c — the device state both backends report, and the diff that
 * turns it into the wanted conf: only what differs is sent, so re-applying
 * a conf is harmless and peers that stay keep their sessions.
 */
#include "wg/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "wg/key.h"

void
wg_state_free(struct wg_dev_state *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->npeers; i++)
		free(s->peers[i].allowed);
	free(s->peers);
	memset(s, 0, sizeof(*s));
}

/*
 * Makes room for element n of an array grown by doubling: capacity is
 * implied by n (4, 8, 16, ...), so the structs need no capacity field.
 */
static int
grow(void **arr, size_t n, size_t size)
{
	size_t cap;
	void *p;

	if (n == 0)
		cap = 4;
	else if (n >= 4 && (n & (n - 1)) == 0)
		cap = n * 2;
	else
		return 0;
	if (cap > SIZE_MAX / size)
		return -ENOMEM;
	p = realloc(*arr, cap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

struct wg_peer_state *
wg_state_add_peer(struct wg_dev_state *s, const uint8_t pubkey[WG_KEY_LEN])
{
	struct wg_peer_state *p;

	if (grow((void **)&s->peers, s->npeers, sizeof(*s->peers)) < 0)
		return NULL;
	p = &s->peers[s->npeers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->pubkey, pubkey, WG_KEY_LEN);
	return p;
}

int
wg_peer_add_allowed(struct wg_peer_state *p, const struct prefix *a)
{
	if (grow((void **)&p->allowed, p->nallowed, sizeof(*p->allowed)) < 0)
		return -ENOMEM;
	p->allowed[p->nallowed++] = *a;
	return 0;
}

static size_t
addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

bool
wg_prefix_valid(const struct prefix *a)
{
	size_t alen = addr_len(a->family);

	if (alen == 0 || a->len > alen * 8)
		return false;
	for (size_t bit = a->len; bit < 128; bit++)
		if (a->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

static bool
prefix_equal(const struct prefix *a, const struct prefix *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

static bool
endpoint_equal(const struct endpoint *a, const struct endpoint *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, addr_len(a->family)) == 0;
}

static const struct wg_peer_state *
state_find(const struct wg_dev_state *s, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < s->npeers; i++)
		if (memcmp(s->peers[i].pubkey, key, WG_KEY_LEN) == 0)
			return &s->peers[i];
	return NULL;
}

static bool
conf_has(const struct wg_conf *c, size_t upto, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < upto; i++)
		if (memcmp(c->peers[i].pubkey, key, WG_KEY_LEN) == 0)
			return true;
	return false;
}

/* Whether every prefix of want is among have's; O(n·m), n ≤ 256 per peer. */
static bool
prefixes_within(const struct prefix *want, size_t nw, const struct prefix *have, size_t nh)
{
	for (size_t i = 0; i < nw; i++) {
		size_t j;
		for (j = 0; j < nh; j++)
			if (prefix_equal(&want[i], &have[j]))
				break;
		if (j == nh)
			return false;
	}
	return true;
}

/* True when the device already has the peer exactly as wanted. */
static bool
peer_same(const struct wg_peer_state *cur, const struct wg_peer_conf *want)
{
	if (cur->keepalive != want->keepalive || cur->nallowed != want->nallowed)
		return false;
	/* No endpoint wanted: a roaming peer, whatever it learned is right. */
	if (want->has_endpoint &&
	    (!cur->has_endpoint || !endpoint_equal(&cur->endpoint, &want->endpoint)))
		return false;
	/* Same count and every wanted prefix present. */
	return prefixes_within(want->allowed, want->nallowed, cur->allowed, cur->nallowed);
}

static int
diff_device(const struct wg_dev_state *cur, const struct wg_conf *conf, struct wg_diff *d)
{
	uint8_t pub[WG_KEY_LEN];

	if (conf->privkey) {
		if (wg_key_public(pub, conf->privkey) < 0)
			return -EINVAL;
		if (!cur->has_pubkey || sodium_memcmp(pub, cur->pubkey, WG_KEY_LEN) != 0)
			d->privkey = conf->privkey;
	}
	/* wireguard-go rebinds its socket on every listen_port, even an equal one. */
	d->set_port = conf->listen_port != cur->listen_port;
	d->listen_port = conf->listen_port;
	d->set_fwmark = conf->fwmark != cur->fwmark;
	d->fwmark = conf->fwmark;
	return 0;
}

int
wg_diff_build(const struct wg_dev_state *cur, const struct wg_conf *conf, struct wg_diff *out)
{
	struct wg_diff d = {0};
	int ret;

	for (size_t i = 0; i < conf->npeers; i++)
		if (conf_has(conf, i, conf->peers[i].pubkey))
			return -EINVAL;
	ret = diff_device(cur, conf, &d);
	if (ret < 0)
		return ret;
	d.remove = calloc(cur->npeers + 1, WG_KEY_LEN);
	d.upsert = calloc(conf->npeers + 1, sizeof(*d.upsert));
	if (!d.remove || !d.upsert) {
		wg_diff_free(&d);
		return -ENOMEM;
	}
	for (size_t i = 0; i < cur->npeers; i++)
		if (!conf_has(conf, conf->npeers, cur->peers[i].pubkey))
			memcpy(d.remove[d.nremove++], cur->peers[i].pubkey, WG_KEY_LEN);
	for (size_t i = 0; i < conf->npeers; i++) {
		const struct wg_peer_state *p = state_find(cur, conf->peers[i].pubkey);
		if (!p || !peer_same(p, &conf->peers[i]))
			d.upsert[d.nupsert++] = &conf->peers[i];
	}
	*out = d;
	return 0;
}

void
wg_diff_free(struct wg_diff *d)
{
	if (!d)
		return;
	free(d->remove);
	free(d->upsert);
	memset(d, 0, sizeof(*d));
}

bool
wg_diff_empty(const struct wg_diff *d)
{
	return !d->privkey && !d->set_port && !d->set_fwmark && d->nremove == 0 &&
	       d->nupsert == 0;
}

/* What the device holds after d, built from cur, went in: conf, as far as we set it. */
int
wg_state_from_conf(const struct wg_dev_state *cur, const struct wg_conf *conf,
		   const struct wg_diff *d, struct wg_dev_state *out)
{
	struct wg_dev_state s = {0};
	int ret = 0;

	s.has_pubkey = cur->has_pubkey;
	memcpy(s.pubkey, cur->pubkey, WG_KEY_LEN);
	if (d->privkey) {
		if (wg_key_public(s.pubkey, d->privkey) < 0)
			return -EINVAL;
		s.has_pubkey = true;
	}
	s.listen_port = conf->listen_port;
	s.fwmark = conf->fwmark;
	for (size_t i = 0; i < conf->npeers && ret == 0; i++) {
		const struct wg_peer_conf *c = &conf->peers[i];
		struct wg_peer_state *p = wg_state_add_peer(&s, c->pubkey);
		if (!p) {
			ret = -ENOMEM;
			break;
		}
		p->has_endpoint = c->has_endpoint;
		p->endpoint = c->endpoint;
		p->keepalive = c->keepalive;
		for (size_t j = 0; j < c->nallowed && ret == 0; j++)
			ret = wg_peer_add_allowed(p, &c->allowed[j]);
	}
	if (ret < 0) {
		wg_state_free(&s);
		return ret;
	}
	*out = s;
	return 0;
}

static bool
allowed_same(const struct wg_peer_state *a, const struct wg_peer_state *b)
{
	return a->nallowed == b->nallowed &&
	       prefixes_within(a->allowed, a->nallowed, b->allowed, b->nallowed);
}

/*
 * Endpoints are not compared: a peer roams, and the device follows it
 * whatever was configured; everything that decides where plaintext may go
 * (peers, their allowed-ips) and how the device listens is.
 */
bool
wg_state_matches(const struct wg_dev_state *dev, const struct wg_dev_state *known)
{
	if (dev->has_pubkey != known->has_pubkey ||
	    (dev->has_pubkey && memcmp(dev->pubkey, known->pubkey, WG_KEY_LEN) != 0) ||
	    dev->listen_port != known->listen_port || dev->fwmark != known->fwmark ||
	    dev->npeers != known->npeers)
		return false;
	for (size_t i = 0; i < known->npeers; i++) {
		const struct wg_peer_state *p = state_find(dev, known->peers[i].pubkey);
		if (!p || p->keepalive != known->peers[i].keepalive ||
		    !allowed_same(p, &known->peers[i]))
			return false;
	}
	return true;
}
