/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/store.h — a domain's policy database (SQLite, WAL): the schema and
 * its migrations, numbered revisions of the whole policy, and a little
 * key/value state that is not policy.
 *
 * Every revision is a complete snapshot and is never changed once written.
 * Functions return 0 (or a count) or a negative errno: -EBUSY when another
 * process holds the database longer than the busy timeout, -EEXIST or
 * -EINVAL when a row breaks a constraint, -EIO for any other database error
 * or a row that does not parse (a corrupt database; logged, naming the row).
 * Out-parameters are written only on success.
 */
#ifndef UMBRAL_STORE_H
#define UMBRAL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define STORE_AUTHOR_MAX 63
#define STORE_COMMENT_MAX 255

struct store;

/*
 * Opens the database at path, creating it with mode 0600 if needed (an
 * existing file keeps its mode), in WAL mode with synchronous=FULL, foreign
 * keys on and a 2 s busy timeout, and runs every pending migration, each in
 * its own transaction. A database newer than this build is refused with
 * -EPROTO and left untouched; one that is not SQLite gives -EIO.
 */
int store_open(const char *path, struct store **out);
/* Closes st; NULL is safe. */
void store_close(struct store *st);
/* The schema version (PRAGMA user_version) after migrations. */
int store_schema_version(struct store *st);

/*
 * The newest revision into *out (caller policy_free()s it). A database with
 * no revision gives policy_init() defaults with revision 0.
 */
int store_load(struct store *st, struct policy *out);
/* Revision rev into *out (caller policy_free()s it); -ENOENT if absent. */
int store_load_revision(struct store *st, int64_t rev, struct policy *out);
/* The newest revision number, 0 if none, or a negative errno. */
int64_t store_revision(struct store *st);

/*
 * Writes p as revision p->revision with author (1..STORE_AUTHOR_MAX bytes)
 * and comment (NULL for none, at most STORE_COMMENT_MAX bytes), in one
 * transaction: all or nothing. p->revision must be exactly the newest + 1,
 * else -ESTALE (someone committed in between). p is not validated here; that
 * is policy_validate()'s job. -EEXIST for two sites of the same name.
 */
int store_commit(struct store *st, const struct policy *p, const char *author, const char *comment);
/*
 * A batch: the writes between store_batch_begin and store_batch_end (a
 * revision and its audit record) land together or not at all, with one
 * fsync. store_batch_end commits when err is 0, else rolls back; returns err.
 */
int store_batch_begin(struct store *st);
int store_batch_end(struct store *st, int err);
/*
 * The same, for a p made from prev, the newest revision as loaded or
 * committed (else -ESTALE): only the sites and rules that changed are
 * written; the others stay shared with the revisions before.
 */
int store_commit_change(struct store *st, const struct policy *prev, const struct policy *p,
			const char *author, const char *comment);

struct store_rev {
	int64_t number;
	int64_t time; /* seconds since the epoch */
	char author[STORE_AUTHOR_MAX + 1];
	char comment[STORE_COMMENT_MAX + 1];
};

/*
 * Up to max revisions, newest first, into *out (allocated; caller free()s) and
 * their count into *n. With none, *out is NULL and *n is 0.
 */
int store_revisions(struct store *st, size_t max, struct store_rev **out, size_t *n);

/*
 * Small per-domain state that is not policy (the last applied revision,
 * crypto's public key for display). Never secrets: the file is not sealed.
 * get: -ENOENT when key is absent, -ENOSPC when the value does not fit len.
 */
int store_meta_get(struct store *st, const char *key, char *val, size_t len);
int store_meta_set(struct store *st, const char *key, const char *val);

#endif
