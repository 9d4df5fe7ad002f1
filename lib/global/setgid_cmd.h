/*
 * setgid_cmd.h - start-up of the user commands installed setgid postdrop
 * (postdrop, postern-queue), as Postfix's postdrop and postqueue do it.
 *
 * Whoever runs them chooses their descriptors, environment, umask and
 * arguments, and the group they gain writes maildrop/ and reaches public/.
 * So before anything else the standard descriptors are made to exist, the
 * environment is emptied but for TZ, and the configuration is read only
 * from a directory that the user cannot have made: as anyone but root, the
 * directory, every directory above it and its main.cf must be root's and
 * writable by nobody else (a sticky /tmp on the way is fine).  Postfix asks
 * instead that a non-default directory be listed in the default main.cf;
 * ownership says the same (root put it there) without a second file.
 *
 * Nothing here is needed by sendmail itself, which is no more than the
 * user's own program.
 */
#ifndef POSTERN_SETGID_CMD_H
#define POSTERN_SETGID_CMD_H

#include "sys_defs.h"

/*
 * Descriptors 0-2 open (on /dev/null when closed), umask 022, and the
 * environment emptied but TZ (and, in test builds, the crash-point
 * variables of crash_point.h).  The configuration directory must be
 * chosen before this (mail_conf_dir() reads the environment); exits with
 * EX_OSERR when the descriptors cannot be set up.
 */
void setgid_cmd_init(void);

/*
 * Load config_dir/main.cf, refusing a directory the real user could have
 * made or changed (see above) unless that user is root.  -1 with a
 * malloc'ed *error_r.
 */
int setgid_conf_load(const char *config_dir, char **error_r);

#endif
