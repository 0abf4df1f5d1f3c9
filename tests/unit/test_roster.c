// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_roster.c — the signed roster: signing and verification
 * (every byte tampered), parse errors with line numbers, the policy a roster
 * yields, the import summary, and the import rules (rollback, network, key).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "policy/roster.h"

struct authority {
	uint8_t pk[ROSTER_PK_LEN];
	uint8_t *sk; /* sodium_malloc */
};

static void
authority_new(struct authority *a)
{
	a->sk = sodium_malloc(ROSTER_SK_LEN);
	assert_non_null(a->sk);
	assert_int_equal(roster_keygen(a->pk, a->sk), 0);
}

static void
authority_free(struct authority *a)
{
	sodium_free(a->sk);
	a->sk = NULL;
}

/* A distinct, deterministic public key per node number (and generation, for re-keying). */
static const char *
key_b64(unsigned n, unsigned gen)
{
	static char b64[8][WG_KEY_B64_LEN];
	static unsigned slot;
	uint8_t k[WG_KEY_LEN];
	char *out = b64[slot++ % 8];

	memset(k, 0x42, sizeof(k));
	k[0] = (uint8_t)n;
	k[1] = (uint8_t)(n >> 8);
	k[2] = (uint8_t)gen;
	key_to_base64(out, k);
	return out;
}

/* Header plus nodes s1..sN, node i owning 10.i.j.0/24 for j < nprefixes. */
static void
roster_text(struct buf *b, uint64_t serial, unsigned nodes, unsigned nprefixes)
{
	buf_printf(b, "umbral-roster 1\nnetwork lab\nserial %llu\n", (unsigned long long)serial);
	for (unsigned i = 1; i <= nodes; i++) {
		buf_printf(b, "node s%u key %s endpoint 198.18.%u.2:51820", i, key_b64(i, 0),
			   i % 256);
		for (unsigned j = 0; j < nprefixes; j++)
			buf_printf(b, " prefix 10.%u.%u.0/24", i % 256, j);
		buf_puts(b, "\n");
	}
}

static void
sign_text(const struct authority *a, const char *text, struct buf *out)
{
	struct errbuf eb = {0};

	assert_int_equal(roster_sign(text, strlen(text), a->sk, out, &eb), 0);
	assert_int_equal(eb.count, 0);
}

static int
verify(const struct authority *a, const char *text, size_t len, struct errbuf *eb)
{
	return roster_verify(text, len, a->pk, eb);
}

static void
test_sign_verify(void **state)
{
	struct authority a;
	struct errbuf eb = {0};
	struct buf t, s;
	struct roster r;

	(void)state;
	authority_new(&a);
	buf_init(&t);
	buf_init(&s);
	roster_text(&t, 42, 3, 2);
	sign_text(&a, buf_str(&t), &s);
	assert_int_equal(memcmp(s.data, t.data, t.len), 0);
	assert_non_null(strstr(s.data + t.len, "signature "));
	assert_int_equal(verify(&a, s.data, s.len, &eb), 0);
	assert_int_equal(roster_parse(s.data, s.len, &r, &eb), 0);
	assert_int_equal(eb.count, 0);
	assert_true(r.has_signature);
	assert_string_equal(r.network, "lab");
	assert_int_equal(r.serial, 42);
	assert_int_equal(r.nnodes, 3);
	assert_string_equal(r.nodes[1].name, "s2");
	assert_int_equal(r.nodes[1].nprefixes, 2);
	assert_true(r.nodes[1].has_endpoint);
	roster_free(&r);
	roster_free(&r); /* twice, and NULL, are harmless */
	roster_free(NULL);
	/* The unsigned text parses too (for checking before signing), flagged as unsigned. */
	assert_int_equal(roster_parse(t.data, t.len, &r, &eb), 0);
	assert_false(r.has_signature);
	roster_free(&r);
	/* A text without its final newline gets one, and the result still verifies. */
	buf_reset(&s);
	sign_text(&a,
		  "umbral-roster 1\nnetwork n\nserial 1\nnode a key "
		  "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw= prefix 10.0.0.0/8",
		  &s);
	assert_int_equal(verify(&a, s.data, s.len, &eb), 0);
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
}

/* Every single-bit change, deletion or insertion anywhere in a signed roster is caught. */
static void
test_tamper_every_byte(void **state)
{
	struct authority a;
	struct buf t, s;
	char *copy;

	(void)state;
	authority_new(&a);
	buf_init(&t);
	buf_init(&s);
	roster_text(&t, 7, 2, 1);
	sign_text(&a, buf_str(&t), &s);
	copy = malloc(s.len + 1);
	assert_non_null(copy);
	for (size_t i = 0; i < s.len; i++) {
		struct errbuf eb = {0};
		memcpy(copy, s.data, s.len);
		copy[i] ^= 0x01;
		assert_int_equal(verify(&a, copy, s.len, &eb), -EBADMSG);
		assert_int_equal(eb.count, 1);
		/* Deleting byte i. */
		memcpy(copy, s.data, i);
		memcpy(copy + i, s.data + i + 1, s.len - i - 1);
		assert_int_equal(verify(&a, copy, s.len - 1, &eb), -EBADMSG);
		/* Inserting a space before byte i. */
		memcpy(copy, s.data, i);
		copy[i] = ' ';
		memcpy(copy + i + 1, s.data + i, s.len - i);
		assert_int_equal(verify(&a, copy, s.len + 1, &eb), -EBADMSG);
	}
	free(copy);
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
}

static void
test_wrong_authority(void **state)
{
	struct authority a, b;
	struct errbuf eb = {0};
	struct buf t, s;

	(void)state;
	authority_new(&a);
	authority_new(&b);
	buf_init(&t);
	buf_init(&s);
	roster_text(&t, 1, 2, 1);
	sign_text(&a, buf_str(&t), &s);
	assert_int_equal(verify(&b, s.data, s.len, &eb), -EBADMSG);
	assert_non_null(strstr(eb.text, "line 6: signature: does not verify with the network "
					"authority's key"));
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
	authority_free(&b);
}

static void
expect_bad_signature(const struct authority *a, const char *text, const char *msg)
{
	struct errbuf eb = {0};

	assert_int_equal(verify(a, text, strlen(text), &eb), -EBADMSG);
	if (!strstr(eb.text, msg))
		fail_msg("expected '%s' in:\n%s", msg, eb.text);
}

static void
test_missing_or_garbled_signature(void **state)
{
	struct authority a;
	struct errbuf eb = {0};
	struct buf t, s, g;
	size_t siglen;

	(void)state;
	authority_new(&a);
	buf_init(&t);
	buf_init(&s);
	buf_init(&g);
	roster_text(&t, 1, 1, 1);
	sign_text(&a, buf_str(&t), &s);
	siglen = s.len - t.len;
	expect_bad_signature(&a, buf_str(&t), "line 4: signature: missing");
	expect_bad_signature(&a, "", "line 1: signature: missing");
	/* Signature line truncated, extended, not at the end, without its newline, bad base64. */
	buf_append(&g, s.data, s.len - 5);
	buf_puts(&g, "\n");
	expect_bad_signature(&a, buf_str(&g), "line 5: signature: expected 'signature' and 88");
	buf_reset(&g);
	buf_append(&g, s.data, s.len - 1);
	buf_puts(&g, "AAAA\n");
	expect_bad_signature(&a, buf_str(&g), "expected 'signature' and 88");
	buf_reset(&g);
	buf_append(&g, s.data, s.len);
	buf_puts(&g, "\n");
	expect_bad_signature(&a, buf_str(&g), "line 6: signature: missing");
	buf_reset(&g);
	buf_append(&g, s.data, s.len - 1);
	expect_bad_signature(&a, buf_str(&g),
			     "line 5: signature: the line must end with a newline");
	buf_reset(&g);
	buf_append(&g, s.data, s.len);
	memset(g.data + t.len + 10, '!', 4);
	expect_bad_signature(&a, buf_str(&g), "line 5: signature '!!!!");
	/* A roster signed twice would be ambiguous: refused. */
	buf_reset(&g);
	assert_int_equal(roster_sign(s.data, s.len, a.sk, &g, &eb), -EEXIST);
	assert_non_null(strstr(eb.text, "line 5: signature: the roster is already signed"));
	assert_int_equal(g.len, 0);
	/* And the authority never signs what a node cannot parse. */
	assert_int_equal(roster_sign("umbral-roster 1\nnetwork x\n", 26, a.sk, &g, &eb), -EINVAL);
	assert_int_equal(g.len, 0);
	(void)siglen;
	buf_free(&g);
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
}

/* Parses text expecting failure and the message msg among the errors. */
static void
expect_parse_error(const char *text, const char *msg)
{
	struct errbuf eb = {0};
	struct roster r = {.nnodes = 12345};

	assert_int_equal(roster_parse(text, strlen(text), &r, &eb), -EINVAL);
	assert_int_equal(r.nnodes, 12345); /* out untouched */
	if (!strstr(eb.text, msg))
		fail_msg("expected '%s' in:\n%s", msg, eb.text);
}

#define HEAD "umbral-roster 1\nnetwork lab\nserial 3\n"
#define KA "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
#define KB "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error(HEAD "node s1 key AAAA prefix 10.1.0.0/16\n",
			   "line 4: node s1: key 'AAAA': not a WireGuard public key");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/33\n",
			   "line 4: node s1: prefix 10.1.0.0/33: length must be 0-32");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16\n"
				"node s1 key " KB " prefix 10.2.0.0/16\n",
			   "line 5: node s1: already defined on line 4");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16\n"
				"node s2 key " KA " prefix 10.2.0.0/16\n",
			   "line 5: node s2: key: already used by node s1 (line 4)");
	expect_parse_error(HEAD "# comment\n\nbanana 3\n", "line 6: unknown keyword 'banana'");
	expect_parse_error("umbral-roster 1\nnetwork lab\nserial forty-two\n",
			   "line 3: serial 'forty-two': must be a number");
	expect_parse_error("umbral-roster 1\nnetwork lab\nserial 18446744073709551616\n",
			   "line 3: serial '18446744073709551616'");
	expect_parse_error("umbral-roster 1\nnetwork lab\nserial 0\n", "line 3: serial '0'");
	expect_parse_error(HEAD "serial 4\n", "line 4: serial: already given on line 3");
	expect_parse_error(HEAD "node s1 prefix 10.1.0.0/16\n", "line 4: node s1: key: missing");
	expect_parse_error(HEAD "node s1 key " KA "\n",
			   "line 4: node s1: prefix: at least one is needed");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16 keepalive\n",
			   "line 4: node s1: keepalive: needs a value");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16 keepalive -1\n",
			   "line 4: node s1: keepalive '-1': seconds 0-65535");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16 endpoint 1.2.3.4\n",
			   "line 4: node s1: endpoint 1.2.3.4: not HOST:PORT");
	expect_parse_error(HEAD "node s1 key " KA " colour red prefix 10.1.0.0/16\n",
			   "line 4: node s1: unknown option 'colour'");
	expect_parse_error(HEAD "node -s1 key " KA " prefix 10.1.0.0/16\n",
			   "line 4: node '-s1': name:");
	expect_parse_error(HEAD "node s1 key " KA " prefix 10.1.0.0/16\r\n",
			   "line 4: carriage return at column 76");
	expect_parse_error(HEAD "network \x1b[31mred\n",
			   "line 4: byte 0x1b at column 9: only printable ASCII");
	expect_parse_error("umbral-roster 2\nnetwork lab\n", "line 1: version '2': not supported");
	expect_parse_error("hello\n", "line 1: not a roster");
	expect_parse_error("", "line 1: empty");
	expect_parse_error("signature "
			   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
			   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n",
			   "line 1: not a roster");
	expect_parse_error("umbral-roster 1\nnetwork lab\n", "line 2: end of roster: no 'serial'");
	expect_parse_error(HEAD, "line 3: end of roster: no 'node' line");
	expect_parse_error(HEAD "signature AAAA\nnode s1 key " KA " prefix 10.1.0.0/16\n",
			   "line 4: signature: only the last line may be the signature");
	/* Every error is listed, not only the first. */
	{
		const char *t = HEAD "node s1 key AAAA prefix 10.1.0.0/16\nfoo\nserial x\n";
		struct errbuf eb = {0};
		struct roster r;
		assert_int_equal(roster_parse(t, strlen(t), &r, &eb), -EINVAL);
		assert_int_equal(eb.count, 3);
	}
}

static void
test_parse_limits(void **state)
{
	struct buf t;
	struct errbuf eb = {0};
	struct roster r;

	(void)state;
	buf_init(&t);
	roster_text(&t, 1, 1, 0);
	t.data[--t.len] = '\0';
	for (unsigned j = 0; j <= ROSTER_PREFIX_MAX; j++)
		buf_printf(&t, " prefix 10.%u.%u.0/24", j / 256, j % 256);
	buf_puts(&t, "\n");
	expect_parse_error(buf_str(&t), "line 4: node s1: prefix 10.1.0.0/24: at most 256");
	buf_reset(&t);
	roster_text(&t, 1, ROSTER_NODE_MAX + 1, 1);
	expect_parse_error(buf_str(&t), "line 1028: node s1025: at most 1024 nodes");
	buf_reset(&t);
	buf_puts(&t, HEAD "# ");
	for (unsigned i = 0; i < ROSTER_LINE_MAX; i++)
		buf_puts(&t, "x");
	expect_parse_error(buf_str(&t), "line 4: line is 16386 bytes long, at most 16384");
	/* The largest legal node line (256 long IPv6 prefixes) fits the line limit. */
	buf_reset(&t);
	buf_puts(&t, HEAD "node s1 key " KA " endpoint [2001:db8:ffff:ffff:ffff:ffff:ffff:1]:65535"
			  " keepalive 65535");
	for (unsigned j = 0; j < ROSTER_PREFIX_MAX; j++)
		buf_printf(&t, " prefix fd00:ffff:ffff:ffff:ffff:ffff:ffff:%x/128", j);
	buf_puts(&t, "\n");
	assert_int_equal(roster_parse(t.data, t.len, &r, &eb), 0);
	assert_int_equal(r.nodes[0].nprefixes, ROSTER_PREFIX_MAX);
	roster_free(&r);
	/* A file of nothing but errors stops after a bounded number of messages. */
	buf_reset(&t);
	buf_puts(&t, HEAD);
	for (unsigned i = 0; i < 1000; i++)
		buf_puts(&t, "junk\n");
	assert_int_equal(roster_parse(t.data, t.len, &r, &eb), -EINVAL);
	assert_true(eb.count <= 60);
	assert_non_null(strstr(eb.text, "too many errors, stopping"));
	buf_free(&t);
}

static void
parse_ok(const char *text, struct roster *r)
{
	struct errbuf eb = {0};

	if (roster_parse(text, strlen(text), r, &eb) != 0)
		fail_msg("parse failed:\n%s", eb.text);
}

static void
test_to_policy(void **state)
{
	struct errbuf eb = {0};
	struct policy cur, next = {.revision = -99};
	struct roster r;
	char p[64];

	(void)state;
	policy_init(&cur);
	cur.node.mode = MODE_LARGE;
	cur.node.mtu = 1380;
	cur.revision = 17;
	parse_ok(HEAD "node s1 key " KA " prefix 10.1.0.0/16 prefix fd00:0:1::/48\n"
		      "node s2 key " KB
		      " endpoint 198.18.2.2:51820 keepalive 25 prefix 10.2.0.0/16\n",
		 &r);
	assert_int_equal(roster_to_policy(&r, "s1", &cur, &next, &eb), 0);
	assert_string_equal(next.node.name, "s1");
	assert_int_equal(next.node.mode, MODE_LARGE);
	assert_int_equal(next.node.mtu, 1380);
	assert_int_equal(next.revision, 17);
	assert_int_equal(next.node.nprefixes, 2);
	assert_string_equal(prefix_format(&next.node.prefixes[1], p, sizeof(p)), "fd00:0:1::/48");
	assert_int_equal(next.nsites, 1);
	assert_string_equal(next.sites[0].name, "s2");
	assert_int_equal(next.sites[0].keepalive, 25);
	assert_true(next.sites[0].has_endpoint);
	assert_null(policy_site_find(&next, "s1"));
	policy_free(&next);
	/* A node absent from the roster gets no policy. */
	next.revision = -99;
	assert_int_equal(roster_to_policy(&r, "s9", &cur, &next, &eb), -EINVAL);
	assert_non_null(strstr(eb.text, "node s9: not in the roster of network lab (serial 3)"));
	assert_int_equal(next.revision, -99);
	roster_free(&r);
	/* Overlaps are the policy's rule, so they surface here, whole. */
	eb = (struct errbuf){0};
	parse_ok(HEAD "node s1 key " KA " prefix 10.1.0.0/16\n"
		      "node s2 key " KB " prefix 10.1.128.0/17\n",
		 &r);
	assert_int_equal(roster_to_policy(&r, "s1", &cur, &next, &eb), -EINVAL);
	assert_non_null(
	    strstr(eb.text, "site s2: prefix 10.1.128.0/17 overlaps 10.1.0.0/16 of node"));
	assert_int_equal(next.revision, -99);
	roster_free(&r);
	policy_free(&cur);
}

static void
policy_from(const char *text, struct policy *out)
{
	struct errbuf eb = {0};
	struct policy cur;
	struct roster r;

	policy_init(&cur);
	parse_ok(text, &r);
	if (roster_to_policy(&r, "s1", &cur, out, &eb) != 0)
		fail_msg("to_policy failed:\n%s", eb.text);
	roster_free(&r);
}

static void
expect_in(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("expected '%s' in:\n%s", want, text);
}

static void
test_diff(void **state)
{
	struct policy a, b;
	struct buf d;
	char ln[256];

	(void)state;
	policy_from(HEAD
		    "node s1 key " KA " prefix 10.1.0.0/16\n"
		    "node s2 key " KB " endpoint 198.18.2.2:51820 prefix 10.2.0.0/16\n"
		    "node s3 key KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKA= prefix 10.3.0.0/16\n"
		    "node s4 key BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA= prefix 10.4.0.0/16\n",
		    &a);
	policy_from(HEAD
		    "node s1 key " KA " prefix 10.1.0.0/16 prefix fd00:0:1::/48\n"
		    "node s2 key CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA= prefix 10.2.0.0/16\n"
		    "node s4 key BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBA= keepalive 25 "
		    "prefix 10.44.0.0/16\n"
		    "node s5 key DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDA= endpoint "
		    "[2001:db8:5::2]:51820 prefix 10.5.0.0/16\n",
		    &b);
	buf_init(&d);
	roster_diff(&a, &b, &d);
	printf("%s", buf_str(&d));
	expect_in(buf_str(&d), "~ self s1: prefixes +fd00:0:1::/48\n");
	snprintf(ln, sizeof(ln), "~ node s2: re-keyed %s -> %s\n", KB,
		 "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCA=");
	expect_in(buf_str(&d), ln);
	expect_in(buf_str(&d), "~ node s2: endpoint 198.18.2.2:51820 -> none (roaming)\n");
	expect_in(buf_str(&d), "- node s3\n");
	expect_in(buf_str(&d), "~ node s4: keepalive 0 -> 25\n");
	expect_in(buf_str(&d), "~ node s4: prefixes +10.44.0.0/16 -10.4.0.0/16\n");
	expect_in(buf_str(&d), "+ node s5: key DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDA= "
			       "endpoint [2001:db8:5::2]:51820 keepalive 0 prefixes 10.5.0.0/16\n");
	expect_in(buf_str(&d), "1 added, 1 removed, 3 changed\n");
	buf_reset(&d);
	roster_diff(&b, &b, &d);
	assert_string_equal(buf_str(&d), "no changes\n");
	buf_free(&d);
	policy_free(&a);
	policy_free(&b);
}

/* Fills out and out_state with a pattern so that "nothing written" can be checked. */
struct import_out {
	struct policy p;
	struct roster_state st;
};

static int
import(const struct authority *a, const char *signed_text, const uint8_t *self_pub,
       const struct roster_state *st, struct import_out *o, struct errbuf *eb)
{
	struct policy cur;
	int ret;

	policy_init(&cur);
	memset(o, 0xa5, sizeof(*o));
	ret = roster_import(signed_text, strlen(signed_text), a->pk, "s1", self_pub, st, &cur,
			    &o->p, &o->st, eb);
	policy_free(&cur);
	return ret;
}

static bool
untouched(const struct import_out *o)
{
	struct import_out ref;

	memset(&ref, 0xa5, sizeof(ref));
	return memcmp(o, &ref, sizeof(ref)) == 0;
}

static void
test_import_rollback(void **state)
{
	struct authority a, b;
	struct roster_state st = {.network = "lab", .serial = 42};
	struct import_out o;
	struct errbuf eb = {0};
	struct buf t, s;

	(void)state;
	authority_new(&a);
	authority_new(&b);
	buf_init(&t);
	buf_init(&s);
	for (uint64_t serial = 41; serial <= 42; serial++) {
		buf_reset(&t);
		buf_reset(&s);
		roster_text(&t, serial, 3, 1);
		sign_text(&a, buf_str(&t), &s);
		eb = (struct errbuf){0};
		assert_int_equal(import(&a, buf_str(&s), NULL, &st, &o, &eb), -ESTALE);
		assert_true(untouched(&o));
		char want[128];
		snprintf(want, sizeof(want),
			 "serial %llu: not newer than the current roster's "
			 "serial 42 (rollback refused)",
			 (unsigned long long)serial);
		expect_in(eb.text, want);
	}
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
	authority_free(&b);
}

static void
test_import_rules(void **state)
{
	struct authority a, b;
	struct roster_state st = {.network = "lab", .serial = 42};
	struct import_out o;
	struct errbuf eb = {0};
	struct buf t, s;
	uint8_t self[WG_KEY_LEN];

	(void)state;
	authority_new(&a);
	authority_new(&b);
	buf_init(&t);
	buf_init(&s);
	roster_text(&t, 43, 3, 1);
	sign_text(&a, buf_str(&t), &s);
	/* Signed by another authority, or tampered: refused before parsing. */
	eb = (struct errbuf){0};
	assert_int_equal(import(&b, buf_str(&s), NULL, &st, &o, &eb), -EBADMSG);
	assert_true(untouched(&o));
	assert_int_equal(import(&a, buf_str(&t), NULL, &st, &o, &eb), -EBADMSG);
	expect_in(eb.text, "signature: missing");
	assert_true(untouched(&o));
	/* Another network's roster, even from the same authority. */
	struct roster_state other = {.network = "prod", .serial = 1};
	assert_int_equal(import(&a, buf_str(&s), NULL, &other, &o, &eb), -EINVAL);
	expect_in(eb.text, "network lab: this node belongs to network prod");
	assert_true(untouched(&o));
	/* The roster must name this node's actual key. */
	memset(self, 0x11, sizeof(self));
	assert_int_equal(import(&a, buf_str(&s), self, &st, &o, &eb), -EINVAL);
	expect_in(eb.text, "in the roster is not this node's key");
	assert_true(untouched(&o));
	/* And then it is accepted. */
	eb = (struct errbuf){0};
	assert_int_equal(key_from_base64(self, key_b64(1, 0)), 0);
	assert_int_equal(import(&a, buf_str(&s), self, &st, &o, &eb), 0);
	assert_int_equal(eb.count, 0);
	assert_int_equal(o.st.serial, 43);
	assert_string_equal(o.st.network, "lab");
	assert_int_equal(o.p.nsites, 2);
	policy_free(&o.p);
	/* The first roster a node sees sets its network. */
	struct roster_state none = {0};
	assert_int_equal(import(&a, buf_str(&s), NULL, &none, &o, &eb), 0);
	policy_free(&o.p);
	assert_int_equal(roster_check_serial(0, 1, &eb), 0);
	assert_int_equal(roster_check_serial(UINT64_MAX, UINT64_MAX, &eb), -ESTALE);
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
	authority_free(&b);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 250 nodes of 16 prefixes: measured, not asserted (timings belong to bench, not unit). */
static void
test_scale(void **state)
{
	struct authority a;
	struct errbuf eb = {0};
	struct policy cur, next;
	struct roster r;
	struct buf t, s;
	double t0, t1, t2, t3;

	(void)state;
	authority_new(&a);
	buf_init(&t);
	buf_init(&s);
	roster_text(&t, 1, 250, 16);
	sign_text(&a, buf_str(&t), &s);
	policy_init(&cur);
	t0 = now();
	assert_int_equal(verify(&a, s.data, s.len, &eb), 0);
	t1 = now();
	assert_int_equal(roster_parse(s.data, s.len, &r, &eb), 0);
	t2 = now();
	assert_int_equal(roster_to_policy(&r, "s1", &cur, &next, &eb), 0);
	t3 = now();
	printf("roster 250x16 (%zu bytes): verify %.2f ms, parse %.2f ms, to_policy (with "
	       "policy_validate) %.2f ms\n",
	       s.len, (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3);
	assert_int_equal(next.nsites, 249);
	policy_free(&next);
	policy_free(&cur);
	roster_free(&r);
	buf_free(&s);
	buf_free(&t);
	authority_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_tamper_every_byte),
	    cmocka_unit_test(test_wrong_authority),
	    cmocka_unit_test(test_missing_or_garbled_signature),
	    cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_parse_limits),
	    cmocka_unit_test(test_to_policy),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_import_rollback),
	    cmocka_unit_test(test_import_rules),
	    cmocka_unit_test(test_scale),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
