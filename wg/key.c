// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/key.c — WireGuard private keys: generation with curve25519 clamping,
 * the public key, and atomic load/save of the raw key file. Sealing at rest
 * will wrap load/save, so nothing else may touch the file.
 */
#include "wg/key.h"
#include "wg/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

int
wg_key_generate(uint8_t priv[static WG_KEY_LEN])
{
	if (sodium_init() < 0)
		return -EIO;
	randombytes_buf(priv, WG_KEY_LEN);
	/* Clamp as curve25519 expects (RFC 7748 §5), as `wg genkey` does. */
	priv[0] &= 248;
	priv[31] = (priv[31] & 127) | 64;
	return 0;
}

int
wg_key_public(uint8_t pub[static WG_KEY_LEN], const uint8_t priv[static WG_KEY_LEN])
{
	uint8_t tmp[WG_KEY_LEN];

	if (sodium_init() < 0)
		return -EIO;
	/* libsodium clamps the scalar itself, so an unclamped key gives wg's answer. */
	if (crypto_scalarmult_curve25519_base(tmp, priv) != 0)
		return -EINVAL;
	memcpy(pub, tmp, WG_KEY_LEN);
	return 0;
}

int
wg_key_load(const char *path, uint8_t priv[static WG_KEY_LEN])
{
	uint8_t *tmp;
	struct stat st;
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size != WG_KEY_LEN) {
		close(fd);
		return -EINVAL;
	}
	tmp = sodium_malloc(WG_KEY_LEN + 1);
	if (!tmp) {
		close(fd);
		return -ENOMEM;
	}
	/* One byte more than a key, so a file that grew since fstat is noticed. */
	n = read(fd, tmp, WG_KEY_LEN + 1);
	if (n < 0)
		ret = -errno;
	else if (n != WG_KEY_LEN)
		ret = -EINVAL;
	else
		memcpy(priv, tmp, WG_KEY_LEN);
	sodium_free(tmp);
	close(fd);
	return ret;
}

int
wg_write_all(int fd, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
wg_key_save(const char *path, const uint8_t priv[static WG_KEY_LEN])
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	/* mkostemp creates the file 0600, so the key is never readable by others. */
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = wg_write_all(fd, priv, WG_KEY_LEN);
	if (ret == 0 && fchmod(fd, 0600) < 0)
		ret = -errno;
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret != 0)
		unlink(tmp);
	return ret;
}
