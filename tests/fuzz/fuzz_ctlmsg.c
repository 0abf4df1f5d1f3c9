// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/fuzz/fuzz_ctlmsg.c — libFuzzer harness for the control-socket
 * request decoder: header, then the payload split into argv, as umbrald
 * reads them from a client. A request that decodes must encode back to the
 * same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-encoding what was decoded gives the bytes that came in. */
static void
check_round_trip(const uint8_t *data, size_t size, int argc, char **argv)
{
	struct buf b;

	buf_init(&b);
	if (ctl_request_encode(&b, argc, argv) == 0 &&
	    (b.len != size || memcmp(b.data, data, size) != 0))
		__builtin_trap();
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[CTL_ARGC_MAX];
	uint8_t rhdr[CTL_REP_HDR];
	uint32_t len;
	size_t n;
	char *payload;
	int argc, status;

	if (size >= CTL_REP_HDR) {
		memcpy(rhdr, data, CTL_REP_HDR);
		(void)ctl_reply_header(rhdr, &status, &len);
	}
	if (size < CTL_REQ_HDR || ctl_request_header(data, &len) < 0)
		return 0;
	/* The daemon reads exactly len bytes; a short read never reaches the parser. */
	n = size - CTL_REQ_HDR;
	if (len != n)
		return 0;
	/* An exact-size copy, so that any read past the end is caught. */
	if (!(payload = malloc(n)))
		return 0;
	memcpy(payload, data + CTL_REQ_HDR, n);
	argc = ctl_request_args(payload, n, argv, CTL_ARGC_MAX);
	if (argc > 0)
		check_round_trip(data, size, argc, argv);
	free(payload);
	return 0;
}
