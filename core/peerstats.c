// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/peerstats.c — per-peer deltas between two polls of WireGuard, and
 * the count of handshakes seen (one each time latest-handshake moves).
 */
#include "core/peerstats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const struct peerstat *
peerstats_find(const struct peerstats *ps, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < ps->n; i++)
		if (memcmp(ps->v[i].pubkey, key, WG_KEY_LEN) == 0)
			return &ps->v[i];
	return NULL;
}

/* A counter that went down means the peer was re-created: count from zero. */
static uint64_t
delta(uint64_t now, uint64_t before)
{
	return now >= before ? now - before : now;
}

int
peerstats_update(struct peerstats *ps, const struct wg_dev_state *st)
{
	struct peerstat *v = calloc(st->npeers ? st->npeers : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < st->npeers; i++) {
		const struct wg_peer_state *p = &st->peers[i];
		const struct peerstat *old = peerstats_find(ps, p->pubkey);
		struct peerstat *s = &v[i];

		memcpy(s->pubkey, p->pubkey, WG_KEY_LEN);
		s->rx = p->rx_bytes;
		s->tx = p->tx_bytes;
		s->last_handshake = p->last_handshake;
		if (old) {
			s->drx = delta(p->rx_bytes, old->rx);
			s->dtx = delta(p->tx_bytes, old->tx);
			s->handshakes = old->handshakes;
			s->polls = old->polls;
		}
		if (p->last_handshake && (!old || p->last_handshake != old->last_handshake))
			s->handshakes++;
		s->polls++;
	}
	free(ps->v);
	ps->v = v;
	ps->n = st->npeers;
	return 0;
}

bool
peerstat_flowing(const struct peerstat *s)
{
	return s->polls > 1 && s->drx > 0;
}

void
peerstats_free(struct peerstats *ps)
{
	free(ps->v);
	ps->v = NULL;
	ps->n = 0;
}
