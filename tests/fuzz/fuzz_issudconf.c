/*
 * fuzz_issudconf.c - libFuzzer target: a configuration file into issud's
 * parser (agent/issud/issud_conf.c), as given with --config FILE.
 *
 * Checked: no crash, no leak; on success every entry names an option of
 * the table, a flag's value is true/false, no value is empty or holds a
 * newline, and lines increase.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "issu_err.h"
#include "issud_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct option table[] = {
    {"active", required_argument, NULL, 'a'},
    {"netconf-unix", required_argument, NULL, 'u'},
    {"netconf-max-sessions", required_argument, NULL, 1001},
    {"nacm-rules", required_argument, NULL, 1202},
    {"verbose", no_argument, NULL, 'v'},
    {"config", required_argument, NULL, 1200},
    {"multi", required_argument, NULL, 1299},
    {NULL, 0, NULL, 0},
};
static const char *const forbidden[] = {"config", NULL};
static const char *const repeatable[] = {"multi", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issud_conf_rules rules = {table, forbidden, repeatable};
    struct issud_conf *c = NULL;
    char err[256];
    size_t i;
    int rc;

    rc = issud_conf_parse("fuzz", (const char *)data, size, &rules, &c, err, sizeof(err));
    if (rc != ISSU_OK) {
        if (c || !err[0])
            abort();
        return 0;
    }
    for (i = 0; i < c->n; i++) {
        const struct issud_conf_entry *e = &c->e[i];

        if (e->opt < table || e->opt >= table + 7 || !e->value[0] || strchr(e->value, '\n') ||
            !strcmp(e->opt->name, "config") || (i && e->line <= c->e[i - 1].line))
            abort();
        if (e->opt->has_arg == no_argument && strcmp(e->value, "true") && strcmp(e->value, "false"))
            abort();
    }
    issud_conf_free(c);
    return 0;
}
