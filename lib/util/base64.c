/*
 * base64.c - strict RFC 4648 base64 decoding (see base64.h).
 */
#include "sys_defs.h"
#include "base64.h"

static const char base64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(const unsigned char *in, size_t len, char *out)
{
    size_t i;

    for (i = 0; i < len; i += 3) {
        size_t left = len - i;
        unsigned long group = (unsigned long)in[i] << 16;

        if (left > 1)
            group |= (unsigned long)in[i + 1] << 8;
        if (left > 2)
            group |= in[i + 2];
        *out++ = base64_alphabet[(group >> 18) & 63];
        *out++ = base64_alphabet[(group >> 12) & 63];
        *out++ = left > 1 ? base64_alphabet[(group >> 6) & 63] : '=';
        *out++ = left > 2 ? base64_alphabet[group & 63] : '=';
    }
    *out = 0;
}

/* The value of one alphabet character, or -1. */
static int base64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_decode(const unsigned char *in, size_t len, unsigned char *out, size_t out_max,
                  size_t *out_len_r)
{
    size_t i, o = 0;

    if (len % 4 != 0)
        return -1;
    for (i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4], k, pad = 0;
        unsigned long group = 0;

        for (k = 0; k < 4; k++) {
            /* '=' only in the last group's last two places, and only at its end. */
            if (in[i + k] == '=' && last && k >= 2) {
                pad++;
                v[k] = 0;
            } else if (pad > 0 || (v[k] = base64_value(in[i + k])) < 0) {
                return -1;
            }
            group = (group << 6) | (unsigned long)v[k];
        }
        if (o + 3 - (size_t)pad > out_max)
            return -1;
        out[o++] = (unsigned char)(group >> 16);
        if (pad < 2)
            out[o++] = (unsigned char)(group >> 8);
        if (pad < 1)
            out[o++] = (unsigned char)group;
    }
    *out_len_r = o;
    return 0;
}
