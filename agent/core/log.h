/*
 * log.h - the one logging hook every module reports through.
 *
 * Modules never print: they format a line and hand it to the owner's
 * callback (issud writes it to stderr with a timestamp; issuctl filters by
 * level). issu_logf() is the formatting every module shares.
 */
#ifndef ISSU_LOG_H
#define ISSU_LOG_H

#include <stdarg.h>

/** Log hook: level is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG). */
typedef void (*issu_log_cb)(void *arg, int level, const char *msg);

/** Format one line (truncated at 1 KiB) and pass it to @p cb; no-op when NULL. */
void issu_logf(issu_log_cb cb, void *arg, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void issu_vlogf(issu_log_cb cb, void *arg, int level, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
