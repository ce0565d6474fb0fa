/*
 * test_codec.c - the wire format: every message round-trips; malformed,
 * truncated, oversized and hostile frames are refused without crashing or
 * allocating what the frame cannot describe; an endpoint accepts a valid
 * exchange split at every byte and refuses garbage without touching its
 * published state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "codec.h"
#include "endpoint.h"
#include "timg.h"

/* ------------------------------------------------------ hand-made frames */

struct raw {
    uint8_t b[4096];
    size_t len;
};

static void r8(struct raw *r, uint8_t v)
{
    assert_true(r->len < sizeof r->b);
    r->b[r->len++] = v;
}

static void r16(struct raw *r, uint16_t v)
{
    r8(r, (uint8_t)(v >> 8));
    r8(r, (uint8_t)v);
}

static void r32(struct raw *r, uint32_t v)
{
    r16(r, (uint16_t)(v >> 16));
    r16(r, (uint16_t)v);
}

static void rhdr(struct raw *r, uint8_t type)
{
    r->len = 0;
    r8(r, 'I');
    r8(r, 'S');
    r8(r, ISSU_PROTO_VERSION);
    r8(r, type);
    r32(r, 0);
}

/* Patch the length field to what follows the header. */
static void rend(struct raw *r)
{
    uint32_t n = (uint32_t)(r->len - ISSU_FRAME_HDR);

    r->b[4] = (uint8_t)(n >> 24);
    r->b[5] = (uint8_t)(n >> 16);
    r->b[6] = (uint8_t)(n >> 8);
    r->b[7] = (uint8_t)n;
}

/* A nego header: round, client, entity, sid, mtu, raw. */
static void rnego(struct raw *r, uint8_t type, uint8_t raw)
{
    rhdr(r, type);
    r32(r, 1);
    r32(r, 2011);
    r32(r, 1);
    r32(r, 46);
    r32(r, 3948);
    r8(r, raw);
}

/* ------------------------------------------------------------ the image */

static struct issu_image *codec_image(void)
{
    struct issu_image *img = t_image("codec image");
    struct issu_client *c;

    c = t_plain(img, 4, "ISSU CF client", 1);
    c = t_client(img, 2011, "ISSU LDP Client");
    c->policy = ISSU_POLICY_ALLOW_DEGRADED;
    c->optional = 1;
    t_msg(c, 3, 2, 2, 0);
    t_msg(c, 1, 1, 4, 10);
    t_cap(c, 0, 0, 0);
    t_cap(c, 5, 1, 3, 1u, 7u, 9u);
    t_entity(c, 4);
    assert_int_equal(issu_client_add_prereq(c, 4), ISSU_OK);
    c = t_plain(img, 2007, "ISSU LSD Label Mgr HA Client", 0);
    t_valid(img);
    return img;
}

/* ------------------------------------------------------------ round trips */

static void test_roundtrip(void **state)
{
    struct issu_image *img = codec_image();
    const struct issu_client *c = issu_image_client(img, 2011);
    struct issu_buf b = {0};
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct issu_w_hello h = {42, ISSU_SIDE_STANDBY, 3948, {"img", 3}, {"15.5(3)S6", 9}};
    size_t off = 0, flen;
    uint32_t i;

    (void)state;
    assert_int_equal(issu_enc_hello(&b, &h), ISSU_OK);
    assert_int_equal(issu_enc_inventory(&b, img), ISSU_OK);
    assert_int_equal(issu_enc_nego(&b, ISSU_MSG_NEGO_REQ, 7, c, &c->entities[0], 46, 3948, 0), ISSU_OK);
    assert_int_equal(issu_enc_nego(&b, ISSU_MSG_NEGO_RSP, 7, c, &c->entities[1], 47, 1500,
                                   ISSU_RES_INCOMPATIBLE), ISSU_OK);
    assert_int_equal(issu_enc_round(&b, ISSU_MSG_ROUND_END, 7, 2), ISSU_OK);
    assert_int_equal(issu_enc_round(&b, ISSU_MSG_ROUND_ACK, 7, ISSU_VERDICT_BASE_LEVEL), ISSU_OK);
    assert_int_equal(issu_enc_reneg(&b, 2011, 4), ISSU_OK);
    assert_int_equal(issu_enc_error(&b, 3, "bye"), ISSU_OK);
    assert_int_equal(issu_enc_keepalive(&b), ISSU_OK);

    /* HELLO */
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_true(flen > ISSU_FRAME_HDR);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_HELLO);
    assert_int_equal(m.u.hello.unique_id, 42);
    assert_int_equal(m.u.hello.side, ISSU_SIDE_STANDBY);
    assert_int_equal(m.u.hello.transport_mtu, 3948);
    assert_int_equal(m.u.hello.image_name.len, 3);
    assert_memory_equal(m.u.hello.image_name.s, "img", 3);
    assert_int_equal(m.u.hello.image_version.len, 9);
    assert_memory_equal(m.u.hello.image_version.s, "15.5(3)S6", 9);
    off += flen;

    /* INVENTORY */
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_INVENTORY);
    assert_int_equal(m.u.inv.n_clients, 3);
    for (i = 0; i < 3; i++) {
        const struct issu_client *ic = &img->clients[i];
        const struct issu_w_client *w = &m.u.inv.clients[i];
        uint32_t j;
        assert_int_equal(w->id, ic->id);
        assert_int_equal(w->name.len, strlen(ic->name));
        assert_memory_equal(w->name.s, ic->name, w->name.len);
        assert_int_equal(w->base, ic->base);
        assert_int_equal(w->optional, ic->optional);
        assert_int_equal(w->policy, ic->policy);
        assert_int_equal(w->n_prereqs, ic->n_prereqs);
        for (j = 0; j < w->n_prereqs; j++)
            assert_int_equal(w->prereqs[j], ic->prereqs[j]);
        assert_int_equal(w->n_entities, ic->n_entities);
        for (j = 0; j < w->n_entities; j++)
            assert_int_equal(w->entities[j], ic->entities[j].id);
    }
    assert_int_equal(m.u.inv.clients[2].policy, ISSU_POLICY_ALLOW_DEGRADED);
    assert_int_equal(m.u.inv.clients[2].n_entities, 2);
    off += flen;

    /* NEGO_REQ then NEGO_RSP */
    for (i = 0; i < 2; i++) {
        const struct issu_w_nego *n = &m.u.nego;
        assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
        assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
        assert_int_equal(m.type, i ? ISSU_MSG_NEGO_RSP : ISSU_MSG_NEGO_REQ);
        assert_int_equal(n->round, 7);
        assert_int_equal(n->client, 2011);
        assert_int_equal(n->entity, i ? 4 : 1);
        assert_int_equal(n->sid, i ? 47 : 46);
        assert_int_equal(n->transport_mtu, i ? 1500 : 3948);
        assert_int_equal(n->raw_result, i ? ISSU_RES_INCOMPATIBLE : 0);
        assert_int_equal(n->n_types, 2);
        assert_int_equal(n->types[0].id, 1);
        assert_int_equal(n->types[0].low, 1);
        assert_int_equal(n->types[0].high, 4);
        assert_int_equal(n->types[0].mtus[0], 11); /* t_msg: MTU 10 + version */
        assert_int_equal(n->types[0].mtus[3], 14);
        assert_int_equal(n->types[1].id, 3);
        assert_int_equal(n->types[1].low, 2);
        assert_int_equal(n->types[1].high, 2);
        assert_int_equal(n->types[1].mtus[0], 2);
        assert_int_equal(n->n_caps, 2);
        assert_int_equal(n->caps[0].id, 0);
        assert_int_equal(n->caps[0].n_entries, 0);
        assert_int_equal(n->caps[0].required, 0);
        assert_int_equal(n->caps[1].id, 5);
        assert_int_equal(n->caps[1].required, 1);
        assert_int_equal(n->caps[1].n_entries, 3);
        assert_int_equal(n->caps[1].entries[0], 1);
        assert_int_equal(n->caps[1].entries[1], 7);
        assert_int_equal(n->caps[1].entries[2], 9);
        off += flen;
    }

    /* ROUND_END, ROUND_ACK, RENEG_REQ, ERROR, KEEPALIVE */
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(flen, ISSU_FRAME_HDR + 8);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_ROUND_END);
    assert_int_equal(m.u.round.round, 7);
    assert_int_equal(m.u.round.count, 2);
    off += flen;
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_ROUND_ACK);
    assert_int_equal(m.u.round.count, ISSU_VERDICT_BASE_LEVEL);
    off += flen;
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_RENEG_REQ);
    assert_int_equal(m.u.reneg.client, 2011);
    assert_int_equal(m.u.reneg.entity, 4);
    off += flen;
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_ERROR);
    assert_int_equal(m.u.error.code, 3);
    assert_int_equal(m.u.error.text.len, 3);
    assert_memory_equal(m.u.error.text.s, "bye", 3);
    off += flen;
    assert_int_equal(issu_frame_peek(b.data + off, b.len - off, &flen), ISSU_OK);
    assert_int_equal(flen, ISSU_FRAME_HDR);
    assert_int_equal(issu_decode(b.data + off, flen, &sc, &m), ISSU_OK);
    assert_int_equal(m.type, ISSU_MSG_KEEPALIVE);
    off += flen;
    assert_int_equal(off, b.len);
    assert_int_equal(issu_frame_peek(b.data + off, 0, &flen), ISSU_OK);
    assert_int_equal(flen, 0);

    issu_buf_free(&b);
    issu_scratch_free(&sc);
    issu_image_free(img);
}

/* Over-long strings are truncated to ISSU_MAX_STR by the encoder, refused by the decoder. */
static void test_strings(void **state)
{
    char *long_text = malloc(ISSU_MAX_STR + 100);
    struct issu_buf b = {0};
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct raw r;

    (void)state;
    assert_non_null(long_text);
    memset(long_text, 'x', ISSU_MAX_STR + 99);
    long_text[ISSU_MAX_STR + 99] = 0;
    assert_int_equal(issu_enc_error(&b, 1, long_text), ISSU_OK);
    assert_int_equal(issu_decode(b.data, b.len, &sc, &m), ISSU_OK);
    assert_int_equal(m.u.error.text.len, ISSU_MAX_STR);
    issu_buf_free(&b);
    assert_int_equal(issu_enc_error(&b, 1, NULL), ISSU_OK);
    assert_int_equal(issu_decode(b.data, b.len, &sc, &m), ISSU_OK);
    assert_int_equal(m.u.error.text.len, 0);
    issu_buf_free(&b);

    rhdr(&r, ISSU_MSG_ERROR);
    r16(&r, 1);
    r16(&r, ISSU_MAX_STR + 1);
    memset(r.b + r.len, 'x', ISSU_MAX_STR + 1);
    r.len += ISSU_MAX_STR + 1;
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    /* a string longer than what is left */
    rhdr(&r, ISSU_MSG_ERROR);
    r16(&r, 1);
    r16(&r, 10);
    r8(&r, 'x');
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    issu_scratch_free(&sc);
    free(long_text);
}

/* ------------------------------------------------------------- malformed */

static void test_bad_header(void **state)
{
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct raw r;
    size_t flen = 99;

    (void)state;
    rhdr(&r, ISSU_MSG_KEEPALIVE);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_OK);

    r.b[0] = 'X';
    assert_int_equal(issu_frame_peek(r.b, 1, &flen), ISSU_ERR_DECODE);
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_ERR_DECODE);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[0] = 'I';
    r.b[1] = 's';
    assert_int_equal(issu_frame_peek(r.b, 2, &flen), ISSU_ERR_DECODE);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[1] = 'S';

    /* another protocol version */
    r.b[2] = ISSU_PROTO_VERSION + 1;
    assert_int_equal(issu_frame_peek(r.b, 3, &flen), ISSU_ERR_VERSION);
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_ERR_VERSION);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_VERSION);
    r.b[2] = 0;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_VERSION);
    r.b[2] = ISSU_PROTO_VERSION;

    /* unknown message types */
    r.b[3] = 0;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[3] = ISSU_MSG_KEEPALIVE + 1;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[3] = 0xff;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[3] = ISSU_MSG_KEEPALIVE;

    /* oversized length: refused from the header alone */
    r32(&r, 0); /* room: the header is all that matters */
    r.len = ISSU_FRAME_HDR;
    r.b[4] = (uint8_t)((ISSU_MAX_FRAME + 1) >> 24);
    r.b[5] = (uint8_t)((ISSU_MAX_FRAME + 1) >> 16);
    r.b[6] = (uint8_t)((ISSU_MAX_FRAME + 1) >> 8);
    r.b[7] = (uint8_t)(ISSU_MAX_FRAME + 1);
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_ERR_DECODE);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[4] = r.b[5] = r.b[6] = r.b[7] = 0xff;
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_ERR_DECODE);
    /* exactly the limit: legal, needs more bytes */
    r.b[4] = (uint8_t)(ISSU_MAX_FRAME >> 24);
    r.b[5] = (uint8_t)(ISSU_MAX_FRAME >> 16);
    r.b[6] = (uint8_t)(ISSU_MAX_FRAME >> 8);
    r.b[7] = (uint8_t)ISSU_MAX_FRAME;
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_OK);
    assert_int_equal(flen, 0);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    /* nothing decoded was allocated for it */
    assert_true(sc.cap < 4096);

    /* the length says less than the buffer holds */
    rhdr(&r, ISSU_MSG_KEEPALIVE);
    rend(&r);
    r8(&r, 0);
    assert_int_equal(issu_frame_peek(r.b, r.len, &flen), ISSU_OK);
    assert_int_equal(flen, ISSU_FRAME_HDR);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    issu_scratch_free(&sc);
}

/* A NEGO frame cut at every byte: the stream needs more, the frame is refused. */
static void test_truncated_nego(void **state)
{
    struct issu_image *img = codec_image();
    const struct issu_client *c = issu_image_client(img, 2011);
    struct issu_buf b = {0};
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    uint8_t *copy;
    size_t i, flen;

    (void)state;
    assert_int_equal(issu_enc_nego(&b, ISSU_MSG_NEGO_RSP, 1, c, &c->entities[0], 46, 3948, 1), ISSU_OK);
    assert_int_equal(issu_decode(b.data, b.len, &sc, &m), ISSU_OK);
    for (i = 0; i < b.len; i++) {
        /* exact-size copies so ASan sees any read past the end */
        copy = malloc(i ? i : 1);
        assert_non_null(copy);
        memcpy(copy, b.data, i);
        assert_int_equal(issu_frame_peek(copy, i, &flen), ISSU_OK);
        assert_int_equal(flen, 0);
        assert_int_not_equal(issu_decode(copy, i, &sc, &m), ISSU_OK);
        /* the same bytes with a length field that agrees: a truncated payload */
        if (i >= ISSU_FRAME_HDR) {
            uint32_t n = (uint32_t)(i - ISSU_FRAME_HDR);
            copy[4] = (uint8_t)(n >> 24);
            copy[5] = (uint8_t)(n >> 16);
            copy[6] = (uint8_t)(n >> 8);
            copy[7] = (uint8_t)n;
            assert_int_equal(issu_frame_peek(copy, i, &flen), ISSU_OK);
            assert_int_equal(flen, i);
            assert_int_equal(issu_decode(copy, i, &sc, &m), ISSU_ERR_DECODE);
        }
        free(copy);
    }
    issu_buf_free(&b);
    issu_scratch_free(&sc);
    issu_image_free(img);
}

/* Counts larger than the bytes left fail before the arena grows past the frame's bound. */
static void test_hostile_counts(void **state)
{
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct raw r;

    (void)state;
    rhdr(&r, ISSU_MSG_INVENTORY);
    r32(&r, 0xffffffffu);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    assert_true(sc.cap <= 4 * r.len + 256);

    /* one client whose prerequisite list claims 2^30 entries */
    rhdr(&r, ISSU_MSG_INVENTORY);
    r32(&r, 1);
    r32(&r, 2011);
    r16(&r, 3);
    r8(&r, 'L');
    r8(&r, 'D');
    r8(&r, 'P');
    r8(&r, 0);
    r8(&r, 0);
    r8(&r, 0);
    r32(&r, 1u << 30);
    r32(&r, 0);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    assert_true(sc.cap <= 4 * r.len + 256);

    /* NEGO: types count, then caps count, then a cap's entry count */
    rnego(&r, ISSU_MSG_NEGO_REQ, 0);
    r32(&r, 0x10000000u);
    r32(&r, 1);
    r32(&r, 1);
    r32(&r, 1);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rnego(&r, ISSU_MSG_NEGO_REQ, 0);
    r32(&r, 0);
    r32(&r, 0xffffffffu);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rnego(&r, ISSU_MSG_NEGO_REQ, 0);
    r32(&r, 0);
    r32(&r, 1);
    r32(&r, 0);
    r8(&r, 0);
    r32(&r, 0x40000000u);
    r32(&r, 1);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    assert_true(sc.cap <= 4 * 4096 + 256);

    /* a well-formed empty NEGO is fine */
    rnego(&r, ISSU_MSG_NEGO_REQ, 0);
    r32(&r, 0);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_OK);
    assert_int_equal(m.u.nego.n_types, 0);
    assert_null(m.u.nego.types);
    issu_scratch_free(&sc);
}

static void test_trailing_and_fields(void **state)
{
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct raw r;

    (void)state;
    /* trailing bytes inside the frame */
    rhdr(&r, ISSU_MSG_ROUND_END);
    r32(&r, 1);
    r32(&r, 2);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_OK);
    r8(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rhdr(&r, ISSU_MSG_KEEPALIVE);
    r8(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rhdr(&r, ISSU_MSG_RENEG_REQ);
    r32(&r, 1);
    r32(&r, 1);
    r16(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    /* too short */
    rhdr(&r, ISSU_MSG_RENEG_REQ);
    r32(&r, 1);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);

    /* HELLO: unique id 0, side 3 */
    rhdr(&r, ISSU_MSG_HELLO);
    r32(&r, 0);
    r8(&r, 1);
    r32(&r, 1500);
    r16(&r, 0);
    r16(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    r.b[ISSU_FRAME_HDR + 3] = 9;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_OK);
    r.b[ISSU_FRAME_HDR + 4] = 3;
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);

    /* INVENTORY flags and policy out of range */
    for (int k = 0; k < 3; k++) {
        rhdr(&r, ISSU_MSG_INVENTORY);
        r32(&r, 1);
        r32(&r, 4);
        r16(&r, 0);
        r8(&r, k == 0 ? 2 : 1);
        r8(&r, k == 1 ? 2 : 0);
        r8(&r, k == 2 ? ISSU_POLICY_DENY + 1 : ISSU_POLICY_DENY);
        r32(&r, 0);
        r32(&r, 0);
        rend(&r);
        assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    }

    /* NEGO: raw result out of range, version 0, low > high, required flag 2 */
    rnego(&r, ISSU_MSG_NEGO_RSP, 4);
    r32(&r, 0);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rnego(&r, ISSU_MSG_NEGO_RSP, 1);
    r32(&r, 1);
    r32(&r, 1);
    r32(&r, 0);
    r32(&r, 2);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rnego(&r, ISSU_MSG_NEGO_RSP, 1);
    r32(&r, 1);
    r32(&r, 1);
    r32(&r, 3);
    r32(&r, 2);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    rnego(&r, ISSU_MSG_NEGO_RSP, 1);
    r32(&r, 0);
    r32(&r, 1);
    r32(&r, 0);
    r8(&r, 2);
    r32(&r, 0);
    rend(&r);
    assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
    /* one MTU per version: 1~2 with one or three MTUs, and a 1~2^32-1 range
     * whose MTU count the frame cannot hold */
    {
        static const uint32_t counts[] = {1, 3, 2};
        uint32_t k, j;
        for (k = 0; k < 3; k++) {
            rnego(&r, ISSU_MSG_NEGO_RSP, 1);
            r32(&r, 1);
            r32(&r, 1);
            r32(&r, 1);
            r32(&r, 2);
            r32(&r, counts[k]);
            for (j = 0; j < counts[k]; j++)
                r32(&r, 100 + j);
            r32(&r, 0);
            rend(&r);
            assert_int_equal(issu_decode(r.b, r.len, &sc, &m), counts[k] == 2 ? ISSU_OK : ISSU_ERR_DECODE);
        }
        rnego(&r, ISSU_MSG_NEGO_RSP, 1);
        r32(&r, 1);
        r32(&r, 1);
        r32(&r, 1);
        r32(&r, 0xffffffffu);
        r32(&r, 0xffffffffu);
        r32(&r, 0);
        r32(&r, 0);
        rend(&r);
        assert_int_equal(issu_decode(r.b, r.len, &sc, &m), ISSU_ERR_DECODE);
        assert_true(sc.cap <= 4 * 4096 + 256);
    }
    issu_scratch_free(&sc);
}

/* Ids must be strictly ascending: message types, capability types, entries. */
static void test_non_ascending(void **state)
{
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    struct raw r;
    static const uint32_t types[][2] = {{1, 2}, {2, 1}, {1, 1}};
    int k;

    (void)state;
    for (k = 0; k < 3; k++) {
        rnego(&r, ISSU_MSG_NEGO_REQ, 0);
        r32(&r, 2);
        r32(&r, types[k][0]);
        r32(&r, 1);
        r32(&r, 1);
        r32(&r, 1); /* one MTU */
        r32(&r, 0);
        r32(&r, types[k][1]);
        r32(&r, 1);
        r32(&r, 1);
        r32(&r, 1);
        r32(&r, 0);
        r32(&r, 0);
        rend(&r);
        assert_int_equal(issu_decode(r.b, r.len, &sc, &m), k == 0 ? ISSU_OK : ISSU_ERR_DECODE);

        rnego(&r, ISSU_MSG_NEGO_REQ, 0);
        r32(&r, 0);
        r32(&r, 2);
        r32(&r, types[k][0]);
        r8(&r, 0);
        r32(&r, 0);
        r32(&r, types[k][1]);
        r8(&r, 0);
        r32(&r, 0);
        rend(&r);
        assert_int_equal(issu_decode(r.b, r.len, &sc, &m), k == 0 ? ISSU_OK : ISSU_ERR_DECODE);

        rnego(&r, ISSU_MSG_NEGO_REQ, 0);
        r32(&r, 0);
        r32(&r, 1);
        r32(&r, 0);
        r8(&r, 1);
        r32(&r, 2);
        r32(&r, types[k][0]);
        r32(&r, types[k][1]);
        rend(&r);
        assert_int_equal(issu_decode(r.b, r.len, &sc, &m), k == 0 ? ISSU_OK : ISSU_ERR_DECODE);
    }
    issu_scratch_free(&sc);
}

/* ------------------------------------------------------- endpoint input */

struct epair {
    struct issu_image *a, *s;
    struct issu_mem_pair p;
};

static void epair_new(struct epair *e)
{
    struct issu_endpoint_conf c;

    memset(e, 0, sizeof(*e));
    e->a = codec_image();
    e->s = codec_image();
    memset(&c, 0, sizeof(c));
    c.unique_id = T_ACTIVE_UID;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = e->a;
    c.transport = issu_mem_transport(&e->p, 0);
    assert_int_equal(issu_endpoint_new(&c, &e->p.ep[0]), ISSU_OK);
    c.unique_id = T_STANDBY_UID;
    c.side = ISSU_SIDE_STANDBY;
    c.image = e->s;
    c.transport = issu_mem_transport(&e->p, 1);
    assert_int_equal(issu_endpoint_new(&c, &e->p.ep[1]), ISSU_OK);
}

static void epair_free(struct epair *e)
{
    issu_endpoint_free(e->p.ep[0]);
    issu_endpoint_free(e->p.ep[1]);
    issu_mem_pair_clear(&e->p);
    issu_image_free(e->a);
    issu_image_free(e->s);
}

/* Deliver every queued byte one at a time until both endpoints are quiet. */
static void run_bytewise(struct issu_mem_pair *p)
{
    int busy = 1, i;
    size_t k;

    while (busy) {
        busy = 0;
        for (i = 0; i < 2; i++) {
            struct issu_buf in = p->q[i];
            if (!in.len)
                continue;
            busy = 1;
            memset(&p->q[i], 0, sizeof(p->q[i])); /* the endpoint only sends to the other queue */
            for (k = 0; k < in.len; k++)
                assert_int_equal(issu_endpoint_input(p->ep[i], in.data + k, 1), ISSU_OK);
            issu_buf_free(&in);
        }
    }
}

static void test_endpoint_bytewise(void **state)
{
    struct epair e;
    struct issu_snapshot *a, *s, *ra = NULL, *rs = NULL;
    uint32_t i;

    (void)state;
    epair_new(&e);
    assert_int_equal(issu_endpoint_connected(e.p.ep[0]), ISSU_OK);
    assert_int_equal(issu_endpoint_connected(e.p.ep[1]), ISSU_OK);
    run_bytewise(&e.p);
    assert_false(issu_endpoint_busy(e.p.ep[0]));
    assert_false(issu_endpoint_busy(e.p.ep[1]));
    a = issu_endpoint_snapshot(e.p.ep[0]);
    s = issu_endpoint_snapshot(e.p.ep[1]);
    assert_int_equal(a->peer_state, ISSU_PEER_UP);
    assert_int_equal(a->negotiations, 1);
    assert_int_equal(s->negotiations, 1);
    t_assert_symmetric(a, s);

    /* the same as delivering whole buffers */
    t_negotiate(e.a, e.s, &ra, &rs);
    assert_int_equal(a->verdict, ra->verdict);
    assert_int_equal(a->n_sessions, ra->n_sessions);
    assert_int_equal(a->n_sessions, 4);
    for (i = 0; i < a->n_sessions; i++) {
        assert_int_equal(a->sessions[i].sid, ra->sessions[i].sid);
        assert_int_equal(a->sessions[i].result, ra->sessions[i].result);
        assert_int_equal(a->sessions[i].n_versions, ra->sessions[i].n_versions);
        assert_int_equal(a->sessions[i].n_caps, ra->sessions[i].n_caps);
    }

    /* and a renegotiation, bytewise again */
    assert_int_equal(issu_endpoint_renegotiate(e.p.ep[0], 0, 0), ISSU_OK);
    run_bytewise(&e.p);
    issu_snapshot_unref(a);
    a = issu_endpoint_snapshot(e.p.ep[0]);
    assert_int_equal(a->negotiations, 2);

    issu_snapshot_unref(a);
    issu_snapshot_unref(s);
    issu_snapshot_unref(ra);
    issu_snapshot_unref(rs);
    epair_free(&e);
}

/* Feed @p data to endpoint @p i: expect @p want and an unchanged snapshot. */
static void expect_refused(struct epair *e, int i, const uint8_t *data, size_t len, int want)
{
    struct issu_snapshot *before = issu_endpoint_snapshot(e->p.ep[i]), *after;

    assert_int_equal(issu_endpoint_input(e->p.ep[i], data, len), want);
    after = issu_endpoint_snapshot(e->p.ep[i]);
    assert_ptr_equal(before, after);
    assert_int_equal(before->generation, after->generation);
    issu_snapshot_unref(before);
    issu_snapshot_unref(after);
    /* the peer is told why, for decode errors; drop what was sent */
    e->p.q[i ? 0 : 1].len = 0;
}

static void test_endpoint_garbage(void **state)
{
    static const uint8_t garbage[] = "GET / HTTP/1.0\r\n\r\n";
    struct epair e;
    struct raw r;
    struct issu_buf b = {0};
    int i;

    (void)state;
    epair_new(&e);
    /* not connected */
    assert_int_equal(issu_endpoint_input(e.p.ep[0], garbage, sizeof garbage), ISSU_ERR_PROTO);
    assert_int_equal(issu_mem_pair_connect(&e.p), ISSU_OK);

    for (i = 0; i < 2; i++) {
        expect_refused(&e, i, garbage, sizeof garbage - 1, ISSU_ERR_DECODE);
        /* another protocol version */
        rhdr(&r, ISSU_MSG_KEEPALIVE);
        r.b[2] = ISSU_PROTO_VERSION + 1;
        rend(&r);
        expect_refused(&e, i, r.b, r.len, ISSU_ERR_VERSION);
        /* a valid keepalive, then garbage in the same read */
        rhdr(&r, ISSU_MSG_KEEPALIVE);
        rend(&r);
        memcpy(r.b + r.len, "junk", 4);
        r.len += 4;
        expect_refused(&e, i, r.b, r.len, ISSU_ERR_DECODE);
        /* a well-formed frame out of protocol order: ROUND_END is the
         * PRIMARY's to send, ROUND_ACK the PASSIVE's */
        rhdr(&r, i == 0 ? ISSU_MSG_ROUND_END : ISSU_MSG_ROUND_ACK);
        r32(&r, 99);
        r32(&r, 0);
        rend(&r);
        expect_refused(&e, i, r.b, r.len, ISSU_ERR_PROTO);
        /* an inventory with client ids out of order */
        rhdr(&r, ISSU_MSG_INVENTORY);
        r32(&r, 2);
        r32(&r, 9);
        r16(&r, 0);
        r8(&r, 0);
        r8(&r, 0);
        r8(&r, 0);
        r32(&r, 0);
        r32(&r, 0);
        r32(&r, 8);
        r16(&r, 0);
        r8(&r, 0);
        r8(&r, 0);
        r8(&r, 0);
        r32(&r, 0);
        r32(&r, 0);
        rend(&r);
        expect_refused(&e, i, r.b, r.len, ISSU_ERR_DECODE);
        /* the peer gives up: refused (not "out of protocol order") */
        b.len = 0;
        assert_int_equal(issu_enc_error(&b, 7, "bye"), ISSU_OK);
        expect_refused(&e, i, b.data, b.len, ISSU_ERR_REFUSED);
    }
    /* after the refusals the pair still negotiates once reconnected */
    assert_int_equal(issu_endpoint_peer_lost(e.p.ep[0]), ISSU_OK);
    assert_int_equal(issu_endpoint_peer_lost(e.p.ep[1]), ISSU_OK);
    e.p.q[0].len = e.p.q[1].len = 0;
    assert_int_equal(issu_mem_pair_connect(&e.p), ISSU_OK);
    {
        struct issu_snapshot *a = issu_endpoint_snapshot(e.p.ep[0]);
        assert_int_equal(a->peer_state, ISSU_PEER_UP);
        assert_int_equal(a->verdict, ISSU_VERDICT_COMPATIBLE);
        issu_snapshot_unref(a);
    }
    issu_buf_free(&b);
    epair_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_bad_header),
        cmocka_unit_test(test_truncated_nego),
        cmocka_unit_test(test_hostile_counts),
        cmocka_unit_test(test_trailing_and_fields),
        cmocka_unit_test(test_non_ascending),
        cmocka_unit_test(test_endpoint_bytewise),
        cmocka_unit_test(test_endpoint_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
