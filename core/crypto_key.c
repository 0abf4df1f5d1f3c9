// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/crypto_key.c — crypto's identity at rest: the private key sealed in
 * STATE/keystore (wg/keystore.h), opened by `unlock`, created by `key
 * generate`, replaced by `key rotate`. The unlock secret arrives as the
 * bytes of a key file, hex-encoded by umbral (which can read the file: since
 * issue 7 crypto runs as umbral and cannot), as a file path (read here into
 * sodium memory), or as a passphrase word (the control server wipes request
 * payloads after every answer); it is never logged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "storage/store.h"
#include "wg/key.h"
#include "wg/keystore.h"

int
crypto_keystore_path(const struct daemon *d, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/keystore", d->state_dir) < (int)len ? 0 : -ENAMETOOLONG;
}

bool
crypto_has_keystore(const struct daemon *d)
{
	char path[PATH_MAX];

	return crypto_keystore_path(d, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

#define META_PUBLIC "wg.public"

/* The unlock secret, owned: sodium memory, freed (wiped) by secret_free(). */
struct secret {
	uint8_t *bytes;
	size_t len;
};

static void
secret_free(struct secret *s)
{
	sodium_free(s->bytes);
	s->bytes = NULL;
	s->len = 0;
}

/* A key file's bytes that umbral sent as hex, into s. 0 or CTL_INVALID with the reason. */
static int
secret_from_hex(const char *cmd, const char *hex, struct secret *s, struct buf *reply)
{
	size_t hexlen = strlen(hex);

	if (hexlen == 0 || hexlen % 2 || hexlen / 2 > KEYSTORE_SECRET_MAX) {
		buf_printf(reply, "%s: the unlock file must hold 1-%d bytes\n", cmd,
			   KEYSTORE_SECRET_MAX);
		return CTL_INVALID;
	}
	s->bytes = sodium_malloc(hexlen / 2);
	if (!s->bytes)
		return CTL_FAILED;
	if (sodium_hex2bin(s->bytes, hexlen / 2, hex, hexlen, NULL, &s->len, NULL) != 0 ||
	    s->len != hexlen / 2) {
		secret_free(s);
		buf_printf(reply, "%s: malformed unlock secret\n", cmd);
		return CTL_INVALID;
	}
	return 0;
}

/*
 * Takes "--secret-hex HEX" or "--passphrase TEXT" out of argv, and "--force"
 * into *force when force is not NULL. The CLI reads an unlock file itself:
 * crypto opens no path a caller names. Returns 0, or CTL_INVALID with the
 * reason in reply. On success s is the caller's to secret_free().
 */
static int
secret_from_args(const char *cmd, int argc, char **argv, bool *force, struct secret *s,
		 struct buf *reply)
{
	const char *pass = NULL, *hex = NULL;

	for (int i = 0; i < argc; i++) {
		if (force && strcmp(argv[i], "--force") == 0)
			*force = true;
		else if (strcmp(argv[i], "--passphrase") == 0 && i + 1 < argc)
			pass = argv[++i];
		else if (strcmp(argv[i], "--secret-hex") == 0 && i + 1 < argc)
			hex = argv[++i];
		else {
			buf_printf(reply, "%s: unexpected word (give the unlock secret with "
					  "--unlock-file PATH or at the terminal)\n",
				   cmd);
			return CTL_INVALID;
		}
	}
	if ((pass != NULL) + (hex != NULL) != 1) {
		buf_printf(reply, "%s: needs the unlock secret (--unlock-file PATH or the terminal)\n",
			   cmd);
		return CTL_INVALID;
	}
	if (hex)
		return secret_from_hex(cmd, hex, s, reply);
	s->len = strlen(pass);
	if (s->len == 0 || s->len > KEYSTORE_SECRET_MAX) {
		buf_printf(reply, "%s: the passphrase must be 1-%d bytes\n", cmd, KEYSTORE_SECRET_MAX);
		return CTL_INVALID;
	}
	s->bytes = sodium_malloc(s->len);
	if (!s->bytes)
		return CTL_FAILED;
	memcpy(s->bytes, pass, s->len);
	return 0;
}

static void
print_public(const uint8_t *priv, struct buf *reply)
{
	uint8_t pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];

	wg_key_public(pub, priv);
	key_to_base64(b64, pub);
	buf_printf(reply, "%s\n", b64);
}

/*
 * The public half is no secret: kept beside the policy, so that a locked
 * crypto can still check a roster's entry for this node (crypto_public_key).
 * A failure only costs that check while locked, hence a warning.
 */
static void
remember_public(struct daemon *d)
{
	uint8_t pub[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];
	int ret;

	wg_key_public(pub, d->privkey);
	key_to_base64(b64, pub);
	if ((ret = store_meta_set(d->store, META_PUBLIC, b64)) < 0)
		log_warnx("crypto: cannot record the public key: %s", strerror(-ret));
}

int
crypto_public_key(struct daemon *d, uint8_t pub[static WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN + 8];
	int ret;

	if (d->privkey)
		return wg_key_public(pub, d->privkey);
	if ((ret = store_meta_get(d->store, META_PUBLIC, b64, sizeof(b64))) < 0)
		return ret;
	return key_from_base64(pub, b64) < 0 ? -EIO : 0;
}

/* Makes fresh (sodium memory) the identity and applies it. */
static void
adopt(struct daemon *d, uint8_t *fresh, const char *what, struct buf *reply)
{
	struct errbuf eb = {0};

	sodium_free(d->privkey); /* wipes the old identity */
	d->privkey = fresh;
	remember_public(d);
	if (daemon_apply(d, &d->policy, &eb) < 0)
		buf_printf(reply, "warning: %s, but not yet applied: %s", what, eb.text);
	log_info("crypto: %s", what);
}

static int
keystore_error(const char *cmd, int err, struct buf *reply)
{
	switch (err) {
	case -EACCES:
		buf_printf(reply, "%s: wrong unlock secret; nothing changed%s\n", cmd,
			   strcmp(cmd, "unlock") ? "" : ", crypto stays locked");
		log_warnx("crypto: %s refused: wrong unlock secret", cmd);
		return CTL_DENIED;
	case -ENOENT:
		buf_printf(reply, "%s: this node has no key yet (umbral key generate)\n", cmd);
		return CTL_FAILED;
	case -EINVAL:
		buf_printf(reply, "%s: the keystore is corrupt or not a keystore\n", cmd);
		return CTL_FAILED;
	case -EPERM:
		buf_printf(reply, "%s: the keystore or its directory is open to group or others; "
				  "refusing it\n",
			   cmd);
		return CTL_FAILED;
	default:
		buf_printf(reply, "%s: keystore: %s\n", cmd, strerror(-err));
		return CTL_FAILED;
	}
}

/* Opens the keystore with s; on success *out is new sodium memory. Returns 0 or -errno. */
static int
open_keystore(const struct daemon *d, const struct secret *s, uint8_t **out)
{
	char path[PATH_MAX];
	uint8_t *priv;
	int ret;

	if ((ret = crypto_keystore_path(d, path, sizeof(path))) < 0)
		return ret;
	if (!(priv = sodium_malloc(WG_KEY_LEN)))
		return -ENOMEM;
	ret = keystore_unlock(path, s->bytes, s->len, priv);
	if (ret < 0) {
		sodium_free(priv);
		return ret;
	}
	*out = priv;
	return 0;
}

static int
cmd_unlock(struct daemon *d, int argc, char **argv, struct buf *reply)
{
	struct secret s = {0};
	uint8_t *priv = NULL;
	int ret = secret_from_args("unlock", argc - 1, argv + 1, NULL, &s, reply);

	if (ret != 0)
		return ret;
	ret = open_keystore(d, &s, &priv);
	secret_free(&s);
	if (ret < 0)
		return keystore_error("unlock", ret, reply);
	if (d->privkey) {
		sodium_free(priv);
		buf_puts(reply, "crypto: already unlocked\n");
		return CTL_OK;
	}
	adopt(d, priv, "unlocked", reply);
	buf_puts(reply, "crypto: unlocked; public key ");
	print_public(d->privkey, reply);
	return CTL_OK;
}

/*
 * Makes a new identity, seals it under s (a new keystore, or replacing the
 * key in the one there) and takes it. Frees s. Returns a ctl status.
 */
static int
seal_fresh(struct daemon *d, struct secret *s, bool replace, const char *what, const char *done,
	   struct buf *reply)
{
	char path[PATH_MAX];
	uint8_t *fresh = sodium_malloc(WG_KEY_LEN);
	int ret;

	if (!fresh) {
		secret_free(s);
		return CTL_FAILED;
	}
	wg_key_generate(fresh);
	ret = crypto_keystore_path(d, path, sizeof(path));
	if (ret == 0)
		ret = replace ? keystore_replace_key(path, s->bytes, s->len, fresh)
			      : keystore_create(path, s->bytes, s->len, fresh);
	secret_free(s);
	if (ret < 0) {
		sodium_free(fresh);
		return keystore_error(what, ret, reply);
	}
	adopt(d, fresh, done, reply);
	print_public(d->privkey, reply);
	return CTL_OK;
}

/* A new key sealed into a new keystore (force: replacing the one there). */
static int
cmd_generate(struct daemon *d, int argc, char **argv, struct buf *reply)
{
	struct secret s = {0};
	bool force = false;
	int ret = secret_from_args("key generate", argc - 2, argv + 2, &force, &s, reply);

	if (ret != 0)
		return ret;
	if (crypto_has_keystore(d)) {
		secret_free(&s);
		if (!force) {
			buf_puts(reply, "key generate: this node already has a key; key rotate "
					"replaces it (every other site must then learn the new "
					"public key)\n");
			return CTL_INVALID;
		}
		return crypto_key_rotate(d, argc, argv, reply);
	}
	return seal_fresh(d, &s, false, "key generate", "new identity, sealed", reply);
}

int
crypto_key_rotate(struct daemon *d, int argc, char **argv, struct buf *reply)
{
	struct secret s = {0};
	bool force = false;
	int ret = secret_from_args("key rotate", argc - 2, argv + 2, &force, &s, reply);

	if (ret != 0)
		return ret;
	return seal_fresh(d, &s, true, "key rotate", "identity rotated; the old key is wiped",
			  reply);
}

int
crypto_boot_secret_read(struct daemon *d)
{
	int ret = keystore_secret_load(d->unlock_file, &d->boot_secret, &d->boot_secret_len);

	if (ret < 0)
		log_warnx("crypto: unlock file %s: %s; staying locked", d->unlock_file,
			  strerror(-ret));
	return ret;
}

int
crypto_unlock_boot(struct daemon *d)
{
	struct secret s = {d->boot_secret, d->boot_secret_len};
	const char *file = d->unlock_file;
	uint8_t *priv = NULL;
	int ret;

	d->boot_secret = NULL; /* s owns it now */
	d->boot_secret_len = 0;
	if (!s.bytes || !crypto_has_keystore(d)) { /* no key yet: crypto_init says so */
		secret_free(&s);
		return 0;
	}
	ret = open_keystore(d, &s, &priv);
	secret_free(&s);
	if (ret == -ENOENT) {
		log_info("crypto: no key yet (umbral key generate)");
		return 0;
	}
	if (ret < 0) {
		log_warnx("crypto: cannot unlock with %s: %s; staying locked", file,
			  ret == -EACCES ? "wrong unlock secret" : strerror(-ret));
		return ret;
	}
	d->privkey = priv;
	remember_public(d);
	log_info("crypto: unlocked with %s", file);
	return 0;
}

int
crypto_key_cmd(struct daemon *d, int argc, char **argv, struct buf *reply)
{
	if (strcmp(argv[0], "unlock") == 0)
		return cmd_unlock(d, argc, argv, reply);
	if (argc >= 2 && strcmp(argv[1], "generate") == 0)
		return cmd_generate(d, argc, argv, reply);
	if (argc >= 2 && strcmp(argv[1], "rotate") == 0)
		return crypto_key_rotate(d, argc, argv, reply);
	if (argc == 2 && strcmp(argv[1], "public") == 0) {
		if (!d->privkey) {
			buf_puts(reply, crypto_has_keystore(d)
						? "key public: crypto is locked (umbral unlock)\n"
						: "key public: no key yet (umbral key generate)\n");
			return CTL_FAILED;
		}
		print_public(d->privkey, reply);
		return CTL_OK;
	}
	buf_puts(reply, "key: generate | rotate | public\n");
	return CTL_INVALID;
}
