// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_audit.c — the audit chain: append and verify, then tamper
 * with the database as an attacker with the file would (raw SQLite, triggers
 * dropped) and check that verify names the record; rotation and archives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "policy/policy.h"
#include "storage/audit.h"
#include "storage/store.h"

struct fx {
	char dir[64];
	char db[PATH_MAX];
	struct store *st;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_audit.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->db, sizeof(f->db), "%s/umbral.db", f->dir);
	if (store_open(f->db, &f->st) < 0)
		return -1;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
rec_fill(struct audit_rec *r, int i)
{
	memset(r, 0, sizeof(*r));
	r->time = 1700000000 + i;
	r->uid = 1000;
	snprintf(r->user, sizeof(r->user), "alice");
	r->role = AUDIT_ROLE_ADMIN;
	r->domain = DOMAIN_CRYPTO;
	r->kind = AUDIT_KIND_CHANGE;
	snprintf(r->command, sizeof(r->command), "site add s%d --prefix 10.%d.0.0/16", i, i);
	r->revision = i;
	snprintf(r->summary, sizeof(r->summary), "+site s%d", i);
	r->outcome = AUDIT_OK;
}

static void
append_n(struct store *st, int n)
{
	struct audit_rec in, out;

	for (int i = 1; i <= n; i++) {
		rec_fill(&in, i);
		assert_int_equal(audit_append(st, &in, &out), 0);
		assert_int_equal(out.seq, i);
	}
}

/* The attacker: the file, raw SQLite, the append-only triggers dropped. */
static void
tamper(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	rc = sqlite3_exec(
	    db,
	    "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;"
	    "DROP TRIGGER IF EXISTS audit_append_only;",
	    NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("tamper: %s", msg ? msg : "?");
	sqlite3_close(db);
}

static void
expect_bad(struct store *st, int64_t seq, const char *why_part)
{
	char why[256] = "";
	int64_t bad = -1;

	assert_int_equal(audit_verify(st, &bad, why, sizeof(why)), -EBADMSG);
	assert_int_equal(bad, seq);
	if (!strstr(why, why_part))
		fail_msg("why '%s' lacks '%s'", why, why_part);
}

static void
test_append_verify(void **state)
{
	struct fx *f = *state;
	struct audit_rec in, out, *list;
	int64_t bad = -1;
	size_t n;

	assert_true(store_schema_version(f->st) >= 4); /* migration 4 brought the audit log */
	assert_int_equal(audit_verify(f->st, &bad, NULL, 0), 0); /* empty */
	append_n(f->st, 10);
	assert_int_equal(audit_verify(f->st, &bad, NULL, 0), 0);
	assert_int_equal(bad, -1);

	assert_int_equal(audit_list(f->st, 1700000005, 100, &list, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(list[0].seq, 5);
	assert_string_equal(list[0].summary, "+site s5");
	assert_memory_equal(list[1].prev_hash, list[0].hash, AUDIT_HASH_LEN);
	free(list);
	/* Cut to max, the newest stay (oldest first). */
	assert_int_equal(audit_list(f->st, 0, 3, &list, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(list[0].seq, 8);
	assert_int_equal(list[2].seq, 10);
	free(list);

	/* Out of range or unterminated input is refused, and nothing is written. */
	rec_fill(&in, 11);
	in.kind = AUDIT_KIND_COUNT;
	assert_int_equal(audit_append(f->st, &in, &out), -EINVAL);
	rec_fill(&in, 11);
	memset(in.user, 'x', sizeof(in.user));
	assert_int_equal(audit_append(f->st, &in, &out), -EINVAL);
	rec_fill(&in, 11);
	in.time = 0; /* now */
	assert_int_equal(audit_append(f->st, &in, &out), 0);
	assert_int_equal(out.seq, 11);
	assert_true(out.time > 1700000000);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);
}

static void
test_triggers_refuse(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;

	append_n(f->st, 3);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_not_equal(
	    sqlite3_exec(db, "UPDATE audit SET summary = 'x' WHERE seq = 2", NULL, NULL, NULL),
	    SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit WHERE seq = 1", NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO audit SELECT 9, time, uid, user, role, "
					  "domain, kind, command, revision, summary, outcome, "
					  "prev_hash, hash FROM audit WHERE seq = 3",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db,
					  "INSERT INTO audit_anchor VALUES (1, 1, zeroblob(32), "
					  "'x', 0)",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);
}

static void
test_modified_summary(void **state)
{
	struct fx *f = *state;

	append_n(f->st, 8);
	/* One byte: "+site s5" becomes "+site t5". */
	tamper(f->db, "UPDATE audit SET summary = '+site t5' WHERE seq = 5");
	expect_bad(f->st, 5, "hash does not match");
}

static void
test_modified_hash(void **state)
{
	struct fx *f = *state;

	append_n(f->st, 8);
	tamper(f->db, "UPDATE audit SET hash = zeroblob(32) WHERE seq = 3");
	expect_bad(f->st, 3, "record 3");
}

static void
test_modified_hash_rechained(void **state)
{
	struct fx *f = *state;

	/* A forged record whose own hash is right still breaks the next link. */
	append_n(f->st, 8);
	tamper(f->db, "UPDATE audit SET hash = zeroblob(32), prev_hash = zeroblob(32) "
		      "WHERE seq = 8");
	expect_bad(f->st, 8, "does not chain");
}

static void
test_removed_record(void **state)
{
	struct fx *f = *state;

	append_n(f->st, 8);
	tamper(f->db, "DELETE FROM audit WHERE seq = 4");
	expect_bad(f->st, 4, "record 4 is missing");
}

static void
test_removed_and_renumbered(void **state)
{
	struct fx *f = *state;

	/* Closing the gap by renumbering leaves the chain broken there. */
	append_n(f->st, 8);
	tamper(f->db, "DELETE FROM audit WHERE seq = 4;"
		      "UPDATE audit SET seq = seq - 1 WHERE seq > 4");
	expect_bad(f->st, 4, "record 4");
}

static void
test_swapped_records(void **state)
{
	struct fx *f = *state;

	append_n(f->st, 8);
	/* Records 3 and 6 trade everything but their seq. */
	tamper(f->db,
	       "CREATE TEMP TABLE t AS SELECT * FROM audit WHERE seq IN (3, 6);"
	       "UPDATE audit SET (time, uid, user, role, domain, kind, command, revision, "
	       " summary, outcome, prev_hash, hash) = (SELECT time, uid, user, role, domain, "
	       " kind, command, revision, summary, outcome, prev_hash, hash FROM t "
	       " WHERE t.seq = 9 - audit.seq) WHERE seq IN (3, 6);");
	expect_bad(f->st, 3, "record 3");
}

static void
test_rotation(void **state)
{
	struct fx *f = *state;
	char arc1[PATH_MAX], arc2[PATH_MAX], why[256];
	struct audit_rec in, out, *list;
	int64_t bad = -1;
	size_t n;

	snprintf(arc1, sizeof(arc1), "%s/audit-1.db", f->dir);
	snprintf(arc2, sizeof(arc2), "%s/audit-2.db", f->dir);
	append_n(f->st, 10);
	assert_int_equal(audit_rotate(f->st, arc1, 0), -EINVAL);  /* nothing to archive */
	assert_int_equal(audit_rotate(f->st, arc1, 11), -EINVAL); /* beyond the newest */
	assert_int_equal(audit_rotate(f->st, arc1, 6), 0);
	assert_int_equal(audit_rotate(f->st, arc1, 8), -EEXIST);
	assert_int_equal(audit_verify(f->st, &bad, NULL, 0), 0);
	assert_int_equal(audit_verify_archive(f->st, arc1, &bad, NULL, 0), 0);
	assert_int_equal(audit_list(f->st, 0, 100, &list, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(list[0].seq, 7);
	free(list);

	/* Appending continues the chain; a second rotation archives everything. */
	rec_fill(&in, 11);
	assert_int_equal(audit_append(f->st, &in, &out), 0);
	assert_int_equal(out.seq, 11);
	assert_int_equal(audit_rotate(f->st, arc2, 11), 0);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);
	assert_int_equal(audit_verify_archive(f->st, arc1, NULL, NULL, 0), 0);
	assert_int_equal(audit_verify_archive(f->st, arc2, NULL, NULL, 0), 0);
	rec_fill(&in, 12);
	assert_int_equal(audit_append(f->st, &in, &out), 0);
	assert_int_equal(out.seq, 12);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);

	/* A tampered archive is caught, naming the record. */
	tamper(arc1, "UPDATE audit SET command = 'site del s2' WHERE seq = 2");
	assert_int_equal(audit_verify_archive(f->st, arc1, &bad, why, sizeof(why)), -EBADMSG);
	assert_int_equal(bad, 2);
}

static void
test_span_anchors(void **state)
{
	struct fx *f = *state;
	char arc1[PATH_MAX], arc2[PATH_MAX];
	struct audit_anchor *a;
	int64_t first, last;
	size_t n;

	snprintf(arc1, sizeof(arc1), "%s/audit-1.db", f->dir);
	snprintf(arc2, sizeof(arc2), "%s/audit-2.db", f->dir);
	assert_int_equal(audit_span(f->st, &first, &last), 0);
	assert_int_equal(first, 1);
	assert_int_equal(last, 0); /* empty */
	assert_int_equal(audit_anchors(f->st, &a, &n), 0);
	assert_int_equal(n, 0);
	assert_null(a);
	append_n(f->st, 10);
	assert_int_equal(audit_span(f->st, &first, &last), 0);
	assert_int_equal(first, 1);
	assert_int_equal(last, 10);
	assert_int_equal(audit_rotate(f->st, arc1, 6), 0);
	assert_int_equal(audit_span(f->st, &first, &last), 0);
	assert_int_equal(first, 7);
	assert_int_equal(last, 10);
	/* Everything archived: the live log is empty and starts after the anchor. */
	assert_int_equal(audit_rotate(f->st, arc2, 10), 0);
	assert_int_equal(audit_span(f->st, &first, &last), 0);
	assert_int_equal(first, 11);
	assert_int_equal(last, 10);
	assert_int_equal(audit_anchors(f->st, &a, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(a[0].first_seq, 1);
	assert_int_equal(a[0].last_seq, 6);
	assert_string_equal(a[0].archive, arc1);
	assert_true(a[0].time > 1700000000);
	assert_int_equal(a[1].first_seq, 7);
	assert_int_equal(a[1].last_seq, 10);
	assert_string_equal(a[1].archive, arc2);
	free(a);
}

static void
test_archive_truncated(void **state)
{
	struct fx *f = *state;
	char arc[PATH_MAX];
	int64_t bad = -1;

	snprintf(arc, sizeof(arc), "%s/audit-1.db", f->dir);
	append_n(f->st, 6);
	assert_int_equal(audit_rotate(f->st, arc, 4), 0);
	tamper(arc, "DELETE FROM audit WHERE seq = 4");
	assert_int_equal(audit_verify_archive(f->st, arc, &bad, NULL, 0), -EBADMSG);
	assert_int_equal(bad, 4);
}

static void
test_rotation_refuses_broken_chain(void **state)
{
	struct fx *f = *state;
	char arc[PATH_MAX];

	snprintf(arc, sizeof(arc), "%s/audit-1.db", f->dir);
	append_n(f->st, 6);
	tamper(f->db, "UPDATE audit SET user = 'mallory' WHERE seq = 2");
	assert_int_equal(audit_rotate(f->st, arc, 4), -EBADMSG);
	assert_int_equal(access(arc, F_OK), -1);
}

static void
test_json(void **state)
{
	struct fx *f = *state;
	struct audit_rec in, out;
	struct buf b;

	rec_fill(&in, 1);
	snprintf(in.summary, sizeof(in.summary), "quote \" and\nnewline");
	assert_int_equal(audit_append(f->st, &in, &out), 0);
	buf_init(&b);
	audit_rec_json(&out, &b);
	assert_false(buf_failed(&b));
	assert_non_null(strstr(buf_str(&b), "{\"seq\":1,\"time\":1700000001,\"uid\":1000,"
					    "\"user\":\"alice\",\"role\":\"admin\","
					    "\"domain\":\"crypto\",\"kind\":\"change\","));
	assert_non_null(strstr(buf_str(&b), "\"summary\":\"quote \\\" and\\u000anewline\","
					    "\"outcome\":\"ok\",\"prev_hash\":\""));
	assert_int_equal(buf_str(&b)[b.len - 1], '}');
	buf_free(&b);
}

/* A caller refused at the socket has no role (migration 6 lets 'none' in). */
static void
test_role_none(void **state)
{
	struct fx *f = *state;
	struct audit_rec in, out, *list;
	size_t n;

	append_n(f->st, 1);
	rec_fill(&in, 2);
	in.role = AUDIT_ROLE_NONE;
	in.kind = AUDIT_KIND_REFUSED;
	in.outcome = AUDIT_DENIED;
	assert_int_equal(audit_append(f->st, &in, &out), 0);
	assert_int_equal(audit_list(f->st, 0, 10, &list, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(list[1].role, AUDIT_ROLE_NONE);
	assert_string_equal(audit_role_name(list[1].role), "none");
	free(list);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);
}

static size_t
records(struct store *st)
{
	struct audit_rec *list;
	size_t n;

	assert_int_equal(audit_list(st, 0, 1000, &list, &n), 0);
	free(list);
	return n;
}

/* A revision and its record land together, or neither does. */
static void
test_batch(void **state)
{
	struct fx *f = *state;
	struct audit_rec in;
	struct policy p;

	policy_init(&p);
	snprintf(p.node.name, sizeof(p.node.name), "s1");
	p.revision = 1;
	rec_fill(&in, 1);
	assert_int_equal(store_batch_begin(f->st), 0);
	assert_int_equal(store_batch_begin(f->st), -EBUSY); /* batches do not nest */
	assert_int_equal(store_commit(f->st, &p, "alice", NULL), 0);
	assert_int_equal(audit_append(f->st, &in, NULL), 0);
	assert_int_equal(store_batch_end(f->st, 0), 0);
	assert_int_equal(store_revision(f->st), 1);
	assert_int_equal(records(f->st), 1);

	/*
	 * A write that joined the batch fails inside it (a second revision 2 is
	 * stale): it leaves the rollback to the batch, and the first write goes too.
	 */
	p.revision = 2;
	rec_fill(&in, 2);
	assert_int_equal(store_batch_begin(f->st), 0);
	assert_int_equal(audit_append(f->st, &in, NULL), 0);
	assert_int_equal(store_commit(f->st, &p, "alice", NULL), 0);
	assert_int_equal(store_batch_end(f->st, store_commit(f->st, &p, "alice", NULL)), -ESTALE);
	assert_int_equal(store_revision(f->st), 1);
	assert_int_equal(records(f->st), 1);

	/* The owner of the batch fails after both writes: neither stays. */
	assert_int_equal(store_batch_begin(f->st), 0);
	assert_int_equal(store_commit(f->st, &p, "alice", NULL), 0);
	assert_int_equal(audit_append(f->st, &in, NULL), 0);
	assert_int_equal(store_batch_end(f->st, -EIO), -EIO);
	assert_int_equal(store_revision(f->st), 1);
	assert_int_equal(records(f->st), 1);

	/* Outside a batch each write is its own transaction, as before. */
	assert_int_equal(store_commit(f->st, &p, "alice", NULL), 0);
	assert_int_equal(audit_append(f->st, &in, NULL), 0);
	assert_int_equal(store_revision(f->st), 2);
	assert_int_equal(records(f->st), 2);
	assert_int_equal(audit_verify(f->st, NULL, NULL, 0), 0);
	policy_free(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_append_verify, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_triggers_refuse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modified_summary, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modified_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modified_hash_rechained, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_record, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_removed_and_renumbered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swapped_records, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_span_anchors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_archive_truncated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotation_refuses_broken_chain, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_json, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_none, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
