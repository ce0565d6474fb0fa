/*
 * nc_client.c - issuctl's NETCONF client (issu_ncc.h).
 *
 * The client context learns the server's modules from its hello: the
 * build's yang/ dir first, then <get-schema> for the rest.
 */
#include "issu_ncc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libyang/libyang.h>
#include <nc_client.h>

#include "datadir.h"
#include "issu_err.h"

static int inited;
static int timeout_ms = 30000; /* issu_ncc_set_timeout: issuctl's --timeout */

void issu_ncc_set_timeout(unsigned seconds)
{
    timeout_ms = seconds > 86400 ? 86400000 : (int)seconds * 1000;
}

/* libnetconf2's messages are noise for an operator (a failed <get-schema> of
 * a module we load ourselves); ISSUCTL_NC_DEBUG shows them */
static void nc_print(const struct nc_session *session, NC_VERB_LEVEL level, const char *msg)
{
    (void)session;
    (void)level;
    if (getenv("ISSUCTL_NC_DEBUG"))
        fprintf(stderr, "libnetconf2: %s\n", msg);
}

/* Why the socket could not be reached (libnetconf2 says only that it
 * failed): connect()'s errno. Only after a failure, so a working issud
 * never sees a connection closed before its hello. */
static int probe(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd, e;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path %s: longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
        return ISSU_ERR_INVAL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create a socket: %s", strerror(errno));
        return ISSU_ERR_IO;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        return ISSU_OK;
    }
    e = errno;
    close(fd);
    switch (e) {
    case EACCES:
    case EPERM:
        snprintf(err, errlen, "permission denied on %s: issud may be running, but this user may not "
                 "connect (the socket's group and mode: issud --netconf-unix-group, --netconf-unix-mode)",
                 path);
        return ISSU_ERR_REFUSED;
    case ENOENT:
        snprintf(err, errlen, "issud is not running at %s (no such socket; start it with --netconf-unix %s)",
                 path, path);
        return ISSU_ERR_NOTFOUND;
    case ECONNREFUSED:
        snprintf(err, errlen, "issud is not running at %s (the socket is left from an issud that stopped; "
                 "nothing listens on it)", path);
        return ISSU_ERR_NOTFOUND;
    default:
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
        return ISSU_ERR_IO;
    }
}

int issu_ncc_connect(const char *path, struct nc_session **session, char *err, size_t errlen)
{
    struct ly_ctx *ctx;
    char where[ISSU_DATA_PATH_MAX];

    if (!inited) {
        nc_client_init();
        nc_verbosity(getenv("ISSUCTL_NC_DEBUG") ? NC_VERB_DEBUG : NC_VERB_ERROR);
        nc_set_print_clb_session(nc_print);
        if (!getenv("ISSUCTL_NC_DEBUG"))
            ly_log_options(LY_LOSTORE_LAST);
        inited = 1;
    }
    /* no schema searchpath: libnetconf2 stores every module it fetches with
     * <get-schema> there, and the source tree is no cache */
    *session = nc_connect_unix(path, NULL);
    if (!*session) {
        ISSU_CHECK(probe(path, err, errlen));
        snprintf(err, errlen, "issud at %s accepts connections but the NETCONF hello failed", path);
        return ISSU_ERR_IO;
    }
    /* a server whose yang-library is unreadable leaves issu-agent unknown:
     * load ours from the yang dir (read only) */
    ctx = issu_ncc_ctx(*session);
    if (!ly_ctx_get_module_implemented(ctx, "issu-agent")) {
        ly_ctx_set_searchdir(ctx, issu_data_dir(ISSU_DATA_YANG, where, sizeof(where)));
        if (!ly_ctx_load_module(ctx, "issu-agent", NULL, NULL)) {
            nc_session_free(*session, NULL);
            *session = NULL;
            snprintf(err, errlen, "the server at %s does not serve module issu-agent, and %s does not have it",
                     path, where);
            return ISSU_ERR_INVAL;
        }
    }
    return ISSU_OK;
}

struct ly_ctx *issu_ncc_ctx(struct nc_session *session)
{
    return (struct ly_ctx *)nc_session_get_ctx(session);
}

/* the first rpc-error's error-message (opaque nodes of the envelope) */
static void error_message(const struct lyd_node *envp, char *err, size_t errlen)
{
    const struct lyd_node *e, *m;

    snprintf(err, errlen, "the server returned an error");
    LY_LIST_FOR(lyd_child(envp), e) {
        if (strcmp(LYD_NAME(e), "rpc-error"))
            continue;
        LY_LIST_FOR(lyd_child(e), m)
            if (!strcmp(LYD_NAME(m), "error-message") && lyd_get_value(m)) {
                snprintf(err, errlen, "%s", lyd_get_value(m));
                return;
            }
    }
}

/* The rpc-error's first value of @p leaf (error-tag, error-app-tag), or "". */
static const char *error_leaf(const struct lyd_node *envp, const char *leaf)
{
    const struct lyd_node *e, *m;

    LY_LIST_FOR(lyd_child(envp), e)
        LY_LIST_FOR(lyd_child(e), m)
            if (!strcmp(LYD_NAME(m), leaf) && lyd_get_value(m))
                return lyd_get_value(m);
    return "";
}

static int exchange(struct nc_session *session, struct nc_rpc *rpc, struct lyd_node **envp,
                    struct lyd_node **op, char *err, size_t errlen)
{
    uint64_t msgid;
    NC_MSG_TYPE t;

    *envp = *op = NULL;
    if (nc_send_rpc(session, rpc, timeout_ms, &msgid) != NC_MSG_RPC) {
        snprintf(err, errlen, "cannot send the request");
        return ISSU_ERR_IO;
    }
    do {
        t = nc_recv_reply(session, rpc, msgid, timeout_ms, envp, op);
    } while (t == NC_MSG_NOTIF || t == NC_MSG_REPLY_ERR_MSGID);
    if (t != NC_MSG_REPLY) {
        snprintf(err, errlen, "no reply from the server within %d s (--timeout)", timeout_ms / 1000);
        return ISSU_ERR_IO;
    }
    if (!*op && *envp && lyd_child(*envp) && !strcmp(LYD_NAME(lyd_child(*envp)), "rpc-error")) {
        error_message(*envp, err, errlen);
        if (!strcmp(error_leaf(*envp, "error-app-tag"), "no-peer"))
            return ISSU_ERR_TRANSPORT;
        return !strcmp(error_leaf(*envp, "error-tag"), "invalid-value") ? ISSU_ERR_NOTFOUND : ISSU_ERR_PROTO;
    }
    return ISSU_OK;
}

int issu_ncc_get(struct nc_session *session, const char *xpath, struct lyd_node **data, char *err,
                 size_t errlen)
{
    struct nc_rpc *rpc = NULL;
    struct lyd_node *envp = NULL, *op = NULL, *d = NULL;
    struct lyd_node_any *any;
    int rc;

    *data = NULL;
    rpc = nc_rpc_get(xpath, NC_WD_UNKNOWN, NC_PARAMTYPE_CONST);
    ISSU_CHECK_MEM(rpc, rc);
    ISSU_CHECK_GOTO(exchange(session, rpc, &envp, &op, err, errlen), rc);
    if (op)
        LY_LIST_FOR(lyd_child(op), d)
            if (!strcmp(LYD_NAME(d), "data"))
                break;
    rc = ISSU_OK;
    if (!d || !d->schema || !(d->schema->nodetype & LYS_ANYDATA))
        goto cleanup;
    any = (struct lyd_node_any *)d;
    switch (any->value_type) {
    case LYD_ANYDATA_DATATREE:
        *data = any->value.tree;
        any->value.tree = NULL; /* taken over */
        break;
    case LYD_ANYDATA_STRING:
    case LYD_ANYDATA_XML:
        if (any->value.str && *any->value.str &&
            lyd_parse_data_mem(issu_ncc_ctx(session), any->value.str, LYD_XML,
                               LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, data) != LY_SUCCESS) {
            snprintf(err, errlen, "cannot parse the reply's data");
            rc = ISSU_ERR_DECODE;
        }
        break;
    default:
        snprintf(err, errlen, "unexpected reply data encoding");
        rc = ISSU_ERR_DECODE;
    }
cleanup:
    nc_rpc_free(rpc);
    lyd_free_tree(envp);
    lyd_free_tree(op);
    return rc;
}

int issu_ncc_rpc(struct nc_session *session, struct lyd_node *data, struct lyd_node **envp,
                 struct lyd_node **out, char *err, size_t errlen)
{
    struct nc_rpc *rpc = nc_rpc_act_generic(data, NC_PARAMTYPE_FREE);
    int rc;

    *envp = *out = NULL;
    if (!rpc) {
        lyd_free_tree(data);
        return ISSU_ERR_NOMEM;
    }
    rc = exchange(session, rpc, envp, out, err, errlen);
    if (rc == ISSU_OK && !*out) {
        snprintf(err, errlen, "the reply carries no output");
        rc = ISSU_ERR_PROTO;
    }
    nc_rpc_free(rpc);
    return rc;
}

void issu_ncc_close(struct nc_session *session)
{
    nc_session_free(session, NULL);
    if (inited)
        nc_client_destroy();
    inited = 0;
}
