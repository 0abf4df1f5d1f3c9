// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/umbrald.c — umbrald: the control plane of one domain (red, crypto or
 * black). It applies the stored policy to the kernel, answers the
 * administrator on its control socket and puts things back when links change.
 * No packet passes through it: if it dies, the kernel keeps enforcing.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/daemon.h"
#include "core/conntrack.h"
#include "core/linkwatch.h"
#include "core/log.h"
#include "storage/store.h"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: umbrald --domain red|crypto|black --node NAME [--state DIR] [--run DIR]\n"
		"               [--unlock-file PATH] [-n] [-d] [--syslog]\n"
		"\n"
		"The control plane of one Umbral domain. Run one per domain, each inside\n"
		"its own network namespace (or VM).\n"
		"\n"
		"  --domain D   which domain this process serves\n"
		"  --node NAME  the node (box) it belongs to\n"
		"  --state DIR  policy database and (crypto) keys; default\n"
		"               /var/lib/umbral/NAME/DOMAIN, created with mode 0700\n"
		"  --run DIR    where the control socket goes; default /run/umbral/NAME,\n"
		"               socket DIR/DOMAIN.sock\n"
		"  --unlock-file PATH  crypto: unlock the sealed key at start with the\n"
		"               secret in PATH (a key file on separate media); without it\n"
		"               crypto starts locked and forwards nothing until umbral unlock\n"
		"  -n           check the stored policy and exit (0 valid, 1 not)\n"
		"  -d           debug logging\n"
		"  --syslog     log to syslog too\n"
		"\n"
		"Signals: SIGTERM/SIGINT exit, leaving the kernel's state in place;\n"
		"SIGHUP re-reads the stored policy and re-applies it.\n"
		"\n"
		"Environment:\n"
		"  UMBRAL_AUDIT_MAX       live audit records before the log rotates by\n"
		"                         itself into an archive in --state (default 10000)\n"
		"  UMBRAL_REFUSAL_REFILL  seconds per audit record for a user refused at the\n"
		"                         socket, after a burst of 10 (default 60)\n"
		"  UMBRAL_STALE_AFTER     crypto: seconds without a handshake that make a\n"
		"                         site stale (default 180)\n");
}

static int
mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		/* Parents it creates are searchable (umask is 077): /run/umbral serves operators too. */
		if (mkdir(tmp, 0755) == 0)
			chmod(tmp, 0755);
		else if (errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) < 0 && errno != EEXIST)
		return -errno;
	return chmod(tmp, mode) < 0 ? -errno : 0;
}

static bool
link_matters(enum domain d, const char *ifname)
{
	static const char *const names[DOMAIN_COUNT][3] = {
		[DOMAIN_RED] = {IF_LAN, IF_TO_CRYPTO, IF_TO_BLACK},
		[DOMAIN_CRYPTO] = {IF_WG, IF_TO_RED, IF_TO_BLACK},
		[DOMAIN_BLACK] = {IF_WAN, IF_TO_CRYPTO, IF_TO_RED},
	};

	for (int i = 0; i < 3; i++)
		if (strcmp(names[d][i], ifname) == 0)
			return true;
	return false;
}

static void
link_event(void *ctx, const char *ifname, bool exists)
{
	struct daemon *d = ctx;

	if (ifname && !link_matters(d->domain, ifname))
		return;
	log_debug("link %s %s", ifname ? ifname : "(events lost)", exists ? "changed" : "gone");
	/* A WAN that moved leaves NAT bindings to an old address: forget them now, so that
	 * WireGuard roams at once (the next packet is masqueraded with the new address). */
	if (d->domain == DOMAIN_BLACK && ifname && strcmp(ifname, IF_WAN) == 0) {
		int ret = conntrack_flush();
		if (ret < 0)
			log_warnx("link %s: cannot flush conntrack: %s", ifname, strerror(-ret));
	}
	daemon_reapply_soon(d);
}

static void
reload(struct daemon *d)
{
	struct policy p;
	struct errbuf eb = {0};
	int ret = store_load(d->store, &p);

	if (ret < 0) {
		log_warnx("reload: cannot read the policy: %s", strerror(-ret));
		return;
	}
	policy_free(&d->policy);
	d->policy = p;
	if (daemon_apply(d, &d->policy, &eb) < 0)
		daemon_reapply_soon(d);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	if (w->signum == SIGHUP) {
		log_info("SIGHUP: re-applying the stored policy");
		reload(w->data);
		return;
	}
	log_info("signal %d: exiting; the kernel keeps enforcing", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
parse_args(int argc, char **argv, struct daemon *d, int *check_only, int *debug, int *use_syslog)
{
	static const struct option opts[] = {
		{"domain", required_argument, NULL, 'D'}, {"node", required_argument, NULL, 'N'},
		{"state", required_argument, NULL, 's'},  {"run", required_argument, NULL, 'r'},
		{"syslog", no_argument, NULL, 'S'},	  {"help", no_argument, NULL, 'h'},
		{"unlock-file", required_argument, NULL, 'u'},
		{NULL, 0, NULL, 0}};
	bool have_domain = false;
	int c;

	while ((c = getopt_long(argc, argv, "ndh", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (domain_parse(optarg, &d->domain) < 0) {
				fprintf(stderr, "umbrald: --domain %s: must be red, crypto or black\n",
					optarg);
				exit(2);
			}
			have_domain = true;
			break;
		case 'N':
			snprintf(d->node, sizeof(d->node), "%s", optarg);
			break;
		case 's':
			snprintf(d->state_dir, sizeof(d->state_dir), "%s", optarg);
			break;
		case 'r':
			snprintf(d->run_dir, sizeof(d->run_dir), "%s", optarg);
			break;
		case 'u':
			snprintf(d->unlock_file, sizeof(d->unlock_file), "%s", optarg);
			break;
		case 'n':
			*check_only = 1;
			break;
		case 'd':
			*debug = 1;
			break;
		case 'S':
			*use_syslog = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (!have_domain || !d->node[0] || optind != argc) {
		usage(stderr);
		exit(2);
	}
	if (!d->state_dir[0])
		snprintf(d->state_dir, sizeof(d->state_dir), "/var/lib/umbral/%s/%s", d->node,
			 domain_name(d->domain));
	if (!d->run_dir[0])
		snprintf(d->run_dir, sizeof(d->run_dir), "/run/umbral/%s", d->node);
}

static void
open_store(struct daemon *d)
{
	char path[PATH_MAX + 16];
	int ret;

	if ((ret = mkdir_p(d->state_dir, 0700)) < 0)
		fatalx("state directory %s: %s", d->state_dir, strerror(-ret));
	snprintf(path, sizeof(path), "%s/policy.db", d->state_dir);
	if ((ret = store_open(path, &d->store)) < 0)
		fatalx("policy database %s: %s", path, strerror(-ret));
	if ((ret = store_load(d->store, &d->policy)) < 0)
		fatalx("policy database %s: cannot load: %s", path, strerror(-ret));
}

static void
start_serving(struct daemon *d)
{
	char sock[PATH_MAX + 16];
	struct errbuf eb = {0};
	int ret;

	if ((ret = mkdir_p(d->run_dir, 0755)) < 0)
		fatalx("run directory %s: %s", d->run_dir, strerror(-ret));
	if (d->domain == DOMAIN_CRYPTO && (ret = crypto_init(d)) < 0)
		fatalx("crypto: %s", strerror(-ret));
	if (daemon_apply(d, &d->policy, &eb) < 0)
		daemon_reapply_soon(d); /* links may not be there yet: the watcher retries */
	guardwatch_start(d);
	if ((ret = linkwatch_open(d->loop, link_event, d, &d->links)) < 0)
		fatalx("link events: %s", strerror(-ret));
	snprintf(sock, sizeof(sock), "%s/%s.sock", d->run_dir, domain_name(d->domain));
	admin_init(d);
	admin_refused_init(d);
	admin_rotate_init(d);
	if ((ret = ctl_listen(d->loop, sock, daemon_handle, d, &d->ctl)) < 0)
		fatalx("control socket %s: %s", sock, strerror(-ret));
	ctl_set_refused(d->ctl, admin_refused);
	log_info("%s domain of node %s, revision %lld, control socket %s", domain_name(d->domain),
		 d->node, (long long)d->policy.revision, sock);
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	int check_only = 0, debug = 0, use_syslog = 0;
	ev_signal sigs[4];
	const int signums[4] = {SIGTERM, SIGINT, SIGHUP, 0};

	parse_args(argc, argv, &d, &check_only, &debug, &use_syslog);
	log_init("umbrald", debug, use_syslog);
	if (sodium_init() < 0)
		fatalx("libsodium cannot initialise");
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	open_store(&d);
	if (check_only) {
		struct errbuf eb = {0};
		int bad = policy_validate(&d.policy, &eb) < 0;
		printf("%s", bad ? eb.text : "policy valid\n");
		return bad;
	}
	d.loop = EV_DEFAULT;
	d.started = time(NULL);
	for (int i = 0; signums[i]; i++) {
		ev_signal_init(&sigs[i], signal_cb, signums[i]);
		sigs[i].data = &d;
		ev_signal_start(d.loop, &sigs[i]);
	}
	start_serving(&d);
	ev_run(d.loop, 0);
	guardwatch_stop(&d);
	ctl_close(d.ctl);
	linkwatch_close(d.links);
	if (d.domain == DOMAIN_CRYPTO)
		crypto_fini(&d);
	if (d.domain == DOMAIN_RED)
		red_fini(&d);
	policy_free(&d.policy);
	store_close(d.store);
	return 0;
}
