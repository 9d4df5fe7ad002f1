/*
 * test_pipe_cmd.c - delivery to a command, run for real as the test account
 * ptest1 (so as root, which make check is): the message reaches stdin
 * intact, small and far larger than a pipe buffer; the environment is
 * exactly the listed variables; the child has ptest1's IDs, one group, no
 * capabilities, no descriptor of ours, default signal handling, and the
 * home directory (or "/") as its working directory; exit codes, signals
 * and output give local(8)'s outcomes; only the first 1 KiB of output is
 * kept and a flood of it does not hang; the time limit kills the whole
 * process group; a command that reads nothing, or leaves a background
 * child holding its pipes, does not hang us; exec failures defer; uid 0 is
 * refused; shell metacharacters and newlines in envelope values are never
 * interpreted.  The outcome table itself is tested without processes.
 *
 * Commands write their files into a private directory owned by ptest1,
 * never into the account's real home, which other tests deliver to.
 */
#include "unit.h"
#include <sys/prctl.h>
#include "pipe_cmd.h"
#include "iostuff.h"
#include "mail_params.h"
#include "strutil.h"

#define TEST_USER "ptest1"
#define POSTFIX_FILTER "1234567890!@%-_=+:,./abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

static char dir[PATH_MAX];  /* ours (root); holds main.cf */
static char work[PATH_MAX]; /* the user's; the commands' home and cwd */
static uid_t test_uid;
static gid_t test_gid;
static char test_shell[PATH_MAX];
static char *loaded_filter; /* mail_conf_load()'s: a test may point the variable elsewhere */

struct source {
    const unsigned char *p;
    size_t len;
    size_t fail_at; /* with fail_errno: write this much, then fail */
    int fail_errno;
};

static long long write_source(int fd, void *ctx)
{
    struct source *s = ctx;
    size_t len = s->fail_errno ? s->fail_at : s->len;

    if (write_full(fd, s->p, len) < 0)
        return -1;
    if (s->fail_errno) {
        errno = s->fail_errno;
        return -1;
    }
    return (long long)len;
}

static void need_root(void)
{
    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
}

static int setup(void **state UNUSED)
{
    char cf[PATH_MAX + 16];
    char *err = NULL;
    struct passwd *pw;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(cf, sizeof(cf), "%s/main.cf", dir);
    unit_write_text(cf, "myhostname = mail.example.com\n");
    if (mail_conf_load(dir, NULL, &err) != 0)
        fail_msg("mail_conf_load: %s", err);
    loaded_filter = var_command_expansion_filter;
    snprintf(work, sizeof(work), "%s/home", dir);
    if ((pw = getpwnam(TEST_USER)) == NULL)
        fail_msg("no account %s: run scripts/test-setup (make check does)", TEST_USER);
    test_uid = pw->pw_uid;
    test_gid = pw->pw_gid;
    str_copy(test_shell, pw->pw_shell, sizeof(test_shell));
    if (geteuid() == 0) {
        /* The user must be able to reach its directory through ours. */
        assert_int_equal(chmod(dir, 0711), 0);
        assert_int_equal(mkdir(work, 0700), 0);
        assert_int_equal(chown(work, test_uid, test_gid), 0);
    }
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

/* Each test starts from the loaded configuration. */
static int reset(void **state UNUSED)
{
    var_command_time_limit = 1000;
    var_command_expansion_filter = loaded_filter;
    return 0;
}

static void request(struct pipe_cmd_request *req, const char *command, struct source *src)
{
    memset(req, 0, sizeof(*req));
    req->command = command;
    req->uid = test_uid;
    req->gid = test_gid;
    req->env.sender = "alice@example.com";
    req->env.recipient = "ptest1+box@example.org";
    req->env.user = TEST_USER;
    req->env.local = "ptest1+box";
    req->env.extension = "box";
    req->env.domain = "example.org";
    req->env.home = work;
    req->env.shell = test_shell;
    req->write_fn = write_source;
    req->write_ctx = src;
}

/* The captured output as a C string (it may hold NULs: compare with output_len then). */
static const char *output(const struct pipe_cmd_result *res)
{
    static char text[PIPE_CMD_OUTPUT_MAX + 1];

    memcpy(text, res->output, res->output_len);
    text[res->output_len] = 0;
    return text;
}

static void run(const char *command, const char *message, struct pipe_cmd_result *res)
{
    struct source src = {(const unsigned char *)message, strlen(message), 0, 0};
    struct pipe_cmd_request req;

    request(&req, command, &src);
    pipe_cmd_run(&req, res);
}

/* No child of ours is left, running or as a zombie. */
static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static long long now_ms(void)
{
    struct timespec ts;

    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned char *pattern(size_t len)
{
    unsigned char *p = malloc(len);
    size_t i;

    assert_non_null(p);
    for (i = 0; i < len; i++)
        p[i] = i % 79 == 78 ? '\n' : (unsigned char)(' ' + (i * 7 + i / 4096) % 95);
    return p;
}

static void assert_status(const struct pipe_cmd_result *res, enum deliver_status status,
                          const char *dsn, const char *reason)
{
    if (res->status != status || strcmp(res->dsn, dsn) != 0 || strcmp(res->reason, reason) != 0)
        fail_msg("got %s %s \"%s\", want %s %s \"%s\"", deliver_status_name(res->status), res->dsn,
                 res->reason, deliver_status_name(status), dsn, reason);
}

/* The censoring Postfix applies to exported values, written out again for the test. */
static void censor(char *s, const char *allowed)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f || strchr(allowed, *s) == NULL)
            *s = '_';
}

/* ------------------------------------------------------- the outcome table */

static void test_defaults(void **state UNUSED)
{
    assert_string_equal(mail_param_default("command_time_limit"), "1000s");
    assert_string_equal(mail_param_value("command_time_limit"), "1000s");
    assert_string_equal(mail_param_default("command_expansion_filter"), POSTFIX_FILTER);
    assert_int_equal(var_command_time_limit, 1000);
    assert_string_equal(var_command_expansion_filter, POSTFIX_FILTER);
}

/* Wait statuses as the kernel makes them. */
#define EXITED(code) (((code)&0xff) << 8)
#define SIGNALLED(sig) ((sig)&0x7f)

static void test_classify_table(void **state UNUSED)
{
    static const struct {
        int ws;
        const char *out;
        enum deliver_status status;
        const char *dsn, *reason;
    } rows[] = {
        {EXITED(0), "", DELIVER_SENT, "2.0.0", "delivered to command: procmail"},
        {EXITED(0), "5.1.1 ignored on success\n", DELIVER_SENT, "2.0.0",
         "delivered to command: procmail"},
        {EXITED(1), "", DELIVER_BOUNCED, "5.3.0", "Command died with status 1: \"procmail\""},
        {EXITED(1), "cannot open mailbox\nsecond line\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: cannot open mailbox"},
        {EXITED(127), "sh: 1: procmail: not found\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 127: \"procmail\". Command output: sh: 1: procmail: not "
         "found"},
        {EXITED(255), "\n\n  \tlate\tline  \r\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 255: \"procmail\". Command output: late line"},
        {EXITED(2), "bell\a esc\x1b[1m nul\x7f hi\xc3\xa9\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 2: \"procmail\". Command output: bell_ esc_[1m nul_ hi__"},
        {EXITED(75), "", DELIVER_DEFERRED, "4.3.0", "temporary failure"},
        {EXITED(75), "quota busy\n", DELIVER_DEFERRED, "4.3.0",
         "temporary failure. Command output: quota busy"},
        {SIGNALLED(SIGKILL), "", DELIVER_DEFERRED, "4.3.0",
         "Command died with signal 9: \"procmail\""},
        {SIGNALLED(SIGSEGV) | 0x80, "oops\n", DELIVER_DEFERRED, "4.3.0",
         "Command died with signal 11: \"procmail\". Command output: oops"},
        /* "D.S.N text" output decides when the exit status is not 0 */
        {EXITED(1), "5.1.1 no such user here\n", DELIVER_BOUNCED, "5.1.1", "no such user here"},
        {EXITED(75), "  5.2.2 mailbox full\n", DELIVER_BOUNCED, "5.2.2", "mailbox full"},
        {EXITED(1), "4.2.2 over quota, try later", DELIVER_DEFERRED, "4.2.2",
         "over quota, try later"},
        {EXITED(67), "4.7.1\n", DELIVER_DEFERRED, "4.7.1",
         "Command died with status 67: \"procmail\""},
        {EXITED(1), "2.0.0 looks fine\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: 2.0.0 looks fine"},
        {EXITED(1), "5.1.1x\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: 5.1.1x"},
        {EXITED(1), "5.1234.1 x\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: 5.1234.1 x"},
        {EXITED(1), "5..1 x\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: 5..1 x"},
        {EXITED(1), "5.12.123 too long for dsn[]\n", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 1: \"procmail\". Command output: 5.12.123 too long for dsn[]"},
        {EXITED(1), "5.1.100 fits\n", DELIVER_BOUNCED, "5.1.100", "fits"},
        {-1, "", DELIVER_DEFERRED, "4.3.0", "lost the exit status of command \"procmail\""},
    };
    struct unit_rows r = {0};
    struct pipe_cmd_result res;
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        memset(&res, 0, sizeof(res));
        pipe_cmd_classify(rows[i].ws, (const unsigned char *)rows[i].out, strlen(rows[i].out),
                          "procmail", &res);
        if (res.status != rows[i].status || strcmp(res.dsn, rows[i].dsn) != 0 ||
            strcmp(res.reason, rows[i].reason) != 0)
            unit_row_fail(&r, "row %zu: got %s %s \"%s\"", i, deliver_status_name(res.status),
                          res.dsn, res.reason);
    }
    unit_rows_check(&r);
}

/* Postfix's sys_exits.c table, written out again here: the code must agree with it. */
static void test_classify_sysexits(void **state UNUSED)
{
    static const struct {
        int code;
        enum deliver_status status;
        const char *dsn, *text;
    } rows[] = {
        {64, DELIVER_BOUNCED, "5.3.0", "command line usage error"},
        {65, DELIVER_BOUNCED, "5.6.0", "data format error"},
        {66, DELIVER_BOUNCED, "5.3.0", "cannot open input"},
        {67, DELIVER_BOUNCED, "5.1.1", "user unknown"},
        {68, DELIVER_BOUNCED, "5.1.2", "host name unknown"},
        {69, DELIVER_BOUNCED, "5.3.0", "service unavailable"},
        {70, DELIVER_BOUNCED, "5.3.0", "internal software error"},
        {71, DELIVER_DEFERRED, "4.3.0", "system resource problem"},
        {72, DELIVER_BOUNCED, "5.3.0", "critical OS file missing"},
        {73, DELIVER_BOUNCED, "5.2.0", "can't create user output file"},
        {74, DELIVER_BOUNCED, "5.3.0", "input/output error"},
        {75, DELIVER_DEFERRED, "4.3.0", "temporary failure"},
        {76, DELIVER_BOUNCED, "5.5.0", "remote error in protocol"},
        {77, DELIVER_BOUNCED, "5.7.0", "permission denied"},
        {78, DELIVER_BOUNCED, "5.3.5", "local configuration error"},
    };
    struct unit_rows r = {0};
    struct pipe_cmd_result res;
    char want[256];
    size_t i;

    for (i = 0; i < COUNTOF(rows); i++) {
        pipe_cmd_classify(EXITED(rows[i].code), (const unsigned char *)"why\n", 4, "cmd", &res);
        snprintf(want, sizeof(want), "%s. Command output: why", rows[i].text);
        if (res.status != rows[i].status || strcmp(res.dsn, rows[i].dsn) != 0 ||
            strcmp(res.reason, want) != 0)
            unit_row_fail(&r, "exit %d: got %s %s \"%s\"", rows[i].code,
                          deliver_status_name(res.status), res.dsn, res.reason);
    }
    /* Just outside the table: no sysexits code. */
    pipe_cmd_classify(EXITED(63), NULL, 0, "cmd", &res);
    assert_status(&res, DELIVER_BOUNCED, "5.3.0", "Command died with status 63: \"cmd\"");
    pipe_cmd_classify(EXITED(79), NULL, 0, "cmd", &res);
    assert_status(&res, DELIVER_BOUNCED, "5.3.0", "Command died with status 79: \"cmd\"");
    unit_rows_check(&r);
}

/* Reasons stay bounded and printable whatever the command text and output hold. */
static void test_classify_bounded(void **state UNUSED)
{
    char command[4096], out[3000];
    struct pipe_cmd_result res;
    size_t i;

    memset(command, 'c', sizeof(command) - 1);
    command[sizeof(command) - 1] = 0;
    command[5] = '\n';
    memset(out, 'o', sizeof(out));
    pipe_cmd_classify(EXITED(1), (const unsigned char *)out, sizeof(out), command, &res);
    assert_int_equal(res.status, DELIVER_BOUNCED);
    assert_int_equal(strlen(res.reason), sizeof(res.reason) - 1);
    for (i = 0; res.reason[i]; i++)
        assert_true(res.reason[i] >= 0x20 && res.reason[i] < 0x7f);
    assert_non_null(strstr(res.reason, "\"ccccc_ccc"));
}

/* ------------------------------------------------------------ real commands */

static void test_message_intact(void **state UNUSED)
{
    const char *msg = "Return-Path: <alice@example.com>\nDelivered-To: ptest1+box@example.org\n"
                      "Subject: hi\n\nbody line\n.\n..dots stay\n\nno newline at the end";
    char path[PATH_MAX + 16];
    struct pipe_cmd_result res;
    unsigned char *got;
    size_t len;

    need_root();
    run("cat > got", msg, &res);
    assert_status(&res, DELIVER_SENT, "2.0.0", "delivered to command: cat > got");
    assert_int_equal(res.output_len, 0);
    assert_true(WIFEXITED(res.wait_status) && WEXITSTATUS(res.wait_status) == 0);
    snprintf(path, sizeof(path), "%s/got", work);
    got = unit_read_file(path, &len);
    assert_int_equal(len, strlen(msg));
    assert_memory_equal(got, msg, len);
    free(got);
    assert_no_children();
}

static void test_large_message(void **state UNUSED)
{
    size_t size = 4 << 20; /* far more than a pipe holds */
    unsigned char *msg = pattern(size), *got;
    struct source src = {msg, size, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    char path[PATH_MAX + 16];
    size_t len;

    need_root();
    /* It also writes output before reading: a writer in our process would deadlock. */
    request(&req, "head -c 300000 /dev/zero; cat > big; echo done >&2; exit 1", &src);
    pipe_cmd_run(&req, &res);
    assert_int_equal(res.status, DELIVER_BOUNCED);
    assert_int_equal(res.output_total, 300000 + 5);
    snprintf(path, sizeof(path), "%s/big", work);
    got = unit_read_file(path, &len);
    assert_int_equal(len, size);
    assert_memory_equal(got, msg, size);
    free(got);
    free(msg);
    assert_no_children();
}

/* The exact environment execve() got: /proc/PID/environ of the shell. */
static void test_environment(void **state UNUSED)
{
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    struct source src = {(const unsigned char *)"x\n", 2, 0, 0};
    char want[2048], home[PATH_MAX];
    int n;

    need_root();
    str_copy(home, work, sizeof(home));
    censor(home, loaded_filter); /* in case $TMPDIR has odd characters */
    setenv("POSTERN_LEAK_TEST", "must not pass", 1);
    request(&req, "cat /proc/$$/environ", &src);
    pipe_cmd_run(&req, &res);
    assert_int_equal(res.status, DELIVER_SENT);
    n = snprintf(want, sizeof(want),
                 "PATH=/usr/bin:/bin%cHOME=%s%cLOGNAME=ptest1%cUSER=ptest1%c"
                 "SENDER=alice@example.com%cRECIPIENT=ptest1+box@example.org%c"
                 "LOCAL=ptest1+box%cSHELL=%s%cDOMAIN=example.org%cEXTENSION=box%c",
                 0, home, 0, 0, 0, 0, 0, 0, test_shell, 0, 0, 0);
    assert_int_equal(res.output_len, n);
    assert_memory_equal(res.output, want, n);

    /* No extension, domain, home or shell: those are not set at all, and cwd is "/". */
    req.env.extension = req.env.domain = req.env.home = req.env.shell = NULL;
    req.env.sender = "";
    req.command = "cat /proc/$$/environ; pwd";
    pipe_cmd_run(&req, &res);
    n = snprintf(want, sizeof(want),
                 "PATH=/usr/bin:/bin%cLOGNAME=ptest1%cUSER=ptest1%cSENDER=%c"
                 "RECIPIENT=ptest1+box@example.org%cLOCAL=ptest1+box%c/\n",
                 0, 0, 0, 0, 0, 0);
    assert_int_equal(res.output_len, n);
    assert_memory_equal(res.output, want, n);
    unsetenv("POSTERN_LEAK_TEST");
}

static void test_ids(void **state UNUSED)
{
    gid_t ours[] = {0, 4, 27}, saved[64];
    struct pipe_cmd_result res;
    char want[512];
    int nsaved;

    need_root();
    /* Supplementary groups of the caller must not pass either. */
    assert_true((nsaved = getgroups(COUNTOF(saved), saved)) >= 0);
    assert_int_equal(setgroups(COUNTOF(ours), ours), 0);
    run("grep -E '^(Uid|Gid|Groups|CapPrm|CapEff|CapAmb):' /proc/self/status; id", "", &res);
    assert_int_equal(setgroups((size_t)nsaved, saved), 0);
    snprintf(want, sizeof(want),
             "Uid:\t%ld\t%ld\t%ld\t%ld\nGid:\t%ld\t%ld\t%ld\t%ld\nGroups:\t%ld \n"
             "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
             "CapAmb:\t0000000000000000\nuid=%ld(ptest1) gid=%ld(%s) groups=%ld(%s)\n",
             (long)test_uid, (long)test_uid, (long)test_uid, (long)test_uid, (long)test_gid,
             (long)test_gid, (long)test_gid, (long)test_gid, (long)test_gid, (long)test_uid,
             (long)test_gid, getgrgid(test_gid)->gr_name, (long)test_gid,
             getgrgid(test_gid)->gr_name);
    assert_string_equal(output(&res), want);
    assert_int_equal(res.status, DELIVER_SENT);
}

static void test_exit_codes(void **state UNUSED)
{
    static const struct {
        const char *command;
        enum deliver_status status;
        const char *dsn, *reason;
    } rows[] = {
        {"exit 0", DELIVER_SENT, "2.0.0", "delivered to command: exit 0"},
        {"exit 75", DELIVER_DEFERRED, "4.3.0", "temporary failure"},
        {"exit 71", DELIVER_DEFERRED, "4.3.0", "system resource problem"},
        {"exit 67", DELIVER_BOUNCED, "5.1.1", "user unknown"},
        {"exit 77", DELIVER_BOUNCED, "5.7.0", "permission denied"},
        {"exit 1", DELIVER_BOUNCED, "5.3.0", "Command died with status 1: \"exit 1\""},
        {"exit 200", DELIVER_BOUNCED, "5.3.0", "Command died with status 200: \"exit 200\""},
        {"kill -9 $$", DELIVER_DEFERRED, "4.3.0", "Command died with signal 9: \"kill -9 $$\""},
        {"kill -SEGV $$", DELIVER_DEFERRED, "4.3.0",
         "Command died with signal 11: \"kill -SEGV $$\""},
        {"/nonexistent/procmail", DELIVER_BOUNCED, "5.3.0",
         "Command died with status 127: \"/nonexistent/procmail\". Command output: "
         "sh: 1: /nonexistent/procmail: not found"},
        {"echo '4.2.2 mailbox full'; exit 1", DELIVER_DEFERRED, "4.2.2", "mailbox full"},
    };
    struct unit_rows r = {0};
    struct pipe_cmd_result res;
    size_t i;

    need_root();
    for (i = 0; i < COUNTOF(rows); i++) {
        run(rows[i].command, "Subject: x\n\nbody\n", &res);
        if (res.status != rows[i].status || strcmp(res.dsn, rows[i].dsn) != 0 ||
            strcmp(res.reason, rows[i].reason) != 0)
            unit_row_fail(&r, "%s: got %s %s \"%s\"", rows[i].command,
                          deliver_status_name(res.status), res.dsn, res.reason);
    }
    unit_rows_check(&r);
    assert_no_children();
}

static void test_output_reason(void **state UNUSED)
{
    struct pipe_cmd_result res;

    need_root();
    run("echo 'mailbox is locked' >&2; echo more; exit 1", "", &res);
    assert_status(&res, DELIVER_BOUNCED, "5.3.0",
                  "Command died with status 1: \"echo 'mailbox is locked' >&2; echo more; exit "
                  "1\". Command output: mailbox is locked");
    assert_string_equal(output(&res), "mailbox is locked\nmore\n");
}

static void test_huge_output(void **state UNUSED)
{
    struct pipe_cmd_result res;
    long long start = now_ms();
    size_t i;

    need_root();
    run("head -c 20000000 /dev/zero | tr '\\0' x; exit 1", "", &res);
    assert_true(now_ms() - start < 30000);
    assert_int_equal(res.status, DELIVER_BOUNCED);
    assert_int_equal(res.output_len, PIPE_CMD_OUTPUT_MAX);
    assert_int_equal(res.output_total, 20000000);
    for (i = 0; i < res.output_len; i++)
        assert_int_equal(res.output[i], 'x');
    assert_int_equal(strlen(res.reason), PIPE_CMD_REASON_MAX - 1);
    assert_no_children();
}

/*
 * Reap the orphans that came to us as subreaper, until none is left (or
 * wait_ms passed); how many, with the wait status of each in status[].
 */
static int reap_orphans(int *status, int n, long long wait_ms)
{
    long long end = now_ms() + wait_ms;
    int got = 0, st;

    while (now_ms() < end) {
        pid_t p = waitpid(-1, &st, WNOHANG);

        if (p < 0 && errno == ECHILD)
            break;
        if (p > 0 && got < n)
            status[got++] = st;
        if (p <= 0)
            usleep(10000);
    }
    return got;
}

static void test_time_limit(void **state UNUSED)
{
    struct pipe_cmd_result res;
    long long start, took;
    int status[4], n, i;

    need_root();
    var_command_time_limit = 1;
    /* Orphans come to us, so we can see how the background sleep ended. */
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    start = now_ms();
    run("sleep 60 & echo started; sleep 60", "", &res);
    took = now_ms() - start;
    assert_status(&res, DELIVER_DEFERRED, "4.3.0",
                  "command time limit exceeded: \"sleep 60 & echo started; sleep 60\". Command "
                  "output: started");
    assert_true(took >= 1000 && took < 5000);
    assert_true(WIFSIGNALED(res.wait_status) && WTERMSIG(res.wait_status) == SIGKILL);
    /* The background child (and the foreground sleep) died with it, by SIGKILL. */
    n = reap_orphans(status, COUNTOF(status), 5000);
    assert_true(n >= 1);
    for (i = 0; i < n; i++)
        assert_true(WIFSIGNALED(status[i]) && WTERMSIG(status[i]) == SIGKILL);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    /* A flood of output until the end does not keep us from the clock. */
    start = now_ms();
    run("yes", "", &res);
    took = now_ms() - start;
    assert_int_equal(res.status, DELIVER_DEFERRED);
    assert_true(took >= 1000 && took < 5000);
    assert_true(res.output_total > PIPE_CMD_OUTPUT_MAX);
    assert_no_children();
}

static void test_never_reads(void **state UNUSED)
{
    size_t size = 8 << 20;
    unsigned char *msg = pattern(size);
    struct source src = {msg, size, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;

    need_root();
    request(&req, "exit 0", &src);
    pipe_cmd_run(&req, &res);
    assert_status(&res, DELIVER_SENT, "2.0.0", "delivered to command: exit 0");
    /* Reads a little, then fails: the exit status counts, not our EPIPE. */
    request(&req, "head -c 10 >/dev/null; exit 3", &src);
    pipe_cmd_run(&req, &res);
    assert_status(&res, DELIVER_BOUNCED, "5.3.0",
                  "Command died with status 3: \"head -c 10 >/dev/null; exit 3\"");
    free(msg);
    assert_no_children();
}

/* A background child keeps stdin (unread) and stdout open after the command exits. */
static void test_background_child(void **state UNUSED)
{
    size_t size = 4 << 20;
    unsigned char *msg = pattern(size);
    struct source src = {msg, size, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    long long start, took;
    int status[1];
    long bg;

    need_root();
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    request(&req, "exec 3<&0; sleep 30 <&3 & echo $!; exit 0", &src);
    start = now_ms();
    pipe_cmd_run(&req, &res);
    took = now_ms() - start;
    assert_status(&res, DELIVER_SENT, "2.0.0",
                  "delivered to command: exec 3<&0; sleep 30 <&3 & echo $!; exit 0");
    assert_true(took < 3000);
    bg = strtol(output(&res), NULL, 10);
    assert_true(bg > 1);
    /* Left alone, as Postfix does; the test cleans up. */
    assert_int_equal(kill((pid_t)bg, SIGKILL), 0);
    assert_int_equal(reap_orphans(status, 1, 5000), 1);
    assert_true(WIFSIGNALED(status[0]) && WTERMSIG(status[0]) == SIGKILL);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
    free(msg);
    assert_no_children();
}

static void test_exec_failure(void **state UNUSED)
{
    size_t len = 200000; /* one argument longer than execve() takes */
    char *command = malloc(len + 1);
    struct pipe_cmd_result res;

    need_root();
    assert_non_null(command);
    memset(command, ' ', len);
    command[0] = ':';
    command[len] = 0;
    run(command, "x\n", &res);
    assert_int_equal(res.status, DELIVER_DEFERRED);
    assert_string_equal(res.dsn, "4.3.0");
    assert_non_null(strstr(res.reason, "cannot run command \":"));
    assert_non_null(strstr(res.reason, ": execve /bin/sh: Argument list too long"));
    free(command);
    assert_no_children();
}

static void test_refuse_root(void **state UNUSED)
{
    static const struct {
        uid_t uid;
        gid_t gid;
    } ids[] = {{0, 0}, {0, 1}, {1, 0}, {(uid_t)-1, 1}, {1, (gid_t)-1}};
    struct source src = {(const unsigned char *)"x\n", 2, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    char flag[PATH_MAX + 16];
    size_t i;

    need_root();
    snprintf(flag, sizeof(flag), "%s/ran", work);
    for (i = 0; i < COUNTOF(ids); i++) {
        request(&req, "touch ran", &src);
        req.uid = ids[i].uid;
        req.gid = ids[i].gid;
        pipe_cmd_run(&req, &res);
        assert_int_equal(res.status, DELIVER_DEFERRED);
        assert_string_equal(res.dsn, "4.3.5");
        assert_non_null(strstr(res.reason, "refusing to run command \"touch ran\""));
        assert_int_equal(res.wait_status, -1);
        assert_false(unit_exists(flag));
    }
    request(&req, " \t\n", &src);
    pipe_cmd_run(&req, &res);
    assert_status(&res, DELIVER_DEFERRED, "4.3.5",
                  "mail system configuration error: empty command");
    assert_no_children();
}

static void test_no_inherited_fds(void **state UNUSED)
{
    struct pipe_cmd_result res;
    int fd = open("/dev/null", O_RDONLY); /* no O_CLOEXEC, on purpose */

    need_root();
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 50), 50);
    assert_int_equal(dup2(fd, 1000), 1000);
    run("ls /proc/$$/fd", "", &res);
    close(fd);
    close(50);
    close(1000);
    assert_string_equal(output(&res), "0\n1\n2\n");
}

/*
 * One signal-set field of /proc/self/status, without the signals the C
 * library keeps for itself (32 up to SIGRTMIN): sigaction() refuses them,
 * so a child inherits whatever the test runner gave them.
 */
static unsigned long long sigmask_field(const char *status, const char *name)
{
    const char *p = strstr(status, name);
    unsigned long long set;
    int sig;

    assert_non_null(p);
    set = strtoull(p + strlen(name), NULL, 16);
    for (sig = 32; sig < SIGRTMIN; sig++)
        set &= ~(1ULL << (sig - 1));
    return set;
}

static void test_signals_default(void **state UNUSED)
{
    struct pipe_cmd_result res;
    struct sigaction sa, old_int;
    sigset_t block, old_mask;

    need_root();
    /* As a daemon might have it: signals blocked for signalfd, some ignored. */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    assert_int_equal(sigprocmask(SIG_BLOCK, &block, &old_mask), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGINT, &sa, &old_int), 0);
    run("grep -E '^Sig(Blk|Ign):' /proc/self/status", "", &res);
    assert_int_equal(sigaction(SIGINT, &old_int, NULL), 0);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old_mask, NULL), 0);
    assert_int_equal(sigmask_field(output(&res), "SigBlk:"), 0);
    assert_int_equal(sigmask_field(output(&res), "SigIgn:"), 0);
}

/* With SIGCHLD ignored the kernel would reap for us: the status must not be lost. */
static void test_sigchld_ignored(void **state UNUSED)
{
    struct pipe_cmd_result res;
    struct sigaction sa, old;

    need_root();
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    assert_int_equal(sigaction(SIGCHLD, &sa, &old), 0);
    run("exit 75", "", &res);
    assert_status(&res, DELIVER_DEFERRED, "4.3.0", "temporary failure");
    assert_int_equal(sigaction(SIGCHLD, &old, &sa), 0);
    assert_true(sa.sa_handler == SIG_IGN);
}

static void test_working_directory(void **state UNUSED)
{
    struct source src = {(const unsigned char *)"", 0, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    char closed[PATH_MAX + 16], want[PATH_MAX + 16];

    need_root();
    request(&req, "pwd", &src);
    pipe_cmd_run(&req, &res);
    snprintf(want, sizeof(want), "%s\n", work);
    assert_string_equal(output(&res), want);
    /* A home the user cannot enter: "/", as Postfix. */
    snprintf(closed, sizeof(closed), "%s/closed", dir);
    assert_int_equal(mkdir(closed, 0700), 0);
    req.env.home = closed;
    pipe_cmd_run(&req, &res);
    assert_string_equal(output(&res), "/\n");
    assert_int_equal(res.status, DELIVER_SENT);
}

static void test_write_error(void **state UNUSED)
{
    struct source src = {(const unsigned char *)"Subject: x\n\npartial", 19, 12, EIO};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;

    need_root();
    request(&req, "cat > /dev/null", &src);
    pipe_cmd_run(&req, &res);
    assert_status(&res, DELIVER_DEFERRED, "4.3.0",
                  "cannot write message to command \"cat > /dev/null\": Input/output error");
    assert_no_children();
}

static void test_metacharacters(void **state UNUSED)
{
    static const char *const values[] = {
        "$(id)@example.com",
        "`id`@example.com",
        "a;id;b@example.com",
        "a|id@example.com",
        "\"a b\"@example.com",
        "a'b\\c&d>e<f*g?h[i]{j}~k#l@example.com",
        "evil\nX-Injected: yes@example.com",
        "tab\there\r@example.com",
        "${IFS}$HOME@example.com",
        "caf\xc3\xa9@example.com",
    };
    static const char all_printable[] =
        " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    /* Control characters in the filter itself let none through either. */
    static const char with_controls[] = "\t\n\r\x1b@.abcdefghijklmnopqrstuvwxyz";
    const char *const filters[] = {loaded_filter, all_printable, with_controls};
    struct source src = {(const unsigned char *)"x\n", 2, 0, 0};
    struct pipe_cmd_request req;
    struct pipe_cmd_result res;
    struct unit_rows r = {0};
    char want[256], esc1[512], esc2[512];
    size_t i;
    int pass;

    need_root();
    for (pass = 0; pass < (int)COUNTOF(filters); pass++) {
        /* Postfix's filter; one that lets every printable character through; an odd one. */
        var_command_expansion_filter = (char *)filters[pass];
        for (i = 0; i < COUNTOF(values); i++) {
            request(&req, "printf '%s|%s|%s' \"$SENDER\" \"$RECIPIENT\" \"$EXTENSION\"", &src);
            req.env.sender = req.env.recipient = req.env.extension = values[i];
            pipe_cmd_run(&req, &res);
            str_copy(want, values[i], sizeof(want));
            censor(want, var_command_expansion_filter);
            snprintf(esc1, sizeof(esc1), "%s|%s|%s", want, want, want);
            if (res.status != DELIVER_SENT || strcmp(output(&res), esc1) != 0)
                unit_row_fail(&r, "filter %d, value %zu: got %s \"%s\", want \"%s\"", pass, i,
                              deliver_status_name(res.status),
                              unit_escape(output(&res), esc2, sizeof(esc2)),
                              unit_escape(esc1, want, sizeof(want)));
            if (strstr(output(&res), "uid=") != NULL)
                unit_row_fail(&r, "value %zu was run as a command", i);
        }
    }
    unit_rows_check(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, reset),
        cmocka_unit_test_setup(test_classify_table, reset),
        cmocka_unit_test_setup(test_classify_sysexits, reset),
        cmocka_unit_test_setup(test_classify_bounded, reset),
        cmocka_unit_test_setup(test_message_intact, reset),
        cmocka_unit_test_setup(test_large_message, reset),
        cmocka_unit_test_setup(test_environment, reset),
        cmocka_unit_test_setup(test_ids, reset),
        cmocka_unit_test_setup(test_exit_codes, reset),
        cmocka_unit_test_setup(test_output_reason, reset),
        cmocka_unit_test_setup(test_huge_output, reset),
        cmocka_unit_test_setup(test_time_limit, reset),
        cmocka_unit_test_setup(test_never_reads, reset),
        cmocka_unit_test_setup(test_background_child, reset),
        cmocka_unit_test_setup(test_exec_failure, reset),
        cmocka_unit_test_setup(test_refuse_root, reset),
        cmocka_unit_test_setup(test_no_inherited_fds, reset),
        cmocka_unit_test_setup(test_signals_default, reset),
        cmocka_unit_test_setup(test_sigchld_ignored, reset),
        cmocka_unit_test_setup(test_working_directory, reset),
        cmocka_unit_test_setup(test_write_error, reset),
        cmocka_unit_test_setup(test_metacharacters, reset),
    };

    unit_init("test_pipe_cmd");
    return cmocka_run_group_tests(tests, setup, teardown);
}
