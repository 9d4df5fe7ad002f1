/*
 * smtp_body.c - the queue file's content on the wire (see smtp.h).
 *
 * The queue keeps LF line ends; SMTP wants CRLF, a leading "." doubled
 * (RFC 5321 4.5.2), and the content ending in CRLF before the final dot.
 * A CR that does not end a line never leaves alone: it becomes a line
 * break, so that no receiver can read it as one where we did not (the
 * SMTP smuggling class of bugs); a CR LF that a local submission left in
 * the queue is one line end, not two.  The content is read in blocks with
 * pread(), so memory does not grow with the message; with CHUNKING (RFC
 * 3030) each block goes as one BDAT chunk, not dot-stuffed.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_params.h"
#include "msg.h"

#define SMTP_BODY_BLOCK 65536

/* Where a block's conversion stands: at the start of a line; after a CR; dot-stuffing. */
struct smtp_body_state {
    bool bol;
    bool cr;
    bool stuff; /* DATA: a leading "." doubled; BDAT sends it as it is (RFC 3030) */
};

/*
 * in[0..len) on the wire into out (room for 3 * len octets: a "." at the
 * start of a line becomes two, a line end CR LF): LF, CR LF and a lone CR
 * each end one line.  Returns the octets made.
 */
static size_t smtp_body_block(const unsigned char *in, size_t len, struct smtp_body_state *st,
                              unsigned char *out)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = in[i];

        if (st->cr) {
            st->cr = false;
            if (c == '\n')
                continue; /* the CR of CR LF already ended the line */
        }
        if (c == '\n' || c == '\r') {
            out[n++] = '\r';
            out[n++] = '\n';
            st->bol = true;
            st->cr = c == '\r';
            continue;
        }
        if (st->bol && c == '.' && st->stuff)
            out[n++] = '.';
        out[n++] = c;
        st->bol = false;
    }
    return n;
}

/* want octets of the content from offset done: the queue file's, or the 7-bit copy. */
static ssize_t smtp_body_read(struct smtp_dest *d, unsigned char *block, size_t want,
                              long long done)
{
    if (want == 0)
        return 0;
    if (d->converted) {
        memcpy(block, d->conv.data + done, want);
        return (ssize_t)want;
    }
    return pread(d->fd, block, want, d->q->content_offset + (off_t)done);
}

/* What to do with each converted block; -1 stops the walk. */
typedef int (*smtp_body_fn)(void *ctx, const unsigned char *wire, size_t len, bool last);

/*
 * Convert the content block by block (dot-stuffed when stuff is set) and
 * hand each block to fn; the last one (last set) ends with a line end.
 */
static int smtp_body_walk(struct smtp_dest *d, bool stuff, smtp_body_fn fn, void *ctx)
{
    unsigned char *block = malloc(SMTP_BODY_BLOCK), *wire = malloc(3 * SMTP_BODY_BLOCK + 2);
    struct smtp_body_state st = {true, false, stuff};
    long long done = 0, total = d->converted ? (long long)d->conv.len : d->q->content_len;
    int ret = 0;

    if (block == NULL || wire == NULL) {
        free(block);
        free(wire);
        return -1;
    }
    while (ret == 0 && (done < total || done == 0)) {
        long long left = total - done;
        size_t want = (size_t)(left < SMTP_BODY_BLOCK ? left : SMTP_BODY_BLOCK), len;
        ssize_t n = smtp_body_read(d, block, want, done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n == 0 && want > 0)) {
            msg_warn("%s: read queue file content: %s", d->req->queue_id,
                     n < 0 ? strerror(errno) : "unexpected end of file");
            ret = -1;
            break;
        }
        len = smtp_body_block(block, (size_t)n, &st, wire);
        done += n;
        if (done >= total && !st.bol) {
            wire[len++] = '\r';
            wire[len++] = '\n';
        }
        ret = fn(ctx, wire, len, done >= total);
        if (want == 0)
            break;
    }
    free(block);
    free(wire);
    return ret < 0 ? -1 : 0;
}

static int smtp_body_write(void *ctx, const unsigned char *wire, size_t len, bool last)
{
    (void)last;
    return stream_write(ctx, wire, len);
}

int smtp_body_send(struct smtp_dest *d, struct stream *s)
{
    return smtp_body_walk(d, true, smtp_body_write, s);
}

/* BDAT: one chunk per block, each answered before the next goes. */
struct smtp_bdat {
    struct smtp_session *sess;
    struct smtp_reply *r;
    char *why;
    size_t len;
    int result; /* 0: every chunk taken; 1: a chunk refused (in *r); -1: lost (why) */
};

static int smtp_body_chunk(void *ctx, const unsigned char *wire, size_t len, bool last)
{
    struct smtp_bdat *b = ctx;
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "BDAT %zu%s", len, last ? " LAST" : "");
    if (smtp_send(b->sess, cmd, var_smtp_data_xfer_timeout) < 0 ||
        stream_write(b->sess->s, wire, len) < 0 || smtp_flush(b->sess) < 0) {
        smtp_lost(b->sess, "sending message body", b->why, b->len);
        b->result = -1;
        return -1;
    }
    if (smtp_get(b->sess, b->r, last ? var_smtp_data_done_timeout : var_smtp_data_xfer_timeout,
                 last ? "sending end of data -- message may be sent more than once"
                      : "sending message body",
                 b->why, b->len) < 0) {
        b->result = -1;
        return -1;
    }
    if (b->r->code / 100 != 2) {
        b->result = 1;
        return -1;
    }
    return 0;
}

int smtp_body_bdat(struct smtp_dest *d, struct smtp_session *sess, struct smtp_reply *r, char *why,
                   size_t len)
{
    struct smtp_bdat b = {sess, r, why, len, 0};

    if (smtp_body_walk(d, false, smtp_body_chunk, &b) < 0 && b.result == 0) {
        snprintf(why, len, "cannot read the queue file");
        return -1;
    }
    return b.result;
}
