/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/ct_track.h — this namespace's conntrack entries, followed from
 * conntrack events, so that a change's prune (policy/ct.c) looks at red's
 * own flows instead of dumping the conntrack table: a dump walks every
 * bucket of the host's hash, which all namespaces share (262144 buckets on
 * a 24 GiB machine), and cost 10-18 ms of each change in red.
 *
 * The tracker owns a netlink socket subscribed to new and destroyed entries
 * and a hash of their original tuples, as ctnetlink sends them (the bytes a
 * delete names an entry by). It only says it knows every flow (valid) when
 * that is so: from its start, after a lost event (the socket overflowed),
 * with more than its maximum of flows, while the namespace sends no events
 * (net.netfilter.nf_conntrack_events = 0) or holds more entries than the
 * table (events were off for a while), it is not valid and the prune dumps
 * the table instead, then starts over from that dump.
 */
#ifndef UMBRAL_CT_TRACK_H
#define UMBRAL_CT_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

struct ct_track;

/* An original tuple (CTA_TUPLE_ORIG, header included) no longer than this is tracked. */
#define CT_TUPLE_MAX 96

/*
 * Opens the event socket in the current network namespace and an empty,
 * not yet valid table of at most max flows. Returns 0 or -errno.
 */
int ct_track_open(size_t max, struct ct_track **out);
/* A table without a socket, fed by ct_track_msg (for the unit tests). */
int ct_track_new(size_t max, struct ct_track **out);
void ct_track_close(struct ct_track *t);

/* The socket to watch for readability, or -1 for a table without one. */
int ct_track_fd(const struct ct_track *t);

/*
 * Reads pending events, at most max datagrams (never blocks): 0 when all
 * were read, -EAGAIN when more wait. A lost event makes the table not valid.
 * The event loop's watcher reads a few at a time, so that a flood of new
 * flows cannot starve the control socket.
 */
int ct_track_read(struct ct_track *t, int max);
/* Reads every pending event before a prune; if they do not stop coming, not valid. */
void ct_track_drain(struct ct_track *t);

/* The CTA_TUPLE_ORIG attribute of a ctnetlink message (event or dump), or NULL. */
const struct nlattr *ct_orig_tuple(const struct nlmsghdr *nlh);

/* Applies one ctnetlink event message (a new entry or a destroyed one). */
void ct_track_msg(struct ct_track *t, const struct nlmsghdr *nlh);

/*
 * Why the table may not hold every flow of the namespace now, or NULL if
 * it does: not valid, events off (nf_conntrack_events), or more entries in
 * the namespace than in the table. Changes nothing (status asks it).
 */
const char *ct_track_doubt(const struct ct_track *t);
/* Whether the table holds every flow; if not, it is dropped until a dump (the prune asks it). */
bool ct_track_valid(struct ct_track *t);
size_t ct_track_count(const struct ct_track *t);

/*
 * Starting over from a dump: ct_track_reset empties the table, ct_track_add
 * puts each dumped entry in (its family and CTA_TUPLE_ORIG attribute), and
 * ct_track_resynced makes the table valid unless something was lost since
 * the reset.
 */
void ct_track_reset(struct ct_track *t);
void ct_track_add(struct ct_track *t, uint8_t family, const struct nlattr *tuple);
void ct_track_resynced(struct ct_track *t);
/* Forgets one flow (deleted, or found gone). */
void ct_track_remove(struct ct_track *t, uint8_t family, const struct nlattr *tuple);

/*
 * Calls fn for every tracked flow with its family and CTA_TUPLE_ORIG; stops
 * at the first negative return and returns it. fn must not change t.
 */
typedef int (*ct_track_fn)(uint8_t family, const struct nlattr *tuple, void *data);
int ct_track_each(const struct ct_track *t, ct_track_fn fn, void *data);

#endif
