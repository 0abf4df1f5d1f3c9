// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_lan.c — the LAN part of the policy: dhcp set / static and
 * lan route edits, their validation messages, printing back as commands (a
 * round trip), the derived pool, and a round trip through the database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy/edit.h"
#include "policy/lan.h"
#include "storage/store.h"
#include "tests/unit/unit_edit.h"

static void
lab_node(struct policy *p)
{
	struct errbuf eb = {0};

	policy_init(p);
	assert_int_equal(edit(p, &eb, "node set --prefix 10.1.0.0/16"), 0);
}

static void
test_defaults(void **state)
{
	struct policy p;
	struct buf out;

	(void)state;
	lab_node(&p);
	assert_true(p.dhcp.enabled);
	assert_int_equal(p.dhcp.lease_time, 3600);
	assert_int_equal(p.dhcp.pool_start.s_addr, 0);
	buf_init(&out);
	policy_print(&p, &out);
	assert_null(strstr(buf_str(&out), "dhcp")); /* defaults print nothing */
	buf_free(&out);
	policy_free(&p);
}

static void
test_dhcp_set(void **state)
{
	struct errbuf eb = {0};
	struct policy p;
	char a[INET_ADDRSTRLEN];

	(void)state;
	lab_node(&p);
	assert_int_equal(edit(&p, &eb,
			      "dhcp set --pool 10.1.1.50-10.1.1.60 --router none "
			      "--dns 1.1.1.1,9.9.9.9 --domain lan.example --lease-time 120 "
			      "--mtu 1400"),
			 0);
	assert_string_equal(inet_ntop(AF_INET, &p.dhcp.pool_end, a, sizeof(a)), "10.1.1.60");
	assert_true(p.dhcp.no_router);
	assert_int_equal(p.dhcp.ndns, 2);
	assert_string_equal(p.dhcp.domain, "lan.example");
	assert_int_equal(p.dhcp.mtu, 1400);
	assert_int_equal(edit(&p, &eb, "dhcp set --server off"), 0);
	assert_false(p.dhcp.enabled);
	assert_int_equal(eb.count, 0);
	policy_free(&p);
}

static void
test_dhcp_set_errors(void **state)
{
	struct errbuf eb = {0};
	struct policy p;

	(void)state;
	lab_node(&p);
	assert_int_equal(edit(&p, &eb, "dhcp set --pool 10.1.1.9-10.1.1.1"), -EINVAL);
	assert_non_null(strstr(eb.text, "dhcp: pool: the start must not be after the end"));
	assert_int_equal(edit(&p, &eb,
			      "dhcp set --pool banana --dns 1.2.3.4,x --lease-time 5 "
			      "--mtu 100 --server maybe --domain a/b --colour red"),
			 -EINVAL);
	assert_non_null(strstr(eb.text, "dhcp: pool banana: must be START-END"));
	assert_non_null(strstr(eb.text, "dhcp: dns 1.2.3.4,x: must be 1-3 IPv4 addresses"));
	assert_non_null(strstr(eb.text, "dhcp: lease-time 5: must be 60-31536000 seconds"));
	assert_non_null(strstr(eb.text, "dhcp: mtu 100: must be 576-9000, or 0"));
	assert_non_null(strstr(eb.text, "dhcp: server maybe: must be on or off"));
	assert_non_null(strstr(eb.text, "dhcp: domain a/b"));
	assert_non_null(strstr(eb.text, "dhcp: --colour: unknown option"));
	assert_int_equal(edit(&p, &eb, "dhcp set --pool 10.1.0.1-10.1.255.254"), -EINVAL);
	assert_non_null(strstr(eb.text, "dhcp: pool: at most 4096 addresses"));
	assert_true(p.dhcp.enabled); /* nothing changed */
	assert_int_equal(p.dhcp.pool_start.s_addr, 0);
	policy_free(&p);
}

static void
test_statics(void **state)
{
	struct errbuf eb = {0};
	struct policy p;

	(void)state;
	lab_node(&p);
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:01 10.1.1.50 printer"), 0);
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:02 10.1.1.51"), 0);
	assert_int_equal(p.dhcp.nstatics, 2);
	assert_string_equal(p.dhcp.statics[0].name, "printer");
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:01 10.1.1.52"), -EINVAL);
	assert_non_null(strstr(eb.text, "already exists"));
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:03 10.1.1.50"), -EINVAL);
	assert_non_null(strstr(eb.text, "ip 10.1.1.50: already given to 02:00:00:00:00:01"));
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00 10.1.1.59 bad/name"),
			 -EINVAL);
	assert_non_null(strstr(eb.text, "mac: must be aa:bb:cc:dd:ee:ff"));
	assert_non_null(strstr(eb.text, "name bad/name"));
	assert_int_equal(edit(&p, &eb, "dhcp static del 02:00:00:00:00:09"), -EINVAL);
	assert_non_null(strstr(eb.text, "no such static lease"));
	assert_int_equal(edit(&p, &eb, "dhcp static del 02:00:00:00:00:01"), 0);
	assert_int_equal(p.dhcp.nstatics, 1);
	assert_string_equal(p.dhcp.statics[0].name, "");
	policy_free(&p);
}

/* Whether prefix text is among this node's secure prefixes as the kernel sees them. */
static bool
local_has(const struct policy *p, const char *text)
{
	struct errbuf eb = {0};
	struct prefix q, *l = NULL;
	size_t n = 0;
	bool found = false;

	assert_int_equal(prefix_parse(text, &q, "", &eb), 0);
	assert_int_equal(policy_local_prefixes(p, &l, &n), 0);
	for (size_t i = 0; i < n; i++)
		found |= memcmp(&l[i], &q, sizeof(q)) == 0;
	free(l);
	return found;
}

static size_t
local_count(const struct policy *p)
{
	struct prefix *l = NULL;
	size_t n = 0;

	assert_int_equal(policy_local_prefixes(p, &l, &n), 0);
	free(l);
	return n;
}

static void
test_lan_routes(void **state)
{
	struct errbuf eb = {0};
	struct policy p;

	(void)state;
	lab_node(&p);
	assert_int_equal(edit(&p, &eb, "lan route add 10.1.5.0/24 via 10.1.1.254"), 0);
	assert_int_equal(local_count(&p), 1); /* inside 10.1.0.0/16: no new prefix */
	assert_int_equal(edit(&p, &eb, "lan route add 172.16.0.0/24 via 10.1.1.254"), 0);
	assert_true(local_has(&p, "172.16.0.0/24")); /* a secure prefix of this site */
	assert_int_equal(p.node.nprefixes, 1);	     /* derived, not stored */
	assert_int_equal(edit(&p, &eb, "lan route add 172.16.0.0/24 via 10.1.1.253"), -EINVAL);
	assert_non_null(strstr(eb.text, "already exists"));
	assert_int_equal(edit(&p, &eb, "lan route add fd00::/64 via 10.1.1.1"), -EINVAL);
	assert_non_null(strstr(eb.text, "IPv4 only"));
	assert_int_equal(edit(&p, &eb, "lan route add 10.9.0.0/16 10.1.1.1"), -EINVAL);
	assert_non_null(strstr(eb.text, "give PREFIX via GATEWAY"));
	/* Replacing the node's own prefixes keeps what the routes reach. */
	assert_int_equal(edit(&p, &eb, "node set --prefix 10.1.0.0/16,fd00:0:1::/48"), 0);
	assert_true(local_has(&p, "172.16.0.0/24"));
	assert_int_equal(policy_validate(&p, &eb), 0);
	assert_int_equal(edit(&p, &eb, "lan route del 172.16.0.0/24"), 0);
	assert_false(local_has(&p, "172.16.0.0/24"));
	assert_int_equal(p.nlan_routes, 1);
	/* A route to exactly the node's own prefix: deleting it leaves the prefix. */
	assert_int_equal(edit(&p, &eb, "lan route add 10.1.0.0/16 via 10.1.1.254"), 0);
	assert_int_equal(edit(&p, &eb, "lan route del 10.1.0.0/16"), 0);
	assert_true(local_has(&p, "10.1.0.0/16"));
	policy_free(&p);
}

/* Printed as commands, read back, the same policy. */
static void
test_print_round_trip(void **state)
{
	struct errbuf eb = {0};
	struct policy p, q;
	struct buf out;
	char *save = NULL, *text;

	(void)state;
	lab_node(&p);
	assert_int_equal(edit(&p, &eb,
			      "dhcp set --pool 10.1.1.100-10.1.1.120 --dns 10.1.1.53 "
			      "--domain lan --lease-time 600 --mtu 1400 --router 10.1.1.254"),
			 0);
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:01 10.1.1.50 printer"), 0);
	assert_int_equal(edit(&p, &eb, "lan route add 172.16.0.0/24 via 10.1.1.254"), 0);
	buf_init(&out);
	policy_print(&p, &out);
	assert_non_null(strstr(buf_str(&out), "dhcp set --server on --pool 10.1.1.100-10.1.1.120 "
					      "--router 10.1.1.254 --dns 10.1.1.53 --domain lan "
					      "--lease-time 600 --mtu 1400\n"));
	assert_non_null(
	    strstr(buf_str(&out), "dhcp static add 02:00:00:00:00:01 10.1.1.50 printer\n"));
	assert_non_null(strstr(buf_str(&out), "lan route add 172.16.0.0/24 via 10.1.1.254\n"));
	policy_init(&q);
	text = strdup(buf_str(&out));
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		assert_int_equal(edit(&q, &eb, line), 0);
	assert_true(policy_equal(&p, &q));
	free(text);
	buf_free(&out);
	policy_free(&p);
	policy_free(&q);
}

static void
test_default_pool(void **state)
{
	struct in_addr srv, s, e;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	(void)state;
	inet_pton(AF_INET, "10.1.1.1", &srv);
	lan_dhcp_default_pool(srv, 24, &s, &e);
	assert_string_equal(inet_ntop(AF_INET, &s, a, sizeof(a)), "10.1.1.100");
	assert_string_equal(inet_ntop(AF_INET, &e, b, sizeof(b)), "10.1.1.254");
	lan_dhcp_default_pool(srv, 16, &s, &e);
	assert_string_equal(inet_ntop(AF_INET, &s, a, sizeof(a)), "10.1.0.100");
	assert_int_equal(ntohl(e.s_addr) - ntohl(s.s_addr) + 1, 4096);
	lan_dhcp_default_pool(srv, 28, &s, &e);
	assert_string_equal(inet_ntop(AF_INET, &s, a, sizeof(a)), "10.1.1.8");
	assert_string_equal(inet_ntop(AF_INET, &e, b, sizeof(b)), "10.1.1.14");
}

static void
test_store_round_trip(void **state)
{
	char dir[] = "/tmp/test_lan.XXXXXX", path[64];
	struct errbuf eb = {0};
	struct policy p, q;
	struct store *st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.db", dir);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_schema_version(st), 8);
	lab_node(&p);
	p.revision = 1;
	assert_int_equal(store_commit(st, &p, "test", NULL), 0); /* a revision with defaults */
	assert_int_equal(edit(&p, &eb,
			      "dhcp set --pool 10.1.1.100-10.1.1.120 --dns 1.1.1.1,9.9.9.9 "
			      "--router none --lease-time 600"),
			 0);
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:01 10.1.1.50 printer"), 0);
	assert_int_equal(edit(&p, &eb, "dhcp static add 02:00:00:00:00:02 10.1.1.51"), 0);
	assert_int_equal(edit(&p, &eb, "lan route add 172.16.0.0/24 via 10.1.1.254"), 0);
	p.revision = 2;
	assert_int_equal(store_commit(st, &p, "test", NULL), 0);
	store_close(st);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(store_load(st, &q), 0);
	assert_true(policy_equal(&p, &q));
	policy_free(&q);
	assert_int_equal(store_load_revision(st, 1, &q), 0);
	assert_true(q.dhcp.enabled);
	assert_int_equal(q.dhcp.nstatics, 0);
	assert_int_equal(q.nlan_routes, 0);
	policy_free(&q);
	store_close(st);
	policy_free(&p);
	unlink(path);
	snprintf(path, sizeof(path), "%s/policy.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/policy.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),	    cmocka_unit_test(test_dhcp_set),
	    cmocka_unit_test(test_dhcp_set_errors), cmocka_unit_test(test_statics),
	    cmocka_unit_test(test_lan_routes),	    cmocka_unit_test(test_print_round_trip),
	    cmocka_unit_test(test_default_pool),    cmocka_unit_test(test_store_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
