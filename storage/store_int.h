/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/store_int.h — for the other files of storage/ only (audit log,
 * DHCP leases): the SQLite handle behind a struct store, so that each can
 * keep its own tables in the same database.
 */
#ifndef UMBRAL_STORE_INT_H
#define UMBRAL_STORE_INT_H

#include <sqlite3.h>

struct store;

/* Borrowed: valid until store_close(st). */
sqlite3 *store_db(struct store *st);

struct policy;
/*
 * The LAN part of revision p->revision (store_lan.c), inside store_commit's
 * transaction; and read back into p, whose node is already loaded.
 */
int store_lan_insert(sqlite3 *db, const struct policy *p);
int store_lan_load(sqlite3 *db, struct policy *p);

#endif
