/*
 * nc_libyang.c - the workarounds issud needs for libyang 2.1.30 (Debian
 * 12's) when it evaluates what a NETCONF client wrote. One entry each:
 * what the library does, what issud does instead, and the test that fails
 * without it. (Printing and parsing on libnetconf2's behalf are in
 * nc_libnetconf2.c.)
 */
#include "nc_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"

/* 1. XPath "mod" with a divisor that truncates to 0 kills the process.
 *
 * libyang 2.1.30 evaluates "a mod b" on the integer parts of a and b, and
 * a divisor whose integer part is 0 ("1 mod 0", "2.5 mod 0.5", or a path
 * whose value is 0) raises SIGFPE inside lyd_find_xpath: any NETCONF user's
 * XPath filter could stop issud. The divisor is data, not always a
 * literal, so no rewrite can make it safe: issud refuses every XPath filter
 * that uses mod, with the reason. Found by fuzz_ncsubtree (corpus input
 * xpath-mod-zero); tests: test_nc_xpath (the scan), test_hostile.py check
 * "xpath: mod is refused, not evaluated". */
/* 2. A chained comparison around "*" leaks.
 *
 * libyang 2.1.30 loses two allocations (~5 KiB) for every evaluation of a
 * comparison chained without parentheses whose middle operand is the name
 * test "*" ("/ < * < 1", "* = * = 1"); any user could grow issud's memory
 * by repeating such a <get>. Parenthesised, the same comparisons are
 * evaluated without a leak, and a chain of comparisons means nothing
 * useful in a filter: issud refuses every unparenthesised chain. Found by
 * fuzz_ncsubtree (corpus inputs xpath-not-a-node-set, xpath-chained-cmp)
 * under LeakSanitizer; tests: test_nc_xpath (test_ops). */
int issu_nc_ly_xpath_check(const char *x, char *err, size_t errlen)
{
    unsigned k, ops;

    ISSU_CHECK(issu_nc_xpath_scan(x, &k, &ops, err, errlen));
    if (ops & ISSU_NC_XPATH_OP_CHAINED_CMP) {
        snprintf(err, errlen, "XPath filter: a comparison of a comparison needs parentheses (\"(a < b) < c\")");
        return ISSU_ERR_INVAL;
    }
    if (ops & ISSU_NC_XPATH_OP_MOD) {
        snprintf(err, errlen, "XPath filter: the mod operator is not accepted (libyang 2.1.30 stops the process "
                              "when its divisor is below 1)");
        return ISSU_ERR_INVAL;
    }
    return ISSU_OK;
}

/* 3. A union of interleaved node sets is quadratic.
 *
 * libyang 2.1.30 evaluates "A | B" by inserting B's nodes one by one into
 * A's document-ordered array, moving its tail each time: five leaves of
 * every session ("session/result | session/raw-result | ...") took 20 s
 * at 100,000 sessions and any client may send such a filter (the cost
 * bound, nc_xpath.c, counts paths from the root, not unions). When the
 * filter is a union of plain location paths (issu_nc_xpath_union) selecting
 * @p min nodes or more in all, issud evaluates each path alone (libyang
 * gives each in document order) and merges the sorted sets itself, in
 * document order, without duplicates: the set lyd_find_xpath would give.
 * An error in any path: the whole expression goes to libyang, for its
 * message. At 100,000 sessions the five leaves take 1.8 s (20 s before).
 * Tests: fuzz_ncsubtree (every XPath input, min 0: the same set, node for
 * node, as lyd_find_xpath's), test_nc_xpath (test_union: the split). */

#define POS_WALK 64    /* siblings walked before a parent's children are indexed */
#define POS_PARENTS 8  /* indexed parents kept per evaluation */

struct pos_index {
    const struct lyd_node *first; /* the sibling list's first node: its key */
    const struct lyd_node **slot; /* open addressing on the node pointer */
    uint32_t *pos;
    size_t cap;
};

struct doc_order {
    struct pos_index idx[POS_PARENTS];
    size_t n;
    int oom;
};

static size_t ptr_hash(const void *p, size_t cap)
{
    uintptr_t v = (uintptr_t)p;

    v ^= v >> 17;
    v *= 0x9e3779b97f4a7c15ull;
    return (size_t)(v >> 7) & (cap - 1);
}

/* The index of @p first's sibling list (built on first need). */
static struct pos_index *pos_index(struct doc_order *o, const struct lyd_node *first)
{
    struct pos_index *ix;
    const struct lyd_node *n;
    size_t count = 0, k, i;
    uint32_t p = 0;

    for (k = 0; k < o->n; k++)
        if (o->idx[k].first == first)
            return &o->idx[k];
    if (o->n == POS_PARENTS) { /* rare: drop the oldest */
        free(o->idx[0].slot);
        free(o->idx[0].pos);
        memmove(o->idx, o->idx + 1, (POS_PARENTS - 1) * sizeof(o->idx[0]));
        o->n--;
    }
    ix = &o->idx[o->n];
    for (n = first; n; n = n->next)
        count++;
    for (ix->cap = 16; ix->cap < 2 * count; ix->cap *= 2)
        ;
    ix->first = first;
    ix->slot = calloc(ix->cap, sizeof(*ix->slot));
    ix->pos = malloc(ix->cap * sizeof(*ix->pos));
    if (!ix->slot || !ix->pos) {
        free(ix->slot);
        free(ix->pos);
        o->oom = 1;
        return NULL;
    }
    for (n = first; n; n = n->next) {
        for (i = ptr_hash(n, ix->cap); ix->slot[i]; i = (i + 1) & (ix->cap - 1))
            ;
        ix->slot[i] = n;
        ix->pos[i] = p++;
    }
    o->n++;
    return ix;
}

static uint32_t pos_of(const struct pos_index *ix, const struct lyd_node *n)
{
    size_t i;

    for (i = ptr_hash(n, ix->cap); ix->slot[i]; i = (i + 1) & (ix->cap - 1))
        if (ix->slot[i] == n)
            return ix->pos[i];
    return UINT32_MAX;
}

/* Whether sibling @p x comes before sibling @p y (x != y). */
static int sibling_before(struct doc_order *o, const struct lyd_node *x, const struct lyd_node *y)
{
    const struct lyd_node *a = x, *b = y;
    struct pos_index *ix;
    int k;

    for (k = 0; k < POS_WALK && (a || b); k++) { /* near each other: walk */
        if (a && (a = a->next) == y)
            return 1;
        if (b && (b = b->next) == x)
            return 0;
    }
    if (!a)
        return 0; /* x's list ended before y: y is before x */
    if (!b)
        return 1;
    ix = pos_index(o, lyd_first_sibling(x));
    return ix ? pos_of(ix, x) < pos_of(ix, y) : 0;
}

/* Document order: <0 when @p a comes first. */
static int doc_cmp(struct doc_order *o, const struct lyd_node *a, const struct lyd_node *b)
{
    const struct lyd_node *ca[64], *cb[64], *n;
    size_t na = 0, nb = 0;

    if (a == b)
        return 0;
    for (n = a; n && na < 64; n = lyd_parent(n))
        ca[na++] = n;
    for (n = b; n && nb < 64; n = lyd_parent(n))
        cb[nb++] = n;
    /* from the top down to where the chains part */
    while (na && nb && ca[na - 1] == cb[nb - 1]) {
        na--;
        nb--;
    }
    if (!na)
        return -1; /* a is an ancestor of b */
    if (!nb)
        return 1;
    return sibling_before(o, ca[na - 1], cb[nb - 1]) ? -1 : 1;
}

int issu_nc_ly_find_xpath(const struct lyd_node *tree, const char *xpath, size_t min, struct ly_set **out)
{
    struct issu_nc_xpath_part parts[ISSU_NC_XPATH_MAX_UNION];
    struct ly_set *sets[ISSU_NC_XPATH_MAX_UNION] = {0}, *res = NULL;
    struct doc_order o = {0};
    const struct lyd_node **cur = NULL, **nxt = NULL, **tmp;
    size_t np, k, total = 0, ncur = 0, i, j, m;
    char *member = NULL;
    int rc = ISSU_OK;

    *out = NULL;
    np = issu_nc_xpath_union(xpath, parts, ISSU_NC_XPATH_MAX_UNION);
    if (!np)
        goto whole;
    for (k = 0; k < np; k++) {
        member = strndup(xpath + parts[k].off, parts[k].len);
        if (!member || lyd_find_xpath(tree, member, &sets[k]) != LY_SUCCESS)
            goto whole_free;
        free(member);
        member = NULL;
        total += sets[k]->count;
    }
    if (total < min)
        goto whole_free;
    cur = malloc((total ? total : 1) * sizeof(*cur));
    nxt = malloc((total ? total : 1) * sizeof(*nxt));
    ISSU_CHECK_MEM(cur && nxt ? cur : NULL, rc);
    /* merge the sorted sets one by one: O(members x nodes) comparisons */
    for (k = 0; k < np; k++) {
        struct ly_set *s = sets[k];
        for (i = j = m = 0; i < ncur || j < s->count;) {
            int c = i == ncur ? 1 : j == s->count ? -1 : doc_cmp(&o, cur[i], s->dnodes[j]);
            if (c <= 0) {
                nxt[m++] = cur[i++];
                j += c == 0; /* the same node twice: once */
            } else {
                nxt[m++] = s->dnodes[j++];
            }
        }
        tmp = cur;
        cur = nxt;
        nxt = tmp;
        ncur = m;
    }
    ISSU_CHECK_MEM(o.oom ? NULL : cur, rc);
    if (ly_set_new(&res) != LY_SUCCESS)
        ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    for (i = 0; i < ncur; i++)
        if (ly_set_add(res, (void *)cur[i], 1, NULL) != LY_SUCCESS)
            ISSU_CHECK_GOTO(ISSU_ERR_NOMEM, rc);
    *out = res;
    res = NULL;
cleanup:
    ly_set_free(res, NULL);
    free(cur);
    free(nxt);
    for (k = 0; k < np; k++)
        ly_set_free(sets[k], NULL);
    for (k = 0; k < o.n; k++) {
        free(o.idx[k].slot);
        free(o.idx[k].pos);
    }
    return rc;
whole_free:
    free(member);
    for (k = 0; k < np; k++) {
        ly_set_free(sets[k], NULL);
        sets[k] = NULL;
    }
whole:
    return lyd_find_xpath(tree, xpath, out) == LY_SUCCESS ? ISSU_OK : ISSU_ERR_INVAL;
}
