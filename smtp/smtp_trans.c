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

/* What goes out: the 7-bit copy when there is one. */
static long long smtp_content_size(const struct smtp_dest *d)
{
    return d->converted ? (long long)d->conv.len : d->q->content_len;
}

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
        (void)buf_printf(cmd, " SIZE=%lld", smtp_content_size(d));
    if ((sess->ehlo.ext & SMTP_EXT_8BITMIME) && body && strcmp(body, "8BITMIME") == 0 &&
        !d->converted)
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
        smtp_content_size(d) > sess->ehlo.size_limit) {
        snprintf(why, sizeof(why), "message size %lld exceeds size limit %lld of server %s",
                 smtp_content_size(d), sess->ehlo.size_limit, smtp_who(sess, who, sizeof(who)));
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

/*
 * An 8-bit message for a server without 8BITMIME: make the 7-bit copy;
 * true when that failed and the recipients were deferred.
 */
static bool smtp_need_7bit(struct smtp_dest *d, struct smtp_session *sess)
{
    const char *body = qmsg_attr(d->q, "body"), *why = NULL;
    char text[SMTP_REASON_MAX], who[SMTP_PEER_MAX];

    if ((sess->ehlo.ext & SMTP_EXT_8BITMIME) || body == NULL || strcmp(body, "8BITMIME") != 0)
        return false;
    if (smtp_mime_downgrade(d, &why) == 0)
        return false;
    snprintf(text, sizeof(text), "%s (host %s)", why, smtp_who(sess, who, sizeof(who)));
    smtp_defer_open(d, sess, text);
    return true;
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

/* The server took the message: every accepted recipient is sent. */
static void smtp_sent_accepted(struct smtp_dest *d, struct smtp_session *sess,
                               const struct smtp_reply *r)
{
    char text[SMTP_TEXT_MAX];
    size_t i;

    sess->took = true;
    smtp_reply_oneline(r, text, sizeof(text));
    for (i = 0; i < d->n; i++)
        if (d->rcpts[i]->accepted)
            smtp_rcpt_done(d, d->rcpts[i], sess->peer, DELIVER_SENT, r->dsn, text);
}

/* The content after 354, the final dot, and its reply. */
static enum smtp_next smtp_data(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_reply r;
    char why[SMTP_REASON_MAX];

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
    smtp_sent_accepted(d, sess, &r);
    return SMTP_NEXT_DONE;
}

/* The content in BDAT chunks and the final reply (RFC 3030). */
static enum smtp_next smtp_bdat(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_reply r;
    char why[SMTP_REASON_MAX];
    int ret = smtp_body_bdat(d, sess, &r, why, sizeof(why));

    if (ret < 0) {
        smtp_defer_open(d, sess, why);
        return SMTP_NEXT_DONE;
    }
    if (ret > 0) {
        smtp_said(sess, &r, "end of DATA", why, sizeof(why));
        smtp_fail_open(d, sess, &r, why, true);
        return SMTP_NEXT_DONE;
    }
    smtp_sent_accepted(d, sess, &r);
    return SMTP_NEXT_DONE;
}

/* One transaction in flight: what was sent, what came back. */
struct smtp_txn {
    struct smtp_dest *d;
    struct smtp_session *sess;
    struct smtp_rcpt **open; /* the recipients sent RCPT, in order */
    size_t n;
    bool pipe, bdat, mail_ok;
    enum smtp_next next;
    struct buf cmd;
    char why[SMTP_REASON_MAX];
};

/* Queue one command, and without pipelining send it and read its reply. */
static int smtp_txn_cmd(struct smtp_txn *t, const char *doing, long long timeout,
                        struct smtp_reply *r)
{
    if (smtp_send(t->sess, buf_str(&t->cmd), timeout) < 0 ||
        (!t->pipe && smtp_flush(t->sess) < 0)) {
        smtp_lost(t->sess, doing, t->why, sizeof(t->why));
        return -1;
    }
    if (!t->pipe && smtp_get(t->sess, r, timeout, doing, t->why, sizeof(t->why)) < 0)
        return -1;
    return 0;
}

/*
 * MAIL, each RCPT and DATA (not for BDAT): all at once when pipelining,
 * else one by one; then every reply but DATA's read.  0 to go on, 1 when
 * the transaction is over (t->next), -1 when the connection failed.
 */
static int smtp_envelope(struct smtp_txn *t, struct smtp_reply *r)
{
    size_t i;

    smtp_mail_cmd(t->d, t->sess, &t->cmd);
    if (smtp_txn_cmd(t, "sending MAIL FROM", var_smtp_mail_timeout, r) < 0)
        return -1;
    if (!t->pipe && !smtp_mail_reply(t->d, t->sess, r, &t->next))
        return 1;
    for (i = 0; i < t->n; i++) {
        smtp_rcpt_cmd(t->sess, t->open[i], &t->cmd);
        if (smtp_txn_cmd(t, "sending RCPT TO", var_smtp_rcpt_timeout, r) < 0)
            return -1;
        if (!t->pipe)
            smtp_rcpt_reply(t->d, t->sess, t->open[i], r);
    }
    if (!t->bdat && (t->pipe || smtp_any_open(t->d))) {
        if (smtp_send(t->sess, "DATA", var_smtp_data_init_timeout) < 0 || smtp_flush(t->sess) < 0) {
            smtp_lost(t->sess, "sending DATA command", t->why, sizeof(t->why));
            return -1;
        }
    } else if (t->bdat && t->pipe && smtp_flush(t->sess) < 0) {
        smtp_lost(t->sess, "sending RCPT TO", t->why, sizeof(t->why));
        return -1;
    }
    if (!t->pipe)
        return smtp_any_open(t->d) ? 0 : 1;
    if (smtp_get(t->sess, r, var_smtp_mail_timeout, "sending MAIL FROM", t->why, sizeof(t->why)) <
        0)
        return -1;
    t->mail_ok = smtp_mail_reply(t->d, t->sess, r, &t->next);
    for (i = 0; i < t->n; i++) {
        if (smtp_get(t->sess, r, var_smtp_rcpt_timeout, "sending RCPT TO", t->why, sizeof(t->why)) <
            0) {
            /*
             * After a refused MAIL the server may hang up (a 421 says it
             * will): its reply, already noted, is the reason, and the
             * recipients a 5xx failed stay failed.
             */
            if (!t->mail_ok) {
                t->sess->abandon = true;
                return 1;
            }
            return -1;
        }
        if (t->mail_ok)
            smtp_rcpt_reply(t->d, t->sess, t->open[i], r);
    }
    return 0;
}

/* After the envelope: BDAT, or DATA's reply and the content. */
static enum smtp_next smtp_content(struct smtp_txn *t, struct smtp_reply *r, bool *lost)
{
    size_t i, accepted = 0;

    for (i = 0; i < t->n; i++)
        accepted += t->open[i]->accepted;
    if (t->bdat) /* the recipients' replies came first: no chunk for a server that took nobody */
        return t->mail_ok && accepted > 0 ? smtp_bdat(t->d, t->sess) : t->next;
    if (smtp_get(t->sess, r, var_smtp_data_init_timeout, "sending DATA command", t->why,
                 sizeof(t->why)) < 0) {
        t->sess->abandon = true;
        /* Nothing was to be sent (every recipient is decided): not a server that failed us. */
        if (!t->mail_ok || accepted == 0)
            return t->next;
        *lost = true;
        return SMTP_NEXT_SERVER;
    }
    if (!t->mail_ok || accepted == 0) {
        /* Nothing to send: a 354 the server gave anyway gets an empty message we abandon. */
        t->sess->abandon = r->code == 354; /* RFC 5321 has no way back from 354 but hanging up */
        return t->next;
    }
    if (r->code != 354) {
        smtp_said(t->sess, r, "DATA", t->why, sizeof(t->why));
        smtp_fail_open(t->d, t->sess, r, t->why, true);
        return SMTP_NEXT_DONE;
    }
    return smtp_data(t->d, t->sess);
}

enum smtp_next smtp_transaction(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_txn t = {.d = d, .sess = sess, .mail_ok = true, .next = SMTP_NEXT_DONE};
    struct smtp_reply r;
    bool lost = false;
    size_t i;
    int ret;

    sess->took = false;
    if (smtp_need_7bit(d, sess) || smtp_refuse(d, sess))
        return SMTP_NEXT_DONE;
    t.open = xcalloc(d->n ? d->n : 1, sizeof(*t.open));
    t.n = smtp_open_rcpts(d, t.open);
    t.pipe = (sess->ehlo.ext & SMTP_EXT_PIPELINING) != 0;
    t.bdat = (sess->ehlo.ext & SMTP_EXT_CHUNKING) && var_smtp_use_bdat;
    buf_init(&t.cmd, SMTP_REASON_MAX * 4);
    if ((ret = smtp_envelope(&t, &r)) == 0)
        t.next = smtp_content(&t, &r, &lost);
    if (ret < 0 || lost) {
        /* Nothing was accepted for good yet: another server may take it all. */
        for (i = 0; i < d->n; i++)
            d->rcpts[i]->accepted = false;
        t.next = smtp_next_server(d, sess, "4.4.2", t.why);
    }
    buf_free(&t.cmd);
    free(t.open);
    return t.next;
}
