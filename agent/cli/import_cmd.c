/*
 * import_cmd.c - `issuctl import`: read captures (import.c), build the
 * manifest (import_manifest.c), print the warnings, write JSON or XML.
 *
 * Nothing is written when a capture cannot be read, when --strict finds a
 * warning, or when the result is no valid manifest (exit 3). Captures
 * larger than ISSU_IMPORT_MAX_BYTES together are refused before they are
 * read (regular files by their size; pipes while reading).
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libyang/libyang.h>

#include "datadir.h"
#include "image.h"
#include "import.h"
#include "import_manifest.h"
#include "issu_err.h"
#include "manifest.h"


enum { EX_OK = 0, EX_BADINPUT = 3, EX_INTERNAL = 4 };

static void import_usage(FILE *f)
{
    fprintf(f, "Usage: issuctl import [--image-name N] [--image-version V] [-o FILE] [--format json|xml]\n"
               "                      [--strict] [--knowledge FILE | --no-knowledge] [--base ID[,ID...]]\n"
               "                      [--prerequisite ID=ID[,ID...]] CAPTURE... ('-' reads stdin)\n");
}

/* strict decimal 0..UINT32_MAX */
static int u32(const char *s, const char **end, uint32_t *v)
{
    uint64_t x = 0;
    const char *p = s;

    while (*p >= '0' && *p <= '9') {
        x = x * 10 + (uint64_t)(*p++ - '0');
        if (x > UINT32_MAX)
            return -1;
    }
    if (p == s)
        return -1;
    *v = (uint32_t)x;
    *end = p;
    return 0;
}

/* "ID[,ID...]" appended to *ids */
static int id_list(const char *s, uint32_t **ids, size_t *n)
{
    const char *p = s;
    uint32_t v, *w;

    for (;;) {
        if (u32(p, &p, &v))
            return -1;
        w = realloc(*ids, (*n + 1) * sizeof(**ids));
        if (!w)
            return -1;
        *ids = w;
        (*ids)[(*n)++] = v;
        if (!*p)
            return 0;
        if (*p++ != ',')
            return -1;
    }
}

/* the whole capture, refused over the limit @p room without reading more */
static int read_capture(const char *path, char **data, size_t *len, size_t room, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    struct stat st;
    size_t cap = 0, n = 0;
    char *b = NULL;
    int rc = ISSU_ERR_IO;

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return ISSU_ERR_IO;
    }
    if (fstat(fileno(f), &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s: a directory, not a capture", path);
            goto cleanup;
        }
        if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > room) {
            snprintf(err, errlen, "%s: %llu bytes: captures may hold %u bytes (128 MiB) together", path,
                     (unsigned long long)st.st_size, ISSU_IMPORT_MAX_BYTES);
            goto cleanup;
        }
    }
    for (;;) {
        size_t r;
        if (n == cap) {
            char *w;
            if (cap > room) {
                snprintf(err, errlen, "%s: more than %u bytes (128 MiB, the import limit for all captures)", path,
                         ISSU_IMPORT_MAX_BYTES);
                goto cleanup;
            }
            cap = cap ? cap * 2 : 65536;
            w = realloc(b, cap + 1);
            if (!w) {
                snprintf(err, errlen, "%s: out of memory", path);
                rc = ISSU_ERR_NOMEM;
                goto cleanup;
            }
            b = w;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f)) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                goto cleanup;
            }
            break;
        }
    }
    if (n > room) {
        snprintf(err, errlen, "%s: more than %u bytes (128 MiB, the import limit for all captures)", path,
                 ISSU_IMPORT_MAX_BYTES);
        goto cleanup;
    }
    b = b ? b : malloc(1);
    if (!b) {
        rc = ISSU_ERR_NOMEM;
        goto cleanup;
    }
    b[n] = '\0';
    *data = b;
    *len = n;
    b = NULL;
    rc = ISSU_OK;
cleanup:
    free(b);
    if (f != stdin)
        fclose(f);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);

    return a >= b && !strcmp(s + a - b, suf);
}

int issu_import_main(int argc, char **argv)
{
    enum { O_NAME = 256, O_VERSION, O_FORMAT, O_STRICT, O_KNOWLEDGE, O_NOKNOW, O_BASE, O_PREREQ };
    static const struct option opts[] = {
        {"image-name", required_argument, NULL, O_NAME},
        {"image-version", required_argument, NULL, O_VERSION},
        {"output", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, O_FORMAT},
        {"strict", no_argument, NULL, O_STRICT},
        {"knowledge", required_argument, NULL, O_KNOWLEDGE},
        {"no-knowledge", no_argument, NULL, O_NOKNOW},
        {"base", required_argument, NULL, O_BASE},
        {"prerequisite", required_argument, NULL, O_PREREQ},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct issu_import_opts o = {0};
    struct issu_import_prereq *pre = NULL;
    struct issu_capture *cap = NULL;
    struct ly_ctx *ctx = NULL;
    struct lyd_node *know = NULL, *tree = NULL;
    const char *out = NULL, *format = NULL, *kpath = NULL;
    uint32_t *base = NULL;
    size_t nbase = 0, npre = 0, i;
    char err[1024], *sources = NULL, *data = NULL, *text = NULL;
    size_t slen = 0;
    FILE *sf = NULL;
    int c, strict = 0, noknow = 0, xml, ex = EX_INTERNAL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_NAME: o.image_name = optarg; break;
        case O_VERSION: o.image_version = optarg; break;
        case 'o': out = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_STRICT: strict = 1; break;
        case O_KNOWLEDGE: kpath = optarg; break;
        case O_NOKNOW: noknow = 1; break;
        case O_BASE:
            if (id_list(optarg, &base, &nbase)) {
                fprintf(stderr, "issuctl import: --base needs ID[,ID...] (Client_IDs), not '%s'\n", optarg);
                ex = EX_BADINPUT;
                goto cleanup;
            }
            break;
        case O_PREREQ: {
            const char *p = optarg;
            struct issu_import_prereq *w = realloc(pre, (npre + 1) * sizeof(*pre));
            if (!w)
                goto cleanup;
            pre = w;
            memset(&pre[npre], 0, sizeof(*pre));
            npre++;
            if (u32(optarg, &p, &pre[npre - 1].client) || *p != '=' ||
                (p[1] && id_list(p + 1, &pre[npre - 1].pre, &pre[npre - 1].npre))) {
                fprintf(stderr, "issuctl import: --prerequisite needs ID=ID[,ID...] (ID= for none), not '%s'\n",
                        optarg);
                ex = EX_BADINPUT;
                goto cleanup;
            }
            break;
        }
        case 'h': import_usage(stdout); ex = EX_OK; goto cleanup;
        default: import_usage(stderr); ex = EX_BADINPUT; goto cleanup;
        }
    }
    if (optind >= argc || (format && strcmp(format, "json") && strcmp(format, "xml")) || (kpath && noknow)) {
        import_usage(stderr);
        ex = EX_BADINPUT;
        goto cleanup;
    }
    xml = format ? !strcmp(format, "xml") : out && ends_with(out, ".xml");
    if (issu_ly_ctx_new(&ctx) != ISSU_OK) {
        fprintf(stderr, "issuctl: cannot load the YANG modules (set ISSU_YANG_DIR?)\n");
        goto cleanup;
    }
    if (!noknow) {
        const char *env = getenv("ISSU_KNOWLEDGE");
        char kdef[ISSU_DATA_PATH_MAX + 32];
        const char *path = kpath ? kpath : env && env[0] ? env : NULL;

        if (!path) { /* the source tree's examples/ or an installed share/issu-agent/ */
            char dir[ISSU_DATA_PATH_MAX];
            snprintf(kdef, sizeof(kdef), "%s/knowledge.json", issu_data_dir(ISSU_DATA_EXAMPLES, dir, sizeof(dir)));
            path = kdef;
        }
        if (!kpath && access(path, F_OK) != 0) {
            fprintf(stderr, "issuctl import: warning: no knowledge file %s: base flags and prerequisites only "
                            "from --base and --prerequisite\n", path);
        } else {
            int rc = issu_knowledge_load(ctx, path, &know, err, sizeof(err));
            if (rc != ISSU_OK) {
                fprintf(stderr, "issuctl import: %s\n", err);
                ex = rc == ISSU_ERR_NOTFOUND ? EX_INTERNAL : EX_BADINPUT;
                goto cleanup;
            }
            o.knowledge = know;
            o.knowledge_path = path;
        }
    }
    if (issu_capture_new(&cap) != ISSU_OK || !(sf = open_memstream(&sources, &slen)))
        goto cleanup;
    for (i = (size_t)optind; i < (size_t)argc; i++) {
        size_t len = 0;
        int rc = read_capture(argv[i], &data, &len, ISSU_IMPORT_MAX_BYTES - cap->bytes, err, sizeof(err));
        if (rc == ISSU_OK && (rc = issu_capture_feed(cap, argv[i], data, len)) == ISSU_ERR_INVAL)
            snprintf(err, sizeof(err), "%s: captures may hold %u bytes (128 MiB) together", argv[i],
                     ISSU_IMPORT_MAX_BYTES);
        free(data);
        data = NULL;
        if (rc != ISSU_OK) {
            fprintf(stderr, "issuctl import: %s\n", rc == ISSU_ERR_NOMEM ? "out of memory" : err);
            ex = rc == ISSU_ERR_NOMEM ? EX_INTERNAL : EX_BADINPUT;
            goto cleanup;
        }
        fprintf(sf, "%s%s", i > (size_t)optind ? ", " : "", strcmp(argv[i], "-") ? argv[i] : "stdin");
    }
    if (fclose(sf) != 0) {
        sf = NULL;
        goto cleanup;
    }
    sf = NULL;
    o.sources = sources;
    o.base = base;
    o.nbase = nbase;
    o.prereq = pre;
    o.nprereq = npre;
    if (issu_import_build(ctx, cap, &o, &tree, err, sizeof(err)) != ISSU_OK) {
        for (i = 0; i < cap->nwarn; i++)
            fprintf(stderr, "issuctl import: warning: %s\n", cap->warn[i].text);
        fprintf(stderr, "issuctl import: %s\n", err);
        ex = EX_BADINPUT;
        goto cleanup;
    }
    for (i = 0; i < cap->nwarn; i++)
        fprintf(stderr, "issuctl import: warning: %s\n", cap->warn[i].text);
    if (cap->nwarn_total > cap->nwarn)
        fprintf(stderr, "issuctl import: warning: ... and %zu more warnings\n", cap->nwarn_total - cap->nwarn);
    if (cap->nwarn_total)
        fprintf(stderr, "issuctl import: %zu warnings: the manifest lacks what they name%s\n", cap->nwarn_total,
                strict ? "; --strict: nothing written" : "");
    if (strict && cap->nwarn_total) {
        ex = EX_BADINPUT;
        goto cleanup;
    }
    if (lyd_print_mem(&text, tree, xml ? LYD_XML : LYD_JSON, LYD_PRINT_WITHSIBLINGS) != LY_SUCCESS || !text)
        goto cleanup;
    if (strlen(text) > ISSU_MANIFEST_MAX_SIZE) { /* what issud would refuse for its size alone */
        free(text);
        text = NULL;
        if (lyd_print_mem(&text, tree, xml ? LYD_XML : LYD_JSON, LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK) !=
                LY_SUCCESS || !text)
            goto cleanup;
        fprintf(stderr, "issuctl import: written without indentation: indented, the manifest would pass "
                        "the loader's %u MiB\n", ISSU_MANIFEST_MAX_SIZE >> 20);
    }
    { /* the very text written, through issud's loader */
        struct issu_image *img = NULL;
        if (issu_manifest_load_mem(ctx, text, strlen(text), xml ? ISSU_MANIFEST_XML : ISSU_MANIFEST_JSON,
                                   "the imported manifest", &img, err, sizeof(err)) != ISSU_OK) {
            fprintf(stderr, "issuctl import: %s\n", err);
            ex = EX_BADINPUT;
            goto cleanup;
        }
        issu_image_free(img);
    }
    if (out && strcmp(out, "-")) {
        FILE *f = fopen(out, "w");
        if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
            fprintf(stderr, "issuctl import: %s: %s\n", out, strerror(errno));
            goto cleanup;
        }
    } else if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
        perror("issuctl: stdout");
        goto cleanup;
    }
    ex = EX_OK;
cleanup:
    if (sf)
        fclose(sf);
    free(sources);
    free(text);
    lyd_free_all(tree);
    lyd_free_all(know);
    issu_capture_free(cap);
    ly_ctx_destroy(ctx);
    free(base);
    for (i = 0; i < npre; i++)
        free(pre[i].pre);
    free(pre);
    return ex;
}
