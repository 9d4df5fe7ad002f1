/*
 * dict_pattern.c - the rule files of regexp: and pcre: tables, in the
 * grammar that Postfix's regexp_table(5) and pcre_table(5) share:
 *
 *   /pattern/flags   result      the first rule that matches gives result,
 *                                with $1..$9 (or ${1}) replaced by what the
 *                                groups matched and $$ by a dollar
 *   !/pattern/flags  result      the rule matches when the pattern does not
 *   if /pattern/flags ... endif  the rules inside apply only on a match
 *                                (if !/pattern/ too); blocks nest
 *
 * Lines are conf.h's logical lines (comments, blank lines, continuation by
 * leading white space).  The delimiter is the first character (any but white
 * space, '!' and letters or digits), so |pattern| works too; a backslash
 * escapes the delimiter inside the pattern and stays there for the engine.
 * Flag letters toggle the engine's options (dict_pattern.h).  This file
 * never compiles or matches a pattern itself: the engine does.
 */
#include "sys_defs.h"
#include "dict_pattern.h"
#include "buf.h"
#include "conf.h"
#include "iostuff.h"
#include "mymalloc.h"

#define PATTERN_DEPTH 32 /* if ... endif nesting */

enum rule_kind { RULE_MATCH, RULE_IF, RULE_ENDIF };

struct pattern_rule {
    enum rule_kind kind;
    bool negate;
    int lineno;   /* for errors at lookup time */
    void *re;     /* the engine's; NULL for RULE_ENDIF */
    char *result; /* RULE_MATCH */
    size_t skip;  /* RULE_IF: index of its endif, to jump over the block */
};

struct dict_pattern {
    const struct dict_pattern_engine *engine;
    struct pattern_rule *rules;
    size_t n, cap;
    char *path;
    struct buf value;
};

struct pattern_load {
    struct dict_pattern *s;
    size_t stack[PATTERN_DEPTH];
    int depth;
    int lineno;
    char *error;
};

static void pattern_free(struct dict_pattern *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        if (s->rules[i].re)
            s->engine->free(s->rules[i].re);
        free(s->rules[i].result);
    }
    free(s->rules);
    free(s->path);
    buf_free(&s->value);
    free(s);
}

static int load_fail(struct pattern_load *l, const char *why)
{
    l->error = xstrdup(why);
    return -1;
}

static bool blank(int c)
{
    return c == ' ' || c == '\t';
}

/*
 * Parse "[!]/pattern/flags" at *pp and compile it into r; advance *pp past
 * it.  As in Postfix, a backslash before the delimiter keeps it in the
 * pattern, where both engines read "\/" as a plain "/".
 */
static int pattern_parse(struct pattern_load *l, const char **pp, struct pattern_rule *r)
{
    const struct dict_pattern_engine *e = l->s->engine;
    const char *p = *pp, *start;
    unsigned bits = e->default_bits;
    char *pat, delim;
    int ret;

    if (*p == '!') {
        r->negate = true;
        p++;
    }
    delim = *p;
    if (delim == 0 || blank(delim) || isalnum((unsigned char)delim))
        return load_fail(l, "expected /pattern/");
    for (start = ++p; *p && *p != delim; p++)
        if (*p == '\\' && p[1] != 0)
            p++;
    if (*p == 0)
        return load_fail(l, "missing the closing delimiter of the pattern");
    pat = xstrndup(start, (size_t)(p - start));
    for (p++; *p && !blank(*p); p++) {
        const struct dict_pattern_flag *f;

        for (f = e->flags; f->letter != 0 && f->letter != *p; f++)
            ;
        if (f->letter == 0) {
            free(pat);
            return load_fail(l, "unknown pattern flag");
        }
        bits ^= f->bits;
    }
    ret = e->compile(pat, bits, &r->re, &l->error);
    free(pat);
    if (ret < 0)
        return -1;
    *pp = p;
    return 0;
}

static void pattern_add(struct dict_pattern *s, const struct pattern_rule *r)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->rules = xreallocarray(s->rules, s->cap, sizeof(*s->rules));
    }
    s->rules[s->n++] = *r;
}

static bool pattern_word(const unsigned char *line, size_t len, const char *word)
{
    size_t n = strlen(word);

    return len >= n && strncasecmp((const char *)line, word, n) == 0 &&
           (len == n || blank(line[n]));
}

/* One logical line: a rule, an if or an endif. */
static int pattern_line(const unsigned char *line, size_t len, int lineno, void *ctx)
{
    struct pattern_load *l = ctx;
    struct pattern_rule r = {.lineno = lineno};
    const char *p;
    char *text;
    int ret;

    l->lineno = lineno;
    while (len > 0 && (blank(line[len - 1]) || line[len - 1] == '\r'))
        len--; /* trailing white space is no part of a result */
    if (memchr(line, 0, len) != NULL)
        return load_fail(l, "NUL character");
    if (pattern_word(line, len, "endif")) {
        if (l->depth == 0)
            return load_fail(l, "endif without if");
        l->s->rules[l->stack[--l->depth]].skip = l->s->n;
        r.kind = RULE_ENDIF;
        pattern_add(l->s, &r);
        return 0;
    }
    text = xstrndup((const char *)line, len);
    p = text;
    if (pattern_word(line, len, "if")) {
        r.kind = RULE_IF;
        for (p += 2; blank(*p); p++)
            ;
        if (l->depth == PATTERN_DEPTH)
            ret = load_fail(l, "if blocks nested too deeply");
        else if ((ret = pattern_parse(l, &p, &r)) == 0 && *p != 0)
            ret = load_fail(l, "text after the pattern of an if");
        if (ret == 0)
            l->stack[l->depth++] = l->s->n;
    } else {
        r.kind = RULE_MATCH;
        if ((ret = pattern_parse(l, &p, &r)) == 0) {
            while (blank(*p))
                p++;
            if (*p == 0)
                ret = load_fail(l, "expected \"/pattern/ result\"");
            else
                r.result = xstrdup(p);
        }
    }
    if (ret == 0)
        pattern_add(l->s, &r);
    else if (r.re)
        l->s->engine->free(r.re);
    free(text);
    return ret;
}

int dict_pattern_open(struct dict *d, const char *name, const struct dict_pattern_engine *engine,
                      char **error_r)
{
    struct pattern_load l = {.s = xcalloc(1, sizeof(struct dict_pattern))};
    unsigned char *text;
    const char *why = NULL;
    size_t len;
    int fd, ret;

    l.s->engine = engine;
    l.s->path = xstrdup(name);
    buf_init(&l.s->value, DICT_VALUE_MAX);
    if ((fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 ||
        conf_slurp_fd(fd, CONF_FILE_MAX, &text, &len, &why) < 0) {
        *error_r = xasprintf("open %s: %s", name, why ? why : strerror(errno));
        close_quietly(fd);
        pattern_free(l.s);
        return -1;
    }
    close_quietly(fd);
    ret = conf_logical_lines(text, len, pattern_line, &l, &why);
    free(text);
    if (ret == 0 && l.depth > 0) { /* named at the if that is still open */
        l.lineno = l.s->rules[l.stack[l.depth - 1]].lineno;
        ret = load_fail(&l, "if without endif");
    }
    if (ret != 0) {
        *error_r = xasprintf("%s, line %d: %s", name, l.lineno, l.error ? l.error : why);
        free(l.error);
        pattern_free(l.s);
        return -1;
    }
    d->state = l.s;
    return 0;
}

/*
 * result with $n replaced by what group n of key matched (nothing when
 * groups is NULL: a negated rule has none); -1 if the value gets too long.
 */
static int pattern_expand(struct buf *out, const char *result, const char *key,
                          const struct dict_pattern_group *groups)
{
    const char *p;
    int ret = 0;

    buf_reset(out);
    for (p = result; *p && ret == 0; p++) {
        const struct dict_pattern_group *g = NULL;

        if (*p != '$') {
            ret = buf_putc(out, *p);
            continue;
        }
        if (p[1] == '$') {
            ret = buf_putc(out, '$');
            p++;
        } else if (p[1] >= '1' && p[1] <= '9') {
            g = groups ? groups + (p[1] - '0') : NULL;
            p++;
        } else if (p[1] == '{' && p[2] >= '1' && p[2] <= '9' && p[3] == '}') {
            g = groups ? groups + (p[2] - '0') : NULL;
            p += 3;
        } else {
            ret = buf_putc(out, '$');
        }
        if (g && g->start >= 0 && g->end >= g->start)
            ret = buf_append(out, key + g->start, (size_t)(g->end - g->start));
    }
    return ret;
}

int dict_pattern_lookup(struct dict *d, const char *key, const char **value_r, char **error_r)
{
    struct dict_pattern *s = d->state;
    struct dict_pattern_group groups[DICT_PATTERN_GROUPS];
    size_t len = strlen(key), i;

    for (i = 0; i < s->n; i++) {
        struct pattern_rule *r = s->rules + i;
        bool wants_groups = r->kind == RULE_MATCH && !r->negate;
        char *why = NULL;
        int m;

        if (r->kind == RULE_ENDIF)
            continue;
        if ((m = s->engine->match(r->re, key, len, wants_groups ? groups : NULL, &why)) < 0) {
            *error_r = xasprintf("%s, line %d: %s", s->path, r->lineno, why);
            free(why);
            return -1;
        }
        if (r->kind == RULE_IF) {
            if ((m == 1) == r->negate)
                i = r->skip; /* past the matching endif */
            continue;
        }
        if ((m == 1) == r->negate)
            continue;
        if (pattern_expand(&s->value, r->result, key, wants_groups ? groups : NULL) < 0) {
            *error_r = xasprintf("%s, line %d: result too long", s->path, r->lineno);
            return -1;
        }
        *value_r = buf_str(&s->value);
        return 1;
    }
    return 0;
}

void dict_pattern_close(struct dict *d)
{
    pattern_free(d->state);
    d->state = NULL;
}

const char *dict_pattern_file(const struct dict *d)
{
    return ((const struct dict_pattern *)d->state)->path;
}
