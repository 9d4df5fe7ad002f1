/*
 * dict_inline.c - tables written in the table name itself:
 *
 *   static:VALUE          every key finds VALUE; static:{text} for a
 *                         value with white space
 *   inline:{k=v, k2=v2}   a few entries; {k = text with, commas} for a
 *                         value with white space or commas
 *
 * as Postfix's static: and inline: are.  They never change, so they have no
 * file for dict.c to watch.
 */
#include "sys_defs.h"
#include "dict.h"
#include "htable.h"
#include "mymalloc.h"

static bool inline_blank(int c)
{
    return c == ' ' || c == '\t';
}

/* "{text}" -> "text" (trimmed); NULL if name is not in braces. */
static char *inline_unbrace(const char *name)
{
    size_t len = strlen(name), start = 0;

    if (len < 2 || name[0] != '{' || name[len - 1] != '}')
        return NULL;
    start = 1;
    len--;
    while (start < len && inline_blank(name[start]))
        start++;
    while (len > start && inline_blank(name[len - 1]))
        len--;
    return xstrndup(name + start, len - start);
}

/* static: ------------------------------------------------------------------ */

static int static_open(struct dict *d, const char *name, char **error_r UNUSED)
{
    char *value = name[0] == '{' ? inline_unbrace(name) : NULL;

    d->state = value ? value : xstrdup(name);
    return 0;
}

static int static_lookup(struct dict *d, const char *key UNUSED, const char **value_r,
                         char **error_r UNUSED)
{
    *value_r = d->state;
    return 1;
}

static void static_close(struct dict *d)
{
    free(d->state);
    d->state = NULL;
}

const struct dict_ops dict_static_ops = {"static",      false,        static_open,
                                         static_lookup, static_close, NULL};

/* inline: ------------------------------------------------------------------ */

static void inline_free(struct htable *t)
{
    size_t i;

    for (i = 0; i < t->size; i++)
        for (struct htable_entry *e = t->buckets[i]; e; e = e->next)
            free(e->value);
    htable_free(t);
    free(t);
}

/* Add "key=value" (item, len bytes); -1 with *why if it is not that. */
static int inline_item(struct htable *t, int flags, const char *item, size_t len, const char **why)
{
    const char *eq;
    size_t klen, vstart, vend, i;
    char key[DICT_KEY_MAX + 1];

    while (len > 0 && inline_blank(*item))
        item++, len--;
    vend = len;
    eq = memchr(item, '=', len);
    if (eq == NULL || eq == item) {
        *why = "expected {key=value, ...}";
        return -1;
    }
    for (klen = (size_t)(eq - item); klen > 0 && inline_blank(item[klen - 1]); klen--)
        ;
    if (klen == 0 || klen > DICT_KEY_MAX) {
        *why = klen ? "key too long" : "expected {key=value, ...}";
        return -1;
    }
    for (i = 0; i < klen; i++)
        key[i] = (char)((flags & DICT_FLAG_FOLD) ? ASCII_TOLOWER(item[i]) : item[i]);
    key[klen] = 0;
    for (vstart = (size_t)(eq - item) + 1; vstart < vend && inline_blank(item[vstart]); vstart++)
        ;
    while (vend > vstart && inline_blank(item[vend - 1]))
        vend--;
    if (htable_find(t, key) == NULL)
        htable_enter(t, key, xstrndup(item + vstart, vend - vstart));
    return 0;
}

/* Parse the text between the outer braces into t. */
static int inline_parse(struct htable *t, int flags, const char *p, const char **why)
{
    while (*p) {
        const char *end;

        if (inline_blank(*p) || *p == ',') {
            p++;
            continue;
        }
        if (*p == '{') {
            if ((end = strchr(p, '}')) == NULL) {
                *why = "missing '}'";
                return -1;
            }
            if (inline_item(t, flags, p + 1, (size_t)(end - p - 1), why) < 0)
                return -1;
            p = end + 1;
            continue;
        }
        for (end = p; *end && *end != ',' && !inline_blank(*end); end++)
            ;
        if (inline_item(t, flags, p, (size_t)(end - p), why) < 0)
            return -1;
        p = end;
    }
    return 0;
}

static int inline_open(struct dict *d, const char *name, char **error_r)
{
    char *body = inline_unbrace(name);
    struct htable *t;
    const char *why = NULL;

    if (body == NULL) {
        *error_r = xstrdup("expected inline:{key=value, ...}");
        return -1;
    }
    t = xcalloc(1, sizeof(*t));
    htable_init(t, 16);
    if (inline_parse(t, d->flags, body, &why) < 0) {
        *error_r = xstrdup(why);
        free(body);
        inline_free(t);
        return -1;
    }
    free(body);
    d->state = t;
    return 0;
}

static int inline_lookup(struct dict *d, const char *key, const char **value_r,
                         char **error_r UNUSED)
{
    const char *v = htable_find(d->state, key);

    if (v == NULL)
        return 0;
    *value_r = v;
    return 1;
}

static void inline_close(struct dict *d)
{
    inline_free(d->state);
    d->state = NULL;
}

const struct dict_ops dict_inline_ops = {"inline",      false,        inline_open,
                                         inline_lookup, inline_close, NULL};
