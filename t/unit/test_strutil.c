/*
 * test_strutil.c - list splitting, strict integer parsing, bounded copy,
 * ASCII case helpers and the RFC 5322 date format (in fixed time zones, so
 * the result does not depend on the host's zone).
 */
#include "unit.h"
#include "strutil.h"

static void test_split_list(void **state UNUSED)
{
    static const struct {
        const char *in;
        const char *words[6];
    } cases[] = {
        {"", {NULL}},
        {"  ,, \t\n", {NULL}},
        {"one", {"one"}},
        {"a, b c,d", {"a", "b", "c", "d"}},
        {",a,,b,", {"a", "b"}},
        {"a\tb\nc\rd", {"a", "b", "c", "d"}},
        {"  $myhostname, localhost.$mydomain,localhost  ",
         {"$myhostname", "localhost.$mydomain", "localhost"}},
        {"127.0.0.0/8 [::1]/128", {"127.0.0.0/8", "[::1]/128"}},
        /* {...} groups stay whole, as in Postfix 3.0's lists */
        {"inline:{a=1, b=2}, hash:/x", {"inline:{a=1, b=2}", "hash:/x"}},
        {"static:{two words} x", {"static:{two words}", "x"}},
        {"inline:{ {k = v, w}, c=d }", {"inline:{ {k = v, w}, c=d }"}},
        {"a} b", {"a}", "b"}},
        {"unclosed:{a, b", {"unclosed:{a, b"}},
    };
    size_t i, j, n;

    for (i = 0; i < COUNTOF(cases); i++) {
        char **list = str_split_list(cases[i].in, &n);

        assert_non_null(list);
        for (j = 0; cases[i].words[j]; j++) {
            assert_non_null(list[j]);
            assert_string_equal(list[j], cases[i].words[j]);
        }
        assert_null(list[j]);
        assert_int_equal(n, j);
        str_list_free(list);
    }
    str_list_free(NULL);
}

static void test_split_list_many(void **state UNUSED)
{
    char text[4000];
    size_t i, o = 0, n = 0;
    char **list;

    for (i = 0; i < 500; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "w%zu,", i);
    list = str_split_list(text, NULL); /* n_r may be NULL */
    for (i = 0; list[i]; i++) {
        char want[16];

        snprintf(want, sizeof(want), "w%zu", i);
        assert_string_equal(list[i], want);
        n++;
    }
    assert_int_equal(n, 500);
    str_list_free(list);
}

static void test_to_ll(void **state UNUSED)
{
    static const struct {
        const char *in;
        long long min, max;
        int ret;
        long long val;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"10", 0, 10, 0, 10},
        {"11", 0, 10, -1, 0},
        {"-1", 0, 10, -1, 0},
        {"-5", -10, 10, 0, -5},
        {"007", 0, 10, 0, 7},
        {"9223372036854775807", LLONG_MIN, LLONG_MAX, 0, LLONG_MAX},
        {"-9223372036854775808", LLONG_MIN, LLONG_MAX, 0, LLONG_MIN},
        {"9223372036854775808", LLONG_MIN, LLONG_MAX, -1, 0},
        {"-9223372036854775809", LLONG_MIN, LLONG_MAX, -1, 0},
        {"", 0, 10, -1, 0},
        {"-", -10, 10, -1, 0},
        {"+5", 0, 10, -1, 0},
        {" 5", 0, 10, -1, 0},
        {"5 ", 0, 10, -1, 0},
        {"5x", 0, 10, -1, 0},
        {"0x10", 0, 100, -1, 0},
        {"1e3", 0, 10000, -1, 0},
        {"1.5", 0, 10, -1, 0},
        {"--5", -10, 10, -1, 0},
        {"- 5", -10, 10, -1, 0},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        long long v = 12345;
        int ret = str_to_ll(cases[i].in, cases[i].min, cases[i].max, &v);

        if (ret != cases[i].ret)
            fail_msg("\"%s\": returned %d", cases[i].in, ret);
        if (ret == 0)
            assert_true(v == cases[i].val);
        else
            assert_true(v == 12345); /* untouched on failure */
    }
}

static void test_copy(void **state UNUSED)
{
    char dst[8];

    memset(dst, 'z', sizeof(dst));
    assert_int_equal(str_copy(dst, "abcdef", 0), 6);
    assert_int_equal(dst[0], 'z'); /* size 0: nothing written */
    assert_int_equal(str_copy(dst, "abcdef", 1), 6);
    assert_string_equal(dst, "");
    assert_int_equal(str_copy(dst, "abcdef", 4), 6);
    assert_string_equal(dst, "abc");
    assert_int_equal(dst[4], 'z'); /* nothing past size */
    assert_int_equal(str_copy(dst, "abcdefg", sizeof(dst)), 7);
    assert_string_equal(dst, "abcdefg"); /* exact fit */
    assert_int_equal(str_copy(dst, "abcdefgh", sizeof(dst)), 8);
    assert_string_equal(dst, "abcdefg"); /* one over: truncated, terminated */
    assert_int_equal(str_copy(dst, "", sizeof(dst)), 0);
    assert_string_equal(dst, "");
}

static void test_case(void **state UNUSED)
{
    char s[] = "MiXeD-123_\xC3\x89Z";

    str_lower(s);
    assert_string_equal(s, "mixed-123_\xC3\x89z"); /* only ASCII letters change */
    assert_true(str_eq_nocase("Example.COM", "example.com"));
    assert_true(str_eq_nocase("", ""));
    assert_false(str_eq_nocase("abc", "abcd"));
    assert_false(str_eq_nocase("abcd", "abc"));
    assert_false(str_eq_nocase("abc", "abd"));
    assert_false(str_eq_nocase("\xC3\x89", "\xC3\xA9")); /* no locale folding */
    assert_true(str_prefix_nocase("MAIL FROM:<a@b>", "mail from:"));
    assert_true(str_prefix_nocase("abc", ""));
    assert_true(str_prefix_nocase("abc", "ABC"));
    assert_false(str_prefix_nocase("ma", "mail"));
    assert_false(str_prefix_nocase("", "a"));
    assert_false(str_prefix_nocase("rcpt", "mail"));
}

/* Format t in the POSIX time zone tz, then restore the previous zone. */
static void date_in_zone(const char *tz, time_t t, char *out, size_t len)
{
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;

    setenv("TZ", tz, 1);
    tzset();
    str_rfc5322_date(out, len, t);
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
}

static void test_is_word(void **state UNUSED)
{
    assert_true(str_is_word("smtp:192.0.2.7"));
    assert_true(str_is_word("~"));
    assert_false(str_is_word(""));
    assert_false(str_is_word("a b"));
    assert_false(str_is_word("a\tb"));
    assert_false(str_is_word("a\x7f"));
    assert_false(str_is_word("caf\xc3\xa9"));
}

static void test_date(void **state UNUSED)
{
    static const struct {
        const char *tz;
        time_t t;
        const char *want;
    } cases[] = {
        {"UTC0", 0, "Thu, 1 Jan 1970 00:00:00 +0000 (UTC)"},
        {"UTC0", 1700000000, "Tue, 14 Nov 2023 22:13:20 +0000 (UTC)"},
        {"UTC0", 951782400, "Tue, 29 Feb 2000 00:00:00 +0000 (UTC)"},
        {"XYZ5", 1700000000, "Tue, 14 Nov 2023 17:13:20 -0500 (XYZ)"},
        {"ABC-5:30", 1700000000, "Wed, 15 Nov 2023 03:43:20 +0530 (ABC)"},
        {"NEG3:45", 0, "Wed, 31 Dec 1969 20:15:00 -0345 (NEG)"},
    };
    char out[64];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        date_in_zone(cases[i].tz, cases[i].t, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("TZ=%s t=%lld: \"%s\", want \"%s\"", cases[i].tz, (long long)cases[i].t, out,
                     cases[i].want);
    }
}

static void test_date_shape(void **state UNUSED)
{
    char out[64], day[4], mon[4], zone[16], sign;
    int mday, year, hh, mm, ss, off, n = 0;

    /* Whatever the host's zone, the shape is fixed. */
    str_rfc5322_date(out, sizeof(out), time(NULL));
    assert_int_equal(sscanf(out, "%3[A-Za-z], %d %3[A-Za-z] %d %2d:%2d:%2d %c%4d (%15[^)])%n", day,
                            &mday, mon, &year, &hh, &mm, &ss, &sign, &off, zone, &n),
                     10);
    assert_int_equal((size_t)n, strlen(out));
    assert_int_equal(out[3], ',');
    assert_true(mday >= 1 && mday <= 31);
    assert_true(year >= 2020);
    assert_true(sign == '+' || sign == '-');
    assert_true(off % 100 < 60);

    /* A short buffer is truncated and still terminated. */
    date_in_zone("UTC0", 0, out, 10);
    assert_string_equal(out, "Thu, 1 Ja");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_list), cmocka_unit_test(test_split_list_many),
        cmocka_unit_test(test_to_ll),      cmocka_unit_test(test_copy),
        cmocka_unit_test(test_case),       cmocka_unit_test(test_date),
        cmocka_unit_test(test_date_shape), cmocka_unit_test(test_is_word),
    };

    unit_init("test_strutil");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
