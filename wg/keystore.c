// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/keystore.c — the private key sealed at rest: Argon2id derives the box
 * key from the unlock secret, crypto_secretbox seals the key, and the file is
 * replaced atomically so that a crash leaves either the old or the new one.
 */
#include "wg/keystore.h"
#include "wg/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#define MAGIC "UMBRALKS"
#define VERSION 1
#define KDF_ARGON2ID13 1
#define OFF_VERSION 8
#define OFF_KDF 9
#define OFF_PAYLOAD_LEN 10
#define OFF_RESERVED 12
#define OFF_OPS 16
#define OFF_MEM 24
#define OFF_SALT 32
#define OFF_NONCE 48
#define OFF_BOX 72
#define BOX_LEN (crypto_secretbox_MACBYTES + WG_KEY_LEN)
#define OFF_SUM (OFF_BOX + BOX_LEN)
#define SUM_LEN 32
/* Bounds on what a file may ask of us, so a forged header cannot exhaust the box. */
#define OPS_MAX 16
#define MEM_MAX (1024ull << 20)

_Static_assert(OFF_SUM + SUM_LEN == KEYSTORE_FILE_LEN, "keystore layout");
_Static_assert(crypto_pwhash_SALTBYTES == 16 && crypto_secretbox_NONCEBYTES == 24,
	       "keystore layout");

static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = n - 1; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool
secret_ok(const uint8_t *secret, size_t len)
{
	return secret && len > 0 && len <= KEYSTORE_SECRET_MAX;
}

static int
read_exact(int fd, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = read(fd, buf + *got, len - *got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		*got += (size_t)n;
	}
	return 0;
}

/* The child's side: derive, hand over the key, exit without the parent's atexit work. */
static void __attribute__((noreturn))
derive_child(int fd, uint8_t *key, const uint8_t *secret, size_t len, const uint8_t *salt,
	     uint64_t ops, uint64_t mem)
{
	if (crypto_pwhash(key, crypto_secretbox_KEYBYTES, (const char *)secret, len, salt, ops,
			  (size_t)mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
		_exit(1);
	_exit(wg_write_all(fd, key, crypto_secretbox_KEYBYTES) == 0 ? 0 : 2);
}

/*
 * The box key, in sodium memory: the caller sodium_free()s *key.
 * Argon2id works in its memory limit (64 MiB for the interactive level),
 * so it runs in a child that hands back only the 32-byte key over a pipe
 * and exits: the daemon's own peak memory stays that of its policy, and
 * Argon2's blocks, derived from the secret, go with the child.
 */
static int
derive(uint8_t **key, const uint8_t *secret, size_t len, const uint8_t *salt, uint64_t ops,
       uint64_t mem)
{
	int fds[2], status = 0, ret;
	size_t got = 0;
	pid_t pid;

	if (!(*key = sodium_malloc(crypto_secretbox_KEYBYTES)))
		return -ENOMEM;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		ret = -errno;
		goto fail;
	}
	if ((pid = fork()) == 0) {
		close(fds[0]);
		derive_child(fds[1], *key, secret, len, salt, ops, mem);
	}
	ret = pid < 0 ? -errno : 0;
	close(fds[1]);
	if (ret == 0 && (ret = read_exact(fds[0], *key, crypto_secretbox_KEYBYTES, &got)) == 0 &&
	    got != crypto_secretbox_KEYBYTES)
		ret = -EIO;
	close(fds[0]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The child exits 1 when Argon2 cannot get its memory; 2 (no write) or a signal: -EIO. */
	if (pid > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		ret = WIFEXITED(status) && WEXITSTATUS(status) == 1 ? -ENOMEM : -EIO;
	if (ret == 0)
		return 0;
fail:
	sodium_free(*key);
	*key = NULL;
	return ret;
}

/* Fills file with priv sealed under secret, with a fresh salt and nonce. */
static int
seal(uint8_t file[KEYSTORE_FILE_LEN], const uint8_t *secret, size_t len,
     const uint8_t priv[WG_KEY_LEN])
{
	uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
	uint8_t *key;
	int ret;

	memset(file, 0, KEYSTORE_FILE_LEN);
	memcpy(file, MAGIC, 8);
	file[OFF_VERSION] = VERSION;
	file[OFF_KDF] = KDF_ARGON2ID13;
	put_le(file + OFF_PAYLOAD_LEN, WG_KEY_LEN, 2);
	put_le(file + OFF_OPS, ops, 8);
	put_le(file + OFF_MEM, mem, 8);
	randombytes_buf(file + OFF_SALT, crypto_pwhash_SALTBYTES);
	randombytes_buf(file + OFF_NONCE, crypto_secretbox_NONCEBYTES);
	if ((ret = derive(&key, secret, len, file + OFF_SALT, ops, mem)) < 0)
		return ret;
	crypto_secretbox_easy(file + OFF_BOX, priv, WG_KEY_LEN, file + OFF_NONCE, key);
	sodium_free(key);
	crypto_generichash(file + OFF_SUM, SUM_LEN, file, OFF_SUM, NULL, 0);
	return 0;
}

/* Everything that can be checked without the secret. */
static int
header_check(const uint8_t file[KEYSTORE_FILE_LEN])
{
	uint8_t sum[SUM_LEN];
	uint64_t ops = get_le(file + OFF_OPS, 8), mem = get_le(file + OFF_MEM, 8);

	crypto_generichash(sum, SUM_LEN, file, OFF_SUM, NULL, 0);
	if (memcmp(file, MAGIC, 8) != 0 || file[OFF_VERSION] != VERSION ||
	    file[OFF_KDF] != KDF_ARGON2ID13 || get_le(file + OFF_PAYLOAD_LEN, 2) != WG_KEY_LEN ||
	    get_le(file + OFF_RESERVED, 4) != 0 || memcmp(sum, file + OFF_SUM, SUM_LEN) != 0)
		return -EINVAL;
	if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > OPS_MAX || mem < crypto_pwhash_MEMLIMIT_MIN ||
	    mem > MEM_MAX)
		return -EINVAL;
	return 0;
}

/* Opens file with secret into priv_out (caller's sodium memory), only on success. */
static int
unseal(const uint8_t file[KEYSTORE_FILE_LEN], const uint8_t *secret, size_t len, uint8_t *priv_out)
{
	uint8_t *key, *plain;
	int ret;

	if ((ret = header_check(file)) < 0)
		return ret;
	plain = sodium_malloc(WG_KEY_LEN);
	if (!plain)
		return -ENOMEM;
	ret = derive(&key, secret, len, file + OFF_SALT, get_le(file + OFF_OPS, 8),
		     get_le(file + OFF_MEM, 8));
	if (ret == 0) {
		if (crypto_secretbox_open_easy(plain, file + OFF_BOX, BOX_LEN, file + OFF_NONCE,
					       key) != 0)
			ret = -EACCES;
		sodium_free(key);
	}
	if (ret == 0)
		memcpy(priv_out, plain, WG_KEY_LEN);
	sodium_free(plain);
	return ret;
}

static int
file_read(const char *path, uint8_t file[KEYSTORE_FILE_LEN])
{
	uint8_t extra;
	struct stat st;
	size_t got = 0, more = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EINVAL;
	else if (st.st_mode & 077)
		ret = -EPERM; /* sealed, but someone else could have copied it: say so */
	else
		ret = read_exact(fd, file, KEYSTORE_FILE_LEN, &got);
	/* One byte more than a keystore, so a file that is too long is noticed. */
	if (ret == 0)
		ret = read_exact(fd, &extra, 1, &more);
	if (ret == 0 && (got != KEYSTORE_FILE_LEN || more != 0))
		ret = -EINVAL;
	close(fd);
	return ret;
}

/* The directory holding path must not be reachable by group or others. */
static int
dir_check(const char *path, char dir[PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	struct stat st;

	if (!slash)
		snprintf(dir, PATH_MAX, ".");
	else if (slash == path)
		snprintf(dir, PATH_MAX, "/");
	else if ((size_t)(slash - path) >= PATH_MAX)
		return -ENAMETOOLONG;
	else
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash - path), path);
	if (stat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	return (st.st_mode & 077) ? -EPERM : 0;
}

static int
dir_sync(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Temp file in the same directory, fsync, then into place: rename when
 * replacing, link when creating (link fails with EEXIST instead of
 * clobbering a key that is already there). Then the directory is synced.
 */
static int
file_write(const char *path, const uint8_t file[KEYSTORE_FILE_LEN], bool replace)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	int fd, ret;

	if ((ret = dir_check(path, dir)) < 0)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
	if (fd < 0)
		return -errno;
	ret = wg_write_all(fd, file, KEYSTORE_FILE_LEN);
	if (ret == 0 && fchmod(fd, 0600) < 0)
		ret = -errno;
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && (replace ? rename(tmp, path) : link(tmp, path)) < 0)
		ret = -errno;
	if (ret != 0 || !replace)
		unlink(tmp);
	if (ret == 0)
		ret = dir_sync(dir);
	return ret;
}

int
keystore_create(const char *path, const uint8_t *secret, size_t secret_len,
		const uint8_t priv[static WG_KEY_LEN])
{
	uint8_t file[KEYSTORE_FILE_LEN];
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if (!secret_ok(secret, secret_len))
		return -EINVAL;
	if ((ret = seal(file, secret, secret_len, priv)) < 0)
		return ret;
	return file_write(path, file, false);
}

int
keystore_unlock(const char *path, const uint8_t *secret, size_t secret_len, uint8_t *priv_out)
{
	uint8_t file[KEYSTORE_FILE_LEN];
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if ((ret = file_read(path, file)) < 0)
		return ret;
	if (!secret_ok(secret, secret_len))
		return -EACCES; /* no secret opens it; not a fault of the file */
	return unseal(file, secret, secret_len, priv_out);
}

/* Opens path with secret, seals new_priv (NULL: the old key) under new_secret, replaces it. */
static int
reseal(const char *path, const uint8_t *secret, size_t len, const uint8_t *new_secret,
       size_t new_len, const uint8_t *new_priv)
{
	uint8_t file[KEYSTORE_FILE_LEN], *old;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if (!secret_ok(new_secret, new_len))
		return -EINVAL;
	old = sodium_malloc(WG_KEY_LEN);
	if (!old)
		return -ENOMEM;
	ret = keystore_unlock(path, secret, len, old);
	if (ret == 0)
		ret = seal(file, new_secret, new_len, new_priv ? new_priv : old);
	sodium_free(old); /* wipes the old key */
	if (ret == 0)
		ret = file_write(path, file, true);
	return ret;
}

int
keystore_rekey(const char *path, const uint8_t *old_secret, size_t old_len,
	       const uint8_t *new_secret, size_t new_len)
{
	return reseal(path, old_secret, old_len, new_secret, new_len, NULL);
}

int
keystore_replace_key(const char *path, const uint8_t *secret, size_t secret_len,
		     const uint8_t new_priv[static WG_KEY_LEN])
{
	return reseal(path, secret, secret_len, secret, secret_len, new_priv);
}

int
keystore_secret_load(const char *path, uint8_t **out, size_t *out_len)
{
	uint8_t *buf;
	struct stat st;
	size_t got = 0;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	buf = S_ISREG(st.st_mode) ? sodium_malloc(KEYSTORE_SECRET_MAX + 1) : NULL;
	if (!buf) {
		close(fd);
		return S_ISREG(st.st_mode) ? -ENOMEM : -EINVAL;
	}
	ret = read_exact(fd, buf, KEYSTORE_SECRET_MAX + 1, &got);
	close(fd);
	if (ret == 0 && (got == 0 || got > KEYSTORE_SECRET_MAX))
		ret = -EINVAL;
	if (ret < 0) {
		sodium_free(buf);
		return ret;
	}
	*out = buf;
	*out_len = got;
	return 0;
}
