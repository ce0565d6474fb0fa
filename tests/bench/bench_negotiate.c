/*
 * bench_negotiate.c - negotiation throughput and memory (not a ctest test).
 *
 * Builds two images in memory (default 1,000 clients x 10 entities = 10,000
 * sessions; each session 8 message types and 4 capability types), then, N
 * times: two fresh endpoints joined by the in-memory transport connect and
 * negotiate everything (HELLO, INVENTORY, NEGO_REQ/RSP per session, both
 * snapshots published), followed by a full renegotiation round on the same
 * connection. Every byte goes through the codec.
 *
 * Anchor, measured in the same run: encoding and decoding the same NEGO_REQ
 * and NEGO_RSP frames without negotiating (the codec's floor), and a memcpy
 * of those bytes. Ratios to the anchor drift less than absolute times on a
 * shared machine.
 *
 * Memory: peak RSS (getrusage ru_maxrss) after the images are built, then
 * after the first negotiation with both endpoints and their snapshots alive.
 *
 * Events (events.h, computed on issud's core thread once per published
 * snapshot): issu_events_diff of the renegotiation that changed nothing
 * (every session compared, no event) and of a reload of the standby whose
 * four base clients fail (every session's effective result changes: one
 * event per session, each with its chain), against the full renegotiation.
 *
 *   bench_negotiate [--clients N] [--entities M] [--runs R]
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "codec.h"
#include "endpoint.h"
#include "events.h"
#include "image.h"
#include "mem.h"

#include "bench_images.h"


static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_negotiate: %s: %s\n", what, issu_strerror(rc));
    exit(1);
}

struct run {
    struct issu_mem_pair p;
};

static void pair_new(struct run *r, struct issu_image *a, struct issu_image *s)
{
    struct issu_endpoint_conf c;
    int rc;

    memset(r, 0, sizeof(*r));
    memset(&c, 0, sizeof(c));
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.transport = issu_mem_transport(&r->p, 0);
    if ((rc = issu_endpoint_new(&c, &r->p.ep[0])))
        die("endpoint", rc);
    c.unique_id = 7;
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.transport = issu_mem_transport(&r->p, 1);
    if ((rc = issu_endpoint_new(&c, &r->p.ep[1])))
        die("endpoint", rc);
}

static void pair_free(struct run *r)
{
    issu_endpoint_free(r->p.ep[0]);
    issu_endpoint_free(r->p.ep[1]);
    issu_mem_pair_clear(&r->p);
}

/* Check the outcome so a broken negotiation cannot look fast. */
static void check(struct run *r, uint32_t n_sess, uint64_t rounds)
{
    int i;

    for (i = 0; i < 2; i++) {
        struct issu_snapshot *s = issu_endpoint_snapshot(r->p.ep[i]);
        const struct issu_session *ss = s->n_sessions ? &s->sessions[s->n_sessions - 1] : NULL;
        if (s->n_sessions != n_sess || s->verdict != ISSU_VERDICT_COMPATIBLE || s->negotiations != rounds ||
            !ss || ss->n_versions != N_TYPES || ss->versions[N_TYPES - 1].version != 3 ||
            ss->n_caps != N_CAPS || ss->caps[0].entry != 2) {
            fprintf(stderr, "bench_negotiate: endpoint %d: unexpected outcome (sessions %u, verdict %s)\n", i,
                    s->n_sessions, issu_verdict_name(s->verdict));
            exit(1);
        }
        issu_snapshot_unref(s);
    }
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stat_ {
    double best, median;
};

static struct stat_ stats(double *v, int n)
{
    struct stat_ s;

    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    s.best = v[0];
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    return s;
}

/* The anchor: the same NEGO_REQ and NEGO_RSP frames encoded, then decoded. */
static double anchor_codec(const struct issu_image *a, const struct issu_image *s, struct issu_buf *b)
{
    struct issu_scratch sc = {0};
    struct issu_wmsg m;
    double t0 = now();
    size_t off = 0, flen;
    uint32_t i, e, sid = 1;
    int rc;

    b->len = 0;
    for (i = 0; i < a->n_clients; i++) {
        const struct issu_client *ca = &a->clients[i], *cs = &s->clients[i];
        for (e = 0; e < ca->n_entities; e++, sid++) {
            if ((rc = issu_enc_nego(b, ISSU_MSG_NEGO_REQ, 1, ca, &ca->entities[e], sid, 4096, 0)) ||
                (rc = issu_enc_nego(b, ISSU_MSG_NEGO_RSP, 1, cs, &cs->entities[e], sid, 4096, 1)))
                die("encode", rc);
        }
    }
    while (off < b->len) {
        if ((rc = issu_frame_peek(b->data + off, b->len - off, &flen)) || !flen)
            die("peek", rc ? rc : ISSU_ERR_DECODE);
        if ((rc = issu_decode(b->data + off, flen, &sc, &m)))
            die("decode", rc);
        off += flen;
    }
    t0 = now() - t0;
    issu_scratch_free(&sc);
    return t0;
}

static double anchor_memcpy(const struct issu_buf *b, uint8_t *dst)
{
    double t0 = now();

    memcpy(dst, b->data, b->len);
    __asm__ __volatile__("" : : "r"(dst) : "memory"); /* keep the copy */
    return now() - t0;
}

/* The standby image with its four base clients' message type 1 moved past
 * the active's versions: every client fails, directly or by its chain. */
static struct issu_image *broken_standby(uint32_t n_clients, uint32_t n_ent)
{
    struct issu_image *s = bench_image("bench_negotiate", 1, n_clients, n_ent);
    uint32_t i, v;

    for (i = 0; i < 4 && i < s->n_clients; i++) {
        struct issu_msg_type *mt = &s->clients[i].msg_groups[0].types[0];
        for (v = 0; v < mt->n_versions; v++)
            mt->versions[v].version += 10;
    }
    return s;
}

/* Median time of issu_events_diff(old, cur) over runs; *n_ev its event count. */
static struct stat_ time_diff(const struct issu_snapshot *old, const struct issu_snapshot *cur, int runs,
                              uint32_t *n_ev);

int main(int argc, char **argv)
{
    uint32_t n_clients = 1000, n_ent = 10, n_sess;
    int runs = 9, k, rc;
    struct issu_image *a, *s;
    struct run r;
    long rss_base, rss_images, rss_nego;
    double *t_conn, *t_reneg, *t_codec, *t_copy;
    struct issu_buf frames = {0};
    uint8_t *dst;
    uint64_t bytes_conn = 0, bytes_reneg = 0;

    if (bench_args(argc, argv, "bench_negotiate", &n_clients, &n_ent, &runs))
        return 2;
    n_sess = n_clients * n_ent;
    t_conn = calloc((size_t)runs, sizeof(double));
    t_reneg = calloc((size_t)runs, sizeof(double));
    t_codec = calloc((size_t)runs, sizeof(double));
    t_copy = calloc((size_t)runs, sizeof(double));
    if (!t_conn || !t_reneg || !t_codec || !t_copy)
        die("alloc", ISSU_ERR_NOMEM);

    rss_base = maxrss_kib();
    a = bench_image("bench_negotiate", 0, n_clients, n_ent);
    s = bench_image("bench_negotiate", 1, n_clients, n_ent);
    rss_images = maxrss_kib();

    /* First negotiation: the memory figure (peak with both endpoints alive). */
    pair_new(&r, a, s);
    if ((rc = issu_mem_pair_connect(&r.p)))
        die("connect", rc);
    check(&r, n_sess, 1);
    rss_nego = maxrss_kib();
    pair_free(&r);

    for (k = 0; k < runs; k++) {
        double t0;
        pair_new(&r, a, s);
        t0 = now();
        if ((rc = issu_mem_pair_connect(&r.p)))
            die("connect", rc);
        t_conn[k] = now() - t0;
        bytes_conn = r.p.bytes;
        check(&r, n_sess, 1);
        t0 = now();
        if ((rc = issu_endpoint_renegotiate(r.p.ep[0], 0, 0)) || (rc = issu_mem_pair_run(&r.p)))
            die("renegotiate", rc);
        t_reneg[k] = now() - t0;
        bytes_reneg = r.p.bytes - bytes_conn;
        check(&r, n_sess, 2);
        pair_free(&r);
    }
    anchor_codec(a, s, &frames); /* warm */
    dst = malloc(frames.len ? frames.len : 1);
    if (!dst)
        die("alloc", ISSU_ERR_NOMEM);
    memset(dst, 0, frames.len);
    for (k = 0; k < runs; k++) {
        t_codec[k] = anchor_codec(a, s, &frames);
        t_copy[k] = anchor_memcpy(&frames, dst);
    }

    {
        struct stat_ c = stats(t_conn, runs), g = stats(t_reneg, runs), x = stats(t_codec, runs),
                     m = stats(t_copy, runs);
        printf("sessions: %u (%u clients x %u entities, %d message types, %d capability types each)\n", n_sess,
               n_clients, n_ent, N_TYPES, N_CAPS);
        printf("runs: %d\n", runs);
        printf("connect+negotiate: best %.2f ms (%.0f sessions/s), median %.2f ms (%.0f sessions/s), %llu bytes\n",
               c.best * 1e3, n_sess / c.best, c.median * 1e3, n_sess / c.median,
               (unsigned long long)bytes_conn);
        printf("full renegotiation: best %.2f ms (%.0f sessions/s), median %.2f ms (%.0f sessions/s), %llu bytes\n",
               g.best * 1e3, n_sess / g.best, g.median * 1e3, n_sess / g.median,
               (unsigned long long)bytes_reneg);
        printf("anchor encode+decode of the %zu NEGO bytes: best %.2f ms, median %.2f ms\n", frames.len,
               x.best * 1e3, x.median * 1e3);
        printf("anchor memcpy of the same bytes: best %.3f ms, median %.3f ms\n", m.best * 1e3, m.median * 1e3);
        printf("ratio connect+negotiate / encode+decode (medians): %.1f\n", c.median / x.median);
        printf("ratio full renegotiation / encode+decode (medians): %.1f\n", g.median / x.median);
        printf("ratio full renegotiation / memcpy (medians): %.0f\n", g.median / m.median);
        printf("peak RSS: start %ld KiB, images built %ld KiB, after negotiation %ld KiB\n", rss_base, rss_images,
               rss_nego);
        printf("RSS per session: total %.0f bytes, negotiation's share %.0f bytes (two endpoints)\n",
               rss_nego * 1024.0 / n_sess, (rss_nego - rss_images) * 1024.0 / n_sess);
    }
    /* events: a renegotiation that changed nothing, a reload that changed all */
    {
        struct issu_snapshot *before, *same, *broken;
        struct issu_image *s2 = broken_standby(n_clients, n_ent);
        struct stat_ g, d0, d1;
        uint32_t n0, n1;

        pair_new(&r, a, s);
        if ((rc = issu_mem_pair_connect(&r.p)))
            die("connect", rc);
        before = issu_endpoint_snapshot(r.p.ep[0]);
        if ((rc = issu_endpoint_renegotiate(r.p.ep[0], 0, 0)) || (rc = issu_mem_pair_run(&r.p)))
            die("renegotiate", rc);
        same = issu_endpoint_snapshot(r.p.ep[0]);
        if ((rc = issu_endpoint_set_image(r.p.ep[1], s2)) || (rc = issu_mem_pair_run(&r.p)))
            die("reload", rc);
        broken = issu_endpoint_snapshot(r.p.ep[0]);
        d0 = time_diff(before, same, runs, &n0);
        d1 = time_diff(same, broken, runs, &n1);
        g = stats(t_reneg, runs); /* sorted already: the same medians */
        if (n0 != 0 || n1 != n_sess + 1 || broken->verdict != ISSU_VERDICT_INCOMPATIBLE)
            die("events: unexpected count", ISSU_ERR_INVAL);
        printf("events of a renegotiation that changed nothing (%u sessions compared, %u events): "
               "median %.2f ms, best %.2f ms\n", n_sess, n0, d0.median * 1e3, d0.best * 1e3);
        printf("events of a reload that changed every session (%u events with chains): median %.2f ms, "
               "best %.2f ms\n", n1, d1.median * 1e3, d1.best * 1e3);
        printf("ratio events (nothing changed) / full renegotiation (medians): %.3f\n", d0.median / g.median);
        printf("ratio events (all changed) / full renegotiation (medians): %.3f\n", d1.median / g.median);
        issu_snapshot_unref(before);
        issu_snapshot_unref(same);
        issu_snapshot_unref(broken);
        pair_free(&r);
        issu_image_free(s2);
    }
    issu_buf_free(&frames);
    free(dst);
    free(t_conn);
    free(t_reneg);
    free(t_codec);
    free(t_copy);
    issu_image_free(a);
    issu_image_free(s);
    return 0;
}

static struct stat_ time_diff(const struct issu_snapshot *old, const struct issu_snapshot *cur, int runs,
                              uint32_t *n_ev)
{
    double *t = calloc((size_t)runs, sizeof(double));
    struct issu_events *e = NULL;
    struct stat_ st;
    int k, rc;

    if (!t)
        die("alloc", ISSU_ERR_NOMEM);
    for (k = 0; k < runs; k++) {
        double t0 = now();
        if ((rc = issu_events_diff(old, cur, &e)))
            die("events", rc);
        t[k] = now() - t0;
        *n_ev = e->n;
        issu_events_unref(e);
    }
    st = stats(t, runs);
    free(t);
    return st;
}
