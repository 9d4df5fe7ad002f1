/*
 * test_dns.c - the libunbound wrapper against a test unbound.conf that
 * serves a static root zone from local-data: lines, so nothing ever leaves
 * the process (no forwarders, no root servers).  Covers reverse lookups
 * (IPv4 and IPv6, lower-cased, invalid names refused), forward checks
 * (A and AAAA), names that do not exist, and unparsable addresses; MX
 * lookups (order, the equal-preference shuffle, null MX, implicit MX,
 * CNAMEs, malformed targets) and address lookups for the outbound client;
 * and the rdata parsers on hostile bytes.
 */
#include "unit.h"
#include "dns.h"

static char dir[PATH_MAX];

static int setup(void **state UNUSED)
{
    char conf[PATH_MAX + 32];
    const char *why = NULL;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
    unit_write_text(
        conf, "server:\n"
              "    do-ip6: no\n"
              "    local-zone: \".\" static\n"
              "    local-data: \"mail.test. IN A 192.0.2.10\"\n"
              "    local-data: \"mail.test. IN AAAA 2001:db8::10\"\n"
              "    local-data: \"other.test. IN A 192.0.2.99\"\n"
              "    local-data: \"10.2.0.192.in-addr.arpa. IN PTR mail.test.\"\n"
              "    local-data: \"11.2.0.192.in-addr.arpa. IN PTR MiXeD.Test.\"\n"
              "    local-data: \"12.2.0.192.in-addr.arpa. IN PTR -bad-.test.\"\n"
              "    local-data: \"zero.test. 0 IN A 192.0.2.20\"\n"
              "    local-data-ptr: \"2001:db8::10 mail.test\"\n"
              "    local-data: \"mx.test. IN MX 10 mail.test.\"\n"
              "    local-data: \"aaaa.test. IN AAAA 2001:db8::20\"\n"
              "    local-zone: \"tmp.test.\" refuse\n"
              "    local-data: \"2.0.0.127.bl.test. IN A 127.0.0.2\"\n"
              "    local-data: \"0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0."
              "2.bl.test. IN A 127.0.0.4\"\n"
              "    local-data: \"order.test. IN MX 20 b.order.test.\"\n"
              "    local-data: \"order.test. IN MX 10 A.Order.Test.\"\n"
              "    local-data: \"order.test. IN MX 30 c.order.test.\"\n"
              "    local-data: \"equal.test. IN MX 10 one.equal.test.\"\n"
              "    local-data: \"equal.test. IN MX 10 two.equal.test.\"\n"
              "    local-data: \"equal.test. IN MX 5 first.equal.test.\"\n"
              "    local-data: \"nullmx.test. IN MX 0 .\"\n"
              "    local-data: \"mixnull.test. IN MX 0 .\"\n"
              "    local-data: \"mixnull.test. IN MX 10 mail.test.\"\n"
              "    local-data: \"alias.test. IN CNAME order.test.\"\n"
              "    local-data: \"alias2.test. IN CNAME alias.test.\"\n"
              "    local-data: \"badmx.test. IN MX 10 -bad-.test.\"\n"
              "    local-data: \"badmx.test. IN MX 15 192.0.2.1.\"\n"
              "    local-data: \"badmx.test. IN MX 20 good_one.badmx.test.\"\n"
              "    local-data: \"allbad.test. IN MX 10 bad!name.test.\"\n"
              "    local-data: \"hostalias.test. IN CNAME mail.test.\"\n"
              "    local-data: \"loop1.test. IN CNAME loop2.test.\"\n"
              "    local-data: \"loop2.test. IN CNAME loop1.test.\"\n");
    if (dns_init(conf, &why) != 0)
        fail_msg("dns_init: %s", why);
    /* A second call keeps the first resolver. */
    assert_int_equal(dns_init("/nonexistent/unbound.conf", &why), 0);
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static void test_ptr(void **state UNUSED)
{
    char name[256];

    assert_int_equal(dns_ptr("192.0.2.10", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mail.test");
    assert_int_equal(dns_ptr("192.0.2.11", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mixed.test"); /* lower-cased */
    assert_int_equal(dns_ptr("2001:db8::10", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mail.test");
    /* No record, an invalid host name, no address at all. */
    assert_int_equal(dns_ptr("192.0.2.13", name, sizeof(name)), DNS_NOTFOUND);
    assert_int_equal(dns_ptr("192.0.2.12", name, sizeof(name)), DNS_NOTFOUND);
    assert_int_equal(dns_ptr("not-an-address", name, sizeof(name)), DNS_NOTFOUND);
    assert_int_equal(dns_ptr("", name, sizeof(name)), DNS_NOTFOUND);
    /* A name that does not fit the caller's buffer is not returned cut. */
    assert_int_equal(dns_ptr("192.0.2.10", name, 6), DNS_NOTFOUND);
}

static void test_cache_ignores_caller_buffer(void **state UNUSED)
{
    char name[256];

    /* Answers are cached whole: a first caller with a short buffer must not
     * decide what a later caller gets, and repeated lookups agree. */
    assert_int_equal(dns_ptr("2001:db8::10", name, 4), DNS_NOTFOUND);
    assert_int_equal(dns_ptr("2001:db8::10", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mail.test");
    assert_int_equal(dns_ptr("2001:db8::10", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mail.test");
    assert_int_equal(dns_ptr("192.0.2.13", name, sizeof(name)), DNS_NOTFOUND);
    assert_int_equal(dns_ptr("192.0.2.13", name, sizeof(name)), DNS_NOTFOUND);
    assert_int_equal(dns_name_has_addr("mail.test", "192.0.2.10"), DNS_OK);
    assert_int_equal(dns_name_has_addr("mail.test", "192.0.2.10"), DNS_OK);
    assert_int_equal(dns_name_has_addr("mail.test", "192.0.2.11"), DNS_NOTFOUND);
}

static void test_forward(void **state UNUSED)
{
    assert_int_equal(dns_name_has_addr("mail.test", "192.0.2.10"), DNS_OK);
    assert_int_equal(dns_name_has_addr("MAIL.TEST", "192.0.2.10"), DNS_OK);
    assert_int_equal(dns_name_has_addr("mail.test", "2001:db8::10"), DNS_OK);
    assert_int_equal(dns_name_has_addr("mail.test", "192.0.2.99"), DNS_NOTFOUND);
    assert_int_equal(dns_name_has_addr("mail.test", "2001:db8::11"), DNS_NOTFOUND);
    assert_int_equal(dns_name_has_addr("other.test", "2001:db8::10"), DNS_NOTFOUND);
    assert_int_equal(dns_name_has_addr("nonexistent.test", "192.0.2.10"), DNS_NOTFOUND);
    assert_int_equal(dns_name_has_addr("mail.test", "bogus"), DNS_NOTFOUND);
}

/* BUG: an answer with TTL 0 leaked its cache entry (LeakSanitizer says so). */
static void test_ttl_zero_not_kept(void **state UNUSED)
{
    size_t before = dns_cache_count();

    assert_int_equal(dns_name_has_addr("zero.test", "192.0.2.20"), DNS_OK);
    assert_int_equal(dns_name_has_addr("zero.test", "192.0.2.20"), DNS_OK);
    assert_int_equal(dns_cache_count(), before);
}

/* Whoever controls a zone chooses what is cached: the cache stays bounded,
 * drops its oldest entries first, and keeps answering correctly. */
static void test_cache_bounded(void **state UNUSED)
{
    char name[256], addr[64];
    int i;

    for (i = 0; i < 1500; i++) {
        snprintf(addr, sizeof(addr), "198.51.%d.%d", i / 250, i % 250);
        assert_int_equal(dns_ptr(addr, name, sizeof(name)), DNS_NOTFOUND);
        assert_true(dns_cache_count() <= 1000);
    }
    assert_int_equal(dns_cache_count(), 1000);
    assert_int_equal(dns_ptr("192.0.2.10", name, sizeof(name)), DNS_OK);
    assert_string_equal(name, "mail.test");
    assert_int_equal(dns_ptr("192.0.2.10", name, sizeof(name)), DNS_OK);
    assert_int_equal(dns_cache_count(), 1000);
}

/* reject_unknown_*_domain: MX, else A, else AAAA; a refusing server is a failure. */
static void test_mail_domain(void **state UNUSED)
{
    assert_int_equal(dns_mail_domain("mx.test"), DNS_OK);
    assert_int_equal(dns_mail_domain("other.test"), DNS_OK);
    assert_int_equal(dns_mail_domain("aaaa.test"), DNS_OK);
    assert_int_equal(dns_mail_domain("nonexistent.test"), DNS_NOTFOUND);
    assert_int_equal(dns_mail_domain("tmp.test"), DNS_RETRY);
    assert_int_equal(dns_mail_domain("x.tmp.test"), DNS_RETRY);
    /* Answers are cached; failures are not. */
    assert_int_equal(dns_mail_domain("mx.test"), DNS_OK);
    assert_int_equal(dns_mail_domain("tmp.test"), DNS_RETRY);
}

static void test_rbl(void **state UNUSED)
{
    assert_int_equal(dns_rbl("127.0.0.2", "bl.test", NULL), DNS_OK);
    assert_int_equal(dns_rbl("127.0.0.2", "bl.test", "127.0.0.2"), DNS_OK);
    assert_int_equal(dns_rbl("127.0.0.2", "bl.test", "127.0.0.3"), DNS_NOTFOUND);
    assert_int_equal(dns_rbl("127.0.0.3", "bl.test", NULL), DNS_NOTFOUND);
    assert_int_equal(dns_rbl("2001:db8::10", "bl.test", "127.0.0.4"), DNS_OK);
    assert_int_equal(dns_rbl("127.0.0.2", "tmp.test", NULL), DNS_RETRY);
    assert_int_equal(dns_rbl("bogus", "bl.test", NULL), DNS_NOTFOUND);
}

static int mx(const char *domain, struct dns_mx *list, size_t max, size_t *n, bool *nx)
{
    char why[512] = "";
    bool secure = true;
    int ret = dns_mx_lookup(domain, list, max, n, nx, &secure, why, sizeof(why));

    assert_false(secure); /* local data has no trust anchor */
    assert_true(ret == DNS_OK || why[0] != 0);
    return ret;
}

static void test_mx_order(void **state UNUSED)
{
    struct dns_mx list[DNS_MX_MAX];
    size_t n;
    bool nx;
    int i;

    for (i = 0; i < 2; i++) { /* the second time from the cache */
        assert_int_equal(mx("order.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
        assert_int_equal(n, 3);
        assert_string_equal(list[0].host, "a.order.test"); /* lower-cased */
        assert_int_equal(list[0].pref, 10);
        assert_string_equal(list[1].host, "b.order.test");
        assert_string_equal(list[2].host, "c.order.test");
        assert_int_equal(list[2].pref, 30);
    }
    /* The caller's limit keeps the most preferred. */
    assert_int_equal(mx("ORDER.test", list, 1, &n, &nx), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].host, "a.order.test");
}

static void test_mx_equal_shuffled(void **state UNUSED)
{
    struct dns_mx list[DNS_MX_MAX];
    int i, one_first = 0, two_first = 0;
    size_t n;
    bool nx;

    for (i = 0; i < 200; i++) {
        assert_int_equal(mx("equal.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
        assert_int_equal(n, 3);
        assert_string_equal(list[0].host, "first.equal.test");
        if (strcmp(list[1].host, "one.equal.test") == 0) {
            assert_string_equal(list[2].host, "two.equal.test");
            one_first++;
        } else {
            assert_string_equal(list[1].host, "two.equal.test");
            assert_string_equal(list[2].host, "one.equal.test");
            two_first++;
        }
    }
    /* Both orders, roughly as often (each below 50 has probability ~1e-11). */
    assert_true(one_first >= 50 && two_first >= 50);
}

static void test_mx_null_and_missing(void **state UNUSED)
{
    struct dns_mx list[DNS_MX_MAX];
    char why[512];
    bool nx, secure;
    size_t n;

    assert_int_equal(
        dns_mx_lookup("nullmx.test", list, DNS_MX_MAX, &n, &nx, &secure, why, sizeof(why)),
        DNS_NULLMX);
    assert_int_equal(n, 0);
    assert_string_equal(why, "Domain nullmx.test does not accept mail (nullMX)");
    /* A root MX next to others is ignored, the others used. */
    assert_int_equal(mx("mixnull.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].host, "mail.test");
    /* No MX, but an A record: the implicit MX. */
    assert_int_equal(mx("other.test", list, DNS_MX_MAX, &n, &nx), DNS_NOTFOUND);
    assert_int_equal(n, 0);
    assert_false(nx);
    /* No such domain, twice (the second from the cache). */
    assert_int_equal(
        dns_mx_lookup("nonexistent.test", list, DNS_MX_MAX, &n, &nx, &secure, why, sizeof(why)),
        DNS_NOTFOUND);
    assert_true(nx);
    assert_string_equal(why, "Host or domain name not found. Name service error for "
                             "name=nonexistent.test type=MX: Host not found");
    assert_int_equal(mx("nonexistent.test", list, DNS_MX_MAX, &n, &nx), DNS_NOTFOUND);
    assert_true(nx);
    /* A refusing server is a temporary failure, and why may be NULL. */
    assert_int_equal(dns_mx_lookup("tmp.test", list, DNS_MX_MAX, &n, &nx, &secure, NULL, 0),
                     DNS_RETRY);
    assert_int_equal(mx("tmp.test", list, DNS_MX_MAX, &n, &nx), DNS_RETRY);
}

static void test_mx_cname_and_bad_targets(void **state UNUSED)
{
    struct dns_mx list[DNS_MX_MAX];
    size_t n;
    bool nx;

    assert_int_equal(mx("alias.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[0].host, "a.order.test");
    assert_int_equal(mx("alias2.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(list[2].host, "c.order.test");
    /* "-bad-.test" and the numeric "192.0.2.1" are skipped; '_' is allowed. */
    assert_int_equal(mx("badmx.test", list, DNS_MX_MAX, &n, &nx), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].host, "good_one.badmx.test");
    assert_int_equal(list[0].pref, 20);
    /* Nothing usable: not the implicit MX, a failure. */
    assert_int_equal(mx("allbad.test", list, DNS_MX_MAX, &n, &nx), DNS_RETRY);
    assert_int_equal(n, 0);
    /* A CNAME loop ends, as a failure. */
    assert_int_equal(mx("loop1.test", list, DNS_MX_MAX, &n, &nx), DNS_RETRY);
    /* Names that cannot exist. */
    assert_int_equal(mx("", list, DNS_MX_MAX, &n, &nx), DNS_NOTFOUND);
    assert_true(nx);
}

static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    const void *a = ss->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

    assert_non_null(inet_ntop(ss->ss_family, a, buf, (socklen_t)len));
    if (ss->ss_family == AF_INET)
        assert_int_equal(((const struct sockaddr_in *)ss)->sin_port, 0);
    else
        assert_int_equal(((const struct sockaddr_in6 *)ss)->sin6_port, 0);
    return buf;
}

static int addr(const char *host, int families, struct sockaddr_storage *list, size_t *n)
{
    char why[512] = "";
    bool secure = true;
    int ret = dns_addr_lookup(host, families, list, DNS_ADDR_MAX, n, &secure, why, sizeof(why));

    assert_true(ret == DNS_OK || why[0] != 0);
    return ret;
}

static void test_addr(void **state UNUSED)
{
    struct sockaddr_storage list[DNS_ADDR_MAX];
    char buf[INET6_ADDRSTRLEN];
    size_t n;

    assert_int_equal(addr("mail.test", DNS_INET4 | DNS_INET6, list, &n), DNS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "192.0.2.10"); /* IPv4 first */
    assert_string_equal(addr_text(&list[1], buf, sizeof(buf)), "2001:db8::10");
    assert_int_equal(addr("mail.test", DNS_INET6, list, &n), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "2001:db8::10");
    assert_int_equal(addr("MAIL.test", DNS_INET4, list, &n), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "192.0.2.10");
    assert_int_equal(addr("hostalias.test", DNS_INET4, list, &n), DNS_OK);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "192.0.2.10");
    /* One family only, the other asked for; neither. */
    assert_int_equal(addr("aaaa.test", DNS_INET4 | DNS_INET6, list, &n), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "2001:db8::20");
    assert_int_equal(addr("aaaa.test", DNS_INET4, list, &n), DNS_NOTFOUND);
    assert_int_equal(addr("other.test", DNS_INET6, list, &n), DNS_NOTFOUND);
    assert_int_equal(addr("nonexistent.test", DNS_INET4 | DNS_INET6, list, &n), DNS_NOTFOUND);
    assert_int_equal(addr("nonexistent.test", DNS_INET4 | DNS_INET6, list, &n), DNS_NOTFOUND);
    assert_int_equal(addr("tmp.test", DNS_INET4 | DNS_INET6, list, &n), DNS_RETRY);
    assert_int_equal(addr("mail.test", 0, list, &n), DNS_NOTFOUND);
    assert_int_equal(n, 0);
}

static void test_addr_literal(void **state UNUSED)
{
    struct sockaddr_storage list[DNS_ADDR_MAX];
    char buf[INET6_ADDRSTRLEN];
    size_t before = dns_cache_count(), n;

    assert_int_equal(addr("192.0.2.77", DNS_INET4 | DNS_INET6, list, &n), DNS_OK);
    assert_int_equal(n, 1);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "192.0.2.77");
    assert_int_equal(addr("2001:db8::77", DNS_INET4 | DNS_INET6, list, &n), DNS_OK);
    assert_string_equal(addr_text(&list[0], buf, sizeof(buf)), "2001:db8::77");
    assert_int_equal(addr("2001:db8::77", DNS_INET4, list, &n), DNS_NOTFOUND);
    assert_int_equal(dns_cache_count(), before); /* no query was made */
}

struct rdata_case {
    const char *what;
    const char *bytes;
    size_t len;
    int ret;
    const char *host;
};

/* Octal escapes: a hex escape would swallow the letters after it. */
#define RD(what, s, ret, host)                                                                     \
    {                                                                                              \
        what, s, sizeof(s) - 1, ret, host                                                          \
    }

static void test_mx_rdata_parse(void **state UNUSED)
{
    static const struct rdata_case cases[] = {
        RD("plain", "\000\012\002mx\004Test\000", 0, "mx.test"),
        RD("null MX", "\000\000\000", 0, ""),
        RD("underscore", "\000\001\003a_b\002co\000", 0, "a_b.co"),
        RD("empty", "", -1, NULL),
        RD("no name", "\000\012", -1, NULL),
        RD("no root label", "\000\012\002mx", -1, NULL),
        RD("label past end", "\000\012\005mx\000", -1, NULL),
        RD("trailing octets", "\000\012\002mx\000\000", -1, NULL),
        RD("compression pointer", "\000\012\002mx\300\014", -1, NULL),
        RD("extended label type", "\000\012\101x\000", -1, NULL),
        RD("dot in label", "\000\012\003a.b\002co\000", -1, NULL),
        RD("space", "\000\012\003a b\000", -1, NULL),
        RD("NUL in label", "\000\012\003a\000b\000", -1, NULL),
        RD("high octet", "\000\012\003a\303b\000", -1, NULL),
        RD("leading hyphen", "\000\012\002-a\000", -1, NULL),
        RD("trailing hyphen", "\000\012\002a-\000", -1, NULL),
        RD("numeric", "\000\012\0011\0012\000", -1, NULL),
        RD("numeric inside", "\000\012\0011\002co\000", 0, "1.co"),
    };
    unsigned char buf[300];
    struct dns_mx out;
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        int r = dns_mx_rdata_parse((const unsigned char *)cases[i].bytes, cases[i].len, &out);

        if (r != cases[i].ret)
            fail_msg("%s: %d", cases[i].what, r);
        if (r == 0)
            assert_string_equal(out.host, cases[i].host);
        if (r == 0)
            assert_int_equal(out.pref, (unsigned char)cases[i].bytes[1]);
    }
    /* Labels of 63 octets are fine, 64 are not. */
    memset(buf, 'a', sizeof(buf));
    buf[0] = 0xff, buf[1] = 0xff, buf[2] = 63, buf[66] = 0;
    assert_int_equal(dns_mx_rdata_parse(buf, 67, &out), 0);
    assert_int_equal(strlen(out.host), 63);
    assert_int_equal(out.pref, 65535);
    buf[2] = 64, buf[66] = 'a', buf[67] = 0;
    assert_int_equal(dns_mx_rdata_parse(buf, 68, &out), -1);
    /* 255 octets in wire form are fine (253 of text), 256 are not. */
    memset(buf + 2, 'a', sizeof(buf) - 2);
    for (i = 0; i < 4; i++)
        buf[2 + i * 64] = 63;
    buf[2 + 4 * 64] = 0; /* 4 * 64 + 1 = 257 octets */
    assert_int_equal(dns_mx_rdata_parse(buf, 2 + 257, &out), -1);
    buf[2 + 3 * 64] = 61, buf[2 + 3 * 64 + 62] = 0; /* 3 * 64 + 62 + 1 = 255 */
    assert_int_equal(dns_mx_rdata_parse(buf, 2 + 255, &out), 0);
    assert_int_equal(strlen(out.host), 253);
    buf[2 + 3 * 64] = 62, buf[2 + 3 * 64 + 63] = 0; /* 256 */
    assert_int_equal(dns_mx_rdata_parse(buf, 2 + 256, &out), -1);
}

static void test_addr_rdata_parse(void **state UNUSED)
{
    static const unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    static const unsigned char v4[4] = {192, 0, 2, 1};
    struct sockaddr_storage ss;
    char buf[INET6_ADDRSTRLEN];

    assert_int_equal(dns_addr_rdata_parse(AF_INET, v4, 4, &ss), 0);
    assert_string_equal(addr_text(&ss, buf, sizeof(buf)), "192.0.2.1");
    assert_int_equal(dns_addr_rdata_parse(AF_INET6, v6, 16, &ss), 0);
    assert_string_equal(addr_text(&ss, buf, sizeof(buf)), "2001:db8::1");
    assert_int_equal(dns_addr_rdata_parse(AF_INET, v4, 3, &ss), -1);
    assert_int_equal(dns_addr_rdata_parse(AF_INET, v6, 16, &ss), -1);
    assert_int_equal(dns_addr_rdata_parse(AF_INET6, v6, 15, &ss), -1);
    assert_int_equal(dns_addr_rdata_parse(AF_INET6, v4, 4, &ss), -1);
    assert_int_equal(dns_addr_rdata_parse(AF_UNIX, v4, 4, &ss), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ptr),
        cmocka_unit_test(test_forward),
        cmocka_unit_test(test_cache_ignores_caller_buffer),
        cmocka_unit_test(test_ttl_zero_not_kept),
        cmocka_unit_test(test_cache_bounded),
        cmocka_unit_test(test_mail_domain),
        cmocka_unit_test(test_rbl),
        cmocka_unit_test(test_mx_order),
        cmocka_unit_test(test_mx_equal_shuffled),
        cmocka_unit_test(test_mx_null_and_missing),
        cmocka_unit_test(test_mx_cname_and_bad_targets),
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_addr_literal),
        cmocka_unit_test(test_mx_rdata_parse),
        cmocka_unit_test(test_addr_rdata_parse),
    };

    unit_init("test_dns");
    return cmocka_run_group_tests(tests, setup, teardown);
}
