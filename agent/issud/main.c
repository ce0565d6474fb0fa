/*
 * main.c - issud: the ISSU negotiation daemon.
 *
 * Parses the command line, starts the hub (core thread: the embedded pair of
 * endpoints, or in peer mode one endpoint and its TCP link to another issud)
 * and the faces (NETCONF, SNMP AgentX), then waits on a signalfd:
 * SIGHUP reloads the manifests, SIGTERM/SIGINT stop everything cleanly.
 * Signals are blocked in every thread, so no work ever runs in a handler.
 * Foreground only; logs go to stderr with a timestamp and a level, or with
 * a "<N>" priority prefix when stderr is the journal. Under systemd
 * (Type=notify) it reports READY=1 once every face serves, RELOADING=1 and
 * READY=1 around a SIGHUP and STOPPING=1 (notify.c).
 */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "datadir.h"
#include "hub.h"
#include "issu_err.h"
#include "notify.h"
#include "issud_conf.h"

#ifdef HAVE_ISSU_NETCONF
#include "nc_face.h"
#else /* for --help only */
#define ISSU_NC_DEF_UNIX_MODE 0660
#define ISSU_NC_DEF_MAX_SESSIONS 64
#define ISSU_NC_DEF_MAX_MESSAGE (64u << 20)
#define ISSU_NC_DEF_HELLO_TIMEOUT 10
#define ISSU_NC_DEF_AUTH_TIMEOUT 10
#define ISSU_NC_DEF_MESSAGE_TIMEOUT 60
#define ISSU_NC_XPATH_DEF_MAX_COST 2000000ULL
#endif
#ifdef HAVE_ISSU_SNMP
#include "snmp_face.h"
#endif

#ifndef ISSU_VERSION
#define ISSU_VERSION "0"
#endif
/* the example images: installed, unpacked or in the source tree (datadir.h) */
static char images_dir[ISSU_DATA_PATH_MAX];
static char default_active[ISSU_DATA_PATH_MAX + 32], default_standby[ISSU_DATA_PATH_MAX + 32];

static int log_max = LOG_INFO;
static int log_journal; /* stderr is the journal: it stamps the time itself */

static const char *level_name(int level)
{
    switch (level) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "CRIT";
    case LOG_ERR: return "ERROR";
    case LOG_WARNING: return "WARN";
    case LOG_NOTICE: return "NOTICE";
    case LOG_INFO: return "INFO";
    default: return "DEBUG";
    }
}

/* One line per message, written with one call so threads do not interleave. */
static void log_stderr(void *arg, int level, const char *msg)
{
    char ts[40], line[1400];
    struct timespec now;
    struct tm tm;

    (void)arg;
    if (level > log_max)
        return;
    if (log_journal) {
        snprintf(line, sizeof(line), "<%d>%s\n", level & 7, msg);
        fputs(line, stderr);
        return;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(line, sizeof(line), "%s.%03ld issud %s: %s\n", ts, now.tv_nsec / 1000000L, level_name(level),
             msg);
    fputs(line, stderr);
}

static void logf_(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(int level, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    log_stderr(NULL, level, buf);
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: issud [OPTIONS]\n"
            "\n"
            "The ISSU negotiation daemon. The embedded default runs the active and the\n"
            "standby endpoint in one process over the in-memory transport and shows\n"
            "the active endpoint's view (unique ids 4 and 7).\n"
            "\n"
            "Embedded pair (the default):\n"
            "  -a, --active FILE             active image manifest (JSON/XML, YANG issu-manifest)\n"
            "                                default: %s/running.json\n"
            "  -s, --standby FILE            standby image manifest\n"
            "                                default: %s/upgrade-compatible.json\n"
            "\n"
            "Peer mode (one endpoint; the peer is another issud over TCP):\n"
            "  -m, --manifest FILE           this endpoint's image manifest\n"
            "  -i, --unique-id N             this endpoint's unique id (1..4294967295);\n"
            "                                the smaller of the two is PRIMARY\n"
            "  -l, --listen ADDR:PORT        wait for the peer (e.g. 127.0.0.1:7000, [::1]:7000)\n"
            "  -p, --peer ADDR:PORT          connect to the peer (reconnects with backoff)\n"
            "  -P, --psk-file FILE           pre-shared key (16..4096 bytes, one trailing newline\n"
            "                                stripped; refused if group/others can access it)\n"
            "      --side active|standby     which side this endpoint is; default: active\n"
            "                                with --listen, standby with --peer\n"
            "      --peer-pending-max N      with --listen: connections authenticating at once\n"
            "                                (1..%d, default %d); when all are taken a new one\n"
            "                                replaces the oldest of the busiest host\n"
            "      --peer-auth-timeout S     seconds a connection has to authenticate\n"
            "                                (1..%d, default %d)\n"
            "\n"
            "Faces and the rest:\n"
            "  -u, --netconf-unix PATH       serve NETCONF on a UNIX socket (refused when another\n"
            "                                issud serves PATH; a stale socket is replaced)\n"
            "      --netconf-unix-mode MODE  its permission bits, octal, owner rw at least;\n"
            "                                default %04o\n"
            "      --netconf-unix-group GROUP\n"
            "                                its group (name or number); default: the\n"
            "                                process's group\n"
            "  -S, --netconf-ssh ADDR:PORT   serve NETCONF over SSH (e.g. 127.0.0.1:830)\n"
            "  -k, --ssh-host-key FILE       SSH host key (PEM); generated when missing\n"
            "  -K, --ssh-authorized-keys FILE\n"
            "                                OpenSSH authorized_keys: public-key auth only;\n"
            "                                each key's user is its comment up to any '@'\n"
            "  -U, --ssh-user NAME           accept every key in the file for user NAME instead\n"
            "      --nacm-rules FILE         NETCONF access control (RFC 8341): ietf-netconf-acm\n"
            "                                data (JSON or XML), re-read on SIGHUP; default: all\n"
            "                                read, renegotiate/kill-session only for root and\n"
            "                                issud's own user on the UNIX socket\n"
            "\n"
            "NETCONF limits (each logged, at most once a second, when it triggers):\n"
            "      --netconf-max-sessions N  connections at once, logins in progress included;\n"
            "                                default %d\n"
            "      --netconf-max-message SIZE\n"
            "                                largest message a client may send (bytes, or with\n"
            "                                K, M or G); default %uM\n"
            "      --netconf-hello-timeout S seconds from connection (SSH: login) to the client's\n"
            "                                hello; default %d\n"
            "      --netconf-auth-timeout S  seconds for an SSH login and the netconf subsystem;\n"
            "                                default %d\n"
            "      --netconf-message-timeout S\n"
            "                                seconds a started message may take to arrive whole;\n"
            "                                default %d\n"
            "      --netconf-xpath-max-cost N\n"
            "                                node visits an XPath filter with a path from the\n"
            "                                root inside a predicate may make (estimated before\n"
            "                                it runs); default %llu\n"
            "      --netconf-tree-keep S     seconds the whole issu-state tree (~6.7 KB a session) is\n"
            "                                kept, and rebuilt on changes, after the last filter\n"
            "                                that needed it (filters naming their clients or\n"
            "                                sessions never do); default %d\n"
            "\n"
            "History (negotiation rounds and events, SQLite):\n"
            "      --state-dir DIR           keep the history in DIR/history.db (survives restarts);\n"
            "                                without it the history is kept in memory only\n"
            "      --history-max-age AGE     drop rounds and events older than AGE (seconds, or with\n"
            "                                s, m, h or d); default 30d\n"
            "      --history-max-events N    keep at most N events and N rounds; default %llu\n"
            "      --require-history         refuse to start when DIR/history.db cannot be used\n"
            "                                (otherwise: logged, history kept in memory only)\n"
            "\n"
            "  -x, --agentx SOCKET           serve ISSU-NEGOTIATION-MIB as an AgentX subagent\n"
            "                                of the snmpd at SOCKET ('/path', 'tcp:HOST:PORT')\n"
            "      --agentx-impl own|netsnmp the subagent: issud's own RFC 2741 one (default) or\n"
            "                                net-snmp's agent library\n"
            "  -v, --verbose                 debug logging\n"
            "      --config FILE             read options from FILE: one 'key = value' a line,\n"
            "                                key = a long option's name, '#' comments, a flag\n"
            "                                takes true/false; the command line wins\n"
            "      --check-config            validate the options (and --config FILE), print the\n"
            "                                effective configuration and where each value came\n"
            "                                from, exit 0 (valid) or 1\n"
            "  -h, --help                    this text\n"
            "  -V, --version                 print the version\n"
            "\n"
            "At least one face (--netconf-unix, --netconf-ssh or --agentx) is required.\n"
            "\n"
            "Signals: SIGHUP re-reads the manifests (both, or --manifest in peer mode) and\n"
            "the --nacm-rules file (a bad one keeps the rules in force), and\n"
            "renegotiates (a manifest that fails to load, or is no regular file, leaves the\n"
            "running state as it was); SIGTERM/SIGINT stop.\n"
            "Exit status: 0 stopped, 1 could not start, 2 usage error, 3 a manifest or the\n"
            "key file was refused (unreadable, not a regular file, too large, invalid).\n",
            images_dir, images_dir, ISSU_HUB_PEER_PENDING_MAX, ISSU_HUB_PEER_PENDING_DEFAULT,
            ISSU_HUB_PEER_AUTH_MS_MAX / 1000, ISSU_HUB_PEER_AUTH_MS_DEFAULT / 1000, ISSU_NC_DEF_UNIX_MODE,
            ISSU_NC_DEF_MAX_SESSIONS,
            ISSU_NC_DEF_MAX_MESSAGE >> 20, ISSU_NC_DEF_HELLO_TIMEOUT, ISSU_NC_DEF_AUTH_TIMEOUT,
            ISSU_NC_DEF_MESSAGE_TIMEOUT, (unsigned long long)ISSU_NC_XPATH_DEF_MAX_COST, ISSU_NC_DEF_TREE_KEEP,
            (unsigned long long)ISSU_HIST_DEF_MAX_EVENTS);
}

/* A whole number from @p min to @p max, with an optional K/M/G (x1024)
 * suffix when @p suffix; 0 and the message on failure. */
static int parse_num(const char *opt, const char *s, unsigned long long min, unsigned long long max, int suffix,
                     unsigned long long *out)
{
    unsigned long long v, mul = 1;
    char *end;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (suffix && *end && !end[1]) {
        mul = *end == 'K' || *end == 'k' ? 1ULL << 10 : *end == 'M' ? 1ULL << 20 : *end == 'G' ? 1ULL << 30 : 0;
        if (mul)
            end++;
    }
    if (s[0] < '0' || s[0] > '9' || *end || errno || !mul || v > max / mul || v * mul < min || v * mul > max) {
        fprintf(stderr, "issud: %s '%s': a whole number from %llu to %llu%s expected\n", opt, s, min, max,
                suffix ? " (bytes; K, M, G allowed)" : "");
        return ISSU_ERR_INVAL;
    }
    *out = v * mul;
    return ISSU_OK;
}

/* --netconf-unix-mode: 1 to 4 octal digits, at most 0777, owner read and
 * write kept (issud's own user and root must reach it). */
static int parse_mode(const char *s, unsigned *out)
{
    unsigned v = 0;
    size_t i, n = strlen(s);

    for (i = 0; i < n && s[i] >= '0' && s[i] <= '7'; i++)
        v = v * 8 + (unsigned)(s[i] - '0');
    if (!n || n > 4 || i != n || v > 0777 || (v & 0600) != 0600) {
        fprintf(stderr, "issud: --netconf-unix-mode '%s': octal permission bits from 0600 to 0777 "
                "expected (the owner keeps read and write)\n", s);
        return ISSU_ERR_INVAL;
    }
    *out = v;
    return ISSU_OK;
}

/* --netconf-unix-group: a group name, or a number that names a group. */
static int parse_group(const char *s, unsigned *out)
{
    struct group gr, *res = NULL;
    char buf[16384], *end;
    unsigned long v;

    if (*s >= '0' && *s <= '9') {
        errno = 0;
        v = strtoul(s, &end, 10);
        if (!*end && !errno && v <= UINT32_MAX - 1) {
            *out = (unsigned)v;
            return ISSU_OK;
        }
    } else if (getgrnam_r(s, &gr, buf, sizeof(buf), &res) == 0 && res) {
        *out = (unsigned)res->gr_gid;
        return ISSU_OK;
    }
    fprintf(stderr, "issud: --netconf-unix-group '%s': no such group (a name or a number expected)\n", s);
    return ISSU_ERR_INVAL;
}

/* --history-max-age: a whole number of seconds, or with s, m, h or d. */
static int parse_age(const char *s, unsigned long long *out)
{
    unsigned long long v, mul = 1;
    char *end;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end && !end[1]) {
        mul = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
        end++;
    }
    if (s[0] < '0' || s[0] > '9' || *end || errno || !mul || !v || v > 36500ULL * 86400 / mul) {
        fprintf(stderr, "issud: --history-max-age '%s': seconds from 1 to 100 years expected (s, m, h, d "
                "allowed: 90m, 7d)\n", s);
        return ISSU_ERR_INVAL;
    }
    *out = v * mul;
    return ISSU_OK;
}

struct opts {
    const char *active, *standby;
    const char *manifest, *listen, *peer, *psk_file, *side_s, *uid_s;
    uint32_t uid;
    enum issu_side side;
    int peer_mode;
    const char *nc_unix, *nc_ssh, *host_key, *auth_keys, *ssh_user;
    unsigned nc_unix_mode, nc_unix_gid;
    int nc_unix_mode_set, nc_unix_group_set;
    const char *agentx;
    int agentx_set;
    int agentx_netsnmp; /* --agentx-impl netsnmp */
    unsigned long long nc_max_sessions, nc_max_message, nc_hello_to, nc_auth_to, nc_msg_to, nc_xpath_cost,
        nc_tree_keep;
    unsigned long long peer_pending_max, peer_auth_to; /* 0: the default */
    const char *config, *nacm_rules;
    int check_config;
    const char *state_dir;
    unsigned long long hist_max_age, hist_max_events; /* 0: the default */
    int require_history;
};

/* A daemon nobody can reach serves no one: refuse it. */
static int need_face(const struct opts *o)
{
    if (o->nc_unix || o->nc_ssh || o->agentx_set)
        return ISSU_OK;
    fprintf(stderr, "issud: no face to serve: give at least one of --netconf-unix PATH, --netconf-ssh "
            "ADDR:PORT or --agentx SOCKET (see issud --help)\n");
    return ISSU_ERR_INVAL;
}

/* Where each option of the table got its value (--check-config). */
#define OPT_MAX 256
static const struct option *opt_table;
static const char *opt_val[OPT_MAX];
static char opt_src[OPT_MAX][96];
static const char *cur_src = "command line";

/* The command line is parsed first, then the file's lines it did not override. */
static void opt_seen(int c, int li, const char *arg)
{
    int i;

    if (li < 0)
        for (i = 0; opt_table && opt_table[i].name; i++)
            if (opt_table[i].val == c) {
                li = i;
                break;
            }
    if (li < 0 || li >= OPT_MAX)
        return;
    opt_val[li] = arg ? arg : "true";
    snprintf(opt_src[li], sizeof(opt_src[li]), "%s", cur_src);
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option lopts[] = {
        {"active", required_argument, NULL, 'a'},
        {"standby", required_argument, NULL, 's'},
        {"netconf-unix", required_argument, NULL, 'u'},
        {"netconf-ssh", required_argument, NULL, 'S'},
        {"ssh-host-key", required_argument, NULL, 'k'},
        {"ssh-authorized-keys", required_argument, NULL, 'K'},
        {"ssh-user", required_argument, NULL, 'U'},
        {"agentx", required_argument, NULL, 'x'},
        {"agentx-impl", required_argument, NULL, 1500},
        {"manifest", required_argument, NULL, 'm'},
        {"unique-id", required_argument, NULL, 'i'},
        {"listen", required_argument, NULL, 'l'},
        {"peer", required_argument, NULL, 'p'},
        {"psk-file", required_argument, NULL, 'P'},
        {"side", required_argument, NULL, 1000},
        {"netconf-max-sessions", required_argument, NULL, 1001},
        {"netconf-max-message", required_argument, NULL, 1002},
        {"netconf-hello-timeout", required_argument, NULL, 1003},
        {"netconf-auth-timeout", required_argument, NULL, 1004},
        {"netconf-message-timeout", required_argument, NULL, 1005},
        {"netconf-xpath-max-cost", required_argument, NULL, 1010},
        {"netconf-tree-keep", required_argument, NULL, 1600},
        {"netconf-unix-mode", required_argument, NULL, 1011},
        {"netconf-unix-group", required_argument, NULL, 1012},
        {"peer-pending-max", required_argument, NULL, 1006},
        {"peer-auth-timeout", required_argument, NULL, 1007},
        {"config", required_argument, NULL, 1200},
        {"check-config", no_argument, NULL, 1201},
        {"nacm-rules", required_argument, NULL, 1202},
        {"state-dir", required_argument, NULL, 1100},
        {"history-max-age", required_argument, NULL, 1101},
        {"history-max-events", required_argument, NULL, 1102},
        {"require-history", no_argument, NULL, 1103},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c, li = -1;

    opt_table = lopts;
    while ((c = getopt_long(argc, argv, "a:s:u:S:k:K:U:x:m:i:l:p:P:vhV", lopts, &li)) != -1) {
        if (c != '?')
            opt_seen(c, li, optarg);
        li = -1;
        switch (c) {
        case 'a': o->active = optarg; break;
        case 's': o->standby = optarg; break;
        case 'u': o->nc_unix = optarg; break;
        case 'S': o->nc_ssh = optarg; break;
        case 'k': o->host_key = optarg; break;
        case 'K': o->auth_keys = optarg; break;
        case 'U': o->ssh_user = optarg; break;
        case 'x': o->agentx = optarg; o->agentx_set = 1; break;
        case 'm': o->manifest = optarg; break;
        case 'i': o->uid_s = optarg; break;
        case 'l': o->listen = optarg; break;
        case 'p': o->peer = optarg; break;
        case 'P': o->psk_file = optarg; break;
        case 1000: o->side_s = optarg; break;
        case 1500:
            if (strcmp(optarg, "own") && strcmp(optarg, "netsnmp")) {
                fprintf(stderr, "issud: --agentx-impl %s: want own or netsnmp\n", optarg);
                return ISSU_ERR_INVAL;
            }
            o->agentx_netsnmp = !strcmp(optarg, "netsnmp");
            break;
        case 1001:
            if (parse_num("--netconf-max-sessions", optarg, 1, 100000, 0, &o->nc_max_sessions))
                return ISSU_ERR_INVAL;
            break;
        case 1002:
            if (parse_num("--netconf-max-message", optarg, 4096, 1ULL << 32, 1, &o->nc_max_message))
                return ISSU_ERR_INVAL;
            break;
        case 1003:
            if (parse_num("--netconf-hello-timeout", optarg, 1, 3600, 0, &o->nc_hello_to))
                return ISSU_ERR_INVAL;
            break;
        case 1004:
            if (parse_num("--netconf-auth-timeout", optarg, 1, 3600, 0, &o->nc_auth_to))
                return ISSU_ERR_INVAL;
            break;
        case 1005:
            if (parse_num("--netconf-message-timeout", optarg, 1, 86400, 0, &o->nc_msg_to))
                return ISSU_ERR_INVAL;
            break;
        case 1010:
            if (parse_num("--netconf-xpath-max-cost", optarg, 1, 1ULL << 62, 0, &o->nc_xpath_cost))
                return ISSU_ERR_INVAL;
            break;
        case 1600:
            if (parse_num("--netconf-tree-keep", optarg, 1, 86400, 0, &o->nc_tree_keep))
                return ISSU_ERR_INVAL;
            break;
        case 1011:
            if (parse_mode(optarg, &o->nc_unix_mode))
                return ISSU_ERR_INVAL;
            o->nc_unix_mode_set = 1;
            break;
        case 1012:
            if (parse_group(optarg, &o->nc_unix_gid))
                return ISSU_ERR_INVAL;
            o->nc_unix_group_set = 1;
            break;
        case 1006:
            if (parse_num("--peer-pending-max", optarg, 1, ISSU_HUB_PEER_PENDING_MAX, 0, &o->peer_pending_max))
                return ISSU_ERR_INVAL;
            break;
        case 1007:
            if (parse_num("--peer-auth-timeout", optarg, 1, ISSU_HUB_PEER_AUTH_MS_MAX / 1000, 0, &o->peer_auth_to))
                return ISSU_ERR_INVAL;
            break;
        case 1200: o->config = optarg; break;
        case 1201: o->check_config = 1; break;
        case 1202: o->nacm_rules = optarg; break;
        case 1100: o->state_dir = optarg; break;
        case 1101:
            if (parse_age(optarg, &o->hist_max_age))
                return ISSU_ERR_INVAL;
            break;
        case 1102:
            if (parse_num("--history-max-events", optarg, 1, 1ULL << 40, 0, &o->hist_max_events))
                return ISSU_ERR_INVAL;
            break;
        case 1103: o->require_history = 1; break;
        case 'v': log_max = LOG_DEBUG; break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("issud %s\n", ISSU_VERSION); exit(0);
        default: usage(stderr); return ISSU_ERR_INVAL;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "issud: unexpected argument '%s'\n", argv[optind]);
        return ISSU_ERR_INVAL;
    }
    return ISSU_OK;
}

/* The options' checks that need all of them (command line and file). */
static int check_opts(struct opts *o)
{
    if (o->nc_ssh && (!o->host_key || !o->auth_keys)) {
        fprintf(stderr, "issud: --netconf-ssh needs --ssh-host-key FILE and --ssh-authorized-keys FILE\n");
        return ISSU_ERR_INVAL;
    }
    if (!o->nc_ssh && (o->host_key || o->auth_keys || o->ssh_user)) {
        fprintf(stderr, "issud: --ssh-* options need --netconf-ssh ADDR:PORT\n");
        return ISSU_ERR_INVAL;
    }
    if (!o->nc_unix && !o->nc_ssh && o->nacm_rules) {
        fprintf(stderr, "issud: --nacm-rules needs a NETCONF face (--netconf-unix or --netconf-ssh)\n");
        return ISSU_ERR_INVAL;
    }
    if (o->require_history && !o->state_dir) {
        fprintf(stderr, "issud: --require-history needs --state-dir DIR\n");
        return ISSU_ERR_INVAL;
    }
    if (!o->nc_unix && (o->nc_unix_mode_set || o->nc_unix_group_set)) {
        fprintf(stderr, "issud: --netconf-unix-mode and --netconf-unix-group need --netconf-unix PATH\n");
        return ISSU_ERR_INVAL;
    }
    o->peer_mode = o->manifest || o->uid_s || o->listen || o->peer || o->psk_file || o->side_s ||
                   o->peer_pending_max || o->peer_auth_to;
    if (o->peer_mode) {
        char *end;
        unsigned long long v;

        if (o->active || o->standby) {
            fprintf(stderr, "issud: --active/--standby (embedded pair) and --manifest/--unique-id/"
                    "--listen/--peer/--psk-file/--side/--peer-* (peer mode) cannot be mixed\n");
            return ISSU_ERR_INVAL;
        }
        if (!o->manifest || !o->uid_s || !o->psk_file || !o->listen == !o->peer) {
            fprintf(stderr, "issud: peer mode needs --manifest FILE, --unique-id N, --psk-file FILE and "
                    "exactly one of --listen ADDR:PORT or --peer ADDR:PORT\n");
            return ISSU_ERR_INVAL;
        }
        errno = 0;
        v = strtoull(o->uid_s, &end, 10);
        if (o->uid_s[0] < '0' || o->uid_s[0] > '9' || *end || errno || !v || v > UINT32_MAX) {
            fprintf(stderr, "issud: --unique-id '%s': a number from 1 to 4294967295 expected\n", o->uid_s);
            return ISSU_ERR_INVAL;
        }
        o->uid = (uint32_t)v;
        if (o->peer_pending_max && !o->listen) {
            fprintf(stderr, "issud: --peer-pending-max needs --listen ADDR:PORT\n");
            return ISSU_ERR_INVAL;
        }
        if (!o->side_s)
            o->side = o->listen ? ISSU_SIDE_ACTIVE : ISSU_SIDE_STANDBY;
        else if (!strcmp(o->side_s, "active"))
            o->side = ISSU_SIDE_ACTIVE;
        else if (!strcmp(o->side_s, "standby"))
            o->side = ISSU_SIDE_STANDBY;
        else {
            fprintf(stderr, "issud: --side '%s': active or standby expected\n", o->side_s);
            return ISSU_ERR_INVAL;
        }
        return need_face(o);
    }
    if (!o->active)
        o->active = default_active;
    if (!o->standby)
        o->standby = default_standby;
    return need_face(o);
}

/* Options a configuration file may not set: they say how to read it, or stop at once. */
static const char *const conf_forbidden[] = {"config", "check-config", "help", "version", NULL};
/* Options that may be given more than once (each adds); the others: once per file. */
static const char *const conf_repeatable[] = {NULL};

/* The file's lines, each through parse() as "--key=value", unless the command
 * line gave that option (it wins). @p args keeps the strings the options point into. */
static int apply_config(struct opts *o, char ***args, size_t *n_args)
{
    struct issud_conf_rules rules = {opt_table, conf_forbidden, conf_repeatable};
    struct issud_conf *conf = NULL;
    char err[1024], where[96], *argv2[3], *arg, **na;
    size_t i;
    int rc, idx;

    rc = issud_conf_load(o->config, &rules, &conf, err, sizeof(err));
    if (rc != ISSU_OK) {
        fprintf(stderr, "issud: --config %s\n", rc == ISSU_ERR_NOMEM ? "out of memory" : err);
        goto cleanup;
    }
    for (i = 0; i < conf->n; i++) {
        const struct issud_conf_entry *e = &conf->e[i];

        idx = (int)(e->opt - opt_table);
        if (idx >= OPT_MAX || (opt_val[idx] && !strcmp(opt_src[idx], "command line")))
            continue;
        snprintf(where, sizeof(where), "%s:%u", conf->name, e->line);
        if (e->opt->has_arg == no_argument && !strcmp(e->value, "false")) {
            opt_val[idx] = "false";
            snprintf(opt_src[idx], sizeof(opt_src[idx]), "%s", where);
            continue;
        }
        na = realloc(*args, (*n_args + 1) * sizeof(*na));
        ISSU_CHECK_MEM(na, rc);
        *args = na;
        arg = malloc(strlen(e->opt->name) + strlen(e->value) + 4);
        ISSU_CHECK_MEM(arg, rc);
        (*args)[(*n_args)++] = arg;
        if (e->opt->has_arg == no_argument)
            sprintf(arg, "--%s", e->opt->name);
        else
            sprintf(arg, "--%s=%s", e->opt->name, e->value);
        argv2[0] = (char *)"issud";
        argv2[1] = arg;
        argv2[2] = NULL;
        optind = 0; /* glibc: start over */
        cur_src = where;
        rc = parse(2, argv2, o);
        cur_src = "command line";
        if (rc != ISSU_OK) {
            fprintf(stderr, "issud: --config %s: %s: refused (see above)\n", where, e->opt->name);
            goto cleanup;
        }
    }
    rc = ISSU_OK;

cleanup:
    issud_conf_free(conf);
    return rc;
}

/* The value an option has when nobody sets it (NULL: none, it is off). */
static const char *opt_default(const struct opts *o, const struct option *opt, char *buf, size_t len)
{
    const char *n = opt->name;

    if (!strcmp(n, "active"))
        return o->peer_mode ? NULL : o->active;
    if (!strcmp(n, "standby"))
        return o->peer_mode ? NULL : o->standby;
    if (!strcmp(n, "side"))
        return o->peer_mode ? (o->side == ISSU_SIDE_ACTIVE ? "active" : "standby") : NULL;
    if (!strcmp(n, "netconf-unix-mode"))
        snprintf(buf, len, "%04o", ISSU_NC_DEF_UNIX_MODE);
    else if (!strcmp(n, "netconf-max-sessions"))
        snprintf(buf, len, "%d", ISSU_NC_DEF_MAX_SESSIONS);
    else if (!strcmp(n, "netconf-max-message"))
        snprintf(buf, len, "%uM", ISSU_NC_DEF_MAX_MESSAGE >> 20);
    else if (!strcmp(n, "netconf-hello-timeout"))
        snprintf(buf, len, "%d", ISSU_NC_DEF_HELLO_TIMEOUT);
    else if (!strcmp(n, "netconf-auth-timeout"))
        snprintf(buf, len, "%d", ISSU_NC_DEF_AUTH_TIMEOUT);
    else if (!strcmp(n, "netconf-message-timeout"))
        snprintf(buf, len, "%d", ISSU_NC_DEF_MESSAGE_TIMEOUT);
    else if (!strcmp(n, "netconf-xpath-max-cost"))
        snprintf(buf, len, "%llu", (unsigned long long)ISSU_NC_XPATH_DEF_MAX_COST);
    else if (!strcmp(n, "netconf-tree-keep"))
        snprintf(buf, len, "%d", ISSU_NC_DEF_TREE_KEEP);
    else if (!strcmp(n, "peer-pending-max"))
        snprintf(buf, len, "%d", ISSU_HUB_PEER_PENDING_DEFAULT);
    else if (!strcmp(n, "peer-auth-timeout"))
        snprintf(buf, len, "%d", ISSU_HUB_PEER_AUTH_MS_DEFAULT / 1000);
    else if (opt->has_arg == no_argument)
        return "false";
    else
        return NULL;
    return buf;
}

/* --check-config: every option of the table, its value and where it came from. */
static void print_config(const struct opts *o)
{
    char buf[64], line[8192];
    const char *v;
    int i;

    printf("# issud effective configuration: %s\n", o->config ? o->config : "(no --config file)");
    printf("# <option> = <value>    # where it came from: default, FILE:LINE or command line\n");
    for (i = 0; opt_table[i].name && i < OPT_MAX; i++) {
        const char *n = opt_table[i].name;

        if (!strcmp(n, "config") || !strcmp(n, "check-config") || !strcmp(n, "help") || !strcmp(n, "version"))
            continue;
        v = opt_val[i] ? opt_val[i] : opt_default(o, &opt_table[i], buf, sizeof(buf));
        if (v)
            snprintf(line, sizeof(line), "%s = %s", n, v);
        else
            snprintf(line, sizeof(line), "# %s: not set", n);
        printf("%-48s # %s\n", line, opt_val[i] ? opt_src[i] : "default");
    }
}

int main(int argc, char **argv)
{
    struct opts o;
    struct issu_hub_conf hc;
    struct issu_hub_peer_conf pc;
    struct issu_hub *hub = NULL;
    struct issu_hist_conf hic;
    struct issu_hist *hist = NULL;
#ifdef HAVE_ISSU_NETCONF
    struct issu_nc_conf ncc;
    struct issu_nc *nc = NULL;
#endif
#ifdef HAVE_ISSU_SNMP
    struct issu_snmp_conf sc;
    struct issu_snmp *snmp = NULL;
#endif
    struct signalfd_siginfo si;
    sigset_t set;
    ssize_t n;
    int sfd = -1, rc, ex = 1, refused = 0, bad_ex = 2, i;
    char **conf_args = NULL;
    size_t n_conf_args = 0, k;

    memset(&o, 0, sizeof(o));
    log_journal = issud_is_journal_stream(STDERR_FILENO);
    issu_data_dir(ISSU_DATA_IMAGES, images_dir, sizeof(images_dir));
    snprintf(default_active, sizeof(default_active), "%s/running.json", images_dir);
    snprintf(default_standby, sizeof(default_standby), "%s/upgrade-compatible.json", images_dir);
    for (i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--check-config"))
            bad_ex = 1;
    if (parse(argc, argv, &o) != ISSU_OK || (o.config && apply_config(&o, &conf_args, &n_conf_args) != ISSU_OK) ||
        check_opts(&o) != ISSU_OK) {
        ex = bad_ex;
        goto cleanup;
    }
    if (o.check_config) {
#ifdef HAVE_ISSU_NETCONF
        char nerr[1024];

        if (o.nacm_rules && issu_nc_nacm_check_file(o.nacm_rules, nerr, sizeof(nerr)) != ISSU_OK) {
            fprintf(stderr, "issud: --nacm-rules %s\n", nerr);
            ex = 1;
            goto cleanup;
        }
#endif
        print_config(&o);
        ex = 0;
        goto cleanup;
    }

    /* block before any thread starts: every thread inherits the mask */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0)
        return 1;
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0) {
        logf_(LOG_ERR, "signalfd: %s", strerror(errno));
        goto cleanup;
    }

    if (o.peer_mode) {
        memset(&pc, 0, sizeof(pc));
        pc.manifest = o.manifest;
        pc.unique_id = o.uid;
        pc.side = o.side;
        pc.listen = o.listen;
        pc.connect = o.peer;
        pc.psk_file = o.psk_file;
        pc.pending_max = (unsigned)o.peer_pending_max;
        pc.auth_ms = (unsigned)o.peer_auth_to * 1000;
        pc.log = log_stderr;
        pc.refused = &refused;
        rc = issu_hub_new_peer(&pc, &hub);
    } else {
        memset(&hc, 0, sizeof(hc));
        hc.active_path = o.active;
        hc.standby_path = o.standby;
        hc.log = log_stderr;
        hc.refused = &refused;
        rc = issu_hub_new(&hc, &hub);
    }
    if (rc != ISSU_OK) {
        /* a file or socket error was logged with its reason just above */
        logf_(LOG_ERR, "cannot start: %s", refused ? "an input file was refused (see above)"
                                           : rc == ISSU_ERR_IO ? "see the error above" : issu_strerror(rc));
        if (refused)
            ex = 3;
        goto cleanup;
    }

    /* the history's listener too: it records the very first round */
    memset(&hic, 0, sizeof(hic));
    hic.state_dir = o.state_dir;
    hic.max_age_s = o.hist_max_age;
    hic.max_events = o.hist_max_events;
    hic.require = o.require_history;
    hic.log = log_stderr;
    rc = issu_hist_open(&hic, &hist);
    if (rc == ISSU_OK)
        rc = issu_hist_attach(hist, hub);
    if (rc == ISSU_OK)
        rc = issu_hist_start(hist);
    if (rc != ISSU_OK) {
        logf_(LOG_ERR, "cannot start: %s", o.require_history ? "the history store is required (see above)"
                                                              : issu_strerror(rc));
        goto cleanup;
    }

    /* faces register their listeners before the hub publishes */
#ifdef HAVE_ISSU_NETCONF
    if (o.nc_unix || o.nc_ssh) {
        memset(&ncc, 0, sizeof(ncc));
        ncc.hub = hub;
        ncc.history = hist;
        ncc.unix_path = o.nc_unix;
        ncc.unix_mode = o.nc_unix_mode_set ? o.nc_unix_mode : ISSU_NC_DEF_UNIX_MODE;
        ncc.unix_group_set = o.nc_unix_group_set;
        ncc.unix_gid = o.nc_unix_gid;
        ncc.ssh_listen = o.nc_ssh;
        ncc.host_key = o.host_key;
        ncc.authorized_keys = o.auth_keys;
        ncc.ssh_user = o.ssh_user;
        ncc.log = log_stderr;
        ncc.verbose = log_max >= LOG_DEBUG;
        ncc.max_sessions = (unsigned)o.nc_max_sessions;
        ncc.max_message = (size_t)o.nc_max_message;
        ncc.hello_timeout = (unsigned)o.nc_hello_to;
        ncc.auth_timeout = (unsigned)o.nc_auth_to;
        ncc.message_timeout = (unsigned)o.nc_msg_to;
        ncc.xpath_max_cost = o.nc_xpath_cost;
        ncc.tree_keep = (unsigned)o.nc_tree_keep;
        ncc.nacm_rules = o.nacm_rules;
        rc = issu_nc_start(&ncc, &nc);
        if (rc != ISSU_OK) {
            logf_(LOG_ERR, "NETCONF face: %s", rc == ISSU_ERR_IO ? "not started (see the error above)" : issu_strerror(rc));
            goto cleanup;
        }
    }
#else
    if (o.nc_unix || o.nc_ssh) {
        logf_(LOG_ERR, "this issud was built without the NETCONF face");
        goto cleanup;
    }
#endif
    /* ---- SNMP face hook (agent/snmp, snmp_face.h) ---- */
#ifdef HAVE_ISSU_SNMP
    if (o.agentx_set) {
        memset(&sc, 0, sizeof(sc));
        sc.agentx_socket = o.agentx;
        sc.netsnmp_subagent = o.agentx_netsnmp;
        sc.hub = hub;
        sc.history = hist;
        sc.log = log_stderr;
        rc = issu_snmp_start(&sc, &snmp);
        if (rc != ISSU_OK) {
            logf_(LOG_ERR, "SNMP face: %s", issu_strerror(rc));
            goto cleanup;
        }
    }
#else
    if (o.agentx_set) {
        logf_(LOG_ERR, "this issud was built without the SNMP face (--agentx)");
        goto cleanup;
    }
#endif

    rc = issu_hub_start(hub);
    if (rc != ISSU_OK) {
        logf_(LOG_ERR, "cannot start the core thread: %s", issu_strerror(rc));
        goto cleanup;
    }
    if (o.peer_mode)
        logf_(LOG_INFO, "issud %s running (pid %ld): peer mode, %s unique id %" PRIu32 ", %s, %s %s",
              ISSU_VERSION, (long)getpid(), issu_side_name((int)o.side), o.uid, o.manifest,
              o.listen ? "listening on" : "peer", o.listen ? o.listen : o.peer);
    else
        logf_(LOG_INFO, "issud %s running (pid %ld): active %s, standby %s", ISSU_VERSION, (long)getpid(),
              o.active, o.standby);
    /* every face listens (NETCONF), runs or retries (SNMP) and the peer
     * link listens or connects: the service is up */
    issud_notify_ready(o.peer_mode ? "serving (peer mode)" : "serving (embedded pair)");

    for (;;) {
        n = read(sfd, &si, sizeof(si));
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof(si)) {
            logf_(LOG_ERR, "signalfd read: %s", n < 0 ? strerror(errno) : "short read");
            goto cleanup;
        }
        if (si.ssi_signo == SIGHUP) {
            logf_(LOG_INFO, "SIGHUP: reloading the manifests");
            issud_notify_reloading();
#ifdef HAVE_ISSU_NETCONF
            /* the NACM rules first: what the reload changes is shown under the new ones;
             * a bad file is logged and keeps those in force */
            issu_nc_reload(nc);
#endif
            if (issu_hub_reload(hub, NULL, 0) != ISSU_OK) {
                logf_(LOG_WARNING, "reload failed: still running the previous images");
                issud_notify_ready("serving the previous images (the reload failed)");
            } else {
                issud_notify_ready("serving (reloaded)");
            }
            continue;
        }
        logf_(LOG_INFO, "%s: stopping", strsignal((int)si.ssi_signo));
        issud_notify_stopping();
        break;
    }
    ex = 0;

cleanup:
    /* faces first: they hold the hub */
#ifdef HAVE_ISSU_NETCONF
    issu_nc_stop(nc);
#endif
#ifdef HAVE_ISSU_SNMP
    issu_snmp_stop(snmp);
#endif
    issu_hub_free(hub); /* stops the core thread: nothing more reaches the history */
    issu_hist_close(hist);
    if (sfd >= 0)
        close(sfd);
    for (k = 0; k < n_conf_args; k++)
        free(conf_args[k]);
    free(conf_args);
    return ex;
}
