/*
 * snmp_face.h - issud's SNMP face: ISSU-NEGOTIATION-MIB as an AgentX subagent.
 *
 * issu_snmp_start() runs one thread that serves SNMP (issud's own RFC 2741
 * subagent, or net-snmp's library, which is not thread safe, and then makes
 * every net-snmp call): it connects to snmpd's AgentX master socket
 * (and reconnects by itself when snmpd restarts: at once, then with a
 * backoff up to 1 s; net-snmp's library pings every second instead),
 * serves the MIB from the hub's snapshots, sets issuRenegotiate through the
 * hub, and sends the MIB's notifications through the master when the hub
 * reports a change. snmp_mib.c and net-snmp are global state: one face per
 * process.
 */
#ifndef ISSU_SNMP_FACE_H
#define ISSU_SNMP_FACE_H

#include <stddef.h>

#include "endpoint.h" /* issu_log_cb */

struct issu_hub;
struct issu_snmp;

/* ISSU-NEGOTIATION-MIB::issuNegotiationMIB = netSnmpPlaypen.2011 (netSnmpPlaypen
 * is 1.3.6.1.4.1.8072.9999.9999, under netSnmpExperimental). Moving the
 * MIB to an enterprise arc is this line and the MIB's MODULE-IDENTITY. */
#define ISSU_SNMP_ROOT 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 2011

struct issu_hist;

struct issu_snmp_conf {
    /* AgentX master address as snmpd's agentXSocket takes it
     * ("/path", "unix:/path", "tcp:127.0.0.1:705"); NULL = net-snmp default. */
    const char *agentx_socket;
    struct issu_hub *hub;
    struct issu_hist *history; /* issuHistory; NULL: not served */
    issu_log_cb log; /* syslog levels; may be NULL */
    void *log_arg;
    const unsigned long *root; /* NULL = { ISSU_SNMP_ROOT } */
    size_t root_len;
    /* 1: net-snmp's agent library as the subagent (issud --agentx-impl
     * netsnmp); 0: issud's own RFC 2741 subagent (agentx.h). */
    int netsnmp_subagent;
};

/**
 * Start the face: registers a change listener with the hub (call before the
 * hub starts publishing) and the thread. Returns ISSU_ERR_INVAL when a face
 * already runs, ISSU_ERR_IO when the thread or net-snmp could not start.
 * Not reaching snmpd is not an error: the thread keeps trying.
 */
int issu_snmp_start(const struct issu_snmp_conf *conf, struct issu_snmp **out);

/** Stop the thread, close the AgentX session, free everything. NULL is a no-op. */
void issu_snmp_stop(struct issu_snmp *s);

#endif
