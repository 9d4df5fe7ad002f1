/*
 * test_sender_login.c - smtpd_sender_login_maps decisions, table-driven:
 * a user's own address and +tag addresses, a group address several logins
 * share, a whole domain, the local forms for our own domains only, logins
 * compared without case, and the null sender.  (A table that cannot
 * answer is maps_find_addr()'s -1, passed through unchanged.)
 */
#include "unit.h"
#include "sender_login.h"
#include "mail_params.h"

#define TABLE                                                                                      \
    "inline:{alice@corp.example=alice@corp.example, "                                              \
    "{sales@corp.example=alice@corp.example, bob@corp.example}, "                                  \
    "@shop.example=shop@corp.example, postmaster=bob@corp.example, "                               \
    "odd@corp.example=ALICE@Corp.Example}"

static void test_owned(void **state UNUSED)
{
    static const struct {
        const char *login, *sender;
        bool local_forms;
        int want;
    } cases[] = {
        {"alice@corp.example", "alice@corp.example", false, 1},
        {"alice@corp.example", "alice+news@corp.example", false, 1}, /* her +tag */
        {"alice@corp.example", "sales@corp.example", false, 1},      /* a group she is in */
        {"bob@corp.example", "sales@corp.example", false, 1},
        {"bob@corp.example", "alice@corp.example", false, 0}, /* another user's */
        {"bob@corp.example", "alice+news@corp.example", false, 0},
        {"Alice@CORP.example", "alice@corp.example", false, 1}, /* logins without case */
        {"alice@corp.example", "odd@corp.example", false, 1},
        {"shop@corp.example", "orders@shop.example", false, 1}, /* a whole domain */
        {"alice@corp.example", "orders@shop.example", false, 0},
        {"alice@corp.example", "stranger@elsewhere.example", false, 0}, /* named by no one */
        {"alice", "alice@corp.example", false, 0},                      /* a prefix is not it */
        /* "postmaster" alone only for our own domains */
        {"bob@corp.example", "postmaster@corp.example", true, 1},
        {"bob@corp.example", "postmaster@corp.example", false, 0},
        /* the null sender names no one */
        {"alice@corp.example", "", false, 1},
    };
    struct maps *m = NULL;
    struct mail_addr a;
    char *err = NULL;
    size_t i;

    assert_int_equal(maps_open("smtpd_sender_login_maps", TABLE, &m, &err), 0);
    for (i = 0; i < COUNTOF(cases); i++) {
        assert_int_equal(mail_addr_from_internal(cases[i].sender, &a), 0);
        if (sender_login_owned(m, cases[i].login, &a, cases[i].local_forms, &err) != cases[i].want)
            fail_msg("%s as %s: want %d", cases[i].login, cases[i].sender, cases[i].want);
    }
    maps_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_owned),
    };

    var_recipient_delimiter = "+";
    return cmocka_run_group_tests(tests, NULL, NULL);
}
