// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/umbrald.c — umbrald: the control plane of one domain (red, crypto or
 * black). It applies the stored policy to the kernel, answers the
 * administrator on its control socket and puts things back when links change.
 * No packet passes through it: if it dies, the kernel keeps enforcing.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/daemon.h"
#include "core/linkwatch.h"
#include "core/log.h"
#include "core/priv.h"
#include "core/sandbox.h"
#include "policy/ct.h"
#include "policy/route.h"
#include "policy/rps.h"
#include "storage/store.h"
#include "wg/wg.h"

/* What the command line asks for besides the daemon's own settings. */
struct opts {
	int check_only, debug, use_syslog, check_sandbox;
	const char *user;
};

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: umbrald --domain red|crypto|black --node NAME [--state DIR] [--run DIR]\n"
		"               [--unlock-file PATH] [--user NAME] [-n] [-d] [--syslog]\n"
		"       umbrald --check-sandbox --domain red|crypto|black [--user NAME]\n"
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
		"  --user NAME  started as root, run as NAME (default " PRIV_USER_DEFAULT ") once\n"
		"               started, with only the domain's network capabilities and a\n"
		"               seccomp filter of the system calls it makes\n"
		"  --check-sandbox  drop privileges as the domain does, then make a system\n"
		"               call its filter forbids: the process must die by SIGSYS,\n"
		"               with a line in the log (a self-test; exit 1 if it lives)\n"
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
		int ret = ct_flush();
		if (ret < 0)
			log_warnx("link %s: cannot flush conntrack: %s", ifname, strerror(-ret));
	}
	route_forget(); /* a link that went down took its routes with it */
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
	if (daemon_apply_fresh(d, &eb) < 0)
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
parse_args(int argc, char **argv, struct daemon *d, struct opts *o)
{
	static const struct option opts[] = {
		{"domain", required_argument, NULL, 'D'}, {"node", required_argument, NULL, 'N'},
		{"state", required_argument, NULL, 's'},  {"run", required_argument, NULL, 'r'},
		{"syslog", no_argument, NULL, 'S'},	  {"help", no_argument, NULL, 'h'},
		{"unlock-file", required_argument, NULL, 'u'},
		{"user", required_argument, NULL, 'U'},
		{"check-sandbox", no_argument, NULL, 'C'},
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
		case 'U':
			o->user = optarg;
			break;
		case 'C':
			o->check_sandbox = 1;
			break;
		case 'n':
			o->check_only = 1;
			break;
		case 'd':
			o->debug = 1;
			break;
		case 'S':
			o->use_syslog = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (!have_domain || (!d->node[0] && !o->check_sandbox) || optind != argc) {
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
make_state_dir(struct daemon *d)
{
	int ret = mkdir_p(d->state_dir, 0700);

	if (ret < 0)
		fatalx("state directory %s: %s", d->state_dir, strerror(-ret));
}

/*
 * After the drop: the state directory is the daemon's own, so a daemon that
 * was taken over could have left a link there (policy.db-journal -> a file of
 * root's) for root's SQLite to write through at the next start.
 */
static void
open_store(struct daemon *d)
{
	char path[PATH_MAX + 16];
	int ret;

	snprintf(path, sizeof(path), "%s/policy.db", d->state_dir);
	if ((ret = store_open(path, &d->store)) < 0)
		fatalx("policy database %s: %s", path, strerror(-ret));
	if ((ret = store_load(d->store, &d->policy)) < 0)
		fatalx("policy database %s: cannot load: %s", path, strerror(-ret));
}

/*
 * Where the control sockets go. Started as root to become u: root's, with
 * group u and the sticky bit, so crypto (after the drop) can make and replace
 * wireguard-go's UAPI socket, pid and log there, while no daemon can remove
 * or replace a socket root made (another domain's control socket).
 */
static void
make_run_dir(struct daemon *d, const struct priv_user *u)
{
	int ret = mkdir_p(d->run_dir, u ? 01775 : 0755);

	if (ret == 0 && u && chown(d->run_dir, 0, u->gid) < 0)
		ret = -errno;
	/* wireguard-go's files from a crypto that ran as root are crypto's again. */
	if (ret == 0 && u && d->domain == DOMAIN_CRYPTO)
		ret = priv_give_entries(d->run_dir, "crypto-", u);
	if (ret < 0)
		fatalx("run directory %s: %s", d->run_dir, strerror(-ret));
}

/*
 * What needs root: the control socket in root's run directory, and the
 * unlock file (root's, on separate media). Nothing is served before ev_run.
 */
static void
start_listening(struct daemon *d, const struct priv_user *u)
{
	int ret;

	make_run_dir(d, u);
	if (d->domain == DOMAIN_CRYPTO && d->unlock_file[0])
		crypto_boot_secret_read(d); /* logged; crypto stays locked */
	snprintf(d->ctl_path, sizeof(d->ctl_path), "%s/%s.sock", d->run_dir,
		 domain_name(d->domain));
	if ((ret = ctl_listen(d->loop, d->ctl_path, daemon_handle, d, &d->ctl)) < 0)
		fatalx("control socket %s: %s", d->ctl_path, strerror(-ret));
	ctl_set_refused(d->ctl, admin_refused);
}

/* After the drop, with the store open: the domain's state before any request. */
static void
start_serving(struct daemon *d)
{
	int ret;

	if (d->domain == DOMAIN_CRYPTO && (ret = crypto_init(d)) < 0)
		fatalx("crypto: %s", strerror(-ret));
	if (d->domain == DOMAIN_RED)
		red_init(d);
	admin_init(d);
	admin_refused_init(d);
	admin_rotate_init(d);
	log_info("%s domain of node %s, revision %lld, control socket %s", domain_name(d->domain),
		 d->node, (long long)d->policy.revision, d->ctl_path);
}

/* The first apply and the link watch: CAP_NET_ADMIN is enough for both. */
static void
start_applying(struct daemon *d)
{
	struct errbuf eb = {0};
	int ret;

	/* Watching before the first apply: a link that changes after it is not missed. */
	if ((ret = linkwatch_open(d->loop, link_event, d, &d->links)) < 0)
		fatalx("link events: %s", strerror(-ret));
	if (daemon_apply(d, &d->policy, &eb) < 0)
		daemon_reapply_soon(d); /* links may not be there yet: the watcher retries */
	guardwatch_start(d);
	daemon_check_start(d);
}

/* Root, before anything is opened: the user to become; crypto forks wireguard-go's launcher. */
static void
prepare_drop(struct daemon *d, const char *user, struct priv_user *u)
{
	int ret = priv_user_lookup(user, u);

	if (ret < 0)
		fatalx("user %s: %s (make deps creates it)", user,
		       ret == -ENOENT ? "no such user" : strerror(-ret));
	if (d->domain == DOMAIN_CRYPTO && (ret = wg_go_launcher_start(u)) < 0)
		fatalx("wireguard-go launcher: %s", strerror(-ret));
}

/*
 * Root's last acts: receive steering on the domain's links (sysfs is root's
 * to write, CAP_NET_ADMIN is not enough), the state directory becomes u's,
 * then u with the domain's capabilities. Links made later (crypto's wg0)
 * take the netns's default mask set there. Throughput only: nothing to enforce.
 */
static void
drop_now(struct daemon *d, const struct priv_user *u)
{
	uint64_t caps = priv_domain_caps(d->domain);
	char names[96];
	int ret;

	if ((ret = rps_apply()) < 0)
		log_warnx("receive steering: %s (throughput only; the policy stands)",
			  strerror(-ret));
	if ((ret = priv_give_tree(d->state_dir, u)) < 0)
		fatalx("state directory %s: cannot give it to %s: %s", d->state_dir, u->name,
		       strerror(-ret));
	if ((ret = priv_drop(u, caps, 0)) < 0)
		fatalx("cannot drop root for %s: %s", u->name, strerror(-ret));
	if ((ret = sandbox_install(d->domain)) < 0)
		fatalx("seccomp filter: %s", strerror(-ret));
	log_info("running as %s (uid %u) with %s, no_new_privs, seccomp allow-list", u->name,
		 (unsigned)u->uid, priv_caps_format(caps, names, sizeof(names)));
}

/* --check-sandbox: the drop and the filter of domain dom, then a call the filter forbids. */
static int
check_sandbox(enum domain dom, const char *user)
{
	char *const none[] = {NULL};
	struct priv_user u;
	char names[96];
	int ret;

	if (geteuid() != 0)
		fatalx("--check-sandbox: start it as root, as umbrald is started");
	if ((ret = priv_user_lookup(user, &u)) < 0)
		fatalx("user %s: %s", user, strerror(-ret));
	if ((ret = priv_drop(&u, priv_domain_caps(dom), 0)) < 0 ||
	    (ret = sandbox_install(dom)) < 0)
		fatalx("check-sandbox: cannot drop privileges: %s", strerror(-ret));
	log_info("check-sandbox: %s domain as %s (uid %u) with %s, no_new_privs, seccomp; "
		 "now execve, which the filter forbids",
		 domain_name(dom), u.name, (unsigned)u.uid,
		 priv_caps_format(priv_domain_caps(dom), names, sizeof(names)));
	execve("/nonexistent/umbrald-check-sandbox", none, none);
	log_warnx("check-sandbox: FAILED: execve was not stopped (%s)", strerror(errno));
	return 1;
}

/*
 * Big buffers (an nftables batch, a revision's rows) go back to the kernel
 * when freed. Otherwise glibc raises its mmap threshold to the largest block
 * freed so far and keeps the next ones on the heap, resident after use:
 * about 2 MB more peak RSS per domain after a few applies at 250 sites.
 */
static void
malloc_tune(void)
{
	if (mallopt(M_MMAP_THRESHOLD, 128 * 1024) != 1 ||
	    mallopt(M_TRIM_THRESHOLD, 128 * 1024) != 1)
		log_warnx("%s: mallopt failed; peak memory may be higher", __func__);
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	struct opts o = {.user = PRIV_USER_DEFAULT};
	struct priv_user user;
	bool drop;
	ev_signal sigs[4];
	const int signums[4] = {SIGTERM, SIGINT, SIGHUP, 0};

	parse_args(argc, argv, &d, &o);
	log_init("umbrald", o.debug, o.use_syslog);
	malloc_tune();
	if (o.check_sandbox)
		return check_sandbox(d.domain, o.user);
	if (sodium_init() < 0)
		fatalx("libsodium cannot initialise");
	signal(SIGPIPE, SIG_IGN);
	umask(077);
	drop = !o.check_only && geteuid() == 0;
	make_state_dir(&d); /* before the drop: its parent may be root's */
	if (o.check_only) {
		struct errbuf eb = {0};
		int bad;
		open_store(&d);
		bad = policy_validate(&d.policy, &eb) < 0;
		printf("%s", bad ? eb.text : "policy valid\n");
		return bad;
	}
	if (drop)
		prepare_drop(&d, o.user, &user);
	d.loop = EV_DEFAULT;
	d.started = time(NULL);
	for (int i = 0; signums[i]; i++) {
		ev_signal_init(&sigs[i], signal_cb, signums[i]);
		sigs[i].data = &d;
		ev_signal_start(d.loop, &sigs[i]);
	}
	start_listening(&d, drop ? &user : NULL);
	if (drop)
		drop_now(&d, &user);
	open_store(&d);
	start_serving(&d);
	start_applying(&d);
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
