/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * policy/rps.h — receive packet steering on a domain's links.
 *
 * The kernel forwards a packet in the context of whoever handed it over: a
 * veth's or a tun's receive work runs inside the sender's system call. On the
 * tunnel path that sender is one of wireguard-go's single-threaded stages
 * (its UDP writer, its TUN writer), so every forwarding hop behind it adds to
 * the one stage that bounds throughput while the other cores wait. Steering
 * each link's receive work to all CPUs (rps_cpus) queues it to another core's
 * backlog instead. A flow keeps one CPU (the hash), so its packets stay in
 * order; netfilter still sees every packet, only on another core.
 */
#ifndef UMBRAL_RPS_H
#define UMBRAL_RPS_H

#include <stddef.h>

/* A CPU mask as sysfs writes it: hex, 32-bit groups separated by commas. */
#define RPS_MASK_MAX 160

/*
 * Writes mask to queues/rx-N/rps_cpus of every link under root/class/net
 * (the domain's own links: sysfs as mounted in its netns) except lo, where
 * it differs; idempotent. Tries every queue; returns 0 or the first
 * negative errno, each failure logged with its path.
 */
int rps_apply_at(const char *root, const char *mask);

/*
 * rps_apply_at("/sys", the CPUs this process may run on), or a mask of 0
 * (steering off) when there is only one: then it would only add a queue;
 * the same mask becomes the netns's default for links made later
 * (net.core.rps_default_mask, where the kernel has it). The sysfs files
 * are root's: umbrald calls it before it drops root.
 */
int rps_apply(void);

/*
 * The mask of the CPUs in set bits of cpus[0..n) (bit i of cpus[i / 64]),
 * most significant group first, as the kernel prints it. Returns 0 or
 * -ENOSPC when out is too small.
 */
int rps_mask_format(const unsigned long long *cpus, int n, char *out, size_t len);

#endif
