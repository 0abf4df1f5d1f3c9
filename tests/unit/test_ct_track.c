// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_ct_track.c — red's flow tracker fed with ctnetlink event
 * messages built here: new and destroyed entries, duplicates from a dump
 * and an event, growth past many rehashes, and every way it stops being
 * valid (too many flows, a tuple too long, never reset). Hermetic: no socket.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "policy/ct.h"
#include "policy/ct_track.h"

/* A ctnetlink event for an IPv4 TCP flow 10.1.1.x:sport -> 203.0.113.80:80. */
static struct nlmsghdr *
event(char *buf, uint8_t type, uint8_t host, uint16_t sport)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;
	struct nlattr *orig, *ip, *proto;
	uint32_t src = htonl(0x0a010100u | host), dst = htonl(0xcb007150u);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = AF_INET;
	orig = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_TCP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(sport));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(80));
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, orig);
	return nlh;
}

static void
feed(struct ct_track *t, uint8_t type, uint8_t host, uint16_t sport)
{
	char buf[512] __attribute__((aligned(4)));

	ct_track_msg(t, event(buf, type, host, sport));
}

/* A table that knows every flow from the start (as after an empty dump). */
static struct ct_track *
fresh(size_t max)
{
	struct ct_track *t;

	assert_int_equal(ct_track_new(max, &t), 0);
	assert_false(ct_track_valid(t)); /* never reset: it cannot know */
	ct_track_reset(t);
	ct_track_resynced(t);
	assert_true(ct_track_valid(t));
	return t;
}

struct seen {
	int n;
	int hosts[8];
};

/* Reads each flow back through ct_msg_tuple's parser, as the prune does. */
static int
collect(uint8_t family, const struct nlattr *tuple, void *data)
{
	struct seen *s = data;
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct explain_pkt pkt;

	g->nfgen_family = family;
	memcpy(mnl_nlmsg_get_payload_tail(nlh), tuple, tuple->nla_len);
	nlh->nlmsg_len += MNL_ALIGN(tuple->nla_len);
	assert_int_equal(ct_msg_tuple(nlh, &pkt), 0);
	assert_int_equal(pkt.proto, IPPROTO_TCP);
	assert_int_equal(pkt.port, 80);
	assert_int_equal(pkt.dst[0], 203);
	if (s->n < 8)
		s->hosts[s->n] = pkt.src[3];
	s->n++;
	return 0;
}

static void
test_new_and_destroy(void **state)
{
	struct ct_track *t = fresh(100);
	struct seen s = {0};

	(void)state;
	feed(t, IPCTNL_MSG_CT_NEW, 2, 40000);
	feed(t, IPCTNL_MSG_CT_NEW, 3, 40000);
	feed(t, IPCTNL_MSG_CT_NEW, 2, 40000); /* the dump and an event both saw it */
	feed(t, IPCTNL_MSG_CT_NEW, 4, 40000);
	assert_int_equal(ct_track_count(t), 3);
	feed(t, IPCTNL_MSG_CT_DELETE, 3, 40000);
	feed(t, IPCTNL_MSG_CT_DELETE, 9, 40000); /* never seen: nothing happens */
	assert_int_equal(ct_track_count(t), 2);
	assert_int_equal(ct_track_each(t, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true((s.hosts[0] == 2 && s.hosts[1] == 4) || (s.hosts[0] == 4 && s.hosts[1] == 2));
	/* A new entry in the slot a destroyed one left. */
	feed(t, IPCTNL_MSG_CT_NEW, 3, 40000);
	assert_int_equal(ct_track_count(t), 3);
	assert_true(ct_track_valid(t));
	assert_null(ct_track_doubt(t));
	ct_track_close(t);
}

/* Thousands of flows come and go: every rehash keeps them all, tombstones do not pile up. */
static void
test_many(void **state)
{
	struct ct_track *t = fresh(10000);
	struct seen s = {0};

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 5000; i++)
			feed(t, IPCTNL_MSG_CT_NEW, (uint8_t)(i % 200), (uint16_t)(1024 + i));
		assert_int_equal(ct_track_count(t), 5000);
		for (int i = 0; i < 5000; i += 2)
			feed(t, IPCTNL_MSG_CT_DELETE, (uint8_t)(i % 200), (uint16_t)(1024 + i));
		assert_int_equal(ct_track_count(t), 2500);
		for (int i = 1; i < 5000; i += 2)
			feed(t, IPCTNL_MSG_CT_DELETE, (uint8_t)(i % 200), (uint16_t)(1024 + i));
		assert_int_equal(ct_track_count(t), 0);
	}
	assert_int_equal(ct_track_each(t, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_true(ct_track_valid(t));
	ct_track_close(t);
}

static void
test_too_many(void **state)
{
	struct ct_track *t = fresh(3);

	(void)state;
	for (int i = 0; i < 3; i++)
		feed(t, IPCTNL_MSG_CT_NEW, 2, (uint16_t)(1024 + i));
	assert_true(ct_track_valid(t));
	feed(t, IPCTNL_MSG_CT_NEW, 2, 2000);
	assert_false(ct_track_valid(t));
	assert_int_equal(ct_track_count(t), 0);
	assert_string_equal(ct_track_doubt(t), "more flows than the tracker keeps");
	/* Events alone cannot make it valid again: only a dump can. */
	feed(t, IPCTNL_MSG_CT_DELETE, 2, 2000);
	feed(t, IPCTNL_MSG_CT_NEW, 2, 3000);
	assert_false(ct_track_valid(t));
	assert_int_equal(ct_track_count(t), 0);
	ct_track_reset(t);
	feed(t, IPCTNL_MSG_CT_NEW, 2, 3000);
	ct_track_resynced(t);
	assert_true(ct_track_valid(t));
	assert_int_equal(ct_track_count(t), 1);
	ct_track_close(t);
}

static void
test_tuple_too_long(void **state)
{
	struct ct_track *t = fresh(10);
	uint8_t raw[CT_TUPLE_MAX + 8] __attribute__((aligned(4))) = {0};
	struct nlattr *a = (struct nlattr *)raw;

	(void)state;
	a->nla_type = CTA_TUPLE_ORIG;
	a->nla_len = sizeof(raw);
	ct_track_add(t, AF_INET, a);
	assert_false(ct_track_valid(t));
	assert_string_equal(ct_track_doubt(t), "a conntrack tuple longer than the tracker keeps");
	ct_track_close(t);
}

/* Messages of other subsystems, or without a tuple, change nothing. */
static void
test_other_messages(void **state)
{
	struct ct_track *t = fresh(10);
	char buf[512] __attribute__((aligned(4)));
	struct nlmsghdr *nlh = event(buf, IPCTNL_MSG_CT_NEW, 2, 1);

	(void)state;
	nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | IPCTNL_MSG_CT_NEW;
	ct_track_msg(t, nlh);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
	ct_track_msg(t, nlh);
	assert_int_equal(ct_track_count(t), 0);
	assert_true(ct_track_valid(t));
	assert_int_equal(ct_track_fd(t), -1);
	ct_track_drain(t); /* no socket: nothing to read */
	ct_track_close(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_and_destroy), cmocka_unit_test(test_many),
	    cmocka_unit_test(test_too_many),	    cmocka_unit_test(test_tuple_too_long),
	    cmocka_unit_test(test_other_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
