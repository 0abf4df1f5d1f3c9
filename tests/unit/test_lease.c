// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_lease.c — the lease table: rows written and read back
 * whole, replaced by address, deleted, in-memory states refused, and a
 * corrupt row reported rather than loaded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "storage/lease.h"
#include "storage/store.h"

static char dir[64];
static char path[128];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/umbral-test-lease-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/policy.db", dir);
	return 0;
}

static int
teardown(void **state)
{
	char p[160];

	(void)state;
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return rmdir(dir);
}

static void
lease(struct dhcp_lease *l, const char *ip, uint8_t id, enum dhcp_lease_state s)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(inet_pton(AF_INET, ip, &l->ip), 1);
	l->state = s;
	l->expiry = 1700000000 + id;
	memcpy(l->mac, "\x02\x00\x00\x00\x00", 5);
	l->mac[5] = id;
	if (s != DHCP_LEASE_DECLINED) {
		/* A client id that is not a MAC, with a NUL inside: stored as a blob. */
		l->key_len = 9;
		memcpy(l->key, "\xff\x00host-id", 9);
		l->key[8] = id;
		snprintf(l->hostname, sizeof(l->hostname), "host-%u", id);
	}
}

static int
by_ip(const void *a, const void *b)
{
	uint32_t x = ntohl(((const struct dhcp_lease *)a)->ip.s_addr);
	uint32_t y = ntohl(((const struct dhcp_lease *)b)->ip.s_addr);

	return x < y ? -1 : x > y;
}

static void
test_round_trip(void **state)
{
	struct dhcp_lease in[3], *out = NULL;
	struct lease_store *ls = NULL;
	struct store *st = NULL;
	size_t n = 99;

	(void)state;
	assert_int_equal(store_open(path, &st), 0);
	assert_true(store_schema_version(st) >= 5); /* migration 5 brought leases */
	assert_int_equal(lease_open(st, &ls), 0);
	assert_int_equal(lease_load(ls, &out, &n), 0);
	assert_int_equal(n, 0);
	assert_null(out);
	lease(&in[0], "10.77.1.100", 1, DHCP_LEASE_BOUND);
	lease(&in[1], "10.77.1.101", 2, DHCP_LEASE_RELEASED);
	lease(&in[2], "10.77.1.102", 3, DHCP_LEASE_DECLINED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(lease_put(ls, &in[i]), 0);
	/* Same address again: replaced, not added. */
	in[0].expiry += 1800;
	assert_int_equal(lease_put(ls, &in[0]), 0);
	lease_close(ls);
	store_close(st);

	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(lease_open(st, &ls), 0);
	assert_int_equal(lease_load(ls, &out, &n), 0);
	assert_int_equal(n, 3);
	qsort(out, n, sizeof(*out), by_ip);
	for (int i = 0; i < 3; i++)
		assert_memory_equal(&out[i], &in[i], sizeof(in[i]));
	free(out);
	assert_int_equal(lease_delete(ls, in[1].ip), 0);
	assert_int_equal(lease_load(ls, &out, &n), 0);
	assert_int_equal(n, 2);
	free(out);
	lease_close(ls);
	store_close(st);
}

static void
test_refused_and_corrupt(void **state)
{
	struct lease_store *ls = NULL;
	struct dhcp_lease l, *out = NULL;
	struct store *st = NULL;
	sqlite3 *db;
	size_t n = 0;

	(void)state;
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(lease_open(st, &ls), 0);
	lease(&l, "10.77.1.100", 1, DHCP_LEASE_OFFERED);
	assert_int_equal(lease_put(ls, &l), -EINVAL);
	l.state = DHCP_LEASE_FREE;
	assert_int_equal(lease_put(ls, &l), -EINVAL);
	assert_int_equal(lease_put(NULL, &l), -EINVAL);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "INSERT INTO lease VALUES ('10.77.1.300', x'01', "
				      "'02:00:00:00:00:01', '', 0, 'bound')",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(lease_load(ls, &out, &n), -EIO);
	assert_null(out);
	lease_close(ls);
	lease_close(NULL);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_and_corrupt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
