/*
 * mem.h - the in-memory transport: two endpoints in one process.
 *
 * The embedded default (issud --active/--standby), `issuctl check`, the
 * NETCONF check-upgrade RPC, tests and benchmarks join two endpoints with a
 * pair of byte queues. Bytes still go through the codec: the exchange is the
 * same as over TCP. Sends only queue; issu_mem_pair_run() delivers until both
 * endpoints are quiet, so no endpoint is ever re-entered.
 */
#ifndef ISSU_MEM_H
#define ISSU_MEM_H

#include <stdint.h>

#include "codec.h"
#include "endpoint.h"

struct issu_mem_pair {
    struct issu_endpoint *ep[2];
    struct issu_buf q[2]; /**< bytes waiting for ep[0], ep[1] */
    uint64_t bytes;       /**< carried so far, both ways */
};

/** The transport endpoint @p i (0 or 1) must be created with. */
struct issu_transport issu_mem_transport(struct issu_mem_pair *p, int i);

/** Connect both endpoints (after they were created) and run to quiet. */
int issu_mem_pair_connect(struct issu_mem_pair *p);

/** Deliver queued bytes until neither endpoint has anything to say. */
int issu_mem_pair_run(struct issu_mem_pair *p);

/** Free the queues (not the endpoints). */
void issu_mem_pair_clear(struct issu_mem_pair *p);

/**
 * Negotiate two images in-process: the active endpoint (unique id
 * @p active_uid) against the standby. Returns both endpoints' snapshots
 * (references the caller drops; either out pointer may be NULL).
 * @p log may be NULL.
 */
int issu_mem_negotiate(struct issu_image *active, uint32_t active_uid, struct issu_image *standby,
                       uint32_t standby_uid, issu_log_cb log, void *log_arg,
                       struct issu_snapshot **active_view, struct issu_snapshot **standby_view);

#endif
