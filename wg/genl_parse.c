// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/genl_parse.c — reads WG_CMD_GET_DEVICE dump messages (and, for tests,
 * our own SET_DEVICE messages) into a wg_dev_state. Every attribute is
 * checked for type and length; a peer the kernel continued in the next
 * message (same public key) is merged into the one before.
 */
#include "wg/internal.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include <sodium.h>

/*
 * True when the attributes in [p, p+len) tile it exactly. libmnl's walk stops
 * quietly at an attribute that overruns its container; we refuse instead.
 */
static bool
attrs_tile(const void *p, size_t len)
{
	const struct nlattr *a = p;

	while (len >= sizeof(*a)) {
		size_t step = MNL_ALIGN((size_t)a->nla_len);

		if (a->nla_len < sizeof(*a) || a->nla_len > len)
			return false;
		if (step >= len)
			return true;
		len -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return len == 0;
}

static int
parse_nested(const struct nlattr *nest, mnl_attr_cb_t cb, void *data)
{
	if (!attrs_tile(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest)))
		return -1;
	return mnl_attr_parse_nested(nest, cb, data);
}

/* One peer nest being read; moved into the state when complete. */
struct peer_tmp {
	struct wg_peer_state st;
	bool has_key;
	uint32_t flags;
};

/*
 * Reads one allowed-ip nest. Its three attributes may come in any order, so
 * the seen-flags travel in a small struct rather than in the prefix.
 */
struct allowed_tmp {
	struct prefix p;
	bool fam, addr, cidr;
	size_t alen;
};

static int
parse_allowed_one(const struct nlattr *a, void *data)
{
	struct allowed_tmp *t = data;
	size_t len = mnl_attr_get_payload_len(a);

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		if (mnl_attr_get_u16(a) != AF_INET && mnl_attr_get_u16(a) != AF_INET6)
			return MNL_CB_ERROR;
		t->p.family = (uint8_t)mnl_attr_get_u16(a);
		t->fam = true;
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (len != 4 && len != 16)
			return MNL_CB_ERROR;
		memcpy(t->p.addr, mnl_attr_get_payload(a), len);
		t->alen = len;
		t->addr = true;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		t->p.len = mnl_attr_get_u8(a);
		t->cidr = true;
		break;
	}
	return MNL_CB_OK;
}

static int
parse_allowedips(const struct nlattr *a, void *data)
{
	struct peer_tmp *pt = data;
	struct allowed_tmp t = {0};

	if (parse_nested(a, parse_allowed_one, &t) < 0)
		return MNL_CB_ERROR;
	if (!t.fam || !t.addr || !t.cidr || t.alen != (t.p.family == AF_INET ? 4u : 16u) ||
	    !wg_prefix_valid(&t.p))
		return MNL_CB_ERROR;
	return wg_peer_add_allowed(&pt->st, &t.p) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

static int
parse_endpoint(const struct nlattr *a, struct endpoint *e)
{
	size_t len = mnl_attr_get_payload_len(a);
	const void *pl = mnl_attr_get_payload(a);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(e, 0, sizeof(*e));
	if (len == sizeof(sin)) {
		memcpy(&sin, pl, sizeof(sin));
		if (sin.sin_family != AF_INET)
			return -1;
		e->family = AF_INET;
		memcpy(e->addr, &sin.sin_addr, 4);
		e->port = ntohs(sin.sin_port);
	} else if (len == sizeof(sin6)) {
		memcpy(&sin6, pl, sizeof(sin6));
		if (sin6.sin6_family != AF_INET6)
			return -1;
		e->family = AF_INET6;
		memcpy(e->addr, &sin6.sin6_addr, 16);
		e->port = ntohs(sin6.sin6_port);
	} else {
		return -1;
	}
	return 0;
}

static int
parse_peer_attr(const struct nlattr *a, void *data)
{
	struct peer_tmp *pt = data;
	struct __kernel_timespec ts;

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PUBLIC_KEY:
		if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
			return MNL_CB_ERROR;
		memcpy(pt->st.pubkey, mnl_attr_get_payload(a), WG_KEY_LEN);
		pt->has_key = true;
		break;
	case WGPEER_A_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		pt->flags = mnl_attr_get_u32(a);
		break;
	case WGPEER_A_ENDPOINT:
		if (parse_endpoint(a, &pt->st.endpoint) < 0)
			return MNL_CB_ERROR;
		pt->st.has_endpoint = true;
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		pt->st.keepalive = mnl_attr_get_u16(a);
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		if (mnl_attr_get_payload_len(a) != sizeof(ts))
			return MNL_CB_ERROR;
		memcpy(&ts, mnl_attr_get_payload(a), sizeof(ts));
		if (ts.tv_sec < 0)
			return MNL_CB_ERROR;
		pt->st.last_handshake = ts.tv_sec;
		break;
	case WGPEER_A_RX_BYTES:
	case WGPEER_A_TX_BYTES:
		if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		*(mnl_attr_get_type(a) == WGPEER_A_RX_BYTES ? &pt->st.rx_bytes : &pt->st.tx_bytes) =
			mnl_attr_get_u64(a);
		break;
	case WGPEER_A_ALLOWEDIPS:
		return parse_nested(a, parse_allowedips, pt) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
	}
	return MNL_CB_OK; /* preshared key, protocol version, newer attributes */
}

/* Moves a complete peer into the state, or its allowed-ips into the peer it continues. */
static int
add_peer(struct wg_genl_parse *p, struct peer_tmp *pt)
{
	struct wg_dev_state *s = &p->st;
	struct wg_peer_state *last = s->npeers ? &s->peers[s->npeers - 1] : NULL;
	uint32_t *f;

	if (last && memcmp(last->pubkey, pt->st.pubkey, WG_KEY_LEN) == 0) {
		for (size_t i = 0; i < pt->st.nallowed; i++)
			if (wg_peer_add_allowed(last, &pt->st.allowed[i]) < 0)
				return -ENOMEM;
		free(pt->st.allowed);
		return 0;
	}
	f = realloc(p->flags, (s->npeers + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	p->flags = f;
	last = wg_state_add_peer(s, pt->st.pubkey);
	if (!last)
		return -ENOMEM;
	*last = pt->st; /* takes the allowed array */
	f[s->npeers - 1] = pt->flags;
	return 0;
}

static int
parse_peers(const struct nlattr *a, void *data)
{
	struct wg_genl_parse *p = data;
	struct peer_tmp pt = {0};

	if (parse_nested(a, parse_peer_attr, &pt) < 0 || !pt.has_key ||
	    add_peer(p, &pt) < 0) {
		free(pt.st.allowed);
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

static int
parse_device_attr(const struct nlattr *a, void *data)
{
	struct wg_genl_parse *p = data;

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
	case WGDEVICE_A_FWMARK:
	case WGDEVICE_A_FLAGS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		if (mnl_attr_get_type(a) == WGDEVICE_A_FWMARK)
			p->st.fwmark = mnl_attr_get_u32(a);
		else if (mnl_attr_get_type(a) == WGDEVICE_A_FLAGS)
			p->dev_flags = mnl_attr_get_u32(a);
		break;
	case WGDEVICE_A_IFNAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
			return MNL_CB_ERROR;
		if (p->privkey)
			memcpy(p->privkey, mnl_attr_get_payload(a), WG_KEY_LEN);
		p->has_privkey = true;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		if (mnl_attr_get_payload_len(a) != WG_KEY_LEN)
			return MNL_CB_ERROR;
		memcpy(p->st.pubkey, mnl_attr_get_payload(a), WG_KEY_LEN);
		p->st.has_pubkey = true;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		if (mnl_attr_validate(a, MNL_TYPE_U16) < 0)
			return MNL_CB_ERROR;
		p->st.listen_port = mnl_attr_get_u16(a);
		break;
	case WGDEVICE_A_PEERS:
		return parse_nested(a, parse_peers, p) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
	}
	return MNL_CB_OK;
}

int
wg_genl_parse_msg(const struct nlmsghdr *nlh, struct wg_genl_parse *p)
{
	const struct genlmsghdr *g;

	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*g) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*g))
		return -EBADMSG;
	g = mnl_nlmsg_get_payload(nlh);
	if (g->cmd != WG_CMD_GET_DEVICE && g->cmd != WG_CMD_SET_DEVICE)
		return -EBADMSG;
	if (!attrs_tile((const char *)g + MNL_ALIGN(sizeof(*g)),
			mnl_nlmsg_get_payload_len(nlh) - MNL_ALIGN(sizeof(*g))))
		return -EBADMSG;
	errno = 0;
	if (mnl_attr_parse(nlh, sizeof(*g), parse_device_attr, p) < 0)
		return errno == ENOMEM ? -ENOMEM : -EBADMSG;
	return 0;
}

void
wg_genl_parse_free(struct wg_genl_parse *p)
{
	if (!p)
		return;
	wg_state_free(&p->st);
	free(p->flags);
	p->flags = NULL;
}
