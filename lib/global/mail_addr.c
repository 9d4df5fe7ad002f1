/*
 * mail_addr.c - RFC 5321 path parser and formatter (see mail_addr.h).
 *
 * The grammar is RFC 5321 section 4.1.2; the limits are section 4.5.3.1.
 * Three liberties, all as Postfix takes them: underscores are allowed in
 * domain labels (they exist in real host names), a client may leave out
 * the angle brackets when MAIL_ADDR_ALLOW_NO_BRACKETS says so, and one
 * trailing dot after a domain name (not an address literal) is dropped.
 */
#include "sys_defs.h"
#include "mail_addr.h"
#include "strutil.h"

static bool is_atext(int c)
{
    return isalnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static bool is_ldh(int c)
{
    return isalnum(c) || c == '-' || c == '_';
}

/*
 * The length of the one UTF-8 character at p (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF), or 0 when it is not one.  The C1 controls
 * U+0080..U+009F are refused as well: an address goes into log lines and
 * headers, where a control character must never appear (RFC 6531 allows
 * UTF8-non-ascii, which includes them, but no mail system needs them).
 */
static size_t utf8_char_len(const unsigned char *p, size_t len)
{
    size_t n, i;
    unsigned cp;

    if (len == 0 || p[0] < 0xc2 || p[0] > 0xf4)
        return 0;
    n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
    if (len < n)
        return 0;
    cp = p[0] & (n == 2 ? 0x1f : n == 3 ? 0x0f : 0x07);
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
        return 0;
    return n;
}

/* Octets of the label character at d[i]: 1 for LDH, a UTF-8 length with utf8, else 0. */
static size_t label_char_len(const char *d, size_t i, size_t len, bool utf8)
{
    const unsigned char *u = (const unsigned char *)d;

    if (is_ldh(u[i]))
        return 1;
    return utf8 && u[i] >= 0x80 ? utf8_char_len(u + i, len - i) : 0;
}

static bool domain_ok(const char *d, size_t len, bool utf8)
{
    size_t i = 0, label, n;

    if (len == 0 || len > MAIL_ADDR_DOMAIN_MAX)
        return false;
    while (i < len) {
        label = i;
        if (d[i] == '-' || label_char_len(d, i, len, utf8) == 0)
            return false;
        while (i < len && (n = label_char_len(d, i, len, utf8)) > 0)
            i += n;
        if (i - label > 63 || d[i - 1] == '-')
            return false;
        if (i < len) {
            if (d[i] != '.' || i + 1 == len)
                return false;
            i++;
        }
    }
    return true;
}

bool mail_addr_domain_ok(const char *d, size_t len)
{
    return domain_ok(d, len, false);
}

/* Parse a domain or address literal at p; returns bytes used or 0. */
static size_t parse_domain(const unsigned char *p, size_t len, struct mail_addr *a, bool utf8)
{
    size_t n, dlen;

    if (len > 0 && p[0] == '[') {
        const unsigned char *close = memchr(p, ']', len);
        char lit[MAIL_ADDR_DOMAIN_MAX + 1];
        unsigned char bin[16];

        if (close == NULL)
            return 0;
        n = (size_t)(close - p) + 1;
        if (n - 2 >= sizeof(lit) || n > MAIL_ADDR_DOMAIN_MAX)
            return 0;
        /* inet_pton() stops at a NUL: "[192.0.2.1\0junk]" must not pass */
        if (memchr(p + 1, 0, n - 2) != NULL)
            return 0;
        memcpy(lit, p + 1, n - 2);
        lit[n - 2] = 0;
        if (inet_pton(AF_INET, lit, bin) != 1 &&
            !(strncasecmp(lit, "IPv6:", 5) == 0 && inet_pton(AF_INET6, lit + 5, bin) == 1))
            return 0;
        memcpy(a->domain, p, n);
        a->domain[n] = 0;
        a->literal = true;
        return n;
    }
    for (n = 0; n < len && (is_ldh(p[n]) || p[n] == '.' || (utf8 && p[n] >= 0x80)); n++)
        ;
    /*
     * "user@example.com." names the same domain in its absolute form; like
     * Postfix (trivial-rewrite), drop one trailing dot, never "..", so that
     * every caller compares and routes the usual form.
     */
    dlen = n > 1 && p[n - 1] == '.' && p[n - 2] != '.' ? n - 1 : n;
    if (!domain_ok((const char *)p, dlen, utf8))
        return 0;
    for (size_t i = 0; utf8 && i < dlen; i++)
        if (p[i] >= 0x80)
            a->utf8 = true;
    memcpy(a->domain, p, dlen);
    a->domain[dlen] = 0;
    return n;
}

/* Parse a Local-part; returns bytes used, 0 on error. */
static size_t parse_local(const unsigned char *p, size_t len, struct mail_addr *a, bool utf8,
                          const char **error_r)
{
    size_t i = 0, o = 0, n;

    if (len > 0 && p[0] == '"') {
        for (i = 1; i < len && p[i] != '"'; i++) {
            unsigned char c = p[i];

            if (c == '\\') {
                if (++i >= len || p[i] < 32 || p[i] > 126)
                    goto bad;
                c = p[i];
            } else if (utf8 && c >= 0x80 && (n = utf8_char_len(p + i, len - i)) > 0) {
                /* RFC 6531 qtextSMTP =/ UTF8-non-ascii: copied whole */
                if (o + n > MAIL_ADDR_LOCAL_MAX)
                    goto toolong;
                memcpy(a->local + o, p + i, n);
                o += n;
                i += n - 1;
                a->utf8 = true;
                continue;
            } else if (c < 32 || c > 126) {
                goto bad;
            }
            if (o >= MAIL_ADDR_LOCAL_MAX)
                goto toolong;
            a->local[o++] = (char)c;
        }
        if (i >= len || o == 0) /* "" would have no internal form */
            goto bad;
        i++; /* closing quote */
    } else {
        while (i < len) {
            size_t start = i;

            while (i < len) {
                if (is_atext(p[i]))
                    i++;
                else if (utf8 && p[i] >= 0x80 && (n = utf8_char_len(p + i, len - i)) > 0)
                    i += n, a->utf8 = true; /* RFC 6531 atext =/ UTF8-non-ascii */
                else
                    break;
            }
            if (i == start)
                goto bad; /* empty atom: leading, trailing or double dot */
            if (i < len && p[i] == '.')
                i++; /* the next atom must not be empty */
            else
                break;
        }
        if (i > MAIL_ADDR_LOCAL_MAX)
            goto toolong;
        memcpy(a->local, p, i);
        o = i;
    }
    if (i > MAIL_ADDR_LOCAL_MAX) /* the limit is on the wire form */
        goto toolong;
    a->local[o] = 0;
    return i;

toolong:
    *error_r = "local part too long";
    return 0;
bad:
    *error_r = "bad address syntax";
    return 0;
}

/* Skip an optional source route "@a,@b:"; returns bytes used or (size_t)-1. */
static size_t skip_route(const unsigned char *p, size_t len)
{
    struct mail_addr scratch;
    size_t i = 0, n;

    if (len == 0 || p[0] != '@')
        return 0;
    for (;;) {
        if (i >= len || p[i] != '@')
            return (size_t)-1;
        i++;
        if ((n = parse_domain(p + i, len - i, &scratch, false)) == 0)
            return (size_t)-1;
        i += n;
        if (i < len && p[i] == ',')
            i++;
        else if (i < len && p[i] == ':')
            return i + 1;
        else
            return (size_t)-1;
    }
}

static int parse_mailbox(const unsigned char *p, size_t len, int flags, struct mail_addr *a,
                         size_t *used_r, const char **error_r)
{
    size_t i, n;

    *error_r = "bad address syntax";
    if ((i = parse_local(p, len, a, (flags & MAIL_ADDR_ALLOW_UTF8) != 0, error_r)) == 0)
        return -1;
    if (i >= len || p[i] != '@') {
        if (((flags & MAIL_ADDR_ALLOW_POSTMASTER) && str_eq_nocase(a->local, "postmaster") &&
             p[0] != '"') ||
            (flags & MAIL_ADDR_ALLOW_LOCAL_ONLY)) {
            a->domain[0] = 0;
            *used_r = i;
            return 0;
        }
        *error_r = "address has no domain";
        return -1;
    }
    i++;
    if ((n = parse_domain(p + i, len - i, a, (flags & MAIL_ADDR_ALLOW_UTF8) != 0)) == 0) {
        *error_r = "bad domain in address";
        return -1;
    }
    *used_r = i + n;
    return 0;
}

int mail_addr_parse_path(const unsigned char *p, size_t len, int flags, struct mail_addr *a,
                         size_t *used_r, const char **error_r)
{
    size_t i = 0, n, route;

    memset(a, 0, sizeof(*a));
    if (len > 0 && p[0] != '<') {
        size_t end;

        if (!(flags & MAIL_ADDR_ALLOW_NO_BRACKETS)) {
            *error_r = "address not in <>";
            return -1;
        }
        for (end = 0; end < len && p[end] != ' '; end++)
            ;
        if (end > MAIL_ADDR_PATH_MAX - 2) {
            *error_r = "address too long";
            return -1;
        }
        if (parse_mailbox(p, end, flags, a, &n, error_r) < 0)
            return -1;
        if (n != end) {
            *error_r = "bad address syntax";
            return -1;
        }
        *used_r = n;
        return 0;
    }
    if (len < 2) {
        *error_r = "bad address syntax";
        return -1;
    }
    if (p[1] == '>') {
        if (!(flags & MAIL_ADDR_ALLOW_NULL)) {
            *error_r = "null address not allowed here";
            return -1;
        }
        a->null = true;
        *used_r = 2;
        return 0;
    }
    i = 1;
    if ((route = skip_route(p + i, len - i)) == (size_t)-1) {
        *error_r = "bad source route";
        return -1;
    }
    i += route;
    if (parse_mailbox(p + i, len - i, flags, a, &n, error_r) < 0)
        return -1;
    i += n;
    if (i >= len || p[i] != '>') {
        *error_r = "bad address syntax";
        return -1;
    }
    i++;
    if (i - route > MAIL_ADDR_PATH_MAX) {
        *error_r = "address too long";
        return -1;
    }
    *used_r = i;
    return 0;
}

int mail_addr_from_internal(const char *text, struct mail_addr *a)
{
    const char *at = strrchr(text, '@');
    size_t llen = at ? (size_t)(at - text) : strlen(text);

    memset(a, 0, sizeof(*a));
    if (*text == 0) {
        a->null = true;
        return 0;
    }
    if (llen == 0 || llen > MAIL_ADDR_LOCAL_MAX)
        return -1;
    memcpy(a->local, text, llen);
    a->local[llen] = 0;
    if (at) {
        if (strlen(at + 1) > MAIL_ADDR_DOMAIN_MAX || at[1] == 0)
            return -1;
        str_copy(a->domain, at + 1, sizeof(a->domain));
        a->literal = at[1] == '[';
    }
    /* Queue files hold what the parser accepted: 8-bit octets are its UTF-8. */
    for (; *text && !a->utf8; text++)
        a->utf8 = (unsigned char)*text >= 0x80;
    return 0;
}

void mail_addr_internal(const struct mail_addr *a, char *out, size_t len)
{
    if (a->null)
        snprintf(out, len, "%s", "");
    else if (a->domain[0])
        snprintf(out, len, "%s@%s", a->local, a->domain);
    else
        snprintf(out, len, "%s", a->local);
}

/* Does the local part need quotes to be a valid Dot-string? */
static bool local_needs_quotes(const char *s)
{
    const char *p;

    if (*s == 0 || *s == '.')
        return true;
    for (p = s; *p; p++) {
        if (*p == '.') {
            if (p[1] == '.' || p[1] == 0)
                return true;
        } else if (!is_atext((unsigned char)*p) && (unsigned char)*p < 0x80) {
            /* UTF-8 came through the parser's check (RFC 6531 atext) */
            return true;
        }
    }
    return false;
}

void mail_addr_external(const struct mail_addr *a, struct buf *out)
{
    const char *p;
    int ret = 0;

    if (a->null)
        return;
    if (local_needs_quotes(a->local)) {
        ret |= buf_putc(out, '"');
        for (p = a->local; *p; p++) {
            if (*p == '"' || *p == '\\')
                ret |= buf_putc(out, '\\');
            ret |= buf_putc(out, *p);
        }
        ret |= buf_putc(out, '"');
    } else {
        ret |= buf_puts(out, a->local);
    }
    if (a->domain[0]) {
        ret |= buf_putc(out, '@');
        ret |= buf_puts(out, a->domain);
    }
    (void)ret; /* a too-small buffer truncates; callers size it for the maximum */
}

void mail_addr_quote_internal(const char *internal, struct buf *out)
{
    struct mail_addr a;

    if (mail_addr_from_internal(internal, &a) < 0) {
        (void)buf_puts(out, internal);
        return;
    }
    mail_addr_external(&a, out);
}
