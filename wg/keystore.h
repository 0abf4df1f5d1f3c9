/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wg/keystore.h — the node's WireGuard private key sealed at rest in crypto's
 * state directory, under a key derived (Argon2id) from an unlock secret that
 * is not stored beside it: a passphrase typed at the console, or the bytes of
 * a key file on separate media.
 *
 * File format, version 1 (152 bytes, integers little-endian):
 *
 *   off len
 *     0   8  magic "UMBRALKS"
 *     8   1  format version, 1
 *     9   1  KDF, 1 = Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13)
 *    10   2  payload length, 32 in version 1 (the private key)
 *    12   4  reserved, zero
 *    16   8  opslimit
 *    24   8  memlimit (bytes)
 *    32  16  salt
 *    48  24  nonce
 *    72  48  crypto_secretbox_easy(payload): 16-byte MAC, then the payload
 *   120  32  BLAKE2b-256 of bytes 0-119 (unkeyed)
 *
 * The unkeyed checksum only tells accidental corruption (-EINVAL) from a
 * wrong secret (-EACCES); the secretbox MAC is what authenticates, and the
 * header is bound to it because the box key is derived from salt, opslimit
 * and memlimit. Preshared keys will come as a later version's payload.
 *
 * Secrets passed in are only read; secrets handed out go into the caller's
 * sodium_malloc memory and are written only on success. Internal copies
 * live in sodium_malloc memory and are wiped before these functions return.
 * Nothing here logs.
 */
#ifndef UMBRAL_WG_KEYSTORE_H
#define UMBRAL_WG_KEYSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "policy/policy.h"

#define KEYSTORE_FILE_LEN 152
#define KEYSTORE_SECRET_MAX 4096 /* bytes of an unlock secret (key files included) */

/*
 * Seals priv into a new file at path: mode 0600, written atomically (temp
 * file, fsync, link into place, directory fsync). The directory must not be
 * accessible to group or others (expected 0700). Returns 0, -EEXIST (a
 * keystore is already there: use keystore_replace_key), -EPERM (directory
 * mode), -EINVAL (empty or oversized secret), -ENOMEM or -errno.
 */
int keystore_create(const char *path, const uint8_t *secret, size_t secret_len,
		    const uint8_t priv[static WG_KEY_LEN]);

/*
 * Opens the keystore at path into priv_out (WG_KEY_LEN bytes of the
 * caller's sodium_malloc memory). Returns 0; -ENOENT when absent; -EINVAL
 * when it is not a keystore, truncated or corrupted; -EPERM when group or
 * others may access it; -EACCES when the secret is wrong (or the file was
 * forged). On error priv_out is untouched and nothing else happens.
 */
int keystore_unlock(const char *path, const uint8_t *secret, size_t secret_len, uint8_t *priv_out);

/*
 * Changes the unlock secret: the key is opened with old_secret and sealed
 * again under new_secret with a fresh salt and nonce, replacing the file
 * atomically. Errors as keystore_unlock() and keystore_create(); on error
 * the file is unchanged.
 */
int keystore_rekey(const char *path, const uint8_t *old_secret, size_t old_len,
		   const uint8_t *new_secret, size_t new_len);

/*
 * Key rotation: the file must open with secret (so a mistyped secret cannot
 * lock the new key away), then new_priv is sealed under the same secret and
 * replaces it atomically. The old key, decrypted to prove the secret, is
 * wiped; the caller wipes its own copies. On error the file is unchanged.
 */
int keystore_replace_key(const char *path, const uint8_t *secret, size_t secret_len,
			 const uint8_t new_priv[static WG_KEY_LEN]);

/*
 * Reads an unlock key file (1 to KEYSTORE_SECRET_MAX bytes) into new
 * sodium_malloc memory: *out is the caller's to sodium_free(). Returns 0,
 * -ENOENT, -EINVAL (empty or too long), -ENOMEM or -errno.
 */
int keystore_secret_load(const char *path, uint8_t **out, size_t *out_len);

#endif
