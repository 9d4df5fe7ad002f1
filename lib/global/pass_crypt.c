/*
 * pass_crypt.c - hashing and checking passwords with libxcrypt (see
 * pass_crypt.h).
 */
#include "sys_defs.h"
#include <crypt.h>
#include <sys/random.h>
#include "pass_crypt.h"
#include "mymalloc.h"

#define PASS_SALT_BYTES 16

/* Schemes that resist offline guessing; everything else never matches. */
static const char *const pass_strong_prefixes[] = {"$y$",  "$gy$", "$7$", "$2b$",
                                                   "$2y$", "$6$",  "$5$"};

bool pass_crypt_hash_ok(const char *hash)
{
    size_t i;

    for (i = 0; i < COUNTOF(pass_strong_prefixes); i++)
        if (strncmp(hash, pass_strong_prefixes[i], strlen(pass_strong_prefixes[i])) == 0)
            return true;
    return false;
}

bool pass_crypt_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i;
    volatile unsigned char diff = la != lb;

    /* The lengths are no secret (a hash's length follows from its scheme). */
    for (i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* Fill p with len bytes from the kernel's generator; -1 if it cannot. */
static int pass_random(unsigned char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The crypt_gensalt() setting for a scheme, into setting; -1 if missing. */
static int pass_setting(enum pass_scheme scheme, char *setting, size_t len, const char **error_r)
{
    unsigned char rnd[PASS_SALT_BYTES];
    const char *made = NULL;

    if (pass_random(rnd, sizeof(rnd)) < 0) {
        *error_r = "getrandom failed";
        return -1;
    }
    if (scheme != PASS_SCHEME_SHA512)
        made = crypt_gensalt_rn("$y$", PASS_CRYPT_YESCRYPT_COST, (const char *)rnd, sizeof(rnd),
                                setting, (int)len);
    if (made == NULL && scheme != PASS_SCHEME_YESCRYPT)
        made = crypt_gensalt_rn("$6$", PASS_CRYPT_SHA512_ROUNDS, (const char *)rnd, sizeof(rnd),
                                setting, (int)len);
    explicit_bzero(rnd, sizeof(rnd));
    if (made == NULL) {
        *error_r = "this crypt library lacks the password hash scheme";
        return -1;
    }
    return 0;
}

/* crypt_rn() into out; -1 if it refused.  Its working memory is wiped. */
static int pass_crypt_run(const char *password, const char *setting, char *out, size_t len)
{
    struct crypt_data *data = xcalloc(1, sizeof(*data));
    const char *r = crypt_rn(password, setting, data, (int)sizeof(*data));
    int ret = -1;

    if (r != NULL && r[0] != '*' && strlen(r) < len) {
        memcpy(out, r, strlen(r) + 1);
        ret = 0;
    }
    explicit_bzero(data, sizeof(*data));
    free(data);
    return ret;
}

int pass_crypt_hash(const char *password, enum pass_scheme scheme, char *out, size_t len,
                    const char **error_r)
{
    char setting[CRYPT_GENSALT_OUTPUT_SIZE];

    if (strlen(password) > PASS_CRYPT_PASSWORD_MAX) {
        *error_r = "password too long";
        return -1;
    }
    if (pass_setting(scheme, setting, sizeof(setting), error_r) < 0)
        return -1;
    if (pass_crypt_run(password, setting, out, len) < 0) {
        *error_r = "crypt failed";
        return -1;
    }
    return 0;
}

int pass_crypt_verify(const char *password, const char *hash, const char **error_r)
{
    char out[CRYPT_OUTPUT_SIZE];
    bool same;

    if (!pass_crypt_hash_ok(hash)) {
        *error_r = "not a hash of a strong scheme";
        return -1;
    }
    if (strlen(password) > PASS_CRYPT_PASSWORD_MAX)
        return 0; /* never stored, so never right */
    if (pass_crypt_run(password, hash, out, sizeof(out)) < 0) {
        *error_r = "malformed hash";
        return -1;
    }
    same = pass_crypt_equal(out, hash);
    explicit_bzero(out, sizeof(out));
    return same ? 1 : 0;
}
