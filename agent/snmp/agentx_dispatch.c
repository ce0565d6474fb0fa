/*
 * agentx_dispatch.c - answers the master's requests from snmp_mib.c's values.
 *
 * Every PDU reads the snapshot pinned to its (session, transaction) ids
 * (issu_snmp_mib_pin), so the GetNext PDUs net-snmp's master makes of one
 * GETBULK all read one state, as through net-snmp's library. GetBulk itself
 * (RFC 2741 7.2.3.3; a master other than net-snmp's may send one) answers
 * whole repetitions while they fit in the response. SETs follow the phases:
 * TestSet checks type, writability and the value against the snapshot;
 * CommitSet renegotiates (blocking, as before); UndoSet cannot undo a
 * finished round; CleanupSet forgets the transaction.
 */
#include "agentx.h"

#include <string.h>

#include "issu_err.h"
#include "snmp_mib.h"

#define AX_BULK_MAX 64 /* search ranges of one GetBulk we keep (static: one thread) */
#define AX_ERR_TOOBIG 1
#define AX_ERR_GENERR 5
#define AX_ERR_RESOURCEUNAVAILABLE 13

/* A varbind of a value (or an exception) named name. */
static int wr_val(struct ax_wr *w, const unsigned long *name, size_t n,
                  const struct issu_snmp_val *v)
{
    ISSU_CHECK(ax_wr_vb_head(w, v->type, name, n));
    switch (v->type) {
    case ISSU_SNMP_INTEGER:
    case ISSU_SNMP_COUNTER32:
    case ISSU_SNMP_GAUGE32:
    case ISSU_SNMP_TIMETICKS:
        return ax_wr_u32(w, v->num);
    case ISSU_SNMP_COUNTER64:
        return ax_wr_u64(w, v->u64);
    case ISSU_SNMP_OCTETS:
        return ax_wr_octets(w, v->str, v->len);
    case ISSU_SNMP_OID:
        return ax_wr_oid(w, v->oid, v->len, 0);
    default:
        return ISSU_OK; /* Null and the exceptions carry no data */
    }
}

static int wr_exception(struct ax_wr *w, const struct ax_oid *name, uint8_t type)
{
    return ax_wr_vb_head(w, type, name->sub, name->n);
}

static int begin_response(struct ax_wr *w, const struct ax_pdu *req, uint16_t err, uint16_t idx)
{
    w->nbo = !!(req->flags & AX_F_NETWORK_BYTE_ORDER); /* reply in the request's order */
    ISSU_CHECK(ax_wr_begin(w, AX_RESPONSE, 0, req->sessid, req->transid, req->packetid));
    ISSU_CHECK(ax_wr_u32(w, 0)); /* sysUpTime: the master's own */
    return ax_wr_u16x2(w, err, idx);
}

/* A response with an error and no varbinds (in place of what was begun). */
static int error_response(struct ax_wr *w, const struct ax_pdu *req, uint16_t err, uint16_t idx)
{
    ax_wr_abort(w);
    ISSU_CHECK(begin_response(w, req, err, idx));
    ax_wr_end(w);
    return ISSU_OK;
}

/* One GETNEXT within [start, end): writes the varbind; *found whether one was. */
static int next_one(const struct issu_snapshot *s, const struct ax_pdu *req,
                    const struct ax_oid *start, int include, const struct ax_oid *end,
                    struct ax_wr *w, struct ax_oid *out)
{
    static struct issu_snmp_val v;
    size_t n = 0;
    int found = 0;

    if (!req->context)
        found = issu_snmp_mib_next(s, start->sub, start->n, include, out->sub, &n, &v);
    if (found && end->n && ax_oid_cmp(out->sub, n, end->sub, end->n) >= 0)
        found = 0;
    if (!found) {
        out->n = 0;
        return wr_exception(w, start, ISSU_SNMP_ENDOFMIBVIEW);
    }
    out->n = (uint8_t)n;
    return wr_val(w, out->sub, n, &v);
}

static int do_get(const struct issu_snapshot *s, struct ax_pdu *req, struct ax_wr *w)
{
    static struct ax_oid start, end;
    static struct issu_snmp_val v;
    int got, rc;

    for (;;) {
        ISSU_CHECK(ax_pdu_range(req, &start, &end, &got));
        if (!got)
            return ISSU_OK;
        rc = req->context ? ISSU_SNMP_NOSUCHOBJECT : issu_snmp_mib_get(s, start.sub, start.n, &v);
        rc = rc ? wr_exception(w, &start, (uint8_t)rc) : wr_val(w, start.sub, start.n, &v);
        if (rc)
            return rc;
    }
}

static int do_getnext(const struct issu_snapshot *s, struct ax_pdu *req, struct ax_wr *w)
{
    static struct ax_oid start, end, out;
    int got;

    for (;;) {
        ISSU_CHECK(ax_pdu_range(req, &start, &end, &got));
        if (!got)
            return ISSU_OK;
        ISSU_CHECK(next_one(s, req, &start, start.include, &end, w, &out));
    }
}

static int do_getbulk(const struct issu_snapshot *s, struct ax_pdu *req, struct ax_wr *w)
{
    static struct ax_oid start[AX_BULK_MAX], end[AX_BULK_MAX], cur[AX_BULK_MAX], tmp;
    static int ended[AX_BULK_MAX];
    size_t n = 0, i, nonrep, rep;
    int got;

    for (;;) {
        if (n == AX_BULK_MAX) {
            /* more ranges than we keep: a well-formed list is still checked whole */
            static struct ax_oid a, b;

            ISSU_CHECK(ax_pdu_range(req, &a, &b, &got));
            if (!got)
                break;
            return error_response(w, req, AX_ERR_TOOBIG, 0);
        }
        ISSU_CHECK(ax_pdu_range(req, &start[n], &end[n], &got));
        if (!got)
            break;
        n++;
    }
    nonrep = req->non_repeaters < n ? req->non_repeaters : n;
    for (i = 0; i < nonrep; i++)
        if (next_one(s, req, &start[i], start[i].include, &end[i], w, &cur[i]))
            return error_response(w, req, AX_ERR_TOOBIG, 0);
    for (i = nonrep; i < n; i++) {
        cur[i] = start[i];
        cur[i].include = 0;
        ended[i] = 0;
    }
    for (rep = 0; rep < req->max_repetitions && nonrep < n; rep++) {
        size_t mark = w->len;
        int all_ended = 1, rc = ISSU_OK;

        for (i = nonrep; i < n && !rc; i++) {
            if (ended[i]) {
                rc = wr_exception(w, &cur[i], ISSU_SNMP_ENDOFMIBVIEW);
                continue;
            }
            rc = next_one(s, req, &cur[i], rep ? 0 : start[i].include, &end[i], w, &tmp);
            if (!rc && !tmp.n) {
                ended[i] = 1; /* endOfMibView, named after the last instance, from now on */
            } else if (!rc) {
                cur[i].n = tmp.n;
                memcpy(cur[i].sub, tmp.sub, tmp.n * sizeof(tmp.sub[0]));
            }
            all_ended &= ended[i];
        }
        if (rc) { /* full: answer the whole repetitions that fit */
            w->len = mark;
            if (!rep)
                return error_response(w, req, AX_ERR_TOOBIG, 0);
            break;
        }
        if (all_ended)
            break;
    }
    return ISSU_OK;
}

static int do_testset(struct ax_pdu *req, struct ax_wr *w, struct ax_set *set)
{
    static struct ax_vb vb;
    struct issu_snapshot *s = issu_snmp_mib_pin((long)req->sessid, (long)req->transid);
    uint16_t idx = 0;
    int got, err = 0, rc = ISSU_OK;

    memset(set, 0, sizeof(*set));
    set->sessid = req->sessid;
    set->transid = req->transid;
    for (;;) {
        ISSU_CHECK_GOTO(ax_pdu_vb(req, &vb, &got), rc);
        if (!got)
            break;
        idx++;
        if (err)
            continue; /* the whole list is still checked */
        if (req->context)
            err = ISSU_SNMP_ERR_NOCREATION;
        else if (set->n == AX_SET_MAX)
            err = AX_ERR_RESOURCEUNAVAILABLE;
        else if (vb.type > 0xff)
            err = ISSU_SNMP_ERR_WRONGTYPE;
        else if (!(err = issu_snmp_mib_set_test(vb.name.sub, vb.name.n, (uint8_t)vb.type)))
            err = issu_snmp_mib_set_value(s, vb.name.sub, vb.name.n, (uint32_t)vb.num);
        if (err) {
            ISSU_CHECK_GOTO(error_response(w, req, (uint16_t)err, idx), rc);
            continue;
        }
        memcpy(set->vb[set->n].name, vb.name.sub, vb.name.n * sizeof(vb.name.sub[0]));
        set->vb[set->n].len = vb.name.n;
        set->vb[set->n].num = (uint32_t)vb.num;
        set->n++;
    }
    set->active = !err;
cleanup:
    if (rc)
        memset(set, 0, sizeof(*set));
    issu_snapshot_unref(s);
    return rc;
}

static int do_commitset(struct ax_pdu *req, struct ax_wr *w, struct ax_set *set)
{
    size_t i;
    int err;

    if (!set->active || set->sessid != req->sessid || set->transid != req->transid)
        return error_response(w, req, AX_ERR_GENERR, 0); /* no TestSet of this transaction */
    for (i = 0; i < set->n; i++) {
        err = issu_snmp_mib_set_commit(set->vb[i].name, set->vb[i].len, set->vb[i].num);
        if (err)
            return error_response(w, req, (uint16_t)err, (uint16_t)(i + 1));
    }
    return ISSU_OK;
}

int issu_ax_dispatch(struct ax_pdu *req, struct ax_wr *w, struct ax_set *set)
{
    struct issu_snapshot *s = NULL;
    size_t start = w->len;
    int rc = ISSU_OK;

    if (req->type == AX_CLEANUPSET) {
        memset(set, 0, sizeof(*set)); /* no response (RFC 2741 7.2.4.4) */
        return ISSU_OK;
    }
    ISSU_CHECK(begin_response(w, req, 0, 0));
    switch (req->type) {
    case AX_GET:
    case AX_GETNEXT:
    case AX_GETBULK:
        s = issu_snmp_mib_pin((long)req->sessid, (long)req->transid);
        rc = req->type == AX_GET ? do_get(s, req, w)
             : req->type == AX_GETNEXT ? do_getnext(s, req, w) : do_getbulk(s, req, w);
        issu_snapshot_unref(s);
        if (rc == ISSU_ERR_NOMEM) /* more varbinds than a response holds */
            rc = error_response(w, req, AX_ERR_TOOBIG, 0);
        break;
    case AX_TESTSET:
        rc = do_testset(req, w, set);
        break;
    case AX_COMMITSET:
        rc = do_commitset(req, w, set);
        break;
    case AX_UNDOSET:
        break; /* a finished round cannot be undone; nothing else was changed */
    default:
        rc = error_response(w, req, AX_ERR_PARSEERROR, 0);
        break;
    }
    if (rc) {
        w->len = start;
        return rc;
    }
    ax_wr_end(w);
    return ISSU_OK;
}
