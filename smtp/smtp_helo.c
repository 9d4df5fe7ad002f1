/*
 * smtp_helo.c - the start of a session (see smtp.h): the server's
 * greeting, EHLO (or HELO when EHLO is refused), STARTTLS and the second
 * EHLO inside TLS, then AUTH when a login is configured (smtp_sasl.c).
 *
 * smtp_tls_security_level (or the destination's entry in
 * smtp_tls_policy_maps, smtp_tls.c) decides about TLS: "none" never, "may"
 * when the server offers it (a failed handshake means the same server
 * again in plain text, as in Postfix), "encrypt" always (a server without
 * it, or a failed handshake, is one that did not take the mail), "verify"
 * and "secure" as encrypt with the certificate verified and naming the
 * server's host name (verify) or the next hop domain (secure).  A server that
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

/*
 * The names a certificate may have at verify (the server's host name, as
 * found in DNS: Postfix's smtp_tls_verify_cert_match = hostname) and at
 * secure (the next hop and its subdomains: nexthop, dot-nexthop).
 */
static void smtp_tls_names(const struct smtp_dest *d, const struct smtp_session *sess,
                           enum smtp_tls_level level, char names[2][SMTP_HOST_MAX + 2],
                           const char *list[3])
{
    const char *dom = d->domain[0] == '[' ? sess->host : d->domain;
    size_t n = strcspn(dom, ":");

    list[0] = list[1] = list[2] = NULL;
    if (level == SMTP_TLS_VERIFY) {
        str_copy(names[0], sess->host, SMTP_HOST_MAX + 2);
        list[0] = names[0];
        return;
    }
    snprintf(names[0], SMTP_HOST_MAX + 2, "%.*s", (int)n, dom);
    snprintf(names[1], SMTP_HOST_MAX + 2, ".%.*s", (int)n, dom);
    list[0] = names[0];
    list[1] = names[1];
}

/* STARTTLS and the EHLO after it; NEXT_DONE to go on inside TLS. */
static enum smtp_next smtp_starttls(struct smtp_dest *d, struct smtp_session *sess,
                                    enum smtp_tls_level level)
{
    bool must = level >= SMTP_TLS_ENCRYPT;
    char names[2][SMTP_HOST_MAX + 2];
    const char *list[3];
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
    smtp_tls_names(d, sess, level, names, list);
    if (tls_client_start_verified(sess->s, sess->host, sess->peer,
                                  level >= SMTP_TLS_VERIFY ? list : NULL, &info, &err) < 0) {
        snprintf(why, sizeof(why), "TLS handshake with %s failed: %s", sess->peer, err);
        free(err);
        msg_info("%s: %s%s", d->req->queue_id, why, must ? "" : "; trying without TLS");
        return must ? smtp_next_server(d, sess, "4.7.5", why) : SMTP_NEXT_PLAINTEXT;
    }
    sess->tls = true;
    return smtp_ehlo(d, sess);
}

static enum smtp_next smtp_helo_tls(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok)
{
    enum smtp_tls_level level = smtp_tls_policy(d);
    bool must = level >= SMTP_TLS_ENCRYPT, may = level >= SMTP_TLS_MAY;
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
    return smtp_starttls(d, sess, level);
}

enum smtp_next smtp_helo(struct smtp_dest *d, struct smtp_session *sess, bool tls_ok)
{
    enum smtp_next next = smtp_helo_tls(d, sess, tls_ok);

    if (next != SMTP_NEXT_DONE || !smtp_any_open(d))
        return next;
    return smtp_sasl_login(d, sess);
}
