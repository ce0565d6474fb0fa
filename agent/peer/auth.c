/*
 * auth.c - PSK files, the challenge-response handshake and secure frames
 * (auth.h). OpenSSL's libcrypto does the HMAC-SHA-256 of the handshake, the
 * AES-256-GCM of the frames (AES-NI/PCLMUL where the CPU has them: ~2.5x the
 * HMAC-SHA-256 it replaces, and one pass that also moves the bytes) and the
 * randomness.
 */
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "issu_err.h"

static const char MAGIC[4] = {'I', 'S', 'S', 'A'};

/* ---------------------------------------------------------------- PSK file */

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

int issu_psk_parse(const uint8_t *data, size_t len, uint8_t **key, size_t *keylen, char *err, size_t errlen)
{
    int rc = ISSU_OK;

    *key = NULL;
    *keylen = 0;
    if (!data && len) {
        set_err(err, errlen, "no data");
        return ISSU_ERR_INVAL;
    }
    if (len && data[len - 1] == '\n') {
        len--;
        if (len && data[len - 1] == '\r')
            len--;
    }
    if (len < ISSU_PSK_MIN) {
        set_err(err, errlen, "too little key material (%zu bytes): %d to %d bytes needed", len, ISSU_PSK_MIN,
                ISSU_PSK_MAX);
        return ISSU_ERR_INVAL;
    }
    if (len > ISSU_PSK_MAX) {
        set_err(err, errlen, "too much key material (over %d bytes): %d to %d bytes needed", ISSU_PSK_MAX,
                ISSU_PSK_MIN, ISSU_PSK_MAX);
        return ISSU_ERR_INVAL;
    }
    *key = malloc(len);
    ISSU_CHECK_MEM(*key, rc);
    memcpy(*key, data, len);
    *keylen = len;
cleanup:
    if (rc != ISSU_OK)
        set_err(err, errlen, "%s", issu_strerror(rc));
    return rc;
}

int issu_psk_load(const char *path, uint8_t **key, size_t *len, char *err, size_t errlen)
{
    /* room for the largest key and its "\r\n", and one byte to tell a longer file */
    uint8_t buf[ISSU_PSK_MAX + 3];
    char why[160] = "";
    struct stat st;
    size_t got = 0;
    ssize_t n;
    int fd, rc = ISSU_OK;

    *key = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO must be refused, not waited on for a writer */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        set_err(err, errlen, "%s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "%s: not a regular file", path);
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    /* like ssh with private keys: a key others can read is refused, not warned about */
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        set_err(err, errlen, "%s: mode %04o: a pre-shared key must not be accessible by group or "
                "others (chmod 600)", path, (unsigned)(st.st_mode & 07777));
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    while (got < sizeof(buf)) {
        n = read(fd, buf + got, sizeof(buf) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_err(err, errlen, "%s: %s", path, strerror(errno));
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        }
        if (!n)
            break;
        got += (size_t)n;
    }
    /* a file filling buf is over ISSU_PSK_MAX whatever follows: parse refuses it */
    rc = issu_psk_parse(buf, got, key, len, why, sizeof(why));
    if (rc != ISSU_OK)
        set_err(err, errlen, "%s: %s", path, why);
cleanup:
    OPENSSL_cleanse(buf, sizeof(buf));
    close(fd);
    return rc;
}

void issu_psk_free(uint8_t *key, size_t len)
{
    if (!key)
        return;
    OPENSSL_cleanse(key, len);
    free(key);
}

/* ---------------------------------------------------------------- HMAC */

struct part {
    const void *p;
    size_t n;
};

static int hmac(struct issu_sec *s, const uint8_t *key, size_t klen, const struct part *parts, int np,
                uint8_t out[ISSU_AUTH_MAC])
{
    OSSL_PARAM params[2];
    size_t olen = 0;
    int i;

    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (!EVP_MAC_init(s->mac, key, klen, params))
        return ISSU_ERR_INVAL;
    for (i = 0; i < np; i++)
        if (parts[i].n && !EVP_MAC_update(s->mac, parts[i].p, parts[i].n))
            return ISSU_ERR_INVAL;
    if (!EVP_MAC_final(s->mac, out, &olen, ISSU_AUTH_MAC) || olen != ISSU_AUTH_MAC)
        return ISSU_ERR_INVAL;
    return ISSU_OK;
}

static int proof(struct issu_sec *s, enum issu_sec_role who, uint8_t out[ISSU_AUTH_MAC])
{
    struct part p[4] = {
        {"issu-auth v2", 12},
        {who == ISSU_SEC_INITIATOR ? "initiator" : "responder", 9},
        {s->nonce[0], ISSU_AUTH_NONCE},
        {s->nonce[1], ISSU_AUTH_NONCE},
    };
    return hmac(s, s->psk, s->psk_len, p, 4, out);
}

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* iv = dirbyte | 0 0 0 | u64 seq (BE): unique per key for the life of a link */
static void frame_iv(int from_initiator, uint64_t seq, uint8_t iv[12])
{
    int i;

    iv[0] = from_initiator ? 0 : 1;
    iv[1] = iv[2] = iv[3] = 0;
    for (i = 0; i < 8; i++)
        iv[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
}

/* Encrypt plen bytes from payload into ct and write the tag; len4 is the AAD. */
static int frame_seal(struct issu_sec *s, const uint8_t *len4, const uint8_t *payload, size_t plen,
                      uint8_t *ct, uint8_t tag[ISSU_SEC_TAG])
{
    EVP_CIPHER_CTX *c = s->tx;
    uint8_t iv[12];
    int n = 0;

    frame_iv(s->role == ISSU_SEC_INITIATOR, s->tx_seq, iv);
    if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_EncryptUpdate(c, NULL, &n, len4, 4) ||
        (plen && !EVP_EncryptUpdate(c, ct, &n, payload, (int)plen)) || !EVP_EncryptFinal_ex(c, ct + plen, &n) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, ISSU_SEC_TAG, tag))
        return ISSU_ERR_INVAL;
    return ISSU_OK;
}

/* Decrypt into s->plain; 0 = authentic, 1 = tag mismatch, <0 = libcrypto failure. */
static int frame_open(struct issu_sec *s, const uint8_t *len4, const uint8_t *ct, size_t plen,
                      const uint8_t *tag)
{
    EVP_CIPHER_CTX *c = s->rx;
    uint8_t iv[12];
    int n = 0;

    frame_iv(s->role == ISSU_SEC_RESPONDER, s->rx_seq, iv);
    if (!EVP_DecryptInit_ex(c, NULL, NULL, NULL, iv) || !EVP_DecryptUpdate(c, NULL, &n, len4, 4) ||
        (plen && !EVP_DecryptUpdate(c, s->plain, &n, ct, (int)plen)) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ISSU_SEC_TAG, (void *)tag))
        return -1;
    return EVP_DecryptFinal_ex(c, s->plain + plen, &n) == 1 ? 0 : 1;
}

size_t issu_sec_pending(const struct issu_sec *s)
{
    return s->out.len - s->out_off;
}

void issu_sec_consume(struct issu_sec *s, size_t n)
{
    if (n > issu_sec_pending(s))
        n = issu_sec_pending(s);
    s->out_off += n;
    if (s->out_off == s->out.len) {
        s->out.len = s->out_off = 0;
    } else if (s->out_off >= (1u << 20) && s->out_off * 2 >= s->out.len) {
        memmove(s->out.data, s->out.data + s->out_off, s->out.len - s->out_off);
        s->out.len -= s->out_off;
        s->out_off = 0;
    }
}

/* ---------------------------------------------------------------- handshake */

int issu_sec_init_nonce(struct issu_sec *s, enum issu_sec_role role, const uint8_t *psk,
                        size_t psk_len, const uint8_t nonce[ISSU_AUTH_NONCE])
{
    uint8_t hello[ISSU_AUTH_HELLO];
    EVP_MAC *m;
    int rc;

    memset(s, 0, sizeof(*s));
    if ((role != ISSU_SEC_INITIATOR && role != ISSU_SEC_RESPONDER) || !psk ||
        psk_len < ISSU_PSK_MIN || psk_len > ISSU_PSK_MAX)
        return ISSU_ERR_INVAL;
    s->role = role;
    s->state = ISSU_SEC_HELLO;
    s->psk = malloc(psk_len);
    ISSU_CHECK_MEM(s->psk, rc);
    memcpy(s->psk, psk, psk_len);
    s->psk_len = psk_len;
    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (m) {
        s->mac = EVP_MAC_CTX_new(m);
        EVP_MAC_free(m); /* the context keeps its own reference */
    }
    ISSU_CHECK_MEM(s->mac, rc);
    memcpy(s->nonce[role], nonce, ISSU_AUTH_NONCE);
    memcpy(hello, MAGIC, 4);
    hello[4] = ISSU_AUTH_VERSION;
    hello[5] = (uint8_t)role;
    hello[6] = hello[7] = 0;
    memcpy(hello + 8, nonce, ISSU_AUTH_NONCE);
    ISSU_CHECK_GOTO(issu_buf_append(&s->out, hello, sizeof(hello)), rc);
    return ISSU_OK;
cleanup:
    issu_sec_clear(s);
    return rc;
}

int issu_sec_init(struct issu_sec *s, enum issu_sec_role role, const uint8_t *psk, size_t psk_len)
{
    uint8_t nonce[ISSU_AUTH_NONCE];

    memset(s, 0, sizeof(*s));
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        return ISSU_ERR_IO;
    return issu_sec_init_nonce(s, role, psk, psk_len, nonce);
}

void issu_sec_clear(struct issu_sec *s)
{
    issu_psk_free(s->psk, s->psk_len);
    EVP_MAC_CTX_free(s->mac);
    EVP_CIPHER_CTX_free(s->tx);
    EVP_CIPHER_CTX_free(s->rx);
    OPENSSL_cleanse(s->key, sizeof(s->key));
    free(s->plain);
    issu_buf_free(&s->in);
    issu_buf_free(&s->out);
    memset(s, 0, sizeof(*s));
}

static int fail(struct issu_sec *s, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct issu_sec *s, int rc, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->why, sizeof(s->why), fmt, ap);
    va_end(ap);
    s->state = ISSU_SEC_FAILED;
    s->in.len = 0;
    return rc;
}

static int on_hello(struct issu_sec *s, const uint8_t *m)
{
    enum issu_sec_role peer = s->role == ISSU_SEC_INITIATOR ? ISSU_SEC_RESPONDER : ISSU_SEC_INITIATOR;
    uint8_t pr[ISSU_AUTH_MAC];
    int rc;

    if (memcmp(m, MAGIC, 4))
        return fail(s, ISSU_ERR_DECODE, "not an issu peer (no auth hello)");
    if (m[4] != ISSU_AUTH_VERSION)
        return fail(s, ISSU_ERR_VERSION, "auth protocol version %u, we speak %u", m[4], ISSU_AUTH_VERSION);
    if (m[5] != (uint8_t)peer || m[6] || m[7])
        return fail(s, ISSU_ERR_PROTO, "peer claims role %u: both ends %s", m[5],
                    m[5] == (uint8_t)s->role ? "have the same role" : "disagree");
    if (!CRYPTO_memcmp(m + 8, s->nonce[s->role], ISSU_AUTH_NONCE))
        return fail(s, ISSU_ERR_PROTO, "peer echoed our nonce (reflection)");
    memcpy(s->nonce[peer], m + 8, ISSU_AUTH_NONCE);
    s->state = ISSU_SEC_PROOF;
    if (s->role == ISSU_SEC_INITIATOR) {
        ISSU_CHECK(proof(s, ISSU_SEC_INITIATOR, pr));
        rc = issu_buf_append(&s->out, pr, sizeof(pr));
        OPENSSL_cleanse(pr, sizeof(pr));
        return rc;
    }
    return ISSU_OK;
}

static int on_proof(struct issu_sec *s, const uint8_t *m)
{
    enum issu_sec_role peer = s->role == ISSU_SEC_INITIATOR ? ISSU_SEC_RESPONDER : ISSU_SEC_INITIATOR;
    uint8_t want[ISSU_AUTH_MAC];
    struct part kp[4] = {
        {"issu-key v2", 11},
        {NULL, 3},
        {s->nonce[0], ISSU_AUTH_NONCE},
        {s->nonce[1], ISSU_AUTH_NONCE},
    };
    int rc, d, mine = s->role == ISSU_SEC_INITIATOR ? 0 : 1;

    ISSU_CHECK(proof(s, peer, want));
    if (CRYPTO_memcmp(want, m, ISSU_AUTH_MAC))
        return fail(s, ISSU_ERR_PROTO, "authentication failed: wrong pre-shared key");
    if (s->role == ISSU_SEC_RESPONDER) {
        ISSU_CHECK(proof(s, ISSU_SEC_RESPONDER, want));
        rc = issu_buf_append(&s->out, want, sizeof(want));
        OPENSSL_cleanse(want, sizeof(want));
        ISSU_CHECK(rc);
    }
    for (d = 0; d < 2; d++) {
        kp[1].p = d ? "r2i" : "i2r";
        ISSU_CHECK(hmac(s, s->psk, s->psk_len, kp, 4, s->key[d]));
    }
    /* the key schedules are computed once per link, not per frame */
    s->tx = EVP_CIPHER_CTX_new();
    s->rx = EVP_CIPHER_CTX_new();
    s->plain = malloc(ISSU_SEC_MAX_PAYLOAD + ISSU_SEC_TAG);
    if (!s->tx || !s->rx || !s->plain)
        return fail(s, ISSU_ERR_NOMEM, "out of memory");
    if (!EVP_EncryptInit_ex(s->tx, EVP_aes_256_gcm(), NULL, s->key[mine], NULL) ||
        !EVP_DecryptInit_ex(s->rx, EVP_aes_256_gcm(), NULL, s->key[!mine], NULL))
        return fail(s, ISSU_ERR_INVAL, "AES-256-GCM unavailable in libcrypto");
    s->state = ISSU_SEC_OPEN;
    return ISSU_OK;
}

/*
 * Consume one unit (handshake message or frame) from d[0..len): *used is
 * its size, 0 when more bytes are needed.
 */
static int step(struct issu_sec *s, const uint8_t *d, size_t len, size_t *used, issu_sec_deliver cb,
                void *arg)
{
    uint32_t plen;
    int rc;

    *used = 0;
    switch (s->state) {
    case ISSU_SEC_HELLO:
        if (len >= 4 && memcmp(d, MAGIC, 4))
            return fail(s, ISSU_ERR_DECODE, "not an issu peer (no auth hello)");
        if (len < ISSU_AUTH_HELLO)
            return ISSU_OK;
        *used = ISSU_AUTH_HELLO;
        return on_hello(s, d);
    case ISSU_SEC_PROOF:
        /* the initiator's proof goes first: a responder's early bytes are garbage */
        if (len < ISSU_AUTH_MAC)
            return ISSU_OK;
        *used = ISSU_AUTH_MAC;
        return on_proof(s, d);
    case ISSU_SEC_OPEN:
        if (len < 4)
            return ISSU_OK;
        plen = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
        if (plen > ISSU_SEC_MAX_PAYLOAD)
            return fail(s, ISSU_ERR_DECODE, "frame length %u over %u", plen, ISSU_SEC_MAX_PAYLOAD);
        if (len < 4 + (size_t)plen + ISSU_SEC_TAG)
            return ISSU_OK;
        if (s->rx_seq == UINT64_MAX)
            return fail(s, ISSU_ERR_PROTO, "frame sequence exhausted");
        rc = frame_open(s, d, d + 4, plen, d + 4 + plen);
        if (rc < 0)
            return fail(s, ISSU_ERR_INVAL, "libcrypto failed to open frame %llu",
                        (unsigned long long)s->rx_seq);
        if (rc)
            return fail(s, ISSU_ERR_DECODE, "frame %llu: integrity check failed (tampered, replayed, "
                        "reordered or dropped)", (unsigned long long)s->rx_seq);
        s->rx_seq++;
        s->rx_frames++;
        *used = 4 + (size_t)plen + ISSU_SEC_TAG;
        if (plen && cb) {
            rc = cb(arg, s->plain, plen);
            if (rc != ISSU_OK)
                return fail(s, rc, "payload refused: %s", issu_strerror(rc));
        }
        return ISSU_OK;
    default:
        return fail(s, ISSU_ERR_PROTO, "input after failure");
    }
}

/* The size of the unit starting at d[0..len) as far as its first bytes tell. */
static size_t unit_size(const struct issu_sec *s, const uint8_t *d, size_t len)
{
    uint32_t plen;

    switch (s->state) {
    case ISSU_SEC_HELLO:
        return ISSU_AUTH_HELLO;
    case ISSU_SEC_PROOF:
        return ISSU_AUTH_MAC;
    case ISSU_SEC_OPEN:
        if (len < 4)
            return 4;
        plen = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
        return plen > ISSU_SEC_MAX_PAYLOAD ? 4 : 4 + (size_t)plen + ISSU_SEC_TAG;
    default:
        return 1;
    }
}

int issu_sec_input(struct issu_sec *s, const uint8_t *data, size_t len, issu_sec_deliver cb, void *arg)
{
    size_t off = 0, used, want, take;
    int rc = ISSU_OK;

    if (s->state == ISSU_SEC_FAILED)
        return ISSU_ERR_PROTO;
    /*
     * Like the endpoint: decode in place and keep only an incomplete tail. A
     * held tail is topped up with just the bytes that complete its unit, so
     * the rest of @p data is never copied.
     */
    while (s->in.len && off < len) {
        want = unit_size(s, s->in.data, s->in.len);
        take = want > s->in.len ? want - s->in.len : 0;
        if (take > len - off)
            take = len - off;
        ISSU_CHECK_GOTO(issu_buf_append(&s->in, data + off, take), rc);
        off += take;
        ISSU_CHECK_GOTO(step(s, s->in.data, s->in.len, &used, cb, arg), rc);
        if (!used && !take) { /* cannot happen: unit_size and step agree */
            rc = fail(s, ISSU_ERR_PROTO, "secure layer made no progress");
            goto cleanup;
        }
        if (used) {
            memmove(s->in.data, s->in.data + used, s->in.len - used);
            s->in.len -= used;
        }
    }
    while (off < len) {
        ISSU_CHECK_GOTO(step(s, data + off, len - off, &used, cb, arg), rc);
        if (!used)
            break;
        off += used;
    }
    if (off < len)
        ISSU_CHECK_GOTO(issu_buf_append(&s->in, data + off, len - off), rc);
    return ISSU_OK;
cleanup:
    if (s->state != ISSU_SEC_FAILED)
        fail(s, rc, "%s", issu_strerror(rc));
    s->in.len = 0;
    return rc;
}

int issu_sec_seal(struct issu_sec *s, const uint8_t *data, size_t len)
{
    size_t off = 0, n, frames = len ? (len + ISSU_SEC_MAX_PAYLOAD - 1) / ISSU_SEC_MAX_PAYLOAD : 1;
    uint8_t *f;

    if (s->state != ISSU_SEC_OPEN)
        return ISSU_ERR_PROTO;
    if (s->tx_seq > UINT64_MAX - frames)
        return ISSU_ERR_PROTO; /* never reuse an iv */
    ISSU_CHECK(issu_buf_reserve(&s->out, len + frames * ISSU_SEC_OVERHEAD));
    do {
        n = len - off > ISSU_SEC_MAX_PAYLOAD ? ISSU_SEC_MAX_PAYLOAD : len - off;
        f = s->out.data + s->out.len;
        be32(f, (uint32_t)n);
        /* encrypted straight into the output queue */
        ISSU_CHECK(frame_seal(s, f, n ? data + off : NULL, n, f + 4, f + 4 + n));
        s->out.len += 4 + n + ISSU_SEC_TAG;
        s->tx_seq++;
        off += n;
    } while (off < len);
    return ISSU_OK;
}
