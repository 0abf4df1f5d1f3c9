// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/dhcp_pool.c — which address a client gets, and whether a request is
 * ACKed, NAKed or ignored (RFC 2131 §4.3). One slot per address of the
 * dynamic range, then one per static lease outside it; time is passed in.
 */
#include "core/dhcp_pool.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

struct slot {
	struct dhcp_lease l;
	int static_idx; /* index in conf.statics, or -1 */
	bool reserved;  /* server, network or broadcast address: never given */
	bool ever_used; /* bound at least once (or known from the database) */
};

struct dhcp_pool {
	struct dhcp_conf conf;
	uint32_t net, mask, start; /* host order */
	struct slot *slots;
	size_t nrange, nslots; /* the range is slots[0, nrange) */
};

static uint32_t
h(struct in_addr a)
{
	return ntohl(a.s_addr);
}

static bool
in_lan(const struct dhcp_pool *p, struct in_addr a)
{
	uint32_t x = h(a);

	return (x & p->mask) == p->net && x != p->net && x != (p->net | ~p->mask);
}

static int
bad(const char *field, struct in_addr a, const char *why)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	log_warnx("dhcp: %s %s: %s", field, s, why);
	return -EINVAL;
}

static int
check_statics(const struct dhcp_pool *p)
{
	const struct dhcp_conf *c = &p->conf;

	if (c->nstatics > DHCP_STATIC_MAX)
		return bad("statics", c->server, "too many");
	for (size_t i = 0; i < c->nstatics; i++) {
		const struct dhcp_static *s = &c->statics[i];
		if (!in_lan(p, s->ip) || s->ip.s_addr == c->server.s_addr)
			return bad("static", s->ip, "not a host address of the LAN other than ours");
		for (size_t j = 0; j < i; j++)
			if (c->statics[j].ip.s_addr == s->ip.s_addr ||
			    memcmp(c->statics[j].mac, s->mac, 6) == 0)
				return bad("static", s->ip, "address or MAC given twice");
	}
	return 0;
}

static int
check_conf(struct dhcp_pool *p)
{
	const struct dhcp_conf *c = &p->conf;

	if (c->prefix_len < 8 || c->prefix_len > 30)
		return bad("server", c->server, "prefix length must be 8-30");
	p->mask = ~UINT32_C(0) << (32 - c->prefix_len);
	p->net = h(c->server) & p->mask;
	if (!in_lan(p, c->server))
		return bad("server", c->server, "is the network or broadcast address");
	if (!in_lan(p, c->pool_start) || !in_lan(p, c->pool_end))
		return bad("pool", c->pool_start, "range is not inside the LAN");
	if (h(c->pool_end) < h(c->pool_start) ||
	    h(c->pool_end) - h(c->pool_start) >= DHCP_POOL_MAX)
		return bad("pool", c->pool_start, "range is reversed or too large");
	if (c->lease_time < 60)
		return bad("lease time for", c->server, "must be at least 60 s");
	if ((c->mtu && c->mtu < 68) || c->ndns > DHCP_DNS_MAX)
		return bad("mtu or dns for", c->server, "out of range");
	return check_statics(p);
}

static void
init_slot(struct slot *s, uint32_t ip_h, int static_idx)
{
	memset(s, 0, sizeof(*s));
	s->l.ip.s_addr = htonl(ip_h);
	s->l.state = DHCP_LEASE_FREE;
	s->static_idx = static_idx;
}

/* A static inside the range marks its slot; one outside gets a slot of its own. */
static void
place_statics(struct dhcp_pool *p)
{
	for (size_t i = 0; i < p->conf.nstatics; i++) {
		uint32_t ip = h(p->conf.statics[i].ip);
		if (ip >= p->start && ip - p->start < p->nrange)
			p->slots[ip - p->start].static_idx = (int)i;
		else
			init_slot(&p->slots[p->nslots++], ip, (int)i);
	}
}

int
dhcp_pool_new(const struct dhcp_conf *conf, struct dhcp_pool **out)
{
	struct dhcp_pool *p;
	int err;

	if (!conf || !out)
		return -EINVAL;
	if (!(p = calloc(1, sizeof(*p))))
		return -ENOMEM;
	p->conf = *conf;
	p->conf.domain[sizeof(p->conf.domain) - 1] = 0;
	if ((err = check_conf(p)) < 0) {
		free(p);
		return err;
	}
	p->start = h(conf->pool_start);
	p->nrange = h(conf->pool_end) - p->start + 1;
	if (!(p->slots = calloc(p->nrange + conf->nstatics, sizeof(*p->slots)))) {
		free(p);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->nrange; i++) {
		init_slot(&p->slots[i], p->start + (uint32_t)i, -1);
		p->slots[i].reserved = !in_lan(p, p->slots[i].l.ip) ||
				       p->slots[i].l.ip.s_addr == conf->server.s_addr;
	}
	p->nslots = p->nrange;
	place_statics(p);
	*out = p;
	return 0;
}

void
dhcp_pool_free(struct dhcp_pool *p)
{
	if (!p)
		return;
	free(p->slots);
	free(p);
}

const struct dhcp_conf *
dhcp_pool_conf(const struct dhcp_pool *p)
{
	return p ? &p->conf : NULL;
}

static struct slot *
find_slot(struct dhcp_pool *p, struct in_addr ip)
{
	uint32_t x = h(ip);

	if (x >= p->start && x - p->start < p->nrange)
		return &p->slots[x - p->start];
	for (size_t i = p->nrange; i < p->nslots; i++)
		if (p->slots[i].l.ip.s_addr == ip.s_addr)
			return &p->slots[i];
	return NULL;
}

static int
static_for(const struct dhcp_pool *p, const uint8_t mac[6])
{
	for (size_t i = 0; i < p->conf.nstatics; i++)
		if (memcmp(p->conf.statics[i].mac, mac, 6) == 0)
			return (int)i;
	return -1;
}

static bool
active(const struct slot *s, int64_t now)
{
	return (s->l.state == DHCP_LEASE_OFFERED || s->l.state == DHCP_LEASE_BOUND) &&
	       s->l.expiry > now;
}

static bool
owned(const struct slot *s, const uint8_t *key, uint8_t klen)
{
	return s->l.key_len == klen && klen > 0 && memcmp(s->l.key, key, klen) == 0;
}

/* May this address go to the client with this key and MAC now? */
static bool
assignable(const struct dhcp_pool *p, const struct slot *s, const uint8_t *key, uint8_t klen,
	   const uint8_t mac[6], int64_t now)
{
	if (s->reserved)
		return false;
	if (s->static_idx >= 0)
		return memcmp(p->conf.statics[s->static_idx].mac, mac, 6) == 0;
	if (s->l.state == DHCP_LEASE_DECLINED && s->l.expiry > now)
		return false;
	return !active(s, now) || owned(s, key, klen);
}

/* The client's slot: an active one first, else the one it held last. */
static struct slot *
find_client(struct dhcp_pool *p, const uint8_t *key, uint8_t klen, int64_t now)
{
	struct slot *best = NULL;

	for (size_t i = 0; i < p->nslots; i++) {
		struct slot *s = &p->slots[i];
		if (!owned(s, key, klen) || s->l.state == DHCP_LEASE_DECLINED)
			continue;
		if (active(s, now))
			return s;
		if (!best || s->l.expiry > best->l.expiry)
			best = s;
	}
	return best;
}

int
dhcp_pool_load(struct dhcp_pool *p, const struct dhcp_lease *l, size_t n, size_t *skipped)
{
	size_t skip = 0;

	if (!p || (n && !l))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		struct slot *s = find_slot(p, l[i].ip);
		bool ok = s && !s->reserved && l[i].state != DHCP_LEASE_FREE &&
			  l[i].state <= DHCP_LEASE_DECLINED &&
			  (s->static_idx < 0 || l[i].state == DHCP_LEASE_DECLINED ||
			   memcmp(p->conf.statics[s->static_idx].mac, l[i].mac, 6) == 0);
		if (!ok) {
			skip++;
			continue;
		}
		s->l = l[i];
		s->ever_used = true;
	}
	if (skipped)
		*skipped = skip;
	return 0;
}

int
dhcp_pool_leases(const struct dhcp_pool *p, struct dhcp_lease **out, size_t *n)
{
	struct dhcp_lease *a;
	size_t cnt = 0;

	if (!p || !out || !n)
		return -EINVAL;
	for (size_t i = 0; i < p->nslots; i++)
		cnt += p->slots[i].l.state != DHCP_LEASE_FREE;
	a = NULL;
	if (cnt && !(a = calloc(cnt, sizeof(*a))))
		return -ENOMEM;
	cnt = 0;
	for (size_t i = 0; i < p->nslots; i++)
		if (p->slots[i].l.state != DHCP_LEASE_FREE)
			a[cnt++] = p->slots[i].l;
	*out = a;
	*n = cnt;
	return 0;
}

uint8_t
dhcp_client_key(const struct dhcp_msg *req, uint8_t key[DHCP_KEY_MAX])
{
	if (dhcp_has(req, DHCP_OPT_CLIENT_ID) && req->client_id_len > 0) {
		memcpy(key, req->client_id, req->client_id_len);
		return req->client_id_len;
	}
	key[0] = DHCP_HTYPE_ETHER;
	memcpy(key + 1, req->chaddr, 6);
	return 7;
}

struct in_addr
dhcp_reply_dest(const struct dhcp_msg *req, const struct dhcp_msg *reply)
{
	struct in_addr bcast = {.s_addr = INADDR_BROADCAST};

	if (req->giaddr.s_addr)
		return req->giaddr;
	if (reply->type == DHCP_NAK || req->ciaddr.s_addr == 0)
		return bcast;
	return req->ciaddr;
}


/*
 * Decisions. A client is a request's key and MAC; struct ctx carries them
 * so that each step below stays short.
 */
struct ctx {
	struct dhcp_pool *p;
	const struct dhcp_msg *req;
	int64_t now;
	uint8_t key[DHCP_KEY_MAX];
	uint8_t klen;
	struct dhcp_decision *d;
};

/* The options of a reply from our configuration, in the client's PRL order. */
static void
reply_options(const struct ctx *c, struct dhcp_msg *r, const struct slot *s)
{
	const struct dhcp_conf *cf = &c->p->conf;

	r->subnet_mask.s_addr = htonl(c->p->mask);
	dhcp_set(r, DHCP_OPT_SUBNET_MASK);
	if (cf->router.s_addr) {
		r->router = cf->router;
		dhcp_set(r, DHCP_OPT_ROUTER);
	}
	if (cf->ndns) {
		memcpy(r->dns, cf->dns, sizeof(r->dns));
		r->ndns = cf->ndns;
		dhcp_set(r, DHCP_OPT_DNS);
	}
	if (cf->domain[0]) {
		memcpy(r->domain, cf->domain, sizeof(r->domain));
		dhcp_set(r, DHCP_OPT_DOMAIN);
	}
	if (cf->mtu) {
		r->mtu = cf->mtu;
		dhcp_set(r, DHCP_OPT_MTU);
	}
	/* A static's name is only sent when asked for (PRL), never by default. */
	if (s && s->static_idx >= 0 && cf->statics[s->static_idx].name[0] &&
	    memchr(c->req->prl, DHCP_OPT_HOSTNAME, c->req->prl_len)) {
		memcpy(r->hostname, cf->statics[s->static_idx].name, sizeof(r->hostname));
		dhcp_set(r, DHCP_OPT_HOSTNAME);
	}
}

/* Fills d->reply as a reply of type to c->req; s is the address's slot (not for NAK). */
static void
reply(struct ctx *c, uint8_t type, const struct slot *s)
{
	struct dhcp_msg *r = &c->d->reply;
	const struct dhcp_msg *q = c->req;
	uint32_t lease = c->p->conf.lease_time;

	memset(r, 0, sizeof(*r));
	r->op = DHCP_BOOTREPLY;
	r->htype = q->htype;
	r->hlen = q->hlen;
	r->xid = q->xid;
	r->flags = q->flags;
	r->giaddr = q->giaddr;
	memcpy(r->chaddr, q->chaddr, sizeof(r->chaddr));
	r->type = type;
	r->server_id = c->p->conf.server;
	dhcp_set(r, DHCP_OPT_SERVER_ID);
	r->max_size = q->max_size;
	memcpy(r->prl, q->prl, q->prl_len);
	r->prl_len = q->prl_len;
	if (type == DHCP_NAK) {
		snprintf(r->message, sizeof(r->message), "address not available");
		dhcp_set(r, DHCP_OPT_MESSAGE);
		c->d->action = DHCP_SEND;
		return;
	}
	if (type == DHCP_ACK)
		r->ciaddr = q->ciaddr;
	if (s) {
		r->yiaddr = s->l.ip;
		r->lease_time = lease;
		r->t1 = lease / 2;
		r->t2 = (uint32_t)((uint64_t)lease * 7 / 8);
		dhcp_set(r, DHCP_OPT_LEASE_TIME);
		dhcp_set(r, DHCP_OPT_T1);
		dhcp_set(r, DHCP_OPT_T2);
	}
	reply_options(c, r, s);
	c->d->action = DHCP_SEND;
}

/* The client loses every other address it held: one address per client. */
static void
strip_others(struct ctx *c, const struct slot *keep)
{
	for (size_t i = 0; i < c->p->nslots; i++) {
		struct slot *s = &c->p->slots[i];
		if (s == keep || !owned(s, c->key, c->klen))
			continue;
		if (s->l.state == DHCP_LEASE_OFFERED && !s->ever_used) {
			memset(&s->l.key, 0, sizeof(s->l.key));
			s->l.key_len = 0;
			s->l.state = DHCP_LEASE_FREE;
		} else if (active(s, c->now)) {
			s->l.state = DHCP_LEASE_RELEASED;
			s->l.expiry = c->now;
		}
	}
}

static void
take(struct ctx *c, struct slot *s, enum dhcp_lease_state st, int64_t expiry)
{
	strip_others(c, s);
	s->l.state = st;
	s->l.expiry = expiry;
	memcpy(s->l.key, c->key, c->klen);
	s->l.key_len = c->klen;
	memcpy(s->l.mac, c->req->chaddr, 6);
	if (dhcp_has(c->req, DHCP_OPT_HOSTNAME))
		memcpy(s->l.hostname, c->req->hostname, sizeof(s->l.hostname));
}

/* The first never-used address, else the one unused for longest. */
static struct slot *
pick_free(struct ctx *c)
{
	struct slot *old = NULL;

	for (size_t i = 0; i < c->p->nrange; i++) {
		struct slot *s = &c->p->slots[i];
		if (s->static_idx >= 0 || !assignable(c->p, s, c->key, c->klen, c->req->chaddr, c->now))
			continue;
		if (s->l.state == DHCP_LEASE_FREE && !s->ever_used)
			return s;
		if (!old || s->l.expiry < old->l.expiry)
			old = s;
	}
	return old;
}

/* DISCOVER: the static, the current, the last, the requested, a free address. */
static void
discover(struct ctx *c)
{
	const uint8_t *mac = c->req->chaddr;
	struct slot *s = NULL, *cur;
	bool probe = true;
	int st = static_for(c->p, mac);

	if (st >= 0) {
		s = find_slot(c->p, c->p->conf.statics[st].ip);
		probe = false;
	} else if ((cur = find_client(c->p, c->key, c->klen, c->now)) && cur->static_idx < 0 &&
		   assignable(c->p, cur, c->key, c->klen, mac, c->now)) {
		s = cur;
		probe = !active(s, c->now);
	} else if (dhcp_has(c->req, DHCP_OPT_REQUESTED_IP) &&
		   (cur = find_slot(c->p, c->req->requested_ip)) && cur->static_idx < 0 &&
		   assignable(c->p, cur, c->key, c->klen, mac, c->now)) {
		s = cur;
	} else {
		s = pick_free(c);
	}
	if (!s) {
		c->d->exhausted = true;
		return;
	}
	if (!(s->l.state == DHCP_LEASE_BOUND && active(s, c->now)))
		take(c, s, DHCP_LEASE_OFFERED, c->now + DHCP_OFFER_HOLD);
	reply(c, DHCP_OFFER, s);
	if (probe)
		c->d->action = DHCP_PROBE;
}

static void
ack(struct ctx *c, struct slot *s)
{
	s->ever_used = true;
	take(c, s, DHCP_LEASE_BOUND, c->now + c->p->conf.lease_time);
	reply(c, DHCP_ACK, s);
	c->d->persist = true;
	c->d->lease = s->l;
}

/* ACK ip if the client may have it, else NAK. */
static void
ack_or_nak(struct ctx *c, struct in_addr ip)
{
	struct slot *s = find_slot(c->p, ip);

	if (s && assignable(c->p, s, c->key, c->klen, c->req->chaddr, c->now))
		ack(c, s);
	else
		reply(c, DHCP_NAK, NULL);
}

/* SELECTING: the client answers an offer, ours or another server's. */
static void
selecting(struct ctx *c)
{
	struct slot *s;

	if (c->req->server_id.s_addr != c->p->conf.server.s_addr) {
		/* It chose another server: our offer is free again. */
		s = find_client(c->p, c->key, c->klen, c->now);
		if (s && s->l.state == DHCP_LEASE_OFFERED && !s->ever_used) {
			memset(s->l.key, 0, sizeof(s->l.key));
			s->l.key_len = 0;
			s->l.state = DHCP_LEASE_FREE;
		} else if (s && s->l.state == DHCP_LEASE_OFFERED) {
			s->l.state = DHCP_LEASE_RELEASED;
			s->l.expiry = c->now;
		}
		return;
	}
	if (!dhcp_has(c->req, DHCP_OPT_REQUESTED_IP) || c->req->ciaddr.s_addr)
		return; /* RFC 2131 §4.3.2: MUST have requested ip, MUST NOT ciaddr */
	ack_or_nak(c, c->req->requested_ip);
}

/* INIT-REBOOT: no record of the client means silence, a different one NAK. */
static void
init_reboot(struct ctx *c)
{
	struct in_addr ip = c->req->requested_ip;
	int st = static_for(c->p, c->req->chaddr);
	struct slot *s;

	if (!in_lan(c->p, ip) || (st >= 0 && c->p->conf.statics[st].ip.s_addr != ip.s_addr)) {
		reply(c, DHCP_NAK, NULL);
		return;
	}
	if (st >= 0) {
		ack_or_nak(c, ip);
		return;
	}
	if (!(s = find_client(c->p, c->key, c->klen, c->now)))
		return;
	if (s->l.ip.s_addr != ip.s_addr)
		reply(c, DHCP_NAK, NULL);
	else
		ack_or_nak(c, ip);
}

/*
 * RENEWING (unicast to us) or REBINDING (broadcast): extend the lease on
 * ciaddr. A free address in our pool is adopted, so clients keep working
 * even if the database was lost. Off our LAN: a rebinding client may belong
 * to another server, so only a renewing one is NAKed.
 */
static void
renewing(struct ctx *c, bool unicast)
{
	struct in_addr ip = c->req->ciaddr;

	if (!in_lan(c->p, ip)) {
		if (unicast)
			reply(c, DHCP_NAK, NULL);
		return;
	}
	ack_or_nak(c, ip);
}

static void
request(struct ctx *c, bool unicast)
{
	if (dhcp_has(c->req, DHCP_OPT_SERVER_ID))
		selecting(c);
	else if (dhcp_has(c->req, DHCP_OPT_REQUESTED_IP) && !c->req->ciaddr.s_addr)
		init_reboot(c);
	else if (c->req->ciaddr.s_addr)
		renewing(c, unicast);
}

/* RELEASE and DECLINE only act on an address the client holds from us. */
static struct slot *
held(struct ctx *c, struct in_addr ip)
{
	struct slot *s;

	if (dhcp_has(c->req, DHCP_OPT_SERVER_ID) &&
	    c->req->server_id.s_addr != c->p->conf.server.s_addr)
		return NULL;
	s = find_slot(c->p, ip);
	if (!s || !owned(s, c->key, c->klen) || !active(s, c->now))
		return NULL;
	return s;
}

static void
release(struct ctx *c)
{
	struct slot *s = held(c, c->req->ciaddr);

	if (!s)
		return;
	s->l.state = DHCP_LEASE_RELEASED;
	s->l.expiry = c->now;
	c->d->persist = true;
	c->d->lease = s->l;
}

static void
mark_declined(struct ctx *c, struct slot *s)
{
	memset(s->l.key, 0, sizeof(s->l.key));
	s->l.key_len = 0;
	s->l.hostname[0] = 0;
	memset(s->l.mac, 0, sizeof(s->l.mac));
	s->l.state = DHCP_LEASE_DECLINED;
	s->l.expiry = c->now + DHCP_DECLINE_HOLD;
	s->ever_used = true;
}

static void
decline(struct ctx *c)
{
	struct slot *s;

	if (!dhcp_has(c->req, DHCP_OPT_REQUESTED_IP) || !(s = held(c, c->req->requested_ip)))
		return;
	mark_declined(c, s);
	c->d->persist = true;
	c->d->lease = s->l;
}

static int
ctx_init(struct ctx *c, struct dhcp_pool *p, const struct dhcp_msg *req, int64_t now,
	 struct dhcp_decision *d)
{
	if (!p || !req || !d)
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->action = DHCP_IGNORE;
	c->p = p;
	c->req = req;
	c->now = now;
	c->d = d;
	c->klen = dhcp_client_key(req, c->key);
	return 0;
}

int
dhcp_pool_handle(struct dhcp_pool *p, const struct dhcp_msg *req, bool unicast, int64_t now,
		 struct dhcp_decision *d)
{
	struct ctx c;
	int err;

	if ((err = ctx_init(&c, p, req, now, d)) < 0)
		return err;
	switch (req->type) {
	case DHCP_DISCOVER: discover(&c); break;
	case DHCP_REQUEST: request(&c, unicast); break;
	case DHCP_RELEASE: release(&c); break;
	case DHCP_DECLINE: decline(&c); break;
	case DHCP_INFORM:
		reply(&c, DHCP_ACK, NULL);
		d->reply.ciaddr = req->ciaddr;
		break;
	}
	return 0;
}

int
dhcp_pool_probed(struct dhcp_pool *p, const struct dhcp_msg *req, struct in_addr ip,
		 bool in_use, int64_t now, struct dhcp_decision *d)
{
	struct slot *s;
	struct ctx c;
	int err;

	if ((err = ctx_init(&c, p, req, now, d)) < 0)
		return err;
	s = find_slot(p, ip);
	/* The pool may have changed meanwhile: only act on our own hold. */
	if (!s || !owned(s, c.key, c.klen) || !active(s, now))
		return 0;
	if (!in_use) {
		reply(&c, DHCP_OFFER, s);
		return 0;
	}
	mark_declined(&c, s);
	discover(&c);
	return 0;
}
