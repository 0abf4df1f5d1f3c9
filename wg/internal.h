/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wg/internal.h — what the files of wg/ share and the unit tests reach:
 * the diff between the device and the wanted conf, and the pure builders and
 * parsers of both backends (buffer in, struct or message out, no socket).
 * Not part of the module's contract; umbrald includes wg/wg.h only.
 */
#ifndef UMBRAL_WG_INTERNAL_H
#define UMBRAL_WG_INTERNAL_H

#include <libmnl/libmnl.h>

#include "wg/wg.h"

/*
 * What wg_set() must send to bring a device to a conf. Peers in remove are
 * deleted; each peer in upsert is created or updated (allowed-ips replaced).
 * remove and upsert are owned (wg_diff_free); privkey and the peer confs
 * point into the caller's wg_conf.
 */
struct wg_diff {
	const uint8_t *privkey; /* NULL: unchanged */
	bool set_port, set_fwmark;
	uint16_t listen_port;
	uint32_t fwmark;
	uint8_t (*remove)[WG_KEY_LEN];
	size_t nremove;
	const struct wg_peer_conf **upsert;
	size_t nupsert;
};

/* Fills *out with what turns cur into conf. -EINVAL on duplicate peers, -ENOMEM. */
int wg_diff_build(const struct wg_dev_state *cur, const struct wg_conf *conf, struct wg_diff *out);
void wg_diff_free(struct wg_diff *d);
/*
 * What the device holds once d, built from cur to conf, went in: conf's
 * peers and port, cur's key unless d changes it. wg_set() keeps it, so that
 * the next change is diffed without reading the whole device back.
 */
int wg_state_from_conf(const struct wg_dev_state *cur, const struct wg_conf *conf,
		       const struct wg_diff *d, struct wg_dev_state *out);
/* Whether a device read back still holds known's key, port, peers and allowed-ips. */
bool wg_state_matches(const struct wg_dev_state *dev, const struct wg_dev_state *known);
bool wg_diff_empty(const struct wg_diff *d);

/* Growing a state while parsing; both return NULL / -ENOMEM on failure. */
struct wg_peer_state *wg_state_add_peer(struct wg_dev_state *s, const uint8_t pubkey[WG_KEY_LEN]);
int wg_peer_add_allowed(struct wg_peer_state *p, const struct prefix *a);
/* True when the host bits of a are zero and its length fits its family. */
bool wg_prefix_valid(const struct prefix *a);

/* Writes all of buf to fd, again after EINTR; 0 or -errno (wg/key.c). */
int wg_write_all(int fd, const uint8_t *buf, size_t len);

/* ---- UAPI (wireguard-go's text protocol), wg/uapi.c ---- */

#define WG_UAPI_LINE_MAX 256 /* longest line we accept from wireguard-go */

/* Bytes wg_uapi_format_set() needs for d, NUL included. */
size_t wg_uapi_set_size(const struct wg_diff *d);
/*
 * Writes the "set=1" transaction for d, blank line included, into buf (cap
 * bytes, from wg_uapi_set_size; the caller's sodium memory when d carries a
 * private key). *len gets its length. -ENOBUFS when cap is too small.
 */
int wg_uapi_format_set(const struct wg_diff *d, char *buf, size_t cap, size_t *len);
/*
 * Parses a reply to "get=1" (text, len bytes, up to its blank line) into
 * *out. Returns 0; -N for "errno=N" with N != 0; -EBADMSG for anything
 * malformed (a line too long, no '=', a bad key or number, no errno line).
 * Unknown keys are ignored. A private_key line only yields out->pubkey.
 */
int wg_uapi_parse_get(const char *text, size_t len, struct wg_dev_state *out);
/* Parses the "errno=N\n\n" reply to a set: 0, -N, or -EBADMSG. */
int wg_uapi_parse_errno(const char *text, size_t len);

/* ---- generic netlink (kernel), wg/genl.c ---- */

/* Where the next WG_CMD_SET_DEVICE message resumes; zero it to start. */
struct wg_genl_cursor {
	size_t peer; /* index over remove[] then upsert[] */
	size_t allowed; /* next allowed-ip of that peer */
	bool started; /* the first message (device attributes) is out */
};

/*
 * Builds the next WG_CMD_SET_DEVICE message for d in buf (buflen bytes) and
 * advances cur. Returns 1 when more messages must follow, 0 when this was
 * the last, -EMSGSIZE when buflen cannot hold even one peer. A peer whose
 * allowed-ips overflow is continued in the next message without
 * WGPEER_F_REPLACE_ALLOWEDIPS, so its earlier allowed-ips stay.
 */
int wg_genl_build_set(void *buf, size_t buflen, uint16_t family, const char *ifname,
		      const struct wg_diff *d, struct wg_genl_cursor *cur);
/* Builds the WG_CMD_GET_DEVICE dump request for ifname. */
struct nlmsghdr *wg_genl_build_get(void *buf, size_t buflen, uint16_t family, const char *ifname);

/* Parse context for one device spread over several messages. */
struct wg_genl_parse {
	struct wg_dev_state st;
	uint32_t *flags; /* per peer of st, the WGPEER_A_FLAGS seen (for tests) */
	uint8_t *privkey; /* optional, caller's sodium memory: receives the key */
	bool has_privkey;
	uint32_t dev_flags;
};

/*
 * Adds one WG_CMD_GET_DEVICE (or SET_DEVICE) message to p, every attribute
 * validated; a peer continued from the previous message (same public key)
 * is merged. Returns 0, -EBADMSG or -ENOMEM.
 */
int wg_genl_parse_msg(const struct nlmsghdr *nlh, struct wg_genl_parse *p);
void wg_genl_parse_free(struct wg_genl_parse *p);

/* ---- I/O: rtnetlink (wg/link.c), genl (wg/genl_io.c), UAPI (wg/uapi_io.c), wireguard-go (wg/wggo.c) ---- */

/* Creates the kernel's wireguard link: 0, -EEXIST, -EOPNOTSUPP without the module. */
int wg_link_create(const char *ifname);
/* Copies ifname's link kind ("wireguard", "tun", "" for none) into kind. -ENODEV when absent. */
int wg_link_kind(const char *ifname, char *kind, size_t len);
/* Sets the MTU and brings the link up. */
int wg_link_up(const char *ifname, uint16_t mtu);

/* Resolves the `wireguard` generic netlink family id. */
int wg_genl_family(uint16_t *out);
int wg_genl_set(uint16_t family, const char *ifname, const struct wg_diff *d);
int wg_genl_get(uint16_t family, const char *ifname, struct wg_dev_state *out);

/* Each opens the UAPI socket at path for one operation, 2 s timeouts, and closes it. */
int wg_uapi_get(const char *path, struct wg_dev_state *out);
int wg_uapi_set(const char *path, const struct wg_diff *d);

/*
 * Starts wireguard-go for ifname in the current netns, serving its UAPI at
 * uapi_path; waits (at most 3 s) until it answers; writes uapi_path.pid.
 */
int wg_go_spawn(const char *ifname, const char *uapi_path, pid_t *pid);
/* Reads uapi_path.pid; -ENOENT when absent, -EINVAL when not a pid. */
int wg_go_read_pid(const char *uapi_path, pid_t *pid);
/* Raises the buffers of wireguard-go's UDP sockets. Returns how many, or -errno. */
int wg_go_tune_sockets(pid_t pid);
/*
 * In a child about to become wireguard-go: creates the placeholder it watches,
 * /run/wireguard/IFNAME.sock (see wg/wggo.c). 0 or -1 with errno.
 */
int wg_go_placeholder(const char *ifname);
/* In that child: hands tun, uapi and the log over as fds 3, 4, 1 and 2 and execs (exit 127). */
void wg_go_exec(const char *ifname, int tun, int uapi, int logfd) __attribute__((noreturn));
/*
 * Asks the launcher (wg/wggo_launch.c) to start wireguard-go with these fds
 * (the caller keeps and closes its own). -ENOSYS when there is no launcher:
 * the caller forks itself. 0 and *pid, or -errno.
 */
int wg_go_launcher_spawn(const char *ifname, int tun, int uapi, int logfd, pid_t *pid);

#endif
