// SPDX-License-Identifier: GPL-2.0-only
/*
 * storage/audit.c — the hash-chained, append-only audit log in the policy
 * database: appending a record in one transaction, listing, verifying the
 * chain, and rotating old records into an archive file behind an anchor.
 */
#include "storage/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "core/log.h"
#include "storage/store_int.h"

/* Bumping it changes every hash: only with a migration that re-chains. */
#define HASH_TAG "umbral-audit-v1"
#define GENESIS_LABEL "umbral-audit-genesis-v1"

#define COLUMNS                                                                                    \
	"seq, time, uid, user, role, domain, kind, command, revision, summary, outcome, "          \
	"prev_hash, hash"

static const char *const role_names[AUDIT_ROLE_COUNT] = {"admin", "operator", "daemon", "none"};
static const char *const kind_names[AUDIT_KIND_COUNT] = {
    "change",	 "refused",	    "lock",	"unlock",	"key-rotation", "roster-import",
    "dos-alert", "handshake-alarm", "rollback", "log-rotation", "never-match",
    "roster-trust"};
static const char *const outcome_names[AUDIT_OUTCOME_COUNT] = {"ok", "failed", "denied"};

const char *
audit_role_name(enum audit_role r)
{
	return (unsigned)r < AUDIT_ROLE_COUNT ? role_names[r] : "?";
}

const char *
audit_kind_name(enum audit_kind k)
{
	return (unsigned)k < AUDIT_KIND_COUNT ? kind_names[k] : "?";
}

const char *
audit_outcome_name(enum audit_outcome o)
{
	return (unsigned)o < AUDIT_OUTCOME_COUNT ? outcome_names[o] : "?";
}

static int
name_index(const char *const *names, int n, const char *s)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

/* ---- SQLite helpers, as in store.c ---- */

static int
db_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int
db_fail(sqlite3 *db, int rc, const char *fn, const char *what)
{
	log_warnx("%s: %s: %s", fn, what, sqlite3_errmsg(db));
	return db_errno(rc);
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, const char *fn)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, rc, fn, "prepare");
}

static int
exec(sqlite3 *db, const char *sql, const char *fn, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : db_fail(db, rc, fn, what);
}

/* Steps a statement that returns no rows. */
static int
step_done(sqlite3 *db, sqlite3_stmt *s, const char *fn, const char *what)
{
	int rc = sqlite3_step(s);

	if (rc == SQLITE_DONE)
		return 0;
	return db_fail(db, rc == SQLITE_ROW ? SQLITE_ERROR : rc, fn, what);
}

/* ---- Hashing ---- */

static void
genesis(uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash(out, AUDIT_HASH_LEN, (const uint8_t *)GENESIS_LABEL,
			   strlen(GENESIS_LABEL), NULL, 0);
}

static void
hash_u64(crypto_generichash_state *h, uint64_t v)
{
	uint8_t be[8];

	for (int i = 0; i < 8; i++)
		be[i] = (uint8_t)(v >> (56 - 8 * i));
	crypto_generichash_update(h, be, sizeof(be));
}

/* Length-prefixed, so that no two field lists serialize the same. */
static void
hash_str(crypto_generichash_state *h, const char *s)
{
	size_t n = strlen(s);

	hash_u64(h, n);
	crypto_generichash_update(h, (const uint8_t *)s, n);
}

/* The canonical serialization: a tag, then every field but hash, in order. */
static void
rec_hash(const struct audit_rec *r, uint8_t out[AUDIT_HASH_LEN])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, AUDIT_HASH_LEN);
	hash_str(&h, HASH_TAG);
	hash_u64(&h, (uint64_t)r->seq);
	hash_u64(&h, (uint64_t)r->time);
	hash_u64(&h, r->uid);
	hash_str(&h, r->user);
	hash_str(&h, audit_role_name(r->role));
	hash_str(&h, domain_name(r->domain));
	hash_str(&h, audit_kind_name(r->kind));
	hash_str(&h, r->command);
	hash_u64(&h, (uint64_t)r->revision);
	hash_str(&h, r->summary);
	hash_str(&h, audit_outcome_name(r->outcome));
	crypto_generichash_update(&h, r->prev_hash, AUDIT_HASH_LEN);
	crypto_generichash_final(&h, out, AUDIT_HASH_LEN);
}

/* ---- Rows ---- */

static bool
rec_valid(const struct audit_rec *r)
{
	return (unsigned)r->role < AUDIT_ROLE_COUNT && (unsigned)r->kind < AUDIT_KIND_COUNT &&
	       (unsigned)r->outcome < AUDIT_OUTCOME_COUNT && (unsigned)r->domain < DOMAIN_COUNT &&
	       r->time >= 0 && r->revision >= 0 &&
	       strnlen(r->user, sizeof(r->user)) < sizeof(r->user) &&
	       strnlen(r->command, sizeof(r->command)) < sizeof(r->command) &&
	       strnlen(r->summary, sizeof(r->summary)) < sizeof(r->summary);
}

/* Column col as a C string into dst; -1 when NULL, too long or holding a NUL. */
static int
col_text(sqlite3_stmt *s, int col, char *dst, size_t len)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	int n = sqlite3_column_bytes(s, col);

	if (!t || n < 0 || (size_t)n >= len || memchr(t, '\0', (size_t)n))
		return -1;
	memcpy(dst, t, (size_t)n);
	dst[n] = '\0';
	return 0;
}

static int
col_name(sqlite3_stmt *s, int col, const char *const *names, int n)
{
	return name_index(names, n, (const char *)sqlite3_column_text(s, col));
}

static int
col_hash(sqlite3_stmt *s, int col, uint8_t out[AUDIT_HASH_LEN])
{
	const void *b = sqlite3_column_blob(s, col);

	if (!b || sqlite3_column_bytes(s, col) != AUDIT_HASH_LEN)
		return -1;
	memcpy(out, b, AUDIT_HASH_LEN);
	return 0;
}

/* A row of COLUMNS into *r; on failure what names the field that does not parse. */
static int
rec_from_row(sqlite3_stmt *s, struct audit_rec *r, const char **what)
{
	static const char *const dnames[DOMAIN_COUNT] = {"red", "crypto", "black"};
	int64_t uid = sqlite3_column_int64(s, 2);
	int role, dom, kind, outcome;

	memset(r, 0, sizeof(*r));
	r->seq = sqlite3_column_int64(s, 0);
	r->time = sqlite3_column_int64(s, 1);
	r->revision = sqlite3_column_int64(s, 8);
	role = col_name(s, 4, role_names, AUDIT_ROLE_COUNT);
	dom = col_name(s, 5, dnames, DOMAIN_COUNT);
	kind = col_name(s, 6, kind_names, AUDIT_KIND_COUNT);
	outcome = col_name(s, 10, outcome_names, AUDIT_OUTCOME_COUNT);
	*what = uid < 0 || uid > UINT32_MAX			     ? "uid"
		: col_text(s, 3, r->user, sizeof(r->user)) < 0	     ? "user"
		: role < 0					     ? "role"
		: dom < 0					     ? "domain"
		: kind < 0					     ? "kind"
		: col_text(s, 7, r->command, sizeof(r->command)) < 0 ? "command"
		: col_text(s, 9, r->summary, sizeof(r->summary)) < 0 ? "summary"
		: outcome < 0					     ? "outcome"
		: col_hash(s, 11, r->prev_hash) < 0		     ? "prev_hash"
		: col_hash(s, 12, r->hash) < 0			     ? "hash"
								     : NULL;
	if (*what)
		return -EIO;
	r->uid = (uint32_t)uid;
	r->role = (enum audit_role)role;
	r->domain = (enum domain)dom;
	r->kind = (enum audit_kind)kind;
	r->outcome = (enum audit_outcome)outcome;
	return 0;
}

/*
 * Where the chain in this database starts: the newest anchor's next seq and
 * hash, or 1 and the genesis value when nothing was ever rotated.
 */
static int
chain_start(sqlite3 *db, int64_t *seq, uint8_t prev[AUDIT_HASH_LEN])
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db,
			   "SELECT last_seq, hash FROM audit_anchor ORDER BY last_seq DESC LIMIT 1",
			   &s, __func__)) < 0)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_DONE) {
		*seq = 1;
		genesis(prev);
	} else if (rc != SQLITE_ROW) {
		err = db_fail(db, rc, __func__, "select anchor");
	} else if (col_hash(s, 1, prev) < 0) {
		log_warnx("%s: anchor hash is not %d bytes (corrupt database)", __func__,
			  AUDIT_HASH_LEN);
		err = -EIO;
	} else {
		*seq = sqlite3_column_int64(s, 0) + 1;
	}
	sqlite3_finalize(s);
	return err;
}

/* The seq and hash the next record follows: the newest record's, else the chain start's. */
static int
chain_tail(sqlite3 *db, int64_t *seq, uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = chain_start(db, seq, hash)) < 0)
		return err;
	(*seq)--;
	if ((err = prepare(db, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1", &s,
			   __func__)) < 0)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(s, 0);
		if (col_hash(s, 1, hash) < 0) {
			log_warnx("%s: record %" PRId64 ": hash is not %d bytes (corrupt database)",
				  __func__, *seq, AUDIT_HASH_LEN);
			err = -EIO;
		}
	} else if (rc != SQLITE_DONE) {
		err = db_fail(db, rc, __func__, "select tail");
	}
	sqlite3_finalize(s);
	return err;
}

static int
insert_rec(sqlite3 *db, const struct audit_rec *r)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db,
			   "INSERT INTO audit (" COLUMNS ") VALUES "
			   "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, r->seq)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, r->time)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 3, r->uid)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 4, r->user, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 5, audit_role_name(r->role), -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(s, 6, domain_name(r->domain), -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(s, 7, audit_kind_name(r->kind), -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_text(s, 8, r->command, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 9, r->revision)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 10, r->summary, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 11, audit_outcome_name(r->outcome), -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_blob(s, 12, r->prev_hash, AUDIT_HASH_LEN, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_blob(s, 13, r->hash, AUDIT_HASH_LEN, SQLITE_STATIC)))
		err = db_fail(db, rc, __func__, "bind");
	else
		err = step_done(db, s, __func__, "insert audit record");
	sqlite3_finalize(s);
	return err;
}

int
audit_append(struct store *st, const struct audit_rec *in, struct audit_rec *out)
{
	sqlite3 *db = store_db(st);
	struct audit_rec r;
	int err, began;

	if (!db || !in || !rec_valid(in))
		return -EINVAL;
	r = *in;
	if (r.time == 0)
		r.time = (int64_t)time(NULL);
	/* Under the write lock: the tail read stays the tail until COMMIT. */
	if ((began = store_tx_begin(st, __func__)) < 0)
		return began;
	err = chain_tail(db, &r.seq, r.prev_hash);
	if (err == 0) {
		r.seq++;
		rec_hash(&r, r.hash);
		err = insert_rec(db, &r);
	}
	if ((err = store_tx_end(st, began, err, __func__)) < 0)
		return err;
	if (out)
		*out = r;
	return 0;
}

/*
 * Array a (of *cap elements of size bytes) with room for element cnt:
 * a itself, or a larger copy (*cap doubled); NULL when out of memory, a
 * left as it was.
 */
static void *
grow(void *a, size_t *cap, size_t cnt, size_t size)
{
	size_t n = *cap ? *cap * 2 : 16;

	if (cnt < *cap)
		return a;
	if (!(a = reallocarray(a, n, size)))
		return NULL;
	*cap = n;
	return a;
}

/* Steps s (rows of COLUMNS) into a growing array. */
static int
collect(sqlite3 *db, sqlite3_stmt *s, struct audit_rec **out, size_t *n)
{
	struct audit_rec *a = NULL, *t;
	size_t cnt = 0, cap = 0;
	const char *what;
	int rc, err = 0;

	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(t = grow(a, &cap, cnt, sizeof(*a)))) {
			err = -ENOMEM;
			break;
		}
		a = t;
		if ((err = rec_from_row(s, &a[cnt], &what)) < 0)
			log_warnx("%s: record %" PRId64 ": %s does not parse (corrupt database)",
				  __func__, (int64_t)sqlite3_column_int64(s, 0), what);
		cnt++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, "select audit");
	if (err < 0) {
		free(a);
		return err;
	}
	*out = a;
	*n = cnt;
	return 0;
}

int
audit_list(struct store *st, int64_t since_time, size_t max, struct audit_rec **out, size_t *n)
{
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	int rc, err;

	if (!db || !out || !n)
		return -EINVAL;
	if ((err = prepare(db,
			   "SELECT * FROM (SELECT " COLUMNS " FROM audit WHERE time >= ?1 "
			   "ORDER BY seq DESC LIMIT ?2) ORDER BY seq",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, since_time)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max)) !=
		SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = collect(db, s, out, n);
	sqlite3_finalize(s);
	return err;
}

int
audit_span(struct store *st, int64_t *first, int64_t *last)
{
	sqlite3 *db = store_db(st);
	uint8_t hash[AUDIT_HASH_LEN];
	int64_t f, l;
	int err;

	if (!db || !first || !last)
		return -EINVAL;
	/* One read transaction: the anchor and the newest record agree. */
	if ((err = exec(db, "BEGIN", __func__, "begin")) < 0)
		return err;
	err = chain_start(db, &f, hash);
	if (err == 0)
		err = chain_tail(db, &l, hash);
	(void)store_tx_finish(db, -1, __func__); /* a read: nothing to commit */
	if (err < 0)
		return err;
	*first = f;
	*last = l;
	return 0;
}

int
audit_anchors(struct store *st, struct audit_anchor **out, size_t *n)
{
	sqlite3 *db = store_db(st);
	struct audit_anchor *a = NULL, *t;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, err;

	if (!db || !out || !n)
		return -EINVAL;
	if ((err = prepare(db,
			   "SELECT first_seq, last_seq, time, archive FROM audit_anchor "
			   "ORDER BY last_seq",
			   &s, __func__)) < 0)
		return err;
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (!(t = grow(a, &cap, cnt, sizeof(*a)))) {
			err = -ENOMEM;
			break;
		}
		a = t;
		a[cnt].first_seq = sqlite3_column_int64(s, 0);
		a[cnt].last_seq = sqlite3_column_int64(s, 1);
		a[cnt].time = sqlite3_column_int64(s, 2);
		if (col_text(s, 3, a[cnt].archive, sizeof(a[cnt].archive)) < 0) {
			log_warnx("%s: anchor of record %" PRId64 ": archive path does not parse",
				  __func__, a[cnt].last_seq);
			err = -EIO;
		}
		cnt++;
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, "select anchors");
	sqlite3_finalize(s);
	if (err < 0) {
		free(a);
		return err;
	}
	*out = a;
	*n = cnt;
	return 0;
}

/* ---- Verifying ---- */

/* What a walk over one chain found. */
struct walk {
	int64_t next_seq;	      /* in: the first seq; out: one past the last */
	uint8_t prev[AUDIT_HASH_LEN]; /* in: what it chains from; out: the last hash */
	int64_t bad_seq;
	char why[160];
};

static int
walk_bad(struct walk *w, int64_t seq, const char *fmt, ...)
{
	va_list ap;

	w->bad_seq = seq;
	va_start(ap, fmt);
	vsnprintf(w->why, sizeof(w->why), fmt, ap);
	va_end(ap);
	return -EBADMSG;
}

/* Checks one row against the walk so far and advances it. */
static int
walk_row(sqlite3_stmt *s, struct walk *w)
{
	uint8_t want[AUDIT_HASH_LEN];
	struct audit_rec r;
	const char *what;
	int64_t seq = sqlite3_column_int64(s, 0);

	if (seq != w->next_seq)
		return walk_bad(w, w->next_seq,
				seq > w->next_seq
				    ? "record %" PRId64 " is missing (removed; next is %" PRId64 ")"
				    : "record %" PRId64 " is out of order (found %" PRId64 ")",
				w->next_seq, seq);
	if (rec_from_row(s, &r, &what) < 0)
		return walk_bad(w, seq, "record %" PRId64 ": %s does not parse (modified)", seq,
				what);
	if (sodium_memcmp(r.prev_hash, w->prev, AUDIT_HASH_LEN) != 0)
		return walk_bad(w, seq,
				"record %" PRId64 ": does not chain from the record before it "
				"(removed, reordered or modified)",
				seq);
	rec_hash(&r, want);
	if (sodium_memcmp(r.hash, want, AUDIT_HASH_LEN) != 0)
		return walk_bad(
		    w, seq, "record %" PRId64 ": hash does not match its fields (modified)", seq);
	memcpy(w->prev, r.hash, AUDIT_HASH_LEN);
	w->next_seq++;
	return 0;
}

/* Walks every record of db's audit table from w's start. 0, -EBADMSG, or a db error. */
static int
walk_chain(sqlite3 *db, struct walk *w)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "SELECT " COLUMNS " FROM audit ORDER BY seq", &s, __func__)) < 0)
		return err;
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = walk_row(s, w);
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, "select audit");
	sqlite3_finalize(s);
	return err;
}

static int
walk_report(const struct walk *w, int err, int64_t *first_bad_seq, char *why, size_t len)
{
	if (err == -EBADMSG) {
		log_warnx("audit: %s", w->why);
		if (first_bad_seq)
			*first_bad_seq = w->bad_seq;
		if (why && len)
			snprintf(why, len, "%s", w->why);
	}
	return err;
}

int
audit_verify(struct store *st, int64_t *first_bad_seq, char *why, size_t len)
{
	sqlite3 *db = store_db(st);
	struct walk w = {0};
	int err;

	if (!db)
		return -EINVAL;
	/* One read transaction: the anchor and the rows agree with each other. */
	if ((err = exec(db, "BEGIN", __func__, "begin")) < 0)
		return err;
	err = chain_start(db, &w.next_seq, w.prev);
	if (err == 0)
		err = walk_chain(db, &w);
	(void)store_tx_finish(db, -1, __func__); /* a read: nothing to commit */
	return walk_report(&w, err, first_bad_seq, why, len);
}

/* ---- Rotation ---- */

/*
 * The archive is an SQLite file of its own: the same audit table (its own
 * triggers refuse changes) and audit_range, saying which seqs it holds and
 * the hash its first record chains from.
 */
static const char archive_schema[] =
    "CREATE TABLE arc.audit ("
    " seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, uid INTEGER NOT NULL,"
    " user TEXT NOT NULL, role TEXT NOT NULL, domain TEXT NOT NULL, kind TEXT NOT NULL,"
    " command TEXT NOT NULL, revision INTEGER NOT NULL, summary TEXT NOT NULL,"
    " outcome TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL);"
    "CREATE TABLE arc.audit_range ("
    " id INTEGER PRIMARY KEY CHECK (id = 1), first_seq INTEGER NOT NULL,"
    " last_seq INTEGER NOT NULL, prev_hash BLOB NOT NULL);"
    "CREATE TRIGGER arc.audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit archive: records are never changed'); END;"
    "CREATE TRIGGER arc.audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit archive: records are never removed'); END;";

/* Binds ?1 and ?2 to first and last, runs sql; for the statements of a rotation. */
static int
exec_range(sqlite3 *db, const char *sql, int64_t first, int64_t last, const uint8_t *blob,
	   const char *what)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, sql, &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, first)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, last)) != SQLITE_OK ||
	    (blob && (rc = sqlite3_bind_blob(s, 3, blob, AUDIT_HASH_LEN, SQLITE_STATIC))))
		err = db_fail(db, rc, __func__, "bind");
	else
		err = step_done(db, s, __func__, what);
	sqlite3_finalize(s);
	return err;
}

/* Copies [first, last] into the attached archive and commits it there. */
static int
archive_write(sqlite3 *db, int64_t first, int64_t last, const uint8_t prev[AUDIT_HASH_LEN])
{
	int err;

	if ((err = exec(db, "BEGIN IMMEDIATE", __func__, "begin")) < 0)
		return err;
	err = exec(db, archive_schema, __func__, "archive schema");
	if (err == 0)
		err = exec_range(db,
				 "INSERT INTO arc.audit SELECT " COLUMNS " FROM main.audit "
				 "WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
				 first, last, NULL, "copy records");
	if (err == 0)
		err = exec_range(db,
				 "INSERT INTO arc.audit_range (id, first_seq, last_seq, prev_hash) "
				 "VALUES (1, ?1, ?2, ?3)",
				 first, last, prev, "archive range");
	return store_tx_finish(db, err, __func__);
}

/*
 * Deletes [first, last] from the store and writes their anchor, in one
 * transaction. The delete trigger lets through only seqs up to the row put
 * in audit_rotating here, and that row is gone again before COMMIT.
 */
static int
archive_commit(sqlite3 *db, int64_t first, int64_t last, const char *path)
{
	uint8_t prev[AUDIT_HASH_LEN];
	sqlite3_stmt *s;
	int64_t start;
	int rc, err;

	if ((err = exec(db, "BEGIN IMMEDIATE", __func__, "begin")) < 0)
		return err;
	/* Another rotation may have run since we copied. */
	if ((err = chain_start(db, &start, prev)) == 0 && start != first)
		err = -ESTALE;
	if (err == 0)
		err = exec_range(db, "INSERT INTO main.audit_rotating (upto) VALUES (?2)", first,
				 last, NULL, "announce rotation");
	if (err == 0 &&
	    (err = prepare(db,
			   "INSERT INTO main.audit_anchor "
			   "(last_seq, first_seq, hash, archive, time) "
			   "SELECT seq, ?1, hash, ?3, ?4 FROM main.audit WHERE seq = ?2",
			   &s, __func__)) == 0) {
		if ((rc = sqlite3_bind_int64(s, 1, first)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 2, last)) != SQLITE_OK ||
		    (rc = sqlite3_bind_text(s, 3, path, -1, SQLITE_STATIC)) != SQLITE_OK ||
		    (rc = sqlite3_bind_int64(s, 4, (int64_t)time(NULL))) != SQLITE_OK)
			err = db_fail(db, rc, __func__, "bind");
		else
			err = step_done(db, s, __func__, "insert anchor");
		sqlite3_finalize(s);
	}
	if (err == 0)
		err = exec_range(db, "DELETE FROM main.audit WHERE seq BETWEEN ?1 AND ?2", first,
				 last, NULL, "delete archived records");
	if (err == 0)
		err = exec(db, "DELETE FROM main.audit_rotating", __func__, "end rotation");
	return store_tx_finish(db, err, __func__);
}

/* Creates the archive file ourselves: 0600, and never over an existing one. */
static int
archive_create(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int err;

	if (fd < 0 || close(fd) < 0) {
		err = -errno;
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		return err;
	}
	return 0;
}

static int
attach(sqlite3 *db, const char *path)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "ATTACH DATABASE ?1 AS arc", &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_text(s, 1, path, -1, SQLITE_STATIC)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = step_done(db, s, __func__, path);
	sqlite3_finalize(s);
	return err;
}

int
audit_rotate(struct store *st, const char *archive_path, int64_t keep_after_seq)
{
	sqlite3 *db = store_db(st);
	uint8_t prev[AUDIT_HASH_LEN], tail[AUDIT_HASH_LEN];
	int64_t first, last;
	int err;

	if (!db || !archive_path || !*archive_path)
		return -EINVAL;
	if ((err = audit_verify(st, NULL, NULL, 0)) < 0)
		return err;
	if ((err = chain_start(db, &first, prev)) < 0 || (err = chain_tail(db, &last, tail)) < 0)
		return err;
	if (keep_after_seq < first || keep_after_seq > last)
		return -EINVAL;
	if ((err = archive_create(archive_path)) < 0)
		return err;
	if ((err = attach(db, archive_path)) == 0) {
		err = archive_write(db, first, keep_after_seq, prev);
		(void)exec(db, "DETACH DATABASE arc", __func__, "detach");
	}
	if (err == 0)
		err = archive_commit(db, first, keep_after_seq, archive_path);
	if (err < 0) {
		/* Nothing names this archive: it must not be mistaken for one. */
		(void)unlink(archive_path);
		return err;
	}
	log_info("audit: records %" PRId64 "-%" PRId64 " archived to %s", first, keep_after_seq,
		 archive_path);
	return 0;
}

/* ---- Verifying an archive ---- */

/* The archive's audit_range: the seqs it holds and what its first record chains from. */
static int
archive_range(sqlite3 *adb, int64_t *first, int64_t *last, uint8_t prev[AUDIT_HASH_LEN])
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(adb, "SELECT first_seq, last_seq, prev_hash FROM audit_range", &s,
			   __func__)) < 0)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW && col_hash(s, 2, prev) == 0) {
		*first = sqlite3_column_int64(s, 0);
		*last = sqlite3_column_int64(s, 1);
	} else {
		err = rc == SQLITE_ROW || rc == SQLITE_DONE ? -EBADMSG
							    : db_fail(adb, rc, __func__, "range");
	}
	sqlite3_finalize(s);
	return err;
}

/* The anchor of st whose range ends at last_seq: its first seq and hash. -ENOENT if none. */
static int
anchor_find(sqlite3 *db, int64_t last_seq, int64_t *first, uint8_t hash[AUDIT_HASH_LEN])
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "SELECT first_seq, hash FROM audit_anchor WHERE last_seq = ?1", &s,
			   __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, last_seq)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else if ((rc = sqlite3_step(s)) == SQLITE_DONE)
		err = -ENOENT;
	else if (rc != SQLITE_ROW)
		err = db_fail(db, rc, __func__, "select anchor");
	else if (col_hash(s, 1, hash) < 0)
		err = -EIO;
	else
		*first = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return err;
}

/* After the archive's own chain checked out: does it link into st's anchors? */
static int
archive_links(sqlite3 *db, struct walk *w, int64_t first, int64_t last,
	      const uint8_t start[AUDIT_HASH_LEN])
{
	uint8_t want[AUDIT_HASH_LEN];
	int64_t afirst, pfirst;
	int err;

	if (w->next_seq != last + 1)
		return walk_bad(w, w->next_seq,
				"archive ends at record %" PRId64 ", its range at %" PRId64,
				w->next_seq - 1, last);
	if ((err = anchor_find(db, last, &afirst, want)) == -ENOENT ||
	    (err == 0 && afirst != first))
		return walk_bad(
		    w, first, "no anchor names records %" PRId64 "-%" PRId64 " (not this store's)",
		    first, last);
	if (err < 0)
		return err;
	if (sodium_memcmp(want, w->prev, AUDIT_HASH_LEN) != 0)
		return walk_bad(w, last, "record %" PRId64 ": hash differs from the anchor's",
				last);
	if (first == 1)
		genesis(want);
	else if ((err = anchor_find(db, first - 1, &pfirst, want)) == -ENOENT)
		return walk_bad(w, first, "no anchor before record %" PRId64, first);
	else if (err < 0)
		return err;
	if (sodium_memcmp(want, start, AUDIT_HASH_LEN) != 0)
		return walk_bad(
		    w, first,
		    "record %" PRId64 ": archive does not chain from the anchor before it", first);
	return 0;
}

int
audit_verify_archive(struct store *st, const char *path, int64_t *first_bad_seq, char *why,
		     size_t len)
{
	uint8_t start[AUDIT_HASH_LEN];
	sqlite3 *db = store_db(st), *adb = NULL;
	struct walk w = {0};
	int64_t first = 0, last = 0;
	int rc, err;

	if (!db || !path)
		return -EINVAL;
	rc = sqlite3_open_v2(path, &adb, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		err = adb ? db_fail(adb, rc, __func__, path) : -ENOMEM;
		sqlite3_close(adb);
		return err;
	}
	err = archive_range(adb, &first, &last, start);
	if (err == -EBADMSG)
		err = walk_bad(&w, 0, "%s: no archive range (not an audit archive)", path);
	if (err == 0) {
		w.next_seq = first;
		memcpy(w.prev, start, AUDIT_HASH_LEN);
		err = walk_chain(adb, &w);
	}
	if (err == 0)
		err = archive_links(db, &w, first, last, start);
	sqlite3_close(adb);
	return walk_report(&w, err, first_bad_seq, why, len);
}

/* ---- JSON ---- */

static void
json_hash(struct buf *out, const char *name, const uint8_t h[AUDIT_HASH_LEN])
{
	char hex[AUDIT_HASH_LEN * 2 + 1];

	sodium_bin2hex(hex, sizeof(hex), h, AUDIT_HASH_LEN);
	buf_printf(out, "\"%s\":\"%s\"", name, hex);
}

void
audit_rec_json(const struct audit_rec *r, struct buf *out)
{
	buf_printf(out, "{\"seq\":%" PRId64 ",\"time\":%" PRId64 ",\"uid\":%" PRIu32 ",\"user\":",
		   r->seq, r->time, r->uid);
	buf_json_str(out, r->user);
	buf_printf(out, ",\"role\":\"%s\",\"domain\":\"%s\",\"kind\":\"%s\",\"command\":",
		   audit_role_name(r->role), domain_name(r->domain), audit_kind_name(r->kind));
	buf_json_str(out, r->command);
	buf_printf(out, ",\"revision\":%" PRId64 ",\"summary\":", r->revision);
	buf_json_str(out, r->summary);
	buf_printf(out, ",\"outcome\":\"%s\",", audit_outcome_name(r->outcome));
	json_hash(out, "prev_hash", r->prev_hash);
	buf_puts(out, ",");
	json_hash(out, "hash", r->hash);
	buf_puts(out, "}");
}
