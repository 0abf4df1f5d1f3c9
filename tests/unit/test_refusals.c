// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_refusals.c — the rate limit on audit records of refused
 * callers: a burst, then one per refill interval, every suppressed refusal
 * accounted for in a summary, uids apart, and a table that never grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/refusals.h"

/* n refusals of uid from t, dt apart; returns how many were to be recorded. */
static unsigned
flood(struct refusals *r, uid_t uid, unsigned n, double t, double dt, uint64_t *summarized)
{
	struct refusals_summary sum;
	unsigned rec = 0;

	for (unsigned i = 0; i < n; i++) {
		if (refusals_hit(r, uid, t + i * dt, &sum))
			rec++;
		if (summarized)
			*summarized += sum.suppressed;
	}
	return rec;
}

static void
test_burst_then_summary(void **state)
{
	struct refusals r;
	struct refusals_summary sum;
	uint64_t summarized = 0;

	(void)state;
	refusals_init(&r, 10, 60);
	assert_float_equal(refusals_next(&r, 0), -1, 0);
	/* 200 refusals in two seconds: the burst is recorded, the rest counted. */
	assert_int_equal(flood(&r, 1001, 200, 100, 0.01, &summarized), 10);
	assert_int_equal(summarized, 0);
	assert_false(refusals_due(&r, 102, &sum));
	/* Ten tokens from 100 on, refilling since: the eleventh is there at 160. */
	assert_float_equal(refusals_next(&r, 102), 58, 0.001);
	assert_false(refusals_due(&r, 159.9, &sum));
	assert_true(refusals_due(&r, 160.1, &sum));
	assert_false(sum.others);
	assert_int_equal(sum.uid, 1001);
	assert_int_equal(sum.suppressed, 190);
	assert_float_equal(sum.seconds, 60.0, 0.001); /* from the first suppressed, at 100.1 */
	/* Paid for: nothing more is owed, and the summary took the token. */
	assert_false(refusals_due(&r, 160.1, &sum));
	assert_float_equal(refusals_next(&r, 160.1), -1, 0);
	assert_false(refusals_hit(&r, 1001, 160.2, &sum));
	assert_int_equal(sum.suppressed, 0);
}

static void
test_summary_rides_with_next_record(void **state)
{
	struct refusals r;
	struct refusals_summary sum;

	(void)state;
	refusals_init(&r, 2, 1);
	assert_int_equal(flood(&r, 7, 5, 0, 0, NULL), 2);
	/* A token back: this refusal is recorded, and the three before it summed up first. */
	assert_true(refusals_hit(&r, 7, 1.5, &sum));
	assert_int_equal(sum.suppressed, 3);
	assert_int_equal(sum.uid, 7);
	assert_float_equal(refusals_next(&r, 1.5), -1, 0);
	/* Idle long enough, the bucket is full again: the burst once more. */
	assert_int_equal(flood(&r, 7, 3, 100, 0, NULL), 2);
}

static void
test_uids_apart(void **state)
{
	struct refusals r;
	struct refusals_summary sum;

	(void)state;
	refusals_init(&r, 0, 0); /* the defaults */
	assert_int_equal(r.burst, REFUSALS_BURST);
	assert_float_equal(r.refill_s, REFUSALS_REFILL_S, 0);
	assert_int_equal(flood(&r, 1001, 50, 0, 0, NULL), REFUSALS_BURST);
	/* Another user's flood does not use up the first one's records, nor the reverse. */
	assert_int_equal(flood(&r, 1002, 50, 0, 0, NULL), REFUSALS_BURST);
	assert_true(refusals_due(&r, REFUSALS_REFILL_S, &sum));
	assert_true(refusals_due(&r, REFUSALS_REFILL_S, &sum));
	assert_false(refusals_due(&r, REFUSALS_REFILL_S, &sum));
}

static void
test_time_going_back(void **state)
{
	struct refusals r;
	struct refusals_summary sum;

	(void)state;
	refusals_init(&r, 1, 10);
	assert_true(refusals_hit(&r, 5, 100, &sum));
	/* An earlier time refills nothing, and later times count from the newest seen. */
	assert_false(refusals_hit(&r, 5, 50, &sum));
	assert_false(refusals_due(&r, 109, &sum));
	assert_true(refusals_due(&r, 110, &sum));
	assert_int_equal(sum.suppressed, 1);
}

static void
test_table_is_bounded(void **state)
{
	struct refusals r;
	struct refusals_summary sum;
	uint64_t owed = 0;
	unsigned rec = 0, n = 0;

	(void)state;
	refusals_init(&r, 1, 60);
	/* Each slot's uid owes a summary: none can be reused. */
	for (uid_t u = 0; u < REFUSALS_SLOTS; u++)
		rec += flood(&r, 2000 + u, 2, 0, 0, NULL);
	assert_int_equal(rec, REFUSALS_SLOTS);
	/* Every further uid shares one bucket. */
	rec = 0;
	for (uid_t u = 0; u < 100; u++)
		rec += flood(&r, 5000 + u, 1, 1, 0, NULL);
	assert_int_equal(rec, 1);
	while (refusals_due(&r, 61, &sum)) {
		n++;
		owed += sum.suppressed;
		if (sum.others)
			assert_int_equal(sum.suppressed, 99);
	}
	/* One summary per slot and one for the others: every refusal accounted for. */
	assert_int_equal(n, REFUSALS_SLOTS + 1);
	assert_int_equal(owed, REFUSALS_SLOTS + 99);
	/* Slots full and owing nothing are reused by new uids. */
	assert_true(refusals_hit(&r, 9999, 200, &sum));
	assert_int_equal(sum.suppressed, 0);
	n = 0;
	for (int i = 0; i < REFUSALS_SLOTS; i++)
		n += r.slot[i].used && r.slot[i].uid == 9999;
	assert_int_equal(n, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_summary),
	    cmocka_unit_test(test_summary_rides_with_next_record),
	    cmocka_unit_test(test_uids_apart),
	    cmocka_unit_test(test_time_going_back),
	    cmocka_unit_test(test_table_is_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
