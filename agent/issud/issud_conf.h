/*
 * issud_conf.h - issud's configuration file (--config FILE): a strict
 * parser of `key = value` lines whose keys are the long options of
 * issud's own getopt table, so an option added there is accepted here too.
 *
 * Format: one `key = value` per line; key = a long option's name without
 * "--"; blank lines and lines whose first non-blank is '#' are ignored; the
 * value is the rest of the line with surrounding blanks removed, taken
 * literally (no quotes, no escapes, no trailing comments: a path may hold
 * '#'); an option without an argument takes `true` or `false`. A key may
 * appear once, unless listed as repeatable. No NUL byte, no control
 * character but tab, lines of at most ISSUD_CONF_MAX_LINE bytes, files of
 * at most ISSUD_CONF_MAX_SIZE bytes. Every error names "FILE:LINE".
 */
#ifndef ISSUD_CONF_H
#define ISSUD_CONF_H

#include <getopt.h>
#include <stddef.h>

#define ISSUD_CONF_MAX_SIZE (1 << 20)
#define ISSUD_CONF_MAX_LINE 4096

/** One accepted line. */
struct issud_conf_entry {
    const struct option *opt; /**< its entry in the option table */
    char *value;              /**< for a flag: "true" or "false" */
    unsigned line;
};

struct issud_conf {
    char *name;               /**< the file, as errors name it */
    struct issud_conf_entry *e;
    size_t n;
};

/** What a file may say: the option table and its exceptions. */
struct issud_conf_rules {
    const struct option *table;     /**< getopt_long's table, {NULL,...}-terminated */
    const char *const *forbidden;   /**< names not accepted in a file (NULL-terminated; NULL: none) */
    const char *const *repeatable;  /**< names that may appear more than once (NULL: none) */
};

/**
 * Parse @p len bytes of @p buf (@p name for messages) against @p rules.
 * @param[out] out  the entries, in file order (free with issud_conf_free).
 * @param[out] err  on failure "NAME:LINE: why".
 * @return ISSU_OK, ISSU_ERR_INVAL (a bad line) or ISSU_ERR_NOMEM.
 */
int issud_conf_parse(const char *name, const char *buf, size_t len, const struct issud_conf_rules *rules,
                     struct issud_conf **out, char *err, size_t errlen);

/** The same from a regular file (never blocks on a FIFO); ISSU_ERR_IO when it cannot be read. */
int issud_conf_load(const char *path, const struct issud_conf_rules *rules, struct issud_conf **out, char *err,
                    size_t errlen);

/** NULL is a no-op. */
void issud_conf_free(struct issud_conf *c);

#endif
