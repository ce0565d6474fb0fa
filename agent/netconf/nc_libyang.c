/*
 * nc_libyang.c - the workarounds issud needs for libyang 2.1.30 (Debian
 * 12's) when it evaluates what a NETCONF client wrote. One entry each:
 * what the library does, what issud does instead, and the test that fails
 * without it. (Printing and parsing on libnetconf2's behalf are in
 * nc_libnetconf2.c.)
 */
#include "nc_internal.h"

#include <stdio.h>

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
