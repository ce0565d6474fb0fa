/*
 * render.c - `show issu` text from issu-report trees (render.h).
 *
 * Layouts follow the seed's LDP examples (the cleanest of its captures);
 * the session value row is aligned under its two header lines.
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

int issu_render_sessions(FILE *f, const struct lyd_node *report, uint32_t client_id)
{
    const struct lyd_node *n;
    uint32_t last_c = 0, last_e = 0;
    int any = 0, first = 1;

    if (client_id && !issu_tree_client(report, client_id))
        return ISSU_ERR_NOTFOUND;
    /* sessions are keyed by sid; print them grouped by (client, entity) order of
     * appearance: one header per entity, as the router does */
    LY_LIST_FOR(lyd_child(report), n) {
        uint32_t c, e;
        if (!is(n, "session"))
            continue;
        c = issu_tree_u32(n, "client-id", 0);
        e = issu_tree_u32(n, "entity-id", 0);
        if (client_id && c != client_id)
            continue;
        if (first || c != last_c || e != last_e) {
            fprintf(f, "-----\nClient_ID = %u, Entity_ID = %u :\n", c, e);
            first = 0;
        }
        last_c = c;
        last_e = e;
        session_block(f, n);
        any = 1;
    }
    (void)any;
    return ISSU_OK;
}

int issu_render_negotiated_version(FILE *f, const struct lyd_node *report, uint32_t sid)
{
    const struct lyd_node *s = issu_tree_session(report, sid), *n;

    if (!s)
        return ISSU_ERR_NOTFOUND;
    fprintf(f, "Session_ID = %u :\n", sid);
    LY_LIST_FOR(lyd_child(s), n)
        if (is(n, "negotiated-version"))
            fprintf(f, "  Message_Type = %u, Negotiated_Version = %u, Message_MTU = %u\n",
                    issu_tree_u32(n, "message-type", 0), issu_tree_u32(n, "version", 0),
                    issu_tree_u32(n, "mtu", 0));
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
        else
            fprintf(f, "  Cap_Type = %u, Cap_Result = %u No cap value assigned\n", t, r);
    }
    return ISSU_OK;
}

int issu_render_verdict(FILE *f, const struct lyd_node *report)
{
    const struct lyd_node *n, *l = issu_tree_child(report, "local"), *p = issu_tree_child(report, "peer");
    const char *why = issu_tree_str(report, "verdict-reason", NULL);
    char v[32], r[24];

    upper(issu_tree_str(report, "verdict", "unknown"), v, sizeof(v));
    if (!strcmp(v, "BASE LEVEL COMPATIBLE"))
        strcpy(v, "BASE-LEVEL COMPATIBLE"); /* the domain's spelling */
    fprintf(f, "Image verdict: %s\n", v);
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
    fprintf(f, "\nClient results:\n");
    LY_LIST_FOR(lyd_child(report), n) {
        const char *res, *eff;
        const struct lyd_node *c;
        int first = 1;
        if (!is(n, "client"))
            continue;
        res = issu_tree_str(n, "result", "unknown");
        eff = issu_tree_str(n, "effective-result", res);
        fprintf(f, "Client_ID = %u, Client_Name = %s%s : %s%s\n", issu_tree_u32(n, "id", 0),
                issu_tree_str(n, "name", ""),
                !strcmp(issu_tree_str(n, "base", "false"), "true") ? ", Base" : "",
                strcmp(res, eff) ? "EFFECTIVELY " : "", upper(eff, r, sizeof(r)));
        if (strcmp(issu_tree_str(n, "presence", "both"), "both") &&
            !strcmp(issu_tree_str(n, "counts", "true"), "false"))
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
    const struct lyd_node *n;

    ISSU_CHECK(issu_render_verdict(f, report));
    fprintf(f, "\nSessions:\n");
    ISSU_CHECK(issu_render_sessions(f, report, 0));
    LY_LIST_FOR(lyd_child(report), n) {
        uint32_t sid;
        if (!is(n, "session"))
            continue;
        sid = issu_tree_u32(n, "session-id", 0);
        fprintf(f, "\n");
        if (issu_tree_child(n, "reason"))
            fprintf(f, "Session_ID = %u is INCOMPATIBLE: %s\n", sid, issu_tree_str(n, "reason", ""));
        ISSU_CHECK(issu_render_negotiated_version(f, report, sid));
        ISSU_CHECK(issu_render_negotiated_capability(f, report, sid));
    }
    return ISSU_OK;
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
                issu_tree_u32(n, "id", 0), issu_tree_str(n, "name", ""), upper(res, r1, sizeof(r1)),
                upper(issu_tree_str(n, "effective-result", res), r2, sizeof(r2)));
    }
    return ISSU_OK;
}
