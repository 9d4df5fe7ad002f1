/*
 * mime_qp.c - the 8BITMIME downgrade (see mime_qp.h).
 *
 * The message is copied front to back, walking the tree from mime_parse():
 * a part that needs no change is copied whole, a leaf that does gets a new
 * header and a quoted-printable body, and a composite gets (at most) its
 * Content-Transfer-Encoding relabelled before its children are walked.  The
 * walk recurses no deeper than the tree, which MIME_DEPTH_MAX bounds.
 *
 * The encoder never starts an encoded line with "--" (it writes the first
 * '-' as =2D), so no line of a converted body can become a delimiter of an
 * enclosing multipart, even when soft line breaks cut a long line where the
 * original had none.
 */
#include "sys_defs.h"
#include "mime_qp.h"
#include "header.h"

struct mime_dg {
    const unsigned char *msg;
    size_t len;
    const char *eol; /* the message's own: LF or CR LF */
    struct buf *out;
    int err;
};

static void mime_dg_copy(struct mime_dg *dg, size_t start, size_t end)
{
    if (end > start && buf_append(dg->out, dg->msg + start, end - start) < 0)
        dg->err = -1;
}

static void mime_dg_puts(struct mime_dg *dg, const char *s)
{
    if (buf_puts(dg->out, s) < 0)
        dg->err = -1;
}

/* Must this octet be written =XX?  The last one of a line too if it is white space. */
static bool mime_qp_escape(unsigned char c, bool last)
{
    if (c == ' ' || c == '\t')
        return last;
    return c < 33 || c > 126 || c == '=';
}

/* One line without its line end; soft breaks keep every line <= MIME_QP_LINE_MAX. */
static int mime_qp_line(const unsigned char *s, size_t n, const char *eol, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, col = 0;

    for (i = 0; i < n; i++) {
        bool last = i + 1 == n, esc = mime_qp_escape(s[i], last);
        size_t w = esc ? 3 : 1;
        char tok[4];

        /* Room for the soft break's '=' unless this is the line's last token. */
        if (col + w > (last ? MIME_QP_LINE_MAX : MIME_QP_LINE_MAX - 1)) {
            if (buf_putc(out, '=') < 0 || buf_puts(out, eol) < 0)
                return -1;
            col = 0;
        }
        if (col == 0 && s[i] == '-' && i + 1 < n && s[i + 1] == '-')
            esc = true, w = 3;
        tok[0] = (char)s[i];
        if (esc) {
            tok[0] = '=';
            tok[1] = hex[s[i] >> 4];
            tok[2] = hex[s[i] & 15];
        }
        if (buf_append(out, tok, w) < 0)
            return -1;
        col += w;
    }
    return 0;
}

int mime_qp_encode(const unsigned char *data, size_t len, const char *eol, struct buf *out)
{
    size_t pos = 0;

    while (pos < len) {
        const unsigned char *lf = memchr(data + pos, '\n', len - pos);
        size_t n = lf ? (size_t)(lf - (data + pos)) : len - pos, end = n;
        /* With LF line ends (the queue's), a CR before the LF is data: =0D. */
        bool crlf = lf && n > 0 && data[pos + n - 1] == '\r' && eol[0] == '\r';

        if (crlf)
            n--;
        if (mime_qp_line(data + pos, n, eol, out) < 0)
            return -1;
        if (lf && buf_puts(out, crlf ? "\r\n" : "\n") < 0)
            return -1;
        pos += end + (lf ? 1 : 0);
    }
    return 0;
}

/* The new header of a part: its fields kept as they were, but Content-Transfer-Encoding. */
struct mime_hdr {
    struct mime_dg *dg;
    size_t base, last_end;
    bool mime_version, keep_cte;
};

static int mime_hdr_field(const struct header_field *f, void *ctx)
{
    struct mime_hdr *h = ctx;

    if (header_is(f, "mime-version"))
        h->mime_version = true;
    if (h->keep_cte || !header_is(f, "content-transfer-encoding"))
        mime_dg_copy(h->dg, h->base + f->offset, h->base + f->end);
    h->last_end = f->end;
    return 0;
}

/*
 * Copy p's header with cte as its Content-Transfer-Encoding (NULL: keep
 * the one it has).  A header that the body followed without an empty line
 * gets one, or what is added below (a child's new fields, when p's body
 * starts with it) would become part of this header.
 */
static void mime_dg_header(struct mime_dg *dg, const struct mime_part *p, const char *cte,
                           bool message)
{
    struct mime_hdr h = {dg, p->header_start, 0, false, cte == NULL};

    (void)header_scan(dg->msg + p->header_start, p->body_start - p->header_start, mime_hdr_field,
                      &h, NULL);
    if (h.last_end > 0 && dg->msg[p->header_start + h.last_end - 1] != '\n')
        mime_dg_puts(dg, dg->eol); /* the header ended the text, unterminated */
    /* A Content-Transfer-Encoding is MIME only below a MIME-Version (RFC 2045 4). */
    if (cte && message && !h.mime_version) {
        mime_dg_puts(dg, "MIME-Version: 1.0");
        mime_dg_puts(dg, dg->eol);
    }
    if (cte) {
        mime_dg_puts(dg, "Content-Transfer-Encoding: ");
        mime_dg_puts(dg, cte);
        mime_dg_puts(dg, dg->eol);
    }
    if (p->header_start + h.last_end < p->body_start)
        mime_dg_copy(dg, p->header_start + h.last_end, p->body_start); /* the empty line */
    else
        mime_dg_puts(dg, dg->eol); /* the body began with a line that was not a field */
}

/* Text outside the parts of a multipart: lines with 8-bit octets are encoded. */
static void mime_dg_gap(struct mime_dg *dg, size_t start, size_t end)
{
    while (start < end && dg->err == 0) {
        const unsigned char *lf = memchr(dg->msg + start, '\n', end - start);
        size_t next = lf ? (size_t)(lf - dg->msg) + 1 : end, i;
        bool high = false;

        for (i = start; i < next && !high; i++)
            high = dg->msg[i] >= 0x80;
        if (!high)
            mime_dg_copy(dg, start, next);
        else if (mime_qp_encode(dg->msg + start, next - start, dg->eol, dg->out) < 0)
            dg->err = -1;
        start = next;
    }
}

bool mime_needs_downgrade(const struct mime_part *root)
{
    const struct mime_part *c;

    if (!root->has_8bit || !mime_encoding_is_identity(root->encoding))
        return false;
    if (root->children == NULL || root->gap_8bit)
        return true;
    for (c = root->children; c; c = c->next)
        if (mime_needs_downgrade(c))
            return true;
    return false;
}

static void mime_dg_part(struct mime_dg *dg, const struct mime_part *p, bool message);

/* A composite: relabel 8bit/binary as 7bit, then walk the children. */
static void mime_dg_composite(struct mime_dg *dg, const struct mime_part *p)
{
    const struct mime_part *c;
    size_t pos = p->body_start;

    mime_dg_header(dg, p, p->encoding == MIME_ENC_7BIT ? NULL : "7bit", false);
    if (strcmp(p->type, "message") == 0) {
        mime_dg_part(dg, p->children, true);
        mime_dg_copy(dg, p->children->body_end, p->body_end);
        return;
    }
    for (c = p->children; c; c = c->next) {
        mime_dg_gap(dg, pos, c->header_start);
        mime_dg_part(dg, c, false);
        pos = c->body_end;
    }
    mime_dg_gap(dg, pos, p->body_end);
}

/* Emit msg[p->header_start..p->body_end), converted where it must be. */
static void mime_dg_part(struct mime_dg *dg, const struct mime_part *p, bool message)
{
    if (dg->err)
        return;
    if (!mime_needs_downgrade(p)) {
        mime_dg_copy(dg, p->header_start, p->body_end);
    } else if (p->children) {
        mime_dg_composite(dg, p);
    } else {
        mime_dg_header(dg, p, "quoted-printable", message);
        if (dg->err == 0 && mime_qp_encode(dg->msg + p->body_start, p->body_end - p->body_start,
                                           dg->eol, dg->out) < 0)
            dg->err = -1;
    }
}

int mime_downgrade(const unsigned char *msg, size_t len, struct buf *out)
{
    static const unsigned char empty[1];
    struct mime_dg dg = {msg ? msg : empty, msg ? len : 0, "\n", out, 0};
    const unsigned char *lf = memchr(dg.msg, '\n', dg.len);
    struct mime_part *root;

    if (lf && lf > msg && lf[-1] == '\r')
        dg.eol = "\r\n";
    (void)mime_parse(dg.msg, dg.len, &root, NULL);
    mime_dg_part(&dg, root, true);
    mime_dg_copy(&dg, root->body_end, dg.len);
    mime_free(root);
    return dg.err;
}
