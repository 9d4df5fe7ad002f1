/*
 * strutil.h - small string helpers that the banned libc functions would
 * otherwise tempt people into: bounded copy, list splitting, case folding,
 * and strict number parsing.
 */
#ifndef POSTERN_STRUTIL_H
#define POSTERN_STRUTIL_H

#include "sys_defs.h"

/* Copy src into dst of size bytes, always NUL-terminated; returns strlen(src). */
size_t str_copy(char *dst, const char *src, size_t size);
/* Lower-case ASCII letters in place. */
void str_lower(char *s);
/* ASCII case-insensitive equality. */
bool str_eq_nocase(const char *a, const char *b);
/* ASCII case-insensitive prefix test. */
bool str_prefix_nocase(const char *s, const char *prefix);
/* Is s non-empty printable ASCII without spaces (safe to log and to use as a key)? */
bool str_is_word(const char *s);

/*
 * Split a Postfix list ("a, b c,d") into a NULL-terminated array of
 * malloc'ed words; commas and white space separate, except inside a {...}
 * group ("inline:{a=1, b=2}" is one word).  Free with str_list_free.
 */
char **str_split_list(const char *s, size_t *n_r);
void str_list_free(char **list);

/* Parse a whole decimal integer in [min, max]; -1 if anything else. */
int str_to_ll(const char *s, long long min, long long max, long long *val_r);

/* Format a time as RFC 5322 "Sun, 22 Nov 2026 20:16:53 +0000 (UTC)". */
void str_rfc5322_date(char *out, size_t len, time_t t);

#endif
