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

#include "events.h"
#include "snapshot.h"

struct issu_hub;

/**
 * Change listener; runs on the core thread; must not block. @p ev are the
 * events from @p old to @p cur (events.h), computed once for every listener
 * (possibly empty; it holds references to both snapshots): a face renders
 * them and takes a reference to keep them.
 */
typedef void (*issu_hub_listener)(void *arg, const struct issu_snapshot *old,
                                  const struct issu_snapshot *cur, const struct issu_events *ev);

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

/**
 * What asked for the round a published snapshot ends (the history records
 * it): the hub knows how each round was requested; faces say who they are
 * through issu_hub_renegotiate_by().
 */
enum issu_trigger {
    ISSU_TRIG_START = 1,       /**< issud started (the first rounds) */
    ISSU_TRIG_RELOAD = 2,      /**< manifests re-read (SIGHUP) */
    ISSU_TRIG_SNMP_SET = 3,    /**< issuRenegotiate SET */
    ISSU_TRIG_NETCONF_RPC = 4, /**< the renegotiate RPC */
    ISSU_TRIG_PEER_LOST = 5,   /**< peer mode: the link went down */
    ISSU_TRIG_PEER_BACK = 6,   /**< peer mode: the link came (back) up */
    ISSU_TRIG_PEER = 7,        /**< peer mode: a round the peer started */
    ISSU_TRIG_REQUEST = 8,     /**< issu_hub_renegotiate() from another caller */
};
#define ISSU_TRIG_MAX 8

/** "start", "reload", "snmp-set", "netconf-rpc", "peer-lost", "peer-back", "peer", "request". */
const char *issu_trigger_name(int t);

/** As issu_hub_renegotiate(), recording @p trigger as what asked for the round. */
int issu_hub_renegotiate_by(struct issu_hub *hub, enum issu_trigger trigger, uint32_t client_id,
                            uint32_t sid, struct issu_snapshot **out);

/**
 * The trigger of the round whose snapshot is being published; only inside a
 * change listener (core thread).
 */
enum issu_trigger issu_hub_trigger(const struct issu_hub *hub);

/** Register a change listener (before the faces start serving). */
int issu_hub_listen(struct issu_hub *hub, issu_hub_listener cb, void *arg);

/* ---- daemon side (issud main and tests); everything above is unchanged ---- */

#include "endpoint.h" /* issu_log_cb */

struct issu_image;

struct issu_hub_conf {
    const char *active_path;  /**< manifest of the active endpoint's image */
    const char *standby_path; /**< manifest of the standby endpoint's image */
    uint32_t active_uid;      /**< 0: 4 (the embedded default pair) */
    uint32_t standby_uid;     /**< 0: 7 */
    issu_log_cb log;          /**< syslog levels; may be NULL; any thread */
    void *log_arg;
    int *refused;             /**< optional: set to 1 when a manifest was refused */
};

/**
 * Load both manifests and create both endpoints (peer down, nothing
 * negotiated yet). On a bad manifest (unreadable, not a regular file, too
 * large, invalid) the reason goes to conf->log, *conf->refused is set and
 * ISSU_ERR_INVAL/ISSU_ERR_IO is returned.
 */
int issu_hub_new(const struct issu_hub_conf *conf, struct issu_hub **out);

/** Start the core thread: it connects the pair and negotiates. */
int issu_hub_start(struct issu_hub *hub);

/** Stop the core thread (waiting requests fail with ISSU_ERR_PROTO). */
void issu_hub_stop(struct issu_hub *hub);

/** Stop if running and free everything. NULL is a no-op. */
void issu_hub_free(struct issu_hub *hub);

/**
 * Re-read both manifest files on the core thread (SIGHUP). A file that fails
 * to load leaves everything as it was (the reason is logged and returned in
 * @p err when given); an unchanged file is not reloaded; a changed one
 * replaces the endpoint's image and renegotiates.
 */
int issu_hub_reload(struct issu_hub *hub, char *err, size_t errlen);

/**
 * Negotiate @p candidate (as the standby image) against the running active
 * image in a private in-memory pair: live sessions are not touched.
 * *out receives the active view of that negotiation (a reference).
 */
int issu_hub_check(struct issu_hub *hub, struct issu_image *candidate, struct issu_snapshot **out);

/* ---- peer mode: one endpoint; its peer is another issud over TCP (tcp.h) ---- */

/* Limits of the peer listener (tcp.h has the same; issud cannot include it). */
#define ISSU_HUB_PEER_PENDING_DEFAULT 32
#define ISSU_HUB_PEER_PENDING_MAX 1024
#define ISSU_HUB_PEER_AUTH_MS_DEFAULT 5000
#define ISSU_HUB_PEER_AUTH_MS_MAX 300000

struct issu_hub_peer_conf {
    const char *manifest;     /**< this endpoint's image */
    uint32_t unique_id;       /**< nonzero; the smaller of the two is PRIMARY */
    enum issu_side side;      /**< ISSU_SIDE_ACTIVE or ISSU_SIDE_STANDBY */
    const char *listen;       /**< ADDR:PORT, or NULL ... */
    const char *connect;      /**< ... ADDR:PORT of the peer (exactly one is set) */
    const char *psk_file;     /**< pre-shared key (mode 0600 or stricter) */
    unsigned pending_max;     /**< listener: connections authenticating at once (0: default) */
    unsigned auth_ms;         /**< deadline to authenticate a connection (0: default) */
    issu_log_cb log;
    void *log_arg;
    int *refused;             /**< optional: set to 1 when the manifest or the key file was refused */
};

/**
 * Peer mode: load the manifest and the PSK, create the endpoint and its TCP
 * link (a listening link binds here). The core thread (issu_hub_start) polls
 * the link; faces show this endpoint. Renegotiation requests wait for the
 * round over the network (up to 10 s); issu_hub_reload re-reads the one
 * manifest; issu_hub_check negotiates the candidate against this image.
 */
int issu_hub_new_peer(const struct issu_hub_peer_conf *conf, struct issu_hub **out);

/** Peer mode: the TCP port listened on or connected to (0 in the embedded mode). */
int issu_hub_peer_port(struct issu_hub *hub);

#endif
