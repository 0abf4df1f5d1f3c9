// SPDX-License-Identifier: GPL-2.0-only
/* core/ctlmsg.c — encode and check control-socket requests and replies. */
#include "core/ctlmsg.h"

#include <errno.h>
#include <string.h>

static void
put_u32(struct buf *out, uint32_t v)
{
	buf_append(out, &v, sizeof(v));
}

static uint32_t
get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

int
ctl_request_encode(struct buf *out, int argc, char *const argv[])
{
	size_t len = 0;

	if (argc < 1 || argc > CTL_ARGC_MAX)
		return -EINVAL;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if (len > CTL_MSG_MAX)
		return -E2BIG;
	put_u32(out, CTL_MAGIC);
	put_u32(out, (uint32_t)len);
	for (int i = 0; i < argc; i++)
		buf_append(out, argv[i], strlen(argv[i]) + 1);
	return buf_failed(out) ? -ENOMEM : 0;
}

int
ctl_request_header(const uint8_t hdr[CTL_REQ_HDR], uint32_t *len)
{
	uint32_t n = get_u32(hdr + 4);

	if (get_u32(hdr) != CTL_MAGIC || n == 0 || n > CTL_MSG_MAX)
		return -EPROTO;
	*len = n;
	return 0;
}

int
ctl_request_args(char *payload, size_t len, char **argv, int max)
{
	int argc = 0;
	size_t i = 0;

	if (len == 0 || payload[len - 1] != '\0')
		return -EINVAL;
	while (i < len) {
		if (argc >= max)
			return -EINVAL;
		argv[argc++] = payload + i;
		i += strlen(payload + i) + 1;
	}
	return argc;
}

int
ctl_reply_encode(struct buf *out, int status, const char *text, size_t len)
{
	if (len > CTL_MSG_MAX)
		return -E2BIG;
	put_u32(out, CTL_MAGIC);
	put_u32(out, (uint32_t)status);
	put_u32(out, (uint32_t)len);
	buf_append(out, text, len);
	return buf_failed(out) ? -ENOMEM : 0;
}

int
ctl_reply_header(const uint8_t hdr[CTL_REP_HDR], int *status, uint32_t *len)
{
	uint32_t st = get_u32(hdr + 4), n = get_u32(hdr + 8);

	if (get_u32(hdr) != CTL_MAGIC || st > CTL_DENIED || n > CTL_MSG_MAX)
		return -EPROTO;
	*status = (int)st;
	*len = n;
	return 0;
}
