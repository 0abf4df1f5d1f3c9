/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/lease.h — DHCP leases kept in the domain's database (table lease,
 * one row per address), so that a client keeps its address across an
 * umbrald restart. Written on ACK, RELEASE and DECLINE only; offers live in
 * memory. Functions return 0 or a negative errno as store.h describes.
 */
#ifndef UMBRAL_LEASE_H
#define UMBRAL_LEASE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* The key: the client identifier (option 61), else 0x01 then the MAC (its RFC 2132 form). */
#define DHCP_KEY_MAX 255
#define DHCP_NAME_MAX 63

enum dhcp_lease_state {
	DHCP_LEASE_FREE,     /* never given to anyone (memory only) */
	DHCP_LEASE_OFFERED,  /* offered, until expiry (memory only in practice) */
	DHCP_LEASE_BOUND,    /* ACKed, until expiry */
	DHCP_LEASE_RELEASED, /* given back at expiry; the key is kept to return it */
	DHCP_LEASE_DECLINED, /* in use by someone unknown; not offered until expiry */
};

struct dhcp_lease {
	struct in_addr ip;
	enum dhcp_lease_state state;
	int64_t expiry; /* seconds since the epoch */
	uint8_t mac[6];
	uint8_t key_len; /* 0 for FREE and DECLINED */
	uint8_t key[DHCP_KEY_MAX];
	char hostname[DHCP_NAME_MAX + 1];
};

struct lease_store;

/* Prepares the lease statements on st's database; st must outlive the result. */
int lease_open(struct store *st, struct lease_store **out);
/* NULL is safe. Does not close st. */
void lease_close(struct lease_store *ls);
/* Inserts or replaces the row for l->ip. FREE and OFFERED are refused (-EINVAL). */
int lease_put(struct lease_store *ls, const struct dhcp_lease *l);
/* Removes the row for ip; absent is not an error. */
int lease_delete(struct lease_store *ls, struct in_addr ip);
/*
 * Every row, in no set order, into *out (allocated; caller free()s; NULL
 * when there is none) and its count into *n. A row that does not parse is
 * logged and gives -EIO.
 */
int lease_load(struct lease_store *ls, struct dhcp_lease **out, size_t *n);

const char *lease_state_name(enum dhcp_lease_state s);

#endif
