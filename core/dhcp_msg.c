// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/dhcp_msg.c — DHCPv4 wire format: parsing a message from the LAN
 * (outside input: every length checked before it is used) and building one.
 */
#include "core/dhcp_msg.h"

#include <errno.h>
#include <string.h>

static const uint8_t cookie[4] = {99, 130, 83, 99};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Keeps a hostname only if it could not surprise a terminal or a log reader. */
static void
set_hostname(struct dhcp_msg *m, const uint8_t *v, uint8_t len)
{
	size_t n = len;

	/* Some clients count a trailing NUL in the length. */
	while (n > 0 && v[n - 1] == 0)
		n--;
	if (n == 0 || n > DHCP_HOSTNAME_MAX)
		return;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = v[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return;
	}
	memcpy(m->hostname, v, n);
	m->hostname[n] = 0;
	dhcp_set(m, DHCP_OPT_HOSTNAME);
}

/* Text that we only carry (domain, NAK message): any bytes but NUL. */
static void
set_text(char *dst, size_t cap, const uint8_t *v, uint8_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	memcpy(dst, v, n);
	dst[n] = 0;
	dst[strnlen(dst, n)] = 0;
}

/* The fixed-length options: their only legal lengths. */
static int
want_len(uint8_t code, uint8_t len)
{
	switch (code) {
	case DHCP_OPT_SUBNET_MASK:
	case DHCP_OPT_REQUESTED_IP:
	case DHCP_OPT_SERVER_ID:
	case DHCP_OPT_LEASE_TIME:
	case DHCP_OPT_T1:
	case DHCP_OPT_T2:
		return len == 4;
	case DHCP_OPT_MSG_TYPE:
	case DHCP_OPT_OVERLOAD:
		return len == 1;
	case DHCP_OPT_MTU:
	case DHCP_OPT_MAX_SIZE:
		return len == 2;
	case DHCP_OPT_ROUTER:
	case DHCP_OPT_DNS:
		return len >= 4 && len % 4 == 0;
	case DHCP_OPT_CLIENT_ID:
		return len >= 2; /* a type byte and at least one byte of id */
	default:
		return 1;
	}
}

/* Stores one option whose length want_len() accepted. */
static void
take_option(struct dhcp_msg *m, uint8_t code, const uint8_t *v, uint8_t len)
{
	switch (code) {
	case DHCP_OPT_SUBNET_MASK: memcpy(&m->subnet_mask, v, 4); break;
	case DHCP_OPT_ROUTER: memcpy(&m->router, v, 4); break;
	case DHCP_OPT_REQUESTED_IP: memcpy(&m->requested_ip, v, 4); break;
	case DHCP_OPT_SERVER_ID: memcpy(&m->server_id, v, 4); break;
	case DHCP_OPT_LEASE_TIME: m->lease_time = get32(v); break;
	case DHCP_OPT_T1: m->t1 = get32(v); break;
	case DHCP_OPT_T2: m->t2 = get32(v); break;
	case DHCP_OPT_MSG_TYPE: m->type = v[0]; break;
	case DHCP_OPT_MTU: m->mtu = get16(v); break;
	case DHCP_OPT_MAX_SIZE: m->max_size = get16(v); break;
	case DHCP_OPT_DNS:
		m->ndns = (uint8_t)(len / 4 < DHCP_DNS_MAX ? len / 4 : DHCP_DNS_MAX);
		memcpy(m->dns, v, m->ndns * 4u);
		break;
	case DHCP_OPT_CLIENT_ID:
		memcpy(m->client_id, v, len);
		m->client_id_len = len;
		break;
	case DHCP_OPT_PRL:
		memcpy(m->prl, v, len);
		m->prl_len = len;
		break;
	case DHCP_OPT_HOSTNAME: set_hostname(m, v, len); return;
	case DHCP_OPT_DOMAIN: set_text(m->domain, sizeof(m->domain), v, len); break;
	case DHCP_OPT_MESSAGE: set_text(m->message, sizeof(m->message), v, len); break;
	default: return; /* not ours: skipped, not recorded */
	}
	dhcp_set(m, code);
}

static int
parse_options(const uint8_t *p, size_t len, struct dhcp_msg *m, enum dhcp_drop *why)
{
	size_t i = DHCP_OPTIONS_OFF;

	while (i < len) {
		uint8_t code = p[i], olen;

		if (code == DHCP_OPT_PAD) {
			i++;
			continue;
		}
		if (code == DHCP_OPT_END)
			return 0;
		/* Both the length byte and the whole value must be inside the buffer. */
		if (i + 1 >= len || (olen = p[i + 1], i + 2 + olen > len)) {
			*why = DHCP_DROP_OPT_OVERRUN;
			return -EBADMSG;
		}
		if (!want_len(code, olen)) {
			*why = DHCP_DROP_OPT_LEN;
			return -EBADMSG;
		}
		take_option(m, code, p + i + 2, olen);
		i += 2 + (size_t)olen;
	}
	/* A missing END is tolerated: many clients fill the buffer exactly. */
	return 0;
}

static int
parse_header(const uint8_t *p, size_t len, uint8_t want_op, struct dhcp_msg *m,
	     enum dhcp_drop *why)
{
	if (len > DHCP_MSG_MAX)
		*why = DHCP_DROP_OVERSIZE;
	else if (len < DHCP_OPTIONS_OFF)
		*why = DHCP_DROP_SHORT;
	else if (p[0] != want_op)
		*why = DHCP_DROP_OP;
	else if (p[2] > DHCP_CHADDR_LEN)
		*why = DHCP_DROP_HLEN;
	else if (p[1] != DHCP_HTYPE_ETHER)
		*why = DHCP_DROP_HTYPE;
	else if (p[2] != 6)
		*why = DHCP_DROP_HLEN;
	else if (memcmp(p + DHCP_FIXED_LEN, cookie, sizeof(cookie)) != 0)
		*why = DHCP_DROP_COOKIE;
	else {
		m->op = p[0];
		m->htype = p[1];
		m->hlen = p[2];
		m->hops = p[3];
		m->xid = get32(p + 4);
		m->secs = get16(p + 8);
		m->flags = get16(p + 10);
		memcpy(&m->ciaddr, p + 12, 4);
		memcpy(&m->yiaddr, p + 16, 4);
		memcpy(&m->siaddr, p + 20, 4);
		memcpy(&m->giaddr, p + 24, 4);
		/* Only hlen bytes are the address; the rest is padding we zero. */
		memcpy(m->chaddr, p + 28, m->hlen);
		return 0;
	}
	return -EBADMSG;
}

int
dhcp_msg_parse(const void *buf, size_t len, uint8_t want_op, struct dhcp_msg *out,
	       enum dhcp_drop *why)
{
	const uint8_t *p = buf;
	enum dhcp_drop dummy;
	int err;

	if (!why)
		why = &dummy;
	if (!buf || !out) {
		*why = DHCP_DROP_SHORT;
		return -EBADMSG;
	}
	memset(out, 0, sizeof(*out));
	if ((err = parse_header(p, len, want_op, out, why)) < 0 ||
	    (err = parse_options(p, len, out, why)) < 0)
		return err;
	if (!dhcp_has(out, DHCP_OPT_MSG_TYPE)) {
		*why = DHCP_DROP_NO_TYPE;
		return -EBADMSG;
	}
	switch (out->type) {
	case DHCP_DISCOVER:
	case DHCP_REQUEST:
	case DHCP_DECLINE:
	case DHCP_RELEASE:
	case DHCP_INFORM:
		if (want_op == DHCP_BOOTREQUEST)
			return 0;
		break;
	case DHCP_OFFER:
	case DHCP_ACK:
	case DHCP_NAK:
		if (want_op == DHCP_BOOTREPLY)
			return 0;
		break;
	}
	*why = DHCP_DROP_BAD_TYPE;
	return -EBADMSG;
}

/*
 * Building. struct out tracks where the next option goes and the last
 * byte an option may use (one is kept for END).
 */
struct out {
	uint8_t *p;
	size_t at, lim;
};

static void
put_opt(struct out *o, uint8_t code, const void *v, size_t len)
{
	if (len > 255 || o->at + 2 + len > o->lim)
		return;
	o->p[o->at] = code;
	o->p[o->at + 1] = (uint8_t)len;
	if (len)
		memcpy(o->p + o->at + 2, v, len);
	o->at += 2 + len;
}

static void
put_opt32(struct out *o, uint8_t code, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	put_opt(o, code, b, 4);
}

static void
put_opt16(struct out *o, uint8_t code, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	put_opt(o, code, b, 2);
}

/* One configuration option, if m has it. */
static void
put_conf_opt(struct out *o, const struct dhcp_msg *m, uint8_t code)
{
	if (!dhcp_has(m, code))
		return;
	switch (code) {
	case DHCP_OPT_SUBNET_MASK: put_opt(o, code, &m->subnet_mask, 4); break;
	case DHCP_OPT_ROUTER: put_opt(o, code, &m->router, 4); break;
	case DHCP_OPT_DNS:
		if (m->ndns > 0 && m->ndns <= DHCP_DNS_MAX)
			put_opt(o, code, m->dns, m->ndns * 4u);
		break;
	case DHCP_OPT_DOMAIN: put_opt(o, code, m->domain, strnlen(m->domain, DHCP_DOMAIN_MAX)); break;
	case DHCP_OPT_MTU: put_opt16(o, code, m->mtu); break;
	case DHCP_OPT_HOSTNAME:
		put_opt(o, code, m->hostname, strnlen(m->hostname, DHCP_HOSTNAME_MAX));
		break;
	case DHCP_OPT_MESSAGE:
		put_opt(o, code, m->message, strnlen(m->message, DHCP_MESSAGE_MAX));
		break;
	}
}

static const uint8_t conf_opts[] = {
    DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS,     DHCP_OPT_DOMAIN,
    DHCP_OPT_MTU,         DHCP_OPT_HOSTNAME, DHCP_OPT_MESSAGE,
};

/* In the client's order when it gave one; NAK's message always (RFC 2131 §4.3.2). */
static void
put_conf_opts(struct out *o, const struct dhcp_msg *m)
{
	if (m->op == DHCP_BOOTREPLY && m->prl_len > 0) {
		uint64_t done = 0;

		for (size_t i = 0; i < m->prl_len; i++) {
			uint8_t c = m->prl[i];
			if (c < 64 && !((done >> c) & 1) && c != DHCP_OPT_HOSTNAME)
				put_conf_opt(o, m, c);
			if (c < 64)
				done |= UINT64_C(1) << c;
		}
		if (!((done >> DHCP_OPT_MESSAGE) & 1))
			put_conf_opt(o, m, DHCP_OPT_MESSAGE);
		return;
	}
	for (size_t i = 0; i < sizeof(conf_opts); i++)
		if (m->op == DHCP_BOOTREPLY || conf_opts[i] != DHCP_OPT_HOSTNAME)
			put_conf_opt(o, m, conf_opts[i]);
}

static void
put_request_opts(struct out *o, const struct dhcp_msg *m)
{
	if (dhcp_has(m, DHCP_OPT_REQUESTED_IP))
		put_opt(o, DHCP_OPT_REQUESTED_IP, &m->requested_ip, 4);
	if (dhcp_has(m, DHCP_OPT_CLIENT_ID))
		put_opt(o, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
	put_conf_opt(o, m, DHCP_OPT_HOSTNAME);
	if (dhcp_has(m, DHCP_OPT_PRL))
		put_opt(o, DHCP_OPT_PRL, m->prl, m->prl_len);
	if (dhcp_has(m, DHCP_OPT_MAX_SIZE))
		put_opt16(o, DHCP_OPT_MAX_SIZE, m->max_size);
}

static void
put_header(uint8_t *p, const struct dhcp_msg *m)
{
	p[0] = m->op;
	p[1] = m->htype;
	p[2] = m->hlen;
	p[3] = m->hops;
	put32(p + 4, m->xid);
	put16(p + 8, m->secs);
	put16(p + 10, m->flags);
	memcpy(p + 12, &m->ciaddr, 4);
	memcpy(p + 16, &m->yiaddr, 4);
	memcpy(p + 20, &m->siaddr, 4);
	memcpy(p + 24, &m->giaddr, 4);
	memcpy(p + 28, m->chaddr, DHCP_CHADDR_LEN);
	memcpy(p + DHCP_FIXED_LEN, cookie, sizeof(cookie));
}

int
dhcp_msg_build(const struct dhcp_msg *m, size_t max, uint8_t *buf, size_t buflen,
	       size_t *outlen)
{
	struct out o = {.p = buf, .at = DHCP_OPTIONS_OFF};
	size_t cap = max < buflen ? max : buflen;

	/* Room for the header, the five fixed options (3+6+6+6+6) and END. */
	if (!m || !buf || !outlen || cap < DHCP_OPTIONS_OFF + 28)
		return -ENOSPC;
	memset(buf, 0, cap);
	put_header(buf, m);
	o.lim = cap - 1;
	put_opt(&o, DHCP_OPT_MSG_TYPE, &m->type, 1);
	if (dhcp_has(m, DHCP_OPT_SERVER_ID))
		put_opt(&o, DHCP_OPT_SERVER_ID, &m->server_id, 4);
	if (dhcp_has(m, DHCP_OPT_LEASE_TIME))
		put_opt32(&o, DHCP_OPT_LEASE_TIME, m->lease_time);
	if (dhcp_has(m, DHCP_OPT_T1))
		put_opt32(&o, DHCP_OPT_T1, m->t1);
	if (dhcp_has(m, DHCP_OPT_T2))
		put_opt32(&o, DHCP_OPT_T2, m->t2);
	put_conf_opts(&o, m);
	if (m->op == DHCP_BOOTREQUEST)
		put_request_opts(&o, m);
	buf[o.at++] = DHCP_OPT_END;
	if (o.at < DHCP_REPLY_PAD_TO)
		o.at = DHCP_REPLY_PAD_TO <= cap ? DHCP_REPLY_PAD_TO : o.at;
	*outlen = o.at;
	return 0;
}

size_t
dhcp_msg_reply_max(const struct dhcp_msg *req)
{
	size_t max = DHCP_REPLY_MIN_MAX;

	/* Option 57 counts the IP datagram (RFC 2132 §9.10 minimum 576): less 28. */
	if (req && dhcp_has(req, DHCP_OPT_MAX_SIZE) && req->max_size > 576)
		max = (size_t)req->max_size - 28;
	return max < DHCP_MSG_MAX ? max : DHCP_MSG_MAX;
}

const char *
dhcp_type_name(uint8_t type)
{
	static const char *const names[] = {
	    "none", "discover", "offer", "request", "decline", "ack", "nak", "release", "inform",
	};

	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

const char *
dhcp_drop_name(enum dhcp_drop why)
{
	static const char *const names[DHCP_DROP_REASONS] = {
	    [DHCP_DROP_SHORT] = "truncated",
	    [DHCP_DROP_OVERSIZE] = "oversize",
	    [DHCP_DROP_OP] = "bad_op",
	    [DHCP_DROP_HTYPE] = "bad_htype",
	    [DHCP_DROP_HLEN] = "bad_hlen",
	    [DHCP_DROP_COOKIE] = "bad_cookie",
	    [DHCP_DROP_OPT_OVERRUN] = "option_overrun",
	    [DHCP_DROP_OPT_LEN] = "bad_option_length",
	    [DHCP_DROP_NO_TYPE] = "no_message_type",
	    [DHCP_DROP_BAD_TYPE] = "bad_message_type",
	};

	return (unsigned)why < DHCP_DROP_REASONS ? names[why] : "unknown";
}
