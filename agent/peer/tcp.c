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

/* Several 64 KiB frames per read: only a frame cut by a read's end is copied
 * (to be completed), so the bigger the read the fewer bytes copied. */
#define TCP_RX (256u * 1024u)

struct issu_tcp {
    struct issu_tcp_conf conf;
    uint8_t *psk;
    struct sockaddr_storage addr; /* listen or connect address */
    socklen_t addrlen;
    char addr_s[80];
    int listen_fd;
    int port;

    struct issu_endpoint *ep;
    int fd;                 /* the connection, -1 if none */
    enum conn_state state;
    char peer_s[80];        /* its address, for logs */
    struct issu_sec sec;
    uint8_t *rx;            /* TCP_RX bytes: the secure layer reads frames in place */
    int ep_connected;       /* issu_endpoint_connected was called */
    int overflow;           /* a send went over ISSU_TCP_OUT_MAX */
    int64_t deadline;       /* C_CONNECTING/C_AUTH: give up at */
    int64_t opened_at, last_rx, last_tx;
    int64_t next_connect;   /* connecting link: next attempt at */
    int backoff;            /* ms */
    int fail_streak;        /* connect failures since the last good connection */
    unsigned seed;
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

/* ---------------------------------------------------------------- connection */

static int set_sock_opts(int fd)
{
    int one = 1;

    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
        return ISSU_ERR_IO;
    return ISSU_OK;
}

/* Write what the secure layer queued, as far as the socket takes it. */
static int write_out(struct issu_tcp *t)
{
    ssize_t n;

    while (issu_sec_pending(&t->sec)) {
        n = send(t->fd, t->sec.out.data + t->sec.out_off, issu_sec_pending(&t->sec),
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return ISSU_OK;
        if (n <= 0)
            return ISSU_ERR_IO;
        issu_sec_consume(&t->sec, (size_t)n);
    }
    return ISSU_OK;
}

static void schedule_connect(struct issu_tcp *t, int64_t now)
{
    int d = t->backoff / 2 + (int)(rand_r(&t->seed) % (unsigned)(t->backoff / 2 + 1));

    t->next_connect = now + d;
    t->backoff = t->backoff * 2 > ISSU_TCP_BACKOFF_MAX_MS ? ISSU_TCP_BACKOFF_MAX_MS : t->backoff * 2;
}

static void drop(struct issu_tcp *t, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void drop(struct issu_tcp *t, int level, const char *fmt, ...)
{
    char why[256];
    int64_t now = now_ms();
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (t->state == C_CONNECTING) {
        /* a failed connect is logged once per streak, then at debug level */
        tlog(t, t->fail_streak++ ? LOG_DEBUG : level, "peer %s: %s; retrying with backoff", t->peer_s, why);
    } else {
        tlog(t, level, "peer %s: %s; connection dropped", t->peer_s, why);
        if (t->state == C_OPEN)
            (void)write_out(t); /* best effort: an ERROR the endpoint queued */
    }
    close(t->fd);
    t->fd = -1;
    issu_sec_clear(&t->sec);
    t->overflow = 0;
    if (t->conf.connect) {
        /* a connection that lasted resets the backoff; quick failures keep doubling it */
        if (t->state == C_OPEN && now - t->opened_at >= ISSU_TCP_BACKOFF_MAX_MS)
            t->backoff = ISSU_TCP_BACKOFF_MIN_MS;
        schedule_connect(t, now);
    }
    t->state = C_NONE;
    if (t->ep_connected) {
        t->ep_connected = 0;
        issu_endpoint_peer_lost(t->ep);
    }
}

static int start_auth(struct issu_tcp *t, int64_t now)
{
    int rc;

    rc = issu_sec_init(&t->sec, t->conf.connect ? ISSU_SEC_INITIATOR : ISSU_SEC_RESPONDER, t->psk,
                       t->conf.psk_len);
    if (rc != ISSU_OK)
        return rc;
    t->state = C_AUTH;
    t->deadline = now + ISSU_TCP_AUTH_MS;
    tlog(t, LOG_INFO, "peer %s: connected, authenticating", t->peer_s);
    return write_out(t);
}

static int ensure_connected(struct issu_tcp *t)
{
    if (t->ep_connected || t->sec.state != ISSU_SEC_OPEN)
        return ISSU_OK;
    t->state = C_OPEN;
    t->opened_at = t->last_rx = t->last_tx = now_ms();
    t->fail_streak = 0;
    t->ep_connected = 1;
    tlog(t, LOG_NOTICE, "peer %s: authenticated", t->peer_s);
    return issu_endpoint_connected(t->ep);
}

static int deliver(void *arg, const uint8_t *data, size_t len)
{
    struct issu_tcp *t = arg;
    int rc;

    ISSU_CHECK(ensure_connected(t));
    rc = issu_endpoint_input(t->ep, data, len);
    if (rc == ISSU_OK && t->overflow)
        rc = ISSU_ERR_TRANSPORT;
    return rc;
}

static int tcp_send(void *ctx, const uint8_t *data, size_t len)
{
    struct issu_tcp *t = ctx;
    int rc;

    if (t->fd < 0 || t->sec.state != ISSU_SEC_OPEN || t->overflow)
        return ISSU_ERR_TRANSPORT;
    if (!len)
        return ISSU_OK; /* an empty seal would be a keepalive */
    rc = issu_sec_seal(&t->sec, data, len);
    if (rc != ISSU_OK)
        return rc;
    t->last_tx = now_ms();
    if (issu_sec_pending(&t->sec) > ISSU_TCP_OUT_MAX) {
        t->overflow = 1;
        return ISSU_ERR_TRANSPORT;
    }
    return ISSU_OK;
}

/* Readable: feed the secure layer (bounded per call so timers keep running). */
static void on_readable(struct issu_tcp *t)
{
    uint8_t *buf = t->rx;
    uint64_t frames = t->sec.rx_frames;
    size_t total = 0;
    ssize_t n;
    int rc;

    while (total < (4u << 20)) {
        n = recv(t->fd, buf, TCP_RX, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n < 0) {
            drop(t, LOG_WARNING, "read: %s", strerror(errno));
            return;
        }
        if (!n) {
            drop(t, LOG_WARNING, "closed the connection%s",
                 t->state == C_AUTH ? " during authentication (wrong key?)" : "");
            return;
        }
        total += (size_t)n;
        rc = issu_sec_input(&t->sec, buf, (size_t)n, deliver, t);
        if (rc == ISSU_OK)
            rc = ensure_connected(t);
        if (rc != ISSU_OK) {
            drop(t, LOG_WARNING, "%s", t->sec.why[0] ? t->sec.why : issu_strerror(rc));
            return;
        }
    }
    if (t->sec.rx_frames != frames)
        t->last_rx = now_ms();
}

static void on_connected(struct issu_tcp *t, int64_t now)
{
    int err = 0;
    socklen_t el = sizeof(err);

    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
        err = errno;
    if (err) {
        drop(t, LOG_WARNING, "connect: %s", strerror(err));
        return;
    }
    if (set_sock_opts(t->fd) != ISSU_OK || start_auth(t, now) != ISSU_OK)
        drop(t, LOG_ERR, "cannot start authentication");
}

static void try_connect(struct issu_tcp *t, int64_t now)
{
    int fd;

    snprintf(t->peer_s, sizeof(t->peer_s), "%s", t->addr_s);
    fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        tlog(t, LOG_ERR, "socket: %s", strerror(errno));
        schedule_connect(t, now);
        return;
    }
    t->fd = fd;
    t->state = C_CONNECTING;
    t->deadline = now + ISSU_TCP_AUTH_MS;
    if (connect(fd, (struct sockaddr *)&t->addr, t->addrlen) == 0)
        on_connected(t, now);
    else if (errno != EINPROGRESS)
        drop(t, LOG_WARNING, "connect: %s", strerror(errno));
}

static void on_accept(struct issu_tcp *t, int64_t now)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char who[80];
    int fd, i;

    for (i = 0; i < 16; i++) {
        sl = sizeof(ss);
        fd = accept4(t->listen_fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
                tlog(t, LOG_ERR, "accept: %s", strerror(errno));
            return;
        }
        fmt_addr((struct sockaddr *)&ss, sl, who, sizeof(who));
        if (t->fd >= 0) {
            tlog(t, LOG_WARNING, "peer %s refused: peer %s is already %s", who, t->peer_s,
                 t->state == C_OPEN ? "connected" : "authenticating");
            close(fd);
            continue;
        }
        t->fd = fd;
        snprintf(t->peer_s, sizeof(t->peer_s), "%s", who);
        if (set_sock_opts(fd) != ISSU_OK || start_auth(t, now) != ISSU_OK) {
            t->state = C_AUTH;
            drop(t, LOG_ERR, "cannot start authentication");
        }
    }
}

/* ---------------------------------------------------------------- public */

int issu_tcp_new(const struct issu_tcp_conf *conf, struct issu_tcp **out)
{
    struct issu_tcp *t;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    unsigned len = 0;
    int one = 1, rc = ISSU_OK;

    *out = NULL;
    if (!conf || !conf->listen == !conf->connect || !conf->psk || conf->psk_len < ISSU_PSK_MIN ||
        conf->psk_len > ISSU_PSK_MAX)
        return ISSU_ERR_INVAL;
    t = calloc(1, sizeof(*t));
    if (!t)
        return ISSU_ERR_NOMEM;
    t->conf = *conf;
    t->fd = t->listen_fd = -1;
    t->backoff = ISSU_TCP_BACKOFF_MIN_MS;
    t->seed = (unsigned)now_ms() ^ (unsigned)getpid();
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
            bind(t->listen_fd, (struct sockaddr *)&t->addr, t->addrlen) < 0 || listen(t->listen_fd, 8) < 0 ||
            getsockname(t->listen_fd, (struct sockaddr *)&ss, &sl) < 0) {
            tlog(t, LOG_ERR, "cannot listen on %s: %s", t->addr_s, strerror(errno));
            ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
        }
        t->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
        fmt_addr((struct sockaddr *)&ss, sl, t->addr_s, sizeof(t->addr_s));
        tlog(t, LOG_NOTICE, "listening for the peer on %s", t->addr_s);
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
    return t->state == C_OPEN;
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

    *n = 0;
    if (t->overflow)
        drop(t, LOG_ERR, "over %u bytes unsent: peer too slow", ISSU_TCP_OUT_MAX);
    if (t->listen_fd >= 0) {
        fds[*n].fd = t->listen_fd;
        fds[*n].events = POLLIN;
        fds[*n].revents = 0;
        (*n)++;
    }
    if (t->fd >= 0) {
        fds[*n].fd = t->fd;
        fds[*n].events = t->state == C_CONNECTING ? POLLOUT
                                                  : POLLIN | (issu_sec_pending(&t->sec) ? POLLOUT : 0);
        fds[*n].revents = 0;
        (*n)++;
    }
    switch (t->state) {
    case C_CONNECTING:
    case C_AUTH: lower(timeout_ms, t->deadline, now); break;
    case C_OPEN:
        lower(timeout_ms, t->last_tx + ISSU_TCP_KEEPALIVE_MS, now);
        lower(timeout_ms, t->last_rx + ISSU_TCP_SILENCE_MS, now);
        break;
    default:
        if (t->conf.connect)
            lower(timeout_ms, t->next_connect, now);
        break;
    }
}

void issu_tcp_process(struct issu_tcp *t, const struct pollfd *fds, int n)
{
    int64_t now = now_ms();
    int i, fd = t->fd;

    for (i = 0; i < n; i++) {
        if (fds[i].fd == t->listen_fd && (fds[i].revents & POLLIN))
            on_accept(t, now);
    }
    for (i = 0; i < n; i++) {
        if (fds[i].fd != fd || fd < 0 || t->fd != fd || !fds[i].revents)
            continue;
        if (t->state == C_CONNECTING) {
            on_connected(t, now);
            continue;
        }
        if (fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            on_readable(t);
    }
    /* write what is queued now rather than after another poll */
    if (t->fd >= 0 && t->state != C_CONNECTING && t->overflow)
        drop(t, LOG_ERR, "over %u bytes unsent: peer too slow", ISSU_TCP_OUT_MAX);
    if (t->fd >= 0 && t->state != C_CONNECTING && write_out(t) != ISSU_OK)
        drop(t, LOG_WARNING, "write: %s", strerror(errno));

    now = now_ms();
    switch (t->state) {
    case C_CONNECTING:
        if (now >= t->deadline)
            drop(t, LOG_WARNING, "connect timed out");
        break;
    case C_AUTH:
        if (now >= t->deadline)
            drop(t, LOG_WARNING, "no authentication within %d ms (slow or silent peer)", ISSU_TCP_AUTH_MS);
        break;
    case C_OPEN:
        if (now - t->last_rx >= ISSU_TCP_SILENCE_MS) {
            drop(t, LOG_WARNING, "silent for %d ms: peer lost", ISSU_TCP_SILENCE_MS);
        } else if (now - t->last_tx >= ISSU_TCP_KEEPALIVE_MS) {
            if (issu_sec_seal(&t->sec, NULL, 0) == ISSU_OK)
                t->last_tx = now;
            if (write_out(t) != ISSU_OK)
                drop(t, LOG_WARNING, "write: %s", strerror(errno));
        }
        break;
    default:
        if (t->conf.connect && t->fd < 0 && now >= t->next_connect)
            try_connect(t, now);
        break;
    }
}

void issu_tcp_free(struct issu_tcp *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    if (t->listen_fd >= 0)
        close(t->listen_fd);
    issu_sec_clear(&t->sec);
    issu_psk_free(t->psk, t->conf.psk_len);
    free(t->rx);
    free(t);
}
