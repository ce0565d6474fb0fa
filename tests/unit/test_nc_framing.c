/*
 * test_nc_framing.c - the strict RFC 6242 reader in front of libnetconf2
 * (agent/netconf/nc_framing.c).
 *
 * Every chunk header that crashed issud inside libnetconf2 2.0.24 (issue
 * 10: "#abc", "#0", "#-5", "#", no leading LF, "##" first) is refused here;
 * valid messages come out whole whatever way the bytes are split; sizes are
 * checked before any data arrives, against the limit, never allocated.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "issu_err.h"
#include "nc_framing.h"

/* Feed all of @p in in pieces of @p step bytes; returns the feed result
 * and the number of complete messages, the last one in @p last. */
static int feed_all(struct issu_nc_framer *f, const char *in, size_t n, size_t step, int *msgs, char *last,
                    size_t lastlen)
{
    size_t off = 0, used, k;
    int complete, rc;

    *msgs = 0;
    while (off < n) {
        k = n - off < step ? n - off : step;
        rc = issu_nc_framer_feed(f, in + off, k, &used, &complete);
        if (rc != ISSU_OK)
            return rc;
        off += used;
        if (complete) {
            (*msgs)++;
            snprintf(last, lastlen, "%s", (const char *)f->msg.data);
            issu_nc_framer_next(f);
        } else {
            assert_int_equal(used, k); /* an incomplete message takes everything */
        }
    }
    return ISSU_OK;
}

static void test_eom_hello_then_chunked(void **state)
{
    const char *hello = "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><capabilities>"
                        "<capability> urn:ietf:params:netconf:base:1.1\n</capability></capabilities></hello>";
    char stream[4096], last[512];
    struct issu_nc_framer f;
    size_t used, step;
    int complete, msgs;

    (void)state;
    for (step = 1; step <= 64; step = step * 2 + 1) {
        issu_nc_framer_init(&f, 1 << 20);
        snprintf(stream, sizeof(stream), "%s]]>]]>", hello);
        assert_int_equal(feed_all(&f, stream, strlen(stream), step, &msgs, last, sizeof(last)), ISSU_OK);
        assert_int_equal(msgs, 1);
        assert_string_equal(last, hello);
        assert_true(issu_nc_hello_offers_11(last, strlen(last)));
        issu_nc_framer_set_chunked(&f);
        /* two chunks, then a second message of one chunk */
        snprintf(stream, sizeof(stream), "\n#4\n<rpc\n#17\n message-id=\"1\"/>\n##\n\n#3\nabc\n##\n");
        assert_int_equal(feed_all(&f, stream, strlen(stream), step, &msgs, last, sizeof(last)), ISSU_OK);
        assert_int_equal(msgs, 2);
        assert_string_equal(last, "abc");
        assert_false(issu_nc_framer_partial(&f));
        issu_nc_framer_free(&f);
    }
    /* two messages in one read: the first stops at its end */
    issu_nc_framer_init(&f, 1 << 20);
    issu_nc_framer_set_chunked(&f);
    assert_int_equal(issu_nc_framer_feed(&f, "\n#1\na\n##\n\n#1\nb\n##\n", 20, &used, &complete), ISSU_OK);
    assert_int_equal(complete, 1);
    assert_int_equal(used, 9);
    assert_string_equal((const char *)f.msg.data, "a");
    issu_nc_framer_free(&f);
}

static void test_eom_overlaps(void **state)
{
    struct issu_nc_framer f;
    char last[64];
    int msgs;

    (void)state;
    /* "]]]>]]>" and "]]>]]]>]]>": the marker found where it ends */
    issu_nc_framer_init(&f, 1024);
    assert_int_equal(feed_all(&f, "a]]]>]]>", 8, 1, &msgs, last, sizeof(last)), ISSU_OK);
    assert_int_equal(msgs, 1);
    assert_string_equal(last, "a]");
    assert_int_equal(feed_all(&f, "]]>]]]>]]>", 10, 3, &msgs, last, sizeof(last)), ISSU_OK);
    assert_int_equal(msgs, 1);
    assert_string_equal(last, "]]>]");
    assert_int_equal(feed_all(&f, "]]>]]>", 6, 6, &msgs, last, sizeof(last)), ISSU_OK);
    assert_int_equal(msgs, 1);
    assert_string_equal(last, "");
    issu_nc_framer_free(&f);
}

/* Each of these is refused, split any way. */
static void test_bad_chunk_headers(void **state)
{
    static const char *bad[] = {
        "\n#abc\n",          "\n#0\n",           "\n#-5\n",       "\n#\n",        "#10\n0123456789\n##\n",
        "\n##\n",            "\n#01\nx\n##\n",   "\n#+5\nabcde",  "\n# 5\nabcde", "\n#5 \nabcde",
        "\n#4294967296\n",   "\n#18446744073709551615\n",     "\n#99999999999\n", "x\n#1\na\n##\n",
        "\n#1\na\n#0\n",     "\n#1\na\n##x",     "\n#1\nab\n##\n", "\r\n#1\na\n##\n", "\n\n#1\na\n##\n",
    };
    struct issu_nc_framer f;
    char last[64];
    size_t i, step;
    int msgs;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (step = 1; step <= 32; step *= 2) {
            issu_nc_framer_init(&f, 1 << 20);
            issu_nc_framer_set_chunked(&f);
            int rc = feed_all(&f, bad[i], strlen(bad[i]), step, &msgs, last, sizeof(last));
            if (rc != ISSU_ERR_DECODE)
                fail_msg("accepted %zu (step %zu): \"%s\"", i, step, bad[i]);
            assert_non_null(f.why);
            assert_int_equal(msgs, 0);
            issu_nc_framer_free(&f);
        }
    }
}

/* The biggest legal size is accepted as a header (with a big enough limit);
 * nothing is allocated for it before data arrives. */
static void test_sizes_not_allocated(void **state)
{
    struct issu_nc_framer f;
    size_t used;
    int complete;

    (void)state;
    issu_nc_framer_init(&f, SIZE_MAX);
    issu_nc_framer_set_chunked(&f);
    assert_int_equal(issu_nc_framer_feed(&f, "\n#4294967295\nab", 15, &used, &complete), ISSU_OK);
    assert_int_equal(complete, 0);
    assert_true(f.msg.cap < 65536);
    assert_true(issu_nc_framer_partial(&f));
    issu_nc_framer_free(&f);
}

static void test_limits(void **state)
{
    struct issu_nc_framer f;
    char big[200], last[256];
    size_t used;
    int complete, msgs;

    (void)state;
    /* chunked: a header announcing more than the limit is refused at once */
    issu_nc_framer_init(&f, 100);
    issu_nc_framer_set_chunked(&f);
    assert_int_equal(issu_nc_framer_feed(&f, "\n#101\n", 6, &used, &complete), ISSU_ERR_DECODE);
    assert_string_equal(f.why, "message larger than the limit");
    issu_nc_framer_free(&f);
    /* chunked: many small chunks adding up past the limit */
    issu_nc_framer_init(&f, 100);
    issu_nc_framer_set_chunked(&f);
    for (int i = 0; i < 10; i++)
        assert_int_equal(issu_nc_framer_feed(&f, "\n#10\n0123456789", 15, &used, &complete), ISSU_OK);
    assert_int_equal(issu_nc_framer_feed(&f, "\n#1\n", 4, &used, &complete), ISSU_ERR_DECODE);
    /* unusable after an error */
    assert_int_equal(issu_nc_framer_feed(&f, "\n##\n", 4, &used, &complete), ISSU_ERR_DECODE);
    issu_nc_framer_free(&f);
    /* exactly the limit passes */
    issu_nc_framer_init(&f, 100);
    memset(big, 'x', 100);
    memcpy(big + 100, "]]>]]>", 6);
    assert_int_equal(feed_all(&f, big, 106, 7, &msgs, last, sizeof(last)), ISSU_OK);
    assert_int_equal(msgs, 1);
    assert_int_equal(strlen(last), 100);
    /* end-of-message framing: one byte more is refused */
    memset(big, 'x', 101);
    assert_int_equal(feed_all(&f, big, 101, 50, &msgs, last, sizeof(last)), ISSU_ERR_DECODE);
    issu_nc_framer_free(&f);
}

static void test_hello_11(void **state)
{
    (void)state;
    static const char *yes[] = {
        "<capability>urn:ietf:params:netconf:base:1.1</capability>",
        "<nc:capability>\n  urn:ietf:params:netconf:base:1.1\t</nc:capability>",
    };
    static const char *no[] = {
        "<capability>urn:ietf:params:netconf:base:1.0</capability>",
        "<capability>urn:ietf:params:netconf:base:1.1?x</capability>",
        "<capability>x urn:ietf:params:netconf:base:1.1</capability>",
        "urn:ietf:params:netconf:base:1.1",
        "",
    };
    for (size_t i = 0; i < 2; i++)
        assert_true(issu_nc_hello_offers_11(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < 5; i++)
        assert_false(issu_nc_hello_offers_11(no[i], strlen(no[i])));
}

static void test_message_id(void **state)
{
    (void)state;
    static const char *lacks[] = {
        "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get/></rpc>",
        "<?xml version=\"1.0\"?>\n<!-- c --><nc:rpc xmlns:nc=\"x\"><get/></nc:rpc>",
        "<rpc/>",
        "<rpc xmlns:message-id=\"urn:x\"><get/></rpc>",
        "<rpc id='1'>",
    };
    static const char *fine[] = {
        "<rpc message-id=\"101\" xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\"><get/></rpc>",
        "<rpc xmlns=\"x\"\n  message-id = '7'><get/></rpc>",
        "<hello/>",
        "<rpcx/>",
        "   ",
        "<rpc message-id=\"1",
        "<!-- unterminated",
        "",
    };
    for (size_t i = 0; i < sizeof(lacks) / sizeof(lacks[0]); i++)
        if (!issu_nc_rpc_lacks_message_id(lacks[i], strlen(lacks[i])))
            fail_msg("missed: %s", lacks[i]);
    for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++)
        if (issu_nc_rpc_lacks_message_id(fine[i], strlen(fine[i])))
            fail_msg("flagged: %s", fine[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eom_hello_then_chunked),
        cmocka_unit_test(test_eom_overlaps),
        cmocka_unit_test(test_bad_chunk_headers),
        cmocka_unit_test(test_sizes_not_allocated),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_hello_11),
        cmocka_unit_test(test_message_id),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
