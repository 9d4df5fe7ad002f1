/*
 * test_pass_crypt.c - password hashes: the scheme of a new hash (yescrypt
 * with its cost, or SHA-512-crypt with its rounds), right and wrong
 * passwords for both and for a standard test vector, weak and malformed
 * hashes never matching, salts that differ every time and come from
 * getrandom() alone (getrandom is wrapped: with fixed bytes, two hashes
 * are the same; when it fails, no hash is made), limits on length, and
 * the constant-time comparison.
 */
#include "unit.h"
#include <sys/random.h>
#include "pass_crypt.h"

/* getrandom() as pass_crypt.c sees it (linked with --wrap=getrandom). */
ssize_t __real_getrandom(void *buf, size_t len, unsigned int flags);
ssize_t __wrap_getrandom(void *buf, size_t len, unsigned int flags);

static int random_mode; /* 0: the real one, 1: fixed bytes, 2: fail */
static int random_calls;

ssize_t __wrap_getrandom(void *buf, size_t len, unsigned int flags)
{
    random_calls++;
    if (random_mode == 1) {
        memset(buf, 0x5a, len);
        return (ssize_t)len;
    }
    if (random_mode == 2) {
        errno = ENOSYS;
        return -1;
    }
    return __real_getrandom(buf, len, flags);
}

static void hash_ok(const char *password, enum pass_scheme scheme, char *out)
{
    const char *why = NULL;

    if (pass_crypt_hash(password, scheme, out, PASS_CRYPT_HASH_MAX, &why) < 0)
        fail_msg("pass_crypt_hash: %s", why);
}

static int verify(const char *password, const char *hash)
{
    const char *why = NULL;
    int r = pass_crypt_verify(password, hash, &why);

    if (r < 0)
        assert_non_null(why);
    return r;
}

static void test_scheme_prefix(void **state UNUSED)
{
    char h[PASS_CRYPT_HASH_MAX];

    hash_ok("secret", PASS_SCHEME_BEST, h);
    /* libxcrypt's yescrypt, cost 5: "j9T" */
    assert_true(strncmp(h, "$y$j9T$", 7) == 0);
    hash_ok("secret", PASS_SCHEME_YESCRYPT, h);
    assert_true(strncmp(h, "$y$j9T$", 7) == 0);
    hash_ok("secret", PASS_SCHEME_SHA512, h);
    assert_true(strncmp(h, "$6$rounds=200000$", 17) == 0);
    assert_true(pass_crypt_hash_ok(h));
}

static void test_verify_right_and_wrong(void **state UNUSED)
{
    static const enum pass_scheme schemes[] = {PASS_SCHEME_YESCRYPT, PASS_SCHEME_SHA512};
    char h[PASS_CRYPT_HASH_MAX];
    size_t i;

    for (i = 0; i < COUNTOF(schemes); i++) {
        hash_ok("correct horse", schemes[i], h);
        assert_int_equal(verify("correct horse", h), 1);
        assert_int_equal(verify("correct horsf", h), 0);
        assert_int_equal(verify("correct hors", h), 0);
        assert_int_equal(verify("correct horse ", h), 0);
        assert_int_equal(verify("Correct horse", h), 0);
        assert_int_equal(verify("", h), 0);
    }
    hash_ok("", PASS_SCHEME_BEST, h);
    assert_int_equal(verify("", h), 1);
    assert_int_equal(verify("x", h), 0);
}

/* Hashes made elsewhere check too (glibc's SHA-512-crypt test vector). */
static void test_standard_vector(void **state UNUSED)
{
    static const char h[] = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI"
                            "68u4OTLiBFdcbYEdFCoEOfaS35inz1";

    assert_int_equal(verify("Hello world!", h), 1);
    assert_int_equal(verify("Hello world", h), 0);
}

static void test_weak_and_malformed(void **state UNUSED)
{
    /* DES, MD5, NT, locked and empty entries never match, whatever the password */
    static const char *const refused[] = {
        "abJnggxhB/yWI",
        "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/",
        "$3$$8846f7eaee8fb117ad06bdd830b7586c",
        "*",
        "!",
        "!$y$j9T$x$y",
        "",
        "$sha1$40000$abc$def",
    };
    size_t i;

    for (i = 0; i < COUNTOF(refused); i++) {
        assert_false(pass_crypt_hash_ok(refused[i]));
        assert_int_equal(verify("test", refused[i]), -1);
    }
    /* a strong prefix with nonsense or nothing after it is no match either */
    assert_int_equal(verify("test", "$y$garbage"), -1);
    assert_true(verify("test", "$6$") <= 0);
    assert_true(verify("", "$6$") <= 0);
}

static void salt_of(const char *hash, char *out, size_t len)
{
    const char *last = strrchr(hash, '$');

    assert_non_null(last);
    snprintf(out, len, "%.*s", (int)(last - hash), hash);
}

static void test_salt_randomness(void **state UNUSED)
{
    char a[PASS_CRYPT_HASH_MAX], b[PASS_CRYPT_HASH_MAX], sa[PASS_CRYPT_HASH_MAX],
        sb[PASS_CRYPT_HASH_MAX];
    int calls = random_calls;

    hash_ok("same", PASS_SCHEME_BEST, a);
    hash_ok("same", PASS_SCHEME_BEST, b);
    assert_true(random_calls >= calls + 2);
    assert_string_not_equal(a, b);
    salt_of(a, sa, sizeof(sa));
    salt_of(b, sb, sizeof(sb));
    assert_string_not_equal(sa, sb);
    /* yescrypt salts of 16 random bytes: 22 characters after "$y$j9T$" */
    assert_int_equal(strlen(sa), 7 + 22);
    hash_ok("same", PASS_SCHEME_SHA512, a);
    hash_ok("same", PASS_SCHEME_SHA512, b);
    assert_string_not_equal(a, b);
    /* with the same bytes from getrandom, the same salt: nothing else goes into it */
    random_mode = 1;
    hash_ok("same", PASS_SCHEME_BEST, a);
    hash_ok("same", PASS_SCHEME_BEST, b);
    random_mode = 0;
    assert_string_equal(a, b);
}

static void test_no_randomness(void **state UNUSED)
{
    char h[PASS_CRYPT_HASH_MAX];
    const char *why = NULL;

    random_mode = 2;
    assert_int_equal(pass_crypt_hash("x", PASS_SCHEME_BEST, h, sizeof(h), &why), -1);
    random_mode = 0;
    assert_string_equal(why, "getrandom failed");
}

static void test_lengths(void **state UNUSED)
{
    char pw[PASS_CRYPT_PASSWORD_MAX + 2], h[PASS_CRYPT_HASH_MAX], small[16];
    const char *why = NULL;

    memset(pw, 'p', PASS_CRYPT_PASSWORD_MAX);
    pw[PASS_CRYPT_PASSWORD_MAX] = 0;
    hash_ok(pw, PASS_SCHEME_BEST, h);
    assert_int_equal(verify(pw, h), 1);
    pw[PASS_CRYPT_PASSWORD_MAX] = 'p';
    pw[PASS_CRYPT_PASSWORD_MAX + 1] = 0;
    assert_int_equal(pass_crypt_hash(pw, PASS_SCHEME_BEST, h, sizeof(h), &why), -1);
    assert_int_equal(verify(pw, h), 0);
    /* an output buffer too small for the hash */
    assert_int_equal(pass_crypt_hash("x", PASS_SCHEME_BEST, small, sizeof(small), &why), -1);
}

static void test_equal(void **state UNUSED)
{
    assert_true(pass_crypt_equal("", ""));
    assert_true(pass_crypt_equal("$y$abc", "$y$abc"));
    assert_false(pass_crypt_equal("$y$abc", "$y$abd"));
    assert_false(pass_crypt_equal("$y$abc", "$y$ab"));
    assert_false(pass_crypt_equal("$y$ab", "$y$abc"));
    assert_false(pass_crypt_equal("x", ""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheme_prefix),   cmocka_unit_test(test_verify_right_and_wrong),
        cmocka_unit_test(test_standard_vector), cmocka_unit_test(test_weak_and_malformed),
        cmocka_unit_test(test_salt_randomness), cmocka_unit_test(test_no_randomness),
        cmocka_unit_test(test_lengths),         cmocka_unit_test(test_equal),
    };

    unit_init("test_pass_crypt");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
