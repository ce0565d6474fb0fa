/*
 * issu_ncc.h - issuctl's NETCONF client to issud over a UNIX socket
 * (libnetconf2 2.0): <get> with an XPath filter and the issu-agent RPCs.
 */
#ifndef ISSU_NCC_H
#define ISSU_NCC_H

#include <stddef.h>

struct lyd_node;
struct ly_ctx;
struct nc_session;

/**
 * Connect to issud's NETCONF UNIX socket. On failure @p err says why, and the
 * code tells it apart: ISSU_ERR_REFUSED permission denied (issud may run),
 * ISSU_ERR_NOTFOUND not running (no socket, or nothing listens on it),
 * ISSU_ERR_IO anything else.
 */
int issu_ncc_connect(const char *path, struct nc_session **session, char *err, size_t errlen);
/** The session's libyang context (the server's modules). */
struct ly_ctx *issu_ncc_ctx(struct nc_session *session);
/** <get> with @p xpath; *data is the returned data tree (NULL when empty).
 * Caller frees with lyd_free_all. */
int issu_ncc_get(struct nc_session *session, const char *xpath, struct lyd_node **data, char *err,
                 size_t errlen);
/** Send the RPC @p rpc (consumed); *out is the output node (its children are
 * the output), *envp the reply envelope; free both with lyd_free_tree.
 * An rpc-error reply is ISSU_ERR_NOTFOUND (invalid-value: an unknown id),
 * ISSU_ERR_TRANSPORT (error-app-tag no-peer: no peer connected) or
 * ISSU_ERR_PROTO, with its message in @p err. */
int issu_ncc_rpc(struct nc_session *session, struct lyd_node *rpc, struct lyd_node **envp,
                 struct lyd_node **out, char *err, size_t errlen);
/** How long a request and its reply may take (default 30 s; 1..86400). */
void issu_ncc_set_timeout(unsigned seconds);
/** Close and free everything. */
void issu_ncc_close(struct nc_session *session);

#endif
