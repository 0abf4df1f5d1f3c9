// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_keystore.c — the sealed private key: round trip, wrong
 * secret, every corruption, file and directory modes, no key bytes in the
 * file, rekey and key rotation. Each test works in its own temp directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wg/key.h"
#include "wg/keystore.h"

#define PASS ((const uint8_t *)"correct horse battery staple")
#define PASS_LEN (sizeof("correct horse battery staple") - 1)
#define OTHER ((const uint8_t *)"Tr0ub4dor&3")
#define OTHER_LEN (sizeof("Tr0ub4dor&3") - 1)

struct fixture {
	char dir[64];
	char path[128];
	uint8_t *priv; /* sodium_malloc */
	uint8_t *out;  /* sodium_malloc */
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/umbral-ks-XXXXXX");
	if (!mkdtemp(f->dir)) /* 0700 */
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/wg.key", f->dir);
	f->priv = sodium_malloc(WG_KEY_LEN);
	f->out = sodium_malloc(WG_KEY_LEN);
	if (!f->priv || !f->out || wg_key_generate(f->priv) < 0)
		return -1;
	*state = f;
	return 0;
}

/* Removes everything in the directory, then the directory: the test leaves nothing. */
static int
teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *e;
	char p[PATH_MAX];
	DIR *d = opendir(f->dir);

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
	chmod(f->dir, 0700);
	rmdir(f->dir);
	sodium_free(f->priv);
	sodium_free(f->out);
	free(f);
	return 0;
}

static size_t
slurp(const char *path, uint8_t *buf, size_t cap)
{
	FILE *fp = fopen(path, "rb");
	size_t n;

	assert_non_null(fp);
	n = fread(buf, 1, cap, fp);
	fclose(fp);
	return n;
}

static void
spill(const char *path, const uint8_t *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static int
dir_entries(const char *dir)
{
	struct dirent *e;
	int n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* Neither the raw key nor its base64 (as `wg genkey` prints it) is in the file. */
static void
assert_key_absent(const char *path, const uint8_t *priv)
{
	uint8_t file[512];
	char b64[WG_KEY_B64_LEN];
	size_t n = slurp(path, file, sizeof(file));

	key_to_base64(b64, priv);
	assert_null(memmem(file, n, priv, WG_KEY_LEN));
	assert_null(memmem(file, n, b64, WG_KEY_B64_LEN - 1));
	/* Nor any 8-byte run of it, which a partial leak would show. */
	for (size_t i = 0; i + 8 <= WG_KEY_LEN; i++)
		assert_null(memmem(file, n, priv + i, 8));
	sodium_memzero(b64, sizeof(b64));
}

static void
test_round_trip(void **state)
{
	struct fixture *f = *state;
	uint8_t before[KEYSTORE_FILE_LEN], after[KEYSTORE_FILE_LEN];
	struct stat st;

	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -ENOENT);
	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, KEYSTORE_FILE_LEN);
	assert_int_equal(dir_entries(f->dir), 1); /* no temp file left behind */
	assert_key_absent(f->path, f->priv);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), 0);
	assert_memory_equal(f->out, f->priv, WG_KEY_LEN);
	/* Create never clobbers an existing keystore. */
	slurp(f->path, before, sizeof(before));
	assert_int_equal(keystore_create(f->path, OTHER, OTHER_LEN, f->priv), -EEXIST);
	slurp(f->path, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(dir_entries(f->dir), 1);
	/* Two seals of one key under one secret differ (fresh salt and nonce). */
	snprintf(f->path + strlen(f->path), 8, ".2");
	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	slurp(f->path, after, sizeof(after));
	assert_memory_not_equal(before + 32, after + 32, 16 + 24);
	assert_int_equal(keystore_create(f->path, PASS, 0, f->priv), -EINVAL);
}

static void
test_wrong_secret(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	memset(f->out, 0x77, WG_KEY_LEN);
	assert_int_equal(keystore_unlock(f->path, OTHER, OTHER_LEN, f->out), -EACCES);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN - 1, f->out), -EACCES);
	assert_int_equal(keystore_unlock(f->path, PASS, 0, f->out), -EACCES);
	for (size_t i = 0; i < WG_KEY_LEN; i++)
		assert_int_equal(f->out[i], 0x77); /* untouched on error */
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), 0);
}

/* Every flipped byte, every truncation and an extra byte: -EINVAL, no KDF run. */
static void
test_corrupt(void **state)
{
	struct fixture *f = *state;
	uint8_t good[KEYSTORE_FILE_LEN + 1], bad[KEYSTORE_FILE_LEN + 1];

	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	slurp(f->path, good, sizeof(good));
	for (size_t i = 0; i < KEYSTORE_FILE_LEN; i++) {
		memcpy(bad, good, KEYSTORE_FILE_LEN);
		bad[i] ^= 0x20;
		spill(f->path, bad, KEYSTORE_FILE_LEN);
		assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EINVAL);
	}
	for (size_t n = 0; n < KEYSTORE_FILE_LEN; n++) {
		spill(f->path, good, n);
		assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EINVAL);
	}
	memcpy(bad, good, KEYSTORE_FILE_LEN);
	bad[KEYSTORE_FILE_LEN] = 0;
	spill(f->path, bad, KEYSTORE_FILE_LEN + 1);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EINVAL);
	/* A forger who fixes the checksum still meets the MAC: -EACCES. */
	memcpy(bad, good, KEYSTORE_FILE_LEN);
	bad[80] ^= 0x01;
	crypto_generichash(bad + 120, 32, bad, 120, NULL, 0);
	spill(f->path, bad, KEYSTORE_FILE_LEN);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EACCES);
	/* A header asking for absurd Argon2 memory is refused before any work. */
	memcpy(bad, good, KEYSTORE_FILE_LEN);
	bad[24 + 5] = 0x10; /* memlimit 16 TiB */
	crypto_generichash(bad + 120, 32, bad, 120, NULL, 0);
	spill(f->path, bad, KEYSTORE_FILE_LEN);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EINVAL);
	spill(f->path, good, KEYSTORE_FILE_LEN);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), 0);
	assert_memory_equal(f->out, f->priv, WG_KEY_LEN);
}

static void
test_modes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	assert_int_equal(chmod(f->path, 0640), 0);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EPERM);
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(keystore_rekey(f->path, PASS, PASS_LEN, OTHER, OTHER_LEN), -EPERM);
	unlink(f->path);
	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), -EPERM);
	assert_int_equal(chmod(f->dir, 0700), 0);
	assert_int_equal(dir_entries(f->dir), 0);
	/* A symlink is not followed to a keystore elsewhere. */
	assert_int_equal(symlink("/etc/passwd", f->path), 0);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -ELOOP);
}

static void
test_rekey(void **state)
{
	struct fixture *f = *state;
	uint8_t before[KEYSTORE_FILE_LEN], after[KEYSTORE_FILE_LEN];

	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	slurp(f->path, before, sizeof(before));
	assert_int_equal(keystore_rekey(f->path, OTHER, OTHER_LEN, OTHER, OTHER_LEN), -EACCES);
	assert_int_equal(keystore_rekey(f->path, PASS, PASS_LEN, OTHER, 0), -EINVAL);
	slurp(f->path, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before)); /* unchanged on error */
	assert_int_equal(keystore_rekey(f->path, PASS, PASS_LEN, OTHER, OTHER_LEN), 0);
	assert_int_equal(dir_entries(f->dir), 1);
	assert_key_absent(f->path, f->priv);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), -EACCES);
	assert_int_equal(keystore_unlock(f->path, OTHER, OTHER_LEN, f->out), 0);
	assert_memory_equal(f->out, f->priv, WG_KEY_LEN);
}

static void
test_replace_key(void **state)
{
	struct fixture *f = *state;
	uint8_t before[KEYSTORE_FILE_LEN], after[KEYSTORE_FILE_LEN];
	uint8_t *next = sodium_malloc(WG_KEY_LEN);

	assert_non_null(next);
	assert_int_equal(wg_key_generate(next), 0);
	assert_int_equal(keystore_create(f->path, PASS, PASS_LEN, f->priv), 0);
	slurp(f->path, before, sizeof(before));
	assert_int_equal(keystore_replace_key(f->path, OTHER, OTHER_LEN, next), -EACCES);
	slurp(f->path, after, sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(keystore_replace_key(f->path, PASS, PASS_LEN, next), 0);
	assert_int_equal(dir_entries(f->dir), 1);
	assert_key_absent(f->path, next);
	assert_key_absent(f->path, f->priv);
	assert_int_equal(keystore_unlock(f->path, PASS, PASS_LEN, f->out), 0);
	assert_memory_equal(f->out, next, WG_KEY_LEN);
	assert_memory_not_equal(f->out, f->priv, WG_KEY_LEN);
	assert_int_equal(keystore_replace_key(f->path, PASS, PASS_LEN, next), 0);
	unlink(f->path);
	assert_int_equal(keystore_replace_key(f->path, PASS, PASS_LEN, next), -ENOENT);
	sodium_free(next);
}

static void
test_secret_file(void **state)
{
	struct fixture *f = *state;
	char kpath[128];
	uint8_t bytes[64], *secret = NULL, big[KEYSTORE_SECRET_MAX + 1];
	size_t len = 0;

	snprintf(kpath, sizeof(kpath), "%s/unlock.key", f->dir);
	assert_int_equal(keystore_secret_load(kpath, &secret, &len), -ENOENT);
	randombytes_buf(bytes, sizeof(bytes));
	spill(kpath, bytes, sizeof(bytes));
	assert_int_equal(keystore_secret_load(kpath, &secret, &len), 0);
	assert_int_equal(len, sizeof(bytes));
	assert_int_equal(keystore_create(f->path, secret, len, f->priv), 0);
	assert_int_equal(keystore_unlock(f->path, secret, len, f->out), 0);
	assert_memory_equal(f->out, f->priv, WG_KEY_LEN);
	sodium_free(secret);
	secret = NULL;
	spill(kpath, bytes, 0);
	assert_int_equal(keystore_secret_load(kpath, &secret, &len), -EINVAL);
	memset(big, 1, sizeof(big));
	spill(kpath, big, sizeof(big));
	assert_int_equal(keystore_secret_load(kpath, &secret, &len), -EINVAL);
	assert_null(secret);
	assert_int_equal(keystore_secret_load(f->dir, &secret, &len), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrong_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rekey, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_secret_file, setup, teardown),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
