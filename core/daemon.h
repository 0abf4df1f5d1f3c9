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
#include "core/peerstats.h"
#include "policy/policy.h"

struct store;
struct wg;
struct linkwatch;

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
	ev_timer reapply; /* debounced re-apply after a link event */
	ev_timer health;  /* crypto: is WireGuard still there? */
	/* crypto only */
	struct wg *wg;
	uint8_t *privkey; /* sodium_malloc'd; NULL while locked or before a key exists */
	char unlock_file[PATH_MAX]; /* --unlock-file: tried at start, "" for none */
	ev_timer peer_poll;	    /* polls WireGuard for per-peer traffic and handshakes */
	struct peerstats peerstats;
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

/* Options the CLI puts before a change's words (core/cmd.c). */
struct change_opts {
	long long base; /* -1: not given */
	bool check;
	const char *comment;
};
/* Parses them into o; returns how many words they took. */
int change_opts_parse(int argc, char **argv, struct change_opts *o);
/*
 * Applies next (its revision set here) and stores it as the next revision;
 * on success d->policy takes it over and next is zeroed. On failure the
 * previous policy is put back. Returns a ctl status; out says what happened.
 */
int change_commit(struct daemon *d, struct policy *next, const struct ctl_peer *peer,
		  const char *comment, struct buf *out);

/* The signed roster (core/cmd_roster.c): trust, import, status. */
bool is_roster_import(int argc, char **argv);
int cmd_roster(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
	       struct buf *out);

/* crypto role (core/crypto.c) */
int crypto_init(struct daemon *d);
int crypto_apply(struct daemon *d, const struct policy *p, struct errbuf *eb);
void crypto_status_json(struct daemon *d, struct buf *out);
void crypto_status_text(struct daemon *d, struct buf *out);
void crypto_fini(struct daemon *d);

/* crypto's sealed identity (core/crypto_key.c) */
int crypto_keystore_path(const struct daemon *d, char *buf, size_t len);
bool crypto_has_keystore(const struct daemon *d);
/* Unlocks from a key file at start; logs why not. Returns 0 or -errno (still locked). */
int crypto_unlock_file(struct daemon *d, const char *file);
/* unlock, key generate|rotate|public. Returns a ctl status. */
int crypto_key_cmd(struct daemon *d, int argc, char **argv, struct buf *reply);
int crypto_key_rotate(struct daemon *d, int argc, char **argv, struct buf *reply);

#endif
