// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/guard_read.c — reads back what the host protection counted: the
 * table's named counters, how many sources the block sets hold, and the
 * GUARD_TOP of them that sent most since they were blocked. Three dumps on
 * the caller's socket; a flood's thousands of sources are counted, not kept.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>
#include <stdio.h> /* libnftnl headers use FILE without including it */

#include <errno.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <stdlib.h>
#include <string.h>

#include "core/nl.h"
#include "policy/guard.h"
#include "policy/nft_int.h"

static int
counter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct guard_counts *g = data;
	struct nftnl_obj *o = nftnl_obj_alloc();
	const char *name;
	uint64_t pkts;

	if (!o) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_obj_nlmsg_parse(nlh, o) == 0 && (name = nftnl_obj_get_str(o, NFTNL_OBJ_NAME)) &&
	    nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE) == NFT_OBJECT_COUNTER) {
		pkts = nftnl_obj_get_u64(o, NFTNL_OBJ_CTR_PKTS);
		if (strcmp(name, GUARD_CTR_NEVER) == 0)
			g->never = pkts;
		else if (strcmp(name, GUARD_CTR_BLOCKED) == 0)
			g->blocked = pkts;
		else if (strcmp(name, GUARD_CTR_GLOBAL) == 0)
			g->global = pkts;
	}
	nftnl_obj_free(o);
	return MNL_CB_OK;
}

static int
read_counters(struct mnl_socket *nl, struct guard_counts *g)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nftnl_obj *o = nftnl_obj_alloc();
	struct nlmsghdr *nlh;

	if (!o)
		return -ENOMEM;
	nftnl_obj_set_str(o, NFTNL_OBJ_TABLE, NFT_TABLE);
	nftnl_obj_set_u32(o, NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
	if (!nftnl_obj_is_set(o, NFTNL_OBJ_TABLE)) {
		nftnl_obj_free(o);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETOBJ, NFPROTO_INET, NLM_F_DUMP, 0);
	nftnl_obj_nlmsg_build_payload(nlh, o);
	nftnl_obj_free(o);
	return nl_talk(nl, nlh, counter_cb, g);
}

/* Packets an element's counter holds (0 without one). */
static int
elem_packets(struct nftnl_expr *e, void *data)
{
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && strcmp(name, "counter") == 0)
		*(uint64_t *)data = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
	return 0;
}

struct elem_ctx {
	struct guard_counts *g;
	int family;
};

/* Keeps src among the GUARD_TOP with most packets, most first: a flood may block thousands. */
static void
top_insert(struct guard_counts *g, const struct guard_source *src)
{
	size_t at = g->ntop;

	while (at > 0 && g->top[at - 1].packets < src->packets)
		at--;
	if (at == GUARD_TOP)
		return;
	if (g->ntop < GUARD_TOP)
		g->ntop++;
	memmove(&g->top[at + 1], &g->top[at], (g->ntop - 1 - at) * sizeof(*src));
	g->top[at] = *src;
}

static int
elem_cb(struct nftnl_set_elem *el, void *data)
{
	struct elem_ctx *ec = data;
	size_t alen = ec->family == AF_INET ? 4 : 16;
	struct guard_source src = {.family = ec->family};
	const void *key;
	uint32_t len = 0;

	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &len);
	if (!key || len != alen)
		return 0;
	memcpy(src.addr, key, alen);
	nftnl_set_elem_expr_foreach(el, elem_packets, &src.packets);
	ec->g->nsources++;
	top_insert(ec->g, &src);
	return 0;
}

static int
set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct elem_ctx *ec = data;
	struct nftnl_set *s = nftnl_set_alloc();

	if (!s) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) == 0)
		nftnl_set_elem_foreach(s, elem_cb, ec);
	nftnl_set_free(s);
	return MNL_CB_OK;
}

static int
read_block_set(struct mnl_socket *nl, enum nft_set_idx set, struct guard_counts *g)
{
	struct elem_ctx ec = {.g = g, .family = nft_set_family(set)};

	return nft_set_dump(nl, set, set_cb, &ec);
}

int
guard_read(struct mnl_socket *nl, enum domain d, struct guard_counts *out)
{
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_counters(nl, out);
	if (ret == 0 && d != DOMAIN_RED) {
		ret = read_block_set(nl, NFT_BLOCK4, out);
		if (ret == 0)
			ret = read_block_set(nl, NFT_BLOCK6, out);
	}
	return ret;
}
