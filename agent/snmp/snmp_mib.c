/*
 * snmp_mib.c - net-snmp handlers serving ISSU-NEGOTIATION-MIB from snapshots.
 *
 * Our own handlers (no table_data/container helpers: they copy rows). Each
 * SNMP request reads ONE snapshot, so every varbind of a GET, GETNEXT or
 * GETBULK sees the same negotiation state. net-snmp's AgentX master (5.9)
 * sends a GETBULK to the subagent as one GetNext PDU per repetition, each
 * with the SNMP request's transactionID (RFC 2741 6.1: the same for every
 * AgentX PDU of one request): the snapshot is pinned to that id while PDUs
 * of it keep arriving, not only to one PDU. Each GETNEXT is one O(log n)
 * search in snmp_index.c.
 */
#include "snmp_mib.h"

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "issu_err.h"
#include "snmp_face.h"
#include "snmp_index.h"
#include "snmp_stamp.h"

_Static_assert(sizeof(oid) == sizeof(unsigned long), "snmp_index takes oid as unsigned long");

#define SNAP_KEY "issu-snapshot"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROOT 32
/* Requests in flight at once whose snapshot stays pinned; a pin not used for
 * PIN_IDLE_MS ends (the master sends a request's PDUs back to back). More
 * concurrent requests than slots only evict the least recently used pin. */
#define PIN_SLOTS 64
#define PIN_IDLE_MS 2000

/* issuEndpoint scalars (arc under issuObjects.1) */
enum {
    SC_LOCAL_UNIQUE_ID = 1,
    SC_LOCAL_SIDE,
    SC_LOCAL_ROLE,
    SC_IMAGE_NAME,
    SC_IMAGE_VERSION,
    SC_PEER_UNIQUE_ID,
    SC_PEER_IMAGE_NAME,
    SC_PEER_IMAGE_VERSION,
    SC_PEER_STATE,
    SC_VERDICT,
    SC_VERDICT_REASON,
    SC_NEGOTIATION_COUNT,
    SC_RESULT_CHANGE_COUNT,
    SC_LAST_CHANGE,
    SC_RENEGOTIATE,
    SC_STATE_GENERATION,
    SC_RENEGOTIATE_STATUS,
    SC_LAST = SC_RENEGOTIATE_STATUS,
};

/* issuSummary scalars (arc under issuObjects.11) */
#define SUMMARY_ARC 11
enum {
    SU_CLIENTS_TOTAL = 1,
    SU_CLIENTS_COMPATIBLE,
    SU_CLIENTS_INCOMPATIBLE,
    SU_CLIENTS_EFF_INCOMPATIBLE,
    SU_BASE_INCOMPATIBLE,
    SU_SESSIONS_TOTAL,
    SU_SESSIONS_INCOMPATIBLE,
    SU_SESSIONS_UNKNOWN,
    SU_SWITCHOVER_READY,
    SU_LAST = SU_SWITCHOVER_READY,
};

/* issuSessionEntry columns used by notifications */
enum {
    SESS_NAME = 2,
    SESS_CLIENT_ID = 3,
    SESS_PEER_UNIQUE_ID = 5,
    SESS_NEGOTIATED = 8,
    SESS_RAW = 9,
    SESS_EFFECTIVE = 17,
    SESS_REASON = 18,
};

static struct {
    oid root[MAX_ROOT];
    size_t root_len;
    struct issu_snmp_mib_ops ops;
    u_long last_renegotiate;
    int registered;
    unsigned pin_alarm;
    struct issu_snmp_stamp stamp; /* issuLastChange, converted once per change */
    char buf[256]; /* one string value being encoded (single thread) */
} g;

/* A request's snapshot, by the (AgentX session, transaction) ids of its PDUs. */
static struct pin {
    struct issu_snapshot *snap; /* NULL: free slot */
    long sessid, transid;
    struct timespec used;
} g_pins[PIN_SLOTS];

/* Columns: every table's first accessible column is 2 (column 1 is the index). */
static unsigned table_max_col(enum issu_snmp_table t)
{
    switch (t) {
    case ISSU_SNMP_T_CLIENT:
        return 12;
    case ISSU_SNMP_T_ENTITY:
        return 6;
    case ISSU_SNMP_T_MSGTYPE:
        return 3;
    case ISSU_SNMP_T_MSGVER:
        return 2;
    case ISSU_SNMP_T_SESSION:
        return 18;
    case ISSU_SNMP_T_NEGVER:
        return 3;
    case ISSU_SNMP_T_NEGCAP:
        return 5;
    case ISSU_SNMP_T_CLIENTDEP:
        return 4;
    }
    return 0;
}

/* A value to put in a varbind. */
struct val {
    u_char type;
    u_long num;
    uint64_t u64;  /* ASN_COUNTER64 */
    const char *str;
    size_t len;
};

static void v_uint(struct val *v, u_char type, u_long n)
{
    v->type = type;
    v->num = n;
}

static void v_enum(struct val *v, unsigned n)
{
    v->type = ASN_INTEGER;
    v->num = n;
}

static void v_bool(struct val *v, int b)
{
    v_enum(v, b ? 1 : 2); /* TruthValue */
}

/* DisplayString: at most 255 octets. */
static void v_str(struct val *v, const char *s)
{
    v->type = ASN_OCTET_STR;
    v->str = s ? s : "";
    v->len = strlen(v->str);
    if (v->len > 255)
        v->len = 255;
}

static const char *chain_text(const struct issu_client_result *c)
{
    size_t off = 0;
    uint32_t i;

    g.buf[0] = '\0';
    for (i = 0; c && i < c->n_chain && off < sizeof(g.buf); i++) {
        int n = snprintf(g.buf + off, sizeof(g.buf) - off, "%s%u", i ? " " : "", c->chain[i]);
        if (n < 0)
            break;
        off += (size_t)n;
    }
    return g.buf;
}

/* Result of a client as seen by its dependants: UNKNOWN when absent. */
static unsigned res_or_unknown(const struct issu_client_result *c, int effective)
{
    if (!c)
        return ISSU_RES_UNKNOWN;
    return effective ? c->effective : c->result;
}

static int col_value(const struct issu_snapshot *s, enum issu_snmp_table t,
                     const struct issu_snmp_row *r, unsigned col, struct val *v)
{
    memset(v, 0, sizeof(*v));
    switch (t) {
    case ISSU_SNMP_T_CLIENT: {
        const struct issu_client_result *c = r->cr;
        switch (col) {
        case 2: v_str(v, c->name); return 1;
        case 3: v_bool(v, c->base); return 1;
        case 4: v_bool(v, c->optional); return 1;
        case 5: v_enum(v, c->presence); return 1;
        case 6: v_uint(v, ASN_UNSIGNED, c->entity_count); return 1;
        case 7: v_enum(v, c->result); return 1;
        case 8: v_enum(v, c->effective); return 1;
        case 9: v_bool(v, c->counts); return 1;
        case 10: v_str(v, c->reason); return 1;
        case 11: v_str(v, c->effective == ISSU_RES_INCOMPATIBLE ? chain_text(c) : ""); return 1;
        case 12: v_uint(v, ASN_UNSIGNED, c->n_sessions); return 1;
        }
        return 0;
    }
    case ISSU_SNMP_T_ENTITY:
        switch (col) {
        case 2: v_str(v, r->ent->session_name); return 1;
        case 3: v_uint(v, ASN_UNSIGNED, r->ent->msg_group); return 1;
        case 4: v_uint(v, ASN_UNSIGNED, r->ent->cap_group); return 1;
        case 5: v_uint(v, ASN_UNSIGNED, r->ss ? r->ss->sid : 0); return 1;
        case 6:
            v_uint(v, ASN_UNSIGNED, r->ent->transport_mtu ? r->ent->transport_mtu
                                                          : s->image->transport_mtu);
            return 1;
        }
        return 0;
    case ISSU_SNMP_T_MSGTYPE:
        switch (col) {
        case 2: v_uint(v, ASN_UNSIGNED, issu_msg_type_low(r->mt)); return 1;
        case 3: v_uint(v, ASN_UNSIGNED, issu_msg_type_high(r->mt)); return 1;
        }
        return 0;
    case ISSU_SNMP_T_MSGVER:
        if (col == 2) {
            v_uint(v, ASN_UNSIGNED, r->mv->mtu);
            return 1;
        }
        return 0;
    case ISSU_SNMP_T_SESSION: {
        const struct issu_session *ss = r->ss;
        switch (col) {
        case 2: v_str(v, ss->name); return 1;
        case 3: v_uint(v, ASN_UNSIGNED, ss->client_id); return 1;
        case 4: v_uint(v, ASN_UNSIGNED, ss->entity_id); return 1;
        case 5: v_uint(v, ASN_UNSIGNED, ss->peer_unique_id); return 1;
        case 6: v_uint(v, ASN_UNSIGNED, ss->peer_sid); return 1;
        case 7: v_enum(v, ss->role); return 1;
        case 8: v_enum(v, ss->result); return 1;
        case 9: v_enum(v, ss->raw_result); return 1;
        case 10: v_bool(v, ss->has_policy); return 1;
        case 11: v_uint(v, ASN_UNSIGNED, ss->cap_group); return 1;
        case 12: v_uint(v, ASN_UNSIGNED, ss->msg_group); return 1;
        case 13: v_uint(v, ASN_UNSIGNED, ss->signature); return 1;
        case 14: v_uint(v, ASN_UNSIGNED, ss->nego_sid); return 1;
        case 15: v_str(v, ss->nego_name); return 1;
        case 16: v_uint(v, ASN_UNSIGNED, ss->transport_mtu); return 1;
        case 17: v_enum(v, res_or_unknown(r->cr, 1)); return 1;
        case 18: v_str(v, ss->reason); return 1;
        }
        return 0;
    }
    case ISSU_SNMP_T_NEGVER:
        switch (col) {
        case 2: v_uint(v, ASN_UNSIGNED, r->nv->version); return 1;
        case 3: v_uint(v, ASN_UNSIGNED, r->nv->mtu); return 1;
        }
        return 0;
    case ISSU_SNMP_T_NEGCAP:
        switch (col) {
        case 2: v_uint(v, ASN_UNSIGNED, r->nc->result ? 1 : 0); return 1;
        case 3: v_bool(v, r->nc->has_entry); return 1;
        case 4: v_uint(v, ASN_UNSIGNED, r->nc->has_entry ? r->nc->entry : 0); return 1;
        case 5: v_bool(v, r->nc->required); return 1;
        }
        return 0;
    case ISSU_SNMP_T_CLIENTDEP:
        switch (col) {
        case 2: v_str(v, r->dep ? r->dep->name : ""); return 1;
        case 3: v_enum(v, res_or_unknown(r->dep, 0)); return 1;
        case 4: v_enum(v, res_or_unknown(r->dep, 1)); return 1;
        }
        return 0;
    }
    return 0;
}

/* TimeStamp of the last change on the agent's sysUpTime clock (the master's,
 * for a subagent): converted once per change, see snmp_stamp.h. */
static u_long last_change_ticks(const struct issu_snapshot *s)
{
    struct timespec now;
    int64_t base;

    clock_gettime(CLOCK_MONOTONIC, &now); /* net-snmp's uptime clock too */
    base = issu_snmp_mono_cs(&now) - (int64_t)netsnmp_get_agent_uptime();
    return issu_snmp_stamp_ticks(&g.stamp, &s->last_change_mono, base);
}

static int scalar_value(const struct issu_snapshot *s, unsigned n, struct val *v)
{
    memset(v, 0, sizeof(*v));
    switch (n) {
    case SC_LOCAL_UNIQUE_ID: v_uint(v, ASN_UNSIGNED, s->unique_id); return 1;
    case SC_LOCAL_SIDE: v_enum(v, s->side); return 1;
    case SC_LOCAL_ROLE: v_enum(v, s->role); return 1;
    case SC_IMAGE_NAME: v_str(v, s->image_name); return 1;
    case SC_IMAGE_VERSION: v_str(v, s->image_version); return 1;
    case SC_PEER_UNIQUE_ID: v_uint(v, ASN_UNSIGNED, s->peer_unique_id); return 1;
    case SC_PEER_IMAGE_NAME: v_str(v, s->peer_image_name); return 1;
    case SC_PEER_IMAGE_VERSION: v_str(v, s->peer_image_version); return 1;
    case SC_PEER_STATE: v_enum(v, s->peer_state); return 1;
    case SC_VERDICT: v_enum(v, s->verdict); return 1;
    case SC_VERDICT_REASON: v_str(v, s->verdict_reason); return 1;
    case SC_NEGOTIATION_COUNT: v_uint(v, ASN_COUNTER, (u_long)(uint32_t)s->negotiations); return 1;
    case SC_RESULT_CHANGE_COUNT: v_uint(v, ASN_COUNTER, (u_long)(uint32_t)s->results_changed); return 1;
    case SC_LAST_CHANGE: v_uint(v, ASN_TIMETICKS, last_change_ticks(s)); return 1;
    case SC_RENEGOTIATE: v_uint(v, ASN_UNSIGNED, g.last_renegotiate); return 1;
    case SC_STATE_GENERATION: v_uint(v, ASN_COUNTER, (u_long)(uint32_t)s->generation); return 1;
    case SC_RENEGOTIATE_STATUS:
        v_enum(v, g.ops.renegotiate_status ? (unsigned)g.ops.renegotiate_status(g.ops.arg)
                                           : ISSU_SNMP_RENEG_NONE);
        return 1;
    }
    return 0;
}

/* issuSummary: the snapshot's counts (issu_snapshot_summarize, the same the
 * NETCONF state's summary shows). */
static int summary_value(const struct issu_snapshot *s, unsigned n, struct val *v)
{
    const struct issu_summary *m = &s->summary;

    memset(v, 0, sizeof(*v));
    switch (n) {
    case SU_CLIENTS_TOTAL: v_uint(v, ASN_UNSIGNED, m->clients_total); return 1;
    case SU_CLIENTS_COMPATIBLE: v_uint(v, ASN_UNSIGNED, m->clients_compatible); return 1;
    case SU_CLIENTS_INCOMPATIBLE: v_uint(v, ASN_UNSIGNED, m->clients_incompatible); return 1;
    case SU_CLIENTS_EFF_INCOMPATIBLE: v_uint(v, ASN_UNSIGNED, m->clients_eff_incompatible); return 1;
    case SU_BASE_INCOMPATIBLE: v_uint(v, ASN_UNSIGNED, m->base_incompatible); return 1;
    case SU_SESSIONS_TOTAL: v_uint(v, ASN_UNSIGNED, m->sessions_total); return 1;
    case SU_SESSIONS_INCOMPATIBLE: v_uint(v, ASN_UNSIGNED, m->sessions_incompatible); return 1;
    case SU_SESSIONS_UNKNOWN: v_uint(v, ASN_UNSIGNED, m->sessions_unknown); return 1;
    case SU_SWITCHOVER_READY: v_bool(v, issu_snapshot_switchover_ready(s)); return 1;
    }
    return 0;
}

/* A group of scalars under issuObjects.arc, 1..last, and its value function. */
struct scalars {
    unsigned arc, last;
    int (*value)(const struct issu_snapshot *s, unsigned n, struct val *v);
};

static const struct scalars g_endpoint = {1, SC_LAST, scalar_value};
static const struct scalars g_summary = {SUMMARY_ARC, SU_LAST, summary_value};

static void set_val(netsnmp_variable_list *vb, const struct val *v)
{
    if (v->type == ASN_COUNTER64) {
        struct counter64 c = {.high = (u_long)(v->u64 >> 32), .low = (u_long)(v->u64 & 0xffffffffUL)};
        snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
    } else if (v->type == ASN_OCTET_STR)
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->str, v->len);
    else if (v->type == ASN_INTEGER) {
        long l = (long)v->num;
        snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
    } else {
        u_long u = v->num & 0xffffffffUL;
        snmp_set_var_typed_value(vb, v->type, &u, sizeof(u));
    }
}

static void snap_free(void *p)
{
    issu_snapshot_unref(p);
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static void pin_drop(struct pin *p)
{
    issu_snapshot_unref(p->snap);
    memset(p, 0, sizeof(*p));
}

/* Alarm (SNMP thread): end idle pins, so no old snapshot is held for long. */
static void pins_expire(unsigned int reg, void *arg)
{
    struct timespec now;
    unsigned i;

    (void)reg;
    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (i = 0; i < PIN_SLOTS; i++)
        if (g_pins[i].snap && ms_between(&g_pins[i].used, &now) > PIN_IDLE_MS)
            pin_drop(&g_pins[i]);
}

/* The snapshot pinned to this PDU's transaction, or a fresh one pinned to it. */
static struct issu_snapshot *pinned_snapshot(const netsnmp_pdu *pdu)
{
    struct pin *p, *lru = NULL;
    struct timespec now;
    unsigned i;

    clock_gettime(CLOCK_MONOTONIC, &now);
    for (i = 0; pdu && i < PIN_SLOTS; i++) {
        p = &g_pins[i];
        if (p->snap && ms_between(&p->used, &now) > PIN_IDLE_MS)
            pin_drop(p);
        if (p->snap && p->sessid == pdu->sessid && p->transid == pdu->transid) {
            p->used = now;
            return issu_snapshot_ref(p->snap);
        }
        if (!lru || (lru->snap && (!p->snap || ms_between(&p->used, &lru->used) > 0)))
            lru = p;
    }
    p = lru;
    if (!p)
        return g.ops.snapshot(g.ops.arg);
    pin_drop(p);
    p->snap = g.ops.snapshot(g.ops.arg);
    if (!p->snap)
        return NULL;
    p->sessid = pdu->sessid;
    p->transid = pdu->transid;
    p->used = now;
    return issu_snapshot_ref(p->snap);
}

/* The request's snapshot: taken once, shared by all its varbinds and handlers
 * and by the other AgentX PDUs of the same SNMP request. */
static const struct issu_snapshot *request_snapshot(netsnmp_agent_request_info *reqinfo)
{
    struct issu_snapshot *s = netsnmp_agent_get_list_data(reqinfo, SNAP_KEY);

    if (s || !g.ops.snapshot)
        return s;
    s = pinned_snapshot(reqinfo->asp ? reqinfo->asp->pdu : NULL);
    if (s)
        netsnmp_agent_add_list_data(reqinfo, netsnmp_create_data_list(SNAP_KEY, s, snap_free));
    return s;
}

/* ---- tables ---- */

/* First instance after (col, idx) in table t, moving on to later columns. */
static int table_next(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned col,
                      const oid *idx, size_t idx_len, unsigned *out_col, struct issu_snmp_row *row)
{
    unsigned max = table_max_col(t);

    if (col < 2) {
        col = 2;
        idx_len = 0;
    }
    for (; col <= max; col++, idx_len = 0) {
        if (issu_snmp_row_next(s, t, idx, idx_len, row)) {
            *out_col = col;
            return 1;
        }
    }
    return 0;
}

static int table_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                         netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    enum issu_snmp_table t = (enum issu_snmp_table)(intptr_t)handler->myvoid;
    size_t base = reginfo->rootoid_len, depth = issu_snmp_table_depth(t);
    const struct issu_snapshot *s = request_snapshot(reqinfo);
    netsnmp_request_info *req;

    for (req = requests; req; req = req->next) {
        netsnmp_variable_list *vb = req->requestvb;
        const oid *name = vb->name;
        size_t len = vb->name_length;
        struct issu_snmp_row row;
        struct val v;
        int in = len >= base && !memcmp(name, reginfo->rootoid, base * sizeof(oid));

        if (req->processed)
            continue;
        if (reqinfo->mode == MODE_GET) {
            unsigned col = len > base + 1 ? (unsigned)name[base + 1] : 0;

            if (!in || len < base + 2 || name[base] != 1 || col < 2 || col > table_max_col(t) ||
                name[base + 1] > UINT32_MAX) {
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
            } else if (!s || !issu_snmp_row_get(s, t, name + base + 2, len - base - 2, &row) ||
                       !col_value(s, t, &row, col, &v)) {
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            } else {
                set_val(vb, &v);
            }
        } else if (reqinfo->mode == MODE_GETNEXT) {
            unsigned col = 0, out_col;
            const oid *idx = NULL;
            size_t idx_len = 0;
            oid buf[MAX_OID_LEN];
            size_t n, i;

            if (!s)
                continue;
            if (in && len > base) {
                if (name[base] > 1)
                    continue; /* past the table */
                if (name[base] == 1 && len > base + 1) {
                    if (name[base + 1] > table_max_col(t))
                        continue;
                    col = (unsigned)name[base + 1];
                    idx = name + base + 2;
                    idx_len = len - base - 2;
                }
            } else if (snmp_oid_compare(name, len, reginfo->rootoid, base) > 0) {
                continue; /* after our subtree */
            }
            if (!table_next(s, t, col, idx, idx_len, &out_col, &row) ||
                !col_value(s, t, &row, out_col, &v))
                continue; /* unanswered: the agent asks the next subtree */
            memcpy(buf, reginfo->rootoid, base * sizeof(oid));
            n = base;
            buf[n++] = 1;
            buf[n++] = out_col;
            for (i = 0; i < depth; i++)
                buf[n++] = row.idx[i];
            snmp_set_var_objid(vb, buf, n);
            set_val(vb, &v);
        } else {
            netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
        }
    }
    return SNMP_ERR_NOERROR;
}

/* ---- scalars (issuEndpoint) ---- */

static int scalar_set(const struct scalars *grp, netsnmp_agent_request_info *reqinfo,
                      netsnmp_request_info *req, unsigned n, int exact)
{
    netsnmp_variable_list *vb = req->requestvb;
    const struct issu_snapshot *s;
    u_long id;
    int rc;

    switch (reqinfo->mode) {
    case MODE_SET_RESERVE1:
        if (!exact || n < 1 || n > grp->last)
            return SNMP_ERR_NOCREATION;
        if (grp != &g_endpoint || n != SC_RENEGOTIATE || !g.ops.renegotiate)
            return SNMP_ERR_NOTWRITABLE;
        if (vb->type != ASN_UNSIGNED)
            return SNMP_ERR_WRONGTYPE;
        if (vb->val_len != sizeof(long))
            return SNMP_ERR_WRONGLENGTH;
        return SNMP_ERR_NOERROR;
    case MODE_SET_RESERVE2:
        id = *vb->val.integer;
        if (id > UINT32_MAX)
            return SNMP_ERR_WRONGVALUE;
        s = request_snapshot(reqinfo);
        if (!s)
            return SNMP_ERR_RESOURCEUNAVAILABLE;
        if (id && !issu_snapshot_client(s, (uint32_t)id))
            return SNMP_ERR_WRONGVALUE;
        if (s->peer_state == ISSU_PEER_DOWN)
            return SNMP_ERR_INCONSISTENTVALUE;
        if (g.ops.renegotiate_status && g.ops.renegotiate_status(g.ops.arg) == ISSU_SNMP_RENEG_RUNNING)
            return SNMP_ERR_INCONSISTENTVALUE; /* one requested round at a time */
        return SNMP_ERR_NOERROR;
    case MODE_SET_ACTION:
        id = *vb->val.integer;
        /* Only starts the round: a 10,000-session round takes longer than
         * the master's agentXTimeout, which then drops the subagent. */
        rc = g.ops.renegotiate(g.ops.arg, (uint32_t)id);
        if (rc == ISSU_ERR_NOTFOUND)
            return SNMP_ERR_WRONGVALUE;
        if (rc == ISSU_ERR_PROTO)
            return SNMP_ERR_INCONSISTENTVALUE;
        if (rc != ISSU_OK)
            return SNMP_ERR_COMMITFAILED;
        return SNMP_ERR_NOERROR;
    case MODE_SET_COMMIT:
        g.last_renegotiate = *vb->val.integer;
        return SNMP_ERR_NOERROR;
    default: /* FREE, UNDO: nothing was kept; a finished round cannot be undone */
        return SNMP_ERR_NOERROR;
    }
}

static int scalar_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                          netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    const struct scalars *grp = handler->myvoid;
    size_t base = reginfo->rootoid_len;
    netsnmp_request_info *req;

    for (req = requests; req; req = req->next) {
        netsnmp_variable_list *vb = req->requestvb;
        const oid *name = vb->name;
        size_t len = vb->name_length;
        int in = len >= base && !memcmp(name, reginfo->rootoid, base * sizeof(oid));
        int exact = in && len == base + 2 && name[base + 1] == 0;
        unsigned n = in && len > base && name[base] <= grp->last ? (unsigned)name[base] : 0;
        const struct issu_snapshot *s;
        struct val v;

        if (req->processed)
            continue;
        switch (reqinfo->mode) {
        case MODE_GET:
            s = request_snapshot(reqinfo);
            if (!in || len <= base || n < 1)
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
            else if (!exact || !s || !grp->value(s, n, &v))
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            else
                set_val(vb, &v);
            break;
        case MODE_GETNEXT: {
            oid buf[MAX_OID_LEN];

            s = request_snapshot(reqinfo);
            if (!s)
                break;
            if (!in || len == base) {
                if (in || snmp_oid_compare(name, len, reginfo->rootoid, base) < 0)
                    n = 1;
                else
                    break; /* after our subtree */
            } else if (name[base] > grp->last) {
                break;
            } else if (n < 1) {
                n = 1;
            } else if (len > base + 1) {
                n++; /* at or past n.0: the next scalar */
            }
            if (n > grp->last || !grp->value(s, n, &v))
                break;
            memcpy(buf, reginfo->rootoid, base * sizeof(oid));
            buf[base] = n;
            buf[base + 1] = 0;
            snmp_set_var_objid(vb, buf, base + 2);
            set_val(vb, &v);
            break;
        }
        default: {
            int err = scalar_set(grp, reqinfo, req, n, exact);
            if (err != SNMP_ERR_NOERROR)
                netsnmp_set_request_error(reqinfo, req, err);
            break;
        }
        }
    }
    return SNMP_ERR_NOERROR;
}

/* ---- issuHistory (issuObjects.12): scalars 1..7, issuHistoryTable 8 ---- */

enum {
    HS_PERSISTENT = 1,
    HS_NEGO_TOTAL,
    HS_CHANGED_TOTAL,
    HS_DISC_TIME,
    HS_EVENTS,
    HS_LAST_ID,
    HS_DROPPED,
    HS_LAST = HS_DROPPED,
    HS_TABLE = 8,
};
#define HIST_MAX_COL 11
#define HIST_PAGE 64 /* events read per query: a walk asks for them in order */

/* The last page of events read (SNMP thread only): a walk's GETNEXTs ask
 * for the rows in order, so one query serves HIST_PAGE of them. */
static struct {
    struct issu_hist_result *r;
    int64_t after;   /* the page holds the events after this id ... */
    int64_t last_id; /* ... as the store was when this was its newest */
} g_hp;

static void hist_page_drop(void)
{
    if (g_hp.r)
        g.ops.hist->result_free(g_hp.r);
    memset(&g_hp, 0, sizeof(g_hp));
}

/* DateAndTime (RFC 2579), 11 octets, UTC, into g.buf. */
static void v_date(struct val *v, int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    unsigned char *b = (unsigned char *)g.buf;

    memset(b, 0, 11);
    if (ns > 0 && gmtime_r(&sec, &tm)) {
        unsigned y = (unsigned)tm.tm_year + 1900;
        b[0] = (unsigned char)(y >> 8);
        b[1] = (unsigned char)(y & 0xff);
        b[2] = (unsigned char)(tm.tm_mon + 1);
        b[3] = (unsigned char)tm.tm_mday;
        b[4] = (unsigned char)tm.tm_hour;
        b[5] = (unsigned char)tm.tm_min;
        b[6] = (unsigned char)(tm.tm_sec > 59 ? 59 : tm.tm_sec);
        b[7] = (unsigned char)(ns % 1000000000 / 100000000);
    } else {
        b[0] = 1970 >> 8;
        b[1] = 1970 & 0xff;
        b[2] = b[3] = 1;
    }
    b[8] = '+';
    v->type = ASN_OCTET_STR;
    v->str = g.buf;
    v->len = 11;
}

/* The totals as of the request's snapshot (the store's at start plus its
 * counters), as issu-state/history shows them; the rest as stored. */
static int hist_scalar_value(const struct issu_snapshot *s, unsigned n, struct val *v)
{
    struct issu_hist_stats st;
    uint64_t nego = 0, changed = 0;

    memset(v, 0, sizeof(*v));
    if (!g.ops.hist)
        return 0;
    g.ops.hist->stats(g.ops.hist->h, &st);
    g.ops.hist->base(g.ops.hist->h, &nego, &changed);
    if (s) {
        st.negotiations_total = nego + s->negotiations;
        st.results_changed_total = changed + s->results_changed;
    }
    switch (n) {
    case HS_PERSISTENT: v_bool(v, st.persistent); return 1;
    case HS_NEGO_TOTAL: v->type = ASN_COUNTER64; v->u64 = st.negotiations_total; return 1;
    case HS_CHANGED_TOTAL: v->type = ASN_COUNTER64; v->u64 = st.results_changed_total; return 1;
    case HS_DISC_TIME: v_date(v, st.since_ns); return 1;
    case HS_EVENTS:
        v_uint(v, ASN_GAUGE, (u_long)(st.events_stored > UINT32_MAX ? UINT32_MAX : st.events_stored));
        return 1;
    case HS_LAST_ID: v_uint(v, ASN_UNSIGNED, (u_long)(uint32_t)st.last_event_id); return 1;
    case HS_DROPPED: v_uint(v, ASN_COUNTER, (u_long)(uint32_t)st.rounds_dropped); return 1;
    }
    return 0;
}

static int hist_col_value(const struct issu_hist_event *e, unsigned col, struct val *v)
{
    int session = e->kind == ISSU_EV_SESSION;

    memset(v, 0, sizeof(*v));
    switch (col) {
    case 2: v_date(v, e->time_ns); return 1;
    case 3: v_uint(v, ASN_UNSIGNED, (u_long)(uint32_t)e->round); return 1;
    case 4: v_enum(v, e->trigger); return 1;
    case 5: v_enum(v, e->kind); return 1;
    case 6: v_uint(v, ASN_UNSIGNED, session ? e->sid : 0); return 1;
    case 7: v_uint(v, ASN_UNSIGNED, session ? e->client_id : 0); return 1;
    case 8: v_enum(v, session ? e->old_result : ISSU_RES_UNKNOWN); return 1;
    case 9: v_enum(v, session ? e->result : ISSU_RES_UNKNOWN); return 1;
    case 10: v_enum(v, e->verdict); return 1;
    case 11: v_str(v, e->reason); return 1;
    }
    return 0;
}

/*
 * The first row of issuHistoryTable with an id above @p after (exact: the
 * row @p after + 1 itself, for a GET), among the ISSU_SNMP_HIST_ROWS newest;
 * NULL when none. Valid until the next call.
 */
static const struct issu_hist_event *hist_row(int64_t after, int exact)
{
    struct issu_hist_stats st;
    struct issu_hist_query q;
    int64_t floor;
    uint32_t i;

    g.ops.hist->stats(g.ops.hist->h, &st);
    floor = st.last_event_id > ISSU_SNMP_HIST_ROWS ? st.last_event_id - ISSU_SNMP_HIST_ROWS : 0;
    if (after < floor)
        after = floor;
    if (after >= st.last_event_id || after >= UINT32_MAX)
        return NULL;
    if (!g_hp.r || g_hp.last_id != st.last_event_id || after < g_hp.after ||
        (g_hp.r->truncated && g_hp.r->n_events && after >= g_hp.r->events[g_hp.r->n_events - 1].id)) {
        hist_page_drop();
        memset(&q, 0, sizeof(q));
        q.after_id = after;
        q.limit = HIST_PAGE;
        q.no_rounds = 1;
        if (g.ops.hist->query(g.ops.hist->h, &q, &g_hp.r) != ISSU_OK)
            return NULL;
        g_hp.after = after;
        g_hp.last_id = st.last_event_id;
    }
    for (i = 0; i < g_hp.r->n_events; i++) {
        const struct issu_hist_event *e = &g_hp.r->events[i];
        if (e->id > after && e->id <= UINT32_MAX)
            return exact && e->id != after + 1 ? NULL : e;
    }
    return NULL;
}

static int hist_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                        netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    size_t base = reginfo->rootoid_len;
    netsnmp_request_info *req;

    (void)handler;
    for (req = requests; req; req = req->next) {
        netsnmp_variable_list *vb = req->requestvb;
        const oid *name = vb->name;
        size_t len = vb->name_length;
        int in = len >= base && !memcmp(name, reginfo->rootoid, base * sizeof(oid));
        const struct issu_hist_event *e;
        oid buf[MAX_OID_LEN];
        struct val v;

        if (req->processed)
            continue;
        if (reqinfo->mode == MODE_GET) {
            if (in && len == base + 2 && name[base] >= 1 && name[base] <= HS_LAST && name[base + 1] == 0 &&
                hist_scalar_value(request_snapshot(reqinfo), (unsigned)name[base], &v))
                set_val(vb, &v);
            else if (in && len == base + 4 && name[base] == HS_TABLE && name[base + 1] == 1 &&
                     name[base + 2] >= 2 && name[base + 2] <= HIST_MAX_COL && name[base + 3] >= 1 &&
                     name[base + 3] <= UINT32_MAX && (e = hist_row((int64_t)name[base + 3] - 1, 1)) &&
                     hist_col_value(e, (unsigned)name[base + 2], &v))
                set_val(vb, &v);
            else if (in && len > base && name[base] >= 1 && name[base] <= HS_TABLE)
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            else
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
        } else if (reqinfo->mode == MODE_GETNEXT) {
            unsigned n = 1, col = 2;
            int64_t after = 0;

            if (!in) {
                if (snmp_oid_compare(name, len, reginfo->rootoid, base) > 0)
                    continue; /* after our subtree */
            } else if (len > base && name[base] >= 1 && name[base] <= HS_LAST) {
                n = (unsigned)name[base] + (len > base + 1); /* at or past n.0: the next one */
            } else if (len > base && name[base] > HS_TABLE) {
                continue;
            } else if (len > base && name[base] == HS_TABLE) {
                n = HS_TABLE;
                if (len > base + 1 && name[base + 1] > 1)
                    continue;
                if (len > base + 2 && name[base + 1] == 1 && name[base + 2] >= 2) {
                    col = (unsigned)name[base + 2];
                    after = len > base + 3 ? (name[base + 3] > UINT32_MAX ? UINT32_MAX : (int64_t)name[base + 3]) : 0;
                }
            }
            if (n <= HS_LAST) {
                if (!hist_scalar_value(request_snapshot(reqinfo), n, &v))
                    continue;
                memcpy(buf, reginfo->rootoid, base * sizeof(oid));
                buf[base] = n;
                buf[base + 1] = 0;
                snmp_set_var_objid(vb, buf, base + 2);
                set_val(vb, &v);
                continue;
            }
            for (e = NULL; col <= HIST_MAX_COL && !(e = hist_row(after, 0)); col++)
                after = 0;
            if (!e || !hist_col_value(e, col, &v))
                continue; /* unanswered: the agent asks the next subtree */
            memcpy(buf, reginfo->rootoid, base * sizeof(oid));
            buf[base] = HS_TABLE;
            buf[base + 1] = 1;
            buf[base + 2] = col;
            buf[base + 3] = (oid)e->id;
            snmp_set_var_objid(vb, buf, base + 4);
            set_val(vb, &v);
        } else {
            netsnmp_set_request_error(reqinfo, req, SNMP_ERR_NOTWRITABLE);
        }
    }
    return SNMP_ERR_NOERROR;
}

/* ---- registration ---- */

#define SLOT_SUMMARY (ISSU_SNMP_T_LAST + 1) /* 0: issuEndpoint, then the tables by arc */
#define SLOT_HISTORY (SLOT_SUMMARY + 1)
static netsnmp_handler_registration *g_regs[SLOT_HISTORY + 1];

static int reg(unsigned slot, const char *name, Netsnmp_Node_Handler *fn, void *myvoid, oid arc,
               int modes)
{
    oid o[MAX_ROOT + 2];
    netsnmp_mib_handler *h;
    netsnmp_handler_registration *r;
    int rc;

    memcpy(o, g.root, g.root_len * sizeof(oid));
    o[g.root_len] = 1; /* issuObjects */
    o[g.root_len + 1] = arc;
    h = netsnmp_create_handler(name, fn);
    if (!h)
        return SNMPERR_MALLOC;
    h->myvoid = myvoid;
    r = netsnmp_handler_registration_create(name, h, o, g.root_len + 2, modes);
    if (!r) {
        netsnmp_handler_free(h);
        return SNMPERR_MALLOC;
    }
    rc = netsnmp_register_handler(r);
    if (rc != MIB_REGISTERED_OK)
        return SNMPERR_GENERR; /* net-snmp freed r on failure */
    g_regs[slot] = r;
    return 0;
}

int issu_snmp_mib_register(const unsigned long *root, size_t root_len,
                           const struct issu_snmp_mib_ops *ops)
{
    static const oid def_root[] = {ISSU_SNMP_ROOT};
    static const char *names[] = {
        [ISSU_SNMP_T_CLIENT] = "issuClientTable",
        [ISSU_SNMP_T_ENTITY] = "issuEntityTable",
        [ISSU_SNMP_T_MSGTYPE] = "issuMsgTypeTable",
        [ISSU_SNMP_T_MSGVER] = "issuMsgVersionTable",
        [ISSU_SNMP_T_SESSION] = "issuSessionTable",
        [ISSU_SNMP_T_NEGVER] = "issuNegVersionTable",
        [ISSU_SNMP_T_NEGCAP] = "issuNegCapTable",
        [ISSU_SNMP_T_CLIENTDEP] = "issuClientDepTable",
    };
    int rc, t;

    if (g.registered || !ops || (root && (!root_len || root_len > MAX_ROOT)))
        return SNMPERR_GENERR;
    if (!root) {
        root = def_root;
        root_len = OID_LENGTH(def_root);
    }
    memcpy(g.root, root, root_len * sizeof(oid));
    g.root_len = root_len;
    g.ops = *ops;
    g.registered = 1;
    rc = reg(0, "issuEndpoint", scalar_handler, (void *)&g_endpoint, g_endpoint.arc,
             ops->renegotiate ? HANDLER_CAN_RWRITE : HANDLER_CAN_RONLY);
    for (t = ISSU_SNMP_T_FIRST; !rc && t <= ISSU_SNMP_T_LAST; t++)
        rc = reg((unsigned)t, names[t], table_handler, (void *)(intptr_t)t, (oid)t,
                 HANDLER_CAN_RONLY);
    if (!rc)
        rc = reg(SLOT_SUMMARY, "issuSummary", scalar_handler, (void *)&g_summary, g_summary.arc,
                 HANDLER_CAN_RONLY);
    if (!rc && ops->hist)
        rc = reg(SLOT_HISTORY, "issuHistory", hist_handler, NULL, 12, HANDLER_CAN_RONLY);
    if (!rc) {
        g.pin_alarm = snmp_alarm_register(1, SA_REPEAT, pins_expire, NULL);
        if (!g.pin_alarm)
            rc = SNMPERR_GENERR;
    }
    if (rc)
        issu_snmp_mib_unregister();
    return rc;
}

void issu_snmp_mib_unregister(void)
{
    unsigned i;

    for (i = 0; i < sizeof(g_regs) / sizeof(g_regs[0]); i++) {
        if (g_regs[i])
            netsnmp_unregister_handler(g_regs[i]);
        g_regs[i] = NULL;
    }
    if (g.pin_alarm)
        snmp_alarm_unregister(g.pin_alarm);
    g.pin_alarm = 0;
    for (i = 0; i < PIN_SLOTS; i++)
        pin_drop(&g_pins[i]);
    memset(&g.stamp, 0, sizeof(g.stamp));
    hist_page_drop();
    g.registered = 0;
}

/* ---- notifications ---- */

static const oid snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

/* Append root.<arcs...> = value. */
static void add_var(netsnmp_variable_list **vars, const oid *arcs, size_t n, const struct val *v)
{
    oid o[MAX_OID_LEN];
    netsnmp_variable_list *vb;

    memcpy(o, g.root, g.root_len * sizeof(oid));
    memcpy(o + g.root_len, arcs, n * sizeof(oid));
    vb = snmp_varlist_add_variable(vars, o, g.root_len + n, ASN_NULL, NULL, 0);
    if (vb)
        set_val(vb, v);
}

static netsnmp_variable_list *notif_start(unsigned which)
{
    netsnmp_variable_list *vars = NULL;
    oid o[MAX_ROOT + 2];

    memcpy(o, g.root, g.root_len * sizeof(oid));
    o[g.root_len] = 0; /* issuNotifications */
    o[g.root_len + 1] = which;
    snmp_varlist_add_variable(&vars, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
                              o, (g.root_len + 2) * sizeof(oid));
    return vars;
}

static void add_scalar(netsnmp_variable_list **vars, const struct issu_snapshot *s, unsigned n)
{
    oid arcs[] = {1, 1, n, 0};
    struct val v;

    if (scalar_value(s, n, &v))
        add_var(vars, arcs, OID_LENGTH(arcs), &v);
}

/* issuEventReason.0 (issuEventObjects is issuObjects.10; accessible-for-notify). */
static void add_reason(netsnmp_variable_list **vars, const char *reason)
{
    oid arcs[] = {1, 10, 1, 0};
    struct val v;

    v_str(&v, reason);
    add_var(vars, arcs, OID_LENGTH(arcs), &v);
}

/* issuSessionResultChanged: the session's row as it is after the event (as
 * it was, with results unknown, when it is gone), the chain of its client
 * when a prerequisite makes it incompatible, the event's reason, the verdict. */
static void notify_session(const struct issu_events *e, const struct issu_event *ev)
{
    static const unsigned cols[] = {SESS_CLIENT_ID, SESS_NAME, SESS_PEER_UNIQUE_ID,
                                    SESS_NEGOTIATED, SESS_RAW, SESS_EFFECTIVE, SESS_REASON};
    const struct issu_snapshot *s = ev->gone ? e->old : e->cur;
    const struct issu_session *ss = issu_snapshot_session(s, ev->sid);
    netsnmp_variable_list *vars;
    struct issu_snmp_row row;
    size_t i, off = 0;
    struct val v;

    if (!ss)
        return;
    vars = notif_start(1);
    memset(&row, 0, sizeof(row));
    row.ss = ss;
    row.cr = ev->gone ? NULL : issu_snapshot_client(s, ss->client_id);
    for (i = 0; i < NELEM(cols); i++) {
        oid arcs[] = {1, ISSU_SNMP_T_SESSION, 1, cols[i], ss->sid};

        col_value(s, ISSU_SNMP_T_SESSION, &row, cols[i], &v);
        if (ev->gone && (cols[i] == SESS_NEGOTIATED || cols[i] == SESS_RAW))
            v_enum(&v, ISSU_RES_UNKNOWN);
        if (ev->gone && cols[i] == SESS_REASON)
            v_str(&v, ev->reason);
        add_var(&vars, arcs, OID_LENGTH(arcs), &v);
    }
    add_scalar(&vars, e->cur, SC_VERDICT);
    {
        oid arcs[] = {1, ISSU_SNMP_T_CLIENT, 1, 11, ss->client_id}; /* issuClientChain */

        g.buf[0] = '\0';
        for (i = 0; i < ev->n_chain && off < sizeof(g.buf); i++) {
            int n = snprintf(g.buf + off, sizeof(g.buf) - off, "%s%u", i ? " " : "", ev->chain[i]);
            if (n < 0)
                break;
            off += (size_t)n;
        }
        v_str(&v, g.buf);
        add_var(&vars, arcs, OID_LENGTH(arcs), &v);
    }
    add_reason(&vars, ev->reason);
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

/* issuPeerStateChanged: the peer lost or back, as the event names it. */
static void notify_peer(const struct issu_events *e, const struct issu_event *ev)
{
    netsnmp_variable_list *vars = notif_start(3);
    oid st[] = {1, 1, SC_PEER_STATE, 0}, uid[] = {1, 1, SC_PEER_UNIQUE_ID, 0};
    oid nm[] = {1, 1, SC_PEER_IMAGE_NAME, 0}, ver[] = {1, 1, SC_PEER_IMAGE_VERSION, 0};
    struct val v;

    v_enum(&v, ev->peer_state);
    add_var(&vars, st, OID_LENGTH(st), &v);
    v_uint(&v, ASN_UNSIGNED, ev->peer_unique_id);
    add_var(&vars, uid, OID_LENGTH(uid), &v);
    v_str(&v, ev->peer_image_name);
    add_var(&vars, nm, OID_LENGTH(nm), &v);
    v_str(&v, ev->peer_image_version);
    add_var(&vars, ver, OID_LENGTH(ver), &v);
    add_scalar(&vars, e->cur, SC_VERDICT);
    add_reason(&vars, ev->reason);
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

static void notify_verdict(const struct issu_events *e, const struct issu_event *ev)
{
    static const unsigned sc[] = {SC_VERDICT, SC_VERDICT_REASON, SC_IMAGE_NAME,
                                  SC_IMAGE_VERSION, SC_PEER_IMAGE_NAME,
                                  SC_PEER_IMAGE_VERSION, SC_PEER_STATE,
                                  SC_NEGOTIATION_COUNT};
    netsnmp_variable_list *vars = notif_start(2);
    size_t i;

    for (i = 0; i < NELEM(sc); i++)
        add_scalar(&vars, e->cur, sc[i]);
    add_reason(&vars, ev->reason);
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

unsigned issu_snmp_mib_notify(const struct issu_events *e)
{
    unsigned sent = 0, dropped = 0;
    uint32_t i;

    if (!e || !e->cur || !g.registered)
        return 0;
    for (i = 0; i < e->n; i++) {
        const struct issu_event *ev = &e->ev[i];

        switch (ev->kind) {
        case ISSU_EV_SESSION:
            if (sent >= ISSU_SNMP_MAX_SESSION_NOTIFS) {
                dropped++;
                break;
            }
            notify_session(e, ev);
            sent++;
            break;
        case ISSU_EV_PEER_LOST:
        case ISSU_EV_PEER_BACK:
            notify_peer(e, ev);
            break;
        case ISSU_EV_VERDICT:
            notify_verdict(e, ev);
            break;
        }
    }
    return dropped;
}
