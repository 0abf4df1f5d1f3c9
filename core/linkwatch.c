// SPDX-License-Identifier: GPL-2.0-only
/* core/linkwatch.c — subscribe to RTMGRP_LINK and report each link event. */
#include "core/linkwatch.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>

#include "core/log.h"

struct linkwatch {
	struct ev_loop *loop;
	struct mnl_socket *nl;
	ev_io io;
	linkwatch_cb cb;
	void *ctx;
};

static int
attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (mnl_attr_get_type(attr) == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	tb[mnl_attr_get_type(attr)] = attr;
	return MNL_CB_OK;
}

static int
msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct linkwatch *lw = data;
	const struct nlattr *tb[IFLA_MAX + 1] = {0};

	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct ifinfomsg), attr_cb, tb) < 0 || !tb[IFLA_IFNAME])
		return MNL_CB_OK; /* not one we can name: ignore it, do not stop the loop */
	lw->cb(lw->ctx, mnl_attr_get_str(tb[IFLA_IFNAME]), nlh->nlmsg_type == RTM_NEWLINK);
	return MNL_CB_OK;
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
		if (errno == ENOBUFS)
			lw->cb(lw->ctx, NULL, true); /* lost events: re-check everything */
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
	free(lw);
}
