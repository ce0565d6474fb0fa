/*
 * rules.h - the negotiation rules of DOMAIN.md, as pure functions.
 *
 * issu_rules_session() negotiates one session from the two sides' message and
 * capability types (rules 1 and 2); issu_rules_policy() applies rule 3;
 * issu_rules_finish() derives client results, interdependencies, one-sided
 * clients and the image verdict of a snapshot (rules 4 to 6). Every reason is
 * worded with side names (active/standby), never local/peer, and every list is
 * walked in id order, so both endpoints derive the same text (rule 7).
 */
#ifndef ISSU_RULES_H
#define ISSU_RULES_H

#include <stdint.h>

#include "image.h"
#include "snapshot.h"

#include "codec.h"

/** The local side of a session: its image's groups (either may be NULL). */
struct issu_local_view {
    uint8_t side; /**< enum issu_side */
    const struct issu_msg_group *msgs;
    const struct issu_cap_group *caps;
};

/**
 * Negotiate one session against the peer's NEGO message. @p versions must
 * have room for local message types + peer->n_types entries and @p caps for
 * local capability types + peer->n_caps. MTUs are the local side's.
 *
 * @param[out] raw     ISSU_RES_COMPATIBLE or ISSU_RES_INCOMPATIBLE
 * @param[out] reason  malloc'd plain-words reason when incompatible, else NULL
 *                     (the first three problems; the notes have every one)
 * @param[out] notes   malloc'd NUL-separated texts, one per message type that
 *                     negotiated no version and per capability type that did
 *                     not negotiate (their note fields point in), or NULL
 */
int issu_rules_session(const struct issu_local_view *local, uint8_t peer_side,
                       const struct issu_w_nego *peer,
                       struct issu_neg_version *versions, uint32_t *n_versions,
                       struct issu_neg_cap *caps, uint32_t *n_caps, uint8_t *raw, char **reason,
                       char **notes, uint32_t *notes_len);

/**
 * Rule 3: the session's result from its raw result and both clients'
 * policies. *has_policy tells whether "(policy)" applies. allow-degraded
 * never lifts a @p base client (either image's word): its result stays
 * the raw result.
 */
uint8_t issu_rules_policy(uint8_t raw, enum issu_policy a, enum issu_policy b, int base,
                          uint8_t *has_policy);

/**
 * Rules 4-6 over a snapshot whose clients (id, name, base, optional,
 * presence, prereqs, sessions) and sessions are filled: sets each client's
 * result, effective result, chain, reason and counts flag, and the verdict.
 * Reasons it sets are malloc'd and owned by the snapshot.
 */
int issu_rules_finish(struct issu_snapshot *s, const char *local_side, const char *peer_side);

#endif
