/*
 * test_smtp_esmtp.c - MAIL and RCPT parameters (smtp_esmtp.h): xtext
 * decoding with its limits, SIZE, BODY, SMTPUTF8, RET, ENVID, NOTIFY and
 * ORCPT, each good form and each refusal with the exact reply, repeats and
 * unknown keywords.  The lines go through smtp_cmd_parse() first, as in
 * smtpd.
 */
#include "unit.h"
#include "qfile.h"
#include "smtp_cmd.h"
#include "smtp_esmtp.h"

static void test_xtext(void **state UNUSED)
{
    char out[16];

    assert_int_equal(smtp_xtext_decode("abc", 3, out, 15), 3);
    assert_string_equal(out, "abc");
    assert_int_equal(smtp_xtext_decode("a+2Bb+3D", 8, out, 15), 4);
    assert_string_equal(out, "a+b=");
    assert_int_equal(smtp_xtext_decode("+41", 3, out, 15), 1);
    assert_string_equal(out, "A");
    assert_int_equal(smtp_xtext_decode("", 0, out, 15), 0);
    /* Bad: a bare or short '+', lower-case hex, '=', space, 8-bit, a decoded control. */
    assert_int_equal(smtp_xtext_decode("a+", 2, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("a+4", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("+2b", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("a=b", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("a b", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("a\xc3\xa9", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("+0A", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("+00", 3, out, 15), -1);
    assert_int_equal(smtp_xtext_decode("+7F", 3, out, 15), -1);
    /* The limit is on the decoded octets. */
    assert_int_equal(smtp_xtext_decode("0123456789", 10, out, 10), 10);
    assert_int_equal(smtp_xtext_decode("0123456789a", 11, out, 10), -1);
    assert_int_equal(smtp_xtext_decode("+41+41+41", 9, out, 2), -1);
}

struct param_case {
    const char *line;
    const char *reply; /* NULL: accepted */
};

static const struct param_case mail_cases[] = {
    {"MAIL FROM:<a@b.example>", NULL},
    {"MAIL FROM:<a@b.example> SIZE=1000", NULL},
    {"MAIL FROM:<a@b.example> SIZE=1001", "552 5.3.4 Message size exceeds fixed limit"},
    {"MAIL FROM:<a@b.example> SIZE=x", "501 5.5.4 Bad message size syntax"},
    {"MAIL FROM:<a@b.example> SIZE", "501 5.5.4 Bad message size syntax"},
    {"MAIL FROM:<a@b.example> SIZE=-1", "501 5.5.4 Bad message size syntax"},
    {"MAIL FROM:<a@b.example> SIZE=1 SIZE=2", "501 5.5.4 Bad message size syntax"},
    {"MAIL FROM:<a@b.example> BODY=8BITMIME", NULL},
    {"MAIL FROM:<a@b.example> body=7bit", NULL},
    {"MAIL FROM:<a@b.example> BODY=BINARYMIME", "501 5.5.4 Unsupported BODY parameter value"},
    {"MAIL FROM:<a@b.example> BODY=9BIT", "501 5.5.4 Unsupported BODY parameter value"},
    {"MAIL FROM:<a@b.example> BODY=7BIT BODY=7BIT", "501 5.5.4 Unsupported BODY parameter value"},
    {"MAIL FROM:<a@b.example> SMTPUTF8", NULL},
    {"MAIL FROM:<a@b.example> SMTPUTF8=yes", "501 5.5.4 Error: SMTPUTF8 takes no parameter"},
    {"MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8", "501 5.5.4 Error: SMTPUTF8 takes no parameter"},
    {"MAIL FROM:<a@b.example> RET=FULL", NULL},
    {"MAIL FROM:<a@b.example> RET=hdrs", NULL},
    {"MAIL FROM:<a@b.example> RET=ALL", "501 5.5.4 Bad RET parameter syntax"},
    {"MAIL FROM:<a@b.example> RET", "501 5.5.4 Bad RET parameter syntax"},
    {"MAIL FROM:<a@b.example> RET=FULL RET=HDRS", "501 5.5.4 Bad RET parameter syntax"},
    {"MAIL FROM:<a@b.example> ENVID=QQ314159", NULL},
    {"MAIL FROM:<a@b.example> ENVID=a+2Bb", NULL},
    {"MAIL FROM:<a@b.example> ENVID=a+2", "501 5.5.4 Bad ENVID parameter syntax"},
    {"MAIL FROM:<a@b.example> ENVID", "501 5.5.4 Bad ENVID parameter syntax"},
    {"MAIL FROM:<a@b.example> ENVID=+0D", "501 5.5.4 Bad ENVID parameter syntax"},
    {"MAIL FROM:<a@b.example> ENVID=a ENVID=b", "501 5.5.4 Bad ENVID parameter syntax"},
    {"MAIL FROM:<a@b.example> NOTIFY=NEVER", "555 5.5.4 Unsupported option: NOTIFY"},
    {"MAIL FROM:<a@b.example> XFOO=1", "555 5.5.4 Unsupported option: XFOO"},
    {"MAIL FROM:<a@b.example> AUTH=<>", NULL},
    {"MAIL FROM:<a@b.example> AUTH=alice+2Bnews@corp.example", NULL},
    {"MAIL FROM:<a@b.example> AUTH", "501 5.5.4 Bad AUTH parameter syntax"},
    {"MAIL FROM:<a@b.example> AUTH=a+2", "501 5.5.4 Bad AUTH parameter syntax"},
    {"MAIL FROM:<a@b.example> AUTH=<> AUTH=<>", "501 5.5.4 Bad AUTH parameter syntax"},
};

static void test_mail(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(mail_cases); i++) {
        const struct param_case *c = mail_cases + i;
        struct smtp_cmd cmd;
        struct smtp_mail_params mp;
        char reply[SMTP_ESMTP_REPLY_MAX];
        const char *perr;
        int r;

        if (smtp_cmd_parse((const unsigned char *)c->line, strlen(c->line), &cmd, &perr) != 0) {
            unit_row_fail(&rows, "%s: parse: %s", c->line, perr);
            continue;
        }
        r = smtp_esmtp_mail(&cmd, 1000, &mp, reply);
        if (c->reply == NULL && r != 0)
            unit_row_fail(&rows, "%s: refused: %s", c->line, reply);
        else if (c->reply != NULL && (r == 0 || strcmp(reply, c->reply) != 0))
            unit_row_fail(&rows, "%s: got %d \"%s\"", c->line, r, r ? reply : "");
    }
    unit_rows_check(&rows);
}

static void test_mail_values(void **state UNUSED)
{
    static const char line[] =
        "MAIL FROM:<a@b.example> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=id+2B1 "
        "AUTH=alice+2Bnews@corp.example";
    struct smtp_cmd cmd;
    struct smtp_mail_params mp;
    char reply[SMTP_ESMTP_REPLY_MAX];
    const char *perr;

    assert_int_equal(smtp_cmd_parse((const unsigned char *)line, strlen(line), &cmd, &perr), 0);
    assert_int_equal(smtp_esmtp_mail(&cmd, 1000, &mp, reply), 0);
    assert_int_equal(mp.size, 10);
    assert_int_equal(mp.body, SMTP_BODY_8BITMIME);
    assert_true(mp.smtputf8);
    assert_int_equal(mp.ret, SMTP_RET_HDRS);
    assert_string_equal(mp.envid, "id+1");
    assert_string_equal(mp.auth, "alice+news@corp.example");
    /* Nothing given: nothing set. */
    assert_int_equal(smtp_cmd_parse((const unsigned char *)"MAIL FROM:<>", 12, &cmd, &perr), 0);
    assert_int_equal(smtp_esmtp_mail(&cmd, 1000, &mp, reply), 0);
    assert_int_equal(mp.size, -1);
    assert_int_equal(mp.body, SMTP_BODY_NONE);
    assert_false(mp.smtputf8);
    assert_int_equal(mp.ret, SMTP_RET_NONE);
    assert_string_equal(mp.envid, "");
}

static void test_envid_limit(void **state UNUSED)
{
    char line[300];
    struct smtp_cmd cmd;
    struct smtp_mail_params mp;
    char reply[SMTP_ESMTP_REPLY_MAX];
    const char *perr;

    snprintf(line, sizeof(line), "MAIL FROM:<> ENVID=%0100d", 0);
    assert_int_equal(smtp_cmd_parse((const unsigned char *)line, strlen(line), &cmd, &perr), 0);
    assert_int_equal(smtp_esmtp_mail(&cmd, 1000, &mp, reply), 0);
    assert_int_equal(strlen(mp.envid), 100);
    snprintf(line, sizeof(line), "MAIL FROM:<> ENVID=%0101d", 0);
    assert_int_equal(smtp_cmd_parse((const unsigned char *)line, strlen(line), &cmd, &perr), 0);
    assert_int_equal(smtp_esmtp_mail(&cmd, 1000, &mp, reply), -1);
    assert_string_equal(reply, "501 5.5.4 Bad ENVID parameter syntax");
}

struct rcpt_case {
    const char *line;
    const char *reply; /* NULL: accepted */
    int notify;
    const char *orcpt;
};

#define BAD_NOTIFY "501 5.5.4 Error: Bad NOTIFY parameter syntax"
#define BAD_ORCPT "501 5.5.4 Error: Bad ORCPT parameter syntax"

static const struct rcpt_case rcpt_cases[] = {
    {"RCPT TO:<r@b.example>", NULL, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=NEVER", NULL, QFILE_NOTIFY_NEVER, ""},
    {"RCPT TO:<r@b.example> NOTIFY=SUCCESS,FAILURE,DELAY", NULL,
     QFILE_NOTIFY_SUCCESS | QFILE_NOTIFY_FAILURE | QFILE_NOTIFY_DELAY, ""},
    {"RCPT TO:<r@b.example> notify=failure", NULL, QFILE_NOTIFY_FAILURE, ""},
    {"RCPT TO:<r@b.example> NOTIFY=NEVER,SUCCESS", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=SUCCESS,SUCCESS", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=SUCCESS,", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=,SUCCESS", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=SOMETIMES", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> NOTIFY=DELAY NOTIFY=DELAY", BAD_NOTIFY, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=rfc822;r@b.example", NULL, 0, "rfc822;r@b.example"},
    {"RCPT TO:<r@b.example> ORCPT=rfc822;a+2Bb@x.example", NULL, 0, "rfc822;a+b@x.example"},
    {"RCPT TO:<r@b.example> ORCPT=rfc822", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=;r@b.example", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=rfc822;", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=rfc822;a+0Ab", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=rf.c;a", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> ORCPT=rfc822;a ORCPT=rfc822;b", BAD_ORCPT, 0, ""},
    {"RCPT TO:<r@b.example> SIZE=1", "555 5.5.4 Unsupported option: SIZE", 0, ""},
    {"RCPT TO:<r@b.example> X-Y", "555 5.5.4 Unsupported option: X-Y", 0, ""},
};

static void test_rcpt(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(rcpt_cases); i++) {
        const struct rcpt_case *c = rcpt_cases + i;
        struct smtp_cmd cmd;
        struct smtp_rcpt_params rp;
        char reply[SMTP_ESMTP_REPLY_MAX];
        const char *perr;
        int r;

        if (smtp_cmd_parse((const unsigned char *)c->line, strlen(c->line), &cmd, &perr) != 0) {
            unit_row_fail(&rows, "%s: parse: %s", c->line, perr);
            continue;
        }
        r = smtp_esmtp_rcpt(&cmd, &rp, reply);
        if (c->reply == NULL &&
            (r != 0 || rp.notify != c->notify || strcmp(rp.orcpt, c->orcpt) != 0))
            unit_row_fail(&rows, "%s: %d \"%s\" notify %d orcpt \"%s\"", c->line, r, reply,
                          rp.notify, rp.orcpt);
        else if (c->reply != NULL && (r == 0 || strcmp(reply, c->reply) != 0))
            unit_row_fail(&rows, "%s: got %d \"%s\"", c->line, r, r ? reply : "");
    }
    unit_rows_check(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xtext),       cmocka_unit_test(test_mail),
        cmocka_unit_test(test_mail_values), cmocka_unit_test(test_envid_limit),
        cmocka_unit_test(test_rcpt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
