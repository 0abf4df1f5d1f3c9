// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_ctlmsg.c — control-socket framing: round trips and hostile input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "core/ctlmsg.h"

static void
test_request_round_trip(void **state)
{
	char *argv[] = {"site", "add", "s2", "--prefix", "10.2.0.0/16", ""};
	char *out[8];
	struct buf b;
	uint32_t len;

	(void)state;
	buf_init(&b);
	assert_int_equal(ctl_request_encode(&b, 6, argv), 0);
	assert_int_equal(ctl_request_header((uint8_t *)b.data, &len), 0);
	assert_int_equal(len, b.len - CTL_REQ_HDR);
	assert_int_equal(ctl_request_args(b.data + CTL_REQ_HDR, len, out, 8), 6);
	for (int i = 0; i < 6; i++)
		assert_string_equal(out[i], argv[i]);
	assert_int_equal(ctl_request_args(b.data + CTL_REQ_HDR, len, out, 5), -EINVAL);
	buf_free(&b);
}

static void
test_hostile_requests(void **state)
{
	uint8_t hdr[CTL_REQ_HDR] = {0};
	uint32_t magic = CTL_MAGIC, len;
	char unterminated[] = {'a', 'b'};
	char *argv[4];

	(void)state;
	assert_int_equal(ctl_request_header(hdr, &len), -EPROTO); /* bad magic */
	memcpy(hdr, &magic, 4);
	assert_int_equal(ctl_request_header(hdr, &len), -EPROTO); /* zero length */
	len = CTL_MSG_MAX + 1;
	memcpy(hdr + 4, &len, 4);
	assert_int_equal(ctl_request_header(hdr, &len), -EPROTO); /* oversized */
	assert_int_equal(ctl_request_args(unterminated, 2, argv, 4), -EINVAL);
	assert_int_equal(ctl_request_args(unterminated, 0, argv, 4), -EINVAL);
}

static void
test_reply(void **state)
{
	struct buf b;
	int status;
	uint32_t len;

	(void)state;
	buf_init(&b);
	assert_int_equal(ctl_reply_encode(&b, CTL_INVALID, "bad\n", 4), 0);
	assert_int_equal(ctl_reply_header((uint8_t *)b.data, &status, &len), 0);
	assert_int_equal(status, CTL_INVALID);
	assert_int_equal(len, 4);
	assert_memory_equal(b.data + CTL_REP_HDR, "bad\n", 4);
	((uint32_t *)(void *)b.data)[1] = 99; /* unknown status */
	assert_int_equal(ctl_reply_header((uint8_t *)b.data, &status, &len), -EPROTO);
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_hostile_requests),
		cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
