/*
 * test_resolve.c - recipient classification after loading a test main.cf:
 * mydestination matches exactly and case-insensitively, relay_domains also
 * matches subdomains (Postfix's parent_domain_matches_subdomains), the rest
 * goes to the default transport; lists may hold tables, /files, .subdomains
 * and !negations, as in Postfix.
 * Address literals naming our own addresses (inet_interfaces, every
 * interface address for "all", proxy_interfaces) are local, as in Postfix.
 */
#include "unit.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "resolve.h"

static char dir[PATH_MAX];

static void load(const char *text)
{
    char cf[PATH_MAX + 16];
    char *err = NULL;

    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    unit_write_text(cf, text);
    if (mail_conf_load(dir, NULL, &err) != 0)
        fail_msg("mail_conf_load: %s", err);
}

static void load_test_config(void)
{
    char *err = NULL;

    load("myhostname = mail.example.com\n"
         "mydestination = $myhostname, localhost, Example.ORG\n"
         "relay_domains = relay.example, Other.Example\n");
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
}

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    load_test_config();
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static void test_classes(void **state UNUSED)
{
    static const struct {
        const char *addr; /* internal form */
        enum resolve_class cls;
        const char *transport;
    } cases[] = {
        {"u@mail.example.com", RESOLVE_LOCAL, "local"},
        {"u@MAIL.Example.COM", RESOLVE_LOCAL, "local"},
        {"u@localhost", RESOLVE_LOCAL, "local"},
        {"u@example.org", RESOLVE_LOCAL, "local"},      /* the list is folded too */
        {"postmaster", RESOLVE_LOCAL, "local"},         /* <postmaster>: no domain */
        {"u@sub.example.org", RESOLVE_DEFAULT, "smtp"}, /* mydestination is exact */
        {"u@example.com", RESOLVE_DEFAULT, "smtp"},
        {"u@relay.example", RESOLVE_RELAY, "smtp"},
        {"u@RELAY.example", RESOLVE_RELAY, "smtp"},
        {"u@sub.relay.example", RESOLVE_RELAY, "smtp"},
        {"u@a.b.relay.example", RESOLVE_RELAY, "smtp"},
        {"u@xrelay.example", RESOLVE_DEFAULT, "smtp"}, /* not a subdomain */
        {"u@relay.example.net", RESOLVE_DEFAULT, "smtp"},
        {"u@other.example", RESOLVE_RELAY, "smtp"},
        {"u@example", RESOLVE_DEFAULT, "smtp"},
        {"u@[192.0.2.1]", RESOLVE_DEFAULT, "smtp"},
        {"u@localhost.example.com", RESOLVE_DEFAULT, "smtp"},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct mail_addr a;
        struct resolve_result r = {RESOLVE_DEFAULT, NULL, false, "", ""};

        assert_int_equal(mail_addr_from_internal(cases[i].addr, &a), 0);
        resolve_addr(&a, &r);
        if (r.cls != cases[i].cls || r.transport == NULL ||
            strcmp(r.transport, cases[i].transport) != 0)
            fail_msg("%s: class %d transport %s", cases[i].addr, r.cls,
                     r.transport ? r.transport : "(null)");
    }
}

static void test_local_domain(void **state UNUSED)
{
    assert_true(resolve_local_domain("mail.example.com"));
    assert_true(resolve_local_domain("LOCALHOST"));
    assert_false(resolve_local_domain("relay.example"));
    assert_false(resolve_local_domain(""));
    assert_false(resolve_local_domain("example.com"));
}

static void test_reinit(void **state UNUSED)
{
    struct mail_addr a;
    struct resolve_result r;
    char *err = NULL;

    /* A new configuration replaces the lists. */
    load("myhostname = other.example.net\nrelay_domains =\n");
    assert_int_equal(resolve_init(&err), 0);
    assert_true(resolve_local_domain("other.example.net"));
    assert_true(resolve_local_domain("localhost.example.net"));
    assert_false(resolve_local_domain("mail.example.com"));
    assert_int_equal(mail_addr_from_internal("u@relay.example", &a), 0);
    resolve_addr(&a, &r);
    assert_int_equal(r.cls, RESOLVE_DEFAULT);

    /* A table that cannot be opened is an error that names the parameter. */
    load("myhostname = x.example\nmydestination = hash:/nonexistent/domains\n");
    assert_int_equal(resolve_init(&err), -1);
    assert_non_null(strstr(err, "mydestination"));
    assert_non_null(strstr(err, "hash:/nonexistent/domains"));
    free(err);
    load("myhostname = x.example\nrelay_domains = a.example /nonexistent/relay\n");
    assert_int_equal(resolve_init(&err), -1);
    assert_non_null(strstr(err, "relay_domains: open /nonexistent/relay"));
    free(err);

    /* Back to the test configuration for anything that follows. */
    load_test_config();
}

static void expect_class(const char *addr, enum resolve_class cls);

/* Domain lists as Postfix has them: tables, /files, .subdomains, !negation. */
static void test_lists(void **state UNUSED)
{
    char text[4 * PATH_MAX], file[PATH_MAX + 16], *err = NULL;

    snprintf(file, sizeof(file), "%s/relay", dir);
    unit_write_text(file, "# relayed\nfile.example\n  cont.example\n");
    snprintf(text, sizeof(text),
             "myhostname = mail.example.com\n"
             "mydestination = $myhostname, inline:{Table.Example=x}, !no.sub.example,"
             " .sub.example\n"
             "relay_domains = %s, inline:{relayed.example=1}\n",
             file);
    load(text);
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
    expect_class("u@table.example", RESOLVE_LOCAL);
    expect_class("u@x.table.example", RESOLVE_DEFAULT); /* not a parent list */
    expect_class("u@a.sub.example", RESOLVE_LOCAL);
    expect_class("u@sub.example", RESOLVE_DEFAULT);    /* ".x" is subdomains only */
    expect_class("u@no.sub.example", RESOLVE_DEFAULT); /* the first match decides */
    expect_class("u@file.example", RESOLVE_RELAY);
    expect_class("u@cont.example", RESOLVE_RELAY);
    expect_class("u@a.relayed.example", RESOLVE_RELAY); /* a parent list: parents too */
    expect_class("u@relayed.example.net", RESOLVE_DEFAULT);
    load_test_config();
}

/*
 * Virtual domains: the lists default to the domains that are keys of
 * their tables (Postfix's "$virtual_alias_maps"), and the order is local,
 * virtual alias, virtual mailbox, relay, default.
 */
static void test_virtual_domains(void **state UNUSED)
{
    struct resolve_result r;
    struct mail_addr a;
    char *err = NULL;

    load("myhostname = mail.example.com\n"
         "virtual_alias_maps = inline:{alias.example=x, u@alias.example=v@box.example}\n"
         "virtual_mailbox_maps = inline:{box.example=x, v@box.example=box.example/v/}\n"
         "virtual_mailbox_base = /srv/mail\n"
         "relay_domains = alias.example, box.example, relay.example\n");
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
    expect_class("u@alias.example", RESOLVE_VALIAS);
    expect_class("u@box.example", RESOLVE_VIRTUAL);
    expect_class("u@relay.example", RESOLVE_RELAY);
    expect_class("u@mail.example.com", RESOLVE_LOCAL);
    expect_class("u@sub.box.example", RESOLVE_RELAY); /* relay_domains has parents */
    assert_int_equal(mail_addr_from_internal("v@box.example", &a), 0);
    resolve_addr(&a, &r);
    assert_string_equal(r.transport, "virtual");
    assert_int_equal(mail_addr_from_internal("v@alias.example", &a), 0);
    resolve_addr(&a, &r);
    assert_string_equal(r.transport, "error");
    /* Explicit lists win over the tables. */
    load("myhostname = mail.example.com\n"
         "virtual_alias_maps = inline:{alias.example=x}\n"
         "virtual_alias_domains = other.example\n"
         "virtual_mailbox_domains = box.example\n");
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
    expect_class("u@alias.example", RESOLVE_DEFAULT);
    expect_class("u@other.example", RESOLVE_VALIAS);
    expect_class("u@box.example", RESOLVE_VIRTUAL);
    load_test_config();
}

/* A texthash: file as a relay_domains table. */
static void test_table_file(void **state UNUSED)
{
    char text[2 * PATH_MAX], table[PATH_MAX + 16], *err = NULL;
    struct resolve_result r;
    struct mail_addr a;

    snprintf(table, sizeof(table), "%s/domains", dir);
    unit_write_text(table, "ok.example 1\n");
    snprintf(text, sizeof(text), "myhostname = m.example\nrelay_domains = texthash:%s\n", table);
    load(text);
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
    assert_int_equal(mail_addr_from_internal("u@ok.example", &a), 0);
    resolve_addr(&a, &r);
    assert_int_equal(r.cls, RESOLVE_RELAY);
    assert_false(r.tempfail);
    load_test_config();
}

static void expect_class(const char *addr, enum resolve_class cls)
{
    struct mail_addr a;
    struct resolve_result r;

    assert_int_equal(mail_addr_from_internal(addr, &a), 0);
    resolve_addr(&a, &r);
    if (r.cls != cls)
        fail_msg("%s: class %d, want %d", addr, r.cls, cls);
}

static void test_own_literals(void **state UNUSED)
{
    char *err = NULL;

    /* Listed addresses, either family, and proxy_interfaces too. */
    load("myhostname = mail.example.com\n"
         "inet_interfaces = 192.0.2.10, [2001:db8::10]\n"
         "proxy_interfaces = 198.51.100.7\n");
    assert_int_equal(resolve_init(&err), 0);
    expect_class("u@[192.0.2.10]", RESOLVE_LOCAL);
    expect_class("u@[IPv6:2001:db8::10]", RESOLVE_LOCAL);
    expect_class("u@[ipv6:2001:DB8:0::10]", RESOLVE_LOCAL); /* the address, not the text */
    expect_class("u@[198.51.100.7]", RESOLVE_LOCAL);
    expect_class("u@[192.0.2.1]", RESOLVE_DEFAULT);
    expect_class("u@[127.0.0.1]", RESOLVE_DEFAULT); /* not listed: not ours */
    expect_class("u@[IPv6:2001:db8::11]", RESOLVE_DEFAULT);
    expect_class("u@192.0.2.10", RESOLVE_DEFAULT); /* a (strange) name, not a literal */
    assert_true(resolve_own_literal("[192.0.2.10]"));
    assert_false(resolve_own_literal("192.0.2.10"));
    assert_false(resolve_own_literal("[192.0.2.10"));
    assert_false(resolve_own_literal("[IPv6:192.0.2.10]"));
    assert_false(resolve_own_literal("[]"));

    /* inet_protocols = ipv4: IPv6 addresses are not ours to receive on. */
    load("myhostname = mail.example.com\n"
         "inet_interfaces = 192.0.2.10, [2001:db8::10]\n"
         "inet_protocols = ipv4\n");
    assert_int_equal(resolve_init(&err), 0);
    expect_class("u@[192.0.2.10]", RESOLVE_LOCAL);
    expect_class("u@[IPv6:2001:db8::10]", RESOLVE_DEFAULT);

    /* "all": every interface address; lo always has 127.0.0.1. */
    load("myhostname = mail.example.com\ninet_interfaces = all\n");
    assert_int_equal(resolve_init(&err), 0);
    expect_class("u@[127.0.0.1]", RESOLVE_LOCAL);
    expect_class("u@[192.0.2.1]", RESOLVE_DEFAULT); /* TEST-NET-1: nobody's */

    load("myhostname = mail.example.com\ninet_interfaces = loopback-only\n");
    assert_int_equal(resolve_init(&err), 0);
    expect_class("u@[127.0.0.1]", RESOLVE_LOCAL);
    expect_class("u@[IPv6:::1]", RESOLVE_LOCAL);
    expect_class("u@[127.0.0.2]", RESOLVE_DEFAULT);

    /* Brackets hold an address, never a name to look up. */
    load("myhostname = mail.example.com\nproxy_interfaces = [not-an-address]\n");
    assert_int_equal(resolve_init(&err), -1);
    assert_non_null(strstr(err, "proxy_interfaces"));
    assert_non_null(strstr(err, "not-an-address"));
    free(err);

    load_test_config();
}

/* transport_maps: lookup order, values, and values that must not be taken. */
static void test_transport_maps(void **state UNUSED)
{
    static const struct {
        const char *addr;
        bool tempfail;
        const char *transport, *nexthop;
    } cases[] = {
        {"u@b.example", false, "smtp", "[192.0.2.1]:587"},
        {"boss@b.example", false, "error", "5.1.1 gone"}, /* the address before its domain */
        {"u@x.sub.example", false, "relay2", ""},         /* .parent covers subdomains */
        {"u@sub.example", false, "smtp", "fallback"},     /* but not the parent: "*" */
        {"u@mail.example.com", false, "local", ""},       /* ":" keeps the class's own */
        {"u@bad.example", true, NULL, NULL},              /* not a transport name */
    };
    struct resolve_result r;
    struct mail_addr a;
    char *err = NULL;
    size_t i;

    load("myhostname = mail.example.com\n"
         "transport_maps = inline:{b.example=smtp:[192.0.2.1]:587, {boss@b.example=error:5.1.1 "
         "gone}, .sub.example=relay2:, mail.example.com=:, bad.example=../x:y, "
         "*=smtp:fallback}\n");
    if (resolve_init(&err) != 0)
        fail_msg("resolve_init: %s", err);
    for (i = 0; i < COUNTOF(cases); i++) {
        memset(&r, 0, sizeof(r));
        assert_int_equal(mail_addr_from_internal(cases[i].addr, &a), 0);
        resolve_addr(&a, &r);
        if (r.tempfail != cases[i].tempfail)
            fail_msg("%s: tempfail %d", cases[i].addr, r.tempfail);
        if (!cases[i].tempfail && (strcmp(r.transport, cases[i].transport) != 0 ||
                                   strcmp(r.nexthop, cases[i].nexthop) != 0))
            fail_msg("%s: %s:%s", cases[i].addr, r.transport, r.nexthop);
    }
    load_test_config();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),         cmocka_unit_test(test_local_domain),
        cmocka_unit_test(test_reinit),          cmocka_unit_test(test_lists),
        cmocka_unit_test(test_table_file),      cmocka_unit_test(test_own_literals),
        cmocka_unit_test(test_virtual_domains), cmocka_unit_test(test_transport_maps),
    };

    unit_init("test_resolve");
    return cmocka_run_group_tests(tests, setup, teardown);
}
