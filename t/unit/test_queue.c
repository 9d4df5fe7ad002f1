/*
 * test_queue.c - queue IDs (made from time and inode, recognised strictly),
 * queue names, and moving and linking between queues without ever losing
 * or merging a message: a crash between link and unlink leaves two names of
 * one file, which a retry cleans up, while a different file under the
 * target name is never replaced.
 */
#include "unit.h"
#include "queue.h"

static char dir[PATH_MAX];
static int old_cwd = -1;

static int setup(void **state UNUSED)
{
    static const char *const queues[] = {QUEUE_INCOMING, QUEUE_LOCAL, QUEUE_REMOTE, QUEUE_DEFERRED,
                                         QUEUE_SPARE};
    size_t i;

    unit_mkdtemp(dir, sizeof(dir));
    old_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(old_cwd >= 0);
    assert_int_equal(chdir(dir), 0);
    for (i = 0; i < COUNTOF(queues); i++)
        assert_int_equal(mkdir(queues[i], 0700), 0);
    return 0;
}

static int teardown(void **state UNUSED)
{
    assert_int_equal(fchdir(old_cwd), 0);
    (void)close(old_cwd);
    unit_rmtree(dir);
    return 0;
}

static void test_id_make(void **state UNUSED)
{
    static const struct {
        long usec;
        unsigned long long ino;
        const char *want;
    } cases[] = {
        {0x12345, 0xABCDEF, "12345ABCDEF"}, {0, 1, "000001"},
        {999999, 0x10, "F423F10"},          {0, 0xFFFFFFFFFFFFFFFFULL, "00000FFFFFFFFFFFFFFFF"},
        {0x123456, 0x1, "234561"}, /* only 5 hex digits of time */
    };
    char id[QUEUE_ID_MAX + 1];
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++) {
        queue_id_make(id, sizeof(id), cases[i].usec, (ino_t)cases[i].ino);
        assert_string_equal(id, cases[i].want);
        assert_true(queue_id_ok(id));
    }
    queue_id_make(id, 8, 0x12345, 0xABCDEF); /* truncated, terminated */
    assert_string_equal(id, "12345AB");
}

static void test_id_ok(void **state UNUSED)
{
    static const struct {
        const char *name;
        bool ok;
    } cases[] = {
        {"12345ABCDEF", true},
        {"123456", true},
        {"0123456789ABCDEF01234567", true}, /* QUEUE_ID_MAX */
        {"0123456789ABCDEF012345678", false},
        {"12345", false},
        {"", false},
        {"12345abcdef", false},
        {"12345G", false},
        {".12345ABC", false},
        {".1234.0", false},
        {"12345ABC.tmp", false},
        {"incoming", false},
        {"12345 ABC", false},
        {"../12345", false},
    };
    size_t i;

    for (i = 0; i < COUNTOF(cases); i++)
        if (queue_id_ok(cases[i].name) != cases[i].ok)
            fail_msg("\"%s\" should be %s", cases[i].name, cases[i].ok ? "valid" : "invalid");
}

static void test_names_and_paths(void **state UNUSED)
{
    static const char *const yes[] = {QUEUE_MAILDROP, QUEUE_INCOMING, QUEUE_LOCAL,  QUEUE_REMOTE,
                                      QUEUE_DEFERRED, QUEUE_HOLD,     QUEUE_CORRUPT};
    static const char *const no[] = {QUEUE_PRIVATE, QUEUE_PUBLIC, QUEUE_PID,   "",
                                     "../incoming", "Incoming",   "incoming/", "active"};
    char path[64];
    size_t i;

    for (i = 0; i < COUNTOF(yes); i++)
        assert_true(queue_name_ok(yes[i]));
    for (i = 0; i < COUNTOF(no); i++)
        if (queue_name_ok(no[i]))
            fail_msg("\"%s\" is not a message queue", no[i]);
    queue_path(path, sizeof(path), QUEUE_DEFERRED, "ABCDEF1");
    assert_string_equal(path, "deferred/ABCDEF1");
}

static void make_file(const char *queue, const char *id, const char *text)
{
    char path[64];

    queue_path(path, sizeof(path), queue, id);
    unit_write_text(path, text);
}

static ino_t inode_of(const char *queue, const char *id)
{
    char path[64];
    struct stat st;

    queue_path(path, sizeof(path), queue, id);
    if (stat(path, &st) < 0)
        return 0;
    return st.st_ino;
}

static void test_move(void **state UNUSED)
{
    ino_t ino;

    make_file(QUEUE_INCOMING, "AAAAAA1", "message");
    ino = inode_of(QUEUE_INCOMING, "AAAAAA1");
    assert_int_equal(queue_move(QUEUE_INCOMING, QUEUE_LOCAL, "AAAAAA1"), 0);
    assert_int_equal(inode_of(QUEUE_INCOMING, "AAAAAA1"), 0);
    assert_int_equal(inode_of(QUEUE_LOCAL, "AAAAAA1"), ino); /* the same file, renamed */

    /* Nothing to move. */
    errno = 0;
    assert_int_equal(queue_move(QUEUE_INCOMING, QUEUE_LOCAL, "AAAAAA1"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(inode_of(QUEUE_LOCAL, "AAAAAA1"), ino);
    assert_int_equal(unlink("local/AAAAAA1"), 0);
}

static void test_move_after_crash(void **state UNUSED)
{
    ino_t ino;

    /* A crash between link() and unlink() left both names of one file. */
    make_file(QUEUE_INCOMING, "BBBBBB2", "message");
    ino = inode_of(QUEUE_INCOMING, "BBBBBB2");
    assert_int_equal(link("incoming/BBBBBB2", "local/BBBBBB2"), 0);
    assert_int_equal(queue_move(QUEUE_INCOMING, QUEUE_LOCAL, "BBBBBB2"), 0);
    assert_int_equal(inode_of(QUEUE_INCOMING, "BBBBBB2"), 0);
    assert_int_equal(inode_of(QUEUE_LOCAL, "BBBBBB2"), ino);
    assert_int_equal(unlink("local/BBBBBB2"), 0);
}

static void test_move_never_replaces(void **state UNUSED)
{
    size_t len;
    unsigned char *text;

    /* Another file under the target name: refused, and both are kept. */
    make_file(QUEUE_INCOMING, "CCCCCC3", "new message");
    make_file(QUEUE_DEFERRED, "CCCCCC3", "old message");
    errno = 0;
    assert_int_equal(queue_move(QUEUE_INCOMING, QUEUE_DEFERRED, "CCCCCC3"), -1);
    assert_int_equal(errno, EEXIST);
    text = unit_read_file("incoming/CCCCCC3", &len);
    assert_string_equal((char *)text, "new message");
    free(text);
    text = unit_read_file("deferred/CCCCCC3", &len);
    assert_string_equal((char *)text, "old message");
    free(text);
    errno = 0;
    assert_int_equal(queue_link(QUEUE_INCOMING, QUEUE_DEFERRED, "CCCCCC3"), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(unlink("incoming/CCCCCC3"), 0);
    assert_int_equal(unlink("deferred/CCCCCC3"), 0);
}

static void test_link(void **state UNUSED)
{
    struct stat st;
    ino_t ino;

    make_file(QUEUE_INCOMING, "DDDDDD4", "split message");
    ino = inode_of(QUEUE_INCOMING, "DDDDDD4");
    /* One file in local/ and remote/: one ID, shared status bytes. */
    assert_int_equal(queue_link(QUEUE_INCOMING, QUEUE_LOCAL, "DDDDDD4"), 0);
    assert_int_equal(queue_link(QUEUE_INCOMING, QUEUE_REMOTE, "DDDDDD4"), 0);
    assert_int_equal(queue_link(QUEUE_INCOMING, QUEUE_LOCAL, "DDDDDD4"), 0); /* again: fine */
    assert_int_equal(inode_of(QUEUE_LOCAL, "DDDDDD4"), ino);
    assert_int_equal(inode_of(QUEUE_REMOTE, "DDDDDD4"), ino);
    assert_int_equal(stat("incoming/DDDDDD4", &st), 0);
    assert_int_equal(st.st_nlink, 3);
    assert_int_equal(inode_of(QUEUE_INCOMING, "DDDDDD4"), ino); /* the source stays */

    errno = 0;
    assert_int_equal(queue_link(QUEUE_INCOMING, QUEUE_LOCAL, "EEEEEE5"), -1);
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_int_equal(queue_link(QUEUE_INCOMING, "nonexistent", "DDDDDD4"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(unlink("incoming/DDDDDD4"), 0);
    assert_int_equal(unlink("local/DDDDDD4"), 0);
    assert_int_equal(unlink("remote/DDDDDD4"), 0);
}

static void test_dirs_create(void **state UNUSED)
{
    static const struct {
        const char *name;
        mode_t mode;
        int owner; /* 0 root, 1 owner, 2 owner + setgid group */
    } want[] = {
        {"", 0755, 0},
        {QUEUE_INCOMING, 0700, 1},
        {QUEUE_LOCAL, 0700, 1},
        {QUEUE_REMOTE, 0700, 1},
        {QUEUE_DEFERRED, 0700, 1},
        {QUEUE_HOLD, 0700, 1},
        {QUEUE_CORRUPT, 0700, 1},
        {QUEUE_PRIVATE, 0700, 1},
        {QUEUE_PUBLIC, 0710, 2},
        {QUEUE_PID, 0755, 0},
        {QUEUE_MAILDROP, 01730, 2},
    };
    char qdir[PATH_MAX + 16], path[PATH_MAX + 64];
    char *err = NULL;
    struct stat st;
    size_t i;
    int round;

    if (geteuid() != 0)
        fail_msg("this test needs root (make check runs as root)");
    snprintf(qdir, sizeof(qdir), "%s/spool", dir);
    /* Twice: the second run finds everything and changes nothing. */
    for (round = 0; round < 2; round++) {
        if (queue_dirs_create(qdir, 54321, 54322, 54323, &err) != 0)
            fail_msg("queue_dirs_create: %s", err);
        for (i = 0; i < COUNTOF(want); i++) {
            snprintf(path, sizeof(path), "%s/%s", qdir, want[i].name);
            assert_int_equal(lstat(path, &st), 0);
            assert_true(S_ISDIR(st.st_mode));
            if ((st.st_mode & 07777) != want[i].mode)
                fail_msg("%s: mode %o, want %o", path, st.st_mode & 07777, want[i].mode);
            assert_int_equal(st.st_uid, want[i].owner ? 54321 : 0);
            assert_int_equal(st.st_gid, want[i].owner == 2   ? 54323
                                        : want[i].owner == 1 ? 54322
                                                             : 0);
        }
    }
    /* A file where a queue should be. */
    snprintf(path, sizeof(path), "%s/%s", qdir, QUEUE_HOLD);
    assert_int_equal(rmdir(path), 0);
    unit_write_text(path, "x");
    assert_int_equal(queue_dirs_create(qdir, 54321, 54322, 54323, &err), -1);
    assert_non_null(strstr(err, path));
    free(err);
}

static void test_recycle_and_take(void **state UNUSED)
{
    char id[16], path[64];
    ino_t ino;
    int i;

    /* A finished file is parked in spare/, keeping its inode... */
    make_file(QUEUE_LOCAL, "CCCCCC3", "old content");
    ino = inode_of(QUEUE_LOCAL, "CCCCCC3");
    assert_int_equal(queue_recycle(QUEUE_LOCAL, "CCCCCC3"), 0);
    assert_int_equal(inode_of(QUEUE_LOCAL, "CCCCCC3"), 0);
    assert_int_equal(inode_of(QUEUE_SPARE, "CCCCCC3"), ino);
    /* ...and a writer takes it back under its own temporary name. */
    assert_int_equal(queue_spare_take("incoming/.take1"), 0);
    assert_int_equal(inode_of(QUEUE_SPARE, "CCCCCC3"), 0);
    assert_int_equal(inode_of(QUEUE_INCOMING, ".take1"), ino);
    assert_int_equal(unlink("incoming/.take1"), 0);

    /* spare/ never holds more than QUEUE_SPARE_MAX files; the rest are removed. */
    for (i = 0; i < QUEUE_SPARE_MAX + 10; i++) {
        snprintf(id, sizeof(id), "D%06X", i);
        make_file(QUEUE_LOCAL, id, "x");
        assert_int_equal(queue_recycle(QUEUE_LOCAL, id), 0);
        queue_path(path, sizeof(path), QUEUE_LOCAL, id);
        assert_int_equal(access(path, F_OK), -1);
    }
    assert_int_equal(unit_count_dir(QUEUE_SPARE), QUEUE_SPARE_MAX);
    /* Every parked file can be taken, each exactly once. */
    for (i = 0; i < QUEUE_SPARE_MAX; i++) {
        snprintf(path, sizeof(path), "incoming/.t%d", i);
        assert_int_equal(queue_spare_take(path), 0);
        assert_int_equal(unlink(path), 0);
    }
    assert_int_equal(unit_count_dir(QUEUE_SPARE), 0);
    /* Nothing left: the caller creates a new file instead. */
    assert_int_equal(queue_spare_take("incoming/.take2"), -1);
    assert_int_equal(access("incoming/.take2", F_OK), -1);
}

/*
 * BUG: a finished file that still had another queue name was renamed into
 * spare/ (rename onto another link of the same inode does nothing, so the
 * old name stayed too), and spare/ ended up handing out shared inodes.
 */
static void test_recycle_refuses_second_name(void **state UNUSED)
{
    char path[64];

    make_file(QUEUE_LOCAL, "EEEEEE5", "content");
    assert_int_equal(queue_link(QUEUE_LOCAL, QUEUE_INCOMING, "EEEEEE5"), 0);
    assert_int_equal(queue_recycle(QUEUE_LOCAL, "EEEEEE5"), 0);
    /* The name asked for is gone, and nothing went to spare/. */
    assert_int_equal(inode_of(QUEUE_LOCAL, "EEEEEE5"), 0);
    assert_int_equal(inode_of(QUEUE_SPARE, "EEEEEE5"), 0);
    assert_int_equal(unit_count_dir(QUEUE_SPARE), 0);
    queue_path(path, sizeof(path), QUEUE_INCOMING, "EEEEEE5");
    assert_int_equal(unlink(path), 0);
    /* A name that is already gone is not an error. */
    assert_int_equal(queue_recycle(QUEUE_LOCAL, "EEEEEE5"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_make),
        cmocka_unit_test(test_id_ok),
        cmocka_unit_test(test_names_and_paths),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_move_after_crash),
        cmocka_unit_test(test_move_never_replaces),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_dirs_create),
        cmocka_unit_test(test_recycle_and_take),
        cmocka_unit_test(test_recycle_refuses_second_name),
    };

    unit_init("test_queue");
    return cmocka_run_group_tests(tests, setup, teardown);
}
