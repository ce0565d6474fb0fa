/*
 * fuzz_manifest.c - libFuzzer target: untrusted bytes into the manifest
 * loader. The first byte picks the format (auto, JSON, XML), the rest is the
 * document; one libyang context is shared by all runs, as issud shares one.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <libyang/libyang.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ly_ctx *ctx;
    struct issu_image *img = NULL;
    char err[1024];
    int format;

    if (!ctx && issu_ly_ctx_new(&ctx))
        abort();
    if (!size)
        return 0;
    format = data[0] % 3; /* ISSU_MANIFEST_AUTO, _JSON, _XML */
    if (issu_manifest_load_mem(ctx, (const char *)data + 1, size - 1, format, "fuzz", &img, err, sizeof err) ==
            ISSU_OK) {
        /* a loaded image is validated: lookups must find what it lists */
        for (uint32_t i = 0; i < img->n_clients; i++) {
            if (issu_image_client(img, img->clients[i].id) != &img->clients[i])
                abort();
        }
        issu_image_free(img);
    } else if (img || !err[0]) {
        abort(); /* a failure leaves no image and always says why */
    }
    return 0;
}
