/*
 * priv.h - giving up privileges, for good or for a while.
 *
 * priv_drop() is for daemons: it changes every user and group ID (real,
 * effective, saved) and the supplementary groups, then proves the change
 * took by reading them back and by checking that root cannot be regained.
 * priv_as_user()/priv_as_root() are for local alone: it stays root but
 * does each delivery with the recipient's effective IDs, as Postfix does.
 */
#ifndef POSTERN_PRIV_H
#define POSTERN_PRIV_H

#include "sys_defs.h"

/* Optionally chroot, then become uid/gid for good; exits fatally on failure. */
void priv_drop(uid_t uid, gid_t gid, const char *chroot_dir);
/* Take the recipient's effective IDs and groups (real IDs stay root). */
int priv_as_user(uid_t uid, gid_t gid);
/* Return to effective root after priv_as_user(). */
void priv_as_root(void);

#endif
