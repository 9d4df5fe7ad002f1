/*
 * test_mime.c - the MIME structure parser: defaults without Content-Type,
 * multipart/mixed with text, 8-bit and base64 parts, nested multiparts,
 * message/rfc822 and digest defaults, quoted and commented parameters,
 * boundaries with spaces and transport padding, a missing closing
 * boundary, preamble and epilogue left outside the parts, CR LF input, and
 * the depth, parts and header-field limits degrading instead of failing.
 */
#include "unit.h"
#include "mime.h"
#include "buf.h"
#include "mymalloc.h"

static const char *enc_name(enum mime_encoding e)
{
    static const char *names[] = {"7bit", "8bit", "binary", "qp", "base64", "other"};

    return names[e];
}

/* The tree as text: type/subtype:encoding, "!" for 8-bit, children in []. */
static void describe(const struct mime_part *p, struct buf *b)
{
    for (; p; p = p->next) {
        (void)buf_printf(b, "%s/%s:%s%s", p->type, p->subtype, enc_name(p->encoding),
                         p->has_8bit ? "!" : "");
        if (p->children) {
            (void)buf_putc(b, '[');
            describe(p->children, b);
            (void)buf_putc(b, ']');
        }
        if (p->next)
            (void)buf_putc(b, ',');
    }
}

static struct mime_part *parse(const char *msg, const char *want)
{
    struct mime_part *root;
    struct buf b;
    const char *why = "unset";

    assert_int_equal(mime_parse((const unsigned char *)msg, strlen(msg), &root, &why), 0);
    assert_null(why);
    buf_init(&b, 65536);
    describe(root, &b);
    if (strcmp(buf_str(&b), want) != 0)
        fail_msg("tree %s, want %s", buf_str(&b), want);
    buf_free(&b);
    return root;
}

/* The body of p as a string, for comparison. */
static char *body(const char *msg, const struct mime_part *p)
{
    assert_true(p->header_start <= p->body_start && p->body_start <= p->body_end);
    return xstrndup(msg + p->body_start, p->body_end - p->body_start);
}

static void assert_body(const char *msg, const struct mime_part *p, const char *want)
{
    char *got = body(msg, p);

    assert_string_equal(got, want);
    free(got);
}

static void test_simple(void **state UNUSED)
{
    const char *m1 = "Subject: x\n\nhello\nworld\n";
    const char *m2 = "Subject: x\nContent-Type: TEXT/HTML; Charset=\"UTF-8\"\n"
                     "Content-Transfer-Encoding: 8Bit\n\nh\xc3\xa9llo";
    struct mime_part *r = parse(m1, "text/plain:7bit");

    assert_int_equal(r->header_start, 0);
    assert_int_equal(r->body_start, 12);
    assert_int_equal(r->body_end, strlen(m1));
    assert_int_equal(r->body_lines, 2);
    assert_string_equal(r->charset, "");
    mime_free(r);
    r = parse(m2, "text/html:8bit!");
    assert_string_equal(r->charset, "UTF-8");
    assert_int_equal(r->body_lines, 1);
    mime_free(r);
    /* Unusable Content-Type values keep the default (RFC 2045 5.2). */
    mime_free(parse("Content-Type: text\n\nx", "text/plain:7bit"));
    mime_free(parse("Content-Type: /plain\n\nx", "text/plain:7bit"));
    mime_free(parse("Content-Transfer-Encoding: x-uuencode\n\nx", "text/plain:other"));
    mime_free(parse("", "text/plain:7bit"));
}

static const char mixed[] = "From: a@b\n"
                            "MIME-Version: 1.0\n"
                            "Content-Type: multipart/mixed; boundary=\"=_b 1\"\n"
                            "\n"
                            "preamble\n"
                            "--=_b 1\n"
                            "\n"
                            "plain text\n"
                            "--=_b 1\n"
                            "Content-Type: text/plain; charset=iso-8859-1\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "\n"
                            "caf\xe9\n"
                            "--=_b 1  \n"
                            "Content-Type: application/octet-stream\n"
                            "Content-Transfer-Encoding: base64\n"
                            "\n"
                            "AAEC\n"
                            "--=_b 1--\n"
                            "epilogue\n";

static void test_mixed(void **state UNUSED)
{
    struct mime_part *r = parse(
        mixed,
        "multipart/mixed:7bit![text/plain:7bit,text/plain:8bit!,application/octet-stream:base64]");
    struct mime_part *c = r->children;

    assert_string_equal(r->boundary, "=_b 1");
    assert_false(r->gap_8bit);
    assert_body(mixed, c, "plain text");
    assert_int_equal(c->body_start, c->header_start + 1);
    assert_body(mixed, c->next, "caf\xe9");
    assert_string_equal(c->next->charset, "iso-8859-1");
    assert_body(mixed, c->next->next, "AAEC");
    /* The preamble and epilogue are the multipart's, in no part. */
    assert_true(strstr(mixed, "preamble") < mixed + c->header_start);
    assert_true(strstr(mixed, "epilogue") > mixed + c->next->next->body_end);
    mime_free(r);
}

static void test_nested(void **state UNUSED)
{
    const char *m = "Content-Type: multipart/mixed; boundary=outer\n\n"
                    "--outer\n"
                    "Content-Type: multipart/alternative; boundary=outer-inner\n\n"
                    "--outer-inner\n\nalt one\n"
                    "--outer-inner\nContent-Type: text/html\n\n<p>two</p>\n"
                    "--outer-inner--\n"
                    "--outer\nContent-Type: message/rfc822\n\n"
                    "Subject: inner\nContent-Type: multipart/digest; boundary=d\n\n"
                    "--d\n\nSubject: digested\n\nd1\n--d--\n"
                    "--outer--\n";
    struct mime_part *r = parse(
        m, "multipart/mixed:7bit[multipart/alternative:7bit[text/plain:7bit,text/html:7bit],"
           "message/rfc822:7bit[multipart/digest:7bit[message/rfc822:7bit[text/plain:7bit]]]]");
    struct mime_part *alt = r->children;

    assert_body(m, alt->children, "alt one");
    assert_body(m, alt->children->next, "<p>two</p>");
    assert_body(m, alt->next->children->children->children, "d1");
    mime_free(r);
}

static void test_params(void **state UNUSED)
{
    const char *m = "Content-Type: (c) Multipart (x) / (y) Mixed ; (c)\n"
                    "  foo=\"a;b\"; BOUNDARY = (why) \"q\\\"uo ted\" (z); charset=us-ascii\n\n"
                    "--q\"uo ted\n\none\n--q\"uo ted--\n";
    struct mime_part *r = parse(m, "multipart/mixed:7bit[text/plain:7bit]");

    assert_string_equal(r->boundary, "q\"uo ted");
    assert_string_equal(r->charset, "us-ascii");
    assert_body(m, r->children, "one");
    mime_free(r);
    /* No boundary, an empty one, an over-long one: a leaf. */
    mime_free(parse("Content-Type: multipart/mixed\n\n--x\n\ny\n", "multipart/mixed:7bit"));
    mime_free(
        parse("Content-Type: multipart/mixed; boundary=\"\"\n\n--\n\ny\n", "multipart/mixed:7bit"));
    mime_free(parse("Content-Type: multipart/mixed; boundary=a2345678901234567890123456789012345"
                    "6789012345678901234567890123456789012\n\n--x\n",
                    "multipart/mixed:7bit"));
    /* An encoded multipart is a leaf too: its boundaries cannot be trusted. */
    mime_free(parse("Content-Type: multipart/mixed; boundary=b\nContent-Transfer-Encoding: base64"
                    "\n\n--b\n\nx\n--b--\n",
                    "multipart/mixed:base64"));
}

static void test_missing_close(void **state UNUSED)
{
    const char *m = "Content-Type: multipart/mixed; boundary=b\n\n"
                    "--b\n\none\n--b\n\ntwo\n--bx\nnot a delimiter\n";
    struct mime_part *r = parse(m, "multipart/mixed:7bit[text/plain:7bit,text/plain:7bit]");

    assert_body(m, r->children->next, "two\n--bx\nnot a delimiter\n");
    mime_free(r);
    /* A delimiter directly after another: an empty part. */
    r = parse("Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\n\nx\n--b--\n",
              "multipart/mixed:7bit[text/plain:7bit,text/plain:7bit]");
    assert_int_equal(r->children->body_start, r->children->body_end);
    mime_free(r);
}

static void test_crlf(void **state UNUSED)
{
    const char *m = "Content-Type: multipart/mixed;\r\n boundary=b\r\n\r\n"
                    "--b\r\nContent-Type: text/plain\r\n\r\nl1\r\nl2\r\n--b--\r\n";
    struct mime_part *r = parse(m, "multipart/mixed:7bit[text/plain:7bit]");

    assert_body(m, r->children, "l1\r\nl2");
    assert_int_equal(r->children->body_lines, 2);
    mime_free(r);
}

/* depth nested multiparts, each with boundary b<level>. */
static char *nest(int depth)
{
    struct buf b;
    int i;

    buf_init(&b, 1 << 20);
    for (i = 0; i < depth; i++)
        (void)buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
    (void)buf_puts(&b, "\nleaf\n");
    for (i = depth - 1; i >= 0; i--)
        (void)buf_printf(&b, "--b%d--\n", i);
    return buf_steal(&b);
}

static int tree_depth(const struct mime_part *p)
{
    int d = 0;

    for (; p; p = p->children)
        d++;
    return d;
}

static void test_depth_limit(void **state UNUSED)
{
    char *m = nest(MIME_DEPTH_MAX);
    struct mime_part *r;
    const char *why = NULL;

    assert_int_equal(mime_parse((unsigned char *)m, strlen(m), &r, &why), 0);
    assert_int_equal(tree_depth(r), MIME_DEPTH_MAX + 1);
    mime_free(r);
    free(m);
    m = nest(MIME_DEPTH_MAX + 5);
    assert_int_equal(mime_parse((unsigned char *)m, strlen(m), &r, &why), 1);
    assert_non_null(why);
    assert_int_equal(tree_depth(r), MIME_DEPTH_MAX + 1);
    mime_free(r);
    free(m);
}

static void test_parts_limit(void **state UNUSED)
{
    struct buf b;
    struct mime_part *r, *c;
    const char *why = NULL;
    size_t n = 0, i;

    buf_init(&b, 1 << 20);
    (void)buf_puts(&b, "Content-Type: multipart/mixed; boundary=b\n\n");
    for (i = 0; i < MIME_PARTS_MAX + 10; i++)
        (void)buf_puts(&b, "--b\n\nx\n");
    (void)buf_puts(&b, "--b--\n");
    assert_int_equal(mime_parse(b.data, b.len, &r, &why), 1);
    assert_non_null(why);
    for (c = r->children; c; c = c->next)
        n++;
    assert_int_equal(n, MIME_PARTS_MAX - 1); /* the root is a part too */
    mime_free(r);
    buf_free(&b);
}

static void test_fields_limit(void **state UNUSED)
{
    struct buf b;
    struct mime_part *r;
    const char *why = NULL;
    size_t i;

    buf_init(&b, 1 << 20);
    for (i = 0; i < MIME_FIELDS_MAX; i++)
        (void)buf_puts(&b, "X-Filler: y\n");
    (void)buf_puts(&b, "Content-Type: text/html\n\nbody\n");
    assert_int_equal(mime_parse(b.data, b.len, &r, &why), 1);
    assert_non_null(why);
    assert_string_equal(r->type, "text"); /* the late field is ignored */
    assert_string_equal(r->subtype, "plain");
    assert_int_equal(r->body_start, b.len - 5); /* but the header still ends where it ends */
    mime_free(r);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),        cmocka_unit_test(test_mixed),
        cmocka_unit_test(test_nested),        cmocka_unit_test(test_params),
        cmocka_unit_test(test_missing_close), cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_depth_limit),   cmocka_unit_test(test_parts_limit),
        cmocka_unit_test(test_fields_limit),
    };

    unit_init("test_mime");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
