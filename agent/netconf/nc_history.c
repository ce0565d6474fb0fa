/*
 * nc_history.c - the negotiation history over NETCONF: RPC get-history
 * (rounds and events of a time range, the counters that survive restarts)
 * and RFC 5277's netconf/streams (replay support, the replay log's start).
 * Replay itself runs on the notify thread (nc_notif.c); it turns stored
 * events back into the struct issu_event the live notifications render.
 */
#include "nc_internal.h"

#include <stdlib.h>
#include <string.h>

#include "htime.h"
#include "issu_err.h"
#include "report.h"

#define OUT 1 /* LYD_NEW_VAL_OUTPUT: nodes of the RPC's output */

static int term(struct lyd_node *p, const struct lys_module *m, const char *name, const char *v)
{
    if (!v)
        return ISSU_OK;
    return lyd_new_term(p, m, name, v, OUT, NULL) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

static int term_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint64_t v)
{
    char b[24];

    snprintf(b, sizeof(b), "%llu", (unsigned long long)v);
    return term(p, m, name, b);
}

/* Microseconds, UTC: the same text as the notifications' eventTime. */
static void ns_datetime(int64_t ns, char *buf, size_t len)
{
    char dt[ISSU_HTIME_LEN];

    issu_htime_format(ns, dt);
    snprintf(buf, len, "%s", dt);
}

static int term_time(struct lyd_node *p, const struct lys_module *m, const char *name, int64_t ns)
{
    char dt[48];

    ns_datetime(ns, dt, sizeof(dt));
    return term(p, m, name, dt);
}

static const char *kind_name(int k)
{
    return k == ISSU_EV_PEER_LOST ? "peer-lost" : k == ISSU_EV_PEER_BACK ? "peer-back"
           : k == ISSU_EV_SESSION ? "session" : "verdict";
}

void issu_nc_hist_event(const struct issu_hist_event *e, struct issu_event *o)
{
    memset(o, 0, sizeof(*o));
    o->kind = e->kind;
    o->old_raw = e->old_raw;
    o->raw = e->raw;
    o->old_result = e->old_result;
    o->result = e->result;
    o->old_effective = e->old_effective;
    o->effective = e->effective;
    o->gone = e->gone;
    o->has_policy = e->has_policy;
    o->old_verdict = e->old_verdict;
    o->verdict = e->verdict;
    o->old_peer_state = e->old_peer_state;
    o->peer_state = e->peer_state;
    o->sid = e->sid;
    o->peer_sid = e->peer_sid;
    o->client_id = e->client_id;
    o->entity_id = e->entity_id;
    o->session_name = e->session_name;
    o->peer_unique_id = e->peer_unique_id;
    o->peer_image_name = e->peer_image_name;
    o->peer_image_version = e->peer_image_version;
    o->n_chain = e->n_chain;
    o->chain = e->chain;
    o->reason = e->reason && e->reason[0] ? e->reason : "(no reason stored)";
}

static int add_round(struct lyd_node *out, const struct lys_module *m, const struct issu_hist_round *r)
{
    struct lyd_node *n = NULL;
    char id[24];

    snprintf(id, sizeof(id), "%lld", (long long)r->id);
    if (lyd_new_list(out, m, "round", OUT, &n, id) != LY_SUCCESS)
        return ISSU_ERR_INVAL;
    ISSU_CHECK(term_time(n, m, "time", r->time_ns));
    ISSU_CHECK(term(n, m, "trigger", issu_trigger_name(r->trigger)));
    ISSU_CHECK(term(n, m, "verdict", issu_report_verdict(r->verdict)));
    ISSU_CHECK(term(n, m, "verdict-reason", r->verdict_reason));
    ISSU_CHECK(term(n, m, "peer-state", issu_peer_state_name(r->peer_state)));
    ISSU_CHECK(term(n, m, "image-name", r->image_name));
    ISSU_CHECK(term(n, m, "image-version", r->image_version));
    ISSU_CHECK(term_u(n, m, "peer-unique-id", r->peer_unique_id));
    ISSU_CHECK(term(n, m, "peer-image-name", r->peer_image_name));
    ISSU_CHECK(term(n, m, "peer-image-version", r->peer_image_version));
    ISSU_CHECK(term_u(n, m, "sessions", r->sessions));
    ISSU_CHECK(term_u(n, m, "sessions-compatible", r->compatible));
    ISSU_CHECK(term_u(n, m, "sessions-incompatible", r->incompatible));
    ISSU_CHECK(term_u(n, m, "sessions-unknown", r->unknown));
    ISSU_CHECK(term_u(n, m, "events", r->n_events));
    return term_u(n, m, "negotiations", r->negotiations);
}

static int add_event(struct lyd_node *out, const struct lys_module *m, const struct issu_hist_event *e)
{
    struct lyd_node *n = NULL;
    char id[24];
    uint32_t i;

    snprintf(id, sizeof(id), "%lld", (long long)e->id);
    if (lyd_new_list(out, m, "event", OUT, &n, id) != LY_SUCCESS)
        return ISSU_ERR_INVAL;
    ISSU_CHECK(term_u(n, m, "round", (uint64_t)e->round));
    ISSU_CHECK(term_time(n, m, "time", e->time_ns));
    ISSU_CHECK(term(n, m, "trigger", issu_trigger_name(e->trigger)));
    ISSU_CHECK(term(n, m, "kind", kind_name(e->kind)));
    if (e->kind == ISSU_EV_SESSION) {
        ISSU_CHECK(term_u(n, m, "session-id", e->sid));
        ISSU_CHECK(term_u(n, m, "client-id", e->client_id));
        ISSU_CHECK(term_u(n, m, "entity-id", e->entity_id));
        ISSU_CHECK(term(n, m, "session-name", e->session_name));
        ISSU_CHECK(term_u(n, m, "peer-unique-id", e->peer_unique_id));
        ISSU_CHECK(term(n, m, "old-result", issu_report_result(e->old_result)));
        ISSU_CHECK(term(n, m, "result", issu_report_result(e->result)));
        ISSU_CHECK(term(n, m, "old-raw-result", issu_report_result(e->old_raw)));
        ISSU_CHECK(term(n, m, "raw-result", issu_report_result(e->raw)));
        ISSU_CHECK(term(n, m, "old-effective-result", issu_report_result(e->old_effective)));
        ISSU_CHECK(term(n, m, "effective-result", issu_report_result(e->effective)));
        for (i = 0; i < e->n_chain; i++)
            ISSU_CHECK(term_u(n, m, "chain", e->chain[i]));
    } else if (e->kind == ISSU_EV_VERDICT) {
        ISSU_CHECK(term(n, m, "old-verdict", issu_report_verdict(e->old_verdict)));
        ISSU_CHECK(term(n, m, "verdict-reason", e->verdict_reason));
    } else {
        ISSU_CHECK(term_u(n, m, "peer-unique-id", e->peer_unique_id));
        ISSU_CHECK(term(n, m, "old-peer-state", issu_peer_state_name(e->old_peer_state)));
        ISSU_CHECK(term(n, m, "peer-state", issu_peer_state_name(e->peer_state)));
        ISSU_CHECK(term(n, m, "peer-image-name", e->peer_image_name));
        ISSU_CHECK(term(n, m, "peer-image-version", e->peer_image_version));
    }
    ISSU_CHECK(term(n, m, "verdict", issu_report_verdict(e->verdict)));
    return term(n, m, "reason", e->reason);
}

int issu_nc_input_time(const struct lyd_node *rpc, const char *name, int64_t *ns, int *present)
{
    struct lyd_node *n = NULL;
    const char *v;

    *present = 0;
    *ns = 0;
    if (lyd_find_path(rpc, name, 0, &n) != LY_SUCCESS || !n)
        return ISSU_OK;
    *present = 1;
    v = lyd_get_value(n);
    return issu_htime_parse(v, strlen(v), ns);
}

struct nc_server_reply *issu_nc_rpc_history(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    const struct lys_module *m = nc->mod;
    struct issu_hist_query q;
    struct issu_hist_result *res = NULL;
    struct issu_hist_stats st;
    struct lyd_node *out = NULL, *n = NULL;
    int has_since, has_until, rc;
    uint32_t i;

    (void)session;
    if (!nc->conf.history)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "this issud keeps no history");
    memset(&q, 0, sizeof(q));
    if (issu_nc_input_time(rpc, "since", &q.since_ns, &has_since) != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:get-history/since",
                                 "since: a date-and-time from 1970 to 2262 expected");
    if (issu_nc_input_time(rpc, "until", &q.until_ns, &has_until) != ISSU_OK || (has_until && !q.until_ns))
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:get-history/until",
                                 "until: a date-and-time after 1970 and before 2262 expected");
    if (has_since && has_until && q.until_ns <= q.since_ns)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:get-history/until",
                                 "until must be later than since");
    if (lyd_find_path(rpc, "client-id", 0, &n) == LY_SUCCESS && n)
        q.client_id = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    n = NULL;
    q.limit = 1000;
    if (lyd_find_path(rpc, "limit", 0, &n) == LY_SUCCESS && n)
        q.limit = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    q.newest = !has_since;
    rc = issu_hist_query(nc->conf.history, &q, &res);
    if (rc != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "history not read: %s", issu_strerror(rc));
    issu_hist_stats(nc->conf.history, &st);
    if (lyd_new_inner(NULL, m, "get-history", 0, &out) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    ISSU_CHECK_GOTO(term(out, m, "persistent", st.persistent ? "true" : "false"), rc);
    ISSU_CHECK_GOTO(term_time(out, m, "discontinuity-time", st.since_ns), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "negotiations-total", st.negotiations_total), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "results-changed-total", st.results_changed_total), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "rounds-stored", st.rounds_stored), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "events-stored", st.events_stored), rc);
    if (st.oldest_event_ns)
        ISSU_CHECK_GOTO(term_time(out, m, "oldest-event-time", st.oldest_event_ns), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "rounds-dropped", st.rounds_dropped), rc);
    ISSU_CHECK_GOTO(term_u(out, m, "write-errors", st.write_errors), rc);
    ISSU_CHECK_GOTO(term(out, m, "truncated", res->truncated ? "true" : "false"), rc);
    for (i = 0; i < res->n_rounds; i++)
        ISSU_CHECK_GOTO(add_round(out, m, &res->rounds[i]), rc);
    for (i = 0; i < res->n_events; i++)
        ISSU_CHECK_GOTO(add_event(out, m, &res->events[i]), rc);
    issu_hist_result_free(res);
    return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
cleanup:
    issu_hist_result_free(res);
    lyd_free_tree(out);
    return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the history reply: %s", issu_strerror(rc));
}

int issu_nc_streams_build(struct issu_nc *nc, struct lyd_node **out)
{
    const struct lys_module *m = ly_ctx_get_module_implemented(nc->ctx, "nc-notifications");
    struct lyd_node *top = NULL, *streams, *s;
    struct issu_hist_stats st;
    int rc = ISSU_OK;

    *out = NULL;
    if (!m)
        return ISSU_ERR_NOTFOUND;
    if (lyd_new_inner(NULL, m, "netconf", 0, &top) != LY_SUCCESS || lyd_new_inner(top, m, "streams", 0, &streams) ||
        lyd_new_list(streams, m, "stream", 0, &s, "NETCONF") != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    ISSU_CHECK_GOTO(issu_nc_term(s, m, "description", "issu-agent's notifications: peer-state-changed, "
                                 "session-result-changed, verdict-changed"), rc);
    ISSU_CHECK_GOTO(issu_nc_term(s, m, "replaySupport", nc->conf.history ? "true" : "false"), rc);
    if (nc->conf.history) {
        char dt[48];

        /* replay is complete from the oldest event kept (retention prunes the older) */
        issu_hist_stats(nc->conf.history, &st);
        ns_datetime(st.oldest_event_ns ? st.oldest_event_ns : st.since_ns, dt, sizeof(dt));
        ISSU_CHECK_GOTO(issu_nc_term(s, m, "replayLogCreationTime", dt), rc);
    }
    *out = top;
    return ISSU_OK;
cleanup:
    lyd_free_tree(top);
    return rc;
}
