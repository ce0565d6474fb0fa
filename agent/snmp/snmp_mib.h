/*
 * snmp_mib.h - ISSU-NEGOTIATION-MIB values, independent of who carries them.
 *
 * snmp_mib.c is the one source of every MIB value: its groups table lists
 * the subtrees under issuObjects (scalar groups with a value function,
 * tables over snmp_index.c), and everything below reads it. Two carriers:
 * net-snmp's agent library (issu_snmp_mib_register: handlers, used by the
 * net-snmp subagent and the in-process dlmod anchor in tests/bench) and
 * issud's own AgentX subagent (agentx_*.c: issu_snmp_mib_init, then
 * issu_snmp_mib_get/next/set_* and issu_snmp_mib_notify_each). An object
 * added to the groups table is served by both with no code elsewhere.
 * Every call here must come from the one thread that serves SNMP.
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
    /** The master's sysUpTime now, centiseconds (NULL: net-snmp's agent uptime). */
    uint32_t (*uptime)(void *arg);
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


/* Value types: the numbers BER and AgentX (RFC 2741 5.4) share. */
#define ISSU_SNMP_INTEGER 2
#define ISSU_SNMP_OCTETS 4
#define ISSU_SNMP_NULL 5
#define ISSU_SNMP_OID 6
#define ISSU_SNMP_COUNTER32 0x41
#define ISSU_SNMP_GAUGE32 0x42
#define ISSU_SNMP_TIMETICKS 0x43
#define ISSU_SNMP_COUNTER64 0x46
#define ISSU_SNMP_NOSUCHOBJECT 0x80
#define ISSU_SNMP_NOSUCHINSTANCE 0x81
#define ISSU_SNMP_ENDOFMIBVIEW 0x82

/* SNMP error-status values (RFC 3416) the SET path returns. */
#define ISSU_SNMP_ERR_NOERROR 0
#define ISSU_SNMP_ERR_GENERR 5
#define ISSU_SNMP_ERR_WRONGTYPE 7
#define ISSU_SNMP_ERR_WRONGLENGTH 8
#define ISSU_SNMP_ERR_WRONGVALUE 10
#define ISSU_SNMP_ERR_NOCREATION 11
#define ISSU_SNMP_ERR_INCONSISTENTVALUE 12
#define ISSU_SNMP_ERR_RESOURCEUNAVAILABLE 13
#define ISSU_SNMP_ERR_COMMITFAILED 14
#define ISSU_SNMP_ERR_NOTWRITABLE 17

#define ISSU_SNMP_MAX_OID 128 /* RFC 2741 5.1: at most 128 sub-identifiers */

/** One value. str points into the snapshot, or into buf (composed text). */
struct issu_snmp_val {
    uint8_t type;
    uint32_t num; /**< INTEGER (as two's complement), Counter32, Gauge32, TimeTicks */
    uint64_t u64; /**< Counter64 */
    const char *str;
    size_t len;
    const unsigned long *oid; /**< ISSU_SNMP_OID: len sub-identifiers */
    char buf[256];
};

/** One varbind of a notification. */
struct issu_snmp_vb {
    unsigned long name[ISSU_SNMP_MAX_OID];
    size_t name_len;
    struct issu_snmp_val val;
};

/** Set the root and ops without net-snmp (issud's own AgentX subagent). 0 or an issu_err. */
int issu_snmp_mib_init(const unsigned long *root, size_t root_len,
                       const struct issu_snmp_mib_ops *ops);

/** Undo issu_snmp_mib_init (drops pinned snapshots). */
void issu_snmp_mib_fini(void);

/** Register scalars and tables under root (NULL = ISSU_SNMP_ROOT) as net-snmp handlers. 0 or an SNMPERR. */
int issu_snmp_mib_register(const unsigned long *root, size_t root_len,
                           const struct issu_snmp_mib_ops *ops);

/** Unregister everything issu_snmp_mib_register() registered. */
void issu_snmp_mib_unregister(void);

/** The i-th subtree to register with a master (root.1.arc); its length, or 0 past the last. */
size_t issu_snmp_mib_subtree(size_t i, unsigned long *out, size_t max);

/**
 * The snapshot of the request (AgentX session id, transaction id), with a
 * reference: pinned to that pair while its PDUs keep arriving (a GETBULK
 * through net-snmp's master is one PDU per repetition), a fresh one otherwise.
 */
struct issu_snapshot *issu_snmp_mib_pin(long sessid, long transid);

/** End pins idle for longer than their limit (call about once a second). */
void issu_snmp_mib_pins_expire(void);

/** GET: 0 with *v filled, or ISSU_SNMP_NOSUCHOBJECT / ISSU_SNMP_NOSUCHINSTANCE. */
int issu_snmp_mib_get(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                      struct issu_snmp_val *v);

/**
 * GETNEXT: the first object after @p name (at it too when @p include),
 * into out (room for ISSU_SNMP_MAX_OID) and *v. 1 found, 0 none.
 */
int issu_snmp_mib_next(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                       int include, unsigned long *out, size_t *out_len, struct issu_snmp_val *v);

/**
 * SET, in the phases both carriers have. test: the checks that need no
 * state (type, writable, exists); value: the checks against the request's
 * snapshot; commit: do it (starts the renegotiation and returns at once;
 * issuRenegotiateStatus follows the round). Each
 * returns an ISSU_SNMP_ERR_*. commit records the value read back.
 */
int issu_snmp_mib_set_test(const unsigned long *name, size_t len, uint8_t type);
int issu_snmp_mib_set_value(const struct issu_snapshot *s, const unsigned long *name, size_t len,
                            uint32_t num);
int issu_snmp_mib_set_commit(const unsigned long *name, size_t len, uint32_t num);

/**
 * Compose one notification per event of a change (events.h: the list every
 * face renders), in its order: issuPeerStateChanged, issuSessionResultChanged,
 * issuImageVerdictChanged, each with issuEventReason. send() gets the
 * varbinds after sysUpTime.0: vbs[0] is snmpTrapOID.0. At most
 * ISSU_SNMP_MAX_SESSION_NOTIFS session notifications per change; returns how
 * many were suppressed beyond that.
 */
#define ISSU_SNMP_MAX_SESSION_NOTIFS 256
typedef void (*issu_snmp_send_cb)(void *arg, const struct issu_snmp_vb *vbs, size_t n);
unsigned issu_snmp_mib_notify_each(const struct issu_events *e, issu_snmp_send_cb send, void *arg);

/** issu_snmp_mib_notify_each() through net-snmp's send_v2trap(). */
unsigned issu_snmp_mib_notify(const struct issu_events *e);

#endif
