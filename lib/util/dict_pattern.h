/*
 * dict_pattern.h - the rule files that regexp: and pcre: tables share
 * (Postfix's regexp_table(5) and pcre_table(5) have one grammar), and the
 * engine interface that is all that differs between them.
 *
 * dict_pattern.c reads the file: logical lines, "/pattern/flags result",
 * "!/pattern/", "if ... endif" blocks, flag letters, and $1..$9 in results.
 * An engine (dict_regexp.c for POSIX regcomp, dict_pcre.c for PCRE2) only
 * compiles one pattern and matches it against one key.  Internal to
 * lib/util: everyone else opens these tables through dict.h.
 */
#ifndef POSTERN_DICT_PATTERN_H
#define POSTERN_DICT_PATTERN_H

#include "sys_defs.h"
#include "dict.h"

#define DICT_PATTERN_GROUPS 10 /* the whole match and $1..$9 */

/* What one group matched: key[start, end), or start < 0 when it matched nothing. */
struct dict_pattern_group {
    ptrdiff_t start, end;
};

/* A flag letter after the closing delimiter toggles bits of the engine's options. */
struct dict_pattern_flag {
    char letter;
    unsigned bits;
};

struct dict_pattern_engine {
    unsigned default_bits;                 /* the options before any flag letter */
    const struct dict_pattern_flag *flags; /* the letters it knows; ends with letter 0 */
    /* Compile the NUL-terminated pattern; -1 with a malloc'ed reason in *error_r. */
    int (*compile)(const char *pattern, unsigned bits, void **re_r, char **error_r);
    /*
     * Match key (len bytes, NUL-terminated): 1 with groups[0..DICT_PATTERN_GROUPS)
     * filled (groups may be NULL when no caller needs them), 0 no match, -1 the
     * engine gave up (a limit, memory) with a malloc'ed reason in *error_r.
     */
    int (*match)(void *re, const char *key, size_t len, struct dict_pattern_group *groups,
                 char **error_r);
    void (*free)(void *re);
};

/* dict_ops.open for a pattern table: load and compile file name with engine. */
int dict_pattern_open(struct dict *d, const char *name, const struct dict_pattern_engine *engine,
                      char **error_r);
/* dict_ops.lookup: the first rule that matches; -1 when an engine gives up. */
int dict_pattern_lookup(struct dict *d, const char *key, const char **value_r, char **error_r);
/* dict_ops.close */
void dict_pattern_close(struct dict *d);
/* dict_ops.file: the rule file, to notice when it is replaced. */
const char *dict_pattern_file(const struct dict *d);

#endif
