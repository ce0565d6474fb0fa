/*
 * import_manifest.h - a capture model (import.h) plus a knowledge file and
 * options -> an issu-manifest tree (issuctl import).
 *
 * What a capture shows comes from the capture; base flags and
 * prerequisites come from options, else from the knowledge file (YANG
 * module issu-knowledge, examples/knowledge.json); the image's
 * description leaf says where each fact came from. Whatever had to be
 * guessed or left out is a warning added to the capture.
 */
#ifndef ISSU_CLI_IMPORT_MANIFEST_H
#define ISSU_CLI_IMPORT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "import.h"

struct ly_ctx;
struct lyd_node;

/** Name of the knowledge file's YANG module. */
#define ISSU_KNOWLEDGE_MODULE "issu-knowledge"

/** A client's prerequisites given with --prerequisite C=P[,P...] (they replace the knowledge file's). */
struct issu_import_prereq {
    uint32_t client;
    uint32_t *pre;
    size_t npre;
};

struct issu_import_opts {
    const char *image_name, *image_version; /* NULL: from `show version` */
    const char *sources;                    /* the captures' names, for the description */
    const struct lyd_node *knowledge;       /* issu-knowledge:knowledge, or NULL */
    const char *knowledge_path;
    const uint32_t *base; /* --base */
    size_t nbase;
    const struct issu_import_prereq *prereq;
    size_t nprereq;
};

/**
 * Read a knowledge file (RFC 7951 JSON or XML of module issu-knowledge)
 * into @p ctx, loading the module there. @p err says what is wrong.
 * @return ISSU_OK, ISSU_ERR_IO, ISSU_ERR_INVAL, ISSU_ERR_NOTFOUND (module).
 */
int issu_knowledge_load(struct ly_ctx *ctx, const char *path, struct lyd_node **tree, char *err, size_t errlen);

/**
 * Build and validate (YANG and the loader's checks, issu_manifest_from_tree)
 * the manifest of @p cap. Warnings go to @p cap.
 * @return ISSU_OK, ISSU_ERR_INVAL (nothing to import, or the result is no
 *         valid manifest: @p err says why) or ISSU_ERR_NOMEM.
 */
int issu_import_build(struct ly_ctx *ctx, struct issu_capture *cap, const struct issu_import_opts *o,
        struct lyd_node **tree, char *err, size_t errlen);

/**
 * `issuctl import [OPTIONS] CAPTURE...` (argv[0] is "import"): the exit
 * status of docs/issuctl.1 (0 written, 3 bad input, 4 internal error).
 */
int issu_import_main(int argc, char **argv);

#endif
