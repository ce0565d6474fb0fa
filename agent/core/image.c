/*
 * image.c - the in-memory image manifest: builders, validation and lookups.
 *
 * Builders append to growable arrays. There is no capacity field: an array
 * holding n elements has capacity next_pow2(n), so it grows exactly when n is 0
 * or a power of two. That keeps every node small (an image may carry 10,000
 * entities) and an array at most twice its content.
 *
 * issu_image_validate() sorts every list by id and then checks what the YANG
 * schema cannot; after it, lookups are binary searches. Error paths use the
 * manifest's YANG terms so a loader can report them verbatim.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define IMG_PATH "/issu-manifest:image"
#define DEFAULT_TRANSPORT_MTU 4096

/* ---- growable arrays ---- */

/* Make room for element n (0-based) of an array of n elements. */
static int
arr_grow(void **arr, uint32_t n, size_t elsz)
{
    size_t cap;
    void *p;

    if (n && (n & (n - 1)))
        return ISSU_OK; /* capacity next_pow2(n) > n */
    if (n == UINT32_MAX / 2 + 1 || (size_t)n * 2 > SIZE_MAX / elsz)
        return ISSU_ERR_NOMEM;
    cap = n ? (size_t)n * 2 : 1;
    p = realloc(*arr, cap * elsz);
    if (!p)
        return ISSU_ERR_NOMEM;
    *arr = p;
    return ISSU_OK;
}

/* Append a zeroed element and return it, or NULL. */
static void *
arr_push(void **arr, uint32_t *n, size_t elsz)
{
    char *el;

    if (arr_grow(arr, *n, elsz) != ISSU_OK)
        return NULL;
    el = (char *)*arr + (size_t)*n * elsz;
    memset(el, 0, elsz);
    (*n)++;
    return el;
}

/* ---- building ---- */

struct issu_image *
issu_image_new(const char *name, const char *version)
{
    struct issu_image *img = calloc(1, sizeof *img);

    if (!img)
        return NULL;
    img->refs = 1;
    img->transport_mtu = DEFAULT_TRANSPORT_MTU;
    if (issu_strset(&img->name, name) != ISSU_OK || issu_strset(&img->version, version) != ISSU_OK) {
        issu_image_free(img);
        return NULL;
    }
    return img;
}

struct issu_image *
issu_image_ref(struct issu_image *img)
{
    if (img)
        __atomic_add_fetch(&img->refs, 1, __ATOMIC_RELAXED); /* snapshots drop images on face threads */
    return img;
}

static void
client_free(struct issu_client *c)
{
    uint32_t i, j;

    free(c->name);
    free(c->prereqs);
    for (i = 0; i < c->n_entities; i++)
        free(c->entities[i].session_name);
    free(c->entities);
    for (i = 0; i < c->n_msg_groups; i++) {
        for (j = 0; j < c->msg_groups[i].n_types; j++)
            free(c->msg_groups[i].types[j].versions);
        free(c->msg_groups[i].types);
    }
    free(c->msg_groups);
    for (i = 0; i < c->n_cap_groups; i++) {
        for (j = 0; j < c->cap_groups[i].n_types; j++)
            free(c->cap_groups[i].types[j].entries);
        free(c->cap_groups[i].types);
    }
    free(c->cap_groups);
}

void
issu_image_free(struct issu_image *img)
{
    uint32_t i;

    if (!img || __atomic_sub_fetch(&img->refs, 1, __ATOMIC_ACQ_REL))
        return;
    for (i = 0; i < img->n_clients; i++)
        client_free(&img->clients[i]);
    free(img->clients);
    free(img->name);
    free(img->version);
    free(img->description);
    free(img);
}

int
issu_strset(char **dst, const char *s)
{
    char *dup = NULL;

    if (s && !(dup = strdup(s)))
        return ISSU_ERR_NOMEM;
    free(*dst);
    *dst = dup;
    return ISSU_OK;
}

struct issu_client *
issu_image_add_client(struct issu_image *img, uint32_t id, const char *name)
{
    struct issu_client *c;
    char *dup = NULL;

    if (name && !(dup = strdup(name)))
        return NULL;
    c = arr_push((void **)&img->clients, &img->n_clients, sizeof *c);
    if (!c) {
        free(dup);
        return NULL;
    }
    c->id = id;
    c->name = dup;
    return c;
}

int
issu_client_add_prereq(struct issu_client *c, uint32_t client_id)
{
    uint32_t *p = arr_push((void **)&c->prereqs, &c->n_prereqs, sizeof *p);

    if (!p)
        return ISSU_ERR_NOMEM;
    *p = client_id;
    return ISSU_OK;
}

struct issu_entity *
issu_client_add_entity(struct issu_client *c, uint32_t id, const char *session_name)
{
    struct issu_entity *e;
    char *dup = NULL;

    if (session_name && !(dup = strdup(session_name)))
        return NULL;
    e = arr_push((void **)&c->entities, &c->n_entities, sizeof *e);
    if (!e) {
        free(dup);
        return NULL;
    }
    e->id = id;
    e->session_name = dup;
    return e;
}

struct issu_msg_group *
issu_client_add_msg_group(struct issu_client *c, uint32_t id)
{
    struct issu_msg_group *g = arr_push((void **)&c->msg_groups, &c->n_msg_groups, sizeof *g);

    if (g)
        g->id = id;
    return g;
}

struct issu_msg_type *
issu_msg_group_add_type(struct issu_msg_group *g, uint32_t id)
{
    struct issu_msg_type *t = arr_push((void **)&g->types, &g->n_types, sizeof *t);

    if (t)
        t->id = id;
    return t;
}

int
issu_msg_type_add_version(struct issu_msg_type *t, uint32_t version, uint32_t mtu)
{
    struct issu_msg_version *v = arr_push((void **)&t->versions, &t->n_versions, sizeof *v);

    if (!v)
        return ISSU_ERR_NOMEM;
    v->version = version;
    v->mtu = mtu;
    return ISSU_OK;
}

struct issu_cap_group *
issu_client_add_cap_group(struct issu_client *c, uint32_t id)
{
    struct issu_cap_group *g = arr_push((void **)&c->cap_groups, &c->n_cap_groups, sizeof *g);

    if (g)
        g->id = id;
    return g;
}

struct issu_cap_type *
issu_cap_group_add_type(struct issu_cap_group *g, uint32_t id, int required)
{
    struct issu_cap_type *t = arr_push((void **)&g->types, &g->n_types, sizeof *t);

    if (t) {
        t->id = id;
        t->required = required ? 1 : 0;
    }
    return t;
}

int
issu_cap_type_add_entry(struct issu_cap_type *t, uint32_t entry)
{
    uint32_t *p = arr_push((void **)&t->entries, &t->n_entries, sizeof *p);

    if (!p)
        return ISSU_ERR_NOMEM;
    *p = entry;
    return ISSU_OK;
}

/* ---- checking ---- */

/* Every element type starts with its uint32_t id (or version, or is one). */
static int
cmp_id(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return (x > y) - (x < y);
}

/* Sort @p n elements by id; return the index of the first duplicate or -1. */
static long
sort_dup(void *arr, uint32_t n, size_t elsz)
{
    uint32_t i;

    if (n < 2)
        return -1;
    qsort(arr, n, elsz, cmp_id);
    for (i = 1; i < n; i++) {
        if (*(const uint32_t *)((char *)arr + i * elsz) == *(const uint32_t *)((char *)arr + (i - 1) * elsz))
            return i;
    }
    return -1;
}

static void *
find_id(const void *arr, uint32_t n, size_t elsz, uint32_t id)
{
    return n ? bsearch(&id, arr, n, elsz, cmp_id) : NULL;
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ISSU_ERR_INVAL;
}

#define CL IMG_PATH "/client[id='%u']"

static int
check_msg_group(const struct issu_client *c, struct issu_msg_group *g, char *err, size_t errlen)
{
    uint32_t i, j;
    long d;

    if ((d = sort_dup(g->types, g->n_types, sizeof *g->types)) >= 0)
        return fail(err, errlen, CL "/message-group[id='%u']: duplicate message-type %u", c->id, g->id,
                g->types[d].id);
    for (i = 0; i < g->n_types; i++) {
        struct issu_msg_type *t = &g->types[i];

        if (!t->n_versions)
            return fail(err, errlen, CL "/message-group[id='%u']/message-type[id='%u']: no version listed",
                    c->id, g->id, t->id);
        if ((d = sort_dup(t->versions, t->n_versions, sizeof *t->versions)) >= 0)
            return fail(err, errlen, CL "/message-group[id='%u']/message-type[id='%u']: duplicate version %u",
                    c->id, g->id, t->id, t->versions[d].version);
        if (t->versions[0].version == 0)
            return fail(err, errlen, CL "/message-group[id='%u']/message-type[id='%u']: version 0 is not valid "
                    "(versions start at 1)", c->id, g->id, t->id);
        for (j = 1; j < t->n_versions; j++) {
            if (t->versions[j].version != t->versions[j - 1].version + 1)
                return fail(err, errlen, CL "/message-group[id='%u']/message-type[id='%u']: version %u missing "
                        "between %u and %u (a version range may not have holes)", c->id, g->id, t->id,
                        t->versions[j - 1].version + 1, t->versions[j - 1].version, t->versions[j].version);
        }
    }
    return ISSU_OK;
}

static int
check_cap_group(const struct issu_client *c, struct issu_cap_group *g, char *err, size_t errlen)
{
    uint32_t i;
    long d;

    if ((d = sort_dup(g->types, g->n_types, sizeof *g->types)) >= 0)
        return fail(err, errlen, CL "/capability-group[id='%u']: duplicate capability-type %u", c->id, g->id,
                g->types[d].id);
    for (i = 0; i < g->n_types; i++) {
        struct issu_cap_type *t = &g->types[i];

        if ((d = sort_dup(t->entries, t->n_entries, sizeof *t->entries)) >= 0)
            return fail(err, errlen, CL "/capability-group[id='%u']/capability-type[id='%u']: duplicate entry %u",
                    c->id, g->id, t->id, t->entries[d]);
    }
    return ISSU_OK;
}

static int
check_client(struct issu_client *c, char *err, size_t errlen)
{
    uint32_t i;
    long d;
    int rc;

    if (!c->name || !c->name[0])
        return fail(err, errlen, CL ": client name is empty", c->id);
    if ((unsigned)c->policy > ISSU_POLICY_DENY)
        return fail(err, errlen, CL ": invalid policy %d", c->id, (int)c->policy);
    /* the image verdict hangs on base clients: nothing may excuse one */
    if (c->base && c->optional)
        return fail(err, errlen, CL ": a base client cannot be optional (the verdict is INCOMPATIBLE without it)",
                c->id);
    if (c->base && c->policy == ISSU_POLICY_ALLOW_DEGRADED)
        return fail(err, errlen, CL ": a base client cannot have policy allow-degraded (nothing works unless "
                "base clients are compatible)", c->id);
    if ((d = sort_dup(c->prereqs, c->n_prereqs, sizeof *c->prereqs)) >= 0)
        return fail(err, errlen, CL ": prerequisite %u listed twice", c->id, c->prereqs[d]);
    if (find_id(c->prereqs, c->n_prereqs, sizeof *c->prereqs, c->id))
        return fail(err, errlen, CL ": a client cannot be its own prerequisite", c->id);

    if ((d = sort_dup(c->msg_groups, c->n_msg_groups, sizeof *c->msg_groups)) >= 0)
        return fail(err, errlen, CL ": duplicate message-group %u", c->id, c->msg_groups[d].id);
    for (i = 0; i < c->n_msg_groups; i++) {
        if ((rc = check_msg_group(c, &c->msg_groups[i], err, errlen)))
            return rc;
    }
    if ((d = sort_dup(c->cap_groups, c->n_cap_groups, sizeof *c->cap_groups)) >= 0)
        return fail(err, errlen, CL ": duplicate capability-group %u", c->id, c->cap_groups[d].id);
    for (i = 0; i < c->n_cap_groups; i++) {
        if ((rc = check_cap_group(c, &c->cap_groups[i], err, errlen)))
            return rc;
    }

    if ((d = sort_dup(c->entities, c->n_entities, sizeof *c->entities)) >= 0)
        return fail(err, errlen, CL ": duplicate entity %u", c->id, c->entities[d].id);
    for (i = 0; i < c->n_entities; i++) {
        const struct issu_entity *e = &c->entities[i];

        if (!e->session_name || !e->session_name[0])
            return fail(err, errlen, CL "/entity[id='%u']/session-name: session name is empty", c->id, e->id);
        if (!issu_client_msg_group(c, e->msg_group))
            return fail(err, errlen, CL "/entity[id='%u']/message-group: message-group %u is not defined in "
                    "client %u", c->id, e->id, e->msg_group, c->id);
        if (!issu_client_cap_group(c, e->cap_group))
            return fail(err, errlen, CL "/entity[id='%u']/capability-group: capability-group %u is not defined "
                    "in client %u", c->id, e->id, e->cap_group, c->id);
    }
    return ISSU_OK;
}

struct sid_use {
    uint32_t sid;
    uint32_t client;
    uint32_t entity;
};

static int
cmp_sid_use(const void *a, const void *b)
{
    const struct sid_use *x = a, *y = b;

    if (x->sid != y->sid)
        return x->sid < y->sid ? -1 : 1;
    if (x->client != y->client)
        return x->client < y->client ? -1 : 1;
    return (x->entity > y->entity) - (x->entity < y->entity);
}

/* Explicit session ids are the local Session_IDs: unique over the image. */
static int
check_session_ids(const struct issu_image *img, char *err, size_t errlen)
{
    struct sid_use *u = NULL;
    size_t n = 0, i;
    uint32_t ci, ei;
    int rc = ISSU_OK;

    for (ci = 0; ci < img->n_clients; ci++)
        n += img->clients[ci].n_entities;
    if (n < 2)
        return ISSU_OK;
    u = malloc(n * sizeof *u);
    ISSU_CHECK_MEM(u, rc);
    n = 0;
    for (ci = 0; ci < img->n_clients; ci++) {
        for (ei = 0; ei < img->clients[ci].n_entities; ei++) {
            const struct issu_entity *e = &img->clients[ci].entities[ei];

            if (e->session_id) {
                u[n].sid = e->session_id;
                u[n].client = img->clients[ci].id;
                u[n].entity = e->id;
                n++;
            }
        }
    }
    qsort(u, n, sizeof *u, cmp_sid_use);
    for (i = 1; i < n; i++) {
        if (u[i].sid == u[i - 1].sid) {
            rc = fail(err, errlen, CL "/entity[id='%u']/session-id: session-id %u is already used by client %u "
                    "entity %u", u[i].client, u[i].entity, u[i].sid, u[i - 1].client, u[i - 1].entity);
            goto cleanup;
        }
    }

cleanup:
    free(u);
    return rc;
}

/* Write "a -> b -> ... -> a" for the cycle on stack[from..top]. */
static int
report_cycle(const struct issu_image *img, const uint32_t *stack, uint32_t from, uint32_t top, char *err,
        size_t errlen)
{
    size_t off;
    uint32_t k;
    int w;

    if (!err || !errlen)
        return ISSU_ERR_INVAL;
    w = snprintf(err, errlen, CL ": prerequisite cycle ", img->clients[stack[from]].id);
    off = w < 0 ? 0 : (size_t)w;
    for (k = from; k <= top && off < errlen; k++) {
        w = snprintf(err + off, errlen - off, "%u -> ", img->clients[stack[k]].id);
        off += w < 0 ? 0 : (size_t)w;
    }
    if (off < errlen)
        snprintf(err + off, errlen - off, "%u", img->clients[stack[from]].id);
    return ISSU_ERR_INVAL;
}

/* Iterative DFS (prerequisite chains may be thousands deep). */
static int
check_cycles(const struct issu_image *img, char *err, size_t errlen)
{
    uint8_t *color = NULL; /* 0 unvisited, 1 on the stack, 2 done */
    uint32_t *stack = NULL, *next = NULL, sp, r, n = img->n_clients;
    int rc = ISSU_OK;

    if (!n)
        return ISSU_OK;
    color = calloc(n, 1);
    stack = malloc(n * sizeof *stack);
    next = malloc(n * sizeof *next);
    ISSU_CHECK_MEM(color && stack && next, rc);

    for (r = 0; r < n; r++) {
        if (color[r])
            continue;
        color[r] = 1;
        stack[0] = r;
        next[0] = 0;
        sp = 1;
        while (sp) {
            const struct issu_client *c = &img->clients[stack[sp - 1]];
            const struct issu_client *p;
            uint32_t j, k;

            if (next[sp - 1] == c->n_prereqs) {
                color[stack[--sp]] = 2;
                continue;
            }
            p = issu_image_client(img, c->prereqs[next[sp - 1]++]);
            j = (uint32_t)(p - img->clients);
            if (color[j] == 2)
                continue;
            if (color[j] == 1) {
                for (k = 0; stack[k] != j; k++)
                    ;
                rc = report_cycle(img, stack, k, sp - 1, err, errlen);
                goto cleanup;
            }
            color[j] = 1;
            stack[sp] = j;
            next[sp] = 0;
            sp++;
        }
    }

cleanup:
    free(color);
    free(stack);
    free(next);
    return rc;
}

int
issu_image_validate(struct issu_image *img, char *err, size_t errlen)
{
    uint32_t i, k;
    long d;
    int rc;

    if (err && errlen)
        err[0] = '\0';
    if (!img)
        return fail(err, errlen, "no image");
    if (!img->name || !img->name[0])
        return fail(err, errlen, IMG_PATH "/name: image name is empty");
    if (!img->version || !img->version[0])
        return fail(err, errlen, IMG_PATH "/version: image version is empty");
    if (!img->transport_mtu)
        return fail(err, errlen, IMG_PATH "/transport-mtu: must be at least 1");

    if ((d = sort_dup(img->clients, img->n_clients, sizeof *img->clients)) >= 0)
        return fail(err, errlen, CL ": duplicate client id %u", img->clients[d].id, img->clients[d].id);
    for (i = 0; i < img->n_clients; i++) {
        if ((rc = check_client(&img->clients[i], err, errlen)))
            return rc;
    }
    if ((rc = check_session_ids(img, err, errlen)))
        return rc;
    for (i = 0; i < img->n_clients; i++) {
        const struct issu_client *c = &img->clients[i];

        for (k = 0; k < c->n_prereqs; k++) {
            if (!issu_image_client(img, c->prereqs[k]))
                return fail(err, errlen, CL ": prerequisite %u names no client of the image", c->id,
                        c->prereqs[k]);
        }
    }
    return check_cycles(img, err, errlen);
}

/* ---- lookups ---- */

const struct issu_client *
issu_image_client(const struct issu_image *img, uint32_t id)
{
    return find_id(img->clients, img->n_clients, sizeof *img->clients, id);
}

const struct issu_entity *
issu_client_entity(const struct issu_client *c, uint32_t id)
{
    return find_id(c->entities, c->n_entities, sizeof *c->entities, id);
}

const struct issu_msg_group *
issu_client_msg_group(const struct issu_client *c, uint32_t id)
{
    return find_id(c->msg_groups, c->n_msg_groups, sizeof *c->msg_groups, id);
}

const struct issu_cap_group *
issu_client_cap_group(const struct issu_client *c, uint32_t id)
{
    return find_id(c->cap_groups, c->n_cap_groups, sizeof *c->cap_groups, id);
}

static const char *const policy_names[] = {"none", "enforce", "allow-degraded", "deny"};

const char *
issu_policy_name(enum issu_policy p)
{
    if ((unsigned)p >= sizeof policy_names / sizeof *policy_names)
        return "unknown";
    return policy_names[p];
}

int
issu_policy_parse(const char *s, enum issu_policy *out)
{
    unsigned i;

    for (i = 0; s && i < sizeof policy_names / sizeof *policy_names; i++) {
        if (!strcmp(s, policy_names[i])) {
            *out = (enum issu_policy)i;
            return ISSU_OK;
        }
    }
    return ISSU_ERR_INVAL;
}
