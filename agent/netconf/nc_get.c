/*
 * nc_get.c - <get> and <get-config>.
 *
 * A <get> without a filter, or whose filter selects exactly the whole
 * issu-state, sends the state printed once per snapshot (nc_state.c): the
 * reply's <data> is an anydata whose XML value is that text, and
 * nc_libnetconf2.c splices it into the printed envelope. The envelope is
 * this worker's (NC_PARAMTYPE_CONST) until nc_ps_poll has sent it, then
 * issu_nc_get_release frees it. Other filters select copies from the part
 * of issu-state they name (or the whole tree: nc_state.c), a fresh
 * netconf-state, the YANG library (RFC 8525 yang-library
 * and modules-state, built once at start; nc_filter.c) and RFC 5277's
 * netconf/streams (nc_history.c). issud has no configuration:
 * <get-config> answers empty data.
 */
#include "nc_internal.h"

#include <stdlib.h>

#include "issu_err.h"

/* The whole-state reply this worker thread sent last. */
struct sent_reply {
    struct lyd_node *op;   /**< <get> whose anydata <data> has st->xml as its XML value */
    struct lyd_node *data; /**< that <data>, which libnetconf2 moves into its <rpc-reply> */
    struct issu_nc_state *st;
};
static _Thread_local struct sent_reply sent;

static struct nc_server_reply *reply_data_op(struct issu_nc *nc, const struct lys_module *m, const char *op,
                                             struct lyd_node *data)
{
    struct lyd_node *r = NULL;

    if (lyd_new_inner(NULL, m, op, 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", data, 1, LYD_ANYDATA_DATATREE, 1, NULL) != LY_SUCCESS) {
        lyd_free_all(data);
        lyd_free_tree(r);
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
    }
    return nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

void issu_nc_get_release(struct issu_nc *nc)
{
    struct lyd_node_any *any;

    issu_nc_lnc2_splice(NULL, NULL, 0);
    if (!sent.op)
        return;
    any = (struct lyd_node_any *)lyd_child(sent.op);
    if (any) { /* the printed state is the cache's */
        any->value_type = LYD_ANYDATA_DATATREE;
        any->value.tree = NULL;
    }
    lyd_free_tree(sent.op);
    issu_nc_state_put(nc, sent.st);
    sent.op = NULL;
    sent.data = NULL;
    sent.st = NULL;
}

/* The cached issu-state @p x as <get>'s data (takes the reference): the
 * envelope's <data> carries the text printed once per snapshot as its XML
 * value, which is written as it is, instead of printing 10,000 sessions
 * element by element for every <get>. */
static struct nc_server_reply *get_whole(struct issu_nc *nc, struct lyd_node *rpc, struct issu_nc_state *x)
{
    struct lyd_node *r = NULL, *d = NULL;
    struct lyd_node_any *any;
    struct nc_server_reply *reply;

    issu_nc_get_release(nc); /* normally done by the worker already */
    if (lyd_new_inner(NULL, lyd_owner_module(rpc), "get", 0, &r) != LY_SUCCESS ||
        lyd_new_any(r, NULL, "data", NULL, 1, LYD_ANYDATA_DATATREE, 1, &d) != LY_SUCCESS)
        goto cleanup;
    /* not through lyd_new_any: that would copy 10 MB into the dictionary */
    any = (struct lyd_node_any *)d;
    any->value_type = LYD_ANYDATA_XML;
    any->value.str = x->xml;
    if (!(reply = nc_server_reply_data(r, NC_WD_EXPLICIT, NC_PARAMTYPE_CONST))) {
        any->value_type = LYD_ANYDATA_DATATREE;
        any->value.tree = NULL;
        goto cleanup;
    }
    sent.op = r;
    sent.data = d;
    sent.st = x;
    issu_nc_lnc2_splice(d, x->xml, x->xml_len);
    return reply;
cleanup:
    lyd_free_tree(r);
    issu_nc_state_put(nc, x);
    return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
}

/* The issu-state tree a filter selects from (*tree, *n_nodes for the XPath
 * cost bound; *own: the caller frees it, else it belongs to *held, a tree
 * reference to put with issu_nc_tree_put): the part the filter names, built from the newest
 * snapshot @p s per request (no waiting for anything), or the whole shared
 * tree (nc_state.c); a copy to prune when NACM may hide some of it (@p all
 * clear). */
static int state_source(struct issu_nc *nc, const struct lyd_node *rpc, struct issu_snapshot *s, int whole, int all,
                        struct lyd_node **tree, uint64_t *n_nodes, int *own, struct issu_nc_tree **held)
{
    struct issu_nc_pick pick = {0};
    struct issu_nc_histvals hb;
    struct issu_nc_state *x = NULL;
    int rc = ISSU_OK;

    *tree = NULL;
    *own = 0;
    *held = NULL;
    if (whole)
        pick.all = 1;
    else
        ISSU_CHECK(issu_nc_filter_pick(nc, rpc, s, &pick));
    if (!pick.all) {
        ISSU_CHECK_GOTO(issu_nc_state_tree(nc->mod, s, issu_nc_histvals(nc, &hb), &pick, tree), rc);
        *own = 1;
        *n_nodes = issu_nc_count_nodes(*tree); /* what the filter can visit */
        goto cleanup;
    }
    ISSU_CHECK_GOTO(issu_nc_state_read(nc, s, &x), rc);
    rc = issu_nc_state_full(nc, x, held);
    issu_nc_state_put(nc, x);
    if (rc != ISSU_OK)
        goto cleanup;
    *tree = (*held)->tree;
    *n_nodes = (*held)->n_nodes;
    if (!all) {
        if (lyd_dup_siblings((*held)->tree, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, tree) != LY_SUCCESS)
            rc = ISSU_ERR_NOMEM;
        issu_nc_tree_put(nc, *held);
        *held = NULL;
        *own = rc == ISSU_OK;
    }
cleanup:
    issu_nc_pick_free(&pick);
    return rc;
}

struct nc_server_reply *issu_nc_rpc_get(struct lyd_node *rpc, struct nc_session *session)
{
    struct issu_nc *nc = issu_nc_the;
    struct issu_snapshot *s = issu_hub_snapshot(nc->conf.hub);
    struct issu_nc_state *x = NULL;
    struct issu_nc_tree *held = NULL;
    struct lyd_node *mon = NULL, *sel = NULL, *nacm = NULL, *state = NULL, *ylib = NULL, *streams = NULL;
    const struct lyd_node *src[ISSU_NC_N_SRC];
    char err[1024];
    int rc, all, all_lib, whole, own;
    uint64_t n_nodes = 0;

    /* NACM (RFC 8341 3.4.5): a filter sees only what the user may read;
     * the trees are copied and pruned only when a rule could hide some of
     * them */
    all = issu_nc_nacm_read_all(nc, session, ISSU_NC_STATE_MOD);
    whole = issu_nc_filter_whole_state(nc, rpc);
    if (whole && all) {
        rc = issu_nc_state_read(nc, s, &x);
        issu_snapshot_unref(s);
        if (rc != ISSU_OK)
            return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the state: %s", issu_strerror(rc));
        return get_whole(nc, rpc, x);
    }
    rc = state_source(nc, rpc, s, whole, all, &state, &n_nodes, &own, &held);
    issu_snapshot_unref(s);
    if (rc != ISSU_OK)
        return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the state tree: %s", issu_strerror(rc));
    all_lib = whole || issu_nc_nacm_read_all(nc, session, "ietf-yang-library");
    if (!all_lib && nc->yanglib &&
        lyd_dup_siblings(nc->yanglib, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &ylib) != LY_SUCCESS) {
        rc = ISSU_ERR_NOMEM;
        goto cleanup;
    }
    if (!all)
        issu_nc_nacm_prune(nc, session, &state);
    issu_nc_nacm_prune(nc, session, &ylib);
    if (whole) {
        /* only with !all: state is a pruned copy, the reply's now */
        return reply_data_op(nc, lyd_owner_module(rpc), "get", state);
    }
    /* other filters select copies from these trees and a fresh
     * netconf-state, in the document order the merged tree had before */
    if (issu_nc_monitoring_build(nc, &mon) != ISSU_OK)
        mon = NULL;
    if (issu_nc_nacm_state(nc, &nacm) != ISSU_OK)
        nacm = NULL;
    if (issu_nc_streams_build(nc, &streams) != ISSU_OK)
        streams = NULL;
    issu_nc_nacm_prune(nc, session, &mon);
    issu_nc_nacm_prune(nc, session, &nacm); /* default-deny-all: recovery sessions and explicit rules only */
    issu_nc_nacm_prune(nc, session, &streams);
    src[0] = mon;
    src[1] = state;
    src[2] = all_lib ? nc->yanglib : ylib;
    src[3] = nacm;
    src[4] = streams;
    /* the cost bound counts the whole state, whatever part was built */
    rc = issu_nc_filter_apply(nc, rpc, src, n_nodes + issu_nc_count_nodes(mon) + nc->n_yanglib +
                              issu_nc_count_nodes(nacm) + issu_nc_count_nodes(streams), &sel, err, sizeof(err));
    lyd_free_all(mon);
    lyd_free_all(nacm);
    lyd_free_all(streams);
    lyd_free_all(ylib);
    if (own)
        lyd_free_all(state);
    issu_nc_tree_put(nc, held);
    if (rc != ISSU_OK) {
        lyd_free_all(sel);
        return issu_nc_err_reply(nc, NC_ERR_INVALID_VALUE, "/ietf-netconf:get/filter", "%s", err);
    }
    return reply_data_op(nc, lyd_owner_module(rpc), "get", sel);
cleanup:
    lyd_free_all(ylib);
    if (own)
        lyd_free_all(state);
    issu_nc_tree_put(nc, held);
    return issu_nc_err_reply(nc, NC_ERR_OP_FAILED, NULL, "cannot build the reply");
}

struct nc_server_reply *issu_nc_rpc_get_config(struct lyd_node *rpc, struct nc_session *session)
{
    (void)session;
    /* issud has no configuration datastore content: every node is state */
    return reply_data_op(issu_nc_the, lyd_owner_module(rpc), "get-config", NULL);
}
