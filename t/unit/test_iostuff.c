/*
 * test_iostuff.c - the careful system-call wrappers: full reads and writes
 * through pipes larger than the pipe buffer, end of file, EPIPE, positional
 * I/O, fsync_dir, make_dir (mode and owner fixed up, non-directories
 * refused), and the small descriptor helpers.
 */
#include "unit.h"
#include "iostuff.h"

#define BIG (256 * 1024) /* several times a pipe buffer */

static void fill(unsigned char *p, size_t len, unsigned seed)
{
    size_t i;

    for (i = 0; i < len; i++)
        p[i] = (unsigned char)((i * 7 + seed) % 253);
}

static void writer_child(void *ctx)
{
    int fd = *(int *)ctx;
    unsigned char *p = malloc(BIG);

    if (p == NULL)
        _exit(2);
    fill(p, BIG, 5);
    _exit(write_full(fd, p, BIG) == 0 ? 0 : 1);
}

static void test_pipe_full_read(void **state UNUSED)
{
    unsigned char *got = malloc(BIG + 10), *want = malloc(BIG);
    int fds[2], status;
    pid_t pid;

    assert_non_null(got);
    assert_non_null(want);
    fill(want, BIG, 5);
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void)close(fds[0]);
        writer_child(&fds[1]);
    }
    (void)close(fds[1]);
    /* Many short reads become one full one; then end of file stops it early. */
    assert_int_equal(read_full(fds[0], got, BIG), BIG);
    assert_memory_equal(got, want, BIG);
    assert_int_equal(read_full(fds[0], got, 10), 0);
    (void)close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free(got);
    free(want);
}

static void reader_child(void *ctx)
{
    int fd = *(int *)ctx;
    unsigned char *p = malloc(BIG), *want = malloc(BIG);

    if (p == NULL || want == NULL)
        _exit(2);
    fill(want, BIG, 9);
    if (read_full(fd, p, BIG) != BIG || memcmp(p, want, BIG) != 0)
        _exit(1);
    _exit(read_full(fd, p, 1) == 0 ? 0 : 3);
}

static void test_pipe_full_write(void **state UNUSED)
{
    unsigned char *data = malloc(BIG);
    int fds[2], status;
    pid_t pid;

    assert_non_null(data);
    fill(data, BIG, 9);
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    fflush(NULL);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        (void)close(fds[1]);
        reader_child(&fds[0]);
    }
    (void)close(fds[0]);
    assert_int_equal(write_full(fds[1], data, BIG), 0);
    assert_int_equal(write_full(fds[1], data, 0), 0);
    (void)close(fds[1]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    free(data);
}

static void test_read_full_short(void **state UNUSED)
{
    char buf[100];
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    assert_int_equal(write_full(fds[1], "0123456789", 10), 0);
    (void)close(fds[1]);
    assert_int_equal(read_full(fds[0], buf, sizeof(buf)), 10);
    assert_memory_equal(buf, "0123456789", 10);
    (void)close(fds[0]);
}

static void test_write_errors(void **state UNUSED)
{
    int fds[2];

    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    (void)close(fds[0]);
    errno = 0;
    assert_int_equal(write_full(fds[1], "x", 1), -1); /* SIGPIPE is ignored */
    assert_int_equal(errno, EPIPE);
    (void)close(fds[1]);

    errno = 0;
    assert_int_equal(write_full(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(read_full(-1, fds, 1), -1);
    assert_int_equal(errno, EBADF);
}

static void test_positional(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16], buf[32];
    int fd;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/f", dir);
    fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write_full(fd, "aaaaaaaaaa", 10), 0);
    assert_int_equal(pwrite_full(fd, "XYZ", 3, 4), 0);
    assert_int_equal(pread_full(fd, buf, 10, 0), 10);
    assert_memory_equal(buf, "aaaaXYZaaa", 10);
    /* Reading past the end stops at the end. */
    assert_int_equal(pread_full(fd, buf, sizeof(buf), 8), 2);
    assert_int_equal(pread_full(fd, buf, sizeof(buf), 100), 0);
    /* pwrite past the end extends the file; the file offset does not move. */
    assert_int_equal(pwrite_full(fd, "E", 1, 12), 0);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 10);
    assert_int_equal(pread_full(fd, buf, sizeof(buf), 0), 13);
    assert_memory_equal(buf, "aaaaXYZaaa\0\0E", 13);
    (void)close(fd);
    errno = 0;
    assert_int_equal(pwrite_full(fd, "x", 1, 0), -1);
    assert_int_equal(errno, EBADF);
    unit_rmtree(dir);
}

static void test_fsync_dir(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];

    unit_mkdtemp(dir, sizeof(dir));
    assert_int_equal(fsync_dir(dir), 0);
    snprintf(path, sizeof(path), "%s/missing", dir);
    errno = 0;
    assert_int_equal(fsync_dir(path), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(path, sizeof(path), "%s/file", dir);
    unit_write_text(path, "x");
    errno = 0;
    assert_int_equal(fsync_dir(path), -1);
    assert_int_equal(errno, ENOTDIR);
    unit_rmtree(dir);
}

static void test_make_dir(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 32], link_path[PATH_MAX + 32];
    mode_t old = umask(022);
    struct stat st;

    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/d", dir);

    /* New: the mode is exact despite the umask. */
    assert_int_equal(make_dir(path, 0770, getuid(), getgid()), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0770);
    assert_int_equal(st.st_uid, getuid());

    /* Existing with another mode: fixed up. */
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(make_dir(path, 01730, getuid(), getgid()), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 01730);

    /* A file, or a symlink to a directory, is not a directory. */
    snprintf(link_path, sizeof(link_path), "%s/file", dir);
    unit_write_text(link_path, "x");
    errno = 0;
    assert_int_equal(make_dir(link_path, 0700, getuid(), getgid()), -1);
    assert_int_equal(errno, ENOTDIR);
    snprintf(link_path, sizeof(link_path), "%s/link", dir);
    assert_int_equal(symlink(path, link_path), 0);
    errno = 0;
    assert_int_equal(make_dir(link_path, 0700, getuid(), getgid()), -1);
    assert_int_equal(errno, ENOTDIR);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 01730); /* the target was not touched */

    /* No parents are made. */
    snprintf(link_path, sizeof(link_path), "%s/no/such", dir);
    errno = 0;
    assert_int_equal(make_dir(link_path, 0700, getuid(), getgid()), -1);
    assert_int_equal(errno, ENOENT);
    unit_rmtree(dir);
    umask(old);
}

static void test_make_dir_owner(void **state UNUSED)
{
    char dir[PATH_MAX], path[PATH_MAX + 16];
    struct stat st;

    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    unit_mkdtemp(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/d", dir);
    /* Numeric IDs need no account behind them. */
    assert_int_equal(make_dir(path, 0700, 54321, 54322), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 54321);
    assert_int_equal(st.st_gid, 54322);
    assert_int_equal(make_dir(path, 0700, 0, 0), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(st.st_gid, 0);
    unit_rmtree(dir);
}

static void test_fd_flags(void **state UNUSED)
{
    int fds[2];

    assert_int_equal(pipe2(fds, 0), 0);
    assert_int_equal(set_nonblock(fds[0], true), 0);
    assert_true(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(set_nonblock(fds[0], false), 0);
    assert_false(fcntl(fds[0], F_GETFL) & O_NONBLOCK);
    assert_int_equal(set_cloexec(fds[0], true), 0);
    assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
    assert_int_equal(set_cloexec(fds[0], false), 0);
    assert_false(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
    assert_int_equal(set_nonblock(-1, true), -1);
    assert_int_equal(set_cloexec(-1, true), -1);

    /* poll_fd: nothing yet (timeout), then readable; a pipe is writable. */
    assert_int_equal(poll_fd(fds[0], POLLIN, 20), 0);
    assert_int_equal(write_full(fds[1], "x", 1), 0);
    assert_int_equal(poll_fd(fds[0], POLLIN, 1000), 1);
    assert_int_equal(poll_fd(fds[1], POLLOUT, 0), 1);

    errno = EDOM;
    close_quietly(fds[0]);
    close_quietly(-1);
    assert_int_equal(errno, EDOM); /* errno kept */
    assert_int_equal(fcntl(fds[0], F_GETFD), -1);
    close_quietly(fds[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_full_read),  cmocka_unit_test(test_pipe_full_write),
        cmocka_unit_test(test_read_full_short), cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_positional),      cmocka_unit_test(test_fsync_dir),
        cmocka_unit_test(test_make_dir),        cmocka_unit_test(test_make_dir_owner),
        cmocka_unit_test(test_fd_flags),
    };

    unit_init("test_iostuff");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
