/*
 * test_submit.c - what sendmail does to a message before postdrop: line
 * ends, the "." line, From_ lines, the size limit (input, fed in any
 * chunks); header edits: -t recipients (Resent- ones first), Bcc: and the
 * other dropped fields, the Message-Id:, Date: and From: added where
 * missing, the empty line before the body, and full names made safe.
 */
#include "unit.h"
#include "submit.h"

/* Feed in in chunks of size step (0: all at once); the text, or "TOO BIG". */
static void input(const char *in, size_t step, bool dot_ends, long long limit, char *out,
                  size_t len)
{
    struct submit_input si;
    size_t n = strlen(in), pos = 0;
    int r = 0;

    submit_input_init(&si, limit, dot_ends);
    while (pos < n && r == 0) {
        size_t take = step && n - pos > step ? step : n - pos;

        r = submit_input_feed(&si, (const unsigned char *)in + pos, take);
        pos += take;
    }
    if (r >= 0)
        r = submit_input_end(&si);
    if (r < 0 || (long long)si.text.len > limit)
        snprintf(out, len, "TOO BIG");
    else
        snprintf(out, len, "%s", buf_str(&si.text));
    submit_input_free(&si);
}

static void test_input(void **state UNUSED)
{
    static const struct {
        const char *in;
        bool dot_ends;
        const char *want;
    } cases[] = {
        {"a\nb\n", true, "a\nb\n"},
        {"a\r\nb\r\n", true, "a\nb\n"},
        {"a\r\r\nb", true, "a\nb\n"},      /* every CR before the LF; a last line gets its LF */
        {"a\rb\n", true, "a\rb\n"},        /* a CR inside a line stays */
        {"a\n.\nb\n", true, "a\n"},        /* the "." line ends it */
        {"a\n.\r\nb\n", true, "a\n"},      /* with CR LF too */
        {"a\n.", true, "a\n"},             /* and at the very end */
        {"a\n.\nb\n", false, "a\n.\nb\n"}, /* not with -i */
        {"a\n..\nb\n", true, "a\n..\nb\n"},
        {"a\n .\n", true, "a\n .\n"},
        {"From me Mon Jan 1\nSubject: x\n\nFrom here\n", true, "Subject: x\n\nFrom here\n"},
        {">From me\nFrom you\nX: y\n", true, "X: y\n"}, /* only at the start */
        {"", true, ""},
        {"\n", true, "\n"},
    };
    char out[256];
    size_t i, step;

    for (i = 0; i < COUNTOF(cases); i++) {
        for (step = 0; step < 4; step++) {
            input(cases[i].in, step, cases[i].dot_ends, 1000, out, sizeof(out));
            if (strcmp(out, cases[i].want) != 0)
                fail_msg("case %zu step %zu: got \"%s\"", i, step, out);
        }
    }
}

static void test_input_limit(void **state UNUSED)
{
    char out[64], *big = malloc(SUBMIT_INPUT_SLACK * 3);

    input("12345\n", 0, true, 6, out, sizeof(out));
    assert_string_equal(out, "12345\n");
    input("123456\n", 0, true, 6, out, sizeof(out));
    assert_string_equal(out, "TOO BIG");
    /* Input far over the limit stops being taken, whatever the chunks. */
    assert_non_null(big);
    memset(big, 'x', SUBMIT_INPUT_SLACK * 3 - 1);
    big[SUBMIT_INPUT_SLACK * 3 - 1] = 0;
    input(big, 1000, true, 10, out, sizeof(out));
    assert_string_equal(out, "TOO BIG");
    free(big);
}

static const struct submit_opts base_opts = {
    .sender = "alice@origin.example",
    .full_name = NULL,
    .hostname = "host.example",
    .now = {1700000000, 123456},
    .pid = 4242,
    .seq = 7,
};

/* The generated date of a "Date:" line (it has a "(ZONE)") becomes "*". */
static void mask_dates(char *out)
{
    char *line = out, *eol, *colon;

    for (; (eol = strchr(line, '\n')) != NULL; line = eol + 1) {
        colon = strstr(line, "Date: ");
        if (colon == NULL || colon > eol || memchr(line, '(', (size_t)(eol - line)) == NULL)
            continue;
        memmove(colon + 7, eol, strlen(eol) + 1);
        colon[6] = '*';
        eol = colon + 7;
    }
}

/* The message as queued, with generated dates masked. */
static int edit(const char *in, const struct submit_opts *o, char *out, size_t len,
                struct submit_msg *m)
{
    const char *why;
    int r = submit_headers((const unsigned char *)in, strlen(in), o, m, &why);

    if (r < 0) {
        snprintf(out, len, "ERR %s %s", m->bad_header, why);
        return r;
    }
    snprintf(out, len, "%s%s", buf_str(&m->header), in + m->body);
    mask_dates(out);
    return 0;
}

#define MID "Message-Id: <20231114221320.4242.123456.7@host.example>\n"

static void test_added_headers(void **state UNUSED)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"Subject: hi\n\nbody\n",
         "Subject: hi\n" MID "Date: *\nFrom: alice@origin.example\n\nbody\n"},
        {"body only\n", MID "Date: *\nFrom: alice@origin.example\n\nbody only\n"},
        {"\nbody\n", MID "Date: *\nFrom: alice@origin.example\n\nbody\n"},
        {"", MID "Date: *\nFrom: alice@origin.example\n"},
        {"Subject: x\nnot a field\n",
         "Subject: x\n" MID "Date: *\nFrom: alice@origin.example\n\nnot a field\n"},
        {"From: Bob <bob@x.example>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
         "Message-ID: <m@x>\n\nb\n",
         "From: Bob <bob@x.example>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n"
         "Message-ID: <m@x>\n\nb\n"},
        {"message-id: <m@x>\nFROM: b@x.example\n\nb\n",
         "message-id: <m@x>\nFROM: b@x.example\nDate: *\n\nb\n"},
        /* Resending: the Resent- ones are added. */
        {"From: a@x\nDate: d\nMessage-ID: <m@x>\nResent-To: r@y.example\nResent-Bcc: s@y\n\nb\n",
         "From: a@x\nDate: d\nMessage-ID: <m@x>\nResent-To: r@y.example\nResent-" MID
         "Resent-Date: *\nResent-From: alice@origin.example\n\nb\n"},
        /* Dropped whatever the options, as Postfix's cleanup drops them. */
        {"To: t@x.example\nBcc: secret@x.example\nReturn-Path: <forged@x>\n"
         "Content-Length: 3\n\nb\n",
         "To: t@x.example\n" MID "Date: *\nFrom: alice@origin.example\n\nb\n"},
        {"Bcc: folded@x.example,\n  more@x.example\nSubject: s\n\nb\n",
         "Subject: s\n" MID "Date: *\nFrom: alice@origin.example\n\nb\n"},
    };
    struct submit_msg m;
    char out[2048];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        assert_int_equal(edit(cases[i].in, &base_opts, out, sizeof(out), &m), 0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu: got\n%s\nwant\n%s", i, out, cases[i].want);
        assert_int_equal(m.rcpts.n, 0); /* no -t, no recipients */
        submit_msg_free(&m);
    }
}

static void test_from(void **state UNUSED)
{
    static const struct {
        const char *sender, *name, *want;
    } cases[] = {
        {"alice@o.example", "Alice Liddell", "From: Alice Liddell <alice@o.example>\n"},
        {"alice@o.example", "Liddell, Alice", "From: \"Liddell, Alice\" <alice@o.example>\n"},
        {"alice@o.example", "A \"q\" \\", "From: \"A \\\"q\\\" \\\\\" <alice@o.example>\n"},
        {"alice@o.example", "Evil\nBcc: x@y", "From: \"Evil Bcc: x@y\" <alice@o.example>\n"},
        {"alice@o.example", " \r\n ", "From: alice@o.example\n"},
        {"alice@o.example", "", "From: alice@o.example\n"},
        {"john doe@o.example", NULL, "From: \"john doe\"@o.example\n"},
        {"", "Nobody", "From: MAILER-DAEMON\n"},
    };
    struct submit_opts o = base_opts;
    struct submit_msg m;
    const char *why, *from;
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        o.sender = cases[i].sender;
        o.full_name = cases[i].name;
        assert_int_equal(submit_headers((const unsigned char *)"X: y\n\n", 6, &o, &m, &why), 0);
        from = strstr(buf_str(&m.header), "From: ");
        assert_non_null(from);
        if (strncmp(from, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got %s", i, from);
        submit_msg_free(&m);
    }
}

static void test_extract(void **state UNUSED)
{
    struct submit_opts o = base_opts;
    struct submit_msg m;
    char out[2048];

    o.extract = true;
    assert_int_equal(edit("To: A <a@x.example>, b@x.example\nCc: c@y.example (C)\n"
                          "Bcc: hidden@z.example\nSubject: s\n\nbody\n",
                          &o, out, sizeof(out), &m),
                     0);
    assert_int_equal(m.rcpts.n, 4);
    assert_string_equal(m.rcpts.addrs[3].local, "hidden");
    assert_null(strstr(out, "hidden"));
    submit_msg_free(&m);

    /* Resent- recipients, when there are any, are the only ones. */
    assert_int_equal(edit("To: old@x.example\nResent-To: new@x.example\nResent-Bcc: nb@x.example\n"
                          "\nb\n",
                          &o, out, sizeof(out), &m),
                     0);
    assert_int_equal(m.rcpts.n, 2);
    assert_string_equal(m.rcpts.addrs[0].local, "new");
    assert_string_equal(m.rcpts.addrs[1].local, "nb");
    submit_msg_free(&m);

    /* Groups and bare local parts. */
    assert_int_equal(
        edit("To: undisclosed-recipients:;\nBcc: root\n\nb\n", &o, out, sizeof(out), &m), 0);
    assert_int_equal(m.rcpts.n, 1);
    assert_string_equal(m.rcpts.addrs[0].local, "root");
    assert_string_equal(m.rcpts.addrs[0].domain, "");
    submit_msg_free(&m);

    /* A bad list is an error naming its field; without -t nobody looks. */
    assert_int_equal(edit("To: ok@x.example\nCc: John Smith\n\nb\n", &o, out, sizeof(out), &m), -1);
    assert_string_equal(out, "ERR Cc a name without an address");
    submit_msg_free(&m);
    o.extract = false;
    assert_int_equal(edit("To: ok@x.example\nCc: John Smith\n\nb\n", &o, out, sizeof(out), &m), 0);
    submit_msg_free(&m);
}

static void test_long_recipient_field(void **state UNUSED)
{
    struct submit_opts o = base_opts;
    struct submit_msg m;
    size_t n = HEADER_FIELD_MAX + 100, i;
    char *text = malloc(n + 16);
    const char *why;

    /* A To: longer than header.h keeps would lose recipients: refused. */
    assert_non_null(text);
    memcpy(text, "To: ", 4);
    for (i = 4; i < n; i++)
        text[i] = i % 10 == 0 ? ',' : 'a';
    memcpy(text + n, "@x.example\n\nb\n", 15);
    o.extract = true;
    assert_int_equal(submit_headers((unsigned char *)text, strlen(text), &o, &m, &why), -1);
    assert_string_equal(m.bad_header, "To");
    submit_msg_free(&m);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input),         cmocka_unit_test(test_input_limit),
        cmocka_unit_test(test_added_headers), cmocka_unit_test(test_from),
        cmocka_unit_test(test_extract),       cmocka_unit_test(test_long_recipient_field),
    };

    unsetenv("TZ");
    unit_init("test_submit");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
