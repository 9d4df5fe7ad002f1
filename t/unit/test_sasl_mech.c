/*
 * test_sasl_mech.c - the PLAIN and LOGIN decoders, table-driven: RFC 4616
 * messages and every way to get one wrong (NULs missing or extra, an
 * authorization identity that is not the login, empty or over-long
 * fields, logins with spaces or control bytes), bad base64 told apart
 * from bad contents, and the credentials wiped on every failure.
 */
#include "unit.h"
#include "sasl_mech.h"
#include "base64.h"

/* base64 of len octets of p (the tests build their inputs from clear text) */
static char *enc(const char *p, size_t len)
{
    char *out = test_malloc(BASE64_ENCODED_LEN(len) + 1);

    base64_encode((const unsigned char *)p, len, out);
    return out;
}

static bool wiped(const struct sasl_creds *c)
{
    static const struct sasl_creds zero;

    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void test_plain(void **state UNUSED)
{
    static const struct {
        const char *msg;
        size_t len;
        int ret;
        const char *user, *password;
    } cases[] = {
#define M(s) s, sizeof(s) - 1
        {M("\0alice@corp.example\0secret"), SASL_MECH_OK, "alice@corp.example", "secret"},
        {M("alice\0alice\0pw"), SASL_MECH_OK, "alice", "pw"},
        /* a password may hold anything but NUL: spaces, UTF-8, control bytes */
        {M("\0u\0two words \xc3\xa9\x01\x7f"), SASL_MECH_OK, "u", "two words \xc3\xa9\x01\x7f"},
        /* another identity than the login: never */
        {M("bob\0alice\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("alicex\0alice\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("Alice\0alice\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        /* structure */
        {M(""), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("alice pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0alice"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0alice\0"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0alice\0pw\0"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0alice\0pw\0more"), SASL_MECH_BAD_DATA, NULL, NULL},
        /* a login as the auth protocol carries it: printable, no spaces */
        {M("\0al ice\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0al\tice\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0al\xc3\xa9\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
        {M("\0\x7f\0pw"), SASL_MECH_BAD_DATA, NULL, NULL},
#undef M
    };
    struct sasl_creds c;
    const char *why;
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        char *b64 = enc(cases[i].msg, cases[i].len);

        memset(&c, 'x', sizeof(c));
        why = NULL;
        assert_int_equal(sasl_mech_plain((const unsigned char *)b64, strlen(b64), &c, &why),
                         cases[i].ret);
        if (cases[i].ret == SASL_MECH_OK) {
            assert_string_equal(c.user, cases[i].user);
            assert_string_equal(c.password, cases[i].password);
        } else {
            assert_non_null(why);
            assert_true(wiped(&c));
        }
        test_free(b64);
    }
}

static void test_plain_limits(void **state UNUSED)
{
    char msg[SASL_MECH_DECODED_MAX + 8], *b64;
    struct sasl_creds c;
    const char *why;
    size_t n;

    /* the longest login and password there can be, with the login as authzid */
    memset(msg, 'u', AUTH_USER_MAX);
    msg[AUTH_USER_MAX] = 0;
    memset(msg + AUTH_USER_MAX + 1, 'u', AUTH_USER_MAX);
    msg[2 * AUTH_USER_MAX + 1] = 0;
    memset(msg + 2 * AUTH_USER_MAX + 2, 'p', AUTH_PASSWORD_MAX);
    n = 2 * AUTH_USER_MAX + 2 + AUTH_PASSWORD_MAX;
    assert_int_equal(n, SASL_MECH_DECODED_MAX);
    b64 = enc(msg, n);
    assert_true(strlen(b64) <= SASL_MECH_RESPONSE_MAX);
    assert_int_equal(sasl_mech_plain((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_OK);
    assert_int_equal(strlen(c.user), AUTH_USER_MAX);
    assert_int_equal(strlen(c.password), AUTH_PASSWORD_MAX);
    test_free(b64);
    /* one more password octet: too long */
    msg[n] = 'p';
    b64 = enc(msg, n + 1);
    assert_int_equal(sasl_mech_plain((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    assert_true(wiped(&c));
    test_free(b64);
    /* a login one octet too long, without authzid */
    msg[0] = 0;
    memset(msg + 1, 'u', AUTH_USER_MAX + 1);
    msg[AUTH_USER_MAX + 2] = 0;
    msg[AUTH_USER_MAX + 3] = 'p';
    b64 = enc(msg, AUTH_USER_MAX + 4);
    assert_int_equal(sasl_mech_plain((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    test_free(b64);
    /* far too long: refused before decoding */
    b64 = test_malloc(SASL_MECH_RESPONSE_MAX + 5);
    memset(b64, 'A', SASL_MECH_RESPONSE_MAX + 4);
    b64[SASL_MECH_RESPONSE_MAX + 4] = 0;
    assert_int_equal(sasl_mech_plain((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    test_free(b64);
}

static void test_bad_base64(void **state UNUSED)
{
    static const char *const bad[] = {"AGFsaWNlAHB3", "a!b=", "abc", "AGFs aWNl", "*"};
    struct sasl_creds c;
    const char *why;
    size_t i;

    /* the first one is good: the rest is what base64 refuses */
    assert_int_equal(sasl_mech_plain((const unsigned char *)bad[0], strlen(bad[0]), &c, &why),
                     SASL_MECH_OK);
    for (i = 1; i < COUNTOF(bad); i++) {
        assert_int_equal(sasl_mech_plain((const unsigned char *)bad[i], strlen(bad[i]), &c, &why),
                         SASL_MECH_BAD_BASE64);
        assert_int_equal(
            sasl_mech_login_user((const unsigned char *)bad[i], strlen(bad[i]), &c, &why),
            SASL_MECH_BAD_BASE64);
        assert_int_equal(
            sasl_mech_login_password((const unsigned char *)bad[i], strlen(bad[i]), &c, &why),
            SASL_MECH_BAD_BASE64);
        assert_true(wiped(&c));
    }
}

static void test_login(void **state UNUSED)
{
    struct sasl_creds c;
    const char *why;
    char *b64, big[AUTH_PASSWORD_MAX + 2];

    b64 = enc("alice@corp.example", 18);
    assert_int_equal(sasl_mech_login_user((const unsigned char *)b64, strlen(b64), &c, &why), 0);
    test_free(b64);
    b64 = enc("a pass\xc3\xa9", 8);
    assert_int_equal(sasl_mech_login_password((const unsigned char *)b64, strlen(b64), &c, &why),
                     0);
    assert_string_equal(c.user, "alice@corp.example");
    assert_string_equal(c.password, "a pass\xc3\xa9");
    test_free(b64);
    sasl_creds_wipe(&c);
    assert_true(wiped(&c));
    /* empty, spaced or NUL-holding names; empty, NUL-holding or over-long passwords */
    assert_int_equal(sasl_mech_login_user((const unsigned char *)"", 0, &c, &why),
                     SASL_MECH_BAD_DATA);
    b64 = enc("al ice", 6);
    assert_int_equal(sasl_mech_login_user((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    test_free(b64);
    b64 = enc("al\0ice", 6);
    assert_int_equal(sasl_mech_login_user((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    test_free(b64);
    assert_int_equal(sasl_mech_login_password((const unsigned char *)"", 0, &c, &why),
                     SASL_MECH_BAD_DATA);
    b64 = enc("pw\0x", 4);
    assert_int_equal(sasl_mech_login_password((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    assert_true(wiped(&c));
    test_free(b64);
    memset(big, 'p', sizeof(big));
    b64 = enc(big, AUTH_PASSWORD_MAX);
    assert_int_equal(sasl_mech_login_password((const unsigned char *)b64, strlen(b64), &c, &why),
                     0);
    test_free(b64);
    b64 = enc(big, AUTH_PASSWORD_MAX + 1);
    assert_int_equal(sasl_mech_login_password((const unsigned char *)b64, strlen(b64), &c, &why),
                     SASL_MECH_BAD_DATA);
    test_free(b64);
}

static void test_names(void **state UNUSED)
{
    enum sasl_mech m;

    assert_int_equal(sasl_mech_find("plain", &m), 0);
    assert_int_equal(m, SASL_MECH_PLAIN);
    assert_int_equal(sasl_mech_find("LoGiN", &m), 0);
    assert_int_equal(m, SASL_MECH_LOGIN);
    assert_int_equal(sasl_mech_find("CRAM-MD5", &m), -1);
    assert_int_equal(sasl_mech_find("", &m), -1);
    assert_int_equal(sasl_mech_find("PLAINX", &m), -1);
    assert_string_equal(sasl_mech_name(SASL_MECH_PLAIN), "PLAIN");
    assert_string_equal(sasl_mech_name(SASL_MECH_LOGIN), "LOGIN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),      cmocka_unit_test(test_plain_limits),
        cmocka_unit_test(test_bad_base64), cmocka_unit_test(test_login),
        cmocka_unit_test(test_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
