// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_admin.c — the pieces of administration that need no
 * daemon: policy diffs (and their one-line audit summary), the splitting of
 * script lines into words, and roles from uid and groups.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>

#include "cli/adm.h"
#include "cli/script.h"
#include "core/roles.h"
#include "policy/diff.h"
#include "policy/edit.h"

#define KEY_A "YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE="
#define KEY_B "YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI="

static void
edit_ok(struct policy *p, const char *line)
{
	char buf[512], *argv[32];
	const char *why = NULL;
	struct errbuf eb = {0};
	int argc;

	snprintf(buf, sizeof(buf), "%s", line);
	argc = script_split(buf, argv, 32, &why);
	assert_true(argc > 0);
	if (policy_edit(p, argc, argv, &eb) < 0)
		fail_msg("%s: %s", line, eb.text);
}

static void
test_diff(void **state)
{
	struct policy a, b;
	struct buf out;
	char sum[64];

	(void)state;
	policy_init(&a);
	edit_ok(&a, "node set --prefix 10.1.0.0/16");
	assert_int_equal(policy_copy(&b, &a), 0);
	buf_init(&out);
	assert_int_equal(policy_diff(&a, &b, &out), 0);
	assert_string_equal(buf_str(&out), "");
	edit_ok(&b, "site add paris --key " KEY_A " --prefix 10.2.0.0/16");
	edit_ok(&b, "node set --mtu 1400");
	assert_int_equal(policy_diff(&a, &b, &out), 3);
	assert_string_equal(buf_str(&out),
			    "- node set --mode small --default drop --listen-port 51820 --mtu 1420 "
			    "--prefix 10.1.0.0/16\n"
			    "+ node set --mode small --default drop --listen-port 51820 --mtu 1400 "
			    "--prefix 10.1.0.0/16\n"
			    "+ site add paris --key " KEY_A " --prefix 10.2.0.0/16\n");
	/* The summary is cut to fit, and says so. */
	assert_int_equal(policy_diff_summary(&a, &b, sum, sizeof(sum)), 3);
	assert_int_equal(strncmp(sum, "+2 -1; - node set", 17), 0);
	assert_string_equal(sum + strlen(sum) - 3, "...");
	assert_int_equal(strlen(sum), sizeof(sum) - 1);
	buf_free(&out);
	policy_free(&a);
	policy_free(&b);
}

/*
 * Sites are matched by name and rules by priority: a changed site or rule
 * is its old line out and its new line in; unchanged ones, wherever they
 * stand, are not printed.
 */
static void
test_diff_changed(void **state)
{
	struct policy a, b;
	struct buf out;

	(void)state;
	policy_init(&a);
	edit_ok(&a, "node set --prefix 10.1.0.0/16");
	edit_ok(&a, "site add paris --key " KEY_A " --prefix 10.2.0.0/16");
	edit_ok(&a, "site add rome --key " KEY_B " --prefix 10.3.0.0/16");
	edit_ok(&a, "split add 10 --action drop --dst 203.0.113.0/24");
	edit_ok(&a, "split add 20 --action drop --dst 198.51.100.0/24");
	assert_int_equal(policy_copy(&b, &a), 0);
	edit_ok(&b, "site del paris");
	edit_ok(&b, "site add paris --key " KEY_A " --prefix 10.2.0.0/16 10.4.0.0/16");
	edit_ok(&b, "split del 20");
	edit_ok(&b, "split add 20 --action drop --dst 198.51.100.0/25");
	buf_init(&out);
	assert_int_equal(policy_diff(&a, &b, &out), 4);
	assert_string_equal(buf_str(&out),
			    "- site add paris --key " KEY_A " --prefix 10.2.0.0/16\n"
			    "- split add 20 --action drop --dst 198.51.100.0/24\n"
			    "+ site add paris --key " KEY_A " --prefix 10.2.0.0/16 10.4.0.0/16\n"
			    "+ split add 20 --action drop --dst 198.51.100.0/25\n");
	buf_free(&out);
	policy_free(&a);
	policy_free(&b);
}

static void
test_split(void **state)
{
	char line[] = "  site add 'a b' \"c\\\"d\" e\\ f  # comment\n";
	char open[] = "site add 'x\n";
	char *argv[8];
	const char *why = NULL;

	(void)state;
	assert_int_equal(script_split(line, argv, 8, &why), 5);
	assert_string_equal(argv[0], "site");
	assert_string_equal(argv[2], "a b");
	assert_string_equal(argv[3], "c\"d");
	assert_string_equal(argv[4], "e f");
	assert_int_equal(script_split(open, argv, 8, &why), -1);
	assert_string_equal(why, "unterminated quote");
	{
		char many[] = "a b c";
		assert_int_equal(script_split(many, argv, 2, &why), -1);
		assert_string_equal(why, "too many words");
	}
	{
		char blank[] = "   # only a comment\n";
		assert_int_equal(script_split(blank, argv, 8, &why), 0);
	}
}

static void
test_roles(void **state)
{
	gid_t none[] = {65533};
	struct group *g;

	(void)state;
	assert_int_equal(roles_classify(0, NULL, 0), ROLE_ADMIN);
	assert_int_equal(roles_classify(1000, none, 1), ROLE_NONE);
	assert_string_equal(role_name(ROLE_OPERATOR), "operator");
	/* Where make deps made the groups, membership decides. */
	if ((g = getgrnam(ROLES_OPERATOR_GROUP))) {
		gid_t op[] = {65533, g->gr_gid};
		assert_int_equal(roles_classify(1000, op, 2), ROLE_OPERATOR);
	}
	if ((g = getgrnam(ROLES_ADMIN_GROUP))) {
		gid_t ad[] = {g->gr_gid};
		assert_int_equal(roles_classify(1000, ad, 1), ROLE_ADMIN);
	}
}

static void
test_parse_time(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(adm_parse_time("@1700000000", &t), 0);
	assert_int_equal(t, 1700000000);
	assert_int_equal(adm_parse_time("1700000000", &t), 0);
	assert_int_equal(adm_parse_time("2h", &t), 0);
	assert_int_equal(adm_parse_time("2026-11-23 12:00", &t), 0);
	assert_int_equal(adm_parse_time("2026-11-23", &t), 0);
	assert_int_equal(adm_parse_time("2026-11-23T12:00:05", &t), 0);
	assert_int_equal(adm_parse_time("yesterday", &t), -1);
	assert_int_equal(adm_parse_time("5x", &t), -1);
	assert_int_equal(adm_parse_time("", &t), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_diff_changed),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_parse_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
