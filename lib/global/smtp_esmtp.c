/*
 * smtp_esmtp.c - MAIL and RCPT parameters and xtext (see smtp_esmtp.h).
 *
 * The reply texts are Postfix's, so that clients and operators see what
 * they know.  A repeated parameter gets the reply of a bad one, as in
 * Postfix: RFC 3461 and RFC 1870 allow each keyword once, and a second
 * value that silently replaced the first would hide a client's mistake.
 */
#include "sys_defs.h"
#include "smtp_esmtp.h"
#include "qfile.h"
#include "strutil.h"

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1; /* RFC 3461 4: hexchar is upper case only */
}

void smtp_xtext_encode(const char *text, struct buf *out)
{
    const unsigned char *p;

    for (p = (const unsigned char *)text; *p; p++) {
        if (*p > ' ' && *p < 0x7f && *p != '+' && *p != '=')
            (void)buf_putc(out, *p);
        else
            (void)buf_printf(out, "+%02X", *p);
    }
}

ssize_t smtp_xtext_decode(const char *in, size_t len, char *out, size_t max)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if (c == '+') {
            int hi, lo;

            if (i + 2 >= len || (hi = hex_digit(in[i + 1])) < 0 || (lo = hex_digit(in[i + 2])) < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
            /* Decoded text goes into queue records and logs: no controls. */
            if (c < 32 || c == 127)
                return -1;
        } else if (c < 33 || c > 126 || c == '=') {
            return -1;
        }
        if (o >= max)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return (ssize_t)o;
}

static void reply_set(char *reply, const char *text)
{
    snprintf(reply, SMTP_ESMTP_REPLY_MAX, "%s", text);
}

static void reply_unsupported(char *reply, const struct smtp_param *p)
{
    snprintf(reply, SMTP_ESMTP_REPLY_MAX, "555 5.5.4 Unsupported option: %s", p->key);
}

static int mail_size(const struct smtp_param *p, long long limit, struct smtp_mail_params *mp,
                     char *reply)
{
    long long size;

    if (mp->size >= 0 || !p->has_value || str_to_ll(p->value, 0, LLONG_MAX, &size) < 0) {
        reply_set(reply, "501 5.5.4 Bad message size syntax");
        return -1;
    }
    if (size > limit) {
        reply_set(reply, "552 5.3.4 Message size exceeds fixed limit");
        return -1;
    }
    mp->size = size;
    return 0;
}

static int mail_body(const struct smtp_param *p, struct smtp_mail_params *mp, char *reply)
{
    if (mp->body != SMTP_BODY_NONE || !p->has_value) {
        reply_set(reply, "501 5.5.4 Unsupported BODY parameter value");
        return -1;
    }
    if (str_eq_nocase(p->value, "7BIT")) {
        mp->body = SMTP_BODY_7BIT;
    } else if (str_eq_nocase(p->value, "8BITMIME")) {
        mp->body = SMTP_BODY_8BITMIME;
    } else {
        /*
         * BINARYMIME (RFC 3030) too, as in Postfix: it is not offered,
         * since content is stored with LF line ends.
         */
        reply_set(reply, "501 5.5.4 Unsupported BODY parameter value");
        return -1;
    }
    return 0;
}

static int mail_ret(const struct smtp_param *p, struct smtp_mail_params *mp, char *reply)
{
    if (mp->ret == SMTP_RET_NONE && str_eq_nocase(p->value, "FULL"))
        mp->ret = SMTP_RET_FULL;
    else if (mp->ret == SMTP_RET_NONE && str_eq_nocase(p->value, "HDRS"))
        mp->ret = SMTP_RET_HDRS;
    else {
        reply_set(reply, "501 5.5.4 Bad RET parameter syntax");
        return -1;
    }
    return 0;
}

static int mail_envid(const struct smtp_param *p, struct smtp_mail_params *mp, char *reply)
{
    /* The 100-octet limit of RFC 3461 4.4 is on the xtext as sent. */
    if (mp->envid[0] || !p->has_value || strlen(p->value) > SMTP_ENVID_MAX ||
        smtp_xtext_decode(p->value, strlen(p->value), mp->envid, SMTP_ENVID_MAX) <= 0) {
        mp->envid[0] = 0;
        reply_set(reply, "501 5.5.4 Bad ENVID parameter syntax");
        return -1;
    }
    return 0;
}

/* AUTH=<> or AUTH=xtext; whether it is taken at all is the server's policy. */
static int mail_auth(const struct smtp_param *p, struct smtp_mail_params *mp, char *reply)
{
    if (mp->auth[0] || !p->has_value ||
        (strcmp(p->value, "<>") != 0 &&
         smtp_xtext_decode(p->value, strlen(p->value), mp->auth, SMTP_ORCPT_MAX) <= 0)) {
        reply_set(reply, "501 5.5.4 Bad AUTH parameter syntax");
        return -1;
    }
    if (strcmp(p->value, "<>") == 0)
        str_copy(mp->auth, "<>", sizeof(mp->auth));
    return 0;
}

int smtp_esmtp_mail(const struct smtp_cmd *cmd, long long size_limit, struct smtp_mail_params *mp,
                    char *reply)
{
    int i, ret = 0;

    memset(mp, 0, sizeof(*mp));
    mp->size = -1;
    reply[0] = 0;
    for (i = 0; i < cmd->nparams && ret == 0; i++) {
        const struct smtp_param *p = cmd->params + i;

        if (strcmp(p->key, "SIZE") == 0) {
            ret = mail_size(p, size_limit, mp, reply);
        } else if (strcmp(p->key, "BODY") == 0) {
            ret = mail_body(p, mp, reply);
        } else if (strcmp(p->key, "SMTPUTF8") == 0) {
            if (p->has_value || mp->smtputf8) {
                reply_set(reply, "501 5.5.4 Error: SMTPUTF8 takes no parameter");
                ret = -1;
            }
            mp->smtputf8 = true;
        } else if (strcmp(p->key, "RET") == 0) {
            ret = mail_ret(p, mp, reply);
        } else if (strcmp(p->key, "ENVID") == 0) {
            ret = mail_envid(p, mp, reply);
        } else if (strcmp(p->key, "AUTH") == 0) {
            ret = mail_auth(p, mp, reply);
        } else {
            reply_unsupported(reply, p);
            ret = -1;
        }
    }
    return ret;
}

/* NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY (RFC 3461 4.1). */
static int rcpt_notify(const struct smtp_param *p, struct smtp_rcpt_params *rp)
{
    const char *s = p->value;
    int bits = 0;

    if (rp->notify != 0 || !p->has_value)
        return -1;
    while (*s) {
        size_t n = strcspn(s, ",");
        int bit;

        if (n == 5 && strncasecmp(s, "NEVER", n) == 0)
            bit = QFILE_NOTIFY_NEVER;
        else if (n == 7 && strncasecmp(s, "SUCCESS", n) == 0)
            bit = QFILE_NOTIFY_SUCCESS;
        else if (n == 7 && strncasecmp(s, "FAILURE", n) == 0)
            bit = QFILE_NOTIFY_FAILURE;
        else if (n == 5 && strncasecmp(s, "DELAY", n) == 0)
            bit = QFILE_NOTIFY_DELAY;
        else
            return -1;
        if (bits & bit)
            return -1;
        bits |= bit;
        s += n;
        if (*s == ',' && *++s == 0)
            return -1; /* a trailing comma */
    }
    /* NEVER stands alone. */
    if ((bits & QFILE_NOTIFY_NEVER) && bits != QFILE_NOTIFY_NEVER)
        return -1;
    rp->notify = bits;
    return 0;
}

/* ORCPT=addr-type;xtext (RFC 3461 4.2); kept as "type;decoded". */
static int rcpt_orcpt(const struct smtp_param *p, struct smtp_rcpt_params *rp)
{
    const char *semi = strchr(p->value, ';');
    size_t tlen, i;
    ssize_t n;

    if (rp->orcpt[0] || semi == NULL)
        return -1;
    tlen = (size_t)(semi - p->value);
    if (tlen == 0 || tlen > SMTP_ORCPT_TYPE_MAX || strlen(semi + 1) > SMTP_ORCPT_MAX)
        return -1;
    for (i = 0; i < tlen; i++)
        if (!isalnum((unsigned char)p->value[i]) && p->value[i] != '-')
            return -1;
    memcpy(rp->orcpt, p->value, tlen + 1);
    n = smtp_xtext_decode(semi + 1, strlen(semi + 1), rp->orcpt + tlen + 1, SMTP_ORCPT_MAX);
    if (n <= 0) {
        rp->orcpt[0] = 0;
        return -1;
    }
    return 0;
}

int smtp_esmtp_rcpt(const struct smtp_cmd *cmd, struct smtp_rcpt_params *rp, char *reply)
{
    int i;

    memset(rp, 0, sizeof(*rp));
    reply[0] = 0;
    for (i = 0; i < cmd->nparams; i++) {
        const struct smtp_param *p = cmd->params + i;

        if (strcmp(p->key, "NOTIFY") == 0) {
            if (rcpt_notify(p, rp) < 0) {
                reply_set(reply, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
                return -1;
            }
        } else if (strcmp(p->key, "ORCPT") == 0) {
            if (rcpt_orcpt(p, rp) < 0) {
                reply_set(reply, "501 5.5.4 Error: Bad ORCPT parameter syntax");
                return -1;
            }
        } else {
            reply_unsupported(reply, p);
            return -1;
        }
    }
    return 0;
}
