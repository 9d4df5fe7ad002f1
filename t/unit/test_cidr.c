/*
 * test_cidr.c - network patterns: IPv4 and IPv6 with and without prefix
 * lengths, brackets, prefix boundaries, host bits rejected, and IPv4-mapped
 * IPv6 clients matching IPv4 patterns (but not the other way round).
 */
#include "unit.h"
#include "cidr.h"

struct match_case {
    const char *pattern;
    const char *yes[6]; /* addresses inside */
    const char *no[6];  /* addresses outside */
};

static const struct match_case matches[] = {
    {"192.0.2.0/24",
     {"192.0.2.0", "192.0.2.255", "192.0.2.77", "::ffff:192.0.2.7"},
     {"192.0.3.0", "192.0.1.255", "::ffff:192.0.3.1", "2001:db8::1", "::192.0.2.1", "junk"}},
    {"127.0.0.1", {"127.0.0.1", "::ffff:127.0.0.1"}, {"127.0.0.2", "::1", "127.0.0.0"}},
    {"0.0.0.0/0", {"0.0.0.0", "255.255.255.255", "::ffff:10.1.2.3"}, {"::1", "::", "2001:db8::"}},
    {"192.0.2.128/25", {"192.0.2.128", "192.0.2.255"}, {"192.0.2.127", "192.0.2.0", "192.0.3.128"}},
    {"10.128.0.0/9", {"10.128.0.0", "10.255.255.255"}, {"10.127.255.255", "11.128.0.0"}},
    {"[2001:db8::]/32",
     {"2001:db8::1", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:DB8::A"},
     {"2001:db9::1", "2001:db7:ffff::", "192.0.2.1", "::ffff:192.0.2.1"}},
    {"2001:db8::/33", {"2001:db8:7fff::", "2001:db8::"}, {"2001:db8:8000::", "2001:db9::"}},
    {"[::1]/128", {"::1", "0:0:0:0:0:0:0:1"}, {"::2", "127.0.0.1", "::"}},
    {"::1", {"::1"}, {"::0"}},
    {"::/0", {"::", "2001:db8::1", "::ffff:192.0.2.1"}, {"192.0.2.1", "0.0.0.0"}},
    {"[::ffff:192.0.2.0]/120", {"::ffff:192.0.2.1"}, {"::ffff:192.0.3.1", "192.0.2.1"}},
};

static void test_match_table(void **state UNUSED)
{
    size_t i, j;

    for (i = 0; i < COUNTOF(matches); i++) {
        const struct match_case *m = matches + i;
        struct cidr c;
        const char *why = NULL;

        if (cidr_parse(m->pattern, &c, &why) != 0)
            fail_msg("%s: %s", m->pattern, why);
        for (j = 0; j < COUNTOF(m->yes) && m->yes[j]; j++)
            if (!cidr_match_text(&c, m->yes[j]))
                fail_msg("%s should match %s", m->pattern, m->yes[j]);
        for (j = 0; j < COUNTOF(m->no) && m->no[j]; j++)
            if (cidr_match_text(&c, m->no[j]))
                fail_msg("%s should not match %s", m->pattern, m->no[j]);
    }
}

static void test_parse_result(void **state UNUSED)
{
    static const unsigned char mask9[4] = {0xff, 0x80, 0, 0};
    static const unsigned char net9[4] = {10, 128, 0, 0};
    unsigned char mask33[16] = {0xff, 0xff, 0xff, 0xff, 0x80};
    struct cidr c;
    const char *why;

    assert_int_equal(cidr_parse("10.128.0.0/9", &c, &why), 0);
    assert_int_equal(c.family, AF_INET);
    assert_memory_equal(c.addr, net9, 4);
    assert_memory_equal(c.mask, mask9, 4);

    assert_int_equal(cidr_parse("2001:db8::/33", &c, &why), 0);
    assert_int_equal(c.family, AF_INET6);
    assert_memory_equal(c.mask, mask33, 16);
}

static void test_binary_match(void **state UNUSED)
{
    struct cidr c;
    const char *why;
    struct in_addr v4;
    struct in6_addr v6;

    assert_int_equal(cidr_parse("192.0.2.0/24", &c, &why), 0);
    assert_int_equal(inet_pton(AF_INET, "192.0.2.9", &v4), 1);
    assert_true(cidr_match(&c, AF_INET, &v4));
    assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.9", &v6), 1);
    assert_true(cidr_match(&c, AF_INET6, &v6));
    assert_int_equal(inet_pton(AF_INET6, "::ffff:198.51.100.9", &v6), 1);
    assert_false(cidr_match(&c, AF_INET6, &v6));
    assert_int_equal(inet_pton(AF_INET6, "2001:db8::c000:209", &v6), 1);
    assert_false(cidr_match(&c, AF_INET6, &v6));
    assert_false(cidr_match(&c, AF_UNIX, &v4));
}

static void test_reject(void **state UNUSED)
{
    static const struct {
        const char *pattern;
        const char *why;
    } cases[] = {
        {"192.0.2.1/24", "non-zero host bits in network address"},
        {"192.0.2.128/24", "non-zero host bits in network address"},
        {"10.0.0.1/31", "non-zero host bits in network address"},
        {"2001:db8::1/32", "non-zero host bits in network address"},
        {"[2001:db8:4000::]/33", "non-zero host bits in network address"},
        {"192.0.2.0/33", "bad network prefix length"},
        {"2001:db8::/129", "bad network prefix length"},
        {"192.0.2.0/-1", "bad network prefix length"},
        {"192.0.2.0/", "bad network prefix length"},
        {"192.0.2.0/24x", "bad network prefix length"},
        {"192.0.2.0/24/8", "bad network prefix length"},
        {"192.0.2.0/99999999999999999999", "bad network prefix length"},
        {"192.0.2", "bad network address"},
        {"192.0.2.256", "bad network address"},
        {"", "bad network address"},
        {"/24", "bad network address"},
        {"[]/8", "bad network address"},
        {"[2001:db8::/32", "bad network address"},
        {"example.com", "bad network address"},
        {"192.0.2.0 /24", "bad network address"},
        {"1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc", "bad network address"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct cidr c;
        const char *why = NULL;

        if (cidr_parse(cases[i].pattern, &c, &why) != -1)
            fail_msg("\"%s\" was accepted", cases[i].pattern);
        assert_non_null(why);
        if (strcmp(why, cases[i].why) != 0)
            fail_msg("\"%s\": \"%s\", want \"%s\"", cases[i].pattern, why, cases[i].why);
    }
}

/*
 * BUG: the prefix length goes through strtol, which accepts a sign and
 * leading white space: "0.0.0.0/-0" quietly becomes /0 (match everything)
 * and "10.0.0.0/+8" is taken as /8.  A prefix must be digits only.
 */
static void test_reject_signed_prefix(void **state UNUSED)
{
    static const char *const bad[] = {"10.0.0.0/+8", "0.0.0.0/-0", "10.0.0.0/ 8", "::/+0"};
    size_t i;

    for (i = 0; i < COUNTOF(bad); i++) {
        struct cidr c;
        const char *why = NULL;

        if (cidr_parse(bad[i], &c, &why) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),          cmocka_unit_test(test_parse_result),
        cmocka_unit_test(test_binary_match),         cmocka_unit_test(test_reject),
        cmocka_unit_test(test_reject_signed_prefix),
    };

    unit_init("test_cidr");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
