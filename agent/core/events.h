/*
 * events.h - what changed between two published snapshots: the one event
 * model every face renders (NETCONF notifications, SNMP traps).
 *
 * issu_events_diff() compares two consecutive snapshots of one endpoint and
 * lists, in this order: the peer lost or back, every session whose raw,
 * negotiated (after policy) or effective (after interdependencies) result
 * changed or that appeared or disappeared (by sid; only between two states
 * with the peer up: the peer's loss or return is one event, not one per
 * session), then the image verdict. Every event carries its reason in plain
 * words, never empty: for a session made effectively incompatible by a
 * prerequisite, the chain of clients down to the one at fault and that
 * client's reason. The list is immutable and reference counted like a
 * snapshot; it holds references to both snapshots, so names and chains may
 * point into them.
 */
#ifndef ISSU_EVENTS_H
#define ISSU_EVENTS_H

#include <stdint.h>

#include "snapshot.h"

enum issu_event_kind {
    ISSU_EV_PEER_LOST = 1, /**< the peer was up and is not any more */
    ISSU_EV_PEER_BACK = 2, /**< the peer is up (again, or for the first time) */
    ISSU_EV_SESSION = 3,   /**< a session's raw, negotiated or effective result changed */
    ISSU_EV_VERDICT = 4,   /**< the image verdict changed */
};

struct issu_event {
    uint8_t kind; /**< enum issu_event_kind */
    /* ISSU_EV_SESSION: enum issu_result before and after; a session that
     * appeared was UNKNOWN before, one that disappeared is UNKNOWN after */
    uint8_t old_raw, raw;
    uint8_t old_result, result;
    uint8_t old_effective, effective;
    uint8_t gone;   /**< the session disappeared (its values are the old snapshot's) */
    uint8_t has_policy;
    /* ISSU_EV_VERDICT: enum issu_verdict; every kind: the verdict after the change */
    uint8_t old_verdict, verdict;
    /* ISSU_EV_PEER_*: enum issu_peer_state before and after */
    uint8_t old_peer_state, peer_state;
    uint32_t sid, peer_sid, client_id, entity_id;
    const char *session_name;
    uint32_t peer_unique_id;        /**< session: its peer; peer event: the peer lost or back */
    const char *peer_image_name;    /**< peer events; may be NULL when never known */
    const char *peer_image_version;
    uint32_t n_chain;               /**< session effectively incompatible through a prerequisite: */
    const uint32_t *chain;          /**< this client, then each failing prerequisite */
    const char *reason;             /**< never NULL or empty */
};

struct issu_events {
    unsigned refs;
    struct issu_snapshot *old, *cur; /**< references held */
    uint32_t n;
    struct issu_event *ev;
    uint32_t n_sessions; /**< how many of ev are ISSU_EV_SESSION */
};

/**
 * The events from @p old to @p cur (two snapshots of the same endpoint,
 * @p old published first). *out receives a list with one reference; it is
 * empty when nothing an operator must hear about changed, or when @p old is
 * NULL (the first snapshot changes nothing). ISSU_ERR_NOMEM on allocation failure.
 */
int issu_events_diff(const struct issu_snapshot *old, const struct issu_snapshot *cur,
                     struct issu_events **out);

struct issu_events *issu_events_ref(struct issu_events *e);
void issu_events_unref(struct issu_events *e);

/** "peer-lost", "peer-back", "session", "verdict". */
const char *issu_event_kind_name(int kind);

#endif
