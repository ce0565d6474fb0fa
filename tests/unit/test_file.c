/*
 * test_file.c - agent/core/file.c: operator-named files opened without
 * blocking, and small files read whole within a bound (issu_file_read, the
 * reader of --config and --nacm-rules files).
 */
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

#include "file.h"
#include "issu_err.h"

static char path[64];

static const char *write_file(const char *data, size_t len)
{
    FILE *f;

    snprintf(path, sizeof(path), "/tmp/test_file.%ld", (long)getpid());
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void test_read(void **state)
{
    char err[256], *d = (char *)1, big[101];
    size_t len = 9;

    (void)state;
    /* whole, NUL-terminated, NULs inside kept */
    write_file("a\0b\n", 4);
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(d, "a\0b\n", 5);
    free(d);
    /* empty is no error here: the parser decides */
    write_file("", 0);
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 0);
    assert_string_equal(d, "");
    free(d);
    /* exactly the bound, and one byte over */
    memset(big, 'x', sizeof(big));
    write_file(big, 100);
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_OK);
    assert_int_equal(len, 100);
    free(d);
    write_file(big, 101);
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_null(d);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "larger than 100 bytes"));
    unlink(path);
    /* missing, a directory, a FIFO, a device: refused at once, named */
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "No such file"));
    assert_int_equal(issu_file_read("/tmp", 100, &d, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "not a regular file: directory"));
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_int_equal(issu_file_read(path, 100, &d, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_non_null(strstr(err, "not a regular file: FIFO"));
    unlink(path);
    assert_int_equal(issu_file_read("/dev/zero", 100, &d, &len, err, sizeof(err)), ISSU_ERR_IO);
    assert_null(d);
    /* no room for the reason is no error */
    assert_int_equal(issu_file_read("/dev/zero", 100, &d, &len, NULL, 0), ISSU_ERR_IO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
