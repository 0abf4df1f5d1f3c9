// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_rps.c — receive steering (policy/rps.c): the mask as the
 * kernel prints it, and rps_apply_at on a scratch sysfs tree.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy/rps.h"

static void
test_mask_format(void **state)
{
	unsigned long long cpus[4] = {0};
	char out[RPS_MASK_MAX], tiny[4];

	(void)state;
	assert_int_equal(rps_mask_format(cpus, 256, out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	cpus[0] = 3;
	assert_int_equal(rps_mask_format(cpus, 256, out, sizeof(out)), 0);
	assert_string_equal(out, "3");
	cpus[0] = 1ULL << 33 | 1;
	assert_int_equal(rps_mask_format(cpus, 256, out, sizeof(out)), 0);
	assert_string_equal(out, "2,00000001");
	cpus[1] = 1; /* CPU 64 */
	assert_int_equal(rps_mask_format(cpus, 256, out, sizeof(out)), 0);
	assert_string_equal(out, "1,00000002,00000001");
	assert_int_equal(rps_mask_format(cpus, 256, tiny, sizeof(tiny)), -ENOSPC);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
expect(const char *path, const char *text)
{
	char got[64] = "";
	FILE *f = fopen(path, "r");

	assert_true(strlen(text) < sizeof(got));
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	/* A scratch file keeps what a shorter write leaves after it; sysfs would not. */
	got[strlen(text)] = '\0';
	assert_string_equal(got, text);
}

/* Every rx queue of every link but lo gets the mask; one already equal is left alone. */
static void
test_apply_tree(void **state)
{
	char root[] = "/tmp/test_rps.XXXXXX", p[512];
	const char *dirs[] = {"class", "class/net", "class/net/lo", "class/net/lo/queues",
			      "class/net/lo/queues/rx-0", "class/net/to-red",
			      "class/net/to-red/queues", "class/net/to-red/queues/rx-0",
			      "class/net/to-red/queues/rx-1", "class/net/to-red/queues/tx-0",
			      "class/net/wan", "class/net/wan/queues",
			      "class/net/wan/queues/rx-0"};
	size_t nd = sizeof(dirs) / sizeof(dirs[0]);

	(void)state;
	assert_non_null(mkdtemp(root));
	for (size_t i = 0; i < nd; i++) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		assert_int_equal(mkdir(p, 0700), 0);
	}
	const char *files[] = {"lo/queues/rx-0", "to-red/queues/rx-0", "to-red/queues/rx-1",
			       "wan/queues/rx-0"};
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/class/net/%s/rps_cpus", root, files[i]);
		/* wan holds the same CPUs already, written the kernel's long way */
		put(p, i == 3 ? "00000000,00000003\n" : "0\n");
	}
	assert_int_equal(rps_apply_at(root, "3"), 0);
	snprintf(p, sizeof(p), "%s/class/net/lo/queues/rx-0/rps_cpus", root);
	expect(p, "0\n");
	snprintf(p, sizeof(p), "%s/class/net/to-red/queues/rx-0/rps_cpus", root);
	expect(p, "3");
	snprintf(p, sizeof(p), "%s/class/net/to-red/queues/rx-1/rps_cpus", root);
	expect(p, "3");
	snprintf(p, sizeof(p), "%s/class/net/wan/queues/rx-0/rps_cpus", root);
	expect(p, "00000000,00000003\n");
	/* A queue that cannot be written is reported; the others are still set. */
	snprintf(p, sizeof(p), "%s/class/net/to-red/queues/rx-1/rps_cpus", root);
	unlink(p);
	assert_int_equal(mkdir(p, 0700), 0);
	assert_true(rps_apply_at(root, "1") < 0);
	snprintf(p, sizeof(p), "%s/class/net/wan/queues/rx-0/rps_cpus", root);
	expect(p, "1");
	assert_int_equal(rps_apply_at("/nonexistent-umbral-root", "3"), -ENOENT);
	snprintf(p, sizeof(p), "%s/class/net/to-red/queues/rx-1/rps_cpus", root);
	rmdir(p);
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof(p), "%s/class/net/%s/rps_cpus", root, files[i]);
		unlink(p);
	}
	for (size_t i = nd; i-- > 0;) {
		snprintf(p, sizeof(p), "%s/%s", root, dirs[i]);
		rmdir(p);
	}
	rmdir(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mask_format),
	    cmocka_unit_test(test_apply_tree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
