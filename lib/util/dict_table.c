/*
 * dict_table.c - lookup-table source text (see dict_table.h).
 *
 * Each logical line is split into its key and value here and nowhere else;
 * everything downstream gets NUL-terminated strings with the limits of
 * dict.h already enforced.
 */
#include "sys_defs.h"
#include "dict.h"
#include "dict_table.h"
#include "conf.h"
#include "mymalloc.h"

struct table_ctx {
    enum dict_syntax syntax;
    int flags;
    dict_entry_fn fn;
    void *ctx;
    int lineno;
    const char *error;
    char key[DICT_KEY_MAX + 1];
};

static bool table_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Copy len bytes into ctx->key, folded if asked; -1 if too long or empty. */
static int table_key(struct table_ctx *t, const unsigned char *p, size_t len)
{
    size_t i;

    if (len == 0) {
        t->error = "empty key";
        return -1;
    }
    if (len > DICT_KEY_MAX) {
        t->error = "key too long";
        return -1;
    }
    for (i = 0; i < len; i++)
        t->key[i] = (char)((t->flags & DICT_FLAG_FOLD) ? ASCII_TOLOWER(p[i]) : p[i]);
    t->key[len] = 0;
    return 0;
}

/* "key value": the key ends at the first white space. */
static int table_split_plain(struct table_ctx *t, const unsigned char *line, size_t len,
                             size_t *vstart_r)
{
    size_t i = 0;

    while (i < len && !table_blank(line[i]))
        i++;
    if (table_key(t, line, i) < 0)
        return -1;
    while (i < len && table_blank(line[i]))
        i++;
    if (i == len) {
        t->error = "expected \"key whitespace value\"";
        return -1;
    }
    *vstart_r = i;
    return 0;
}

/* "name: value", where name may be "quoted" (with \ escaping the next byte). */
static int table_split_alias(struct table_ctx *t, const unsigned char *line, size_t len,
                             size_t *vstart_r)
{
    unsigned char name[DICT_KEY_MAX + 1];
    size_t i = 0, n = 0;

    if (line[0] == '"') {
        for (i = 1; i < len && line[i] != '"'; i++) {
            if (line[i] == '\\' && i + 1 < len)
                i++;
            if (n >= DICT_KEY_MAX) {
                t->error = "key too long";
                return -1;
            }
            name[n++] = line[i];
        }
        if (i == len) {
            t->error = "unterminated quoted name";
            return -1;
        }
        i++;
    } else {
        while (i < len && line[i] != ':' && !table_blank(line[i]))
            i++;
        if (i > DICT_KEY_MAX) {
            t->error = "key too long";
            return -1;
        }
        memcpy(name, line, i);
        n = i;
    }
    while (i < len && table_blank(line[i]))
        i++;
    if (i == len || line[i] != ':') {
        t->error = "expected \"name: value\"";
        return -1;
    }
    if (table_key(t, name, n) < 0)
        return -1;
    for (i++; i < len && table_blank(line[i]); i++)
        ;
    if (i == len) {
        t->error = "expected \"name: value\"";
        return -1;
    }
    *vstart_r = i;
    return 0;
}

static int table_line(const unsigned char *line, size_t len, int lineno, void *vctx)
{
    struct table_ctx *t = vctx;
    size_t vstart, vend = len;
    char *value;
    int ret;

    t->lineno = lineno;
    if (memchr(line, 0, len) != NULL) {
        t->error = "NUL character";
        return -1;
    }
    ret = t->syntax == DICT_SYNTAX_ALIASES ? table_split_alias(t, line, len, &vstart)
                                           : table_split_plain(t, line, len, &vstart);
    if (ret < 0)
        return -1;
    while (vend > vstart && table_blank(line[vend - 1]))
        vend--;
    if (vend - vstart > DICT_VALUE_MAX) {
        t->error = "value too long";
        return -1;
    }
    value = xstrndup((const char *)line + vstart, vend - vstart);
    ret = t->fn(t->key, value, lineno, t->ctx);
    free(value);
    /* A callback's own stop must not look like a syntax error. */
    return ret < 0 ? 1 : ret;
}

int dict_table_parse(const unsigned char *text, size_t len, enum dict_syntax syntax, int flags,
                     dict_entry_fn fn, void *ctx, int *lineno_r, const char **error_r)
{
    struct table_ctx t = {.syntax = syntax, .flags = flags, .fn = fn, .ctx = ctx};
    const char *why = NULL;
    int ret = conf_logical_lines(text, len, table_line, &t, &why);

    if (ret < 0) {
        *lineno_r = t.lineno;
        *error_r = t.error ? t.error : why;
        return -1;
    }
    return ret;
}

int dict_table_parse_fd(int fd, enum dict_syntax syntax, int flags, dict_entry_fn fn, void *ctx,
                        int *lineno_r, const char **error_r)
{
    unsigned char *text;
    size_t len;
    int ret;

    if (conf_slurp_fd(fd, DICT_TABLE_FILE_MAX, &text, &len, error_r) < 0) {
        *lineno_r = 0;
        return -1;
    }
    ret = dict_table_parse(text, len, syntax, flags, fn, ctx, lineno_r, error_r);
    free(text);
    return ret;
}
