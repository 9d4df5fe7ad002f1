/*
 * safe_open.h - opening a file that root appends to (maillog_file), so that
 * nobody who can write somewhere along its path can make root write
 * elsewhere.
 *
 * Root opens the log at every daemon start and appends text that clients
 * chose.  A symlink, a hard link, or a directory that someone else can
 * write would let that someone point the log at any file (a crontab, say).
 * So every directory on the path must be root's and writable by root alone
 * (or sticky, like /tmp, where nobody can replace root's entries), symlinks
 * are followed only where root made them, and the file must be a regular
 * file that root owns, with no other name.
 */
#ifndef POSTERN_SAFE_OPEN_H
#define POSTERN_SAFE_OPEN_H

#include "sys_defs.h"

/*
 * Open the absolute path for appending, creating it with mode if missing.
 * "Root's" above means root's or the effective user's (the same for a
 * daemon; a user's own command may log into the user's files).  -1 with a
 * static explanation in *error_r (errno is kept where one applies).
 */
int safe_open_append(const char *path, mode_t mode, const char **error_r);

/*
 * Check that a directory is as safe as safe_open_append() wants the log's
 * directory to be (for root writing files into it: postern-map building a
 * table); an O_PATH descriptor of it, or -1 with *error_r.
 */
int safe_open_dir(const char *dir, const char **error_r);

/*
 * The same, trusting root alone: for a setgid program, whose effective
 * user is the user who ran it and so must not count as safe (postdrop
 * checking the configuration directory it was pointed at).
 */
int safe_open_dir_root(const char *dir, const char **error_r);

#endif
