/*
 * issu_err.h - error codes shared by every module of issu-agent.
 *
 * Every function that can fail returns one of these (0 = success); callers
 * propagate them and clean up through one label, netopeer2 style.
 */
#ifndef ISSU_ERR_H
#define ISSU_ERR_H

enum issu_err {
    ISSU_OK = 0,
    ISSU_ERR_NOMEM,     /**< allocation failed */
    ISSU_ERR_INVAL,     /**< invalid argument or manifest */
    ISSU_ERR_DECODE,    /**< malformed, truncated or oversized message */
    ISSU_ERR_PROTO,     /**< well-formed message out of protocol order */
    ISSU_ERR_VERSION,   /**< peer speaks another protocol version */
    ISSU_ERR_NOTFOUND,  /**< no such client, entity or session */
    ISSU_ERR_TRANSPORT, /**< the transport failed to carry a message */
    ISSU_ERR_IO,        /**< file or socket error */
    ISSU_ERR_REFUSED,   /**< the peer cannot be negotiated with; the endpoint logged and published why */
};

/** Short English name of an error code ("malformed message", ...). */
const char *issu_strerror(int err);

/** Return @p rc from the calling function when it is not ISSU_OK. */
#define ISSU_CHECK(expr) \
    do { \
        int issu_rc_ = (expr); \
        if (issu_rc_ != ISSU_OK) \
            return issu_rc_; \
    } while (0)

/** Set rc and jump to cleanup when @p expr fails (expects `int rc` and `cleanup:`). */
#define ISSU_CHECK_GOTO(expr, rc) \
    do { \
        (rc) = (expr); \
        if ((rc) != ISSU_OK) \
            goto cleanup; \
    } while (0)

/** Jump to cleanup with ISSU_ERR_NOMEM when @p ptr is NULL. */
#define ISSU_CHECK_MEM(ptr, rc) \
    do { \
        if (!(ptr)) { \
            (rc) = ISSU_ERR_NOMEM; \
            goto cleanup; \
        } \
    } while (0)

#endif
