/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/guardwatch.h — the alarms on what a domain's host protection counted
 * (core/guardwatch.c): never-match rules, and floods on WireGuard's port.
 */
#ifndef UMBRAL_GUARDWATCH_H
#define UMBRAL_GUARDWATCH_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "policy/guard.h"

#define GUARD_TOP 5 /* sources named in an alarm and in status */

struct daemon;

struct guard_watch {
	ev_timer timer;
	struct guard_counts last; /* counters of the previous reading (no sources) */
	bool have_baseline, read_failed;
	uint64_t never_total;		/* never-matches seen since start-up */
	time_t never_at, never_at_last; /* the last alarm, the last match */
	bool flooding;
	time_t flood_since, quiet_since;
	uint64_t flood_dropped; /* packets dropped since the flood began */
	struct guard_source top[GUARD_TOP];
	size_t ntop, nsources;
};

/* Polls once a second from now on; stop before the loop ends. */
void guardwatch_start(struct daemon *d);
void guardwatch_stop(struct daemon *d);
/* The alarms in status: text lines, or the JSON member ,"guard":{...}. */
void guardwatch_status(struct daemon *d, bool json, struct buf *out);

#endif
