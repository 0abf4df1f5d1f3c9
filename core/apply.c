// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/apply.c — brings the kernel to a policy, one domain, fail-closed order:
 * filter first, then WireGuard, then routes, then forwarding on.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/daemon.h"
#include "core/log.h"
#include "policy/nft.h"
#include "policy/offload.h"
#include "policy/route.h"
#include "policy/sysctl.h"
#include "wg/wg.h"

/* Seconds between two checks that the kernel's table is still the applied one. */
#define APPLY_CHECK_INTERVAL 10.0

static void
note_failure(struct daemon *d, struct errbuf *eb, const char *step, int err)
{
	errbuf_add(eb, "%s: %s", step, strerror(-err));
	snprintf(d->apply_error, sizeof(d->apply_error), "%s: %s", step, strerror(-err));
	d->applied = false;
	d->apply_failures++;
	log_warnx("apply: %s failed: %s", step, strerror(-err));
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/*
 * Aggregation of the decrypted stream (policy/offload.h). Throughput only: a
 * failure is logged and the apply goes on. Crypto asks again at every apply,
 * since WireGuard (and so its backend) comes and goes with the key.
 */
static void
offload_set(struct daemon *d)
{
	bool userspace = d->wg && strcmp(wg_backend(d->wg), "kernel") != 0;
	int ret;

	if ((ret = offload_apply(d->domain, userspace)) < 0)
		log_warnx("offloads: %s (throughput only; the policy stands)", strerror(-ret));
}

int
daemon_apply(struct daemon *d, const struct policy *p, struct errbuf *eb)
{
	bool nft_changed = false, route_changed = false;
	/* Each step's end, for the log: where an apply's time goes. */
	double start = now_ms(), t_nft, t_wg, t_route;
	int ret;

	d->applies++;
	ret = nft_apply(p, d->domain, &nft_changed);
	if (ret < 0) {
		note_failure(d, eb, "nftables", ret);
		return ret;
	}
	t_nft = t_wg = now_ms();
	if (d->domain == DOMAIN_CRYPTO) {
		ret = crypto_apply(d, p, eb);
		if (ret < 0) {
			note_failure(d, eb, "wireguard", ret);
			return ret;
		}
		t_wg = now_ms();
	}
	ret = route_apply(p, d->domain, &route_changed);
	if (ret < 0) {
		note_failure(d, eb, "routes", ret);
		return ret;
	}
	t_route = now_ms();
	ret = sysctl_apply(d->domain);
	if (ret < 0) {
		note_failure(d, eb, "sysctl", ret);
		return ret;
	}
	offload_set(d);
	if (d->domain == DOMAIN_RED)
		red_apply(d, p);
	d->applied = true;
	d->apply_error[0] = '\0';
	d->last_apply_ms = now_ms() - start;
	log_info("applied revision %lld in %.2f ms (nftables %s %.2f, wireguard %.2f, routes %s "
		 "%.2f, rest %.2f)",
		 (long long)p->revision, d->last_apply_ms, nft_changed ? "changed" : "unchanged",
		 t_nft - start, t_wg - t_nft, route_changed ? "changed" : "unchanged",
		 t_route - t_wg, now_ms() - t_route);
	return 0;
}

int
daemon_apply_fresh(struct daemon *d, struct errbuf *eb)
{
	nft_forget();
	route_forget();
	if (d->wg)
		wg_forget(d->wg);
	return daemon_apply(d, &d->policy, eb);
}

/*
 * The short way of an apply trusts that the kernel holds what the last one
 * made. This is the check: someone who changed the table or the routes by
 * hand (an element of a secure set removed, a route deleted) is found
 * within APPLY_CHECK_INTERVAL and the policy applied again, the long way.
 * WireGuard has its own (crypto's peer poll, wg_drifted()).
 */
static void
check_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	bool drifted = false;
	int ret;

	(void)loop;
	(void)revents;
	ret = nft_check(d->domain, &drifted);
	if (ret == 0 && !drifted)
		ret = route_check(d->domain, &drifted);
	if (ret < 0)
		log_warnx("apply check: cannot read the kernel's table or routes: %s",
			  strerror(-ret));
	if (drifted) {
		log_warnx("apply check: the kernel's table or routes are not what the last apply "
			  "made them (changed by hand?); applying again");
		daemon_reapply_soon(d);
	}
}

void
daemon_check_start(struct daemon *d)
{
	ev_timer_init(&d->kernel_check, check_cb, APPLY_CHECK_INTERVAL, APPLY_CHECK_INTERVAL);
	d->kernel_check.data = d;
	ev_timer_start(d->loop, &d->kernel_check);
}

static void
reapply_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct daemon *d = w->data;
	struct errbuf eb = {0};

	(void)loop;
	(void)revents;
	if (daemon_apply(d, &d->policy, &eb) < 0)
		daemon_reapply_soon(d); /* keep trying: the kernel may catch up */
}

void
daemon_reapply_soon(struct daemon *d)
{
	if (ev_is_active(&d->reapply))
		return;
	ev_timer_init(&d->reapply, reapply_cb, d->applied ? 0.2 : 1.0, 0.);
	d->reapply.data = d;
	ev_timer_start(d->loop, &d->reapply);
}
