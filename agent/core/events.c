/*
 * events.c - the events between two snapshots (events.h), with their reasons.
 *
 * Runs on the core thread once per published snapshot, for every face at
 * once: one pass over the new snapshot's sessions in sid order with a
 * binary search in the old one, one over the old one for the sessions that
 * disappeared. Reasons are written here, so every face tells the same words.
 */
#include "events.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

/* A malloc'd printf; NULL on allocation failure. */
static char *fmt(const char *f, ...)
{
    va_list ap;
    char *s;
    int n;

    va_start(ap, f);
    n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    va_start(ap, f);
    vsnprintf(s, (size_t)n + 1, f, ap);
    va_end(ap);
    return s;
}

static const char *or_(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static uint8_t effective_of(const struct issu_snapshot *s, const struct issu_session *ss)
{
    const struct issu_client_result *c = issu_snapshot_client(s, ss->client_id);

    return c ? c->effective : ISSU_RES_UNKNOWN;
}

/* "2011 ISSU LDP Client -> 2007 ISSU LSD Label Mgr HA Client -> 4 ISSU CF client" */
static char *chain_words(const struct issu_snapshot *s, const struct issu_client_result *c)
{
    size_t len = 1, off = 0;
    uint32_t i;
    char *out;

    for (i = 0; i < c->n_chain; i++) {
        const struct issu_client_result *p = issu_snapshot_client(s, c->chain[i]);
        len += 16 + strlen(p && p->name ? p->name : "") + 4;
    }
    out = malloc(len);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (i = 0; i < c->n_chain; i++) {
        const struct issu_client_result *p = issu_snapshot_client(s, c->chain[i]);
        int n = snprintf(out + off, len - off, "%s%u%s%s", i ? " -> " : "", c->chain[i],
                         p && p->name ? " " : "", p && p->name ? p->name : "");
        if (n < 0 || (size_t)n >= len - off)
            break;
        off += (size_t)n;
    }
    return out;
}

/* Why the session is in the state it is in now. */
static char *session_reason(const struct issu_snapshot *s, const struct issu_session *ss,
                            const struct issu_client_result *c)
{
    char *chain, *r;

    if (ss->result == ISSU_RES_UNKNOWN)
        return fmt("not negotiated");
    if (ss->result != ISSU_RES_COMPATIBLE)
        return fmt("%s", or_(ss->reason, "incompatible"));
    if (c && c->effective == ISSU_RES_INCOMPATIBLE && c->n_chain > 1) {
        const struct issu_client_result *root = issu_snapshot_client(s, c->chain[c->n_chain - 1]);
        chain = chain_words(s, c);
        if (!chain)
            return NULL;
        r = fmt("effectively incompatible: prerequisite chain %s; %u: %s", chain,
                c->chain[c->n_chain - 1], or_(root ? root->reason : NULL, "incompatible"));
        free(chain);
        return r;
    }
    if (c && c->effective == ISSU_RES_INCOMPATIBLE)
        return fmt("effectively incompatible: %s", or_(c->reason, "incompatible"));
    if (ss->raw_result == ISSU_RES_INCOMPATIBLE)
        return fmt("compatible by policy; raw result incompatible: %s", or_(ss->reason, "incompatible"));
    if (c && c->effective == ISSU_RES_UNKNOWN)
        return fmt("negotiated compatible; a prerequisite is not negotiated%s%s",
                   ss->reason ? "; " : "", ss->reason ? ss->reason : "");
    return fmt("compatible: every message type and required capability negotiated, every "
               "prerequisite compatible%s%s", ss->reason ? "; " : "", ss->reason ? ss->reason : "");
}

static char *verdict_reason(const struct issu_snapshot *cur)
{
    if (cur->verdict_reason && *cur->verdict_reason)
        return fmt("%s", cur->verdict_reason);
    switch (cur->verdict) {
    case ISSU_VERDICT_COMPATIBLE:
        return fmt("every client is compatible");
    case ISSU_VERDICT_UNKNOWN:
        if (cur->peer_state != ISSU_PEER_UP)
            return fmt("no peer negotiated: the verdict needs the peer's image");
        return fmt("not every client is negotiated");
    default:
        return fmt("%s", issu_verdict_name(cur->verdict));
    }
}

struct acc {
    struct issu_events *e;
    uint32_t cap;
};

static struct issu_event *push(struct acc *a)
{
    struct issu_event *ev;

    if (a->e->n == a->cap) {
        uint32_t cap = a->cap ? a->cap * 2 : 8;
        struct issu_event *n = realloc(a->e->ev, (size_t)cap * sizeof(*n));
        if (!n)
            return NULL;
        a->e->ev = n;
        a->cap = cap;
    }
    ev = &a->e->ev[a->e->n++];
    memset(ev, 0, sizeof(*ev));
    return ev;
}

static void fill_session(struct issu_event *ev, const struct issu_session *ss)
{
    ev->kind = ISSU_EV_SESSION;
    ev->sid = ss->sid;
    ev->peer_sid = ss->peer_sid;
    ev->client_id = ss->client_id;
    ev->entity_id = ss->entity_id;
    ev->session_name = ss->name;
    ev->peer_unique_id = ss->peer_unique_id;
    ev->has_policy = ss->has_policy;
}

static int peer_event(struct acc *a, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    int lost = old->peer_state == ISSU_PEER_UP && cur->peer_state != ISSU_PEER_UP;
    const struct issu_snapshot *who = lost ? old : cur;
    struct issu_event *ev;

    if (!lost && !(old->peer_state != ISSU_PEER_UP && cur->peer_state == ISSU_PEER_UP))
        return ISSU_OK;
    ev = push(a);
    if (!ev)
        return ISSU_ERR_NOMEM;
    ev->kind = lost ? ISSU_EV_PEER_LOST : ISSU_EV_PEER_BACK;
    ev->old_peer_state = old->peer_state;
    ev->peer_state = cur->peer_state;
    ev->peer_unique_id = who->peer_unique_id;
    ev->peer_image_name = who->peer_image_name;
    ev->peer_image_version = who->peer_image_version;
    if (lost)
        ev->reason = fmt("peer %u (image %s %s) lost: no session is negotiated until it is back",
                         who->peer_unique_id, or_(who->peer_image_name, "?"),
                         or_(who->peer_image_version, "?"));
    else
        ev->reason = fmt("peer %u (image %s %s) up and negotiated: %u session(s), verdict %s",
                         who->peer_unique_id, or_(who->peer_image_name, "?"),
                         or_(who->peer_image_version, "?"), cur->n_sessions,
                         issu_verdict_name(cur->verdict));
    return ev->reason ? ISSU_OK : ISSU_ERR_NOMEM;
}

static int session_events(struct acc *a, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    uint32_t i;

    for (i = 0; i < cur->n_sessions; i++) {
        const struct issu_session *ns = &cur->sessions[cur->by_sid[i]];
        const struct issu_session *os = issu_snapshot_session(old, ns->sid);
        const struct issu_client_result *nc = issu_snapshot_client(cur, ns->client_id);
        uint8_t o_raw = ISSU_RES_UNKNOWN, o_res = ISSU_RES_UNKNOWN, o_eff = ISSU_RES_UNKNOWN;
        uint8_t n_eff = nc ? nc->effective : ISSU_RES_UNKNOWN;
        struct issu_event *ev;

        /* a sid reused by another client or entity is another session */
        if (os && (os->client_id != ns->client_id || os->entity_id != ns->entity_id))
            os = NULL;
        if (os) {
            o_raw = os->raw_result;
            o_res = os->result;
            o_eff = effective_of(old, os);
        }
        if (os && o_raw == ns->raw_result && o_res == ns->result && o_eff == n_eff)
            continue;
        ev = push(a);
        if (!ev)
            return ISSU_ERR_NOMEM;
        fill_session(ev, ns);
        ev->old_raw = o_raw;
        ev->old_result = o_res;
        ev->old_effective = o_eff;
        ev->raw = ns->raw_result;
        ev->result = ns->result;
        ev->effective = n_eff;
        if (nc && n_eff == ISSU_RES_INCOMPATIBLE) {
            ev->n_chain = nc->n_chain;
            ev->chain = nc->chain;
        }
        ev->reason = session_reason(cur, ns, nc);
        if (!ev->reason)
            return ISSU_ERR_NOMEM;
        a->e->n_sessions++;
    }
    for (i = 0; i < old->n_sessions; i++) {
        const struct issu_session *os = &old->sessions[old->by_sid[i]];
        const struct issu_session *ns = issu_snapshot_session(cur, os->sid);
        struct issu_event *ev;

        if (ns && ns->client_id == os->client_id && ns->entity_id == os->entity_id)
            continue;
        ev = push(a);
        if (!ev)
            return ISSU_ERR_NOMEM;
        fill_session(ev, os);
        ev->gone = 1;
        ev->old_raw = os->raw_result;
        ev->old_result = os->result;
        ev->old_effective = effective_of(old, os);
        ev->raw = ev->result = ev->effective = ISSU_RES_UNKNOWN;
        ev->reason = fmt("session removed: its client or entity left one of the images");
        if (!ev->reason)
            return ISSU_ERR_NOMEM;
        a->e->n_sessions++;
    }
    return ISSU_OK;
}

int issu_events_diff(const struct issu_snapshot *old, const struct issu_snapshot *cur,
                     struct issu_events **out)
{
    struct acc a = {NULL, 0};
    struct issu_event *ev;
    uint32_t i;
    int rc = ISSU_OK;

    *out = NULL;
    if (!cur)
        return ISSU_ERR_INVAL;
    a.e = calloc(1, sizeof(*a.e));
    ISSU_CHECK_MEM(a.e, rc);
    a.e->refs = 1;
    a.e->cur = issu_snapshot_ref((struct issu_snapshot *)cur);
    a.e->old = issu_snapshot_ref((struct issu_snapshot *)old);
    if (!old)
        goto done; /* the first snapshot changes nothing */
    ISSU_CHECK_GOTO(peer_event(&a, old, cur), rc);
    /* between two negotiated states only: a loss or return is one event */
    if (old->peer_state == ISSU_PEER_UP && cur->peer_state == ISSU_PEER_UP)
        ISSU_CHECK_GOTO(session_events(&a, old, cur), rc);
    if (old->verdict != cur->verdict) {
        ev = push(&a);
        ISSU_CHECK_MEM(ev, rc);
        ev->kind = ISSU_EV_VERDICT;
        ev->old_verdict = old->verdict;
        ev->reason = verdict_reason(cur);
        ISSU_CHECK_MEM(ev->reason, rc);
    }
done:
    for (i = 0; i < a.e->n; i++)
        a.e->ev[i].verdict = cur->verdict;
    *out = a.e;
    return ISSU_OK;

cleanup:
    issu_events_unref(a.e);
    return rc;
}

struct issu_events *issu_events_ref(struct issu_events *e)
{
    if (e)
        __atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
    return e;
}

void issu_events_unref(struct issu_events *e)
{
    uint32_t i;

    if (!e || __atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (i = 0; i < e->n; i++)
        free((char *)e->ev[i].reason);
    free(e->ev);
    issu_snapshot_unref(e->old);
    issu_snapshot_unref(e->cur);
    free(e);
}

const char *issu_event_kind_name(int kind)
{
    switch (kind) {
    case ISSU_EV_PEER_LOST: return "peer-lost";
    case ISSU_EV_PEER_BACK: return "peer-back";
    case ISSU_EV_SESSION: return "session";
    case ISSU_EV_VERDICT: return "verdict";
    default: return "unknown";
    }
}
