/*
 * smtp_body.c - the queue file's content on the wire (see smtp.h).
 *
 * The queue keeps LF line ends; SMTP wants CRLF, a leading "." doubled
 * (RFC 5321 4.5.2), and the content ending in CRLF before the final dot.
 * A CR that does not end a line never leaves: it becomes a line break,
 * so that no receiver can read it as one where we did not (the SMTP
 * smuggling class of bugs).  The content is read in blocks with pread(),
 * so memory does not grow with the message.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "msg.h"

#define SMTP_BODY_BLOCK 65536

/* One block's worth of output for in[0..len), with *bol saying a line starts. */
static int smtp_body_block(struct stream *s, const unsigned char *in, size_t len, bool *bol)
{
    size_t i, start = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = in[i];

        if (*bol && c == '.') {
            if (stream_write(s, in + start, i - start) < 0 || stream_write(s, ".", 1) < 0)
                return -1;
            start = i;
        }
        *bol = false;
        if (c == '\n' || c == '\r') {
            /* LF, or a CR that the queue kept: either way, one CRLF line end. */
            if (stream_write(s, in + start, i - start) < 0 || stream_write(s, "\r\n", 2) < 0)
                return -1;
            start = i + 1;
            *bol = true;
        }
    }
    return stream_write(s, in + start, len - start);
}

int smtp_body_send(struct smtp_dest *d, struct stream *s)
{
    unsigned char *block = malloc(SMTP_BODY_BLOCK);
    long long done = 0;
    bool bol = true;
    int ret = 0;

    if (block == NULL)
        return -1;
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
        ret = smtp_body_block(s, block, (size_t)n, &bol);
        done += n;
    }
    if (ret == 0 && !bol)
        ret = stream_write(s, "\r\n", 2);
    free(block);
    return ret < 0 ? -1 : 0;
}
