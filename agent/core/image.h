/*
 * image.h - the in-memory model of an image manifest.
 *
 * An image is what one endpoint runs: its ISSU clients, their entities, message
 * groups (message types with every supported version and its MTU) and capability
 * groups. Loaders (agent/ly for JSON/XML through libyang, tests for hand-built
 * images) fill this model with the builder functions below; issu_image_validate()
 * then applies the checks a schema cannot express. The negotiation core reads an
 * image only after it validated, and never changes it.
 *
 * Ownership: the image owns every array and string it points to; free with
 * issu_image_free(). All ids are the seed's unsigned numbers.
 */
#ifndef ISSU_IMAGE_H
#define ISSU_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "issu_err.h"

/** Policy a client applies to its raw negotiation result (DOMAIN.md rule 3). */
enum issu_policy {
    ISSU_POLICY_NONE = 0,       /**< "(no policy)": the result is the raw result */
    ISSU_POLICY_ENFORCE,        /**< "(policy)": policy result = raw result */
    ISSU_POLICY_ALLOW_DEGRADED, /**< "(policy)": an incompatible raw result is accepted */
    ISSU_POLICY_DENY,           /**< "(policy)": the operator blocks this client */
};

/** One supported version of a message type and its MTU (0 = no size restriction). */
struct issu_msg_version {
    uint32_t version;
    uint32_t mtu;
};

/** A message type: versions sorted ascending, contiguous after validation. */
struct issu_msg_type {
    uint32_t id;
    uint32_t n_versions;
    struct issu_msg_version *versions;
};

struct issu_msg_group {
    uint32_t id;
    uint32_t n_types;
    struct issu_msg_type *types; /**< sorted by id after validation */
};

/** A capability type: the entries (values) it supports; none = no value carried. */
struct issu_cap_type {
    uint32_t id;
    int required;     /**< both sides must support it, or the session is incompatible */
    uint32_t n_entries;
    uint32_t *entries; /**< sorted ascending after validation */
};

struct issu_cap_group {
    uint32_t id;
    uint32_t n_types;
    struct issu_cap_type *types; /**< sorted by id after validation */
};

struct issu_entity {
    uint32_t id;
    char *session_name;
    uint32_t msg_group;     /**< id of a message group of the same client */
    uint32_t cap_group;     /**< id of a capability group of the same client */
    uint32_t session_id;    /**< local session id; 0 = allocate */
    uint32_t transport_mtu; /**< 0 = the image's default transport MTU */
};

struct issu_client {
    uint32_t id;
    char *name;
    int base;     /**< infrastructure client: the image verdict hangs on it */
    int optional; /**< may be absent from the peer image without counting */
    enum issu_policy policy;
    uint32_t n_prereqs;
    uint32_t *prereqs; /**< client ids this client can only work with */
    uint32_t n_entities;
    struct issu_entity *entities; /**< sorted by id after validation */
    uint32_t n_msg_groups;
    struct issu_msg_group *msg_groups;
    uint32_t n_cap_groups;
    struct issu_cap_group *cap_groups;
};

struct issu_image {
    unsigned refs; /**< snapshots hold references; see issu_image_ref() */
    char *name;
    char *version;
    char *description;
    uint32_t transport_mtu; /**< default transport MTU of its sessions */
    uint32_t n_clients;
    struct issu_client *clients; /**< sorted by id after validation */
};

/* ---- building ---- */

/** Allocate an empty image with one reference. NULL on allocation failure. */
struct issu_image *issu_image_new(const char *name, const char *version);
/** Take another reference. */
struct issu_image *issu_image_ref(struct issu_image *img);
/** Drop a reference; the last one frees everything. NULL is a no-op. */
void issu_image_free(struct issu_image *img);

/** Set a malloc'd copy of @p s into *@p dst (freeing the old value). */
int issu_strset(char **dst, const char *s);

/** Append a zeroed element; the returned pointer is valid until the next add. */
struct issu_client *issu_image_add_client(struct issu_image *img, uint32_t id, const char *name);
int issu_client_add_prereq(struct issu_client *c, uint32_t client_id);
struct issu_entity *issu_client_add_entity(struct issu_client *c, uint32_t id, const char *session_name);
struct issu_msg_group *issu_client_add_msg_group(struct issu_client *c, uint32_t id);
struct issu_msg_type *issu_msg_group_add_type(struct issu_msg_group *g, uint32_t id);
int issu_msg_type_add_version(struct issu_msg_type *t, uint32_t version, uint32_t mtu);
struct issu_cap_group *issu_client_add_cap_group(struct issu_client *c, uint32_t id);
struct issu_cap_type *issu_cap_group_add_type(struct issu_cap_group *g, uint32_t id, int required);
int issu_cap_type_add_entry(struct issu_cap_type *t, uint32_t entry);

/* ---- checking and lookup ---- */

/**
 * Sort every list and check what a schema cannot: duplicate ids at any level,
 * duplicate versions, a version range with a hole, an entity naming a missing
 * group, a prerequisite naming no client of the image, prerequisite cycles,
 * duplicate explicit session ids, a base client that is optional or has
 * policy allow-degraded.
 *
 * @param[out] err  on failure, a message of the form "<path>: <what is wrong>",
 *                  the path in the manifest's YANG terms (NUL-terminated).
 * @return ISSU_OK or ISSU_ERR_INVAL.
 */
int issu_image_validate(struct issu_image *img, char *err, size_t errlen);

/** Binary-search lookups (valid after issu_image_validate()). NULL when absent. */
const struct issu_client *issu_image_client(const struct issu_image *img, uint32_t id);
const struct issu_entity *issu_client_entity(const struct issu_client *c, uint32_t id);
const struct issu_msg_group *issu_client_msg_group(const struct issu_client *c, uint32_t id);
const struct issu_cap_group *issu_client_cap_group(const struct issu_client *c, uint32_t id);

/** Lowest and highest supported version of a message type. */
static inline uint32_t issu_msg_type_low(const struct issu_msg_type *t)
{
    return t->n_versions ? t->versions[0].version : 0;
}
static inline uint32_t issu_msg_type_high(const struct issu_msg_type *t)
{
    return t->n_versions ? t->versions[t->n_versions - 1].version : 0;
}

const char *issu_policy_name(enum issu_policy p);
int issu_policy_parse(const char *s, enum issu_policy *out);

#endif
