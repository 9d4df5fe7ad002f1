/*
 * account.h - the parts of postern-account, which keeps virtual mailbox
 * users: their entries in the mailbox map (virtual_mailbox_maps), their
 * password hashes (auth_password_maps), and their Maildirs under
 * virtual_mailbox_base.
 *
 *   postern_account.c  the command table, options, address checks, the lock
 *   account_cmds.c     add, del, passwd and list, step by step, in the
 *                      order that keeps a crash harmless (see there)
 *   account_tables.c   the two tables: read, change one entry, rebuild
 *   account_maildir.c  making a Maildir as the virtual user
 *   account_password.c reading a password from the terminal or stdin
 *   account_check.c    "check": through the auth service, or as root alone
 *
 * Every failure ends the command with one line on stderr and an exit
 * status from sysexits.h (account_fail()).
 */
#ifndef POSTERN_ACCOUNT_H
#define POSTERN_ACCOUNT_H

#include "sys_defs.h"
#include "msg.h"
#include "mail_addr.h"
#include "pass_crypt.h"

/* One table postern-account keeps: the first of its parameter's list. */
struct account_table {
    const char *param; /* "virtual_mailbox_maps" */
    char *type;        /* "hash", "btree" or "texthash" */
    char *file;        /* the source text (hash:FILE is built into FILE.db) */
};

/* A user's address, checked and folded to lower case. */
struct account_user {
    struct mail_addr addr;
    char text[MAIL_ADDR_TEXT_MAX + 1]; /* "local@domain" */
};

/* What a command was given. */
struct account_args {
    struct account_user user; /* add, del, passwd, check */
    const char *domain;       /* list: only this domain (NULL: all) */
    const char *quota;        /* add -q */
    const char *client;       /* check -a */
};

/* postern_account.c */
#define account_fail msg_fatal_code
/* Take the lock that serializes changes (held until exit). */
void account_lock(const struct account_table *pass);

/* account_cmds.c */
int account_add(const struct account_args *a);
int account_del(const struct account_args *a);
int account_passwd(const struct account_args *a);
int account_list(const struct account_args *a);

/* account_tables.c */
/* The first table of param's value; it must be hash:, btree: or texthash:. */
void account_table_init(struct account_table *t, const char *param, const char *list);
/* As root, the table's directory must be root's alone before it is changed. */
void account_table_check_dir(const struct account_table *t);
/* The value of key in the source text (malloc'ed), or NULL; exits if unreadable. */
char *account_table_get(const struct account_table *t, const char *key);
/* Is key in the built table (FILE.db) as daemons see it?  texthash: as account_table_get(). */
bool account_table_built_has(const struct account_table *t, const char *key);
/*
 * Set key to value (NULL: remove it) in the source text, written back
 * atomically with owner uid:gid and mode (-1: keep the file's, or root's
 * 0644 for a new file) when it changed, then rebuild FILE.db (always, so
 * that a crash between the two steps is repaired by the next run).
 * Returns whether key was there.
 */
bool account_table_set(const struct account_table *t, const char *key, const char *value, uid_t uid,
                       gid_t gid, mode_t mode);
/* Call fn for every entry of the source text, in order; a missing file has none. */
void account_table_walk(const struct account_table *t,
                        void (*fn)(const char *key, const char *value, void *ctx), void *ctx);
/* Can the source text be read by this user (list's consistency notes)? */
bool account_table_readable(const struct account_table *t);

/* account_maildir.c */
/* The map value for a user: "domain/local/" and " quota=Q" if quota is set. */
void account_mailbox_value(const struct account_user *u, const char *quota, char *out, size_t len);
/* Make (or check) the user's Maildir under virtual_mailbox_base as the virtual user. */
void account_maildir_make(const struct account_user *u);

/* account_password.c */
/*
 * Read a password into out (PASS_CRYPT_PASSWORD_MAX + 1 bytes): from the
 * terminal without echo, asked twice when confirm is set, or one line of
 * stdin when it is not a terminal.  Empty passwords are refused when
 * confirm is set (a new password).  Exits on failure.
 */
void account_password_read(bool confirm, char *out, size_t len);

/* account_check.c */
int account_check(const struct account_args *a);

#endif
