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

/* Rule 1: highest version in both ranges; each side reports its own MTU,
 * and both flag that the two differ (issue 18 item 8). */
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
    assert_string_equal(x->reason, "warning: Message_MTU of message type 1 version 3 differs: active 103, standby "
                                   "203; Message_MTU of message type 2 version 2 differs: active 102, standby 202");
    assert_string_equal(y->reason, x->reason);
    assert_string_equal(issu_session_note(x, x->versions[0].note), "Message_MTU differs: active 103, standby 203");
    assert_string_equal(issu_session_note(y, y->versions[0].note), "Message_MTU differs: active 103, standby 203");
    assert_int_equal(x->versions[0].peer_mtu, 203);
    assert_int_equal(y->versions[0].peer_mtu, 103);
    assert_null(cl(p.va, LDP)->reason); /* a warning fails nothing */
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

/* A warning follows the problems of an incompatible session; equal MTUs warn of nothing. */
static void test_mtu_warning_after_problems(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;

    (void)state;
    c = t_client(p.a, 10, "ten");
    t_msg(c, 1, 1, 2, 10);
    t_msg(c, 2, 1, 1, 0);
    c = t_client(p.s, 10, "ten");
    t_msg(c, 1, 2, 2, 20);
    t_msg(c, 2, 2, 2, 0);
    c = t_client(p.a, 11, "eleven");
    t_msg(c, 1, 1, 2, 10);
    c = t_client(p.s, 11, "eleven");
    t_msg(c, 1, 1, 3, 10);
    run(&p);
    assert_string_equal(sess(p.va, 10)->reason, "no common version for message type 2: active 1~1, standby 2~2; "
                                                "warning: Message_MTU of message type 1 version 2 differs: active "
                                                "12, standby 22");
    assert_string_equal(cl(p.va, 10)->reason, "no common version for message type 2: active 1~1, standby 2~2; "
                                              "warning: Message_MTU of message type 1 version 2 differs: active "
                                              "12, standby 22");
    assert_null(sess(p.va, 11)->reason);
    assert_int_equal(sess(p.va, 11)->versions[0].peer_mtu, 12);
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
    /* items 6-7: each failed entry says why, on both sides the same */
    assert_null(issu_session_note(x, x->versions[0].note));
    assert_string_equal(issu_session_note(x, x->versions[1].note), "no common version: active 1~1, standby 2~3");
    assert_string_equal(issu_session_note(y, y->versions[1].note), "no common version: active 1~1, standby 2~3");
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
    assert_string_equal(issu_session_note(sess(p.va, 10), sess(p.va, 10)->versions[1].note),
                        "unknown to standby (active has 1~1)");
    assert_string_equal(issu_session_note(sess(p.vs, 10), sess(p.vs, 10)->versions[1].note),
                        "unknown to standby (active has 1~1)");
    assert_string_equal(issu_session_note(sess(p.va, 11), sess(p.va, 11)->versions[1].note),
                        "unknown to active (standby has 1~2)");
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
    assert_null(issu_session_note(x, x->caps[0].note));
    assert_string_equal(issu_session_note(x, x->caps[1].note), "required by active, missing on standby; active "
                                                                "entries 1,2");
    assert_string_equal(issu_session_note(sess(p.vs, 10), sess(p.vs, 10)->caps[1].note),
                        "required by active, missing on standby; active entries 1,2");

    x = sess(p.va, 20);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, "no common entry for required capability 2: active 1, standby 2");
    assert_int_equal(x->caps[0].required, 1);
    assert_int_equal(x->caps[0].result, 0);
    assert_string_equal(issu_session_note(x, x->caps[0].note), "required by standby, no common entry: active 1, "
                                                                "standby 2");
    assert_string_equal(issu_session_note(sess(p.vs, 20), sess(p.vs, 20)->caps[0].note),
                        "required by standby, no common entry: active 1, standby 2");
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
    /* "No cap value assigned" stays for a type both list without entries */
    assert_null(issu_session_note(x, x->caps[0].note));
    assert_null(issu_session_note(x, x->caps[1].note));
    assert_string_equal(issu_session_note(x, x->caps[2].note), "optional on both sides, no common entry: active 1, "
                                                                "standby 2");
    assert_string_equal(issu_session_note(x, x->caps[3].note), "missing on standby (optional on active); active "
                                                                "entries 1");
    assert_string_equal(issu_session_note(x, x->caps[4].note), "missing on active (optional on standby); standby "
                                                                "entries 9");
    assert_string_equal(issu_session_note(sess(p.vs, 10), sess(p.vs, 10)->caps[4].note),
                        "missing on active (optional on standby); standby entries 9");
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);
}

/* Rule 3 as a pure function. */
static void test_policy_function(void **state)
{
    uint8_t hp = 9;

    (void)state;
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(hp, 0);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(hp, 0);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ENFORCE, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(hp, 1);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_ENFORCE, 0, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(hp, 1);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_ALLOW_DEGRADED, 0, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ALLOW_DEGRADED, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_DENY, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_INCOMPATIBLE);
    /* deny wins over allow-degraded */
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_ALLOW_DEGRADED, ISSU_POLICY_DENY, 0, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_UNKNOWN, ISSU_POLICY_DENY, ISSU_POLICY_NONE, 0, &hp),
                     ISSU_RES_UNKNOWN);
    assert_int_equal(hp, 1);
    /* a base client: allow-degraded does not lift it; deny still blocks it */
    assert_int_equal(issu_rules_policy(ISSU_RES_INCOMPATIBLE, ISSU_POLICY_NONE, ISSU_POLICY_ALLOW_DEGRADED, 1, &hp),
                     ISSU_RES_INCOMPATIBLE);
    assert_int_equal(hp, 1);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_ALLOW_DEGRADED, ISSU_POLICY_NONE, 1, &hp),
                     ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_rules_policy(ISSU_RES_COMPATIBLE, ISSU_POLICY_DENY, ISSU_POLICY_NONE, 1, &hp),
                     ISSU_RES_INCOMPATIBLE);
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

/* Item 2: base client 4 with allow-degraded on one image only and no common
 * version. Our manifests refuse the policy on a base client; a peer's
 * inventory may still carry it (the policy is set after validation here):
 * the session stays INCOMPATIBLE and the verdict says why. */
static void test_policy_base_client(void **state)
{
    static const char *want = "no common version for message type 1: active 1~1, standby 2~2; "
                              "policy allow-degraded on standby does not apply to a base client";
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_session *x;

    (void)state;
    t_plain(p.a, 3, "ISSU RF", 1);
    t_plain(p.s, 3, "ISSU RF", 1);
    pol_client(p.a, 4, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 4, 2, 2, ISSU_POLICY_NONE);
    p.a->clients[1].base = p.s->clients[1].base = 1;
    t_valid(p.a);
    t_valid(p.s);
    p.s->clients[1].policy = ISSU_POLICY_ALLOW_DEGRADED;
    t_negotiate(p.a, p.s, &p.va, &p.vs);
    t_assert_symmetric(p.va, p.vs);

    x = sess(p.va, 4);
    assert_int_equal(x->has_policy, 1);
    assert_int_equal(x->raw_result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(x->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(x->reason, want);
    assert_int_equal(cl(p.va, 4)->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.va->verdict_reason, "base client 4 policy client is incompatible: no common version for "
                                              "message type 1: active 1~1, standby 2~2; policy allow-degraded on "
                                              "standby does not apply to a base client");
    done(&p);

    /* the same on both sides */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    pol_client(p.a, 4, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 4, 2, 2, ISSU_POLICY_NONE);
    p.a->clients[0].base = 1;
    t_valid(p.a);
    t_valid(p.s);
    p.a->clients[0].policy = p.s->clients[0].policy = ISSU_POLICY_ALLOW_DEGRADED;
    t_negotiate(p.a, p.s, &p.va, &p.vs);
    t_assert_symmetric(p.va, p.vs);
    assert_string_equal(sess(p.vs, 4)->reason, "no common version for message type 1: active 1~1, standby 2~2; "
                                               "policy allow-degraded on active and standby does not apply to a "
                                               "base client");
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    done(&p);
}

/* Item 3: a peer that still says base and optional (our manifests refuse
 * it): base wins, its absence makes the images incompatible. */
static void test_base_optional_absent(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};

    (void)state;
    add_bases(p.a);
    t_plain(p.s, 3, "ISSU RF", 1);
    t_valid(p.a);
    t_valid(p.s);
    p.a->clients[1].optional = 1;
    t_negotiate(p.a, p.s, &p.va, &p.vs);
    t_assert_symmetric(p.va, p.vs);
    assert_int_equal(cl(p.vs, 4)->counts, 1);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.vs->verdict_reason,
                        "base client 4 ISSU CF client is incompatible: client present only on active");
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

/* The summary counts (issu_snapshot_summarize): the chain case has one
 * base client failing on its own, two clients incompatible only through it,
 * and one compatible bystander; an optional client absent from the standby
 * counts in the total only. Both views count the same. */
static void test_summary(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const struct issu_summary *m;

    (void)state;
    build_chain(p.a, 1);
    build_chain(p.s, 2); /* CF: no common version */
    t_plain(p.a, 3000, "optional, active only", 0)->optional = 1;
    run(&p);
    m = &p.va->summary;
    assert_int_equal(m->clients_total, 6);
    assert_int_equal(m->clients_compatible, 2); /* RF 3, 2100 */
    assert_int_equal(m->clients_incompatible, 1); /* CF 4 */
    assert_int_equal(m->clients_eff_incompatible, 2); /* LSD, LDP */
    assert_int_equal(m->base_incompatible, 1);
    assert_int_equal(m->sessions_total, 5);
    assert_int_equal(m->sessions_incompatible, 1);
    assert_int_equal(m->sessions_unknown, 0);
    assert_memory_equal(&p.va->summary, &p.vs->summary, sizeof(p.va->summary));
    done(&p);

    /* a policy that accepts the failure: the client and its session count as compatible */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    add_bases(p.s);
    pol_client(p.a, 10, 1, 1, ISSU_POLICY_ALLOW_DEGRADED);
    pol_client(p.s, 10, 2, 3, ISSU_POLICY_ALLOW_DEGRADED);
    run(&p);
    m = &p.va->summary;
    assert_int_equal(m->clients_compatible, 3);
    assert_int_equal(m->clients_incompatible + m->clients_eff_incompatible + m->base_incompatible, 0);
    assert_int_equal(m->sessions_incompatible, 0);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);
}

/* A prerequisite chain as deep as the images: client i needs client i - 1,
 * and client 1 fails on its own. Every client is effectively incompatible
 * with a chain of at most ISSU_CHAIN_MAX ids, itself first and client 1
 * last (copying whole chains was quadratic: 8,000 clients took 4.7 GB),
 * and the walk needs no stack as deep as the chain. */
static void test_interdependency_deep_chain(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    const uint32_t n = 20000;
    struct issu_client *c;
    uint32_t i, k;
    char name[64];

    (void)state;
    for (i = 1; i <= n; i++) {
        snprintf(name, sizeof name, "chain %u", i);
        c = t_client(p.a, 100000 + i, name);
        t_msg(c, 1, 1, 1, 0);
        if (i > 1)
            assert_int_equal(issu_client_add_prereq(c, 100000 + i - 1), ISSU_OK);
        c = t_client(p.s, 100000 + i, name);
        t_msg(c, 1, i == 1 ? 2 : 1, i == 1 ? 2 : 1, 0); /* client 1: no common version */
        if (i > 1)
            assert_int_equal(issu_client_add_prereq(c, 100000 + i - 1), ISSU_OK);
    }
    run(&p);
    for (i = 1; i <= n; i++) {
        const struct issu_client_result *r = cl(p.va, 100000 + i);
        uint32_t want = i < ISSU_CHAIN_MAX ? i : ISSU_CHAIN_MAX;

        assert_int_equal(r->effective, ISSU_RES_INCOMPATIBLE);
        assert_int_equal(r->n_chain, want);
        assert_int_equal(r->chain[0], 100000 + i);
        assert_int_equal(r->chain[r->n_chain - 1], 100001);
        for (k = 1; k + 1 < r->n_chain; k++)
            assert_int_equal(r->chain[k], 100000 + i - k); /* the first links, in order */
        if (i > 1) {
            snprintf(name, sizeof name, "prerequisite %u chain %u is incompatible", 100000 + i - 1, i - 1);
            assert_string_equal(r->reason, name);
        }
    }
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
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


/* ------------------------------------------------ interdependencies, id order */

/* Client @p id: type 1 version 1 on the active, @p fail: version 2 on the standby. */
static struct issu_client *dep_client(struct issu_image *img, uint32_t id, int base, int standby, int fail)
{
    struct issu_client *c = t_client(img, id, "dep");

    c->base = base;
    t_msg(c, 1, standby && fail ? 2 : 1, standby && fail ? 2 : 1, 0);
    t_cap(c, 0, 0, 1, 1u);
    return c;
}

/* Issue 18 item 1: the active's 10 needs 20 and 30, the standby's base 20
 * needs 10, 30 has no common version. The union is a cycle 10 <-> 20: both
 * settle as one, whatever the ids. */
static void cycle_case(uint32_t ten, uint32_t twenty, uint32_t thirty)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_client_result *r;
    char want[160];

    c = dep_client(p.a, ten, 0, 0, 0);
    assert_int_equal(issu_client_add_prereq(c, twenty), ISSU_OK);
    assert_int_equal(issu_client_add_prereq(c, thirty), ISSU_OK);
    dep_client(p.a, twenty, 1, 0, 0);
    dep_client(p.a, thirty, 0, 0, 1);
    dep_client(p.s, ten, 0, 1, 0);
    c = dep_client(p.s, twenty, 1, 1, 0);
    assert_int_equal(issu_client_add_prereq(c, ten), ISSU_OK);
    dep_client(p.s, thirty, 0, 1, 1);
    run(&p);

    r = cl(p.va, ten);
    assert_int_equal(r->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(r->n_chain, 2);
    assert_int_equal(r->chain[1], thirty);
    r = cl(p.va, twenty);
    assert_int_equal(r->result, ISSU_RES_COMPATIBLE);
    assert_int_equal(r->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(r->n_chain, 3);
    assert_int_equal(r->chain[0], twenty);
    assert_int_equal(r->chain[1], ten);
    assert_int_equal(r->chain[2], thirty);
    snprintf(want, sizeof want, "prerequisite %u dep is incompatible", ten);
    assert_string_equal(r->reason, want);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_INCOMPATIBLE);
    snprintf(want, sizeof want, "base client %u dep is incompatible: prerequisite %u dep is incompatible", twenty,
             ten);
    assert_string_equal(p.va->verdict_reason, want);
    done(&p);
}

static void test_cycle_across_images(void **state)
{
    (void)state;
    cycle_case(10, 20, 30); /* the order that printed BASE-LEVEL COMPATIBLE */
    cycle_case(20, 10, 30);
    cycle_case(30, 20, 10);
}

/* Item 9: the shortest chain, not the first failing prerequisite in list
 * order: 500 -> 501 -> 503 -> 504 is longer than 500 -> 502. */
static void test_shortest_chain(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_image *img[2];
    const struct issu_client_result *r;
    int k;

    (void)state;
    img[0] = p.a;
    img[1] = p.s;
    for (k = 0; k < 2; k++) {
        struct issu_client *c = dep_client(img[k], 500, 0, k, 0);
        assert_int_equal(issu_client_add_prereq(c, 501), ISSU_OK);
        assert_int_equal(issu_client_add_prereq(c, 502), ISSU_OK);
        c = dep_client(img[k], 501, 0, k, 0);
        assert_int_equal(issu_client_add_prereq(c, 503), ISSU_OK);
        dep_client(img[k], 502, 0, k, 1);
        c = dep_client(img[k], 503, 0, k, 0);
        assert_int_equal(issu_client_add_prereq(c, 504), ISSU_OK);
        dep_client(img[k], 504, 0, k, 1);
    }
    run(&p);
    r = cl(p.va, 500);
    assert_int_equal(r->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(r->n_chain, 2);
    assert_int_equal(r->chain[0], 500);
    assert_int_equal(r->chain[1], 502);
    assert_string_equal(r->reason, "prerequisite 502 dep is incompatible");
    r = cl(p.va, 501);
    assert_int_equal(r->n_chain, 3);
    assert_int_equal(r->chain[2], 504);
    done(&p);
}

/* Item 4: an optional client absent from one image does not count, and does
 * not fail the clients that list it as a prerequisite either. */
static void test_optional_prereq_absent(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};
    struct issu_client *c;
    const struct issu_client_result *r;

    (void)state;
    add_bases(p.a);
    add_bases(p.s);
    c = t_plain(p.a, LDP, "ISSU LDP Client", 0);
    assert_int_equal(issu_client_add_prereq(c, 2100), ISSU_OK);
    t_plain(p.a, 2100, "ISSU MPLS TE HA Client", 0)->optional = 1;
    t_plain(p.s, LDP, "ISSU LDP Client", 0);
    run(&p);

    r = cl(p.va, 2100);
    assert_int_equal(r->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(r->counts, 0);
    r = cl(p.va, LDP);
    assert_int_equal(r->effective, ISSU_RES_COMPATIBLE);
    assert_int_equal(r->n_chain, 0);
    assert_null(r->reason);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);

    /* present on both and failing, optional does not excuse it */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    add_bases(p.s);
    c = t_plain(p.a, LDP, "ISSU LDP Client", 0);
    assert_int_equal(issu_client_add_prereq(c, 2100), ISSU_OK);
    pol_client(p.a, 2100, 1, 1, ISSU_POLICY_NONE);
    p.a->clients[p.a->n_clients - 1].optional = 1;
    t_plain(p.s, LDP, "ISSU LDP Client", 0);
    pol_client(p.s, 2100, 2, 2, ISSU_POLICY_NONE);
    run(&p);
    assert_int_equal(cl(p.va, 2100)->counts, 1);
    assert_int_equal(cl(p.va, LDP)->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    done(&p);
}

/* A client is base when either image says so: both endpoints then reach
 * the same verdict (rule 7). */
static void test_base_on_one_side(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};

    (void)state;
    t_plain(p.a, 3, "ISSU RF", 1);
    t_plain(p.s, 3, "ISSU RF", 1);
    pol_client(p.a, 4, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 4, 2, 2, ISSU_POLICY_NONE);
    p.s->clients[1].base = 1; /* the candidate made CF a base client */
    run(&p);
    assert_int_equal(cl(p.va, 4)->base, 1);
    assert_int_equal(cl(p.vs, 4)->base, 1);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    done(&p);
}

/* docs/domain.md: images with no base clients, or no clients, are valid. */
static void test_empty_images(void **state)
{
    struct pair p = {t_image("a"), t_image("s"), NULL, NULL};

    (void)state;
    run(&p); /* nothing to negotiate, nothing against the upgrade */
    assert_int_equal(p.va->n_clients, 0);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_COMPATIBLE);
    done(&p);

    /* no base client: a failure is BASE-LEVEL at worst */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    pol_client(p.a, 10, 1, 1, ISSU_POLICY_NONE);
    pol_client(p.s, 10, 2, 2, ISSU_POLICY_NONE);
    run(&p);
    assert_int_equal(p.va->verdict, ISSU_VERDICT_BASE_LEVEL);
    done(&p);

    /* a candidate without clients against one with base clients */
    p = (struct pair){t_image("a"), t_image("s"), NULL, NULL};
    add_bases(p.a);
    run(&p);
    assert_int_equal(p.vs->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(p.vs->verdict_reason, "base client 3 ISSU RF is incompatible: client present only on active");
    done(&p);
}

/* One abstract client of a small graph, for the id-order tests. */
struct gnode {
    uint8_t where;    /* 1 active only, 2 standby only, 3 both */
    uint8_t base;     /* sides (1 active, 2 standby) whose image says base */
    uint8_t fail;     /* no common version */
    uint8_t optional; /* on the side(s) it is in */
    uint8_t pre[2];   /* prerequisites (bit j = node j) in the active, standby image */
};

struct graph {
    unsigned n;
    struct gnode v[5];
};

/* What the rules of docs/domain.md give, from the graph alone: reachability
 * over the union of both lists (an optional client absent from one image
 * neither counts nor fails its dependants). */
struct gwant {
    uint8_t verdict;
    uint8_t eff[5];
    uint8_t counts[5];
    uint32_t n_chain[5];
};

static void g_oracle(const struct graph *g, struct gwant *w)
{
    unsigned i, j, k, n = g->n, dist[5][5];
    int base_bad = 0, bad = 0;

    for (i = 0; i < n; i++) {
        const struct gnode *v = &g->v[i];
        w->counts[i] = (uint8_t)!(v->where != 3 && v->optional && !(v->base & v->where));
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < n; j++)
            dist[i][j] = i == j ? 0 : 99;
    for (i = 0; i < n; i++)
        for (k = 0; k < 2; k++)
            for (j = 0; j < n; j++)
                if ((g->v[i].where & g->v[j].where & (1u << k)) && (g->v[i].pre[k] & (1u << j)) && w->counts[j])
                    dist[i][j] = 1;
    for (k = 0; k < n; k++)
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++)
                if (dist[i][k] + dist[k][j] < dist[i][j])
                    dist[i][j] = dist[i][k] + dist[k][j];
    for (i = 0; i < n; i++) {
        const struct gnode *v = &g->v[i];
        unsigned best = 99;
        for (j = 0; j < n; j++) {
            int own = g->v[j].where != 3 || g->v[j].fail;
            if (own && (j == i || w->counts[j]) && dist[i][j] < best)
                best = dist[i][j];
        }
        w->eff[i] = best < 99 ? ISSU_RES_INCOMPATIBLE : ISSU_RES_COMPATIBLE;
        w->n_chain[i] = best < 99 ? best + 1 : 0;
        if (w->counts[i] && best < 99) {
            bad = 1;
            if (v->base & v->where)
                base_bad = 1;
        }
    }
    w->verdict = base_bad ? ISSU_VERDICT_INCOMPATIBLE : bad ? ISSU_VERDICT_BASE_LEVEL : ISSU_VERDICT_COMPATIBLE;
}

/* The images of @p g with node i as client id ids[i]; 0 when one of them
 * does not validate (a cycle inside one image). */
static int g_build(const struct graph *g, const uint32_t *ids, struct issu_image **a, struct issu_image **s)
{
    struct issu_image *img[2];
    char err[256];
    unsigned i, j, k;

    img[0] = t_image("a");
    img[1] = t_image("s");
    for (k = 0; k < 2; k++) {
        for (i = 0; i < g->n; i++) {
            const struct gnode *v = &g->v[i];
            struct issu_client *c;
            if (!(v->where & (1u << k)))
                continue;
            c = dep_client(img[k], ids[i], !!(v->base & (1u << k)), (int)k, v->fail);
            c->optional = v->optional;
            for (j = 0; j < g->n; j++)
                if ((v->pre[k] & (1u << j)) && (g->v[j].where & (1u << k)))
                    assert_int_equal(issu_client_add_prereq(c, ids[j]), ISSU_OK);
        }
    }
    *a = img[0];
    *s = img[1];
    return issu_image_validate(img[0], err, sizeof err) == ISSU_OK &&
           issu_image_validate(img[1], err, sizeof err) == ISSU_OK;
}

static int next_perm(uint32_t *v, unsigned n)
{
    unsigned i = n - 1, j = n - 1;
    uint32_t t;

    while (i > 0 && v[i - 1] >= v[i])
        i--;
    if (!i)
        return 0;
    while (v[j] <= v[i - 1])
        j--;
    t = v[i - 1], v[i - 1] = v[j], v[j] = t;
    for (j = n - 1; i < j; i++, j--)
        t = v[i], v[i] = v[j], v[j] = t;
    return 1;
}

/* Every assignment of ids to the graph's clients gives the verdict and
 * effective results of the oracle. Returns 0 when the images are invalid. */
static int g_check(const struct graph *g)
{
    static const uint32_t base_ids[5] = {11, 22, 33, 44, 55};
    uint32_t perm[5], ids[5];
    struct gwant w;
    unsigned i, runs = 0;

    memcpy(perm, base_ids, sizeof perm);
    g_oracle(g, &w);
    do {
        struct pair p = {NULL, NULL, NULL, NULL};
        for (i = 0; i < g->n; i++)
            ids[i] = perm[i];
        if (!g_build(g, ids, &p.a, &p.s)) {
            issu_image_free(p.a);
            issu_image_free(p.s);
            assert_int_equal(runs, 0); /* validity cannot depend on ids */
            return 0;
        }
        t_negotiate(p.a, p.s, &p.va, &p.vs);
        t_assert_symmetric(p.va, p.vs);
        if (p.va->verdict != w.verdict)
            fail_msg("ids %u %u %u %u %u: verdict %d, want %d", ids[0], ids[1], ids[2], g->n > 3 ? ids[3] : 0,
                     g->n > 4 ? ids[4] : 0, p.va->verdict, w.verdict);
        for (i = 0; i < g->n; i++) {
            const struct issu_client_result *r = cl(p.va, ids[i]);
            if (r->effective != w.eff[i] || r->counts != w.counts[i] || r->n_chain != w.n_chain[i])
                fail_msg("ids %u %u %u: node %u (id %u): effective %d counts %d chain %u, want %d %d %u", ids[0],
                         ids[1], ids[2], i, ids[i], r->effective, r->counts, r->n_chain, w.eff[i], w.counts[i],
                         w.n_chain[i]);
        }
        done(&p);
        runs++;
    } while (next_perm(perm, g->n));
    return 1;
}

/* Item 1: the verdict never depends on the order of ids. Hand-made graphs
 * with cycles across the images, then random small ones. */
static void test_id_order_permutations(void **state)
{
    static const struct graph hand[] = {
        /* the case: 0 needs 1, 2 (active); base 1 needs 0 (standby); 2 fails */
        {3, {{3, 0, 0, 0, {6, 0}}, {3, 3, 0, 0, {0, 1}}, {3, 0, 1, 0, {0, 0}}}},
        /* a three-cycle across the images, one member failing, a base outside needing it */
        {4, {{3, 0, 0, 0, {2, 0}}, {3, 0, 0, 0, {0, 4}}, {3, 0, 1, 0, {1, 0}}, {3, 3, 0, 0, {1, 1}}}},
        /* a cycle with nothing failing: everything compatible */
        {4, {{3, 3, 0, 0, {2, 0}}, {3, 0, 0, 0, {0, 1}}, {3, 0, 0, 0, {1, 2}}, {3, 0, 0, 0, {0, 4}}}},
        /* a one-sided client in a cycle's reach, an absent optional one */
        {5, {{3, 3, 0, 0, {2, 0}}, {3, 0, 0, 0, {4, 1}}, {1, 0, 0, 0, {0, 0}}, {1, 0, 0, 1, {0, 0}},
             {3, 0, 0, 0, {8, 1}}}},
    };
    uint32_t seed = 18;
    unsigned i, k, tested = 0;

    (void)state;
    for (i = 0; i < sizeof hand / sizeof *hand; i++)
        assert_true(g_check(&hand[i]));
    for (k = 0; k < 2000 && tested < 150; k++) {
        struct graph g;
        memset(&g, 0, sizeof g);
        seed = seed * 1103515245u + 12345u;
        g.n = 3 + (seed >> 16) % 3;
        for (i = 0; i < g.n; i++) {
            struct gnode *v = &g.v[i];
            unsigned r;
            seed = seed * 1103515245u + 12345u;
            r = seed >> 8;
            v->where = (uint8_t)(r % 7 == 0 ? 1 : r % 7 == 1 ? 2 : 3);
            v->base = (uint8_t)((r >> 3) % 4 == 0 ? v->where : 0);
            v->fail = (uint8_t)((r >> 5) % 4 == 0);
            v->optional = (uint8_t)(!v->base && (r >> 7) % 2);
            v->pre[0] = (uint8_t)(((r >> 9) & 0x1f) & ~(1u << i) & ((1u << g.n) - 1));
            v->pre[1] = (uint8_t)(((r >> 14) & 0x1f) & ~(1u << i) & ((1u << g.n) - 1));
        }
        tested += (unsigned)g_check(&g);
    }
    print_message("%u random graphs, every id order\n", tested);
    assert_true(tested >= 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_highest_common_version),
        cmocka_unit_test(test_no_common_version),
        cmocka_unit_test(test_mtu_warning_after_problems),
        cmocka_unit_test(test_msg_type_unknown),
        cmocka_unit_test(test_required_cap_missing),
        cmocka_unit_test(test_caps_optional_novalue_highest),
        cmocka_unit_test(test_policy_function),
        cmocka_unit_test(test_policy_negotiated),
        cmocka_unit_test(test_policy_base_client),
        cmocka_unit_test(test_base_optional_absent),
        cmocka_unit_test(test_interdependency_chain),
        cmocka_unit_test(test_interdependency_deep_chain),
        cmocka_unit_test(test_interdependency_one_sided_prereq),
        cmocka_unit_test(test_verdicts),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_one_sided_client),
        cmocka_unit_test(test_one_sided_entity),
        cmocka_unit_test(test_reason_limits),
        cmocka_unit_test(test_cycle_across_images),
        cmocka_unit_test(test_shortest_chain),
        cmocka_unit_test(test_optional_prereq_absent),
        cmocka_unit_test(test_base_on_one_side),
        cmocka_unit_test(test_id_order_permutations),
        cmocka_unit_test(test_empty_images),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
