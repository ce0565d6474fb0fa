/*
 * err.c - short English names of the error codes of issu_err.h, and the
 * shared log formatting of log.h.
 */
#include <stdio.h>

#include "issu_err.h"
#include "log.h"

const char *
issu_strerror(int err)
{
    switch (err) {
    case ISSU_OK:
        return "success";
    case ISSU_ERR_NOMEM:
        return "out of memory";
    case ISSU_ERR_INVAL:
        return "invalid argument or manifest";
    case ISSU_ERR_DECODE:
        return "malformed message";
    case ISSU_ERR_PROTO:
        return "message out of protocol order";
    case ISSU_ERR_VERSION:
        return "unsupported protocol version";
    case ISSU_ERR_NOTFOUND:
        return "not found";
    case ISSU_ERR_TRANSPORT:
        return "transport failure";
    case ISSU_ERR_IO:
        return "input/output error";
    case ISSU_ERR_REFUSED:
        return "negotiation refused";
    }
    return "unknown error";
}

void issu_vlogf(issu_log_cb cb, void *arg, int level, const char *fmt, va_list ap)
{
    char msg[1024];

    if (!cb)
        return;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    cb(arg, level, msg);
}

void issu_logf(issu_log_cb cb, void *arg, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(cb, arg, level, fmt, ap);
    va_end(ap);
}
