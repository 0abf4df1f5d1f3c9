/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/buf.h — a growing text buffer, for replies and JSON.
 *
 * The buffer owns data; buf_free() releases it. An allocation failure is
 * sticky: later appends do nothing and buf_failed() says so, so callers
 * check once at the end instead of after every append.
 */
#ifndef UMBRAL_BUF_H
#define UMBRAL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated once anything was appended */
	size_t len;
	size_t cap;
	bool failed;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void buf_json_str(struct buf *b, const char *s);
bool buf_failed(const struct buf *b);
/* The text, or "" when empty. */
const char *buf_str(const struct buf *b);

#endif
