// SPDX-License-Identifier: GPL-2.0-only
/*
 * tests/unit/test_nft.c — builds each domain's nftables batch and parses it
 * back with libnftnl: table and digest, sets and their interval elements,
 * chains, rules. Hermetic. `test_nft --apply DOMAIN [VARIANT]` instead
 * applies the table in the current namespace, for a live check by hand.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libnftnl/chain.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "policy/nft.h"
#include "policy/nft_int.h"
#include "policy/policy.h"

#define MAX_ELEMS 4096
#define MAX_RULES 1100

struct elem {
	uint8_t key[16];
	uint32_t flags;
	bool open; /* carries userdata (the interval-open flag) */
};

struct pset {
	char name[32];
	uint32_t flags, keylen, keytype, id;
	int nelems, nmsgs;
	struct elem *elems;
};

struct pchain {
	char name[32], type[16];
	uint32_t hook, policy;
	int32_t prio;
	int nrules;
};

/* What a batch holds, as libnftnl parses it back. */
struct parsed {
	int nmsgs, begin, end;
	char table_ops[8]; /* 'a' add, 'd' delete, in order */
	char digest[NFT_DIGEST_HEX + 1];
	int has_digest;
	struct pset sets[12];
	int nsets;
	struct pchain chains[8];
	int nchains;
	char objs[8][32]; /* named counters, in order */
	int nobjs;
	char (*rules)[2048]; /* MAX_RULES of "chain: [ expr ]..." as libnftnl prints them */
	int nrules;
};

static void
add_prefix(struct prefix **list, size_t *n, const char *s)
{
	struct errbuf eb = {0};
	struct prefix *l = realloc(*list, (*n + 1) * sizeof(**list));

	assert_non_null(l);
	*list = l;
	assert_int_equal(prefix_parse(s, &l[*n], "", &eb), 0);
	(*n)++;
}

static void
add_site(struct policy *p, const char *name, const char *const *prefixes)
{
	struct site s;

	memset(&s, 0, sizeof(s));
	snprintf(s.name, sizeof(s.name), "%s", name);
	for (; *prefixes; prefixes++)
		add_prefix(&s.prefixes, &s.nprefixes, *prefixes);
	assert_int_equal(policy_site_append(p, &s), 0);
	site_free(&s);
}

/* Site 1 of the lab, knowing sites 2 and 3. */
static void
lab_policy(struct policy *p, enum node_mode mode)
{
	static const char *const s2[] = {"10.2.0.0/16", "fd00:0:2::/48", NULL};
	static const char *const s3[] = {"10.3.0.0/16", "fd00:0:3::/48", NULL};

	policy_init(p);
	snprintf(p->node.name, sizeof(p->node.name), "s1");
	p->node.mode = mode;
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "10.1.0.0/16");
	add_prefix(&p->node.prefixes, &p->node.nprefixes, "fd00:0:1::/48");
	add_site(p, "s2", s2);
	add_site(p, "s3", s3);
}

static void
parse_set(struct parsed *ps, const struct nlmsghdr *nlh)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct pset *o = &ps->sets[ps->nsets++];

	assert_true(ps->nsets <= 12);
	assert_int_equal(nftnl_set_nlmsg_parse(nlh, s), 0);
	snprintf(o->name, sizeof(o->name), "%s", nftnl_set_get_str(s, NFTNL_SET_NAME));
	o->flags = nftnl_set_get_u32(s, NFTNL_SET_FLAGS);
	o->keylen = nftnl_set_get_u32(s, NFTNL_SET_KEY_LEN);
	o->keytype = nftnl_set_get_u32(s, NFTNL_SET_KEY_TYPE);
	o->id = nftnl_set_get_u32(s, NFTNL_SET_ID);
	o->elems = calloc(MAX_ELEMS, sizeof(*o->elems));
	assert_non_null(o->elems);
	nftnl_set_free(s);
}

/*
 * libnftnl numbers the elements of a list 1, 2, 3... when it builds (the
 * kernel ignores the type) but its parser wants every one NFTA_LIST_ELEM,
 * as the kernel sends them: a copy with the types rewritten parses.
 */
static struct nlmsghdr *
elems_normalised(const struct nlmsghdr *nlh)
{
	struct nlmsghdr *copy = malloc(nlh->nlmsg_len);
	struct nlattr *attr, *el;

	assert_non_null(copy);
	memcpy(copy, nlh, nlh->nlmsg_len);
	mnl_attr_for_each(attr, copy, sizeof(struct nfgenmsg))
	{
		if (mnl_attr_get_type(attr) != NFTA_SET_ELEM_LIST_ELEMENTS)
			continue;
		mnl_attr_for_each_nested(el, attr) el->nla_type =
		    (uint16_t)((el->nla_type & ~NLA_TYPE_MASK) | NFTA_LIST_ELEM);
	}
	return copy;
}

static void
parse_elems(struct parsed *ps, const struct nlmsghdr *msg)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh = elems_normalised(msg);
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem *e;
	struct pset *o = NULL;

	assert_int_equal(nftnl_set_elems_nlmsg_parse(nlh, s), 0);
	free(nlh);
	for (int i = 0; i < ps->nsets; i++)
		if (strcmp(ps->sets[i].name, nftnl_set_get_str(s, NFTNL_SET_NAME)) == 0)
			o = &ps->sets[i];
	assert_non_null(o); /* elements come after their set */
	o->nmsgs++;
	it = nftnl_set_elems_iter_create(s);
	while ((e = nftnl_set_elems_iter_next(it))) {
		uint32_t len = 0;
		const void *key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
		struct elem *x = &o->elems[o->nelems++];

		assert_true(o->nelems <= MAX_ELEMS);
		assert_int_equal(len, o->keylen);
		memcpy(x->key, key, len);
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS))
			x->flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
		x->open = nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
}

static void
parse_chain(struct parsed *ps, const struct nlmsghdr *nlh)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct pchain *o = &ps->chains[ps->nchains++];

	assert_true(ps->nchains <= 8);
	assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
	snprintf(o->name, sizeof(o->name), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_NAME));
	snprintf(o->type, sizeof(o->type), "%s", nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE));
	o->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
	o->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
	o->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
	nftnl_chain_free(c);
}

static void
parse_rule(struct parsed *ps, const struct nlmsghdr *nlh)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	const char *chain;

	assert_true(ps->nrules < MAX_RULES);
	assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	for (int i = 0; i < ps->nchains; i++)
		if (strcmp(ps->chains[i].name, chain) == 0)
			ps->chains[i].nrules++;
	nftnl_rule_snprintf(ps->rules[ps->nrules++], sizeof(ps->rules[0]), r, NFTNL_OUTPUT_DEFAULT,
			    0);
	nftnl_rule_free(r);
}

static void
parse_obj(struct parsed *ps, const struct nlmsghdr *nlh)
{
	struct nftnl_obj *o = nftnl_obj_alloc();

	assert_true(ps->nobjs < 8);
	assert_int_equal(nftnl_obj_nlmsg_parse(nlh, o), 0);
	assert_int_equal(nftnl_obj_get_u32(o, NFTNL_OBJ_TYPE), NFT_OBJECT_COUNTER);
	snprintf(ps->objs[ps->nobjs++], sizeof(ps->objs[0]), "%s",
		 nftnl_obj_get_str(o, NFTNL_OBJ_NAME));
	nftnl_obj_free(o);
}

static void
parse_table(struct parsed *ps, const struct nlmsghdr *nlh, char op)
{
	struct nftnl_table *t = nftnl_table_alloc();

	assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
	assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), NFT_TABLE);
	ps->table_ops[strlen(ps->table_ops)] = op;
	nftnl_table_free(t);
}

static void
parse_batch(struct parsed *ps, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	memset(ps, 0, sizeof(*ps));
	ps->rules = calloc(MAX_RULES, sizeof(*ps->rules));
	assert_non_null(ps->rules);
	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left), ps->nmsgs++) {
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN) {
			assert_int_equal(ps->nmsgs, 0);
			ps->begin++;
			continue;
		}
		if (nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
			ps->end++;
			continue;
		}
		assert_int_equal(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
		assert_true(nlh->nlmsg_flags & NLM_F_ACK); /* every message answered */
		switch (nlh->nlmsg_type & 0xff) {
		case NFT_MSG_NEWTABLE:
			parse_table(ps, nlh, 'a');
			break;
		case NFT_MSG_DELTABLE:
			parse_table(ps, nlh, 'd');
			break;
		case NFT_MSG_NEWSET:
			parse_set(ps, nlh);
			break;
		case NFT_MSG_NEWSETELEM:
			parse_elems(ps, nlh);
			break;
		case NFT_MSG_NEWCHAIN:
			parse_chain(ps, nlh);
			break;
		case NFT_MSG_NEWRULE:
			parse_rule(ps, nlh);
			break;
		case NFT_MSG_NEWOBJ:
			parse_obj(ps, nlh);
			break;
		default:
			fail_msg("unexpected message type %u", nlh->nlmsg_type);
		}
	}
	assert_int_equal(left, 0);
	assert_int_equal(ps->begin, 1);
	assert_int_equal(ps->end, 1);
	ps->has_digest = nft_batch_digest(buf, len, ps->digest) == 0;
}

static void
parsed_free(struct parsed *ps)
{
	for (int i = 0; i < ps->nsets; i++)
		free(ps->sets[i].elems);
	free(ps->rules);
}

static void
build(const struct policy *p, enum domain d, struct parsed *ps)
{
	size_t limit = nft_batch_limit(p);
	char *buf = malloc(2 * limit);
	struct mnl_nlmsg_batch *b = mnl_nlmsg_batch_start(buf, limit);
	uint32_t seq = 7, first = seq;

	assert_non_null(b);
	assert_int_equal(nft_build(p, d, b, &seq), 0);
	parse_batch(ps, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b));
	assert_int_equal(seq - first, (uint32_t)ps->nmsgs); /* one number per message */
	mnl_nlmsg_batch_stop(b);
	free(buf);
}

static const struct pset *
find_set(const struct parsed *ps, const char *name)
{
	for (int i = 0; i < ps->nsets; i++)
		if (strcmp(ps->sets[i].name, name) == 0)
			return &ps->sets[i];
	fail_msg("no set %s", name);
	return NULL;
}

static const struct pchain *
find_chain(const struct parsed *ps, const char *name)
{
	for (int i = 0; i < ps->nchains; i++)
		if (strcmp(ps->chains[i].name, name) == 0)
			return &ps->chains[i];
	return NULL;
}

/* Element k of set is addr with these flags ("E" end, "S" start, "O" open start). */
static void
assert_elem(const struct pset *s, int k, const char *addr, const char *kind)
{
	uint8_t want[16] = {0};
	int family = s->keylen == 4 ? AF_INET : AF_INET6;

	assert_true(k < s->nelems);
	assert_int_equal(inet_pton(family, addr, want), 1);
	if (memcmp(s->elems[k].key, want, s->keylen) != 0)
		fail_msg("%s element %d: not %s", s->name, k, addr);
	assert_int_equal(s->elems[k].flags, kind[0] == 'E' ? NFT_SET_ELEM_INTERVAL_END : 0);
	assert_int_equal(s->elems[k].open, kind[0] == 'O');
}

static int
count_rules_with(const struct parsed *ps, const char *text)
{
	int n = 0;

	for (int i = 0; i < ps->nrules; i++)
		n += strstr(ps->rules[i], text) != NULL;
	return n;
}

/* Rule text starts "inet umbral CHAIN ...". */
static bool
in_chain(const char *rule, const char *chain)
{
	size_t n = strlen(chain);

	return strncmp(rule, "inet umbral ", 12) == 0 && strncmp(rule + 12, chain, n) == 0 &&
	       (rule[12 + n] == ' ' || rule[12 + n] == '\n');
}

static int
count_chain_rules_with(const struct parsed *ps, const char *chain, const char *text)
{
	int n = 0;

	for (int i = 0; i < ps->nrules; i++)
		n += in_chain(ps->rules[i], chain) && strstr(ps->rules[i], text) != NULL;
	return n;
}

/* The last rule of a chain. */
static const char *
last_rule(const struct parsed *ps, const char *chain)
{
	for (int i = ps->nrules; i-- > 0;)
		if (in_chain(ps->rules[i], chain))
			return ps->rules[i];
	fail_msg("no rule in %s", chain);
	return NULL;
}

static void
test_table_and_sets(void **state)
{
	struct policy p;
	struct parsed ps;
	const struct pset *s;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	build(&p, DOMAIN_RED, &ps);
	assert_string_equal(ps.table_ops, "ada"); /* replaced in one transaction */
	assert_true(ps.has_digest);
	assert_int_equal(strlen(ps.digest), NFT_DIGEST_HEX);
	assert_int_equal(ps.nsets, 4);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(ps.sets[i].flags, NFT_SET_INTERVAL);
		assert_int_equal(ps.sets[i].id, (uint32_t)i + 1);
	}
	s = find_set(&ps, "local4");
	assert_int_equal(s->keylen, 4);
	assert_int_equal(s->nelems, 3);
	assert_elem(s, 0, "0.0.0.0", "E");
	assert_elem(s, 1, "10.1.0.0", "S");
	assert_elem(s, 2, "10.2.0.0", "E");
	s = find_set(&ps, "local6");
	assert_int_equal(s->keylen, 16);
	assert_int_equal(s->nelems, 3);
	assert_elem(s, 0, "::", "E");
	assert_elem(s, 1, "fd00:0:1::", "S");
	assert_elem(s, 2, "fd00:0:2::", "E");
	s = find_set(&ps, "remote4");
	assert_int_equal(s->nelems, 5); /* adjacent ranges stay apart, as nft sends them */
	assert_elem(s, 1, "10.2.0.0", "S");
	assert_elem(s, 2, "10.3.0.0", "E");
	assert_elem(s, 3, "10.3.0.0", "S");
	assert_elem(s, 4, "10.4.0.0", "E");
	s = find_set(&ps, "remote6");
	assert_int_equal(s->nelems, 5);
	assert_elem(s, 4, "fd00:0:4::", "E");
	parsed_free(&ps);
	policy_free(&p);
}

/* Prefixes reaching the top, starting at zero, overlapping, and in any order. */
static void
test_interval_edges(void **state)
{
	static const char *const all[] = {"0.0.0.0/0", "::/0", NULL};
	static const char *const edges[] = {"255.0.0.0/8", "10.2.0.0/16", "10.0.0.0/8",
					    "0.0.0.0/8",   "ffff::/16",	  "fd00:0:2::/48",
					    NULL};
	struct policy p;
	struct parsed ps;
	const struct pset *s;

	(void)state;
	policy_init(&p);
	add_site(&p, "all", all);
	build(&p, DOMAIN_BLACK, &ps);
	s = find_set(&ps, "remote4");
	assert_int_equal(s->nelems, 1);
	assert_elem(s, 0, "0.0.0.0", "O");
	s = find_set(&ps, "remote6");
	assert_int_equal(s->nelems, 1);
	assert_elem(s, 0, "::", "O");
	assert_int_equal(find_set(&ps, "local4")->nelems, 0); /* empty sets are fine */
	parsed_free(&ps);
	policy_free(&p);

	policy_init(&p);
	add_site(&p, "edges", edges);
	build(&p, DOMAIN_RED, &ps);
	s = find_set(&ps, "remote4");
	assert_int_equal(s->nelems, 5);
	assert_elem(s, 0, "0.0.0.0", "S"); /* starts at zero: no leading end element */
	assert_elem(s, 1, "1.0.0.0", "E");
	assert_elem(s, 2, "10.0.0.0", "S"); /* 10.2.0.0/16 merged into 10.0.0.0/8 */
	assert_elem(s, 3, "11.0.0.0", "E");
	assert_elem(s, 4, "255.0.0.0", "O"); /* reaches the top: no end element */
	s = find_set(&ps, "remote6");
	assert_int_equal(s->nelems, 4);
	assert_elem(s, 0, "::", "E");
	assert_elem(s, 1, "fd00:0:2::", "S");
	assert_elem(s, 2, "fd00:0:3::", "E");
	assert_elem(s, 3, "ffff::", "O");
	parsed_free(&ps);
	policy_free(&p);
}

static void
test_red(void **state)
{
	const struct pchain *c;
	struct policy p;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	p.node.default_action = SPLIT_DIRECT;
	build(&p, DOMAIN_RED, &ps);
	/* prerouting, lan, secure, direct, forward, input, output */
	assert_int_equal(ps.nchains, 7);
	c = find_chain(&ps, "prerouting");
	assert_non_null(c);
	assert_string_equal(c->type, "filter");
	assert_int_equal(c->hook, NF_INET_PRE_ROUTING);
	assert_int_equal(c->prio, -150);
	assert_int_equal(c->policy, NF_ACCEPT);
	/* The LAN's packets go to chain lan, once. */
	assert_int_equal(c->nrules, 1);
	assert_int_equal(count_chain_rules_with(&ps, "prerouting", "goto -> lan ]"), 1);
	/* own prefixes stay (2), other sites' go to crypto (2), the default: direct (1) */
	assert_int_equal(find_chain(&ps, "lan")->nrules, 5);
	assert_int_equal(count_chain_rules_with(&ps, "lan", "goto -> secure ]"), 2);
	assert_int_equal(count_chain_rules_with(&ps, "lan", "goto -> direct ]"), 1);
	/* Only prerouting asks for the LAN's interface, and it does. */
	assert_int_equal(count_chain_rules_with(&ps, "prerouting", "meta load iifname"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "lan", "meta load iifname"), 0);
	assert_int_equal(find_chain(&ps, "secure")->nrules, 1);
	assert_int_equal(find_chain(&ps, "direct")->nrules, 1);
	c = find_chain(&ps, "forward");
	assert_non_null(c);
	assert_int_equal(c->hook, NF_INET_FORWARD);
	assert_int_equal(c->prio, 0);
	assert_int_equal(c->policy, NF_DROP);
	assert_int_equal(c->nrules, 9);
	/* Marks are masked: other tools' bits survive (secure, direct, and forward's check). */
	assert_int_equal(count_rules_with(&ps, "[ meta load mark => reg 1 ]"), 3);
	assert_int_equal(count_chain_rules_with(&ps, "secure",
						"( reg 1 & 0xff00ffff ) ^ 0x00010000 ]"),
			 1);
	assert_int_equal(count_chain_rules_with(&ps, "direct",
						"( reg 1 & 0xff00ffff ) ^ 0x00020000 ]"),
			 1);
	assert_int_equal(count_rules_with(&ps, "[ meta set mark with reg 1 ]"), 2);
	/* lan -> to-black is accepted only with the direct mark */
	assert_int_equal(count_rules_with(&ps, "( reg 1 & 0x00ff0000 ) ^ 0x00000000 ]"), 1);
	assert_int_equal(count_rules_with(&ps, "[ lookup reg 1 set local4 ]"), 2);
	/* Kill switch backstop: four counted drops, one per set. */
	assert_int_equal(count_rules_with(&ps, "0x622d6f74 0x6b63616c"), 5); /* "to-black" */
	assert_int_equal(
	    count_rules_with(&ps, "[ objref type 1 name never ]\n  [ immediate reg 0 drop ]"), 4);
	assert_non_null(strstr(last_rule(&ps, "forward"), "[ counter pkts 0 bytes 0 ]"));
	assert_null(strstr(last_rule(&ps, "forward"), "immediate"));
	parsed_free(&ps);

	p.node.default_action = SPLIT_DROP; /* nothing goes to direct */
	build(&p, DOMAIN_RED, &ps);
	assert_int_equal(find_chain(&ps, "lan")->nrules, 4);
	assert_int_equal(count_rules_with(&ps, "goto -> direct ]"), 0);
	parsed_free(&ps);
	policy_free(&p);

	lab_policy(&p, MODE_LARGE); /* no direct traffic; the rest is refused with ICMP */
	p.node.default_action = SPLIT_DIRECT;
	build(&p, DOMAIN_RED, &ps);
	assert_int_equal(ps.nchains, 6); /* no chain direct */
	assert_int_equal(find_chain(&ps, "lan")->nrules, 6);
	assert_int_equal(count_rules_with(&ps, "[ reject type 2 code 3 ]"), 1);
	assert_int_equal(find_chain(&ps, "forward")->nrules, 8);
	assert_int_equal(count_rules_with(&ps, "( reg 1 & 0xff00ffff ) ^ 0x00020000 ]"), 0);
	parsed_free(&ps);
	policy_free(&p);
}

/* Split rules compile in priority order, before the sites' prefixes, one per family. */
static void
test_red_split_rules(void **state)
{
	struct split_rule r1 = {.priority = 10,
				.action = SPLIT_DIRECT,
				.proto = IPPROTO_TCP,
				.port = 80,
				.has_dst = true};
	struct split_rule r2 = {.priority = 20, .action = SPLIT_DROP, .proto = IPPROTO_ICMP};
	struct errbuf eb = {0};
	const struct pchain *c;
	struct policy p;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	assert_int_equal(prefix_parse("203.0.113.0/24", &r1.dst, "", &eb), 0);
	assert_int_equal(policy_rule_insert(&p, &r2), 0);
	assert_int_equal(policy_rule_insert(&p, &r1), 0);
	build(&p, DOMAIN_RED, &ps);
	if (getenv("NFT_DUMP"))
		for (int i = 0; i < ps.nrules; i++)
			fprintf(stderr, "%s\n", ps.rules[i]);
	c = find_chain(&ps, "lan");
	/* 2 local, r1 (IPv4 only), r2 (IPv4 icmp and IPv6 icmpv6), 2 remote */
	assert_int_equal(c->nrules, 7);
	/* 203.0.113.0/24 as masked payload compare, port 80 big-endian */
	assert_int_equal(
	    count_rules_with(&ps, "& 0x00ffffff ) ^ 0x00000000 ]\n  [ cmp eq reg 1 0x007100cb ]"),
	    1);
	assert_int_equal(count_rules_with(&ps, "[ cmp eq reg 1 0x00005000 ]"), 1);
	/* the direct rule never applies to another site's prefix */
	assert_int_equal(count_rules_with(&ps, "[ lookup reg 1 set remote4 0x1 ]"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "lan", "[ cmp eq reg 1 0x0000003a ]"),
			 1); /* icmpv6 */
	assert_int_equal(count_chain_rules_with(&ps, "lan", "goto -> direct ]"), 1); /* r1 */
	parsed_free(&ps);
	policy_free(&p);
}

static void
test_crypto(void **state)
{
	const struct pchain *c;
	struct policy p;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	build(&p, DOMAIN_CRYPTO, &ps);
	assert_int_equal(ps.nchains, 3);
	c = find_chain(&ps, "forward");
	assert_non_null(c);
	assert_int_equal(c->policy, NF_DROP);
	assert_int_equal(c->nrules, 5);
	assert_int_equal(count_rules_with(&ps, "[ rt load tcpmss => reg 1 ]"), 2);
	assert_int_equal(count_rules_with(&ps, "[ exthdr write tcpopt reg 1 => 2b @ 2 + 2 ]"), 2);
	assert_int_equal(count_chain_rules_with(&ps, "forward", "immediate reg 0 accept"), 2);
	/* Clamps come before the accepts, which end evaluation. */
	assert_non_null(strstr(ps.rules[0], "tcpmss"));
	assert_non_null(strstr(ps.rules[1], "tcpmss"));
	/* No prefix sets: crypto's forward chain goes by interface only. */
	for (int i = 0; i < ps.nsets; i++)
		assert_null(strstr("local4 local6 remote4 remote6", ps.sets[i].name));
	parsed_free(&ps);
	policy_free(&p);
}

static void
test_black(void **state)
{
	const struct pchain *c;
	struct policy p;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	p.node.listen_port = 51821;
	build(&p, DOMAIN_BLACK, &ps);
	assert_int_equal(ps.nchains, 6);
	c = find_chain(&ps, "prerouting");
	assert_string_equal(c->type, "nat");
	assert_int_equal(c->prio, -100);
	assert_int_equal(c->nrules, 1);
	c = find_chain(&ps, "postrouting");
	assert_string_equal(c->type, "nat");
	assert_int_equal(c->hook, NF_INET_POST_ROUTING);
	assert_int_equal(c->prio, 100);
	assert_int_equal(c->nrules, 1);
	assert_int_equal(find_chain(&ps, "forward")->nrules, 9);
	assert_int_equal(find_chain(&ps, "forward")->policy, NF_DROP);
	/* dnat ip to 169.254.2.1:51821 (0xcdca is 51821 in network order) */
	assert_int_equal(count_rules_with(&ps, "[ immediate reg 1 0x0102fea9 ]"), 1);
	assert_int_equal(count_rules_with(&ps, "[ immediate reg 2 0x00006dca ]"), 1);
	assert_int_equal(count_rules_with(&ps, "[ nat dnat ip addr_min reg 1 proto_min reg 2"), 1);
	assert_int_equal(count_rules_with(&ps, "[ masq ]"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "prerouting", "[ cmp eq reg 1 0x00006dca ]") +
			     count_chain_rules_with(&ps, "forward", "[ cmp eq reg 1 0x00006dca ]"),
			 3);
	parsed_free(&ps);
	policy_free(&p);

	lab_policy(&p, MODE_LARGE);
	build(&p, DOMAIN_BLACK, &ps);
	assert_int_equal(find_chain(&ps, "forward")->nrules, 7);
	assert_int_equal(count_chain_rules_with(&ps, "forward", "ct load state"), 0);
	parsed_free(&ps);
	policy_free(&p);
}

/* Default deny for the host itself in every domain; the flood guard in black and crypto. */
static void
test_guard(void **state)
{
	static const uint8_t ep[4] = {198, 18, 2, 2};
	const struct pchain *c;
	struct policy p;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	p.node.listen_port = 51820;
	p.sites[0].has_endpoint = true;
	p.sites[0].endpoint.family = AF_INET;
	memcpy(p.sites[0].endpoint.addr, ep, 4);
	for (enum domain d = 0; d < DOMAIN_COUNT; d++) {
		build(&p, d, &ps);
		for (int k = 0; k < 2; k++) {
			c = find_chain(&ps, k ? "output" : "input");
			assert_non_null(c);
			assert_int_equal(c->policy, NF_DROP);
			assert_int_equal(c->hook, k ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN);
		}
		assert_string_equal(ps.objs[0], "never");
		assert_int_equal(ps.nobjs, d == DOMAIN_RED ? 1 : 3);
		/* Red: the 4 prefix sets; black: those and the guard's 6; crypto: the guard's. */
		assert_int_equal(ps.nsets, d == DOMAIN_RED ? 4 : d == DOMAIN_BLACK ? 10 : 6);
		parsed_free(&ps);
	}
	/* red: DHCP in and out on the LAN, pings limited; nothing else of its own */
	build(&p, DOMAIN_RED, &ps);
	assert_int_equal(count_chain_rules_with(&ps, "input", "[ cmp eq reg 1 0x00004300 ]"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "output", "[ cmp eq reg 1 0x00004300 ]"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "input", "[ limit rate 50/second burst 100"),
			 2);
	parsed_free(&ps);
	p.node.mode = MODE_LARGE; /* a large node serves no DHCP */
	build(&p, DOMAIN_RED, &ps);
	assert_int_equal(count_chain_rules_with(&ps, "input", "[ cmp eq reg 1 0x00004300 ]"), 0);
	parsed_free(&ps);
	p.node.mode = MODE_SMALL;

	/* black: the guard before DNAT; peers first, then established, then the meters */
	build(&p, DOMAIN_BLACK, &ps);
	c = find_chain(&ps, "guard");
	assert_non_null(c);
	assert_int_equal(c->prio, -150);
	assert_int_equal(c->policy, NF_ACCEPT);
	assert_int_equal(c->nrules, 8);
	assert_int_equal(find_set(&ps, "peers4")->nelems, 1);
	assert_memory_equal(find_set(&ps, "peers4")->elems[0].key, ep, 4);
	assert_int_equal(find_set(&ps, "block4")->flags, NFT_SET_TIMEOUT | NFT_SET_EVAL);
	assert_int_equal(count_chain_rules_with(&ps, "guard", "[ lookup reg 1 set peers4 ]"), 1);
	assert_int_equal(count_chain_rules_with(&ps, "guard", "dynset add reg_key 1 set block4"),
			 1);
	assert_int_equal(count_chain_rules_with(&ps, "guard", "expr [ limit rate 1000/second"), 2);
	assert_int_equal(count_chain_rules_with(&ps, "guard", "name flood_all"), 1);
	/* black answers nothing on its WAN: no rule of its own chains names it */
	assert_int_equal(count_chain_rules_with(&ps, "input", "0x006e6177"), 0);
	assert_int_equal(count_chain_rules_with(&ps, "output", "0x006e6177"), 0);
	parsed_free(&ps);

	/* crypto: the guard, then WireGuard's port from black, and out to black */
	build(&p, DOMAIN_CRYPTO, &ps);
	assert_int_equal(count_chain_rules_with(&ps, "input", "set block4"), 2);
	assert_non_null(strstr(last_rule(&ps, "input"), "counter"));
	assert_int_equal(count_chain_rules_with(&ps, "output", "[ cmp eq reg 1 0x00006cca ]"), 1);
	parsed_free(&ps);
	policy_free(&p);
}

static void
test_digest(void **state)
{
	static const char *const s4[] = {"10.4.0.0/16", NULL};
	char a[NFT_DIGEST_HEX + 1], b[NFT_DIGEST_HEX + 1];
	struct policy p, q;
	struct parsed ps;

	(void)state;
	lab_policy(&p, MODE_SMALL);
	lab_policy(&q, MODE_SMALL);
	q.revision = 42; /* not compiled into the table */
	assert_int_equal(nft_digest(&p, DOMAIN_RED, a), 0);
	assert_int_equal(nft_digest(&q, DOMAIN_RED, b), 0);
	assert_string_equal(a, b);
	build(&p, DOMAIN_RED, &ps); /* other sequence numbers, same digest */
	assert_string_equal(ps.digest, a);
	parsed_free(&ps);
	assert_int_equal(nft_digest(&p, DOMAIN_BLACK, b), 0);
	assert_string_not_equal(a, b);
	add_site(&q, "s4", s4);
	assert_int_equal(nft_digest(&q, DOMAIN_RED, b), 0);
	/* A site is set elements: left out, nft_delta compares them with the kernel's. */
	assert_string_equal(a, b);
	q.node.mode = MODE_LARGE;
	assert_int_equal(nft_digest(&q, DOMAIN_RED, a), 0);
	assert_string_not_equal(a, b);
	q.node.listen_port = 1;
	assert_int_equal(nft_digest(&q, DOMAIN_RED, b), 0);
	assert_string_equal(a, b); /* red does not use the port */
	assert_int_equal(nft_digest(&q, DOMAIN_BLACK, a), 0);
	assert_int_equal(nft_digest(&p, DOMAIN_BLACK, b), 0);
	assert_string_not_equal(a, b);
	assert_int_equal(nft_digest(&p, DOMAIN_COUNT, a), -EINVAL);
	policy_free(&p);
	policy_free(&q);
}

/* p's batch for d, raw: *buf (free()) holds it from its start, *len bytes. */
static void
build_raw(const struct policy *p, enum domain d, char **buf, size_t *len)
{
	size_t limit = nft_batch_limit(p);
	struct mnl_nlmsg_batch *b;
	uint32_t seq = 1;

	*buf = malloc(2 * limit);
	assert_non_null(*buf);
	b = mnl_nlmsg_batch_start(*buf, limit);
	assert_int_equal(nft_build(p, d, b, &seq), 0);
	*len = mnl_nlmsg_batch_size(b);
	mnl_nlmsg_batch_stop(b);
}

static int
elem_order(const void *a, const void *b)
{
	const struct elem *x = a, *y = b;
	int c = memcmp(x->key, y->key, sizeof(x->key));

	if (c)
		return c;
	if (x->flags != y->flags)
		return x->flags < y->flags ? -1 : 1;
	return (int)x->open - (int)y->open;
}

/* Takes each element a DELSETELEM message names out of its set in ps (it must be there). */
static void
delete_elems(struct parsed *ps, const struct nlmsghdr *msg)
{
	struct parsed del = {0};
	struct pset *o = NULL;
	struct nlmsghdr *add = malloc(msg->nlmsg_len);

	assert_non_null(add);
	memcpy(add, msg, msg->nlmsg_len);
	add->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM;
	for (int i = 0; i < ps->nsets; i++) {
		del.sets[i] = ps->sets[i];
		del.sets[i].nelems = 0;
		del.sets[i].elems = calloc(MAX_ELEMS, sizeof(struct elem));
	}
	del.nsets = ps->nsets; /* parse_elems wants the sets: the same, emptied */
	parse_elems(&del, add);
	free(add);
	for (int i = 0; i < del.nsets; i++) {
		o = &ps->sets[i];
		for (int k = 0; k < del.sets[i].nelems; k++) {
			int j = 0;
			while (j < o->nelems && elem_order(&o->elems[j], &del.sets[i].elems[k]))
				j++;
			assert_true(j < o->nelems); /* only what is there is deleted */
			o->elems[j] = o->elems[--o->nelems];
			/* parse_elems fills only what a message has: the slot must be clean. */
			memset(&o->elems[o->nelems], 0, sizeof(o->elems[o->nelems]));
		}
		free(del.sets[i].elems);
	}
}

/*
 * The short way (policy/nft_apply.c) gets the elements from the policy, not
 * from a batch: they are the batch's exactly, and the delta between two
 * policies is the one between their batches, byte for byte.
 */
static void
check_walk(const struct policy *from, const struct policy *to, enum domain d,
	   struct nft_elemsets *ba, struct nft_elemsets *bb, const void *delta, size_t dlen)
{
	struct nft_elemsets *pa, *pb;
	uint32_t seq = 100, seq2 = 1; /* check_delta's first number: the same bytes */
	void *d2 = NULL, *same = NULL;
	size_t l2 = 0, lsame = 0;

	assert_int_equal(nft_elemsets_from_policy(from, d, &pa), 0);
	assert_int_equal(nft_elemsets_from_policy(to, d, &pb), 0);
	assert_int_equal(nft_delta_sets(pa, ba, &seq2, &same, &lsame), 0);
	assert_null(same);
	assert_int_equal(nft_delta_sets(pb, bb, &seq2, &same, &lsame), 0);
	assert_null(same);
	assert_int_equal(nft_delta_sets(pb, pa, &seq, &d2, &l2), 0);
	assert_int_equal(l2, dlen);
	if (delta)
		assert_memory_equal(d2, delta, dlen);
	free(d2);
	nft_elemsets_free(pa);
	nft_elemsets_free(pb);
}

/*
 * The delta from from's elements to to's, applied to from's parsed batch,
 * leaves exactly to's elements; none at all when they are equal.
 */
static void
check_delta(const struct policy *from, const struct policy *to, enum domain d)
{
	struct parsed a, b;
	char *fa, *fb;
	size_t la, lb, dlen;
	void *delta;
	struct nft_elemsets *ba, *bb;
	uint32_t seq = 100;

	build(from, d, &a);
	build(to, d, &b);
	build_raw(from, d, &fa, &la);
	build_raw(to, d, &fb, &lb);
	assert_int_equal(nft_elemsets_from_batch(fa, la, &ba), 0);
	assert_int_equal(nft_elemsets_from_batch(fb, lb, &bb), 0);
	assert_int_equal(nft_delta_sets(bb, ba, &seq, &delta, &dlen), 0);
	if (delta) {
		const struct nlmsghdr *nlh = delta;
		int left = (int)dlen;
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type == (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM))
				delete_elems(&a, nlh);
			else if (nlh->nlmsg_type ==
				 (NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM))
				parse_elems(&a, nlh);
			else
				assert_true(nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
					    nlh->nlmsg_type == NFNL_MSG_BATCH_END);
		}
		assert_int_equal(left, 0);
	}
	assert_int_equal(a.nsets, b.nsets);
	for (int i = 0; i < a.nsets; i++) {
		qsort(a.sets[i].elems, a.sets[i].nelems, sizeof(struct elem), elem_order);
		qsort(b.sets[i].elems, b.sets[i].nelems, sizeof(struct elem), elem_order);
		assert_int_equal(a.sets[i].nelems, b.sets[i].nelems);
		assert_memory_equal(a.sets[i].elems, b.sets[i].elems,
				    (size_t)a.sets[i].nelems * sizeof(struct elem));
	}
	if (from == to)
		assert_null(delta);
	check_walk(from, to, d, ba, bb, delta, dlen);
	nft_elemsets_free(ba);
	nft_elemsets_free(bb);
	free(delta);
	free(fa);
	free(fb);
	parsed_free(&a);
	parsed_free(&b);
}

/* A site added or removed, an edge of the address space, all of it: element deltas. */
static void
test_delta(void **state)
{
	static const char *const s4[] = {"10.4.0.0/16", "fd00:0:4::/48", NULL};
	static const char *const edges[] = {"0.0.0.0/8", "255.0.0.0/8", "ffff::/16", NULL};
	static const char *const all[] = {"0.0.0.0/0", "::/0", NULL};
	static const char *const *const extra[] = {s4, edges, all};
	struct policy p[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		lab_policy(&p[i], MODE_SMALL);
		if (i > 0)
			add_site(&p[i], "x", extra[i - 1]);
	}
	for (enum domain d = 0; d < DOMAIN_COUNT; d++)
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 4; j++)
				check_delta(&p[i], &p[j], d);
	for (int i = 0; i < 4; i++)
		policy_free(&p[i]);
}

/* The bytes (and so the digest) do not depend on what the buffer held before. */
static void
test_deterministic(void **state)
{
	struct policy p;
	size_t limit;
	char *buf[2];
	size_t len[2];

	(void)state;
	lab_policy(&p, MODE_SMALL);
	limit = nft_batch_limit(&p);
	for (int i = 0; i < 2; i++) {
		struct mnl_nlmsg_batch *b;
		uint32_t seq = 1;

		buf[i] = malloc(2 * limit);
		assert_non_null(buf[i]);
		memset(buf[i], i ? 0xa5 : 0, 2 * limit);
		b = mnl_nlmsg_batch_start(buf[i], limit);
		assert_int_equal(nft_build(&p, DOMAIN_BLACK, b, &seq), 0);
		len[i] = mnl_nlmsg_batch_size(b);
		mnl_nlmsg_batch_stop(b);
	}
	assert_int_equal(len[0], len[1]);
	assert_memory_equal(buf[0], buf[1], len[0]);
	free(buf[0]);
	free(buf[1]);
	policy_free(&p);
}

/* The lab policy and 250 more sites of 4 prefixes each. */
static void
many_sites(struct policy *p)
{
	char pf[4][64];
	const char *list[5] = {pf[0], pf[1], pf[2], pf[3], NULL};

	lab_policy(p, MODE_SMALL);
	for (int n = 4; n < 254; n++) {
		snprintf(pf[0], sizeof(pf[0]), "10.%d.0.0/16", n);
		snprintf(pf[1], sizeof(pf[1]), "172.16.%d.0/24", n);
		snprintf(pf[2], sizeof(pf[2]), "fd00:0:%x::/48", n);
		snprintf(pf[3], sizeof(pf[3]), "fd01:%x::/32", n);
		add_site(p, "s", list);
	}
}

/* Elements span several messages; a small batch overflows. */
static void
test_many_sites(void **state)
{
	char buf[2 * NFT_MSG_MAX];
	struct mnl_nlmsg_batch *b;
	struct policy p;
	struct parsed ps;
	uint32_t seq = 1;

	(void)state;
	many_sites(&p);
	build(&p, DOMAIN_RED, &ps);
	/* 10.2-10.253 adjacent /16s: a start and an end each, plus the zero end. */
	assert_int_equal(find_set(&ps, "remote4")->nelems, 1 + 2 * 252 + 2 * 250);
	assert_true(find_set(&ps, "remote4")->nmsgs > 1);
	assert_int_equal(find_set(&ps, "remote6")->nelems, 1 + 2 * 252 + 2 * 250);
	parsed_free(&ps);
	b = mnl_nlmsg_batch_start(buf, sizeof(buf) / 2);
	assert_int_equal(nft_build(&p, DOMAIN_RED, b, &seq), -EMSGSIZE);
	mnl_nlmsg_batch_stop(b);
	policy_free(&p);
}

/* 250 sites and 1000 rules of both families fit the limit nft_batch_limit() gives. */
static void
test_many_rules_fit(void **state)
{
	struct errbuf eb = {0};
	struct policy p;
	struct parsed ps;
	char pf[64];

	(void)state;
	many_sites(&p);
	for (int i = 0; i < 1000; i++) {
		struct split_rule r = {.priority = (uint16_t)(1000 + i),
				       .action = SPLIT_DROP,
				       .has_src = true,
				       .proto = IPPROTO_UDP,
				       .port = (uint16_t)(1 + i)};
		if (i % 2)
			snprintf(pf, sizeof(pf), "fd00:0:1:%x::/64", i);
		else
			snprintf(pf, sizeof(pf), "10.1.%d.%d/32", i / 256, i % 256);
		assert_int_equal(prefix_parse(pf, &r.src, "", &eb), 0);
		assert_int_equal(policy_rule_insert(&p, &r), 0);
	}
	build(&p, DOMAIN_RED, &ps);
	/* 2 local + 1000 rules, each for its own family only + 2 remote */
	assert_int_equal(find_chain(&ps, "lan")->nrules, 1004);
	/* an IPv6 source /64: ip6 saddr (offset 8) masked to its first 8 bytes */
	assert_int_equal(count_rules_with(&ps,
					  "[ payload load 16b @ network header + 8 => reg 1 ]\n"
					  "  [ bitwise reg 1 = ( reg 1 & 0xffffffff 0xffffffff "
					  "0x00000000 0x00000000 )"),
			 500);
	/* an IPv4 /32 source: a plain compare, no mask */
	assert_int_equal(count_rules_with(&ps,
					  "[ payload load 4b @ network header + 12 => reg 1 ]\n"
					  "  [ cmp eq reg 1"),
			 500);
	parsed_free(&ps);
	policy_free(&p);
}

/* Live check by hand: the lab policy (variant 0), one more site (1), edge prefixes
 * (2, 3), 253 sites (4). */
static int
live_apply(const char *domain, const char *variant)
{
	static const char *const s4[] = {"10.4.0.0/16", "fd00:0:4::/48", NULL};
	static const char *const edges[] = {"0.0.0.0/8", "255.0.0.0/8", "ffff::/16", NULL};
	static const char *const all[] = {"0.0.0.0/0", "::/0", NULL};
	char hex[NFT_DIGEST_HEX + 1];
	struct policy p;
	enum domain d;
	bool changed = false;
	int ret;

	if (domain_parse(domain, &d) < 0)
		return 2;
	if (variant && atoi(variant) == 4)
		many_sites(&p);
	else
		lab_policy(&p, MODE_SMALL);
	if (variant && atoi(variant) == 1)
		add_site(&p, "s4", s4);
	if (variant && atoi(variant) == 2)
		add_site(&p, "edges", edges);
	if (variant && atoi(variant) == 3)
		add_site(&p, "all", all);
	ret = nft_apply(&p, d, &changed);
	if (ret == 0)
		ret = nft_kernel_digest(hex);
	printf("apply %s: %s, changed=%s, digest %s\n", domain, ret ? strerror(-ret) : "ok",
	       changed ? "true" : "false", ret ? "-" : hex);
	policy_free(&p);
	return ret ? 1 : 0;
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table_and_sets),
	    cmocka_unit_test(test_interval_edges),
	    cmocka_unit_test(test_red),
	    cmocka_unit_test(test_red_split_rules),
	    cmocka_unit_test(test_crypto),
	    cmocka_unit_test(test_black),
	    cmocka_unit_test(test_guard),
	    cmocka_unit_test(test_digest),
	    cmocka_unit_test(test_delta),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_many_sites),
	    cmocka_unit_test(test_many_rules_fit),
	};

	if (argc >= 3 && strcmp(argv[1], "--apply") == 0)
		return live_apply(argv[2], argc > 3 ? argv[3] : NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
