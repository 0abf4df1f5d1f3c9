// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_dhcp_pool.c — lease decisions (RFC 2131 §4.3): offers,
 * the four kinds of REQUEST, statics, DECLINE, exhaustion, probe conflicts,
 * reconfiguration, and a restart that reloads leases from SQLite.
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

#include "core/dhcp_pool.h"
#include "storage/lease.h"
#include "storage/store.h"

#define NOW 1700000000

static struct in_addr
ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* 10.77.1.1/24, pool .100-.199, one static 02:..:ff -> .20 "printer". */
static void
conf(struct dhcp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->server = ip("10.77.1.1");
	c->prefix_len = 24;
	c->pool_start = ip("10.77.1.100");
	c->pool_end = ip("10.77.1.199");
	c->lease_time = 3600;
	c->router = c->server;
	c->dns[0] = c->server;
	c->ndns = 1;
	c->statics[0].ip = ip("10.77.1.20");
	memcpy(c->statics[0].mac, "\x02\x00\x00\x00\x00\xff", 6);
	strcpy(c->statics[0].name, "printer");
	c->nstatics = 1;
}

static struct dhcp_pool *
pool_with(const struct dhcp_conf *c)
{
	struct dhcp_pool *p = NULL;

	assert_int_equal(dhcp_pool_new(c, &p), 0);
	return p;
}

static struct dhcp_pool *
pool(void)
{
	struct dhcp_conf c;

	conf(&c);
	return pool_with(&c);
}

static void
msg(struct dhcp_msg *m, uint8_t type, unsigned n)
{
	memset(m, 0, sizeof(*m));
	m->op = DHCP_BOOTREQUEST;
	m->htype = DHCP_HTYPE_ETHER;
	m->hlen = 6;
	m->xid = n;
	m->chaddr[0] = 0x02;
	m->chaddr[4] = (uint8_t)(n >> 8);
	m->chaddr[5] = (uint8_t)n;
	m->type = type;
	dhcp_set(m, DHCP_OPT_MSG_TYPE);
}

static void
opt_ip(struct dhcp_msg *m, enum dhcp_opt o, const char *a)
{
	if (o == DHCP_OPT_SERVER_ID)
		m->server_id = ip(a);
	else
		m->requested_ip = ip(a);
	dhcp_set(m, o);
}

/* DISCOVER then probe answered "free": the offered address. */
static struct in_addr
offer(struct dhcp_pool *p, unsigned n, int64_t now)
{
	struct dhcp_decision d;
	struct dhcp_msg m;

	msg(&m, DHCP_DISCOVER, n);
	assert_int_equal(dhcp_pool_handle(p, &m, false, now, &d), 0);
	if (d.action == DHCP_PROBE)
		assert_int_equal(dhcp_pool_probed(p, &m, d.reply.yiaddr, false, now, &d), 0);
	assert_int_equal(d.action, DHCP_SEND);
	assert_int_equal(d.reply.type, DHCP_OFFER);
	assert_false(d.persist);
	return d.reply.yiaddr;
}

static void
select_req(struct dhcp_pool *p, unsigned n, struct in_addr a, const char *server, int64_t now,
	   struct dhcp_decision *d)
{
	struct dhcp_msg m;

	msg(&m, DHCP_REQUEST, n);
	m.requested_ip = a;
	dhcp_set(&m, DHCP_OPT_REQUESTED_IP);
	opt_ip(&m, DHCP_OPT_SERVER_ID, server);
	assert_int_equal(dhcp_pool_handle(p, &m, false, now, d), 0);
}

/* The full exchange; returns the bound address. */
static struct in_addr
bind_client(struct dhcp_pool *p, unsigned n, int64_t now)
{
	struct in_addr a = offer(p, n, now);
	struct dhcp_decision d;

	select_req(p, n, a, "10.77.1.1", now, &d);
	assert_int_equal(d.action, DHCP_SEND);
	assert_int_equal(d.reply.type, DHCP_ACK);
	assert_int_equal(d.reply.yiaddr.s_addr, a.s_addr);
	assert_true(d.persist);
	assert_int_equal(d.lease.state, DHCP_LEASE_BOUND);
	return a;
}

static void
test_discover_offer(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;

	(void)state;
	msg(&m, DHCP_DISCOVER, 1);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	/* A never-used address is probed before it is offered. */
	assert_int_equal(d.action, DHCP_PROBE);
	assert_int_equal(d.reply.yiaddr.s_addr, ip("10.77.1.100").s_addr);
	assert_int_equal(dhcp_pool_probed(p, &m, d.reply.yiaddr, false, NOW, &d), 0);
	assert_int_equal(d.action, DHCP_SEND);
	assert_int_equal(d.reply.type, DHCP_OFFER);
	assert_int_equal(d.reply.lease_time, 3600);
	assert_int_equal(d.reply.t1, 1800);
	assert_int_equal(d.reply.t2, 3150);
	assert_int_equal(d.reply.server_id.s_addr, ip("10.77.1.1").s_addr);
	assert_int_equal(d.reply.subnet_mask.s_addr, ip("255.255.255.0").s_addr);
	assert_int_equal(d.reply.router.s_addr, ip("10.77.1.1").s_addr);
	/* No address yet: broadcast, flag or not. */
	assert_int_equal(dhcp_reply_dest(&m, &d.reply).s_addr, INADDR_BROADCAST);
	dhcp_pool_free(p);
}

static void
test_selecting(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct in_addr a;

	(void)state;
	bind_client(p, 1, NOW);
	/* Client 2 was offered an address but picks another server: silence, offer freed. */
	a = offer(p, 2, NOW);
	select_req(p, 2, a, "10.77.1.254", NOW, &d);
	assert_int_equal(d.action, DHCP_IGNORE);
	assert_int_equal(offer(p, 3, NOW).s_addr, a.s_addr);
	/* Asking us for an address another client holds: NAK. */
	select_req(p, 2, ip("10.77.1.100"), "10.77.1.1", NOW, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	dhcp_pool_free(p);
}

static void
test_init_reboot(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;
	struct in_addr a;

	(void)state;
	a = bind_client(p, 1, NOW);
	msg(&m, DHCP_REQUEST, 1);
	m.requested_ip = a;
	dhcp_set(&m, DHCP_OPT_REQUESTED_IP);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + 10, &d), 0);
	assert_int_equal(d.reply.type, DHCP_ACK);
	/* A wrong address: NAK, broadcast. */
	opt_ip(&m, DHCP_OPT_REQUESTED_IP, "10.77.1.150");
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + 10, &d), 0);
	assert_int_equal(d.action, DHCP_SEND);
	assert_int_equal(d.reply.type, DHCP_NAK);
	assert_int_equal(d.reply.yiaddr.s_addr, 0);
	assert_int_equal(dhcp_reply_dest(&m, &d.reply).s_addr, INADDR_BROADCAST);
	/* Another subnet (the client moved): NAK. */
	opt_ip(&m, DHCP_OPT_REQUESTED_IP, "192.168.1.5");
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + 10, &d), 0);
	assert_int_equal(d.reply.type, DHCP_NAK);
	/* A client we have no record of: silence. */
	msg(&m, DHCP_REQUEST, 9);
	opt_ip(&m, DHCP_OPT_REQUESTED_IP, "10.77.1.150");
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + 10, &d), 0);
	assert_int_equal(d.action, DHCP_IGNORE);
	dhcp_pool_free(p);
}

static void
renew(struct dhcp_pool *p, unsigned n, struct in_addr a, bool unicast, int64_t now,
      struct dhcp_decision *d)
{
	struct dhcp_msg m;

	msg(&m, DHCP_REQUEST, n);
	m.ciaddr = a;
	assert_int_equal(dhcp_pool_handle(p, &m, unicast, now, d), 0);
	if (d->action == DHCP_SEND && d->reply.type == DHCP_ACK)
		/* Renewing clients have an address: the reply goes straight to it. */
		assert_int_equal(dhcp_reply_dest(&m, &d->reply).s_addr, a.s_addr);
}

static void
test_renewing_rebinding(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct in_addr a;

	(void)state;
	a = bind_client(p, 1, NOW);
	renew(p, 1, a, true, NOW + 1800, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	assert_int_equal(d.reply.yiaddr.s_addr, a.s_addr);
	assert_int_equal(d.reply.ciaddr.s_addr, a.s_addr);
	assert_int_equal(d.lease.expiry, NOW + 1800 + 3600);
	renew(p, 1, a, false, NOW + 3200, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	/* Another client's address: NAK. */
	renew(p, 2, a, true, NOW + 3200, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	/* Off our LAN: NAK when unicast to us, silence when rebinding. */
	renew(p, 2, ip("192.168.9.9"), true, NOW, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	renew(p, 2, ip("192.168.9.9"), false, NOW, &d);
	assert_int_equal(d.action, DHCP_IGNORE);
	dhcp_pool_free(p);
}

static void
test_static(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;

	(void)state;
	for (int i = 0; i < 3; i++) {
		msg(&m, DHCP_DISCOVER, 0xff);
		m.prl[0] = DHCP_OPT_HOSTNAME;
		m.prl_len = 1;
		assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + i, &d), 0);
		/* Reserved for it: no probe, always the same address, its name if asked. */
		assert_int_equal(d.action, DHCP_SEND);
		assert_int_equal(d.reply.yiaddr.s_addr, ip("10.77.1.20").s_addr);
		assert_string_equal(d.reply.hostname, "printer");
	}
	select_req(p, 0xff, ip("10.77.1.20"), "10.77.1.1", NOW, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	/* Nobody else gets it, even by asking. */
	select_req(p, 7, ip("10.77.1.20"), "10.77.1.1", NOW, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	renew(p, 7, ip("10.77.1.20"), true, NOW, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	dhcp_pool_free(p);
}

static void
test_static_inside_pool_excluded(void **state)
{
	struct dhcp_conf c;
	struct dhcp_pool *p;
	struct dhcp_decision d;
	struct dhcp_msg m;

	(void)state;
	conf(&c);
	c.pool_end = ip("10.77.1.101");
	c.statics[0].ip = ip("10.77.1.100");
	p = pool_with(&c);
	assert_int_equal(offer(p, 1, NOW).s_addr, ip("10.77.1.101").s_addr);
	msg(&m, DHCP_DISCOVER, 2);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	assert_true(d.exhausted);
	assert_int_equal(offer(p, 0xff, NOW).s_addr, ip("10.77.1.100").s_addr);
	dhcp_pool_free(p);
}

static void
test_decline(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;
	struct in_addr a;

	(void)state;
	a = bind_client(p, 1, NOW);
	msg(&m, DHCP_DECLINE, 1);
	m.requested_ip = a;
	dhcp_set(&m, DHCP_OPT_REQUESTED_IP);
	opt_ip(&m, DHCP_OPT_SERVER_ID, "10.77.1.1");
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	assert_int_equal(d.action, DHCP_IGNORE);
	assert_true(d.persist);
	assert_int_equal(d.lease.state, DHCP_LEASE_DECLINED);
	assert_int_equal(d.lease.key_len, 0);
	/* Not offered again while held, to this client or any other. */
	for (unsigned n = 1; n < 20; n++)
		assert_int_not_equal(offer(p, n, NOW + 1).s_addr, a.s_addr);
	dhcp_pool_free(p);
}

static void
test_decline_by_other_ignored(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;
	struct in_addr a;

	(void)state;
	a = bind_client(p, 1, NOW);
	msg(&m, DHCP_DECLINE, 2);
	m.requested_ip = a;
	dhcp_set(&m, DHCP_OPT_REQUESTED_IP);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	assert_false(d.persist);
	renew(p, 1, a, true, NOW, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	dhcp_pool_free(p);
}

static void
test_probe_conflict(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;

	(void)state;
	msg(&m, DHCP_DISCOVER, 1);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	assert_int_equal(d.action, DHCP_PROBE);
	assert_int_equal(dhcp_pool_probed(p, &m, ip("10.77.1.100"), true, NOW, &d), 0);
	/* The next address is probed instead; .100 is held back. */
	assert_int_equal(d.action, DHCP_PROBE);
	assert_int_equal(d.reply.yiaddr.s_addr, ip("10.77.1.101").s_addr);
	assert_int_not_equal(offer(p, 2, NOW + 1).s_addr, ip("10.77.1.100").s_addr);
	dhcp_pool_free(p);
}

static void
test_fifty_clients(void **state)
{
	struct dhcp_pool *p = pool();
	uint32_t seen[50];

	(void)state;
	for (unsigned n = 0; n < 50; n++) {
		seen[n] = bind_client(p, n + 1, NOW).s_addr;
		for (unsigned j = 0; j < n; j++)
			assert_int_not_equal(seen[j], seen[n]);
	}
	/* Each asks again and gets its own back. */
	for (unsigned n = 0; n < 50; n++)
		assert_int_equal(offer(p, n + 1, NOW + 5).s_addr, seen[n]);
	dhcp_pool_free(p);
}

static void
test_exhaustion_and_reuse(void **state)
{
	struct dhcp_conf c;
	struct dhcp_pool *p;
	struct dhcp_decision d;
	struct dhcp_msg m;
	struct in_addr a1, a2;

	(void)state;
	conf(&c);
	c.pool_end = ip("10.77.1.101");
	p = pool_with(&c);
	a1 = bind_client(p, 1, NOW);
	a2 = bind_client(p, 2, NOW + 5);
	msg(&m, DHCP_DISCOVER, 3);
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW + 10, &d), 0);
	assert_int_equal(d.action, DHCP_IGNORE);
	assert_true(d.exhausted);
	/* Once expired, the least recently used address is reused. */
	assert_int_equal(offer(p, 3, NOW + 3601).s_addr, a1.s_addr);
	(void)a2;
	dhcp_pool_free(p);
}

static void
test_release(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;
	struct in_addr a;

	(void)state;
	a = bind_client(p, 1, NOW);
	msg(&m, DHCP_RELEASE, 1);
	m.ciaddr = a;
	assert_int_equal(dhcp_pool_handle(p, &m, false, NOW, &d), 0);
	assert_true(d.persist);
	assert_int_equal(d.lease.state, DHCP_LEASE_RELEASED);
	/* Never-used addresses go first; the released one stays the client's. */
	assert_int_not_equal(offer(p, 2, NOW).s_addr, a.s_addr);
	assert_int_equal(offer(p, 1, NOW).s_addr, a.s_addr);
	dhcp_pool_free(p);
}

static void
test_inform(void **state)
{
	struct dhcp_pool *p = pool();
	struct dhcp_decision d;
	struct dhcp_msg m;

	(void)state;
	msg(&m, DHCP_INFORM, 1);
	m.ciaddr = ip("10.77.1.5");
	assert_int_equal(dhcp_pool_handle(p, &m, true, NOW, &d), 0);
	assert_int_equal(d.reply.type, DHCP_ACK);
	assert_int_equal(d.reply.yiaddr.s_addr, 0);
	assert_false(dhcp_has(&d.reply, DHCP_OPT_LEASE_TIME));
	assert_true(dhcp_has(&d.reply, DHCP_OPT_ROUTER));
	assert_false(d.persist);
	assert_int_equal(dhcp_reply_dest(&m, &d.reply).s_addr, m.ciaddr.s_addr);
	dhcp_pool_free(p);
}

static void
test_bad_conf(void **state)
{
	struct dhcp_pool *p = NULL;
	struct dhcp_conf c;

	(void)state;
	conf(&c);
	c.pool_end = ip("10.77.2.10");
	assert_int_equal(dhcp_pool_new(&c, &p), -EINVAL);
	conf(&c);
	c.statics[1] = c.statics[0];
	c.statics[1].ip = ip("10.77.1.21");
	c.nstatics = 2;
	assert_int_equal(dhcp_pool_new(&c, &p), -EINVAL);
	conf(&c);
	c.statics[0].ip = c.server;
	assert_int_equal(dhcp_pool_new(&c, &p), -EINVAL);
	assert_null(p);
}

/* A reconfiguration keeps leases inside the new pool; the others get a NAK. */
static void
test_reconfigure(void **state)
{
	struct dhcp_pool *p = pool(), *np;
	struct dhcp_lease *l;
	struct dhcp_decision d;
	struct dhcp_conf c;
	struct in_addr a1, a2;
	size_t n, skipped;

	(void)state;
	a1 = bind_client(p, 1, NOW);
	a2 = bind_client(p, 2, NOW);
	conf(&c);
	c.pool_start = ip("10.77.1.101");
	np = pool_with(&c);
	assert_int_equal(dhcp_pool_leases(p, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dhcp_pool_load(np, l, n, &skipped), 0);
	assert_int_equal(skipped, 1);
	free(l);
	renew(np, 1, a1, true, NOW + 100, &d);
	assert_int_equal(d.reply.type, DHCP_NAK);
	renew(np, 2, a2, true, NOW + 100, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	dhcp_pool_free(p);
	dhcp_pool_free(np);
}

/* A restart: leases written on ACK are read back and a renewal is ACKed. */
static void
test_restart_keeps_lease(void **state)
{
	char dir[] = "/tmp/umbral-test-dhcp-XXXXXX", path[128], side[160];
	struct lease_store *ls = NULL;
	struct dhcp_decision d;
	struct store *st = NULL;
	struct dhcp_lease *l;
	struct dhcp_pool *p;
	struct in_addr a;
	size_t n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.db", dir);
	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(lease_open(st, &ls), 0);
	p = pool();
	a = bind_client(p, 1, NOW);
	renew(p, 1, a, true, NOW + 60, &d);
	assert_int_equal(lease_put(ls, &d.lease), 0);
	dhcp_pool_free(p);
	lease_close(ls);
	store_close(st);

	assert_int_equal(store_open(path, &st), 0);
	assert_int_equal(lease_open(st, &ls), 0);
	p = pool();
	assert_int_equal(lease_load(ls, &l, &n), 0);
	assert_int_equal(dhcp_pool_load(p, l, n, NULL), 0);
	free(l);
	/* Another client does not get it; the owner renews it. */
	assert_int_not_equal(offer(p, 2, NOW + 100).s_addr, a.s_addr);
	renew(p, 1, a, true, NOW + 1800, &d);
	assert_int_equal(d.reply.type, DHCP_ACK);
	assert_int_equal(d.reply.yiaddr.s_addr, a.s_addr);
	dhcp_pool_free(p);
	lease_close(ls);
	store_close(st);
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discover_offer),
	    cmocka_unit_test(test_selecting),
	    cmocka_unit_test(test_init_reboot),
	    cmocka_unit_test(test_renewing_rebinding),
	    cmocka_unit_test(test_static),
	    cmocka_unit_test(test_static_inside_pool_excluded),
	    cmocka_unit_test(test_decline),
	    cmocka_unit_test(test_decline_by_other_ignored),
	    cmocka_unit_test(test_probe_conflict),
	    cmocka_unit_test(test_fifty_clients),
	    cmocka_unit_test(test_exhaustion_and_reuse),
	    cmocka_unit_test(test_release),
	    cmocka_unit_test(test_inform),
	    cmocka_unit_test(test_bad_conf),
	    cmocka_unit_test(test_reconfigure),
	    cmocka_unit_test(test_restart_keeps_lease),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
