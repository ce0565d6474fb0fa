/*
 * snmp_dlmod.c - the benchmark's in-process anchor: ISSU-NEGOTIATION-MIB
 * loaded into snmpd itself (`dlmod issu_snmp_dlmod /path/issu_snmp_dlmod.so`).
 *
 * snmpd calls init_issu_snmp_dlmod() on load. It builds the same two images
 * tests/bench/snmp_bench.py writes as manifests (with the core's builders, so
 * neither libyang nor the hub enters snmpd), negotiates them once with
 * issu_mem_negotiate() and registers snmp_mib.c's handlers over a fixed
 * "hub" that always hands out that snapshot. Read-only: no renegotiate op.
 * ISSU_DLMOD_ROWS (default 100000) sets the negotiated-version rows;
 * ISSU_DLMOD_ROOT_ARC moves the MIB from netSnmpPlaypen.2011 to
 * netSnmpPlaypen.ARC, so it can share one snmpd with issud (agentx_bench.py).
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdio.h>
#include <stdlib.h>

#include "image.h"
#include "issu_err.h"
#include "mem.h"
#include "snapshot.h"
#include "snmp_face.h"
#include "snmp_mib.h"

/* Shape of snmp_bench.py's generated images. */
#define TYPES 8
#define ENTS 10
#define FIRST_CLIENT 10000
#define IMAGE_MTU 4096 /* issu-manifest.yang's default transport-mtu */

void init_issu_snmp_dlmod(void);
void deinit_issu_snmp_dlmod(void);

static struct issu_snapshot *g_snap;

static struct issu_snapshot *fixed_snapshot(void *arg)
{
    (void)arg;
    return g_snap ? issu_snapshot_ref(g_snap) : NULL;
}

static int add_client(struct issu_image *img, uint32_t cid)
{
    char name[64];
    struct issu_client *c;
    struct issu_msg_group *mg;
    struct issu_cap_group *cg;
    struct issu_cap_type *ct;
    uint32_t t, e;

    snprintf(name, sizeof(name), "bench client %u", cid);
    if (!(c = issu_image_add_client(img, cid, name)) || !(mg = issu_client_add_msg_group(c, 1)))
        return ISSU_ERR_NOMEM;
    for (t = 0; t < TYPES; t++) {
        struct issu_msg_type *mt = issu_msg_group_add_type(mg, t);

        if (!mt || issu_msg_type_add_version(mt, 1, 100 + t))
            return ISSU_ERR_NOMEM;
    }
    if (!(cg = issu_client_add_cap_group(c, 1)) || !(ct = issu_cap_group_add_type(cg, 0, 0)) ||
        issu_cap_type_add_entry(ct, 1))
        return ISSU_ERR_NOMEM;
    for (e = 1; e <= ENTS; e++) {
        struct issu_entity *ent;

        snprintf(name, sizeof(name), "bench %u/%u", cid, e);
        if (!(ent = issu_client_add_entity(c, e, name)))
            return ISSU_ERR_NOMEM;
        ent->msg_group = 1;
        ent->cap_group = 1;
    }
    return ISSU_OK;
}

static int build_image(const char *name, unsigned long rows, struct issu_image **out)
{
    unsigned long n_clients = (rows + TYPES * ENTS - 1) / (TYPES * ENTS), i;
    struct issu_image *img = issu_image_new(name, "1");
    char err[256];
    int rc = ISSU_OK;

    if (!img)
        return ISSU_ERR_NOMEM;
    img->transport_mtu = IMAGE_MTU;
    for (i = 0; i < n_clients; i++)
        ISSU_CHECK_GOTO(add_client(img, FIRST_CLIENT + (uint32_t)i), rc);
    if ((rc = issu_image_validate(img, err, sizeof(err)))) {
        snmp_log(LOG_ERR, "issu_snmp_dlmod: %s: %s\n", name, err);
        goto cleanup;
    }
    *out = img;
    img = NULL;
cleanup:
    issu_image_free(img);
    return rc;
}

void init_issu_snmp_dlmod(void)
{
    static const struct issu_snmp_mib_ops ops = {fixed_snapshot, NULL, NULL, NULL, NULL, NULL};
    const char *env = getenv("ISSU_DLMOD_ROWS");
    unsigned long rows = 100000;
    struct issu_image *a = NULL, *s = NULL;
    char *end;
    int rc;

    if (env) {
        rows = strtoul(env, &end, 10);
        if (!*env || *end || !rows || rows > 10000000UL) {
            snmp_log(LOG_ERR, "issu_snmp_dlmod: ISSU_DLMOD_ROWS=%s: want 1..10000000\n", env);
            return;
        }
    }
    if ((rc = build_image("bench-a", rows, &a)) || (rc = build_image("bench-s", rows, &s))) {
        snmp_log(LOG_ERR, "issu_snmp_dlmod: cannot build the images: %s\n", issu_strerror(rc));
        goto cleanup;
    }
    rc = issu_mem_negotiate(a, 4, s, 7, NULL, NULL, &g_snap, NULL);
    if (rc != ISSU_OK) {
        snmp_log(LOG_ERR, "issu_snmp_dlmod: negotiation failed: %s\n", issu_strerror(rc));
        goto cleanup;
    }
    {
        static oid root[] = {ISSU_SNMP_ROOT};
        const char *arc = getenv("ISSU_DLMOD_ROOT_ARC");

        if (arc)
            root[OID_LENGTH(root) - 1] = strtoul(arc, NULL, 10);
        rc = issu_snmp_mib_register(root, OID_LENGTH(root), &ops);
    }
    if (rc) {
        snmp_log(LOG_ERR, "issu_snmp_dlmod: cannot register ISSU-NEGOTIATION-MIB\n");
        issu_snapshot_unref(g_snap);
        g_snap = NULL;
        goto cleanup;
    }
    snmp_log(LOG_INFO, "issu_snmp_dlmod: %lu negotiated-version rows in %u sessions\n", rows,
             g_snap->n_sessions);
cleanup:
    issu_image_free(a);
    issu_image_free(s);
}

void deinit_issu_snmp_dlmod(void)
{
    issu_snmp_mib_unregister();
    issu_snapshot_unref(g_snap);
    g_snap = NULL;
}
