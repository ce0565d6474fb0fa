/*
 * test_snmp_index.c - the SNMP face's row search (agent/snmp/snmp_index.c).
 *
 * A hand-built snapshot (sessions out of sid order, a client without
 * entities, an empty message group, message type 0, a prerequisite unknown
 * to the snapshot) is enumerated here independently by nested loops; every
 * GET and GETNEXT answer, for every row and many probe keys (prefixes,
 * extensions, neighbours, sub-identifiers beyond 32 bits), must equal the
 * brute-force answer. A 100,000-row walk shows a step is not linear.
 * Also issuLastChange's conversion (agent/snmp/snmp_stamp.c): one value per
 * stamp while the sysUpTime base jitters, a new one when the stamp moves or
 * the base jumps (the master restarted).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"
#include "snapshot.h"
#include "snmp_index.h"
#include "snmp_stamp.h"

#define MAXROWS 256

struct fixture {
    struct issu_image *img;
    struct issu_snapshot snap;
    struct issu_client_result clients[3];
    struct issu_session sessions[3];
    uint32_t by_sid[3];
    struct issu_neg_version nv[3][3];
    struct issu_neg_cap nc[3][2];
    uint32_t prereqs_2011[2];
};

static struct issu_image *build_image(void)
{
    struct issu_image *img = issu_image_new("running", "1.0");
    struct issu_client *c;
    struct issu_msg_group *g;
    struct issu_msg_type *t;
    struct issu_entity *e;
    char err[256];

    assert_non_null(img);
    /* client 2: entity 1, group 1: type 1 v1..2 */
    c = issu_image_add_client(img, 2, "ISSU Proto client");
    g = issu_client_add_msg_group(c, 1);
    t = issu_msg_group_add_type(g, 1);
    assert_int_equal(issu_msg_type_add_version(t, 1, 10), ISSU_OK);
    assert_int_equal(issu_msg_type_add_version(t, 2, 20), ISSU_OK);
    assert_non_null(issu_client_add_cap_group(c, 1));
    e = issu_client_add_entity(c, 1, "proto");
    e->msg_group = 1;
    e->cap_group = 1;
    /* client 2011: entity 3 (empty group 2) added before entity 1 (group 1: types 3, 0) */
    c = issu_image_add_client(img, 2011, "ISSU LDP Client");
    g = issu_client_add_msg_group(c, 2);
    g = issu_client_add_msg_group(c, 1);
    t = issu_msg_group_add_type(g, 3);
    assert_int_equal(issu_msg_type_add_version(t, 2, 20), ISSU_OK);
    assert_int_equal(issu_msg_type_add_version(t, 3, 30), ISSU_OK);
    assert_int_equal(issu_msg_type_add_version(t, 4, 0), ISSU_OK);
    t = issu_msg_group_add_type(g, 0);
    assert_int_equal(issu_msg_type_add_version(t, 1, 74), ISSU_OK);
    assert_non_null(issu_client_add_cap_group(c, 1));
    e = issu_client_add_entity(c, 3, "LDP 3");
    e->msg_group = 2;
    e->cap_group = 1;
    e = issu_client_add_entity(c, 1, "LDP Session");
    e->msg_group = 1;
    e->cap_group = 1;
    /* client 5: no entity at all (an empty subtree for the image tables) */
    c = issu_image_add_client(img, 5, "ISSU CF client");
    assert_non_null(c);
    if (issu_image_validate(img, err, sizeof(err)) != ISSU_OK)
        fail_msg("image: %s", err);
    return img;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct issu_snapshot *s = &f->snap;
    static const uint32_t sids[3] = {46, 5, 131073};   /* by (client, entity) */
    static const uint32_t cl[3] = {2011, 2, 2011};
    static const uint32_t en[3] = {1, 1, 3};
    uint32_t i, j;

    assert_non_null(f);
    f->img = build_image();
    s->refs = 1;
    s->image = f->img;
    s->n_clients = 3;
    s->clients = f->clients;
    f->clients[0] = (struct issu_client_result){.id = 2, .name = "ISSU Proto client",
                                                .result = 1, .effective = 1,
                                                .first_session = 0, .n_sessions = 1};
    f->clients[1] = (struct issu_client_result){.id = 7, .name = "peer only", .result = 2,
                                                .effective = 2, .presence = 3};
    f->prereqs_2011[0] = 2;
    f->prereqs_2011[1] = 9; /* no such client: dependants see UNKNOWN */
    f->clients[2] = (struct issu_client_result){.id = 2011, .name = "ISSU LDP Client", .result = 1,
                                                .effective = 1, .n_prereqs = 2,
                                                .prereqs = f->prereqs_2011,
                                                .first_session = 1, .n_sessions = 2};
    /* sessions by (client, entity): (2,1) sid 5, (2011,1) sid 46, (2011,3) sid 131073 */
    s->n_sessions = 3;
    s->sessions = f->sessions;
    s->by_sid = f->by_sid;
    for (i = 0; i < 3; i++) {
        uint32_t k = cl[i] == 2 ? 0 : (en[i] == 1 ? 1 : 2);
        struct issu_session *ss = &f->sessions[k];

        ss->sid = sids[i];
        ss->client_id = cl[i];
        ss->entity_id = en[i];
        ss->n_versions = k + 1;
        ss->versions = f->nv[k];
        for (j = 0; j <= k; j++)
            f->nv[k][j] = (struct issu_neg_version){.msg_type = j * 2, .version = 1, .mtu = 4};
        ss->n_caps = k == 1 ? 0 : 2;
        ss->caps = f->nc[k];
        f->nc[k][0] = (struct issu_neg_cap){.cap_type = 0, .result = 1};
        f->nc[k][1] = (struct issu_neg_cap){.cap_type = 7, .result = 1, .has_entry = 1, .entry = 3};
    }
    f->by_sid[0] = 0; /* sid 5 */
    f->by_sid[1] = 1; /* sid 46 */
    f->by_sid[2] = 2; /* sid 131073 */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    issu_image_free(f->img);
    free(f);
    return 0;
}

/* ---- brute force: every row's index, by nested loops over the structures ---- */

struct rows {
    unsigned n, depth;
    unsigned long idx[MAXROWS][ISSU_SNMP_MAX_INDEX];
};

static void add(struct rows *r, unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
    assert_true(r->n < MAXROWS);
    r->idx[r->n][0] = a;
    r->idx[r->n][1] = b;
    r->idx[r->n][2] = c;
    r->idx[r->n][3] = d;
    r->n++;
}

static int cmp_idx(const unsigned long *a, size_t na, const unsigned long *b, size_t nb)
{
    size_t i;

    for (i = 0; i < na && i < nb; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return na < nb ? -1 : na > nb;
}

static struct rows *rows_sort_depth;
static int cmp_rows(const void *a, const void *b)
{
    return cmp_idx(a, rows_sort_depth->depth, b, rows_sort_depth->depth);
}

static void enumerate(const struct issu_snapshot *s, enum issu_snmp_table t, struct rows *r)
{
    uint32_t i, j, k, l;

    memset(r, 0, sizeof(*r));
    r->depth = issu_snmp_table_depth(t);
    for (i = 0; i < s->n_sessions; i++) {
        const struct issu_session *ss = &s->sessions[i];
        if (t == ISSU_SNMP_T_SESSION)
            add(r, ss->sid, 0, 0, 0);
        for (j = 0; t == ISSU_SNMP_T_NEGVER && j < ss->n_versions; j++)
            add(r, ss->sid, ss->versions[j].msg_type, 0, 0);
        for (j = 0; t == ISSU_SNMP_T_NEGCAP && j < ss->n_caps; j++)
            add(r, ss->sid, ss->caps[j].cap_type, 0, 0);
    }
    for (i = 0; i < s->n_clients; i++) {
        if (t == ISSU_SNMP_T_CLIENT)
            add(r, s->clients[i].id, 0, 0, 0);
        for (j = 0; t == ISSU_SNMP_T_CLIENTDEP && j < s->clients[i].n_prereqs; j++)
            add(r, s->clients[i].id, s->clients[i].prereqs[j], 0, 0);
    }
    for (i = 0; i < s->image->n_clients; i++) {
        const struct issu_client *c = &s->image->clients[i];
        for (j = 0; j < c->n_entities; j++) {
            const struct issu_msg_group *g = issu_client_msg_group(c, c->entities[j].msg_group);
            if (t == ISSU_SNMP_T_ENTITY)
                add(r, c->id, c->entities[j].id, 0, 0);
            for (k = 0; g && k < g->n_types; k++) {
                if (t == ISSU_SNMP_T_MSGTYPE)
                    add(r, c->id, c->entities[j].id, g->types[k].id, 0);
                for (l = 0; t == ISSU_SNMP_T_MSGVER && l < g->types[k].n_versions; l++)
                    add(r, c->id, c->entities[j].id, g->types[k].id,
                        g->types[k].versions[l].version);
            }
        }
    }
    rows_sort_depth = r;
    qsort(r->idx, r->n, sizeof(r->idx[0]), cmp_rows);
}

/* Brute-force GETNEXT: index of the first row > key, or -1. */
static int bf_next(const struct rows *r, const unsigned long *key, size_t len)
{
    unsigned i;

    for (i = 0; i < r->n; i++)
        if (cmp_idx(r->idx[i], r->depth, key, len) > 0)
            return (int)i;
    return -1;
}

/* Brute-force GET: is key exactly a row? */
static int bf_has(const struct rows *r, const unsigned long *key, size_t len)
{
    unsigned i;

    for (i = 0; len == r->depth && i < r->n; i++)
        if (!cmp_idx(r->idx[i], r->depth, key, len))
            return 1;
    return 0;
}

static void check_next(const struct issu_snapshot *s, enum issu_snmp_table t,
                       const struct rows *r, const unsigned long *key, size_t len)
{
    struct issu_snmp_row row;
    int want = bf_next(r, key, len);
    int got = issu_snmp_row_next(s, t, key, len, &row);
    unsigned d;

    if (want < 0) {
        if (got)
            fail_msg("table %d: next of key (len %zu, [0]=%lu) found a row, expected none",
                     t, len, len ? key[0] : 0UL);
        return;
    }
    if (!got)
        fail_msg("table %d: next of key (len %zu, [0]=%lu) found nothing, expected row %d",
                 t, len, len ? key[0] : 0UL, want);
    for (d = 0; d < r->depth; d++)
        assert_int_equal(row.idx[d], r->idx[want][d]);
}

static void probe_table(const struct issu_snapshot *s, enum issu_snmp_table t)
{
    static const unsigned long specials[] = {0, 1, 2, 3, 7, 9, 46, 2011, 2012, 131073,
                                             0xffffffffUL, 0x100000000UL, ~0UL};
    struct rows r;
    unsigned long key[ISSU_SNMP_MAX_INDEX + 2];
    struct issu_snmp_row row;
    unsigned i, len, d, x;

    enumerate(s, t, &r);
    assert_true(r.n > 0);
    check_next(s, t, &r, NULL, 0);
    for (i = 0; i < r.n; i++) {
        /* exact GET of every row, and of wrong lengths */
        assert_int_equal(issu_snmp_row_get(s, t, r.idx[i], r.depth, &row), 1);
        for (d = 0; d < r.depth; d++)
            assert_int_equal(row.idx[d], r.idx[i][d]);
        assert_int_equal(issu_snmp_row_get(s, t, r.idx[i], r.depth - 1, &row), 0);
        memcpy(key, r.idx[i], sizeof(r.idx[i]));
        key[r.depth] = 0;
        assert_int_equal(issu_snmp_row_get(s, t, key, r.depth + 1, &row), 0);
        /* GETNEXT from every prefix, the row, extensions, neighbours */
        for (len = 0; len <= r.depth + 1; len++) {
            memcpy(key, r.idx[i], sizeof(r.idx[i]));
            key[r.depth] = 5;
            check_next(s, t, &r, key, len);
            for (d = 0; d < len && d < r.depth; d++) {
                unsigned long save = key[d];
                if (save) {
                    key[d] = save - 1;
                    check_next(s, t, &r, key, len);
                }
                key[d] = save + 1;
                check_next(s, t, &r, key, len);
                for (x = 0; x < sizeof(specials) / sizeof(specials[0]); x++) {
                    key[d] = specials[x];
                    check_next(s, t, &r, key, len);
                }
                key[d] = save;
            }
        }
    }
    /* keys made of specials only */
    for (len = 1; len <= r.depth; len++)
        for (x = 0; x < sizeof(specials) / sizeof(specials[0]); x++) {
            for (d = 0; d < len; d++)
                key[d] = specials[(x + d) % (sizeof(specials) / sizeof(specials[0]))];
            check_next(s, t, &r, key, len);
            assert_int_equal(issu_snmp_row_get(s, t, key, len, &row), bf_has(&r, key, len));
        }
}

static void test_all_tables(void **state)
{
    struct fixture *f = *state;
    int t;

    for (t = ISSU_SNMP_T_FIRST; t <= ISSU_SNMP_T_LAST; t++)
        probe_table(&f->snap, (enum issu_snmp_table)t);
}

static void test_walk_order_and_pointers(void **state)
{
    struct fixture *f = *state;
    struct issu_snmp_row row;
    unsigned long key[4];
    const uint32_t want_sids[] = {5, 46, 131073};
    unsigned i = 0;
    size_t len = 0;

    /* sessions come in sid order although stored by (client, entity) */
    while (issu_snmp_row_next(&f->snap, ISSU_SNMP_T_SESSION, key, len, &row)) {
        assert_true(i < 3);
        assert_int_equal(row.idx[0], want_sids[i]);
        assert_int_equal(row.ss->sid, want_sids[i]);
        assert_non_null(row.cr);
        assert_int_equal(row.cr->id, row.ss->client_id);
        key[0] = row.idx[0];
        len = 1;
        i++;
    }
    assert_int_equal(i, 3);

    /* image tables: each entity finds its session by (client, entity) */
    key[0] = 2011;
    key[1] = 1;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_ENTITY, key, 2, &row), 1);
    assert_string_equal(row.ent->session_name, "LDP Session");
    assert_non_null(row.ss);
    assert_int_equal(row.ss->sid, 46);
    key[1] = 3;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_ENTITY, key, 2, &row), 1);
    assert_non_null(row.ss);
    assert_int_equal(row.ss->sid, 131073);
    assert_null(row.mg->types); /* its message group is empty: no message type rows */
    assert_int_equal(row.mg->n_types, 0);
    /* message type 0 sorts first; version rows carry their MTU */
    key[1] = 1;
    key[2] = 0;
    key[3] = 1;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_MSGVER, key, 4, &row), 1);
    assert_int_equal(row.mv->mtu, 74);
    key[2] = 3;
    key[3] = 4;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_MSGVER, key, 4, &row), 1);
    assert_int_equal(row.mv->mtu, 0);
    assert_int_equal(issu_msg_type_low(row.mt), 2);
    /* the dependency on an unknown client has no dep pointer */
    key[0] = 2011;
    key[1] = 9;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_CLIENTDEP, key, 2, &row), 1);
    assert_null(row.dep);
    key[1] = 2;
    assert_int_equal(issu_snmp_row_get(&f->snap, ISSU_SNMP_T_CLIENTDEP, key, 2, &row), 1);
    assert_non_null(row.dep);
    assert_string_equal(row.dep->name, "ISSU Proto client");
    /* nothing past the last row, and an unknown table has no rows */
    key[0] = 131073;
    key[1] = 7;
    assert_int_equal(issu_snmp_row_next(&f->snap, ISSU_SNMP_T_NEGCAP, key, 2, &row), 0);
    assert_int_equal(issu_snmp_row_next(&f->snap, (enum issu_snmp_table)1, NULL, 0, &row), 0);
    assert_int_equal(issu_snmp_row_next(NULL, ISSU_SNMP_T_CLIENT, NULL, 0, &row), 0);
}

/* A 100,000-session snapshot walked row by row: with a linear search per
 * step this would be 5e9 comparisons and hit the test timeout; with the
 * binary search it takes milliseconds. */
static void test_large_walk(void **state)
{
    struct fixture *f = *state;
    enum { N = 100000 };
    struct issu_snapshot s = f->snap;
    struct issu_session *ss = calloc(N, sizeof(*ss));
    uint32_t *by = calloc(N, sizeof(*by));
    struct issu_snmp_row row;
    unsigned long key[2] = {0, 0};
    size_t len = 0;
    uint32_t i, n = 0;

    assert_non_null(ss);
    assert_non_null(by);
    for (i = 0; i < N; i++) {
        ss[i].sid = 3 * i + 1;
        ss[i].client_id = 2011;
        by[i] = i;
    }
    s.sessions = ss;
    s.by_sid = by;
    s.n_sessions = N;
    while (issu_snmp_row_next(&s, ISSU_SNMP_T_SESSION, key, len, &row)) {
        assert_int_equal(row.idx[0], 3 * n + 1);
        key[0] = row.idx[0];
        len = 1;
        n++;
    }
    assert_int_equal(n, N);
    /* a key between two sids finds the next one */
    key[0] = 3 * 777 + 2;
    assert_int_equal(issu_snmp_row_next(&s, ISSU_SNMP_T_SESSION, key, 1, &row), 1);
    assert_int_equal(row.idx[0], 3 * 778 + 1);
    free(ss);
    free(by);
}

static struct timespec ts(long long cs)
{
    struct timespec t = {(time_t)(cs / 100), (long)(cs % 100) * 10000000L + 4321};
    return t;
}

/* The same stamp read while net-snmp re-bases sysUpTime on every master ping
 * (a tick or two either way): always the same TimeTicks. */
static void test_stamp_stable(void **state)
{
    struct issu_snmp_stamp c;
    struct timespec t = ts(12345);
    uint32_t first;
    int i;

    (void)state;
    memset(&c, 0, sizeof(c));
    first = issu_snmp_stamp_ticks(&c, &t, 10000);
    assert_int_equal(first, 2345);
    for (i = 0; i < 1000; i++) {
        int64_t jitter = (i * 7919) % (2 * ISSU_SNMP_STAMP_SLACK_CS + 1) - ISSU_SNMP_STAMP_SLACK_CS;
        assert_int_equal(issu_snmp_stamp_ticks(&c, &t, 10000 + jitter), first);
    }
}

static void test_stamp_moves(void **state)
{
    struct issu_snmp_stamp c;
    struct timespec t = ts(12345), later = ts(12500), zero = {0, 0};

    (void)state;
    memset(&c, 0, sizeof(c));
    assert_int_equal(issu_snmp_stamp_ticks(&c, &t, 10000), 2345);
    /* a new change: converted again, with the base of now */
    assert_int_equal(issu_snmp_stamp_ticks(&c, &later, 10001), 2499);
    /* the base jumped (snmpd restarted after the change): before it, so 0 */
    assert_int_equal(issu_snmp_stamp_ticks(&c, &later, 10001 + ISSU_SNMP_STAMP_SLACK_CS), 2499);
    assert_int_equal(issu_snmp_stamp_ticks(&c, &later, 10002 + ISSU_SNMP_STAMP_SLACK_CS), 2398);
    assert_int_equal(issu_snmp_stamp_ticks(&c, &later, 50000), 0);
    assert_int_equal(issu_snmp_stamp_ticks(&c, &later, 50000 - 3), 0);
    /* no stamp at all */
    assert_int_equal(issu_snmp_stamp_ticks(&c, &zero, 0), 0);
    /* sysUpTime's wrap: TimeTicks are modulo 2^32 */
    memset(&c, 0, sizeof(c));
    t = ts(((long long)1 << 32) + 5);
    assert_int_equal(issu_snmp_stamp_ticks(&c, &t, 0), 5);
    /* rounding: centiseconds, never up */
    t.tv_sec = 3;
    t.tv_nsec = 999999999;
    assert_int_equal(issu_snmp_mono_cs(&t), 399);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_all_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_order_and_pointers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_walk, setup, teardown),
        cmocka_unit_test(test_stamp_stable),
        cmocka_unit_test(test_stamp_moves),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
