/*
 * snmp_mib.h - ISSU-NEGOTIATION-MIB handlers, independent of where data comes from.
 *
 * The face (AgentX subagent in issud) and the in-process benchmark module
 * (tests/bench, loaded into snmpd with dlmod) register the same handlers;
 * each supplies snapshots and the renegotiate action through these ops.
 * Every call here must come from the one thread that runs net-snmp.
 */
#ifndef ISSU_SNMP_MIB_H
#define ISSU_SNMP_MIB_H

#include <stddef.h>
#include <stdint.h>

#include "events.h"
#include "snapshot.h"

#include "history.h"

/* issuHistory's reads, through pointers: the benchmark's dlmod links no store. */
struct issu_snmp_hist_ops {
    struct issu_hist *h;
    void (*stats)(struct issu_hist *h, struct issu_hist_stats *out);
    int (*query)(struct issu_hist *h, const struct issu_hist_query *q, struct issu_hist_result **out);
    void (*result_free)(struct issu_hist_result *r);
    void (*base)(const struct issu_hist *h, uint64_t *negotiations, uint64_t *results_changed);
};

struct issu_snmp_mib_ops {
    /** Current snapshot with a reference (NULL: serve nothing). */
    struct issu_snapshot *(*snapshot)(void *arg);
    /** Start renegotiating one client (0 = all) and return at once, without
     * waiting for the round (a SET must never hold the AgentX master);
     * issu_err. NULL: read-only. */
    int (*renegotiate)(void *arg, uint32_t client_id);
    void *arg;
    /** enum issu_snmp_reneg of the last renegotiate (NULL: none(1) always). */
    int (*renegotiate_status)(void *arg);
    /** issuHistory (history.h); NULL: not registered. */
    const struct issu_snmp_hist_ops *hist;
};

/** issuRenegotiateStatus */
enum issu_snmp_reneg {
    ISSU_SNMP_RENEG_NONE = 1,
    ISSU_SNMP_RENEG_RUNNING = 2,
    ISSU_SNMP_RENEG_DONE = 3,
    ISSU_SNMP_RENEG_FAILED = 4,
};

/** Rows of issuHistoryTable: the most recent stored events. */
#define ISSU_SNMP_HIST_ROWS 1000

/** Register scalars and tables under root (NULL = ISSU_SNMP_ROOT). 0 or an SNMPERR. */
int issu_snmp_mib_register(const unsigned long *root, size_t root_len,
                           const struct issu_snmp_mib_ops *ops);

/** Unregister everything issu_snmp_mib_register() registered. */
void issu_snmp_mib_unregister(void);

/**
 * Send one notification per event of a change (events.h: the list every face
 * renders), in its order: issuPeerStateChanged, issuSessionResultChanged,
 * issuImageVerdictChanged, each with issuEventReason. At most
 * ISSU_SNMP_MAX_SESSION_NOTIFS session notifications per change (UDP traps
 * through the master); returns how many were suppressed beyond that.
 */
#define ISSU_SNMP_MAX_SESSION_NOTIFS 256
unsigned issu_snmp_mib_notify(const struct issu_events *e);

#endif
