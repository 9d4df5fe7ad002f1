/*
 * smtp_esmtp.h - the ESMTP parameters of MAIL FROM and RCPT TO, parsed once
 * from what smtp_cmd.c split (keyword, value) into typed structures:
 *
 *   MAIL  SIZE=n (RFC 1870), BODY=7BIT|8BITMIME (RFC 6152), SMTPUTF8
 *         (RFC 6531), RET=FULL|HDRS and ENVID=xtext (RFC 3461)
 *   RCPT  NOTIFY=NEVER|SUCCESS,FAILURE,DELAY and ORCPT=type;xtext (RFC 3461)
 *
 * plus the RFC 3461 xtext decoder they share.  A parameter given twice, a
 * bad value or an unknown keyword makes the whole command fail with the
 * reply Postfix gives; nothing here knows the server's limits except what
 * the caller passes in, so smtpd decides SIZE against message_size_limit.
 * Decoded values never hold control characters, so they can go into queue
 * records and log lines as they are.
 */
#ifndef POSTERN_SMTP_ESMTP_H
#define POSTERN_SMTP_ESMTP_H

#include "sys_defs.h"
#include "smtp_cmd.h"
#include "buf.h"

#define SMTP_ENVID_MAX 100     /* RFC 3461 4.4: octets of the ENVID value */
#define SMTP_ORCPT_MAX 500     /* RFC 3461 4.2: octets of the ORCPT value */
#define SMTP_ORCPT_TYPE_MAX 32 /* an addr-type is an atom: "rfc822", "utf-8" */

enum smtp_body {
    SMTP_BODY_NONE, /* not given */
    SMTP_BODY_7BIT,
    SMTP_BODY_8BITMIME,
};

enum smtp_ret {
    SMTP_RET_NONE,
    SMTP_RET_FULL,
    SMTP_RET_HDRS,
};

struct smtp_mail_params {
    long long size; /* -1 when SIZE was not given */
    enum smtp_body body;
    bool smtputf8;
    enum smtp_ret ret;
    char envid[SMTP_ENVID_MAX + 1]; /* decoded; empty when not given */
    /* RFC 4954 5 AUTH=: the decoded mailbox, "<>", or empty when not given */
    char auth[SMTP_ORCPT_MAX + 1];
};

struct smtp_rcpt_params {
    int notify; /* QFILE_NOTIFY_* bits; 0 when not given */
    /* "type;address", the address xtext-decoded; empty when not given */
    char orcpt[SMTP_ORCPT_TYPE_MAX + 1 + SMTP_ORCPT_MAX + 1];
};

/*
 * Decode RFC 3461 xtext (len octets at in) into out (room for max octets
 * and a NUL).  Returns the decoded length, or -1 when the text is not
 * xtext ("+" not followed by two upper-case hex digits, a character outside
 * 33..126, '=' or a bare '+'), decodes to a control character or is longer
 * than max.
 */
ssize_t smtp_xtext_decode(const char *in, size_t len, char *out, size_t max);
/* Encode text as RFC 3461 xtext onto out ('+', '=', controls, space and 8-bit as "+XX"). */
void smtp_xtext_encode(const char *text, struct buf *out);

/* Room for any reply below ("555 5.5.4 Unsupported option: " and a keyword). */
#define SMTP_ESMTP_REPLY_MAX (64 + SMTP_PARAM_KEY_MAX)

/*
 * MAIL FROM's parameters.  size_limit: the largest SIZE accepted.
 * Returns 0, or -1 with the complete SMTP reply in reply (at least
 * SMTP_ESMTP_REPLY_MAX octets).
 */
int smtp_esmtp_mail(const struct smtp_cmd *cmd, long long size_limit, struct smtp_mail_params *mp,
                    char *reply);
/* RCPT TO's parameters; as smtp_esmtp_mail(). */
int smtp_esmtp_rcpt(const struct smtp_cmd *cmd, struct smtp_rcpt_params *rp, char *reply);

#endif
