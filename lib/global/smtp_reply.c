/*
 * smtp_reply.c - SMTP replies and EHLO keywords as the client reads them
 * (see smtp_reply.h).
 *
 * Every bound is checked before a byte is copied: a line is refused when
 * it is longer than SMTP_REPLY_IN_LINE_MAX, the text stops growing at
 * SMTP_REPLY_IN_TEXT_MAX (with a flag, so that nobody reads a cut-off
 * "SIZE 10485760" as "SIZE 10"), and numbers are parsed with explicit
 * upper limits.  A malformed line makes the reader fail for good: after
 * a broken reply the client cannot know where the next one starts, so
 * the only safe thing is to end the session.
 */
#include "sys_defs.h"
#include "smtp_reply.h"
#include "strutil.h"

void smtp_reply_start(struct smtp_reply_reader *rd)
{
    memset(rd, 0, sizeof(*rd));
}

static int reply_fail(struct smtp_reply_reader *rd, const char **why, const char *reason)
{
    rd->failed = true;
    *why = reason;
    return -1;
}

/*
 * Length of the RFC 3463 enhanced status code at the start of p (n octets)
 * when it is one of the given class, followed by a space or the end of the
 * line: class "." 1*3digit "." 1*3digit.  0 when there is none.
 */
static size_t enhanced_len(const char *p, size_t n, char class)
{
    size_t i = 0, part, digits;

    if (n < 5 || p[0] != class || p[1] != '.')
        return 0;
    i = 2;
    for (part = 0; part < 2; part++) {
        for (digits = 0; i < n && digits < 4 && isdigit((unsigned char)p[i]); digits++)
            i++;
        if (digits < 1 || digits > 3)
            return 0;
        if (part == 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
    }
    if (i < n && p[i] != ' ')
        return 0;
    return i;
}

/* Append what fits of n octets to the text; anything lost sets truncated. */
static void text_append(struct smtp_reply *r, const char *p, size_t n)
{
    size_t room = SMTP_REPLY_IN_TEXT_MAX - r->text_len;

    if (n > room) {
        n = room;
        r->truncated = true;
    }
    memcpy(r->text + r->text_len, p, n);
    r->text_len += n;
    r->text[r->text_len] = 0;
}

int smtp_reply_line(struct smtp_reply_reader *rd, const char *line, size_t len, const char **why)
{
    struct smtp_reply *r = &rd->r;
    const char *dummy;
    const char *text;
    size_t text_n, elen;
    bool last;
    int code;

    if (why == NULL)
        why = &dummy;
    if (rd->failed)
        return reply_fail(rd, why, "line after a malformed reply line");
    if (rd->done)
        return reply_fail(rd, why, "line after the end of the reply");
    if (len > SMTP_REPLY_IN_LINE_MAX)
        return reply_fail(rd, why, "reply line too long");
    /* A NUL would cut the text short in C strings; an LF would forge a line. */
    if (len > 0 && memchr(line, 0, len) != NULL)
        return reply_fail(rd, why, "NUL in reply line");
    if (len > 0 && memchr(line, '\n', len) != NULL)
        return reply_fail(rd, why, "LF in reply line");
    if (len < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
        !isdigit((unsigned char)line[2]))
        return reply_fail(rd, why, "reply does not start with three digits");
    code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
    if (code < 200 || code > 599)
        return reply_fail(rd, why, "reply code out of range");
    if (rd->started && code != r->code)
        return reply_fail(rd, why, "continuation line with a different reply code");
    if (len == 3) {
        last = true; /* "250" alone: a last line without text */
    } else if (line[3] == ' ') {
        last = true;
    } else if (line[3] == '-') {
        last = false;
    } else {
        return reply_fail(rd, why, "bad separator after the reply code");
    }
    if (r->nlines >= SMTP_REPLY_IN_LINES_MAX)
        return reply_fail(rd, why, "too many reply lines");

    text = len > 4 ? line + 4 : line + len;
    text_n = len > 4 ? len - 4 : 0;
    /*
     * RFC 2034 wants the enhanced code on every line, so it is taken off
     * every line that has one of the right class; one of another class is
     * not a status code (RFC 3463 2: class matches the reply) and stays.
     */
    if ((elen = enhanced_len(text, text_n, line[0])) > 0) {
        if (!rd->started) {
            memcpy(r->dsn, text, elen);
            r->dsn[elen] = 0;
            r->enhanced = true;
        }
        text += elen;
        text_n -= elen;
        if (text_n > 0) {
            text++; /* the space */
            text_n--;
        }
    }
    if (!rd->started) {
        r->code = code;
        if (!r->enhanced)
            snprintf(r->dsn, sizeof(r->dsn), "%c.0.0", line[0]);
        rd->started = true;
    } else {
        text_append(r, "\n", 1);
    }
    text_append(r, text, text_n);
    r->nlines++;
    if (last) {
        rd->done = true;
        return 1;
    }
    return 0;
}

/* Bounded output for smtp_reply_oneline(). */
struct out {
    char *p;
    size_t len;
    size_t pos;
};

static void out_putc(struct out *o, int c)
{
    if (o->pos + 1 < o->len) {
        o->p[o->pos++] = (char)c;
        o->p[o->pos] = 0;
    }
}

void smtp_reply_oneline(const struct smtp_reply *r, char *out, size_t len)
{
    struct out o = {out, len, 0};
    const char *s = r->text, *end = r->text + strnlen(r->text, sizeof(r->text));
    char head[32];
    size_t i, n;

    if (len == 0)
        return;
    out[0] = 0;
    snprintf(head, sizeof(head), "%d %.15s", r->code, r->dsn);
    for (i = 0; head[i]; i++)
        out_putc(&o, head[i]);
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));

        n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        /* An empty line adds nothing, not a second space. */
        if (n > 0)
            out_putc(&o, ' ');
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];

            out_putc(&o, c < 32 || c == 127 ? '?' : c);
        }
        s += n + (nl != NULL);
    }
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Is the n octets at p the keyword kw, ignoring case? */
static bool word_is(const char *p, size_t n, const char *kw)
{
    return strlen(kw) == n && strncasecmp(p, kw, n) == 0;
}

/*
 * SIZE's one argument (RFC 1870): decimal digits up to SMTP_EHLO_SIZE_MAX.
 * Anything else, or nothing, is 0: no limit known.
 */
static long long ehlo_size(const char *p, size_t n)
{
    char num[24];
    long long v;

    while (n > 0 && is_space(p[0])) {
        p++;
        n--;
    }
    while (n > 0 && is_space(p[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(num))
        return 0;
    memcpy(num, p, n);
    num[n] = 0;
    if (!isdigit((unsigned char)num[0]) || str_to_ll(num, 0, SMTP_EHLO_SIZE_MAX, &v) < 0)
        return 0;
    return v;
}

/* AUTH's mechanism list (RFC 4954): the ones the client speaks. */
static unsigned ehlo_auth(const char *p, size_t n)
{
    unsigned mechs = 0;
    size_t i = 0, start;

    while (i < n) {
        while (i < n && is_space(p[i]))
            i++;
        start = i;
        while (i < n && !is_space(p[i]))
            i++;
        if (word_is(p + start, i - start, "PLAIN"))
            mechs |= SMTP_AUTH_PLAIN;
        else if (word_is(p + start, i - start, "LOGIN"))
            mechs |= SMTP_AUTH_LOGIN;
    }
    return mechs;
}

static const struct {
    const char *keyword;
    unsigned bit;
} ehlo_keywords[] = {
    {"PIPELINING", SMTP_EXT_PIPELINING},
    {"SIZE", SMTP_EXT_SIZE},
    {"8BITMIME", SMTP_EXT_8BITMIME},
    {"SMTPUTF8", SMTP_EXT_SMTPUTF8},
    {"DSN", SMTP_EXT_DSN},
    {"CHUNKING", SMTP_EXT_CHUNKING},
    {"STARTTLS", SMTP_EXT_STARTTLS},
    {"ENHANCEDSTATUSCODES", SMTP_EXT_ENHANCEDSTATUSCODES},
    {"AUTH", SMTP_EXT_AUTH},
};

/* One EHLO line: keyword [SP params], or the old "AUTH=mech ..." form. */
static void ehlo_line(const char *p, size_t n, struct smtp_ehlo *e)
{
    size_t i = 0, kw_start, kw_n, k;
    const char *args;
    size_t args_n;
    bool auth_eq;

    while (i < n && is_space(p[i]))
        i++;
    kw_start = i;
    while (i < n && !is_space(p[i]) && p[i] != '=')
        i++;
    kw_n = i - kw_start;
    auth_eq = i < n && p[i] == '=';
    if (auth_eq && !word_is(p + kw_start, kw_n, "AUTH"))
        return; /* "SIZE=10": not a keyword we know */
    args = i < n ? p + i + 1 : p + n;
    args_n = i < n ? n - i - 1 : 0;
    for (k = 0; k < sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]); k++)
        if (word_is(p + kw_start, kw_n, ehlo_keywords[k].keyword))
            break;
    if (k == sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]))
        return;
    e->ext |= ehlo_keywords[k].bit;
    if (ehlo_keywords[k].bit == SMTP_EXT_SIZE)
        e->size_limit = ehlo_size(args, args_n);
    else if (ehlo_keywords[k].bit == SMTP_EXT_AUTH)
        e->auth_mechs |= ehlo_auth(args, args_n);
}

void smtp_ehlo_parse(const struct smtp_reply *r, struct smtp_ehlo *e)
{
    const char *s = r->text, *end = r->text + strnlen(r->text, sizeof(r->text));
    size_t lineno = 0;

    memset(e, 0, sizeof(*e));
    if (r->code / 100 != 2)
        return;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);

        /* The last line of a truncated text is partial: "SIZE 10" of "SIZE 1000". */
        if (nl == NULL && r->truncated)
            break;
        if (lineno++ > 0)
            ehlo_line(s, n, e);
        s += n + (nl != NULL);
    }
}
