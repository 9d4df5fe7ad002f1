/*
 * fuzz_dns_rdata.c - libFuzzer target for the DNS rdata parsers (dns.h):
 * MX rdata and A/AAAA rdata, bytes that whoever runs a zone chooses.
 *
 * An accepted MX record has the preference of its first two octets and a
 * host of at most 253 characters: lower-case letters, digits, '-' and '_'
 * in labels of 1 to 63 separated by single dots, or "" (the root).
 * Encoding the host again in wire form gives the input back (apart from
 * letter case): a strict parser accepts nothing it would not write.  An
 * address is accepted exactly when its length fits the family.
 */
#include "sys_defs.h"
#include "fuzz.h"
#include "dns.h"
#include "msg.h"

/* The wire form of a parsed host into w; its length. */
static size_t encode_host(const char *host, unsigned char *w)
{
    size_t o = 0, start;
    const char *p = host;

    while (*p) {
        start = o++;
        while (*p && *p != '.')
            w[o++] = (unsigned char)*p++;
        CHECK(o - start - 1 >= 1 && o - start - 1 <= 63);
        w[start] = (unsigned char)(o - start - 1);
        if (*p == '.') {
            p++;
            CHECK(*p != 0);
        }
    }
    w[o++] = 0;
    return o;
}

static void check_mx(const uint8_t *data, size_t size)
{
    unsigned char wire[300];
    struct dns_mx mx;
    size_t i, n;

    if (dns_mx_rdata_parse(data, size, &mx) != 0)
        return;
    CHECK(size >= 3 && mx.pref == (data[0] << 8 | data[1]));
    n = strlen(mx.host);
    CHECK(n <= 253);
    for (i = 0; i < n; i++)
        CHECK(islower((unsigned char)mx.host[i]) || isdigit((unsigned char)mx.host[i]) ||
              mx.host[i] == '-' || mx.host[i] == '_' || mx.host[i] == '.');
    CHECK(encode_host(mx.host, wire) == size - 2);
    for (i = 0; i < size - 2; i++)
        CHECK(wire[i] == tolower(data[2 + i]));
}

static void check_addr(const uint8_t *data, size_t size)
{
    struct sockaddr_storage ss;

    if (dns_addr_rdata_parse(AF_INET, data, size, &ss) == 0) {
        CHECK(size == 4 && ss.ss_family == AF_INET);
        CHECK(memcmp(&((struct sockaddr_in *)&ss)->sin_addr, data, 4) == 0);
        CHECK(((struct sockaddr_in *)&ss)->sin_port == 0);
    } else {
        CHECK(size != 4);
    }
    if (dns_addr_rdata_parse(AF_INET6, data, size, &ss) == 0) {
        CHECK(size == 16 && ss.ss_family == AF_INET6);
        CHECK(memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, data, 16) == 0);
        CHECK(((struct sockaddr_in6 *)&ss)->sin6_port == 0);
    } else {
        CHECK(size != 16);
    }
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
    check_mx(data, size);
    check_addr(data, size);
    return 0;
}
