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

#include <stdarg.h>
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

/* The session table of `show issu sessions`: two header lines and one value
 * row. The seed's widths hold every value it shows; a longer one (a 6-digit
 * Peer Sid, INCOMPATIBLE) widens its column in the header and the row, so
 * every column stays under its heading. */
#define SESS_COLS 7
static const unsigned sess_w[SESS_COLS] = {7, 4, 9, 12, 7, 7, 0}; /* with the space after */
static const char sess_h1[] = "  Peer Peer Negotiate Negotiated Cap      Msg      Session";
static const char sess_h2[] = "  UniqueID Sid  Role      Result  GroupID GroupID Signature";
static const unsigned sess_p1[SESS_COLS] = {2, 7, 12, 22, 33, 42, 51}; /* where each heading starts */
static const unsigned sess_p2[SESS_COLS] = {2, 11, 16, 26, 34, 42, 50};

static void sess_header(FILE *f, const char *h, const unsigned *pos, const unsigned *extra)
{
    unsigned k;

    fprintf(f, "%.*s", (int)pos[0], h);
    for (k = 0; k < SESS_COLS; k++) {
        unsigned end = k + 1 < SESS_COLS ? pos[k + 1] : (unsigned)strlen(h);
        fprintf(f, "%.*s%*s", (int)(end - pos[k]), h + pos[k], (int)extra[k], "");
    }
    fprintf(f, "\n");
}

static void session_table(FILE *f, const char *const v[SESS_COLS], const char *policy)
{
    unsigned extra[SESS_COLS] = {0}, k, shift = 0;

    for (k = 0; k + 1 < SESS_COLS; k++)
        if (strlen(v[k]) + 1 > sess_w[k])
            extra[k] = (unsigned)strlen(v[k]) + 1 - sess_w[k];
    sess_header(f, sess_h1, sess_p1, extra);
    sess_header(f, sess_h2, sess_p2, extra);
    fprintf(f, "   ");
    for (k = 0; k + 1 < SESS_COLS; k++)
        fprintf(f, "%-*s", (int)(sess_w[k] + extra[k]), v[k]);
    fprintf(f, "%s\n", v[SESS_COLS - 1]);
    if (policy) { /* under the result, as the seed prints it */
        for (k = 0; k < 3; k++)
            shift += extra[k];
        fprintf(f, "%*s%s\n", (int)(31 + shift), "", policy);
    }
}

static void session_block(FILE *f, const struct lyd_node *s)
{
    char r1[24], r2[24], r3[24], uid[12], psid[12], cg[12], mg[12], sg[12];
    const char *v[SESS_COLS] = {uid, psid, r1, r2, cg, mg, sg};
    int policy = !strcmp(issu_tree_str(s, "policy", "false"), "true");
    uint32_t sid = issu_tree_u32(s, "session-id", 0);

    fprintf(f, "*** Session_ID = %u, Session_Name = %s :\n", sid, issu_tree_str(s, "session-name", ""));
    snprintf(uid, sizeof(uid), "%u", issu_tree_u32(s, "peer-unique-id", 0));
    snprintf(psid, sizeof(psid), "%u", issu_tree_u32(s, "peer-session-id", 0));
    upper(issu_tree_str(s, "role", "none"), r1, sizeof(r1));
    upper(issu_tree_str(s, "result", "unknown"), r2, sizeof(r2));
    snprintf(cg, sizeof(cg), "%u", issu_tree_u32(s, "cap-group", 0));
    snprintf(mg, sizeof(mg), "%u", issu_tree_u32(s, "msg-group", 0));
    snprintf(sg, sizeof(sg), "%u", issu_tree_u32(s, "signature", 0));
    session_table(f, v, policy ? "(policy)" : "(no policy)");
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
    static const char *const v[SESS_COLS] = {"-", "-", "-", "UNAVAILABLE", "-", "-", "-"};
    int counts = strcmp(issu_tree_str(c, "counts", "true"), "false") != 0;

    fprintf(f, "-----\nClient_ID = %u, Entity_ID = - :\n", issu_tree_u32(c, "id", 0));
    fprintf(f, "*** Session_ID = -, Session_Name = - :\n");
    session_table(f, v, NULL);
    fprintf(f, "  Reason: %s; %s\n", issu_tree_str(c, "reason", "client present in one image only"),
            counts ? "counts against the verdict" : "optional: does not count against the verdict");
}

static int one_sided(const struct lyd_node *c)
{
    return strcmp(issu_tree_str(c, "presence", "both"), "both") != 0;
}

/* With the peer not up the sessions keep what the last negotiation found
 * (peer sids, versions, capabilities) and their results read UNKNOWN: say
 * so before a view of them. Only the live state has an endpoint (@p e,
 * looked up once by the caller: a lookup per session made check's
 * per-session views quadratic). */
static void stale_note_of(FILE *f, const struct lyd_node *e)
{
    const char *ps = e ? issu_tree_str(e, "peer-state", "down") : "up";
    uint32_t n = e ? issu_tree_u32(e, "negotiations", 0) : 0;
    const char *who = !strcmp(ps, "negotiating") ? "connected but not negotiated yet" : "down";

    if (!strcmp(ps, "up"))
        return;
    if (n)
        fprintf(f, "%% Peer is %s: results are UNKNOWN; the values below are from the last negotiation "
                   "(number %u), not current\n", who, n);
    else
        fprintf(f, "%% Peer is %s: nothing has been negotiated yet\n", who);
}

static void stale_note(FILE *f, const struct lyd_node *report)
{
    stale_note_of(f, issu_tree_child(report, "endpoint"));
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
    stale_note(f, report);
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

/* The two per-session views from the session's node @p s (check walks
 * every session: a lookup by id for each was quadratic). */
static void negotiated_version(FILE *f, const struct lyd_node *s, uint32_t sid)
{
    const struct lyd_node *n;

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
}

static void negotiated_capability(FILE *f, const struct lyd_node *s, uint32_t sid)
{
    const struct lyd_node *n;
    int ncaps = 0;

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
}

int issu_render_negotiated_version(FILE *f, const struct lyd_node *report, uint32_t sid)
{
    const struct lyd_node *s = issu_tree_session(report, sid);

    if (!s)
        return ISSU_ERR_NOTFOUND;
    stale_note(f, report);
    negotiated_version(f, s, sid);
    return ISSU_OK;
}

int issu_render_negotiated_capability(FILE *f, const struct lyd_node *report, uint32_t sid)
{
    const struct lyd_node *s = issu_tree_session(report, sid);

    if (!s)
        return ISSU_ERR_NOTFOUND;
    stale_note(f, report);
    negotiated_capability(f, s, sid);
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

/* A compatible session whose reason is made of warnings only (check's
 * "is COMPATIBLE, with a warning"): what the state view's sessions carry
 * (their results and reasons, not their versions). */
static int warning_only(const struct lyd_node *s)
{
    return issu_tree_child(s, "reason") && !strcmp(issu_tree_str(s, "result", ""), "compatible") &&
           !strcmp(issu_tree_str(s, "raw-result", "compatible"), "compatible");
}

static int blocks(const struct lyd_node *n)
{
    return is(n, "client") && strcmp(issu_tree_str(n, "counts", "true"), "false") &&
           !strcmp(issu_tree_str(n, "effective-result", issu_tree_str(n, "result", "")), "incompatible");
}

static const char *verdict_text(const struct lyd_node *report, char *buf, size_t len)
{
    upper(issu_tree_str(report, "verdict", "unknown"), buf, len);
    if (!strcmp(buf, "BASE LEVEL COMPATIBLE"))
        snprintf(buf, len, "BASE-LEVEL COMPATIBLE"); /* the domain's spelling */
    return buf;
}

/* "Image verdict: V", its reason, both endpoints. */
static void verdict_head(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *l = issu_tree_child(report, "local"), *p = issu_tree_child(report, "peer");
    const char *why = issu_tree_str(report, "verdict-reason", NULL);
    char buf[32];

    fprintf(f, "Image verdict: %s\n", verdict_text(report, buf, sizeof(buf)));
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
}

/* A client's result, reason and chain, then its sessions whose result is
 * not compatible (all of them with @p all_failed, else the incompatible
 * ones only: with the peer down every session is UNKNOWN). */
static void client_detail(FILE *f, const struct lyd_node *c, const struct sref *v, size_t nv, int all_failed)
{
    uint32_t id = issu_tree_u32(c, "id", 0);
    char buf[32];
    size_t k, hi;

    client_result(f, c);
    /* its first session: @p v is sorted by client (a scan from the start for
     * every blocking client was quadratic) */
    for (k = 0, hi = nv; k < hi;) {
        size_t mid = k + (hi - k) / 2;
        if (v[mid].client < id)
            k = mid + 1;
        else
            hi = mid;
    }
    for (; k < nv && v[k].client <= id; k++) {
        const char *r = issu_tree_str(v[k].n, "result", "");
        if (v[k].client == id && strcmp(r, "compatible") && (all_failed || !strcmp(r, "incompatible")))
            fprintf(f, "    Session_ID = %u, Entity_ID = %u : %s: %s\n", v[k].sid, v[k].entity,
                    upper(issu_tree_str(v[k].n, "result", "unknown"), buf, sizeof(buf)),
                    issu_tree_str(v[k].n, "reason", "no reason given"));
    }
}

int issu_render_verdict(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *n;
    struct sref *v = NULL;
    size_t nv = 0, k;
    unsigned nb = 0;

    verdict_head(f, report);
    /* the reason above names three clients at most: here is every one, with
     * its failed sessions (issue 18 item 11) */
    LY_LIST_FOR(lyd_child(report), n)
        nb += (unsigned)blocks(n);
    ISSU_CHECK(sorted_sessions(report, 0, &v, &nv));
    if (nb) {
        fprintf(f, "\nClients blocking the verdict (%u):\n", nb);
        LY_LIST_FOR(lyd_child(report), n)
            if (blocks(n))
                client_detail(f, n, v, nv, 1);
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

int issu_render_renegotiated(FILE *f, const struct lyd_node *report, uint32_t client_id, uint32_t sid)
{
    const struct lyd_node *c, *s = NULL;
    struct sref *v = NULL;
    size_t nv = 0, k;
    char buf[32];

    if (!client_id && !sid)
        return issu_render_verdict(f, report);
    if (sid && !(s = issu_tree_session(report, sid)))
        return ISSU_ERR_NOTFOUND;
    if (s)
        client_id = issu_tree_u32(s, "client-id", 0);
    if (!(c = issu_tree_client(report, client_id)))
        return ISSU_ERR_NOTFOUND;
    verdict_head(f, report);
    fprintf(f, "\n");
    client_result(f, c);
    ISSU_CHECK(sorted_sessions(report, client_id, &v, &nv));
    for (k = 0; k < nv; k++) {
        if (sid && v[k].sid != sid)
            continue;
        fprintf(f, "    Session_ID = %u, Entity_ID = %u, Session_Name = %s : %s\n", v[k].sid, v[k].entity,
                issu_tree_str(v[k].n, "session-name", ""),
                upper(issu_tree_str(v[k].n, "result", "unknown"), buf, sizeof(buf)));
        if (issu_tree_child(v[k].n, "reason"))
            fprintf(f, "      reason: %s\n", issu_tree_str(v[k].n, "reason", ""));
    }
    free(v);
    return ISSU_OK;
}

/* Cisco's `show issu state detail` layout: the name right-aligned on 28
 * columns, " = ", the value. */
static void field(FILE *f, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void field(FILE *f, const char *name, const char *fmt, ...)
{
    va_list ap;

    fprintf(f, "%28s = ", name);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fprintf(f, "\n");
}

static void state_endpoint(FILE *f, const struct lyd_node *id, const char *who, const char *role)
{
    int known = id && issu_tree_child(id, "unique-id");
    char r[24];

    field(f, "Endpoint", "%s (%s)", issu_tree_str(id, "side", "-"), who);
    if (known)
        field(f, "Unique ID", "%u", issu_tree_u32(id, "unique-id", 0));
    else
        field(f, "Unique ID", "-");
    field(f, "Role", "%s", upper(role, r, sizeof(r)));
    field(f, "Image Name", "%s", issu_tree_str(id, "image-name", "-"));
    field(f, "Image Version", "%s", issu_tree_str(id, "image-version", "-"));
}

int issu_render_switchover_ready(const struct lyd_node *state)
{
    const struct lyd_node *e = issu_tree_child(state, "endpoint");
    const char *r = e ? issu_tree_str(e, "switchover-ready", NULL) : NULL;

    if (r) /* the server's word */
        return !strcmp(r, "true");
    return e && !strcmp(issu_tree_str(e, "peer-state", "down"), "up") &&
           !strcmp(issu_tree_str(state, "verdict", "unknown"), "compatible");
}

int issu_render_state(FILE *f, const struct lyd_node *state, int detail)
{
    const struct lyd_node *e = issu_tree_child(state, "endpoint"), *n, *e2;
    const char *why = issu_tree_str(state, "verdict-reason", NULL);
    const char *role = e ? issu_tree_str(e, "role", "none") : "none";
    unsigned cc[5] = {0}, sc[3] = {0}, nc = 0, ns = 0, bad = 0;
    struct sref *v = NULL;
    size_t nv = 0, k;
    char buf[32];

    LY_LIST_FOR(lyd_child(state), n) {
        if (is(n, "client")) {
            const char *res = issu_tree_str(n, "result", "unknown");
            const char *eff = issu_tree_str(n, "effective-result", res);
            nc++;
            if (!strcmp(eff, "compatible"))
                cc[0]++;
            else if (!strcmp(eff, "unknown"))
                cc[4]++;
            else if (one_sided(n))
                cc[3]++;
            else if (!strcmp(res, "incompatible"))
                cc[1]++;
            else
                cc[2]++;
        } else if (is(n, "session")) {
            const char *res = issu_tree_str(n, "result", "unknown");
            ns++;
            sc[!strcmp(res, "compatible") ? 0 : !strcmp(res, "incompatible") ? 1 : 2]++;
        }
    }
    field(f, "Image Verdict", "%s", verdict_text(state, buf, sizeof(buf)));
    if (!why && e && !strcmp(issu_tree_str(state, "verdict", "unknown"), "unknown"))
        why = !strcmp(issu_tree_str(e, "peer-state", "down"), "negotiating")
                  ? "no verdict: the peer is connected, not negotiated yet"
                  : "no verdict: no peer connected";
    if (why)
        field(f, "Verdict Reason", "%s", why);
    field(f, "Switchover Ready", "%s", issu_render_switchover_ready(state) ? "Yes" : "No");
    field(f, "Peer State", "%s", e ? issu_tree_str(e, "peer-state", "down") : "-");
    field(f, "Negotiations", "%u", e ? issu_tree_u32(e, "negotiations", 0) : 0);
    field(f, "Last Change", "%s", e ? issu_tree_str(e, "last-change", "-") : "-");
    field(f, "Clients", "%u: %u compatible, %u incompatible, %u effectively incompatible, %u unavailable, %u unknown",
          nc, cc[0], cc[1], cc[2], cc[3], cc[4]);
    if ((e2 = issu_tree_child(state, "summary"))) { /* the server's counts: the sessions may not all be here */
        ns = issu_tree_u32(e2, "sessions-total", ns);
        sc[1] = issu_tree_u32(e2, "sessions-incompatible", sc[1]);
        sc[2] = issu_tree_u32(e2, "sessions-unknown", sc[2]);
        sc[0] = ns >= sc[1] + sc[2] ? ns - sc[1] - sc[2] : 0;
    }
    field(f, "Sessions", "%u: %u compatible, %u incompatible, %u unknown", ns, sc[0], sc[1], sc[2]);
    fprintf(f, "\n");
    state_endpoint(f, issu_tree_child(state, "local"), "this endpoint", role);
    fprintf(f, "\n");
    state_endpoint(f, issu_tree_child(state, "peer"), "its peer",
                   !strcmp(role, "primary") ? "passive" : !strcmp(role, "passive") ? "primary" : "none");
    if (!detail)
        return ISSU_OK;
    bad = nc - cc[0];
    fprintf(f, "\nClients not compatible (%u):\n", bad);
    if (!bad)
        return ISSU_OK;
    ISSU_CHECK(sorted_sessions(state, 0, &v, &nv));
    LY_LIST_FOR(lyd_child(state), n)
        if (is(n, "client") &&
            strcmp(issu_tree_str(n, "effective-result", issu_tree_str(n, "result", "")), "compatible"))
            client_detail(f, n, v, nv, 0);
    /* what does not fail a session, as the verdict view lists it */
    for (k = 0, bad = 0; k < nv; k++)
        bad += (unsigned)warning_only(v[k].n);
    if (bad)
        fprintf(f, "\nWarnings (%u session%s):\n", bad, bad == 1 ? "" : "s");
    for (k = 0; bad && k < nv; k++)
        if (warning_only(v[k].n))
            fprintf(f, "    Session_ID = %u, Client_ID = %u, Entity_ID = %u : %s\n", v[k].sid, v[k].client,
                    v[k].entity, issu_tree_str(v[k].n, "reason", ""));
    free(v);
    return ISSU_OK;
}

int issu_render_check(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *e = issu_tree_child(report, "endpoint");
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
        stale_note_of(f, e);
        negotiated_version(f, n, v[k].sid);
        stale_note_of(f, e);
        negotiated_capability(f, n, v[k].sid);
    }
    free(v);
    return rc;
}

static const struct lyd_node *by_id(const struct lyd_node *parent, const char *list, uint32_t id)
{
    return keyed(parent, list, "id", id);
}

/* A message type's Version_Range: its lowest and highest version (0 ~ 0: none). */
static void type_range(const struct lyd_node *t, uint32_t *lo, uint32_t *hi)
{
    const struct lyd_node *v;
    uint32_t n;

    *lo = UINT32_MAX;
    *hi = 0;
    LY_LIST_FOR(lyd_child(t), v) {
        if (!is(v, "version"))
            continue;
        n = issu_tree_u32(v, "number", 0);
        *lo = n < *lo ? n : *lo;
        *hi = n > *hi ? n : *hi;
    }
    if (*lo > *hi)
        *lo = *hi = 0;
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
            uint32_t lo, hi;
            if (!is(t, "message-type"))
                continue;
            type_range(t, &lo, &hi);
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

/* show issu message groups [client]: per entity, its message group and the
 * group's types with their version ranges. */
static void message_groups(FILE *f, const struct lyd_node *c)
{
    const struct lyd_node *e, *g, *t;
    uint32_t id = issu_tree_u32(c, "id", 0), gid, lo, hi;

    LY_LIST_FOR(lyd_child(c), e) {
        if (!is(e, "entity"))
            continue;
        gid = issu_tree_u32(e, "message-group", 0);
        fprintf(f, "-----\nClient_ID = %u, Entity_ID = %u :\n", id, issu_tree_u32(e, "id", 0));
        fprintf(f, "  Message_Group = %u :\n", gid);
        if (!(g = by_id(c, "message-group", gid)))
            continue;
        LY_LIST_FOR(lyd_child(g), t) {
            if (!is(t, "message-type"))
                continue;
            type_range(t, &lo, &hi);
            fprintf(f, "    Message_Type = %u, Version_Range = %u ~ %u\n", issu_tree_u32(t, "id", 0), lo, hi);
        }
    }
}

int issu_render_message_groups(FILE *f, const struct lyd_node *image, uint32_t client_id)
{
    const struct lyd_node *c;

    if (client_id) {
        if (!(c = by_id(image, "client", client_id)))
            return ISSU_ERR_NOTFOUND;
        message_groups(f, c);
        return ISSU_OK;
    }
    LY_LIST_FOR(lyd_child(image), c)
        if (is(c, "client"))
            message_groups(f, c);
    return ISSU_OK;
}

/* ---- Cisco's comp-matrix tables: a heading, a rule of '=', rows. Each
 * column is as wide as its default or its longest value and one space, so
 * the columns stay under their headings; the last is not padded. ---- */

#define TBL_COLS 8

struct tbl {
    unsigned n;
    const char *head[TBL_COLS];
    unsigned w[TBL_COLS];
    unsigned rule; /* the rule is at least this long (Cisco's) */
    char **cell;   /* rows * n */
    size_t rows, cap;
    int oom;
};

static void tbl_row(struct tbl *t, const char *const *vals)
{
    unsigned k;

    if (t->oom)
        return;
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cell, cap * t->n * sizeof(*c));
        if (!c) {
            t->oom = 1;
            return;
        }
        t->cell = c;
        t->cap = cap;
    }
    for (k = 0; k < t->n; k++) {
        char *d = strdup(vals[k]);
        if (!d) {
            while (k--)
                free(t->cell[t->rows * t->n + k]);
            t->oom = 1;
            return;
        }
        t->cell[t->rows * t->n + k] = d;
    }
    t->rows++;
}

static void tbl_free(struct tbl *t)
{
    size_t i;

    for (i = 0; i < t->rows * t->n; i++)
        free(t->cell[i]);
    free(t->cell);
}

static int tbl_print(FILE *f, struct tbl *t)
{
    unsigned k, total = 0, last;
    size_t r;

    if (t->oom)
        return ISSU_ERR_NOMEM;
    for (k = 0; k < t->n; k++) {
        unsigned w = (unsigned)strlen(t->head[k]) + 1;
        if (w > t->w[k])
            t->w[k] = w;
        for (r = 0; r < t->rows; r++)
            if ((w = (unsigned)strlen(t->cell[r * t->n + k]) + 1) > t->w[k])
                t->w[k] = w;
    }
    for (k = 0; k + 1 < t->n; k++) {
        fprintf(f, "%-*s", (int)t->w[k], t->head[k]);
        total += t->w[k];
    }
    fprintf(f, "%s\n", t->head[t->n - 1]);
    last = t->w[t->n - 1] - 1;
    for (k = total + last > t->rule ? total + last : t->rule; k; k--)
        fputc('=', f);
    fputc('\n', f);
    for (r = 0; r < t->rows; r++) {
        for (k = 0; k + 1 < t->n; k++)
            fprintf(f, "%-*s", (int)t->w[k], t->cell[r * t->n + k]);
        fprintf(f, "%s\n", t->cell[r * t->n + t->n - 1]);
    }
    return ISSU_OK;
}

/* "CardType: active(1), Uid: 4, Image Ver: V" and "Image Name: N": we have
 * no card types; the side (and its number in the MIB) stands in. */
static void card_header(FILE *f, const struct lyd_node *id)
{
    const char *side = issu_tree_str(id, "side", "-");
    char uid[12] = "-";

    if (id && issu_tree_child(id, "unique-id"))
        snprintf(uid, sizeof(uid), "%u", issu_tree_u32(id, "unique-id", 0));
    fprintf(f, "CardType: %s(%d), Uid: %s, Image Ver: %s\n", side, !strcmp(side, "active") ? 1 : 2, uid,
            issu_tree_str(id, "image-version", "-"));
    fprintf(f, "Image Name: %s\n", issu_tree_str(id, "image-name", "-"));
}

/* Y when every message type of the session's group has a negotiated version. */
static const char *group_negotiated(const struct lyd_node *s)
{
    const struct lyd_node *n;
    int any = 0;

    LY_LIST_FOR(lyd_child(s), n) {
        if (!is(n, "negotiated-version"))
            continue;
        if (!issu_tree_child(n, "version"))
            return "N";
        any = 1;
    }
    return any ? "Y" : "N";
}

int issu_render_comp_matrix_negotiated(FILE *f, const struct lyd_node *report)
{
    struct tbl m = {6, {"Cid", "Eid", "Sid", "pSid", "pUid", "Compatibility"}, {7, 6, 9, 9, 7, 0}, 55, NULL, 0, 0, 0};
    struct tbl g = {7, {"Cid", "Eid", "GrpId", "Sid", "pSid", "pUid", "Nego Result"}, {7, 6, 8, 9, 9, 7, 0}, 61,
                    NULL, 0, 0, 0};
    struct tbl l = {3, {"Cid", "Client Name", "Base/Non-Base"}, {10, 25, 0}, 48, NULL, 0, 0, 0};
    const struct lyd_node *c;
    struct sref *v = NULL;
    size_t nv = 0, k = 0;
    int rc;

    ISSU_CHECK(sorted_sessions(report, 0, &v, &nv));
    LY_LIST_FOR(lyd_child(report), c) {
        char cid[12], eid[12], sid[12], psid[12], puid[12], grp[12], res[24];
        const char *row[7];
        uint32_t id;
        int any = 0;
        if (!is(c, "client"))
            continue;
        id = issu_tree_u32(c, "id", 0);
        snprintf(cid, sizeof(cid), "%u", id);
        for (; k < nv && v[k].client < id; k++)
            ;
        for (; k < nv && v[k].client == id; k++, any = 1) {
            const struct lyd_node *s = v[k].n;
            snprintf(eid, sizeof(eid), "%u", v[k].entity);
            snprintf(sid, sizeof(sid), "%u", v[k].sid);
            snprintf(psid, sizeof(psid), "%u", issu_tree_u32(s, "peer-session-id", 0));
            snprintf(puid, sizeof(puid), "%u", issu_tree_u32(s, "peer-unique-id", 0));
            snprintf(grp, sizeof(grp), "%u", issu_tree_u32(s, "msg-group", 0));
            upper(issu_tree_str(s, "result", "unknown"), res, sizeof(res));
            row[0] = cid, row[1] = eid, row[2] = sid, row[3] = psid, row[4] = puid, row[5] = res;
            tbl_row(&m, row);
            row[2] = grp, row[3] = sid, row[4] = psid, row[5] = puid, row[6] = group_negotiated(s);
            tbl_row(&g, row);
        }
        if (!any) { /* no session: in one image only (or no entity at all) */
            row[0] = cid, row[1] = row[2] = row[3] = row[4] = "-";
            row[5] = one_sided(c) ? "UNAVAILABLE" : upper(issu_tree_str(c, "result", "unknown"), res, sizeof(res));
            tbl_row(&m, row);
        }
        row[0] = cid;
        row[1] = issu_tree_str(c, "name", "");
        row[2] = !strcmp(issu_tree_str(c, "base", "false"), "true") ? "Base" : "Non-Base";
        tbl_row(&l, row);
    }
    stale_note(f, report);
    card_header(f, issu_tree_child(report, "local"));
    fprintf(f, "\n");
    card_header(f, issu_tree_child(report, "peer"));
    fprintf(f, "\n");
    ISSU_CHECK_GOTO(tbl_print(f, &m), rc);
    fprintf(f, "\nMessage group summary:\n");
    ISSU_CHECK_GOTO(tbl_print(f, &g), rc);
    fprintf(f, "\nList of Clients:\n");
    ISSU_CHECK_GOTO(tbl_print(f, &l), rc);
cleanup:
    tbl_free(&m);
    tbl_free(&g);
    tbl_free(&l);
    free(v);
    return rc;
}

int issu_render_comp_matrix_stored(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *l = issu_tree_child(report, "local"), *p = issu_tree_child(report, "peer");
    const char *pv = issu_tree_str(p, "image-version", NULL);

    /* our images store no matrix: every peer version is decided at run time
     * by negotiation, Cisco's Dynamic(0); the peer's is the one we know */
    fprintf(f, "Number of Matrices in Table = 1\n");
    fprintf(f, "        (1) Matrix for %s(1) - %s(2)\n", issu_tree_str(l, "image-name", "-"),
            issu_tree_str(p, "image-name", "-"));
    fprintf(f, "        ==========================================\n");
    fprintf(f, "                My Image ver:  %s\n", issu_tree_str(l, "image-version", "-"));
    fprintf(f, "                %-23s %s\n", "Peer Version", "Compatibility");
    fprintf(f, "                %-23s %s\n", "------------", "-------------");
    if (pv)
        fprintf(f, "                %-23s %s\n", pv, "Dynamic(0)");
    return ISSU_OK;
}
