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
#include "storage/store_int.h"

struct store {
	sqlite3 *db;
	int version;
	bool in_batch; /* between store_batch_begin and store_batch_end */
};

/*
 * The audit table's guards, made by migration 4 and made again by 6, which
 * rebuilds the table (the text each migration runs is unchanged).
 */
#define AUDIT_RECORD_TRIGGERS                                                                      \
	"CREATE TRIGGER IF NOT EXISTS audit_append_only BEFORE INSERT ON audit"                    \
	" WHEN NEW.seq <> coalesce((SELECT max(seq) FROM audit),"                                  \
	"  (SELECT max(last_seq) FROM audit_anchor), 0) + 1"                                       \
	" BEGIN SELECT RAISE(ABORT, 'audit: records are appended in sequence'); END;"              \
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"                      \
	" BEGIN SELECT RAISE(ABORT, 'audit: records are never changed'); END;"                     \
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"                      \
	" WHEN OLD.seq > coalesce((SELECT max(upto) FROM audit_rotating), 0)"                      \
	" BEGIN SELECT RAISE(ABORT, 'audit: records leave only by rotation'); END;"

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

    /* 3: split-tunnel rules and the node's default for non-secure destinations. */
    "ALTER TABLE node ADD COLUMN default_action TEXT NOT NULL DEFAULT 'drop'"
    " CHECK (default_action IN ('direct', 'drop'));"
    "CREATE TABLE split_rule ("
    " revision INTEGER NOT NULL REFERENCES revision(number),"
    " priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 65535),"
    " action TEXT NOT NULL CHECK (action IN ('tunnel', 'direct', 'drop')),"
    " site TEXT,"
    " dst TEXT,"
    " src TEXT,"
    " proto TEXT NOT NULL CHECK (proto IN ('any', 'tcp', 'udp', 'icmp')),"
    " port INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),"
    " PRIMARY KEY (revision, priority));"
    "PRAGMA user_version = 3;",

    /*
     * 4: the audit log (storage/audit.c). Append-only in SQL as well as by
     * its hash chain: a record is inserted only as the next seq and never
     * updated; a delete is allowed only for the seqs an audit_rotate()
     * announced in audit_rotating, a table that is written and emptied
     * inside rotation's own transaction, so no other connection sees it.
     * audit_anchor keeps, per rotation, the archived range and the hash the
     * first kept record chains from. IF NOT EXISTS: a database whose
     * user_version was lowered by hand (as test_store's v1 case does)
     * re-runs this without losing its log.
     */
    "CREATE TABLE IF NOT EXISTS audit ("
    " seq INTEGER PRIMARY KEY CHECK (seq > 0),"
    " time INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " user TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'daemon')),"
    " domain TEXT NOT NULL CHECK (domain IN ('red', 'crypto', 'black')),"
    " kind TEXT NOT NULL,"
    " command TEXT NOT NULL,"
    " revision INTEGER NOT NULL CHECK (revision >= 0),"
    " summary TEXT NOT NULL,"
    " outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'denied')),"
    " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32));"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);"
    "CREATE TABLE IF NOT EXISTS audit_anchor ("
    " last_seq INTEGER PRIMARY KEY CHECK (last_seq > 0),"
    " first_seq INTEGER NOT NULL CHECK (first_seq BETWEEN 1 AND last_seq),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32),"
    " archive TEXT NOT NULL,"
    " time INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS audit_rotating (upto INTEGER NOT NULL);"
    AUDIT_RECORD_TRIGGERS
    "CREATE TRIGGER IF NOT EXISTS audit_anchor_insert BEFORE INSERT ON audit_anchor"
    " WHEN NOT EXISTS (SELECT 1 FROM audit_rotating)"
    " BEGIN SELECT RAISE(ABORT, 'audit: anchors are written only by rotation'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_anchor_no_update BEFORE UPDATE ON audit_anchor"
    " BEGIN SELECT RAISE(ABORT, 'audit: anchors are never changed'); END;"
    "CREATE TRIGGER IF NOT EXISTS audit_anchor_no_delete BEFORE DELETE ON audit_anchor"
    " BEGIN SELECT RAISE(ABORT, 'audit: anchors are never removed'); END;"
    "PRAGMA user_version = 4;",

    /* 5: DHCP leases (red, small node): one row per address, not per revision. */
    "CREATE TABLE IF NOT EXISTS lease ("
    " ip TEXT PRIMARY KEY,"
    " client_key BLOB NOT NULL,"
    " mac TEXT NOT NULL,"
    " hostname TEXT NOT NULL DEFAULT '',"
    " expiry INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('offered', 'bound', 'released', 'declined')));"
    "PRAGMA user_version = 5;",

    /*
     * 6: the audit log records callers refused at the socket, whose role is
     * 'none'. SQLite cannot change a CHECK in place: the table is rebuilt
     * with the same rows (so the same hashes) and its index and triggers
     * made again, in this migration's one transaction.
     */
    "DROP TABLE IF EXISTS audit_new;"
    "CREATE TABLE audit_new ("
    " seq INTEGER PRIMARY KEY CHECK (seq > 0),"
    " time INTEGER NOT NULL,"
    " uid INTEGER NOT NULL,"
    " user TEXT NOT NULL,"
    " role TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'daemon', 'none')),"
    " domain TEXT NOT NULL CHECK (domain IN ('red', 'crypto', 'black')),"
    " kind TEXT NOT NULL,"
    " command TEXT NOT NULL,"
    " revision INTEGER NOT NULL CHECK (revision >= 0),"
    " summary TEXT NOT NULL,"
    " outcome TEXT NOT NULL CHECK (outcome IN ('ok', 'failed', 'denied')),"
    " prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),"
    " hash BLOB NOT NULL CHECK (length(hash) = 32));"
    "INSERT INTO audit_new SELECT seq, time, uid, user, role, domain, kind, command, revision,"
    " summary, outcome, prev_hash, hash FROM audit ORDER BY seq;"
    "DROP TABLE audit;"
    "ALTER TABLE audit_new RENAME TO audit;"
    "CREATE INDEX IF NOT EXISTS audit_time ON audit(time);"
    AUDIT_RECORD_TRIGGERS
    "PRAGMA user_version = 6;",

    /*
     * 7: the LAN part of a revision (storage/store_lan.c): red's DHCP server
     * settings, its static leases, and a large node's routes to prefixes
     * behind the site's router. A revision without a dhcp row has defaults.
     */
    "CREATE TABLE IF NOT EXISTS dhcp ("
    " revision INTEGER PRIMARY KEY REFERENCES revision(number),"
    " server TEXT NOT NULL CHECK (server IN ('on', 'off')),"
    " pool TEXT NOT NULL,"
    " router TEXT NOT NULL,"
    " dns TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " lease_time INTEGER NOT NULL CHECK (lease_time > 0),"
    " mtu INTEGER NOT NULL CHECK (mtu BETWEEN 0 AND 65535));"
    "CREATE TABLE IF NOT EXISTS dhcp_static ("
    " revision INTEGER NOT NULL REFERENCES revision(number),"
    " mac TEXT NOT NULL,"
    " ip TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " PRIMARY KEY (revision, mac),"
    " UNIQUE (revision, ip));"
    "CREATE TABLE IF NOT EXISTS lan_route ("
    " revision INTEGER NOT NULL REFERENCES revision(number),"
    " prefix TEXT NOT NULL,"
    " via TEXT NOT NULL,"
    " PRIMARY KEY (revision, prefix));"
    "PRAGMA user_version = 7;",

    /*
     * 8: sites and split rules are stored once and shared by the revisions
     * that hold them unchanged, so that a one-site change at 250 sites x 16
     * prefixes + 1000 rules writes a few rows, not thousands. A row holds
     * for revisions [revision, until); until NULL: up to the newest. A site's
     * prefixes belong to its row (same revision). ord orders the sites of a
     * revision. Rows written before were complete snapshots, each valid for
     * its own revision only.
     */
    "ALTER TABLE site ADD COLUMN until INTEGER;"
    "ALTER TABLE site ADD COLUMN ord INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE split_rule ADD COLUMN until INTEGER;"
    "UPDATE site SET ord = rowid, until = revision + 1;"
    "UPDATE split_rule SET until = revision + 1;"
    "UPDATE site SET until = NULL WHERE revision = (SELECT max(number) FROM revision);"
    "UPDATE split_rule SET until = NULL WHERE revision = (SELECT max(number) FROM revision);"
    "CREATE INDEX site_until ON site(until);"
    "CREATE INDEX split_rule_until ON split_rule(until);"
    "PRAGMA user_version = 8;",
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

int
store_tx_begin(struct store *st, const char *fn)
{
	int err;

	/* Inside a batch (store_batch_begin) the batch's transaction is this write's. */
	if (st->in_batch)
		return 0;
	/* IMMEDIATE takes the write lock now, so what we read stays true until COMMIT. */
	return (err = exec(st->db, "BEGIN IMMEDIATE", fn, "begin")) < 0 ? err : 1;
}

int
store_tx_finish(sqlite3 *db, int err, const char *fn)
{
	if (err == 0 && (err = exec(db, "COMMIT", fn, "commit")) == 0)
		return 0;
	/* Some errors have already rolled the transaction back. */
	if (!sqlite3_get_autocommit(db))
		(void)exec(db, "ROLLBACK", fn, "rollback");
	return err;
}

int
store_tx_end(struct store *st, int began, int err, const char *fn)
{
	if (!began)
		return err; /* the batch's owner commits or rolls back, seeing err */
	return store_tx_finish(st->db, err, fn);
}

int
store_batch_begin(struct store *st)
{
	int err;

	if (!st)
		return -EINVAL;
	if (st->in_batch)
		return -EBUSY; /* batches do not nest */
	if ((err = exec(st->db, "BEGIN IMMEDIATE", __func__, "begin")) == 0)
		st->in_batch = true;
	return err;
}

int
store_batch_end(struct store *st, int err)
{
	if (!st)
		return -EINVAL;
	st->in_batch = false;
	return store_tx_finish(st->db, err, __func__);
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
migrate_one(struct store *st, int from)
{
	sqlite3 *db = st->db;
	int v, err, began;

	if ((began = store_tx_begin(st, __func__)) < 0)
		return began;
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
	err = store_tx_end(st, began, err, __func__);
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
		if ((err = migrate_one(st, v)) < 0)
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

sqlite3 *
store_db(struct store *st)
{
	return st ? st->db : NULL;
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
	if (prefix_parse(buf, &back, "prefix ", &eb) < 0) {
		log_warnx("%s: %.*s", __func__, (int)eb.len - 1, eb.text);
		return -EINVAL;
	}
	if (memcmp(&back, p, sizeof(back)) != 0) {
		log_warnx("%s: prefix %s does not read back the same", __func__, buf);
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
	if (endpoint_parse(buf, &back, "endpoint ", &eb) < 0) {
		log_warnx("%s: %.*s", __func__, (int)eb.len - 1, eb.text);
		return -EINVAL;
	}
	if (back.family != e->family || back.port != e->port ||
	    memcmp(back.addr, e->addr, sizeof(back.addr)) != 0) {
		log_warnx("%s: endpoint %s does not read back the same", __func__, buf);
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

	if ((err = prepare(db,
			   "INSERT INTO revision (number, time, author, comment) "
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

	if ((err = prepare(db,
			   "INSERT INTO node (revision, name, mode, listen_port, mtu, default_action) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, p->revision)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 2, nd->name, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 3, mode_name(nd->mode), -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 4, nd->listen_port)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 5, nd->mtu)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 6, split_action_name(nd->default_action), -1,
				    SQLITE_STATIC)) != SQLITE_OK)
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
insert_site(sqlite3 *db, sqlite3_stmt *ss, sqlite3_stmt *ps, int64_t rev, const struct site *site,
	    int64_t ord)
{
	char key[WG_KEY_B64_LEN], ep[ADDR_TEXT_MAX], what[64];
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
	    (rc = sqlite3_bind_int(ss, 5, site->keepalive)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(ss, 6, ord)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	snprintf(what, sizeof(what), "insert site %s", site->name);
	if ((err = step_done(db, ss, __func__, what)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(ps, 1, rev)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ps, 2, site->name, -1, SQLITE_STATIC)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	return insert_prefixes(db, ps, 3, site->prefixes, site->nprefixes);
}

/*
 * Sites and rules are shared by the revisions that hold them unchanged
 * (migration 8). A commit that knows the newest revision's content (prev)
 * writes what changed: it closes the rows of sites and rules that are gone or
 * differ (until = the new revision) and inserts the new ones. Without prev,
 * or when the sites' order changed beyond appending, every open row is
 * closed and all are written again.
 */

/* The statements of one commit's site writes. */
struct site_stmts {
	sqlite3_stmt *ins, *prefix, *close, *ord;
	int64_t rev, next_ord;
};

static void
site_stmts_free(struct site_stmts *w)
{
	finalize(w->ins);
	finalize(w->prefix);
	finalize(w->close);
	finalize(w->ord);
}

static int
site_stmts_prepare(sqlite3 *db, struct site_stmts *w, int64_t rev)
{
	int err;

	*w = (struct site_stmts){.rev = rev};
	if ((err = prepare(db,
			   "INSERT INTO site (revision, name, pubkey, endpoint, keepalive, ord) "
			   "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			   &w->ins, __func__)) < 0 ||
	    (err = prepare(db, "INSERT INTO site_prefix (revision, site, prefix) VALUES (?1, ?2, ?3)",
			   &w->prefix, __func__)) < 0 ||
	    (err = prepare(db,
			   "UPDATE site SET until = ?1 WHERE until IS NULL AND revision < ?1 AND "
			   "(?2 IS NULL OR name = ?2)",
			   &w->close, __func__)) < 0 ||
	    (err = prepare(db, "SELECT ord FROM site WHERE name = ?1 AND until IS NULL", &w->ord,
			   __func__)) < 0 ||
	    (err = query_int64(db, "SELECT coalesce(max(ord), 0) + 1 FROM site", &w->next_ord,
			       __func__)) < 0)
		site_stmts_free(w);
	return err;
}

/* Closes the open row of site name, or of every site when name is NULL. */
static int
site_close(sqlite3 *db, struct site_stmts *w, const char *name)
{
	int rc;

	if ((rc = sqlite3_bind_int64(w->close, 1, w->rev)) != SQLITE_OK ||
	    (rc = name ? sqlite3_bind_text(w->close, 2, name, -1, SQLITE_STATIC)
		       : sqlite3_bind_null(w->close, 2)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	return step_done(db, w->close, __func__, "close site");
}

/* The position the open row of site name has: a changed site keeps its place. */
static int
site_ord(sqlite3 *db, struct site_stmts *w, const char *name, int64_t *out)
{
	int rc = sqlite3_bind_text(w->ord, 1, name, -1, SQLITE_STATIC), err = 0;

	if (rc != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	rc = sqlite3_step(w->ord);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(w->ord, 0);
	else
		err = db_fail(db, rc == SQLITE_DONE ? SQLITE_CORRUPT : rc, __func__, name);
	(void)sqlite3_reset(w->ord);
	return err;
}

/*
 * Whether p's sites are prev's in the same order, some removed, some
 * changed in place, new ones only after the last kept one: then the kept
 * rows' positions still order p.
 */
static bool
sites_keep_order(const struct policy *prev, const struct site *const *by_name,
		 const struct policy *p)
{
	ptrdiff_t last = -1;
	bool added = false;

	for (size_t i = 0; i < p->nsites; i++) {
		const struct site *o = policy_sites_lookup(by_name, prev->nsites, p->sites[i].name);
		if (!o) {
			added = true;
			continue;
		}
		if (added || o - prev->sites <= last)
			return false;
		last = o - prev->sites;
	}
	return true;
}

static int
write_all_sites(sqlite3 *db, struct site_stmts *w, const struct policy *p)
{
	int err = site_close(db, w, NULL);

	for (size_t i = 0; i < p->nsites && err == 0; i++)
		err = insert_site(db, w->ins, w->prefix, w->rev, &p->sites[i], w->next_ord++);
	return err;
}

static int
write_changed_sites(sqlite3 *db, struct site_stmts *w, const struct policy *prev,
		    const struct site *const *old, const struct policy *p)
{
	const struct site **now = NULL;
	int64_t ord;
	int err = policy_sites_by_name(p, &now);

	for (size_t i = 0; i < prev->nsites && err == 0; i++)
		if (!policy_sites_lookup(now, p->nsites, prev->sites[i].name))
			err = site_close(db, w, prev->sites[i].name);
	for (size_t i = 0; i < p->nsites && err == 0; i++) {
		const struct site *s = &p->sites[i],
				  *o = policy_sites_lookup(old, prev->nsites, s->name);
		if (o && policy_site_equal(o, s))
			continue;
		ord = w->next_ord++;
		if (o && (err = site_ord(db, w, s->name, &ord)) == 0)
			err = site_close(db, w, s->name);
		if (err == 0)
			err = insert_site(db, w->ins, w->prefix, w->rev, s, ord);
	}
	free(now);
	return err;
}

static int
write_sites(sqlite3 *db, const struct policy *prev, const struct policy *p)
{
	const struct site **old = NULL;
	struct site_stmts w;
	int err = site_stmts_prepare(db, &w, p->revision);

	if (err < 0)
		return err;
	if (prev && (err = policy_sites_by_name(prev, &old)) < 0)
		goto out;
	if (prev && sites_keep_order(prev, old, p))
		err = write_changed_sites(db, &w, prev, old, p);
	else
		err = write_all_sites(db, &w, p);
out:
	free(old);
	site_stmts_free(&w);
	return err;
}

static int
bind_rule(sqlite3 *db, sqlite3_stmt *s, int64_t rev, const struct split_rule *r)
{
	char dst[ADDR_TEXT_MAX], src[ADDR_TEXT_MAX];
	int rc, err;

	if ((r->has_dst && (err = prefix_text(&r->dst, dst)) < 0) ||
	    (r->has_src && (err = prefix_text(&r->src, src)) < 0))
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int(s, 2, r->priority)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 3, split_action_name(r->action), -1, SQLITE_STATIC)) ||
	    (rc = r->action == SPLIT_TUNNEL ? sqlite3_bind_text(s, 4, r->site, -1, SQLITE_STATIC)
					    : sqlite3_bind_null(s, 4)) != SQLITE_OK ||
	    (rc = r->has_dst ? sqlite3_bind_text(s, 5, dst, -1, SQLITE_TRANSIENT)
			     : sqlite3_bind_null(s, 5)) != SQLITE_OK ||
	    (rc = r->has_src ? sqlite3_bind_text(s, 6, src, -1, SQLITE_TRANSIENT)
			     : sqlite3_bind_null(s, 6)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 7, proto_name(r->proto), -1, SQLITE_STATIC)) ||
	    (rc = sqlite3_bind_int(s, 8, r->port)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	return 0;
}

static int
rule_close(sqlite3 *db, sqlite3_stmt *s, int64_t rev, const struct split_rule *r)
{
	int rc;

	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK ||
	    (rc = r ? sqlite3_bind_int(s, 2, r->priority) : sqlite3_bind_null(s, 2)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	return step_done(db, s, __func__, "close split rule");
}

/* Rules are keyed by priority: a rule of prev that p lacks or changed is closed. */
static int
write_rules(sqlite3 *db, const struct policy *prev, const struct policy *p)
{
	sqlite3_stmt *ins = NULL, *close = NULL;
	int err;

	if ((err = prepare(db,
			   "INSERT INTO split_rule (revision, priority, action, site, dst, src, "
			   "proto, port) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			   &ins, __func__)) < 0 ||
	    (err = prepare(db,
			   "UPDATE split_rule SET until = ?1 WHERE until IS NULL AND revision < ?1 "
			   "AND (?2 IS NULL OR priority = ?2)",
			   &close, __func__)) < 0)
		goto out;
	if (!prev)
		err = rule_close(db, close, p->revision, NULL);
	for (size_t i = 0; prev && i < prev->nrules && err == 0; i++) {
		const struct split_rule *o = &prev->rules[i], *n = policy_rule_find(p, o->priority);
		if (!n || !policy_rule_equal(o, n))
			err = rule_close(db, close, p->revision, o);
	}
	for (size_t i = 0; i < p->nrules && err == 0; i++) {
		const struct split_rule *r = &p->rules[i], *o = prev ? policy_rule_find(prev, r->priority) : NULL;
		if (o && policy_rule_equal(o, r))
			continue;
		err = bind_rule(db, ins, p->revision, r);
		if (err == 0)
			err = step_done(db, ins, __func__, "insert split rule");
	}
out:
	finalize(ins);
	finalize(close);
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
store_commit_change(struct store *st, const struct policy *prev, const struct policy *p,
		    const char *author, const char *comment)
{
	int64_t newest;
	int err = 0, began;

	if (!st || !p || !author || !*author)
		return -EINVAL;
	if (!comment)
		comment = "";
	if (strlen(author) > STORE_AUTHOR_MAX || strlen(comment) > STORE_COMMENT_MAX ||
	    (p->node.mode != MODE_SMALL && p->node.mode != MODE_LARGE) ||
	    strnlen(p->node.name, sizeof(p->node.name)) == sizeof(p->node.name))
		return -EINVAL;
	if ((began = store_tx_begin(st, __func__)) < 0)
		return began;
	/* Read under the write lock: nobody can commit between check and write. */
	newest = newest_revision(st->db, __func__);
	if (newest < 0)
		err = (int)newest;
	else if (p->revision != newest + 1 || (prev && prev->revision != newest))
		err = -ESTALE;
	/* Revision 0 is the defaults, never stored: nothing to share rows with. */
	if (prev && prev->revision == 0)
		prev = NULL;
	if (err == 0)
		err = insert_revision(st->db, p->revision, author, comment);
	if (err == 0)
		err = insert_node(st->db, p);
	if (err == 0)
		err = write_sites(st->db, prev, p);
	if (err == 0)
		err = write_rules(st->db, prev, p);
	if (err == 0)
		err = store_lan_insert(st->db, p);
	return store_tx_end(st, began, err, __func__);
}

int
store_commit(struct store *st, const struct policy *p, const char *author, const char *comment)
{
	return store_commit_change(st, NULL, p, author, comment);
}

int64_t
store_revision(struct store *st)
{
	if (!st)
		return -EINVAL;
	return newest_revision(st->db, __func__);
}

/*
 * Reading a revision. Revisions are never changed once committed, so the
 * several SELECTs of one load need no transaction to agree with each other.
 * A row that does not parse means a corrupt database: -EIO, naming the row.
 */

static int
corrupt(const char *fn, int64_t rev, const char *what, const char *val)
{
	if (val)
		log_warnx("%s: revision %" PRId64 ": %s '%s' does not parse (corrupt database)", fn,
			  rev, what, val);
	else
		log_warnx("%s: revision %" PRId64 ": %s is missing (corrupt database)", fn, rev,
			  what);
	return -EIO;
}

static int
copy_text(char *dst, size_t len, const unsigned char *src)
{
	if (!src || strlen((const char *)src) >= len)
		return -1;
	memcpy(dst, src, strlen((const char *)src) + 1);
	return 0;
}

/* Steps s, whose column 0 is a prefix, to its end; *out is malloc'd. */
static int
load_prefixes(sqlite3 *db, sqlite3_stmt *s, int64_t rev, const char *what, struct prefix **out,
	      size_t *n)
{
	struct prefix *a = NULL, *t;
	size_t cnt = 0, cap = 0;
	struct errbuf eb = {0};
	const char *txt;
	int rc, err = 0;

	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			if (!(t = realloc(a, cap * sizeof(*a)))) {
				err = -ENOMEM;
				break;
			}
			a = t;
		}
		txt = (const char *)sqlite3_column_text(s, 0);
		if (!txt || prefix_parse(txt, &a[cnt++], "", &eb) < 0)
			err = corrupt(__func__, rev, what, txt);
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, what);
	(void)sqlite3_reset(s);
	if (err < 0) {
		free(a);
		return err;
	}
	*out = a;
	*n = cnt;
	return 0;
}

static int
node_from_row(sqlite3_stmt *s, int64_t rev, struct node *nd)
{
	const char *mode = (const char *)sqlite3_column_text(s, 1);
	const char *dflt = (const char *)sqlite3_column_text(s, 4);
	int64_t port = sqlite3_column_int64(s, 2), mtu = sqlite3_column_int64(s, 3);

	if (copy_text(nd->name, sizeof(nd->name), sqlite3_column_text(s, 0)) < 0)
		return corrupt(__func__, rev, "node name", (const char *)sqlite3_column_text(s, 0));
	if (!mode || mode_parse(mode, &nd->mode) < 0)
		return corrupt(__func__, rev, "node mode", mode);
	if (!dflt || split_action_parse(dflt, &nd->default_action) < 0 ||
	    nd->default_action == SPLIT_TUNNEL)
		return corrupt(__func__, rev, "node default action", dflt);
	if (port < 0 || port > UINT16_MAX || mtu < 0 || mtu > UINT16_MAX)
		return corrupt(__func__, rev, "node port or mtu",
			       (const char *)sqlite3_column_text(s, 2));
	nd->listen_port = (uint16_t)port;
	nd->mtu = (uint16_t)mtu;
	return 0;
}

static int
load_node(sqlite3 *db, int64_t rev, struct node *nd)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "SELECT name, mode, listen_port, mtu, default_action FROM node "
			   "WHERE revision = ?1",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		err = node_from_row(s, rev, nd);
	else if (rc == SQLITE_DONE)
		err = corrupt(__func__, rev, "node", NULL);
	else
		err = db_fail(db, rc, __func__, "select node");
	finalize(s);
	if (err < 0)
		return err;

	if ((err = prepare(db, "SELECT prefix FROM node_prefix WHERE revision = ?1 ORDER BY rowid",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else
		err = load_prefixes(db, s, rev, "node prefix", &nd->prefixes, &nd->nprefixes);
	finalize(s);
	return err;
}

static int
site_from_row(sqlite3_stmt *s, int64_t rev, struct site *site)
{
	const char *key = (const char *)sqlite3_column_text(s, 1);
	const char *ep = (const char *)sqlite3_column_text(s, 2);
	int64_t keepalive = sqlite3_column_int64(s, 3);
	struct errbuf eb = {0};

	memset(site, 0, sizeof(*site));
	if (copy_text(site->name, sizeof(site->name), sqlite3_column_text(s, 0)) < 0)
		return corrupt(__func__, rev, "site name", (const char *)sqlite3_column_text(s, 0));
	if (!key || key_from_base64(site->pubkey, key) < 0)
		return corrupt(__func__, rev, "public key of site", site->name);
	if (ep) {
		if (endpoint_parse(ep, &site->endpoint, "", &eb) < 0)
			return corrupt(__func__, rev, "site endpoint", ep);
		site->has_endpoint = true;
	}
	if (keepalive < 0 || keepalive > UINT16_MAX)
		return corrupt(__func__, rev, "keepalive of site", site->name);
	site->keepalive = (uint16_t)keepalive;
	return 0;
}

/* One site row and its prefixes, appended to p->sites. */
static int
load_site(sqlite3 *db, sqlite3_stmt *ss, sqlite3_stmt *ps, struct policy *p)
{
	struct site site, *t;
	int rc, err;

	if ((err = site_from_row(ss, p->revision, &site)) < 0)
		return err;
	/* The prefixes were written with the row: its first revision. */
	if ((rc = sqlite3_bind_int64(ps, 1, sqlite3_column_int64(ss, 4))) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ps, 2, site.name, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
		return db_fail(db, rc, __func__, "bind");
	if ((err = load_prefixes(db, ps, p->revision, "site prefix", &site.prefixes,
				 &site.nprefixes)) < 0)
		return err;
	if (!(t = realloc(p->sites, (p->nsites + 1) * sizeof(*t)))) {
		site_free(&site);
		return -ENOMEM;
	}
	p->sites = t;
	p->sites[p->nsites++] = site;
	return 0;
}

static int
load_sites(sqlite3 *db, struct policy *p)
{
	sqlite3_stmt *ss = NULL, *ps = NULL;
	int rc, err;

	if ((err = prepare(db,
			   "SELECT name, pubkey, endpoint, keepalive, revision, ord FROM site "
			   "WHERE until IS NULL AND revision <= ?1 UNION ALL "
			   "SELECT name, pubkey, endpoint, keepalive, revision, ord FROM site "
			   "WHERE until > ?1 AND revision <= ?1 ORDER BY 6",
			   &ss, __func__)) < 0 ||
	    (err = prepare(db,
			   "SELECT prefix FROM site_prefix "
			   "WHERE revision = ?1 AND site = ?2 ORDER BY rowid",
			   &ps, __func__)) < 0)
		goto out;
	if ((rc = sqlite3_bind_int64(ss, 1, p->revision)) != SQLITE_OK) {
		err = db_fail(db, rc, __func__, "bind");
		goto out;
	}
	while (err == 0 && (rc = sqlite3_step(ss)) == SQLITE_ROW)
		err = load_site(db, ss, ps, p);
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, "select site");
out:
	finalize(ss);
	finalize(ps);
	return err;
}

/* One optional prefix column: NULL is "not given"; anything else must parse. */
static int
rule_prefix_col(sqlite3_stmt *s, int col, int64_t rev, struct prefix *out, bool *has)
{
	const char *t = (const char *)sqlite3_column_text(s, col);
	struct errbuf eb = {0};

	*has = t != NULL;
	if (t && prefix_parse(t, out, "", &eb) < 0)
		return corrupt(__func__, rev, "split rule prefix", t);
	return 0;
}

static int
rule_from_row(sqlite3_stmt *s, int64_t rev, struct split_rule *r)
{
	const char *action = (const char *)sqlite3_column_text(s, 1);
	const char *site = (const char *)sqlite3_column_text(s, 2);
	const char *proto = (const char *)sqlite3_column_text(s, 5);
	int64_t prio = sqlite3_column_int64(s, 0), port = sqlite3_column_int64(s, 6);
	int err;

	memset(r, 0, sizeof(*r));
	if (prio < 1 || prio > UINT16_MAX || port < 0 || port > UINT16_MAX)
		return corrupt(__func__, rev, "split rule priority or port", NULL);
	r->priority = (uint16_t)prio;
	r->port = (uint16_t)port;
	if (!action || split_action_parse(action, &r->action) < 0)
		return corrupt(__func__, rev, "split rule action", action);
	if (site && copy_text(r->site, sizeof(r->site), (const unsigned char *)site) < 0)
		return corrupt(__func__, rev, "split rule site", site);
	if (proto && strcmp(proto, "any") && proto_parse(proto, &r->proto) < 0)
		return corrupt(__func__, rev, "split rule proto", proto);
	if ((err = rule_prefix_col(s, 3, rev, &r->dst, &r->has_dst)) < 0)
		return err;
	return rule_prefix_col(s, 4, rev, &r->src, &r->has_src);
}

static int
load_rules(sqlite3 *db, struct policy *p)
{
	struct split_rule r;
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db,
			   "SELECT priority, action, site, dst, src, proto, port FROM split_rule "
			   "WHERE until IS NULL AND revision <= ?1 UNION ALL "
			   "SELECT priority, action, site, dst, src, proto, port FROM split_rule "
			   "WHERE until > ?1 AND revision <= ?1 ORDER BY 1",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, p->revision)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((err = rule_from_row(s, p->revision, &r)) == 0)
			err = policy_rule_insert(p, &r);
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(db, rc, __func__, "select split rule");
	finalize(s);
	return err;
}

static int
revision_exists(sqlite3 *db, int64_t rev)
{
	sqlite3_stmt *s;
	int rc, err;

	if ((err = prepare(db, "SELECT 1 FROM revision WHERE number = ?1", &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, rev)) != SQLITE_OK)
		err = db_fail(db, rc, __func__, "bind");
	else if ((rc = sqlite3_step(s)) == SQLITE_DONE)
		err = -ENOENT;
	else if (rc != SQLITE_ROW)
		err = db_fail(db, rc, __func__, "select revision");
	finalize(s);
	return err;
}

int
store_load_revision(struct store *st, int64_t rev, struct policy *out)
{
	struct policy t;
	int err;

	if (!st || !out)
		return -EINVAL;
	if ((err = revision_exists(st->db, rev)) < 0)
		return err;
	policy_init(&t);
	t.revision = rev;
	if ((err = load_node(st->db, rev, &t.node)) < 0 || (err = load_sites(st->db, &t)) < 0 ||
	    (err = load_rules(st->db, &t)) < 0 || (err = store_lan_load(st->db, &t)) < 0) {
		policy_free(&t);
		return err;
	}
	*out = t;
	return 0;
}

int
store_load(struct store *st, struct policy *out)
{
	int64_t rev;

	if (!st || !out)
		return -EINVAL;
	if ((rev = newest_revision(st->db, __func__)) < 0)
		return (int)rev;
	if (rev == 0) {
		policy_init(out);
		return 0;
	}
	return store_load_revision(st, rev, out);
}

static void
rev_from_row(sqlite3_stmt *s, struct store_rev *r)
{
	const char *author = (const char *)sqlite3_column_text(s, 2);
	const char *comment = (const char *)sqlite3_column_text(s, 3);

	r->number = sqlite3_column_int64(s, 0);
	r->time = sqlite3_column_int64(s, 1);
	/* store_commit() keeps both within bounds; an older writer may not have. */
	snprintf(r->author, sizeof(r->author), "%s", author ? author : "");
	snprintf(r->comment, sizeof(r->comment), "%s", comment ? comment : "");
}

int
store_revisions(struct store *st, size_t max, struct store_rev **out, size_t *n)
{
	struct store_rev *a = NULL, *t;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, err;

	if (!st || !out || !n)
		return -EINVAL;
	if ((err = prepare(st->db,
			   "SELECT number, time, author, comment FROM revision "
			   "ORDER BY number DESC LIMIT ?1",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_int64(s, 1, max > INT64_MAX ? INT64_MAX : (int64_t)max)) !=
	    SQLITE_OK) {
		finalize(s);
		return db_fail(st->db, rc, __func__, "bind");
	}
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			if (!(t = reallocarray(a, cap, sizeof(*a)))) {
				err = -ENOMEM;
				break;
			}
			a = t;
		}
		rev_from_row(s, &a[cnt++]);
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = db_fail(st->db, rc, __func__, "select revision");
	finalize(s);
	if (err < 0) {
		free(a);
		return err;
	}
	*out = a;
	*n = cnt;
	return 0;
}

int
store_meta_get(struct store *st, const char *key, char *val, size_t len)
{
	const unsigned char *v;
	sqlite3_stmt *s;
	int rc, err;

	if (!st || !key || !val)
		return -EINVAL;
	if ((err = prepare(st->db, "SELECT value FROM meta WHERE key = ?1", &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC)) != SQLITE_OK)
		err = db_fail(st->db, rc, __func__, "bind");
	else if ((rc = sqlite3_step(s)) == SQLITE_DONE)
		err = -ENOENT;
	else if (rc != SQLITE_ROW)
		err = db_fail(st->db, rc, __func__, "select meta");
	else if (!(v = sqlite3_column_text(s, 0)))
		err = db_fail(st->db, sqlite3_errcode(st->db), __func__, key);
	else if (strlen((const char *)v) >= len)
		err = -ENOSPC;
	else
		memcpy(val, v, strlen((const char *)v) + 1);
	finalize(s);
	return err;
}

int
store_meta_set(struct store *st, const char *key, const char *val)
{
	sqlite3_stmt *s;
	int rc, err;

	if (!st || !key || !val)
		return -EINVAL;
	if ((err = prepare(st->db,
			   "INSERT INTO meta (key, value) VALUES (?1, ?2) "
			   "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
			   &s, __func__)) < 0)
		return err;
	if ((rc = sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(s, 2, val, -1, SQLITE_STATIC)) != SQLITE_OK)
		err = db_fail(st->db, rc, __func__, "bind");
	else
		err = step_done(st->db, s, __func__, "set meta");
	finalize(s);
	return err;
}
