/*
 * dict_regexp.c - regexp:FILE, POSIX regular expressions (regcomp) in
 * Postfix's regexp_table(5) syntax.  The rule file is read by
 * dict_pattern.c; this file only compiles and matches.
 *
 * Matching is case-insensitive and extended by default; the flags i and x
 * turn those off, m makes newlines special (REG_NEWLINE), as in Postfix.
 * Keys are therefore never folded to lower case.
 */
#include "sys_defs.h"
#include <regex.h>
#include "dict_pattern.h"
#include "mymalloc.h"

static const struct dict_pattern_flag regexp_flags[] = {
    {'i', REG_ICASE},
    {'x', REG_EXTENDED},
    {'m', REG_NEWLINE},
    {0, 0},
};

static char *regexp_error(int err, const regex_t *re)
{
    char why[256];

    (void)regerror(err, re, why, sizeof(why));
    return xstrdup(why);
}

static int regexp_compile(const char *pattern, unsigned bits, void **re_r, char **error_r)
{
    regex_t *re = xmalloc(sizeof(*re));
    int err;

    if ((err = regcomp(re, pattern, (int)bits)) != 0) {
        *error_r = regexp_error(err, re);
        free(re);
        return -1;
    }
    *re_r = re;
    return 0;
}

static int regexp_match(void *re, const char *key, size_t len UNUSED,
                        struct dict_pattern_group *groups, char **error_r)
{
    regmatch_t m[DICT_PATTERN_GROUPS];
    size_t i;
    int err;

    err = regexec(re, key, groups ? DICT_PATTERN_GROUPS : 0, groups ? m : NULL, 0);
    if (err == REG_NOMATCH)
        return 0;
    if (err != 0) { /* REG_ESPACE: glibc ran out of memory */
        *error_r = regexp_error(err, re);
        return -1;
    }
    for (i = 0; groups && i < DICT_PATTERN_GROUPS; i++) {
        groups[i].start = m[i].rm_so;
        groups[i].end = m[i].rm_eo;
    }
    return 1;
}

static void regexp_free(void *re)
{
    regfree(re);
    free(re);
}

static const struct dict_pattern_engine regexp_engine = {
    REG_EXTENDED | REG_ICASE, regexp_flags, regexp_compile, regexp_match, regexp_free,
};

static int regexp_open(struct dict *d, const char *name, char **error_r)
{
    return dict_pattern_open(d, name, &regexp_engine, error_r);
}

const struct dict_ops dict_regexp_ops = {
    "regexp", true, regexp_open, dict_pattern_lookup, dict_pattern_close, dict_pattern_file,
};
