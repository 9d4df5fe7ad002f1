/*
 * smtp_mime.c - an 8-bit message for a server without 8BITMIME (see
 * smtp.h): the message is read into memory and downgraded to 7 bits with
 * quoted-printable (mime_qp.h, the one MIME parser's), as Postfix does,
 * and that copy is what goes on the wire and what SIZE announces.  With
 * disable_mime_output_conversion = yes the recipients are deferred
 * instead: RFC 6152 forbids sending 8-bit data to such a server.
 *
 * A message that says BODY=8BITMIME but holds no 8-bit octet in any body
 * goes as it is.  The copy is bounded by twice the message plus a margin:
 * quoted-printable at most triples a line's 8-bit octets, and such a
 * message gets no bigger than that in practice; a larger one defers.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_params.h"
#include "mime.h"
#include "mime_qp.h"
#include "msg.h"
#include "mymalloc.h"

/* The content of d, read whole; NULL on a read error (warned). */
static unsigned char *smtp_mime_read(const struct smtp_dest *d)
{
    unsigned char *p = xmalloc((size_t)d->q->content_len + 1);
    long long done = 0;

    while (done < d->q->content_len) {
        ssize_t n = pread(d->fd, p + done, (size_t)(d->q->content_len - done),
                          d->q->content_offset + (off_t)done);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            msg_warn("%s: read queue file content: %s", d->req->queue_id,
                     n < 0 ? strerror(errno) : "unexpected end of file");
            free(p);
            return NULL;
        }
        done += n;
    }
    return p;
}

int smtp_mime_downgrade(struct smtp_dest *d, const char **why_r)
{
    struct mime_part *root = NULL;
    const char *why = NULL;
    unsigned char *msg;
    int ret = 0;

    if (d->conv_done)
        return 0;
    if ((msg = smtp_mime_read(d)) == NULL) {
        *why_r = "cannot read the queue file";
        return -1;
    }
    (void)mime_parse(msg, (size_t)d->q->content_len, &root, &why);
    if (mime_needs_downgrade(root)) {
        if (var_disable_mime_output_conversion) {
            *why_r = "8-bit message to a server without 8BITMIME, and "
                     "disable_mime_output_conversion = yes";
            ret = -1;
        } else {
            buf_init(&d->conv, 3 * (size_t)d->q->content_len + 65536);
            if (mime_downgrade(msg, (size_t)d->q->content_len, &d->conv) < 0) {
                *why_r = "message too large to convert to 7 bits";
                buf_free(&d->conv);
                ret = -1;
            } else {
                d->converted = true;
            }
        }
    }
    d->conv_done = ret == 0;
    mime_free(root);
    free(msg);
    return ret;
}

void smtp_mime_free(struct smtp_dest *d)
{
    if (d->converted)
        buf_free(&d->conv);
    d->converted = d->conv_done = false;
}
