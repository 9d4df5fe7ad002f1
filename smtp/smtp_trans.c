/*
 * smtp_trans.c - one mail transaction (see smtp.h): MAIL FROM with the
 * message's SIZE, BODY, SMTPUTF8 and DSN parameters, one RCPT TO per open
 * recipient, DATA, the content and its final reply.  With PIPELINING the
 * commands up to DATA go out in one write and the replies are read in
 * order afterwards (RFC 2920); without it, each waits for its reply.
 *
 * Before anything is sent, what the server announced is checked against
 * the message: a message larger than its SIZE fails (5.3.4), one with
 * UTF-8 addresses to a server without SMTPUTF8 fails (5.6.7).
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "qfile.h"
#include "smtp_esmtp.h"
#include "strutil.h"

/* "MAIL FROM:<sender>" with the parameters the server and the message call for. */
static void smtp_mail_cmd(const struct smtp_dest *d, const struct smtp_session *sess,
                          struct buf *cmd)
{
    const char *body = qmsg_attr(d->q, "body"), *ret = qmsg_attr(d->q, "dsn_ret");
    const char *envid = qmsg_attr(d->q, "dsn_envid");

    buf_reset(cmd);
    (void)buf_puts(cmd, "MAIL FROM:<");
    mail_addr_quote_internal(d->q->sender, cmd);
    (void)buf_puts(cmd, ">");
    if (sess->ehlo.ext & SMTP_EXT_SIZE)
        (void)buf_printf(cmd, " SIZE=%lld", d->q->content_len);
    if ((sess->ehlo.ext & SMTP_EXT_8BITMIME) && body && strcmp(body, "8BITMIME") == 0)
        (void)buf_puts(cmd, " BODY=8BITMIME");
    if ((sess->ehlo.ext & SMTP_EXT_SMTPUTF8) && qmsg_attr(d->q, "smtputf8"))
        (void)buf_puts(cmd, " SMTPUTF8");
    if (sess->ehlo.ext & SMTP_EXT_DSN) {
        if (ret)
            (void)buf_printf(cmd, " RET=%s", ret);
        if (envid) {
            (void)buf_puts(cmd, " ENVID=");
            smtp_xtext_encode(envid, cmd);
        }
    }
}

/* "RCPT TO:<rcpt>" with NOTIFY and ORCPT when the server takes DSN. */
static void smtp_rcpt_cmd(const struct smtp_session *sess, const struct smtp_rcpt *r,
                          struct buf *cmd)
{
    static const struct {
        int bit;
        const char *name;
    } notify[] = {{QFILE_NOTIFY_SUCCESS, "SUCCESS"},
                  {QFILE_NOTIFY_FAILURE, "FAILURE"},
                  {QFILE_NOTIFY_DELAY, "DELAY"}};
    const char *sep = " NOTIFY=";
    size_t i;

    buf_reset(cmd);
    (void)buf_puts(cmd, "RCPT TO:<");
    mail_addr_quote_internal(r->req->address, cmd);
    (void)buf_puts(cmd, ">");
    if (!(sess->ehlo.ext & SMTP_EXT_DSN))
        return;
    if (r->q->notify & QFILE_NOTIFY_NEVER) {
        (void)buf_puts(cmd, " NOTIFY=NEVER");
    } else {
        for (i = 0; i < COUNTOF(notify); i++)
            if (r->q->notify & notify[i].bit) {
                (void)buf_printf(cmd, "%s%s", sep, notify[i].name);
                sep = ",";
            }
    }
    if (r->q->dsn_orcpt && strchr(r->q->dsn_orcpt, ';')) {
        const char *semi = strchr(r->q->dsn_orcpt, ';');

        (void)buf_printf(cmd, " ORCPT=%.*s;", (int)(semi - r->q->dsn_orcpt), r->q->dsn_orcpt);
        smtp_xtext_encode(semi + 1, cmd);
    }
}

/* What the server announced rules this message out: fail it; true if so. */
static bool smtp_refuse(struct smtp_dest *d, struct smtp_session *sess)
{
    char why[SMTP_REASON_MAX], who[SMTP_PEER_MAX];

    if ((sess->ehlo.ext & SMTP_EXT_SIZE) && sess->ehlo.size_limit > 0 &&
        d->q->content_len > sess->ehlo.size_limit) {
        snprintf(why, sizeof(why), "message size %lld exceeds size limit %lld of server %s",
                 d->q->content_len, sess->ehlo.size_limit, smtp_who(sess, who, sizeof(who)));
        smtp_dest_fail(d, sess->peer, DELIVER_BOUNCED, "5.3.4", why);
        return true;
    }
    if (qmsg_attr(d->q, "smtputf8") && !(sess->ehlo.ext & SMTP_EXT_SMTPUTF8)) {
        snprintf(why, sizeof(why), "SMTPUTF8 is required, but was not offered by host %s",
                 smtp_who(sess, who, sizeof(who)));
        smtp_dest_fail(d, sess->peer, DELIVER_BOUNCED, "5.6.7", why);
        return true;
    }
    return false;
}

/* The open recipients, in the order their RCPT commands go out. */
static size_t smtp_open_rcpts(struct smtp_dest *d, struct smtp_rcpt **out)
{
    size_t n = 0, i;

    for (i = 0; i < d->n; i++)
        if (!d->rcpts[i]->done) {
            d->rcpts[i]->accepted = false;
            out[n++] = d->rcpts[i];
        }
    return n;
}

/* The MAIL reply: true to go on. */
static bool smtp_mail_reply(struct smtp_dest *d, struct smtp_session *sess,
                            const struct smtp_reply *r, enum smtp_next *next)
{
    char why[SMTP_REASON_MAX];

    if (r->code / 100 == 2)
        return true;
    smtp_said(sess, r, "MAIL FROM", why, sizeof(why));
    if (r->code / 100 == 5) {
        smtp_fail_open(d, sess, r, why, false);
        *next = SMTP_NEXT_DONE;
    } else {
        *next = smtp_next_server(d, sess, r->dsn, why);
    }
    return false;
}

/* One RCPT reply: the recipient is accepted, or decided. */
static void smtp_rcpt_reply(struct smtp_dest *d, struct smtp_session *sess, struct smtp_rcpt *rc,
                            const struct smtp_reply *r)
{
    char why[SMTP_REASON_MAX];

    if (r->code / 100 == 2) {
        rc->accepted = true;
        return;
    }
    smtp_said(sess, r, "RCPT TO", why, sizeof(why));
    smtp_rcpt_done(d, rc, sess->peer, r->code >= 500 ? DELIVER_BOUNCED : DELIVER_DEFERRED, r->dsn,
                   why);
}

/* The content after 354, the final dot, and its reply. */
static enum smtp_next smtp_data(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_reply r;
    char why[SMTP_REASON_MAX], text[SMTP_TEXT_MAX];
    size_t i;

    stream_set_timeout(sess->s, (int)(var_smtp_data_xfer_timeout * 1000));
    if (smtp_body_send(d, sess->s) < 0 || stream_write(sess->s, ".\r\n", 3) < 0 ||
        smtp_flush(sess) < 0) {
        smtp_lost(sess, "sending message body", why, sizeof(why));
        smtp_defer_open(d, sess, why);
        return SMTP_NEXT_DONE;
    }
    if (smtp_get(sess, &r, var_smtp_data_done_timeout,
                 "sending end of data -- message may be sent more than once", why,
                 sizeof(why)) < 0) {
        smtp_defer_open(d, sess, why);
        return SMTP_NEXT_DONE;
    }
    if (r.code / 100 != 2) {
        smtp_said(sess, &r, "end of DATA", why, sizeof(why));
        smtp_fail_open(d, sess, &r, why, true);
        return SMTP_NEXT_DONE;
    }
    smtp_reply_oneline(&r, text, sizeof(text));
    for (i = 0; i < d->n; i++)
        if (d->rcpts[i]->accepted)
            smtp_rcpt_done(d, d->rcpts[i], sess->peer, DELIVER_SENT, r.dsn, text);
    return SMTP_NEXT_DONE;
}

enum smtp_next smtp_transaction(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_rcpt **open = xcalloc(d->n ? d->n : 1, sizeof(*open));
    bool pipe = (sess->ehlo.ext & SMTP_EXT_PIPELINING) != 0, mail_ok = true;
    enum smtp_next next = SMTP_NEXT_DONE;
    size_t n, i, accepted = 0;
    struct smtp_reply r;
    struct buf cmd;
    char why[SMTP_REASON_MAX];

    buf_init(&cmd, SMTP_REASON_MAX * 4);
    if (smtp_refuse(d, sess))
        goto out;
    n = smtp_open_rcpts(d, open);
    /* MAIL, each RCPT and DATA: all at once when pipelining, else one by one. */
    smtp_mail_cmd(d, sess, &cmd);
    if (smtp_send(sess, buf_str(&cmd), var_smtp_mail_timeout) < 0 ||
        (!pipe && smtp_flush(sess) < 0))
        goto lost_mail;
    if (!pipe) {
        if (smtp_get(sess, &r, var_smtp_mail_timeout, "sending MAIL FROM", why, sizeof(why)) < 0)
            goto lost;
        if (!smtp_mail_reply(d, sess, &r, &next))
            goto out;
    }
    for (i = 0; i < n; i++) {
        smtp_rcpt_cmd(sess, open[i], &cmd);
        if (smtp_send(sess, buf_str(&cmd), var_smtp_rcpt_timeout) < 0 ||
            (!pipe && smtp_flush(sess) < 0))
            goto lost_rcpt;
        if (!pipe) {
            if (smtp_get(sess, &r, var_smtp_rcpt_timeout, "sending RCPT TO", why, sizeof(why)) < 0)
                goto lost;
            smtp_rcpt_reply(d, sess, open[i], &r);
        }
    }
    if (pipe || smtp_any_open(d)) {
        if (smtp_send(sess, "DATA", var_smtp_data_init_timeout) < 0 || smtp_flush(sess) < 0)
            goto lost_data;
    }
    if (pipe) {
        if (smtp_get(sess, &r, var_smtp_mail_timeout, "sending MAIL FROM", why, sizeof(why)) < 0)
            goto lost;
        mail_ok = smtp_mail_reply(d, sess, &r, &next);
        for (i = 0; i < n; i++) {
            if (smtp_get(sess, &r, var_smtp_rcpt_timeout, "sending RCPT TO", why, sizeof(why)) <
                0) {
                /*
                 * After a refused MAIL the server may hang up (a 421 says it
                 * will): its reply, already noted, is the reason, and the
                 * recipients a 5xx failed stay failed.
                 */
                if (!mail_ok)
                    goto out_abandon;
                goto lost;
            }
            if (mail_ok)
                smtp_rcpt_reply(d, sess, open[i], &r);
        }
    } else if (!smtp_any_open(d)) {
        goto out;
    }
    for (i = 0; i < n; i++)
        accepted += open[i]->accepted;
    if (smtp_get(sess, &r, var_smtp_data_init_timeout, "sending DATA command", why, sizeof(why)) <
        0) {
        /* Nothing was to be sent (every recipient is decided): not a server that failed us. */
        if (!mail_ok || accepted == 0)
            goto out_abandon;
        goto lost;
    }
    if (!mail_ok || accepted == 0) {
        /* Nothing to send: a 354 the server gave anyway gets an empty message we abandon. */
        if (r.code == 354)
            goto out_abandon;
        goto out;
    }
    if (r.code != 354) {
        smtp_said(sess, &r, "DATA", why, sizeof(why));
        smtp_fail_open(d, sess, &r, why, true);
        goto out;
    }
    next = smtp_data(d, sess);
    goto out;

lost_mail:
    smtp_lost(sess, "sending MAIL FROM", why, sizeof(why));
    goto lost;
lost_rcpt:
    smtp_lost(sess, "sending RCPT TO", why, sizeof(why));
    goto lost;
lost_data:
    smtp_lost(sess, "sending DATA command", why, sizeof(why));
lost:
    /* Nothing was accepted for good yet: another server may take it all. */
    for (i = 0; i < d->n; i++)
        d->rcpts[i]->accepted = false;
    next = smtp_next_server(d, sess, "4.4.2", why);
    goto out;
out_abandon:
    /* RFC 5321 4.1.1.4 gives no way to cancel after 354 but closing the connection. */
    sess->abandon = true;
out:
    buf_free(&cmd);
    free(open);
    return next;
}
