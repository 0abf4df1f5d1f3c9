// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_wg_genl.c — WireGuard genl messages: built, split, parsed back, compared;
 * and checked against the SET_DEVICE messages the kernel accepted in make check-vm
 * (tests/unit/fixtures/wg_set_device_s*.hex, README.md there).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <sodium.h>

#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "wg/internal.h"
#include "wg/key.h"

#define FAMILY 0x1d

/* A conf of npeers peers with nallowed allowed-ips each, all distinct. */
struct fixture {
	struct wg_peer_conf *peers;
	struct prefix *prefixes;
	uint8_t *priv;
	struct wg_conf conf;
};

static void
fixture_make(struct fixture *f, size_t npeers, size_t nallowed)
{
	f->peers = calloc(npeers, sizeof(*f->peers));
	f->prefixes = calloc(npeers * nallowed + 1, sizeof(*f->prefixes));
	f->priv = sodium_malloc(WG_KEY_LEN);
	assert_true(f->peers && f->prefixes && f->priv);
	assert_int_equal(wg_key_generate(f->priv), 0);
	for (size_t i = 0; i < npeers; i++) {
		struct wg_peer_conf *p = &f->peers[i];
		randombytes_buf(p->pubkey, WG_KEY_LEN);
		p->keepalive = (uint16_t)(i % 3 == 0 ? 25 : 0);
		p->has_endpoint = i % 4 != 3;
		p->endpoint.family = i % 2 ? AF_INET6 : AF_INET;
		p->endpoint.port = (uint16_t)(51820 + i);
		p->endpoint.addr[0] = (uint8_t)(i % 2 ? 0x20 : 198);
		p->endpoint.addr[3] = (uint8_t)i;
		p->allowed = &f->prefixes[i * nallowed];
		p->nallowed = nallowed;
		for (size_t j = 0; j < nallowed; j++) {
			struct prefix *a = &f->prefixes[i * nallowed + j];
			if (j % 2) {
				a->family = AF_INET6;
				a->len = 64;
				a->addr[0] = 0xfd;
				a->addr[4] = (uint8_t)(i >> 8);
				a->addr[5] = (uint8_t)i;
				a->addr[7] = (uint8_t)j;
			} else {
				a->family = AF_INET;
				a->len = 24;
				a->addr[0] = 10;
				a->addr[1] = (uint8_t)i;
				a->addr[2] = (uint8_t)j;
			}
		}
	}
	f->conf = (struct wg_conf){.privkey = f->priv,
				   .listen_port = 51820,
				   .fwmark = 0x30000,
				   .peers = f->peers,
				   .npeers = npeers};
}

static void
fixture_free(struct fixture *f)
{
	free(f->peers);
	free(f->prefixes);
	sodium_free(f->priv);
}

/* Every wanted peer is in the parsed state, exactly, in order, after the removals. */
static void
assert_peers_equal(const struct wg_genl_parse *p, const struct wg_conf *c, size_t nremove)
{
	assert_int_equal(p->st.npeers, c->npeers + nremove);
	for (size_t i = 0; i < c->npeers; i++) {
		const struct wg_peer_conf *w = &c->peers[i];
		const struct wg_peer_state *g = &p->st.peers[nremove + i];
		assert_memory_equal(w->pubkey, g->pubkey, WG_KEY_LEN);
		assert_int_equal(p->flags[nremove + i], WGPEER_F_REPLACE_ALLOWEDIPS);
		assert_int_equal(w->keepalive, g->keepalive);
		assert_int_equal(w->has_endpoint, g->has_endpoint);
		if (w->has_endpoint)
			assert_memory_equal(&w->endpoint, &g->endpoint, sizeof(w->endpoint));
		assert_int_equal(w->nallowed, g->nallowed);
		assert_memory_equal(w->allowed, g->allowed, w->nallowed * sizeof(*w->allowed));
	}
}

/* Builds every message for d with buflen, parses each back into p; returns the count. */
static int
build_parse_all(const struct wg_diff *d, size_t buflen, struct wg_genl_parse *p)
{
	struct wg_genl_cursor cur = {0};
	char *buf = sodium_malloc(buflen);
	int n = 0, r;

	assert_non_null(buf);
	do {
		r = wg_genl_build_set(buf, buflen, FAMILY, "wg0", d, &cur);
		assert_true(r >= 0);
		struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
		assert_true(nlh->nlmsg_len <= buflen);
		assert_int_equal(nlh->nlmsg_type, FAMILY);
		assert_int_equal(wg_genl_parse_msg(nlh, p), 0);
		n++;
		assert_true(n < 100000);
	} while (r == 1);
	sodium_free(buf);
	return n;
}

static void
test_set_roundtrip(void **state)
{
	struct fixture f;
	struct wg_dev_state cur = {0};
	struct wg_diff d;
	uint8_t *got = sodium_malloc(WG_KEY_LEN);
	struct wg_genl_parse p = {.privkey = got};
	uint8_t gone[WG_KEY_LEN];

	(void)state;
	fixture_make(&f, 5, 3);
	memset(gone, 0x77, sizeof(gone));
	assert_non_null(wg_state_add_peer(&cur, gone));
	assert_int_equal(wg_diff_build(&cur, &f.conf, &d), 0);
	assert_int_equal(build_parse_all(&d, MNL_SOCKET_BUFFER_SIZE, &p), 1);
	assert_true(p.has_privkey);
	assert_memory_equal(got, f.priv, WG_KEY_LEN);
	assert_int_equal(p.st.listen_port, 51820);
	assert_int_equal(p.st.fwmark, 0x30000);
	assert_memory_equal(p.st.peers[0].pubkey, gone, WG_KEY_LEN);
	assert_int_equal(p.flags[0], WGPEER_F_REMOVE_ME);
	assert_peers_equal(&p, &f.conf, 1);
	wg_genl_parse_free(&p);
	wg_diff_free(&d);
	wg_state_free(&cur);
	fixture_free(&f);
	sodium_free(got);
}

static void
test_set_split(void **state)
{
	struct fixture f;
	struct wg_dev_state cur = {0};
	struct wg_diff d;
	struct wg_genl_parse p = {0};
	int n;

	(void)state;
	fixture_make(&f, 200, 64);
	assert_int_equal(wg_diff_build(&cur, &f.conf, &d), 0);
	n = build_parse_all(&d, MNL_SOCKET_BUFFER_SIZE, &p);
	assert_true(n >= 2);
	assert_peers_equal(&p, &f.conf, 0);
	wg_genl_parse_free(&p);

	/* Small messages cut peers in the middle of their allowed-ips. */
	memset(&p, 0, sizeof(p));
	n = build_parse_all(&d, 600, &p);
	assert_true(n > 200);
	assert_peers_equal(&p, &f.conf, 0);
	wg_genl_parse_free(&p);

	/* A message too small for one peer is an error, not a loop. */
	{
		struct wg_genl_cursor c = {0};
		char buf[150];
		int r = wg_genl_build_set(buf, sizeof(buf), FAMILY, "wg0", &d, &c);
		while (r == 1)
			r = wg_genl_build_set(buf, sizeof(buf), FAMILY, "wg0", &d, &c);
		assert_int_equal(r, -EMSGSIZE);
	}
	wg_diff_free(&d);
	fixture_free(&f);
}

/* A dump reply as the kernel writes it: device, then a peer split in two messages. */
static struct nlmsghdr *
kernel_reply(char *buf, bool second, bool corrupt)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct nlattr *peers, *peer, *ips, *ip;
	uint8_t key[WG_KEY_LEN];
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(51821)};
	struct __kernel_timespec ts = {.tv_sec = 1700000000, .tv_nsec = 5};
	uint8_t a4[4] = {10, 3, 0, 0};

	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = 1;
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	if (!second) {
		memset(key, 0x99, sizeof(key));
		mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, key);
		memset(key, 0x98, sizeof(key));
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, key);
		mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
		mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x30000);
	}
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	memset(key, 0x11, sizeof(key));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	if (!second) {
		inet_pton(AF_INET6, "2001:db8:3::2", &sin6.sin6_addr);
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, corrupt ? sizeof(sin6) - 1 : sizeof(sin6),
			     &sin6);
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
		mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 5678);
		mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1234);
		mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	}
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	ip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	a4[1] = second ? 33 : 3;
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, a4);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 16);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	return nlh;
}

static void
test_get_reply(void **state)
{
	char buf[2048];
	struct wg_genl_parse p = {0};
	char s[64];

	(void)state;
	assert_int_equal(wg_genl_parse_msg(kernel_reply(buf, false, false), &p), 0);
	assert_int_equal(wg_genl_parse_msg(kernel_reply(buf, true, false), &p), 0);
	assert_true(p.has_privkey); /* seen, not kept: no privkey buffer given */
	assert_true(p.st.has_pubkey);
	assert_int_equal(p.st.pubkey[0], 0x98);
	assert_int_equal(p.st.listen_port, 51820);
	assert_int_equal(p.st.fwmark, 0x30000);
	assert_int_equal(p.st.npeers, 1);
	assert_int_equal(p.st.peers[0].pubkey[0], 0x11);
	assert_string_equal(endpoint_format(&p.st.peers[0].endpoint, s, sizeof(s)),
			    "[2001:db8:3::2]:51821");
	assert_int_equal(p.st.peers[0].last_handshake, 1700000000);
	assert_int_equal(p.st.peers[0].rx_bytes, 5678);
	assert_int_equal(p.st.peers[0].tx_bytes, 1234);
	assert_int_equal(p.st.peers[0].keepalive, 25);
	assert_int_equal(p.st.peers[0].nallowed, 2);
	assert_string_equal(prefix_format(&p.st.peers[0].allowed[1], s, sizeof(s)), "10.33.0.0/16");
	wg_genl_parse_free(&p);

	memset(&p, 0, sizeof(p));
	assert_int_equal(wg_genl_parse_msg(kernel_reply(buf, false, true), &p), -EBADMSG);
	wg_genl_parse_free(&p);
}

static void
test_get_malformed(void **state)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nlattr *n, *m, *k;
	struct wg_genl_parse p = {0};
	uint8_t a16[WG_KEY_LEN] = {10}, zero[WG_KEY_LEN] = {0};

	(void)state;
	/* Truncated: no genl header. */
	nlh = mnl_nlmsg_put_header(buf);
	assert_int_equal(wg_genl_parse_msg(nlh, &p), -EBADMSG);

	/* Wrong type for the listen port. */
	nlh = mnl_nlmsg_put_header(buf);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	mnl_attr_put_u32(nlh, WGDEVICE_A_LISTEN_PORT, 1);
	assert_int_equal(wg_genl_parse_msg(nlh, &p), -EBADMSG);

	/* A peer without a public key. */
	nlh = mnl_nlmsg_put_header(buf);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	n = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	m = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 1);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(wg_genl_parse_msg(nlh, &p), -EBADMSG);

	/* An allowed-ip nest with nothing in it. */
	nlh = mnl_nlmsg_put_header(buf);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	n = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	m = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, zero);
	k = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, 0));
	mnl_attr_nest_end(nlh, k);
	mnl_attr_nest_end(nlh, m);
	mnl_attr_nest_end(nlh, n);
	assert_int_equal(wg_genl_parse_msg(nlh, &p), -EBADMSG); /* empty allowed-ip nest */
	wg_genl_parse_free(&p);

	/* An attribute overrunning the message is an error, not silently skipped. */
	nlh = mnl_nlmsg_put_header(buf);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, a16);
	nlh->nlmsg_len -= 8;
	memset(&p, 0, sizeof(p));
	assert_int_equal(wg_genl_parse_msg(nlh, &p), -EBADMSG);
	wg_genl_parse_free(&p);
}

/* ---- Against the kernel: messages it accepted, recorded under qemu ---- */

#define FIXTURES "tests/unit/fixtures/"
#define REC_MAX (1u << 16)
#define REC_MSGS 16

/* A recorded stream of messages, back to back, as hex (od or xxd -p). */
struct recording {
	uint8_t *buf;
	size_t len;
	size_t nmsg;
	size_t off[REC_MSGS];
};

static void
recording_load(struct recording *r, const char *name)
{
	char path[256];
	FILE *f;
	int c, hi = -1;

	snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s (run the unit tests from the top of the tree)", path,
			 strerror(errno));
	r->buf = malloc(REC_MAX);
	assert_non_null(r->buf);
	r->len = 0;
	while ((c = fgetc(f)) != EOF) {
		int v;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(r->len < REC_MAX);
		r->buf[r->len++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	fclose(f);
	assert_int_equal(hi, -1);
	r->nmsg = 0;
	for (size_t o = 0; o < r->len;
	     o += MNL_ALIGN(((struct nlmsghdr *)(r->buf + o))->nlmsg_len)) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)(r->buf + o);
		assert_true(r->len - o >= sizeof(*nlh));
		assert_true(nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= r->len - o);
		assert_true(r->nmsg < REC_MSGS);
		r->off[r->nmsg++] = o;
	}
}

static struct nlmsghdr *
rec_msg(const struct recording *r, size_t i)
{
	assert_true(i < r->nmsg);
	return (struct nlmsghdr *)(r->buf + r->off[i]);
}

/* Parses messages [first, first + n) of r into *p (zeroed first; privkey: optional). */
static void
rec_parse(const struct recording *r, size_t first, size_t n, struct wg_genl_parse *p,
	  uint8_t *privkey)
{
	memset(p, 0, sizeof(*p));
	p->privkey = privkey;
	for (size_t i = first; i < first + n; i++)
		assert_int_equal(wg_genl_parse_msg(rec_msg(r, i), p), 0);
}

static void
assert_prefix(const struct prefix *a, const char *want)
{
	char s[64];

	assert_string_equal(prefix_format(a, s, sizeof(s)), want);
}

/* The big site of check-vm: 250 prefixes 10.100.0.0/24, 10.100.1.0/24, ... */
static void
assert_big_allowed(const struct wg_peer_state *ps, size_t from, size_t n)
{
	char want[32];

	assert_int_equal(ps->nallowed, n);
	for (size_t i = 0; i < n; i++) {
		size_t k = from + i;
		snprintf(want, sizeof(want), "10.%zu.%zu.0/24", 100 + k / 256, k % 256);
		assert_prefix(&ps->allowed[i], want);
	}
}

static void
test_recorded_headers(void **state)
{
	static const char *const files[] = {"wg_set_device_s1.hex", "wg_set_device_s2.hex"};
	static const size_t counts[] = {7, 3};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		struct recording r;
		recording_load(&r, files[f]);
		assert_int_equal(r.nmsg, counts[f]);
		for (size_t i = 0; i < r.nmsg; i++) {
			struct nlmsghdr *nlh = rec_msg(&r, i);
			const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
			assert_true(nlh->nlmsg_len <= MNL_SOCKET_BUFFER_SIZE);
			assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
			assert_int_equal(g->cmd, WG_CMD_SET_DEVICE);
			assert_int_equal(g->version, WG_GENL_VERSION);
		}
		free(r.buf);
	}
}

/* s1 messages 3 and 4: one peer whose 250 allowed-ips did not fit one message. */
static void
test_recorded_split_peer(void **state)
{
	struct recording r;
	struct wg_genl_parse p, q;
	size_t n1;

	(void)state;
	recording_load(&r, "wg_set_device_s1.hex");
	rec_parse(&r, 3, 2, &p, NULL);
	assert_false(p.has_privkey);
	assert_int_equal(p.st.npeers, 1);
	assert_int_equal(p.flags[0], WGPEER_F_REPLACE_ALLOWEDIPS);
	assert_false(p.st.peers[0].has_endpoint);
	assert_big_allowed(&p.st.peers[0], 0, 250);

	/* The continuation alone: same peer, no replace flag, the rest of the list. */
	rec_parse(&r, 3, 1, &q, NULL);
	n1 = q.st.peers[0].nallowed;
	assert_true(n1 > 0 && n1 < 250);
	wg_genl_parse_free(&q);
	rec_parse(&r, 4, 1, &q, NULL);
	assert_int_equal(q.st.npeers, 1);
	assert_memory_equal(q.st.peers[0].pubkey, p.st.peers[0].pubkey, WG_KEY_LEN);
	assert_int_equal(q.flags[0], 0);
	assert_big_allowed(&q.st.peers[0], n1, 250 - n1);
	wg_genl_parse_free(&q);
	wg_genl_parse_free(&p);
	free(r.buf);
}

/* s1 messages 5 and 6: wg0 re-created by reload, device and both peers, split. */
static void
test_recorded_full_set(void **state)
{
	struct recording r;
	struct wg_genl_parse p;
	uint8_t *key = sodium_malloc(WG_KEY_LEN), zero[WG_KEY_LEN] = {0};
	char s[64];

	(void)state;
	recording_load(&r, "wg_set_device_s1.hex");
	rec_parse(&r, 5, 2, &p, key);
	assert_true(p.has_privkey);
	assert_memory_equal(key, zero, WG_KEY_LEN); /* zeroed by the recorder */
	assert_int_equal(p.st.listen_port, 51820);
	assert_int_equal(p.st.fwmark, 0x30000);
	assert_int_equal(p.st.npeers, 2);
	assert_true(p.st.peers[0].has_endpoint);
	assert_string_equal(endpoint_format(&p.st.peers[0].endpoint, s, sizeof(s)),
			    "198.18.2.2:51820");
	assert_int_equal(p.st.peers[0].keepalive, 25);
	assert_int_equal(p.st.peers[0].nallowed, 1);
	assert_prefix(&p.st.peers[0].allowed[0], "10.2.0.0/16");
	assert_big_allowed(&p.st.peers[1], 0, 250);
	wg_genl_parse_free(&p);
	sodium_free(key);
	free(r.buf);
}

/*
 * Each wg_set() of the recordings, parsed and turned back into the diff it
 * came from, must build the very bytes the kernel accepted, cut at the same
 * places. Only the header's seq and port id are the run's own. A device
 * attribute counts as sent when its value is not zero (true of these runs).
 */
static void
rebuild_group(const struct recording *r, size_t first, size_t n)
{
	uint8_t *key = sodium_malloc(WG_KEY_LEN);
	struct wg_genl_parse p;
	struct wg_genl_cursor cur = {0};
	struct wg_diff d = {0};
	struct wg_peer_conf *confs;
	const struct wg_peer_conf **up;
	char *buf = sodium_malloc(MNL_SOCKET_BUFFER_SIZE);
	uint16_t family = rec_msg(r, first)->nlmsg_type;
	size_t i = 0;
	int ret;

	assert_true(key && buf);
	rec_parse(r, first, n, &p, key);
	confs = calloc(p.st.npeers + 1, sizeof(*confs));
	up = calloc(p.st.npeers + 1, sizeof(*up));
	assert_true(confs && up);
	for (size_t k = 0; k < p.st.npeers; k++) {
		const struct wg_peer_state *ps = &p.st.peers[k];
		memcpy(confs[k].pubkey, ps->pubkey, WG_KEY_LEN);
		confs[k].has_endpoint = ps->has_endpoint;
		confs[k].endpoint = ps->endpoint;
		confs[k].keepalive = ps->keepalive;
		confs[k].allowed = ps->allowed;
		confs[k].nallowed = ps->nallowed;
		up[k] = &confs[k];
	}
	d.privkey = p.has_privkey ? key : NULL;
	d.set_port = p.st.listen_port != 0;
	d.listen_port = p.st.listen_port;
	d.set_fwmark = p.st.fwmark != 0;
	d.fwmark = p.st.fwmark;
	d.upsert = up;
	d.nupsert = p.st.npeers;
	do {
		struct nlmsghdr *want, *got = (struct nlmsghdr *)buf;
		sodium_memzero(buf, MNL_SOCKET_BUFFER_SIZE);
		ret = wg_genl_build_set(buf, MNL_SOCKET_BUFFER_SIZE, family, "wg0", &d, &cur);
		assert_true(ret >= 0);
		assert_true(i < n);
		want = rec_msg(r, first + i);
		got->nlmsg_seq = want->nlmsg_seq;
		got->nlmsg_pid = want->nlmsg_pid;
		assert_int_equal(got->nlmsg_len, want->nlmsg_len);
		assert_memory_equal(got, want, want->nlmsg_len);
		i++;
	} while (ret == 1);
	assert_int_equal(i, n);
	free(up);
	free(confs);
	wg_genl_parse_free(&p);
	sodium_free(buf);
	sodium_free(key);
}

static void
test_recorded_rebuild(void **state)
{
	/* s1: node set, key generate, site s2, site big (2 messages), reload (2). */
	static const size_t s1[][2] = {{0, 1}, {1, 1}, {2, 1}, {3, 2}, {5, 2}};
	struct recording r;

	(void)state;
	recording_load(&r, "wg_set_device_s1.hex");
	for (size_t g = 0; g < sizeof(s1) / sizeof(s1[0]); g++)
		rebuild_group(&r, s1[g][0], s1[g][1]);
	free(r.buf);
	recording_load(&r, "wg_set_device_s2.hex");
	for (size_t g = 0; g < 3; g++)
		rebuild_group(&r, g, 1);
	free(r.buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_roundtrip),     cmocka_unit_test(test_set_split),
	    cmocka_unit_test(test_get_reply),	      cmocka_unit_test(test_get_malformed),
	    cmocka_unit_test(test_recorded_headers),  cmocka_unit_test(test_recorded_split_peer),
	    cmocka_unit_test(test_recorded_full_set), cmocka_unit_test(test_recorded_rebuild),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
