/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/linkwatch.h — rtnetlink link events on the libev loop: tells umbrald
 * when an interface appears, changes or disappears, so that routes and
 * WireGuard that depend on it are put back without anyone asking.
 */
#ifndef UMBRAL_LINKWATCH_H
#define UMBRAL_LINKWATCH_H

#include <ev.h>
#include <stdbool.h>

/* ifname is NULL when events were lost (socket overrun): assume anything changed. */
typedef void (*linkwatch_cb)(void *ctx, const char *ifname, bool exists);

struct linkwatch;

int linkwatch_open(struct ev_loop *loop, linkwatch_cb cb, void *ctx, struct linkwatch **out);
void linkwatch_close(struct linkwatch *lw);

#endif
