/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/roles.h — who may do what on a control socket (DESIGN §5). The kernel
 * tells who is calling (SO_PEERCRED, SO_PEERGROUPS); root and the group
 * umbral-admin may change the policy, umbral-operator may only read, and
 * anyone else is refused at the socket.
 */
#ifndef UMBRAL_ROLES_H
#define UMBRAL_ROLES_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ROLES_ADMIN_GROUP "umbral-admin"
#define ROLES_OPERATOR_GROUP "umbral-operator"

enum role { ROLE_NONE, ROLE_OPERATOR, ROLE_ADMIN };

/* "none", "operator", "admin". */
const char *role_name(enum role r);

/*
 * The role of uid whose groups (primary and supplementary, as the kernel
 * reported them) are groups[0..n). Looks the two group names up each time, so
 * that a group created after the daemon started counts.
 */
enum role roles_classify(uid_t uid, const gid_t *groups, size_t n);

/*
 * The role of the process at the other end of a connected Unix socket fd,
 * from SO_PEERCRED and SO_PEERGROUPS. Returns 0 and writes *uid and *role, or
 * a negative errno when the kernel will not say (then nothing is allowed).
 */
int roles_of_socket(int fd, uid_t *uid, gid_t *gid, pid_t *pid, enum role *role);

/* The user name of uid into buf ("uid 1234" when it has none). */
void roles_user_name(uid_t uid, char *buf, size_t len);

#endif
