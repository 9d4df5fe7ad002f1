/*
 * dict_db.h - writing hash: and btree: tables (Berkeley DB 5.3), for
 * postern-map.  Reading them is dict.h's business (dict_db.c has both).
 *
 * Keys and values are stored with their terminating NUL, as Postfix's
 * postmap does on Linux, so a table built by either can be read by both.
 */
#ifndef POSTERN_DICT_DB_H
#define POSTERN_DICT_DB_H

#include "sys_defs.h"

struct dict_db_writer;

/*
 * Create a new, empty database file at path (which must not exist) of type
 * "hash" or "btree".  -1 with a malloc'ed reason.
 */
int dict_db_create(const char *type, const char *path, struct dict_db_writer **w_r, char **error_r);
/* Store one entry; 1 if the key was there already (the first one stays), -1 on error. */
int dict_db_put(struct dict_db_writer *w, const char *key, const char *value, char **error_r);
/* Write everything out and fsync the file; -1 on error.  w is freed either way. */
int dict_db_finish(struct dict_db_writer *w, char **error_r);
/* Give up: close and remove the file. */
void dict_db_abort(struct dict_db_writer *w);

#endif
