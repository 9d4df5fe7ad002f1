/*
 * dict_table.h - the one parser of lookup-table source text, used by
 * postern-map when it builds hash: and btree: files, by texthash: tables
 * when they load, and by local for aliases and .forward (the rule files of
 * regexp: and pcre: tables are dict_pattern.c's).
 *
 * The syntax is Postfix's (conf.h's logical lines: a line that starts with
 * white space continues the previous one; blank lines and '#' lines are
 * skipped):
 *
 *   DICT_SYNTAX_TABLE    key  value          (postmap(1) input)
 *   DICT_SYNTAX_ALIASES  name: value, ...    (aliases(5); the value is kept
 *                                             whole, local splits it)
 *
 * A key has no white space (an alias name may be in double quotes); keys
 * are folded to lower case with DICT_FLAG_FOLD.  Any error names the line.
 */
#ifndef POSTERN_DICT_TABLE_H
#define POSTERN_DICT_TABLE_H

#include "sys_defs.h"

enum dict_syntax {
    DICT_SYNTAX_TABLE,
    DICT_SYNTAX_ALIASES,
};

/* One entry: NUL-terminated key and value, valid during the call.  Non-zero stops. */
typedef int (*dict_entry_fn)(const char *key, const char *value, int lineno, void *ctx);

/*
 * Parse text, calling fn for every entry in order.  Returns 0, the first
 * non-zero value fn returned, or -1 with the line in *lineno_r and a static
 * reason in *error_r at the first syntax error (nothing after it is seen).
 */
int dict_table_parse(const unsigned char *text, size_t len, enum dict_syntax syntax, int flags,
                     dict_entry_fn fn, void *ctx, int *lineno_r, const char **error_r);

/*
 * Read a table source file (at most DICT_TABLE_FILE_MAX bytes) from an open
 * descriptor and parse it; as dict_table_parse(), and -1 with *lineno_r 0
 * when the file cannot be read.
 */
#define DICT_TABLE_FILE_MAX (256 << 20)
int dict_table_parse_fd(int fd, enum dict_syntax syntax, int flags, dict_entry_fn fn, void *ctx,
                        int *lineno_r, const char **error_r);

#endif
