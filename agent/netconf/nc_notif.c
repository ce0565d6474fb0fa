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
 * warms the state cache for the next <get>. No replay: startTime is refused.
 */
#include "nc_internal.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "issu_err.h"
#include "report.h"

struct nc_server_reply *issu_nc_rpc_subscribe(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    struct issu_nc_link *link;
    struct lyd_node *n = NULL;

    lyd_find_path(rpc, "stream", 0, &n);
    if (n && strcmp(lyd_get_value(n), "NETCONF"))
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/notifications:create-subscription/stream",
                         "unknown stream \"%s\": only NETCONF", lyd_get_value(n));
    n = NULL;
    lyd_find_path(rpc, "startTime", 0, &n);
    if (n)
        return issu_nc_err_reply(nc, NC_ERR_OP_NOT_SUPPORTED, "/notifications:create-subscription/startTime",
                         "replay is not supported");
    if (nc_session_get_notif_status(session))
        return issu_nc_err_reply(nc, NC_ERR_IN_USE, NULL, "this session already has a subscription");
    nc_session_inc_notif_status(session);
    link = nc_session_get_data(session);
    if (link) /* its relay names it a subscriber if it stalls */
        __atomic_store_n(&link->subscribed, 1, __ATOMIC_RELEASE);
    issu_nc_log(nc, LOG_INFO, "session %u subscribed to notifications", nc_session_get_id(session));
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

static void send_all(struct issu_nc *nc, struct lyd_node *ev)
{
    struct nc_server_notif *notif;
    struct timespec now;
    char dt[40];
    struct issu_nc_sess *it;

    clock_gettime(CLOCK_REALTIME, &now);
    issu_nc_datetime(&now, dt, sizeof(dt));
    notif = nc_server_notif_new(ev, dt, NC_PARAMTYPE_DUP_AND_FREE);
    if (!notif) {
        lyd_free_tree(ev);
        return;
    }
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it; it = it->next) {
        if (nc_session_get_status(it->s) != NC_STATUS_RUNNING || !nc_session_get_notif_status(it->s))
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

/* One event as its notification; NULL when it cannot be built. */
static struct lyd_node *render(struct issu_nc *nc, const struct issu_events *e, const struct issu_event *ev)
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
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "verdict-reason", e->cur->verdict_reason), rc);
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
    uint32_t i;

    for (i = 0; i < e->n && any_subscriber(nc); i++) {
        struct lyd_node *n = render(nc, e, &e->ev[i]);
        if (n)
            send_all(nc, n);
    }
}

/* Once the changes are drained and someone is connected, build and print
 * the state of the newest snapshot here, so the next <get> does not wait
 * for it (~1 s for 10,000 sessions). Nobody connected: left to the first
 * <get>. A <get> arriving meanwhile waits for this build (build_mu). */
static void warm_cache(struct issu_nc *nc)
{
    struct issu_snapshot *s;
    struct issu_nc_state *x = NULL;
    int idle;

    pthread_mutex_lock(&nc->mu);
    idle = !nc->changes && nc->sessions && !nc->stop;
    pthread_mutex_unlock(&nc->mu);
    if (!idle)
        return;
    s = issu_hub_snapshot(nc->conf.hub);
    if (issu_nc_state_get(nc, s, &x) == ISSU_OK)
        issu_nc_state_put(nc, x);
    issu_snapshot_unref(s);
}

void *issu_nc_notif_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct issu_nc_change *c;

    issu_nc_lnc2_arm_thread(0);
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
        notify_all(nc, c->ev);
        issu_events_unref(c->ev);
        free(c);
        warm_cache(nc);
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
