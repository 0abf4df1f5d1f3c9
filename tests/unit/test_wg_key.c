// SPDX-License-Identifier: GPL-2.0-only
/* tests/unit/test_wg_key.c — key generation, public keys, key file round trip. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "wg/key.h"

/* Computed with wireguard-tools: echo PRIV | wg pubkey. */
static const char *priv_b64 = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
static const char *pub_b64 = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=";

static void
test_public_vector(void **state)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];

	(void)state;
	assert_int_equal(key_from_base64(priv, priv_b64), 0);
	assert_int_equal(wg_key_public(pub, priv), 0);
	key_to_base64(b64, pub);
	assert_string_equal(b64, pub_b64);
}

static void
test_generate(void **state)
{
	uint8_t a[WG_KEY_LEN], b[WG_KEY_LEN], pub[WG_KEY_LEN];

	(void)state;
	assert_int_equal(wg_key_generate(a), 0);
	assert_int_equal(wg_key_generate(b), 0);
	assert_memory_not_equal(a, b, WG_KEY_LEN);
	assert_int_equal(a[0] & 7, 0);
	assert_int_equal(a[31] & 0xc0, 0x40);
	assert_int_equal(wg_key_public(pub, a), 0);
}

static void
test_save_load(void **state)
{
	char dir[] = "/tmp/test_wg_keyXXXXXX", path[64];
	uint8_t priv[WG_KEY_LEN], got[WG_KEY_LEN];
	struct stat st;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/wg.key", dir);
	memset(got, 0xaa, sizeof(got));
	assert_int_equal(wg_key_load(path, got), -ENOENT);
	assert_int_equal(got[0], 0xaa); /* untouched on failure */

	assert_int_equal(wg_key_generate(priv), 0);
	assert_int_equal(wg_key_save(path, priv), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, WG_KEY_LEN);
	assert_int_equal(wg_key_load(path, got), 0);
	assert_memory_equal(priv, got, WG_KEY_LEN);

	/* Saving again replaces the file atomically. */
	assert_int_equal(wg_key_generate(priv), 0);
	assert_int_equal(wg_key_save(path, priv), 0);
	assert_int_equal(wg_key_load(path, got), 0);
	assert_memory_equal(priv, got, WG_KEY_LEN);

	/* A file of the wrong size is not a key. */
	f = fopen(path, "ab");
	assert_non_null(f);
	fputc('x', f);
	fclose(f);
	assert_int_equal(wg_key_load(path, got), -EINVAL);

	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_public_vector),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_save_load),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
