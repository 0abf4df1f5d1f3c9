/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/conntrack.h — black forgets its connection tracking when its WAN link
 * changes: NAT bindings made through the old uplink (WireGuard's DNAT and
 * SNAT, masqueraded direct traffic) would otherwise keep sending from an
 * address the node no longer has, and WireGuard could not roam.
 */
#ifndef UMBRAL_CORE_CONNTRACK_H
#define UMBRAL_CORE_CONNTRACK_H

/* Deletes every conntrack entry of this network namespace. Returns 0 or -errno. */
int conntrack_flush(void);

#endif
