/*
 * test_mbox.c - mbox delivery into files in a temporary directory: the
 * From_ line, ">From " quoting (mboxrd) in one piece and split anywhere,
 * the empty line between messages, both locks (held by another process:
 * we wait, then give up with a clear error), a stale dotlock, a directory
 * the user cannot write (no dotlock), the refusal of a symlink, a hard
 * link, a FIFO and another user's file, truncation back after a write
 * error (EFBIG from RLIMIT_FSIZE) or a failing fsync, that the data is
 * fsync'ed before success, and the duplicate check after a crash.
 *
 * fsync() is wrapped at link time (-Wl,--wrap=fsync, t/unit/CMakeLists.txt)
 * to count the calls on the mailbox and to make one fail.  Needs root for
 * the other-user cases (uid 65534), as make check runs.
 */
#include "unit.h"
#include "buf.h"
#include "mbox.h"
#include "mymalloc.h"

#define OTHER 65534
#define DATE 1700000000 /* Tue Nov 14 22:13:20 2023 UTC */
#define FROM_LINE "From sender@example.org  Tue Nov 14 22:13:20 2023\n"
#define HDR "Return-Path: <sender@example.org>\nDelivered-To: rcpt@example.org\n"

static char dir[PATH_MAX];
static char mb[PATH_MAX + 32], lock[PATH_MAX + 40], content[PATH_MAX + 32];
static struct mbox_opts opts;

/* --- fsync, wrapped ------------------------------------------------------ */

int __real_fsync(int fd);
int __wrap_fsync(int fd);

static struct {
    int calls;       /* on the mailbox */
    off_t last_size; /* its size at the last one */
    int fail;        /* errno for the next call on it, or 0 */
} fsyncs;

int __wrap_fsync(int fd)
{
    struct stat st, now;

    if (fstat(fd, &st) == 0 && lstat(mb, &now) == 0 && st.st_ino == now.st_ino &&
        st.st_dev == now.st_dev) {
        fsyncs.calls++;
        fsyncs.last_size = st.st_size;
        if (fsyncs.fail) {
            errno = fsyncs.fail;
            fsyncs.fail = 0;
            return -1;
        }
    }
    return __real_fsync(fd);
}

/* --- helpers -------------------------------------------------------------- */

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    /* The other-user cases must get to the files. */
    assert_int_equal(chmod(dir, 0755), 0);
    snprintf(mb, sizeof(mb), "%s/mbox", dir);
    snprintf(lock, sizeof(lock), "%s/mbox.lock", dir);
    snprintf(content, sizeof(content), "%s/content", dir);
    memset(&opts, 0, sizeof(opts));
    opts.lock_attempts = 3;
    opts.lock_delay_ms = 50;
    opts.stale_lock_sec = 500;
    memset(&fsyncs, 0, sizeof(fsyncs));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

/* Put text into the content file (after 3 bytes of something else, as in a
 * queue file) and describe it in *msg; returns the open file. */
static int open_content(const char *text, struct mbox_msg *msg)
{
    size_t len = strlen(text);
    char *file = xasprintf("QQQ%s", text);
    int fd;

    unit_write_file(content, file, len + 3);
    free(file);
    if ((fd = open(content, O_RDONLY | O_CLOEXEC)) < 0)
        fail_msg("open %s: %s", content, strerror(errno));
    *msg = (struct mbox_msg){.queue_id = "TESTID",
                             .sender = "sender@example.org",
                             .date = DATE,
                             .hdr = HDR,
                             .hdr_len = strlen(HDR),
                             .fd = fd,
                             .content_offset = 3,
                             .content_len = (long long)len};
    return fd;
}

static int deliver_text(const char *path, const char *text, char **why)
{
    struct mbox_msg msg;
    int fd = open_content(text, &msg);
    int ret, err;

    *why = NULL;
    ret = mbox_deliver(path, &msg, &opts, why);
    err = errno;
    (void)close(fd);
    errno = err;
    return ret;
}

/* Deliver, expecting success. */
static void deliver_ok(const char *text)
{
    char *why = NULL;
    int ret = deliver_text(mb, text, &why);

    if (ret != MBOX_DELIVERED)
        fail_msg("delivery failed (%d): %s", ret, why ? why : "(no reason)");
    free(why);
}

/* Deliver, expecting failure with errno err and text in the reason. */
static void deliver_fails(const char *text, int err, const char *reason)
{
    char *why = NULL;
    int ret = deliver_text(mb, text, &why);
    int got = errno;

    assert_int_equal(ret, -1);
    assert_non_null(why);
    if (got != err || strstr(why, reason) == NULL)
        fail_msg("errno %d (%s), reason \"%s\"; wanted errno %d and \"%s\"", got, strerror(got),
                 why, err, reason);
    free(why);
}

static void assert_file(const char *path, const char *want)
{
    size_t len;
    unsigned char *got = unit_read_file(path, &len);

    if (len != strlen(want) || memcmp(got, want, len) != 0)
        fail_msg("file %s is\n%s\nwanted\n%s", path, got, want);
    free(got);
}

/* --- the format ----------------------------------------------------------- */

static void test_from_line(void **state UNUSED)
{
    struct buf b;

    buf_init(&b, 4096);
    mbox_from_line(&b, "sender@example.org", DATE);
    assert_buf_equal(&b, FROM_LINE);
    buf_reset(&b);
    mbox_from_line(&b, "", DATE);
    assert_buf_equal(&b, "From MAILER-DAEMON  Tue Nov 14 22:13:20 2023\n");
    buf_reset(&b);
    /* Quoted as in Return-Path:, one line whatever the queue file says. */
    mbox_from_line(&b, "a b@example.org", DATE);
    assert_buf_equal(&b, "From \"a b\"@example.org  Tue Nov 14 22:13:20 2023\n");
    buf_reset(&b);
    mbox_from_line(&b, "x\nFrom y", 86400 * 3);
    assert_buf_equal(&b, "From \"x?From y\"  Sun Jan  4 00:00:00 1970\n");
    buf_free(&b);
}

static int put_buf(void *ctx, const void *p, size_t len)
{
    return buf_append(ctx, p, len);
}

static const struct {
    const char *in, *out;
} quote_rows[] = {
    {"", ""},
    {"From x\n", ">From x\n"},
    {">From x\n", ">>From x\n"},
    {">>From x\n", ">>>From x\n"},
    {"From \n", ">From \n"},
    {"From ", ">From \n"},
    {"From\n", "From\n"},
    {"From", "From\n"},
    {"Fromage\n", "Fromage\n"},
    {"from x\n", "from x\n"},
    {" From x\n", " From x\n"},
    {"a From b\n", "a From b\n"},
    {">\n>>\n>", ">\n>>\n>\n"},
    {"> From x\n", "> From x\n"},
    {">F>From x\n", ">F>From x\n"},
    {"\nFrom x", "\n>From x\n"},
    {"x\nFrom y\nFrom z\n\nFrom\tq\n", "x\n>From y\n>From z\n\nFrom\tq\n"},
    {"no newline", "no newline\n"},
    {"From From From \n", ">From From From \n"},
};

/* Quote in with a split at cut (and at every later multiple of step). */
static void quote_split(const char *in, size_t cut, size_t step, struct buf *out)
{
    struct mbox_quote q;
    size_t len = strlen(in), at = 0;

    buf_reset(out);
    mbox_quote_init(&q);
    while (at < len) {
        size_t n = at == 0 ? cut : step;

        if (n > len - at)
            n = len - at;
        assert_int_equal(mbox_quote(&q, (const unsigned char *)in + at, n, put_buf, out), 0);
        at += n;
    }
    assert_int_equal(mbox_quote_end(&q, put_buf, out), 0);
}

static void test_quoting(void **state UNUSED)
{
    struct unit_rows rows = {.len = 0};
    char e1[256], e2[256], e3[256];
    struct buf out;
    size_t i, cut;

    buf_init(&out, 4096);
    for (i = 0; i < COUNTOF(quote_rows); i++) {
        size_t len = strlen(quote_rows[i].in);

        /* In one piece, split at every point, and a byte at a time. */
        for (cut = 0; cut <= len; cut++) {
            quote_split(quote_rows[i].in, cut ? cut : len, cut ? cut : len, &out);
            if (strcmp(buf_str(&out), quote_rows[i].out) != 0) {
                unit_row_fail(&rows, "\"%s\" split at %zu: \"%s\", wanted \"%s\"",
                              unit_escape(quote_rows[i].in, e1, sizeof(e1)), cut,
                              unit_escape(buf_str(&out), e2, sizeof(e2)),
                              unit_escape(quote_rows[i].out, e3, sizeof(e3)));
                break;
            }
        }
        quote_split(quote_rows[i].in, 1, 1, &out);
        if (strcmp(buf_str(&out), quote_rows[i].out) != 0)
            unit_row_fail(&rows, "\"%s\" byte by byte: \"%s\"",
                          unit_escape(quote_rows[i].in, e1, sizeof(e1)),
                          unit_escape(buf_str(&out), e2, sizeof(e2)));
    }
    buf_free(&out);
    unit_rows_check(&rows);
}

/* A '>' run longer than any buffer, split across chunks, is counted, not kept. */
static void test_quoting_long_run(void **state UNUSED)
{
    size_t n = 200000;
    char *in = xmalloc(n + 8);
    struct buf out;

    memset(in, '>', n);
    memcpy(in + n, "From x", 7);
    buf_init(&out, 2 * n);
    quote_split(in, 1000, 4093, &out);
    assert_int_equal(out.len, n + 1 + 6 + 1);
    assert_int_equal(strspn(buf_str(&out), ">"), n + 1);
    assert_string_equal(buf_str(&out) + n + 1, "From x\n");
    buf_free(&out);
    free(in);
}

static void test_message_layout(void **state UNUSED)
{
    /* "From " as the first line of the body, ">From " and ">>From " inside. */
    deliver_ok("Subject: one\n\nFrom the start\n>From quoted\n>>From twice\nFrom\nFromage\n");
    assert_file(mb, FROM_LINE HDR "Subject: one\n\n>From the start\n>>From quoted\n"
                                  ">>>From twice\nFrom\nFromage\n\n");
    /* The next one follows after the empty line; an unended line is ended. */
    deliver_ok("Subject: two\n\nno newline at the end");
    assert_file(mb, FROM_LINE HDR "Subject: one\n\n>From the start\n>>From quoted\n"
                                  ">>>From twice\nFrom\nFromage\n\n" FROM_LINE HDR
                                  "Subject: two\n\nno newline at the end\n\n");
}

static void test_new_file_mode_and_owner(void **state UNUSED)
{
    struct stat st;

    deliver_ok("Subject: x\n\nbody\n");
    assert_int_equal(lstat(mb, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_uid, geteuid());
    assert_false(unit_exists(lock));
}

/* A file whose last message was cut short still gets a separate next one. */
static void test_separator_repaired(void **state UNUSED)
{
    unit_write_text(mb, "From a  Tue Nov 14 22:13:20 2023\n\ncut short");
    deliver_ok("S: 1\n\nb\n");
    assert_file(mb,
                "From a  Tue Nov 14 22:13:20 2023\n\ncut short\n\n" FROM_LINE HDR "S: 1\n\nb\n\n");
    unit_write_text(mb, "x\n");
    deliver_ok("S: 1\n\nb\n");
    assert_file(mb, "x\n\n" FROM_LINE HDR "S: 1\n\nb\n\n");
}

/* --- locks ------------------------------------------------------------------ */

/*
 * A child takes the fcntl lock, says so through a pipe, holds it hold_ms
 * and exits (which releases it).  Returns its pid.
 */
static pid_t hold_fcntl_lock(long hold_ms)
{
    int p[2];
    pid_t pid;
    char c;

    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    if ((pid = fork()) < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
        struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
        int fd = open(mb, O_RDWR | O_CREAT, 0600);

        if (fd < 0 || fcntl(fd, F_SETLKW, &fl) < 0 || write(p[1], "L", 1) != 1)
            _exit(1);
        (void)nanosleep(&ts, NULL);
        _exit(0);
    }
    (void)close(p[1]);
    assert_int_equal(read(p[0], &c, 1), 1);
    (void)close(p[0]);
    return pid;
}

static void reap(pid_t pid)
{
    int status;

    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static double now(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_fcntl_lock_held(void **state UNUSED)
{
    pid_t pid = hold_fcntl_lock(3000);
    double t0 = now();

    /* 3 attempts, 50 ms apart: about 100 ms, then a clear error. */
    deliver_fails("S: x\n\nb\n", EAGAIN, "is locked by another process (fcntl) after 3 tries");
    assert_false(unit_exists(lock));
    assert_true(now() - t0 >= 0.09);
    assert_file(mb, "");
    (void)kill(pid, SIGKILL);
    (void)waitpid(pid, NULL, 0);
}

static void test_fcntl_lock_waited_for(void **state UNUSED)
{
    pid_t pid = hold_fcntl_lock(200);

    opts.lock_attempts = 40;
    deliver_ok("S: x\n\nb\n");
    reap(pid);
    assert_file(mb, FROM_LINE HDR "S: x\n\nb\n\n");
}

static void test_dotlock_held(void **state UNUSED)
{
    double t0 = now();

    unit_write_text(lock, "");
    deliver_fails("S: x\n\nb\n", EAGAIN, "mbox.lock still exists after 3 tries");
    assert_true(now() - t0 >= 0.09);
    assert_false(unit_exists(mb));
    /* Somebody else's lock is left alone. */
    assert_true(unit_exists(lock));
}

static void test_dotlock_waited_for(void **state UNUSED)
{
    pid_t pid;

    unit_write_text(lock, "");
    fflush(NULL);
    if ((pid = fork()) == 0) {
        struct timespec ts = {0, 200 * 1000000L};

        (void)nanosleep(&ts, NULL);
        _exit(unlink(lock) == 0 ? 0 : 1);
    }
    opts.lock_attempts = 40;
    deliver_ok("S: x\n\nb\n");
    reap(pid);
    assert_false(unit_exists(lock));
}

static void test_stale_dotlock_broken(void **state UNUSED)
{
    struct stat st;

    unit_write_text(lock, "");
    assert_int_equal(lstat(lock, &st), 0);
    /* Older than stale_lock_time (0 s here) as soon as the clock ticks on. */
    while (time(NULL) <= st.st_ctime)
        (void)usleep(20000);
    opts.stale_lock_sec = 0;
    opts.lock_attempts = 2;
    deliver_ok("S: x\n\nb\n");
    assert_false(unit_exists(lock));
    assert_file(mb, FROM_LINE HDR "S: x\n\nb\n\n");
}

/* Deliver as uid OTHER in a child: its exit status is the test's verdict. */
static void deliver_as_other(void *ctx)
{
    const char *path = ctx;
    struct mbox_msg msg;
    char *why = NULL;
    gid_t g = OTHER;
    int ret;

    (void)open_content("S: x\n\nb\n", &msg);
    if (setgroups(1, &g) < 0 || setegid(OTHER) < 0 || seteuid(OTHER) < 0)
        _exit(2);
    opts.flags = MBOX_F_OWNER;
    opts.owner = OTHER;
    ret = mbox_deliver(path, &msg, &opts, &why);
    if (strcmp(path, mb) == 0)
        _exit(ret == MBOX_DELIVERED ? 0 : 3);
    _exit(ret == -1 && errno == EACCES ? 0 : 4);
}

/* In a directory the user may not write there is no dotlock, and no new file. */
static void test_dotlock_skipped_where_not_writable(void **state UNUSED)
{
    char missing[PATH_MAX + 32];
    int status;

    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    unit_write_text(mb, "");
    assert_int_equal(chown(mb, OTHER, OTHER), 0);
    status = unit_run_child(deliver_as_other, mb);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_file(mb, FROM_LINE HDR "S: x\n\nb\n\n");
    assert_false(unit_exists(lock));
    snprintf(missing, sizeof(missing), "%s/missing", dir);
    status = unit_run_child(deliver_as_other, missing);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_false(unit_exists(missing));
}

/* --- refusals ---------------------------------------------------------------- */

static void test_symlink_refused(void **state UNUSED)
{
    char target[PATH_MAX + 32];

    snprintf(target, sizeof(target), "%s/target", dir);
    unit_write_text(target, "precious\n");
    assert_int_equal(symlink(target, mb), 0);
    deliver_fails("S: x\n\nb\n", EPERM, "is a symbolic link");
    assert_false(unit_exists(lock));
    assert_file(target, "precious\n");
}

static void test_hard_link_refused(void **state UNUSED)
{
    char other[PATH_MAX + 32];

    snprintf(other, sizeof(other), "%s/other", dir);
    unit_write_text(other, "precious\n");
    assert_int_equal(link(other, mb), 0);
    deliver_fails("S: x\n\nb\n", EPERM, "has 2 links");
    assert_false(unit_exists(lock));
    assert_file(other, "precious\n");
}

static void test_fifo_refused_without_hanging(void **state UNUSED)
{
    assert_int_equal(mkfifo(mb, 0600), 0);
    /* Opened without waiting for a reader (O_RDWR, O_NONBLOCK), then refused. */
    deliver_fails("S: x\n\nb\n", EPERM, "is not a regular file");
    assert_false(unit_exists(lock));
}

static void test_other_owner_refused(void **state UNUSED)
{
    char *why = NULL;

    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    unit_write_text(mb, "");
    assert_int_equal(chown(mb, OTHER, OTHER), 0);
    opts.flags = MBOX_F_OWNER;
    opts.owner = 0;
    deliver_fails("S: x\n\nb\n", EPERM, "is owned by uid 65534, not by the recipient");
    assert_file(mb, "");
    /* Without MBOX_F_OWNER (a file an alias names) it is written. */
    opts.flags = 0;
    assert_int_equal(deliver_text(mb, "S: x\n\nb\n", &why), MBOX_DELIVERED);
    free(why);
}

/* --- failures and durability ------------------------------------------------ */

#define OLD "From a  Tue Nov 14 22:13:20 2023\nS: old\n\nold\n\n"

/* In a child: a file size limit just past the old mailbox, SIGXFSZ ignored. */
static void deliver_too_big(void *ctx UNUSED)
{
    size_t n = 200000; /* written in more than one piece */
    char *big = xmalloc(n + 1), *why = NULL;
    struct mbox_msg msg;
    struct rlimit rl;
    int ret;

    memset(big, 'y', n);
    big[n] = 0;
    (void)open_content(big, &msg);
    (void)signal(SIGXFSZ, SIG_IGN);
    if (getrlimit(RLIMIT_FSIZE, &rl) < 0)
        _exit(2);
    rl.rlim_cur = strlen(OLD) + 100;
    if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
        _exit(2);
    ret = mbox_deliver(mb, &msg, &opts, &why);
    _exit(ret == -1 && errno == EFBIG && why && strstr(why, "write") ? 0 : 3);
}

static void test_write_error_truncates(void **state UNUSED)
{
    int status;

    unit_write_text(mb, OLD);
    status = unit_run_child(deliver_too_big, NULL);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_file(mb, OLD);
    assert_false(unit_exists(lock));
}

static void test_fsync_before_success(void **state UNUSED)
{
    struct stat st;

    unit_write_text(mb, OLD);
    deliver_ok("S: x\n\nb\n");
    assert_int_equal(lstat(mb, &st), 0);
    assert_true(fsyncs.calls >= 1);
    assert_int_equal(fsyncs.last_size, st.st_size);
}

static void test_fsync_error_truncates(void **state UNUSED)
{
    unit_write_text(mb, OLD);
    fsyncs.fail = EIO;
    deliver_fails("S: x\n\nb\n", EIO, "write");
    assert_false(unit_exists(lock));
    assert_file(mb, OLD);
}

/* --- duplicates ------------------------------------------------------------- */

static void test_duplicate_after_crash(void **state UNUSED)
{
    size_t len1, len2;
    unsigned char *before, *after;
    char *why = NULL;

    deliver_ok("S: dup\n\nFrom me\nbody\n");
    before = unit_read_file(mb, &len1);
    opts.flags = MBOX_F_CHECK_DUP;
    assert_int_equal(deliver_text(mb, "S: dup\n\nFrom me\nbody\n", &why), MBOX_DUPLICATE);
    after = unit_read_file(mb, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    free(before);
    free(after);
    /* Another message is not this one... */
    assert_int_equal(deliver_text(mb, "S: dup\n\nFrom me\nbody!\n", &why), MBOX_DELIVERED);
    /* ...and one appended in between does not hide the first copy (the
     * retry after a crash comes later, when others may have come in). */
    before = unit_read_file(mb, &len1);
    assert_int_equal(deliver_text(mb, "S: dup\n\nFrom me\nbody\n", &why), MBOX_DUPLICATE);
    after = unit_read_file(mb, &len2);
    assert_int_equal(len1, len2);
    free(before);
    free(after);
    free(why);
}

/* A message that only begins like this one is not a copy of it. */
static void test_duplicate_must_end_where_a_message_does(void **state UNUSED)
{
    char *why = NULL;

    deliver_ok("S: dup\n\nbody\nmore\n");
    deliver_ok("S: other\n\nx\n");
    opts.flags = MBOX_F_CHECK_DUP;
    assert_int_equal(deliver_text(mb, "S: dup\n\nbody\n", &why), MBOX_DELIVERED);
    free(why);
}

/* The same bytes without a From_ line before them are not a message. */
static void test_duplicate_needs_from_line(void **state UNUSED)
{
    char *why = NULL;

    unit_write_text(mb, "x\n" HDR "S: dup\n\nb\n\n");
    opts.flags = MBOX_F_CHECK_DUP;
    assert_int_equal(deliver_text(mb, "S: dup\n\nb\n", &why), MBOX_DELIVERED);
    free(why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_from_line),
        cmocka_unit_test(test_quoting),
        cmocka_unit_test(test_quoting_long_run),
        cmocka_unit_test_setup_teardown(test_message_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_new_file_mode_and_owner, setup, teardown),
        cmocka_unit_test_setup_teardown(test_separator_repaired, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcntl_lock_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fcntl_lock_waited_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotlock_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotlock_waited_for, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_dotlock_broken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dotlock_skipped_where_not_writable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hard_link_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_refused_without_hanging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_owner_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_error_truncates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_before_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_error_truncates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_after_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_needs_from_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_must_end_where_a_message_does, setup,
                                        teardown),
    };

    unit_init("test_mbox");
    /* The From_ line's date is local time: make it one the test knows. */
    (void)setenv("TZ", "UTC", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
