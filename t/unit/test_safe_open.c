/*
 * test_safe_open.c - the root-safe open for appending: a file in a directory
 * that only its owner can write opens (and is created with the mode asked),
 * symlinks that the owner made are followed, and every way someone else
 * could redirect the file is refused: a symlink as the file, a hard link, a
 * directory on the path that others can write or own, a file or symlink
 * owned by another user, a FIFO (without hanging), a relative path.
 * Needs root for the other-user cases (uid 65534), as make check runs.
 */
#include "unit.h"
#include "safe_open.h"

#define OTHER 65534

static char dir[PATH_MAX];

static int setup(void **state UNUSED)
{
    unit_mkdtemp(dir, sizeof(dir));
    return 0;
}

static int teardown(void **state UNUSED)
{
    unit_rmtree(dir);
    return 0;
}

/* dir/name; a few results may be in use at once. */
static char *at(const char *name)
{
    static char paths[4][PATH_MAX + 64];
    static unsigned next;
    char *path = paths[next++ % 4];

    snprintf(path, sizeof(paths[0]), "%s/%s", dir, name);
    return path;
}

/* Open must fail, saying why (a substring of *error_r). */
static void refused(const char *path, const char *why_part)
{
    const char *why = NULL;
    int fd = safe_open_append(path, 0640, &why);

    if (fd >= 0)
        fail_msg("%s: opened, should be refused", path);
    assert_non_null(why);
    if (strstr(why, why_part) == NULL)
        fail_msg("%s: \"%s\", want \"%s\"", path, why, why_part);
}

static void test_plain_file(void **state UNUSED)
{
    const char *why = NULL;
    struct stat st;
    int fd;

    fd = safe_open_append(at("log"), 0640, &why);
    if (fd < 0)
        fail_msg("safe_open_append: %s", why);
    assert_int_equal(write(fd, "one\n", 4), 4);
    (void)close(fd);
    assert_int_equal(stat(at("log"), &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    /* An existing file is appended to, not truncated. */
    fd = safe_open_append(at("log"), 0640, &why);
    assert_true(fd >= 0);
    assert_true(fcntl(fd, F_GETFL) & O_APPEND);
    assert_false(fcntl(fd, F_GETFL) & O_NONBLOCK);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(write(fd, "two\n", 4), 4);
    (void)close(fd);
    assert_int_equal(stat(at("log"), &st), 0);
    assert_int_equal(st.st_size, 8);
}

static void test_symlink_file_refused(void **state UNUSED)
{
    struct stat st;

    unit_write_text(at("target"), "precious\n");
    assert_int_equal(symlink(at("target"), at("link")), 0);
    refused(at("link"), "symbolic link");
    assert_int_equal(stat(at("target"), &st), 0);
    assert_int_equal(st.st_size, 9);
}

static void test_hard_link_refused(void **state UNUSED)
{
    unit_write_text(at("hl1"), "x\n");
    assert_int_equal(link(at("hl1"), at("hl2")), 0);
    refused(at("hl2"), "more than one name");
}

static void test_fifo_refused(void **state UNUSED)
{
    assert_int_equal(mkfifo(at("fifo"), 0600), 0);
    refused(at("fifo"), "No such device"); /* O_NONBLOCK, no reader: ENXIO, never a hang */
}

static void test_writable_directory_refused(void **state UNUSED)
{
    assert_int_equal(mkdir(at("open"), 0777), 0);
    assert_int_equal(chmod(at("open"), 0777), 0);
    refused(at("open/log"), "not root's alone");
    assert_int_equal(access(at("open/log"), F_OK), -1);
    /* ...also when it is higher up the path. */
    assert_int_equal(mkdir(at("open/sub"), 0755), 0);
    refused(at("open/sub/log"), "not root's alone");
    assert_int_equal(access(at("open/sub/log"), F_OK), -1);
}

static void test_sticky_directory(void **state UNUSED)
{
    const char *why = NULL;
    int fd;

    assert_int_equal(mkdir(at("sticky"), 0755), 0);
    assert_int_equal(chmod(at("sticky"), 01777), 0);
    fd = safe_open_append(at("sticky/log"), 0640, &why);
    if (fd < 0)
        fail_msg("sticky directory: %s", why);
    (void)close(fd);
    if (geteuid() != 0)
        return;
    /* Someone else's file there is theirs to point anywhere: refused. */
    unit_write_text(at("sticky/theirs"), "x\n");
    assert_int_equal(chown(at("sticky/theirs"), OTHER, OTHER), 0);
    refused(at("sticky/theirs"), "not owned");
    /* So is their symlink to a directory of ours. */
    assert_int_equal(mkdir(at("safe"), 0755), 0);
    assert_int_equal(symlink(at("safe"), at("sticky/dirlink")), 0);
    assert_int_equal(lchown(at("sticky/dirlink"), OTHER, OTHER), 0);
    refused(at("sticky/dirlink/log"), "not a directory");
    assert_int_equal(access(at("safe/log"), F_OK), -1);
}

static void test_other_owner_refused(void **state UNUSED)
{
    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    assert_int_equal(mkdir(at("theirs"), 0755), 0);
    assert_int_equal(chown(at("theirs"), OTHER, OTHER), 0);
    refused(at("theirs/log"), "not root's alone");
    assert_int_equal(access(at("theirs/log"), F_OK), -1);
    unit_write_text(at("owned"), "x\n");
    assert_int_equal(chown(at("owned"), OTHER, OTHER), 0);
    refused(at("owned"), "not owned");
}

static void test_own_symlinks_followed(void **state UNUSED)
{
    const char *why = NULL;
    struct stat st;
    int fd;

    assert_int_equal(mkdir(at("real"), 0755), 0);
    assert_int_equal(symlink("real", at("rel")), 0);     /* relative */
    assert_int_equal(symlink(at("real"), at("abs")), 0); /* absolute */
    fd = safe_open_append(at("rel/log"), 0640, &why);
    if (fd < 0)
        fail_msg("relative symlink: %s", why);
    (void)close(fd);
    fd = safe_open_append(at("abs/log"), 0640, &why);
    if (fd < 0)
        fail_msg("absolute symlink: %s", why);
    (void)close(fd);
    assert_int_equal(stat(at("real/log"), &st), 0);
    /* A loop ends in an error. */
    assert_int_equal(symlink("loop2", at("loop1")), 0);
    assert_int_equal(symlink("loop1", at("loop2")), 0);
    refused(at("loop1/log"), "not a directory");
}

static void test_bad_paths(void **state UNUSED)
{
    refused("relative/log", "absolute");
    refused(at("missing/log"), "missing");
    unit_write_text(at("file"), "x\n");
    refused(at("file/log"), "not a directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_file),
        cmocka_unit_test(test_symlink_file_refused),
        cmocka_unit_test(test_hard_link_refused),
        cmocka_unit_test(test_fifo_refused),
        cmocka_unit_test(test_writable_directory_refused),
        cmocka_unit_test(test_sticky_directory),
        cmocka_unit_test(test_other_owner_refused),
        cmocka_unit_test(test_own_symlinks_followed),
        cmocka_unit_test(test_bad_paths),
    };

    unit_init("test_safe_open");
    return cmocka_run_group_tests(tests, setup, teardown);
}
