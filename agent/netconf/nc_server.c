/*
 * nc_server.c - the NETCONF face's lifecycle and threads (nc_face.h).
 *
 * Threads: the front (nc_front.c: accept, one relay per connection, which
 * hands a session whose hello is done to issu_nc_sess_serve),
 * ISSU_NC_WORKERS workers (nc_ps_poll: each handles one RPC at a time, so a
 * slow client stalls one worker at most), notify (nc_notif.c). The hub
 * listener only queues snapshot references. This file also owns the
 * libyang context the face serves, the list of sessions libnetconf2 serves
 * and the rate-limited log; the rooms it starts are listed in nc_internal.h.
 */
#include "nc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libnetconf2/log.h>

#include "datadir.h"
#include "issu_err.h"
#include "report.h"

#ifndef ISSU_YUMA_DIR
#define ISSU_YUMA_DIR "/usr/share/yuma/modules"
#endif

struct issu_nc *issu_nc_the;

void issu_nc_log(struct issu_nc *nc, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(nc->conf.log, nc->conf.log_arg, level, fmt, ap);
    va_end(ap);
}

/* libnetconf2's log, to ours. Its sessions run over issud's socketpairs:
 * a broken or closed one means the relay ended it and logged why. */
static void nc_print(const struct nc_session *s, NC_VERB_LEVEL lvl, const char *msg)
{
    int level = lvl == NC_VERB_ERROR ? LOG_ERR : lvl == NC_VERB_WARNING ? LOG_WARNING : LOG_DEBUG;

    if (!strcmp(msg, "socket error (Broken pipe).") || !strcmp(msg, "communication socket unexpectedly closed."))
        level = LOG_DEBUG;

    if (issu_nc_the)
        issu_nc_log(issu_nc_the, level, "netconf%s%u: %s", s ? " session " : "", s ? nc_session_get_id(s) : 0u, msg);
}

int64_t issu_nc_now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void issu_nc_ratelog(struct issu_nc *nc, enum issu_nc_rl reason, int level, const char *fmt, ...)
{
    struct issu_nc_rlstate *r = &nc->rl[reason];
    int64_t now = issu_nc_now_ms();
    unsigned held = 0;
    char msg[1024] = "";
    va_list ap;

    pthread_mutex_lock(&nc->rl_mu);
    if (r->last_ms && now - r->last_ms < 1000) {
        r->suppressed++;
        pthread_mutex_unlock(&nc->rl_mu);
        return;
    }
    held = r->suppressed;
    r->suppressed = 0;
    r->last_ms = now;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->level = level;
    memcpy(r->what, msg, sizeof(r->what) - 1); /* its start names it */
    r->what[sizeof(r->what) - 1] = '\0';
    pthread_mutex_unlock(&nc->rl_mu);
    if (held)
        issu_nc_log(nc, level, "%s (and %u more like it in the last second)", msg, held);
    else
        issu_nc_log(nc, level, "%s", msg);
}

void issu_nc_ratelog_flush(struct issu_nc *nc)
{
    int64_t now = issu_nc_now_ms();
    char what[sizeof(nc->rl[0].what)];
    unsigned held;
    int i, level;

    for (i = 0; i < ISSU_NC_RL_N; i++) {
        pthread_mutex_lock(&nc->rl_mu);
        held = nc->rl[i].suppressed && now - nc->rl[i].last_ms >= 1000 ? nc->rl[i].suppressed : 0;
        if (held) {
            nc->rl[i].suppressed = 0;
            nc->rl[i].last_ms = 0; /* the next one prints at once */
            memcpy(what, nc->rl[i].what, sizeof(what));
            level = nc->rl[i].level;
        }
        pthread_mutex_unlock(&nc->rl_mu);
        if (held)
            issu_nc_log(nc, level, "%u more like \"%s\" not logged", held, what);
    }
}

/* ------------------------------------------------------------ sessions */

static void sess_unlist(struct issu_nc *nc, struct issu_nc_sess *it)
{
    struct issu_nc_sess **pp;

    pthread_mutex_lock(&nc->mu);
    for (pp = &nc->sessions; *pp && *pp != it; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = it->next;
    pthread_mutex_unlock(&nc->mu);
}

/* Listed first: a worker may end the session as soon as it is polled. On
 * failure nothing is taken: the caller still owns @p s and @p fd. */
int issu_nc_sess_serve(struct issu_nc *nc, struct nc_session *s, int fd, enum issu_nc_ti ti, const char *host)
{
    struct issu_nc_sess *it = calloc(1, sizeof(*it));
    int rc = ISSU_OK, r;

    ISSU_CHECK_MEM(it, rc);
    it->s = s;
    it->fd = fd;
    it->ti = ti;
    snprintf(it->host, sizeof(it->host), "%s", host ? host : "");
    pthread_mutex_lock(&nc->mu);
    it->next = nc->sessions;
    nc->sessions = it;
    pthread_mutex_unlock(&nc->mu);
    /* one adder at a time: with the workers that fills libnetconf2's queue
     * of 6 (nc_libnetconf2.c, entry 5); a 7th thread would be refused */
    pthread_mutex_lock(&nc->ps_add_mu);
    r = nc_ps_add_session(nc->ps, s);
    pthread_mutex_unlock(&nc->ps_add_mu);
    if (r) {
        sess_unlist(nc, it);
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    }
    return ISSU_OK;
cleanup:
    free(it);
    return rc;
}

void issu_nc_link_put(struct issu_nc_link *l)
{
    if (l && __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(l);
}

/* Out of the list (the notify thread sends under nc->mu), then freed with its fd. */
static void sess_end(struct issu_nc *nc, struct nc_session *s)
{
    struct issu_nc_sess **pp, *it;

    pthread_mutex_lock(&nc->mu);
    for (pp = &nc->sessions; *pp && (*pp)->s != s; pp = &(*pp)->next)
        ;
    it = *pp;
    if (it)
        *pp = it->next;
    pthread_mutex_unlock(&nc->mu);
    issu_nc_link_put(nc_session_get_data(s));
    nc_session_set_data(s, NULL);
    if (nc_ps_del_session(nc->ps, s) == 0)
        nc_session_free(s, NULL);
    if (it) {
        close(it->fd);
        free(it);
    }
}

static void *worker_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct nc_session *s;
    int r;

    issu_nc_lnc2_arm_thread(1);
    while (!nc->stop) {
        s = NULL;
        r = nc_ps_poll(nc->ps, ISSU_NC_POLL_MS, &s);
        issu_nc_get_release(nc); /* any reply of this poll has been written */
        if ((r & (NC_PSPOLL_NOSESSIONS | NC_PSPOLL_TIMEOUT | NC_PSPOLL_ERROR)) && !(r & NC_PSPOLL_SESSION_TERM)) {
            if (r & NC_PSPOLL_NOSESSIONS)
                usleep(50000);
            continue;
        }
        if (s && (r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR))) {
            issu_nc_log(nc, LOG_INFO, "session %u ended", nc_session_get_id(s));
            sess_end(nc, s);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ start/stop */

int issu_nc_ctx_load(struct issu_nc *nc)
{
    static const char *xpath_feat[] = {"xpath", NULL};
    char dir[ISSU_DATA_PATH_MAX];
    const char *m;

    if (ly_ctx_new(NULL, LY_CTX_DISABLE_SEARCHDIR_CWD, &nc->ctx) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    /* one directory of ours: libyang would prefer another tree's copy */
    ly_ctx_set_searchdir(nc->ctx, issu_data_dir(ISSU_DATA_YANG, dir, sizeof(dir)));
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
        !(nc->mod = ly_ctx_load_module(nc->ctx, ISSU_NC_STATE_MOD, NULL, NULL)) ||
        issu_nc_nacm_load_module(nc) != ISSU_OK) {
        m = ly_errmsg(nc->ctx);
        issu_nc_log(nc, LOG_ERR, "cannot load the NETCONF YANG modules: %s", m ? m : "not found");
        return ISSU_ERR_NOTFOUND;
    }
    /* which tree served the modules: build, installed or unpacked package */
    issu_nc_log(nc, LOG_INFO, "YANG module %s from %s", ISSU_NC_STATE_MOD,
                nc->mod->filepath ? nc->mod->filepath : "(built in)");
    return ISSU_OK;
}

int issu_nc_start(const struct issu_nc_conf *conf, struct issu_nc **out)
{
    struct issu_nc *nc;
    int rc, i;

    *out = NULL;
    if (issu_nc_the || !conf || !conf->hub || (!conf->unix_path && !conf->ssh_listen))
        return ISSU_ERR_INVAL;
    nc = calloc(1, sizeof(*nc));
    if (!nc)
        return ISSU_ERR_NOMEM;
    nc->conf = *conf;
    pthread_mutex_init(&nc->mu, NULL);
    pthread_mutex_init(&nc->cache_mu, NULL);
    pthread_mutex_init(&nc->tree_mu, NULL);
    pthread_mutex_init(&nc->tree_build_mu, NULL);
    pthread_cond_init(&nc->tree_cv, NULL);
    pthread_mutex_init(&nc->build_mu, NULL);
    pthread_mutex_init(&nc->rl_mu, NULL);
    pthread_mutex_init(&nc->ps_add_mu, NULL);
    pthread_mutex_init(&nc->nacm_mu, NULL);
    pthread_cond_init(&nc->cv, NULL);
    pthread_cond_init(&nc->cache_cv, NULL);
    pthread_cond_init(&nc->conns_cv, NULL);
    nc->unix_fd = nc->ssh_fd = -1;
    if (!nc->conf.max_sessions)
        nc->conf.max_sessions = ISSU_NC_DEF_MAX_SESSIONS;
    if (!nc->conf.max_message)
        nc->conf.max_message = ISSU_NC_DEF_MAX_MESSAGE;
    if (!nc->conf.hello_timeout)
        nc->conf.hello_timeout = ISSU_NC_DEF_HELLO_TIMEOUT;
    if (!nc->conf.auth_timeout)
        nc->conf.auth_timeout = ISSU_NC_DEF_AUTH_TIMEOUT;
    if (!nc->conf.xpath_max_cost)
        nc->conf.xpath_max_cost = ISSU_NC_XPATH_DEF_MAX_COST;
    if (!nc->conf.tree_keep)
        nc->conf.tree_keep = ISSU_NC_DEF_TREE_KEEP;
    if (!nc->conf.message_timeout)
        nc->conf.message_timeout = ISSU_NC_DEF_MESSAGE_TIMEOUT;
    issu_nc_the = nc;
    nc_set_print_clb_session(nc_print);
    nc_verbosity(conf->verbose ? NC_VERB_VERBOSE : NC_VERB_WARNING);
    ly_set_log_clb(issu_nc_lnc2_ly_log, 1); /* after libnetconf2's own */
    issu_nc_lnc2_init(nc); /* a miss only widens the scope: logged, not fatal */

    ISSU_CHECK_GOTO(issu_nc_ctx_load(nc), rc);
    if (nc_server_init(nc->ctx)) {
        issu_nc_log(nc, LOG_ERR, "nc_server_init failed");
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    ISSU_CHECK_GOTO(issu_nc_rpc_register(nc), rc);
    ISSU_CHECK_GOTO(issu_nc_nacm_init(nc), rc);
    nc_server_set_capab_withdefaults(NC_WD_EXPLICIT, NC_WD_EXPLICIT);
    /* RFC 5277; RPCs keep working on a subscribed session */
    nc_server_set_capability("urn:ietf:params:netconf:capability:notification:1.0");
    nc_server_set_capability("urn:ietf:params:netconf:capability:interleave:1.0");
    if (conf->history) /* startTime replays the stored events (nc_notif.c) */
        nc_server_set_capability("urn:ietf:params:netconf:capability:replay:1.0");
    ISSU_CHECK_GOTO(issu_nc_yanglib_build(nc), rc);

    ISSU_CHECK_GOTO(issu_hub_listen(conf->hub, issu_nc_notif_on_change, nc), rc);
    nc->ps = nc_ps_new();
    ISSU_CHECK_MEM(nc->ps, rc);
    if (pthread_create(&nc->notif_thr, NULL, issu_nc_notif_main, nc))
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    nc->notif_started = 1;
    for (i = 0; i < ISSU_NC_WORKERS; i++) {
        if (pthread_create(&nc->workers[i], NULL, worker_main, nc))
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        nc->n_workers++;
    }
    ISSU_CHECK_GOTO(issu_nc_front_start(nc), rc);
    *out = nc;
    return ISSU_OK;
cleanup:
    issu_nc_stop(nc);
    return rc;
}

int issu_nc_reload(struct issu_nc *nc)
{
    return nc ? issu_nc_nacm_reload(nc) : ISSU_OK;
}

void issu_nc_stop(struct issu_nc *nc)
{
    int k;

    if (!nc)
        return;
    pthread_mutex_lock(&nc->mu);
    nc->stop = 1;
    pthread_cond_broadcast(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
    issu_nc_front_stop(nc); /* every relay ended: sessions see their socketpair close */
    for (k = 0; k < nc->n_workers; k++)
        pthread_join(nc->workers[k], NULL);
    if (nc->notif_started)
        pthread_join(nc->notif_thr, NULL);
    /* every worker has stopped: nothing else holds it; before the context goes */
    issu_nc_state_put(nc, nc->cache);
    nc->cache = NULL;
    issu_nc_tree_put(nc, nc->tree);
    nc->tree = NULL;
    for (struct issu_nc_sess *it = nc->sessions; it; it = it->next)
        issu_nc_link_put(nc_session_get_data(it->s));
    if (nc->ps) {
        nc_ps_clear(nc->ps, 1, NULL);
        nc_ps_free(nc->ps);
    }
    while (nc->sessions) { /* freed by nc_ps_clear; their fds are ours */
        struct issu_nc_sess *it = nc->sessions;
        nc->sessions = it->next;
        close(it->fd);
        free(it);
    }
    issu_nc_notif_drain(nc);
    nc_server_destroy();
    issu_nc_ssh_free(nc);
    lyd_free_all(nc->yanglib);
    issu_nc_nacm_free(nc); /* before the context: it holds the rules' tree */
    ly_ctx_destroy(nc->ctx);
    pthread_cond_destroy(&nc->cv);
    pthread_cond_destroy(&nc->cache_cv);
    pthread_cond_destroy(&nc->tree_cv);
    pthread_mutex_destroy(&nc->tree_build_mu);
    pthread_mutex_destroy(&nc->tree_mu);
    pthread_cond_destroy(&nc->conns_cv);
    pthread_mutex_destroy(&nc->rl_mu);
    pthread_mutex_destroy(&nc->ps_add_mu);
    pthread_mutex_destroy(&nc->nacm_mu);
    pthread_mutex_destroy(&nc->build_mu);
    pthread_mutex_destroy(&nc->cache_mu);
    pthread_mutex_destroy(&nc->mu);
    issu_nc_the = NULL;
    free(nc);
}
