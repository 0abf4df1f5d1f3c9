// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/uapi.c — wireguard-go's UAPI text protocol ("set=1"/"get=1", key=value
 * lines, keys in hex), formatted and parsed without I/O. The parser reads
 * outside input: every line is bounded and every value checked.
 */
#include "wg/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "core/log.h"
#include "wg/key.h"

/* Longest lines we write: "allowed_ip=" + 49, "endpoint=" + 56, keys 11+64. */
#define SET_DEV_MAX 256
#define SET_PEER_MAX 256
#define SET_ALLOWED_MAX 80

size_t
wg_uapi_set_size(const struct wg_diff *d)
{
	size_t n = SET_DEV_MAX + 2;

	n += d->nremove * SET_PEER_MAX;
	for (size_t i = 0; i < d->nupsert; i++)
		n += SET_PEER_MAX + d->upsert[i]->nallowed * SET_ALLOWED_MAX;
	return n;
}

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->full = true;
		return;
	}
	o->len += (size_t)n;
}

/* Hex-encodes a key straight into the output (which may be sodium memory). */
static void
out_key(struct out *o, const char *name, const uint8_t key[WG_KEY_LEN])
{
	size_t need = strlen(name) + 1 + 2 * WG_KEY_LEN + 1;

	if (o->full || o->cap - o->len <= need) {
		o->full = true;
		return;
	}
	out_printf(o, "%s=", name);
	sodium_bin2hex(o->buf + o->len, 2 * WG_KEY_LEN + 1, key, WG_KEY_LEN);
	o->len += 2 * WG_KEY_LEN;
	out_printf(o, "\n");
}

static void
out_peer(struct out *o, const struct wg_peer_conf *p)
{
	char s[64];

	out_key(o, "public_key", p->pubkey);
	/* Replace, not add: the peer ends with exactly these allowed-ips. */
	out_printf(o, "replace_allowed_ips=true\n");
	for (size_t j = 0; j < p->nallowed; j++)
		out_printf(o, "allowed_ip=%s\n", prefix_format(&p->allowed[j], s, sizeof(s)));
	if (p->has_endpoint)
		out_printf(o, "endpoint=%s\n", endpoint_format(&p->endpoint, s, sizeof(s)));
	out_printf(o, "persistent_keepalive_interval=%u\n", p->keepalive);
}

int
wg_uapi_format_set(const struct wg_diff *d, char *buf, size_t cap, size_t *len)
{
	struct out o = {.buf = buf, .cap = cap};

	if (cap == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	out_printf(&o, "set=1\n");
	if (d->privkey)
		out_key(&o, "private_key", d->privkey);
	if (d->set_port)
		out_printf(&o, "listen_port=%u\n", d->listen_port);
	if (d->set_fwmark)
		out_printf(&o, "fwmark=%u\n", d->fwmark);
	for (size_t i = 0; i < d->nremove; i++) {
		out_key(&o, "public_key", d->remove[i]);
		out_printf(&o, "remove=true\n");
	}
	for (size_t i = 0; i < d->nupsert; i++)
		out_peer(&o, d->upsert[i]);
	out_printf(&o, "\n");
	if (o.full) {
		sodium_memzero(buf, cap);
		return -ENOBUFS;
	}
	*len = o.len;
	return 0;
}

/* Strict unsigned decimal: digits only, no sign or space, at most max. */
static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EBADMSG;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EBADMSG;
		if (v > (max - (uint64_t)(*s - '0')) / 10)
			return -EBADMSG;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

static int
parse_hexkey(const char *s, uint8_t key[WG_KEY_LEN])
{
	size_t n = 0;
	const char *end;

	if (strlen(s) != 2 * WG_KEY_LEN)
		return -EBADMSG;
	if (sodium_hex2bin(key, WG_KEY_LEN, s, 2 * WG_KEY_LEN, NULL, &n, &end) != 0 ||
	    n != WG_KEY_LEN || *end)
		return -EBADMSG;
	return 0;
}

/* The device's public key from its private key; the key lives only in sodium memory. */
static int
parse_private(const char *v, struct wg_dev_state *st)
{
	uint8_t *priv = sodium_malloc(WG_KEY_LEN);
	int ret;

	if (!priv)
		return -ENOMEM;
	ret = parse_hexkey(v, priv);
	if (ret == 0 && !sodium_is_zero(priv, WG_KEY_LEN)) {
		ret = wg_key_public(st->pubkey, priv);
		st->has_pubkey = ret == 0;
	}
	sodium_free(priv);
	return ret < 0 ? -EBADMSG : 0;
}

struct get_ctx {
	struct wg_dev_state *st;
	struct wg_peer_state *peer;
	int err; /* from errno=, 1 when none was seen */
};

static int
parse_peer_line(struct get_ctx *c, const char *k, const char *v)
{
	struct wg_peer_state *p = c->peer;
	struct errbuf eb = {0};
	struct prefix a;
	uint64_t n;

	if (strcmp(k, "endpoint") == 0) {
		if (endpoint_parse(v, &p->endpoint, "", &eb) < 0)
			return -EBADMSG;
		p->has_endpoint = true;
	} else if (strcmp(k, "allowed_ip") == 0) {
		if (prefix_parse(v, &a, "", &eb) < 0)
			return -EBADMSG;
		return wg_peer_add_allowed(p, &a);
	} else if (strcmp(k, "last_handshake_time_sec") == 0) {
		if (parse_u64(v, INT64_MAX, &n) < 0)
			return -EBADMSG;
		p->last_handshake = (int64_t)n;
	} else if (strcmp(k, "rx_bytes") == 0) {
		return parse_u64(v, UINT64_MAX, &p->rx_bytes);
	} else if (strcmp(k, "tx_bytes") == 0) {
		return parse_u64(v, UINT64_MAX, &p->tx_bytes);
	} else if (strcmp(k, "persistent_keepalive_interval") == 0) {
		if (parse_u64(v, UINT16_MAX, &n) < 0)
			return -EBADMSG;
		p->keepalive = (uint16_t)n;
	}
	return 0; /* unknown keys: newer wireguard-go, ignored */
}

static int
parse_line(struct get_ctx *c, const char *k, const char *v)
{
	uint8_t key[WG_KEY_LEN];
	uint64_t n;

	if (strcmp(k, "errno") == 0) {
		if (parse_u64(v, 4095, &n) < 0)
			return -EBADMSG;
		c->err = (int)n;
		return 0;
	}
	if (strcmp(k, "public_key") == 0) {
		if (parse_hexkey(v, key) < 0)
			return -EBADMSG;
		c->peer = wg_state_add_peer(c->st, key);
		return c->peer ? 0 : -ENOMEM;
	}
	if (c->peer)
		return parse_peer_line(c, k, v);
	if (strcmp(k, "private_key") == 0)
		return parse_private(v, c->st);
	if (strcmp(k, "listen_port") == 0) {
		if (parse_u64(v, UINT16_MAX, &n) < 0)
			return -EBADMSG;
		c->st->listen_port = (uint16_t)n;
	} else if (strcmp(k, "fwmark") == 0) {
		if (parse_u64(v, UINT32_MAX, &n) < 0)
			return -EBADMSG;
		c->st->fwmark = (uint32_t)n;
	}
	return 0;
}

/*
 * Splits text into lines and each at its first '='. A line is copied into
 * sodium memory, so a private key is never left in a stack buffer.
 */
static int
parse_lines(const char *text, size_t len, struct get_ctx *c)
{
	char *line = sodium_malloc(WG_UAPI_LINE_MAX + 1);
	size_t pos = 0, lineno = 0;
	int ret = -EBADMSG;

	if (!line)
		return -ENOMEM;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *eq;

		lineno++;
		if (!nl || ll > WG_UAPI_LINE_MAX) {
			log_warnx("%s: line %zu: %s", __func__, lineno, nl ? "too long" : "unterminated");
			ret = -EBADMSG;
			break;
		}
		if (ll == 0) { /* the blank line ends the reply */
			ret = c->err < 0 ? -EBADMSG : 0;
			break;
		}
		memcpy(line, text + pos, ll);
		line[ll] = '\0';
		pos += ll + 1;
		eq = strchr(line, '=');
		if (!eq || eq == line || memchr(line, '\0', ll)) {
			log_warnx("%s: line %zu: not key=value", __func__, lineno);
			ret = -EBADMSG;
			break;
		}
		*eq = '\0';
		ret = parse_line(c, line, eq + 1);
		if (ret < 0) {
			/* Quote the value, unless it is the private key. */
			log_warnx("%s: line %zu: bad %s%s%.64s", __func__, lineno, line,
				  strcmp(line, "private_key") ? " " : "",
				  strcmp(line, "private_key") ? eq + 1 : "");
			break;
		}
		ret = -EBADMSG; /* until the blank line */
	}
	sodium_free(line);
	return ret;
}

int
wg_uapi_parse_get(const char *text, size_t len, struct wg_dev_state *out)
{
	struct wg_dev_state st = {0};
	struct get_ctx c = {.st = &st, .err = -1};
	int ret;

	ret = parse_lines(text, len, &c);
	if (ret == 0 && c.err > 0)
		ret = -c.err;
	if (ret < 0) {
		wg_state_free(&st);
		return ret;
	}
	*out = st;
	return 0;
}

int
wg_uapi_parse_errno(const char *text, size_t len)
{
	struct wg_dev_state st = {0};
	struct get_ctx c = {.st = &st, .err = -1};
	int ret;

	/* A set's reply is the tail of a get's: only errno=N matters. */
	ret = parse_lines(text, len, &c);
	wg_state_free(&st);
	if (ret < 0)
		return ret;
	return c.err > 0 ? -c.err : 0;
}
