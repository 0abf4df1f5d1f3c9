// SPDX-License-Identifier: GPL-2.0-only
/*
 * storage/lease.c — DHCP leases in the domain's SQLite database. Rows are
 * text where a person would read them (address, MAC, state) and checked
 * when read back: a row that does not parse is a corrupt database.
 */
#include "storage/lease.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "storage/store_int.h"

struct lease_store {
	sqlite3 *db;
	sqlite3_stmt *put, *del, *load;
};

static const char *const state_names[] = {
    [DHCP_LEASE_FREE] = "free",
    [DHCP_LEASE_OFFERED] = "offered",
    [DHCP_LEASE_BOUND] = "bound",
    [DHCP_LEASE_RELEASED] = "released",
    [DHCP_LEASE_DECLINED] = "declined",
};

const char *
lease_state_name(enum dhcp_lease_state s)
{
	return (unsigned)s <= DHCP_LEASE_DECLINED ? state_names[s] : "unknown";
}

static int
fail(sqlite3 *db, int rc, const char *fn, const char *what)
{
	log_warnx("%s: %s: %s", fn, what, sqlite3_errmsg(db));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_CONSTRAINT:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out)
{
	int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);

	return rc == SQLITE_OK ? 0 : fail(db, rc, "lease_open", sql);
}

int
lease_open(struct store *st, struct lease_store **out)
{
	struct lease_store *ls;
	sqlite3 *db = store_db(st);
	int err;

	if (!db || !out)
		return -EINVAL;
	if (!(ls = calloc(1, sizeof(*ls))))
		return -ENOMEM;
	ls->db = db;
	if ((err = prepare(db,
			   "INSERT OR REPLACE INTO lease (ip, client_key, mac, hostname, expiry, state)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
			   &ls->put)) < 0 ||
	    (err = prepare(db, "DELETE FROM lease WHERE ip = ?1", &ls->del)) < 0 ||
	    (err = prepare(db,
			   "SELECT ip, client_key, mac, hostname, expiry, state FROM lease"
			   "",
			   &ls->load)) < 0) {
		lease_close(ls);
		return err;
	}
	*out = ls;
	return 0;
}

void
lease_close(struct lease_store *ls)
{
	if (!ls)
		return;
	sqlite3_finalize(ls->put);
	sqlite3_finalize(ls->del);
	sqlite3_finalize(ls->load);
	free(ls);
}

/* Runs a bound statement that returns no rows, then resets it for reuse. */
static int
run(struct lease_store *ls, sqlite3_stmt *s, const char *fn)
{
	int rc = sqlite3_step(s);
	int err = rc == SQLITE_DONE ? 0 : fail(ls->db, rc, fn, "step");

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return err;
}

int
lease_put(struct lease_store *ls, const struct dhcp_lease *l)
{
	char ip[INET_ADDRSTRLEN], mac[18];
	int rc;

	if (!ls || !l || l->state == DHCP_LEASE_FREE || l->state == DHCP_LEASE_OFFERED ||
	    l->state > DHCP_LEASE_DECLINED)
		return -EINVAL;
	inet_ntop(AF_INET, &l->ip, ip, sizeof(ip));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", l->mac[0], l->mac[1],
		 l->mac[2], l->mac[3], l->mac[4], l->mac[5]);
	/* SQLITE_TRANSIENT: SQLite copies, so nothing here must outlive the call. */
	if ((rc = sqlite3_bind_text(ls->put, 1, ip, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_bind_blob(ls->put, 2, l->key, l->key_len, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ls->put, 3, mac, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ls->put, 4, l->hostname, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
	    (rc = sqlite3_bind_int64(ls->put, 5, l->expiry)) != SQLITE_OK ||
	    (rc = sqlite3_bind_text(ls->put, 6, state_names[l->state], -1, SQLITE_STATIC)) !=
		SQLITE_OK) {
		sqlite3_reset(ls->put);
		sqlite3_clear_bindings(ls->put);
		return fail(ls->db, rc, __func__, "bind");
	}
	return run(ls, ls->put, __func__);
}

int
lease_delete(struct lease_store *ls, struct in_addr ip)
{
	char text[INET_ADDRSTRLEN];
	int rc;

	if (!ls)
		return -EINVAL;
	inet_ntop(AF_INET, &ip, text, sizeof(text));
	if ((rc = sqlite3_bind_text(ls->del, 1, text, -1, SQLITE_TRANSIENT)) != SQLITE_OK)
		return fail(ls->db, rc, __func__, "bind");
	return run(ls, ls->del, __func__);
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned b[6];
	char end;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
			 &end) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return 0;
}

static int
parse_state(const char *s, enum dhcp_lease_state *out)
{
	for (int i = DHCP_LEASE_OFFERED; i <= DHCP_LEASE_DECLINED; i++)
		if (s && strcmp(s, state_names[i]) == 0) {
			*out = (enum dhcp_lease_state)i;
			return 0;
		}
	return -1;
}

/* One row into *l; -EIO (logged, naming the row) when any column is wrong. */
static int
row_to_lease(sqlite3_stmt *s, struct dhcp_lease *l)
{
	const char *ip = (const char *)sqlite3_column_text(s, 0);
	const void *key = sqlite3_column_blob(s, 1);
	int klen = sqlite3_column_bytes(s, 1);
	const char *mac = (const char *)sqlite3_column_text(s, 2);
	const char *host = (const char *)sqlite3_column_text(s, 3);

	memset(l, 0, sizeof(*l));
	if (!ip || inet_pton(AF_INET, ip, &l->ip) != 1 || klen < 0 || klen > DHCP_KEY_MAX ||
	    (klen > 0 && !key) || parse_mac(mac, l->mac) < 0 || !host ||
	    strlen(host) > DHCP_NAME_MAX ||
	    parse_state((const char *)sqlite3_column_text(s, 5), &l->state) < 0) {
		log_warnx("lease_load: lease %s: row does not parse", ip ? ip : "(null)");
		return -EIO;
	}
	if (klen > 0)
		memcpy(l->key, key, (size_t)klen);
	l->key_len = (uint8_t)klen;
	snprintf(l->hostname, sizeof(l->hostname), "%s", host);
	l->expiry = sqlite3_column_int64(s, 4);
	return 0;
}

int
lease_load(struct lease_store *ls, struct dhcp_lease **out, size_t *n)
{
	struct dhcp_lease *a = NULL, *t;
	size_t cnt = 0, cap = 0;
	int rc, err = 0;

	if (!ls || !out || !n)
		return -EINVAL;
	while (err == 0 && (rc = sqlite3_step(ls->load)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(t = reallocarray(a, cap, sizeof(*a)))) {
				err = -ENOMEM;
				break;
			}
			a = t;
		}
		err = row_to_lease(ls->load, &a[cnt++]);
	}
	if (err == 0 && rc != SQLITE_DONE)
		err = fail(ls->db, rc, __func__, "select lease");
	sqlite3_reset(ls->load);
	if (err < 0) {
		free(a);
		return err;
	}
	*out = a;
	*n = cnt;
	return 0;
}
