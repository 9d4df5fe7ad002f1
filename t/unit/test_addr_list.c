/*
 * test_addr_list.c - the RFC 5322 address-list parser: display names,
 * comments, quoted strings, groups, angle addresses with routes, bare
 * local parts, empty elements; what it refuses, and that a refused list
 * leaves the list as it was; the limits.
 */
#include "unit.h"
#include "addr_list.h"

/* The internal forms of what parsed, space separated, or "ERR". */
static void parse(const char *in, char *out, size_t len)
{
    struct addr_list l;
    const char *why = NULL;
    size_t i, n = 0;

    addr_list_init(&l, 100);
    out[0] = 0;
    if (addr_list_parse((const unsigned char *)in, strlen(in), &l, &why) < 0) {
        assert_non_null(why);
        assert_int_equal(l.n, 0);
        snprintf(out, len, "ERR");
        addr_list_free(&l);
        return;
    }
    for (i = 0; i < l.n; i++) {
        char text[MAIL_ADDR_TEXT_MAX + 1];

        mail_addr_internal(l.addrs + i, text, sizeof(text));
        n += (size_t)snprintf(out + n, len - n, "%s%s", i ? " " : "", text);
    }
    addr_list_free(&l);
}

static void test_accepted(void **state UNUSED)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a@example.com", "a@example.com"},
        {"a@example.com, b@example.org", "a@example.com b@example.org"},
        {"John Doe <jd@example.com>", "jd@example.com"},
        {"\"Doe, John\" <jd@example.com>, x@y.z", "jd@example.com x@y.z"},
        {"John Q. Public <jqp@example.com>", "jqp@example.com"},
        {"jd@example.com (John Doe)", "jd@example.com"},
        {"(lead) jd (middle) @ (more) example.com (trail)", "jd@example.com"},
        {"a (nested (comment \\) here)) @b.c", "a@b.c"},
        {"\"john doe\"@example.com", "john doe@example.com"},
        {"\"a\\\"b\"@example.com", "a\"b@example.com"},
        {"first.last@example.com", "first.last@example.com"},
        {"first . last @ example . com", "first.last@example.com"},
        {"<@relay.example:user@example.com>", "user@example.com"},
        {"<@a.example,@b.example:user@example.com>", "user@example.com"},
        {"undisclosed-recipients:;", ""},
        {"undisclosed-recipients:", ""},
        {"team: a@x.example, b@y.example;, c@z.example", "a@x.example b@y.example c@z.example"},
        {"team: Ann <a@x.example>;", "a@x.example"},
        {"root", "root"},
        {"<root>", "root"},
        {"root, postmaster@example.com", "root postmaster@example.com"},
        {"a@[192.0.2.1]", "a@[192.0.2.1]"},
        {"a@[IPv6:2001:db8::1]", "a@[IPv6:2001:db8::1]"},
        {"a@example.com.", "a@example.com"},
        {",, a@b.c ,, ,", "a@b.c"},
        {"", ""},
        {"   \t\r\n ", ""},
        {"=?utf-8?q?J=C3=B6rg?= <j@example.de>", "j@example.de"},
        {"J\xc3\xb6rg <j@example.de>", "j@example.de"},
        {"\"J\xc3\xb6rg\" <j@example.de>", "j@example.de"},
        {"user+tag@example.com", "user+tag@example.com"},
        {"Folded\r\n Name <f@example.com>", "f@example.com"},
    };
    char out[1024];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        parse(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("case %zu \"%s\": got \"%s\", want \"%s\"", i, cases[i].in, out,
                     cases[i].want);
    }
}

static void test_refused(void **state UNUSED)
{
    static const char *const cases[] = {
        "John Smith",             /* a name without an address */
        "<a@b.c",                 /* no closing > */
        "a@b.c>",                 /* stray > */
        "\"unterminated@b.c",     /* open quote */
        "a@b.c (open comment",    /* open comment */
        "a@[192.0.2.1",           /* open literal */
        "a@[not an address]",     /* literal mail_addr refuses */
        "<>",                     /* the null address is no recipient */
        "Name <>",                /* likewise */
        "a@@b.c",                 /* two at signs */
        "a@",                     /* no domain */
        "@b.c",                   /* no local part */
        ".a@b.c",                 /* leading dot */
        "a..b@c.d",               /* empty atom */
        "a.@b.c",                 /* trailing dot */
        "a@-b.c",                 /* bad label */
        "a@b..c",                 /* empty label */
        "a@b.c d@e.f",            /* no comma */
        "<a@b.c> trailing",       /* text after an angle address */
        "a: b: c@d.e;;",          /* a group inside a group */
        ": a@b.c;",               /* a group without a name */
        "a@b.c;",                 /* ';' outside a group */
        "a\\b@c.d",               /* backslash outside quotes */
        "a\x01@b.c",              /* control character */
        "a@b.c\x7f",              /* DEL */
        "j\xc3\xb6rg@example.de", /* 8-bit in an address (no SMTPUTF8) */
        "a@ex\xc3\xa4mple.de",    /* 8-bit in a domain */
        "<@relay a@b.c>",         /* route without ':' */
        "(((((((((((((((((((((((((((((((((deep)))))))))))))))))))))))))))))))) a@b.c",
        "a@b.c, broken <", /* one bad address spoils the list */
    };
    char out[1024];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        parse(cases[i], out, sizeof(out));
        if (strcmp(out, "ERR") != 0)
            fail_msg("case %zu \"%s\" was accepted: \"%s\"", i, cases[i], out);
    }
}

static void test_limits(void **state UNUSED)
{
    struct addr_list l;
    const char *why;
    char local[MAIL_ADDR_LOCAL_MAX + 2], text[256];
    unsigned char *big;

    /* A local part one octet too long, and one just right. */
    memset(local, 'a', sizeof(local) - 1);
    local[sizeof(local) - 1] = 0;
    snprintf(text, sizeof(text), "%s@b.c", local);
    addr_list_init(&l, 10);
    assert_int_equal(addr_list_parse((unsigned char *)text, strlen(text), &l, &why), -1);
    local[MAIL_ADDR_LOCAL_MAX] = 0;
    snprintf(text, sizeof(text), "%s@b.c", local);
    assert_int_equal(addr_list_parse((unsigned char *)text, strlen(text), &l, &why), 0);
    assert_int_equal(l.n, 1);

    /* The list's maximum counts over calls; a refused call keeps what was there. */
    assert_int_equal(addr_list_parse((unsigned char *)"a@b.c, d@e.f", 12, &l, &why), 0);
    assert_int_equal(l.n, 3);
    l.max = 4;
    assert_int_equal(addr_list_parse((unsigned char *)"g@h.i, j@k.l", 12, &l, &why), -1);
    assert_string_equal(why, "too many addresses");
    assert_int_equal(l.n, 3);
    addr_list_free(&l);

    /* Input over ADDR_LIST_TEXT_MAX is refused before it is looked at. */
    big = malloc(ADDR_LIST_TEXT_MAX + 1);
    assert_non_null(big);
    memset(big, ' ', ADDR_LIST_TEXT_MAX + 1);
    addr_list_init(&l, 10);
    assert_int_equal(addr_list_parse(big, ADDR_LIST_TEXT_MAX + 1, &l, &why), -1);
    assert_int_equal(addr_list_parse(big, ADDR_LIST_TEXT_MAX, &l, &why), 0);
    addr_list_free(&l);
    free(big);

    /* No NUL is trusted: the length is. */
    addr_list_init(&l, 10);
    assert_int_equal(addr_list_parse((unsigned char *)"a@b.c\0d@e.f", 11, &l, &why), -1);
    assert_int_equal(addr_list_parse((unsigned char *)"a@b.cXXXX", 5, &l, &why), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.addrs[0].domain, "b.c");
    addr_list_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_limits),
    };

    unit_init("test_addr_list");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
