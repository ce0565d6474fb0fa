/*
 * test_import.c - the capture reader of issuctl import (agent/cli/import.c):
 * the seed document as a capture, every layout variant the seed shows,
 * prompts, CRLF, --More-- remnants, abbreviations, and malformed,
 * truncated and oversized input (a 100 MB line, more than the input limit).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "import.h"
#include "issu_err.h"

#define SEED ISSU_TEST_DATA_DIR "/import/seed.txt"

static struct issu_capture *feed(const char *text)
{
    struct issu_capture *c = NULL;

    assert_int_equal(issu_capture_new(&c), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "cap.txt", text, strlen(text)), ISSU_OK);
    return c;
}

static struct issu_imp_entity *ent(struct issu_capture *c, uint32_t client, uint32_t entity)
{
    struct issu_imp_client *k = issu_capture_client(c, client);
    size_t i;

    assert_non_null(k);
    for (i = 0; i < k->nents; i++)
        if (k->ents[i].id == entity)
            return &k->ents[i];
    fail_msg("no entity %u of client %u", entity, client);
    return NULL;
}

static int has_warning(const struct issu_capture *c, const char *part)
{
    size_t i;

    for (i = 0; i < c->nwarn; i++)
        if (strstr(c->warn[i].text, part))
            return 1;
    return 0;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b;
    long n;

    if (!f)
        return NULL;
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    rewind(f);
    b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    b[n] = '\0';
    *len = (size_t)n;
    return b;
}

/* The seed read whole: its clients, the MPLS examples' facts, no line of
 * router output among the warnings (those are the document's prose). */
static void test_seed(void **state)
{
    struct issu_capture *c = NULL;
    struct issu_imp_entity *e;
    struct issu_imp_neg *n;
    size_t len = 0, i;
    char *text = read_all(SEED, &len);

    (void)state;
    if (!text)
        skip();
    assert_int_equal(issu_capture_new(&c), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "seed", text, len), ISSU_OK);
    assert_int_equal(c->nclients, 53);
    assert_string_equal(issu_capture_client(c, 2007)->name, "ISSU LSD Label Mgr HA Client");
    assert_int_equal(issu_capture_client(c, 1001)->entity_count, 4);
    e = ent(c, 2011, 1);
    assert_int_equal(e->ntypes, 3);
    assert_int_equal(e->types[2].id, 3);
    assert_int_equal(e->types[2].lo, 2);
    assert_int_equal(e->types[2].v[0].mtu, 4);
    assert_int_equal(e->nsess, 1);
    assert_string_equal(e->sess[0].name, "LDP Session");
    assert_int_equal(e->sess[0].sid, 46);
    assert_int_equal(e->sess[0].tmtu, 3948);
    assert_int_equal(e->sess[0].policy, 0);
    e = ent(c, 2007, 1);
    assert_int_equal(e->sess[0].policy, 1);
    assert_int_equal(e->sess[0].raw_result, ISSU_IMP_COMPATIBLE);
    assert_int_equal(e->types[0].nv, 2);
    /* "Session ID = 131073, Session Name = MFI Pull (6):" */
    e = ent(c, 2030, 1);
    assert_string_equal(e->sess[0].name, "MFI Pull (6)");
    assert_int_equal(e->sess[0].sid, 131073);
    assert_int_equal(e->types[1].id, 2004);
    /* "Version Range = 1 ~ 2" with one Message_Ver */
    e = ent(c, 2031, 1);
    assert_int_equal(e->types[0].hi, 2);
    assert_int_equal(e->types[0].nv, 1);
    assert_int_equal(e->sess[0].tmtu, 4056); /* the block split by the document */
    /* "Session_ID = 45:", "(6 ):" and the no-comma Cap_Type line */
    e = ent(c, 2089, 1);
    assert_string_equal(e->sess[0].name, "MPLS LSPV Push (6 )");
    assert_int_equal(e->ntypes, 5);
    n = issu_capture_neg(c, 45);
    assert_non_null(n);
    assert_int_equal(n->nvers, 5);
    assert_int_equal(n->ncaps, 1);
    assert_true(n->caps[0].noval);
    n = issu_capture_neg(c, 131073);
    assert_int_equal(n->vers[1].type, 3003);
    assert_int_equal(issu_capture_neg(c, 40)->caps[0].entry, 1);
    /* "Client_ID = 2009,  Entity_ID = 1 :" and "Message_Ver = 1,    Message_Mtu = 32" */
    assert_int_equal(ent(c, 2009, 1)->types[0].v[0].mtu, 32);
    for (i = 0; i < c->nwarn; i++) {
        assert_null(strstr(c->warn[i].text, "\"Client_ID"));
        assert_null(strstr(c->warn[i].text, "\"Message_"));
        assert_null(strstr(c->warn[i].text, "\"Session_ID"));
        assert_null(strstr(c->warn[i].text, "\"*** "));
        assert_null(strstr(c->warn[i].text, "\"Nego_"));
        assert_null(strstr(c->warn[i].text, "\"Transport_Mtu"));
        assert_null(strstr(c->warn[i].text, "\"Negotiated_"));
        assert_null(strstr(c->warn[i].text, "\"Cap_Type"));
    }
    assert_true(c->nwarn_total > 0);
    issu_capture_free(c);
    free(text);
}

/* An operator's terminal: IOS XR prompt, CRLF, --More-- erased by
 * backspaces, abbreviations, other commands, indentation, show version. */
static void test_terminal(void **state)
{
    static const char cap[] =
        "RP/0/RSP0/CPU0:router#terminal length 0\r\n"
        "RP/0/RSP0/CPU0:router#show version\r\n"
        "Cisco IOS XE Software, Version 03.16.05.S - Extended Support Release\r\n"
        "Cisco IOS Software, ASR1000 Software (X86_64_LINUX_IOSD-ADVENTERPRISEK9-M), Version 15.5(3)S5, RELEASE "
        "SOFTWARE (fc2)\r\n"
        "System image file is \"bootflash:asr1000rp1-adventerprisek9.03.16.05.S.155-3.S5-ext.bin\"\r\n"
        "RP/0/RSP0/CPU0:router#sh iss cl\r\n"
        "Client_ID = 2, Client_Name = ISSU Proto client, Entity_Count = 1\r\n"
        " --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\bClient_ID = 2011, Client_Name = ISSU, LDP, "
        "Client, Entity_Count = 1\r\n"
        "\r\n"
        "edge-1(config)#do show running-config\r\n"
        "Client_ID = 9, this is configuration, not read\r\n"
        "edge-1#sh issu mess ty 2011\r\n"
        "        -----\r\n"
        "\t\tClient_ID=2011,Entity_ID=1:\r\n"
        "   Message_Type = 1,  Version_Range = 1 ~ 2\r\n"
        "Message_Ver = 1, Message_Mtu = 20\r\n"
        "      Message_Ver = 2, Message_Mtu = 24\r\n"
        "edge-1#show issu negotiated capability 46\n"
        "Session_ID = 46 :\n"
        "  Cap_Type = 3, Cap_Result = 1, Negotiated_Cap_Entry = 7\n"
        "  Cap_Type = 4, Cap_Result = 0 Not negotiated: no common entry\n"
        "edge-1#\n"
        "edge-1#show issu negotiated version 46\n"
        "Session_ID = 46 :\n"
        "  Message_Type = 1, Negotiated_Version = 2, Message_MTU = 24 (WARNING: MTU differs)\n"
        "  Message_Type = 2, Negotiated_Version = FAILED (no common version)\n";
    struct issu_capture *c = feed(cap);
    struct issu_imp_entity *e;
    struct issu_imp_neg *n;

    (void)state;
    assert_int_equal(c->nwarn_total, 0);
    assert_string_equal(c->image_version, "15.5(3)S5");
    assert_string_equal(c->image_name, "asr1000rp1-adventerprisek9.03.16.05.S.155-3.S5-ext.bin");
    assert_int_equal(c->nclients, 2);
    assert_string_equal(issu_capture_client(c, 2011)->name, "ISSU, LDP, Client");
    assert_null(issu_capture_client(c, 9));
    e = ent(c, 2011, 1);
    assert_int_equal(e->ntypes, 1);
    assert_int_equal(e->types[0].nv, 2);
    assert_int_equal(e->types[0].v[1].mtu, 24);
    n = issu_capture_neg(c, 46);
    assert_int_equal(n->ncaps, 2);
    assert_int_equal(n->caps[0].type, 3);
    assert_int_equal(n->caps[0].entry, 7);
    assert_false(n->caps[1].has_entry);
    assert_int_equal(n->nvers, 2);
    assert_true(n->vers[1].failed);
    assert_int_equal(c->commands, 5);
    issu_capture_free(c);
}

/* Sessions in both layouts, policy results, UNAVAILABLE, message groups
 * and entities; a repeated view replaces the earlier one. */
static void test_views(void **state)
{
    static const char cap[] =
        "R1#show issu sessions\n"
        "-----\n"
        "Client_ID = 2007, Entity_ID = 1 :\n"
        "*** Session_ID = 40, Session_Name = lsd_ha :\n"
        "  Peer Peer Negotiate Negotiated Cap      Msg      Session\n"
        "  UniqueID Sid  Role      Result  GroupID GroupID Signature\n"
        "   7      30  PRIMARY  INCOMPATIBLE  2      3      9\n"
        "                               (policy)\n"
        "Negotiation Session Info for This Message Session:\n"
        "  Nego_Session_ID = 40\n"
        "  Nego_Session_Name = lsd_ha\n"
        "  Transport_Mtu = 3948\n"
        "  Compat_Result: raw_result = INCOMPATIBLE, policy_result = COMPATIBLE\n"
        "-----\n"
        "Client_ID = 3000, Entity_ID = - :\n"
        "*** Session_ID = -, Session_Name = - :\n"
        "  Peer Peer Negotiate Negotiated Cap      Msg      Session\n"
        "  UniqueID Sid  Role      Result  GroupID GroupID Signature\n"
        "   -      -    -        UNAVAILABLE -      -      -\n"
        "  Reason: client present in one image only; counts against the verdict\n"
        "R1#show issu message groups 2007\n"
        "-----\n"
        "Client_ID = 2007, Entity_ID = 1 :\n"
        "  Message_Group = 3 :\n"
        "    Message_Type = 1, Version_Range = 1 ~ 2\n"
        "R1#show issu entities 2007\n"
        "Client_ID = 2007, Entity_ID = 1, Entity_Name = lsd, ha, MsgType_Count = 1\n"
        "R1#show issu sessions 2007\n"
        "Client_ID = 2007, Entity_ID = 1 :\n"
        "*** Session_ID = 40, Session_Name = lsd_ha2 :\n"
        "R1#show issu negotiated capability 40\n"
        "-----\n"
        "Client_ID = 2007, Entity_ID = 1, Session_ID = 40 :\n"
        "  Negotiated_Cap_Entry = 1\n";
    struct issu_capture *c = feed(cap);
    struct issu_imp_entity *e;

    (void)state;
    assert_int_equal(c->nwarn_total, 0);
    assert_null(issu_capture_client(c, 3000));
    e = ent(c, 2007, 1);
    assert_int_equal(e->nsess, 1);
    assert_string_equal(e->sess[0].name, "lsd_ha2");
    assert_int_equal(e->sess[0].have, 0);
    assert_int_equal(e->nranges, 1);
    assert_int_equal(e->ranges[0].group, 3);
    assert_string_equal(e->name, "lsd, ha");
    assert_int_equal(issu_capture_neg(c, 40)->caps[0].entry, 1);
    issu_capture_free(c);

    c = feed("R1#show issu sessions 2007\n"
             "Client_ID = 2007, Entity_ID = 1 :\n"
             "*** Session_ID = 40, Session_Name = lsd_ha :\n"
             "   7      30  PASSIVE  INCOMPATIBLE  2      3      9\n"
             "                               (policy)\n"
             "  Compat_Result: raw_result = INCOMPATIBLE, policy_result = COMPATIBLE\n");
    e = ent(c, 2007, 1);
    assert_int_equal(e->sess[0].msg_group, 3);
    assert_int_equal(e->sess[0].cap_group, 2);
    assert_int_equal(e->sess[0].result, ISSU_IMP_INCOMPATIBLE);
    assert_int_equal(e->sess[0].policy_result, ISSU_IMP_COMPATIBLE);
    issu_capture_free(c);
}

/* Lines it cannot read: each a warning with file, line and command. */
static void test_malformed(void **state)
{
    static const char cap[] =
        "Router# show issu clients\n"                                   /* 1 */
        "Client_ID = 2, Client_Name = ISSU Proto client, Entity_Count = 1\n"
        "Client_ID = x, Client_Name = y, Entity_Count = 1\n"             /* 3 */
        "Client_ID = 4294967296, Client_Name = y, Entity_Count = 1\n"    /* 4: overflow */
        "Client_ID = 5, Client_Name = , Entity_Count = 1\n"              /* 5: empty name */
        "Client_ID = 6, Client_Name = n, Entity_Count = 1 trailing\n"    /* 6 */
        "Client_ID = 7, Client_Name = n, Entity_Count = \n"              /* 7: truncated */
        "Client_ID = 8, Client_Na\n"                                     /* 8: truncated */
        "Router# show issu message types 2011\n"                         /* 9 */
        "  Message_Ver = 1, Message_Mtu = 20\n"                          /* 10: no type yet */
        "Client_ID = 2011, Entity_ID = 1 :\n"
        "  Message_Type = 1, Version_Range = 2 ~ 1\n"                    /* 12: low > high */
        "  Message_Type = 2, Version_Range = 1 ~ 1\n"
        "    Message_Ver = 3, Message_Mtu = 20\n"                        /* 14: outside */
        "    Message_Ver = 1, Message_Mtu = 20\n"
        "    Message_Ver = 1, Message_Mtu = 21\n"                        /* 16: twice */
        "  Message_Type = 2, Version_Range = 1 ~ 1\n"                    /* 17: twice */
        "    Message_Ver = 1, Message_Mtu = -1\n"                        /* 18 */
        "Router# show issu sessions 2011\n"                              /* 19 */
        "   7      30  PRIMARY  COMPATIBLE  1      1      0\n"           /* 20: no session */
        "*** Session_ID = 46, Session_Name =  :\n"                       /* 21: no name */
        "   7      30  SECONDARY  COMPATIBLE  1      1      0\n"         /* 22 */
        "  Compat_Result: raw_result = MAYBE, policy_result = COMPATIBLE\n" /* 23 */
        "Router# show issu clients | include LDP\n"                      /* 24 */
        "Client_ID = 9, Client_Name = a\001b, Entity_Count = 1\n"        /* 25: control byte */
        "Client_ID = 10, Client_Name = a\201b, Entity_Count = 1\n"       /* 26: not UTF-8 */
        "Client_ID = 11, Client_Name = \xed\xa0\x80, Entity_Count = 1\n" /* 27: a surrogate */
        "Client_ID = 12, Client_Name = \xc0\xaf, Entity_Count = 1\n"    /* 28: overlong */
        "Client_ID = 13, Client_Name = caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80, Entity_Count = 1\n";
    struct issu_capture *c = feed(cap);
    static const char *const want[] = {
        "cap.txt:3: in 'show issu clients': cannot read",
        "cap.txt:4: in 'show issu clients'",
        "cap.txt:5: in 'show issu clients'",
        "cap.txt:6: in 'show issu clients'",
        "cap.txt:7: in 'show issu clients'",
        "cap.txt:8: in 'show issu clients'",
        "cap.txt:10: in 'show issu message types 2011': Message_Ver without a Message_Type line",
        "cap.txt:12: in 'show issu message types 2011': version range low above high",
        "cap.txt:14: in 'show issu message types 2011': Message_Ver outside its Version_Range",
        "cap.txt:16: in 'show issu message types 2011': Message_Ver listed twice",
        "cap.txt:17: in 'show issu message types 2011': message type listed twice",
        "cap.txt:18: in 'show issu message types 2011': cannot read",
        "cap.txt:20: in 'show issu sessions 2011': session values without",
        "cap.txt:21: in 'show issu sessions 2011': session without a name",
        "cap.txt:22: in 'show issu sessions 2011': cannot read",
        "cap.txt:23: in 'show issu sessions 2011': cannot read",
        "cap.txt:24: in 'show issu clients | include LDP': output filtered",
        "cap.txt:25: in 'show issu clients | include LDP': control characters",
        "cap.txt:26: in 'show issu clients | include LDP': not UTF-8 text",
        "cap.txt:27: in 'show issu clients | include LDP': not UTF-8 text",
        "cap.txt:28: in 'show issu clients | include LDP': not UTF-8 text",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!has_warning(c, want[i]))
            fail_msg("no warning \"%s\"", want[i]);
    assert_int_equal(c->nwarn_total, sizeof(want) / sizeof(want[0]));
    assert_int_equal(c->nclients, 3); /* 2, 2011 (message types) and 13 (UTF-8) */
    assert_string_equal(issu_capture_client(c, 13)->name, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_int_equal(ent(c, 2011, 1)->ntypes, 1);
    issu_capture_free(c);
}

/* A line of 100 MB is skipped with a warning, the lines around it read. */
static void test_long_line(void **state)
{
    static const char head[] = "Router#show issu clients\nClient_ID = 2, Client_Name = a, Entity_Count = 1\n";
    static const char tail[] = "\nClient_ID = 3, Client_Name = b, Entity_Count = 1\n";
    size_t n = 100u * 1024u * 1024u, len = sizeof(head) - 1 + n + sizeof(tail) - 1;
    char *buf = malloc(len);
    struct issu_capture *c = NULL;

    (void)state;
    assert_non_null(buf);
    memcpy(buf, head, sizeof(head) - 1);
    memset(buf + sizeof(head) - 1, 'A', n);
    memcpy(buf + sizeof(head) - 1 + n, tail, sizeof(tail) - 1);
    assert_int_equal(issu_capture_new(&c), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "big", buf, len), ISSU_OK);
    assert_int_equal(c->nclients, 2);
    assert_int_equal(c->nwarn_total, 1);
    assert_true(has_warning(c, "big:3: in 'show issu clients': line of 104857600 bytes (more than 4096)"));
    issu_capture_free(c);
    free(buf);
}

/* More than ISSU_IMPORT_MAX_BYTES in all is refused before a byte is read. */
static void test_too_large(void **state)
{
    struct issu_capture *c = NULL;
    static const char one[] = "x";

    (void)state;
    assert_int_equal(issu_capture_new(&c), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "huge", one, (size_t)1 << 30), ISSU_ERR_INVAL);
    assert_int_equal(c->lines, 0);
    assert_int_equal(issu_capture_feed(c, "a", one, 1), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "b", one, ISSU_IMPORT_MAX_BYTES), ISSU_ERR_INVAL);
    issu_capture_free(c);
}

/* Many warnings: the first ones kept, all counted. */
static void test_many_warnings(void **state)
{
    size_t n = ISSU_IMPORT_MAX_WARNINGS + 500, i, len;
    char *buf = malloc(32 + n * 4), *p = buf;
    struct issu_capture *c = NULL;

    (void)state;
    assert_non_null(buf);
    p += sprintf(p, "R#show issu clients\n");
    for (i = 0; i < n; i++)
        p += sprintf(p, "?x\n");
    len = (size_t)(p - buf);
    assert_int_equal(issu_capture_new(&c), ISSU_OK);
    assert_int_equal(issu_capture_feed(c, "w", buf, len), ISSU_OK);
    assert_int_equal(c->nwarn, ISSU_IMPORT_MAX_WARNINGS);
    assert_int_equal(c->nwarn_total, n);
    issu_capture_free(c);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed),          cmocka_unit_test(test_terminal),
        cmocka_unit_test(test_views),         cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_long_line),     cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_many_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
