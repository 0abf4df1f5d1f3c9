/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/lan.h — the LAN side of the policy: red's DHCP server (pool,
 * options, static leases) and, for a large node, routes to prefixes behind
 * the site's own router. Changes in the administrator's words
 * ("dhcp set --pool A-B", "dhcp static add MAC IP", "lan route add P via GW"),
 * validation, printing back, and the defaults derived from red's LAN address.
 */
#ifndef UMBRAL_POLICY_LAN_H
#define UMBRAL_POLICY_LAN_H

#include "core/buf.h"
#include "policy/policy.h"

/* The DHCP defaults: on, pool and router derived, one hour leases, no DNS. */
void lan_dhcp_init(struct dhcp_policy *d);

/* True when argv is a change this module makes (dhcp set|static, lan route). */
bool lan_edit_known(int argc, char **argv);

/*
 * Applies one change to p in place (the caller works on a copy and
 * validates the whole afterwards). Every problem goes to eb; -EINVAL then.
 * "lan route add" also makes the prefix one of the node's secure prefixes
 * unless one of them holds it already; "lan route del" takes back the one
 * it added.
 */
int lan_edit(struct policy *p, int argc, char **argv, struct errbuf *eb);

/* Checks the DHCP settings and LAN routes; every error goes to eb. */
void lan_validate(const struct policy *p, struct errbuf *eb);
bool lan_equal(const struct policy *a, const struct policy *b);
/* Appends the commands that re-create the DHCP settings and LAN routes. */
void lan_print(const struct policy *p, struct buf *out);

/* "aa:bb:cc:dd:ee:ff" (case-insensitive). 0 or -EINVAL. */
int lan_mac_parse(const char *s, uint8_t mac[6]);
/* Writes the MAC into buf (at least 18 bytes); returns buf. */
char *lan_mac_format(const uint8_t mac[6], char *buf, size_t len);

/*
 * The pool used when none is set, for a LAN where red is server/plen:
 * on a /24 or larger, from the network's .100 up (at most 4096 addresses);
 * on a smaller one, its upper half. Network byte order.
 */
void lan_dhcp_default_pool(struct in_addr server, uint8_t plen, struct in_addr *start,
			   struct in_addr *end);

#endif
