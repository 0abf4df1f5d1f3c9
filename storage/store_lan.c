// SPDX-License-Identifier: GPL-2.0-only
/*
 * storage/store_lan.c — the LAN part of a revision (tables dhcp,
 * dhcp_static, lan_route; migration 6): written as text a person can read,
 * read back through the same parser the administrator's commands go through
 * (policy/lan.c), so that what loads is exactly what could have been typed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "policy/lan.h"
#include "storage/store_int.h"

static int
fail(sqlite3 *db, int rc, const char *fn, const char *what)
{
	log_warnx("%s: %s: %s", fn, what, sqlite3_errmsg(db));
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return -EBUSY;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return -EINVAL;
	return (rc & 0xff) == SQLITE_NOMEM ? -ENOMEM : -EIO;
}

/* Binds the texts (NULL ends the list) from parameter 2 on, runs s, resets it. */
static int
run(sqlite3 *db, sqlite3_stmt *s, int64_t rev, const char *const *texts, const char *fn)
{
	int rc = sqlite3_bind_int64(s, 1, rev);

	for (int i = 0; rc == SQLITE_OK && texts[i]; i++)
		rc = sqlite3_bind_text(s, i + 2, texts[i], -1, SQLITE_TRANSIENT);
	if (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_DONE)
		rc = SQLITE_OK;
	(void)sqlite3_reset(s);
	return rc == SQLITE_OK ? 0 : fail(db, rc, fn, "insert");
}

static int
insert_one(sqlite3 *db, const char *sql, int64_t rev, const char *const *texts, const char *fn)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL), err;

	if (rc != SQLITE_OK)
		return fail(db, rc, fn, "prepare");
	err = run(db, s, rev, texts, fn);
	sqlite3_finalize(s);
	return err;
}

static int
insert_dhcp(sqlite3 *db, int64_t rev, const struct dhcp_policy *d)
{
	char pool[40] = "auto", router[INET_ADDRSTRLEN] = "auto", dns[64] = "", lt[16], mtu[8];
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	const char *texts[9];

	if (d->pool_start.s_addr)
		snprintf(pool, sizeof(pool), "%s-%s", inet_ntop(AF_INET, &d->pool_start, a, sizeof(a)),
			 inet_ntop(AF_INET, &d->pool_end, b, sizeof(b)));
	if (d->no_router)
		snprintf(router, sizeof(router), "none");
	else if (d->router.s_addr)
		inet_ntop(AF_INET, &d->router, router, sizeof(router));
	for (size_t i = 0; i < d->ndns && i < POLICY_DHCP_DNS_MAX; i++)
		snprintf(dns + strlen(dns), sizeof(dns) - strlen(dns), "%s%s", i ? "," : "",
			 inet_ntop(AF_INET, &d->dns[i], a, sizeof(a)));
	snprintf(lt, sizeof(lt), "%u", d->lease_time);
	snprintf(mtu, sizeof(mtu), "%u", d->mtu);
	texts[0] = d->enabled ? "on" : "off";
	texts[1] = pool;
	texts[2] = router;
	texts[3] = dns;
	texts[4] = d->domain;
	texts[5] = lt;
	texts[6] = mtu;
	texts[7] = NULL;
	return insert_one(db,
			  "INSERT INTO dhcp (revision, server, pool, router, dns, domain, "
			  "lease_time, mtu) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
			  rev, texts, __func__);
}

static int
insert_statics(sqlite3 *db, int64_t rev, const struct dhcp_policy *d)
{
	char mac[18], ip[INET_ADDRSTRLEN];
	sqlite3_stmt *s;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db,
				"INSERT INTO dhcp_static (revision, mac, ip, name) "
				"VALUES (?1, ?2, ?3, ?4)",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, __func__, "prepare");
	for (size_t i = 0; i < d->nstatics && err == 0; i++) {
		const char *texts[] = {lan_mac_format(d->statics[i].mac, mac, sizeof(mac)),
				       inet_ntop(AF_INET, &d->statics[i].ip, ip, sizeof(ip)),
				       d->statics[i].name, NULL};
		err = run(db, s, rev, texts, __func__);
	}
	sqlite3_finalize(s);
	return err;
}

static int
insert_routes(sqlite3 *db, const struct policy *p)
{
	char dst[64], gw[INET_ADDRSTRLEN];
	sqlite3_stmt *s;
	int rc, err = 0;

	rc = sqlite3_prepare_v2(db, "INSERT INTO lan_route (revision, prefix, via) VALUES (?1, ?2, ?3)",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(db, rc, __func__, "prepare");
	for (size_t i = 0; i < p->nlan_routes && err == 0; i++) {
		const char *texts[] = {prefix_format(&p->lan_routes[i].dst, dst, sizeof(dst)),
				       inet_ntop(AF_INET, &p->lan_routes[i].gw, gw, sizeof(gw)),
				       NULL};
		err = run(db, s, p->revision, texts, __func__);
	}
	sqlite3_finalize(s);
	return err;
}

int
store_lan_insert(sqlite3 *db, const struct policy *p)
{
	int err;

	if ((err = insert_dhcp(db, p->revision, &p->dhcp)) < 0 ||
	    (err = insert_statics(db, p->revision, &p->dhcp)) < 0)
		return err;
	return insert_routes(db, p);
}

/* One row, as the words of the command that makes it, through policy/lan.c. */
static int
apply_words(struct policy *p, int argc, char **argv)
{
	struct errbuf eb = {0};

	if (lan_edit(p, argc, argv, &eb) == 0)
		return 0;
	log_warnx("store: revision %" PRId64 ": %s row does not parse (corrupt database): %.*s",
		  p->revision, argv[0], (int)(eb.len ? eb.len - 1 : 0), eb.text);
	return -EIO;
}

static const char *
col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	return t ? t : "";
}

static int
load_dhcp_row(sqlite3_stmt *s, struct policy *p)
{
	char *w[] = {"dhcp", "set", "--server", (char *)col(s, 0), "--pool", (char *)col(s, 1),
		     "--router", (char *)col(s, 2), "--dns", *col(s, 3) ? (char *)col(s, 3) : "none",
		     "--domain", *col(s, 4) ? (char *)col(s, 4) : "none", "--lease-time",
		     (char *)col(s, 5), "--mtu", (char *)col(s, 6)};

	return apply_words(p, (int)(sizeof(w) / sizeof(w[0])), w);
}

static int
load_static_row(sqlite3_stmt *s, struct policy *p)
{
	char *w[] = {"dhcp", "static", "add", (char *)col(s, 0), (char *)col(s, 1),
		     (char *)col(s, 2)};

	return apply_words(p, *col(s, 2) ? 6 : 5, w);
}

static int
load_route_row(sqlite3_stmt *s, struct policy *p)
{
	char *w[] = {"lan", "route", "add", (char *)col(s, 0), "via", (char *)col(s, 1)};

	return apply_words(p, 6, w);
}

static int
load_rows(sqlite3 *db, const char *sql, struct policy *p,
	  int (*row)(sqlite3_stmt *s, struct policy *p))
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL), err = 0;

	if (rc != SQLITE_OK)
		return fail(db, rc, __func__, "prepare");
	if ((rc = sqlite3_bind_int64(s, 1, p->revision)) != SQLITE_OK)
		err = fail(db, rc, __func__, "bind");
	while (err == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		err = row(s, p);
	if (err == 0 && rc != SQLITE_DONE)
		err = fail(db, rc, __func__, "select");
	sqlite3_finalize(s);
	return err;
}

int
store_lan_load(sqlite3 *db, struct policy *p)
{
	int err;

	/* A revision written before migration 6 has no rows: the defaults stay. */
	if ((err = load_rows(db,
			     "SELECT server, pool, router, dns, domain, lease_time, mtu FROM dhcp "
			     "WHERE revision = ?1",
			     p, load_dhcp_row)) < 0 ||
	    (err = load_rows(db,
			     "SELECT mac, ip, name FROM dhcp_static WHERE revision = ?1 "
			     "ORDER BY rowid",
			     p, load_static_row)) < 0)
		return err;
	return load_rows(db, "SELECT prefix, via FROM lan_route WHERE revision = ?1 ORDER BY rowid",
			 p, load_route_row);
}
