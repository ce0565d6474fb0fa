/*
 * nc_face.h - issud's NETCONF face (libnetconf2 2.0 server): its public side;
 * the rooms behind it are listed in nc_internal.h.
 *
 * Serves module issu-agent (state from the hub's snapshots, the renegotiate
 * and check-upgrade RPCs, RFC 5277 notifications from hub changes) plus
 * <get-schema>, ietf-netconf-monitoring, <close-session> and <kill-session>,
 * on a UNIX socket and/or SSH (public-key authentication only). One accept
 * thread, a pool of worker threads polling the sessions, and one
 * notification thread: a slow client occupies at most one worker, and never
 * the hub's core thread. libnetconf2 is global state: one face per process.
 */
#ifndef ISSU_NC_FACE_H
#define ISSU_NC_FACE_H

#include <stdint.h>

#include "endpoint.h" /* issu_log_cb */
#include "nc_xpath.h"  /* ISSU_NC_XPATH_DEF_MAX_COST */

struct issu_hub;
struct issu_nc;

struct issu_hist;

struct issu_nc_conf {
    struct issu_hub *hub;
    struct issu_hist *history;   /**< RPC get-history and notification replay; NULL: neither */
    const char *unix_path;       /**< NULL: no UNIX socket */
    unsigned unix_mode;          /**< its permission bits; 0: ISSU_NC_DEF_UNIX_MODE */
    int unix_group_set;          /**< give it to unix_gid (else: the process's group) */
    unsigned unix_gid;
    const char *ssh_listen;      /**< "ADDR:PORT" or NULL: no SSH */
    const char *host_key;        /**< PEM private key; generated (RSA 2048) when missing */
    const char *authorized_keys; /**< OpenSSH authorized_keys */
    const char *ssh_user;        /**< NULL: each key's user is its comment up to '@' */
    issu_log_cb log;
    void *log_arg;
    int verbose;                 /**< pass libnetconf2's verbose messages */
    /* limits (0: the default in brackets) */
    unsigned max_sessions;       /**< connections at once, handshakes included [64] */
    size_t max_message;          /**< bytes of one message a client sends [64 MiB] */
    unsigned hello_timeout;      /**< s from connect (SSH: from login) to the client's hello [10] */
    unsigned auth_timeout;       /**< s from connect to an SSH login [10] */
    unsigned message_timeout;    /**< s a started message may take to arrive whole [60] */
    uint64_t xpath_max_cost;     /**< node visits an XPath filter may make, when not linear [2,000,000] */
    unsigned tree_keep;          /**< s the whole issu-state tree is kept after a filter last needed it [60] */
    const char *nacm_rules;      /**< ietf-netconf-acm data (JSON/XML); NULL: the built-in default */
};

#define ISSU_NC_DEF_UNIX_MODE 0660
#define ISSU_NC_DEF_MAX_SESSIONS 64
#define ISSU_NC_DEF_MAX_MESSAGE (64u << 20)
#define ISSU_NC_DEF_HELLO_TIMEOUT 10
#define ISSU_NC_DEF_AUTH_TIMEOUT 10
#define ISSU_NC_DEF_MESSAGE_TIMEOUT 60
#define ISSU_NC_DEF_TREE_KEEP 60

/** Register the hub listener and start serving (before the hub starts). */
int issu_nc_start(const struct issu_nc_conf *conf, struct issu_nc **out);

/** SIGHUP: re-read the NACM rules file (a bad one keeps the rules in force). */
int issu_nc_reload(struct issu_nc *nc);

/** Validate a --nacm-rules file without starting anything (issud --check-config); err: "FILE: why". */
int issu_nc_nacm_check_file(const char *path, char *err, size_t errlen);

/** Stop every thread, close every session, free everything. NULL is a no-op. */
void issu_nc_stop(struct issu_nc *nc);

#endif
