// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/genl_io.c — talks to the kernel's `wireguard` genl family: resolves its
 * id, sends a diff in as many SET_DEVICE messages as it needs, reads the
 * device dump. Buffers that may hold the private key are sodium memory.
 */
#include "wg/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <sodium.h>

#include "core/nl.h"

#define DUMP_BUF 32768 /* MNL_SOCKET_DUMP_SIZE: one dump part always fits */

/* A genl socket whose error acks do not echo our request (it may carry the key). */
static struct mnl_socket *
genl_open(void)
{
	struct mnl_socket *nl = nl_open(NETLINK_GENERIC);
	int one = 1;

	if (nl)
		setsockopt(mnl_socket_get_fd(nl), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

/*
 * Test hook: with UMBRAL_NL_DUMP=path, every SET_DEVICE message the kernel
 * accepted is appended to path as sent (netlink messages are self-delimiting),
 * the private key's bytes zeroed. Fixtures for the genl builder's unit test.
 */
static void
dump_accepted(const struct nlmsghdr *nlh)
{
	const char *path = getenv("UMBRAL_NL_DUMP");
	struct nlmsghdr *copy;
	struct nlattr *a;
	FILE *f;

	if (!path || !(copy = sodium_malloc(nlh->nlmsg_len)))
		return;
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(a, copy, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == WGDEVICE_A_PRIVATE_KEY)
			sodium_memzero(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	if ((f = fopen(path, "ae"))) {
		fwrite(copy, 1, copy->nlmsg_len, f);
		fclose(f);
	}
	sodium_free(copy);
}

static int
family_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_validate(a, MNL_TYPE_U16) == 0)
		*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static int
family_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_ERROR;
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb, data);
}

int
wg_genl_family(uint16_t *out)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct mnl_socket *nl;
	uint16_t id = 0;
	int ret;

	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	nl = genl_open();
	if (!nl)
		return -errno;
	ret = nl_talk(nl, nlh, family_cb, &id);
	mnl_socket_close(nl);
	if (ret < 0)
		return ret;
	if (id == 0)
		return -ENOENT;
	*out = id;
	return 0;
}

int
wg_genl_set(uint16_t family, const char *ifname, const struct wg_diff *d)
{
	size_t buflen = (size_t)MNL_SOCKET_BUFFER_SIZE; /* as wg(8) sizes its messages */
	struct wg_genl_cursor cur = {0};
	struct mnl_socket *nl;
	char *buf;
	int r, ret = 0;

	buf = sodium_malloc(buflen);
	if (!buf)
		return -ENOMEM;
	/* sodium_malloc fills with 0xdb, and libmnl 1.0.4 leaves attribute padding as it finds it. */
	sodium_memzero(buf, buflen);
	nl = genl_open();
	if (!nl) {
		sodium_free(buf);
		return -errno;
	}
	do {
		r = wg_genl_build_set(buf, buflen, family, ifname, d, &cur);
		if (r < 0) {
			ret = r;
			break;
		}
		ret = nl_talk(nl, (struct nlmsghdr *)buf, NULL, NULL);
		if (ret == 0)
			dump_accepted((struct nlmsghdr *)buf);
		sodium_memzero(buf, buflen);
	} while (ret == 0 && r == 1);
	mnl_socket_close(nl);
	sodium_free(buf); /* wipes */
	return ret;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	return wg_genl_parse_msg(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

/* Reads dump parts until NLMSG_DONE into p; buf is wiped after each part. */
static int
dump_run(struct mnl_socket *nl, char *buf, uint32_t seq, struct wg_genl_parse *p)
{
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	do {
		n = mnl_socket_recvfrom(nl, buf, DUMP_BUF);
		if (n < 0)
			return -errno;
		errno = EBADMSG;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, dump_cb, p);
		sodium_memzero(buf, (size_t)n);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

int
wg_genl_get(uint16_t family, const char *ifname, struct wg_dev_state *out)
{
	struct wg_genl_parse p = {0};
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	char *buf;
	int ret;

	buf = sodium_malloc(DUMP_BUF);
	if (!buf)
		return -ENOMEM;
	nl = genl_open();
	if (!nl) {
		sodium_free(buf);
		return -errno;
	}
	nlh = wg_genl_build_get(buf, DUMP_BUF, family, ifname);
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		ret = -errno;
	else
		ret = dump_run(nl, buf, nlh->nlmsg_seq, &p);
	mnl_socket_close(nl);
	sodium_free(buf);
	if (ret < 0) {
		wg_genl_parse_free(&p);
		return ret;
	}
	*out = p.st;
	free(p.flags);
	return 0;
}
