/*
 * nc_front.c - issud's own transport in front of libnetconf2.
 *
 * Why: libnetconf2 2.0.24 does every handshake on the one thread that
 * calls nc_accept (a silent client blocked every login for 60 s), parses
 * chunk headers unsafely (several bad ones crash it, "#-1" over SSH
 * overflows the heap), allocates whatever a chunk header announces, and
 * reads half-sent messages inside a worker. So issud owns the sockets:
 *
 *   client --UNIX or SSH--> relay thread --socketpair--> libnetconf2 (NC_TI_FD)
 *
 * The accept thread only accepts, counts (--netconf-max-sessions) and
 * starts one relay thread per connection. The relay logs the client in
 * (SO_PEERCRED, or SSH in nc_ssh.c, before --netconf-auth-timeout), reads
 * what the client sends through a strict framer (nc_framing.c: limits,
 * --netconf-max-message) and hands libnetconf2 only whole, well-framed
 * messages, re-framed as one chunk; an <rpc> without message-id is answered
 * here (RFC 6241 4.1). libnetconf2's hello handshake (nc_accept_inout) runs
 * on a short-lived thread of the relay's while the relay carries both
 * hellos, so no client waits for another. Its replies go back through the
 * relay, which drops a client that reads nothing for ISSU_NC_WRITE_STALL_MS
 * (shutting the socketpair makes libnetconf2's pending write fail) and one
 * whose message does not finish within --netconf-message-timeout.
 * Whichever side ends first, the other sees the socketpair close.
 */
#include "nc_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "issu_err.h"

#define RELAY_POLL_MS 50

static int set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0)
        return ISSU_ERR_IO;
    return ISSU_OK;
}

/* ------------------------------------------------------------ listeners */

/* Refuse a socket path another issud still listens on; reuse a stale one
 * (nothing listens: connect says ECONNREFUSED); anything else is left alone.
 * The socket gets its group and mode before listen(), so no client connects
 * through wider permissions in between. */
static int unix_listen(struct issu_nc *nc)
{
    const char *path = nc->conf.unix_path;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    mode_t mode = nc->conf.unix_mode ? (mode_t)nc->conf.unix_mode : ISSU_NC_DEF_UNIX_MODE;
    struct stat st;
    int fd = -1, probe, rc = ISSU_OK;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        issu_nc_log(nc, LOG_ERR, "UNIX socket path %s: longer than %zu bytes", path, sizeof(sa.sun_path) - 1);
        return ISSU_ERR_INVAL;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            issu_nc_log(nc, LOG_ERR, "UNIX socket path %s exists and is not a socket", path);
            return ISSU_ERR_INVAL;
        }
        probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            issu_nc_log(nc, LOG_ERR, "UNIX socket %s: cannot probe it: %s", path, strerror(errno));
            return ISSU_ERR_IO;
        }
        if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
            struct ucred cr;
            socklen_t l = sizeof(cr);

            if (getsockopt(probe, SOL_SOCKET, SO_PEERCRED, &cr, &l) == 0 && cr.pid > 0)
                issu_nc_log(nc, LOG_ERR, "UNIX socket %s: another issud (pid %ld) is serving it; stop it "
                            "or give this one another --netconf-unix path", path, (long)cr.pid);
            else
                issu_nc_log(nc, LOG_ERR, "UNIX socket %s: another process is serving it; stop it or give "
                            "this one another --netconf-unix path", path);
            close(probe);
            return ISSU_ERR_IO;
        }
        if (errno != ECONNREFUSED) {
            issu_nc_log(nc, LOG_ERR, "UNIX socket %s exists and cannot be probed (%s): left as it is",
                        path, strerror(errno));
            close(probe);
            return ISSU_ERR_IO;
        }
        close(probe);
        issu_nc_log(nc, LOG_INFO, "UNIX socket %s: stale (nothing listens on it): replaced", path);
        unlink(path); /* stale: its daemon is gone */
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        issu_nc_log(nc, LOG_ERR, "cannot listen on UNIX socket %s: %s", path, strerror(errno));
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    nc->unix_bound = 1; /* ours from now on: unlinked at stop (and on failure below) */
    if (nc->conf.unix_group_set && chown(path, (uid_t)-1, nc->conf.unix_gid) < 0) {
        issu_nc_log(nc, LOG_ERR, "UNIX socket %s: cannot give it to group %lu: %s", path,
                    (unsigned long)nc->conf.unix_gid, strerror(errno));
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    if (chmod(path, mode) < 0 || listen(fd, 64) < 0) {
        issu_nc_log(nc, LOG_ERR, "cannot listen on UNIX socket %s: %s", path, strerror(errno));
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    nc->unix_fd = fd;
    if (stat(path, &st) == 0)
        issu_nc_log(nc, LOG_INFO, "NETCONF on UNIX socket %s (mode %04o, group %lu)", path,
                    (unsigned)(st.st_mode & 07777), (unsigned long)st.st_gid);
    else
        issu_nc_log(nc, LOG_INFO, "NETCONF on UNIX socket %s", path);
    return ISSU_OK;
cleanup:
    if (fd >= 0)
        close(fd);
    if (nc->unix_bound)
        unlink(path);
    nc->unix_bound = 0;
    return rc;
}

static int ssh_listen(struct issu_nc *nc)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    char addr[256];
    uint16_t port;
    int fd = -1, one = 1, rc;

    ISSU_CHECK(issu_nc_ssh_setup(nc, addr, sizeof(addr), &port));
    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ((struct sockaddr_in *)&ss)->sin_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons(port);
        sl = sizeof(struct sockaddr_in);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
        sl = sizeof(struct sockaddr_in6);
    } else {
        issu_nc_log(nc, LOG_ERR, "--netconf-ssh \"%s\": not an IPv4 or IPv6 address", nc->conf.ssh_listen);
        return ISSU_ERR_INVAL;
    }
    fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
        issu_nc_log(nc, LOG_ERR, "cannot listen for SSH on %s: %s", nc->conf.ssh_listen, strerror(errno));
        ISSU_CHECK_GOTO(ISSU_ERR_IO, rc);
    }
    nc->ssh_fd = fd;
    issu_nc_log(nc, LOG_INFO, "NETCONF over SSH on %s:%u", addr, (unsigned)port);
    return ISSU_OK;
cleanup:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* ------------------------------------------------------------ relay */

static void conn_free(struct issu_nc_conn *c)
{
    if (c->ti == ISSU_NC_TI_SSH)
        issu_nc_ssh_close(c);
    if (c->cfd >= 0)
        close(c->cfd);
    if (c->lfd >= 0)
        close(c->lfd);
    if (c->pfd >= 0)
        close(c->pfd);
    issu_nc_framer_free(&c->in);
    issu_nc_link_put(c->link);
    issu_buf_free(&c->inq);
    free(c);
}

static int inq_add(struct issu_nc_conn *c, const char *head, size_t hl, const char *body, size_t bl,
                   const char *tail, size_t tl)
{
    if (c->inq_off && c->inq_off == c->inq.len)
        c->inq_off = c->inq.len = 0;
    ISSU_CHECK(issu_buf_append(&c->inq, head, hl));
    ISSU_CHECK(issu_buf_append(&c->inq, body, bl));
    return issu_buf_append(&c->inq, tail, tl);
}

/* RFC 6241 4.1: an <rpc> without message-id gets rpc-error missing-attribute. */
static int answer_missing_id(struct issu_nc_conn *c)
{
    static const char reply[] =
        "<rpc-reply xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><rpc-error>"
        "<error-type>rpc</error-type><error-tag>missing-attribute</error-tag>"
        "<error-severity>error</error-severity>"
        "<error-message xml:lang=\"en\">the rpc element has no message-id attribute</error-message>"
        "<error-info><bad-attribute>message-id</bad-attribute><bad-element>rpc</bad-element></error-info>"
        "</rpc-error></rpc-reply>";
    char head[32];
    int n;

    /* it overtakes replies libnetconf2 has not written yet: nothing else
     * names the request it answers anyway */
    if (c->in.chunked)
        n = snprintf(head, sizeof(head), "\n#%zu\n", sizeof(reply) - 1);
    else
        n = 0;
    if (c->out_len - c->out_off + (size_t)n + sizeof(reply) + 8 > sizeof(c->out) - c->out_len)
        return ISSU_OK; /* no room now: say nothing rather than block (logged) */
    memcpy(c->out + c->out_len, head, (size_t)n);
    c->out_len += (size_t)n;
    memcpy(c->out + c->out_len, reply, sizeof(reply) - 1);
    c->out_len += sizeof(reply) - 1;
    memcpy(c->out + c->out_len, c->in.chunked ? "\n##\n" : "]]>]]>", c->in.chunked ? 4 : 6);
    c->out_len += c->in.chunked ? 4 : 6;
    return ISSU_OK;
}

/* One whole message from the client: to libnetconf2, re-framed. */
static int on_message(struct issu_nc_conn *c, int *hello_seen)
{
    char head[32];
    int n;

    if (!*hello_seen) {
        *hello_seen = 1;
        ISSU_CHECK(inq_add(c, "", 0, (const char *)c->in.msg.data, c->in.msg.len, "]]>]]>", 6));
        if (issu_nc_hello_offers_11((const char *)c->in.msg.data, c->in.msg.len))
            issu_nc_framer_set_chunked(&c->in); /* libnetconf2 offers 1.1: both use it */
        return ISSU_OK;
    }
    if (issu_nc_rpc_lacks_message_id((const char *)c->in.msg.data, c->in.msg.len)) {
        issu_nc_log(c->nc, LOG_INFO, "%s%s%s: <rpc> without message-id refused", c->user,
                    c->host[0] ? "@" : "", c->host);
        return answer_missing_id(c);
    }
    if (!c->in.chunked)
        return inq_add(c, "", 0, (const char *)c->in.msg.data, c->in.msg.len, "]]>]]>", 6);
    if (!c->in.msg.len) /* RFC 6242 has no empty chunk: hand on a blank one */
        return inq_add(c, "\n#1\n \n##\n", 9, "", 0, "", 0);
    n = snprintf(head, sizeof(head), "\n#%zu\n", c->in.msg.len);
    return inq_add(c, head, (size_t)n, (const char *)c->in.msg.data, c->in.msg.len, "\n##\n", 4);
}

struct relay {
    struct issu_nc_conn *c;
    int hello_seen;             /* the client's hello went to libnetconf2 */
    int64_t start_ms;           /* connected; logged in (SSH) */
    int64_t partial_since;      /* a message started arriving; 0: none */
    int64_t stall_since;        /* out had bytes and none left; 0: none */
    pthread_t hello_thr;
    int hello_started;
    volatile int hello_done;
    struct nc_session *s;       /* from nc_accept_inout; the workers' once served */
    uint32_t sid;               /* its id (the session itself may be gone) */
    NC_MSG_TYPE hello_rc;
    int served;                 /* the session is libnetconf2's (pfd with it) */
};

/* Client bytes into the framer; whole messages on. */
static int feed_client(struct relay *r, const char *data, size_t len)
{
    struct issu_nc_conn *c = r->c;
    size_t used, off = 0;
    int complete, rc;

    while (off < len) {
        rc = issu_nc_framer_feed(&c->in, data + off, len - off, &used, &complete);
        if (rc != ISSU_OK) {
            issu_nc_ratelog(c->nc, ISSU_NC_RL_FRAMING, LOG_WARNING, "%s%s%s: %s: session closed", c->user,
                            c->host[0] ? "@" : "", c->host,
                            c->in.why ? c->in.why : "out of memory");
            return rc;
        }
        off += used;
        if (!complete)
            continue;
        ISSU_CHECK(on_message(c, &r->hello_seen));
        issu_nc_framer_next(&c->in);
    }
    if (issu_nc_framer_partial(&c->in)) {
        if (!r->partial_since)
            r->partial_since = issu_nc_now_ms();
    } else {
        r->partial_since = 0;
    }
    /* libnetconf2 reads one message at a time: more than two messages'
     * worth waiting means the client sends faster than it is served */
    if (c->inq.len - c->inq_off > 2 * c->in.max_msg + 65536) {
        issu_nc_ratelog(c->nc, ISSU_NC_RL_FRAMING, LOG_WARNING, "%s%s%s: sends faster than issud serves: session closed",
                        c->user, c->host[0] ? "@" : "", c->host);
        return ISSU_ERR_PROTO;
    }
    return ISSU_OK;
}

/* libnetconf2's hello handshake, then straight to the workers: a client
 * may send its first <rpc> (or look at the session list) right after it. */
static void *hello_main(void *arg)
{
    struct relay *r = arg;
    struct issu_nc_conn *c = r->c;

    /* logged in by now: the session's user (libnetconf2 drops it, nc_libnetconf2.c entry 9) */
    snprintf(c->link->user, sizeof(c->link->user), "%s", c->user);
    r->hello_rc = nc_accept_inout(c->pfd, c->pfd, c->user, &r->s);
    if (r->hello_rc == NC_MSG_HELLO && r->s) {
        r->sid = nc_session_get_id(r->s);
        __atomic_add_fetch(&c->link->refs, 1, __ATOMIC_ACQ_REL);
        nc_session_set_data(r->s, c->link);
        issu_nc_log(c->nc, LOG_INFO, "session %u: user %s from %s", r->sid, c->user,
                    c->host[0] ? c->host : c->nc->conf.unix_path);
        if (issu_nc_sess_serve(c->nc, r->s, c->pfd, c->ti, c->host) == ISSU_OK) {
            c->pfd = -1; /* the session list's now; the relay reads it after the join */
            r->served = 1;
        }
    }
    __atomic_store_n(&r->hello_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Move queued client messages into the socketpair. */
static int flush_inq(struct issu_nc_conn *c)
{
    ssize_t n;

    while (c->inq_off < c->inq.len) {
        n = send(c->lfd, c->inq.data + c->inq_off, c->inq.len - c->inq_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return ISSU_OK;
        if (n < 0)
            return ISSU_ERR_IO;
        c->inq_off += (size_t)n;
    }
    c->inq_off = c->inq.len = 0;
    return ISSU_OK;
}

/* libnetconf2's bytes into out (when it has room). */
static int read_lib(struct issu_nc_conn *c)
{
    ssize_t n;

    if (c->out_off == c->out_len)
        c->out_off = c->out_len = 0;
    if (c->lib_eof || c->out_len == sizeof(c->out))
        return ISSU_OK;
    n = recv(c->lfd, c->out + c->out_len, sizeof(c->out) - c->out_len, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return ISSU_OK;
    if (n <= 0) {
        c->lib_eof = 1;
        return ISSU_OK;
    }
    c->out_len += (size_t)n;
    return ISSU_OK;
}

static int flush_out_unix(struct issu_nc_conn *c)
{
    ssize_t n;

    while (c->out_off < c->out_len) {
        n = send(c->cfd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return ISSU_OK;
        if (n < 0)
            return ISSU_ERR_IO;
        c->out_off += (size_t)n;
    }
    return ISSU_OK;
}

/* Carry libnetconf2's bytes to the client while either side moves (up to
 * 1 MiB a turn, then the deadlines and the client's side get their turn):
 * out is emptied and refilled in the same turn, so a big reply is not
 * paced by the relay's poll timeout. */
static int carry_out(struct issu_nc_conn *c)
{
    size_t len0, off0;
    int turns = 16, moved;

    do {
        len0 = c->out_len;
        ISSU_CHECK(read_lib(c));
        moved = c->out_len != len0;
        off0 = c->out_off;
        ISSU_CHECK(c->ti == ISSU_NC_TI_SSH ? issu_nc_ssh_flush(c) : flush_out_unix(c));
        moved |= c->out_off != off0;
        if (c->out_off == c->out_len)
            c->out_off = c->out_len = 0;
    } while (moved && --turns);
    return ISSU_OK;
}

static const char *who(const struct relay *r)
{
    return __atomic_load_n(&r->c->link->subscribed, __ATOMIC_ACQUIRE) ? "subscriber" : "client";
}

/* Deadlines: no hello, a message that does not finish, a client that reads nothing. */
static int check_deadlines(struct relay *r, int64_t now)
{
    struct issu_nc_conn *c = r->c;
    const struct issu_nc_conf *cf = &c->nc->conf;

    if (!r->hello_seen && now - r->start_ms > (int64_t)cf->hello_timeout * 1000) {
        issu_nc_ratelog(c->nc, ISSU_NC_RL_HELLO, LOG_WARNING, "%s%s%s: no hello within %u s: connection closed",
                        c->user, c->host[0] ? "@" : "", c->host, cf->hello_timeout);
        return ISSU_ERR_PROTO;
    }
    if (r->partial_since && now - r->partial_since > (int64_t)cf->message_timeout * 1000) {
        issu_nc_ratelog(c->nc, ISSU_NC_RL_DROP, LOG_WARNING, "%s%s%s: message not finished within %u s: session closed",
                        c->user, c->host[0] ? "@" : "", c->host, cf->message_timeout);
        return ISSU_ERR_PROTO;
    }
    if (c->out_off < c->out_len) {
        if (!r->stall_since)
            r->stall_since = now;
        if (now - r->stall_since >= ISSU_NC_WRITE_STALL_MS) {
            /* not rate-limited: each is a session that was served, and there
             * are at most --netconf-max-sessions of them every 5 s */
            if (r->served)
                issu_nc_log(c->nc, LOG_WARNING, "session %u: %s read nothing for %d s; %s",
                                r->sid, who(r), ISSU_NC_WRITE_STALL_MS / 1000,
                                !strcmp(who(r), "client") ? "reply abandoned, session dropped" : "session dropped");
            else
                issu_nc_log(c->nc, LOG_WARNING, "%s%s%s: read nothing for %d s: closed", c->user,
                                c->host[0] ? "@" : "", c->host, ISSU_NC_WRITE_STALL_MS / 1000);
            return ISSU_ERR_PROTO;
        }
    } else {
        r->stall_since = 0;
    }
    return ISSU_OK;
}

/* The hello thread is done: it served the session, or the relay ends. */
static int hello_finished(struct relay *r)
{
    struct issu_nc_conn *c = r->c;

    pthread_join(r->hello_thr, NULL);
    r->hello_started = 0;
    if (!r->served) {
        issu_nc_ratelog(c->nc, ISSU_NC_RL_HELLO, LOG_WARNING, "%s%s%s: NETCONF hello failed: connection closed",
                        c->user, c->host[0] ? "@" : "", c->host);
        return ISSU_ERR_PROTO;
    }
    return ISSU_OK;
}

static int relay_step_unix(struct relay *r)
{
    struct issu_nc_conn *c = r->c;
    struct pollfd p[2];
    char buf[65536];
    ssize_t n;

    p[0].fd = c->cfd;
    p[0].events = (c->client_eof ? 0 : POLLIN) | (c->out_off < c->out_len ? POLLOUT : 0);
    p[1].fd = c->lfd;
    p[1].events = (c->out_len < sizeof(c->out) && !c->lib_eof ? POLLIN : 0) |
                  (c->inq_off < c->inq.len ? POLLOUT : 0);
    if (poll(p, 2, RELAY_POLL_MS) < 0 && errno != EINTR)
        return ISSU_ERR_IO;
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
        n = recv(c->cfd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0)
            ISSU_CHECK(feed_client(r, buf, (size_t)n));
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            c->client_eof = 1;
    }
    return ISSU_OK;
}

static int relay_step_ssh(struct relay *r)
{
    struct issu_nc_conn *c = r->c;
    int st;

    if (ssh_event_dopoll(c->ev, RELAY_POLL_MS) == SSH_ERROR) {
        st = ssh_get_status(c->ssh);
        if (st & (SSH_CLOSED | SSH_CLOSED_ERROR))
            c->client_eof = 1;
    }
    if (c->ch && (ssh_channel_is_eof(c->ch) || ssh_channel_is_closed(c->ch)))
        c->client_eof = 1;
    return ISSU_OK;
}

int issu_nc_front_client_data(struct issu_nc_conn *c, const char *data, size_t len)
{
    if (!c->failed && feed_client(c->relay, data, len) != ISSU_OK)
        c->failed = 1;
    return c->failed ? ISSU_ERR_PROTO : ISSU_OK;
}

static void relay(struct issu_nc_conn *c)
{
    struct issu_nc *nc = c->nc;
    struct relay r = {.c = c};
    int sp[2], rc = ISSU_OK;
    int64_t now;

    c->relay = &r;
    r.start_ms = issu_nc_now_ms();
    if (c->ti == ISSU_NC_TI_SSH) {
        if (issu_nc_ssh_accept(c, r.start_ms + (int64_t)nc->conf.auth_timeout * 1000) != ISSU_OK)
            goto cleanup;
        r.start_ms = issu_nc_now_ms(); /* the hello deadline starts at login */
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
        issu_nc_log(nc, LOG_ERR, "socketpair: %s", strerror(errno));
        goto cleanup;
    }
    c->lfd = sp[0];
    c->pfd = sp[1];
    if (set_nonblock(c->lfd, 1) || set_nonblock(c->pfd, 1))
        goto cleanup;
    if (pthread_create(&r.hello_thr, NULL, hello_main, &r)) {
        issu_nc_log(nc, LOG_ERR, "cannot start a hello thread");
        goto cleanup;
    }
    r.hello_started = 1;
    while (!nc->stop && !c->failed) {
        rc = c->ti == ISSU_NC_TI_SSH ? relay_step_ssh(&r) : relay_step_unix(&r);
        if (rc != ISSU_OK || c->failed)
            break;
        if (flush_inq(c) != ISSU_OK || carry_out(c) != ISSU_OK)
            break;
        if (r.hello_started && __atomic_load_n(&r.hello_done, __ATOMIC_ACQUIRE) && hello_finished(&r) != ISSU_OK)
            break;
        now = issu_nc_now_ms();
        if (check_deadlines(&r, now) != ISSU_OK)
            break;
        /* libnetconf2 ended the session and everything it wrote is out */
        if (c->lib_eof && c->out_off == c->out_len)
            break;
        /* the client left: nothing more to carry */
        if (c->client_eof && c->inq_off == c->inq.len)
            break;
    }
cleanup:
    /* libnetconf2's side sees the socketpair close: a pending write fails,
     * the next poll ends the session and its worker frees it */
    if (c->lfd >= 0)
        shutdown(c->lfd, SHUT_RDWR);
    if (r.hello_started)
        pthread_join(r.hello_thr, NULL);
    if (!r.served && r.s) {
        issu_nc_link_put(nc_session_get_data(r.s));
        nc_session_free(r.s, NULL); /* its fd (pfd) is closed by conn_free */
    }
}

static void *conn_main(void *arg)
{
    struct issu_nc_conn *c = arg;
    struct issu_nc *nc = c->nc;

    relay(c);
    conn_free(c);
    pthread_mutex_lock(&nc->mu);
    nc->n_conns--;
    pthread_cond_broadcast(&nc->conns_cv);
    pthread_mutex_unlock(&nc->mu);
    return NULL;
}

/* ------------------------------------------------------------ accept */

static int peer_user(struct issu_nc_conn *c)
{
    struct ucred cr;
    socklen_t l = sizeof(cr);
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (getsockopt(c->cfd, SOL_SOCKET, SO_PEERCRED, &cr, &l) < 0)
        return ISSU_ERR_IO;
    /* NACM's recovery session (RFC 8341 2.5): root, or issud's own user */
    c->link->recovery = cr.uid == 0 || cr.uid == geteuid();
    if (getpwuid_r(cr.uid, &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(c->user, sizeof(c->user), "%s", pw.pw_name);
    else
        snprintf(c->user, sizeof(c->user), "%u", (unsigned)cr.uid);
    return ISSU_OK;
}

static void peer_host(struct issu_nc_conn *c, const struct sockaddr_storage *ss)
{
    char a[INET6_ADDRSTRLEN];

    if (ss->ss_family == AF_INET && inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, a, sizeof(a)))
        snprintf(c->host, sizeof(c->host), "%s", a);
    else if (ss->ss_family == AF_INET6 &&
             inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, a, sizeof(a)))
        snprintf(c->host, sizeof(c->host), "%s", a);
    else
        snprintf(c->host, sizeof(c->host), "?");
}

static void accept_one(struct issu_nc *nc, int lfd, enum issu_nc_ti ti)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    struct issu_nc_conn *c = NULL;
    pthread_attr_t at;
    pthread_t t;
    char host[64] = "";
    int fd, full;

    fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (ti == ISSU_NC_TI_SSH) {
        struct issu_nc_conn tmp;
        peer_host(&tmp, &ss);
        memcpy(host, tmp.host, sizeof(host));
    }
    pthread_mutex_lock(&nc->mu);
    full = nc->n_conns >= nc->conf.max_sessions;
    if (!full)
        nc->n_conns++;
    pthread_mutex_unlock(&nc->mu);
    if (full) {
        issu_nc_ratelog(nc, ISSU_NC_RL_LIMIT, LOG_WARNING, "session limit (%u) reached: connection from %s refused",
                        nc->conf.max_sessions, host[0] ? host : "the UNIX socket");
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c)
        goto fail;
    c->link = calloc(1, sizeof(*c->link));
    if (!c->link) {
        free(c);
        c = NULL;
        goto fail;
    }
    c->link->refs = 1;
    c->nc = nc;
    c->ti = ti;
    c->cfd = fd;
    c->lfd = c->pfd = -1;
    memcpy(c->host, host, sizeof(host));
    issu_nc_framer_init(&c->in, nc->conf.max_message);
    if (ti == ISSU_NC_TI_UNIX && (set_nonblock(fd, 1) || peer_user(c))) {
        conn_free(c);
        c = NULL;
        fd = -1;
        goto fail;
    }
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &at, conn_main, c)) {
        pthread_attr_destroy(&at);
        conn_free(c);
        c = NULL;
        fd = -1;
        goto fail;
    }
    pthread_attr_destroy(&at);
    return;
fail:
    if (fd >= 0)
        close(fd);
    issu_nc_log(nc, LOG_ERR, "cannot serve a new connection: out of resources");
    pthread_mutex_lock(&nc->mu);
    nc->n_conns--;
    pthread_cond_broadcast(&nc->conns_cv);
    pthread_mutex_unlock(&nc->mu);
}

static void *front_main(void *arg)
{
    struct issu_nc *nc = arg;
    struct pollfd p[2];
    int n;

    while (!nc->stop) {
        n = 0;
        if (nc->unix_fd >= 0)
            p[n++] = (struct pollfd){.fd = nc->unix_fd, .events = POLLIN};
        if (nc->ssh_fd >= 0)
            p[n++] = (struct pollfd){.fd = nc->ssh_fd, .events = POLLIN};
        issu_nc_ratelog_flush(nc);
        if (poll(p, (nfds_t)n, 200) <= 0)
            continue;
        for (int i = 0; i < n; i++)
            if (p[i].revents & POLLIN)
                accept_one(nc, p[i].fd, p[i].fd == nc->ssh_fd ? ISSU_NC_TI_SSH : ISSU_NC_TI_UNIX);
    }
    return NULL;
}

int issu_nc_front_start(struct issu_nc *nc)
{
    /* SSH first: the host key exists once the UNIX socket does (tests and
     * scripts wait for the socket) */
    if (nc->conf.ssh_listen)
        ISSU_CHECK(ssh_listen(nc));
    if (nc->conf.unix_path)
        ISSU_CHECK(unix_listen(nc));
    if (pthread_create(&nc->front_thr, NULL, front_main, nc))
        return ISSU_ERR_IO;
    nc->front_started = 1;
    return ISSU_OK;
}

void issu_nc_front_stop(struct issu_nc *nc)
{
    if (nc->front_started)
        pthread_join(nc->front_thr, NULL);
    nc->front_started = 0;
    pthread_mutex_lock(&nc->mu);
    while (nc->n_conns)
        pthread_cond_wait(&nc->conns_cv, &nc->mu);
    pthread_mutex_unlock(&nc->mu);
    if (nc->unix_fd >= 0)
        close(nc->unix_fd);
    if (nc->ssh_fd >= 0)
        close(nc->ssh_fd);
    nc->unix_fd = nc->ssh_fd = -1;
    if (nc->unix_bound)
        unlink(nc->conf.unix_path);
    nc->unix_bound = 0;
}
