/*
 * codec.c - encode and decode the negotiation protocol's frames (codec.h).
 *
 * Encoders append to a growable buffer and patch the length field last.
 * The decoder reads through a cursor that records the first underflow; every
 * list count is checked against the bytes left (times the element's minimum
 * size) before the scratch arena is asked for memory, so a hostile count
 * cannot make us allocate more than the frame could describe.
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

/* ---------------------------------------------------------------- buffers */

void issu_buf_free(struct issu_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void issu_scratch_free(struct issu_scratch *s)
{
    free(s->mem);
    memset(s, 0, sizeof(*s));
}

int issu_buf_reserve(struct issu_buf *b, size_t more)
{
    size_t need = b->len + more, cap;
    uint8_t *d;

    if (more > SIZE_MAX / 4 - b->len)
        return ISSU_ERR_NOMEM; /* no buffer of ours grows anywhere near this */
    if (need <= b->cap)
        return ISSU_OK;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    d = realloc(b->data, cap);
    if (!d)
        return ISSU_ERR_NOMEM;
    b->data = d;
    b->cap = cap;
    return ISSU_OK;
}

int issu_buf_append(struct issu_buf *b, const void *data, size_t len)
{
    ISSU_CHECK(issu_buf_reserve(b, len));
    if (len && data)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    return ISSU_OK;
}

/* Writers assume issu_buf_reserve() made room: frames are sized before writing. */
static inline void put8(struct issu_buf *b, uint8_t v)
{
    b->data[b->len++] = v;
}

static inline void put16(struct issu_buf *b, uint16_t v)
{
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
}

static inline void put32(struct issu_buf *b, uint32_t v)
{
    b->data[b->len++] = (uint8_t)(v >> 24);
    b->data[b->len++] = (uint8_t)(v >> 16);
    b->data[b->len++] = (uint8_t)(v >> 8);
    b->data[b->len++] = (uint8_t)v;
}

static size_t str_wire_len(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    return 2 + (n > ISSU_MAX_STR ? ISSU_MAX_STR : n);
}

static void putstr(struct issu_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n > ISSU_MAX_STR)
        n = ISSU_MAX_STR; /* truncated, never refused: names are informative */
    put16(b, (uint16_t)n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void putwstr(struct issu_buf *b, const struct issu_wstr *s)
{
    put16(b, s->len);
    if (s->len)
        memcpy(b->data + b->len, s->s, s->len);
    b->len += s->len;
}

/* Start a frame whose payload is at most @p payload bytes; returns its offset. */
static int frame_begin(struct issu_buf *b, uint8_t type, size_t payload, size_t *start)
{
    if (payload > ISSU_MAX_FRAME)
        return ISSU_ERR_INVAL;
    ISSU_CHECK(issu_buf_reserve(b, ISSU_FRAME_HDR + payload));
    *start = b->len;
    put8(b, 'I');
    put8(b, 'S');
    put8(b, ISSU_PROTO_VERSION);
    put8(b, type);
    put32(b, 0); /* patched by frame_end */
    return ISSU_OK;
}

static void frame_end(struct issu_buf *b, size_t start)
{
    uint32_t n = (uint32_t)(b->len - start - ISSU_FRAME_HDR);
    uint8_t *p = b->data + start + 4;

    p[0] = (uint8_t)(n >> 24);
    p[1] = (uint8_t)(n >> 16);
    p[2] = (uint8_t)(n >> 8);
    p[3] = (uint8_t)n;
}

/* --------------------------------------------------------------- encoders */

int issu_enc_hello(struct issu_buf *b, const struct issu_w_hello *m)
{
    size_t start;

    ISSU_CHECK(frame_begin(b, ISSU_MSG_HELLO, 9 + 4 + m->image_name.len + m->image_version.len,
                           &start));
    put32(b, m->unique_id);
    put8(b, m->side);
    put32(b, m->transport_mtu);
    putwstr(b, &m->image_name);
    putwstr(b, &m->image_version);
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_inventory(struct issu_buf *b, const struct issu_image *img)
{
    size_t start, need = 4;
    uint32_t i, j;

    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *c = &img->clients[i];
        need += 4 + str_wire_len(c->name) + 3 + 4 + 4 * (size_t)c->n_prereqs + 4 +
                4 * (size_t)c->n_entities;
    }
    ISSU_CHECK(frame_begin(b, ISSU_MSG_INVENTORY, need, &start));
    put32(b, img->n_clients);
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *c = &img->clients[i];
        put32(b, c->id);
        putstr(b, c->name);
        put8(b, (uint8_t)(c->base ? 1 : 0));
        put8(b, (uint8_t)(c->optional ? 1 : 0));
        put8(b, (uint8_t)c->policy);
        put32(b, c->n_prereqs);
        for (j = 0; j < c->n_prereqs; j++)
            put32(b, c->prereqs[j]);
        put32(b, c->n_entities);
        for (j = 0; j < c->n_entities; j++)
            put32(b, c->entities[j].id);
    }
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_nego(struct issu_buf *b, uint8_t type, uint32_t round, const struct issu_client *c,
                  const struct issu_entity *e, uint32_t sid, uint32_t transport_mtu,
                  uint8_t raw_result)
{
    const struct issu_msg_group *mg = issu_client_msg_group(c, e->msg_group);
    const struct issu_cap_group *cg = issu_client_cap_group(c, e->cap_group);
    uint32_t nt = mg ? mg->n_types : 0, nc = cg ? cg->n_types : 0, i, j;
    size_t start, need = 5 * 4 + 1 + 4 + 4;

    for (i = 0; i < nt; i++)
        need += 16 + 4 * (size_t)mg->types[i].n_versions;
    for (i = 0; i < nc; i++)
        need += 9 + 4 * (size_t)cg->types[i].n_entries;
    ISSU_CHECK(frame_begin(b, type, need, &start));
    put32(b, round);
    put32(b, c->id);
    put32(b, e->id);
    put32(b, sid);
    put32(b, transport_mtu);
    put8(b, raw_result);
    put32(b, nt);
    for (i = 0; i < nt; i++) {
        const struct issu_msg_type *t = &mg->types[i];
        put32(b, t->id);
        put32(b, issu_msg_type_low(t));
        put32(b, issu_msg_type_high(t));
        put32(b, t->n_versions); /* contiguous: high - low + 1 */
        for (j = 0; j < t->n_versions; j++)
            put32(b, t->versions[j].mtu);
    }
    put32(b, nc);
    for (i = 0; i < nc; i++) {
        const struct issu_cap_type *t = &cg->types[i];
        put32(b, t->id);
        put8(b, (uint8_t)(t->required ? 1 : 0));
        put32(b, t->n_entries);
        for (j = 0; j < t->n_entries; j++)
            put32(b, t->entries[j]);
    }
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_round(struct issu_buf *b, uint8_t type, uint32_t round, uint32_t count)
{
    size_t start;

    ISSU_CHECK(frame_begin(b, type, 8, &start));
    put32(b, round);
    put32(b, count);
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_reneg(struct issu_buf *b, uint32_t client, uint32_t entity)
{
    size_t start;

    ISSU_CHECK(frame_begin(b, ISSU_MSG_RENEG_REQ, 8, &start));
    put32(b, client);
    put32(b, entity);
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_error(struct issu_buf *b, uint16_t code, const char *text)
{
    size_t start;

    ISSU_CHECK(frame_begin(b, ISSU_MSG_ERROR, 2 + str_wire_len(text), &start));
    put16(b, code);
    putstr(b, text);
    frame_end(b, start);
    return ISSU_OK;
}

int issu_enc_keepalive(struct issu_buf *b)
{
    size_t start;

    ISSU_CHECK(frame_begin(b, ISSU_MSG_KEEPALIVE, 0, &start));
    frame_end(b, start);
    return ISSU_OK;
}

/* --------------------------------------------------------------- decoding */

struct cursor {
    const uint8_t *p;
    size_t left;
    int bad; /* set on the first underflow; later reads return 0 */
};

static inline uint8_t get8(struct cursor *c)
{
    if (c->left < 1) {
        c->bad = 1;
        return 0;
    }
    c->left--;
    return *c->p++;
}

static inline uint16_t get16(struct cursor *c)
{
    uint16_t v;

    if (c->left < 2) {
        c->bad = 1;
        c->left = 0;
        return 0;
    }
    v = (uint16_t)((c->p[0] << 8) | c->p[1]);
    c->p += 2;
    c->left -= 2;
    return v;
}

static inline uint32_t get32(struct cursor *c)
{
    uint32_t v;

    if (c->left < 4) {
        c->bad = 1;
        c->left = 0;
        return 0;
    }
    v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) | ((uint32_t)c->p[2] << 8) | c->p[3];
    c->p += 4;
    c->left -= 4;
    return v;
}

static void getstr(struct cursor *c, struct issu_wstr *s)
{
    uint16_t n = get16(c);

    if (c->bad || n > ISSU_MAX_STR || n > c->left) {
        c->bad = 1;
        s->s = "";
        s->len = 0;
        return;
    }
    s->s = (const char *)c->p;
    s->len = n;
    c->p += n;
    c->left -= n;
}

/* A count of elements, each at least @p min_size bytes, must fit what is left. */
static uint32_t getcount(struct cursor *c, size_t min_size)
{
    uint32_t n = get32(c);

    if (c->bad || (size_t)n > c->left / min_size) {
        c->bad = 1;
        return 0;
    }
    return n;
}

static void *scratch_alloc(struct issu_scratch *s, size_t n)
{
    size_t off = (s->used + 7) & ~(size_t)7;

    if (n > SIZE_MAX - off - 8)
        return NULL;
    if (off + n > s->cap) {
        /* Growing would move earlier lists: callers size the arena first. */
        return NULL;
    }
    s->used = off + n;
    return s->mem + off;
}

static int scratch_prepare(struct issu_scratch *s, size_t frame_len)
{
    /* Worst case: every 4 wire bytes become at most 8 bytes of structs, plus
     * per-list headers; 4x the frame plus slack bounds every layout here. */
    size_t need = frame_len * 4 + 256;
    uint8_t *m;

    s->used = 0;
    if (need <= s->cap)
        return ISSU_OK;
    m = realloc(s->mem, need);
    if (!m)
        return ISSU_ERR_NOMEM;
    s->mem = m;
    s->cap = need;
    return ISSU_OK;
}

static int dec_hello(struct cursor *c, struct issu_w_hello *m)
{
    m->unique_id = get32(c);
    m->side = get8(c);
    m->transport_mtu = get32(c);
    getstr(c, &m->image_name);
    getstr(c, &m->image_version);
    if (c->bad)
        return ISSU_ERR_DECODE;
    if (m->unique_id == 0 || (m->side != 1 && m->side != 2))
        return ISSU_ERR_DECODE;
    return ISSU_OK;
}

static int dec_u32_list(struct cursor *c, struct issu_scratch *s, uint32_t *n, uint32_t **out)
{
    uint32_t i;

    *n = getcount(c, 4);
    *out = NULL;
    if (c->bad)
        return ISSU_ERR_DECODE;
    if (!*n)
        return ISSU_OK;
    *out = scratch_alloc(s, (size_t)*n * 4);
    if (!*out)
        return ISSU_ERR_DECODE;
    for (i = 0; i < *n; i++)
        (*out)[i] = get32(c);
    return c->bad ? ISSU_ERR_DECODE : ISSU_OK;
}

static int dec_inventory(struct cursor *c, struct issu_scratch *s, struct issu_w_inventory *m)
{
    uint32_t i;

    /* smallest client: id 4, name 2, flags 3, two counts 8 */
    m->n_clients = getcount(c, 17);
    if (c->bad)
        return ISSU_ERR_DECODE;
    m->clients = m->n_clients ? scratch_alloc(s, (size_t)m->n_clients * sizeof(*m->clients)) : NULL;
    if (m->n_clients && !m->clients)
        return ISSU_ERR_DECODE;
    for (i = 0; i < m->n_clients; i++) {
        struct issu_w_client *cl = &m->clients[i];
        cl->id = get32(c);
        getstr(c, &cl->name);
        cl->base = get8(c);
        cl->optional = get8(c);
        cl->policy = get8(c);
        if (cl->base > 1 || cl->optional > 1 || cl->policy > ISSU_POLICY_DENY)
            return ISSU_ERR_DECODE;
        ISSU_CHECK(dec_u32_list(c, s, &cl->n_prereqs, &cl->prereqs));
        ISSU_CHECK(dec_u32_list(c, s, &cl->n_entities, &cl->entities));
    }
    return c->bad ? ISSU_ERR_DECODE : ISSU_OK;
}

static int dec_nego(struct cursor *c, struct issu_scratch *s, struct issu_w_nego *m)
{
    uint32_t i, j, n;

    m->round = get32(c);
    m->client = get32(c);
    m->entity = get32(c);
    m->sid = get32(c);
    m->transport_mtu = get32(c);
    m->raw_result = get8(c);
    m->n_types = getcount(c, 20); /* id, low, high, count, one MTU */
    if (c->bad || m->raw_result > 3 /* enum issu_result: 0 in requests, 1..3 */)
        return ISSU_ERR_DECODE;
    m->types = m->n_types ? scratch_alloc(s, (size_t)m->n_types * sizeof(*m->types)) : NULL;
    if (m->n_types && !m->types)
        return ISSU_ERR_DECODE;
    for (i = 0; i < m->n_types; i++) {
        struct issu_w_range *t = &m->types[i];
        t->id = get32(c);
        t->low = get32(c);
        t->high = get32(c);
        /* ranges as a validated image has them: versions from 1, low <= high */
        if (c->bad || t->low == 0 || t->low > t->high)
            return ISSU_ERR_DECODE;
        ISSU_CHECK(dec_u32_list(c, s, &n, &t->mtus));
        if (n != t->high - t->low + 1 || !n) /* one MTU per version */
            return ISSU_ERR_DECODE;
        if (i && t->id <= m->types[i - 1].id)
            return ISSU_ERR_DECODE;
    }
    m->n_caps = getcount(c, 9);
    if (c->bad)
        return ISSU_ERR_DECODE;
    m->caps = m->n_caps ? scratch_alloc(s, (size_t)m->n_caps * sizeof(*m->caps)) : NULL;
    if (m->n_caps && !m->caps)
        return ISSU_ERR_DECODE;
    for (i = 0; i < m->n_caps; i++) {
        struct issu_cap_type *t = &m->caps[i];
        uint8_t req;
        t->id = get32(c);
        req = get8(c);
        if (req > 1)
            return ISSU_ERR_DECODE;
        t->required = req;
        ISSU_CHECK(dec_u32_list(c, s, &t->n_entries, &t->entries));
        for (j = 1; j < t->n_entries; j++)
            if (t->entries[j] <= t->entries[j - 1])
                return ISSU_ERR_DECODE;
        if (i && t->id <= m->caps[i - 1].id)
            return ISSU_ERR_DECODE;
    }
    return c->bad ? ISSU_ERR_DECODE : ISSU_OK;
}

int issu_frame_peek(const uint8_t *data, size_t len, size_t *frame_len)
{
    uint32_t n;

    *frame_len = 0;
    if (len >= 1 && data[0] != 'I')
        return ISSU_ERR_DECODE;
    if (len >= 2 && data[1] != 'S')
        return ISSU_ERR_DECODE;
    if (len >= 3 && data[2] != ISSU_PROTO_VERSION)
        return ISSU_ERR_VERSION;
    if (len < ISSU_FRAME_HDR)
        return ISSU_OK;
    n = ((uint32_t)data[4] << 24) | ((uint32_t)data[5] << 16) | ((uint32_t)data[6] << 8) | data[7];
    if (n > ISSU_MAX_FRAME)
        return ISSU_ERR_DECODE;
    if (len - ISSU_FRAME_HDR < n)
        return ISSU_OK;
    *frame_len = ISSU_FRAME_HDR + (size_t)n;
    return ISSU_OK;
}

int issu_decode(const uint8_t *frame, size_t len, struct issu_scratch *scratch,
                struct issu_wmsg *out)
{
    struct cursor c;
    size_t flen;
    int rc;

    memset(out, 0, sizeof(*out));
    ISSU_CHECK(issu_frame_peek(frame, len, &flen));
    if (flen == 0 || flen != len)
        return ISSU_ERR_DECODE;
    ISSU_CHECK(scratch_prepare(scratch, len));
    c.p = frame + ISSU_FRAME_HDR;
    c.left = len - ISSU_FRAME_HDR;
    c.bad = 0;
    out->type = frame[3];
    switch (out->type) {
    case ISSU_MSG_HELLO:
        rc = dec_hello(&c, &out->u.hello);
        break;
    case ISSU_MSG_INVENTORY:
        rc = dec_inventory(&c, scratch, &out->u.inv);
        break;
    case ISSU_MSG_NEGO_REQ:
    case ISSU_MSG_NEGO_RSP:
        rc = dec_nego(&c, scratch, &out->u.nego);
        break;
    case ISSU_MSG_ROUND_END:
    case ISSU_MSG_ROUND_ACK:
        out->u.round.round = get32(&c);
        out->u.round.count = get32(&c);
        rc = c.bad ? ISSU_ERR_DECODE : ISSU_OK;
        break;
    case ISSU_MSG_RENEG_REQ:
        out->u.reneg.client = get32(&c);
        out->u.reneg.entity = get32(&c);
        rc = c.bad ? ISSU_ERR_DECODE : ISSU_OK;
        break;
    case ISSU_MSG_ERROR:
        out->u.error.code = get16(&c);
        getstr(&c, &out->u.error.text);
        rc = c.bad ? ISSU_ERR_DECODE : ISSU_OK;
        break;
    case ISSU_MSG_KEEPALIVE:
        rc = ISSU_OK;
        break;
    default:
        return ISSU_ERR_DECODE;
    }
    if (rc == ISSU_OK && c.left != 0)
        rc = ISSU_ERR_DECODE; /* trailing bytes: the sender and we disagree on the format */
    return rc;
}
