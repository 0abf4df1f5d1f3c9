// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/roles.c — a control-socket caller's role from what the kernel says
 * about it: uid 0 is admin; otherwise membership of umbral-admin or
 * umbral-operator among the caller's groups at connect time.
 */
#include "core/roles.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/socket.h>

#define PEER_GROUPS_MAX 256

const char *
role_name(enum role r)
{
	switch (r) {
	case ROLE_ADMIN:
		return "admin";
	case ROLE_OPERATOR:
		return "operator";
	default:
		return "none";
	}
}

static bool
has_group(const char *name, const gid_t *groups, size_t n)
{
	struct group *g = getgrnam(name);

	if (!g)
		return false;
	for (size_t i = 0; i < n; i++)
		if (groups[i] == g->gr_gid)
			return true;
	return false;
}

enum role
roles_classify(uid_t uid, const gid_t *groups, size_t n)
{
	if (uid == 0 || has_group(ROLES_ADMIN_GROUP, groups, n))
		return ROLE_ADMIN;
	if (has_group(ROLES_OPERATOR_GROUP, groups, n))
		return ROLE_OPERATOR;
	return ROLE_NONE;
}

int
roles_of_socket(int fd, uid_t *uid, gid_t *gid, pid_t *pid, enum role *role)
{
	gid_t groups[PEER_GROUPS_MAX + 1];
	struct ucred cred;
	socklen_t clen = sizeof(cred), glen = sizeof(groups) - sizeof(groups[0]);
	size_t n;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) < 0)
		return -errno;
	/* A caller in more groups than that is refused rather than half-judged. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &glen) < 0)
		return -errno;
	n = glen / sizeof(groups[0]);
	groups[n++] = cred.gid;
	*uid = cred.uid;
	*gid = cred.gid;
	*pid = cred.pid;
	*role = roles_classify(cred.uid, groups, n);
	return 0;
}

void
roles_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
}
