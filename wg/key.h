/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wg/key.h — WireGuard private keys: generation, the public key, and the
 * only code that reads or writes the key file (sealing will live here too).
 *
 * Private keys are WG_KEY_LEN raw bytes that callers keep in sodium_malloc
 * memory; these functions leave no copy of them anywhere else.
 */
#ifndef UMBRAL_WG_KEY_H
#define UMBRAL_WG_KEY_H

#include <stdint.h>

#include "policy/policy.h"

/* Fills priv with a new clamped curve25519 private key. Returns 0 or -errno. */
int wg_key_generate(uint8_t priv[static WG_KEY_LEN]);

/* pub = priv·G, as `wg pubkey` computes it. Returns 0, or -EINVAL for a weak result. */
int wg_key_public(uint8_t pub[static WG_KEY_LEN], const uint8_t priv[static WG_KEY_LEN]);

/*
 * Reads the raw 32-byte key at path into priv. -ENOENT when absent, -EINVAL
 * when the file is not exactly 32 bytes; priv is written only on success.
 */
int wg_key_load(const char *path, uint8_t priv[static WG_KEY_LEN]);

/*
 * Writes priv to path atomically (temp file in the same directory, fsync,
 * rename), mode 0600. Returns 0 or -errno; on failure path is unchanged.
 */
int wg_key_save(const char *path, const uint8_t priv[static WG_KEY_LEN]);

#endif
