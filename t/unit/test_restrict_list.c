/*
 * test_restrict_list.c - the restriction list parser and the checks on the
 * set of lists (restrict_list.h, restrict_conf.h): names in any case and
 * separated by commas or white space, check_*_access taking the next word
 * as its table, errors that name the parameter and the word, the limits,
 * tables opened (or not) on request; the stage rules that depend on
 * smtpd_delay_reject and the open-relay rule.
 */
#include "unit.h"
#include "mail_params.h"
#include "restrict_conf.h"

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

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    load("");
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

static struct restrict_list *parse_ok(const char *text, int flags)
{
    struct restrict_list *l = NULL;
    char *err = NULL;

    if (restrict_list_parse("p", text, strlen(text), flags, &l, &err) != 0)
        fail_msg("parse \"%s\": %s", text, err);
    return l;
}

static void parse_fails(const char *text, size_t len, const char *want)
{
    struct restrict_list *l = NULL;
    char *err = NULL;

    assert_int_equal(restrict_list_parse("smtpd_recipient_restrictions", text, len, 0, &l, &err),
                     -1);
    assert_null(l);
    if (strcmp(err, want) != 0)
        fail_msg("parse \"%.40s\": got \"%s\", want \"%s\"", text, err, want);
    free(err);
}

static void test_parse(void **state UNUSED)
{
    struct restrict_list *l;

    l = parse_ok(" permit_mynetworks,PERMIT_SASL_AUTHENTICATED\n\t check_sender_access "
                 "inline:{a=OK}, reject_unauth_destination,,",
                 0);
    assert_int_equal(l->n, 4);
    assert_int_equal(l->items[0].kind, RESTRICT_PERMIT_MYNETWORKS);
    assert_int_equal(l->items[1].kind, RESTRICT_PERMIT_SASL_AUTHENTICATED);
    assert_int_equal(l->items[2].kind, RESTRICT_CHECK_SENDER_ACCESS);
    assert_string_equal(l->items[2].arg, "inline:{a=OK}");
    assert_null(l->items[2].table); /* not opened without RESTRICT_FLAG_OPEN */
    assert_int_equal(l->items[3].kind, RESTRICT_REJECT_UNAUTH_DESTINATION);
    assert_null(l->items[3].arg);
    assert_string_equal(l->param, "p");
    restrict_list_free(l);

    l = parse_ok("reject_rbl_client zen.example, reject_rbl_client bl.example=127.0.0.2", 0);
    assert_int_equal(l->n, 2);
    assert_int_equal(l->items[0].kind, RESTRICT_REJECT_RBL_CLIENT);
    assert_string_equal(l->items[0].arg, "zen.example");
    assert_string_equal(l->items[1].arg, "bl.example=127.0.0.2");
    restrict_list_free(l);

    l = parse_ok("", 0);
    assert_int_equal(l->n, 0);
    restrict_list_free(l);

    l = parse_ok("check_client_access inline:{192.0.2=REJECT}", RESTRICT_FLAG_OPEN);
    assert_non_null(l->items[0].table);
    restrict_list_free(l);
}

static void test_errors(void **state UNUSED)
{
    char big[RESTRICT_WORD_MAX + 10];
    char *many;
    size_t i;

    parse_fails("permit_mynetworks, foo", 22,
                "smtpd_recipient_restrictions: unknown restriction \"foo\"");
    parse_fails("check_recipient_access", 22,
                "smtpd_recipient_restrictions: check_recipient_access needs a lookup table "
                "(type:name)");
    parse_fails("check_recipient_access reject", 29,
                "smtpd_recipient_restrictions: check_recipient_access needs a lookup table "
                "(type:name)");
    parse_fails("check_recipient_access :x", 25,
                "smtpd_recipient_restrictions: check_recipient_access needs a lookup table "
                "(type:name)");
    parse_fails("reject_rbl_client", 17,
                "smtpd_recipient_restrictions: reject_rbl_client needs a DNS zone (domain or "
                "domain=a.b.c.d)");
    parse_fails("reject_rbl_client bl.example=1.2", 32,
                "smtpd_recipient_restrictions: reject_rbl_client needs a DNS zone (domain or "
                "domain=a.b.c.d)");
    parse_fails("reject_rbl_client permit", 24,
                "smtpd_recipient_restrictions: reject_rbl_client needs a DNS zone (domain or "
                "domain=a.b.c.d)");
    /* A NUL or a control byte is never part of a word. */
    parse_fails("permit\0reject", 13, "smtpd_recipient_restrictions: bad character 0x00");
    parse_fails("perm\x01it", 7, "smtpd_recipient_restrictions: bad character 0x01");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    parse_fails(big, strlen(big), "smtpd_recipient_restrictions: word longer than 1024 bytes");

    many = malloc((RESTRICT_LIST_MAX + 1) * 7 + 1);
    assert_non_null(many);
    for (i = 0; i <= RESTRICT_LIST_MAX; i++)
        memcpy(many + i * 7, "permit ", 7);
    many[i * 7] = 0;
    parse_fails(many, strlen(many), "smtpd_recipient_restrictions: more than 256 restrictions");
    free(many);
}

static void test_open_fails(void **state UNUSED)
{
    struct restrict_list *l = NULL;
    char *err = NULL;
    const char *t = "check_sender_access hash:/nonexistent/x";

    assert_int_equal(restrict_list_parse("smtpd_sender_restrictions", t, strlen(t),
                                         RESTRICT_FLAG_OPEN, &l, &err),
                     -1);
    assert_non_null(strstr(err, "smtpd_sender_restrictions: check_sender_access: "));
    assert_non_null(strstr(err, "/nonexistent/x"));
    free(err);
    /* Only parsed, the same list is fine. */
    l = parse_ok(t, 0);
    restrict_list_free(l);
}

static void conf_fails(const char *main_cf, const char *want)
{
    struct restrict_conf c;
    char *err = NULL;

    load(main_cf);
    assert_int_equal(restrict_conf_load(0, &c, &err), -1);
    if (strstr(err, want) == NULL)
        fail_msg("got \"%s\", want \"%s\"", err, want);
    free(err);
}

static void conf_ok(const char *main_cf)
{
    struct restrict_conf c;
    char *err = NULL;

    load(main_cf);
    if (restrict_conf_load(0, &c, &err) != 0)
        fail_msg("%s: %s", main_cf, err);
    restrict_conf_free(&c);
}

static void test_conf(void **state UNUSED)
{
    struct restrict_conf c;
    char *err = NULL;

    load("");
    assert_int_equal(restrict_conf_load(0, &c, &err), 0);
    assert_int_equal(c.lists[RESTRICT_RELAY]->n, 3);
    assert_int_equal(c.lists[RESTRICT_RELAY]->items[2].kind, RESTRICT_REJECT_UNAUTH_DESTINATION);
    assert_int_equal(c.lists[RESTRICT_CLIENT]->n, 0);
    assert_string_equal(c.lists[RESTRICT_HELO]->param, "smtpd_helo_restrictions");
    restrict_conf_free(&c);

    /* With smtpd_delay_reject every list but DATA's is evaluated at RCPT. */
    conf_ok("smtpd_client_restrictions = check_recipient_access inline:{a=OK}, "
            "reject_non_fqdn_sender\n");
    conf_fails("smtpd_delay_reject = no\n"
               "smtpd_client_restrictions = check_recipient_access inline:{a=OK}\n",
               "smtpd_client_restrictions: check_recipient_access cannot work here with "
               "smtpd_delay_reject = no");
    conf_fails("smtpd_delay_reject = no\n"
               "smtpd_helo_restrictions = reject_non_fqdn_sender\n",
               "smtpd_helo_restrictions: reject_non_fqdn_sender cannot work here");
    conf_ok("smtpd_delay_reject = no\n"
            "smtpd_sender_restrictions = reject_non_fqdn_sender, reject_invalid_helo_hostname\n");

    /* Open relays. */
    conf_fails("smtpd_relay_restrictions =\n", "need reject_unauth_destination");
    conf_fails("smtpd_relay_restrictions = permit_mynetworks\n"
               "smtpd_recipient_restrictions = permit, reject_unauth_destination\n",
               "need reject_unauth_destination");
    conf_ok("smtpd_relay_restrictions =\n"
            "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination\n");
    conf_ok("smtpd_relay_restrictions = permit_mynetworks, defer_unauth_destination\n");
    conf_ok("smtpd_relay_restrictions = permit_mynetworks, reject\n");
    conf_fails("smtpd_data_restrictions = bogus\n",
               "smtpd_data_restrictions: unknown restriction \"bogus\"");
    load("");
}

static void test_names(void **state UNUSED)
{
    assert_string_equal(restrict_kind_name(RESTRICT_CHECK_HELO_ACCESS), "check_helo_access");
    assert_int_equal(restrict_kind_stage(RESTRICT_REJECT_NON_FQDN_HELO_HOSTNAME),
                     RESTRICT_STAGE_HELO);
    assert_string_equal(restrict_conf_param(RESTRICT_DATA), "smtpd_data_restrictions");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),      cmocka_unit_test(test_errors),
        cmocka_unit_test(test_open_fails), cmocka_unit_test(test_conf),
        cmocka_unit_test(test_names),
    };

    unit_init("test_restrict_list");
    return cmocka_run_group_tests(tests, setup, teardown);
}
