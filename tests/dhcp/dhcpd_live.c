// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/dhcp/dhcpd_live.c — runs the DHCP server alone on a libev loop, for
 * checks by hand with real clients (udhcpc, dhclient) in a namespace.
 * Usage: dhcpd_live IFNAME SERVER/PREFIX POOL_START POOL_END DBPATH [ROUTER DNS]
 * SIGINT/SIGTERM print the leases and counters and exit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "core/dhcpd.h"
#include "core/log.h"
#include "storage/lease.h"
#include "storage/store.h"

static void
on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

static void
dump(struct dhcpd *d)
{
	const struct dhcpd_stats *s = dhcpd_stats(d);
	struct dhcp_lease *l;
	size_t n;

	if (dhcpd_leases(d, &l, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			printf("lease %s %02x:%02x:%02x:%02x:%02x:%02x %s expires in %llds host '%s'\n",
			       inet_ntoa(l[i].ip), l[i].mac[0], l[i].mac[1], l[i].mac[2], l[i].mac[3],
			       l[i].mac[4], l[i].mac[5], lease_state_name(l[i].state),
			       (long long)(l[i].expiry - time(NULL)), l[i].hostname);
		free(l);
	}
	printf("stats discovers=%llu offers=%llu requests=%llu acks=%llu naks=%llu releases=%llu "
	       "declines=%llu informs=%llu malformed=%llu exhausted=%llu conflicts=%llu\n",
	       (unsigned long long)s->discovers, (unsigned long long)s->offers,
	       (unsigned long long)s->requests, (unsigned long long)s->acks,
	       (unsigned long long)s->naks, (unsigned long long)s->releases,
	       (unsigned long long)s->declines, (unsigned long long)s->informs,
	       (unsigned long long)s->dropped_malformed, (unsigned long long)s->pool_exhausted,
	       (unsigned long long)s->probe_conflicts);
}

static int
conf_from_args(int argc, char **argv, struct dhcpd_conf *c)
{
	char addr[32], *slash;

	memset(c, 0, sizeof(*c));
	snprintf(c->ifname, sizeof(c->ifname), "%s", argv[1]);
	snprintf(addr, sizeof(addr), "%s", argv[2]);
	if (!(slash = strchr(addr, '/')))
		return -1;
	*slash = 0;
	c->dhcp.prefix_len = (uint8_t)atoi(slash + 1);
	if (inet_pton(AF_INET, addr, &c->dhcp.server) != 1 ||
	    inet_pton(AF_INET, argv[3], &c->dhcp.pool_start) != 1 ||
	    inet_pton(AF_INET, argv[4], &c->dhcp.pool_end) != 1)
		return -1;
	c->dhcp.router = c->dhcp.server;
	c->dhcp.dns[0] = c->dhcp.server;
	c->dhcp.ndns = 1;
	if (argc > 7 && (inet_pton(AF_INET, argv[6], &c->dhcp.router) != 1 ||
			 inet_pton(AF_INET, argv[7], &c->dhcp.dns[1]) != 1))
		return -1;
	if (argc > 7)
		c->dhcp.ndns = 2;
	c->dhcp.lease_time = 3600;
	c->dhcp.mtu = 1420;
	snprintf(c->dhcp.domain, sizeof(c->dhcp.domain), "lan.umbral.test");
	c->probe_ms = 200;
	return 0;
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct dhcpd_conf conf;
	struct store *st = NULL;
	struct lease_store *ls = NULL;
	struct dhcpd *d = NULL;
	ev_signal si, st_;
	int err;

	if (argc < 6 || conf_from_args(argc, argv, &conf) < 0) {
		fprintf(stderr, "usage: %s IFNAME SERVER/PREFIX POOL_START POOL_END DBPATH "
				"[ROUTER DNS2]\n", argv[0]);
		return 2;
	}
	log_init("dhcpd_live", 1, 0);
	if ((err = store_open(argv[5], &st)) < 0 || (err = lease_open(st, &ls)) < 0 ||
	    (err = dhcpd_start(loop, &conf, ls, &d)) < 0) {
		fprintf(stderr, "dhcpd_live: %s\n", strerror(-err));
		return 1;
	}
	ev_signal_init(&si, on_signal, SIGINT);
	ev_signal_init(&st_, on_signal, SIGTERM);
	ev_signal_start(loop, &si);
	ev_signal_start(loop, &st_);
	ev_run(loop, 0);
	dump(d);
	dhcpd_stop(d);
	lease_close(ls);
	store_close(st);
	return 0;
}
