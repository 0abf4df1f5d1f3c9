// SPDX-License-Identifier: GPL-2.0-only
/* core/nl.c — send one netlink request and read every reply until the ack. */
#include "core/nl.h"

#include <errno.h>
#include <linux/netlink.h>
#include <time.h>

#include "core/log.h"

struct mnl_socket *
nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open(bus);

	if (!nl)
		return NULL;
	/* The kernel's own words on an error ("Nexthop has invalid gateway") beat strerror(). */
	int on = 1;
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

static int
ext_ack_attr(const struct nlattr *attr, void *data)
{
	const char **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* An ack (error 0) ends the exchange; an error is logged with the kernel's message. */
static int
error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const char *msg = NULL;
	size_t off;

	(void)data;
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (err->error == 0)
		return MNL_CB_STOP;
	/* Extended ack attributes follow the echoed request (or only its header, when capped). */
	off = sizeof(*err) + ((nlh->nlmsg_flags & NLM_F_CAPPED) ? 0 : err->msg.nlmsg_len - sizeof(struct nlmsghdr));
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && mnl_nlmsg_get_payload_len(nlh) > off)
		mnl_attr_parse(nlh, (unsigned)off, ext_ack_attr, &msg);
	if (msg)
		log_warnx("netlink: %s", msg);
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int
ok_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

static int
done_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_STOP;
}

/* Sequence numbers of this process's requests, nftables batches included. */
static uint32_t seq;

uint32_t *
nl_seq(void)
{
	if (seq == 0)
		seq = (uint32_t)time(NULL);
	return &seq;
}

static uint32_t
next_seq(void)
{
	return ++*nl_seq();
}

static struct mnl_socket *netfilter_nl;

struct mnl_socket *
nl_netfilter(void)
{
	if (!netfilter_nl)
		netfilter_nl = nl_open(NETLINK_NETFILTER);
	return netfilter_nl;
}

void
nl_netfilter_close(void)
{
	if (netfilter_nl)
		mnl_socket_close(netfilter_nl);
	netfilter_nl = NULL;
}

int
nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[32768]; /* a dump part fits; MNL_SOCKET_BUFFER_SIZE may be smaller */
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	nlh->nlmsg_seq = next_seq();
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		/* libmnl consults only this array for control messages once it is given. */
		static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
			[NLMSG_NOOP] = ok_cb, [NLMSG_ERROR] = error_cb,
			[NLMSG_DONE] = done_cb, [NLMSG_OVERRUN] = ok_cb};
		ret = mnl_cb_run2(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data, ctl,
				  NLMSG_MIN_TYPE);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

/* One ack of nl_talk_many's: counts it, and hands an error to on_err. */
static int
many_ack(const struct nlmsghdr *nlh, uint32_t first, size_t n, size_t *got, nl_err_cb on_err,
	 void *ctx)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t i = nlh->nlmsg_seq - first; /* unsigned: right across a wrap */

	if (nlh->nlmsg_type != NLMSG_ERROR || i >= n ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return 0;
	(*got)++;
	return e->error ? on_err(i, e->error, ctx) : 0;
}

int
nl_talk_many(struct mnl_socket *nl, void *msgs, size_t len, nl_err_cb on_err, void *ctx)
{
	char buf[32768];
	struct nlmsghdr *nlh = msgs;
	int left = (int)len, ret = 0, r;
	uint32_t first = 0;
	size_t n = 0, got = 0;
	ssize_t k;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), n++) {
		nlh->nlmsg_seq = next_seq();
		nlh->nlmsg_flags |= NLM_F_ACK;
		if (n == 0)
			first = nlh->nlmsg_seq;
	}
	if (n == 0)
		return 0;
	if (mnl_socket_sendto(nl, msgs, len) < 0)
		return -errno;
	while (got < n) {
		if ((k = mnl_socket_recvfrom(nl, buf, sizeof(buf))) < 0)
			return -errno;
		left = (int)k;
		for (nlh = (struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left))
			if ((r = many_ack(nlh, first, n, &got, on_err, ctx)) < 0 && ret == 0)
				ret = r;
	}
	return ret;
}
