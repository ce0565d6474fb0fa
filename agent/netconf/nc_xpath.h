/*
 * nc_xpath.h - bounds on the XPath issud evaluates for a client: the cost
 * of an XPath filter (estimated before libyang runs it) and string literals
 * that cannot close early (subtree content match values).
 *
 * Pure C, no library: unit tested (test_nc_xpath) and fuzzed (fuzz_ncxpath).
 */
#ifndef ISSU_NC_XPATH_H
#define ISSU_NC_XPATH_H

#include <stddef.h>
#include <stdint.h>

/** Longest XPath filter accepted, in bytes. */
#define ISSU_NC_XPATH_MAX_LEN 4096
/** Deepest nesting of predicates, or of parentheses. */
#define ISSU_NC_XPATH_MAX_NEST 16
/** Default of --netconf-xpath-max-cost: node visits an XPath filter may make. */
#define ISSU_NC_XPATH_DEF_MAX_COST 2000000ULL

/**
 * The exponent k of the estimate n^k node visits of @p x: 1 plus the
 * deepest predicate holding a path from the root or a sibling/document
 * axis. ISSU_ERR_INVAL (reason in @p err) for an expression too long, too
 * deeply nested or not tokenizable.
 */
int issu_nc_xpath_depth(const char *x, unsigned *k, char *err, size_t errlen);

/** Operators issu_nc_xpath_scan reports (what a library may not evaluate safely). */
#define ISSU_NC_XPATH_OP_MOD 0x1u
/** A comparison whose operand is a comparison without parentheses ("a < b < c"). */
#define ISSU_NC_XPATH_OP_CHAINED_CMP 0x2u

/** issu_nc_xpath_depth, and in *@p ops the ISSU_NC_XPATH_OP_* operators @p x uses. */
int issu_nc_xpath_scan(const char *x, unsigned *k, unsigned *ops, char *err, size_t errlen);

/**
 * ISSU_OK when @p x may run over a tree of @p n_nodes nodes: k == 1, or
 * n^k <= @p max_cost. Else ISSU_ERR_INVAL, the reason in @p err.
 */
int issu_nc_xpath_check(const char *x, uint64_t n_nodes, uint64_t max_cost, char *err, size_t errlen);

/**
 * @p v as an XPath 1.0 string literal into @p out: 'v', "v", or, when it
 * holds both quotes, concat('..', "'", '..', ''). ISSU_ERR_INVAL when it
 * does not fit.
 */
int issu_nc_xpath_literal(const char *v, char *out, size_t outlen);

/** Most members issu_nc_xpath_union splits an expression into. */
#define ISSU_NC_XPATH_MAX_UNION 64

/** One member of a union: @p x + off, len bytes (trimmed). */
struct issu_nc_xpath_part {
    size_t off, len;
};

/**
 * Split @p x at its top-level "|" (outside literals, predicates and
 * parentheses) into @p parts (at most @p max): the number of members, each
 * a plain location path (starts with "/"; outside predicates only names,
 * "/", "*" after "/" or ":", ".", "@", no space or operator). 0 when @p x is
 * anything else (one member, an operator, unbalanced, too many members).
 */
size_t issu_nc_xpath_union(const char *x, struct issu_nc_xpath_part *parts, size_t max);

#endif
