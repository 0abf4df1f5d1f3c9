// SPDX-License-Identifier: GPL-2.0-only
/*
 * core/cmd_roster.c — the signed roster on a node: which network authority
 * it trusts (pinned public key), and importing a roster as one revision.
 * The pin, the network name and the accepted serial are per-domain state
 * (store meta), not policy: a revision never carries them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ctlmsg.h"
#include "core/daemon.h"
#include "core/log.h"
#include "policy/roster.h"
#include "storage/audit.h"
#include "storage/store.h"
#include "wg/key.h"

#define META_AUTHORITY "roster.authority"
#define META_NETWORK "roster.network"
#define META_SERIAL "roster.serial"

bool
is_roster_import(int argc, char **argv)
{
	struct change_opts o;
	int skip = change_opts_parse(argc, argv, &o);

	return argc - skip >= 2 && strcmp(argv[skip], "roster") == 0 &&
	       strcmp(argv[skip + 1], "import") == 0;
}

/* The pinned authority key; -ENOENT when none is pinned. */
static int
load_authority(struct daemon *d, uint8_t pk[ROSTER_PK_LEN])
{
	char b64[WG_KEY_B64_LEN + 8];
	int ret = store_meta_get(d->store, META_AUTHORITY, b64, sizeof(b64));

	if (ret < 0)
		return ret;
	return key_from_base64(pk, b64) < 0 ? -EIO : 0;
}

/* The last accepted roster's network and serial; zeroed before the first. */
static int
load_state(struct daemon *d, struct roster_state *st)
{
	char serial[32];
	int ret;

	memset(st, 0, sizeof(*st));
	ret = store_meta_get(d->store, META_NETWORK, st->network, sizeof(st->network));
	if (ret == -ENOENT)
		return 0;
	if (ret == 0)
		ret = store_meta_get(d->store, META_SERIAL, serial, sizeof(serial));
	if (ret == 0)
		st->serial = strtoull(serial, NULL, 10);
	return ret;
}

/* Who signs the network is a security decision: each pinning is audited, with the key it replaced. */
static int
cmd_trust(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
	  struct buf *out)
{
	uint8_t pk[ROSTER_PK_LEN];
	char was[64] = "", summary[160];
	int ret;

	if (argc != 3 || key_from_base64(pk, argv[2]) < 0) {
		buf_printf(out, "roster trust: '%.64s': not an authority public key (44 base64 "
				"characters, as roster keygen prints it)\n",
			   argc == 3 ? argv[2] : "");
		admin_audit(d, peer, AUDIT_KIND_ROSTER_TRUST, argc, argv, 0, "invalid",
			    AUDIT_FAILED);
		return CTL_INVALID;
	}
	if (store_meta_get(d->store, META_AUTHORITY, was, sizeof(was)) < 0)
		was[0] = '\0';
	snprintf(summary, sizeof(summary), "authority %s (was %s)", argv[2],
		 was[0] ? was : "none");
	ret = store_meta_set(d->store, META_AUTHORITY, argv[2]);
	admin_audit(d, peer, AUDIT_KIND_ROSTER_TRUST, argc, argv, 0, summary,
		    ret < 0 ? AUDIT_FAILED : AUDIT_OK);
	if (ret < 0) {
		buf_printf(out, "%s: cannot store the authority key: %s\n", domain_name(d->domain),
			   strerror(-ret));
		return CTL_FAILED;
	}
	log_info("roster: network authority %s trusted", argv[2]);
	buf_printf(out, "%s: network authority %s trusted\n", domain_name(d->domain), argv[2]);
	return CTL_OK;
}

static int
cmd_status(struct daemon *d, struct buf *out)
{
	char b64[WG_KEY_B64_LEN + 8];
	struct roster_state st;

	if (store_meta_get(d->store, META_AUTHORITY, b64, sizeof(b64)) < 0)
		snprintf(b64, sizeof(b64), "(none: umbral roster trust PUBKEY)");
	if (load_state(d, &st) < 0)
		return CTL_FAILED;
	buf_printf(out, "authority %s\nnetwork %s\nserial %" PRIu64 "\n", b64,
		   st.network[0] ? st.network : "(no roster imported)", st.serial);
	return CTL_OK;
}

static void
save_state(struct daemon *d, const struct roster_state *st, struct buf *out)
{
	char serial[32];
	int ret;

	snprintf(serial, sizeof(serial), "%" PRIu64, st->serial);
	ret = store_meta_set(d->store, META_NETWORK, st->network);
	if (ret == 0)
		ret = store_meta_set(d->store, META_SERIAL, serial);
	if (ret < 0)
		buf_printf(out, "warning: %s: roster serial %s applied but not recorded: %s\n",
			   domain_name(d->domain), serial, strerror(-ret));
}

/* Verifies and turns the roster into *next; on failure out has every reason. */
static int
import_prepare(struct daemon *d, const char *text, struct policy *next, struct roster_state *nst,
	       struct buf *out)
{
	uint8_t pk[ROSTER_PK_LEN], pub[WG_KEY_LEN], *self_pub = NULL;
	struct roster_state st;
	struct errbuf eb = {0};
	int ret;

	if (load_authority(d, pk) < 0) {
		buf_puts(out, "roster import: no network authority is trusted yet "
			      "(umbral roster trust PUBKEY); nothing changed\n");
		return CTL_INVALID;
	}
	if (load_state(d, &st) < 0)
		return CTL_FAILED;
	/* Crypto refuses a roster that re-keys this node: it would cut the node off. */
	if (d->domain == DOMAIN_CRYPTO && crypto_has_keystore(d)) {
		if ((ret = crypto_public_key(d, pub)) < 0) {
			buf_printf(out, "roster import: crypto is locked and has not held this "
					"node's key since: cannot check the roster's entry for "
					"%s (umbral unlock first); nothing changed\n",
				   d->node);
			return CTL_INVALID;
		}
		self_pub = pub;
	}
	ret = roster_import(text, strlen(text), pk, d->node, self_pub, &st, &d->policy, next, nst,
			    &eb);
	if (ret < 0) {
		buf_printf(out, "roster import: refused, nothing changed:\n%s", eb.text);
		return ret == -ENOMEM ? CTL_FAILED : CTL_INVALID;
	}
	return CTL_OK;
}

static int
cmd_import(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv, struct buf *out)
{
	struct change_opts o;
	struct roster_state nst;
	struct policy next;
	int skip = change_opts_parse(argc, argv, &o), ret;

	if (argc - skip != 3) {
		buf_puts(out, "roster import: needs the roster text\n");
		return CTL_INVALID;
	}
	if ((ret = change_may_start(d, &o, out)) != CTL_OK)
		return ret;
	ret = import_prepare(d, argv[skip + 2], &next, &nst, out);
	if (ret != CTL_OK)
		return ret;
	if (o.check) {
		buf_printf(out, "roster %s serial %" PRIu64 ":\n", nst.network, nst.serial);
		roster_diff(&d->policy, &next, out);
		policy_free(&next);
		return CTL_OK;
	}
	if (!o.comment[0])
		o.comment = "roster import";
	/* The record names the command, not the roster's text (its diff is the summary). */
	ret = change_record(d, peer, &o, 2, argv + skip, &next, out);
	policy_free(&next);
	if (ret == CTL_OK) {
		save_state(d, &nst, out);
		log_info("roster: network %s serial %" PRIu64 " imported", nst.network, nst.serial);
	}
	return ret;
}

int
cmd_roster(struct daemon *d, const struct ctl_peer *peer, int argc, char **argv,
	   struct buf *out)
{
	if (is_roster_import(argc, argv))
		return cmd_import(d, peer, argc, argv, out);
	if (argc >= 2 && strcmp(argv[1], "trust") == 0)
		return cmd_trust(d, peer, argc, argv, out);
	if (argc == 2 && strcmp(argv[1], "status") == 0)
		return cmd_status(d, out);
	buf_puts(out, "roster: trust PUBKEY | import TEXT | status\n");
	return CTL_INVALID;
}
