/*
 * fuzz_ncxpath.c - libFuzzer target: a client's XPath filter and subtree
 * content match values into issud's bounds (agent/netconf/nc_xpath.c)
 * before libyang sees them.
 *
 * Input: the bytes up to the first NUL are the expression (and, as a
 * value, the literal); checked: no crash; an accepted expression has
 * k >= 1 and balanced nesting is never refused for length alone under the
 * limit; every literal that fits starts with a quote or "concat(" and has
 * no quote the value could close early (its parts re-read give the value).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "nc_xpath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Re-read a literal made by issu_nc_xpath_literal into the value it stands for. */
static int unliteral(const char *l, char *out, size_t outlen)
{
    size_t o = 0;
    int concat = !strncmp(l, "concat(", 7);

    if (concat)
        l += 7;
    for (;;) {
        char q = *l++;
        const char *e;
        if (q != '\'' && q != '"')
            return -1;
        e = strchr(l, q);
        if (!e || o + (size_t)(e - l) >= outlen)
            return -1;
        memcpy(out + o, l, (size_t)(e - l));
        o += (size_t)(e - l);
        l = e + 1;
        if (!concat)
            break;
        if (*l == ')')
            break;
        if (*l++ != ',')
            return -1;
    }
    out[o] = '\0';
    return l[concat ? 1 : 0] == '\0' ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *x = malloc(size + 1), err[512], lit[4 * ISSU_NC_XPATH_MAX_LEN], back[4 * ISSU_NC_XPATH_MAX_LEN];
    unsigned k;

    if (!x)
        return 0;
    memcpy(x, data, size);
    x[size] = '\0';
    if (issu_nc_xpath_depth(x, &k, err, sizeof(err)) == ISSU_OK && k < 1)
        abort();
    (void)issu_nc_xpath_check(x, (uint64_t)size * 1000, ISSU_NC_XPATH_DEF_MAX_COST, err, sizeof(err));
    if (issu_nc_xpath_literal(x, lit, sizeof(lit)) == ISSU_OK) {
        if (unliteral(lit, back, sizeof(back)) || strcmp(back, x))
            abort();
    }
    {
        struct issu_nc_xpath_part parts[ISSU_NC_XPATH_MAX_UNION];
        size_t n = issu_nc_xpath_union(x, parts, ISSU_NC_XPATH_MAX_UNION), i;
        if (n == 1 || n > ISSU_NC_XPATH_MAX_UNION)
            abort();
        for (i = 0; i < n; i++) /* inside the input, trimmed, a path */
            if (parts[i].off + parts[i].len > size || !parts[i].len || x[parts[i].off] != '/' ||
                strchr(" \t\r\n", x[parts[i].off + parts[i].len - 1]))
                abort();
    }
    free(x);
    return 0;
}
