/*
 * fuzz_tls_protocols.c - libFuzzer target for the TLS protocol list parser
 * (tls_protocols_parse(), smtpd_tls_protocols and the mandatory list).
 * The input is one main.cf value.  An accepted list must give a range of
 * known versions, lowest first, never below TLS 1.0.
 */
#include "sys_defs.h"
#include <openssl/ssl.h>
#include "fuzz.h"
#include "mymalloc.h"
#include "tls_server.h"

int LLVMFuzzerInitialize(int *argc UNUSED, char ***argv UNUSED)
{
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xmalloc(size + 1);
    const char *why = NULL;
    int min = 0, max = 0;

    memcpy(text, data, size);
    text[size] = 0; /* a main.cf value is a string: an embedded NUL ends it */
    if (tls_protocols_parse(text, &min, &max, &why) == 0) {
        CHECK(min >= TLS1_VERSION && max <= TLS1_3_VERSION && min <= max);
    } else {
        CHECK(why != NULL && *why != 0);
    }
    free(text);
    return 0;
}
