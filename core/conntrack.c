// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/conntrack.c — one ctnetlink request: IPCTNL_MSG_CT_DELETE without a
 * tuple, which the kernel reads as "flush the table" (for every family when
 * nfgen_family is AF_UNSPEC).
 */
#include "core/conntrack.h"

#include <errno.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "core/nl.h"

int
conntrack_flush(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = nl_open(NETLINK_NETFILTER);
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret;

	if (!nl)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_DELETE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	ret = nl_talk(nl, nlh, NULL, NULL);
	mnl_socket_close(nl);
	return ret;
}
