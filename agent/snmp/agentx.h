/*
 * agentx.h - issud's own RFC 2741 subagent, inside agent/snmp.
 *
 * Files, one concern each: agentx_pdu.c (codec), agentx_session.c
 * (connect, Open, Register, Ping, reconnect with backoff, the read loop),
 * agentx_dispatch.c (Get/GetNext/GetBulk, TestSet/CommitSet/UndoSet/
 * CleanupSet over snmp_mib.c's values), agentx_notify.c (Notify PDUs of the
 * hub's events). The loop runs on the face's one SNMP thread: one blocking
 * read and one write per PDU on the hot path; other threads only set *wake
 * (and write wake_fd), and the loop calls tick() when it sees it.
 */
#ifndef ISSU_AGENTX_H
#define ISSU_AGENTX_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "agentx_pdu.h"
#include "endpoint.h" /* issu_log_cb */
#include "events.h"

struct issu_ax;

struct issu_ax_conf {
    const char *address; /**< "/path", "unix:/path", "tcp:HOST:PORT"; NULL = /var/agentx/master */
    const unsigned long *root; /**< the MIB's root: the Open PDU's id */
    size_t root_len;
    issu_log_cb log;
    void *log_arg;
    /** Called on the loop's thread when *wake was set (or wake_fd is readable while
     *  disconnected); returns 1 to end issu_ax_run. */
    int (*tick)(void *arg, struct issu_ax *ax);
    void *tick_arg;
    atomic_int *wake;
    int wake_fd;
};

/** A session (not connected yet); ISSU_ERR_INVAL for an address it cannot use. */
int issu_ax_new(const struct issu_ax_conf *conf, struct issu_ax **out);

/** Connect, serve, reconnect, until tick() asks to stop; then Close. */
void issu_ax_run(struct issu_ax *ax);

/** Close (if open) and free. NULL is a no-op. */
void issu_ax_free(struct issu_ax *ax);

/** The master's sysUpTime now (centiseconds), from its last Response; 0 before one. */
uint32_t issu_ax_uptime(const struct issu_ax *ax);

/** Send the notifications of one change (nothing while disconnected); suppressed count. */
unsigned issu_ax_notify(struct issu_ax *ax, const struct issu_events *e);

/* ---- between the files ---- */

/** Pending SET of one transaction (TestSet to CleanupSet). */
#define AX_SET_MAX 8
struct ax_set {
    int active;
    uint32_t sessid, transid;
    size_t n;
    struct {
        unsigned long name[AX_MAX_SUBIDS];
        size_t len;
        uint32_t num;
    } vb[AX_SET_MAX];
};

/**
 * Answer one request PDU (Get, GetNext, GetBulk, TestSet, CommitSet,
 * UndoSet, CleanupSet) into w; CleanupSet writes nothing. 0, or
 * ISSU_ERR_DECODE when its list is malformed (nothing written).
 */
int issu_ax_dispatch(struct ax_pdu *req, struct ax_wr *w, struct ax_set *set);

/** Write a Notify PDU of vbs (sysUpTime.0 first) on the session; issu_err. */
int issu_ax_send(struct issu_ax *ax, const uint8_t *pdu, size_t len);
uint32_t issu_ax_sessid(const struct issu_ax *ax);
uint32_t issu_ax_packetid(struct issu_ax *ax);
int issu_ax_connected(const struct issu_ax *ax);

#endif
