/*
 * nc_framing.c - strict RFC 6242 framing reader (nc_framing.h).
 *
 * Chunked framing, RFC 6242 4.2:
 *   Chunked-Message = 1*chunk end-of-chunks
 *   chunk           = LF HASH chunk-size LF chunk-data
 *   chunk-size      = 1*DIGIT1 0*DIGIT     ; 1 .. 4294967295
 *   end-of-chunks   = LF HASH HASH LF
 * End-of-message framing (RFC 6242 4.3, and every hello): the message is
 * everything up to "]]>]]>".
 */
#include "nc_framing.h"

#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

#define EOM "]]>]]>"
#define EOM_LEN 6

enum {
    C_LF,         /* LF that starts a chunk or the end of chunks */
    C_HASH,       /* its HASH */
    C_AFTER_HASH, /* DIGIT1 (a chunk) or HASH (the end) */
    C_SIZE,       /* more digits, or the LF that ends the size */
    C_DATA,       /* chunk-data */
    C_END_LF,     /* the LF after "##" */
};

void issu_nc_framer_init(struct issu_nc_framer *f, size_t max_msg)
{
    memset(f, 0, sizeof(*f));
    f->max_msg = max_msg;
}

void issu_nc_framer_set_chunked(struct issu_nc_framer *f)
{
    f->chunked = 1;
    f->state = C_LF;
}

void issu_nc_framer_free(struct issu_nc_framer *f)
{
    issu_buf_free(&f->msg);
}

void issu_nc_framer_next(struct issu_nc_framer *f)
{
    f->msg.len = 0;
    f->eom = 0;
    f->left = 0;
    f->digits = 0;
    f->n_chunks = 0;
    f->state = C_LF;
}

int issu_nc_framer_partial(const struct issu_nc_framer *f)
{
    return f->msg.len > 0 || (f->chunked && f->state != C_LF);
}

/* @p n bytes in, room for a NUL after them: grows with what arrived,
 * never with what the peer announced. */
static int take(struct issu_nc_framer *f, const char *in, size_t n)
{
    ISSU_CHECK(issu_buf_reserve(&f->msg, n + 1));
    return issu_buf_append(&f->msg, in, n);
}

static int fail(struct issu_nc_framer *f, const char *why)
{
    f->why = why;
    return ISSU_ERR_DECODE;
}

/* End-of-message framing: append up to and including "]]>]]>". The match
 * state survives across calls; "]]>]]>" overlaps itself only at "]]>". */
static int feed_eom(struct issu_nc_framer *f, const char *in, size_t n, size_t *used, int *complete)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c = in[i];
        if (c == EOM[f->eom]) {
            f->eom++;
        } else if (f->eom == 5 && c == ']') { /* "]]>]]" + "]": "]]" still matches */
            f->eom = 2;
        } else if (f->eom == 2 && c == ']') { /* "]]]": the last two */
            f->eom = 2;
        } else {
            f->eom = c == ']' ? 1 : 0;
        }
        if (f->eom == EOM_LEN) {
            i++;
            break;
        }
    }
    if (f->msg.len + i - (f->eom == EOM_LEN ? EOM_LEN : f->eom) > f->max_msg)
        return fail(f, "message larger than the limit");
    ISSU_CHECK(take(f, in, i));
    *used = i;
    if (f->eom == EOM_LEN) {
        f->msg.len -= EOM_LEN;
        f->msg.data[f->msg.len] = '\0';
        *complete = 1;
    }
    return ISSU_OK;
}

static int feed_chunked(struct issu_nc_framer *f, const char *in, size_t n, size_t *used, int *complete)
{
    size_t i = 0, k;
    int rc;

    while (i < n) {
        char c = in[i];
        switch (f->state) {
        case C_LF:
            if (c != '\n')
                return fail(f, "chunk does not start with LF");
            f->state = C_HASH;
            i++;
            break;
        case C_HASH:
            if (c != '#')
                return fail(f, "chunk does not start with LF '#'");
            f->state = C_AFTER_HASH;
            i++;
            break;
        case C_AFTER_HASH:
            if (c == '#') {
                if (!f->n_chunks)
                    return fail(f, "end of chunks before any chunk");
                f->state = C_END_LF;
            } else if (c >= '1' && c <= '9') {
                f->left = (uint64_t)(c - '0');
                f->digits = 1;
                f->state = C_SIZE;
            } else {
                return fail(f, "chunk size is not a number from 1 to 4294967295");
            }
            i++;
            break;
        case C_SIZE:
            if (c >= '0' && c <= '9') {
                if (++f->digits > 10)
                    return fail(f, "chunk size is not a number from 1 to 4294967295");
                f->left = f->left * 10 + (uint64_t)(c - '0');
                if (f->left > ISSU_NC_CHUNK_MAX)
                    return fail(f, "chunk size is not a number from 1 to 4294967295");
            } else if (c == '\n') {
                if (f->left > f->max_msg - f->msg.len)
                    return fail(f, "message larger than the limit");
                f->state = C_DATA;
            } else {
                return fail(f, "chunk size is not a number from 1 to 4294967295");
            }
            i++;
            break;
        case C_DATA:
            k = n - i < f->left ? n - i : (size_t)f->left;
            ISSU_CHECK_GOTO(take(f, in + i, k), rc);
            f->left -= k;
            i += k;
            if (!f->left) {
                f->n_chunks++;
                f->state = C_LF;
            }
            break;
        case C_END_LF:
            if (c != '\n')
                return fail(f, "end of chunks not followed by LF");
            i++;
            ISSU_CHECK_GOTO(issu_buf_reserve(&f->msg, 1), rc);
            f->msg.data[f->msg.len] = '\0';
            *complete = 1;
            *used = i;
            return ISSU_OK;
        default:
            return fail(f, "framer state");
        }
    }
    *used = i;
    return ISSU_OK;
cleanup:
    return rc;
}

int issu_nc_framer_feed(struct issu_nc_framer *f, const char *in, size_t n, size_t *used, int *complete)
{
    *used = 0;
    *complete = 0;
    if (f->why)
        return ISSU_ERR_DECODE;
    return f->chunked ? feed_chunked(f, in, n, used, complete) : feed_eom(f, in, n, used, complete);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int issu_nc_hello_offers_11(const char *msg, size_t len)
{
    static const char cap[] = "urn:ietf:params:netconf:base:1.1";
    const size_t cl = sizeof(cap) - 1;
    const char *p = msg, *end = msg + len, *q, *b, *a;

    while (p < end && (q = memmem(p, (size_t)(end - p), cap, cl))) {
        for (b = q; b > msg && is_ws(b[-1]); b--)
            ;
        for (a = q + cl; a < end && is_ws(*a); a++)
            ;
        if (b > msg && b[-1] == '>' && a < end && *a == '<')
            return 1;
        p = q + cl;
    }
    return 0;
}

static int is_name(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':' ||
           c == '-' || c == '.' || (unsigned char)c >= 0x80;
}

/* Skip white space, an XML declaration, processing instructions and
 * comments before the root element; NULL if the text ends first. */
static const char *skip_prolog(const char *p, const char *end)
{
    const char *q;

    for (;;) {
        while (p < end && is_ws(*p))
            p++;
        if (end - p >= 2 && p[0] == '<' && p[1] == '?') {
            q = memmem(p, (size_t)(end - p), "?>", 2);
            if (!q)
                return NULL;
            p = q + 2;
        } else if (end - p >= 4 && !memcmp(p, "<!--", 4)) {
            q = memmem(p + 4, (size_t)(end - p - 4), "-->", 3);
            if (!q)
                return NULL;
            p = q + 3;
        } else {
            return p < end ? p : NULL;
        }
    }
}

/* The local part of the name [n, n + l). */
static void local_name(const char *n, size_t l, const char **ln, size_t *ll)
{
    const char *c = memchr(n, ':', l);

    *ln = c ? c + 1 : n;
    *ll = c ? l - (size_t)(c + 1 - n) : l;
}

int issu_nc_rpc_lacks_message_id(const char *msg, size_t len)
{
    const char *end = msg + len, *p = skip_prolog(msg, end), *n, *ln, *q;
    size_t l, ll;

    if (!p || *p != '<')
        return 0;
    for (n = ++p; p < end && is_name(*p); p++)
        ;
    local_name(n, (size_t)(p - n), &ln, &ll);
    if (ll != 3 || memcmp(ln, "rpc", 3))
        return 0;
    for (;;) {
        while (p < end && is_ws(*p))
            p++;
        if (p >= end)
            return 0; /* unterminated: the parser says so */
        if (*p == '>' || *p == '/')
            return 1;
        for (n = p; p < end && is_name(*p); p++)
            ;
        l = (size_t)(p - n);
        if (!l)
            return 0;
        while (p < end && is_ws(*p))
            p++;
        if (p >= end || *p != '=')
            return 0;
        for (p++; p < end && is_ws(*p); p++)
            ;
        if (p >= end || (*p != '"' && *p != '\''))
            return 0;
        q = memchr(p + 1, *p, (size_t)(end - p - 1));
        if (!q)
            return 0;
        p = q + 1;
        local_name(n, l, &ln, &ll);
        if (ll == 10 && !memcmp(ln, "message-id", 10) && !(l > 6 && !memcmp(n, "xmlns:", 6)))
            return 0;
    }
}
