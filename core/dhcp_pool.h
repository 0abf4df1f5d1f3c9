/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/dhcp_pool.h — DHCP lease decisions (RFC 2131 §4.3), pure: a request
 * and the time in, a verdict and a reply out. No I/O; the server (dhcpd.c)
 * sends, probes and writes leases to the database as told.
 *
 * A client is known by its key: the client identifier (option 61) when it
 * sends one, else 0x01 followed by its MAC (the same bytes as a client id of
 * hardware type 1, so a client that starts or stops sending one keeps its
 * address). Static leases are matched by MAC only.
 */
#ifndef UMBRAL_DHCP_POOL_H
#define UMBRAL_DHCP_POOL_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dhcp_msg.h"
#include "storage/lease.h"

#define DHCP_STATIC_MAX 256
/* The largest pool (each address costs ~350 bytes of memory). */
#define DHCP_POOL_MAX 4096
/* How long an offer holds its address for the client it was made to. */
#define DHCP_OFFER_HOLD 60
/* How long a declined (or probed-in-use) address is not offered. */
#define DHCP_DECLINE_HOLD 600

struct dhcp_static {
	uint8_t mac[6];
	struct in_addr ip;
	char name[DHCP_NAME_MAX + 1]; /* sent as option 12 if the client asks; may be "" */
};

/* The DHCP part of the policy. Addresses in network byte order. */
struct dhcp_conf {
	struct in_addr server; /* our address on the LAN; also the server id */
	uint8_t prefix_len;    /* of the LAN, 8..30 */
	struct in_addr pool_start, pool_end; /* inclusive, inside the LAN */
	uint32_t lease_time;                 /* seconds, >= 60 */
	struct in_addr router;               /* 0.0.0.0: not sent */
	struct in_addr dns[DHCP_DNS_MAX];
	uint8_t ndns;
	char domain[DHCP_DOMAIN_MAX + 1]; /* "": not sent */
	uint16_t mtu;                     /* 0: not sent; else >= 68 */
	struct dhcp_static statics[DHCP_STATIC_MAX];
	size_t nstatics;
};

struct dhcp_pool;

/*
 * A pool for conf (copied). -EINVAL, with a log line naming the field, for a
 * configuration that cannot work: a pool outside the LAN or larger than
 * DHCP_POOL_MAX, a static lease outside the LAN or on the server's address,
 * two statics with the same MAC or address. Addresses in the range that are
 * the server's, the network's or the broadcast are never offered; statics
 * inside the range are taken out of the dynamic pool.
 */
int dhcp_pool_new(const struct dhcp_conf *conf, struct dhcp_pool **out);
void dhcp_pool_free(struct dhcp_pool *p);
const struct dhcp_conf *dhcp_pool_conf(const struct dhcp_pool *p);

/*
 * Restores leases (from the database, or from the pool being replaced on a
 * reconfiguration). A lease for an address that is outside the pool, the
 * server's, or a static of another MAC is skipped and counted in *skipped
 * (may be NULL): its client will be NAKed when it renews.
 */
int dhcp_pool_load(struct dhcp_pool *p, const struct dhcp_lease *l, size_t n, size_t *skipped);

/*
 * Every lease that is not FREE, into *out (allocated; caller free()s; NULL
 * when none) and its count into *n.
 */
int dhcp_pool_leases(const struct dhcp_pool *p, struct dhcp_lease **out, size_t *n);

/* What the server should do with a request. */
enum dhcp_action {
	DHCP_IGNORE, /* say nothing */
	DHCP_SEND,   /* send reply */
	DHCP_PROBE,  /* check reply.yiaddr is unused first, then dhcp_pool_probed() */
};

struct dhcp_decision {
	enum dhcp_action action;
	struct dhcp_msg reply; /* when SEND or PROBE: the complete reply */
	bool persist;          /* lease is to be written to the database */
	struct dhcp_lease lease;
	bool exhausted; /* DISCOVER found no address */
};

/*
 * Decides on a request (any of DISCOVER, REQUEST, DECLINE, RELEASE, INFORM)
 * at time now. unicast says the request was sent to our address rather than
 * broadcast (a RENEWING client). Always returns 0 for a parsed request and
 * fills *d; -EINVAL for a NULL argument.
 *
 * A DISCOVER holds the chosen address for the client (DHCP_OFFER_HOLD) and
 * asks for a probe unless the address is the client's static or current
 * one. Leases change in memory here; d->persist says when to write d->lease.
 */
int dhcp_pool_handle(struct dhcp_pool *p, const struct dhcp_msg *req, bool unicast, int64_t now,
		     struct dhcp_decision *d);

/*
 * The probe of ip for the client of req came back: in_use means someone
 * answered. Unused: *d is the OFFER to send. In use: the address is held as
 * DECLINED for DHCP_DECLINE_HOLD and *d is a new decision for req (another
 * address, possibly another probe, or nothing when exhausted).
 */
int dhcp_pool_probed(struct dhcp_pool *p, const struct dhcp_msg *req, struct in_addr ip,
		     bool in_use, int64_t now, struct dhcp_decision *d);

/*
 * Where a reply goes (RFC 2131 §4.1): to the relay agent in giaddr (its
 * port 67) when there is one; else a NAK, or a reply to a client without an
 * address, to 255.255.255.255 — even without the broadcast flag, since we
 * do not write the client's MAC into the ARP cache; otherwise to ciaddr
 * (port 68).
 */
struct in_addr dhcp_reply_dest(const struct dhcp_msg *req, const struct dhcp_msg *reply);

/* The lease key of req (see above) into key (DHCP_KEY_MAX bytes); its length. */
uint8_t dhcp_client_key(const struct dhcp_msg *req, uint8_t key[DHCP_KEY_MAX]);

#endif
