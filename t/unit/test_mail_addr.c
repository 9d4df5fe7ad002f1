/*
 * test_mail_addr.c - RFC 5321 paths: what is accepted and how it is
 * stored, what is refused and why, the octet limits and one past them, the
 * flags (null path, <postmaster>, no brackets), and the two round trips
 * every address makes: through mail_addr_external() back onto the wire, and
 * through mail_addr_internal()/mail_addr_from_internal() via a queue file.
 */
#include "unit.h"
#include "buf.h"
#include "mail_addr.h"

#define NUL_OK MAIL_ADDR_ALLOW_NULL
#define PM_OK MAIL_ADDR_ALLOW_POSTMASTER
#define NB_OK MAIL_ADDR_ALLOW_NO_BRACKETS

struct good_case {
    const char *in;
    int flags;
    const char *local;
    const char *domain;
    size_t used; /* 0: all of it */
    bool literal, null;
};

static const struct good_case good[] = {
    {"<user@example.com>", 0, "user", "example.com", 0, false, false},
    {"<U@EXAMPLE.COM>", 0, "U", "EXAMPLE.COM", 0, false, false},
    {"<>", NUL_OK, "", "", 0, false, true},
    {"<> SIZE=10", NUL_OK, "", "", 2, false, true},
    {"<postmaster>", PM_OK, "postmaster", "", 0, false, false},
    {"<PostMaster>", PM_OK, "PostMaster", "", 0, false, false},
    {"<postmaster@example.com>", 0, "postmaster", "example.com", 0, false, false},
    {"<\"a b\"@example.com>", 0, "a b", "example.com", 0, false, false},
    {"<\"a\\\"b\"@example.com>", 0, "a\"b", "example.com", 0, false, false},
    {"<\"a\\\\b\"@example.com>", 0, "a\\b", "example.com", 0, false, false},
    {"<\"a@b\"@example.com>", 0, "a@b", "example.com", 0, false, false},
    {"<\"\\q\"@example.com>", 0, "q", "example.com", 0, false, false},
    {"<\"abc\"@example.com>", 0, "abc", "example.com", 0, false, false},
    {"<@a.example,@b.example:u@c.example>", 0, "u", "c.example", 0, false, false},
    {"<@a.example:u@c.example>", 0, "u", "c.example", 0, false, false},
    {"<@[192.0.2.9]:u@c.example>", 0, "u", "c.example", 0, false, false},
    {"<u@[192.0.2.1]>", 0, "u", "[192.0.2.1]", 0, true, false},
    {"<u@[IPv6:::1]>", 0, "u", "[IPv6:::1]", 0, true, false},
    {"<u@[ipv6:2001:db8::1]>", 0, "u", "[ipv6:2001:db8::1]", 0, true, false},
    {"<first.last@sub.example.com>", 0, "first.last", "sub.example.com", 0, false, false},
    {"<a+tag@example.com>", 0, "a+tag", "example.com", 0, false, false},
    {"<!#$%&'*+-/=?^_`{|}~@example.com>", 0, "!#$%&'*+-/=?^_`{|}~", "example.com", 0, false, false},
    {"<u@under_score.example>", 0, "u", "under_score.example", 0, false, false},
    {"<u@a-b.x1-2.example>", 0, "u", "a-b.x1-2.example", 0, false, false},
    {"<u@localhost>", 0, "u", "localhost", 0, false, false},
    {"<u@example.com> SIZE=1", 0, "u", "example.com", 15, false, false},
    {"<u@example.com>x", 0, "u", "example.com", 15, false, false},
    {"user@example.com", NB_OK, "user", "example.com", 0, false, false},
    {"user@example.com SIZE=5", NB_OK, "user", "example.com", 16, false, false},
    {"postmaster", NB_OK | PM_OK, "postmaster", "", 0, false, false},
    {"<user@example.com>", NB_OK, "user", "example.com", 0, false, false},
    /* One trailing dot (the absolute form of the name) is dropped, as Postfix does. */
    {"<user@example.com.>", 0, "user", "example.com", 0, false, false},
    {"<U@Sub.EXAMPLE.com.>", 0, "U", "Sub.EXAMPLE.com", 0, false, false},
    {"<user@localhost.> SIZE=1", 0, "user", "localhost", 17, false, false},
    {"user@example.com.", NB_OK, "user", "example.com", 0, false, false},
    {"user@example.com. SIZE=5", NB_OK, "user", "example.com", 17, false, false},
    {"<@a.example.:u@c.example.>", 0, "u", "c.example", 0, false, false},
};

static void test_good_paths(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(good); i++) {
        const struct good_case *c = good + i;
        size_t len = strlen(c->in), used = 0;
        unsigned char *copy = malloc(len ? len : 1); /* no NUL after it: never relied on */
        struct mail_addr a;
        const char *why = NULL;

        assert_non_null(copy);
        memcpy(copy, c->in, len);
        if (mail_addr_parse_path(copy, len, c->flags, &a, &used, &why) != 0)
            unit_row_fail(&rows, "%s: refused: %s", c->in, why);
        else if (strcmp(a.local, c->local) != 0 || strcmp(a.domain, c->domain) != 0 ||
                 a.literal != c->literal || a.null != c->null || used != (c->used ? c->used : len))
            unit_row_fail(&rows, "%s: local \"%s\" domain \"%s\" literal %d null %d used %zu",
                          c->in, a.local, a.domain, a.literal, a.null, used);
        free(copy);
    }
    unit_rows_check(&rows);
}

struct bad_case {
    const char *in;
    size_t len; /* 0: strlen(in) */
    int flags;
    const char *why;
};

static const struct bad_case bad[] = {
    {"user@example.com", 0, 0, "address not in <>"},
    {"", 0, 0, "bad address syntax"},
    {"<", 0, 0, "bad address syntax"},
    {"<user@example.com", 0, 0, "bad address syntax"},
    {"<>", 0, 0, "null address not allowed here"},
    {"<>", 0, PM_OK | NB_OK, "null address not allowed here"},
    {"<.user@example.com>", 0, 0, "bad address syntax"},
    {"<user.@example.com>", 0, 0, "bad address syntax"},
    {"<us..er@example.com>", 0, 0, "bad address syntax"},
    {"<user@>", 0, 0, "bad domain in address"},
    {"<user>", 0, 0, "address has no domain"},
    {"<postmaster>", 0, NUL_OK, "address has no domain"},
    {"<\"postmaster\">", 0, PM_OK, "address has no domain"},
    {"<postmaster.x>", 0, PM_OK, "address has no domain"},
    {"<@example.com>", 0, 0, "bad source route"},
    {"<@a.example,u@c.example>", 0, 0, "bad source route"},
    {"<@a.example:>", 0, 0, "bad address syntax"},
    {"<@:u@c.example>", 0, 0, "bad source route"},
    {"<@a..b:u@c.example>", 0, 0, "bad source route"},
    {"<@a.example;u@c.example>", 0, 0, "bad source route"},
    {"<user@-example.com>", 0, 0, "bad domain in address"},
    {"<user@example-.com>", 0, 0, "bad domain in address"},
    {"<user@example..com>", 0, 0, "bad domain in address"},
    {"<user@.example.com>", 0, 0, "bad domain in address"},
    {"<user@example.com..>", 0, 0, "bad domain in address"},
    {"<user@.>", 0, 0, "bad domain in address"},
    {"<user@[192.0.2.1].>", 0, 0, "bad address syntax"}, /* no dot after a literal */
    {"user@example.com..", 0, NB_OK, "bad domain in address"},
    {"<user@exa mple.com>", 0, 0, "bad address syntax"},
    {"<user@example.com\r>", 0, 0, "bad address syntax"},
    {"<user@[192.0.2.256]>", 0, 0, "bad domain in address"},
    {"<user@[192.0.2.1>", 0, 0, "bad domain in address"},
    {"<user@[IPv6:192.0.2.1]>", 0, 0, "bad domain in address"},
    {"<user@[::1]>", 0, 0, "bad domain in address"},
    {"<user@[]>", 0, 0, "bad domain in address"},
    {"<user@[IPv6:]>", 0, 0, "bad domain in address"},
    {"<user@[IPv6:::1%eth0]>", 0, 0, "bad domain in address"},
    {"<user@[192.0.2.1]x>", 0, 0, "bad address syntax"},
    {"<\"unterminated@example.com>", 0, 0, "bad address syntax"},
    {"<\"a\x01"
     "b\"@example.com>",
     0, 0, "bad address syntax"},
    {"<\"a\\\x01\"@example.com>", 0, 0, "bad address syntax"},
    {"<\"a\x80\"@example.com>", 0, 0, "bad address syntax"},
    {"<\"a\\", 0, 0, "bad address syntax"},
    {"<a\x80"
     "b@example.com>",
     0, 0, "address has no domain"},
    {"<a b@example.com>", 0, 0, "address has no domain"},
    {"<us\0er@example.com>", 19, 0, "address has no domain"},
    {"<user@exam\0ple.com>", 19, 0, "bad address syntax"},
    {"user@example.com>", 0, NB_OK, "bad address syntax"},
    {" <user@example.com>", 0, NB_OK, "bad address syntax"},
    {"user", 0, NB_OK, "address has no domain"},
    {"@example.com", 0, NB_OK, "bad address syntax"},
};

static void test_bad_paths(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(bad); i++) {
        const struct bad_case *c = bad + i;
        size_t len = c->len ? c->len : strlen(c->in), used = 12345;
        unsigned char *copy = malloc(len ? len : 1);
        struct mail_addr a;
        const char *why = NULL;
        char shown[128];

        assert_non_null(copy);
        memcpy(copy, c->in, len);
        unit_escape(c->in, shown, sizeof(shown));
        if (mail_addr_parse_path(copy, len, c->flags, &a, &used, &why) != -1)
            unit_row_fail(&rows, "%s: accepted as \"%s\"@\"%s\"", shown, a.local, a.domain);
        else if (why == NULL || strcmp(why, c->why) != 0)
            unit_row_fail(&rows, "%s: \"%s\", want \"%s\"", shown, why ? why : "(null)", c->why);
        free(copy);
    }
    unit_rows_check(&rows);
}

/* n octets of domain: 63-octet labels joined by dots, never ending in a dot. */
static void make_domain(char *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = (i % 64 == 63 && i + 1 < n) ? '.' : (char)('a' + (i / 64) % 26);
    out[n] = 0;
}

static int parse_text(const char *text, int flags, struct mail_addr *a, const char **why)
{
    size_t used;

    return mail_addr_parse_path((const unsigned char *)text, strlen(text), flags, a, &used, why);
}

static void test_limits(void **state UNUSED)
{
    char text[1024], local[100], domain[300];
    struct mail_addr a;
    const char *why;
    size_t i;

    /* Local part: 64 octets, and one more. */
    memset(local, 'l', 65);
    local[64] = 0;
    snprintf(text, sizeof(text), "<%s@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), 0);
    assert_int_equal(strlen(a.local), 64);
    local[64] = 'l';
    local[65] = 0;
    snprintf(text, sizeof(text), "<%s@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
    assert_string_equal(why, "local part too long");

    /* Quoted: the limit is on the wire form, quotes and backslashes included. */
    memset(local, 'q', 62);
    local[62] = 0;
    snprintf(text, sizeof(text), "<\"%s\"@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), 0);
    assert_string_equal(a.local, local);
    snprintf(text, sizeof(text), "<\"%sq\"@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
    assert_string_equal(why, "local part too long");
    for (i = 0; i < 31; i++)
        memcpy(local + 2 * i, "\\q", 2);
    local[62] = 0;
    snprintf(text, sizeof(text), "<\"%s\"@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), 0);
    assert_int_equal(strlen(a.local), 31);
    snprintf(text, sizeof(text), "<\"%s\\q\"@example.com>", local);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
    assert_string_equal(why, "local part too long");

    /* The whole path: 256 octets with its brackets, and one more. */
    memset(local, 'l', 64);
    local[64] = 0;
    make_domain(domain, 256 - 2 - 64 - 1);
    snprintf(text, sizeof(text), "<%s@%s>", local, domain);
    assert_int_equal(strlen(text), 256);
    assert_int_equal(parse_text(text, 0, &a, &why), 0);
    assert_string_equal(a.domain, domain);
    /* A source route does not count against it. */
    snprintf(text, sizeof(text), "<@relay.example,@other.example:%s@%s>", local, domain);
    assert_int_equal(parse_text(text, 0, &a, &why), 0);
    make_domain(domain, 256 - 2 - 64);
    snprintf(text, sizeof(text), "<%s@%s>", local, domain);
    assert_int_equal(strlen(text), 257);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
    assert_string_equal(why, "address too long");

    /* Without brackets: 254 octets of mailbox, and one more. */
    make_domain(domain, 254 - 64 - 1);
    snprintf(text, sizeof(text), "%s@%s", local, domain);
    assert_int_equal(parse_text(text, NB_OK, &a, &why), 0);
    make_domain(domain, 255 - 64 - 1);
    snprintf(text, sizeof(text), "%s@%s", local, domain);
    assert_int_equal(parse_text(text, NB_OK, &a, &why), -1);
    assert_string_equal(why, "address too long");

    /* A 255-octet domain is a valid Domain but cannot fit in a path. */
    make_domain(domain, 255);
    snprintf(text, sizeof(text), "<u@%s>", domain);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
    make_domain(domain, 256);
    snprintf(text, sizeof(text), "<u@%s>", domain);
    assert_int_equal(parse_text(text, 0, &a, &why), -1);
}

static void test_domain_ok(void **state UNUSED)
{
    static const struct {
        const char *d;
        bool ok;
    } cases[] = {
        {"example.com", true},
        {"a", true},
        {"_dmarc.example", true},
        {"a_b.c", true},
        {"1.2.3.4", true},
        {"x-1.example", true},
        {"", false},
        {"a.", false},
        {".a", false},
        {"a..b", false},
        {"-a.example", false},
        {"a-.example", false},
        {"ex ample", false},
        {"a/b", false},
        {"[192.0.2.1]", false},
        {"a.-b", false},
        {"\xC3\xA9.example", false},
    };
    char domain[300], label[70];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++)
        if (mail_addr_domain_ok(cases[i].d, strlen(cases[i].d)) != cases[i].ok)
            fail_msg("\"%s\" should be %s", cases[i].d, cases[i].ok ? "valid" : "invalid");
    /* Only len bytes count: no reliance on a NUL. */
    assert_true(mail_addr_domain_ok("example.com", 7));
    assert_false(mail_addr_domain_ok("example.com", 8));

    make_domain(domain, 255);
    assert_true(mail_addr_domain_ok(domain, 255));
    make_domain(domain, 256);
    assert_false(mail_addr_domain_ok(domain, 256));
    memset(label, 'x', 63);
    memcpy(label + 63, ".com", 5);
    assert_true(mail_addr_domain_ok(label, strlen(label)));
    memset(label, 'x', 64);
    memcpy(label + 64, ".com", 5);
    assert_false(mail_addr_domain_ok(label, strlen(label)));
}

static void test_external_round_trip(void **state UNUSED)
{
    static const struct {
        const char *local;
        const char *external; /* NULL: not checked */
    } cases[] = {
        {"user", "user@example.com"},
        {"first.last", "first.last@example.com"},
        {"!#$%&'*+-/=?^_`{|}~", "!#$%&'*+-/=?^_`{|}~@example.com"},
        {"a b", "\"a b\"@example.com"},
        {"a\"b", "\"a\\\"b\"@example.com"},
        {"a\\b", "\"a\\\\b\"@example.com"},
        {".a", "\".a\"@example.com"},
        {"a.", "\"a.\"@example.com"},
        {"a..b", "\"a..b\"@example.com"},
        {"a@b", "\"a@b\"@example.com"},
        {"x(y)", NULL},
        {"a,b", NULL},
        {"\"", "\"\\\"\"@example.com"},
        {"a:b;c<d>e[f]", NULL},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct mail_addr a = {0}, b;
        struct buf ext, path;
        const char *why = NULL;
        size_t used;

        snprintf(a.local, sizeof(a.local), "%s", cases[i].local);
        snprintf(a.domain, sizeof(a.domain), "example.com");
        buf_init(&ext, 1000);
        buf_init(&path, 1000);
        mail_addr_external(&a, &ext);
        if (cases[i].external)
            assert_string_equal(buf_str(&ext), cases[i].external);
        assert_int_equal(buf_printf(&path, "<%s>", buf_str(&ext)), 0);
        if (mail_addr_parse_path(path.data, path.len, 0, &b, &used, &why) != 0)
            fail_msg("%s: %s", buf_str(&path), why);
        assert_int_equal(used, path.len);
        assert_string_equal(b.local, a.local);
        assert_string_equal(b.domain, a.domain);
        buf_free(&ext);
        buf_free(&path);
    }
}

static void test_external_special(void **state UNUSED)
{
    struct mail_addr a;
    struct buf ext;
    const char *why;

    buf_init(&ext, 1000);
    assert_int_equal(parse_text("<>", NUL_OK, &a, &why), 0);
    mail_addr_external(&a, &ext);
    assert_buf_equal(&ext, "");
    assert_int_equal(parse_text("<postmaster>", PM_OK, &a, &why), 0);
    mail_addr_external(&a, &ext);
    assert_buf_equal(&ext, "postmaster");
    buf_reset(&ext);
    assert_int_equal(parse_text("<u@[IPv6:::1]>", 0, &a, &why), 0);
    mail_addr_external(&a, &ext);
    assert_buf_equal(&ext, "u@[IPv6:::1]");
    buf_free(&ext);
}

static void test_quote_internal(void **state UNUSED)
{
    static const struct {
        const char *internal, *external;
    } cases[] = {
        {"john doe@x.example", "\"john doe\"@x.example"},
        {"a@b@x.example", "\"a@b\"@x.example"},
        {"plain@x.example", "plain@x.example"},
        {"", ""},
        {"postmaster", "postmaster"},
        {"@broken", "@broken"}, /* not an internal form: copied as is */
    };
    struct buf out;
    size_t i;

    buf_init(&out, 1000);
    for (i = 0; i < COUNTOF(cases); i++) {
        buf_reset(&out);
        mail_addr_quote_internal(cases[i].internal, &out);
        assert_buf_equal(&out, cases[i].external);
    }
    buf_free(&out);
}

static void test_internal(void **state UNUSED)
{
    struct mail_addr a;
    char out[MAIL_ADDR_TEXT_MAX + 1];
    const char *why;

    assert_int_equal(parse_text("<\"a b\"@example.com>", 0, &a, &why), 0);
    mail_addr_internal(&a, out, sizeof(out));
    assert_string_equal(out, "a b@example.com");
    assert_int_equal(parse_text("<>", NUL_OK, &a, &why), 0);
    mail_addr_internal(&a, out, sizeof(out));
    assert_string_equal(out, "");
    assert_int_equal(parse_text("<postmaster>", PM_OK, &a, &why), 0);
    mail_addr_internal(&a, out, sizeof(out));
    assert_string_equal(out, "postmaster");
    assert_int_equal(parse_text("<user@example.com>", 0, &a, &why), 0);
    mail_addr_internal(&a, out, 5); /* truncated, terminated */
    assert_string_equal(out, "user");
}

static void test_from_internal(void **state UNUSED)
{
    static const struct {
        const char *in;
        int ret;
        const char *local, *domain;
        bool literal, null;
    } cases[] = {
        {"user@example.com", 0, "user", "example.com", false, false},
        {"a@b@example.com", 0, "a@b", "example.com", false, false},
        {"a b@example.com", 0, "a b", "example.com", false, false},
        {"", 0, "", "", false, true},
        {"postmaster", 0, "postmaster", "", false, false},
        {"u@[192.0.2.1]", 0, "u", "[192.0.2.1]", true, false},
        {"@example.com", -1, NULL, NULL, false, false},
        {"user@", -1, NULL, NULL, false, false},
        {"a@b@", -1, NULL, NULL, false, false},
    };
    char text[700];
    struct mail_addr a;
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        int ret = mail_addr_from_internal(cases[i].in, &a);

        if (ret != cases[i].ret)
            fail_msg("\"%s\": returned %d", cases[i].in, ret);
        if (ret == 0) {
            assert_string_equal(a.local, cases[i].local);
            assert_string_equal(a.domain, cases[i].domain);
            assert_int_equal(a.literal, cases[i].literal);
            assert_int_equal(a.null, cases[i].null);
        }
    }
    /* Lengths: 64 + 255 is the most, one more either side fails. */
    memset(text, 'l', 64);
    text[64] = '@';
    make_domain(text + 65, 255);
    assert_int_equal(mail_addr_from_internal(text, &a), 0);
    assert_int_equal(strlen(a.domain), 255);
    make_domain(text + 65, 256);
    assert_int_equal(mail_addr_from_internal(text, &a), -1);
    memset(text, 'l', 65);
    text[65] = '@';
    make_domain(text + 66, 11);
    assert_int_equal(mail_addr_from_internal(text, &a), -1);
}

/*
 * BUG: every address the path parser accepts must survive the queue file,
 * which stores mail_addr_internal() and reads it back with
 * mail_addr_from_internal().  <""@example.com> (an empty quoted local part)
 * is accepted, but its internal form "@example.com" is refused on the way
 * back, so qfile_parse() rejects the queue file that smtpd just wrote.
 */
static void test_internal_round_trip(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i <= COUNTOF(good); i++) {
        const char *in = i < COUNTOF(good) ? good[i].in : "<\"\"@example.com>";
        int flags = i < COUNTOF(good) ? good[i].flags : 0;
        char text[MAIL_ADDR_TEXT_MAX + 1];
        struct mail_addr a, b;
        const char *why;
        size_t used;

        if (mail_addr_parse_path((const unsigned char *)in, strlen(in), flags, &a, &used, &why) < 0)
            continue; /* refusing it is a fix too */
        mail_addr_internal(&a, text, sizeof(text));
        if (mail_addr_from_internal(text, &b) != 0)
            unit_row_fail(&rows, "%s: internal form \"%s\" is not read back", in, text);
        else if (strcmp(a.local, b.local) != 0 || strcmp(a.domain, b.domain) != 0 ||
                 a.literal != b.literal || a.null != b.null)
            unit_row_fail(&rows, "%s: read back as \"%s\"@\"%s\"", in, b.local, b.domain);
    }
    unit_rows_check(&rows);
}

/* RFC 6531 UTF-8: only with MAIL_ADDR_ALLOW_UTF8, only valid shortest-form UTF-8, no controls. */
struct utf8_case {
    const char *in;
    int ok;    /* 1: parses with the flag (and sets utf8), 0: refused even with it */
    bool utf8; /* the utf8 flag expected when it parses */
};

static const struct utf8_case utf8_cases[] = {
    {"<j\xc3\xb6s\xc3\xa9@corp.example>", 1, true},
    {"<user@b\xc3\xbc"
     "cher.example>",
     1, true},
    {"<\"j\xc3\xb6 s\xc3\xa9\"@corp.example>", 1, true},
    {"<\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.example>", 1, true},
    {"<\xf0\x9f\x98\x80@corp.example>", 1, true},
    {"<plain@corp.example>", 1, false},
    {"<j\xc3@corp.example>", 0, false},             /* truncated sequence */
    {"<j\xc0\xaf@corp.example>", 0, false},         /* overlong '/' */
    {"<j\xe0\x80\xaf@corp.example>", 0, false},     /* overlong, 3 octets */
    {"<j\xed\xa0\x80@corp.example>", 0, false},     /* a surrogate */
    {"<j\xf4\x90\x80\x80@corp.example>", 0, false}, /* past U+10FFFF */
    {"<j\xc2\x85@corp.example>", 0, false},         /* C1 control NEL */
    {"<j\x80@corp.example>", 0, false},             /* lone continuation */
    {"<j\xff@corp.example>", 0, false},
    {"<u@\xc3\xa9-.example>", 0, false},    /* label ends in '-' */
    {"<\"j\xc3\"@corp.example>", 0, false}, /* bad UTF-8 in quotes */
};

static void test_utf8(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    char local65[80];
    size_t i;

    for (i = 0; i < COUNTOF(utf8_cases); i++) {
        const struct utf8_case *c = utf8_cases + i;
        size_t len = strlen(c->in), used;
        struct mail_addr a;
        const char *why;
        int r = mail_addr_parse_path((const unsigned char *)c->in, len, MAIL_ADDR_ALLOW_UTF8, &a,
                                     &used, &why);

        if ((r == 0) != (c->ok == 1))
            unit_row_fail(&rows, "row %zu: parse %d", i, r);
        else if (r == 0 && a.utf8 != c->utf8)
            unit_row_fail(&rows, "row %zu: utf8 %d", i, a.utf8);
        /* Without the flag no non-ASCII octet is an address. */
        if (c->utf8 &&
            mail_addr_parse_path((const unsigned char *)c->in, len, 0, &a, &used, &why) == 0)
            unit_row_fail(&rows, "row %zu: parsed without MAIL_ADDR_ALLOW_UTF8", i);
    }
    unit_rows_check(&rows);
    /* 32 two-octet characters: 64 octets fit, one more does not (the limit is in octets). */
    memset(local65, 0, sizeof(local65));
    for (i = 0; i < 32; i++)
        memcpy(local65 + 1 + 2 * i, "\xc3\xa9", 2);
    local65[0] = '<';
    {
        struct mail_addr a;
        const char *why;
        size_t used;
        char in[120];

        snprintf(in, sizeof(in), "%s@x.example>", local65);
        assert_int_equal(mail_addr_parse_path((const unsigned char *)in, strlen(in),
                                              MAIL_ADDR_ALLOW_UTF8, &a, &used, &why),
                         0);
        assert_int_equal(strlen(a.local), 64);
        snprintf(in, sizeof(in), "%sa@x.example>", local65);
        assert_int_equal(mail_addr_parse_path((const unsigned char *)in, strlen(in),
                                              MAIL_ADDR_ALLOW_UTF8, &a, &used, &why),
                         -1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_paths),
        cmocka_unit_test(test_bad_paths),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_domain_ok),
        cmocka_unit_test(test_external_round_trip),
        cmocka_unit_test(test_external_special),
        cmocka_unit_test(test_internal),
        cmocka_unit_test(test_quote_internal),
        cmocka_unit_test(test_from_internal),
        cmocka_unit_test(test_internal_round_trip),
        cmocka_unit_test(test_utf8),
    };

    unit_init("test_mail_addr");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
