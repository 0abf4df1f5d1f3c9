// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_wg_uapi.c — wireguard-go UAPI: get replies parsed, sets formatted from a diff. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include "wg/internal.h"
#include "wg/key.h"

#define HEX_A "1111111111111111111111111111111111111111111111111111111111111111"
#define HEX_B "2222222222222222222222222222222222222222222222222222222222222222"

/* Shaped like wireguard-go 0.0.20220316's answer to get=1. */
static const char reply[] = "private_key=c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669\n"
			    "listen_port=51820\n"
			    "fwmark=196608\n"
			    "public_key=" HEX_A "\n"
			    "preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
			    "protocol_version=1\n"
			    "endpoint=198.18.2.2:51820\n"
			    "last_handshake_time_sec=1700000000\n"
			    "last_handshake_time_nsec=5\n"
			    "tx_bytes=1234\n"
			    "rx_bytes=5678\n"
			    "persistent_keepalive_interval=25\n"
			    "allowed_ip=10.2.0.0/16\n"
			    "allowed_ip=fd00:0:2::/48\n"
			    "public_key=" HEX_B "\n"
			    "protocol_version=1\n"
			    "endpoint=[2001:db8:3::2]:51821\n"
			    "last_handshake_time_sec=0\n"
			    "last_handshake_time_nsec=0\n"
			    "tx_bytes=0\n"
			    "rx_bytes=0\n"
			    "persistent_keepalive_interval=0\n"
			    "allowed_ip=10.3.0.0/16\n"
			    "allowed_ip=10.33.0.0/16\n"
			    "allowed_ip=fd00:0:3::/48\n"
			    "some_future_key=whatever\n"
			    "errno=0\n"
			    "\n";

static void
test_parse_get(void **state)
{
	struct wg_dev_state st;
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char b[64];

	(void)state;
	assert_int_equal(key_from_base64(priv, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="), 0);
	assert_int_equal(wg_key_public(pub, priv), 0);
	assert_int_equal(wg_uapi_parse_get(reply, strlen(reply), &st), 0);
	assert_true(st.has_pubkey);
	assert_memory_equal(st.pubkey, pub, WG_KEY_LEN);
	assert_int_equal(st.listen_port, 51820);
	assert_int_equal(st.fwmark, 0x30000);
	assert_int_equal(st.npeers, 2);
	assert_int_equal(st.peers[0].pubkey[0], 0x11);
	assert_true(st.peers[0].has_endpoint);
	assert_string_equal(endpoint_format(&st.peers[0].endpoint, b, sizeof(b)), "198.18.2.2:51820");
	assert_int_equal(st.peers[0].last_handshake, 1700000000);
	assert_int_equal(st.peers[0].tx_bytes, 1234);
	assert_int_equal(st.peers[0].rx_bytes, 5678);
	assert_int_equal(st.peers[0].keepalive, 25);
	assert_int_equal(st.peers[0].nallowed, 2);
	assert_string_equal(prefix_format(&st.peers[0].allowed[1], b, sizeof(b)), "fd00:0:2::/48");
	assert_int_equal(st.peers[1].pubkey[31], 0x22);
	assert_string_equal(endpoint_format(&st.peers[1].endpoint, b, sizeof(b)), "[2001:db8:3::2]:51821");
	assert_int_equal(st.peers[1].last_handshake, 0);
	assert_int_equal(st.peers[1].nallowed, 3);
	assert_string_equal(prefix_format(&st.peers[1].allowed[1], b, sizeof(b)), "10.33.0.0/16");
	wg_state_free(&st);
	wg_state_free(NULL);
}

static void
expect_bad(const char *text, int want)
{
	struct wg_dev_state st = {.listen_port = 7};

	assert_int_equal(wg_uapi_parse_get(text, strlen(text), &st), want);
	assert_int_equal(st.listen_port, 7); /* untouched */
}

static void
test_parse_errors(void **state)
{
	char *longline;

	(void)state;
	expect_bad("errno=22\n\n", -EINVAL);
	expect_bad("errno=74\n\n", -74);
	expect_bad("listen_port=1\n\n", -EBADMSG); /* no errno line */
	expect_bad("listen_port=1\nerrno=0\n", -EBADMSG); /* no blank line */
	expect_bad("listen_port\nerrno=0\n\n", -EBADMSG); /* no '=' */
	expect_bad("=1\nerrno=0\n\n", -EBADMSG);
	expect_bad("listen_port=65536\nerrno=0\n\n", -EBADMSG);
	expect_bad("listen_port=-1\nerrno=0\n\n", -EBADMSG);
	expect_bad("listen_port= 1\nerrno=0\n\n", -EBADMSG);
	expect_bad("listen_port=\nerrno=0\n\n", -EBADMSG);
	expect_bad("fwmark=99999999999999999999999\nerrno=0\n\n", -EBADMSG);
	expect_bad("errno=abc\n\n", -EBADMSG);
	expect_bad("errno=999999\n\n", -EBADMSG);
	expect_bad("public_key=11\nerrno=0\n\n", -EBADMSG);
	expect_bad("public_key=" HEX_A "x\nerrno=0\n\n", -EBADMSG);
	expect_bad("public_key=zz11111111111111111111111111111111111111111111111111111111111111\n"
		   "errno=0\n\n",
		   -EBADMSG);
	expect_bad("private_key=zz11111111111111111111111111111111111111111111111111111111111111\n"
		   "errno=0\n\n",
		   -EBADMSG);
	expect_bad("public_key=" HEX_A "\nallowed_ip=10.0.0.1/8\nerrno=0\n\n", -EBADMSG);
	expect_bad("public_key=" HEX_A "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n", -EBADMSG);
	expect_bad("public_key=" HEX_A "\nendpoint=1.2.3.4\nerrno=0\n\n", -EBADMSG);
	expect_bad("public_key=" HEX_A "\nrx_bytes=18446744073709551616\nerrno=0\n\n", -EBADMSG);
	expect_bad("", -EBADMSG);

	longline = malloc(WG_UAPI_LINE_MAX + 32);
	assert_non_null(longline);
	memset(longline, 'a', WG_UAPI_LINE_MAX + 10);
	memcpy(longline, "x=", 2);
	strcpy(longline + WG_UAPI_LINE_MAX + 10, "\nerrno=0\n\n");
	expect_bad(longline, -EBADMSG);
	free(longline);

	/* Embedded NUL inside a line. */
	{
		const char t[] = "listen_port=1\0x\nerrno=0\n\n";
		struct wg_dev_state st;
		assert_int_equal(wg_uapi_parse_get(t, sizeof(t) - 1, &st), -EBADMSG);
	}
	assert_int_equal(wg_uapi_parse_errno("errno=0\n\n", 9), 0);
	assert_int_equal(wg_uapi_parse_errno("errno=1\n\n", 9), -1);
	assert_int_equal(wg_uapi_parse_errno("errno=1\n", 8), -EBADMSG);
}

static void
test_format_set(void **state)
{
	struct prefix a[3];
	struct wg_peer_conf peers[2];
	struct wg_dev_state cur = {0}, known = {0};
	struct wg_peer_state *p;
	struct wg_conf conf = {0};
	struct wg_diff d, d2;
	struct errbuf eb = {0};
	uint8_t *priv = sodium_malloc(WG_KEY_LEN);
	char *buf;
	size_t cap, len;

	(void)state;
	assert_non_null(priv);
	assert_int_equal(key_from_base64(priv, "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="), 0);
	assert_int_equal(prefix_parse("10.2.0.0/16", &a[0], "", &eb), 0);
	assert_int_equal(prefix_parse("fd00:0:2::/48", &a[1], "", &eb), 0);
	assert_int_equal(prefix_parse("10.4.0.0/16", &a[2], "", &eb), 0);
	memset(peers, 0, sizeof(peers));
	memset(peers[0].pubkey, 0x11, WG_KEY_LEN); /* stays, allowed-ips change */
	peers[0].allowed = a;
	peers[0].nallowed = 2;
	peers[0].keepalive = 25;
	peers[0].has_endpoint = true;
	assert_int_equal(endpoint_parse("198.18.2.2:51820", &peers[0].endpoint, "", &eb), 0);
	memset(peers[1].pubkey, 0x44, WG_KEY_LEN); /* new, roaming */
	peers[1].allowed = &a[2];
	peers[1].nallowed = 1;
	conf = (struct wg_conf){.privkey = priv, .listen_port = 51820, .fwmark = 0x30000,
				.peers = peers, .npeers = 2};

	/* The device has peer 0x11 with one allowed-ip and peer 0x22, no key, port 51820. */
	cur.listen_port = 51820;
	p = wg_state_add_peer(&cur, peers[0].pubkey);
	assert_int_equal(wg_peer_add_allowed(p, &a[0]), 0);
	memset(cur.pubkey, 0x22, WG_KEY_LEN);
	assert_non_null(wg_state_add_peer(&cur, cur.pubkey));
	memset(cur.pubkey, 0, WG_KEY_LEN);

	assert_int_equal(wg_diff_build(&cur, &conf, &d), 0);
	cap = wg_uapi_set_size(&d);
	buf = sodium_malloc(cap);
	assert_non_null(buf);
	assert_int_equal(wg_uapi_format_set(&d, buf, cap, &len), 0);
	assert_int_equal(len, strlen(buf));
	assert_string_equal(buf, "set=1\n"
				 "private_key=c809f3e5317e9575c9b5ed78b638b7ce530dabe85ddab614220241801ddf0669\n"
				 "fwmark=196608\n"
				 "public_key=" HEX_B "\n"
				 "remove=true\n"
				 "public_key=" HEX_A "\n"
				 "replace_allowed_ips=true\n"
				 "allowed_ip=10.2.0.0/16\n"
				 "allowed_ip=fd00:0:2::/48\n"
				 "endpoint=198.18.2.2:51820\n"
				 "persistent_keepalive_interval=25\n"
				 "public_key=4444444444444444444444444444444444444444444444444444444444444444\n"
				 "replace_allowed_ips=true\n"
				 "allowed_ip=10.4.0.0/16\n"
				 "persistent_keepalive_interval=0\n"
				 "\n");
	assert_int_equal(wg_uapi_format_set(&d, buf, 40, &len), -ENOBUFS);
	/* What the device holds once d went in: conf diffed against it sends nothing. */
	assert_int_equal(wg_state_from_conf(&cur, &conf, &d, &known), 0);
	assert_true(known.has_pubkey);
	assert_int_equal(known.npeers, 2);
	assert_int_equal(wg_diff_build(&known, &conf, &d2), 0);
	assert_true(wg_diff_empty(&d2));
	wg_diff_free(&d2);
	sodium_free(buf);
	wg_diff_free(&d);
	wg_state_free(&cur);

	/* The device already equals conf: nothing to send. */
	cur.has_pubkey = true;
	assert_int_equal(wg_key_public(cur.pubkey, priv), 0);
	cur.listen_port = 51820;
	cur.fwmark = 0x30000;
	for (int i = 0; i < 2; i++) {
		p = wg_state_add_peer(&cur, peers[i].pubkey);
		for (size_t j = peers[i].nallowed; j-- > 0;)
			assert_int_equal(wg_peer_add_allowed(p, &peers[i].allowed[j]), 0);
		p->keepalive = peers[i].keepalive;
		p->has_endpoint = true;
		p->endpoint = peers[0].endpoint; /* roaming peer learned one: kept */
	}
	assert_int_equal(wg_diff_build(&cur, &conf, &d), 0);
	assert_true(wg_diff_empty(&d));
	wg_diff_free(&d);
	/* Read back, it matches what the set left (a learned endpoint is no drift)... */
	assert_true(wg_state_matches(&cur, &known));
	/* ...until an allowed-ip or a keepalive is changed behind our back. */
	cur.peers[0].nallowed = 1;
	assert_false(wg_state_matches(&cur, &known));
	cur.peers[0].nallowed = 2;
	cur.peers[1].keepalive = 5;
	assert_false(wg_state_matches(&cur, &known));
	wg_state_free(&known);
	wg_state_free(&cur);

	/* Duplicate peers are refused. */
	peers[1] = peers[0];
	assert_int_equal(wg_diff_build(&cur, &conf, &d), -EINVAL);
	sodium_free(priv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_get),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_format_set),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
