/*
 * test_auth.c - the PSK handshake and secure frames (agent/peer/auth.c):
 * success, wrong keys either way, reflection, tampering, replay, reordering,
 * truncation, oversized lengths, every split of the stream, the frame format
 * recomputed by hand (HMAC key derivation, AES-256-GCM), PSK files and
 * their parser (malformed, truncated, oversized, FIFO, device).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "issu_err.h"

static const uint8_t KEY[] = "0123456789abcdef-test-key";
static const uint8_t KEY2[] = "0123456789abcdef-test-kez";
#define KLEN (sizeof(KEY) - 1)

/* What a receiver delivered. */
struct sink {
    uint8_t data[1 << 18];
    size_t len;
    int calls;
};

static int to_sink(void *arg, const uint8_t *d, size_t n)
{
    struct sink *k = arg;

    assert_true(k->len + n <= sizeof(k->data));
    memcpy(k->data + k->len, d, n);
    k->len += n;
    k->calls++;
    return ISSU_OK;
}

/* Move everything a has queued into b (in chunks of @p chunk; 0 = whole). */
static int pass(struct issu_sec *a, struct issu_sec *b, size_t chunk, struct sink *k)
{
    size_t n = issu_sec_pending(a), off = 0, c;
    uint8_t *tmp = malloc(n ? n : 1);
    int rc = ISSU_OK;

    assert_non_null(tmp);
    memcpy(tmp, a->out.data + a->out_off, n);
    issu_sec_consume(a, n);
    while (off < n && rc == ISSU_OK) {
        c = chunk && n - off > chunk ? chunk : n - off;
        rc = issu_sec_input(b, tmp + off, c, to_sink, k);
        off += c;
    }
    free(tmp);
    return rc;
}

static void handshake(struct issu_sec *i, struct issu_sec *r, const uint8_t *ki, const uint8_t *kr)
{
    assert_int_equal(issu_sec_init(i, ISSU_SEC_INITIATOR, ki, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_init(r, ISSU_SEC_RESPONDER, kr, KLEN), ISSU_OK);
}

static void open_handshaken(struct issu_sec *i, struct issu_sec *r)
{
    assert_int_equal(pass(i, r, 0, NULL), ISSU_OK);
    assert_int_equal(pass(r, i, 0, NULL), ISSU_OK); /* hello_R: I proves */
    assert_int_equal(issu_sec_pending(r), 0);        /* R says nothing keyed before I proved */
    assert_int_equal(pass(i, r, 0, NULL), ISSU_OK);
    assert_int_equal(r->state, ISSU_SEC_OPEN);
    assert_int_equal(pass(r, i, 0, NULL), ISSU_OK);
    assert_int_equal(i->state, ISSU_SEC_OPEN);
    assert_memory_equal(i->key, r->key, sizeof(i->key));
    /* one key per direction */
    assert_memory_not_equal(i->key[0], i->key[1], ISSU_AUTH_MAC);
}

static void open_pair(struct issu_sec *i, struct issu_sec *r)
{
    handshake(i, r, KEY, KEY);
    open_handshaken(i, r);
}

/* The same with fixed nonces: the same keys every time. */
static const uint8_t FIX_I[ISSU_AUTH_NONCE] = {'I'}, FIX_R[ISSU_AUTH_NONCE] = {'R'};
static void open_fixed(struct issu_sec *i, struct issu_sec *r, const uint8_t *n_r)
{
    assert_int_equal(issu_sec_init_nonce(i, ISSU_SEC_INITIATOR, KEY, KLEN, FIX_I), ISSU_OK);
    assert_int_equal(issu_sec_init_nonce(r, ISSU_SEC_RESPONDER, KEY, KLEN, n_r), ISSU_OK);
    open_handshaken(i, r);
}

static void test_success(void **state)
{
    struct issu_sec i, r;
    static struct sink k;
    (void)state;

    open_pair(&i, &r);
    memset(&k, 0, sizeof(k));
    assert_int_equal(issu_sec_seal(&i, (const uint8_t *)"hello", 5), ISSU_OK);
    assert_int_equal(issu_sec_seal(&i, NULL, 0), ISSU_OK); /* keepalive */
    assert_int_equal(issu_sec_seal(&i, (const uint8_t *)" world", 6), ISSU_OK);
    assert_int_equal(pass(&i, &r, 0, &k), ISSU_OK);
    assert_int_equal(k.len, 11);
    assert_memory_equal(k.data, "hello world", 11);
    assert_int_equal(k.calls, 2);
    assert_int_equal(r.rx_frames, 3);
    /* and back */
    memset(&k, 0, sizeof(k));
    assert_int_equal(issu_sec_seal(&r, (const uint8_t *)"pong", 4), ISSU_OK);
    assert_int_equal(pass(&r, &i, 0, &k), ISSU_OK);
    assert_memory_equal(k.data, "pong", 4);
    issu_sec_clear(&i);
    issu_sec_clear(&r);
}

static void test_wrong_key_initiator(void **state)
{
    struct issu_sec i, r;
    (void)state;

    /* the connecting side has the wrong key: the responder refuses its proof
     * and never sends one of its own */
    handshake(&i, &r, KEY2, KEY);
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_OK);
    assert_int_equal(pass(&r, &i, 0, NULL), ISSU_OK);
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_ERR_PROTO);
    assert_int_equal(r.state, ISSU_SEC_FAILED);
    assert_non_null(strstr(r.why, "wrong pre-shared key"));
    assert_int_equal(issu_sec_pending(&r), 0);
    assert_int_equal(issu_sec_seal(&r, (const uint8_t *)"x", 1), ISSU_ERR_PROTO);
    issu_sec_clear(&i);
    issu_sec_clear(&r);
}

static void test_wrong_key_responder(void **state)
{
    struct issu_sec i, r;
    (void)state;

    /* the listening side has the wrong key: it refuses the initiator's proof;
     * a responder that skipped the check and answered anyway is refused too */
    handshake(&i, &r, KEY, KEY2);
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_OK);
    assert_int_equal(pass(&r, &i, 0, NULL), ISSU_OK);
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_ERR_PROTO);
    issu_sec_clear(&r);

    {
        /* a responder with the wrong key that answered anyway: its proof,
         * computed here by hand, is refused by the initiator */
        struct issu_sec i2, r2;
        uint8_t msg[12 + 9 + 2 * ISSU_AUTH_NONCE], pr[ISSU_AUTH_MAC];
        unsigned plen = 0;
        handshake(&i2, &r2, KEY, KEY2);
        assert_int_equal(pass(&i2, &r2, 0, NULL), ISSU_OK);
        assert_int_equal(pass(&r2, &i2, 0, NULL), ISSU_OK);
        memcpy(msg, "issu-auth v2responder", 21);
        memcpy(msg + 21, i2.nonce[0], ISSU_AUTH_NONCE);
        memcpy(msg + 21 + ISSU_AUTH_NONCE, i2.nonce[1], ISSU_AUTH_NONCE);
        assert_non_null(HMAC(EVP_sha256(), KEY2, (int)KLEN, msg, sizeof(msg), pr, &plen));
        assert_int_equal(plen, ISSU_AUTH_MAC);
        assert_int_equal(issu_sec_input(&i2, pr, sizeof(pr), NULL, NULL), ISSU_ERR_PROTO);
        assert_int_equal(i2.state, ISSU_SEC_FAILED);
        assert_non_null(strstr(i2.why, "wrong pre-shared key"));
        issu_sec_clear(&i2);
        issu_sec_clear(&r2);

        /* the same with the right key is accepted: the hand computation is the protocol */
        handshake(&i2, &r2, KEY, KEY);
        assert_int_equal(pass(&i2, &r2, 0, NULL), ISSU_OK);
        assert_int_equal(pass(&r2, &i2, 0, NULL), ISSU_OK);
        memcpy(msg + 21, i2.nonce[0], ISSU_AUTH_NONCE);
        memcpy(msg + 21 + ISSU_AUTH_NONCE, i2.nonce[1], ISSU_AUTH_NONCE);
        assert_non_null(HMAC(EVP_sha256(), KEY, (int)KLEN, msg, sizeof(msg), pr, &plen));
        assert_int_equal(issu_sec_input(&i2, pr, sizeof(pr), NULL, NULL), ISSU_OK);
        assert_int_equal(i2.state, ISSU_SEC_OPEN);
        issu_sec_clear(&i2);
        issu_sec_clear(&r2);
    }
    issu_sec_clear(&i);
}

static void test_reflection(void **state)
{
    struct issu_sec a, b;
    uint8_t hello[ISSU_AUTH_HELLO], proof_i[ISSU_AUTH_MAC];
    (void)state;

    /* 1. our own hello echoed back: same role, refused */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    memcpy(hello, a.out.data, sizeof(hello));
    assert_int_equal(issu_sec_input(&a, hello, sizeof(hello), NULL, NULL), ISSU_ERR_PROTO);
    assert_non_null(strstr(a.why, "same role"));
    issu_sec_clear(&a);

    /* 2. role byte rewritten, our nonce echoed: refused */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    memcpy(hello, a.out.data, sizeof(hello));
    hello[5] = ISSU_SEC_INITIATOR;
    assert_int_equal(issu_sec_input(&a, hello, sizeof(hello), NULL, NULL), ISSU_ERR_PROTO);
    assert_non_null(strstr(a.why, "nonce"));
    issu_sec_clear(&a);

    /* 3. an initiator's own proof reflected back as the responder's proof:
     * the labels differ, so it fails */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_INITIATOR, KEY, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_init(&b, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    assert_int_equal(pass(&a, &b, 0, NULL), ISSU_OK);
    assert_int_equal(pass(&b, &a, 0, NULL), ISSU_OK);
    assert_int_equal(issu_sec_pending(&a), ISSU_AUTH_MAC);
    memcpy(proof_i, a.out.data + a.out_off, ISSU_AUTH_MAC);
    assert_int_equal(issu_sec_input(&a, proof_i, sizeof(proof_i), NULL, NULL), ISSU_ERR_PROTO);
    issu_sec_clear(&a);
    issu_sec_clear(&b);
}

static void test_bad_hello(void **state)
{
    struct issu_sec a;
    uint8_t h[ISSU_AUTH_HELLO];
    struct issu_sec p;
    (void)state;

    /* garbage: refused on the first 4 bytes */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_input(&a, (const uint8_t *)"GET / HTTP/1.0\r\n", 16, NULL, NULL),
                     ISSU_ERR_DECODE);
    issu_sec_clear(&a);
    /* the codec's own frames straight away (no auth): refused */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_input(&a, (const uint8_t *)"IS\x01\x01\0\0\0\0", 8, NULL, NULL),
                     ISSU_ERR_DECODE);
    issu_sec_clear(&a);
    /* another auth version: 1 (HMAC'd frames) and a future one */
    assert_int_equal(issu_sec_init(&p, ISSU_SEC_INITIATOR, KEY, KLEN), ISSU_OK);
    memcpy(h, p.out.data, sizeof(h));
    assert_int_equal(h[4], 2);
    h[4] = 3;
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_input(&a, h, sizeof(h), NULL, NULL), ISSU_ERR_VERSION);
    issu_sec_clear(&a);
    h[4] = 1;
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, KLEN), ISSU_OK);
    assert_int_equal(issu_sec_input(&a, h, sizeof(h), NULL, NULL), ISSU_ERR_VERSION);
    assert_non_null(strstr(a.why, "version 1, we speak 2"));
    assert_int_equal(issu_sec_pending(&a), ISSU_AUTH_HELLO); /* only our own hello, nothing keyed */
    /* after a failure nothing more is taken */
    assert_int_equal(issu_sec_input(&a, p.out.data, sizeof(h), NULL, NULL), ISSU_ERR_PROTO);
    issu_sec_clear(&a);
    issu_sec_clear(&p);
    /* a PSK out of bounds */
    assert_int_equal(issu_sec_init(&a, ISSU_SEC_RESPONDER, KEY, 15), ISSU_ERR_INVAL);
    issu_sec_clear(&a);
}

/* Three sealed frames i -> r, copied out as separate byte strings. */
struct three {
    uint8_t f[3][64];
    size_t n[3];
};

static void seal3(struct issu_sec *i, struct three *t)
{
    const char *msg[3] = {"first", "second!", "third.."};
    int j;

    for (j = 0; j < 3; j++) {
        assert_int_equal(issu_sec_seal(i, (const uint8_t *)msg[j], strlen(msg[j])), ISSU_OK);
        t->n[j] = issu_sec_pending(i);
        memcpy(t->f[j], i->out.data + i->out_off, t->n[j]);
        issu_sec_consume(i, t->n[j]);
    }
}

static void test_tamper_replay_reorder(void **state)
{
    struct issu_sec i, r;
    static struct sink k;
    struct three t;
    size_t b;
    (void)state;

    /* every single flipped bit of a frame is refused */
    open_fixed(&i, &r, FIX_R);
    seal3(&i, &t);
    for (b = 0; b < t.n[0] * 8; b++) {
        struct issu_sec i2, r2;
        uint8_t f[64];
        memcpy(f, t.f[0], t.n[0]);
        f[b / 8] ^= (uint8_t)(1u << (b % 8));
        /* the same nonces give the same keys: a fresh receiver per try */
        open_fixed(&i2, &r2, FIX_R);
        memset(&k, 0, sizeof(k));
        /* refused, or (a longer length) still waiting: never delivered */
        if (issu_sec_input(&r2, f, t.n[0], to_sink, &k) == ISSU_OK)
            assert_int_equal(r2.in.len, t.n[0]);
        assert_int_equal(k.len, 0);
        assert_int_equal(r2.rx_frames, 0);
        issu_sec_clear(&i2);
        issu_sec_clear(&r2);
    }
    /* the intact frame opens in such a receiver (so the flips above were the cause) */
    {
        struct issu_sec i2, r2;
        open_fixed(&i2, &r2, FIX_R);
        memset(&k, 0, sizeof(k));
        assert_int_equal(issu_sec_input(&r2, t.f[0], t.n[0], to_sink, &k), ISSU_OK);
        assert_int_equal(k.len, 5);
        issu_sec_clear(&i2);
        issu_sec_clear(&r2);
        /* but not in a link with other nonces (same key): no replay across connections */
        static const uint8_t other[ISSU_AUTH_NONCE] = {'S'};
        open_fixed(&i2, &r2, other);
        memset(&k, 0, sizeof(k));
        assert_int_equal(issu_sec_input(&r2, t.f[0], t.n[0], to_sink, &k), ISSU_ERR_DECODE);
        assert_int_equal(k.len, 0);
        issu_sec_clear(&i2);
        issu_sec_clear(&r2);
    }
    /* in order: fine */
    memset(&k, 0, sizeof(k));
    assert_int_equal(issu_sec_input(&r, t.f[0], t.n[0], to_sink, &k), ISSU_OK);
    /* replayed: refused */
    assert_int_equal(issu_sec_input(&r, t.f[0], t.n[0], to_sink, &k), ISSU_ERR_DECODE);
    assert_non_null(strstr(r.why, "integrity"));
    assert_int_equal(k.len, 5);
    issu_sec_clear(&i);
    issu_sec_clear(&r);

    /* reordered (third before second): refused, nothing of it delivered */
    open_pair(&i, &r);
    seal3(&i, &t);
    memset(&k, 0, sizeof(k));
    assert_int_equal(issu_sec_input(&r, t.f[0], t.n[0], to_sink, &k), ISSU_OK);
    assert_int_equal(issu_sec_input(&r, t.f[2], t.n[2], to_sink, &k), ISSU_ERR_DECODE);
    assert_int_equal(k.len, 5);
    issu_sec_clear(&i);
    issu_sec_clear(&r);

    /* dropped frame (second missing) and reflection (our own frame back) */
    open_pair(&i, &r);
    seal3(&i, &t);
    assert_int_equal(issu_sec_input(&r, t.f[1], t.n[1], NULL, NULL), ISSU_ERR_DECODE);
    assert_int_equal(issu_sec_input(&i, t.f[0], t.n[0], NULL, NULL), ISSU_ERR_DECODE);
    issu_sec_clear(&i);
    issu_sec_clear(&r);
}

static void test_truncated_oversized(void **state)
{
    struct issu_sec i, r;
    static struct sink k;
    struct three t;
    uint8_t big[8] = {0x00, 0x01, 0x00, 0x01}; /* 65537 */
    (void)state;

    /* a truncated frame is held, never delivered */
    open_pair(&i, &r);
    seal3(&i, &t);
    memset(&k, 0, sizeof(k));
    assert_int_equal(issu_sec_input(&r, t.f[0], t.n[0] - 1, to_sink, &k), ISSU_OK);
    assert_int_equal(k.len, 0);
    assert_int_equal(r.in.len, t.n[0] - 1);
    /* completing it delivers it */
    assert_int_equal(issu_sec_input(&r, t.f[0] + t.n[0] - 1, 1, to_sink, &k), ISSU_OK);
    assert_int_equal(k.len, 5);
    /* a frame cut short and followed by the next one fails its MAC */
    assert_int_equal(issu_sec_input(&r, t.f[1], t.n[1] - 3, to_sink, &k), ISSU_OK);
    assert_int_equal(issu_sec_input(&r, t.f[2], t.n[2], to_sink, &k), ISSU_ERR_DECODE);
    assert_int_equal(k.len, 5);
    issu_sec_clear(&i);
    issu_sec_clear(&r);

    /* oversized length: refused from the 4 length bytes alone */
    open_pair(&i, &r);
    assert_int_equal(issu_sec_input(&r, big, 4, NULL, NULL), ISSU_ERR_DECODE);
    assert_non_null(strstr(r.why, "over"));
    assert_int_equal(r.in.len, 0);
    issu_sec_clear(&i);
    issu_sec_clear(&r);

    /* a big send is split into frames within the cap, and arrives whole */
    {
        size_t n = 3 * ISSU_SEC_MAX_PAYLOAD + 17, j;
        uint8_t *d = malloc(n);
        assert_non_null(d);
        for (j = 0; j < n; j++)
            d[j] = (uint8_t)(j * 7);
        open_pair(&i, &r);
        assert_int_equal(issu_sec_seal(&i, d, n), ISSU_OK);
        assert_int_equal(issu_sec_pending(&i), n + 4 * ISSU_SEC_OVERHEAD);
        memset(&k, 0, sizeof(k));
        assert_int_equal(pass(&i, &r, 1000, &k), ISSU_OK);
        assert_int_equal(k.len, n);
        assert_memory_equal(k.data, d, n);
        free(d);
        issu_sec_clear(&i);
        issu_sec_clear(&r);
    }
}

/* The whole exchange (handshake and frames) split at every byte offset. */
static void test_every_split(void **state)
{
    static const uint8_t n_i[ISSU_AUTH_NONCE] = {1}, n_r[ISSU_AUTH_NONCE] = {2};
    uint8_t stream_i[512], stream_r[512];
    size_t li, lr, cut;
    static struct sink k;
    struct issu_sec i, r;
    (void)state;

    /* record both directions once, with fixed nonces */
    assert_int_equal(issu_sec_init_nonce(&i, ISSU_SEC_INITIATOR, KEY, KLEN, n_i), ISSU_OK);
    assert_int_equal(issu_sec_init_nonce(&r, ISSU_SEC_RESPONDER, KEY, KLEN, n_r), ISSU_OK);
    li = lr = 0;
    memcpy(stream_i + li, i.out.data, issu_sec_pending(&i)); /* hello_I */
    li += issu_sec_pending(&i);
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_OK);
    memcpy(stream_r + lr, r.out.data, issu_sec_pending(&r)); /* hello_R */
    lr += issu_sec_pending(&r);
    assert_int_equal(pass(&r, &i, 0, NULL), ISSU_OK);
    assert_int_equal(issu_sec_pending(&i), ISSU_AUTH_MAC);
    memcpy(stream_i + li, i.out.data + i.out_off, ISSU_AUTH_MAC); /* proof_I */
    li += ISSU_AUTH_MAC;
    assert_int_equal(pass(&i, &r, 0, NULL), ISSU_OK);
    assert_int_equal(issu_sec_seal(&r, (const uint8_t *)"abc", 3), ISSU_OK);
    assert_int_equal(issu_sec_seal(&r, NULL, 0), ISSU_OK);
    assert_int_equal(issu_sec_seal(&r, (const uint8_t *)"defgh", 5), ISSU_OK);
    memcpy(stream_r + lr, r.out.data + r.out_off, issu_sec_pending(&r)); /* proof_R + frames */
    lr += issu_sec_pending(&r);
    issu_sec_clear(&i);
    issu_sec_clear(&r);

    /* replay the responder's stream into a fresh initiator, cut in two anywhere */
    for (cut = 0; cut <= lr; cut++) {
        assert_int_equal(issu_sec_init_nonce(&i, ISSU_SEC_INITIATOR, KEY, KLEN, n_i), ISSU_OK);
        memset(&k, 0, sizeof(k));
        assert_int_equal(issu_sec_input(&i, stream_r, cut, to_sink, &k), ISSU_OK);
        assert_int_equal(issu_sec_input(&i, stream_r + cut, lr - cut, to_sink, &k), ISSU_OK);
        assert_int_equal(i.state, ISSU_SEC_OPEN);
        assert_int_equal(k.len, 8);
        assert_memory_equal(k.data, "abcdefgh", 8);
        assert_int_equal(i.rx_frames, 3);
        issu_sec_clear(&i);
    }
    /* and byte by byte, and the initiator's stream into a fresh responder */
    assert_int_equal(issu_sec_init_nonce(&i, ISSU_SEC_INITIATOR, KEY, KLEN, n_i), ISSU_OK);
    memset(&k, 0, sizeof(k));
    for (cut = 0; cut < lr; cut++)
        assert_int_equal(issu_sec_input(&i, stream_r + cut, 1, to_sink, &k), ISSU_OK);
    assert_int_equal(k.len, 8);
    issu_sec_clear(&i);
    for (cut = 0; cut <= li; cut++) {
        assert_int_equal(issu_sec_init_nonce(&r, ISSU_SEC_RESPONDER, KEY, KLEN, n_r), ISSU_OK);
        assert_int_equal(issu_sec_input(&r, stream_i, cut, NULL, NULL), ISSU_OK);
        assert_int_equal(issu_sec_input(&r, stream_i + cut, li - cut, NULL, NULL), ISSU_OK);
        assert_int_equal(r.state, ISSU_SEC_OPEN);
        issu_sec_clear(&r);
    }
}

/* K_dir = HMAC-SHA-256(psk, "issu-key v2" | dir | N_I | N_R), by hand. */
static void derive(const char *dir, const uint8_t *n_i, const uint8_t *n_r, uint8_t key[32])
{
    uint8_t msg[11 + 3 + 2 * ISSU_AUTH_NONCE];
    unsigned klen = 0;

    memcpy(msg, "issu-key v2", 11);
    memcpy(msg + 11, dir, 3);
    memcpy(msg + 14, n_i, ISSU_AUTH_NONCE);
    memcpy(msg + 14 + ISSU_AUTH_NONCE, n_r, ISSU_AUTH_NONCE);
    assert_non_null(HMAC(EVP_sha256(), KEY, (int)KLEN, msg, sizeof(msg), key, &klen));
    assert_int_equal(klen, 32);
}

/* Open frame @p f (seq @p seq, dirbyte @p dirb) with EVP directly: 1 if authentic. */
static int open_by_hand(const uint8_t key[32], int dirb, uint64_t seq, const uint8_t *f, size_t n,
                        uint8_t *plain)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    uint8_t iv[12] = {(uint8_t)dirb};
    size_t plen = n - 4 - ISSU_SEC_TAG;
    int l = 0, ok, j;

    assert_non_null(c);
    for (j = 0; j < 8; j++)
        iv[4 + j] = (uint8_t)(seq >> (56 - 8 * j));
    assert_int_equal((size_t)((uint32_t)f[0] << 24 | (uint32_t)f[1] << 16 | f[2] << 8 | f[3]), plen);
    ok = EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, iv) && EVP_DecryptUpdate(c, NULL, &l, f, 4) &&
         EVP_DecryptUpdate(c, plain, &l, f + 4, (int)plen) &&
         EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, ISSU_SEC_TAG, (void *)(f + 4 + plen)) &&
         EVP_DecryptFinal_ex(c, plain + plen, &l) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok;
}

static void test_frame_format(void **state)
{
    static const char secret[] = "a secret codec payload";
    uint8_t ki2r[32], kr2i[32], plain[64];
    struct issu_sec i, r;
    struct three t;
    (void)state;

    open_fixed(&i, &r, FIX_R);
    derive("i2r", FIX_I, FIX_R, ki2r);
    derive("r2i", FIX_I, FIX_R, kr2i);
    assert_memory_equal(i.key[0], ki2r, 32);
    assert_memory_equal(i.key[1], kr2i, 32);
    /* i -> r: frames 0, 1, 2 of direction 0 under K_i2r */
    seal3(&i, &t);
    assert_int_equal(t.n[0], 4 + 5 + ISSU_SEC_TAG);
    assert_true(open_by_hand(ki2r, 0, 0, t.f[0], t.n[0], plain));
    assert_memory_equal(plain, "first", 5);
    assert_true(open_by_hand(ki2r, 0, 2, t.f[2], t.n[2], plain));
    assert_memory_equal(plain, "third..", 7);
    /* the wrong seq, direction or key does not open it */
    assert_false(open_by_hand(ki2r, 0, 1, t.f[0], t.n[0], plain));
    assert_false(open_by_hand(ki2r, 1, 0, t.f[0], t.n[0], plain));
    assert_false(open_by_hand(kr2i, 0, 0, t.f[0], t.n[0], plain));
    /* r -> i under K_r2i, and the payload does not travel in the clear */
    assert_int_equal(issu_sec_seal(&r, (const uint8_t *)secret, sizeof(secret) - 1), ISSU_OK);
    assert_int_equal(issu_sec_pending(&r), 4 + sizeof(secret) - 1 + ISSU_SEC_TAG);
    assert_memory_not_equal(r.out.data + r.out_off + 4, secret, sizeof(secret) - 1);
    assert_null(memmem(r.out.data + r.out_off, issu_sec_pending(&r), "secret", 6));
    assert_true(open_by_hand(kr2i, 1, 0, r.out.data + r.out_off, issu_sec_pending(&r), plain));
    assert_memory_equal(plain, secret, sizeof(secret) - 1);
    issu_sec_clear(&i);
    issu_sec_clear(&r);
}

/* ---- PSK files ---- */

static char *write_key(const char *content, size_t len, mode_t mode)
{
    static char path[64];
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/test_auth_psk.%ld", (long)getpid());
    unlink(path);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static void test_psk_file(void **state)
{
    char err[256], *p, big[5000];
    uint8_t *key;
    size_t len;
    (void)state;

    p = write_key("0123456789abcdef\n", 17, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 16);
    assert_memory_equal(key, "0123456789abcdef", 16);
    issu_psk_free(key, len);

    p = write_key("0123456789abcdef\r\n", 18, 0400);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 16);
    issu_psk_free(key, len);

    p = write_key("0123456789abcdef\n", 17, 0640); /* group readable: refused */
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "group or others"));
    assert_null(key);

    p = write_key("0123456789abcde\n", 16, 0600); /* 15 bytes */
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "too little"));

    memset(big, 'k', sizeof(big));
    p = write_key(big, 4096, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 4096);
    issu_psk_free(key, len);
    p = write_key(big, 4097, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "too much"));
    unlink(p);

    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(issu_psk_load("/tmp", &key, &len, err, sizeof(err)), ISSU_ERR_IO);
}

/* Parse from memory: @p want_len is the key's length, or -1 for a refusal containing @p why. */
static void parse_case(const char *data, size_t len, long want_len, const char *why)
{
    char err[256] = "";
    uint8_t *key = (uint8_t *)"x";
    size_t klen = 99;
    int rc = issu_psk_parse((const uint8_t *)data, len, &key, &klen, err, sizeof(err));

    if (want_len < 0) {
        assert_int_equal(rc, ISSU_ERR_INVAL);
        assert_null(key);
        assert_int_equal(klen, 0);
        assert_non_null(strstr(err, why));
        return;
    }
    assert_int_equal(rc, ISSU_OK);
    assert_int_equal(klen, (size_t)want_len);
    assert_memory_equal(key, data, klen); /* the key is the file's first bytes, as they are */
    issu_psk_free(key, klen);
}

static void test_psk_parse(void **state)
{
    static char big[8192];
    (void)state;

    /* what the man page suggests: head -c 32 /dev/urandom | base64 */
    parse_case("q8lGxZ0s1m5x0yYV3mFfW4xv1vC1kJqgk0q3Wc7qk6Q=\n", 45, 44, NULL);
    parse_case("q8lGxZ0s1m5x0yYV3mFfW4xv1vC1kJqgk0q3Wc7qk6Q=\r\n", 46, 44, NULL);
    parse_case("q8lGxZ0s1m5x0yYV3mFfW4xv1vC1kJqgk0q3Wc7qk6Q=", 44, 44, NULL);
    /* only one trailing newline goes; every other byte is key material */
    parse_case("0123456789abcdef\n\n", 18, 17, NULL);
    parse_case("0123456789abcdef\r", 17, 17, NULL);
    parse_case("  0123456789abcdef  \n", 21, 20, NULL);
    parse_case("0123456789\0abcdef\n", 18, 17, NULL);
    /* too short, truncated */
    parse_case("", 0, -1, "too little key material (0 bytes)");
    parse_case("\n", 1, -1, "too little");
    parse_case("\r\n", 2, -1, "too little");
    parse_case("0123456789abcde\r\n", 17, -1, "too little key material (15 bytes)");
    parse_case("0123456789abcdef", 16, 16, NULL);
    /* the upper bound, with and without its newline, and just over */
    memset(big, 'k', sizeof(big));
    parse_case(big, ISSU_PSK_MAX, ISSU_PSK_MAX, NULL);
    big[ISSU_PSK_MAX] = '\r';
    big[ISSU_PSK_MAX + 1] = '\n';
    parse_case(big, ISSU_PSK_MAX + 2, ISSU_PSK_MAX, NULL);
    big[ISSU_PSK_MAX] = '\n';
    parse_case(big, ISSU_PSK_MAX + 2, -1, "too much key material (over 4096 bytes)");
    memset(big, 'k', sizeof(big));
    parse_case(big, ISSU_PSK_MAX + 1, -1, "too much");
    parse_case(big, sizeof(big), -1, "too much");
    {
        uint8_t *key;
        size_t klen;
        char err[64];

        assert_int_equal(issu_psk_parse(NULL, 5, &key, &klen, err, sizeof(err)), ISSU_ERR_INVAL);
        assert_null(key);
        /* no room for the reason is no error */
        assert_int_equal(issu_psk_parse((const uint8_t *)"short", 5, &key, &klen, NULL, 0), ISSU_ERR_INVAL);
    }
}

static void test_psk_file_hostile(void **state)
{
    static char big[1 << 20];
    char err[256], path[64], *p;
    uint8_t *key;
    size_t len;
    (void)state;

    /* empty, a newline alone, a key cut short */
    p = write_key("", 0, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "too little"));
    assert_non_null(strstr(err, p)); /* the path is named */
    p = write_key("\n", 1, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    p = write_key("q8lGxZ0s1m5x\r\n", 14, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_null(key);
    /* oversized: 1 MiB is refused after reading one byte over the bound */
    memset(big, 'k', sizeof(big));
    p = write_key(big, sizeof(big), 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "too much"));
    assert_null(key);
    /* 4096 bytes and "\r\n": the largest file accepted */
    big[ISSU_PSK_MAX] = '\r';
    big[ISSU_PSK_MAX + 1] = '\n';
    p = write_key(big, ISSU_PSK_MAX + 2, 0600);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, ISSU_PSK_MAX);
    issu_psk_free(key, len);
    /* readable by others, writable by group: refused before reading */
    p = write_key("0123456789abcdef\n", 17, 0604);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "mode 0604"));
    p = write_key("0123456789abcdef\n", 17, 0620);
    assert_int_equal(issu_psk_load(p, &key, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    unlink(p);
    /* a FIFO is refused at once, not waited on for a writer */
    snprintf(path, sizeof(path), "/tmp/test_auth_fifo.%ld", (long)getpid());
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(issu_psk_load(path, &key, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "not a regular file"));
    assert_null(key);
    unlink(path);
    /* a device */
    assert_int_equal(issu_psk_load("/dev/zero", &key, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "not a regular file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_wrong_key_initiator),
        cmocka_unit_test(test_wrong_key_responder),
        cmocka_unit_test(test_reflection),
        cmocka_unit_test(test_bad_hello),
        cmocka_unit_test(test_tamper_replay_reorder),
        cmocka_unit_test(test_truncated_oversized),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_frame_format),
        cmocka_unit_test(test_psk_file),
        cmocka_unit_test(test_psk_parse),
        cmocka_unit_test(test_psk_file_hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
