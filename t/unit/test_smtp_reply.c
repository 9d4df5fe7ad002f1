/*
 * test_smtp_reply.c - SMTP replies and EHLO keywords as the client reads
 * them (smtp_reply.h): single- and multi-line replies, a bare "250",
 * enhanced status codes present, absent, of the wrong class and malformed,
 * every refusal (digits, range, a changed code, separator, line count,
 * line length, NUL, lines after the end), the text limit, the one-line form
 * with its truncation, and each EHLO keyword with SIZE's and AUTH's edge
 * cases.
 */
#include "unit.h"
#include "smtp_reply.h"

#define MAX_LINES 6

struct reply_case {
    const char *lines[MAX_LINES]; /* NULL-terminated */
    int result;                   /* of the last line fed */
    int code;
    const char *dsn;
    bool enhanced;
    const char *text;
    const char *why; /* with result -1 */
};

static const struct reply_case reply_cases[] = {
    {{"250 OK"}, 1, 250, "2.0.0", false, "OK", NULL},
    {{"250"}, 1, 250, "2.0.0", false, "", NULL},
    {{"250 "}, 1, 250, "2.0.0", false, "", NULL},
    {{"221 2.0.0 Bye"}, 1, 221, "2.0.0", true, "Bye", NULL},
    {{"550 5.1.1 <x@y>: Recipient address rejected"},
     1,
     550,
     "5.1.1",
     true,
     "<x@y>: Recipient address rejected",
     NULL},
    {{"450 4.7.1"}, 1, 450, "4.7.1", true, "", NULL},
    {{"550 5.123.456 x"}, 1, 550, "5.123.456", true, "x", NULL},
    /* Of another class than the code: not a status code, kept in the text. */
    {{"550 4.1.1 odd"}, 1, 550, "5.0.0", false, "4.1.1 odd", NULL},
    {{"250 5.0.0 odd"}, 1, 250, "2.0.0", false, "5.0.0 odd", NULL},
    /* Malformed codes stay text. */
    {{"550 5.1 short"}, 1, 550, "5.0.0", false, "5.1 short", NULL},
    {{"550 5.1.1111 long"}, 1, 550, "5.0.0", false, "5.1.1111 long", NULL},
    {{"550 5.1111.1 long"}, 1, 550, "5.0.0", false, "5.1111.1 long", NULL},
    {{"550 5.1.1x"}, 1, 550, "5.0.0", false, "5.1.1x", NULL},
    {{"550 5..1 x"}, 1, 550, "5.0.0", false, "5..1 x", NULL},
    {{"550 3.1.1 x"}, 1, 550, "5.0.0", false, "3.1.1 x", NULL},
    /* Multi-line; the code on each line is taken off (RFC 2034). */
    {{"250-mx.example", "250-PIPELINING", "250 SIZE 1000"},
     1,
     250,
     "2.0.0",
     false,
     "mx.example\nPIPELINING\nSIZE 1000",
     NULL},
    {{"550-5.1.1 The account does not exist.", "550 5.1.1 Please check."},
     1,
     550,
     "5.1.1",
     true,
     "The account does not exist.\nPlease check.",
     NULL},
    {{"550-first", "550-5.1.1 second", "550"}, 1, 550, "5.0.0", false, "first\nsecond\n", NULL},
    {{"250-a", "250-b"}, 0, 250, "2.0.0", false, "a\nb", NULL},
    /* Refusals. */
    {{""}, -1, 0, NULL, false, NULL, "three digits"},
    {{"25"}, -1, 0, NULL, false, NULL, "three digits"},
    {{"2x0 OK"}, -1, 0, NULL, false, NULL, "three digits"},
    {{"hello"}, -1, 0, NULL, false, NULL, "three digits"},
    {{"199 x"}, -1, 0, NULL, false, NULL, "out of range"},
    {{"600 x"}, -1, 0, NULL, false, NULL, "out of range"},
    {{"000"}, -1, 0, NULL, false, NULL, "out of range"},
    {{"250x"}, -1, 0, NULL, false, NULL, "separator"},
    {{"250\tOK"}, -1, 0, NULL, false, NULL, "separator"},
    {{"2500 OK"}, -1, 0, NULL, false, NULL, "separator"},
    {{"250-a", "251 b"}, -1, 0, NULL, false, NULL, "different reply code"},
    {{"250-a", "550 b"}, -1, 0, NULL, false, NULL, "different reply code"},
    {{"250-a", "250+b"}, -1, 0, NULL, false, NULL, "separator"},
    {{"250-a", "junk"}, -1, 0, NULL, false, NULL, "three digits"},
    {{"250 a", "250 b"}, -1, 0, NULL, false, NULL, "after the end"},
};

/* Feed a case's lines; returns the result of the last line fed. */
static int feed(struct smtp_reply_reader *rd, const char *const *lines, const char **why)
{
    int i, ret = 0;

    smtp_reply_start(rd);
    for (i = 0; i < MAX_LINES && lines[i] != NULL; i++)
        if ((ret = smtp_reply_line(rd, lines[i], strlen(lines[i]), why)) == -1)
            break;
    return ret;
}

static void test_reply_table(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    struct unit_rows rows = {0};
    size_t i;

    for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
        const struct reply_case *c = reply_cases + i;
        const char *why = NULL;
        int ret = feed(&rd, c->lines, &why);

        if (ret != c->result) {
            unit_row_fail(&rows, "%s: got %d (%s), want %d", c->lines[0], ret, why ? why : "",
                          c->result);
            continue;
        }
        if (ret == -1) {
            if (why == NULL || strstr(why, c->why) == NULL)
                unit_row_fail(&rows, "%s: why \"%s\", want \"%s\"", c->lines[0], why ? why : "",
                              c->why);
            continue;
        }
        if (rd.r.code != c->code || strcmp(rd.r.dsn, c->dsn) != 0 || rd.r.enhanced != c->enhanced ||
            strcmp(rd.r.text, c->text) != 0 || rd.r.text_len != strlen(c->text) || rd.r.truncated)
            unit_row_fail(&rows, "%s: code %d dsn %s enhanced %d text \"%s\"", c->lines[0],
                          rd.r.code, rd.r.dsn, rd.r.enhanced, rd.r.text);
    }
    unit_rows_check(&rows);
}

/* The length is what counts, not a NUL: bytes past len are never read. */
static void test_reply_len(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    const char *why;

    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, "250 OKjunk", 6, &why), 1);
    assert_string_equal(rd.r.text, "OK");
    assert_int_equal(rd.r.nlines, 1);

    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, "250 O\0K", 7, &why), -1);
    assert_non_null(strstr(why, "NUL"));
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd,
                                     "\0"
                                     "50 OK",
                                     6, &why),
                     -1);
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, "250-a\nb", 7, &why), -1);
    assert_non_null(strstr(why, "LF"));
    /* A failure sticks until the next start; a NULL why is allowed. */
    assert_int_equal(smtp_reply_line(&rd, "250 OK", 6, NULL), -1);
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, "250 OK", 6, NULL), 1);
}

static void test_reply_limits(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    static char line[SMTP_REPLY_IN_LINE_MAX + 2];
    const char *why;
    int i;

    /* A line of exactly the limit is taken, one more octet is not. */
    memset(line, 'x', sizeof(line));
    memcpy(line, "250 ", 4);
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, line, SMTP_REPLY_IN_LINE_MAX, &why), 1);
    assert_int_equal(rd.r.text_len, SMTP_REPLY_IN_LINE_MAX - 4);
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, line, SMTP_REPLY_IN_LINE_MAX + 1, &why), -1);
    assert_non_null(strstr(why, "too long"));

    /* SMTP_REPLY_IN_LINES_MAX lines, the last one ending the reply. */
    smtp_reply_start(&rd);
    for (i = 0; i < SMTP_REPLY_IN_LINES_MAX - 1; i++)
        assert_int_equal(smtp_reply_line(&rd, "250-x", 5, &why), 0);
    assert_int_equal(smtp_reply_line(&rd, "250 x", 5, &why), 1);
    assert_int_equal(rd.r.nlines, SMTP_REPLY_IN_LINES_MAX);
    /* One more is refused. */
    smtp_reply_start(&rd);
    for (i = 0; i < SMTP_REPLY_IN_LINES_MAX; i++)
        assert_int_equal(smtp_reply_line(&rd, "250-x", 5, &why), 0);
    assert_int_equal(smtp_reply_line(&rd, "250 x", 5, &why), -1);
    assert_non_null(strstr(why, "too many"));

    /* The text stops at its limit, NUL-terminated, and says so. */
    memcpy(line, "250-", 4);
    smtp_reply_start(&rd);
    for (i = 0; i < 5; i++)
        assert_int_equal(smtp_reply_line(&rd, line, SMTP_REPLY_IN_LINE_MAX, &why), 0);
    assert_int_equal(smtp_reply_line(&rd, "250 end", 7, &why), 1);
    assert_int_equal(rd.r.text_len, SMTP_REPLY_IN_TEXT_MAX);
    assert_int_equal(strlen(rd.r.text), SMTP_REPLY_IN_TEXT_MAX);
    assert_true(rd.r.truncated);
    assert_int_equal(rd.r.nlines, 6);
}

static void reply_of(struct smtp_reply_reader *rd, const char *const *lines)
{
    const char *why = NULL;

    if (feed(rd, lines, &why) != 1)
        fail_msg("%s: %s", lines[0], why ? why : "incomplete");
}

static void test_oneline(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    char out[64];
    const char *l1[] = {"550 5.1.1 <x@y>: Recipient address rejected", NULL};
    const char *l2[] = {"550-5.1.1 The account", "550-", "550 5.1.1 does not exist.", NULL};
    const char *l3[] = {"421 bye\tnow\r\x1b[31m\x7f", NULL};
    const char *l4[] = {"250", NULL};
    const char *l5[] = {"451 4.3.0 caf\xc3\xa9", NULL};

    reply_of(&rd, l1);
    smtp_reply_oneline(&rd.r, out, sizeof(out));
    assert_string_equal(out, "550 5.1.1 <x@y>: Recipient address rejected");
    reply_of(&rd, l2);
    smtp_reply_oneline(&rd.r, out, sizeof(out));
    assert_string_equal(out, "550 5.1.1 The account does not exist.");
    reply_of(&rd, l3);
    smtp_reply_oneline(&rd.r, out, sizeof(out));
    assert_string_equal(out, "421 4.0.0 bye?now??[31m?");
    reply_of(&rd, l4);
    smtp_reply_oneline(&rd.r, out, sizeof(out));
    assert_string_equal(out, "250 2.0.0");
    reply_of(&rd, l5);
    smtp_reply_oneline(&rd.r, out, sizeof(out));
    assert_string_equal(out, "451 4.3.0 caf\xc3\xa9");

    /* Truncation: len - 1 octets and a NUL, whatever len is. */
    reply_of(&rd, l1);
    memset(out, '#', sizeof(out));
    smtp_reply_oneline(&rd.r, out, 16);
    assert_string_equal(out, "550 5.1.1 <x@y>");
    assert_int_equal(out[16], '#');
    smtp_reply_oneline(&rd.r, out, 5);
    assert_string_equal(out, "550 ");
    smtp_reply_oneline(&rd.r, out, 1);
    assert_string_equal(out, "");
    out[0] = '#';
    smtp_reply_oneline(&rd.r, out, 0);
    assert_int_equal(out[0], '#');
}

struct ehlo_case {
    const char *lines[MAX_LINES];
    unsigned ext;
    long long size_limit;
    unsigned auth_mechs;
};

static const struct ehlo_case ehlo_cases[] = {
    {{"250 mx.example"}, 0, 0, 0},
    /* The greeting line is the server's name, never a keyword. */
    {{"250-PIPELINING", "250 DSN"}, SMTP_EXT_DSN, 0, 0},
    {{"250-mx", "250-PIPELINING", "250-SIZE 10240000", "250-8BITMIME", "250-SMTPUTF8", "250 DSN"},
     SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_8BITMIME | SMTP_EXT_SMTPUTF8 | SMTP_EXT_DSN,
     10240000,
     0},
    {{"250-mx", "250-CHUNKING", "250-STARTTLS", "250-ENHANCEDSTATUSCODES", "250 AUTH PLAIN LOGIN"},
     SMTP_EXT_CHUNKING | SMTP_EXT_STARTTLS | SMTP_EXT_ENHANCEDSTATUSCODES | SMTP_EXT_AUTH,
     0,
     SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN},
    {{"250-mx", "250-pipelining", "250-size 100", "250-StartTls", "250 auth cram-md5 plain"},
     SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_STARTTLS | SMTP_EXT_AUTH,
     100,
     SMTP_AUTH_PLAIN},
    /* The old form, alone and beside the new one. */
    {{"250-mx", "250 AUTH=LOGIN"}, SMTP_EXT_AUTH, 0, SMTP_AUTH_LOGIN},
    {{"250-mx", "250-AUTH GSSAPI PLAIN", "250 AUTH=PLAIN LOGIN"},
     SMTP_EXT_AUTH,
     0,
     SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN},
    {{"250-mx", "250 AUTH"}, SMTP_EXT_AUTH, 0, 0},
    {{"250-mx", "250 AUTH XOAUTH2 PLAINX"}, SMTP_EXT_AUTH, 0, 0},
    /* SIZE: none, zero, odd spacing, malformed, too big. */
    {{"250-mx", "250 SIZE"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE 0"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE  52428800 "}, SMTP_EXT_SIZE, 52428800, 0},
    {{"250-mx", "250 SIZE 10M"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE -1"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE +5"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE 1 2"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE 4611686018427387904"}, SMTP_EXT_SIZE, 4611686018427387904LL, 0},
    {{"250-mx", "250 SIZE 4611686018427387905"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE 9223372036854775808"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE 99999999999999999999999999999999"}, SMTP_EXT_SIZE, 0, 0},
    {{"250-mx", "250 SIZE=100"}, 0, 0, 0},
    /* Garbage and near misses are ignored. */
    {{"250-mx", "250-", "250-  ", "250-X-FOO bar", "250-PIPELININGX", "250 \x01\xff=="}, 0, 0, 0},
    {{"250-mx", "250-PIPE", "250-8BITMIMES", "250 STARTTLS now"}, SMTP_EXT_STARTTLS, 0, 0},
    {{"250-mx", "250-  DSN", "250 2.0.0 CHUNKING"}, SMTP_EXT_DSN | SMTP_EXT_CHUNKING, 0, 0},
};

static void test_ehlo_table(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    struct unit_rows rows = {0};
    size_t i;

    for (i = 0; i < sizeof(ehlo_cases) / sizeof(ehlo_cases[0]); i++) {
        const struct ehlo_case *c = ehlo_cases + i;
        const char *why = NULL;
        struct smtp_ehlo e;

        if (feed(&rd, c->lines, &why) != 1) {
            unit_row_fail(&rows, "%s: %s", c->lines[1] ? c->lines[1] : c->lines[0],
                          why ? why : "incomplete");
            continue;
        }
        smtp_ehlo_parse(&rd.r, &e);
        if (e.ext != c->ext || e.size_limit != c->size_limit || e.auth_mechs != c->auth_mechs)
            unit_row_fail(&rows, "%s: ext %#x size %lld auth %#x", c->lines[1] ? c->lines[1] : "",
                          e.ext, e.size_limit, e.auth_mechs);
    }
    unit_rows_check(&rows);
}

static void test_ehlo_special(void **state UNUSED)
{
    static struct smtp_reply_reader rd;
    static char line[SMTP_REPLY_IN_LINE_MAX];
    const char *refused[] = {"554-mx", "554 PIPELINING", NULL};
    const char *why;
    struct smtp_ehlo e;
    size_t n;

    /* A refusal offers nothing. */
    reply_of(&rd, refused);
    smtp_ehlo_parse(&rd.r, &e);
    assert_int_equal(e.ext, 0);

    /*
     * A cut-off text: the last line that fits is "SIZE 10..." cut short,
     * and must not become a small limit.
     */
    smtp_reply_start(&rd);
    assert_int_equal(smtp_reply_line(&rd, "250-mx", 6, &why), 0);
    assert_int_equal(smtp_reply_line(&rd, "250-PIPELINING", 14, &why), 0);
    memset(line, 'x', sizeof(line));
    memcpy(line, "250-", 4);
    while (SMTP_REPLY_IN_TEXT_MAX - rd.r.text_len > SMTP_REPLY_IN_LINE_MAX - 4 + 1 + 8)
        assert_int_equal(smtp_reply_line(&rd, line, SMTP_REPLY_IN_LINE_MAX, &why), 0);
    /* Leave room for "\nSIZE 10" exactly. */
    n = SMTP_REPLY_IN_TEXT_MAX - rd.r.text_len - 1 - 8;
    assert_int_equal(smtp_reply_line(&rd, line, n + 4, &why), 0);
    assert_int_equal(smtp_reply_line(&rd, "250 SIZE 1000000000", 19, &why), 1);
    assert_true(rd.r.truncated);
    assert_string_equal(rd.r.text + rd.r.text_len - 8, "\nSIZE 10");
    smtp_ehlo_parse(&rd.r, &e);
    assert_int_equal(e.ext, SMTP_EXT_PIPELINING);
    assert_int_equal(e.size_limit, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_table),  cmocka_unit_test(test_reply_len),
        cmocka_unit_test(test_reply_limits), cmocka_unit_test(test_oneline),
        cmocka_unit_test(test_ehlo_table),   cmocka_unit_test(test_ehlo_special),
    };

    unit_init("test_smtp_reply");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
