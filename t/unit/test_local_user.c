/*
 * test_local_user.c - local part to system account: case folding, the
 * recipient_delimiter extension, names that are not plain account names,
 * and unknown users.  Only the root account is assumed to exist.
 */
#include "unit.h"
#include "local_user.h"
#include "mail_params.h"

static char dir[PATH_MAX];

static void load(const char *delimiter)
{
    char cf[PATH_MAX + 16], text[256];
    char *err = NULL;

    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    snprintf(text, sizeof(text), "myhostname = mail.example.com\nrecipient_delimiter = %s\n",
             delimiter);
    unit_write_text(cf, text);
    if (mail_conf_load(dir, NULL, &err) != 0)
        fail_msg("mail_conf_load: %s", err);
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

static void test_lookup(void **state UNUSED)
{
    static const struct {
        const char *delimiter;
        const char *local;
        int ret;
        const char *name, *extension;
    } cases[] = {
        {"", "root", LOCAL_USER_FOUND, "root", ""},
        {"", "ROOT", LOCAL_USER_FOUND, "root", ""},
        {"", "root+lists", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"+", "root+lists", LOCAL_USER_FOUND, "root", "lists"},
        {"+", "Root+Lists+More", LOCAL_USER_FOUND, "root", "Lists+More"},
        {"+", "root+", LOCAL_USER_FOUND, "root", ""},
        {"+", "+lists", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"+-", "root-x", LOCAL_USER_FOUND, "root", "x"},
        {"+-", "root+y", LOCAL_USER_FOUND, "root", "y"},
        {"", "", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "no-such-user-postern-unit", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "../root", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "root/x", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", ".root", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "-root", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "root ", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "root:x", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "root\n", LOCAL_USER_UNKNOWN, NULL, NULL},
        {"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
         LOCAL_USER_UNKNOWN, NULL, NULL}, /* 65 */
    };
    struct unit_rows rows = {.len = 0};
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        struct local_user u;
        char shown[128];
        int ret;

        load(cases[i].delimiter);
        unit_escape(cases[i].local, shown, sizeof(shown));
        ret = local_user_lookup(cases[i].local, &u);
        if (ret != cases[i].ret) {
            unit_row_fail(&rows, "\"%s\" (delimiter \"%s\"): %d", shown, cases[i].delimiter, ret);
        } else if (ret == LOCAL_USER_FOUND) {
            if (strcmp(u.name, cases[i].name) != 0 ||
                strcmp(u.extension, cases[i].extension) != 0 || u.uid != 0 || u.home[0] != '/')
                unit_row_fail(&rows, "\"%s\": name \"%s\" extension \"%s\" uid %ld home \"%s\"",
                              shown, u.name, u.extension, (long)u.uid, u.home);
        }
    }
    unit_rows_check(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
    };

    unit_init("test_local_user");
    return cmocka_run_group_tests(tests, setup, teardown);
}
