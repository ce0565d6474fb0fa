/*
 * agentx_pdu.c - RFC 2741 PDU codec (see agentx_pdu.h): strict reads in
 * place, bounded by what is left of the payload; writes into a fixed buffer.
 */
#include "agentx_pdu.h"

#include <string.h>

#include "issu_err.h"

/* A read cursor over part of a PDU. */
struct rd {
    const uint8_t *p;
    size_t left;
    int nbo;
};

static int rd_take(struct rd *r, size_t n, const uint8_t **out)
{
    if (n > r->left)
        return ISSU_ERR_DECODE;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return ISSU_OK;
}

static uint32_t get32(const uint8_t *b, int nbo)
{
    if (nbo)
        return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static uint16_t get16(const uint8_t *b, int nbo)
{
    return nbo ? (uint16_t)(b[0] << 8 | b[1]) : (uint16_t)(b[1] << 8 | b[0]);
}

static int rd_u32(struct rd *r, uint32_t *v)
{
    const uint8_t *b;

    ISSU_CHECK(rd_take(r, 4, &b));
    *v = get32(b, r->nbo);
    return ISSU_OK;
}

static int rd_oid(struct rd *r, struct ax_oid *o)
{
    const uint8_t *b;
    unsigned n, prefix, i, k = 0;

    ISSU_CHECK(rd_take(r, 4, &b));
    n = b[0];
    prefix = b[1];
    if (b[2] > 1)
        return ISSU_ERR_DECODE; /* include is a boolean */
    o->include = b[2];
    if (n > AX_MAX_SUBIDS || (prefix && n + 5 > AX_MAX_SUBIDS))
        return ISSU_ERR_DECODE;
    ISSU_CHECK(rd_take(r, (size_t)n * 4, &b));
    if (prefix) {
        static const unsigned long internet[] = {1, 3, 6, 1};

        memcpy(o->sub, internet, sizeof(internet));
        o->sub[4] = prefix;
        k = 5;
    }
    for (i = 0; i < n; i++)
        o->sub[k++] = get32(b + 4 * i, r->nbo);
    o->n = (uint8_t)k;
    return ISSU_OK;
}

static int rd_octets(struct rd *r, const uint8_t **data, uint32_t *len)
{
    uint32_t n;

    ISSU_CHECK(rd_u32(r, &n));
    if (n > r->left || ((n + 3u) & ~3u) > r->left)
        return ISSU_ERR_DECODE; /* checked before any use of the length */
    *len = n;
    *data = r->p;
    r->p += (n + 3u) & ~3u;
    r->left -= (n + 3u) & ~3u;
    return ISSU_OK;
}

int ax_hdr_plen(const uint8_t *h, uint32_t *plen)
{
    uint32_t n;

    if (h[0] != 1 || h[1] < AX_OPEN || h[1] > AX_RESPONSE || (h[2] & 0xe0))
        return ISSU_ERR_DECODE;
    n = get32(h + 16, !!(h[2] & AX_F_NETWORK_BYTE_ORDER));
    if (n % 4 || n > AX_MAX_PAYLOAD)
        return ISSU_ERR_DECODE;
    *plen = n;
    return ISSU_OK;
}

int ax_pdu_parse(const uint8_t *buf, size_t n, struct ax_pdu *pdu)
{
    struct rd r;
    const uint8_t *b;
    struct ax_oid o;
    uint32_t plen;

    memset(pdu, 0, sizeof(*pdu));
    if (n < AX_HDR_LEN)
        return ISSU_ERR_DECODE;
    ISSU_CHECK(ax_hdr_plen(buf, &plen));
    if (n != AX_HDR_LEN + (size_t)plen)
        return ISSU_ERR_DECODE;
    r.nbo = !!(buf[2] & AX_F_NETWORK_BYTE_ORDER);
    pdu->version = buf[0];
    pdu->type = buf[1];
    pdu->flags = buf[2];
    pdu->sessid = get32(buf + 4, r.nbo);
    pdu->transid = get32(buf + 8, r.nbo);
    pdu->packetid = get32(buf + 12, r.nbo);
    pdu->plen = plen;
    r.p = buf + AX_HDR_LEN;
    r.left = plen;

    switch (pdu->type) {
    case AX_REGISTER:
    case AX_UNREGISTER:
    case AX_GET:
    case AX_GETNEXT:
    case AX_GETBULK:
    case AX_TESTSET:
    case AX_NOTIFY:
    case AX_PING:
        if (pdu->flags & AX_F_NON_DEFAULT_CONTEXT)
            ISSU_CHECK(rd_octets(&r, &pdu->context, &pdu->context_len));
        break;
    default:
        break; /* the flag has no meaning for the other types */
    }

    switch (pdu->type) {
    case AX_OPEN:
        ISSU_CHECK(rd_take(&r, 4, &b));
        pdu->timeout = b[0];
        ISSU_CHECK(rd_oid(&r, &o));
        {
            const uint8_t *d;
            uint32_t l;

            ISSU_CHECK(rd_octets(&r, &d, &l));
        }
        break;
    case AX_CLOSE:
        ISSU_CHECK(rd_take(&r, 4, &b));
        pdu->reason = b[0];
        if (pdu->reason < AX_CLOSE_OTHER || pdu->reason > 6)
            return ISSU_ERR_DECODE;
        break;
    case AX_REGISTER:
    case AX_UNREGISTER: {
        uint32_t upper;

        ISSU_CHECK(rd_take(&r, 4, &b));
        ISSU_CHECK(rd_oid(&r, &o));
        if (b[2]) { /* range_subid: an upper bound follows */
            if (b[2] > o.n)
                return ISSU_ERR_DECODE;
            ISSU_CHECK(rd_u32(&r, &upper));
        }
        break;
    }
    case AX_GETBULK:
        ISSU_CHECK(rd_take(&r, 4, &b));
        pdu->non_repeaters = get16(b, r.nbo);
        pdu->max_repetitions = get16(b + 2, r.nbo);
        break;
    case AX_RESPONSE:
        ISSU_CHECK(rd_u32(&r, &pdu->sysuptime));
        ISSU_CHECK(rd_take(&r, 4, &b));
        pdu->error = get16(b, r.nbo);
        pdu->index = get16(b + 2, r.nbo);
        break;
    case AX_GET:
    case AX_GETNEXT:
    case AX_TESTSET:
    case AX_NOTIFY:
    case AX_COMMITSET:
    case AX_UNDOSET:
    case AX_CLEANUPSET:
    case AX_PING:
        break;
    default:
        return ISSU_ERR_DECODE; /* index and agent-caps PDUs: never sent to a subagent */
    }

    switch (pdu->type) {
    case AX_GET:
    case AX_GETNEXT:
    case AX_GETBULK:
    case AX_TESTSET:
    case AX_NOTIFY:
    case AX_RESPONSE:
        pdu->p = r.p; /* a list follows, to the end of the payload */
        pdu->left = r.left;
        return ISSU_OK;
    default:
        return r.left ? ISSU_ERR_DECODE : ISSU_OK; /* nothing may follow */
    }
}

int ax_pdu_range(struct ax_pdu *pdu, struct ax_oid *start, struct ax_oid *end, int *got)
{
    struct rd r = {pdu->p, pdu->left, !!(pdu->flags & AX_F_NETWORK_BYTE_ORDER)};

    *got = 0;
    if (!r.left)
        return ISSU_OK;
    ISSU_CHECK(rd_oid(&r, start));
    ISSU_CHECK(rd_oid(&r, end));
    pdu->p = r.p;
    pdu->left = r.left;
    *got = 1;
    return ISSU_OK;
}

int ax_pdu_vb(struct ax_pdu *pdu, struct ax_vb *vb, int *got)
{
    struct rd r = {pdu->p, pdu->left, !!(pdu->flags & AX_F_NETWORK_BYTE_ORDER)};
    const uint8_t *b;
    uint32_t hi = 0, lo = 0;

    *got = 0;
    if (!r.left)
        return ISSU_OK;
    ISSU_CHECK(rd_take(&r, 4, &b));
    vb->type = get16(b, r.nbo);
    vb->num = 0;
    vb->data = NULL;
    vb->len = 0;
    vb->oid.n = 0;
    ISSU_CHECK(rd_oid(&r, &vb->name));
    switch (vb->type) {
    case 2:  /* Integer */
    case 65: /* Counter32 */
    case 66: /* Gauge32 */
    case 67: /* TimeTicks */
        ISSU_CHECK(rd_u32(&r, &lo));
        vb->num = lo;
        break;
    case 70: /* Counter64 */
        ISSU_CHECK(rd_u32(&r, r.nbo ? &hi : &lo));
        ISSU_CHECK(rd_u32(&r, r.nbo ? &lo : &hi));
        vb->num = (uint64_t)hi << 32 | lo;
        break;
    case 4:  /* OctetString */
    case 64: /* IpAddress */
    case 68: /* Opaque */
        ISSU_CHECK(rd_octets(&r, &vb->data, &vb->len));
        if (vb->type == 64 && vb->len != 4)
            return ISSU_ERR_DECODE;
        break;
    case 6: /* ObjectIdentifier */
        ISSU_CHECK(rd_oid(&r, &vb->oid));
        break;
    case 5:   /* Null */
    case 128: /* noSuchObject */
    case 129: /* noSuchInstance */
    case 130: /* endOfMibView */
        break;
    default:
        return ISSU_ERR_DECODE;
    }
    pdu->p = r.p;
    pdu->left = r.left;
    *got = 1;
    return ISSU_OK;
}

int ax_oid_cmp(const unsigned long *a, size_t alen, const unsigned long *b, size_t blen)
{
    size_t i, n = alen < blen ? alen : blen;

    for (i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* ---- encoding ---- */

static uint8_t *wr_room(struct ax_wr *w, size_t n)
{
    uint8_t *p;

    if (n > w->cap - w->len)
        return NULL;
    p = w->buf + w->len;
    w->len += n;
    return p;
}

static void put32(uint8_t *b, uint32_t v, int nbo)
{
    if (nbo) {
        b[0] = (uint8_t)(v >> 24);
        b[1] = (uint8_t)(v >> 16);
        b[2] = (uint8_t)(v >> 8);
        b[3] = (uint8_t)v;
    } else {
        b[3] = (uint8_t)(v >> 24);
        b[2] = (uint8_t)(v >> 16);
        b[1] = (uint8_t)(v >> 8);
        b[0] = (uint8_t)v;
    }
}

static void put16(uint8_t *b, uint16_t v, int nbo)
{
    b[nbo ? 0 : 1] = (uint8_t)(v >> 8);
    b[nbo ? 1 : 0] = (uint8_t)v;
}

int ax_wr_begin(struct ax_wr *w, uint8_t type, uint8_t flags, uint32_t sessid, uint32_t transid,
                uint32_t packetid)
{
    uint8_t *h;

    w->start = w->len;
    if (!(h = wr_room(w, AX_HDR_LEN)))
        return ISSU_ERR_NOMEM;
    h[0] = 1;
    h[1] = type;
    h[2] = (uint8_t)((flags & ~AX_F_NETWORK_BYTE_ORDER) | (w->nbo ? AX_F_NETWORK_BYTE_ORDER : 0));
    h[3] = 0;
    put32(h + 4, sessid, w->nbo);
    put32(h + 8, transid, w->nbo);
    put32(h + 12, packetid, w->nbo);
    put32(h + 16, 0, w->nbo);
    return ISSU_OK;
}

void ax_wr_end(struct ax_wr *w)
{
    put32(w->buf + w->start + 16, (uint32_t)(w->len - w->start - AX_HDR_LEN), w->nbo);
}

void ax_wr_abort(struct ax_wr *w)
{
    w->len = w->start;
}

int ax_wr_u8x4(struct ax_wr *w, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t *p = wr_room(w, 4);

    if (!p)
        return ISSU_ERR_NOMEM;
    p[0] = a;
    p[1] = b;
    p[2] = c;
    p[3] = d;
    return ISSU_OK;
}

int ax_wr_u16x2(struct ax_wr *w, uint16_t a, uint16_t b)
{
    uint8_t *p = wr_room(w, 4);

    if (!p)
        return ISSU_ERR_NOMEM;
    put16(p, a, w->nbo);
    put16(p + 2, b, w->nbo);
    return ISSU_OK;
}

int ax_wr_u32(struct ax_wr *w, uint32_t v)
{
    uint8_t *p = wr_room(w, 4);

    if (!p)
        return ISSU_ERR_NOMEM;
    put32(p, v, w->nbo);
    return ISSU_OK;
}

int ax_wr_u64(struct ax_wr *w, uint64_t v)
{
    uint8_t *p = wr_room(w, 8);

    if (!p)
        return ISSU_ERR_NOMEM;
    /* RFC 2741 5.4: the 64-bit value in the PDU's byte order */
    put32(p, (uint32_t)(w->nbo ? v >> 32 : v), w->nbo);
    put32(p + 4, (uint32_t)(w->nbo ? v : v >> 32), w->nbo);
    return ISSU_OK;
}

int ax_wr_oid(struct ax_wr *w, const unsigned long *sub, size_t n, int include)
{
    size_t skip = 0, i;
    uint8_t prefix = 0, *p;

    if (n > AX_MAX_SUBIDS)
        return ISSU_ERR_INVAL;
    if (n >= 5 && sub[0] == 1 && sub[1] == 3 && sub[2] == 6 && sub[3] == 1 && sub[4] >= 1 &&
        sub[4] <= 255) {
        prefix = (uint8_t)sub[4]; /* 1.3.6.1.x: the prefix form */
        skip = 5;
    }
    if (!(p = wr_room(w, 4 + 4 * (n - skip))))
        return ISSU_ERR_NOMEM;
    p[0] = (uint8_t)(n - skip);
    p[1] = prefix;
    p[2] = include ? 1 : 0;
    p[3] = 0;
    for (i = skip; i < n; i++) {
        if (sub[i] > UINT32_MAX)
            return ISSU_ERR_INVAL;
        put32(p + 4 + 4 * (i - skip), (uint32_t)sub[i], w->nbo);
    }
    return ISSU_OK;
}

int ax_wr_octets(struct ax_wr *w, const void *data, size_t len)
{
    size_t pad = (4 - len % 4) % 4;
    uint8_t *p;

    if (len > AX_MAX_PAYLOAD || !(p = wr_room(w, 4 + len + pad)))
        return ISSU_ERR_NOMEM;
    put32(p, (uint32_t)len, w->nbo);
    if (len)
        memcpy(p + 4, data, len);
    memset(p + 4 + len, 0, pad);
    return ISSU_OK;
}

int ax_wr_vb_head(struct ax_wr *w, uint16_t type, const unsigned long *name, size_t n)
{
    ISSU_CHECK(ax_wr_u16x2(w, type, 0));
    return ax_wr_oid(w, name, n, 0);
}
