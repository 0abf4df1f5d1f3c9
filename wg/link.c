// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/link.c — the rtnetlink side of wg0: create the kernel's wireguard link,
 * tell what kind an existing link is, and set its MTU and bring it up.
 */
#include "wg/internal.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "core/nl.h"

static int
talk(struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	struct mnl_socket *nl = nl_open(NETLINK_ROUTE);
	int ret;

	if (!nl)
		return -errno;
	ret = nl_talk(nl, nlh, cb, data);
	mnl_socket_close(nl);
	return ret;
}

int
wg_link_create(const char *ifname)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *li;
	int ret;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	li = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
	mnl_attr_nest_end(nlh, li);
	ret = talk(nlh, NULL, NULL);
	/* "Unknown device type" is EOPNOTSUPP; some kernels say ENODEV/EINVAL when modules are off. */
	if (ret == -ENODEV || ret == -EINVAL)
		ret = -EOPNOTSUPP;
	return ret;
}

struct kind_ctx {
	char *kind;
	size_t len;
	bool seen;
};

static int
kind_info_cb(const struct nlattr *a, void *data)
{
	struct kind_ctx *k = data;

	if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) == 0) {
		size_t n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
		if (n >= k->len)
			n = k->len - 1;
		memcpy(k->kind, mnl_attr_get_str(a), n);
		k->kind[n] = '\0';
	}
	return MNL_CB_OK;
}

static int
kind_attr_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == IFLA_LINKINFO && mnl_attr_validate(a, MNL_TYPE_NESTED) == 0)
		mnl_attr_parse_nested(a, kind_info_cb, data);
	return MNL_CB_OK;
}

static int
kind_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kind_ctx *k = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return MNL_CB_ERROR;
	k->seen = true;
	return mnl_attr_parse(nlh, sizeof(struct ifinfomsg), kind_attr_cb, data);
}

int
wg_link_kind(const char *ifname, char *kind, size_t len)
{
	char buf[512], tmp[32] = "";
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct kind_ctx k = {.kind = tmp, .len = sizeof(tmp)};
	struct ifinfomsg *ifi;
	int ret;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	ret = talk(nlh, kind_cb, &k);
	if (ret < 0)
		return ret;
	if (!k.seen)
		return -ENODEV;
	snprintf(kind, len, "%s", tmp);
	return 0;
}

int
wg_link_up(const char *ifname, uint16_t mtu)
{
	char buf[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	unsigned idx = if_nametoindex(ifname);

	if (idx == 0)
		return -ENODEV;
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)idx;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return talk(nlh, NULL, NULL);
}
