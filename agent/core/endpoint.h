/*
 * endpoint.h - one ISSU endpoint: an image negotiating with its peer.
 *
 * An endpoint is event driven and single threaded: the owner feeds it the
 * bytes its transport received (issu_endpoint_input) and it answers through
 * the transport's send callback. Two endpoints joined by any transport (the
 * in-memory pair of agent/peer/mem.c, or TCP) exchange the messages of
 * codec.h: HELLO, INVENTORY, then one NEGO_REQ/NEGO_RSP per common client
 * entity, pipelined, closed by ROUND_END/ROUND_ACK. After each round both
 * endpoints publish a snapshot (snapshot.h) with the same results.
 *
 * Nothing here blocks and nothing here is thread safe: a daemon runs every
 * endpoint call on its core thread and hands snapshots to its faces.
 */
#ifndef ISSU_ENDPOINT_H
#define ISSU_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"
#include "log.h"
#include "snapshot.h"

/** How an endpoint sends bytes to its peer. send returns an issu_err. */
struct issu_transport {
    int (*send)(void *ctx, const uint8_t *data, size_t len);
    void *ctx;
};

/** Called after a new snapshot is published; @p old may be NULL. */
typedef void (*issu_change_cb)(void *arg, const struct issu_snapshot *old,
                               const struct issu_snapshot *cur);


struct issu_endpoint_conf {
    uint32_t unique_id;       /**< nonzero; the smaller of two is PRIMARY */
    enum issu_side side;      /**< active or standby: reasons name sides */
    struct issu_image *image; /**< validated; the endpoint takes a reference */
    struct issu_transport transport;
    issu_change_cb on_change;
    issu_log_cb log;
    void *arg;                /**< passed to on_change and log */
};

struct issu_endpoint;

/** Create an endpoint; it publishes an initial snapshot (peer down). */
int issu_endpoint_new(const struct issu_endpoint_conf *conf, struct issu_endpoint **out);
void issu_endpoint_free(struct issu_endpoint *ep);

/** The transport connected: send HELLO and start negotiating. */
int issu_endpoint_connected(struct issu_endpoint *ep);

/**
 * Bytes from the peer (any split: frames may arrive in pieces). A decode or
 * protocol error returns non-zero, logs why and leaves the published state as
 * it was; the caller should then drop the connection (issu_endpoint_peer_lost).
 * ISSU_ERR_REFUSED: the peer cannot be negotiated with (it has our unique id,
 * or it sent ERROR); the snapshots published from then on, until a peer says
 * HELLO with another id, give the reason as the (unknown) verdict's reason.
 */
int issu_endpoint_input(struct issu_endpoint *ep, const uint8_t *data, size_t len);

/** The transport went away: sessions become UNKNOWN, a snapshot is published. */
int issu_endpoint_peer_lost(struct issu_endpoint *ep);

/**
 * Renegotiate every session (client_id = 0 and sid = 0), one client's, or one
 * session. On the PASSIVE side the request is forwarded to the PRIMARY.
 * Returns ISSU_ERR_NOTFOUND for an unknown client or session, ISSU_ERR_PROTO
 * when no peer is connected.
 */
int issu_endpoint_renegotiate(struct issu_endpoint *ep, uint32_t client_id, uint32_t sid);

/** Replace the image (reload) and renegotiate everything if connected. */
int issu_endpoint_set_image(struct issu_endpoint *ep, struct issu_image *img);

/** Is a round in progress? (false once both sides published its results) */
int issu_endpoint_busy(const struct issu_endpoint *ep);

/** The current snapshot, with a reference the caller must drop. */
struct issu_snapshot *issu_endpoint_snapshot(struct issu_endpoint *ep);

#endif
