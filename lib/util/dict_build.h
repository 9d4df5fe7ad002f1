/*
 * dict_build.h - building a hash: or btree: table file from its source
 * text, all or nothing, as postmap(1) does.  postern-map builds any table
 * with it; postern-account rebuilds the tables it edits with it.
 *
 * The entries go into a new file next to the old FILE.db, which is fsynced,
 * given the source file's owner and permissions, and renamed over the old
 * one, and then the directory is fsynced: a reader sees the old table or
 * the new one, never half of one, and after a crash one of the two.  A
 * syntax error names the file and line and changes nothing.  As root, the
 * table's directory must be root's alone (root creates and renames files
 * in it); safe_open.h says what that means.
 */
#ifndef POSTERN_DICT_BUILD_H
#define POSTERN_DICT_BUILD_H

#include "sys_defs.h"
#include "dict_table.h"

/*
 * Build file.db from file; type is "hash" or "btree".  Returns 0, or an
 * exit status from sysexits.h saying what failed, with a malloc'ed reason
 * in *error_r: EX_USAGE (another type), EX_NOINPUT (the source cannot be
 * read), EX_DATAERR (a syntax error, "FILE, line N: why"), EX_CANTCREAT
 * (the directory is not safe, or the new file cannot be made), EX_IOERR.
 * Duplicate keys are logged with msg_warn(); the first one is kept.
 */
int dict_build(const char *type, const char *file, enum dict_syntax syntax, char **error_r);

/* Is type one that dict_build() builds (hash, btree)? */
bool dict_build_type_ok(const char *type);

#endif
