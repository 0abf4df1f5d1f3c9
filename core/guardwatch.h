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

struct daemon;
struct mnl_socket;

struct guard_watch {
	ev_timer timer;
	struct mnl_socket *nl;	  /* kept open: it is read every second */
	struct guard_counts last; /* the previous reading: counters, and the flood's top sources */
	bool have_baseline, read_failed;
	uint64_t never_total; /* never-matches seen since start-up */
	time_t never_at;      /* the last never-match alarm */
	bool flooding;
	time_t flood_since, quiet_since;
	uint64_t flood_dropped; /* packets dropped since the flood began */
};

/* Polls once a second from now on; stop before the loop ends. */
void guardwatch_start(struct daemon *d);
void guardwatch_stop(struct daemon *d);
/* The alarms in status: text lines, or the JSON member ,"guard":{...}. */
void guardwatch_status(struct daemon *d, bool json, struct buf *out);

#endif
