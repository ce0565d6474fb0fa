/*
 * datadir.c - the search order of datadir.h. The binary's own location
 * comes from /proc/self/exe, so a package unpacked under any root finds its
 * own modules before the build tree's or the system's.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"
#include "issu_err.h"

/* Set by the build (agent/core/CMakeLists.txt); these defaults serve a
 * compiler run by hand. */
#ifndef ISSU_DATA_REL
#define ISSU_DATA_REL "share"
#endif
#ifndef ISSU_DATA_FULL
#define ISSU_DATA_FULL "/usr/local/share"
#endif
#ifndef ISSU_SRC_DIR
#define ISSU_SRC_DIR "."
#endif

static const char *const sub_installed[] = {
    [ISSU_DATA_YANG] = "yang/modules/issu-agent",
    [ISSU_DATA_IMAGES] = "issu-agent/images",
    [ISSU_DATA_EXAMPLES] = "issu-agent",
};
static const char *const sub_source[] = {
    [ISSU_DATA_YANG] = "yang",
    [ISSU_DATA_IMAGES] = "examples/images",
    [ISSU_DATA_EXAMPLES] = "examples",
};

static int is_dir(const char *p)
{
    struct stat st;

    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static void add(struct issu_data_dirs *out, const char *dir, int must_exist)
{
    size_t i;

    if (out->n == ISSU_DATA_DIRS_MAX || strlen(dir) >= ISSU_DATA_PATH_MAX || (must_exist && !is_dir(dir)))
        return;
    for (i = 0; i < out->n; i++)
        if (!strcmp(out->dir[i], dir))
            return;
    strcpy(out->dir[out->n++], dir);
}

/* <prefix> of <prefix>/sbin/issud or <prefix>/bin/issuctl, into @p buf. */
static int exe_prefix(char *buf, size_t len)
{
    char *slash;
    ssize_t n;
    int i;

    n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0 || (size_t)n >= len - 1)
        return ISSU_ERR_IO;
    buf[n] = '\0';
    for (i = 0; i < 2; i++) {
        slash = strrchr(buf, '/');
        if (!slash || slash == buf)
            return ISSU_ERR_NOTFOUND;
        *slash = '\0';
    }
    return ISSU_OK;
}

int issu_data_dirs(enum issu_data what, struct issu_data_dirs *out)
{
    char prefix[PATH_MAX], p[ISSU_DATA_PATH_MAX + 64];
    const char *env;

    out->n = 0;
    if ((unsigned)what > ISSU_DATA_EXAMPLES)
        return ISSU_ERR_INVAL;
    env = what == ISSU_DATA_YANG ? getenv("ISSU_YANG_DIR") : NULL;
    if (env && env[0])
        add(out, env, 0);
    /* an absolute datadir has no place relative to the binary */
    if (ISSU_DATA_REL[0] != '/' && exe_prefix(prefix, sizeof(prefix)) == ISSU_OK) {
        snprintf(p, sizeof(p), "%s/%s/%s", prefix, ISSU_DATA_REL, sub_installed[what]);
        add(out, p, 1);
    }
    snprintf(p, sizeof(p), "%s/%s", ISSU_SRC_DIR, sub_source[what]);
    add(out, p, 1);
    snprintf(p, sizeof(p), "%s/%s", ISSU_DATA_FULL, sub_installed[what]);
    add(out, p, 1);
    return ISSU_OK;
}

const char *issu_data_dir(enum issu_data what, char *buf, size_t len)
{
    struct issu_data_dirs d;

    if (!len)
        return buf;
    if (issu_data_dirs(what, &d) == ISSU_OK && d.n)
        snprintf(buf, len, "%s", d.dir[0]);
    else
        snprintf(buf, len, "%s/%s", ISSU_DATA_FULL,
                 sub_installed[(unsigned)what <= ISSU_DATA_EXAMPLES ? what : ISSU_DATA_YANG]);
    return buf;
}
