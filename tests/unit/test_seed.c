/*
 * test_seed.c - the example images against the seed's figures: running.json
 * negotiated with upgrade-compatible.json must show every value the vendor
 * guide's examples show (session ids, peer sids, roles, negotiated versions,
 * MTUs, capabilities, transport MTUs, policy), identically on both endpoints,
 * with the same ids every time; the other candidates give their verdicts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"
#include "timg.h"
#include "texample.h"

struct seed {
    struct issu_image *run, *cand;
    struct issu_snapshot *a, *s;
};

static int setup(void **state)
{
    static struct seed sd;

    sd.run = t_example("running.json");
    sd.cand = t_example("upgrade-compatible.json");
    t_negotiate(sd.run, sd.cand, &sd.a, &sd.s);
    *state = &sd;
    return 0;
}

static int teardown(void **state)
{
    struct seed *sd = *state;

    issu_snapshot_unref(sd->a);
    issu_snapshot_unref(sd->s);
    issu_image_free(sd->run);
    issu_image_free(sd->cand);
    return 0;
}

struct want_ver {
    uint32_t type, version, mtu;
};

/* One session of the active's view, as the seed's examples show it. */
static const struct issu_session *check_session(const struct issu_snapshot *a, uint32_t client, uint32_t sid,
                                                uint32_t peer_sid, const char *name, uint32_t tmtu,
                                                int has_policy, const struct want_ver *v, uint32_t nv)
{
    const struct issu_session *ss = issu_snapshot_session(a, sid);
    uint32_t i;

    assert_non_null(ss);
    assert_ptr_equal(ss, issu_snapshot_session_ce(a, client, 1));
    assert_int_equal(ss->client_id, client);
    assert_int_equal(ss->entity_id, 1);
    assert_int_equal(ss->peer_sid, peer_sid);
    assert_string_equal(ss->name, name);
    assert_int_equal(ss->peer_unique_id, T_STANDBY_UID);
    assert_int_equal(ss->role, ISSU_ROLE_PRIMARY);
    assert_int_equal(ss->raw_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ss->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ss->has_policy, has_policy);
    assert_int_equal(ss->cap_group, 1);
    assert_int_equal(ss->msg_group, 1);
    assert_int_equal(ss->signature, 0);
    assert_int_equal(ss->nego_sid, sid);
    assert_string_equal(ss->nego_name, name);
    assert_int_equal(ss->transport_mtu, tmtu);
    assert_null(ss->reason);
    assert_int_equal(ss->n_versions, nv);
    for (i = 0; i < nv; i++) {
        assert_int_equal(ss->versions[i].msg_type, v[i].type);
        assert_int_equal(ss->versions[i].version, v[i].version);
        assert_int_equal(ss->versions[i].mtu, v[i].mtu);
    }
    return ss;
}

static void check_entry1(const struct issu_session *ss)
{
    assert_int_equal(ss->n_caps, 1);
    assert_int_equal(ss->caps[0].cap_type, 0);
    assert_int_equal(ss->caps[0].result, 1);
    assert_int_equal(ss->caps[0].has_entry, 1);
    assert_int_equal(ss->caps[0].entry, 1); /* Negotiated_Cap_Entry = 1 */
}

static void check_novalue(const struct issu_session *ss)
{
    assert_int_equal(ss->n_caps, 1);
    assert_int_equal(ss->caps[0].cap_type, 0); /* Cap_Type = 0, Cap_Result = 1 No cap value assigned */
    assert_int_equal(ss->caps[0].result, 1);
    assert_int_equal(ss->caps[0].has_entry, 0);
}

static void test_seed_values(void **state)
{
    struct seed *sd = *state;
    const struct issu_snapshot *a = sd->a;
    const struct issu_session *ss;

    assert_int_equal(a->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(a->unique_id, T_ACTIVE_UID);
    assert_int_equal(a->peer_unique_id, T_STANDBY_UID);
    assert_int_equal(a->role, ISSU_ROLE_PRIMARY);
    assert_int_equal(a->peer_state, ISSU_PEER_UP);
    assert_int_equal(a->negotiations, 1);
    assert_string_equal(a->peer_image_version, "15.5(3)S6");

    {   /* LDP */
        static const struct want_ver v[] = {{1, 2, 20}, {2, 2, 20}, {3, 2, 4}};
        ss = check_session(a, 2011, 46, 34, "LDP Session", 3948, 0, v, 3);
        check_entry1(ss);
    }
    {   /* LSD Label Manager HA: range 1~2 negotiates 2, (policy) */
        static const struct want_ver v[] = {{1, 2, 8}};
        ss = check_session(a, 2007, 40, 30, "lsd_ha", 3948, 1, v, 1);
        check_entry1(ss);
    }
    {   /* TE */
        static const struct want_ver v[] = {{1, 2, 1024}};
        ss = check_session(a, 2053, 84, 94, "RSVP HA Session", 1392, 0, v, 1);
        check_novalue(ss);
    }
    {   /* MPLS VPN */
        static const struct want_ver v[] = {{1, 1, 32}};
        ss = check_session(a, 2009, 39, 33, "MPLS VPN ISSU Session", 3980, 0, v, 1);
        check_entry1(ss);
    }
    {   /* VRF "Table ID" */
        static const struct want_ver v[] = {{1, 1, 44}, {2, 1, 4}};
        ss = check_session(a, 2008, 19, 13, "TABLEID ISSU CF", 3948, 0, v, 2);
        check_entry1(ss);
    }
    {   /* MFI Pull */
        static const struct want_ver v[] = {{1006, 1, 4}, {3003, 1, 12}};
        ss = check_session(a, 2030, 131073, 35, "MFI Pull (6)", 4056, 0, v, 2);
        check_entry1(ss);
    }
    {   /* MFI Push */
        static const struct want_ver v[] = {{101, 1, 17}, {105, 1, 31}};
        ss = check_session(a, 2031, 196646, 36, "MFI Push (6)", 4056, 0, v, 2);
        check_entry1(ss);
    }
    {   /* LSPV Push */
        static const struct want_ver v[] = {{0, 1, 74}, {1, 1, 120}, {2, 1, 120}, {3, 1, 5122}, {4, 1, 6}};
        ss = check_session(a, 2089, 45, 37, "MPLS LSPV Push (6 )", 1438, 0, v, 5);
        check_novalue(ss);
    }
    {   /* Table 1 as prerequisites */
        const struct issu_client_result *c = issu_snapshot_client(a, 2053);
        assert_non_null(c);
        assert_int_equal(c->n_prereqs, 3);
        assert_int_equal(c->prereqs[0], 3);
        assert_int_equal(c->prereqs[1], 4);
        assert_int_equal(c->prereqs[2], 2100);
        assert_int_equal(c->effective, ISSU_RES_COMPATIBLE);
        c = issu_snapshot_client(a, 2);
        assert_non_null(c);
        assert_int_equal(c->base, 1);
    }
}

/* Both endpoints record the same results; roles and sids mirror. */
static void test_seed_symmetric(void **state)
{
    struct seed *sd = *state;
    const struct issu_session *ss;
    uint32_t i;

    t_assert_symmetric(sd->a, sd->s);
    assert_int_equal(sd->s->role, ISSU_ROLE_PASSIVE);
    for (i = 0; i < sd->s->n_sessions; i++) {
        assert_int_equal(sd->s->sessions[i].role, ISSU_ROLE_PASSIVE);
        assert_int_equal(sd->s->sessions[i].peer_unique_id, T_ACTIVE_UID);
        assert_int_equal(sd->a->sessions[i].role, ISSU_ROLE_PRIMARY);
    }
    ss = issu_snapshot_session(sd->s, 34); /* the standby's LDP session */
    assert_non_null(ss);
    assert_int_equal(ss->client_id, 2011);
    assert_int_equal(ss->peer_sid, 46);
    assert_int_equal(ss->versions[2].mtu, 4);
    ss = issu_snapshot_session(sd->s, 30);
    assert_non_null(ss);
    assert_int_equal(ss->client_id, 2007);
    assert_int_equal(ss->versions[0].version, 2);
}

/* Same input, same ids: allocated ids are the smallest free ones in (client, entity) order. */
static void test_seed_same_ids(void **state)
{
    struct seed *sd = *state;
    struct issu_snapshot *a2 = NULL, *s2 = NULL;
    uint32_t i;

    t_negotiate(sd->run, sd->cand, &a2, &s2);
    assert_int_equal(a2->n_sessions, sd->a->n_sessions);
    assert_int_equal(s2->n_sessions, sd->s->n_sessions);
    for (i = 0; i < a2->n_sessions; i++) {
        assert_int_equal(a2->sessions[i].client_id, sd->a->sessions[i].client_id);
        assert_int_equal(a2->sessions[i].sid, sd->a->sessions[i].sid);
        assert_int_equal(a2->sessions[i].peer_sid, sd->a->sessions[i].peer_sid);
        assert_int_equal(s2->sessions[i].sid, sd->s->sessions[i].sid);
    }
    /* unique sids, sorted index */
    for (i = 1; i < a2->n_sessions; i++)
        assert_true(a2->sessions[a2->by_sid[i - 1]].sid < a2->sessions[a2->by_sid[i]].sid);
    /* client 2 is first and has no explicit id: it gets 1 */
    assert_int_equal(issu_snapshot_session_ce(a2, 2, 1)->sid, 1);
    assert_int_equal(issu_snapshot_session_ce(s2, 2, 1)->sid, 1);
    issu_snapshot_unref(a2);
    issu_snapshot_unref(s2);
}

static void test_seed_base_level(void **state)
{
    struct issu_image *run = t_example("running.json"), *cand = t_example("upgrade-base-level.json");
    struct issu_snapshot *a = NULL, *s = NULL;
    const struct issu_client_result *c;

    (void)state;
    t_negotiate(run, cand, &a, &s);
    t_assert_symmetric(a, s);
    assert_int_equal(a->verdict, ISSU_VERDICT_BASE_LEVEL);
    c = issu_snapshot_client(a, 2011);
    assert_int_equal(c->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(c->reason, "no common version for message type 3: active 2~2, standby 3~3");
    c = issu_snapshot_client(a, 2053);
    assert_int_equal(c->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(c->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(c->n_chain, 2);
    assert_int_equal(c->chain[1], 2100);
    assert_int_equal(issu_snapshot_client(a, 2009)->effective, ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_snapshot_client(a, 4)->effective, ISSU_RES_COMPATIBLE);
    issu_snapshot_unref(a);
    issu_snapshot_unref(s);
    issu_image_free(run);
    issu_image_free(cand);
}

static void test_seed_incompatible(void **state)
{
    struct issu_image *run = t_example("running.json"), *cand = t_example("upgrade-incompatible.json");
    struct issu_snapshot *a = NULL, *s = NULL;
    const struct issu_client_result *c;

    (void)state;
    t_negotiate(run, cand, &a, &s);
    t_assert_symmetric(a, s);
    assert_int_equal(a->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_int_equal(s->verdict, ISSU_VERDICT_INCOMPATIBLE);
    c = issu_snapshot_client(a, 2011);
    assert_int_equal(c->effective, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(c->reason, "prerequisite 2007 ISSU LSD Label Mgr HA Client is incompatible");
    assert_int_equal(c->n_chain, 3);
    assert_int_equal(c->chain[0], 2011);
    assert_int_equal(c->chain[1], 2007);
    assert_int_equal(c->chain[2], 4);
    issu_snapshot_unref(a);
    issu_snapshot_unref(s);
    issu_image_free(run);
    issu_image_free(cand);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_values),
        cmocka_unit_test(test_seed_symmetric),
        cmocka_unit_test(test_seed_same_ids),
    };
    const struct CMUnitTest others[] = {
        cmocka_unit_test(test_seed_base_level),
        cmocka_unit_test(test_seed_incompatible),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);

    return rc | cmocka_run_group_tests(others, NULL, NULL);
}
