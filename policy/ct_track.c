// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/ct_track.c — red's flows from conntrack events: an open-addressed
 * hash of original tuples, filled by NEW events and emptied by DESTROY
 * events, valid only while no event can have been missed.
 */
#include "policy/ct_track.h"
#include "policy/sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <sodium.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

/* Room for bursts of new flows between two reads of the socket. */
#define EVENT_RCVBUF (4 << 20)
#define EVENTS_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_events"
#define COUNT_SYSCTL "/proc/sys/net/netfilter/nf_conntrack_count"
/* Datagrams of events ct_track_drain reads at most (each holds many events). */
#define DRAIN_MAX 4096

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
	uint8_t key[crypto_shorthash_KEYBYTES];
};

/*
 * Keyed (SipHash, a random key per tracker): a LAN host picks its own ports,
 * and with a hash it could predict it would pile its flows on one probe run.
 */
static uint64_t
flow_hash(const uint8_t key[crypto_shorthash_KEYBYTES], const uint8_t *p, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	uint64_t h;

	crypto_shorthash(out, p, len, key);
	memcpy(&h, out, sizeof(h));
	return h;
}

/* The slot holding this flow, or else the first free one on its probe path. */
static struct flow *
slot_find(const struct ct_track *t, struct flow *slots, size_t cap, uint8_t family,
	  const uint8_t *p, size_t len)
{
	size_t i = (size_t)(flow_hash(t->key, p, len) ^ family) & (cap - 1);
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
			*slot_find(t, slots, cap, f->family, f->tuple, f->len) = *f;
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	t->gone = 0;
	return 0;
}

/* A power of two at least twice n: half full at most after a rehash. */
static size_t
cap_for(size_t n)
{
	size_t cap = 64;

	while (cap < 2 * n)
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
	/* At most three quarters full, tombstones included, so that probes stay short. */
	if (4 * (t->used + t->gone + 1) > 3 * t->cap && resize(t, cap_for(t->used + 1)) < 0) {
		lose(t, "out of memory");
		return;
	}
	f = slot_find(t, t->slots, t->cap, family, (const uint8_t *)tuple, tuple->nla_len);
	if (f->state == SLOT_USED)
		return; /* a dump and an event both saw it */
	if (t->used >= t->max) {
		lose(t, "more flows than the tracker keeps");
		return;
	}
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
	f = slot_find(t, t->slots, t->cap, family, (const uint8_t *)tuple, tuple->nla_len);
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

int
ct_track_read(struct ct_track *t, int max)
{
	char buf[MNL_SOCKET_BUFFER_SIZE] __attribute__((aligned(4)));

	if (!t || !t->nl)
		return 0;
	for (int i = 0; i < max; i++) {
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
			return 0; /* EAGAIN: all read */
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			ct_track_msg(t, nlh);
	}
	return -EAGAIN;
}

void
ct_track_drain(struct ct_track *t)
{
	/* New flows faster than this can be read: the table will not catch up. */
	if (ct_track_read(t, DRAIN_MAX) < 0)
		lose(t, "conntrack events come faster than they can be read");
}

static const char unseen_flows[] = "the namespace has flows the events did not show";

/*
 * With events off (nf_conntrack_events 0) flows come and go unseen; and
 * flows begun while they were off, even if they are on again now, show as
 * more entries in the namespace than the table holds.
 */
const char *
ct_track_doubt(const struct ct_track *t)
{
	long count;

	if (!t)
		return "no tracker";
	if (!t->valid)
		return t->why;
	if (!t->nl)
		return NULL;
	if (sysctl_file_long(EVENTS_SYSCTL) == 0)
		return "net.netfilter.nf_conntrack_events is 0";
	if ((count = sysctl_file_long(COUNT_SYSCTL)) < 0 || (size_t)count > t->used)
		return unseen_flows;
	return NULL;
}

bool
ct_track_valid(struct ct_track *t)
{
	const char *why = ct_track_doubt(t);

	/*
	 * The kernel counts a flow as soon as it sets one up, before its NEW
	 * event: while the LAN opens connections, read what came meanwhile and
	 * look again before giving the table up.
	 */
	for (int i = 0; i < 3 && why == unseen_flows; i++) {
		ct_track_drain(t);
		why = ct_track_doubt(t);
	}
	if (why && t && t->valid)
		lose(t, why);
	return !why;
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
	randombytes_buf(t->key, sizeof(t->key));
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
