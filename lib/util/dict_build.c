/*
 * dict_build.c - building hash: and btree: files from table source text
 * (see dict_build.h).  The source is parsed by dict_table.c, the file
 * written by dict_db.c; this file owns the atomic replacement.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "dict.h"
#include "dict_build.h"
#include "dict_db.h"
#include "dict_table.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "safe_open.h"

struct build {
    struct dict_db_writer *w;
    const char *source;
    char *error;
};

bool dict_build_type_ok(const char *type)
{
    return strcmp(type, "hash") == 0 || strcmp(type, "btree") == 0;
}

static int build_fail(char **error_r, int status, char *why)
{
    *error_r = why;
    return status;
}

static int build_entry(const char *key, const char *value, int lineno, void *ctx)
{
    struct build *b = ctx;
    int r = dict_db_put(b->w, key, value, &b->error);

    if (r < 0)
        return -1;
    if (r > 0) /* Postfix warns and keeps the first, and so do we */
        msg_warn("%s, line %d: duplicate entry: \"%s\"; the first one is kept", b->source, lineno,
                 key);
    return 0;
}

/* As root, the directory where the table goes must be root's alone. */
static int build_check_directory(const char *file, char **error_r)
{
    char *dir = xstrdup(file), *slash = strrchr(dir, '/'), *abs;
    const char *why;
    int fd;

    if (geteuid() != 0) {
        free(dir);
        return 0;
    }
    if (slash)
        *slash = 0;
    abs = slash ? (dir[0] ? realpath(dir, NULL) : xstrdup("/")) : realpath(".", NULL);
    if (abs == NULL) {
        *error_r = xasprintf("%s: %s", slash ? dir : ".", strerror(errno));
        free(dir);
        return -1;
    }
    free(dir);
    if ((fd = safe_open_dir(abs, &why)) < 0) {
        *error_r = xasprintf("%s: %s: not building a table there", abs, why);
        free(abs);
        return -1;
    }
    close_quietly(fd);
    free(abs);
    return 0;
}

/* Give the new table the source's owner and mode (no execute bits). */
static int build_copy_owner(const char *tmp, const struct stat *src, char **error_r)
{
    if (geteuid() == 0 && chown(tmp, src->st_uid, src->st_gid) < 0) {
        *error_r = xasprintf("chown %s: %s", tmp, strerror(errno));
        return -1;
    }
    if (chmod(tmp, src->st_mode & 0666) < 0) {
        *error_r = xasprintf("chmod %s: %s", tmp, strerror(errno));
        return -1;
    }
    return 0;
}

/* Fill the new file at tmp from the source fd; 0 or an exit status. */
static int build_fill(const char *type, const char *file, const char *tmp, int fd,
                      enum dict_syntax syntax, char **error_r)
{
    struct build b = {.source = file};
    const char *why = NULL;
    char *err = NULL;
    int lineno = 0, ret;

    if (dict_db_create(type, tmp, &b.w, &err) < 0)
        return build_fail(error_r, EX_CANTCREAT, err);
    ret = dict_table_parse_fd(fd, syntax, DICT_FLAG_FOLD, build_entry, &b, &lineno, &why);
    if (ret != 0) {
        dict_db_abort(b.w);
        if (b.error)
            return build_fail(error_r, EX_IOERR, b.error);
        if (lineno == 0)
            return build_fail(error_r, EX_NOINPUT, xasprintf("read %s: %s", file, why));
        return build_fail(error_r, EX_DATAERR, xasprintf("%s, line %d: %s", file, lineno, why));
    }
    if (dict_db_finish(b.w, &err) < 0) {
        (void)unlink(tmp);
        return build_fail(error_r, EX_IOERR, err);
    }
    return 0;
}

int dict_build(const char *type, const char *file, enum dict_syntax syntax, char **error_r)
{
    char *db, *tmp, *err = NULL;
    struct stat st;
    int fd, ret;

    if (!dict_build_type_ok(type))
        return build_fail(
            error_r, EX_USAGE,
            xasprintf("%s:%s: only hash: and btree: tables are built from a file", type, file));
    if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, &st) < 0) {
        ret = build_fail(error_r, EX_NOINPUT, xasprintf("open %s: %s", file, strerror(errno)));
        if (fd >= 0)
            close_quietly(fd);
        return ret;
    }
    if (build_check_directory(file, &err) < 0) {
        close_quietly(fd);
        return build_fail(error_r, EX_CANTCREAT, err);
    }
    db = dict_db_path(file);
    tmp = xasprintf("%s.new.%ld", db, (long)getpid());
    (void)unlink(tmp); /* left by a crash of an earlier run with this pid */
    ret = build_fill(type, file, tmp, fd, syntax, error_r);
    close_quietly(fd);
    if (ret == 0 && build_copy_owner(tmp, &st, &err) < 0)
        ret = build_fail(error_r, EX_IOERR, err);
    if (ret == 0 && rename(tmp, db) < 0)
        ret = build_fail(error_r, EX_IOERR,
                         xasprintf("rename %s to %s: %s", tmp, db, strerror(errno)));
    if (ret != 0)
        (void)unlink(tmp);
    else if (fsync_parent_dir(db) < 0)
        ret = build_fail(error_r, EX_IOERR,
                         xasprintf("fsync the directory of %s: %s", db, strerror(errno)));
    free(tmp);
    free(db);
    return ret;
}
