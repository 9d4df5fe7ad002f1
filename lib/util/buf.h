/*
 * buf.h - the one growable byte buffer, with a hard maximum size.
 *
 * Every buffer that holds data from outside the process has a limit, so that
 * no input can make a daemon grow without bound.  Appends past the limit fail
 * (return -1) and leave the buffer unchanged; the caller decides what error
 * that is.  The contents are always followed by a NUL that is not counted in
 * len, so text can be passed to C string functions, but binary data with
 * embedded NULs is kept whole.
 */
#ifndef POSTERN_BUF_H
#define POSTERN_BUF_H

#include "sys_defs.h"

struct buf {
    unsigned char *data; /* contents, NUL after the last byte */
    size_t len;          /* bytes in use */
    size_t cap;          /* bytes allocated, excluding the NUL */
    size_t max;          /* hard limit on len */
};

/* Initialize an empty buffer that may grow to max bytes. */
void buf_init(struct buf *b, size_t max);
/* Release the memory; the buffer may be initialized again. */
void buf_free(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Append len bytes; -1 if that would exceed the maximum. */
int buf_append(struct buf *b, const void *p, size_t len);
/* Append a NUL-terminated string; -1 past the maximum. */
int buf_puts(struct buf *b, const char *s);
/* Append one byte; -1 past the maximum. */
int buf_putc(struct buf *b, int c);
/* Append formatted text; -1 past the maximum (nothing is appended then). */
int buf_printf(struct buf *b, const char *fmt, ...) PRINTFLIKE(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) PRINTFLIKE(2, 0);
/* Remove the first n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Shorten to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);
/* Make room for at least n more bytes; -1 past the maximum. */
int buf_reserve(struct buf *b, size_t n) WARN_UNUSED;
/* The contents as a C string (valid until the next change). */
static inline const char *buf_str(const struct buf *b)
{
    return b->data ? (const char *)b->data : "";
}
/* Detach the contents as a malloc'ed C string; the buffer becomes empty. */
char *buf_steal(struct buf *b);
/* Zero all of the buffer's memory and empty it (after it held a password). */
void buf_wipe(struct buf *b);

#endif
