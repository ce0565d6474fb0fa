/*
 * report.c - build the issu-report tree of a snapshot (report.h).
 *
 * Values are formatted once into a stack buffer and handed to lyd_new_term;
 * the first libyang failure aborts the build and frees what was made.
 */
#include "report.h"

#include <stdio.h>
#include <string.h>

#include <libyang/libyang.h>

#include "issu_err.h"

const char *issu_report_result(int r)
{
    switch (r) {
    case ISSU_RES_COMPATIBLE: return "compatible";
    case ISSU_RES_INCOMPATIBLE: return "incompatible";
    default: return "unknown";
    }
}

const char *issu_report_verdict(int v)
{
    switch (v) {
    case ISSU_VERDICT_COMPATIBLE: return "compatible";
    case ISSU_VERDICT_BASE_LEVEL: return "base-level-compatible";
    case ISSU_VERDICT_INCOMPATIBLE: return "incompatible";
    default: return "unknown";
    }
}

const char *issu_report_role(int r)
{
    switch (r) {
    case ISSU_ROLE_PRIMARY: return "primary";
    case ISSU_ROLE_PASSIVE: return "passive";
    default: return "none";
    }
}

const char *issu_report_presence(int p)
{
    switch (p) {
    case ISSU_PRESENT_LOCAL: return "local-only";
    case ISSU_PRESENT_PEER: return "peer-only";
    default: return "both";
    }
}

struct bld {
    const struct lys_module *mod;
    int output;
};

static int term(const struct bld *b, struct lyd_node *parent, const char *name, const char *val)
{
    if (!val)
        return ISSU_OK;
    return lyd_new_term(parent, b->mod, name, val, b->output, NULL) == LY_SUCCESS ? ISSU_OK
                                                                                  : ISSU_ERR_INVAL;
}

static int term_u(const struct bld *b, struct lyd_node *parent, const char *name, uint64_t v)
{
    char buf[24];

    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return term(b, parent, name, buf);
}

static int term_b(const struct bld *b, struct lyd_node *parent, const char *name, int v)
{
    return term(b, parent, name, v ? "true" : "false");
}

static int list_u(const struct bld *b, struct lyd_node *parent, const char *name, uint32_t key,
                  struct lyd_node **out)
{
    char buf[16];

    snprintf(buf, sizeof(buf), "%u", key);
    return lyd_new_list(parent, b->mod, name, b->output, out, buf) == LY_SUCCESS ? ISSU_OK
                                                                                 : ISSU_ERR_INVAL;
}

static int identity(const struct bld *b, struct lyd_node *parent, const char *name, uint32_t uid,
                    int side, const char *img, const char *ver)
{
    struct lyd_node *n;

    if (lyd_new_inner(parent, b->mod, name, b->output, &n) != LY_SUCCESS)
        return ISSU_ERR_INVAL;
    if (uid)
        ISSU_CHECK(term_u(b, n, "unique-id", uid));
    ISSU_CHECK(term(b, n, "side", issu_side_name(side)));
    ISSU_CHECK(term(b, n, "image-name", img));
    return term(b, n, "image-version", ver);
}

/* The counts of issu_snapshot_summarize(), the same the SNMP face serves. */
static int summary(const struct bld *b, struct lyd_node *parent, const struct issu_summary *m)
{
    struct lyd_node *n;

    if (lyd_new_inner(parent, b->mod, "summary", b->output, &n) != LY_SUCCESS)
        return ISSU_ERR_INVAL;
    ISSU_CHECK(term_u(b, n, "clients-total", m->clients_total));
    ISSU_CHECK(term_u(b, n, "clients-compatible", m->clients_compatible));
    ISSU_CHECK(term_u(b, n, "clients-incompatible", m->clients_incompatible));
    ISSU_CHECK(term_u(b, n, "clients-effectively-incompatible", m->clients_eff_incompatible));
    ISSU_CHECK(term_u(b, n, "base-clients-incompatible", m->base_incompatible));
    ISSU_CHECK(term_u(b, n, "sessions-total", m->sessions_total));
    ISSU_CHECK(term_u(b, n, "sessions-incompatible", m->sessions_incompatible));
    return term_u(b, n, "sessions-unknown", m->sessions_unknown);
}

static int client(const struct bld *b, struct lyd_node *parent, const struct issu_client_result *c)
{
    struct lyd_node *n;
    char buf[16];
    uint32_t i;

    ISSU_CHECK(list_u(b, parent, "client", c->id, &n));
    ISSU_CHECK(term(b, n, "name", c->name));
    ISSU_CHECK(term_b(b, n, "base", c->base));
    ISSU_CHECK(term_b(b, n, "optional", c->optional));
    ISSU_CHECK(term(b, n, "presence", issu_report_presence(c->presence)));
    ISSU_CHECK(term_u(b, n, "entity-count", c->entity_count));
    ISSU_CHECK(term(b, n, "result", issu_report_result(c->result)));
    ISSU_CHECK(term(b, n, "effective-result", issu_report_result(c->effective)));
    ISSU_CHECK(term(b, n, "reason", c->reason));
    for (i = 0; i < c->n_chain; i++) {
        snprintf(buf, sizeof(buf), "%u", c->chain[i]);
        ISSU_CHECK(term(b, n, "chain", buf));
    }
    for (i = 0; i < c->n_prereqs; i++) {
        snprintf(buf, sizeof(buf), "%u", c->prereqs[i]);
        ISSU_CHECK(term(b, n, "prerequisite", buf));
    }
    return term_b(b, n, "counts", c->counts);
}

static int session(const struct bld *b, struct lyd_node *parent, const struct issu_session *s)
{
    struct lyd_node *n, *v;
    uint32_t i;

    ISSU_CHECK(list_u(b, parent, "session", s->sid, &n));
    ISSU_CHECK(term_u(b, n, "client-id", s->client_id));
    ISSU_CHECK(term_u(b, n, "entity-id", s->entity_id));
    ISSU_CHECK(term(b, n, "session-name", s->name));
    ISSU_CHECK(term_u(b, n, "peer-unique-id", s->peer_unique_id));
    ISSU_CHECK(term_u(b, n, "peer-session-id", s->peer_sid));
    ISSU_CHECK(term(b, n, "role", issu_report_role(s->role)));
    ISSU_CHECK(term(b, n, "result", issu_report_result(s->result)));
    ISSU_CHECK(term(b, n, "raw-result", issu_report_result(s->raw_result)));
    ISSU_CHECK(term_b(b, n, "policy", s->has_policy));
    ISSU_CHECK(term_u(b, n, "cap-group", s->cap_group));
    ISSU_CHECK(term_u(b, n, "msg-group", s->msg_group));
    ISSU_CHECK(term_u(b, n, "signature", s->signature));
    ISSU_CHECK(term_u(b, n, "nego-session-id", s->nego_sid));
    ISSU_CHECK(term(b, n, "nego-session-name", s->nego_name));
    ISSU_CHECK(term_u(b, n, "transport-mtu", s->transport_mtu));
    ISSU_CHECK(term(b, n, "reason", s->reason));
    for (i = 0; i < s->n_versions; i++) {
        const struct issu_neg_version *nv = &s->versions[i];
        ISSU_CHECK(list_u(b, n, "negotiated-version", nv->msg_type, &v));
        if (nv->version) {
            ISSU_CHECK(term_u(b, v, "version", nv->version));
            ISSU_CHECK(term_u(b, v, "mtu", nv->mtu));
            ISSU_CHECK(term_u(b, v, "peer-mtu", nv->peer_mtu));
            ISSU_CHECK(term(b, v, "warning", issu_session_note(s, nv->note)));
        } else {
            ISSU_CHECK(term(b, v, "failure", issu_session_note(s, nv->note)));
        }
    }
    for (i = 0; i < s->n_caps; i++) {
        const struct issu_neg_cap *nc = &s->caps[i];
        ISSU_CHECK(list_u(b, n, "negotiated-capability", nc->cap_type, &v));
        ISSU_CHECK(term_u(b, v, "result", nc->result));
        if (nc->has_entry)
            ISSU_CHECK(term_u(b, v, "entry", nc->entry));
        ISSU_CHECK(term_b(b, v, "required", nc->required));
        if (!nc->result)
            ISSU_CHECK(term(b, v, "failure", issu_session_note(s, nc->note)));
    }
    return ISSU_OK;
}

int issu_report_fill_pick(struct lyd_node *parent, const struct lys_module *mod, int output,
                          const struct issu_snapshot *s, const uint32_t *cl, uint32_t n_cl, const uint32_t *se,
                          uint32_t n_se)
{
    struct bld b = {mod, output};
    uint32_t i;

    ISSU_CHECK(term(&b, parent, "verdict", issu_report_verdict(s->verdict)));
    ISSU_CHECK(term(&b, parent, "verdict-reason", s->verdict_reason));
    for (i = 0; i < s->n_clients; i++) /* all of them: the reason names three */
        if (s->clients[i].counts && s->clients[i].effective == ISSU_RES_INCOMPATIBLE)
            ISSU_CHECK(term_u(&b, parent, "blocking-client", s->clients[i].id));
    ISSU_CHECK(summary(&b, parent, &s->summary));
    ISSU_CHECK(identity(&b, parent, "local", s->unique_id, s->side, s->image_name, s->image_version));
    ISSU_CHECK(identity(&b, parent, "peer", s->peer_unique_id,
                        s->side == ISSU_SIDE_ACTIVE ? ISSU_SIDE_STANDBY : ISSU_SIDE_ACTIVE,
                        s->peer_image_name, s->peer_image_version));
    for (i = 0; i < (cl ? n_cl : s->n_clients); i++)
        ISSU_CHECK(client(&b, parent, &s->clients[cl ? cl[i] : i]));
    /* sessions in Session_ID order, as the list is keyed */
    for (i = 0; i < (se ? n_se : s->n_sessions); i++)
        ISSU_CHECK(session(&b, parent, &s->sessions[se ? se[i] : s->by_sid[i]]));
    return ISSU_OK;
}

int issu_report_fill(struct lyd_node *parent, const struct lys_module *mod, int output,
                     const struct issu_snapshot *s)
{
    return issu_report_fill_pick(parent, mod, output, s, NULL, 0, NULL, 0);
}

int issu_report_load(struct ly_ctx *ctx)
{
    return ly_ctx_load_module(ctx, ISSU_REPORT_MODULE, NULL, NULL) ? ISSU_OK : ISSU_ERR_NOTFOUND;
}

int issu_report_new(struct ly_ctx *ctx, const struct issu_snapshot *s, struct lyd_node **tree)
{
    const struct lys_module *mod = ly_ctx_get_module_implemented(ctx, ISSU_REPORT_MODULE);
    struct lyd_node *top = NULL;
    int rc;

    *tree = NULL;
    if (!mod)
        return ISSU_ERR_NOTFOUND;
    if (lyd_new_inner(NULL, mod, "upgrade-report", 0, &top) != LY_SUCCESS)
        return ISSU_ERR_INVAL;
    rc = issu_report_fill(top, mod, 0, s);
    if (rc != ISSU_OK) {
        lyd_free_all(top);
        return rc;
    }
    *tree = top;
    return ISSU_OK;
}
