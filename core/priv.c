// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/priv.c — an umbrald started as root becomes a system user with only
 * the network capabilities its domain needs (issue 7). Raw capget/capset and
 * prctl: five system calls do not need a library.
 */
#include "core/priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define GIVE_DEPTH_MAX 8

uint64_t
priv_domain_caps(enum domain d)
{
	uint64_t caps = PRIV_CAP(CAP_NET_ADMIN);

	/* The DHCP server binds port 67 and probes with ARP on a packet socket. */
	if (d == DOMAIN_RED)
		caps |= PRIV_CAP(CAP_NET_RAW) | PRIV_CAP(CAP_NET_BIND_SERVICE);
	return caps;
}

int
priv_user_lookup(const char *name, struct priv_user *out)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (!pw)
		return errno ? -errno : -ENOENT;
	/* Becoming root again, or keeping root's group, would not be a drop. */
	if (pw->pw_uid == 0 || pw->pw_gid == 0 || strlen(name) >= sizeof(out->name))
		return -EINVAL;
	out->uid = pw->pw_uid;
	out->gid = pw->pw_gid;
	snprintf(out->name, sizeof(out->name), "%s", name);
	return 0;
}

static int give_dir(int dfd, bool self, const char *prefix, const struct priv_user *u, int depth);

/*
 * Gives one file. The user it goes to may write this directory, so the
 * name is no proof of what it names: the inode is pinned (O_PATH, not
 * following a link), and one with another hard link is refused, since it
 * could be a root file linked in to be given away. A symbolic link is left
 * alone. Only the pinned inode changes owner.
 */
static int
give_file(int dfd, const char *name, const struct priv_user *u)
{
	struct stat st;
	int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (S_ISLNK(st.st_mode) || (st.st_uid == u->uid && st.st_gid == u->gid))
		ret = 0;
	else if (st.st_nlink != 1)
		ret = -EMLINK;
	else if (fchownat(fd, "", u->uid, u->gid, AT_EMPTY_PATH) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* Gives the entry name of dfd, and what is below it when it is a directory. */
static int
give_entry(int dfd, const char *name, const struct priv_user *u, int depth)
{
	struct stat st;
	int sub;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return give_file(dfd, name, u);
	if (depth >= GIVE_DEPTH_MAX)
		return -ELOOP;
	/* Opened, not followed: a directory swapped for a link fails here. */
	sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return sub < 0 ? -errno : give_dir(sub, true, "", u, depth + 1);
}

/*
 * Gives the entries of the directory dfd (which it closes) whose names begin
 * with prefix, and with self the directory too.
 */
static int
give_dir(int dfd, bool self, const char *prefix, const struct priv_user *u, int depth)
{
	struct dirent *e;
	int ret = 0;
	DIR *dp = NULL;

	if ((self && fchown(dfd, u->uid, u->gid) < 0) || !(dp = fdopendir(dfd))) {
		ret = -errno;
		close(dfd);
		return ret;
	}
	while (ret == 0 && (e = readdir(dp))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		ret = give_entry(dirfd(dp), e->d_name, u, depth);
	}
	closedir(dp);
	return ret;
}

int
priv_give_tree(const char *dir, const struct priv_user *u)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return dfd < 0 ? -errno : give_dir(dfd, true, "", u, 0);
}

int
priv_give_entries(const char *dir, const char *prefix, const struct priv_user *u)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	return dfd < 0 ? -errno : give_dir(dfd, false, prefix, u, 0);
}

static int
caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2] = {
	    {(uint32_t)eff, (uint32_t)perm, (uint32_t)inh},
	    {(uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32)},
	};

	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

static int
caps_get(uint64_t *eff, uint64_t *perm, uint64_t *inh)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	*eff = data[0].effective | (uint64_t)data[1].effective << 32;
	*perm = data[0].permitted | (uint64_t)data[1].permitted << 32;
	*inh = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
	return 0;
}

/* Drops every capability outside caps from the bounding set (needs CAP_SETPCAP: before setuid). */
static int
bound_to(uint64_t caps)
{
	for (int c = 0; c < 64; c++) {
		int in = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (in < 0)
			break; /* past the kernel's last capability */
		if (in == 1 && !(caps & PRIV_CAP(c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
			return -errno;
	}
	return 0;
}

/* Root must be gone for good: the ids are u's, the capabilities what was asked, setuid(0) fails. */
static int
verify(const struct priv_user *u, uint64_t caps, uint64_t inherit)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	uint64_t ce = 0, cp = 0, ci = 0;
	int ret;

	if (getresuid(&r, &e, &s) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (r != u->uid || e != u->uid || s != u->uid || rg != u->gid || eg != u->gid ||
	    sg != u->gid || getgroups(0, NULL) != 0)
		return -EPERM;
	if ((ret = caps_get(&ce, &cp, &ci)) < 0)
		return ret;
	if (ce != caps || cp != caps || ci != inherit || prctl(PR_CAPBSET_READ, CAP_SETUID) != 0)
		return -EPERM;
	if (setresuid(0, 0, 0) == 0 || setgroups(0, NULL) == 0)
		return -EPERM;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : -EPERM;
}

int
priv_drop(const struct priv_user *u, uint64_t caps, uint64_t inherit)
{
	int ret;

	if (geteuid() != 0 || (inherit & ~caps))
		return -EINVAL;
	/* Keep the permitted set across setresuid; the effective one is cleared and set again
	 * below. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -errno;
	if ((ret = bound_to(caps)) < 0)
		return ret;
	if (setgroups(0, NULL) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	if ((ret = caps_set(caps, caps, inherit)) < 0)
		return ret;
	/* Not dumpable: another process of the same uid may not ptrace it nor read its /proc files.
	 */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return verify(u, caps, inherit);
}

int
priv_ambient(uint64_t caps)
{
	for (int c = 0; c < 64; c++)
		if ((caps & PRIV_CAP(c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return -errno;
	return 0;
}

const char *
priv_caps_format(uint64_t caps, char *buf, size_t len)
{
	static const struct {
		int cap;
		const char *name;
	} names[] = {
	    {CAP_NET_ADMIN, "cap_net_admin"},
	    {CAP_NET_RAW, "cap_net_raw"},
	    {CAP_NET_BIND_SERVICE, "cap_net_bind_service"},
	};
	size_t used = 0;

	buf[0] = '\0';
	for (int c = 0; c < 64; c++) {
		const char *name = NULL;
		char tmp[16];
		if (!(caps & PRIV_CAP(c)))
			continue;
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (names[i].cap == c)
				name = names[i].name;
		if (!name) {
			snprintf(tmp, sizeof(tmp), "cap_%d", c);
			name = tmp;
		}
		if (used >= len)
			break; /* cut: snprintf said how much it wanted */
		used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "", name);
	}
	if (!used)
		snprintf(buf, len, "none");
	return buf;
}
