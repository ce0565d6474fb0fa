/*
 * fuzz_candidate.c - libFuzzer target: the check-upgrade candidate path as
 * issud takes it, on untrusted XML text.
 *
 * The input is the candidate manifest's text (what <check-upgrade>'s
 * <candidate> carries): issu_manifest_load_mem(ISSU_MANIFEST_XML), then,
 * when it loads, issu_mem_negotiate() against a fixed running image
 * (examples/images/running.json, loaded once) with issud's unique ids 4 and
 * 7 (issu_hub_check does the same on the core thread), then the report tree
 * the RPC answers with (issu_report_new). No threads, one libyang context
 * for the whole run (issud keeps one per face).
 *
 * Invariants: a refused candidate leaves no image and says why; an accepted
 * one negotiates (the only refusal allowed: an inventory over the 4 MiB
 * frame) to a finished round whose two views agree (rule 7: same verdict,
 * same sessions, same results), every session names a client of the
 * report, sessions are sorted by id, and the report tree builds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "manifest.h"
#include "mem.h"
#include "report.h"

#ifndef ISSU_RUNNING_IMAGE
#define ISSU_RUNNING_IMAGE "examples/images/running.json"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ly_ctx *ctx;
static struct issu_image *running;

static void
setup(void)
{
    char err[1024];

    if (issu_ly_ctx_new(&ctx) || issu_report_load(ctx))
        abort();
    if (issu_manifest_load_file(ctx, ISSU_RUNNING_IMAGE, &running, err, sizeof err))
        abort();
}

static void
check_views(const struct issu_snapshot *a, const struct issu_snapshot *s)
{
    uint32_t i;

    if (a->peer_state != ISSU_PEER_UP || s->peer_state != ISSU_PEER_UP)
        abort(); /* issu_mem_negotiate runs the round to its end */
    if (a->verdict == ISSU_VERDICT_UNKNOWN || a->verdict != s->verdict || a->n_sessions != s->n_sessions ||
            a->n_clients != s->n_clients)
        abort();
    for (i = 0; i < a->n_sessions; i++) {
        const struct issu_session *x = &a->sessions[i];
        const struct issu_session *y = issu_snapshot_session_ce(s, x->client_id, x->entity_id);

        if (!y || x->raw_result != y->raw_result || x->result != y->result || x->peer_sid != y->sid ||
                y->peer_sid != x->sid || !issu_snapshot_client(a, x->client_id))
            abort();
        if (i && a->sessions[a->by_sid[i - 1]].sid >= a->sessions[a->by_sid[i]].sid)
            abort();
    }
    for (i = 0; i < a->n_clients; i++) {
        if (a->clients[i].effective != s->clients[i].effective || a->clients[i].id != s->clients[i].id)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_snapshot *av = NULL, *sv = NULL;
    struct issu_image *cand = NULL;
    struct lyd_node *tree = NULL;
    char err[1024];
    int rc;

    if (!ctx)
        setup();
    err[0] = '\0';
    rc = issu_manifest_load_mem(ctx, (const char *)data, size, ISSU_MANIFEST_XML, "candidate", &cand, err,
            sizeof err);
    if (rc != ISSU_OK) {
        if (cand || !err[0])
            abort(); /* a failure leaves no image and always says why */
        return 0;
    }
    rc = issu_mem_negotiate(running, 4, cand, 7, NULL, NULL, &av, &sv);
    if (rc == ISSU_OK) {
        check_views(av, sv);
        if (issu_report_new(ctx, av, &tree) != ISSU_OK || !tree)
            abort();
        lyd_free_all(tree);
    } else if (rc != ISSU_ERR_INVAL || av || sv) {
        abort(); /* INVAL: an inventory over the frame limit, nothing negotiated */
    }
    issu_snapshot_unref(av);
    issu_snapshot_unref(sv);
    issu_image_free(cand);
    return 0;
}
