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
 * the dots unstuffed.  A message over smtpd_size_limit() is refused with
 * 552 at its end; its queue file is dropped the moment it goes over, so a
 * client cannot fill the disk with what will never be queued.  The 250
 * reply is sent only after qfile_commit() has made the file and its name
 * durable.
 *
 * The recipients are written after their virtual aliases are expanded
 * (virtual.h), as Postfix's cleanup does it, so qmgr sees the real ones;
 * when that cannot be done (a table fails, a list is too large or loops)
 * DATA is answered 451 and nothing is queued.
 */
#include "sys_defs.h"
#include "smtpd.h"
#include "mail_params.h"
#include "qfile.h"
#include "qmgr_proto.h"
#include "queue.h"
#include "msg.h"
#include "strutil.h"
#include "crash_point.h"
#include "virtual.h"

static int smtpd_incoming_fd = -1;

void smtpd_data_init(void)
{
    smtpd_incoming_fd = open(QUEUE_INCOMING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (smtpd_incoming_fd < 0)
        msg_fatal("open %s/%s: %m", var_queue_dir, QUEUE_INCOMING);
}

/* Why a message is refused at its end; the first problem found wins. */
enum data_error {
    DATA_OK,
    DATA_TOO_BIG,
    DATA_BARE_LF,
    DATA_BARE_CR,
};

struct data_state {
    struct qfile_writer w;
    enum data_error error;
    long long size;   /* the client's content octets as stored */
    long long limit;  /* smtpd_size_limit() */
    bool prev_crlf;   /* the previous line ended in CR LF */
    bool in_line;     /* the next piece continues a line (after a fragment) */
    bool reject_bare; /* smtpd_forbid_bare_newline = reject */
};

static void data_error(struct data_state *d, enum data_error e)
{
    if (d->error == DATA_OK)
        d->error = e;
}

static void data_store(struct data_state *d, const unsigned char *p, size_t len, bool eol)
{
    if (d->error == DATA_TOO_BIG)
        return;
    d->size += (long long)len + eol;
    if (d->size > d->limit) {
        /* Beats every other reason.  Free the space now, not at the end. */
        d->error = DATA_TOO_BIG;
        qfile_abort(&d->w);
        return;
    }
    qfile_content_write(&d->w, p, len);
    if (eol)
        qfile_content_write(&d->w, "\n", 1);
}

/* One recipient for the queue file, with the one it came in as if aliased. */
static void data_put_rcpt(const char *address, const char *orig, void *ctx)
{
    struct data_state *d = ctx;

    qfile_put_rcpt(&d->w, address, str_eq_nocase(address, orig) ? NULL : orig, 0);
}

/*
 * The envelope, with the recipients' virtual aliases expanded (virtual.h).
 * -1 if they could not be: the message is not taken (the table may be
 * back, or fixed, when the client tries again).
 */
static int data_write_envelope(struct smtpd_state *st, struct data_state *d,
                               const struct timeval *now)
{
    struct virtual_rcpts v;
    char text[64], *err = NULL;
    size_t i;
    int ret = 0;

    snprintf(text, sizeof(text), "%lld %ld", (long long)now->tv_sec, (long)now->tv_usec);
    qfile_put(&d->w, QFILE_REC_TIME, text, strlen(text));
    qfile_put(&d->w, QFILE_REC_SENDER, st->sender, strlen(st->sender));
    qfile_put_attr(&d->w, "client_name", st->name);
    qfile_put_attr(&d->w, "client_address", st->addr);
    snprintf(text, sizeof(text), "%d", st->port);
    qfile_put_attr(&d->w, "client_port", text);
    qfile_put_attr(&d->w, "helo_name", st->helo);
    qfile_put_attr(&d->w, "protocol", smtpd_proto(st));
    virtual_rcpts_init(&v, data_put_rcpt, d);
    for (i = 0; i < st->nrcpts && ret == 0; i++)
        if ((ret = virtual_rcpts_add(&v, st->rcpts[i].address, &err)) < 0) {
            msg_warn("%s: %s", d->w.id, err);
            free(err);
        }
    virtual_rcpts_free(&v);
    return ret;
}

static void data_received(struct smtpd_state *st, struct data_state *d, time_t now)
{
    char date[80], hdr[2048], tls[256];
    struct buf rcpt;
    int n;

    str_rfc5322_date(date, sizeof(date), now);
    (void)smtpd_tls_received(st, tls, sizeof(tls));
    /* Postfix's layout: "for <rcpt>" only when there is exactly one, quoted as on the wire. */
    if (st->nrcpts == 1) {
        buf_init(&rcpt, 2 * MAIL_ADDR_TEXT_MAX + 8);
        mail_addr_quote_internal(st->rcpts[0].address, &rcpt);
        n = snprintf(hdr, sizeof(hdr),
                     "Received: from %s (%s [%s])\n%s\tby %s (%s) with %s id %s\n\tfor <%s>; %s\n",
                     st->helo[0] ? st->helo : st->name, st->name, st->addr, tls, var_myhostname,
                     var_mail_name, smtpd_proto(st), d->w.id, buf_str(&rcpt), date);
        buf_free(&rcpt);
    } else
        n = snprintf(hdr, sizeof(hdr),
                     "Received: from %s (%s [%s])\n%s\tby %s (%s) with %s id %s;\n\t%s\n",
                     st->helo[0] ? st->helo : st->name, st->name, st->addr, tls, var_myhostname,
                     var_mail_name, smtpd_proto(st), d->w.id, date);
    if (n < 0 || (size_t)n >= sizeof(hdr))
        n = 0;
    /* Ours, not the client's: not counted against the size limit (QFILE_MESSAGE_MAX has room). */
    qfile_content_write(&d->w, hdr, (size_t)n);
}

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
        if (memchr(p, '\r', len) != NULL)
            data_error(d, d->reject_bare ? DATA_BARE_CR : DATA_OK);
        /* A stuffed dot exists only at the start of a real line. */
        if (!d->in_line && len > 0 && p[0] == '.')
            p++, len--;
        if (r == 0) {
            /* A piece of a long line: stored as it is, the rest joins it. */
            data_store(d, p, len, false);
            d->in_line = true;
            continue;
        }
        if (term == STREAM_TERM_LF && d->reject_bare)
            data_error(d, DATA_BARE_LF);
        data_store(d, p, len, true);
        d->in_line = false;
        d->prev_crlf = term == STREAM_TERM_CRLF;
    }
}

static const char *data_error_reply(enum data_error e)
{
    switch (e) {
    case DATA_TOO_BIG:
        return "552 5.3.4 Error: message file too big";
    case DATA_BARE_LF:
        return "550 5.5.2 Error: bare <LF> received";
    case DATA_BARE_CR:
        return "550 5.5.2 Error: bare <CR> received";
    case DATA_OK:
        break;
    }
    return "451 4.3.0 Error: internal error";
}

/* The client went away or ran out of time: smtpd_lost() says so and ends the session. */
static void data_lost(struct smtpd_state *st, struct data_state *d, bool writing)
{
    qfile_abort(&d->w);
    st->lost = true;
    st->lost_writing = writing;
    st->lost_in_data = true;
    st->data_bytes = d->size;
    st->failed[SMTP_VERB_DATA]++; /* "data=0/1", as Postfix counts a DATA that never ended */
}

/* Refuse the message at its end; the session goes on. */
static void data_refuse(struct smtpd_state *st, struct data_state *d)
{
    struct buf from;

    qfile_abort(&d->w);
    buf_init(&from, 2 * MAIL_ADDR_TEXT_MAX + 8);
    mail_addr_quote_internal(st->sender, &from);
    msg_info("%s: reject: DATA from %s: %s; from=<%s> proto=%s helo=<%s>", d->w.id,
             smtpd_client(st), data_error_reply(d->error), buf_str(&from),
             st->esmtp ? "ESMTP" : "SMTP", st->helo);
    buf_free(&from);
    smtpd_reply(st, "%s", data_error_reply(d->error));
}

/* Make the file durable and say so, or say why not. */
static void data_commit(struct smtpd_state *st, struct data_state *d)
{
    qfile_content_end(&d->w);
    if (qfile_commit(&d->w, smtpd_incoming_fd) < 0) {
        int err = errno;

        msg_warn("%s: queue file write error: %s", d->w.id, strerror(err));
        if (err == ENOSPC || err == EDQUOT)
            smtpd_reply(st, "452 4.3.1 Insufficient system storage");
        else
            smtpd_reply(st, "451 4.3.0 Error: queue file write error");
        return;
    }
    smtpd_reply(st, "250 2.0.0 Ok: queued as %s", d->w.id);
    /* The client hears first; a lost notification costs qmgr's next scan. */
    if (stream_flush(st->client) == 0)
        CRASH_POINT(SMTPD_REPLIED);
    qmgr_notify_queued(d->w.id);
}

void smtpd_data(struct smtpd_state *st)
{
    struct data_state d;
    struct timeval now;
    const char *why;

    memset(&d, 0, sizeof(d));
    d.prev_crlf = true; /* the DATA command line itself ended the previous line */
    d.reject_bare = strcmp(var_smtpd_forbid_bare_newline, "reject") == 0;
    d.limit = smtpd_size_limit();
    gettimeofday(&now, NULL);
    if (qfile_create(&d.w, &now, &why) < 0) {
        msg_warn("create queue file in %s/%s: %s", var_queue_dir, QUEUE_INCOMING, why);
        smtpd_reply(st, "451 4.3.0 Error: queue file write error");
        return;
    }
    if (st->sasl_username)
        msg_info("%s: client=%s, sasl_method=%s, sasl_username=%s", d.w.id, smtpd_client(st),
                 st->sasl_method, st->sasl_username);
    else
        msg_info("%s: client=%s", d.w.id, smtpd_client(st));
    if (data_write_envelope(st, &d, &now) < 0) {
        qfile_abort(&d.w);
        smtpd_reply(st, "451 4.3.0 Error: virtual alias lookup failed; try again later");
        return;
    }
    qfile_content_begin(&d.w);
    data_received(st, &d, now.tv_sec);
    smtpd_reply(st, "354 End data with <CR><LF>.<CR><LF>");
    if (stream_flush(st->client) < 0) {
        data_lost(st, &d, true);
        return;
    }
    if (data_read(st, &d) < 0) {
        data_lost(st, &d, false);
        return;
    }
    if (d.error != DATA_OK)
        data_refuse(st, &d);
    else
        data_commit(st, &d);
}
