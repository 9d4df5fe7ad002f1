/*
 * postern_map.c - "postern-map": build and query lookup tables, as
 * Postfix's postmap (and, with -a, postalias) do.
 *
 *   postern-map [-c dir] [-a] [type:]FILE      build FILE.db from FILE
 *   postern-map [-c dir] -q KEY [type:]FILE    print KEY's value; exit 1 if none
 *
 * type is hash (default_database_type) or btree for building; any table
 * type for -q.  A build is all or nothing: the entries go into a new file
 * next to the old one, which is fsynced and then renamed over it, so a
 * daemon sees the old table or the new one and never half of one.  A
 * syntax error names the file and line and changes nothing.  As root the
 * table's directory must be root's alone (root renames files in it), and
 * the new table gets the source file's owner and permissions, as postmap's.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "dict.h"
#include "dict_db.h"
#include "dict_table.h"
#include "mail_params.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "safe_open.h"

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: postern-map [-c config_dir] [-a] [type:]file\n"
            "       postern-map [-c config_dir] -q key [type:]file\n"
            "  build file.db from file (type hash or btree), or with -q print the value of key\n"
            "  -a  the file is in aliases(5) syntax (name: value, ...)\n");
    exit(status);
}

static NORETURN void fail(int status, const char *fmt, ...) PRINTFLIKE(2, 3);

static void fail(int status, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    msg_fatal_status(status);
    msg_fatal("%s", text);
}

/* Split "[type:]file" with the default type; the result is malloc'ed. */
static char *map_spec(const char *arg, char **file_r)
{
    const char *colon = strchr(arg, ':');

    if (colon && colon != arg && arg[0] != '/') {
        *file_r = xstrdup(colon + 1);
        return xstrdup(arg);
    }
    *file_r = xstrdup(arg);
    return xasprintf("%s:%s", var_default_database_type, arg);
}

static int query(const char *arg, const char *key)
{
    char *file, *spec = map_spec(arg, &file), *err = NULL;
    const char *value;
    struct dict *d;
    int r;

    if (dict_open(spec, DICT_FLAG_FOLD, &d, &err) < 0)
        fail(EX_NOINPUT, "%s", err);
    if ((r = dict_lookup(d, key, &value, &err)) < 0)
        fail(EX_TEMPFAIL, "%s", err);
    if (r > 0)
        printf("%s\n", value);
    dict_close(d);
    free(spec);
    free(file);
    return r > 0 ? 0 : 1;
}

struct build {
    struct dict_db_writer *w;
    const char *source;
    char *error;
};

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
static void check_directory(const char *file)
{
    char *dir = xstrdup(file), *slash = strrchr(dir, '/'), *abs;
    const char *why;
    int fd;

    if (geteuid() != 0) {
        free(dir);
        return;
    }
    if (slash)
        *slash = 0;
    abs = slash ? (dir[0] ? realpath(dir, NULL) : xstrdup("/")) : realpath(".", NULL);
    if (abs == NULL)
        fail(EX_CANTCREAT, "%s: %m", slash ? dir : ".");
    if ((fd = safe_open_dir(abs, &why)) < 0)
        fail(EX_CANTCREAT, "%s: %s: not building a table there", abs, why);
    close_quietly(fd);
    free(abs);
    free(dir);
}

/* Make the rename of path durable: fsync the directory it is in. */
static void sync_directory(const char *path)
{
    const char *slash = strrchr(path, '/');
    char *dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xstrdup(".");

    if (fsync_dir(dir) < 0)
        fail(EX_IOERR, "fsync %s: %m", dir);
    free(dir);
}

/* Give the new table the source's owner and mode (no execute bits). */
static void copy_owner(const char *tmp, const struct stat *src)
{
    if (geteuid() == 0 && chown(tmp, src->st_uid, src->st_gid) < 0)
        fail(EX_IOERR, "chown %s: %m", tmp);
    if (chmod(tmp, src->st_mode & 0666) < 0)
        fail(EX_IOERR, "chmod %s: %m", tmp);
}

static void build(const char *arg, bool aliases)
{
    char *file, *spec = map_spec(arg, &file), *err = NULL, *db, *tmp;
    struct build b = {.source = file};
    const char *why = NULL;
    struct stat st;
    int fd, lineno = 0, ret;

    *strchr(spec, ':') = 0;
    if (strcmp(spec, "hash") != 0 && strcmp(spec, "btree") != 0)
        fail(EX_USAGE, "%s: only hash: and btree: tables are built from a file", arg);
    if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 || fstat(fd, &st) < 0)
        fail(EX_NOINPUT, "open %s: %m", file);
    check_directory(file);
    db = dict_db_path(file);
    tmp = xasprintf("%s.new.%ld", db, (long)getpid());
    (void)unlink(tmp); /* left by a crash of an earlier run with this pid */
    if (dict_db_create(spec, tmp, &b.w, &err) < 0)
        fail(EX_CANTCREAT, "%s", err);
    ret = dict_table_parse_fd(fd, aliases ? DICT_SYNTAX_ALIASES : DICT_SYNTAX_TABLE, DICT_FLAG_FOLD,
                              build_entry, &b, &lineno, &why);
    close_quietly(fd);
    if (ret != 0) {
        dict_db_abort(b.w);
        if (b.error)
            fail(EX_IOERR, "%s", b.error);
        if (lineno == 0)
            fail(EX_NOINPUT, "read %s: %s", file, why);
        fail(EX_DATAERR, "%s, line %d: %s", file, lineno, why);
    }
    if (dict_db_finish(b.w, &err) < 0) {
        (void)unlink(tmp);
        fail(EX_IOERR, "%s", err);
    }
    copy_owner(tmp, &st);
    if (rename(tmp, db) < 0) {
        (void)unlink(tmp);
        fail(EX_IOERR, "rename %s to %s: %m", tmp, db);
    }
    sync_directory(db);
    free(tmp);
    free(db);
    free(spec);
    free(file);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL, *key = NULL;
    bool aliases = false;
    char *err;
    int c;

    msg_init("postern-map");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_SOFTWARE);
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    while ((c = getopt(argc, argv, "ac:q:")) != -1) {
        switch (c) {
        case 'a':
            aliases = true;
            break;
        case 'c':
            config_dir = optarg;
            break;
        case 'q':
            key = optarg;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (optind != argc - 1)
        usage(EX_USAGE);
    if (mail_conf_load(config_dir, NULL, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (key)
        return query(argv[optind], key);
    build(argv[optind], aliases);
    return 0;
}
