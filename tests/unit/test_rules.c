/*
 * test_rules.c - every negotiation rule of DOMAIN.md on hand-built images,
 * negotiated through the codec and the in-memory transport; each case also
 * checks that the standby's view records the same results and reasons.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "rules.h"
#include "timg.h"

#define LDP 2011
#define LSD 2007

/* Base clients RF 3 and CF 4, compatible. */
static void add_bases(struct issu_image *img)
{
    t_plain(img, 3, "ISSU RF", 1);
    t_plain(img, 4, "ISSU CF client", 1);
}

struct pair {
    struct issu_image *a, *s;
    struct issu_snapshot *va, *vs;
};

static void run(struct pair *p)
{
    t_valid(p->a);
    t_valid(p->s);
    t_negotiate(p->a, p->s, &p->va, &p->vs);
    t_assert_symmetric(p->va, p->vs);
}

static void done(struct pair *p)
{
    issu_snapshot_unref(p->va);
    issu_snapshot_unref(p->vs);
    issu_image_free(p->a);
    issu_image_free(p->s);
}

static const struct issu_session *sess(const struct issu_snapshot *s, uint32_t client)
{
    const struct issu_session *ss = issu_snapshot_session_ce(s, client, 1);

    assert_non_null(ss);
    return ss;
}

static const struct issu_client_result *cl(const struct issu_snapshot *s, uint32_t id)
{
    const struct issu_client_result *c = issu_snapshot_client(s, id);

    assert_non_null(c);
    return c;
}

/* Rule 1: highest version in both ranges; each side reports its own MTU. */
static void test_highest_common_version(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_session *x, *y;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    c = t_client(p.a, LDP, "ISSU LDP Client");
    t_msg(c, 1, 1, 3, 100);
    t_msg(c, 2, 2, 2, 100);
    c = t_client(p.s, LDP, "ISSU LDP Client");
    t_msg(c, 1, 2, 5, 200);
    t_msg(c, 2, 1, 4, 200);
    run(&p);

    x = sess(p.va, LDP);
    y = sess(p.vs, LDP);
    assert_int_equal(x->raw_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_COMPATIBLE);
    assert_null(x->reason);
    assert_int_equal(x->n_versions, 2);
    assert_int_equal(x->versions[0].msg_type, 1);
    assert_int_equal(x->versions[0].version, 3);
    assert_int_equal(x->versions[0].mtu, 103);
    assert_int_equal(y->versions[0].mtu, 203);
    assert_int_equal(x->versions[1].msg_type, 2);
    assert_int_equal(x->versions[1].version, 2);
    assert_int_equal(x->versions[1].mtu, 102);
    assert_int_equal(y->versions[1].mtu, 202);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_null(p.va->verdict_reason);
    assert_int_equal(cl(p.va, LDP)->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(cl(p.va, LDP)->effective, ISSU_RES_COMPATIBLE);
    done(&p);
}

static void test_no_common_version(void **state)
{
    static const char *want = "no common version for message type 3: active 1~1, standby 2~3";
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_session *x, *y;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    c = t_client(p.a, LDP, "ISSU LDP Client");
    t_msg(c, 1, 1, 2, 0);
    t_msg(c, 3, 1, 1, 0);
    c = t_client(p.s, LDP, "ISSU LDP Client");
    t_msg(c, 1, 1, 2, 0);
    t_msg(c, 3, 2, 3, 0);
    run(&p);

    x = sess(p.va, LDP);
    y = sess(p.vs, LDP);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, want);
    assert_string_equal(y->reason, want); /* the standby words it the same */
    assert_int_equal(x->versions[1].msg_type, 3);
    assert_int_equal(x->versions[1].version, 0);
    assert_int_equal(x->versions[0].version, 2); /* the other type still negotiates */
    assert_string_equal(cl(p.va, LDP)->reason, want);
    assert_string_equal(cl(p.vs, LDP)->reason, want);
    assert_int_equal(cl(p.va, LDP)->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    done(&p);
}

static void test_msg_type_unknown(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;

    (void)state;
    c = t_client(p.a, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    t_msg(c, 7, 1, 1, 0);
    c = t_client(p.a, 11, "eleven");
    t_msg(c, 1, 1, 1, 0);
    c = t_client(p.s, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    c = t_client(p.s, 11, "eleven");
    t_msg(c, 1, 1, 1, 0);
    t_msg(c, 9, 1, 2, 0);
    run(&p);

    assert_int_equal(sess(p.va, 10)->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(sess(p.va, 10)->reason, "message type 7 unknown to standby");
    assert_string_equal(sess(p.vs, 10)->reason, "message type 7 unknown to standby");
    assert_string_equal(sess(p.va, 11)->reason, "message type 9 unknown to active");
    assert_string_equal(sess(p.vs, 11)->reason, "message type 9 unknown to active");
    assert_int_equal(sess(p.va, 11)->n_versions, 2);
    assert_int_equal(sess(p.va, 11)->versions[1].version, 0);
    done(&p);
}

static void test_required_cap_missing(void **state)
{
    static const char *want = "required capability 5 missing on standby";
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_session *x;

    (void)state;
    c = t_client(p.a, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 1, 1u);
    t_cap(c, 5, 1, 2, 1u, 2u);
    c = t_client(p.s, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 1, 1u);
    /* required on the standby only, no common entry */
    c = t_client(p.a, 20, "twenty");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 2, 0, 1, 1u);
    c = t_client(p.s, 20, "twenty");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 2, 1, 1, 2u);
    run(&p);

    x = sess(p.va, 10);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, want);
    assert_string_equal(sess(p.vs, 10)->reason, want);
    assert_int_equal(x->n_caps, 2);
    assert_int_equal(x->caps[1].cap_type, 5);
    assert_int_equal(x->caps[1].result, 0);
    assert_int_equal(x->caps[1].required, 1);
    assert_int_equal(x->caps[0].result, 1);
    assert_int_equal(x->caps[0].entry, 1);

    x = sess(p.va, 20);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, "no common entry for required capability 2: active 1, standby 2");
    assert_int_equal(x->caps[0].required, 1);
    assert_int_equal(x->caps[0].result, 0);
    done(&p);
}

/* Optional types that do not match: result 0, session still compatible;
 * "No cap value assigned"; the highest common entry. */
static void test_caps_optional_novalue_highest(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_session *x;

    (void)state;
    c = t_client(p.a, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 0);              /* no value on both sides */
    t_cap(c, 1, 0, 4, 1u, 2u, 3u, 5u);
    t_cap(c, 2, 0, 1, 1u);          /* no common entry, optional */
    t_cap(c, 3, 0, 1, 1u);          /* only on the active, optional */
    c = t_client(p.s, 10, "ten");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 0);
    t_cap(c, 1, 0, 3, 2u, 3u, 4u);
    t_cap(c, 2, 0, 1, 2u);
    t_cap(c, 4, 0, 1, 9u);          /* only on the standby, optional */
    run(&p);

    x = sess(p.va, 10);
    assert_int_equal(x->raw_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_COMPATIBLE);
    assert_null(x->reason);
    assert_int_equal(x->n_caps, 5);
    assert_int_equal(x->caps[0].cap_type, 0);
    assert_int_equal(x->caps[0].result, 1);
    assert_int_equal(x->caps[0].has_entry, 0);
    assert_int_equal(x->caps[1].cap_type, 1);
    assert_int_equal(x->caps[1].result, 1);
    assert_int_equal(x->caps[1].has_entry, 1);
    assert_int_equal(x->caps[1].entry, 3);
    assert_int_equal(x->caps[2].cap_type, 2);
    assert_int_equal(x->caps[2].result, 0);
    assert_int_equal(x->caps[2].required, 0);
    assert_int_equal(x->caps[3].cap_type, 3);
    assert_int_equal(x->caps[3].result, 0);
    assert_int_equal(x->caps[4].cap_type, 4);
    assert_int_equal(x->caps[4].result, 0);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);
}

/* Rule 3 as a pure function. */
static void test_policy_function(void **state)
{
    uint8_t hp = 9;

    (void)state;
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(hp, 0);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(hp, 0);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ENFORCE, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(hp, 1);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_ENFORCE, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(hp, 1);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_ALLOW_DEGRADED, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ALLOW_DEGRADED, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_DENY, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_INCOMPATIBLE);
    /* deny wins over allow-degraded */
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ALLOW_DEGRADED, ISSU_POLICY_DENY, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_UNKNOWN, ISSU_POLICY_DENY, ISSU_POLICY_NONE, &hp),
                     ISSU_RES_UNKNOWN);
    assert_int_equal(hp, 1);
}

/* Client @p id with message type 1 versions lo..hi and policy @p pol. */
static void pol_client(struct issu_image *img, uint32_t id, uint32_t lo, uint32_t hi, enum issu_policy pol)
{
    struct issu_client *c = t_client(img, id, "policy client");

    c->policy = pol;
    t_msg(c, 1, lo, hi, 0);
}

/* Rule 3 through a negotiation: raw and policy results both kept. */
static void test_policy_negotiated(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_session *x;

    (void)state;
    /* 10: none/none, incompatible; 11: enforce/none incompatible; 12: none/allow-degraded
     * incompatible; 13: deny/none compatible; 14: none/enforce compatible */
    pol_client(p.a, 10, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 10, 2, 2, ISSU_POLICY_NONE);
    pol_client(p.a, 11, 1, 1, ISSU_POLICY_ENFORCE);
    pol_client(p.s, 11, 2, 2, ISSU_POLICY_NONE);
    pol_client(p.a, 12, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 12, 2, 2, ISSU_POLICY_ALLOW_DEGRADED);
    pol_client(p.a, 13, 1, 1, ISSU_POLICY_DENY);
    pol_client(p.s, 13, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.a, 14, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 14, 1, 1, ISSU_POLICY_ENFORCE);
    run(&p);

    x = sess(p.va, 10);
    assert_int_equal(x->has_policy, 0);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    x = sess(p.va, 11);
    assert_int_equal(x->has_policy, 1);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    x = sess(p.va, 12);
    assert_int_equal(x->has_policy, 1);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(cl(p.va, 12)->result, ISSU_RES_COMPATIBLE);
    x = sess(p.va, 13);
    assert_int_equal(x->has_policy, 1);
    assert_int_equal(x->raw_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, "policy on active denies this client");
    assert_string_equal(sess(p.vs, 13)->reason, "policy on active denies this client");
    assert_int_equal(cl(p.va, 13)->result, ISSU_RES_INCOMPATIBLE);
    x = sess(p.vs, 14);
    assert_int_equal(x->has_policy, 1);
    assert_int_equal(x->raw_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_COMPATIBLE);
    /* 10, 11, 13 incompatible, non-base */
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    assert_string_equal(p.va->verdict_reason, "3 clients incompatible: 10 policy client; 11 policy client; "
                                              "13 policy client");
    done(&p);
}

/* Table 1 chain: LDP 2011 -> LSD 2007 -> CF 4 (base). */
static void build_chain(struct issu_image *img, uint32_t cf_lo)
{
    struct issu_client *c;

    t_plain(img, 3, "ISSU RF", 1);
    c = t_client(img, 4, "ISSU CF client");
    c->base = 1;
    t_msg(c, 1, cf_lo, cf_lo, 0);
    c = t_plain(img, LSD, "ISSU LSD Label Mgr HA Client", 0);
    assert_int_equal(issu_client_add_prereq(c, 3), ISSU_OK);
    assert_int_equal(issu_client_add_prereq(c, 4), ISSU_OK);
    c = t_plain(img, LDP, "ISSU LDP Client", 0);
    assert_int_equal(issu_client_add_prereq(c, LSD), ISSU_OK);
    t_plain(img, 2100, "ISSU MPLS TE HA Client", 0);
}

static void test_interdependency_chain(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_client_result *c;

    (void)state;
    build_chain(p.a, 1);
    build_chain(p.s, 2); /* CF: no common version */
    run(&p);

    c = cl(p.va, 4);
    assert_int_equal(c->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(c->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(c->n_chain, 1);
    assert_int_equal(c->chain[0], 4);
    c = cl(p.va, LSD);
    assert_int_equal(c->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(c->effective, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(c->reason, "prerequisite 4 ISSU CF client is incompatible");
    assert_int_equal(c->n_chain, 2);
    assert_int_equal(c->chain[0], LSD);
    assert_int_equal(c->chain[1], 4);
    assert_int_equal(c->n_prereqs, 2);
    c = cl(p.va, LDP);
    assert_int_equal(c->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(c->effective, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(c->reason, "prerequisite 2007 ISSU LSD Label Mgr HA Client is incompatible");
    assert_int_equal(c->n_chain, 3);
    assert_int_equal(c->chain[0], LDP);
    assert_int_equal(c->chain[1], LSD);
    assert_int_equal(c->chain[2], 4);
    /* an unrelated client stays compatible */
    assert_int_equal(cl(p.va, 2100)->effective, ISSU_RES_COMPATIBLE);
    assert_int_equal(cl(p.va, 2100)->n_chain, 0);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.va->verdict_reason,
                        "base client 4 ISSU CF client is incompatible: no common version for message type 1: "
                        "active 1~1, standby 2~2");
    done(&p);
}

/* A prerequisite listed by one image only still counts (union of both). */
static void test_interdependency_one_sided_prereq(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_client_result *r;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    pol_client(p.a, LSD, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, LSD, 2, 2, ISSU_POLICY_NONE);
    c = t_plain(p.a, LDP, "ISSU LDP Client", 0); /* the active does not list the prerequisite */
    (void)c;
    c = t_plain(p.s, LDP, "ISSU LDP Client", 0);
    assert_int_equal(issu_client_add_prereq(c, LSD), ISSU_OK);
    run(&p);

    r = cl(p.va, LDP);
    assert_int_equal(r->n_prereqs, 1);
    assert_int_equal(r->prereqs[0], LSD);
    assert_int_equal(r->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(r->n_chain, 2);
    assert_string_equal(r->reason, "prerequisite 2007 policy client is incompatible");
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    done(&p);
}

static void test_verdicts(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};

    (void)state;
    /* compatible */
    add_bases(p.a);
    add_bases(p.s);
    pol_client(p.a, 10, 1, 2, ISSU_POLICY_NONE);
    pol_client(p.s, 10, 2, 3, ISSU_POLICY_NONE);
    run(&p);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_null(p.va->verdict_reason);
    done(&p);

    /* base-level: a non-base client incompatible */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    add_bases(p.s);
    pol_client(p.a, 10, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 10, 2, 3, ISSU_POLICY_NONE);
    run(&p);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    assert_string_equal(p.va->verdict_reason, "1 client incompatible: 10 policy client");
    done(&p);

    /* incompatible: a base client */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    t_plain(p.a, 3, "ISSU RF", 1);
    t_plain(p.s, 3, "ISSU RF", 1);
    pol_client(p.a, 4, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 4, 1, 1, ISSU_POLICY_NONE);
    t_cap(&p.a->clients[1], 1, 1, 0);
    p.a->clients[1].base = p.s->clients[1].base = 1;
    run(&p);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.va->verdict_reason, "base client 4 policy client is incompatible: "
                                              "required capability 1 missing on standby");
    done(&p);
}

/* Rule 6: a client in one image only. */
static void test_one_sided_client(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_client_result *x, *y;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    t_plain(p.a, 10, "only active", 0);
    t_plain(p.s, 11, "only standby", 0)->optional = 1;
    run(&p);

    x = cl(p.va, 10);
    y = cl(p.vs, 10);
    assert_int_equal(x->presence, ISSU_PRESENT_LOCAL);
    assert_int_equal(y->presence, ISSU_PRESENT_PEER);
    assert_string_equal(y->name, "only active");
    assert_int_equal(x->n_sessions, 0);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, "client present only on active");
    assert_string_equal(y->reason, "client present only on active");
    assert_int_equal(x->counts, 1);
    x = cl(p.va, 11);
    assert_int_equal(x->presence, ISSU_PRESENT_PEER);
    assert_string_equal(x->reason, "client present only on standby");
    assert_int_equal(x->optional, 1);
    assert_int_equal(x->counts, 0);
    assert_null(issu_snapshot_session_ce(p.va, 10, 1));
    assert_int_equal(p.va->n_sessions, 2);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    assert_string_equal(p.va->verdict_reason, "1 client incompatible: 10 only active");
    done(&p);

    /* optional: it does not count */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    add_bases(p.s);
    t_plain(p.a, 10, "only active", 0)->optional = 1;
    run(&p);
    assert_int_equal(cl(p.va, 10)->counts, 0);
    assert_int_equal(cl(p.va, 10)->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);

    /* a one-sided base client makes the images incompatible */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    t_plain(p.s, 3, "ISSU RF", 1);
    run(&p);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.vs->verdict_reason,
                        "base client 4 ISSU CF client is incompatible: client present only on active");
    done(&p);
}

/* An entity in one image only makes its client incompatible. */
static void test_one_sided_entity(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_client_result *x;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    t_plain(p.a, LDP, "ISSU LDP Client", 0);
    t_entity(t_plain(p.s, LDP, "ISSU LDP Client", 0), 2);
    run(&p);

    x = cl(p.va, LDP);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, "entity 2 present only on standby");
    assert_string_equal(cl(p.vs, LDP)->reason, "entity 2 present only on standby");
    assert_int_equal(x->n_sessions, 1); /* the shared entity still negotiates */
    assert_int_equal(sess(p.va, LDP)->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    done(&p);

    /* one-sided entities on both sides: both views still agree (rule 7) */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    add_bases(p.s);
    t_entity(t_plain(p.a, LDP, "ISSU LDP Client", 0), 2);
    t_entity(t_plain(p.s, LDP, "ISSU LDP Client", 0), 3);
    run(&p);
    assert_int_equal(cl(p.va, LDP)->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(cl(p.va, LDP)->reason, "entity 2 present only on active");
    assert_string_equal(cl(p.vs, LDP)->reason, "entity 2 present only on active");
    done(&p);
}

/* Several incompatible entities: the client names the first; reasons list at most three problems. */
static void test_reason_limits(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    uint32_t t;

    (void)state;
    c = t_client(p.a, 10, "ten");
    t_entity(c, 2);
    for (t = 1; t <= 5; t++)
        t_msg(c, t, 1, 1, 0);
    c = t_client(p.s, 10, "ten");
    t_entity(c, 2);
    for (t = 1; t <= 5; t++)
        t_msg(c, t, 2, 2, 0);
    run(&p);
    assert_string_equal(sess(p.va, 10)->reason,
                        "no common version for message type 1: active 1~1, standby 2~2; "
                        "no common version for message type 2: active 1~1, standby 2~2; "
                        "no common version for message type 3: active 1~1, standby 2~2; and 2 more");
    {
        static const char *pre = "entity 1: no common version for message type 1:";
        assert_int_equal(strncmp(cl(p.va, 10)->reason, pre, strlen(pre)), 0);
    }
    done(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highest_common_version),
        cmocka_unit_test(test_no_common_version),
        cmocka_unit_test(test_msg_type_unknown),
        cmocka_unit_test(test_required_cap_missing),
        cmocka_unit_test(test_caps_optional_novalue_highest),
        cmocka_unit_test(test_policy_function),
        cmocka_unit_test(test_policy_negotiated),
        cmocka_unit_test(test_interdependency_chain),
        cmocka_unit_test(test_interdependency_one_sided_prereq),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_one_sided_client),
        cmocka_unit_test(test_one_sided_entity),
        cmocka_unit_test(test_reason_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
