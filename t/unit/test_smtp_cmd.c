/*
 * test_smtp_cmd.c - the SMTP command line parser: every verb in any case,
 * arguments where they are allowed and refused where they are not, MAIL and
 * RCPT with their paths and ESMTP parameters, and the exact reply for each
 * kind of bad line (the server sends it as is).  Then the other direction:
 * replies of any length and content become lines RFC 5321 allows.
 */
#include "unit.h"
#include "buf.h"
#include "smtp_cmd.h"

struct cmd_case {
    const char *line;
    enum smtp_verb verb;
    const char *reply; /* NULL: must parse */
    const char *arg;   /* text argument, or the address (internal form) for MAIL/RCPT */
};

#define SYN_MAIL "501 5.5.4 Syntax: MAIL FROM:<address>"
#define SYN_RCPT "501 5.5.4 Syntax: RCPT TO:<address>"
#define BAD_SENDER "501 5.1.7 Bad sender address syntax"
#define BAD_RCPT "501 5.1.3 Bad recipient address syntax"
#define BAD_PARAM "555 5.5.4 Error: bad parameter syntax"
#define UNKNOWN "502 5.5.2 Error: command not recognized"
#define BAD_CHAR "500 5.5.2 Error: bad character in command"

static const struct cmd_case cases[] = {
    /* Every verb, and case does not matter. */
    {"HELO client.example", SMTP_VERB_HELO, NULL, "client.example"},
    {"helo client.example", SMTP_VERB_HELO, NULL, "client.example"},
    {"EHLO [192.0.2.1]", SMTP_VERB_EHLO, NULL, "[192.0.2.1]"},
    {"eHlO x", SMTP_VERB_EHLO, NULL, "x"},
    {"MAIL FROM:<a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"mail from:<a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"RCPT TO:<a@b.example>", SMTP_VERB_RCPT, NULL, "a@b.example"},
    {"Rcpt To:<a@b.example>", SMTP_VERB_RCPT, NULL, "a@b.example"},
    {"DATA", SMTP_VERB_DATA, NULL, ""},
    {"data", SMTP_VERB_DATA, NULL, ""},
    {"BDAT 100 LAST", SMTP_VERB_BDAT, NULL, "100 LAST"},
    {"RSET", SMTP_VERB_RSET, NULL, ""},
    {"NOOP", SMTP_VERB_NOOP, NULL, ""},
    {"noop anything at all", SMTP_VERB_NOOP, NULL, "anything at all"},
    {"QUIT", SMTP_VERB_QUIT, NULL, ""},
    {"quit", SMTP_VERB_QUIT, NULL, ""},
    {"VRFY user", SMTP_VERB_VRFY, NULL, "user"},
    {"EXPN list", SMTP_VERB_EXPN, NULL, "list"},
    {"HELP", SMTP_VERB_HELP, NULL, ""},
    {"HELP mail", SMTP_VERB_HELP, NULL, "mail"},
    {"STARTTLS", SMTP_VERB_STARTTLS, NULL, ""},
    {"starttls", SMTP_VERB_STARTTLS, NULL, ""},
    {"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=", SMTP_VERB_AUTH, NULL, "PLAIN dGVzdAB0ZXN0AHRlc3Q="},
    /* Trailing white space is not an argument. */
    {"QUIT   ", SMTP_VERB_QUIT, NULL, ""},
    {"DATA \t", SMTP_VERB_DATA, NULL, ""},
    {"HELO   spaced.example  ", SMTP_VERB_HELO, NULL, "spaced.example"},

    /* Paths. */
    {"MAIL FROM:<>", SMTP_VERB_MAIL, NULL, ""},
    {"MAIL FROM: <a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"MAIL FROM:   <a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"MAIL FROM:a@b.example", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"MAIL FROM:<\"a b\"@b.example>", SMTP_VERB_MAIL, NULL, "a b@b.example"},
    {"MAIL FROM:<@r.example:a@b.example>", SMTP_VERB_MAIL, NULL, "a@b.example"},
    {"RCPT TO:<postmaster>", SMTP_VERB_RCPT, NULL, "postmaster"},
    {"RCPT TO:<Postmaster>", SMTP_VERB_RCPT, NULL, "Postmaster"},
    {"RCPT TO:<u@[192.0.2.1]>", SMTP_VERB_RCPT, NULL, "u@[192.0.2.1]"},
    {"MAIL FROM:<a@b.example> ", SMTP_VERB_MAIL, NULL, "a@b.example"},

    /* Unknown commands. */
    {"", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {"   ", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {"FOO", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {"MAILX FROM:<a@b.example>", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {"MAI", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {" QUIT", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},
    {"GET / HTTP/1.0", SMTP_VERB_UNKNOWN, UNKNOWN, NULL},

    /* Arguments where none belong, or missing where one is required. */
    {"DATA x", SMTP_VERB_DATA, "501 5.5.4 Syntax: DATA", NULL},
    {"RSET now", SMTP_VERB_RSET, "501 5.5.4 Syntax: RSET", NULL},
    {"QUIT now", SMTP_VERB_QUIT, "501 5.5.4 Syntax: QUIT", NULL},
    {"STARTTLS x", SMTP_VERB_STARTTLS, "501 5.5.4 Syntax: STARTTLS", NULL},
    {"HELO", SMTP_VERB_HELO, "501 Syntax: HELO hostname", NULL},
    {"EHLO ", SMTP_VERB_EHLO, "501 Syntax: EHLO hostname", NULL},
    {"VRFY", SMTP_VERB_VRFY, "501 5.5.4 Syntax: VRFY address", NULL},
    {"BDAT", SMTP_VERB_BDAT, "501 5.5.4 Syntax: BDAT size [LAST]", NULL},
    {"AUTH", SMTP_VERB_AUTH, "501 5.5.4 Syntax: AUTH mechanism", NULL},
    {"MAIL", SMTP_VERB_MAIL, SYN_MAIL, NULL},
    {"MAIL FROM:", SMTP_VERB_MAIL, SYN_MAIL, NULL},
    {"MAIL FROM:   ", SMTP_VERB_MAIL, SYN_MAIL, NULL},
    {"MAIL TO:<a@b.example>", SMTP_VERB_MAIL, SYN_MAIL, NULL},
    {"MAIL FROM <a@b.example>", SMTP_VERB_MAIL, SYN_MAIL, NULL},
    {"RCPT", SMTP_VERB_RCPT, SYN_RCPT, NULL},
    {"RCPT FROM:<a@b.example>", SMTP_VERB_RCPT, SYN_RCPT, NULL},
    {"RCPT TO", SMTP_VERB_RCPT, SYN_RCPT, NULL},

    /* Bad addresses. */
    {"MAIL FROM:<a@b.example", SMTP_VERB_MAIL, BAD_SENDER, NULL},
    {"MAIL FROM:<postmaster>", SMTP_VERB_MAIL, BAD_SENDER, NULL},
    {"MAIL FROM:<a@b.example>x", SMTP_VERB_MAIL, BAD_SENDER, NULL},
    {"MAIL FROM:<a@-b.example>", SMTP_VERB_MAIL, BAD_SENDER, NULL},
    {"MAIL FROM:<a..b@b.example>", SMTP_VERB_MAIL, BAD_SENDER, NULL},
    {"RCPT TO:<>", SMTP_VERB_RCPT, BAD_RCPT, NULL},
    {"RCPT TO:<bad@>", SMTP_VERB_RCPT, BAD_RCPT, NULL},
    {"RCPT TO:<a b@c.example>", SMTP_VERB_RCPT, BAD_RCPT, NULL},
    {"RCPT TO:<u@[300.0.0.1]>", SMTP_VERB_RCPT, BAD_RCPT, NULL},

    /* Bad parameters. */
    {"MAIL FROM:<a@b.example> SIZE=", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> =100", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SIZE==1", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SIZE=1=2", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SI_ZE=1", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> -SIZE=1", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SIZE=1\tBODY=7BIT", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SIZE=\x7f", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"MAIL FROM:<a@b.example> SIZE=caf\xc3\xa9", SMTP_VERB_MAIL, BAD_PARAM, NULL},
    {"RCPT TO:<a@b.example> NOTIFY=", SMTP_VERB_RCPT, BAD_PARAM, NULL},

    /* Bytes that never belong in a command line. */
    {"QUIT\r", SMTP_VERB_UNKNOWN, BAD_CHAR, NULL},
    {"NOOP a\nb", SMTP_VERB_UNKNOWN, BAD_CHAR, NULL},
    {"MAIL FROM:<a@b.example>\r", SMTP_VERB_UNKNOWN, BAD_CHAR, NULL},
};

static void test_table(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        const struct cmd_case *c = cases + i;
        size_t len = strlen(c->line);
        unsigned char *copy = malloc(len ? len : 1); /* not NUL-terminated */
        struct smtp_cmd cmd;
        const char *reply = NULL;
        char shown[128];
        int ret;

        assert_non_null(copy);
        memcpy(copy, c->line, len);
        unit_escape(c->line, shown, sizeof(shown));
        ret = smtp_cmd_parse(copy, len, &cmd, &reply);
        if (cmd.verb != c->verb)
            unit_row_fail(&rows, "%s: verb %d, want %d", shown, cmd.verb, c->verb);
        if (c->reply == NULL) {
            if (ret != 0) {
                unit_row_fail(&rows, "%s: refused: %s", shown, reply);
            } else if (c->verb == SMTP_VERB_MAIL || c->verb == SMTP_VERB_RCPT) {
                char addr[MAIL_ADDR_TEXT_MAX + 1];

                mail_addr_internal(&cmd.addr, addr, sizeof(addr));
                if (strcmp(addr, c->arg) != 0)
                    unit_row_fail(&rows, "%s: address \"%s\"", shown, addr);
            } else if (strcmp(cmd.arg, c->arg) != 0) {
                unit_row_fail(&rows, "%s: argument \"%s\"", shown, cmd.arg);
            }
        } else if (ret != -1) {
            unit_row_fail(&rows, "%s: accepted", shown);
        } else if (reply == NULL || strcmp(reply, c->reply) != 0) {
            unit_row_fail(&rows, "%s: reply \"%s\", want \"%s\"", shown, reply ? reply : "(null)",
                          c->reply);
        }
        free(copy);
    }
    unit_rows_check(&rows);
}

static int parse(const char *line, struct smtp_cmd *cmd, const char **reply)
{
    return smtp_cmd_parse((const unsigned char *)line, strlen(line), cmd, reply);
}

static void test_names(void **state UNUSED)
{
    static const char *const verbs[] = {
        "HELO x", "EHLO x", "MAIL FROM:<>", "RCPT TO:<a@b>", "DATA", "BDAT 1",   "RSET",
        "NOOP",   "QUIT",   "VRFY x",       "EXPN x",        "HELP", "STARTTLS", "AUTH PLAIN"};
    struct smtp_cmd cmd;
    const char *reply;
    char lower[64];
    size_t i, j;

    for (i = 0; i < COUNTOF(verbs); i++) {
        /* The canonical name is upper case whatever the client sent. */
        for (j = 0; verbs[i][j] && j + 1 < sizeof(lower); j++)
            lower[j] = (char)tolower((unsigned char)verbs[i][j]);
        lower[j] = 0;
        assert_int_equal(parse(lower, &cmd, &reply), 0);
        assert_int_equal(strncmp(cmd.name, verbs[i], strlen(cmd.name)), 0);
        assert_int_equal(cmd.verb, (enum smtp_verb)(SMTP_VERB_HELO + i));
    }
    assert_int_equal(parse("BOGUS", &cmd, &reply), -1);
    assert_string_equal(cmd.name, "unknown");
    assert_int_equal(cmd.verb, SMTP_VERB_UNKNOWN);
}

static void test_params(void **state UNUSED)
{
    struct smtp_cmd cmd;
    const struct smtp_param *sp;
    const char *reply = NULL;

    assert_int_equal(parse("MAIL FROM:<a@b.example> SIZE=100 BODY=8BITMIME", &cmd, &reply), 0);
    assert_int_equal(cmd.nparams, 2);
    sp = smtp_cmd_param(&cmd, "SIZE");
    assert_non_null(sp);
    assert_true(sp->has_value);
    assert_string_equal(sp->value, "100");
    sp = smtp_cmd_param(&cmd, "BODY");
    assert_non_null(sp);
    assert_string_equal(sp->value, "8BITMIME");
    assert_null(smtp_cmd_param(&cmd, "size")); /* keys are stored upper case */
    assert_null(smtp_cmd_param(&cmd, "AUTH"));

    /* Keys are folded; values are kept as sent; a key alone has no value. */
    assert_int_equal(parse("MAIL FROM: <a@b.example>  size=5  smtputf8 auth=<>  ", &cmd, &reply),
                     0);
    assert_int_equal(cmd.nparams, 3);
    assert_string_equal(cmd.params[0].key, "SIZE");
    assert_string_equal(cmd.params[1].key, "SMTPUTF8");
    assert_false(cmd.params[1].has_value);
    assert_string_equal(cmd.params[1].value, "");
    assert_string_equal(cmd.params[2].key, "AUTH");
    assert_string_equal(cmd.params[2].value, "<>");

    assert_int_equal(
        parse("RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;A+40b", &cmd, &reply), 0);
    assert_string_equal(smtp_cmd_param(&cmd, "NOTIFY")->value, "SUCCESS,FAILURE");
    assert_string_equal(smtp_cmd_param(&cmd, "ORCPT")->value, "rfc822;A+40b");
    assert_int_equal(parse("MAIL FROM:a@b.example SIZE=7", &cmd, &reply), 0);
    assert_string_equal(smtp_cmd_param(&cmd, "SIZE")->value, "7");
    assert_int_equal(parse("MAIL FROM:<> X-KEY-1=v", &cmd, &reply), 0);
    assert_string_equal(cmd.params[0].key, "X-KEY-1");
}

static void test_param_limits(void **state UNUSED)
{
    char line[2048], key[SMTP_PARAM_KEY_MAX + 2], value[SMTP_PARAM_VALUE_MAX + 2];
    struct smtp_cmd cmd;
    const char *reply;
    size_t o;
    int i;

    memset(key, 'K', sizeof(key) - 2);
    key[SMTP_PARAM_KEY_MAX] = 0;
    snprintf(line, sizeof(line), "MAIL FROM:<> %s=1", key);
    assert_int_equal(parse(line, &cmd, &reply), 0);
    key[SMTP_PARAM_KEY_MAX] = 'K';
    key[SMTP_PARAM_KEY_MAX + 1] = 0;
    snprintf(line, sizeof(line), "MAIL FROM:<> %s=1", key);
    assert_int_equal(parse(line, &cmd, &reply), -1);
    assert_string_equal(reply, BAD_PARAM);

    memset(value, 'v', sizeof(value) - 2);
    value[SMTP_PARAM_VALUE_MAX] = 0;
    snprintf(line, sizeof(line), "MAIL FROM:<> K=%s", value);
    assert_int_equal(parse(line, &cmd, &reply), 0);
    assert_int_equal(strlen(cmd.params[0].value), SMTP_PARAM_VALUE_MAX);
    value[SMTP_PARAM_VALUE_MAX] = 'v';
    value[SMTP_PARAM_VALUE_MAX + 1] = 0;
    snprintf(line, sizeof(line), "MAIL FROM:<> K=%s", value);
    assert_int_equal(parse(line, &cmd, &reply), -1);
    assert_string_equal(reply, BAD_PARAM);

    /* SMTP_PARAM_MAX parameters, then one too many. */
    o = (size_t)snprintf(line, sizeof(line), "RCPT TO:<a@b.example>");
    for (i = 0; i < SMTP_PARAM_MAX; i++)
        o += (size_t)snprintf(line + o, sizeof(line) - o, " P%d=%d", i, i);
    assert_int_equal(parse(line, &cmd, &reply), 0);
    assert_int_equal(cmd.nparams, SMTP_PARAM_MAX);
    assert_string_equal(cmd.params[SMTP_PARAM_MAX - 1].value, "15");
    snprintf(line + o, sizeof(line) - o, " EXTRA");
    assert_int_equal(parse(line, &cmd, &reply), -1);
    assert_string_equal(reply, "555 5.5.4 Error: too many parameters");
}

static void test_arg_limit(void **state UNUSED)
{
    char line[SMTP_ARG_MAX + 20];
    struct smtp_cmd cmd;
    const char *reply;

    memcpy(line, "HELO ", 5);
    memset(line + 5, 'h', SMTP_ARG_MAX);
    line[5 + SMTP_ARG_MAX] = 0;
    assert_int_equal(parse(line, &cmd, &reply), 0);
    assert_int_equal(strlen(cmd.arg), SMTP_ARG_MAX);
    line[5 + SMTP_ARG_MAX] = 'h';
    line[6 + SMTP_ARG_MAX] = 0;
    assert_int_equal(parse(line, &cmd, &reply), -1);
    assert_string_equal(reply, "501 5.5.4 Error: argument too long");
    assert_int_equal(cmd.verb, SMTP_VERB_HELO);
}

static void test_nul_in_line(void **state UNUSED)
{
    static const unsigned char quit_nul[] = {'Q', 'U', 'I', 'T', 0};
    static const unsigned char helo_nul[] = {'H', 'E', 'L', 'O', ' ', 'a', 0, 'b'};
    struct smtp_cmd cmd;
    const char *reply;

    assert_int_equal(smtp_cmd_parse(quit_nul, sizeof(quit_nul), &cmd, &reply), -1);
    assert_string_equal(reply, BAD_CHAR);
    assert_int_equal(smtp_cmd_parse(helo_nul, sizeof(helo_nul), &cmd, &reply), -1);
    assert_string_equal(reply, BAD_CHAR);
    /* The length is what counts: a shorter one never sees the NUL. */
    assert_int_equal(smtp_cmd_parse(quit_nul, 4, &cmd, &reply), 0);
    assert_int_equal(cmd.verb, SMTP_VERB_QUIT);
}

/* Replies ----------------------------------------------------------------- */

struct reply_case {
    const char *in;
    const char *wire;
    int lines;
};

static const struct reply_case reply_cases[] = {
    {"250 2.0.0 Ok", "250 2.0.0 Ok\r\n", 1},
    {"220 mx.example ESMTP Postern", "220 mx.example ESMTP Postern\r\n", 1},
    {"250-PIPELINING", "250-PIPELINING\r\n", 1}, /* the caller continues the reply */
    {"250", "250\r\n", 1},
    {"250-", "250-\r\n", 1},
    {"550 5.1.1", "550 5.1.1\r\n", 1},
    {"550 5.1.1 ", "550 5.1.1\r\n", 1},
    /* RFC 4954: an empty AUTH challenge is "334 " */
    {"334 ", "334 \r\n", 1},
    {"334 VXNlcm5hbWU6", "334 VXNlcm5hbWU6\r\n", 1},
    {"221 2.0.0 Bye", "221 2.0.0 Bye\r\n", 1},
    /* not an enhanced code: a different class, too many digits, no space after */
    {"550 4.1.1 x", "550 4.1.1 x\r\n", 1},
    {"550 5.1234.1 x", "550 5.1234.1 x\r\n", 1},
    /* LF starts a new line (CR LF too); the code is repeated */
    {"550 5.7.1 one\ntwo", "550-5.7.1 one\r\n550 5.7.1 two\r\n", 2},
    {"550 5.7.1 one\r\ntwo\n", "550-5.7.1 one\r\n550 5.7.1 two\r\n", 2},
    {"554 one\n\nthree", "554-one\r\n554-\r\n554 three\r\n", 3},
    {"550 5.7.1 a\n\nb", "550-5.7.1 a\r\n550-5.7.1\r\n550 5.7.1 b\r\n", 3},
    /* nothing that could end a line or confuse a terminal survives */
    {"550 5.7.1 a\rb\x01"
     "c\x7f"
     "d\te",
     "550 5.7.1 a?b?c?d\te\r\n", 1},
};

static const char *escape_wire(const char *in, char *out, size_t len)
{
    return unit_escape(in, out, len);
}

static void test_reply_table(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(reply_cases); i++) {
        const struct reply_case *c = reply_cases + i;
        struct buf out;
        char e1[256], e2[256], e3[256];
        int n;

        buf_init(&out, SMTP_REPLY_WIRE_MAX);
        n = smtp_cmd_format_reply(c->in, strlen(c->in), &out);
        if (n != c->lines || strcmp(buf_str(&out), c->wire) != 0)
            unit_row_fail(&rows, "\"%s\": %d lines \"%s\", want %d \"%s\"",
                          escape_wire(c->in, e1, sizeof(e1)), n,
                          escape_wire(buf_str(&out), e2, sizeof(e2)), c->lines,
                          escape_wire(c->wire, e3, sizeof(e3)));
        buf_free(&out);
    }
    unit_rows_check(&rows);
}

static void test_reply_not_a_reply(void **state UNUSED)
{
    static const char *const bad[] = {"", "25", "Ok", "150 x", "650 x", "2x0 x", "250x"};
    struct buf out;
    size_t i;

    buf_init(&out, SMTP_REPLY_WIRE_MAX);
    assert_int_equal(buf_puts(&out, "kept"), 0);
    for (i = 0; i < COUNTOF(bad); i++) {
        assert_int_equal(smtp_cmd_format_reply(bad[i], strlen(bad[i]), &out), -1);
        assert_string_equal(buf_str(&out), "kept");
    }
    buf_free(&out);
}

/*
 * Every line of a formatted reply is legal: at most 512 octets with CR LF,
 * the same code (and enhanced code, if prefix has one) on each, '-' on all
 * but the last.  Appends the text the lines carry to text, joined by sep
 * (0: nothing between them).
 */
static void check_reply_lines(const struct buf *wire, const char *prefix, int lines,
                              struct buf *text, char sep)
{
    const char *p = buf_str(wire), *end = p + wire->len;
    size_t plen = strlen(prefix);
    int n = 0;

    while (p < end) {
        const char *crlf = strstr(p, "\r\n");
        size_t len;

        assert_non_null(crlf);
        len = (size_t)(crlf - p);
        assert_true(len + 2 <= SMTP_REPLY_LINE_MAX);
        assert_true(memchr(p, '\n', len) == NULL && memchr(p, '\r', len) == NULL);
        assert_memory_equal(p, prefix, 3);
        n++;
        assert_int_equal(p[3], crlf + 2 == end ? ' ' : '-');
        assert_true(len >= plen);
        assert_memory_equal(p + 4, prefix + 4, plen - 4);
        if (text->len > 0 && sep != 0)
            assert_int_equal(buf_putc(text, sep), 0);
        assert_int_equal(buf_append(text, p + plen, len - plen), 0);
        p = crlf + 2;
    }
    assert_int_equal(n, lines);
}

static void test_reply_wrapping(void **state UNUSED)
{
    char in[2048];
    struct buf out, text;
    size_t i;
    int n;

    /* A line of exactly 512 octets with CR LF stays one line; one more wraps. */
    buf_init(&out, SMTP_REPLY_WIRE_MAX);
    buf_init(&text, SMTP_REPLY_WIRE_MAX);
    memcpy(in, "550 5.7.1 ", 10);
    memset(in + 10, 'x', 500);
    in[510] = 0;
    assert_int_equal(smtp_cmd_format_reply(in, 510, &out), 1);
    assert_int_equal(out.len, 512);
    buf_reset(&out);
    in[510] = 'y';
    in[511] = 0;
    n = smtp_cmd_format_reply(in, 511, &out);
    assert_int_equal(n, 2);
    check_reply_lines(&out, "550 5.7.1 ", 2, &text, 0);
    assert_int_equal(text.len, 501); /* no space to break at: cut, nothing lost */
    assert_true(strstr(buf_str(&out), "\r\n550 5.7.1 y\r\n") != NULL);

    /* Words are not split: the break is at the last space that fits. */
    buf_reset(&out);
    buf_reset(&text);
    memcpy(in, "554 5.7.1 ", 10);
    for (i = 10; i < 1500; i++)
        in[i] = i % 10 == 9 ? ' ' : (char)('a' + i % 10);
    in[1500] = 0;
    n = smtp_cmd_format_reply(in, 1500, &out);
    assert_int_equal(n, 3);
    check_reply_lines(&out, "554 5.7.1 ", 3, &text, ' ');
    assert_string_equal(buf_str(&text), in + 10);

    /* Without an enhanced code only the code is repeated. */
    buf_reset(&out);
    buf_reset(&text);
    memcpy(in, "220 ", 4);
    memset(in + 4, 'b', 1200);
    in[1204] = 0;
    n = smtp_cmd_format_reply(in, 1204, &out);
    assert_int_equal(n, 3);
    check_reply_lines(&out, "220 ", 3, &text, 0);
    assert_int_equal(text.len, 1200);

    /* A continued line ("250-...") keeps '-' on its last line too. */
    buf_reset(&out);
    memcpy(in, "250-", 4);
    memset(in + 4, 'c', 700);
    assert_int_equal(smtp_cmd_format_reply(in, 704, &out), 2);
    assert_int_equal(out.len, 4 + 506 + 2 + 4 + 194 + 2);
    assert_memory_equal(buf_str(&out), "250-", 4);
    assert_memory_equal(buf_str(&out) + 512, "250-", 4);
    buf_free(&out);
    buf_free(&text);
}

static void test_reply_total_cap(void **state UNUSED)
{
    size_t len = 100000;
    char *in = malloc(len + 1);
    struct buf out, text;
    int n;

    assert_non_null(in);
    memcpy(in, "550 5.7.1 ", 10);
    memset(in + 10, 'z', len - 10);
    in[len] = 0;
    buf_init(&out, SMTP_REPLY_WIRE_MAX);
    buf_init(&text, SMTP_REPLY_WIRE_MAX);
    n = smtp_cmd_format_reply(in, len, &out);
    assert_true(n > 1 && n < 20);
    check_reply_lines(&out, "550 5.7.1 ", n, &text, 0);
    assert_int_equal(text.len, SMTP_REPLY_TEXT_MAX - 10); /* cut, not refused */
    assert_true(out.len <= SMTP_REPLY_WIRE_MAX);

    /* Many short lines: cut at SMTP_REPLY_LINES_MAX, the last one still final. */
    buf_reset(&out);
    buf_reset(&text);
    memcpy(in, "451 4.3.0 ", 10);
    memset(in + 10, '\n', 1000);
    assert_int_equal(smtp_cmd_format_reply(in, 1010, &out), SMTP_REPLY_LINES_MAX);
    check_reply_lines(&out, "451 4.3.0", SMTP_REPLY_LINES_MAX, &text, 0);
    free(in);
    buf_free(&out);
    buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_names),
        cmocka_unit_test(test_params),         cmocka_unit_test(test_param_limits),
        cmocka_unit_test(test_arg_limit),      cmocka_unit_test(test_nul_in_line),
        cmocka_unit_test(test_reply_table),    cmocka_unit_test(test_reply_not_a_reply),
        cmocka_unit_test(test_reply_wrapping), cmocka_unit_test(test_reply_total_cap),
    };

    unit_init("test_smtp_cmd");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
