/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/ctl.h — umbrald's control socket: a Unix stream socket, one request
 * and one reply per connection, served from the libev loop.
 *
 * The kernel tells who is calling (SO_PEERCRED); the handler decides what
 * that caller may do. There is no network listener for administration.
 */
#ifndef UMBRAL_CTL_H
#define UMBRAL_CTL_H

#include <ev.h>
#include <sys/types.h>

#include "core/buf.h"
#include "core/roles.h"

struct ctl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
	enum role role; /* from the kernel's word at connect time */
};

/* Writes the reply text into reply and returns an enum ctl_status. */
typedef int (*ctl_handler)(void *ctx, const struct ctl_peer *peer, int argc, char **argv,
			   struct buf *reply);

/* Told of a request refused at the socket (the caller has no role), e.g. to audit it. */
typedef void (*ctl_refused)(void *ctx, const struct ctl_peer *peer, int argc, char **argv);

struct ctl_server;

/*
 * Binds path (mode 0666: who may do what is decided by role, not file mode; replacing a stale socket nobody answers on; refusing
 * with -EADDRINUSE when another daemon does) and serves it on loop.
 */
int ctl_listen(struct ev_loop *loop, const char *path, ctl_handler h, void *ctx,
	       struct ctl_server **out);
/*
 * A caller with no role (neither root nor in umbral-admin/umbral-operator)
 * gets a refusal and the connection closes; the handler never sees the
 * request. cb (may be NULL) is told with the server's ctx, and logs the
 * refusal as it sees fit (anyone can cause one: it may rate-limit); without
 * a cb the server logs each one.
 */
void ctl_set_refused(struct ctl_server *s, ctl_refused cb);
/* Stops serving, closes clients, unlinks the socket. NULL is fine. */
void ctl_close(struct ctl_server *s);

#endif
