/*
 * bench_check.c - cost of a check-upgrade candidate in issud's own code
 * (issue 10 item 9; not a ctest test).
 *
 * For each size N the candidate is XML text, as the check-upgrade RPC
 * carries it, and goes the RPC's way: libyang parses the <rpc> with its
 * anydata <candidate> (lyd_parse_op, as libnetconf2 does), rpc_check
 * prints the anydata back to text and loads it (issu_manifest_load_anydata,
 * the call rpc_check makes), the hub negotiates it against the running image in
 * an in-memory pair (issu_mem_negotiate, unique ids 4 and 7), and the
 * reply's report tree is built (issu_report_fill under the RPC's output).
 * `issuctl check` renders the same tree as text (issu_render_check): timed
 * too. The reply's trip through libnetconf2 (envelope, print, socket) is
 * not in here: tests/bench/check_upgrade_bench.py times the whole RPC
 * against a live issud.
 *
 * Shapes (--shape):
 *   standby-only  running = examples/images/running.json (57 sessions); the
 *                 candidate is that image plus N clients of its own (one
 *                 prerequisite each, optional, no entity): N clients in the
 *                 report, 57 sessions. The anchor is N = 0: the example
 *                 image checked against itself.
 *   matched       running and candidate are N generated clients with one
 *                 entity each (versions 1~2 vs 2~3): N clients and N
 *                 sessions. Anchor: N = 57, the example's client count.
 *   chain         as matched, but client i has client i - 1 as its
 *                 prerequisite and client 1 has no common version: every
 *                 client is effectively incompatible through a chain as
 *                 deep as its id. Anchor: N = 57.
 * Times are the best of R runs (default 3) per phase set; the ratio to the
 * anchor is the first size's. Memory: peak RSS (getrusage ru_maxrss) of a
 * fresh process per size (the driver re-executes itself with --one N), so
 * it includes the generated texts (running, candidate, <rpc>: ~3 times the
 * candidate's size).
 *
 *   bench_check SOURCE_DIR [--shape S] [--runs R] N...
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "image.h"
#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "render.h"
#include "report.h"

#define NC_NS "urn:ietf:params:xml:ns:netconf:base:1.0"
#define IA_NS "urn:issu-agent:yang:issu-agent"
#define IM_NS "urn:issu-agent:yang:issu-manifest"

static const char *prog = "bench_check";

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s%s%s\n", prog, what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* ---- growable text ---- */

struct text {
    char *s;
    size_t len, cap;
};

static void addf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            die("vsnprintf", NULL);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        if (!(t->s = realloc(t->s, t->cap)))
            die("out of memory", NULL);
    }
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct text t = {0};
    char buf[65536];
    size_t n;

    if (!f)
        die("cannot open", path);
    while ((n = fread(buf, 1, sizeof buf, f)))
        addf(&t, "%.*s", (int)n, buf);
    fclose(f);
    return t.s;
}

/* ---- images as text ---- */

/* running.xml without its comment line, the N extra clients before </image>. */
static char *standby_only(const char *src, uint32_t n)
{
    char path[4096], *run, *start, *end;
    struct text t = {0};
    uint32_t i;

    snprintf(path, sizeof path, "%s/examples/images/running.xml", src);
    run = slurp(path);
    if (!(start = strstr(run, "<image")) || !(end = strstr(run, "</image>")))
        die("no <image> in", path);
    addf(&t, "%.*s", (int)(end - start), start);
    for (i = 1; i <= n; i++)
        /* short names: 100,000 clients must fit one INVENTORY message (4 MiB) */
        addf(&t, "<client><id>%u</id><name>c%u</name><optional>true</optional>"
                 "<prerequisite>%u</prerequisite></client>",
             100000 + i, i, i % 2 ? 2007u : 3u);
    addf(&t, "</image>");
    free(run);
    return t.s;
}

/* N clients with one entity each; versions lo~lo+1. @p chain: client i
 * needs client i - 1, and client 1's versions are lo * 10 (no overlap). */
static char *matched(uint32_t n, uint32_t lo, const char *name, int chain)
{
    struct text t = {0};
    char pre[64];
    uint32_t i, v;

    addf(&t, "<image xmlns=\"" IM_NS "\"><name>%s</name><version>1</version>", name);
    for (i = 1; i <= n; i++) {
        if (chain)
            snprintf(pre, sizeof pre, i > 1 ? "<prerequisite>%u</prerequisite>" : "", 10000 + i - 1);
        else
            snprintf(pre, sizeof pre, i > 4 ? "<prerequisite>%u</prerequisite>" : "", 10001 + i % 2);
        v = chain && i == 1 ? lo * 10 : lo;
        addf(&t, "<client><id>%u</id><name>client %u</name>%s%s<message-group><id>1</id><message-type><id>1</id>"
                 "<version><number>%u</number><mtu>100</mtu></version><version><number>%u</number><mtu>200</mtu>"
                 "</version></message-type></message-group><capability-group><id>1</id><capability-type><id>0</id>"
                 "<entry>1</entry></capability-type></capability-group><entity><id>1</id><session-name>s %u"
                 "</session-name><message-group>1</message-group><capability-group>1</capability-group></entity>"
                 "</client>",
             10000 + i, i, i <= 4 && !chain ? "<base>true</base>" : "", pre, v, v + 1, i);
    }
    addf(&t, "</image>");
    return t.s;
}

/* ---- one size ---- */

struct times {
    double rpc_parse, load, negotiate, report, render, total;
    size_t bytes;
    uint32_t clients, sessions;
};

static struct ly_ctx *agent_ctx(const char *src)
{
    struct ly_ctx *ctx = NULL;
    char dir[4096];

    snprintf(dir, sizeof dir, "%s/yang", src);
    if (ly_ctx_new(dir, LY_CTX_NO_YANGLIBRARY | LY_CTX_DISABLE_SEARCHDIR_CWD, &ctx) != LY_SUCCESS)
        die("ly_ctx_new", NULL);
    ly_ctx_set_searchdir(ctx, "/usr/share/yuma/modules/ietf");
    ly_ctx_set_searchdir(ctx, "/usr/share/yuma/modules/ietf-derived");
    ly_ctx_set_searchdir(ctx, "/usr/share/yuma/modules/netconfcentral");
    if (!ly_ctx_load_module(ctx, "issu-agent", NULL, NULL))
        die("cannot load module issu-agent (yang/ and /usr/share/yuma/modules)", NULL);
    return ctx;
}

static void one(struct ly_ctx *ctx, struct issu_image *running, const char *cand_xml, struct times *tm)
{
    const struct lys_module *mod = ly_ctx_get_module_implemented(ctx, "issu-agent");
    struct lyd_node *envp = NULL, *op = NULL, *cn = NULL, *out = NULL;
    struct issu_snapshot *snap = NULL;
    struct issu_image *cand = NULL;
    struct text msg = {0};
    struct ly_in *in = NULL;
    char err[1024];
    FILE *devnull;
    double t0, t1;
    int rc;

    addf(&msg, "<rpc message-id=\"1\" xmlns=\"" NC_NS "\"><check-upgrade xmlns=\"" IA_NS "\"><candidate>%s"
               "</candidate></check-upgrade></rpc>", cand_xml);
    tm->bytes = msg.len;
    t0 = now();
    if (ly_in_new_memory(msg.s, &in) ||
        lyd_parse_op(ctx, NULL, in, LYD_XML, LYD_TYPE_RPC_NETCONF, &envp, &op) != LY_SUCCESS)
        die("lyd_parse_op", ly_errmsg(ctx));
    if (lyd_find_path(op, "candidate", 0, &cn) != LY_SUCCESS)
        die("no candidate", NULL);
    t1 = now();
    tm->rpc_parse = t1 - t0;
    /* as rpc_check (agent/netconf/nc_rpc.c) */
    rc = issu_manifest_load_anydata(cn, "candidate", &cand, err, sizeof err);
    if (rc != ISSU_OK)
        die("candidate refused", err);
    tm->load = now() - t1;
    t1 = now();
    rc = issu_mem_negotiate(running, 4, cand, 7, NULL, NULL, &snap, NULL);
    if (rc != ISSU_OK)
        die("negotiation", issu_strerror(rc));
    tm->negotiate = now() - t1;
    t1 = now();
    if (lyd_new_inner(NULL, mod, "check-upgrade", 0, &out) != LY_SUCCESS ||
        issu_report_fill(out, mod, 1, snap) != ISSU_OK)
        die("report", ly_errmsg(ctx));
    tm->report = now() - t1;
    tm->total = now() - t0;
    t1 = now();
    devnull = fopen("/dev/null", "w");
    if (!devnull || issu_render_check(devnull, out) != ISSU_OK)
        die("render", NULL);
    fclose(devnull);
    tm->render = now() - t1;
    tm->clients = snap->n_clients;
    tm->sessions = snap->n_sessions;
    lyd_free_all(out);
    issu_snapshot_unref(snap);
    issu_image_free(cand);
    lyd_free_all(envp);
    lyd_free_all(op);
    ly_in_free(in, 0);
    free(msg.s);
}

static long maxrss_kib(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* One size in this process: best of @p runs, one result line. */
static void run_size(const char *src, const char *shape, uint32_t n, int runs)
{
    struct ly_ctx *ctx = agent_ctx(src), *mctx = NULL;
    struct issu_image *running = NULL;
    struct times best, tm;
    char err[1024], path[4096], *run_xml = NULL, *cand;
    int r, rc;

    if (issu_ly_ctx_new(&mctx) != ISSU_OK)
        die("issu_ly_ctx_new", NULL);
    if (strcmp(shape, "standby-only")) {
        run_xml = matched(n, 1, "bench-running", !strcmp(shape, "chain"));
        cand = matched(n, 2, "bench-candidate", !strcmp(shape, "chain"));
        rc = issu_manifest_load_mem(mctx, run_xml, strlen(run_xml), ISSU_MANIFEST_XML, "running", &running, err,
                                    sizeof err);
    } else {
        cand = standby_only(src, n);
        snprintf(path, sizeof path, "%s/examples/images/running.json", src);
        rc = issu_manifest_load_file(mctx, path, &running, err, sizeof err);
    }
    if (rc != ISSU_OK)
        die("running image", err);
    memset(&best, 0, sizeof best);
    for (r = 0; r < runs; r++) {
        one(ctx, running, cand, &tm);
        if (!r || tm.total + tm.render < best.total + best.render)
            best = tm;
    }
    printf("%s %u clients %u sessions %zu bytes: rpc-parse %.3f load %.3f negotiate %.3f report %.3f = %.3f s; "
           "render %.3f s; maxrss %ld KiB\n",
           shape, best.clients, best.sessions, best.bytes, best.rpc_parse, best.load, best.negotiate, best.report,
           best.total, best.render, maxrss_kib());
    fflush(stdout);
    free(cand);
    free(run_xml);
    issu_image_free(running);
    ly_ctx_destroy(mctx);
    ly_ctx_destroy(ctx);
}

/* Run one size in a fresh process; its line, with the ratio to @p anchor
 * (set from the first size). */
static void run_child(char *const *args, double *anchor)
{
    char line[1024];
    double total;
    int fds[2], status;
    FILE *f;
    pid_t pid;

    if (pipe(fds) < 0 || (pid = fork()) < 0)
        die("fork", NULL);
    if (!pid) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    if (!(f = fdopen(fds[0], "r")))
        die("fdopen", NULL);
    while (fgets(line, sizeof line, f)) {
        const char *t = strstr(line, " = ");

        line[strcspn(line, "\n")] = '\0';
        if (!t || sscanf(t, " = %lf", &total) != 1) {
            puts(line);
            continue;
        }
        if (*anchor <= 0)
            *anchor = total;
        printf("%s; x%.1f of the anchor\n", line, total / *anchor);
        fflush(stdout);
    }
    fclose(f);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
        die("a size failed", args[7]);
}

int main(int argc, char **argv)
{
    const char *src, *shape = "standby-only";
    char r[16], *args[9];
    double anchor = 0;
    int i, runs = 3, first;

    if (argc < 2)
        die("usage: bench_check SOURCE_DIR [--shape standby-only|matched|chain] [--runs R] N...", NULL);
    src = argv[1];
    for (first = 2; first + 1 < argc && argv[first][0] == '-'; first += 2) {
        if (!strcmp(argv[first], "--shape"))
            shape = argv[first + 1];
        else if (!strcmp(argv[first], "--runs"))
            runs = atoi(argv[first + 1]);
        else if (!strcmp(argv[first], "--one")) {
            run_size(src, shape, (uint32_t)strtoul(argv[first + 1], NULL, 10), runs);
            return 0;
        } else
            die("unknown option", argv[first]);
    }
    if (strcmp(shape, "standby-only") && strcmp(shape, "matched") && strcmp(shape, "chain"))
        die("--shape: standby-only, matched or chain", shape);
    snprintf(r, sizeof r, "%d", runs);
    for (i = first; i < argc; i++) {
        /* a fresh process per size: its peak RSS is that size's */
        args[0] = argv[0];
        args[1] = (char *)src;
        args[2] = "--shape";
        args[3] = (char *)shape;
        args[4] = "--runs";
        args[5] = r;
        args[6] = "--one";
        args[7] = argv[i];
        args[8] = NULL;
        run_child(args, &anchor);
    }
    return 0;
}
