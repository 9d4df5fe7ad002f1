/*
 * account_maildir.c - a new user's Maildir, virtual_mailbox_base/DOMAIN/
 * LOCAL/ with cur/, new/ and tmp/, mode 0700, owned by the user's ID from
 * virtual_uid_maps and virtual_gid_maps (static:ID in the usual set-up).
 *
 * The directories are made with the virtual user's effective IDs, never
 * as root: the base belongs to that user, who could otherwise swap a
 * name in it for a symlink and have root create or chown things
 * elsewhere.  As the user, the kernel allows only what the user could do
 * anyway.  The Maildir is complete, and fsynced, under a temporary name
 * before it is renamed to its own (without replacing anything), so a
 * crash leaves either no Maildir or a whole one, and a later run that
 * finds a whole one uses it.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "account.h"
#include "mail_params.h"
#include "maps.h"
#include "iostuff.h"
#include "priv.h"
#include "strutil.h"

#define ACCOUNT_ID_MAX 4294967294LL

static const char *const account_subdirs[] = {"cur", "new", "tmp"};

void account_mailbox_value(const struct account_user *u, const char *quota, char *out, size_t len)
{
    if (quota)
        snprintf(out, len, "%s/%s/ quota=%s", u->addr.domain, u->addr.local, quota);
    else
        snprintf(out, len, "%s/%s/", u->addr.domain, u->addr.local);
}

/* The user's numeric ID from the tables of param, at least min. */
static long long account_virtual_id(const char *param, const char *list,
                                    const struct account_user *u, long long min)
{
    struct maps *m;
    const char *v;
    char *err;
    long long id;
    int r;

    if (maps_open(param, list, &m, &err) < 0)
        account_fail(EX_CONFIG, "%s", err);
    if (maps_empty(m))
        account_fail(EX_CONFIG, "%s is empty: set it (static:ID) to say whose the Maildirs are",
                     param);
    if ((r = maps_find_addr(m, &u->addr, false, &v, &err)) < 0)
        account_fail(EX_TEMPFAIL, "%s", err);
    if (r == 0)
        account_fail(EX_CONFIG, "%s has no ID for %s", param, u->text);
    if (str_to_ll(v, min, ACCOUNT_ID_MAX, &id) < 0)
        account_fail(EX_CONFIG, "%s: the ID for %s, \"%s\", is not a number from %lld up", param,
                     u->text, v, min);
    maps_free(m);
    return id;
}

/* dir/name into out (PATH_MAX bytes); a path that does not fit ends the command. */
static void account_join(char *out, size_t len, const char *dir, const char *name)
{
    if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len)
        account_fail(EX_CANTCREAT, "%s/%s: path too long", dir, name);
}

/* Make name in dirfd (EEXIST is fine) and check it is a directory; 1 if made. */
static int account_mkdir(int dirfd, const char *name, const char *path)
{
    struct stat st;
    int made = 1;

    if (mkdirat(dirfd, name, 0700) < 0) {
        if (errno != EEXIST)
            account_fail(errno == EACCES ? EX_NOPERM : EX_CANTCREAT, "mkdir %s: %m", path);
        made = 0;
    }
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
        account_fail(EX_CANTCREAT, "%s: not a directory", path);
    return made;
}

/* Open a directory under dirfd, never through a symlink. */
static int account_open_dir(int dirfd, const char *name, const char *path)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        account_fail(errno == EACCES ? EX_NOPERM : EX_CANTCREAT, "open %s: %m", path);
    return fd;
}

static void account_fsync(int fd, const char *path)
{
    if (fsync(fd) < 0)
        account_fail(EX_IOERR, "fsync %s: %m", path);
}

/* Make cur/, new/ and tmp/ in the Maildir dirfd; fsync it if any was new. */
static void account_subdirs_make(int dirfd, const char *path)
{
    char sub[PATH_MAX];
    size_t i;
    int made = 0;

    for (i = 0; i < COUNTOF(account_subdirs); i++) {
        account_join(sub, sizeof(sub), path, account_subdirs[i]);
        made |= account_mkdir(dirfd, account_subdirs[i], sub);
    }
    if (made)
        account_fsync(dirfd, path);
}

/* The Maildir local in domfd (the domain's directory), made whole or checked. */
static void account_maildir_in(int domfd, const char *dompath, const char *local, uid_t uid)
{
    char path[PATH_MAX], tmp[NAME_MAX + 1], tmppath[PATH_MAX];
    struct stat st;
    int fd;

    account_join(path, sizeof(path), dompath, local);
    if (fstatat(domfd, local, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISDIR(st.st_mode) || st.st_uid != uid)
            account_fail(EX_CANTCREAT, "%s exists, but is not a directory of user ID %ld", path,
                         (long)uid);
        fd = account_open_dir(domfd, local, path);
        account_subdirs_make(fd, path);
        close_quietly(fd);
        return;
    }
    if (errno != ENOENT)
        account_fail(EX_CANTCREAT, "%s: %m", path);
    snprintf(tmp, sizeof(tmp), ".%s.new.%ld", local, (long)getpid());
    account_join(tmppath, sizeof(tmppath), dompath, tmp);
    if (mkdirat(domfd, tmp, 0700) < 0)
        account_fail(errno == EACCES ? EX_NOPERM : EX_CANTCREAT, "mkdir %s: %m", tmppath);
    fd = account_open_dir(domfd, tmp, tmppath);
    account_subdirs_make(fd, tmppath);
    close_quietly(fd);
    if (renameat2(domfd, tmp, domfd, local, RENAME_NOREPLACE) < 0)
        account_fail(EX_CANTCREAT, "rename %s to %s: %m", tmppath, path);
    account_fsync(domfd, dompath);
}

/* As the virtual user: the domain's directory, then the Maildir. */
static void account_maildir_as_user(const struct account_user *u, uid_t uid)
{
    const char *base = var_virtual_mailbox_base;
    char dompath[PATH_MAX];
    int basefd, domfd;

    if ((basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        account_fail(errno == ENOENT ? EX_CONFIG : EX_NOPERM,
                     "virtual_mailbox_base %s: %m (as user ID %ld)", base, (long)uid);
    account_join(dompath, sizeof(dompath), base, u->addr.domain);
    if (account_mkdir(basefd, u->addr.domain, dompath))
        account_fsync(basefd, base);
    domfd = account_open_dir(basefd, u->addr.domain, dompath);
    account_maildir_in(domfd, dompath, u->addr.local, uid);
    close_quietly(domfd);
    close_quietly(basefd);
}

void account_maildir_make(const struct account_user *u)
{
    uid_t uid;
    gid_t gid;

    if (var_virtual_mailbox_base[0] != '/')
        account_fail(EX_CONFIG, "virtual_mailbox_base = \"%s\": must be an absolute path",
                     var_virtual_mailbox_base);
    uid = (uid_t)account_virtual_id("virtual_uid_maps", var_virtual_uid_maps, u,
                                    var_virtual_minimum_uid);
    gid = (gid_t)account_virtual_id("virtual_gid_maps", var_virtual_gid_maps, u, 1);
    if (priv_as_user(uid, gid) < 0)
        account_fail(EX_OSERR, "become user ID %ld, group ID %ld: %m", (long)uid, (long)gid);
    account_maildir_as_user(u, uid);
    priv_as_root();
}
