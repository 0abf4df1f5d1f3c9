// SPDX-License-Identifier: GPL-2.0-only
/*
 * cli/umbral.c — umbral, the administrator's command line. It talks only to
 * the node's local control sockets, one per domain; changes go to all three
 * domains as one revision, in a fail-closed order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/adm.h"
#include "cli/node.h"
#include "cli/script.h"
#include "cli/shell.h"
#include "cli/roster_cli.h"
#include "cli/secret.h"
#include "core/ctlmsg.h"

struct command {
	const char *name; /* "site add" */
	const char *synopsis;
	const char *help;
	int (*run)(struct node_ctx *n, const struct command *c, int argc, char **argv);
};

static const char *comment = "";

static int
run_status(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	char *req[] = {"status", n->json ? "--json" : NULL};
	bool first = true, ok = true;
	long long revs[DOMAIN_COUNT];

	(void)c;
	(void)argv;
	if (argc != 1)
		return EXIT_USAGE;
	if (n->json)
		printf("{\"node\":\"%s\",\"domains\":{", n->node);
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		struct buf r;
		int st;
		buf_init(&r);
		st = node_ask(n, (enum domain)d, n->json ? 2 : 1, req, &r);
		if (st == CTL_DENIED) { /* the same for every domain: say it once */
			fputs(buf_str(&r), stderr);
			buf_free(&r);
			return EXIT_DENIED;
		}
		ok &= st == CTL_OK;
		revs[d] = -1;
		if (n->json) {
			printf("%s\"%s\":", first ? "" : ",", domain_name((enum domain)d));
			if (st == CTL_OK) {
				const char *p = strstr(buf_str(&r), "\"revision\":");
				revs[d] = p ? strtoll(p + 11, NULL, 10) : -1;
				printf("%.*s", (int)strcspn(buf_str(&r), "\n"), buf_str(&r));
			} else {
				printf("{\"domain\":\"%s\",\"state\":\"unreachable\",\"error\":\"%s\"}",
				       domain_name((enum domain)d), st < 0 ? strerror(-st) : "failed");
			}
		} else if (st == CTL_OK) {
			fputs(buf_str(&r), stdout);
		} else {
			printf("%-6s UNREACHABLE: %s\n", domain_name((enum domain)d),
			       st < 0 ? strerror(-st) : buf_str(&r));
		}
		first = false;
		buf_free(&r);
	}
	if (n->json) {
		bool same = ok && revs[0] == revs[1] && revs[1] == revs[2];
		printf("},\"revision\":%lld,\"consistent\":%s}\n", same ? revs[0] : -1LL,
		       same ? "true" : "false");
	}
	return ok ? EXIT_OK : EXIT_FAIL;
}

/* Commands answered by one domain, passed through as they are. */
static int
ask_one(struct node_ctx *n, enum domain d, int argc, char **argv)
{
	char *req[CTL_ARGC_MAX];
	struct buf r;
	int st;

	if (argc + 1 > CTL_ARGC_MAX)
		return EXIT_USAGE;
	memcpy(req, argv, (size_t)argc * sizeof(*req));
	if (n->json)
		req[argc++] = "--json";
	buf_init(&r);
	st = node_ask(n, d, argc, req, &r);
	if (st < 0) {
		fprintf(stderr, "umbral: %s domain of node %s is not answering: %s\n",
			domain_name(d), n->node, strerror(-st));
		buf_free(&r);
		return EXIT_FAIL;
	}
	fputs(buf_str(&r), st == CTL_OK ? stdout : stderr);
	buf_free(&r);
	return node_exit_code(st);
}

static int
run_add(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return node_change(n, argc, argv, false, comment);
}

static int
run_remove(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	if (argc != 3)
		return EXIT_USAGE;
	return node_change(n, argc, argv, true, comment);
}

static int
run_node_set(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return node_change(n, argc, argv, false, comment);
}

/*
 * "mode large" takes the direct path away: black first, as for a removal;
 * "mode small" gives it, crypto and red first, black last.
 */
static int
run_mode(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	char *words[] = {"node", "set", "--mode", argc == 2 ? argv[1] : ""};

	(void)c;
	if (argc != 2 || (strcmp(argv[1], "small") && strcmp(argv[1], "large")))
		return EXIT_USAGE;
	return node_change(n, 4, words, strcmp(argv[1], "large") == 0, comment);
}

/* "site list", "split list": two words, answered by red. */
static int
run_list(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	if (argc != 2)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_RED, argc, argv);
}

static int
run_explain(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	if (argc < 3 || argc > 5)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_RED, argc, argv);
}

/* "dhcp static add|del ...", "lan route add|del ...": a removal goes black first. */
static int
run_add_del(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	if (argc < 4 || (strcmp(argv[2], "add") && strcmp(argv[2], "del")))
		return EXIT_USAGE;
	return node_change(n, argc, argv, strcmp(argv[2], "del") == 0, comment);
}

static int
run_dhcp_show(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	if (argc != 2)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_RED, argc, argv);
}

static int
run_crypto(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	n->json = false; /* key output is the key itself */
	if (argc != 2)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_CRYPTO, argc, argv);
}

/* unlock, key generate, key rotate: the words, then the unlock secret. */
static int
run_secret(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	const char *file = NULL;
	char *req[6];
	struct secret_arg a;
	int nreq = 0, rc;
	bool generate = strcmp(c->name, "key generate") == 0;

	n->json = false;
	req[nreq++] = argv[0];
	if (argc > 1 && strcmp(argv[0], "key") == 0)
		req[nreq++] = argv[1];
	for (int i = nreq; i < argc; i++) {
		if (strcmp(argv[i], "--unlock-file") == 0 && i + 1 < argc)
			file = argv[++i];
		else if (generate && strcmp(argv[i], "--force") == 0)
			req[nreq++] = "--force";
		else
			return EXIT_USAGE;
	}
	if (secret_arg_get(&a, file, n->node, generate) < 0) {
		secret_arg_free(&a);
		return EXIT_USAGE;
	}
	req[nreq++] = a.words[0];
	req[nreq++] = a.words[1];
	rc = ask_one(n, DOMAIN_CRYPTO, nreq, req);
	secret_arg_free(&a);
	return rc;
}

/* Authority-side roster commands: local files only, no node. */
static int
run_roster_local(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)n;
	return strcmp(c->name, "roster keygen") == 0 ? roster_cli_keygen(argc, argv)
						     : roster_cli_sign(argc, argv);
}

static int
run_roster(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	n->json = false;
	if (strcmp(c->name, "roster trust") == 0)
		return roster_cli_trust(n, argc, argv);
	if (strcmp(c->name, "roster import") == 0)
		return roster_cli_import(n, argc, argv, comment);
	if (argc != 2)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_CRYPTO, argc, argv);
}

static int
run_show_config(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	n->json = false;
	if (argc != 2)
		return EXIT_USAGE;
	return ask_one(n, DOMAIN_RED, argc, argv);
}

static int
run_reload(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	int worst = EXIT_OK;

	(void)c;
	if (argc != 1)
		return EXIT_USAGE;
	n->json = false;
	for (int d = 0; d < DOMAIN_COUNT; d++) {
		int rc = ask_one(n, (enum domain)d, argc, argv);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

static int
run_red(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return ask_one(n, DOMAIN_RED, argc, argv);
}

static int
run_log(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return adm_log(n, argc, argv);
}

static int
run_audit_verify(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	n->json = false;
	return adm_audit_verify(n, argc, argv);
}

static int
run_audit_rotate(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	n->json = false;
	return adm_audit_rotate(n, argc, argv);
}

static int
run_rollback(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return adm_rollback(n, argc, argv, comment);
}

static int
run_confirm(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return adm_confirm(n, argc, argv);
}

static int
run_repair(struct node_ctx *n, const struct command *c, int argc, char **argv)
{
	(void)c;
	return adm_repair(n, argc, argv);
}

static const struct command commands[] = {
	{"status", "status [--json]",
	 "Shows each domain (red, crypto, black): its policy revision, whether the\n"
	 "policy is applied, in crypto the WireGuard device and every peer with its\n"
	 "endpoint, last handshake and byte counters, and in red the DHCP server and\n"
	 "whether red follows its flows from conntrack events (\"conntrack: N flows\n"
	 "tracked\"; otherwise why, and each change reads the whole conntrack table).\n"
	 "Exits 1 if a domain does not answer.\n",
	 run_status},
	{"site add", "site add NAME --key PUBKEY [--endpoint HOST:PORT] [--keepalive SECONDS]\n"
		     "         --prefix CIDR [CIDR...]",
	 "Adds a remote site: its WireGuard public key, where to reach it (leave out\n"
	 "--endpoint for a roaming site that calls in), and the secure prefixes behind it.\n"
	 "Applied as one revision to crypto, then red, then black. A bad value is named\n"
	 "and nothing changes (exit 2).\n",
	 run_add},
	{"site del", "site del NAME",
	 "Removes a site: black first, then red, then crypto, so its prefixes stop being\n"
	 "routed before its tunnel goes.\n",
	 run_remove},
	{"site list", "site list [--json]", "Lists the sites of the current revision.\n",
	 run_list},
	{"node set", "node set [--mode small|large] [--default direct|drop] [--listen-port PORT]\n"
		     "         [--mtu MTU] [--prefix CIDR...]",
	 "Sets this node's own settings. --prefix gives this site's own secure prefixes\n"
	 "(replacing the list); traffic for them comes back from the tunnel to red.\n"
	 "--default says what happens to LAN traffic for a destination that is not\n"
	 "secure and matches no split rule: direct (out through black, NATed; small\n"
	 "node only) or drop (the default: nothing leaves unless the policy says so).\n",
	 run_node_set},
	{"mode", "mode small|large",
	 "Switches the node between small (the LAN's router: DHCP, direct traffic\n"
	 "NATed by black) and large (behind the site's router: only secure traffic,\n"
	 "the rest answered with ICMP administratively prohibited; no DHCP, no NAT), as\n"
	 "one revision, without a restart. The same as node set --mode.\n",
	 run_mode},
	{"split add", "split add PRIORITY --action tunnel|direct|drop [--site SITE]\n"
		      "          [--dst CIDR] [--src CIDR] [--proto tcp|udp|icmp] [--port PORT]",
	 "Adds a split-tunnel rule. Traffic from the LAN that matches every given field\n"
	 "takes the action; rules are tried by ascending PRIORITY (which also names the\n"
	 "rule) and the first match decides. tunnel sends it to SITE (--dst needed: it\n"
	 "joins that site's WireGuard allowed-ips, e.g. 0.0.0.0/0 to a hub that is the\n"
	 "network's internet exit); direct sends it out through black; drop drops it.\n"
	 "A secure destination (any site's prefix) never goes direct: a direct rule is\n"
	 "skipped for it. Example:\n"
	 "  umbral -N s1 split add 10 --action direct --dst 203.0.113.0/24 --proto tcp --port 80\n",
	 run_add},
	{"split del", "split del PRIORITY", "Removes the split-tunnel rule PRIORITY.\n",
	 run_remove},
	{"split list", "split list [--json]",
	 "Lists the split-tunnel rules in the order they are tried, and the default.\n",
	 run_list},
	{"explain", "explain SRC DST [tcp|udp|icmp [PORT]] [--json]",
	 "Says which path a packet from the LAN takes: local, tunnel to a site, direct,\n"
	 "or drop, and which rule decided, computed from the policy red enforces.\n",
	 run_explain},
	{"dhcp set", "dhcp set [--server on|off] [--pool START-END|auto] [--router IP|auto|none]\n"
		     "         [--dns IP[,IP...]|none] [--domain NAME|none] [--lease-time SECONDS]\n"
		     "         [--mtu MTU|0]",
	 "Sets red's DHCPv4 server (small node only; a large node never serves DHCP).\n"
	 "Unset, it serves with defaults taken from red's address on the LAN: the pool\n"
	 "from .100 of the LAN to its end, red itself as the router, one hour leases, no\n"
	 "DNS or domain option, no MTU option. Example:\n"
	 "  umbral -N s1 dhcp set --pool 10.1.1.100-10.1.1.199 --dns 10.1.1.53 --domain lan\n",
	 run_add},
	{"dhcp static", "dhcp static add MAC IP [NAME] | dhcp static del MAC",
	 "Gives the LAN host with this MAC always the same address (and NAME as its host\n"
	 "name if it asks); del takes the static lease away.\n",
	 run_add_del},
	{"dhcp leases", "dhcp leases [--json]",
	 "Lists the DHCP leases red holds: address, MAC, state (bound, released,\n"
	 "declined, offered), seconds left, and the host name the client gave. Leases\n"
	 "are kept in red's database and survive a restart of umbrald.\n",
	 run_dhcp_show},
	{"dhcp stats", "dhcp stats [--json]",
	 "Shows the DHCP server's state and counters: messages by type, malformed\n"
	 "packets dropped (by reason), DISCOVERs left unanswered because the pool was\n"
	 "exhausted, and addresses found in use by the probe before an offer.\n",
	 run_dhcp_show},
	{"lan route", "lan route add PREFIX via GATEWAY | lan route del PREFIX",
	 "Large node: PREFIX lies behind the site's own router GATEWAY on the LAN. It\n"
	 "becomes a secure prefix of this site (unless one holds it already), and red\n"
	 "routes it, from the tunnel as from the LAN, via GATEWAY.\n",
	 run_add_del},
	{"unlock", "unlock [--unlock-file PATH]",
	 "Opens crypto's sealed private key. Until then crypto forwards nothing and\n"
	 "status says locked. The unlock secret is typed at the terminal (no echo) or\n"
	 "is the content of a key file on separate media (--unlock-file: umbral reads\n"
	 "it and hands crypto its bytes). A wrong secret is refused (exit 3) and\n"
	 "nothing changes. umbrald --unlock-file PATH does the same when crypto starts.\n",
	 run_secret},
	{"key generate", "key generate [--unlock-file PATH] [--force]",
	 "Creates this node's WireGuard identity inside the crypto domain, sealed at\n"
	 "rest under the unlock secret (asked twice at the terminal, or --unlock-file),\n"
	 "and prints the public key. The private key never leaves crypto. With a key\n"
	 "already there, --force is key rotate.\n",
	 run_secret},
	{"key rotate", "key rotate [--unlock-file PATH]",
	 "Replaces this node's identity with a new key, sealed under the same unlock\n"
	 "secret (which must open the current one), wipes the old key and prints the\n"
	 "new public key. Every other site must then be given it.\n",
	 run_secret},
	{"key public", "key public", "Prints this node's WireGuard public key.\n", run_crypto},
	{"roster keygen", "roster keygen --secret-out FILE",
	 "Network authority, offline: makes an Ed25519 authority key pair, writes the\n"
	 "secret key to FILE (mode 0600; never overwritten) and prints the public key,\n"
	 "which every node pins with roster trust. Needs no node.\n",
	 run_roster_local},
	{"roster sign", "roster sign --key SECRET_FILE ROSTER",
	 "Network authority, offline: prints ROSTER (an unsigned roster, see\n"
	 "docs/roster.md) with its signature line appended. Needs no node.\n",
	 run_roster_local},
	{"roster trust", "roster trust PUBKEY",
	 "Pins the network authority's public key in all three domains; only rosters\n"
	 "it signed are imported.\n",
	 run_roster},
	{"roster import", "roster import FILE",
	 "Imports a signed roster: the signature is checked against the pinned\n"
	 "authority, the serial must be greater than the current one (no rollback),\n"
	 "this node's own entry gives its prefixes and every other node becomes a\n"
	 "site. Prints what changes, then applies it as one revision (crypto, red,\n"
	 "black); unchanged peers are not touched. Refused rosters change nothing\n"
	 "(exit 2).\n",
	 run_roster},
	{"roster status", "roster status",
	 "Shows the pinned authority, and the network and serial of the last roster.\n",
	 run_roster},
	{"show config", "show config",
	 "Prints the current policy as the commands that re-create it.\n", run_show_config},
	{"reload", "reload", "Re-applies the stored policy in every domain (idempotent).\n",
	 run_reload},
	{"show revisions", "show revisions [--json]",
	 "Lists the stored revisions, newest first: number, time, author, comment.\n",
	 run_red},
	{"diff", "diff N [M]",
	 "Shows what differs from revision N to revision M (default: the current one),\n"
	 "as the commands of 'show config': '- ' only in N, '+ ' only in M. Revision 0 is\n"
	 "the empty policy.\n",
	 run_red},
	{"rollback", "rollback N",
	 "Makes revision N's content the next revision, in every domain, in a\n"
	 "fail-closed order (the removal order when it only removes). History is kept:\n"
	 "nothing is deleted. With --confirm it goes back by itself unless confirmed.\n",
	 run_rollback},
	{"confirm", "confirm",
	 "Keeps the revision that a change made with --confirm MINUTES applied. Without\n"
	 "it, each domain goes back to the previous revision's content by itself when\n"
	 "the time is up (last domain changed first), and records that in its audit log.\n",
	 run_confirm},
	{"log", "log [--since TIME] [--json]",
	 "Shows the audit log: every change, rollback, confirmation and refused attempt,\n"
	 "with who (uid, user, role), when, the command, the revision and the outcome.\n"
	 "Each domain records what it saw; the three logs are merged by time. TIME is\n"
	 "'2026-11-23 12:00', '@EPOCH', or an age: 90s, 10m, 2h, 1d. Records moved out\n"
	 "by a rotation are not shown; a line at the top says which and where they are.\n"
	 "Callers refused at the socket are recorded 10 at once, then one a minute per\n"
	 "user; a summary record counts the refusals in between.\n",
	 run_log},
	{"audit verify", "audit verify",
	 "Checks each domain's hash-chained audit log: a changed, removed or reordered\n"
	 "record is found and the first bad one named. Archives from audit rotate that\n"
	 "are still on the box are checked too, and must link to the live log. Exits 1\n"
	 "if any chain is broken.\n",
	 run_audit_verify},
	{"audit rotate", "audit rotate [--keep N]",
	 "Moves each domain's audit records, all but the newest N (default 0), out of\n"
	 "its live log into an archive file in its state directory\n"
	 "(audit-FIRST-LAST-TIME.db, mode 0600), keeping the hash chain: the live log\n"
	 "goes on from the archive's last record, and audit verify checks both. Each\n"
	 "domain records the rotation (kind log-rotation) as it happens and says what\n"
	 "moved where. A domain also rotates by itself when its live log passes\n"
	 "$UMBRAL_AUDIT_MAX records (umbrald's environment; default 10000), keeping\n"
	 "the newest half. Copy the archives off the box to keep them; umbrald never\n"
	 "deletes one. Admin only.\n",
	 run_audit_rotate},
	{"repair", "repair",
	 "When a change stopped half-way (a daemon killed, a domain unreachable) the\n"
	 "domains disagree and further changes are refused. repair gives each domain\n"
	 "that is behind the newest domain's policy as its next revision.\n",
	 run_repair},
	{"whoami", "whoami", "Says who the node thinks you are, and your role.\n", run_red},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fprintf(f, "usage: umbral -N NODE [--json] [-m COMMENT] [--confirm MINUTES] COMMAND [ARGS]\n"
		   "       umbral -N NODE -f FILE\n"
		   "       umbral -N NODE [--idle MINUTES]     (the interactive shell)\n\n"
		   "Administers an Umbral node through its local control sockets\n"
		   "(RUN_DIR/NODE/{red,crypto,black}.sock; RUN_DIR is /run/umbral, or\n"
		   "--run-dir / $UMBRAL_RUN_DIR). NODE may also come from $UMBRAL_NODE.\n\n"
		   "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].synopsis);
	fprintf(f, "\n-f FILE runs the commands in FILE ('-': standard input), one a line,\n"
		   "stopping at the first that fails; 'show config' prints such a file.\n"
		   "--confirm MINUTES (fractions allowed): a change goes back by itself unless\n"
		   "'umbral confirm' comes in time.\n"
		   "Roles: root and group umbral-admin may change; umbral-operator may read.\n"
		   "\n'umbral COMMAND --help' explains one command.\n"
		   "Exit status: 0 done, 1 failed or a domain unreachable, 2 bad input "
		   "(nothing changed), 3 permission denied.\n");
}

static void
command_help(FILE *f, const struct command *c)
{
	fprintf(f, "usage: umbral -N NODE %s\n\n%s", c->synopsis, c->help);
}

static const struct command *
find_command(int argc, char **argv)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const char *name = commands[i].name, *sp = strchr(name, ' ');
		size_t l1 = sp ? (size_t)(sp - name) : strlen(name);
		if (strlen(argv[0]) != l1 || strncmp(argv[0], name, l1) != 0)
			continue;
		if (!sp || (argc > 1 && strcmp(argv[1], sp + 1) == 0))
			return &commands[i];
	}
	return NULL;
}

static bool
wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

/* Strips a --json given after the command, so it works in either place. */
static int
take_json(struct node_ctx *n, int argc, char **argv)
{
	int out = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			n->json = true;
		else
			argv[out++] = argv[i];
	}
	return out;
}

static int
dispatch(struct node_ctx *n, int argc, char **argv)
{
	const struct command *c = find_command(argc, argv);
	int rc;

	if (!c) {
		fprintf(stderr, "umbral: '%s%s%s': unknown command\n", argv[0], argc > 1 ? " " : "",
			argc > 1 ? argv[1] : "");
		usage(stderr);
		return EXIT_USAGE;
	}
	if (wants_help(argc, argv)) {
		command_help(stdout, c);
		return EXIT_OK;
	}
	if (!n->node[0] && c->run != run_roster_local) {
		fprintf(stderr, "umbral: which node? give -N NODE (or set UMBRAL_NODE)\n");
		return EXIT_USAGE;
	}
	argc = take_json(n, argc, argv);
	rc = c->run(n, c, argc, argv);
	if (rc == EXIT_USAGE && c->run != run_add && c->run != run_node_set &&
	    c->run != run_crypto && c->run != run_rollback && c->run != run_red &&
	    c->run != run_add_del && c->run != run_secret && c->run != run_roster_local &&
	    c->run != run_roster)
		command_help(stderr, c);
	return rc;
}

/* One line of a script: a --json on it stays on it. */
static int
script_line(void *ctx, int argc, char **argv)
{
	struct node_ctx *n = ctx;
	bool json = n->json;
	int rc = dispatch(n, argc, argv);

	n->json = json;
	return rc;
}

static void
help_all(void)
{
	usage(stdout);
	printf("\nIn the shell, changes (site add/del, split add/del, node set) are staged:\n"
	       "  show changes   what is staged\n"
	       "  commit [-m TEXT] [confirm MINUTES]\n"
	       "                 applies them to the three domains as one revision\n"
	       "  discard        drops them; exit or quit leaves (staged changes are lost)\n");
}

static int
run_shell(struct node_ctx *n, double idle_min)
{
	static const char *names[NCOMMANDS];
	struct shell_cfg cfg = {.commands = names, .ncommands = NCOMMANDS, .run = script_line,
				.help = help_all, .ctx = n, .idle_s = (unsigned)(idle_min * 60)};

	for (size_t i = 0; i < NCOMMANDS; i++)
		names[i] = commands[i].name;
	return shell_run(n, &cfg);
}

static int
parse_minutes(const char *s, double scale, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v * scale > 7 * 86400) {
		fprintf(stderr, "umbral: --confirm '%s': give a positive number of %s (at most a "
				"week)\n", s, scale == 60 ? "minutes" : "seconds");
		return -1;
	}
	*out = v * scale;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"node", required_argument, NULL, 'N'},
					     {"run-dir", required_argument, NULL, 'r'},
					     {"json", no_argument, NULL, 'j'},
					     {"comment", required_argument, NULL, 'm'},
					     {"confirm", required_argument, NULL, 'c'},
					     {"confirm-seconds", required_argument, NULL, 'C'},
					     {"file", required_argument, NULL, 'f'},
					     {"idle", required_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	struct node_ctx n = {0};
	const char *env, *script = NULL;
	double idle_min = 15;
	int c;

	if ((env = getenv("UMBRAL_NODE")))
		snprintf(n.node, sizeof(n.node), "%s", env);
	env = getenv("UMBRAL_RUN_DIR");
	snprintf(n.run_dir, sizeof(n.run_dir), "%s", env ? env : "/run/umbral");
	while ((c = getopt_long(argc, argv, "+N:m:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			snprintf(n.node, sizeof(n.node), "%s", optarg);
			break;
		case 'r':
			snprintf(n.run_dir, sizeof(n.run_dir), "%s", optarg);
			break;
		case 'j':
			n.json = true;
			break;
		case 'm':
			comment = optarg;
			break;
		case 'c':
		case 'C':
			if (parse_minutes(optarg, c == 'c' ? 60 : 1, &n.confirm_s) < 0)
				return EXIT_USAGE;
			break;
		case 'f':
			script = optarg;
			break;
		case 'i':
			idle_min = strtod(optarg, NULL);
			if (!(idle_min >= 0)) {
				fprintf(stderr, "umbral: --idle '%s': give minutes (0: never)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (script && optind < argc) {
		fprintf(stderr, "umbral: -f FILE takes no command on the line\n");
		return EXIT_USAGE;
	}
	if (script)
		return script_run(script, script_line, &n);
	if (optind >= argc && n.node[0])
		return run_shell(&n, idle_min);
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[optind], "help") == 0) {
		const struct command *cmd = optind + 1 < argc ?
			find_command(argc - optind - 1, argv + optind + 1) : NULL;
		if (cmd)
			command_help(stdout, cmd);
		else
			usage(stdout);
		return EXIT_OK;
	}
	return dispatch(&n, argc - optind, argv + optind);
}
