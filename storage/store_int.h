/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * storage/store_int.h — for the other files of storage/ only: the SQLite
 * handle behind a struct store, so that each can keep its own tables there.
 */
#ifndef UMBRAL_STORE_INT_H
#define UMBRAL_STORE_INT_H

#include <sqlite3.h>

#include "storage/store.h"

sqlite3 *store_db(struct store *st);

#endif
