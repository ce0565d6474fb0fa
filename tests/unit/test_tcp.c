/*
 * test_tcp.c - the TCP link (agent/peer/tcp.c) in one process on 127.0.0.1:
 * two endpoints negotiate through listening and connecting links and show
 * what the in-memory pair shows; a wrong key gets no session and is logged
 * with the address; a second peer is refused while one is connected; a lost
 * peer marks the sessions down and a returning one renegotiates. Strangers
 * (raw connections without the key): a listener authenticates several at
 * once, each against its own deadline; a full pool drops the oldest of the
 * busiest host; strangers who reconnect the moment they are dropped do not
 * keep the real peer out, and what is logged about them is rate-limited.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "issu_err.h"
#include "tcp.h"
#include "timg.h"

static const uint8_t KEY[] = "test-tcp-pre-shared-key-0123456789";
static const uint8_t BAD[] = "test-tcp-pre-shared-key-0123456780";
#define KLEN (sizeof(KEY) - 1)

struct side {
    struct issu_tcp *link;
    struct issu_endpoint *ep;
    char log[65536];
};

static void log_cb(void *arg, int level, const char *msg)
{
    struct side *s = arg;
    size_t n = strlen(s->log);

    if (level >= 7) /* LOG_DEBUG: per-connection chatter */
        return;
    snprintf(s->log + n, sizeof(s->log) - n, "%s\n", msg);
}

static struct issu_image *img_a, *img_s;

static struct issu_image *make(const char *name, int with_extra)
{
    struct issu_image *img = t_image(name);

    t_plain(img, 1, "base client", 1);
    t_plain(img, 2, "other client", 0);
    if (with_extra)
        t_plain(img, 3, "only here", 0);
    t_valid(img);
    return img;
}

static void side_new_conf(struct side *s, const char *listen, const char *connect, const uint8_t *key,
                          uint32_t uid, struct issu_image *img, unsigned pending_max, unsigned auth_ms)
{
    struct issu_tcp_conf tc;
    struct issu_endpoint_conf ec;

    memset(s, 0, sizeof(*s));
    memset(&tc, 0, sizeof(tc));
    tc.listen = listen;
    tc.connect = connect;
    tc.psk = key;
    tc.psk_len = KLEN;
    tc.pending_max = pending_max;
    tc.auth_ms = auth_ms;
    tc.log = log_cb;
    tc.log_arg = s;
    assert_int_equal(issu_tcp_new(&tc, &s->link), ISSU_OK);
    memset(&ec, 0, sizeof(ec));
    ec.unique_id = uid;
    ec.side = uid == T_ACTIVE_UID ? ISSU_SIDE_ACTIVE : ISSU_SIDE_STANDBY;
    ec.image = img;
    ec.transport = issu_tcp_transport(s->link);
    ec.log = log_cb;
    ec.arg = s;
    assert_int_equal(issu_endpoint_new(&ec, &s->ep), ISSU_OK);
    issu_tcp_attach(s->link, s->ep);
}

static void side_new(struct side *s, const char *listen, const char *connect, const uint8_t *key,
                     uint32_t uid, struct issu_image *img)
{
    side_new_conf(s, listen, connect, key, uid, img, 0, 0);
}

static void side_free(struct side *s)
{
    issu_endpoint_free(s->ep);
    issu_tcp_free(s->link);
    s->ep = NULL;
    s->link = NULL;
}

static int64_t ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int peer_state(struct side *s)
{
    struct issu_snapshot *snap = issu_endpoint_snapshot(s->ep);
    int st = snap->peer_state;

    issu_snapshot_unref(snap);
    return st;
}

/* Poll every live link until @p done (or @p limit ms). */
static int run(struct side **v, int n, int (*done)(struct side **), int limit)
{
    static struct pollfd fds[8 * (ISSU_TCP_PENDING_MAX + 1)];
    int cnt[8], i, k, timeout;
    int64_t end = ms() + limit;

    assert_true(n <= 8);
    while (ms() < end) {
        if (done && done(v))
            return 1;
        k = 0;
        timeout = 50;
        for (i = 0; i < n; i++) {
            cnt[i] = 0;
            if (v[i]->link) {
                assert_true(issu_tcp_nfds(v[i]->link) <= ISSU_TCP_PENDING_MAX + 1);
                issu_tcp_prepare(v[i]->link, fds + k, &cnt[i], &timeout);
            }
            k += cnt[i];
        }
        if (poll(fds, (nfds_t)k, timeout) < 0)
            return 0;
        k = 0;
        for (i = 0; i < n; i++) {
            if (v[i]->link)
                issu_tcp_process(v[i]->link, fds + k, cnt[i]);
            k += cnt[i];
        }
    }
    return done ? done(v) : 1;
}

static int both_up(struct side **v)
{
    return peer_state(v[0]) == ISSU_PEER_UP && peer_state(v[1]) == ISSU_PEER_UP &&
           !issu_endpoint_busy(v[0]->ep) && !issu_endpoint_busy(v[1]->ep);
}

static int reneg_done(struct side **v)
{
    return strstr(v[0]->log, "peer asks to renegotiate") && both_up(v);
}

static int first_down(struct side **v)
{
    return peer_state(v[0]) == ISSU_PEER_DOWN;
}

static int setup(void **state)
{
    (void)state;
    img_a = make("image A", 0);
    img_s = make("image S", 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    issu_image_free(img_a);
    issu_image_free(img_s);
    return 0;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    while ((hay = strstr(hay, needle))) {
        n++;
        hay++;
    }
    return n;
}

static void listen_addr(struct side *l, char *buf, size_t n)
{
    snprintf(buf, n, "127.0.0.1:%d", issu_tcp_port(l->link));
}

static void test_negotiate(void **state)
{
    static struct side a, b;
    struct side *v[2] = {&a, &b};
    struct issu_snapshot *sa, *sb, *ma, *mb;
    char addr[64];
    (void)state;

    side_new(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a);
    assert_true(issu_tcp_port(a.link) > 0);
    listen_addr(&a, addr, sizeof(addr));
    side_new(&b, NULL, addr, KEY, T_STANDBY_UID, img_s);
    assert_true(run(v, 2, both_up, 5000));
    assert_true(issu_tcp_up(a.link) && issu_tcp_up(b.link));
    assert_non_null(strstr(a.log, "authenticated"));
    /* the same results as the in-memory pair */
    sa = issu_endpoint_snapshot(a.ep);
    sb = issu_endpoint_snapshot(b.ep);
    t_assert_symmetric(sa, sb);
    t_negotiate(img_a, img_s, &ma, &mb);
    assert_int_equal(sa->verdict, ma->verdict);
    assert_int_equal(sa->n_sessions, ma->n_sessions);
    assert_int_equal(sa->peer_unique_id, T_STANDBY_UID);
    assert_int_equal(sb->peer_unique_id, T_ACTIVE_UID);
    issu_snapshot_unref(sa);
    issu_snapshot_unref(sb);
    issu_snapshot_unref(ma);
    issu_snapshot_unref(mb);

    /* keepalives hold an idle link up past the silence limit */
    run(v, 2, NULL, ISSU_TCP_SILENCE_MS + 800);
    assert_int_equal(peer_state(&a), ISSU_PEER_UP);
    assert_int_equal(peer_state(&b), ISSU_PEER_UP);
    assert_null(strstr(a.log, "silent"));

    /* a renegotiation asked on the PASSIVE side runs over the link */
    assert_null(strstr(a.log, "peer asks to renegotiate"));
    assert_int_equal(issu_endpoint_renegotiate(b.ep, 0, 0), ISSU_OK);
    assert_true(run(v, 2, reneg_done, 5000));
    side_free(&b);
    side_free(&a);
}

static void test_wrong_key(void **state)
{
    static struct side a, b;
    struct side *v[2] = {&a, &b};
    char addr[64];
    (void)state;

    side_new(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a);
    listen_addr(&a, addr, sizeof(addr));
    side_new(&b, NULL, addr, BAD, T_STANDBY_UID, img_s);
    assert_false(run(v, 2, both_up, 1500));
    assert_int_equal(peer_state(&a), ISSU_PEER_DOWN);
    assert_int_equal(peer_state(&b), ISSU_PEER_DOWN);
    assert_non_null(strstr(a.log, "wrong pre-shared key"));
    assert_non_null(strstr(a.log, "peer 127.0.0.1:")); /* with the address */
    assert_non_null(strstr(b.log, "retrying") ? b.log : strstr(b.log, "during authentication"));
    /* backoff: a handful of attempts in 1.5 s, not a spin (the connecting
     * side logs each; the listener's lines about strangers are rate-limited) */
    {
        int tries = count(b.log, "during authentication");

        assert_true(tries >= 2 && tries <= 8);
        assert_true(count(a.log, "wrong pre-shared key") <= 3);
    }
    side_free(&b);
    side_free(&a);
}

static void test_second_peer_loss_return(void **state)
{
    static struct side a, b, c;
    struct side *v[3] = {&a, &b, &c};
    char addr[64];
    (void)state;

    side_new(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a);
    listen_addr(&a, addr, sizeof(addr));
    side_new(&b, NULL, addr, KEY, T_STANDBY_UID, img_s);
    assert_true(run(v, 2, both_up, 5000));
    /* a second peer (right key even) is refused; the first stays */
    side_new(&c, NULL, addr, KEY, 9, img_s);
    run(v, 3, NULL, 600);
    assert_non_null(strstr(a.log, "refused: peer 127.0.0.1:"));
    assert_int_equal(peer_state(&a), ISSU_PEER_UP);
    assert_int_equal(peer_state(&c), ISSU_PEER_DOWN);
    side_free(&c);
    /* the standby goes away: the active marks its sessions down */
    side_free(&b);
    assert_true(run(v, 1, first_down, 2000));
    {
        struct issu_snapshot *sa = issu_endpoint_snapshot(a.ep);
        uint32_t i;
        assert_true(sa->n_sessions > 0);
        for (i = 0; i < sa->n_sessions; i++)
            assert_int_equal(sa->sessions[i].result, ISSU_RES_UNKNOWN);
        issu_snapshot_unref(sa);
    }
    /* it returns with another image: negotiation runs afresh */
    side_new(&b, NULL, addr, KEY, T_STANDBY_UID, img_a);
    assert_true(run(v, 2, both_up, 5000));
    {
        struct issu_snapshot *sa = issu_endpoint_snapshot(a.ep), *sb = issu_endpoint_snapshot(b.ep);
        t_assert_symmetric(sa, sb);
        assert_int_equal(sa->verdict, ISSU_VERDICT_COMPATIBLE);
        issu_snapshot_unref(sa);
        issu_snapshot_unref(sb);
    }
    side_free(&b);
    side_free(&a);
}

/* ---- strangers: raw connections without the key ---- */

/* Connect to the listener from @p src (NULL: 127.0.0.1), non-blocking;
 * @p hello: send a well-formed auth hello (then never a proof). */
static int raw_connect(const char *src, int port, int hello)
{
    struct sockaddr_in sa, me;
    uint8_t h[ISSU_AUTH_HELLO] = {'I', 'S', 'S', 'A', ISSU_AUTH_VERSION, 0, 0, 0};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

    assert_true(fd >= 0);
    memset(&me, 0, sizeof(me));
    me.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, src ? src : "127.0.0.1", &me.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&me, sizeof(me)), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    assert_int_equal(inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr), 1);
    assert_true(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EINPROGRESS);
    if (hello) {
        struct pollfd p = {fd, POLLOUT, 0};

        assert_int_equal(poll(&p, 1, 1000), 1);
        memset(h + 8, 0x5a, ISSU_AUTH_NONCE);
        assert_int_equal(send(fd, h, sizeof(h), MSG_NOSIGNAL), (ssize_t)sizeof(h));
    }
    return fd;
}

/* Has the listener closed it? (its auth hello is read and ignored) */
static int raw_closed(int fd)
{
    char buf[256];
    ssize_t n;

    for (;;) {
        n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n > 0)
            continue;
        if (n == 0)
            return 1;
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINPROGRESS && errno != ENOTCONN;
    }
}

static void test_pending_pool(void **state)
{
    static struct side a;
    struct side *v[1] = {&a};
    int port, r[7], i;
    (void)state;

    /* pending_max 2: the third connection pushes out the oldest */
    side_new_conf(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a, 2, 0);
    port = issu_tcp_port(a.link);
    assert_int_equal(issu_tcp_nfds(a.link), 3);
    r[1] = raw_connect(NULL, port, 0);
    run(v, 1, NULL, 60);
    r[2] = raw_connect(NULL, port, 1);
    run(v, 1, NULL, 60);
    assert_false(raw_closed(r[1]));
    assert_false(raw_closed(r[2]));
    r[3] = raw_connect(NULL, port, 0);
    run(v, 1, NULL, 60);
    assert_true(raw_closed(r[1]));
    assert_false(raw_closed(r[2]));
    assert_false(raw_closed(r[3]));
    assert_non_null(strstr(a.log, "dropped for peer 127.0.0.1:"));
    assert_non_null(strstr(a.log, "2 connections pending (--peer-pending-max)"));
    /* another host: the busiest host (127.0.0.1, two pending) loses its oldest */
    r[4] = raw_connect("127.0.0.2", port, 0);
    run(v, 1, NULL, 60);
    assert_true(raw_closed(r[2]));
    assert_false(raw_closed(r[3]));
    assert_false(raw_closed(r[4]));
    /* one each: the oldest goes */
    r[5] = raw_connect("127.0.0.2", port, 1);
    run(v, 1, NULL, 60);
    assert_true(raw_closed(r[3]));
    assert_false(raw_closed(r[4]));
    assert_false(raw_closed(r[5]));
    /* 127.0.0.2 holds both: a newcomer from 127.0.0.1 takes 127.0.0.2's oldest */
    r[6] = raw_connect(NULL, port, 0);
    run(v, 1, NULL, 60);
    assert_true(raw_closed(r[4]));
    assert_false(raw_closed(r[5]));
    assert_false(raw_closed(r[6]));
    assert_int_equal(peer_state(&a), ISSU_PEER_DOWN);
    for (i = 1; i < 7; i++)
        close(r[i]);
    side_free(&a);
}

static void test_pending_deadline(void **state)
{
    static struct side a;
    struct side *v[1] = {&a};
    int64_t t1, t2;
    int port, r1, r2;
    (void)state;

    /* each pending connection has its own deadline (1 s) */
    side_new_conf(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a, 4, 1000);
    port = issu_tcp_port(a.link);
    t1 = ms();
    r1 = raw_connect(NULL, port, 1);
    run(v, 1, NULL, 500);
    t2 = ms();
    r2 = raw_connect(NULL, port, 0);
    while (!raw_closed(r1) && ms() - t1 < 3000)
        run(v, 1, NULL, 20);
    assert_true(ms() - t1 >= 1000 && ms() - t1 < 3000);
    assert_false(raw_closed(r2)); /* the second one's deadline is its own */
    while (!raw_closed(r2) && ms() - t2 < 3000)
        run(v, 1, NULL, 20);
    assert_true(ms() - t2 >= 1000 && ms() - t2 < 3000);
    assert_non_null(strstr(a.log, "no authentication within 1000 ms"));
    close(r1);
    close(r2);
    side_free(&a);
}

/* Strangers reconnecting the moment they are dropped (checked every round). */
#define STRANGERS 12
static int strangers[STRANGERS], stranger_port, stranger_conns;

static void strangers_reconnect(void)
{
    int i;

    for (i = 0; i < STRANGERS; i++) {
        if (strangers[i] >= 0 && !raw_closed(strangers[i]))
            continue;
        if (strangers[i] >= 0)
            close(strangers[i]);
        strangers[i] = raw_connect(NULL, stranger_port, i % 2);
        stranger_conns++;
    }
}

static int up_under_attack(struct side **v)
{
    strangers_reconnect();
    return both_up(v);
}

static int attack_only(struct side **v)
{
    (void)v;
    strangers_reconnect();
    return 0;
}

static void test_strangers_flood(void **state)
{
    static struct side a, b;
    struct side *v[2] = {&a, &b};
    char addr[64];
    int i, lines, conns;
    const char *p;
    (void)state;

    /* three times as many strangers as the pool holds, from the real peer's own host */
    side_new_conf(&a, "127.0.0.1:0", NULL, KEY, T_ACTIVE_UID, img_a, 4, 0);
    listen_addr(&a, addr, sizeof(addr));
    stranger_port = issu_tcp_port(a.link);
    stranger_conns = 0;
    for (i = 0; i < STRANGERS; i++)
        strangers[i] = -1;
    run(v, 1, attack_only, 1500);
    conns = stranger_conns;
    assert_true(conns > 3 * STRANGERS); /* they were dropped and came back */
    assert_int_equal(peer_state(&a), ISSU_PEER_DOWN);
    /* the real peer arrives: it is authenticated and negotiates */
    side_new(&b, NULL, addr, KEY, T_STANDBY_UID, img_s);
    if (!run(v, 2, up_under_attack, 5000))
        print_message("A:\n%s\nB:\n%s\n", a.log, b.log);
    assert_true(both_up(v));
    assert_non_null(strstr(a.log, "other pending connections closed"));
    /* while it is up, the strangers are refused and the link holds */
    run(v, 2, attack_only, 1500);
    assert_int_equal(peer_state(&a), ISSU_PEER_UP);
    assert_int_equal(peer_state(&b), ISSU_PEER_UP);
    assert_non_null(strstr(a.log, "is already connected"));
    /* one line per reason per second, the next telling how many were not */
    run(v, 2, NULL, ISSU_TCP_LOG_INTERVAL_MS + 200);
    lines = 0;
    for (p = a.log; (p = strstr(p, "127.0.0.1:")); p = strchr(p, '\n')) {
        const char *eol = strchr(p, '\n');

        if (strstr(p, "connection dropped") < eol || strstr(p, "refused") < eol)
            lines++;
        if (!eol)
            break;
    }
    print_message("%d stranger connections, %d log lines about them\n", stranger_conns, lines);
    assert_true(stranger_conns > 100);
    assert_true(lines * 10 < stranger_conns);
    assert_true(count(a.log, "more like this in the last") >= 1);
    for (i = 0; i < STRANGERS; i++)
        close(strangers[i]);
    side_free(&b);
    side_free(&a);
}

static void test_conf_limits(void **state)
{
    struct issu_tcp_conf tc;
    struct issu_tcp *t = NULL;
    (void)state;

    memset(&tc, 0, sizeof(tc));
    tc.listen = "127.0.0.1:0";
    tc.psk = KEY;
    tc.psk_len = KLEN;
    tc.pending_max = ISSU_TCP_PENDING_MAX + 1;
    assert_int_equal(issu_tcp_new(&tc, &t), ISSU_ERR_INVAL);
    tc.pending_max = 0;
    tc.auth_ms = ISSU_TCP_AUTH_MS_MAX + 1;
    assert_int_equal(issu_tcp_new(&tc, &t), ISSU_ERR_INVAL);
    tc.auth_ms = 0;
    assert_int_equal(issu_tcp_new(&tc, &t), ISSU_OK);
    assert_int_equal(issu_tcp_nfds(t), ISSU_TCP_PENDING_DEFAULT + 1);
    issu_tcp_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_second_peer_loss_return),
        cmocka_unit_test(test_pending_pool),
        cmocka_unit_test(test_pending_deadline),
        cmocka_unit_test(test_strangers_flood),
        cmocka_unit_test(test_conf_limits),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
