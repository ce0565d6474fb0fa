/*
 * nc_libnetconf2.c - every workaround issud needs for libnetconf2 2.0.24
 * (Debian 12's), in one place. Nothing else in issu-agent interposes a
 * symbol. Each entry says what the library does, what issud does instead,
 * whether a later libnetconf2 changed it, and the test that fails without it.
 *
 * How: issud defines a function of the same name as a library's (entries
 * 1, 2, 4 and 8; entries 7 and 9 are a design, not a hook); the
 * dynamic linker binds libnetconf2's call to issud's, which calls the real
 * one (dlsym RTLD_NEXT). Such a definition is process-wide by nature, so
 * each one acts only on calls made *from libnetconf2's own code* (the
 * return address lies in libnetconf2's executable segment, found once with
 * dladdr + dl_iterate_phdr) and, for the timing ones, only on the threads
 * that serve NETCONF sessions (issu_nc_lnc2_arm_thread). Every other caller
 * -- net-snmp on the SNMP thread, the hub, issud's own logging, libssh's
 * internals -- reaches libc or libyang unchanged.
 *
 * Why not a narrower hook: libnetconf2 2.0.24 has no poll-step setting
 * and no pre-send or post-parse hook (its io.c calls usleep(NC_TIMEOUT_STEP)
 * directly; NC_TIMEOUT_STEP is a compile-time constant; its parse and
 * print go straight to libyang). The write() and ssh_channel_write()
 * interposers of earlier versions are gone: issud owns the transport now
 * (entry 3). What the caller check leaves is usleep() called from
 * nc_ps_poll itself on NETCONF threads, and two libyang calls whose only
 * caller that changes is libnetconf2.
 *
 * Build-side workaround, for completeness: libnetconf2 2.0.24's pkg-config
 * file omits -DNC_ENABLED_SSH -DNC_ENABLED_TLS, without which the installed
 * headers hide the SSH API: agent/netconf/CMakeLists.txt adds them.
 */
#include "nc_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libnetconf2/log.h>
#include <libyang/plugins_exts.h>

#include "issu_err.h"

/* ------------------------------------------------------------ scope */

/* libnetconf2's executable segment: [lnc2_lo, lnc2_hi). 0/0 until found. */
static uintptr_t lnc2_lo, lnc2_hi;
static pthread_once_t lnc2_once = PTHREAD_ONCE_INIT;

static int find_segment(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t base = (uintptr_t)arg;
    int i;

    (void)size;
    if ((uintptr_t)info->dlpi_addr != base)
        return 0;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
            lnc2_lo = base + ph->p_vaddr;
            lnc2_hi = lnc2_lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

/* nc_ps_poll's own code: [poll_lo, poll_hi), where its idle wait lives. */
static uintptr_t poll_lo, poll_hi;

static void lnc2_locate(void)
{
    const ElfW(Sym) *sym = NULL;
    Dl_info di;
    void *fn;
    void *p = (void *)nc_ps_poll;

    memcpy(&fn, &p, sizeof(fn));
    if (dladdr1(fn, &di, (void **)&sym, RTLD_DL_SYMENT) && di.dli_fbase) {
        dl_iterate_phdr(find_segment, (void *)(uintptr_t)di.dli_fbase);
        if (sym && sym->st_size && di.dli_saddr == fn) {
            poll_lo = (uintptr_t)fn;
            poll_hi = poll_lo + sym->st_size;
        }
    }
}

/* Whether @p ret is in nc_ps_poll itself (not in what it calls). */
static int from_ps_poll(const void *ret)
{
    uintptr_t a = (uintptr_t)ret;

    pthread_once(&lnc2_once, lnc2_locate);
    return a >= poll_lo && a < poll_hi;
}

/* Whether @p ret (a return address) is in libnetconf2's code. If the
 * segment cannot be found (a static link), every caller counts: the old,
 * wider behaviour, still limited to armed threads. */
static int from_lnc2(const void *ret)
{
    uintptr_t a = (uintptr_t)ret;

    pthread_once(&lnc2_once, lnc2_locate);
    return !lnc2_hi || (a >= lnc2_lo && a < lnc2_hi);
}

int issu_nc_lnc2_in_scope(const void *addr)
{
    return from_lnc2(addr);
}

int issu_nc_lnc2_in_ps_poll(const void *addr)
{
    return from_ps_poll(addr);
}

int issu_nc_lnc2_init(struct issu_nc *nc)
{
    pthread_once(&lnc2_once, lnc2_locate);
    if (!lnc2_hi) {
        issu_nc_log(nc, LOG_WARNING, "libnetconf2's code not found: its workarounds apply to every caller on "
                                     "NETCONF threads");
        return ISSU_ERR_NOTFOUND;
    }
    if (!poll_hi)
        issu_nc_log(nc, LOG_WARNING, "nc_ps_poll's size unknown: its idle waits stay at 100 us steps");
    issu_nc_log(nc, LOG_DEBUG, "libnetconf2 workarounds scoped to its code (%zu KiB), nc_ps_poll %zu bytes",
                (size_t)(lnc2_hi - lnc2_lo) / 1024, (size_t)(poll_hi - poll_lo));
    return ISSU_OK;
}

/* The library's own definition of an interposed function, into the
 * function pointer @p fn (of @p size bytes); -1 if there is none. Threads
 * race to resolve it: atomic, and they all store the same address. */
static int real_sym(void **slot, const char *name, void *fn, size_t size)
{
    void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

    if (!f) {
        f = dlsym(RTLD_NEXT, name);
        if (!f)
            return -1;
        __atomic_store_n(slot, f, __ATOMIC_RELEASE);
    }
    memcpy(fn, &f, size); /* object to function pointer, without the ISO C warning */
    return 0;
}

/* ------------------------------------------------------------ 1. blank message: NULL envelope
 *
 * libnetconf2 2.0.24 parses each received message with lyd_parse_op()
 * (LYD_TYPE_RPC_NETCONF) and on success reads the <rpc> envelope without
 * checking that there is one: a message of only whitespace (or starting
 * with a NUL byte) parses to nothing and crashes the server (NULL
 * dereference in nc_ps_poll). issud turns "nothing parsed" into a parse
 * failure: libnetconf2 then answers malformed-message (NETCONF 1.1) or
 * drops the message (1.0), as for any other unparsable one. Upstream:
 * libnetconf2 never checks (up to 4.x the crash only moves); libyang's
 * f048ba527 (v2.1.111) fails the parse itself; Debian 12 has libyang 2.1.30.
 * Test: test_netconf.py, checks "issud survived the malformed messages" and
 * "NETCONF 1.0: a blank message gets no reply" (issud dies without it). */
typedef LY_ERR (*parse_op_fn)(const struct ly_ctx *, struct lyd_node *, struct ly_in *, LYD_FORMAT, enum lyd_type,
                              struct lyd_node **, struct lyd_node **);

LY_ERR lyd_parse_op(const struct ly_ctx *ctx, struct lyd_node *parent, struct ly_in *in, LYD_FORMAT format,
                    enum lyd_type data_type, struct lyd_node **tree, struct lyd_node **op)
{
    static void *slot;
    parse_op_fn real;
    LY_ERR r;

    if (real_sym(&slot, "lyd_parse_op", &real, sizeof(real)))
        return LY_EINT;
    r = real(ctx, parent, in, format, data_type, tree, op);
    if (r == LY_SUCCESS && data_type == LYD_TYPE_RPC_NETCONF && tree && !*tree &&
        from_lnc2(__builtin_return_address(0))) {
        if (op) {
            lyd_free_all(*op);
            *op = NULL;
        }
        return LY_EVALID;
    }
    return r;
}

/* ------------------------------------------------------------ 2. 1 KiB chunks; whole-state splice
 *
 * libnetconf2 2.0.24 prints every message it sends with lyd_print_clb()
 * into a callback that makes each write of more than 1 KiB one NETCONF 1.1
 * chunk and gathers smaller writes into chunks of at most 1 KiB. libyang
 * writes element by element, so a 10 MB reply went out as ~10,700 chunks of
 * 1 KiB, each two SSH packets; a pre-printed reply is one write, so one
 * 10 MB chunk, which ncclient's chunk parser re-reads on every 4 KiB it
 * receives (quadratic). issud gives libnetconf2's callback writes of
 * exactly PRINT_CHUNK bytes (the last one shorter): same bytes, chunks of
 * PRINT_CHUNK. Upstream: libnetconf2 3.7.10 (7024d47) buffers 10 KiB.
 * Test: test_netconf.py, check "whole-state <get>: N bytes in N chunks"
 * (fails with 1 KiB chunks: 90 of them for the example state).
 *
 * The same place splices the whole-state text (nc_get.c): libyang would
 * copy the 10 MB anydata value with vasprintf into a fresh buffer before
 * writing a byte (~50 ms of page faults per <get>). The small <rpc-reply>
 * envelope is printed around a marker and the cached text is written in its
 * place: the bytes are the same.
 * Test: test_netconf.py, check "whole-state <get> = every child of
 * issu-state selected and printed by libyang"; the time is in
 * tests/bench/netconf_get_bench.py.
 *
 * Once a write failed (the client went away mid-reply), every later write
 * is taken and dropped: libyang goes on printing the rest of the tree and
 * logged "writing data failed" for each of its writes (4 million log lines
 * for a 100,000-session reply); libnetconf2 still gets the failure at the
 * end (LY_ESYS) and logs it once.
 * Test: test_stale_get.py, check "a client gone mid-reply". */
#define PRINT_CHUNK (32 * 1024)
#define STATE_MARK "\x01issud-state\x01"

typedef LY_ERR (*print_clb_fn)(ly_write_clb, void *, const struct lyd_node *, LYD_FORMAT, uint32_t);

struct coalesce {
    ly_write_clb clb;
    void *arg;
    size_t len;
    int failed;
    char buf[PRINT_CHUNK];
};

/* what this thread's next reply splices (issu_nc_lnc2_splice) */
static _Thread_local const struct lyd_node *splice_data;
static _Thread_local const char *splice_xml;
static _Thread_local size_t splice_len;

void issu_nc_lnc2_splice(const struct lyd_node *data, const char *xml, size_t len)
{
    splice_data = data;
    splice_xml = data ? xml : NULL;
    splice_len = data ? len : 0;
}

static int coalesce_flush(struct coalesce *c)
{
    if (c->len && !c->failed && c->clb(c->arg, c->buf, c->len) < 0)
        c->failed = 1;
    c->len = 0;
    return c->failed ? -1 : 0;
}

static ssize_t coalesce_write(void *arg, const void *buf, size_t count)
{
    struct coalesce *c = arg;
    const char *p = buf;
    size_t left = count, n;

    while (left && !c->failed) {
        if (!c->len && left >= PRINT_CHUNK) { /* a whole chunk: no copy */
            if (c->clb(c->arg, p, PRINT_CHUNK) < 0)
                c->failed = 1;
            p += PRINT_CHUNK;
            left -= PRINT_CHUNK;
            continue;
        }
        n = PRINT_CHUNK - c->len < left ? PRINT_CHUNK - c->len : left;
        memcpy(c->buf + c->len, p, n);
        c->len += n;
        p += n;
        left -= n;
        if (c->len == PRINT_CHUNK)
            coalesce_flush(c);
    }
    return (ssize_t)count; /* a failure is reported once, by lyd_print_clb */
}

/* 1: printed with the spliced text. 0: not that reply, or the marker did not
 * come out once as it went in; the caller prints it the ordinary way. */
static int print_spliced(const struct lyd_node *root, LYD_FORMAT format, uint32_t options, struct coalesce *c)
{
    struct lyd_node_any *any = (struct lyd_node_any *)splice_data;
    const size_t ml = strlen(STATE_MARK);
    char *env = NULL, *m;
    LY_ERR r;

    if (!any || !root || root->schema || format != LYD_XML || lyd_child(root) != splice_data ||
        any->value_type != LYD_ANYDATA_XML || any->value.str != splice_xml)
        return 0;
    any->value.str = STATE_MARK;
    r = lyd_print_mem(&env, root, format, options);
    any->value.str = splice_xml;
    if (r != LY_SUCCESS || !env || !(m = strstr(env, STATE_MARK)) || strstr(m + ml, STATE_MARK)) {
        free(env);
        return 0;
    }
    coalesce_write(c, env, (size_t)(m - env));
    coalesce_write(c, splice_xml, splice_len);
    coalesce_write(c, m + ml, strlen(m + ml));
    free(env);
    return 1;
}

LY_ERR lyd_print_clb(ly_write_clb writeclb, void *user_data, const struct lyd_node *root, LYD_FORMAT format,
                     uint32_t options)
{
    static void *slot;
    print_clb_fn real;
    struct coalesce *c;
    LY_ERR r;

    if (real_sym(&slot, "lyd_print_clb", &real, sizeof(real)))
        return LY_EINT;
    if (!from_lnc2(__builtin_return_address(0)))
        return real(writeclb, user_data, root, format, options);
    c = malloc(sizeof(*c));
    if (!c) /* print unbuffered rather than not at all */
        return real(writeclb, user_data, root, format, options);
    c->clb = writeclb;
    c->arg = user_data;
    c->len = 0;
    c->failed = 0;
    r = print_spliced(root, format, options, c) ? LY_SUCCESS : real(coalesce_write, c, root, format, options);
    if (coalesce_flush(c) < 0 && r == LY_SUCCESS)
        r = LY_ESYS;
    free(c);
    return r;
}

/* ------------------------------------------------------------ 3. writes with no deadline (retired)
 *
 * libnetconf2 2.0.24's nc_write() retries a full socket (EAGAIN) or SSH
 * window (0 written) every 100 us with no deadline, and ignores a failure
 * in a message's final flush. issud interposed write() and
 * ssh_channel_write() to give up after 5 s. Since issud owns the transport
 * (nc_front.c), libnetconf2 writes only to its end of a socketpair; the
 * relay drops a client that reads nothing for ISSU_NC_WRITE_STALL_MS and
 * shuts the socketpair, so libnetconf2's pending write fails with EPIPE at
 * once: no interposition is needed, and none is left. Upstream: both
 * behaviours unchanged through libnetconf2 4.2.14.
 * Tests: test_netconf.py, checks "a <get> while 10 clients read nothing is
 * answered", "an SSH client that reads nothing is dropped too" and
 * "subscriber read nothing for 5 s; session dropped". */

static _Thread_local int stall_armed;
static _Thread_local int in_worker;

void issu_nc_lnc2_arm_thread(int worker)
{
    stall_armed = 1;
    in_worker = worker;
}

/* ------------------------------------------------------------ 4. busy poll in 100 us steps
 *
 * libnetconf2 2.0.24 waits in steps of usleep(NC_TIMEOUT_STEP = 100):
 * nc_ps_poll re-polls its sessions every 100 us until its timeout, so one
 * idle connected client kept a worker at ~11% of a CPU. For nc_ps_poll's
 * own calls (the return address lies in that function, whose size the
 * dynamic symbol gives) on armed threads such a step is 1 ms (~10x fewer
 * wake-ups; a new RPC waits 1 ms at most). Every other wait of
 * libnetconf2 keeps its 100 us: stretching nc_write's retry on a full
 * socketpair capped a reply at one socket buffer (~200 KB) per ms, and a
 * 10 MB <get> over the UNIX socket took 53 ms instead of ~16. Upstream:
 * unchanged through libnetconf2 4.2.14; the step is a compile-time constant.
 * Test: tests/bench/netconf_get_bench.py reports issud's idle CPU (~2.6%
 * with it, ~11% without); no ctest test, CPU shares are not asserted. */
#define POLL_STEP_US 1000

typedef int (*usleep_fn)(useconds_t);

int usleep(useconds_t usec)
{
    static void *slot;
    usleep_fn real;

    if (real_sym(&slot, "usleep", &real, sizeof(real)))
        return -1;
    if (stall_armed && usec < POLL_STEP_US && from_ps_poll(__builtin_return_address(0)))
        usec = POLL_STEP_US;
    return real(usec);
}

/* ------------------------------------------------------------ 5. pollsession queue of 6
 *
 * libnetconf2 2.0.24 queues at most NC_PS_QUEUE_SIZE (6: its build option
 * MAX_PSPOLL_THREAD_COUNT; only the queue's head polls, the others wait
 * up to 5 s) threads on one
 * pollsession: the workers and the thread adding a session. With 8 workers
 * nc_ps_add_session failed and new clients were reset, so ISSU_NC_WORKERS
 * is 5. A session being added waits for each worker's turn in that queue:
 * with 200 ms polls connecting took ~0.8 s; with 20 ms, eleven sessions
 * whose hellos finish together took up to 1 s for the last, hence
 * ISSU_NC_POLL_MS = 5 (an idle poll costs the same either way, see 4).
 * Test: test_netconf.py, check "every client that read nothing was
 * dropped" (10 sessions added while 5 workers poll). */

/* ------------------------------------------------------------ 7. framing, handshakes (nc_front.c)
 *
 * libnetconf2 2.0.24 crashes on several chunk headers ("#abc", "#0", "#",
 * "##" first: nc_server_recv_rpc_io dereferences a NULL rpc on its
 * malformed-message path; "#-1" over SSH overflows the heap), allocates
 * what a header announces, has no message size limit, and runs each SSH
 * and hello handshake on the one thread that calls nc_accept. None of it
 * can be mended by a hook: issud is the transport (nc_front.c, nc_ssh.c)
 * and hands libnetconf2 only whole, checked messages over a socketpair
 * (nc_accept_inout). Upstream: the NULL dereference moved in 2.1.0; chunk
 * size limits came in 4.2.2 (10 MiB); handshakes still run in nc_accept.
 * Tests: test_nc_framing (the headers), test_netconf.py "framing:" checks
 * on both transports, "a silent client" checks. */
_Static_assert(ISSU_NC_WORKERS < 6, "libnetconf2 2.0.24 queues at most 6 threads per pollsession");

/* ------------------------------------------------------------ 6. rpc-error text from ly_errmsg()
 *
 * libnetconf2 answers an RPC it cannot parse with ly_errmsg() alone, and
 * for a value a type plugin rejects without detail (an XPath select
 * attribute that does not parse) that is the bare "Storing value failed.":
 * the libyang log hook puts the detail logged just before into that error
 * record, so that the client reads why; an operation in a namespace no
 * module has becomes "unknown RPC: ...".
 * Test: test_netconf.py, checks "invalid XPath filter" (bad xpath
 * refused) and "unknown RPC inside <rpc> -> rpc-error". */
static _Thread_local char ly_prev[512];

void issu_nc_lnc2_ly_log(LY_LOG_LEVEL level, const char *msg, const char *path)
{
    struct issu_nc *nc = issu_nc_the;
    struct ly_err_item *e;
    char buf[1024], *m;
    int in_get, stored;

    if (!nc)
        return;
    issu_nc_log(nc, level == LY_LLERR ? LOG_ERR : level == LY_LLWRN ? LOG_WARNING : LOG_DEBUG, "libyang: %s%s%s%s",
                msg, path ? " (" : "", path ? path : "", path ? ")" : "");
    if (level != LY_LLERR || !in_worker)
        return;
    /* in <get>/<get-config> the only value a type plugin checks is the
     * filter's select attribute (yang:xpath1.0) */
    in_get = path && (strstr(path, "\"/ietf-netconf:get\"") || strstr(path, "\"/ietf-netconf:get-config\""));
    stored = !strcmp(msg, "Storing value failed.") && ly_prev[0];
    if ((stored || (in_get && !strncmp(msg, "Failed to resolve prefix", 24))) && (e = ly_err_last(nc->ctx)) &&
        e->msg && !strcmp(e->msg, msg)) {
        if (in_get)
            snprintf(buf, sizeof(buf), "invalid XPath filter (select attribute of <filter>): %s",
                     stored ? ly_prev : msg);
        else
            snprintf(buf, sizeof(buf), "invalid value (%s): %s", path ? path : "?", ly_prev);
    } else if (!strncmp(msg, "No module with namespace", 24) && (e = ly_err_last(nc->ctx)) && e->msg &&
               !strcmp(e->msg, msg)) {
        snprintf(buf, sizeof(buf), "unknown RPC: %s", msg);
    } else {
        e = NULL;
    }
    snprintf(ly_prev, sizeof(ly_prev), "%s", msg);
    /* last: @p msg may be the record's own msg, freed here (libyang frees it with free()) */
    if (e && (m = strdup(buf))) {
        free(e->msg);
        e->msg = m;
    }
}

/* ------------------------------------------------------------ 8. a data reply moved into its envelope node by node
 *
 * libnetconf2 2.0.24 sends a data reply by moving each child of the RPC's
 * output into its <rpc-reply> envelope with one lyd_insert_child() each
 * (io.c, nc_write_msg_io), printing, and moving them back. The envelope is
 * an opaque node, which has no child hash table, so libyang finds every
 * node's place by walking all children moved before it (comparing owner
 * modules): quadratic in the output's children. A check-upgrade report of
 * 20,000 clients and 20,000 sessions held a worker ~20 s, most of it here
 * (renegotiate's report has the same shape). The nodes come in the order
 * libyang keeps them, schema order, so the place found is always the end:
 * for libnetconf2's calls that put a schema node into an opaque parent
 * whose last child (if any) is a schema node of the same schema parent,
 * issud appends it with libyang's own append (lyplg_ext_insert). Moving
 * back into the RPC node (which has a hash table), error replies (opaque
 * nodes) and every other call reach libyang unchanged. libnetconf2 4.x
 * still moves the nodes this way.
 * Test: test_check_big (ctest: a 20,000-client check-upgrade within its
 * timeout) and tests/bench/check_upgrade_bench.py for the figures. */
typedef LY_ERR (*insert_child_fn)(struct lyd_node *, struct lyd_node *);

/* Whether appending @p node to opaque @p parent is where libyang would put it. */
static int append_is_place(const struct lyd_node *parent, const struct lyd_node *node)
{
    const struct lyd_node *first = lyd_child(parent), *last;

    if (parent->schema || !node->schema || (node->schema->flags & LYS_KEY) || (!node->parent && !node->prev->next) ||
        LYD_CTX(parent) != LYD_CTX(node))
        return 0; /* only a linked schema node going into an opaque one */
    if (!first)
        return 1;
    last = first->prev;
    return last->schema && lysc_data_parent(last->schema) == lysc_data_parent(node->schema);
}

LY_ERR lyd_insert_child(struct lyd_node *parent, struct lyd_node *node)
{
    static void *slot;
    insert_child_fn real;

    if (real_sym(&slot, "lyd_insert_child", &real, sizeof(real)))
        return LY_EINT;
    if (!parent || !node || !from_lnc2(__builtin_return_address(0)) || !append_is_place(parent, node))
        return real(parent, node);
    lyd_unlink_tree(node);
    return lyplg_ext_insert(parent, node);
}

/* ------------------------------------------------------------ 9. nc_accept_inout drops the username
 *
 * libnetconf2 2.0.24's nc_accept_inout() checks its username argument but
 * never stores it in the session: nc_session_get_username() returns NULL on
 * every session issud serves (they all come through nc_accept_inout, issud
 * being the transport), so ietf-netconf-monitoring showed no username and
 * NACM would have known nobody. The user issud authenticated (SSH login, or
 * the UNIX peer's uid from SO_PEERCRED) is kept in the session's own data
 * (issu_nc_link.user, set by the relay before the hello); this is the one
 * place that picks it. Not a hook: libnetconf2 is not touched. Later
 * libnetconf2 versions store the name (nc_accept_inout takes a ctx too).
 * Test: test_nacm (monitoring's usernames; rules decided per user). */
const char *issu_nc_lnc2_username(struct nc_session *s)
{
    const struct issu_nc_link *l = s ? nc_session_get_data(s) : NULL;
    const char *u = s ? nc_session_get_username(s) : NULL;

    if (l && l->user[0])
        return l->user;
    return u ? u : "";
}
