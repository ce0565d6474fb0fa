/*
 * issuctl.c - the operator's command line.
 *
 *   issuctl check --active FILE --standby FILE [--json]
 *       negotiate two images in-process and report the verdict, every
 *       client's result and reason, every session's versions/capabilities.
 *
 *   issuctl --socket PATH [--json] show issu clients | sessions [C] |
 *           negotiated version S | negotiated capability S | message types C |
 *           message groups [C] | entities C |
 *           comp-matrix [summary | negotiated | stored] | state [detail]
 *   issuctl --socket PATH renegotiate [--client C | --session S]
 *   issuctl --socket PATH check --standby FILE [--json]
 *       ask a running issud over NETCONF (libnetconf2 client, nc_client.c).
 *
 *   issuctl import [OPTIONS] CAPTURE...
 *       a manifest from captured `show issu` text (import_cmd.c).
 *
 * Exit status: 0 compatible (or a show that printed its view), 1 base-level
 * compatible, 2 incompatible, 3 bad input (usage, unreadable or invalid
 * manifest, unknown id), 4 internal error or server unreachable, 5 no
 * verdict (no peer connected: nothing negotiated, nothing to renegotiate).
 * Global options may also follow the command words (long forms, -j, -v).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <libyang/libyang.h>

#include "htime.h"
#include "import_manifest.h"
#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "issu_ncc.h"
#include "render.h"
#include "report.h"

#ifndef ISSU_VERSION
#define ISSU_VERSION "0"
#endif

/* docs/issuctl.1, EXIT STATUS */
enum { EX_COMPAT = 0, EX_BASE = 1, EX_INCOMPAT = 2, EX_BADINPUT = 3, EX_INTERNAL = 4, EX_NOVERDICT = 5 };

static int verbose;
static const char *sock_path; /* --socket: talk to issud instead of negotiating here */
static int json_out;

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: issuctl [--verbose] COMMAND ...\n"
            "\n"
            "Commands:\n"
            "  check --active FILE --standby FILE [--json]\n"
            "        Negotiate the two images' manifests (JSON or XML, YANG module\n"
            "        issu-manifest) in-process, the active endpoint with unique id 4\n"
            "        against the standby with unique id 7, and report the image\n"
            "        verdict, each client's result and reason, and each session's\n"
            "        negotiated versions and capabilities. --json prints the same\n"
            "        facts as RFC 7951 JSON of container issu-report:upgrade-report.\n"
            "\n"
            "  --socket PATH show issu clients | sessions [CLIENT] | negotiated version SESSION |\n"
            "        negotiated capability SESSION | message types CLIENT |\n"
            "        message groups [CLIENT] | entities CLIENT |\n"
            "        comp-matrix [summary | negotiated | stored] | state [detail]\n"
            "        Read the live state of issud over NETCONF on its UNIX socket and\n"
            "        print it in the router's `show issu` layout (--json: the subtree\n"
            "        of /issu-agent:issu-state as RFC 7951 JSON). `state` exits with\n"
            "        the verdict's status, as check does.\n"
            "  --socket PATH show issu history [--since TIME] [--client ID] [--limit N]\n"
            "        The negotiation history issud keeps (--state-dir): the counters\n"
            "        that survive restarts, then each round (time, trigger, verdict,\n"
            "        session counts) with its events and their reasons, oldest first.\n"
            "        TIME: RFC 3339 (2026-12-01T08:00:00Z) or an age (90m, 12h, 7d);\n"
            "        without --since, the newest N (default 1000) events and rounds.\n"
            "  --socket PATH renegotiate [--client ID | --session ID]\n"
            "        Run the renegotiate RPC and print the new verdict, with that\n"
            "        client's or session's result (every client's without either).\n"
            "  --socket PATH check --standby FILE [--json]\n"
            "        The check above through issud's check-upgrade RPC, against\n"
            "        the image issud runs as active.\n"
            "\n"
            "  import [--image-name N] [--image-version V] [-o FILE] [--format json|xml]\n"
            "         [--strict] [--knowledge FILE | --no-knowledge] [--base ID[,ID...]]\n"
            "         [--prerequisite ID=ID[,ID...]] CAPTURE...\n"
            "        Write a manifest (RFC 7951 JSON; XML with --format xml or -o FILE.xml)\n"
            "        from text captured on a router: the output of show issu clients,\n"
            "        message types, message groups, entities, sessions, negotiated\n"
            "        version and capability, and show version. Base flags and\n"
            "        prerequisites come from --base / --prerequisite, else from the\n"
            "        knowledge file (default examples/knowledge.json, $ISSU_KNOWLEDGE).\n"
            "        Unreadable lines are warnings (file, line, command); --strict makes\n"
            "        any warning exit 3 with nothing written. Captures: 128 MiB at most.\n"
            "\n"
            "Options:\n"
            "  -s, --socket PATH  issud's NETCONF UNIX socket\n"
            "  -t, --timeout S    with --socket: give up (exit 4) when issud has not\n"
            "                     answered within S seconds (default 30)\n"
            "  -j, --json     RFC 7951 JSON instead of text\n"
            "  -h, --help     this text\n"
            "  -V, --version  print the version\n"
            "  -v, --verbose  log the negotiation to stderr\n"
            "Options may also follow the command words (long forms, -j and -v).\n"
            "\n"
            "Exit status: 0 compatible (show: printed), 1 base-level compatible,\n"
            "2 incompatible, 3 bad input or unknown id, 4 internal error or issud\n"
            "unreachable, 5 no verdict: no peer connected.\n");
}

static void log_stderr(void *arg, int level, const char *msg)
{
    (void)arg;
    if (verbose || level <= LOG_WARNING)
        fprintf(stderr, "issuctl: %s\n", msg);
}

static int verdict_exit(int v)
{
    switch (v) {
    case ISSU_VERDICT_COMPATIBLE: return EX_COMPAT;
    case ISSU_VERDICT_BASE_LEVEL: return EX_BASE;
    case ISSU_VERDICT_INCOMPATIBLE: return EX_INCOMPAT;
    case ISSU_VERDICT_UNKNOWN: return EX_NOVERDICT;
    default: return EX_INTERNAL;
    }
}

/* ---- --socket: the same facts from a running issud over NETCONF ---- */

#define STATE "/issu-agent:issu-state"

/* strict decimal id in 1..UINT32_MAX */
static int parse_id(const char *s, uint32_t *id)
{
    char *end;
    unsigned long long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v == 0 || v > UINT32_MAX)
        return -1;
    *id = (uint32_t)v;
    return 0;
}

static int remote_connect(struct nc_session **s)
{
    char err[512];

    if (issu_ncc_connect(sock_path, s, err, sizeof(err)) != ISSU_OK) {
        fprintf(stderr, "issuctl: %s\n", err);
        return -1;
    }
    return 0;
}

/* rc of a NETCONF exchange -> exit status, with the message on stderr */
static int remote_fail(int rc, const char *err)
{
    if (rc == ISSU_ERR_NOTFOUND) {
        fprintf(stderr, "issuctl: %s\n", err);
        return EX_BADINPUT;
    }
    if (rc == ISSU_ERR_TRANSPORT) { /* no peer: a state of the system, not our failure */
        fprintf(stderr, "issuctl: %s (exit %d: no verdict)\n", err, EX_NOVERDICT);
        return EX_NOVERDICT;
    }
    fprintf(stderr, "issuctl: %s\n", err);
    return EX_INTERNAL;
}

static int verdict_str_exit(const char *v)
{
    if (!v)
        return EX_INTERNAL;
    if (!strcmp(v, "compatible"))
        return EX_COMPAT;
    if (!strcmp(v, "base-level-compatible"))
        return EX_BASE;
    if (!strcmp(v, "incompatible"))
        return EX_INCOMPAT;
    if (!strcmp(v, "unknown"))
        return EX_NOVERDICT;
    return EX_INTERNAL;
}

static int print_json(const struct lyd_node *tree)
{
    if (tree && lyd_print_file(stdout, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS)
        return -1;
    if (!tree)
        printf("{}\n");
    return 0;
}

enum show_kind {
    SH_CLIENTS, SH_SESSIONS, SH_NEGVER, SH_NEGCAP, SH_MSGTYPES, SH_MSGGROUPS, SH_ENTITIES, SH_MATRIX,
    SH_MATRIX_NEG, SH_MATRIX_STORED, SH_STATE
};

#define SHOW_WORDS \
    "clients | sessions [CLIENT] | negotiated version SESSION |\n" \
    "  negotiated capability SESSION | message types CLIENT | message groups [CLIENT] |\n" \
    "  entities CLIENT | comp-matrix [summary | negotiated | stored] | state [detail] |\n" \
    "  history [--since TIME] [--client ID] [--limit N]\n"

/* The command words after "show issu": the view, and the id it takes. */
static int show_words(int argc, char **argv, enum show_kind *k, const char **idarg, int *detail)
{
    const char *w0 = argc >= 1 ? argv[0] : "", *w1 = argc >= 2 ? argv[1] : "";

    *idarg = NULL;
    *detail = 0;
    if (argc == 1 && !strcmp(w0, "clients"))
        *k = SH_CLIENTS;
    else if (argc == 1 && !strcmp(w0, "comp-matrix"))
        *k = SH_MATRIX;
    else if (argc == 2 && !strcmp(w0, "comp-matrix") && !strcmp(w1, "summary"))
        *k = SH_MATRIX;
    else if (argc == 2 && !strcmp(w0, "comp-matrix") && !strcmp(w1, "negotiated"))
        *k = SH_MATRIX_NEG;
    else if (argc == 2 && !strcmp(w0, "comp-matrix") && !strcmp(w1, "stored"))
        *k = SH_MATRIX_STORED;
    else if ((argc == 1 || (argc == 2 && !strcmp(w1, "detail"))) && !strcmp(w0, "state"))
        *k = SH_STATE, *detail = argc == 2;
    else if ((argc == 1 || argc == 2) && !strcmp(w0, "sessions"))
        *k = SH_SESSIONS, *idarg = argc == 2 ? w1 : NULL;
    else if (argc == 2 && !strcmp(w0, "entities"))
        *k = SH_ENTITIES, *idarg = w1;
    else if (argc == 3 && !strcmp(w0, "negotiated") && !strcmp(w1, "version"))
        *k = SH_NEGVER, *idarg = argv[2];
    else if (argc == 3 && !strcmp(w0, "negotiated") && !strcmp(w1, "capability"))
        *k = SH_NEGCAP, *idarg = argv[2];
    else if (argc == 3 && !strcmp(w0, "message") && !strcmp(w1, "types"))
        *k = SH_MSGTYPES, *idarg = argv[2];
    else if ((argc == 2 || argc == 3) && !strcmp(w0, "message") && !strcmp(w1, "groups"))
        *k = SH_MSGGROUPS, *idarg = argc == 3 ? argv[2] : NULL;
    else
        return -1;
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    struct nc_session *ses = NULL;
    struct lyd_node *data = NULL;
    const struct lyd_node *root = NULL, *image;
    enum show_kind k;
    const char *idarg = NULL;
    char xpath[512], err[1024];
    uint32_t id = 0;
    int rc, ex = EX_INTERNAL, detail;

    if (argc < 2 || strcmp(argv[0], "issu") || show_words(argc - 1, argv + 1, &k, &idarg, &detail)) {
        fprintf(stderr, "issuctl show: expected 'show issu' followed by " SHOW_WORDS);
        return EX_BADINPUT;
    }
    if (idarg && parse_id(idarg, &id)) {
        fprintf(stderr, "issuctl show: '%s' is not an id (a number from 1 to 4294967295)\n", idarg);
        return EX_BADINPUT;
    }
    switch (k) {
    case SH_CLIENTS:
    case SH_MATRIX: snprintf(xpath, sizeof(xpath), STATE "/client"); break;
    case SH_MATRIX_NEG:
        snprintf(xpath, sizeof(xpath), STATE "/local | " STATE "/peer | " STATE "/client | " STATE "/session | " STATE
                 "/endpoint");
        break;
    case SH_MATRIX_STORED: snprintf(xpath, sizeof(xpath), STATE "/local | " STATE "/peer"); break;
    case SH_STATE:
        if (json_out) /* every session whole, no running image. Not five of each session's leaves: libyang
                       * 2.1.30 merges a union's node sets by moving arrays (quadratic), 20 s at 100,000 */
            snprintf(xpath, sizeof(xpath), STATE "/verdict | " STATE "/verdict-reason | " STATE "/summary | " STATE
                     "/local | " STATE "/peer | " STATE "/client | " STATE "/endpoint | " STATE "/session");
        else /* the text counts sessions from the summary; detail lists only these sessions. Every
              * session's leaves cost issud a whole tree: 10 s at 100,000 sessions */
            snprintf(xpath, sizeof(xpath), STATE "/verdict | " STATE "/verdict-reason | " STATE "/summary | " STATE
                     "/local | " STATE "/peer | " STATE "/client | " STATE "/endpoint%s",
                     detail ? " | " STATE "/session[result='incompatible'] | " STATE "/session[reason]" : "");
        break;
    case SH_SESSIONS:
        if (id)
            snprintf(xpath, sizeof(xpath), STATE "/client[id='%u'] | " STATE "/session[client-id='%u'] | " STATE
                     "/endpoint", id, id);
        else /* the clients too: one in one image only shows where its sessions would be */
            snprintf(xpath, sizeof(xpath), STATE "/client | " STATE "/session | " STATE "/endpoint");
        break;
    case SH_NEGVER:
    case SH_NEGCAP:
        snprintf(xpath, sizeof(xpath), STATE "/session[session-id='%u'] | " STATE "/endpoint", id);
        break;
    case SH_MSGGROUPS:
        if (!id) {
            snprintf(xpath, sizeof(xpath), STATE "/running-image/client");
            break;
        }
        /* fall through */
    case SH_MSGTYPES:
    case SH_ENTITIES: snprintf(xpath, sizeof(xpath), STATE "/running-image/client[id='%u']", id); break;
    }
    if (remote_connect(&ses))
        return EX_INTERNAL;
    rc = issu_ncc_get(ses, xpath, &data, err, sizeof(err));
    if (rc != ISSU_OK) {
        ex = remote_fail(rc, err);
        goto cleanup;
    }
    root = data && data->schema && !strcmp(data->schema->name, "issu-state") ? data : NULL;
    image = root ? issu_tree_child(root, "running-image") : NULL;
    /* unknown ids are an error in both output forms */
    if ((k == SH_SESSIONS && id && !(root && issu_tree_client(root, id))) ||
        ((k == SH_NEGVER || k == SH_NEGCAP) && !(root && issu_tree_session(root, id))) ||
        ((k == SH_MSGTYPES || k == SH_ENTITIES || (k == SH_MSGGROUPS && id)) &&
         !(image && issu_tree_child(image, "client")))) {
        fprintf(stderr, "issuctl: no %s %u in issud's state\n",
                k == SH_NEGVER || k == SH_NEGCAP ? "session" : "client", id);
        ex = EX_BADINPUT;
        goto cleanup;
    }
    if (json_out) {
        if (print_json(data))
            goto cleanup;
    } else {
        rc = ISSU_OK;
        switch (k) {
        case SH_CLIENTS: rc = root ? issu_render_clients(stdout, root) : ISSU_OK; break;
        case SH_MATRIX: rc = root ? issu_render_comp_matrix(stdout, root) : ISSU_OK; break;
        case SH_MATRIX_NEG: rc = root ? issu_render_comp_matrix_negotiated(stdout, root) : ISSU_OK; break;
        case SH_MATRIX_STORED: rc = root ? issu_render_comp_matrix_stored(stdout, root) : ISSU_OK; break;
        case SH_STATE: rc = root ? issu_render_state(stdout, root, detail) : ISSU_OK; break;
        case SH_SESSIONS: rc = root ? issu_render_sessions(stdout, root, id) : ISSU_OK; break;
        case SH_NEGVER: rc = issu_render_negotiated_version(stdout, root, id); break;
        case SH_NEGCAP: rc = issu_render_negotiated_capability(stdout, root, id); break;
        case SH_MSGTYPES: rc = issu_render_message_types(stdout, image, id); break;
        case SH_MSGGROUPS: rc = image ? issu_render_message_groups(stdout, image, id) : ISSU_OK; break;
        case SH_ENTITIES: rc = issu_render_entities(stdout, image, id); break;
        }
        if (rc != ISSU_OK)
            goto cleanup;
    }
    if (fflush(stdout) != 0) {
        perror("issuctl: stdout");
        goto cleanup;
    }
    /* state gates an upgrade as check does: its exit status is the verdict's */
    ex = k == SH_STATE ? verdict_str_exit(root ? issu_tree_str(root, "verdict", NULL) : NULL) : EX_COMPAT;
cleanup:
    lyd_free_all(data);
    if (ses)
        issu_ncc_close(ses);
    return ex;
}

/* --since: RFC 3339, or an age (N followed by s, m, h or d) before now */
static int parse_since(const char *s, char *out)
{
    unsigned long long v, mul;
    char *end;
    int64_t ns;

    if (issu_htime_parse(s, strlen(s), &ns) == ISSU_OK) {
        issu_htime_format(ns, out);
        return 0;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    if (s[0] < '0' || s[0] > '9' || errno || !mul || end[1] || v > 36500ULL * 86400 / mul)
        return -1;
    ns = issu_htime_now() - (int64_t)(v * mul) * 1000000000;
    issu_htime_format(ns > 0 ? ns : 0, out);
    return 0;
}

static int cmd_history(int argc, char **argv)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, 'S'},
        {"client", required_argument, NULL, 'c'},
        {"limit", required_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    struct nc_session *ses = NULL;
    struct lyd_node *rpc = NULL, *envp = NULL, *out = NULL;
    const struct lys_module *mod;
    const char *client = NULL, *limit = NULL;
    char since[ISSU_HTIME_LEN] = "", err[1024];
    uint32_t id;
    int c, rc, ex = EX_INTERNAL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'S' && parse_since(optarg, since)) {
            fprintf(stderr, "issuctl show issu history: --since '%s': an RFC 3339 time "
                    "(2026-12-01T08:00:00Z) or an age (90m, 12h, 7d) expected\n", optarg);
            return EX_BADINPUT;
        } else if (c == 'c' && !parse_id(optarg, &id)) {
            client = optarg;
        } else if (c == 'n' && !parse_id(optarg, &id) && id <= 100000) {
            limit = optarg;
        } else if (c != 'S') {
            fprintf(stderr, "issuctl show issu history: [--since TIME] [--client ID] [--limit 1..100000]\n");
            return EX_BADINPUT;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "issuctl show issu history: unexpected '%s'\n", argv[optind]);
        return EX_BADINPUT;
    }
    if (remote_connect(&ses))
        return EX_INTERNAL;
    mod = ly_ctx_get_module_implemented(issu_ncc_ctx(ses), "issu-agent");
    if (!mod || !lys_find_path(issu_ncc_ctx(ses), NULL, "/issu-agent:get-history", 0)) {
        fprintf(stderr, "issuctl: this issud has no get-history RPC\n");
        goto cleanup;
    }
    if (lyd_new_inner(NULL, mod, "get-history", 0, &rpc) != LY_SUCCESS ||
        (since[0] && lyd_new_term(rpc, NULL, "since", since, 0, NULL) != LY_SUCCESS) ||
        (client && lyd_new_term(rpc, NULL, "client-id", client, 0, NULL) != LY_SUCCESS) ||
        (limit && lyd_new_term(rpc, NULL, "limit", limit, 0, NULL) != LY_SUCCESS))
        goto cleanup;
    rc = issu_ncc_rpc(ses, rpc, &envp, &out, err, sizeof(err));
    rpc = NULL; /* consumed */
    if (rc != ISSU_OK) {
        ex = remote_fail(rc, err);
        goto cleanup;
    }
    if (json_out ? print_json(out) : issu_render_history(stdout, out) != ISSU_OK)
        goto cleanup;
    if (fflush(stdout) != 0) {
        perror("issuctl: stdout");
        goto cleanup;
    }
    ex = EX_COMPAT;
cleanup:
    lyd_free_tree(rpc);
    lyd_free_tree(envp);
    lyd_free_tree(out);
    if (ses)
        issu_ncc_close(ses);
    return ex;
}

/* a report output (renegotiate / check-upgrade): text or JSON, exit by
 * verdict; renegotiate of one client or session prints that one's result */
static int print_report(struct lyd_node *out, int full, uint32_t client_id, uint32_t sid)
{
    if (json_out) {
        if (print_json(out))
            return EX_INTERNAL;
    } else if ((full ? issu_render_check(stdout, out) : issu_render_renegotiated(stdout, out, client_id, sid)) !=
               ISSU_OK) {
        return EX_INTERNAL;
    }
    if (fflush(stdout) != 0) {
        perror("issuctl: stdout");
        return EX_INTERNAL;
    }
    return verdict_str_exit(issu_tree_str(out, "verdict", NULL));
}

static int cmd_renegotiate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"client", required_argument, NULL, 'c'},
        {"session", required_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    struct nc_session *ses = NULL;
    struct lyd_node *rpc = NULL, *envp = NULL, *out = NULL;
    const struct lys_module *mod;
    const char *leaf = NULL, *val = NULL;
    char err[1024];
    uint32_t id = 0;
    int c, rc, ex = EX_INTERNAL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:", opts, NULL)) != -1) {
        if ((c != 'c' && c != 's') || leaf) {
            fprintf(stderr, "issuctl renegotiate: [--client ID | --session ID]\n");
            return EX_BADINPUT;
        }
        leaf = c == 'c' ? "client-id" : "session-id";
        val = optarg;
    }
    if (optind != argc || (val && parse_id(val, &id))) {
        fprintf(stderr, "issuctl renegotiate: [--client ID | --session ID] (ids are numbers)\n");
        return EX_BADINPUT;
    }
    if (remote_connect(&ses))
        return EX_INTERNAL;
    mod = ly_ctx_get_module_implemented(issu_ncc_ctx(ses), "issu-agent");
    if (!mod) {
        fprintf(stderr, "issuctl: the server does not implement issu-agent\n");
        goto cleanup;
    }
    if (lyd_new_inner(NULL, mod, "renegotiate", 0, &rpc) != LY_SUCCESS ||
        (leaf && lyd_new_term(rpc, NULL, leaf, val, 0, NULL) != LY_SUCCESS))
        goto cleanup;
    rc = issu_ncc_rpc(ses, rpc, &envp, &out, err, sizeof(err));
    rpc = NULL; /* consumed */
    if (rc != ISSU_OK) {
        ex = remote_fail(rc, err);
        goto cleanup;
    }
    ex = print_report(out, 0, leaf && leaf[0] == 'c' ? id : 0, leaf && leaf[0] == 's' ? id : 0);
cleanup:
    lyd_free_tree(rpc);
    lyd_free_tree(envp);
    lyd_free_tree(out);
    if (ses)
        issu_ncc_close(ses);
    return ex;
}

static int remote_check(const char *standby)
{
    struct nc_session *ses = NULL;
    struct ly_ctx *lctx = NULL;
    struct issu_image *img = NULL;
    struct lyd_node *cand = NULL, *rpc = NULL, *envp = NULL, *out = NULL;
    const struct lys_module *mod;
    char err[1024], *xml = NULL, *data = NULL;
    size_t len = 0;
    int rc, ex = EX_INTERNAL;

    /* validate here first, so a bad file reads exactly as in the offline check */
    if (issu_ly_ctx_new(&lctx) != ISSU_OK) {
        fprintf(stderr, "issuctl: cannot load the YANG modules (set ISSU_YANG_DIR?)\n");
        goto cleanup;
    }
    /* one read (never blocking: a FIFO is refused at once), validated and re-encoded from the same bytes */
    if (issu_manifest_read_file(standby, &data, &len, err, sizeof(err)) != ISSU_OK ||
        issu_manifest_load_file_data(lctx, standby, data, len, &img, err, sizeof(err)) != ISSU_OK) {
        fprintf(stderr, "issuctl: %s\n", err);
        ex = EX_BADINPUT;
        goto cleanup;
    }
    if (lyd_parse_data_mem(lctx, data, issu_manifest_format_of(standby, data, len) == ISSU_MANIFEST_JSON ? LYD_JSON
                                                                                                     : LYD_XML,
                           LYD_PARSE_ONLY | LYD_PARSE_STRICT, 0, &cand) != LY_SUCCESS ||
        lyd_print_mem(&xml, cand, LYD_XML, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) != LY_SUCCESS) {
        fprintf(stderr, "issuctl: %s: cannot re-encode the manifest\n", standby);
        goto cleanup;
    }
    if (remote_connect(&ses))
        goto cleanup;
    mod = ly_ctx_get_module_implemented(issu_ncc_ctx(ses), "issu-agent");
    if (!mod) {
        fprintf(stderr, "issuctl: the server does not implement issu-agent\n");
        goto cleanup;
    }
    if (lyd_new_inner(NULL, mod, "check-upgrade", 0, &rpc) != LY_SUCCESS ||
        lyd_new_any(rpc, NULL, "candidate", xml, 1, LYD_ANYDATA_XML, 0, NULL) != LY_SUCCESS)
        goto cleanup;
    xml = NULL; /* the node owns it */
    rc = issu_ncc_rpc(ses, rpc, &envp, &out, err, sizeof(err));
    rpc = NULL;
    if (rc != ISSU_OK) {
        ex = remote_fail(rc, err);
        goto cleanup;
    }
    ex = print_report(out, 1, 0, 0);
cleanup:
    free(xml);
    lyd_free_tree(rpc);
    lyd_free_tree(envp);
    lyd_free_tree(out);
    lyd_free_all(cand);
    issu_image_free(img);
    free(data);
    if (ses)
        issu_ncc_close(ses);
    ly_ctx_destroy(lctx);
    return ex;
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        {"active", required_argument, NULL, 'a'},
        {"standby", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *active = NULL, *standby = NULL;
    struct issu_image *ai = NULL, *si = NULL;
    struct issu_snapshot *snap = NULL;
    struct ly_ctx *ctx = NULL;
    struct lyd_node *tree = NULL;
    char err[1024];
    int c, rc, ex = EX_INTERNAL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "a:s:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': active = optarg; break;
        case 's': standby = optarg; break;
        case 'j': json_out = 1; break;
        case 'h': usage(stdout); return EX_COMPAT;
        default: usage(stderr); return EX_BADINPUT;
        }
    }
    if (sock_path) {
        if (active || !standby || optind != argc) {
            fprintf(stderr, "issuctl check: with --socket, needs --standby FILE only (issud's image is the active)\n");
            return EX_BADINPUT;
        }
        return remote_check(standby);
    }
    if (!active || !standby || optind != argc) {
        fprintf(stderr, "issuctl check: needs --active FILE and --standby FILE\n");
        return EX_BADINPUT;
    }
    if (issu_ly_ctx_new(&ctx) != ISSU_OK || issu_report_load(ctx) != ISSU_OK) {
        fprintf(stderr, "issuctl: cannot load the YANG modules (set ISSU_YANG_DIR?)\n");
        goto cleanup;
    }
    /* both manifests are checked before anything is negotiated */
    if (issu_manifest_load_file(ctx, active, &ai, err, sizeof(err)) != ISSU_OK ||
        issu_manifest_load_file(ctx, standby, &si, err, sizeof(err)) != ISSU_OK) {
        fprintf(stderr, "issuctl: %s\n", err);
        ex = EX_BADINPUT;
        goto cleanup;
    }
    rc = issu_mem_negotiate(ai, 4, si, 7, log_stderr, NULL, &snap, NULL);
    if (rc != ISSU_OK) {
        fprintf(stderr, "issuctl: negotiation failed: %s\n", issu_strerror(rc));
        goto cleanup;
    }
    if (issu_report_new(ctx, snap, &tree) != ISSU_OK) {
        fprintf(stderr, "issuctl: cannot build the report tree\n");
        goto cleanup;
    }
    if (json_out) {
        if (lyd_print_file(stdout, tree, LYD_JSON, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS)
            goto cleanup;
    } else {
        issu_render_check(stdout, tree);
    }
    if (fflush(stdout) != 0) {
        perror("issuctl: stdout");
        goto cleanup;
    }
    ex = verdict_exit(snap->verdict);

cleanup:
    lyd_free_all(tree);
    issu_snapshot_unref(snap);
    issu_image_free(ai);
    issu_image_free(si);
    ly_ctx_destroy(ctx);
    return ex;
}

/* --timeout: issud that does not answer is an error, not a hang. A
 * watchdog thread, not alarm(): libnetconf2's client blocks every signal
 * while it waits for the server's hello. */
static unsigned timeout_s = 30;

static void *watchdog(void *arg)
{
    static const char msg[] = "issuctl: issud did not answer in time (--timeout): is it stuck?\n";
    struct timespec t = {.tv_sec = (time_t)timeout_s};

    (void)arg;
    while (nanosleep(&t, &t) < 0)
        ;
    if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
        /* nothing more to say */
    }
    _exit(EX_INTERNAL);
    return NULL;
}

/* A global option at argv[*i]: 1 consumed (with its value), 0 not one, -1
 * bad. After the command words (@p tail) only long forms, -j and -v: -s
 * and -t are --session / --standby there. */
static int global_opt(int argc, char **argv, int *i, int tail)
{
    const char *a = argv[*i];
    char *end;
    unsigned long t;

    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
        verbose = 1;
    } else if (!strcmp(a, "-j") || !strcmp(a, "--json")) {
        json_out = 1;
    } else if ((!tail && !strcmp(a, "-s")) || !strcmp(a, "--socket")) {
        if (++*i >= argc) {
            fprintf(stderr, "issuctl: --socket needs a PATH\n");
            return -1;
        }
        sock_path = argv[*i];
    } else if ((!tail && !strcmp(a, "-t")) || !strcmp(a, "--timeout")) {
        errno = 0;
        t = ++*i < argc ? strtoul(argv[*i], &end, 10) : 0;
        if (*i >= argc || argv[*i][0] < '0' || argv[*i][0] > '9' || *end || errno || !t || t > 86400) {
            fprintf(stderr, "issuctl: --timeout needs SECONDS (1..86400)\n");
            return -1;
        }
        timeout_s = (unsigned)t;
    } else {
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    int i = 1, j, n, r, sub_argc;
    char **sub;

    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EX_COMPAT;
        } else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
            printf("issuctl %s\n", ISSU_VERSION);
            return EX_COMPAT;
        }
        r = global_opt(argc, argv, &i, 0);
        if (r < 0)
            return EX_BADINPUT;
        if (r == 0) {
            fprintf(stderr, "issuctl: unknown option %s\n", argv[i]);
            usage(stderr);
            return EX_BADINPUT;
        }
        i++;
    }
    if (i >= argc) {
        usage(stderr);
        return EX_BADINPUT;
    }
    /* `show issu clients --json`: global options after the command words
     * too; what is left goes to the command (argv stays NULL-terminated) */
    sub = calloc((size_t)(argc - i + 1), sizeof(*sub));
    if (!sub) {
        fprintf(stderr, "issuctl: out of memory\n");
        return EX_INTERNAL;
    }
    for (j = i, n = 0; j < argc; j++) {
        if (!strcmp(argv[j], "--")) {
            while (++j < argc)
                sub[n++] = argv[j];
            break;
        }
        r = j > i ? global_opt(argc, argv, &j, 1) : 0;
        if (r < 0) {
            free(sub);
            return EX_BADINPUT;
        }
        if (r == 0)
            sub[n++] = argv[j];
    }
    sub_argc = n;
    if (sock_path) { /* the whole exchange with issud, connection included */
        pthread_t wd;
        issu_ncc_set_timeout(timeout_s); /* each reply too (was 10 s whatever --timeout said) */
        if (pthread_create(&wd, NULL, watchdog, NULL) == 0)
            pthread_detach(wd);
    }
    if (!strcmp(sub[0], "check")) {
        r = cmd_check(sub_argc, sub);
    } else if (!strcmp(sub[0], "import")) {
        r = issu_import_main(sub_argc, sub);
    } else if (!strcmp(sub[0], "show") || !strcmp(sub[0], "renegotiate")) {
        if (!sock_path) {
            fprintf(stderr, "issuctl %s: needs --socket PATH (issud's NETCONF socket)\n", sub[0]);
            r = EX_BADINPUT;
        } else if (!strcmp(sub[0], "show") && sub_argc >= 3 && !strcmp(sub[1], "issu") &&
                   !strcmp(sub[2], "history")) {
            r = cmd_history(sub_argc - 2, sub + 2);
        } else if (!strcmp(sub[0], "show")) {
            for (j = 1; j < sub_argc && sub[j][0] != '-'; j++)
                ;
            if (j < sub_argc) {
                fprintf(stderr, "issuctl show: unknown option %s: the options of show are --socket PATH, "
                                "--json and --timeout S, before or after the command words\n", sub[j]);
                r = EX_BADINPUT;
            } else {
                r = cmd_show(sub_argc - 1, sub + 1);
            }
        } else {
            r = cmd_renegotiate(sub_argc, sub);
        }
    } else {
        fprintf(stderr, "issuctl: unknown command '%s'\n", sub[0]);
        usage(stderr);
        r = EX_BADINPUT;
    }
    free(sub);
    return r;
}
