/*
 * fuzz_codec.c - libFuzzer target: untrusted bytes into the negotiation
 * protocol's decoder and into a connected endpoint.
 *
 * Input: byte 0 picks the mode, byte 1 the chunk size the rest is fed in
 * (1..256; transports split streams anywhere), the rest is the stream.
 *   mode 0: issu_frame_peek + issu_decode over the stream, frame by frame
 *   mode 1: into the PASSIVE endpoint, which has the PRIMARY's HELLO and
 *           INVENTORY: the stream plays the PRIMARY (NEGO_REQ, ROUND_END...)
 *   mode 2: into the PRIMARY endpoint, which has the PASSIVE's HELLO and
 *           INVENTORY and sent round 1: the stream plays the PASSIVE
 *   mode 3: into a fresh connected endpoint that has heard nothing yet
 * Whatever comes in, the endpoint must not crash, and its snapshot must stay
 * self-consistent. tests/fuzz/gen_codec_corpus.c writes the seed corpus.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "codec_img.h"
#include "endpoint.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct issu_image *img_a, *img_s;
static struct issu_scratch scratch;

static void
check_decoded(const struct issu_wmsg *m, size_t flen)
{
    uint32_t i;

    /* nothing decoded can describe more elements than the frame has bytes */
    switch (m->type) {
    case ISSU_MSG_INVENTORY:
        if (m->u.inv.n_clients > flen || (m->u.inv.n_clients && !m->u.inv.clients))
            abort();
        for (i = 0; i < m->u.inv.n_clients; i++)
            if (m->u.inv.clients[i].n_entities > flen || m->u.inv.clients[i].n_prereqs > flen)
                abort();
        break;
    case ISSU_MSG_NEGO_REQ:
    case ISSU_MSG_NEGO_RSP:
        if (m->u.nego.n_types > flen || m->u.nego.n_caps > flen)
            abort();
        for (i = 1; i < m->u.nego.n_types; i++)
            if (m->u.nego.types[i].id <= m->u.nego.types[i - 1].id)
                abort();
        break;
    default:
        break;
    }
}

static void
fuzz_decode(const uint8_t *d, size_t len)
{
    struct issu_wmsg m;
    size_t off = 0, flen;

    while (off < len) {
        if (issu_frame_peek(d + off, len - off, &flen) || !flen)
            return;
        if (flen > len - off)
            abort();
        if (issu_decode(d + off, flen, &scratch, &m) == ISSU_OK)
            check_decoded(&m, flen);
        off += flen;
    }
}

static void
check_snapshot(struct issu_endpoint *ep)
{
    struct issu_snapshot *s = issu_endpoint_snapshot(ep);
    uint32_t i;

    if (!s)
        abort();
    for (i = 0; i < s->n_sessions; i++) {
        const struct issu_session *ss = &s->sessions[i];
        if (issu_snapshot_session(s, ss->sid) != ss ||
                issu_snapshot_session_ce(s, ss->client_id, ss->entity_id) != ss)
            abort();
    }
    for (i = 0; i < s->n_clients; i++)
        if (issu_snapshot_client(s, s->clients[i].id) != &s->clients[i])
            abort();
    issu_snapshot_unref(s);
}

static void
fuzz_endpoint(int mode, const uint8_t *d, size_t len, size_t chunk)
{
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    struct issu_endpoint *target;
    size_t off;
    int rc = ISSU_OK;

    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = img_a;
    c.transport = issu_mem_transport(&p, 0);
    if (issu_endpoint_new(&c, &p.ep[0]))
        abort();
    c.unique_id = 7;
    c.side = ISSU_SIDE_STANDBY;
    c.image = img_s;
    c.transport = issu_mem_transport(&p, 1);
    if (issu_endpoint_new(&c, &p.ep[1]))
        abort();
    if (issu_endpoint_connected(p.ep[0]) || issu_endpoint_connected(p.ep[1]))
        abort();
    /* q[i] holds what waits for ep[i]: deliver one side's intro, drop the other's */
    if (mode == 1) {
        target = p.ep[1];
        if (issu_endpoint_input(target, p.q[1].data, p.q[1].len))
            abort();
    } else if (mode == 2) {
        target = p.ep[0];
        if (issu_endpoint_input(target, p.q[0].data, p.q[0].len))
            abort();
    } else {
        target = p.ep[1];
    }
    p.q[0].len = p.q[1].len = 0;

    for (off = 0; off < len && rc == ISSU_OK; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        rc = issu_endpoint_input(target, d + off, n);
        p.q[0].len = p.q[1].len = 0; /* what it answers goes nowhere */
    }
    check_snapshot(target);
    if (rc != ISSU_OK) {
        if (issu_endpoint_peer_lost(target))
            abort();
        check_snapshot(target);
    } else if (!issu_endpoint_busy(target)) {
        /* a renegotiation request must be accepted or refused cleanly */
        (void)issu_endpoint_renegotiate(target, 0, 0);
        check_snapshot(target);
    }
    issu_endpoint_free(p.ep[0]);
    issu_endpoint_free(p.ep[1]);
    issu_mem_pair_clear(&p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!img_a) {
        img_a = fz_image(0);
        img_s = fz_image(1);
    }
    if (size < 2)
        return 0;
    if (data[0] % 4 == 0)
        fuzz_decode(data + 2, size - 2);
    else
        fuzz_endpoint(data[0] % 4, data + 2, size - 2, (size_t)data[1] + 1);
    return 0;
}
