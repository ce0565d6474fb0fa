/*
 * test_issud_conf.c - issud's configuration-file parser (agent/issud/
 * issud_conf.c): valid files, and malformed, truncated and oversized ones,
 * NUL bytes, unknown, forbidden and repeated keys; each error names the line.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "issu_err.h"
#include "issud_conf.h"

static const struct option table[] = {
    {"netconf-unix", required_argument, NULL, 'u'},
    {"netconf-max-sessions", required_argument, NULL, 1001},
    {"nacm-rules", required_argument, NULL, 1202},
    {"verbose", no_argument, NULL, 'v'},
    {"config", required_argument, NULL, 1200},
    {"multi", required_argument, NULL, 1299},
    {NULL, 0, NULL, 0},
};
static const char *const forbidden[] = {"config", NULL};
static const char *const repeatable[] = {"multi", NULL};
static const struct issud_conf_rules rules = {table, forbidden, repeatable};

static char err[1024];

static int parse_n(const char *buf, size_t len, struct issud_conf **c)
{
    return issud_conf_parse("t.conf", buf, len, &rules, c, err, sizeof(err));
}

static int parse(const char *text, struct issud_conf **c)
{
    return parse_n(text, strlen(text), c);
}

/* A bad text: refused, nothing returned, the error names @p where. */
static void refused(const char *text, size_t len, const char *where, const char *why)
{
    struct issud_conf *c = (struct issud_conf *)1;

    assert_int_equal(parse_n(text, len, &c), ISSU_ERR_INVAL);
    assert_null(c);
    if (!strstr(err, where) || !strstr(err, why))
        fail_msg("'%s' lacks '%s' / '%s'", err, where, why);
}

static void test_valid(void **state)
{
    struct issud_conf *c = NULL;

    (void)state;
    assert_int_equal(parse("# a comment\n\n   # indented comment\n"
                           "netconf-unix = /run/issu/nc.sock\n"
                           "\tnetconf-max-sessions=12   \n"
                           "verbose = false\n"
                           "nacm-rules =  /etc/x # not a comment\n"
                           "multi = a\nmulti = b",
                           &c),
                     ISSU_OK);
    assert_non_null(c);
    assert_int_equal(c->n, 6);
    assert_string_equal(c->e[0].opt->name, "netconf-unix");
    assert_string_equal(c->e[0].value, "/run/issu/nc.sock");
    assert_int_equal(c->e[0].line, 4);
    assert_string_equal(c->e[1].value, "12");
    assert_int_equal(c->e[1].line, 5);
    assert_string_equal(c->e[2].value, "false");
    assert_string_equal(c->e[3].value, "/etc/x # not a comment");
    assert_string_equal(c->e[5].value, "b"); /* last line without a newline */
    assert_int_equal(c->e[5].line, 9);
    issud_conf_free(c);

    assert_int_equal(parse("", &c), ISSU_OK);
    assert_int_equal(c->n, 0);
    issud_conf_free(c);
}

static void test_malformed(void **state)
{
    (void)state;
    refused("netconf-unix = a\nbogus = 1\n", 26, "t.conf:2:", "no such option");
    refused("\n\nconfig = x\n", 13, "t.conf:3:", "not accepted in a configuration file");
    refused("netconf-unix /x\n", 16, "t.conf:1:", "'=' and a value expected");
    refused("netconf-unix\n", 13, "t.conf:1:", "'=' and a value expected");
    refused("netconf-unix =   \n", 18, "t.conf:1:", "a value expected");
    refused("= x\n", 4, "t.conf:1:", "a key");
    refused("--netconf-unix = x\n", 19, "t.conf:1:", "a key");
    refused("Netconf-unix = x\n", 17, "t.conf:1:", "a key");
    refused("verbose = yes\n", 14, "t.conf:1:", "'true' or 'false'");
    refused("verbose = 1\n", 12, "t.conf:1:", "'true' or 'false'");
    refused("netconf-unix = a\n# x\nnetconf-unix = b\n", 38, "t.conf:3:", "first on line 1");
    refused("netconf-unix = a\r\n", 18, "t.conf:1:", "carriage return");
    refused("netconf-unix = a\x1b[0m\n", 21, "t.conf:1:", "control character 0x1b");
    refused("netconf-unix = a\x7f\n", 18, "t.conf:1:", "control character 0x7f");
    /* truncated: a key cut before its '=' */
    refused("netconf-unix = a\nnetconf-max", 28, "t.conf:2:", "no such option");
    refused("netconf-unix = a\nverbose", 24, "t.conf:2:", "'=' and a value expected");
}

static void test_nul(void **state)
{
    static const char text[] = "netconf-unix = /a\0/b\n";

    (void)state;
    refused(text, sizeof(text) - 1, "t.conf:1:", "NUL byte at column 18");
    refused("\0", 1, "t.conf:1:", "NUL byte");
}

static void test_oversized(void **state)
{
    size_t n = ISSUD_CONF_MAX_LINE + 100, i;
    char *big = malloc(ISSUD_CONF_MAX_SIZE + 2);
    struct issud_conf *c = NULL;

    (void)state;
    assert_non_null(big);
    /* a line of exactly the limit is fine, one byte more is not */
    memcpy(big, "netconf-unix = ", 15);
    memset(big + 15, 'x', ISSUD_CONF_MAX_LINE - 15);
    big[ISSUD_CONF_MAX_LINE] = '\n';
    assert_int_equal(parse_n(big, ISSUD_CONF_MAX_LINE + 1, &c), ISSU_OK);
    assert_int_equal(strlen(c->e[0].value), ISSUD_CONF_MAX_LINE - 15);
    issud_conf_free(c);
    memset(big + 15, 'x', n);
    refused(big, n, "t.conf:1:", "line longer than");
    /* a very long file of comments: within the size limit it passes, beyond it is refused */
    for (i = 0; i + 2 <= ISSUD_CONF_MAX_SIZE; i += 2)
        memcpy(big + i, "#\n", 2);
    assert_int_equal(parse_n(big, ISSUD_CONF_MAX_SIZE, &c), ISSU_OK);
    assert_int_equal(c->n, 0);
    issud_conf_free(c);
    refused(big, ISSUD_CONF_MAX_SIZE + 1, "t.conf:0:", "larger than");
    free(big);
}

static void test_load(void **state)
{
    char dir[] = "/tmp/test_issud_conf.XXXXXX", path[128], fifo[128];
    struct issud_conf *c = NULL;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/issud.conf", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("netconf-unix = /tmp/x.sock\nverbose = true\n", f);
    fclose(f);
    assert_int_equal(issud_conf_load(path, &rules, &c, err, sizeof(err)), ISSU_OK);
    assert_int_equal(c->n, 2);
    assert_string_equal(c->name, path);
    issud_conf_free(c);
    /* a FIFO is refused at once, never waited on */
    snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    assert_int_equal(issud_conf_load(fifo, &rules, &c, err, sizeof(err)), ISSU_ERR_IO);
    assert_null(c);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(issud_conf_load(dir, &rules, &c, err, sizeof(err)), ISSU_ERR_IO);
    unlink(fifo);
    unlink(path);
    assert_int_equal(issud_conf_load(path, &rules, &c, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "No such file"));
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
