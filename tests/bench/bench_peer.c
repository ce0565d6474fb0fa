/*
 * bench_peer.c - negotiation over a real loopback TCP connection vs the
 * in-memory transport, in one run (not a ctest test; peer_bench.py runs it).
 *
 * Two images of N clients x M entities (default 1,000 x 10 = 10,000
 * sessions, 8 message types and 4 capability types each, as in
 * bench_negotiate). Per run:
 *   tcp: a listening socket on 127.0.0.1 (ephemeral port) exists; the clock
 *        starts, the active thread connect()s, the standby thread accept()s,
 *        each owns its endpoint and a non-blocking socket in a poll() loop
 *        (output is queued and written when the socket takes it, so the
 *        pipelined requests never deadlock); the clock stops when both
 *        endpoints published the round's results for every session.
 *   link: (when issu_peer has tcp.c) the same through issud's own TCP link
 *        (tcp.h: PSK handshake, AES-256-GCM secure frames, keepalive timers), each
 *        link polled by its own thread; the clock starts before the
 *        connecting link's first poll and stops when both endpoints published.
 *   mem: the same two images joined by issu_mem_pair (the anchor).
 * Every outcome is checked (session count, verdict, negotiated version and
 * entry), so a broken exchange cannot look fast. Medians of R runs, and the
 * TCP/in-memory ratio.
 *
 *   bench_peer [--clients N] [--entities M] [--runs R]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "endpoint.h"
#include "image.h"
#include "issu_err.h"
#include "mem.h"
#ifdef HAVE_ISSU_TCP
#include "tcp.h"

#include "bench_images.h"
#endif


static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "bench_peer: %s: %s\n", what, issu_strerror(rc));
    exit(1);
}

static void die_errno(const char *what)
{
    fprintf(stderr, "bench_peer: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Check the outcome so a broken negotiation cannot look fast. */
static void check_ep(struct issu_endpoint *ep, uint32_t n_sess, const char *what)
{
    struct issu_snapshot *s = issu_endpoint_snapshot(ep);
    const struct issu_session *ss = s->n_sessions ? &s->sessions[s->n_sessions - 1] : NULL;

    if (s->n_sessions != n_sess || s->verdict != ISSU_VERDICT_COMPATIBLE || s->negotiations != 1 ||
        s->peer_state != ISSU_PEER_UP || !ss || ss->n_versions != N_TYPES ||
        ss->versions[N_TYPES - 1].version != 3 || ss->n_caps != N_CAPS || ss->caps[0].entry != 2) {
        fprintf(stderr, "bench_peer: %s: unexpected outcome (sessions %u, verdict %s, rounds %llu)\n", what,
                s->n_sessions, issu_verdict_name(s->verdict), (unsigned long long)s->negotiations);
        exit(1);
    }
    issu_snapshot_unref(s);
}

/* ---- one TCP side: an endpoint, a non-blocking socket, an output queue ---- */

struct side {
    int fd;
    int connect_side; /* 1: the active connects; 0: the standby accepts on lfd */
    int lfd;
    struct sockaddr_in addr;
    struct issu_endpoint *ep;
    struct issu_buf out;
    size_t out_off;
    int done;       /* results published (on_change saw the round) */
    uint64_t bytes; /* received */
};

static int side_send(void *ctx, const uint8_t *data, size_t len)
{
    struct side *s = ctx;
    struct issu_buf *q = &s->out;
    size_t need = q->len + len;

    if (need > q->cap) {
        size_t cap = q->cap ? q->cap : 65536;
        uint8_t *d;
        while (cap < need)
            cap *= 2;
        if (!(d = realloc(q->data, cap)))
            return ISSU_ERR_NOMEM;
        q->data = d;
        q->cap = cap;
    }
    memcpy(q->data + q->len, data, len);
    q->len += len;
    return ISSU_OK;
}

static void side_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct side *s = arg;

    (void)old;
    if (cur->negotiations >= 1)
        s->done = 1;
}

static int flush_out(struct side *s)
{
    while (s->out_off < s->out.len) {
        ssize_t n = send(s->fd, s->out.data + s->out_off, s->out.len - s->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return -1;
        }
        s->out_off += (size_t)n;
    }
    s->out.len = s->out_off = 0;
    return 0;
}

static void *side_run(void *arg)
{
    struct side *s = arg;
    static uint8_t rbuf_[2][1 << 16];
    uint8_t *rbuf = rbuf_[s->connect_side];
    int one = 1, rc;

    if (s->connect_side) {
        if ((s->fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
            die_errno("socket");
        if (connect(s->fd, (struct sockaddr *)&s->addr, sizeof(s->addr)) < 0)
            die_errno("connect");
    } else if ((s->fd = accept(s->lfd, NULL, NULL)) < 0) {
        die_errno("accept");
    }
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    fcntl(s->fd, F_SETFL, fcntl(s->fd, F_GETFL) | O_NONBLOCK);
    if ((rc = issu_endpoint_connected(s->ep)))
        die("connected", rc);
    /* Run until our results are published and our last bytes are out; the
     * peer may still need them (the passive's ROUND_ACK). */
    while (!(s->done && s->out_off == s->out.len)) {
        struct pollfd p = {s->fd, POLLIN | (s->out_off < s->out.len ? POLLOUT : 0), 0};
        if (poll(&p, 1, 5000) <= 0)
            die_errno("poll (stalled 5 s)");
        if (p.revents & POLLIN) {
            ssize_t n = recv(s->fd, rbuf, sizeof(rbuf_[0]), 0);
            if (n == 0) {
                fprintf(stderr, "bench_peer: peer closed early\n");
                exit(1);
            }
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die_errno("recv");
            if (n > 0) {
                s->bytes += (uint64_t)n;
                if ((rc = issu_endpoint_input(s->ep, rbuf, (size_t)n)))
                    die("input", rc);
            }
        }
        if (flush_out(s) < 0)
            die_errno("send");
    }
    return NULL;
}

static double run_tcp(struct issu_image *a, struct issu_image *st, uint32_t n_sess, uint64_t *bytes)
{
    struct side sd[2];
    struct issu_endpoint_conf c;
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    pthread_t th[2];
    int lfd, i, rc;
    double t0, t;

    memset(sd, 0, sizeof(sd));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(lfd, 1) < 0 || getsockname(lfd, (struct sockaddr *)&addr, &alen) < 0)
        die_errno("listen on 127.0.0.1");
    for (i = 0; i < 2; i++) {
        memset(&c, 0, sizeof(c));
        c.unique_id = i ? 4 : 7;
        c.side = i ? ISSU_SIDE_ACTIVE : ISSU_SIDE_STANDBY;
        c.image = i ? a : st;
        c.transport.send = side_send;
        c.transport.ctx = &sd[i];
        c.on_change = side_change;
        c.arg = &sd[i];
        sd[i].connect_side = i;
        sd[i].lfd = lfd;
        sd[i].addr = addr;
        sd[i].fd = -1;
        if ((rc = issu_endpoint_new(&c, &sd[i].ep)))
            die("endpoint", rc);
        sd[i].done = 0; /* the initial snapshot (peer down) does not count */
    }
    t0 = now();
    for (i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, side_run, &sd[i]))
            die("pthread_create", ISSU_ERR_NOMEM);
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    t = now() - t0;
    *bytes = sd[0].bytes + sd[1].bytes;
    check_ep(sd[1].ep, n_sess, "tcp active");
    check_ep(sd[0].ep, n_sess, "tcp standby");
    for (i = 0; i < 2; i++) {
        close(sd[i].fd);
        issu_endpoint_free(sd[i].ep);
        issu_buf_free(&sd[i].out);
    }
    close(lfd);
    return t;
}

static double run_mem(struct issu_image *a, struct issu_image *st, uint32_t n_sess, uint64_t *bytes)
{
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    double t0, t;
    int rc;

    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.transport = issu_mem_transport(&p, 0);
    if ((rc = issu_endpoint_new(&c, &p.ep[0])))
        die("endpoint", rc);
    c.unique_id = 7;
    c.side = ISSU_SIDE_STANDBY;
    c.image = st;
    c.transport = issu_mem_transport(&p, 1);
    if ((rc = issu_endpoint_new(&c, &p.ep[1])))
        die("endpoint", rc);
    t0 = now();
    if ((rc = issu_mem_pair_connect(&p)))
        die("mem connect", rc);
    t = now() - t0;
    *bytes = p.bytes;
    check_ep(p.ep[0], n_sess, "mem active");
    check_ep(p.ep[1], n_sess, "mem standby");
    issu_endpoint_free(p.ep[0]);
    issu_endpoint_free(p.ep[1]);
    issu_mem_pair_clear(&p);
    return t;
}

#ifdef HAVE_ISSU_TCP
/* ---- the same through tcp.h's links (auth + secure frames) ---- */

struct lside {
    struct issu_tcp *link;
    struct issu_endpoint *ep;
    volatile int *all_done;
    double t_done;
    int done;
};

static void lside_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct lside *s = arg;

    (void)old;
    if (cur->negotiations >= 1 && !s->done) {
        s->done = 1;
        s->t_done = now();
    }
}

static void lside_log(void *arg, int level, const char *msg)
{
    (void)arg;
    if (level <= 3) /* LOG_ERR */
        fprintf(stderr, "bench_peer: link: %s\n", msg);
}

static void *lside_run(void *arg)
{
    struct lside *s = arg;
    double t_end = now() + 30;

    /* Both keep polling until both published: the passive's ROUND_ACK must
     * still leave its queue after its own results are out. */
    while (!*s->all_done) {
        struct pollfd fds[ISSU_TCP_PENDING_MAX + 1];
        int n = 0, timeout = 10;
        issu_tcp_prepare(s->link, fds, &n, &timeout);
        if (timeout < 0 || timeout > 10)
            timeout = 10;
        if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
            die_errno("poll");
        issu_tcp_process(s->link, fds, n);
        if (now() > t_end) {
            fprintf(stderr, "bench_peer: link run stalled 30 s\n");
            exit(1);
        }
    }
    return NULL;
}

static double run_link(struct issu_image *a, struct issu_image *st, uint32_t n_sess)
{
    static const uint8_t psk[] = "bench-peer pre-shared key, 43 bytes long...";
    struct lside sd[2];
    struct issu_tcp_conf tc;
    struct issu_endpoint_conf c;
    volatile int all_done = 0;
    char addr[64];
    pthread_t th[2];
    double t0, t1;
    int i, rc;

    memset(sd, 0, sizeof(sd));
    memset(&tc, 0, sizeof(tc));
    tc.psk = psk;
    tc.psk_len = sizeof(psk) - 1;
    tc.log = lside_log;
    tc.listen = "127.0.0.1:0";
    if ((rc = issu_tcp_new(&tc, &sd[0].link)))
        die("listen link", rc);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", issu_tcp_port(sd[0].link));
    tc.listen = NULL;
    tc.connect = addr;
    if ((rc = issu_tcp_new(&tc, &sd[1].link)))
        die("connect link", rc);
    for (i = 0; i < 2; i++) {
        memset(&c, 0, sizeof(c));
        c.unique_id = i ? 7 : 4;
        c.side = i ? ISSU_SIDE_STANDBY : ISSU_SIDE_ACTIVE;
        c.image = i ? st : a;
        c.transport = issu_tcp_transport(sd[i].link);
        c.on_change = lside_change;
        c.arg = &sd[i];
        if ((rc = issu_endpoint_new(&c, &sd[i].ep)))
            die("endpoint", rc);
        sd[i].done = 0; /* the initial snapshot (peer down) does not count */
        issu_tcp_attach(sd[i].link, sd[i].ep);
        sd[i].all_done = &all_done;
    }
    t0 = now();
    for (i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, lside_run, &sd[i]))
            die("pthread_create", ISSU_ERR_NOMEM);
    while (!(__atomic_load_n(&sd[0].done, __ATOMIC_ACQUIRE) && __atomic_load_n(&sd[1].done, __ATOMIC_ACQUIRE))) {
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    all_done = 1;
    for (i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    t1 = sd[0].t_done > sd[1].t_done ? sd[0].t_done : sd[1].t_done;
    check_ep(sd[0].ep, n_sess, "link active");
    check_ep(sd[1].ep, n_sess, "link standby");
    for (i = 0; i < 2; i++) {
        issu_tcp_free(sd[i].link);
        issu_endpoint_free(sd[i].ep);
    }
    return t1 - t0;
}
#endif

static int cmp_d(const void *x, const void *y)
{
    double u = *(const double *)x, v = *(const double *)y;
    return u < v ? -1 : u > v;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    uint32_t n_clients = 1000, n_ent = 10, n_sess;
    int runs = 11, k;
    struct issu_image *a, *s;
    double *tt, *tm, *tl, mt, mm;
    uint64_t btcp = 0, bmem = 0;

    if (bench_args(argc, argv, "bench_peer", &n_clients, &n_ent, &runs))
        return 2;
    n_sess = n_clients * n_ent;
    if (!(tt = calloc((size_t)runs, sizeof(double))) || !(tm = calloc((size_t)runs, sizeof(double))) ||
        !(tl = calloc((size_t)runs, sizeof(double))))
        die("alloc", ISSU_ERR_NOMEM);
    a = bench_image("bench_peer", 0, n_clients, n_ent);
    s = bench_image("bench_peer", 1, n_clients, n_ent);
    run_tcp(a, s, n_sess, &btcp); /* warm: page in, first allocations */
    run_mem(a, s, n_sess, &bmem);
#ifdef HAVE_ISSU_TCP
    run_link(a, s, n_sess);
#endif
    for (k = 0; k < runs; k++) { /* interleaved so machine noise hits all */
        tt[k] = run_tcp(a, s, n_sess, &btcp);
        tm[k] = run_mem(a, s, n_sess, &bmem);
#ifdef HAVE_ISSU_TCP
        tl[k] = run_link(a, s, n_sess);
#endif
    }
    mt = median(tt, runs);
    mm = median(tm, runs);
    printf("sessions: %u (%u clients x %u entities, %d message types, %d capability types each)\n", n_sess,
           n_clients, n_ent, N_TYPES, N_CAPS);
    printf("runs: %d (interleaved, after one warm-up each)\n", runs);
    printf("tcp 127.0.0.1 connect -> all negotiated: median %.2f ms, best %.2f ms (%.0f sessions/s), %llu bytes\n",
           mt * 1e3, tt[0] * 1e3, n_sess / mt, (unsigned long long)btcp);
    printf("in-memory pair connect -> all negotiated: median %.2f ms, best %.2f ms (%.0f sessions/s), %llu bytes\n",
           mm * 1e3, tm[0] * 1e3, n_sess / mm, (unsigned long long)bmem);
    printf("ratio tcp / in-memory (medians): %.2f\n", mt / mm);
#ifdef HAVE_ISSU_TCP
    {
        double ml = median(tl, runs);
        printf("issud tcp link (PSK auth, AEAD frames) connect -> all negotiated: median %.2f ms, best %.2f ms "
               "(%.0f sessions/s)\n", ml * 1e3, tl[0] * 1e3, n_sess / ml);
        printf("ratio issud tcp link / in-memory (medians): %.2f\n", ml / mm);
    }
#else
    printf("issud tcp link: not built (issu_peer has no tcp.c)\n");
#endif
    free(tt);
    free(tm);
    free(tl);
    issu_image_free(a);
    issu_image_free(s);
    return 0;
}
