// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/ctl.c — the control socket server: accepts local clients, reads one
 * size-checked request each without blocking, answers, and closes.
 */
#include "core/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlmsg.h"
#include "core/log.h"

#define CTL_CLIENT_TIMEOUT 10.0
#define CTL_CLIENTS_MAX 64

struct ctl_client {
	struct ctl_server *srv;
	struct ctl_client *next;
	ev_io io;
	ev_timer timer;
	struct ctl_peer peer;
	uint8_t hdr[CTL_REQ_HDR];
	size_t hdr_got;
	char *payload;
	uint32_t len, got;
	struct buf out; /* the encoded reply */
	size_t sent;
};

struct ctl_server {
	struct ev_loop *loop;
	ev_io io;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	ctl_handler handler;
	ctl_refused refused;
	void *ctx;
	struct ctl_client *clients;
	int nclients;
};

static void
client_free(struct ctl_client *c)
{
	struct ctl_server *s = c->srv;
	struct ctl_client **pp;

	for (pp = &s->clients; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	s->nclients--;
	ev_io_stop(s->loop, &c->io);
	if (c->payload) /* a request may carry an unlock passphrase */
		sodium_memzero(c->payload, c->len);
	ev_timer_stop(s->loop, &c->timer);
	close(c->io.fd);
	free(c->payload);
	buf_free(&c->out);
	free(c);
}

static void
client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = send(w->fd, c->out.data + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		client_free(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->out.len)
		client_free(c);
}

static int
refuse(struct ctl_client *c, int argc, char **argv, struct buf *text)
{
	char user[64];

	roles_user_name(c->peer.uid, user, sizeof(user));
	buf_printf(text,
		   "permission denied: %s (uid %u) is neither root nor in group %s or %s; "
		   "connection closed\n",
		   user, (unsigned)c->peer.uid, ROLES_ADMIN_GROUP, ROLES_OPERATOR_GROUP);
	/* The callback records it, and logs it as often as it records it. */
	if (c->srv->refused)
		c->srv->refused(c->srv->ctx, &c->peer, argc, argv);
	else
		log_warnx("ctl: refused %s (uid %u, pid %d): no role", user, (unsigned)c->peer.uid,
			  (int)c->peer.pid);
	return CTL_DENIED;
}

static void
client_answer(struct ctl_client *c)
{
	char *argv[CTL_ARGC_MAX];
	struct buf text;
	int argc, status;

	buf_init(&text);
	argc = ctl_request_args(c->payload, c->len, argv, CTL_ARGC_MAX);
	if (argc < 0) {
		buf_puts(&text, "malformed request\n");
		status = CTL_INVALID;
	} else if (c->peer.role == ROLE_NONE) {
		status = refuse(c, argc, argv, &text);
	} else {
		status = c->srv->handler(c->srv->ctx, &c->peer, argc, argv, &text);
	}
	if (buf_failed(&text)) {
		buf_reset(&text);
		text.failed = false;
		buf_puts(&text, "out of memory\n");
		status = CTL_FAILED;
	}
	if (ctl_reply_encode(&c->out, status, buf_str(&text), text.len) < 0) {
		buf_free(&text);
		client_free(c);
		return;
	}
	buf_free(&text);
	ev_io_stop(c->srv->loop, &c->io);
	ev_io_init(&c->io, client_write_cb, c->io.fd, EV_WRITE);
	c->io.data = c;
	ev_io_start(c->srv->loop, &c->io);
}

/* Reads as much of the header, then the payload, as is there. Returns -1 when done with c. */
static int
client_read_some(struct ctl_client *c)
{
	ssize_t n;

	if (c->hdr_got < CTL_REQ_HDR) {
		n = recv(c->io.fd, c->hdr + c->hdr_got, CTL_REQ_HDR - c->hdr_got, 0);
		if (n <= 0)
			return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
		c->hdr_got += (size_t)n;
		if (c->hdr_got < CTL_REQ_HDR)
			return 0;
		if (ctl_request_header(c->hdr, &c->len) < 0) {
			log_warnx("ctl: malformed request header from pid %d", (int)c->peer.pid);
			return -1;
		}
		c->payload = malloc(c->len);
		if (!c->payload)
			return -1;
	}
	n = recv(c->io.fd, c->payload + c->got, c->len - c->got, 0);
	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	c->got += (uint32_t)n;
	return 0;
}

static void
client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_client *c = w->data;

	(void)loop;
	(void)revents;
	if (client_read_some(c) < 0) {
		client_free(c);
		return;
	}
	if (c->payload && c->got == c->len)
		client_answer(c);
}

static void
client_timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	client_free(w->data);
}

static void
accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct ctl_server *s = w->data;
	struct ctl_client *c;
	struct ctl_peer peer;
	int fd;

	(void)revents;
	fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (s->nclients >= CTL_CLIENTS_MAX ||
	    roles_of_socket(fd, &peer.uid, &peer.gid, &peer.pid, &peer.role) < 0 ||
	    !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->srv = s;
	c->peer = peer;
	buf_init(&c->out);
	ev_io_init(&c->io, client_read_cb, fd, EV_READ);
	c->io.data = c;
	ev_timer_init(&c->timer, client_timeout_cb, CTL_CLIENT_TIMEOUT, 0.);
	c->timer.data = c;
	ev_io_start(loop, &c->io);
	ev_timer_start(loop, &c->timer);
	c->next = s->clients;
	s->clients = c;
	s->nclients++;
}

/* A socket file nobody answers on is left from a crashed daemon: safe to replace. */
static int
clear_stale(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		unlink(sa->sun_path);
	close(fd);
	return ret;
}

static int
bind_socket(const char *path, int *out)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	ret = clear_stale(&sa);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0666) < 0 ||
	    listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*out = fd;
	return 0;
}

int
ctl_listen(struct ev_loop *loop, const char *path, ctl_handler h, void *ctx,
	   struct ctl_server **out)
{
	struct ctl_server *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return -ENOMEM;
	ret = bind_socket(path, &s->fd);
	if (ret < 0) {
		free(s);
		return ret;
	}
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->loop = loop;
	s->handler = h;
	s->ctx = ctx;
	ev_io_init(&s->io, accept_cb, s->fd, EV_READ);
	s->io.data = s;
	ev_io_start(loop, &s->io);
	*out = s;
	return 0;
}

void
ctl_set_refused(struct ctl_server *s, ctl_refused cb)
{
	s->refused = cb;
}

void
ctl_close(struct ctl_server *s)
{
	if (!s)
		return;
	while (s->clients)
		client_free(s->clients);
	ev_io_stop(s->loop, &s->io);
	close(s->fd);
	unlink(s->path);
	free(s);
}
