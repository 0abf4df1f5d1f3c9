// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/genl.c — the kernel's `wireguard` generic netlink messages, built and
 * parsed in caller-given buffers with no socket, so that unit tests can
 * build a message, parse it back and compare. A peer list larger than one
 * message is cut into several WG_CMD_SET_DEVICE messages, as wg(8) does.
 */
#include "wg/internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

static struct nlmsghdr *
put_header(void *buf, uint16_t family, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = WG_GENL_VERSION;
	return nlh;
}

struct nlmsghdr *
wg_genl_build_get(void *buf, size_t buflen, uint16_t family, const char *ifname)
{
	struct nlmsghdr *nlh;

	if (buflen < MNL_NLMSG_HDRLEN + 64)
		return NULL;
	nlh = put_header(buf, family, WG_CMD_GET_DEVICE, NLM_F_REQUEST | NLM_F_DUMP);
	if (!mnl_attr_put_strz_check(nlh, buflen, WGDEVICE_A_IFNAME, ifname))
		return NULL;
	return nlh;
}

static bool
put_endpoint(struct nlmsghdr *nlh, size_t buflen, const struct endpoint *e)
{
	if (e->family == AF_INET) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(e->port)};
		memcpy(&sin.sin_addr, e->addr, 4);
		return mnl_attr_put_check(nlh, buflen, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	}
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(e->port)};
	memcpy(&sin6.sin6_addr, e->addr, 16);
	return mnl_attr_put_check(nlh, buflen, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
}

static bool
put_allowed(struct nlmsghdr *nlh, size_t buflen, const struct prefix *a)
{
	struct nlattr *n = mnl_attr_nest_start_check(nlh, buflen, 0);

	if (!n)
		return false;
	if (!mnl_attr_put_u16_check(nlh, buflen, WGALLOWEDIP_A_FAMILY, a->family) ||
	    !mnl_attr_put_check(nlh, buflen, WGALLOWEDIP_A_IPADDR, a->family == AF_INET ? 4 : 16,
				a->addr) ||
	    !mnl_attr_put_u8_check(nlh, buflen, WGALLOWEDIP_A_CIDR_MASK, a->len)) {
		mnl_attr_nest_cancel(nlh, n);
		return false;
	}
	mnl_attr_nest_end(nlh, n);
	return true;
}

/* The peer's own attributes, sent only in its first part. */
static bool
put_peer_head(struct nlmsghdr *nlh, size_t buflen, const struct wg_peer_conf *p)
{
	if (!mnl_attr_put_u32_check(nlh, buflen, WGPEER_A_FLAGS, WGPEER_F_REPLACE_ALLOWEDIPS))
		return false;
	if (p->has_endpoint && !put_endpoint(nlh, buflen, &p->endpoint))
		return false;
	return mnl_attr_put_u16_check(nlh, buflen, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
				      p->keepalive);
}

/*
 * Puts the peer at cur into the open WGDEVICE_A_PEERS nest. Returns 0 when
 * it is complete, 1 when only some allowed-ips fit (cur->allowed says where
 * to resume), -EMSGSIZE when nothing of it fit (the nest is cancelled).
 * A first part must carry at least one allowed-ip, so the peer is never left
 * with none between two messages.
 */
static int
put_peer(struct nlmsghdr *nlh, size_t buflen, const struct wg_diff *d, struct wg_genl_cursor *cur)
{
	struct nlattr *pn, *an;
	const struct wg_peer_conf *p;
	size_t first = cur->allowed;

	pn = mnl_attr_nest_start_check(nlh, buflen, 0);
	if (!pn)
		return -EMSGSIZE;
	if (cur->peer < d->nremove) {
		if (!mnl_attr_put_check(nlh, buflen, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN,
					d->remove[cur->peer]) ||
		    !mnl_attr_put_u32_check(nlh, buflen, WGPEER_A_FLAGS, WGPEER_F_REMOVE_ME))
			goto cancel;
		mnl_attr_nest_end(nlh, pn);
		return 0;
	}
	p = d->upsert[cur->peer - d->nremove];
	if (!mnl_attr_put_check(nlh, buflen, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->pubkey))
		goto cancel;
	if (first == 0 && !put_peer_head(nlh, buflen, p))
		goto cancel;
	if (p->nallowed > first) {
		an = mnl_attr_nest_start_check(nlh, buflen, WGPEER_A_ALLOWEDIPS);
		if (!an)
			goto cancel;
		while (cur->allowed < p->nallowed && put_allowed(nlh, buflen, &p->allowed[cur->allowed]))
			cur->allowed++;
		if (cur->allowed == first) {
			mnl_attr_nest_cancel(nlh, an);
			goto cancel;
		}
		mnl_attr_nest_end(nlh, an);
	}
	mnl_attr_nest_end(nlh, pn);
	return cur->allowed < p->nallowed ? 1 : 0;
cancel:
	cur->allowed = first;
	mnl_attr_nest_cancel(nlh, pn);
	return -EMSGSIZE;
}

static bool
put_device(struct nlmsghdr *nlh, size_t buflen, const struct wg_diff *d)
{
	if (d->privkey &&
	    !mnl_attr_put_check(nlh, buflen, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, d->privkey))
		return false;
	if (d->set_port && !mnl_attr_put_u16_check(nlh, buflen, WGDEVICE_A_LISTEN_PORT, d->listen_port))
		return false;
	if (d->set_fwmark && !mnl_attr_put_u32_check(nlh, buflen, WGDEVICE_A_FWMARK, d->fwmark))
		return false;
	return true;
}

int
wg_genl_build_set(void *buf, size_t buflen, uint16_t family, const char *ifname,
		  const struct wg_diff *d, struct wg_genl_cursor *cur)
{
	size_t total = d->nremove + d->nupsert, peer0 = cur->peer, allowed0 = cur->allowed;
	bool first = !cur->started;
	struct nlmsghdr *nlh;
	struct nlattr *peers;
	int r = 0;

	if (buflen < MNL_NLMSG_HDRLEN + 128)
		return -EMSGSIZE;
	nlh = put_header(buf, family, WG_CMD_SET_DEVICE, NLM_F_REQUEST | NLM_F_ACK);
	if (!mnl_attr_put_strz_check(nlh, buflen, WGDEVICE_A_IFNAME, ifname))
		return -EMSGSIZE;
	if (first) {
		if (!put_device(nlh, buflen, d))
			return -EMSGSIZE;
		cur->started = true;
	}
	if (cur->peer < total) {
		peers = mnl_attr_nest_start_check(nlh, buflen, WGDEVICE_A_PEERS);
		while (peers && cur->peer < total) {
			r = put_peer(nlh, buflen, d, cur);
			if (r != 0)
				break;
			cur->peer++;
			cur->allowed = 0;
		}
		if (peers && cur->peer == peer0 && cur->allowed == allowed0)
			mnl_attr_nest_cancel(nlh, peers);
		else if (peers)
			mnl_attr_nest_end(nlh, peers);
	}
	/* No progress in a message of our own: one peer is larger than buflen. */
	if (!first && cur->peer == peer0 && cur->allowed == allowed0 && cur->peer < total)
		return -EMSGSIZE;
	return cur->peer < total ? 1 : 0;
}
