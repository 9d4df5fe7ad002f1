/*
 * fuzz_smtp_esmtp.c - libFuzzer target for MAIL and RCPT parameters
 * (smtp_esmtp.h) and RFC 3461 xtext.
 *
 * The input is a command line: it goes through smtp_cmd_parse() as in
 * smtpd, then through both parameter parsers.  A refusal must carry a
 * complete 5xx reply; an acceptance must stay within the documented
 * limits, with decoded values free of control characters (they go into
 * queue records and log lines as they are).  The same bytes are also
 * decoded as xtext directly, with a small and a large limit.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "msg.h"
#include "qfile.h"
#include "smtp_cmd.h"
#include "smtp_esmtp.h"

static void check_reply(const char *reply)
{
    CHECK(strlen(reply) > 10 && reply[0] == '5' && reply[3] == ' ' && reply[4] == '5' &&
          reply[5] == '.');
    CHECK(strpbrk(reply, "\r\n") == NULL);
}

static void check_text(const char *s)
{
    for (; *s; s++)
        CHECK((unsigned char)*s >= 32 && (unsigned char)*s != 127);
}

static void check_params(const struct smtp_cmd *cmd)
{
    struct smtp_mail_params mp;
    struct smtp_rcpt_params rp;
    char reply[SMTP_ESMTP_REPLY_MAX];

    if (smtp_esmtp_mail(cmd, 1000000, &mp, reply) == 0) {
        CHECK(mp.size >= -1 && mp.size <= 1000000);
        CHECK(strlen(mp.envid) <= SMTP_ENVID_MAX);
        check_text(mp.envid);
    } else {
        check_reply(reply);
    }
    if (smtp_esmtp_rcpt(cmd, &rp, reply) == 0) {
        CHECK(rp.notify >= 0 && rp.notify <= 15);
        CHECK(!(rp.notify & QFILE_NOTIFY_NEVER) || rp.notify == QFILE_NOTIFY_NEVER);
        CHECK(rp.orcpt[0] == 0 || strchr(rp.orcpt, ';') != NULL);
        check_text(rp.orcpt);
    } else {
        check_reply(reply);
    }
}

static void check_xtext(const uint8_t *data, size_t size, size_t max)
{
    char out[SMTP_ORCPT_MAX + 1];
    ssize_t n = smtp_xtext_decode((const char *)data, size, out, max);

    CHECK(n >= -1 && (n < 0 || (size_t)n <= max));
    if (n >= 0) {
        CHECK((size_t)n <= size && strlen(out) == (size_t)n);
        check_text(out);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct smtp_cmd cmd;
    const char *reply;

    check_xtext(data, size, 4);
    check_xtext(data, size, SMTP_ORCPT_MAX);
    if (smtp_cmd_parse(data, size, &cmd, &reply) == 0 &&
        (cmd.verb == SMTP_VERB_MAIL || cmd.verb == SMTP_VERB_RCPT))
        check_params(&cmd);
    return 0;
}
