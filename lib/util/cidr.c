/*
 * cidr.c - network pattern parsing and matching (see cidr.h).
 *
 * Host bits set in a pattern ("192.0.2.1/24") are rejected, as Postfix does,
 * because they usually mean the administrator mistyped the prefix length.
 */
#include "sys_defs.h"
#include "cidr.h"

int cidr_parse(const char *text, struct cidr *c, const char **error_r)
{
    char host[INET6_ADDRSTRLEN + 3];
    const char *slash = strchr(text, '/');
    size_t hlen = slash ? (size_t)(slash - text) : strlen(text);
    int bits, maxbits, i;
    char *end;

    memset(c, 0, sizeof(*c));
    if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
        text++;
        hlen -= 2;
    }
    if (hlen == 0 || hlen >= sizeof(host)) {
        *error_r = "bad network address";
        return -1;
    }
    memcpy(host, text, hlen);
    host[hlen] = 0;
    if (inet_pton(AF_INET, host, c->addr) == 1) {
        c->family = AF_INET;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, host, c->addr) == 1) {
        c->family = AF_INET6;
        maxbits = 128;
    } else {
        *error_r = "bad network address";
        return -1;
    }
    bits = maxbits;
    if (slash) {
        errno = 0;
        long v = strtol(slash + 1, &end, 10);

        if (!isdigit((unsigned char)slash[1]) || *end != 0 || errno || v < 0 || v > maxbits) {
            *error_r = "bad network prefix length";
            return -1;
        }
        bits = (int)v;
    }
    for (i = 0; i < maxbits / 8; i++) {
        int b = bits - i * 8;

        c->mask[i] = b >= 8 ? 0xff : b <= 0 ? 0 : (unsigned char)(0xff << (8 - b));
        if (c->addr[i] & ~c->mask[i]) {
            *error_r = "non-zero host bits in network address";
            return -1;
        }
    }
    return 0;
}

bool cidr_match(const struct cidr *c, int family, const void *addr)
{
    const unsigned char *a = addr;
    unsigned char v4[16];
    int i, n;

    /* An IPv4-mapped IPv6 client matches IPv4 patterns. */
    if (family == AF_INET6 && c->family == AF_INET &&
        IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)addr)) {
        memcpy(v4, a + 12, 4);
        a = v4;
        family = AF_INET;
    }
    if (family != c->family)
        return false;
    n = family == AF_INET ? 4 : 16;
    for (i = 0; i < n; i++)
        if ((a[i] & c->mask[i]) != c->addr[i])
            return false;
    return true;
}

bool cidr_match_text(const struct cidr *c, const char *addr)
{
    unsigned char bin[16];

    if (inet_pton(AF_INET, addr, bin) == 1)
        return cidr_match(c, AF_INET, bin);
    if (inet_pton(AF_INET6, addr, bin) == 1)
        return cidr_match(c, AF_INET6, bin);
    return false;
}
