/*
 * fuzz_ncsubtree.c - libFuzzer target: a client's <get> filter, as
 * libyang parses it inside an <rpc>, into issud's filter code
 * (agent/netconf/nc_filter.c: subtree filters turned into XPath, XPath
 * filters checked for cost) over the example images' issu-state.
 *
 * Input: the bytes become the content of <filter type="subtree">, or with
 * byte 0 == 'x' the select attribute of an XPath filter (escaped). The
 * libyang context, the negotiated example pair and its state tree are made
 * once. Checked: no crash, no leak; a filter is either refused with a
 * reason or selects copies (freed here); a filter read as naming its
 * entries (issu_nc_filter_pick) gets from the tree of that part exactly
 * what it gets from the whole tree, or the same refusal. Setup also checks
 * that the state printed without a tree (nc_xml.c) is the whole tree's
 * print, and every XPath input's node set through nc_libyang.c's union
 * (issu_nc_ly_find_xpath) is libyang's, node for node.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "manifest.h"
#include "mem.h"
#include "nc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct issu_nc nc;
static struct issu_nc_state *st;
static struct lyd_node *whole;

static int setup(void)
{
    struct issu_image *a = NULL, *s = NULL;
    struct issu_snapshot *snap = NULL;
    char err[512];

    pthread_mutex_init(&nc.mu, NULL);
    pthread_mutex_init(&nc.cache_mu, NULL);
    pthread_mutex_init(&nc.build_mu, NULL);
    if (issu_nc_ctx_load(&nc) ||
        issu_manifest_load_file(NULL, ISSU_EXAMPLES_DIR "/running.json", &a, err, sizeof(err)) ||
        issu_manifest_load_file(NULL, ISSU_EXAMPLES_DIR "/upgrade-base-level.json", &s, err, sizeof(err)) ||
        issu_mem_negotiate(a, 4, s, 7, NULL, NULL, &snap, NULL) || issu_nc_state_get(&nc, snap, &st) ||
        issu_nc_state_tree(nc.mod, snap, NULL, NULL, &whole)) {
        fprintf(stderr, "fuzz_ncsubtree: setup failed: %s\n", err);
        abort();
    }
    char *p = NULL;
    lyd_print_mem(&p, whole, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_WD_EXPLICIT);
    if (!p || strcmp(p, st->xml)) {
        fprintf(stderr, "fuzz_ncsubtree: nc_xml.c prints the state unlike libyang\n");
        if (getenv("ISSU_FUZZ_DUMP")) {
            FILE *f = fopen("/tmp/xml_ly.txt", "w");
            fputs(p ? p : "", f);
            fclose(f);
            f = fopen("/tmp/xml_nc.txt", "w");
            fputs(st->xml, f);
            fclose(f);
        }
        abort();
    }
    free(p);
    issu_image_free(a);
    issu_image_free(s);
    issu_snapshot_unref(snap);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct lyd_node *tree = NULL, *op = NULL, *sel = NULL, *psel = NULL, *part = NULL;
    struct issu_nc_pick pick;
    char *a = NULL, *b = NULL, perr[1024];
    int rc, prc;
    const struct lyd_node *src[ISSU_NC_N_SRC];
    struct ly_in *in = NULL;
    char *msg, err[1024];
    size_t i, o;

    if (!ready)
        ready = !setup();
    if (size > 65536)
        return 0;
    msg = malloc(6 * size + 512);
    if (!msg)
        return 0;
    if (size && data[0] == 'x') {
        o = (size_t)sprintf(msg, "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"1\"><get>"
                                 "<filter type=\"xpath\" xmlns:ia=\"urn:issu-agent:yang:issu-agent\" select=\"");
        for (i = 1; i < size; i++) /* an attribute value: escape what would end it */
            o += (size_t)(data[i] == '"' ? sprintf(msg + o, "&quot;") : data[i] == '&' ? sprintf(msg + o, "&amp;")
                          : data[i] == '<' ? sprintf(msg + o, "&lt;") : data[i] ? sprintf(msg + o, "%c", data[i]) : 0);
        o += (size_t)sprintf(msg + o, "\"/></get></rpc>");
    } else {
        o = (size_t)sprintf(msg, "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\" message-id=\"1\"><get>"
                                 "<filter type=\"subtree\">");
        memcpy(msg + o, data, size);
        o += size;
        o += (size_t)sprintf(msg + o, "</filter></get></rpc>");
    }
    msg[o] = '\0';
    if (ly_in_new_memory(msg, &in) == LY_SUCCESS &&
        lyd_parse_op(nc.ctx, NULL, in, LYD_XML, LYD_TYPE_RPC_NETCONF, &tree, &op) == LY_SUCCESS && op) {
        memset(src, 0, sizeof(src)); /* every source but the state: none */
        src[1] = whole;
        (void)issu_nc_filter_whole_state(&nc, op);
        err[0] = perr[0] = '\0';
        rc = issu_nc_filter_apply(&nc, op, src, st->n_nodes, &sel, err, sizeof(err));
        if (rc != ISSU_OK && !err[0])
            abort(); /* a refusal always says why */
        if (issu_nc_filter_pick(&nc, op, st->snap, &pick) != ISSU_OK)
            abort();
        if (!pick.all) { /* the part's answer is the whole tree's */
            if (issu_nc_state_tree(nc.mod, st->snap, NULL, &pick, &part) != ISSU_OK)
                abort();
            src[1] = part;
            prc = issu_nc_filter_apply(&nc, op, src, st->n_nodes, &psel, perr, sizeof(perr));
            if (prc != rc)
                abort();
            if (rc == ISSU_OK) {
                lyd_print_mem(&a, sel, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT);
                lyd_print_mem(&b, psel, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_WITHSIBLINGS | LYD_PRINT_WD_EXPLICIT);
                if ((a || b) && (!a || !b || strcmp(a, b)))
                    abort();
            }
        }
        issu_nc_pick_free(&pick);
        if (size && data[0] == 'x') { /* nc_libyang.c's union: libyang's set, node for node */
            struct ly_set *ly = NULL, *ours = NULL;
            const char *x = (const char *)lyd_get_meta_value(
                lyd_find_meta(lyd_child(op) ? lyd_child(op)->meta : NULL, NULL, "ietf-netconf:select"));
            if (x && !issu_nc_ly_xpath_check(x, perr, sizeof(perr)) &&
                !issu_nc_xpath_check(x, st->n_nodes, ISSU_NC_XPATH_DEF_MAX_COST, perr, sizeof(perr))) {
                int lr = lyd_find_xpath(whole, x, &ly) == LY_SUCCESS;
                int orr = issu_nc_ly_find_xpath(whole, x, 0, &ours) == ISSU_OK;
                if (lr != orr || (lr && ly->count != ours->count))
                    abort();
                for (i = 0; lr && i < ly->count; i++)
                    if (ly->dnodes[i] != ours->dnodes[i])
                        abort();
            }
            ly_set_free(ly, NULL);
            ly_set_free(ours, NULL);
        }
        free(a);
        free(b);
        lyd_free_all(part);
        lyd_free_all(psel);
        lyd_free_all(sel);
    }
    lyd_free_all(tree);
    lyd_free_all(op);
    ly_in_free(in, 0);
    free(msg);
    return 0;
}
