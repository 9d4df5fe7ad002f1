/*
 * addr_list.c - the RFC 5322 address-list parser (see addr_list.h).
 *
 * A small lexer turns the text into tokens (atoms, quoted strings, domain
 * literals and the specials < > @ , ; : .), skipping white space and
 * comments, and a recursive-descent parser over them follows RFC 5322
 * section 3.4 with the obsolete forms of section 4.4 that real mail still
 * uses.  The words before a special are collected once and then read as a
 * display name (before '<' or ':') or as a local part (before '@', or
 * alone), because which they are is known only from what follows them.
 *
 * Nothing here decides what a valid RFC 5321 address is: each local part
 * and domain found is put back together as a path and handed to
 * mail_addr_parse_path(), the one parser of those.
 */
#include "sys_defs.h"
#include "addr_list.h"
#include "buf.h"
#include "mymalloc.h"

enum tok_type {
    TOK_END,
    TOK_ATOM,
    TOK_QUOTED,  /* p, len: the content between the quotes, quoted pairs still in */
    TOK_LITERAL, /* p, len: "[...]" with the brackets */
    TOK_SPECIAL, /* c: one of < > @ , ; : . */
};

struct tok {
    enum tok_type type;
    int c;
    const unsigned char *p;
    size_t len;
};

struct parser {
    const unsigned char *p;
    size_t len, pos;
    struct tok tok; /* the current token */
    struct addr_list *l;
    const char *error;
};

/* Words seen before a special: a display name, or a local part. */
struct words {
    char text[MAIL_ADDR_LOCAL_MAX + 1]; /* as a local part: unquoted, dots kept */
    size_t len;
    int count;     /* atoms and quoted strings */
    bool dot_form; /* word *("." word) so far: usable as a local part */
    bool last_dot;
    bool too_long;
};

#define DOMAIN_TEXT_MAX (MAIL_ADDR_DOMAIN_MAX + 1) /* one trailing dot, which mail_addr drops */

static bool is_wsp(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 5322 atext, plus 8-bit octets (RFC 6532); mail_addr refuses those in addresses. */
static bool is_atext(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL) || c >= 0x80;
}

static bool is_special(int c)
{
    return c != 0 && strchr("<>@,;:.", c) != NULL;
}

static int fail(struct parser *P, const char *why)
{
    if (P->error == NULL)
        P->error = why;
    return -1;
}

/* Skip a comment at P->pos (an opening parenthesis), nested ones included. */
static int skip_comment(struct parser *P)
{
    int depth = 0;

    while (P->pos < P->len) {
        int c = P->p[P->pos++];

        if (c == '\\') {
            if (P->pos++ >= P->len)
                break;
        } else if (c == '(') {
            if (++depth > ADDR_LIST_COMMENT_DEPTH)
                return fail(P, "comments nested too deeply");
        } else if (c == ')') {
            if (--depth == 0)
                return 0;
        } else if (c == 0) {
            return fail(P, "NUL character in address");
        }
    }
    return fail(P, "unterminated comment");
}

static int skip_cfws(struct parser *P)
{
    for (;;) {
        while (P->pos < P->len && is_wsp(P->p[P->pos]))
            P->pos++;
        if (P->pos >= P->len || P->p[P->pos] != '(')
            return 0;
        if (skip_comment(P) < 0)
            return -1;
    }
}

/* A quoted string or domain literal from P->pos to its closing character. */
static int lex_bracketed(struct parser *P, int close, enum tok_type type)
{
    size_t i = P->pos + 1;

    for (; i < P->len && P->p[i] != close; i++) {
        int c = P->p[i];

        if (c == '\\')
            i++;
        else if ((c < ' ' && c != '\t') || c == 127 || (close == ']' && c == '['))
            return fail(P, close == '"' ? "bad character in quoted string"
                                        : "bad character in domain literal");
    }
    if (i >= P->len)
        return fail(P, close == '"' ? "unterminated quoted string" : "unterminated domain literal");
    P->tok.type = type;
    if (type == TOK_QUOTED) {
        P->tok.p = P->p + P->pos + 1;
        P->tok.len = i - P->pos - 1;
    } else {
        P->tok.p = P->p + P->pos;
        P->tok.len = i - P->pos + 1;
    }
    P->pos = i + 1;
    return 0;
}

/* Read the next token into P->tok. */
static int lex(struct parser *P)
{
    size_t start;
    int c;

    if (skip_cfws(P) < 0)
        return -1;
    if (P->pos >= P->len) {
        P->tok.type = TOK_END;
        return 0;
    }
    c = P->p[P->pos];
    if (c == '"')
        return lex_bracketed(P, '"', TOK_QUOTED);
    if (c == '[')
        return lex_bracketed(P, ']', TOK_LITERAL);
    if (is_special(c)) {
        P->tok.type = TOK_SPECIAL;
        P->tok.c = c;
        P->pos++;
        return 0;
    }
    if (!is_atext(c))
        return fail(P, "bad character in address");
    for (start = P->pos; P->pos < P->len && is_atext(P->p[P->pos]); P->pos++)
        ;
    P->tok.type = TOK_ATOM;
    P->tok.p = P->p + start;
    P->tok.len = P->pos - start;
    return 0;
}

static bool at_special(const struct parser *P, int c)
{
    return P->tok.type == TOK_SPECIAL && P->tok.c == c;
}

static void words_add(struct words *w, const unsigned char *p, size_t len, bool quoted)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (quoted && p[i] == '\\' && i + 1 < len)
            i++;
        if (w->len >= MAIL_ADDR_LOCAL_MAX) {
            w->too_long = true;
            return;
        }
        w->text[w->len++] = (char)p[i];
    }
    w->text[w->len] = 0;
}

/* Collect atoms, quoted strings and dots up to the next other token. */
static int collect_words(struct parser *P, struct words *w)
{
    memset(w, 0, sizeof(*w));
    w->dot_form = true;
    for (;;) {
        if (P->tok.type == TOK_ATOM || P->tok.type == TOK_QUOTED) {
            /* Two words with no dot between: a phrase, never a local part. */
            if (w->count > 0 && !w->last_dot)
                w->dot_form = false;
            words_add(w, P->tok.p, P->tok.len, P->tok.type == TOK_QUOTED);
            w->count++;
            w->last_dot = false;
        } else if (at_special(P, '.')) {
            if (w->count == 0 || w->last_dot)
                w->dot_form = false;
            words_add(w, (const unsigned char *)".", 1, false);
            w->last_dot = true;
        } else {
            return 0;
        }
        if (lex(P) < 0)
            return -1;
    }
}

/* A domain: a literal, or atoms separated by dots.  Into dom (DOMAIN_TEXT_MAX + 1). */
static int parse_domain(struct parser *P, char *dom)
{
    size_t n = 0;

    if (P->tok.type == TOK_LITERAL) {
        if (P->tok.len > MAIL_ADDR_DOMAIN_MAX)
            return fail(P, "domain too long");
        memcpy(dom, P->tok.p, P->tok.len);
        dom[P->tok.len] = 0;
        return lex(P);
    }
    if (P->tok.type != TOK_ATOM)
        return fail(P, "bad domain in address");
    for (;;) {
        if (n + P->tok.len > DOMAIN_TEXT_MAX)
            return fail(P, "domain too long");
        memcpy(dom + n, P->tok.p, P->tok.len);
        n += P->tok.len;
        if (lex(P) < 0)
            return -1;
        if (!at_special(P, '.'))
            break;
        if (n + 1 > DOMAIN_TEXT_MAX)
            return fail(P, "domain too long");
        dom[n++] = '.';
        if (lex(P) < 0)
            return -1;
        if (P->tok.type != TOK_ATOM)
            break; /* "user@example.com." : mail_addr drops the dot */
    }
    dom[n] = 0;
    return 0;
}

static void list_append(struct addr_list *l, const struct mail_addr *a)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->addrs = xreallocarray(l->addrs, l->cap, sizeof(*l->addrs));
    }
    l->addrs[l->n++] = *a;
}

/* Check local@dom (dom NULL: a bare local part) as RFC 5321 does, and keep it. */
static int finish_address(struct parser *P, const struct words *w, const char *dom)
{
    struct mail_addr tmp, a;
    struct buf path;
    const char *why;
    size_t used;
    int ret;

    if (w->too_long)
        return fail(P, "local part too long");
    if (w->count == 0 || !w->dot_form || w->last_dot)
        return fail(P, dom == NULL && w->count > 1 && !w->dot_form ? "a name without an address"
                                                                   : "bad local part in address");
    if (P->l->n >= P->l->max)
        return fail(P, "too many addresses");
    memset(&tmp, 0, sizeof(tmp));
    memcpy(tmp.local, w->text, w->len + 1);
    buf_init(&path, 2 * (MAIL_ADDR_LOCAL_MAX + DOMAIN_TEXT_MAX) + 8);
    (void)buf_putc(&path, '<');
    mail_addr_external(&tmp, &path);
    if (dom) {
        (void)buf_putc(&path, '@');
        (void)buf_puts(&path, dom);
    }
    (void)buf_putc(&path, '>');
    ret = mail_addr_parse_path(path.data, path.len, dom ? 0 : MAIL_ADDR_ALLOW_LOCAL_ONLY, &a, &used,
                               &why);
    if (ret == 0 && used != path.len)
        ret = -1, why = "bad address syntax";
    buf_free(&path);
    if (ret < 0)
        return fail(P, why);
    list_append(P->l, &a);
    return 0;
}

/* An angle address at '<': optional source route, addr-spec, '>'. */
static int parse_angle(struct parser *P)
{
    char dom[DOMAIN_TEXT_MAX + 1];
    struct words w;
    bool has_dom = false;

    if (lex(P) < 0)
        return -1;
    if (at_special(P, '>'))
        return fail(P, "the null address <> is not a recipient");
    if (at_special(P, '@')) {
        while (at_special(P, '@')) {
            if (lex(P) < 0 || parse_domain(P, dom) < 0)
                return -1;
            while (at_special(P, ','))
                if (lex(P) < 0)
                    return -1;
        }
        if (!at_special(P, ':'))
            return fail(P, "bad source route");
        if (lex(P) < 0)
            return -1;
    }
    if (collect_words(P, &w) < 0)
        return -1;
    if (at_special(P, '@')) {
        if (lex(P) < 0 || parse_domain(P, dom) < 0)
            return -1;
        has_dom = true;
    }
    if (!at_special(P, '>'))
        return fail(P, "bad address syntax, or no closing \">\"");
    if (lex(P) < 0)
        return -1;
    return finish_address(P, &w, has_dom ? dom : NULL);
}

static int parse_address(struct parser *P, bool in_group);

/* A group at ':' (the display name is read): addresses up to ';'. */
static int parse_group(struct parser *P)
{
    if (lex(P) < 0)
        return -1;
    for (;;) {
        if (at_special(P, ';'))
            return lex(P);
        if (P->tok.type == TOK_END)
            return 0; /* "undisclosed-recipients:" without ';' is common enough */
        if (at_special(P, ',')) {
            if (lex(P) < 0)
                return -1;
            continue;
        }
        if (parse_address(P, true) < 0)
            return -1;
    }
}

/* One mailbox or group; what follows must end it. */
static int parse_address(struct parser *P, bool in_group)
{
    char dom[DOMAIN_TEXT_MAX + 1];
    struct words w;
    int ret;

    if (collect_words(P, &w) < 0)
        return -1;
    if (at_special(P, '<')) {
        ret = parse_angle(P);
    } else if (at_special(P, ':')) {
        if (in_group)
            return fail(P, "a group inside a group");
        if (w.count == 0)
            return fail(P, "a group without a name");
        ret = parse_group(P);
    } else if (at_special(P, '@')) {
        ret = lex(P) < 0 || parse_domain(P, dom) < 0 ? -1 : finish_address(P, &w, dom);
    } else if (w.count > 0) {
        ret = finish_address(P, &w, NULL);
    } else {
        return fail(P, "bad address syntax");
    }
    if (ret < 0)
        return -1;
    if (P->tok.type == TOK_END || at_special(P, ',') || (in_group && at_special(P, ';')))
        return 0;
    return fail(P, "unexpected text after an address");
}

int addr_list_parse(const unsigned char *p, size_t len, struct addr_list *l, const char **error_r)
{
    struct parser P = {.p = p, .len = len, .l = l};
    size_t n0 = l->n;

    if (len > ADDR_LIST_TEXT_MAX) {
        *error_r = "address list too long";
        return -1;
    }
    if (lex(&P) < 0)
        goto bad;
    while (P.tok.type != TOK_END) {
        if (at_special(&P, ',')) {
            if (lex(&P) < 0)
                goto bad;
            continue;
        }
        if (parse_address(&P, false) < 0)
            goto bad;
    }
    return 0;

bad:
    l->n = n0;
    *error_r = P.error ? P.error : "bad address syntax";
    return -1;
}

void addr_list_init(struct addr_list *l, size_t max)
{
    memset(l, 0, sizeof(*l));
    l->max = max;
}

void addr_list_free(struct addr_list *l)
{
    free(l->addrs);
    memset(l, 0, sizeof(*l));
}
