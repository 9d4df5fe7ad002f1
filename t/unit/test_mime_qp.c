/*
 * test_mime_qp.c - the 8BITMIME downgrade: the quoted-printable encoder
 * ('=' and 8-bit octets escaped, trailing white space escaped, soft breaks
 * keeping lines within 76 octets, hard line breaks kept, no line starting
 * with "--"), and whole messages converted part by part.  Every converted
 * message is checked "intact": it parses to the same tree, the converted
 * bodies decode (with the small decoder below, as any reader would) to the
 * original octets, and every other body is the same octets.
 */
#include "unit.h"
#include "mime_qp.h"
#include "mymalloc.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* RFC 2045 6.7 decoding; also checks the encoding's rules on every line. */
static void qp_decode(const unsigned char *s, size_t len, struct buf *out)
{
    size_t pos = 0;

    while (pos < len) {
        const unsigned char *lf = memchr(s + pos, '\n', len - pos);
        size_t n = lf ? (size_t)(lf - (s + pos)) : len - pos, next = pos + n + (lf ? 1 : 0), i;
        bool crlf = lf && n > 0 && s[pos + n - 1] == '\r', soft = false;

        if (crlf)
            n--;
        assert_true(n <= MIME_QP_LINE_MAX);
        assert_true(n < 2 || s[pos] != '-' || s[pos + 1] != '-');
        if (n > 0)
            assert_true(s[pos + n - 1] != ' ' && s[pos + n - 1] != '\t');
        for (i = pos; i < pos + n; i++) {
            assert_true(s[i] < 0x80);
            if (s[i] != '=') {
                (void)buf_putc(out, s[i]);
            } else if (i + 1 == pos + n) {
                soft = true;
            } else {
                assert_true(i + 2 < pos + n);
                assert_true(hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0);
                (void)buf_putc(out, hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
                i += 2;
            }
        }
        if (lf && !soft)
            (void)buf_puts(out, crlf ? "\r\n" : "\n");
        pos = next;
    }
}

static char *encode(const char *in, size_t len)
{
    struct buf b, d;

    buf_init(&b, 1 << 20);
    buf_init(&d, 1 << 20);
    assert_int_equal(mime_qp_encode((const unsigned char *)in, len, "\n", &b), 0);
    qp_decode(b.data, b.len, &d);
    assert_int_equal(d.len, len);
    assert_memory_equal(d.data, in, len);
    buf_free(&d);
    return buf_steal(&b);
}

static void test_encode(void **state UNUSED)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a=b\n", "a=3Db\n"},
        {"caf\xc3\xa9\n", "caf=C3=A9\n"},
        {"trailing  \nspace\t\nin side\n", "trailing =20\nspace=09\nin side\n"},
        {"end ", "end=20"},
        {"\xff\xfe\xfd", "=FF=FE=FD"},
        {"lf\xe9\r\nline ends\r\n", "lf=E9=0D\nline ends=0D\n"},
        {"bare\rcr\n", "bare=0Dcr\n"},
        {"--b\n- x\n-\n", "=2D-b\n- x\n-\n"},
        {"", ""},
        {"\n\n", "\n\n"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        char *got = encode(cases[i].in, strlen(cases[i].in));

        if (strcmp(got, cases[i].want) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s\"", i, got, cases[i].want);
        free(got);
    }
}

static void test_crlf_encode(void **state UNUSED)
{
    const char in[] = "crlf\xe9\r\nkept\r\nbare\rcr and lf\n";
    struct buf b;

    buf_init(&b, 1024);
    assert_int_equal(mime_qp_encode((const unsigned char *)in, sizeof(in) - 1, "\r\n", &b), 0);
    assert_string_equal(buf_str(&b), "crlf=E9\r\nkept\r\nbare=0Dcr and lf\n");
    buf_free(&b);
}

static void test_soft_breaks(void **state UNUSED)
{
    char in[400], *got;
    size_t i;

    /* 76 literal octets fit on one line; 77 do not. */
    memset(in, 'a', 77);
    got = encode(in, 76);
    assert_null(strchr(got, '\n'));
    free(got);
    got = encode(in, 77);
    assert_int_equal(strchr(got, '\n') - got, 76); /* 75 octets and the '=' */
    free(got);
    /* Escapes are never cut, and long mixed lines decode back (encode() checks). */
    for (i = 0; i < sizeof(in); i++)
        in[i] = (char)(i % 3 == 0 ? 0xe9 : (i % 7 == 0 ? ' ' : (i % 11 == 0 ? '=' : 'x')));
    in[sizeof(in) - 1] = '\n';
    free(encode(in, sizeof(in)));
    /* A soft break never leaves a line that starts with "--". */
    memset(in, '-', 300);
    free(encode(in, 300));
}

static bool is_converted(const struct mime_part *p)
{
    return !p->children && p->has_8bit && mime_encoding_is_identity(p->encoding);
}

/* Same tree; converted bodies decode to the original, others are the same octets. */
static void check_intact(const unsigned char *a, const struct mime_part *pa, const unsigned char *b,
                         const struct mime_part *pb)
{
    for (; pa; pa = pa->next, pb = pb->next) {
        struct buf d;

        assert_non_null(pb);
        assert_string_equal(pa->type, pb->type);
        assert_string_equal(pa->subtype, pb->subtype);
        assert_false(pb->has_8bit && mime_encoding_is_identity(pb->encoding) && !pb->children);
        if (pa->children) {
            check_intact(a, pa->children, b, pb->children);
            continue;
        }
        buf_init(&d, 1 << 20);
        if (is_converted(pa)) {
            assert_int_equal(pb->encoding, MIME_ENC_QP);
            qp_decode(b + pb->body_start, pb->body_end - pb->body_start, &d);
        } else {
            assert_int_equal(pb->encoding, pa->encoding);
            (void)buf_append(&d, b + pb->body_start, pb->body_end - pb->body_start);
        }
        assert_int_equal(d.len, pa->body_end - pa->body_start);
        assert_memory_equal(d.data, a + pa->body_start, d.len);
        buf_free(&d);
    }
    assert_null(pb);
}

/* Downgrade msg, check it intact, and return the output. */
static char *downgrade(const char *msg)
{
    struct mime_part *ra, *rb;
    struct buf out;

    buf_init(&out, 1 << 20);
    assert_int_equal(mime_downgrade((const unsigned char *)msg, strlen(msg), &out), 0);
    (void)mime_parse((const unsigned char *)msg, strlen(msg), &ra, NULL);
    (void)mime_parse(out.data, out.len, &rb, NULL);
    check_intact((const unsigned char *)msg, ra, out.data, rb);
    assert_false(mime_needs_downgrade(rb));
    mime_free(ra);
    mime_free(rb);
    return buf_steal(&out);
}

static void test_plain_message(void **state UNUSED)
{
    char *got = downgrade("Subject: caf\xe9\nTo: a@b\n\nna\xefve = yes \n");

    /* Headers stay as they are; MIME-Version comes with the encoding. */
    assert_string_equal(got, "Subject: caf\xe9\nTo: a@b\nMIME-Version: 1.0\n"
                             "Content-Transfer-Encoding: quoted-printable\n\nna=EFve =3D yes=20\n");
    free(got);
    got = downgrade("MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\nX: y\n\n\xe9\n");
    assert_string_equal(got, "MIME-Version: 1.0\nX: y\nContent-Transfer-Encoding: "
                             "quoted-printable\n\n=E9\n");
    free(got);
    got = downgrade("Subject: x\r\n\r\n\xe9 \r\n");
    assert_string_equal(got, "Subject: x\r\nMIME-Version: 1.0\r\n"
                             "Content-Transfer-Encoding: quoted-printable\r\n\r\n=E9=20\r\n");
    free(got);
}

static void test_seven_bit_untouched(void **state UNUSED)
{
    const char *m = "Subject: x\n\nplain = ascii  \n";
    struct mime_part *r;
    char *got = downgrade(m);

    assert_string_equal(got, m);
    free(got);
    (void)mime_parse((const unsigned char *)m, strlen(m), &r, NULL);
    assert_false(mime_needs_downgrade(r));
    mime_free(r);
}

static const char mixed[] = "MIME-Version: 1.0\n"
                            "Content-Type: multipart/mixed; boundary=\"b\"\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "\n"
                            "pre\xe9mble\n"
                            "--b\n"
                            "\n"
                            "plain text\n"
                            "--b\n"
                            "Content-Type: text/plain; charset=iso-8859-1\n"
                            "Content-Transfer-Encoding: 8BIT\n"
                            "\n"
                            "caf\xe9\n"
                            "--b\n"
                            "Content-Type: application/octet-stream\n"
                            "Content-Transfer-Encoding: base64\n"
                            "\n"
                            "AAEC\n"
                            "--b\n"
                            "Content-Type: message/rfc822\n"
                            "Content-Transfer-Encoding: 8bit\n"
                            "\n"
                            "Subject: inner\n"
                            "Content-Type: multipart/alternative; boundary=i\n"
                            "\n"
                            "--i\n"
                            "\n"
                            "\xe0 la\n"
                            "--i--\n"
                            "--b--\n"
                            "epilogue\n";

static void test_multipart(void **state UNUSED)
{
    char *got = downgrade(mixed);

    assert_string_equal(got, "MIME-Version: 1.0\n"
                             "Content-Type: multipart/mixed; boundary=\"b\"\n"
                             "Content-Transfer-Encoding: 7bit\n"
                             "\n"
                             "pre=E9mble\n"
                             "--b\n"
                             "\n"
                             "plain text\n"
                             "--b\n"
                             "Content-Type: text/plain; charset=iso-8859-1\n"
                             "Content-Transfer-Encoding: quoted-printable\n"
                             "\n"
                             "caf=E9\n"
                             "--b\n"
                             "Content-Type: application/octet-stream\n"
                             "Content-Transfer-Encoding: base64\n"
                             "\n"
                             "AAEC\n"
                             "--b\n"
                             "Content-Type: message/rfc822\n"
                             "Content-Transfer-Encoding: 7bit\n"
                             "\n"
                             "Subject: inner\n"
                             "Content-Type: multipart/alternative; boundary=i\n"
                             "\n"
                             "--i\n"
                             "Content-Transfer-Encoding: quoted-printable\n"
                             "\n"
                             "=E0 la\n"
                             "--i--\n"
                             "--b--\n"
                             "epilogue\n");
    free(got);
}

/* message/rfc822 nested past MIME_DEPTH_MAX, with an 8-bit body at the bottom. */
static char *downgrade_deep(void)
{
    struct buf b;
    char *got;
    int i;

    buf_init(&b, 1 << 20);
    for (i = 0; i < MIME_DEPTH_MAX + 3; i++)
        (void)buf_puts(&b, "Content-Type: message/rfc822\n\n");
    (void)buf_puts(&b, "Subject: bottom\n\n\xe9t\xe9\n");
    got = downgrade(buf_str(&b));
    /* The parts above it are 7bit already; the leaf (an inner message) is encoded. */
    assert_non_null(strstr(got, "Content-Type: message/rfc822\nMIME-Version: 1.0\n"
                                "Content-Transfer-Encoding: quoted-printable\n\n"
                                "Content-Type: message/rfc822\n"));
    assert_non_null(strstr(got, "=E9t=E9"));
    buf_free(&b);
    return got;
}

static void test_odd_parts(void **state UNUSED)
{
    char *got;

    /* A part whose body starts without an empty line gets one. */
    got = downgrade("Content-Type: multipart/mixed; boundary=b\n\n--b\nnot a field \xe9\n--b--\n");
    assert_string_equal(got, "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                             "Content-Transfer-Encoding: quoted-printable\n\n"
                             "not a field =E9\n--b--\n");
    free(got);
    /* A digest part without header or empty line: the inner message's new
     * fields must not become the part's own. */
    got = downgrade("Content-Type: multipart/digest; boundary=d\n\n--d\n\xe3\n--d--\n");
    assert_string_equal(got, "Content-Type: multipart/digest; boundary=d\n\n--d\n\n"
                             "MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n"
                             "=E3\n--d--\n");
    free(got);
    /* A long 8-bit line ending in the boundary stays inside its part. */
    free(downgrade(
        "Content-Type: multipart/mixed; boundary=b\n\n--b\n\n"
        "\xe9t\xe9: a line of text long enough to be soft-broken, ending in the boundary--b\n"
        "--b--\n"));
    /* A part at the depth limit is a leaf, and is encoded as a whole. */
    free(downgrade_deep());
}

static void test_out_limit(void **state UNUSED)
{
    struct buf out;

    buf_init(&out, 40);
    assert_int_equal(mime_downgrade((const unsigned char *)mixed, sizeof(mixed) - 1, &out), -1);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode),
        cmocka_unit_test(test_crlf_encode),
        cmocka_unit_test(test_soft_breaks),
        cmocka_unit_test(test_plain_message),
        cmocka_unit_test(test_seven_bit_untouched),
        cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_odd_parts),
        cmocka_unit_test(test_out_limit),
    };

    unit_init("test_mime_qp");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
