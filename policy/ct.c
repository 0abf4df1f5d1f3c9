// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/ct.c — deletes the conntrack entries a policy change made wrong.
 * The flows come from red's tracker (policy/ct_track.h) or, when it does
 * not know them all, from one dump of the table; then one delete per entry
 * whose path changed, naming it by its original tuple. Only flows in the
 * change's scope (explain_scope) are explained.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "core/log.h"
#include "core/nl.h"
#include "policy/ct.h"
#include "policy/ct_track.h"

/* An entry to delete: its family and its CTA_TUPLE_ORIG attribute as dumped. */
struct victim {
	uint8_t family;
	uint16_t len;
	uint8_t tuple[256] __attribute__((aligned(4)));
};

struct prune {
	const struct policy *old, *new;
	struct explain_scope scope; /* where a path can change */
	struct ranges secure[2]; /* old's and new's site prefixes, when every flow is looked at */
	bool indexed;
	size_t looked;
	struct ct_track *track; /* NULL, or the tracker that starts over from the dump */
	struct victim *v;
	size_t n, cap;
	int err;
};

static const struct nlattr *
nested(const struct nlattr *parent, uint16_t type)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, parent)
	{
		if (mnl_attr_get_type(a) == type)
			return a;
	}
	return NULL;
}

static int
tuple_ip(const struct nlattr *ip, uint8_t family, struct explain_pkt *pkt)
{
	uint16_t src = family == AF_INET ? CTA_IP_V4_SRC : CTA_IP_V6_SRC;
	uint16_t dst = family == AF_INET ? CTA_IP_V4_DST : CTA_IP_V6_DST;
	size_t alen = family == AF_INET ? 4 : 16;
	const struct nlattr *s = nested(ip, src), *d = nested(ip, dst);

	if (!s || !d || mnl_attr_get_payload_len(s) != alen || mnl_attr_get_payload_len(d) != alen)
		return -EINVAL;
	memcpy(pkt->src, mnl_attr_get_payload(s), alen);
	memcpy(pkt->dst, mnl_attr_get_payload(d), alen);
	return 0;
}

static void
tuple_proto(const struct nlattr *proto, struct explain_pkt *pkt)
{
	const struct nlattr *num = nested(proto, CTA_PROTO_NUM);
	const struct nlattr *port = nested(proto, CTA_PROTO_DST_PORT);
	uint8_t p = num && mnl_attr_get_payload_len(num) == 1 ? mnl_attr_get_u8(num) : 0;

	pkt->proto = p == IPPROTO_ICMPV6 ? IPPROTO_ICMP : p;
	if ((p == IPPROTO_TCP || p == IPPROTO_UDP) && port && mnl_attr_get_payload_len(port) == 2)
		pkt->port = ntohs(mnl_attr_get_u16(port));
}

/* Reads an original tuple (a CTA_TUPLE_ORIG attribute) of this family into *pkt. */
static int
tuple_parse(uint8_t family, const struct nlattr *t, struct explain_pkt *pkt)
{
	const struct nlattr *ip, *proto;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	memset(pkt, 0, sizeof(*pkt));
	pkt->family = family;
	if (!(ip = nested(t, CTA_TUPLE_IP)) || tuple_ip(ip, family, pkt) < 0)
		return -EINVAL;
	if ((proto = nested(t, CTA_TUPLE_PROTO)))
		tuple_proto(proto, pkt);
	return 0;
}

int
ct_msg_tuple(const struct nlmsghdr *nlh, struct explain_pkt *pkt)
{
	const struct nfgenmsg *g;
	const struct nlattr *t;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return -EINVAL;
	g = mnl_nlmsg_get_payload(nlh);
	if (!(t = ct_orig_tuple(nlh)))
		return -EINVAL;
	return tuple_parse(g->nfgen_family, t, pkt);
}

/*
 * Only the path counts: red hands every tunnel flow to crypto whichever site
 * carries it, and marks each packet afresh, so a flow moved to another site
 * needs no new entry in red.
 */
static bool
path_changed(const struct prune *pr, const struct explain_pkt *pkt)
{
	if (!explain_in_scope(&pr->scope, pkt))
		return false;
	return explain_path(pr->old, pr->indexed ? &pr->secure[0] : NULL, pkt) !=
	       explain_path(pr->new, pr->indexed ? &pr->secure[1] : NULL, pkt);
}

static int
victim_add(struct prune *pr, uint8_t family, const struct nlattr *tuple)
{
	struct victim *v;

	if (tuple->nla_len > sizeof(v->tuple))
		return 0; /* no tuple is this long; skip rather than truncate */
	if (pr->n == pr->cap) {
		size_t cap = pr->cap ? 2 * pr->cap : 64;
		v = realloc(pr->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		pr->v = v;
		pr->cap = cap;
	}
	v = &pr->v[pr->n++];
	v->family = family;
	v->len = tuple->nla_len;
	memcpy(v->tuple, tuple, tuple->nla_len);
	return 0;
}

/* One flow: a victim if its path changed. */
static int
consider(uint8_t family, const struct nlattr *tuple, void *data)
{
	struct prune *pr = data;
	struct explain_pkt pkt;

	pr->looked++;
	if (!pr->old || tuple_parse(family, tuple, &pkt) < 0 || !path_changed(pr, &pkt))
		return 0;
	return victim_add(pr, family, tuple);
}

/* A dumped entry: considered, and put in the tracker that starts over from this dump. */
static int
dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct prune *pr = data;
	const struct nlattr *tuple = ct_orig_tuple(nlh);
	const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);

	if (!tuple || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g))
		return MNL_CB_OK;
	if (pr->track)
		ct_track_add(pr->track, g->nfgen_family, tuple);
	pr->err = consider(g->nfgen_family, tuple, pr);
	return pr->err < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static struct nlmsghdr *
ct_msg(char *buf, uint16_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *g;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->nfgen_family = family;
	g->version = NFNETLINK_V0;
	return nlh;
}

static int
delete_one(struct mnl_socket *nl, const struct victim *v)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = ct_msg(buf, IPCTNL_MSG_CT_DELETE, 0, v->family);
	int ret;

	memcpy(mnl_nlmsg_get_payload_tail(nlh), v->tuple, v->len);
	nlh->nlmsg_len += MNL_ALIGN(v->len);
	ret = nl_talk(nl, nlh, NULL, NULL);
	return ret == -ENOENT ? 0 : ret; /* it ended meanwhile */
}

/*
 * The victims: from the tracker's flows when it knows them all (valid), else
 * from a dump of the table, from which the tracker t (NULL: none) starts over.
 */
static int
find_victims(struct mnl_socket *nl, struct ct_track *t, bool valid, struct prune *pr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	int ret;

	if (valid)
		return ct_track_each(t, consider, pr);
	if (t) {
		log_debug("conntrack: reading the whole table (%s)", ct_track_doubt(t));
		ct_track_reset(t);
		pr->track = t;
	}
	ret = nl_talk(nl, ct_msg(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, AF_UNSPEC), dump_cb, pr);
	if (pr->err < 0)
		ret = pr->err;
	if (t && ret == 0)
		ct_track_resynced(t);
	return ret;
}

int
ct_prune(const struct policy *old, const struct policy *new, struct ct_track *t,
	 struct ct_pruned *out)
{
	struct prune pr = {.old = old, .new = new};
	struct mnl_socket *nl = nl_netfilter();
	bool dumped;
	int ret;

	if (out)
		*out = (struct ct_pruned){0};
	if (!nl)
		return -errno;
	if (explain_scope(old, new, &pr.scope) < 0)
		pr.scope = (struct explain_scope){.all = true}; /* slower, but no flow missed */
	/* Every flow to look at: each one's "another site's?" by bisection. */
	pr.indexed = pr.scope.all && ranges_build(old, &pr.secure[0]) == 0 &&
		     ranges_build(new, &pr.secure[1]) == 0;
	ct_track_drain(t);
	dumped = !ct_track_valid(t);
	/*
	 * Nothing that decides a path changed (a key, an endpoint did): no flow
	 * to look at, unless the tracker needs the dump to start over.
	 */
	ret = 0;
	if ((dumped && t) || pr.scope.all || pr.scope.nprefixes || pr.scope.nrules)
		ret = find_victims(nl, t, !dumped, &pr);
	for (size_t i = 0; ret == 0 && i < pr.n; i++) {
		ret = delete_one(nl, &pr.v[i]);
		if (ret == 0 && t) /* deleted, or gone meanwhile: either way not a flow now */
			ct_track_remove(t, pr.v[i].family, (const struct nlattr *)pr.v[i].tuple);
	}
	if (ret == 0 && out)
		*out = (struct ct_pruned){.looked = pr.looked, .deleted = pr.n, .dumped = dumped};
	if (ret < 0)
		nl_netfilter_close();
	explain_scope_free(&pr.scope);
	ranges_free(&pr.secure[0]);
	ranges_free(&pr.secure[1]);
	free(pr.v);
	return ret;
}

int
ct_sync(struct ct_track *t)
{
	struct prune pr = {0}; /* no policies: every flow is only tracked */
	struct mnl_socket *nl = nl_netfilter();
	int ret;

	if (!nl)
		return -errno;
	ct_track_drain(t);
	if ((ret = find_victims(nl, t, false, &pr)) < 0)
		nl_netfilter_close();
	free(pr.v);
	return ret;
}

int
ct_flush(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl = nl_netfilter();
	int ret;

	if (!nl)
		return -errno;
	ret = nl_talk(nl, ct_msg(buf, IPCTNL_MSG_CT_DELETE, 0, AF_UNSPEC), NULL, NULL);
	if (ret < 0)
		nl_netfilter_close();
	return ret;
}
