/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/audit.h — the audit log: who did what, when, in which domain, and
 * with what outcome. Append-only and hash-chained, in the policy database.
 *
 * Each record's hash is BLAKE2b-256 over a canonical serialization of its
 * fields and the previous record's hash (the first record chains from a
 * fixed genesis value), so a changed, removed or reordered record breaks the
 * chain at that record. Triggers refuse UPDATE and DELETE; only
 * audit_rotate() moves old records out, into an archive file, and keeps an
 * anchor so that what stays still verifies.
 *
 * What the chain cannot show on its own: records removed from the end.
 * Compare the newest hash (audit_list) with a copy kept elsewhere for that.
 * Functions return 0 or a negative errno as storage/store.h describes;
 * out-parameters are written only on success.
 */
#ifndef UMBRAL_AUDIT_H
#define UMBRAL_AUDIT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "policy/policy.h"
#include "storage/store.h"

#define AUDIT_HASH_LEN 32
#define AUDIT_USER_MAX 63
#define AUDIT_COMMAND_MAX 1023
#define AUDIT_SUMMARY_MAX 1023

enum audit_role {
	AUDIT_ROLE_ADMIN,
	AUDIT_ROLE_OPERATOR,
	AUDIT_ROLE_DAEMON,
	AUDIT_ROLE_NONE, /* a caller refused at the socket */
	AUDIT_ROLE_COUNT
};

enum audit_kind {
	AUDIT_KIND_CHANGE,  /* a policy change was attempted */
	AUDIT_KIND_REFUSED, /* a command was refused (permission, validation) */
	AUDIT_KIND_LOCK,
	AUDIT_KIND_UNLOCK,
	AUDIT_KIND_KEY_ROTATION,
	AUDIT_KIND_ROSTER_IMPORT,
	AUDIT_KIND_DOS_ALERT,
	AUDIT_KIND_HANDSHAKE_ALARM,
	AUDIT_KIND_ROLLBACK,
	AUDIT_KIND_LOG_ROTATION, /* the audit log itself was rotated */
	AUDIT_KIND_NEVER_MATCH,	 /* a rule that must never match did (core/guardwatch.c) */
	AUDIT_KIND_ROSTER_TRUST, /* a network authority key was pinned */
	AUDIT_KIND_COUNT
};

enum audit_outcome { AUDIT_OK, AUDIT_FAILED, AUDIT_DENIED, AUDIT_OUTCOME_COUNT };

struct audit_rec {
	int64_t seq;  /* 1, 2, ... with no gap; set by audit_append */
	int64_t time; /* seconds since the epoch; 0 in audit_append's input: now */
	uint32_t uid; /* SO_PEERCRED's; the daemon's own for its events */
	char user[AUDIT_USER_MAX + 1];
	enum audit_role role;
	enum domain domain;
	enum audit_kind kind;
	char command[AUDIT_COMMAND_MAX + 1]; /* the argv as typed, space-joined */
	int64_t revision;		     /* the revision written, or 0 */
	char summary[AUDIT_SUMMARY_MAX + 1]; /* what changed, one line */
	enum audit_outcome outcome;
	uint8_t prev_hash[AUDIT_HASH_LEN];
	uint8_t hash[AUDIT_HASH_LEN];
};

/* Names as stored and printed ("admin", "key-rotation", "denied"); "?" when out of range. */
const char *audit_role_name(enum audit_role r);
const char *audit_kind_name(enum audit_kind k);
const char *audit_outcome_name(enum audit_outcome o);

/*
 * Appends in (its seq, prev_hash and hash are ignored) as the next record,
 * in one transaction, and writes the record as stored into *out (may be
 * NULL). -EINVAL for an enum out of range, a string not NUL-terminated
 * within its array, or a negative time or revision.
 */
int audit_append(struct store *st, const struct audit_rec *in, struct audit_rec *out);

/*
 * The newest max records with time >= since_time, oldest first, into *out
 * (allocated; caller free()s) and their count into *n; *out is NULL when
 * there are none. -EIO for a row that does not parse.
 */
int audit_list(struct store *st, int64_t since_time, size_t max, struct audit_rec **out, size_t *n);

/*
 * The seqs the live log (this database, not its archives) holds: *first
 * (where the chain starts: 1, or one past the newest anchor) to *last (the
 * newest record; *first - 1 when the live log is empty). Two indexed
 * lookups, no walk.
 */
int audit_span(struct store *st, int64_t *first, int64_t *last);

/* One rotation: the records it archived, where to, and when. */
struct audit_anchor {
	int64_t first_seq, last_seq;
	int64_t time;
	char archive[PATH_MAX];
};

/* Every anchor, oldest first, into *out (allocated; caller free()s; NULL when none) and *n. */
int audit_anchors(struct store *st, struct audit_anchor **out, size_t *n);

/*
 * Checks every record in the store: consecutive seqs from the rotation
 * anchor (or 1), each chaining from the one before (or the anchor, or the
 * genesis value), each hash matching its fields. Returns 0 when all hold;
 * -EBADMSG naming the first bad record in *first_bad_seq (for a gap, the
 * missing seq) and in why (len bytes, may be NULL); another errno when the
 * database cannot be read.
 */
int audit_verify(struct store *st, int64_t *first_bad_seq, char *why, size_t len);

/*
 * Moves the records with seq <= keep_after_seq into a new SQLite file at
 * archive_path (-EEXIST if it exists; mode 0600) and records an anchor: the
 * archived range and the hash of its last record, which the first kept
 * record chains from. Refuses (-EBADMSG) when audit_verify() fails, so that
 * a broken chain is never archived out of sight; -EINVAL when the range
 * holds no record. The archive is written and committed first, then the
 * records deleted with the anchor in one transaction: a crash in between
 * leaves a harmless extra archive that no anchor names.
 */
int audit_rotate(struct store *st, const char *archive_path, int64_t keep_after_seq);

/*
 * Verifies the archive at path on its own (as audit_verify does) and that
 * it links into st: its range and last hash equal one of st's anchors, and
 * it chains from the anchor before that one (or from the genesis value).
 * Same results as audit_verify().
 */
int audit_verify_archive(struct store *st, const char *path, int64_t *first_bad_seq, char *why,
			 size_t len);

/* Appends r as one JSON object (hashes in hex). */
void audit_rec_json(const struct audit_rec *r, struct buf *out);

#endif
