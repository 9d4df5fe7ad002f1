/*
 * strutil.c - string helpers (see strutil.h).
 */
#include "sys_defs.h"
#include "strutil.h"
#include "mymalloc.h"

size_t str_copy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);

    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;

        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

void str_lower(char *s)
{
    for (; *s; s++)
        *s = (char)ASCII_TOLOWER(*s);
}

bool str_eq_nocase(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ASCII_TOLOWER(*a) != ASCII_TOLOWER(*b))
            return false;
    return *a == *b;
}

bool str_prefix_nocase(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (*s == 0 || ASCII_TOLOWER(*s) != ASCII_TOLOWER(*prefix))
            return false;
    return true;
}

/*
 * The length of the word at s: up to a separator, but a {...} group (braces
 * may nest) is part of the word whatever it holds, as in Postfix 3.0's lists,
 * so that "inline:{a=1, b=2}" or "static:{two words}" stays one element.
 */
static size_t str_token_len(const char *s, const char *sep)
{
    size_t i = 0;
    int level = 0;

    for (; s[i]; i++) {
        if (s[i] == '{')
            level++;
        else if (s[i] == '}' && level > 0)
            level--;
        else if (level == 0 && strchr(sep, s[i]) != NULL)
            break;
    }
    return i;
}

char **str_split_list(const char *s, size_t *n_r)
{
    static const char sep[] = ", \t\r\n";
    char **list = NULL;
    size_t n = 0, cap = 0;

    for (;;) {
        size_t len;

        s += strspn(s, sep);
        if (*s == 0)
            break;
        len = str_token_len(s, sep);
        if (n + 1 >= cap) {
            cap = cap ? cap * 2 : 8;
            list = xreallocarray(list, cap, sizeof(*list));
        }
        list[n++] = xstrndup(s, len);
        s += len;
    }
    if (list == NULL)
        list = xcalloc(1, sizeof(*list));
    list[n] = NULL;
    if (n_r)
        *n_r = n;
    return list;
}

void str_list_free(char **list)
{
    char **p;

    if (list == NULL)
        return;
    for (p = list; *p; p++)
        free(*p);
    free(list);
}

int str_to_ll(const char *s, long long min, long long max, long long *val_r)
{
    char *end;
    long long v;

    if (!isdigit((unsigned char)*s) && !(*s == '-' && isdigit((unsigned char)s[1])))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != 0 || v < min || v > max)
        return -1;
    *val_r = v;
    return 0;
}

void str_rfc5322_date(char *out, size_t len, time_t t)
{
    static const char days[][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    long off;
    char zone[16];

    (void)localtime_r(&t, &tm);
    off = tm.tm_gmtoff / 60;
    (void)strftime(zone, sizeof(zone), "%Z", &tm);
    snprintf(out, len, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld (%s)", days[tm.tm_wday % 7],
             tm.tm_mday, months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec, off < 0 ? '-' : '+', labs(off) / 60, labs(off) % 60, zone);
}

bool str_is_word(const char *s)
{
    if (*s == 0)
        return false;
    for (; *s; s++)
        if (*s <= ' ' || *s >= 0x7f)
            return false;
    return true;
}
