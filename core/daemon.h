/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/daemon.h — the state of one umbrald: which domain it is, its policy
 * store, the policy the kernel currently enforces, and (crypto) WireGuard.
 *
 * One struct daemon per process, owned by main(); the loop's callbacks get it
 * through their watcher's data pointer.
 */
#ifndef UMBRAL_DAEMON_H
#define UMBRAL_DAEMON_H

#include <ev.h>
#include <limits.h>
#include <stdbool.h>
#include <time.h>

#include "core/buf.h"
#include "core/ctl.h"
#include "policy/policy.h"

struct store;
struct wg;
struct linkwatch;
struct dhcpd;
struct dhcpd_conf;
struct lease_store;

struct daemon {
	enum domain domain;
	char node[POLICY_NAME_MAX + 1];
	char state_dir[PATH_MAX];
	char run_dir[PATH_MAX];
	struct ev_loop *loop;
	struct store *store;
	struct ctl_server *ctl;
	struct linkwatch *links;
	struct policy policy; /* what the kernel enforces now */
	time_t started;
	/* The last apply: whether it worked, and why not. */
	bool applied;
	char apply_error[256];
	unsigned applies, apply_failures;
	double last_apply_ms; /* how long the last successful apply took, for status and benchmarks */
	ev_timer reapply; /* debounced re-apply after a link event */
	ev_timer health;  /* crypto: is WireGuard still there? */
	ev_timer watch;   /* crypto: handshake watch (core/watch.c) */
	int64_t stale_after; /* seconds without a handshake that make a site stale */
	/* red only: the DHCP server (NULL when not serving) and why not */
	struct dhcpd *dhcpd;
	struct dhcpd_conf *dhcp_conf; /* what it serves now */
	struct lease_store *leases;
	char dhcp_state[96];
	/* crypto only */
	struct wg *wg;
	uint8_t *privkey; /* sodium_malloc'd, NULL until a key exists */
};

/*
 * Brings the kernel to policy p, in a fail-closed order: nftables first (the
 * filter is in place before anything routes), then WireGuard, then routes,
 * then forwarding. Idempotent. On failure, eb names what failed.
 */
int daemon_apply(struct daemon *d, const struct policy *p, struct errbuf *eb);
/* Re-applies d->policy soon (coalescing bursts of link events). */
void daemon_reapply_soon(struct daemon *d);

/* Control-socket entry point: ctx is the struct daemon. */
int daemon_handle(void *ctx, const struct ctl_peer *peer, int argc, char **argv,
		  struct buf *reply);

/* red role (core/red.c): the DHCP server follows the policy; never fails an apply. */
void red_apply(struct daemon *d, const struct policy *p);
void red_status_json(struct daemon *d, struct buf *out);
void red_status_text(struct daemon *d, struct buf *out);
/* "dhcp leases|stats [--json]" */
int red_dhcp_cmd(struct daemon *d, int argc, char **argv, struct buf *reply);
void red_fini(struct daemon *d);

/* crypto role (core/crypto.c) */
int crypto_init(struct daemon *d);
int crypto_apply(struct daemon *d, const struct policy *p, struct errbuf *eb);
void crypto_status_json(struct daemon *d, struct buf *out);
void crypto_status_text(struct daemon *d, struct buf *out);
int crypto_key_cmd(struct daemon *d, int argc, char **argv, struct buf *reply);
void crypto_fini(struct daemon *d);

/*
 * crypto's handshake watch (core/watch.c): the per-site kill switch. The
 * limit is 180 s, or $UMBRAL_STALE_AFTER seconds (tests, slow links).
 */
void watch_start(struct daemon *d);
void watch_stop(struct daemon *d);
/* How many sites are stale now. */
size_t watch_stale(const struct policy *p);

#endif
