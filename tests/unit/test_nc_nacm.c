/*
 * test_nc_nacm.c - issud's NETCONF access control (agent/netconf/nc_nacm.c):
 * the rules file (valid JSON and XML; malformed, truncated, oversized, NUL
 * bytes, other modules' data, a FIFO) and the decisions RFC 8341 asks for:
 * exec per user and group, the defaults, default-deny-all operations and
 * data, recovery sessions, read pruning by path rules, notifications.
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
#include "nc_internal.h"

static struct issu_nc nc; /* no log hook */
static char err[2048];

static const struct lysc_node *op(const char *path)
{
    const struct lysc_node *n = lys_find_path(nc.ctx, NULL, path, 0);

    assert_non_null(n);
    return n;
}

static int exec_as(const char *user, int recovery, const char *path)
{
    struct issu_nc_who w = {user, recovery, 1};

    return issu_nc_nacm_exec_who(&nc, &w, op(path));
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;

    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int parse(const char *name, const char *text)
{
    struct issu_nc_nacm *c = NULL;
    int rc = issu_nc_nacm_parse(&nc, name, text, strlen(text), &c, err, sizeof(err));

    if (rc == ISSU_OK)
        issu_nc_nacm_install(&nc, c);
    else
        assert_null(c);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    pthread_mutex_init(&nc.mu, NULL);
    pthread_mutex_init(&nc.rl_mu, NULL);
    pthread_mutex_init(&nc.nacm_mu, NULL);
    assert_int_equal(issu_nc_ctx_load(&nc), ISSU_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    issu_nc_nacm_free(&nc);
    ly_ctx_destroy(nc.ctx);
    return 0;
}

static void test_default(void **state)
{
    struct issu_nc_who w = {"anyone", 0, 1};

    (void)state;
    nc.conf.nacm_rules = NULL;
    assert_int_equal(issu_nc_nacm_init(&nc), ISSU_OK);
    /* every authenticated user reads and runs what changes nothing */
    assert_true(exec_as("anyone", 0, "/ietf-netconf:get"));
    assert_true(exec_as("anyone", 0, "/ietf-netconf-monitoring:get-schema"));
    assert_true(exec_as("anyone", 0, "/notifications:create-subscription"));
    assert_true(exec_as("anyone", 0, "/issu-agent:check-upgrade"));
    assert_true(issu_nc_nacm_read_all_who(&nc, &w, NULL));
    /* what changes live state or ends others' sessions: recovery sessions only */
    assert_false(exec_as("anyone", 0, "/issu-agent:renegotiate"));
    assert_false(exec_as("anyone", 0, "/ietf-netconf:kill-session"));
    assert_true(exec_as("root", 1, "/issu-agent:renegotiate"));
    assert_true(exec_as("root", 1, "/ietf-netconf:kill-session"));
    assert_true(exec_as("anyone", 0, "/ietf-netconf:close-session"));
}

static void test_example(void **state)
{
    struct issu_nc_who reader = {"reader", 0, 1}, oper = {"operator", 0, 2};
    size_t len;
    char *text = slurp(ISSU_SOURCE_DIR "/examples/nacm-reader-operator.json", &len);
    uint64_t before = nc.nacm_denied_ops;

    (void)state;
    assert_int_equal(parse("nacm-reader-operator.json", text), ISSU_OK);
    free(text);
    assert_true(exec_as("reader", 0, "/ietf-netconf:get"));
    assert_true(exec_as("reader", 0, "/notifications:create-subscription"));
    assert_false(exec_as("reader", 0, "/issu-agent:renegotiate"));
    assert_false(exec_as("reader", 0, "/issu-agent:check-upgrade"));
    assert_false(exec_as("reader", 0, "/ietf-netconf:kill-session"));
    assert_true(exec_as("reader", 0, "/ietf-netconf:close-session"));
    assert_true(exec_as("operator", 0, "/issu-agent:renegotiate"));
    assert_true(exec_as("operator", 0, "/ietf-netconf:kill-session"));
    assert_false(exec_as("stranger", 0, "/ietf-netconf:get")); /* exec-default deny */
    assert_false(exec_as("", 0, "/ietf-netconf:get"));
    assert_true(exec_as("stranger", 1, "/issu-agent:renegotiate"));
    assert_int_equal(nc.nacm_denied_ops - before, 5);
    assert_false(issu_nc_nacm_read_all_who(&nc, &reader, NULL)); /* a path rule denies */
    assert_false(issu_nc_nacm_read_all_who(&nc, &reader, "ietf-netconf-monitoring"));
    assert_true(issu_nc_nacm_read_all_who(&nc, &reader, "issu-agent")); /* the path is monitoring's */
    assert_true(issu_nc_nacm_read_all_who(&nc, &oper, NULL));
}

static void test_prune(void **state)
{
    static const char data[] =
        "<netconf-state xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring\">"
        "<schemas><schema><identifier>x</identifier><version>1</version><format>yang</format>"
        "<namespace>urn:x</namespace><location>NETCONF</location></schema></schemas>"
        "<sessions><session><session-id>1</session-id><transport>netconf-ssh</transport>"
        "<username>reader</username><login-time>2026-01-01T00:00:00Z</login-time></session></sessions>"
        "</netconf-state>"
        "<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\"><enable-nacm>true</enable-nacm></nacm>";
    struct issu_nc_who reader = {"reader", 0, 1}, oper = {"operator", 0, 2}, root = {"root", 1, 3};
    struct lyd_node *t = NULL, *n = NULL;

    (void)state;
    /* the rules of test_example are in force */
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &reader, &t), ISSU_OK);
    assert_non_null(t);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-monitoring:netconf-state/schemas", 0, &n), LY_SUCCESS);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-monitoring:netconf-state/sessions", 0, &n) == LY_SUCCESS, 0);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-acm:nacm", 0, &n) == LY_SUCCESS, 0); /* default-deny-all */
    lyd_free_all(t);
    t = NULL;
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &oper, &t), ISSU_OK); /* "*" permits all, nacm too */
    assert_int_equal(
        lyd_find_path(t, "/ietf-netconf-monitoring:netconf-state/sessions/session[session-id='1']", 0, &n),
        LY_SUCCESS);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-acm:nacm", 0, &n), LY_SUCCESS);
    lyd_free_all(t);
    t = NULL;
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &root, &t), ISSU_OK);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-acm:nacm", 0, &n), LY_SUCCESS);
    lyd_free_all(t);
    t = NULL;
    /* everything denied: nothing left */
    assert_int_equal(parse("deny.json", "{\"ietf-netconf-acm:nacm\": {\"read-default\": \"deny\"}}"), ISSU_OK);
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &reader, &t), ISSU_OK);
    assert_null(t);
    /* read-default deny, a path permits one subtree: it and its descendants
     * stay (their ancestors with them), the rest goes */
    assert_int_equal(parse("p.json", "{\"ietf-netconf-acm:nacm\": {\"read-default\": \"deny\", \"rule-list\": [{"
                                     "\"name\": \"a\", \"group\": [\"*\"], \"rule\": [{\"name\": \"s\", \"path\": "
                                     "\"/ietf-netconf-monitoring:netconf-state/schemas\", \"access-operations\": "
                                     "\"read\", \"action\": \"permit\"}, {\"name\": \"top\", \"path\": "
                                     "\"/ietf-netconf-monitoring:netconf-state\", \"access-operations\": \"read\", "
                                     "\"action\": \"deny\"}]}]}}"),
                     ISSU_OK);
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &reader, &t), ISSU_OK);
    assert_null(t); /* the container itself is denied: nothing below it is sent */
    assert_int_equal(parse("q.json", "{\"ietf-netconf-acm:nacm\": {\"rule-list\": [{\"name\": \"a\", \"group\": "
                                     "[\"*\"], \"rule\": [{\"name\": \"s\", \"path\": \"/ietf-netconf-monitoring:"
                                     "netconf-state/schemas\", \"access-operations\": \"read\", \"action\": "
                                     "\"deny\"}]}]}}"),
                     ISSU_OK);
    assert_int_equal(lyd_parse_data_mem(nc.ctx, data, LYD_XML, LYD_PARSE_ONLY, 0, &t), LY_SUCCESS);
    assert_int_equal(issu_nc_nacm_prune_who(&nc, &reader, &t), ISSU_OK);
    assert_int_equal(lyd_find_path(t, "/ietf-netconf-monitoring:netconf-state/schemas", 0, &n) == LY_SUCCESS, 0);
    assert_int_equal(
        lyd_find_path(t, "/ietf-netconf-monitoring:netconf-state/sessions/session[session-id='1']/username", 0, &n),
        LY_SUCCESS);
    lyd_free_all(t);
}

static void test_notif(void **state)
{
    struct issu_nc_who reader = {"reader", 0, 1}, other = {"other", 0, 2};
    struct lyd_node *v = NULL, *s = NULL;
    uint64_t before = nc.nacm_denied_notifs;

    (void)state;
    assert_int_equal(parse("n.xml",
                           "<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\">"
                           "<groups><group><name>r</name><user-name>reader</user-name></group></groups>"
                           "<rule-list><name>r</name><group>r</group><rule><name>n</name>"
                           "<module-name>issu-agent</module-name><notification-name>session-result-changed"
                           "</notification-name><access-operations>read</access-operations><action>deny</action>"
                           "</rule></rule-list></nacm>"),
                     ISSU_OK);
    assert_int_equal(lyd_new_inner(NULL, nc.mod, "verdict-changed", 0, &v), LY_SUCCESS);
    assert_int_equal(lyd_new_inner(NULL, nc.mod, "session-result-changed", 0, &s), LY_SUCCESS);
    assert_true(issu_nc_nacm_notif_who(&nc, &reader, v));
    assert_false(issu_nc_nacm_notif_who(&nc, &reader, s));
    assert_true(issu_nc_nacm_notif_who(&nc, &other, s));
    assert_int_equal(nc.nacm_denied_notifs - before, 1);
    /* enable-nacm false: nothing enforced */
    assert_int_equal(parse("off.json", "{\"ietf-netconf-acm:nacm\": {\"enable-nacm\": false, \"exec-default\": "
                                       "\"deny\", \"read-default\": \"deny\"}}"),
                     ISSU_OK);
    assert_true(issu_nc_nacm_notif_who(&nc, &reader, s));
    assert_true(exec_as("reader", 0, "/issu-agent:renegotiate"));
    lyd_free_tree(v);
    lyd_free_tree(s);
}

static void test_wildcards(void **state)
{
    (void)state;
    /* group "*", module "*", rpc-name "*": every user, every operation; the
     * first matching rule wins over later ones */
    assert_int_equal(parse("w.json",
                           "{\"ietf-netconf-acm:nacm\": {\"exec-default\": \"deny\", \"rule-list\": [{\"name\": \"all\","
                           " \"group\": [\"*\"], \"rule\": [{\"name\": \"no-reneg\", \"module-name\": \"issu-agent\","
                           " \"rpc-name\": \"renegotiate\", \"access-operations\": \"exec\", \"action\": \"deny\"},"
                           " {\"name\": \"any\", \"rpc-name\": \"*\", \"access-operations\": \"exec read\","
                           " \"action\": \"permit\"}]}]}}"),
                     ISSU_OK);
    assert_false(exec_as("x", 0, "/issu-agent:renegotiate"));
    assert_true(exec_as("x", 0, "/issu-agent:check-upgrade"));
    assert_true(exec_as("y", 0, "/ietf-netconf:kill-session")); /* an explicit permit beats default-deny-all */
    /* access-operations without exec: no match, the default decides */
    assert_int_equal(parse("r.json",
                           "{\"ietf-netconf-acm:nacm\": {\"exec-default\": \"deny\", \"rule-list\": [{\"name\": \"all\","
                           " \"group\": [\"*\"], \"rule\": [{\"name\": \"r\", \"access-operations\": \"read\","
                           " \"action\": \"permit\"}]}]}}"),
                     ISSU_OK);
    assert_false(exec_as("x", 0, "/ietf-netconf:get"));
}

/* A bad file: refused with the file's name and a reason; the rules in force stay. */
static void bad(const char *name, const char *text, size_t len, const char *why)
{
    if (len == (size_t)-1)
        len = strlen(text);
    struct issu_nc_nacm *c = (struct issu_nc_nacm *)1;
    int rc = issu_nc_nacm_parse(&nc, name, text, len, &c, err, sizeof(err));

    assert_int_equal(rc, ISSU_ERR_INVAL);
    assert_null(c);
    if (!strstr(err, name) || !strstr(err, why))
        fail_msg("'%s' lacks '%s' / '%s'", err, name, why);
}

static void test_malformed(void **state)
{
    static const char nul[] = "{\"ietf-netconf-acm:nacm\": {}}\0x";
    size_t len, big_n = (4u << 20) + 16, i;
    char *text = slurp(ISSU_SOURCE_DIR "/examples/nacm-reader-operator.json", &len), *big;

    (void)state;
    assert_int_equal(parse("keep.json", "{\"ietf-netconf-acm:nacm\": {\"exec-default\": \"deny\"}}"), ISSU_OK);
    bad("empty.json", "", 0, "empty");
    bad("blank.xml", " \n\t", 3, "empty");
    bad("e.json", "{\"ietf-netconf-acm:nacm\": {\"read-default\": \"maybe\"}}", (size_t)-1, "not valid JSON");
    bad("u.json", "{\"ietf-netconf-acm:nacm\": {\"bogus\": 1}}", (size_t)-1, "not valid JSON");
    bad("x.xml", "<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\"><rule-list><name>a</name>"
                 "<rule><name>r</name><action>allow</action></rule></rule-list></nacm>", (size_t)-1, "not valid XML");
    bad("state.json", "{\"ietf-netconf-acm:nacm\": {\"denied-operations\": 3}}", (size_t)-1, "not valid JSON");
    bad("other.json", "{\"issu-agent:issu-state\": {}}", (size_t)-1, "");
    bad("nul.json", nul, sizeof(nul) - 1, "NUL byte");
    /* truncated anywhere: never accepted as another rule set */
    for (i = 1; i < len; i += 97) {
        char save = text[i];
        struct issu_nc_nacm *c = NULL;
        text[i] = '\0';
        assert_int_not_equal(issu_nc_nacm_parse(&nc, "t.json", text, i, &c, err, sizeof(err)), ISSU_OK);
        assert_null(c);
        text[i] = save;
    }
    free(text);
    big = malloc(big_n + 1);
    assert_non_null(big);
    memset(big, ' ', big_n);
    big[big_n] = '\0';
    bad("big.json", big, big_n, "larger than");
    free(big);
    /* the rules in force are still keep.json's */
    assert_false(exec_as("x", 0, "/ietf-netconf:get"));
}

static void test_files(void **state)
{
    char dir[] = "/tmp/test_nc_nacm.XXXXXX", path[128];
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/fifo.json", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    nc.conf.nacm_rules = path;
    assert_int_equal(issu_nc_nacm_reload(&nc), ISSU_ERR_IO); /* at once, not blocked on the FIFO */
    unlink(path);
    snprintf(path, sizeof(path), "%s/r.xml", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\"><exec-default>permit</exec-default></nacm>\n",
          f);
    fclose(f);
    assert_int_equal(issu_nc_nacm_reload(&nc), ISSU_OK);
    assert_true(exec_as("x", 0, "/ietf-netconf:get"));
    assert_false(exec_as("x", 0, "/issu-agent:renegotiate"));
    unlink(path);
    assert_int_equal(issu_nc_nacm_reload(&nc), ISSU_ERR_IO);
    assert_true(exec_as("x", 0, "/ietf-netconf:get")); /* kept */
    nc.conf.nacm_rules = NULL;
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_example),
        cmocka_unit_test(test_prune),
        cmocka_unit_test(test_notif),
        cmocka_unit_test(test_wildcards),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
