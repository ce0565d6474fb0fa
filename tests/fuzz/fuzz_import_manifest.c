/*
 * fuzz_import_manifest.c - libFuzzer target: captured `show issu` text
 * through the whole of issuctl import: the reader (agent/cli/import.c),
 * then the manifest (agent/cli/import_manifest.c) with the shipped
 * knowledge file, one libyang context for the run.
 *
 * Checked: no crash or leak; a refused capture says why; an accepted one
 * is printed as issuctl writes it (RFC 7951 JSON and XML) and loads again through
 * issud's loader (issuctl never writes a manifest issud refuses).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "image.h"
#include "import.h"
#include "import_manifest.h"
#include "issu_err.h"
#include "manifest.h"

#ifndef ISSU_KNOWLEDGE_FILE
#define ISSU_KNOWLEDGE_FILE "examples/knowledge.json"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ly_ctx *ctx;
static struct lyd_node *know;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issu_import_opts o = {.knowledge_path = "knowledge.json", .sources = "fuzz"};
    struct issu_capture *c = NULL;
    struct issu_image *img = NULL;
    struct lyd_node *tree = NULL;
    char err[1024], *text = NULL;

    if (!ctx) {
        char e[512];
        if (issu_ly_ctx_new(&ctx) != ISSU_OK || issu_knowledge_load(ctx, ISSU_KNOWLEDGE_FILE, &know, e, sizeof(e)))
            abort();
    }
    o.knowledge = know;
    ly_err_clean(ctx, NULL);
    if (issu_capture_new(&c) != ISSU_OK)
        return 0;
    if (issu_capture_feed(c, "fuzz", (const char *)data, size) != ISSU_OK)
        goto cleanup;
    if (issu_import_build(ctx, c, &o, &tree, err, sizeof(err)) != ISSU_OK) {
        if (tree || !err[0])
            abort();
        goto cleanup;
    }
    for (int xml = 0; xml < 2; xml++) {
        if (lyd_print_mem(&text, tree, xml ? LYD_XML : LYD_JSON, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS || !text)
            abort();
        if (issu_manifest_load_mem(ctx, text, strlen(text), xml ? ISSU_MANIFEST_XML : ISSU_MANIFEST_JSON, "fuzz",
                                   &img, err, sizeof(err)) != ISSU_OK)
            abort();
        issu_image_free(img);
        img = NULL;
        free(text);
        text = NULL;
    }
cleanup:
    issu_image_free(img);
    free(text);
    lyd_free_all(tree);
    issu_capture_free(c);
    return 0;
}
