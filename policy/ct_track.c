// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/ct_track.c — red's flows from conntrack events: an open-addressed
 * hash of original tuples, filled by NEW events and emptied by DESTROY
 * events, valid only while no event can have been missed.
 */
#include "policy/ct_track.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

/* Room for bursts of new flows between two reads of the socket. */
#define EVENT_RCVBUF (4 << 20)
#define EVENTS_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_events"

enum slot_state { SLOT_EMPTY, SLOT_USED, SLOT_GONE };

/* The tuple first: it is read as netlink attributes, which want 4-byte alignment. */
struct flow {
	uint8_t tuple[CT_TUPLE_MAX] __attribute__((aligned(4)));
	uint8_t state, family, len;
};

struct ct_track {
	struct mnl_socket *nl; /* NULL for a table fed by hand */
	struct flow *slots;
	size_t cap, used, gone, max;
	bool tracking; /* events are applied (since a reset) */
	bool valid;    /* and nothing was lost since: the table is every flow */
	const char *why;
};

static uint64_t
flow_hash(uint8_t family, const uint8_t *p, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ family;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

/* The slot holding this flow, or else the first free one on its probe path. */
static struct flow *
slot_find(struct flow *slots, size_t cap, uint8_t family, const uint8_t *p, size_t len)
{
	size_t i = (size_t)flow_hash(family, p, len) & (cap - 1);
	struct flow *free_slot = NULL;

	for (size_t n = 0; n < cap; n++, i = (i + 1) & (cap - 1)) {
		struct flow *f = &slots[i];
		if (f->state == SLOT_EMPTY)
			return free_slot ? free_slot : f;
		if (f->state == SLOT_GONE) {
			if (!free_slot)
				free_slot = f;
		} else if (f->family == family && f->len == len && memcmp(f->tuple, p, len) == 0) {
			return f;
		}
	}
	return free_slot;
}

/* Not valid any more: the table is dropped until the next reset. */
static void
lose(struct ct_track *t, const char *why)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->used = t->gone = 0;
	t->tracking = t->valid = false;
	t->why = why;
}

/* Rehashes into cap slots (a power of two), dropping the tombstones. */
static int
resize(struct ct_track *t, size_t cap)
{
	struct flow *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		const struct flow *f = &t->slots[i];
		if (f->state == SLOT_USED)
			*slot_find(slots, cap, f->family, f->tuple, f->len) = *f;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	t->gone = 0;
	return 0;
}

/* A power of two at least four times n: a quarter full after a rehash. */
static size_t
cap_for(size_t n)
{
	size_t cap = 64;

	while (cap < 4 * n)
		cap *= 2;
	return cap;
}

void
ct_track_add(struct ct_track *t, uint8_t family, const struct nlattr *tuple)
{
	struct flow *f;

	if (!t->tracking)
		return;
	if (tuple->nla_len > CT_TUPLE_MAX) {
		lose(t, "a conntrack tuple longer than the tracker keeps");
		return;
	}
	if (t->used >= t->max) {
		lose(t, "more flows than the tracker keeps");
		return;
	}
	/* At most half full, tombstones included, so that probes stay short. */
	if (2 * (t->used + t->gone + 1) > t->cap && resize(t, cap_for(t->used + 1)) < 0) {
		lose(t, "out of memory");
		return;
	}
	f = slot_find(t->slots, t->cap, family, (const uint8_t *)tuple, tuple->nla_len);
	if (f->state == SLOT_USED)
		return; /* a dump and an event both saw it */
	if (f->state == SLOT_GONE)
		t->gone--;
	f->state = SLOT_USED;
	f->family = family;
	f->len = (uint8_t)tuple->nla_len;
	memcpy(f->tuple, tuple, tuple->nla_len);
	t->used++;
}

void
ct_track_remove(struct ct_track *t, uint8_t family, const struct nlattr *tuple)
{
	struct flow *f;

	if (!t->tracking || !t->cap || tuple->nla_len > CT_TUPLE_MAX)
		return;
	f = slot_find(t->slots, t->cap, family, (const uint8_t *)tuple, tuple->nla_len);
	if (!f || f->state != SLOT_USED)
		return;
	f->state = SLOT_GONE;
	t->used--;
	t->gone++;
}

const struct nlattr *
ct_orig_tuple(const struct nlmsghdr *nlh)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(a) == CTA_TUPLE_ORIG)
			return a;
	}
	return NULL;
}

void
ct_track_msg(struct ct_track *t, const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *g;
	const struct nlattr *tuple;
	uint16_t type = nlh->nlmsg_type;

	if (type >> 8 != NFNL_SUBSYS_CTNETLINK || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return;
	g = mnl_nlmsg_get_payload(nlh);
	if (!(tuple = ct_orig_tuple(nlh)))
		return;
	if ((type & 0xff) == IPCTNL_MSG_CT_NEW)
		ct_track_add(t, g->nfgen_family, tuple);
	else if ((type & 0xff) == IPCTNL_MSG_CT_DELETE)
		ct_track_remove(t, g->nfgen_family, tuple);
}

void
ct_track_drain(struct ct_track *t)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));

	if (!t || !t->nl)
		return;
	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(t->nl), buf, sizeof(buf), MSG_DONTWAIT);
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			lose(t, "conntrack events were lost (the socket overflowed)");
			continue; /* what is queued still is read and dropped */
		}
		if (n <= 0)
			return; /* EAGAIN: all read */
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			ct_track_msg(t, nlh);
	}
}

/* Whether the namespace sends conntrack events at all (0 turns them off). */
static bool
events_on(void)
{
	char c = '0';
	int fd = open(EVENTS_SYSCTL, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c != '0';
}

bool
ct_track_valid(struct ct_track *t)
{
	if (!t || !t->valid)
		return false;
	if (t->nl && !events_on()) {
		lose(t, "net.netfilter.nf_conntrack_events is 0");
		return false;
	}
	return true;
}

const char *
ct_track_why(const struct ct_track *t)
{
	return !t ? "no tracker" : t->valid ? "" : t->why;
}

size_t
ct_track_count(const struct ct_track *t)
{
	return t ? t->used : 0;
}

void
ct_track_reset(struct ct_track *t)
{
	lose(t, "starting over from a dump");
	t->tracking = true;
}

void
ct_track_resynced(struct ct_track *t)
{
	t->valid = t->tracking;
}

int
ct_track_each(const struct ct_track *t, ct_track_fn fn, void *data)
{
	int ret = 0;

	for (size_t i = 0; ret >= 0 && i < t->cap; i++)
		if (t->slots[i].state == SLOT_USED)
			ret = fn(t->slots[i].family, (const struct nlattr *)t->slots[i].tuple, data);
	return ret;
}

int
ct_track_new(size_t max, struct ct_track **out)
{
	struct ct_track *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->max = max;
	t->why = "not started";
	*out = t;
	return 0;
}

/* Subscribes nl to new and destroyed entries, with a buffer for bursts. */
static int
subscribe(struct mnl_socket *nl)
{
	static const int groups[] = {NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_DESTROY};
	int size = EVENT_RCVBUF;

	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	for (size_t i = 0; i < 2; i++) {
		int g = groups[i];
		if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &g, sizeof(g)) < 0)
			return -errno;
	}
	/* FORCE goes past rmem_max (CAP_NET_ADMIN); the plain one is the best effort. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return 0;
}

int
ct_track_open(size_t max, struct ct_track **out)
{
	struct ct_track *t;
	int ret;

	if ((ret = ct_track_new(max, &t)) < 0)
		return ret;
	if (!(t->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK))) {
		ret = -errno;
	} else if ((ret = subscribe(t->nl)) == 0) {
		*out = t;
		return 0;
	}
	ct_track_close(t);
	return ret;
}

int
ct_track_fd(const struct ct_track *t)
{
	return t && t->nl ? mnl_socket_get_fd(t->nl) : -1;
}

void
ct_track_close(struct ct_track *t)
{
	if (!t)
		return;
	if (t->nl)
		mnl_socket_close(t->nl);
	free(t->slots);
	free(t);
}
