// SPDX-License-Identifier: GPL-2.0-only
/* core/nl.c — send one netlink request and read every reply until the ack. */
#include "core/nl.h"

#include <errno.h>
#include <time.h>

struct mnl_socket *
nl_open(int bus)
{
	struct mnl_socket *nl = mnl_socket_open(bus);

	if (!nl)
		return NULL;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

int
nl_talk(struct mnl_socket *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	static uint32_t seq;
	char buf[32768]; /* a dump part fits; MNL_SOCKET_BUFFER_SIZE may be smaller */
	uint32_t portid = mnl_socket_get_portid(nl);
	ssize_t n;
	int ret;

	if (seq == 0)
		seq = (uint32_t)time(NULL);
	nlh->nlmsg_seq = ++seq;
	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, cb, data);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}
