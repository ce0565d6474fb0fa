/*
 * render.h - issu-report trees as the operator's `show issu` text.
 *
 * Every function takes the node whose children are grouping ir:report (the
 * container upgrade-report of `issuctl check`, or the state container the
 * NETCONF face returns) and prints the seed's layout: field names, order,
 * separators and indentation of the vendor's commands, so scripts that read
 * a router's output read ours. Missing ids return ISSU_ERR_NOTFOUND.
 */
#ifndef ISSU_RENDER_H
#define ISSU_RENDER_H

#include <stdint.h>
#include <stdio.h>

struct lyd_node;

/** First child of @p parent named @p name, or NULL. */
const struct lyd_node *issu_tree_child(const struct lyd_node *parent, const char *name);
/** Its value as a string, or @p dflt. */
const char *issu_tree_str(const struct lyd_node *parent, const char *name, const char *dflt);
/** Its value as a number, or @p dflt. */
uint32_t issu_tree_u32(const struct lyd_node *parent, const char *name, uint32_t dflt);

/** The client / session list entry with the given key, or NULL. */
const struct lyd_node *issu_tree_client(const struct lyd_node *report, uint32_t id);
const struct lyd_node *issu_tree_session(const struct lyd_node *report, uint32_t sid);

/** show issu clients */
int issu_render_clients(FILE *f, const struct lyd_node *report);
/** show issu sessions <client> (0: every client) */
int issu_render_sessions(FILE *f, const struct lyd_node *report, uint32_t client_id);
/** show issu negotiated version <session> */
int issu_render_negotiated_version(FILE *f, const struct lyd_node *report, uint32_t sid);
/** show issu negotiated capability <session> */
int issu_render_negotiated_capability(FILE *f, const struct lyd_node *report, uint32_t sid);
/** The verdict, both endpoints, and every client's result with its reason and chain. */
int issu_render_verdict(FILE *f, const struct lyd_node *report);
/** show issu message types <client>: @p image is the node whose children are
 * im:image-contents (container running-image). Per entity, its message group. */
int issu_render_message_types(FILE *f, const struct lyd_node *image, uint32_t client_id);
/** show issu entities <client>: one line per entity of the image's client. */
int issu_render_entities(FILE *f, const struct lyd_node *image, uint32_t client_id);
/** show issu comp-matrix [summary]: one line per client, own and effective result. */
int issu_render_comp_matrix(FILE *f, const struct lyd_node *report);
/** show issu comp-matrix negotiated (Cisco's layout): a header per endpoint,
 * one row per client entity (UNAVAILABLE without a session), the message
 * group summary, the list of clients. */
int issu_render_comp_matrix_negotiated(FILE *f, const struct lyd_node *report);
/** show issu comp-matrix stored: our images store no matrix, so the peer's
 * version is Dynamic(0) (decided by negotiation). */
int issu_render_comp_matrix_stored(FILE *f, const struct lyd_node *report);
/** show issu message groups [client] (0: every client of the image). */
int issu_render_message_groups(FILE *f, const struct lyd_node *image, uint32_t client_id);
/** show issu state [detail] (@p state: container issu-state with its
 * endpoint): verdict and reason, switchover ready, peer state, negotiations,
 * last change, client and session counts by result, both endpoints;
 * @p detail adds every client that is not compatible, with reason and chain. */
int issu_render_state(FILE *f, const struct lyd_node *state, int detail);
/** Switchover ready: the server's endpoint/switchover-ready, else the
 * verdict is compatible and the peer up. */
int issu_render_switchover_ready(const struct lyd_node *state);
/** renegotiate's answer: the verdict head, then the client's result (with
 * its sessions) or the session's; neither: the verdict view. */
int issu_render_renegotiated(FILE *f, const struct lyd_node *report, uint32_t client_id, uint32_t sid);
/** The whole check report: verdict, clients, then each session's three views. */
int issu_render_check(FILE *f, const struct lyd_node *report);

/** show issu history: @p out is the get-history RPC's output (render_history.c). */
int issu_render_history(FILE *f, const struct lyd_node *out);

#endif
