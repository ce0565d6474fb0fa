/*
 * nc_rpc.c - the RPCs other than <get> (nc_get.c) and
 * <create-subscription> (nc_notif.c), the rpc-error replies every room
 * sends, and the table that hands each RPC to its callback.
 *
 * issu-agent's own: <renegotiate> (through the hub, answered when the round
 * completed) and <check-upgrade> (a candidate image negotiated in a private
 * pair: live sessions are not touched). From the IETF: <get-schema>,
 * <kill-session>; <close-session> is libnetconf2's. Anything else gets
 * operation-not-supported.
 */
#include "nc_internal.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "codec.h"
#include "issu_err.h"
#include "manifest.h"
#include "report.h"

/* An rpc-error; @p app_tag, when given, is an error-app-tag a client can act on. */
static struct nc_server_reply *err_reply(struct issu_nc *nc, NC_ERR tag, const char *app_tag, const char *path,
                                         const char *msg)
{
    struct lyd_node *e;

    if (tag == NC_ERR_OP_NOT_SUPPORTED || tag == NC_ERR_OP_FAILED || tag == NC_ERR_INVALID_VALUE)
        e = nc_err(nc->ctx, tag, NC_ERR_TYPE_APP);
    else
        e = nc_err(nc->ctx, NC_ERR_OP_FAILED, NC_ERR_TYPE_APP);
    if (!e)
        return NULL;
    nc_err_set_msg(e, msg, "en");
    if (app_tag)
        nc_err_set_app_tag(e, app_tag);
    if (path)
        nc_err_set_path(e, path);
    return nc_server_reply_err(e);
}

struct nc_server_reply *issu_nc_err_reply(struct issu_nc *nc, NC_ERR tag, const char *path, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return err_reply(nc, tag, NULL, path, msg);
}

static struct nc_server_reply *rpc_kill_session(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    struct lyd_node *n = NULL;
    struct issu_nc_sess *it;
    uint32_t sid;

    lyd_find_path(rpc, "session-id", 0, &n);
    if (!n)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id", "session-id missing");
    sid = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
    if (sid == nc_session_get_id(session))
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id",
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
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:kill-session/session-id", "no session %u", sid);
    issu_nc_log(nc, LOG_INFO, "session %u killed by session %u", sid, nc_session_get_id(session));
    return nc_server_reply_ok();
}

static struct nc_server_reply *report_reply(struct issu_nc *nc, const char *op, const struct issu_snapshot *s)
{
    struct lyd_node *r = NULL;

    if (lyd_new_inner(NULL, nc->mod, op, 0, &r) != LY_SUCCESS || issu_report_fill(r, nc->mod, 1, s) != ISSU_OK) {
        lyd_free_tree(r);
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the report");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *rpc_renegotiate(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
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
    rc = issu_hub_renegotiate_by(nc->conf.hub, ISSU_TRIG_NETCONF_RPC, client, sid, &s);
    if (rc == ISSU_ERR_NOTFOUND)
        return client ? issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:renegotiate/client-id",
                                  "no client %u in either image", client)
                      : issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:renegotiate/session-id", "no session %u",
                                  sid);
    if (rc == ISSU_ERR_PROTO) /* error-app-tag no-peer: a state, not a failure (issuctl exits 5) */
        return err_reply(nc, NC_ERR_OP_FAILED, "no-peer", NULL, "no peer connected: nothing to renegotiate");
    if (rc != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "renegotiation failed: %s", issu_strerror(rc));
    issu_nc_log(nc, LOG_INFO, "renegotiate client %u session %u: done", client, sid);
    r = report_reply(nc, "renegotiate", s);
    issu_snapshot_unref(s);
    return r;
}

/*
 * A big check-upgrade frees hundreds of MB (the candidate's parsed trees,
 * each over ten times its text) into this worker's malloc arena, and glibc
 * keeps one arena per thread: a check served by each worker in turn held its peak
 * in every one of them (RSS 155 -> 285 -> 396 -> 469 MiB for three checks
 * of 20,000 clients). Giving free pages back after each big check (every
 * arena: the last check's report, freed once sent, too) bounds RSS to one
 * check's peak.
 */
#define TRIM_AT 2000 /* clients + sessions of the report */

static void trim_heap(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

static struct nc_server_reply *rpc_check(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    struct lyd_node *n = NULL;
    struct issu_image *img = NULL;
    struct issu_snapshot *s = NULL;
    struct nc_server_reply *r;
    char err[1024];
    int rc, big;

    (void)session;
    if (lyd_find_path(rpc, "candidate", 0, &n) != LY_SUCCESS)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:check-upgrade/candidate",
                         "candidate missing: it must hold one issu-manifest:image element");
    rc = issu_manifest_load_anydata(n, "candidate", &img, err, sizeof(err));
    if (rc == ISSU_ERR_NOTFOUND)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:check-upgrade/candidate",
                         "candidate missing: it must hold one issu-manifest:image element");
    if (rc != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/issu-agent:check-upgrade/candidate", "%s", err);
    rc = issu_hub_check(nc->conf.hub, img, &s);
    issu_image_free(img);
    if (rc == ISSU_ERR_INVAL) /* the encoder's one refusal: a frame over the limit */
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL,
                                 "check failed: the candidate's inventory does not fit one peer message (%u MiB): "
                                 "too many clients or entities", ISSU_MAX_FRAME >> 20);
    if (rc != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "check failed: %s", issu_strerror(rc));
    r = report_reply(nc, "check-upgrade", s);
    big = s->n_clients + s->n_sessions >= TRIM_AT;
    issu_snapshot_unref(s);
    if (big)
        trim_heap();
    return r;
}

static struct nc_server_reply *rpc_get_schema(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    const struct lys_module *mod;
    struct lyd_node *n = NULL, *r = NULL;
    const char *id, *rev = NULL;
    char *text = NULL;
    LYS_OUTFORMAT fmt = LYS_OUT_YANG;

    (void)session;
    if (lyd_find_path(rpc, "identifier", 0, &n) != LY_SUCCESS)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/identifier",
                         "identifier missing");
    id = lyd_get_value(n);
    if (lyd_find_path(rpc, "version", 0, &n) == LY_SUCCESS && lyd_get_value(n)[0])
        rev = lyd_get_value(n);
    if (lyd_find_path(rpc, "format", 0, &n) == LY_SUCCESS) {
        const char *f = lyd_get_value(n);
        if (strstr(f, "yin"))
            fmt = LYS_OUT_YIN;
        else if (!strstr(f, "yang"))
            return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/format",
                             "format %s not supported: yang or yin", f);
    }
    mod = rev ? ly_ctx_get_module(nc->ctx, id, rev) : ly_ctx_get_module_implemented(nc->ctx, id);
    if (!mod && !rev)
        mod = ly_ctx_get_module_latest(nc->ctx, id);
    if (!mod)
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf-monitoring:get-schema/identifier",
                         "no module %s%s%s", id, rev ? "@" : "", rev ? rev : "");
    if (lys_print_mem(&text, mod, fmt, 0) != LY_SUCCESS || !text)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot print module %s", id);
    if (lyd_new_inner(NULL, lyd_owner_module(rpc), "get-schema", 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", text, 1, LYD_ANYDATA_STRING, 1, NULL) != LY_SUCCESS) {
        free(text);
        lyd_free_tree(r);
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *rpc_unsupported(struct lyd_node *rpc, struct nc_session *session)
{
    (void)session;
    return issu_nc_err_reply(issu_nc_the, NC_ERR_OP_NOT_SUPPORTED, NULL, "operation \"%s\" is not supported by issud",
                     rpc->schema ? rpc->schema->name : "?");
}

/* Every RPC passes NACM's exec check (nc_nacm.c) before its callback runs. */
#define MAX_CLB 16
static struct {
    const struct lysc_node *op;
    nc_rpc_clb clb;
} clbs[MAX_CLB];
static size_t n_clbs;

static struct nc_server_reply *gate(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    size_t i;

    if (!issu_nc_nacm_exec(nc, session, rpc->schema))
        return issu_nc_nacm_denied_reply(nc, rpc->schema);
    for (i = 0; i < n_clbs; i++)
        if (clbs[i].op == rpc->schema)
            return clbs[i].clb(rpc, session);
    return rpc_unsupported(rpc, session);
}

static int set_clb(struct issu_nc *nc, const char *path, nc_rpc_clb clb)
{
    struct lysc_node *n = (struct lysc_node *)lys_find_path(nc->ctx, NULL, path, 0);

    if (!n) {
        issu_nc_log(nc, LOG_ERR, "schema node %s missing", path);
        return ISSU_ERR_NOTFOUND;
    }
    if (n_clbs == MAX_CLB)
        return ISSU_ERR_NOMEM;
    clbs[n_clbs].op = n;
    clbs[n_clbs++].clb = clb;
    nc_set_rpc_callback(n, gate);
    return ISSU_OK;
}

int issu_nc_rpc_register(struct issu_nc *nc)
{
    n_clbs = 0; /* a new context: its nodes */
    nc_set_global_rpc_clb(gate);
    ISSU_CHECK(set_clb(nc, "/ietf-netconf:get", issu_nc_rpc_get));
    ISSU_CHECK(set_clb(nc, "/ietf-netconf:get-config", issu_nc_rpc_get_config));
    ISSU_CHECK(set_clb(nc, "/ietf-netconf:kill-session", rpc_kill_session));
    ISSU_CHECK(set_clb(nc, "/ietf-netconf-monitoring:get-schema", rpc_get_schema));
    ISSU_CHECK(set_clb(nc, "/notifications:create-subscription", issu_nc_rpc_subscribe));
    ISSU_CHECK(set_clb(nc, "/issu-agent:renegotiate", rpc_renegotiate));
    ISSU_CHECK(set_clb(nc, "/issu-agent:check-upgrade", rpc_check));
    ISSU_CHECK(set_clb(nc, "/issu-agent:get-history", issu_nc_rpc_history));
    return ISSU_OK;
}
