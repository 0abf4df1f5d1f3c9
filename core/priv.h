/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/priv.h — least privilege (issue 7): the user an umbrald started as
 * root becomes, the capabilities each domain keeps, and the drop itself.
 *
 * Order at start-up, while still root: priv_user_lookup(), priv_give_tree()
 * on what the daemon owns, then priv_drop(), then sandbox_install()
 * (core/sandbox.h). Nothing here allocates; no function exits.
 */
#ifndef UMBRAL_PRIV_H
#define UMBRAL_PRIV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

#define PRIV_USER_DEFAULT "umbral"
#define PRIV_CAP(c) (UINT64_C(1) << (c))

struct priv_user {
	uid_t uid;
	gid_t gid; /* its primary group; it keeps no other */
	char name[64];
};

/* What a domain keeps: CAP_NET_ADMIN; red adds CAP_NET_RAW and CAP_NET_BIND_SERVICE (DHCP). */
uint64_t priv_domain_caps(enum domain d);

/* The system user name: 0, -ENOENT when there is none, -EINVAL for uid or gid 0. */
int priv_user_lookup(const char *name, struct priv_user *out);

/*
 * Makes dir and everything below it owned by u, never following a symbolic
 * link (each level is opened O_NOFOLLOW), at most 8 levels deep. 0 or -errno.
 */
int priv_give_tree(const char *dir, const struct priv_user *u);
/* The same for the entries of dir whose names begin with prefix (dir itself is not changed). */
int priv_give_entries(const char *dir, const char *prefix, const struct priv_user *u);

/*
 * Becomes u for good: no supplementary groups; real, effective and saved
 * ids of u; permitted, effective and bounding capabilities exactly caps;
 * inheritable exactly inherit (a subset of caps: what an exec'd child may
 * get as ambient, see priv_ambient); not dumpable; no_new_privs. Then checks
 * that root cannot be had back. Must be called as root. 0 or -errno.
 */
int priv_drop(const struct priv_user *u, uint64_t caps, uint64_t inherit);

/* Raises caps (already inheritable and permitted) into the ambient set, kept across execve. */
int priv_ambient(uint64_t caps);

/* "cap_net_admin,cap_net_raw" into buf (len bytes); returns buf. */
const char *priv_caps_format(uint64_t caps, char *buf, size_t len);

#endif
