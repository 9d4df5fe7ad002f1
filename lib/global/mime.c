/*
 * mime.c - the MIME structure parser (see mime.h).
 *
 * The message is split top-down: an entity's header is read with
 * header_scan(), its Content-Type and Content-Transfer-Encoding decide
 * whether it has children, and a multipart body is cut at its delimiter
 * lines before each part is parsed in turn.  Recursion is bounded by
 * MIME_DEPTH_MAX, the number of parts by MIME_PARTS_MAX, so no input costs
 * more than MIME_DEPTH_MAX passes over the message and MIME_PARTS_MAX
 * allocations.  Nothing here may fail on malformed input: it degrades to a
 * leaf.
 */
#include "sys_defs.h"
#include "mime.h"
#include "header.h"
#include "mymalloc.h"
#include "strutil.h"

struct mime_ctx {
    const unsigned char *msg;
    size_t len;
    size_t parts;
    const char *why; /* the first limit hit */
};

/* What a part's header says, while it is being read. */
struct mime_fields {
    struct mime_part *p;
    size_t count;
    bool seen_type, seen_cte;
    struct mime_ctx *ctx;
};

/* A cursor over one header field value (which may hold NULs). */
struct mime_lex {
    const unsigned char *s;
    size_t len, pos;
};

static bool mime_tspecial(int c)
{
    return strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* RFC 2045 token character: printable ASCII but space and tspecials. */
static bool mime_token_char(int c)
{
    return c > ' ' && c < 0x7f && !mime_tspecial(c);
}

/* Skip white space and (nested) comments; an unclosed comment ends the value. */
static void mime_skip_cfws(struct mime_lex *l)
{
    int depth = 0;

    while (l->pos < l->len) {
        unsigned char c = l->s[l->pos];

        if (depth > 0 && c == '\\' && l->pos + 1 < l->len) {
            l->pos += 2;
            continue;
        }
        if (c == '(')
            depth++;
        else if (c == ')' && depth > 0)
            depth--;
        else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return;
        l->pos++;
    }
}

/* A token into out (NUL-terminated); false if empty or longer than max. */
static bool mime_token(struct mime_lex *l, char *out, size_t max)
{
    size_t n = 0;

    mime_skip_cfws(l);
    while (l->pos < l->len && mime_token_char(l->s[l->pos])) {
        if (n == max)
            return false;
        out[n++] = (char)l->s[l->pos++];
    }
    out[n] = 0;
    return n > 0;
}

/* A parameter value: token or quoted-string; only printable ASCII is kept. */
static bool mime_value(struct mime_lex *l, char *out, size_t max)
{
    size_t n = 0;

    mime_skip_cfws(l);
    if (l->pos >= l->len || l->s[l->pos] != '"')
        return mime_token(l, out, max);
    for (l->pos++; l->pos < l->len && l->s[l->pos] != '"'; l->pos++) {
        unsigned char c = l->s[l->pos];

        if (c == '\\' && l->pos + 1 < l->len)
            c = l->s[++l->pos];
        if (c < ' ' || c >= 0x7f || n == max)
            return false;
        out[n++] = (char)c;
    }
    if (l->pos >= l->len)
        return false; /* unclosed */
    l->pos++;
    out[n] = 0;
    return true;
}

static bool mime_expect(struct mime_lex *l, int c)
{
    mime_skip_cfws(l);
    if (l->pos < l->len && l->s[l->pos] == c) {
        l->pos++;
        return true;
    }
    return false;
}

/* Skip what is left of a broken parameter: up to the next ';' outside quotes. */
static void mime_skip_param(struct mime_lex *l)
{
    bool quoted = false;

    for (; l->pos < l->len; l->pos++) {
        if (l->s[l->pos] == '"')
            quoted = !quoted;
        else if (l->s[l->pos] == ';' && !quoted)
            return;
    }
}

/* The parameters after type/subtype; only boundary and charset matter. */
static void mime_params(struct mime_lex *l, struct mime_part *p)
{
    char name[MIME_TOKEN_MAX + 1], value[MIME_BOUNDARY_MAX + 1];

    while (mime_expect(l, ';')) {
        if (!mime_token(l, name, sizeof(name) - 1) || !mime_expect(l, '=') ||
            !mime_value(l, value, sizeof(value) - 1)) {
            mime_skip_param(l);
            continue;
        }
        if (str_eq_nocase(name, "boundary") && p->boundary[0] == 0)
            str_copy(p->boundary, value, sizeof(p->boundary));
        else if (str_eq_nocase(name, "charset") && p->charset[0] == 0 &&
                 strlen(value) <= MIME_TOKEN_MAX)
            str_copy(p->charset, value, sizeof(p->charset));
    }
}

/* Content-Type (RFC 2045 5.1); a value without type/subtype keeps the default. */
static void mime_content_type(const struct header_field *f, struct mime_part *p)
{
    struct mime_lex l = {(const unsigned char *)f->value, f->value_len, 0};
    char type[MIME_TOKEN_MAX + 1], subtype[MIME_TOKEN_MAX + 1];

    if (!mime_token(&l, type, MIME_TOKEN_MAX) || !mime_expect(&l, '/') ||
        !mime_token(&l, subtype, MIME_TOKEN_MAX))
        return;
    str_lower(type);
    str_lower(subtype);
    str_copy(p->type, type, sizeof(p->type));
    str_copy(p->subtype, subtype, sizeof(p->subtype));
    mime_params(&l, p);
}

static void mime_cte(const struct header_field *f, struct mime_part *p)
{
    static const struct {
        const char *name;
        enum mime_encoding enc;
    } map[] = {
        {"7bit", MIME_ENC_7BIT},           {"8bit", MIME_ENC_8BIT},     {"binary", MIME_ENC_BINARY},
        {"quoted-printable", MIME_ENC_QP}, {"base64", MIME_ENC_BASE64},
    };
    struct mime_lex l = {(const unsigned char *)f->value, f->value_len, 0};
    char tok[MIME_TOKEN_MAX + 1];
    size_t i;

    p->encoding = MIME_ENC_OTHER;
    if (!mime_token(&l, tok, MIME_TOKEN_MAX))
        return;
    for (i = 0; i < COUNTOF(map); i++)
        if (str_eq_nocase(tok, map[i].name))
            p->encoding = map[i].enc;
}

static int mime_field(const struct header_field *f, void *ctx)
{
    struct mime_fields *mf = ctx;

    if (++mf->count > MIME_FIELDS_MAX) {
        if (mf->ctx->why == NULL)
            mf->ctx->why = "too many header fields in a MIME part";
        return 0; /* read on to the end of the header, interpreting nothing */
    }
    if (!mf->seen_type && header_is(f, "content-type")) {
        mf->seen_type = true;
        mime_content_type(f, mf->p);
    } else if (!mf->seen_cte && header_is(f, "content-transfer-encoding")) {
        mf->seen_cte = true;
        mime_cte(f, mf->p);
    }
    return 0;
}

/* Count lines and look for 8-bit octets in msg[start..end). */
static void mime_body_stats(struct mime_ctx *ctx, struct mime_part *p)
{
    size_t i;

    for (i = p->body_start; i < p->body_end; i++) {
        if (ctx->msg[i] == '\n')
            p->body_lines++;
        else if (ctx->msg[i] >= 0x80)
            p->has_8bit = true;
    }
    if (p->body_end > p->body_start && ctx->msg[p->body_end - 1] != '\n')
        p->body_lines++;
}

static bool mime_has_8bit(const unsigned char *s, size_t start, size_t end)
{
    for (; start < end; start++)
        if (s[start] >= 0x80)
            return true;
    return false;
}

static struct mime_part *mime_entity(struct mime_ctx *ctx, size_t start, size_t end, int depth,
                                     bool digest);

/*
 * Is the line at msg[pos..eol) a delimiter line for boundary?  "--"
 * boundary, "--" too for the closing one, then only white space (RFC 2046
 * 5.1.1 transport padding).  *close_r says which.
 */
static bool mime_delimiter(const unsigned char *s, size_t n, const char *boundary, bool *close_r)
{
    size_t blen = strlen(boundary), i;

    if (n < blen + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, boundary, blen) != 0)
        return false;
    i = blen + 2;
    *close_r = n - i >= 2 && s[i] == '-' && s[i + 1] == '-';
    if (*close_r)
        i += 2;
    for (; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* One line from pos within end: its length without the LF, and where the next starts. */
static size_t mime_line(const unsigned char *msg, size_t pos, size_t end, size_t *next_r)
{
    const unsigned char *lf = memchr(msg + pos, '\n', end - pos);
    size_t n = lf ? (size_t)(lf - (msg + pos)) : end - pos;

    *next_r = lf ? pos + n + 1 : end;
    return n;
}

/* The line end before a delimiter line at pos belongs to the delimiter (RFC 2046 5.1.1). */
static size_t mime_part_end(const unsigned char *msg, size_t part_start, size_t pos)
{
    if (pos > part_start && msg[pos - 1] == '\n')
        pos--;
    if (pos > part_start && msg[pos - 1] == '\r')
        pos--;
    return pos;
}

/* Append a child for msg[start..end) unless the parts limit is reached. */
static bool mime_add_child(struct mime_ctx *ctx, struct mime_part *p, struct mime_part ***tail,
                           size_t start, size_t end, int depth)
{
    if (ctx->parts >= MIME_PARTS_MAX) {
        if (ctx->why == NULL)
            ctx->why = "too many MIME parts";
        return false;
    }
    **tail = mime_entity(ctx, start, end, depth + 1, strcmp(p->subtype, "digest") == 0);
    *tail = &(**tail)->next;
    return true;
}

/*
 * Cut a multipart body at its delimiter lines.  Whatever is not inside a
 * part (preamble, delimiter lines, epilogue, and the rest of the body when
 * the parts limit stops the split) stays with the multipart itself.
 */
static void mime_split(struct mime_ctx *ctx, struct mime_part *p, int depth)
{
    struct mime_part **tail = &p->children;
    size_t pos = p->body_start, next, part_start = 0, gap_start = p->body_start;
    bool in_part = false, close;

    while (pos < p->body_end) {
        size_t n = mime_line(ctx->msg, pos, p->body_end, &next);

        if (mime_delimiter(ctx->msg + pos, n, p->boundary, &close)) {
            if (in_part) {
                size_t e = mime_part_end(ctx->msg, part_start, pos);

                if (!mime_add_child(ctx, p, &tail, part_start, e, depth)) {
                    p->gap_8bit |= mime_has_8bit(ctx->msg, part_start, p->body_end);
                    return;
                }
                gap_start = e;
            }
            p->gap_8bit |= mime_has_8bit(ctx->msg, gap_start, pos);
            gap_start = next;
            in_part = !close;
            part_start = next;
            if (close)
                break;
        }
        pos = next;
    }
    if (in_part) { /* no closing delimiter: the last part runs to the end */
        if (!mime_add_child(ctx, p, &tail, part_start, p->body_end, depth))
            p->gap_8bit |= mime_has_8bit(ctx->msg, part_start, p->body_end);
        return;
    }
    p->gap_8bit |= mime_has_8bit(ctx->msg, gap_start, p->body_end);
}

/* Read the header of msg[start..end), then descend if it is composite. */
static struct mime_part *mime_entity(struct mime_ctx *ctx, size_t start, size_t end, int depth,
                                     bool digest)
{
    struct mime_part *p = xcalloc(1, sizeof(*p));
    struct mime_fields mf = {p, 0, false, false, ctx};
    size_t body;

    ctx->parts++;
    str_copy(p->type, digest ? "message" : "text", sizeof(p->type));
    str_copy(p->subtype, digest ? "rfc822" : "plain", sizeof(p->subtype));
    p->encoding = MIME_ENC_7BIT;
    (void)header_scan(ctx->msg + start, end - start, mime_field, &mf, &body);
    p->header_start = start;
    p->body_start = start + body;
    p->body_end = end;
    mime_body_stats(ctx, p);
    /* An encoded composite is against RFC 2045 6.4: its boundaries cannot be trusted. */
    if (!mime_encoding_is_identity(p->encoding))
        return p;
    if (depth >= MIME_DEPTH_MAX) {
        if (ctx->why == NULL &&
            (strcmp(p->type, "multipart") == 0 || strcmp(p->type, "message") == 0))
            ctx->why = "MIME nesting too deep";
        return p;
    }
    if (strcmp(p->type, "multipart") == 0 && p->boundary[0] != 0)
        mime_split(ctx, p, depth);
    else if (strcmp(p->type, "message") == 0 && strcmp(p->subtype, "rfc822") == 0) {
        struct mime_part **tail = &p->children;

        (void)mime_add_child(ctx, p, &tail, p->body_start, p->body_end, depth);
    }
    return p;
}

int mime_parse(const unsigned char *msg, size_t len, struct mime_part **root_r, const char **why_r)
{
    static const unsigned char empty[1];
    struct mime_ctx ctx = {msg ? msg : empty, msg ? len : 0, 0, NULL};

    *root_r = mime_entity(&ctx, 0, len, 0, false);
    if (why_r)
        *why_r = ctx.why;
    return ctx.why ? 1 : 0;
}

void mime_free(struct mime_part *p)
{
    while (p) {
        struct mime_part *next = p->next;

        mime_free(p->children);
        free(p);
        p = next;
    }
}

bool mime_encoding_is_identity(enum mime_encoding enc)
{
    return enc == MIME_ENC_7BIT || enc == MIME_ENC_8BIT || enc == MIME_ENC_BINARY;
}
