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
        if (issu_nc_ly_find_xpath(src[k], xpath, ISSU_NC_UNION_MIN, &set) != ISSU_OK) {
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


/* --------------------------------------- what of issu-state a filter reaches */

/* At 100,000 sessions the whole issu-state tree costs seconds and ~6.7 KB a
 * session; most filters name what they want (issuctl's `show issu sessions
 * C`, `negotiated version S`, a poller's one session): those get a tree of
 * the small leaves, the endpoint and the entries they name, built from the
 * snapshot per request, on which the filter selects exactly what it would
 * select from the whole tree. Only what is read here with certainty is
 * picked; everything else (wildcards, //, .., axes, functions, predicates
 * this does not know) takes the whole tree (pick->all). */

void issu_nc_pick_free(struct issu_nc_pick *pick)
{
    free(pick->clients);
    free(pick->sessions);
    memset(pick, 0, sizeof(*pick));
}

/* strict decimal as libyang prints a uint32 (no sign, no leading zero) */
static int parse_id(const char *s, size_t n, uint32_t *id)
{
    uint64_t v = 0;
    size_t i;

    if (!n || n > 10 || (s[0] == '0' && n > 1))
        return 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return 0;
    *id = (uint32_t)v;
    return 1;
}

static int add_idx(uint32_t **v, uint32_t *n, uint32_t i)
{
    uint32_t *p;

    if (!(*n & (*n + 1)) || !*v) { /* grow at 0, 1, 3, 7, ... */
        p = realloc(*v, (size_t)(*n + 1) * 2 * sizeof(**v));
        if (!p)
            return ISSU_ERR_NOMEM;
        *v = p;
    }
    (*v)[(*n)++] = i;
    return ISSU_OK;
}

enum pick_key { PK_CLIENT_ID, PK_SESSION_ID, PK_SESSION_CLIENT };

static int pick_key(struct issu_nc_pick *pick, const struct issu_snapshot *s, enum pick_key k, uint32_t id)
{
    const struct issu_client_result *c;
    const struct issu_session *se;
    uint32_t i;

    switch (k) {
    case PK_CLIENT_ID:
        if ((c = issu_snapshot_client(s, id)))
            return add_idx(&pick->clients, &pick->n_clients, (uint32_t)(c - s->clients));
        return ISSU_OK;
    case PK_SESSION_ID:
        if ((se = issu_snapshot_session(s, id)))
            return add_idx(&pick->sessions, &pick->n_sessions, (uint32_t)(se - s->sessions));
        return ISSU_OK;
    default:
        if (!(c = issu_snapshot_client(s, id)))
            return ISSU_OK;
        for (i = 0; i < c->n_sessions; i++)
            ISSU_CHECK(add_idx(&pick->sessions, &pick->n_sessions, c->first_session + i));
        return ISSU_OK;
    }
}

/* issu-state's children a filter may name without picking entries: small,
 * always in a picked tree */
static int is_small_part(const char *name, size_t n)
{
    static const char *const small[] = {"verdict", "verdict-reason", "blocking-client", "summary", "local",
                                        "peer", "endpoint", "history"};
    size_t i;

    for (i = 0; i < sizeof(small) / sizeof(small[0]); i++)
        if (strlen(small[i]) == n && !strncmp(small[i], name, n))
            return 1;
    return 0;
}

/* One subtree filter element under issu-state. */
static int pick_subtree(struct issu_nc *nc, const struct lyd_node *f, const struct issu_snapshot *s,
                        struct issu_nc_pick *pick)
{
    const struct lyd_node *c;
    const struct lys_module *mod, *cmod;
    const char *name, *value, *cname, *cvalue;
    enum pick_key k = PK_CLIENT_ID;
    uint32_t id;
    int found = 0;

    if (!fnode(nc, f, &mod, &name, &value) || mod != nc->mod)
        return ISSU_OK; /* refused or empty by subtree_r either way */
    if (!strcmp(name, "running-image")) {
        pick->image = 1;
        return ISSU_OK;
    }
    if (strcmp(name, "client") && strcmp(name, "session"))
        return ISSU_OK;
    LY_LIST_FOR(lyd_child(f), c) {
        if (!fnode(nc, c, &cmod, &cname, &cvalue) || cmod != nc->mod || !is_match(c, cvalue))
            continue;
        if (!strcmp(name, "client") && !strcmp(cname, "id"))
            k = PK_CLIENT_ID;
        else if (!strcmp(name, "session") && !strcmp(cname, "session-id"))
            k = PK_SESSION_ID;
        else if (!strcmp(name, "session") && !strcmp(cname, "client-id") && !found)
            k = PK_SESSION_CLIENT;
        else
            continue;
        if (!parse_id(cvalue, strlen(cvalue), &id)) {
            pick->all = 1; /* a value libyang may read differently */
            return ISSU_OK;
        }
        found = 1;
        if (k != PK_SESSION_CLIENT)
            break; /* the key: at most one entry */
    }
    if (!found) {
        /* every entry: cheap for clients (what a content match on another
         * leaf, or a selection, picks among them is inside each entry) */
        if (!strcmp(name, "client"))
            pick->all_clients = 1;
        else
            pick->all = 1;
        return ISSU_OK;
    }
    return pick_key(pick, s, k, id);
}

/* The rest of a location path after the picked step: child steps, each
 * with optional predicates comparing a child leaf to a literal
 * ([name='v']), so that it stays inside what was picked. */
static int plain_steps(const char *p, size_t n)
{
    static const char name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-:";
    const char *e = p + n;
    char q;

    while (p < e) {
        if (*p++ != '/' || p == e || !strchr(name, *p))
            return 0;
        while (p < e && strchr(name, *p))
            p++;
        while (p < e && *p == '[') {
            p++;
            if (p == e || !strchr(name, *p))
                return 0;
            while (p < e && strchr(name, *p))
                p++;
            if (p == e || *p++ != '=' || p == e || (*p != '\'' && *p != '"'))
                return 0;
            q = *p++;
            while (p < e && *p != q)
                p++;
            if (p == e || ++p == e || *p++ != ']')
                return 0;
        }
    }
    return 1;
}

#define PSTATE "/" ISSU_NC_STATE_MOD ":issu-state"
#define PPREFIX ISSU_NC_STATE_MOD ":"

/* Past an optional "issu-agent:" prefix of a step in q..e. */
static const char *skip_prefix(const char *q, const char *e)
{
    size_t n = strlen(PPREFIX);

    return (size_t)(e - q) > n && !strncmp(q, PPREFIX, n) ? q + n : q;
}

/* One path of an XPath union (trimmed, p[0..n)). */
static int pick_xpath_path(struct issu_nc *nc, const char *p, size_t n, const struct issu_snapshot *s,
                           struct issu_nc_pick *pick)
{
    const char *e = p + n, *q, *name, *key, *v;
    size_t nl, kl, vl;
    enum pick_key k;
    uint32_t id;
    char quote;
    int img;

    (void)nc;
    if (n < strlen(PSTATE) || strncmp(p, PSTATE, strlen(PSTATE))) {
        /* a path from another top-level node selects nothing in issu-state */
        q = p;
        if (q < e && *q == '/')
            q++;
        nl = strspn(q, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.");
        if (q == p || !nl || q + nl >= e || q[nl] != ':' ||
            (nl == strlen(ISSU_NC_STATE_MOD) && !strncmp(q, ISSU_NC_STATE_MOD, nl)))
            pick->all = 1;
        return ISSU_OK;
    }
    q = p + strlen(PSTATE);
    if (q == e || *q != '/' || q + 1 == e) {
        pick->all = 1; /* the whole container, or something after it */
        return ISSU_OK;
    }
    q++;
    q = skip_prefix(q, e);
    name = q;
    nl = strspn(q, "abcdefghijklmnopqrstuvwxyz-");
    q += nl;
    if (q < e && *q != '/' && *q != '[') {
        pick->all = 1;
        return ISSU_OK;
    }
    img = nl == strlen("running-image") && !strncmp(name, "running-image", nl);
    if (img || is_small_part(name, nl)) {
        if (!plain_steps(q, (size_t)(e - q)))
            pick->all = 1;
        else if (img)
            pick->image = 1;
        return ISSU_OK;
    }
    /* client (every entry), client[id='C'], session[session-id='S'], session[client-id='C'] */
    if (nl == 6 && !strncmp(name, "client", 6) && plain_steps(q, (size_t)(e - q))) {
        pick->all_clients = 1;
        return ISSU_OK;
    }
    if (q == e || *q != '[') {
        pick->all = 1;
        return ISSU_OK;
    }
    q++;
    q = skip_prefix(q, e);
    key = q;
    kl = strspn(q, "abcdefghijklmnopqrstuvwxyz-");
    q += kl;
    if (nl == 6 && !strncmp(name, "client", 6) && kl == 2 && !strncmp(key, "id", 2))
        k = PK_CLIENT_ID;
    else if (nl == 7 && !strncmp(name, "session", 7) && kl == 10 && !strncmp(key, "session-id", 10))
        k = PK_SESSION_ID;
    else if (nl == 7 && !strncmp(name, "session", 7) && kl == 9 && !strncmp(key, "client-id", 9))
        k = PK_SESSION_CLIENT;
    else {
        pick->all = 1;
        return ISSU_OK;
    }
    if (q == e || *q++ != '=' || q == e || (*q != '\'' && *q != '"')) {
        pick->all = 1;
        return ISSU_OK;
    }
    quote = *q++;
    v = q;
    while (q < e && *q != quote)
        q++;
    vl = (size_t)(q - v);
    if (q == e || q + 1 == e || q[1] != ']' || !parse_id(v, vl, &id) || !plain_steps(q + 2, (size_t)(e - q - 2))) {
        pick->all = 1;
        return ISSU_OK;
    }
    return pick_key(pick, s, k, id);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

/* Ascending, no repeats: clients by index (= by id); sessions by session id
 * (@p s set), sorted as (sid << 32 | index) pairs. */
static int uniq(uint32_t *v, uint32_t *n, const struct issu_snapshot *s)
{
    uint64_t *w;
    uint32_t i, k = 0;

    if (!v || !*n)
        return ISSU_OK;
    if (!(w = malloc(*n * sizeof(*w))))
        return ISSU_ERR_NOMEM;
    for (i = 0; i < *n; i++)
        w[i] = (s ? (uint64_t)s->sessions[v[i]].sid << 32 : 0) | v[i];
    qsort(w, *n, sizeof(*w), cmp_u64);
    for (i = 0; i < *n; i++)
        if (!k || v[k - 1] != (uint32_t)w[i])
            v[k++] = (uint32_t)w[i];
    *n = k;
    free(w);
    return ISSU_OK;
}

int issu_nc_filter_pick(struct issu_nc *nc, const struct lyd_node *rpc, const struct issu_snapshot *s,
                        struct issu_nc_pick *pick)
{
    struct lyd_node *filter = NULL, *f, *c;
    struct lyd_meta *type, *sel;
    const struct lyd_node_any *any;
    const struct lys_module *mod;
    const char *name, *value, *x, *p;
    size_t i, n, depth = 0;
    char quote = 0;
    int rc = ISSU_OK;

    memset(pick, 0, sizeof(*pick));
    lyd_find_path(rpc, "filter", 0, &filter);
    type = filter ? lyd_find_meta(filter->meta, NULL, "ietf-netconf:type") : NULL;
    if (!filter) {
        pick->all = 1;
    } else if (type && !strcmp(lyd_get_meta_value(type), "xpath")) {
        sel = lyd_find_meta(filter->meta, NULL, "ietf-netconf:select");
        x = sel ? lyd_get_meta_value(sel) : NULL;
        if (!x) /* refused by issu_nc_filter_apply */
            return ISSU_OK;
        /* a union of paths: split at '|' outside literals, brackets and parentheses */
        for (p = x, i = 0;; i++) {
            char ch = x[i];
            if (quote) {
                quote = ch == quote ? 0 : quote;
                if (ch)
                    continue;
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                continue;
            } else if (ch == '[' || ch == '(') {
                depth++;
            } else if ((ch == ']' || ch == ')') && depth) {
                depth--;
            }
            if (ch && (ch != '|' || depth))
                continue;
            if (quote || depth) { /* unbalanced: libyang refuses it */
                pick->all = 1;
                break;
            }
            while (p < x + i && strchr(" \t\r\n", *p))
                p++;
            n = (size_t)(x + i - p);
            while (n && strchr(" \t\r\n", p[n - 1]))
                n--;
            ISSU_CHECK_GOTO(pick_xpath_path(nc, p, n, s, pick), rc);
            if (pick->all || !ch)
                break;
            p = x + i + 1;
        }
    } else if (!type || !strcmp(lyd_get_meta_value(type), "subtree")) {
        any = (const struct lyd_node_any *)filter;
        if (any->value_type == LYD_ANYDATA_DATATREE) {
            LY_LIST_FOR(any->value.tree, f) {
                if (!fnode(nc, f, &mod, &name, &value) || mod != nc->mod || strcmp(name, "issu-state"))
                    continue;
                if (!lyd_child(f))
                    pick->all = 1; /* all of it */
                LY_LIST_FOR(lyd_child(f), c) {
                    if (pick->all)
                        break;
                    ISSU_CHECK_GOTO(pick_subtree(nc, c, s, pick), rc);
                }
            }
        }
    }
    if (!pick->all) {
        ISSU_CHECK_GOTO(uniq(pick->clients, &pick->n_clients, NULL), rc);
        ISSU_CHECK_GOTO(uniq(pick->sessions, &pick->n_sessions, s), rc);
    }
cleanup:
    if (rc != ISSU_OK)
        issu_nc_pick_free(pick);
    return rc;
}
