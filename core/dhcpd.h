/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/dhcpd.h — the DHCPv4 server red's umbrald runs on the LAN (small
 * node): UDP port 67 on one interface, on the daemon's libev loop. Decisions
 * are dhcp_pool's; this part does the sockets, the ARP probe before an
 * offer, the counters and the writes to the lease table.
 *
 * Nothing here blocks except the SQLite write of a lease on ACK, RELEASE
 * and DECLINE (synchronous=FULL: one fsync per write).
 */
#ifndef UMBRAL_DHCPD_H
#define UMBRAL_DHCPD_H

#include <ev.h>
#include <net/if.h>
#include <stdint.h>

#include "core/dhcp_msg.h"
#include "core/dhcp_pool.h"
#include "storage/lease.h"

struct dhcpd_conf {
	char ifname[IF_NAMESIZE]; /* the LAN interface; dhcp.server must be on it */
	/*
	 * How long to wait for an answer to the ARP probe of an address before
	 * offering it (200 is good on a LAN); 0 offers without probing.
	 */
	unsigned probe_ms;
	struct dhcp_conf dhcp;
};

/* Counters since dhcpd_start(); kept across dhcpd_reconfigure(). */
struct dhcpd_stats {
	uint64_t discovers, offers, requests, acks, naks, releases, declines, informs;
	uint64_t dropped_malformed;              /* the sum of dropped[] */
	uint64_t dropped[DHCP_DROP_REASONS];     /* by enum dhcp_drop */
	uint64_t pool_exhausted;                 /* DISCOVERs left without an offer */
	uint64_t probe_conflicts;                /* probed addresses someone answered for */
	uint64_t relayed;                        /* via a relay (giaddr); served only if on the LAN */
	uint64_t send_errors, store_errors;
};

struct dhcpd;

/*
 * Opens the sockets (needs CAP_NET_RAW for the probe's AF_PACKET socket and
 * CAP_NET_BIND_SERVICE for port 67; without the former it logs once and
 * offers unprobed), loads the leases from ls and starts serving on loop.
 * ls (may be NULL: leases in memory only) and loop are borrowed and must
 * outlive the server; conf is copied. -EINVAL for a configuration
 * dhcp_pool_new() refuses, or a negative errno from a socket call.
 */
int dhcpd_start(struct ev_loop *loop, const struct dhcpd_conf *conf, struct lease_store *ls,
		struct dhcpd **out);

/*
 * Replaces the configuration without a restart: a complete new pool is
 * built and the leases carried over, then swapped in; on error nothing
 * changed. Leases outside the new pool are dropped, so those clients are
 * NAKed when they renew. Probes under way are abandoned (clients retry). A
 * different interface is refused with -EINVAL: stop and start instead.
 */
int dhcpd_reconfigure(struct dhcpd *d, const struct dhcpd_conf *conf);

/* Stops the watchers, closes the sockets and frees d; NULL is safe. */
void dhcpd_stop(struct dhcpd *d);

/* Every lease not FREE into *out (caller free()s; NULL when none), count in *n. */
int dhcpd_leases(struct dhcpd *d, struct dhcp_lease **out, size_t *n);

/* Valid until dhcpd_stop(d). */
const struct dhcpd_stats *dhcpd_stats(const struct dhcpd *d);

#endif
