/*
 * nc_xml.c - a snapshot's issu-state printed as XML straight from the
 * snapshot: the bytes libyang prints (LYD_PRINT_SHRINK |
 * LYD_PRINT_WD_EXPLICIT, as libnetconf2 prints a reply) for the tree
 * issu_nc_state_tree() builds, without building that tree.
 *
 * Why: the tree costs ~6.7 KB and ~40 allocations a session and, at 100,000
 * sessions, 3.8 s to build plus 1.9 s to print on every change; this costs
 * one buffer and a fraction of a second (docs/BENCHMARKS.md, issue 19).
 * Filters other than the whole state still get a libyang tree (nc_state.c).
 *
 * The element names and their order are the schema's (issu-report.yang,
 * issu-manifest.yang's image-contents, issu-agent.yang's issu-state), the
 * order agent/ly/report.c and nc_state.c add them in; libyang keeps data
 * in schema order, so both print the same. tests/unit/test_nc_xml.c
 * compares the two byte for byte on the example images, a peer-down state
 * and hostile strings: a leaf added to the YANG and the tree builder but
 * not here fails there. Text is escaped as libyang's lyxml_dump_text does
 * (& < > only: no attributes are printed); an empty value prints <x/>.
 */
#include "nc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "report.h"

struct xw {
    char *s;
    size_t len, cap;
    uint64_t nodes; /* elements printed: the tree's data nodes */
    int oom;
};

static int grow(struct xw *w, size_t more)
{
    size_t cap;
    char *p;

    if (w->oom)
        return 0;
    if (w->len + more < w->cap)
        return 1;
    cap = w->cap ? w->cap : 1 << 16;
    while (cap <= w->len + more)
        cap *= 2;
    if (!(p = realloc(w->s, cap))) {
        w->oom = 1;
        return 0;
    }
    w->s = p;
    w->cap = cap;
    return 1;
}

static void put(struct xw *w, const char *s, size_t n)
{
    if (!grow(w, n))
        return;
    memcpy(w->s + w->len, s, n);
    w->len += n;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static void open_(struct xw *w, const char *name)
{
    size_t n = strlen(name);

    if (!grow(w, n + 2))
        return;
    w->s[w->len++] = '<';
    memcpy(w->s + w->len, name, n);
    w->len += n;
    w->s[w->len++] = '>';
    w->nodes++;
}

static void close_(struct xw *w, const char *name)
{
    size_t n = strlen(name);

    if (!grow(w, n + 3))
        return;
    w->s[w->len++] = '<';
    w->s[w->len++] = '/';
    memcpy(w->s + w->len, name, n);
    w->len += n;
    w->s[w->len++] = '>';
}

/* text content: & < > escaped, everything else as it is (UTF-8) */
static void text(struct xw *w, const char *v)
{
    const char *p = v, *q;

    for (;;) {
        q = p + strcspn(p, "&<>");
        put(w, p, (size_t)(q - p));
        switch (*q) {
        case '&': PUTS(w, "&amp;"); break;
        case '<': PUTS(w, "&lt;"); break;
        case '>': PUTS(w, "&gt;"); break;
        default: return;
        }
        p = q + 1;
    }
}

/* a leaf (NULL: absent, as issu_nc_term leaves it out) */
static void leaf(struct xw *w, const char *name, const char *v)
{
    size_t n;

    if (!v)
        return;
    if (!*v) {
        n = strlen(name);
        if (!grow(w, n + 3))
            return;
        w->s[w->len++] = '<';
        memcpy(w->s + w->len, name, n);
        w->len += n;
        memcpy(w->s + w->len, "/>", 2);
        w->len += 2;
        w->nodes++;
        return;
    }
    open_(w, name);
    text(w, v);
    close_(w, name);
}

static void leaf_u(struct xw *w, const char *name, uint64_t v)
{
    char b[24], *p = b + sizeof(b);

    *--p = '\0';
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10));
    open_(w, name);
    put(w, p, (size_t)(b + sizeof(b) - 1 - p));
    close_(w, name);
}

/* A yang:date-and-time as libyang stores it: its canonical form is the
 * local time with the numeric offset ("+00:00" for UTC), not the "Z" the
 * trees are given (issu_nc_datetime). */
static void leaf_time(struct xw *w, const char *name, time_t t)
{
    struct tm tm;
    char b[96];
    long off;

    localtime_r(&t, &tm);
    off = tm.tm_gmtoff;
    snprintf(b, sizeof(b), "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 3600 % 100,
             labs(off) / 60 % 60);
    leaf(w, name, b);
}

static void leaf_b(struct xw *w, const char *name, int v)
{
    leaf(w, name, v ? "true" : "false");
}

static void identity(struct xw *w, const char *name, uint32_t uid, int side, const char *img, const char *ver)
{
    open_(w, name);
    if (uid)
        leaf_u(w, "unique-id", uid);
    leaf(w, "side", issu_side_name(side));
    leaf(w, "image-name", img);
    leaf(w, "image-version", ver);
    close_(w, name);
}

static void summary(struct xw *w, const struct issu_summary *m)
{
    open_(w, "summary");
    leaf_u(w, "clients-total", m->clients_total);
    leaf_u(w, "clients-compatible", m->clients_compatible);
    leaf_u(w, "clients-incompatible", m->clients_incompatible);
    leaf_u(w, "clients-effectively-incompatible", m->clients_eff_incompatible);
    leaf_u(w, "base-clients-incompatible", m->base_incompatible);
    leaf_u(w, "sessions-total", m->sessions_total);
    leaf_u(w, "sessions-incompatible", m->sessions_incompatible);
    leaf_u(w, "sessions-unknown", m->sessions_unknown);
    close_(w, "summary");
}

static void client(struct xw *w, const struct issu_client_result *c)
{
    uint32_t i;

    open_(w, "client");
    leaf_u(w, "id", c->id);
    leaf(w, "name", c->name);
    leaf_b(w, "base", c->base);
    leaf_b(w, "optional", c->optional);
    leaf(w, "presence", issu_report_presence(c->presence));
    leaf_u(w, "entity-count", c->entity_count);
    leaf(w, "result", issu_report_result(c->result));
    leaf(w, "effective-result", issu_report_result(c->effective));
    leaf(w, "reason", c->reason);
    for (i = 0; i < c->n_chain; i++)
        leaf_u(w, "chain", c->chain[i]);
    for (i = 0; i < c->n_prereqs; i++)
        leaf_u(w, "prerequisite", c->prereqs[i]);
    leaf_b(w, "counts", c->counts);
    close_(w, "client");
}

static void session(struct xw *w, const struct issu_session *s)
{
    uint32_t i;

    open_(w, "session");
    leaf_u(w, "session-id", s->sid);
    leaf_u(w, "client-id", s->client_id);
    leaf_u(w, "entity-id", s->entity_id);
    leaf(w, "session-name", s->name);
    leaf_u(w, "peer-unique-id", s->peer_unique_id);
    leaf_u(w, "peer-session-id", s->peer_sid);
    leaf(w, "role", issu_report_role(s->role));
    leaf(w, "result", issu_report_result(s->result));
    leaf(w, "raw-result", issu_report_result(s->raw_result));
    leaf_b(w, "policy", s->has_policy);
    leaf_u(w, "cap-group", s->cap_group);
    leaf_u(w, "msg-group", s->msg_group);
    leaf_u(w, "signature", s->signature);
    leaf_u(w, "nego-session-id", s->nego_sid);
    leaf(w, "nego-session-name", s->nego_name);
    leaf_u(w, "transport-mtu", s->transport_mtu);
    leaf(w, "reason", s->reason);
    for (i = 0; i < s->n_versions; i++) {
        const struct issu_neg_version *nv = &s->versions[i];
        open_(w, "negotiated-version");
        leaf_u(w, "message-type", nv->msg_type);
        if (nv->version) {
            leaf_u(w, "version", nv->version);
            leaf_u(w, "mtu", nv->mtu);
            leaf_u(w, "peer-mtu", nv->peer_mtu);
            leaf(w, "warning", issu_session_note(s, nv->note));
        } else {
            leaf(w, "failure", issu_session_note(s, nv->note));
        }
        close_(w, "negotiated-version");
    }
    for (i = 0; i < s->n_caps; i++) {
        const struct issu_neg_cap *c = &s->caps[i];
        open_(w, "negotiated-capability");
        leaf_u(w, "cap-type", c->cap_type);
        leaf_u(w, "result", c->result);
        if (c->has_entry)
            leaf_u(w, "entry", c->entry);
        leaf_b(w, "required", c->required);
        if (!c->result)
            leaf(w, "failure", issu_session_note(s, c->note));
        close_(w, "negotiated-capability");
    }
    close_(w, "session");
}

static void image(struct xw *w, const struct issu_image *img)
{
    uint32_t i, j, k, l;

    open_(w, "running-image");
    leaf(w, "name", img->name);
    leaf(w, "version", img->version);
    leaf(w, "description", img->description);
    leaf_u(w, "transport-mtu", img->transport_mtu);
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *cl = &img->clients[i];
        open_(w, "client");
        leaf_u(w, "id", cl->id);
        leaf(w, "name", cl->name);
        leaf_b(w, "base", cl->base);
        leaf_b(w, "optional", cl->optional);
        leaf(w, "policy", issu_policy_name(cl->policy));
        for (j = 0; j < cl->n_prereqs; j++)
            leaf_u(w, "prerequisite", cl->prereqs[j]);
        for (j = 0; j < cl->n_msg_groups; j++) {
            open_(w, "message-group");
            leaf_u(w, "id", cl->msg_groups[j].id);
            for (k = 0; k < cl->msg_groups[j].n_types; k++) {
                const struct issu_msg_type *mt = &cl->msg_groups[j].types[k];
                open_(w, "message-type");
                leaf_u(w, "id", mt->id);
                for (l = 0; l < mt->n_versions; l++) {
                    open_(w, "version");
                    leaf_u(w, "number", mt->versions[l].version);
                    leaf_u(w, "mtu", mt->versions[l].mtu);
                    close_(w, "version");
                }
                close_(w, "message-type");
            }
            close_(w, "message-group");
        }
        for (j = 0; j < cl->n_cap_groups; j++) {
            open_(w, "capability-group");
            leaf_u(w, "id", cl->cap_groups[j].id);
            for (k = 0; k < cl->cap_groups[j].n_types; k++) {
                const struct issu_cap_type *ct = &cl->cap_groups[j].types[k];
                open_(w, "capability-type");
                leaf_u(w, "id", ct->id);
                leaf_b(w, "required", ct->required);
                for (l = 0; l < ct->n_entries; l++)
                    leaf_u(w, "entry", ct->entries[l]);
                close_(w, "capability-type");
            }
            close_(w, "capability-group");
        }
        for (j = 0; j < cl->n_entities; j++) {
            const struct issu_entity *en = &cl->entities[j];
            open_(w, "entity");
            leaf_u(w, "id", en->id);
            leaf(w, "session-name", en->session_name);
            leaf_u(w, "message-group", en->msg_group);
            leaf_u(w, "capability-group", en->cap_group);
            if (en->session_id)
                leaf_u(w, "session-id", en->session_id);
            if (en->transport_mtu)
                leaf_u(w, "transport-mtu", en->transport_mtu);
            close_(w, "entity");
        }
        close_(w, "client");
    }
    close_(w, "running-image");
}

int issu_nc_state_xml(const struct issu_snapshot *s, const struct issu_nc_histvals *h, char **xml, size_t *len,
                      uint64_t *n_nodes)
{
    struct xw w = {0};
    uint32_t i;

    *xml = NULL;
    *len = 0;
    PUTS(&w, "<issu-state xmlns=\"" ISSU_NC_STATE_NS "\">");
    w.nodes++;
    leaf(&w, "verdict", issu_report_verdict(s->verdict));
    leaf(&w, "verdict-reason", s->verdict_reason);
    for (i = 0; i < s->n_clients; i++)
        if (s->clients[i].counts && s->clients[i].effective == ISSU_RES_INCOMPATIBLE)
            leaf_u(&w, "blocking-client", s->clients[i].id);
    summary(&w, &s->summary);
    identity(&w, "local", s->unique_id, s->side, s->image_name, s->image_version);
    identity(&w, "peer", s->peer_unique_id, s->side == ISSU_SIDE_ACTIVE ? ISSU_SIDE_STANDBY : ISSU_SIDE_ACTIVE,
             s->peer_image_name, s->peer_image_version);
    for (i = 0; i < s->n_clients; i++)
        client(&w, &s->clients[i]);
    for (i = 0; i < s->n_sessions; i++)
        session(&w, &s->sessions[s->by_sid[i]]);
    open_(&w, "endpoint");
    leaf(&w, "role", issu_report_role(s->role));
    leaf(&w, "peer-state", issu_peer_state_name(s->peer_state));
    leaf_b(&w, "switchover-ready", issu_snapshot_switchover_ready(s));
    leaf_u(&w, "negotiations", s->negotiations);
    leaf_u(&w, "results-changed", s->results_changed);
    leaf_time(&w, "last-change", s->last_change.tv_sec);
    leaf_u(&w, "generation", s->generation);
    close_(&w, "endpoint");
    if (s->image)
        image(&w, s->image);
    if (h) {
        open_(&w, "history");
        leaf_b(&w, "persistent", h->persistent);
        leaf_u(&w, "negotiations-total", h->negotiations_base + s->negotiations);
        leaf_u(&w, "results-changed-total", h->changed_base + s->results_changed);
        leaf_time(&w, "discontinuity-time", (time_t)(h->since_ns / 1000000000));
        close_(&w, "history");
    }
    PUTS(&w, "</issu-state>");
    if (w.oom || !grow(&w, 1)) {
        free(w.s);
        return ISSU_ERR_NOMEM;
    }
    w.s[w.len] = '\0';
    /* the doubling leaves up to half unused: give it back (one mremap when large) */
    *xml = realloc(w.s, w.len + 1);
    if (!*xml)
        *xml = w.s;
    *len = w.len;
    *n_nodes = w.nodes;
    return ISSU_OK;
}
