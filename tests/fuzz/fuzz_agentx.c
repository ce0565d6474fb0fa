/*
 * fuzz_agentx.c - libFuzzer target: what an AgentX master (or whatever
 * listens at its path) sends issud's subagent.
 *
 * The input is a byte stream cut into PDUs as agentx_session.c cuts it
 * (ax_hdr_plen, then the whole PDU); each goes through ax_pdu_parse and its
 * list, and each request is answered by agentx_dispatch.c from a real
 * snapshot (codec_img.h's two images, negotiated once) with snmp_mib.c's
 * values. Every answer must parse back as a well-formed Response with the
 * request's ids, and every OID read must encode back to the same OID.
 * The seed corpus (tests/fuzz/corpus/agentx/) is what snmpd 5.9.3 sent
 * issud, recorded with tests/fuzz/agentx_capture.py, plus GetBulk and
 * little-endian PDUs (no net-snmp master sends those).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentx.h"
#include "codec_img.h"
#include "issu_err.h"
#include "mem.h"
#include "snmp_mib.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct issu_snapshot *g_snap;
static struct ax_set g_set;

static struct issu_snapshot *snap(void *arg)
{
    (void)arg;
    return issu_snapshot_ref(g_snap);
}

static int reneg(void *arg, uint32_t id)
{
    (void)arg;
    return id == 2011 || !id ? ISSU_OK : ISSU_ERR_NOTFOUND;
}

static uint32_t uptime(void *arg)
{
    (void)arg;
    return 4242;
}

static void setup(void)
{
    static const struct issu_snmp_mib_ops ops = {snap, reneg, NULL, uptime, NULL, NULL};
    struct issu_image *a = fz_image(0), *s = fz_image(1);

    if (issu_mem_negotiate(a, 4, s, 7, NULL, NULL, &g_snap, NULL) || issu_snmp_mib_init(NULL, 0, &ops))
        abort();
    issu_image_free(a);
    issu_image_free(s);
}

/* An OID must survive encode -> decode. */
static void roundtrip(const struct ax_oid *o)
{
    uint8_t buf[AX_HDR_LEN + 4 + 4 * AX_MAX_SUBIDS + 8];
    struct ax_wr w = {buf, sizeof(buf), 0, 0, 1};
    struct ax_pdu p;
    struct ax_vb vb;
    int got;

    if (ax_wr_begin(&w, AX_RESPONSE, 0, 1, 2, 3) || ax_wr_u32(&w, 0) || ax_wr_u16x2(&w, 0, 0) ||
        ax_wr_vb_head(&w, 5, o->sub, o->n))
        abort();
    ax_wr_end(&w);
    if (ax_pdu_parse(buf, w.len, &p) || ax_pdu_vb(&p, &vb, &got) || !got || vb.name.n != o->n ||
        memcmp(vb.name.sub, o->sub, o->n * sizeof(o->sub[0])))
        abort();
}

static void walk_list(struct ax_pdu *p)
{
    static struct ax_oid a, b;
    static struct ax_vb vb;
    int got = 1;

    switch (p->type) {
    case AX_GET:
    case AX_GETNEXT:
    case AX_GETBULK:
        while (got && !ax_pdu_range(p, &a, &b, &got) && got) {
            roundtrip(&a);
            roundtrip(&b);
        }
        break;
    case AX_TESTSET:
    case AX_NOTIFY:
    case AX_RESPONSE:
        while (got && !ax_pdu_vb(p, &vb, &got) && got)
            roundtrip(&vb.name);
        break;
    default:
        break;
    }
}

static void answer(const uint8_t *pdu, size_t n)
{
    static uint8_t out[AX_HDR_LEN + AX_MAX_PAYLOAD];
    static struct ax_vb vb;
    struct ax_wr w = {out, sizeof(out), 0, 0, 1};
    struct ax_pdu req, rsp;
    int got = 1;

    if (ax_pdu_parse(pdu, n, &req) || req.type < AX_GET || req.type > AX_CLEANUPSET)
        return;
    if (issu_ax_dispatch(&req, &w, &g_set) || !w.len)
        return;
    if (ax_pdu_parse(out, w.len, &rsp) || rsp.type != AX_RESPONSE || rsp.packetid != req.packetid ||
        rsp.transid != req.transid || rsp.sessid != req.sessid)
        abort();
    while (got)
        if (ax_pdu_vb(&rsp, &vb, &got))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;

    if (!g_snap)
        setup();
    while (size - off >= AX_HDR_LEN) {
        struct ax_pdu p;
        uint32_t plen;

        if (ax_hdr_plen(data + off, &plen) || size - off < AX_HDR_LEN + (size_t)plen)
            break;
        if (!ax_pdu_parse(data + off, AX_HDR_LEN + plen, &p))
            walk_list(&p);
        answer(data + off, AX_HDR_LEN + plen);
        off += AX_HDR_LEN + plen;
    }
    return 0;
}
