/*
 * nc_notif.c - RFC 5277 notifications: <create-subscription> and the
 * notify thread that turns hub changes into issu-agent notifications.
 *
 * The hub listener runs on the core thread and only queues a reference to
 * the change's events (events.h: computed once below the faces, the same
 * list the SNMP face sends as traps). The notify thread renders each event
 * as one notification, in the list's order (peer-state-changed,
 * session-result-changed, verdict-changed), to every subscribed session,
 * each send bounded (ISSU_NC_NOTIF_SEND_TIMEOUT_MS for the session's lock;
 * the relay's stall guard for the write). Once the queue is drained it
 * warms the state cache for the next <get>.
 *
 * Replay (RFC 5277, with issud's history): a startTime queues a replay job
 * behind the changes already waiting, and marks the session so live
 * notifications skip it meanwhile. The job waits for the history writer
 * (every change queued before it is in the store by then: the history's
 * listener runs before this face's), sends the stored events of
 * [startTime, stopTime) in order with their original eventTime, then
 * replayComplete; live changes of states up to the newest one stored are
 * then skipped for that session, so nothing is told twice or missed. A
 * stopTime ends the subscription with notificationComplete once it passed.
 */
#include "nc_internal.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "htime.h"
#include "issu_err.h"
#include "report.h"

#define REPLAY_PAGE 5000 /* stored events read per query */

struct nc_server_reply *issu_nc_rpc_subscribe(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    struct issu_nc_link *link;
    struct issu_nc_change *c = NULL;
    struct lyd_node *n = NULL;
    int64_t start, stop, now = issu_htime_now();
    int has_start, has_stop;

    lyd_find_path(rpc, "stream", 0, &n);
    if (n && strcmp(lyd_get_value(n), "NETCONF"))
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stream",
                         "unknown stream \"%s\": only NETCONF", lyd_get_value(n));
    if (issu_nc_input_time(rpc, "startTime", &start, &has_start) != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/startTime",
                                 "startTime: a date-and-time from 1970 to 2262 expected");
    if (issu_nc_input_time(rpc, "stopTime", &stop, &has_stop) != ISSU_OK || (has_stop && !stop))
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stopTime",
                                 "stopTime: a date-and-time after 1970 and before 2262 expected");
    if (has_start && !nc->conf.history)
        return issu_nc_err_reply(nc, NC_ERR_OP_NOT_SUPPORTED, "/notifications:create-subscription/startTime",
                         "replay is not supported: this issud keeps no history");
    if (has_stop && !has_start)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stopTime",
                                 "stopTime needs startTime (RFC 5277)");
    if (has_start && start > now)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/startTime",
                                 "startTime is later than now");
    if (has_stop && stop <= start)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stopTime",
                                 "stopTime must be later than startTime");
    if (nc_session_get_notif_status(session))
        return issu_nc_err_reply(nc, NC_ERR_IN_USE, NULL, "this session already has a subscription");
    link = nc_session_get_data(session);
    if (has_start) {
        c = calloc(1, sizeof(*c));
        if (!c || !link) {
            free(c);
            return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "replay not started: out of memory");
        }
        c->replay_sid = nc_session_get_id(session);
        c->start_ns = start;
        c->stop_ns = has_stop ? stop : 0;
    }
    nc_session_inc_notif_status(session);
    if (link) /* its relay names it a subscriber if it stalls */
        __atomic_store_n(&link->subscribed, 1, __ATOMIC_RELEASE);
    if (c) {
        /* behind every change already queued: those are in the store by the time it runs */
        pthread_mutex_lock(&nc->mu);
        link->replay_pending = 1;
        link->stop_ns = c->stop_ns;
        if (nc->changes_tail)
            nc->changes_tail->next = c;
        else
            nc->changes = c;
        nc->changes_tail = c;
        pthread_cond_signal(&nc->cv);
        pthread_mutex_unlock(&nc->mu);
    }
    issu_nc_log(nc, LOG_INFO, "session %u subscribed to notifications%s", nc_session_get_id(session),
                c ? " with replay" : "");
    return nc_server_reply_ok();
}

void issu_nc_notif_on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur,
                             const struct issu_events *ev)
{
    struct issu_nc *nc = arg;
    struct issu_nc_change *c;

    (void)old;
    (void)cur;
    c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->ev = issu_events_ref((struct issu_events *)ev);
    pthread_mutex_lock(&nc->mu);
    if (nc->changes_tail)
        nc->changes_tail->next = c;
    else
        nc->changes = c;
    nc->changes_tail = c;
    pthread_cond_signal(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
}

/* eventTime in microseconds (UTC): a client's next startTime can fall between two changes */
static struct nc_server_notif *notif_new(struct lyd_node *ev, int64_t time_ns)
{
    struct nc_server_notif *notif;
    char dt[ISSU_HTIME_LEN];

    issu_htime_format(time_ns, dt);
    notif = nc_server_notif_new(ev, dt, NC_PARAMTYPE_DUP_AND_FREE);
    return notif;
}

/* Every subscriber but those waiting for a replay that holds this state's
 * events, whose stopTime is before the event, or whom NACM does not let
 * read it. Frees @p ev. */
static void send_all(struct issu_nc *nc, struct lyd_node *ev, int64_t time_ns, uint64_t generation)
{
    struct nc_server_notif *notif = notif_new(ev, time_ns);
    struct issu_nc_sess *it;
    struct issu_nc_link *link;

    if (!notif) {
        lyd_free_tree(ev);
        return;
    }
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it; it = it->next) {
        if (nc_session_get_status(it->s) != NC_STATUS_RUNNING || !nc_session_get_notif_status(it->s))
            continue;
        link = nc_session_get_data(it->s);
        if (link && (link->replay_pending || generation <= link->replay_gen ||
                     (link->stop_ns && time_ns >= link->stop_ns)))
            continue;
        if (!issu_nc_nacm_notif(nc, it->s, ev)) /* not for this user (counted) */
            continue;
        /* into the session's socketpair: a subscriber that reads nothing is
         * dropped by its relay (nc_front.c), which makes this write fail */
        if (nc_server_notif_send(it->s, notif, ISSU_NC_NOTIF_SEND_TIMEOUT_MS) != NC_MSG_NOTIF)
            issu_nc_log(nc, LOG_WARNING, "session %u: notification not delivered", nc_session_get_id(it->s));
    }
    pthread_mutex_unlock(&nc->mu);
    nc_server_notif_free(notif);
    lyd_free_tree(ev);
}

/* One notification to session @p sid (if it still runs); 0 when not
 * delivered. With @p nacm, one NACM does not let the user read is skipped
 * (counted) and still counts as delivered: the replay goes on. RFC 8341
 * 3.4.6 always permits replayComplete and notificationComplete. Frees @p ev. */
static int send_one(struct issu_nc *nc, uint32_t sid, struct lyd_node *ev, int64_t time_ns, int nacm)
{
    struct nc_server_notif *notif = notif_new(ev, time_ns);
    struct issu_nc_sess *it;
    int ok = 0;

    if (!notif) {
        lyd_free_tree(ev);
        return 0;
    }
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && nc_session_get_id(it->s) != sid; it = it->next)
        ;
    if (it && nc_session_get_status(it->s) == NC_STATUS_RUNNING) {
        if (nacm && !issu_nc_nacm_notif(nc, it->s, ev))
            ok = 1;
        else
            ok = nc_server_notif_send(it->s, notif, ISSU_NC_NOTIF_SEND_TIMEOUT_MS) == NC_MSG_NOTIF;
    }
    pthread_mutex_unlock(&nc->mu);
    nc_server_notif_free(notif);
    lyd_free_tree(ev);
    return ok;
}

/* replayComplete or notificationComplete (nc-notifications) to @p sid. */
static int send_mark(struct issu_nc *nc, uint32_t sid, const char *name)
{
    const struct lys_module *m = ly_ctx_get_module_implemented(nc->ctx, "nc-notifications");
    struct lyd_node *n = NULL;

    if (!m || lyd_new_inner(NULL, m, name, 0, &n) != LY_SUCCESS)
        return 0;
    return send_one(nc, sid, n, issu_htime_now(), 0);
}

/* The subscription of @p sid is over: notificationComplete, then no more. */
static void complete(struct issu_nc *nc, uint32_t sid)
{
    struct issu_nc_sess *it;

    send_mark(nc, sid, "notificationComplete");
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && nc_session_get_id(it->s) != sid; it = it->next)
        ;
    if (it) {
        struct issu_nc_link *link = nc_session_get_data(it->s);
        if (link)
            link->stop_ns = 0;
        if (nc_session_get_notif_status(it->s))
            nc_session_dec_notif_status(it->s);
    }
    pthread_mutex_unlock(&nc->mu);
    issu_nc_log(nc, LOG_INFO, "session %u: subscription ended at its stopTime", sid);
}

/* Sessions whose stopTime passed: end their subscriptions. */
static void check_stops(struct issu_nc *nc)
{
    uint32_t sids[64];
    unsigned n = 0, i;
    int64_t now = issu_htime_now();
    struct issu_nc_sess *it;

    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && n < 64; it = it->next) {
        struct issu_nc_link *link = nc_session_get_data(it->s);
        if (link && link->stop_ns && !link->replay_pending && link->stop_ns <= now &&
            nc_session_get_notif_status(it->s))
            sids[n++] = nc_session_get_id(it->s);
    }
    pthread_mutex_unlock(&nc->mu);
    for (i = 0; i < n; i++)
        complete(nc, sids[i]);
}

/* One event as its notification; NULL when it cannot be built. */
struct lyd_node *issu_nc_notif_render(struct issu_nc *nc, const char *verdict_reason, const struct issu_event *ev)
{
    const struct lys_module *m = nc->mod;
    struct lyd_node *n = NULL;
    const char *name;
    int rc = ISSU_OK;
    uint32_t i;

    name = ev->kind == ISSU_EV_SESSION ? "session-result-changed"
           : ev->kind == ISSU_EV_VERDICT ? "verdict-changed" : "peer-state-changed";
    if (lyd_new_inner(NULL, m, name, 0, &n) != LY_SUCCESS)
        return NULL;
    switch (ev->kind) {
    case ISSU_EV_SESSION:
        ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "session-id", ev->sid), rc);
        ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "client-id", ev->client_id), rc);
        ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "entity-id", ev->entity_id), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "session-name", ev->session_name), rc);
        ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "peer-unique-id", ev->peer_unique_id), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "old-result", issu_report_result(ev->old_result)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "result", issu_report_result(ev->result)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "old-raw-result", issu_report_result(ev->old_raw)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "raw-result", issu_report_result(ev->raw)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "old-effective-result", issu_report_result(ev->old_effective)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "effective-result", issu_report_result(ev->effective)), rc);
        for (i = 0; i < ev->n_chain; i++)
            ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "chain", ev->chain[i]), rc);
        break;
    case ISSU_EV_VERDICT:
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "old-verdict", issu_report_verdict(ev->old_verdict)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "verdict-reason", verdict_reason), rc);
        break;
    default:
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "old-peer-state", issu_peer_state_name(ev->old_peer_state)), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "peer-state", issu_peer_state_name(ev->peer_state)), rc);
        ISSU_CHECK_GOTO(issu_nc_term_u(n, m, "peer-unique-id", ev->peer_unique_id), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "peer-image-name", ev->peer_image_name), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "peer-image-version", ev->peer_image_version), rc);
        break;
    }
    ISSU_CHECK_GOTO(issu_nc_term(n, m, "verdict", issu_report_verdict(ev->verdict)), rc);
    ISSU_CHECK_GOTO(issu_nc_term(n, m, "reason", ev->reason), rc);
    return n;

cleanup:
    issu_nc_log(nc, LOG_WARNING, "%s notification not built: %s", name, issu_strerror(rc));
    lyd_free_tree(n);
    return NULL;
}

static int any_subscriber(struct issu_nc *nc)
{
    struct issu_nc_sess *it;
    int any = 0;

    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && !any; it = it->next)
        any = nc_session_get_status(it->s) == NC_STATUS_RUNNING && nc_session_get_notif_status(it->s);
    pthread_mutex_unlock(&nc->mu);
    return any;
}

static void notify_all(struct issu_nc *nc, const struct issu_events *e)
{
    /* the change's own time: a replay of the stored event carries the same */
    int64_t t = (int64_t)e->cur->last_change.tv_sec * 1000000000 + e->cur->last_change.tv_nsec;
    uint32_t i;

    for (i = 0; i < e->n && any_subscriber(nc); i++) {
        struct lyd_node *n = issu_nc_notif_render(nc, e->cur->verdict_reason, &e->ev[i]);
        if (n)
            send_all(nc, n, t, e->cur->generation);
    }
}

/* Replay the stored events of [c->start_ns, c->stop_ns) to session c->replay_sid. */
static void replay(struct issu_nc *nc, const struct issu_nc_change *c)
{
    struct issu_hist_query q;
    struct issu_hist_result *r = NULL;
    struct issu_hist_stats st;
    struct issu_nc_sess *it;
    struct issu_event ev;
    uint64_t sent = 0;
    uint32_t i;
    int alive = 1, more = 1;

    issu_hist_flush(nc->conf.history); /* every change queued before the job is stored now */
    issu_hist_stats(nc->conf.history, &st);
    memset(&q, 0, sizeof(q));
    q.since_ns = c->start_ns;
    q.until_ns = c->stop_ns;
    q.limit = REPLAY_PAGE;
    q.no_rounds = 1;
    while (alive && more) {
        if (issu_hist_query(nc->conf.history, &q, &r) != ISSU_OK) {
            issu_nc_log(nc, LOG_WARNING, "session %u: replay cut short: the history cannot be read", c->replay_sid);
            break;
        }
        for (i = 0; i < r->n_events && alive; i++) {
            struct lyd_node *n;

            issu_nc_hist_event(&r->events[i], &ev);
            n = issu_nc_notif_render(nc, r->events[i].verdict_reason, &ev);
            if (n && !(alive = send_one(nc, c->replay_sid, n, r->events[i].time_ns, 1)))
                break;
            sent++;
        }
        more = r->truncated;
        if (r->n_events)
            q.after_id = r->events[r->n_events - 1].id;
        issu_hist_result_free(r);
        r = NULL;
    }
    if (alive)
        send_mark(nc, c->replay_sid, "replayComplete");
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it && nc_session_get_id(it->s) != c->replay_sid; it = it->next)
        ;
    if (it && nc_session_get_data(it->s)) {
        struct issu_nc_link *link = nc_session_get_data(it->s);
        link->replay_gen = st.last_generation; /* live: only what came after */
        link->replay_pending = 0;
    }
    pthread_mutex_unlock(&nc->mu);
    issu_nc_log(nc, LOG_INFO, "session %u: replayed %llu stored notification%s", c->replay_sid,
                (unsigned long long)sent, sent == 1 ? "" : "s");
    if (alive && c->stop_ns && c->stop_ns <= issu_htime_now())
        complete(nc, c->replay_sid);
}

/* Once the changes are drained and someone is connected, or a <get> asked
 * (want_warm), print the state of the newest snapshot here, so no <get>
 * waits for it (~0.3 s for 100,000 sessions): a <get> arriving meanwhile is
 * served the previous state after at most ISSU_NC_STALE_WAIT_MS
 * (issu_nc_state_read). Nobody connected: left to the first <get>. Then
 * the whole tree, if filters use one (issu_nc_state_tree_tick). */
static void warm_cache(struct issu_nc *nc, int changed)
{
    struct issu_snapshot *s;
    struct issu_nc_state *x = NULL;
    int idle;

    pthread_mutex_lock(&nc->mu);
    idle = !nc->changes && nc->sessions && !nc->stop;
    nc->want_warm = 0;
    pthread_mutex_unlock(&nc->mu);
    if (idle) {
        s = issu_hub_snapshot(nc->conf.hub);
        if (issu_nc_state_get(nc, s, &x) == ISSU_OK)
            issu_nc_state_put(nc, x);
        issu_snapshot_unref(s);
    }
    /* always: it also clears want_tree, which keeps the loop awake */
    issu_nc_state_tree_tick(nc, idle && changed);
}

void *issu_nc_notif_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct issu_nc_change *c;
    struct timespec ts;

    issu_nc_lnc2_arm_thread(0);
    for (;;) {
        pthread_mutex_lock(&nc->mu);
        while (!nc->changes && !nc->stop && !nc->want_warm && !nc->want_tree) {
            /* a stopTime may pass while nothing happens: look once a second */
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            if (pthread_cond_timedwait(&nc->cv, &nc->mu, &ts) != 0)
                break;
        }
        c = nc->changes;
        if (c) {
            nc->changes = c->next;
            if (!nc->changes)
                nc->changes_tail = NULL;
        }
        pthread_mutex_unlock(&nc->mu);
        if (!c) {
            if (nc->stop)
                break; /* stopping and drained */
            if (nc->conf.history)
                check_stops(nc);
            if (nc->want_warm || nc->want_tree)
                warm_cache(nc, 0);
            else
                issu_nc_state_tree_tick(nc, 0); /* drops a tree nobody uses */
            continue;
        }
        if (c->ev)
            notify_all(nc, c->ev);
        else
            replay(nc, c);
        issu_events_unref(c->ev);
        free(c);
        if (nc->conf.history)
            check_stops(nc);
        warm_cache(nc, 1);
    }
    return NULL;
}


void issu_nc_notif_drain(struct issu_nc *nc)
{
    struct issu_nc_change *c;

    while ((c = nc->changes)) {
        nc->changes = c->next;
        issu_events_unref(c->ev);
        free(c);
    }
    nc->changes_tail = NULL;
}
