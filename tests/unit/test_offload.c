// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_offload.c — which link features each domain wants
 * (policy/offload.c): GRO where red receives from crypto, TSO off where
 * crypto sends to red only with wireguard-go, nothing in black.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "policy/offload.h"

static void
test_plan_red(void **state)
{
	struct offload_want w[OFFLOAD_WANT_MAX];

	(void)state;
	/* Red cannot know crypto's backend, and needs not: GRO is inert behind TSO. */
	for (int userspace = 0; userspace < 2; userspace++) {
		assert_int_equal(offload_plan(DOMAIN_RED, userspace, w, OFFLOAD_WANT_MAX), 1);
		assert_string_equal(w[0].link, "to-crypto");
		assert_int_equal(w[0].feature, OFFLOAD_GRO);
		assert_true(w[0].on);
	}
}

static void
test_plan_crypto(void **state)
{
	struct offload_want w[OFFLOAD_WANT_MAX];

	(void)state;
	assert_int_equal(offload_plan(DOMAIN_CRYPTO, true, w, OFFLOAD_WANT_MAX), 1);
	assert_string_equal(w[0].link, "to-red");
	assert_int_equal(w[0].feature, OFFLOAD_TSO);
	assert_false(w[0].on);
	/* The kernel's WireGuard hands over aggregates: TSO keeps them whole. */
	assert_int_equal(offload_plan(DOMAIN_CRYPTO, false, w, OFFLOAD_WANT_MAX), 1);
	assert_string_equal(w[0].link, "to-red");
	assert_true(w[0].on);
}

static void
test_plan_black(void **state)
{
	struct offload_want w[OFFLOAD_WANT_MAX];

	(void)state;
	assert_int_equal(offload_plan(DOMAIN_BLACK, true, w, OFFLOAD_WANT_MAX), 0);
	assert_int_equal(offload_plan(DOMAIN_BLACK, false, w, OFFLOAD_WANT_MAX), 0);
	/* Nothing wanted: nothing opened, nothing touched. */
	assert_int_equal(offload_apply(DOMAIN_BLACK, true), 0);
}

static void
test_plan_cut(void **state)
{
	struct offload_want w[1] = {{.link = NULL}};

	(void)state;
	/* The count says how many were wanted; only n are written. */
	assert_int_equal(offload_plan(DOMAIN_RED, false, w, 0), 1);
	assert_null(w[0].link);
	assert_int_equal(offload_plan(DOMAIN_COUNT, false, w, 1), 0);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(offload_feature_name(OFFLOAD_GRO), "gro");
	assert_string_equal(offload_feature_name(OFFLOAD_TSO), "tso");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plan_red),   cmocka_unit_test(test_plan_crypto),
	    cmocka_unit_test(test_plan_black), cmocka_unit_test(test_plan_cut),
	    cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
