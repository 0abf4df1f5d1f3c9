// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_peerstats.c — per-peer deltas between polls, "flowing",
 * handshake counting, peers appearing, disappearing and being re-created.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "core/peerstats.h"

static void
poll_one(struct peerstats *ps, struct wg_peer_state *peers, size_t n)
{
	struct wg_dev_state st = {.peers = peers, .npeers = n};

	assert_int_equal(peerstats_update(ps, &st), 0);
}

static void
test_deltas_and_handshakes(void **state)
{
	struct wg_peer_state p[2] = {{.pubkey = {1}, .rx_bytes = 100, .tx_bytes = 50},
				     {.pubkey = {2}, .last_handshake = 1000}};
	struct peerstats ps = {.interval = 5};
	const struct peerstat *a, *b;

	(void)state;
	poll_one(&ps, p, 2);
	a = peerstats_find(&ps, p[0].pubkey);
	assert_non_null(a);
	assert_false(peerstat_flowing(a)); /* one poll says nothing about the interval */
	assert_int_equal(a->handshakes, 0);
	assert_int_equal(peerstats_find(&ps, p[1].pubkey)->handshakes, 1);

	p[0].rx_bytes = 400;
	p[0].tx_bytes = 60;
	p[0].last_handshake = 1010;
	p[1].tx_bytes = 999; /* only sending: a dead path */
	poll_one(&ps, p, 2);
	a = peerstats_find(&ps, p[0].pubkey);
	b = peerstats_find(&ps, p[1].pubkey);
	assert_int_equal(a->drx, 300);
	assert_int_equal(a->dtx, 10);
	assert_true(peerstat_flowing(a));
	assert_int_equal(a->handshakes, 1);
	assert_false(peerstat_flowing(b));
	assert_int_equal(b->handshakes, 1); /* same handshake time: not a new one */

	p[1].last_handshake = 1130; /* rekey after 120 s */
	poll_one(&ps, p, 2);
	assert_int_equal(peerstats_find(&ps, p[1].pubkey)->handshakes, 2);
	assert_false(peerstat_flowing(peerstats_find(&ps, p[0].pubkey))); /* nothing moved */
	peerstats_free(&ps);
}

static void
test_peers_come_and_go(void **state)
{
	struct wg_peer_state p[2] = {{.pubkey = {1}, .rx_bytes = 500}, {.pubkey = {2}}};
	struct peerstats ps = {0};

	(void)state;
	poll_one(&ps, p, 2);
	poll_one(&ps, p + 1, 1);
	assert_null(peerstats_find(&ps, p[0].pubkey));
	p[0].rx_bytes = 20; /* re-created: counters start again */
	poll_one(&ps, p, 2);
	poll_one(&ps, p, 0);
	assert_int_equal(ps.n, 0);
	p[0].rx_bytes = 500;
	poll_one(&ps, p, 1);
	p[0].rx_bytes = 30;
	poll_one(&ps, p, 1);
	assert_int_equal(peerstats_find(&ps, p[0].pubkey)->drx, 30);
	peerstats_free(&ps);
	peerstats_free(&ps); /* twice is safe */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_deltas_and_handshakes),
	    cmocka_unit_test(test_peers_come_and_go),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
