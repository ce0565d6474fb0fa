/*
 * manifest.h - load image manifests (JSON or XML, YANG module issu-manifest)
 * into the core's struct issu_image.
 *
 * libyang parses and validates the document against yang/issu-manifest.yang;
 * the tree is then converted with the core's builders and checked by
 * issu_image_validate(). Every failure yields ONE message naming the source,
 * then the line or the YANG path, then what is wrong, e.g.
 *   "examples/images/bad.json: line 7: /issu-manifest:image/client/id: Invalid non-number-encoded uint32 value "abc""
 *   "bad.json: /issu-manifest:image/client[id='2011']: prerequisite 9999 names no client of the image"
 */
#ifndef ISSU_LY_MANIFEST_H
#define ISSU_LY_MANIFEST_H

#include <stddef.h>

#include "image.h"

struct ly_ctx;
struct lyd_node;

/** Manifests larger than this are refused before they are read. */
#define ISSU_MANIFEST_MAX_SIZE (16u * 1024u * 1024u)

/** Name of the manifest's YANG module. */
#define ISSU_MANIFEST_MODULE "issu-manifest"

enum issu_manifest_format {
    ISSU_MANIFEST_AUTO = 0, /**< by the first non-space character: '{' JSON, '<' XML */
    ISSU_MANIFEST_JSON,
    ISSU_MANIFEST_XML,
};

/**
 * Create a libyang context with module issu-manifest loaded. Search
 * directories: $ISSU_YANG_DIR when set (first), then the build's ISSU_YANG_DIR.
 * Free with ly_ctx_destroy().
 *
 * @return ISSU_OK, ISSU_ERR_NOMEM or ISSU_ERR_NOTFOUND (module not found).
 */
int issu_ly_ctx_new(struct ly_ctx **ctx);

/**
 * Load a manifest file. The format comes from the extension (.json, .xml),
 * else from the content. Anything but a regular file (a FIFO, socket,
 * device, directory) is refused at once, without blocking ("<path>: not a
 * regular file: FIFO"), and files over ISSU_MANIFEST_MAX_SIZE before
 * anything is read or allocated. Same as issu_manifest_read_file() then
 * issu_manifest_load_file_data().
 *
 * @param[in] ctx   context with issu-manifest loaded, or NULL to use a
 *                  temporary one made by issu_ly_ctx_new().
 * @param[out] out  the validated image (one reference) on success.
 * @param[out] err  on failure, "<path>: <what is wrong>".
 * @return ISSU_OK, ISSU_ERR_IO (unreadable, too large, empty),
 *         ISSU_ERR_INVAL (invalid manifest) or ISSU_ERR_NOMEM.
 */
int issu_manifest_load_file(struct ly_ctx *ctx, const char *path, struct issu_image **out, char *err,
        size_t errlen);

/**
 * Read a manifest file whole, with the checks of issu_manifest_load_file()
 * (regular file, size limit, not empty) and nothing parsed. *data is
 * malloc'd and NUL-terminated at (*data)[*len].
 *
 * @return ISSU_OK, ISSU_ERR_IO (with @p err), ISSU_ERR_INVAL (no path) or
 *         ISSU_ERR_NOMEM.
 */
int issu_manifest_read_file(const char *path, char **data, size_t *len, char *err, size_t errlen);

/**
 * Load the bytes issu_manifest_read_file() read from @p path (which names
 * them in errors and gives the format by its extension): what
 * issu_manifest_load_file() does after the read. @p data must be
 * NUL-terminated at data[len].
 */
int issu_manifest_load_file_data(struct ly_ctx *ctx, const char *path, const char *data, size_t len,
        struct issu_image **out, char *err, size_t errlen);

/**
 * The format of a manifest: by @p path's extension (.json, .xml; may be
 * NULL), else by the first non-space character of @p data ('{', '<').
 * ISSU_MANIFEST_AUTO when neither tells.
 */
int issu_manifest_format_of(const char *path, const char *data, size_t len);

/**
 * Load a manifest from memory (@p data need not be NUL-terminated).
 *
 * @param[in] format       enum issu_manifest_format.
 * @param[in] source_name  names the input in error messages (NULL: "<memory>").
 * @return ISSU_OK, ISSU_ERR_INVAL (invalid manifest, too large, empty) or
 *         ISSU_ERR_NOMEM.
 */
int issu_manifest_load_mem(struct ly_ctx *ctx, const char *data, size_t len, int format, const char *source_name,
        struct issu_image **out, char *err, size_t errlen);

/**
 * Load the manifest an anydata node carries (the candidate of the NETCONF
 * check-upgrade RPC), with a temporary libyang context. The value is
 * printed without indentation, so the size limit applies to about what
 * the client sent, and a parsed value tree is freed on the way (the node
 * then holds no value): it is the largest part of such an RPC and nothing
 * needs it after this.
 *
 * @return as issu_manifest_load_mem(), or ISSU_ERR_NOTFOUND when the node
 *         holds no value (@p err then says so too).
 */
int issu_manifest_load_anydata(struct lyd_node *anydata, const char *source_name, struct issu_image **out,
        char *err, size_t errlen);

/**
 * Convert an already parsed and validated issu-manifest:image node (e.g.
 * from a NETCONF edit) into a validated image.
 *
 * @param[in] image_node  the "image" container of module issu-manifest.
 * @return ISSU_OK, ISSU_ERR_INVAL or ISSU_ERR_NOMEM.
 */
int issu_manifest_from_tree(const struct lyd_node *image_node, const char *source_name, struct issu_image **out,
        char *err, size_t errlen);

#endif
