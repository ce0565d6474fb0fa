/*
 * snapshot.h - the immutable, reference-counted view of one endpoint's state.
 *
 * The negotiation core publishes a new snapshot after every completed round
 * (and on peer loss). Faces (NETCONF, SNMP, issuctl) read snapshots only: a
 * reader holding a snapshot never sees half a renegotiation, and never blocks
 * the core. Everything here is plain data; strings and arrays are owned by the
 * snapshot and live until its last reference is dropped.
 *
 * Enum values start at 1 so they map one-to-one on SMIv2 enumerations.
 */
#ifndef ISSU_SNAPSHOT_H
#define ISSU_SNAPSHOT_H

#include <stdint.h>
#include <time.h>

#include "image.h"

enum issu_result {
    ISSU_RES_COMPATIBLE = 1,
    ISSU_RES_INCOMPATIBLE = 2,
    ISSU_RES_UNKNOWN = 3, /**< not negotiated (yet, or the peer is down) */
};

enum issu_role {
    ISSU_ROLE_PRIMARY = 1, /**< smaller unique id: initiates */
    ISSU_ROLE_PASSIVE = 2,
    ISSU_ROLE_NONE = 3,    /**< no peer yet */
};

enum issu_verdict {
    ISSU_VERDICT_COMPATIBLE = 1,
    ISSU_VERDICT_BASE_LEVEL = 2, /**< every base client compatible, some other not */
    ISSU_VERDICT_INCOMPATIBLE = 3,
    ISSU_VERDICT_UNKNOWN = 4,
};

enum issu_peer_state {
    ISSU_PEER_DOWN = 1,
    ISSU_PEER_NEGOTIATING = 2,
    ISSU_PEER_UP = 3,
};

/** Which side of the redundant pair an endpoint is; reasons name sides. */
enum issu_side {
    ISSU_SIDE_ACTIVE = 1,
    ISSU_SIDE_STANDBY = 2,
};

/** Where a client exists. */
enum issu_presence {
    ISSU_PRESENT_BOTH = 1,
    ISSU_PRESENT_LOCAL = 2, /**< in the local image only: no session */
    ISSU_PRESENT_PEER = 3,  /**< in the peer image only: no session */
};

/** Per session and message type: the negotiated version (0 = none in common). */
/** Longest causal chain a client result keeps (see n_chain). */
#define ISSU_CHAIN_MAX 16

struct issu_neg_version {
    uint32_t msg_type;
    uint32_t version;
    uint32_t mtu;      /**< MTU of the negotiated version in the local image */
    uint32_t peer_mtu; /**< ... in the peer's image */
    uint32_t note;     /**< 0, or 1 + offset in the session's notes: why no version,
                            or the warning that the two MTUs differ */
};

/** Per session and capability type. */
struct issu_neg_cap {
    uint32_t cap_type;
    uint8_t result;    /**< 1 = negotiated (supported by both), 0 = not */
    uint8_t has_entry; /**< 0: "No cap value assigned" */
    uint8_t required;  /**< required by either side */
    uint8_t pad_;
    uint32_t entry;    /**< negotiated entry: the highest common one */
    uint32_t note;     /**< 0, or 1 + offset in the session's notes: why not negotiated */
};

struct issu_session {
    uint32_t sid;      /**< local Session_ID */
    uint32_t peer_sid; /**< the peer's id for this session */
    uint32_t client_id;
    uint32_t entity_id;
    const char *name;  /**< Session_Name (the local entity's) */
    uint32_t peer_unique_id;
    uint8_t role;          /**< enum issu_role */
    uint8_t raw_result;    /**< enum issu_result, before policy */
    uint8_t result;        /**< enum issu_result, after policy: the session's result */
    uint8_t has_policy;    /**< prints "(policy)" and the Compat_Result line */
    uint32_t cap_group;
    uint32_t msg_group;
    uint32_t signature;    /**< 0: negotiation not shared */
    uint32_t nego_sid;     /**< Nego_Session_ID */
    const char *nego_name; /**< Nego_Session_Name */
    uint32_t transport_mtu;
    uint32_t n_versions;
    struct issu_neg_version *versions; /**< by message type */
    uint32_t n_caps;
    struct issu_neg_cap *caps; /**< by capability type */
    const char *reason; /**< why raw_result is incompatible, then warnings (MTUs that
                             differ); NULL when compatible without warning */
    const char *notes;  /**< NUL-separated texts the versions' and caps' note fields point to */
    uint32_t notes_len;
};

/** The text of a version's or capability's note, or NULL. */
static inline const char *issu_session_note(const struct issu_session *s, uint32_t note)
{
    return note && s->notes && note <= s->notes_len ? s->notes + note - 1 : NULL;
}

struct issu_client_result {
    uint32_t id;
    const char *name;
    uint8_t base;
    uint8_t optional;
    uint8_t presence;  /**< enum issu_presence */
    uint8_t result;    /**< own sessions' result (enum issu_result) */
    uint8_t effective; /**< after interdependencies */
    uint8_t counts;    /**< 1 when it counts against the image verdict */
    uint16_t pad_;
    uint32_t entity_count; /**< entities in the local image (peer's if peer-only) */
    const char *reason;    /**< plain words: why result/effective is not compatible */
    uint32_t n_chain;      /**< causal chain: this client, then each failing prerequisite;
                                at most ISSU_CHAIN_MAX (a longer one keeps its first links
                                and, last, the client that failed on its own) */
    uint32_t *chain;
    uint32_t n_prereqs;    /**< prerequisites (union of both images) */
    uint32_t *prereqs;
    uint32_t first_session; /**< index into snapshot->sessions */
    uint32_t n_sessions;
};

/** The counts a dashboard and its alerts read without walking the tables,
 * computed once per snapshot (issu_snapshot_summarize) for every face.
 * Clients: compatible + incompatible + effectively incompatible + the rest
 * (unknown results, absent optional clients that do not count) = total;
 * incompatible + effectively incompatible = the clients blocking the verdict. */
struct issu_summary {
    uint32_t clients_total;
    uint32_t clients_compatible;       /**< effective result compatible */
    uint32_t clients_incompatible;     /**< counting, own result incompatible */
    uint32_t clients_eff_incompatible; /**< counting, compatible itself, incompatible through a prerequisite */
    uint32_t base_incompatible;        /**< base clients effectively incompatible */
    uint32_t sessions_total;
    uint32_t sessions_incompatible;    /**< result (after policy) incompatible */
    uint32_t sessions_unknown;         /**< result unknown: not negotiated */
};

struct issu_snapshot {
    unsigned refs;
    uint64_t generation; /**< increases with every published snapshot */

    uint32_t unique_id;
    uint8_t side;      /**< enum issu_side */
    uint8_t role;      /**< enum issu_role */
    uint8_t peer_state; /**< enum issu_peer_state */
    uint8_t verdict;   /**< enum issu_verdict */
    const char *verdict_reason; /**< NULL when compatible */
    const struct issu_image *image; /**< the local image (reference held) */
    const char *image_name;
    const char *image_version;
    uint32_t peer_unique_id; /**< 0 when unknown */
    const char *peer_image_name;
    const char *peer_image_version;

    uint64_t negotiations;    /**< rounds completed */
    uint64_t results_changed; /**< session/verdict results that changed */
    struct timespec last_change;     /**< CLOCK_REALTIME of the last change */
    struct timespec last_change_mono; /**< CLOCK_MONOTONIC, for sysUpTime stamps */

    uint32_t n_clients;
    struct issu_client_result *clients; /**< by client id */
    uint32_t n_sessions;
    struct issu_session *sessions; /**< by (client id, entity id) */
    uint32_t *by_sid;              /**< session indexes sorted by sid */
    struct issu_summary summary;   /**< set by issu_rules_finish() */
};

/** Freeing a snapshot of at least this many sessions also trims the heap. */
#define ISSU_SNAPSHOT_TRIM_SESSIONS 1024

struct issu_snapshot *issu_snapshot_ref(struct issu_snapshot *s);
void issu_snapshot_unref(struct issu_snapshot *s);

/** Binary-search lookups; NULL when absent. */
const struct issu_client_result *issu_snapshot_client(const struct issu_snapshot *s, uint32_t id);
const struct issu_session *issu_snapshot_session(const struct issu_snapshot *s, uint32_t sid);
/** Session by (client, entity); NULL when absent. */
const struct issu_session *issu_snapshot_session_ce(const struct issu_snapshot *s, uint32_t client, uint32_t entity);

/** Count the clients and sessions of @p s into s->summary (issu_rules_finish
 * calls it once the results are final). */
void issu_snapshot_summarize(struct issu_snapshot *s);

/** Switchover ready (OpenConfig's switchover-ready): the verdict is
 * COMPATIBLE and the peer is up with a current negotiation. */
int issu_snapshot_switchover_ready(const struct issu_snapshot *s);

const char *issu_result_name(int r);  /**< "COMPATIBLE", "INCOMPATIBLE", "UNKNOWN" */
const char *issu_role_name(int r);    /**< "PRIMARY", "PASSIVE", "NONE" */
const char *issu_verdict_name(int v); /**< "COMPATIBLE", "BASE-LEVEL COMPATIBLE", ... */
const char *issu_side_name(int s);    /**< "active", "standby" */
const char *issu_peer_state_name(int s); /**< "down", "negotiating", "up" */

#endif
