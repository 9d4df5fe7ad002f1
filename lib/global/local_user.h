/*
 * local_user.h - from a local recipient to a system account.
 *
 * The one place that turns the local part of an address in mydestination
 * into a passwd entry: it folds case (as Postfix's local delivery does),
 * strips an address extension after recipient_delimiter ("bob+lists" is
 * "bob"), and refuses accounts that must never receive mail directly.
 * smtpd uses it to reject unknown users at RCPT time, local to deliver.
 */
#ifndef POSTERN_LOCAL_USER_H
#define POSTERN_LOCAL_USER_H

#include "sys_defs.h"

#define LOCAL_USER_NAME_MAX 64

struct local_user {
    char name[LOCAL_USER_NAME_MAX + 1]; /* lower-cased, extension removed */
    char extension[LOCAL_USER_NAME_MAX + 1];
    uid_t uid;
    gid_t gid;
    char home[PATH_MAX];
    char shell[PATH_MAX];
};

#define LOCAL_USER_FOUND 0
#define LOCAL_USER_UNKNOWN 1 /* no such account */
#define LOCAL_USER_RETRY 2   /* the account database failed; try later */

/* Look up the account for a local part. */
int local_user_lookup(const char *local_part, struct local_user *u);

/* The account with this user ID (name, home, shell; no extension). */
int local_user_by_uid(uid_t uid, struct local_user *u);
/* The account with this name, exactly (default_privs); no extension handling. */
int local_user_by_name(const char *name, struct local_user *u);

#endif
