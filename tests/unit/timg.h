/*
 * timg.h - helpers shared by the core's unit tests: hand-built images (one
 * message group 1 and one capability group 1 per client, entity 1 by
 * default), an in-process negotiation, and the symmetry check of rule 7.
 * Include after <cmocka.h>.
 */
#ifndef ISSU_TEST_TIMG_H
#define ISSU_TEST_TIMG_H

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "image.h"
#include "mem.h"
#include "snapshot.h"

#define T_ACTIVE_UID 4
#define T_STANDBY_UID 7

static inline struct issu_image *t_image(const char *name)
{
    struct issu_image *img = issu_image_new(name, "1.0");

    assert_non_null(img);
    return img;
}

/* A client with message group 1, capability group 1 and entity 1 using both.
 * The pointer is valid until the next client is added. */
static inline struct issu_client *t_client(struct issu_image *img, uint32_t id, const char *name)
{
    struct issu_client *c = issu_image_add_client(img, id, name);
    struct issu_entity *e;

    assert_non_null(c);
    assert_non_null(issu_client_add_msg_group(c, 1));
    assert_non_null(issu_client_add_cap_group(c, 1));
    e = issu_client_add_entity(c, 1, "session 1");
    assert_non_null(e);
    e->msg_group = 1;
    e->cap_group = 1;
    return c;
}

/* Message type @p id with versions lo..hi; version v has MTU mtu_base + v. */
static inline void t_msg(struct issu_client *c, uint32_t id, uint32_t lo, uint32_t hi, uint32_t mtu_base)
{
    struct issu_msg_type *t = issu_msg_group_add_type(&c->msg_groups[0], id);
    uint32_t v;

    assert_non_null(t);
    for (v = lo; v <= hi; v++)
        assert_int_equal(issu_msg_type_add_version(t, v, mtu_base + v), ISSU_OK);
}

/* Capability type @p id with @p n entries given after it. */
static inline void t_cap(struct issu_client *c, uint32_t id, int required, unsigned n, ...)
{
    struct issu_cap_type *t = issu_cap_group_add_type(&c->cap_groups[0], id, required);
    va_list ap;
    unsigned i;

    assert_non_null(t);
    va_start(ap, n);
    for (i = 0; i < n; i++)
        assert_int_equal(issu_cap_type_add_entry(t, va_arg(ap, uint32_t)), ISSU_OK);
    va_end(ap);
}

static inline void t_entity(struct issu_client *c, uint32_t id)
{
    struct issu_entity *e = issu_client_add_entity(c, id, "another session");

    assert_non_null(e);
    e->msg_group = 1;
    e->cap_group = 1;
}

/* A plain compatible client: type 1 version 1, capability 0 entry 1. */
static inline struct issu_client *t_plain(struct issu_image *img, uint32_t id, const char *name, int base)
{
    struct issu_client *c = t_client(img, id, name);

    c->base = base;
    t_msg(c, 1, 1, 1, 0);
    t_cap(c, 0, 0, 1, 1u);
    return c;
}

static inline void t_valid(struct issu_image *img)
{
    char err[256] = "";

    if (issu_image_validate(img, err, sizeof err) != ISSU_OK)
        fail_msg("image %s does not validate: %s", img->name, err);
}

static inline void t_negotiate(struct issu_image *a, struct issu_image *s, struct issu_snapshot **sa,
                               struct issu_snapshot **ss)
{
    assert_int_equal(issu_mem_negotiate(a, T_ACTIVE_UID, s, T_STANDBY_UID, NULL, NULL, sa, ss), ISSU_OK);
    assert_non_null(*sa);
    assert_non_null(*ss);
}

static inline int t_streq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Rule 7: both views record the same results; roles and sids mirror. */
static inline void t_assert_symmetric(const struct issu_snapshot *a, const struct issu_snapshot *b)
{
    uint32_t i, k;

    assert_int_equal(a->verdict, b->verdict);
    assert_true(t_streq(a->verdict_reason, b->verdict_reason));
    assert_int_equal(a->n_sessions, b->n_sessions);
    assert_int_equal(a->n_clients, b->n_clients);
    assert_int_equal(a->peer_unique_id, b->unique_id);
    assert_int_equal(b->peer_unique_id, a->unique_id);
    for (i = 0; i < a->n_clients; i++) {
        const struct issu_client_result *x = &a->clients[i], *y = issu_snapshot_client(b, x->id);
        assert_non_null(y);
        assert_int_equal(x->result, y->result);
        assert_int_equal(x->effective, y->effective);
        assert_int_equal(x->counts, y->counts);
        assert_int_equal(x->n_chain, y->n_chain);
        for (k = 0; k < x->n_chain; k++)
            assert_int_equal(x->chain[k], y->chain[k]);
        if (!t_streq(x->reason, y->reason))
            fail_msg("client %u: reason '%s' vs '%s'", x->id, x->reason ? x->reason : "(null)",
                     y->reason ? y->reason : "(null)");
    }
    for (i = 0; i < a->n_sessions; i++) {
        const struct issu_session *x = &a->sessions[i];
        const struct issu_session *y = issu_snapshot_session_ce(b, x->client_id, x->entity_id);
        assert_non_null(y);
        assert_int_equal(x->sid, y->peer_sid);
        assert_int_equal(x->peer_sid, y->sid);
        assert_int_not_equal(x->role, y->role);
        assert_true(x->role == ISSU_ROLE_PRIMARY || x->role == ISSU_ROLE_PASSIVE);
        assert_true(y->role == ISSU_ROLE_PRIMARY || y->role == ISSU_ROLE_PASSIVE);
        assert_int_equal(x->raw_result, y->raw_result);
        assert_int_equal(x->result, y->result);
        assert_int_equal(x->has_policy, y->has_policy);
        assert_int_equal(x->transport_mtu, y->transport_mtu);
        assert_int_equal(x->signature, y->signature);
        assert_true(t_streq(x->reason, y->reason));
        assert_int_equal(x->n_versions, y->n_versions);
        for (k = 0; k < x->n_versions; k++) {
            assert_int_equal(x->versions[k].msg_type, y->versions[k].msg_type);
            assert_int_equal(x->versions[k].version, y->versions[k].version);
            assert_true(t_streq(issu_session_note(x, x->versions[k].note), issu_session_note(y, y->versions[k].note)));
        }
        assert_int_equal(x->n_caps, y->n_caps);
        for (k = 0; k < x->n_caps; k++) {
            assert_int_equal(x->caps[k].cap_type, y->caps[k].cap_type);
            assert_int_equal(x->caps[k].result, y->caps[k].result);
            assert_int_equal(x->caps[k].has_entry, y->caps[k].has_entry);
            assert_int_equal(x->caps[k].entry, y->caps[k].entry);
            assert_int_equal(x->caps[k].required, y->caps[k].required);
            assert_true(t_streq(issu_session_note(x, x->caps[k].note), issu_session_note(y, y->caps[k].note)));
        }
    }
}

#endif
