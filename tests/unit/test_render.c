/*
 * test_render.c - every `show issu` renderer of agent/cli/render.c over the
 * report trees of real negotiations, byte for byte against the files of
 * tests/data/expected/ (the ones test_show.sh compares issud's answers
 * with: the example pair negotiated in-process is what issud serves).
 * Pairs the examples lack are built here: a 6-digit Peer Sid, a client in
 * one image only, a peer that was lost (the stale marks), and the
 * base-level candidate (INCOMPATIBLE rows).
 *
 * ISSU_RENDER_OUT=DIR writes every rendered text to DIR (to review a change).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "endpoint.h"
#include "manifest.h"
#include "render.h"
#include "report.h"
#include "timg.h"
#include "texample.h"

#define YUMA "/usr/share/yuma/modules"
#define FIXED_TIME "2026-11-24T00:00:00Z"

static struct ly_ctx *ctx;
static const struct lys_module *agent_mod;
static unsigned mismatches; /* expect() goes on, to show every difference; each test checks it is 0 */

/* The manifest as a data tree: its image container has the children of
 * issu-state's running-image (grouping im:image-contents). */
static struct lyd_node *image_tree(const char *name)
{
    char path[1024];
    struct lyd_node *t = NULL;

    snprintf(path, sizeof path, "%s/examples/images/%s", ISSU_SOURCE_DIR, name);
    if (lyd_parse_data_path(ctx, path, LYD_JSON, LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &t) != LY_SUCCESS)
        fail_msg("%s: cannot parse", path);
    return t;
}

/* issu-state as issud's NETCONF face builds it (nc_state.c): the report,
 * then the endpoint; last-change fixed (the views print it). */
static struct lyd_node *state_tree(const struct issu_snapshot *s)
{
    struct lyd_node *top = NULL, *ep = NULL;
    char n[24];

    assert_int_equal(lyd_new_inner(NULL, agent_mod, "issu-state", 0, &top), LY_SUCCESS);
    assert_int_equal(issu_report_fill(top, agent_mod, 0, s), ISSU_OK);
    assert_int_equal(lyd_new_inner(top, agent_mod, "endpoint", 0, &ep), LY_SUCCESS);
    snprintf(n, sizeof n, "%llu", (unsigned long long)s->negotiations);
    assert_int_equal(lyd_new_term(ep, agent_mod, "role", issu_report_role(s->role), 0, NULL), LY_SUCCESS);
    assert_int_equal(lyd_new_term(ep, agent_mod, "peer-state", issu_peer_state_name(s->peer_state), 0, NULL),
                     LY_SUCCESS);
    assert_int_equal(lyd_new_term(ep, agent_mod, "switchover-ready",
                                  issu_snapshot_switchover_ready(s) ? "true" : "false", 0, NULL),
                     LY_SUCCESS);
    assert_int_equal(lyd_new_term(ep, agent_mod, "negotiations", n, 0, NULL), LY_SUCCESS);
    assert_int_equal(lyd_new_term(ep, agent_mod, "last-change", FIXED_TIME, 0, NULL), LY_SUCCESS);
    return top;
}

/* "Last Change = <any>" reads "Last Change = <date-and-time>", as test_show.sh masks it. */
static void mask_time(char *text)
{
    static const char key[] = "Last Change = ", mask[] = "<date-and-time>";
    char *p = strstr(text, key), *eol;

    if (!p)
        return;
    p += sizeof(key) - 1;
    eol = strchr(p, '\n');
    assert_non_null(eol);
    assert_true((size_t)(eol - p) >= sizeof(mask) - 1);
    memcpy(p, mask, sizeof(mask) - 1);
    memmove(p + sizeof(mask) - 1, eol, strlen(eol) + 1);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    size_t len = 0;

    if (!f)
        return NULL;
    buf = calloc(1, 1 << 20);
    assert_non_null(buf);
    len = fread(buf, 1, (1 << 20) - 1, f);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

/* Where @p got and @p want first differ, for the failure message. */
static void first_diff(const char *got, const char *want, char *out, size_t len)
{
    unsigned line = 1;
    const char *g = got, *w = want, *gl = got, *wl = want;

    while (*g && *g == *w) {
        if (*g == '\n') {
            line++;
            gl = g + 1;
            wl = w + 1;
        }
        g++;
        w++;
    }
    snprintf(out, len, "line %u:\n  got:  %.*s\n  want: %.*s", line, (int)strcspn(gl, "\n"), gl,
             (int)strcspn(wl, "\n"), wl);
}

typedef int (*render_fn)(FILE *f, const struct lyd_node *n, uint32_t id);

/* Render into memory and compare with tests/data/expected/@p name. */
static void expect(const char *name, render_fn fn, const struct lyd_node *n, uint32_t id)
{
    char path[1024], where[1024], *got = NULL, *want;
    const char *dir = getenv("ISSU_RENDER_OUT");
    size_t len = 0;
    FILE *f = open_memstream(&got, &len);

    assert_non_null(f);
    assert_int_equal(fn(f, n, id), ISSU_OK);
    fclose(f);
    mask_time(got);
    if (dir && *dir) {
        snprintf(path, sizeof path, "%s/%s", dir, name);
        f = fopen(path, "w");
        if (f) {
            fputs(got, f);
            fclose(f);
        }
    }
    snprintf(path, sizeof path, "%s/expected/%s", ISSU_TEST_DATA_DIR, name);
    want = slurp(path);
    if (!want) {
        print_error("%s: missing\n", path);
        mismatches++;
    } else if (strcmp(got, want)) {
        first_diff(got, want, where, sizeof where);
        print_error("%s differs at %s\n", name, where);
        mismatches++;
    }
    free(got);
    free(want);
}

/* The renderers under one signature. */
static int r_clients(FILE *f, const struct lyd_node *n, uint32_t id) { (void)id; return issu_render_clients(f, n); }
static int r_sessions(FILE *f, const struct lyd_node *n, uint32_t id) { return issu_render_sessions(f, n, id); }
static int r_negver(FILE *f, const struct lyd_node *n, uint32_t id) { return issu_render_negotiated_version(f, n, id); }
static int r_negcap(FILE *f, const struct lyd_node *n, uint32_t id)
{
    return issu_render_negotiated_capability(f, n, id);
}
static int r_verdict(FILE *f, const struct lyd_node *n, uint32_t id) { (void)id; return issu_render_verdict(f, n); }
static int r_msgtypes(FILE *f, const struct lyd_node *n, uint32_t id) { return issu_render_message_types(f, n, id); }
static int r_msggroups(FILE *f, const struct lyd_node *n, uint32_t id) { return issu_render_message_groups(f, n, id); }
static int r_entities(FILE *f, const struct lyd_node *n, uint32_t id) { return issu_render_entities(f, n, id); }
static int r_matrix(FILE *f, const struct lyd_node *n, uint32_t id) { (void)id; return issu_render_comp_matrix(f, n); }
static int r_matrix_neg(FILE *f, const struct lyd_node *n, uint32_t id)
{
    (void)id;
    return issu_render_comp_matrix_negotiated(f, n);
}
static int r_matrix_stored(FILE *f, const struct lyd_node *n, uint32_t id)
{
    (void)id;
    return issu_render_comp_matrix_stored(f, n);
}
static int r_state(FILE *f, const struct lyd_node *n, uint32_t detail) { return issu_render_state(f, n, (int)detail); }
static int r_reneg_client(FILE *f, const struct lyd_node *n, uint32_t id)
{
    return issu_render_renegotiated(f, n, id, 0);
}
static int r_reneg_session(FILE *f, const struct lyd_node *n, uint32_t id)
{
    return issu_render_renegotiated(f, n, 0, id);
}
static int r_check(FILE *f, const struct lyd_node *n, uint32_t id) { (void)id; return issu_render_check(f, n); }

static char *render(render_fn fn, const struct lyd_node *n, uint32_t id)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);

    assert_non_null(f);
    assert_int_equal(fn(f, n, id), ISSU_OK);
    fclose(f);
    return out;
}

/* A negotiated pair and its trees: the active's live state and its image. */
struct pair {
    struct issu_image *a, *s;
    struct issu_snapshot *sa, *ss;
    struct lyd_node *state, *img;
};

static void pair_open(struct pair *p, const char *active, const char *standby)
{
    memset(p, 0, sizeof(*p));
    p->a = t_example(active);
    p->s = t_example(standby);
    t_negotiate(p->a, p->s, &p->sa, &p->ss);
    p->state = state_tree(p->sa);
    p->img = image_tree(active);
}

static void pair_close(struct pair *p)
{
    lyd_free_all(p->state);
    lyd_free_all(p->img);
    issu_snapshot_unref(p->sa);
    issu_snapshot_unref(p->ss);
    issu_image_free(p->a);
    issu_image_free(p->s);
}

static int reset(void **state)
{
    (void)state;
    mismatches = 0;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    if (issu_ly_ctx_new(&ctx) != ISSU_OK || issu_report_load(ctx) != ISSU_OK)
        return -1;
    ly_ctx_set_searchdir(ctx, YUMA "/ietf");
    ly_ctx_set_searchdir(ctx, YUMA "/ietf-derived");
    agent_mod = ly_ctx_load_module(ctx, "issu-agent", NULL, NULL);
    return agent_mod ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    ly_ctx_destroy(ctx);
    return 0;
}

/* The seed's eight clients and their sessions (tests/data/expected/README.md). */
static const uint32_t seed_cs[][2] = {{2011, 46}, {2009, 39},     {2008, 19},     {2007, 40},
                                      {2030, 131073}, {2031, 196646}, {2089, 45}, {2053, 84}};

/* Every view test_show.sh compares, from the in-process negotiation. */
static void test_seed_views(void **state)
{
    struct pair p;
    char name[64];
    size_t i;

    (void)state;
    pair_open(&p, "running.json", "upgrade-compatible.json");
    expect("clients.txt", r_clients, p.state, 0);
    expect("comp_matrix.txt", r_matrix, p.state, 0);
    expect("comp_matrix_negotiated.txt", r_matrix_neg, p.state, 0);
    expect("comp_matrix_stored.txt", r_matrix_stored, p.state, 0);
    expect("state.txt", r_state, p.state, 0);
    expect("state_detail.txt", r_state, p.state, 1);
    expect("message_groups.txt", r_msggroups, p.img, 0);
    expect("renegotiate.txt", r_verdict, p.state, 0);
    expect("renegotiate_client_2011.txt", r_reneg_client, p.state, 2011);
    expect("renegotiate_session_46.txt", r_reneg_session, p.state, 46);
    for (i = 0; i < sizeof(seed_cs) / sizeof(seed_cs[0]); i++) {
        uint32_t c = seed_cs[i][0], s = seed_cs[i][1];
        snprintf(name, sizeof name, "sessions_%u.txt", c);
        expect(name, r_sessions, p.state, c);
        snprintf(name, sizeof name, "negotiated_version_%u.txt", s);
        expect(name, r_negver, p.state, s);
        snprintf(name, sizeof name, "negotiated_capability_%u.txt", s);
        expect(name, r_negcap, p.state, s);
        snprintf(name, sizeof name, "message_types_%u.txt", c);
        expect(name, r_msgtypes, p.img, c);
        snprintf(name, sizeof name, "entities_%u.txt", c);
        expect(name, r_entities, p.img, c);
        snprintf(name, sizeof name, "message_groups_%u.txt", c);
        expect(name, r_msggroups, p.img, c);
    }
    pair_close(&p);
    assert_int_equal(mismatches, 0);
}

/* Unknown ids are ISSU_ERR_NOTFOUND and print nothing. */
static void test_unknown_ids(void **state)
{
    struct pair p;
    char *out = NULL;
    size_t len = 0;
    FILE *f;

    (void)state;
    pair_open(&p, "running.json", "upgrade-compatible.json");
    f = open_memstream(&out, &len);
    assert_non_null(f);
    assert_int_equal(issu_render_sessions(f, p.state, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_negotiated_version(f, p.state, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_negotiated_capability(f, p.state, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_message_types(f, p.img, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_message_groups(f, p.img, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_entities(f, p.img, 9999), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_renegotiated(f, p.state, 9999, 0), ISSU_ERR_NOTFOUND);
    assert_int_equal(issu_render_renegotiated(f, p.state, 0, 9999), ISSU_ERR_NOTFOUND);
    fclose(f);
    assert_int_equal(len, 0);
    free(out);
    pair_close(&p);
}

/* The check report is the verdict view, the sessions, then each session's
 * reason (when it has one) and its two negotiated views, by client. */
static void test_check_is_its_parts(void **state)
{
    static const char *const pairs[] = {"upgrade-compatible.json", "upgrade-base-level.json",
                                        "upgrade-incompatible.json"};
    size_t i, k;

    (void)state;
    for (i = 0; i < 3; i++) {
        struct pair p;
        struct lyd_node *report = NULL;
        char *whole, *part, *want = NULL;
        size_t len = 0;
        FILE *f;

        pair_open(&p, "running.json", pairs[i]);
        assert_int_equal(issu_report_new(ctx, p.sa, &report), ISSU_OK);
        whole = render(r_check, report, 0);
        f = open_memstream(&want, &len);
        assert_non_null(f);
        part = render(r_verdict, report, 0);
        fprintf(f, "%s\nSessions:\n", part);
        free(part);
        part = render(r_sessions, report, 0);
        fputs(part, f);
        free(part);
        for (k = 0; k < p.sa->n_sessions; k++) { /* by (client, entity), as the snapshot keeps them */
            const struct issu_session *s = &p.sa->sessions[k];
            fprintf(f, "\n");
            if (s->reason && (s->result != ISSU_RES_COMPATIBLE || s->raw_result != ISSU_RES_COMPATIBLE))
                fprintf(f, "Session_ID = %u is INCOMPATIBLE: %s\n", s->sid, s->reason);
            else if (s->reason)
                fprintf(f, "Session_ID = %u is COMPATIBLE, with a %s\n", s->sid, s->reason);
            part = render(r_negver, report, s->sid);
            fputs(part, f);
            free(part);
            part = render(r_negcap, report, s->sid);
            fputs(part, f);
            free(part);
        }
        fclose(f);
        assert_string_equal(whole, want);
        free(whole);
        free(want);
        lyd_free_all(report);
        pair_close(&p);
    }
}

/* The base-level candidate: INCOMPATIBLE sessions (the result column
 * widens), clients with reasons and chains in state detail and the verdict. */
static void test_base_level_views(void **state)
{
    struct pair p;

    (void)state;
    pair_open(&p, "running.json", "upgrade-base-level.json");
    expect("base_level/sessions_2011.txt", r_sessions, p.state, 2011);
    expect("base_level/state.txt", r_state, p.state, 0);
    expect("base_level/state_detail.txt", r_state, p.state, 1);
    expect("base_level/comp_matrix_negotiated.txt", r_matrix_neg, p.state, 0);
    expect("base_level/renegotiate_client_2053.txt", r_reneg_client, p.state, 2053);
    expect("base_level/renegotiate_session_46.txt", r_reneg_session, p.state, 46);
    pair_close(&p);
    assert_int_equal(mismatches, 0);
}

/* Hand-built: a 6-digit Peer Sid and Session_ID, an INCOMPATIBLE session, a
 * client on the active only, an MTU warning. Every column stays under its
 * heading; state detail lists the failures and the warning. */
static void test_wide_values(void **state)
{
    struct issu_image *a = t_image("wide-active"), *s = t_image("wide-standby");
    struct issu_snapshot *sa = NULL, *ss = NULL;
    struct issu_client *c;
    struct lyd_node *tree;

    (void)state;
    t_plain(a, 2, "ISSU Proto client", 1);
    c = t_client(s, 2, "ISSU Proto client"); /* version 1's MTU differs: a warning */
    c->base = 1;
    t_msg(c, 1, 1, 1, 10);
    t_cap(c, 0, 0, 1, 1u);
    c = t_plain(a, 2030, "MFI Pull ISSU client", 0);
    c->entities[0].session_id = 131073;
    c = t_client(s, 2030, "MFI Pull ISSU client");
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 1, 1u);
    c->entities[0].session_id = 262145;
    c = t_client(a, 2031, "MFI Push ISSU client");
    t_msg(c, 1, 1, 1, 0); /* the standby speaks 2 only: INCOMPATIBLE */
    t_cap(c, 0, 0, 1, 1u);
    c->entities[0].session_id = 196646;
    c = t_client(s, 2031, "MFI Push ISSU client");
    t_msg(c, 1, 2, 2, 0);
    t_cap(c, 0, 0, 1, 1u);
    c->entities[0].session_id = 4294967295u;
    t_plain(a, 2089, "MPLS LSPV Push client", 0); /* active only */
    t_valid(a);
    t_valid(s);
    t_negotiate(a, s, &sa, &ss);
    tree = state_tree(sa);
    expect("wide/sessions.txt", r_sessions, tree, 0);
    expect("wide/comp_matrix_negotiated.txt", r_matrix_neg, tree, 0);
    expect("wide/state_detail.txt", r_state, tree, 1);
    lyd_free_all(tree);
    issu_snapshot_unref(sa);
    issu_snapshot_unref(ss);
    issu_image_free(a);
    issu_image_free(s);
    assert_int_equal(mismatches, 0);
}

/* The peer lost after one negotiation: the session views say their values
 * are from it and the results UNKNOWN; state has no verdict and says why. */
static void test_peer_down(void **state)
{
    struct issu_endpoint_conf c;
    struct issu_mem_pair mp;
    struct issu_image *a = t_example("running.json"), *s = t_example("upgrade-compatible.json");
    struct issu_snapshot *snap;
    struct lyd_node *tree;

    (void)state;
    memset(&mp, 0, sizeof(mp));
    memset(&c, 0, sizeof(c));
    c.unique_id = T_ACTIVE_UID;
    c.side = ISSU_SIDE_ACTIVE;
    c.image = a;
    c.transport = issu_mem_transport(&mp, 0);
    assert_int_equal(issu_endpoint_new(&c, &mp.ep[0]), ISSU_OK);
    c.unique_id = T_STANDBY_UID;
    c.side = ISSU_SIDE_STANDBY;
    c.image = s;
    c.transport = issu_mem_transport(&mp, 1);
    assert_int_equal(issu_endpoint_new(&c, &mp.ep[1]), ISSU_OK);

    /* no peer yet: nothing negotiated */
    snap = issu_endpoint_snapshot(mp.ep[0]);
    tree = state_tree(snap);
    expect("peer_down/sessions_2011_never.txt", r_sessions, tree, 2011);
    lyd_free_all(tree);
    issu_snapshot_unref(snap);

    assert_int_equal(issu_mem_pair_connect(&mp), ISSU_OK);
    assert_int_equal(issu_endpoint_peer_lost(mp.ep[0]), ISSU_OK);
    snap = issu_endpoint_snapshot(mp.ep[0]);
    assert_int_equal(snap->peer_state, ISSU_PEER_DOWN);
    tree = state_tree(snap);
    expect("peer_down/sessions_2011.txt", r_sessions, tree, 2011);
    expect("peer_down/negotiated_version_46.txt", r_negver, tree, 46);
    expect("peer_down/negotiated_capability_46.txt", r_negcap, tree, 46);
    expect("peer_down/comp_matrix_negotiated.txt", r_matrix_neg, tree, 0);
    expect("peer_down/state.txt", r_state, tree, 0);
    assert_false(issu_render_switchover_ready(tree));
    lyd_free_all(tree);
    issu_snapshot_unref(snap);

    issu_endpoint_free(mp.ep[0]);
    issu_endpoint_free(mp.ep[1]);
    issu_mem_pair_clear(&mp);
    issu_image_free(a);
    issu_image_free(s);
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_seed_views, reset),
        cmocka_unit_test_setup(test_unknown_ids, reset),
        cmocka_unit_test_setup(test_check_is_its_parts, reset),
        cmocka_unit_test_setup(test_base_level_views, reset),
        cmocka_unit_test_setup(test_wide_values, reset),
        cmocka_unit_test_setup(test_peer_down, reset),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
