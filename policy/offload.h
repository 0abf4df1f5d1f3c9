/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/offload.h — receive aggregation (GRO) of the decrypted stream on
 * its way from crypto into red.
 *
 * wireguard-go writes each decrypted packet to wg0 on its own, so crypto
 * forwards them to red one by one, red forwards each again, and the LAN host
 * acknowledges each pair: every packet and every ACK costs a trip through
 * the whole chain (the ACKs through WireGuard too). A veth aggregates what
 * it receives (GRO, in NAPI) when GRO is on at the receiving end, but only
 * for packets whose sender has TCP segmentation offload off (with TSO on
 * the kernel assumes the sender already hands over large packets). So red
 * turns GRO on on to-crypto and crypto, when it runs wireguard-go, turns TSO
 * off on to-red: everything crypto sends there came out of wg0 at most one
 * MTU long, so TSO had nothing to do. With the kernel's WireGuard (which
 * aggregates in wg0 itself) crypto keeps TSO on: turning it off would only
 * cut those aggregates up again. Throughput only: no packet is let through
 * or held back by any of it. In the two-site lab (2 CPUs, wireguard-go) the
 * LAN host then gets 2.6-6.5 KB aggregates instead of 1434-byte packets, and
 * iperf3 through the chain gained 16% (median of 10 rounds, each against
 * the same lab without it: 403 vs 348 Mbit/s, CPU per byte -13%).
 *
 * This module owns those two features on those two links; the other links'
 * features are left as the kernel made them.
 */
#ifndef UMBRAL_OFFLOAD_H
#define UMBRAL_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/policy.h"

enum offload_feature {
	OFFLOAD_GRO, /* generic receive offload (ethtool "gro") */
	OFFLOAD_TSO, /* every TCP segmentation offload (ethtool "tso") */
};

struct offload_want {
	const char *link;
	enum offload_feature feature;
	bool on;
};

#define OFFLOAD_WANT_MAX 4

/*
 * What domain d wants of its links' features; wg_userspace: crypto runs
 * wireguard-go (ignored for the other domains). Writes at most n entries to
 * out and returns how many it wanted to write (more than n: out is cut).
 */
size_t offload_plan(enum domain d, bool wg_userspace, struct offload_want *out, size_t n);

/*
 * Brings the current netns's links to offload_plan(d, wg_userspace): reads
 * each feature (SIOCETHTOOL) and sets only those that differ; idempotent. A
 * link that is not there, or that has no such feature (a device other than
 * a veth), is skipped. Needs CAP_NET_ADMIN. Tries every entry; returns 0 or
 * the first negative errno, each failure logged with its link. Called at
 * every apply; a feature changed under us is a link event (RTM_NEWLINK),
 * whose re-apply sets it back, and a link made anew gets it the same way.
 */
int offload_apply(enum domain d, bool wg_userspace);

/* The ethtool name of f ("gro", "tso"), for messages and tests. */
const char *offload_feature_name(enum offload_feature f);

#endif
