/*
 * bulk2.c - a two-column GETBULK walk (what snmptable or an exporter does):
 * GETBULK with two varbinds, the two columns' last OIDs, max-repetitions R,
 * until both leave their column. Prints the varbinds (OID = Gauge32 value,
 * one a line) so agentx_bench.py can compare the subagents' answers.
 * Usage: bulk2 AGENT COMMUNITY COLUMN_OID_A COLUMN_OID_B R
 */
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    oid col[2][MAX_OID_LEN], cur[2][MAX_OID_LEN];
    size_t col_len[2], cur_len[2];
    netsnmp_session s, *ss;
    int live[2] = {1, 1}, i, reps;

    if (argc != 6)
        return 2;
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    init_snmp("bulk2");
    snmp_sess_init(&s);
    s.peername = argv[1];
    s.version = SNMP_VERSION_2c;
    s.community = (u_char *)argv[2];
    s.community_len = strlen(argv[2]);
    s.timeout = 30 * 1000000L;
    reps = atoi(argv[5]);
    for (i = 0; i < 2; i++) {
        col_len[i] = MAX_OID_LEN;
        if (!read_objid(argv[3 + i], col[i], &col_len[i]))
            return fprintf(stderr, "bulk2: bad OID %s\n", argv[3 + i]), 2;
        memcpy(cur[i], col[i], col_len[i] * sizeof(oid));
        cur_len[i] = col_len[i];
    }
    if (!(ss = snmp_open(&s)))
        return snmp_perror("bulk2"), 1;
    while (live[0] || live[1]) {
        netsnmp_pdu *req = snmp_pdu_create(SNMP_MSG_GETBULK), *rsp = NULL;
        netsnmp_variable_list *vb;
        int idx[2], n = 0, k = 0;

        req->non_repeaters = 0;
        req->max_repetitions = reps;
        for (i = 0; i < 2; i++)
            if (live[i]) {
                snmp_add_null_var(req, cur[i], cur_len[i]);
                idx[n++] = i;
            }
        if (snmp_synch_response(ss, req, &rsp) != STAT_SUCCESS || !rsp || rsp->errstat)
            return fprintf(stderr, "bulk2: request failed\n"), 1;
        for (vb = rsp->variables; vb; vb = vb->next_variable, k++) {
            i = idx[k % n];
            if (!live[i])
                continue;
            if (vb->type == SNMP_ENDOFMIBVIEW || vb->name_length < col_len[i] ||
                memcmp(vb->name, col[i], col_len[i] * sizeof(oid))) {
                live[i] = 0;
                continue;
            }
            memcpy(cur[i], vb->name, vb->name_length * sizeof(oid));
            cur_len[i] = vb->name_length;
            for (size_t j = 0; j < vb->name_length; j++)
                printf(".%lu", vb->name[j]);
            printf(" = %lu\n", vb->val.integer ? (unsigned long)*vb->val.integer : 0UL);
        }
        snmp_free_pdu(rsp);
    }
    snmp_close(ss);
    return 0;
}
