/*
 * account_tables.c - the two tables postern-account keeps: the mailbox
 * map and the password table, each the first table named by its
 * parameter, and each a source text file (with FILE.db beside it for
 * hash: and btree:).
 *
 * A change is read, edit, replace: the whole text is read and checked by
 * the table parser (dict_edit.h), one entry is changed, the new text is
 * renamed into place (file_replace.h), and then FILE.db is rebuilt by the
 * code postern-map uses (dict_build.h).  Each file changes by one rename,
 * so a reader, and a crash, sees the old file or the new one.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "account.h"
#include "conf.h"
#include "dict.h"
#include "dict_build.h"
#include "dict_edit.h"
#include "dict_table.h"
#include "file_replace.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "safe_open.h"
#include "strutil.h"

void account_table_init(struct account_table *t, const char *param, const char *list)
{
    size_t n;
    char **specs = str_split_list(list, &n), *colon;

    if (n == 0)
        account_fail(EX_CONFIG,
                     "%s is empty: name the table postern-account keeps, like "
                     "hash:/etc/postern/vmailbox",
                     param);
    if ((colon = strchr(specs[0], ':')) == NULL)
        account_fail(EX_CONFIG, "%s: \"%s\": expected type:file", param, specs[0]);
    t->param = param;
    t->type = xstrndup(specs[0], (size_t)(colon - specs[0]));
    t->file = xstrdup(colon + 1);
    if (!dict_build_type_ok(t->type) && strcmp(t->type, "texthash") != 0)
        account_fail(EX_CONFIG,
                     "%s: %s: postern-account keeps only hash:, btree: and texthash: "
                     "tables",
                     param, specs[0]);
    if (t->file[0] != '/')
        account_fail(EX_CONFIG, "%s: %s: the file must be an absolute path", param, specs[0]);
    str_list_free(specs);
}

void account_table_check_dir(const struct account_table *t)
{
    char *dir;
    const char *why;
    int fd;

    if (geteuid() != 0)
        return;
    dir = xstrdup(t->file);
    *strrchr(dir, '/') = 0;
    if ((fd = safe_open_dir(dir[0] ? dir : "/", &why)) < 0)
        account_fail(EX_CANTCREAT, "%s: %s: %s: not changing tables there", t->param, dir, why);
    close_quietly(fd);
    free(dir);
}

/* The source text, or an empty one when there is no file yet; exits on errors. */
static unsigned char *account_table_text(const struct account_table *t, size_t *len_r,
                                         struct stat *st_r)
{
    unsigned char *text;
    const char *why;
    int fd;

    if ((fd = open(t->file, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0) {
        if (errno != ENOENT)
            account_fail(errno == EACCES ? EX_NOPERM : EX_NOINPUT, "open %s: %m", t->file);
        if (st_r)
            memset(st_r, 0, sizeof(*st_r));
        *len_r = 0;
        return (unsigned char *)xstrdup("");
    }
    if (st_r && fstat(fd, st_r) < 0)
        account_fail(EX_IOERR, "fstat %s: %m", t->file);
    if (conf_slurp_fd(fd, DICT_TABLE_FILE_MAX, &text, len_r, &why) < 0)
        account_fail(EX_IOERR, "read %s: %s", t->file, why);
    close_quietly(fd);
    return text;
}

bool account_table_readable(const struct account_table *t)
{
    return access(t->file, R_OK) == 0 || errno == ENOENT;
}

struct table_walk {
    void (*fn)(const char *key, const char *value, void *ctx);
    void *ctx;
};

static int account_walk_entry(const char *key, const char *value, int lineno UNUSED, void *ctx)
{
    struct table_walk *w = ctx;

    w->fn(key, value, w->ctx);
    return 0;
}

void account_table_walk(const struct account_table *t,
                        void (*fn)(const char *key, const char *value, void *ctx), void *ctx)
{
    struct table_walk w = {fn, ctx};
    unsigned char *text;
    const char *why;
    size_t len;
    int lineno = 0;

    text = account_table_text(t, &len, NULL);
    if (dict_table_parse(text, len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, account_walk_entry, &w,
                         &lineno, &why) != 0)
        account_fail(EX_DATAERR, "%s, line %d: %s", t->file, lineno, why);
    free(text);
}

struct table_get {
    const char *key;
    char *value;
};

static void account_get_entry(const char *key, const char *value, void *ctx)
{
    struct table_get *g = ctx;

    if (g->value == NULL && strcmp(key, g->key) == 0)
        g->value = xstrdup(value);
}

char *account_table_get(const struct account_table *t, const char *key)
{
    struct table_get g = {key, NULL};

    account_table_walk(t, account_get_entry, &g);
    return g.value;
}

bool account_table_built_has(const struct account_table *t, const char *key)
{
    char *spec, *err = NULL, *db;
    const char *value;
    struct dict *d;
    int r;

    if (!dict_build_type_ok(t->type)) {
        char *v = account_table_get(t, key);

        free(v);
        return v != NULL;
    }
    db = dict_db_path(t->file);
    if (access(db, F_OK) < 0 && errno == ENOENT) {
        free(db);
        return false;
    }
    free(db);
    spec = xasprintf("%s:%s", t->type, t->file);
    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0)
        account_fail(EX_NOINPUT, "%s", err);
    if ((r = dict_lookup(d, key, &value, &err)) < 0)
        account_fail(EX_IOERR, "%s", err);
    dict_close(d);
    free(spec);
    return r > 0;
}

bool account_table_set(const struct account_table *t, const char *key, const char *value, uid_t uid,
                       gid_t gid, mode_t mode)
{
    unsigned char *text;
    struct buf out;
    struct stat st;
    const char *why;
    char *err;
    size_t len;
    int lineno, status;
    bool found, changed, owner_wrong;

    text = account_table_text(t, &len, &st);
    buf_init(&out, DICT_TABLE_FILE_MAX);
    if (dict_edit(text, len, key, value, &out, &found, &lineno, &why) < 0)
        account_fail(EX_DATAERR, "%s, line %d: %s", t->file, lineno, why);
    if (st.st_ino != 0 && uid == (uid_t)-1) {
        uid = st.st_uid;
        gid = st.st_gid;
        mode = st.st_mode & 0666;
    } else if (uid == (uid_t)-1) {
        uid = 0;
        gid = 0;
        mode = 0644;
    }
    changed = out.len != len || (len > 0 && memcmp(out.data, text, len) != 0);
    owner_wrong =
        st.st_ino != 0 && (st.st_uid != uid || st.st_gid != gid || (st.st_mode & 07777) != mode);
    /* A new file only to add something; an existing one when it changes or its owner is wrong. */
    if ((st.st_ino == 0 && value != NULL) || (st.st_ino != 0 && (changed || owner_wrong))) {
        if (file_replace(t->file, out.data, out.len, uid, gid, mode, &err) < 0)
            account_fail(EX_IOERR, "%s", err);
    }
    if (st.st_ino == 0 && value == NULL) {
        free(text);
        buf_free(&out);
        return found;
    }
    if (dict_build_type_ok(t->type) &&
        (status = dict_build(t->type, t->file, DICT_SYNTAX_TABLE, &err)) != 0)
        account_fail(status, "%s", err);
    free(text);
    buf_free(&out);
    return found;
}
