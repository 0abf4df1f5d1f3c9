/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wg/wg.h — WireGuard configuration for the crypto domain.
 *
 * One interface over two backends: the kernel's wireguard link (generic
 * netlink) or a wireguard-go process (its UAPI socket). The device outlives
 * umbrald: closing the handle never stops it (fail-closed — packets keep
 * flowing with the last configuration), and a restarted umbrald re-opens it.
 *
 * Functions return 0 or a negative errno; out-parameters are written only on
 * success. Nothing here blocks for long: socket I/O to wireguard-go is bounded
 * by a 2 s timeout, the spawn of wireguard-go by 3 s.
 */
#ifndef UMBRAL_WG_H
#define UMBRAL_WG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

/* One peer as we want it. Points into the caller's memory; nothing is owned. */
struct wg_peer_conf {
	uint8_t pubkey[WG_KEY_LEN];
	bool has_endpoint; /* false: roaming peer, its learned endpoint is kept */
	struct endpoint endpoint;
	uint16_t keepalive; /* seconds; 0 is off */
	const struct prefix *allowed;
	size_t nallowed;
};

/* The whole device as we want it. Borrowed: wg_set() keeps no pointer. */
struct wg_conf {
	const uint8_t *privkey; /* WG_KEY_LEN bytes in the caller's sodium memory */
	uint16_t listen_port;
	uint32_t fwmark; /* 0 is off */
	const struct wg_peer_conf *peers;
	size_t npeers;
};

/* One peer as the device reports it. allowed is owned by the wg_dev_state. */
struct wg_peer_state {
	uint8_t pubkey[WG_KEY_LEN];
	bool has_endpoint;
	struct endpoint endpoint;
	int64_t last_handshake; /* unix seconds, 0 never */
	uint64_t rx_bytes, tx_bytes;
	uint16_t keepalive;
	struct prefix *allowed;
	size_t nallowed;
};

/*
 * The device as it reports itself. Owns peers and their allowed-ips; release
 * with wg_state_free(). Never holds the private key: pubkey is derived from it.
 */
struct wg_dev_state {
	uint8_t pubkey[WG_KEY_LEN];
	bool has_pubkey; /* false: no private key set yet */
	uint16_t listen_port;
	uint32_t fwmark;
	struct wg_peer_state *peers;
	size_t npeers;
};

/* Frees what s owns and zeroes it; s itself is the caller's. NULL is safe. */
void wg_state_free(struct wg_dev_state *s);

/* An open WireGuard device in the current network namespace. */
struct wg;

/*
 * Makes sure interface ifname exists and is up with mtu: the kernel's
 * wireguard link when the kernel has it (rtnetlink newlink kind "wireguard"),
 * else a wireguard-go process that serves its UAPI at uapi_path (its pid in
 * uapi_path + ".pid", its output in uapi_path + ".log").
 * Re-uses a device that already exists (umbrald restarted while the device
 * kept running): a kernel link is driven over genl; any other link over the
 * UAPI socket at uapi_path if it answers, else -EBUSY (a foreign interface).
 * On success *out is an owned handle for wg_close().
 */
int wg_open(const char *ifname, uint16_t mtu, const char *uapi_path, struct wg **out);

/* "kernel" or "wireguard-go". */
const char *wg_backend(const struct wg *w);

/* wireguard-go's pid, 0 for the kernel backend. */
pid_t wg_pid(const struct wg *w);

/*
 * Brings the device to exactly conf, as a diff against what it reports (or,
 * after a wg_set() that worked and no drift since, against what that set):
 * peers not in conf are removed; peers that stay are updated in place (their
 * allowed-ips replaced, never removed and re-added, so sessions survive); new
 * peers are added; private key, port and fwmark set only when they differ.
 * Peers already equal are not touched: sending the same conf twice sends
 * nothing the second time. Duplicate public keys in conf are -EINVAL.
 * A failure can leave a part applied; calling again with the same conf
 * finishes the job.
 */
int wg_set(struct wg *w, const struct wg_conf *conf);

/*
 * Makes the device send a keepalive to peer now, which starts a handshake
 * when it has no session: WireGuard sends one when persistent keepalive is
 * turned on, so it is set off, then to peer->keepalive (25 s if that is 0;
 * the caller's next wg_set() restores the peer's own: core/watch.c does when
 * the site is back). peer is sent whole, its
 * allowed-ips included, so nothing else of it changes.
 */
int wg_poke(struct wg *w, const struct wg_peer_conf *peer);

/* Reads the device's state into *out (owned by the caller; wg_state_free). */
int wg_get(struct wg *w, struct wg_dev_state *out);

/*
 * Whether dev (a wg_get() of this device) no longer holds what the last
 * wg_set() left (key, port, peers, allowed-ips; endpoints roam): someone
 * changed it. Then the next wg_set() reads the device before diffing.
 */
bool wg_drifted(struct wg *w, const struct wg_dev_state *dev);
/* The next wg_set() reads the device back first. */
void wg_forget(struct wg *w);

/* False once the device is gone (wireguard-go died, link deleted). */
bool wg_alive(struct wg *w);

/* Forgets the handle; the device keeps running. NULL is safe. */
void wg_close(struct wg *w);

struct priv_user;
/*
 * crypto, started as root, before it loads anything secret: forks the
 * launcher that starts every wireguard-go of this process as u, with only
 * CAP_NET_ADMIN (wg/wggo_launch.c). Returns once the launcher is ready,
 * 0 or -errno.
 */
int wg_go_launcher_start(const struct priv_user *u);

#endif
