/*
 * test_master_cf.c - master.cf lines: the '-' defaults, inet names with
 * host and port (bracketed IPv6 too), unix names, y/n columns, wakeup and
 * process limits, "-o name=value" and "-oname=value" checked against the
 * parameter table, every malformed line with its reason, and whole files
 * with "FILE, line N:" errors and duplicate services.
 */
#include "unit.h"
#include "master_cf.h"

static int parse(const char *line, struct master_ent *e, const char **why)
{
    return master_cf_parse_line((const unsigned char *)line, strlen(line), 100, e, why);
}

static size_t vec_len(char **v)
{
    size_t n = 0;

    while (v && v[n])
        n++;
    return n;
}

static void test_defaults(void **state UNUSED)
{
    struct master_ent e;
    const char *why = NULL;

    if (parse("smtp inet - - - - - smtpd", &e, &why) != 0)
        fail_msg("%s", why);
    assert_string_equal(e.name, "smtp");
    assert_int_equal(e.type, MASTER_TYPE_INET);
    assert_null(e.host); /* inet_interfaces decides */
    assert_string_equal(e.port, "smtp");
    assert_true(e.private_);
    assert_true(e.unpriv);
    assert_false(e.chroot);
    assert_int_equal(e.wakeup, 0);
    assert_int_equal(e.maxproc, 100); /* default_maxproc */
    assert_string_equal(e.command, "smtpd");
    assert_non_null(e.argv);
    assert_null(e.argv[0]);
    assert_non_null(e.overrides);
    assert_null(e.overrides[0]);
    master_ent_free(&e);
    assert_null(e.name);
}

static void test_explicit(void **state UNUSED)
{
    struct master_ent e;
    const char *why = NULL;

    if (parse("127.0.0.1:10025  inet\tn n y 60 5 smtpd -o smtpd_banner=x "
              "-osmtpd_timeout=60s arg1 a,b -o mynetworks=10.0.0.0/8,192.0.2.0/24",
              &e, &why) != 0)
        fail_msg("%s", why);
    assert_string_equal(e.name, "127.0.0.1:10025");
    assert_string_equal(e.host, "127.0.0.1");
    assert_string_equal(e.port, "10025");
    assert_false(e.private_);
    assert_false(e.unpriv);
    assert_true(e.chroot);
    assert_int_equal(e.wakeup, 60);
    assert_int_equal(e.maxproc, 5);
    assert_int_equal(vec_len(e.argv), 2);
    assert_string_equal(e.argv[0], "arg1");
    assert_string_equal(e.argv[1], "a,b"); /* commas are data here */
    assert_int_equal(vec_len(e.overrides), 3);
    assert_string_equal(e.overrides[0], "smtpd_banner=x");
    assert_string_equal(e.overrides[1], "smtpd_timeout=60s");
    assert_string_equal(e.overrides[2], "mynetworks=10.0.0.0/8,192.0.2.0/24");
    master_ent_free(&e);
}

static void test_names(void **state UNUSED)
{
    static const struct {
        const char *line;
        const char *host; /* NULL: none */
        const char *port;
        enum master_type type;
        int wakeup, maxproc;
    } cases[] = {
        {"[::1]:25 inet n - n - - smtpd", "::1", "25", MASTER_TYPE_INET, 0, 100},
        {"[2001:db8::1]:smtp inet n - n - - smtpd", "2001:db8::1", "smtp", MASTER_TYPE_INET, 0,
         100},
        {"2525 inet n - n - 0 smtpd", NULL, "2525", MASTER_TYPE_INET, 0, 0},
        {"mail.example.com:submission inet n - n - 10 smtpd", "mail.example.com", "submission",
         MASTER_TYPE_INET, 0, 10},
        {"192.0.2.1:65535 inet n - n - - smtpd", "192.0.2.1", "65535", MASTER_TYPE_INET, 0, 100},
        {"pickup unix n - n 60? 1 pickup", NULL, NULL, MASTER_TYPE_UNIX, 60, 1},
        {"qmgr unix n - n 300 1 qmgr", NULL, NULL, MASTER_TYPE_UNIX, 300, 1},
        {"local unix - n n - - local", NULL, NULL, MASTER_TYPE_UNIX, 0, 100},
        {"x unix - - - 86400 100000 cmd", NULL, NULL, MASTER_TYPE_UNIX, 86400, 100000},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct master_ent e;
        const char *why = NULL;

        if (parse(cases[i].line, &e, &why) != 0)
            fail_msg("\"%s\": %s", cases[i].line, why);
        assert_int_equal(e.type, cases[i].type);
        if (cases[i].host)
            assert_string_equal(e.host, cases[i].host);
        else
            assert_null(e.host);
        if (cases[i].port)
            assert_string_equal(e.port, cases[i].port);
        assert_int_equal(e.wakeup, cases[i].wakeup);
        assert_int_equal(e.maxproc, cases[i].maxproc);
        assert_string_equal(master_type_name(e.type),
                            cases[i].type == MASTER_TYPE_INET ? "inet" : "unix");
        master_ent_free(&e);
    }
}

static void test_bad_lines(void **state UNUSED)
{
    static const struct {
        const char *line;
        const char *why; /* part of the reason */
    } cases[] = {
        {"", "expected at least 8 fields"},
        {"smtp inet - - - - -", "expected at least 8 fields"},
        {"smtp tcp - - - - - smtpd", "unsupported service type"},
        {"smtp INET - - - - - smtpd", "unsupported service type"},
        {"smtp inet yes - - - - smtpd", "must be y, n or -"},
        {"smtp inet - Y - - - smtpd", "must be y, n or -"},
        {"smtp inet - - 1 - - smtpd", "must be y, n or -"},
        {"smtp inet - - - abc - smtpd", "bad wakeup time"},
        {"smtp inet - - - -5 - smtpd", "bad wakeup time"},
        {"smtp inet - - - 86401 - smtpd", "bad wakeup time"},
        {"smtp inet - - - ? - smtpd", "bad wakeup time"},
        {"smtp inet - - - 60?? - smtpd", "bad wakeup time"},
        {"smtp inet - - - - x smtpd", "bad process limit"},
        {"smtp inet - - - - -1 smtpd", "bad process limit"},
        {"smtp inet - - - - 100001 smtpd", "bad process limit"},
        {"smtp inet - - - - - ../bin/sh", "command must be a program name"},
        {"smtp inet - - - - - /bin/sh", "command must be a program name"},
        {"smtp inet - - - - - .hidden", "command must be a program name"},
        {"a/b unix - - - - - cmd", "bad unix service name"},
        {".. unix - - - - - cmd", "bad unix service name"},
        {". unix - - - - - cmd", "bad unix service name"},
        {":25 inet - - - - - smtpd", "empty host"},
        {"[]:25 inet - - - - - smtpd", "empty host"},
        {"127.0.0.1: inet - - - - - smtpd", "missing port"},
        {"127.0.0.1:0 inet - - - - - smtpd", "bad port"},
        {"127.0.0.1:65536 inet - - - - - smtpd", "bad port"},
        {"127.0.0.1:25x inet - - - - - smtpd", "bad port"},
        {"smtp inet - - - - - smtpd -o", "-o without name=value"},
        {"smtp inet - - - - - smtpd -o smtpd_banner", "not name=value"},
        {"smtp inet - - - - - smtpd -o =x", "not name=value"},
        {"smtp inet - - - - - smtpd -o", "-o without name=value"},
        {"smtp inet - - - - - smtpd -o no_such_param=1", "unknown parameter"},
        {"smtp inet - - - - - smtpd -ono_such_param=1", "unknown parameter"},
        {"smtp inet - - - - - smtpd -o smtpd_bannerx=1", "unknown parameter"},
        {"smtp inet - - - - - smtpd -oSMTPD_BANNER=1", "unknown parameter"},
    };
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct master_ent e;
        const char *why = NULL;

        if (parse(cases[i].line, &e, &why) != -1) {
            unit_row_fail(&rows, "\"%s\" accepted", cases[i].line);
            master_ent_free(&e);
        } else if (why == NULL || strstr(why, cases[i].why) == NULL) {
            unit_row_fail(&rows, "\"%s\": \"%s\", want \"%s\"", cases[i].line, why ? why : "(null)",
                          cases[i].why);
        } else {
            assert_null(e.name); /* freed on failure */
        }
    }
    unit_rows_check(&rows);
}

static void test_limits(void **state UNUSED)
{
    char line[4096], name[80];
    struct master_ent e;
    const char *why = NULL;
    size_t o;
    int i;

    memset(name, 'u', 64);
    name[64] = 0;
    snprintf(line, sizeof(line), "%s unix - - - - - cmd", name);
    assert_int_equal(parse(line, &e, &why), 0);
    master_ent_free(&e);
    snprintf(line, sizeof(line), "%su unix - - - - - cmd", name);
    assert_int_equal(parse(line, &e, &why), -1);
    assert_string_equal(why, "bad unix service name");

    /* 100 arguments, then 101. */
    o = (size_t)snprintf(line, sizeof(line), "x unix - - - - - cmd");
    for (i = 0; i < 100; i++)
        o += (size_t)snprintf(line + o, sizeof(line) - o, " a%d", i);
    assert_int_equal(parse(line, &e, &why), 0);
    assert_int_equal(vec_len(e.argv), 100);
    master_ent_free(&e);
    snprintf(line + o, sizeof(line) - o, " one_more");
    assert_int_equal(parse(line, &e, &why), -1);
    assert_string_equal(why, "too many arguments");

    /* A NUL is never taken for the end of the line. */
    assert_int_equal(master_cf_parse_line((const unsigned char *)"x unix - - - - - cmd\0junk", 25,
                                          100, &e, &why),
                     -1);
    assert_string_equal(why, "NUL character in line");
}

static void test_same(void **state UNUSED)
{
    static const char *const base = "smtp inet n - n - 5 smtpd -o smtpd_banner=x a";
    static const char *const other[] = {
        "smtp inet y - n - 5 smtpd -o smtpd_banner=x a",
        "smtp inet n n n - 5 smtpd -o smtpd_banner=x a",
        "smtp inet n - y - 5 smtpd -o smtpd_banner=x a",
        "smtp inet n - n 1 5 smtpd -o smtpd_banner=x a",
        "smtp inet n - n - 6 smtpd -o smtpd_banner=x a",
        "smtp inet n - n - 5 other -o smtpd_banner=x a",
        "smtp inet n - n - 5 smtpd -o smtpd_banner=y a",
        "smtp inet n - n - 5 smtpd a",
        "smtp inet n - n - 5 smtpd -o smtpd_banner=x",
        "smtp inet n - n - 5 smtpd -o smtpd_banner=x a b",
        "2525 inet n - n - 5 smtpd -o smtpd_banner=x a",
        "smtp unix n - n - 5 smtpd -o smtpd_banner=x a",
    };
    struct master_ent a, b;
    const char *why;
    size_t i;

    assert_int_equal(parse(base, &a, &why), 0);
    assert_int_equal(parse("smtp  inet n - n - 5 smtpd -osmtpd_banner=x a", &b, &why), 0);
    assert_true(master_ent_same(&a, &b));
    master_ent_free(&b);
    for (i = 0; i < COUNTOF(other); i++) {
        assert_int_equal(parse(other[i], &b, &why), 0);
        if (master_ent_same(&a, &b))
            fail_msg("\"%s\" is not the same service", other[i]);
        master_ent_free(&b);
    }
    master_ent_free(&a);
}

static void test_read_file(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], want[PATH_MAX + 100];
    struct master_ent *ents = NULL;
    size_t n = 0;
    char *err = NULL;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/master.cf", dir);
    unit_write_text(path, "# service type private unpriv chroot wakeup maxproc command\n"
                          "smtp      inet  n       -       n       -       -       smtpd\n"
                          "  -o smtpd_banner=hello\n"
                          "\n"
                          "  -o smtpd_timeout=30s\n"
                          "smtp      unix  -       -       n       -       -       smtp\n"
                          "qmgr      unix  n       -       n       300     1       qmgr\n");
    if (master_cf_read(path, 7, &ents, &n, &err) != 0)
        fail_msg("%s", err);
    assert_int_equal(n, 3);
    assert_string_equal(ents[0].name, "smtp");
    assert_int_equal(ents[0].line, 2);
    assert_string_equal(ents[0].file, path);
    assert_int_equal(ents[0].maxproc, 7);
    assert_int_equal(vec_len(ents[0].overrides), 2);
    assert_string_equal(ents[0].overrides[1], "smtpd_timeout=30s");
    assert_int_equal(ents[1].type, MASTER_TYPE_UNIX); /* same name, other type: fine */
    assert_int_equal(ents[1].line, 6);
    assert_int_equal(ents[2].wakeup, 300);
    assert_int_equal(ents[2].line, 7);
    master_cf_free(ents, n);

    /* A duplicate service, reported where the second one starts. */
    unit_write_text(path, "smtp inet n - n - - smtpd\n"
                          "# comment\n"
                          "qmgr unix n - n 300 1 qmgr\n"
                          "smtp inet n - n - - smtpd\n"
                          "  -o smtpd_banner=x\n");
    ents = NULL;
    assert_int_equal(master_cf_read(path, 7, &ents, &n, &err), -1);
    snprintf(want, sizeof(want), "%s, line 4: duplicate service smtp/inet", path);
    assert_string_equal(err, want);
    free(err);

    /* A bad line, counted in physical lines. */
    unit_write_text(path, "smtp inet n - n - - smtpd\n"
                          "  -o smtpd_banner=x\n"
                          "\n"
                          "qmgr unix n - n 300 x qmgr\n");
    assert_int_equal(master_cf_read(path, 7, &ents, &n, &err), -1);
    snprintf(want, sizeof(want), "%s, line 4: bad process limit", path);
    assert_string_equal(err, want);
    free(err);

    unit_write_text(path, "smtp inet n - n - - smtpd -o nonsense_param=1\n");
    assert_int_equal(master_cf_read(path, 7, &ents, &n, &err), -1);
    snprintf(want, sizeof(want), "%s, line 1: -o names an unknown parameter", path);
    assert_string_equal(err, want);
    free(err);

    /* An empty file is an empty table. */
    unit_write_text(path, "# nothing\n");
    ents = NULL;
    assert_int_equal(master_cf_read(path, 7, &ents, &n, &err), 0);
    assert_int_equal(n, 0);
    master_cf_free(ents, n);

    snprintf(path, sizeof(path), "%s/missing.cf", dir);
    assert_int_equal(master_cf_read(path, 7, &ents, &n, &err), -1);
    snprintf(want, sizeof(want), "open %s: %s", path, strerror(ENOENT));
    assert_string_equal(err, want);
    free(err);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),  cmocka_unit_test(test_explicit),
        cmocka_unit_test(test_names),     cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_limits),    cmocka_unit_test(test_same),
        cmocka_unit_test(test_read_file),
    };

    unit_init("test_master_cf");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
