/*
 * test_datadir.c - the search order of core/datadir.h: the ISSU_YANG_DIR
 * override first (kept even when missing, so a wrong one is reported, not
 * replaced), an empty one ignored, only existing directories otherwise,
 * no duplicates; a build tree's binary finds the source tree. The
 * binary-relative step is run by test_install and test_package, from
 * trees unpacked elsewhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "datadir.h"
#include "issu_err.h"

static int is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void assert_sane(const struct issu_data_dirs *d, size_t from)
{
    size_t i, j;

    for (i = from; i < d->n; i++) {
        assert_true(is_dir(d->dir[i]));
        for (j = 0; j < i; j++)
            assert_string_not_equal(d->dir[i], d->dir[j]);
    }
}

static void test_source_tree(void **state)
{
    struct issu_data_dirs d;
    char buf[ISSU_DATA_PATH_MAX];

    (void)state;
    unsetenv("ISSU_YANG_DIR");
    assert_int_equal(issu_data_dirs(ISSU_DATA_YANG, &d), ISSU_OK);
    assert_true(d.n >= 1);
    assert_string_equal(d.dir[0], ISSU_SOURCE_DIR "/yang");
    assert_sane(&d, 0);
    assert_string_equal(issu_data_dir(ISSU_DATA_YANG, buf, sizeof(buf)), ISSU_SOURCE_DIR "/yang");
    assert_string_equal(issu_data_dir(ISSU_DATA_IMAGES, buf, sizeof(buf)), ISSU_SOURCE_DIR "/examples/images");
}

static void test_override(void **state)
{
    struct issu_data_dirs d;
    char buf[ISSU_DATA_PATH_MAX];

    (void)state;
    setenv("ISSU_YANG_DIR", "/nonexistent/issu-yang", 1);
    assert_int_equal(issu_data_dirs(ISSU_DATA_YANG, &d), ISSU_OK);
    assert_true(d.n >= 2);
    assert_string_equal(d.dir[0], "/nonexistent/issu-yang");
    assert_sane(&d, 1);
    assert_string_equal(issu_data_dir(ISSU_DATA_YANG, buf, sizeof(buf)), "/nonexistent/issu-yang");
    /* the override is for YANG modules only */
    assert_string_equal(issu_data_dir(ISSU_DATA_IMAGES, buf, sizeof(buf)), ISSU_SOURCE_DIR "/examples/images");

    /* the same directory twice is listed once */
    setenv("ISSU_YANG_DIR", ISSU_SOURCE_DIR "/yang", 1);
    assert_int_equal(issu_data_dirs(ISSU_DATA_YANG, &d), ISSU_OK);
    assert_string_equal(d.dir[0], ISSU_SOURCE_DIR "/yang");
    assert_sane(&d, 0);

    setenv("ISSU_YANG_DIR", "", 1);
    assert_int_equal(issu_data_dirs(ISSU_DATA_YANG, &d), ISSU_OK);
    assert_string_equal(d.dir[0], ISSU_SOURCE_DIR "/yang");
    unsetenv("ISSU_YANG_DIR");
}

static void test_bad_args(void **state)
{
    struct issu_data_dirs d;
    char buf[8] = "x";
    char big[5000];

    (void)state;
    assert_int_equal(issu_data_dirs((enum issu_data)7, &d), ISSU_ERR_INVAL);
    assert_int_equal(d.n, 0);
    /* a too-small buffer is cut, never overrun; length 0 leaves it alone */
    issu_data_dir(ISSU_DATA_YANG, buf, sizeof(buf));
    assert_int_equal(strlen(buf), sizeof(buf) - 1);
    issu_data_dir(ISSU_DATA_YANG, buf, 0);
    /* an override longer than a path is dropped, not cut */
    memset(big, 'a', sizeof(big) - 1);
    big[0] = '/';
    big[sizeof(big) - 1] = '\0';
    setenv("ISSU_YANG_DIR", big, 1);
    assert_int_equal(issu_data_dirs(ISSU_DATA_YANG, &d), ISSU_OK);
    assert_true(d.n >= 1);
    assert_string_equal(d.dir[0], ISSU_SOURCE_DIR "/yang");
    unsetenv("ISSU_YANG_DIR");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_tree),
        cmocka_unit_test(test_override),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
