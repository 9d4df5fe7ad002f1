/*
 * smtpd_data.c - the DATA phase: from the client's dot-stuffed lines to a
 * durable queue file, and the defence against SMTP smuggling.
 *
 * The end of the message is exactly <CR><LF>.<CR><LF>: a "." line that
 * ends in CR LF and follows a line that ended in CR LF.  Nothing else ends
 * it; in particular <LF>.<LF>, <LF>.<CR><LF> and <CR><LF>.<LF> are content.
 * With smtpd_forbid_bare_newline = reject (the default) a message that holds
 * a bare LF or a bare CR anywhere is refused with 550 5.5.2 once its real
 * end arrives, so a second message hidden inside the first is never
 * accepted; with "normalize" a bare LF ends a line and the message is kept.
 *
 * Lines longer than line_length_limit are read in pieces of that length,
 * as Postfix does, and stored joined again: the message is kept intact,
 * never refused or re-wrapped for it.  A piece boundary is not a line
 * boundary: a "." after it is neither stuffing nor the end of data, and the
 * bare CR / bare LF checks see every piece (a CR at the end of a piece is
 * kept with what follows it, see stream_get_line()).
 *
 * The content is stored with LF line ends (as Maildir wants it) and with
 * the dots unstuffed, through the queue-file writer that BDAT shares
 * (smtpd_msg.c: envelope, Received:, size limit, durable commit).
 */
#include "sys_defs.h"
#include "smtpd_msg.h"
#include "mail_params.h"

struct data_state {
    struct smtpd_msg m;
    bool prev_crlf;   /* the previous line ended in CR LF */
    bool in_line;     /* the next piece continues a line (after a fragment) */
    bool reject_bare; /* smtpd_forbid_bare_newline = reject for this client */
};

/*
 * Read the content up to the real end of data.  Returns 0 at the end,
 * -1 if the client went away or timed out.
 */
static int data_read(struct smtpd_state *st, struct data_state *d)
{
    size_t max = (size_t)var_line_length_limit;
    int term, r;

    for (;;) {
        const unsigned char *p;
        size_t len;

        r = smtpd_get_line(st, max, &term);
        if (r < 0)
            return -1;
        p = st->line.data;
        len = st->line.len;
        if (!d->in_line && r == 1 && term == STREAM_TERM_CRLF && d->prev_crlf && len == 1 &&
            p[0] == '.')
            return 0;
        if (memchr(p, '\r', len) != NULL && d->reject_bare)
            smtpd_msg_error(&d->m, SMTPD_MSG_BARE_CR);
        /* A stuffed dot exists only at the start of a real line. */
        if (!d->in_line && len > 0 && p[0] == '.')
            p++, len--;
        if (r == 0) {
            /* A piece of a long line: stored as it is, the rest joins it. */
            smtpd_msg_store(&d->m, p, len, false);
            d->in_line = true;
            continue;
        }
        if (term == STREAM_TERM_LF && d->reject_bare)
            smtpd_msg_error(&d->m, SMTPD_MSG_BARE_LF);
        smtpd_msg_store(&d->m, p, len, true);
        d->in_line = false;
        d->prev_crlf = term == STREAM_TERM_CRLF;
    }
}

void smtpd_data(struct smtpd_state *st)
{
    struct data_state d;

    memset(&d, 0, sizeof(d));
    d.prev_crlf = true; /* the DATA command line itself ended the previous line */
    d.reject_bare = smtpd_bare_newline_reject(st);
    if (smtpd_msg_open(st, &d.m) < 0)
        return;
    smtpd_reply(st, "354 End data with <CR><LF>.<CR><LF>");
    if (stream_flush(st->client) < 0) {
        smtpd_msg_lost(st, &d.m, true);
        return;
    }
    if (data_read(st, &d) < 0) {
        smtpd_msg_lost(st, &d.m, false);
        return;
    }
    smtpd_msg_finish(st, &d.m);
}
