/*
 * agentx_pdu.h - RFC 2741 AgentX PDUs: a strict decoder and an encoder.
 *
 * No net-snmp, no allocation: a PDU is read in place from the caller's
 * buffer (ax_pdu_parse checks the header and the fixed fields of its type,
 * then ax_pdu_range / ax_pdu_vb walk its list), and written into the
 * caller's buffer (struct ax_wr). Every length is checked against what is
 * left of the payload, and a payload may be at most AX_MAX_PAYLOAD bytes:
 * a larger one is refused from its header, before anything is read into
 * memory. Either byte order (the NETWORK_BYTE_ORDER flag); a reply uses the
 * request's. Errors are ISSU_ERR_DECODE (malformed, truncated, oversized)
 * and ISSU_ERR_NOMEM (no room left in an encode buffer).
 */
#ifndef ISSU_AGENTX_PDU_H
#define ISSU_AGENTX_PDU_H

#include <stddef.h>
#include <stdint.h>

#define AX_HDR_LEN 20
/* Cap on a payload we accept: net-snmp's master sends far less (its SNMP
 * messages are at most 64 KiB too); a bigger length field is an attack or
 * garbage, refused before reading it. */
#define AX_MAX_PAYLOAD 65536
#define AX_MAX_SUBIDS 128 /* RFC 2741 5.1 */

enum ax_type {
    AX_OPEN = 1,
    AX_CLOSE,
    AX_REGISTER,
    AX_UNREGISTER,
    AX_GET,
    AX_GETNEXT,
    AX_GETBULK,
    AX_TESTSET,
    AX_COMMITSET,
    AX_UNDOSET,
    AX_CLEANUPSET,
    AX_NOTIFY,
    AX_PING,
    AX_INDEXALLOCATE,
    AX_INDEXDEALLOCATE,
    AX_ADDAGENTCAPS,
    AX_REMOVEAGENTCAPS,
    AX_RESPONSE,
};

#define AX_F_INSTANCE_REGISTRATION 0x01
#define AX_F_NEW_INDEX 0x02
#define AX_F_ANY_INDEX 0x04
#define AX_F_NON_DEFAULT_CONTEXT 0x08
#define AX_F_NETWORK_BYTE_ORDER 0x10

/* res.error values of RFC 2741 (beyond the SNMP ones, 0-18) */
#define AX_ERR_OPENFAILED 256
#define AX_ERR_NOTOPEN 257
#define AX_ERR_UNSUPPORTEDCONTEXT 262
#define AX_ERR_DUPLICATEREGISTRATION 263
#define AX_ERR_PARSEERROR 266
#define AX_ERR_REQUESTDENIED 267
#define AX_ERR_PROCESSINGERROR 268

/* Close reasons */
#define AX_CLOSE_OTHER 1
#define AX_CLOSE_PARSEERROR 2
#define AX_CLOSE_PROTOCOLERROR 3
#define AX_CLOSE_SHUTDOWN 5

struct ax_oid {
    uint8_t n;       /**< sub-identifiers in sub (prefix already expanded) */
    uint8_t include; /**< the include field (search range starts) */
    unsigned long sub[AX_MAX_SUBIDS];
};

/* One varbind as read: the value points into the PDU. */
struct ax_vb {
    uint16_t type;
    struct ax_oid name;
    uint64_t num;        /**< Integer, Counter32, Gauge32, TimeTicks, Counter64 */
    const uint8_t *data; /**< OctetString, IpAddress, Opaque */
    uint32_t len;
    struct ax_oid oid;   /**< ObjectIdentifier */
};

/* A parsed PDU: header, type-specific fields, and a cursor over its list. */
struct ax_pdu {
    uint8_t version, type, flags;
    uint32_t sessid, transid, packetid, plen;
    const uint8_t *context; /**< non-default context (flag set), else NULL */
    uint32_t context_len;
    /* Open */
    uint8_t timeout;
    /* Close */
    uint8_t reason;
    /* GetBulk */
    uint16_t non_repeaters, max_repetitions;
    /* Response */
    uint32_t sysuptime;
    uint16_t error, index;
    /* the list (search ranges or varbinds) still to walk */
    const uint8_t *p;
    size_t left;
};

/** Payload length from a header (at least AX_HDR_LEN bytes): 0 or ISSU_ERR_DECODE (bad version, flags or length). */
int ax_hdr_plen(const uint8_t *hdr, uint32_t *plen);

/**
 * Parse one whole PDU (header and payload, n == AX_HDR_LEN + plen) into
 * @p pdu: 0 or ISSU_ERR_DECODE. The list is walked afterwards with
 * ax_pdu_range (Get, GetNext, GetBulk) or ax_pdu_vb (TestSet, Notify, Response).
 */
int ax_pdu_parse(const uint8_t *buf, size_t n, struct ax_pdu *pdu);

/** Next search range: 0 (*got 1 read, 0 end of the list) or ISSU_ERR_DECODE. */
int ax_pdu_range(struct ax_pdu *pdu, struct ax_oid *start, struct ax_oid *end, int *got);

/** Next varbind: 0 (*got 1 read, 0 end of the list) or ISSU_ERR_DECODE. */
int ax_pdu_vb(struct ax_pdu *pdu, struct ax_vb *vb, int *got);

/** Compare two OIDs as SNMP orders them: <0, 0, >0. */
int ax_oid_cmp(const unsigned long *a, size_t alen, const unsigned long *b, size_t blen);

/* ---- encoding ---- */

struct ax_wr {
    uint8_t *buf;
    size_t cap, len;
    size_t start; /**< where the PDU being written began */
    int nbo;      /**< network byte order */
};

/** Start a PDU at the end of w's buffer (payload length filled by ax_wr_end). */
int ax_wr_begin(struct ax_wr *w, uint8_t type, uint8_t flags, uint32_t sessid, uint32_t transid,
                uint32_t packetid);
/** Finish the PDU begun last: writes its payload length. */
void ax_wr_end(struct ax_wr *w);
/** Drop the PDU begun last (nothing of it stays in the buffer). */
void ax_wr_abort(struct ax_wr *w);

int ax_wr_u8x4(struct ax_wr *w, uint8_t a, uint8_t b, uint8_t c, uint8_t d);
int ax_wr_u16x2(struct ax_wr *w, uint16_t a, uint16_t b);
int ax_wr_u32(struct ax_wr *w, uint32_t v);
int ax_wr_u64(struct ax_wr *w, uint64_t v);
int ax_wr_oid(struct ax_wr *w, const unsigned long *sub, size_t n, int include);
int ax_wr_octets(struct ax_wr *w, const void *data, size_t len);
/** A varbind header (type, name); the value follows with ax_wr_u32/octets/oid. */
int ax_wr_vb_head(struct ax_wr *w, uint16_t type, const unsigned long *name, size_t n);

#endif
