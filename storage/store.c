// SPDX-License-Identifier: GPL-2.0-only
/*
 * storage/store.c — the policy database: opening and migrating the schema,
 * writing a policy as one numbered revision in one transaction, and reading
 * any revision back as a complete struct policy.
 */
#include "storage/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/log.h"

struct store {
	sqlite3 *db;
	int version;
};

/*
 * Schema migrations: entry i takes user_version from i to i + 1 and sets it
 * itself, so that a change and its version commit together. Append new
 * entries; never edit one that has shipped.
 */
static const char *const migrations[] = {
	/* 1: every revision a complete, normalized snapshot. */
	"CREATE TABLE revision ("
	" number INTEGER PRIMARY KEY CHECK (number > 0),"
	" time INTEGER NOT NULL,"
	" author TEXT NOT NULL,"
	" comment TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE node ("
	" revision INTEGER PRIMARY KEY REFERENCES revision(number),"
	" name TEXT NOT NULL,"
	" mode TEXT NOT NULL CHECK (mode IN ('small', 'large')),"
	" listen_port INTEGER NOT NULL CHECK (listen_port BETWEEN 0 AND 65535),"
	" mtu INTEGER NOT NULL CHECK (mtu BETWEEN 0 AND 65535));"
	"CREATE TABLE node_prefix ("
	" revision INTEGER NOT NULL REFERENCES node(revision),"
	" prefix TEXT NOT NULL);"
	"CREATE TABLE site ("
	" revision INTEGER NOT NULL REFERENCES revision(number),"
	" name TEXT NOT NULL,"
	" pubkey TEXT NOT NULL,"
	" endpoint TEXT,"
	" keepalive INTEGER NOT NULL CHECK (keepalive BETWEEN 0 AND 65535),"
	" PRIMARY KEY (revision, name));"
	"CREATE TABLE site_prefix ("
	" revision INTEGER NOT NULL,"
	" site TEXT NOT NULL,"
	" prefix TEXT NOT NULL,"
	" FOREIGN KEY (revision, site) REFERENCES site(revision, name));"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"PRAGMA user_version = 1;",

	/* 2: loading a revision looks its prefixes up by revision and site. */
	"CREATE INDEX node_prefix_revision ON node_prefix(revision);"
	"CREATE INDEX site_prefix_revision ON site_prefix(revision, site);"
	"PRAGMA user_version = 2;",
};
#define SCHEMA_LATEST ((int)(sizeof(migrations) / sizeof(migrations[0])))

/* Text forms are short: an IPv6 address in brackets, a port or a length. */
#define ADDR_TEXT_MAX 64

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
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EEXIST;
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Logs what failed with SQLite's own message; returns the errno for rc. */
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

	if (rc != SQLITE_OK)
		return db_fail(db, rc, fn, "prepare");
	return 0;
}

/* Finalize only repeats the last step's result, which its caller handled. */
static void
finalize(sqlite3_stmt *s)
{
	(void)sqlite3_finalize(s);
}

/* Runs a statement that returns no rows and readies it to run again. */
static int
step_done(sqlite3 *db, sqlite3_stmt *s, const char *fn, const char *what)
{
	int rc = sqlite3_step(s);
	int err = 0;

	if (rc != SQLITE_DONE)
		err = db_fail(db, rc == SQLITE_ROW ? SQLITE_ERROR : rc, fn, what);
	/* After a failed step, reset repeats the failure just reported. */
	(void)sqlite3_reset(s);
	return err;
}

static int
exec(sqlite3 *db, const char *sql, const char *fn, const char *what)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return db_fail(db, rc, fn, what);
	return 0;
}

/* IMMEDIATE takes the write lock now, so what we read stays true until COMMIT. */
static int
tx_begin(sqlite3 *db, const char *fn)
{
	return exec(db, "BEGIN IMMEDIATE", fn, "begin");
}

/* Commits when err is 0, otherwise (or if COMMIT fails) rolls back; returns err. */
static int
tx_end(sqlite3 *db, int err, const char *fn)
{
	if (err == 0) {
		err = exec(db, "COMMIT", fn, "commit");
		if (err == 0)
			return 0;
	}
	/* Some errors have already rolled the transaction back. */
	if (!sqlite3_get_autocommit(db))
		(void)exec(db, "ROLLBACK", fn, "rollback");
	return err;
}

/* The one integer a statement (a PRAGMA, an aggregate) returns. */
static int
query_int64(sqlite3 *db, const char *sql, int64_t *out, const char *fn)
{
	sqlite3_stmt *s;
	int err, rc;

	if ((err = prepare(db, sql, &s, fn)) < 0)
		return err;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		err = db_fail(db, rc == SQLITE_DONE ? SQLITE_ERROR : rc, fn, sql);
	finalize(s);
	return err;
}

static int
schema_version(sqlite3 *db, int *out, const char *fn)
{
	int64_t v;
	int err = query_int64(db, "PRAGMA user_version", &v, fn);

	if (err < 0)
		return err;
	if (v > SCHEMA_LATEST) {
		log_warnx("%s: schema version %" PRId64 " is newer than this build's %d; "
			  "refusing to use it",
			  fn, v, SCHEMA_LATEST);
		return -EPROTO;
	}
	if (v < 0) {
		log_warnx("%s: schema version %" PRId64 " is not valid", fn, v);
		return -EIO;
	}
	*out = (int)v;
	return 0;
}

/* Runs migration number from + 1 unless another process did while we waited. */
static int
migrate_one(sqlite3 *db, int from)
{
	int v, err;

	if ((err = tx_begin(db, __func__)) < 0)
		return err;
	err = schema_version(db, &v, __func__);
	if (err == 0 && v == from) {
		err = exec(db, migrations[from], __func__, "migration");
		if (err == 0)
			err = schema_version(db, &v, __func__);
		if (err == 0 && v != from + 1) {
			log_warnx("%s: migration %d did not set user_version", __func__, from + 1);
			err = -EIO;
		}
	}
	err = tx_end(db, err, __func__);
	if (err == 0 && v == from + 1)
		log_info("store: schema migrated to version %d", v);
	return err;
}

static int
migrate(struct store *st)
{
	int v, err;

	for (;;) {
		if ((err = schema_version(st->db, &v, __func__)) < 0)
			return err;
		if (v == SCHEMA_LATEST)
			break;
		if ((err = migrate_one(st->db, v)) < 0)
			return err;
	}
	st->version = v;
	return 0;
}

static int
set_wal(sqlite3 *db)
{
	sqlite3_stmt *s;
	const char *mode;
	int err, rc;

	if ((err = prepare(db, "PRAGMA journal_mode = WAL", &s, __func__)) < 0)
		return err;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		err = db_fail(db, rc == SQLITE_DONE ? SQLITE_ERROR : rc, __func__, "journal_mode");
	} else {
		mode = (const char *)sqlite3_column_text(s, 0);
		if (!mode || strcasecmp(mode, "wal") != 0) {
			log_warnx("%s: journal_mode is %s, not wal", __func__, mode ? mode : "?");
			err = -EIO;
		}
	}
	finalize(s);
	return err;
}

/*
 * The version is checked before anything is written, so that a database
 * from a newer build is left exactly as it was.
 */
static int
configure(sqlite3 *db)
{
	int64_t fk;
	int rc, v, err;

	if ((rc = sqlite3_extended_result_codes(db, 1)) != SQLITE_OK ||
	    (rc = sqlite3_busy_timeout(db, 2000)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "configure");
	if ((err = schema_version(db, &v, __func__)) < 0 || (err = set_wal(db)) < 0 ||
	    (err = exec(db, "PRAGMA synchronous = FULL", __func__, "synchronous")) < 0 ||
	    (err = exec(db, "PRAGMA foreign_keys = ON", __func__, "foreign_keys")) < 0 ||
	    (err = query_int64(db, "PRAGMA foreign_keys", &fk, __func__)) < 0)
		return err;
	/* A build of SQLite without foreign keys would not protect site_prefix. */
	if (fk != 1) {
		log_warnx("%s: this SQLite does not enforce foreign keys", __func__);
		return -EIO;
	}
	return 0;
}

/* Creates the file ourselves: SQLite would create it readable by all. */
static int
create_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	int err;

	if (fd < 0) {
		err = -errno;
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		return err;
	}
	if (close(fd) < 0) {
		err = -errno;
		log_warnx("%s: %s: %s", __func__, path, strerror(errno));
		return err;
	}
	return 0;
}

int
store_open(const char *path, struct store **out)
{
	struct store *st;
	int rc, err;

	if (!path || !*path || !out)
		return -EINVAL;
	if ((err = create_file(path)) < 0)
		return err;
	if (!(st = calloc(1, sizeof(*st))))
		return -ENOMEM;
	/* WAL and shared-memory files get the database file's mode from SQLite. */
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc != SQLITE_OK) {
		err = st->db ? db_fail(st->db, rc, __func__, path) : -ENOMEM;
		store_close(st);
		return err;
	}
	if ((err = configure(st->db)) < 0 || (err = migrate(st)) < 0) {
		log_warnx("%s: %s: cannot use this database", __func__, path);
		store_close(st);
		return err;
	}
	*out = st;
	return 0;
}

void
store_close(struct store *st)
{
	int rc;

	if (!st)
		return;
	rc = sqlite3_close(st->db);
	if (rc != SQLITE_OK)
		log_warnx("%s: %s", __func__, sqlite3_errstr(rc));
	free(st);
}

int
store_schema_version(struct store *st)
{
	return st ? st->version : -EINVAL;
}

/*
 * Writing a revision. The text written must parse back to the same value,
 * so that every committed revision can be loaded again.
 */

static int
prefix_text(const struct prefix *p, char buf[ADDR_TEXT_MAX])
{
	struct errbuf eb = {0};
	struct prefix back;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EINVAL;
	prefix_format(p, buf, ADDR_TEXT_MAX);
	if (prefix_parse(buf, &back, "", &eb) < 0 || memcmp(&back, p, sizeof(back)) != 0) {
		log_warnx("%s: prefix %s cannot be stored: %s", __func__, buf, eb.text);
		return -EINVAL;
	}
	return 0;
}

static int
endpoint_text(const struct endpoint *e, char buf[ADDR_TEXT_MAX])
{
	struct errbuf eb = {0};
	struct endpoint back;

	if (e->family != AF_INET && e->family != AF_INET6)
		return -EINVAL;
	endpoint_format(e, buf, ADDR_TEXT_MAX);
	if (endpoint_parse(buf, &back, "", &eb) < 0 || back.family != e->family ||
	    back.port != e->port || memcmp(back.addr, e->addr, sizeof(back.addr)) != 0) {
		log_warnx("%s: endpoint %s cannot be stored: %s", __func__, buf, eb.text);
		return -EINVAL;
	}
	return 0;
}

/* s has the revision (and site) bound; the prefix goes to parameter idx. */
static int
insert_prefixes(sqlite3 *db, sqlite3_stmt *s, int idx, const struct prefix *p, size_t n)
{
	char buf[ADDR_TEXT_MAX];
	int rc, err;

	for (size_t i = 0; i < n; i++) {
		if ((err = prefix_text(&p[i], buf)) < 0)
			return err;
		if ((rc = sqlite3_bind_text(s, idx, buf, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
			return db_fail(db, rc, __func__, "bind");
		if ((err = step_done(db, s, __func__, "insert prefix")) < 0)
			return err;
	}
	return 0;
}

static int
insert_revision(sqlite3 *db, int64_t rev, const char *author, const char *comment)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "INSERT INTO revision (number, time, author, comment) "
			       "VALUES (?1, ?2, ?3, ?4)",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(s, 2, (int64_t)time(NULL))) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 3, author, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 4, comment, -1, SQLITE_STATIC)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = step_done(db, s, __func__, "insert revision");
	finalize(s);
	return err;
}

static int
insert_node(sqlite3 *db, const struct policy *p)
{
	const struct node *nd = &p->node;
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "INSERT INTO node (revision, name, mode, listen_port, mtu) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, p->revision)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 2, nd->name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 3, mode_name(nd->mode), -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 4, nd->listen_port)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 5, nd->mtu)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = step_done(db, s, __func__, "insert node");
	finalize(s);
	if (err < 0)
		return err;

	if ((err = prepare(db, "INSERT INTO node_prefix (revision, prefix) VALUES (?1, ?2)", &s,
			   __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, p->revision)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = insert_prefixes(db, s, 2, nd->prefixes, nd->nprefixes);
	finalize(s);
	return err;
}

static int
insert_site(sqlite3 *db, sqlite3_stmt *ss, sqlite3_stmt *ps, int64_t rev, const struct site *site)
{
	char key[WG_KEY_B64_LEN], ep[ADDR_TEXT_MAX];
	int rc, err;

	if (strnlen(site->name, sizeof(site->name)) == sizeof(site->name))
		return -EINVAL;
	if (site->has_endpoint && (err = endpoint_text(&site->endpoint, ep)) < 0)
		return err;
	key_to_base64(key, site->pubkey);
	if ((rc = sqlite3_bind_int64(ss, 1, rev)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ss, 2, site->name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ss, 3, key, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = site->has_endpoint ? sqlite3_bind_text(ss, 4, ep, -1, SQLITE_TRANSIENT)
				     : sqlite3_bind_null(ss, 4)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(ss, 5, site->keepalive)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	if ((err = step_done(db, ss, __func__, "insert site")) < 0) {
		log_warnx("%s: site %s not stored", __func__, site->name);
		return err;
	}
	if ((rc = sqlite3_bind_int64(ps, 1, rev)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ps, 2, site->name, -1, SQLITE_STATIC)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	return insert_prefixes(db, ps, 3, site->prefixes, site->nprefixes);
}

static int
insert_sites(sqlite3 *db, const struct policy *p)
{
	sqlite3_stmt *ss = NULL, *ps = NULL;
	int err;

	if ((err = prepare(db, "INSERT INTO site (revision, name, pubkey, endpoint, keepalive) "
			       "VALUES (?1, ?2, ?3, ?4, ?5)",
			   &ss, __func__)) < 0 ||
	    (err = prepare(db, "INSERT INTO site_prefix (revision, site, prefix) "
			       "VALUES (?1, ?2, ?3)",
			   &ps, __func__)) < 0)
		goto out;
	for (size_t i = 0; i < p->nsites && err == 0; i++)
		err = insert_site(db, ss, ps, p->revision, &p->sites[i]);
out:
	finalize(ss);
	finalize(ps);
	return err;
}

static int64_t
newest_revision(sqlite3 *db, const char *fn)
{
	int64_t rev;
	int err = query_int64(db, "SELECT coalesce(max(number), 0) FROM revision", &rev, fn);

	return err < 0 ? err : rev;
}

int
store_commit(struct store *st, const struct policy *p, const char *author, const char *comment)
{
	int64_t newest;
	int err;

	if (!st || !p || !author || !*author)
		return -EINVAL;
	if (!comment)
		comment = "";
	if (strlen(author) > STORE_AUTHOR_MAX || strlen(comment) > STORE_COMMENT_MAX ||
	    (p->node.mode != MODE_SMALL && p->node.mode != MODE_LARGE) ||
	    strnlen(p->node.name, sizeof(p->node.name)) == sizeof(p->node.name))
		return -EINVAL;
	if ((err = tx_begin(st->db, __func__)) < 0)
		return err;
	/* Read under the write lock: nobody can commit between check and write. */
	newest = newest_revision(st->db, __func__);
	if (newest < 0)
		err = (int)newest;
	else if (p->revision != newest + 1)
		err = -ESTALE;
	if (err == 0)
		err = insert_revision(st->db, p->revision, author, comment);
	if (err == 0)
		err = insert_node(st->db, p);
	if (err == 0)
		err = insert_sites(st->db, p);
	return tx_end(st->db, err, __func__);
}

int64_t
store_revision(struct store *st)
{
	if (!st)
		return -EINVAL;
	return newest_revision(st->db, __func__);
}
