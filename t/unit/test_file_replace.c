/*
 * test_file_replace.c - whole-file replacement: new and replaced files
 * hold exactly the new bytes with the owner and mode asked for (mode is
 * not the umask's to narrow or widen), a replacement is a new inode (what
 * readers that stat for changes look for), and a failure leaves the old
 * file and no temporary file behind.  fsync_parent_dir() is tested too.
 */
#include "unit.h"
#include "file_replace.h"
#include "iostuff.h"

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

static void replace_ok(const char *path, const char *text, mode_t mode)
{
    char *err = NULL;

    if (file_replace(path, text, strlen(text), geteuid(), getegid(), mode, &err) < 0)
        fail_msg("file_replace %s: %s", path, err);
}

static void contents_are(const char *path, const char *want, mode_t mode)
{
    struct stat st;
    size_t len;
    unsigned char *p = unit_read_file(path, &len);

    assert_int_equal(len, strlen(want));
    assert_memory_equal(p, want, len);
    free(p);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
    assert_int_equal(st.st_uid, geteuid());
}

static void test_create_and_replace(void **state UNUSED)
{
    char path[PATH_MAX + 16];
    struct stat before, after;
    mode_t old = umask(0);

    snprintf(path, sizeof(path), "%s/passwd", dir);
    replace_ok(path, "a 1\n", 0600);
    contents_are(path, "a 1\n", 0600);
    assert_int_equal(stat(path, &before), 0);
    (void)umask(077); /* the mode asked for wins over the umask too */
    replace_ok(path, "a 1\nb 2\n", 0644);
    contents_are(path, "a 1\nb 2\n", 0644);
    assert_int_equal(stat(path, &after), 0);
    assert_true(after.st_ino != before.st_ino);
    replace_ok(path, "", 0600);
    contents_are(path, "", 0600);
    assert_int_equal(unit_count_dir(dir), 1);
    (void)umask(old);
}

static void test_failure_leaves_old(void **state UNUSED)
{
    char path[PATH_MAX + 16], sub[PATH_MAX + 16];
    char *err = NULL;

    snprintf(path, sizeof(path), "%s/missing/file", dir);
    assert_int_equal(file_replace(path, "x", 1, (uid_t)-1, (gid_t)-1, 0600, &err), -1);
    assert_non_null(strstr(err, "create"));
    free(err);
    /* rename onto a directory fails: the directory and nothing else stays */
    snprintf(sub, sizeof(sub), "%s/dir", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    err = NULL;
    assert_int_equal(file_replace(sub, "x", 1, (uid_t)-1, (gid_t)-1, 0600, &err), -1);
    assert_non_null(strstr(err, "rename"));
    free(err);
    assert_int_equal(unit_count_dir(dir), 1);
}

static void test_fsync_parent(void **state UNUSED)
{
    char path[PATH_MAX + 16];

    snprintf(path, sizeof(path), "%s/x", dir);
    assert_int_equal(fsync_parent_dir(path), 0);
    assert_int_equal(fsync_parent_dir("/x"), 0);
    assert_int_equal(fsync_parent_dir("x"), 0);
    snprintf(path, sizeof(path), "%s/none/x", dir);
    assert_int_equal(fsync_parent_dir(path), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_replace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failure_leaves_old, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_parent, setup, teardown),
    };

    unit_init("test_file_replace");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
