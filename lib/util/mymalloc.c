/*
 * mymalloc.c - allocation wrappers that exit on exhaustion (see mymalloc.h).
 */
#include "sys_defs.h"
#include "mymalloc.h"
#include "msg.h"

void *xmalloc(size_t len)
{
    void *p = malloc(len ? len : 1);

    if (p == NULL)
        msg_fatal("out of memory allocating %zu bytes", len);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (p == NULL)
        msg_fatal("out of memory allocating %zu x %zu bytes", n, size);
    return p;
}

void *xrealloc(void *ptr, size_t len)
{
    void *p = realloc(ptr, len ? len : 1);

    if (p == NULL)
        msg_fatal("out of memory reallocating %zu bytes", len);
    return p;
}

void *xreallocarray(void *ptr, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        msg_panic("xreallocarray: %zu x %zu overflows", n, size);
    return xrealloc(ptr, n * size);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);

    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

void *xmemdup(const void *src, size_t len)
{
    void *p = xmalloc(len);

    if (len)
        memcpy(p, src, len);
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *p;

    va_start(ap, fmt);
    if (vasprintf(&p, fmt, ap) < 0)
        msg_fatal("out of memory formatting a string");
    va_end(ap);
    return p;
}
