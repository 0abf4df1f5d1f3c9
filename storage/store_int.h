/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/store_int.h — for other tables of the same database inside
 * storage/ only (leases): the SQLite handle a struct store owns.
 */
#ifndef UMBRAL_STORE_INT_H
#define UMBRAL_STORE_INT_H

#include <sqlite3.h>

struct store;

/* Borrowed: valid until store_close(st). */
sqlite3 *store_db(struct store *st);

#endif
