// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_delta.c — a site added or removed as a set-element change: the
 * elements of the static sets a full batch would write, compared with those
 * the kernel's table holds, and one batch of deletions and additions.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <errno.h>
#include <libnftnl/set.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "core/nl.h"
#include "policy/nft_int.h"

/* Room per element changed: key, flags, userdata and nesting are under half of it. */
#define ELEM_MSG_COST 128

/* One element as the delta compares it: key and whether it ends an interval. */
struct elem {
	uint8_t key[16];
	uint8_t len;
	bool end;
	bool open; /* interval start without an end (nft's userdata flag) */
};

struct elems {
	struct elem *v;
	size_t n, cap;
};

static int
elems_push(struct elems *l, const struct elem *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct elem *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

/*
 * Key order, and at one key an interval's end before the next one's start:
 * the order nft_build() sends them in, which the kernel's overlap checks
 * accept. The open flag is compared too, so that a change of it is sent.
 */
static int
elem_cmp(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;
	int c;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if ((c = memcmp(x->key, y->key, x->len)) != 0)
		return c;
	if (x->end != y->end)
		return x->end ? -1 : 1;
	return (int)x->open - (int)y->open;
}

/* The static set named name, or -1 (a dynamic set, or not ours). */
static int
static_set(const char *name)
{
	for (int i = 0; name && i < NFT_STATIC_SETS; i++)
		if (strcmp(name, nft_set_name(i)) == 0)
			return i;
	return -1;
}

/* nft's interval-open flag, from element userdata (type, length, value TLVs). */
static bool
udata_open(const uint8_t *u, uint32_t len)
{
	uint32_t flags;

	for (uint32_t off = 0; off + 2 <= len && off + 2 + u[off + 1] <= len;
	     off += 2 + u[off + 1]) {
		if (u[off] != NFTNL_UDATA_SET_ELEM_FLAGS || u[off + 1] != sizeof(flags))
			continue;
		memcpy(&flags, u + off + 2, sizeof(flags));
		return flags & NFTNL_SET_ELEM_F_INTERVAL_OPEN;
	}
	return false;
}

struct collect {
	struct elems *sets; /* NFT_STATIC_SETS of them */
	bool *present;
	int err;
};

/*
 * One element nest: its key (NFTA_DATA_VALUE inside NFTA_SET_ELEM_KEY),
 * flags and userdata, each validated. Read by hand: libnftnl's parser wants
 * every nest typed NFTA_LIST_ELEM, but its own builder numbers them 1, 2, ...
 */
static int
parse_elem(const struct nlattr *nest, struct elem *e)
{
	const struct nlattr *attr, *v;
	bool has_key = false;

	memset(e, 0, sizeof(*e));
	mnl_attr_for_each_nested(attr, nest)
	{
		switch (mnl_attr_get_type(attr)) {
		case NFTA_SET_ELEM_KEY:
			if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
				return -EBADMSG;
			mnl_attr_for_each_nested(v, attr)
			{
				uint16_t len = mnl_attr_get_payload_len(v);
				if (mnl_attr_get_type(v) != NFTA_DATA_VALUE || len == 0 ||
				    len > sizeof(e->key))
					continue;
				memcpy(e->key, mnl_attr_get_payload(v), len);
				e->len = (uint8_t)len;
				has_key = true;
			}
			break;
		case NFTA_SET_ELEM_FLAGS:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
				return -EBADMSG;
			e->end = ntohl(mnl_attr_get_u32(attr)) & NFT_SET_ELEM_INTERVAL_END;
			break;
		case NFTA_SET_ELEM_USERDATA:
			e->open =
			    udata_open(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
			break;
		}
	}
	return has_key ? 0 : -EBADMSG;
}

/* Adds the elements of one NEWSETELEM message (a batch's, or a dump's) to c. */
static int
collect_msg(const struct nlmsghdr *nlh, struct collect *c)
{
	const struct nlattr *attr, *elems = NULL, *nest;
	int i = -1, ret = 0;
	struct elem e;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			i = static_set(mnl_attr_get_str(attr));
		else if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_ELEMENTS &&
			 mnl_attr_validate(attr, MNL_TYPE_NESTED) == 0)
			elems = attr;
	}
	if (i < 0 || !elems)
		return 0;
	mnl_attr_for_each_nested(nest, elems)
	{
		if ((ret = parse_elem(nest, &e)) < 0 || (ret = elems_push(&c->sets[i], &e)) < 0)
			break;
	}
	return ret;
}

/* The static sets batch creates, and the elements it gives them. */
static int
batch_elems(const void *batch, size_t len, struct collect *c)
{
	const struct nlmsghdr *nlh = batch;
	int left = (int)len, ret = 0;

	for (; ret == 0 && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM)) {
			ret = collect_msg(nlh, c);
		} else if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET)) {
			struct nftnl_set *s = nftnl_set_alloc();
			int i;
			if (!s)
				return -ENOMEM;
			if (nftnl_set_nlmsg_parse(nlh, s) == 0 &&
			    (i = static_set(nftnl_set_get_str(s, NFTNL_SET_NAME))) >= 0)
				c->present[i] = true;
			nftnl_set_free(s);
		}
	}
	return ret;
}

static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;

	c->err = collect_msg(nlh, c);
	if (c->err < 0) {
		errno = -c->err;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* The kernel's elements of static set i into c. */
static int
kernel_elems(struct mnl_socket *nl, enum nft_set_idx i, struct collect *c)
{
	int ret = nft_set_dump(nl, i, dump_cb, c);

	return c->err < 0 ? c->err : ret;
}

/*
 * Emits, as type, the elements of a that b lacks (both sorted). Returns how
 * many; the caller's c->err says whether the batch took them.
 */
static size_t
emit_missing(struct nft_ctx *c, enum nft_set_idx i, uint16_t type, const struct elems *a,
	     const struct elems *b)
{
	struct nft_elems e = {.c = c, .set = i, .type = type};
	size_t j = 0, n = 0;

	for (size_t k = 0; k < a->n; k++) {
		while (j < b->n && elem_cmp(&b->v[j], &a->v[k]) < 0)
			j++;
		if (j < b->n && elem_cmp(&b->v[j], &a->v[k]) == 0)
			continue;
		nft_elems_add(&e, a->v[k].key, a->v[k].len,
			      a->v[k].end ? NFT_SET_ELEM_INTERVAL_END : 0, a->v[k].open);
		n++;
	}
	nft_elems_flush(&e);
	return n;
}

/* How many elements differ between the two sorted lists, either way. */
static size_t
count_diff(const struct elems *a, const struct elems *b)
{
	size_t i = 0, j = 0, same = 0;

	while (i < a->n && j < b->n) {
		int c = elem_cmp(&a->v[i], &b->v[j]);
		if (c == 0)
			same++;
		i += c <= 0;
		j += c >= 0;
	}
	return a->n + b->n - 2 * same;
}

/* Deletions first (all sets), then additions: the batch is one transaction either way. */
static int
delta_batch(struct elems *want, struct elems *have, size_t n, uint32_t *seq, void **out,
	    size_t *outlen)
{
	size_t limit = 2 * NFT_MSG_MAX + n * ELEM_MSG_COST;
	char *buf = malloc(2 * limit); /* libmnl: twice the limit */
	struct mnl_nlmsg_batch *b = buf ? mnl_nlmsg_batch_start(buf, limit) : NULL;
	struct nft_ctx c = {.b = b, .seq = seq};

	if (!b) {
		free(buf);
		return -ENOMEM;
	}
	nftnl_batch_begin(mnl_nlmsg_batch_current(b), (*seq)++);
	nft_msg_end(&c);
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		emit_missing(&c, i, NFT_MSG_DELSETELEM, &have[i], &want[i]);
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		emit_missing(&c, i, NFT_MSG_NEWSETELEM, &want[i], &have[i]);
	nftnl_batch_end(mnl_nlmsg_batch_current(b), (*seq)++);
	nft_msg_end(&c);
	if (c.err) {
		mnl_nlmsg_batch_stop(b);
		free(buf);
		return c.err;
	}
	/* The messages stay where they are: the head of buf. */
	*outlen = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
	*out = buf;
	return 0;
}

/* Most lists come sorted already (nft_build writes ranges in order): check before sorting. */
static void
elems_sort(struct elems *l)
{
	for (size_t i = 1; i < l->n; i++) {
		if (elem_cmp(&l->v[i - 1], &l->v[i]) > 0) {
			qsort(l->v, l->n, sizeof(*l->v), elem_cmp);
			return;
		}
	}
}

/* Counts and writes the difference of two sorted sides. */
static int
delta_sorted(struct elems *want, struct elems *have, uint32_t *seq, void **out, size_t *outlen)
{
	size_t n = 0;

	for (int i = 0; i < NFT_STATIC_SETS; i++)
		n += count_diff(&want[i], &have[i]);
	*out = NULL;
	*outlen = 0;
	return n ? delta_batch(want, have, n, seq, out, outlen) : 0;
}

struct nft_elemsets {
	struct elems sets[NFT_STATIC_SETS];
	bool present[NFT_STATIC_SETS];
};

void
nft_elemsets_free(struct nft_elemsets *s)
{
	if (!s)
		return;
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		free(s->sets[i].v);
	free(s);
}

/* s filled (ret 0): sorted into *out; else freed. */
static int
elemsets_done(struct nft_elemsets *s, int ret, struct nft_elemsets **out)
{
	if (ret < 0) {
		nft_elemsets_free(s);
		return ret;
	}
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		elems_sort(&s->sets[i]);
	*out = s;
	return 0;
}

int
nft_elemsets_from_batch(const void *batch, size_t len, struct nft_elemsets **out)
{
	struct nft_elemsets *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	return elemsets_done(
	    s, batch_elems(batch, len, &(struct collect){.sets = s->sets, .present = s->present}),
	    out);
}

static int
policy_sink(void *ctx, int set, const uint8_t *key, size_t len, uint32_t flags, bool open)
{
	struct nft_elemsets *s = ctx;
	struct elem e = {.len = (uint8_t)len, .end = flags & NFT_SET_ELEM_INTERVAL_END, .open = open};

	if (set < 0 || set >= NFT_STATIC_SETS || len > sizeof(e.key))
		return -EINVAL;
	memcpy(e.key, key, len);
	return elems_push(&s->sets[set], &e);
}

int
nft_elemsets_from_policy(const struct policy *p, enum domain d, struct nft_elemsets **out)
{
	struct nft_elemsets *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		s->present[i] = i < NFT_NSETS ? nft_has_prefix_sets(d) : nft_guarded(d);
	return elemsets_done(s, nft_walk_elems(p, d, policy_sink, s), out);
}

int
nft_delta_sets(struct nft_elemsets *want, struct nft_elemsets *have, uint32_t *seq, void **out,
	       size_t *outlen)
{
	return delta_sorted(want->sets, have->sets, seq, out, outlen);
}

int
nft_delta_kernel(struct mnl_socket *nl, struct nft_elemsets *want, uint32_t *seq, void **out,
		 size_t *outlen)
{
	struct elems have[NFT_STATIC_SETS] = {0};
	struct collect ch = {.sets = have, .present = want->present};
	int ret = 0;

	for (int i = 0; ret == 0 && i < NFT_STATIC_SETS; i++)
		if (want->present[i])
			ret = kernel_elems(nl, i, &ch);
	for (int i = 0; ret == 0 && i < NFT_STATIC_SETS; i++)
		elems_sort(&have[i]);
	if (ret == 0)
		ret = delta_sorted(want->sets, have, seq, out, outlen);
	for (int i = 0; i < NFT_STATIC_SETS; i++)
		free(have[i].v);
	return ret;
}

int
nft_delta(struct mnl_socket *nl, const void *batch, size_t len, uint32_t *seq, void **out,
	  size_t *outlen)
{
	struct nft_elemsets *want;
	int ret = nft_elemsets_from_batch(batch, len, &want);

	if (ret < 0)
		return ret;
	ret = nft_delta_kernel(nl, want, seq, out, outlen);
	nft_elemsets_free(want);
	return ret;
}
