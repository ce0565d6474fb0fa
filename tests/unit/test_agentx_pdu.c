/*
 * test_agentx_pdu.c - issud's AgentX PDU codec (agent/snmp/agentx_pdu.c).
 *
 * Encode -> parse round trips in both byte orders (the OID prefix form, the
 * include flag, contexts, every value type), and the strict decoder on
 * malformed, truncated and oversized input: a bad version, type, flag or
 * length in the header; a payload length beyond AX_MAX_PAYLOAD refused from
 * the header alone; OIDs longer than 128 sub-identifiers, with and without
 * the prefix; an include flag that is not a boolean; octet string lengths
 * past the payload (also 0xffffffff); an IpAddress of 3 octets; unknown
 * varbind types; bytes after a PDU that takes none. Every truncation of a
 * valid PDU (its length field patched to match) fails or reads only what
 * it has (each buffer is an exact-size copy, so ASan sees any overread).
 * An encode buffer that is too small says ISSU_ERR_NOMEM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agentx_pdu.h"
#include "issu_err.h"

static const unsigned long ROOT[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2011, 1, 7};

/* A copy of exactly n bytes (so an overread is an ASan error). */
static uint8_t *dup(const uint8_t *b, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);

    assert_non_null(p);
    memcpy(p, b, n);
    return p;
}

static int parse_walk(const uint8_t *b, size_t n)
{
    struct ax_pdu p;
    static struct ax_oid s, e;
    static struct ax_vb vb;
    uint8_t *c = dup(b, n);
    int rc, got = 1;

    rc = ax_pdu_parse(c, n, &p);
    while (!rc && got) {
        if (p.type == AX_GET || p.type == AX_GETNEXT || p.type == AX_GETBULK)
            rc = ax_pdu_range(&p, &s, &e, &got);
        else if (p.type == AX_TESTSET || p.type == AX_NOTIFY || p.type == AX_RESPONSE)
            rc = ax_pdu_vb(&p, &vb, &got);
        else
            got = 0;
    }
    free(c);
    return rc;
}

static size_t build_getnext(uint8_t *buf, size_t cap, int nbo)
{
    struct ax_wr w = {buf, cap, 0, 0, nbo};

    assert_int_equal(ax_wr_begin(&w, AX_GETNEXT, AX_F_NON_DEFAULT_CONTEXT, 5, 6, 7), ISSU_OK);
    assert_int_equal(ax_wr_octets(&w, "ctx", 3), ISSU_OK);
    assert_int_equal(ax_wr_oid(&w, ROOT, 12, 1), ISSU_OK);
    assert_int_equal(ax_wr_oid(&w, NULL, 0, 0), ISSU_OK);
    assert_int_equal(ax_wr_oid(&w, (const unsigned long[]){2, 5}, 2, 0), ISSU_OK);
    assert_int_equal(ax_wr_oid(&w, ROOT, 10, 0), ISSU_OK);
    ax_wr_end(&w);
    return w.len;
}

static void test_roundtrip_ranges(void **state)
{
    uint8_t buf[512];
    int nbo;

    (void)state;
    for (nbo = 0; nbo <= 1; nbo++) {
        size_t n = build_getnext(buf, sizeof(buf), nbo);
        struct ax_pdu p;
        static struct ax_oid s, e;
        int got;

        assert_int_equal(ax_pdu_parse(buf, n, &p), ISSU_OK);
        assert_int_equal(p.type, AX_GETNEXT);
        assert_int_equal(!!(p.flags & AX_F_NETWORK_BYTE_ORDER), nbo);
        assert_int_equal(p.sessid, 5);
        assert_int_equal(p.transid, 6);
        assert_int_equal(p.packetid, 7);
        assert_int_equal(p.context_len, 3);
        assert_memory_equal(p.context, "ctx", 3);
        assert_int_equal(ax_pdu_range(&p, &s, &e, &got), ISSU_OK);
        assert_int_equal(got, 1);
        assert_int_equal(s.n, 12);
        assert_int_equal(s.include, 1);
        assert_memory_equal(s.sub, ROOT, sizeof(ROOT));
        assert_int_equal(e.n, 0);
        assert_int_equal(ax_pdu_range(&p, &s, &e, &got), ISSU_OK);
        assert_int_equal(s.n, 2); /* no prefix form: not under 1.3.6.1 */
        assert_int_equal(s.sub[1], 5);
        assert_int_equal(e.n, 10);
        assert_int_equal(ax_pdu_range(&p, &s, &e, &got), ISSU_OK);
        assert_int_equal(got, 0);
    }
    /* the prefix form: 1.3.6.1.4 is one byte, not five sub-identifiers */
    {
        size_t n = build_getnext(buf, sizeof(buf), 1);

        assert_int_equal(buf[20 + 8 + 1], 4);  /* prefix */
        assert_int_equal(buf[20 + 8], 12 - 5); /* n_subid */
        assert_true(n < 200);
    }
}

static void test_roundtrip_varbinds(void **state)
{
    uint8_t buf[512];
    int nbo;

    (void)state;
    for (nbo = 0; nbo <= 1; nbo++) {
        struct ax_wr w = {buf, sizeof(buf), 0, 0, nbo};
        struct ax_pdu p;
        static struct ax_vb vb;
        int got;

        assert_int_equal(ax_wr_begin(&w, AX_RESPONSE, 0, 1, 2, 3), ISSU_OK);
        assert_int_equal(ax_wr_u32(&w, 4242), ISSU_OK);
        assert_int_equal(ax_wr_u16x2(&w, 17, 2), ISSU_OK);
        assert_int_equal(ax_wr_vb_head(&w, 66, ROOT, 12), ISSU_OK);
        assert_int_equal(ax_wr_u32(&w, 0xdeadbeef), ISSU_OK);
        assert_int_equal(ax_wr_vb_head(&w, 4, ROOT, 12), ISSU_OK);
        assert_int_equal(ax_wr_octets(&w, "hello", 5), ISSU_OK);
        assert_int_equal(ax_wr_vb_head(&w, 6, ROOT, 12), ISSU_OK);
        assert_int_equal(ax_wr_oid(&w, ROOT, 4, 0), ISSU_OK);
        assert_int_equal(ax_wr_vb_head(&w, 130, ROOT, 3), ISSU_OK);
        ax_wr_end(&w);
        assert_int_equal(w.len % 4, 0);
        assert_int_equal(ax_pdu_parse(buf, w.len, &p), ISSU_OK);
        assert_int_equal(p.sysuptime, 4242);
        assert_int_equal(p.error, 17);
        assert_int_equal(p.index, 2);
        assert_int_equal(ax_pdu_vb(&p, &vb, &got), ISSU_OK);
        assert_int_equal(vb.type, 66);
        assert_int_equal(vb.num, 0xdeadbeef);
        assert_int_equal(ax_pdu_vb(&p, &vb, &got), ISSU_OK);
        assert_int_equal(vb.type, 4);
        assert_int_equal(vb.len, 5);
        assert_memory_equal(vb.data, "hello", 5);
        assert_int_equal(ax_pdu_vb(&p, &vb, &got), ISSU_OK);
        assert_int_equal(vb.type, 6);
        assert_int_equal(vb.oid.n, 4);
        assert_int_equal(ax_pdu_vb(&p, &vb, &got), ISSU_OK);
        assert_int_equal(vb.type, 130);
        assert_int_equal(vb.name.n, 3);
        assert_int_equal(ax_pdu_vb(&p, &vb, &got), ISSU_OK);
        assert_int_equal(got, 0);
    }
}

/* A header of type t with payload length plen, network byte order. */
static void hdr(uint8_t *b, uint8_t version, uint8_t type, uint8_t flags, uint32_t plen)
{
    memset(b, 0, AX_HDR_LEN);
    b[0] = version;
    b[1] = type;
    b[2] = flags | AX_F_NETWORK_BYTE_ORDER;
    b[16] = (uint8_t)(plen >> 24);
    b[17] = (uint8_t)(plen >> 16);
    b[18] = (uint8_t)(plen >> 8);
    b[19] = (uint8_t)plen;
}

static void test_bad_headers(void **state)
{
    uint8_t b[AX_HDR_LEN];
    uint32_t plen;

    (void)state;
    hdr(b, 1, AX_GETNEXT, 0, 0);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_OK);
    hdr(b, 2, AX_GETNEXT, 0, 0);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, 0, 0, 0);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, 19, 0, 0);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, AX_GET, 0x20, 0);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, AX_GET, 0, 6); /* not a multiple of 4 */
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, AX_GET, 0, AX_MAX_PAYLOAD);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_OK);
    hdr(b, 1, AX_GET, 0, AX_MAX_PAYLOAD + 4); /* refused before anything is read */
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    hdr(b, 1, AX_GET, 0, 0xfffffffc);
    assert_int_equal(ax_hdr_plen(b, &plen), ISSU_ERR_DECODE);
    /* parse wants exactly header + plen bytes */
    hdr(b, 1, AX_COMMITSET, 0, 0);
    assert_int_equal(parse_walk(b, AX_HDR_LEN), ISSU_OK);
    assert_int_equal(parse_walk(b, AX_HDR_LEN - 1), ISSU_ERR_DECODE);
    /* index allocation and agent caps are never sent to a subagent */
    hdr(b, 1, AX_INDEXALLOCATE, 0, 0);
    assert_int_equal(parse_walk(b, AX_HDR_LEN), ISSU_ERR_DECODE);
}

/* A PDU of type t with the given payload. */
static size_t mk(uint8_t *b, uint8_t type, uint8_t flags, const uint8_t *payload, size_t n)
{
    hdr(b, 1, type, flags, (uint32_t)n);
    memcpy(b + AX_HDR_LEN, payload, n);
    return AX_HDR_LEN + n;
}

static void test_bad_payloads(void **state)
{
    uint8_t b[2048], pl[2048];
    size_t n;

    (void)state;
    /* an OID of 129 sub-identifiers */
    memset(pl, 0, sizeof(pl));
    pl[0] = 129;
    n = mk(b, AX_GETNEXT, 0, pl, 4 + 129 * 4 + 4);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* 128 is the limit ... */
    pl[0] = 128;
    n = mk(b, AX_GETNEXT, 0, pl, 4 + 128 * 4 + 4);
    assert_int_equal(parse_walk(b, n), ISSU_OK);
    /* ... with the prefix's five counted */
    pl[0] = 124;
    pl[1] = 4;
    n = mk(b, AX_GETNEXT, 0, pl, 4 + 124 * 4 + 4);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    pl[0] = 123;
    n = mk(b, AX_GETNEXT, 0, pl, 4 + 123 * 4 + 4);
    assert_int_equal(parse_walk(b, n), ISSU_OK);
    /* an OID claiming more sub-identifiers than the payload has */
    memset(pl, 0, sizeof(pl));
    pl[0] = 10;
    n = mk(b, AX_GETNEXT, 0, pl, 12);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* include must be 0 or 1 */
    memset(pl, 0, sizeof(pl));
    pl[2] = 2;
    n = mk(b, AX_GETNEXT, 0, pl, 8);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* a search range missing its end */
    memset(pl, 0, sizeof(pl));
    n = mk(b, AX_GET, 0, pl, 4);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* context lengths past the payload, also the largest */
    memset(pl, 0, sizeof(pl));
    pl[3] = 9;
    n = mk(b, AX_GET, AX_F_NON_DEFAULT_CONTEXT, pl, 8);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    memset(pl, 0xff, 4);
    n = mk(b, AX_GET, AX_F_NON_DEFAULT_CONTEXT, pl, 8);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* varbinds: an octet string of 0xffffffff, an IpAddress of 3, an unknown type */
    memset(pl, 0, sizeof(pl));
    pl[1] = 4; /* OctetString */
    memset(pl + 8, 0xff, 4);
    n = mk(b, AX_TESTSET, 0, pl, 16);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    memset(pl, 0, sizeof(pl));
    pl[1] = 64;
    pl[11] = 3;
    n = mk(b, AX_TESTSET, 0, pl, 16);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    pl[11] = 4;
    assert_int_equal(parse_walk(b, mk(b, AX_TESTSET, 0, pl, 16)), ISSU_OK);
    memset(pl, 0, sizeof(pl));
    pl[1] = 3; /* no such type */
    n = mk(b, AX_TESTSET, 0, pl, 8);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* a Counter64 cut in half */
    memset(pl, 0, sizeof(pl));
    pl[1] = 70;
    n = mk(b, AX_TESTSET, 0, pl, 12);
    assert_int_equal(parse_walk(b, n), ISSU_ERR_DECODE);
    /* PDUs that carry nothing, or a fixed part, must end there */
    memset(pl, 0, sizeof(pl));
    assert_int_equal(parse_walk(b, mk(b, AX_CLEANUPSET, 0, pl, 4)), ISSU_ERR_DECODE);
    pl[0] = AX_CLOSE_SHUTDOWN;
    assert_int_equal(parse_walk(b, mk(b, AX_CLOSE, 0, pl, 4)), ISSU_OK);
    assert_int_equal(parse_walk(b, mk(b, AX_CLOSE, 0, pl, 8)), ISSU_ERR_DECODE);
    pl[0] = 0; /* no such reason */
    assert_int_equal(parse_walk(b, mk(b, AX_CLOSE, 0, pl, 4)), ISSU_ERR_DECODE);
    /* GetBulk without its repetition fields */
    assert_int_equal(parse_walk(b, mk(b, AX_GETBULK, 0, pl, 0)), ISSU_ERR_DECODE);
    /* a Response shorter than its fixed part */
    assert_int_equal(parse_walk(b, mk(b, AX_RESPONSE, 0, pl, 4)), ISSU_ERR_DECODE);
}

/* Every shorter payload of a valid PDU (plen patched): no overread, and
 * parse + walk either fails or stops cleanly. */
static void test_truncations(void **state)
{
    uint8_t buf[512];
    size_t n = build_getnext(buf, sizeof(buf), 1), k;

    (void)state;
    assert_int_equal(parse_walk(buf, n), ISSU_OK);
    for (k = 0; k + AX_HDR_LEN < n; k += 4) {
        uint8_t c[512];

        memcpy(c, buf, AX_HDR_LEN + k);
        c[16] = (uint8_t)(k >> 24);
        c[17] = (uint8_t)(k >> 16);
        c[18] = (uint8_t)(k >> 8);
        c[19] = (uint8_t)k;
        (void)parse_walk(c, AX_HDR_LEN + k); /* any result; ASan watches the reads */
        assert_int_equal(parse_walk(buf, AX_HDR_LEN + k), ISSU_ERR_DECODE); /* length mismatch */
    }
}

static void test_encode_full(void **state)
{
    uint8_t buf[AX_HDR_LEN + 8];
    struct ax_wr w = {buf, sizeof(buf), 0, 0, 1};

    (void)state;
    assert_int_equal(ax_wr_begin(&w, AX_RESPONSE, 0, 1, 2, 3), ISSU_OK);
    assert_int_equal(ax_wr_u32(&w, 0), ISSU_OK);
    assert_int_equal(ax_wr_u16x2(&w, 0, 0), ISSU_OK);
    assert_int_equal(ax_wr_oid(&w, ROOT, 12, 0), ISSU_ERR_NOMEM);
    assert_int_equal(ax_wr_octets(&w, "x", 1), ISSU_ERR_NOMEM);
    assert_int_equal(ax_wr_u32(&w, 0), ISSU_ERR_NOMEM);
    ax_wr_abort(&w);
    assert_int_equal(w.len, 0);
    {
        static unsigned long big[AX_MAX_SUBIDS + 1];

        w.len = 0;
        assert_int_equal(ax_wr_oid(&w, big, AX_MAX_SUBIDS + 1, 0), ISSU_ERR_INVAL);
    }
}

static void test_oid_cmp(void **state)
{
    const unsigned long a[] = {1, 3, 6}, b[] = {1, 3, 6, 0}, c[] = {1, 4};

    (void)state;
    assert_true(ax_oid_cmp(a, 3, b, 4) < 0);
    assert_true(ax_oid_cmp(b, 4, a, 3) > 0);
    assert_true(ax_oid_cmp(b, 4, c, 2) < 0);
    assert_int_equal(ax_oid_cmp(a, 3, a, 3), 0);
    assert_true(ax_oid_cmp(NULL, 0, a, 3) < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_ranges),
        cmocka_unit_test(test_roundtrip_varbinds),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_payloads),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_encode_full),
        cmocka_unit_test(test_oid_cmp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
