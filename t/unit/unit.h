/*
 * unit.h - shared scaffolding for the cmocka unit tests in t/unit.
 *
 * Every test program includes this first: it pulls in the headers cmocka
 * needs and the few system headers the tests use beyond sys_defs.h (which
 * must come after them, because of its poison pragma), and offers helpers
 * for hermetic tests: temporary directories under $TMPDIR, whole-file
 * reads and writes, and a way to check that a call aborts (msg_panic) or
 * exits (msg_fatal) without taking the test program down with it.
 *
 * Nothing here touches the network, DNS, syslog or the host's users.
 */
#ifndef POSTERN_T_UNIT_H
#define POSTERN_T_UNIT_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <ftw.h>

#include "sys_defs.h"

#include <cmocka.h>

#include "msg.h"

/* Log to stderr only (ctest shows it when a test fails), never to syslog. */
static inline void unit_init(const char *ident)
{
    msg_init(ident);
    msg_syslog(false);
    msg_stderr(true, false);
    /* A closed peer must show up as EPIPE, not kill the test program. */
    signal(SIGPIPE, SIG_IGN);
}

/* Create a fresh private directory under $TMPDIR (or /tmp) into path. */
static inline void unit_mkdtemp(char *path, size_t len)
{
    const char *base = getenv("TMPDIR");

    if (base == NULL || *base == 0)
        base = "/tmp";
    snprintf(path, len, "%s/postern-unit.XXXXXX", base);
    if (mkdtemp(path) == NULL)
        fail_msg("mkdtemp %s: %s", path, strerror(errno));
}

static inline int unit_rm_one(const char *path, const struct stat *st UNUSED, int flag,
                              struct FTW *ftw UNUSED)
{
    return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/* Remove a directory tree made by a test (never follows symlinks). */
static inline void unit_rmtree(const char *path)
{
    if (path[0] != 0 && nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
        fail_msg("remove %s: %s", path, strerror(errno));
}

/*
 * Log to a fresh file log_r (PATH_MAX + 16 bytes) in a new temporary
 * directory dir_r (PATH_MAX), for tests that read what was logged.
 */
static inline void unit_log_to_file(char *dir_r, char *log_r)
{
    const char *why = NULL;

    unit_mkdtemp(dir_r, PATH_MAX);
    snprintf(log_r, PATH_MAX + 16, "%s/maillog", dir_r);
    if (msg_logfile(log_r, &why) < 0)
        fail_msg("msg_logfile: %s", why);
    msg_stderr(false, false);
}

/* Undo unit_log_to_file(): back to stderr only, and remove the directory. */
static inline void unit_log_to_stderr(const char *dir)
{
    (void)msg_logfile(NULL, NULL);
    msg_syslog(false);
    msg_stderr(true, false);
    unit_rmtree(dir);
}

/* Write len bytes to path, replacing it. */
static inline void unit_write_file(const char *path, const void *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    const char *cp = p;

    if (fd < 0)
        fail_msg("create %s: %s", path, strerror(errno));
    while (len > 0) {
        ssize_t n = write(fd, cp, len);

        if (n <= 0)
            fail_msg("write %s: %s", path, strerror(errno));
        cp += n;
        len -= (size_t)n;
    }
    if (close(fd) < 0)
        fail_msg("close %s: %s", path, strerror(errno));
}

static inline void unit_write_text(const char *path, const char *text)
{
    unit_write_file(path, text, strlen(text));
}

/* Read a whole file into a malloc'ed, NUL-terminated buffer. */
static inline unsigned char *unit_read_file(const char *path, size_t *len_r)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    unsigned char *p;
    size_t got = 0;

    if (fd < 0 || fstat(fd, &st) < 0)
        fail_msg("open %s: %s", path, strerror(errno));
    p = malloc((size_t)st.st_size + 1);
    assert_non_null(p);
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, p + got, (size_t)st.st_size - got);

        if (n <= 0)
            fail_msg("read %s: %s", path, n < 0 ? strerror(errno) : "short file");
        got += (size_t)n;
    }
    (void)close(fd);
    p[got] = 0;
    *len_r = got;
    return p;
}

/* Number of entries in a directory, not counting "." and "..". */
static inline int unit_count_dir(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        fail_msg("opendir %s: %s", path, strerror(errno));
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            n++;
    (void)closedir(d);
    return n;
}

static inline bool unit_exists(const char *path)
{
    struct stat st;

    return lstat(path, &st) == 0;
}

/*
 * Run fn(ctx) in a child process with stderr silenced and return its raw
 * wait status, so a test can assert that a broken invariant aborts
 * (msg_panic) or that an environment failure exits (msg_fatal).
 */
static inline int unit_run_child(void (*fn)(void *), void *ctx)
{
    pid_t pid;
    int status;

    fflush(NULL);
    if ((pid = fork()) < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);

        if (null >= 0)
            (void)dup2(null, STDERR_FILENO);
        fn(ctx);
        _exit(0);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail_msg("waitpid: %s", strerror(errno));
    return status;
}

#define assert_aborts(fn, ctx)                                                                     \
    do {                                                                                           \
        int st_ = unit_run_child((fn), (ctx));                                                     \
        assert_true(WIFSIGNALED(st_));                                                             \
        assert_int_equal(WTERMSIG(st_), SIGABRT);                                                  \
    } while (0)

/* Make text printable for a failure message: control bytes become \xNN. */
static inline const char *unit_escape(const char *in, char *out, size_t len)
{
    size_t o = 0;

    for (; *in && o + 5 < len; in++) {
        unsigned char c = (unsigned char)*in;

        if (c < 0x20 || c >= 0x7f)
            o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = 0;
    return out;
}

/*
 * Table-driven tests note every failing row and fail once at the end, so
 * that one bad row does not hide the others.
 */
struct unit_rows {
    char text[8192];
    size_t len;
    int failed;
};

static inline void unit_row_fail(struct unit_rows *r, const char *fmt, ...) PRINTFLIKE(2, 3);

static inline void unit_row_fail(struct unit_rows *r, const char *fmt, ...)
{
    va_list ap;
    int n;

    r->failed++;
    if (r->len + 2 >= sizeof(r->text))
        return;
    r->text[r->len++] = '\n';
    va_start(ap, fmt);
    n = vsnprintf(r->text + r->len, sizeof(r->text) - r->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        r->len += (size_t)n < sizeof(r->text) - r->len ? (size_t)n : sizeof(r->text) - r->len - 1;
}

#define unit_rows_check(r)                                                                         \
    do {                                                                                           \
        if ((r)->failed)                                                                           \
            fail_msg("%d failing row(s):%s", (r)->failed, (r)->text);                              \
    } while (0)

/* A buffer compared as a string; both sides must have the same length. */
#define assert_buf_equal(b, s)                                                                     \
    do {                                                                                           \
        assert_int_equal((b)->len, strlen(s));                                                     \
        assert_string_equal(buf_str(b), (s));                                                      \
    } while (0)

#endif
