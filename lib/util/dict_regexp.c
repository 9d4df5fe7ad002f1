/*
 * dict_regexp.c - regexp:FILE, POSIX regular expressions in Postfix's
 * regexp_table(5) syntax:
 *
 *   /pattern/flags   result      the first rule that matches gives result,
 *                                with $1..$9 (or ${1}) replaced by what the
 *                                groups matched and $$ by a dollar
 *   !/pattern/flags  result      the rule matches when the pattern does not
 *   if /pattern/flags ... endif  the rules inside apply only on a match
 *                                (if !/pattern/ too); blocks nest
 *
 * The delimiter is the first character (any but white space, '!' and
 * letters or digits), so |pattern| works too ('#' starts a comment).  Matching is case-insensitive
 * and extended by default; the flags i and x turn those off, m makes newlines special, as in
 * Postfix.  Keys are therefore never folded to lower case.
 */
#include "sys_defs.h"
#include <regex.h>
#include "dict.h"
#include "buf.h"
#include "conf.h"
#include "iostuff.h"
#include "mymalloc.h"

#define REGEXP_GROUPS 10 /* the whole match and $1..$9 */
#define REGEXP_DEPTH 32  /* if ... endif nesting */

enum rule_kind { RULE_MATCH, RULE_IF, RULE_ENDIF };

struct regexp_rule {
    enum rule_kind kind;
    bool negate;
    regex_t re;
    char *result; /* RULE_MATCH */
    size_t skip;  /* RULE_IF: index of its endif, to jump over the block */
};

struct dict_regexp {
    struct regexp_rule *rules;
    size_t n, cap;
    char *path;
    struct buf value;
};

struct regexp_load {
    struct dict_regexp *s;
    size_t stack[REGEXP_DEPTH];
    int depth;
    int lineno;
    char *error;
};

static void regexp_free(struct dict_regexp *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (s->rules[i].kind != RULE_ENDIF)
            regfree(&s->rules[i].re);
        free(s->rules[i].result);
    }
    free(s->rules);
    free(s->path);
    buf_free(&s->value);
    free(s);
}

static int load_fail(struct regexp_load *l, const char *why)
{
    l->error = xstrdup(why);
    return -1;
}

/*
 * Parse "[!]/pattern/flags" at *pp into r->re; advance *pp past it.  The
 * pattern is copied without its delimiters; a delimiter inside it cannot
 * be escaped, as in Postfix.
 */
static int regexp_pattern(struct regexp_load *l, const char **pp, struct regexp_rule *r)
{
    const char *p = *pp, *end;
    int cflags = REG_EXTENDED | REG_ICASE, err;
    char *pat, delim;

    if (*p == '!') {
        r->negate = true;
        p++;
    }
    delim = *p;
    if (delim == 0 || delim == ' ' || delim == '\t' || isalnum((unsigned char)delim))
        return load_fail(l, "expected /pattern/");
    if ((end = strchr(p + 1, delim)) == NULL)
        return load_fail(l, "missing the closing delimiter of the pattern");
    for (p = end + 1; *p && *p != ' ' && *p != '\t'; p++) {
        if (*p == 'i')
            cflags ^= REG_ICASE;
        else if (*p == 'x')
            cflags ^= REG_EXTENDED;
        else if (*p == 'm')
            cflags ^= REG_NEWLINE;
        else
            return load_fail(l, "unknown pattern flag");
    }
    pat = xstrndup(*pp + (r->negate ? 2 : 1), (size_t)(end - *pp - (r->negate ? 2 : 1)));
    err = regcomp(&r->re, pat, cflags);
    free(pat);
    if (err != 0) {
        char why[256];

        (void)regerror(err, &r->re, why, sizeof(why));
        return load_fail(l, why);
    }
    *pp = p;
    return 0;
}

static struct regexp_rule *regexp_add(struct dict_regexp *s, enum rule_kind kind)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->rules = xreallocarray(s->rules, s->cap, sizeof(*s->rules));
    }
    memset(s->rules + s->n, 0, sizeof(*s->rules));
    s->rules[s->n].kind = kind;
    return s->rules + s->n++;
}

static bool regexp_word(const unsigned char *line, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && strncasecmp((const char *)line, word, n) == 0 &&
           (len == n || line[n] == ' ' || line[n] == '\t');
}

static int regexp_line(const unsigned char *line, size_t len, int lineno, void *ctx)
{
    struct regexp_load *l = ctx;
    struct regexp_rule *r;
    const char *p;
    char *text;
    int ret = 0;

    l->lineno = lineno;
    if (memchr(line, 0, len) != NULL)
        return load_fail(l, "NUL character");
    if (regexp_word(line, len, "endif")) {
        if (l->depth == 0)
            return load_fail(l, "endif without if");
        l->s->rules[l->stack[--l->depth]].skip = l->s->n;
        (void)regexp_add(l->s, RULE_ENDIF);
        return 0;
    }
    text = xstrndup((const char *)line, len);
    p = text;
    if (regexp_word(line, len, "if")) {
        if (l->depth == REGEXP_DEPTH) {
            free(text);
            return load_fail(l, "if blocks nested too deeply");
        }
        for (p += 2; *p == ' ' || *p == '\t'; p++)
            ;
        r = regexp_add(l->s, RULE_IF);
        if ((ret = regexp_pattern(l, &p, r)) == 0 && *p != 0) {
            regfree(&r->re);
            ret = load_fail(l, "text after the pattern of an if");
        }
        if (ret == 0)
            l->stack[l->depth++] = l->s->n - 1;
    } else {
        r = regexp_add(l->s, RULE_MATCH);
        if ((ret = regexp_pattern(l, &p, r)) == 0) {
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == 0) {
                regfree(&r->re);
                ret = load_fail(l, "expected \"/pattern/ result\"");
            }
        }
        if (ret == 0)
            r->result = xstrdup(p);
    }
    if (ret < 0)
        l->s->n--; /* nothing of the half-made rule is left to free */
    free(text);
    return ret;
}

static int regexp_open(struct dict *d, const char *name, char **error_r)
{
    struct regexp_load l = {.s = xcalloc(1, sizeof(struct dict_regexp))};
    unsigned char *text;
    const char *why = NULL;
    size_t len;
    int fd, ret;

    l.s->path = xstrdup(name);
    buf_init(&l.s->value, DICT_VALUE_MAX);
    if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 ||
        conf_slurp_fd(fd, CONF_FILE_MAX, &text, &len, &why) < 0) {
        *error_r = xasprintf("open %s: %s", name, why ? why : strerror(errno));
        close_quietly(fd);
        regexp_free(l.s);
        return -1;
    }
    close_quietly(fd);
    ret = conf_logical_lines(text, len, regexp_line, &l, &why);
    free(text);
    if (ret == 0 && l.depth > 0)
        ret = load_fail(&l, "if without endif");
    if (ret != 0) {
        *error_r = xasprintf("%s, line %d: %s", name, l.lineno, l.error ? l.error : why);
        free(l.error);
        regexp_free(l.s);
        return -1;
    }
    d->state = l.s;
    return 0;
}

/* result with $n replaced by the groups of key; -1 if the value gets too long. */
static int regexp_expand(struct buf *out, const char *result, const char *key, const regmatch_t *m)
{
    const char *p;
    int ret = 0;

    buf_reset(out);
    for (p = result; *p && ret == 0; p++) {
        int g = -1;

        if (*p != '$') {
            ret = buf_putc(out, *p);
            continue;
        }
        if (p[1] == '$') {
            ret = buf_putc(out, '$');
            p++;
        } else if (p[1] >= '1' && p[1] <= '9') {
            g = p[1] - '0';
            p++;
        } else if (p[1] == '{' && p[2] >= '1' && p[2] <= '9' && p[3] == '}') {
            g = p[2] - '0';
            p += 3;
        } else {
            ret = buf_putc(out, '$');
        }
        if (g > 0 && m[g].rm_so >= 0)
            ret = buf_append(out, key + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
    }
    return ret;
}

static int regexp_lookup(struct dict *d, const char *key, const char **value_r, char **error_r)
{
    struct dict_regexp *s = d->state;
    regmatch_t m[REGEXP_GROUPS];
    size_t i;

    for (i = 0; i < s->n; i++) {
        struct regexp_rule *r = s->rules + i;
        bool hit;

        if (r->kind == RULE_ENDIF)
            continue;
        hit = (regexec(&r->re, key, REGEXP_GROUPS, m, 0) == 0) != r->negate;
        if (r->kind == RULE_IF) {
            if (!hit)
                i = r->skip; /* past the matching endif */
            continue;
        }
        if (!hit)
            continue;
        if (r->negate) /* no groups to refer to */
            memset(m, -1, sizeof(m));
        if (regexp_expand(&s->value, r->result, key, m) < 0) {
            *error_r = xasprintf("%s: result too long", s->path);
            return -1;
        }
        *value_r = buf_str(&s->value);
        return 1;
    }
    return 0;
}

static void regexp_close(struct dict *d)
{
    regexp_free(d->state);
    d->state = NULL;
}

static const char *regexp_file(const struct dict *d)
{
    return ((const struct dict_regexp *)d->state)->path;
}

const struct dict_ops dict_regexp_ops = {"regexp",      true,         regexp_open,
                                         regexp_lookup, regexp_close, regexp_file};
