/*
 * endpoint.c - one endpoint's side of the negotiation protocol (endpoint.h).
 *
 * Exchange, after the transport connects:
 *   both:     HELLO, INVENTORY            (who we are, which clients/entities)
 *   PRIMARY:  NEGO_REQ x n, ROUND_END     (pipelined: no wait per session)
 *   PASSIVE:  NEGO_RSP per request; on ROUND_END publishes, then ROUND_ACK
 *   PRIMARY:  on ROUND_ACK with every response in, publishes
 * Each side computes every session from its own and the peer's types with the
 * same rules, so both publish the same results; the PRIMARY checks the
 * PASSIVE's raw results and verdict against its own and logs disagreement.
 *
 * Working state is a sorted array of the sessions both images share; results
 * of a round go straight into per-session blocks that the next snapshot takes
 * over, so a full round allocates once per session and copies nothing.
 */
#include "endpoint.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "codec.h"
#include "issu_err.h"
#include "rules.h"

/* A client of the peer's image, copied out of its INVENTORY. */
struct peer_client {
    uint32_t id;
    char *name;
    uint8_t base, optional, policy;
    uint32_t n_prereqs;
    uint32_t *prereqs;
    uint32_t n_entities;
    uint32_t *entities;
};

/* A session both images share, with its latest results. */
struct wsess {
    const struct issu_client *cl;
    const struct issu_entity *ent;
    const struct peer_client *pc;
    uint32_t sid, peer_sid, transport_mtu;
    uint8_t raw, result, has_policy, fresh; /* fresh: computed in this round */
    uint32_t n_versions, n_caps;
    void *block; /* versions then caps; handed to the snapshot when fresh */
    char *reason;
    char *notes; /* what the versions' and caps' notes point into */
    uint32_t notes_len;
};

struct issu_endpoint {
    struct issu_endpoint_conf conf;
    struct issu_image *img;
    uint32_t *sids;     /* local session id of each local entity, flat */
    uint32_t *sid_base; /* index into sids of each client's first entity */

    struct issu_buf tx, rx;
    size_t rx_off;
    struct issu_scratch scratch;

    int connected, hello_rx, inv_rx;
    char *problem; /* why the last peer could not be negotiated with; shown as the verdict's reason */
    uint32_t peer_uid, peer_mtu;
    uint8_t peer_side, role;
    char *peer_name, *peer_version;
    struct peer_client *pcl;
    uint32_t n_pcl;

    struct wsess *sess;
    uint32_t n_sess;

    uint32_t round;
    int in_round, ack_rx;
    uint32_t pending;
    int queued;                      /* a renegotiation waits for the round */
    uint32_t q_client, q_entity;     /* its scope; 0 = all */

    uint64_t negotiations, results_changed, generation;
    struct timespec last_change, last_change_mono;
    struct issu_snapshot *snap;
};

static void logf_(struct issu_endpoint *ep, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(struct issu_endpoint *ep, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(ep->conf.log, ep->conf.arg, level, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ session ids */

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Explicit ids from the manifest; the rest get the smallest free id in
 * (client, entity) order, so the same image always gets the same ids. */
static int assign_sids(struct issu_endpoint *ep)
{
    const struct issu_image *img = ep->img;
    uint32_t n = 0, i, j, k = 0, nfix = 0, next = 1, f = 0;
    uint32_t *fixed = NULL;
    int rc = ISSU_OK;

    free(ep->sids);
    free(ep->sid_base);
    ep->sids = NULL;
    ep->sid_base = calloc(img->n_clients + 1, sizeof(*ep->sid_base));
    ISSU_CHECK_MEM(ep->sid_base, rc);
    for (i = 0; i < img->n_clients; i++) {
        ep->sid_base[i] = n;
        n += img->clients[i].n_entities;
    }
    ep->sid_base[img->n_clients] = n;
    ep->sids = calloc(n ? n : 1, sizeof(*ep->sids));
    fixed = calloc(n ? n : 1, sizeof(*fixed));
    ISSU_CHECK_MEM(ep->sids, rc);
    ISSU_CHECK_MEM(fixed, rc);
    for (i = 0; i < img->n_clients; i++)
        for (j = 0; j < img->clients[i].n_entities; j++)
            if (img->clients[i].entities[j].session_id)
                fixed[nfix++] = img->clients[i].entities[j].session_id;
    qsort(fixed, nfix, sizeof(*fixed), cmp_u32);
    for (i = 0; i < img->n_clients; i++) {
        for (j = 0; j < img->clients[i].n_entities; j++, k++) {
            uint32_t want = img->clients[i].entities[j].session_id;
            if (want) {
                ep->sids[k] = want;
                continue;
            }
            while (f < nfix && fixed[f] < next)
                f++;
            while (f < nfix && fixed[f] == next) {
                next++;
                f++;
            }
            ep->sids[k] = next++;
        }
    }
cleanup:
    free(fixed);
    return rc;
}

static uint32_t local_sid(const struct issu_endpoint *ep, const struct issu_client *cl,
                          const struct issu_entity *ent)
{
    uint32_t ci = (uint32_t)(cl - ep->img->clients);
    return ep->sids[ep->sid_base[ci] + (uint32_t)(ent - cl->entities)];
}

static uint32_t entity_mtu(const struct issu_endpoint *ep, const struct issu_entity *e)
{
    return e->transport_mtu ? e->transport_mtu : ep->img->transport_mtu;
}

/* ------------------------------------------------------------ peer state */

static void free_peer(struct issu_endpoint *ep)
{
    uint32_t i;

    for (i = 0; i < ep->n_pcl; i++) {
        free(ep->pcl[i].name);
        free(ep->pcl[i].prereqs);
        free(ep->pcl[i].entities);
    }
    free(ep->pcl);
    ep->pcl = NULL;
    ep->n_pcl = 0;
}

static void free_sessions(struct issu_endpoint *ep)
{
    uint32_t i;

    for (i = 0; i < ep->n_sess; i++) {
        free(ep->sess[i].block);
        free(ep->sess[i].reason);
        free(ep->sess[i].notes);
    }
    free(ep->sess);
    ep->sess = NULL;
    ep->n_sess = 0;
}

static const struct peer_client *peer_client(const struct issu_endpoint *ep, uint32_t id)
{
    uint32_t lo = 0, hi = ep->n_pcl;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ep->pcl[mid].id == id)
            return &ep->pcl[mid];
        if (ep->pcl[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int has_u32(const uint32_t *v, uint32_t n, uint32_t x)
{
    uint32_t lo = 0, hi = n;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (v[mid] == x)
            return 1;
        if (v[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The sessions both images share, in (client, entity) order. */
static int build_sessions(struct issu_endpoint *ep)
{
    const struct issu_image *img = ep->img;
    uint32_t i, j, n = 0;

    free_sessions(ep);
    if (!ep->inv_rx)
        return ISSU_OK;
    for (i = 0; i < img->n_clients; i++) {
        const struct peer_client *pc = peer_client(ep, img->clients[i].id);
        for (j = 0; pc && j < img->clients[i].n_entities; j++)
            n += (uint32_t)has_u32(pc->entities, pc->n_entities, img->clients[i].entities[j].id);
    }
    ep->sess = calloc(n ? n : 1, sizeof(*ep->sess));
    if (!ep->sess)
        return ISSU_ERR_NOMEM;
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *cl = &img->clients[i];
        const struct peer_client *pc = peer_client(ep, cl->id);
        for (j = 0; pc && j < cl->n_entities; j++) {
            struct wsess *w;
            if (!has_u32(pc->entities, pc->n_entities, cl->entities[j].id))
                continue;
            w = &ep->sess[ep->n_sess++];
            w->cl = cl;
            w->ent = &cl->entities[j];
            w->pc = pc;
            w->sid = local_sid(ep, cl, w->ent);
            w->transport_mtu = entity_mtu(ep, w->ent);
            w->raw = w->result = ISSU_RES_UNKNOWN;
        }
    }
    return ISSU_OK;
}

static struct wsess *find_sess(struct issu_endpoint *ep, uint32_t client, uint32_t entity)
{
    uint32_t lo = 0, hi = ep->n_sess;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct wsess *w = &ep->sess[mid];
        if (w->cl->id == client && w->ent->id == entity)
            return &ep->sess[mid];
        if (w->cl->id < client || (w->cl->id == client && w->ent->id < entity))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* --------------------------------------------------------------- output */

static int flush(struct issu_endpoint *ep)
{
    int rc;

    if (!ep->tx.len)
        return ISSU_OK;
    rc = ep->conf.transport.send(ep->conf.transport.ctx, ep->tx.data, ep->tx.len);
    ep->tx.len = 0;
    if (rc != ISSU_OK)
        logf_(ep, LOG_ERR, "transport send failed: %s", issu_strerror(rc));
    return rc;
}

/* Hand what is queued to the transport once it is worth a write: a round's
 * output then never sits whole in our buffer. */
#define TX_FLUSH_AT (64u * 1024u)

static int flush_some(struct issu_endpoint *ep)
{
    return ep->tx.len >= TX_FLUSH_AT ? flush(ep) : ISSU_OK;
}

static int send_intro(struct issu_endpoint *ep)
{
    struct issu_w_hello h;

    h.unique_id = ep->conf.unique_id;
    h.side = (uint8_t)ep->conf.side;
    h.transport_mtu = ep->img->transport_mtu;
    h.image_name.s = ep->img->name ? ep->img->name : "";
    h.image_name.len = (uint16_t)strnlen(h.image_name.s, ISSU_MAX_STR);
    h.image_version.s = ep->img->version ? ep->img->version : "";
    h.image_version.len = (uint16_t)strnlen(h.image_version.s, ISSU_MAX_STR);
    ISSU_CHECK(issu_enc_hello(&ep->tx, &h));
    return issu_enc_inventory(&ep->tx, ep->img);
}

/* ------------------------------------------------------------ snapshots */

static int cmp_sid(const void *a, const void *b, void *arg)
{
    const struct issu_session *s = arg;
    uint32_t x = s[*(const uint32_t *)a].sid, y = s[*(const uint32_t *)b].sid;
    return x < y ? -1 : x > y;
}

/* Prerequisites of both images' client, sorted and unique. */
static int union_prereqs(const struct issu_client *lc, const struct peer_client *pc,
                         struct issu_client_result *out)
{
    uint32_t n = (lc ? lc->n_prereqs : 0) + (pc ? pc->n_prereqs : 0), k = 0, i;
    uint32_t *v;

    out->prereqs = NULL;
    out->n_prereqs = 0;
    if (!n)
        return ISSU_OK;
    v = malloc(n * sizeof(*v));
    if (!v)
        return ISSU_ERR_NOMEM;
    for (i = 0; lc && i < lc->n_prereqs; i++)
        v[k++] = lc->prereqs[i];
    for (i = 0; pc && i < pc->n_prereqs; i++)
        v[k++] = pc->prereqs[i];
    qsort(v, k, sizeof(*v), cmp_u32);
    for (i = 0, n = 0; i < k; i++)
        if (!n || v[n - 1] != v[i])
            v[n++] = v[i];
    out->prereqs = v;
    out->n_prereqs = n;
    return ISSU_OK;
}

/* The smallest entity id that one side has and the other has not: the
 * client's reason. Walked by id over both sorted lists, so both endpoints
 * pick the same entity (rule 7). */
static int entity_mismatch(const struct issu_endpoint *ep, const struct issu_client *lc,
                           const struct peer_client *pc, struct issu_client_result *c)
{
    uint32_t i = 0, j = 0;
    const char *ls = issu_side_name(ep->conf.side), *ps = issu_side_name(ep->peer_side);
    char buf[96];

    while (i < lc->n_entities || j < pc->n_entities) {
        uint32_t l = i < lc->n_entities ? lc->entities[i].id : UINT32_MAX;
        uint32_t p = j < pc->n_entities ? pc->entities[j] : UINT32_MAX;

        if (i < lc->n_entities && (j == pc->n_entities || l < p)) {
            snprintf(buf, sizeof(buf), "entity %u present only on %s", l, ls);
            goto found;
        }
        if (j < pc->n_entities && (i == lc->n_entities || p < l)) {
            snprintf(buf, sizeof(buf), "entity %u present only on %s", p, ps);
            goto found;
        }
        i++;
        j++;
    }
    return ISSU_OK;
found:
    c->result = ISSU_RES_INCOMPATIBLE;
    c->reason = strdup(buf);
    return c->reason ? ISSU_OK : ISSU_ERR_NOMEM;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Build and publish the snapshot of the current working state. */
static int publish(struct issu_endpoint *ep, int round_done)
{
    const struct issu_image *img = ep->img;
    struct issu_snapshot *s, *old = ep->snap;
    int peer_up = ep->inv_rx && ep->connected;
    uint32_t i, j, k, nc = 0;
    int rc = ISSU_OK, changed = 0, verdict_changed;

    s = calloc(1, sizeof(*s));
    if (!s)
        return ISSU_ERR_NOMEM;
    s->refs = 1;
    s->image = issu_image_ref(ep->img);
    s->unique_id = ep->conf.unique_id;
    s->side = (uint8_t)ep->conf.side;
    s->role = ep->hello_rx ? ep->role : ISSU_ROLE_NONE;
    s->peer_state = peer_up ? ISSU_PEER_UP : (ep->connected ? ISSU_PEER_NEGOTIATING : ISSU_PEER_DOWN);
    s->image_name = img->name;
    s->image_version = img->version;
    s->peer_unique_id = ep->peer_uid;
    s->peer_image_name = dup_or_null(ep->peer_name);
    s->peer_image_version = dup_or_null(ep->peer_version);
    if ((ep->peer_name && !s->peer_image_name) || (ep->peer_version && !s->peer_image_version))
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);

    /* Clients: the union of both images when the peer's is known. */
    s->clients = calloc((size_t)img->n_clients + ep->n_pcl + 1, sizeof(*s->clients));
    ISSU_CHECK_MEM(s->clients, rc);
    i = j = 0;
    while (i < img->n_clients || (ep->inv_rx && j < ep->n_pcl)) {
        const struct issu_client *lc = i < img->n_clients ? &img->clients[i] : NULL;
        const struct peer_client *pc = ep->inv_rx && j < ep->n_pcl ? &ep->pcl[j] : NULL;
        struct issu_client_result *c = &s->clients[nc++];

        if (lc && pc && lc->id != pc->id) {
            if (lc->id < pc->id)
                pc = NULL;
            else
                lc = NULL;
        }
        c->id = lc ? lc->id : pc->id;
        if (lc) {
            c->name = lc->name;
            c->base = (uint8_t)lc->base;
            c->optional = (uint8_t)lc->optional;
            c->entity_count = lc->n_entities;
            c->presence = pc || !ep->inv_rx ? ISSU_PRESENT_BOTH : ISSU_PRESENT_LOCAL;
        } else {
            c->name = strdup(pc->name);
            c->presence = ISSU_PRESENT_PEER; /* set first: unref frees the name */
            ISSU_CHECK_MEM(c->name, rc);
            c->base = pc->base;
            c->optional = pc->optional;
            c->entity_count = pc->n_entities;
        }
        if (lc && pc) { /* either image's word makes it base (rule 7: both ends agree) */
            c->base = (uint8_t)(c->base | pc->base);
            c->optional = (uint8_t)(c->optional | pc->optional);
        }
        ISSU_CHECK_GOTO(union_prereqs(lc, pc, c), rc);
        if (lc && pc && peer_up)
            ISSU_CHECK_GOTO(entity_mismatch(ep, lc, pc, c), rc);
        if (lc)
            i++;
        if (pc)
            j++;
    }
    s->n_clients = nc;

    /* Sessions: copy the working results; fresh blocks move to the snapshot. */
    s->sessions = calloc(ep->n_sess ? ep->n_sess : 1, sizeof(*s->sessions));
    s->by_sid = calloc(ep->n_sess ? ep->n_sess : 1, sizeof(*s->by_sid));
    ISSU_CHECK_MEM(s->sessions, rc);
    ISSU_CHECK_MEM(s->by_sid, rc);
    for (k = 0; k < ep->n_sess; k++) {
        struct wsess *w = &ep->sess[k];
        struct issu_session *ss = &s->sessions[k];
        const struct issu_session *prev = old ? issu_snapshot_session_ce(old, w->cl->id, w->ent->id) : NULL;

        ss->sid = w->sid;
        ss->peer_sid = w->peer_sid;
        ss->client_id = w->cl->id;
        ss->entity_id = w->ent->id;
        ss->name = w->ent->session_name;
        ss->peer_unique_id = ep->peer_uid;
        ss->role = ep->role;
        ss->cap_group = w->ent->cap_group;
        ss->msg_group = w->ent->msg_group;
        ss->signature = 0;
        ss->nego_sid = w->sid;
        ss->nego_name = w->ent->session_name;
        ss->transport_mtu = w->transport_mtu;
        ss->has_policy = w->has_policy;
        ss->raw_result = peer_up ? w->raw : ISSU_RES_UNKNOWN;
        ss->result = peer_up ? w->result : ISSU_RES_UNKNOWN;
        if (w->fresh) {
            ss->versions = w->block;
            ss->caps = (struct issu_neg_cap *)((struct issu_neg_version *)w->block + w->n_versions);
            ss->n_versions = w->n_versions;
            ss->n_caps = w->n_caps;
            ss->reason = w->reason;
            ss->notes = w->notes;
            ss->notes_len = w->notes_len;
            w->block = NULL;
            w->reason = NULL;
            w->notes = NULL;
            w->fresh = 0;
        } else if (prev && prev->n_versions + prev->n_caps) {
            /* not in this round: keep what the last round found */
            size_t vb = prev->n_versions * sizeof(*prev->versions);
            void *blk = malloc(vb + prev->n_caps * sizeof(*prev->caps));
            ISSU_CHECK_MEM(blk, rc);
            memcpy(blk, prev->versions, vb);
            memcpy((char *)blk + vb, prev->caps, prev->n_caps * sizeof(*prev->caps));
            ss->versions = blk;
            ss->caps = (struct issu_neg_cap *)((char *)blk + vb);
            ss->n_versions = prev->n_versions;
            ss->n_caps = prev->n_caps;
            ss->reason = prev->reason ? strdup(prev->reason) : NULL;
            if (prev->reason && !ss->reason)
                ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
            if (prev->notes_len) {
                char *nt = malloc(prev->notes_len);
                ISSU_CHECK_MEM(nt, rc);
                memcpy(nt, prev->notes, prev->notes_len);
                ss->notes = nt;
                ss->notes_len = prev->notes_len;
            }
        }
        s->n_sessions = k + 1;
        s->by_sid[k] = k;
        if (!prev || prev->result != ss->result)
            changed++;
    }
    if (s->n_sessions > 1)
        qsort_r(s->by_sid, s->n_sessions, sizeof(*s->by_sid), cmp_sid, s->sessions);

    /* Each client's sessions are contiguous: sessions are in client order. */
    for (i = 0, k = 0; i < s->n_clients; i++) {
        struct issu_client_result *c = &s->clients[i];
        while (k < s->n_sessions && s->sessions[k].client_id < c->id)
            k++;
        c->first_session = k;
        while (k < s->n_sessions && s->sessions[k].client_id == c->id)
            k++;
        c->n_sessions = k - c->first_session;
    }
    ISSU_CHECK_GOTO(issu_rules_finish(s, issu_side_name(ep->conf.side), issu_side_name(ep->peer_side)),
                    rc);
    if (s->verdict == ISSU_VERDICT_UNKNOWN && ep->problem && !peer_up) {
        s->verdict_reason = strdup(ep->problem);
        ISSU_CHECK_MEM(s->verdict_reason, rc);
    }

    if (round_done)
        ep->negotiations++;
    verdict_changed = old && old->verdict != s->verdict; /* the first snapshot changes nothing */
    ep->results_changed += (uint64_t)changed + (uint64_t)verdict_changed;
    if (changed || verdict_changed || !old) {
        clock_gettime(CLOCK_REALTIME, &ep->last_change);
        clock_gettime(CLOCK_MONOTONIC, &ep->last_change_mono);
    }
    s->negotiations = ep->negotiations;
    s->results_changed = ep->results_changed;
    s->last_change = ep->last_change;
    s->last_change_mono = ep->last_change_mono;
    s->generation = ++ep->generation;
    if (round_done)
        logf_(ep, LOG_INFO,
              "negotiation %llu with peer %u done: %u session%s, %d session result%s changed, verdict %s%s",
              (unsigned long long)ep->negotiations, ep->peer_uid, s->n_sessions, s->n_sessions == 1 ? "" : "s",
              changed, changed == 1 ? "" : "s", issu_verdict_name(s->verdict),
              verdict_changed ? " (changed)" : "");

    ep->snap = s;
    if (ep->conf.on_change)
        ep->conf.on_change(ep->conf.arg, old, s);
    issu_snapshot_unref(old);
    return ISSU_OK;

cleanup:
    issu_snapshot_unref(s);
    return rc;
}

/* ----------------------------------------------------------- negotiation */

/* Compute a session from the peer's NEGO message into its working entry. */
static int compute(struct issu_endpoint *ep, struct wsess *w, const struct issu_w_nego *m)
{
    struct issu_local_view lv;
    uint32_t vcap, ccap;
    int rc, base;

    lv.side = (uint8_t)ep->conf.side;
    lv.msgs = issu_client_msg_group(w->cl, w->ent->msg_group);
    lv.caps = issu_client_cap_group(w->cl, w->ent->cap_group);
    vcap = (lv.msgs ? lv.msgs->n_types : 0) + m->n_types;
    ccap = (lv.caps ? lv.caps->n_types : 0) + m->n_caps;
    free(w->block);
    free(w->reason);
    free(w->notes);
    w->reason = NULL;
    w->notes = NULL;
    w->notes_len = 0;
    w->block = malloc(vcap * sizeof(struct issu_neg_version) + ccap * sizeof(struct issu_neg_cap) + 1);
    if (!w->block)
        return ISSU_ERR_NOMEM;
    rc = issu_rules_session(&lv, ep->peer_side, m, w->block, &w->n_versions,
                            (struct issu_neg_cap *)((struct issu_neg_version *)w->block + vcap),
                            &w->n_caps, &w->raw, &w->reason, &w->notes, &w->notes_len);
    if (rc != ISSU_OK)
        return rc;
    if (vcap != w->n_versions) /* caps follow the versions actually used */
        memmove((struct issu_neg_version *)w->block + w->n_versions,
                (struct issu_neg_version *)w->block + vcap, w->n_caps * sizeof(struct issu_neg_cap));
    base = w->cl->base || w->pc->base;
    w->result = issu_rules_policy(w->raw, w->cl->policy, (enum issu_policy)w->pc->policy, base,
                                  &w->has_policy);
    if (base && w->raw == ISSU_RES_INCOMPATIBLE &&
        (w->cl->policy == ISSU_POLICY_ALLOW_DEGRADED || w->pc->policy == ISSU_POLICY_ALLOW_DEGRADED)) {
        /* our manifests refuse this; a peer's inventory may still say it */
        int both = w->cl->policy == w->pc->policy;
        const char *who = w->cl->policy == ISSU_POLICY_ALLOW_DEGRADED ? issu_side_name(ep->conf.side)
                                                                      : issu_side_name(ep->peer_side);
        char *r = NULL;

        if (asprintf(&r, "%s; policy allow-degraded on %s does not apply to a base client", w->reason,
                     both ? "active and standby" : who) < 0)
            return ISSU_ERR_NOMEM;
        free(w->reason);
        w->reason = r;
    }
    if (w->result == ISSU_RES_INCOMPATIBLE && w->raw == ISSU_RES_COMPATIBLE) {
        const char *who = w->cl->policy == ISSU_POLICY_DENY ? issu_side_name(ep->conf.side)
                                                             : issu_side_name(ep->peer_side);
        char *r = NULL;

        /* a compatible session may carry warnings (an MTU that differs): keep them */
        if (asprintf(&r, "policy on %s denies this client%s%s", who, w->reason ? "; " : "",
                     w->reason ? w->reason : "") < 0)
            return ISSU_ERR_NOMEM;
        free(w->reason);
        w->reason = r;
    }
    w->peer_sid = m->sid;
    if (m->transport_mtu && m->transport_mtu < w->transport_mtu)
        w->transport_mtu = m->transport_mtu;
    else
        w->transport_mtu = entity_mtu(ep, w->ent);
    w->fresh = 1;
    return ISSU_OK;
}

static int in_scope(const struct wsess *w, uint32_t client, uint32_t entity)
{
    return (!client || w->cl->id == client) && (!entity || w->ent->id == entity);
}

static int start_round(struct issu_endpoint *ep, uint32_t client, uint32_t entity)
{
    uint32_t k;

    ep->round++;
    ep->in_round = 1;
    ep->ack_rx = 0;
    ep->pending = 0;
    for (k = 0; k < ep->n_sess; k++) {
        struct wsess *w = &ep->sess[k];
        if (!in_scope(w, client, entity))
            continue;
        ISSU_CHECK(issu_enc_nego(&ep->tx, ISSU_MSG_NEGO_REQ, ep->round, w->cl, w->ent, w->sid,
                                 entity_mtu(ep, w->ent), 0));
        ISSU_CHECK(flush_some(ep));
        ep->pending++;
    }
    logf_(ep, LOG_DEBUG, "round %u: %u session(s) requested", ep->round, ep->pending);
    return issu_enc_round(&ep->tx, ISSU_MSG_ROUND_END, ep->round, ep->pending);
}

/* A round ended on the PRIMARY (all answers and the ACK in): publish, and run
 * the renegotiation that waited, if any. */
static int primary_round_done(struct issu_endpoint *ep, uint32_t peer_verdict)
{
    ep->in_round = 0;
    ISSU_CHECK(publish(ep, 1));
    if (peer_verdict != ep->snap->verdict)
        logf_(ep, LOG_WARNING, "peer %u computed verdict %s, we computed %s", ep->peer_uid,
              issu_verdict_name((int)peer_verdict), issu_verdict_name(ep->snap->verdict));
    if (ep->queued) {
        ep->queued = 0;
        return start_round(ep, ep->q_client, ep->q_entity);
    }
    return ISSU_OK;
}

static void queue_reneg(struct issu_endpoint *ep, uint32_t client, uint32_t entity)
{
    if (ep->queued && (ep->q_client != client || ep->q_entity != entity)) {
        client = 0; /* two different requests: widen to everything */
        entity = 0;
    }
    ep->queued = 1;
    ep->q_client = client;
    ep->q_entity = entity;
}

static int request_round(struct issu_endpoint *ep, uint32_t client, uint32_t entity)
{
    if (ep->role != ISSU_ROLE_PRIMARY)
        return issu_enc_reneg(&ep->tx, client, entity);
    if (ep->in_round) {
        queue_reneg(ep, client, entity);
        return ISSU_OK;
    }
    return start_round(ep, client, entity);
}

/* ------------------------------------------------------------ input side */

/* Why the peer cannot be negotiated with (takes @p why): logged once while
 * it stays the same (a transport retries), shown as the verdict's reason. */
static void set_problem(struct issu_endpoint *ep, char *why)
{
    logf_(ep, ep->problem && !strcmp(ep->problem, why) ? LOG_DEBUG : LOG_ERR, "%s", why);
    free(ep->problem);
    ep->problem = why;
}

static int on_hello(struct issu_endpoint *ep, const struct issu_w_hello *h)
{
    char *name, *ver;

    if (h->unique_id == ep->conf.unique_id) {
        /* roles and session ids hang on unique ids: nothing can be negotiated */
        char *why = NULL;

        if (asprintf(&why, "no negotiation: the peer (%s) has the same unique id %u as this endpoint; "
                     "each endpoint needs its own unique id", issu_side_name(h->side), h->unique_id) < 0)
            return ISSU_ERR_NOMEM;
        set_problem(ep, why);
        issu_enc_error(&ep->tx, ISSU_ERR_REFUSED, "duplicate unique id");
        return ISSU_ERR_REFUSED; /* shown once the caller drops the link */
    }
    if (h->side == ep->conf.side)
        logf_(ep, LOG_WARNING, "peer %u is also %s", h->unique_id, issu_side_name(h->side));
    name = strndup(h->image_name.s, h->image_name.len);
    ver = strndup(h->image_version.s, h->image_version.len);
    if (!name || !ver) {
        free(name);
        free(ver);
        return ISSU_ERR_NOMEM;
    }
    free(ep->peer_name);
    free(ep->peer_version);
    ep->peer_name = name;
    ep->peer_version = ver;
    ep->peer_uid = h->unique_id;
    ep->peer_side = h->side;
    ep->peer_mtu = h->transport_mtu;
    free(ep->problem);
    ep->problem = NULL;
    ep->role = ep->conf.unique_id < h->unique_id ? ISSU_ROLE_PRIMARY : ISSU_ROLE_PASSIVE;
    ep->hello_rx = 1;
    logf_(ep, LOG_INFO, "peer %u (%s) runs %s %s; we are %s", h->unique_id,
          issu_side_name(h->side), name, ver, issu_role_name(ep->role));
    return ISSU_OK;
}

static int on_inventory(struct issu_endpoint *ep, const struct issu_w_inventory *m)
{
    struct peer_client *v;
    uint32_t i, j;
    int rc = ISSU_OK;

    if (!ep->hello_rx)
        return ISSU_ERR_PROTO;
    v = calloc(m->n_clients ? m->n_clients : 1, sizeof(*v));
    if (!v)
        return ISSU_ERR_NOMEM;
    for (i = 0; i < m->n_clients; i++) {
        const struct issu_w_client *c = &m->clients[i];
        /* the peer's image validated: ids strictly ascending at every level */
        if (i && c->id <= m->clients[i - 1].id)
            ISSU_CHECK_GOTO(ISSU_ERR_DECODE, rc);
        for (j = 1; j < c->n_entities; j++)
            if (c->entities[j] <= c->entities[j - 1])
                ISSU_CHECK_GOTO(ISSU_ERR_DECODE, rc);
        v[i].id = c->id;
        v[i].base = c->base;
        v[i].optional = c->optional;
        v[i].policy = c->policy;
        v[i].name = strndup(c->name.s, c->name.len);
        ISSU_CHECK_MEM(v[i].name, rc);
        v[i].n_prereqs = c->n_prereqs;
        v[i].n_entities = c->n_entities;
        if (c->n_prereqs) {
            v[i].prereqs = malloc(c->n_prereqs * sizeof(uint32_t));
            ISSU_CHECK_MEM(v[i].prereqs, rc);
            memcpy(v[i].prereqs, c->prereqs, c->n_prereqs * sizeof(uint32_t));
        }
        if (c->n_entities) {
            v[i].entities = malloc(c->n_entities * sizeof(uint32_t));
            ISSU_CHECK_MEM(v[i].entities, rc);
            memcpy(v[i].entities, c->entities, c->n_entities * sizeof(uint32_t));
        }
    }
    free_peer(ep);
    ep->pcl = v;
    ep->n_pcl = m->n_clients;
    v = NULL;
    ep->inv_rx = 1;
    ISSU_CHECK_GOTO(build_sessions(ep), rc);
    if (ep->role == ISSU_ROLE_PRIMARY) {
        ep->queued = 0; /* a fresh full round supersedes whatever waited */
        ISSU_CHECK_GOTO(start_round(ep, 0, 0), rc);
    }

cleanup:
    if (v) {
        for (j = 0; j < m->n_clients; j++) {
            free(v[j].name);
            free(v[j].prereqs);
            free(v[j].entities);
        }
        free(v);
    }
    return rc;
}

static int on_nego_req(struct issu_endpoint *ep, const struct issu_w_nego *m)
{
    struct wsess *w;

    if (ep->role != ISSU_ROLE_PASSIVE || !ep->inv_rx)
        return ISSU_ERR_PROTO;
    w = find_sess(ep, m->client, m->entity);
    if (!w) {
        /* the PRIMARY's view of our inventory is stale (we reloaded): it will
         * start afresh when our new INVENTORY reaches it */
        logf_(ep, LOG_DEBUG, "round %u: no session for client %u entity %u", m->round, m->client,
              m->entity);
        return ISSU_OK;
    }
    ISSU_CHECK(compute(ep, w, m));
    return issu_enc_nego(&ep->tx, ISSU_MSG_NEGO_RSP, m->round, w->cl, w->ent, w->sid,
                         entity_mtu(ep, w->ent), w->raw);
}

static int on_nego_rsp(struct issu_endpoint *ep, const struct issu_w_nego *m)
{
    struct wsess *w;

    if (ep->role != ISSU_ROLE_PRIMARY)
        return ISSU_ERR_PROTO;
    if (!ep->in_round || m->round != ep->round)
        return ISSU_OK; /* an answer to a round we abandoned */
    w = find_sess(ep, m->client, m->entity);
    if (!w || !ep->pending)
        return ISSU_ERR_PROTO;
    ISSU_CHECK(compute(ep, w, m));
    if (m->raw_result != w->raw)
        logf_(ep, LOG_WARNING, "session %u (client %u entity %u): peer computed %s, we computed %s",
              w->sid, m->client, m->entity, issu_result_name(m->raw_result), issu_result_name(w->raw));
    ep->pending--;
    return ISSU_OK;
}

static int on_round_end(struct issu_endpoint *ep, const struct issu_w_round *m)
{
    if (ep->role != ISSU_ROLE_PASSIVE || !ep->inv_rx)
        return ISSU_ERR_PROTO;
    ISSU_CHECK(publish(ep, 1));
    return issu_enc_round(&ep->tx, ISSU_MSG_ROUND_ACK, m->round, ep->snap->verdict);
}

static int on_round_ack(struct issu_endpoint *ep, const struct issu_w_round *m)
{
    if (ep->role != ISSU_ROLE_PRIMARY)
        return ISSU_ERR_PROTO;
    if (!ep->in_round || m->round != ep->round)
        return ISSU_OK;
    if (ep->pending) {
        logf_(ep, LOG_ERR, "round %u acknowledged with %u answer(s) missing", m->round, ep->pending);
        return ISSU_ERR_PROTO;
    }
    return primary_round_done(ep, m->count);
}

static int on_reneg(struct issu_endpoint *ep, const struct issu_w_reneg *m)
{
    if (ep->role != ISSU_ROLE_PRIMARY || !ep->inv_rx)
        return ISSU_ERR_PROTO;
    logf_(ep, LOG_INFO, "peer asks to renegotiate client %u entity %u", m->client, m->entity);
    return request_round(ep, m->client, m->entity);
}

static int dispatch(struct issu_endpoint *ep, const struct issu_wmsg *m)
{
    switch (m->type) {
    case ISSU_MSG_HELLO:
        return on_hello(ep, &m->u.hello);
    case ISSU_MSG_INVENTORY:
        return on_inventory(ep, &m->u.inv);
    case ISSU_MSG_NEGO_REQ:
        return on_nego_req(ep, &m->u.nego);
    case ISSU_MSG_NEGO_RSP:
        return on_nego_rsp(ep, &m->u.nego);
    case ISSU_MSG_ROUND_END:
        return on_round_end(ep, &m->u.round);
    case ISSU_MSG_ROUND_ACK:
        return on_round_ack(ep, &m->u.round);
    case ISSU_MSG_RENEG_REQ:
        return on_reneg(ep, &m->u.reneg);
    case ISSU_MSG_ERROR: {
        char *why = NULL;

        if (asprintf(&why, "no negotiation: the peer (%s) gave up: %.*s", issu_side_name(ep->peer_side),
                     (int)m->u.error.text.len, m->u.error.text.s) < 0)
            return ISSU_ERR_NOMEM;
        set_problem(ep, why);
        return ISSU_ERR_REFUSED;
    }
    case ISSU_MSG_KEEPALIVE:
        return ISSU_OK;
    default:
        return ISSU_ERR_DECODE;
    }
}

/* Room for @p need bytes in the receive buffer (its contents kept). */
static int rx_reserve(struct issu_endpoint *ep, size_t need)
{
    return need <= ep->rx.len ? ISSU_OK : issu_buf_reserve(&ep->rx, need - ep->rx.len);
}

int issu_endpoint_input(struct issu_endpoint *ep, const uint8_t *data, size_t len)
{
    const uint8_t *src = data;
    struct issu_wmsg m;
    size_t flen, srclen = len, off = 0;
    int rc = ISSU_OK;

    if (!ep->connected)
        return ISSU_ERR_PROTO;
    /* With no partial frame pending, decode the caller's bytes in place and
     * keep only an incomplete tail: a big read is never copied whole. */
    if (ep->rx.len) {
        ISSU_CHECK(rx_reserve(ep, ep->rx.len + len));
        if (len)
            memcpy(ep->rx.data + ep->rx.len, data, len);
        ep->rx.len += len;
        src = ep->rx.data;
        srclen = ep->rx.len;
    }
    while (rc == ISSU_OK) {
        rc = issu_frame_peek(src + off, srclen - off, &flen);
        if (rc != ISSU_OK || !flen)
            break;
        rc = issu_decode(src + off, flen, &ep->scratch, &m);
        if (rc == ISSU_OK)
            rc = dispatch(ep, &m);
        if (rc == ISSU_OK)
            rc = flush_some(ep);
        off += flen;
    }
    if (rc != ISSU_OK) {
        if (rc != ISSU_ERR_REFUSED) /* that one logged its own reason */
            logf_(ep, LOG_ERR, "input from peer %u refused: %s", ep->peer_uid, issu_strerror(rc));
        if (rc == ISSU_ERR_DECODE || rc == ISSU_ERR_VERSION)
            issu_enc_error(&ep->tx, (uint16_t)rc, issu_strerror(rc));
        ep->rx.len = ep->rx_off = 0;
        flush(ep);
        return rc;
    }
    /* what is left is a partial frame */
    if (src == ep->rx.data) {
        if (off)
            memmove(ep->rx.data, ep->rx.data + off, srclen - off);
    } else if (srclen > off) {
        ISSU_CHECK(rx_reserve(ep, srclen - off));
        memcpy(ep->rx.data, data + off, srclen - off);
    }
    ep->rx.len = srclen - off;
    ep->rx_off = 0;
    return flush(ep);
}

/* ------------------------------------------------------------ public API */

int issu_endpoint_new(const struct issu_endpoint_conf *conf, struct issu_endpoint **out)
{
    struct issu_endpoint *ep;
    int rc;

    *out = NULL;
    if (!conf || !conf->unique_id || !conf->image || !conf->transport.send ||
        (conf->side != ISSU_SIDE_ACTIVE && conf->side != ISSU_SIDE_STANDBY))
        return ISSU_ERR_INVAL;
    ep = calloc(1, sizeof(*ep));
    if (!ep)
        return ISSU_ERR_NOMEM;
    ep->conf = *conf;
    ep->img = issu_image_ref(conf->image);
    ep->role = ISSU_ROLE_NONE;
    ep->peer_side = conf->side == ISSU_SIDE_ACTIVE ? ISSU_SIDE_STANDBY : ISSU_SIDE_ACTIVE;
    ISSU_CHECK_GOTO(assign_sids(ep), rc);
    ISSU_CHECK_GOTO(publish(ep, 0), rc);
    *out = ep;
    return ISSU_OK;
cleanup:
    issu_endpoint_free(ep);
    return rc;
}

void issu_endpoint_free(struct issu_endpoint *ep)
{
    if (!ep)
        return;
    free_sessions(ep);
    free_peer(ep);
    free(ep->peer_name);
    free(ep->peer_version);
    free(ep->problem);
    free(ep->sids);
    free(ep->sid_base);
    issu_buf_free(&ep->tx);
    issu_buf_free(&ep->rx);
    issu_scratch_free(&ep->scratch);
    issu_snapshot_unref(ep->snap);
    issu_image_free(ep->img);
    free(ep);
}

int issu_endpoint_connected(struct issu_endpoint *ep)
{
    ep->connected = 1;
    ep->hello_rx = ep->inv_rx = 0;
    ep->in_round = ep->queued = 0;
    ep->rx.len = ep->rx_off = 0;
    ISSU_CHECK(send_intro(ep));
    return flush(ep);
}

int issu_endpoint_peer_lost(struct issu_endpoint *ep)
{
    int was = ep->connected;

    ep->connected = 0;
    ep->in_round = ep->queued = 0;
    ep->pending = 0;
    ep->tx.len = 0;
    ep->rx.len = ep->rx_off = 0;
    if (was && ep->hello_rx)
        logf_(ep, LOG_WARNING, "peer %u lost: its sessions are down", ep->peer_uid);
    else if (was) /* never said who it was (refused, or gone before HELLO) */
        logf_(ep, LOG_DEBUG, "peer disconnected before its HELLO was accepted");
    ep->hello_rx = ep->inv_rx = 0;
    /* keep the sessions (shown down) until a peer brings an inventory */
    return publish(ep, 0);
}

int issu_endpoint_renegotiate(struct issu_endpoint *ep, uint32_t client_id, uint32_t sid)
{
    uint32_t entity = 0;
    uint32_t k;

    if (client_id && !issu_image_client(ep->img, client_id) && !peer_client(ep, client_id))
        return ISSU_ERR_NOTFOUND;
    if (sid) {
        for (k = 0; k < ep->n_sess && ep->sess[k].sid != sid; k++)
            ;
        if (k == ep->n_sess)
            return ISSU_ERR_NOTFOUND;
        if (client_id && ep->sess[k].cl->id != client_id)
            return ISSU_ERR_NOTFOUND;
        client_id = ep->sess[k].cl->id;
        entity = ep->sess[k].ent->id;
    }
    if (!ep->connected || !ep->inv_rx)
        return ISSU_ERR_PROTO;
    ISSU_CHECK(request_round(ep, client_id, entity));
    return flush(ep);
}

int issu_endpoint_set_image(struct issu_endpoint *ep, struct issu_image *img)
{
    struct issu_image *old = ep->img;
    int rc;

    if (!img)
        return ISSU_ERR_INVAL;
    ep->img = issu_image_ref(img);
    rc = assign_sids(ep);
    if (rc == ISSU_OK)
        rc = build_sessions(ep);
    if (rc != ISSU_OK) {
        /* keep serving the old image */
        issu_image_free(ep->img);
        ep->img = old;
        assign_sids(ep);
        build_sessions(ep);
        return rc;
    }
    issu_image_free(old);
    logf_(ep, LOG_INFO, "image %s %s loaded", img->name, img->version);
    if (!ep->connected)
        return publish(ep, 0);
    ep->in_round = ep->queued = 0;
    ISSU_CHECK(send_intro(ep));
    if (ep->role == ISSU_ROLE_PRIMARY && ep->inv_rx)
        ISSU_CHECK(start_round(ep, 0, 0));
    return flush(ep);
}

int issu_endpoint_busy(const struct issu_endpoint *ep)
{
    return ep->in_round || ep->queued;
}

struct issu_snapshot *issu_endpoint_snapshot(struct issu_endpoint *ep)
{
    return issu_snapshot_ref(ep->snap);
}
