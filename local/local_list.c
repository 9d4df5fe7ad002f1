/*
 * local_list.c - reading the destination lists local finds in files:
 * ~/.forward (the forward_path names) and :include: files.
 *
 * A file is read with the rights of whoever is behind the delivery (the
 * recipient for .forward, the alias or include owner for :include:), opened
 * with O_NOFOLLOW, and trusted only when it is a regular file that nobody
 * but its owner can write: a .forward must also be the recipient's own.
 * The owner is returned, since the commands and files it names run with
 * the owner's rights (local_expand.c).
 */
#include "sys_defs.h"
#include "local.h"
#include "conf.h"
#include "iostuff.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "priv.h"
#include "strutil.h"

#define LOCAL_LIST_FILE_MAX (1 << 20) /* a .forward or an include file */

/* Open and check path with the caller's effective ids. */
static int list_open(const char *path, uid_t must_own, bool check_owner, struct stat *st,
                     const char **why_r)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);

    if (fd < 0) {
        *why_r = errno == ENOENT ? NULL : strerror(errno);
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        *why_r = "not a regular file";
    } else if (st->st_mode & (S_IWGRP | S_IWOTH)) {
        *why_r = "writable by others than its owner";
    } else if (check_owner && st->st_uid != must_own) {
        *why_r = "not owned by the recipient";
    } else {
        return fd;
    }
    close_quietly(fd);
    return -1;
}

int local_read_list(const char *path, const struct local_rights *as, bool forward,
                    struct alias_list *l, uid_t *owner_r, const char **why_r)
{
    unsigned char *text;
    struct stat st;
    size_t len;
    int fd, ret;

    *why_r = NULL;
    if (priv_as_user(as->uid, as->gid) < 0) {
        *why_r = "cannot take the recipient's rights";
        return -1;
    }
    fd = list_open(path, as->uid, forward, &st, why_r);
    priv_as_root();
    if (fd < 0)
        return *why_r ? -1 : 0; /* no such file: nothing to read */
    ret = conf_slurp_fd(fd, LOCAL_LIST_FILE_MAX, &text, &len, why_r);
    close_quietly(fd);
    if (ret < 0)
        return -1;
    ret = alias_list_parse((const char *)text, len, l, why_r);
    free(text);
    if (ret < 0)
        return -1;
    *owner_r = st.st_uid;
    return 1;
}

/* forward_path's names: the recipient's, at delivery time (Postfix's list). */
struct forward_names {
    const struct local_user *u;
    char delim[2];
};

static const char *forward_lookup(const char *name, void *ctx)
{
    const struct forward_names *f = ctx;

    if (strcmp(name, "home") == 0)
        return f->u->home;
    if (strcmp(name, "user") == 0 || strcmp(name, "local") == 0)
        return f->u->name;
    if (strcmp(name, "extension") == 0)
        return f->u->extension;
    if (strcmp(name, "recipient_delimiter") == 0)
        return f->delim;
    if (strcmp(name, "shell") == 0)
        return f->u->shell;
    return mail_param_value(name); /* $myhostname and the like */
}

char **local_forward_paths(const struct local_user *u)
{
    struct forward_names f = {u, ""};
    char **elems = str_split_list(var_forward_path, NULL), **e, **out;
    size_t n = 0;
    struct buf path;

    /* The delimiter that was used, so "~/.forward+" never appears without an extension. */
    if (u->extension[0] && var_recipient_delimiter[0])
        f.delim[0] = var_recipient_delimiter[0];
    for (e = elems; *e; e++)
        n++;
    out = xcalloc(n + 1, sizeof(*out));
    buf_init(&path, PATH_MAX);
    n = 0;
    for (e = elems; *e; e++) {
        char *why = NULL;

        buf_reset(&path);
        if (conf_expand(*e, forward_lookup, &f, &path, &why) < 0) {
            msg_warn("forward_path: %s: %s", *e, why);
            free(why);
            continue;
        }
        if (path.len > 0 && path.data[0] == '/')
            out[n++] = xstrdup(buf_str(&path));
    }
    buf_free(&path);
    str_list_free(elems);
    return out;
}
