/*
 * dict_edit.h - changing one entry of a lookup-table source file (postmap
 * syntax, "key value" per logical line) and leaving every other line as
 * it was, comments included.  postern-account keeps the mailbox map and
 * the password file with it; writing the result to disk is the caller's
 * (file_replace.h), and so is rebuilding a .db (dict_build.h).
 *
 * The text is first read by dict_table.c, the one parser of the format,
 * so a file that postern-map would refuse is refused here too, with its
 * line, and nothing is changed.  Lines are then copied by the rule that
 * conf.h's conf_line_kind() states for logical lines, so an entry's
 * continuation lines go with it.
 */
#ifndef POSTERN_DICT_EDIT_H
#define POSTERN_DICT_EDIT_H

#include "sys_defs.h"
#include "buf.h"

/*
 * Set key to value in text (key compared without case, as lookups do):
 * the first entry for key becomes "key value" on one line where it stood,
 * any later ones (duplicates, which readers ignore) are removed, and a key
 * that was not there is appended.  value NULL removes every entry for key.
 * out receives the whole new text; *found_r says whether key was there.
 * -1 for a syntax error in text (*lineno_r > 0), or a key or value that
 * cannot be written as a table line (*lineno_r 0), with *error_r static.
 */
int dict_edit(const unsigned char *text, size_t len, const char *key, const char *value,
              struct buf *out, bool *found_r, int *lineno_r, const char **error_r);

/*
 * Can key be written as a table key?  It must be 1..DICT_KEY_MAX printable
 * ASCII bytes without white space, and must not start with '#' (which
 * would make the line a comment).
 */
bool dict_edit_key_ok(const char *key);
/* Can value be written as a one-line value (printable, no leading or trailing blank)? */
bool dict_edit_value_ok(const char *value);

#endif
