/*
 * tcp.c - the TCP link (tcp.h): sockets, timers and the glue between the
 * secure frame layer (auth.c) and one endpoint.
 *
 * The endpoint never sees an unauthenticated byte: it is told it is
 * connected only once the handshake succeeded, gets only payloads whose tag
 * verified, and is told the peer is lost whenever a connection it knew about
 * goes away. Endpoint calls never re-enter: a send that overflows the output
 * cap only flags the link, which drops the connection once the endpoint
 * returned.
 *
 * Connections live in a fixed pool (a listener's pending_max, a connecting
 * link's one); the link is the one of them that authenticated. Nothing moves
 * in the pool while a connection is in use, so a pointer to a slot stays
 * valid through the secure layer's callbacks.
 */
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "issu_err.h"

enum conn_state { C_NONE = 0, C_CONNECTING, C_AUTH, C_OPEN };

/* Why an unauthenticated connection went: one rate limit each. */
enum rl_reason { RL_AUTH = 0, RL_TIMEOUT, RL_CLOSED, RL_FULL, RL_BUSY, RL_ACCEPT, RL_N };

/* Several 64 KiB frames per read: only a frame cut by a read's end is copied
 * (to be completed), so the bigger the read the fewer bytes copied. */
#define TCP_RX (256u * 1024u)
#define TCP_BACKLOG 128
#define ACCEPT_PAUSE_MS 100 /* out of fds: poll the listener again after */

struct issu_tcp;

struct conn {
    struct issu_tcp *t;
    int fd;                 /* -1: free slot */
    enum conn_state state;
    struct sockaddr_storage ss; /* listener: the peer's address */
    char peer_s[80];        /* its address, for logs */
    struct issu_sec sec;
    int64_t since;          /* accepted at */
    uint64_t order;         /* accept order: many arrive within one ms */
    int64_t deadline;       /* C_CONNECTING/C_AUTH: give up at */
    unsigned same;          /* pending: pending connections from its host, itself included */
};

struct ratelim {
    int64_t last;           /* a line was logged at (0: never) */
    unsigned suppressed;    /* lines not logged since */
    int level;
    char line[300];         /* the last one not logged */
};

struct issu_tcp {
    struct issu_tcp_conf conf;
    uint8_t *psk;
    struct sockaddr_storage addr; /* listen or connect address */
    socklen_t addrlen;
    char addr_s[80];
    int listen_fd;
    int port;
    int64_t accept_at;      /* listener: do not accept before (out of fds) */

    struct issu_endpoint *ep;
    struct conn *conns;     /* the pool: pending_max slots (listener) or 1 */
    unsigned nconns;
    unsigned npending;      /* listener: connections authenticating */
    uint64_t accepted;      /* listener: connections accepted so far */
    struct conn *link;      /* the authenticated connection, or NULL */
    int *slot;              /* per fd of the last prepare: its conn, -1 = the listener */
    uint8_t *rx;            /* TCP_RX bytes: the secure layer reads frames in place */
    int ep_connected;       /* issu_endpoint_connected was called */
    int overflow;           /* a send went over ISSU_TCP_OUT_MAX */
    int64_t opened_at, last_rx, last_tx;
    int64_t next_connect;   /* connecting link: next attempt at */
    int backoff;            /* ms */
    int fail_streak;        /* connect failures since the last good connection */
    unsigned seed;
    struct ratelim rl[RL_N];
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tlog(struct issu_tcp *t, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tlog(struct issu_tcp *t, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    issu_vlogf(t->conf.log, t->conf.log_arg, level, fmt, ap);
    va_end(ap);
}

static void fmt_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t outlen)
{
    char host[INET6_ADDRSTRLEN + 8], serv[16];

    if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) {
        snprintf(out, outlen, "?");
        return;
    }
    if (sa->sa_family == AF_INET6)
        snprintf(out, outlen, "[%s]:%s", host, serv);
    else
        snprintf(out, outlen, "%s:%s", host, serv);
}

int issu_tcp_parse_addr(const char *s, void *ss, unsigned *len)
{
    char host[256], *end;
    const char *colon, *h = s;
    struct addrinfo hints, *res = NULL;
    unsigned long port;
    size_t hl;

    if (!s || !*s)
        return ISSU_ERR_INVAL;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end || end[1] != ':')
            return ISSU_ERR_INVAL;
        h = s + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon) /* bare IPv6 needs brackets */
            return ISSU_ERR_INVAL;
        hl = (size_t)(colon - s);
    }
    if (!hl || hl >= sizeof(host))
        return ISSU_ERR_INVAL;
    memcpy(host, h, hl);
    host[hl] = '\0';
    errno = 0;
    if (colon[1] < '0' || colon[1] > '9')
        return ISSU_ERR_INVAL;
    port = strtoul(colon + 1, &end, 10);
    if (errno || *end || port > 65535)
        return ISSU_ERR_INVAL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV | (*s == '[' ? AI_NUMERICHOST : 0);
    if (getaddrinfo(host, colon + 1, &hints, &res) || !res)
        return ISSU_ERR_INVAL;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *len = (unsigned)res->ai_addrlen;
    freeaddrinfo(res);
    return ISSU_OK;
}

/* ---------------------------------------------------------------- rate limit */

static void rl_emit(struct issu_tcp *t, struct ratelim *l, int level, const char *line, int64_t now)
{
    if (l->suppressed)
        tlog(t, level, "%s (%u more like this in the last %.1f s not logged)", line, l->suppressed,
             (double)(now - l->last) / 1000.0);
    else
        tlog(t, level, "%s", line);
    l->last = now;
    l->suppressed = 0;
}

/* One line per reason per interval; the others are counted, the last kept. */
static void rl_log(struct issu_tcp *t, enum rl_reason r, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void rl_log(struct issu_tcp *t, enum rl_reason r, int level, const char *fmt, ...)
{
    struct ratelim *l = &t->rl[r];
    int64_t now = now_ms();
    char line[sizeof(l->line)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (l->last && now - l->last < ISSU_TCP_LOG_INTERVAL_MS) {
        l->suppressed++;
        l->level = level;
        memcpy(l->line, line, sizeof(line));
        return;
    }
    rl_emit(t, l, level, line, now);
}

/* A flood that stopped still gets its count told: the last line not logged, with it. */
static void rl_flush(struct issu_tcp *t, int64_t now)
{
    struct ratelim *l;
    int r;

    for (r = 0; r < RL_N; r++) {
        l = &t->rl[r];
        if (l->suppressed && now - l->last >= ISSU_TCP_LOG_INTERVAL_MS) {
            l->suppressed--; /* the line shown is one of them */
            rl_emit(t, l, l->level, l->line, now);
        }
    }
}

/* ---------------------------------------------------------------- pool */

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
    if (a->ss_family != b->ss_family)
        return 0;
    if (a->ss_family == AF_INET)
        return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
    if (a->ss_family == AF_INET6)
        return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                       sizeof(struct in6_addr));
    return 0;
}

static int is_pending(const struct conn *c)
{
    return c->t->listen_fd >= 0 && c->fd >= 0 && c != c->t->link;
}

/* Count @p c in (+1) or out (-1) of the pending connections of its host. */
static void count_pending(struct conn *c, int delta)
{
    struct issu_tcp *t = c->t;
    unsigned i;

    if (delta > 0)
        c->same = 1;
    for (i = 0; i < t->nconns; i++) {
        struct conn *o = &t->conns[i];

        if (o == c || !is_pending(o) || !same_host(&o->ss, &c->ss))
            continue;
        if (delta > 0) {
            o->same++;
            c->same++;
        } else {
            o->same--;
        }
    }
    t->npending = delta > 0 ? t->npending + 1 : t->npending - 1;
}

/* Close a connection and free its slot (the endpoint is not told). */
static void conn_close(struct conn *c)
{
    if (c->fd < 0)
        return;
    if (is_pending(c))
        count_pending(c, -1);
    if (c == c->t->link)
        c->t->link = NULL;
    close(c->fd);
    c->fd = -1;
    c->state = C_NONE;
    issu_sec_clear(&c->sec);
}

/* The pending connection a newcomer replaces: the oldest of the host with the most. */
static struct conn *pick_victim(struct issu_tcp *t)
{
    struct conn *v = NULL, *c;
    unsigned i;

    for (i = 0; i < t->nconns; i++) {
        c = &t->conns[i];
        if (!is_pending(c))
            continue;
        if (!v || c->same > v->same || (c->same == v->same && c->order < v->order))
            v = c;
    }
    return v;
}

/* ---------------------------------------------------------------- connection */

static int set_sock_opts(int fd)
{
    int one = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return ISSU_ERR_IO;
    return ISSU_OK;
}

/* Write what the secure layer queued, as far as the socket takes it. */
static int write_out(struct conn *c)
{
    ssize_t n;

    while (issu_sec_pending(&c->sec)) {
        n = send(c->fd, c->sec.out.data + c->sec.out_off, issu_sec_pending(&c->sec), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return ISSU_OK;
        if (n <= 0)
            return ISSU_ERR_IO;
        issu_sec_consume(&c->sec, (size_t)n);
    }
    return ISSU_OK;
}

static void schedule_connect(struct issu_tcp *t, int64_t now)
{
    int d = t->backoff / 2 + (int)(rand_r(&t->seed) % (unsigned)(t->backoff / 2 + 1));

    t->next_connect = now + d;
    t->backoff = t->backoff * 2 > ISSU_TCP_BACKOFF_MAX_MS ? ISSU_TCP_BACKOFF_MAX_MS : t->backoff * 2;
}

/*
 * Drop @p c, saying why. A pending connection of a listener is a stranger
 * until it authenticated: its line goes through the rate limit of @p reason.
 */
static void drop(struct conn *c, int level, enum rl_reason reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void drop(struct conn *c, int level, enum rl_reason reason, const char *fmt, ...)
{
    struct issu_tcp *t = c->t;
    char why[256];
    int64_t now = now_ms();
    int was_link = c == t->link, lasted = was_link && now - t->opened_at >= ISSU_TCP_BACKOFF_MAX_MS;
    va_list ap;

    if (c->fd < 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (c->state == C_CONNECTING) {
        /* a failed connect is logged once per streak, then at debug level */
        tlog(t, t->fail_streak++ ? LOG_DEBUG : level, "peer %s: %s; retrying with backoff", c->peer_s, why);
    } else if (is_pending(c)) {
        rl_log(t, reason, level, "peer %s: %s; connection dropped", c->peer_s, why);
    } else {
        tlog(t, level, "peer %s: %s; connection dropped", c->peer_s, why);
        if (was_link)
            (void)write_out(c); /* best effort: an ERROR the endpoint queued */
    }
    conn_close(c);
    if (was_link)
        t->overflow = 0;
    if (t->conf.connect) {
        /* a connection that lasted resets the backoff; quick failures keep doubling it */
        if (lasted)
            t->backoff = ISSU_TCP_BACKOFF_MIN_MS;
        schedule_connect(t, now);
    }
    if (was_link && t->ep_connected) {
        t->ep_connected = 0;
        issu_endpoint_peer_lost(t->ep);
    }
}

static int start_auth(struct conn *c, int64_t now)
{
    struct issu_tcp *t = c->t;
    int rc;

    rc = issu_sec_init(&c->sec, t->conf.connect ? ISSU_SEC_INITIATOR : ISSU_SEC_RESPONDER, t->psk,
                       t->conf.psk_len);
    if (rc != ISSU_OK)
        return rc;
    c->state = C_AUTH;
    c->deadline = now + t->conf.auth_ms;
    /* a listener's strangers would flood this line: debug there */
    tlog(t, t->conf.connect ? LOG_INFO : LOG_DEBUG, "peer %s: connected, authenticating", c->peer_s);
    return write_out(c);
}

/* @p c authenticated: it becomes the link, and the other pending connections go. */
static int ensure_connected(struct conn *c)
{
    struct issu_tcp *t = c->t;
    unsigned i, closed = 0;

    if (c == t->link || c->sec.state != ISSU_SEC_OPEN)
        return ISSU_OK;
    if (t->link)
        return ISSU_ERR_PROTO; /* cannot happen: a link closes every other connection */
    if (is_pending(c))
        count_pending(c, -1);
    t->link = c;
    c->state = C_OPEN;
    for (i = 0; i < t->nconns; i++) {
        if (&t->conns[i] != c && t->conns[i].fd >= 0) {
            conn_close(&t->conns[i]);
            closed++;
        }
    }
    t->opened_at = t->last_rx = t->last_tx = now_ms();
    t->fail_streak = 0;
    t->ep_connected = 1;
    if (closed)
        tlog(t, LOG_NOTICE, "peer %s: authenticated; %u other pending connection%s closed", c->peer_s, closed,
             closed == 1 ? "" : "s");
    else
        tlog(t, LOG_NOTICE, "peer %s: authenticated", c->peer_s);
    return issu_endpoint_connected(t->ep);
}

static int deliver(void *arg, const uint8_t *data, size_t len)
{
    struct conn *c = arg;
    struct issu_tcp *t = c->t;
    int rc;

    ISSU_CHECK(ensure_connected(c));
    rc = issu_endpoint_input(t->ep, data, len);
    if (rc == ISSU_OK && t->overflow)
        rc = ISSU_ERR_TRANSPORT;
    return rc;
}

static int tcp_send(void *ctx, const uint8_t *data, size_t len)
{
    struct issu_tcp *t = ctx;
    struct conn *c = t->link;
    int rc;

    if (!c || c->sec.state != ISSU_SEC_OPEN || t->overflow)
        return ISSU_ERR_TRANSPORT;
    if (!len)
        return ISSU_OK; /* an empty seal would be a keepalive */
    rc = issu_sec_seal(&c->sec, data, len);
    if (rc != ISSU_OK)
        return rc;
    t->last_tx = now_ms();
    if (issu_sec_pending(&c->sec) > ISSU_TCP_OUT_MAX) {
        t->overflow = 1;
        return ISSU_ERR_TRANSPORT;
    }
    return ISSU_OK;
}

/* Readable: feed the secure layer (bounded per call so timers keep running). */
static void on_readable(struct conn *c)
{
    struct issu_tcp *t = c->t;
    uint8_t *buf = t->rx;
    uint64_t frames = c->sec.rx_frames;
    size_t total = 0;
    ssize_t n;
    int rc;

    while (total < (4u << 20) && c->fd >= 0) {
        n = recv(c->fd, buf, TCP_RX, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            drop(c, LOG_WARNING, RL_CLOSED, "read: %s", strerror(errno));
            return;
        }
        if (!n) {
            drop(c, LOG_WARNING, RL_CLOSED, "closed the connection%s",
                 c->state == C_AUTH ? " during authentication (wrong key?)" : "");
            return;
        }
        total += (size_t)n;
        rc = issu_sec_input(&c->sec, buf, (size_t)n, deliver, c);
        if (rc == ISSU_OK)
            rc = ensure_connected(c);
        if (rc != ISSU_OK) {
            drop(c, LOG_WARNING, RL_AUTH, "%s", c->sec.why[0] ? c->sec.why : issu_strerror(rc));
            return;
        }
    }
    if (c == t->link && c->sec.rx_frames != frames)
        t->last_rx = now_ms();
}

static void on_connected(struct conn *c, int64_t now)
{
    int err = 0;
    socklen_t el = sizeof(err);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (err) {
        drop(c, LOG_WARNING, RL_CLOSED, "connect: %s", strerror(err));
        return;
    }
    if (set_sock_opts(c->fd) != ISSU_OK || start_auth(c, now) != ISSU_OK)
        drop(c, LOG_ERR, RL_CLOSED, "cannot start authentication");
}

static void try_connect(struct issu_tcp *t, int64_t now)
{
    struct conn *c = &t->conns[0];
    int fd;

    snprintf(c->peer_s, sizeof(c->peer_s), "%s", t->addr_s);
    fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        tlog(t, LOG_ERR, "socket: %s", strerror(errno));
        schedule_connect(t, now);
        return;
    }
    c->fd = fd;
    c->state = C_CONNECTING;
    c->since = now;
    c->deadline = now + t->conf.auth_ms;
    if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0)
        on_connected(c, now);
    else if (errno != EINPROGRESS)
        drop(c, LOG_WARNING, RL_CLOSED, "connect: %s", strerror(errno));
}

/* A free slot for a newcomer, pushing out a pending connection when there is none. */
static struct conn *take_slot(struct issu_tcp *t, const char *who, int64_t now)
{
    struct conn *v;
    unsigned i;

    for (i = 0; i < t->nconns; i++)
        if (t->conns[i].fd < 0)
            return &t->conns[i];
    v = pick_victim(t);
    if (!v)
        return NULL;
    drop(v, LOG_WARNING, RL_FULL,
         "not authenticated after %lld ms, dropped for peer %s: %u connections pending (--peer-pending-max)",
         (long long)(now - v->since), who, t->npending);
    return v->fd < 0 ? v : NULL;
}

static void on_accept(struct issu_tcp *t, int64_t now)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    struct conn *c;
    char who[80];
    int fd;
    unsigned i, batch = t->nconns / 2 ? t->nconns / 2 : 1;

    /* at most half the pool per round: a newcomer outlives the round it
     * arrived in, and the next round reads its proof before accepting more */
    if (batch > 64)
        batch = 64;
    for (i = 0; i < batch; i++) {
        sl = sizeof(ss);
        fd = accept4(t->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                /* the connection stays queued: do not spin on it */
                t->accept_at = now + ACCEPT_PAUSE_MS;
                rl_log(t, RL_ACCEPT, LOG_ERR, "accept: %s: not accepting peers for %d ms", strerror(errno),
                       ACCEPT_PAUSE_MS);
            } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED &&
                       errno != EPROTO) {
                rl_log(t, RL_ACCEPT, LOG_ERR, "accept: %s", strerror(errno));
            }
            return;
        }
        fmt_addr((struct sockaddr *)&ss, sl, who, sizeof(who));
        if (t->link) {
            rl_log(t, RL_BUSY, LOG_WARNING, "peer %s refused: peer %s is already connected", who, t->link->peer_s);
            close(fd);
            continue;
        }
        c = take_slot(t, who, now);
        if (!c) { /* cannot happen: a pool without a link has a pending connection to drop */
            close(fd);
            continue;
        }
        memset(c, 0, sizeof(*c));
        c->t = t;
        c->fd = fd;
        c->ss = ss;
        c->since = now;
        c->order = ++t->accepted;
        snprintf(c->peer_s, sizeof(c->peer_s), "%s", who);
        count_pending(c, +1);
        c->state = C_AUTH;
        if (set_sock_opts(fd) != ISSU_OK || start_auth(c, now) != ISSU_OK)
            drop(c, LOG_ERR, RL_AUTH, "cannot start authentication");
    }
}

/* ---------------------------------------------------------------- public */

int issu_tcp_new(const struct issu_tcp_conf *conf, struct issu_tcp **out)
{
    struct issu_tcp *t;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    unsigned len = 0, i;
    int one = 1, rc = ISSU_OK;

    *out = NULL;
    if (!conf || !conf->listen == !conf->connect || !conf->psk || conf->psk_len < ISSU_PSK_MIN ||
        conf->psk_len > ISSU_PSK_MAX || conf->pending_max > ISSU_TCP_PENDING_MAX ||
        conf->auth_ms > ISSU_TCP_AUTH_MS_MAX)
        return ISSU_ERR_INVAL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return ISSU_ERR_NOMEM;
    t->conf = *conf;
    if (!t->conf.pending_max)
        t->conf.pending_max = ISSU_TCP_PENDING_DEFAULT;
    if (!t->conf.auth_ms)
        t->conf.auth_ms = ISSU_TCP_AUTH_MS;
    t->listen_fd = -1;
    t->backoff = ISSU_TCP_BACKOFF_MIN_MS;
    t->seed = (unsigned)now_ms() ^ (unsigned)getpid();
    t->nconns = conf->listen ? t->conf.pending_max : 1;
    t->conns = calloc(t->nconns, sizeof(*t->conns));
    ISSU_CHECK_MEM(t->conns, rc);
    for (i = 0; i < t->nconns; i++) {
        t->conns[i].t = t;
        t->conns[i].fd = -1;
    }
    t->slot = calloc(t->nconns + 1, sizeof(*t->slot));
    ISSU_CHECK_MEM(t->slot, rc);
    t->psk = malloc(conf->psk_len);
    ISSU_CHECK_MEM(t->psk, rc);
    t->rx = malloc(TCP_RX);
    ISSU_CHECK_MEM(t->rx, rc);
    memcpy(t->psk, conf->psk, conf->psk_len);
    t->conf.psk = t->psk;
    rc = issu_tcp_parse_addr(conf->listen ? conf->listen : conf->connect, &t->addr, &len);
    if (rc != ISSU_OK) {
        tlog(t, LOG_ERR, "bad address '%s': ADDR:PORT, [IPV6]:PORT or NAME:PORT expected",
             conf->listen ? conf->listen : conf->connect);
        goto cleanup;
    }
    t->addrlen = (socklen_t)len;
    fmt_addr((struct sockaddr *)&t->addr, t->addrlen, t->addr_s, sizeof(t->addr_s));
    t->conf.listen = conf->listen ? t->addr_s : NULL;
    t->conf.connect = conf->connect ? t->addr_s : NULL;
    if (conf->listen) {
        t->listen_fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (t->listen_fd < 0 ||
            setsockopt(t->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(t->listen_fd, (struct sockaddr *)&t->addr, t->addrlen) < 0 ||
            listen(t->listen_fd, TCP_BACKLOG) < 0 || getsockname(t->listen_fd, (struct sockaddr *)&ss, &sl) < 0) {
            tlog(t, LOG_ERR, "cannot listen on %s: %s", t->addr_s, strerror(errno));
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        }
        t->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
        fmt_addr((struct sockaddr *)&ss, sl, t->addr_s, sizeof(t->addr_s));
        tlog(t, LOG_NOTICE, "listening for the peer on %s (up to %u connections authenticating at once, "
             "%u ms each)", t->addr_s, t->conf.pending_max, t->conf.auth_ms);
    } else {
        t->port = ntohs(t->addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&t->addr)->sin6_port
                                                      : ((struct sockaddr_in *)&t->addr)->sin_port);
        t->next_connect = 0; /* at once */
    }
    *out = t;
    return ISSU_OK;
cleanup:
    issu_tcp_free(t);
    return rc;
}

struct issu_transport issu_tcp_transport(struct issu_tcp *t)
{
    struct issu_transport tr;

    tr.send = tcp_send;
    tr.ctx = t;
    return tr;
}

void issu_tcp_attach(struct issu_tcp *t, struct issu_endpoint *ep)
{
    t->ep = ep;
}

int issu_tcp_port(const struct issu_tcp *t)
{
    return t->port;
}

int issu_tcp_up(const struct issu_tcp *t)
{
    return t->link != NULL;
}

int issu_tcp_nfds(const struct issu_tcp *t)
{
    return (int)t->nconns + 1;
}

static void lower(int *timeout, int64_t at, int64_t now)
{
    int64_t d = at > now ? at - now : 0;

    if (d > 60000)
        d = 60000;
    if (*timeout < 0 || d < *timeout)
        *timeout = (int)d;
}

void issu_tcp_prepare(struct issu_tcp *t, struct pollfd *fds, int *n, int *timeout_ms)
{
    int64_t now = now_ms();
    struct conn *c;
    unsigned i;
    int r;

    *n = 0;
    if (t->overflow && t->link)
        drop(t->link, LOG_ERR, RL_CLOSED, "over %u bytes unsent: peer too slow", ISSU_TCP_OUT_MAX);
    if (t->listen_fd >= 0) {
        if (now >= t->accept_at) {
            fds[*n].fd = t->listen_fd;
            fds[*n].events = POLLIN;
            fds[*n].revents = 0;
            t->slot[(*n)++] = -1;
        } else {
            lower(timeout_ms, t->accept_at, now);
        }
    }
    for (i = 0; i < t->nconns; i++) {
        c = &t->conns[i];
        if (c->fd < 0)
            continue;
        fds[*n].fd = c->fd;
        fds[*n].events = c->state == C_CONNECTING ? POLLOUT : POLLIN | (issu_sec_pending(&c->sec) ? POLLOUT : 0);
        fds[*n].revents = 0;
        t->slot[(*n)++] = (int)i;
        if (c == t->link) {
            lower(timeout_ms, t->last_tx + ISSU_TCP_KEEPALIVE_MS, now);
            lower(timeout_ms, t->last_rx + ISSU_TCP_SILENCE_MS, now);
        } else {
            lower(timeout_ms, c->deadline, now);
        }
    }
    if (t->conf.connect && t->conns[0].fd < 0)
        lower(timeout_ms, t->next_connect, now);
    for (r = 0; r < RL_N; r++)
        if (t->rl[r].suppressed)
            lower(timeout_ms, t->rl[r].last + ISSU_TCP_LOG_INTERVAL_MS, now);
}

void issu_tcp_process(struct issu_tcp *t, const struct pollfd *fds, int n)
{
    int64_t now = now_ms();
    struct conn *c;
    unsigned i;
    int k;

    /* Connections first, then new ones: a peer whose proof is in is linked
     * before newcomers could push it out of the pool. No fd is opened in
     * this pass, so an fd still matching its slot is the one polled. */
    for (k = 0; k < n; k++) {
        if (t->slot[k] < 0 || !fds[k].revents)
            continue;
        c = &t->conns[t->slot[k]];
        if (c->fd != fds[k].fd)
            continue;
        if (c->state == C_CONNECTING)
            on_connected(c, now);
        else if (fds[k].revents & (POLLIN | POLLHUP | POLLERR))
            on_readable(c);
    }
    for (k = 0; k < n; k++)
        if (t->slot[k] < 0 && fds[k].fd == t->listen_fd && (fds[k].revents & POLLIN))
            on_accept(t, now);
    /* write what is queued now rather than after another poll */
    if (t->link && t->overflow)
        drop(t->link, LOG_ERR, RL_CLOSED, "over %u bytes unsent: peer too slow", ISSU_TCP_OUT_MAX);
    for (i = 0; i < t->nconns; i++) {
        c = &t->conns[i];
        if (c->fd >= 0 && c->state != C_CONNECTING && write_out(c) != ISSU_OK)
            drop(c, LOG_WARNING, RL_CLOSED, "write: %s", strerror(errno));
    }

    now = now_ms();
    for (i = 0; i < t->nconns; i++) {
        c = &t->conns[i];
        if (c->fd < 0)
            continue;
        if (c == t->link) {
            if (now - t->last_rx >= ISSU_TCP_SILENCE_MS) {
                drop(c, LOG_WARNING, RL_CLOSED, "silent for %d ms: peer lost", ISSU_TCP_SILENCE_MS);
            } else if (now - t->last_tx >= ISSU_TCP_KEEPALIVE_MS) {
                if (issu_sec_seal(&c->sec, NULL, 0) == ISSU_OK)
                    t->last_tx = now;
                if (write_out(c) != ISSU_OK)
                    drop(c, LOG_WARNING, RL_CLOSED, "write: %s", strerror(errno));
            }
        } else if (now >= c->deadline) {
            if (c->state == C_CONNECTING)
                drop(c, LOG_WARNING, RL_TIMEOUT, "connect timed out");
            else
                drop(c, LOG_WARNING, RL_TIMEOUT, "no authentication within %u ms (slow or silent peer)",
                     t->conf.auth_ms);
        }
    }
    if (t->conf.connect && t->conns[0].fd < 0 && now >= t->next_connect)
        try_connect(t, now);
    rl_flush(t, now);
}

void issu_tcp_free(struct issu_tcp *t)
{
    unsigned i;

    if (!t)
        return;
    for (i = 0; t->conns && i < t->nconns; i++) {
        if (t->conns[i].fd >= 0)
            close(t->conns[i].fd);
        issu_sec_clear(&t->conns[i].sec);
    }
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    issu_psk_free(t->psk, t->conf.psk_len);
    free(t->conns);
    free(t->slot);
    free(t->rx);
    free(t);
}
