/*
 * conf.c - Postfix-syntax configuration files and $name expansion.
 */
#include "sys_defs.h"
#include "conf.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define CONF_EXPAND_DEPTH 20

static bool conf_is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

enum conf_line_kind conf_line_kind(const unsigned char *p, size_t len, bool have, size_t *text_r)
{
    size_t i = 0;

    while (i < len && conf_is_blank(p[i]))
        i++;
    *text_r = i;
    if (i == len || p[i] == '#')
        return CONF_LINE_SKIP; /* blank or comment: neither starts nor ends a line */
    return i > 0 && have ? CONF_LINE_MORE : CONF_LINE_START;
}

int conf_logical_lines(const unsigned char *text, size_t len, conf_line_fn fn, void *ctx,
                       const char **error_r)
{
    struct buf line;
    size_t pos = 0;
    int lineno = 0, start_line = 0, ret = 0;
    bool have = false;

    buf_init(&line, CONF_LINE_MAX);
    while (pos < len && ret == 0) {
        const unsigned char *p = text + pos;
        const unsigned char *nl = memchr(p, '\n', len - pos);
        size_t plen = nl ? (size_t)(nl - p) : len - pos;
        size_t i;
        enum conf_line_kind kind = conf_line_kind(p, plen, have, &i);

        pos += plen + (nl != NULL);
        lineno++;
        if (kind == CONF_LINE_SKIP)
            continue;
        if (kind == CONF_LINE_MORE) {
            /* continuation: join with one space */
            if (buf_putc(&line, ' ') < 0 || buf_append(&line, p + i, plen - i) < 0)
                goto toolong;
            continue;
        }
        if (have)
            ret = fn(line.data, line.len, start_line, ctx);
        buf_reset(&line);
        have = true;
        start_line = lineno;
        if (buf_append(&line, p + i, plen - i) < 0)
            goto toolong;
    }
    if (ret == 0 && have)
        ret = fn(line.data, line.len, start_line, ctx);
    buf_free(&line);
    return ret;

toolong:
    buf_free(&line);
    *error_r = "logical line too long";
    return -1;
}

int conf_parse_entry(const unsigned char *line, size_t len, struct buf *name, struct buf *value,
                     const char **error_r)
{
    size_t i = 0, nstart, nend, vstart, vend;

    buf_reset(name);
    buf_reset(value);
    while (i < len && conf_is_blank(line[i]))
        i++;
    nstart = i;
    while (i < len && (isalnum(line[i]) || line[i] == '_'))
        i++;
    nend = i;
    if (nend == nstart) {
        *error_r = "missing parameter name";
        return -1;
    }
    if (nend - nstart > CONF_NAME_MAX) {
        *error_r = "parameter name too long";
        return -1;
    }
    while (i < len && conf_is_blank(line[i]))
        i++;
    if (i >= len || line[i] != '=') {
        *error_r = "expected \"name = value\"";
        return -1;
    }
    i++;
    while (i < len && conf_is_blank(line[i]))
        i++;
    vstart = i;
    vend = len;
    while (vend > vstart && conf_is_blank(line[vend - 1]))
        vend--;
    if (memchr(line + vstart, 0, vend - vstart) != NULL) {
        *error_r = "NUL character in value";
        return -1;
    }
    if (buf_append(name, line + nstart, nend - nstart) < 0 ||
        buf_append(value, line + vstart, vend - vstart) < 0) {
        *error_r = "entry too long";
        return -1;
    }
    return 0;
}

int conf_slurp_fd(int fd, size_t max, unsigned char **text_r, size_t *len_r, const char **error_r)
{
    struct stat st;
    unsigned char *text;
    ssize_t n;

    if (fstat(fd, &st) < 0) {
        *error_r = strerror(errno);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *error_r = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
        return -1;
    }
    if ((unsigned long long)st.st_size > max) {
        *error_r = "file too large";
        return -1;
    }
    text = xmalloc((size_t)st.st_size + 1);
    n = read_full(fd, text, (size_t)st.st_size);
    if (n < 0) {
        *error_r = strerror(errno);
        free(text);
        return -1;
    }
    text[n] = 0;
    *text_r = text;
    *len_r = (size_t)n;
    return 0;
}

int conf_slurp(const char *path, unsigned char **text_r, size_t *len_r, const char **error_r)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    int ret;

    if (fd < 0) {
        *error_r = strerror(errno);
        return -1;
    }
    ret = conf_slurp_fd(fd, CONF_FILE_MAX, text_r, len_r, error_r);
    close_quietly(fd);
    return ret;
}

struct conf_read_ctx {
    struct conf *conf;
    const char *path;
    char *error;
    struct buf name, value;
};

static int conf_read_line(const unsigned char *line, size_t len, int lineno, void *vctx)
{
    struct conf_read_ctx *ctx = vctx;
    const char *why;

    if (conf_parse_entry(line, len, &ctx->name, &ctx->value, &why) < 0) {
        ctx->error = xasprintf("%s, line %d: %s", ctx->path, lineno, why);
        return -1;
    }
    conf_set(ctx->conf, buf_str(&ctx->name), buf_str(&ctx->value), ctx->path, lineno);
    return 0;
}

int conf_read_file(struct conf *c, const char *path, char **error_r)
{
    struct conf_read_ctx ctx = {.conf = c, .path = path};
    unsigned char *text;
    const char *why;
    size_t len;
    int ret;

    if (conf_slurp(path, &text, &len, &why) < 0) {
        *error_r = xasprintf("open %s: %s", path, why);
        return -1;
    }
    buf_init(&ctx.name, CONF_NAME_MAX + 1);
    buf_init(&ctx.value, CONF_LINE_MAX);
    ret = conf_logical_lines(text, len, conf_read_line, &ctx, &why);
    if (ret < 0 && ctx.error == NULL)
        ctx.error = xasprintf("%s: %s", path, why);
    buf_free(&ctx.name);
    buf_free(&ctx.value);
    free(text);
    if (ret < 0) {
        *error_r = ctx.error;
        return -1;
    }
    return 0;
}

const struct conf_entry *conf_find(const struct conf *c, const char *name)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (strcmp(c->entries[i].name, name) == 0)
            return c->entries + i;
    return NULL;
}

void conf_set(struct conf *c, const char *name, const char *value, const char *file, int line)
{
    struct conf_entry *e = (struct conf_entry *)conf_find(c, name);

    if (e == NULL) {
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 32;
            c->entries = xreallocarray(c->entries, c->cap, sizeof(*c->entries));
        }
        e = c->entries + c->n++;
        e->name = xstrdup(name);
    } else {
        free(e->value);
        free(e->file);
    }
    e->value = xstrdup(value);
    e->file = xstrdup(file ? file : "");
    e->line = line;
}

void conf_free(struct conf *c)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        free(c->entries[i].name);
        free(c->entries[i].value);
        free(c->entries[i].file);
    }
    free(c->entries);
    c->entries = NULL;
    c->n = c->cap = 0;
}

/* Expansion ---------------------------------------------------------------- */

struct conf_expander {
    conf_lookup_fn lookup;
    void *ctx;
    char *error;
    const char *stack[CONF_EXPAND_DEPTH];
    int depth;
};

static int conf_expand_rec(struct conf_expander *x, const char *value, struct buf *out);

/*
 * Expand a reference to name.  op 0: its value.  op '?': text if the value
 * is not empty, else alt (may be NULL).  op ':': text if the value is empty.
 */
static int conf_expand_ref(struct conf_expander *x, const char *name, int op, const char *text,
                           const char *alt, struct buf *out)
{
    const char *raw = x->lookup(name, x->ctx);
    struct buf tmp;
    int i, ret;

    if (raw == NULL) {
        x->error = xasprintf("undefined parameter \"$%s\"", name);
        return -1;
    }
    for (i = 0; i < x->depth; i++) {
        if (strcmp(x->stack[i], name) == 0) {
            x->error = xasprintf("recursive reference to \"$%s\"", name);
            return -1;
        }
    }
    if (x->depth >= CONF_EXPAND_DEPTH) {
        x->error = xasprintf("references nested too deeply at \"$%s\"", name);
        return -1;
    }
    x->stack[x->depth++] = name;
    buf_init(&tmp, out->max);
    ret = conf_expand_rec(x, raw, &tmp);
    x->depth--; /* ${name?text}: the text may use $name again */
    if (ret == 0) {
        if (op == 0)
            ret = buf_append(out, tmp.data, tmp.len);
        else if ((op == '?') == (tmp.len > 0))
            ret = conf_expand_rec(x, text, out);
        else if (op == '?' && alt != NULL)
            ret = conf_expand_rec(x, alt, out);
        if (ret < 0 && x->error == NULL)
            x->error = xasprintf("value of \"$%s\" too long", name);
    }
    buf_free(&tmp);
    return ret;
}

/* The end of the {...} group that starts at p (nested braces allowed), or NULL. */
static const char *conf_group_end(const char *p)
{
    int level = 0;

    for (; *p; p++) {
        if (*p == '{')
            level++;
        else if (*p == '}' && --level == 0)
            return p;
    }
    return NULL;
}

/*
 * Postfix 3.0's braced forms: ${name?{text}:{alt}}, ${name?{text}} and
 * ${name:{text}}.  If text (what follows the operator) starts with a brace,
 * take the groups apart; -1 if it is not of that form.  The older
 * ${name?text} form leaves text as it is.
 */
static int conf_split_groups(char *text, int op, char **alt_r)
{
    char *end, *alt_end;

    *alt_r = NULL;
    if (text[0] != '{')
        return 0;
    if ((end = (char *)conf_group_end(text)) == NULL)
        return -1;
    memmove(text, text + 1, (size_t)(end - text) - 1);
    text[end - text - 1] = 0;
    end++;
    if (*end == 0)
        return 0;
    if (op != '?' || end[0] != ':' || end[1] != '{' ||
        (alt_end = (char *)conf_group_end(end + 1)) == NULL || alt_end[1] != 0)
        return -1;
    *alt_end = 0;
    *alt_r = end + 2;
    return 0;
}

/* Parse the reference after '$' at *pp; on success advance *pp past it. */
static int conf_expand_dollar(struct conf_expander *x, const char **pp, struct buf *out)
{
    const char *p = *pp;
    char name[CONF_NAME_MAX + 1];
    size_t n = 0;
    int ret;

    if (*p == '$') {
        *pp = p + 1;
        return buf_putc(out, '$');
    }
    if (*p == '{' || *p == '(') {
        char close = *p == '{' ? '}' : ')';
        const char *end, *q = p + 1;
        char *text = NULL, *alt = NULL;
        int op = 0, level = 1;

        while (isalnum((unsigned char)*q) || *q == '_')
            if (n < CONF_NAME_MAX)
                name[n++] = *q++;
            else
                q++;
        name[n] = 0;
        if (*q == '?' || *q == ':')
            op = *q++;
        /* find the matching close, allowing nested ${...} in the text */
        for (end = q; *end; end++) {
            if (*end == (close == '}' ? '{' : '('))
                level++;
            else if (*end == close && --level == 0)
                break;
        }
        if (n == 0 || *end != close || (op == 0 && end != q)) {
            x->error = xasprintf("bad parameter reference syntax in \"$%.40s\"", p);
            return -1;
        }
        if (op)
            text = xstrndup(q, (size_t)(end - q));
        if (text && conf_split_groups(text, op, &alt) < 0) {
            x->error = xasprintf("bad parameter reference syntax in \"$%.40s\"", p);
            free(text);
            return -1;
        }
        ret = conf_expand_ref(x, name, op, text, alt, out);
        free(text);
        *pp = end + 1;
        return ret;
    }
    while (isalnum((unsigned char)*p) || *p == '_') {
        if (n >= CONF_NAME_MAX) {
            x->error = xasprintf("parameter name too long in reference");
            return -1;
        }
        name[n++] = *p++;
    }
    name[n] = 0;
    if (n == 0) {
        x->error = xasprintf("'$' not followed by a parameter name");
        return -1;
    }
    *pp = p;
    return conf_expand_ref(x, name, 0, NULL, NULL, out);
}

static int conf_expand_rec(struct conf_expander *x, const char *value, struct buf *out)
{
    const char *p = value;

    while (*p) {
        const char *d = strchr(p, '$');
        size_t lit = d ? (size_t)(d - p) : strlen(p);

        if (buf_append(out, p, lit) < 0)
            goto toolong;
        if (d == NULL)
            break;
        p = d + 1;
        if (conf_expand_dollar(x, &p, out) < 0) {
            if (x->error == NULL)
                goto toolong;
            return -1;
        }
    }
    return 0;

toolong:
    x->error = xasprintf("expanded value too long");
    return -1;
}

int conf_expand(const char *value, conf_lookup_fn lookup, void *ctx, struct buf *out,
                char **error_r)
{
    struct conf_expander x = {.lookup = lookup, .ctx = ctx};

    if (conf_expand_rec(&x, value, out) < 0) {
        *error_r = x.error;
        return -1;
    }
    return 0;
}
