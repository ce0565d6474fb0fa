/*
 * test_image.c - the core's image model: builders, issu_image_validate()
 * (every error it reports, with its exact text), lookups, policy names,
 * issu_strerror().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "image.h"

/* A client with one entity, message group 1 (type 1, versions lo..hi) and capability group 1. */
static struct issu_client *
add_simple(struct issu_image *img, uint32_t id, uint32_t lo, uint32_t hi)
{
    struct issu_client *c = issu_image_add_client(img, id, "client");
    struct issu_msg_group *g;
    struct issu_msg_type *t;
    uint32_t v;

    assert_non_null(c);
    g = issu_client_add_msg_group(c, 1);
    assert_non_null(g);
    t = issu_msg_group_add_type(g, 1);
    assert_non_null(t);
    for (v = lo; v <= hi; v++)
        assert_int_equal(issu_msg_type_add_version(t, v, 10 * v), ISSU_OK);
    assert_non_null(issu_client_add_cap_group(c, 1));
    assert_non_null(issu_client_add_entity(c, 1, "session"));
    c->entities[0].msg_group = 1;
    c->entities[0].cap_group = 1;
    return c;
}

static void
expect_invalid(struct issu_image *img, const char *msg)
{
    char err[512];

    assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, msg);
    issu_image_free(img);
}

static struct issu_image *
new_img(void)
{
    struct issu_image *img = issu_image_new("img.bin", "1.0");

    assert_non_null(img);
    return img;
}

static void
test_build_sort_lookup(void **state)
{
    struct issu_image *img = new_img();
    const struct issu_client *c;
    struct issu_client *w;
    char err[256];
    uint32_t ids[] = {2011, 4, 2007, 3, 110};
    size_t i;

    (void)state;
    assert_int_equal(img->refs, 1);
    assert_int_equal(img->transport_mtu, 4096);
    for (i = 0; i < sizeof ids / sizeof *ids; i++)
        add_simple(img, ids[i], 1, 2);
    w = &img->clients[0]; /* 2011 */
    assert_int_equal(issu_client_add_prereq(w, 2007), ISSU_OK);
    assert_int_equal(issu_msg_group_add_type(&w->msg_groups[0], 0) != NULL, 1);
    assert_int_equal(issu_msg_type_add_version(&w->msg_groups[0].types[1], 3, 7), ISSU_OK);
    assert_int_equal(issu_msg_type_add_version(&w->msg_groups[0].types[1], 2, 6), ISSU_OK);
    assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_OK);
    assert_string_equal(err, "");

    for (i = 1; i < img->n_clients; i++)
        assert_true(img->clients[i - 1].id < img->clients[i].id);
    for (i = 0; i < sizeof ids / sizeof *ids; i++) {
        c = issu_image_client(img, ids[i]);
        assert_non_null(c);
        assert_int_equal(c->id, ids[i]);
    }
    assert_null(issu_image_client(img, 5));
    assert_null(issu_image_client(img, 0));
    assert_null(issu_image_client(img, 9999));
    c = issu_image_client(img, 2011);
    /* types and versions sorted */
    assert_int_equal(c->msg_groups[0].types[0].id, 0);
    assert_int_equal(issu_msg_type_low(&c->msg_groups[0].types[0]), 2);
    assert_int_equal(issu_msg_type_high(&c->msg_groups[0].types[0]), 3);
    assert_int_equal(c->msg_groups[0].types[0].versions[0].mtu, 6);
    assert_non_null(issu_client_entity(c, 1));
    assert_null(issu_client_entity(c, 2));
    assert_non_null(issu_client_msg_group(c, 1));
    assert_null(issu_client_msg_group(c, 2));
    assert_non_null(issu_client_cap_group(c, 1));
    assert_null(issu_client_cap_group(c, 0));

    assert_ptr_equal(issu_image_ref(img), img);
    assert_int_equal(img->refs, 2);
    issu_image_free(img);
    assert_int_equal(img->refs, 1);
    issu_image_free(img);
    issu_image_free(NULL);
}

/* 10,000 entities in one client and 10,000 clients: builders grow, lookups find each. */
static void
test_large(void **state)
{
    struct issu_image *img = new_img();
    struct issu_client *c;
    struct issu_entity *e;
    char err[256];
    uint32_t i;

    (void)state;
    c = add_simple(img, 1, 1, 1000);
    for (i = 10000; i >= 2; i--) {
        e = issu_client_add_entity(c, i, "s");
        assert_non_null(e);
        e->msg_group = 1;
        e->cap_group = 1;
        e->session_id = i;
    }
    for (i = 10000; i >= 2; i--)
        add_simple(img, i, 1, 1);
    assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_OK);
    c = &img->clients[0];
    assert_int_equal(c->n_entities, 10000);
    assert_int_equal(issu_msg_type_high(&c->msg_groups[0].types[0]), 1000);
    for (i = 1; i <= 10000; i++) {
        assert_int_equal(issu_client_entity(c, i)->id, i);
        assert_int_equal(issu_image_client(img, i)->id, i);
    }
    issu_image_free(img);
}

/* A prerequisite chain 5000 deep has no cycle (and must not overflow a stack). */
static void
test_deep_chain(void **state)
{
    struct issu_image *img = new_img();
    char err[256];
    uint32_t i;

    (void)state;
    for (i = 1; i <= 5000; i++) {
        struct issu_client *c = add_simple(img, i, 1, 1);

        if (i > 1)
            assert_int_equal(issu_client_add_prereq(c, i - 1), ISSU_OK);
    }
    assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_OK);
    /* close the loop: 1 -> 5000 -> 4999 -> ... -> 1 */
    assert_int_equal(issu_client_add_prereq(&img->clients[0], 5000), ISSU_OK);
    assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_ERR_INVAL);
    assert_true(!strncmp(err, "/issu-manifest:image/client[id='1']: prerequisite cycle 1 -> 5000 -> 4999 -> ", 77));
    issu_image_free(img);
}

static void
test_errors_ids(void **state)
{
    struct issu_image *img;
    struct issu_client *c;

    (void)state;
    img = new_img();
    add_simple(img, 7, 1, 1);
    add_simple(img, 3, 1, 1);
    add_simple(img, 7, 1, 1);
    expect_invalid(img, "/issu-manifest:image/client[id='7']: duplicate client id 7");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    issu_client_add_entity(c, 1, "again");
    expect_invalid(img, "/issu-manifest:image/client[id='7']: duplicate entity 1");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    issu_client_add_msg_group(c, 1);
    expect_invalid(img, "/issu-manifest:image/client[id='7']: duplicate message-group 1");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    issu_msg_type_add_version(issu_msg_group_add_type(&c->msg_groups[0], 1), 1, 0);
    expect_invalid(img, "/issu-manifest:image/client[id='7']/message-group[id='1']: duplicate message-type 1");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    issu_client_add_cap_group(c, 1);
    expect_invalid(img, "/issu-manifest:image/client[id='7']: duplicate capability-group 1");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    issu_cap_group_add_type(&c->cap_groups[0], 5, 1);
    issu_cap_group_add_type(&c->cap_groups[0], 5, 0);
    expect_invalid(img, "/issu-manifest:image/client[id='7']/capability-group[id='1']: duplicate capability-type 5");

    img = new_img();
    c = add_simple(img, 7, 1, 1);
    {
        struct issu_cap_type *t = issu_cap_group_add_type(&c->cap_groups[0], 0, 0);

        issu_cap_type_add_entry(t, 2);
        issu_cap_type_add_entry(t, 1);
        issu_cap_type_add_entry(t, 2);
    }
    expect_invalid(img, "/issu-manifest:image/client[id='7']/capability-group[id='1']/capability-type[id='0']: "
            "duplicate entry 2");
}

static void
test_errors_versions(void **state)
{
    struct issu_image *img;
    struct issu_client *c;

    (void)state;
    img = new_img();
    c = add_simple(img, 2011, 1, 2);
    issu_msg_type_add_version(&c->msg_groups[0].types[0], 2, 20);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/message-group[id='1']/message-type[id='1']: "
            "duplicate version 2");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    issu_msg_type_add_version(&c->msg_groups[0].types[0], 0, 20);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/message-group[id='1']/message-type[id='1']: "
            "version 0 is not valid (versions start at 1)");

    img = new_img();
    c = add_simple(img, 2011, 1, 2);
    issu_msg_type_add_version(&c->msg_groups[0].types[0], 4, 20);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/message-group[id='1']/message-type[id='1']: "
            "version 3 missing between 2 and 4 (a version range may not have holes)");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    issu_msg_group_add_type(&c->msg_groups[0], 3);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/message-group[id='1']/message-type[id='3']: "
            "no version listed");
}

static void
test_errors_refs(void **state)
{
    struct issu_image *img;
    struct issu_client *c;

    (void)state;
    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    c->entities[0].msg_group = 2;
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/entity[id='1']/message-group: message-group 2 is "
            "not defined in client 2011");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    c->entities[0].cap_group = 9;
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/entity[id='1']/capability-group: "
            "capability-group 9 is not defined in client 2011");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    issu_client_add_prereq(c, 9999);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']: prerequisite 9999 names no client of the image");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    issu_client_add_prereq(c, 2011);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']: a client cannot be its own prerequisite");

    img = new_img();
    add_simple(img, 2007, 1, 1);
    c = add_simple(img, 2011, 1, 1);
    issu_client_add_prereq(c, 2007);
    issu_client_add_prereq(c, 2007);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']: prerequisite 2007 listed twice");

    /* 2011 -> 2007 -> 2011, found from the smallest id of the cycle */
    img = new_img();
    add_simple(img, 3, 1, 1);
    c = add_simple(img, 2011, 1, 1);
    issu_client_add_prereq(c, 2007);
    c = add_simple(img, 2007, 1, 1);
    issu_client_add_prereq(c, 3);
    issu_client_add_prereq(c, 2011);
    expect_invalid(img, "/issu-manifest:image/client[id='2007']: prerequisite cycle 2007 -> 2011 -> 2007");

    /* nothing excuses a base client: not optional, no allow-degraded (issue 18) */
    img = new_img();
    c = add_simple(img, 4, 1, 1);
    c->base = c->optional = 1;
    expect_invalid(img, "/issu-manifest:image/client[id='4']: a base client cannot be optional (the verdict is "
            "INCOMPATIBLE without it)");
    img = new_img();
    c = add_simple(img, 4, 1, 1);
    c->base = 1;
    c->policy = ISSU_POLICY_ALLOW_DEGRADED;
    expect_invalid(img, "/issu-manifest:image/client[id='4']: a base client cannot have policy allow-degraded "
            "(nothing works unless base clients are compatible)");
    {
        char err[256];
        img = new_img();
        c = add_simple(img, 4, 1, 1);
        c->base = 1;
        c->policy = ISSU_POLICY_DENY; /* blocking a base client is the operator's explicit word */
        c = add_simple(img, 5, 1, 1);
        c->optional = 1;
        c->policy = ISSU_POLICY_ALLOW_DEGRADED;
        assert_int_equal(issu_image_validate(img, err, sizeof err), ISSU_OK);
        issu_image_free(img);
    }

    /* the cycle is reported without the path that led to it */
    img = new_img();
    c = add_simple(img, 1, 1, 1);
    issu_client_add_prereq(c, 5);
    c = add_simple(img, 5, 1, 1);
    issu_client_add_prereq(c, 6);
    c = add_simple(img, 6, 1, 1);
    issu_client_add_prereq(c, 7);
    c = add_simple(img, 7, 1, 1);
    issu_client_add_prereq(c, 5);
    expect_invalid(img, "/issu-manifest:image/client[id='5']: prerequisite cycle 5 -> 6 -> 7 -> 5");
}

static void
test_errors_sessions_names(void **state)
{
    struct issu_image *img;
    struct issu_client *c;

    (void)state;
    img = new_img();
    c = add_simple(img, 2030, 1, 1);
    c->entities[0].session_id = 36;
    c = add_simple(img, 2031, 1, 1);
    c->entities[0].session_id = 36;
    c = add_simple(img, 2089, 1, 1);
    c->entities[0].session_id = 36;
    expect_invalid(img, "/issu-manifest:image/client[id='2031']/entity[id='1']/session-id: session-id 36 is "
            "already used by client 2030 entity 1");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    assert_int_equal(issu_strset(&c->entities[0].session_name, ""), ISSU_OK);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/entity[id='1']/session-name: session name is empty");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    assert_int_equal(issu_strset(&c->entities[0].session_name, NULL), ISSU_OK);
    assert_null(c->entities[0].session_name);
    expect_invalid(img, "/issu-manifest:image/client[id='2011']/entity[id='1']/session-name: session name is empty");

    img = new_img();
    c = add_simple(img, 2011, 1, 1);
    issu_strset(&c->name, "");
    expect_invalid(img, "/issu-manifest:image/client[id='2011']: client name is empty");

    img = issu_image_new("", "1");
    expect_invalid(img, "/issu-manifest:image/name: image name is empty");
    img = issu_image_new("x", NULL);
    expect_invalid(img, "/issu-manifest:image/version: image version is empty");
    img = new_img();
    img->transport_mtu = 0;
    expect_invalid(img, "/issu-manifest:image/transport-mtu: must be at least 1");
}

static void
test_policy_strerror(void **state)
{
    enum issu_policy p;
    int e, f;

    (void)state;
    assert_string_equal(issu_policy_name(ISSU_POLICY_NONE), "none");
    assert_string_equal(issu_policy_name(ISSU_POLICY_ENFORCE), "enforce");
    assert_string_equal(issu_policy_name(ISSU_POLICY_ALLOW_DEGRADED), "allow-degraded");
    assert_string_equal(issu_policy_name(ISSU_POLICY_DENY), "deny");
    for (p = ISSU_POLICY_NONE; p <= ISSU_POLICY_DENY; p++) {
        enum issu_policy q = ISSU_POLICY_DENY + 1;

        assert_int_equal(issu_policy_parse(issu_policy_name(p), &q), ISSU_OK);
        assert_int_equal(q, p);
    }
    assert_int_equal(issu_policy_parse("Enforce", &p), ISSU_ERR_INVAL);
    assert_int_equal(issu_policy_parse("", &p), ISSU_ERR_INVAL);
    assert_int_equal(issu_policy_parse(NULL, &p), ISSU_ERR_INVAL);

    assert_string_equal(issu_strerror(ISSU_ERR_DECODE), "malformed message");
    assert_string_equal(issu_strerror(-1), "unknown error");
    for (e = ISSU_OK; e <= ISSU_ERR_REFUSED; e++) {
        assert_string_not_equal(issu_strerror(e), "unknown error");
        for (f = ISSU_OK; f < e; f++)
            assert_string_not_equal(issu_strerror(e), issu_strerror(f));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_sort_lookup),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_deep_chain),
        cmocka_unit_test(test_errors_ids),
        cmocka_unit_test(test_errors_versions),
        cmocka_unit_test(test_errors_refs),
        cmocka_unit_test(test_errors_sessions_names),
        cmocka_unit_test(test_policy_strerror),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
