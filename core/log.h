/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * core/log.h — umbrald's log: one line per event to stderr (the lab and the
 * init system collect it) and, when asked, syslog. Never given secrets.
 */
#ifndef UMBRAL_LOG_H
#define UMBRAL_LOG_H

void log_init(const char *ident, int debug, int use_syslog);
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up failures and impossible states only. */
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
