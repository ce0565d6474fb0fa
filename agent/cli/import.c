/*
 * import.c - the reader of captured `show issu` text (import.h).
 *
 * A line is cleaned as a terminal shows it (backspace, carriage return,
 * CSI sequences), then read as a prompt with its command, or as a line of
 * the current command's output. Only the output of the `show issu` views
 * issuctl renders and of `show version` is read; a line of one of those
 * that matches none of its layouts is a warning. Lookups by id go through
 * one hash table, so a capture's size costs linear time.
 */
#include "import.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

/* ---- the index: (kind, a, b) -> position ---- */

enum { K_CLIENT = 1, K_ENTITY, K_NEG };

struct slot {
    uint64_t key; /* 0: free */
    uint32_t kind;
    size_t pos;
};

struct issu_imp_index {
    struct slot *s;
    size_t cap, n;
};

static uint64_t mkkey(uint32_t a, uint32_t b)
{
    return (uint64_t)a << 32 | b;
}

static size_t hash(uint64_t k, uint32_t kind)
{
    k ^= (uint64_t)kind * 0x9e3779b97f4a7c15ull;
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (size_t)k;
}

static struct slot *idx_find(const struct issu_imp_index *x, uint32_t kind, uint64_t key)
{
    size_t i;

    if (!x->cap)
        return NULL;
    for (i = hash(key, kind) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
        if (!x->s[i].kind)
            return NULL;
        if (x->s[i].kind == kind && x->s[i].key == key)
            return &x->s[i];
    }
}

static int idx_put(struct issu_imp_index *x, uint32_t kind, uint64_t key, size_t pos)
{
    size_t i;

    if ((x->n + 1) * 2 > x->cap) {
        struct issu_imp_index y = {.cap = x->cap ? x->cap * 2 : 64};
        y.s = calloc(y.cap, sizeof(*y.s));
        if (!y.s)
            return ISSU_ERR_NOMEM;
        for (i = 0; i < x->cap; i++)
            if (x->s[i].kind) {
                size_t j = hash(x->s[i].key, x->s[i].kind) & (y.cap - 1);
                while (y.s[j].kind)
                    j = (j + 1) & (y.cap - 1);
                y.s[j] = x->s[i];
            }
        free(x->s);
        x->s = y.s;
        x->cap = y.cap;
    }
    for (i = hash(key, kind) & (x->cap - 1); x->s[i].kind; i = (i + 1) & (x->cap - 1))
        ;
    x->s[i].kind = kind;
    x->s[i].key = key;
    x->s[i].pos = pos;
    x->n++;
    return ISSU_OK;
}

/* capacity is implied by the count: 1, 2, 4, 8, ... */
static void *grow(void *arr, size_t n, size_t size)
{
    if (n == 0)
        return realloc(arr, size);
    if (n & (n - 1))
        return arr;
    return realloc(arr, n * 2 * size);
}

/* append one zeroed element to *arr (count *n) */
static void *push(void **arr, size_t *n, size_t size)
{
    void *a = grow(*arr, *n, size);
    char *e;

    if (!a)
        return NULL;
    *arr = a;
    e = (char *)a + *n * size;
    memset(e, 0, size);
    (*n)++;
    return e;
}

/* ---- the model ---- */

int issu_capture_new(struct issu_capture **out)
{
    struct issu_capture *c = calloc(1, sizeof(*c));

    if (!c)
        return ISSU_ERR_NOMEM;
    c->idx = calloc(1, sizeof(*c->idx));
    if (!c->idx) {
        free(c);
        return ISSU_ERR_NOMEM;
    }
    *out = c;
    return ISSU_OK;
}

static void free_entity(struct issu_imp_entity *e)
{
    size_t i;

    free(e->name);
    for (i = 0; i < e->ntypes; i++)
        free(e->types[i].v);
    free(e->types);
    free(e->ranges);
    for (i = 0; i < e->nsess; i++)
        free(e->sess[i].name);
    free(e->sess);
}

void issu_capture_free(struct issu_capture *cap)
{
    size_t i, j;

    if (!cap)
        return;
    for (i = 0; i < cap->nclients; i++) {
        for (j = 0; j < cap->clients[i].nents; j++)
            free_entity(&cap->clients[i].ents[j]);
        free(cap->clients[i].ents);
        free(cap->clients[i].name);
    }
    free(cap->clients);
    for (i = 0; i < cap->nnegs; i++) {
        free(cap->negs[i].vers);
        free(cap->negs[i].caps);
    }
    free(cap->negs);
    for (i = 0; i < cap->nwarn; i++)
        free(cap->warn[i].text);
    free(cap->warn);
    free(cap->image_name);
    free(cap->image_version);
    if (cap->idx)
        free(cap->idx->s);
    free(cap->idx);
    free(cap);
}

int issu_capture_warn(struct issu_capture *cap, const char *fmt, ...)
{
    struct issu_imp_warning *w;
    va_list ap;
    char buf[512];

    cap->nwarn_total++;
    if (cap->nwarn >= ISSU_IMPORT_MAX_WARNINGS)
        return ISSU_OK;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    w = push((void **)&cap->warn, &cap->nwarn, sizeof(*w));
    if (!w || !(w->text = strdup(buf))) {
        if (w)
            cap->nwarn--;
        return ISSU_ERR_NOMEM;
    }
    return ISSU_OK;
}

struct issu_imp_client *issu_capture_client(const struct issu_capture *cap, uint32_t id)
{
    struct slot *s = idx_find(cap->idx, K_CLIENT, mkkey(id, 0));

    return s ? &cap->clients[s->pos] : NULL;
}

struct issu_imp_neg *issu_capture_neg(const struct issu_capture *cap, uint32_t sid)
{
    struct slot *s = idx_find(cap->idx, K_NEG, mkkey(sid, 0));

    return s ? &cap->negs[s->pos] : NULL;
}

static int get_client(struct issu_capture *cap, uint32_t id, size_t *pos)
{
    struct slot *s = idx_find(cap->idx, K_CLIENT, mkkey(id, 0));
    struct issu_imp_client *c;

    if (s) {
        *pos = s->pos;
        return ISSU_OK;
    }
    c = push((void **)&cap->clients, &cap->nclients, sizeof(*c));
    if (!c)
        return ISSU_ERR_NOMEM;
    c->id = id;
    *pos = cap->nclients - 1;
    if (idx_put(cap->idx, K_CLIENT, mkkey(id, 0), *pos) != ISSU_OK) {
        cap->nclients--;
        return ISSU_ERR_NOMEM;
    }
    return ISSU_OK;
}

static int get_entity(struct issu_capture *cap, uint32_t client, uint32_t entity, size_t *cpos, size_t *epos)
{
    struct slot *s;
    struct issu_imp_client *c;
    struct issu_imp_entity *e;

    ISSU_CHECK(get_client(cap, client, cpos));
    /* entity keys hold the client's position: (pos, entity) */
    s = idx_find(cap->idx, K_ENTITY, mkkey((uint32_t)*cpos, entity));
    if (s) {
        *epos = s->pos;
        return ISSU_OK;
    }
    c = &cap->clients[*cpos];
    e = push((void **)&c->ents, &c->nents, sizeof(*e));
    if (!e)
        return ISSU_ERR_NOMEM;
    e->id = entity;
    *epos = c->nents - 1;
    if (idx_put(cap->idx, K_ENTITY, mkkey((uint32_t)*cpos, entity), *epos) != ISSU_OK) {
        c->nents--;
        return ISSU_ERR_NOMEM;
    }
    return ISSU_OK;
}

static int get_neg(struct issu_capture *cap, uint32_t sid, size_t *pos)
{
    struct slot *s = idx_find(cap->idx, K_NEG, mkkey(sid, 0));
    struct issu_imp_neg *n;

    if (s) {
        *pos = s->pos;
        return ISSU_OK;
    }
    n = push((void **)&cap->negs, &cap->nnegs, sizeof(*n));
    if (!n)
        return ISSU_ERR_NOMEM;
    n->sid = sid;
    *pos = cap->nnegs - 1;
    if (idx_put(cap->idx, K_NEG, mkkey(sid, 0), *pos) != ISSU_OK) {
        cap->nnegs--;
        return ISSU_ERR_NOMEM;
    }
    return ISSU_OK;
}

/* ---- lexing one cleaned line ---- */

static int is_sp(char ch)
{
    return ch == ' ' || ch == '\t';
}

static void ws(const char **p)
{
    while (is_sp(**p))
        (*p)++;
}

static int lower(int ch)
{
    return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch;
}

static int is_word(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* a field name, in any case, each '_' matching '_' or one space */
static int key(const char **pp, const char *k)
{
    const char *p = *pp;

    ws(&p);
    for (; *k; k++, p++) {
        if (*k == '_' ? (*p != '_' && *p != ' ') : lower((unsigned char)*p) != lower((unsigned char)*k))
            return 0;
    }
    if (is_word(*p))
        return 0;
    *pp = p;
    return 1;
}

static int ch(const char **pp, char c)
{
    const char *p = *pp;

    ws(&p);
    if (*p != c)
        return 0;
    *pp = p + 1;
    return 1;
}

static int num(const char **pp, uint32_t *v)
{
    const char *p = *pp;
    uint64_t x = 0;
    int n = 0;

    ws(&p);
    while (*p >= '0' && *p <= '9') {
        x = x * 10 + (uint64_t)(*p++ - '0');
        if (x > UINT32_MAX)
            return 0;
        n++;
    }
    if (!n || is_word(*p))
        return 0;
    *v = (uint32_t)x;
    *pp = p;
    return 1;
}

/* "KEY = N" */
static int field(const char **pp, const char *k, uint32_t *v)
{
    const char *p = *pp;

    if (!key(&p, k) || !ch(&p, '=') || !num(&p, v))
        return 0;
    *pp = p;
    return 1;
}

static int at_end(const char *p)
{
    ws(&p);
    return !*p;
}

/* optional ':' then the end */
static int colon_end(const char *p)
{
    ch(&p, ':');
    return at_end(p);
}

/* the words of @p p equal those of @p words, spacing aside */
static int words(const char *p, const char *w)
{
    for (;;) {
        ws(&p);
        while (*w == ' ')
            w++;
        if (!*w)
            return at_end(p);
        while (*w && *w != ' ') {
            if (lower((unsigned char)*p) != lower((unsigned char)*w))
                return 0;
            p++, w++;
        }
        if (*p && !is_sp(*p))
            return 0;
    }
}

/* a copy of [s, e) with surrounding blanks trimmed; "" is refused */
static char *dup_trim(const char *s, const char *e)
{
    char *r;

    while (s < e && is_sp(*s))
        s++;
    while (e > s && is_sp(e[-1]))
        e--;
    if (e == s)
        return NULL;
    r = malloc((size_t)(e - s) + 1);
    if (r) {
        memcpy(r, s, (size_t)(e - s));
        r[e - s] = '\0';
    }
    return r;
}

/* ---- commands ---- */

enum cmd {
    C_NONE,     /* before the first prompt, or an empty command line */
    C_OTHER,    /* any other command: its output is not read */
    C_VERSION,  /* show version */
    C_CLIENTS,
    C_SESSIONS,
    C_NEGVER,
    C_NEGCAP,
    C_MSGTYPES,
    C_MSGGROUPS,
    C_ENTITIES,
};

/* @p w abbreviates @p kw (at least @p min characters, as IOS accepts) */
static int abbrev(const char *w, size_t wl, const char *kw, size_t min)
{
    size_t i;

    if (wl < min || wl > strlen(kw))
        return 0;
    for (i = 0; i < wl; i++)
        if (lower((unsigned char)w[i]) != kw[i])
            return 0;
    return 1;
}

#define MAX_WORDS 8

/* the view a typed command shows, its id argument, whether it is filtered */
static enum cmd parse_command(const char *cmd, uint32_t *arg, int *has_arg, int *filtered)
{
    const char *w[MAX_WORDS], *p = cmd;
    size_t wl[MAX_WORDS], n = 0;
    const char *bar = strchr(cmd, '|');
    const char *end = bar ? bar : cmd + strlen(cmd);
    uint32_t v;

    *has_arg = 0;
    *filtered = bar != NULL;
    while (p < end) {
        while (p < end && is_sp(*p))
            p++;
        if (p == end)
            break;
        if (n == MAX_WORDS)
            return C_OTHER;
        w[n] = p;
        while (p < end && !is_sp(*p))
            p++;
        wl[n] = (size_t)(p - w[n]);
        n++;
    }
    if (n < 2 || !abbrev(w[0], wl[0], "show", 2))
        return n ? C_OTHER : C_NONE;
    if (n == 2 && abbrev(w[1], wl[1], "version", 3))
        return C_VERSION;
    if (!abbrev(w[1], wl[1], "issu", 2) || n < 3)
        return C_OTHER;
    /* the last word may be the id */
    if (w[n - 1][0] >= '0' && w[n - 1][0] <= '9') {
        char tmp[16];
        const char *t = tmp;
        if (wl[n - 1] >= sizeof(tmp))
            return C_OTHER;
        memcpy(tmp, w[n - 1], wl[n - 1]);
        tmp[wl[n - 1]] = '\0';
        if (!num(&t, &v) || *t)
            return C_OTHER;
        *arg = v;
        *has_arg = 1;
        n--;
    }
    if (n == 3 && abbrev(w[2], wl[2], "clients", 2) && !*has_arg)
        return C_CLIENTS;
    if (n == 3 && abbrev(w[2], wl[2], "sessions", 2))
        return C_SESSIONS;
    if (n == 3 && abbrev(w[2], wl[2], "entities", 2) && *has_arg)
        return C_ENTITIES;
    if (n == 4 && abbrev(w[2], wl[2], "negotiated", 3) && *has_arg) {
        if (abbrev(w[3], wl[3], "version", 1))
            return C_NEGVER;
        if (abbrev(w[3], wl[3], "capability", 1))
            return C_NEGCAP;
    }
    if (n == 4 && abbrev(w[2], wl[2], "message", 3)) {
        if (abbrev(w[3], wl[3], "types", 1) && *has_arg)
            return C_MSGTYPES;
        if (abbrev(w[3], wl[3], "groups", 1))
            return C_MSGGROUPS;
    }
    return C_OTHER; /* comp-matrix, state, ...: not read */
}

/* ---- the reader's state ---- */

struct reader {
    struct issu_capture *cap;
    const char *file;
    size_t line;
    char cmdtext[128]; /* the command as typed, for warnings */
    enum cmd cmd;
    uint32_t arg;
    int has_arg;
    /* the current header: client/entity positions, session, negotiated views */
    int have_ent;
    size_t cpos, epos;
    int have_sess;
    size_t spos;
    int have_neg;
    size_t npos;
    int have_type; /* last Message_Type of message types */
    size_t tpos;
    int have_group;
    uint32_t group;
    int sess_unavailable; /* a one-image client's UNAVAILABLE block */
};

static struct issu_imp_entity *cur_ent(struct reader *r)
{
    return &r->cap->clients[r->cpos].ents[r->epos];
}

/* a printable excerpt of a line */
static void excerpt(const char *s, char *out, size_t len)
{
    size_t i = 0;

    for (; *s && i + 4 < len; s++)
        out[i++] = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? '?' : *s;
    if (*s && len > 4)
        memcpy(out + i, "...", 3), i += 3;
    out[i] = '\0';
}

static int warn_line(struct reader *r, const char *what, const char *text)
{
    char ex[72];

    excerpt(text ? text : "", ex, sizeof(ex));
    if (text)
        return issu_capture_warn(r->cap, "%s:%zu: in '%s': %s \"%s\": skipped", r->file, r->line, r->cmdtext,
                                 what, ex);
    return issu_capture_warn(r->cap, "%s:%zu: in '%s': %s", r->file, r->line, r->cmdtext, what);
}

static int set_entity(struct reader *r, uint32_t client, uint32_t entity)
{
    ISSU_CHECK(get_entity(r->cap, client, entity, &r->cpos, &r->epos));
    r->have_ent = 1;
    r->have_sess = r->have_type = r->have_group = 0;
    r->sess_unavailable = 0;
    return ISSU_OK;
}

/* a data line without its header: the command's id stands for it (entity 1) */
static int implicit_entity(struct reader *r)
{
    if (r->have_ent)
        return ISSU_OK;
    if (!r->has_arg)
        return ISSU_ERR_NOTFOUND;
    ISSU_CHECK(set_entity(r, r->arg, 1));
    return ISSU_OK;
}

/* "Client_ID = C, Entity_ID = E [, Session_ID = S] :" -> 1 read (E may be
 * '-': @p dash), 0 not this layout */
static int entity_header(const char *p, uint32_t *c, uint32_t *e, int *dash, uint32_t *sid, int *has_sid)
{
    *dash = *has_sid = 0;
    if (!field(&p, "Client_ID", c) || !ch(&p, ',') || !key(&p, "Entity_ID") || !ch(&p, '='))
        return 0;
    if (ch(&p, '-'))
        *dash = 1;
    else if (!num(&p, e))
        return 0;
    if (ch(&p, ',')) {
        if (!field(&p, "Session_ID", sid))
            return 0;
        *has_sid = 1;
    }
    return colon_end(p);
}

/* ---- per view ---- */

static int read_clients(struct reader *r, const char *line)
{
    const char *p = line, *name, *q, *last = NULL;
    uint32_t id, count = 0;
    struct issu_imp_client *c;
    size_t pos;
    char *nm;

    if (!field(&p, "Client_ID", &id) || !ch(&p, ',') || !key(&p, "Client_Name") || !ch(&p, '='))
        return warn_line(r, "cannot read", line);
    ws(&p);
    name = p;
    /* the name may hold commas: the last ", Entity_Count = N" ends it */
    for (q = strchr(name, ','); q; q = strchr(q + 1, ',')) {
        const char *t = q + 1;
        uint32_t v;
        if (field(&t, "Entity_Count", &v) && at_end(t))
            last = q, count = v;
    }
    if (!last || !(nm = dup_trim(name, last)))
        return warn_line(r, "cannot read", line);
    ISSU_CHECK(get_client(r->cap, id, &pos));
    c = &r->cap->clients[pos];
    free(c->name);
    c->name = nm;
    c->entity_count = count;
    c->listed = 1;
    return ISSU_OK;
}

static int result_word(const char *w, size_t n, int *res)
{
    if (n == 10 && !strncmp(w, "COMPATIBLE", n))
        *res = ISSU_IMP_COMPATIBLE;
    else if (n == 12 && !strncmp(w, "INCOMPATIBLE", n))
        *res = ISSU_IMP_INCOMPATIBLE;
    else if (n == 7 && !strncmp(w, "UNKNOWN", n))
        *res = ISSU_IMP_UNKNOWN;
    else
        return 0;
    return 1;
}

/* the value row: "UID SID ROLE RESULT CAPG MSGG SIG" (or the UNAVAILABLE row) */
static int session_row(struct reader *r, const char *line)
{
    const char *t[8], *p = line;
    size_t tl[8], n = 0;
    struct issu_imp_session *s;
    const char *q;
    uint32_t v[7];
    int res;
    size_t k;

    for (;;) {
        ws(&p);
        if (!*p)
            break;
        if (n == 8)
            return 0;
        t[n] = p;
        while (*p && !is_sp(*p))
            p++;
        tl[n] = (size_t)(p - t[n]);
        n++;
    }
    if (n != 7)
        return 0;
    if (tl[3] == 11 && !strncmp(t[3], "UNAVAILABLE", 11)) {
        for (k = 0; k < 7; k++)
            if (k != 3 && !(tl[k] == 1 && t[k][0] == '-'))
                return 0;
        return 1;
    }
    for (k = 0; k < 7; k++) {
        if (k == 2 || k == 3)
            continue;
        q = t[k];
        if (!num(&q, &v[k]) || q != t[k] + tl[k])
            return 0;
    }
    if (!((tl[2] == 7 && (!strncmp(t[2], "PRIMARY", 7) || !strncmp(t[2], "PASSIVE", 7))) ||
          (tl[2] == 4 && !strncmp(t[2], "NONE", 4))) ||
        !result_word(t[3], tl[3], &res))
        return 0;
    if (!r->have_sess)
        return -1;
    s = &cur_ent(r)->sess[r->spos];
    s->peer_uid = v[0];
    s->peer_sid = v[1];
    s->result = res;
    s->cap_group = v[4];
    s->msg_group = v[5];
    s->signature = v[6];
    s->have |= ISSU_IMP_S_TABLE;
    return 1;
}

static int read_sessions(struct reader *r, const char *line)
{
    const char *p = line, *q;
    uint32_t c, e, sid, v;
    int dash, has_sid, rc;
    struct issu_imp_entity *ent;
    struct issu_imp_session *s;
    size_t k, n;
    char *name;

    if (entity_header(line, &c, &e, &dash, &sid, &has_sid) && !has_sid) {
        if (dash) { /* a client in one image only: nothing to import */
            r->have_ent = r->have_sess = 0;
            r->sess_unavailable = 1;
            return ISSU_OK;
        }
        return set_entity(r, c, e);
    }
    if (ch(&p, '*') && ch(&p, '*') && ch(&p, '*')) {
        if (!key(&p, "Session_ID") || !ch(&p, '='))
            return warn_line(r, "cannot read", line);
        if (ch(&p, '-')) { /* UNAVAILABLE block */
            if (!r->sess_unavailable)
                return warn_line(r, "session without a client header", line);
            return ISSU_OK;
        }
        if (!num(&p, &sid) || !ch(&p, ',') || !key(&p, "Session_Name") || !ch(&p, '='))
            return warn_line(r, "cannot read", line);
        ws(&p);
        n = strlen(p);
        q = p + n;
        if (n && q[-1] == ':')
            q--;
        if (!(name = dup_trim(p, q)))
            return warn_line(r, "session without a name", line);
        if (!r->have_ent && implicit_entity(r) != ISSU_OK) {
            free(name);
            return warn_line(r, "session without a Client_ID/Entity_ID header", line);
        }
        ent = cur_ent(r);
        for (k = 0; k < ent->nsess && ent->sess[k].sid != sid; k++)
            ;
        if (k == ent->nsess) {
            s = push((void **)&ent->sess, &ent->nsess, sizeof(*s));
            if (!s) {
                free(name);
                return ISSU_ERR_NOMEM;
            }
        } else { /* repeated: the later view replaces it */
            s = &ent->sess[k];
            free(s->name);
            memset(s, 0, sizeof(*s));
        }
        s->sid = sid;
        s->name = name;
        r->have_sess = 1;
        r->spos = k;
        return ISSU_OK;
    }
    if (words(line, "Peer Peer Negotiate Negotiated Cap Msg Session") ||
        words(line, "UniqueID Sid Role Result GroupID GroupID Signature") ||
        words(line, "Negotiation Session Info for This Message Session:") ||
        words(line, "Negotiation Session Info for This Message Session"))
        return ISSU_OK;
    rc = session_row(r, line);
    if (rc == 1)
        return ISSU_OK;
    if (rc == -1)
        return warn_line(r, "session values without a '*** Session_ID' line", line);
    if (r->sess_unavailable) {
        p = line;
        if (key(&p, "Reason") && ch(&p, ':'))
            return ISSU_OK;
    }
    p = line;
    if (words(line, "(policy)") || words(line, "(no policy)")) {
        if (!r->have_sess)
            return warn_line(r, "policy without a session", line);
        s = &cur_ent(r)->sess[r->spos];
        s->policy = words(line, "(policy)");
        s->have |= ISSU_IMP_S_POLICY;
        return ISSU_OK;
    }
    if (field(&p, "Nego_Session_ID", &v) && at_end(p))
        return r->have_sess ? ISSU_OK : warn_line(r, "negotiation info without a session", line);
    p = line;
    if (key(&p, "Nego_Session_Name") && ch(&p, '='))
        return r->have_sess ? ISSU_OK : warn_line(r, "negotiation info without a session", line);
    p = line;
    if (field(&p, "Transport_Mtu", &v) && at_end(p)) {
        if (!r->have_sess)
            return warn_line(r, "Transport_Mtu without a session", line);
        s = &cur_ent(r)->sess[r->spos];
        s->tmtu = v;
        s->have |= ISSU_IMP_S_TMTU;
        return ISSU_OK;
    }
    p = line;
    if (key(&p, "Compat_Result") && ch(&p, ':') && key(&p, "raw_result") && ch(&p, '=')) {
        int raw, pol;
        ws(&p);
        q = p;
        while (*p && *p != ',' && !is_sp(*p))
            p++;
        if (!result_word(q, (size_t)(p - q), &raw) || !ch(&p, ',') || !key(&p, "policy_result") || !ch(&p, '='))
            return warn_line(r, "cannot read", line);
        ws(&p);
        q = p;
        while (*p && !is_sp(*p))
            p++;
        if (!result_word(q, (size_t)(p - q), &pol) || !at_end(p))
            return warn_line(r, "cannot read", line);
        if (!r->have_sess)
            return warn_line(r, "Compat_Result without a session", line);
        s = &cur_ent(r)->sess[r->spos];
        s->raw_result = raw;
        s->policy_result = pol;
        s->have |= ISSU_IMP_S_COMPAT;
        return ISSU_OK;
    }
    return warn_line(r, "cannot read", line);
}

/* "Session_ID = S :" or the 3-field header of the negotiated views */
static int neg_header(struct reader *r, const char *line, int *done)
{
    const char *p = line;
    uint32_t c, e, sid;
    int dash, has_sid;

    *done = 0;
    if ((field(&p, "Session_ID", &sid) && colon_end(p)) ||
        (entity_header(line, &c, &e, &dash, &sid, &has_sid) && has_sid && !dash)) {
        *done = 1;
        ISSU_CHECK(get_neg(r->cap, sid, &r->npos));
        r->have_neg = 1;
        if (r->cmd == C_NEGVER) {
            r->cap->negs[r->npos].nvers = 0; /* a later view replaces it */
            r->cap->negs[r->npos].has_vers = 1;
        } else {
            r->cap->negs[r->npos].ncaps = 0;
            r->cap->negs[r->npos].has_caps = 1;
        }
    }
    return ISSU_OK;
}

static int implicit_neg(struct reader *r)
{
    int done;
    char hdr[32];

    if (r->have_neg)
        return ISSU_OK;
    if (!r->has_arg)
        return ISSU_ERR_NOTFOUND;
    snprintf(hdr, sizeof(hdr), "Session_ID = %u :", r->arg);
    return neg_header(r, hdr, &done);
}

static int read_negver(struct reader *r, const char *line)
{
    const char *p = line;
    uint32_t t, ver = 0, mtu = 0;
    int done, failed = 0;
    struct issu_imp_neg *n;
    struct issu_imp_negver *x;

    ISSU_CHECK(neg_header(r, line, &done));
    if (done)
        return ISSU_OK;
    if (!field(&p, "Message_Type", &t) || !ch(&p, ',') || !key(&p, "Negotiated_Version") || !ch(&p, '='))
        return warn_line(r, "cannot read", line);
    if (key(&p, "FAILED")) {
        failed = 1; /* "(reason)" follows */
    } else {
        if (!num(&p, &ver) || !ch(&p, ',') || !field(&p, "Message_MTU", &mtu))
            return warn_line(r, "cannot read", line);
        ws(&p);
        if (*p && *p != '(')
            return warn_line(r, "cannot read", line);
    }
    if (!r->have_neg && implicit_neg(r) != ISSU_OK)
        return warn_line(r, "message type without a 'Session_ID =' line", line);
    n = &r->cap->negs[r->npos];
    x = push((void **)&n->vers, &n->nvers, sizeof(*x));
    if (!x)
        return ISSU_ERR_NOMEM;
    x->type = t;
    x->ver = ver;
    x->mtu = mtu;
    x->failed = failed;
    return ISSU_OK;
}

static int read_negcap(struct reader *r, const char *line)
{
    const char *p = line;
    uint32_t t = 0, res = 0, entry = 0;
    int done, has_type = 0, has_entry = 0, noval = 0;
    struct issu_imp_neg *n;
    struct issu_imp_cap *x;

    ISSU_CHECK(neg_header(r, line, &done));
    if (done)
        return ISSU_OK;
    if (field(&p, "Negotiated_Cap_Entry", &entry) && at_end(p)) {
        has_entry = 1;
        res = 1;
    } else {
        p = line;
        /* "Cap_Type = T, Cap_Result = R ..." (the seed's LSPV capture has no comma) */
        if (!field(&p, "Cap_Type", &t))
            return warn_line(r, "cannot read", line);
        ch(&p, ',');
        if (!field(&p, "Cap_Result", &res))
            return warn_line(r, "cannot read", line);
        has_type = 1;
        if (words(p, "No cap value assigned")) {
            noval = 1;
        } else if (ch(&p, ',') && field(&p, "Negotiated_Cap_Entry", &entry) && at_end(p)) {
            has_entry = 1;
        } else {
            const char *q = p;
            if (!(key(&q, "Not") && key(&q, "negotiated") && ch(&q, ':')))
                return warn_line(r, "cannot read", line);
        }
    }
    if (!r->have_neg && implicit_neg(r) != ISSU_OK)
        return warn_line(r, "capability without a 'Session_ID =' line", line);
    n = &r->cap->negs[r->npos];
    x = push((void **)&n->caps, &n->ncaps, sizeof(*x));
    if (!x)
        return ISSU_ERR_NOMEM;
    x->type = t;
    x->result = res;
    x->entry = entry;
    x->has_type = has_type;
    x->has_entry = has_entry;
    x->noval = noval;
    return ISSU_OK;
}

static void reset_types(struct issu_imp_entity *ent)
{
    size_t k;

    for (k = 0; k < ent->ntypes; k++)
        free(ent->types[k].v);
    ent->ntypes = 0;
    ent->has_types = 1;
}

/* "Message_Type = T, Version_Range = a ~ b" */
static int type_range(const char *p, uint32_t *t, uint32_t *lo, uint32_t *hi)
{
    return field(&p, "Message_Type", t) && ch(&p, ',') && field(&p, "Version_Range", lo) && ch(&p, '~') &&
           num(&p, hi) && at_end(p);
}

static int read_msgtypes(struct reader *r, const char *line)
{
    const char *p = line;
    uint32_t c, e, sid, t, lo, hi, ver, mtu;
    int dash, has_sid;
    struct issu_imp_entity *ent;
    struct issu_imp_mtype *mt;
    struct issu_imp_ver *v;
    size_t k;

    if (entity_header(line, &c, &e, &dash, &sid, &has_sid) && !dash && !has_sid) {
        ISSU_CHECK(set_entity(r, c, e));
        reset_types(cur_ent(r)); /* a later view replaces it */
        return ISSU_OK;
    }
    if (type_range(line, &t, &lo, &hi)) {
        if (lo > hi || lo == 0)
            return warn_line(r, "version range low above high, or version 0", line);
        if (!r->have_ent) {
            if (implicit_entity(r) != ISSU_OK)
                return warn_line(r, "message type without a Client_ID/Entity_ID header", line);
            reset_types(cur_ent(r));
        }
        ent = cur_ent(r);
        for (k = 0; k < ent->ntypes; k++)
            if (ent->types[k].id == t)
                return warn_line(r, "message type listed twice", line);
        mt = push((void **)&ent->types, &ent->ntypes, sizeof(*mt));
        if (!mt)
            return ISSU_ERR_NOMEM;
        mt->id = t;
        mt->lo = lo;
        mt->hi = hi;
        r->have_type = 1;
        r->tpos = ent->ntypes - 1;
        return ISSU_OK;
    }
    if (field(&p, "Message_Ver", &ver) && ch(&p, ',') && field(&p, "Message_Mtu", &mtu) && at_end(p)) {
        if (!r->have_type)
            return warn_line(r, "Message_Ver without a Message_Type line", line);
        mt = &cur_ent(r)->types[r->tpos];
        if (ver < mt->lo || ver > mt->hi)
            return warn_line(r, "Message_Ver outside its Version_Range", line);
        for (k = 0; k < mt->nv; k++)
            if (mt->v[k].ver == ver)
                return warn_line(r, "Message_Ver listed twice", line);
        v = push((void **)&mt->v, &mt->nv, sizeof(*v));
        if (!v)
            return ISSU_ERR_NOMEM;
        v->ver = ver;
        v->mtu = mtu;
        return ISSU_OK;
    }
    return warn_line(r, "cannot read", line);
}

static int read_msggroups(struct reader *r, const char *line)
{
    const char *p = line;
    uint32_t c, e, sid, g, t, lo, hi;
    int dash, has_sid;
    struct issu_imp_entity *ent;
    struct issu_imp_grange *x;

    if (entity_header(line, &c, &e, &dash, &sid, &has_sid) && !dash && !has_sid) {
        ISSU_CHECK(set_entity(r, c, e));
        cur_ent(r)->nranges = 0;
        cur_ent(r)->has_groups = 1;
        return ISSU_OK;
    }
    if (field(&p, "Message_Group", &g) && colon_end(p)) {
        if (!r->have_ent)
            return warn_line(r, "message group without a Client_ID/Entity_ID header", line);
        r->have_group = 1;
        r->group = g;
        return ISSU_OK;
    }
    if (type_range(line, &t, &lo, &hi)) {
        if (!r->have_group)
            return warn_line(r, "message type without a Message_Group line", line);
        if (lo > hi || lo == 0)
            return warn_line(r, "version range low above high, or version 0", line);
        ent = cur_ent(r);
        x = push((void **)&ent->ranges, &ent->nranges, sizeof(*x));
        if (!x)
            return ISSU_ERR_NOMEM;
        x->group = r->group;
        x->type = t;
        x->lo = lo;
        x->hi = hi;
        return ISSU_OK;
    }
    return warn_line(r, "cannot read", line);
}

static int read_entities(struct reader *r, const char *line)
{
    const char *p = line, *name, *q, *last = NULL;
    uint32_t c, e, count = 0;
    struct issu_imp_entity *ent;
    char *nm;

    if (!field(&p, "Client_ID", &c) || !ch(&p, ',') || !field(&p, "Entity_ID", &e) || !ch(&p, ',') ||
        !key(&p, "Entity_Name") || !ch(&p, '='))
        return warn_line(r, "cannot read", line);
    ws(&p);
    name = p;
    for (q = strchr(name, ','); q; q = strchr(q + 1, ',')) {
        const char *t = q + 1;
        uint32_t v;
        if (field(&t, "MsgType_Count", &v) && at_end(t))
            last = q, count = v;
    }
    if (!last || !(nm = dup_trim(name, last)))
        return warn_line(r, "cannot read", line);
    if (set_entity(r, c, e) != ISSU_OK) {
        free(nm);
        return ISSU_ERR_NOMEM;
    }
    ent = cur_ent(r);
    free(ent->name);
    ent->name = nm;
    ent->msgtype_count = count;
    ent->has_entity_line = 1;
    return ISSU_OK;
}

/* IOS: "Cisco IOS Software, ... Version 15.5(3)S5, RELEASE SOFTWARE" and
 * 'System image file is "bootflash:NAME"'; the rest is not read */
static int read_version(struct reader *r, const char *line)
{
    const char *p = line, *v, *q;
    char **dst;
    char *val;

    ws(&p);
    if (!strncmp(p, "System image file is \"", 22)) {
        p += 22;
        q = strchr(p, '"');
        if (!q)
            return ISSU_OK;
        for (v = q; v > p && v[-1] != ':' && v[-1] != '/'; v--)
            ;
        dst = &r->cap->image_name;
    } else if (!strncmp(p, "Cisco IOS", 9) && (v = strstr(p, ", Version ")) != NULL) {
        /* the IOS line wins over the IOS XE one */
        if (r->cap->image_version && strncmp(p, "Cisco IOS Software", 18))
            return ISSU_OK;
        v += 10;
        for (q = v; *q && *q != ',' && !is_sp(*q) && *q != '['; q++)
            ;
        dst = &r->cap->image_version;
    } else {
        return ISSU_OK;
    }
    if (!(val = dup_trim(v, q)))
        return ISSU_OK;
    free(*dst);
    *dst = val;
    return ISSU_OK;
}

/* ---- lines ---- */

/* Apply terminal controls to @p raw: backspace steps back, CR returns to
 * column 0, later characters overwrite, CSI sequences are dropped (ESC[K
 * erases to the end). 0 when the line holds other control bytes. */
static int clean(const char *raw, size_t n, char *out)
{
    size_t i, col = 0, len = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)raw[i];
        if (c == '\r') {
            col = 0;
        } else if (c == '\b') {
            if (col)
                col--;
        } else if (c == 0x1b) {
            if (i + 1 < n && raw[i + 1] == '[') {
                size_t j = i + 2;
                while (j < n && (unsigned char)raw[j] >= 0x20 && (unsigned char)raw[j] <= 0x3f)
                    j++;
                if (j < n && raw[j] == 'K')
                    len = col;
                i = j < n ? j : n;
            } else {
                i++;
            }
        } else if (c < 0x20 && c != '\t') {
            return 0;
        } else if (c == 0x7f) {
            return 0;
        } else {
            out[col++] = c == '\t' ? ' ' : (char)c;
            if (col > len)
                len = col;
        }
    }
    while (len && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
    return 1;
}

/* Strict UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF, no U+FFFE/U+FFFF): the manifest's strings must be valid JSON
 * and XML text, and libyang's parsers refuse anything else. */
static int utf8_ok(const unsigned char *p)
{
    while (*p) {
        uint32_t cp;
        int n, i;
        if (*p < 0x80) {
            p++;
            continue;
        }
        if (*p >= 0xc2 && *p <= 0xdf)
            n = 1, cp = *p & 0x1fu;
        else if (*p >= 0xe0 && *p <= 0xef)
            n = 2, cp = *p & 0x0fu;
        else if (*p >= 0xf0 && *p <= 0xf4)
            n = 3, cp = *p & 0x07u;
        else
            return 0;
        for (i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (p[i] & 0x3fu);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
            return 0;
        p += n + 1;
    }
    return 1;
}

/* "Router#", "RP/0/RSP0/CPU0:router#", "Router(config)#", "Router>": the
 * command typed after it, or NULL */
static const char *prompt(const char *p)
{
    const char *s;

    ws(&p);
    s = p;
    while (is_word(*p) || *p == '.' || *p == '-' || *p == '/' || *p == ':' || *p == '@')
        p++;
    if (p == s || !is_word(*s))
        return NULL;
    if (*p == '(') {
        while (*++p && (is_word(*p) || *p == '-'))
            ;
        if (*p++ != ')')
            return NULL;
    }
    if (*p != '#' && *p != '>')
        return NULL;
    p++;
    ws(&p);
    return p;
}

static int on_line(struct reader *r, char *line)
{
    const char *cmd, *p = line;
    int filtered;

    ws(&p);
    if (!strncmp(p, "--More--", 8)) { /* logged without the erase */
        p += 8;
        ws(&p);
    }
    if (!*p)
        return ISSU_OK;
    if ((cmd = prompt(p)) != NULL) {
        r->cmd = parse_command(cmd, &r->arg, &r->has_arg, &filtered);
        excerpt(cmd, r->cmdtext, sizeof(r->cmdtext));
        r->have_ent = r->have_sess = r->have_neg = r->have_type = r->have_group = 0;
        r->sess_unavailable = 0;
        if (r->cmd != C_NONE && r->cmd != C_OTHER)
            r->cap->commands++;
        if (filtered && r->cmd != C_NONE && r->cmd != C_OTHER)
            return warn_line(r, "output filtered by '|': lines it hid are missing", NULL);
        return ISSU_OK;
    }
    /* "-----" separates blocks; a router's own error in a view we read */
    if (r->cmd >= C_CLIENTS && strspn(p, "-") >= 3 && at_end(p + strspn(p, "-")))
        return ISSU_OK;
    switch (r->cmd) {
    case C_NONE:
    case C_OTHER: return ISSU_OK;
    case C_VERSION: return read_version(r, p);
    case C_CLIENTS: return read_clients(r, p);
    case C_SESSIONS: return read_sessions(r, p);
    case C_NEGVER: return read_negver(r, p);
    case C_NEGCAP: return read_negcap(r, p);
    case C_MSGTYPES: return read_msgtypes(r, p);
    case C_MSGGROUPS: return read_msggroups(r, p);
    case C_ENTITIES: return read_entities(r, p);
    }
    return ISSU_OK;
}

int issu_capture_feed(struct issu_capture *cap, const char *name, const char *data, size_t len)
{
    struct reader r = {.cap = cap, .file = name ? name : "<capture>", .cmd = C_NONE};
    char *buf = NULL;
    size_t i = 0;
    int rc = ISSU_OK;

    if (len > ISSU_IMPORT_MAX_BYTES || cap->bytes > ISSU_IMPORT_MAX_BYTES - len)
        return ISSU_ERR_INVAL;
    cap->bytes += len;
    snprintf(r.cmdtext, sizeof(r.cmdtext), "(before the first prompt)");
    buf = malloc(ISSU_IMPORT_MAX_LINE + 1);
    ISSU_CHECK_MEM(buf, rc);
    while (i < len) {
        const char *nl = memchr(data + i, '\n', len - i);
        size_t n = nl ? (size_t)(nl - (data + i)) : len - i;
        r.line++;
        cap->lines++;
        if (n > ISSU_IMPORT_MAX_LINE) {
            char what[96];
            snprintf(what, sizeof(what), "line of %zu bytes (more than %u): skipped", n, ISSU_IMPORT_MAX_LINE);
            if (r.cmd != C_NONE && r.cmd != C_OTHER)
                ISSU_CHECK_GOTO(warn_line(&r, what, NULL), rc);
        } else if (!clean(data + i, n, buf)) {
            if (r.cmd != C_NONE && r.cmd != C_OTHER)
                ISSU_CHECK_GOTO(warn_line(&r, "control characters in", "(binary)"), rc);
        } else if (!utf8_ok((const unsigned char *)buf)) {
            if (r.cmd != C_NONE && r.cmd != C_OTHER)
                ISSU_CHECK_GOTO(warn_line(&r, "not UTF-8 text", NULL), rc);
        } else {
            ISSU_CHECK_GOTO(on_line(&r, buf), rc);
        }
        i += n + (nl ? 1 : 0);
    }
cleanup:
    free(buf);
    return rc;
}
