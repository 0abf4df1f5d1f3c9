// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/offload.c — GRO on red's to-crypto and TSO off on crypto's to-red
 * (wireguard-go), set with the ethtool ioctl, so that the decrypted stream is
 * forwarded and acknowledged in aggregates. Why: policy/offload.h.
 */
#include "policy/offload.h"

#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

const char *
offload_feature_name(enum offload_feature f)
{
	return f == OFFLOAD_GRO ? "gro" : "tso";
}

static void
want(struct offload_want *out, size_t n, size_t *at, const char *link, enum offload_feature f,
     bool on)
{
	if (*at < n)
		out[*at] = (struct offload_want){.link = link, .feature = f, .on = on};
	(*at)++;
}

size_t
offload_plan(enum domain d, bool wg_userspace, struct offload_want *out, size_t n)
{
	size_t at = 0;

	switch (d) {
	case DOMAIN_RED:
		/* Does nothing for packets of a sender with TSO on (kernel WireGuard). */
		want(out, n, &at, IF_TO_CRYPTO, OFFLOAD_GRO, true);
		break;
	case DOMAIN_CRYPTO:
		want(out, n, &at, IF_TO_RED, OFFLOAD_TSO, !wg_userspace);
		break;
	default:
		break; /* black forwards only ciphertext, which nothing here aggregates */
	}
	return at;
}

/* One legacy ethtool get or set (ETHTOOL_G/SGRO, G/STSO). Returns 0 or -errno. */
static int
ethtool_value(int fd, const char *link, __u32 cmd, __u32 *data)
{
	struct ethtool_value ev = {.cmd = cmd, .data = *data};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (strlen(link) >= sizeof(ifr.ifr_name))
		return -ENAMETOOLONG;
	strcpy(ifr.ifr_name, link);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0)
		return -errno;
	*data = ev.data;
	return 0;
}

/*
 * Sets one feature unless it is already as wanted. Returns 0 (also for a
 * link that is not there or a device without the feature) or -errno.
 */
static int
want_apply(int fd, const struct offload_want *w)
{
	__u32 get = w->feature == OFFLOAD_GRO ? ETHTOOL_GGRO : ETHTOOL_GTSO;
	__u32 set = w->feature == OFFLOAD_GRO ? ETHTOOL_SGRO : ETHTOOL_STSO;
	__u32 val = 0;
	int ret;

	ret = ethtool_value(fd, w->link, get, &val);
	if (ret == 0 && (val != 0) == w->on)
		return 0;
	if (ret == 0) {
		val = w->on;
		ret = ethtool_value(fd, w->link, set, &val);
	}
	if (ret == -ENODEV || ret == -EOPNOTSUPP)
		return 0;
	if (ret == 0)
		log_info("%s: %s %s", w->link, offload_feature_name(w->feature),
			 w->on ? "on" : "off");
	return ret;
}

int
offload_apply(enum domain d, bool wg_userspace)
{
	struct offload_want plan[OFFLOAD_WANT_MAX];
	size_t n = offload_plan(d, wg_userspace, plan, OFFLOAD_WANT_MAX);
	int fd, ret = 0, r;

	if (n == 0)
		return 0;
	if (n > OFFLOAD_WANT_MAX)
		return -E2BIG; /* a plan larger than its array: a bug here, not the kernel's */
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	for (size_t i = 0; i < n; i++) {
		if ((r = want_apply(fd, &plan[i])) < 0) {
			log_warnx("%s: %s %s: %s", __func__, plan[i].link,
				  offload_feature_name(plan[i].feature), strerror(-r));
			if (ret == 0)
				ret = r;
		}
	}
	close(fd);
	return ret;
}
