// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/red.c — the red role's own part: the DHCPv4 server on the LAN (small
 * node). Each apply starts, reconfigures or stops it to match the policy;
 * what the policy leaves unset (pool, router) comes from red's own address
 * on the LAN, so a fresh small node serves its LAN with no configuration.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/dhcpd.h"
#include "core/log.h"
#include "policy/ct.h"
#include "policy/ct_track.h"
#include "policy/lan.h"
#include "storage/lease.h"

/* How long to wait for an answer to the ARP probe before offering. */
#define RED_PROBE_MS 100

/* Red's first IPv4 address on the LAN and its prefix length; -ENOENT when none. */
static int
lan_address(struct in_addr *addr, uint8_t *plen)
{
	struct ifaddrs *ifa, *i;
	int err = -ENOENT;

	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		uint32_t m;
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || !i->ifa_netmask ||
		    strcmp(i->ifa_name, IF_LAN) != 0)
			continue;
		*addr = ((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
		m = ntohl(((struct sockaddr_in *)(void *)i->ifa_netmask)->sin_addr.s_addr);
		*plen = (uint8_t)__builtin_popcount(m);
		err = 0;
		break;
	}
	freeifaddrs(ifa);
	return err;
}

/* The server's configuration: the policy, with what it leaves unset derived. */
static void
conf_build(const struct dhcp_policy *dp, struct in_addr server, uint8_t plen,
	   struct dhcpd_conf *c)
{
	struct dhcp_conf *k = &c->dhcp;

	memset(c, 0, sizeof(*c));
	snprintf(c->ifname, sizeof(c->ifname), "%s", IF_LAN);
	c->probe_ms = RED_PROBE_MS;
	k->server = server;
	k->prefix_len = plen;
	k->pool_start = dp->pool_start;
	k->pool_end = dp->pool_end;
	if (!dp->pool_start.s_addr)
		lan_dhcp_default_pool(server, plen, &k->pool_start, &k->pool_end);
	k->lease_time = dp->lease_time;
	if (!dp->no_router)
		k->router = dp->router.s_addr ? dp->router : server;
	for (size_t i = 0; i < dp->ndns && i < DHCP_DNS_MAX; i++)
		k->dns[k->ndns++] = dp->dns[i];
	snprintf(k->domain, sizeof(k->domain), "%s", dp->domain);
	k->mtu = dp->mtu;
	for (size_t i = 0; i < dp->nstatics && i < DHCP_STATIC_MAX; i++) {
		memcpy(k->statics[i].mac, dp->statics[i].mac, 6);
		k->statics[i].ip = dp->statics[i].ip;
		snprintf(k->statics[i].name, sizeof(k->statics[i].name), "%s",
			 dp->statics[i].name);
		k->nstatics++;
	}
}

static void
dhcp_stop(struct daemon *d, const char *why)
{
	if (d->dhcpd) {
		log_info("dhcp: stopped serving on %s (%s)", IF_LAN, why);
		dhcpd_stop(d->dhcpd);
		d->dhcpd = NULL;
	}
	free(d->dhcp_conf);
	d->dhcp_conf = NULL;
	snprintf(d->dhcp_state, sizeof(d->dhcp_state), "%s", why);
}

/* Starts the server, or reconfigures it when its configuration changed. */
static int
dhcp_run(struct daemon *d, struct dhcpd_conf *c)
{
	int err;

	if (d->dhcpd && memcmp(d->dhcp_conf, c, sizeof(*c)) == 0)
		return 0;
	if (!d->leases && (err = lease_open(d->store, &d->leases)) < 0)
		return err;
	if (d->dhcpd)
		err = dhcpd_reconfigure(d->dhcpd, c);
	else
		err = dhcpd_start(d->loop, c, d->leases, &d->dhcpd);
	if (err < 0)
		return err;
	if (!d->dhcp_conf && !(d->dhcp_conf = malloc(sizeof(*c))))
		return -ENOMEM;
	memcpy(d->dhcp_conf, c, sizeof(*c));
	d->dhcp_state[0] = '\0';
	log_info("dhcp: serving on %s, pool %s", IF_LAN, inet_ntoa(c->dhcp.pool_start));
	return 0;
}

void
red_apply(struct daemon *d, const struct policy *p)
{
	struct dhcpd_conf *c;
	struct in_addr server = {0};
	uint8_t plen = 0;
	int err;

	if (p->node.mode != MODE_SMALL) {
		dhcp_stop(d, "off: large node");
		return;
	}
	if (!p->dhcp.enabled) {
		dhcp_stop(d, "off: dhcp set --server off");
		return;
	}
	if (lan_address(&server, &plen) < 0) {
		dhcp_stop(d, "waiting: no IPv4 address on lan");
		return;
	}
	if (!(c = malloc(sizeof(*c))))
		return;
	conf_build(&p->dhcp, server, plen, c);
	err = dhcp_run(d, c);
	free(c);
	if (err < 0) {
		char why[sizeof(d->dhcp_state)];
		snprintf(why, sizeof(why), "failed: %s (see the log)", strerror(-err));
		dhcp_stop(d, why);
	}
}

/*
 * Enough for a site's LAN; past it the prune reads the whole table again.
 * 100 bytes a slot, the table half to three quarters full: 3.2 MiB at most.
 */
#define CT_TRACK_MAX 16384
/* Datagrams of events the watcher reads per wakeup, so a flood cannot starve the loop. */
#define CT_READ_BATCH 64

static void
ct_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct daemon *d = w->data;

	(void)loop;
	(void)revents;
	(void)ct_track_read(d->ct, CT_READ_BATCH); /* the rest at the next wakeup */
}

void
red_init(struct daemon *d)
{
	int ret = ct_track_open(CT_TRACK_MAX, &d->ct);

	if (ret < 0) {
		log_warnx("conntrack events: %s; each change's prune reads the whole table",
			  strerror(-ret));
		d->ct = NULL;
		return;
	}
	ev_io_init(&d->ct_io, ct_cb, ct_track_fd(d->ct), EV_READ);
	d->ct_io.data = d;
	ev_io_start(d->loop, &d->ct_io);
	/* The flows from before the start; the first change would read them otherwise. */
	if ((ret = ct_sync(d->ct)) < 0)
		log_warnx("conntrack: cannot read the table: %s; the first change will",
			  strerror(-ret));
}

void
red_fini(struct daemon *d)
{
	if (d->ct) {
		ev_io_stop(d->loop, &d->ct_io);
		ct_track_close(d->ct);
		d->ct = NULL;
	}
	dhcpd_stop(d->dhcpd);
	d->dhcpd = NULL;
	free(d->dhcp_conf);
	d->dhcp_conf = NULL;
	lease_close(d->leases);
	d->leases = NULL;
}

static size_t
lease_count(struct daemon *d, enum dhcp_lease_state st)
{
	struct dhcp_lease *l;
	size_t n, c = 0;

	if (!d->dhcpd || dhcpd_leases(d->dhcpd, &l, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		c += l[i].state == st;
	free(l);
	return c;
}

#define STAT(x) {#x, offsetof(struct dhcpd_stats, x)}
static const struct {
	const char *name;
	size_t off;
} stat_fields[] = {
	STAT(discovers), STAT(offers),	 STAT(requests),	  STAT(acks),
	STAT(naks),	 STAT(releases), STAT(declines),	  STAT(informs),
	STAT(dropped_malformed),	 STAT(pool_exhausted),	  STAT(probe_conflicts),
	STAT(relayed),	 STAT(send_errors), STAT(store_errors),
};

static uint64_t
stat_get(const struct dhcpd_stats *s, size_t i)
{
	uint64_t v;

	memcpy(&v, (const char *)s + stat_fields[i].off, sizeof(v));
	return v;
}

void
red_ct_status(struct daemon *d, bool json, struct buf *out)
{
	const char *why;
	size_t n;

	/* What the watcher would read next, then what a change would find: nothing dropped. */
	(void)ct_track_read(d->ct, CT_READ_BATCH);
	why = ct_track_doubt(d->ct);
	n = ct_track_count(d->ct);

	if (json) {
		buf_printf(out, ",\"conntrack\":{\"tracked\":%zu,\"complete\":%s,\"why\":", n,
			   why ? "false" : "true");
		buf_json_str(out, why ? why : "");
		buf_puts(out, "}");
	} else if (!why) {
		buf_printf(out, "  conntrack: %zu flow%s tracked\n", n, n == 1 ? "" : "s");
	} else {
		buf_printf(out, "  conntrack: flows not tracked (%s); a change reads the whole table\n",
			   why);
	}
}

void
red_status_json(struct daemon *d, struct buf *out)
{
	const struct dhcpd_stats *s = d->dhcpd ? dhcpd_stats(d->dhcpd) : NULL;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	buf_printf(out, ",\"dhcp\":{\"serving\":%s,\"state\":", s ? "true" : "false");
	buf_json_str(out, s ? "serving" : d->dhcp_state);
	if (s) {
		buf_printf(out, ",\"interface\":\"%s\",\"pool\":\"%s-%s\",\"bound\":%zu", IF_LAN,
			   inet_ntop(AF_INET, &d->dhcp_conf->dhcp.pool_start, a, sizeof(a)),
			   inet_ntop(AF_INET, &d->dhcp_conf->dhcp.pool_end, b, sizeof(b)),
			   lease_count(d, DHCP_LEASE_BOUND));
		for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
			buf_printf(out, ",\"%s\":%llu", stat_fields[i].name,
				   (unsigned long long)stat_get(s, i));
		buf_puts(out, ",\"dropped\":{");
		for (int i = 0; i < DHCP_DROP_REASONS; i++)
			buf_printf(out, "%s\"%s\":%llu", i ? "," : "", dhcp_drop_name((enum dhcp_drop)i),
				   (unsigned long long)s->dropped[i]);
		buf_puts(out, "}");
	}
	buf_puts(out, "}");
}

void
red_status_text(struct daemon *d, struct buf *out)
{
	const struct dhcpd_stats *s = d->dhcpd ? dhcpd_stats(d->dhcpd) : NULL;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

	if (!s) {
		buf_printf(out, "  dhcp: %s\n", d->dhcp_state[0] ? d->dhcp_state : "off");
		return;
	}
	buf_printf(out,
		   "  dhcp: serving on %s, pool %s-%s, %zu bound; %llu acks, %llu malformed "
		   "dropped, %llu pool exhausted, %llu conflicts\n",
		   IF_LAN, inet_ntop(AF_INET, &d->dhcp_conf->dhcp.pool_start, a, sizeof(a)),
		   inet_ntop(AF_INET, &d->dhcp_conf->dhcp.pool_end, b, sizeof(b)),
		   lease_count(d, DHCP_LEASE_BOUND), (unsigned long long)s->acks,
		   (unsigned long long)s->dropped_malformed, (unsigned long long)s->pool_exhausted,
		   (unsigned long long)s->probe_conflicts);
}

static void
lease_json(const struct dhcp_lease *l, int64_t now, struct buf *out)
{
	char mac[18], ip[INET_ADDRSTRLEN];

	buf_printf(out, "{\"ip\":\"%s\",\"mac\":\"%s\",\"state\":\"%s\",\"expires_in\":%lld,",
		   inet_ntop(AF_INET, &l->ip, ip, sizeof(ip)), lan_mac_format(l->mac, mac, sizeof(mac)),
		   lease_state_name(l->state), (long long)(l->expiry - now));
	buf_puts(out, "\"hostname\":");
	buf_json_str(out, l->hostname);
	buf_puts(out, "}");
}

static int
cmd_leases(struct daemon *d, bool json, struct buf *out)
{
	struct dhcp_lease *l = NULL;
	int64_t now = (int64_t)time(NULL);
	char mac[18], ip[INET_ADDRSTRLEN];
	size_t n = 0;

	if (d->dhcpd && dhcpd_leases(d->dhcpd, &l, &n) < 0)
		return CTL_FAILED;
	if (!json && !d->dhcpd)
		buf_printf(out, "dhcp: %s\n", d->dhcp_state[0] ? d->dhcp_state : "off");
	buf_puts(out, json ? "[" : "");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			buf_puts(out, i ? "," : "");
			lease_json(&l[i], now, out);
			continue;
		}
		buf_printf(out, "%-15s %s %-9s %7llds %s\n", inet_ntop(AF_INET, &l[i].ip, ip, sizeof(ip)),
			   lan_mac_format(l[i].mac, mac, sizeof(mac)), lease_state_name(l[i].state),
			   (long long)(l[i].expiry - now), l[i].hostname);
	}
	buf_puts(out, json ? "]\n" : "");
	free(l);
	return CTL_OK;
}

int
red_dhcp_cmd(struct daemon *d, int argc, char **argv, struct buf *out)
{
	bool json = false;

	for (int i = 2; i < argc; i++)
		json |= strcmp(argv[i], "--json") == 0;
	if (d->domain != DOMAIN_RED) {
		buf_puts(out, "dhcp: the DHCP server lives in the red domain\n");
		return CTL_INVALID;
	}
	if (strcmp(argv[1], "leases") == 0)
		return cmd_leases(d, json, out);
	if (json) {
		buf_puts(out, "{\"domain\":\"red\"");
		red_status_json(d, out);
		buf_puts(out, "}\n");
	} else {
		red_status_text(d, out);
	}
	return CTL_OK;
}
