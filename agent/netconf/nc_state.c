/*
 * nc_state.c - the data the NETCONF face serves: the issu-state of a
 * snapshot (issu-agent.yang: the report, the endpoint, the running image)
 * and ietf-netconf-monitoring's netconf-state.
 *
 * Snapshots are immutable, so the issu-state of each is printed once
 * (struct issu_nc_state, refcounted: a reply in flight keeps its generation
 * alive), straight from the snapshot (nc_xml.c), then only read by several
 * workers at once. The cache holds the newest one; a builder holds build_mu
 * so that workers asking for the same snapshot wait for its result instead
 * of printing it again. A <get> never waits long for it
 * (issu_nc_state_read): the notify thread prints, readers get the previous
 * state meanwhile.
 *
 * Filters select from libyang trees: a filter that names its clients or
 * sessions gets a tree of just that part (issu_nc_state_tree with a pick,
 * nc_filter.c); any other gets the whole tree, built on first need and
 * kept, and rebuilt on changes by the notify thread, only while such
 * filters keep coming (--netconf-tree-keep): ~6.7 KB a session that a face
 * serving whole and keyed <get>s never holds. netconf-state is small and
 * changes with every session: built per <get> that needs it.
 */
#include "nc_internal.h"

#include <inttypes.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "issu_err.h"
#include "report.h"

int issu_nc_term(struct lyd_node *p, const struct lys_module *m, const char *name, const char *v)
{
    if (!v)
        return ISSU_OK;
    return lyd_new_term(p, m, name, v, 0, NULL) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

int issu_nc_term_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint64_t v)
{
    char b[24];

    snprintf(b, sizeof(b), "%" PRIu64, v);
    return issu_nc_term(p, m, name, b);
}

static int list_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint32_t k, struct lyd_node **o)
{
    char b[16];

    snprintf(b, sizeof(b), "%u", k);
    return lyd_new_list(p, m, name, 0, o, b) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}

void issu_nc_datetime(const struct timespec *ts, char *buf, size_t len)
{
    struct tm tm;

    gmtime_r(&ts->tv_sec, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The running image's manifest under container running-image (im groupings;
 * nc_xml.c prints the same). */
static int fill_image(struct lyd_node *p, const struct lys_module *m, const struct issu_image *img)
{
    struct lyd_node *c, *g, *t, *v, *e;
    uint32_t i, j, k, l;

    ISSU_CHECK(issu_nc_term(p, m, "name", img->name));
    ISSU_CHECK(issu_nc_term(p, m, "version", img->version));
    ISSU_CHECK(issu_nc_term(p, m, "description", img->description));
    ISSU_CHECK(issu_nc_term_u(p, m, "transport-mtu", img->transport_mtu));
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *cl = &img->clients[i];
        ISSU_CHECK(list_u(p, m, "client", cl->id, &c));
        ISSU_CHECK(issu_nc_term(c, m, "name", cl->name));
        ISSU_CHECK(issu_nc_term(c, m, "base", cl->base ? "true" : "false"));
        ISSU_CHECK(issu_nc_term(c, m, "optional", cl->optional ? "true" : "false"));
        ISSU_CHECK(issu_nc_term(c, m, "policy", issu_policy_name(cl->policy)));
        for (j = 0; j < cl->n_prereqs; j++)
            ISSU_CHECK(issu_nc_term_u(c, m, "prerequisite", cl->prereqs[j]));
        for (j = 0; j < cl->n_msg_groups; j++) {
            ISSU_CHECK(list_u(c, m, "message-group", cl->msg_groups[j].id, &g));
            for (k = 0; k < cl->msg_groups[j].n_types; k++) {
                const struct issu_msg_type *mt = &cl->msg_groups[j].types[k];
                ISSU_CHECK(list_u(g, m, "message-type", mt->id, &t));
                for (l = 0; l < mt->n_versions; l++) {
                    ISSU_CHECK(list_u(t, m, "version", mt->versions[l].version, &v));
                    ISSU_CHECK(issu_nc_term_u(v, m, "mtu", mt->versions[l].mtu));
                }
            }
        }
        for (j = 0; j < cl->n_cap_groups; j++) {
            ISSU_CHECK(list_u(c, m, "capability-group", cl->cap_groups[j].id, &g));
            for (k = 0; k < cl->cap_groups[j].n_types; k++) {
                const struct issu_cap_type *ct = &cl->cap_groups[j].types[k];
                ISSU_CHECK(list_u(g, m, "capability-type", ct->id, &t));
                ISSU_CHECK(issu_nc_term(t, m, "required", ct->required ? "true" : "false"));
                for (l = 0; l < ct->n_entries; l++)
                    ISSU_CHECK(issu_nc_term_u(t, m, "entry", ct->entries[l]));
            }
        }
        for (j = 0; j < cl->n_entities; j++) {
            const struct issu_entity *en = &cl->entities[j];
            ISSU_CHECK(list_u(c, m, "entity", en->id, &e));
            ISSU_CHECK(issu_nc_term(e, m, "session-name", en->session_name));
            ISSU_CHECK(issu_nc_term_u(e, m, "message-group", en->msg_group));
            ISSU_CHECK(issu_nc_term_u(e, m, "capability-group", en->cap_group));
            if (en->session_id)
                ISSU_CHECK(issu_nc_term_u(e, m, "session-id", en->session_id));
            if (en->transport_mtu)
                ISSU_CHECK(issu_nc_term_u(e, m, "transport-mtu", en->transport_mtu));
        }
    }
    return ISSU_OK;
}

const struct issu_nc_histvals *issu_nc_histvals(struct issu_nc *nc, struct issu_nc_histvals *h)
{
    struct issu_hist_stats st;

    if (!nc->conf.history)
        return NULL;
    issu_hist_stats(nc->conf.history, &st);
    issu_hist_base(nc->conf.history, &h->negotiations_base, &h->changed_base);
    h->persistent = st.persistent;
    h->since_ns = st.since_ns;
    return h;
}

/* issu-state/history: the totals as of this snapshot (the store's at start
 * plus this issud's own counts), so a cached state never goes stale. */
static int fill_history(struct lyd_node *top, const struct lys_module *mod, const struct issu_snapshot *s,
                        const struct issu_nc_histvals *hv)
{
    struct lyd_node *h;
    struct timespec ts;
    char dt[40];

    if (lyd_new_inner(top, mod, "history", 0, &h) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    ISSU_CHECK(issu_nc_term(h, mod, "persistent", hv->persistent ? "true" : "false"));
    ISSU_CHECK(issu_nc_term_u(h, mod, "negotiations-total", hv->negotiations_base + s->negotiations));
    ISSU_CHECK(issu_nc_term_u(h, mod, "results-changed-total", hv->changed_base + s->results_changed));
    ts.tv_sec = (time_t)(hv->since_ns / 1000000000);
    ts.tv_nsec = (long)(hv->since_ns % 1000000000);
    issu_nc_datetime(&ts, dt, sizeof(dt));
    return issu_nc_term(h, mod, "discontinuity-time", dt);
}

int issu_nc_state_tree(const struct lys_module *mod, const struct issu_snapshot *s, const struct issu_nc_histvals *h,
                       const struct issu_nc_pick *pick, struct lyd_node **out)
{
    static const uint32_t none[1];
    struct lyd_node *top = NULL, *ep, *img;
    char dt[40];
    int rc;

    *out = NULL;
    if (pick && pick->all)
        pick = NULL;
    if (lyd_new_inner(NULL, mod, "issu-state", 0, &top) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    if (pick)
        ISSU_CHECK_GOTO(issu_report_fill_pick(top, mod, 0, s,
                                              pick->all_clients ? NULL : pick->clients ? pick->clients : none,
                                              pick->n_clients,
                                              pick->sessions ? pick->sessions : none, pick->n_sessions),
                        rc);
    else
        ISSU_CHECK_GOTO(issu_report_fill(top, mod, 0, s), rc);
    if (lyd_new_inner(top, mod, "endpoint", 0, &ep) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    ISSU_CHECK_GOTO(issu_nc_term(ep, mod, "role", issu_report_role(s->role)), rc);
    ISSU_CHECK_GOTO(issu_nc_term(ep, mod, "peer-state", issu_peer_state_name(s->peer_state)), rc);
    ISSU_CHECK_GOTO(issu_nc_term(ep, mod, "switchover-ready", issu_snapshot_switchover_ready(s) ? "true" : "false"),
                    rc);
    ISSU_CHECK_GOTO(issu_nc_term_u(ep, mod, "negotiations", s->negotiations), rc);
    ISSU_CHECK_GOTO(issu_nc_term_u(ep, mod, "results-changed", s->results_changed), rc);
    issu_nc_datetime(&s->last_change, dt, sizeof(dt));
    ISSU_CHECK_GOTO(issu_nc_term(ep, mod, "last-change", dt), rc);
    ISSU_CHECK_GOTO(issu_nc_term_u(ep, mod, "generation", s->generation), rc);
    if (s->image && (!pick || pick->image)) {
        if (lyd_new_inner(top, mod, "running-image", 0, &img) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
        ISSU_CHECK_GOTO(fill_image(img, mod, s->image), rc);
    }
    if (h)
        ISSU_CHECK_GOTO(fill_history(top, mod, s, h), rc);
    *out = top;
    return ISSU_OK;
cleanup:
    lyd_free_tree(top);
    return rc;
}

static double ms_since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void state_free(struct issu_nc_state *x)
{
    issu_snapshot_unref(x->snap);
    free(x->xml);
    free(x);
}

/* Drop one of *@p refs under @p mu: whether it was the last. */
static int last_ref(pthread_mutex_t *mu, unsigned *refs)
{
    unsigned left;

    pthread_mutex_lock(mu);
    left = --*refs;
    pthread_mutex_unlock(mu);
    return !left;
}

/* When a reader stops waiting for the notify thread (CLOCK_REALTIME, for
 * pthread_cond_timedwait). */
static void stale_deadline(struct timespec *dl)
{
    clock_gettime(CLOCK_REALTIME, dl);
    dl->tv_nsec += ISSU_NC_STALE_WAIT_MS * 1000000L;
    dl->tv_sec += dl->tv_nsec / 1000000000L;
    dl->tv_nsec %= 1000000000L;
}

void issu_nc_state_put(struct issu_nc *nc, struct issu_nc_state *x)
{
    if (!x || !last_ref(&nc->cache_mu, &x->refs))
        return;
    state_free(x);
    /* a state going is a generation going: its printed state (one big
     * block, from the heap once glibc raised its mmap threshold) and often
     * its snapshot's last reference; without a trim glibc keeps those
     * pages and VmRSS climbs with every reload (docs/BENCHMARKS.md) */
    malloc_trim(0);
}

static struct issu_nc_state *cache_hit(struct issu_nc *nc, const struct issu_snapshot *s)
{
    struct issu_nc_state *x;

    pthread_mutex_lock(&nc->cache_mu);
    x = nc->cache && nc->cache->snap == s ? nc->cache : NULL;
    if (x)
        x->refs++;
    pthread_mutex_unlock(&nc->cache_mu);
    return x;
}

/* The issu-state of @p s (one reference: issu_nc_state_put), printed on a
 * miss. The cache holds the snapshot, so its address cannot be reused. */
int issu_nc_state_get(struct issu_nc *nc, struct issu_snapshot *s, struct issu_nc_state **out)
{
    struct issu_nc_state *x = NULL, *old;
    struct issu_nc_histvals hb;
    struct timespec t0, t1;
    int rc = ISSU_OK;

    if ((*out = cache_hit(nc, s)))
        return ISSU_OK;
    pthread_mutex_lock(&nc->build_mu);
    if ((*out = cache_hit(nc, s))) /* printed while we waited */
        goto cleanup;
    x = calloc(1, sizeof(*x));
    ISSU_CHECK_MEM(x, rc);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ISSU_CHECK_GOTO(issu_nc_state_xml(s, issu_nc_histvals(nc, &hb), &x->xml, &x->xml_len, &x->n_nodes), rc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    x->snap = issu_snapshot_ref(s);
    x->refs = 2; /* the cache's and the caller's */
    pthread_mutex_lock(&nc->cache_mu);
    old = nc->cache;
    nc->cache = x;
    pthread_cond_broadcast(&nc->cache_cv);
    pthread_mutex_unlock(&nc->cache_mu);
    issu_nc_state_put(nc, old);
    issu_nc_log(nc, LOG_INFO, "issu-state of generation %" PRIu64 " (%u sessions): printed (%zu bytes) in %.1f ms",
                s->generation, s->n_sessions, x->xml_len, ms_since(&t0, &t1));
    *out = x;
    x = NULL;
cleanup:
    pthread_mutex_unlock(&nc->build_mu);
    if (x)
        state_free(x);
    return rc;
}

int issu_nc_state_read(struct issu_nc *nc, struct issu_snapshot *s, struct issu_nc_state **out)
{
    struct issu_nc_state *x;
    struct timespec dl;

    if ((*out = cache_hit(nc, s)))
        return ISSU_OK;
    pthread_mutex_lock(&nc->cache_mu);
    x = nc->cache;
    pthread_mutex_unlock(&nc->cache_mu);
    if (!nc->notif_started || !x) /* nothing to serve meanwhile, or no builder */
        return issu_nc_state_get(nc, s, out);
    pthread_mutex_lock(&nc->mu);
    nc->want_warm = 1;
    pthread_cond_signal(&nc->cv);
    pthread_mutex_unlock(&nc->mu);
    stale_deadline(&dl);
    pthread_mutex_lock(&nc->cache_mu);
    /* normally printed within the wait and served fresh */
    while (nc->cache && nc->cache->snap->generation < s->generation &&
           pthread_cond_timedwait(&nc->cache_cv, &nc->cache_mu, &dl) == 0)
        ;
    x = nc->cache;
    if (x)
        x->refs++;
    pthread_mutex_unlock(&nc->cache_mu);
    if (!x)
        return issu_nc_state_get(nc, s, out);
    *out = x;
    return ISSU_OK;
}

void issu_nc_tree_put(struct issu_nc *nc, struct issu_nc_tree *t)
{
    if (!t || !last_ref(&nc->tree_mu, &t->refs))
        return;
    lyd_free_tree(t->tree);
    free(t);
    /* ~6.7 KB a session in small blocks: give the pages back */
    malloc_trim(0);
}

/* The kept tree with a reference, if it is of @p gen or newer (any, @p gen 0). */
static struct issu_nc_tree *kept(struct issu_nc *nc, uint64_t gen)
{
    struct issu_nc_tree *t = nc->tree; /* under tree_mu */

    if (!t || t->generation < gen)
        return NULL;
    t->refs++;
    return t;
}

/* Build the whole tree of @p s unless the kept one is of it (or newer), and
 * keep it. */
static int build_tree(struct issu_nc *nc, struct issu_snapshot *s)
{
    struct issu_nc_tree *t = NULL, *old = NULL;
    struct issu_nc_histvals hb;
    struct timespec t0, t1;
    int rc = ISSU_OK;

    pthread_mutex_lock(&nc->tree_build_mu);
    pthread_mutex_lock(&nc->tree_mu);
    old = kept(nc, s->generation);
    pthread_mutex_unlock(&nc->tree_mu);
    if (old)
        goto cleanup;
    t = calloc(1, sizeof(*t));
    ISSU_CHECK_MEM(t, rc);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ISSU_CHECK_GOTO(issu_nc_state_tree(nc->mod, s, issu_nc_histvals(nc, &hb), NULL, &t->tree), rc);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    t->generation = s->generation;
    t->n_nodes = issu_nc_count_nodes(t->tree);
    t->refs = 1; /* the face's */
    pthread_mutex_lock(&nc->tree_mu);
    old = nc->tree;
    nc->tree = t;
    pthread_cond_broadcast(&nc->tree_cv);
    pthread_mutex_unlock(&nc->tree_mu);
    issu_nc_log(nc, LOG_INFO, "issu-state tree of generation %" PRIu64 " (%u sessions) built in %.1f ms for filters",
                s->generation, s->n_sessions, ms_since(&t0, &t1));
    t = NULL;
cleanup:
    pthread_mutex_unlock(&nc->tree_build_mu);
    issu_nc_tree_put(nc, old);
    if (t) {
        lyd_free_tree(t->tree);
        free(t);
    }
    return rc;
}

int issu_nc_state_full(struct issu_nc *nc, struct issu_nc_state *x, struct issu_nc_tree **out)
{
    uint64_t gen = x->snap->generation;
    struct timespec dl;
    int older, rc;

    pthread_mutex_lock(&nc->tree_mu);
    clock_gettime(CLOCK_MONOTONIC, &nc->tree_used);
    *out = kept(nc, gen);
    older = nc->tree != NULL;
    pthread_mutex_unlock(&nc->tree_mu);
    if (*out)
        return ISSU_OK;
    if (older && nc->notif_started) {
        /* an older tree is kept: the notify thread builds this one, and the
         * reader gets the older complete one if that takes long */
        pthread_mutex_lock(&nc->mu);
        nc->want_tree = 1;
        pthread_cond_signal(&nc->cv);
        pthread_mutex_unlock(&nc->mu);
        stale_deadline(&dl);
        pthread_mutex_lock(&nc->tree_mu);
        while (!(*out = kept(nc, gen)) && nc->tree &&
               pthread_cond_timedwait(&nc->tree_cv, &nc->tree_mu, &dl) == 0)
            ;
        if (!*out)
            *out = kept(nc, 0);
        pthread_mutex_unlock(&nc->tree_mu);
        if (*out)
            return ISSU_OK;
    }
    if ((rc = build_tree(nc, x->snap)) != ISSU_OK)
        return rc;
    pthread_mutex_lock(&nc->tree_mu);
    *out = kept(nc, 0);
    pthread_mutex_unlock(&nc->tree_mu);
    return *out ? ISSU_OK : ISSU_ERR_NOTFOUND;
}

void issu_nc_state_tree_tick(struct issu_nc *nc, int changed)
{
    struct issu_nc_tree *drop = NULL;
    struct issu_nc_state *x;
    struct timespec now;
    int keep, want;

    pthread_mutex_lock(&nc->mu);
    want = nc->want_tree;
    nc->want_tree = 0;
    pthread_mutex_unlock(&nc->mu);
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_mutex_lock(&nc->tree_mu);
    keep = nc->tree && now.tv_sec - nc->tree_used.tv_sec < (time_t)nc->conf.tree_keep;
    if (nc->tree && !keep) {
        drop = nc->tree;
        nc->tree = NULL;
    }
    pthread_mutex_unlock(&nc->tree_mu);
    if (drop) {
        issu_nc_log(nc, LOG_INFO, "issu-state tree of generation %" PRIu64 " dropped: no filter needed it for %u s",
                    drop->generation, nc->conf.tree_keep);
        issu_nc_tree_put(nc, drop); /* freed once the last reply selecting from it is done */
    }
    if (!keep || !(changed || want))
        return;
    pthread_mutex_lock(&nc->cache_mu);
    x = nc->cache;
    if (x)
        x->refs++;
    pthread_mutex_unlock(&nc->cache_mu);
    if (x)
        build_tree(nc, x->snap);
    issu_nc_state_put(nc, x);
}

uint64_t issu_nc_count_nodes(const struct lyd_node *tree)
{
    struct lyd_node *top, *e;
    uint64_t n = 0;

    LY_LIST_FOR((struct lyd_node *)tree, top) {
        LYD_TREE_DFS_BEGIN(top, e) {
            n++;
            LYD_TREE_DFS_END(top, e);
        }
    }
    return n;
}

/* ietf-netconf-monitoring: capabilities, schemas and our sessions. */
int issu_nc_monitoring_build(struct issu_nc *nc, struct lyd_node **out)
{
    const struct lys_module *m = ly_ctx_get_module_implemented(nc->ctx, "ietf-netconf-monitoring"), *mod;
    struct lyd_node *top = NULL, *caps, *schemas, *n;
    const char **cpb;
    uint32_t idx = 0, i;
    struct issu_nc_sess *it;
    char sid[16];
    int rc = ISSU_OK;

    *out = NULL;
    if (!m)
        return ISSU_ERR_NOTFOUND;
    if (lyd_new_inner(NULL, m, "netconf-state", 0, &top) != LY_SUCCESS)
        return ISSU_ERR_NOMEM;
    if (lyd_new_inner(top, m, "capabilities", 0, &caps) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    cpb = nc_server_get_cpblts(nc->ctx);
    for (i = 0; cpb && cpb[i]; i++) {
        rc = issu_nc_term(caps, m, "capability", cpb[i]);
        lydict_remove(nc->ctx, cpb[i]);
        if (rc != ISSU_OK)
            break;
    }
    for (; cpb && cpb[i]; i++)
        lydict_remove(nc->ctx, cpb[i]);
    free(cpb);
    if (rc != ISSU_OK)
        goto cleanup;
    if (lyd_new_inner(top, m, "schemas", 0, &schemas) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    while ((mod = ly_ctx_get_module_iter(nc->ctx, &idx))) {
        if (!mod->implemented)
            continue;
        if (lyd_new_list(schemas, m, "schema", 0, &n, mod->name, mod->revision ? mod->revision : "", "yang") !=
            LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "namespace", mod->ns), rc);
        ISSU_CHECK_GOTO(issu_nc_term(n, m, "location", "NETCONF"), rc);
    }
    pthread_mutex_lock(&nc->mu);
    if (nc->sessions && lyd_new_inner(top, m, "sessions", 0, &caps) != LY_SUCCESS)
        rc = ISSU_ERR_NOMEM;
    for (it = nc->sessions; it && rc == ISSU_OK; it = it->next) {
        char dt[40];
        struct timespec ts = {.tv_sec = nc_session_get_start_time(it->s)};
        /* a UNIX-socket session has a path, not an inet:host: leave it out */
        const char *host = it->ti == ISSU_NC_TI_UNIX || !it->host[0] ? NULL : it->host;
        snprintf(sid, sizeof(sid), "%u", nc_session_get_id(it->s));
        if (lyd_new_list(caps, m, "session", 0, &n, sid) != LY_SUCCESS) {
            rc = ISSU_ERR_NOMEM;
            break;
        }
        issu_nc_datetime(&ts, dt, sizeof(dt));
        /* RFC 6022 has no UNIX transport identity: issu-agent defines one */
        rc = issu_nc_term(n, m, "transport",
                          it->ti == ISSU_NC_TI_UNIX ? ISSU_NC_STATE_MOD ":unix-socket" : "ietf-netconf-monitoring:netconf-ssh");
        if (rc == ISSU_OK)
            rc = issu_nc_term(n, m, "username", issu_nc_lnc2_username(it->s));
        if (rc == ISSU_OK && host)
            rc = issu_nc_term(n, m, "source-host", host);
        if (rc == ISSU_OK)
            rc = issu_nc_term(n, m, "login-time", dt);
    }
    pthread_mutex_unlock(&nc->mu);
    if (rc != ISSU_OK)
        goto cleanup;
    *out = top;
    return ISSU_OK;
cleanup:
    lyd_free_tree(top);
    return rc;
}


/* RFC 8525: the yang-library (module-set, schema "complete", content-id) and
 * the deprecated modules-state (module-set-id) of the face's context, as
 * libyang builds them, plus the datastores: running (empty: no
 * configuration) and operational (what <get> returns), both with the one
 * schema. The content-id is the context's change count, as in the hello's
 * yang-library:1.1 capability; the context never changes after start.
 * libyang's locations are the server's file:// paths, which no client can
 * fetch: left out, so clients use <get-schema> (RFC 8525 3, RFC 6022). */
int issu_nc_yanglib_build(struct issu_nc *nc)
{
    static const char *ds[] = {"ietf-datastores:running", "ietf-datastores:operational"};
    const struct lys_module *yl = ly_ctx_get_module_implemented(nc->ctx, "ietf-yang-library");
    struct lyd_node *tree = NULL, *lib = NULL, *d;
    struct ly_set *set = NULL;
    const char *m;
    size_t i;
    int rc = ISSU_OK;

    if (!yl || ly_ctx_get_yanglib_data(nc->ctx, &tree, "%u", ly_ctx_get_change_count(nc->ctx)) != LY_SUCCESS) {
        m = ly_errmsg(nc->ctx);
        issu_nc_log(nc, LOG_ERR, "cannot build the YANG library: %s", m ? m : "ietf-yang-library not loaded");
        return ISSU_ERR_NOTFOUND;
    }
    if (lyd_find_path(tree, "/ietf-yang-library:yang-library", 0, &lib) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOTFOUND, rc);
    if (lyd_find_xpath(tree, "/ietf-yang-library:yang-library/module-set/*/location | "
                       "/ietf-yang-library:modules-state/module/schema | "
                       "/ietf-yang-library:modules-state/module/submodule/schema", &set) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    for (i = 0; i < set->count; i++)
        lyd_free_tree(set->dnodes[i]);
    ly_set_free(set, NULL);
    for (i = 0; i < sizeof(ds) / sizeof(ds[0]); i++) {
        if (lyd_new_list(lib, yl, "datastore", 0, &d, ds[i]) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
        ISSU_CHECK_GOTO(issu_nc_term(d, yl, "schema", "complete"), rc);
    }
    if (lyd_validate_all(&tree, nc->ctx, LYD_VALIDATE_PRESENT, NULL) != LY_SUCCESS) {
        m = ly_errmsg(nc->ctx);
        issu_nc_log(nc, LOG_ERR, "the YANG library does not validate: %s", m ? m : "?");
        ISSU_CHECK_GOTO(ISSU_ERR_INVAL, rc);
    }
    nc->yanglib = tree;
    nc->n_yanglib = issu_nc_count_nodes(tree);
    return ISSU_OK;
cleanup:
    lyd_free_all(tree);
    return rc;
}
