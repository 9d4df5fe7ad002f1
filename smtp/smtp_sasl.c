/*
 * smtp_sasl.c - SMTP AUTH to a relay host (RFC 4954), PLAIN or LOGIN, with
 * the login and password that smtp_sasl_password_maps gives for the next
 * hop, as Postfix's smtp_sasl_password_maps ("[mail.isp.example]:587
 * user:password", looked up as the next hop is written, then by the
 * server's host name).
 *
 * The table is opened as root before the chroot and the privilege drop
 * (DICT_FLAG_DIRECT: never through proxymap), so it can be root's alone,
 * mode 0600, as a file of passwords should be; a process sees a rebuilt
 * table when master starts its successor.  PLAIN and LOGIN send the
 * password in the clear, so with smtp_sasl_security_options'
 * "noplaintext" (the default) they are only used inside TLS.  A server
 * that refuses the login is one that did not take the mail (the next MX,
 * or a deferral): a wrong password must not bounce mail.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "base64.h"
#include "dict.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "strutil.h"

#define SMTP_SASL_CRED_MAX 512

static struct dict **smtp_sasl_maps;
static size_t smtp_sasl_nmaps;

void smtp_sasl_init(void)
{
    char **specs;
    char *err;
    size_t i;

    if (!var_smtp_sasl_auth_enable)
        return;
    specs = str_split_list(var_smtp_sasl_password_maps, &smtp_sasl_nmaps);
    smtp_sasl_maps = xcalloc(smtp_sasl_nmaps ? smtp_sasl_nmaps : 1, sizeof(*smtp_sasl_maps));
    for (i = 0; i < smtp_sasl_nmaps; i++)
        if (dict_open(specs[i], DICT_FLAG_FOLD | DICT_FLAG_DIRECT, smtp_sasl_maps + i, &err) < 0)
            msg_fatal("smtp_sasl_password_maps: %s", err);
    str_list_free(specs);
}

/* "user:password" for key; 1 found, 0 not, -1 a table failed (warned). */
static int smtp_sasl_find(const char *key, char *out, size_t len)
{
    const char *v;
    char *err = NULL;
    size_t i;
    int r;

    for (i = 0; i < smtp_sasl_nmaps; i++) {
        if ((r = dict_lookup(smtp_sasl_maps[i], key, &v, &err)) < 0) {
            msg_warn("smtp_sasl_password_maps: %s", err);
            free(err);
            return -1;
        }
        if (r > 0)
            return str_copy(out, v, len) < len ? 1 : -1;
    }
    return 0;
}

/* One AUTH step: send line, expect code; NEXT_DONE when it came, else why is set. */
static bool smtp_sasl_step(struct smtp_session *sess, const char *line, int want,
                           struct smtp_reply *r, char *why, size_t len)
{
    if (smtp_send(sess, line, var_smtp_helo_timeout) < 0 || smtp_flush(sess) < 0 ||
        smtp_get(sess, r, var_smtp_helo_timeout, "sending AUTH", why, len) < 0)
        return false;
    if (r->code == want)
        return true;
    smtp_said(sess, r, "AUTH", why, len);
    return false;
}

/* PLAIN with an initial response, or LOGIN; true when the server said 235. */
static bool smtp_sasl_exchange(struct smtp_session *sess, const char *user, const char *pass,
                               char *why, size_t len)
{
    unsigned char raw[2 * SMTP_SASL_CRED_MAX + 2];
    char enc[BASE64_ENCODED_LEN(sizeof(raw)) + 16], line[sizeof(enc) + 16];
    size_t ulen = strlen(user), plen = strlen(pass);
    struct smtp_reply r;
    bool ok;

    if (sess->ehlo.auth_mechs & SMTP_AUTH_PLAIN) {
        raw[0] = 0;
        memcpy(raw + 1, user, ulen);
        raw[1 + ulen] = 0;
        memcpy(raw + 2 + ulen, pass, plen);
        base64_encode(raw, ulen + plen + 2, enc);
        snprintf(line, sizeof(line), "AUTH PLAIN %s", enc);
        ok = smtp_sasl_step(sess, line, 235, &r, why, len);
    } else {
        base64_encode((const unsigned char *)user, ulen, enc);
        ok = smtp_sasl_step(sess, "AUTH LOGIN", 334, &r, why, len) &&
             smtp_sasl_step(sess, enc, 334, &r, why, len);
        if (ok) {
            base64_encode((const unsigned char *)pass, plen, enc);
            ok = smtp_sasl_step(sess, enc, 235, &r, why, len);
        }
    }
    explicit_bzero(raw, sizeof(raw));
    explicit_bzero(enc, sizeof(enc));
    explicit_bzero(line, sizeof(line));
    stream_wipe(sess->s);
    return ok;
}

enum smtp_next smtp_sasl_login(struct smtp_dest *d, struct smtp_session *sess)
{
    char cred[SMTP_SASL_CRED_MAX], why[SMTP_REASON_MAX], *colon;
    bool plain_ok = sess->tls || !(mail_param_set_bits(var_smtp_sasl_security_options,
                                                       SMTPD_SASL_SECURITY_CHOICES) &
                                   SMTPD_SASL_NOPLAINTEXT);
    int r;

    if (!var_smtp_sasl_auth_enable)
        return SMTP_NEXT_DONE;
    /* The next hop as written (relayhost's "[host]:port"), then the server's name. */
    if ((r = smtp_sasl_find(d->domain, cred, sizeof(cred))) == 0)
        r = smtp_sasl_find(sess->host, cred, sizeof(cred));
    if (r < 0)
        return smtp_next_server(d, sess, "4.7.0", "smtp_sasl_password_maps lookup failed");
    if (r == 0 || !(sess->ehlo.ext & SMTP_EXT_AUTH))
        return SMTP_NEXT_DONE; /* no login for this server, or it asks for none */
    if (!(sess->ehlo.auth_mechs & (SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN)) || !plain_ok) {
        snprintf(why, sizeof(why),
                 "SASL authentication failed: server %s offered no compatible authentication "
                 "mechanisms for this type of connection security",
                 sess->peer);
        explicit_bzero(cred, sizeof(cred));
        return smtp_next_server(d, sess, "4.7.0", why);
    }
    colon = strchr(cred, ':');
    if (colon)
        *colon = 0;
    if (!smtp_sasl_exchange(sess, cred, colon ? colon + 1 : "", why, sizeof(why))) {
        explicit_bzero(cred, sizeof(cred));
        msg_warn("SASL authentication failed; server %s said: %s", sess->peer, why);
        return smtp_next_server(d, sess, "4.7.0", why);
    }
    explicit_bzero(cred, sizeof(cred));
    return SMTP_NEXT_DONE;
}
