/*
 * smtp_chunk.c - BDAT argument and content conversion (see smtp_chunk.h).
 */
#include "sys_defs.h"
#include "smtp_chunk.h"
#include "strutil.h"

int smtp_chunk_parse(const char *arg, long long *size_r, bool *last_r)
{
    size_t n = strspn(arg, "0123456789");
    long long size = 0;
    size_t i;

    /* RFC 3030 2: chunk-size = 1*DIGIT; bounded so that it fits. */
    if (n == 0 || n > SMTP_CHUNK_DIGITS_MAX)
        return -1;
    for (i = 0; i < n; i++)
        size = size * 10 + (arg[i] - '0');
    if (arg[n] == 0)
        *last_r = false;
    else if (arg[n] == ' ' && str_eq_nocase(arg + n + 1, "LAST"))
        *last_r = true;
    else
        return -1;
    *size_r = size;
    return 0;
}

size_t smtp_chunk_convert(struct smtp_chunk_conv *c, const unsigned char *in, size_t len,
                          unsigned char *out)
{
    size_t i, o = 0;

    for (i = 0; i < len; i++) {
        if (c->pending_cr) {
            c->pending_cr = false;
            if (in[i] == '\n') {
                out[o++] = '\n'; /* CR LF, perhaps split over two chunks */
                continue;
            }
            c->bare_cr = true;
            out[o++] = '\r';
        }
        if (in[i] == '\r') {
            c->pending_cr = true;
            continue;
        }
        if (in[i] == '\n')
            c->bare_lf = true;
        out[o++] = in[i];
    }
    return o;
}

size_t smtp_chunk_finish(struct smtp_chunk_conv *c, unsigned char *out)
{
    if (!c->pending_cr)
        return 0;
    c->pending_cr = false;
    c->bare_cr = true;
    out[0] = '\r';
    return 1;
}
