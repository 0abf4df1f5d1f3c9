// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/roster.c — the signed roster: a strict line parser (every error with
 * its line number), Ed25519 signing and verification over the exact bytes
 * before the signature line, the policy a roster yields for one node, the
 * summary of what an import changes, and the import rules themselves.
 */
#include "policy/roster.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SEP " \t"
#define SIG_KEYWORD "signature"
#define SIG_B64_LEN 88 /* 64 bytes, padded base64 */
#define ERRORS_MAX 50  /* past this a file is not a roster with typos: stop */
#define QUOTE_MAX 64   /* longest value quoted back in a message */

struct parser {
	struct roster r;
	size_t cap;
	unsigned *node_line; /* where each node was defined, for duplicate messages */
	unsigned lineno, network_line, serial_line;
	struct errbuf *eb;
	int count0; /* eb->count when parsing began */
	char *line; /* NUL-terminated copy of the current line, ROSTER_LINE_MAX + 1 */
};

static void __attribute__((format(printf, 2, 3))) perr(struct parser *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errbuf_add(ps->eb, "line %u: %s", ps->lineno, msg);
}

static bool
too_many_errors(const struct parser *ps)
{
	return ps->eb->count - ps->count0 >= ERRORS_MAX;
}

/* The policy's rule for names (policy.c keeps its own copy private). */
static bool
name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (i > 0 && (c == '-' || c == '_' || c == '.'))))
			return false;
	}
	return true;
}

static unsigned
line_of(const char *text, size_t off)
{
	unsigned n = 1;
	const char *p = text, *end = text + off;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Where the last line begins; a final newline belongs to the last line. */
static size_t
last_line_start(const char *text, size_t len)
{
	size_t s = len;

	if (s > 0 && text[s - 1] == '\n')
		s--;
	while (s > 0 && text[s - 1] != '\n')
		s--;
	return s;
}

static bool
is_signature_line(const char *l, size_t n)
{
	size_t k = sizeof(SIG_KEYWORD) - 1;

	return n >= k && memcmp(l, SIG_KEYWORD, k) == 0 &&
	       (n == k || l[k] == ' ' || l[k] == '\t' || l[k] == '\n');
}

/*
 * Finds the signature line that must end text. Exactly one form is accepted
 * ("signature", one space, 88 base64 characters, newline, end of text) so
 * that the bytes signed are unambiguous. Returns 0 with *body_len (the
 * signed bytes) and sig, -ENOENT when the last line is no signature line,
 * or -EBADMSG when it is one but malformed (the reason in eb).
 */
static int
signature_split(const char *text, size_t len, size_t *body_len, uint8_t sig[ROSTER_SIG_LEN],
		struct errbuf *eb)
{
	size_t s = last_line_start(text, len), k = sizeof(SIG_KEYWORD) - 1, n = 0;
	const char *b64 = text + s + k + 1, *end;
	unsigned line;

	if (!is_signature_line(text + s, len - s))
		return -ENOENT;
	line = line_of(text, s);
	if (text[len - 1] != '\n') {
		errbuf_add(eb, "line %u: signature: the line must end with a newline", line);
		return -EBADMSG;
	}
	if (len - s != k + 1 + SIG_B64_LEN + 1 || text[s + k] != ' ') {
		errbuf_add(eb, "line %u: signature: expected 'signature' and %d base64 characters",
			   line, SIG_B64_LEN);
		return -EBADMSG;
	}
	if (sodium_base642bin(sig, ROSTER_SIG_LEN, b64, SIG_B64_LEN, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    n != ROSTER_SIG_LEN || end != b64 + SIG_B64_LEN) {
		errbuf_add(eb, "line %u: signature '%.*s': not %d bytes of base64", line,
			   SIG_B64_LEN, b64, ROSTER_SIG_LEN);
		return -EBADMSG;
	}
	*body_len = s;
	return 0;
}

static int
parse_serial(struct parser *ps, const char *v)
{
	uint64_t n = 0;
	size_t len = strlen(v);

	if (len == 0 || len > 20 || v[0] == '0')
		goto bad;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - (uint64_t)(v[i] - '0')) / 10)
			goto bad;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	ps->r.serial = n;
	return 0;
bad:
	perr(ps, "serial '%.*s': must be a number 1-%" PRIu64 " without leading zeros", QUOTE_MAX,
	     v, UINT64_MAX);
	return -EINVAL;
}

/* "network NAME" and "serial N": each exactly once, one value. */
static void
parse_header(struct parser *ps, const char *kw, char **save)
{
	const char *v = strtok_r(NULL, SEP, save);
	bool net = strcmp(kw, "network") == 0;
	unsigned *seen = net ? &ps->network_line : &ps->serial_line;

	if (!v) {
		perr(ps, "%s: needs a value", kw);
		return;
	}
	if (strtok_r(NULL, SEP, save)) {
		perr(ps, "%s: takes one value", kw);
		return;
	}
	if (*seen) {
		perr(ps, "%s: already given on line %u", kw, *seen);
		return;
	}
	if (net && !name_ok(v)) {
		perr(ps, "network '%.*s': name: letters, digits, '-', '_', '.' (1-%d)", QUOTE_MAX,
		     v, POLICY_NAME_MAX);
		return;
	}
	if (net)
		snprintf(ps->r.network, sizeof(ps->r.network), "%s", v);
	else if (parse_serial(ps, v) < 0)
		return;
	*seen = ps->lineno;
}

static int
prefix_add(struct parser *ps, struct site *s, const char *v, const char *what)
{
	struct prefix p, *grown;

	if (strlen(v) > QUOTE_MAX) {
		perr(ps, "node %s: prefix '%.*s...': too long", s->name, QUOTE_MAX, v);
		return -EINVAL;
	}
	if (prefix_parse(v, &p, what, ps->eb) < 0)
		return -EINVAL;
	if (s->nprefixes >= ROSTER_PREFIX_MAX) {
		perr(ps, "node %s: prefix %s: at most %d per node", s->name, v, ROSTER_PREFIX_MAX);
		return -EINVAL;
	}
	grown = realloc(s->prefixes, (s->nprefixes + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	s->prefixes = grown;
	s->prefixes[s->nprefixes++] = p;
	return 0;
}

/* One "OPTION VALUE" pair of a node line; *seen remembers the options given once. */
static int
node_option(struct parser *ps, struct site *s, const char *opt, const char *v, unsigned *seen)
{
	char what[POLICY_NAME_MAX + 64];
	char *end;
	long ka;

	snprintf(what, sizeof(what), "line %u: node %s: %s ", ps->lineno, s->name, opt);
	if (strcmp(opt, "prefix") == 0)
		return prefix_add(ps, s, v, what);
	unsigned bit = strcmp(opt, "key") == 0	       ? 1
		       : strcmp(opt, "endpoint") == 0  ? 2
		       : strcmp(opt, "keepalive") == 0 ? 4
						       : 0;
	if (bit == 0) {
		perr(ps, "node %s: unknown option '%.*s' (key, endpoint, keepalive, prefix)",
		     s->name, QUOTE_MAX, opt);
		return -ENOTSUP;
	}
	if (*seen & bit) {
		perr(ps, "node %s: %s: given twice", s->name, opt);
		return -EINVAL;
	}
	*seen |= bit;
	if (bit == 1 && key_from_base64(s->pubkey, v) < 0) {
		perr(ps, "node %s: key '%.*s': not a WireGuard public key (44 base64 characters)",
		     s->name, QUOTE_MAX, v);
		return -EINVAL;
	}
	if (bit == 2) {
		if (strlen(v) > QUOTE_MAX) {
			perr(ps, "node %s: endpoint '%.*s...': too long", s->name, QUOTE_MAX, v);
			return -EINVAL;
		}
		if (endpoint_parse(v, &s->endpoint, what, ps->eb) < 0)
			return -EINVAL;
		s->has_endpoint = true;
	}
	if (bit == 4) {
		errno = 0;
		ka = strtol(v, &end, 10);
		if (errno || end == v || *end || v[0] < '0' || v[0] > '9' || ka > 65535) {
			perr(ps, "node %s: keepalive '%.*s': seconds 0-65535 (0 is off)", s->name,
			     QUOTE_MAX, v);
			return -EINVAL;
		}
		s->keepalive = (uint16_t)ka;
	}
	return 0;
}

/* Duplicate names and keys make a roster ambiguous; policy_validate would miss self's key. */
static bool
node_unique(struct parser *ps, const struct site *s)
{
	bool ok = true;

	for (size_t i = 0; i < ps->r.nnodes; i++) {
		const struct site *o = &ps->r.nodes[i];
		if (strcmp(o->name, s->name) == 0) {
			perr(ps, "node %s: already defined on line %u", s->name, ps->node_line[i]);
			ok = false;
		} else if (memcmp(o->pubkey, s->pubkey, WG_KEY_LEN) == 0) {
			perr(ps, "node %s: key: already used by node %s (line %u)", s->name,
			     o->name, ps->node_line[i]);
			ok = false;
		}
	}
	return ok;
}

static int
node_append(struct parser *ps, struct site *s)
{
	if (ps->r.nnodes == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct site *n = realloc(ps->r.nodes, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ps->r.nodes = n;
		unsigned *l = realloc(ps->node_line, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		ps->node_line = l;
		ps->cap = cap;
	}
	ps->node_line[ps->r.nnodes] = ps->lineno;
	ps->r.nodes[ps->r.nnodes++] = *s;
	memset(s, 0, sizeof(*s));
	return 0;
}

/* "node NAME key K [endpoint E] [keepalive N] prefix P [prefix P ...]" */
static int
parse_node(struct parser *ps, char **save)
{
	const char *name = strtok_r(NULL, SEP, save), *opt, *v;
	struct site s = {0};
	unsigned seen = 0;
	int before = ps->eb->count, ret = 0;

	if (!name) {
		perr(ps, "node: needs a name");
		return 0;
	}
	if (!name_ok(name)) {
		perr(ps, "node '%.*s': name: letters, digits, '-', '_', '.' (1-%d)", QUOTE_MAX,
		     name, POLICY_NAME_MAX);
		return 0;
	}
	snprintf(s.name, sizeof(s.name), "%s", name);
	while (ret != -ENOMEM && (opt = strtok_r(NULL, SEP, save)) != NULL) {
		if ((v = strtok_r(NULL, SEP, save)) == NULL) {
			perr(ps, "node %s: %.*s: needs a value", s.name, QUOTE_MAX, opt);
			break;
		}
		ret = node_option(ps, &s, opt, v, &seen);
		if (ret == -ENOTSUP)
			break; /* an unknown option: what follows cannot be paired reliably */
	}
	if (ret != -ENOMEM && !(seen & 1))
		perr(ps, "node %s: key: missing", s.name);
	if (ret != -ENOMEM && s.nprefixes == 0)
		perr(ps, "node %s: prefix: at least one is needed", s.name);
	if (ret != -ENOMEM && ps->r.nnodes >= ROSTER_NODE_MAX)
		perr(ps, "node %s: at most %d nodes", s.name, ROSTER_NODE_MAX);
	if (ret != -ENOMEM && node_unique(ps, &s) && ps->eb->count == before)
		ret = node_append(ps, &s);
	site_free(&s);
	return ret == -ENOMEM ? -ENOMEM : 0;
}

/* Only printable ASCII and tabs: values are quoted back to terminals and logs. */
static bool
line_clean(struct parser *ps, const char *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)l[i];
		if (c == '\t' || (c >= 0x20 && c < 0x7f))
			continue;
		if (c == '\r')
			perr(ps, "carriage return at column %zu: use Unix line endings", i + 1);
		else
			perr(ps, "byte 0x%02x at column %zu: only printable ASCII is allowed", c,
			     i + 1);
		return false;
	}
	return true;
}

static int
parse_line(struct parser *ps, const char *l, size_t n)
{
	char *save = NULL, *kw;

	if (n > ROSTER_LINE_MAX) {
		perr(ps, "line is %zu bytes long, at most %d", n, ROSTER_LINE_MAX);
		return 0;
	}
	if (!line_clean(ps, l, n))
		return 0;
	memcpy(ps->line, l, n);
	ps->line[n] = '\0';
	kw = strtok_r(ps->line, SEP, &save);
	if (ps->lineno == 1) {
		if (!kw || strcmp(kw, "umbral-roster") != 0) {
			perr(ps, "not a roster: the first line must be '%s'", ROSTER_MAGIC);
			return -EPROTO;
		}
		kw = strtok_r(NULL, SEP, &save);
		if (!kw || strcmp(kw, "1") != 0 || strtok_r(NULL, SEP, &save)) {
			perr(ps, "version '%.*s': not supported (this node reads version 1)",
			     QUOTE_MAX, kw ? kw : "");
			return -EPROTO;
		}
		return 0;
	}
	if (!kw || kw[0] == '#')
		return 0;
	if (strcmp(kw, "node") == 0)
		return parse_node(ps, &save);
	if (strcmp(kw, "network") == 0 || strcmp(kw, "serial") == 0)
		parse_header(ps, kw, &save);
	else if (strcmp(kw, SIG_KEYWORD) == 0)
		perr(ps, "signature: only the last line may be the signature");
	else
		perr(ps, "unknown keyword '%.*s' (network, serial, node, signature)", QUOTE_MAX,
		     kw);
	return 0;
}

static int
parse_body(struct parser *ps, const char *text, size_t len)
{
	size_t pos = 0;
	int ret;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		ps->lineno++;
		ret = parse_line(ps, text + pos, end - pos);
		if (ret == -ENOMEM)
			return ret;
		if (ret == -EPROTO)
			return 0; /* not a roster at all: no point listing more */
		if (too_many_errors(ps)) {
			perr(ps, "too many errors, stopping");
			return 0;
		}
		pos = end + 1;
	}
	return 0;
}

/* Whole-file rules, checked once the lines are read; signed counts the signature line. */
static void
parse_finish(struct parser *ps, bool signed_)
{
	if (ps->lineno == 0) {
		ps->lineno = 1;
		perr(ps, "%s: a roster begins with '%s'", signed_ ? "not a roster" : "empty",
		     ROSTER_MAGIC);
		return;
	}
	ps->lineno += signed_;
	if (ps->eb->count > ps->count0)
		return; /* the missing parts are likely consequences of errors already listed */
	if (!ps->network_line)
		perr(ps, "end of roster: no 'network' line");
	if (!ps->serial_line)
		perr(ps, "end of roster: no 'serial' line");
	if (ps->r.nnodes == 0)
		perr(ps, "end of roster: no 'node' line");
}

int
roster_parse(const char *text, size_t len, struct roster *out, struct errbuf *eb)
{
	struct parser ps = {.eb = eb, .count0 = eb->count};
	uint8_t sig[ROSTER_SIG_LEN];
	size_t body = len;
	int ret, sret = -ENOENT;

	if (len > ROSTER_TEXT_MAX) {
		errbuf_add(eb, "line 1: roster is %zu bytes, at most %u", len, ROSTER_TEXT_MAX);
		return -EINVAL;
	}
	if (len > 0)
		sret = signature_split(text, len, &body, sig, eb);
	if (sret == -EBADMSG)
		body = last_line_start(text, len); /* reported once, not again as a stray line */
	ps.line = malloc(ROSTER_LINE_MAX + 1);
	if (!ps.line)
		return -ENOMEM;
	ret = parse_body(&ps, text, body);
	if (ret == 0)
		parse_finish(&ps, sret == 0);
	free(ps.line);
	free(ps.node_line);
	if (ret == 0 && eb->count > ps.count0)
		ret = -EINVAL;
	if (ret < 0) {
		roster_free(&ps.r);
		return ret;
	}
	ps.r.has_signature = sret == 0;
	*out = ps.r;
	return 0;
}

void
roster_free(struct roster *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nnodes; i++)
		site_free(&r->nodes[i]);
	free(r->nodes);
	r->nodes = NULL;
	r->nnodes = 0;
}

int
roster_verify(const char *text, size_t len, const uint8_t authority_pub[ROSTER_PK_LEN],
	      struct errbuf *eb)
{
	uint8_t sig[ROSTER_SIG_LEN];
	size_t body = 0;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if (len > ROSTER_TEXT_MAX) {
		errbuf_add(eb, "line 1: roster is %zu bytes, at most %u", len, ROSTER_TEXT_MAX);
		return -EBADMSG;
	}
	ret = len > 0 ? signature_split(text, len, &body, sig, eb) : -ENOENT;
	if (ret == -ENOENT) {
		errbuf_add(eb,
			   "line %u: signature: missing (the last line must be 'signature "
			   "BASE64')",
			   len > 0 ? line_of(text, last_line_start(text, len)) : 1);
		return -EBADMSG;
	}
	if (ret < 0)
		return -EBADMSG;
	if (crypto_sign_verify_detached(sig, (const unsigned char *)text, body, authority_pub)) {
		errbuf_add(eb,
			   "line %u: signature: does not verify with the network authority's "
			   "key (signed by another authority, or changed after signing)",
			   line_of(text, body));
		return -EBADMSG;
	}
	return 0;
}

/* The first line whose keyword is "signature", or 0. */
static unsigned
signature_anywhere(const char *text, size_t len)
{
	size_t pos = 0;
	unsigned line = 1;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		size_t i = pos;
		while (i < end && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (is_signature_line(text + i, end - i + (nl != NULL)))
			return line;
		line++;
		pos = end + 1;
	}
	return 0;
}

int
roster_sign(const char *unsigned_text, size_t len, const uint8_t authority_sk[ROSTER_SK_LEN],
	    struct buf *out, struct errbuf *eb)
{
	uint8_t sig[ROSTER_SIG_LEN];
	char b64[SIG_B64_LEN + 1];
	struct roster r;
	struct buf t;
	unsigned line;
	int ret;

	if (sodium_init() < 0)
		return -EIO;
	if ((line = signature_anywhere(unsigned_text, len)) != 0) {
		errbuf_add(eb, "line %u: signature: the roster is already signed", line);
		return -EEXIST;
	}
	if ((ret = roster_parse(unsigned_text, len, &r, eb)) < 0)
		return ret;
	roster_free(&r);
	buf_init(&t);
	buf_append(&t, unsigned_text, len);
	if (len == 0 || unsigned_text[len - 1] != '\n')
		buf_puts(&t, "\n");
	if (buf_failed(&t)) {
		buf_free(&t);
		return -ENOMEM;
	}
	crypto_sign_detached(sig, NULL, (const unsigned char *)t.data, t.len, authority_sk);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig), sodium_base64_VARIANT_ORIGINAL);
	buf_printf(&t, SIG_KEYWORD " %s\n", b64);
	ret = buf_failed(&t) ? -ENOMEM : 0;
	if (ret == 0) {
		buf_append(out, t.data, t.len);
		ret = buf_failed(out) ? -ENOMEM : 0;
	}
	buf_free(&t);
	return ret;
}

int
roster_keygen(uint8_t pk[ROSTER_PK_LEN], uint8_t sk[ROSTER_SK_LEN])
{
	if (sodium_init() < 0)
		return -EIO;
	return crypto_sign_keypair(pk, sk) == 0 ? 0 : -EIO;
}

static const struct site *
roster_node_find(const struct roster *r, const char *name)
{
	for (size_t i = 0; i < r->nnodes; i++)
		if (strcmp(r->nodes[i].name, name) == 0)
			return &r->nodes[i];
	return NULL;
}

int
roster_to_policy(const struct roster *r, const char *self_name, const struct policy *current,
		 struct policy *out, struct errbuf *eb)
{
	const struct site *self = roster_node_find(r, self_name);
	struct policy t;
	int ret = 0;

	if (!self) {
		errbuf_add(eb, "node %.*s: not in the roster of network %s (serial %" PRIu64 ")",
			   QUOTE_MAX, self_name, r->network, r->serial);
		return -EINVAL;
	}
	t = *current;
	t.sites = NULL;
	t.nsites = 0;
	snprintf(t.node.name, sizeof(t.node.name), "%s", self->name);
	t.node.nprefixes = 0;
	t.node.prefixes = calloc(self->nprefixes + 1, sizeof(*t.node.prefixes));
	if (!t.node.prefixes)
		return -ENOMEM;
	if (self->nprefixes)
		memcpy(t.node.prefixes, self->prefixes, self->nprefixes * sizeof(*self->prefixes));
	t.node.nprefixes = self->nprefixes;
	for (size_t i = 0; i < r->nnodes && ret == 0; i++)
		if (&r->nodes[i] != self)
			ret = policy_site_append(&t, &r->nodes[i]);
	if (ret == 0)
		ret = policy_validate(&t, eb);
	if (ret < 0) {
		policy_free(&t);
		return ret;
	}
	*out = t;
	return 0;
}

static bool
prefix_in(const struct prefix *p, const struct prefix *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(p, &list[i], sizeof(*p)) == 0)
			return true;
	return false;
}

/* " +a +b -c" for the prefixes only in b (+) and only in a (-); false when equal. */
static bool
prefixes_diff(const struct prefix *a, size_t na, const struct prefix *b, size_t nb, struct buf *out)
{
	char s[64];
	bool any = false;

	for (size_t i = 0; i < nb; i++) {
		if (!prefix_in(&b[i], a, na)) {
			buf_printf(out, " +%s", prefix_format(&b[i], s, sizeof(s)));
			any = true;
		}
	}
	for (size_t i = 0; i < na; i++) {
		if (!prefix_in(&a[i], b, nb)) {
			buf_printf(out, " -%s", prefix_format(&a[i], s, sizeof(s)));
			any = true;
		}
	}
	return any;
}

static const char *
endpoint_text(const struct site *s, char *buf, size_t len)
{
	if (!s->has_endpoint) {
		snprintf(buf, len, "none (roaming)");
		return buf;
	}
	return endpoint_format(&s->endpoint, buf, len);
}

/* Lines for one node present in both; returns whether anything changed. */
static bool
site_diff(const struct site *a, const struct site *b, struct buf *out)
{
	char ka[WG_KEY_B64_LEN], kb[WG_KEY_B64_LEN], ea[64], epb[64];
	bool changed = false;
	struct buf p;

	if (memcmp(a->pubkey, b->pubkey, WG_KEY_LEN) != 0) {
		key_to_base64(ka, a->pubkey);
		key_to_base64(kb, b->pubkey);
		buf_printf(out, "~ node %s: re-keyed %s -> %s\n", a->name, ka, kb);
		changed = true;
	}
	if (strcmp(endpoint_text(a, ea, sizeof(ea)), endpoint_text(b, epb, sizeof(epb))) != 0) {
		buf_printf(out, "~ node %s: endpoint %s -> %s\n", a->name, ea, epb);
		changed = true;
	}
	if (a->keepalive != b->keepalive) {
		buf_printf(out, "~ node %s: keepalive %u -> %u\n", a->name, a->keepalive,
			   b->keepalive);
		changed = true;
	}
	buf_init(&p);
	if (prefixes_diff(a->prefixes, a->nprefixes, b->prefixes, b->nprefixes, &p)) {
		buf_printf(out, "~ node %s: prefixes%s\n", a->name, buf_str(&p));
		changed = true;
	}
	buf_free(&p);
	return changed;
}

static void
site_added(const struct site *s, struct buf *out)
{
	char k[WG_KEY_B64_LEN], e[64], p[64];

	key_to_base64(k, s->pubkey);
	buf_printf(out, "+ node %s: key %s endpoint %s keepalive %u prefixes", s->name, k,
		   endpoint_text(s, e, sizeof(e)), s->keepalive);
	for (size_t i = 0; i < s->nprefixes; i++)
		buf_printf(out, " %s", prefix_format(&s->prefixes[i], p, sizeof(p)));
	buf_puts(out, "\n");
}

void
roster_diff(const struct policy *old, const struct policy *new, struct buf *out)
{
	size_t added = 0, removed = 0, changed = 0;
	struct buf p;

	buf_init(&p);
	if (prefixes_diff(old->node.prefixes, old->node.nprefixes, new->node.prefixes,
			  new->node.nprefixes, &p)) {
		buf_printf(out, "~ self %s: prefixes%s\n", new->node.name, buf_str(&p));
		changed++;
	}
	buf_free(&p);
	for (size_t i = 0; i < old->nsites; i++) {
		const struct site *n = policy_site_find(new, old->sites[i].name);
		if (!n) {
			buf_printf(out, "- node %s\n", old->sites[i].name);
			removed++;
		} else if (site_diff(&old->sites[i], n, out)) {
			changed++;
		}
	}
	for (size_t i = 0; i < new->nsites; i++) {
		if (!policy_site_find(old, new->sites[i].name)) {
			site_added(&new->sites[i], out);
			added++;
		}
	}
	if (added + removed + changed == 0)
		buf_puts(out, "no changes\n");
	else
		buf_printf(out, "%zu added, %zu removed, %zu changed\n", added, removed, changed);
}

int
roster_check_serial(uint64_t current, uint64_t next, struct errbuf *eb)
{
	if (next > current)
		return 0;
	errbuf_add(eb,
		   "serial %" PRIu64 ": not newer than the current roster's serial %" PRIu64
		   " (rollback refused)",
		   next, current);
	return -ESTALE;
}

/* Network, serial and self's key: the rules that compare a roster with the node. */
static int
import_rules(const struct roster *r, const char *self_name, const uint8_t *self_pub,
	     const struct roster_state *state, struct errbuf *eb)
{
	const struct site *self = roster_node_find(r, self_name);
	char a[WG_KEY_B64_LEN], b[WG_KEY_B64_LEN];

	if (state->network[0] && strcmp(state->network, r->network) != 0) {
		errbuf_add(eb, "network %s: this node belongs to network %s", r->network,
			   state->network);
		return -EINVAL;
	}
	if (roster_check_serial(state->serial, r->serial, eb) < 0)
		return -ESTALE;
	if (self && self_pub && sodium_memcmp(self->pubkey, self_pub, WG_KEY_LEN) != 0) {
		key_to_base64(a, self->pubkey);
		key_to_base64(b, self_pub);
		errbuf_add(eb, "node %s: key %s in the roster is not this node's key %s",
			   self->name, a, b);
		return -EINVAL;
	}
	return 0;
}

int
roster_import(const char *text, size_t len, const uint8_t authority_pub[ROSTER_PK_LEN],
	      const char *self_name, const uint8_t *self_pub, const struct roster_state *state,
	      const struct policy *current, struct policy *out, struct roster_state *out_state,
	      struct errbuf *eb)
{
	struct roster r;
	struct policy next;
	int ret;

	if ((ret = roster_verify(text, len, authority_pub, eb)) < 0)
		return ret;
	if ((ret = roster_parse(text, len, &r, eb)) < 0)
		return ret;
	ret = import_rules(&r, self_name, self_pub, state, eb);
	if (ret == 0)
		ret = roster_to_policy(&r, self_name, current, &next, eb);
	if (ret == 0) {
		*out = next;
		memset(out_state, 0, sizeof(*out_state));
		snprintf(out_state->network, sizeof(out_state->network), "%s", r.network);
		out_state->serial = r.serial;
	}
	roster_free(&r);
	return ret;
}
