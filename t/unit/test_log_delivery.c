/*
 * test_log_delivery.c - the per-recipient delivery log line, in Postfix's
 * form, written to a temporary maillog_file: every field in its place, and
 * the delay always a plain decimal number (log parsers such as pflogsumm
 * read it), whatever its size.
 */
#include "unit.h"
#include "log_delivery.h"

static char dir[PATH_MAX];
static char logpath[PATH_MAX + 16];

static int setup(void **state UNUSED)
{
    unit_log_to_file(dir, logpath);
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_log_to_stderr(dir);
    return 0;
}

/* Log one delivery that arrived `ago` seconds ago; return the text after "pid]: ". */
static void log_one(double ago, const char *rcpt, const char *reason, char *out, size_t len)
{
    struct timeval now;
    long long sec;
    long usec;
    unsigned char *text;
    const char *p;
    size_t n;

    gettimeofday(&now, NULL);
    sec = now.tv_sec - (long long)ago;
    usec = now.tv_usec - (long)((ago - (double)(long long)ago) * 1e6);
    if (usec < 0) {
        usec += 1000000;
        sec--;
    }
    log_delivery("ABCDEF123", rcpt, "local", sec, usec, "2.0.0", "sent", reason);
    text = unit_read_file(logpath, &n);
    assert_int_equal(truncate(logpath, 0), 0);
    p = strstr((char *)text, "]: ");
    assert_non_null(p);
    snprintf(out, len, "%s", p + 3);
    out[strcspn(out, "\n")] = 0;
    free(text);
}

static void test_line(void **state UNUSED)
{
    char line[1024];

    log_one(1.5, "bob@example.com", "delivered to maildir", line, sizeof(line));
    assert_string_equal(line, "ABCDEF123: to=<bob@example.com>, relay=local, delay=1.5, "
                              "dsn=2.0.0, status=sent (delivered to maildir)");
    /* Whatever the recipient contains, it stays on one line. */
    log_one(1.5, "evil\r\nfatal: x@example.com", "ok", line, sizeof(line));
    assert_string_equal(line, "ABCDEF123: to=<\"evil??fatal: x\"@example.com>, relay=local, "
                              "delay=1.5, dsn=2.0.0, status=sent (ok)");
    /* The address in its RFC 5321 form, quoted where it must be. */
    log_one(1.5, "john doe@example.com", "ok", line, sizeof(line));
    assert_string_equal(line, "ABCDEF123: to=<\"john doe\"@example.com>, relay=local, "
                              "delay=1.5, dsn=2.0.0, status=sent (ok)");
}

/* The delay field of a logged line, checked to be a plain decimal. */
static double delay_of(double ago, char *shown, size_t len)
{
    char line[1024], *p, *end;
    size_t n;

    log_one(ago, "r@example.com", "x", line, sizeof(line));
    p = strstr(line, "delay=");
    assert_non_null(p);
    p += 6;
    n = strcspn(p, ",");
    snprintf(shown, len, "%.*s", (int)n, p);
    if (strspn(shown, "0123456789.") != strlen(shown))
        return -1;
    return strtod(shown, &end);
}

/*
 * BUG: "%.2g" switches to exponent notation below 0.0001 s and from 99.5 s
 * to 100 s, so the log says "delay=3e-06" or "delay=1e+02".
 */
static void test_delay_format(void **state UNUSED)
{
    static const struct {
        double ago;
        double lo, hi; /* the logged value must lie in [lo, hi] */
        const char *exact;
    } cases[] = {
        {0.0123, 0.012, 0.013, "0.012"},
        {1.5, 1.5, 1.5, "1.5"},
        {57.3, 57, 57, "57"},
        {250.4, 250, 250, "250"},
        {86400 * 3 + 0.4, 259200, 259200, "259200"},
        {-30, 0, 0, "0"}, /* arrival in the future: clock skew */
        {99.7, 99, 100, NULL},
        {0, 0, 0.01, NULL},
        {0.00005, 0, 0.01, NULL},
    };
    struct unit_rows rows = {.len = 0};
    char shown[64];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        double d = delay_of(cases[i].ago, shown, sizeof(shown));

        if (d < cases[i].lo || d > cases[i].hi)
            unit_row_fail(&rows, "%.5f s ago: delay=%s", cases[i].ago, shown);
        else if (cases[i].exact && strcmp(shown, cases[i].exact) != 0)
            unit_row_fail(&rows, "%.5f s ago: delay=%s, want %s", cases[i].ago, shown,
                          cases[i].exact);
    }
    unit_rows_check(&rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line),
        cmocka_unit_test(test_delay_format),
    };

    unit_init("test_log_delivery");
    return cmocka_run_group_tests(tests, setup, teardown);
}
