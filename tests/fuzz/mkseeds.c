// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/mkseeds.c — writes the binary seed inputs of the fuzz corpora
 * (control requests, WireGuard genl dumps, route and rule messages) with the
 * library's own builders, so that seeds are valid messages. Run from the
 * top of the tree: `make -f tests/fuzz/fuzz.mk fuzz-seeds`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/rtnetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "core/ctlmsg.h"
#include "policy/route.h"
#include "wg/internal.h"

#define DIR "tests/fuzz/corpus/"
#define FAMILY 0x1d

static void
write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

static void
ctl_seed(const char *name, int argc, char *const argv[])
{
	char path[128];
	struct buf b;

	buf_init(&b);
	if (ctl_request_encode(&b, argc, argv) < 0)
		exit(1);
	snprintf(path, sizeof(path), DIR "ctlmsg/%s", name);
	write_file(path, b.data, b.len);
	buf_free(&b);
}

static void
ctl_seeds(void)
{
	char *status[] = {"status"};
	char *add[] = {"site", "add", "s2", "--prefix", "10.2.0.0/16"};
	char *show[] = {"show", "--json"};
	char *empty[] = {""};

	ctl_seed("status", 1, status);
	ctl_seed("site-add", 5, add);
	ctl_seed("show-json", 2, show);
	ctl_seed("empty-arg", 1, empty);
}

/* Appends one genl message as a record of the genl harness's input. */
static size_t
genl_record(uint8_t *out, size_t off, const struct nlmsghdr *nlh)
{
	out[off] = (uint8_t)(nlh->nlmsg_len & 0xff);
	out[off + 1] = (uint8_t)(nlh->nlmsg_len >> 8);
	memcpy(out + off + 2, nlh, nlh->nlmsg_len);
	return off + 2 + nlh->nlmsg_len;
}

/* A SET_DEVICE dump in messages of at most buflen bytes (the parser takes both commands). */
static void
genl_set_seed(const char *name, size_t buflen, const struct wg_diff *d)
{
	static uint8_t out[1 << 16];
	struct wg_genl_cursor cur = {0};
	char buf[4096], path[128];
	size_t off = 0;
	int r;

	do {
		r = wg_genl_build_set(buf, buflen, FAMILY, "wg0", d, &cur);
		if (r < 0 || off + buflen + 2 > sizeof(out))
			exit(1);
		off = genl_record(out, off, (struct nlmsghdr *)buf);
	} while (r == 1);
	snprintf(path, sizeof(path), DIR "genl/%s", name);
	write_file(path, out, off);
}

/* A GET_DEVICE reply as the kernel sends it, with the counters SET lacks. */
static void
genl_get_seed(const struct wg_peer_conf *pc)
{
	uint8_t out[2048];
	char buf[1024];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(51820)};
	struct __kernel_timespec ts = {.tv_sec = 1700000000, .tv_nsec = 5};
	struct nlattr *peers, *peer, *ips, *ip;
	uint8_t addr[4] = {10, 2, 0, 0};

	nlh->nlmsg_type = FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	inet_pton(AF_INET, "198.18.2.2", &sin.sin_addr);
	mnl_attr_put_u32(nlh, WGDEVICE_A_IFINDEX, 7);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, pc->pubkey);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, 0x30000);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, pc->pubkey);
	mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
	mnl_attr_put_u16(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
	mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 5678);
	mnl_attr_put_u64(nlh, WGPEER_A_TX_BYTES, 1234);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	ip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, sizeof(addr), addr);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 16);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	write_file(DIR "genl/get-one-peer", out, genl_record(out, 0, nlh));
}

static void
genl_seeds(void)
{
	static uint8_t priv[WG_KEY_LEN] = {0x40}, rm[1][WG_KEY_LEN] = {{0x33}};
	struct errbuf eb = {0};
	struct prefix pf[6];
	struct wg_peer_conf pc[2] = {0};
	const struct wg_peer_conf *up[2] = {&pc[0], &pc[1]};
	const char *p[] = {"10.2.0.0/16", "fd00:0:2::/48", "10.3.0.0/16",
			   "10.33.0.0/16", "fd00:0:3::/48", "0.0.0.0/0"};
	struct wg_diff d = {.privkey = priv, .set_port = true, .set_fwmark = true,
			    .listen_port = 51820, .fwmark = 0x30000, .remove = rm, .nremove = 1,
			    .upsert = up, .nupsert = 2};

	for (int i = 0; i < 6; i++)
		if (prefix_parse(p[i], &pf[i], "", &eb) < 0)
			exit(1);
	memset(pc[0].pubkey, 0x11, WG_KEY_LEN);
	memset(pc[1].pubkey, 0x22, WG_KEY_LEN);
	pc[0].has_endpoint = true;
	if (endpoint_parse("198.18.2.2:51820", &pc[0].endpoint, "", &eb) < 0)
		exit(1);
	pc[0].keepalive = 25;
	pc[0].allowed = pf;
	pc[0].nallowed = 2;
	pc[1].has_endpoint = true;
	if (endpoint_parse("[2001:db8:3::2]:51821", &pc[1].endpoint, "", &eb) < 0)
		exit(1);
	pc[1].allowed = pf + 2;
	pc[1].nallowed = 4;
	genl_set_seed("set-one-message", 4096, &d);
	genl_set_seed("set-split", 200, &d);
	genl_get_seed(&pc[0]);
}

static void
route_seed(const char *name, const struct nlmsghdr *nlh)
{
	char path[128];

	snprintf(path, sizeof(path), DIR "route/%s", name);
	write_file(path, nlh, nlh->nlmsg_len);
}

static void
route_seeds(void)
{
	char buf[ROUTE_MSG_MAX];
	struct errbuf eb = {0};
	struct route_want r = {.family = AF_INET, .table = 100, .type = RTN_UNICAST,
			       .has_gw = true, .dev = "to-crypto", .metric = 10};
	struct rule_want u = {.family = AF_INET, .prio = 1000, .table = 100, .mark = 0x10000,
			      .mask = 0xff0000};

	if (prefix_parse("10.2.0.0/16", &r.dst, "", &eb) < 0)
		exit(1);
	inet_pton(AF_INET, "169.254.1.2", r.gw);
	route_seed("route-v4-gw", route_msg_route(buf, RTM_NEWROUTE, 0, &r, 3));
	r.family = AF_INET6;
	r.type = RTN_UNREACHABLE;
	r.has_gw = false;
	r.table = 1000;
	r.metric = ROUTE_METRIC_LAST;
	if (prefix_parse("fd00::/8", &r.dst, "", &eb) < 0)
		exit(1);
	route_seed("route-v6-unreachable", route_msg_route(buf, RTM_NEWROUTE, 0, &r, 0));
	route_seed("rule-v4-mark", route_msg_rule(buf, RTM_NEWRULE, 0, &u));
	u.family = AF_INET6;
	u.mark = u.mask = 0;
	u.table = 300;
	route_seed("rule-v6-table300", route_msg_rule(buf, RTM_NEWRULE, 0, &u));
}

int
main(void)
{
	ctl_seeds();
	genl_seeds();
	route_seeds();
	return 0;
}
