/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/sysctl.h — the kernel settings a domain needs in its own netns:
 * forwarding on, reverse-path filtering off (marks choose the table, so the
 * strict check would drop legitimate replies), router advertisements ignored.
 */
#ifndef UMBRAL_SYSCTL_H
#define UMBRAL_SYSCTL_H

#include "policy/policy.h"

/*
 * Sets, in the current netns: net.ipv4.ip_forward=1, net.ipv6.conf.all.forwarding=1,
 * rp_filter=0 and accept_ra=0 on all, default and every interface present
 * (the kernel uses the larger of all/interface for rp_filter, and reads
 * accept_ra per interface only). Writes only values that differ: idempotent.
 * Tries every key; returns 0 or the first negative errno, each failure
 * logged with its key. -EINVAL for an unknown domain.
 */
int sysctl_apply(enum domain d);

/*
 * Writes val to a kernel settings file (procfs, sysfs) unless it already
 * holds the same value as norm sees it (NULL: the text without its trailing
 * newline). Values up to SYSCTL_VALUE_MAX - 1 bytes. Returns 0 or -errno.
 */
#define SYSCTL_VALUE_MAX 256
typedef void sysctl_norm_fn(const char *in, char *out, size_t len);
int sysctl_file_set(const char *path, const char *val, sysctl_norm_fn *norm);
/* The number a sysctl file (a full path under /proc/sys) holds, or -1. */
long sysctl_file_long(const char *path);
/* The same under root instead of /proc/sys (for tests). */
int sysctl_apply_at(const char *root, enum domain d);

#endif
