/*
 * htime.c - strict RFC 3339 times (htime.h).
 */
#include "htime.h"

#include <stdio.h>
#include <time.h>

#include "issu_err.h"

/* @p n digits at @p s as a number; -1 when one is not a digit. */
static long digits(const char *s, int n)
{
    long v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's algorithm). */
static int64_t days_from_civil(long y, long m, long d)
{
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int64_t)era * 146097 + doe - 719468;
}

static int leap(long y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int issu_htime_parse(const char *s, size_t len, int64_t *ns)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    long y, mo, d, h, mi, sec, oh = 0, om = 0, frac = 0;
    int64_t t;
    size_t i = 19;
    int nf = 0, sign = 0;

    if (!s || !ns || len < 20 || len > 35)
        return ISSU_ERR_INVAL;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return ISSU_ERR_INVAL;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    h = digits(s + 11, 2);
    mi = digits(s + 14, 2);
    sec = digits(s + 17, 2);
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
        return ISSU_ERR_INVAL;
    if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
        return ISSU_ERR_INVAL;
    if (s[i] == '.') {
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, nf++) {
            if (nf == 9)
                return ISSU_ERR_INVAL;
            frac = frac * 10 + (s[i] - '0');
        }
        if (!nf)
            return ISSU_ERR_INVAL;
        for (int k = nf; k < 9; k++)
            frac *= 10;
    }
    if (i == len)
        return ISSU_ERR_INVAL;
    if (s[i] == 'Z' || s[i] == 'z') {
        if (i + 1 != len)
            return ISSU_ERR_INVAL;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (i + 6 != len || s[i + 3] != ':')
            return ISSU_ERR_INVAL;
        oh = digits(s + i + 1, 2);
        om = digits(s + i + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59)
            return ISSU_ERR_INVAL;
    } else {
        return ISSU_ERR_INVAL;
    }
    t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - sign * (oh * 3600 + om * 60);
    if (t < 0 || t > INT64_MAX / 1000000000 - 1)
        return ISSU_ERR_INVAL; /* before the epoch, or past what int64 nanoseconds hold (2262) */
    *ns = t * 1000000000 + frac;
    return ISSU_OK;
}

void issu_htime_format(int64_t ns, char buf[ISSU_HTIME_LEN])
{
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;

    if (ns < 0 || !gmtime_r(&sec, &tm)) {
        snprintf(buf, ISSU_HTIME_LEN, "1970-01-01T00:00:00.000000Z");
        return;
    }
    /* int64 nanoseconds end in 2262: four year digits, and the fields are in range */
    snprintf(buf, ISSU_HTIME_LEN, "%04u-%02u-%02uT%02u:%02u:%02u.%06uZ", (unsigned)(tm.tm_year + 1900) % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
             (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, (unsigned)(ns % 1000000000 / 1000));
}

int64_t issu_htime_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
