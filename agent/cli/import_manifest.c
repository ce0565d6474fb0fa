/*
 * import_manifest.c - the manifest of a capture (import_manifest.h).
 *
 * Per client, in id order: its entities (from any view that names them),
 * each entity's message group from `message types` (versions and MTUs),
 * else from `message groups` with the MTU `negotiated version` shows,
 * its session (name, id, groups, Transport_Mtu, policy) and its
 * capability group from `negotiated capability`. Cross-checks between
 * views that disagree (the seed's MFI clients) are warnings; the
 * `message types` view wins for what an image supports.
 */
#include "import_manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "image.h"
#include "issu_err.h"
#include "manifest.h"

/* Entity_Count of a client seen only in `show issu clients` above this is
 * not made into placeholder entities one by one */
#define MAX_PLACEHOLDER_ENTITIES 1024u

int issu_knowledge_load(struct ly_ctx *ctx, const char *path, struct lyd_node **tree, char *err, size_t errlen)
{
    char *data = NULL;
    size_t len = 0;
    int rc = ISSU_OK, fmt;
    struct lyd_node *t = NULL;
    uint32_t logopts = LY_LOSTORE_LAST;

    *tree = NULL;
    if (!ly_ctx_load_module(ctx, ISSU_KNOWLEDGE_MODULE, NULL, NULL)) {
        snprintf(err, errlen, "cannot load YANG module %s (set ISSU_YANG_DIR?)", ISSU_KNOWLEDGE_MODULE);
        return ISSU_ERR_NOTFOUND;
    }
    /* the manifest reader's checks: regular file, size limit, not empty */
    ISSU_CHECK(issu_manifest_read_file(path, &data, &len, err, errlen));
    ly_temp_log_options(&logopts); /* the error goes into err, not to stderr */
    fmt = issu_manifest_format_of(path, data, len);
    if (lyd_parse_data_mem(ctx, data, fmt == ISSU_MANIFEST_XML ? LYD_XML : LYD_JSON, LYD_PARSE_STRICT,
                           LYD_VALIDATE_PRESENT, &t) != LY_SUCCESS) {
        const struct ly_err_item *e = ly_err_last(ctx);
        snprintf(err, errlen, "%s: %s", path, e && e->msg ? e->msg : "invalid knowledge file");
        rc = ISSU_ERR_INVAL;
        goto cleanup;
    }
    if (!t || t->next || !t->schema || strcmp(LYD_NAME(t), "knowledge") ||
        strcmp(t->schema->module->name, ISSU_KNOWLEDGE_MODULE)) {
        snprintf(err, errlen, "%s: no container %s:knowledge", path, ISSU_KNOWLEDGE_MODULE);
        rc = ISSU_ERR_INVAL;
        goto cleanup;
    }
    *tree = t;
    t = NULL;
cleanup:
    ly_temp_log_options(NULL);
    lyd_free_all(t);
    free(data);
    return rc;
}

/* ---- a compact list of ids for the description ---- */

struct ids {
    char buf[400];
    size_t len, n;
};

static void ids_add(struct ids *s, uint32_t id)
{
    if (s->n < 40 && s->len + 12 < sizeof(s->buf))
        s->len += (size_t)snprintf(s->buf + s->len, sizeof(s->buf) - s->len, "%s%u", s->n ? ", " : "", id);
    s->n++;
}

static const char *ids_str(struct ids *s)
{
    if (s->n > 40 && s->len + 24 < sizeof(s->buf))
        snprintf(s->buf + s->len, sizeof(s->buf) - s->len, " and %zu more", s->n - 40);
    return s->buf;
}

/* ---- the builder ---- */

struct build {
    struct ly_ctx *ctx;
    const struct lys_module *mod;
    struct issu_capture *cap;
    const struct issu_import_opts *o;
    struct ids kb_base, opt_base, kb_pre, opt_pre, no_types, no_caps, placeholder;
    size_t sessions;
};

static int term(struct lyd_node *parent, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int term(struct lyd_node *parent, const char *name, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return lyd_new_term(parent, NULL, name, buf, 0, NULL) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

static int list(struct lyd_node *parent, const char *name, uint32_t key, struct lyd_node **out)
{
    char k[16];

    snprintf(k, sizeof(k), "%u", key);
    return lyd_new_list(parent, NULL, name, 0, out, k) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

static int cmp_client(const void *a, const void *b)
{
    const struct issu_imp_client *const *x = a, *const *y = b;

    return ((*x)->id > (*y)->id) - ((*x)->id < (*y)->id);
}

static int cmp_entity(const void *a, const void *b)
{
    const struct issu_imp_entity *const *x = a, *const *y = b;

    return ((*x)->id > (*y)->id) - ((*x)->id < (*y)->id);
}

static int cmp_mtype(const void *a, const void *b)
{
    const struct issu_imp_mtype *x = a, *y = b;

    return (x->id > y->id) - (x->id < y->id);
}

static int cmp_ver(const void *a, const void *b)
{
    const struct issu_imp_ver *x = a, *y = b;

    return (x->ver > y->ver) - (x->ver < y->ver);
}

static int is_base(struct build *b, const struct issu_imp_client *c, int *from_opt)
{
    const struct lyd_node *n;
    size_t i;

    for (i = 0; i < b->o->nbase; i++)
        if (b->o->base[i] == c->id)
            return *from_opt = 1;
    *from_opt = 0;
    if (!b->o->knowledge || !c->name)
        return 0;
    LY_LIST_FOR(lyd_child(b->o->knowledge), n) {
        const struct lyd_node *k = lyd_child(n);
        if (!strcmp(LYD_NAME(n), "base-client") && k && !strcmp(lyd_get_value(k), c->name))
            return 1;
    }
    return 0;
}

/* prerequisites of @p c present in the capture, from options or knowledge */
static int prerequisites(struct build *b, struct lyd_node *cl, const struct issu_imp_client *c)
{
    const struct lyd_node *n, *k;
    const uint32_t *pre = NULL;
    uint32_t kpre[64];
    size_t npre = 0, i;
    int from_opt = 0;

    for (i = 0; i < b->o->nprereq; i++)
        if (b->o->prereq[i].client == c->id) {
            pre = b->o->prereq[i].pre;
            npre = b->o->prereq[i].npre;
            from_opt = 1;
        }
    if (!from_opt && b->o->knowledge) {
        LY_LIST_FOR(lyd_child(b->o->knowledge), n) {
            if (strcmp(LYD_NAME(n), "client") || strtoul(lyd_get_value(lyd_child(n)), NULL, 10) != c->id)
                continue;
            LY_LIST_FOR(lyd_child(n), k)
                if (!strcmp(LYD_NAME(k), "prerequisite") && npre < sizeof(kpre) / sizeof(kpre[0]))
                    kpre[npre++] = (uint32_t)strtoul(lyd_get_value(k), NULL, 10);
        }
        pre = kpre;
    }
    if (!npre)
        return ISSU_OK;
    ids_add(from_opt ? &b->opt_pre : &b->kb_pre, c->id);
    for (i = 0; i < npre; i++) {
        size_t j;
        for (j = 0; j < i && pre[j] != pre[i]; j++)
            ;
        if (pre[i] == c->id || j < i)
            continue;
        if (!issu_capture_client(b->cap, pre[i])) {
            ISSU_CHECK(issu_capture_warn(b->cap, "client %u: prerequisite %u (%s) is not in the capture: left out",
                                         c->id, pre[i], from_opt ? "--prerequisite" : "knowledge file"));
            continue;
        }
        ISSU_CHECK(term(cl, "prerequisite", "%u", pre[i]));
    }
    return ISSU_OK;
}

/* the policy a session's "(policy)" and Compat_Result show */
static const char *policy_of(const struct issu_imp_session *s)
{
    if (!(s->have & ISSU_IMP_S_POLICY) || !s->policy)
        return "none";
    if (!(s->have & ISSU_IMP_S_COMPAT) || s->raw_result == s->policy_result)
        return "enforce";
    if (s->policy_result == ISSU_IMP_COMPATIBLE)
        return "allow-degraded";
    if (s->policy_result == ISSU_IMP_INCOMPATIBLE)
        return "deny";
    return "enforce";
}

static const struct issu_imp_negver *neg_of(const struct issu_imp_neg *n, uint32_t type)
{
    size_t i;

    for (i = 0; n && i < n->nvers; i++)
        if (n->vers[i].type == type && !n->vers[i].failed)
            return &n->vers[i];
    return NULL;
}

/* the message types of one entity into group node @p g */
static int message_types(struct build *b, const struct issu_imp_client *c, struct issu_imp_entity *e,
                         const struct issu_imp_neg *neg, struct lyd_node *g, uint32_t gid)
{
    struct lyd_node *t, *v;
    size_t i, j;
    size_t ntypes = 0;

    if (e->has_types) {
        qsort(e->types, e->ntypes, sizeof(*e->types), cmp_mtype);
        for (i = 0; i < e->ntypes; i++) {
            struct issu_imp_mtype *mt = &e->types[i];
            const struct issu_imp_negver *nv = neg_of(neg, mt->id);
            size_t last;
            if (!mt->nv) {
                if (nv && nv->ver >= mt->lo && nv->ver <= mt->hi) {
                    ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u lists no "
                                                 "Message_Ver line: imported with the negotiated version %u only",
                                                 c->id, e->id, mt->id, nv->ver));
                    ISSU_CHECK(list(g, "message-type", mt->id, &t));
                    ISSU_CHECK(list(t, "version", nv->ver, &v));
                    ISSU_CHECK(term(v, "mtu", "%u", nv->mtu));
                    ntypes++;
                } else {
                    ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u lists no "
                                                 "Message_Ver line (no MTU): left out", c->id, e->id, mt->id));
                }
                continue;
            }
            qsort(mt->v, mt->nv, sizeof(*mt->v), cmp_ver);
            /* a range without holes: the versions listed from the lowest on */
            for (last = 1; last < mt->nv && mt->v[last].ver == mt->v[last - 1].ver + 1; last++)
                ;
            if (last < mt->nv || mt->v[0].ver != mt->lo || mt->v[last - 1].ver != mt->hi)
                ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u: Version_Range %u ~ %u "
                                             "but Message_Ver lines for %u ~ %u only: imported as %u ~ %u", c->id,
                                             e->id, mt->id, mt->lo, mt->hi, mt->v[0].ver, mt->v[mt->nv - 1].ver,
                                             mt->v[0].ver, mt->v[last - 1].ver));
            ISSU_CHECK(list(g, "message-type", mt->id, &t));
            for (j = 0; j < last; j++) {
                ISSU_CHECK(list(t, "version", mt->v[j].ver, &v));
                ISSU_CHECK(term(v, "mtu", "%u", mt->v[j].mtu));
                if (nv && nv->ver == mt->v[j].ver && nv->mtu != mt->v[j].mtu)
                    ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u version %u: "
                                                 "Message_Mtu %u, but session %u negotiated Message_MTU %u: "
                                                 "kept %u", c->id, e->id, mt->id, nv->ver, mt->v[j].mtu,
                                                 neg->sid, nv->mtu, mt->v[j].mtu));
            }
            ntypes++;
        }
        /* what the negotiated view shows and the message types do not */
        for (i = 0; neg && i < neg->nvers; i++) {
            for (j = 0; j < e->ntypes && e->types[j].id != neg->vers[i].type; j++)
                ;
            if (j == e->ntypes)
                ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: session %u negotiated message type "
                                             "%u, which 'show issu message types %u' does not list: left out",
                                             c->id, e->id, neg->sid, neg->vers[i].type, c->id));
        }
        for (i = 0; i < e->nranges; i++) {
            const struct issu_imp_grange *r = &e->ranges[i];
            for (j = 0; j < e->ntypes && e->types[j].id != r->type; j++)
                ;
            if (r->group == gid && (j == e->ntypes || e->types[j].lo != r->lo || e->types[j].hi != r->hi))
                ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: 'message groups' shows type %u "
                                             "%u ~ %u in group %u, 'message types' %s: kept the latter", c->id,
                                             e->id, r->type, r->lo, r->hi, gid,
                                             j == e->ntypes ? "does not list it" : "another range"));
        }
    } else if (e->has_groups) {
        for (i = 0; i < e->nranges; i++) {
            const struct issu_imp_grange *r = &e->ranges[i];
            const struct issu_imp_negver *nv = neg_of(neg, r->type);
            if (r->group != gid)
                continue;
            if (!nv || nv->ver < r->lo || nv->ver > r->hi) {
                ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u: no MTU known (no "
                                             "'show issu message types %u', no negotiated version): left out",
                                             c->id, e->id, r->type, c->id));
                continue;
            }
            if (nv->ver != r->lo || nv->ver != r->hi)
                ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: message type %u: range %u ~ %u, MTU "
                                             "known for the negotiated version %u only (no 'show issu message "
                                             "types %u'): imported as %u ~ %u", c->id, e->id, r->type, r->lo,
                                             r->hi, nv->ver, c->id, nv->ver, nv->ver));
            ISSU_CHECK(list(g, "message-type", r->type, &t));
            ISSU_CHECK(list(t, "version", nv->ver, &v));
            ISSU_CHECK(term(v, "mtu", "%u", nv->mtu));
            ntypes++;
        }
    } else if (neg && neg->nvers) {
        ISSU_CHECK(issu_capture_warn(b->cap, "client %u entity %u: no 'show issu message types %u': message types "
                                     "imported from session %u's negotiated versions only", c->id, e->id, c->id,
                                     neg->sid));
        for (i = 0; i < neg->nvers; i++) {
            if (neg->vers[i].failed || neg_of(neg, neg->vers[i].type) != &neg->vers[i])
                continue;
            ISSU_CHECK(list(g, "message-type", neg->vers[i].type, &t));
            ISSU_CHECK(list(t, "version", neg->vers[i].ver, &v));
            ISSU_CHECK(term(v, "mtu", "%u", neg->vers[i].mtu));
            ntypes++;
        }
    }
    if (!ntypes)
        ids_add(&b->no_types, c->id);
    return ISSU_OK;
}

static int capabilities(struct build *b, const struct issu_imp_client *c, const struct issu_imp_neg *neg,
                        struct lyd_node *g)
{
    struct lyd_node *t;
    uint32_t seen[64];
    size_t i, j, ns = 0;

    if (!neg || !neg->has_caps) {
        ids_add(&b->no_caps, c->id);
        return ISSU_OK;
    }
    for (i = 0; i < neg->ncaps; i++) {
        const struct issu_imp_cap *k = &neg->caps[i];
        uint32_t type = k->has_type ? k->type : 0; /* the single-entry form names no type: the seed's is 0 */
        for (j = 0; j < ns && seen[j] != type; j++)
            ;
        if (j < ns || ns == sizeof(seen) / sizeof(seen[0]))
            continue;
        seen[ns++] = type;
        ISSU_CHECK(list(g, "capability-type", type, &t));
        if (k->has_entry)
            ISSU_CHECK(term(t, "entry", "%u", k->entry));
        else if (!k->noval)
            ISSU_CHECK(issu_capture_warn(b->cap, "client %u: session %u did not negotiate capability type %u: "
                                         "imported without entries", c->id, neg->sid, type));
    }
    return ISSU_OK;
}

struct group_use {
    uint32_t id;
    int defined;
};

static int client(struct build *b, struct lyd_node *root, struct issu_imp_client *c)
{
    struct lyd_node *cl, *en, *g;
    struct issu_imp_entity **ents = NULL, *ph = NULL;
    struct group_use *mg = NULL, *cg = NULL;
    size_t ne = 0, nmg = 0, ncg = 0, i, j;
    const char *policy = NULL;
    int rc = ISSU_OK, base, from_opt;

    ISSU_CHECK(list(root, "client", c->id, &cl));
    if (c->name) {
        ISSU_CHECK(term(cl, "name", "%s", c->name));
    } else {
        ISSU_CHECK(issu_capture_warn(b->cap, "client %u: no 'show issu clients' line: named 'Client %u'", c->id,
                                     c->id));
        ISSU_CHECK(term(cl, "name", "Client %u", c->id));
    }
    base = is_base(b, c, &from_opt);
    if (base) {
        ISSU_CHECK(term(cl, "base", "true"));
        ids_add(from_opt ? &b->opt_base : &b->kb_base, c->id);
    }
    ISSU_CHECK(prerequisites(b, cl, c));

    if (!c->nents && c->entity_count) { /* only its `show issu clients` line */
        uint32_t n = c->entity_count > MAX_PLACEHOLDER_ENTITIES ? MAX_PLACEHOLDER_ENTITIES : c->entity_count;
        if (n < c->entity_count)
            ISSU_CHECK(issu_capture_warn(b->cap, "client %u: Entity_Count %u: only %u placeholder entities made",
                                         c->id, c->entity_count, n));
        ph = calloc(n, sizeof(*ph));
        ISSU_CHECK_MEM(ph, rc);
        for (i = 0; i < n; i++)
            ph[i].id = (uint32_t)i + 1;
        ids_add(&b->placeholder, c->id);
        ne = n;
    } else {
        ne = c->nents;
        if (c->listed && c->entity_count != c->nents)
            ISSU_CHECK_GOTO(issu_capture_warn(b->cap, "client %u: Entity_Count %u, but the capture shows %zu "
                                              "entities", c->id, c->entity_count, c->nents), rc);
    }
    ents = calloc(ne ? ne : 1, sizeof(*ents));
    mg = calloc(ne ? ne : 1, sizeof(*mg));
    cg = calloc(ne ? ne : 1, sizeof(*cg));
    ISSU_CHECK_MEM(ents && mg && cg, rc);
    for (i = 0; i < ne; i++)
        ents[i] = ph ? &ph[i] : &c->ents[i];
    qsort(ents, ne, sizeof(*ents), cmp_entity);

    for (i = 0; i < ne; i++) {
        struct issu_imp_entity *e = ents[i];
        const struct issu_imp_session *s = e->nsess ? &e->sess[0] : NULL;
        const struct issu_imp_neg *neg = s ? issu_capture_neg(b->cap, s->sid) : NULL;
        uint32_t mgid = s && (s->have & ISSU_IMP_S_TABLE) ? s->msg_group : e->nranges ? e->ranges[0].group : 1;
        uint32_t cgid = s && (s->have & ISSU_IMP_S_TABLE) ? s->cap_group : 1;
        const char *p;

        if (e->nsess > 1)
            ISSU_CHECK_GOTO(issu_capture_warn(b->cap, "client %u entity %u: %zu sessions; a manifest has one per "
                                              "entity: kept Session_ID %u", c->id, e->id, e->nsess, s->sid), rc);
        ISSU_CHECK_GOTO(list(cl, "entity", e->id, &en), rc);
        if (s) {
            ISSU_CHECK_GOTO(term(en, "session-name", "%s", s->name), rc);
        } else if (e->name) {
            ISSU_CHECK_GOTO(term(en, "session-name", "%s", e->name), rc);
        } else {
            if (!ph)
                ids_add(&b->placeholder, c->id);
            if (ne == 1)
                ISSU_CHECK_GOTO(term(en, "session-name", "%s Session", c->name ? c->name : "Client"), rc);
            else
                ISSU_CHECK_GOTO(term(en, "session-name", "%s (%u)", c->name ? c->name : "Client", e->id), rc);
        }
        ISSU_CHECK_GOTO(term(en, "message-group", "%u", mgid), rc);
        ISSU_CHECK_GOTO(term(en, "capability-group", "%u", cgid), rc);
        if (s) {
            b->sessions++;
            ISSU_CHECK_GOTO(term(en, "session-id", "%u", s->sid), rc);
            if ((s->have & ISSU_IMP_S_TMTU) && s->tmtu)
                ISSU_CHECK_GOTO(term(en, "transport-mtu", "%u", s->tmtu), rc);
            p = policy_of(s);
            if (policy && strcmp(policy, p))
                ISSU_CHECK_GOTO(issu_capture_warn(b->cap, "client %u: entity %u shows policy %s, an earlier "
                                                  "entity %s: kept %s", c->id, e->id, p, policy, policy), rc);
            else
                policy = p;
        }
        /* a group shared by entities is written once, from the first */
        for (j = 0; j < nmg && mg[j].id != mgid; j++)
            ;
        if (j == nmg) {
            mg[nmg++].id = mgid;
            ISSU_CHECK_GOTO(list(cl, "message-group", mgid, &g), rc);
            ISSU_CHECK_GOTO(message_types(b, c, e, neg, g, mgid), rc);
        }
        for (j = 0; j < ncg && cg[j].id != cgid; j++)
            ;
        if (j == ncg) {
            cg[ncg++].id = cgid;
            ISSU_CHECK_GOTO(list(cl, "capability-group", cgid, &g), rc);
            ISSU_CHECK_GOTO(capabilities(b, c, neg, g), rc);
        }
    }
    if (policy && strcmp(policy, "none"))
        ISSU_CHECK_GOTO(term(cl, "policy", "%s", policy), rc);
cleanup:
    free(ents);
    free(mg);
    free(cg);
    free(ph);
    return rc;
}

static int describe(struct build *b, struct lyd_node *root, const char *name_from)
{
    const char *ks = NULL;
    char *d = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&d, &len);
    int rc;

    if (!f)
        return ISSU_ERR_NOMEM;
    if (b->o->knowledge) {
        const struct lyd_node *n;
        LY_LIST_FOR(lyd_child(b->o->knowledge), n)
            if (!strcmp(LYD_NAME(n), "source"))
                ks = lyd_get_value(n);
    }
    fprintf(f, "Imported by issuctl import from %s. From the capture: clients, names and entity counts (show issu "
               "clients); message types, versions and MTUs (show issu message types, else message groups with the "
               "negotiated MTU); entities; session names, ids, groups, transport MTUs (the session's, i.e. the "
               "smaller of both images') and policies (show issu sessions); capability entries (show issu "
               "negotiated capability: only the negotiated entry shows; no capability type is marked required).",
            b->o->sources ? b->o->sources : "a capture");
    fprintf(f, " Image name and version: %s.", name_from);
    if (b->kb_base.n)
        fprintf(f, " Base flags from the knowledge file %s (%s): clients %s.", b->o->knowledge_path,
                ks ? ks : "no source given", ids_str(&b->kb_base));
    if (b->opt_base.n)
        fprintf(f, " Base flags from --base: clients %s.", ids_str(&b->opt_base));
    if (b->kb_pre.n)
        fprintf(f, " Prerequisites from the knowledge file %s: clients %s.", b->o->knowledge_path,
                ids_str(&b->kb_pre));
    if (b->opt_pre.n)
        fprintf(f, " Prerequisites from --prerequisite: clients %s.", ids_str(&b->opt_pre));
    if (!b->o->knowledge && !b->opt_base.n && !b->opt_pre.n)
        fprintf(f, " No knowledge file: no base flags, no prerequisites.");
    if (b->placeholder.n)
        fprintf(f, " Placeholder session names or entities (the capture shows none): clients %s.",
                ids_str(&b->placeholder));
    if (b->no_types.n)
        fprintf(f, " No message types in the capture: clients %s.", ids_str(&b->no_types));
    if (b->no_caps.n)
        fprintf(f, " No negotiated capability in the capture: clients %s.", ids_str(&b->no_caps));
    if (b->cap->nwarn_total)
        fprintf(f, " The import gave %zu warnings.", b->cap->nwarn_total);
    if (fclose(f) != 0) {
        free(d);
        return ISSU_ERR_NOMEM;
    }
    rc = lyd_new_term(root, NULL, "description", d, 0, NULL) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
    free(d);
    return rc;
}

int issu_import_build(struct ly_ctx *ctx, struct issu_capture *cap, const struct issu_import_opts *o,
                      struct lyd_node **tree, char *err, size_t errlen)
{
    struct build b = {.ctx = ctx, .cap = cap, .o = o};
    struct issu_imp_client **cl = NULL;
    struct issu_image *img = NULL;
    struct lyd_node *root = NULL;
    const char *name, *version, *from;
    char ebuf[512];
    size_t i;
    int rc = ISSU_OK;
    uint32_t logopts = LY_LOSTORE_LAST;

    *tree = NULL;
    err[0] = '\0';
    b.mod = ly_ctx_get_module_implemented(ctx, ISSU_MANIFEST_MODULE);
    if (!b.mod) {
        snprintf(err, errlen, "module %s is not loaded", ISSU_MANIFEST_MODULE);
        return ISSU_ERR_INVAL;
    }
    if (!cap->nclients) {
        snprintf(err, errlen, "the capture holds no client (no output of 'show issu clients', 'message types', "
                              "'sessions', 'entities' or 'message groups')");
        return ISSU_ERR_INVAL;
    }
    name = o->image_name ? o->image_name : cap->image_name;
    version = o->image_version ? o->image_version : cap->image_version;
    from = o->image_name || o->image_version ? (cap->image_name || cap->image_version
                                                    ? "options, over show version" : "options")
                                             : "show version";
    if (!name || !version) {
        ISSU_CHECK(issu_capture_warn(cap, "no 'show version' in the capture and no --image-%s: image %s "
                                     "'imported'", !name && !version ? "name/--image-version" : !name ? "name" :
                                     "version", !name && !version ? "name and version" : !name ? "name" :
                                     "version"));
        name = name ? name : "imported";
        version = version ? version : "imported";
        from = "placeholder 'imported' where neither show version nor options gave one";
    }
    ly_temp_log_options(&logopts); /* errors go into err, not to stderr */
    ly_err_clean(ctx, NULL);
    if (lyd_new_inner(NULL, b.mod, "image", 0, &root) != LY_SUCCESS) {
        rc = ISSU_ERR_NOMEM;
        goto cleanup;
    }
    ISSU_CHECK_GOTO(term(root, "name", "%s", name), rc);
    ISSU_CHECK_GOTO(term(root, "version", "%s", version), rc);
    cl = calloc(cap->nclients, sizeof(*cl));
    ISSU_CHECK_MEM(cl, rc);
    for (i = 0; i < cap->nclients; i++)
        cl[i] = &cap->clients[i];
    qsort(cl, cap->nclients, sizeof(*cl), cmp_client);
    for (i = 0; i < cap->nclients; i++) {
        ISSU_CHECK_GOTO(client(&b, root, cl[i]), rc);
    }
    for (i = 0; i < cap->nclients; i++)
        if (!cl[i]->nents && !cl[i]->entity_count)
            ISSU_CHECK_GOTO(issu_capture_warn(cap, "client %u: Entity_Count 0 and no entity in the capture",
                                              cl[i]->id), rc);
    if (b.no_types.n)
        ISSU_CHECK_GOTO(issu_capture_warn(cap, "%zu clients have no message types in the capture (run 'show issu "
                                          "message types C' for each): %s", b.no_types.n, ids_str(&b.no_types)),
                        rc);
    if (b.no_caps.n)
        ISSU_CHECK_GOTO(issu_capture_warn(cap, "%zu clients have no negotiated capability in the capture (run "
                                          "'show issu negotiated capability S' for each session): capability "
                                          "groups left empty: %s", b.no_caps.n, ids_str(&b.no_caps)), rc);
    ISSU_CHECK_GOTO(describe(&b, root, from), rc);
    if (lyd_validate_all(&root, NULL, LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS) {
        const struct ly_err_item *e = ly_err_last(ctx);
        snprintf(err, errlen, "the capture gives no valid manifest: %s", e && e->msg ? e->msg : "YANG validation");
        rc = ISSU_ERR_INVAL;
        goto cleanup;
    }
    /* issud's loader: what YANG cannot check (unique session ids, cycles) */
    if (issu_manifest_from_tree(root, "imported manifest", &img, ebuf, sizeof(ebuf)) != ISSU_OK) {
        snprintf(err, errlen, "the capture gives no valid manifest: %s", ebuf);
        rc = ISSU_ERR_INVAL;
        goto cleanup;
    }
    *tree = root;
    root = NULL;
cleanup:
    if (rc == ISSU_ERR_NOMEM)
        snprintf(err, errlen, "out of memory");
    else if (rc != ISSU_OK && !err[0])
        snprintf(err, errlen, "cannot build the manifest tree: %s",
                 ly_err_last(ctx) && ly_err_last(ctx)->msg ? ly_err_last(ctx)->msg : "?");
    ly_temp_log_options(NULL);
    issu_image_free(img);
    lyd_free_all(root);
    free(cl);
    return rc;
}
