/*
 * submit.c - a local submission's input and header edits (see submit.h).
 */
#include "sys_defs.h"
#include "submit.h"
#include "mail_addr.h"
#include "strutil.h"

/* Input ------------------------------------------------------------------ */

void submit_input_init(struct submit_input *in, long long limit, bool dot_ends)
{
    memset(in, 0, sizeof(*in));
    in->limit = limit;
    /* Room for what a header edit may take away (Bcc:), checked again after it. */
    buf_init(&in->text, (size_t)limit + SUBMIT_INPUT_SLACK);
    in->dot_ends = dot_ends;
    in->at_start = true;
}

void submit_input_free(struct submit_input *in)
{
    buf_free(&in->text);
}

/* Is this line a "From " line, or one of the ">From " lines UUCP made of it? */
static bool from_line(const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n && p[i] == '>')
        i++;
    return n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/*
 * The line from in->line_start to the end of in->text is complete (its
 * LF, if it has one, is not in the text yet).  Returns 1 at the "." line.
 */
static int finish_line(struct submit_input *in)
{
    unsigned char *line = in->text.data + in->line_start;
    size_t n = in->text.len - in->line_start;

    while (n > 0 && line[n - 1] == '\r')
        n--;
    buf_truncate(&in->text, in->line_start + n);
    if (in->dot_ends && n == 1 && line[0] == '.') {
        buf_truncate(&in->text, in->line_start);
        in->done = true;
        return 1;
    }
    if (in->at_start && from_line(line, n)) {
        buf_truncate(&in->text, in->line_start);
        return 0;
    }
    in->at_start = false;
    if (buf_putc(&in->text, '\n') < 0)
        return -1;
    in->line_start = in->text.len;
    return 0;
}

int submit_input_feed(struct submit_input *in, const unsigned char *p, size_t n)
{
    while (n > 0 && !in->done) {
        const unsigned char *lf = memchr(p, '\n', n);
        size_t take = lf ? (size_t)(lf - p) : n;
        int r;

        if (buf_append(&in->text, p, take) < 0)
            return -1;
        p += take + (lf != NULL);
        n -= take + (lf != NULL);
        if (lf && (r = finish_line(in)) != 0)
            return r;
        if ((long long)in->text.len > in->limit + SUBMIT_INPUT_SLACK)
            return -1;
    }
    return in->done ? 1 : 0;
}

int submit_input_end(struct submit_input *in)
{
    if (!in->done && in->line_start < in->text.len && finish_line(in) < 0)
        return -1;
    return 0;
}

/* Headers ---------------------------------------------------------------- */

#define SEEN_FROM 0x1
#define SEEN_DATE 0x2
#define SEEN_MSGID 0x4
#define SEEN_RESENT(bit) ((bit) << 4)

struct edit {
    const unsigned char *text;
    size_t len;
    const struct submit_opts *o;
    struct submit_msg *m;
    struct addr_list resent; /* from Resent-To:, Resent-Cc:, Resent-Bcc: */
    bool resent_rcpt;        /* there was such a field */
    bool resending;          /* there was any Resent- field */
    unsigned seen;
    size_t hdr_end; /* just past the last field */
    const char *error;
};

/* Fields that never go into the queue from here, as in Postfix's cleanup. */
static bool dropped(const struct header_field *f)
{
    return header_is(f, "Bcc") || header_is(f, "Resent-Bcc") || header_is(f, "Return-Path") ||
           header_is(f, "Content-Length");
}

static unsigned seen_bit(const char *name)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {
        {"From", SEEN_FROM},
        {"Date", SEEN_DATE},
        {"Message-ID", SEEN_MSGID},
    };
    bool resent = str_prefix_nocase(name, "Resent-");
    size_t i;

    for (i = 0; i < COUNTOF(names); i++)
        if (str_eq_nocase(name + (resent ? 7 : 0), names[i].name))
            return resent ? SEEN_RESENT(names[i].bit) : names[i].bit;
    return 0;
}

/* With -t: the addresses of a To:, Cc: or Bcc: field (or a Resent- one). */
static int extract(struct edit *e, const struct header_field *f)
{
    bool resent = str_prefix_nocase(f->name, "Resent-");
    const char *base = f->name + (resent ? 7 : 0);
    const char *why;

    if (!str_eq_nocase(base, "To") && !str_eq_nocase(base, "Cc") && !str_eq_nocase(base, "Bcc"))
        return 0;
    if (resent)
        e->resent_rcpt = true;
    /* header.h cuts a longer field: its recipients would be lost without a word. */
    if (f->value_len >= HEADER_FIELD_MAX)
        why = "header too long to read its recipients";
    else if (addr_list_parse((const unsigned char *)f->value, f->value_len,
                             resent ? &e->resent : &e->m->rcpts, &why) == 0)
        return 0;
    str_copy(e->m->bad_header, f->name, sizeof(e->m->bad_header));
    e->error = why;
    return 1;
}

static int edit_field(const struct header_field *f, void *ctx)
{
    struct edit *e = ctx;
    struct buf *h = &e->m->header;

    e->hdr_end = f->end;
    if (str_prefix_nocase(f->name, "Resent-"))
        e->resending = true;
    e->seen |= seen_bit(f->name);
    if (e->o->extract && extract(e, f))
        return 1;
    if (dropped(f))
        return 0;
    if (buf_append(h, e->text + f->offset, f->end - f->offset) < 0 ||
        (f->end == e->len && e->text[f->end - 1] != '\n' && buf_putc(h, '\n') < 0)) {
        e->error = "header section too large";
        return 1;
    }
    return 0;
}

void submit_phrase(const char *name, struct buf *out)
{
    char clean[SUBMIT_NAME_MAX + 1];
    size_t n = 0, i;
    bool plain = true;

    for (; *name && n < SUBMIT_NAME_MAX; name++) {
        unsigned char c = (unsigned char)*name;

        /* A newline here would start a header of the user's choosing. */
        clean[n++] = c < ' ' || c == 127 ? ' ' : (char)c;
    }
    while (n > 0 && clean[n - 1] == ' ')
        n--;
    clean[n] = 0;
    for (i = 0; clean[i] == ' '; i++)
        ;
    for (size_t j = i; j < n; j++)
        if (!(isalnum((unsigned char)clean[j]) || clean[j] == ' ' ||
              strchr("!#$%&'*+-/=?^_`{|}~", clean[j]) || (unsigned char)clean[j] >= 0x80))
            plain = false;
    if (plain) {
        (void)buf_puts(out, clean + i);
        return;
    }
    (void)buf_putc(out, '"');
    for (; i < n; i++) {
        if (clean[i] == '"' || clean[i] == '\\')
            (void)buf_putc(out, '\\');
        (void)buf_putc(out, clean[i]);
    }
    (void)buf_putc(out, '"');
}

static void add_from(const struct edit *e, const char *prefix, struct buf *h)
{
    const struct submit_opts *o = e->o;
    bool named = o->full_name && *o->full_name && *o->sender;
    size_t mark;

    (void)buf_printf(h, "%sFrom: ", prefix);
    if (*o->sender == 0) {
        (void)buf_puts(h, "MAILER-DAEMON\n");
        return;
    }
    mark = h->len;
    if (named)
        submit_phrase(o->full_name, h);
    if (named && h->len == mark)
        named = false; /* nothing left of the name */
    (void)buf_puts(h, named ? " <" : "");
    mail_addr_quote_internal(o->sender, h);
    (void)buf_puts(h, named ? ">\n" : "\n");
}

/* Message-Id:, Date: and From:, each where missing, in Postfix's order. */
static void add_missing(const struct edit *e, struct buf *h)
{
    const struct submit_opts *o = e->o;
    const char *prefix = e->resending ? "Resent-" : "";
    unsigned seen = e->resending ? e->seen >> 4 : e->seen;
    char stamp[32], date[80];
    struct tm tm;
    time_t t = o->now.tv_sec;

    if (!(seen & SEEN_MSGID)) {
        (void)gmtime_r(&t, &tm);
        (void)strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
        (void)buf_printf(h, "%sMessage-Id: <%s.%ld.%06ld.%lu@%s>\n", prefix, stamp, o->pid,
                         (long)o->now.tv_usec, o->seq, o->hostname);
    }
    if (!(seen & SEEN_DATE)) {
        str_rfc5322_date(date, sizeof(date), t);
        (void)buf_printf(h, "%sDate: %s\n", prefix, date);
    }
    if (!(seen & SEEN_FROM))
        add_from(e, prefix, h);
}

int submit_headers(const unsigned char *text, size_t len, const struct submit_opts *o,
                   struct submit_msg *m, const char **error_r)
{
    struct edit e = {.text = text, .len = len, .o = o, .m = m};
    size_t body = 0;

    memset(m, 0, sizeof(*m));
    addr_list_init(&m->rcpts, SUBMIT_RCPT_MAX);
    addr_list_init(&e.resent, SUBMIT_RCPT_MAX);
    buf_init(&m->header, len + 4096); /* what the fields kept need, and the ones added */
    (void)header_scan(text, len, edit_field, &e, &body);
    if (e.error) {
        addr_list_free(&e.resent);
        *error_r = e.error;
        return -1;
    }
    if (e.resent_rcpt) {
        addr_list_free(&m->rcpts);
        m->rcpts = e.resent;
    } else {
        addr_list_free(&e.resent);
    }
    add_missing(&e, &m->header);
    /* The empty line that ends the header section, if it had one or a body follows. */
    if (body > e.hdr_end || body < len)
        (void)buf_putc(&m->header, '\n');
    m->body = body;
    return 0;
}

void submit_msg_free(struct submit_msg *m)
{
    buf_free(&m->header);
    addr_list_free(&m->rcpts);
}
