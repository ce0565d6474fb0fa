/*
 * nc_notif.c - RFC 5277 notifications: <create-subscription> and the
 * notify thread that turns hub changes into issu-agent notifications.
 *
 * The hub listener runs on the core thread and only queues a snapshot
 * reference. The notify thread compares each round's snapshot with the
 * last one it compared against and sends session-result-changed (only
 * between two negotiated states: the peer's loss or return is one verdict
 * change, not an event per session) and verdict-changed to every
 * subscribed session, each send bounded (ISSU_NC_NOTIF_SEND_TIMEOUT_MS for
 * the session's lock; the relay's stall guard for the write). Once the queue is drained it warms the state
 * cache for the next <get>. No replay: startTime is refused.
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

void issu_nc_notif_on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct issu_nc *nc = arg;
    struct issu_nc_change *c;

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
    struct issu_nc_sess *it;

    clock_gettime(CLOCK_REALTIME, &now);
    issu_nc_datetime(&now, dt, sizeof(dt));
    notif = nc_server_notif_new(ev, dt, NC_PARAMTYPE_DUP_AND_FREE);
    lyd_free_tree(ev);
    if (!notif)
        return;
    pthread_mutex_lock(&nc->mu);
    for (it = nc->sessions; it; it = it->next) {
        if (nc_session_get_status(it->s) != NC_STATUS_RUNNING || !nc_session_get_notif_status(it->s))
            continue;
        /* into the session's socketpair: a subscriber that reads nothing is
         * dropped by its relay (nc_front.c), which makes this write fail */
        if (nc_server_notif_send(it->s, notif, ISSU_NC_NOTIF_SEND_TIMEOUT_MS) != NC_MSG_NOTIF)
            issu_nc_log(nc, LOG_WARNING, "session %u: notification not delivered", nc_session_get_id(it->s));
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
        if (issu_nc_term_u(ev, nc->mod, "session-id", ss->sid) || issu_nc_term_u(ev, nc->mod, "client-id", ss->client_id) ||
            issu_nc_term_u(ev, nc->mod, "entity-id", ss->entity_id) || issu_nc_term(ev, nc->mod, "session-name", ss->name) ||
            issu_nc_term(ev, nc->mod, "old-result", issu_report_result(prev)) ||
            issu_nc_term(ev, nc->mod, "result", issu_report_result(ss->result)) ||
            issu_nc_term(ev, nc->mod, "raw-result", issu_report_result(ss->raw_result)) ||
            issu_nc_term(ev, nc->mod, "reason", ss->reason)) {
            lyd_free_tree(ev);
            continue;
        }
        send_all(nc, ev);
    }
    if (old->verdict != cur->verdict) {
        ev = NULL;
        if (lyd_new_inner(NULL, nc->mod, "verdict-changed", 0, &ev) != LY_SUCCESS)
            return;
        if (issu_nc_term(ev, nc->mod, "old-verdict", issu_report_verdict(old->verdict)) ||
            issu_nc_term(ev, nc->mod, "verdict", issu_report_verdict(cur->verdict)) ||
            issu_nc_term(ev, nc->mod, "verdict-reason", cur->verdict_reason)) {
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
    struct issu_snapshot *last = NULL;
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


void issu_nc_notif_drain(struct issu_nc *nc)
{
    struct issu_nc_change *c;

    while ((c = nc->changes)) {
        nc->changes = c->next;
        issu_snapshot_unref(c->cur);
        free(c);
    }
    nc->changes_tail = NULL;
}
