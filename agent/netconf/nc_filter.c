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


/* ------------------------------------------------ one client, one session */

/* issuctl's `show issu sessions C` and `negotiated version|capability S`
 * name one client or session: libyang would test the predicate on every
 * session (session[client-id=C] is no key), so at 100,000 sessions one
 * client cost a scan. The cached tree's lists are indexed once, when it is
 * built, and those exact filters are answered from the index. */

struct keyent {
    uint32_t key, pos; /* pos: the node's place among issu-state's children (document order) */
    const struct lyd_node *n;
};

struct issu_nc_keyidx {
    struct keyent *clients, *by_sid, *by_client;
    size_t n_clients, n_sess;
    struct keyent endpoint; /* n NULL: none */
};

static int cmp_keyent(const void *a, const void *b)
{
    const struct keyent *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->pos > y->pos) - (x->pos < y->pos);
}

static uint32_t child_u32(const struct lyd_node *n, const char *name)
{
    const struct lyd_node *c;

    LY_LIST_FOR(lyd_child(n), c)
        if (c->schema && !strcmp(c->schema->name, name))
            return (uint32_t)strtoul(lyd_get_value(c), NULL, 10);
    return 0;
}

void issu_nc_filter_index_free(struct issu_nc_keyidx *idx)
{
    if (!idx)
        return;
    free(idx->clients);
    free(idx->by_sid);
    free(idx->by_client);
    free(idx);
}

int issu_nc_filter_index(struct issu_nc_state *x)
{
    struct issu_nc_keyidx *idx = NULL;
    const struct lyd_node *n;
    size_t nc = 0, ns = 0;
    uint32_t pos = 0;
    int rc = ISSU_OK;

    x->idx = NULL;
    if (!x->tree)
        return ISSU_OK;
    LY_LIST_FOR(lyd_child(x->tree), n) {
        nc += n->schema && !strcmp(n->schema->name, "client");
        ns += n->schema && !strcmp(n->schema->name, "session");
    }
    idx = calloc(1, sizeof(*idx));
    ISSU_CHECK_MEM(idx, rc);
    idx->clients = calloc(nc ? nc : 1, sizeof(*idx->clients));
    idx->by_sid = calloc(ns ? ns : 1, sizeof(*idx->by_sid));
    idx->by_client = calloc(ns ? ns : 1, sizeof(*idx->by_client));
    ISSU_CHECK_MEM(idx->clients && idx->by_sid && idx->by_client ? idx : NULL, rc);
    LY_LIST_FOR(lyd_child(x->tree), n) {
        pos++;
        if (!n->schema)
            continue;
        if (!strcmp(n->schema->name, "client")) {
            idx->clients[idx->n_clients++] = (struct keyent){child_u32(n, "id"), pos, n};
        } else if (!strcmp(n->schema->name, "session")) {
            idx->by_sid[idx->n_sess] = (struct keyent){child_u32(n, "session-id"), pos, n};
            idx->by_client[idx->n_sess++] = (struct keyent){child_u32(n, "client-id"), pos, n};
        } else if (!strcmp(n->schema->name, "endpoint")) {
            idx->endpoint = (struct keyent){0, pos, n};
        }
    }
    qsort(idx->clients, idx->n_clients, sizeof(*idx->clients), cmp_keyent);
    qsort(idx->by_sid, idx->n_sess, sizeof(*idx->by_sid), cmp_keyent);
    qsort(idx->by_client, idx->n_sess, sizeof(*idx->by_client), cmp_keyent);
    x->idx = idx;
    idx = NULL;
cleanup:
    issu_nc_filter_index_free(idx);
    return rc;
}

/* The first entry of @p v[0..n) with key @p key (n: none). */
static size_t lower_bound(const struct keyent *v, size_t n, uint32_t key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Strict reading of the filter text: @p lit exactly, or a decimal id as
 * issuctl prints it (%u: no sign, no leading zero, at most 4294967295). */
static int eat(const char **p, const char *lit)
{
    size_t n = strlen(lit);

    if (strncmp(*p, lit, n))
        return 0;
    *p += n;
    return 1;
}

static int eat_id(const char **p, uint32_t *id)
{
    uint64_t v = 0;
    const char *s = *p;

    if (*s < '1' || *s > '9')
        return 0;
    while (*s >= '0' && *s <= '9' && s - *p < 10)
        v = v * 10 + (uint64_t)(*s++ - '0');
    if ((*s >= '0' && *s <= '9') || v > UINT32_MAX)
        return 0;
    *id = (uint32_t)v;
    *p = s;
    return 1;
}

#define KSTATE "/" ISSU_NC_STATE_MOD ":issu-state"

/* Which of issuctl's two forms @p v is: 1 client (*id), 2 session (*id), 0 neither. */
static int keyed_form(const char *v, uint32_t *id)
{
    const char *p = v;
    uint32_t again;

    if (eat(&p, KSTATE "/client[id='") && eat_id(&p, id) && eat(&p, "'] | " KSTATE "/session[client-id='") &&
        eat_id(&p, &again) && again == *id && eat(&p, "'] | " KSTATE "/endpoint") && !*p)
        return 1;
    p = v;
    if (eat(&p, KSTATE "/session[session-id='") && eat_id(&p, id) && eat(&p, "'] | " KSTATE "/endpoint") && !*p)
        return 2;
    return 0;
}

static int cmp_pos(const void *a, const void *b)
{
    const struct keyent *x = a, *y = b;

    return (x->pos > y->pos) - (x->pos < y->pos);
}

int issu_nc_filter_keyed(struct issu_nc *nc, const struct lyd_node *rpc, const struct issu_nc_state *x,
                         struct lyd_node **out)
{
    const struct issu_nc_keyidx *idx = x->idx;
    struct lyd_node *filter = NULL, *dup, *root;
    struct lyd_meta *type, *sel;
    struct keyent *pick = NULL;
    size_t np = 0, k, i;
    uint32_t id;
    int form, rc = ISSU_OK;

    (void)nc;
    *out = NULL;
    lyd_find_path(rpc, "filter", 0, &filter);
    type = filter ? lyd_find_meta(filter->meta, NULL, "ietf-netconf:type") : NULL;
    sel = filter ? lyd_find_meta(filter->meta, NULL, "ietf-netconf:select") : NULL;
    if (!idx || !type || strcmp(lyd_get_meta_value(type), "xpath") || !sel ||
        !(form = keyed_form(lyd_get_meta_value(sel), &id)))
        return ISSU_ERR_NOTFOUND;
    /* the picks, then in document order: the order lyd_find_xpath gives a union */
    if (form == 1) {
        k = lower_bound(idx->by_client, idx->n_sess, id);
        for (i = k; i < idx->n_sess && idx->by_client[i].key == id; i++)
            ;
        pick = calloc(i - k + 2, sizeof(*pick));
        ISSU_CHECK_MEM(pick, rc);
        memcpy(pick, idx->by_client + k, (i - k) * sizeof(*pick));
        np = i - k;
        k = lower_bound(idx->clients, idx->n_clients, id);
        if (k < idx->n_clients && idx->clients[k].key == id)
            pick[np++] = idx->clients[k];
    } else {
        pick = calloc(2, sizeof(*pick));
        ISSU_CHECK_MEM(pick, rc);
        k = lower_bound(idx->by_sid, idx->n_sess, id);
        if (k < idx->n_sess && idx->by_sid[k].key == id)
            pick[np++] = idx->by_sid[k];
    }
    if (idx->endpoint.n)
        pick[np++] = idx->endpoint;
    qsort(pick, np, sizeof(*pick), cmp_pos);
    for (k = 0; k < np; k++) {
        if (lyd_dup_single(pick[k].n, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_PARENTS | LYD_DUP_WITH_FLAGS, &dup) !=
            LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
        for (root = dup; root->parent; root = lyd_parent(root))
            ;
        if (lyd_merge_siblings(out, root, LYD_MERGE_DESTRUCT) != LY_SUCCESS) {
            lyd_free_tree(root);
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
        }
    }
cleanup:
    free(pick);
    if (rc != ISSU_OK) {
        lyd_free_all(*out);
        *out = NULL;
    }
    return rc;
}
