/*
 * nc_nacm.c - NETCONF access control (RFC 8341) for issud's NETCONF face.
 *
 * The rules are data of ietf-netconf-acm, read from --nacm-rules FILE (JSON
 * or XML, validated by libyang) at start and on SIGHUP; a file that fails
 * keeps the rules in force and the log says why. Without a file the
 * built-in default applies: NACM on, read-default permit, exec-default
 * permit, no rules, so that every authenticated user may read and run what
 * changes nothing (get, get-schema, create-subscription, check-upgrade: a
 * precheck in a private pair that never touches a live session), while the
 * operations marked "default deny all" here (renegotiate, kill-session,
 * delete-config: they change live state or end other users' sessions) need
 * a rule that permits them, which the default has not. A recovery session
 * (the UNIX socket as root or as issud's own user) bypasses NACM (RFC 8341
 * 2.5), so those two may always drive the core.
 *
 * Decisions follow RFC 8341 3.4: rule lists in order, those whose groups
 * hold the user (or "*"), rules in order, the first whose module-name,
 * rule-type and access-operations match decides; else default-deny-all,
 * then the *-default leaf. Data a user may not read is removed from the
 * reply (a node denied takes its subtree with it; a denied list key takes
 * its entry). Counters: denied-operations, denied-data-writes (always 0:
 * issud has no writable datastore), denied-notifications; they count since
 * start, across reloads. enable-external-groups is accepted, but no
 * transport of issud reports groups: groups come from the rules file.
 */
#include "nc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "file.h"
#include "issu_err.h"

#define NACM_MOD "ietf-netconf-acm"
/** A rules file may not be larger. */
#define NACM_MAX_SIZE (4 << 20)

enum rule_type { RT_ANY, RT_RPC, RT_NOTIF, RT_DATA };

struct nacm_rule {
    char *module;   /**< "*" or a module name */
    enum rule_type type;
    char *target;   /**< rpc-name, notification-name ("*" or a name) or path */
    unsigned ops;   /**< ISSU_NC_NACM_* bits */
    int permit;
};

struct nacm_list {
    char **groups;
    size_t n_groups;
    int all;        /**< group "*" */
    struct nacm_rule *rules;
    size_t n_rules;
};

struct nacm_group {
    char *name;
    char **users;
    size_t n_users;
};

/** The rules in force (immutable once built; refcounted). */
struct issu_nc_nacm {
    unsigned refs;
    int enable, read_permit, write_permit, exec_permit, external_groups;
    struct nacm_group *groups;
    size_t n_groups;
    struct nacm_list *lists;
    size_t n_lists;
    struct lyd_node *tree;   /**< the file's validated data (NULL: built-in default) */
    char source[512];
};

/* Operations that change live state or end others' sessions: denied unless a
 * rule permits them (RFC 8341 default-deny-all; kill-session and
 * delete-config carry it in RFC 8341's ietf-netconf, which yuma's copy lacks). */
static const char *const deny_all_ops[][2] = {
    {"ietf-netconf", "kill-session"},
    {"ietf-netconf", "delete-config"},
    {ISSU_NC_STATE_MOD, "renegotiate"},
};

static void cfg_free(struct issu_nc_nacm *c)
{
    size_t i, j;

    if (!c)
        return;
    for (i = 0; i < c->n_groups; i++) {
        for (j = 0; j < c->groups[i].n_users; j++)
            free(c->groups[i].users[j]);
        free(c->groups[i].users);
        free(c->groups[i].name);
    }
    free(c->groups);
    for (i = 0; i < c->n_lists; i++) {
        for (j = 0; j < c->lists[i].n_groups; j++)
            free(c->lists[i].groups[j]);
        free(c->lists[i].groups);
        for (j = 0; j < c->lists[i].n_rules; j++) {
            free(c->lists[i].rules[j].module);
            free(c->lists[i].rules[j].target);
        }
        free(c->lists[i].rules);
    }
    free(c->lists);
    lyd_free_all(c->tree);
    free(c);
}

void issu_nc_nacm_put(struct issu_nc_nacm *c)
{
    if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
        cfg_free(c);
}

/* The rules in force, with a reference. */
static struct issu_nc_nacm *cfg_get(struct issu_nc *nc)
{
    struct issu_nc_nacm *c;

    pthread_mutex_lock(&nc->nacm_mu);
    c = nc->nacm;
    if (c)
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_ACQ_REL);
    pthread_mutex_unlock(&nc->nacm_mu);
    return c;
}

static int push_str(char ***arr, size_t *n, const char *s)
{
    char **a = realloc(*arr, (*n + 1) * sizeof(**arr));

    if (!a)
        return ISSU_ERR_NOMEM;
    *arr = a;
    a[*n] = strdup(s);
    if (!a[*n])
        return ISSU_ERR_NOMEM;
    (*n)++;
    return ISSU_OK;
}

static const char *child_value(const struct lyd_node *n, const char *name)
{
    const struct lyd_node *c;

    LY_LIST_FOR(lyd_child(n), c)
        if (c->schema && !strcmp(c->schema->name, name))
            return lyd_get_value(c);
    return NULL;
}

/* access-operations: "*" or bits "create read update delete exec". */
static unsigned parse_ops(const char *v)
{
    static const struct { const char *name; unsigned bit; } bits[] = {
        {"create", ISSU_NC_NACM_CREATE}, {"read", ISSU_NC_NACM_READ}, {"update", ISSU_NC_NACM_UPDATE},
        {"delete", ISSU_NC_NACM_DELETE}, {"exec", ISSU_NC_NACM_EXEC},
    };
    unsigned ops = 0;
    size_t i, n;

    if (!v || !strcmp(v, "*"))
        return ISSU_NC_NACM_ALL;
    while (*v) {
        v += strspn(v, " ");
        n = strcspn(v, " ");
        for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
            if (strlen(bits[i].name) == n && !strncmp(v, bits[i].name, n))
                ops |= bits[i].bit;
        v += n;
    }
    return ops;
}

static int compile_rule(struct nacm_list *l, const struct lyd_node *r)
{
    struct nacm_rule *nr, *a;
    const char *v;

    a = realloc(l->rules, (l->n_rules + 1) * sizeof(*a));
    if (!a)
        return ISSU_ERR_NOMEM;
    l->rules = a;
    nr = &a[l->n_rules++];
    memset(nr, 0, sizeof(*nr));
    v = child_value(r, "module-name");
    nr->module = strdup(v ? v : "*");
    if (!nr->module)
        return ISSU_ERR_NOMEM;
    if ((v = child_value(r, "rpc-name")))
        nr->type = RT_RPC;
    else if ((v = child_value(r, "notification-name")))
        nr->type = RT_NOTIF;
    else if ((v = child_value(r, "path")))
        nr->type = RT_DATA;
    if (v && !(nr->target = strdup(v)))
        return ISSU_ERR_NOMEM;
    nr->ops = parse_ops(child_value(r, "access-operations"));
    v = child_value(r, "action");
    nr->permit = v && !strcmp(v, "permit");
    return ISSU_OK;
}

/* The validated ietf-netconf-acm data @p tree (taken) as rules. */
static int compile(struct lyd_node *tree, const char *source, struct issu_nc_nacm **out)
{
    struct issu_nc_nacm *c;
    const struct lyd_node *top = NULL, *n, *g, *x;
    const char *v;
    int rc = ISSU_OK;

    c = calloc(1, sizeof(*c));
    if (!c) {
        lyd_free_all(tree);
        return ISSU_ERR_NOMEM;
    }
    c->refs = 1;
    c->tree = tree;
    snprintf(c->source, sizeof(c->source), "%s", source);
    c->enable = c->read_permit = c->exec_permit = c->external_groups = 1;
    LY_LIST_FOR(tree, n)
        if (n->schema && !strcmp(n->schema->name, "nacm") && !strcmp(n->schema->module->name, NACM_MOD))
            top = n;
    if (top) {
        c->enable = !(v = child_value(top, "enable-nacm")) || strcmp(v, "false");
        c->read_permit = !(v = child_value(top, "read-default")) || !strcmp(v, "permit");
        c->write_permit = (v = child_value(top, "write-default")) && !strcmp(v, "permit");
        c->exec_permit = !(v = child_value(top, "exec-default")) || !strcmp(v, "permit");
        c->external_groups = !(v = child_value(top, "enable-external-groups")) || strcmp(v, "false");
        LY_LIST_FOR(lyd_child(top), n) {
            if (!n->schema)
                continue;
            if (!strcmp(n->schema->name, "groups")) {
                LY_LIST_FOR(lyd_child(n), g) {
                    struct nacm_group *a = realloc(c->groups, (c->n_groups + 1) * sizeof(*a));
                    ISSU_CHECK_MEM(a, rc);
                    c->groups = a;
                    memset(&a[c->n_groups], 0, sizeof(*a));
                    a[c->n_groups].name = strdup(child_value(g, "name"));
                    ISSU_CHECK_MEM(a[c->n_groups].name, rc);
                    c->n_groups++;
                    LY_LIST_FOR(lyd_child(g), x)
                        if (x->schema && !strcmp(x->schema->name, "user-name"))
                            ISSU_CHECK_GOTO(push_str(&a[c->n_groups - 1].users, &a[c->n_groups - 1].n_users,
                                                     lyd_get_value(x)), rc);
                }
            } else if (!strcmp(n->schema->name, "rule-list")) {
                struct nacm_list *a = realloc(c->lists, (c->n_lists + 1) * sizeof(*a)), *l;
                ISSU_CHECK_MEM(a, rc);
                c->lists = a;
                l = &a[c->n_lists++];
                memset(l, 0, sizeof(*l));
                LY_LIST_FOR(lyd_child(n), x) {
                    if (!x->schema)
                        continue;
                    if (!strcmp(x->schema->name, "group")) {
                        if (!strcmp(lyd_get_value(x), "*"))
                            l->all = 1;
                        ISSU_CHECK_GOTO(push_str(&l->groups, &l->n_groups, lyd_get_value(x)), rc);
                    } else if (!strcmp(x->schema->name, "rule")) {
                        ISSU_CHECK_GOTO(compile_rule(l, x), rc);
                    }
                }
            }
        }
    }
    *out = c;
    return ISSU_OK;
cleanup:
    cfg_free(c);
    return rc;
}

int issu_nc_nacm_parse(struct issu_nc *nc, const char *name, const char *buf, size_t got, struct issu_nc_nacm **out,
                       char *err, size_t errlen)
{
    struct lyd_node *tree = NULL;
    size_t len = strlen(name);
    LYD_FORMAT fmt;
    const char *m, *p;
    int rc;

    *out = NULL;
    if (got > NACM_MAX_SIZE) {
        snprintf(err, errlen, "%s: larger than %d bytes", name, NACM_MAX_SIZE);
        return ISSU_ERR_INVAL;
    }
    if (memchr(buf, '\0', got) || buf[got] != '\0') {
        snprintf(err, errlen, "%s: holds a NUL byte", name);
        return ISSU_ERR_INVAL;
    }
    p = buf + strspn(buf, " \t\r\n");
    if (!*p) {
        snprintf(err, errlen, "%s: empty (no nacm container)", name);
        return ISSU_ERR_INVAL;
    }
    fmt = (len > 5 && !strcmp(name + len - 5, ".json")) || *p == '{' ? LYD_JSON : LYD_XML;
    ly_err_clean(nc->ctx, NULL);
    if (lyd_parse_data_mem(nc->ctx, buf, fmt, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE,
                           LYD_VALIDATE_PRESENT | LYD_VALIDATE_NO_STATE, &tree) != LY_SUCCESS) {
        m = ly_errmsg(nc->ctx);
        snprintf(err, errlen, "%s: not valid %s data of ietf-netconf-acm: %s", name, fmt == LYD_JSON ? "JSON" : "XML",
                 m ? m : "parse error");
        lyd_free_all(tree);
        return ISSU_ERR_INVAL;
    }
    for (const struct lyd_node *t = tree; t; t = t->next)
        if (t->schema && strcmp(t->schema->module->name, NACM_MOD)) {
            snprintf(err, errlen, "%s: holds %s:%s: only ietf-netconf-acm data (the nacm container) expected", name,
                     t->schema->module->name, t->schema->name);
            lyd_free_all(tree);
            return ISSU_ERR_INVAL;
        }
    rc = compile(tree, name, out);
    if (rc != ISSU_OK)
        snprintf(err, errlen, "%s: out of memory", name);
    return rc;
}

/* Read and validate a rules file: JSON when it says .json or starts with '{', else XML. */
static int load_file(struct issu_nc *nc, const char *path, struct issu_nc_nacm **out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t got = 0;
    int rc;

    *out = NULL;
    ISSU_CHECK_GOTO(issu_file_read(path, NACM_MAX_SIZE, &buf, &got, err, errlen), rc);
    rc = issu_nc_nacm_parse(nc, path, buf, got, out, err, errlen);

cleanup:
    free(buf);
    return rc;
}

int issu_nc_nacm_load_module(struct issu_nc *nc)
{
    if (!ly_ctx_load_module(nc->ctx, NACM_MOD, NULL, NULL)) {
        issu_nc_log(nc, LOG_ERR, "cannot load YANG module %s (package libyuma-base)", NACM_MOD);
        return ISSU_ERR_NOTFOUND;
    }
    return ISSU_OK;
}

int issu_nc_nacm_init(struct issu_nc *nc)
{
    struct issu_nc_nacm *c = NULL;
    char err[1024];
    int rc;

    if (nc->conf.nacm_rules) {
        rc = load_file(nc, nc->conf.nacm_rules, &c, err, sizeof(err));
        if (rc != ISSU_OK) {
            issu_nc_log(nc, LOG_ERR, "NACM rules %s", err);
            return rc;
        }
    } else {
        ISSU_CHECK(compile(NULL, "built-in default (no --nacm-rules)", &c));
    }
    issu_nc_nacm_install(nc, c);
    issu_nc_log(nc, LOG_INFO, "NACM: %s: %zu group(s), %zu rule list(s)%s", c->source, c->n_groups, c->n_lists,
                c->enable ? "" : ", enable-nacm false: not enforced");
    return ISSU_OK;
}

void issu_nc_nacm_install(struct issu_nc *nc, struct issu_nc_nacm *c)
{
    struct issu_nc_nacm *old;

    pthread_mutex_lock(&nc->nacm_mu);
    old = nc->nacm;
    nc->nacm = c;
    pthread_mutex_unlock(&nc->nacm_mu);
    issu_nc_nacm_put(old);
}

int issu_nc_nacm_reload(struct issu_nc *nc)
{
    struct issu_nc_nacm *c = NULL;
    char err[1024];
    int rc;

    if (!nc->conf.nacm_rules)
        return ISSU_OK;
    rc = load_file(nc, nc->conf.nacm_rules, &c, err, sizeof(err));
    if (rc != ISSU_OK) {
        issu_nc_log(nc, LOG_ERR, "NACM reload: %s: keeping the rules in force", err);
        return rc;
    }
    issu_nc_nacm_install(nc, c);
    issu_nc_log(nc, LOG_INFO, "NACM reloaded: %s: %zu group(s), %zu rule list(s)%s", c->source, c->n_groups,
                c->n_lists, c->enable ? "" : ", enable-nacm false: not enforced");
    return ISSU_OK;
}

void issu_nc_nacm_free(struct issu_nc *nc)
{
    issu_nc_nacm_put(nc->nacm);
    nc->nacm = NULL;
}

/* ------------------------------------------------------------ decisions */

static int user_in(const struct issu_nc_nacm *c, const char *user, const char *group)
{
    size_t i, j;

    for (i = 0; i < c->n_groups; i++) {
        if (strcmp(c->groups[i].name, group))
            continue;
        for (j = 0; j < c->groups[i].n_users; j++)
            if (!strcmp(c->groups[i].users[j], user))
                return 1;
    }
    return 0;
}

static int list_applies(const struct issu_nc_nacm *c, const struct nacm_list *l, const char *user)
{
    size_t i;

    if (l->all)
        return 1;
    for (i = 0; i < l->n_groups; i++)
        if (user_in(c, user, l->groups[i]))
            return 1;
    return 0;
}

/* The first rule deciding an RPC or a notification: 1 permit, 0 deny, -1 none. */
static int decide_named(const struct issu_nc_nacm *c, const char *user, enum rule_type type, const char *module,
                        const char *name, unsigned op)
{
    size_t i, j;

    for (i = 0; i < c->n_lists; i++) {
        if (!list_applies(c, &c->lists[i], user))
            continue;
        for (j = 0; j < c->lists[i].n_rules; j++) {
            const struct nacm_rule *r = &c->lists[i].rules[j];
            if (!(r->ops & op) || (strcmp(r->module, "*") && strcmp(r->module, module)))
                continue;
            if (r->type != RT_ANY && (r->type != type || (strcmp(r->target, "*") && strcmp(r->target, name))))
                continue;
            return r->permit;
        }
    }
    return -1;
}

/* Who the session is: its user, and whether NACM applies to it at all. */
static struct issu_nc_who who(struct nc_session *s)
{
    struct issu_nc_link *l = s ? nc_session_get_data(s) : NULL;
    struct issu_nc_who w = {issu_nc_lnc2_username(s), l && l->recovery, s ? nc_session_get_id(s) : 0};

    return w;
}

int issu_nc_nacm_exec(struct issu_nc *nc, struct nc_session *session, const struct lysc_node *op)
{
    struct issu_nc_who w = who(session);

    return issu_nc_nacm_exec_who(nc, &w, op);
}

int issu_nc_nacm_exec_who(struct issu_nc *nc, const struct issu_nc_who *w, const struct lysc_node *op)
{
    struct issu_nc_nacm *c;
    const char *user = w->user, *mod;
    int d;
    size_t i;

    if (w->recovery || !op)
        return 1;
    mod = op->module->name;
    if (!strcmp(mod, "ietf-netconf") && !strcmp(op->name, "close-session"))
        return 1; /* RFC 8341 3.4.4: always permitted */
    c = cfg_get(nc);
    if (!c || !c->enable) {
        issu_nc_nacm_put(c);
        return 1;
    }
    d = decide_named(c, user, RT_RPC, mod, op->name, ISSU_NC_NACM_EXEC);
    if (d < 0) {
        d = c->exec_permit;
        for (i = 0; i < sizeof(deny_all_ops) / sizeof(deny_all_ops[0]); i++)
            if (!strcmp(mod, deny_all_ops[i][0]) && !strcmp(op->name, deny_all_ops[i][1]))
                d = 0;
    }
    issu_nc_nacm_put(c);
    if (!d) {
        __atomic_add_fetch(&nc->nacm_denied_ops, 1, __ATOMIC_RELAXED);
        issu_nc_ratelog(nc, ISSU_NC_RL_NACM, LOG_NOTICE, "NACM: session %u (user %s): %s:%s denied", w->sid, user,
                        mod, op->name);
    }
    return d;
}

struct nc_server_reply *issu_nc_nacm_denied_reply(struct issu_nc *nc, const struct lysc_node *op)
{
    struct lyd_node *e;
    char path[256];

    /* RFC 8341 3.4.4 / RFC 6241 A: error-type protocol, error-tag
     * access-denied, error-path the requested operation */
    e = nc_err(nc->ctx, NC_ERR_ACCESS_DENIED, NC_ERR_TYPE_PROT);
    if (!e)
        return NULL;
    snprintf(path, sizeof(path), "/ietf-netconf:rpc/%s:%s", op ? op->module->name : "ietf-netconf",
             op ? op->name : "rpc");
    nc_err_set_path(e, path);
    nc_err_set_msg(e, "access denied", "en");
    return nc_server_reply_err(e);
}

int issu_nc_nacm_notif(struct issu_nc *nc, struct nc_session *session, const struct lyd_node *notif)
{
    struct issu_nc_who w = who(session);

    return issu_nc_nacm_notif_who(nc, &w, notif);
}

int issu_nc_nacm_notif_who(struct issu_nc *nc, const struct issu_nc_who *w, const struct lyd_node *notif)
{
    struct issu_nc_nacm *c;
    const char *user = w->user;
    int d;

    if (w->recovery || !notif || !notif->schema)
        return 1;
    c = cfg_get(nc);
    if (!c || !c->enable) {
        issu_nc_nacm_put(c);
        return 1;
    }
    d = decide_named(c, user, RT_NOTIF, notif->schema->module->name, notif->schema->name, ISSU_NC_NACM_READ);
    if (d < 0)
        d = c->read_permit;
    issu_nc_nacm_put(c);
    if (!d)
        __atomic_add_fetch(&nc->nacm_denied_notifs, 1, __ATOMIC_RELAXED);
    return d;
}

/* Whether data rule @p r could select a node of module @p mod: its module
 * matches, and a path starting "/other-module:" selects only that module's
 * data (any other form of path may select anything). */
static int rule_reaches(const struct nacm_rule *r, const char *mod)
{
    size_t n;

    if (!mod)
        return 1;
    if (strcmp(r->module, "*") && strcmp(r->module, mod))
        return 0;
    if (r->type != RT_DATA || r->target[0] != '/')
        return 1;
    n = strcspn(r->target + 1, ":/[*");
    if (r->target[1 + n] != ':')
        return 1;
    return strlen(mod) == n && !strncmp(r->target + 1, mod, n);
}

/* Whether a rule or the default could remove something of @p mod (NULL:
 * any module) from @p user's reads. */
static int read_restricted(const struct issu_nc_nacm *c, const char *user, const char *mod)
{
    size_t i, j;

    if (!c->read_permit)
        return 1;
    for (i = 0; i < c->n_lists; i++) {
        if (!list_applies(c, &c->lists[i], user))
            continue;
        for (j = 0; j < c->lists[i].n_rules; j++) {
            const struct nacm_rule *r = &c->lists[i].rules[j];
            if ((r->ops & ISSU_NC_NACM_READ) && !r->permit && (r->type == RT_ANY || r->type == RT_DATA) &&
                rule_reaches(r, mod))
                return 1;
        }
    }
    return 0;
}

int issu_nc_nacm_read_all(struct issu_nc *nc, struct nc_session *session, const char *mod)
{
    struct issu_nc_who w = who(session);

    return issu_nc_nacm_read_all_who(nc, &w, mod);
}

int issu_nc_nacm_read_all_who(struct issu_nc *nc, const struct issu_nc_who *w, const char *mod)
{
    struct issu_nc_nacm *c;
    int all;

    if (w->recovery)
        return 1;
    c = cfg_get(nc);
    all = !c || !c->enable || !read_restricted(c, w->user, mod);
    issu_nc_nacm_put(c);
    return all;
}

/* Pruning state: the data rules that apply to the user, in order, each
 * with the nodes its path selects (sorted by address, for bsearch). */
struct prune {
    const struct issu_nc_nacm *c;
    const struct nacm_rule **rules;
    struct ly_set **sets;       /**< per rule: the nodes of its path (RT_DATA), else NULL */
    size_t n;
};

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

    return x < y ? -1 : x > y;
}

/* @p s sorted by address (a path may select 10,000 sessions of a tree of 100,000 nodes). */
static int in_set(const struct ly_set *s, const struct lyd_node *n)
{
    return s && s->count && bsearch(&n, s->dnodes, s->count, sizeof(*s->dnodes), cmp_ptr);
}

static int deny_all_node(const struct lyd_node *n)
{
    /* the nacm container carries nacm:default-deny-all */
    return n->schema && !n->parent && !strcmp(n->schema->name, "nacm") &&
           !strcmp(n->schema->module->name, NACM_MOD);
}

/* Remove what the user may not read from @p n's subtree; @p hit[i]: an
 * ancestor is selected by rule i's path (a path covers the descendants of
 * what it selects). 1 when @p n itself is denied. */
static int prune_node(struct prune *p, struct lyd_node *n, const unsigned char *hit)
{
    unsigned char *mine = NULL;
    struct lyd_node *c, *next;
    int d = -1;
    size_t i;

    if (!n->schema)
        return 0;
    if (p->n) {
        mine = malloc(p->n);
        if (!mine)
            return 1; /* deny what cannot be decided */
        for (i = 0; i < p->n; i++)
            mine[i] = hit[i] || (p->sets[i] && in_set(p->sets[i], n));
    }
    for (i = 0; i < p->n && d < 0; i++) {
        const struct nacm_rule *r = p->rules[i];
        if (strcmp(r->module, "*") && strcmp(r->module, n->schema->module->name))
            continue;
        if (r->type == RT_DATA && !mine[i])
            continue;
        d = r->permit;
    }
    if (d < 0) /* no rule: each node on its own (RFC 8341 3.4.5) */
        d = deny_all_node(n) ? 0 : p->c->read_permit;
    if (!d) {
        free(mine);
        return 1;
    }
    for (c = lyd_child_no_keys(n); c; c = next) {
        next = c->next;
        if (prune_node(p, c, mine))
            lyd_free_tree(c);
    }
    /* a key the user may not read takes its list entry */
    if (n->schema->nodetype == LYS_LIST && !(n->schema->flags & LYS_KEYLESS))
        for (c = lyd_child(n); c && c->schema && lysc_is_key(c->schema); c = c->next)
            if (prune_node(p, c, mine)) {
                free(mine);
                return 1;
            }
    free(mine);
    return 0;
}

int issu_nc_nacm_prune(struct issu_nc *nc, struct nc_session *session, struct lyd_node **tree)
{
    struct issu_nc_who w = who(session);

    return issu_nc_nacm_prune_who(nc, &w, tree);
}

int issu_nc_nacm_prune_who(struct issu_nc *nc, const struct issu_nc_who *w, struct lyd_node **tree)
{
    struct issu_nc_nacm *c = NULL;
    struct prune p = {0};
    struct lyd_node *n, *next;
    const char *user = w->user;
    unsigned char *hit = NULL;
    int rc = ISSU_OK;
    size_t i, j, cap = 0;

    if (w->recovery || !*tree)
        return ISSU_OK;
    c = cfg_get(nc);
    if (!c || !c->enable)
        goto cleanup;
    p.c = c;
    for (i = 0; i < c->n_lists; i++)
        if (list_applies(c, &c->lists[i], user))
            cap += c->lists[i].n_rules;
    p.rules = calloc(cap + 1, sizeof(*p.rules));
    p.sets = calloc(cap + 1, sizeof(*p.sets));
    hit = calloc(cap + 1, 1);
    if (!p.rules || !p.sets || !hit) {
        rc = ISSU_ERR_NOMEM;
        goto cleanup;
    }
    for (i = 0; i < c->n_lists; i++) {
        if (!list_applies(c, &c->lists[i], user))
            continue;
        for (j = 0; j < c->lists[i].n_rules; j++) {
            const struct nacm_rule *r = &c->lists[i].rules[j];
            if (!(r->ops & ISSU_NC_NACM_READ) || (r->type != RT_ANY && r->type != RT_DATA))
                continue;
            if (r->type == RT_DATA) {
                /* a path names instances: those it selects in this reply (all top-level trees) */
                if (lyd_find_xpath(*tree, r->target, &p.sets[p.n]) != LY_SUCCESS) {
                    ly_set_free(p.sets[p.n], NULL);
                    p.sets[p.n] = NULL;
                    continue; /* selects nothing here */
                }
                if (p.sets[p.n]->count)
                    qsort(p.sets[p.n]->dnodes, p.sets[p.n]->count, sizeof(*p.sets[p.n]->dnodes), cmp_ptr);
            }
            p.rules[p.n++] = r;
        }
    }
    for (n = *tree; n; n = next) {
        next = n->next;
        if (prune_node(&p, n, hit)) {
            if (n == *tree)
                *tree = next;
            lyd_free_tree(n);
        }
    }

cleanup:
    if (rc != ISSU_OK) { /* fail closed: nothing rather than what may be denied */
        lyd_free_all(*tree);
        *tree = NULL;
    }
    for (i = 0; i < p.n; i++)
        ly_set_free(p.sets[i], NULL);
    free(p.sets);
    free(p.rules);
    free(hit);
    issu_nc_nacm_put(c);
    return rc;
}

int issu_nc_nacm_state(struct issu_nc *nc, struct lyd_node **out)
{
    const struct lys_module *m = ly_ctx_get_module_implemented(nc->ctx, NACM_MOD);
    struct issu_nc_nacm *c = cfg_get(nc);
    struct lyd_node *top = NULL, *n;
    int rc = ISSU_OK;

    *out = NULL;
    if (!m || !c)
        goto cleanup;
    for (n = c->tree; n; n = n->next)
        if (n->schema && !strcmp(n->schema->name, "nacm"))
            break;
    if (n) {
        if (lyd_dup_single(n, NULL, LYD_DUP_RECURSIVE | LYD_DUP_WITH_FLAGS, &top) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    } else {
        if (lyd_new_inner(NULL, m, "nacm", 0, &top) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
        ISSU_CHECK_GOTO(issu_nc_term(top, m, "enable-nacm", "true"), rc);
        ISSU_CHECK_GOTO(issu_nc_term(top, m, "read-default", "permit"), rc);
        ISSU_CHECK_GOTO(issu_nc_term(top, m, "write-default", "deny"), rc);
        ISSU_CHECK_GOTO(issu_nc_term(top, m, "exec-default", "permit"), rc);
    }
    ISSU_CHECK_GOTO(issu_nc_term_u(top, m, "denied-operations",
                                   (uint32_t)__atomic_load_n(&nc->nacm_denied_ops, __ATOMIC_RELAXED)), rc);
    ISSU_CHECK_GOTO(issu_nc_term_u(top, m, "denied-data-writes", 0), rc);
    ISSU_CHECK_GOTO(issu_nc_term_u(top, m, "denied-notifications",
                                   (uint32_t)__atomic_load_n(&nc->nacm_denied_notifs, __ATOMIC_RELAXED)), rc);
    *out = top;
    top = NULL;

cleanup:
    lyd_free_all(top);
    issu_nc_nacm_put(c);
    return rc;
}

int issu_nc_nacm_check_file(const char *path, char *err, size_t errlen)
{
    struct issu_nc *nc = calloc(1, sizeof(*nc));
    struct issu_nc_nacm *c = NULL;
    int rc;

    if (!nc)
        return ISSU_ERR_NOMEM;
    pthread_mutex_init(&nc->rl_mu, NULL);
    rc = issu_nc_ctx_load(nc);
    if (rc != ISSU_OK)
        snprintf(err, errlen, "%s: cannot load the YANG modules to check it", path);
    else
        rc = load_file(nc, path, &c, err, errlen);
    issu_nc_nacm_put(c);
    ly_ctx_destroy(nc->ctx);
    pthread_mutex_destroy(&nc->rl_mu);
    free(nc);
    return rc;
}
