/*
 * test_mail_params.c - loading main.cf from a temporary config directory:
 * defaults and their $expansion, typed values (integers, times with units,
 * booleans, enumerations) and their errors with file and line, unknown
 * names, reference loops, master.cf -o overrides, and reloading.  Every
 * test sets myhostname itself, so nothing depends on the host's name.
 */
#include "unit.h"
#include "mail_params.h"

static char dir[PATH_MAX];
static char cf[PATH_MAX + 16];

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

/* Load text as main.cf; 0 or -1 with the error in err (malloc'ed). */
static int load(const char *text, char *const *overrides, char **err)
{
    *err = NULL;
    unit_write_text(cf, text);
    return mail_conf_load(dir, overrides, err);
}

static void load_ok(const char *text, char *const *overrides)
{
    char *err, why[PATH_MAX + 200];

    if (load(text, overrides, &err) != 0) {
        snprintf(why, sizeof(why), "%s", err);
        free(err);
        fail_msg("load: %s", why);
    }
}

static void test_defaults(void **state UNUSED)
{
    load_ok("myhostname = mail.example.com\n", NULL);
    assert_string_equal(var_config_dir, dir);
    assert_string_equal(var_myhostname, "mail.example.com");
    assert_string_equal(var_mydomain, "example.com");
    assert_string_equal(var_myorigin, "mail.example.com");
    assert_string_equal(var_mydestination, "mail.example.com, localhost.example.com, localhost");
    assert_string_equal(var_smtpd_banner, "mail.example.com ESMTP Postern");
    assert_string_equal(var_mynetworks, "127.0.0.0/8 [::1]/128");
    assert_string_equal(var_relay_domains, "");
    assert_string_equal(var_queue_dir, "/var/spool/postern");
    assert_string_equal(var_mail_owner, "postern");
    assert_string_equal(var_inet_protocols, "all");
    assert_true(var_message_size_limit == 10240000);
    assert_true(var_line_length_limit == 2048);
    assert_true(var_smtpd_timeout == 300);
    assert_true(var_max_idle == 100);
    assert_true(var_maximal_queue_lifetime == 432000); /* "5d" */
    assert_true(var_maximal_backoff_time == 4000);
    assert_true(var_smtp_tcp_port == 25);
    assert_true(var_smtpd_peername_lookup);
    assert_false(var_smtpd_helo_required);
    assert_false(var_disable_vrfy_command);
    assert_string_equal(var_smtpd_forbid_bare_newline, "reject");

    assert_true(mail_param_is_set("myhostname"));
    assert_false(mail_param_is_set("mydomain"));
    assert_false(mail_param_is_set("no_such_thing"));
    assert_string_equal(mail_param_value("mydestination"), var_mydestination);
    assert_string_equal(mail_param_value("maximal_queue_lifetime"), "5d");
    assert_string_equal(mail_param_default("mydestination"),
                        "$myhostname, localhost.$mydomain, localhost");
    assert_string_equal(mail_param_default("smtpd_timeout"), "${stress?10}${stress:300}s");
    assert_null(mail_param_value("no_such_thing"));
    assert_null(mail_param_default("no_such_thing"));
}

/* Postfix's stress-dependent defaults: master sets stress=yes for processes
 * it starts at a service's process limit, and a running process can ask
 * what a parameter would be under stress. */
static void test_stress(void **state UNUSED)
{
    char *stressed[] = {"stress=yes", NULL};
    long long v = 0;

    load_ok("", NULL);
    assert_true(var_smtpd_timeout == 300);
    assert_true(var_smtpd_hard_error_limit == 20);
    assert_int_equal(mail_param_stress_value("smtpd_timeout", &v), 0);
    assert_true(v == 10);
    assert_int_equal(mail_param_stress_value("smtpd_hard_error_limit", &v), 0);
    assert_true(v == 1);
    assert_int_equal(mail_param_stress_value("max_idle", &v), 0);
    assert_true(v == 100);                                           /* no stress value: the same */
    assert_int_equal(mail_param_stress_value("myhostname", &v), -1); /* not a number */
    assert_int_equal(mail_param_stress_value("no_such_thing", &v), -1);
    load_ok("", stressed);
    assert_true(var_smtpd_timeout == 10);
    assert_true(var_smtpd_hard_error_limit == 1);
    /* An administrator's own stress-adapting setting. */
    load_ok("smtpd_timeout = ${stress?{5}:{60}}s\n", NULL);
    assert_true(var_smtpd_timeout == 60);
    assert_int_equal(mail_param_stress_value("smtpd_timeout", &v), 0);
    assert_true(v == 5);
}

static void test_expansion(void **state UNUSED)
{
    load_ok("mydomain = example.net\n"
            "myhostname = host.$mydomain\n"
            "myorigin = ${mydomain}\n"
            "relay_domains = ${relayhost?$(mydomain)}\n"
            "smtpd_banner = $myhostname ESMTP $$ ${mail_name}\n"
            "mydestination = $myhostname,\n"
            "    localhost.$mydomain\n"
            "home_mailbox = ${recipient_delimiter:Maildir/}\n",
            NULL);
    assert_string_equal(var_myhostname, "host.example.net");
    assert_string_equal(var_myorigin, "example.net");
    assert_string_equal(var_relay_domains, ""); /* relayhost is empty */
    assert_string_equal(var_smtpd_banner, "host.example.net ESMTP $ Postern");
    assert_string_equal(var_mydestination, "host.example.net, localhost.example.net");
    assert_string_equal(var_home_mailbox, "Maildir/");

    load_ok("myhostname = h.example.org\n"
            "relayhost = [192.0.2.1]\n"
            "relay_domains = ${relayhost?$(mydomain)}\n",
            NULL);
    assert_string_equal(var_relay_domains, "example.org");

    /* A single-label host name still gives a domain. */
    load_ok("myhostname = localhost\n", NULL);
    assert_string_equal(var_mydomain, "localdomain");
}

/*
 * BUG (in conf_expand, see test_conf.c): Postfix's idiom "${name?$name}"
 * ("name's value, if it has one") is refused as a recursive reference.
 */
static void test_conditional_self_reference(void **state UNUSED)
{
    load_ok("myhostname = c.example\n"
            "relay_domains = ${mydomain?$mydomain}\n"
            "smtpd_banner = ${myhostname?$myhostname} ESMTP\n",
            NULL);
    assert_string_equal(var_relay_domains, "example");
    assert_string_equal(var_smtpd_banner, "c.example ESMTP");
}

/* Set one parameter; want NULL means the value must be refused. */
struct value_case {
    const char *name;
    const char *value;
    const char *want; /* mail_param_value() text, or NULL for an error */
    long long num;    /* the typed value, for numbers and booleans */
};

static const struct value_case value_cases[] = {
    /* Times: a unit letter, or the parameter's default unit. */
    {"maximal_queue_lifetime", "5d", "5d", 432000},
    {"maximal_queue_lifetime", "2", "2", 172800}, /* default unit: days */
    {"maximal_queue_lifetime", "2h", "2h", 7200},
    {"maximal_queue_lifetime", "90s", "90s", 90},
    {"maximal_queue_lifetime", "3m", "3m", 180},
    {"maximal_queue_lifetime", "1w", "1w", 604800},
    {"maximal_queue_lifetime", "0", "0", 0},
    {"maximal_queue_lifetime", "100d", "100d", 8640000},
    {"maximal_queue_lifetime", "101d", NULL, 0},
    {"maximal_queue_lifetime", "5x", NULL, 0},
    {"maximal_queue_lifetime", "5dd", NULL, 0},
    {"maximal_queue_lifetime", "5 d", NULL, 0},
    {"maximal_queue_lifetime", "-1", NULL, 0},
    {"maximal_queue_lifetime", "+1", NULL, 0},
    {"maximal_queue_lifetime", "d", NULL, 0},
    {"maximal_queue_lifetime", "", NULL, 0},
    {"maximal_queue_lifetime", "99999999999999999999d", NULL, 0},
    {"maximal_queue_lifetime", "9999999999999999w", NULL, 0},
    {"smtpd_timeout", "60", "60", 60}, /* default unit: seconds */
    {"smtpd_timeout", "2m", "2m", 120},
    {"smtpd_timeout", "1d", "1d", 86400},
    {"smtpd_timeout", "2d", NULL, 0},
    {"smtpd_timeout", "0", NULL, 0},
    {"smtpd_error_sleep_time", "0s", "0s", 0},
    /* Integers. */
    {"message_size_limit", "0", "0", 0},
    {"message_size_limit", "52428800", "52428800", 52428800},
    {"message_size_limit", "abc", NULL, 0},
    {"message_size_limit", "1.5", NULL, 0},
    {"message_size_limit", "-1", NULL, 0},
    {"message_size_limit", "10k", NULL, 0},
    {"message_size_limit", "", NULL, 0},
    {"line_length_limit", "512", "512", 512},
    {"line_length_limit", "511", NULL, 0},
    {"smtp_tcp_port", "65535", "65535", 65535},
    {"smtp_tcp_port", "65536", NULL, 0},
    {"smtp_tcp_port", "0", NULL, 0},
    /* Booleans. */
    {"smtpd_helo_required", "yes", "yes", 1},
    {"smtpd_helo_required", "YES", "YES", 1},
    {"smtpd_helo_required", "true", "true", 1},
    {"smtpd_helo_required", "no", "no", 0},
    {"smtpd_helo_required", "False", "False", 0},
    {"smtpd_helo_required", "1", NULL, 0},
    {"smtpd_helo_required", "on", NULL, 0},
    {"smtpd_helo_required", "", NULL, 0},
    {"smtpd_helo_required", "yess", NULL, 0},
    /* Enumerations: case-insensitive, stored in lower case. */
    {"inet_protocols", "ipv4", "ipv4", 0},
    {"inet_protocols", "IPv6", "IPv6", 0},
    {"inet_protocols", "ipv5", NULL, 0},
    {"inet_protocols", "ipv4, ipv6", NULL, 0},
    {"inet_protocols", "", NULL, 0},
    {"smtpd_forbid_bare_newline", "normalize", "normalize", 0},
    {"smtpd_forbid_bare_newline", "norm", NULL, 0},
    /* a set: each word one of the choices, or nothing */
    {"allow_mail_to_commands", "alias, include", "alias, include", 0},
    {"allow_mail_to_commands", "", "", 0},
    {"allow_mail_to_files", "alias forward include", "alias forward include", 0},
    {"allow_mail_to_files", "alias, everything", NULL, 0},
};

static long long typed_value(const char *name)
{
    static const struct {
        const char *name;
        const long long *num;
        const bool *flag;
    } vars[] = {
        {"maximal_queue_lifetime", &var_maximal_queue_lifetime, NULL},
        {"smtpd_timeout", &var_smtpd_timeout, NULL},
        {"smtpd_error_sleep_time", &var_smtpd_error_sleep_time, NULL},
        {"message_size_limit", &var_message_size_limit, NULL},
        {"line_length_limit", &var_line_length_limit, NULL},
        {"smtp_tcp_port", &var_smtp_tcp_port, NULL},
        {"smtpd_helo_required", NULL, &var_smtpd_helo_required},
    };
    size_t i;

    for (i = 0; i < COUNTOF(vars); i++)
        if (strcmp(vars[i].name, name) == 0)
            return vars[i].num ? *vars[i].num : *vars[i].flag;
    return 0;
}

static void test_typed_values(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(value_cases); i++) {
        const struct value_case *c = value_cases + i;
        char text[256], want[PATH_MAX + 300];
        char *err = NULL;
        int ret;

        snprintf(text, sizeof(text), "myhostname = h.example\n%s = %s\n", c->name, c->value);
        ret = load(text, NULL, &err);
        if (c->want) {
            if (ret != 0) {
                unit_row_fail(&rows, "%s = %s: %s", c->name, c->value, err);
            } else if (strcmp(mail_param_value(c->name), c->want) != 0) {
                unit_row_fail(&rows, "%s = %s: value \"%s\"", c->name, c->value,
                              mail_param_value(c->name));
            } else if (typed_value(c->name) != c->num) {
                unit_row_fail(&rows, "%s = %s: %lld, want %lld", c->name, c->value,
                              typed_value(c->name), c->num);
            }
        } else if (ret != -1) {
            unit_row_fail(&rows, "%s = %s: accepted", c->name, c->value);
        } else {
            snprintf(want, sizeof(want), "%s, line 2: bad value \"%s\" for %s: ", cf, c->value,
                     c->name);
            if (err == NULL || strncmp(err, want, strlen(want)) != 0)
                unit_row_fail(&rows, "%s = %s: \"%s\"", c->name, c->value, err ? err : "(null)");
        }
        free(err);
    }
    unit_rows_check(&rows);
    /* An enumeration is stored folded to lower case. */
    load_ok("myhostname = h.example\ninet_protocols = IPv6\n", NULL);
    assert_string_equal(var_inet_protocols, "ipv6");
}

static void test_set_bits(void **state UNUSED)
{
    const char *c = "alias|forward|include";

    assert_int_equal(mail_param_set_bits("", c), 0);
    assert_int_equal(mail_param_set_bits("alias", c), 1);
    assert_int_equal(mail_param_set_bits("Include, alias", c), 5);
    assert_int_equal(mail_param_set_bits("forward forward", c), 2);
    assert_int_equal(mail_param_set_bits("alias, forward, include", c), 7);
}

static void test_errors(void **state UNUSED)
{
    static const struct {
        const char *text;
        const char *why; /* after "CF, line " */
    } cases[] = {
        {"myhostname = x.example\n\n# comment\nno_such_thing = 1\n",
         "4: unknown parameter \"no_such_thing\""},
        {"myhostname = x.example\nMyHostName = y.example\n", "2: unknown parameter \"MyHostName\""},
        {"myhostname = x.example\nsmtpd_banner = $nosuch\n", "2: undefined parameter \"$nosuch\""},
        {"myhostname = x.example\nsmtpd_banner = ${mail_name\n",
         "2: bad parameter reference syntax"},
        {"myhostname = x.example\nsyntax error here\n", "2: expected \"name = value\""},
        {"myhostname = x.example\nmessage_size_limit = abc\n",
         "2: bad value \"abc\" for message_size_limit: expected a whole number in range"},
        {"myhostname = x.example\nsmtpd_helo_required = maybe\n",
         "2: bad value \"maybe\" for smtpd_helo_required: expected yes or no"},
        {"myhostname = x.example\ninet_protocols = ipx\n",
         "2: bad value \"ipx\" for inet_protocols: all|ipv4|ipv6"},
        /* The error names where the bad text is, even through a reference. */
        {"myhostname = x.example\nmsl = 1\n", "2: unknown parameter \"msl\""},
        {"mydomain = $myorigin\nmyhostname = x.example\nmyorigin = $mydomain\n", "1: recursive"},
    };
    char want[PATH_MAX + 200];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        char *err = NULL;

        assert_int_equal(load(cases[i].text, NULL, &err), -1);
        snprintf(want, sizeof(want), "%s, line %s", cf, cases[i].why);
        assert_non_null(err);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: \"%s\", want \"%s...\"", i, err, want);
        free(err);
    }
}

static void test_overrides(void **state UNUSED)
{
    char *good[] = {"smtpd_banner=hi $myhostname", "smtpd_timeout=10s", "relay_domains=", NULL};
    char *unknown[] = {"smtpd_timeout=10s", "bogus=1", NULL};
    char *no_equals[] = {"noequals", NULL};
    char *empty_name[] = {"=x", NULL};
    char *bad_value[] = {"smtpd_timeout=soon", NULL};
    char *err = NULL;

    load_ok("myhostname = o.example\nsmtpd_timeout = 20s\nrelay_domains = r.example\n", good);
    assert_string_equal(var_smtpd_banner, "hi o.example");
    assert_true(var_smtpd_timeout == 10); /* the override wins over main.cf */
    assert_string_equal(var_relay_domains, "");
    assert_true(mail_param_is_set("smtpd_banner"));

    assert_int_equal(load("myhostname = o.example\n", unknown, &err), -1);
    assert_string_equal(err, "override \"bogus=1\": unknown parameter \"bogus\"");
    free(err);
    assert_int_equal(load("myhostname = o.example\n", no_equals, &err), -1);
    assert_string_equal(err, "override \"noequals\": expected name=value");
    free(err);
    assert_int_equal(load("myhostname = o.example\n", empty_name, &err), -1);
    assert_string_equal(err, "override \"=x\": expected name=value");
    free(err);
    assert_int_equal(load("myhostname = o.example\n", bad_value, &err), -1);
    assert_non_null(strstr(err, "master.cf -o"));
    assert_non_null(strstr(err, "bad value \"soon\" for smtpd_timeout"));
    free(err);
}

static void test_files(void **state UNUSED)
{
    char sub[PATH_MAX + 16], want[PATH_MAX + 100];
    char *err = NULL;

    snprintf(sub, sizeof(sub), "%s/empty", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(mail_conf_load(sub, NULL, &err), -1);
    snprintf(want, sizeof(want), "open %s/main.cf: %s", sub, strerror(ENOENT));
    assert_string_equal(err, want);
    free(err);
    assert_int_equal(rmdir(sub), 0);

    /* An empty main.cf is fine: everything has a default. */
    load_ok("", NULL);
    assert_true(strlen(var_myhostname) > 0);
    assert_non_null(strchr(var_myhostname, '.')); /* made fully qualified */
}

static void test_reload_resets(void **state UNUSED)
{
    char *ov[] = {"max_use=7", NULL};

    load_ok("myhostname = a.example\nmessage_size_limit = 5\n", ov);
    assert_true(var_message_size_limit == 5);
    assert_true(var_max_use == 7);
    load_ok("myhostname = b.example\n", NULL);
    assert_true(var_message_size_limit == 10240000);
    assert_true(var_max_use == 100);
    assert_false(mail_param_is_set("message_size_limit"));
    assert_string_equal(var_mydomain, "example");
}

static void test_table(void **state UNUSED)
{
    size_t i, j, n = 0;
    const char *name;

    load_ok("myhostname = t.example\n", NULL);
    for (i = 0; (name = mail_param_name(i)) != NULL; i++) {
        n++;
        assert_non_null(mail_param_default(name));
        assert_non_null(mail_param_value(name));
        for (j = 0; j < i; j++)
            if (strcmp(mail_param_name(j), name) == 0)
                fail_msg("%s is in the table twice", name);
    }
    assert_true(n >= 40);
    assert_null(mail_param_name(n));
    assert_null(mail_param_name((size_t)-1));
}

static void test_conf_dir(void **state UNUSED)
{
    const char *old = getenv("POSTERN_CONFIG_DIR");
    char *saved = old ? strdup(old) : NULL;

    assert_string_equal(mail_conf_dir("/given"), "/given");
    setenv("POSTERN_CONFIG_DIR", "/from/env", 1);
    assert_string_equal(mail_conf_dir(NULL), "/from/env");
    assert_string_equal(mail_conf_dir(""), "/from/env");
    assert_string_equal(mail_conf_dir("/given"), "/given");
    setenv("POSTERN_CONFIG_DIR", "", 1);
    assert_string_equal(mail_conf_dir(NULL), POSTERN_CONFIG_DIR);
    unsetenv("POSTERN_CONFIG_DIR");
    assert_string_equal(mail_conf_dir(NULL), POSTERN_CONFIG_DIR);
    if (saved) {
        setenv("POSTERN_CONFIG_DIR", saved, 1);
        free(saved);
    }
}

static void test_mail_owner(void **state UNUSED)
{
    char *err = NULL;
    char text[512];
    struct passwd *pw;
    char *user = NULL;
    uid_t uid = 0;

    load_ok("myhostname = o.example\nmail_owner = root\n", NULL);
    assert_int_equal(mail_owner_lookup(&err), -1);
    assert_non_null(strstr(err, "has user ID 0"));
    free(err);

    load_ok("myhostname = o.example\nmail_owner = no-such-user-postern-unit\n", NULL);
    assert_int_equal(mail_owner_lookup(&err), -1);
    assert_string_equal(err, "mail_owner: unknown user \"no-such-user-postern-unit\"");
    free(err);

    /* Any unprivileged account the system happens to have. */
    setpwent();
    while ((pw = getpwent()) != NULL) {
        if (pw->pw_uid != 0 && strchr(pw->pw_name, '$') == NULL) {
            user = strdup(pw->pw_name);
            uid = pw->pw_uid;
            break;
        }
    }
    endpwent();
    if (user == NULL)
        fail_msg("no unprivileged account found (scripts/test-setup creates them)");
    snprintf(text, sizeof(text), "myhostname = o.example\nmail_owner = %s\n", user);
    load_ok(text, NULL);
    if (mail_owner_lookup(&err) != 0)
        fail_msg("%s", err);
    assert_int_equal(var_owner_uid, uid);
    free(user);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),      cmocka_unit_test(test_stress),
        cmocka_unit_test(test_expansion),     cmocka_unit_test(test_conditional_self_reference),
        cmocka_unit_test(test_typed_values),  cmocka_unit_test(test_errors),
        cmocka_unit_test(test_overrides),     cmocka_unit_test(test_files),
        cmocka_unit_test(test_reload_resets), cmocka_unit_test(test_table),
        cmocka_unit_test(test_conf_dir),      cmocka_unit_test(test_mail_owner),
        cmocka_unit_test(test_set_bits),
    };

    unit_init("test_mail_params");
    return cmocka_run_group_tests(tests, setup, teardown);
}
