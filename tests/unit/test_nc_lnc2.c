/*
 * test_nc_lnc2.c - the scope of issud's libnetconf2 workarounds
 * (agent/netconf/nc_libnetconf2.c).
 *
 * The interposed functions are process-wide definitions; they must change
 * only what libnetconf2's own code asks for. This test links them in (as
 * issud does) and, from its own code -- not libnetconf2's -- calls each
 * one: every call must behave as the real library's. It also checks the
 * scope predicate on addresses inside and outside libnetconf2.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "nc_internal.h"

static void *fnaddr(void (*f)(void))
{
    void *p;

    memcpy(&p, &f, sizeof(p));
    return p;
}

static void test_scope(void **state)
{
    (void)state;
    /* libnetconf2's own functions are in scope */
    assert_true(issu_nc_lnc2_in_scope(fnaddr((void (*)(void))nc_ps_poll)));
    assert_true(issu_nc_lnc2_in_scope(fnaddr((void (*)(void))nc_accept)));
    /* this test's code, libyang's and libc's are not */
    assert_false(issu_nc_lnc2_in_scope(fnaddr((void (*)(void))test_scope)));
    assert_false(issu_nc_lnc2_in_scope(fnaddr((void (*)(void))lyd_new_term)));
    assert_false(issu_nc_lnc2_in_scope(dlsym(RTLD_NEXT, "write")));
    assert_false(issu_nc_lnc2_in_scope(NULL));
    /* the idle-wait stretch: nc_ps_poll's own code only */
    assert_true(issu_nc_lnc2_in_ps_poll((const char *)fnaddr((void (*)(void))nc_ps_poll) + 16));
    assert_false(issu_nc_lnc2_in_ps_poll(fnaddr((void (*)(void))nc_accept)));
    assert_false(issu_nc_lnc2_in_ps_poll(fnaddr((void (*)(void))test_scope)));
}

/* A blank RPC parsed by anyone but libnetconf2 keeps libyang's answer
 * (success, nothing parsed): the NULL-envelope fix is libnetconf2's alone. */
static void test_parse_op_passes_through(void **state)
{
    struct ly_ctx *ctx = NULL;
    struct ly_in *in = NULL;
    struct lyd_node *tree = NULL, *op = NULL;
    LY_ERR r;

    (void)state;
    assert_int_equal(ly_ctx_new(NULL, 0, &ctx), LY_SUCCESS);
    assert_int_equal(ly_in_new_memory("   \n ", &in), LY_SUCCESS);
    r = lyd_parse_op(ctx, NULL, in, LYD_XML, LYD_TYPE_RPC_NETCONF, &tree, &op);
    assert_int_equal(r, LY_SUCCESS);
    assert_null(tree);
    lyd_free_all(op);
    ly_in_free(in, 0);
    ly_ctx_destroy(ctx);
}

struct writes {
    size_t n, bytes;
};

static ssize_t count_write(void *arg, const void *buf, size_t count)
{
    struct writes *w = arg;

    (void)buf;
    w->n++;
    w->bytes += count;
    return (ssize_t)count;
}

/* Printing by anyone but libnetconf2 is libyang's, write for write (the
 * 32 KiB coalescing would make this one write). */
static void test_print_passes_through(void **state)
{
    struct ly_ctx *ctx = NULL;
    struct lyd_node *tree = NULL;
    const struct lys_module *m;
    struct writes w = {0};
    char *mem = NULL;

    (void)state;
    assert_int_equal(ly_ctx_new(NULL, 0, &ctx), LY_SUCCESS);
    m = ly_ctx_get_module_implemented(ctx, "ietf-yang-library");
    assert_non_null(m);
    assert_int_equal(lyd_new_inner(NULL, m, "yang-library", 0, &tree), LY_SUCCESS);
    assert_int_equal(lyd_new_term(tree, m, "content-id", "abc", 0, NULL), LY_SUCCESS);
    assert_int_equal(lyd_print_clb(count_write, &w, tree, LYD_XML, LYD_PRINT_SHRINK), LY_SUCCESS);
    assert_int_equal(lyd_print_mem(&mem, tree, LYD_XML, LYD_PRINT_SHRINK), LY_SUCCESS);
    assert_true(w.n > 1);
    assert_int_equal(w.bytes, strlen(mem));
    free(mem);
    lyd_free_all(tree);
    ly_ctx_destroy(ctx);
}

/* Moving schema nodes into an opaque node from anyone but libnetconf2 keeps
 * libyang's placement: a node whose schema comes first goes before the one
 * already there (issud's append would put it after). */
static void test_insert_child_passes_through(void **state)
{
    struct ly_ctx *ctx = NULL;
    struct lyd_node *tree = NULL, *env = NULL, *ms = NULL, *cid = NULL;
    const struct lys_module *m;

    (void)state;
    assert_int_equal(ly_ctx_new(NULL, 0, &ctx), LY_SUCCESS);
    m = ly_ctx_get_module_implemented(ctx, "ietf-yang-library");
    assert_non_null(m);
    assert_int_equal(lyd_new_inner(NULL, m, "yang-library", 0, &tree), LY_SUCCESS);
    assert_int_equal(lyd_new_list(tree, m, "module-set", 0, &ms, "s"), LY_SUCCESS);
    assert_int_equal(lyd_new_term(tree, m, "content-id", "abc", 0, &cid), LY_SUCCESS);
    assert_int_equal(lyd_new_opaq2(NULL, ctx, "rpc-reply", NULL, NULL, "urn:ietf:params:xml:ns:netconf:base:1.0",
                                   &env), LY_SUCCESS);
    assert_int_equal(lyd_insert_child(env, cid), LY_SUCCESS);
    assert_int_equal(lyd_insert_child(env, ms), LY_SUCCESS);
    assert_ptr_equal(lyd_child(env), ms);
    assert_ptr_equal(ms->next, cid);
    lyd_free_all(env);
    lyd_free_all(tree);
    ly_ctx_destroy(ctx);
}

/* On a thread armed as a NETCONF worker, this code's own usleep() is not
 * stretched to the 1 ms step: 200 sleeps of 100 us stay far below 200 ms. */
static void test_armed_thread_passes_through(void **state)
{
    struct timespec t0, t1;
    double ms;
    int i;

    (void)state;
    issu_nc_lnc2_arm_thread(1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (i = 0; i < 200; i++)
        usleep(100);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    /* 200 stretched steps would take >= 200 ms; unstretched ~20-40 ms */
    assert_true(ms < 150.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scope),
        cmocka_unit_test(test_parse_op_passes_through),
        cmocka_unit_test(test_print_passes_through),
        cmocka_unit_test(test_insert_child_passes_through),
        cmocka_unit_test(test_armed_thread_passes_through),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
