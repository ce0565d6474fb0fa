/*
 * snmp_index.c - O(log n) GET/GETNEXT row search over a snapshot's arrays.
 *
 * A table is seen as levels: level d holds the children of the row prefix
 * chosen at levels 0..d-1 (e.g. a session's negotiated versions). Each level
 * is a sorted array addressed by count/key/select below; the search is the
 * same for every table. Empty subtrees (a client without entities) are
 * skipped by a linear step over siblings, which the images never make long.
 */
#include "snmp_index.h"

#include <string.h>

unsigned issu_snmp_table_depth(enum issu_snmp_table t)
{
    switch (t) {
    case ISSU_SNMP_T_CLIENT:
    case ISSU_SNMP_T_SESSION:
        return 1;
    case ISSU_SNMP_T_ENTITY:
    case ISSU_SNMP_T_NEGVER:
    case ISSU_SNMP_T_NEGCAP:
    case ISSU_SNMP_T_CLIENTDEP:
        return 2;
    case ISSU_SNMP_T_MSGTYPE:
        return 3;
    case ISSU_SNMP_T_MSGVER:
        return 4;
    }
    return 0;
}

static const struct issu_image *img_of(const struct issu_snapshot *s)
{
    return s->image;
}

/* Children at level d under the prefix already selected in row. */
static uint32_t lvl_count(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                          const struct issu_snmp_row *r)
{
    switch (t) {
    case ISSU_SNMP_T_CLIENT:
        return s->n_clients;
    case ISSU_SNMP_T_CLIENTDEP:
        return d == 0 ? s->n_clients : r->cr->n_prereqs;
    case ISSU_SNMP_T_SESSION:
        return s->by_sid ? s->n_sessions : 0;
    case ISSU_SNMP_T_NEGVER:
        return d == 0 ? (s->by_sid ? s->n_sessions : 0) : r->ss->n_versions;
    case ISSU_SNMP_T_NEGCAP:
        return d == 0 ? (s->by_sid ? s->n_sessions : 0) : r->ss->n_caps;
    case ISSU_SNMP_T_ENTITY:
    case ISSU_SNMP_T_MSGTYPE:
    case ISSU_SNMP_T_MSGVER:
        switch (d) {
        case 0:
            return img_of(s) ? img_of(s)->n_clients : 0;
        case 1:
            return r->ic->n_entities;
        case 2:
            return r->mg ? r->mg->n_types : 0;
        default:
            return r->mt->n_versions;
        }
    }
    return 0;
}

static const struct issu_session *by_sid(const struct issu_snapshot *s, uint32_t i)
{
    return &s->sessions[s->by_sid[i]];
}

static uint32_t lvl_key(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                        const struct issu_snmp_row *r, uint32_t i)
{
    switch (t) {
    case ISSU_SNMP_T_CLIENT:
        return s->clients[i].id;
    case ISSU_SNMP_T_CLIENTDEP:
        return d == 0 ? s->clients[i].id : r->cr->prereqs[i];
    case ISSU_SNMP_T_SESSION:
        return by_sid(s, i)->sid;
    case ISSU_SNMP_T_NEGVER:
        return d == 0 ? by_sid(s, i)->sid : r->ss->versions[i].msg_type;
    case ISSU_SNMP_T_NEGCAP:
        return d == 0 ? by_sid(s, i)->sid : r->ss->caps[i].cap_type;
    case ISSU_SNMP_T_ENTITY:
    case ISSU_SNMP_T_MSGTYPE:
    case ISSU_SNMP_T_MSGVER:
        switch (d) {
        case 0:
            return img_of(s)->clients[i].id;
        case 1:
            return r->ic->entities[i].id;
        case 2:
            return r->mg->types[i].id;
        default:
            return r->mt->versions[i].version;
        }
    }
    return 0;
}

/* Select child i at level d: fill the row's pointers for that level. */
static void lvl_select(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                       struct issu_snmp_row *r, uint32_t i)
{
    r->idx[d] = lvl_key(s, t, d, r, i);
    switch (t) {
    case ISSU_SNMP_T_CLIENT:
        r->cr = &s->clients[i];
        break;
    case ISSU_SNMP_T_CLIENTDEP:
        if (d == 0)
            r->cr = &s->clients[i];
        else
            r->dep = issu_snapshot_client(s, r->cr->prereqs[i]);
        break;
    case ISSU_SNMP_T_SESSION:
    case ISSU_SNMP_T_NEGVER:
    case ISSU_SNMP_T_NEGCAP:
        if (d == 0) {
            r->ss = by_sid(s, i);
            r->cr = issu_snapshot_client(s, r->ss->client_id);
        } else if (t == ISSU_SNMP_T_NEGVER) {
            r->nv = &r->ss->versions[i];
        } else {
            r->nc = &r->ss->caps[i];
        }
        break;
    case ISSU_SNMP_T_ENTITY:
    case ISSU_SNMP_T_MSGTYPE:
    case ISSU_SNMP_T_MSGVER:
        switch (d) {
        case 0:
            r->ic = &img_of(s)->clients[i];
            r->cr = issu_snapshot_client(s, r->ic->id);
            break;
        case 1:
            r->ent = &r->ic->entities[i];
            r->mg = issu_client_msg_group(r->ic, r->ent->msg_group);
            r->ss = issu_snapshot_session_ce(s, r->ic->id, r->ent->id);
            break;
        case 2:
            r->mt = &r->mg->types[i];
            break;
        default:
            r->mv = &r->mt->versions[i];
            break;
        }
        break;
    }
}

/* Where the last search at each level of each table ended. A walk asks for
 * the row after the one it got, so the answer is there or one further:
 * two key reads instead of a binary search through cold memory. Only a
 * guess: it is used when the sorted keys around it prove it right, so a
 * hint from another snapshot or parent is merely not used. */
static _Thread_local uint32_t g_hint[ISSU_SNMP_T_LAST + 1][ISSU_SNMP_MAX_INDEX];

/* Is i the first child at level d whose key is >= k? */
static int is_lower_bound(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                          const struct issu_snmp_row *r, uint32_t n, uint32_t i, uint32_t k)
{
    return i <= n && (i == n || lvl_key(s, t, d, r, i) >= k) &&
           (i == 0 || lvl_key(s, t, d, r, i - 1) < k);
}

/* First child at level d whose key is >= k. */
static uint32_t lvl_lower_bound(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                                const struct issu_snmp_row *r, uint32_t k)
{
    uint32_t lo = 0, hi = lvl_count(s, t, d, r), n = hi, h = g_hint[t][d];

    if (is_lower_bound(s, t, d, r, n, h, k))
        return h;
    if (h < n && is_lower_bound(s, t, d, r, n, h + 1, k)) {
        g_hint[t][d] = h + 1;
        return h + 1;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (lvl_key(s, t, d, r, mid) < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    g_hint[t][d] = lo;
    return lo;
}

static int next_rec(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned d,
                    struct issu_snmp_row *r, const unsigned long *key, size_t m)
{
    unsigned depth = issu_snmp_table_depth(t);
    uint32_t n = lvl_count(s, t, d, r), i = 0;

    if (m) {
        if (key[0] > UINT32_MAX)
            return 0; /* beyond every 32-bit index at this level */
        i = lvl_lower_bound(s, t, d, r, (uint32_t)key[0]);
        if (i < n && lvl_key(s, t, d, r, i) == key[0]) {
            /* Equal key: a greater row is inside this subtree, if anywhere.
             * At the last level the equal row itself is not greater. */
            if (d + 1 < depth) {
                lvl_select(s, t, d, r, i);
                if (next_rec(s, t, d + 1, r, key + 1, m - 1))
                    return 1;
            }
            i++;
        }
    }
    for (; i < n; i++) {
        lvl_select(s, t, d, r, i);
        if (d + 1 == depth || next_rec(s, t, d + 1, r, NULL, 0))
            return 1;
    }
    return 0;
}

int issu_snmp_row_next(const struct issu_snapshot *s, enum issu_snmp_table t,
                       const unsigned long *idx, size_t len, struct issu_snmp_row *row)
{
    memset(row, 0, sizeof(*row));
    if (!s || !issu_snmp_table_depth(t))
        return 0;
    return next_rec(s, t, 0, row, idx, len);
}

int issu_snmp_row_get(const struct issu_snapshot *s, enum issu_snmp_table t,
                      const unsigned long *idx, size_t len, struct issu_snmp_row *row)
{
    unsigned depth = issu_snmp_table_depth(t), d;

    memset(row, 0, sizeof(*row));
    if (!s || !depth || len != depth)
        return 0;
    for (d = 0; d < depth; d++) {
        uint32_t i;

        if (idx[d] > UINT32_MAX)
            return 0;
        i = lvl_lower_bound(s, t, d, row, (uint32_t)idx[d]);
        if (i >= lvl_count(s, t, d, row) || lvl_key(s, t, d, row, i) != idx[d])
            return 0;
        lvl_select(s, t, d, row, i);
    }
    return 1;
}
