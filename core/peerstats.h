/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/peerstats.h — what crypto learns by polling WireGuard on a timer:
 * per peer, the bytes moved in the last interval (is traffic flowing, or is
 * there only a green handshake over a dead path?) and how many handshakes
 * (session renewals, every ~120 s while traffic flows) this umbrald has seen.
 *
 * A struct peerstats owns its array; peerstats_free() releases it.
 */
#ifndef UMBRAL_CORE_PEERSTATS_H
#define UMBRAL_CORE_PEERSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wg/wg.h"

struct peerstat {
	uint8_t pubkey[WG_KEY_LEN];
	uint64_t rx, tx;     /* counters at the last poll */
	uint64_t drx, dtx;   /* moved during the last interval */
	int64_t last_handshake;
	unsigned handshakes; /* distinct handshake times seen since start */
	unsigned polls;	     /* how many polls saw this peer */
};

struct peerstats {
	struct peerstat *v;
	size_t n;
	double interval; /* seconds between polls */
};

/*
 * Takes in a new poll of the device: peers gone from it are dropped, new
 * ones start with this poll. Returns 0 or -ENOMEM (ps unchanged).
 */
int peerstats_update(struct peerstats *ps, const struct wg_dev_state *st);
/* The stats of peer key, or NULL when not polled yet. */
const struct peerstat *peerstats_find(const struct peerstats *ps, const uint8_t key[WG_KEY_LEN]);
/* Traffic came in from the peer during the last interval. */
bool peerstat_flowing(const struct peerstat *s);
void peerstats_free(struct peerstats *ps);

#endif
