/*
 * fuzz_sasl_mech.c - libFuzzer target for the SASL PLAIN and LOGIN
 * decoders (sasl_mech.h) and the base64 they read (base64.h): what an
 * SMTP client sends in AUTH before it has proved anything.
 *
 * The input is given to each decoder twice: as the base64 text a client
 * sends, and (encoded first) as the decoded message, so that the fuzzer
 * reaches the PLAIN splitting with any octets.  An accepted result has a
 * login of 1..AUTH_USER_MAX printable octets without spaces and a
 * password of 1..AUTH_PASSWORD_MAX octets without NUL, both inside the
 * decoded message; a refused one leaves the credentials wiped.  Base64
 * that decodes is encoded again to the same text (the decoder is
 * strict: one text per octet string).
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "base64.h"
#include "msg.h"
#include "sasl_mech.h"

static bool wiped(const struct sasl_creds *c)
{
    static const struct sasl_creds zero;

    return memcmp(c, &zero, sizeof(zero)) == 0;
}

static void check_creds(const struct sasl_creds *c, bool want_user, bool want_password)
{
    size_t ulen = strnlen(c->user, sizeof(c->user)),
           plen = strnlen(c->password, sizeof(c->password));
    size_t i;

    CHECK(ulen <= AUTH_USER_MAX && plen <= AUTH_PASSWORD_MAX);
    if (want_user) {
        CHECK(ulen >= 1);
        for (i = 0; i < ulen; i++)
            CHECK(c->user[i] > ' ' && c->user[i] < 0x7f);
    }
    if (want_password)
        CHECK(plen >= 1);
}

static void check_decoders(const unsigned char *b64, size_t len)
{
    struct sasl_creds c;
    const char *why;
    int r;

    why = NULL;
    r = sasl_mech_plain(b64, len, &c, &why);
    CHECK(r == SASL_MECH_OK || r == SASL_MECH_BAD_BASE64 || r == SASL_MECH_BAD_DATA);
    if (r == SASL_MECH_OK)
        check_creds(&c, true, true);
    else
        CHECK(why != NULL && wiped(&c));
    r = sasl_mech_login_user(b64, len, &c, &why);
    if (r == SASL_MECH_OK)
        check_creds(&c, true, false);
    else
        CHECK(wiped(&c));
    r = sasl_mech_login_password(b64, len, &c, &why);
    if (r == SASL_MECH_OK)
        check_creds(&c, false, true);
    else
        CHECK(wiped(&c));
}

static void check_base64(const uint8_t *data, size_t size)
{
    unsigned char out[4096];
    char *again;
    size_t n;

    if (size > 4096 || base64_decode(data, size, out, sizeof(out), &n) < 0)
        return;
    CHECK(n <= BASE64_DECODED_MAX(size));
    again = malloc(BASE64_ENCODED_LEN(n) + 1);
    CHECK(again != NULL);
    base64_encode(out, n, again);
    /* the same text, but for the bits after the last octet, which encode nothing */
    CHECK(strlen(again) == size);
    free(again);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    msg_syslog(false);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *b64;

    check_decoders(data, size);
    check_base64(data, size);
    if (size > 2 * SASL_MECH_DECODED_MAX)
        return 0;
    b64 = malloc(BASE64_ENCODED_LEN(size) + 1);
    CHECK(b64 != NULL);
    base64_encode(data, size, b64);
    check_decoders((const unsigned char *)b64, strlen(b64));
    free(b64);
    return 0;
}
