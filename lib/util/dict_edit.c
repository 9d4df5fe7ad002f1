/*
 * dict_edit.c - one entry of table source text changed in place (see
 * dict_edit.h).  Two passes: dict_table_parse() finds the logical lines
 * that hold the key (and checks the whole text), then the physical lines
 * are copied, dropping or replacing those logical lines.
 */
#include "sys_defs.h"
#include "dict.h"
#include "dict_edit.h"
#include "dict_table.h"
#include "conf.h"
#include "mymalloc.h"

struct edit_find {
    const char *key; /* folded */
    int *lines;      /* first physical lines of the entries for key */
    size_t n, cap;
};

bool dict_edit_key_ok(const char *key)
{
    size_t i, len = strlen(key);

    if (len == 0 || len > DICT_KEY_MAX || key[0] == '#')
        return false;
    for (i = 0; i < len; i++)
        if (key[i] <= ' ' || key[i] >= 0x7f)
            return false;
    return true;
}

bool dict_edit_value_ok(const char *value)
{
    size_t i, len = strlen(value);

    if (len == 0 || len > DICT_VALUE_MAX || value[0] == ' ' || value[len - 1] == ' ')
        return false;
    for (i = 0; i < len; i++)
        if (value[i] < ' ' || value[i] == 0x7f)
            return false;
    return true;
}

static int edit_find_entry(const char *key, const char *value UNUSED, int lineno, void *ctx)
{
    struct edit_find *f = ctx;

    if (strcmp(key, f->key) != 0)
        return 0;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 4;
        f->lines = xreallocarray(f->lines, f->cap, sizeof(*f->lines));
    }
    f->lines[f->n++] = lineno;
    return 0;
}

static bool edit_is_found(const struct edit_find *f, int lineno)
{
    size_t i;

    for (i = 0; i < f->n; i++)
        if (f->lines[i] == lineno)
            return true;
    return false;
}

/* The new line for key, or a removal; false if out is full. */
static bool edit_put_entry(struct buf *out, const char *key, const char *value)
{
    return buf_puts(out, key) == 0 && buf_putc(out, ' ') == 0 && buf_puts(out, value) == 0 &&
           buf_putc(out, '\n') == 0;
}

/*
 * Copy the physical lines of text to out, dropping the logical lines that
 * f found, except that the first becomes "key value" when value is set.
 * Comment and blank lines are always kept, even between an entry and its
 * continuation (the parser skips them there, and so do we).
 */
static bool edit_copy(const unsigned char *text, size_t len, const struct edit_find *f,
                      const char *key, const char *value, struct buf *out)
{
    size_t pos = 0, skip;
    int lineno = 0;
    bool have = false, drop = false, replaced = false;

    while (pos < len) {
        const unsigned char *p = text + pos;
        const unsigned char *nl = memchr(p, '\n', len - pos);
        size_t plen = nl ? (size_t)(nl - p) : len - pos;
        enum conf_line_kind kind = conf_line_kind(p, plen, have, &skip);

        pos += plen + (nl != NULL);
        lineno++;
        if (kind == CONF_LINE_START) {
            have = true;
            drop = edit_is_found(f, lineno);
            if (drop && value && !replaced) {
                replaced = true;
                if (!edit_put_entry(out, key, value))
                    return false;
            }
        }
        if (kind != CONF_LINE_SKIP && drop)
            continue;
        if (buf_append(out, p, plen) < 0 || (nl && buf_putc(out, '\n') < 0))
            return false;
    }
    if (value && !replaced) {
        if (out->len > 0 && out->data[out->len - 1] != '\n' && buf_putc(out, '\n') < 0)
            return false;
        return edit_put_entry(out, key, value);
    }
    return true;
}

int dict_edit(const unsigned char *text, size_t len, const char *key, const char *value,
              struct buf *out, bool *found_r, int *lineno_r, const char **error_r)
{
    char folded[DICT_KEY_MAX + 1];
    struct edit_find f = {.key = folded};
    size_t i;
    bool ok;

    *lineno_r = 0;
    if (!dict_edit_key_ok(key) || (value && !dict_edit_value_ok(value))) {
        *error_r = value && dict_edit_key_ok(key) ? "value cannot be written as a table line"
                                                  : "key cannot be written as a table key";
        return -1;
    }
    for (i = 0; key[i]; i++)
        folded[i] = (char)ASCII_TOLOWER(key[i]);
    folded[i] = 0;
    if (dict_table_parse(text, len, DICT_SYNTAX_TABLE, DICT_FLAG_FOLD, edit_find_entry, &f,
                         lineno_r, error_r) != 0) {
        free(f.lines);
        return -1;
    }
    buf_reset(out);
    ok = edit_copy(text, len, &f, key, value, out);
    *found_r = f.n > 0;
    free(f.lines);
    if (!ok) {
        *error_r = "the table would be too large";
        return -1;
    }
    return 0;
}
