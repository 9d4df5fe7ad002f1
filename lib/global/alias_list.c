/*
 * alias_list.c - destinations of aliases, .forward and :include: files
 * (see alias_list.h).
 */
#include "sys_defs.h"
#include "alias_list.h"
#include "buf.h"
#include "mymalloc.h"

#define ALIAS_INCLUDE ":include:"

static bool alias_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is p the first non-blank of its line? */
static bool alias_line_start(const char *value, const char *p)
{
    while (p > value && (p[-1] == ' ' || p[-1] == '\t'))
        p--;
    return p == value || p[-1] == '\n';
}

static struct alias_item *alias_add(struct alias_list *l, enum alias_item_type type,
                                    const char *text)
{
    struct alias_item *it;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xreallocarray(l->items, l->cap, sizeof(*l->items));
    }
    it = l->items + l->n++;
    memset(it, 0, sizeof(*it));
    it->type = type;
    it->text = xstrdup(text);
    return it;
}

/*
 * What one item is: item unquoted, raw as written (both trimmed).  The type
 * shows in the unquoted text ("|cmd, x" is a command); an address is parsed
 * from the raw text, where quotes are part of its syntax ("john doe"@x).
 */
static void alias_classify(struct alias_list *l, const char *item, const char *raw)
{
    size_t used, inc = strlen(ALIAS_INCLUDE);
    const char *why = NULL;
    struct alias_item *it;
    bool noalias = raw[0] == '\\';
    char *path;

    if (item[0] == '|') {
        (void)alias_add(l, item[1] ? ALIAS_ITEM_COMMAND : ALIAS_ITEM_BAD,
                        item[1] ? item + 1 : "empty command");
        return;
    }
    if (item[0] == '/') {
        (void)alias_add(l, ALIAS_ITEM_FILE, item);
        return;
    }
    if (strncasecmp(item, ALIAS_INCLUDE, inc) == 0) {
        if (item[inc] == '/')
            (void)alias_add(l, ALIAS_ITEM_INCLUDE, item + inc);
        else
            (void)alias_add(l, ALIAS_ITEM_BAD, ":include: needs an absolute path");
        return;
    }
    if (noalias)
        raw++;
    it = alias_add(l, noalias ? ALIAS_ITEM_NOALIAS : ALIAS_ITEM_ADDRESS, raw);
    /* As a path, so that a quoted local part may hold white space. */
    path = xasprintf("<%s>", raw);
    if (mail_addr_parse_path((const unsigned char *)path, strlen(path), MAIL_ADDR_ALLOW_LOCAL_ONLY,
                             &it->addr, &used, &why) < 0 ||
        used != strlen(path)) {
        free(it->text);
        it->type = ALIAS_ITEM_BAD;
        it->text = xasprintf("bad address \"%.100s\": %s", raw, why ? why : "syntax");
    }
    free(path);
}

/*
 * Read one item at *pp: out gets it unquoted, raw as written; -1 with *why
 * on a broken list.
 */
static int alias_item_text(const char **pp, const char *end, struct buf *out, struct buf *raw,
                           const char **why)
{
    const char *p = *pp, *start = p;
    bool quoted = false;
    size_t n;

    buf_reset(out);
    for (; p < end; p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (quoted && *p == '\\' && p + 1 < end)
            p++;
        else if (!quoted && (*p == ',' || *p == '\n'))
            break;
        if (buf_putc(out, *p) < 0) {
            *why = "destination too long";
            return -1;
        }
    }
    if (quoted) {
        *why = "unterminated quoted string";
        return -1;
    }
    n = out->len;
    while (n > 0 && alias_blank(out->data[n - 1]))
        n--;
    buf_truncate(out, n); /* also when nothing was kept: "" */
    *pp = p;              /* at the comma that ends the item, or the end */
    while (p > start && alias_blank(p[-1]))
        p--;
    buf_reset(raw);
    (void)buf_append(raw, start, (size_t)(p - start)); /* at most twice out: it fits */
    return 0;
}

int alias_list_parse(const char *value, size_t len, struct alias_list *l, const char **error_r)
{
    const char *p = value, *end = value + len;
    struct buf item, raw;

    memset(l, 0, sizeof(*l));
    if (memchr(value, 0, len) != NULL) {
        *error_r = "NUL character";
        return -1;
    }
    buf_init(&item, ALIAS_ITEM_MAX);
    buf_init(&raw, 2 * ALIAS_ITEM_MAX);
    while (p < end) {
        while (p < end && (alias_blank(*p) || *p == ','))
            p++;
        if (p == end)
            break;
        if (*p == '#' && alias_line_start(value, p)) { /* a comment line, in files */
            while (p < end && *p != '\n')
                p++;
            continue;
        }
        if (l->n >= ALIAS_ITEMS_MAX) {
            *error_r = "too many destinations";
            goto fail;
        }
        if (alias_item_text(&p, end, &item, &raw, error_r) < 0)
            goto fail;
        if (item.len > 0)
            alias_classify(l, buf_str(&item), buf_str(&raw));
    }
    buf_free(&item);
    buf_free(&raw);
    return 0;

fail:
    buf_free(&item);
    buf_free(&raw);
    alias_list_free(l);
    return -1;
}

void alias_list_free(struct alias_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++)
        free(l->items[i].text);
    free(l->items);
    memset(l, 0, sizeof(*l));
}
