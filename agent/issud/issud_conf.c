/*
 * issud_conf.c - the strict parser of issud's configuration file
 * (issud_conf.h has the format). It checks each key against issud's getopt
 * table and each flag's value, and nothing else: values go through the
 * same code as the command line's (agent/issud/main.c).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "issu_err.h"
#include "issud_conf.h"

static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(char *err, size_t errlen, const char *name, unsigned line, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "%s:%u: %s", name, line, msg);
    return ISSU_ERR_INVAL;
}

static int in_list(const char *const *list, const char *s)
{
    for (; list && *list; list++)
        if (!strcmp(*list, s))
            return 1;
    return 0;
}

static const struct option *find_opt(const struct option *t, const char *key, size_t n)
{
    for (; t->name; t++)
        if (strlen(t->name) == n && !memcmp(t->name, key, n))
            return t;
    return NULL;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* A key as it may be printed in a message: at most 64 bytes, only its own characters. */
static void key_for_msg(const char *k, size_t n, char *out, size_t outlen)
{
    size_t i, m = n < 64 ? n : 64;

    for (i = 0; i < m && i + 1 < outlen; i++)
        out[i] = k[i];
    out[i] = '\0';
}

/* One line (without its newline) into @p c; blank and comment lines add nothing. */
static int one_line(struct issud_conf *c, const struct issud_conf_rules *r, const char *s, size_t len,
                    unsigned line, char *err, size_t errlen)
{
    const struct option *opt;
    const char *key, *val, *end = s + len;
    size_t klen, vlen, i;
    char kbuf[80];
    struct issud_conf_entry *ne;

    while (s < end && is_blank(*s))
        s++;
    if (s == end || *s == '#')
        return ISSU_OK;
    key = s;
    while (s < end && ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
        s++;
    klen = (size_t)(s - key);
    if (!klen || *key == '-')
        return fail(err, errlen, c->name, line, "a key (an option's name without '--') expected");
    key_for_msg(key, klen, kbuf, sizeof(kbuf));
    opt = find_opt(r->table, key, klen);
    if (!opt || in_list(r->forbidden, opt->name))
        return fail(err, errlen, c->name, line, "'%s': %s", kbuf,
                    opt ? "not accepted in a configuration file (command line only)"
                        : "no such option (see issud --help)");
    while (s < end && is_blank(*s))
        s++;
    if (s == end || *s != '=')
        return fail(err, errlen, c->name, line, "'%s': '=' and a value expected after the key", kbuf);
    s++;
    while (s < end && is_blank(*s))
        s++;
    while (end > s && is_blank(end[-1]))
        end--;
    val = s;
    vlen = (size_t)(end - s);
    if (!vlen)
        return fail(err, errlen, c->name, line, "%s: a value expected after '='", kbuf);
    if (opt->has_arg == no_argument && !(vlen == 4 && !memcmp(val, "true", 4)) &&
        !(vlen == 5 && !memcmp(val, "false", 5)))
        return fail(err, errlen, c->name, line, "%s takes no argument: 'true' or 'false' expected", kbuf);
    if (!in_list(r->repeatable, opt->name))
        for (i = 0; i < c->n; i++)
            if (c->e[i].opt == opt)
                return fail(err, errlen, c->name, line, "%s: given again (first on line %u)", kbuf, c->e[i].line);
    ne = realloc(c->e, (c->n + 1) * sizeof(*ne));
    if (!ne)
        return ISSU_ERR_NOMEM;
    c->e = ne;
    ne = &c->e[c->n];
    ne->opt = opt;
    ne->line = line;
    ne->value = strndup(val, vlen);
    if (!ne->value)
        return ISSU_ERR_NOMEM;
    c->n++;
    return ISSU_OK;
}

int issud_conf_parse(const char *name, const char *buf, size_t len, const struct issud_conf_rules *rules,
                     struct issud_conf **out, char *err, size_t errlen)
{
    struct issud_conf *c = NULL;
    size_t pos = 0, eol, i;
    unsigned line = 0;
    int rc = ISSU_OK;

    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    c = calloc(1, sizeof(*c));
    ISSU_CHECK_MEM(c, rc);
    c->name = strdup(name);
    ISSU_CHECK_MEM(c->name, rc);
    if (len > ISSUD_CONF_MAX_SIZE) {
        rc = fail(err, errlen, name, 0, "larger than %d bytes", ISSUD_CONF_MAX_SIZE);
        goto cleanup;
    }
    while (pos < len) {
        line++;
        for (eol = pos; eol < len && buf[eol] != '\n'; eol++)
            ;
        if (eol - pos > ISSUD_CONF_MAX_LINE) {
            rc = fail(err, errlen, name, line, "line longer than %d bytes", ISSUD_CONF_MAX_LINE);
            goto cleanup;
        }
        for (i = pos; i < eol; i++) {
            unsigned char ch = (unsigned char)buf[i];

            if (ch == '\0' || (ch < 0x20 && ch != '\t') || ch == 0x7f) {
                if (!ch)
                    rc = fail(err, errlen, name, line, "NUL byte at column %zu", i - pos + 1);
                else if (ch == '\r')
                    rc = fail(err, errlen, name, line, "carriage return (DOS line ends are not accepted)");
                else
                    rc = fail(err, errlen, name, line, "control character 0x%02x at column %zu", ch, i - pos + 1);
                goto cleanup;
            }
        }
        ISSU_CHECK_GOTO(one_line(c, rules, buf + pos, eol - pos, line, err, errlen), rc);
        pos = eol + 1;
    }
    *out = c;
    c = NULL;

cleanup:
    issud_conf_free(c);
    return rc;
}

int issud_conf_load(const char *path, const struct issud_conf_rules *rules, struct issud_conf **out, char *err,
                    size_t errlen)
{
    char *buf = NULL;
    size_t got = 0;
    int rc;

    *out = NULL;
    ISSU_CHECK_GOTO(issu_file_read(path, ISSUD_CONF_MAX_SIZE, &buf, &got, err, errlen), rc);
    rc = issud_conf_parse(path, buf, got, rules, out, err, errlen);

cleanup:
    free(buf);
    return rc;
}

void issud_conf_free(struct issud_conf *c)
{
    size_t i;

    if (!c)
        return;
    for (i = 0; i < c->n; i++)
        free(c->e[i].value);
    free(c->e);
    free(c->name);
    free(c);
}
