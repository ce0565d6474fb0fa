/*
 * agentx_min.c - the benchmark's ceiling: the least an RFC 2741 subagent
 * can do per PDU. Serves one table shaped like issuNegVersionTable (columns
 * 2 and 3, index session 1..S . message type 0..7, constant values: version
 * 1, MTU 100 + type) under ROOT.1.7 with arithmetic GETNEXT: no snapshot,
 * no search. One blocking read and one write per PDU; agentx_pdu.c as the
 * codec (a few hundred nanoseconds of a PDU's cost). Used by agentx_bench.py.
 * Usage: agentx_min SOCKET ROOT_ARC SESSIONS   (ROOT = netSnmpPlaypen.ROOT_ARC)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentx_pdu.h"

#define TYPES 8
static unsigned long g_tab[16]; /* ...9999.9999.arc.1.7.1 */
static size_t g_k;              /* its length: the column's position */
static unsigned long g_sessions;

/* First (col, sid, type) after name; 0 when past the table. */
static int next(const unsigned long *n, size_t len, unsigned long *c, unsigned long *s,
                unsigned long *t)
{
    int cmp = ax_oid_cmp(n, len < g_k ? len : g_k, g_tab, g_k);

    *c = 2, *s = 1, *t = 0;
    if (cmp < 0 || len <= g_k)
        return cmp <= 0;
    if (cmp > 0)
        return 0;
    if (n[g_k] < 2)
        return 1;
    if (n[g_k] > 3)
        return 0;
    *c = n[g_k];
    if (len == g_k + 1 || n[g_k + 1] < 1)
        return 1;
    *s = n[g_k + 1];
    if (*s > g_sessions)
        goto next_col;
    if (len == g_k + 2)
        return 1;
    *t = n[g_k + 2] + 1; /* at or past (c, s, t): the next type */
    if (*t < TYPES)
        return 1;
    *t = 0;
    if (++*s <= g_sessions)
        return 1;
next_col:
    *s = 1;
    return ++*c <= 3;
}

static int answer(struct ax_pdu *p, struct ax_wr *w)
{
    static struct ax_oid a, b;
    unsigned long o[AX_MAX_SUBIDS], c, s, t;
    int got;

    w->nbo = !!(p->flags & AX_F_NETWORK_BYTE_ORDER);
    if (ax_wr_begin(w, AX_RESPONSE, 0, p->sessid, p->transid, p->packetid) || ax_wr_u32(w, 0) ||
        ax_wr_u16x2(w, 0, 0))
        return -1;
    while (!ax_pdu_range(p, &a, &b, &got) && got) {
        if (p->type == AX_GETNEXT && next(a.sub, a.n, &c, &s, &t)) {
            memcpy(o, g_tab, g_k * sizeof(*o));
            o[g_k] = c, o[g_k + 1] = s, o[g_k + 2] = t;
            if (ax_wr_vb_head(w, 66, o, g_k + 3) || ax_wr_u32(w, c == 2 ? 1 : 100 + (uint32_t)t))
                return -1;
        } else if (ax_wr_vb_head(w, p->type == AX_GETNEXT ? 130 : 129, a.sub, a.n)) {
            return -1;
        }
    }
    ax_wr_end(w);
    return 0;
}

static int rpc(int fd, uint8_t *buf, size_t n, struct ax_pdu *rsp, uint8_t *in)
{
    ssize_t r;

    if (write(fd, buf, n) != (ssize_t)n || (r = read(fd, in, AX_HDR_LEN + AX_MAX_PAYLOAD)) <= 0)
        return -1;
    return ax_pdu_parse(in, (size_t)r, rsp) || rsp->error;
}

int main(int argc, char **argv)
{
    static uint8_t in[AX_HDR_LEN + AX_MAX_PAYLOAD], out[AX_HDR_LEN + AX_MAX_PAYLOAD];
    static const unsigned long pre[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999};
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct ax_wr w = {out, sizeof(out), 0, 0, 1};
    struct ax_pdu p;
    size_t len = 0;
    uint32_t sess;
    int fd;

    if (argc != 4)
        return 2;
    memcpy(g_tab, pre, sizeof(pre));
    g_tab[9] = strtoul(argv[2], NULL, 10);
    g_tab[10] = 1, g_tab[11] = 7, g_tab[12] = 1;
    g_k = 13;
    g_sessions = strtoul(argv[3], NULL, 10);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", argv[1]);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
        return perror("agentx_min: connect"), 1;
    ax_wr_begin(&w, AX_OPEN, 0, 0, 0, 1);
    ax_wr_u8x4(&w, 0, 0, 0, 0);
    ax_wr_oid(&w, g_tab, 10, 0);
    ax_wr_octets(&w, "agentx_min", 10);
    ax_wr_end(&w);
    if (rpc(fd, out, w.len, &p, in))
        return fprintf(stderr, "agentx_min: Open refused\n"), 1;
    sess = p.sessid;
    w.len = 0;
    ax_wr_begin(&w, AX_REGISTER, 0, sess, 0, 2);
    ax_wr_u8x4(&w, 0, 127, 0, 0);
    ax_wr_oid(&w, g_tab, 12, 0);
    ax_wr_end(&w);
    if (rpc(fd, out, w.len, &p, in))
        return fprintf(stderr, "agentx_min: Register refused\n"), 1;
    for (;;) {
        ssize_t r = read(fd, in + len, sizeof(in) - len);
        size_t off = 0;
        uint32_t plen;

        if (r <= 0)
            return 0;
        len += (size_t)r;
        w.len = 0;
        while (len - off >= AX_HDR_LEN && !ax_hdr_plen(in + off, &plen) &&
               len - off >= AX_HDR_LEN + plen) {
            if (!ax_pdu_parse(in + off, AX_HDR_LEN + plen, &p) &&
                (p.type == AX_GET || p.type == AX_GETNEXT) && answer(&p, &w))
                return 1;
            off += AX_HDR_LEN + plen;
        }
        if (w.len && write(fd, out, w.len) != (ssize_t)w.len)
            return 1;
        memmove(in, in + off, len - off);
        len -= off;
    }
}
