// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/uapi_io.c — one UAPI operation with wireguard-go over its unix socket.
 * Every read and write has a 2 s timeout, so a hung wireguard-go cannot
 * hang umbrald; replies are read into sodium memory (a get carries the key).
 */
#include "wg/internal.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#define IO_TIMEOUT_S 2
#define REPLY_FIRST (64 * 1024)
#define REPLY_MAX (16 * 1024 * 1024) /* 1024 peers x 256 allowed-ips fit well */

static int
uapi_connect(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = IO_TIMEOUT_S};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* SO_SNDTIMEO also bounds connect() on a unix socket whose backlog is full. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;
		close(fd);
		return e == EAGAIN || e == EWOULDBLOCK ? -ETIMEDOUT : -e;
	}
	return fd;
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL); /* no SIGPIPE if it died */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Moves a reply buffer to a larger sodium allocation; the old one is wiped. */
static int
reply_grow(char **buf, size_t *cap, size_t len)
{
	char *n;

	if (*cap >= REPLY_MAX)
		return -EMSGSIZE;
	n = sodium_malloc(*cap * 2);
	if (!n)
		return -ENOMEM;
	memcpy(n, *buf, len);
	sodium_free(*buf);
	*buf = n;
	*cap *= 2;
	return 0;
}

/* True once the reply's closing blank line arrived. */
static bool
reply_done(const char *buf, size_t len)
{
	return (len == 1 && buf[0] == '\n') || (len >= 2 && memmem(buf, len, "\n\n", 2));
}

/* Reads one reply, up to its blank line, into *out (sodium memory, caller frees). */
static int
read_reply(int fd, char **out, size_t *outlen)
{
	size_t cap = REPLY_FIRST, len = 0;
	char *buf = sodium_malloc(cap);
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	while (!reply_done(buf, len)) {
		ssize_t n;
		if (len == cap && (ret = reply_grow(&buf, &cap, len)) < 0)
			break;
		n = recv(fd, buf + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n == 0 ? -ECONNRESET : errno == EAGAIN ? -ETIMEDOUT : -errno;
			break;
		}
		len += (size_t)n;
	}
	if (ret < 0) {
		sodium_free(buf);
		return ret;
	}
	*out = buf;
	*outlen = len;
	return 0;
}

int
wg_uapi_get(const char *path, struct wg_dev_state *out)
{
	char *reply;
	size_t len;
	int fd, ret;

	fd = uapi_connect(path);
	if (fd < 0)
		return fd;
	ret = send_all(fd, "get=1\n\n", 7);
	if (ret == 0)
		ret = read_reply(fd, &reply, &len);
	close(fd);
	if (ret < 0)
		return ret;
	ret = wg_uapi_parse_get(reply, len, out);
	sodium_free(reply);
	return ret;
}

int
wg_uapi_set(const char *path, const struct wg_diff *d)
{
	size_t cap = wg_uapi_set_size(d), len;
	char *text = sodium_malloc(cap), *reply;
	int fd, ret;

	if (!text)
		return -ENOMEM;
	ret = wg_uapi_format_set(d, text, cap, &len);
	if (ret < 0) {
		sodium_free(text);
		return ret;
	}
	fd = uapi_connect(path);
	if (fd < 0) {
		sodium_free(text);
		return fd;
	}
	ret = send_all(fd, text, len);
	sodium_free(text); /* wipes the private key line */
	if (ret == 0)
		ret = read_reply(fd, &reply, &len);
	close(fd);
	if (ret < 0)
		return ret;
	ret = wg_uapi_parse_errno(reply, len);
	sodium_free(reply);
	return ret;
}
