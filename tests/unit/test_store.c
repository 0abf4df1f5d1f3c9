// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_store.c — the policy store: revisions written and read
 * back whole, all-or-nothing commits, schema migrations and refusal of a
 * newer schema, WAL and file mode. Each test has its own database file in
 * a temporary directory that is removed at the end.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "policy/policy.h"
#include "storage/store.h"

/* The schema this build should migrate every database to. */
#define LATEST 8

static char tmpdir[] = "/tmp/umbral-test-store-XXXXXX";
static char dbpath[256];
static int dbcount;

static int
group_setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static void
unlink_db(const char *path)
{
	char p[300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

static int
group_teardown(void **state)
{
	(void)state;
	return rmdir(tmpdir);
}

/* A fresh database path per test. */
static int
setup(void **state)
{
	(void)state;
	snprintf(dbpath, sizeof(dbpath), "%s/policy-%d.db", tmpdir, ++dbcount);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink_db(dbpath);
	return 0;
}

static struct store *
open_ok(void)
{
	struct store *st = NULL;

	assert_int_equal(store_open(dbpath, &st), 0);
	assert_non_null(st);
	return st;
}

static void
add_prefix(struct prefix **a, size_t *n, const char *s)
{
	struct errbuf eb = {0};

	*a = realloc(*a, (*n + 1) * sizeof(**a));
	assert_non_null(*a);
	assert_int_equal(prefix_parse(s, &(*a)[*n], "", &eb), 0);
	(*n)++;
}

static void
add_site(struct policy *p, const char *name, uint8_t keyfill, const char *endpoint,
	 uint16_t keepalive, const char *pfx1, const char *pfx2)
{
	struct site s;
	struct errbuf eb = {0};

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	memset(s.pubkey, keyfill, sizeof(s.pubkey));
	s.pubkey[0] = 0xfe; /* not a repeated byte: base64 must round-trip all of it */
	if (endpoint) {
		assert_int_equal(endpoint_parse(endpoint, &s.endpoint, "", &eb), 0);
		s.has_endpoint = true;
	}
	s.keepalive = keepalive;
	if (pfx1)
		add_prefix(&s.prefixes, &s.nprefixes, pfx1);
	if (pfx2)
		add_prefix(&s.prefixes, &s.nprefixes, pfx2);
	/* policy_site_append copies the prefixes. */
	assert_int_equal(policy_site_append(p, &s), 0);
	site_free(&s);
}

/* Revision 1 is two sites; revision 2 changes the node and adds an IPv6 one. */
/* Split rules of every shape, and a default that is not the default. */
static void
add_rules(struct policy *p)
{
	struct split_rule r1 = {.priority = 20, .action = SPLIT_DIRECT, .has_dst = true,
				.proto = IPPROTO_TCP, .port = 80};
	struct split_rule r2 = {.priority = 5, .action = SPLIT_TUNNEL, .has_dst = true,
				.has_src = true, .site = "london"};
	struct split_rule r3 = {.priority = 7, .action = SPLIT_DROP, .proto = IPPROTO_ICMP};
	struct errbuf eb = {0};

	assert_int_equal(prefix_parse("203.0.113.0/24", &r1.dst, "", &eb), 0);
	assert_int_equal(prefix_parse("0.0.0.0/0", &r2.dst, "", &eb), 0);
	assert_int_equal(prefix_parse("10.1.9.0/24", &r2.src, "", &eb), 0);
	assert_int_equal(policy_rule_insert(p, &r1), 0);
	assert_int_equal(policy_rule_insert(p, &r2), 0);
	assert_int_equal(policy_rule_insert(p, &r3), 0);
	p->node.default_action = SPLIT_DIRECT;
}

static void
make_policy(struct policy *p, int64_t rev)
{
	policy_init(p);
	p->revision = rev;
	snprintf(p->node.name, sizeof(p->node.name), "paris");
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "10.1.0.0/16");
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "fd00:0:1::/48");
	add_site(p, "london", 0x22, "198.18.2.2:51820", 0, "10.2.0.0/16", "fd00:0:2::/48");
	add_site(p, "roamer", 0x33, NULL, 25, "10.3.0.0/16", NULL);
	if (rev >= 2) {
		p->node.mode = MODE_LARGE;
		p->node.mtu = 1380;
		p->node.listen_port = 51821;
		add_site(p, "berlin", 0x44, "[2001:db8:4::2]:51820", 15, "fd00:0:4::/48",
			 "10.4.0.0/16");
		add_rules(p);
	}
}

static void
assert_loads(struct store *st, const struct policy *want)
{
	struct policy got;

	assert_int_equal(store_load(st, &got), 0);
	assert_int_equal(got.revision, want->revision);
	assert_true(policy_equal(&got, want));
	policy_free(&got);
}

static void
commit_two(struct store *st, struct policy *p1, struct policy *p2)
{
	make_policy(p1, 1);
	make_policy(p2, 2);
	assert_int_equal(store_commit(st, p1, "alice", "first"), 0);
	assert_int_equal(store_commit(st, p2, "bob", "add berlin"), 0);
}

/* Runs sql on the database file behind the store's back. */
static void
raw_exec(const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static int64_t
raw_int(const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open(dbpath, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	assert_int_equal(sqlite3_finalize(s), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
	return v;
}

static void
test_fresh(void **state)
{
	struct store *st = open_ok();
	struct policy p, defaults;
	struct store_rev *revs = (void *)1;
	size_t n = 99;

	(void)state;
	assert_int_equal(store_schema_version(st), LATEST);
	assert_int_equal(store_revision(st), 0);
	assert_int_equal(store_load(st, &p), 0);
	policy_init(&defaults);
	assert_int_equal(p.revision, 0);
	assert_true(policy_equal(&p, &defaults));
	assert_int_equal(p.node.listen_port, 51820);
	policy_free(&p);
	assert_int_equal(store_revisions(st, 10, &revs, &n), 0);
	assert_null(revs);
	assert_int_equal(n, 0);
	assert_int_equal(store_load_revision(st, 1, &p), -ENOENT);
	store_close(st);
	store_close(NULL);
}

static void
test_commit_and_load(void **state)
{
	struct store *st = open_ok();
	struct policy p1, p2, got;

	(void)state;
	commit_two(st, &p1, &p2);
	assert_int_equal(store_revision(st), 2);
	assert_loads(st, &p2);
	assert_int_equal(store_load_revision(st, 1, &got), 0);
	assert_int_equal(got.revision, 1);
	assert_true(policy_equal(&got, &p1));
	assert_false(policy_equal(&got, &p2));
	policy_free(&got);
	assert_int_equal(store_load_revision(st, 3, &got), -ENOENT);
	assert_int_equal(store_load_revision(st, 0, &got), -ENOENT);
	policy_free(&p1);
	policy_free(&p2);
	store_close(st);
}

/* IPv6 prefixes, an IPv6 endpoint and a site order that is not alphabetical. */
static void
test_ipv6_round_trip(void **state)
{
	struct store *st = open_ok();
	struct policy p, got;

	(void)state;
	policy_init(&p);
	p.revision = 1;
	snprintf(p.node.name, sizeof(p.node.name), "v6only");
	add_prefix(&p.node.prefixes, &p.node.nprefixes, "2001:db8:ffff::/64");
	add_prefix(&p.node.prefixes, &p.node.nprefixes, "::/0");
	add_site(&p, "zulu", 0x01, "[fe80::1]:1", 65535, "fd00:0:9::/48", "fd00:0:a::/47");
	add_site(&p, "alpha", 0x02, "[2001:db8:ffff::80]:65535", 1, "0.0.0.0/0", "::1/128");
	add_site(&p, "mike", 0x03, "203.0.113.80:51820", 0, "203.0.113.80/32", NULL);
	assert_int_equal(store_commit(st, &p, "root", "v6"), 0);
	assert_int_equal(store_load(st, &got), 0);
	assert_true(policy_equal(&got, &p));
	assert_string_equal(got.sites[0].name, "zulu");
	assert_string_equal(got.sites[2].name, "mike");
	assert_int_equal(got.sites[1].endpoint.port, 65535);
	policy_free(&got);
	policy_free(&p);
	store_close(st);
}

static void
test_stale(void **state)
{
	struct store *st = open_ok(), *other;
	struct policy p1, p2;

	(void)state;
	make_policy(&p1, 1);
	make_policy(&p2, 1);
	assert_int_equal(store_commit(st, &p1, "alice", NULL), 0);
	/* A second writer that read revision 0 before alice committed. */
	assert_int_equal(store_open(dbpath, &other), 0);
	assert_int_equal(store_commit(other, &p2, "bob", "late"), -ESTALE);
	p2.revision = 3;
	assert_int_equal(store_commit(st, &p2, "bob", "skips"), -ESTALE);
	p2.revision = 0;
	assert_int_equal(store_commit(st, &p2, "bob", "zero"), -ESTALE);
	p2.revision = -5;
	assert_int_equal(store_commit(st, &p2, "bob", "negative"), -ESTALE);
	assert_int_equal(store_revision(st), 1);
	assert_int_equal(store_revision(other), 1);
	assert_loads(st, &p1);
	store_close(other);
	policy_free(&p1);
	policy_free(&p2);
	store_close(st);
}

static void
test_revisions(void **state)
{
	struct store *st = open_ok();
	struct policy p1, p2, p3;
	struct store_rev *r;
	size_t n;
	int64_t now = (int64_t)time(NULL);

	(void)state;
	commit_two(st, &p1, &p2);
	make_policy(&p3, 3);
	assert_int_equal(store_commit(st, &p3, "carol", NULL), 0);
	assert_int_equal(store_revisions(st, 10, &r, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].number, 3);
	assert_string_equal(r[0].author, "carol");
	assert_string_equal(r[0].comment, "");
	assert_int_equal(r[1].number, 2);
	assert_string_equal(r[1].author, "bob");
	assert_string_equal(r[1].comment, "add berlin");
	assert_int_equal(r[2].number, 1);
	assert_string_equal(r[2].author, "alice");
	assert_string_equal(r[2].comment, "first");
	assert_in_range(r[2].time, now - 60, now + 60);
	free(r);
	assert_int_equal(store_revisions(st, 2, &r, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(r[0].number, 3);
	assert_int_equal(r[1].number, 2);
	free(r);
	policy_free(&p1);
	policy_free(&p2);
	policy_free(&p3);
	store_close(st);
}

/* Bad arguments are refused before anything is written. */
static void
test_commit_refuses(void **state)
{
	struct store *st = open_ok();
	struct policy p;
	char longname[STORE_AUTHOR_MAX + 2];

	(void)state;
	make_policy(&p, 1);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(store_commit(st, &p, "", NULL), -EINVAL);
	assert_int_equal(store_commit(st, &p, NULL, NULL), -EINVAL);
	assert_int_equal(store_commit(st, &p, longname, NULL), -EINVAL);
	longname[STORE_AUTHOR_MAX] = '\0';
	assert_int_equal(store_commit(st, &p, longname, NULL), 0);
	assert_int_equal(store_revision(st), 1);
	policy_free(&p);
	store_close(st);
}

/*
 * A commit that fails midway (the second site breaks the primary key, or a
 * prefix has host bits set) leaves no trace: the revision has not moved, the
 * previous policy loads intact, and the same number can be committed next.
 */
static void
test_atomic(void **state)
{
	struct store *st = open_ok();
	struct policy p1, bad, p2;
	struct store_rev *r;
	size_t n;

	(void)state;
	make_policy(&p1, 1);
	assert_int_equal(store_commit(st, &p1, "alice", "first"), 0);

	make_policy(&bad, 2);
	add_site(&bad, "london", 0x55, NULL, 0, "10.9.0.0/16", NULL);
	assert_int_equal(store_commit(st, &bad, "mallory", "duplicate"), -EEXIST);
	assert_int_equal(store_revision(st), 1);
	assert_loads(st, &p1);
	policy_free(&bad);

	make_policy(&bad, 2);
	bad.sites[2].prefixes[1].addr[3] = 1; /* 10.4.0.1/16: host bits */
	assert_int_equal(store_commit(st, &bad, "mallory", "host bits"), -EINVAL);
	assert_int_equal(store_revision(st), 1);
	policy_free(&bad);

	assert_int_equal(store_revisions(st, 10, &r, &n), 0);
	assert_int_equal(n, 1);
	free(r);
	assert_int_equal(raw_int("SELECT count(*) FROM site WHERE revision = 2"), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM site_prefix WHERE revision = 2"), 0);

	make_policy(&p2, 2);
	assert_int_equal(store_commit(st, &p2, "bob", "good"), 0);
	assert_loads(st, &p2);
	policy_free(&p1);
	policy_free(&p2);
	store_close(st);
}

static void
test_reopen(void **state)
{
	struct store *st = open_ok();
	struct policy p1, p2, got;
	char val[64];

	(void)state;
	commit_two(st, &p1, &p2);
	assert_int_equal(store_meta_set(st, "applied", "2"), 0);
	store_close(st);

	st = open_ok();
	assert_int_equal(store_schema_version(st), LATEST);
	assert_int_equal(store_revision(st), 2);
	assert_loads(st, &p2);
	assert_int_equal(store_load_revision(st, 1, &got), 0);
	assert_true(policy_equal(&got, &p1));
	policy_free(&got);
	assert_int_equal(store_meta_get(st, "applied", val, sizeof(val)), 0);
	assert_string_equal(val, "2");
	policy_free(&p1);
	policy_free(&p2);
	store_close(st);
}

static void
test_meta(void **state)
{
	struct store *st = open_ok();
	char val[8] = "keep";

	(void)state;
	assert_int_equal(store_meta_get(st, "pubkey", val, sizeof(val)), -ENOENT);
	assert_string_equal(val, "keep");
	assert_int_equal(store_meta_set(st, "pubkey", "abc"), 0);
	assert_int_equal(store_meta_get(st, "pubkey", val, sizeof(val)), 0);
	assert_string_equal(val, "abc");
	assert_int_equal(store_meta_set(st, "pubkey", "defg"), 0);
	assert_int_equal(store_meta_get(st, "pubkey", val, sizeof(val)), 0);
	assert_string_equal(val, "defg");
	assert_int_equal(store_meta_set(st, "pubkey", "too long here"), 0);
	assert_int_equal(store_meta_get(st, "pubkey", val, sizeof(val)), -ENOSPC);
	assert_string_equal(val, "defg");
	assert_int_equal(store_meta_set(st, "empty", ""), 0);
	assert_int_equal(store_meta_get(st, "empty", val, sizeof(val)), 0);
	assert_string_equal(val, "");
	store_close(st);
}

static void
test_wal_and_mode(void **state)
{
	struct store *st;
	struct stat sb;
	struct policy p;
	char wal[300];
	mode_t old = umask(0); /* the mode must not depend on the caller's umask */

	(void)state;
	st = open_ok();
	umask(old);
	make_policy(&p, 1);
	assert_int_equal(store_commit(st, &p, "alice", NULL), 0);
	assert_int_equal(stat(dbpath, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", dbpath);
	assert_int_equal(stat(wal, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	store_close(st);
	/* WAL is recorded in the file itself. */
	assert_int_equal(raw_int("SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	policy_free(&p);
}

/*
 * A database left at schema 1 (the indexes of migration 2 dropped, as a
 * build that knew only migration 1 wrote it) is brought to the latest
 * version and keeps its revisions and meta state.
 */
static void
test_migrate_from_v1(void **state)
{
	struct store *st = open_ok();
	struct policy p1, p2, got;
	char val[16];

	(void)state;
	commit_two(st, &p1, &p2);
	assert_int_equal(store_meta_set(st, "applied", "2"), 0);
	store_close(st);
	/* Back to version 1 by hand: what migrations 2 and 3 added goes. */
	raw_exec("DROP INDEX node_prefix_revision; DROP INDEX site_prefix_revision;"
		 "DROP TABLE split_rule; ALTER TABLE node DROP COLUMN default_action;"
		 "DROP INDEX site_until; ALTER TABLE site DROP COLUMN until;"
		 "ALTER TABLE site DROP COLUMN ord;"
		 "PRAGMA user_version = 1;");
	assert_int_equal(raw_int("PRAGMA user_version"), 1);

	st = open_ok();
	assert_int_equal(store_schema_version(st), LATEST);
	/* a version-1 database had no split rules: migration 3 starts them empty */
	p2.nrules = 0;
	p2.node.default_action = SPLIT_DROP;
	assert_loads(st, &p2);
	assert_int_equal(store_load_revision(st, 1, &got), 0);
	assert_true(policy_equal(&got, &p1));
	policy_free(&got);
	assert_int_equal(store_meta_get(st, "applied", val, sizeof(val)), 0);
	assert_string_equal(val, "2");
	store_close(st);
	assert_int_equal(raw_int("PRAGMA user_version"), LATEST);
	assert_int_equal(raw_int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND "
				 "name IN ('node_prefix_revision', 'site_prefix_revision')"),
			 2);
	policy_free(&p1);
	policy_free(&p2);
}

/* Commits next as a change of prev (store_commit_change) and checks it loads back. */
static void
commit_change(struct store *st, struct policy *prev, struct policy *next)
{
	next->revision = prev->revision + 1;
	assert_int_equal(store_commit_change(st, prev, next, "alice", NULL), 0);
	assert_loads(st, next);
}

/*
 * A change writes only the sites and rules it changes; every revision still
 * loads back exactly, the order of its sites too. A prev that is not the
 * newest revision is refused.
 */
static void
test_commit_change(void **state)
{
	struct store *st = open_ok();
	struct policy v[6], got;
	char name[16];

	(void)state;
	make_policy(&v[0], 1);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		add_site(&v[0], name, (uint8_t)(0x50 + i), NULL, 0, NULL, NULL);
	}
	assert_int_equal(store_commit(st, &v[0], "alice", NULL), 0);
	assert_int_equal(raw_int("SELECT count(*) FROM site"), 42);
	/* 2: one site added, one rule added */
	assert_int_equal(policy_copy(&v[1], &v[0]), 0);
	add_site(&v[1], "extra", 0x99, "198.18.9.2:51820", 0, "10.9.0.0/16", NULL);
	add_rules(&v[1]);
	commit_change(st, &v[0], &v[1]);
	assert_int_equal(raw_int("SELECT count(*) FROM site"), 43);
	assert_int_equal(raw_int("SELECT count(*) FROM split_rule"), 3);
	/* 3: a site changed in place keeps its place; a rule changed; one removed */
	assert_int_equal(policy_copy(&v[2], &v[1]), 0);
	v[2].sites[1].keepalive = 99;
	v[2].rules[0].port = 443;
	v[2].nrules--;
	commit_change(st, &v[1], &v[2]);
	assert_int_equal(raw_int("SELECT count(*) FROM site"), 44);
	assert_int_equal(raw_int("SELECT count(*) FROM split_rule"), 4);
	/* 4: one site removed */
	assert_int_equal(policy_copy(&v[3], &v[2]), 0);
	site_free(&v[3].sites[0]);
	memmove(&v[3].sites[0], &v[3].sites[1], (v[3].nsites - 1) * sizeof(struct site));
	v[3].nsites--;
	commit_change(st, &v[2], &v[3]);
	assert_int_equal(raw_int("SELECT count(*) FROM site"), 44);
	/* 5: sites reordered: all are written again, in the new order */
	assert_int_equal(policy_copy(&v[4], &v[3]), 0);
	struct site t = v[4].sites[0];
	v[4].sites[0] = v[4].sites[1];
	v[4].sites[1] = t;
	commit_change(st, &v[3], &v[4]);
	assert_int_equal(raw_int("SELECT count(*) FROM site"), 44 + 42);
	/* Every revision loads as it was committed. */
	for (int i = 0; i < 5; i++) {
		assert_int_equal(store_load_revision(st, i + 1, &got), 0);
		assert_true(policy_equal(&got, &v[i]));
		policy_free(&got);
	}
	/* prev must be the newest revision. */
	assert_int_equal(policy_copy(&v[5], &v[4]), 0);
	v[5].revision = 6;
	assert_int_equal(store_commit_change(st, &v[3], &v[5], "bob", NULL), -ESTALE);
	assert_int_equal(store_revision(st), 5);
	store_close(st);
	for (int i = 0; i < 6; i++)
		policy_free(&v[i]);
}

/* A database from a newer build is refused and left exactly as it was. */
static void
test_future_version_refused(void **state)
{
	struct store *st = open_ok(), *sentinel = (struct store *)&st;
	struct policy p;

	(void)state;
	make_policy(&p, 1);
	assert_int_equal(store_commit(st, &p, "alice", NULL), 0);
	store_close(st);
	raw_exec("PRAGMA user_version = 99; PRAGMA journal_mode = DELETE;");

	st = sentinel;
	assert_int_equal(store_open(dbpath, &st), -EPROTO);
	assert_ptr_equal(st, sentinel);
	assert_int_equal(raw_int("PRAGMA user_version"), 99);
	assert_int_equal(raw_int("SELECT journal_mode = 'delete' FROM pragma_journal_mode"), 1);
	assert_int_equal(raw_int("SELECT count(*) FROM revision"), 1);
	policy_free(&p);
}

/* A file that is not SQLite, and a row that no longer parses: -EIO, not a crash. */
static void
test_corrupt(void **state)
{
	struct store *st;
	struct policy p, got;
	int fd;

	(void)state;
	fd = open(dbpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, "this is not a database. ", 24), 24);
	assert_int_equal(close(fd), 0);
	st = NULL;
	assert_int_equal(store_open(dbpath, &st), -EIO);
	assert_null(st);
	unlink_db(dbpath);

	st = open_ok();
	make_policy(&p, 1);
	assert_int_equal(store_commit(st, &p, "alice", NULL), 0);
	raw_exec("UPDATE site_prefix SET prefix = '10.2.0.1/16' WHERE prefix = '10.2.0.0/16'");
	assert_int_equal(store_load(st, &got), -EIO);
	raw_exec("UPDATE site_prefix SET prefix = '10.2.0.0/16' WHERE prefix = '10.2.0.1/16';"
		 "UPDATE site SET pubkey = 'not base64' WHERE name = 'roamer'");
	assert_int_equal(store_load(st, &got), -EIO);
	raw_exec("DELETE FROM site_prefix; DELETE FROM site; DELETE FROM node_prefix;"
		 "DELETE FROM node");
	assert_int_equal(store_load(st, &got), -EIO);
	policy_free(&p);
	store_close(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_and_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revisions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_atomic, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wal_and_mode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_migrate_from_v1, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_commit_change, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_future_version_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
