/*
 * snmp_index.h - rows of ISSU-NEGOTIATION-MIB tables as positions in a snapshot.
 *
 * Every table is a tree of sorted arrays already present in a snapshot
 * (clients by id, sessions through by_sid, each session's versions and
 * capabilities by type, the local image's clients, entities, message types
 * and versions). A row is found by one binary search per index component,
 * so GET and GETNEXT cost O(log n) and nothing is copied. No net-snmp here:
 * index components arrive as the agent's sub-identifiers (unsigned long, may
 * exceed 32 bits in a request) and the unit tests drive this file alone.
 */
#ifndef ISSU_SNMP_INDEX_H
#define ISSU_SNMP_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* Tables, numbered as their OID arc under issuObjects. */
enum issu_snmp_table {
    ISSU_SNMP_T_CLIENT = 2,
    ISSU_SNMP_T_ENTITY = 3,
    ISSU_SNMP_T_MSGTYPE = 4,
    ISSU_SNMP_T_MSGVER = 5,
    ISSU_SNMP_T_SESSION = 6,
    ISSU_SNMP_T_NEGVER = 7,
    ISSU_SNMP_T_NEGCAP = 8,
    ISSU_SNMP_T_CLIENTDEP = 9,
};
#define ISSU_SNMP_T_FIRST ISSU_SNMP_T_CLIENT
#define ISSU_SNMP_T_LAST ISSU_SNMP_T_CLIENTDEP
#define ISSU_SNMP_MAX_INDEX 4

/* One row: its index and pointers to what its columns show. */
struct issu_snmp_row {
    uint32_t idx[ISSU_SNMP_MAX_INDEX];
    const struct issu_client_result *cr;  /**< client / dep table: the client */
    const struct issu_client_result *dep; /**< dep table: the prerequisite (NULL if unknown) */
    const struct issu_client *ic;         /**< image tables: the image's client */
    const struct issu_entity *ent;
    const struct issu_msg_group *mg;
    const struct issu_msg_type *mt;
    const struct issu_msg_version *mv;
    const struct issu_session *ss;
    const struct issu_neg_version *nv;
    const struct issu_neg_cap *nc;
};

/** Number of index components of a table (0 for an unknown table). */
unsigned issu_snmp_table_depth(enum issu_snmp_table t);

/** Exact row with index @p idx (@p len must equal the depth). 1 found, 0 not. */
int issu_snmp_row_get(const struct issu_snapshot *s, enum issu_snmp_table t,
                      const unsigned long *idx, size_t len, struct issu_snmp_row *row);

/**
 * First row whose index is lexicographically greater than @p idx (as OID
 * suffixes: a shorter prefix sorts before everything that extends it; @p len
 * may be 0 for the first row, or longer than the depth). 1 found, 0 not.
 */
int issu_snmp_row_next(const struct issu_snapshot *s, enum issu_snmp_table t,
                       const unsigned long *idx, size_t len, struct issu_snmp_row *row);

#endif
