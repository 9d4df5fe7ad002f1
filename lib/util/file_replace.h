/*
 * file_replace.h - replacing a small file's whole contents atomically and
 * durably: postern-account writes the mailbox map's source text and the
 * password file with it.
 *
 * The new contents go into a new file next to the old one, created with
 * O_EXCL and the final owner and mode before a byte is written (so a
 * password file is never readable by anyone else, not even for a moment),
 * fsynced, renamed over the old name, and then the directory is fsynced.
 * A reader (and a crash) sees the old file or the new one, never a mix.
 * Callers that run as root must have checked that the directory is root's
 * alone (safe_open_dir()): nobody else may rename or link names in it.
 */
#ifndef POSTERN_FILE_REPLACE_H
#define POSTERN_FILE_REPLACE_H

#include "sys_defs.h"

/*
 * Make path hold exactly (data, len), owned by uid:gid (-1: the caller's
 * ids) with mode.  -1 with a malloc'ed reason in *error_r; the old file is
 * then unchanged and no temporary file is left behind, except when only
 * the final directory fsync failed: the new file is in place then, but a
 * crash may still bring the old one back.
 */
int file_replace(const char *path, const void *data, size_t len, uid_t uid, gid_t gid, mode_t mode,
                 char **error_r);

#endif
