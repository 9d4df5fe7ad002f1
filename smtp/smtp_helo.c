/*
 * smtp_helo.c - the start of a session (see smtp.h): the server's
 * greeting, EHLO (or HELO when EHLO is refused), STARTTLS and the second
 * EHLO inside TLS.
 *
 * smtp_tls_security_level decides about TLS: "none" never, "may" when the
 * server offers it (a failed handshake means the same server again in
 * plain text, as in Postfix), "encrypt" always (a server without it, or a
 * failed handshake, is one that did not take the mail).  A server that
 * greets or answers EHLO with our own myhostname is us: the mail would
 * loop, and fails (5.4.6).
 */
#include "sys_defs.h"
#include "smtp.h"
#include "mail_params.h"
#include "msg.h"
#include "strutil.h"
#include "tls_client.h"

/* The first word of a reply's first line: the name the server gives itself. */
static bool smtp_names_us(const struct smtp_reply *r)
{
    size_t n = strcspn(r->text, " \n");

    return n == strlen(var_myhostname) && strncasecmp(r->text, var_myhostname, n) == 0;
}

/* EHLO, or HELO if EHLO is refused; NEXT_DONE with sess->ehlo set. */
static enum smtp_next smtp_ehlo(struct smtp_dest *d, struct smtp_session *sess)
{
    struct smtp_reply r;
    char cmd[SMTP_HOST_MAX + 8], why[SMTP_REASON_MAX];

    memset(&sess->ehlo, 0, sizeof(sess->ehlo));
    snprintf(cmd, sizeof(cmd), "EHLO %s", var_smtp_helo_name);
    if (smtp_send(sess, cmd, var_smtp_helo_timeout) < 0 || smtp_flush(sess) < 0 ||
        smtp_get(sess, &r, var_smtp_helo_timeout, "sending EHLO", why, sizeof(why)) < 0)
        return smtp_next_server(d, sess, "4.4.2", why);
    if (r.code / 100 == 2) {
        smtp_ehlo_parse(&r, &sess->ehlo);
        if (smtp_names_us(&r)) {
            snprintf(why, sizeof(why), "mail for %s loops back to myself", d->domain);
            smtp_dest_fail(d, sess->peer, DELIVER_BOUNCED, "5.4.6", why);
        }
        return SMTP_NEXT_DONE;
    }
    snprintf(cmd, sizeof(cmd), "HELO %s", var_smtp_helo_name);
    if (smtp_send(sess, cmd, var_smtp_helo_timeout) < 0 || smtp_flush(sess) < 0 ||
        smtp_get(sess, &r, var_smtp_helo_timeout, "sending HELO", why, sizeof(why)) < 0)
        return smtp_next_server(d, sess, "4.4.2", why);
    if (r.code / 100 != 2) {
        smtp_said(sess, &r, "HELO", why, sizeof(why));
        return smtp_next_server(d, sess, r.dsn, why);
    }
    return SMTP_NEXT_DONE;
}

/* STARTTLS and the EHLO after it; NEXT_DONE to go on inside TLS. */
static enum smtp_next smtp_starttls(struct smtp_dest *d, struct smtp_session *sess, bool must)
{
    struct smtp_reply r;
    struct tls_info info;
    char why[SMTP_REASON_MAX], *err = NULL;

    if (smtp_send(sess, "STARTTLS", var_smtp_starttls_timeout) < 0 || smtp_flush(sess) < 0 ||
        smtp_get(sess, &r, var_smtp_starttls_timeout, "sending STARTTLS", why, sizeof(why)) < 0)
        return must ? smtp_next_server(d, sess, "4.4.2", why) : SMTP_NEXT_PLAINTEXT;
    if (r.code != 220) {
        smtp_said(sess, &r, "STARTTLS", why, sizeof(why));
        if (must)
            return smtp_next_server(d, sess, "4.7.4", why);
        msg_info("%s: %s; trying without TLS", d->req->queue_id, why);
        return SMTP_NEXT_PLAINTEXT;
    }
    stream_set_timeout(sess->s, (int)(var_smtp_starttls_timeout * 1000));
    if (tls_client_start(sess->s, sess->host, sess->peer, &info, &err) < 0) {
        snprintf(why, sizeof(why), "TLS handshake with %s failed: %s", sess->peer, err);
        free(err);
        msg_info("%s: %s%s", d->req->queue_id, why, must ? "" : "; trying without TLS");
        return must ? smtp_next_server(d, sess, "4.7.5", why) : SMTP_NEXT_PLAINTEXT;
    }
    sess->tls = true;
    return smtp_ehlo(d, sess);
}

enum smtp_next smtp_helo(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok)
{
    bool must = strcmp(var_smtp_tls_security_level, "encrypt") == 0;
    bool may = must || strcmp(var_smtp_tls_security_level, "may") == 0;
    enum smtp_next next;
    struct smtp_reply r;
    char why[SMTP_REASON_MAX], who[SMTP_PEER_MAX], text[SMTP_TEXT_MAX];

    if (smtp_get(sess, &r, var_smtp_helo_timeout, "receiving the initial server greeting", why,
                 sizeof(why)) < 0)
        return smtp_next_server(d, sess, "4.4.2", why);
    d->sessions++;
    if (r.code / 100 != 2) {
        smtp_reply_oneline(&r, text, sizeof(text));
        snprintf(why, sizeof(why), "host %s refused to talk to me: %s",
                 smtp_who(sess, who, sizeof(who)), text);
        if (r.code / 100 == 5 && !var_smtp_skip_5xx_greeting) {
            smtp_dest_fail(d, sess->peer, DELIVER_BOUNCED, r.dsn, why);
            return SMTP_NEXT_DONE;
        }
        /* Skipped as if it had said 4xx: Postfix keeps the detail of its status code. */
        if (r.dsn[0] == '5')
            r.dsn[0] = '4';
        return smtp_next_server(d, sess, r.dsn, why);
    }
    if (smtp_names_us(&r)) {
        snprintf(why, sizeof(why), "mail for %s loops back to myself", d->domain);
        smtp_dest_fail(d, sess->peer, DELIVER_BOUNCED, "5.4.6", why);
        return SMTP_NEXT_DONE;
    }
    if ((next = smtp_ehlo(d, sess)) != SMTP_NEXT_DONE || !smtp_any_open(d))
        return next;
    if (!tls_ok || !may)
        return SMTP_NEXT_DONE;
    if (!(sess->ehlo.ext & SMTP_EXT_STARTTLS)) {
        if (!must)
            return SMTP_NEXT_DONE;
        snprintf(why, sizeof(why), "TLS is required, but was not offered by host %s",
                 smtp_who(sess, who, sizeof(who)));
        return smtp_next_server(d, sess, "4.7.4", why);
    }
    return smtp_starttls(d, sess, must);
}
