/*
 * agentx_notify.c - the hub's events as AgentX Notify PDUs (RFC 2741 6.2.10).
 *
 * snmp_mib.c composes each notification (issu_snmp_mib_notify_each: the
 * same varbinds the net-snmp path sends); here each becomes one Notify PDU,
 * sysUpTime.0 (the master's clock) first, then snmpTrapOID.0 and the
 * objects, written at once. The master's Response needs nothing from us
 * (agentx_session.c reads it with the other PDUs). While no session is
 * open, notifications are lost, as they were with net-snmp's library.
 */
#include "agentx.h"

#include "issu_err.h"
#include "snmp_mib.h"

struct notify_ctx {
    struct issu_ax *ax;
    uint8_t buf[AX_HDR_LEN + 16384];
    unsigned failed;
};

static int put_vb(struct ax_wr *w, const struct issu_snmp_vb *vb)
{
    const struct issu_snmp_val *v = &vb->val;

    ISSU_CHECK(ax_wr_vb_head(w, v->type, vb->name, vb->name_len));
    switch (v->type) {
    case ISSU_SNMP_OCTETS:
        return ax_wr_octets(w, v->str, v->len);
    case ISSU_SNMP_OID:
        return ax_wr_oid(w, v->oid, v->len, 0);
    case ISSU_SNMP_NULL:
        return ISSU_OK;
    case ISSU_SNMP_COUNTER64:
        return ax_wr_u64(w, v->u64);
    default:
        return ax_wr_u32(w, v->num);
    }
}

static void send_one(void *arg, const struct issu_snmp_vb *vbs, size_t n)
{
    static const unsigned long sysuptime[] = {1, 3, 6, 1, 2, 1, 1, 3, 0};
    struct notify_ctx *nc = arg;
    struct ax_wr w = {nc->buf, sizeof(nc->buf), 0, 0, 1};
    uint32_t id = issu_ax_packetid(nc->ax);
    size_t i;
    int rc;

    rc = ax_wr_begin(&w, AX_NOTIFY, 0, issu_ax_sessid(nc->ax), id, id);
    if (!rc && !(rc = ax_wr_vb_head(&w, ISSU_SNMP_TIMETICKS, sysuptime, 9)))
        rc = ax_wr_u32(&w, issu_ax_uptime(nc->ax));
    for (i = 0; !rc && i < n; i++)
        rc = put_vb(&w, &vbs[i]);
    if (!rc) {
        ax_wr_end(&w);
        rc = issu_ax_send(nc->ax, nc->buf, w.len);
    }
    if (rc)
        nc->failed++;
}

unsigned issu_ax_notify(struct issu_ax *ax, const struct issu_events *e)
{
    static struct notify_ctx nc; /* one SNMP thread */

    if (!issu_ax_connected(ax))
        return 0;
    nc.ax = ax;
    nc.failed = 0;
    return issu_snmp_mib_notify_each(e, send_one, &nc);
}
