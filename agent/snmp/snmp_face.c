/*
 * snmp_face.c - the AgentX subagent thread of issud.
 *
 * One thread serves SNMP: it connects to the master, serves requests
 * (snmp_mib.c's values) and sends notifications, either through issud's own
 * RFC 2741 subagent (agentx.h, the default) or through net-snmp's agent
 * library (conf->netsnmp_subagent). Everything else reaches it through
 * a self-pipe: the hub's change listener (core thread) writes the events of
 * each change (events.h, computed once below the faces), with a reference,
 * and issu_snmp_stop() writes an empty message. The listener never blocks: when the pipe is full the change
 * is dropped and counted, never waited for.
 *
 * A SET of issuRenegotiate only hands the round to a helper thread (reneg_main),
 * which waits for the hub and never calls net-snmp: the SNMP thread answers
 * the master at once, however long the round takes.
 */
#include "snmp_face.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <syslog.h>
#include <unistd.h>

#include "agentx.h"
#include "hub.h"
#include "issu_err.h"
#include "snmp_mib.h"

#define APP_NAME "issud"

struct issu_snmp {
    pthread_t thread;
    int rfd, wfd;
    struct issu_hub *hub;
    struct issu_hist *history; /* issuHistory; NULL: not served */
    issu_log_cb log;
    void *log_arg;
    char *socket;
    int netsnmp; /* net-snmp's agent library instead of agentx.h */
    struct issu_ax *ax; /* own subagent: the session (SNMP thread) */
    oid root[32];
    size_t root_len;

    pthread_mutex_t mu; /* start handshake; the renegotiation below */
    pthread_cond_t cond;
    int state; /* 0 starting, 1 running, -1 failed */

    pthread_t reneg_thread;
    int reneg_started;
    int reneg_pending;   /* under mu: a round asked for, not taken yet */
    int reneg_quit;      /* under mu */
    uint32_t reneg_client;
    int reneg_status;    /* under mu: enum issu_snmp_reneg */
    int master_up;       /* SNMP thread: connected to the AgentX master (-1 not known yet) */
};

/* A change handed from the core thread; {NULL} asks the thread to stop. */
struct change_msg {
    struct issu_events *ev;
};

/* Where the listener writes. Static: net-snmp allows one face per process and
 * the hub has no unlisten, so the listener must stay safe after a stop. */
static struct {
    pthread_mutex_t mu;
    int wfd;
    struct issu_snmp *face; /* for logging from the SNMP thread only */
    struct issu_hub *listening;
    unsigned long dropped;
    atomic_int pending; /* set after each write: the own subagent's loop drains */
} g_box = {PTHREAD_MUTEX_INITIALIZER, -1, NULL, NULL, 0, 0};

static void flog(struct issu_snmp *f, int level, const char *fmt, ...)
{
    va_list ap;

    if (!f)
        return;
    va_start(ap, fmt);
    issu_vlogf(f->log, f->log_arg, level, fmt, ap);
    va_end(ap);
}

/* Core thread: reference the events and queue them; never block. */
static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur,
                      const struct issu_events *ev)
{
    struct change_msg m;
    int ok = 0;

    (void)arg;
    (void)old;
    (void)cur;
    if (!ev || !ev->n)
        return; /* nothing to tell */
    m.ev = issu_events_ref((struct issu_events *)ev);
    pthread_mutex_lock(&g_box.mu);
    if (g_box.wfd >= 0)
        ok = write(g_box.wfd, &m, sizeof(m)) == (ssize_t)sizeof(m);
    if (!ok)
        g_box.dropped++;
    pthread_mutex_unlock(&g_box.mu);
    if (!ok)
        issu_events_unref(m.ev);
    else
        atomic_store(&g_box.pending, 1);
}

static struct issu_snapshot *ops_snapshot(void *arg)
{
    return issu_hub_snapshot(((struct issu_snmp *)arg)->hub);
}

/* Helper thread: run the rounds SETs asked for, one at a time. */
static void *reneg_main(void *arg)
{
    struct issu_snmp *f = arg;
    sigset_t all;

    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_mutex_lock(&f->mu);
    for (;;) {
        uint32_t client_id;
        int rc;

        while (!f->reneg_pending && !f->reneg_quit)
            pthread_cond_wait(&f->cond, &f->mu);
        if (f->reneg_quit)
            break;
        f->reneg_pending = 0;
        client_id = f->reneg_client;
        pthread_mutex_unlock(&f->mu);
        rc = issu_hub_renegotiate_by(f->hub, ISSU_TRIG_SNMP_SET, client_id, 0, NULL);
        flog(f, rc ? LOG_WARNING : LOG_INFO, "snmp: renegotiate %s%.0u requested by SNMP SET: %s",
             client_id ? "client " : "all clients", client_id, rc ? issu_strerror(rc) : "done");
        pthread_mutex_lock(&f->mu);
        f->reneg_status = rc ? ISSU_SNMP_RENEG_FAILED : ISSU_SNMP_RENEG_DONE;
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* SNMP thread: hand the round to reneg_main and answer at once. */
static int ops_renegotiate(void *arg, uint32_t client_id)
{
    struct issu_snmp *f = arg;
    int rc = ISSU_OK;

    pthread_mutex_lock(&f->mu);
    if (!f->reneg_started) {
        if (pthread_create(&f->reneg_thread, NULL, reneg_main, f) != 0)
            rc = ISSU_ERR_IO;
        else
            f->reneg_started = 1;
    }
    if (rc == ISSU_OK && (f->reneg_pending || f->reneg_status == ISSU_SNMP_RENEG_RUNNING))
        rc = ISSU_ERR_PROTO; /* one at a time: the SET said inconsistentValue already */
    if (rc == ISSU_OK) {
        f->reneg_client = client_id;
        f->reneg_pending = 1;
        f->reneg_status = ISSU_SNMP_RENEG_RUNNING;
        pthread_cond_broadcast(&f->cond);
    }
    pthread_mutex_unlock(&f->mu);
    if (rc == ISSU_ERR_IO)
        flog(f, LOG_ERR, "snmp: cannot start the renegotiation thread");
    return rc;
}

static int ops_renegotiate_status(void *arg)
{
    struct issu_snmp *f = arg;
    int st;

    pthread_mutex_lock(&f->mu);
    st = f->reneg_status;
    pthread_mutex_unlock(&f->mu);
    return st;
}

/* net-snmp's subagent session to the master (agent/subagent.c); NULL while
 * it is not connected. Not in net-snmp's public headers. */
extern netsnmp_session *main_session;

/* Say once when the master cannot be reached (WARN) and when it is (INFO):
 * net-snmp retries in silence (NO_CONNECTION_WARNINGS), and its own first
 * warning would come during init_snmp, whose noise is logged at debug. */
static void watch_master(struct issu_snmp *f)
{
    int up = main_session != NULL;

    if (up == f->master_up)
        return;
    if (up)
        flog(f, LOG_INFO, "snmp: connected to the AgentX master %s",
             f->socket ? f->socket : "(net-snmp default)");
    else
        flog(f, LOG_WARNING, "snmp: AgentX master %s not reachable (snmpd down, or no "
             "'master agentx' / agentXSocket there); retrying every second, quietly",
             f->socket ? f->socket : "(net-snmp default)");
    f->master_up = up;
}

static int g_in_init; /* SNMP thread only */

/* net-snmp's own log lines go to our log callback (never to stderr). */
static int netsnmp_log_cb(int major, int minor, void *server_arg, void *client_arg)
{
    struct snmp_log_message *m = server_arg;
    char buf[512];
    size_t n;

    (void)major;
    (void)minor;
    (void)client_arg;
    if (!m || !m->msg)
        return 0;
    snprintf(buf, sizeof(buf), "snmp: %s", m->msg);
    n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    /* Without MIB files (we need none) init_snmp() complains about every
     * default module; that is noise, not an error, for a subagent. */
    flog(g_box.face, g_in_init && !strstr(buf, "AgentX") ? LOG_DEBUG : m->priority, "%s", buf);
    return 0;
}

static void set_state(struct issu_snmp *f, int state)
{
    pthread_mutex_lock(&f->mu);
    f->state = state;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->mu);
}

static uint32_t ops_uptime(void *arg)
{
    return issu_ax_uptime(((struct issu_snmp *)arg)->ax);
}

/* Notifications of one change; how many were suppressed. */
static unsigned notify(struct issu_snmp *f, const struct issu_events *ev)
{
    return f->netsnmp ? issu_snmp_mib_notify(ev) : issu_ax_notify(f->ax, ev);
}

/* Drain the pipe: send the notifications; 1 when asked to stop. */
static int drain(struct issu_snmp *f)
{
    struct change_msg m;
    unsigned long dropped;
    int stop = 0;
    ssize_t n;

    while ((n = read(f->rfd, &m, sizeof(m))) == (ssize_t)sizeof(m)) {
        if (!m.ev) {
            stop = 1;
            continue;
        }
        if (!stop) {
            unsigned lost = notify(f, m.ev);
            if (lost)
                flog(f, LOG_WARNING, "snmp: %u session notifications suppressed (more than %u "
                     "in one change)", lost, ISSU_SNMP_MAX_SESSION_NOTIFS);
        }
        issu_events_unref(m.ev);
    }
    pthread_mutex_lock(&g_box.mu);
    dropped = g_box.dropped;
    g_box.dropped = 0;
    pthread_mutex_unlock(&g_box.mu);
    if (dropped)
        flog(f, LOG_WARNING, "snmp: %lu changes not notified (notification queue full)", dropped);
    return stop;
}

static int own_tick(void *arg, struct issu_ax *ax)
{
    (void)ax;
    return drain(arg);
}

/* issud's own subagent (agentx.h): net-snmp's library is not used at all. */
static void run_own(struct issu_snmp *f, const struct issu_snmp_hist_ops *hops)
{
    struct issu_snmp_mib_ops ops = {ops_snapshot, ops_renegotiate, f, ops_uptime,
                                    ops_renegotiate_status, hops};
    struct issu_ax_conf c = {f->socket, f->root, f->root_len, f->log, f->log_arg,
                             own_tick, f, &g_box.pending, f->rfd};

    if (issu_snmp_mib_init(f->root, f->root_len, &ops) != ISSU_OK ||
        issu_ax_new(&c, &f->ax) != ISSU_OK) {
        flog(f, LOG_ERR, "snmp: cannot start the AgentX subagent (master address '%s')",
             f->socket ? f->socket : "default");
        issu_snmp_mib_fini();
        set_state(f, -1);
        return;
    }
    flog(f, LOG_INFO, "snmp: AgentX subagent started (master %s, own RFC 2741 subagent)",
         f->socket ? f->socket : "/var/agentx/master");
    set_state(f, 1);
    issu_ax_run(f->ax);
    issu_ax_free(f->ax);
    f->ax = NULL;
    issu_snmp_mib_fini();
    flog(f, LOG_INFO, "snmp: AgentX subagent stopped");
}

static void *run(void *arg)
{
    struct issu_snmp *f = arg;
    static struct issu_snmp_hist_ops hops = {NULL, issu_hist_stats, issu_hist_query, issu_hist_result_free,
                                             issu_hist_base};
    struct issu_snmp_mib_ops ops = {ops_snapshot, ops_renegotiate, f, NULL, ops_renegotiate_status,
                                    f->history ? &hops : NULL};
    sigset_t all;
    int stop = 0;

    hops.h = f->history;
    /* Signals belong to the daemon's main thread; a dead master socket then
     * gives EPIPE here instead of killing the process with SIGPIPE. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    if (!f->netsnmp) {
        run_own(f, ops.hist);
        return NULL;
    }

    netsnmp_register_loghandler(NETSNMP_LOGHANDLER_CALLBACK, LOG_DEBUG);
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, netsnmp_log_cb, NULL);

    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    if (f->socket)
        netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, f->socket);
    /* Ping the master every second: a restarted snmpd gets us back within ~2 s. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
    /* A daemon's library: no config or persistent files, no MIB parsing, no SIGALRM. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
    netsnmp_set_mib_directory("");

    SOCK_STARTUP;
    if (init_agent(APP_NAME) != 0) {
        flog(f, LOG_ERR, "snmp: net-snmp init_agent failed");
        set_state(f, -1);
        return NULL;
    }
    /* init_agent() reset the ping interval to its default of 15 s, and
     * init_snmp() arms the first retry with it when snmpd is not there yet:
     * an issud started before snmpd connected only 15 to 30 s later. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
    /* watch_master() says it once; net-snmp would warn at every attempt */
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
    if (issu_snmp_mib_register(f->root, f->root_len, &ops) != 0) {
        flog(f, LOG_ERR, "snmp: registering ISSU-NEGOTIATION-MIB failed");
        snmp_shutdown(APP_NAME);
        set_state(f, -1);
        return NULL;
    }
    g_in_init = 1;
    init_snmp(APP_NAME);
    g_in_init = 0;
    /* init_agent()/init_snmp() reset the AgentX settings to their config
     * defaults: set the ping interval again so reconnects use it. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, 1);
    flog(f, LOG_INFO, "snmp: AgentX subagent started (master %s)",
         f->socket ? f->socket : "net-snmp default");
    set_state(f, 1);
    watch_master(f);

    while (!stop) {
        struct timeval tv = {1, 0};
        fd_set fds;
        int numfds = 0, block = 0, n;

        FD_ZERO(&fds);
        snmp_select_info(&numfds, &fds, &tv, &block);
        FD_SET(f->rfd, &fds);
        if (f->rfd >= numfds)
            numfds = f->rfd + 1;
        n = select(numfds, &fds, NULL, NULL, &tv); /* tv bounds the wait: alarms too */
        if (n < 0) {
            if (errno == EINTR)
                continue;
            flog(f, LOG_ERR, "snmp: select: %s", strerror(errno));
            break;
        }
        if (n > 0) {
            if (FD_ISSET(f->rfd, &fds)) {
                FD_CLR(f->rfd, &fds);
                stop = drain(f);
            }
            snmp_read(&fds);
        } else {
            snmp_timeout();
        }
        run_alarms();
        netsnmp_check_outstanding_agent_requests();
        watch_master(f);
    }

    issu_snmp_mib_unregister();
    snmp_shutdown(APP_NAME);
    shutdown_agent();
    SOCK_CLEANUP;
    flog(f, LOG_INFO, "snmp: AgentX subagent stopped");
    return NULL;
}

int issu_snmp_start(const struct issu_snmp_conf *conf, struct issu_snmp **out)
{
    static const oid def_root[] = {ISSU_SNMP_ROOT};
    struct issu_snmp *f = NULL;
    int fds[2] = {-1, -1}, rc = ISSU_OK, running = 0;

    *out = NULL;
    if (!conf || !conf->hub || (conf->root && (!conf->root_len || conf->root_len > 32)))
        return ISSU_ERR_INVAL;
    pthread_mutex_lock(&g_box.mu);
    running = g_box.face != NULL;
    pthread_mutex_unlock(&g_box.mu);
    if (running)
        return ISSU_ERR_INVAL;

    f = calloc(1, sizeof(*f));
    ISSU_CHECK_MEM(f, rc);
    f->rfd = f->wfd = -1;
    f->hub = conf->hub;
    f->history = conf->history;
    f->log = conf->log;
    f->log_arg = conf->log_arg;
    f->netsnmp = conf->netsnmp_subagent;
    f->reneg_status = ISSU_SNMP_RENEG_NONE;
    f->master_up = -1;
    if (conf->agentx_socket) {
        f->socket = strdup(conf->agentx_socket);
        ISSU_CHECK_MEM(f->socket, rc);
    }
    if (conf->root) {
        memcpy(f->root, conf->root, conf->root_len * sizeof(oid));
        f->root_len = conf->root_len;
    } else {
        memcpy(f->root, def_root, sizeof(def_root));
        f->root_len = OID_LENGTH(def_root);
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cond, NULL);

    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
        flog(f, LOG_ERR, "snmp: pipe: %s", strerror(errno));
        rc = ISSU_ERR_IO;
        goto cleanup;
    }
    f->rfd = fds[0];
    f->wfd = fds[1];

    pthread_mutex_lock(&g_box.mu);
    g_box.wfd = f->wfd;
    g_box.face = f;
    g_box.dropped = 0;
    pthread_mutex_unlock(&g_box.mu);
    if (g_box.listening != conf->hub) {
        ISSU_CHECK_GOTO(issu_hub_listen(conf->hub, on_change, NULL), rc);
        g_box.listening = conf->hub;
    }

    if (pthread_create(&f->thread, NULL, run, f) != 0) {
        flog(f, LOG_ERR, "snmp: cannot start the thread");
        rc = ISSU_ERR_IO;
        goto cleanup;
    }
    pthread_mutex_lock(&f->mu);
    while (!f->state)
        pthread_cond_wait(&f->cond, &f->mu);
    pthread_mutex_unlock(&f->mu);
    if (f->state < 0) {
        pthread_join(f->thread, NULL);
        rc = ISSU_ERR_IO;
        goto cleanup;
    }
    *out = f;
    return ISSU_OK;

cleanup:
    if (f) {
        pthread_mutex_lock(&g_box.mu);
        if (g_box.face == f) {
            g_box.wfd = -1;
            g_box.face = NULL;
        }
        pthread_mutex_unlock(&g_box.mu);
        if (f->rfd >= 0)
            close(f->rfd);
        if (f->wfd >= 0)
            close(f->wfd);
        pthread_mutex_destroy(&f->mu);
        pthread_cond_destroy(&f->cond);
        free(f->socket);
        free(f);
    }
    return rc;
}

void issu_snmp_stop(struct issu_snmp *f)
{
    struct change_msg m = {NULL};
    ssize_t w;

    if (!f)
        return;
    /* The pipe may be full of changes: keep trying until the stop is queued. */
    for (;;) {
        pthread_mutex_lock(&g_box.mu);
        w = write(f->wfd, &m, sizeof(m));
        pthread_mutex_unlock(&g_box.mu);
        if (w == (ssize_t)sizeof(m) || (w < 0 && errno != EAGAIN && errno != EINTR))
            break;
        atomic_store(&g_box.pending, 1); /* full: let the loop drain it */
        usleep(1000);
    }
    atomic_store(&g_box.pending, 1);
    pthread_join(f->thread, NULL);
    if (f->reneg_started) { /* a round in flight ends first (the hub bounds it) */
        pthread_mutex_lock(&f->mu);
        f->reneg_quit = 1;
        pthread_cond_broadcast(&f->cond);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->reneg_thread, NULL);
    }

    pthread_mutex_lock(&g_box.mu);
    g_box.wfd = -1;
    g_box.face = NULL;
    pthread_mutex_unlock(&g_box.mu);
    /* Changes queued after the stop message: drop their references. */
    while (read(f->rfd, &m, sizeof(m)) == (ssize_t)sizeof(m))
        issu_events_unref(m.ev);
    close(f->rfd);
    close(f->wfd);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cond);
    free(f->socket);
    free(f);
}
