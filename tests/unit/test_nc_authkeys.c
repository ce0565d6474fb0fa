/*
 * test_nc_authkeys.c - issud's authorized_keys reader (agent/netconf/
 * nc_ssh.c): valid files, and malformed, truncated and oversized ones,
 * and files that are no regular file (a FIFO must not block the start).
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

/* An ed25519 public key (a throwaway, made for this test). */
#define KEY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIV7ZtKCuW0kPdn9hx2LgUsNXo8DqjC7z3Bj3FJb9vwv"

static struct issu_nc nc; /* no log hook */

static int parse(const char *text, const char *user, size_t *n_out, char *first_user, size_t fl)
{
    struct issu_nc_authkey *keys = NULL;
    size_t n = 0, i;
    int rc = issu_nc_authkeys_parse(&nc, "t", text, strlen(text), user, &keys, &n);

    *n_out = n;
    if (n && first_user)
        snprintf(first_user, fl, "%s", keys[0].user);
    for (i = 0; i < n; i++) {
        ssh_key_free(keys[i].key);
        free(keys[i].user);
    }
    free(keys);
    return rc;
}

static void test_valid(void **state)
{
    char u[64];
    size_t n;

    (void)state;
    assert_int_equal(parse(KEY " alice@host\n", NULL, &n, u, sizeof(u)), ISSU_OK);
    assert_int_equal(n, 1);
    assert_string_equal(u, "alice");
    assert_int_equal(parse("# c\n\n" KEY " bob\r\n" KEY " carol", NULL, &n, u, sizeof(u)), ISSU_OK);
    assert_int_equal(n, 2);
    assert_int_equal(parse(KEY "\n", "operator", &n, u, sizeof(u)), ISSU_OK);
    assert_string_equal(u, "operator");
}

static void test_malformed(void **state)
{
    static const char *bad[] = {
        "",                                   /* no keys */
        "# only a comment\n",                 /* no keys */
        KEY "\n",                             /* no user */
        "command=\"ls\" " KEY " a@b\n",       /* options */
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIV7Zt a@b\n", /* truncated key */
        "ssh-ed25519 !!!! a@b\n",             /* not base64 */
        "ssh-ed25519\n",                      /* type alone */
    };
    size_t n;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(bad[i], NULL, &n, NULL, 0) == ISSU_OK)
            fail_msg("accepted: %s", bad[i]);
}

static void test_oversized(void **state)
{
    char *big = malloc(ISSU_NC_AUTHKEYS_MAX_LINE + 100), nul[] = KEY " a@b\n\0" KEY " c@d\n";
    struct issu_nc_authkey *keys = NULL;
    size_t n = 0;

    (void)state;
    memset(big, 'A', ISSU_NC_AUTHKEYS_MAX_LINE + 99);
    big[ISSU_NC_AUTHKEYS_MAX_LINE + 99] = '\0';
    assert_int_equal(parse(big, NULL, &n, NULL, 0), ISSU_ERR_INVAL);
    free(big);
    assert_int_equal(issu_nc_authkeys_parse(&nc, "t", nul, sizeof(nul) - 1, NULL, &keys, &n), ISSU_ERR_INVAL);
    assert_int_equal(n, 0);
}

static void test_files(void **state)
{
    char dir[] = "/tmp/issu-ak-XXXXXX", path[128];
    struct issu_nc_authkey *keys = NULL;
    size_t n = 0;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    /* a FIFO nobody writes: refused at once, not waited on */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(issu_nc_authkeys_load(&nc, path, NULL, &keys, &n), ISSU_ERR_INVAL);
    unlink(path);
    /* a directory, /dev/zero, a missing file */
    assert_int_equal(issu_nc_authkeys_load(&nc, dir, NULL, &keys, &n), ISSU_ERR_INVAL);
    assert_int_equal(issu_nc_authkeys_load(&nc, "/dev/zero", NULL, &keys, &n), ISSU_ERR_INVAL);
    snprintf(path, sizeof(path), "%s/missing", dir);
    assert_int_equal(issu_nc_authkeys_load(&nc, path, NULL, &keys, &n), ISSU_ERR_IO);
    /* over 1 MiB */
    snprintf(path, sizeof(path), "%s/big", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < 20000; i++)
        fprintf(f, "%s u%d\n", KEY, i);
    fclose(f);
    assert_int_equal(issu_nc_authkeys_load(&nc, path, NULL, &keys, &n), ISSU_ERR_INVAL);
    unlink(path);
    /* a good one */
    snprintf(path, sizeof(path), "%s/ok", dir);
    f = fopen(path, "w");
    fprintf(f, "%s alice@x\n", KEY);
    fclose(f);
    assert_int_equal(issu_nc_authkeys_load(&nc, path, NULL, &keys, &n), ISSU_OK);
    assert_int_equal(n, 1);
    ssh_key_free(keys[0].key);
    free(keys[0].user);
    free(keys);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
