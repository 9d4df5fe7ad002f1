/*
 * smtp_proto.c - one SMTP session with one server (see smtp.h): reading
 * replies, sending commands, and what a reply means; smtp_helo.c does the
 * greeting, EHLO (HELO) and STARTTLS, smtp_trans.c MAIL, RCPT and DATA,
 * pipelined (RFC 2920) when the server offers it.
 *
 * What a reply means, as Postfix decides it:
 *   - a greeting or EHLO/HELO that is not 2xx, a MAIL that is 4xx, a lost
 *     connection or a timeout before any recipient was accepted: this
 *     server did not take the mail, try the next (SMTP_NEXT_SERVER);
 *   - MAIL 5xx: every recipient fails; RCPT 4xx/5xx: that recipient is
 *     deferred or fails; DATA or end-of-data 4xx/5xx: every accepted
 *     recipient is deferred or fails; end-of-data 2xx: they are sent;
 *   - a connection lost after a recipient was accepted defers the
 *     accepted ones here (the server may have the message: sending it
 *     again later may duplicate it, never lose it).
 * Reasons are Postfix's: "host mx.example.com[192.0.2.1] said: 550 5.1.1
 * ... (in reply to RCPT TO command)", "lost connection with ... while
 * sending message body", "conversation with ... timed out while ...".
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "msg.h"
#include "smtp_esmtp.h"
#include "stream_tls.h"
#include "strutil.h"
#include "tls_client.h"

/* The server's name for reasons: "host[addr]" (Postfix leaves the port out). */
const char *smtp_who(const struct smtp_session *sess, char *buf, size_t len)
{
    snprintf(buf, len, "%s[%s]", sess->host, sess->addr);
    return buf;
}

/* Why the stream failed while doing what, as Postfix says it. */
void smtp_lost(const struct smtp_session *sess, const char *doing, char *why, size_t len)
{
    char who[SMTP_PEER_MAX];

    if (sess->s->flags & STREAM_F_TIMEOUT)
        snprintf(why, len, "conversation with %s timed out while %s",
                 smtp_who(sess, who, sizeof(who)), doing);
    else
        snprintf(why, len, "lost connection with %s while %s", smtp_who(sess, who, sizeof(who)),
                 doing);
}

/* Read one reply within timeout_s; -1 with *why when the connection failed. */
int smtp_get(struct smtp_session *sess, struct smtp_reply *r, long long timeout_s,
             const char *doing, char *why, size_t len)
{
    struct smtp_reply_reader rd;
    struct buf line;
    const char *bad = NULL;
    int ret = 0, term;

    stream_set_timeout(sess->s, (int)(timeout_s * 1000));
    buf_init(&line, SMTP_REPLY_IN_LINE_MAX + 1);
    smtp_reply_start(&rd);
    while (ret == 0) {
        if ((ret = stream_get_line(sess->s, &line, SMTP_REPLY_IN_LINE_MAX, &term)) <= 0) {
            char who[SMTP_PEER_MAX];

            if (ret < 0)
                smtp_lost(sess, doing, why, len);
            else
                snprintf(why, len, "host %s sent a reply line over %d octets while %s",
                         smtp_who(sess, who, sizeof(who)), SMTP_REPLY_IN_LINE_MAX, doing);
            ret = -1;
            break;
        }
        ret = smtp_reply_line(&rd, (const char *)line.data, line.len, &bad);
        if (ret < 0) {
            char who[SMTP_PEER_MAX];

            snprintf(why, len, "host %s sent a malformed reply while %s: %s",
                     smtp_who(sess, who, sizeof(who)), doing, bad ? bad : "?");
        }
    }
    buf_free(&line);
    if (ret > 0)
        *r = rd.r;
    return ret > 0 ? 0 : -1;
}

/* "host X said: REPLY (in reply to CMD command)" */
void smtp_said(const struct smtp_session *sess, const struct smtp_reply *r, const char *cmd,
               char *why, size_t len)
{
    char who[SMTP_PEER_MAX], text[SMTP_TEXT_MAX];

    smtp_reply_oneline(r, text, sizeof(text));
    snprintf(why, len, "host %s said: %s (in reply to %s command)",
             smtp_who(sess, who, sizeof(who)), text, cmd);
}

/* Send one command line (not flushed); -1 on a failed write. */
int smtp_send(struct smtp_session *sess, const char *text, long long timeout_s)
{
    stream_set_timeout(sess->s, (int)(timeout_s * 1000));
    return stream_write(sess->s, text, strlen(text)) < 0 || stream_write(sess->s, "\r\n", 2) < 0
               ? -1
               : 0;
}

int smtp_flush(struct smtp_session *sess)
{
    return stream_flush(sess->s);
}

/* Decide every recipient still open from a reply's class. */
void smtp_fail_open(struct smtp_dest *d, struct smtp_session *sess, const struct smtp_reply *r,
                    const char *why, bool accepted_only)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (!accepted_only || d->rcpts[i]->accepted)
            smtp_rcpt_done(d, d->rcpts[i], sess->peer,
                           r->code >= 500 ? DELIVER_BOUNCED : DELIVER_DEFERRED, r->dsn, why);
}

/* Defer every recipient still open for a connection that failed after one was accepted. */
void smtp_defer_open(struct smtp_dest *d, struct smtp_session *sess, const char *why)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        smtp_rcpt_done(d, d->rcpts[i], sess->peer, DELIVER_DEFERRED, "4.4.2", why);
}

bool smtp_any_open(const struct smtp_dest *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (!d->rcpts[i]->done)
            return true;
    return false;
}

/* Note why this server did not take the mail, for when no server does. */
enum smtp_next smtp_next_server(struct smtp_dest *d, struct smtp_session *sess, const char *dsn,
                                const char *why)
{
    str_copy(d->last_reason, why, sizeof(d->last_reason));
    str_copy(d->last_dsn, dsn, sizeof(d->last_dsn));
    str_copy(d->last_relay, sess->peer, sizeof(d->last_relay));
    return SMTP_NEXT_SERVER;
}

void smtp_quit(struct smtp_session *sess)
{
    struct smtp_reply r;
    char why[SMTP_REASON_MAX];

    if (smtp_send(sess, "QUIT", var_smtp_quit_timeout) == 0 && smtp_flush(sess) == 0)
        (void)smtp_get(sess, &r, var_smtp_quit_timeout, "sending QUIT", why, sizeof(why));
}

enum smtp_next smtp_session_run(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok)
{
    enum smtp_next next;

    if ((next = smtp_helo(d, sess, tls_ok)) != SMTP_NEXT_DONE)
        return next;
    if (!smtp_any_open(d)) {
        smtp_quit(sess);
        return SMTP_NEXT_DONE;
    }
    d->xfer_ms = stream_now_ms();
    next = smtp_transaction(d, sess);
    /* A session still in step is kept for the next message (smtp_cache.c). */
    if (next == SMTP_NEXT_DONE && !sess->abandon)
        sess->keep = smtp_cache_wanted(sess);
    if (next == SMTP_NEXT_DONE && !sess->abandon && !sess->keep)
        smtp_quit(sess);
    return next;
}
