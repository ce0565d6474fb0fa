/*
 * fuzz_nacm.c - libFuzzer target: a NACM rules file (--nacm-rules, RFC 8341
 * ietf-netconf-acm data) through libyang's validation and issud's rules
 * (agent/netconf/nc_nacm.c), then every kind of decision on it.
 *
 * Input: byte 0 bit 0 names the file .json (else .xml), the rest is the
 * file. Checked: no crash, no leak; a refusal says why and names the
 * file; accepted rules decide exec, notifications and reads (pruning a
 * copy of a fixed tree) without failing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "nc_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct issu_nc nc;
static struct lyd_node *tree, *notif;
static const struct lysc_node *ops[4];

static const char data_xml[] =
    "<netconf-state xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-monitoring\">"
    "<schemas><schema><identifier>x</identifier><version>1</version><format>yang</format>"
    "<namespace>urn:x</namespace><location>NETCONF</location></schema></schemas>"
    "<sessions><session><session-id>1</session-id><transport>netconf-ssh</transport>"
    "<username>reader</username><login-time>2026-01-01T00:00:00Z</login-time></session></sessions>"
    "</netconf-state>"
    "<nacm xmlns=\"urn:ietf:params:xml:ns:yang:ietf-netconf-acm\"><enable-nacm>true</enable-nacm></nacm>";

static void setup(void)
{
    static const char *paths[4] = {"/ietf-netconf:get", "/issu-agent:renegotiate", "/ietf-netconf:kill-session",
                                   "/issu-agent:check-upgrade"};
    int i;

    pthread_mutex_init(&nc.mu, NULL);
    pthread_mutex_init(&nc.rl_mu, NULL);
    pthread_mutex_init(&nc.nacm_mu, NULL);
    ly_log_options(0); /* libyang's reasons come back in err */
    if (issu_nc_ctx_load(&nc) ||
        lyd_parse_data_mem(nc.ctx, data_xml, LYD_XML, LYD_PARSE_ONLY, 0, &tree) != LY_SUCCESS ||
        lyd_new_inner(NULL, nc.mod, "session-result-changed", 0, &notif) != LY_SUCCESS)
        abort();
    for (i = 0; i < 4; i++)
        if (!(ops[i] = lys_find_path(nc.ctx, NULL, paths[i], 0)))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct issu_nc_nacm *c = NULL;
    struct issu_nc_who who[3] = {{"reader", 0, 1}, {"operator", 0, 2}, {"", 0, 3}};
    struct lyd_node *copy = NULL;
    const char *name;
    char *buf, err[1024];
    int i, k, rc;

    if (!ready) {
        setup();
        ready = 1;
    }
    if (size < 1 || size > 65536)
        return 0;
    name = data[0] & 1 ? "fuzz.json" : "fuzz.xml";
    buf = malloc(size);
    if (!buf)
        return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    err[0] = '\0';
    rc = issu_nc_nacm_parse(&nc, name, buf, size - 1, &c, err, sizeof(err));
    free(buf);
    if (rc != ISSU_OK) {
        if (c || !strstr(err, name))
            abort(); /* a refusal names the file and says why */
        return 0;
    }
    issu_nc_nacm_install(&nc, c);
    for (i = 0; i < 3; i++) {
        for (k = 0; k < 4; k++)
            (void)issu_nc_nacm_exec_who(&nc, &who[i], ops[k]);
        (void)issu_nc_nacm_notif_who(&nc, &who[i], notif);
        (void)issu_nc_nacm_read_all_who(&nc, &who[i], NULL);
        (void)issu_nc_nacm_read_all_who(&nc, &who[i], "issu-agent");
        if (lyd_dup_siblings(tree, NULL, LYD_DUP_RECURSIVE, &copy) != LY_SUCCESS)
            abort();
        if (issu_nc_nacm_prune_who(&nc, &who[i], &copy) != ISSU_OK && copy == NULL)
            abort();
        lyd_free_all(copy);
        copy = NULL;
    }
    issu_nc_nacm_install(&nc, NULL); /* freed now: a leak shows per input */
    return 0;
}
