/*
 * manifest.c - image manifests through libyang: file -> YANG data tree ->
 * struct issu_image -> issu_image_validate().
 *
 * The file is opened without blocking and must be a regular file (a FIFO,
 * socket, device or directory is refused at once, file.h), then
 * size-checked with fstat() before anything is read, so a huge or endless
 * input costs nothing. libyang does the syntax and schema work
 * (strict: unknown nodes are errors); only its FIRST error is reported, as
 * "<source>: line N: <data path>: <message>", since later ones are echoes.
 * Errors are collected with thread-local log options, so nothing is printed
 * and other threads' logging is untouched.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "datadir.h"
#include "file.h"
#include "issu_err.h"
#include "manifest.h"

static int
set_err(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int
issu_ly_ctx_new(struct ly_ctx **ctx)
{
    char dir[ISSU_DATA_PATH_MAX];
    struct ly_ctx *c = NULL;
    int rc = ISSU_OK;

    *ctx = NULL;
    if (ly_ctx_new(NULL, LY_CTX_DISABLE_SEARCHDIR_CWD | LY_CTX_NO_YANGLIBRARY, &c) != LY_SUCCESS) {
        rc = ISSU_ERR_NOMEM;
        goto cleanup;
    }
    /* one directory: libyang would prefer another tree's copy of a module */
    if (ly_ctx_set_searchdir(c, issu_data_dir(ISSU_DATA_YANG, dir, sizeof(dir))) != LY_SUCCESS)
        ly_err_clean(c, NULL); /* reported when the module does not load */
    if (!ly_ctx_load_module(c, ISSU_MANIFEST_MODULE, NULL, NULL)) {
        rc = ISSU_ERR_NOTFOUND;
        goto cleanup;
    }
    *ctx = c;
    c = NULL;

cleanup:
    ly_ctx_destroy(c);
    return rc;
}

/* ---- libyang errors ---- */

/*
 * Copy a libyang message on one line: white space runs become one space and
 * a quoted fragment of the input is cut after 40 characters (libyang quotes
 * the rest of the input after a syntax error, newlines included).
 */
static void
clean_msg(const char *msg, char *out, size_t outlen)
{
    size_t o = 0, quoted = 0;
    int inq = 0, cut = 0;
    const char *m;

    for (m = msg; *m && o + 4 < outlen; m++) {
        if (*m == '"') {
            if (inq && cut)
                out[o++] = '.', out[o++] = '.', out[o++] = '.';
            inq = !inq;
            quoted = 0;
            cut = 0;
        } else if (inq && ++quoted > 40) {
            cut = 1;
            continue;
        } else if (strchr(" \t\r\n", *m)) {
            if (o && out[o - 1] == ' ')
                continue;
            out[o++] = ' ';
            continue;
        }
        out[o++] = *m;
    }
    while (o && (out[o - 1] == '.' || out[o - 1] == ' ') && !(o >= 3 && !strncmp(out + o - 3, "...", 3)))
        o--;
    out[o] = '\0';
}

/*
 * A validation error on a missing mandatory node names only the schema path
 * ("/issu-manifest:image/client/name"); find the data instance lacking it in
 * the parse-only @p tree and return its data path (malloc'd) or NULL.
 */
static char *
locate_missing(const struct lyd_node *tree, const char *schema_path)
{
    const char *slash = strrchr(schema_path, '/');
    struct ly_set *set = NULL;
    char *xpath = NULL, *dpath = NULL, *res = NULL;

    if (!tree || !slash || slash == schema_path)
        return NULL;
    if (asprintf(&xpath, "%.*s[not(%s)]", (int)(slash - schema_path), schema_path, slash + 1) < 0) {
        xpath = NULL;
        goto cleanup;
    }
    if (lyd_find_xpath(tree, xpath, &set) || !set->count)
        goto cleanup;
    if (!(dpath = lyd_path(set->dnodes[0], LYD_PATH_STD, NULL, 0)))
        goto cleanup;
    if (asprintf(&res, "%s%s", dpath, slash) < 0)
        res = NULL;

cleanup:
    ly_set_free(set, NULL);
    free(xpath);
    free(dpath);
    return res;
}

/*
 * libyang 2.1 stores the location as 'Data location "/path", line number N.'
 * or 'Schema location "/path".'; report the first error with its line and
 * data path (@p line_base lines were skipped before the input libyang saw).
 * @p tree is a parse-only tree of the same input (or NULL) used to
 * turn a schema path into a data path.
 */
static const struct ly_err_item *
first_error(const struct ly_ctx *ctx)
{
    const struct ly_err_item *e;

    for (e = ly_err_first(ctx); e; e = e->next) {
        if (e->level == LY_LLERR)
            return e;
    }
    return NULL;
}

/* The error names a schema node only (no data location). */
static int
schema_located(const struct ly_err_item *e)
{
    return e && e->path && strstr(e->path, "chema location \"") && !strstr(e->path, "ata location \"");
}

static void
ly_first_error(const struct ly_ctx *ctx, const struct lyd_node *tree, unsigned long line_base, const char *src,
        char *err, size_t errlen)
{
    const struct ly_err_item *first = first_error(ctx);
    const char *loc, *q, *ln;
    char path[512] = "", msg[512], *dpath = NULL;
    unsigned long line = 0;
    size_t plen;

    if (!first || !first->msg) {
        set_err(err, errlen, 0, "%s: invalid manifest (no detail from libyang)", src);
        return;
    }
    loc = first->path;
    if (loc) {
        if ((q = strstr(loc, "ata location \"")) || (q = strstr(loc, "chema location \""))) {
            q = strchr(q, '"') + 1;
            plen = strcspn(q, "\"");
            if (plen >= sizeof path)
                plen = sizeof path - 1;
            memcpy(path, q, plen);
            path[plen] = '\0';
            if (schema_located(first) && (dpath = locate_missing(tree, path)))
                snprintf(path, sizeof path, "%s", dpath);
        } else if (loc[0] == '/') {
            snprintf(path, sizeof path, "%s", loc);
        }
        if ((ln = strstr(loc, "line number ")))
            line = strtoul(ln + strlen("line number "), NULL, 10) + line_base;
    }
    free(dpath);
    clean_msg(first->msg, msg, sizeof msg);
    if (line && path[0])
        set_err(err, errlen, 0, "%s: line %lu: %s: %s", src, line, path, msg);
    else if (line)
        set_err(err, errlen, 0, "%s: line %lu: %s", src, line, msg);
    else if (path[0])
        set_err(err, errlen, 0, "%s: %s: %s", src, path, msg);
    else
        set_err(err, errlen, 0, "%s: %s", src, msg);
}

/* ---- tree -> image ---- */

static uint32_t
u32(const struct lyd_node *n)
{
    return ((const struct lyd_node_term *)n)->value.uint32;
}

static int
is(const struct lyd_node *n, const char *name)
{
    return n->schema && !strcmp(n->schema->name, name);
}

/* A node the converter does not know: the schema and this file disagree. */
static int
unexpected(const struct lyd_node *n, const char *src, char *err, size_t errlen)
{
    char *p = lyd_path(n, LYD_PATH_STD, NULL, 0);

    set_err(err, errlen, 0, "%s: %s: unexpected node", src, p ? p : LYD_NAME(n));
    free(p);
    return ISSU_ERR_INVAL;
}

#define NOMEM(src) set_err(err, errlen, ISSU_ERR_NOMEM, "%s: out of memory", (src))

static int
conv_msg_group(const struct lyd_node *gn, struct issu_client *c, const char *src, char *err, size_t errlen)
{
    const struct lyd_node *n, *tn, *vn;
    struct issu_msg_group *g;
    struct issu_msg_type *t;
    uint32_t ver, mtu;

    if (!(g = issu_client_add_msg_group(c, 0)))
        return NOMEM(src);
    for (n = lyd_child(gn); n; n = n->next) {
        if (is(n, "id")) {
            g->id = u32(n);
        } else if (is(n, "message-type")) {
            if (!(t = issu_msg_group_add_type(g, 0)))
                return NOMEM(src);
            for (tn = lyd_child(n); tn; tn = tn->next) {
                if (is(tn, "id")) {
                    t->id = u32(tn);
                } else if (is(tn, "version")) {
                    ver = mtu = 0;
                    for (vn = lyd_child(tn); vn; vn = vn->next) {
                        if (is(vn, "number"))
                            ver = u32(vn);
                        else if (is(vn, "mtu"))
                            mtu = u32(vn);
                        else
                            return unexpected(vn, src, err, errlen);
                    }
                    if (issu_msg_type_add_version(t, ver, mtu))
                        return NOMEM(src);
                } else {
                    return unexpected(tn, src, err, errlen);
                }
            }
        } else {
            return unexpected(n, src, err, errlen);
        }
    }
    return ISSU_OK;
}

static int
conv_cap_group(const struct lyd_node *gn, struct issu_client *c, const char *src, char *err, size_t errlen)
{
    const struct lyd_node *n, *tn;
    struct issu_cap_group *g;
    struct issu_cap_type *t;

    if (!(g = issu_client_add_cap_group(c, 0)))
        return NOMEM(src);
    for (n = lyd_child(gn); n; n = n->next) {
        if (is(n, "id")) {
            g->id = u32(n);
        } else if (is(n, "capability-type")) {
            if (!(t = issu_cap_group_add_type(g, 0, 0)))
                return NOMEM(src);
            for (tn = lyd_child(n); tn; tn = tn->next) {
                if (is(tn, "id"))
                    t->id = u32(tn);
                else if (is(tn, "required"))
                    t->required = ((const struct lyd_node_term *)tn)->value.boolean ? 1 : 0;
                else if (is(tn, "entry")) {
                    if (issu_cap_type_add_entry(t, u32(tn)))
                        return NOMEM(src);
                } else
                    return unexpected(tn, src, err, errlen);
            }
        } else {
            return unexpected(n, src, err, errlen);
        }
    }
    return ISSU_OK;
}

static int
conv_entity(const struct lyd_node *en, struct issu_client *c, const char *src, char *err, size_t errlen)
{
    const struct lyd_node *n;
    struct issu_entity *e;

    if (!(e = issu_client_add_entity(c, 0, NULL)))
        return NOMEM(src);
    for (n = lyd_child(en); n; n = n->next) {
        if (is(n, "id"))
            e->id = u32(n);
        else if (is(n, "session-name")) {
            if (issu_strset(&e->session_name, lyd_get_value(n)))
                return NOMEM(src);
        } else if (is(n, "message-group"))
            e->msg_group = u32(n);
        else if (is(n, "capability-group"))
            e->cap_group = u32(n);
        else if (is(n, "session-id"))
            e->session_id = u32(n);
        else if (is(n, "transport-mtu"))
            e->transport_mtu = u32(n);
        else
            return unexpected(n, src, err, errlen);
    }
    return ISSU_OK;
}

static int
conv_client(const struct lyd_node *cn, struct issu_image *img, const char *src, char *err, size_t errlen)
{
    const struct lyd_node *n;
    struct issu_client *c;
    int rc;

    if (!(c = issu_image_add_client(img, 0, NULL)))
        return NOMEM(src);
    for (n = lyd_child(cn); n; n = n->next) {
        if (is(n, "id")) {
            c->id = u32(n);
        } else if (is(n, "name")) {
            if (issu_strset(&c->name, lyd_get_value(n)))
                return NOMEM(src);
        } else if (is(n, "base")) {
            c->base = ((const struct lyd_node_term *)n)->value.boolean ? 1 : 0;
        } else if (is(n, "optional")) {
            c->optional = ((const struct lyd_node_term *)n)->value.boolean ? 1 : 0;
        } else if (is(n, "policy")) {
            if (issu_policy_parse(lyd_get_value(n), &c->policy))
                return unexpected(n, src, err, errlen);
        } else if (is(n, "prerequisite")) {
            if (issu_client_add_prereq(c, u32(n)))
                return NOMEM(src);
        } else if (is(n, "message-group")) {
            if ((rc = conv_msg_group(n, c, src, err, errlen)))
                return rc;
        } else if (is(n, "capability-group")) {
            if ((rc = conv_cap_group(n, c, src, err, errlen)))
                return rc;
        } else if (is(n, "entity")) {
            if ((rc = conv_entity(n, c, src, err, errlen)))
                return rc;
        } else {
            return unexpected(n, src, err, errlen);
        }
    }
    return ISSU_OK;
}

int
issu_manifest_from_tree(const struct lyd_node *image_node, const char *source_name, struct issu_image **out,
        char *err, size_t errlen)
{
    const char *src = source_name ? source_name : "<tree>";
    const struct lyd_node *n;
    struct issu_image *img = NULL;
    char vmsg[1024];
    int rc = ISSU_OK;

    *out = NULL;
    if (!image_node || !image_node->schema || strcmp(image_node->schema->name, "image") ||
            strcmp(image_node->schema->module->name, ISSU_MANIFEST_MODULE)) {
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: no %s:image container", src, ISSU_MANIFEST_MODULE);
        goto cleanup;
    }
    if (!(img = issu_image_new(NULL, NULL))) {
        rc = NOMEM(src);
        goto cleanup;
    }
    for (n = lyd_child(image_node); n; n = n->next) {
        if (is(n, "name") || is(n, "version") || is(n, "description")) {
            char **dst = is(n, "name") ? &img->name : is(n, "version") ? &img->version : &img->description;

            if (issu_strset(dst, lyd_get_value(n))) {
                rc = NOMEM(src);
                goto cleanup;
            }
        } else if (is(n, "transport-mtu")) {
            img->transport_mtu = u32(n);
        } else if (is(n, "client")) {
            ISSU_CHECK_GOTO(conv_client(n, img, src, err, errlen), rc);
        } else {
            rc = unexpected(n, src, err, errlen);
            goto cleanup;
        }
    }
    if ((rc = issu_image_validate(img, vmsg, sizeof vmsg))) {
        set_err(err, errlen, rc, "%s: %s", src, vmsg);
        goto cleanup;
    }
    *out = img;
    img = NULL;

cleanup:
    issu_image_free(img);
    return rc;
}

/* ---- parsing ---- */

/* lyd_parse_data() on a NUL-terminated string; *used = bytes consumed. */
static LY_ERR
parse_str(struct ly_ctx *ctx, const char *str, LYD_FORMAT fmt, uint32_t popts, uint32_t vopts,
        struct lyd_node **tree, size_t *used)
{
    struct ly_in *in = NULL;
    LY_ERR r;

    *tree = NULL;
    if ((r = ly_in_new_memory(str, &in)))
        return r;
    r = lyd_parse_data(ctx, NULL, in, fmt, popts, vopts, tree);
    if (used)
        *used = ly_in_parsed(in);
    ly_in_free(in, 0);
    return r;
}

/* @p buf is NUL-terminated at buf[len] and holds no other NUL. */
static int
load_buf(struct ly_ctx *ctx, const char *buf, size_t len, int format, const char *src, struct issu_image **out,
        char *err, size_t errlen)
{
    struct ly_ctx *own = NULL;
    struct lyd_node *tree = NULL;
    uint32_t logopts = LY_LOSTORE;
    const char *p = buf, *first;
    LYD_FORMAT lyfmt;
    size_t used = 0;
    unsigned long skipped_lines = 0;
    int rc = ISSU_OK, tmplog = 0;

    /* skip a UTF-8 byte order mark */
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
        p += 3;
    /* libyang 2.1 counts leading newlines of JSON twice: skip them, add them to its line numbers */
    first = p + strspn(p, " \t\r\n");
    for (; p < first; p++)
        skipped_lines += *p == '\n';
    if (!*first) {
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: file is empty", src);
        goto cleanup;
    }
    if (format == ISSU_MANIFEST_AUTO)
        format = *p == '{' ? ISSU_MANIFEST_JSON : *p == '<' ? ISSU_MANIFEST_XML : ISSU_MANIFEST_AUTO;
    if (format == ISSU_MANIFEST_JSON) {
        lyfmt = LYD_JSON;
    } else if (format == ISSU_MANIFEST_XML) {
        lyfmt = LYD_XML;
    } else {
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: neither JSON (starting with '{') nor XML (starting with '<')",
                src);
        goto cleanup;
    }

    if (!ctx) {
        if ((rc = issu_ly_ctx_new(&own))) {
            set_err(err, errlen, rc, "%s: cannot create a libyang context with module %s (%s)", src,
                    ISSU_MANIFEST_MODULE, issu_strerror(rc));
            goto cleanup;
        }
        ctx = own;
    }

    ly_temp_log_options(&logopts);
    tmplog = 1;
    ly_err_clean(ctx, NULL);
    if (parse_str(ctx, p, lyfmt, LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, LYD_VALIDATE_PRESENT | LYD_VALIDATE_NO_STATE,
            &tree, &used) != LY_SUCCESS) {
        /* a parse-only tree lets a schema-path error name the data instance */
        if (schema_located(first_error(ctx)) && parse_str(ctx, p, lyfmt,
                LYD_PARSE_STRICT | LYD_PARSE_NO_STATE | LYD_PARSE_ONLY, 0, &tree, NULL) != LY_SUCCESS) {
            lyd_free_all(tree);
            tree = NULL;
        }
        ly_first_error(ctx, tree, skipped_lines, src, err, errlen);
        rc = ISSU_ERR_INVAL;
        goto cleanup;
    }
    /* libyang's JSON parser stops after the first value: anything but white space may follow */
    if (p[used + strspn(p + used, " \t\r\n")]) {
        size_t i, end = used + strspn(p + used, " \t\r\n"), line = 1 + skipped_lines;

        for (i = 0; i < end; i++)
            line += p[i] == '\n';
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: line %zu: unexpected content after the end of the document",
                src, line);
        goto cleanup;
    }
    if (!tree) {
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: no %s:image container", src, ISSU_MANIFEST_MODULE);
        goto cleanup;
    }
    if (tree->next || tree->prev != tree) {
        struct lyd_node *other = !strcmp(LYD_NAME(tree), "image") ? tree->next : tree;

        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: unexpected top-level node \"%s\" (one %s:image per file)",
                src, LYD_NAME(other), ISSU_MANIFEST_MODULE);
        goto cleanup;
    }
    rc = issu_manifest_from_tree(tree, src, out, err, errlen);

cleanup:
    if (tmplog) {
        ly_err_clean(ctx, NULL);
        ly_temp_log_options(NULL);
    }
    lyd_free_all(tree);
    ly_ctx_destroy(own);
    return rc;
}

static int
check_text(const char *data, size_t len, const char *src, char *err, size_t errlen)
{
    const char *nul;

    if (len > ISSU_MANIFEST_MAX_SIZE)
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: input is %zu bytes; manifests are limited to 16 MiB",
                src, len);
    if ((nul = memchr(data, '\0', len)))
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: byte %zu is a NUL character; a manifest is text", src,
                (size_t)(nul - data));
    return ISSU_OK;
}

int
issu_manifest_load_mem(struct ly_ctx *ctx, const char *data, size_t len, int format, const char *source_name,
        struct issu_image **out, char *err, size_t errlen)
{
    const char *src = source_name ? source_name : "<memory>";
    char *buf = NULL;
    int rc;

    *out = NULL;
    if (!data && len)
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: no data", src);
    if (len == 0)
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: file is empty", src);
    ISSU_CHECK_GOTO(check_text(data, len, src, err, errlen), rc);
    buf = malloc(len + 1);
    if (!buf) {
        rc = NOMEM(src);
        goto cleanup;
    }
    memcpy(buf, data, len);
    buf[len] = '\0';
    rc = load_buf(ctx, buf, len, format, src, out, err, errlen);

cleanup:
    free(buf);
    return rc;
}

/*
 * A growable text for lyd_print_clb(): doubling, so printing is linear.
 * (lyd_print_mem() reallocs for every write, which copies the whole text
 * each time whenever realloc cannot grow in place: quadratic under ASan,
 * and under glibc once another block follows the buffer.) It stops at the
 * manifest size limit rather than print the rest.
 */
struct ptext {
    char *s;
    size_t len, cap;
    int oom, over;
};

static ssize_t
ptext_write(void *arg, const void *buf, size_t count)
{
    struct ptext *t = arg;
    size_t cap;
    char *p;

    if (t->len + count > ISSU_MANIFEST_MAX_SIZE) {
        t->over = 1;
        return -1;
    }
    if (t->len + count + 1 > t->cap) {
        for (cap = t->cap ? t->cap : 4096; cap < t->len + count + 1; cap *= 2)
            ;
        if (!(p = realloc(t->s, cap))) {
            t->oom = 1;
            return -1;
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, buf, count);
    t->len += count;
    t->s[t->len] = '\0';
    return (ssize_t)count;
}

int
issu_manifest_load_anydata(struct lyd_node *anydata, const char *source_name, struct issu_image **out,
        char *err, size_t errlen)
{
    const char *src = source_name ? source_name : "<anydata>";
    struct lyd_node_any *any = (struct lyd_node_any *)anydata;
    struct ptext t = {0};
    char *str = NULL;
    LY_ERR r;
    int rc;

    *out = NULL;
    if (!anydata || !anydata->schema || !(anydata->schema->nodetype & LYD_NODE_ANY))
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: not an anydata node", src);
    if (any->value_type == LYD_ANYDATA_DATATREE) {
        if (!any->value.tree)
            return set_err(err, errlen, ISSU_ERR_NOTFOUND, "%s: no manifest given", src);
        r = lyd_print_clb(ptext_write, &t, any->value.tree, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK);
        lyd_free_all(any->value.tree);
        any->value.tree = NULL;
        if (t.over) {
            rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: input is over 16 MiB; manifests are limited to 16 MiB",
                    src);
            goto cleanup;
        }
        if (t.oom || r == LY_EMEM) {
            rc = NOMEM(src);
            goto cleanup;
        }
        if (r != LY_SUCCESS) {
            rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: cannot print the value", src);
            goto cleanup;
        }
        if (!t.len) {
            rc = set_err(err, errlen, ISSU_ERR_NOTFOUND, "%s: no manifest given", src);
            goto cleanup;
        }
        /* printed by libyang: NUL-terminated, and a NUL inside is refused as in a file */
        ISSU_CHECK_GOTO(check_text(t.s, t.len, src, err, errlen), rc);
        rc = load_buf(NULL, t.s, t.len, ISSU_MANIFEST_XML, src, out, err, errlen);
        goto cleanup;
    }
    if (lyd_any_value_str(anydata, &str) != LY_SUCCESS) {
        rc = set_err(err, errlen, ISSU_ERR_INVAL, "%s: cannot print the value", src);
        goto cleanup;
    }
    if (!str) {
        rc = set_err(err, errlen, ISSU_ERR_NOTFOUND, "%s: no manifest given", src);
        goto cleanup;
    }
    rc = issu_manifest_load_mem(NULL, str, strlen(str), ISSU_MANIFEST_XML, src, out, err, errlen);

cleanup:
    free(t.s);
    free(str);
    return rc;
}

static int
format_of(const char *path)
{
    const char *dot = strrchr(path, '.');

    if (dot && !strchr(dot, '/')) {
        if (!strcasecmp(dot, ".json"))
            return ISSU_MANIFEST_JSON;
        if (!strcasecmp(dot, ".xml"))
            return ISSU_MANIFEST_XML;
    }
    return ISSU_MANIFEST_AUTO;
}

int
issu_manifest_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    ssize_t r;
    int fd = -1, rc = ISSU_OK;

    *data = NULL;
    *len = 0;
    if (!path || !path[0])
        return set_err(err, errlen, ISSU_ERR_INVAL, "no manifest file given");
    /* never blocks: a FIFO, socket, device or directory is refused before any read */
    ISSU_CHECK_GOTO(issu_file_open_regular(path, &fd, &st, err, errlen), rc);
    if ((unsigned long long)st.st_size > ISSU_MANIFEST_MAX_SIZE) {
        rc = set_err(err, errlen, ISSU_ERR_IO, "%s: file is %lld bytes; manifests are limited to 16 MiB", path,
                (long long)st.st_size);
        goto cleanup;
    }
    if (st.st_size == 0) {
        rc = set_err(err, errlen, ISSU_ERR_IO, "%s: file is empty", path);
        goto cleanup;
    }
    /* read at most the size fstat() saw: a file growing meanwhile cannot push us over the limit */
    buf = malloc((size_t)st.st_size + 1);
    if (!buf) {
        rc = NOMEM(path);
        goto cleanup;
    }
    while (got < (size_t)st.st_size) {
        r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = set_err(err, errlen, ISSU_ERR_IO, "%s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;

cleanup:
    if (fd >= 0)
        close(fd);
    free(buf);
    return rc;
}

int
issu_manifest_format_of(const char *path, const char *data, size_t len)
{
    int f = path ? format_of(path) : ISSU_MANIFEST_AUTO;
    size_t i = 0;

    if (f != ISSU_MANIFEST_AUTO || !data)
        return f;
    if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < len && strchr(" \t\r\n", data[i]) && data[i])
        i++;
    return i < len && data[i] == '{' ? ISSU_MANIFEST_JSON : i < len && data[i] == '<' ? ISSU_MANIFEST_XML
                                                                                     : ISSU_MANIFEST_AUTO;
}

int
issu_manifest_load_file_data(struct ly_ctx *ctx, const char *path, const char *data, size_t len,
        struct issu_image **out, char *err, size_t errlen)
{
    const char *src = path ? path : "<file>";

    *out = NULL;
    if (!data || data[len])
        return set_err(err, errlen, ISSU_ERR_INVAL, "%s: no data", src);
    ISSU_CHECK(check_text(data, len, src, err, errlen));
    return load_buf(ctx, data, len, path ? format_of(path) : ISSU_MANIFEST_AUTO, src, out, err, errlen);
}

int
issu_manifest_load_file(struct ly_ctx *ctx, const char *path, struct issu_image **out, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int rc;

    *out = NULL;
    ISSU_CHECK_GOTO(issu_manifest_read_file(path, &buf, &len, err, errlen), rc);
    rc = issu_manifest_load_file_data(ctx, path, buf, len, out, err, errlen);

cleanup:
    free(buf);
    return rc;
}
