/*
 * issuctl.c - the operator's command line.
 *
 *   issuctl check --active FILE --standby FILE [--json]
 *       negotiate two images in-process and report the verdict, every
 *       client's result and reason, every session's versions/capabilities.
 *
 * Exit status: 0 compatible, 1 base-level compatible, 2 incompatible,
 * 3 bad input (usage, unreadable or invalid manifest), 4 internal error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <libyang/libyang.h>

#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "render.h"
#include "report.h"

#ifndef ISSU_VERSION
#define ISSU_VERSION "0"
#endif

enum { EX_COMPAT = 0, EX_BASE = 1, EX_INCOMPAT = 2, EX_BADINPUT = 3, EX_INTERNAL = 4 };

static int verbose;

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
            "Options:\n"
            "  -h, --help     this text\n"
            "  -V, --version  print the version\n"
            "  -v, --verbose  log the negotiation to stderr\n"
            "\n"
            "Exit status: 0 compatible, 1 base-level compatible, 2 incompatible,\n"
            "3 bad input, 4 internal error.\n");
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
    default: return EX_INTERNAL;
    }
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
    int json = 0, c, rc, ex = EX_INTERNAL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "a:s:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'a': active = optarg; break;
        case 's': standby = optarg; break;
        case 'j': json = 1; break;
        case 'h': usage(stdout); return EX_COMPAT;
        default: usage(stderr); return EX_BADINPUT;
        }
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
    if (json) {
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

int main(int argc, char **argv)
{
    int i = 1;

    while (i < argc && argv[i][0] == '-') {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return EX_COMPAT;
        } else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
            printf("issuctl %s\n", ISSU_VERSION);
            return EX_COMPAT;
        } else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
            verbose = 1;
        } else {
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
    if (!strcmp(argv[i], "check"))
        return cmd_check(argc - i, argv + i);
    fprintf(stderr, "issuctl: unknown command '%s'\n", argv[i]);
    usage(stderr);
    return EX_BADINPUT;
}
