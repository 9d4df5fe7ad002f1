/*
 * header.c - the one reader of message header sections (see header.h).
 */
#include "sys_defs.h"
#include "header.h"
#include "buf.h"
#include "strutil.h"

/* Length of the line at p (without its LF or CR LF), and of its end. */
static size_t header_line(const unsigned char *p, size_t len, size_t *eol_r)
{
    const unsigned char *lf = memchr(p, '\n', len);
    size_t n = lf ? (size_t)(lf - p) : len;

    *eol_r = lf ? 1 : 0;
    if (n > 0 && p[n - 1] == '\r') {
        n--;
        (*eol_r)++;
    }
    return n;
}

/* The name of a field line: printable ASCII but ':' up to the colon; 0 if none. */
static size_t header_name_len(const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n && i <= HEADER_NAME_MAX; i++) {
        if (p[i] == ':')
            return i;
        if (p[i] <= ' ' || p[i] > '~')
            return 0;
    }
    return 0;
}

static bool header_wsp(int c)
{
    return c == ' ' || c == '\t';
}

int header_scan(const unsigned char *text, size_t len, header_fn fn, void *ctx, size_t *body_r)
{
    char name[HEADER_NAME_MAX + 1];
    struct buf value;
    size_t pos = 0;
    int ret = 0;

    buf_init(&value, HEADER_FIELD_MAX);
    while (pos < len && ret == 0) {
        size_t eol, n = header_line(text + pos, len - pos, &eol), nlen, start = pos, v;
        struct header_field f;

        if (n == 0) { /* the empty line: the body follows */
            pos += eol;
            break;
        }
        if ((nlen = header_name_len(text + pos, n)) == 0)
            break; /* not a field: the body starts here */
        memcpy(name, text + pos, nlen);
        name[nlen] = 0;
        for (v = nlen + 1; v < n && header_wsp(text[pos + v]); v++)
            ;
        buf_reset(&value);
        /* Cut at the limit: buf_append() would refuse the whole line. */
        (void)buf_append(&value, text + pos + v, n - v < value.max ? n - v : value.max);
        pos += n + eol;
        /* Continuation lines: the line break goes, the white space stays. */
        while (pos < len && header_wsp(text[pos])) {
            n = header_line(text + pos, len - pos, &eol);
            if (value.len + n > value.max)
                n = value.max - value.len;
            (void)buf_append(&value, text + pos, n);
            pos += header_line(text + pos, len - pos, &eol) + eol;
        }
        f.name = name;
        f.value = buf_str(&value);
        f.value_len = value.len;
        f.offset = start;
        f.end = pos;
        ret = fn(&f, ctx);
    }
    buf_free(&value);
    if (body_r)
        *body_r = pos;
    return ret;
}

bool header_is(const struct header_field *f, const char *name)
{
    return str_eq_nocase(f->name, name);
}
