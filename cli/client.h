/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * cli/client.h — one request to one domain's control socket, and its reply.
 * Blocking with a timeout: the CLI has nothing else to do meanwhile.
 */
#ifndef UMBRAL_CLIENT_H
#define UMBRAL_CLIENT_H

#include "core/buf.h"

/*
 * Sends argv to the socket at path and reads the reply text into reply.
 * Returns the reply's status (enum ctl_status), or a negative errno when the
 * daemon could not be reached or answered garbage.
 */
int client_call(const char *path, int argc, char *const argv[], struct buf *reply);

#endif
