/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/dhcp_msg.h — DHCPv4 messages (RFC 2131, options from RFC 2132): a
 * parser for what arrives from the LAN and a builder for what we send.
 *
 * Both are pure: a buffer in, a struct out (or the reverse); no I/O, no
 * allocation, no global state, so a fuzzer can call the parser directly.
 * Addresses in struct dhcp_msg are in network byte order (struct in_addr);
 * xid, secs and flags are in host order.
 *
 * Not supported, on purpose: option overload (52) is ignored on input (its
 * options in sname/file are not read), long options split over several
 * instances (RFC 3396) are not concatenated (the last instance wins), and
 * only Ethernet hardware addresses (htype 1, hlen 6) are accepted.
 */
#ifndef UMBRAL_DHCP_MSG_H
#define UMBRAL_DHCP_MSG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY 2
#define DHCP_HTYPE_ETHER 1
#define DHCP_FLAG_BROADCAST 0x8000

/* The fixed header, then the magic cookie, then options. */
#define DHCP_FIXED_LEN 236
#define DHCP_OPTIONS_OFF 240
#define DHCP_CHADDR_LEN 16
/* The largest message read: a full Ethernet frame's UDP payload (1500 - 28). */
#define DHCP_MSG_MAX 1472
/* A reply is at most 576 - 28 (IP, UDP) bytes unless the client allows more. */
#define DHCP_REPLY_MIN_MAX 548
/* BOOTP relays and old clients expect at least this much (RFC 1542 §2.1). */
#define DHCP_REPLY_PAD_TO 300

#define DHCP_DNS_MAX 3
#define DHCP_CLIENT_ID_MAX 255
#define DHCP_PRL_MAX 255
#define DHCP_HOSTNAME_MAX 63
#define DHCP_DOMAIN_MAX 255
#define DHCP_MESSAGE_MAX 127

enum dhcp_type {
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

/* Option codes we read or write; all below 64 so that one bit each fits. */
enum dhcp_opt {
	DHCP_OPT_PAD = 0,
	DHCP_OPT_SUBNET_MASK = 1,
	DHCP_OPT_ROUTER = 3,
	DHCP_OPT_DNS = 6,
	DHCP_OPT_HOSTNAME = 12,
	DHCP_OPT_DOMAIN = 15,
	DHCP_OPT_MTU = 26,
	DHCP_OPT_REQUESTED_IP = 50,
	DHCP_OPT_LEASE_TIME = 51,
	DHCP_OPT_OVERLOAD = 52,
	DHCP_OPT_MSG_TYPE = 53,
	DHCP_OPT_SERVER_ID = 54,
	DHCP_OPT_PRL = 55,
	DHCP_OPT_MESSAGE = 56,
	DHCP_OPT_MAX_SIZE = 57,
	DHCP_OPT_T1 = 58,
	DHCP_OPT_T2 = 59,
	DHCP_OPT_CLIENT_ID = 61,
	DHCP_OPT_END = 255,
};

/* Why a message was dropped; each has its own counter. */
enum dhcp_drop {
	DHCP_DROP_SHORT,      /* shorter than the header and cookie */
	DHCP_DROP_OVERSIZE,   /* longer than DHCP_MSG_MAX */
	DHCP_DROP_OP,         /* op is not the one expected */
	DHCP_DROP_HTYPE,      /* not Ethernet */
	DHCP_DROP_HLEN,       /* hlen > 16, or not 6 for Ethernet */
	DHCP_DROP_COOKIE,     /* wrong magic cookie */
	DHCP_DROP_OPT_OVERRUN, /* an option runs past the end of the buffer */
	DHCP_DROP_OPT_LEN,    /* a known option has a length it cannot have */
	DHCP_DROP_NO_TYPE,    /* no message type option */
	DHCP_DROP_BAD_TYPE,   /* a message type this side never receives */
	DHCP_DROP_REASONS
};

struct dhcp_msg {
	uint8_t op, htype, hlen, hops;
	uint32_t xid;
	uint16_t secs, flags;
	struct in_addr ciaddr, yiaddr, siaddr, giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];

	uint64_t present; /* bit n set: option n was present / is to be sent */
	uint8_t type;     /* enum dhcp_type */
	struct in_addr subnet_mask, router, server_id, requested_ip;
	struct in_addr dns[DHCP_DNS_MAX];
	uint8_t ndns;
	uint32_t lease_time, t1, t2; /* seconds */
	uint16_t mtu, max_size;
	uint8_t client_id_len, prl_len;
	uint8_t client_id[DHCP_CLIENT_ID_MAX];
	uint8_t prl[DHCP_PRL_MAX];
	/* Text options, NUL-terminated; the hostname holds only [A-Za-z0-9._-]. */
	char hostname[DHCP_HOSTNAME_MAX + 1];
	char domain[DHCP_DOMAIN_MAX + 1];
	char message[DHCP_MESSAGE_MAX + 1];
};

static inline bool
dhcp_has(const struct dhcp_msg *m, enum dhcp_opt o)
{
	return o < 64 && (m->present >> o) & 1;
}

static inline void
dhcp_set(struct dhcp_msg *m, enum dhcp_opt o)
{
	if (o < 64)
		m->present |= UINT64_C(1) << o;
}

/*
 * Parses len bytes at buf into *out. want_op is DHCP_BOOTREQUEST for a server
 * (then only DISCOVER, REQUEST, DECLINE, RELEASE and INFORM are accepted) or
 * DHCP_BOOTREPLY for a client or a test. Returns 0, or -EBADMSG with the
 * reason in *why (the one out-parameter written on failure) and *out
 * unspecified. A hostname with other characters than [A-Za-z0-9._-] is
 * treated as absent rather than failing the message.
 */
int dhcp_msg_parse(const void *buf, size_t len, uint8_t want_op, struct dhcp_msg *out,
		   enum dhcp_drop *why);

/*
 * Encodes m into buf (buflen bytes) using at most max bytes, and the length
 * into *outlen. Options are written in this order: message type, server id,
 * lease time, T1, T2, then — for a reply — the options of m->present that
 * the client listed in m->prl, in its order (every present one when prl_len
 * is 0), then for a request requested ip, client id, hostname, PRL, max
 * size. An option that does not fit is left out (the first five always
 * fit); -ENOSPC only when not even the header fits. The result is padded
 * with zeros to DHCP_REPLY_PAD_TO when max allows.
 */
int dhcp_msg_build(const struct dhcp_msg *m, size_t max, uint8_t *buf, size_t buflen,
		   size_t *outlen);

/* The largest reply to req: 548 bytes, or more when its option 57 allows. */
size_t dhcp_msg_reply_max(const struct dhcp_msg *req);

/* Short names for logs and JSON: "discover", "truncated", … */
const char *dhcp_type_name(uint8_t type);
const char *dhcp_drop_name(enum dhcp_drop why);

#endif
