/*
 * sasl_mech.c - PLAIN and LOGIN responses decoded with limits (see
 * sasl_mech.h).  Every decoded octet lands in one stack buffer that is
 * wiped before the function returns, whatever the outcome.
 */
#include "sys_defs.h"
#include "sasl_mech.h"
#include "base64.h"
#include "strutil.h"

static const char *const mech_names[] = {[SASL_MECH_PLAIN] = "PLAIN", [SASL_MECH_LOGIN] = "LOGIN"};

int sasl_mech_find(const char *name, enum sasl_mech *mech_r)
{
    size_t i;

    for (i = 0; i < COUNTOF(mech_names); i++) {
        if (str_eq_nocase(name, mech_names[i])) {
            *mech_r = (enum sasl_mech)i;
            return 0;
        }
    }
    return -1;
}

const char *sasl_mech_name(enum sasl_mech mech)
{
    return (size_t)mech < COUNTOF(mech_names) ? mech_names[mech] : "unknown";
}

void sasl_creds_wipe(struct sasl_creds *c)
{
    explicit_bzero(c, sizeof(*c));
}

/*
 * Base64 text to at most max octets.  out has room for two more: base64
 * comes in groups of three octets, so text that is valid but decodes to
 * a little more than max is told apart from text that is not base64.
 */
static int sasl_decode(const unsigned char *b64, size_t len, unsigned char *out, size_t max,
                       size_t *n_r, const char **error_r)
{
    /* Longer than any valid response can be: no need to look inside. */
    if (len > (max + 2) / 3 * 4) {
        *error_r = "response too long";
        return SASL_MECH_BAD_DATA;
    }
    if (base64_decode(b64, len, out, max + 2, n_r) < 0) {
        *error_r = "invalid base64 data";
        return SASL_MECH_BAD_BASE64;
    }
    if (*n_r > max) {
        *error_r = "response too long";
        return SASL_MECH_BAD_DATA;
    }
    return SASL_MECH_OK;
}

/* A login name as the auth protocol carries it: 1..AUTH_USER_MAX of [!-~]. */
static bool sasl_login_ok(const unsigned char *p, size_t len)
{
    size_t i;

    if (len == 0 || len > AUTH_USER_MAX)
        return false;
    for (i = 0; i < len; i++)
        if (p[i] <= ' ' || p[i] >= 0x7f)
            return false;
    return true;
}

/* A password: 1..AUTH_PASSWORD_MAX octets, none of them NUL. */
static bool sasl_password_ok(const unsigned char *p, size_t len)
{
    return len > 0 && len <= AUTH_PASSWORD_MAX && memchr(p, 0, len) == NULL;
}

/*
 * RFC 4616: message = [authzid] NUL authcid NUL passwd, so the first two
 * NULs split it and a third one is an error (passwd has no NUL).
 */
static int sasl_plain_split(const unsigned char *p, size_t n, struct sasl_creds *c,
                            const char **error_r)
{
    const unsigned char *nul1 = memchr(p, 0, n), *nul2, *user, *pass;
    size_t zlen, ulen, plen;

    if (nul1 == NULL || (nul2 = memchr(nul1 + 1, 0, n - (size_t)(nul1 + 1 - p))) == NULL) {
        *error_r = "malformed PLAIN response";
        return SASL_MECH_BAD_DATA;
    }
    zlen = (size_t)(nul1 - p);
    user = nul1 + 1;
    ulen = (size_t)(nul2 - user);
    pass = nul2 + 1;
    plen = n - (size_t)(pass - p);
    if (!sasl_login_ok(user, ulen) || !sasl_password_ok(pass, plen)) {
        *error_r = "malformed PLAIN response";
        return SASL_MECH_BAD_DATA;
    }
    /* Acting for another identity is never allowed: empty or the login itself. */
    if (zlen != 0 && (zlen != ulen || memcmp(p, user, ulen) != 0)) {
        *error_r = "authorization identity differs from the login";
        return SASL_MECH_BAD_DATA;
    }
    memcpy(c->user, user, ulen);
    c->user[ulen] = 0;
    memcpy(c->password, pass, plen);
    c->password[plen] = 0;
    return SASL_MECH_OK;
}

int sasl_mech_plain(const unsigned char *b64, size_t len, struct sasl_creds *c,
                    const char **error_r)
{
    unsigned char dec[SASL_MECH_DECODED_MAX + 2];
    size_t n;
    int ret;

    sasl_creds_wipe(c);
    if ((ret = sasl_decode(b64, len, dec, SASL_MECH_DECODED_MAX, &n, error_r)) == SASL_MECH_OK)
        ret = sasl_plain_split(dec, n, c, error_r);
    explicit_bzero(dec, sizeof(dec));
    if (ret != SASL_MECH_OK)
        sasl_creds_wipe(c);
    return ret;
}

/* One LOGIN response into dst (room for max + 1): decoded, checked by ok(). */
static int sasl_login_field(const unsigned char *b64, size_t len, char *dst, size_t max,
                            bool (*ok)(const unsigned char *, size_t), const char *bad,
                            const char **error_r)
{
    unsigned char dec[SASL_MECH_DECODED_MAX + 2];
    size_t n;
    int ret;

    if ((ret = sasl_decode(b64, len, dec, max, &n, error_r)) == SASL_MECH_OK) {
        if (ok(dec, n)) {
            memcpy(dst, dec, n);
            dst[n] = 0;
        } else {
            *error_r = bad;
            ret = SASL_MECH_BAD_DATA;
        }
    }
    explicit_bzero(dec, sizeof(dec));
    return ret;
}

int sasl_mech_login_user(const unsigned char *b64, size_t len, struct sasl_creds *c,
                         const char **error_r)
{
    sasl_creds_wipe(c);
    return sasl_login_field(b64, len, c->user, AUTH_USER_MAX, sasl_login_ok,
                            "malformed LOGIN user name", error_r);
}

int sasl_mech_login_password(const unsigned char *b64, size_t len, struct sasl_creds *c,
                             const char **error_r)
{
    int ret;

    explicit_bzero(c->password, sizeof(c->password));
    ret = sasl_login_field(b64, len, c->password, AUTH_PASSWORD_MAX, sasl_password_ok,
                           "malformed LOGIN password", error_r);
    if (ret != SASL_MECH_OK)
        sasl_creds_wipe(c);
    return ret;
}
