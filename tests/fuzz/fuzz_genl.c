// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_genl.c — libFuzzer harness for the WireGuard generic
 * netlink GET_DEVICE reply parser, over a dump of several messages (a peer
 * may continue from one message into the next).
 *
 * Input: records of a 16-bit little-endian length and that many bytes, each
 * one netlink message. nlmsg_len is set to the record's length, as
 * mnl_cb_run() checks it against the datagram before any callback runs,
 * and the copy is zero-padded to NLMSG_ALIGNTO: libmnl walks attributes up
 * to MNL_ALIGN(nlmsg_len), padding a receive buffer always has.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wg/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MSGS_MAX 16

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t privkey[WG_KEY_LEN];
	struct wg_genl_parse p = {.privkey = privkey};
	struct nlmsghdr *nlh;
	size_t off = 0, len;

	for (int i = 0; i < MSGS_MAX && off + 2 <= size; i++) {
		len = (size_t)data[off] | (size_t)data[off + 1] << 8;
		off += 2;
		if (len > size - off)
			len = size - off;
		if (len < sizeof(*nlh))
			break;
		/* A copy padded only to alignment, so that reads past it are caught. */
		if (!(nlh = calloc(1, MNL_ALIGN(len))))
			break;
		memcpy(nlh, data + off, len);
		nlh->nlmsg_len = (uint32_t)len;
		off += len;
		if (wg_genl_parse_msg(nlh, &p) < 0) {
			free(nlh);
			break;
		}
		free(nlh);
	}
	wg_genl_parse_free(&p);
	return 0;
}
