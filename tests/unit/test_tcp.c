/*
 * test_tcp.c - the TCP link (agent/peer/tcp.c) in one process on 127.0.0.1:
 * two endpoints negotiate through listening and connecting links and show
 * what the in-memory pair shows; a wrong key gets no session and is logged
 * with the address; a second peer is refused while one is connected; a lost
 * peer marks the sessions down and a returning one renegotiates.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "issu_err.h"
#include "tcp.h"
#include "timg.h"

static const uint8_t KEY[] = "test-tcp-pre-shared-key-0123456789";
static const uint8_t BAD[] = "test-tcp-pre-shared-key-0123456780";
#define KLEN (sizeof(KEY) - 1)

struct side {
    struct issu_tcp *link;
    struct issu_endpoint *ep;
    char log[8192];
};

static void log_cb(void *arg, int level, const char *msg)
{
    struct side *s = arg;
    size_t n = strlen(s->log);

    (void)level;
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

static void side_new(struct side *s, const char *listen, const char *connect, const uint8_t *key,
                     uint32_t uid, struct issu_image *img)
{
    struct issu_tcp_conf tc;
    struct issu_endpoint_conf ec;

    memset(s, 0, sizeof(*s));
    memset(&tc, 0, sizeof(tc));
    tc.listen = listen;
    tc.connect = connect;
    tc.psk = key;
    tc.psk_len = KLEN;
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
    struct pollfd fds[8 * ISSU_TCP_NFDS];
    int cnt[8], i, k, timeout;
    int64_t end = ms() + limit;

    while (ms() < end) {
        if (done && done(v))
            return 1;
        k = 0;
        timeout = 50;
        for (i = 0; i < n; i++) {
            cnt[i] = 0;
            if (v[i]->link)
                issu_tcp_prepare(v[i]->link, fds + k, &cnt[i], &timeout);
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
    /* backoff: a handful of attempts in 1.5 s, not a spin */
    {
        int tries = 0;
        const char *p = a.log;
        while ((p = strstr(p, "wrong pre-shared key"))) {
            tries++;
            p++;
        }
        assert_true(tries >= 2 && tries <= 8);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_second_peer_loss_return),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
