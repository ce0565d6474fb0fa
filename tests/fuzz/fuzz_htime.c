/*
 * fuzz_htime.c - libFuzzer target: untrusted bytes as an RFC 3339 time, into
 * the parser issud runs on a client's history range and NETCONF startTime /
 * stopTime (agent/core/htime.c). Accepted: a time that formats back and
 * parses to the same microsecond. Refused: ISSU_ERR_INVAL. Anything else aborts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "issu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char buf[ISSU_HTIME_LEN];
    int64_t ns = -1, back = -1;
    int rc;

    rc = issu_htime_parse((const char *)data, size, &ns);
    if (rc == ISSU_ERR_INVAL)
        return 0;
    if (rc != ISSU_OK || ns < 0)
        abort();
    issu_htime_format(ns, buf);
    if (issu_htime_parse(buf, strlen(buf), &back) != ISSU_OK || back != ns / 1000 * 1000)
        abort();
    return 0;
}
