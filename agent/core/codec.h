/*
 * codec.h - the negotiation protocol's wire format.
 *
 * Every message is a frame: an 8-byte header, then `length` bytes of payload.
 *
 *   0      2        3      4              8
 *   +------+--------+------+--------------+---------------
 *   | 'IS' | proto  | type | length (BE)  | payload ...
 *   +------+--------+------+--------------+---------------
 *
 * Integers are big-endian; a string is a u16 length then its bytes (no NUL);
 * a list is a count then its elements. The decoder trusts nothing: every read
 * is bounds checked, every count is checked against the bytes that remain
 * before anything is allocated, frames over ISSU_MAX_FRAME are refused, and a
 * payload must be consumed exactly. Decoded lists live in a caller-provided
 * scratch arena (struct issu_scratch), so decoding allocates nothing per
 * message once the arena has grown.
 *
 * Messages (see endpoint.c for the exchange):
 *   HELLO      unique id, side, transport MTU, image name and version
 *   INVENTORY  every client: id, name, flags, policy, prerequisites, entity ids
 *   NEGO_REQ   PRIMARY -> PASSIVE: one entity's sid, MTU, message types (each
 *              version's MTU too) and capability types
 *   NEGO_RSP   PASSIVE -> PRIMARY: the same of its own, plus the raw result it computed
 *   ROUND_END  PRIMARY: the round's requests are all sent
 *   ROUND_ACK  PASSIVE: results published, with its verdict
 *   RENEG_REQ  PASSIVE -> PRIMARY: please renegotiate (client, entity; 0 = all)
 *   ERROR      why the sender gives up on the connection
 *   KEEPALIVE  liveness (transports that need it)
 */
#ifndef ISSU_CODEC_H
#define ISSU_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

#define ISSU_PROTO_VERSION 2 /* 2: NEGO carries each version's MTU */
#define ISSU_FRAME_HDR 8
#define ISSU_MAX_FRAME (4u << 20)  /**< largest payload accepted: 4 MiB */
#define ISSU_MAX_STR 1024          /**< longest string on the wire */

enum issu_msg {
    ISSU_MSG_HELLO = 1,
    ISSU_MSG_INVENTORY = 2,
    ISSU_MSG_NEGO_REQ = 3,
    ISSU_MSG_NEGO_RSP = 4,
    ISSU_MSG_ROUND_END = 5,
    ISSU_MSG_ROUND_ACK = 6,
    ISSU_MSG_RENEG_REQ = 7,
    ISSU_MSG_ERROR = 8,
    ISSU_MSG_KEEPALIVE = 9,
};

/** A growable output buffer. */
struct issu_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/** Bump allocator for decoded lists; reset per message. */
struct issu_scratch {
    uint8_t *mem;
    size_t used;
    size_t cap;
};

/** A string on the wire: not NUL-terminated, points into the frame. */
struct issu_wstr {
    const char *s;
    uint16_t len;
};

struct issu_w_hello {
    uint32_t unique_id;
    uint8_t side;
    uint32_t transport_mtu;
    struct issu_wstr image_name;
    struct issu_wstr image_version;
};

struct issu_w_client {
    uint32_t id;
    struct issu_wstr name;
    uint8_t base;
    uint8_t optional;
    uint8_t policy;
    uint32_t n_prereqs;
    uint32_t *prereqs;
    uint32_t n_entities;
    uint32_t *entities; /**< entity ids */
};

struct issu_w_inventory {
    uint32_t n_clients;
    struct issu_w_client *clients;
};

/** A message type's supported range on the wire (versions are contiguous)
 *  and the MTU of each version: each side reports its own MTU, and both see
 *  when the two differ for the negotiated version. */
struct issu_w_range {
    uint32_t id;
    uint32_t low;
    uint32_t high;
    uint32_t *mtus; /**< high - low + 1 of them, version low first */
};

/** NEGO_REQ and NEGO_RSP: one side's view of one client entity. */
struct issu_w_nego {
    uint32_t round;
    uint32_t client;
    uint32_t entity;
    uint32_t sid;
    uint32_t transport_mtu;
    uint8_t raw_result; /**< NEGO_RSP only: the PASSIVE's raw result */
    uint32_t n_types;
    struct issu_w_range *types; /**< ascending ids */
    uint32_t n_caps;
    struct issu_cap_type *caps; /**< ascending ids, entries ascending */
};

struct issu_w_round {
    uint32_t round;
    uint32_t count;   /**< ROUND_END: sessions in the round; ROUND_ACK: verdict */
};

struct issu_w_reneg {
    uint32_t client; /**< 0 = every client */
    uint32_t entity; /**< 0 = every entity of the client */
};

struct issu_w_error {
    uint16_t code;
    struct issu_wstr text;
};

/** A decoded message; which member is valid depends on type. */
struct issu_wmsg {
    uint8_t type;
    union {
        struct issu_w_hello hello;
        struct issu_w_inventory inv;
        struct issu_w_nego nego;
        struct issu_w_round round;
        struct issu_w_reneg reneg;
        struct issu_w_error error;
    } u;
};

void issu_buf_free(struct issu_buf *b);
/** Room for @p more bytes after b->len (capacity doubles). */
int issu_buf_reserve(struct issu_buf *b, size_t more);
/** Append @p len bytes (@p data may be NULL: reserve and count them). */
int issu_buf_append(struct issu_buf *b, const void *data, size_t len);
void issu_scratch_free(struct issu_scratch *s);

/* ---- encoding: each appends one whole frame to @p b ---- */
int issu_enc_hello(struct issu_buf *b, const struct issu_w_hello *m);
/** INVENTORY straight from an image. */
int issu_enc_inventory(struct issu_buf *b, const struct issu_image *img);
/** NEGO_REQ / NEGO_RSP for a local entity (type = ISSU_MSG_NEGO_REQ or _RSP). */
int issu_enc_nego(struct issu_buf *b, uint8_t type, uint32_t round, const struct issu_client *c,
                  const struct issu_entity *e, uint32_t sid, uint32_t transport_mtu,
                  uint8_t raw_result);
int issu_enc_round(struct issu_buf *b, uint8_t type, uint32_t round, uint32_t count);
int issu_enc_reneg(struct issu_buf *b, uint32_t client, uint32_t entity);
int issu_enc_error(struct issu_buf *b, uint16_t code, const char *text);
int issu_enc_keepalive(struct issu_buf *b);

/* ---- decoding ---- */

/**
 * Inspect the start of a byte stream. Returns ISSU_OK with *frame_len set to
 * the whole frame's length when a complete frame is present, ISSU_OK with
 * *frame_len = 0 when more bytes are needed, ISSU_ERR_DECODE for a bad magic
 * or an oversized length, ISSU_ERR_VERSION for another protocol version.
 */
int issu_frame_peek(const uint8_t *data, size_t len, size_t *frame_len);

/**
 * Decode one complete frame (as delimited by issu_frame_peek). Lists go to
 * @p scratch (reset here); strings point into @p frame.
 */
int issu_decode(const uint8_t *frame, size_t len, struct issu_scratch *scratch,
                struct issu_wmsg *out);

#endif
