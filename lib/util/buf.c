/*
 * buf.c - bounded growable byte buffer (see buf.h).
 */
#include "sys_defs.h"
#include "buf.h"
#include "mymalloc.h"
#include "msg.h"

void buf_init(struct buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void buf_free(struct buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = 0;
}

int buf_reserve(struct buf *b, size_t n)
{
    size_t want, cap;

    /* len + n plus the NUL must not wrap around either. */
    if (n > b->max || b->len > b->max - n || b->len + n == SIZE_MAX)
        return -1;
    want = b->len + n;
    if (want <= b->cap && b->data != NULL)
        return 0;
    cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap = cap > SIZE_MAX / 2 ? want : cap * 2;
    if (cap > b->max)
        cap = b->max;
    b->data = xrealloc(b->data, cap + 1);
    b->cap = cap;
    b->data[b->len] = 0;
    return 0;
}

int buf_append(struct buf *b, const void *p, size_t len)
{
    if (buf_reserve(b, len) < 0)
        return -1;
    if (len)
        memcpy(b->data + b->len, p, len);
    b->len += len;
    b->data[b->len] = 0;
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, int c)
{
    unsigned char ch = (unsigned char)c;

    return buf_append(b, &ch, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;

    if (buf_reserve(b, 0) < 0)
        return -1;
    va_copy(ap2, ap);
    n = vsnprintf((char *)b->data + b->len, b->cap - b->len + 1, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        msg_panic("buf_vprintf: bad format \"%s\"", fmt);
    if ((size_t)n > b->cap - b->len) {
        if (buf_reserve(b, (size_t)n) < 0) {
            b->data[b->len] = 0;
            return -1;
        }
        (void)vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    }
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return ret;
}

void buf_consume(struct buf *b, size_t n)
{
    if (n > b->len)
        msg_panic("buf_consume: %zu > %zu", n, b->len);
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = 0;
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len > b->len)
        msg_panic("buf_truncate: %zu > %zu", len, b->len);
    b->len = len;
    if (b->data)
        b->data[len] = 0;
}

void buf_wipe(struct buf *b)
{
    if (b->data)
        explicit_bzero(b->data, b->cap + 1);
    b->len = 0;
}

char *buf_steal(struct buf *b)
{
    char *p;

    if (b->data == NULL)
        return xstrdup("");
    p = (char *)b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
