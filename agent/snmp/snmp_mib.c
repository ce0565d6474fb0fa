/*
 * snmp_mib.c - ISSU-NEGOTIATION-MIB served from snapshots: the one source of
 * every value, and the net-snmp handlers over it.
 *
 * groups[] lists the subtrees under issuObjects; issu_snmp_mib_get/next/set_*
 * answer from it on whole OIDs, without net-snmp, for issud's own AgentX
 * subagent (agentx_dispatch.c); the net-snmp handlers below (used by the
 * net-snmp subagent and the dlmod anchor) call the same group functions.
 * Each SNMP request reads ONE snapshot, so every varbind of a GET, GETNEXT
 * or GETBULK sees the same negotiation state. net-snmp's AgentX master (5.9)
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
_Static_assert(ISSU_SNMP_INTEGER == ASN_INTEGER && ISSU_SNMP_OCTETS == ASN_OCTET_STR &&
               ISSU_SNMP_OID == ASN_OBJECT_ID && ISSU_SNMP_COUNTER32 == ASN_COUNTER &&
               ISSU_SNMP_GAUGE32 == ASN_UNSIGNED && ISSU_SNMP_TIMETICKS == ASN_TIMETICKS && ISSU_SNMP_COUNTER64 == ASN_COUNTER64,
               "value types are BER's");
_Static_assert(ISSU_SNMP_ERR_WRONGTYPE == SNMP_ERR_WRONGTYPE &&
               ISSU_SNMP_ERR_NOTWRITABLE == SNMP_ERR_NOTWRITABLE &&
               ISSU_SNMP_ERR_COMMITFAILED == SNMP_ERR_COMMITFAILED, "SNMP error codes");

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
    unsigned long root[MAX_ROOT];
    size_t root_len;
    struct issu_snmp_mib_ops ops;
    uint32_t last_renegotiate;
    int registered;
    unsigned pin_alarm;
    struct issu_snmp_stamp stamp; /* issuLastChange, converted once per change */
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

/* Only the fields a value uses: buf stays as it is (no 256-byte clear per value). */
static void v_clear(struct issu_snmp_val *v)
{
    v->type = ISSU_SNMP_NULL;
    v->num = 0;
    v->str = NULL;
    v->len = 0;
    v->oid = NULL;
    v->u64 = 0;
}

static void v_uint(struct issu_snmp_val *v, uint8_t type, uint32_t n)
{
    v->type = type;
    v->num = n;
}

static void v_enum(struct issu_snmp_val *v, unsigned n)
{
    v->type = ISSU_SNMP_INTEGER;
    v->num = n;
}

static void v_bool(struct issu_snmp_val *v, int b)
{
    v_enum(v, b ? 1 : 2); /* TruthValue */
}

/* DisplayString: at most 255 octets. */
static void v_str(struct issu_snmp_val *v, const char *s)
{
    v->type = ISSU_SNMP_OCTETS;
    v->str = s ? s : "";
    v->len = strlen(v->str);
    if (v->len > 255)
        v->len = 255;
}

/* A chain as "id id ...", into buf (256 octets). */
static const char *chain_text(const uint32_t *chain, uint32_t n, char *buf)
{
    size_t off = 0;
    uint32_t i;

    buf[0] = '\0';
    for (i = 0; chain && i < n && off < 256; i++) {
        int k = snprintf(buf + off, 256 - off, "%s%u", i ? " " : "", chain[i]);
        if (k < 0)
            break;
        off += (size_t)k;
    }
    return buf;
}

/* Result of a client as seen by its dependants: UNKNOWN when absent. */
static unsigned res_or_unknown(const struct issu_client_result *c, int effective)
{
    if (!c)
        return ISSU_RES_UNKNOWN;
    return effective ? c->effective : c->result;
}

static int col_value(const struct issu_snapshot *s, enum issu_snmp_table t,
                     const struct issu_snmp_row *r, unsigned col, struct issu_snmp_val *v)
{
    v_clear(v);
    switch (t) {
    case ISSU_SNMP_T_CLIENT: {
        const struct issu_client_result *c = r->cr;
        switch (col) {
        case 2: v_str(v, c->name); return 1;
        case 3: v_bool(v, c->base); return 1;
        case 4: v_bool(v, c->optional); return 1;
        case 5: v_enum(v, c->presence); return 1;
        case 6: v_uint(v, ISSU_SNMP_GAUGE32, c->entity_count); return 1;
        case 7: v_enum(v, c->result); return 1;
        case 8: v_enum(v, c->effective); return 1;
        case 9: v_bool(v, c->counts); return 1;
        case 10: v_str(v, c->reason); return 1;
        case 11: v_str(v, c->effective == ISSU_RES_INCOMPATIBLE ? chain_text(c->chain, c->n_chain, v->buf) : ""); return 1;
        case 12: v_uint(v, ISSU_SNMP_GAUGE32, c->n_sessions); return 1;
        }
        return 0;
    }
    case ISSU_SNMP_T_ENTITY:
        switch (col) {
        case 2: v_str(v, r->ent->session_name); return 1;
        case 3: v_uint(v, ISSU_SNMP_GAUGE32, r->ent->msg_group); return 1;
        case 4: v_uint(v, ISSU_SNMP_GAUGE32, r->ent->cap_group); return 1;
        case 5: v_uint(v, ISSU_SNMP_GAUGE32, r->ss ? r->ss->sid : 0); return 1;
        case 6:
            v_uint(v, ISSU_SNMP_GAUGE32, r->ent->transport_mtu ? r->ent->transport_mtu
                                                          : s->image->transport_mtu);
            return 1;
        }
        return 0;
    case ISSU_SNMP_T_MSGTYPE:
        switch (col) {
        case 2: v_uint(v, ISSU_SNMP_GAUGE32, issu_msg_type_low(r->mt)); return 1;
        case 3: v_uint(v, ISSU_SNMP_GAUGE32, issu_msg_type_high(r->mt)); return 1;
        }
        return 0;
    case ISSU_SNMP_T_MSGVER:
        if (col == 2) {
            v_uint(v, ISSU_SNMP_GAUGE32, r->mv->mtu);
            return 1;
        }
        return 0;
    case ISSU_SNMP_T_SESSION: {
        const struct issu_session *ss = r->ss;
        switch (col) {
        case 2: v_str(v, ss->name); return 1;
        case 3: v_uint(v, ISSU_SNMP_GAUGE32, ss->client_id); return 1;
        case 4: v_uint(v, ISSU_SNMP_GAUGE32, ss->entity_id); return 1;
        case 5: v_uint(v, ISSU_SNMP_GAUGE32, ss->peer_unique_id); return 1;
        case 6: v_uint(v, ISSU_SNMP_GAUGE32, ss->peer_sid); return 1;
        case 7: v_enum(v, ss->role); return 1;
        case 8: v_enum(v, ss->result); return 1;
        case 9: v_enum(v, ss->raw_result); return 1;
        case 10: v_bool(v, ss->has_policy); return 1;
        case 11: v_uint(v, ISSU_SNMP_GAUGE32, ss->cap_group); return 1;
        case 12: v_uint(v, ISSU_SNMP_GAUGE32, ss->msg_group); return 1;
        case 13: v_uint(v, ISSU_SNMP_GAUGE32, ss->signature); return 1;
        case 14: v_uint(v, ISSU_SNMP_GAUGE32, ss->nego_sid); return 1;
        case 15: v_str(v, ss->nego_name); return 1;
        case 16: v_uint(v, ISSU_SNMP_GAUGE32, ss->transport_mtu); return 1;
        case 17: v_enum(v, res_or_unknown(r->cr, 1)); return 1;
        case 18: v_str(v, ss->reason); return 1;
        }
        return 0;
    }
    case ISSU_SNMP_T_NEGVER:
        switch (col) {
        case 2: v_uint(v, ISSU_SNMP_GAUGE32, r->nv->version); return 1;
        case 3: v_uint(v, ISSU_SNMP_GAUGE32, r->nv->mtu); return 1;
        }
        return 0;
    case ISSU_SNMP_T_NEGCAP:
        switch (col) {
        case 2: v_uint(v, ISSU_SNMP_GAUGE32, r->nc->result ? 1 : 0); return 1;
        case 3: v_bool(v, r->nc->has_entry); return 1;
        case 4: v_uint(v, ISSU_SNMP_GAUGE32, r->nc->has_entry ? r->nc->entry : 0); return 1;
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
static uint32_t last_change_ticks(const struct issu_snapshot *s)
{
    struct timespec now;
    int64_t base;
    uint32_t up;

    clock_gettime(CLOCK_MONOTONIC, &now); /* net-snmp's uptime clock too */
    up = g.ops.uptime ? g.ops.uptime(g.ops.arg) : (uint32_t)netsnmp_get_agent_uptime();
    base = issu_snmp_mono_cs(&now) - (int64_t)up;
    return issu_snmp_stamp_ticks(&g.stamp, &s->last_change_mono, base);
}

static int scalar_value(const struct issu_snapshot *s, unsigned n, struct issu_snmp_val *v)
{
    v_clear(v);
    switch (n) {
    case SC_LOCAL_UNIQUE_ID: v_uint(v, ISSU_SNMP_GAUGE32, s->unique_id); return 1;
    case SC_LOCAL_SIDE: v_enum(v, s->side); return 1;
    case SC_LOCAL_ROLE: v_enum(v, s->role); return 1;
    case SC_IMAGE_NAME: v_str(v, s->image_name); return 1;
    case SC_IMAGE_VERSION: v_str(v, s->image_version); return 1;
    case SC_PEER_UNIQUE_ID: v_uint(v, ISSU_SNMP_GAUGE32, s->peer_unique_id); return 1;
    case SC_PEER_IMAGE_NAME: v_str(v, s->peer_image_name); return 1;
    case SC_PEER_IMAGE_VERSION: v_str(v, s->peer_image_version); return 1;
    case SC_PEER_STATE: v_enum(v, s->peer_state); return 1;
    case SC_VERDICT: v_enum(v, s->verdict); return 1;
    case SC_VERDICT_REASON: v_str(v, s->verdict_reason); return 1;
    case SC_NEGOTIATION_COUNT: v_uint(v, ISSU_SNMP_COUNTER32, (uint32_t)s->negotiations); return 1;
    case SC_RESULT_CHANGE_COUNT: v_uint(v, ISSU_SNMP_COUNTER32, (uint32_t)s->results_changed); return 1;
    case SC_LAST_CHANGE: v_uint(v, ISSU_SNMP_TIMETICKS, last_change_ticks(s)); return 1;
    case SC_RENEGOTIATE: v_uint(v, ISSU_SNMP_GAUGE32, g.last_renegotiate); return 1;
    case SC_STATE_GENERATION: v_uint(v, ISSU_SNMP_COUNTER32, (uint32_t)s->generation); return 1;
    case SC_RENEGOTIATE_STATUS:
        v_enum(v, g.ops.renegotiate_status ? (unsigned)g.ops.renegotiate_status(g.ops.arg)
                                           : ISSU_SNMP_RENEG_NONE);
        return 1;
    }
    return 0;
}

/* issuSummary: the snapshot's counts (issu_snapshot_summarize, the same the
 * NETCONF state's summary shows). */
static int summary_value(const struct issu_snapshot *s, unsigned n, struct issu_snmp_val *v)
{
    const struct issu_summary *m = &s->summary;

    v_clear(v);
    switch (n) {
    case SU_CLIENTS_TOTAL: v_uint(v, ISSU_SNMP_GAUGE32, m->clients_total); return 1;
    case SU_CLIENTS_COMPATIBLE: v_uint(v, ISSU_SNMP_GAUGE32, m->clients_compatible); return 1;
    case SU_CLIENTS_INCOMPATIBLE: v_uint(v, ISSU_SNMP_GAUGE32, m->clients_incompatible); return 1;
    case SU_CLIENTS_EFF_INCOMPATIBLE: v_uint(v, ISSU_SNMP_GAUGE32, m->clients_eff_incompatible); return 1;
    case SU_BASE_INCOMPATIBLE: v_uint(v, ISSU_SNMP_GAUGE32, m->base_incompatible); return 1;
    case SU_SESSIONS_TOTAL: v_uint(v, ISSU_SNMP_GAUGE32, m->sessions_total); return 1;
    case SU_SESSIONS_INCOMPATIBLE: v_uint(v, ISSU_SNMP_GAUGE32, m->sessions_incompatible); return 1;
    case SU_SESSIONS_UNKNOWN: v_uint(v, ISSU_SNMP_GAUGE32, m->sessions_unknown); return 1;
    case SU_SWITCHOVER_READY: v_bool(v, issu_snapshot_switchover_ready(s)); return 1;
    }
    return 0;
}

/* ---- issuHistory (issuObjects.12): scalars 1..7, issuHistoryTable 8 ---- */

#define HIST_ARC 12
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
    if (g_hp.r && g.ops.hist)
        g.ops.hist->result_free(g_hp.r);
    memset(&g_hp, 0, sizeof(g_hp));
}

/* DateAndTime (RFC 2579), 11 octets, UTC, into v->buf. */
static void v_date(struct issu_snmp_val *v, int64_t ns)
{
    time_t sec = (time_t)(ns / 1000000000);
    struct tm tm;
    unsigned char *b = (unsigned char *)v->buf;

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
    v->type = ISSU_SNMP_OCTETS;
    v->str = v->buf;
    v->len = 11;
}

/* The totals as of the request's snapshot (the store's at start plus its
 * counters), as issu-state/history shows them; the rest as stored. */
static int hist_scalar_value(const struct issu_snapshot *s, unsigned n, struct issu_snmp_val *v)
{
    struct issu_hist_stats st;
    uint64_t nego = 0, changed = 0;

    v_clear(v);
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
    case HS_NEGO_TOTAL: v->type = ISSU_SNMP_COUNTER64; v->u64 = st.negotiations_total; return 1;
    case HS_CHANGED_TOTAL: v->type = ISSU_SNMP_COUNTER64; v->u64 = st.results_changed_total; return 1;
    case HS_DISC_TIME: v_date(v, st.since_ns); return 1;
    case HS_EVENTS:
        v_uint(v, ISSU_SNMP_GAUGE32, (uint32_t)(st.events_stored > UINT32_MAX ? UINT32_MAX : st.events_stored));
        return 1;
    case HS_LAST_ID: v_uint(v, ISSU_SNMP_GAUGE32, (uint32_t)st.last_event_id); return 1;
    case HS_DROPPED: v_uint(v, ISSU_SNMP_COUNTER32, (uint32_t)st.rounds_dropped); return 1;
    }
    return 0;
}

static int hist_col_value(const struct issu_hist_event *e, unsigned col, struct issu_snmp_val *v)
{
    int session = e->kind == ISSU_EV_SESSION;

    v_clear(v);
    switch (col) {
    case 2: v_date(v, e->time_ns); return 1;
    case 3: v_uint(v, ISSU_SNMP_GAUGE32, (uint32_t)e->round); return 1;
    case 4: v_enum(v, e->trigger); return 1;
    case 5: v_enum(v, e->kind); return 1;
    case 6: v_uint(v, ISSU_SNMP_GAUGE32, session ? e->sid : 0); return 1;
    case 7: v_uint(v, ISSU_SNMP_GAUGE32, session ? e->client_id : 0); return 1;
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

/* GET under issuHistory (name[base] is the arc after issuHistory): 0 or the exception. */
static int hist_get(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                    size_t base, struct issu_snmp_val *v)
{
    const struct issu_hist_event *e;

    if (!g.ops.hist)
        return ISSU_SNMP_NOSUCHOBJECT;
    if (len == base + 2 && name[base] >= 1 && name[base] <= HS_LAST && name[base + 1] == 0 &&
        hist_scalar_value(s, (unsigned)name[base], v))
        return 0;
    if (len == base + 4 && name[base] == HS_TABLE && name[base + 1] == 1 && name[base + 2] >= 2 &&
        name[base + 2] <= HIST_MAX_COL && name[base + 3] >= 1 && name[base + 3] <= UINT32_MAX &&
        (e = hist_row((int64_t)name[base + 3] - 1, 1)) && hist_col_value(e, (unsigned)name[base + 2], v))
        return 0;
    if (len > base && name[base] >= 1 && name[base] <= HS_TABLE)
        return ISSU_SNMP_NOSUCHINSTANCE;
    return ISSU_SNMP_NOSUCHOBJECT;
}

/* GETNEXT under issuHistory: out holds the group's root (base arcs). 1 found, 0 none. */
static int hist_next(const struct issu_snapshot *s, const unsigned long *name, size_t len, int in,
                     size_t base, unsigned long *out, size_t *out_len, struct issu_snmp_val *v)
{
    const struct issu_hist_event *e;
    unsigned n = 1, col = 2;
    int64_t after = 0;

    if (!g.ops.hist)
        return 0;
    if (!in) {
        /* before the group: its first object */
    } else if (len > base && name[base] >= 1 && name[base] <= HS_LAST) {
        n = (unsigned)name[base] + (len > base + 1); /* at or past n.0: the next one */
    } else if (len > base && name[base] > HS_TABLE) {
        return 0;
    } else if (len > base && name[base] == HS_TABLE) {
        n = HS_TABLE;
        if (len > base + 1 && name[base + 1] > 1)
            return 0;
        if (len > base + 2 && name[base + 1] == 1 && name[base + 2] >= 2) {
            col = name[base + 2] > HIST_MAX_COL ? HIST_MAX_COL + 1 : (unsigned)name[base + 2];
            after = len > base + 3 ? (name[base + 3] > UINT32_MAX ? UINT32_MAX : (int64_t)name[base + 3]) : 0;
        }
    }
    if (n <= HS_LAST) {
        if (!hist_scalar_value(s, n, v))
            return 0;
        out[base] = n;
        out[base + 1] = 0;
        *out_len = base + 2;
        return 1;
    }
    for (e = NULL; col <= HIST_MAX_COL && !(e = hist_row(after, 0)); col++)
        after = 0;
    if (!e || !hist_col_value(e, col, v))
        return 0;
    out[base] = HS_TABLE;
    out[base + 1] = 1;
    out[base + 2] = col;
    out[base + 3] = (unsigned long)e->id;
    *out_len = base + 4;
    return 1;
}

/* ---- the groups under issuObjects: add an object here and both carriers serve it ---- */

struct group {
    unsigned arc;                 /* issuObjects.arc */
    const char *name;
    /* scalar group: value of scalar n (1..last), 0 when it has none */
    int (*scalar)(const struct issu_snapshot *s, unsigned n, struct issu_snmp_val *v);
    unsigned last;
    enum issu_snmp_table table;   /* table group (scalar, get NULL) */
    /* a group of its own shape (issuHistory: scalars and a table not in the
     * snapshot); base is the length of the group's root */
    int (*get)(const struct issu_snapshot *s, const unsigned long *name, size_t len, size_t base,
               struct issu_snmp_val *v);
    int (*next)(const struct issu_snapshot *s, const unsigned long *name, size_t len, int in,
                size_t base, unsigned long *out, size_t *out_len, struct issu_snmp_val *v);
};

#define TABLE_GROUP(t, nm) {.arc = (t), .name = (nm), .table = (t)}
/* In the order of their arcs. */
static const struct group groups[] = {
    {.arc = 1, .name = "issuEndpoint", .scalar = scalar_value, .last = SC_LAST},
    TABLE_GROUP(ISSU_SNMP_T_CLIENT, "issuClientTable"),
    TABLE_GROUP(ISSU_SNMP_T_ENTITY, "issuEntityTable"),
    TABLE_GROUP(ISSU_SNMP_T_MSGTYPE, "issuMsgTypeTable"),
    TABLE_GROUP(ISSU_SNMP_T_MSGVER, "issuMsgVersionTable"),
    TABLE_GROUP(ISSU_SNMP_T_SESSION, "issuSessionTable"),
    TABLE_GROUP(ISSU_SNMP_T_NEGVER, "issuNegVersionTable"),
    TABLE_GROUP(ISSU_SNMP_T_NEGCAP, "issuNegCapTable"),
    TABLE_GROUP(ISSU_SNMP_T_CLIENTDEP, "issuClientDepTable"),
    {.arc = SUMMARY_ARC, .name = "issuSummary", .scalar = summary_value, .last = SU_LAST},
    {.arc = HIST_ARC, .name = "issuHistory", .get = hist_get, .next = hist_next},
};
#define N_GROUPS NELEM(groups)
/* The writable object: issuRenegotiate.0 in issuEndpoint. */
#define RENEG_GROUP 0

/* Is group gi served (issuHistory only with a history)? */
static int group_served(size_t gi)
{
    return groups[gi].arc != HIST_ARC || g.ops.hist;
}

static int oid_cmp(const unsigned long *a, size_t alen, const unsigned long *b, size_t blen)
{
    size_t i, n = alen < blen ? alen : blen;

    for (i = 0; i < n; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}

/* root.1.arc of group gi into o; its length. */
static size_t group_root(size_t gi, unsigned long *o)
{
    memcpy(o, g.root, g.root_len * sizeof(*o));
    o[g.root_len] = 1; /* issuObjects */
    o[g.root_len + 1] = groups[gi].arc;
    return g.root_len + 2;
}

/* Does name lie in group gi (at or under its root)? */
static int in_group(size_t gi, const unsigned long *name, size_t len)
{
    size_t base = g.root_len + 2;

    return len >= base && !memcmp(name, g.root, g.root_len * sizeof(*name)) &&
           name[g.root_len] == 1 && name[g.root_len + 1] == groups[gi].arc;
}

/* GET of a name inside group gi: 0 or the exception. */
static int group_get(const struct issu_snapshot *s, size_t gi, const unsigned long *name,
                     size_t len, struct issu_snmp_val *v)
{
    const struct group *gr = &groups[gi];
    size_t base = g.root_len + 2;

    if (gr->get)
        return gr->get(s, name, len, base, v);
    if (gr->scalar) {
        unsigned long n = len > base ? name[base] : 0;

        if (n < 1 || n > gr->last)
            return ISSU_SNMP_NOSUCHOBJECT;
        if (len != base + 2 || name[base + 1] != 0 || !s || !gr->scalar(s, (unsigned)n, v))
            return ISSU_SNMP_NOSUCHINSTANCE;
        return 0;
    } else {
        struct issu_snmp_row row;
        unsigned long col = len > base + 1 ? name[base + 1] : 0;

        if (len < base + 2 || name[base] != 1 || col < 2 || col > table_max_col(gr->table))
            return ISSU_SNMP_NOSUCHOBJECT;
        if (!s || !issu_snmp_row_get(s, gr->table, name + base + 2, len - base - 2, &row) ||
            !col_value(s, gr->table, &row, (unsigned)col, v))
            return ISSU_SNMP_NOSUCHINSTANCE;
        return 0;
    }
}

/* First instance after (col, idx) in table t, moving on to later columns. */
static int table_next(const struct issu_snapshot *s, enum issu_snmp_table t, unsigned col,
                      const unsigned long *idx, size_t idx_len, unsigned *out_col,
                      struct issu_snmp_row *row)
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

/* GETNEXT in group gi: the first instance of the group after name (which
 * may lie before the group: then its first). 1 found (out, v), 0 none. */
static int group_next(const struct issu_snapshot *s, size_t gi, const unsigned long *name,
                      size_t len, unsigned long *out, size_t *out_len, struct issu_snmp_val *v)
{
    const struct group *gr = &groups[gi];
    size_t base = group_root(gi, out);
    int in = in_group(gi, name, len);

    if (!in && oid_cmp(name, len, out, base) > 0)
        return 0; /* after the group */
    if (gr->next)
        return gr->next(s, name, len, in, base, out, out_len, v);
    if (!s)
        return 0;
    if (gr->scalar) {
        unsigned long n = 1;

        if (in && len > base) {
            if (name[base] > gr->last)
                return 0;
            n = name[base];
            if (n < 1)
                n = 1;
            else if (len > base + 1)
                n++; /* at or past n.0: the next scalar */
        }
        for (; n <= gr->last; n++) {
            if (gr->scalar(s, (unsigned)n, v)) {
                out[base] = n;
                out[base + 1] = 0;
                *out_len = base + 2;
                return 1;
            }
        }
        return 0;
    } else {
        unsigned col = 0, out_col, i, depth = issu_snmp_table_depth(gr->table);
        const unsigned long *idx = NULL;
        size_t idx_len = 0, n;
        struct issu_snmp_row row;

        if (in && len > base) {
            if (name[base] > 1)
                return 0; /* past the table */
            if (name[base] == 1 && len > base + 1) {
                if (name[base + 1] > table_max_col(gr->table))
                    return 0;
                col = (unsigned)name[base + 1];
                idx = name + base + 2;
                idx_len = len - base - 2;
            }
        }
        if (!table_next(s, gr->table, col, idx, idx_len, &out_col, &row) ||
            !col_value(s, gr->table, &row, out_col, v))
            return 0;
        n = base;
        out[n++] = 1;
        out[n++] = out_col;
        for (i = 0; i < depth; i++)
            out[n++] = row.idx[i];
        *out_len = n;
        return 1;
    }
}

int issu_snmp_mib_get(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                      struct issu_snmp_val *v)
{
    size_t gi;

    for (gi = 0; g.registered && gi < N_GROUPS; gi++)
        if (in_group(gi, name, len))
            return group_get(s, gi, name, len, v);
    return ISSU_SNMP_NOSUCHOBJECT;
}

int issu_snmp_mib_next(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                       int include, unsigned long *out, size_t *out_len, struct issu_snmp_val *v)
{
    size_t gi = 0;

    if (!g.registered || len > ISSU_SNMP_MAX_OID)
        return 0;
    if (include && issu_snmp_mib_get(s, name, len, v) == 0) {
        memcpy(out, name, len * sizeof(*out));
        *out_len = len;
        return 1;
    }
    /* A walk's names lie in some group: the groups before it have nothing after them. */
    if (len > g.root_len + 1 && name[g.root_len] == 1 &&
        !memcmp(name, g.root, g.root_len * sizeof(*name)))
        while (gi < N_GROUPS && groups[gi].arc < name[g.root_len + 1])
            gi++;
    for (; gi < N_GROUPS; gi++)
        if (group_next(s, gi, name, len, out, out_len, v))
            return 1;
    return 0;
}

size_t issu_snmp_mib_subtree(size_t i, unsigned long *out, size_t max)
{
    size_t gi;

    if (!g.registered || max < g.root_len + 2)
        return 0;
    for (gi = 0; gi < N_GROUPS; gi++)
        if (group_served(gi) && i-- == 0)
            return group_root(gi, out);
    return 0;
}

/* ---- SET: issuRenegotiate.0, the one writable object ---- */

/* 0 not the scalar group, else the scalar number (0 also for a bad one), exact: n.0 */
static unsigned set_target(const unsigned long *name, size_t len, int *exact)
{
    size_t base = g.root_len + 2;

    *exact = 0;
    if (!in_group(RENEG_GROUP, name, len) || len <= base || name[base] > SC_LAST)
        return 0;
    *exact = len == base + 2 && name[base + 1] == 0;
    return (unsigned)name[base];
}

int issu_snmp_mib_set_test(const unsigned long *name, size_t len, uint8_t type)
{
    int exact;
    unsigned n = set_target(name, len, &exact);
    size_t gi;

    if (!in_group(RENEG_GROUP, name, len)) {
        for (gi = 0; gi < N_GROUPS; gi++)
            if (in_group(gi, name, len))
                return ISSU_SNMP_ERR_NOTWRITABLE; /* a read-only table or group */
        return ISSU_SNMP_ERR_NOCREATION;
    }
    if (!exact || n < 1 || n > SC_LAST)
        return ISSU_SNMP_ERR_NOCREATION;
    if (n != SC_RENEGOTIATE || !g.ops.renegotiate)
        return ISSU_SNMP_ERR_NOTWRITABLE;
    if (type != ISSU_SNMP_GAUGE32)
        return ISSU_SNMP_ERR_WRONGTYPE;
    return ISSU_SNMP_ERR_NOERROR;
}

int issu_snmp_mib_set_value(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                            uint32_t id)
{
    (void)name;
    (void)len;
    if (!s)
        return ISSU_SNMP_ERR_RESOURCEUNAVAILABLE;
    if (id && !issu_snapshot_client(s, id))
        return ISSU_SNMP_ERR_WRONGVALUE;
    if (s->peer_state == ISSU_PEER_DOWN)
        return ISSU_SNMP_ERR_INCONSISTENTVALUE;
    if (g.ops.renegotiate_status && g.ops.renegotiate_status(g.ops.arg) == ISSU_SNMP_RENEG_RUNNING)
        return ISSU_SNMP_ERR_INCONSISTENTVALUE; /* one requested round at a time */
    return ISSU_SNMP_ERR_NOERROR;
}

int issu_snmp_mib_set_commit(const unsigned long *name, size_t len, uint32_t id)
{
    int rc;

    (void)name;
    (void)len;
    if (!g.ops.renegotiate)
        return ISSU_SNMP_ERR_NOTWRITABLE;
    /* Only starts the round (issuRenegotiateStatus follows it): a
     * 10,000-session round takes longer than the master's agentXTimeout,
     * which then drops the subagent. */
    rc = g.ops.renegotiate(g.ops.arg, id);
    if (rc == ISSU_ERR_NOTFOUND)
        return ISSU_SNMP_ERR_WRONGVALUE;
    if (rc == ISSU_ERR_PROTO)
        return ISSU_SNMP_ERR_INCONSISTENTVALUE;
    if (rc != ISSU_OK)
        return ISSU_SNMP_ERR_COMMITFAILED;
    g.last_renegotiate = id;
    return ISSU_SNMP_ERR_NOERROR;
}

/* ---- snapshot pins ---- */

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)(b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000;
}

static unsigned g_pin_last; /* the slot found last: a walk's next PDU is its own */

/* Coarse: pins idle out after seconds, and this is read on every PDU. */
static void pin_now(struct timespec *t)
{
    clock_gettime(CLOCK_MONOTONIC_COARSE, t);
}

static void pin_drop(struct pin *p)
{
    issu_snapshot_unref(p->snap);
    memset(p, 0, sizeof(*p));
}

void issu_snmp_mib_pins_expire(void)
{
    struct timespec now;
    unsigned i;

    pin_now(&now);
    for (i = 0; i < PIN_SLOTS; i++)
        if (g_pins[i].snap && ms_between(&g_pins[i].used, &now) > PIN_IDLE_MS)
            pin_drop(&g_pins[i]);
}

struct issu_snapshot *issu_snmp_mib_pin(long sessid, long transid)
{
    struct pin *p, *lru = NULL;
    struct timespec now;
    unsigned i;

    if (!g.ops.snapshot)
        return NULL;
    pin_now(&now);
    p = &g_pins[g_pin_last];
    if (p->snap && p->sessid == sessid && p->transid == transid &&
        ms_between(&p->used, &now) <= PIN_IDLE_MS) {
        p->used = now;
        return issu_snapshot_ref(p->snap);
    }
    for (i = 0; i < PIN_SLOTS; i++) {
        p = &g_pins[i];
        if (p->snap && ms_between(&p->used, &now) > PIN_IDLE_MS)
            pin_drop(p);
        if (p->snap && p->sessid == sessid && p->transid == transid) {
            p->used = now;
            g_pin_last = i;
            return issu_snapshot_ref(p->snap);
        }
        if (!lru || (lru->snap && (!p->snap || ms_between(&p->used, &lru->used) > 0)))
            lru = p;
    }
    p = lru;
    pin_drop(p);
    p->snap = g.ops.snapshot(g.ops.arg);
    if (!p->snap)
        return NULL;
    p->sessid = sessid;
    p->transid = transid;
    p->used = now;
    g_pin_last = (unsigned)(p - g_pins);
    return issu_snapshot_ref(p->snap);
}

int issu_snmp_mib_init(const unsigned long *root, size_t root_len,
                       const struct issu_snmp_mib_ops *ops)
{
    static const unsigned long def_root[] = {ISSU_SNMP_ROOT};

    if (g.registered || !ops || (root && (!root_len || root_len > MAX_ROOT)))
        return ISSU_ERR_INVAL;
    if (!root) {
        root = def_root;
        root_len = NELEM(def_root);
    }
    memcpy(g.root, root, root_len * sizeof(*root));
    g.root_len = root_len;
    g.ops = *ops;
    g.registered = 1;
    return ISSU_OK;
}

void issu_snmp_mib_fini(void)
{
    unsigned i;

    for (i = 0; i < PIN_SLOTS; i++)
        pin_drop(&g_pins[i]);
    hist_page_drop();
    memset(&g.stamp, 0, sizeof(g.stamp));
    g.registered = 0;
}

/* ---- net-snmp handlers over the groups ---- */

static void set_val(netsnmp_variable_list *vb, const struct issu_snmp_val *v)
{
    if (v->type == ISSU_SNMP_COUNTER64) {
        struct counter64 c = {.high = (u_long)(v->u64 >> 32), .low = (u_long)(v->u64 & 0xffffffffUL)};
        snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof(c));
    } else if (v->type == ISSU_SNMP_OCTETS) {
        snmp_set_var_typed_value(vb, ASN_OCTET_STR, v->str, v->len);
    } else if (v->type == ISSU_SNMP_OID) {
        snmp_set_var_typed_value(vb, ASN_OBJECT_ID, v->oid, v->len * sizeof(oid));
    } else if (v->type == ISSU_SNMP_INTEGER) {
        long l = (long)(int32_t)v->num;
        snmp_set_var_typed_value(vb, ASN_INTEGER, &l, sizeof(l));
    } else {
        u_long u = v->num;
        snmp_set_var_typed_value(vb, v->type, &u, sizeof(u));
    }
}

static void snap_free(void *p)
{
    issu_snapshot_unref(p);
}

/* Alarm (SNMP thread): end idle pins, so no old snapshot is held for long. */
static void pins_alarm(unsigned int reg, void *arg)
{
    (void)reg;
    (void)arg;
    issu_snmp_mib_pins_expire();
}

/* The request's snapshot: taken once, shared by all its varbinds and handlers
 * and by the other AgentX PDUs of the same SNMP request. */
static const struct issu_snapshot *request_snapshot(netsnmp_agent_request_info *reqinfo)
{
    struct issu_snapshot *s = netsnmp_agent_get_list_data(reqinfo, SNAP_KEY);
    netsnmp_pdu *pdu = reqinfo->asp ? reqinfo->asp->pdu : NULL;

    if (s || !g.ops.snapshot)
        return s;
    s = pdu ? issu_snmp_mib_pin(pdu->sessid, pdu->transid) : g.ops.snapshot(g.ops.arg);
    if (s)
        netsnmp_agent_add_list_data(reqinfo, netsnmp_create_data_list(SNAP_KEY, s, snap_free));
    return s;
}

static int group_handler(netsnmp_mib_handler *handler, netsnmp_handler_registration *reginfo,
                         netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests)
{
    size_t gi = (size_t)(uintptr_t)handler->myvoid;
    netsnmp_request_info *req;

    (void)reginfo;
    for (req = requests; req; req = req->next) {
        netsnmp_variable_list *vb = req->requestvb;
        struct issu_snmp_val v;
        int err;

        if (req->processed)
            continue;
        switch (reqinfo->mode) {
        case MODE_GET:
            if (!in_group(gi, vb->name, vb->name_length))
                err = ISSU_SNMP_NOSUCHOBJECT;
            else
                err = group_get(request_snapshot(reqinfo), gi, vb->name, vb->name_length, &v);
            if (err == ISSU_SNMP_NOSUCHOBJECT)
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHOBJECT);
            else if (err)
                netsnmp_set_request_error(reqinfo, req, SNMP_NOSUCHINSTANCE);
            else
                set_val(vb, &v);
            break;
        case MODE_GETNEXT: {
            oid buf[ISSU_SNMP_MAX_OID];
            size_t n;

            if (!group_next(request_snapshot(reqinfo), gi, vb->name, vb->name_length, buf, &n, &v))
                break; /* unanswered: the agent asks the next subtree */
            snmp_set_var_objid(vb, buf, n);
            set_val(vb, &v);
            break;
        }
        case MODE_SET_RESERVE1:
            err = issu_snmp_mib_set_test(vb->name, vb->name_length, vb->type);
            if (!err && vb->val_len != sizeof(long))
                err = ISSU_SNMP_ERR_WRONGLENGTH;
            if (err)
                netsnmp_set_request_error(reqinfo, req, err);
            break;
        case MODE_SET_RESERVE2:
            err = *vb->val.integer > UINT32_MAX ? ISSU_SNMP_ERR_WRONGVALUE
                  : issu_snmp_mib_set_value(request_snapshot(reqinfo), vb->name, vb->name_length,
                                            (uint32_t)*vb->val.integer);
            if (err)
                netsnmp_set_request_error(reqinfo, req, err);
            break;
        case MODE_SET_ACTION:
            err = issu_snmp_mib_set_commit(vb->name, vb->name_length, (uint32_t)*vb->val.integer);
            if (err)
                netsnmp_set_request_error(reqinfo, req, err);
            break;
        default: /* COMMIT, FREE, UNDO: nothing was kept; a finished round cannot be undone */
            break;
        }
    }
    return SNMP_ERR_NOERROR;
}

/* ---- registration ---- */

static netsnmp_handler_registration *g_regs[N_GROUPS];

static int reg(size_t gi)
{
    oid o[MAX_ROOT + 2];
    netsnmp_mib_handler *h;
    netsnmp_handler_registration *r;
    size_t n = group_root(gi, o);
    int modes = gi == RENEG_GROUP && g.ops.renegotiate ? HANDLER_CAN_RWRITE : HANDLER_CAN_RONLY;

    if (!group_served(gi))
        return 0;

    h = netsnmp_create_handler(groups[gi].name, group_handler);
    if (!h)
        return SNMPERR_MALLOC;
    h->myvoid = (void *)(uintptr_t)gi;
    r = netsnmp_handler_registration_create(groups[gi].name, h, o, n, modes);
    if (!r) {
        netsnmp_handler_free(h);
        return SNMPERR_MALLOC;
    }
    if (netsnmp_register_handler(r) != MIB_REGISTERED_OK)
        return SNMPERR_GENERR; /* net-snmp freed r on failure */
    g_regs[gi] = r;
    return 0;
}

int issu_snmp_mib_register(const unsigned long *root, size_t root_len,
                           const struct issu_snmp_mib_ops *ops)
{
    size_t gi;
    int rc = 0;

    if (issu_snmp_mib_init(root, root_len, ops) != ISSU_OK)
        return SNMPERR_GENERR;
    for (gi = 0; !rc && gi < N_GROUPS; gi++)
        rc = reg(gi);
    if (!rc) {
        g.pin_alarm = snmp_alarm_register(1, SA_REPEAT, pins_alarm, NULL);
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

    for (i = 0; i < N_GROUPS; i++) {
        if (g_regs[i])
            netsnmp_unregister_handler(g_regs[i]);
        g_regs[i] = NULL;
    }
    if (g.pin_alarm)
        snmp_alarm_unregister(g.pin_alarm);
    g.pin_alarm = 0;
    issu_snmp_mib_fini();
}

/* ---- notifications ---- */

static const unsigned long snmptrap_oid[] = {1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0};

/* A notification being composed. */
struct notif {
    struct issu_snmp_vb vb[16];
    size_t n;
    unsigned long trap[MAX_ROOT + 2];
};

/* Append root.<arcs...>; its value to fill (NULL when full). */
static struct issu_snmp_val *add_var(struct notif *nt, const unsigned long *arcs, size_t n)
{
    struct issu_snmp_vb *vb;

    if (nt->n >= NELEM(nt->vb))
        return NULL;
    vb = &nt->vb[nt->n++];
    memcpy(vb->name, g.root, g.root_len * sizeof(*arcs));
    memcpy(vb->name + g.root_len, arcs, n * sizeof(*arcs));
    vb->name_len = g.root_len + n;
    v_clear(&vb->val);
    return &vb->val;
}

static void notif_start(struct notif *nt, unsigned which)
{
    struct issu_snmp_vb *vb = &nt->vb[0];

    memcpy(nt->trap, g.root, g.root_len * sizeof(*nt->trap));
    nt->trap[g.root_len] = 0; /* issuNotifications */
    nt->trap[g.root_len + 1] = which;
    memcpy(vb->name, snmptrap_oid, sizeof(snmptrap_oid));
    vb->name_len = NELEM(snmptrap_oid);
    v_clear(&vb->val);
    vb->val.type = ISSU_SNMP_OID;
    vb->val.oid = nt->trap;
    vb->val.len = g.root_len + 2;
    nt->n = 1;
}

static void add_scalar(struct notif *nt, const struct issu_snapshot *s, unsigned n)
{
    unsigned long arcs[] = {1, 1, n, 0};
    struct issu_snmp_val *v = add_var(nt, arcs, NELEM(arcs));

    if (v && !scalar_value(s, n, v))
        nt->n--;
}

/* issuEventReason.0 (issuEventObjects is issuObjects.10; accessible-for-notify). */
static void add_reason(struct notif *nt, const char *reason)
{
    unsigned long arcs[] = {1, 10, 1, 0};
    struct issu_snmp_val *v = add_var(nt, arcs, NELEM(arcs));

    if (v)
        v_str(v, reason);
}

/* issuSessionResultChanged: the session's row as it is after the event (as
 * it was, with results unknown, when it is gone), the chain of its client
 * when a prerequisite makes it incompatible, the event's reason, the verdict. */
static void notify_session(struct notif *nt, const struct issu_events *e, const struct issu_event *ev)
{
    static const unsigned cols[] = {SESS_CLIENT_ID, SESS_NAME, SESS_PEER_UNIQUE_ID,
                                    SESS_NEGOTIATED, SESS_RAW, SESS_EFFECTIVE, SESS_REASON};
    const struct issu_snapshot *s = ev->gone ? e->old : e->cur;
    const struct issu_session *ss = issu_snapshot_session(s, ev->sid);
    struct issu_snmp_row row;
    struct issu_snmp_val *v;
    size_t i;

    if (!ss)
        return;
    notif_start(nt, 1);
    memset(&row, 0, sizeof(row));
    row.ss = ss;
    row.cr = ev->gone ? NULL : issu_snapshot_client(s, ss->client_id);
    for (i = 0; i < NELEM(cols); i++) {
        unsigned long arcs[] = {1, ISSU_SNMP_T_SESSION, 1, cols[i], ss->sid};

        if (!(v = add_var(nt, arcs, NELEM(arcs))))
            break;
        col_value(s, ISSU_SNMP_T_SESSION, &row, cols[i], v);
        if (ev->gone && (cols[i] == SESS_NEGOTIATED || cols[i] == SESS_RAW))
            v_enum(v, ISSU_RES_UNKNOWN);
        if (ev->gone && cols[i] == SESS_REASON)
            v_str(v, ev->reason);
    }
    add_scalar(nt, e->cur, SC_VERDICT);
    {
        unsigned long arcs[] = {1, ISSU_SNMP_T_CLIENT, 1, 11, ss->client_id}; /* issuClientChain */

        if ((v = add_var(nt, arcs, NELEM(arcs))))
            v_str(v, chain_text(ev->chain, ev->n_chain, v->buf));
    }
    add_reason(nt, ev->reason);
}

/* issuPeerStateChanged: the peer lost or back, as the event names it. */
static void notify_peer(struct notif *nt, const struct issu_events *e, const struct issu_event *ev)
{
    unsigned long st[] = {1, 1, SC_PEER_STATE, 0}, uid[] = {1, 1, SC_PEER_UNIQUE_ID, 0};
    unsigned long nm[] = {1, 1, SC_PEER_IMAGE_NAME, 0}, ver[] = {1, 1, SC_PEER_IMAGE_VERSION, 0};
    struct issu_snmp_val *v;

    notif_start(nt, 3);
    if ((v = add_var(nt, st, NELEM(st))))
        v_enum(v, ev->peer_state);
    if ((v = add_var(nt, uid, NELEM(uid))))
        v_uint(v, ISSU_SNMP_GAUGE32, ev->peer_unique_id);
    if ((v = add_var(nt, nm, NELEM(nm))))
        v_str(v, ev->peer_image_name);
    if ((v = add_var(nt, ver, NELEM(ver))))
        v_str(v, ev->peer_image_version);
    add_scalar(nt, e->cur, SC_VERDICT);
    add_reason(nt, ev->reason);
}

static void notify_verdict(struct notif *nt, const struct issu_events *e, const struct issu_event *ev)
{
    static const unsigned sc[] = {SC_VERDICT, SC_VERDICT_REASON, SC_IMAGE_NAME,
                                  SC_IMAGE_VERSION, SC_PEER_IMAGE_NAME,
                                  SC_PEER_IMAGE_VERSION, SC_PEER_STATE,
                                  SC_NEGOTIATION_COUNT};
    size_t i;

    notif_start(nt, 2);
    for (i = 0; i < NELEM(sc); i++)
        add_scalar(nt, e->cur, sc[i]);
    add_reason(nt, ev->reason);
}

unsigned issu_snmp_mib_notify_each(const struct issu_events *e, issu_snmp_send_cb send, void *arg)
{
    static struct notif nt; /* ~22 KiB: off the stack (one SNMP thread) */
    unsigned sent = 0, dropped = 0;
    uint32_t i;

    if (!e || !e->cur || !g.registered)
        return 0;
    for (i = 0; i < e->n; i++) {
        const struct issu_event *ev = &e->ev[i];

        nt.n = 0;
        switch (ev->kind) {
        case ISSU_EV_SESSION:
            if (sent >= ISSU_SNMP_MAX_SESSION_NOTIFS) {
                dropped++;
                break;
            }
            notify_session(&nt, e, ev);
            sent++;
            break;
        case ISSU_EV_PEER_LOST:
        case ISSU_EV_PEER_BACK:
            notify_peer(&nt, e, ev);
            break;
        case ISSU_EV_VERDICT:
            notify_verdict(&nt, e, ev);
            break;
        }
        if (nt.n)
            send(arg, nt.vb, nt.n);
    }
    return dropped;
}

static void send_netsnmp(void *arg, const struct issu_snmp_vb *vbs, size_t n)
{
    netsnmp_variable_list *vars = NULL, *vb;
    size_t i;

    (void)arg;
    for (i = 0; i < n; i++) {
        vb = snmp_varlist_add_variable(&vars, vbs[i].name, vbs[i].name_len, ASN_NULL, NULL, 0);
        if (vb)
            set_val(vb, &vbs[i].val);
    }
    send_v2trap(vars);
    snmp_free_varbind(vars);
}

unsigned issu_snmp_mib_notify(const struct issu_events *e)
{
    return issu_snmp_mib_notify_each(e, send_netsnmp, NULL);
}
