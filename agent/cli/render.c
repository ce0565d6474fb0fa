/*
 * render.c - `show issu` text from issu-report trees (render.h).
 *
 * Layouts follow the seed's LDP examples (the cleanest of its captures);
 * the session value row is aligned under its two header lines. Sessions
 * print by (client, entity); a client in one image only prints as
 * UNAVAILABLE where its sessions would be; the verdict lists every client
 * that blocks it (its reason names three).
 */
#include "render.h"

#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "issu_err.h"

const struct lyd_node *issu_tree_child(const struct lyd_node *parent, const char *name)
{
    const struct lyd_node *n;

    LY_LIST_FOR(lyd_child(parent), n)
        if (n->schema && !strcmp(n->schema->name, name))
            return n;
    return NULL;
}

const char *issu_tree_str(const struct lyd_node *parent, const char *name, const char *dflt)
{
    const struct lyd_node *n = issu_tree_child(parent, name);
    const char *v = n ? lyd_get_value(n) : NULL;

    return v ? v : dflt;
}

uint32_t issu_tree_u32(const struct lyd_node *parent, const char *name, uint32_t dflt)
{
    const char *v = issu_tree_str(parent, name, NULL);

    return v ? (uint32_t)strtoul(v, NULL, 10) : dflt;
}

static const struct lyd_node *keyed(const struct lyd_node *report, const char *list,
                                    const char *key, uint32_t id)
{
    const struct lyd_node *n;

    LY_LIST_FOR(lyd_child(report), n)
        if (n->schema && !strcmp(n->schema->name, list) && issu_tree_u32(n, key, 0) == id)
            return n;
    return NULL;
}

const struct lyd_node *issu_tree_client(const struct lyd_node *report, uint32_t id)
{
    return keyed(report, "client", "id", id);
}

const struct lyd_node *issu_tree_session(const struct lyd_node *report, uint32_t sid)
{
    return keyed(report, "session", "session-id", sid);
}

static int is(const struct lyd_node *n, const char *name)
{
    return n->schema && !strcmp(n->schema->name, name);
}

/* "compatible" -> "COMPATIBLE", as the router prints results */
static const char *upper(const char *s, char *buf, size_t len)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < len; i++)
        buf[i] = s[i] == '-' ? ' ' : (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 32 : s[i]);
    buf[i] = '\0';
    return buf;
}

int issu_render_clients(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *n;

    LY_LIST_FOR(lyd_child(report), n)
        if (is(n, "client") && strcmp(issu_tree_str(n, "presence", "both"), "peer-only"))
            fprintf(f, "Client_ID = %u, Client_Name = %s, Entity_Count = %u\n",
                    issu_tree_u32(n, "id", 0), issu_tree_str(n, "name", ""),
                    issu_tree_u32(n, "entity-count", 0));
    return ISSU_OK;
}

static void session_block(FILE *f, const struct lyd_node *s)
{
    char r1[24], r2[24], r3[24];
    int policy = !strcmp(issu_tree_str(s, "policy", "false"), "true");
    uint32_t sid = issu_tree_u32(s, "session-id", 0);

    fprintf(f, "*** Session_ID = %u, Session_Name = %s :\n", sid, issu_tree_str(s, "session-name", ""));
    fprintf(f, "  Peer Peer Negotiate Negotiated Cap      Msg      Session\n");
    fprintf(f, "  UniqueID Sid  Role      Result  GroupID GroupID Signature\n");
    fprintf(f, "   %-6u %-3u %-8s %-11s %-6u %-6u %u\n", issu_tree_u32(s, "peer-unique-id", 0),
            issu_tree_u32(s, "peer-session-id", 0),
            upper(issu_tree_str(s, "role", "none"), r1, sizeof(r1)),
            upper(issu_tree_str(s, "result", "unknown"), r2, sizeof(r2)),
            issu_tree_u32(s, "cap-group", 0), issu_tree_u32(s, "msg-group", 0),
            issu_tree_u32(s, "signature", 0));
    fprintf(f, "                               %s\n", policy ? "(policy)" : "(no policy)");
    fprintf(f, "Negotiation Session Info for This Message Session:\n");
    fprintf(f, "  Nego_Session_ID = %u\n", issu_tree_u32(s, "nego-session-id", sid));
    fprintf(f, "  Nego_Session_Name = %s\n", issu_tree_str(s, "nego-session-name", ""));
    fprintf(f, "  Transport_Mtu = %u\n", issu_tree_u32(s, "transport-mtu", 0));
    if (policy)
        fprintf(f, "  Compat_Result: raw_result = %s, policy_result = %s\n",
                upper(issu_tree_str(s, "raw-result", "unknown"), r1, sizeof(r1)),
                upper(issu_tree_str(s, "result", "unknown"), r3, sizeof(r3)));
}

/* A session node with its sort key. */
struct sref {
    uint32_t client, entity, sid;
    const struct lyd_node *n;
};

static int cmp_sref(const void *a, const void *b)
{
    const struct sref *x = a, *y = b;

    if (x->client != y->client)
        return x->client < y->client ? -1 : 1;
    if (x->entity != y->entity)
        return x->entity < y->entity ? -1 : 1;
    return (x->sid > y->sid) - (x->sid < y->sid);
}

/* The report's sessions (of @p client_id, 0 = all) by (client, entity):
 * the list is keyed by sid, an operator reads by client. */
static int sorted_sessions(const struct lyd_node *report, uint32_t client_id, struct sref **out, size_t *n)
{
    const struct lyd_node *x;
    size_t k = 0, cap = 0;
    struct sref *v = NULL;
    int rc = ISSU_OK;

    LY_LIST_FOR(lyd_child(report), x) {
        uint32_t c;
        if (!is(x, "session") || (client_id && (c = issu_tree_u32(x, "client-id", 0)) != client_id))
            continue;
        if (k == cap) {
            struct sref *w = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));
            ISSU_CHECK_MEM(w, rc);
            v = w;
        }
        v[k].client = issu_tree_u32(x, "client-id", 0);
        v[k].entity = issu_tree_u32(x, "entity-id", 0);
        v[k].sid = issu_tree_u32(x, "session-id", 0);
        v[k++].n = x;
    }
    if (k > 1)
        qsort(v, k, sizeof(*v), cmp_sref);
    *out = v;
    *n = k;
    v = NULL;
cleanup:
    free(v);
    return rc;
}

/* A client present in one image only: no session, shown as Cisco's
 * comp-matrix shows it (UNAVAILABLE, '-' for what does not exist). */
static void unavailable_block(FILE *f, const struct lyd_node *c)
{
    int counts = strcmp(issu_tree_str(c, "counts", "true"), "false") != 0;

    fprintf(f, "-----\nClient_ID = %u, Entity_ID = - :\n", issu_tree_u32(c, "id", 0));
    fprintf(f, "*** Session_ID = -, Session_Name = - :\n");
    fprintf(f, "  Peer Peer Negotiate Negotiated Cap      Msg      Session\n");
    fprintf(f, "  UniqueID Sid  Role      Result  GroupID GroupID Signature\n");
    fprintf(f, "   %-6s %-3s %-8s %-11s %-6s %-6s %s\n", "-", "-", "-", "UNAVAILABLE", "-", "-", "-");
    fprintf(f, "  Reason: %s; %s\n", issu_tree_str(c, "reason", "client present in one image only"),
            counts ? "counts against the verdict" : "optional: does not count against the verdict");
}

static int one_sided(const struct lyd_node *c)
{
    return strcmp(issu_tree_str(c, "presence", "both"), "both") != 0;
}

int issu_render_sessions(FILE *f, const struct lyd_node *report, uint32_t client_id)
{
    const struct lyd_node *n;
    struct sref *v = NULL;
    size_t nv = 0, k;
    uint32_t last_c = 0, last_e = 0;
    int first = 1, rc;

    if (client_id && !issu_tree_client(report, client_id))
        return ISSU_ERR_NOTFOUND;
    ISSU_CHECK(sorted_sessions(report, client_id, &v, &nv));
    /* one header per entity, as the router does; clients in one image only
     * where their sessions would be */
    for (k = 0, n = lyd_child(report);; ) {
        const struct lyd_node *c = NULL;
        while (n && !(is(n, "client") && one_sided(n) && (!client_id || issu_tree_u32(n, "id", 0) == client_id)))
            n = n->next;
        c = n;
        if (c && (k == nv || issu_tree_u32(c, "id", 0) < v[k].client)) {
            unavailable_block(f, c);
            first = 1;
            n = n->next;
            continue;
        }
        if (k == nv)
            break;
        if (first || v[k].client != last_c || v[k].entity != last_e) {
            fprintf(f, "-----\nClient_ID = %u, Entity_ID = %u :\n", v[k].client, v[k].entity);
            first = 0;
        }
        last_c = v[k].client;
        last_e = v[k].entity;
        session_block(f, v[k++].n);
    }
    rc = ISSU_OK;
    free(v);
    return rc;
}

int issu_render_negotiated_version(FILE *f, const struct lyd_node *report, uint32_t sid)
{
    const struct lyd_node *s = issu_tree_session(report, sid), *n;

    if (!s)
        return ISSU_ERR_NOTFOUND;
    fprintf(f, "Session_ID = %u :\n", sid);
    LY_LIST_FOR(lyd_child(s), n) {
        if (!is(n, "negotiated-version"))
            continue;
        if (!issu_tree_child(n, "version")) /* no "0": MTU 0 would read as "no size restriction" */
            fprintf(f, "  Message_Type = %u, Negotiated_Version = FAILED (%s)\n", issu_tree_u32(n, "message-type", 0),
                    issu_tree_str(n, "failure", "no version negotiated"));
        else if (issu_tree_child(n, "warning"))
            fprintf(f, "  Message_Type = %u, Negotiated_Version = %u, Message_MTU = %u (WARNING: %s)\n",
                    issu_tree_u32(n, "message-type", 0), issu_tree_u32(n, "version", 0), issu_tree_u32(n, "mtu", 0),
                    issu_tree_str(n, "warning", ""));
        else
            fprintf(f, "  Message_Type = %u, Negotiated_Version = %u, Message_MTU = %u\n",
                    issu_tree_u32(n, "message-type", 0), issu_tree_u32(n, "version", 0), issu_tree_u32(n, "mtu", 0));
    }
    return ISSU_OK;
}

int issu_render_negotiated_capability(FILE *f, const struct lyd_node *report, uint32_t sid)
{
    const struct lyd_node *s = issu_tree_session(report, sid), *n;
    int ncaps = 0;

    if (!s)
        return ISSU_ERR_NOTFOUND;
    LY_LIST_FOR(lyd_child(s), n)
        ncaps += is(n, "negotiated-capability");
    fprintf(f, "Session_ID = %u :\n", sid);
    LY_LIST_FOR(lyd_child(s), n) {
        const char *entry;
        uint32_t t, r;
        if (!is(n, "negotiated-capability"))
            continue;
        t = issu_tree_u32(n, "cap-type", 0);
        r = issu_tree_u32(n, "result", 0);
        entry = issu_tree_str(n, "entry", NULL);
        if (entry && ncaps == 1 && r)
            fprintf(f, "  Negotiated_Cap_Entry = %s\n", entry); /* the seed's single-entry form */
        else if (entry)
            fprintf(f, "  Cap_Type = %u, Cap_Result = %u, Negotiated_Cap_Entry = %s\n", t, r, entry);
        else if (r) /* both sides list the type without entries */
            fprintf(f, "  Cap_Type = %u, Cap_Result = %u No cap value assigned\n", t, r);
        else
            fprintf(f, "  Cap_Type = %u, Cap_Result = %u Not negotiated: %s\n", t, r,
                    issu_tree_str(n, "failure", "no common entry"));
    }
    return ISSU_OK;
}

/* One client's line, then its optional note, reason and chain. */
static void client_result(FILE *f, const struct lyd_node *n)
{
    const char *res = issu_tree_str(n, "result", "unknown"), *eff = issu_tree_str(n, "effective-result", res);
    const struct lyd_node *c;
    char r[24];
    int first = 1;

    fprintf(f, "Client_ID = %u, Client_Name = %s%s : %s%s\n", issu_tree_u32(n, "id", 0),
            issu_tree_str(n, "name", ""), !strcmp(issu_tree_str(n, "base", "false"), "true") ? ", Base" : "",
            strcmp(res, eff) ? "EFFECTIVELY " : "", upper(eff, r, sizeof(r)));
    if (one_sided(n) && !strcmp(issu_tree_str(n, "counts", "true"), "false"))
        fprintf(f, "    (optional: does not count against the verdict)\n");
    if (issu_tree_child(n, "reason"))
        fprintf(f, "    reason: %s\n", issu_tree_str(n, "reason", ""));
    LY_LIST_FOR(lyd_child(n), c) {
        if (!is(c, "chain"))
            continue;
        fprintf(f, "%s%s", first ? "    chain: " : " -> ", lyd_get_value(c));
        first = 0;
    }
    if (!first)
        fprintf(f, "\n");
}

/* Does a session carry a warning (a version whose MTU differs)? */
static int warned(const struct lyd_node *s)
{
    const struct lyd_node *n;

    LY_LIST_FOR(lyd_child(s), n)
        if (is(n, "negotiated-version") && issu_tree_child(n, "warning"))
            return 1;
    return 0;
}

static int blocks(const struct lyd_node *n)
{
    return is(n, "client") && strcmp(issu_tree_str(n, "counts", "true"), "false") &&
           !strcmp(issu_tree_str(n, "effective-result", issu_tree_str(n, "result", "")), "incompatible");
}

int issu_render_verdict(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *n, *l = issu_tree_child(report, "local"), *p = issu_tree_child(report, "peer");
    const char *why = issu_tree_str(report, "verdict-reason", NULL);
    struct sref *v = NULL;
    size_t nv = 0, k;
    unsigned nb = 0;
    char buf[32];

    upper(issu_tree_str(report, "verdict", "unknown"), buf, sizeof(buf));
    if (!strcmp(buf, "BASE LEVEL COMPATIBLE"))
        strcpy(buf, "BASE-LEVEL COMPATIBLE"); /* the domain's spelling */
    fprintf(f, "Image verdict: %s\n", buf);
    if (why)
        fprintf(f, "  %s\n", why);
    if (l)
        fprintf(f, "  %s: unique id %u, image %s %s\n", issu_tree_str(l, "side", "local"),
                issu_tree_u32(l, "unique-id", 0), issu_tree_str(l, "image-name", "?"),
                issu_tree_str(l, "image-version", ""));
    if (p && !issu_tree_child(p, "unique-id"))
        fprintf(f, "  %s: no peer\n", issu_tree_str(p, "side", "peer"));
    else if (p)
        fprintf(f, "  %s: unique id %u, image %s %s\n", issu_tree_str(p, "side", "peer"),
                issu_tree_u32(p, "unique-id", 0), issu_tree_str(p, "image-name", "?"),
                issu_tree_str(p, "image-version", ""));

    /* the reason above names three clients at most: here is every one, with
     * its failed sessions (issue 18 item 11) */
    LY_LIST_FOR(lyd_child(report), n)
        nb += (unsigned)blocks(n);
    ISSU_CHECK(sorted_sessions(report, 0, &v, &nv));
    if (nb) {
        fprintf(f, "\nClients blocking the verdict (%u):\n", nb);
        LY_LIST_FOR(lyd_child(report), n) {
            uint32_t id;
            if (!blocks(n))
                continue;
            client_result(f, n);
            id = issu_tree_u32(n, "id", 0);
            for (k = 0; k < nv && v[k].client <= id; k++) /* clients come in id order */
                if (v[k].client == id && strcmp(issu_tree_str(v[k].n, "result", ""), "compatible"))
                    fprintf(f, "    Session_ID = %u, Entity_ID = %u : %s: %s\n", v[k].sid, v[k].entity,
                            upper(issu_tree_str(v[k].n, "result", "unknown"), buf, sizeof(buf)),
                            issu_tree_str(v[k].n, "reason", "no reason given"));
        }
    }
    /* what does not fail a session, yet an operator must hear of (item 8) */
    for (k = 0, nb = 0; k < nv; k++)
        nb += (unsigned)warned(v[k].n);
    if (nb)
        fprintf(f, "\nWarnings (%u session%s):\n", nb, nb == 1 ? "" : "s");
    for (k = 0; nb && k < nv; k++)
        if (warned(v[k].n))
            fprintf(f, "    Session_ID = %u, Client_ID = %u, Entity_ID = %u : %s\n", v[k].sid, v[k].client,
                    v[k].entity, issu_tree_str(v[k].n, "reason", ""));
    free(v);
    fprintf(f, "\nClient results:\n");
    LY_LIST_FOR(lyd_child(report), n)
        if (is(n, "client"))
            client_result(f, n);
    return ISSU_OK;
}

int issu_render_state(FILE *f, const struct lyd_node *state)
{
    const struct lyd_node *e = issu_tree_child(state, "endpoint");
    char r[24];

    ISSU_CHECK(issu_render_verdict(f, state));
    if (e)
        fprintf(f, "\nEndpoint: Peer_State = %s, Negotiate_Role = %s, Negotiations = %u\n",
                issu_tree_str(e, "peer-state", "down"), upper(issu_tree_str(e, "role", "none"), r, sizeof(r)),
                issu_tree_u32(e, "negotiations", 0));
    return ISSU_OK;
}

int issu_render_check(FILE *f, const struct lyd_node *report)
{
    struct sref *v = NULL;
    size_t nv = 0, k;
    int rc = ISSU_OK;

    ISSU_CHECK(issu_render_verdict(f, report));
    fprintf(f, "\nSessions:\n");
    ISSU_CHECK(issu_render_sessions(f, report, 0));
    /* each session's results, by client as above */
    ISSU_CHECK(sorted_sessions(report, 0, &v, &nv));
    for (k = 0; k < nv; k++) {
        const struct lyd_node *n = v[k].n;
        fprintf(f, "\n");
        if (issu_tree_child(n, "reason") && (strcmp(issu_tree_str(n, "result", ""), "compatible") ||
                                             strcmp(issu_tree_str(n, "raw-result", ""), "compatible")))
            fprintf(f, "Session_ID = %u is INCOMPATIBLE: %s\n", v[k].sid, issu_tree_str(n, "reason", ""));
        else if (issu_tree_child(n, "reason")) /* warnings only */
            fprintf(f, "Session_ID = %u is COMPATIBLE, with a %s\n", v[k].sid, issu_tree_str(n, "reason", ""));
        ISSU_CHECK_GOTO(issu_render_negotiated_version(f, report, v[k].sid), rc);
        ISSU_CHECK_GOTO(issu_render_negotiated_capability(f, report, v[k].sid), rc);
    }
cleanup:
    free(v);
    return rc;
}

static const struct lyd_node *by_id(const struct lyd_node *parent, const char *list, uint32_t id)
{
    return keyed(parent, list, "id", id);
}

int issu_render_message_types(FILE *f, const struct lyd_node *image, uint32_t client_id)
{
    const struct lyd_node *c = by_id(image, "client", client_id), *e, *g, *t, *v;

    if (!c)
        return ISSU_ERR_NOTFOUND;
    LY_LIST_FOR(lyd_child(c), e) {
        if (!is(e, "entity"))
            continue;
        fprintf(f, "-----\nClient_ID = %u, Entity_ID = %u :\n", client_id, issu_tree_u32(e, "id", 0));
        g = by_id(c, "message-group", issu_tree_u32(e, "message-group", 0));
        if (!g)
            continue;
        LY_LIST_FOR(lyd_child(g), t) {
            uint32_t lo = UINT32_MAX, hi = 0, n;
            if (!is(t, "message-type"))
                continue;
            LY_LIST_FOR(lyd_child(t), v) {
                if (!is(v, "version"))
                    continue;
                n = issu_tree_u32(v, "number", 0);
                lo = n < lo ? n : lo;
                hi = n > hi ? n : hi;
            }
            if (lo > hi)
                lo = hi = 0;
            fprintf(f, "  Message_Type = %u, Version_Range = %u ~ %u\n", issu_tree_u32(t, "id", 0), lo, hi);
            /* the LSD/TE examples' 4-space indent (the LDP capture lost it) */
            LY_LIST_FOR(lyd_child(t), v)
                if (is(v, "version"))
                    fprintf(f, "    Message_Ver = %u, Message_Mtu = %u\n", issu_tree_u32(v, "number", 0),
                            issu_tree_u32(v, "mtu", 0));
        }
    }
    return ISSU_OK;
}

int issu_render_entities(FILE *f, const struct lyd_node *image, uint32_t client_id)
{
    const struct lyd_node *c = by_id(image, "client", client_id), *e, *g, *t;

    if (!c)
        return ISSU_ERR_NOTFOUND;
    LY_LIST_FOR(lyd_child(c), e) {
        uint32_t ntypes = 0;
        if (!is(e, "entity"))
            continue;
        g = by_id(c, "message-group", issu_tree_u32(e, "message-group", 0));
        if (g)
            LY_LIST_FOR(lyd_child(g), t)
                ntypes += is(t, "message-type");
        fprintf(f, "Client_ID = %u, Entity_ID = %u, Entity_Name = %s, MsgType_Count = %u\n", client_id,
                issu_tree_u32(e, "id", 0), issu_tree_str(e, "session-name", ""), ntypes);
    }
    return ISSU_OK;
}

int issu_render_comp_matrix(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *n;
    char r1[24], r2[24];

    LY_LIST_FOR(lyd_child(report), n) {
        const char *res;
        if (!is(n, "client"))
            continue;
        res = issu_tree_str(n, "result", "unknown");
        fprintf(f, "Client_ID = %u, Client_Name = %s, Result = %s, Effective_Result = %s\n",
                issu_tree_u32(n, "id", 0), issu_tree_str(n, "name", ""),
                one_sided(n) && strcmp(res, "unknown") ? "UNAVAILABLE" : upper(res, r1, sizeof(r1)),
                upper(issu_tree_str(n, "effective-result", res), r2, sizeof(r2)));
    }
    return ISSU_OK;
}
