/*
 * auth.h - peer authentication and the secure frame layer of the TCP link.
 *
 * Two issud share a pre-shared key (PSK). Before any codec byte is read they
 * run a mutual challenge-response, then every byte of the codec stream is
 * carried in AEAD frames (AES-256-GCM: authenticated and encrypted). Everything
 * here is a pure function of buffers (no sockets), so it is unit tested and
 * fuzzed on its own.
 *
 * Handshake (I = initiator, the side that connected; R = responder):
 *   both  -> AUTH_HELLO  "ISSA" | version 2 | role (0 = I, 1 = R) | 0 0 | nonce[32]
 *   I     -> proof_I  = HMAC-SHA-256(psk, "issu-auth v2" | "initiator" | nonce_I | nonce_R)
 *   R     -> proof_R  = HMAC-SHA-256(psk, "issu-auth v2" | "responder" | nonce_I | nonce_R)
 * R answers only after proof_I checked, so a stranger who connects learns
 * nothing computed from the key. Distinct role labels make a proof useless in
 * the other direction (reflection), an echoed nonce or an equal role is
 * refused, and proofs compare in constant time (CRYPTO_memcmp). A version 1
 * peer (HMAC'd frames) is refused at its hello: no mixed link.
 * One key per direction:
 *   K_dir = HMAC-SHA-256(psk, "issu-key v2" | dir | nonce_I | nonce_R), dir "i2r" or "r2i".
 *
 * Secure frames (both directions, after the handshake):
 *   u32 length (BE, <= ISSU_SEC_MAX_PAYLOAD) | ciphertext[length] | tag[16]
 *   AES-256-GCM(K_dir, iv = dirbyte | 0 0 0 | u64 seq (BE), aad = the u32 length)
 * dirbyte is 0 for i2r, 1 for r2i; seq counts the frames of one direction from
 * 0 and is implicit, so a tampered, replayed, reordered, dropped or reflected
 * frame (other key, other iv) fails its tag and nothing of it is delivered.
 * A (key, iv) pair is never reused: fresh nonces give fresh keys per
 * connection, and a direction stops before its seq could wrap. The payload is
 * a slice of the codec's byte stream (frames do not align with codec
 * messages); an empty payload is a keepalive.
 */
#ifndef ISSU_AUTH_H
#define ISSU_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

#define ISSU_AUTH_VERSION 2
#define ISSU_AUTH_NONCE 32
#define ISSU_AUTH_MAC 32                 /**< handshake proofs, derived keys */
#define ISSU_SEC_TAG 16                  /**< GCM tag per frame */
#define ISSU_AUTH_HELLO 40               /**< "ISSA" ver role 0 0 nonce */
#define ISSU_PSK_MIN 16
#define ISSU_PSK_MAX 4096
#define ISSU_SEC_MAX_PAYLOAD (64u * 1024u) /**< larger sends are split */
#define ISSU_SEC_OVERHEAD (4 + ISSU_SEC_TAG)

enum issu_sec_role { ISSU_SEC_INITIATOR = 0, ISSU_SEC_RESPONDER = 1 };

enum issu_sec_state {
    ISSU_SEC_HELLO = 0,  /**< waiting for the peer's AUTH_HELLO */
    ISSU_SEC_PROOF,      /**< waiting for the peer's proof */
    ISSU_SEC_OPEN,       /**< authenticated: secure frames */
    ISSU_SEC_FAILED,     /**< refused: drop the connection */
};

/** Called for every verified non-empty frame payload, in order. Non-zero stops input. */
typedef int (*issu_sec_deliver)(void *arg, const uint8_t *data, size_t len);

struct issu_sec {
    enum issu_sec_role role;
    enum issu_sec_state state;
    uint8_t *psk;
    size_t psk_len;
    uint8_t nonce[2][ISSU_AUTH_NONCE]; /**< [0] initiator's, [1] responder's */
    uint8_t key[2][ISSU_AUTH_MAC]; /**< [0] i2r, [1] r2i */
    uint64_t tx_seq, rx_seq;
    uint64_t rx_frames;     /**< verified frames, keepalives included */
    struct issu_buf in;     /**< an incomplete frame (or handshake message) */
    uint8_t *plain;         /**< an opened payload (ISSU_SEC_MAX_PAYLOAD) */
    struct issu_buf out;    /**< bytes for the socket: out.data[out_off..out.len] */
    size_t out_off;
    char why[160];          /**< why the last call failed */
    void *mac;              /**< EVP_MAC_CTX (handshake) */
    void *tx, *rx;          /**< EVP_CIPHER_CTX, keyed once the link is open */
};

/**
 * Parse the content of a PSK file: the key is every byte once one trailing
 * "\n" or "\r\n" is stripped, and must be ISSU_PSK_MIN to ISSU_PSK_MAX bytes
 * long (ISSU_ERR_INVAL otherwise, reason in @p err). *key is freed with
 * issu_psk_free; on failure it is NULL.
 */
int issu_psk_parse(const uint8_t *data, size_t len, uint8_t **key, size_t *keylen, char *err, size_t errlen);

/**
 * Read a PSK file and parse it (issu_psk_parse). Also refused, before a byte
 * is read: a missing or non-regular file (a FIFO is not waited on), a file
 * readable or writable by group or others (ISSU_ERR_IO/ISSU_ERR_INVAL).
 */
int issu_psk_load(const char *path, uint8_t **key, size_t *len, char *err, size_t errlen);
void issu_psk_free(uint8_t *key, size_t len);

/** Start a handshake: a random nonce; the AUTH_HELLO is queued in out. */
int issu_sec_init(struct issu_sec *s, enum issu_sec_role role, const uint8_t *psk, size_t psk_len);
/** The same with a given nonce (tests and fuzzing: deterministic). */
int issu_sec_init_nonce(struct issu_sec *s, enum issu_sec_role role, const uint8_t *psk,
                        size_t psk_len, const uint8_t nonce[ISSU_AUTH_NONCE]);
void issu_sec_clear(struct issu_sec *s);

/**
 * Bytes from the socket, any split. Handshake messages are answered into out;
 * verified (decrypted) frame payloads go to @p cb. Returns ISSU_OK,
 * ISSU_ERR_DECODE (bad magic, oversized length, tag mismatch), ISSU_ERR_VERSION, ISSU_ERR_PROTO
 * (proof refused, same role, echoed nonce) or what @p cb returned; after an
 * error the state is FAILED, s->why says why and nothing more is delivered.
 */
int issu_sec_input(struct issu_sec *s, const uint8_t *data, size_t len, issu_sec_deliver cb, void *arg);

/**
 * Seal @p len bytes (0: one keepalive) into frames appended to out: encrypted
 * straight from @p data into out (no staging copy). Needs OPEN.
 */
int issu_sec_seal(struct issu_sec *s, const uint8_t *data, size_t len);

/** Bytes waiting in out, and drop @p n of them once written. */
size_t issu_sec_pending(const struct issu_sec *s);
void issu_sec_consume(struct issu_sec *s, size_t n);

#endif
