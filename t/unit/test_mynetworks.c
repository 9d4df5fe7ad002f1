/*
 * test_mynetworks.c - the trusted client networks after loading a test
 * main.cf: matching IPv4, IPv6 and IPv4-mapped clients, the default, an
 * empty list, and a bad entry refused by name, after which nothing matches
 * (fail closed: no client becomes trusted by accident).
 */
#include "unit.h"
#include "mail_params.h"
#include "mynetworks.h"

static char dir[PATH_MAX];

static int init_with(const char *mynetworks_line, char **err)
{
    char cf[PATH_MAX + 16], text[512];

    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    snprintf(text, sizeof(text), "myhostname = mail.example.com\n%s\n", mynetworks_line);
    unit_write_text(cf, text);
    if (mail_conf_load(dir, NULL, err) != 0)
        fail_msg("mail_conf_load: %s", *err);
    *err = NULL;
    return mynetworks_init(err);
}

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static void test_match(void **state UNUSED)
{
    static const struct {
        const char *addr;
        bool ok;
    } cases[] = {
        {"127.0.0.1", true},
        {"127.255.255.255", true},
        {"128.0.0.1", false},
        {"::1", true},
        {"::2", false},
        {"192.0.2.77", true},
        {"::ffff:192.0.2.77", true},
        {"::ffff:127.0.0.1", true},
        {"192.0.3.1", false},
        {"2001:db8::5", true},
        {"2001:db8:ffff::", true},
        {"2001:db9::5", false},
        {"10.1.2.3", true},
        {"10.255.0.1", false},
        {"garbage", false},
        {"", false},
        {"192.0.2.77 ", false},
    };
    char *err = NULL;
    size_t i;

    if (init_with("mynetworks = 127.0.0.0/8 [::1]/128, 192.0.2.0/24,[2001:db8::]/32\n"
                  "    10.0.0.0/9",
                  &err) != 0)
        fail_msg("mynetworks_init: %s", err);
    for (i = 0; i < COUNTOF(cases); i++)
        if (mynetworks_match(cases[i].addr) != cases[i].ok)
            fail_msg("%s should %smatch", cases[i].addr, cases[i].ok ? "" : "not ");
}

static void test_default_and_empty(void **state UNUSED)
{
    char *err = NULL;

    assert_int_equal(init_with("", &err), 0); /* 127.0.0.0/8 [::1]/128 */
    assert_true(mynetworks_match("127.0.0.1"));
    assert_true(mynetworks_match("::1"));
    assert_false(mynetworks_match("192.0.2.1"));

    assert_int_equal(init_with("mynetworks =", &err), 0);
    assert_false(mynetworks_match("127.0.0.1"));
    assert_false(mynetworks_match("::1"));
}

static void test_bad_entry_fails_closed(void **state UNUSED)
{
    static const struct {
        const char *line;
        const char *err;
    } cases[] = {
        {"mynetworks = 127.0.0.0/8 192.0.2.1/24",
         "mynetworks: \"192.0.2.1/24\": non-zero host bits in network address"},
        {"mynetworks = 127.0.0.0/8 example.com",
         "mynetworks: \"example.com\": bad network address"},
        {"mynetworks = 127.0.0.0/8 10.0.0.0/33",
         "mynetworks: \"10.0.0.0/33\": bad network prefix length"},
        {"mynetworks = 127.0.0.0/8 hash:/etc/postern/mynetworks", NULL},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        char *err = NULL;

        if (init_with(cases[i].line, &err) != -1)
            fail_msg("\"%s\" accepted", cases[i].line);
        assert_non_null(err);
        if (cases[i].err)
            assert_string_equal(err, cases[i].err);
        free(err);
        /* The good entry before the bad one does not linger. */
        assert_false(mynetworks_match("127.0.0.1"));
    }
}

/* The same syntax for other parameters (smtpd_forbid_bare_newline_exclusions). */
static void test_net_list(void **state UNUSED)
{
    struct net_list l = {0};
    char *err = NULL;

    assert_int_equal(net_list_init(&l, "x_exclusions", "192.0.2.0/24, [2001:db8::]/32", &err), 0);
    assert_true(net_list_match(&l, "192.0.2.77"));
    assert_true(net_list_match(&l, "2001:db8::1"));
    assert_false(net_list_match(&l, "198.51.100.1"));
    assert_int_equal(net_list_init(&l, "x_exclusions", "", &err), 0);
    assert_false(net_list_match(&l, "192.0.2.77"));
    assert_int_equal(net_list_init(&l, "x_exclusions", "192.0.2.0/24 bogus", &err), -1);
    assert_non_null(strstr(err, "x_exclusions: \"bogus\""));
    assert_false(net_list_match(&l, "192.0.2.77")); /* a bad list matches nothing */
    free(err);
    free(l.nets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_default_and_empty),
        cmocka_unit_test(test_bad_entry_fails_closed),
        cmocka_unit_test(test_net_list),
    };

    unit_init("test_mynetworks");
    return cmocka_run_group_tests(tests, setup, teardown);
}
