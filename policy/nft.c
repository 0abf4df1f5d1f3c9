// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft.c — builds one domain's nftables batch: table `inet umbral`
 * replaced atomically (add, delete, add), its four interval sets of
 * prefixes, its chains, then the rules (nft_rules.c). The table's comment
 * carries a digest of everything after it but set elements, so an
 * unchanged policy is seen (elements: nft_delta.c).
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>

#include <errno.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/nl.h"
#include "policy/nft_int.h"
#include "policy/ranges.h"

/* Part of the digest, so a new compiler's output re-applies once. */
#define DIGEST_VERSION "umbral-nft-3"
/* Elements per NEWSETELEM message: keeps each message far below NFT_MSG_MAX. */
#define ELEM_CHUNK 256
/* Room in a set with a timeout (the guard's dynamic sets): this many sources. */
#define DYNAMIC_SET_SIZE 65535
/* nft's datatype numbers and byte order, so `nft list` prints addresses. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_BYTEORDER_BIG 2

static const char *const set_names[] = {"local4", "local6", "remote4", "remote6", "peers4",
					"peers6", "meter4", "meter6",  "block4",  "block6"};

const char *
nft_set_name(enum nft_set_idx i)
{
	return set_names[i];
}

int
nft_set_family(enum nft_set_idx i)
{
	/* Every set comes as a pair, IPv4 first. */
	return i % 2 == 0 ? AF_INET : AF_INET6;
}

int
nft_set_dump(struct mnl_socket *nl, enum nft_set_idx i, mnl_cb_t cb, void *data)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, nft_set_name(i)) < 0) {
		if (s)
			nftnl_set_free(s);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP, 0);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nl_talk(nl, nlh, cb, data);
}

struct nlmsghdr *
nft_msg_begin(struct nft_ctx *c, uint16_t type, uint16_t flags)
{
	void *at;

	if (c->err)
		return NULL;
	/*
	 * libmnl leaves attribute padding as it finds it: zeroed, the bytes are
	 * the same every time, and so is the digest over them. The batch's
	 * limit guarantees NFT_MSG_MAX bytes here.
	 */
	at = mnl_nlmsg_batch_current(c->b);
	memset(at, 0, NFT_MSG_MAX);
	return nftnl_nlmsg_build_hdr(at, type, NFPROTO_INET, flags | NLM_F_ACK, (*c->seq)++);
}

void
nft_msg_end(struct nft_ctx *c)
{
	if (!mnl_nlmsg_batch_next(c->b))
		c->err = -EMSGSIZE;
}

/* Add or delete the table; comment (may be NULL) goes into its userdata. */
static void
table_msg(struct nft_ctx *c, uint16_t type, const char *comment)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *ud = NULL;
	struct nlmsghdr *nlh;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE) < 0)
		goto nomem;
	if (comment) {
		ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		if (!ud || !nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment) ||
		    nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
					 nftnl_udata_buf_len(ud)) < 0)
			goto nomem;
	}
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	nlh = nft_msg_begin(c, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0);
	if (nlh) {
		nftnl_table_nlmsg_build_payload(nlh, t);
		nft_msg_end(c);
	}
	goto out;
nomem:
	if (!c->err)
		c->err = -ENOMEM;
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (t)
		nftnl_table_free(t);
}

struct nftnl_set *
nft_set_new(struct nft_ctx *c, enum nft_set_idx i)
{
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s || nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, set_names[i]) < 0) {
		if (s)
			nftnl_set_free(s);
		if (!c->err)
			c->err = -ENOMEM;
		return NULL;
	}
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, (uint32_t)i + 1);
	return s;
}

void
nft_set_msg(struct nft_ctx *c, enum nft_set_idx i, uint32_t flags, uint64_t timeout_ms,
	    struct nftnl_expr *elem_expr)
{
	bool v4 = nft_set_family(i) == AF_INET;
	struct nftnl_set *s = nft_set_new(c, i);
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
	struct nlmsghdr *nlh;

	if (!s || !ud ||
	    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_KEYBYTEORDER, NFT_BYTEORDER_BIG) ||
	    nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(ud),
			       nftnl_udata_buf_len(ud)) < 0) {
		if (!c->err)
			c->err = -ENOMEM;
		if (elem_expr)
			nftnl_expr_free(elem_expr);
		goto out;
	}
	if (flags)
		nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, v4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, v4 ? 4 : 16);
	if (timeout_ms) {
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, timeout_ms);
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, DYNAMIC_SET_SIZE);
	}
	if (elem_expr)
		nftnl_set_add_expr(s, elem_expr); /* the set owns it now */
	nlh = nft_msg_begin(c, NFT_MSG_NEWSET, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_nlmsg_build_payload(nlh, s);
		nft_msg_end(c);
	}
out:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (s)
		nftnl_set_free(s);
}

/* The ranges of set i's prefixes, merged; r is owned by the caller. Returns the count or -ENOMEM.
 */
static int
set_ranges(const struct policy *p, enum nft_set_idx i, struct range **out)
{
	int family = nft_set_family(i);
	bool local = i == NFT_LOCAL4 || i == NFT_LOCAL6;
	struct prefix *mine = NULL;
	struct range *r = NULL;
	size_t n = 0, nmine = 0;

	if (local && policy_local_prefixes(p, &mine, &nmine) < 0)
		return -ENOMEM;
	/* Pass 0 counts, pass 1 fills. */
	for (int pass = 0; pass < 2; pass++) {
		n = 0;
		if (local)
			n = ranges_collect(mine, nmine, (uint8_t)family, r, n);
		else
			for (size_t s = 0; s < p->nsites; s++)
				n = ranges_collect(p->sites[s].prefixes, p->sites[s].nprefixes,
						   (uint8_t)family, r, n);
		if (pass == 0 && !(r = calloc(n ? n : 1, sizeof(*r)))) {
			free(mine);
			return -ENOMEM;
		}
	}
	free(mine);
	*out = r;
	return (int)ranges_merge(r, n);
}

/* Sent ELEM_CHUNK at a time. */
void
nft_elems_flush(struct nft_elems *e)
{
	struct nlmsghdr *nlh;

	if (!e->s)
		return;
	if (e->type == NFT_MSG_DELSETELEM)
		nlh = nft_msg_begin(e->c, NFT_MSG_DELSETELEM, 0);
	else
		nlh = nft_msg_begin(e->c, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
	if (nlh) {
		nftnl_set_elems_nlmsg_build_payload(nlh, e->s);
		nft_msg_end(e->c);
	}
	nftnl_set_free(e->s);
	e->s = NULL;
	e->n = 0;
}

void
nft_elems_add(struct nft_elems *e, const uint8_t *key, size_t len, uint32_t flags, bool open)
{
	struct nftnl_set_elem *el;
	struct nftnl_udata_buf *ud = NULL;
	int ret;

	if (e->c->sink) {
		if (!e->c->err && (ret = e->c->sink(e->c->sink_ctx, e->set, key, len, flags, open)) < 0)
			e->c->err = ret;
		return;
	}
	if (!e->s && !(e->s = nft_set_new(e->c, e->set)))
		return;
	el = nftnl_set_elem_alloc();
	if (!el)
		goto nomem;
	nftnl_set_elem_add(e->s, el);
	if (nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, key, (uint32_t)len) < 0)
		goto nomem;
	if (flags)
		nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_FLAGS, flags);
	if (open) {
		ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		if (!ud ||
		    !nftnl_udata_put_u32(ud, NFTNL_UDATA_SET_ELEM_FLAGS,
					 NFTNL_SET_ELEM_F_INTERVAL_OPEN) ||
		    nftnl_set_elem_set(el, NFTNL_SET_ELEM_USERDATA, nftnl_udata_buf_data(ud),
				       nftnl_udata_buf_len(ud)) < 0)
			goto nomem;
		nftnl_udata_buf_free(ud);
	}
	if (++e->n == ELEM_CHUNK)
		nft_elems_flush(e);
	return;
nomem:
	if (ud)
		nftnl_udata_buf_free(ud);
	if (!e->c->err)
		e->c->err = -ENOMEM;
}

/*
 * Interval elements as nft sends them: each range is a start element and an
 * end element (first address after it) flagged INTERVAL_END; a range that
 * reaches the top of the address space has no end. Unless the first range
 * starts at the zero address, an end element at zero opens the list.
 */
static void
set_elems(struct nft_ctx *c, enum nft_set_idx i)
{
	size_t alen = nft_set_family(i) == AF_INET ? 4 : 16;
	static const uint8_t zero[16];
	struct nft_elems e = {.c = c, .set = i};
	struct range *r = NULL;
	int n = set_ranges(c->p, i, &r);

	if (n < 0) {
		if (!c->err)
			c->err = n;
		return;
	}
	if (n > 0 && memcmp(r[0].start, zero, alen) != 0)
		nft_elems_add(&e, zero, alen, NFT_SET_ELEM_INTERVAL_END, false);
	for (int k = 0; k < n && !c->err; k++) {
		nft_elems_add(&e, r[k].start, alen, 0, r[k].open);
		if (!r[k].open)
			nft_elems_add(&e, r[k].end, alen, NFT_SET_ELEM_INTERVAL_END, false);
	}
	nft_elems_flush(&e);
	free(r);
}

/* A chain; type NULL for a regular one (no hook), entered by goto from another. */
struct chain_def {
	const char *name;
	const char *type;
	uint32_t hook;
	int32_t prio;
	uint32_t policy;
	bool small_only; /* only on a small node (the direct path) */
};

/* Every domain's own input and output: default deny (policy/nft_guard.c). */
#define HOST_CHAINS                                                                                \
	{"input", "filter", NF_INET_LOCAL_IN, 0, NF_DROP, false},                                  \
	{                                                                                          \
		"output", "filter", NF_INET_LOCAL_OUT, 0, NF_DROP, false                           \
	}

/* What the LAN sends is classified in lan once (policy/nft_rules.c red_prerouting). */
static const struct chain_def red_chains[] = {
    {"prerouting", "filter", NF_INET_PRE_ROUTING, -150, NF_ACCEPT, false},
    {NFT_CHAIN_LAN, NULL, 0, 0, 0, false},
    {NFT_CHAIN_SECURE, NULL, 0, 0, 0, false},
    {NFT_CHAIN_DIRECT, NULL, 0, 0, 0, true},
    {"forward", "filter", NF_INET_FORWARD, 0, NF_DROP, false},
    HOST_CHAINS,
    {NULL, NULL, 0, 0, 0, false},
};
static const struct chain_def crypto_chains[] = {
    {"forward", "filter", NF_INET_FORWARD, 0, NF_DROP, false},
    HOST_CHAINS,
    {NULL, NULL, 0, 0, 0, false},
};
/* The flood guard runs before DNAT sends WireGuard's port on to crypto. */
static const struct chain_def black_chains[] = {
    {"guard", "filter", NF_INET_PRE_ROUTING, -150, NF_ACCEPT, false},
    {"prerouting", "nat", NF_INET_PRE_ROUTING, -100, NF_ACCEPT, false},
    {"postrouting", "nat", NF_INET_POST_ROUTING, 100, NF_ACCEPT, false},
    {"forward", "filter", NF_INET_FORWARD, 0, NF_DROP, false},
    HOST_CHAINS,
    {NULL, NULL, 0, 0, 0, false},
};

static void
chain_msg(struct nft_ctx *c, const struct chain_def *def)
{
	struct nftnl_chain *ch = nftnl_chain_alloc();
	struct nlmsghdr *nlh;

	if (def->small_only && c->p->node.mode != MODE_SMALL)
		goto out;
	if (!ch || nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, NFT_TABLE) < 0 ||
	    nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, def->name) < 0 ||
	    (def->type && nftnl_chain_set_str(ch, NFTNL_CHAIN_TYPE, def->type) < 0)) {
		if (!c->err)
			c->err = -ENOMEM;
		goto out;
	}
	nftnl_chain_set_u32(ch, NFTNL_CHAIN_FAMILY, NFPROTO_INET);
	if (def->type) {
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_HOOKNUM, def->hook);
		nftnl_chain_set_s32(ch, NFTNL_CHAIN_PRIO, def->prio);
		nftnl_chain_set_u32(ch, NFTNL_CHAIN_POLICY, def->policy);
	}
	nlh = nft_msg_begin(c, NFT_MSG_NEWCHAIN, NLM_F_CREATE);
	if (nlh) {
		nftnl_chain_nlmsg_build_payload(nlh, ch);
		nft_msg_end(c);
	}
out:
	if (ch)
		nftnl_chain_free(ch);
}

/*
 * Hashes messages [from, to) with their sequence numbers zeroed, except the
 * elements of sets: those of the static sets are compared with the kernel's
 * own (nft_delta), so that a site added or removed is an element change in
 * the table that stays, not a new table; the dynamic sets have none here.
 */
static void
digest_hex(const char *from, const char *to, char hex[NFT_DIGEST_HEX + 1])
{
	uint8_t h[NFT_DIGEST_HEX / 2];
	crypto_generichash_state st;
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)from;
	int left = (int)(to - from);

	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)DIGEST_VERSION, sizeof(DIGEST_VERSION));
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		struct nlmsghdr hdr = *nlh;
		if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
			continue;
		hdr.nlmsg_seq = 0;
		crypto_generichash_update(&st, (const uint8_t *)&hdr, sizeof(hdr));
		crypto_generichash_update(&st, (const uint8_t *)(nlh + 1),
					  nlh->nlmsg_len - sizeof(hdr));
	}
	crypto_generichash_final(&st, h, sizeof(h));
	sodium_bin2hex(hex, NFT_DIGEST_HEX + 1, h, sizeof(h));
}

/* Overwrites the placeholder digest in the table message's comment. */
static int
digest_patch(struct nlmsghdr *table, const char hex[NFT_DIGEST_HEX + 1])
{
	struct nlattr *attr;

	mnl_attr_for_each(attr, table, sizeof(struct nfgenmsg))
	{
		char *comment = (char *)mnl_attr_get_payload(attr) + 2; /* udata type, len */
		if (mnl_attr_get_type(attr) != NFTA_TABLE_USERDATA)
			continue;
		if (mnl_attr_get_payload_len(attr) <
		    2 + sizeof(NFT_COMMENT_PREFIX) + NFT_DIGEST_HEX)
			return -EINVAL;
		memcpy(comment + strlen(NFT_COMMENT_PREFIX), hex, NFT_DIGEST_HEX);
		return 0;
	}
	return -EINVAL;
}

/*
 * Red marks by the prefix sets and black refuses secure plaintext by them.
 * Crypto's forward chain passes only wg0 and red, whatever the address, so
 * it holds none: 4000 prefixes less to load, and a site change there is
 * WireGuard's alone.
 */
bool
nft_has_prefix_sets(enum domain d)
{
	return d != DOMAIN_CRYPTO;
}

static const struct chain_def *
chains_of(enum domain d)
{
	switch (d) {
	case DOMAIN_RED:
		return red_chains;
	case DOMAIN_CRYPTO:
		return crypto_chains;
	case DOMAIN_BLACK:
		return black_chains;
	default:
		return NULL;
	}
}

int
nft_build(const struct policy *p, enum domain d, struct mnl_nlmsg_batch *b, uint32_t *seq)
{
	struct nft_ctx c = {.p = p, .d = d, .b = b, .seq = seq};
	const struct chain_def *chains = chains_of(d);
	char placeholder[sizeof(NFT_COMMENT_PREFIX) + NFT_DIGEST_HEX], hex[NFT_DIGEST_HEX + 1];
	struct nlmsghdr *table;
	char *body;

	if (!chains)
		return -EINVAL;
	snprintf(placeholder, sizeof(placeholder), "%s%0*d", NFT_COMMENT_PREFIX, NFT_DIGEST_HEX, 0);
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), (*seq)++);
	nft_msg_end(&c);
	/* Add first so that the delete never fails: replacement in one transaction. */
	table_msg(&c, NFT_MSG_NEWTABLE, NULL);
	table_msg(&c, NFT_MSG_DELTABLE, NULL);
	table = mnl_nlmsg_batch_current(b);
	table_msg(&c, NFT_MSG_NEWTABLE, placeholder);
	body = mnl_nlmsg_batch_current(b);
	for (int i = 0; i < NFT_NSETS && nft_has_prefix_sets(d); i++) {
		nft_set_msg(&c, i, NFT_SET_INTERVAL, 0, NULL);
		set_elems(&c, i);
	}
	nft_guard_sets(&c);
	for (const struct chain_def *def = chains; def->name; def++)
		chain_msg(&c, def);
	nft_rules_build(&c);
	nft_guard_rules(&c);
	if (c.err)
		return c.err;
	digest_hex(body, mnl_nlmsg_batch_current(b), hex);
	if ((c.err = digest_patch(table, hex)) < 0)
		return c.err;
	nftnl_batch_end(mnl_nlmsg_batch_current(b), (*seq)++);
	nft_msg_end(&c);
	return c.err;
}

int
nft_walk_elems(const struct policy *p, enum domain d, nft_elem_sink sink, void *ctx)
{
	struct nft_ctx c = {.p = p, .d = d, .sink = sink, .sink_ctx = ctx};

	if (!chains_of(d))
		return -EINVAL;
	for (int i = 0; i < NFT_NSETS && nft_has_prefix_sets(d); i++)
		set_elems(&c, i);
	nft_guard_peer_elems(&c);
	return c.err;
}

size_t
nft_batch_limit(const struct policy *p)
{
	size_t n = p->node.nprefixes + p->nlan_routes;

	for (size_t s = 0; s < p->nsites; s++)
		n += p->sites[s].nprefixes;
	/*
	 * Fixed rules and headers fit in 64 KiB; an element with its end is under
	 * 128 bytes; a split rule is at most one rule message per family, each
	 * under 512 bytes (ifname, two prefixes, service, mark, counter).
	 */
	/* ... and each site's endpoint an element of the guard's peer sets. */
	return 2 * NFT_MSG_MAX + 65536 + (n + p->nsites) * 128 + p->nrules * 2 * 512;
}

int
nft_comment_digest(const void *udata, uint32_t len, char hex[NFT_DIGEST_HEX + 1])
{
	const uint8_t *u = udata;
	size_t plen = strlen(NFT_COMMENT_PREFIX);

	/* Walks the TLVs by hand: nftnl_udata_parse() wants a callback per type. */
	for (uint32_t off = 0; off + 2 <= len && off + 2 + u[off + 1] <= len;
	     off += 2 + u[off + 1]) {
		const char *v = (const char *)u + off + 2;
		if (u[off] != NFTNL_UDATA_TABLE_COMMENT || u[off + 1] != plen + NFT_DIGEST_HEX + 1)
			continue;
		if (memcmp(v, NFT_COMMENT_PREFIX, plen) != 0 || v[plen + NFT_DIGEST_HEX] != '\0')
			continue;
		if (strspn(v + plen, "0123456789abcdef") != NFT_DIGEST_HEX)
			continue;
		memcpy(hex, v + plen, NFT_DIGEST_HEX + 1);
		return 0;
	}
	return -ENOENT;
}

int
nft_batch_digest(const void *batch, size_t len, char hex[NFT_DIGEST_HEX + 1])
{
	const struct nlmsghdr *nlh = batch, *last = NULL;
	int left = (int)len, ret = -ENOENT;
	struct nftnl_table *t;
	const void *ud;
	uint32_t udlen;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE))
			last = nlh;
	if (!last || !(t = nftnl_table_alloc()))
		return last ? -ENOMEM : -ENOENT;
	if (nftnl_table_nlmsg_parse(last, t) == 0 &&
	    (ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &udlen)))
		ret = nft_comment_digest(ud, udlen, hex);
	nftnl_table_free(t);
	return ret;
}

int
nft_digest(const struct policy *p, enum domain d, char hex[NFT_DIGEST_HEX + 1])
{
	size_t limit = nft_batch_limit(p);
	char *buf = malloc(2 * limit);
	struct mnl_nlmsg_batch *b;
	uint32_t seq = 0;
	int ret = -ENOMEM;

	if (!buf)
		return -ENOMEM;
	b = mnl_nlmsg_batch_start(buf, limit);
	if (b) {
		ret = nft_build(p, d, b, &seq);
		if (ret == 0)
			ret =
			    nft_batch_digest(mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b), hex);
		mnl_nlmsg_batch_stop(b);
	}
	free(buf);
	return ret;
}
