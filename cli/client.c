// SPDX-License-Identifier: GPL-2.0-only
/* cli/client.c — connect, send one request, read one size-checked reply. */
#include "cli/client.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlmsg.h"

#define CLIENT_TIMEOUT_S 30 /* a change may wait for WireGuard to start */

static int
read_full(int fd, void *p, size_t len)
{
	uint8_t *b = p;

	while (len) {
		ssize_t n = read(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_full(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = CLIENT_TIMEOUT_S};
	int fd, e;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* A request may carry an unlock passphrase. */
static void
wipe_free(struct buf *b)
{
	if (b->data)
		sodium_memzero(b->data, b->len);
	buf_free(b);
}

int
client_call(const char *path, int argc, char *const argv[], struct buf *reply)
{
	uint8_t hdr[CTL_REP_HDR];
	struct buf req;
	uint32_t len;
	int fd, ret, status;
	char *text;

	buf_init(&req);
	ret = ctl_request_encode(&req, argc, argv);
	fd = ret < 0 ? ret : connect_to(path);
	if (fd < 0) {
		wipe_free(&req);
		return fd;
	}
	ret = write_full(fd, req.data, req.len);
	wipe_free(&req);
	if (ret == 0)
		ret = read_full(fd, hdr, sizeof(hdr));
	if (ret == 0)
		ret = ctl_reply_header(hdr, &status, &len);
	if (ret == 0 && !(text = malloc(len + 1)))
		ret = -ENOMEM;
	if (ret == 0) {
		ret = read_full(fd, text, len);
		if (ret == 0)
			buf_append(reply, text, len);
		free(text);
	}
	close(fd);
	return ret < 0 ? ret : status;
}
