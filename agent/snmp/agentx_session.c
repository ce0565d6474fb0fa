/*
 * agentx_session.c - the AgentX session with the master and its read loop.
 *
 * Connect (UNIX or TCP), Open, one Register per subtree of snmp_mib.c's
 * groups, then serve: one blocking read() brings the master's next PDU (the
 * socket's receive timeout, RECV_TICK_MS, bounds how long other threads'
 * wake-ups wait while the master is quiet), each whole PDU is answered by
 * agentx_dispatch.c, and all answers of one read go out in one write(). A
 * Ping every PING_MS of silence catches a master that hangs; EOF, a Close
 * or a malformed PDU (logged, at most once a second) ends the session and
 * the loop reconnects with backoff (BACKOFF_MIN_MS doubling to
 * BACKOFF_MAX_MS), so a restarted snmpd has us back within about a second.
 */
#include "agentx.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "issu_err.h"
#include "snmp_mib.h"

#define DEFAULT_MASTER "/var/agentx/master"
#define RECV_TICK_MS 100
#define PING_MS 5000
#define REPLY_MS 5000 /* Open, Register, Ping: the master's answer */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define BUF_LEN (AX_HDR_LEN + AX_MAX_PAYLOAD)
#define OPEN_TIMEOUT_S 0 /* the master's default (agentXTimeout) */

struct issu_ax {
    struct issu_ax_conf c;
    char *path;      /* UNIX socket, or NULL */
    char *host, *port; /* TCP */
    int fd;
    uint32_t sessid, packetid;
    uint8_t *in, *out;
    size_t in_len;
    struct ax_set set;
    /* the master's sysUpTime at mono time up_mono (centiseconds) */
    int up_valid;
    uint32_t up_cs;
    int64_t up_mono;
    int64_t last_rx, ping_at; /* ms; ping_at: a Ping is out since then (0: none) */
    uint32_t ping_id;
    int64_t bad_log_at;
    unsigned bad_quiet;
};

/* Coarse (a few ms): timers here are 0.1 s and up, and this runs per PDU. */
static int64_t now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void axlog(const struct issu_ax *ax, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(ax->c.log, ax->c.log_arg, level, fmt, ap);
    va_end(ap);
}

uint32_t issu_ax_uptime(const struct issu_ax *ax)
{
    if (!ax || !ax->up_valid)
        return 0;
    return ax->up_cs + (uint32_t)((now_ms() / 10) - ax->up_mono);
}

static void set_uptime(struct issu_ax *ax, uint32_t cs)
{
    ax->up_cs = cs;
    ax->up_mono = now_ms() / 10;
    ax->up_valid = 1;
}

uint32_t issu_ax_sessid(const struct issu_ax *ax)
{
    return ax->sessid;
}

uint32_t issu_ax_packetid(struct issu_ax *ax)
{
    return ++ax->packetid;
}

int issu_ax_connected(const struct issu_ax *ax)
{
    return ax->fd >= 0;
}

int issu_ax_new(const struct issu_ax_conf *conf, struct issu_ax **out)
{
    const char *a = conf->address ? conf->address : DEFAULT_MASTER;
    struct issu_ax *ax = NULL;
    int rc = ISSU_OK;

    *out = NULL;
    ax = calloc(1, sizeof(*ax));
    ISSU_CHECK_MEM(ax, rc);
    ax->c = *conf;
    ax->fd = -1;
    if (!strncmp(a, "unix:", 5))
        a += 5;
    if (a[0] == '/') {
        if (strlen(a) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            rc = ISSU_ERR_INVAL;
            goto cleanup;
        }
        ax->path = strdup(a);
        ISSU_CHECK_MEM(ax->path, rc);
    } else {
        const char *colon;

        if (!strncmp(a, "tcp:", 4))
            a += 4;
        colon = strrchr(a, ':');
        if (!colon || colon == a || !colon[1]) {
            rc = ISSU_ERR_INVAL;
            goto cleanup;
        }
        ax->host = strndup(a, (size_t)(colon - a));
        ax->port = strdup(colon + 1);
        ISSU_CHECK_MEM(ax->host, rc);
        ISSU_CHECK_MEM(ax->port, rc);
    }
    ax->in = malloc(BUF_LEN);
    ax->out = malloc(BUF_LEN);
    ISSU_CHECK_MEM(ax->in, rc);
    ISSU_CHECK_MEM(ax->out, rc);
    *out = ax;
    return ISSU_OK;
cleanup:
    issu_ax_free(ax);
    return rc;
}

static void disconnect(struct issu_ax *ax)
{
    if (ax->fd >= 0)
        close(ax->fd);
    ax->fd = -1;
    ax->in_len = 0;
    ax->ping_at = 0;
    memset(&ax->set, 0, sizeof(ax->set));
}

int issu_ax_send(struct issu_ax *ax, const uint8_t *p, size_t n)
{
    while (n && ax->fd >= 0) {
        ssize_t w = send(ax->fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && (errno == EINTR || errno == EAGAIN))
            continue; /* blocking socket: EAGAIN only from a send timeout */
        if (w <= 0)
            return ISSU_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return ax->fd >= 0 ? ISSU_OK : ISSU_ERR_IO;
}

static int connect_fd(struct issu_ax *ax)
{
    struct timeval tv = {0, RECV_TICK_MS * 1000};
    int fd = -1;

    if (ax->path) {
        struct sockaddr_un sa;

        memset(&sa, 0, sizeof(sa));
        sa.sun_family = AF_UNIX;
        memcpy(sa.sun_path, ax->path, strlen(ax->path) + 1);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
            close(fd);
            return -1;
        }
    } else {
        struct addrinfo hints, *res = NULL, *ai;
        int one = 1;

        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        if (getaddrinfo(ax->host, ax->port, &hints, &res) != 0)
            return -1;
        for (ai = res; ai && fd < 0; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
        if (fd < 0)
            return -1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &(struct timeval){5, 0}, sizeof(tv));
    return fd;
}

/* A malformed PDU: one log line a second at most, with how many were not logged. */
static void log_bad(struct issu_ax *ax, const char *what, const uint8_t *hdr, size_t n)
{
    int64_t now = now_ms();

    if (ax->bad_log_at && now - ax->bad_log_at < 1000) {
        ax->bad_quiet++;
        return;
    }
    axlog(ax, LOG_WARNING, "snmp: AgentX: %s from the master (type %u, %zu bytes)%s: "
          "closing the session and reconnecting", what, n ? hdr[1] : 0u, n,
          ax->bad_quiet ? " (and earlier ones not logged)" : "");
    ax->bad_log_at = now;
    ax->bad_quiet = 0;
}

/* Read once (blocking up to RECV_TICK_MS), handle every whole PDU, send the
 * answers in one write. want: a Response packetid to report in *resp.
 * ISSU_OK (also when nothing came), or ISSU_ERR_IO / ISSU_ERR_DECODE /
 * ISSU_ERR_PROTO: the session is over (already logged). */
static int pump(struct issu_ax *ax, uint32_t want, struct ax_pdu *resp, int *got)
{
    struct ax_wr w = {ax->out, BUF_LEN, 0, 0, 1};
    size_t off = 0;
    ssize_t n;
    int rc = ISSU_OK;

    n = read(ax->fd, ax->in + ax->in_len, BUF_LEN - ax->in_len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return ISSU_OK;
    if (n <= 0) {
        axlog(ax, LOG_WARNING, "snmp: AgentX master %s: %s; reconnecting",
              ax->path ? ax->path : ax->host, n ? strerror(errno) : "connection closed");
        return ISSU_ERR_IO;
    }
    ax->in_len += (size_t)n;
    ax->last_rx = -1; /* now: the loop stamps it */
    while (ax->in_len - off >= AX_HDR_LEN) {
        const uint8_t *p = ax->in + off;
        struct ax_pdu pdu;
        uint32_t plen;

        if (ax_hdr_plen(p, &plen)) {
            log_bad(ax, "malformed AgentX header", p, ax->in_len - off);
            rc = ISSU_ERR_DECODE;
            break;
        }
        if (ax->in_len - off < AX_HDR_LEN + (size_t)plen)
            break; /* the rest comes with the next read */
        if (ax_pdu_parse(p, AX_HDR_LEN + plen, &pdu)) {
            log_bad(ax, "malformed AgentX PDU", p, AX_HDR_LEN + plen);
            rc = ISSU_ERR_DECODE;
            break;
        }
        off += AX_HDR_LEN + plen;
        if (pdu.type == AX_RESPONSE) {
            if (pdu.packetid == ax->ping_id && ax->ping_at) {
                ax->ping_at = 0;
                set_uptime(ax, pdu.sysuptime);
            }
            if (want && pdu.packetid == want) {
                *resp = pdu;
                *got = 1;
            }
            continue; /* answers to our Notify PDUs need nothing */
        }
        if (pdu.type == AX_CLOSE) {
            axlog(ax, LOG_WARNING, "snmp: AgentX master closed the session (reason %u); "
                  "reconnecting", pdu.reason);
            rc = ISSU_ERR_IO;
            break;
        }
        if (pdu.type < AX_GET || pdu.type > AX_CLEANUPSET) {
            log_bad(ax, "unexpected AgentX PDU", p, AX_HDR_LEN + plen);
            rc = ISSU_ERR_PROTO;
            break;
        }
        if (BUF_LEN - w.len < AX_HDR_LEN + AX_MAX_PAYLOAD / 2) {
            if ((rc = issu_ax_send(ax, ax->out, w.len)))
                break; /* answers pile up: send what we have */
            w.len = 0;
        }
        if (issu_ax_dispatch(&pdu, &w, &ax->set)) {
            log_bad(ax, "malformed AgentX PDU", p, AX_HDR_LEN + plen);
            rc = ISSU_ERR_DECODE;
            break;
        }
    }
    if (w.len && !rc)
        rc = issu_ax_send(ax, ax->out, w.len);
    if (rc)
        return rc;
    memmove(ax->in, ax->in + off, ax->in_len - off);
    ax->in_len -= off;
    return ISSU_OK;
}

/* Send one of our PDUs (built in a small buffer) and wait for its Response. */
static int request(struct issu_ax *ax, struct ax_wr *w, uint32_t id, struct ax_pdu *resp)
{
    int64_t deadline = now_ms() + REPLY_MS;
    int got = 0;

    ISSU_CHECK(issu_ax_send(ax, w->buf, w->len));
    while (!got) {
        if (now_ms() > deadline) {
            axlog(ax, LOG_WARNING, "snmp: AgentX master did not answer in %d ms", REPLY_MS);
            return ISSU_ERR_IO;
        }
        ISSU_CHECK(pump(ax, id, resp, &got));
    }
    return ISSU_OK;
}

static int open_session(struct issu_ax *ax)
{
    uint8_t buf[1024];
    struct ax_wr w = {buf, sizeof(buf), 0, 0, 1};
    struct ax_pdu resp;
    unsigned long sub[ISSU_SNMP_MAX_OID];
    uint32_t id = issu_ax_packetid(ax);
    size_t i, n;
    int rc;

    ISSU_CHECK(ax_wr_begin(&w, AX_OPEN, 0, 0, 0, id));
    ISSU_CHECK(ax_wr_u8x4(&w, OPEN_TIMEOUT_S, 0, 0, 0));
    ISSU_CHECK(ax_wr_oid(&w, ax->c.root, ax->c.root_len, 0));
    ISSU_CHECK(ax_wr_octets(&w, "issud: ISSU-NEGOTIATION-MIB", 27));
    ax_wr_end(&w);
    ISSU_CHECK(request(ax, &w, id, &resp));
    if (resp.error) {
        axlog(ax, LOG_ERR, "snmp: AgentX master refused the session (error %u)", resp.error);
        return ISSU_ERR_REFUSED;
    }
    ax->sessid = resp.sessid;
    set_uptime(ax, resp.sysuptime);
    for (i = 0; (n = issu_snmp_mib_subtree(i, sub, ISSU_SNMP_MAX_OID)); i++) {
        w.len = 0;
        id = issu_ax_packetid(ax);
        ISSU_CHECK(ax_wr_begin(&w, AX_REGISTER, 0, ax->sessid, 0, id));
        ISSU_CHECK(ax_wr_u8x4(&w, 0, 127, 0, 0)); /* timeout: the session's; default priority */
        ISSU_CHECK(ax_wr_oid(&w, sub, n, 0));
        ax_wr_end(&w);
        rc = request(ax, &w, id, &resp);
        if (rc)
            return rc;
        if (resp.error)
            axlog(ax, LOG_ERR, "snmp: AgentX master refused to register subtree %zu of the MIB "
                  "(error %u%s)", i, resp.error,
                  resp.error == AX_ERR_DUPLICATEREGISTRATION ? ": another subagent has it" : "");
    }
    /* said once per connection, as the net-snmp subagent says it (snmp_face.c) */
    axlog(ax, LOG_INFO, "snmp: connected to the AgentX master %s: session %u, %zu subtrees "
          "registered", ax->path ? ax->path : ax->host, ax->sessid, i);
    return ISSU_OK;
}

static void send_ping(struct issu_ax *ax)
{
    uint8_t buf[AX_HDR_LEN];
    struct ax_wr w = {buf, sizeof(buf), 0, 0, 1};

    ax->ping_id = issu_ax_packetid(ax);
    if (ax_wr_begin(&w, AX_PING, 0, ax->sessid, 0, ax->ping_id) == ISSU_OK) {
        ax_wr_end(&w);
        if (issu_ax_send(ax, buf, w.len) == ISSU_OK)
            ax->ping_at = now_ms();
    }
}

/* Tell the master why the session ends (best effort: it may be gone). */
static void send_close(struct issu_ax *ax, uint8_t reason)
{
    uint8_t buf[AX_HDR_LEN + 4];
    struct ax_wr w = {buf, sizeof(buf), 0, 0, 1};

    if (ax->fd < 0)
        return;
    if (ax_wr_begin(&w, AX_CLOSE, 0, ax->sessid, 0, issu_ax_packetid(ax)) == ISSU_OK &&
        ax_wr_u8x4(&w, reason, 0, 0, 0) == ISSU_OK) {
        ax_wr_end(&w);
        issu_ax_send(ax, buf, w.len);
    }
}

/* Wait up to ms for wake_fd (disconnected: nothing else to wait on). */
static void idle_wait(struct issu_ax *ax, int ms)
{
    struct pollfd p = {ax->c.wake_fd, POLLIN, 0};

    if (ax->c.wake_fd >= 0)
        poll(&p, 1, ms);
    else
        usleep((useconds_t)ms * 1000);
}

void issu_ax_run(struct issu_ax *ax)
{
    unsigned backoff = BACKOFF_MIN_MS;
    int64_t expire_at = 0, next_try = 0;
    int logged_down = 0;

    for (;;) {
        int64_t now;

        if (atomic_load_explicit(ax->c.wake, memory_order_relaxed) &&
            atomic_exchange(ax->c.wake, 0) && ax->c.tick(ax->c.tick_arg, ax))
            break;
        now = now_ms();
        if (now >= expire_at) {
            issu_snmp_mib_pins_expire();
            expire_at = now + 1000;
        }
        if (ax->fd < 0) {
            if (now < next_try) {
                idle_wait(ax, (int)(next_try - now));
                continue;
            }
            ax->fd = connect_fd(ax);
            if (ax->fd >= 0 && open_session(ax) == ISSU_OK) {
                backoff = BACKOFF_MIN_MS;
                logged_down = 0;
                ax->last_rx = now_ms();
                continue;
            }
            /* WARN once until it connects (then INFO), not at every retry */
            if (!logged_down)
                axlog(ax, LOG_WARNING, "snmp: AgentX master %s not reachable: %s; retrying "
                      "every second, quietly", ax->path ? ax->path : ax->host,
                      ax->fd < 0 ? strerror(errno) : "no session");
            logged_down = 1;
            disconnect(ax);
            next_try = now_ms() + backoff;
            backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
            continue;
        }
        {
            struct ax_pdu unused;
            int got = 0;

            int rc = pump(ax, 0, &unused, &got);

            if (rc != ISSU_OK) {
                if (rc != ISSU_ERR_IO)
                    send_close(ax, rc == ISSU_ERR_DECODE ? AX_CLOSE_PARSEERROR
                                                         : AX_CLOSE_PROTOCOLERROR);
                disconnect(ax);
                next_try = now_ms() + BACKOFF_MIN_MS;
                continue;
            }
        }
        if (ax->last_rx < 0)
            ax->last_rx = now;
        if (ax->ping_at && now - ax->ping_at > REPLY_MS) {
            axlog(ax, LOG_WARNING, "snmp: AgentX master did not answer a Ping in %d ms; "
                  "reconnecting", REPLY_MS);
            disconnect(ax);
            next_try = now + BACKOFF_MIN_MS;
        } else if (!ax->ping_at && now - ax->last_rx > PING_MS) {
            send_ping(ax);
            ax->last_rx = now;
        }
    }
    send_close(ax, AX_CLOSE_SHUTDOWN);
    disconnect(ax);
}

void issu_ax_free(struct issu_ax *ax)
{
    if (!ax)
        return;
    disconnect(ax);
    free(ax->path);
    free(ax->host);
    free(ax->port);
    free(ax->in);
    free(ax->out);
    free(ax);
}
