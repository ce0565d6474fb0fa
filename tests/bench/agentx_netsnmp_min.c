/*
 * agentx_netsnmp_min.c - the smallest subagent net-snmp's agent library
 * makes: one handler over a table shaped like issuNegVersionTable (see
 * agentx_min.c: constant values, arithmetic GETNEXT) under ROOT.1.7, and
 * agent_check_and_process() as the loop. What issud's old subagent cost
 * came down to. Used by agentx_bench.py.
 * Usage: agentx_netsnmp_min SOCKET ROOT_ARC SESSIONS
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>

#include <stdlib.h>

#define TYPES 8
static oid g_tab[16];
static size_t g_k;
static unsigned long g_sessions;

static int next(const oid *n, size_t len, oid *c, oid *s, oid *t)
{
    int cmp = snmp_oid_compare(n, len < g_k ? len : g_k, g_tab, g_k);

    *c = 2, *s = 1, *t = 0;
    if (cmp < 0 || len <= g_k)
        return cmp <= 0;
    if (cmp > 0 || n[g_k] > 3)
        return 0;
    if (n[g_k] < 2)
        return 1;
    *c = n[g_k];
    if (len == g_k + 1 || n[g_k + 1] < 1)
        return 1;
    *s = n[g_k + 1];
    if (*s > g_sessions)
        goto next_col;
    if (len == g_k + 2)
        return 1;
    *t = n[g_k + 2] + 1;
    if (*t < TYPES)
        return 1;
    *t = 0;
    if (++*s <= g_sessions)
        return 1;
next_col:
    *s = 1;
    return ++*c <= 3;
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
                   netsnmp_agent_request_info *ri, netsnmp_request_info *rq)
{
    (void)h;
    (void)reg;
    for (; rq; rq = rq->next) {
        netsnmp_variable_list *vb = rq->requestvb;
        oid o[MAX_OID_LEN], c, s, t;
        u_long v;

        if (ri->mode != MODE_GETNEXT) {
            netsnmp_set_request_error(ri, rq, SNMP_NOSUCHINSTANCE);
            continue;
        }
        if (!next(vb->name, vb->name_length, &c, &s, &t))
            continue;
        memcpy(o, g_tab, g_k * sizeof(oid));
        o[g_k] = c, o[g_k + 1] = s, o[g_k + 2] = t;
        snmp_set_var_objid(vb, o, g_k + 3);
        v = c == 2 ? 1 : 100 + t;
        snmp_set_var_typed_value(vb, ASN_UNSIGNED, &v, sizeof(v));
    }
    return SNMP_ERR_NOERROR;
}

int main(int argc, char **argv)
{
    static const oid pre[] = {1, 3, 6, 1, 4, 1, 8072, 9999, 9999};

    if (argc != 4)
        return 2;
    memcpy(g_tab, pre, sizeof(pre));
    g_tab[9] = strtoul(argv[2], NULL, 10);
    g_tab[10] = 1, g_tab[11] = 7, g_tab[12] = 1;
    g_k = 13;
    g_sessions = strtoul(argv[3], NULL, 10);
    netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    snmp_disable_log();
    init_agent("agentx_netsnmp_min");
    netsnmp_register_handler(netsnmp_create_handler_registration(
        "benchTable", handler, g_tab, 12, HANDLER_CAN_RONLY));
    init_snmp("agentx_netsnmp_min");
    for (;;)
        agent_check_and_process(1);
}
