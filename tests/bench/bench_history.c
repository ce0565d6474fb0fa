/*
 * bench_history.c - what the negotiation history (agent/history) costs.
 *
 * One endpoint pair (bench_images.h, 10,000 sessions by default) publishes
 * reload rounds that change every session (the standby alternates between a
 * compatible image and one whose base clients fail: 10,001 events each).
 * Its change listener does what issud's hub does: the events once, then,
 * with a store, the history's listener (issu_hist_submit). Runs alternate
 * with and without a store in one process, so the two figures compare:
 *   - the round's publication (set_image + the round to quiet, the
 *     listeners included), with and without the store;
 *   - the listener alone (what the core thread spends on the history);
 *   - the writer thread's time per round (one SQLite transaction);
 *   - the store's size per 1,000 events;
 *   - reading 100,000 stored events in replay's pages (5,000 per query), the
 *     store's share of a replay.
 * Anchor: the same round without a store.
 *
 * Usage: bench_history [--clients N] [--entities M] [--runs R]
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench_images.h"
#include "endpoint.h"
#include "events.h"
#include "history.h"
#include "issu_err.h"
#include "mem.h"

struct fx {
    struct issu_mem_pair p;
    struct issu_hist *h; /* NULL: no store */
    double listener;     /* seconds in the history's listener, last round */
};

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct fx *f = arg;
    struct issu_events *ev = NULL;
    double t0;

    if (issu_events_diff(old, cur, &ev) != ISSU_OK)
        bench_die("bench_history", "events", ISSU_ERR_NOMEM);
    t0 = now();
    if (f->h)
        issu_hist_submit(f->h, ISSU_TRIG_RELOAD, old, cur, ev);
    f->listener = now() - t0;
    issu_events_unref(ev);
}

static void pair_new(struct fx *f, struct issu_image *a, struct issu_image *s)
{
    struct issu_endpoint_conf c;
    int rc;

    memset(&c, 0, sizeof(c));
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.on_change = on_change;
    c.arg = f;
    c.transport = issu_mem_transport(&f->p, 0);
    if ((rc = issu_endpoint_new(&c, &f->p.ep[0])))
        bench_die("bench_history", "endpoint", rc);
    c.unique_id = 7;
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.on_change = NULL;
    c.transport = issu_mem_transport(&f->p, 1);
    if ((rc = issu_endpoint_new(&c, &f->p.ep[1])))
        bench_die("bench_history", "endpoint", rc);
    if ((rc = issu_mem_pair_connect(&f->p)))
        bench_die("bench_history", "connect", rc);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* after median(): sorted */
static double best(const double *v)
{
    return v[0];
}

static struct issu_image *broken_standby(uint32_t n_clients, uint32_t n_ent)
{
    struct issu_image *s = bench_image("bench_history", 1, n_clients, n_ent);
    uint32_t i, v;

    for (i = 0; i < 4 && i < s->n_clients; i++) {
        struct issu_msg_type *mt = &s->clients[i].msg_groups[0].types[0];
        for (v = 0; v < mt->n_versions; v++)
            mt->versions[v].version += 10;
    }
    return s;
}

int main(int argc, char **argv)
{
    uint32_t n_clients = 1000, n_ent = 10;
    int runs = 9, k, rc, flip = 0;
    struct issu_image *a, *s, *s2;
    struct issu_hist_conf hc;
    struct issu_hist_stats st;
    struct issu_hist_query q;
    struct issu_hist_result *r;
    struct fx f;
    double *t_plain, *t_store, *t_listen, *t_write, t0, t_read;
    char dir[] = "/tmp/bench_history.XXXXXX", path[256];
    struct stat sb;
    uint64_t events = 0, n_read;
    int n_store = 0, n_plain = 0;

    if (bench_args(argc, argv, "bench_history", &n_clients, &n_ent, &runs))
        return 2;
    t_plain = calloc((size_t)runs, sizeof(double));
    t_store = calloc((size_t)runs, sizeof(double));
    t_listen = calloc((size_t)runs, sizeof(double));
    t_write = calloc((size_t)runs, sizeof(double));
    if (!t_plain || !t_store || !t_listen || !t_write || !mkdtemp(dir))
        bench_die("bench_history", "setup", ISSU_ERR_NOMEM);
    a = bench_image("bench_history", 0, n_clients, n_ent);
    s = bench_image("bench_history", 1, n_clients, n_ent);
    s2 = broken_standby(n_clients, n_ent);

    memset(&hc, 0, sizeof(hc));
    hc.state_dir = dir;
    hc.require = 1;
    hc.max_events = 10000000;
    if ((rc = issu_hist_open(&hc, &f.h)) || (rc = issu_hist_start(f.h)))
        bench_die("bench_history", "store", rc);
    {
        struct issu_hist *h = f.h;

        memset(&f, 0, sizeof(f));
        pair_new(&f, a, s);
        /* plain, store, store, plain, ...: each kind breaks and mends the
         * standby equally often; every round changes every session */
        for (k = 0; k < 2 * runs; k++) {
            int with = k % 4 == 1 || k % 4 == 2;

            f.h = with ? h : NULL;
            flip = !flip;
            t0 = now();
            if ((rc = issu_endpoint_set_image(f.p.ep[1], flip ? s2 : s)) || (rc = issu_mem_pair_run(&f.p)))
                bench_die("bench_history", "reload", rc);
            t0 = now() - t0;
            if (with) {
                t_store[n_store] = t0;
                t_listen[n_store] = f.listener;
                issu_hist_flush(h); /* not timed: the writer's own figure is below */
                issu_hist_stats(h, &st);
                t_write[n_store++] = (double)st.write_ns_last / 1e9;
            } else {
                t_plain[n_plain++] = t0;
            }
        }
        issu_endpoint_free(f.p.ep[0]);
        issu_endpoint_free(f.p.ep[1]);
        issu_mem_pair_clear(&f.p);
        f.h = h;
    }
    issu_hist_stats(f.h, &st);
    events = st.events_stored;
    printf("sessions: %u (%u clients x %u entities); runs: %d of each\n", n_clients * n_ent, n_clients, n_ent,
           runs);
    printf("events per round: %llu (every session changes, and the verdict)\n",
           (unsigned long long)(events / (uint64_t)runs));
    {
        double p = median(t_plain, runs), w = median(t_store, runs), l = median(t_listen, runs),
               x = median(t_write, runs);

        printf("round published, no store (anchor): median %.2f ms, best %.2f ms\n", p * 1e3, best(t_plain) * 1e3);
        printf("round published, with the store:    median %.2f ms, best %.2f ms (ratio of medians %.3f, of "
               "bests %.3f)\n", w * 1e3, best(t_store) * 1e3, w / p, best(t_store) / best(t_plain));
        printf("core thread in the history's listener: median %.1f us, best %.1f us (ratio to the round %.5f)\n",
               l * 1e6, best(t_listen) * 1e6, l / p);
        printf("writer thread per round (one transaction of %llu events): median %.1f ms, best %.1f ms "
               "(ratio to the round %.2f)\n", (unsigned long long)(events / (uint64_t)runs), x * 1e3,
               best(t_write) * 1e3, x / p);
    }
    /* fill to 100,000 events for the read figure, then the size */
    for (flip = 0; st.events_stored < 100000;) {
        memset(&f.p, 0, sizeof(f.p));
        pair_new(&f, a, s);
        for (k = 0; k < 4 && st.events_stored < 100000; k++) {
            flip = !flip;
            if ((rc = issu_endpoint_set_image(f.p.ep[1], flip ? s2 : s)) || (rc = issu_mem_pair_run(&f.p)))
                bench_die("bench_history", "reload", rc);
            issu_hist_flush(f.h);
            issu_hist_stats(f.h, &st);
        }
        issu_endpoint_free(f.p.ep[0]);
        issu_endpoint_free(f.p.ep[1]);
        issu_mem_pair_clear(&f.p);
    }
    memset(&q, 0, sizeof(q));
    q.no_rounds = 1;
    n_read = 0;
    t0 = now();
    while (n_read < 100000) {
        q.limit = 100000 - n_read < 5000 ? (uint32_t)(100000 - n_read) : 5000;
        if ((rc = issu_hist_query(f.h, &q, &r)))
            bench_die("bench_history", "query", rc);
        n_read += r->n_events;
        if (r->n_events)
            q.after_id = r->events[r->n_events - 1].id;
        k = r->truncated;
        issu_hist_result_free(r);
        if (!k && n_read < 100000)
            break;
    }
    t_read = now() - t0;
    events = st.events_stored;
    printf("read back in replay's pages of 5000: %llu events in %.1f ms (%.0f events/s; ratio to the round %.2f)\n",
           (unsigned long long)n_read, t_read * 1e3, n_read / t_read, t_read / median(t_plain, runs));
    issu_hist_close(f.h); /* checkpoints: the WAL folds into the file */
    snprintf(path, sizeof(path), "%s/%s", dir, ISSU_HIST_FILE);
    if (stat(path, &sb) == 0)
        printf("store: %llu events, %lld bytes: %.0f bytes per 1,000 events\n", (unsigned long long)events,
               (long long)sb.st_size, sb.st_size * 1000.0 / (double)events);
    unlink(path);
    snprintf(path, sizeof(path), "%s/history.lock", dir);
    unlink(path);
    rmdir(dir);
    issu_image_free(a);
    issu_image_free(s);
    issu_image_free(s2);
    free(t_plain);
    free(t_store);
    free(t_listen);
    free(t_write);
    return 0;
}
