/*
 * test_import_manifest.c - the manifest issuctl import makes of a capture
 * (agent/cli/import_manifest.c): each fact from the view that shows it,
 * the fallbacks with their warnings, policies, placeholders, the knowledge
 * file and options, and captures whose manifest the loader must refuse.
 * Every accepted manifest is printed as JSON and XML and loaded again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libyang/libyang.h>

#include "image.h"
#include "import.h"
#include "import_manifest.h"
#include "issu_err.h"
#include "manifest.h"

#define KNOWLEDGE ISSU_SOURCE_DIR "/examples/knowledge.json"

struct fx {
    struct ly_ctx *ctx;
    struct lyd_node *know;
    struct issu_capture *cap;
    struct lyd_node *tree;
    char err[1024];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char err[512];

    if (!f || issu_ly_ctx_new(&f->ctx) != ISSU_OK ||
        issu_knowledge_load(f->ctx, KNOWLEDGE, &f->know, err, sizeof(err)) != ISSU_OK)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    lyd_free_all(f->tree);
    lyd_free_all(f->know);
    issu_capture_free(f->cap);
    ly_ctx_destroy(f->ctx);
    free(f);
    return 0;
}

/* import @p text with @p o (NULL: the knowledge file only) */
static int build(struct fx *f, const char *text, struct issu_import_opts *o)
{
    struct issu_import_opts dflt = {.knowledge = f->know, .knowledge_path = "knowledge.json", .sources = "t"};

    lyd_free_all(f->tree);
    f->tree = NULL;
    issu_capture_free(f->cap);
    f->cap = NULL;
    assert_int_equal(issu_capture_new(&f->cap), ISSU_OK);
    assert_int_equal(issu_capture_feed(f->cap, "t", text, strlen(text)), ISSU_OK);
    return issu_import_build(f->ctx, f->cap, o ? o : &dflt, &f->tree, f->err, sizeof(f->err));
}

/* the first node @p xpath selects (values live as long as the tree) */
static const char *val(struct fx *f, const char *xpath)
{
    struct ly_set *set = NULL;
    const char *v = NULL;

    if (f->tree && lyd_find_xpath(f->tree, xpath, &set) == LY_SUCCESS && set->count)
        v = lyd_get_value(set->dnodes[0]);
    ly_set_free(set, NULL);
    return v;
}

static int is_true(struct fx *f, const char *xpath)
{
    const char *v = val(f, xpath);

    return v && !strcmp(v, "true");
}

static int warned(struct fx *f, const char *part)
{
    size_t i;

    for (i = 0; i < f->cap->nwarn; i++)
        if (strstr(f->cap->warn[i].text, part))
            return 1;
    return 0;
}

/* what issuctl writes, JSON and XML, loads again */
static void reload(struct fx *f)
{
    static const LYD_FORMAT fmts[] = {LYD_JSON, LYD_XML};
    struct issu_image *img = NULL;
    char *text = NULL, err[512];
    size_t i;

    for (i = 0; i < 2; i++) {
        assert_int_equal(lyd_print_mem(&text, f->tree, fmts[i], LYD_PRINT_WITHSIBLINGS), LY_SUCCESS);
        if (issu_manifest_load_mem(f->ctx, text, strlen(text), i ? ISSU_MANIFEST_XML : ISSU_MANIFEST_JSON, "out",
                                   &img, err, sizeof(err)) != ISSU_OK)
            fail_msg("the written manifest does not load: %s", err);
        issu_image_free(img);
        img = NULL;
        free(text);
        text = NULL;
    }
}

#define C "/issu-manifest:image/client"

static const char full[] =
    "R#show version\n"
    "Cisco IOS Software, ASR1000 Software, Version 15.5(3)S5, RELEASE SOFTWARE (fc2)\n"
    "System image file is \"bootflash:/images/rp.bin\"\n"
    "R#show issu clients\n"
    "Client_ID = 3, Client_Name = ISSU RF, Entity_Count = 1\n"
    "Client_ID = 4, Client_Name = ISSU CF client, Entity_Count = 1\n"
    "Client_ID = 2007, Client_Name = ISSU LSD Label Mgr HA Client, Entity_Count = 1\n"
    "Client_ID = 2011, Client_Name = ISSU LDP Client, Entity_Count = 1\n"
    "R#show issu message types 2011\n"
    "Client_ID = 2011, Entity_ID = 1 :\n"
    "  Message_Type = 1, Version_Range = 2 ~ 3\n"
    "    Message_Ver = 2, Message_Mtu = 20\n"
    "    Message_Ver = 3, Message_Mtu = 24\n"
    "R#show issu sessions 2011\n"
    "Client_ID = 2011, Entity_ID = 1 :\n"
    "*** Session_ID = 46, Session_Name = LDP Session :\n"
    "   7      34  PRIMARY  COMPATIBLE  2      5      0\n"
    "                               (no policy)\n"
    "  Transport_Mtu = 3948\n"
    "R#show issu message groups 2011\n"
    "Client_ID = 2011, Entity_ID = 1 :\n"
    "  Message_Group = 5 :\n"
    "    Message_Type = 1, Version_Range = 2 ~ 3\n"
    "R#show issu negotiated capability 46\n"
    "Session_ID = 46 :\n"
    "  Cap_Type = 0, Cap_Result = 1, Negotiated_Cap_Entry = 2\n"
    "  Cap_Type = 1, Cap_Result = 1 No cap value assigned\n";

/* Every view present: the facts land where they belong, the knowledge file
 * gives base flags and Table 1, show version the image. */
static void test_full(void **state)
{
    struct fx *f = *state;

    assert_int_equal(build(f, full, NULL), ISSU_OK);
    assert_string_equal(val(f, "/issu-manifest:image/name"), "rp.bin");
    assert_string_equal(val(f, "/issu-manifest:image/version"), "15.5(3)S5");
    assert_string_equal(val(f, C "[id='2011']/message-group[id='5']/message-type[id='1']/version[number='3']/mtu"),
                        "24");
    assert_string_equal(val(f, C "[id='2011']/entity[id='1']/message-group"), "5");
    assert_string_equal(val(f, C "[id='2011']/entity[id='1']/capability-group"), "2");
    assert_string_equal(val(f, C "[id='2011']/entity[id='1']/session-id"), "46");
    assert_string_equal(val(f, C "[id='2011']/entity[id='1']/transport-mtu"), "3948");
    assert_string_equal(val(f, C "[id='2011']/capability-group[id='2']/capability-type[id='0']/entry"), "2");
    assert_non_null(val(f, C "[id='2011']/capability-group[id='2']/capability-type[id='1']/id"));
    assert_string_equal(val(f, C "[id='2011']/prerequisite"), "2007");
    assert_true(is_true(f, C "[id='3']/base"));
    assert_false(is_true(f, C "[id='2011']/base"));
    assert_non_null(strstr(val(f, "/issu-manifest:image/description"), "Base flags from the knowledge file"));
    /* 3 and 4 are only listed: placeholders, warned */
    assert_string_equal(val(f, C "[id='3']/entity[id='1']/session-name"), "ISSU RF Session");
    assert_true(warned(f, "clients have no message types in the capture"));
    assert_false(warned(f, "client 2011"));
    reload(f);
}

/* Options win: image name and version, --base, --prerequisite; without
 * knowledge nothing else is base or has prerequisites. */
static void test_options(void **state)
{
    struct fx *f = *state;
    uint32_t base[] = {2011}, pre[] = {3, 4, 9999};
    struct issu_import_prereq p = {.client = 2011, .pre = pre, .npre = 3};
    struct issu_import_opts o = {.image_name = "n", .image_version = "v", .base = base, .nbase = 1,
                                 .prereq = &p, .nprereq = 1};

    assert_int_equal(build(f, full, &o), ISSU_OK);
    assert_string_equal(val(f, "/issu-manifest:image/name"), "n");
    assert_true(is_true(f, C "[id='2011']/base"));
    assert_false(is_true(f, C "[id='3']/base"));
    assert_null(val(f, C "[id='2007']/prerequisite"));
    assert_true(warned(f, "client 2011: prerequisite 9999 (--prerequisite) is not in the capture"));
    assert_non_null(strstr(val(f, "/issu-manifest:image/description"), "Base flags from --base: clients 2011"));
    assert_null(strstr(val(f, "/issu-manifest:image/description"), "Base flags from the knowledge file"));
    reload(f);
}

/* Without message types: message groups with the negotiated version's MTU,
 * or the negotiated versions alone; each a warning. */
static void test_fallbacks(void **state)
{
    struct fx *f = *state;

    assert_int_equal(build(f,
                           "R#show issu message groups\n"
                           "Client_ID = 10, Entity_ID = 1 :\n"
                           "  Message_Group = 1 :\n"
                           "    Message_Type = 1, Version_Range = 1 ~ 3\n"
                           "    Message_Type = 2, Version_Range = 1 ~ 1\n"
                           "R#show issu sessions 10\n"
                           "Client_ID = 10, Entity_ID = 1 :\n"
                           "*** Session_ID = 5, Session_Name = s :\n"
                           "   7      5  PRIMARY  COMPATIBLE  1      1      0\n"
                           "R#show issu negotiated version 5\n"
                           "Session_ID = 5 :\n"
                           "  Message_Type = 1, Negotiated_Version = 3, Message_MTU = 40\n"
                           "R#show issu sessions 11\n"
                           "Client_ID = 11, Entity_ID = 1 :\n"
                           "*** Session_ID = 6, Session_Name = t :\n"
                           "R#show issu negotiated version 6\n"
                           "Session_ID = 6 :\n"
                           "  Message_Type = 7, Negotiated_Version = 2, Message_MTU = 8\n"
                           "  Message_Type = 8, Negotiated_Version = FAILED (no common version)\n"
                           "R#show issu message types 12\n"
                           "Client_ID = 12, Entity_ID = 1 :\n"
                           "  Message_Type = 1, Version_Range = 1 ~ 3\n"
                           "    Message_Ver = 1, Message_Mtu = 4\n"
                           "    Message_Ver = 3, Message_Mtu = 4\n"
                           "  Message_Type = 2, Version_Range = 1 ~ 1\n",
                           NULL),
                     ISSU_OK);
    assert_string_equal(val(f, C "[id='10']/message-group[id='1']/message-type[id='1']/version[number='3']/mtu"),
                        "40");
    assert_null(val(f, C "[id='10']/message-group[id='1']/message-type[id='2']/id"));
    assert_true(warned(f, "client 10 entity 1: message type 1: range 1 ~ 3, MTU known for the negotiated version 3"));
    assert_true(warned(f, "client 10 entity 1: message type 2: no MTU known"));
    assert_string_equal(val(f, C "[id='11']/message-group[id='1']/message-type[id='7']/version[number='2']/mtu"),
                        "8");
    assert_null(val(f, C "[id='11']/message-group[id='1']/message-type[id='8']/id"));
    assert_true(warned(f, "client 11 entity 1: no 'show issu message types 11'"));
    assert_non_null(val(f, C "[id='12']/message-group[id='1']/message-type[id='1']/version[number='1']/mtu"));
    assert_null(val(f, C "[id='12']/message-group[id='1']/message-type[id='1']/version[number='3']/mtu"));
    assert_true(warned(f, "client 12 entity 1: message type 1: Version_Range 1 ~ 3 but Message_Ver lines for 1 ~ 3 "
                          "only: imported as 1 ~ 1"));
    assert_true(warned(f, "client 12 entity 1: message type 2 lists no Message_Ver line (no MTU): left out"));
    assert_true(warned(f, "client 10: no 'show issu clients' line: named 'Client 10'"));
    assert_true(warned(f, "no 'show version' in the capture and no --image-name/--image-version"));
    assert_string_equal(val(f, "/issu-manifest:image/name"), "imported");
    reload(f);
}

static const char *policy_capture(const char *raw, const char *pol)
{
    static char buf[1024];

    snprintf(buf, sizeof(buf),
             "R#show issu sessions 20\n"
             "Client_ID = 20, Entity_ID = 1 :\n"
             "*** Session_ID = 8, Session_Name = p :\n"
             "   7      8  PRIMARY  %s  1      1      0\n"
             "                               (policy)\n"
             "  Compat_Result: raw_result = %s, policy_result = %s\n"
             "Client_ID = 20, Entity_ID = 2 :\n"
             "*** Session_ID = 9, Session_Name = q :\n"
             "   7      9  PRIMARY  COMPATIBLE  1      1      0\n"
             "                               (no policy)\n"
             "*** Session_ID = 10, Session_Name = r :\n",
             pol, raw, pol);
    return buf;
}

/* (policy) with Compat_Result -> the manifest's policy; an entity that
 * disagrees and a second session on one entity are warnings. */
static void test_policy(void **state)
{
    struct fx *f = *state;

    assert_int_equal(build(f, policy_capture("INCOMPATIBLE", "COMPATIBLE"), NULL), ISSU_OK);
    assert_string_equal(val(f, C "[id='20']/policy"), "allow-degraded");
    assert_true(warned(f, "client 20: entity 2 shows policy none, an earlier entity allow-degraded"));
    assert_true(warned(f, "client 20 entity 2: 2 sessions; a manifest has one per entity: kept Session_ID 9"));
    reload(f);
    assert_int_equal(build(f, policy_capture("COMPATIBLE", "INCOMPATIBLE"), NULL), ISSU_OK);
    assert_string_equal(val(f, C "[id='20']/policy"), "deny");
    assert_int_equal(build(f, policy_capture("COMPATIBLE", "COMPATIBLE"), NULL), ISSU_OK);
    assert_string_equal(val(f, C "[id='20']/policy"), "enforce");
}

/* Captures whose manifest no loader takes: refused with the reason. */
static void test_refused(void **state)
{
    struct fx *f = *state;
    uint32_t p1[] = {31}, p2[] = {30};
    struct issu_import_prereq cyc[] = {{.client = 30, .pre = p1, .npre = 1}, {.client = 31, .pre = p2, .npre = 1}};
    struct issu_import_opts o = {.prereq = cyc, .nprereq = 2, .image_name = "a", .image_version = "b"};

    assert_int_equal(build(f, "R#show issu sessions\n"
                              "Client_ID = 1, Entity_ID = 1 :\n*** Session_ID = 5, Session_Name = a :\n"
                              "Client_ID = 2, Entity_ID = 1 :\n*** Session_ID = 5, Session_Name = b :\n",
                           NULL),
                     ISSU_ERR_INVAL);
    assert_non_null(strstr(f->err, "session-id 5 is already used"));
    assert_null(f->tree);
    assert_int_equal(build(f, "R#show issu clients\n"
                              "Client_ID = 30, Client_Name = a, Entity_Count = 1\n"
                              "Client_ID = 31, Client_Name = b, Entity_Count = 1\n",
                           &o),
                     ISSU_ERR_INVAL);
    assert_non_null(strstr(f->err, "cycle"));
    assert_int_equal(build(f, "R#show version\nCisco IOS Software, x, Version 1, y\n", NULL), ISSU_ERR_INVAL);
    assert_non_null(strstr(f->err, "holds no client"));
}

/* Entity_Count from a hostile line: at most 1024 placeholder entities. */
static void test_huge_count(void **state)
{
    struct fx *f = *state;

    assert_int_equal(build(f, "R#show issu clients\nClient_ID = 7, Client_Name = x, Entity_Count = 4294967295\n",
                           NULL),
                     ISSU_OK);
    assert_true(warned(f, "client 7: Entity_Count 4294967295: only 1024 placeholder entities made"));
    assert_non_null(val(f, C "[id='7']/entity[id='1024']/id"));
    assert_null(val(f, C "[id='7']/entity[id='1025']/id"));
}

/* A capability type not negotiated has no entries to show; duplicate types once. */
static void test_caps(void **state)
{
    struct fx *f = *state;

    assert_int_equal(build(f,
                           "R#show issu sessions 40\nClient_ID = 40, Entity_ID = 1 :\n"
                           "*** Session_ID = 3, Session_Name = c :\n"
                           "R#show issu negotiated capability 3\nSession_ID = 3 :\n"
                           "  Cap_Type = 4, Cap_Result = 0 Not negotiated: no common entry\n"
                           "  Cap_Type = 4, Cap_Result = 1, Negotiated_Cap_Entry = 9\n",
                           NULL),
                     ISSU_OK);
    assert_true(warned(f, "client 40: session 3 did not negotiate capability type 4: imported without entries"));
    assert_non_null(val(f, C "[id='40']/capability-group[id='1']/capability-type[id='4']/id"));
    assert_null(val(f, C "[id='40']/capability-group[id='1']/capability-type[id='4']/entry"));
    reload(f);
}

/* Knowledge files: bad ones are refused with the file's name. */
static void test_knowledge(void **state)
{
    struct fx *f = *state;
    struct lyd_node *k = NULL;
    char err[512];
    FILE *fp;

    fp = fopen("bad_knowledge.json", "w");
    assert_non_null(fp);
    fputs("{\"issu-knowledge:knowledge\": {\"client\": [{\"id\": \"x\"}]}}", fp);
    fclose(fp);
    assert_int_equal(issu_knowledge_load(f->ctx, "bad_knowledge.json", &k, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "bad_knowledge.json"));
    fp = fopen("bad_knowledge.json", "w");
    assert_non_null(fp);
    fputs("{\"issu-manifest:image\": {\"name\": \"a\", \"version\": \"b\"}}", fp);
    fclose(fp);
    assert_int_equal(issu_knowledge_load(f->ctx, "bad_knowledge.json", &k, err, sizeof(err)), ISSU_ERR_INVAL);
    assert_non_null(strstr(err, "no container issu-knowledge:knowledge"));
    assert_int_equal(issu_knowledge_load(f->ctx, "no_such_file.json", &k, err, sizeof(err)), ISSU_ERR_IO);
    remove("bad_knowledge.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full),      cmocka_unit_test(test_options),    cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_policy),    cmocka_unit_test(test_refused),    cmocka_unit_test(test_huge_count),
        cmocka_unit_test(test_caps),      cmocka_unit_test(test_knowledge),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
