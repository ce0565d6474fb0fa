/*
 * err.c - short English names of the error codes of issu_err.h.
 */
#include "issu_err.h"

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
    }
    return "unknown error";
}
