// SPDX-License-Identifier: GPL-2.0-only
/*
 * wg/wg.c — the wg_ interface over its two backends: the kernel's wireguard
 * link (genl) or wireguard-go (UAPI). Chooses or re-adopts the device, then
 * every wg_set() is a diff: against what the device itself reports the
 * first time, and after that against what the last wg_set() left there, so
 * that one site added to 250 costs one peer, not a read of all of them.
 * The crypto domain's poller reads the device anyway and tells (wg_drifted)
 * when it no longer holds that; the next wg_set() then reads it again.
 */
#include "wg/internal.h"

#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/log.h"

struct wg {
	char ifname[IFNAMSIZ];
	char *uapi_path;
	bool kernel;
	uint16_t family; /* genl id, kernel only */
	pid_t pid; /* wireguard-go only; 0 when unknown */
	bool tuned; /* its sockets have large buffers */
	struct wg_dev_state known; /* what the last wg_set() left on the device */
	bool known_ok; /* false: read the device before the next diff */
};

/* The device exists already: a kernel link, or a wireguard-go that answers. */
static int
adopt(struct wg *w)
{
	struct wg_dev_state st;
	char kind[32];
	int ret;

	ret = wg_link_kind(w->ifname, kind, sizeof(kind));
	if (ret < 0)
		return ret;
	if (strcmp(kind, "wireguard") == 0) {
		w->kernel = true;
		return 0;
	}
	ret = wg_uapi_get(w->uapi_path, &st);
	if (ret < 0) {
		log_warnx("%s: %s exists (kind '%s') but %s does not answer: %s", __func__,
			  w->ifname, kind, w->uapi_path, strerror(-ret));
		return -EBUSY;
	}
	wg_state_free(&st);
	if (wg_go_read_pid(w->uapi_path, &w->pid) < 0 || kill(w->pid, 0) < 0)
		w->pid = 0;
	log_info("wg: re-using wireguard-go for %s (pid %d)", w->ifname, (int)w->pid);
	return 0;
}

static int
create(struct wg *w)
{
	int ret = wg_link_create(w->ifname);

	if (ret == 0) {
		w->kernel = true;
		return 0;
	}
	if (ret != -EOPNOTSUPP)
		return ret;
	log_info("wg: no WireGuard in this kernel, starting wireguard-go for %s", w->ifname);
	return wg_go_spawn(w->ifname, w->uapi_path, &w->pid);
}

int
wg_open(const char *ifname, uint16_t mtu, const char *uapi_path, struct wg **out)
{
	struct wg *w;
	int ret;

	if (!ifname || !*ifname || strlen(ifname) >= IFNAMSIZ || !uapi_path || mtu < 1280)
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w || !(w->uapi_path = strdup(uapi_path))) {
		free(w);
		return -ENOMEM;
	}
	strcpy(w->ifname, ifname);
	ret = if_nametoindex(ifname) ? adopt(w) : create(w);
	if (ret == 0 && w->kernel)
		ret = wg_genl_family(&w->family);
	if (ret == 0)
		ret = wg_link_up(ifname, mtu);
	if (ret < 0) {
		log_warnx("%s: %s: %s", __func__, ifname, strerror(-ret));
		wg_close(w);
		return ret;
	}
	*out = w;
	return 0;
}

const char *
wg_backend(const struct wg *w)
{
	return w->kernel ? "kernel" : "wireguard-go";
}

pid_t
wg_pid(const struct wg *w)
{
	return w->kernel ? 0 : w->pid;
}

int
wg_get(struct wg *w, struct wg_dev_state *out)
{
	if (w->kernel)
		return wg_genl_get(w->family, w->ifname, out);
	return wg_uapi_get(w->uapi_path, out);
}

static int
send_diff(struct wg *w, const struct wg_diff *d)
{
	return w->kernel ? wg_genl_set(w->family, w->ifname, d) : wg_uapi_set(w->uapi_path, d);
}

int
wg_poke(struct wg *w, const struct wg_peer_conf *peer)
{
	struct wg_peer_conf p = *peer;
	const struct wg_peer_conf *one = &p;
	struct wg_diff d = {.upsert = &one, .nupsert = 1};
	int ret;

	w->known_ok = false; /* the keepalive is not the conf's now */
	p.keepalive = 0;
	ret = send_diff(w, &d);
	p.keepalive = peer->keepalive ? peer->keepalive : 25;
	return ret < 0 ? ret : send_diff(w, &d);
}

/* Sends what turns cur into conf; then *next is what the device holds. */
static int
set_from(struct wg *w, const struct wg_dev_state *cur, const struct wg_conf *conf,
	 struct wg_dev_state *next)
{
	struct wg_diff d;
	int ret = wg_diff_build(cur, conf, &d);

	if (ret < 0)
		return ret;
	if (!wg_diff_empty(&d)) {
		log_debug("wg: %s: %zu peers to remove, %zu to add or update%s", w->ifname,
			  d.nremove, d.nupsert, d.privkey ? ", new private key" : "");
		ret = send_diff(w, &d);
	}
	if (ret == 0)
		ret = wg_state_from_conf(cur, conf, &d, next);
	/* wireguard-go re-binds its sockets when the port or fwmark changes. */
	if (ret == 0 && !w->kernel && w->pid && (d.set_port || d.set_fwmark || !w->tuned))
		w->tuned = wg_go_tune_sockets(w->pid) > 0;
	wg_diff_free(&d);
	return ret;
}

int
wg_set(struct wg *w, const struct wg_conf *conf)
{
	struct wg_dev_state read = {0}, next = {0};
	int ret = 0;

	if (!w->known_ok)
		ret = wg_get(w, &read);
	if (ret == 0)
		ret = set_from(w, w->known_ok ? &w->known : &read, conf, &next);
	wg_state_free(&read);
	wg_state_free(&w->known);
	/* After a failure the device may hold part of the diff: read it next time. */
	w->known_ok = ret == 0;
	if (ret == 0)
		w->known = next;
	return ret;
}

void
wg_forget(struct wg *w)
{
	w->known_ok = false;
}

bool
wg_drifted(struct wg *w, const struct wg_dev_state *dev)
{
	if (!w->known_ok || wg_state_matches(dev, &w->known))
		return false;
	w->known_ok = false;
	return true;
}

bool
wg_alive(struct wg *w)
{
	int status;

	if (if_nametoindex(w->ifname) == 0)
		return false;
	if (w->kernel || w->pid == 0)
		return true;
	/* Our own child: reap it, or kill(pid, 0) would see a zombie as alive. */
	if (waitpid(w->pid, &status, WNOHANG) == w->pid)
		return false;
	return kill(w->pid, 0) == 0;
}

void
wg_close(struct wg *w)
{
	if (!w)
		return;
	wg_state_free(&w->known);
	free(w->uapi_path);
	free(w);
}
