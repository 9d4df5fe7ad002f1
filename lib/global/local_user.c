/*
 * local_user.c - local part to system account (see local_user.h).
 */
#include "sys_defs.h"
#include "local_user.h"
#include "mail_params.h"
#include "proxy_client.h"
#include "strutil.h"

/* The parts of a passwd entry an account keeps. */
static int local_user_fill(const struct passwd *pw, struct local_user *u)
{
    u->uid = pw->pw_uid;
    u->gid = pw->pw_gid;
    if (str_copy(u->home, pw->pw_dir, sizeof(u->home)) >= sizeof(u->home) ||
        str_copy(u->shell, pw->pw_shell ? pw->pw_shell : "", sizeof(u->shell)) >= sizeof(u->shell))
        return LOCAL_USER_RETRY;
    return LOCAL_USER_FOUND;
}

/* The account named u->name, from the system or, in a chroot, from proxymap. */
static int local_user_getpw(struct local_user *u)
{
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    int err;

    if (proxy_client_enabled())
        return proxy_client_passwd(u->name, u);
    err = getpwnam_r(u->name, &pw, pwbuf, sizeof(pwbuf), &res);
    if (err != 0 && err != ENOENT && err != ESRCH && err != EBADF && err != EPERM)
        return LOCAL_USER_RETRY;
    if (res == NULL)
        return LOCAL_USER_UNKNOWN;
    return local_user_fill(&pw, u);
}

int local_user_lookup(const char *local_part, struct local_user *u)
{
    size_t n;

    memset(u, 0, sizeof(*u));
    n = *var_recipient_delimiter ? strcspn(local_part, var_recipient_delimiter)
                                 : strlen(local_part);
    if (n == 0 || n > LOCAL_USER_NAME_MAX)
        return LOCAL_USER_UNKNOWN;
    memcpy(u->name, local_part, n);
    u->name[n] = 0;
    if (local_part[n])
        str_copy(u->extension, local_part + n + 1, sizeof(u->extension));
    str_lower(u->name);
    /* Names that getpwnam() would take but are not plain account names. */
    if (strchr(u->name, '/') || u->name[0] == '.' || u->name[0] == '-')
        return LOCAL_USER_UNKNOWN;
    return local_user_getpw(u);
}

int local_user_by_uid(uid_t uid, struct local_user *u)
{
    struct passwd pw, *res = NULL;
    char pwbuf[4096];
    int err;

    memset(u, 0, sizeof(*u));
    err = getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &res);
    if (err != 0 && err != ENOENT && err != ESRCH && err != EBADF && err != EPERM)
        return LOCAL_USER_RETRY;
    if (res == NULL)
        return LOCAL_USER_UNKNOWN;
    if (str_copy(u->name, pw.pw_name, sizeof(u->name)) >= sizeof(u->name))
        return LOCAL_USER_UNKNOWN;
    return local_user_fill(&pw, u);
}

int local_user_by_name(const char *name, struct local_user *u)
{
    memset(u, 0, sizeof(*u));
    if (str_copy(u->name, name, sizeof(u->name)) >= sizeof(u->name))
        return LOCAL_USER_UNKNOWN;
    return local_user_getpw(u);
}
