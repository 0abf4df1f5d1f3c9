// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_dhcp_msg.c — DHCP wire format: every message type built
 * and parsed back, each malformed input dropped with its own reason, option
 * order from the parameter request list, and the reply size limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/dhcp_msg.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x2a};

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void
base(struct dhcp_msg *m, uint8_t op, uint8_t type)
{
	memset(m, 0, sizeof(*m));
	m->op = op;
	m->htype = DHCP_HTYPE_ETHER;
	m->hlen = 6;
	m->xid = 0xdeadbeef;
	m->secs = 3;
	m->flags = DHCP_FLAG_BROADCAST;
	memcpy(m->chaddr, mac, 6);
	m->type = type;
	dhcp_set(m, DHCP_OPT_MSG_TYPE);
}

/* A request with everything a client sends. */
static void
request(struct dhcp_msg *m, uint8_t type)
{
	static const uint8_t prl[] = {1, 3, 6, 15, 26};

	base(m, DHCP_BOOTREQUEST, type);
	m->requested_ip = ip("10.0.0.5");
	dhcp_set(m, DHCP_OPT_REQUESTED_IP);
	m->server_id = ip("10.0.0.1");
	dhcp_set(m, DHCP_OPT_SERVER_ID);
	m->client_id[0] = 1;
	memcpy(m->client_id + 1, mac, 6);
	m->client_id_len = 7;
	dhcp_set(m, DHCP_OPT_CLIENT_ID);
	strcpy(m->hostname, "laptop-1");
	dhcp_set(m, DHCP_OPT_HOSTNAME);
	memcpy(m->prl, prl, sizeof(prl));
	m->prl_len = sizeof(prl);
	dhcp_set(m, DHCP_OPT_PRL);
	m->max_size = 1500;
	dhcp_set(m, DHCP_OPT_MAX_SIZE);
	m->ciaddr = ip("10.0.0.5");
}

/* A reply with every configuration option. */
static void
reply(struct dhcp_msg *m, uint8_t type)
{
	base(m, DHCP_BOOTREPLY, type);
	m->yiaddr = ip("10.0.0.5");
	m->server_id = ip("10.0.0.1");
	dhcp_set(m, DHCP_OPT_SERVER_ID);
	m->lease_time = 3600;
	m->t1 = 1800;
	m->t2 = 3150;
	dhcp_set(m, DHCP_OPT_LEASE_TIME);
	dhcp_set(m, DHCP_OPT_T1);
	dhcp_set(m, DHCP_OPT_T2);
	m->subnet_mask = ip("255.255.255.0");
	dhcp_set(m, DHCP_OPT_SUBNET_MASK);
	m->router = ip("10.0.0.1");
	dhcp_set(m, DHCP_OPT_ROUTER);
	m->dns[0] = ip("10.0.0.1");
	m->dns[1] = ip("9.9.9.9");
	m->ndns = 2;
	dhcp_set(m, DHCP_OPT_DNS);
	strcpy(m->domain, "lan.example");
	dhcp_set(m, DHCP_OPT_DOMAIN);
	m->mtu = 1420;
	dhcp_set(m, DHCP_OPT_MTU);
}

static void
round_trip(const struct dhcp_msg *m)
{
	uint8_t buf[DHCP_MSG_MAX];
	struct dhcp_msg back;
	enum dhcp_drop why;
	size_t len;

	assert_int_equal(dhcp_msg_build(m, DHCP_REPLY_MIN_MAX, buf, sizeof(buf), &len), 0);
	assert_true(len >= DHCP_REPLY_PAD_TO && len <= DHCP_REPLY_MIN_MAX);
	assert_int_equal(dhcp_msg_parse(buf, len, m->op, &back, &why), 0);
	/* Same struct byte for byte: every field and every option made it. */
	assert_memory_equal(&back, m, sizeof(back));
}

static void
test_round_trip_all_types(void **state)
{
	struct dhcp_msg m;

	(void)state;
	for (uint8_t t = DHCP_DISCOVER; t <= DHCP_INFORM; t++) {
		if (t == DHCP_OFFER || t == DHCP_ACK || t == DHCP_NAK)
			reply(&m, t);
		else
			request(&m, t);
		round_trip(&m);
	}
	/* A NAK carries a message and nothing of the configuration. */
	base(&m, DHCP_BOOTREPLY, DHCP_NAK);
	m.server_id = ip("10.0.0.1");
	dhcp_set(&m, DHCP_OPT_SERVER_ID);
	strcpy(m.message, "address not available");
	dhcp_set(&m, DHCP_OPT_MESSAGE);
	round_trip(&m);
}

/* A minimal valid DISCOVER as bytes, for corrupting. */
static size_t
discover_bytes(uint8_t *buf, size_t cap)
{
	struct dhcp_msg m;
	size_t len;

	base(&m, DHCP_BOOTREQUEST, DHCP_DISCOVER);
	assert_int_equal(dhcp_msg_build(&m, cap, buf, cap, &len), 0);
	return len;
}

static void
expect_drop(const uint8_t *buf, size_t len, enum dhcp_drop want)
{
	struct dhcp_msg m;
	enum dhcp_drop why = DHCP_DROP_REASONS;

	assert_int_equal(dhcp_msg_parse(buf, len, DHCP_BOOTREQUEST, &m, &why), -EBADMSG);
	assert_string_equal(dhcp_drop_name(why), dhcp_drop_name(want));
}

static void
test_malformed(void **state)
{
	uint8_t buf[DHCP_MSG_MAX + 16], b[DHCP_MSG_MAX + 16];
	size_t len = discover_bytes(buf, DHCP_MSG_MAX);
	struct dhcp_msg m;

	(void)state;
	assert_int_equal(dhcp_msg_parse(buf, len, DHCP_BOOTREQUEST, &m, NULL), 0);
	expect_drop(buf, 239, DHCP_DROP_SHORT);
	expect_drop(buf, 0, DHCP_DROP_SHORT);
	memset(b, 0, sizeof(b));
	memcpy(b, buf, len);
	expect_drop(b, DHCP_MSG_MAX + 1, DHCP_DROP_OVERSIZE);
#define CORRUPT(off, val, why)                                                                     \
	do {                                                                                       \
		memcpy(b, buf, len);                                                               \
		b[off] = (val);                                                                    \
		expect_drop(b, len, why);                                                          \
	} while (0)
	CORRUPT(0, DHCP_BOOTREPLY, DHCP_DROP_OP);
	CORRUPT(1, 6, DHCP_DROP_HTYPE);
	CORRUPT(2, 17, DHCP_DROP_HLEN);
	CORRUPT(2, 8, DHCP_DROP_HLEN);
	CORRUPT(DHCP_FIXED_LEN + 3, 0, DHCP_DROP_COOKIE);
	/* Message type option: 53 1 1 at offset 240. */
	CORRUPT(DHCP_OPTIONS_OFF + 1, 2, DHCP_DROP_OPT_LEN);
	CORRUPT(DHCP_OPTIONS_OFF + 2, 9, DHCP_DROP_BAD_TYPE);
	CORRUPT(DHCP_OPTIONS_OFF + 2, DHCP_OFFER, DHCP_DROP_BAD_TYPE);
	CORRUPT(DHCP_OPTIONS_OFF, DHCP_OPT_END, DHCP_DROP_NO_TYPE);
	/* An option whose length runs past the end of the datagram. */
	memcpy(b, buf, len);
	b[DHCP_OPTIONS_OFF + 3] = DHCP_OPT_HOSTNAME;
	b[DHCP_OPTIONS_OFF + 4] = 200;
	expect_drop(b, DHCP_OPTIONS_OFF + 10, DHCP_DROP_OPT_OVERRUN);
	/* A code as the very last byte, without its length. */
	expect_drop(b, DHCP_OPTIONS_OFF + 4, DHCP_DROP_OPT_OVERRUN);
	/* Wrong lengths for fixed-size options. */
	memcpy(b, buf, len);
	b[DHCP_OPTIONS_OFF + 3] = DHCP_OPT_REQUESTED_IP;
	b[DHCP_OPTIONS_OFF + 4] = 3;
	b[DHCP_OPTIONS_OFF + 8] = DHCP_OPT_END;
	expect_drop(b, len, DHCP_DROP_OPT_LEN);
	b[DHCP_OPTIONS_OFF + 3] = DHCP_OPT_CLIENT_ID;
	b[DHCP_OPTIONS_OFF + 4] = 1;
	expect_drop(b, len, DHCP_DROP_OPT_LEN);
#undef CORRUPT
}

/* Hostnames with control bytes are not kept; a trailing NUL is. */
static void
test_hostname_sanitized(void **state)
{
	uint8_t buf[DHCP_MSG_MAX], b[DHCP_MSG_MAX];
	size_t len = discover_bytes(buf, sizeof(buf));
	static const uint8_t bad[] = {12, 6, 'a', 0x1b, '[', '3', '1', 'm', 255};
	static const uint8_t nul[] = {12, 4, 'p', 'c', '1', 0, 255};
	struct dhcp_msg m;

	(void)state;
	memcpy(b, buf, len);
	memcpy(b + DHCP_OPTIONS_OFF + 3, bad, sizeof(bad));
	assert_int_equal(dhcp_msg_parse(b, len, DHCP_BOOTREQUEST, &m, NULL), 0);
	assert_false(dhcp_has(&m, DHCP_OPT_HOSTNAME));
	memcpy(b + DHCP_OPTIONS_OFF + 3, nul, sizeof(nul));
	assert_int_equal(dhcp_msg_parse(b, len, DHCP_BOOTREQUEST, &m, NULL), 0);
	assert_string_equal(m.hostname, "pc1");
}

/* Position of option code in a built message, or -1. */
static int
opt_pos(const uint8_t *b, size_t len, uint8_t code)
{
	for (size_t i = DHCP_OPTIONS_OFF; i < len && b[i] != DHCP_OPT_END;) {
		if (b[i] == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (b[i] == code)
			return (int)i;
		i += 2 + (size_t)b[i + 1];
	}
	return -1;
}

static void
test_prl_order_and_selection(void **state)
{
	static const uint8_t prl[] = {DHCP_OPT_DNS, DHCP_OPT_ROUTER, DHCP_OPT_SUBNET_MASK};
	uint8_t b[DHCP_MSG_MAX];
	struct dhcp_msg m;
	size_t len;

	(void)state;
	reply(&m, DHCP_ACK);
	memcpy(m.prl, prl, sizeof(prl));
	m.prl_len = sizeof(prl);
	assert_int_equal(dhcp_msg_build(&m, DHCP_REPLY_MIN_MAX, b, sizeof(b), &len), 0);
	assert_int_equal(opt_pos(b, len, DHCP_OPT_MSG_TYPE), DHCP_OPTIONS_OFF);
	assert_true(opt_pos(b, len, DHCP_OPT_T2) < opt_pos(b, len, DHCP_OPT_DNS));
	assert_true(opt_pos(b, len, DHCP_OPT_DNS) < opt_pos(b, len, DHCP_OPT_ROUTER));
	assert_true(opt_pos(b, len, DHCP_OPT_ROUTER) < opt_pos(b, len, DHCP_OPT_SUBNET_MASK));
	/* Not asked for: not sent. */
	assert_int_equal(opt_pos(b, len, DHCP_OPT_DOMAIN), -1);
	assert_int_equal(opt_pos(b, len, DHCP_OPT_MTU), -1);
}

static void
test_size_limit(void **state)
{
	uint8_t b[DHCP_MSG_MAX];
	struct dhcp_msg m, req;
	size_t len;

	(void)state;
	base(&req, DHCP_BOOTREQUEST, DHCP_DISCOVER);
	assert_int_equal(dhcp_msg_reply_max(&req), 548);
	req.max_size = 1500;
	dhcp_set(&req, DHCP_OPT_MAX_SIZE);
	assert_int_equal(dhcp_msg_reply_max(&req), 1472);
	req.max_size = 200; /* below the legal minimum: ignored */
	assert_int_equal(dhcp_msg_reply_max(&req), 548);
	/* A long domain does not fit the minimum: left out, the rest stays. */
	reply(&m, DHCP_OFFER);
	memset(m.domain, 'x', DHCP_DOMAIN_MAX);
	m.domain[DHCP_DOMAIN_MAX] = 0;
	assert_int_equal(dhcp_msg_build(&m, 320, b, sizeof(b), &len), 0);
	assert_true(len <= 320);
	assert_int_equal(opt_pos(b, len, DHCP_OPT_DOMAIN), -1);
	assert_true(opt_pos(b, len, DHCP_OPT_MTU) > 0);
	assert_int_equal(dhcp_msg_build(&m, 100, b, sizeof(b), &len), -ENOSPC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_all_types),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_hostname_sanitized),
	    cmocka_unit_test(test_prl_order_and_selection),
	    cmocka_unit_test(test_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
