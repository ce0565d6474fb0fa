/*
 * file.c - non-blocking open of operator-named files (file.h).
 *
 * O_NONBLOCK makes open() of a FIFO return at once (and of a tty not wait
 * for carrier); fstat() on the descriptor then decides, so the file checked
 * is the file read. A UNIX socket cannot be opened at all (ENXIO): stat()
 * names it instead of that errno's "No such device or address".
 */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "issu_err.h"

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err && errlen) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return ISSU_ERR_IO;
}

const char *issu_file_type(mode_t mode)
{
    if (S_ISREG(mode))
        return "regular file";
    if (S_ISDIR(mode))
        return "directory";
    if (S_ISFIFO(mode))
        return "FIFO";
    if (S_ISSOCK(mode))
        return "socket";
    if (S_ISCHR(mode))
        return "character device";
    if (S_ISBLK(mode))
        return "block device";
    if (S_ISLNK(mode))
        return "symbolic link";
    return "unknown file type";
}

int issu_file_open_regular(const char *path, int *fd, struct stat *st, char *err, size_t errlen)
{
    struct stat sb;
    int f, flags, e, rc = ISSU_OK;

    *fd = -1;
    if (!path || !path[0])
        return fail(err, errlen, "no file given");
    f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (f < 0) {
        e = errno;
        if ((e == ENXIO || e == EOPNOTSUPP) && stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
            return fail(err, errlen, "%s: not a regular file: %s", path, issu_file_type(sb.st_mode));
        return fail(err, errlen, "%s: %s", path, strerror(e));
    }
    if (fstat(f, &sb) < 0) {
        rc = fail(err, errlen, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = fail(err, errlen, "%s: not a regular file: %s", path, issu_file_type(sb.st_mode));
        goto cleanup;
    }
    /* reads of a regular file do not block anyway; callers may expect a plain descriptor */
    if ((flags = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        rc = fail(err, errlen, "%s: %s", path, strerror(errno));
        goto cleanup;
    }
    if (st)
        *st = sb;
    *fd = f;
    f = -1;

cleanup:
    if (f >= 0)
        close(f);
    return rc;
}

int issu_file_read(const char *path, size_t max, char **data, size_t *len, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    ssize_t n;
    int fd = -1, rc;

    *data = NULL;
    *len = 0;
    ISSU_CHECK_GOTO(issu_file_open_regular(path, &fd, &st, err, errlen), rc);
    if ((unsigned long long)st.st_size > max)
        goto too_big;
    /* one byte more than allowed: a file that grew is caught too */
    buf = malloc(max + 2);
    ISSU_CHECK_MEM(buf, rc);
    while (got <= max) {
        n = read(fd, buf + got, max + 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = fail(err, errlen, "%s: %s", path, strerror(errno));
            goto cleanup;
        }
        if (!n)
            break;
        got += (size_t)n;
    }
    if (got > max)
        goto too_big;
    buf[got] = '\0';
    *data = buf;
    *len = got;
    buf = NULL;
    rc = ISSU_OK;
    goto cleanup;

too_big:
    fail(err, errlen, "%s: larger than %zu bytes", path, max);
    rc = ISSU_ERR_INVAL;

cleanup:
    free(buf);
    if (fd >= 0)
        close(fd);
    return rc;
}
