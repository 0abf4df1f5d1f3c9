// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/sysctl.c — a domain's kernel settings, written under /proc/sys of
 * its own netns. Each key is read first and written only when it differs.
 */
#include "policy/sysctl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

struct sysctl_kv {
	const char *key; /* relative to the root, '/'-separated */
	const char *val;
};

/* The same in all three domains: each forwards between its links. */
static const struct sysctl_kv sysctl_common[] = {
    {"net/ipv4/ip_forward", "1"},	  {"net/ipv6/conf/all/forwarding", "1"},
    {"net/ipv4/conf/all/rp_filter", "0"}, {"net/ipv4/conf/default/rp_filter", "0"},
    {"net/ipv6/conf/all/accept_ra", "0"}, {"net/ipv6/conf/default/accept_ra", "0"},
};

/* The default comparison: what the kernel prints, without its trailing newline. */
static void
trim_norm(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);

	while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == ' '))
		n--;
	snprintf(out, len, "%.*s", (int)n, in);
}

int
sysctl_file_set(const char *path, const char *val, sysctl_norm_fn *norm)
{
	char cur[SYSCTL_VALUE_MAX], a[SYSCTL_VALUE_MAX], b[SYSCTL_VALUE_MAX];
	size_t vlen = strlen(val);
	ssize_t n;
	int fd, ret = 0;

	if (!norm)
		norm = trim_norm;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, cur, sizeof(cur) - 1, 0);
	if (n < 0) {
		ret = -errno;
	} else {
		cur[n] = '\0';
		norm(cur, a, sizeof(a));
		norm(val, b, sizeof(b));
		if (strcmp(a, b) != 0) {
			n = pwrite(fd, val, vlen, 0);
			if (n < 0)
				ret = -errno;
			else if ((size_t)n != vlen)
				ret = -EIO;
		}
	}
	close(fd);
	return ret;
}

long
sysctl_file_long(const char *path)
{
	char buf[32];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Sets one key, logging a failure with the key in sysctl's dotted form. */
static int
sysctl_key(const char *root, const char *key, const char *val)
{
	char path[PATH_MAX], dotted[PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%s/%s", root, key);
	ret = sysctl_file_set(path, val, NULL);
	if (ret < 0) {
		snprintf(dotted, sizeof(dotted), "%s", key);
		for (char *c = dotted; *c; c++)
			if (*c == '/')
				*c = '.';
		log_warnx("%s: %s=%s: %s", __func__, dotted, val, strerror(-ret));
	}
	return ret;
}

/* Sets name=val for every interface under dir (e.g. net/ipv4/conf). */
static int
sysctl_each_if(const char *root, const char *dir, const char *name, const char *val)
{
	char path[PATH_MAX], key[PATH_MAX];
	struct dirent *de;
	DIR *dp;
	int ret = 0, r;

	snprintf(path, sizeof(path), "%s/%s", root, dir);
	dp = opendir(path);
	if (!dp) {
		ret = -errno;
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		return ret;
	}
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "all") == 0 ||
		    strcmp(de->d_name, "default") == 0)
			continue;
		snprintf(key, sizeof(key), "%s/%s/%s", dir, de->d_name, name);
		r = sysctl_key(root, key, val);
		if (r < 0 && ret == 0)
			ret = r;
	}
	closedir(dp);
	return ret;
}

int
sysctl_apply_at(const char *root, enum domain d)
{
	int ret = 0, r;

	if ((unsigned)d >= DOMAIN_COUNT)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(sysctl_common) / sizeof(sysctl_common[0]); i++) {
		r = sysctl_key(root, sysctl_common[i].key, sysctl_common[i].val);
		if (r < 0 && ret == 0)
			ret = r;
	}
	r = sysctl_each_if(root, "net/ipv4/conf", "rp_filter", "0");
	if (r < 0 && ret == 0)
		ret = r;
	r = sysctl_each_if(root, "net/ipv6/conf", "accept_ra", "0");
	if (r < 0 && ret == 0)
		ret = r;
	return ret;
}

int
sysctl_apply(enum domain d)
{
	return sysctl_apply_at("/proc/sys", d);
}
