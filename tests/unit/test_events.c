/*
 * test_events.c - the one event model (events.h): a live endpoint pair over
 * the in-memory transport publishes snapshots as issud's hub sees them, and
 * every consecutive pair is diffed as the hub does for the faces. Covers
 * every kind of event, the peer's loss and return (no session events across
 * it), effective changes with their chains, appearing and disappearing
 * sessions, policy, and the example images' reload to an incompatible
 * candidate (the 6 session events both faces must tell).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "endpoint.h"
#include "events.h"
#include "manifest.h"
#include "timg.h"
#include "texample.h"

#define LDP 2011
#define LSD 2007
#define MAXSNAP 32

/* Every snapshot the active endpoint published, in order. */
struct fx {
    struct issu_image *a, *s;
    struct issu_mem_pair p;
    struct issu_snapshot *snap[MAXSNAP];
    unsigned n;
};

static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct fx *f = arg;

    (void)old;
    assert_true(f->n < MAXSNAP);
    f->snap[f->n++] = issu_snapshot_ref((struct issu_snapshot *)cur);
}

/* Base CF 4; LSD needs CF; LDP (message type 3 versions lo..hi) needs LSD. */
static struct issu_image *image(uint32_t cf_lo, uint32_t cf_hi, int ldp_degraded, int with_lsd2)
{
    struct issu_image *img = t_image("img");
    struct issu_client *c;

    c = t_client(img, 4, "ISSU CF client");
    c->base = 1;
    t_msg(c, 1, cf_lo, cf_hi, 0);
    t_cap(c, 0, 0, 1, 1u);
    c = t_plain(img, LSD, "ISSU LSD Label Mgr HA Client", 0);
    assert_int_equal(issu_client_add_prereq(c, 4), ISSU_OK);
    if (with_lsd2)
        t_entity(c, 2);
    c = t_plain(img, LDP, "ISSU LDP Client", 0);
    assert_int_equal(issu_client_add_prereq(c, LSD), ISSU_OK);
    if (ldp_degraded) { /* LDP's own message type fails, accepted by policy */
        t_msg(c, 3, 5, 5, 0);
        c->policy = ISSU_POLICY_ALLOW_DEGRADED;
    }
    t_valid(img);
    return img;
}

static void start(struct fx *f, struct issu_image *a, struct issu_image *s)
{
    struct issu_endpoint_conf c;

    memset(f, 0, sizeof(*f));
    f->a = a;
    f->s = s;
    memset(&c, 0, sizeof(c));
    c.unique_id = T_ACTIVE_UID;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.on_change = on_change;
    c.arg = f;
    c.transport = issu_mem_transport(&f->p, 0);
    assert_int_equal(issu_endpoint_new(&c, &f->p.ep[0]), ISSU_OK);
    c.unique_id = T_STANDBY_UID;
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.on_change = NULL;
    c.transport = issu_mem_transport(&f->p, 1);
    assert_int_equal(issu_endpoint_new(&c, &f->p.ep[1]), ISSU_OK);
    assert_int_equal(issu_mem_pair_connect(&f->p), ISSU_OK);
}

static void stop(struct fx *f)
{
    unsigned i;

    issu_endpoint_free(f->p.ep[0]);
    issu_endpoint_free(f->p.ep[1]);
    issu_mem_pair_clear(&f->p);
    for (i = 0; i < f->n; i++)
        issu_snapshot_unref(f->snap[i]);
    issu_image_free(f->a);
    issu_image_free(f->s);
}

/* The events between the last two snapshots published. */
static struct issu_events *last_diff(struct fx *f)
{
    struct issu_events *e = NULL;

    assert_true(f->n >= 2);
    assert_int_equal(issu_events_diff(f->snap[f->n - 2], f->snap[f->n - 1], &e), ISSU_OK);
    assert_non_null(e);
    assert_ptr_equal(e->cur, f->snap[f->n - 1]);
    for (uint32_t i = 0; i < e->n; i++) {
        assert_non_null(e->ev[i].reason);
        assert_true(e->ev[i].reason[0] != '\0');
        assert_int_equal(e->ev[i].verdict, e->cur->verdict);
    }
    return e;
}

static unsigned count(const struct issu_events *e, int kind)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < e->n; i++)
        n += e->ev[i].kind == kind;
    return n;
}

static const struct issu_event *session_ev(const struct issu_events *e, uint32_t client, uint32_t entity)
{
    for (uint32_t i = 0; i < e->n; i++)
        if (e->ev[i].kind == ISSU_EV_SESSION && e->ev[i].client_id == client && e->ev[i].entity_id == entity)
            return &e->ev[i];
    return NULL;
}

static void reload_standby(struct fx *f, struct issu_image *img)
{
    assert_int_equal(issu_endpoint_set_image(f->p.ep[1], img), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    issu_image_free(f->s);
    f->s = img;
}

static void reload_active(struct fx *f, struct issu_image *img)
{
    assert_int_equal(issu_endpoint_set_image(f->p.ep[0], img), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    issu_image_free(f->a);
    f->a = img;
}

/* The first snapshot changes nothing; the first round is the peer's arrival. */
static void test_first_and_arrival(void **state)
{
    struct fx f;
    struct issu_events *e = NULL;

    (void)state;
    start(&f, image(1, 1, 0, 0), image(1, 1, 0, 0));
    assert_int_equal(f.n, 2);
    assert_int_equal(issu_events_diff(NULL, f.snap[0], &e), ISSU_OK);
    assert_int_equal(e->n, 0);
    issu_events_unref(e);
    e = last_diff(&f);
    assert_int_equal(e->n, 2);
    assert_int_equal(e->n_sessions, 0);
    assert_int_equal(e->ev[0].kind, ISSU_EV_PEER_BACK);
    assert_int_equal(e->ev[0].old_peer_state, ISSU_PEER_DOWN);
    assert_int_equal(e->ev[0].peer_state, ISSU_PEER_UP);
    assert_int_equal(e->ev[0].peer_unique_id, T_STANDBY_UID);
    assert_string_equal(e->ev[0].peer_image_name, "img");
    assert_non_null(strstr(e->ev[0].reason, "peer 7 (image img 1.0) up"));
    assert_int_equal(e->ev[1].kind, ISSU_EV_VERDICT);
    assert_int_equal(e->ev[1].old_verdict, ISSU_VERDICT_UNKNOWN);
    assert_int_equal(e->ev[1].verdict, ISSU_VERDICT_COMPATIBLE);
    assert_string_equal(e->ev[1].reason, "every client is compatible");
    issu_events_unref(e);
    stop(&f);
}

/* A renegotiation that changes nothing raises nothing. */
static void test_nothing_changed(void **state)
{
    struct fx f;
    struct issu_events *e;

    (void)state;
    start(&f, image(1, 1, 0, 0), image(1, 1, 0, 0));
    assert_int_equal(issu_endpoint_renegotiate(f.p.ep[0], 0, 0), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f.p), ISSU_OK);
    assert_int_equal(f.n, 3);
    e = last_diff(&f);
    assert_int_equal(e->n, 0);
    issu_events_unref(e);
    stop(&f);
}

/* The base client fails: its session's result changes (with its reason),
 * its dependants' effective results change (with the chain), the verdict
 * changes; and back again. */
static void test_effective_chain(void **state)
{
    struct fx f;
    struct issu_events *e;
    const struct issu_event *ev;

    (void)state;
    start(&f, image(1, 1, 0, 0), image(1, 1, 0, 0));
    reload_standby(&f, image(2, 3, 0, 0));
    e = last_diff(&f);
    assert_int_equal(e->n, 4);
    assert_int_equal(e->n_sessions, 3);
    assert_int_equal(count(e, ISSU_EV_VERDICT), 1);
    assert_int_equal(e->ev[e->n - 1].kind, ISSU_EV_VERDICT); /* the verdict comes last */
    /* sessions in sid order */
    assert_true(e->ev[0].sid < e->ev[1].sid && e->ev[1].sid < e->ev[2].sid);

    ev = session_ev(e, 4, 1);
    assert_non_null(ev);
    assert_int_equal(ev->old_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->result, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->raw, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->effective, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(ev->reason, "no common version for message type 1: active 1~1, standby 2~3");
    assert_int_equal(ev->n_chain, 1);
    assert_int_equal(ev->chain[0], 4);

    ev = session_ev(e, LSD, 1);
    assert_non_null(ev);
    assert_int_equal(ev->old_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->result, ISSU_RES_COMPATIBLE); /* its own negotiation is fine */
    assert_int_equal(ev->old_effective, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->n_chain, 2);
    assert_string_equal(ev->reason,
                        "effectively incompatible: prerequisite chain 2007 ISSU LSD Label Mgr HA Client -> "
                        "4 ISSU CF client; 4: no common version for message type 1: active 1~1, standby 2~3");

    ev = session_ev(e, LDP, 1);
    assert_non_null(ev);
    assert_int_equal(ev->effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->n_chain, 3);
    assert_int_equal(ev->chain[0], LDP);
    assert_int_equal(ev->chain[1], LSD);
    assert_int_equal(ev->chain[2], 4);
    assert_non_null(strstr(ev->reason, "chain 2011 ISSU LDP Client -> 2007 ISSU LSD Label Mgr HA Client -> "
                                       "4 ISSU CF client; 4: no common version"));

    ev = &e->ev[e->n - 1];
    assert_int_equal(ev->old_verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(ev->verdict, ISSU_VERDICT_INCOMPATIBLE);
    assert_string_equal(ev->reason, e->cur->verdict_reason);
    issu_events_unref(e);

    /* back: every session compatible again, each says so */
    reload_standby(&f, image(1, 1, 0, 0));
    e = last_diff(&f);
    assert_int_equal(e->n_sessions, 3);
    ev = session_ev(e, LDP, 1);
    assert_int_equal(ev->old_effective, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->effective, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->n_chain, 0);
    assert_non_null(strstr(ev->reason, "compatible: every message type"));
    assert_string_equal(e->ev[e->n - 1].reason, "every client is compatible");
    issu_events_unref(e);
    stop(&f);
}

/* Peer lost and back: one event each, the verdict, no session events,
 * even when the results differ after the return. */
static void test_peer_lost_back(void **state)
{
    struct fx f;
    struct issu_events *e;
    struct issu_image *other;

    (void)state;
    start(&f, image(1, 1, 0, 0), image(1, 1, 0, 0));
    assert_int_equal(issu_endpoint_peer_lost(f.p.ep[0]), ISSU_OK);
    assert_int_equal(issu_endpoint_peer_lost(f.p.ep[1]), ISSU_OK);
    issu_mem_pair_clear(&f.p);
    e = last_diff(&f);
    assert_int_equal(e->n, 2);
    assert_int_equal(e->n_sessions, 0);
    assert_int_equal(e->ev[0].kind, ISSU_EV_PEER_LOST);
    assert_int_equal(e->ev[0].old_peer_state, ISSU_PEER_UP);
    assert_int_equal(e->ev[0].peer_state, ISSU_PEER_DOWN);
    assert_int_equal(e->ev[0].peer_unique_id, T_STANDBY_UID);
    assert_string_equal(e->ev[0].reason,
                        "peer 7 (image img 1.0) lost: no session is negotiated until it is back");
    assert_int_equal(e->ev[1].kind, ISSU_EV_VERDICT);
    assert_int_equal(e->ev[1].old_verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(e->ev[1].verdict, ISSU_VERDICT_UNKNOWN);
    assert_non_null(strstr(e->ev[1].reason, "no peer negotiated"));
    issu_events_unref(e);

    /* the standby comes back with an image that breaks the base client */
    other = image(2, 3, 0, 0);
    assert_int_equal(issu_endpoint_set_image(f.p.ep[1], other), ISSU_OK);
    issu_image_free(f.s);
    f.s = other;
    assert_int_equal(issu_mem_pair_connect(&f.p), ISSU_OK);
    e = last_diff(&f);
    assert_int_equal(e->n_sessions, 0);
    assert_int_equal(e->n, 2);
    assert_int_equal(e->ev[0].kind, ISSU_EV_PEER_BACK);
    assert_int_equal(e->ev[1].kind, ISSU_EV_VERDICT);
    assert_int_equal(e->ev[1].old_verdict, ISSU_VERDICT_UNKNOWN);
    assert_int_equal(e->ev[1].verdict, ISSU_VERDICT_INCOMPATIBLE);
    issu_events_unref(e);
    stop(&f);
}

/* A local reload: a session that disappears and one that appears. */
static void test_sessions_come_and_go(void **state)
{
    struct fx f;
    struct issu_events *e;
    const struct issu_event *ev;

    (void)state;
    start(&f, image(1, 1, 0, 1), image(1, 1, 0, 1));
    /* LSD entity 2 leaves the active image: its session is gone */
    reload_active(&f, image(1, 1, 0, 0));
    e = last_diff(&f);
    ev = session_ev(e, LSD, 2);
    assert_non_null(ev);
    assert_true(ev->gone);
    assert_int_equal(ev->old_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->result, ISSU_RES_UNKNOWN);
    assert_string_equal(ev->reason, "session removed: its client or entity left one of the images");
    issu_events_unref(e);
    /* and back: it appears, UNKNOWN before */
    reload_active(&f, image(1, 1, 0, 1));
    e = last_diff(&f);
    ev = session_ev(e, LSD, 2);
    assert_non_null(ev);
    assert_false(ev->gone);
    assert_int_equal(ev->old_result, ISSU_RES_UNKNOWN);
    assert_int_equal(ev->result, ISSU_RES_COMPATIBLE);
    issu_events_unref(e);
    stop(&f);
}

/* Only the raw result changes (policy keeps the session compatible). */
static void test_policy_raw_only(void **state)
{
    struct fx f;
    struct issu_events *e;
    const struct issu_event *ev;

    (void)state;
    start(&f, image(1, 1, 0, 0), image(1, 1, 0, 0));
    reload_active(&f, image(1, 1, 1, 0));
    e = last_diff(&f);
    assert_int_equal(e->n, 1); /* LDP only; the verdict stays compatible */
    ev = session_ev(e, LDP, 1);
    assert_non_null(ev);
    assert_int_equal(ev->old_raw, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->raw, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(ev->old_result, ISSU_RES_COMPATIBLE);
    assert_int_equal(ev->result, ISSU_RES_COMPATIBLE);
    assert_true(ev->has_policy);
    assert_non_null(strstr(ev->reason, "compatible by policy; raw result incompatible: "));
    assert_non_null(strstr(ev->reason, "message type 3"));
    issu_events_unref(e);
    stop(&f);
}

/* The example images: a reload of the standby to upgrade-incompatible.json
 * changes one session's result and five sessions' effective results, each
 * event with its reason; then the verdict. */
static void test_example_reload(void **state)
{
    static const uint32_t effective[] = {2007, 2008, 2009, 2011, 2053};
    struct fx f;
    struct issu_events *e;
    const struct issu_event *ev;
    unsigned i;

    (void)state;
    start(&f, t_example("running.json"), t_example("upgrade-compatible.json"));
    reload_standby(&f, t_example("upgrade-incompatible.json"));
    e = last_diff(&f);
    assert_int_equal(e->n_sessions, 6);
    assert_int_equal(e->n, 7);
    ev = session_ev(e, 4, 1);
    assert_non_null(ev);
    assert_int_equal(ev->result, ISSU_RES_INCOMPATIBLE);
    assert_string_equal(ev->reason, "no common version for message type 1: active 1~1, standby 2~3");
    for (i = 0; i < sizeof(effective) / sizeof(effective[0]); i++) {
        ev = session_ev(e, effective[i], 1);
        assert_non_null(ev);
        assert_int_equal(ev->result, ISSU_RES_COMPATIBLE);
        assert_int_equal(ev->effective, ISSU_RES_INCOMPATIBLE);
        assert_true(ev->n_chain >= 2);
        assert_int_equal(ev->chain[ev->n_chain - 1], 4);
        assert_non_null(strstr(ev->reason, "effectively incompatible: prerequisite chain "));
        assert_non_null(strstr(ev->reason, "-> 4 ISSU CF client; 4: no common version for message type 1"));
    }
    assert_int_equal(e->ev[e->n - 1].kind, ISSU_EV_VERDICT);
    assert_int_equal(e->ev[e->n - 1].verdict, ISSU_VERDICT_INCOMPATIBLE);
    issu_events_unref(e);
    stop(&f);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(issu_event_kind_name(ISSU_EV_PEER_LOST), "peer-lost");
    assert_string_equal(issu_event_kind_name(ISSU_EV_PEER_BACK), "peer-back");
    assert_string_equal(issu_event_kind_name(ISSU_EV_SESSION), "session");
    assert_string_equal(issu_event_kind_name(ISSU_EV_VERDICT), "verdict");
    assert_int_equal(issu_events_diff(NULL, NULL, &(struct issu_events *){NULL}), ISSU_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_and_arrival),
        cmocka_unit_test(test_nothing_changed),
        cmocka_unit_test(test_effective_chain),
        cmocka_unit_test(test_peer_lost_back),
        cmocka_unit_test(test_sessions_come_and_go),
        cmocka_unit_test(test_policy_raw_only),
        cmocka_unit_test(test_example_reload),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
