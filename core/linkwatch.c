// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/linkwatch.c — subscribe to RTMGRP_LINK and report each link that
 * appears, goes, is renamed, or changes what routes and NAT depend on (up,
 * carrier, MTU). The kernel also announces a link for changes that touch
 * neither, such as promiscuous mode: tcpdump on black's WAN used to count as
 * "the WAN moved", and black flushed every NAT binding (every direct flow
 * and WireGuard's own) on each capture.
 */
#include "core/linkwatch.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "core/log.h"
#include "core/nl.h"

/* What a link looked like when last reported. */
struct seen_link {
	int ifindex;
	unsigned flags; /* of SEEN_FLAGS */
	uint32_t mtu;
	char name[IFNAMSIZ];
};

/* The flags that routes and NAT follow: administratively up, carrier, running. */
#define SEEN_FLAGS (IFF_UP | IFF_LOWER_UP | IFF_RUNNING)

struct linkwatch {
	struct ev_loop *loop;
	struct mnl_socket *nl;
	ev_io io;
	linkwatch_cb cb;
	void *ctx;
	struct seen_link *seen;
	size_t nseen;
};

static int
attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if (mnl_attr_get_type(attr) == IFLA_MTU && mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static struct seen_link *
seen_find(struct linkwatch *lw, int ifindex)
{
	for (size_t i = 0; i < lw->nseen; i++)
		if (lw->seen[i].ifindex == ifindex)
			return &lw->seen[i];
	return NULL;
}

/*
 * Whether this announcement changes what was seen of the link (and records
 * it). A link not seen before, or one that cannot be recorded, counts as
 * changed: reporting too often costs a re-apply, too seldom a stale route.
 */
static bool
seen_update(struct linkwatch *lw, const struct nlmsghdr *nlh, const struct seen_link *now,
	    char gone[IFNAMSIZ])
{
	struct seen_link *s = seen_find(lw, now->ifindex), *grown;

	gone[0] = '\0';
	/* Renamed: the old name is gone (wan renamed away is the WAN gone). */
	if (s && strcmp(s->name, now->name) != 0)
		memcpy(gone, s->name, IFNAMSIZ);
	if (nlh->nlmsg_type == RTM_DELLINK) {
		if (s)
			*s = lw->seen[--lw->nseen];
		return true;
	}
	if (s && s->flags == now->flags && s->mtu == now->mtu && strcmp(s->name, now->name) == 0)
		return false;
	if (!s && (grown = realloc(lw->seen, (lw->nseen + 1) * sizeof(*grown)))) {
		lw->seen = grown;
		s = &lw->seen[lw->nseen++];
	}
	if (s)
		*s = *now;
	return true;
}

/* Reads one link message into *now; false if it is not a link we can name. */
static bool
link_parse(const struct nlmsghdr *nlh, struct seen_link *now)
{
	const struct nlattr *tb[IFLA_MAX + 1] = {0};
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return false;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*ifi) ||
	    mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, tb) < 0 || !tb[IFLA_IFNAME])
		return false;
	memset(now, 0, sizeof(*now));
	now->ifindex = ifi->ifi_index;
	now->flags = ifi->ifi_flags & SEEN_FLAGS;
	now->mtu = tb[IFLA_MTU] ? mnl_attr_get_u32(tb[IFLA_MTU]) : 0;
	snprintf(now->name, sizeof(now->name), "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	return true;
}

static int
msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct linkwatch *lw = data;
	struct seen_link now;
	char gone[IFNAMSIZ];

	/* One we cannot name is ignored: it must not stop the loop. */
	if (!link_parse(nlh, &now) || !seen_update(lw, nlh, &now, gone))
		return MNL_CB_OK;
	if (gone[0])
		lw->cb(lw->ctx, gone, false);
	lw->cb(lw->ctx, now.name, nlh->nlmsg_type == RTM_NEWLINK);
	return MNL_CB_OK;
}

/* The links as they are now, so that the first event of each compares with something. */
static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct seen_link now;
	char gone[IFNAMSIZ];

	if (link_parse(nlh, &now))
		(void)seen_update(data, nlh, &now, gone);
	return MNL_CB_OK;
}

static int
seen_fill(struct linkwatch *lw)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct mnl_socket *nl = nl_open(NETLINK_ROUTE);
	int ret;

	if (!nl)
		return -errno;
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	ret = nl_talk(nl, nlh, dump_cb, lw);
	mnl_socket_close(nl);
	return ret;
}

static void
read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct linkwatch *lw = w->data;
	char buf[16384];
	ssize_t n;

	(void)loop;
	(void)revents;
	n = mnl_socket_recvfrom(lw->nl, buf, sizeof(buf));
	if (n < 0) {
		if (errno == ENOBUFS) {
			/* What was seen is not known any more: read it again, then re-check all. */
			lw->nseen = 0;
			if (seen_fill(lw) < 0)
				log_warnx("link events lost, and the links cannot be read again");
			lw->cb(lw->ctx, NULL, true);
		}
		return;
	}
	mnl_cb_run(buf, (size_t)n, 0, 0, msg_cb, lw);
}

int
linkwatch_open(struct ev_loop *loop, linkwatch_cb cb, void *ctx, struct linkwatch **out)
{
	struct linkwatch *lw = calloc(1, sizeof(*lw));
	int ret;

	if (!lw)
		return -ENOMEM;
	lw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!lw->nl || mnl_socket_bind(lw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		if (lw->nl)
			mnl_socket_close(lw->nl);
		free(lw);
		return ret;
	}
	lw->loop = loop;
	lw->cb = cb;
	lw->ctx = ctx;
	/* Subscribed first: a change after the dump is reported, not lost. */
	if ((ret = seen_fill(lw)) < 0)
		log_warnx("link events: cannot read the links (%s); the first event of each "
			  "counts as a change",
			  strerror(-ret));
	ev_io_init(&lw->io, read_cb, mnl_socket_get_fd(lw->nl), EV_READ);
	lw->io.data = lw;
	ev_io_start(loop, &lw->io);
	*out = lw;
	return 0;
}

void
linkwatch_close(struct linkwatch *lw)
{
	if (!lw)
		return;
	ev_io_stop(lw->loop, &lw->io);
	mnl_socket_close(lw->nl);
	free(lw->seen);
	free(lw);
}
