/*
 * dict_texthash.c - texthash:FILE, a table source file read straight into
 * memory (no postern-map needed), as Postfix's texthash: does.  The file is
 * parsed by dict_table.c, so its syntax and errors are those of
 * postern-map; the first of two entries with one key is the one kept.
 */
#include "sys_defs.h"
#include "dict.h"
#include "dict_table.h"
#include "htable.h"
#include "iostuff.h"
#include "mymalloc.h"

struct dict_texthash {
    struct htable table;
    char *path;
};

static int texthash_add(const char *key, const char *value, int lineno UNUSED, void *ctx)
{
    struct htable *t = ctx;

    if (htable_find(t, key) == NULL)
        htable_enter(t, key, xstrdup(value));
    return 0;
}

static void texthash_free(struct dict_texthash *s)
{
    size_t i;

    for (i = 0; i < s->table.size; i++)
        for (struct htable_entry *e = s->table.buckets[i]; e; e = e->next)
            free(e->value);
    htable_free(&s->table);
    free(s->path);
    free(s);
}

static int texthash_open(struct dict *d, const char *name, char **error_r)
{
    struct dict_texthash *s = xcalloc(1, sizeof(*s));
    const char *why = NULL;
    int fd, lineno = 0, ret;

    s->path = xstrdup(name);
    htable_init(&s->table, 64);
    if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0) {
        *error_r = xasprintf("open %s: %s", name, strerror(errno));
        texthash_free(s);
        return -1;
    }
    ret = dict_table_parse_fd(fd, DICT_SYNTAX_TABLE, d->flags, texthash_add, &s->table, &lineno,
                              &why);
    close_quietly(fd);
    if (ret != 0) {
        *error_r = lineno ? xasprintf("%s, line %d: %s", name, lineno, why)
                          : xasprintf("read %s: %s", name, why);
        texthash_free(s);
        return -1;
    }
    d->state = s;
    return 0;
}

static int texthash_lookup(struct dict *d, const char *key, const char **value_r,
                           char **error_r UNUSED)
{
    struct dict_texthash *s = d->state;
    const char *v = htable_find(&s->table, key);

    if (v == NULL)
        return 0;
    *value_r = v;
    return 1;
}

static void texthash_close(struct dict *d)
{
    texthash_free(d->state);
    d->state = NULL;
}

static const char *texthash_file(const struct dict *d)
{
    return ((const struct dict_texthash *)d->state)->path;
}

const struct dict_ops dict_texthash_ops = {"texthash",      false,          texthash_open,
                                           texthash_lookup, texthash_close, texthash_file};
