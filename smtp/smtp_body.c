/*
 * smtp_body.c - the queue file's content on the wire (see smtp.h).
 *
 * The queue keeps LF line ends; SMTP wants CRLF, a leading "." doubled
 * (RFC 5321 4.5.2), and the content ending in CRLF before the final dot.
 * A CR that does not end a line never leaves alone: it becomes a line
 * break, so that no receiver can read it as one where we did not (the
 * SMTP smuggling class of bugs); a CR LF that a local submission left in
 * the queue is one line end, not two.  The content is read in blocks with pread(),
 * so memory does not grow with the message.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "msg.h"

#define SMTP_BODY_BLOCK 65536

/* Where a block's conversion stands: at the start of a line; after a CR. */
struct smtp_body_state {
    bool bol;
    bool cr;
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
        if (st->bol && c == '.')
            out[n++] = '.';
        out[n++] = c;
        st->bol = false;
    }
    return n;
}

int smtp_body_send(struct smtp_dest *d, struct stream *s)
{
    unsigned char *block = malloc(SMTP_BODY_BLOCK), *wire = malloc(3 * SMTP_BODY_BLOCK);
    struct smtp_body_state st = {true, false};
    long long done = 0;
    int ret = 0;

    if (block == NULL || wire == NULL) {
        free(block);
        free(wire);
        return -1;
    }
    while (ret == 0 && done < d->q->content_len) {
        size_t want = (size_t)(d->q->content_len - done < SMTP_BODY_BLOCK ? d->q->content_len - done
                                                                          : SMTP_BODY_BLOCK);
        ssize_t n = pread(d->fd, block, want, d->q->content_offset + (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            msg_warn("%s: read queue file content: %s", d->req->queue_id,
                     n < 0 ? strerror(errno) : "unexpected end of file");
            ret = -1;
            break;
        }
        ret = stream_write(s, wire, smtp_body_block(block, (size_t)n, &st, wire));
        done += n;
    }
    if (ret == 0 && !st.bol)
        ret = stream_write(s, "\r\n", 2);
    free(block);
    free(wire);
    return ret < 0 ? -1 : 0;
}
