/*
 * datadir.h - where issud and issuctl find the files they ship with (YANG
 * modules, example images), in a build tree, an installed system or an
 * unpacked package root, with no flag or environment variable needed.
 */
#ifndef ISSU_DATADIR_H
#define ISSU_DATADIR_H

#include <stddef.h>

enum issu_data {
    ISSU_DATA_YANG,   /* yang/: issu-manifest, issu-report, issu-agent */
    ISSU_DATA_IMAGES, /* examples/images/: the default manifests */
    ISSU_DATA_EXAMPLES, /* examples/ (share/issu-agent): knowledge.json */
};

#define ISSU_DATA_DIRS_MAX 4
#define ISSU_DATA_PATH_MAX 4096

struct issu_data_dirs {
    size_t n;
    char dir[ISSU_DATA_DIRS_MAX][ISSU_DATA_PATH_MAX];
};

/**
 * The existing directories that may hold @p what, in search order:
 * 1. $ISSU_YANG_DIR (YANG only), when set and non-empty, even if missing
 *    (so a wrong override is reported, not silently replaced);
 * 2. next to the running binary: <exe>/../../<datadir>/... (an installed
 *    tree or one unpacked anywhere with dpkg-deb -x or DESTDIR);
 * 3. the source tree the binary was built from (a build tree's binary);
 * 4. the compiled-in install path (CMAKE_INSTALL_FULL_DATADIR/...).
 * Duplicates are dropped. An empty list is not an error: loading reports it.
 *
 * @return ISSU_OK, or ISSU_ERR_INVAL for an unknown @p what.
 */
int issu_data_dirs(enum issu_data what, struct issu_data_dirs *out);

/**
 * The directory to use: the first of issu_data_dirs() into @p buf, or the
 * compiled-in install path when none exists (so messages and --help name a
 * real place). Give libyang this one directory only: with several, it may
 * take a module from another tree than the binary's own.
 */
const char *issu_data_dir(enum issu_data what, char *buf, size_t len);

#endif
