// SPDX-License-Identifier: GPL-2.0-only
/*
 * policy/nft_apply.c — puts a domain's table into the kernel: reads the
 * digest the live table carries, and only when it differs sends the one
 * batch and reads every ack (the kernel aborts the whole batch on an error).
 *
 * It also remembers what it last put there (struct known): a change of
 * sites only, to a table that still carries the digest, is then a delta
 * between two element lists, without building the rules or reading the
 * kernel's sets back. nft_check() reads them now and then to see that
 * nobody else changed them.
 */
/* Before any linux/ header, which would define struct in_addr first. */
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libnftnl/common.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "core/log.h"
#include "core/nl.h"
#include "policy/nft_int.h"

/* The kernel answers while we send; the wait only guards against the absurd. */
#define ACK_WAIT_MS 5000

struct table_reply {
	char *hex;
	bool found;
};

static int
table_cb(const struct nlmsghdr *nlh, void *data)
{
	struct table_reply *tr = data;
	struct nftnl_table *t = nftnl_table_alloc();
	const void *ud;
	uint32_t len;

	if (!t) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	if (nftnl_table_nlmsg_parse(nlh, t) == 0 &&
	    (ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len)) &&
	    nft_comment_digest(ud, len, tr->hex) == 0)
		tr->found = true;
	nftnl_table_free(t);
	return MNL_CB_OK;
}

static int
kernel_digest(struct mnl_socket *nl, char hex[NFT_DIGEST_HEX + 1])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct table_reply tr = {.hex = hex};
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret;

	if (!t || nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE) < 0) {
		if (t)
			nftnl_table_free(t);
		return -ENOMEM;
	}
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, 0, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	ret = nl_talk(nl, nlh, table_cb, &tr);
	if (ret == 0 && !tr.found)
		ret = -ENOENT;
	return ret;
}

int
nft_kernel_digest(char hex[NFT_DIGEST_HEX + 1])
{
	struct mnl_socket *nl = nl_netfilter();
	int ret;

	if (!nl)
		return -errno;
	if ((ret = kernel_digest(nl, hex)) < 0 && ret != -ENOENT)
		nl_netfilter_close();
	return ret;
}

/* What the acks of one batch told: messages [first, last) are ours. */
struct acks {
	uint32_t portid, first, last;
	int expected, got, err;
	uint32_t err_seq;
	char msg[128]; /* the kernel's extended ack message, if any */
};

/* Copies the extended ack's text (NLMSGERR_ATTR_MSG) when the kernel sent one. */
static void
ack_text(const struct nlmsghdr *nlh, const struct nlmsgerr *e, char *out, size_t len)
{
	size_t off = sizeof(*e), plen = mnl_nlmsg_get_payload_len(nlh);
	const char *end = (const char *)e + plen;
	const struct nlattr *attr;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	if (off >= plen)
		return;
	for (attr = (const void *)((const char *)e + off);
	     mnl_attr_ok(attr, (int)(end - (const char *)attr)); attr = mnl_attr_next(attr)) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
			snprintf(out, len, "%s", mnl_attr_get_str(attr));
	}
}

static void
acks_parse(struct acks *a, const void *buf, size_t n)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)n;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_pid != a->portid ||
		    mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
			continue;
		/* Unsigned differences: correct across a sequence number wrap. */
		if (nlh->nlmsg_seq - a->first >= a->last - a->first)
			continue;
		a->got++;
		if (e->error && !a->err) {
			a->err = e->error;
			a->err_seq = nlh->nlmsg_seq;
			ack_text(nlh, e, a->msg, sizeof(a->msg));
		}
	}
}

/*
 * Acks lost or late on the shared socket (core/nl.h nl_netfilter): the late
 * ones would reach its next user (a conntrack prune) as stray replies, so
 * nft_apply closes it once it is done with it.
 */
static bool acks_astray;

/* Reads until every ack came, and then whatever else is queued (more errors). */
static int
acks_read(struct mnl_socket *nl, struct acks *a)
{
	char buf[32768]; /* an error ack with its extended reason fits */
	struct pollfd pfd = {.fd = mnl_socket_get_fd(nl), .events = POLLIN};
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&pfd, 1, a->got < a->expected && !a->err ? ACK_WAIT_MS : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno == ENOBUFS)
				acks_astray = true; /* acks were lost */
			return -errno;
		}
		acks_parse(a, buf, (size_t)n);
	}
	if (a->err)
		return a->err;
	if (a->got < a->expected)
		acks_astray = true; /* late: they may come yet */
	return a->got < a->expected ? -ETIMEDOUT : 0;
}

/* What the batch message with sequence number seq does, for the log. */
static const char *
msg_name(const void *batch, size_t len, uint32_t seq)
{
	const struct nlmsghdr *nlh = batch;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_seq != seq)
			continue;
		switch (nlh->nlmsg_type) {
		case NFNL_MSG_BATCH_BEGIN:
			return "batch";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWTABLE:
			return "add table";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELTABLE:
			return "delete table";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSET:
			return "add set";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM:
			return "add element";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM:
			return "delete element";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWCHAIN:
			return "add chain";
		case NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWRULE:
			return "add rule";
		}
	}
	return "?";
}

static int
batch_send(struct mnl_socket *nl, const void *batch, size_t len, struct acks *a)
{
	int fd = mnl_socket_get_fd(nl), on = 1, snd = (int)len + 4096, rcv;
	const struct nlmsghdr *nlh = batch;
	int left = (int)len;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		if (nlh->nlmsg_flags & NLM_F_ACK)
			a->expected++;
	rcv = a->expected * 1024 + 65536; /* an ack's buffer cost is under 1 KiB */
	/* One datagram carries the whole batch: the send buffer must hold it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	/* Every message is acked; room for all of them avoids ENOBUFS. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* Errors without the whole rejected message, but with the kernel's reason. */
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof(on));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof(on));
	if (mnl_socket_sendto(nl, batch, len) < 0)
		return -errno;
	return 0;
}

/*
 * Whether the kernel's table is batch's: the same digest and the same static
 * elements. For acks lost or late: on a socket of its own, as the shared
 * one may still get them.
 */
static bool
kernel_matches(const void *batch, size_t len, const char *want)
{
	char have[NFT_DIGEST_HEX + 1];
	struct mnl_socket *nl;
	uint32_t seq = 0;
	void *delta = NULL;
	size_t dlen;
	bool same;

	if (!(nl = nl_open(NETLINK_NETFILTER)))
		return false;
	same = kernel_digest(nl, have) == 0 && strcmp(have, want) == 0 &&
	       nft_delta(nl, batch, len, &seq, &delta, &dlen) == 0 && !delta;
	free(delta);
	mnl_socket_close(nl);
	return same;
}

/* The complete batch of one apply, numbered [first, last), and its digest. */
struct job {
	enum domain d;
	const void *batch;
	size_t len;
	uint32_t first, last;
	const char *want;
};

/*
 * Sends msgs (j's batch or a change to it), numbered [first, last), and
 * reads every ack. Returns 0 or the kernel's error, logged.
 */
static int
send_one(struct mnl_socket *nl, const struct job *j, const void *msgs, size_t len, uint32_t first,
	 uint32_t last)
{
	struct acks a = {.portid = mnl_socket_get_portid(nl), .first = first, .last = last};
	int ret = batch_send(nl, msgs, len, &a);

	if (ret == 0)
		ret = acks_read(nl, &a);
	/* Acks lost or late: the table itself says whether the batch committed. */
	if ((ret == -ENOBUFS || ret == -ETIMEDOUT) && kernel_matches(j->batch, j->len, j->want))
		ret = 0;
	if (ret < 0)
		log_warnx("nft: %s table not applied: %s (message %u, %s)%s%s", domain_name(j->d),
			  strerror(-ret), a.err_seq - a.first, msg_name(msgs, len, a.err_seq),
			  a.msg[0] ? ": " : "", a.msg);
	return ret;
}

/*
 * The kernel's table has the wanted digest: only static set elements can
 * differ (a site added or removed). Sends their change, if any, numbered
 * from *seq.
 */
static int
apply_delta(struct mnl_socket *nl, const struct job *j, uint32_t *seq, bool *changed)
{
	uint32_t first = *seq;
	void *delta;
	size_t dlen;
	int ret = nft_delta(nl, j->batch, j->len, seq, &delta, &dlen);

	if (ret == 0 && !delta) {
		log_debug("nft: %s table unchanged (%.12s)", domain_name(j->d), j->want);
		*changed = false;
		return 0;
	}
	if (ret == 0)
		ret = send_one(nl, j, delta, dlen, first, *seq);
	free(delta);
	if (ret == 0) {
		log_info("nft: %s set elements updated (%.12s)", domain_name(j->d), j->want);
		*changed = true;
	}
	return ret;
}

/*
 * Sends the batch unless the kernel's table already has its digest; then
 * only the set elements that differ, or if that fails, the whole table.
 * Either way one batch: all of it applies or none.
 */
static int
apply_batch(struct mnl_socket *nl, const struct job *j, uint32_t *seq, bool *changed)
{
	char have[NFT_DIGEST_HEX + 1];
	int ret = kernel_digest(nl, have);

	if (ret == 0 && strcmp(have, j->want) == 0) {
		ret = apply_delta(nl, j, seq, changed);
		if (ret == 0)
			return 0;
		log_warnx("nft: %s set elements not updated (%s); replacing the table",
			  domain_name(j->d), strerror(-ret));
	} else if (ret < 0 && ret != -ENOENT) {
		return ret;
	}
	ret = send_one(nl, j, j->batch, j->len, j->first, j->last);
	if (ret < 0)
		return ret;
	log_info("nft: %s table applied (%.12s)", domain_name(j->d), j->want);
	*changed = true;
	return 0;
}

/*
 * What this process last brought the kernel's table to. One umbrald serves
 * one domain in the netns it started in; the kernel's digest is checked
 * before the short way is taken all the same.
 */
static struct known {
	bool ok;
	enum domain d;
	char digest[NFT_DIGEST_HEX + 1];
	struct policy rest; /* the policy but its sites: all the rest of the table follows from it */
	struct nft_elemsets *elems; /* the static sets' elements of the policy with its sites */
} known;

void
nft_forget(void)
{
	policy_free(&known.rest);
	nft_elemsets_free(known.elems);
	memset(&known, 0, sizeof(known));
}

/* p without its sites: nft_build() turns sites into static set elements only. */
static struct policy
rest_of(const struct policy *p)
{
	struct policy v = *p;

	v.sites = NULL;
	v.nsites = 0;
	return v;
}

/* After a batch that worked: the kernel's table is p's, with digest want. */
static void
known_set(const struct policy *p, enum domain d, const char *want)
{
	struct policy v = rest_of(p);
	struct nft_elemsets *elems = NULL;

	nft_forget();
	if (nft_elemsets_from_policy(p, d, &elems) < 0 || policy_copy(&known.rest, &v) < 0) {
		nft_elemsets_free(elems);
		return; /* not known: the next apply takes the long way */
	}
	known.elems = elems;
	known.d = d;
	snprintf(known.digest, sizeof(known.digest), "%s", want);
	known.ok = true;
}

/*
 * The short way for p, when the kernel's table is the one we last applied
 * and p differs from it in sites only: 1 when done (*changed set), 0 when it
 * does not apply, negative when the delta failed (the long way follows).
 */
static int
apply_known(struct mnl_socket *nl, const struct policy *p, enum domain d, uint32_t *seq,
	    bool *changed)
{
	struct policy v = rest_of(p);
	char have[NFT_DIGEST_HEX + 1];
	struct nft_elemsets *elems = NULL;
	void *delta = NULL;
	size_t dlen = 0;
	uint32_t first = *seq;
	int ret;

	if (!known.ok || known.d != d || !policy_equal(&v, &known.rest))
		return 0;
	if (kernel_digest(nl, have) < 0 || strcmp(have, known.digest) != 0)
		return 0;
	ret = nft_elemsets_from_policy(p, d, &elems);
	if (ret == 0)
		ret = nft_delta_sets(elems, known.elems, seq, &delta, &dlen);
	if (ret == 0 && delta) {
		struct acks a = {.portid = mnl_socket_get_portid(nl), .first = first, .last = *seq};
		ret = batch_send(nl, delta, dlen, &a);
		if (ret == 0)
			ret = acks_read(nl, &a);
	}

	if (ret < 0) {
		log_warnx("nft: %s set elements not updated (%s); replacing the table",
			  domain_name(d), strerror(-ret));
		nft_elemsets_free(elems);
		free(delta);
		nft_forget();
		return ret;
	}
	*changed = delta != NULL;
	free(delta);
	nft_elemsets_free(known.elems);
	known.elems = elems;
	return 1;
}

int
nft_check(enum domain d, bool *drifted)
{
	char have[NFT_DIGEST_HEX + 1];
	struct mnl_socket *nl;
	void *delta = NULL;
	size_t dlen;
	uint32_t seq = 0;
	int ret;

	*drifted = false;
	if (!known.ok || known.d != d)
		return 0;
	if (!(nl = nl_netfilter()))
		return -errno;
	ret = kernel_digest(nl, have);
	if (ret == -ENOENT || (ret == 0 && strcmp(have, known.digest) != 0)) {
		*drifted = true;
		ret = 0;
	} else if (ret == 0) {
		ret = nft_delta_kernel(nl, known.elems, &seq, &delta, &dlen);
		*drifted = ret == 0 && delta;
		free(delta);
	}
	if (ret < 0)
		nl_netfilter_close();
	if (*drifted)
		nft_forget();
	return ret;
}

/* The long way: the whole table built, and sent unless the kernel has it already. */
static int
apply_full(struct mnl_socket *nl, const struct policy *p, enum domain d, uint32_t *seq,
	   bool *changed)
{
	char want[NFT_DIGEST_HEX + 1];
	size_t limit = nft_batch_limit(p);
	char *buf = malloc(2 * limit); /* libmnl: twice the limit */
	struct mnl_nlmsg_batch *b = buf ? mnl_nlmsg_batch_start(buf, limit) : NULL;
	struct job j = {.d = d, .want = want, .first = *seq};
	int ret;

	if (!b) {
		free(buf);
		return -ENOMEM;
	}
	ret = nft_build(p, d, b, seq);
	j.last = *seq;
	j.batch = mnl_nlmsg_batch_head(b);
	j.len = mnl_nlmsg_batch_size(b);
	if (ret == 0)
		ret = nft_batch_digest(j.batch, j.len, want);
	if (ret == 0)
		ret = apply_batch(nl, &j, seq, changed);
	if (ret == 0)
		known_set(p, d, want);
	mnl_nlmsg_batch_stop(b);
	free(buf);
	return ret;
}

int
nft_apply(const struct policy *p, enum domain d, bool *changed)
{
	struct mnl_socket *nl = nl_netfilter();
	uint32_t *seq = nl_seq();
	int ret;

	if (!nl)
		return -errno;
	ret = apply_known(nl, p, d, seq, changed);
	if (ret <= 0)
		ret = apply_full(nl, p, d, seq, changed);
	else
		ret = 0;
	if (ret < 0)
		nft_forget();
	/* The socket may hold what we did not read: a fresh one next time. */
	if (ret < 0 || acks_astray)
		nl_netfilter_close();
	acks_astray = false;
	return ret;
}
