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

/*
 * A write: its own transaction, or part of st's batch (store_batch_begin),
 * so that the batch lands with one fsync. Returns 1 when it began a
 * transaction, 0 inside a batch, or a negative errno; pass that to
 * store_tx_end, which commits its own transaction when err is 0 and rolls
 * it back otherwise (a batch's owner does that for the batch), and returns
 * err. Only the batch flag joins: a transaction left open by mistake makes
 * the next write fail, not vanish into it.
 */
int store_tx_begin(struct store *st, const char *fn);
int store_tx_end(struct store *st, int began, int err, const char *fn);
/* Ends the transaction open on db: COMMIT when err is 0, else ROLLBACK; returns err. */
int store_tx_finish(sqlite3 *db, int err, const char *fn);

struct policy;
/*
 * The LAN part of revision p->revision (store_lan.c), inside store_commit's
 * transaction; and read back into p, whose node is already loaded.
 */
int store_lan_insert(sqlite3 *db, const struct policy *p);
int store_lan_load(sqlite3 *db, struct policy *p);

#endif
