/*
 * snapshot.c - reference counting, lookups and names for snapshots.
 *
 * A snapshot owns: its client and session arrays, every session's version
 * and capability arrays (one block per session, caps after versions; see
 * endpoint.c), reasons, chains,
 * prerequisite lists and the peer image strings. Names of clients and
 * sessions point into the local image, of which it holds a reference.
 */
#include "snapshot.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

struct issu_snapshot *issu_snapshot_ref(struct issu_snapshot *s)
{
    if (s)
        __atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
    return s;
}

void issu_snapshot_unref(struct issu_snapshot *s)
{
    uint32_t i, big;

    if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    big = s->n_sessions >= ISSU_SNAPSHOT_TRIM_SESSIONS;
    for (i = 0; i < s->n_clients; i++) {
        struct issu_client_result *c = &s->clients[i];
        free((char *)c->reason);
        free(c->chain);
        free(c->prereqs);
        if (c->presence == ISSU_PRESENT_PEER)
            free((char *)c->name); /* copied from the peer's inventory */
    }
    for (i = 0; i < s->n_sessions; i++) {
        free((char *)s->sessions[i].reason);
        free((char *)s->sessions[i].notes);
        free(s->sessions[i].versions); /* one block: the caps follow the versions */
    }
    free(s->clients);
    free(s->sessions);
    free(s->by_sid);
    free((char *)s->verdict_reason);
    free((char *)s->peer_image_name);
    free((char *)s->peer_image_version);
    issu_image_free((struct issu_image *)s->image);
    free(s);
    /* a big snapshot is ~2.5 KB a session in small blocks, freed on
     * whichever thread let go last, often after the faces' own trims: give
     * the pages back now, or VmRSS keeps a generation's worth after every
     * reload (issue 19, tests/bench/scale_bench.py) */
    if (big)
        malloc_trim(0);
}

const struct issu_client_result *issu_snapshot_client(const struct issu_snapshot *s, uint32_t id)
{
    uint32_t lo = 0, hi = s->n_clients;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->clients[mid].id == id)
            return &s->clients[mid];
        if (s->clients[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct issu_session *issu_snapshot_session(const struct issu_snapshot *s, uint32_t sid)
{
    uint32_t lo = 0, hi = s->n_sessions;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct issu_session *ss = &s->sessions[s->by_sid[mid]];
        if (ss->sid == sid)
            return ss;
        if (ss->sid < sid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const struct issu_session *issu_snapshot_session_ce(const struct issu_snapshot *s, uint32_t client,
                                                    uint32_t entity)
{
    const struct issu_client_result *c = issu_snapshot_client(s, client);
    uint32_t lo, hi;

    if (!c)
        return NULL;
    lo = c->first_session;
    hi = c->first_session + c->n_sessions;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (s->sessions[mid].entity_id == entity)
            return &s->sessions[mid];
        if (s->sessions[mid].entity_id < entity)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *issu_result_name(int r)
{
    switch (r) {
    case ISSU_RES_COMPATIBLE: return "COMPATIBLE";
    case ISSU_RES_INCOMPATIBLE: return "INCOMPATIBLE";
    default: return "UNKNOWN";
    }
}

const char *issu_role_name(int r)
{
    switch (r) {
    case ISSU_ROLE_PRIMARY: return "PRIMARY";
    case ISSU_ROLE_PASSIVE: return "PASSIVE";
    default: return "NONE";
    }
}

const char *issu_verdict_name(int v)
{
    switch (v) {
    case ISSU_VERDICT_COMPATIBLE: return "COMPATIBLE";
    case ISSU_VERDICT_BASE_LEVEL: return "BASE-LEVEL COMPATIBLE";
    case ISSU_VERDICT_INCOMPATIBLE: return "INCOMPATIBLE";
    default: return "UNKNOWN";
    }
}

const char *issu_side_name(int s)
{
    return s == ISSU_SIDE_STANDBY ? "standby" : "active";
}

const char *issu_peer_state_name(int s)
{
    switch (s) {
    case ISSU_PEER_UP: return "up";
    case ISSU_PEER_NEGOTIATING: return "negotiating";
    default: return "down";
    }
}

int issu_snapshot_switchover_ready(const struct issu_snapshot *s)
{
    /* the verdict is only COMPATIBLE with the peer up, after a round: say both */
    return s->verdict == ISSU_VERDICT_COMPATIBLE && s->peer_state == ISSU_PEER_UP && s->negotiations > 0;
}

void issu_snapshot_summarize(struct issu_snapshot *s)
{
    struct issu_summary *m = &s->summary;
    uint32_t i;

    memset(m, 0, sizeof(*m));
    m->clients_total = s->n_clients;
    for (i = 0; i < s->n_clients; i++) {
        const struct issu_client_result *c = &s->clients[i];

        if (c->effective == ISSU_RES_COMPATIBLE)
            m->clients_compatible++;
        else if (c->counts && c->result == ISSU_RES_INCOMPATIBLE)
            m->clients_incompatible++;
        else if (c->counts && c->effective == ISSU_RES_INCOMPATIBLE)
            m->clients_eff_incompatible++;
        if (c->base && c->effective == ISSU_RES_INCOMPATIBLE)
            m->base_incompatible++;
    }
    m->sessions_total = s->n_sessions;
    for (i = 0; i < s->n_sessions; i++) {
        if (s->sessions[i].result == ISSU_RES_INCOMPATIBLE)
            m->sessions_incompatible++;
        else if (s->sessions[i].result == ISSU_RES_UNKNOWN)
            m->sessions_unknown++;
    }
}
