/*
 * test_smtp_chunk.c - BDAT framing (smtp_chunk.h): the "size [LAST]"
 * argument and its limits, and the content conversion: CR LF to LF even
 * across chunk boundaries, bare LF and bare CR noted, one octet at a time
 * giving what the whole gives.
 */
#include "unit.h"
#include "smtp_chunk.h"

static void test_parse(void **state UNUSED)
{
    long long size;
    bool last;

    assert_int_equal(smtp_chunk_parse("0 LAST", &size, &last), 0);
    assert_true(size == 0 && last);
    assert_int_equal(smtp_chunk_parse("1", &size, &last), 0);
    assert_true(size == 1 && !last);
    assert_int_equal(smtp_chunk_parse("123 last", &size, &last), 0);
    assert_true(size == 123 && last);
    assert_int_equal(smtp_chunk_parse("999999999999999999", &size, &last), 0);
    assert_true(size == 999999999999999999LL);
    assert_int_equal(smtp_chunk_parse("0000000000000000001", &size, &last), -1); /* 19 digits */
    assert_int_equal(smtp_chunk_parse("", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("LAST", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("-1", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("+1", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("1x", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("1 LASTX", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("1 LAST x", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("1  LAST", &size, &last), -1);
    assert_int_equal(smtp_chunk_parse("1 MORE", &size, &last), -1);
}

/* Convert in as chunks of step octets (0: all at once); the result into out. */
static size_t convert(const char *in, size_t step, char *out, struct smtp_chunk_conv *c)
{
    size_t len = strlen(in), pos = 0, o = 0;

    memset(c, 0, sizeof(*c));
    if (step == 0)
        step = len ? len : 1;
    while (pos < len) {
        size_t n = len - pos < step ? len - pos : step;

        o += smtp_chunk_convert(c, (const unsigned char *)in + pos, n, (unsigned char *)out + o);
        pos += n;
    }
    o += smtp_chunk_finish(c, (unsigned char *)out + o);
    out[o] = 0;
    return o;
}

struct conv_case {
    const char *in, *out;
    bool bare_cr, bare_lf;
};

static const struct conv_case conv_cases[] = {
    {"", "", false, false},
    {"a\r\nb\r\n", "a\nb\n", false, false},
    {"a\nb", "a\nb", false, true},
    {"a\rb", "a\rb", true, false},
    {"a\r", "a\r", true, false},
    {"\r\r\n", "\r\n", true, false},
    {"\r\n.\r\n", "\n.\n", false, false}, /* no end of data, no dot-stuffing */
    {"..x\r\n", "..x\n", false, false},
};

static void test_convert(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i, step;

    for (i = 0; i < COUNTOF(conv_cases); i++) {
        const struct conv_case *c = conv_cases + i;

        for (step = 0; step <= 3; step++) {
            struct smtp_chunk_conv cv;
            char out[64];

            convert(c->in, step, out, &cv);
            if (strcmp(out, c->out) != 0 || cv.bare_cr != c->bare_cr || cv.bare_lf != c->bare_lf)
                unit_row_fail(&rows, "row %zu step %zu: \"%s\" cr %d lf %d", i, step, out,
                              cv.bare_cr, cv.bare_lf);
        }
    }
    unit_rows_check(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_convert),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
