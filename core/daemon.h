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
#include "core/guardwatch.h"
#include "core/peerstats.h"
#include "core/refusals.h"
#include "policy/policy.h"
#include "wg/key.h"

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
	char ctl_path[PATH_MAX + 16]; /* the control socket, in run_dir */
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
	double
	    last_apply_ms; /* how long the last successful apply took, for status and benchmarks */
	ev_timer reapply;  /* debounced re-apply after a link event */
	ev_timer kernel_check; /* nftables and route drift: daemon_check_start() */
	ev_timer health;   /* crypto: is WireGuard still there? */
	struct guard_watch guard; /* alarms on what the table's host protection counted */
	int64_t stale_after;	  /* seconds without a handshake that make a site stale */
	/*
	 * A change made with --confirm: revision confirm_rev goes back to the
	 * content of confirm_base at confirm_at (epoch seconds) unless `confirm`
	 * comes first. confirm_rev 0: nothing pending. Kept in the store's meta
	 * so that a restart keeps the promise.
	 */
	ev_timer confirm;
	int64_t confirm_base, confirm_rev, confirm_at;
	/*
	 * Callers refused at the socket cost a bounded number of audit records
	 * (core/refusals.h); refusal_due writes the summaries of those only
	 * counted once their bucket allows.
	 */
	struct refusals refusals;
	ev_timer refusal_due;
	/*
	 * The audit log rotates by itself past audit_max live records
	 * (core/rotate.c); rotating guards against rotating from inside a
	 * rotation's own record; after a failure, not before rotate_retry.
	 */
	int64_t audit_max;
	bool rotating;
	time_t rotate_retry;
	/* red only: the DHCP server (NULL when not serving) and why not */
	struct dhcpd *dhcpd;
	struct dhcpd_conf *dhcp_conf; /* what it serves now */
	struct lease_store *leases;
	char dhcp_state[96];
	/* red only: its flows, from conntrack events, for the prune after a change (NULL: dumps) */
	struct ct_track *ct;
	ev_io ct_io;
	/* crypto only */
	struct wg *wg;
	uint8_t *privkey;	    /* sodium_malloc'd; NULL while locked or before a key exists */
	char unlock_file[PATH_MAX]; /* --unlock-file: tried at start, "" for none */
	/* Its contents, read as root before the drop (the file is root's, on separate
	 * media); sodium memory, wiped once crypto_init has tried it. */
	uint8_t *boot_secret;
	size_t boot_secret_len;
	ev_timer peer_poll;	    /* polls WireGuard for per-peer traffic and handshakes */
	struct peerstats peerstats;
};

/*
 * Brings the kernel to policy p, in a fail-closed order: nftables first (the
 * filter is in place before anything routes), then WireGuard, then routes,
 * then forwarding. Idempotent. On failure, eb names what failed.
 */
int daemon_apply(struct daemon *d, const struct policy *p, struct errbuf *eb);
/*
 * daemon_apply() of d->policy that first forgets what earlier applies left
 * (so nftables, WireGuard and routes are read back from the kernel): a
 * reload by the administrator repairs whatever was changed by hand.
 */
int daemon_apply_fresh(struct daemon *d, struct errbuf *eb);
/* Every APPLY_CHECK_INTERVAL: whether the kernel still holds what the last apply made. */
void daemon_check_start(struct daemon *d);
/* Re-applies d->policy soon (coalescing bursts of link events). */
void daemon_reapply_soon(struct daemon *d);

/*
 * Makes next (consumed: zeroed on success) the new revision (current + 1):
 * applies it, stores it with author and comment and, in the same
 * transaction, the audit record rec (NULL for none; its revision is set
 * here), and on any failure puts the kernel back to the current policy and
 * records rec as failed (revision 0) on its own.
 * Reply text goes to out. Returns a ctl status.
 */
struct audit_rec;
int daemon_commit(struct daemon *d, struct policy *next, const char *author, const char *comment,
		  struct audit_rec *rec, struct buf *out);

/* Control-socket entry point: ctx is the struct daemon. */
int daemon_handle(void *ctx, const struct ctl_peer *peer, int argc, char **argv, struct buf *reply);

/* administration (core/admin.c): audit, revisions, confirmed commits */
struct audit_rec;
void admin_init(struct daemon *d);
/* Records one event in this domain's audit log; peer NULL: the daemon itself. */
void admin_audit(struct daemon *d, const struct ctl_peer *peer, int kind, int argc, char **argv,
		 int64_t revision, const char *summary, int outcome);
/* Appends r (logged if it cannot) and rotates the log when it is due. */
void admin_audit_append(struct daemon *d, const struct audit_rec *r);
/* The record admin_audit would append, for one written with a revision (daemon_commit). */
void admin_audit_fill(struct daemon *d, const struct ctl_peer *peer, int kind, int argc,
		      char **argv, int64_t revision, const char *summary, int outcome,
		      struct audit_rec *out);
/*
 * Rate limit of refusals: a burst of REFUSALS_BURST records per uid, then one
 * per $UMBRAL_REFUSAL_REFILL seconds (default 60; tests shorten it).
 */
void admin_refused_init(struct daemon *d);
/* ctl_refused callback: audits (and logs) a caller refused at the socket, rate-limited. */
void admin_refused(void *ctx, const struct ctl_peer *peer, int argc, char **argv);
/*
 * Audits (and logs) one refused command, why being the reason; every
 * refusal goes through here so that one uid's records are rate limited
 * (core/refusals.c) whatever its role.
 */
void admin_refuse(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
		  const char *why);
int admin_audit_list(struct daemon *d, int argc, char **argv, struct buf *out);
/* audit rotation (core/rotate.c); the limit is $UMBRAL_AUDIT_MAX live records (default 10000) */
void admin_rotate_init(struct daemon *d);
/* audit rotate [--keep N]: archives all live records but the newest N. Returns a ctl status. */
int admin_rotate(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
		 struct buf *out);
/* After an append: past the limit, archives all but the newest half, and audits that. */
void admin_rotate_auto(struct daemon *d);
/* A "# " line naming where the archived records are (nothing if none). */
void admin_archives_note(struct daemon *d, struct buf *out);
/* Verifies each archive still on the box; false (said why in out) if one is broken. */
bool admin_archives_verify(struct daemon *d, struct buf *out);
int admin_audit_verify(struct daemon *d, struct buf *out);
int admin_show_revisions(struct daemon *d, int argc, char **argv, struct buf *out);
int admin_diff(struct daemon *d, int argc, char **argv, struct buf *out);
/* Revision arg ("0" is the empty policy) into *out (caller frees); -1 with the reason in msg. */
int admin_load_revision(struct daemon *d, const char *arg, struct policy *out, struct buf *msg);
/* Starts the clock of a confirmed commit: rev goes back to base at `at` unless confirmed. */
int admin_confirm_arm(struct daemon *d, int64_t base, int64_t rev, int64_t at);
/* True (and says why in out) while a confirmed commit waits: other changes must wait. */
bool admin_confirm_blocks(struct daemon *d, struct buf *out);
int admin_confirm(struct daemon *d, const struct ctl_peer *peer, struct buf *out);
void admin_status(struct daemon *d, bool json, struct buf *out);
/* red role (core/red.c): the DHCP server follows the policy; never fails an apply. */
void red_apply(struct daemon *d, const struct policy *p);
/* Starts following red's flows (policy/ct_track.h); without it a prune dumps the table. */
void red_init(struct daemon *d);
/* status: how many of red's flows are tracked, or why a change reads the whole table */
void red_ct_status(struct daemon *d, bool json, struct buf *out);
void red_status_json(struct daemon *d, struct buf *out);
void red_status_text(struct daemon *d, struct buf *out);
/* "dhcp leases|stats [--json]" */
int red_dhcp_cmd(struct daemon *d, int argc, char **argv, struct buf *reply);
void red_fini(struct daemon *d);
/* Options the CLI puts before a change's words (core/cmd.c). */
struct change_opts {
	long long base; /* -1: not given */
	bool check;
	const char *comment;
	long long confirm_at; /* 0: not a confirmed commit */
};
/* Parses them into o; returns how many words they took. */
int change_opts_parse(int argc, char **argv, struct change_opts *o);
/* A change may start: the CLI's base revision is current, no confirmed commit waits. */
int change_may_start(struct daemon *d, const struct change_opts *o, struct buf *out);
/*
 * Commits next (daemon_commit), audits the attempt under the kind its first
 * word says (change, rollback, roster import; argv is what the record shows)
 * and starts the clock of a confirmed commit. Returns a ctl status.
 */
int change_record(struct daemon *d, const struct ctl_peer *peer, const struct change_opts *o,
		  int argc, char **argv, struct policy *next, struct buf *out);

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

/*
 * crypto's handshake watch (core/watch.c): the per-site kill switch. The
 * limit is 180 s, or $UMBRAL_STALE_AFTER seconds (tests, slow links).
 * watch_update() judges each site on the device state the peer poll just
 * read, with the poll's deltas (d->peerstats).
 */
void watch_init(struct daemon *d);
void watch_update(struct daemon *d, const struct wg_dev_state *st);
/* crypto's sealed identity (core/crypto_key.c) */
int crypto_keystore_path(const struct daemon *d, char *buf, size_t len);
bool crypto_has_keystore(const struct daemon *d);
/*
 * --unlock-file at start: crypto_boot_secret_read() reads the file as root,
 * before the drop; crypto_unlock_boot() opens the keystore with it after the
 * drop, and wipes it. Each logs why not and returns 0 or -errno (still locked).
 */
int crypto_boot_secret_read(struct daemon *d);
/*
 * This node's public key: from the private key, or while locked the one
 * recorded when it was last held. Returns 0, -ENOENT (never held) or -errno.
 */
int crypto_public_key(struct daemon *d, uint8_t pub[static WG_KEY_LEN]);
int crypto_unlock_boot(struct daemon *d);
/* unlock, key generate|rotate|public. Returns a ctl status. */
int crypto_key_cmd(struct daemon *d, int argc, char **argv, struct buf *reply);
int crypto_key_rotate(struct daemon *d, int argc, char **argv, struct buf *reply);

#endif
