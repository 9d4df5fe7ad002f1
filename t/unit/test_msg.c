/*
 * test_msg.c - logging: one line per call in a log file and on stderr,
 * level prefixes, control characters from the network replaced so a client
 * cannot forge log lines, over-long text truncated rather than split, and
 * msg_fatal()/msg_panic() exiting and aborting as documented.
 */
#include "unit.h"

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

/* The log file's lines so far, as one string; the file is emptied. */
static char *take_log(void)
{
    size_t len;
    unsigned char *text = unit_read_file(logpath, &len);

    assert_int_equal(truncate(logpath, 0), 0);
    return (char *)text;
}

/* The text after "ident[pid]: " on each line, joined with '|'. */
static void log_texts(const char *log, char *out, size_t len)
{
    char want[64];
    const char *p = log;
    size_t o = 0;

    snprintf(want, sizeof(want), "test_msg[%ld]: ", (long)getpid());
    out[0] = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        const char *t = strstr(p, want);

        assert_non_null(nl);
        assert_non_null(t);
        assert_true(t < nl);
        t += strlen(want);
        o += (size_t)snprintf(out + o, len - o, "%.*s|", (int)(nl - t), t);
        p = nl + 1;
    }
}

static void test_levels(void **state UNUSED)
{
    char texts[512];
    char *log;

    msg_verbose = 0;
    msg_info("info %d", 1);
    msg_warn("careful");
    msg_error("broken");
    msg_debug("hidden");
    msg_verbose = 1;
    msg_debug("shown");
    msg_verbose = 0;
    log = take_log();
    log_texts(log, texts, sizeof(texts));
    assert_string_equal(texts, "info 1|warning: careful|error: broken|debug: shown|");
    free(log);
}

static void test_sanitize(void **state UNUSED)
{
    char texts[512];
    char *log;
    int saved;

    /* A CR LF from a client must not start a second log line. */
    msg_info("client said: %s", "HELO x\r\nfatal: forged\tline\x7f\x01");
    msg_info("utf-8 kept: %s", "\xC3\xA9t\xC3\xA9");
    errno = ENOENT;
    msg_warn("open x: %m");
    saved = errno;
    assert_int_equal(saved, ENOENT); /* logging keeps errno */
    log = take_log();
    log_texts(log, texts, sizeof(texts));
    assert_string_equal(texts, "client said: HELO x??fatal: forged?line??|"
                               "utf-8 kept: \xC3\xA9t\xC3\xA9|"
                               "warning: open x: No such file or directory|");
    free(log);
}

static void test_long_line_truncated(void **state UNUSED)
{
    size_t n = 10000;
    char *big = malloc(n + 1), *log, *nl;

    assert_non_null(big);
    memset(big, 'L', n);
    big[n] = 0;
    msg_info("%s", big);
    msg_info("after");
    log = take_log();
    nl = strchr(log, '\n');
    assert_non_null(nl);
    assert_true((size_t)(nl - log) < 4096 + 256);
    assert_non_null(strstr(nl + 1, "after\n")); /* the next line starts cleanly */
    assert_null(strchr(strstr(nl + 1, "after\n") + 6, '\n'));
    free(log);
    free(big);
}

static void test_stderr_copy(void **state UNUSED)
{
    char got[256], want[256];
    int fds[2], saved;
    ssize_t n;

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    msg_stderr(true, false);
    msg_info("plain");
    msg_stderr(true, true);
    msg_warn("with pid");
    msg_stderr(false, false);
    msg_info("not on stderr");
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    (void)close(saved);
    (void)close(fds[1]);
    n = read(fds[0], got, sizeof(got) - 1);
    (void)close(fds[0]);
    assert_true(n > 0);
    got[n] = 0;
    snprintf(want, sizeof(want), "test_msg: plain\ntest_msg[%ld]: warning: with pid\n",
             (long)getpid());
    assert_string_equal(got, want);
    free(take_log());
}

static void test_logfile_error(void **state UNUSED)
{
    const char *why = NULL;

    /* A directory cannot be a log file; the old file stays in use. */
    assert_int_equal(msg_logfile(dir, &why), -1);
    assert_non_null(why);
    msg_info("still here");
    {
        char *log = take_log();

        assert_non_null(strstr(log, "still here"));
        free(log);
    }
}

static bool hook_ran;

static void fatal_hook(void)
{
    hook_ran = true;
    /* A hook that fails fatally itself must not recurse. */
    msg_fatal("inside the hook");
}

static void die_fatal(void *ctx)
{
    int status = *(int *)ctx;

    if (status)
        msg_fatal_status(status);
    msg_fatal_hook(fatal_hook);
    msg_fatal("the environment is wrong");
}

static void die_panic(void *ctx UNUSED)
{
    msg_panic("invariant broken");
}

static void test_fatal_and_panic(void **state UNUSED)
{
    int status = 0, st;
    char *log;

    st = unit_run_child(die_fatal, &status);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    status = 75;
    st = unit_run_child(die_fatal, &status);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 75);
    assert_aborts(die_panic, NULL);

    log = take_log();
    assert_non_null(strstr(log, "fatal: the environment is wrong\n"));
    assert_non_null(strstr(log, "fatal: inside the hook\n"));
    assert_non_null(strstr(log, "panic: invariant broken\n"));
    free(log);
    assert_false(hook_ran); /* it ran in the children only */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_sanitize),
        cmocka_unit_test(test_long_line_truncated),
        cmocka_unit_test(test_stderr_copy),
        cmocka_unit_test(test_logfile_error),
        cmocka_unit_test(test_fatal_and_panic),
    };

    unit_init("test_msg");
    return cmocka_run_group_tests(tests, setup, teardown);
}
