/*
 * nc_filter.c - <get>'s filters (RFC 6241 6): what a filter selects from
 * the face's data trees, as copies.
 *
 * XPath filters (:xpath capability) go to lyd_find_xpath. Subtree filters
 * are turned into XPath selections: a containment node becomes a step, a
 * content match node a predicate, a selection node (or a containment node
 * with nothing below) the node's whole subtree. An element of a namespace
 * or name issud does not serve is the client's mistake and is refused with
 * the reason, rather than answered with empty data. The cached issu-state
 * is only read: selections are copied with their parents and merged.
 */
#include "nc_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

struct xbuf {
    char *s;
    size_t len, cap;
};

static int xadd(struct xbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int xadd(struct xbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0)
            return ISSU_ERR_INVAL;
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return ISSU_OK;
        }
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap <= b->len + (size_t)n)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p)
            return ISSU_ERR_NOMEM;
        b->s = p;
        b->cap = cap;
    }
}


/* Select the nodes @p xpath names from @p src into *@p result (copies with parents). */
static int select_xpath(struct issu_nc *nc, const struct lyd_node *const *src, const char *xpath,
                        struct lyd_node **result, char *err, size_t errlen)
{
    struct ly_set *set = NULL;
    struct lyd_node *dup, *root;
    uint32_t i;
    int rc = ISSU_OK, k;

    for (k = 0; k < ISSU_NC_N_SRC && rc == ISSU_OK; k++) {
        if (!src[k])
            continue;
        if (lyd_find_xpath(src[k], xpath, &set) != LY_SUCCESS) {
            const char *m = ly_errmsg(nc->ctx);
            snprintf(err, errlen, "invalid XPath filter \"%s\": %s", xpath, m ? m : "cannot evaluate");
            ly_set_free(set, NULL); /* a result that is no node set comes back allocated */
            return ISSU_ERR_INVAL;
        }
        for (i = 0; i < set->count && rc == ISSU_OK; i++) {
            const struct lyd_node *n = set->dnodes[i];
            if (!n->schema) /* opaque: nothing to select */
                continue;
            if (lyd_dup_single(n, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS, &dup) !=
                LY_SUCCESS) {
                rc = ISSU_ERR_NOMEM;
                break;
            }
            for (root = dup; root->parent; root = lyd_parent(root))
                ;
            if (lyd_merge_siblings(result, root, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
                lyd_free_tree(root);
                rc = ISSU_ERR_NOMEM;
            }
        }
        ly_set_free(set, NULL);
        set = NULL;
    }
    return rc;
}

static int is_blank(const char *v)
{
    return !v || !v[strspn(v, " \t\r\n")];
}

/* A filter node's module, name and text, whether libyang parsed it as data or opaque. */
static int fnode(struct issu_nc *nc, const struct lyd_node *f, const struct lys_module **mod, const char **name,
                 const char **value)
{
    const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)f;

    if (f->schema) {
        *mod = f->schema->module;
        *name = f->schema->name;
        *value = (f->schema->nodetype & LYD_NODE_TERM) ? lyd_get_value(f) : NULL;
        return 1;
    }
    *mod = o->name.module_ns ? ly_ctx_get_module_implemented_ns(nc->ctx, o->name.module_ns) : NULL;
    *name = o->name.name;
    *value = o->value;
    return o->name.module_ns != NULL;
}

static int is_match(const struct lyd_node *c, const char *value)
{
    return !lyd_child(c) && !is_blank(value);
}

/* One subtree filter node -> XPath selections (RFC 6241 6.2, simplified to
 * containment, content match and selection nodes). */
static int subtree_r(struct issu_nc *nc, const struct lyd_node *const *data, const struct lyd_node *f,
                     const struct lysc_node *parent, const char *base, struct lyd_node **result, char *err,
                     size_t errlen)
{
    const struct lyd_node *c;
    const struct lys_module *mod, *cmod;
    const struct lysc_node *sn;
    const char *name, *value, *cname, *cvalue;
    struct xbuf x = {0};
    char lit[4 * ISSU_NC_XPATH_MAX_LEN];
    int rc = ISSU_OK, has_sel = 0;

    if (!fnode(nc, f, &mod, &name, &value)) {
        snprintf(err, errlen, "subtree filter element \"%s\" has no namespace", name);
        return ISSU_ERR_INVAL;
    }
    /* an element we do not know is a client's mistake: say so rather than
     * answer with empty data */
    if (!mod) {
        snprintf(err, errlen, "subtree filter element \"%s\": no module with namespace \"%s\" in issud",
                 name, ((const struct lyd_node_opaq *)f)->name.module_ns);
        return ISSU_ERR_INVAL;
    }
    sn = lys_find_child(parent, mod, name, 0, 0, 0);
    if (!sn || !(sn->nodetype & (LYS_CONTAINER | LYS_LIST | LYS_LEAF | LYS_LEAFLIST | LYS_ANYDATA))) {
        snprintf(err, errlen, "subtree filter element \"%s\" (module %s) is not a data node%s%s", name,
                 mod->name, parent ? " of " : " at the top level", parent ? parent->name : "");
        return ISSU_ERR_INVAL;
    }
    ISSU_CHECK_GOTO(xadd(&x, "%s/%s:%s", base, mod->name, name), rc);
    /* content match nodes become predicates */
    LY_LIST_FOR(lyd_child(f), c) {
        fnode(nc, c, &cmod, &cname, &cvalue);
        if (!cmod || !lys_find_child(sn, cmod, cname, 0, 0, 0)) {
            snprintf(err, errlen, "subtree filter element \"%s\" is not a data node of %s", cname, name);
            rc = ISSU_ERR_INVAL;
            goto cleanup;
        }
        if (is_match(c, cvalue)) {
            /* the value is the client's: a literal it cannot close */
            if (issu_nc_xpath_literal(cvalue, lit, sizeof(lit)) != ISSU_OK) {
                snprintf(err, errlen, "subtree filter: the content match of \"%s\" is too long", cname);
                rc = ISSU_ERR_INVAL;
                goto cleanup;
            }
            ISSU_CHECK_GOTO(xadd(&x, "[%s=%s]", cname, lit), rc);
        } else {
            has_sel = 1;
        }
    }
    if (!has_sel) {
        rc = select_xpath(nc, data, x.s, result, err, errlen);
        goto cleanup;
    }
    LY_LIST_FOR(lyd_child(f), c) {
        fnode(nc, c, &cmod, &cname, &cvalue);
        if (is_match(c, cvalue))
            continue;
        ISSU_CHECK_GOTO(subtree_r(nc, data, c, sn, x.s, result, err, errlen), rc);
    }
cleanup:
    free(x.s);
    return rc;
}

/* Apply <get>'s filter to @p data (read only); *out gets copies of the
 * selected nodes. A <get> without a filter never gets here (whole state). */
int issu_nc_filter_apply(struct issu_nc *nc, const struct lyd_node *rpc, const struct lyd_node *const *data,
                         uint64_t n_nodes, struct lyd_node **out, char *err, size_t errlen)
{
    struct lyd_node *filter = NULL, *f;
    struct lyd_meta *type, *sel;
    struct lyd_node_any *any;

    *out = NULL;
    lyd_find_path(rpc, "filter", 0, &filter);
    if (!filter)
        return ISSU_ERR_INVAL;
    type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
    if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
        sel = lyd_find_meta(filter->meta, NULL, "ietf-netconf:select");
        if (!sel || is_blank(lyd_get_meta_value(sel))) {
            snprintf(err, errlen, "an XPath filter needs a select attribute");
            return ISSU_ERR_INVAL;
        }
        /* the client's expression: bounded before libyang runs it */
        if (issu_nc_ly_xpath_check(lyd_get_meta_value(sel), err, errlen) != ISSU_OK ||
            issu_nc_xpath_check(lyd_get_meta_value(sel), n_nodes, nc->conf.xpath_max_cost, err, errlen) != ISSU_OK)
            return ISSU_ERR_INVAL;
        return select_xpath(nc, data, lyd_get_meta_value(sel), out, err, errlen);
    }
    if (type && strcmp(lyd_get_meta_value(type), "subtree")) {
        snprintf(err, errlen, "unknown filter type \"%s\"", lyd_get_meta_value(type));
        return ISSU_ERR_INVAL;
    }
    any = (struct lyd_node_any *)filter;
    if (any->value_type == LYD_ANYDATA_DATATREE) {
        LY_LIST_FOR(any->value.tree, f) {
            int rc = subtree_r(nc, data, f, NULL, "", out, err, errlen);
            if (rc != ISSU_OK)
                return rc;
        }
    } else if (any->value.str && !is_blank(any->value.str)) {
        snprintf(err, errlen, "subtree filter content is not XML elements");
        return ISSU_ERR_INVAL;
    }
    return ISSU_OK;
}

/* Whether <get>'s filter is absent or selects exactly the whole issu-state
 * container: those replies print the cached state tree. Without a filter
 * the reply has always been issu-state alone (the netconf-state sibling was
 * dropped by the sibling insert): kept so. */
int issu_nc_filter_whole_state(struct issu_nc *nc, const struct lyd_node *rpc)
{
    struct lyd_node *filter = NULL;
    struct lyd_meta *type, *sel;
    const struct lyd_node_any *any;
    const struct lys_module *mod;
    const char *name, *value, *v;
    size_t n;

    lyd_find_path(rpc, "filter", 0, &filter);
    if (!filter)
        return 1;
    type = lyd_find_meta(filter->meta, NULL, "ietf-netconf:type");
    if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
        sel = lyd_find_meta(filter->meta, NULL, "ietf-netconf:select");
        v = sel ? lyd_get_meta_value(sel) : NULL;
        if (!v)
            return 0;
        v += strspn(v, " \t\r\n");
        n = strlen("/" ISSU_NC_STATE_MOD ":issu-state");
        return !strncmp(v, "/" ISSU_NC_STATE_MOD ":issu-state", n) && is_blank(v + n);
    }
    if (type && strcmp(lyd_get_meta_value(type), "subtree"))
        return 0;
    any = (const struct lyd_node_any *)filter;
    if (any->value_type != LYD_ANYDATA_DATATREE || !any->value.tree || any->value.tree->next ||
        lyd_child(any->value.tree))
        return 0;
    return fnode(nc, any->value.tree, &mod, &name, &value) && mod == nc->mod && !strcmp(name, "issu-state");
}

