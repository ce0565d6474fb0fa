/*
 * texample.h - the example images (examples/images/) as the unit tests
 * load them: t_example("running.json"), failing the test with the loader's
 * reason. Include after <cmocka.h>; the test links issu_ly.
 */
#ifndef ISSU_TEST_TEXAMPLE_H
#define ISSU_TEST_TEXAMPLE_H

#include <stdio.h>

#include "issu_err.h"
#include "manifest.h"

static inline struct issu_image *t_example(const char *name)
{
    char path[1024], err[1024] = "";
    struct issu_image *img = NULL;

    snprintf(path, sizeof path, "%s/examples/images/%s", ISSU_SOURCE_DIR, name);
    if (issu_manifest_load_file(NULL, path, &img, err, sizeof err) != ISSU_OK || !img)
        fail_msg("%s: %s", path, err);
    return img;
}

#endif
