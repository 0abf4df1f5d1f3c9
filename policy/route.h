/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/route.h — the policy compiled into one domain's policy-routing rules
 * and routes, applied over rtnetlink.
 *
 * route_plan() is pure: it says what the domain wants. route_apply() makes
 * the kernel match the plan and touches only what Umbral owns: routes with
 * rtm_protocol RTPROT_UMBRAL and rules with priority in
 * [RULE_PRIO, RULE_PRIO + RULE_PRIO_SPAN - 1]. Every function returns 0 or a
 * negative errno.
 */
#ifndef UMBRAL_ROUTE_H
#define UMBRAL_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>

#include "policy/policy.h"

/* 85: unused in iproute2's rt_protos and in <linux/rtnetlink.h>. */
#define RTPROT_UMBRAL 0x55
#define RULE_PRIO_SPAN 100
/* Highest metric: the kill switch's unreachable default loses to any real route. */
#define ROUTE_METRIC_LAST 4294967295u
/* Room for one route or rule message (ours carry at most six attributes). */
#define ROUTE_MSG_MAX 512

/* One desired route. dev is empty for RTN_UNREACHABLE. */
struct route_want {
	uint8_t family;
	uint32_t table;
	uint8_t type; /* RTN_UNICAST or RTN_UNREACHABLE */
	struct prefix dst;
	bool has_gw; /* gateway routes are always onlink */
	uint8_t gw[16];
	char dev[16];
	uint32_t metric;
};

/* One desired fib rule, action "lookup table". */
struct rule_want {
	uint8_t family;
	uint32_t prio;
	uint32_t table;
	uint32_t mark, mask; /* mark 0 mask 0 = match all */
};

/*
 * The routes and rules domain d wants for policy p. Pure. On success the
 * caller owns and frees both arrays; on failure nothing is written.
 * -EINVAL for an unknown domain, -ENOMEM.
 */
int route_plan(const struct policy *p, enum domain d, struct route_want **routes, size_t *nroutes,
	       struct rule_want **rules, size_t *nrules);

/*
 * Makes the current netns's state equal the plan: adds or replaces what is
 * missing, then deletes Umbral's routes and rules the plan no longer has
 * (rules are added before old ones go, so marked traffic never falls through
 * to the main table). Every device the plan names is looked up first: if one
 * is missing (wg0 before WireGuard is up), the route is logged and -ENODEV
 * returned with nothing changed. Idempotent. *changed (may be NULL) tells
 * whether anything was sent; it is written also on failure.
 */
int route_apply(const struct policy *p, enum domain d, bool *changed);
/*
 * route_apply() remembers the plan it made true and diffs the next one
 * against it. route_check(): whether the kernel still holds exactly that
 * (*drifted false) or not; route_forget(): the next apply reads the kernel
 * (a link went down and took its routes). 0 or a negative errno.
 */
int route_check(enum domain d, bool *drifted);
void route_forget(void);

/*
 * Message builders and parser, exported for the unit tests. The builders
 * write one RTM_NEWROUTE/RTM_DELROUTE (or RTM_NEWRULE/RTM_DELRULE) message
 * into buf (ROUTE_MSG_MAX bytes) with protocol RTPROT_UMBRAL; oif is the
 * index of r->dev (0 for none). Tables above 255 go in RTA_TABLE/FRA_TABLE.
 * Gateway routes carry RTNH_F_ONLINK. A delete matches any scope
 * (RT_SCOPE_NOWHERE) and a rule delete carries no FRA_PROTOCOL, so that it
 * names the object by what it matches.
 */
struct nlmsghdr *route_msg_route(char *buf, uint16_t type, uint16_t flags,
				 const struct route_want *r, uint32_t oif);
struct nlmsghdr *route_msg_rule(char *buf, uint16_t type, uint16_t flags,
				const struct rule_want *u);
/* A route or rule as the kernel reports it (a dump), with what route_want omits. */
struct route_seen {
	struct route_want r; /* dev left empty; has_gw when RTA_GATEWAY is present */
	uint32_t oif;
	uint32_t flags; /* rtm_flags: RTNH_F_ONLINK, RTNH_F_LINKDOWN, ... */
	uint8_t protocol;
};
struct rule_seen {
	struct rule_want u;
	uint8_t action; /* FR_ACT_* */
};
/* Parse one RTM_NEWROUTE / RTM_NEWRULE message. -EINVAL if malformed or not IPv4/IPv6. */
int route_msg_parse_route(const struct nlmsghdr *nlh, struct route_seen *s);
int route_msg_parse_rule(const struct nlmsghdr *nlh, struct rule_seen *s);

#endif
