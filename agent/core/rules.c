/*
 * rules.c - the negotiation rules (rules.h, DOMAIN.md "The rules our core
 * implements"). Pure functions over image data and snapshots; no I/O.
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

#define MAX_REASONS 3 /* listed in full; the rest are counted */

/* A small append-only string for reasons. */
struct sbuf {
    char *s;
    size_t len, cap;
    unsigned items, dropped;
    int oom;
};

static void sb_vadd(struct sbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (b->oom)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    b->len += (size_t)n;
}

static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

/* One more problem: listed while there are few, counted after. */
static void sb_item(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;

    if (b->items >= MAX_REASONS) {
        b->dropped++;
        return;
    }
    if (b->items++)
        sb_add(b, "; ");
    va_start(ap, fmt);
    sb_vadd(b, fmt, ap);
    va_end(ap);
}

static char *sb_finish(struct sbuf *b)
{
    if (b->dropped)
        sb_add(b, "; and %u more", b->dropped);
    if (b->oom) {
        free(b->s);
        return NULL;
    }
    return b->s;
}

static const char *side_name(uint8_t s)
{
    return issu_side_name(s);
}

/* Start a note (one NUL-terminated text of a notes buffer): its reference. */
static uint32_t note_begin(struct sbuf *n)
{
    return n->oom ? 0 : (uint32_t)n->len + 1;
}

static void note_end(struct sbuf *n)
{
    if (!n->oom && n->s)
        n->len++; /* keep the NUL sb_vadd wrote */
}

/* "active", "standby", "active and standby" (requiring sides), or NULL. */
static const char *req_sides(int la, int lreq, int preq)
{
    if (lreq && preq)
        return "active and standby";
    if (!lreq && !preq)
        return NULL;
    return (lreq ? la : !la) ? "active" : "standby";
}

/* Print a side's entries as "1,2,3" (or "none"). */
static void sb_entries(struct sbuf *b, const struct issu_cap_type *t)
{
    uint32_t i;

    if (!t || !t->n_entries) {
        sb_add(b, "none");
        return;
    }
    for (i = 0; i < t->n_entries && i < 8; i++)
        sb_add(b, "%s%u", i ? "," : "", t->entries[i]);
    if (t->n_entries > 8)
        sb_add(b, ",...");
}

/* Highest entry in both sorted lists; 0 when none (found = 0). */
static int common_entry(const struct issu_cap_type *a, const struct issu_cap_type *b,
                        uint32_t *entry)
{
    uint32_t i = a->n_entries, j = b->n_entries;

    while (i && j) {
        uint32_t x = a->entries[i - 1], y = b->entries[j - 1];
        if (x == y) {
            *entry = x;
            return 1;
        }
        if (x > y)
            i--;
        else
            j--;
    }
    return 0;
}

int issu_rules_session(const struct issu_local_view *local, uint8_t peer_side,
                       const struct issu_w_nego *peer,
                       struct issu_neg_version *versions, uint32_t *n_versions,
                       struct issu_neg_cap *caps, uint32_t *n_caps, uint8_t *raw, char **reason,
                       char **notes, uint32_t *notes_len)
{
    const struct issu_msg_type *lt = local->msgs ? local->msgs->types : NULL;
    const struct issu_cap_type *lc = local->caps ? local->caps->types : NULL;
    uint32_t nlt = local->msgs ? local->msgs->n_types : 0;
    uint32_t nlc = local->caps ? local->caps->n_types : 0;
    int local_active = local->side == ISSU_SIDE_ACTIVE;
    struct sbuf sb = {0}, nb = {0}, wb = {0};
    uint32_t i = 0, j = 0, nv = 0, nc = 0;
    int bad = 0;

    /* Message types: merge the two sorted lists by id. */
    while (i < nlt || j < peer->n_types) {
        const struct issu_msg_type *l = i < nlt ? &lt[i] : NULL;
        const struct issu_w_range *p = j < peer->n_types ? &peer->types[j] : NULL;
        struct issu_neg_version *v = &versions[nv++];

        memset(v, 0, sizeof(*v));
        if (l && (!p || l->id < p->id)) {
            v->msg_type = l->id;
            sb_item(&sb, "message type %u unknown to %s", l->id, side_name(peer_side));
            v->note = note_begin(&nb);
            sb_add(&nb, "unknown to %s (%s has %u~%u)", side_name(peer_side), side_name(local->side),
                   issu_msg_type_low(l), issu_msg_type_high(l));
            note_end(&nb);
            bad = 1;
            i++;
        } else if (p && (!l || p->id < l->id)) {
            v->msg_type = p->id;
            sb_item(&sb, "message type %u unknown to %s", p->id, side_name(local->side));
            v->note = note_begin(&nb);
            sb_add(&nb, "unknown to %s (%s has %u~%u)", side_name(local->side), side_name(peer_side), p->low,
                   p->high);
            note_end(&nb);
            bad = 1;
            j++;
        } else {
            uint32_t llo = issu_msg_type_low(l), lhi = issu_msg_type_high(l);
            uint32_t lo = llo > p->low ? llo : p->low, hi = lhi < p->high ? lhi : p->high;

            v->msg_type = l->id;
            if (lo <= hi) {
                /* rule 1: the highest version in both ranges (ranges are contiguous) */
                v->version = hi;
                v->mtu = l->versions[hi - llo].mtu;
                v->peer_mtu = p->mtus[hi - p->low];
                if (v->mtu != v->peer_mtu) {
                    /* the same version, sized differently: a warning, not a failure */
                    uint32_t am = local_active ? v->mtu : v->peer_mtu, sm = local_active ? v->peer_mtu : v->mtu;
                    sb_item(&wb, "Message_MTU of message type %u version %u differs: active %u, standby %u", l->id,
                            hi, am, sm);
                    v->note = note_begin(&nb);
                    sb_add(&nb, "Message_MTU differs: active %u, standby %u", am, sm);
                    note_end(&nb);
                }
            } else {
                sb_item(&sb, "no common version for message type %u: active %u~%u, standby %u~%u",
                        l->id, local_active ? llo : p->low, local_active ? lhi : p->high,
                        local_active ? p->low : llo, local_active ? p->high : lhi);
                v->note = note_begin(&nb);
                sb_add(&nb, "no common version: active %u~%u, standby %u~%u", local_active ? llo : p->low,
                       local_active ? lhi : p->high, local_active ? p->low : llo, local_active ? p->high : lhi);
                note_end(&nb);
                bad = 1;
            }
            i++;
            j++;
        }
    }

    /* Capability types: rule 2. */
    i = j = 0;
    while (i < nlc || j < peer->n_caps) {
        const struct issu_cap_type *l = i < nlc ? &lc[i] : NULL;
        const struct issu_cap_type *p = j < peer->n_caps ? &peer->caps[j] : NULL;
        struct issu_neg_cap *c = &caps[nc++];

        memset(c, 0, sizeof(*c));
        if ((l && (!p || l->id < p->id)) || (p && (!l || p->id < l->id))) {
            /* on one side only */
            const struct issu_cap_type *t = l && (!p || l->id < p->id) ? l : p;
            uint8_t has = t == l ? local->side : peer_side, lacks = t == l ? peer_side : local->side;

            c->cap_type = t->id;
            c->required = (uint8_t)(t->required ? 1 : 0);
            if (t->required) {
                sb_item(&sb, "required capability %u missing on %s", t->id, side_name(lacks));
                bad = 1;
            }
            c->note = note_begin(&nb);
            if (t->required)
                sb_add(&nb, "required by %s, missing on %s; %s entries ", side_name(has), side_name(lacks),
                       side_name(has));
            else
                sb_add(&nb, "missing on %s (optional on %s); %s entries ", side_name(lacks), side_name(has),
                       side_name(has));
            sb_entries(&nb, t);
            note_end(&nb);
            if (t == l)
                i++;
            else
                j++;
        } else {
            c->cap_type = l->id;
            c->required = (uint8_t)((l->required || p->required) ? 1 : 0);
            if (!l->n_entries && !p->n_entries) {
                c->result = 1; /* "No cap value assigned" */
            } else if (common_entry(l, p, &c->entry)) {
                c->result = 1;
                c->has_entry = 1;
            } else {
                const char *who = req_sides(local_active, l->required, p->required);

                if (c->required) {
                    if (sb.items < MAX_REASONS) {
                        sb_item(&sb, "no common entry for required capability %u: active ", l->id);
                        sb_entries(&sb, local_active ? l : p);
                        sb_add(&sb, ", standby ");
                        sb_entries(&sb, local_active ? p : l);
                    } else {
                        sb.dropped++;
                    }
                    bad = 1;
                }
                c->note = note_begin(&nb);
                sb_add(&nb, "%s%s, no common entry: active ", who ? "required by " : "optional on both sides",
                       who ? who : "");
                sb_entries(&nb, local_active ? l : p);
                sb_add(&nb, ", standby ");
                sb_entries(&nb, local_active ? p : l);
                note_end(&nb);
            }
            i++;
            j++;
        }
    }

    *n_versions = nv;
    *n_caps = nc;
    *raw = bad ? ISSU_RES_INCOMPATIBLE : ISSU_RES_COMPATIBLE;
    *reason = NULL;
    *notes = NULL;
    *notes_len = 0;
    if (bad || wb.items) {
        /* the problems (three at most), then the warnings, counted apart */
        char *pr = bad ? sb_finish(&sb) : (free(sb.s), NULL), *wr = wb.items ? sb_finish(&wb) : NULL;
        struct sbuf r = {0};

        if ((bad && !pr) || (wb.items && !wr))
            r.oom = 1;
        sb_add(&r, "%s%s%s%s", pr ? pr : "", pr && wr ? "; " : "", wr ? "warning: " : "", wr ? wr : "");
        free(pr);
        free(wr);
        if (r.oom || !r.s) {
            free(r.s);
            free(nb.s);
            return ISSU_ERR_NOMEM;
        }
        *reason = r.s;
    } else {
        free(sb.s);
    }
    if (nb.oom) {
        free((char *)*reason);
        *reason = NULL;
        return ISSU_ERR_NOMEM;
    }
    *notes = nb.s;
    *notes_len = (uint32_t)nb.len;
    return ISSU_OK;
}

uint8_t issu_rules_policy(uint8_t raw, enum issu_policy a, enum issu_policy b, int base,
                          uint8_t *has_policy)
{
    *has_policy = (uint8_t)(a != ISSU_POLICY_NONE || b != ISSU_POLICY_NONE);
    if (raw == ISSU_RES_UNKNOWN)
        return raw;
    if (a == ISSU_POLICY_DENY || b == ISSU_POLICY_DENY)
        return ISSU_RES_INCOMPATIBLE;
    if (raw == ISSU_RES_INCOMPATIBLE && !base &&
        (a == ISSU_POLICY_ALLOW_DEGRADED || b == ISSU_POLICY_ALLOW_DEGRADED))
        return ISSU_RES_COMPATIBLE;
    return raw;
}

/* ------------------------------------------------------- clients, verdict */

struct fin {
    struct issu_snapshot *s;
    const char *local_side, *peer_side;
};

static char *xstrdup_printf(const char *fmt, ...)
{
    struct sbuf sb = {0};
    va_list ap;

    va_start(ap, fmt);
    sb_vadd(&sb, fmt, ap);
    va_end(ap);
    if (sb.oom || !sb.s) {
        free(sb.s);
        return NULL;
    }
    return sb.s;
}

/* The client's own result from its sessions (or its absence). */
static int own_result(struct fin *f, struct issu_client_result *c)
{
    uint32_t k;

    if (f->s->peer_state != ISSU_PEER_UP) {
        c->result = ISSU_RES_UNKNOWN; /* nothing negotiated: no verdict either */
        return ISSU_OK;
    }
    if (c->presence != ISSU_PRESENT_BOTH) {
        c->result = ISSU_RES_INCOMPATIBLE;
        c->reason = xstrdup_printf("client present only on %s",
                                   c->presence == ISSU_PRESENT_LOCAL ? f->local_side : f->peer_side);
        return c->reason ? ISSU_OK : ISSU_ERR_NOMEM;
    }
    if (c->reason) /* an entity present on one side only, set by the builder */
        return ISSU_OK;
    c->result = ISSU_RES_COMPATIBLE;
    for (k = 0; k < c->n_sessions; k++) {
        const struct issu_session *ss = &f->s->sessions[c->first_session + k];
        if (ss->result == ISSU_RES_UNKNOWN) {
            c->result = ISSU_RES_UNKNOWN;
            return ISSU_OK;
        }
        if (ss->result != ISSU_RES_COMPATIBLE && c->result == ISSU_RES_COMPATIBLE) {
            c->result = ISSU_RES_INCOMPATIBLE;
            if (c->n_sessions == 1)
                c->reason = xstrdup_printf("%s", ss->reason ? ss->reason : "incompatible");
            else
                c->reason = xstrdup_printf("entity %u: %s", ss->entity_id,
                                           ss->reason ? ss->reason : "incompatible");
            if (!c->reason)
                return ISSU_ERR_NOMEM;
        }
    }
    return ISSU_OK;
}

#define FAR UINT32_MAX /* no failing client within reach */

/*
 * Rule 5 over the prerequisite graph of both images (the union of their
 * lists). A client is effectively incompatible when it can reach, through
 * prerequisites, a client that failed on its own; else unknown when it can
 * reach one whose result is unknown. Reachability settles every cycle (a
 * strongly connected group, possible across two images that each have none)
 * as one: its members reach the same clients. Nothing depends on the order of
 * ids except the tie between two chains of the same length (the smaller ids).
 *
 * One breadth-first search over the reversed edges, from every client that
 * failed on its own, gives each client its distance to the nearest failure:
 * the shortest chain (item 9) follows the distances down, O(clients + edges).
 * A chain keeps at most ISSU_CHAIN_MAX ids: its first links and, last, the
 * client that failed on its own (each client's, found once in BFS order):
 * whole chains are as long as the distances, quadratic in a deep chain
 * (8,000 clients each needing the one before: 4.7 GB).
 * An optional client absent from one image counts for nothing: it is no
 * failure and no edge leads to it.
 */
static int effective_all(struct fin *f)
{
    struct issu_snapshot *s = f->s;
    uint32_t n = s->n_clients, i, k, e = 0, head, tail;
    uint32_t *dist = NULL, *unk = NULL, *start = NULL, *rev = NULL, *queue = NULL, *pidx = NULL, *eoff = NULL;
    uint32_t *next = NULL, *root = NULL;
    int rc = ISSU_OK;

    if (!n)
        return ISSU_OK;
    for (i = 0; i < n; i++)
        e += s->clients[i].n_prereqs;
    dist = malloc(n * sizeof(*dist));
    unk = calloc(n, sizeof(*unk));
    eoff = malloc(((size_t)n + 1) * sizeof(*eoff));
    start = calloc((size_t)n + 1, sizeof(*start));
    queue = malloc(n * sizeof(*queue));
    pidx = malloc((e ? e : 1) * sizeof(*pidx)); /* prereq k of client i -> its index, or FAR */
    rev = malloc((e ? e : 1) * sizeof(*rev));
    next = malloc(n * sizeof(*next));
    root = malloc(n * sizeof(*root));
    ISSU_CHECK_MEM(dist && unk && eoff && start && queue && pidx && rev && next && root, rc);

    /* edges: resolve each prerequisite once; count reverse edges per target.
     * dist[i] = 0 marks the clients that failed on their own and count. */
    for (i = 0, e = 0; i < n; i++) {
        struct issu_client_result *c = &s->clients[i];
        eoff[i] = e;
        dist[i] = c->counts && c->result == ISSU_RES_INCOMPATIBLE ? 0 : FAR;
        for (k = 0; k < c->n_prereqs; k++, e++) {
            const struct issu_client_result *p = issu_snapshot_client(s, c->prereqs[k]);
            pidx[e] = p && p->counts ? (uint32_t)(p - s->clients) : FAR;
            if (pidx[e] != FAR)
                start[pidx[e] + 1]++;
            if (!p && c->counts && dist[i]) {
                /* a peer's inventory is not validated against ours */
                dist[i] = 0;
                /* an unknown client may hold a failed session's reason */
                free((char *)c->reason);
                c->reason = xstrdup_printf("prerequisite %u is in neither image", c->prereqs[k]);
                ISSU_CHECK_MEM(c->reason, rc);
            }
        }
    }
    eoff[n] = e;
    for (i = 0; i < n; i++)
        start[i + 1] += start[i];
    {
        uint32_t *fill = queue; /* borrowed: next free slot per target */
        memcpy(fill, start, n * sizeof(*fill));
        for (i = 0, e = 0; i < n; i++)
            for (k = 0; k < s->clients[i].n_prereqs; k++, e++)
                if (pidx[e] != FAR)
                    rev[fill[pidx[e]]++] = i;
    }

    /* distances to the nearest client that failed on its own and counts */
    head = tail = 0;
    for (i = 0; i < n; i++)
        if (dist[i] == 0)
            queue[tail++] = i;
    while (head < tail) {
        uint32_t t = queue[head++];
        for (k = start[t]; k < start[t + 1]; k++)
            if (dist[rev[k]] == FAR) {
                dist[rev[k]] = dist[t] + 1;
                queue[tail++] = rev[k];
            }
    }
    /* each client's next step down (the first prerequisite one closer) and
     * the failure its chain ends at; the queue holds them by distance */
    for (head = 0; head < tail; head++) {
        uint32_t t = queue[head];
        if (!dist[t]) {
            next[t] = root[t] = t;
            continue;
        }
        for (k = eoff[t]; k < eoff[t + 1]; k++)
            if (pidx[k] != FAR && dist[pidx[k]] == dist[t] - 1)
                break;
        next[t] = pidx[k];
        root[t] = root[next[t]];
    }
    /* reach of unknown results, the same way */
    head = tail = 0;
    for (i = 0; i < n; i++)
        if (s->clients[i].result == ISSU_RES_UNKNOWN && s->clients[i].counts) {
            unk[i] = 1;
            queue[tail++] = i;
        }
    while (head < tail) {
        uint32_t t = queue[head++];
        for (k = start[t]; k < start[t + 1]; k++)
            if (!unk[rev[k]]) {
                unk[rev[k]] = 1;
                queue[tail++] = rev[k];
            }
    }

    for (i = 0; i < n; i++) {
        struct issu_client_result *c = &s->clients[i];
        uint32_t cur = i, d;

        if (!c->counts || dist[i] == FAR) {
            /* an absent optional client keeps its own result */
            c->effective = !c->counts ? c->result : unk[i] ? ISSU_RES_UNKNOWN : ISSU_RES_COMPATIBLE;
            if (!c->counts && c->result == ISSU_RES_INCOMPATIBLE) {
                c->chain = malloc(sizeof(*c->chain));
                ISSU_CHECK_MEM(c->chain, rc);
                c->chain[0] = c->id;
                c->n_chain = 1;
            }
            continue;
        }
        c->effective = ISSU_RES_INCOMPATIBLE;
        d = dist[i] < ISSU_CHAIN_MAX ? dist[i] : ISSU_CHAIN_MAX - 1; /* links after this client */
        c->chain = malloc(((size_t)d + 1) * sizeof(*c->chain));
        ISSU_CHECK_MEM(c->chain, rc);
        c->chain[c->n_chain++] = c->id;
        /* down the distances (the first prerequisite one closer), the
         * failure at the end always last */
        for (; d > 1; d--) {
            cur = next[cur];
            c->chain[c->n_chain++] = s->clients[cur].id;
        }
        if (d)
            c->chain[c->n_chain++] = s->clients[root[i]].id;
        if (dist[i] > 0) {
            const struct issu_client_result *p = issu_snapshot_client(s, c->chain[1]);
            free((char *)c->reason);
            c->reason = xstrdup_printf("prerequisite %u %s is incompatible", p->id, p->name);
            ISSU_CHECK_MEM(c->reason, rc);
        }
    }

cleanup:
    free(dist);
    free(unk);
    free(eoff);
    free(start);
    free(queue);
    free(pidx);
    free(rev);
    free(next);
    free(root);
    return rc;
}

int issu_rules_finish(struct issu_snapshot *s, const char *local_side, const char *peer_side)
{
    struct fin f = {s, local_side, peer_side};
    struct sbuf sb = {0};
    const struct issu_client_result *base_bad = NULL;
    uint32_t i, n_bad = 0;
    int rc = ISSU_OK, unknown = 0;

    for (i = 0; i < s->n_clients; i++) {
        struct issu_client_result *c = &s->clients[i];
        /* optional excuses absence only, and never a base client */
        c->counts = (uint8_t)!(c->presence != ISSU_PRESENT_BOTH && c->optional && !c->base);
        ISSU_CHECK_GOTO(own_result(&f, c), rc);
    }
    ISSU_CHECK_GOTO(effective_all(&f), rc);

    for (i = 0; i < s->n_clients; i++) {
        const struct issu_client_result *c = &s->clients[i];
        if (!c->counts)
            continue;
        if (c->effective == ISSU_RES_UNKNOWN)
            unknown = 1;
        if (c->effective != ISSU_RES_INCOMPATIBLE)
            continue;
        if (c->base && !base_bad)
            base_bad = c;
        n_bad++;
    }
    if (unknown || s->peer_state != ISSU_PEER_UP) { /* no peer: no verdict, even with no clients */
        s->verdict = ISSU_VERDICT_UNKNOWN;
    } else if (base_bad) {
        s->verdict = ISSU_VERDICT_INCOMPATIBLE;
        sb_add(&sb, "base client %u %s is incompatible: %s", base_bad->id, base_bad->name,
               base_bad->reason ? base_bad->reason : "incompatible");
    } else if (n_bad) {
        s->verdict = ISSU_VERDICT_BASE_LEVEL;
        sb_add(&sb, "%u client%s incompatible: ", n_bad, n_bad == 1 ? "" : "s");
        for (i = 0; i < s->n_clients; i++) {
            const struct issu_client_result *c = &s->clients[i];
            if (c->counts && c->effective == ISSU_RES_INCOMPATIBLE)
                sb_item(&sb, "%u %s", c->id, c->name);
        }
    } else {
        s->verdict = ISSU_VERDICT_COMPATIBLE;
    }
    if (s->verdict == ISSU_VERDICT_INCOMPATIBLE || s->verdict == ISSU_VERDICT_BASE_LEVEL) {
        s->verdict_reason = sb_finish(&sb);
        ISSU_CHECK_MEM(s->verdict_reason, rc);
        sb.s = NULL;
    }
    issu_snapshot_summarize(s);

cleanup:
    free(sb.s);
    return rc;
}
