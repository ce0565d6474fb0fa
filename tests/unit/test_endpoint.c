/*
 * test_endpoint.c - an endpoint pair over the in-memory transport:
 * renegotiation of everything, one client or one session (from either side),
 * queued requests, peer loss, image reload and the change callback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <cmocka.h>

#include "endpoint.h"
#include "timg.h"

#define LDP 2011
#define LSD 2007

/* What the callbacks of one endpoint saw. */
struct seen {
    unsigned changes;
    uint64_t old_gen, new_gen;
    int old_verdict, new_verdict;
    int old_ldp, new_ldp; /* LDP session result, 0 when absent */
    unsigned rounds;
    unsigned last_round_sessions;
    unsigned reneg_asks;
};

static int ldp_result(const struct issu_snapshot *s)
{
    const struct issu_session *ss = s ? issu_snapshot_session_ce(s, LDP, 1) : NULL;
    return ss ? ss->result : 0;
}

static void on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur)
{
    struct seen *w = arg;

    w->changes++;
    w->old_gen = old ? old->generation : 0;
    w->new_gen = cur->generation;
    w->old_verdict = old ? old->verdict : 0;
    w->new_verdict = cur->verdict;
    w->old_ldp = ldp_result(old);
    w->new_ldp = ldp_result(cur);
}

static void on_log(void *arg, int level, const char *msg)
{
    struct seen *w = arg;
    unsigned r, n;

    (void)level;
    if (sscanf(msg, "round %u: %u session(s) requested", &r, &n) == 2) {
        w->rounds++;
        w->last_round_sessions = n;
    }
    if (!strncmp(msg, "peer asks to renegotiate", 24))
        w->reneg_asks++;
}

/* LDP with versions lo..hi of message type 3 (plus type 1); LSD; base CF. */
static struct issu_image *image(uint32_t lo, uint32_t hi)
{
    struct issu_image *img = t_image("img");
    struct issu_client *c;

    t_plain(img, 4, "ISSU CF client", 1);
    c = t_plain(img, LSD, "ISSU LSD Label Mgr HA Client", 0);
    t_entity(c, 2);
    c = t_client(img, LDP, "ISSU LDP Client");
    t_msg(c, 1, 1, 2, 0);
    t_msg(c, 3, lo, hi, 0);
    t_valid(img);
    return img;
}

struct fx {
    struct issu_image *a, *s;
    struct issu_mem_pair p;
    struct seen seen[2];
};

static int setup(void **state)
{
    static struct fx f;
    struct issu_endpoint_conf c;

    memset(&f, 0, sizeof(f));
    f.a = image(1, 2);
    f.s = image(2, 3);
    memset(&c, 0, sizeof(c));
    c.on_change = on_change;
    c.log = on_log;
    c.unique_id = T_ACTIVE_UID;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = f.a;
    c.arg = &f.seen[0];
    c.transport = issu_mem_transport(&f.p, 0);
    assert_int_equal(issu_endpoint_new(&c, &f.p.ep[0]), ISSU_OK);
    c.unique_id = T_STANDBY_UID;
    c.side = ISSU_SIDE_STANDBY;
    c.image = f.s;
    c.arg = &f.seen[1];
    c.transport = issu_mem_transport(&f.p, 1);
    assert_int_equal(issu_endpoint_new(&c, &f.p.ep[1]), ISSU_OK);
    assert_int_equal(f.seen[0].changes, 1); /* the initial snapshot */
    assert_int_equal(f.seen[0].new_verdict, ISSU_VERDICT_UNKNOWN);
    assert_int_equal(issu_mem_pair_connect(&f.p), ISSU_OK);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    issu_endpoint_free(f->p.ep[0]);
    issu_endpoint_free(f->p.ep[1]);
    issu_mem_pair_clear(&f->p);
    issu_image_free(f->a);
    issu_image_free(f->s);
    return 0;
}

static struct issu_snapshot *snap(struct fx *f, int i)
{
    struct issu_snapshot *s = issu_endpoint_snapshot(f->p.ep[i]);

    assert_non_null(s);
    return s;
}

static uint64_t negotiations(struct fx *f, int i)
{
    struct issu_snapshot *s = snap(f, i);
    uint64_t n = s->negotiations;

    issu_snapshot_unref(s);
    return n;
}

static uint64_t changed(struct fx *f, int i)
{
    struct issu_snapshot *s = snap(f, i);
    uint64_t n = s->results_changed;

    issu_snapshot_unref(s);
    return n;
}

static void test_initial(void **state)
{
    struct fx *f = *state;
    struct issu_snapshot *a = snap(f, 0), *s = snap(f, 1);

    assert_int_equal(a->negotiations, 1);
    assert_int_equal(s->negotiations, 1);
    assert_int_equal(a->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(a->n_sessions, 4);
    assert_int_equal(f->seen[0].rounds, 1);
    assert_int_equal(f->seen[0].last_round_sessions, 4);
    assert_int_equal(ldp_result(a), ISSU_RES_COMPATIBLE);
    assert_int_equal(issu_snapshot_session_ce(a, LDP, 1)->versions[1].version, 2);
    t_assert_symmetric(a, s);
    /* every session's result and the verdict (the first snapshot changes nothing) */
    assert_int_equal(a->results_changed, 4 + 1);
    assert_false(issu_endpoint_busy(f->p.ep[0]));
    issu_snapshot_unref(a);
    issu_snapshot_unref(s);
}

static void test_reneg_scopes(void **state)
{
    struct fx *f = *state;
    uint64_t n0 = negotiations(f, 0), n1 = negotiations(f, 1), c0 = changed(f, 0);
    struct issu_snapshot *before = snap(f, 0), *a;
    uint32_t ldp_sid = issu_snapshot_session_ce(before, LDP, 1)->sid;
    uint32_t i;

    /* everything */
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 0, 0), ISSU_OK);
    assert_true(issu_endpoint_busy(f->p.ep[0]));
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_false(issu_endpoint_busy(f->p.ep[0]));
    assert_int_equal(negotiations(f, 0), n0 + 1);
    assert_int_equal(negotiations(f, 1), n1 + 1);
    assert_int_equal(f->seen[0].last_round_sessions, 4);
    assert_int_equal(changed(f, 0), c0); /* same images, same results */

    /* one client: its two entities */
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LSD, 0), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 0), n0 + 2);
    assert_int_equal(negotiations(f, 1), n1 + 2);
    assert_int_equal(f->seen[0].last_round_sessions, 2);

    /* one session */
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 0, ldp_sid), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 0), n0 + 3);
    assert_int_equal(f->seen[0].last_round_sessions, 1);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LDP, ldp_sid), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 0), n0 + 4);

    /* sessions outside a partial round keep what the last round found */
    a = snap(f, 0);
    assert_int_equal(a->n_sessions, before->n_sessions);
    for (i = 0; i < a->n_sessions; i++) {
        assert_int_equal(a->sessions[i].result, before->sessions[i].result);
        assert_int_equal(a->sessions[i].n_versions, before->sessions[i].n_versions);
        assert_int_equal(a->sessions[i].n_caps, before->sessions[i].n_caps);
        assert_true(a->sessions[i].n_versions > 0);
        assert_int_equal(a->sessions[i].versions[0].version, before->sessions[i].versions[0].version);
    }
    assert_true(a->generation > before->generation);
    issu_snapshot_unref(a);

    /* unknown client, unknown session, session of another client */
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 9999, 0), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 0, 999999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LSD, ldp_sid), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[1], 9999, 0), ISSU_ERR_NOTFOUND);
    assert_false(issu_endpoint_busy(f->p.ep[0]));
    assert_int_equal(f->p.q[0].len + f->p.q[1].len, 0);
    assert_int_equal(negotiations(f, 0), n0 + 4);
    issu_snapshot_unref(before);
}

/* Requests during a round wait for it; two different ones widen to everything. */
static void test_reneg_queued(void **state)
{
    struct fx *f = *state;
    uint64_t n0 = negotiations(f, 0);
    unsigned r0 = f->seen[0].rounds;

    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LDP, 0), ISSU_OK);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LSD, 0), ISSU_OK);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LSD, 0), ISSU_OK);
    assert_true(issu_endpoint_busy(f->p.ep[0]));
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_false(issu_endpoint_busy(f->p.ep[0]));
    assert_int_equal(negotiations(f, 0), n0 + 2);
    assert_int_equal(f->seen[0].rounds, r0 + 2);
    assert_int_equal(f->seen[0].last_round_sessions, 2);

    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LDP, 0), ISSU_OK);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], LSD, 0), ISSU_OK);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 4, 0), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 0), n0 + 4);
    assert_int_equal(f->seen[0].last_round_sessions, 4);
}

/* The PASSIVE forwards requests to the PRIMARY, which runs the round. */
static void test_reneg_from_passive(void **state)
{
    struct fx *f = *state;
    uint64_t n0 = negotiations(f, 0), n1 = negotiations(f, 1);
    struct issu_snapshot *s = snap(f, 1);
    uint32_t sid = issu_snapshot_session_ce(s, LDP, 1)->sid;
    unsigned asks = f->seen[0].reneg_asks;

    issu_snapshot_unref(s);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[1], LDP, 0), ISSU_OK);
    assert_true(f->p.q[0].len > 0); /* a RENEG_REQ waits for the PRIMARY */
    assert_int_equal(f->p.q[1].len, 0);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(f->seen[0].reneg_asks, asks + 1);
    assert_int_equal(negotiations(f, 0), n0 + 1);
    assert_int_equal(negotiations(f, 1), n1 + 1);
    assert_int_equal(f->seen[0].last_round_sessions, 1);

    /* by the passive's own session id */
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[1], 0, sid), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 1), n1 + 2);
    assert_int_equal(f->seen[0].last_round_sessions, 1);

    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[1], 0, 0), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(negotiations(f, 1), n1 + 3);
    assert_int_equal(f->seen[0].last_round_sessions, 4);
}

/* Reload to an incompatible image: results change and on_change sees both. */
static void test_set_image(void **state)
{
    struct fx *f = *state;
    struct issu_image *bad = image(3, 3); /* LDP type 3: active 1~2, standby 3~3 */
    struct issu_snapshot *a, *s;
    uint64_t c0 = changed(f, 0), c1 = changed(f, 1);
    uint64_t g0 = f->seen[0].new_gen;

    assert_int_equal(issu_endpoint_set_image(f->p.ep[1], bad), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    a = snap(f, 0);
    s = snap(f, 1);
    assert_ptr_equal(s->image, bad);
    assert_int_equal(a->verdict, ISSU_VERDICT_BASE_LEVEL);
    assert_int_equal(ldp_result(a), ISSU_RES_INCOMPATIBLE);
    assert_string_equal(issu_snapshot_session_ce(a, LDP, 1)->reason,
                        "no common version for message type 3: active 1~2, standby 3~3");
    t_assert_symmetric(a, s);
    /* the primary's callback saw the old (compatible) and new (incompatible) results */
    assert_int_equal(f->seen[0].old_ldp, ISSU_RES_COMPATIBLE);
    assert_int_equal(f->seen[0].new_ldp, ISSU_RES_INCOMPATIBLE);
    assert_int_equal(f->seen[0].old_verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(f->seen[0].new_verdict, ISSU_VERDICT_BASE_LEVEL);
    assert_true(f->seen[0].new_gen > g0);
    assert_int_equal(f->seen[0].new_gen, f->seen[0].old_gen + 1);
    assert_int_equal(f->seen[1].new_ldp, ISSU_RES_INCOMPATIBLE);
    /* one session and the verdict changed */
    assert_int_equal(a->results_changed, c0 + 2);
    assert_int_equal(s->results_changed, c1 + 2);
    issu_snapshot_unref(a);
    issu_snapshot_unref(s);

    /* and back, from the primary's side */
    assert_int_equal(issu_endpoint_set_image(f->p.ep[1], f->s), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    a = snap(f, 0);
    assert_int_equal(a->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(a->results_changed, c0 + 4);
    issu_snapshot_unref(a);
    assert_int_equal(issu_endpoint_set_image(f->p.ep[0], bad), ISSU_OK); /* PRIMARY reloads */
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    s = snap(f, 1);
    assert_int_equal(s->verdict, ISSU_VERDICT_COMPATIBLE); /* active 3~3, standby 2~3: 3 */
    assert_int_equal(issu_snapshot_session_ce(s, LDP, 1)->versions[1].version, 3);
    issu_snapshot_unref(s);
    assert_int_equal(issu_endpoint_set_image(f->p.ep[0], f->a), ISSU_OK);
    assert_int_equal(issu_mem_pair_run(&f->p), ISSU_OK);
    assert_int_equal(issu_endpoint_set_image(f->p.ep[0], NULL), ISSU_ERR_INVAL);
    issu_image_free(bad);
}

/* Peer loss: every result and the verdict become UNKNOWN; reconnecting restores them. */
static void test_peer_lost(void **state)
{
    struct fx *f = *state;
    struct issu_snapshot *a;
    uint32_t i, sid;

    assert_int_equal(issu_endpoint_peer_lost(f->p.ep[0]), ISSU_OK);
    a = snap(f, 0);
    assert_int_equal(a->peer_state, ISSU_PEER_DOWN);
    assert_int_equal(a->verdict, ISSU_VERDICT_UNKNOWN);
    assert_true(a->n_sessions > 0); /* shown down, not forgotten */
    for (i = 0; i < a->n_sessions; i++) {
        assert_int_equal(a->sessions[i].result, ISSU_RES_UNKNOWN);
        assert_int_equal(a->sessions[i].raw_result, ISSU_RES_UNKNOWN);
    }
    for (i = 0; i < a->n_clients; i++)
        assert_int_equal(a->clients[i].result, ISSU_RES_UNKNOWN);
    assert_int_equal(f->seen[0].new_ldp, ISSU_RES_UNKNOWN);
    assert_int_equal(f->seen[0].old_ldp, ISSU_RES_COMPATIBLE);
    sid = a->sessions[0].sid;
    issu_snapshot_unref(a);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 0, 0), ISSU_ERR_PROTO);
    assert_int_equal(issu_endpoint_renegotiate(f->p.ep[0], 0, sid), ISSU_ERR_PROTO);

    /* reconnect */
    assert_int_equal(issu_endpoint_peer_lost(f->p.ep[1]), ISSU_OK);
    f->p.q[0].len = f->p.q[1].len = 0;
    assert_int_equal(issu_mem_pair_connect(&f->p), ISSU_OK);
    a = snap(f, 0);
    assert_int_equal(a->peer_state, ISSU_PEER_UP);
    assert_int_equal(a->verdict, ISSU_VERDICT_COMPATIBLE);
    assert_int_equal(ldp_result(a), ISSU_RES_COMPATIBLE);
    issu_snapshot_unref(a);
}

static void test_conf_errors(void **state)
{
    struct issu_endpoint_conf c;
    struct issu_endpoint *ep = (struct issu_endpoint *)1;
    struct issu_mem_pair p;
    struct issu_image *img = image(1, 1);

    (void)state;
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    c.side = ISSU_SIDE_ACTIVE;
    c.image = img;
    c.transport = issu_mem_transport(&p, 0);
    assert_int_equal(issu_endpoint_new(&c, &ep), ISSU_ERR_INVAL); /* unique id 0 */
    assert_null(ep);
    c.unique_id = 1;
    c.side = 0;
    assert_int_equal(issu_endpoint_new(&c, &ep), ISSU_ERR_INVAL);
    c.side = ISSU_SIDE_STANDBY;
    c.image = NULL;
    assert_int_equal(issu_endpoint_new(&c, &ep), ISSU_ERR_INVAL);
    assert_int_equal(issu_endpoint_new(NULL, &ep), ISSU_ERR_INVAL);
    c.image = img;
    assert_int_equal(issu_endpoint_new(&c, &ep), ISSU_OK);
    assert_int_equal(issu_endpoint_renegotiate(ep, 0, 0), ISSU_ERR_PROTO); /* no peer */
    {
        struct issu_snapshot *s = issu_endpoint_snapshot(ep);
        assert_int_equal(s->peer_state, ISSU_PEER_DOWN);
        assert_int_equal(s->role, ISSU_ROLE_NONE);
        assert_int_equal(s->verdict, ISSU_VERDICT_UNKNOWN);
        assert_int_equal(s->n_sessions, 0);
        assert_int_equal(s->n_clients, img->n_clients);
        issu_snapshot_unref(s);
    }
    /* reload while unconnected: published at once */
    assert_int_equal(issu_endpoint_set_image(ep, img), ISSU_OK);
    issu_endpoint_free(ep);
    issu_endpoint_free(NULL);
    issu_mem_pair_clear(&p);
    issu_image_free(img);
}

/* Every log line of one endpoint, for the duplicate-id test. */
struct logs {
    unsigned n_err;
    char text[8][256];
    unsigned n;
};

static void log_keep(void *arg, int level, const char *msg)
{
    struct logs *l = arg;

    if (level <= LOG_ERR)
        l->n_err++;
    if (l->n < 8)
        snprintf(l->text[l->n++], sizeof l->text[0], "%s", msg);
}

static int logged(const struct logs *l, const char *what)
{
    unsigned i;

    for (i = 0; i < l->n; i++)
        if (strstr(l->text[i], what))
            return 1;
    return 0;
}

/* Issue 18 item 10: two endpoints with the same unique id. One clear error
 * each (no "out of protocol order"), and the state says why there is no
 * verdict, also once the peer is gone. */
static void test_duplicate_unique_id(void **state)
{
    static const char *want = "no negotiation: the peer (standby) has the same unique id 4 as this endpoint; "
                              "each endpoint needs its own unique id";
    struct issu_image *a = image(1, 2), *s = image(1, 2);
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    struct logs l[2];
    struct issu_snapshot *v;
    int i;

    (void)state;
    memset(&p, 0, sizeof(p));
    memset(l, 0, sizeof(l));
    memset(&c, 0, sizeof(c));
    c.log = log_keep;
    c.unique_id = T_ACTIVE_UID;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.arg = &l[0];
    c.transport = issu_mem_transport(&p, 0);
    assert_int_equal(issu_endpoint_new(&c, &p.ep[0]), ISSU_OK);
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.arg = &l[1];
    c.transport = issu_mem_transport(&p, 1);
    assert_int_equal(issu_endpoint_new(&c, &p.ep[1]), ISSU_OK);

    assert_int_equal(issu_endpoint_connected(p.ep[0]), ISSU_OK);
    assert_int_equal(issu_endpoint_connected(p.ep[1]), ISSU_OK);
    /* each side reads the other's HELLO (a transport drops the link on the first error) */
    assert_int_equal(issu_endpoint_input(p.ep[0], p.q[0].data, p.q[0].len), ISSU_ERR_REFUSED);
    assert_int_equal(issu_endpoint_input(p.ep[1], p.q[1].data, p.q[1].len), ISSU_ERR_REFUSED);
    for (i = 0; i < 2; i++) {
        assert_int_equal(l[i].n_err, 1);
        assert_false(logged(&l[i], "protocol order"));
        assert_false(logged(&l[i], "refused"));
    }
    assert_true(logged(&l[0], want));
    assert_true(logged(&l[1], "the peer (active) has the same unique id 4 as this endpoint"));

    assert_int_equal(issu_endpoint_peer_lost(p.ep[0]), ISSU_OK);
    v = issu_endpoint_snapshot(p.ep[0]);
    assert_int_equal(v->peer_state, ISSU_PEER_DOWN);
    assert_int_equal(v->verdict, ISSU_VERDICT_UNKNOWN);
    assert_string_equal(v->verdict_reason, want);
    issu_snapshot_unref(v);

    /* the peer's ERROR, read by an endpoint that had not seen the HELLO yet */
    memset(&l[1], 0, sizeof(l[1]));
    p.q[0].len = p.q[1].len = 0;
    assert_int_equal(issu_endpoint_connected(p.ep[1]), ISSU_OK);
    assert_int_equal(issu_enc_error(&p.q[1], ISSU_ERR_REFUSED, "duplicate unique id"), ISSU_OK);
    assert_int_equal(issu_endpoint_input(p.ep[1], p.q[1].data, p.q[1].len), ISSU_ERR_REFUSED);
    assert_int_equal(l[1].n_err, 1);
    assert_true(logged(&l[1], "no negotiation: the peer (active) gave up: duplicate unique id"));
    assert_int_equal(issu_endpoint_peer_lost(p.ep[1]), ISSU_OK);
    v = issu_endpoint_snapshot(p.ep[1]);
    assert_string_equal(v->verdict_reason, "no negotiation: the peer (active) gave up: duplicate unique id");
    issu_snapshot_unref(v);

    issu_endpoint_free(p.ep[0]);
    issu_endpoint_free(p.ep[1]);
    issu_mem_pair_clear(&p);
    issu_image_free(a);
    issu_image_free(s);
}

/* No peer, no verdict: even an image without clients is not COMPATIBLE alone. */
static void test_no_clients_no_peer(void **state)
{
    struct issu_image *img = t_image("empty");
    struct issu_mem_pair p;
    struct issu_endpoint_conf c;
    struct issu_endpoint *ep = NULL;
    struct issu_snapshot *v;

    (void)state;
    memset(&p, 0, sizeof(p));
    memset(&c, 0, sizeof(c));
    t_valid(img);
    c.unique_id = 4;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = img;
    c.transport = issu_mem_transport(&p, 0);
    assert_int_equal(issu_endpoint_new(&c, &ep), ISSU_OK);
    v = issu_endpoint_snapshot(ep);
    assert_int_equal(v->verdict, ISSU_VERDICT_UNKNOWN);
    issu_snapshot_unref(v);
    issu_endpoint_free(ep);
    issu_mem_pair_clear(&p);
    issu_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_initial),
        cmocka_unit_test(test_reneg_scopes),
        cmocka_unit_test(test_reneg_queued),
        cmocka_unit_test(test_reneg_from_passive),
        cmocka_unit_test(test_set_image),
        cmocka_unit_test(test_peer_lost),
    };
    const struct CMUnitTest alone[] = {
        cmocka_unit_test(test_conf_errors),
        cmocka_unit_test(test_duplicate_unique_id),
        cmocka_unit_test(test_no_clients_no_peer),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);

    return rc | cmocka_run_group_tests(alone, NULL, NULL);
}
