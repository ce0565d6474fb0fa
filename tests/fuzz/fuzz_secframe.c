/*
 * fuzz_secframe.c - libFuzzer target: untrusted bytes into the PSK handshake
 * and the secure frame decoder (agent/peer/auth.c).
 *
 * Input: byte 0 picks the mode, byte 1 the chunk size the stream is fed in
 * (1..256: sockets split anywhere), the rest is the stream.
 *   mode 0: raw bytes into a fresh responder (the listening side)
 *   mode 1: raw bytes into a fresh initiator
 *   mode 2: raw bytes into an authenticated receiver (frame lengths, GCM tags)
 *   mode 3: a script of sends, each sealed by a real sender and then passed
 *           on intact, with one bit flipped, dropped, replayed or cut short;
 *           the receiver must deliver exactly the intact prefix of what was
 *           sent and nothing after the first damaged frame.
 * Whatever comes in: no crash, no leak, nothing delivered that was not sealed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "issu_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[] = "fuzz-secframe-pre-shared-key";
#define KLEN (sizeof(KEY) - 1)
static const uint8_t NONCE_I[ISSU_AUTH_NONCE] = {'i'}, NONCE_R[ISSU_AUTH_NONCE] = {'r'};

struct sink {
    uint8_t *sent;      /* everything sealed, in order */
    size_t sent_len;
    size_t got;         /* delivered so far: must equal sent[0..got] */
};

static int deliver(void *arg, const uint8_t *d, size_t n)
{
    struct sink *k = arg;

    if (!k)
        return ISSU_OK; /* raw modes: nothing was sealed, so nothing can verify... */
    if (k->got + n > k->sent_len || memcmp(k->sent + k->got, d, n))
        abort();        /* delivered what was never sealed, or out of order */
    k->got += n;
    return ISSU_OK;
}

static int feed(struct issu_sec *s, const uint8_t *d, size_t len, size_t chunk, struct sink *k)
{
    size_t off = 0, c;
    int rc = ISSU_OK;

    while (off < len && rc == ISSU_OK) {
        c = len - off > chunk ? chunk : len - off;
        rc = issu_sec_input(s, d + off, c, deliver, k);
        off += c;
    }
    return rc;
}

static void move(struct issu_sec *a, struct issu_sec *b)
{
    if (issu_sec_input(b, a->out.data + a->out_off, issu_sec_pending(a), NULL, NULL) != ISSU_OK)
        abort();
    issu_sec_consume(a, issu_sec_pending(a));
}

/* An authenticated pair with fixed nonces. */
static void open_pair(struct issu_sec *i, struct issu_sec *r)
{
    if (issu_sec_init_nonce(i, ISSU_SEC_INITIATOR, KEY, KLEN, NONCE_I) != ISSU_OK ||
        issu_sec_init_nonce(r, ISSU_SEC_RESPONDER, KEY, KLEN, NONCE_R) != ISSU_OK)
        abort();
    move(i, r);
    move(r, i);
    move(i, r);
    move(r, i);
    if (i->state != ISSU_SEC_OPEN || r->state != ISSU_SEC_OPEN)
        abort();
}

static void script(const uint8_t *d, size_t len, size_t chunk)
{
    struct issu_sec i, r;
    struct sink k = {0};
    uint8_t *wire = NULL;
    size_t wlen = 0, intact = 0, off = 0;
    int damaged = 0, rc;

    open_pair(&i, &r);
    k.sent = malloc(len + 1);
    wire = malloc(2 * len + 2 * (ISSU_SEC_OVERHEAD + 4) * (len / 2 + 1)); /* every frame twice, at most */
    if (!k.sent || !wire)
        abort();
    /* op (2 bits) | where (6 bits), n, n bytes of payload */
    while (off + 2 <= len) {
        uint8_t op = d[off] & 3, where = d[off] >> 2;
        size_t n = d[off + 1], flen, start;
        off += 2;
        if (n > len - off)
            n = len - off;
        if (issu_sec_seal(&i, d + off, n) != ISSU_OK)
            abort();
        memcpy(k.sent + k.sent_len, d + off, n);
        k.sent_len += n;
        off += n;
        flen = issu_sec_pending(&i);
        start = wlen;
        memcpy(wire + wlen, i.out.data + i.out_off, flen);
        issu_sec_consume(&i, flen);
        switch (op) {
        case 0: /* intact */
            wlen += flen;
            if (!damaged)
                intact = k.sent_len;
            break;
        case 1: /* one bit flipped */
            wire[start + where % flen] ^= (uint8_t)(1u << (where % 8));
            wlen += flen;
            damaged = 1;
            break;
        case 2: /* dropped */
            damaged = 1;
            break;
        default: /* replayed: the same frame twice */
            memcpy(wire + wlen + flen, wire + start, flen);
            wlen += 2 * flen;
            if (!damaged)
                intact = k.sent_len;
            damaged = 1;
            break;
        }
    }
    rc = feed(&r, wire, wlen, chunk, &k);
    /* exactly what came before the first damage arrives, nothing after it */
    if (k.got != intact || (!damaged && rc != ISSU_OK))
        abort();
    free(wire);
    free(k.sent);
    issu_sec_clear(&i);
    issu_sec_clear(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_sec a, b;
    size_t chunk;

    if (size < 2)
        return 0;
    chunk = (size_t)data[1] + 1;
    switch (data[0] & 3) {
    case 0:
    case 1:
        if (issu_sec_init(&a, (data[0] & 3) ? ISSU_SEC_INITIATOR : ISSU_SEC_RESPONDER, KEY, KLEN) != ISSU_OK)
            abort();
        (void)feed(&a, data + 2, size - 2, chunk, NULL);
        /* a stranger without the key never gets the link open */
        if (a.state == ISSU_SEC_OPEN)
            abort();
        issu_sec_clear(&a);
        break;
    case 2:
        open_pair(&a, &b);
        /* raw bytes cannot carry a valid tag: nothing may be delivered */
        {
            struct sink none = {0};
            (void)feed(&b, data + 2, size - 2, chunk, &none);
            if (none.got)
                abort();
        }
        issu_sec_clear(&a);
        issu_sec_clear(&b);
        break;
    default:
        script(data + 2, size - 2, chunk);
        break;
    }
    return 0;
}
