/*
 * test_manifest.c - manifest loading through libyang: the example images
 * (values checked against the seed), XML == JSON, and every manifest error
 * with the text the operator sees (source name first, then line or path).
 *
 * malloc/calloc/realloc are wrapped (-Wl,--wrap) to prove that an oversized
 * file is refused before anything is allocated.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "manifest.h"

#define IMAGES ISSU_SOURCE_DIR "/examples/images/"
#define DATA ISSU_TEST_DATA_DIR "/manifests/"

/* ---- allocation accounting ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);

static size_t n_allocs, max_alloc;

static void
note_alloc(size_t n)
{
    n_allocs++;
    if (n > max_alloc)
        max_alloc = n;
}

void *
__wrap_malloc(size_t n)
{
    note_alloc(n);
    return __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
    note_alloc(n * m);
    return __real_calloc(n, m);
}

void *
__wrap_realloc(void *p, size_t n)
{
    note_alloc(n);
    return __real_realloc(p, n);
}

/* ---- helpers ---- */

static struct ly_ctx *ctx;
static char err[1024];

static int
setup(void **state)
{
    (void)state;
    return issu_ly_ctx_new(&ctx);
}

static int
teardown(void **state)
{
    (void)state;
    ly_ctx_destroy(ctx);
    return 0;
}

static struct issu_image *
load_ok(const char *path)
{
    struct issu_image *img = NULL;
    int rc = issu_manifest_load_file(ctx, path, &img, err, sizeof err);

    if (rc)
        fail_msg("%s: rc %d: %s", path, rc, err);
    assert_non_null(img);
    return img;
}

/* Load tests/data/manifests/<name>, expect @p rc and the message "<path><rest>". */
static void
expect_file_error(const char *name, int rc, const char *rest)
{
    struct issu_image *img = (struct issu_image *)&img;
    char path[512], want[1024];

    snprintf(path, sizeof path, DATA "%s", name);
    snprintf(want, sizeof want, "%s%s", path, rest);
    assert_int_equal(issu_manifest_load_file(ctx, path, &img, err, sizeof err), rc);
    assert_null(img);
    assert_string_equal(err, want);
}

static const struct issu_msg_type *
msg_type(const struct issu_client *c, uint32_t group, uint32_t id)
{
    const struct issu_msg_group *g = issu_client_msg_group(c, group);
    uint32_t i;

    assert_non_null(g);
    for (i = 0; i < g->n_types; i++) {
        if (g->types[i].id == id)
            return &g->types[i];
    }
    fail_msg("client %u: no message type %u", c->id, id);
    return NULL;
}

static void
check_mtus(const struct issu_client *c, uint32_t type, uint32_t lo, uint32_t hi, const uint32_t *mtus)
{
    const struct issu_msg_type *t = msg_type(c, 1, type);
    uint32_t i;

    assert_int_equal(issu_msg_type_low(t), lo);
    assert_int_equal(issu_msg_type_high(t), hi);
    assert_int_equal(t->n_versions, hi - lo + 1);
    for (i = 0; i < t->n_versions; i++) {
        assert_int_equal(t->versions[i].version, lo + i);
        assert_int_equal(t->versions[i].mtu, mtus[i]);
    }
}

static const struct issu_entity *
entity1(const struct issu_image *img, uint32_t cid, const char *sname, uint32_t sid, uint32_t tmtu)
{
    const struct issu_client *c = issu_image_client(img, cid);
    const struct issu_entity *e;

    assert_non_null(c);
    assert_int_equal(c->n_entities, 1);
    e = issu_client_entity(c, 1);
    assert_non_null(e);
    assert_string_equal(e->session_name, sname);
    assert_int_equal(e->session_id, sid);
    assert_int_equal(e->transport_mtu, tmtu);
    assert_int_equal(e->msg_group, 1);
    assert_int_equal(e->cap_group, 1);
    return e;
}

/* Capability group 1 of @p cid: one type 0 with @p n entries (entry 1 when n = 1). */
static void
check_cap(const struct issu_image *img, uint32_t cid, uint32_t n)
{
    const struct issu_cap_group *g = issu_client_cap_group(issu_image_client(img, cid), 1);

    assert_non_null(g);
    assert_int_equal(g->n_types, 1);
    assert_int_equal(g->types[0].id, 0);
    assert_int_equal(g->types[0].required, 0);
    assert_int_equal(g->types[0].n_entries, n);
    if (n == 1)
        assert_int_equal(g->types[0].entries[0], 1);
}

static void
check_prereqs(const struct issu_image *img, uint32_t cid, const uint32_t *ids, uint32_t n)
{
    const struct issu_client *c = issu_image_client(img, cid);
    uint32_t i;

    assert_int_equal(c->n_prereqs, n);
    for (i = 0; i < n; i++)
        assert_int_equal(c->prereqs[i], ids[i]);
}

static int
images_equal(const struct issu_image *a, const struct issu_image *b)
{
    uint32_t i, j, k;

    if (strcmp(a->name, b->name) || strcmp(a->version, b->version) || !a->description != !b->description ||
            (a->description && strcmp(a->description, b->description)) || a->transport_mtu != b->transport_mtu ||
            a->n_clients != b->n_clients)
        return 0;
    for (i = 0; i < a->n_clients; i++) {
        const struct issu_client *x = &a->clients[i], *y = &b->clients[i];

        if (x->id != y->id || strcmp(x->name, y->name) || x->base != y->base || x->optional != y->optional ||
                x->policy != y->policy || x->n_prereqs != y->n_prereqs || x->n_entities != y->n_entities ||
                x->n_msg_groups != y->n_msg_groups || x->n_cap_groups != y->n_cap_groups)
            return 0;
        if (x->n_prereqs && memcmp(x->prereqs, y->prereqs, x->n_prereqs * sizeof *x->prereqs))
            return 0;
        for (j = 0; j < x->n_entities; j++) {
            const struct issu_entity *e = &x->entities[j], *f = &y->entities[j];

            if (e->id != f->id || strcmp(e->session_name, f->session_name) || e->msg_group != f->msg_group ||
                    e->cap_group != f->cap_group || e->session_id != f->session_id ||
                    e->transport_mtu != f->transport_mtu)
                return 0;
        }
        for (j = 0; j < x->n_msg_groups; j++) {
            const struct issu_msg_group *g = &x->msg_groups[j], *h = &y->msg_groups[j];

            if (g->id != h->id || g->n_types != h->n_types)
                return 0;
            for (k = 0; k < g->n_types; k++) {
                if (g->types[k].id != h->types[k].id || g->types[k].n_versions != h->types[k].n_versions ||
                        memcmp(g->types[k].versions, h->types[k].versions,
                        g->types[k].n_versions * sizeof *g->types[k].versions))
                    return 0;
            }
        }
        for (j = 0; j < x->n_cap_groups; j++) {
            const struct issu_cap_group *g = &x->cap_groups[j], *h = &y->cap_groups[j];

            if (g->id != h->id || g->n_types != h->n_types)
                return 0;
            for (k = 0; k < g->n_types; k++) {
                if (g->types[k].id != h->types[k].id || g->types[k].required != h->types[k].required ||
                        g->types[k].n_entries != h->types[k].n_entries || (g->types[k].n_entries &&
                        memcmp(g->types[k].entries, h->types[k].entries,
                        g->types[k].n_entries * sizeof *g->types[k].entries)))
                    return 0;
            }
        }
    }
    return 1;
}

/* ---- the example images ---- */

static const uint32_t base_ids[] = {2, 3, 4, 5, 7, 8, 9, 10, 11, 12, 100, 110};

static void
test_running(void **state)
{
    struct issu_image *img = load_ok(IMAGES "running.json");
    const struct issu_client *c;
    uint32_t i, nbase = 0;

    (void)state;
    assert_string_equal(img->name, "asr1000rp1-adventerprisek9.03.16.05.S.155-3.S5-ext.bin");
    assert_string_equal(img->version, "15.5(3)S5");
    assert_non_null(img->description);
    assert_int_equal(img->transport_mtu, 4096);
    /* 53 clients of 'show issu clients' + MPLS TE HA (2100) */
    assert_int_equal(img->n_clients, 54);
    for (i = 0; i < img->n_clients; i++) {
        c = &img->clients[i];
        nbase += c->base;
        assert_int_equal(c->n_entities, c->id == 1001 ? 4 : 1);
        assert_int_equal(c->optional, 0);
        assert_int_equal(c->policy, c->id == 2007 ? ISSU_POLICY_ENFORCE : ISSU_POLICY_NONE);
    }
    assert_int_equal(nbase, 12);
    for (i = 0; i < sizeof base_ids / sizeof *base_ids; i++)
        assert_true(issu_image_client(img, base_ids[i])->base);
    assert_string_equal(issu_image_client(img, 1001)->name, "OC3POS-6");
    assert_string_equal(issu_image_client(img, 4)->name, "ISSU CF client");
    assert_string_equal(issu_image_client(img, 2089)->name, "MPLS LSPV Push client");
    c = issu_image_client(img, 2100);
    assert_string_equal(c->name, "ISSU MPLS TE HA Client");
    assert_false(c->base);

    /* LDP */
    c = issu_image_client(img, 2011);
    assert_string_equal(c->name, "ISSU LDP Client");
    assert_int_equal(c->n_msg_groups, 1);
    assert_int_equal(c->msg_groups[0].n_types, 3);
    check_mtus(c, 1, 2, 2, (uint32_t[]){20});
    check_mtus(c, 2, 2, 2, (uint32_t[]){20});
    check_mtus(c, 3, 2, 2, (uint32_t[]){4});
    entity1(img, 2011, "LDP Session", 46, 3948);
    check_cap(img, 2011, 1);
    check_prereqs(img, 2011, (uint32_t[]){2007}, 1);
    /* MPLS VPN, Table ID */
    check_mtus(issu_image_client(img, 2009), 1, 1, 1, (uint32_t[]){32});
    entity1(img, 2009, "MPLS VPN ISSU Session", 39, 3980);
    check_cap(img, 2009, 1);
    check_prereqs(img, 2009, (uint32_t[]){2007}, 1);
    check_mtus(issu_image_client(img, 2008), 1, 1, 1, (uint32_t[]){44});
    check_mtus(issu_image_client(img, 2008), 2, 1, 1, (uint32_t[]){4});
    entity1(img, 2008, "TABLEID ISSU CF", 19, 3948);
    check_prereqs(img, 2008, (uint32_t[]){2007}, 1);
    /* LSD */
    c = issu_image_client(img, 2007);
    assert_int_equal(c->msg_groups[0].n_types, 1);
    check_mtus(c, 1, 1, 2, (uint32_t[]){12, 8});
    entity1(img, 2007, "lsd_ha", 40, 3948);
    check_cap(img, 2007, 1);
    check_prereqs(img, 2007, (uint32_t[]){3, 4}, 2);
    /* MFI Pull / Push */
    check_mtus(issu_image_client(img, 2030), 1006, 1, 1, (uint32_t[]){4});
    check_mtus(issu_image_client(img, 2030), 3003, 1, 1, (uint32_t[]){12});
    entity1(img, 2030, "MFI Pull (6)", 131073, 4056);
    check_prereqs(img, 2030, (uint32_t[]){2003}, 1);
    check_mtus(issu_image_client(img, 2031), 101, 1, 1, (uint32_t[]){17});
    check_mtus(issu_image_client(img, 2031), 105, 1, 1, (uint32_t[]){31});
    entity1(img, 2031, "MFI Push (6)", 196646, 4056);
    check_prereqs(img, 2031, (uint32_t[]){2003}, 1);
    /* LSPV Push */
    c = issu_image_client(img, 2089);
    assert_int_equal(c->msg_groups[0].n_types, 5);
    {
        const uint32_t mtus[] = {74, 120, 120, 5122, 6};

        for (i = 0; i < 5; i++)
            check_mtus(c, i, 1, 1, &mtus[i]);
    }
    entity1(img, 2089, "MPLS LSPV Push (6 )", 45, 1438);
    check_cap(img, 2089, 0);
    check_prereqs(img, 2089, (uint32_t[]){2003}, 1);
    /* TE */
    check_mtus(issu_image_client(img, 2053), 1, 1, 2, (uint32_t[]){1024, 1024});
    entity1(img, 2053, "RSVP HA Session", 84, 1392);
    check_cap(img, 2053, 0);
    check_prereqs(img, 2053, (uint32_t[]){3, 4, 2100}, 3);
    /* a client the seed shows no detail of: allocated session id */
    assert_int_equal(issu_client_entity(issu_image_client(img, 2), 1)->session_id, 0);
    issu_image_free(img);
}

static void
test_xml_equals_json(void **state)
{
    struct issu_image *j = load_ok(IMAGES "running.json");
    struct issu_image *x = load_ok(IMAGES "running.xml");
    struct issu_image *u = load_ok(IMAGES "upgrade-compatible.json");

    (void)state;
    assert_true(images_equal(j, x));
    assert_false(images_equal(j, u)); /* the comparison can fail */
    issu_image_free(j);
    issu_image_free(x);
    issu_image_free(u);
}

static void
test_candidates(void **state)
{
    struct issu_image *run = load_ok(IMAGES "running.json");
    struct issu_image *ok = load_ok(IMAGES "upgrade-compatible.json");
    struct issu_image *bl = load_ok(IMAGES "upgrade-base-level.json");
    struct issu_image *inc = load_ok(IMAGES "upgrade-incompatible.json");
    const uint32_t mpls[] = {2011, 2009, 2008, 2007, 2030, 2031, 2089, 2053};
    const uint32_t peer_sid[] = {34, 33, 13, 30, 35, 36, 37, 94};
    struct issu_image *cand[] = {ok, bl, inc};
    uint32_t i, k;

    (void)state;
    for (k = 0; k < 3; k++) {
        assert_non_null(cand[k]->description);
        assert_int_equal(cand[k]->n_clients, run->n_clients);
        for (i = 0; i < run->n_clients; i++) {
            assert_int_equal(cand[k]->clients[i].id, run->clients[i].id);
            assert_int_equal(cand[k]->clients[i].base, run->clients[i].base);
        }
        for (i = 0; i < 8; i++)
            assert_int_equal(issu_image_client(cand[k], mpls[i])->entities[0].session_id, peer_sid[i]);
    }
    /* compatible: ranges overlap at the seed's negotiated versions, MTUs >= running */
    check_mtus(issu_image_client(ok, 2053), 1, 1, 3, (uint32_t[]){1024, 1024, 1100});
    check_mtus(issu_image_client(ok, 2011), 3, 2, 3, (uint32_t[]){4, 8});
    for (i = 0; i < 8; i++) {
        assert_true(issu_image_client(ok, mpls[i])->entities[0].transport_mtu >=
                issu_image_client(run, mpls[i])->entities[0].transport_mtu);
    }
    /* base level: LDP type 3 only 3~3 (running 2~2); base clients as running */
    check_mtus(issu_image_client(bl, 2011), 3, 3, 3, (uint32_t[]){4});
    check_mtus(issu_image_client(bl, 2100), 1, 2, 2, (uint32_t[]){0});
    for (i = 0; i < sizeof base_ids / sizeof *base_ids; i++)
        check_mtus(issu_image_client(bl, base_ids[i]), 1, 1, 1, (uint32_t[]){0});
    /* incompatible: CF client 2~3 against 1~1 */
    check_mtus(issu_image_client(inc, 4), 1, 2, 3, (uint32_t[]){0, 0});
    issu_image_free(run);
    issu_image_free(ok);
    issu_image_free(bl);
    issu_image_free(inc);
}

/* The loader works without a caller's context; format by content without an extension. */
static void
test_own_ctx_and_detect(void **state)
{
    struct issu_image *img = NULL;
    const char *json = "  \n{\"issu-manifest:image\": {\"name\": \"a\", \"version\": \"1\"}}";
    const char *s, *xml = "<image xmlns=\"urn:issu-agent:yang:issu-manifest\"><name>a</name><version>1</version>"
            "<transport-mtu>1500</transport-mtu></image>";

    (void)state;
    assert_int_equal(issu_manifest_load_file(NULL, DATA "ok-minimal.json", &img, err, sizeof err), ISSU_OK);
    assert_int_equal(img->n_clients, 4);
    issu_image_free(img);
    assert_int_equal(issu_manifest_load_mem(NULL, json, strlen(json), ISSU_MANIFEST_AUTO, "j", &img, err,
            sizeof err), ISSU_OK);
    assert_int_equal(img->transport_mtu, 4096);
    assert_int_equal(img->n_clients, 0);
    issu_image_free(img);
    assert_int_equal(issu_manifest_load_mem(ctx, xml, strlen(xml), ISSU_MANIFEST_AUTO, "x", &img, err, sizeof err),
            ISSU_OK);
    assert_int_equal(img->transport_mtu, 1500);
    issu_image_free(img);
    /* an explicit format wins over the content */
    assert_int_equal(issu_manifest_load_mem(ctx, xml, strlen(xml), ISSU_MANIFEST_JSON, "x", &img, err, sizeof err),
            ISSU_ERR_INVAL);
    assert_string_equal(err, "x: Invalid character sequence \"<image xmlns=\"urn:is\", expected a JSON value");
    assert_null(img);
    /* line numbers count leading blank lines; trailing content is an error (libyang ignores it) */
    s = "\n\n{\"issu-manifest:image\": {\"name\": 7, \"version\": \"1\"}}";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "l", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "l: line 3: /issu-manifest:image/name: Invalid non-string-encoded string value \"7\"");
    s = "{\"issu-manifest:image\": {\"name\": \"a\", \"version\": \"1\"}}\n\n {\"x\": 1}";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "t", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "t: line 3: unexpected content after the end of the document");
    assert_null(img);
}

/* ---- errors ---- */

static void
test_err_syntax_types(void **state)
{
    (void)state;
    expect_file_error("bad-syntax.json", ISSU_ERR_INVAL, ": line 6: /issu-manifest:image/client[id='3']: Invalid "
            "character sequence \", } ] } } \", expected a JSON object's member");
    expect_file_error("bad-type.json", ISSU_ERR_INVAL, ": line 7: /issu-manifest:image/client/id: Invalid "
            "non-number-encoded uint32 value \"abc\"");
    expect_file_error("bad-unknown.json", ISSU_ERR_INVAL, ": line 87: /issu-manifest:image/client[id='4']: Node "
            "\"colour\" not found as a child of \"client\" node");
    expect_file_error("bad-unknown.xml", ISSU_ERR_INVAL, ": line 7: /issu-manifest:image/client[id='4']: Node "
            "\"colour\" not found as a child of \"client\" node");
    expect_file_error("bad-mandatory.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='4']/name: "
            "Mandatory node \"name\" instance does not exist");
    expect_file_error("bad-dup-version.xml", ISSU_ERR_INVAL, ": line 13: /issu-manifest:message-type[id='1']/"
            "version[number='1']: Duplicate instance of \"version\"");
}

static void
test_err_semantics(void **state)
{
    (void)state;
    expect_file_error("bad-prereq.json", ISSU_ERR_INVAL,
            ": /issu-manifest:image/client[id='2011']: prerequisite 9999 names no client of the image");
    expect_file_error("bad-cycle.json", ISSU_ERR_INVAL,
            ": /issu-manifest:image/client[id='2007']: prerequisite cycle 2007 -> 2011 -> 2007");
    expect_file_error("bad-hole.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='2011']/message-group"
            "[id='1']/message-type[id='1']: version 3 missing between 2 and 4 (a version range may not have holes)");
    expect_file_error("bad-group.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='2011']/entity[id='1']/"
            "message-group: message-group 7 is not defined in client 2011");
    expect_file_error("bad-dup-sid.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='2011']/entity[id='1']/"
            "session-id: session-id 40 is already used by client 2007 entity 1");
    expect_file_error("bad-base-optional.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='4']: a base "
            "client cannot be optional (the verdict is INCOMPATIBLE without it)");
    expect_file_error("bad-base-degraded.json", ISSU_ERR_INVAL, ": /issu-manifest:image/client[id='4']: a base "
            "client cannot have policy allow-degraded (nothing works unless base clients are compatible)");
}

static void
test_err_mem(void **state)
{
    struct issu_image *img = NULL;
    const char *s;

    (void)state;
    s = "{\"issu-manifest:image\": {\"name\": \"a\", \"version\": \"1\", \"client\": [{\"id\": 1, \"name\": \"x\", "
            "\"message-group\": [{\"id\": 1, \"message-type\": [{\"id\": 1, \"version\": [{\"number\": 0, "
            "\"mtu\": 1}]}]}]}]}}";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), ISSU_MANIFEST_AUTO, "v0", &img, err, sizeof err),
            ISSU_ERR_INVAL);
    assert_string_equal(err, "v0: line 1: /issu-manifest:image/client[id='1']/message-group[id='1']/message-type"
            "[id='1']/version/number: Unsatisfied range - value \"0\" is out of the allowed range");
    s = "{\"issu-manifest:image\": {\"name\": \"\", \"version\": \"1\"}}";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "e", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "e: line 1: /issu-manifest:image/name: Unsatisfied length - string \"\" length is "
            "not allowed");
    s = "{}";
    assert_int_equal(issu_manifest_load_mem(ctx, s, 2, 0, "m", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "m: no issu-manifest:image container");
    s = " \t\r\n ";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "w", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "w: file is empty");
    assert_int_equal(issu_manifest_load_mem(ctx, "", 0, 0, NULL, &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "<memory>: file is empty");
    assert_int_equal(issu_manifest_load_mem(ctx, "{\0}", 3, 0, "n", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "n: byte 1 is a NUL character; a manifest is text");
    s = "name: a";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "y", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "y: neither JSON (starting with '{') nor XML (starting with '<')");
    s = "<image xmlns=\"urn:issu-agent:yang:issu-manifest\"><name>a</name><version>1</version></image>"
            "<image xmlns=\"urn:issu-agent:yang:issu-manifest\"><name>b</name><version>1</version></image>";
    assert_int_equal(issu_manifest_load_mem(ctx, s, strlen(s), 0, "two", &img, err, sizeof err), ISSU_ERR_INVAL);
    assert_string_equal(err, "two: /issu-manifest:image: Duplicate instance of \"image\"");
    assert_null(img);
}

static void
test_err_files(void **state)
{
    char dir[] = "/tmp/issu-test-manifest-XXXXXX", path[256], want[512];
    struct issu_image *img = NULL;
    size_t before;
    char *big;
    int fd;

    (void)state;
    expect_file_error("empty.json", ISSU_ERR_IO, ": file is empty");
    expect_file_error("no-such-file.json", ISSU_ERR_IO, ": No such file or directory");
    assert_int_equal(issu_manifest_load_file(ctx, ISSU_TEST_DATA_DIR, &img, err, sizeof err), ISSU_ERR_IO);
    assert_string_equal(err, ISSU_TEST_DATA_DIR ": not a regular file: directory");

    /* 50 MiB (sparse): refused before anything is read or allocated */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/huge.json", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 50 * 1024 * 1024), 0);
    close(fd);
    before = n_allocs;
    max_alloc = 0;
    assert_int_equal(issu_manifest_load_file(NULL, path, &img, err, sizeof err), ISSU_ERR_IO);
    assert_int_equal(n_allocs, before);
    assert_null(img);
    snprintf(want, sizeof want, "%s: file is 52428800 bytes; manifests are limited to 16 MiB", path);
    assert_string_equal(err, want);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);

    /* from memory: refused before the copy */
    big = malloc(ISSU_MANIFEST_MAX_SIZE + 1);
    assert_non_null(big);
    memset(big, ' ', ISSU_MANIFEST_MAX_SIZE + 1);
    big[0] = '{';
    max_alloc = 0;
    assert_int_equal(issu_manifest_load_mem(ctx, big, ISSU_MANIFEST_MAX_SIZE + 1, 0, "big", &img, err, sizeof err),
            ISSU_ERR_INVAL);
    assert_true(max_alloc < 1024 * 1024);
    assert_string_equal(err, "big: input is 16777217 bytes; manifests are limited to 16 MiB");
    free(big);
}

/* Expect @p path refused with "<path>: not a regular file: <type>" by the
 * loader and by the plain read, neither leaving anything behind. */
static void
expect_not_regular(const char *path, const char *type)
{
    struct issu_image *img = (struct issu_image *)&img;
    char want[512], *data = (char *)&data;
    size_t len = 1;

    snprintf(want, sizeof want, "%s: not a regular file: %s", path, type);
    assert_int_equal(issu_manifest_load_file(ctx, path, &img, err, sizeof err), ISSU_ERR_IO);
    assert_null(img);
    assert_string_equal(err, want);
    assert_int_equal(issu_manifest_read_file(path, &data, &len, err, sizeof err), ISSU_ERR_IO);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_string_equal(err, want);
}

static void
on_alarm(int sig)
{
    (void)sig;
    /* the loader blocked on the file: fail loudly rather than hang ctest */
    static const char msg[] = "test_manifest: blocked opening a non-regular file\n";
    if (write(2, msg, sizeof msg - 1) < 0) {
    }
    _exit(1);
}

/* A FIFO (nobody writing), a UNIX socket, /dev/zero and a directory, each
 * as the file itself and through a symbolic link named like a manifest:
 * refused at once with the file type, never blocked on (issue 10 item 4:
 * open() of the FIFO waited for a writer for ever). */
static void
test_err_not_regular(void **state)
{
    char dir[] = "/tmp/issu-test-special-XXXXXX", fifo[64], sock[64], link[64];
    struct sockaddr_un sa;
    int s;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(fifo, sizeof fifo, "%s/fifo.json", dir);
    snprintf(sock, sizeof sock, "%s/sock.xml", dir);
    snprintf(link, sizeof link, "%s/link.json", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s >= 0);
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    assert_true(strlen(sock) < sizeof sa.sun_path);
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(s, 1), 0);

    signal(SIGALRM, on_alarm);
    alarm(10);
    expect_not_regular(fifo, "FIFO");
    expect_not_regular(sock, "socket");
    expect_not_regular("/dev/zero", "character device");
    expect_not_regular(dir, "directory");
    assert_int_equal(symlink(fifo, link), 0);
    expect_not_regular(link, "FIFO");
    assert_int_equal(unlink(link), 0);
    assert_int_equal(symlink("/dev/zero", link), 0);
    expect_not_regular(link, "character device");
    alarm(0);

    close(s);
    assert_int_equal(unlink(link), 0);
    assert_int_equal(unlink(sock), 0);
    assert_int_equal(unlink(fifo), 0);
    assert_int_equal(rmdir(dir), 0);
}

/* What issu_manifest_read_file() read loads as the file would (issud reads
 * once, compares, then loads those bytes). */
static void
test_read_then_load(void **state)
{
    struct issu_image *a = NULL, *b = NULL;
    char *data = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(issu_manifest_read_file(IMAGES "running.xml", &data, &len, err, sizeof err), ISSU_OK);
    assert_non_null(data);
    assert_int_equal(data[len], '\0');
    assert_int_equal(issu_manifest_format_of(IMAGES "running.xml", data, len), ISSU_MANIFEST_XML);
    assert_int_equal(issu_manifest_format_of(NULL, data, len), ISSU_MANIFEST_XML);
    assert_int_equal(issu_manifest_format_of("x.JSON", NULL, 0), ISSU_MANIFEST_JSON);
    assert_int_equal(issu_manifest_format_of(NULL, " \n{", 3), ISSU_MANIFEST_JSON);
    assert_int_equal(issu_manifest_load_file_data(ctx, IMAGES "running.xml", data, len, &a, err, sizeof err),
            ISSU_OK);
    b = load_ok(IMAGES "running.xml");
    assert_int_equal(a->n_clients, b->n_clients);
    assert_string_equal(a->name, b->name);
    issu_image_free(a);
    issu_image_free(b);
    free(data);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_running),
        cmocka_unit_test(test_xml_equals_json),
        cmocka_unit_test(test_candidates),
        cmocka_unit_test(test_own_ctx_and_detect),
        cmocka_unit_test(test_err_syntax_types),
        cmocka_unit_test(test_err_semantics),
        cmocka_unit_test(test_err_mem),
        cmocka_unit_test(test_err_files),
        cmocka_unit_test(test_err_not_regular),
        cmocka_unit_test(test_read_then_load),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
