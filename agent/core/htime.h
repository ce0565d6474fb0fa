/*
 * htime.h - RFC 3339 date-and-time to and from nanoseconds since the epoch.
 *
 * Times a client sends (issuctl --since, the history RPC's range, a NETCONF
 * startTime) are outside input: the parser is strict (one form, every field
 * in range, nothing after it) and fuzzed (fuzz_htime).
 */
#ifndef ISSU_HTIME_H
#define ISSU_HTIME_H

#include <stddef.h>
#include <stdint.h>

/** Longest text issu_htime_format writes, NUL included. */
#define ISSU_HTIME_LEN 40

/**
 * Parse YYYY-MM-DDTHH:MM:SS[.F{1,9}](Z|+HH:MM|-HH:MM) (1970 to 2262, what int64 nanoseconds hold; 't'
 * and 'z' accepted as RFC 3339 allows; seconds 60 refused) into nanoseconds
 * since 1970-01-01T00:00:00Z. ISSU_ERR_INVAL for anything else.
 */
int issu_htime_parse(const char *s, size_t len, int64_t *ns);

/** @p ns as YYYY-MM-DDTHH:MM:SS.uuuuuuZ (UTC, microseconds) into @p buf. */
void issu_htime_format(int64_t ns, char buf[ISSU_HTIME_LEN]);

/** CLOCK_REALTIME now, in nanoseconds since the epoch. */
int64_t issu_htime_now(void);

#endif
