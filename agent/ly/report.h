/*
 * report.h - a snapshot as a YANG data tree (module issu-report).
 *
 * The same tree serves `issuctl check --json` (container upgrade-report),
 * the NETCONF check-upgrade RPC output and the live state (the state module
 * `uses ir:report`), so every face prints one structure. issuctl's text
 * output is rendered from this tree too (agent/cli/render.c).
 */
#ifndef ISSU_LY_REPORT_H
#define ISSU_LY_REPORT_H

#include "snapshot.h"

struct ly_ctx;
struct lyd_node;
struct lys_module;

#define ISSU_REPORT_MODULE "issu-report"

/** Load module issu-report (and what it imports) into @p ctx. */
int issu_report_load(struct ly_ctx *ctx);

/**
 * Add the children of grouping ir:report for @p s under @p parent, in
 * @p mod's namespace (the module that `uses` the grouping). @p output is set
 * when @p parent is an RPC's output.
 */
int issu_report_fill(struct lyd_node *parent, const struct lys_module *mod, int output,
                     const struct issu_snapshot *s);

/**
 * issu_report_fill with only some list entries: clients @p cl[0..n_cl)
 * (indexes into s->clients, ascending) and sessions @p se[0..n_se) (indexes
 * into s->sessions, in session-id order); NULL: all of that list.
 */
int issu_report_fill_pick(struct lyd_node *parent, const struct lys_module *mod, int output,
                          const struct issu_snapshot *s, const uint32_t *cl, uint32_t n_cl, const uint32_t *se,
                          uint32_t n_se);

/** A new tree: container issu-report:upgrade-report filled from @p s. */
int issu_report_new(struct ly_ctx *ctx, const struct issu_snapshot *s, struct lyd_node **tree);

/** YANG enum names of the snapshot's values. */
const char *issu_report_result(int r);
const char *issu_report_verdict(int v);
const char *issu_report_role(int r);
const char *issu_report_presence(int p);

#endif
