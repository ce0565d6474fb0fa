/*
 * nc_face.c - the NETCONF face (nc_face.h).
 *
 * Threads: accept (nc_accept, adds sessions to the poll set), NC_WORKERS
 * workers (nc_ps_poll: each handles one RPC at a time, so a slow client
 * stalls one worker at most), notify (turns hub changes into RFC 5277
 * notifications; sends with a short timeout so a dead subscriber cannot
 * block the rest). The hub listener only queues snapshot references.
 *
 * Snapshots are immutable, so the issu-state tree is built once per snapshot
 * (struct state_tree, refcounted: a reply in flight keeps its generation
 * alive) and printed once, then only read, by several workers at once. A
 * <get> without a filter, or whose filter selects the whole issu-state,
 * sends that printed text (get_whole, print_whole_state) from a per-reply
 * envelope the worker frees after sending; lyd_print_clb is interposed so
 * every message leaves in NETCONF chunks of 32 KiB. Other filters copy what
 * they select from the tree and from a fresh netconf-state. Filters: xpath via lyd_find_xpath;
 * subtree filters are turned into XPath selections (containment -> steps,
 * content match -> predicates, selection -> the node's whole subtree).
 */
#include "nc_face.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libnetconf2/netconf.h>
#include <libnetconf2/log.h>
#include <libnetconf2/messages_server.h>
#include <libnetconf2/session_server.h>
#include <libssh/libssh.h>
#include <libyang/libyang.h>

#include "hub.h"
#include "issu_err.h"
#include "manifest.h"
#include "report.h"

#ifndef ISSU_YANG_DIR
#define ISSU_YANG_DIR "yang"
#endif
#ifndef ISSU_YUMA_DIR
#define ISSU_YUMA_DIR "/usr/share/yuma/modules"
#endif

/* libnetconf2 2.0.24 queues at most 6 threads on one pollsession
 * (NC_PS_QUEUE_SIZE): the workers, and the accept thread adding a session */
#define NC_WORKERS 5
#define NOTIF_SEND_TIMEOUT_MS 500
#define STATE_MOD "issu-agent"

struct authkey {
    ssh_key key;
    char *user;
};

struct sub {
    struct nc_session *s;
    struct sub *next;
};

struct change {
    struct issu_snapshot *cur;
    struct change *next;
};

/* issu-state of one snapshot, shared read-only by the replies printing it */
struct state_tree {
    struct issu_snapshot *snap; /* held: the key, compared by address */
    struct lyd_node *tree;
    char *xml;                  /* the tree as a whole-state <get> prints it */
    size_t xml_len;
    unsigned refs;              /* the cache's own + one per reply using it */
};

/* The whole-state reply this worker thread sent last: its envelope is ours
 * (NC_PARAMTYPE_CONST), freed once nc_ps_poll has sent it. */
struct sent_reply {
    struct lyd_node *op;        /* <get> whose anydata <data> has st->xml as its XML value */
    struct lyd_node *data;      /* that <data>, which libnetconf2 moves into its <rpc-reply> */
    struct state_tree *st;
};
static _Thread_local struct sent_reply sent;

struct issu_nc {
    struct issu_nc_conf conf;
    struct ly_ctx *ctx;
    const struct lys_module *mod; /* issu-agent */
    struct nc_pollsession *ps;
    pthread_t accept_thr, workers[NC_WORKERS], notif_thr;
    int n_workers, accept_started, notif_started;
    volatile int stop;

    pthread_mutex_t mu; /* sessions list, subscribers, changes */
    pthread_cond_t cv;
    struct sub *sessions;    /* every accepted session */
    struct change *changes, *changes_tail;

    pthread_mutex_t cache_mu;       /* cache pointer and every state_tree's refs */
    pthread_mutex_t build_mu;       /* one builder at a time: others wait for its result */
    struct state_tree *cache;

    struct authkey *keys;
    size_t n_keys;
    char *host_key;
};

/* libnetconf2 keeps its callbacks global: the one running face */
static struct issu_nc *the_nc;

static void nlog(struct issu_nc *nc, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void nlog(struct issu_nc *nc, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(nc->conf.log, nc->conf.log_arg, level, fmt, ap);
    va_end(ap);
}

static void nc_print(const struct nc_session *s, NC_VERB_LEVEL lvl, const char *msg)
{
    int level = lvl == NC_VERB_ERROR ? LOG_ERR : lvl == NC_VERB_WARNING ? LOG_WARNING : LOG_DEBUG;

    if (the_nc)
        nlog(the_nc, level, "netconf%s%u: %s", s ? " session " : "", s ? nc_session_get_id(s) : 0u, msg);
}

/* ------------------------------------------------------------ errors */

/* libnetconf2 2.0.24 parses each received message with lyd_parse_op() and,
 * on success, reads the <rpc> envelope without checking that there is one:
 * a message of only whitespace (or starting with a NUL byte) parses to
 * nothing and crashes the server (NULL dereference in nc_ps_poll). issud
 * defines lyd_parse_op itself, which the dynamic linker binds libnetconf2's
 * call to, and turns "nothing parsed" into a parse failure: libnetconf2
 * then answers malformed-message (NETCONF 1.1) or ignores the message (1.0),
 * as for any other unparsable one. Every other call goes to libyang as is. */
typedef LY_ERR (*parse_op_fn)(const struct ly_ctx *, struct lyd_node *, struct ly_in *, LYD_FORMAT, enum lyd_type,
                              struct lyd_node **, struct lyd_node **);
typedef LY_ERR (*print_clb_fn)(ly_write_clb, void *, const struct lyd_node *, LYD_FORMAT, uint32_t);

/* The library's own definition of a function issud interposes, into the
 * function pointer @p fn (of @p size bytes); -1 if there is none. Threads
 * race to resolve it: atomic, and they all store the same address. */
static int real_sym(void **slot, const char *name, void *fn, size_t size)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        if (!f)
            return -1;
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    memcpy(fn, &f, size); /* object to function pointer, without the ISO C warning */
    return 0;
}

LY_ERR lyd_parse_op(const struct ly_ctx *ctx, struct lyd_node *parent, struct ly_in *in, LYD_FORMAT format,
                    enum lyd_type data_type, struct lyd_node **tree, struct lyd_node **op)
{
    static void *slot;
    parse_op_fn real;
    LY_ERR r;

    if (real_sym(&slot, "lyd_parse_op", &real, sizeof(real)))
        return LY_EINT;
    r = real(ctx, parent, in, format, data_type, tree, op);
    if (r == LY_SUCCESS && data_type == LYD_TYPE_RPC_NETCONF && tree && !*tree) {
        if (op) {
            lyd_free_all(*op);
            *op = NULL;
        }
        return LY_EVALID;
    }
    return r;
}

/* libnetconf2 2.0.24 prints every message it sends with lyd_print_clb()
 * into a callback that makes each write of more than 1 KiB one NETCONF 1.1
 * chunk and gathers smaller writes into chunks of at most 1 KiB. libyang
 * writes element by element, so a 10 MB reply went out as ~10,700 chunks of
 * 1 KiB, each two SSH packets; a pre-printed reply is one write, so one
 * 10 MB chunk, which ncclient's chunk parser re-reads on every 4 KiB it
 * receives (quadratic). issud's lyd_print_clb gives libnetconf2's callback
 * writes of exactly PRINT_CHUNK bytes (the last one shorter): same bytes,
 * chunks of PRINT_CHUNK. Every caller gets this; only the framing differs. */
#define PRINT_CHUNK (32 * 1024)

struct coalesce {
    ly_write_clb clb;
    void *arg;
    size_t len;
    int failed;
    char buf[PRINT_CHUNK];
};

static int coalesce_flush(struct coalesce *c)
{
    if (c->len && !c->failed && c->clb(c->arg, c->buf, c->len) < 0)
        c->failed = 1;
    c->len = 0;
    return c->failed ? -1 : 0;
}

static ssize_t coalesce_write(void *arg, const void *buf, size_t count)
{
    struct coalesce *c = arg;
    const char *p = buf;
    size_t left = count, n;

    while (left && !c->failed) {
        if (!c->len && left >= PRINT_CHUNK) { /* a whole chunk: no copy */
            if (c->clb(c->arg, p, PRINT_CHUNK) < 0)
                c->failed = 1;
            p += PRINT_CHUNK;
            left -= PRINT_CHUNK;
            continue;
        }
        n = PRINT_CHUNK - c->len < left ? PRINT_CHUNK - c->len : left;
        memcpy(c->buf + c->len, p, n);
        c->len += n;
        p += n;
        left -= n;
        if (c->len == PRINT_CHUNK)
            coalesce_flush(c);
    }
    return c->failed ? -1 : (ssize_t)count;
}

/* This worker's whole-state reply (get_whole): libyang would copy its 10 MB
 * value with vasprintf into a fresh buffer before writing a byte (~50 ms of
 * page faults per <get>). Print the small <rpc-reply> envelope around a
 * marker instead and write the cached text in its place: the bytes are the
 * same. 0: not that reply, or the marker did not come out once as it went
 * in; the caller prints it the ordinary way. */
#define STATE_MARK "\x01issud-state\x01"

static int print_whole_state(const struct lyd_node *root, LYD_FORMAT format, uint32_t options, struct coalesce *c)
{
    struct lyd_node_any *any = (struct lyd_node_any *)sent.data;
    const size_t ml = strlen(STATE_MARK);
    char *env = NULL, *m;
    LY_ERR r;

    if (!any || !root || root->schema || format != LYD_XML || lyd_child(root) != sent.data ||
        any->value_type != LYD_ANYDATA_XML || any->value.str != sent.st->xml)
        return 0;
    any->value.str = STATE_MARK;
    r = lyd_print_mem(&env, root, format, options);
    any->value.str = sent.st->xml;
    if (r != LY_SUCCESS || !env || !(m = strstr(env, STATE_MARK)) || strstr(m + ml, STATE_MARK)) {
        free(env);
        return 0;
    }
    coalesce_write(c, env, (size_t)(m - env));
    coalesce_write(c, sent.st->xml, sent.st->xml_len);
    coalesce_write(c, m + ml, strlen(m + ml));
    free(env);
    return 1;
}

LY_ERR lyd_print_clb(ly_write_clb writeclb, void *user_data, const struct lyd_node *root, LYD_FORMAT format,
                     uint32_t options)
{
    static void *slot;
    print_clb_fn real;
    struct coalesce *c;
    LY_ERR r;

    if (real_sym(&slot, "lyd_print_clb", &real, sizeof(real)))
        return LY_EINT;
    c = malloc(sizeof(*c));
    if (!c) /* print unbuffered rather than not at all */
        return real(writeclb, user_data, root, format, options);
    c->clb = writeclb;
    c->arg = user_data;
    c->len = 0;
    c->failed = 0;
    r = print_whole_state(root, format, options, c) ? LY_SUCCESS : real(coalesce_write, c, root, format, options);
    if (coalesce_flush(c) < 0 && r == LY_SUCCESS)
        r = LY_ESYS;
    free(c);
    return r;
}

/* libnetconf2 2.0.24's nc_write() retries a full socket (write() says
 * EAGAIN) or a full SSH window (ssh_channel_write() writes 0) every 100 us
 * with no deadline: a client that stops reading held a worker for ever (and
 * the notify thread, under nc->mu), so a few such clients stalled everyone.
 * On worker and notify threads (stall_armed), issud's write() and
 * ssh_channel_write() give up once a run of writes made no progress for
 * WRITE_STALL_MS: the write fails, libnetconf2 abandons the message, and the
 * thread drops the session (stalled). Elsewhere they only pass through. */
#define WRITE_STALL_MS 5000

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*ssh_write_fn)(ssh_channel, const void *, uint32_t);

static _Thread_local int stall_armed;
static _Thread_local int stalled;                 /* a write gave up since the thread cleared it */
static _Thread_local int write_waiting;           /* the last write made no progress (usleep) */
static _Thread_local int64_t stall_since_ms;     /* start of the current run without progress; 0: none */

/* 1: give up now. @p progressed: the write moved bytes (or failed for real). */
static int stall_give_up(int progressed)
{
    struct timespec t;
    int64_t now;

    write_waiting = !progressed;
    if (progressed) {
        stall_since_ms = 0;
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &t);
    now = (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000 + 1; /* never 0 */
    if (!stall_since_ms)
        stall_since_ms = now;
    if (now - stall_since_ms < WRITE_STALL_MS)
        return 0;
    stall_since_ms = 0;
    stalled = 1;
    write_waiting = 0;
    return 1;
}

/* The session this thread was writing to when a write gave up: part of a
 * message went out, so it cannot go on. Its worker drops it (SESSION_TERM). */
static void drop_stalled(struct issu_nc *nc, struct nc_session *s, const char *who, const char *what)
{
    nlog(nc, LOG_WARNING, "session %u: %s read nothing for %d s; %s", nc_session_get_id(s), who,
         WRITE_STALL_MS / 1000, what);
    nc_session_set_term_reason(s, NC_SESSION_TERM_OTHER);
    nc_session_set_status(s, NC_STATUS_INVALID);
}

ssize_t write(int fd, const void *buf, size_t count)
{
    static void *slot;
    write_fn real;
    ssize_t r;

    if (real_sym(&slot, "write", &real, sizeof(real))) {
        errno = ENOSYS;
        return -1;
    }
    r = real(fd, buf, count);
    if (stall_armed && stall_give_up(!(r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)))) {
        errno = ETIMEDOUT;
        return -1;
    }
    return r;
}

/* libnetconf2 2.0.24 waits in steps of usleep(100): nc_ps_poll re-polls its
 * sessions every 100 us until its timeout, so one idle connected client kept
 * a worker at ~11% of a CPU. On worker and notify threads such a step is
 * 1 ms (~10x fewer wake-ups; a new RPC waits 1 ms at most), except when it
 * retries a write that found the socket or SSH window full. */
#define POLL_STEP_US 1000

typedef int (*usleep_fn)(useconds_t);

int usleep(useconds_t usec)
{
    static void *slot;
    usleep_fn real;

    if (real_sym(&slot, "usleep", &real, sizeof(real)))
        return -1;
    return real(stall_armed && !write_waiting && usec < POLL_STEP_US ? POLL_STEP_US : usec);
}

int ssh_channel_write(ssh_channel channel, const void *data, uint32_t len)
{
    static void *slot;
    ssh_write_fn real;
    int r;

    if (real_sym(&slot, "ssh_channel_write", &real, sizeof(real)))
        return SSH_ERROR;
    r = real(channel, data, len);
    if (stall_armed && stall_give_up(r != 0 || !len))
        return SSH_ERROR;
    return r;
}

/* The libyang error logged before the current one, per thread; whether
 * this thread is a worker (parses RPCs in nc_ps_poll). */
static _Thread_local char ly_prev[512];
static _Thread_local int in_worker;

/* libyang's log, to ours. libnetconf2 answers an RPC it cannot parse with
 * ly_errmsg() alone, and for a value a type plugin rejects without detail
 * (an XPath select attribute that does not parse) that is the bare
 * "Storing value failed.": put the detail logged just before into that
 * error record, so that the client reads why. */
static void ly_log_print(LY_LOG_LEVEL level, const char *msg, const char *path)
{
    struct ly_err_item *e;
    char buf[1024], *m;

    if (!the_nc)
        return;
    nlog(the_nc, level == LY_LLERR ? LOG_ERR : level == LY_LLWRN ? LOG_WARNING : LOG_DEBUG, "libyang: %s%s%s%s",
         msg, path ? " (" : "", path ? path : "", path ? ")" : "");
    if (level != LY_LLERR || !in_worker)
        return;
    /* in <get>/<get-config> the only value a type plugin checks is the
     * filter's select attribute (yang:xpath1.0) */
    int in_get = path && (strstr(path, "\"/ietf-netconf:get\"") || strstr(path, "\"/ietf-netconf:get-config\""));
    int stored = !strcmp(msg, "Storing value failed.") && ly_prev[0];
    if ((stored || (in_get && !strncmp(msg, "Failed to resolve prefix", 24))) && (e = ly_err_last(the_nc->ctx)) &&
        e->msg && !strcmp(e->msg, msg)) {
        if (in_get)
            snprintf(buf, sizeof(buf), "invalid XPath filter (select attribute of <filter>): %s",
                     stored ? ly_prev : msg);
        else
            snprintf(buf, sizeof(buf), "invalid value (%s): %s", path ? path : "?", ly_prev);
    } else if (!strncmp(msg, "No module with namespace", 24) && (e = ly_err_last(the_nc->ctx)) && e->msg &&
               !strcmp(e->msg, msg)) {
        /* an operation whose namespace no module of ours has */
        snprintf(buf, sizeof(buf), "unknown RPC: %s", msg);
    } else {
        e = NULL;
    }
    snprintf(ly_prev, sizeof(ly_prev), "%s", msg);
    /* last: @p msg may be the record's own msg, freed here (libyang frees it with free()) */
    if (e && (m = strdup(buf))) {
        free(e->msg);
        e->msg = m;
    }
}

static struct nc_server_reply *err_reply(struct issu_nc *nc, NC_ERR tag, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct nc_server_reply *err_reply(struct issu_nc *nc, NC_ERR tag, const char *path, const char *fmt, ...)
{
    struct lyd_node *e;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (tag == NC_ERR_OP_NOT_SUPPORTED || tag == NC_ERR_OP_FAILED || tag == NC_ERR_INVALID_VALUE)
        e = nc_err(nc->ctx, tag, NC_ERR_TYPE_APP);
    else
        e = nc_err(nc->ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP);
    if (!e)
        return NULL;
    nc_err_set_msg(e, msg, "en");
    if (path)
        nc_err_set_path(e, path);
    return nc_server_reply_err(e);
}

/* ------------------------------------------------------------ state tree */

static int term(struct lyd_node *p, const struct lys_module *m, const char *name, const char *v)
{
    if (!v)
        return ISSU_OK;
    return lyd_new_term(p, m, name, v, 0, NULL) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

static int term_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint64_t v)
{
    char b[24];

    snprintf(b, sizeof(b), "%" PRIu64, v);
    return term(p, m, name, b);
}

static int list_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint32_t k, struct lyd_node **o)
{
    char b[16];

    snprintf(b, sizeof(b), "%u", k);
    return lyd_new_list(p, m, name, 0, o, b) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

static void datetime(const struct timespec *ts, char *buf, size_t len)
{
    struct tm tm;

    gmtime_r(&ts->tv_sec, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The running image's manifest under container running-image (im groupings). */
static int fill_image(struct lyd_node *p, const struct lys_module *m, const struct issu_image *img)
{
    struct lyd_node *c, *g, *t, *v, *e;
    uint32_t i, j, k, l;

    ISSU_CHECK(term(p, m, "name", img->name));
    ISSU_CHECK(term(p, m, "version", img->version));
    ISSU_CHECK(term(p, m, "description", img->description));
    ISSU_CHECK(term_u(p, m, "transport-mtu", img->transport_mtu));
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *cl = &img->clients[i];
        ISSU_CHECK(list_u(p, m, "client", cl->id, &c));
        ISSU_CHECK(term(c, m, "name", cl->name));
        ISSU_CHECK(term(c, m, "base", cl->base ? "true" : "false"));
        ISSU_CHECK(term(c, m, "optional", cl->optional ? "true" : "false"));
        ISSU_CHECK(term(c, m, "policy", issu_policy_name(cl->policy)));
        for (j = 0; j < cl->n_prereqs; j++)
            ISSU_CHECK(term_u(c, m, "prerequisite", cl->prereqs[j]));
        for (j = 0; j < cl->n_msg_groups; j++) {
            ISSU_CHECK(list_u(c, m, "message-group", cl->msg_groups[j].id, &g));
            for (k = 0; k < cl->msg_groups[j].n_types; k++) {
                const struct issu_msg_type *mt = &cl->msg_groups[j].types[k];
                ISSU_CHECK(list_u(g, m, "message-type", mt->id, &t));
                for (l = 0; l < mt->n_versions; l++) {
                    ISSU_CHECK(list_u(t, m, "version", mt->versions[l].version, &v));
                    ISSU_CHECK(term_u(v, m, "mtu", mt->versions[l].mtu));
                }
            }
        }
        for (j = 0; j < cl->n_cap_groups; j++) {
            ISSU_CHECK(list_u(c, m, "capability-group", cl->cap_groups[j].id, &g));
            for (k = 0; k < cl->cap_groups[j].n_types; k++) {
                const struct issu_cap_type *ct = &cl->cap_groups[j].types[k];
                ISSU_CHECK(list_u(g, m, "capability-type", ct->id, &t));
                ISSU_CHECK(term(t, m, "required", ct->required ? "true" : "false"));
                for (l = 0; l < ct->n_entries; l++)
                    ISSU_CHECK(term_u(t, m, "entry", ct->entries[l]));
            }
        }
        for (j = 0; j < cl->n_entities; j++) {
            const struct issu_entity *en = &cl->entities[j];
            ISSU_CHECK(list_u(c, m, "entity", en->id, &e));
            ISSU_CHECK(term(e, m, "session-name", en->session_name));
            ISSU_CHECK(term_u(e, m, "message-group", en->msg_group));
            ISSU_CHECK(term_u(e, m, "capability-group", en->cap_group));
            if (en->session_id)
                ISSU_CHECK(term_u(e, m, "session-id", en->session_id));
            if (en->transport_mtu)
                ISSU_CHECK(term_u(e, m, "transport-mtu", en->transport_mtu));
        }
    }
    return ISSU_OK;
}

static int build_issu_state(struct issu_nc *nc, const struct issu_snapshot *s, struct lyd_node **out)
{
    struct lyd_node *top = NULL, *ep, *img;
    char dt[40];
    int rc;

    *out = NULL;
    if (lyd_new_inner(NULL, nc->mod, "issu-state", 0, &top) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    ISSU_CHECK_GOTO(issu_report_fill(top, nc->mod, 0, s), rc);
    if (lyd_new_inner(top, nc->mod, "endpoint", 0, &ep) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    ISSU_CHECK_GOTO(term(ep, nc->mod, "role", issu_report_role(s->role)), rc);
    ISSU_CHECK_GOTO(term(ep, nc->mod, "peer-state", issu_peer_state_name(s->peer_state)), rc);
    ISSU_CHECK_GOTO(term_u(ep, nc->mod, "negotiations", s->negotiations), rc);
    ISSU_CHECK_GOTO(term_u(ep, nc->mod, "results-changed", s->results_changed), rc);
    datetime(&s->last_change, dt, sizeof(dt));
    ISSU_CHECK_GOTO(term(ep, nc->mod, "last-change", dt), rc);
    ISSU_CHECK_GOTO(term_u(ep, nc->mod, "generation", s->generation), rc);
    if (s->image) {
        if (lyd_new_inner(top, nc->mod, "running-image", 0, &img) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
        ISSU_CHECK_GOTO(fill_image(img, nc->mod, s->image), rc);
    }
    *out = top;
    return ISSU_OK;
cleanup:
    lyd_free_tree(top);
    return rc;
}

static double ms_since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void state_tree_put(struct issu_nc *nc, struct state_tree *x)
{
    unsigned left;

    if (!x)
        return;
    pthread_mutex_lock(&nc->cache_mu);
    left = --x->refs;
    pthread_mutex_unlock(&nc->cache_mu);
    if (left)
        return;
    issu_snapshot_unref(x->snap);
    lyd_free_tree(x->tree);
    free(x->xml);
    free(x);
}

static struct state_tree *cache_hit(struct issu_nc *nc, const struct issu_snapshot *s)
{
    struct state_tree *x;

    pthread_mutex_lock(&nc->cache_mu);
    x = nc->cache && nc->cache->snap == s ? nc->cache : NULL;
    if (x)
        x->refs++;
    pthread_mutex_unlock(&nc->cache_mu);
    return x;
}

/* The issu-state tree of @p s (one reference: state_tree_put), built on a
 * miss. The cache holds the snapshot, so its address cannot be reused. */
static int state_tree_get(struct issu_nc *nc, struct issu_snapshot *s, struct state_tree **out)
{
    struct state_tree *x, *old;
    struct lyd_node *tree = NULL;
    struct timespec t0, t1, t2;
    int rc = ISSU_OK;

    if ((*out = cache_hit(nc, s)))
        return ISSU_OK;
    pthread_mutex_lock(&nc->build_mu);
    if ((*out = cache_hit(nc, s))) { /* built while we waited */
        pthread_mutex_unlock(&nc->build_mu);
        return ISSU_OK;
    }
    x = calloc(1, sizeof(*x));
    if (!x) {
        pthread_mutex_unlock(&nc->build_mu);
        return ISSU_ERR_NOMEM;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = build_issu_state(nc, s, &tree);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc != ISSU_OK) {
        pthread_mutex_unlock(&nc->build_mu);
        free(x);
        return rc;
    }
    x->tree = tree;
    /* printed as libnetconf2 prints a reply (shrunk, with-defaults explicit) */
    if (lyd_print_mem(&x->xml, tree, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_WD_EXPLICIT) != LY_SUCCESS || !x->xml) {
        pthread_mutex_unlock(&nc->build_mu);
        lyd_free_tree(tree);
        free(x->xml);
        free(x);
        return ISSU_ERR_NOMEM;
    }
    clock_gettime(CLOCK_MONOTONIC, &t2);
    x->xml_len = strlen(x->xml);
    x->snap = issu_snapshot_ref(s);
    x->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&nc->cache_mu);
    old = nc->cache;
    nc->cache = x;
    pthread_mutex_unlock(&nc->cache_mu);
    pthread_mutex_unlock(&nc->build_mu);
    state_tree_put(nc, old);
    nlog(nc, LOG_INFO,
         "issu-state of generation %" PRIu64 " (%u sessions): tree built in %.1f ms, printed (%zu bytes) in %.1f ms",
         s->generation, s->n_sessions, ms_since(&t0, &t1), x->xml_len, ms_since(&t1, &t2));
    *out = x;
    return ISSU_OK;
}

/* ietf-netconf-monitoring: capabilities, schemas and our sessions. */
static int build_monitoring(struct issu_nc *nc, struct lyd_node **out)
{
    const struct lys_module *m = ly_ctx_get_module_implemented(nc->ctx, "ietf-netconf-monitoring"), *mod;
    struct lyd_node *top = NULL, *caps, *schemas, *n;
    const char **cpb;
    uint32_t idx = 0, i;
    struct sub *it;
    char sid[16];
    int rc = ISSU_OK;

    *out = NULL;
    if (!m)
        return ISSU_ERR_NOTFOUND;
    if (lyd_new_inner(NULL, m, "netconf-state", 0, &top) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    if (lyd_new_inner(top, m, "capabilities", 0, &caps) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    cpb = nc_server_get_cpblts(nc->ctx);
    for (i = 0; cpb && cpb[i]; i++) {
        rc = term(caps, m, "capability", cpb[i]);
        lydict_remove(nc->ctx, cpb[i]);
        if (rc != ISSU_OK)
            break;
    }
    for (; cpb && cpb[i]; i++)
        lydict_remove(nc->ctx, cpb[i]);
    free(cpb);
    if (rc != ISSU_OK)
        goto cleanup;
    if (lyd_new_inner(top, m, "schemas", 0, &schemas) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    while ((mod = ly_ctx_get_module_iter(nc->ctx, &idx))) {
        if (!mod->implemented)
            continue;
        if (lyd_new_list(schemas, m, "schema", 0, &n, mod->name, mod->revision ? mod->revision : "", "yang") !=
            LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
        ISSU_CHECK_GOTO(term(n, m, "namespace", mod->ns), rc);
        ISSU_CHECK_GOTO(term(n, m, "location", "NETCONF"), rc);
    }
    pthread_mutex_lock(&nc->mu);
    if (nc->sessions && lyd_new_inner(top, m, "sessions", 0, &caps) != LY_SUCCESS)
        rc = ISSU_ERR_NOMEM;
    for (it = nc->sessions; it && rc == ISSU_OK; it = it->next) {
        char dt[40];
        struct timespec ts = {.tv_sec = nc_session_get_start_time(it->s)};
        /* a UNIX-socket session has a path, not an inet:host: leave it out */
        const char *host = nc_session_get_ti(it->s) == NC_TI_UNIX ? NULL : nc_session_get_host(it->s);
        snprintf(sid, sizeof(sid), "%u", nc_session_get_id(it->s));
        if (lyd_new_list(caps, m, "session", 0, &n, sid) != LY_SUCCESS) {
            rc = ISSU_ERR_NOMEM;
            break;
        }
        datetime(&ts, dt, sizeof(dt));
        /* RFC 6022 has no UNIX transport identity: issu-agent defines one */
        rc = term(n, m, "transport", nc_session_get_ti(it->s) == NC_TI_UNIX ? STATE_MOD ":unix-socket"
                                                                             : "ietf-netconf-monitoring:netconf-ssh");
        if (rc == ISSU_OK)
            rc = term(n, m, "username", nc_session_get_username(it->s));
        if (rc == ISSU_OK && host)
            rc = term(n, m, "source-host", host);
        if (rc == ISSU_OK)
            rc = term(n, m, "login-time", dt);
    }
    pthread_mutex_unlock(&nc->mu);
    if (rc != ISSU_OK)
        goto cleanup;
    *out = top;
    return ISSU_OK;
cleanup:
    lyd_free_tree(top);
    return rc;
}

/* ------------------------------------------------------------ filters */

struct xbuf {
    char *s;
    size_t len, cap;
};

static int xadd(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xadd(struct xbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return ISSU_ERR_INVAL;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return ISSU_OK;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return ISSU_ERR_NOMEM;
        b->s = p;
        b->cap = cap;
    }
}

/* Trees a filter selects from, in document order (each a top-level node of
 * its own: the shared state tree cannot be linked to a per-get sibling). */
#define N_SRC 2

/* Select the nodes @p xpath names from @p src into *@p result (copies with parents). */
static int select_xpath(struct issu_nc *nc, const struct lyd_node *const *src, const char *xpath,
                        struct lyd_node **result, char *err, size_t errlen)
{
    struct ly_set *set = NULL;
    struct lyd_node *dup, *root;
    uint32_t i;
    int rc = ISSU_OK, k;

    for (k = 0; k < N_SRC && rc == ISSU_OK; k++) {
        if (!src[k])
            continue;
        if (lyd_find_xpath(src[k], xpath, &set) != LY_SUCCESS) {
            const char *m = ly_errmsg(nc->ctx);
            snprintf(err, errlen, "invalid XPath filter \"%s\": %s", xpath, m ? m : "cannot evaluate");
            return ISSU_ERR_INVAL;
        }
        for (i = 0; i < set->count && rc == ISSU_OK; i++) {
            const struct lyd_node *n = set->dnodes[i];
            if (!n->schema) /* opaque: nothing to select */
                continue;
            if (lyd_dup_single(n, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS, &dup) !=
                LY_SUCCESS) {
                rc = ISSU_ERR_NOMEM;
                break;
            }
            for (root = dup; root->parent; root = lyd_parent(root))
                ;
            if (lyd_merge_siblings(result, root, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
                lyd_free_tree(root);
                rc = ISSU_ERR_NOMEM;
            }
        }
        ly_set_free(set, NULL);
        set = NULL;
    }
    return rc;
}

static int is_blank(const char *v)
{
    return !v || !v[strspn(v, " \t\r\n")];
}

/* A filter node's module, name and text, whether libyang parsed it as data or opaque. */
static int fnode(struct issu_nc *nc, const struct lyd_node *f, const struct lys_module **mod, const char **name,
                 const char **value)
{
    const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)f;

    if (f->schema) {
        *mod = f->schema->module;
        *name = f->schema->name;
        *value = (f->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(f) : NULL;
        return 1;
    }
    *mod = o->name.module_ns ? ly_ctx_get_module_implemented_ns(nc->ctx, o->name.module_ns) : NULL;
    *name = o->name.name;
    *value = o->value;
    return o->name.module_ns != NULL;
}

static int is_match(const struct lyd_node *c, const char *value)
{
    return !lyd_child(c) && !is_blank(value);
}

/* One subtree filter node -> XPath selections (RFC 6241 6.2, simplified to
 * containment, content match and selection nodes). */
static int subtree_r(struct issu_nc *nc, const struct lyd_node *const *data, const struct lyd_node *f,
                     const struct lysc_node *parent, const char *base, struct lyd_node **result, char *err,
                     size_t errlen)
{
    const struct lyd_node *c;
    const struct lys_module *mod, *cmod;
    const struct lysc_node *sn;
    const char *name, *value, *cname, *cvalue;
    struct xbuf x = {0};
    int rc = ISSU_OK, has_sel = 0;

    if (!fnode(nc, f, &mod, &name, &value)) {
        snprintf(err, errlen, "subtree filter element \"%s\" has no namespace", name);
        return ISSU_ERR_INVAL;
    }
    /* an element we do not know is a client's mistake: say so rather than
     * answer with empty data */
    if (!mod) {
        snprintf(err, errlen, "subtree filter element \"%s\": no module with namespace \"%s\" in issud",
                 name, ((const struct lyd_node_opaq *)f)->name.module_ns);
        return ISSU_ERR_INVAL;
    }
    sn = lys_find_child(parent, mod, name, 0, 0, 0);
    if (!sn || !(sn->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST | LYS_ANYDATA))) {
        snprintf(err, errlen, "subtree filter element \"%s\" (module %s) is not a data node%s%s", name,
                 mod->name, parent ? " of " : " at the top level", parent ? parent->name : "");
        return ISSU_ERR_INVAL;
    }
    ISSU_CHECK_GOTO(xadd(&x, "%s/%s:%s", base, mod->name, name), rc);
    /* content match nodes become predicates */
    LY_LIST_FOR(lyd_child(f), c) {
        fnode(nc, c, &cmod, &cname, &cvalue);
        if (!cmod || !lys_find_child(sn, cmod, cname, 0, 0, 0)) {
            snprintf(err, errlen, "subtree filter element \"%s\" is not a data node of %s", cname, name);
            rc = ISSU_ERR_INVAL;
            goto cleanup;
        }
        if (is_match(c, cvalue)) {
            const char *q = strchr(cvalue, '\'') ? "\"" : "'";
            ISSU_CHECK_GOTO(xadd(&x, "[%s=%s%s%s]", cname, q, cvalue, q), rc);
        } else {
            has_sel = 1;
        }
    }
    if (!has_sel) {
        rc = select_xpath(nc, data, x.s, result, err, errlen);
        goto cleanup;
    }
    LY_LIST_FOR(lyd_child(f), c) {
        fnode(nc, c, &cmod, &cname, &cvalue);
        if (is_match(c, cvalue))
            continue;
        ISSU_CHECK_GOTO(subtree_r(nc, data, c, sn, x.s, result, err, errlen), rc);
    }
cleanup:
    free(x.s);
    return rc;
}

/* Apply <get>'s filter to @p data (read only); *out gets copies of the
 * selected nodes. A <get> without a filter never gets here (whole_state). */
static int apply_filter(struct issu_nc *nc, struct lyd_node *rpc, const struct lyd_node *const *data,
                        struct lyd_node **out, char *err, size_t errlen)
{
    struct lyd_node *filter = NULL, *f;
    struct lyd_meta *type, *sel;
    struct lyd_node_any *any;

    *out = NULL;
    lyd_find_path(rpc, "filter", 0, &filter);
    if (!filter)
        return ISSU_ERR_INVAL;
    type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
    if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
        sel = lyd_find_meta(filter->meta, NULL, "ietf-netconf:select");
        if (!sel || is_blank(lyd_get_meta_value(sel))) {
            snprintf(err, errlen, "an XPath filter needs a select attribute");
            return ISSU_ERR_INVAL;
        }
        return select_xpath(nc, data, lyd_get_meta_value(sel), out, err, errlen);
    }
    if (type && strcmp(lyd_get_meta_value(type), "subtree")) {
        snprintf(err, errlen, "unknown filter type \"%s\"", lyd_get_meta_value(type));
        return ISSU_ERR_INVAL;
    }
    any = (struct lyd_node_any *)filter;
    if (any->value_type == LYD_ANYDATA_DATATREE) {
        LY_LIST_FOR(any->value.tree, f) {
            int rc = subtree_r(nc, data, f, NULL, "", out, err, errlen);
            if (rc != ISSU_OK)
                return rc;
        }
    } else if (any->value.str && !is_blank(any->value.str)) {
        snprintf(err, errlen, "subtree filter content is not XML elements");
        return ISSU_ERR_INVAL;
    }
    return ISSU_OK;
}

/* ------------------------------------------------------------ RPCs */

static struct nc_server_reply *reply_data_op(struct issu_nc *nc, const struct lys_module *m, const char *op,
                                             struct lyd_node *data)
{
    struct lyd_node *r = NULL;

    if (lyd_new_inner(NULL, m, op, 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL) != LY_SUCCESS) {
        lyd_free_all(data);
        lyd_free_tree(r);
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* Whether <get>'s filter is absent or selects exactly the whole issu-state
 * container: those replies print the cached state tree. Without a filter
 * the reply has always been issu-state alone (the netconf-state sibling was
 * dropped by the sibling insert): kept so. */
static int whole_state(struct issu_nc *nc, struct lyd_node *rpc)
{
    struct lyd_node *filter = NULL;
    struct lyd_meta *type, *sel;
    const struct lyd_node_any *any;
    const struct lys_module *mod;
    const char *name, *value, *v;
    size_t n;

    lyd_find_path(rpc, "filter", 0, &filter);
    if (!filter)
        return 1;
    type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
    if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
        sel = lyd_find_meta(filter->meta, NULL, "ietf-netconf:select");
        v = sel ? lyd_get_meta_value(sel) : NULL;
        if (!v)
            return 0;
        v += strspn(v, " \t\r\n");
        n = strlen("/" STATE_MOD ":issu-state");
        return !strncmp(v, "/" STATE_MOD ":issu-state", n) && is_blank(v + n);
    }
    if (type && strcmp(lyd_get_meta_value(type), "subtree"))
        return 0;
    any = (const struct lyd_node_any *)filter;
    if (any->value_type != LYD_ANYDATA_DATATREE || !any->value.tree || any->value.tree->next ||
        lyd_child(any->value.tree))
        return 0;
    return fnode(nc, any->value.tree, &mod, &name, &value) && mod == nc->mod && !strcmp(name, "issu-state");
}

/* Free the envelope of this thread's last whole-state reply (sent by now). */
static void sent_release(struct issu_nc *nc)
{
    struct lyd_node_any *any;

    if (!sent.op)
        return;
    any = (struct lyd_node_any *)lyd_child(sent.op);
    if (any) { /* the printed state is the cache's */
        any->value_type = LYD_ANYDATA_DATATREE;
        any->value.tree = NULL;
    }
    lyd_free_tree(sent.op);
    state_tree_put(nc, sent.st);
    sent.op = NULL;
    sent.data = NULL;
    sent.st = NULL;
}

/* The cached issu-state @p x as <get>'s data (takes the reference): the
 * envelope's <data> carries the text printed once per snapshot as its XML
 * value, which libyang writes as it is, instead of printing 10,000 sessions
 * element by element for every <get>. */
static struct nc_server_reply *get_whole(struct issu_nc *nc, struct lyd_node *rpc, struct state_tree *x)
{
    struct lyd_node *r = NULL, *d = NULL;
    struct lyd_node_any *any;
    struct nc_server_reply *reply;

    sent_release(nc); /* normally done by worker_main already */
    if (lyd_new_inner(NULL, lyd_owner_module(rpc), "get", 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", NULL, 1, LYD_ANYDATA_DATATREE, 1, &d) != LY_SUCCESS) {
        lyd_free_tree(r);
        state_tree_put(nc, x);
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    /* not through lyd_new_any: that would copy 10 MB into the dictionary */
    any = (struct lyd_node_any *)d;
    any->value_type = LYD_ANYDATA_XML;
    any->value.str = x->xml;
    if (!(reply = nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_CONST))) {
        any->value_type = LYD_ANYDATA_DATATREE;
        any->value.tree = NULL;
        lyd_free_tree(r);
        state_tree_put(nc, x);
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    sent.op = r;
    sent.data = d;
    sent.st = x;
    return reply;
}

static struct nc_server_reply *rpc_get(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    struct issu_snapshot *s = issu_hub_snapshot(nc->conf.hub);
    struct state_tree *x = NULL;
    struct lyd_node *mon = NULL, *sel = NULL;
    const struct lyd_node *src[N_SRC];
    char err[1024];
    int rc;

    (void)session;
    rc = state_tree_get(nc, s, &x);
    issu_snapshot_unref(s);
    if (rc != ISSU_OK)
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the state tree: %s", issu_strerror(rc));
    if (whole_state(nc, rpc))
        return get_whole(nc, rpc, x);
    /* other filters select copies from the shared tree and a fresh
     * netconf-state, in the document order the merged tree had before */
    if (build_monitoring(nc, &mon) != ISSU_OK)
        mon = NULL;
    src[0] = mon;
    src[1] = x->tree;
    rc = apply_filter(nc, rpc, src, &sel, err, sizeof(err));
    lyd_free_all(mon);
    state_tree_put(nc, x);
    if (rc != ISSU_OK) {
        lyd_free_all(sel);
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:get/filter", "%s", err);
    }
    return reply_data_op(nc, lyd_owner_module(rpc), "get", sel);
}

static struct nc_server_reply *rpc_get_config(struct lyd_node *rpc, struct nc_session *session)
{
    (void)session;
    /* issud has no configuration datastore content: every node is state */
    return reply_data_op(the_nc, lyd_owner_module(rpc), "get-config", NULL);
}

static struct nc_server_reply *rpc_kill_session(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    struct lyd_node *n = NULL;
    struct sub *it;
    uint32_t sid;

    lyd_find_path(rpc, "session-id", 0, &n);
    if (!n)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id", "session-id missing");
    sid = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    if (sid == nc_session_get_id(session))
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id",
                         "a session cannot kill itself: use <close-session>");
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && nc_session_get_id(it->s) != sid; it = it->next)
        ;
    if (it) {
        nc_session_set_term_reason(it->s, NC_SESSION_TERM_KILLED);
        nc_session_set_killed_by(it->s, nc_session_get_id(session));
        nc_session_set_status(it->s, NC_STATUS_INVALID);
    }
    pthread_mutex_unlock(&nc->mu);
    if (!it)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id", "no session %u", sid);
    nlog(nc, LOG_INFO, "session %u killed by session %u", sid, nc_session_get_id(session));
    return nc_server_reply_ok();
}

static struct nc_server_reply *rpc_subscribe(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    struct lyd_node *n = NULL;

    lyd_find_path(rpc, "stream", 0, &n);
    if (n && strcmp(lyd_get_value(n), "NETCONF"))
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stream",
                         "unknown stream \"%s\": only NETCONF", lyd_get_value(n));
    n = NULL;
    lyd_find_path(rpc, "startTime", 0, &n);
    if (n)
        return err_reply(nc, NC_ERR_OP_NOT_SUPPORTED, "/notifications:create-subscription/startTime",
                         "replay is not supported");
    if (nc_session_get_notif_status(session))
        return err_reply(nc, NC_ERR_IN_USE, NULL, "this session already has a subscription");
    nc_session_inc_notif_status(session);
    nlog(nc, LOG_INFO, "session %u subscribed to notifications", nc_session_get_id(session));
    return nc_server_reply_ok();
}

static struct nc_server_reply *report_reply(struct issu_nc *nc, const char *op, const struct issu_snapshot *s)
{
    struct lyd_node *r = NULL;

    if (lyd_new_inner(NULL, nc->mod, op, 0, &r) != LY_SUCCESS || issu_report_fill(r, nc->mod, 1, s) != ISSU_OK) {
        lyd_free_tree(r);
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the report");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *rpc_renegotiate(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    struct lyd_node *n = NULL;
    struct issu_snapshot *s = NULL;
    struct nc_server_reply *r;
    uint32_t client = 0, sid = 0;
    int rc;

    (void)session;
    if (lyd_find_path(rpc, "client-id", 0, &n) == LY_SUCCESS)
        client = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    n = NULL;
    if (lyd_find_path(rpc, "session-id", 0, &n) == LY_SUCCESS)
        sid = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    rc = issu_hub_renegotiate(nc->conf.hub, client, sid, &s);
    if (rc == ISSU_ERR_NOTFOUND)
        return client ? err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:renegotiate/client-id",
                                  "no client %u in either image", client)
                      : err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:renegotiate/session-id", "no session %u",
                                  sid);
    if (rc == ISSU_ERR_PROTO)
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "no peer connected: nothing to renegotiate");
    if (rc != ISSU_OK)
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "renegotiation failed: %s", issu_strerror(rc));
    nlog(nc, LOG_INFO, "renegotiate client %u session %u: done", client, sid);
    r = report_reply(nc, "renegotiate", s);
    issu_snapshot_unref(s);
    return r;
}

static struct nc_server_reply *rpc_check(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    struct lyd_node *n = NULL;
    struct issu_image *img = NULL;
    struct issu_snapshot *s = NULL;
    struct nc_server_reply *r;
    char *xml = NULL, err[1024];
    int rc;

    (void)session;
    if (lyd_find_path(rpc, "candidate", 0, &n) != LY_SUCCESS || lyd_any_value_str(n, &xml) != LY_SUCCESS || !xml)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:check-upgrade/candidate",
                         "candidate missing: it must hold one issu-manifest:image element");
    rc = issu_manifest_load_mem(NULL, xml, strlen(xml), ISSU_MANIFEST_XML, "candidate", &img, err, sizeof(err));
    free(xml);
    if (rc != ISSU_OK)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:check-upgrade/candidate", "%s", err);
    rc = issu_hub_check(nc->conf.hub, img, &s);
    issu_image_free(img);
    if (rc != ISSU_OK)
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "check failed: %s", issu_strerror(rc));
    r = report_reply(nc, "check-upgrade", s);
    issu_snapshot_unref(s);
    return r;
}

static struct nc_server_reply *rpc_get_schema(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = the_nc;
    const struct lys_module *mod;
    struct lyd_node *n = NULL, *r = NULL;
    const char *id, *rev = NULL;
    char *text = NULL;
    LYS_OUTFORMAT fmt = LYS_OUT_YANG;

    (void)session;
    if (lyd_find_path(rpc, "identifier", 0, &n) != LY_SUCCESS)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/identifier",
                         "identifier missing");
    id = lyd_get_value(n);
    if (lyd_find_path(rpc, "version", 0, &n) == LY_SUCCESS && lyd_get_value(n)[0])
        rev = lyd_get_value(n);
    if (lyd_find_path(rpc, "format", 0, &n) == LY_SUCCESS) {
        const char *f = lyd_get_value(n);
        if (strstr(f, "yin"))
            fmt = LYS_OUT_YIN;
        else if (!strstr(f, "yang"))
            return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/format",
                             "format %s not supported: yang or yin", f);
    }
    mod = rev ? ly_ctx_get_module(nc->ctx, id, rev) : ly_ctx_get_module_implemented(nc->ctx, id);
    if (!mod && !rev)
        mod = ly_ctx_get_module_latest(nc->ctx, id);
    if (!mod)
        return err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/identifier",
                         "no module %s%s%s", id, rev ? "@" : "", rev ? rev : "");
    if (lys_print_mem(&text, mod, fmt, 0) != LY_SUCCESS || !text)
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot print module %s", id);
    if (lyd_new_inner(NULL, lyd_owner_module(rpc), "get-schema", 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", text, 1, LYD_ANYDATA_STRING, 1, NULL) != LY_SUCCESS) {
        free(text);
        lyd_free_tree(r);
        return err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *rpc_unsupported(struct lyd_node *rpc, struct nc_session *session)
{
    (void)session;
    return err_reply(the_nc, NC_ERR_OP_NOT_SUPPORTED, NULL, "operation \"%s\" is not supported by issud",
                     rpc->schema ? rpc->schema->name : "?");
}

/* ------------------------------------------------------------ notifications */

static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct issu_nc *nc = arg;
    struct change *c;

    (void)old;
    c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->cur = issu_snapshot_ref((struct issu_snapshot *)cur);
    pthread_mutex_lock(&nc->mu);
    if (nc->changes_tail)
        nc->changes_tail->next = c;
    else
        nc->changes = c;
    nc->changes_tail = c;
    pthread_cond_signal(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
}

static void send_all(struct issu_nc *nc, struct lyd_node *ev)
{
    struct nc_server_notif *notif;
    struct timespec now;
    char dt[40];
    struct sub *it;

    clock_gettime(CLOCK_REALTIME, &now);
    datetime(&now, dt, sizeof(dt));
    notif = nc_server_notif_new(ev, dt, NC_PARAMTYPE_DUP_AND_FREE);
    lyd_free_tree(ev);
    if (!notif)
        return;
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it; it = it->next) {
        if (nc_session_get_status(it->s) != NC_STATUS_RUNNING || !nc_session_get_notif_status(it->s))
            continue;
        stalled = 0;
        /* libnetconf2 ignores a failure in the last write of a message (its
         * final flush) and reports success: look at stalled either way */
        if (nc_server_notif_send(it->s, notif, NOTIF_SEND_TIMEOUT_MS) == NC_MSG_NOTIF && !stalled)
            continue;
        if (stalled) {
            drop_stalled(nc, it->s, "subscriber", "session dropped");
        } else {
            nlog(nc, LOG_WARNING, "session %u: notification not delivered", nc_session_get_id(it->s));
        }
    }
    pthread_mutex_unlock(&nc->mu);
    nc_server_notif_free(notif);
}

static void diff_and_notify(struct issu_nc *nc, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct lyd_node *ev;
    uint32_t i;

    /* per-session events only between two negotiated states: the peer's loss
     * or return is one verdict change, not an event per session */
    for (i = 0; old->peer_state == ISSU_PEER_UP && cur->peer_state == ISSU_PEER_UP && i < cur->n_sessions;
         i++) {
        const struct issu_session *ss = &cur->sessions[i];
        const struct issu_session *os = issu_snapshot_session_ce(old, ss->client_id, ss->entity_id);
        int prev = os ? os->result : ISSU_RES_UNKNOWN;
        if (prev == ss->result)
            continue;
        ev = NULL;
        if (lyd_new_inner(NULL, nc->mod, "session-result-changed", 0, &ev) != LY_SUCCESS)
            continue;
        if (term_u(ev, nc->mod, "session-id", ss->sid) || term_u(ev, nc->mod, "client-id", ss->client_id) ||
            term_u(ev, nc->mod, "entity-id", ss->entity_id) || term(ev, nc->mod, "session-name", ss->name) ||
            term(ev, nc->mod, "old-result", issu_report_result(prev)) ||
            term(ev, nc->mod, "result", issu_report_result(ss->result)) ||
            term(ev, nc->mod, "raw-result", issu_report_result(ss->raw_result)) ||
            term(ev, nc->mod, "reason", ss->reason)) {
            lyd_free_tree(ev);
            continue;
        }
        send_all(nc, ev);
    }
    if (old->verdict != cur->verdict) {
        ev = NULL;
        if (lyd_new_inner(NULL, nc->mod, "verdict-changed", 0, &ev) != LY_SUCCESS)
            return;
        if (term(ev, nc->mod, "old-verdict", issu_report_verdict(old->verdict)) ||
            term(ev, nc->mod, "verdict", issu_report_verdict(cur->verdict)) ||
            term(ev, nc->mod, "verdict-reason", cur->verdict_reason)) {
            lyd_free_tree(ev);
            return;
        }
        send_all(nc, ev);
    }
}

/* Once the changes are drained and someone is connected, build and print
 * the state of the newest snapshot here, so the next <get> does not wait
 * for it (~1 s for 10,000 sessions). Nobody connected: left to the first
 * <get>. A <get> arriving meanwhile waits for this build (build_mu). */
static void warm_cache(struct issu_nc *nc)
{
    struct issu_snapshot *s;
    struct state_tree *x = NULL;
    int idle;

    pthread_mutex_lock(&nc->mu);
    idle = !nc->changes && nc->sessions && !nc->stop;
    pthread_mutex_unlock(&nc->mu);
    if (!idle)
        return;
    s = issu_hub_snapshot(nc->conf.hub);
    if (state_tree_get(nc, s, &x) == ISSU_OK)
        state_tree_put(nc, x);
    issu_snapshot_unref(s);
}

static void *notif_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct issu_snapshot *last = NULL;
    struct change *c;

    stall_armed = 1;
    for (;;) {
        pthread_mutex_lock(&nc->mu);
        while (!nc->changes && !nc->stop)
            pthread_cond_wait(&nc->cv, &nc->mu);
        c = nc->changes;
        if (c) {
            nc->changes = c->next;
            if (!nc->changes)
                nc->changes_tail = NULL;
        }
        pthread_mutex_unlock(&nc->mu);
        if (!c)
            break; /* stopping and drained */
        /* a round completed, or the peer was lost or came back, since the
         * last snapshot we compared against */
        if (last && (c->cur->negotiations != last->negotiations || c->cur->peer_state != last->peer_state))
            diff_and_notify(nc, last, c->cur);
        if (!last || c->cur->negotiations != last->negotiations || c->cur->peer_state != last->peer_state) {
            issu_snapshot_unref(last);
            last = issu_snapshot_ref(c->cur);
        }
        issu_snapshot_unref(c->cur);
        free(c);
        warm_cache(nc);
    }
    issu_snapshot_unref(last);
    return NULL;
}

/* ------------------------------------------------------------ sessions */

static void sess_add(struct issu_nc *nc, struct nc_session *s)
{
    struct sub *it = calloc(1, sizeof(*it));

    if (!it)
        return;
    it->s = s;
    pthread_mutex_lock(&nc->mu);
    it->next = nc->sessions;
    nc->sessions = it;
    pthread_mutex_unlock(&nc->mu);
}

static void sess_del(struct issu_nc *nc, struct nc_session *s)
{
    struct sub **pp, *it;

    pthread_mutex_lock(&nc->mu);
    for (pp = &nc->sessions; *pp && (*pp)->s != s; pp = &(*pp)->next)
        ;
    it = *pp;
    if (it)
        *pp = it->next;
    pthread_mutex_unlock(&nc->mu);
    free(it);
}

static void *accept_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct nc_session *s;
    NC_MSG_TYPE t;

    while (!nc->stop) {
        s = NULL;
        t = nc_accept(200, &s);
        if (t != NC_MSG_HELLO || !s)
            continue;
        sess_add(nc, s);
        if (nc_ps_add_session(nc->ps, s)) {
            sess_del(nc, s);
            nc_session_free(s, NULL);
            continue;
        }
        nlog(nc, LOG_INFO, "session %u: user %s from %s", nc_session_get_id(s), nc_session_get_username(s),
             nc_session_get_host(s) ? nc_session_get_host(s) : nc_session_get_path(s) ? nc_session_get_path(s) : "?");
    }
    return NULL;
}

static void *worker_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct nc_session *s, *ns;
    int r;

    in_worker = 1;
    stall_armed = 1;
    while (!nc->stop) {
        s = NULL;
        stalled = 0;
        write_waiting = 0;
        /* short: a session being added waits for each worker's poll in
         * libnetconf2's pollsession queue (200 ms made connecting take
         * ~0.8 s); an idle poll costs the same either way (libnetconf2
         * re-polls every 100 us until the timeout) */
        r = nc_ps_poll(nc->ps, 20, &s);
        sent_release(nc); /* any reply of this poll has been written */
        if (stalled && s) {
            drop_stalled(nc, s, "client", "reply abandoned, session dropped");
            r |= NC_PSPOLL_SESSION_TERM;
        }
        if ((r & (NC_PSPOLL_NOSESSIONS | NC_PSPOLL_TIMEOUT | NC_PSPOLL_ERROR)) && !(r & NC_PSPOLL_SESSION_TERM)) {
            if (r & NC_PSPOLL_NOSESSIONS)
                usleep(50000);
            continue;
        }
        if ((r & NC_PSPOLL_SSH_CHANNEL) && nc_ps_accept_ssh_channel(nc->ps, &ns) == NC_MSG_HELLO) {
            sess_add(nc, ns);
            if (nc_ps_add_session(nc->ps, ns)) {
                sess_del(nc, ns);
                nc_session_free(ns, NULL);
            }
        }
        if (s && (r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR))) {
            nlog(nc, LOG_INFO, "session %u ended", nc_session_get_id(s));
            /* out of the notify list first: it sends under nc->mu */
            sess_del(nc, s);
            if (nc_ps_del_session(nc->ps, s) == 0)
                nc_session_free(s, NULL);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ SSH */

static int pubkey_auth(const struct nc_session *session, ssh_key key, void *user_data)
{
    struct issu_nc *nc = user_data;
    const char *user = nc_session_get_username(session);
    size_t i;

    for (i = 0; i < nc->n_keys; i++) {
        if (user && !strcmp(user, nc->keys[i].user) &&
            !ssh_key_cmp(key, nc->keys[i].key, SSH_KEY_CMP_PUBLIC))
            return 0;
    }
    nlog(nc, LOG_WARNING, "SSH public key refused for user \"%s\"", user ? user : "?");
    return 1;
}

static int hostkey_clb(const char *name, void *user_data, char **privkey_path, char **privkey_data,
                       NC_SSH_KEY_TYPE *privkey_type)
{
    struct issu_nc *nc = user_data;

    (void)name;
    *privkey_data = NULL;
    *privkey_type = NC_SSH_KEY_UNKNOWN;
    *privkey_path = strdup(nc->host_key);
    return *privkey_path ? 0 : -1;
}

static int load_authkeys(struct issu_nc *nc, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[16384];
    unsigned lineno = 0;
    int rc = ISSU_OK;

    if (!f) {
        nlog(nc, LOG_ERR, "%s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    while (fgets(line, sizeof(line), f)) {
        char *type, *b64, *comment, *save = NULL, *at;
        const char *user;
        ssh_key key = NULL;
        struct authkey *k;

        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            nlog(nc, LOG_ERR, "%s:%u: line too long", path, lineno);
            rc = ISSU_ERR_INVAL;
            break;
        }
        type = strtok_r(line, " \t\r\n", &save);
        if (!type || type[0] == '#')
            continue;
        b64 = strtok_r(NULL, " \t\r\n", &save);
        comment = strtok_r(NULL, " \t\r\n", &save);
        if (!b64 || ssh_pki_import_pubkey_base64(b64, ssh_key_type_from_name(type), &key) != SSH_OK) {
            nlog(nc, LOG_ERR, "%s:%u: not an OpenSSH public key (options before the key type are not supported)",
                 path, lineno);
            rc = ISSU_ERR_INVAL;
            break;
        }
        if (comment && (at = strchr(comment, '@')))
            *at = '\0';
        user = nc->conf.ssh_user ? nc->conf.ssh_user : comment;
        if (!user || !user[0]) {
            nlog(nc, LOG_ERR, "%s:%u: no user: put it in the key's comment or use --ssh-user", path, lineno);
            ssh_key_free(key);
            rc = ISSU_ERR_INVAL;
            break;
        }
        k = realloc(nc->keys, (nc->n_keys + 1) * sizeof(*k));
        if (!k) {
            ssh_key_free(key);
            rc = ISSU_ERR_NOMEM;
            break;
        }
        nc->keys = k;
        k[nc->n_keys].key = key;
        k[nc->n_keys].user = strdup(user);
        if (!k[nc->n_keys].user) {
            ssh_key_free(key);
            rc = ISSU_ERR_NOMEM;
            break;
        }
        nc->n_keys++;
        nlog(nc, LOG_INFO, "authorized %s key for user \"%s\"", type, user);
    }
    fclose(f);
    if (rc == ISSU_OK && !nc->n_keys) {
        nlog(nc, LOG_ERR, "%s: no keys", path);
        rc = ISSU_ERR_INVAL;
    }
    return rc;
}

static int ensure_host_key(struct issu_nc *nc, const char *path)
{
    ssh_key key = NULL;
    mode_t old;
    int rc;

    if (access(path, F_OK) == 0) {
        if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
            nlog(nc, LOG_ERR, "%s: not a private key libssh can read", path);
            return ISSU_ERR_INVAL;
        }
        ssh_key_free(key);
        return ISSU_OK;
    }
    if (ssh_pki_generate(SSH_KEYTYPE_RSA, 2048, &key) != SSH_OK) {
        nlog(nc, LOG_ERR, "cannot generate a host key");
        return ISSU_ERR_IO;
    }
    old = umask(077);
    rc = ssh_pki_export_privkey_file(key, NULL, NULL, NULL, path) == SSH_OK ? ISSU_OK : ISSU_ERR_IO;
    umask(old);
    ssh_key_free(key);
    if (rc != ISSU_OK)
        nlog(nc, LOG_ERR, "%s: cannot write the host key", path);
    else
        nlog(nc, LOG_INFO, "generated SSH host key %s (RSA 2048, PEM)", path);
    return rc;
}

static int setup_ssh(struct issu_nc *nc)
{
    const char *colon = strrchr(nc->conf.ssh_listen, ':');
    char addr[256], *end;
    unsigned long port;
    size_t alen;

    if (!colon || colon == nc->conf.ssh_listen) {
        nlog(nc, LOG_ERR, "--netconf-ssh \"%s\": expected ADDR:PORT", nc->conf.ssh_listen);
        return ISSU_ERR_INVAL;
    }
    alen = (size_t)(colon - nc->conf.ssh_listen);
    errno = 0;
    port = strtoul(colon + 1, &end, 10);
    if (*end || !colon[1] || errno || port == 0 || port > 65535 || alen >= sizeof(addr)) {
        nlog(nc, LOG_ERR, "--netconf-ssh \"%s\": bad port", nc->conf.ssh_listen);
        return ISSU_ERR_INVAL;
    }
    memcpy(addr, nc->conf.ssh_listen, alen);
    addr[alen] = '\0';
    if (addr[0] == '[' && alen > 2 && addr[alen - 1] == ']') {
        memmove(addr, addr + 1, alen - 2);
        addr[alen - 2] = '\0';
    }
    ISSU_CHECK(ensure_host_key(nc, nc->conf.host_key));
    ISSU_CHECK(load_authkeys(nc, nc->conf.authorized_keys));
    nc->host_key = strdup(nc->conf.host_key);
    if (!nc->host_key)
        return ISSU_ERR_NOMEM;
    nc_server_ssh_set_hostkey_clb(hostkey_clb, nc, NULL);
    nc_server_ssh_set_pubkey_auth_clb(pubkey_auth, nc, NULL);
    if (nc_server_add_endpt("ssh", NC_TI_LIBSSH) || nc_server_ssh_endpt_add_hostkey("ssh", "hostkey", -1) ||
        nc_server_ssh_endpt_set_auth_methods("ssh", NC_SSH_AUTH_PUBLICKEY) ||
        nc_server_ssh_endpt_set_auth_attempts("ssh", 3) || nc_server_ssh_endpt_set_auth_timeout("ssh", 10) ||
        nc_server_endpt_set_address("ssh", addr) || nc_server_endpt_set_port("ssh", (uint16_t)port)) {
        nlog(nc, LOG_ERR, "cannot listen for SSH on %s", nc->conf.ssh_listen);
        return ISSU_ERR_IO;
    }
    nlog(nc, LOG_INFO, "NETCONF over SSH on %s:%lu", addr, port);
    return ISSU_OK;
}

/* ------------------------------------------------------------ start/stop */

static int set_clb(struct issu_nc *nc, const char *path, nc_rpc_clb clb)
{
    struct lysc_node *n = (struct lysc_node *)lys_find_path(nc->ctx, NULL, path, 0);

    if (!n) {
        nlog(nc, LOG_ERR, "schema node %s missing", path);
        return ISSU_ERR_NOTFOUND;
    }
    nc_set_rpc_callback(n, clb);
    return ISSU_OK;
}

static int make_ctx(struct issu_nc *nc)
{
    static const char *xpath_feat[] = {"xpath", NULL};
    const char *env = getenv("ISSU_YANG_DIR");

    if (ly_ctx_new(NULL, LY_CTX_DISABLE_SEARCHDIR_CWD, &nc->ctx) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    if (env && env[0])
        ly_ctx_set_searchdir(nc->ctx, env);
    ly_ctx_set_searchdir(nc->ctx, ISSU_YANG_DIR);
    ly_ctx_set_searchdir(nc->ctx, ISSU_YUMA_DIR "/ietf");
    ly_ctx_set_searchdir(nc->ctx, ISSU_YUMA_DIR "/ietf-derived");
    ly_ctx_set_searchdir(nc->ctx, ISSU_YUMA_DIR "/netconfcentral");
    ly_err_clean(nc->ctx, NULL);
    if (!ly_ctx_load_module(nc->ctx, "ietf-netconf", NULL, xpath_feat) ||
        !ly_ctx_load_module(nc->ctx, "ietf-netconf-monitoring", NULL, NULL) ||
        !ly_ctx_load_module(nc->ctx, "ietf-netconf-with-defaults", NULL, NULL) ||
        !ly_ctx_load_module(nc->ctx, "notifications", NULL, NULL) ||
        !ly_ctx_load_module(nc->ctx, "nc-notifications", NULL, NULL) ||
        !ly_ctx_load_module(nc->ctx, "issu-manifest", NULL, NULL) ||
        !ly_ctx_load_module(nc->ctx, ISSU_REPORT_MODULE, NULL, NULL) ||
        !(nc->mod = ly_ctx_load_module(nc->ctx, STATE_MOD, NULL, NULL))) {
        const char *m = ly_errmsg(nc->ctx);
        nlog(nc, LOG_ERR, "cannot load the NETCONF YANG modules: %s", m ? m : "not found");
        return ISSU_ERR_NOTFOUND;
    }
    return ISSU_OK;
}

int issu_nc_start(const struct issu_nc_conf *conf, struct issu_nc **out)
{
    struct issu_nc *nc;
    int rc, i;

    *out = NULL;
    if (the_nc || !conf || !conf->hub || (!conf->unix_path && !conf->ssh_listen))
        return ISSU_ERR_INVAL;
    nc = calloc(1, sizeof(*nc));
    if (!nc)
        return ISSU_ERR_NOMEM;
    nc->conf = *conf;
    pthread_mutex_init(&nc->mu, NULL);
    pthread_mutex_init(&nc->cache_mu, NULL);
    pthread_mutex_init(&nc->build_mu, NULL);
    pthread_cond_init(&nc->cv, NULL);
    the_nc = nc;
    nc_set_print_clb_session(nc_print);
    nc_verbosity(conf->verbose ? NC_VERB_VERBOSE : NC_VERB_WARNING);
    ly_set_log_clb(ly_log_print, 1); /* after libnetconf2's own */

    ISSU_CHECK_GOTO(make_ctx(nc), rc);
    if (nc_server_init(nc->ctx)) {
        nlog(nc, LOG_ERR, "nc_server_init failed");
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    nc_set_global_rpc_clb(rpc_unsupported);
    ISSU_CHECK_GOTO(set_clb(nc, "/ietf-netconf:get", rpc_get), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/ietf-netconf:get-config", rpc_get_config), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/ietf-netconf:kill-session", rpc_kill_session), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/ietf-netconf-monitoring:get-schema", rpc_get_schema), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/notifications:create-subscription", rpc_subscribe), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/issu-agent:renegotiate", rpc_renegotiate), rc);
    ISSU_CHECK_GOTO(set_clb(nc, "/issu-agent:check-upgrade", rpc_check), rc);
    nc_server_set_capab_withdefaults(NC_WD_EXPLICIT, NC_WD_EXPLICIT);
    /* RFC 5277; RPCs keep working on a subscribed session */
    nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0");
    nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0");

    /* SSH first: the host key exists once the UNIX socket does (tests and
     * scripts wait for the socket) */
    if (conf->ssh_listen)
        ISSU_CHECK_GOTO(setup_ssh(nc), rc);
    if (conf->unix_path) {
        unlink(conf->unix_path); /* a stale socket of an earlier run */
        if (nc_server_add_endpt("unix", NC_TI_UNIX) || nc_server_endpt_set_address("unix", conf->unix_path) ||
            nc_server_endpt_set_perms("unix", 0600, (uid_t)-1, (gid_t)-1)) {
            nlog(nc, LOG_ERR, "cannot listen on UNIX socket %s", conf->unix_path);
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        }
        nlog(nc, LOG_INFO, "NETCONF on UNIX socket %s", conf->unix_path);
    }

    ISSU_CHECK_GOTO(issu_hub_listen(conf->hub, on_change, nc), rc);
    nc->ps = nc_ps_new();
    ISSU_CHECK_MEM(nc->ps, rc);
    if (pthread_create(&nc->notif_thr, NULL, notif_main, nc))
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    nc->notif_started = 1;
    for (i = 0; i < NC_WORKERS; i++) {
        if (pthread_create(&nc->workers[i], NULL, worker_main, nc))
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        nc->n_workers++;
    }
    if (pthread_create(&nc->accept_thr, NULL, accept_main, nc))
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    nc->accept_started = 1;
    *out = nc;
    return ISSU_OK;
cleanup:
    issu_nc_stop(nc);
    return rc;
}

void issu_nc_stop(struct issu_nc *nc)
{
    struct change *c;
    size_t i;
    int k;

    if (!nc)
        return;
    pthread_mutex_lock(&nc->mu);
    nc->stop = 1;
    pthread_cond_broadcast(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
    if (nc->accept_started)
        pthread_join(nc->accept_thr, NULL);
    for (k = 0; k < nc->n_workers; k++)
        pthread_join(nc->workers[k], NULL);
    if (nc->notif_started)
        pthread_join(nc->notif_thr, NULL);
    /* every worker has stopped: nothing else holds it; before the context goes */
    state_tree_put(nc, nc->cache);
    nc->cache = NULL;
    while (nc->sessions) {
        struct sub *it = nc->sessions;
        nc->sessions = it->next;
        free(it);
    }
    if (nc->ps) {
        nc_ps_clear(nc->ps, 1, NULL);
        nc_ps_free(nc->ps);
    }
    while ((c = nc->changes)) {
        nc->changes = c->next;
        issu_snapshot_unref(c->cur);
        free(c);
    }
    nc_server_destroy();
    if (nc->conf.unix_path)
        unlink(nc->conf.unix_path);
    for (i = 0; i < nc->n_keys; i++) {
        ssh_key_free(nc->keys[i].key);
        free(nc->keys[i].user);
    }
    free(nc->keys);
    free(nc->host_key);
    ly_ctx_destroy(nc->ctx);
    pthread_cond_destroy(&nc->cv);
    pthread_mutex_destroy(&nc->build_mu);
    pthread_mutex_destroy(&nc->cache_mu);
    pthread_mutex_destroy(&nc->mu);
    the_nc = NULL;
    free(nc);
}
