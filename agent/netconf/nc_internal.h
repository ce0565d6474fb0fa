/*
 * nc_internal.h - what the files of the NETCONF face share (nc_face.h is
 * the face's public side; nothing outside agent/netconf includes this).
 *
 * The face is one room per protocol feature, all with the prefix issu_nc_
 * and the project's error codes (issu_err.h; RPC callbacks return what
 * libnetconf2 expects, an nc_server_reply):
 *   nc_server.c       lifecycle, the libyang context, worker threads, session list
 *   nc_front.c        issud's own transport: listeners, limits, one relay thread per
 *                     connection between the client and libnetconf2 (nc_framing.c)
 *   nc_ssh.c          SSH (libssh server): host key, authorized keys, public-key
 *                     authentication, the "netconf" subsystem
 *   nc_state.c        issu-state and netconf-state trees; the per-snapshot cache
 *   nc_xml.c          issu-state printed straight from a snapshot (no tree)
 *   nc_get.c          <get> and <get-config> (the whole-state reply from the cache)
 *   nc_filter.c       subtree and XPath filters -> selected copies
 *   nc_rpc.c          every other RPC, rpc-error replies, the callback table
 *   nc_notif.c        RFC 5277 subscription and notifications from hub changes
 *   nc_nacm.c         NETCONF access control (RFC 8341): the rules file, exec/read/notification decisions
 *   nc_libnetconf2.c  every workaround for libnetconf2 2.0.24 (the only interposer)
 *   nc_libyang.c      every workaround for libyang 2.1.30 on client input
 */
#ifndef ISSU_NC_INTERNAL_H
#define ISSU_NC_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libnetconf2/netconf.h>
#include <libnetconf2/messages_server.h>
#include <libnetconf2/session_server.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libyang/libyang.h>

#include "history.h"
#include "hub.h"
#include "nc_face.h"
#include "nc_framing.h"
#include "nc_xpath.h"

#define ISSU_NC_STATE_MOD "issu-agent"

/** Worker threads polling the sessions; bounded by libnetconf2 (nc_libnetconf2.c). */
#define ISSU_NC_WORKERS 5
/** One worker's nc_ps_poll() timeout (why so short: nc_libnetconf2.c, entry 5). */
#define ISSU_NC_POLL_MS 5
/** A notification's send timeout: a dead subscriber cannot hold the others. */
#define ISSU_NC_NOTIF_SEND_TIMEOUT_MS 500
/** A run of writes without progress after which the session is dropped. */
#define ISSU_NC_WRITE_STALL_MS 5000

/** How a client reached issud. */
enum issu_nc_ti { ISSU_NC_TI_UNIX, ISSU_NC_TI_SSH };

/**
 * What a relay and its libnetconf2 session share (nc_session_set_data),
 * refcounted: either may end first, and neither takes nc->mu for it (the
 * notify thread may hold it while it writes to a stalled subscriber).
 */
struct issu_nc_link {
    unsigned refs;         /**< atomic */
    int subscribed;        /**< atomic: the session has a subscription */
    int recovery;          /**< a recovery session (UNIX socket as root or issud's user): NACM bypassed */
    char user[256];        /**< who logged in (SSH user, or the UNIX peer's from SO_PEERCRED) */
    /* RFC 5277 replay and stopTime (under nc->mu) */
    int replay_pending;    /**< a replay is queued: live notifications skip the session until it ran */
    uint64_t replay_gen;   /**< live changes of a state up to this generation were replayed */
    int64_t stop_ns;       /**< stopTime (ns since the epoch); 0: none */
};

/** Drop a reference; frees on the last. NULL is a no-op. */
void issu_nc_link_put(struct issu_nc_link *l);

/** One session libnetconf2 serves (the face's list: monitoring, kill-session, notify). */
struct issu_nc_sess {
    struct nc_session *s;
    int fd;                 /**< libnetconf2's end of the socketpair (closed after the session) */
    enum issu_nc_ti ti;
    char host[64];          /**< the client's address ("" for a UNIX socket) */
    struct issu_nc_sess *next;
};

/** Reasons the front logs at most once a second each (issu_nc_ratelog). */
enum issu_nc_rl {
    ISSU_NC_RL_LIMIT,    /**< session limit reached */
    ISSU_NC_RL_HELLO,    /**< no hello in time */
    ISSU_NC_RL_AUTH,     /**< SSH authentication failed or timed out */
    ISSU_NC_RL_FRAMING,  /**< framing error or oversized message */
    ISSU_NC_RL_DROP,     /**< stalled or abandoned sessions */
    ISSU_NC_RL_NACM,     /**< operations NACM denied */
    ISSU_NC_RL_N
};

/** A rate-limited log reason: when it last printed, what it held back. */
struct issu_nc_rlstate {
    int64_t last_ms;
    unsigned suppressed;
    int level;
    char what[160];        /**< the start of the last line printed */
};

/** A hub change waiting for the notify thread (a snapshot reference). */
struct issu_nc_change {
    struct issu_events *ev; /**< the events of one change (events.h), a reference; NULL: a replay */
    uint32_t replay_sid;    /**< a replay for this session ... */
    int64_t start_ns, stop_ns; /**< ... of stored events in [start, stop) (stop 0: up to now) */
    struct issu_nc_change *next;
};

/** An authorized SSH public key and the user it logs in as. */
struct issu_nc_authkey {
    ssh_key key;
    char *user;
};

/** issu-state of one snapshot, shared read-only by the replies printing it:
 * the XML printed straight from the snapshot (nc_xml.c), and a libyang tree
 * only once a filter needs the whole of it (issu_nc_state_full). */
struct issu_nc_state {
    struct issu_snapshot *snap; /**< held: the key, compared by address */
    char *xml;                  /**< issu-state as a whole-state <get> prints it */
    size_t xml_len;
    uint64_t n_nodes;           /**< data nodes of the whole state (what an XPath filter may visit) */
    unsigned refs;              /**< the cache's own + one per reply using it (under cache_mu) */
};

/** The whole issu-state tree of one generation, for filters that can reach
 * anything (issu_nc_state_full); refcounted: the face keeps the newest one
 * while such filters keep coming, a reply holds the one it selects from. */
struct issu_nc_tree {
    unsigned refs;              /**< under tree_mu */
    uint64_t generation;        /**< of the snapshot it was built from */
    uint64_t n_nodes;
    struct lyd_node *tree;
};

/** issu-state/history's values (issu_nc_histvals): the store's totals at
 * start, added to a snapshot's own counts. */
struct issu_nc_histvals {
    int persistent;
    uint64_t negotiations_base, changed_base;
    int64_t since_ns;
};

/** The part of issu-state a filter can reach (issu_nc_filter_pick): the
 * small leaves and containers always, the running image and list entries
 * as named. */
struct issu_nc_pick {
    int all;            /**< the whole state: a filter this reading cannot bound */
    int image;          /**< running-image */
    int all_clients;    /**< every client entry (few: one per ten sessions or so); clients[] unused */
    uint32_t *clients;  /**< indexes into snap->clients, ascending, no repeats */
    uint32_t n_clients;
    uint32_t *sessions; /**< indexes into snap->sessions, in session-id order, no repeats */
    uint32_t n_sessions;
};

/** The running face: libnetconf2 keeps its callbacks global, so one per process. */
struct issu_nc {
    struct issu_nc_conf conf;
    struct ly_ctx *ctx;
    const struct lys_module *mod; /**< issu-agent */
    struct lyd_node *yanglib;     /**< RFC 8525 yang-library and modules-state of ctx (built once, read only) */
    uint64_t n_yanglib;           /**< its data nodes */
    struct nc_pollsession *ps;
    pthread_mutex_t ps_add_mu;    /**< one nc_ps_add_session at a time */
    pthread_t workers[ISSU_NC_WORKERS], notif_thr;
    int n_workers, notif_started;
    volatile int stop;

    pthread_mutex_t mu; /**< sessions, changes */
    pthread_cond_t cv;
    struct issu_nc_sess *sessions; /**< every accepted session */
    struct issu_nc_change *changes, *changes_tail;

    pthread_mutex_t cache_mu;      /**< cache pointer and every state's refs */
    pthread_mutex_t build_mu;      /**< one builder at a time: others wait for its result */
    struct issu_nc_state *cache;
    pthread_cond_t cache_cv;       /**< with cache_mu: signalled when the cache holds a new state */
    pthread_mutex_t tree_mu;       /**< tree, tree_used, every tree's refs */
    pthread_mutex_t tree_build_mu; /**< one whole-tree builder at a time */
    pthread_cond_t tree_cv;        /**< with tree_mu: a tree was built */
    struct issu_nc_tree *tree;     /**< the newest whole tree built (a reference), NULL: none kept */
    struct timespec tree_used;     /**< CLOCK_MONOTONIC: a filter last needed a whole tree */
    int want_tree;                 /**< under mu: a reader asked the notify thread for the newest tree */
    int want_warm;                 /**< under mu: a reader asked the notify thread to build the newest state */

    struct issu_nc_authkey *keys;
    size_t n_keys;
    char *host_key;
    ssh_bind sshbind;              /**< host key for every SSH session */

    /* nc_front.c */
    int unix_fd, ssh_fd;           /**< listening sockets, -1: none */
    int unix_bound;                /**< we created the socket file: unlink at stop */
    pthread_t front_thr;
    int front_started;
    unsigned n_conns;              /**< relay threads alive (under mu) */
    pthread_cond_t conns_cv;       /**< signalled when one ends */
    struct issu_nc_rlstate rl[ISSU_NC_RL_N];
    pthread_mutex_t rl_mu;

    /* nc_nacm.c */
    pthread_mutex_t nacm_mu;       /**< the nacm pointer */
    struct issu_nc_nacm *nacm;     /**< the rules in force (refcounted) */
    uint64_t nacm_denied_ops, nacm_denied_notifs; /**< atomic, since start */
};

/** The face libnetconf2's global callbacks reach (set by issu_nc_start). */
extern struct issu_nc *issu_nc_the;

/* ---- nc_server.c */
void issu_nc_log(struct issu_nc *nc, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** The libyang context the face serves (nc->ctx, nc->mod): NETCONF's and issu-agent's modules. */
int issu_nc_ctx_load(struct issu_nc *nc);
/** Log for @p reason at most once a second; says how many lines it held back. */
void issu_nc_ratelog(struct issu_nc *nc, enum issu_nc_rl reason, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Log the counts held back for a second or more (the front calls it). */
void issu_nc_ratelog_flush(struct issu_nc *nc);
/** Milliseconds of CLOCK_MONOTONIC. */
int64_t issu_nc_now_ms(void);
/** Hand a session whose hello is done to the workers (takes @p s and @p fd). */
int issu_nc_sess_serve(struct issu_nc *nc, struct nc_session *s, int fd, enum issu_nc_ti ti, const char *host);

/* ---- nc_front.c */
/** Open the listeners (UNIX socket, SSH port) and start the accept thread. */
int issu_nc_front_start(struct issu_nc *nc);
/** Stop accepting, end every relay and wait for them. */
void issu_nc_front_stop(struct issu_nc *nc);

/** One client connection, owned by its relay thread (nc_front.c). */
struct issu_nc_conn {
    struct issu_nc *nc;
    enum issu_nc_ti ti;
    int cfd;                     /**< the client's socket */
    int lfd, pfd;                /**< socketpair: the relay's end, libnetconf2's end */
    char user[256], host[64];
    ssh_session ssh;             /**< SSH only */
    ssh_channel ch;
    ssh_event ev;
    struct ssh_server_callbacks_struct scb;
    struct ssh_channel_callbacks_struct ccb;
    int lfd_in_ev;               /**< lfd is polled by ev */
    int authed, subsys, auth_failures, client_eof;
    struct issu_nc_framer in;    /**< what the client sends */
    struct issu_buf inq;         /**< framed messages on their way to libnetconf2 */
    size_t inq_off;              /**< how much of inq went out */
    char out[64 * 1024];         /**< libnetconf2's bytes on their way to the client */
    size_t out_len, out_off;
    int lib_eof;
    int failed;                  /**< a fatal error: end the relay */
    void *relay;                 /**< the relay's state (nc_front.c) */
    struct issu_nc_link *link;   /**< shared with the session (one reference) */
};

/** Bytes the client sent (the SSH channel's data callback): into the framer. */
int issu_nc_front_client_data(struct issu_nc_conn *c, const char *data, size_t len);

/* ---- nc_ssh.c */
/** Host key (generated when missing), authorized keys; *port gets the port to listen on. */
int issu_nc_ssh_setup(struct issu_nc *nc, char *addr, size_t addrlen, uint16_t *port);
/** Free what issu_nc_ssh_setup loaded. */
void issu_nc_ssh_free(struct issu_nc *nc);
/**
 * The SSH server side of @p c->cfd, until the "netconf" subsystem is open
 * or @p deadline_ms (issu_nc_now_ms) passes: key exchange, public-key
 * authentication (c->user), the session channel. Client data then reaches
 * c->in through the channel's data callback, polled by c->ev.
 */
int issu_nc_ssh_accept(struct issu_nc_conn *c, int64_t deadline_ms);
/** Close the channel and the SSH session of @p c. */
void issu_nc_ssh_close(struct issu_nc_conn *c);
/** Write what c->out holds to the channel (as much as the window takes). */
int issu_nc_ssh_flush(struct issu_nc_conn *c);
/** An authorized_keys file may not be larger, nor a line longer. */
#define ISSU_NC_AUTHKEYS_MAX_SIZE (1 << 20)
#define ISSU_NC_AUTHKEYS_MAX_LINE 16383
/**
 * Parse OpenSSH authorized_keys text (@p name for messages): one key per
 * line (no options), the user from @p user or else the key's comment up
 * to '@'. Appends to *keys / *n (the caller frees them on any result);
 * reasons go to the log. At least one key, no NUL byte, lines within the
 * limit.
 */
int issu_nc_authkeys_parse(struct issu_nc *nc, const char *name, const char *buf, size_t len, const char *user,
                           struct issu_nc_authkey **keys, size_t *n);
/** The same from a regular file of at most ISSU_NC_AUTHKEYS_MAX_SIZE bytes. */
int issu_nc_authkeys_load(struct issu_nc *nc, const char *path, const char *user, struct issu_nc_authkey **keys,
                          size_t *n);

/* ---- nc_state.c: tree helpers and the per-snapshot cache */
int issu_nc_term(struct lyd_node *p, const struct lys_module *m, const char *name, const char *v);
int issu_nc_term_u(struct lyd_node *p, const struct lys_module *m, const char *name, uint64_t v);
void issu_nc_datetime(const struct timespec *ts, char *buf, size_t len);
/** The issu-state of @p s with one reference (built on a miss). */
int issu_nc_state_get(struct issu_nc *nc, struct issu_snapshot *s, struct issu_nc_state **out);
/** A reader's issu_nc_state_get: on a miss while an older state is cached,
 * the notify thread builds @p s and the reader waits at most
 * ISSU_NC_STALE_WAIT_MS for it, then gets the older complete state (its
 * endpoint/generation says which). */
int issu_nc_state_read(struct issu_nc *nc, struct issu_snapshot *s, struct issu_nc_state **out);
#define ISSU_NC_STALE_WAIT_MS 100
/** Drop a reference; NULL is a no-op. */
void issu_nc_state_put(struct issu_nc *nc, struct issu_nc_state *x);
/** The whole issu-state tree for @p x's snapshot (one reference:
 * issu_nc_tree_put): built for it, or, while the notify thread builds it
 * (when an older tree is kept and the build takes longer than
 * ISSU_NC_STALE_WAIT_MS), the older one (its endpoint/generation says so). */
int issu_nc_state_full(struct issu_nc *nc, struct issu_nc_state *x, struct issu_nc_tree **out);
/** Drop a reference; NULL is a no-op. */
void issu_nc_tree_put(struct issu_nc *nc, struct issu_nc_tree *t);
/** The notify thread: build the newest state's tree if filters use trees,
 * drop the kept one once they stopped (conf.tree_keep, --netconf-tree-keep). */
void issu_nc_state_tree_tick(struct issu_nc *nc, int changed);
/** A new tree of the part @p pick (NULL: all) of @p s's issu-state. */
int issu_nc_state_tree(const struct lys_module *mod, const struct issu_snapshot *s, const struct issu_nc_histvals *h,
                       const struct issu_nc_pick *pick, struct lyd_node **out);
/** issu-state/history's values, NULL without a history store. */
const struct issu_nc_histvals *issu_nc_histvals(struct issu_nc *nc, struct issu_nc_histvals *buf);

/* ---- nc_xml.c */
#define ISSU_NC_STATE_NS "urn:issu-agent:yang:issu-agent"
/** @p s's issu-state as libyang prints issu_nc_state_tree(NULL) of it
 * (shrunk, with-defaults explicit), without a tree: *xml (malloc'd, NUL
 * ended, *len bytes) and the number of data nodes it holds. @p h NULL: no
 * history container. */
int issu_nc_state_xml(const struct issu_snapshot *s, const struct issu_nc_histvals *h, char **xml, size_t *len,
                      uint64_t *n_nodes);
/** A fresh ietf-netconf-monitoring netconf-state tree. */
int issu_nc_monitoring_build(struct issu_nc *nc, struct lyd_node **out);
/** nc->yanglib from the final context (after nc_server_init and the capabilities). */
int issu_nc_yanglib_build(struct issu_nc *nc);

/* ---- nc_filter.c */
/** Trees a filter selects from, in document order (each a top-level node). */
#define ISSU_NC_N_SRC 5 /* netconf-state, issu-state, the YANG library, NACM, RFC 5277 netconf/streams */
/** Whether <get>'s filter is absent or selects exactly the whole issu-state. */
int issu_nc_filter_whole_state(struct issu_nc *nc, const struct lyd_node *rpc);
/** What of issu-state <get>'s filter can reach in @p s (free with
 * issu_nc_pick_free): subtree content matches and XPath key predicates on
 * client and session become the entries they name; pick->all when the
 * filter is not read that far (a whole tree is needed). */
int issu_nc_filter_pick(struct issu_nc *nc, const struct lyd_node *rpc, const struct issu_snapshot *s,
                        struct issu_nc_pick *pick);
void issu_nc_pick_free(struct issu_nc_pick *pick);
/**
 * Apply <get>'s filter to @p data (read only; @p n_nodes nodes in all, for
 * the XPath cost bound): *out gets copies of what it selects.
 */
int issu_nc_filter_apply(struct issu_nc *nc, const struct lyd_node *rpc, const struct lyd_node *const *data,
                         uint64_t n_nodes, struct lyd_node **out, char *err, size_t errlen);
/** Data nodes of @p tree and its following siblings. */
uint64_t issu_nc_count_nodes(const struct lyd_node *tree);

/* ---- nc_get.c */
struct nc_server_reply *issu_nc_rpc_get(struct lyd_node *rpc, struct nc_session *session);
struct nc_server_reply *issu_nc_rpc_get_config(struct lyd_node *rpc, struct nc_session *session);
/** Free this worker's last whole-state reply envelope (sent by now). */
void issu_nc_get_release(struct issu_nc *nc);

/* ---- nc_rpc.c */
/** An rpc-error reply: operation-not-supported, invalid-value, else operation-failed. */
struct nc_server_reply *issu_nc_err_reply(struct issu_nc *nc, NC_ERR tag, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Set every RPC callback (get, subscribe and the others). */
int issu_nc_rpc_register(struct issu_nc *nc);

/* ---- nc_notif.c */
/** Hub listener (core thread): queues the snapshot for the notify thread. */
void issu_nc_notif_on_change(void *arg, const struct issu_snapshot *old, const struct issu_snapshot *cur,
                             const struct issu_events *ev);
/** The notify thread. */
void *issu_nc_notif_main(void *arg);
/** Free changes nobody will send (at stop). */
void issu_nc_notif_drain(struct issu_nc *nc);
struct nc_server_reply *issu_nc_rpc_subscribe(struct lyd_node *rpc, struct nc_session *session);
/** One event as its notification (verdict_reason: the state's after the event); NULL when not built. */
struct lyd_node *issu_nc_notif_render(struct issu_nc *nc, const char *verdict_reason, const struct issu_event *ev);

/* ---- nc_history.c */
/** RPC get-history. */
struct nc_server_reply *issu_nc_rpc_history(struct lyd_node *rpc, struct nc_session *session);
/** A stored event as the struct issu_event it was (pointers into @p e). */
void issu_nc_hist_event(const struct issu_hist_event *e, struct issu_event *out);
/** An optional time leaf @p name of an RPC's input (get-history's since and
 * until, create-subscription's startTime and stopTime) through the strict
 * RFC 3339 parser (libyang checked only its pattern); *ns 0 when absent. */
int issu_nc_input_time(const struct lyd_node *rpc, const char *name, int64_t *ns, int *present);
/** RFC 5277 /nc-notifications:netconf/streams: NETCONF, replay support, the replay log's start. */
int issu_nc_streams_build(struct issu_nc *nc, struct lyd_node **out);

/* ---- nc_nacm.c: NETCONF access control (RFC 8341) */
#define ISSU_NC_NACM_CREATE 1u
#define ISSU_NC_NACM_READ 2u
#define ISSU_NC_NACM_UPDATE 4u
#define ISSU_NC_NACM_DELETE 8u
#define ISSU_NC_NACM_EXEC 16u
#define ISSU_NC_NACM_ALL 31u
struct issu_nc_nacm;
/** Whom a decision is for. */
struct issu_nc_who {
    const char *user;
    int recovery;           /**< NACM bypassed (RFC 8341 2.5) */
    uint32_t sid;           /**< for the log */
};
/** Validated rules from @p len bytes of @p buf (NUL-terminated; JSON or XML; @p name for messages). */
int issu_nc_nacm_parse(struct issu_nc *nc, const char *name, const char *buf, size_t len, struct issu_nc_nacm **out,
                       char *err, size_t errlen);
/** Put @p c in force (takes it), dropping the previous rules. */
void issu_nc_nacm_install(struct issu_nc *nc, struct issu_nc_nacm *c);
/** Drop a reference to rules; NULL is a no-op. */
void issu_nc_nacm_put(struct issu_nc_nacm *c);
/* The decisions for a who rather than a session (tests, fuzzing). */
int issu_nc_nacm_exec_who(struct issu_nc *nc, const struct issu_nc_who *w, const struct lysc_node *op);
int issu_nc_nacm_notif_who(struct issu_nc *nc, const struct issu_nc_who *w, const struct lyd_node *notif);
int issu_nc_nacm_read_all_who(struct issu_nc *nc, const struct issu_nc_who *w, const char *mod);
int issu_nc_nacm_prune_who(struct issu_nc *nc, const struct issu_nc_who *w, struct lyd_node **tree);
/** Load ietf-netconf-acm into nc->ctx (issu_nc_ctx_load). */
int issu_nc_nacm_load_module(struct issu_nc *nc);
/** The rules from conf.nacm_rules, or the built-in default (a bad file: an error). */
int issu_nc_nacm_init(struct issu_nc *nc);
/** Re-read conf.nacm_rules; a bad file keeps the rules in force (logged). */
int issu_nc_nacm_reload(struct issu_nc *nc);
void issu_nc_nacm_free(struct issu_nc *nc);
/** Whether @p session may run @p op (counts a denial in denied-operations). */
int issu_nc_nacm_exec(struct issu_nc *nc, struct nc_session *session, const struct lysc_node *op);
/** The access-denied rpc-error for @p op (RFC 8341 3.4.4). */
struct nc_server_reply *issu_nc_nacm_denied_reply(struct issu_nc *nc, const struct lysc_node *op);
/** Whether @p session may read every data node of module @p mod (NULL: of every module): no pruning needed. */
int issu_nc_nacm_read_all(struct issu_nc *nc, struct nc_session *session, const char *mod);
/** Remove from @p tree (top-level siblings) what @p session may not read; on failure all of it. */
int issu_nc_nacm_prune(struct issu_nc *nc, struct nc_session *session, struct lyd_node **tree);
/** Whether @p session may receive @p notif (counts a denial in denied-notifications). */
int issu_nc_nacm_notif(struct issu_nc *nc, struct nc_session *session, const struct lyd_node *notif);
/** A fresh /nacm tree: the rules in force and the counters. */
int issu_nc_nacm_state(struct issu_nc *nc, struct lyd_node **out);

/* ---- nc_libyang.c: see that file for what each works around */
/** ISSU_OK when libyang 2.1.30 can evaluate the client's XPath @p x without harm. */
int issu_nc_ly_xpath_check(const char *x, char *err, size_t errlen);
/** lyd_find_xpath(@p tree, @p xpath, out), but a union of plain paths
 * selecting @p min nodes or more is evaluated path by path and merged in
 * document order (libyang's own union is quadratic: nc_libyang.c entry 3).
 * ISSU_ERR_INVAL when libyang refuses the expression (its message in the
 * context's log), ISSU_ERR_NOMEM. */
int issu_nc_ly_find_xpath(const struct lyd_node *tree, const char *xpath, size_t min, struct ly_set **out);
/** Nodes in all from which a union goes path by path. */
#define ISSU_NC_UNION_MIN 2048

/* ---- nc_libnetconf2.c: see that file for what each works around */
/** Find libnetconf2's code (the workarounds' scope); logs where it fails. */
int issu_nc_lnc2_init(struct issu_nc *nc);
/** Whether @p addr lies in libnetconf2's code, as the workarounds see it (tests). */
int issu_nc_lnc2_in_scope(const void *addr);
/** Whether @p addr lies in nc_ps_poll itself (the idle-wait stretch's scope; tests). */
int issu_nc_lnc2_in_ps_poll(const void *addr);
/** This thread serves sessions (workers, notify): libnetconf2's poll steps are 1 ms. */
void issu_nc_lnc2_arm_thread(int worker);
/** Splice @p xml in place of @p data's value when this thread prints its reply; NULL: none. */
void issu_nc_lnc2_splice(const struct lyd_node *data, const char *xml, size_t len);
/** The session's user as issud authenticated it (libnetconf2 2.0.24 drops it: entry 9); never NULL. */
const char *issu_nc_lnc2_username(struct nc_session *s);
/** libyang's log, to ours; mends the rpc-error text libnetconf2 sends. */
void issu_nc_lnc2_ly_log(LY_LOG_LEVEL level, const char *msg, const char *path);

#endif
