/*
 * mymalloc.h - allocation that never returns NULL.
 *
 * Running out of memory is an environment failure: the wrappers log a fatal
 * error and exit, and master restarts the daemon with back-off.  Callers
 * therefore never test the result.
 */
#ifndef POSTERN_MYMALLOC_H
#define POSTERN_MYMALLOC_H

#include "sys_defs.h"

/* Allocate len bytes (len may be 0). */
void *xmalloc(size_t len);
/* Allocate n * size zeroed bytes, checking for overflow. */
void *xcalloc(size_t n, size_t size);
/* Resize ptr (which may be NULL) to len bytes. */
void *xrealloc(void *ptr, size_t len);
/* Resize an array to n elements of size bytes, checking for overflow. */
void *xreallocarray(void *ptr, size_t n, size_t size);
/* Copy a NUL-terminated string. */
char *xstrdup(const char *s);
/* Copy len bytes and add a NUL. */
char *xstrndup(const char *s, size_t len);
/* Copy len bytes of memory. */
void *xmemdup(const void *p, size_t len);
/* Format into a fresh string. */
char *xasprintf(const char *fmt, ...) PRINTFLIKE(1, 2);

#endif
