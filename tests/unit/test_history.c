/*
 * test_history.c - the negotiation history store (agent/history): rounds and
 * events written as the hub's listener hands them over, read back with every
 * field; counters and rows that survive a reopen; retention by count and by
 * age; a full queue that drops (never blocks); and the faults: a corrupt
 * file, a state directory that is none, a store another process holds, a
 * full store. Also the strict RFC 3339 parser (htime.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "history.h"
#include "htime.h"
#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "texample.h"

static char g_log[8192];

static void cap_log(void *arg, int level, const char *msg)
{
    (void)arg;
    (void)level;
    strncat(g_log, msg, sizeof(g_log) - strlen(g_log) - 2);
    strcat(g_log, "\n");
}

/* Two states of the active endpoint: against a compatible and an incompatible standby. */
struct fx {
    struct issu_snapshot *ok, *bad;
    char dir[64];
};

static int setup(void **state)
{
    static struct fx f;
    struct issu_image *run = t_example("running.json"), *comp = t_example("upgrade-compatible.json"),
                      *inc = t_example("upgrade-incompatible.json");

    memset(&f, 0, sizeof(f));
    assert_int_equal(issu_mem_negotiate(run, 4, comp, 7, NULL, NULL, &f.ok, NULL), ISSU_OK);
    assert_int_equal(issu_mem_negotiate(run, 4, inc, 7, NULL, NULL, &f.bad, NULL), ISSU_OK);
    issu_image_free(run);
    issu_image_free(comp);
    issu_image_free(inc);
    snprintf(f.dir, sizeof f.dir, "/tmp/test_history.XXXXXX");
    assert_non_null(mkdtemp(f.dir));
    g_log[0] = '\0';
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];

    issu_snapshot_unref(f->ok);
    issu_snapshot_unref(f->bad);
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct issu_hist *open_store(const char *dir, uint64_t max_events, int require, int *rc)
{
    struct issu_hist_conf c;
    struct issu_hist *h = NULL;

    memset(&c, 0, sizeof(c));
    c.state_dir = dir;
    c.max_events = max_events;
    c.require = require;
    c.log = cap_log;
    *rc = issu_hist_open(&c, &h);
    return h;
}

/* One round from @p old to @p cur, as the hub's listener would hand it over. */
static void round_(struct issu_hist *h, enum issu_trigger t, struct issu_snapshot *old, struct issu_snapshot *cur)
{
    struct issu_events *e = NULL;

    assert_int_equal(issu_events_diff(old, cur, &e), ISSU_OK);
    issu_hist_submit(h, t, old, cur, e);
    issu_events_unref(e);
}

static void test_rounds_and_events(void **state)
{
    struct fx *f = *state;
    struct issu_hist *h;
    struct issu_hist_query q;
    struct issu_hist_result *r = NULL;
    struct issu_hist_stats st;
    struct issu_events *e = NULL;
    int rc;
    uint32_t i, k;

    h = open_store(NULL, 0, 0, &rc);
    assert_int_equal(rc, ISSU_OK);
    assert_non_null(strstr(g_log, "memory only"));
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    round_(h, ISSU_TRIG_START, NULL, f->ok);
    round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
    round_(h, ISSU_TRIG_SNMP_SET, f->bad, f->ok);
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.persistent, 0);
    assert_int_equal(st.rounds_stored, 3);
    assert_int_equal(issu_events_diff(f->ok, f->bad, &e), ISSU_OK);
    assert_true(e->n > 2);
    assert_int_equal(st.events_stored, 2 * e->n);

    memset(&q, 0, sizeof(q));
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_int_equal(r->n_rounds, 3);
    assert_int_equal(r->rounds[0].trigger, ISSU_TRIG_START);
    assert_int_equal(r->rounds[1].trigger, ISSU_TRIG_RELOAD);
    assert_int_equal(r->rounds[2].trigger, ISSU_TRIG_SNMP_SET);
    assert_int_equal(r->rounds[1].verdict, f->bad->verdict);
    assert_string_equal(r->rounds[1].peer_image_name, f->bad->peer_image_name);
    assert_int_equal(r->rounds[1].sessions, f->bad->n_sessions);
    assert_int_equal(r->rounds[1].compatible + r->rounds[1].incompatible + r->rounds[1].unknown, f->bad->n_sessions);
    assert_int_equal(r->rounds[0].n_events, 0);
    assert_int_equal(r->rounds[1].n_events, e->n);
    assert_int_equal(r->n_events, 2 * e->n);
    /* the reload's events, in the model's order, with every field and reason */
    for (i = 0; i < e->n; i++) {
        const struct issu_event *v = &e->ev[i];
        const struct issu_hist_event *s = &r->events[i];

        assert_int_equal(s->round, r->rounds[1].id);
        assert_int_equal(s->trigger, ISSU_TRIG_RELOAD);
        assert_int_equal(s->kind, v->kind);
        assert_int_equal(s->sid, v->sid);
        assert_int_equal(s->result, v->result);
        assert_int_equal(s->old_result, v->old_result);
        assert_int_equal(s->effective, v->effective);
        assert_int_equal(s->old_effective, v->old_effective);
        assert_int_equal(s->raw, v->raw);
        assert_int_equal(s->verdict, v->verdict);
        assert_int_equal(s->old_verdict, v->old_verdict);
        assert_string_equal(s->reason, v->reason);
        assert_int_equal(s->n_chain, v->n_chain);
        for (k = 0; k < v->n_chain; k++)
            assert_int_equal(s->chain[k], v->chain[k]);
        if (v->kind == ISSU_EV_SESSION) {
            assert_int_equal(s->client_id, v->client_id);
            assert_string_equal(s->session_name, v->session_name);
        }
        if (v->kind == ISSU_EV_VERDICT)
            assert_string_equal(s->verdict_reason, f->bad->verdict_reason);
        if (i)
            assert_true(s->id > r->events[i - 1].id);
    }
    issu_hist_result_free(r);

    /* filters: one client, a limit from the newest, events after an id */
    memset(&q, 0, sizeof(q));
    q.client_id = e->ev[0].kind == ISSU_EV_SESSION ? e->ev[0].client_id : e->ev[1].client_id;
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_true(r->n_events >= 2);
    for (i = 0; i < r->n_events; i++)
        assert_int_equal(r->events[i].client_id, q.client_id);
    assert_int_equal(r->n_rounds, 2); /* the rounds holding that client's events */
    issu_hist_result_free(r);
    memset(&q, 0, sizeof(q));
    q.limit = 1;
    q.newest = 1;
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_int_equal(r->n_events, 1);
    assert_true(r->truncated);
    assert_int_equal(r->events[0].id, st.last_event_id);
    assert_int_equal(r->n_rounds, 1);
    assert_int_equal(r->rounds[0].trigger, ISSU_TRIG_SNMP_SET);
    issu_hist_result_free(r);
    memset(&q, 0, sizeof(q));
    q.after_id = st.last_event_id - 1;
    q.no_rounds = 1;
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_int_equal(r->n_events, 1);
    assert_int_equal(r->n_rounds, 0);
    issu_hist_result_free(r);
    memset(&q, 0, sizeof(q));
    q.since_ns = st.oldest_event_ns + 1; /* every event of this test has one of two times or later */
    q.until_ns = 1;                      /* ... and none is before 1 ns: an empty range */
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_int_equal(r->n_events, 0);
    issu_hist_result_free(r);
    issu_events_unref(e);
    issu_hist_close(h);
}

static void test_restart_keeps_history_and_counters(void **state)
{
    struct fx *f = *state;
    struct issu_hist *h;
    struct issu_hist_stats st, st2;
    int rc;

    h = open_store(f->dir, 0, 1, &rc);
    assert_int_equal(rc, ISSU_OK);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    round_(h, ISSU_TRIG_START, NULL, f->ok);
    round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.persistent, 1);
    /* two pairs' states, one round each: the second state adds its rounds beyond the first's */
    assert_int_equal(st.negotiations_total, f->ok->negotiations);
    assert_true(st.results_changed_total > 0);
    issu_hist_close(h);

    h = open_store(f->dir, 0, 1, &rc);
    assert_int_equal(rc, ISSU_OK);
    issu_hist_stats(h, &st2);
    assert_int_equal(st2.persistent, 1);
    assert_int_equal(st2.since_ns, st.since_ns);
    assert_int_equal(st2.negotiations_total, st.negotiations_total);
    assert_int_equal(st2.results_changed_total, st.results_changed_total);
    assert_int_equal(st2.rounds_stored, 2);
    assert_int_equal(st2.events_stored, st.events_stored);
    assert_int_equal(st2.last_event_id, st.last_event_id);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    /* a new issud's first state counts again from its own zero */
    round_(h, ISSU_TRIG_START, NULL, f->ok);
    issu_hist_flush(h);
    issu_hist_stats(h, &st2);
    assert_int_equal(st2.negotiations_total, st.negotiations_total + f->ok->negotiations);
    assert_int_equal(st2.rounds_stored, 3);
    issu_hist_close(h);
}

static void test_retention_by_count(void **state)
{
    struct fx *f = *state;
    struct issu_hist *h;
    struct issu_hist_stats st;
    struct issu_hist_query q;
    struct issu_hist_result *r = NULL;
    int rc, i;

    h = open_store(NULL, 5, 0, &rc);
    assert_int_equal(rc, ISSU_OK);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    for (i = 0; i < 4; i++) {
        round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
        round_(h, ISSU_TRIG_RELOAD, f->bad, f->ok);
    }
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.events_stored, 5);
    assert_int_equal(st.rounds_stored, 5);
    assert_true(st.pruned > 0);
    memset(&q, 0, sizeof(q));
    assert_int_equal(issu_hist_query(h, &q, &r), ISSU_OK);
    assert_int_equal(r->n_events, 5);
    assert_int_equal(r->n_rounds, 5);
    assert_int_equal(r->events[4].id, st.last_event_id); /* the newest are kept */
    issu_hist_result_free(r);
    issu_hist_close(h);
}

static int64_t far_future(void)
{
    return issu_htime_now() + 3600LL * 1000000000;
}

static void test_retention_by_age(void **state)
{
    struct fx *f = *state;
    struct issu_hist_conf c;
    struct issu_hist *h = NULL;
    struct issu_hist_stats st;

    memset(&c, 0, sizeof(c));
    c.max_age_s = 60; /* the clock says everything is an hour old */
    c.now = far_future;
    c.log = cap_log;
    assert_int_equal(issu_hist_open(&c, &h), ISSU_OK);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.events_stored, 0);
    assert_int_equal(st.rounds_stored, 0);
    assert_int_equal(st.oldest_event_ns, 0);
    issu_hist_close(h);
}

static void test_full_queue_drops(void **state)
{
    struct fx *f = *state;
    struct issu_hist_conf c;
    struct issu_hist *h = NULL;
    struct issu_hist_stats st;

    memset(&c, 0, sizeof(c));
    c.queue_max = 2;
    c.log = cap_log;
    assert_int_equal(issu_hist_open(&c, &h), ISSU_OK);
    /* writer not started: the queue fills; a third round is dropped at once */
    round_(h, ISSU_TRIG_START, NULL, f->ok);
    round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
    round_(h, ISSU_TRIG_RELOAD, f->bad, f->ok);
    issu_hist_stats(h, &st);
    assert_int_equal(st.rounds_dropped, 1);
    assert_non_null(strstr(g_log, "not recorded (1 dropped so far)"));
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.rounds_stored, 2);
    issu_hist_close(h);
}

static void test_corrupt_file(void **state)
{
    struct fx *f = *state;
    char path[128];
    FILE *fp;
    struct issu_hist *h;
    struct issu_hist_stats st;
    int rc, i;

    snprintf(path, sizeof path, "%s/%s", f->dir, ISSU_HIST_FILE);
    fp = fopen(path, "w");
    assert_non_null(fp);
    for (i = 0; i < 512; i++)
        fputs("not a database, ", fp);
    fclose(fp);
    h = open_store(f->dir, 0, 1, &rc);
    assert_int_equal(rc, ISSU_ERR_IO);
    assert_null(h);
    assert_non_null(strstr(g_log, "not a usable database"));
    assert_non_null(strstr(g_log, "--require-history"));
    g_log[0] = '\0';
    h = open_store(f->dir, 0, 0, &rc);
    assert_int_equal(rc, ISSU_OK);
    assert_non_null(strstr(g_log, "memory only"));
    issu_hist_stats(h, &st);
    assert_int_equal(st.persistent, 0);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    round_(h, ISSU_TRIG_START, NULL, f->ok); /* still records, in memory */
    issu_hist_flush(h);
    issu_hist_stats(h, &st);
    assert_int_equal(st.rounds_stored, 1);
    issu_hist_close(h);
    /* the damaged file is left for the operator, untouched */
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_int_equal(fgetc(fp), 'n');
    fclose(fp);
}

static void test_not_a_directory(void **state)
{
    struct fx *f = *state;
    char path[128];
    FILE *fp;
    int rc;

    snprintf(path, sizeof path, "%s/file", f->dir);
    fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_null(open_store(path, 0, 1, &rc));
    assert_int_equal(rc, ISSU_ERR_IO);
    assert_non_null(strstr(g_log, "not a directory"));
    g_log[0] = '\0';
    snprintf(path, sizeof path, "%s/missing", f->dir);
    assert_null(open_store(path, 0, 1, &rc));
    assert_non_null(strstr(g_log, "No such file or directory"));
}

static void test_locked_by_another(void **state)
{
    struct fx *f = *state;
    struct issu_hist *a, *b;
    char want[64];
    int rc;

    a = open_store(f->dir, 0, 1, &rc);
    assert_int_equal(rc, ISSU_OK);
    b = open_store(f->dir, 0, 1, &rc);
    assert_null(b);
    assert_int_equal(rc, ISSU_ERR_IO);
    snprintf(want, sizeof want, "in use by another issud (pid %ld)", (long)getpid());
    assert_non_null(strstr(g_log, want));
    b = open_store(f->dir, 0, 0, &rc); /* not required: serves from memory */
    assert_int_equal(rc, ISSU_OK);
    issu_hist_close(b);
    issu_hist_close(a);
    b = open_store(f->dir, 0, 1, &rc); /* released on close */
    assert_int_equal(rc, ISSU_OK);
    issu_hist_close(b);
}

static void test_full_store(void **state)
{
    struct fx *f = *state;
    struct issu_hist_conf c;
    struct issu_hist *h = NULL;
    struct issu_hist_stats st;
    int i;

    memset(&c, 0, sizeof(c));
    c.state_dir = f->dir;
    c.require = 1;
    c.max_pages = 12; /* the schema fits; a round of 57 sessions' events soon does not */
    c.log = cap_log;
    assert_int_equal(issu_hist_open(&c, &h), ISSU_OK);
    assert_int_equal(issu_hist_start(h), ISSU_OK);
    for (i = 0; i < 20; i++) {
        round_(h, ISSU_TRIG_RELOAD, f->ok, f->bad);
        round_(h, ISSU_TRIG_RELOAD, f->bad, f->ok);
        issu_hist_flush(h);
    }
    issu_hist_stats(h, &st);
    assert_true(st.write_errors > 0);
    assert_int_equal(st.rounds_stored + st.write_errors, 40);
    assert_non_null(strstr(g_log, "(the disk or the store is full) (1 lost so far)"));
    /* one line, not one per lost round */
    assert_null(strstr(strstr(g_log, "not recorded:") + 1, "not recorded:"));
    issu_hist_close(h);
}

static void test_htime(void **state)
{
    static const char *bad[] = {
        "", "2026-12-02", "2026-12-02T01:45:00", "2026-12-02T01:45:00ZZ", "2026-12-02 01:45:00Z",
        "2026-13-02T01:45:00Z", "2026-02-29T01:45:00Z", "2026-12-32T01:45:00Z", "2026-12-02T24:00:00Z",
        "2026-12-02T01:60:00Z", "2026-12-02T01:45:60Z", "1969-12-31T23:59:59Z", "2026-12-02T01:45:00.Z",
        "2026-12-02T01:45:00.1234567890Z", "2026-12-02T01:45:00+1:00", "2026-12-02T01:45:00+01:60",
        "2026-12-02T01:45:00+0100", "2026-12-02T01:45:00+01:00x", "1970-01-01T00:00:00+00:01",
        "2262-04-12T00:00:00Z", "9999-12-31T23:59:59Z", "2O26-12-02T01:45:00Z", "+026-12-02T01:45:00Z",
        "2026-12-02T01:45:00\0Z",
    };
    char buf[ISSU_HTIME_LEN];
    int64_t ns;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (issu_htime_parse(bad[i], strlen(bad[i]) + (i == sizeof(bad) / sizeof(bad[0]) - 1 ? 2 : 0), &ns) !=
            ISSU_ERR_INVAL)
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_int_equal(issu_htime_parse("1970-01-01T00:00:00Z", 20, &ns), ISSU_OK);
    assert_int_equal(ns, 0);
    assert_int_equal(issu_htime_parse("2024-02-29T12:00:00.5+02:00", 27, &ns), ISSU_OK);
    assert_int_equal(ns, 1709200800LL * 1000000000 + 500000000);
    assert_int_equal(issu_htime_parse("2024-02-29t10:00:00.500000000z", 30, &ns), ISSU_OK);
    assert_int_equal(ns, 1709200800LL * 1000000000 + 500000000);
    assert_int_equal(issu_htime_parse("2262-04-11T00:00:00Z", 20, &ns), ISSU_OK);
    issu_htime_format(1709200800LL * 1000000000 + 123456789, buf);
    assert_string_equal(buf, "2024-02-29T10:00:00.123456Z");
    assert_int_equal(issu_htime_parse(buf, strlen(buf), &ns), ISSU_OK);
    assert_int_equal(ns, 1709200800LL * 1000000000 + 123456000);
    assert_int_equal(issu_htime_parse(NULL, 20, &ns), ISSU_ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rounds_and_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_keeps_history_and_counters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_by_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_queue_drops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_by_another, setup, teardown),
        cmocka_unit_test_setup_teardown(test_full_store, setup, teardown),
        cmocka_unit_test(test_htime),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
