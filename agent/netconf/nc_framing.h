/*
 * nc_framing.h - a strict reader of NETCONF message framing (RFC 6242),
 * for the bytes a client sends before libnetconf2 sees any of them.
 *
 * issud's front (nc_front.c) feeds everything a client sends through one
 * framer per session: the hello in end-of-message framing (]]>]]>), then
 * either framing again or, when the client's hello offers base:1.1, chunked
 * framing. A message is handed on only when it is complete, so libnetconf2
 * never parses a chunk header (its parser crashes on several bad ones) and
 * never waits inside a half-sent message. Anything RFC 6242 does not allow
 * -- a chunk size of 0, a leading zero, a sign, more than 10 digits or above
 * 4294967295, a missing LF or '#', an end of chunks before any chunk -- and
 * any message larger than the configured limit is an error: the session is
 * closed. No allocation is ever sized by what the peer announces: the
 * buffer grows with the bytes that actually arrive.
 *
 * Pure C, no I/O and no library: unit tested (test_nc_framing) and fuzzed
 * (fuzz_ncframe).
 */
#ifndef ISSU_NC_FRAMING_H
#define ISSU_NC_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h" /* struct issu_buf */

/** The biggest chunk-size RFC 6242 allows. */
#define ISSU_NC_CHUNK_MAX 4294967295ULL

/** One direction of one session's framing (zero it, then issu_nc_framer_init). */
struct issu_nc_framer {
    size_t max_msg;    /**< a message may not be larger (its data, without framing) */
    int chunked;       /**< 0: end-of-message framing (]]>]]>), 1: chunked */
    int state;         /**< where in the chunked grammar (private) */
    uint64_t left;     /**< bytes of the current chunk still to come */
    unsigned digits;   /**< digits of the chunk-size read so far */
    unsigned n_chunks; /**< chunks of the current message */
    size_t eom;        /**< bytes of "]]>]]>" matched at the end of msg */
    struct issu_buf msg; /**< the message so far (NUL-terminated once complete) */
    const char *why;   /**< after an error: what was wrong (static text) */
};

/** Start in end-of-message framing with the limit @p max_msg (bytes, > 0). */
void issu_nc_framer_init(struct issu_nc_framer *f, size_t max_msg);

/** From the next message on, read chunked framing (after a 1.1 hello). */
void issu_nc_framer_set_chunked(struct issu_nc_framer *f);

/**
 * Consume bytes of @p in (@p n of them) up to the end of one message.
 * *used: bytes consumed (the rest belongs to the next message);
 * *complete: 1 when a message is complete: f->msg holds it (data only,
 * framing removed, NUL-terminated) until issu_nc_framer_next.
 * Returns ISSU_OK, ISSU_ERR_DECODE for a framing error or an oversized
 * message (f->why says which; the framer is then unusable), or
 * ISSU_ERR_NOMEM.
 */
int issu_nc_framer_feed(struct issu_nc_framer *f, const char *in, size_t n, size_t *used, int *complete);

/** Forget the complete message; the next one starts. */
void issu_nc_framer_next(struct issu_nc_framer *f);

/** Whether part of a message has arrived (and not all of it). */
int issu_nc_framer_partial(const struct issu_nc_framer *f);

/** Free the buffer. */
void issu_nc_framer_free(struct issu_nc_framer *f);

/**
 * Whether a hello offers base:1.1 (a <capability> whose text is exactly
 * urn:ietf:params:netconf:base:1.1, surrounding white space allowed).
 */
int issu_nc_hello_offers_11(const char *msg, size_t len);

/**
 * What the root element of a message is: 1 an <rpc> (any prefix) without a
 * message-id attribute, 0 anything else (an <rpc> with one, another
 * element, or text the XML parser will refuse on its own).
 */
int issu_nc_rpc_lacks_message_id(const char *msg, size_t len);

#endif
