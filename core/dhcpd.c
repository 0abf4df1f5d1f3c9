// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/dhcpd.c — the DHCPv4 server's I/O: a UDP socket on port 67 bound to
 * the LAN interface, an AF_PACKET socket for ARP probes (RFC 5227 style:
 * sender address 0.0.0.0), one libev timer per probe under way.
 */
#include "core/dhcpd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if_arp.h>
#include <netinet/if_ether.h>
#include <linux/if_packet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"

/*
 * Probes at once; a DISCOVER beyond this is dropped and the client retries.
 * With 100 ms probes, 512 keeps up with ~5000 DISCOVERs a second.
 */
#define PROBE_MAX 512
/* Addresses tried for one DISCOVER when each probe finds a conflict. */
#define PROBE_TRIES 4
/* At most one log line about an exhausted pool per this many seconds. */
#define EXHAUST_LOG_EVERY 60.0
/* Datagrams read per wake-up, so that a flood cannot starve the loop. */
#define READ_BURST 64

struct probe {
	struct dhcpd *d; /* NULL when the slot is unused */
	ev_timer timer;
	struct dhcp_msg req;
	struct in_addr ip;
	int tries;
};

struct dhcpd {
	struct ev_loop *loop;
	struct dhcpd_conf conf;
	struct dhcp_pool *pool;
	struct lease_store *ls;
	int fd, arp_fd, ifindex;
	uint8_t mac[6];
	ev_io io, arp_io;
	struct probe probes[PROBE_MAX];
	struct dhcpd_stats stats;
	ev_tstamp exhaust_logged;
};

static void act(struct dhcpd *d, const struct dhcp_msg *req, const struct dhcp_decision *dec,
		int tries);

static void
send_reply(struct dhcpd *d, const struct dhcp_msg *req, const struct dhcp_msg *r)
{
	uint8_t buf[DHCP_MSG_MAX];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT)};
	struct iovec iov = {.iov_base = buf};
	struct msghdr mh = {.msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			    .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo pi = {.ipi_ifindex = d->ifindex, .ipi_spec_dst = d->conf.dhcp.server};

	if (dhcp_msg_build(r, dhcp_msg_reply_max(req), buf, sizeof(buf), &iov.iov_len) < 0)
		return;
	to.sin_addr = dhcp_reply_dest(req, r);
	if (req->giaddr.s_addr)
		to.sin_port = htons(DHCP_SERVER_PORT);
	/* Our address as the source and our interface for the way out, even for a broadcast. */
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	if (sendmsg(d->fd, &mh, MSG_DONTWAIT) < 0) {
		d->stats.send_errors++;
		log_warnx("%s: %s to %s: %s", __func__, dhcp_type_name(r->type),
			  inet_ntoa(to.sin_addr), strerror(errno));
		return;
	}
	if (r->type == DHCP_OFFER)
		d->stats.offers++;
	else if (r->type == DHCP_ACK)
		d->stats.acks++;
	else if (r->type == DHCP_NAK)
		d->stats.naks++;
}

static void
persist(struct dhcpd *d, const struct dhcp_lease *l)
{
	int err;

	if (!d->ls || (err = lease_put(d->ls, l)) == 0)
		return;
	d->stats.store_errors++;
	log_warnx("%s: lease %s: %s", __func__, inet_ntoa(l->ip), strerror(-err));
}

static void
exhausted(struct dhcpd *d)
{
	ev_tstamp now = ev_now(d->loop);

	d->stats.pool_exhausted++;
	if (d->exhaust_logged == 0 || now - d->exhaust_logged >= EXHAUST_LOG_EVERY) {
		d->exhaust_logged = now;
		log_warnx("dhcp: pool exhausted on %s: no offer (%llu so far)", d->conf.ifname,
			  (unsigned long long)d->stats.pool_exhausted);
	}
}

static void
probe_end(struct probe *pr)
{
	ev_timer_stop(pr->d->loop, &pr->timer);
	pr->d = NULL;
}

/* The probe's time ran out with no answer: the address is free to offer. */
static void
probe_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *pr = w->data;
	struct dhcpd *d = pr->d;
	struct dhcp_decision dec;
	struct dhcp_msg req = pr->req;

	(void)loop;
	(void)revents;
	probe_end(pr);
	if (dhcp_pool_probed(d->pool, &req, pr->ip, false, (int64_t)ev_now(d->loop), &dec) == 0)
		act(d, &req, &dec, PROBE_TRIES);
}

static int
arp_send(struct dhcpd *d, struct in_addr ip)
{
	struct ether_arp a = {0};
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				 .sll_ifindex = d->ifindex, .sll_halen = ETH_ALEN};

	memset(to.sll_addr, 0xff, ETH_ALEN);
	a.arp_hrd = htons(ARPHRD_ETHER);
	a.arp_pro = htons(ETHERTYPE_IP);
	a.arp_hln = ETH_ALEN;
	a.arp_pln = 4;
	a.arp_op = htons(ARPOP_REQUEST);
	memcpy(a.arp_sha, d->mac, ETH_ALEN);
	memcpy(a.arp_tpa, &ip, 4); /* sender address 0: nobody's cache learns from a probe */
	if (sendto(d->arp_fd, &a, sizeof(a), MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) < 0)
		return -errno;
	return 0;
}

/* Holds req until the probe of ip ends; without a probe socket, offers at once. */
static void
probe_start(struct dhcpd *d, const struct dhcp_msg *req, struct in_addr ip, int tries)
{
	struct probe *pr = NULL;
	struct dhcp_decision dec;

	for (size_t i = 0; i < PROBE_MAX; i++) {
		struct probe *p = &d->probes[i];
		if (p->d && memcmp(p->req.chaddr, req->chaddr, 6) == 0)
			return; /* a retransmitted DISCOVER: the probe under way answers it */
		if (!p->d && !pr)
			pr = p;
	}
	if (!pr)
		return;
	if (d->arp_fd < 0 || d->conf.probe_ms == 0 || arp_send(d, ip) < 0) {
		if (dhcp_pool_probed(d->pool, req, ip, false, (int64_t)ev_now(d->loop), &dec) == 0)
			act(d, req, &dec, PROBE_TRIES);
		return;
	}
	pr->d = d;
	pr->req = *req;
	pr->ip = ip;
	pr->tries = tries;
	ev_timer_init(&pr->timer, probe_timeout, d->conf.probe_ms / 1000.0, 0);
	pr->timer.data = pr;
	ev_timer_start(d->loop, &pr->timer);
}

static void
act(struct dhcpd *d, const struct dhcp_msg *req, const struct dhcp_decision *dec, int tries)
{
	if (dec->exhausted)
		exhausted(d);
	if (dec->persist)
		persist(d, &dec->lease);
	if (dec->action == DHCP_SEND)
		send_reply(d, req, &dec->reply);
	else if (dec->action == DHCP_PROBE && tries < PROBE_TRIES)
		probe_start(d, req, dec->reply.yiaddr, tries + 1);
}

/*
 * Someone claims ip: a reply or request from it, or another prober. The
 * client itself answering (it may still hold the address) is no conflict.
 */
static void
arp_input(struct dhcpd *d, const struct ether_arp *a)
{
	struct dhcp_decision dec;
	struct dhcp_msg req;

	if (ntohs(a->arp_hrd) != ARPHRD_ETHER || ntohs(a->arp_pro) != ETHERTYPE_IP ||
	    a->arp_hln != ETH_ALEN || a->arp_pln != 4 || memcmp(a->arp_sha, d->mac, ETH_ALEN) == 0)
		return;
	for (size_t i = 0; i < PROBE_MAX; i++) {
		struct probe *pr = &d->probes[i];
		uint32_t spa, tpa;
		int tries;

		memcpy(&spa, a->arp_spa, 4);
		memcpy(&tpa, a->arp_tpa, 4);
		if (!pr->d || memcmp(a->arp_sha, pr->req.chaddr, ETH_ALEN) == 0 ||
		    !(spa == pr->ip.s_addr || (spa == 0 && tpa == pr->ip.s_addr)))
			continue;
		req = pr->req;
		tries = pr->tries;
		log_info("dhcp: %s is in use by %02x:%02x:%02x:%02x:%02x:%02x; not offering it",
			 inet_ntoa(pr->ip), a->arp_sha[0], a->arp_sha[1], a->arp_sha[2],
			 a->arp_sha[3], a->arp_sha[4], a->arp_sha[5]);
		d->stats.probe_conflicts++;
		if (dhcp_pool_probed(d->pool, &req, pr->ip, true, (int64_t)ev_now(d->loop), &dec) ==
		    0) {
			probe_end(pr);
			act(d, &req, &dec, tries);
		} else {
			probe_end(pr);
		}
	}
}

static void
arp_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dhcpd *d = w->data;
	struct ether_arp a;
	ssize_t n;

	(void)loop;
	(void)revents;
	for (int i = 0; i < READ_BURST; i++) {
		if ((n = recv(d->arp_fd, &a, sizeof(a), MSG_DONTWAIT)) < 0)
			return;
		if ((size_t)n >= sizeof(a))
			arp_input(d, &a);
	}
}

static void
count_in(struct dhcpd *d, uint8_t type)
{
	switch (type) {
	case DHCP_DISCOVER: d->stats.discovers++; break;
	case DHCP_REQUEST: d->stats.requests++; break;
	case DHCP_DECLINE: d->stats.declines++; break;
	case DHCP_RELEASE: d->stats.releases++; break;
	case DHCP_INFORM: d->stats.informs++; break;
	}
}

/*
 * A relay agent on the LAN itself (a load generator such as perfdhcp acts
 * as one) is served from the LAN's pool; one elsewhere is not ours to serve.
 */
static bool
on_lan(const struct dhcpd *d, struct in_addr a)
{
	uint8_t plen = d->conf.dhcp.prefix_len;
	uint32_t mask = plen ? htonl(0xffffffffu << (32 - plen)) : 0;

	return (a.s_addr & mask) == (d->conf.dhcp.server.s_addr & mask);
}

static void
handle(struct dhcpd *d, const uint8_t *buf, size_t len, bool unicast)
{
	struct dhcp_decision dec;
	struct dhcp_msg req;
	enum dhcp_drop why;

	if (dhcp_msg_parse(buf, len, DHCP_BOOTREQUEST, &req, &why) < 0) {
		d->stats.dropped_malformed++;
		d->stats.dropped[why]++;
		log_debug("dhcp: dropped a message: %s", dhcp_drop_name(why));
		return;
	}
	if (req.giaddr.s_addr) {
		d->stats.relayed++;
		if (!on_lan(d, req.giaddr))
			return;
		unicast = false;
	}
	count_in(d, req.type);
	/* A retransmitted DISCOVER waits for the probe under way for its client. */
	for (size_t i = 0; req.type == DHCP_DISCOVER && i < PROBE_MAX; i++)
		if (d->probes[i].d && memcmp(d->probes[i].req.chaddr, req.chaddr, 6) == 0)
			return;
	if (dhcp_pool_handle(d->pool, &req, unicast, (int64_t)ev_now(d->loop), &dec) == 0)
		act(d, &req, &dec, 0);
}

static void
udp_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct dhcpd *d = w->data;
	uint8_t buf[DHCP_MSG_MAX + 1];
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	(void)loop;
	(void)revents;
	for (int i = 0; i < READ_BURST; i++) {
		bool unicast = false;

		mh = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf)};
		if ((n = recvmsg(d->fd, &mh, MSG_DONTWAIT)) < 0)
			return;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			struct in_pktinfo pi;
			if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
				continue;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			unicast = pi.ipi_addr.s_addr == d->conf.dhcp.server.s_addr;
		}
		/* A datagram cut to fit the buffer is too large by definition. */
		handle(d, buf, (mh.msg_flags & MSG_TRUNC) ? sizeof(buf) : (size_t)n, unicast);
	}
}

static int
sockopt(int fd, int level, int name, const void *v, socklen_t len, const char *what)
{
	if (setsockopt(fd, level, name, v, len) == 0)
		return 0;
	log_warnx("dhcpd_start: %s: %s", what, strerror(errno));
	return -errno;
}

static int
open_udp(struct dhcpd *d)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT)};
	struct ifreq ifr = {0};
	int one = 1, err;

	if ((d->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	if ((err = sockopt(d->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one), "SO_REUSEADDR")) <
		0 ||
	    (err = sockopt(d->fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one), "SO_BROADCAST")) < 0 ||
	    (err = sockopt(d->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one), "IP_PKTINFO")) < 0 ||
	    (err = sockopt(d->fd, SOL_SOCKET, SO_BINDTODEVICE, d->conf.ifname,
			   (socklen_t)strlen(d->conf.ifname), d->conf.ifname)) < 0)
		return err;
	if (bind(d->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		err = -errno;
		log_warnx("dhcpd_start: bind to port 67: %s", strerror(errno));
		return err;
	}
	memcpy(ifr.ifr_name, d->conf.ifname, strnlen(d->conf.ifname, IF_NAMESIZE - 1));
	if (ioctl(d->fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

/* Best effort: without it offers go out unprobed, which DECLINE still corrects. */
static void
open_arp(struct dhcpd *d)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ARP),
				  .sll_ifindex = d->ifindex};

	if (d->conf.probe_ms == 0)
		return;
	/*
	 * Protocol 0: the socket hears nothing until bind names ARP and the
	 * link. Opened with ETH_P_ARP it would hook every link at once, and bind
	 * would unhook it first, waiting out an RCU grace period (12 ms of red's
	 * first apply).
	 */
	d->arp_fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->arp_fd < 0 || bind(d->arp_fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
		log_warnx("dhcpd_start: ARP probe socket on %s: %s; offering without probes",
			  d->conf.ifname, strerror(errno));
		if (d->arp_fd >= 0)
			close(d->arp_fd);
		d->arp_fd = -1;
	}
}

static int
load_leases(struct dhcpd *d)
{
	struct dhcp_lease *l = NULL;
	size_t n = 0, skipped = 0;
	int err;

	if (!d->ls)
		return 0;
	if ((err = lease_load(d->ls, &l, &n)) < 0)
		return err;
	err = dhcp_pool_load(d->pool, l, n, &skipped);
	free(l);
	if (err == 0 && (n || skipped))
		log_info("dhcp: %zu leases loaded, %zu outside the pool ignored", n - skipped, skipped);
	return err;
}

int
dhcpd_start(struct ev_loop *loop, const struct dhcpd_conf *conf, struct lease_store *ls,
	    struct dhcpd **out)
{
	struct dhcpd *d;
	int err;

	if (!loop || !conf || !out || !conf->ifname[0])
		return -EINVAL;
	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	d->loop = loop;
	d->conf = *conf;
	d->conf.ifname[IF_NAMESIZE - 1] = 0;
	d->ls = ls;
	d->fd = d->arp_fd = -1;
	if ((err = dhcp_pool_new(&conf->dhcp, &d->pool)) < 0 || (err = load_leases(d)) < 0)
		goto fail;
	if (!(d->ifindex = (int)if_nametoindex(d->conf.ifname))) {
		err = -errno;
		log_warnx("dhcpd_start: %s: %s", d->conf.ifname, strerror(errno));
		goto fail;
	}
	if ((err = open_udp(d)) < 0)
		goto fail;
	open_arp(d);
	ev_io_init(&d->io, udp_read, d->fd, EV_READ);
	d->io.data = d;
	ev_io_start(loop, &d->io);
	if (d->arp_fd >= 0) {
		ev_io_init(&d->arp_io, arp_read, d->arp_fd, EV_READ);
		d->arp_io.data = d;
		ev_io_start(loop, &d->arp_io);
	}
	log_info("dhcp: serving on %s", d->conf.ifname);
	*out = d;
	return 0;
fail:
	dhcpd_stop(d);
	return err;
}

static void
probes_cancel(struct dhcpd *d)
{
	for (size_t i = 0; i < PROBE_MAX; i++)
		if (d->probes[i].d)
			probe_end(&d->probes[i]);
}

int
dhcpd_reconfigure(struct dhcpd *d, const struct dhcpd_conf *conf)
{
	struct dhcp_pool *np = NULL;
	struct dhcp_lease *l = NULL;
	size_t n = 0, skipped = 0;
	int err;

	if (!d || !conf || strncmp(conf->ifname, d->conf.ifname, IF_NAMESIZE) != 0)
		return -EINVAL;
	if ((err = dhcp_pool_new(&conf->dhcp, &np)) < 0 ||
	    (err = dhcp_pool_leases(d->pool, &l, &n)) < 0 ||
	    (err = dhcp_pool_load(np, l, n, &skipped)) < 0) {
		free(l);
		dhcp_pool_free(np);
		return err;
	}
	free(l);
	probes_cancel(d);
	dhcp_pool_free(d->pool);
	d->pool = np;
	d->conf.probe_ms = d->arp_fd >= 0 ? conf->probe_ms : 0;
	d->conf.dhcp = conf->dhcp;
	if (skipped)
		log_info("dhcp: reconfigured; %zu leases outside the new pool dropped", skipped);
	return 0;
}

void
dhcpd_stop(struct dhcpd *d)
{
	if (!d)
		return;
	probes_cancel(d);
	if (d->fd >= 0) {
		ev_io_stop(d->loop, &d->io);
		close(d->fd);
	}
	if (d->arp_fd >= 0) {
		ev_io_stop(d->loop, &d->arp_io);
		close(d->arp_fd);
	}
	dhcp_pool_free(d->pool);
	free(d);
}

int
dhcpd_leases(struct dhcpd *d, struct dhcp_lease **out, size_t *n)
{
	if (!d)
		return -EINVAL;
	return dhcp_pool_leases(d->pool, out, n);
}

const struct dhcpd_stats *
dhcpd_stats(const struct dhcpd *d)
{
	return d ? &d->stats : NULL;
}
