/*
 * nc_xpath.c - what an XPath filter may cost, decided before libyang
 * evaluates it (nc_xpath.h).
 *
 * libyang evaluates XPath with no bound on time: a filter selecting every
 * node whose count of all nodes is positive visits every node once per node (5.8 s on the example state), and each
 * further level of such nesting multiplies by the tree again. The estimate
 * here is n^k node visits for a tree of n nodes, where k is 1 plus the
 * deepest predicate that holds a scan: an absolute path ("/..." or "//..."
 * where a path starts), or an axis that walks siblings or the whole
 * document (following, preceding, following-sibling, preceding-sibling).
 * At any depth, "//" again in a path from the root ("//a//b": descendants
 * of every descendant) and a node set from the root compared with another
 * ("//a = /b": every pair) count one level more. Relative paths inside
 * predicates (child steps, ".//", "..", ancestor) cost the size of the
 * node's own neighbourhood and do not count. The
 * estimate is conservative (a scan inside a predicate of a small child
 * list counts as a scan of the whole tree); every k = 1 expression passes,
 * as it is linear in the data, like the whole-state <get>.
 */
#include "nc_xpath.h"

#include <stdio.h>
#include <string.h>

#include "issu_err.h"

enum tok { T_END, T_SLASH, T_DSLASH, T_LBR, T_RBR, T_LPAR, T_RPAR, T_OPERAND, T_OP, T_CMP, T_AXIS, T_BAD };

static int is_ncname(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
           c == '.' || (unsigned char)c >= 0x80;
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A scan axis: walks siblings or the document. */
static int scan_axis(const char *n, size_t l)
{
    static const char *axes[] = {"following", "preceding", "following-sibling", "preceding-sibling"};

    for (size_t i = 0; i < sizeof(axes) / sizeof(axes[0]); i++)
        if (strlen(axes[i]) == l && !memcmp(axes[i], n, l))
            return 1;
    return 0;
}

/* The name just read is a function's: '(' follows. */
static int fn_next(const char *p)
{
    while (is_ws(*p))
        p++;
    return *p == '(';
}

int issu_nc_xpath_scan(const char *x, unsigned *k, unsigned *ops, char *err, size_t errlen)
{
    const char *p = x, *n;
    enum tok prev = T_END, t;
    unsigned depth = 0, worst = 0;
    unsigned paren[ISSU_NC_XPATH_MAX_NEST + 1];
    unsigned np = 0;
    /* per predicate depth: the path being read is absolute; the left side
     * of a pending comparison was */
    int abs_path[ISSU_NC_XPATH_MAX_NEST + 2] = {0}, cmp_abs[ISSU_NC_XPATH_MAX_NEST + 2] = {0};
    int desc[ISSU_NC_XPATH_MAX_NEST + 2] = {0}; /* the path has a "//" already */
    int fn[ISSU_NC_XPATH_MAX_NEST + 1];          /* per '(': a function call (its value no node set) */
    int at_start;
    /* comparisons in a row at each nesting level (brackets and parentheses) */
    unsigned run[2 * ISSU_NC_XPATH_MAX_NEST + 2] = {0}, lvl = 0;
    size_t l;

    *k = 1;
    *ops = 0;
    if (strlen(x) > ISSU_NC_XPATH_MAX_LEN) {
        snprintf(err, errlen, "XPath filter longer than %d characters", ISSU_NC_XPATH_MAX_LEN);
        return ISSU_ERR_INVAL;
    }
    for (;;) {
        while (is_ws(*p))
            p++;
        if (!*p)
            break;
        n = p;
        if (*p == '\'' || *p == '"') {
            const char *q = strchr(p + 1, *p);
            if (!q) {
                snprintf(err, errlen, "XPath filter: unterminated string");
                return ISSU_ERR_INVAL;
            }
            p = q + 1;
            t = T_OPERAND;
        } else if (p[0] == '/' && p[1] == '/') {
            p += 2;
            t = T_DSLASH;
        } else if (*p == '/') {
            p++;
            t = T_SLASH;
        } else if (*p == '[') {
            p++;
            t = T_LBR;
        } else if (*p == ']') {
            p++;
            t = T_RBR;
        } else if (*p == '(') {
            p++;
            t = T_LPAR;
        } else if (*p == ')') {
            p++;
            t = T_RPAR;
        } else if (*p == '*') {
            p++;
            /* after an operand it multiplies; elsewhere it is a name test */
            t = prev == T_OPERAND || prev == T_RPAR || prev == T_RBR ? T_OP : T_OPERAND;
        } else if (*p == '@' || *p == '$') {
            p++;
            t = T_OP; /* an attribute or a variable: the name follows */
        } else if ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9')) {
            while ((*p >= '0' && *p <= '9') || *p == '.')
                p++;
            t = T_OPERAND; /* a number */
        } else if (*p == '.') {
            p += p[1] == '.' ? 2 : 1;
            t = T_OPERAND; /* the context node or its parent */
        } else if (is_ncname(*p) && *p != '-') {
            while (is_ncname(*p) || (*p == ':' && p[1] != ':' && is_ncname(p[1])) || (*p == ':' && p[1] == '*'))
                p += *p == ':' && p[1] == '*' ? 2 : 1;
            l = (size_t)(p - n);
            /* "mod" wherever it stands, operator or not: what libyang takes
             * for an operator need not be what this scan does (nc_libyang.c) */
            if (l == 3 && !memcmp(n, "mod", 3))
                *ops |= ISSU_NC_XPATH_OP_MOD;
            if (p[0] == ':' && p[1] == ':') {
                if (depth && scan_axis(n, l) && depth + 1 > worst)
                    worst = depth + 1;
                p += 2;
                t = T_AXIS;
            } else if ((prev == T_OPERAND || prev == T_RPAR || prev == T_RBR) &&
                       ((l == 3 && (!memcmp(n, "and", 3) || !memcmp(n, "div", 3) || !memcmp(n, "mod", 3))) ||
                        (l == 2 && !memcmp(n, "or", 2)))) {
                t = T_OP; /* XPath 1.0 3.7: after an operand these are operators */
                if ((l == 3 && !memcmp(n, "and", 3)) || l == 2)
                    run[lvl] = 0; /* "a = b and c = d" is no chain */
            } else {
                t = T_OPERAND; /* a name, a number or a function name */
            }
        } else if (strchr("=!<>+-,|", *p)) {
            t = strchr("=!<>", *p) ? T_CMP : T_OP;
            p += (p[0] == '!' || p[0] == '<' || p[0] == '>') && p[1] == '=' ? 2 : 1;
        } else {
            snprintf(err, errlen, "XPath filter: unexpected character '%c'", *p);
            return ISSU_ERR_INVAL;
        }
        at_start = !(prev == T_OPERAND || prev == T_RPAR || prev == T_RBR);
        if (t == T_OPERAND && !depth && at_start && prev != T_SLASH && prev != T_DSLASH && prev != T_AXIS &&
            (*n == '*' || *n == '.' || is_ncname(*n)) && !(*n >= '0' && *n <= '9') &&
            !(*n == '.' && n[1] >= '0' && n[1] <= '9') && !fn_next(p)) {
            /* outside predicates the context is the root: "a//b = /c" costs
             * the pairs "//a//b = /c" does (fuzz_ncsubtree found "*", "//",
             * "*", "=", "/", "*" holding a worker for a second on the
             * example state: quadratic in the tree) */
            if (cmp_abs[0] && 2 > worst)
                worst = 2;
            abs_path[0] = 1;
            desc[0] = 0;
            cmp_abs[0] = 0;
        } else if ((t == T_SLASH || t == T_DSLASH) && at_start) {
            /* a path from the root inside a predicate: a scan per node */
            if (depth && depth + 1 > worst)
                worst = depth + 1;
            /* a node set compared with a node set from the root: pairs */
            if (cmp_abs[depth] && depth + 2 > worst)
                worst = depth + 2;
            abs_path[depth] = 1;
            desc[depth] = t == T_DSLASH;
            cmp_abs[depth] = 0;
        } else if (t == T_DSLASH && abs_path[depth]) {
            /* "//" again in a path from the root: descendants of every descendant */
            if (desc[depth] && depth + 2 > worst)
                worst = depth + 2;
            desc[depth] = 1;
        } else if (t == T_CMP) {
            cmp_abs[depth] = abs_path[depth];
            abs_path[depth] = 0;
            if (++run[lvl] >= 2)
                *ops |= ISSU_NC_XPATH_OP_CHAINED_CMP;
        } else if (t == T_OP) {
            abs_path[depth] = cmp_abs[depth] = 0;
        }
        if (t == T_LBR) {
            if (++depth > ISSU_NC_XPATH_MAX_NEST) {
                snprintf(err, errlen, "XPath filter: predicates nested deeper than %d", ISSU_NC_XPATH_MAX_NEST);
                return ISSU_ERR_INVAL;
            }
            abs_path[depth] = cmp_abs[depth] = 0;
            run[++lvl] = 0;
        } else if (t == T_RBR) {
            if (!depth) {
                snprintf(err, errlen, "XPath filter: ']' without '['");
                return ISSU_ERR_INVAL;
            }
            depth--;
            lvl--;
        } else if (t == T_LPAR) {
            if (np >= ISSU_NC_XPATH_MAX_NEST) {
                snprintf(err, errlen, "XPath filter: parentheses nested deeper than %d", ISSU_NC_XPATH_MAX_NEST);
                return ISSU_ERR_INVAL;
            }
            fn[np] = prev == T_OPERAND;
            paren[np++] = depth;
            run[++lvl] = 0;
        } else if (t == T_RPAR) {
            if (!np || paren[--np] != depth) {
                snprintf(err, errlen, "XPath filter: unbalanced parentheses");
                return ISSU_ERR_INVAL;
            }
            lvl--;
            if (fn[np]) /* count(//x) is a number, whatever it counted */
                abs_path[depth] = desc[depth] = 0;
        }
        prev = t;
    }
    if (depth || np) {
        snprintf(err, errlen, "XPath filter: unbalanced %s", depth ? "brackets" : "parentheses");
        return ISSU_ERR_INVAL;
    }
    *k = worst ? worst : 1;
    return ISSU_OK;
}

int issu_nc_xpath_depth(const char *x, unsigned *k, char *err, size_t errlen)
{
    unsigned ops;

    return issu_nc_xpath_scan(x, k, &ops, err, errlen);
}

int issu_nc_xpath_check(const char *x, uint64_t n_nodes, uint64_t max_cost, char *err, size_t errlen)
{
    uint64_t cost = 1;
    unsigned k, i;

    ISSU_CHECK(issu_nc_xpath_depth(x, &k, err, errlen));
    if (k == 1)
        return ISSU_OK;
    for (i = 0; i < k; i++) {
        if (n_nodes && cost > UINT64_MAX / n_nodes) {
            cost = UINT64_MAX;
            break;
        }
        cost *= n_nodes ? n_nodes : 1;
    }
    if (cost <= max_cost)
        return ISSU_OK;
    snprintf(err, errlen,
             "XPath filter too costly: a path from the root inside a predicate (nesting %u) makes about %llu node "
             "visits over %llu nodes, above the limit of %llu (--netconf-xpath-max-cost); select with relative "
             "paths inside predicates",
             k - 1, (unsigned long long)cost, (unsigned long long)n_nodes, (unsigned long long)max_cost);
    return ISSU_ERR_INVAL;
}

int issu_nc_xpath_literal(const char *v, char *out, size_t outlen)
{
    const char *p;
    size_t o = 0;
    int n;

#define PUT(...)                                                    \
    do {                                                            \
        n = snprintf(out + o, outlen - o, __VA_ARGS__);             \
        if (n < 0 || (size_t)n >= outlen - o)                       \
            return ISSU_ERR_INVAL;                                  \
        o += (size_t)n;                                             \
    } while (0)

    if (!strchr(v, '\'')) {
        PUT("'%s'", v);
        return ISSU_OK;
    }
    if (!strchr(v, '"')) {
        PUT("\"%s\"", v);
        return ISSU_OK;
    }
    /* both quotes: XPath 1.0 has no escape, so concat('...', "'", '...') */
    PUT("concat(");
    for (p = v; *p;) {
        size_t run = strcspn(p, "'");
        if (p != v)
            PUT(",");
        if (run) {
            PUT("'%.*s'", (int)run, p);
            p += run;
        } else {
            PUT("\"'\"");
            p++;
        }
    }
    PUT(",'')"); /* concat needs two arguments at least */
    return ISSU_OK;
#undef PUT
}

/* A member of a union as issu_nc_xpath_union accepts it. */
static int plain_path(const char *p, size_t n)
{
    size_t i, depth = 0;
    char q = 0, c;

    if (!n || p[0] != '/')
        return 0;
    for (i = 0; i < n; i++) {
        c = p[i];
        if (q) {
            q = c == q ? 0 : q;
        } else if (depth) {
            if (c == '\'' || c == '"')
                q = c;
            else if (c == '[')
                depth++;
            else if (c == ']')
                depth--;
        } else if (c == '[') {
            depth++;
        } else if (c == '*') {
            if (i == 0 || (p[i - 1] != '/' && p[i - 1] != ':'))
                return 0; /* multiplication */
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("_-.:/@", c))) {
            return 0;
        }
    }
    return !q && !depth;
}

size_t issu_nc_xpath_union(const char *x, struct issu_nc_xpath_part *parts, size_t max)
{
    size_t i, start = 0, depth = 0, n = 0, a, b;
    char q = 0, c;

    for (i = 0;; i++) {
        c = x[i];
        if (q && c) {
            q = c == q ? 0 : q;
            continue;
        }
        if (c == '\'' || c == '"') {
            q = c;
            continue;
        }
        if (c == '[' || c == '(') {
            depth++;
        } else if ((c == ']' || c == ')') && depth) {
            depth--;
        } else if (c == '|' || !c) {
            if (depth || q || n == max)
                return 0;
            for (a = start; a < i && strchr(" \t\r\n", x[a]); a++)
                ;
            for (b = i; b > a && strchr(" \t\r\n", x[b - 1]); b--)
                ;
            if (!plain_path(x + a, b - a))
                return 0;
            parts[n].off = a;
            parts[n].len = b - a;
            n++;
            start = i + 1;
            if (!c)
                break;
        }
    }
    return n >= 2 ? n : 0;
}
