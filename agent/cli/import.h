/*
 * import.h - the reader of captured `show issu` text (issuctl import).
 *
 * Pure C, no libyang: it turns what an operator copied from a router's
 * terminal into a capture model; import_write.c makes the manifest.
 * Accepted: prompts ("Router#", any hostname, "RP/0/RSP0/CPU0:router#",
 * "Router>") with the typed command (IOS abbreviations: "sh iss mess ty 2011",
 * an output filter "| include X" noted as a warning), CRLF, backspaces and
 * carriage returns as a terminal applies them (--More-- remnants), ANSI
 * CSI sequences, a literal leading "--More--", blank lines, any leading
 * whitespace, other commands in between (their output is ignored), and the
 * seed's layout variants: "Session_ID" / "Session ID", "Version_Range" /
 * "Version Range" (any '_' of a field name may be a space), any spaces
 * around '=' and after ',', "Session_ID = 45:" and "Session_ID = 45 :",
 * field names in any case ("Message_MTU" / "Message_Mtu").
 * A line of a `show issu` command it cannot read becomes a warning with
 * its file, line number and command, and is skipped. A view repeated later
 * in a capture replaces the earlier one.
 */
#ifndef ISSU_CLI_IMPORT_H
#define ISSU_CLI_IMPORT_H

#include <stddef.h>
#include <stdint.h>

/** All captures of one import together; larger input is refused unread. */
#define ISSU_IMPORT_MAX_BYTES (128u * 1024u * 1024u)
/** Longer lines (before terminal controls are applied) are skipped with a warning. */
#define ISSU_IMPORT_MAX_LINE 4096u
/** Warnings kept with their text; the rest are counted. */
#define ISSU_IMPORT_MAX_WARNINGS 1000u

enum issu_imp_result { ISSU_IMP_UNKNOWN = 0, ISSU_IMP_COMPATIBLE, ISSU_IMP_INCOMPATIBLE };

struct issu_imp_ver {
    uint32_t ver, mtu;
};

/* one type of `show issu message types`: its range and the versions listed */
struct issu_imp_mtype {
    uint32_t id, lo, hi;
    struct issu_imp_ver *v;
    size_t nv;
};

/* one type of `show issu message groups` */
struct issu_imp_grange {
    uint32_t group, type, lo, hi;
};

#define ISSU_IMP_S_TABLE 0x01u  /* the value row was read */
#define ISSU_IMP_S_POLICY 0x02u /* "(policy)" or "(no policy)" */
#define ISSU_IMP_S_TMTU 0x04u
#define ISSU_IMP_S_COMPAT 0x08u /* Compat_Result */

/* one session of `show issu sessions` */
struct issu_imp_session {
    uint32_t sid, peer_uid, peer_sid, cap_group, msg_group, signature, tmtu;
    char *name;
    unsigned have;   /* ISSU_IMP_S_* */
    int policy;      /* 1 "(policy)", 0 "(no policy)" */
    int result, raw_result, policy_result; /* enum issu_imp_result */
};

struct issu_imp_entity {
    uint32_t id;
    char *name; /* Entity_Name of `show issu entities` */
    uint32_t msgtype_count;
    int has_types, has_groups, has_entity_line;
    struct issu_imp_mtype *types;
    size_t ntypes;
    struct issu_imp_grange *ranges;
    size_t nranges;
    struct issu_imp_session *sess;
    size_t nsess;
};

struct issu_imp_client {
    uint32_t id, entity_count;
    char *name;  /* Client_Name of `show issu clients` */
    int listed;  /* its `show issu clients` line was read */
    struct issu_imp_entity *ents;
    size_t nents;
};

struct issu_imp_negver {
    uint32_t type, ver, mtu;
    int failed; /* Negotiated_Version = FAILED */
};

struct issu_imp_cap {
    uint32_t type, result, entry;
    int has_type, has_entry, noval; /* noval: "No cap value assigned" */
};

/* `show issu negotiated version|capability S` */
struct issu_imp_neg {
    uint32_t sid;
    int has_vers, has_caps;
    struct issu_imp_negver *vers;
    size_t nvers;
    struct issu_imp_cap *caps;
    size_t ncaps;
};

struct issu_imp_warning {
    char *text; /* "FILE:LINE: in 'COMMAND': what" */
};

struct issu_imp_index;

struct issu_capture {
    struct issu_imp_client *clients; /* in the order first seen */
    size_t nclients;
    struct issu_imp_neg *negs;
    size_t nnegs;
    char *image_name, *image_version; /* `show version` */
    struct issu_imp_warning *warn;
    size_t nwarn;       /* kept, at most ISSU_IMPORT_MAX_WARNINGS */
    size_t nwarn_total; /* all */
    size_t bytes, lines, commands; /* read so far; commands: `show issu` views and `show version` */
    struct issu_imp_index *idx;
};

/** A new, empty capture. @return ISSU_OK or ISSU_ERR_NOMEM. */
int issu_capture_new(struct issu_capture **out);

/**
 * Read one capture's text into @p cap. @p name names it in warnings.
 * @return ISSU_OK (warnings in cap->warn), ISSU_ERR_INVAL when the bytes
 *         of all captures would exceed ISSU_IMPORT_MAX_BYTES (nothing read)
 *         or ISSU_ERR_NOMEM.
 */
int issu_capture_feed(struct issu_capture *cap, const char *name, const char *data, size_t len);

/** Add a warning (printf format); also used by the manifest writer. */
int issu_capture_warn(struct issu_capture *cap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** The client with @p id, or NULL. */
struct issu_imp_client *issu_capture_client(const struct issu_capture *cap, uint32_t id);

/** The negotiated views of session @p sid, or NULL. */
struct issu_imp_neg *issu_capture_neg(const struct issu_capture *cap, uint32_t sid);

void issu_capture_free(struct issu_capture *cap);

#endif
