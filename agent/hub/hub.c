/*
 * hub.c - issud's core thread (hub.h).
 *
 * One thread owns both endpoints of the embedded pair and makes every core
 * call. Faces reach it through a request queue (mutex + eventfd wake-up) and
 * wait on a condition variable for the answer; they read state through the
 * shown snapshot, a pointer swapped under the mutex and handed out with a
 * reference. Listeners run on the core thread from the active endpoint's
 * on_change.
 *
 * Peer mode (issu_hub_new_peer) has one endpoint (pair.ep[0], shown) whose
 * transport is a TCP link (agent/peer/tcp.h); the core thread polls the
 * link's sockets and timers next to its wake-up fd. A renegotiation there
 * completes asynchronously: the request is parked until the endpoint
 * published a finished round, the link went down, or 10 s passed.
 */
#include "hub.h"

#include <errno.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "tcp.h"
#include "auth.h"

_Static_assert(ISSU_HUB_PEER_PENDING_DEFAULT == ISSU_TCP_PENDING_DEFAULT &&
                   ISSU_HUB_PEER_PENDING_MAX == ISSU_TCP_PENDING_MAX &&
                   ISSU_HUB_PEER_AUTH_MS_DEFAULT == ISSU_TCP_AUTH_MS &&
                   ISSU_HUB_PEER_AUTH_MS_MAX == ISSU_TCP_AUTH_MS_MAX,
               "hub.h and tcp.h disagree on the peer listener's limits");

#define MAX_LISTENERS 8
#define RENEG_WAIT_MS 10000
#define ISSU_ERR_BUSY_PARK (-1) /* internal: the request is parked, not answered */

enum req_kind { REQ_RENEG = 1, REQ_RELOAD, REQ_CHECK };

struct req {
    enum req_kind kind;
    uint32_t client_id, sid;
    enum issu_trigger trigger;
    struct issu_image *candidate;
    struct issu_snapshot *out;
    char *err;
    size_t errlen;
    int rc;
    int done;
    uint64_t published;  /* peer mode: hub->published when the round was asked for */
    int64_t give_up;     /* peer mode: monotonic ms */
    struct req *next;
};

struct listener {
    issu_hub_listener cb;
    void *arg;
};

struct file_seen {
    char *path;
    char *data; /* content of the last successful load, to skip unchanged files */
    size_t len;
};

struct issu_hub {
    struct issu_hub_conf conf;
    struct file_seen files[2];
    struct ly_ctx *ctx;          /* core thread only (after start) */
    struct issu_mem_pair pair;   /* ep[0] active (shown), ep[1] standby */
    struct issu_image *img[2];   /* running images (core thread only) */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct issu_snapshot *shown; /* under mu */
    struct req *head, *tail;     /* under mu */
    int running;                 /* under mu */
    int stopping;                /* under mu */
    int wake_fd;
    pthread_t thread;

    struct listener listeners[MAX_LISTENERS];
    unsigned n_listeners;
    enum issu_trigger trigger;   /* core thread: what asked for the round in progress */
    enum issu_trigger parked_trigger; /* peer mode: of the round awaited over the network */
    unsigned seen_up;            /* peer mode: times the peer came up */

    /* peer mode (core thread only) */
    struct issu_tcp *tcp;        /* NULL in the embedded mode */
    struct pollfd *pfd;          /* the wake-up fd, then the link's (1 + issu_tcp_nfds) */
    enum issu_side side;         /* of ep[0] */
    struct req *parked;          /* renegotiations waiting for the network round */
    uint64_t published;          /* snapshots published by ep[0] */
};

static void hlog(struct issu_hub *hub, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void hlog(struct issu_hub *hub, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(hub->conf.log, hub->conf.log_arg, level, fmt, ap);
    va_end(ap);
}

static void ep_log(void *arg, int level, const char *msg)
{
    struct issu_hub *hub = arg;

    if (hub->conf.log)
        hub->conf.log(hub->conf.log_arg, level, msg);
}

/* ---- files ---- */

/*
 * Load a manifest; *img is NULL (and ISSU_OK) when the content is unchanged.
 * The file is read once, without blocking (a FIFO or device put in its
 * place is refused at once: the core thread must never wait on a file),
 * and the bytes compared are the bytes loaded.
 */
static int load_one(struct issu_hub *hub, int i, int force, struct issu_image **img, char *err,
                    size_t errlen)
{
    struct file_seen *f = &hub->files[i];
    char *data = NULL;
    size_t len = 0;
    int rc;

    *img = NULL;
    ISSU_CHECK(issu_manifest_read_file(f->path, &data, &len, err, errlen));
    if (!force && f->data && len == f->len && !memcmp(data, f->data, len)) {
        free(data);
        return ISSU_OK;
    }
    rc = issu_manifest_load_file_data(hub->ctx, f->path, data, len, img, err, errlen);
    /* the manifest's libyang tree (~2x the file in small blocks) is gone:
     * hand its pages back rather than carry them as VmRSS (issue 19) */
    malloc_trim(0);
    if (rc != ISSU_OK) {
        free(data);
        return rc;
    }
    free(f->data);
    f->data = data;
    f->len = len;
    return ISSU_OK;
}

/* ---- callbacks on the core thread ---- */

static void on_change_active(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct issu_hub *hub = arg;
    struct issu_snapshot *prev;
    struct issu_events *ev = NULL;
    unsigned i;
    int rc;

    hub->published++;
    if (hub->tcp) {
        /* peer mode: rounds end in the link's processing, not in a request */
        if (cur->peer_state != ISSU_PEER_UP && old && old->peer_state == ISSU_PEER_UP)
            hub->trigger = ISSU_TRIG_PEER_LOST;
        else if (cur->peer_state == ISSU_PEER_UP && (!old || old->peer_state != ISSU_PEER_UP))
            hub->trigger = hub->seen_up++ ? ISSU_TRIG_PEER_BACK : ISSU_TRIG_START;
        else if (hub->parked_trigger)
            hub->trigger = hub->parked_trigger;
        else
            hub->trigger = hub->seen_up ? ISSU_TRIG_PEER : ISSU_TRIG_START;
        /* (the endpoint publishes its first state inside issu_endpoint_new) */
        if (hub->pair.ep[0] && !issu_endpoint_busy(hub->pair.ep[0]))
            hub->parked_trigger = 0;
    }
    pthread_mutex_lock(&hub->mu);
    prev = hub->shown;
    hub->shown = issu_snapshot_ref((struct issu_snapshot *)cur);
    pthread_mutex_unlock(&hub->mu);
    /* the events once, for every face */
    if (hub->n_listeners && (rc = issu_events_diff(old, cur, &ev)) != ISSU_OK)
        hlog(hub, LOG_ERR, "events of state %llu not computed: %s", (unsigned long long)cur->generation,
             issu_strerror(rc));
    for (i = 0; ev && i < hub->n_listeners; i++)
        hub->listeners[i].cb(hub->listeners[i].arg, old, cur, ev);
    issu_events_unref(ev);
    issu_snapshot_unref(prev);
}

/* ---- requests (core thread) ---- */

static int do_reneg(struct issu_hub *hub, struct req *r)
{
    int rc;

    hub->trigger = r->trigger ? r->trigger : ISSU_TRIG_REQUEST;
    if (hub->tcp)
        hub->parked_trigger = hub->trigger;
    rc = issu_endpoint_renegotiate(hub->pair.ep[0], r->client_id, r->sid);
    if (rc != ISSU_OK) {
        hub->parked_trigger = 0; /* no round */
        return rc;
    }
    if (hub->tcp)
        return ISSU_ERR_BUSY_PARK; /* answered once the round over the network is done */
    rc = issu_mem_pair_run(&hub->pair);
    if (rc != ISSU_OK)
        return rc;
    r->out = issu_endpoint_snapshot(hub->pair.ep[0]);
    return ISSU_OK;
}

static int do_reload(struct issu_hub *hub, char *err, size_t errlen)
{
    struct issu_image *img[2] = {NULL, NULL};
    char buf[1024];
    int rc, i, nfiles = hub->tcp ? 1 : 2;

    if (!err || !errlen) {
        err = buf;
        errlen = sizeof(buf);
    }
    err[0] = '\0';
    hub->trigger = ISSU_TRIG_RELOAD;
    /* both files must load before either endpoint changes */
    for (i = 0; i < nfiles; i++) {
        rc = load_one(hub, i, 0, &img[i], err, errlen);
        if (rc != ISSU_OK) {
            hlog(hub, LOG_ERR, "reload: %s: keeping the running images", err);
            goto cleanup;
        }
    }
    if (!img[0] && !img[1]) {
        hlog(hub, LOG_INFO, "reload: manifests unchanged");
        rc = ISSU_OK;
        goto cleanup;
    }
    /* standby first: the passive side only re-announces; the active then
     * starts one full round against the standby's new inventory */
    for (i = 1; i >= 0; i--) {
        if (!img[i])
            continue;
        if (hub->tcp)
            hub->parked_trigger = ISSU_TRIG_RELOAD; /* the round runs over the network */
        rc = issu_endpoint_set_image(hub->pair.ep[i], img[i]);
        if (rc != ISSU_OK && hub->tcp)
            hub->parked_trigger = 0;
        if (rc == ISSU_OK && !hub->tcp)
            rc = issu_mem_pair_run(&hub->pair); /* peer mode: the round runs over the network */
        if (rc != ISSU_OK) {
            snprintf(err, errlen, "%s: %s", hub->files[i].path, issu_strerror(rc));
            hlog(hub, LOG_ERR, "reload: %s", err);
            goto cleanup;
        }
        issu_image_free(hub->img[i]);
        hub->img[i] = issu_image_ref(img[i]);
        hlog(hub, LOG_INFO, "reload: %s image %s %s",
             hub->tcp ? issu_side_name((int)hub->side) : i ? "standby" : "active", img[i]->name,
             img[i]->version);
    }
    rc = ISSU_OK;
cleanup:
    issu_image_free(img[0]);
    issu_image_free(img[1]);
    return rc;
}

static int do_check(struct issu_hub *hub, struct req *r)
{
    return issu_mem_negotiate(hub->img[0], hub->conf.active_uid, r->candidate, hub->conf.standby_uid,
                              NULL, NULL, &r->out, NULL);
}

static int64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void answer(struct issu_hub *hub, struct req *r, int rc)
{
    pthread_mutex_lock(&hub->mu);
    r->rc = rc;
    r->done = 1;
    pthread_cond_broadcast(&hub->cv);
    pthread_mutex_unlock(&hub->mu);
}

/* Peer mode: answer parked renegotiations whose round is over (or lost). */
static void check_parked(struct issu_hub *hub, int stopping)
{
    struct req **pp = &hub->parked, *r;
    int64_t now = mono_ms();
    int rc;

    while ((r = *pp)) {
        if (stopping || !issu_tcp_up(hub->tcp))
            rc = ISSU_ERR_PROTO;
        else if (hub->published > r->published && !issu_endpoint_busy(hub->pair.ep[0]))
            rc = ISSU_OK;
        else if (now >= r->give_up)
            rc = ISSU_ERR_TRANSPORT;
        else {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        if (rc == ISSU_OK)
            r->out = issu_endpoint_snapshot(hub->pair.ep[0]);
        answer(hub, r, rc);
    }
}

static void *core_main(void *arg)
{
    struct issu_hub *hub = arg;
    struct pollfd one[1], *pfd = hub->pfd ? hub->pfd : one;
    struct req *r;
    uint64_t v;
    int rc, n, timeout;

    pfd[0].fd = hub->wake_fd;
    pfd[0].events = POLLIN;
    hub->trigger = ISSU_TRIG_START;
    if (!hub->tcp) {
        rc = issu_mem_pair_connect(&hub->pair);
        if (rc != ISSU_OK)
            hlog(hub, LOG_ERR, "negotiation failed: %s", issu_strerror(rc));
    }
    for (;;) {
        pthread_mutex_lock(&hub->mu);
        r = hub->head;
        if (r) {
            hub->head = r->next;
            if (!hub->head)
                hub->tail = NULL;
        }
        if (!r && hub->stopping) {
            pthread_mutex_unlock(&hub->mu);
            break;
        }
        pthread_mutex_unlock(&hub->mu);
        if (!r) {
            n = 0;
            timeout = -1;
            if (hub->tcp) {
                issu_tcp_prepare(hub->tcp, pfd + 1, &n, &timeout);
                if (hub->parked && (timeout < 0 || timeout > 200))
                    timeout = 200; /* parked requests time out */
            }
            pfd[0].revents = 0;
            rc = poll(pfd, (nfds_t)(1 + n), timeout);
            if (rc > 0 && (pfd[0].revents & POLLIN) && read(hub->wake_fd, &v, sizeof(v)) < 0 &&
                errno != EAGAIN)
                hlog(hub, LOG_ERR, "core: wake-up read failed: %s", strerror(errno));
            if (hub->tcp) {
                issu_tcp_process(hub->tcp, pfd + 1, rc > 0 ? n : 0);
                check_parked(hub, 0);
            }
            continue;
        }
        switch (r->kind) {
        case REQ_RENEG: rc = do_reneg(hub, r); break;
        case REQ_RELOAD: rc = do_reload(hub, r->err, r->errlen); break;
        case REQ_CHECK: rc = do_check(hub, r); break;
        default: rc = ISSU_ERR_INVAL; break;
        }
        if (rc == ISSU_ERR_BUSY_PARK) {
            r->published = hub->published;
            r->give_up = mono_ms() + RENEG_WAIT_MS;
            r->next = hub->parked;
            hub->parked = r;
            continue;
        }
        answer(hub, r, rc);
    }
    if (hub->tcp)
        check_parked(hub, 1);
    return NULL;
}

/* Queue @p r and wait for the core thread's answer. */
static int submit(struct issu_hub *hub, struct req *r)
{
    uint64_t one = 1;
    int rc;

    r->done = 0;
    r->next = NULL;
    pthread_mutex_lock(&hub->mu);
    if (!hub->running || hub->stopping) {
        pthread_mutex_unlock(&hub->mu);
        return ISSU_ERR_PROTO;
    }
    if (hub->tail)
        hub->tail->next = r;
    else
        hub->head = r;
    hub->tail = r;
    if (write(hub->wake_fd, &one, sizeof(one)) < 0) {
        /* eventfd write fails only at counter overflow: the thread is awake anyway */
    }
    while (!r->done)
        pthread_cond_wait(&hub->cv, &hub->mu);
    rc = r->rc;
    pthread_mutex_unlock(&hub->mu);
    return rc;
}

/* ---- public ---- */

struct issu_snapshot *issu_hub_snapshot(struct issu_hub *hub)
{
    struct issu_snapshot *s;

    pthread_mutex_lock(&hub->mu);
    s = issu_snapshot_ref(hub->shown);
    pthread_mutex_unlock(&hub->mu);
    return s;
}

const char *issu_trigger_name(int t)
{
    static const char *const names[] = {"?", "start", "reload", "snmp-set", "netconf-rpc",
                                        "peer-lost", "peer-back", "peer", "request"};

    return t >= 1 && t <= ISSU_TRIG_MAX ? names[t] : "?";
}

enum issu_trigger issu_hub_trigger(const struct issu_hub *hub)
{
    return hub->trigger ? hub->trigger : ISSU_TRIG_REQUEST;
}

int issu_hub_renegotiate(struct issu_hub *hub, uint32_t client_id, uint32_t sid, struct issu_snapshot **out)
{
    return issu_hub_renegotiate_by(hub, ISSU_TRIG_REQUEST, client_id, sid, out);
}

int issu_hub_renegotiate_by(struct issu_hub *hub, enum issu_trigger trigger, uint32_t client_id,
                            uint32_t sid, struct issu_snapshot **out)
{
    struct req r;
    int rc;

    memset(&r, 0, sizeof(r));
    r.kind = REQ_RENEG;
    r.trigger = trigger;
    r.client_id = client_id;
    r.sid = sid;
    rc = submit(hub, &r);
    if (out && rc == ISSU_OK)
        *out = r.out;
    else
        issu_snapshot_unref(r.out);
    return rc;
}

int issu_hub_listen(struct issu_hub *hub, issu_hub_listener cb, void *arg)
{
    int rc = ISSU_OK;

    if (!cb)
        return ISSU_ERR_INVAL;
    pthread_mutex_lock(&hub->mu);
    if (hub->running || hub->n_listeners == MAX_LISTENERS) {
        rc = ISSU_ERR_INVAL; /* listeners are read lock-free by the core thread */
    } else {
        hub->listeners[hub->n_listeners].cb = cb;
        hub->listeners[hub->n_listeners].arg = arg;
        hub->n_listeners++;
    }
    pthread_mutex_unlock(&hub->mu);
    return rc;
}

int issu_hub_reload(struct issu_hub *hub, char *err, size_t errlen)
{
    struct req r;

    memset(&r, 0, sizeof(r));
    r.kind = REQ_RELOAD;
    r.err = err;
    r.errlen = errlen;
    return submit(hub, &r);
}

int issu_hub_check(struct issu_hub *hub, struct issu_image *candidate, struct issu_snapshot **out)
{
    struct req r;
    int rc;

    *out = NULL;
    if (!candidate)
        return ISSU_ERR_INVAL;
    memset(&r, 0, sizeof(r));
    r.kind = REQ_CHECK;
    r.candidate = candidate;
    rc = submit(hub, &r);
    if (rc == ISSU_OK)
        *out = r.out;
    else
        issu_snapshot_unref(r.out);
    return rc;
}

int issu_hub_new(const struct issu_hub_conf *conf, struct issu_hub **out)
{
    struct issu_hub *hub;
    struct issu_endpoint_conf ec;
    char err[1024];
    int rc, i;

    *out = NULL;
    if (!conf || !conf->active_path || !conf->standby_path)
        return ISSU_ERR_INVAL;
    hub = calloc(1, sizeof(*hub));
    if (!hub)
        return ISSU_ERR_NOMEM;
    hub->conf = *conf;
    if (!hub->conf.active_uid)
        hub->conf.active_uid = 4;
    if (!hub->conf.standby_uid)
        hub->conf.standby_uid = 7;
    hub->wake_fd = -1;
    pthread_mutex_init(&hub->mu, NULL);
    pthread_cond_init(&hub->cv, NULL);
    hub->files[0].path = strdup(conf->active_path);
    hub->files[1].path = strdup(conf->standby_path);
    ISSU_CHECK_MEM(hub->files[0].path, rc);
    ISSU_CHECK_MEM(hub->files[1].path, rc);
    hub->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (hub->wake_fd < 0)
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    rc = issu_ly_ctx_new(&hub->ctx);
    if (rc != ISSU_OK) {
        hlog(hub, LOG_ERR, "cannot load YANG module %s (set ISSU_YANG_DIR?)", ISSU_MANIFEST_MODULE);
        goto cleanup;
    }
    for (i = 0; i < 2; i++) {
        rc = load_one(hub, i, 1, &hub->img[i], err, sizeof(err));
        if (rc != ISSU_OK) {
            hlog(hub, LOG_ERR, "%s", err);
            if (conf->refused)
                *conf->refused = 1;
            goto cleanup;
        }
    }
    for (i = 0; i < 2; i++) {
        memset(&ec, 0, sizeof(ec));
        ec.unique_id = i ? hub->conf.standby_uid : hub->conf.active_uid;
        ec.side = i ? ISSU_SIDE_STANDBY : ISSU_SIDE_ACTIVE;
        ec.image = hub->img[i];
        ec.transport = issu_mem_transport(&hub->pair, i);
        ec.on_change = i ? NULL : on_change_active;
        ec.log = ep_log;
        ec.arg = hub;
        ISSU_CHECK_GOTO(issu_endpoint_new(&ec, &hub->pair.ep[i]), rc);
    }
    *out = hub;
    return ISSU_OK;
cleanup:
    issu_hub_free(hub);
    return rc;
}

int issu_hub_start(struct issu_hub *hub)
{
    int rc = ISSU_OK;

    pthread_mutex_lock(&hub->mu);
    if (hub->running) {
        rc = ISSU_ERR_INVAL;
    } else if (pthread_create(&hub->thread, NULL, core_main, hub) != 0) {
        rc = ISSU_ERR_IO;
    } else {
        hub->running = 1;
        hub->stopping = 0;
    }
    pthread_mutex_unlock(&hub->mu);
    return rc;
}

void issu_hub_stop(struct issu_hub *hub)
{
    uint64_t one = 1;
    int running;

    pthread_mutex_lock(&hub->mu);
    running = hub->running;
    hub->stopping = 1;
    pthread_mutex_unlock(&hub->mu);
    if (!running)
        return;
    if (write(hub->wake_fd, &one, sizeof(one)) < 0) {
        /* only at counter overflow: the thread is awake anyway */
    }
    pthread_join(hub->thread, NULL);
    pthread_mutex_lock(&hub->mu);
    hub->running = 0;
    pthread_mutex_unlock(&hub->mu);
}

void issu_hub_free(struct issu_hub *hub)
{
    int i;

    if (!hub)
        return;
    issu_hub_stop(hub);
    for (i = 0; i < 2; i++) {
        issu_endpoint_free(hub->pair.ep[i]);
        hub->pair.ep[i] = NULL;
        issu_image_free(hub->img[i]);
        free(hub->files[i].path);
        free(hub->files[i].data);
    }
    issu_tcp_free(hub->tcp); /* after the endpoint that sends through it */
    free(hub->pfd);
    issu_mem_pair_clear(&hub->pair);
    issu_snapshot_unref(hub->shown);
    ly_ctx_destroy(hub->ctx);
    if (hub->wake_fd >= 0)
        close(hub->wake_fd);
    pthread_cond_destroy(&hub->cv);
    pthread_mutex_destroy(&hub->mu);
    free(hub);
}

/* ---- peer mode ---- */

int issu_hub_new_peer(const struct issu_hub_peer_conf *conf, struct issu_hub **out)
{
    struct issu_hub *hub;
    struct issu_endpoint_conf ec;
    struct issu_tcp_conf tc;
    uint8_t *psk = NULL;
    size_t psk_len = 0;
    char err[1024];
    int rc;

    *out = NULL;
    if (!conf || !conf->manifest || !conf->unique_id || !conf->psk_file || !conf->listen == !conf->connect ||
        (conf->side != ISSU_SIDE_ACTIVE && conf->side != ISSU_SIDE_STANDBY))
        return ISSU_ERR_INVAL;
    hub = calloc(1, sizeof(*hub));
    if (!hub)
        return ISSU_ERR_NOMEM;
    hub->conf.log = conf->log;
    hub->conf.log_arg = conf->log_arg;
    /* issu_hub_check negotiates candidates against this image with these ids */
    hub->conf.active_uid = conf->unique_id;
    hub->conf.standby_uid = conf->unique_id == UINT32_MAX ? conf->unique_id - 1 : conf->unique_id + 1;
    hub->side = conf->side;
    hub->wake_fd = -1;
    pthread_mutex_init(&hub->mu, NULL);
    pthread_cond_init(&hub->cv, NULL);
    hub->files[0].path = strdup(conf->manifest);
    ISSU_CHECK_MEM(hub->files[0].path, rc);
    hub->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (hub->wake_fd < 0)
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    rc = issu_psk_load(conf->psk_file, &psk, &psk_len, err, sizeof(err));
    if (rc != ISSU_OK) {
        hlog(hub, LOG_ERR, "pre-shared key refused: %s", err);
        if (conf->refused)
            *conf->refused = 1;
        goto cleanup;
    }
    rc = issu_ly_ctx_new(&hub->ctx);
    if (rc != ISSU_OK) {
        hlog(hub, LOG_ERR, "cannot load YANG module %s (set ISSU_YANG_DIR?)", ISSU_MANIFEST_MODULE);
        goto cleanup;
    }
    rc = load_one(hub, 0, 1, &hub->img[0], err, sizeof(err));
    if (rc != ISSU_OK) {
        hlog(hub, LOG_ERR, "%s", err);
        if (conf->refused)
            *conf->refused = 1;
        goto cleanup;
    }
    memset(&tc, 0, sizeof(tc));
    tc.listen = conf->listen;
    tc.connect = conf->connect;
    tc.psk = psk;
    tc.psk_len = psk_len;
    tc.pending_max = conf->pending_max;
    tc.auth_ms = conf->auth_ms;
    tc.log = ep_log;
    tc.log_arg = hub;
    ISSU_CHECK_GOTO(issu_tcp_new(&tc, &hub->tcp), rc);
    hub->pfd = calloc(1 + (size_t)issu_tcp_nfds(hub->tcp), sizeof(*hub->pfd));
    ISSU_CHECK_MEM(hub->pfd, rc);
    memset(&ec, 0, sizeof(ec));
    ec.unique_id = conf->unique_id;
    ec.side = conf->side;
    ec.image = hub->img[0];
    ec.transport = issu_tcp_transport(hub->tcp);
    ec.on_change = on_change_active;
    ec.log = ep_log;
    ec.arg = hub;
    ISSU_CHECK_GOTO(issu_endpoint_new(&ec, &hub->pair.ep[0]), rc);
    issu_tcp_attach(hub->tcp, hub->pair.ep[0]);
    *out = hub;
    hub = NULL;
cleanup:
    issu_psk_free(psk, psk_len);
    issu_hub_free(hub);
    return rc;
}

int issu_hub_peer_port(struct issu_hub *hub)
{
    return hub->tcp ? issu_tcp_port(hub->tcp) : 0;
}
