/*
 * hub.h - issud's core thread and the only door faces use to reach it.
 *
 * The hub owns the negotiation endpoints (in the embedded default both the
 * active and the standby endpoint, joined by the in-memory transport) and runs
 * every core call on one thread. Faces (agent/netconf, agent/snmp) live on
 * their own threads and only:
 *   - take the current snapshot of the endpoint the daemon shows (thread safe),
 *   - ask for a renegotiation or a candidate check and wait for the answer,
 *   - get told when a new snapshot was published (to raise notifications).
 * Change callbacks run on the core thread: a face must only queue work there
 * (e.g. write to its own wake-up pipe) and return at once.
 */
#ifndef ISSU_HUB_H
#define ISSU_HUB_H

#include <stdint.h>

#include "snapshot.h"

struct issu_hub;

/** Change listener; runs on the core thread; must not block. */
typedef void (*issu_hub_listener)(void *arg, const struct issu_snapshot *old,
                                  const struct issu_snapshot *cur);

/** The current snapshot of the shown endpoint, with a reference (never NULL). */
struct issu_snapshot *issu_hub_snapshot(struct issu_hub *hub);

/**
 * Renegotiate all (client 0, sid 0), one client, or one session, and wait
 * until the round completed. *out (optional) receives the resulting snapshot
 * with a reference. ISSU_ERR_NOTFOUND for unknown ids; ISSU_ERR_PROTO when
 * no peer is connected.
 */
int issu_hub_renegotiate(struct issu_hub *hub, uint32_t client_id, uint32_t sid,
                         struct issu_snapshot **out);

/** Register a change listener (before the faces start serving). */
int issu_hub_listen(struct issu_hub *hub, issu_hub_listener cb, void *arg);

#endif
