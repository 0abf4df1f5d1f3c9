/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/ct.h — conntrack entries that outlive their rule, or their uplink.
 *
 * Red accepts a flow's later packets by conntrack state, so a flow that a
 * rule allowed would go on after the rule is gone. After a change, ct_prune()
 * deletes (ctnetlink) every entry of the current network namespace whose
 * path, as policy_explain() computes it from the entry's original tuple,
 * differs between the old and the new policy: its next packet is then judged
 * by the new policy. Only flows the change can move are explained
 * (explain_scope). The entries come from red's tracker (policy/ct_track.h).
 */
#ifndef UMBRAL_CT_H
#define UMBRAL_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "policy/explain.h"
#include "policy/policy.h"

struct ct_track;

/* What a prune did: flows looked at, where from, and how many deleted. */
struct ct_pruned {
	size_t looked, deleted;
	bool dumped; /* from a dump of the table, not from the tracker */
};

/*
 * Deletes the entries whose path changed from old to new. The flows are t's
 * when t knows them all; otherwise (or t NULL) a dump of the table's, from
 * which t starts over. *out (may be NULL) says what it did. Returns 0 or a
 * negative errno; an entry that vanished meanwhile is not an error.
 */
int ct_prune(const struct policy *old, const struct policy *new, struct ct_track *t,
	     struct ct_pruned *out);

/* Fills t from a dump of the table, so that it knows every flow from now on. */
int ct_sync(struct ct_track *t);

/*
 * Deletes every entry of this network namespace. Black does when its WAN
 * link changes: NAT bindings made through the old uplink (WireGuard's DNAT
 * and SNAT, masqueraded direct traffic) would keep sending from an address
 * the node no longer has, and WireGuard could not roam. Returns 0 or -errno.
 */
int ct_flush(void);

/*
 * Reads the original tuple of one ctnetlink message into *pkt, as the prune
 * reads each flow's (for the unit tests). Returns 0, or -EINVAL when it has
 * no usable tuple.
 */
int ct_msg_tuple(const struct nlmsghdr *nlh, struct explain_pkt *pkt);

#endif
