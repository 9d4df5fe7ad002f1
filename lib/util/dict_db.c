/*
 * dict_db.c - hash: and btree: tables in Berkeley DB files (see dict.h for
 * reading, dict_db.h for writing).
 *
 * A table is read with its own DB handle and no environment: files are never
 * changed in place (postern-map renames a complete new file over the old
 * one), so a reader needs no locks, and an open handle goes on seeing the
 * file it opened until dict.c notices the new one and reopens.
 */
#include "sys_defs.h"
#include <db.h>
#include "dict.h"
#include "dict_db.h"
#include "iostuff.h"
#include "mymalloc.h"

/* Berkeley DB would print its own messages on stderr; ours say it better. */
static void db_quiet(const DB_ENV *env UNUSED, const char *prefix UNUSED, const char *msg UNUSED)
{
}

struct dict_db {
    DB *db;
    char *path;
    char value[DICT_VALUE_MAX + 1];
};

static int db_open(struct dict *d, const char *name, DBTYPE type, char **error_r)
{
    struct dict_db *s = xcalloc(1, sizeof(*s));
    int err;

    s->path = dict_db_path(name);
    if ((err = db_create(&s->db, NULL, 0)) == 0) {
        s->db->set_errcall(s->db, db_quiet);
        err = s->db->open(s->db, NULL, s->path, NULL, type, DB_RDONLY, 0);
    }
    if (err != 0) {
        *error_r = xasprintf("open %s: %s", s->path, db_strerror(err));
        if (s->db)
            (void)s->db->close(s->db, 0);
        free(s->path);
        free(s);
        return -1;
    }
    d->state = s;
    return 0;
}

static int hash_open(struct dict *d, const char *name, char **error_r)
{
    return db_open(d, name, DB_HASH, error_r);
}

static int btree_open(struct dict *d, const char *name, char **error_r)
{
    return db_open(d, name, DB_BTREE, error_r);
}

/* One attempt: with or without the key's NUL.  1 found, 0 not, -1 error. */
static int db_get(struct dict_db *s, const char *key, bool with_nul, char **error_r)
{
    DBT k, v;
    int err;

    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = (void *)key;
    k.size = (u_int32_t)(strlen(key) + with_nul);
    if ((err = s->db->get(s->db, NULL, &k, &v, 0)) == DB_NOTFOUND)
        return 0;
    if (err != 0) {
        *error_r = xasprintf("read %s: %s", s->path, db_strerror(err));
        return -1;
    }
    if (v.size > DICT_VALUE_MAX + 1) {
        *error_r = xasprintf("read %s: value too long", s->path);
        return -1;
    }
    memcpy(s->value, v.data, v.size);
    s->value[v.size] = 0; /* a value stored without its NUL gets one */
    return 1;
}

static int db_lookup(struct dict *d, const char *key, const char **value_r, char **error_r)
{
    struct dict_db *s = d->state;
    int r;

    if ((r = db_get(s, key, true, error_r)) == 0)
        r = db_get(s, key, false, error_r);
    if (r == 1)
        *value_r = s->value;
    return r;
}

static void db_close(struct dict *d)
{
    struct dict_db *s = d->state;

    (void)s->db->close(s->db, 0);
    free(s->path);
    free(s);
    d->state = NULL;
}

static const char *db_file(const struct dict *d)
{
    return ((const struct dict_db *)d->state)->path;
}

const struct dict_ops dict_hash_ops = {"hash", false, hash_open, db_lookup, db_close, db_file};
const struct dict_ops dict_btree_ops = {"btree", false, btree_open, db_lookup, db_close, db_file};

/* Writing ------------------------------------------------------------------ */

struct dict_db_writer {
    DB *db;
    char *path;
};

int dict_db_create(const char *type, const char *path, struct dict_db_writer **w_r, char **error_r)
{
    struct dict_db_writer *w;
    DBTYPE t;
    int err;

    if (strcmp(type, "hash") == 0)
        t = DB_HASH;
    else if (strcmp(type, "btree") == 0)
        t = DB_BTREE;
    else {
        *error_r = xasprintf("%s: not a Berkeley DB table type", type);
        return -1;
    }
    w = xcalloc(1, sizeof(*w));
    w->path = xstrdup(path);
    if ((err = db_create(&w->db, NULL, 0)) == 0) {
        w->db->set_errcall(w->db, db_quiet);
        err = w->db->open(w->db, NULL, path, NULL, t, DB_CREATE | DB_EXCL, 0600);
    }
    if (err != 0) {
        *error_r = xasprintf("create %s: %s", path, db_strerror(err));
        if (w->db)
            (void)w->db->close(w->db, 0);
        free(w->path);
        free(w);
        return -1;
    }
    *w_r = w;
    return 0;
}

int dict_db_put(struct dict_db_writer *w, const char *key, const char *value, char **error_r)
{
    DBT k, v;
    int err;

    memset(&k, 0, sizeof(k));
    memset(&v, 0, sizeof(v));
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key) + 1;
    v.data = (void *)value;
    v.size = (u_int32_t)strlen(value) + 1;
    if ((err = w->db->put(w->db, NULL, &k, &v, DB_NOOVERWRITE)) == DB_KEYEXIST)
        return 1;
    if (err != 0) {
        *error_r = xasprintf("write %s: %s", w->path, db_strerror(err));
        return -1;
    }
    return 0;
}

static void writer_free(struct dict_db_writer *w)
{
    free(w->path);
    free(w);
}

int dict_db_finish(struct dict_db_writer *w, char **error_r)
{
    int err = w->db->sync(w->db, 0), fd;

    if (err == 0)
        err = w->db->close(w->db, 0);
    else
        (void)w->db->close(w->db, 0);
    if (err != 0) {
        *error_r = xasprintf("write %s: %s", w->path, db_strerror(err));
        writer_free(w);
        return -1;
    }
    /* Berkeley DB's sync reaches the kernel, not the disk. */
    if ((fd = open(w->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 || fsync(fd) < 0) {
        *error_r = xasprintf("fsync %s: %s", w->path, strerror(errno));
        close_quietly(fd);
        writer_free(w);
        return -1;
    }
    close_quietly(fd);
    writer_free(w);
    return 0;
}

void dict_db_abort(struct dict_db_writer *w)
{
    (void)w->db->close(w->db, 0);
    (void)unlink(w->path);
    writer_free(w);
}
