// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/rps.c — spreads each link's receive work over the CPUs (rps_cpus
 * under sysfs of the domain's netns), so that forwarding does not run inside
 * wireguard-go's single-threaded stages. Why: policy/rps.h.
 */
#include "policy/rps.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "policy/sysctl.h"

int
rps_mask_format(const unsigned long long *cpus, int n, char *out, size_t len)
{
	size_t at = 0;
	int groups = (n + 31) / 32, top = groups;

	/* The kernel prints every group; we start at the highest non-empty one. */
	while (top > 1 && !((cpus[(top - 1) / 2] >> (32 * ((top - 1) % 2))) & 0xffffffffULL))
		top--;
	for (int g = top - 1; g >= 0; g--) {
		unsigned long long v = (cpus[g / 2] >> (32 * (g % 2))) & 0xffffffffULL;
		int w = snprintf(out + at, len - at, g == top - 1 ? "%llx%s" : "%08llx%s", v,
				 g > 0 ? "," : "");
		if (w < 0 || (size_t)w >= len - at)
			return -ENOSPC;
		at += (size_t)w;
	}
	if (groups == 0 && snprintf(out, len, "0") >= (int)len)
		return -ENOSPC;
	return 0;
}

/* Hex digits without commas, leading zeros or case: "00000000,00000003" is "3". */
static void
mask_norm(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++) {
		if (!isxdigit((unsigned char)*in))
			continue;
		if (o == 0 && *in == '0')
			continue;
		out[o++] = (char)tolower((unsigned char)*in);
	}
	if (o == 0 && len > 1)
		out[o++] = '0';
	out[o] = '\0';
}

/* Writes mask to path unless it holds the same CPUs. Returns 0 or -errno. */
static int
mask_set(const char *path, const char *mask)
{
	return sysctl_file_set(path, mask, mask_norm);
}

/* Every rx queue of one link. Returns 0 or the first negative errno. */
static int
link_apply(const char *root, const char *link, const char *mask)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	int ret = 0, r;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/class/net/%s/queues", root, link);
	if (!(dp = opendir(dir)))
		return errno == ENOENT ? 0 : -errno; /* a link that went away meanwhile */
	while ((de = readdir(dp))) {
		if (strncmp(de->d_name, "rx-", 3) != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/rps_cpus", dir, de->d_name) >=
		    (int)sizeof(path))
			r = -ENAMETOOLONG;
		else
			r = mask_set(path, mask);
		if (r < 0) {
			log_warnx("%s: %s: %s", __func__, path, strerror(-r));
			if (ret == 0)
				ret = r;
		}
	}
	closedir(dp);
	return ret;
}

int
rps_apply_at(const char *root, const char *mask)
{
	char dir[PATH_MAX];
	struct dirent *de;
	int ret = 0, r;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s/class/net", root);
	if (!(dp = opendir(dir))) {
		ret = -errno;
		log_warnx("%s: %s: %s", __func__, dir, strerror(errno));
		return ret;
	}
	while ((de = readdir(dp))) {
		/* Loopback's work is always the sender's own. */
		if (de->d_name[0] == '.' || strcmp(de->d_name, "lo") == 0)
			continue;
		r = link_apply(root, de->d_name, mask);
		if (r < 0 && ret == 0)
			ret = r;
	}
	closedir(dp);
	return ret;
}

int
rps_apply(void)
{
	unsigned long long cpus[CPU_SETSIZE / 64] = {0};
	char mask[RPS_MASK_MAX];
	cpu_set_t set;
	int ret, r;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			cpus[i / 64] |= 1ULL << (i % 64);
	if (CPU_COUNT(&set) < 2)
		memset(cpus, 0, sizeof(cpus));
	if ((ret = rps_mask_format(cpus, CPU_SETSIZE, mask, sizeof(mask))) < 0)
		return ret;
	/*
	 * Links made later (crypto's wg0, made after the drop) take the netns's
	 * default mask (Linux 6.9 and later have one per netns); it stays for
	 * the netns's life. Older kernels have none: those links keep steering off.
	 */
	ret = mask_set("/proc/sys/net/core/rps_default_mask", mask);
	if (ret < 0 && ret != -ENOENT)
		log_warnx("%s: net.core.rps_default_mask: %s", __func__, strerror(-ret));
	r = rps_apply_at("/sys", mask);
	return r < 0 ? r : ret == -ENOENT ? 0 : ret;
}
