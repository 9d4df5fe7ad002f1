/*
 * queue.c - queue IDs, queue paths and moves between queues (see queue.h).
 */
#include "sys_defs.h"
#include "queue.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "strutil.h"

static const char *const queue_names[] = {
    QUEUE_MAILDROP, QUEUE_INCOMING, QUEUE_LOCAL,   QUEUE_REMOTE,
    QUEUE_DEFERRED, QUEUE_HOLD,     QUEUE_CORRUPT,
};

void queue_id_make(char *out, size_t len, long usec, ino_t ino)
{
    snprintf(out, len, "%05lX%llX", (unsigned long)usec & 0xfffff, (unsigned long long)ino);
}

bool queue_id_ok(const char *name)
{
    size_t n;

    for (n = 0; name[n]; n++)
        if (!((name[n] >= '0' && name[n] <= '9') || (name[n] >= 'A' && name[n] <= 'F')))
            return false;
    return n >= 6 && n <= QUEUE_ID_MAX;
}

bool queue_name_ok(const char *name)
{
    size_t i;

    for (i = 0; i < COUNTOF(queue_names); i++)
        if (strcmp(queue_names[i], name) == 0)
            return true;
    return false;
}

void queue_path(char *out, size_t len, const char *queue, const char *id)
{
    snprintf(out, len, "%s/%s", queue, id);
}

int queue_dirs_create(const char *queue_dir, uid_t owner, gid_t owner_gid, gid_t setgid_group,
                      char **error_r)
{
    static const struct {
        const char *name;
        mode_t mode;
        bool root; /* owned by root rather than mail_owner */
    } dirs[] = {
        {QUEUE_INCOMING, 0700, false}, {QUEUE_LOCAL, 0700, false},  {QUEUE_REMOTE, 0700, false},
        {QUEUE_DEFERRED, 0700, false}, {QUEUE_HOLD, 0700, false},   {QUEUE_CORRUPT, 0700, false},
        {QUEUE_PRIVATE, 0700, false},  {QUEUE_PUBLIC, 0710, false}, {QUEUE_SPARE, 0700, false},
        {QUEUE_PID, 0755, true},
    };
    char path[PATH_MAX];
    size_t i;

    if (make_dir(queue_dir, 0755, 0, 0) < 0) {
        *error_r = xasprintf("queue directory %s: %s", queue_dir, strerror(errno));
        return -1;
    }
    for (i = 0; i < COUNTOF(dirs); i++) {
        uid_t uid = dirs[i].root ? 0 : owner;
        gid_t gid = dirs[i].root ? 0 : owner_gid;

        if (strcmp(dirs[i].name, QUEUE_PUBLIC) == 0)
            gid = setgid_group;
        snprintf(path, sizeof(path), "%s/%s", queue_dir, dirs[i].name);
        if (make_dir(path, dirs[i].mode, uid, gid) < 0) {
            *error_r = xasprintf("queue directory %s: %s", path, strerror(errno));
            return -1;
        }
    }
    /* maildrop: writable by the postdrop group through the setgid helper */
    snprintf(path, sizeof(path), "%s/%s", queue_dir, QUEUE_MAILDROP);
    if (make_dir(path, 01730, owner, setgid_group) < 0) {
        *error_r = xasprintf("queue directory %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int queue_link(const char *queue, const char *new_queue, const char *id)
{
    char from[64], to[64];

    queue_path(from, sizeof(from), queue, id);
    queue_path(to, sizeof(to), new_queue, id);
    if (link(from, to) == 0)
        return 0;
    if (errno == EEXIST) {
        struct stat a, b;

        /* Only the same file counts as already there; never merge two. */
        if (stat(from, &a) < 0 || stat(to, &b) < 0)
            return -1;
        if (a.st_ino == b.st_ino && a.st_dev == b.st_dev)
            return 0;
        errno = EEXIST;
    }
    return -1;
}

int queue_mark_ready(const char *id)
{
    char path[64];

    queue_path(path, sizeof(path), QUEUE_INCOMING, id);
    /* By name: incoming/ is mail_owner's, and so is the caller (local switches first). */
    return chmod(path, QUEUE_MODE_READY);
}

int queue_move(const char *queue, const char *new_queue, const char *id)
{
    char from[64];

    if (queue_link(queue, new_queue, id) < 0)
        return -1;
    queue_path(from, sizeof(from), queue, id);
    if (unlink(from) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

/*
 * How many spare files there are: counted at most once a second, counted
 * up by this process's own recycling in between, and counted again (at
 * most every QUEUE_SPARE_RECOUNT_MS) whenever that says "full", because
 * writers take files away meanwhile and a stale "full" would make us
 * delete files that are needed.
 */
#define QUEUE_SPARE_RECOUNT_MS 50

static int queue_spare_counted = -1;
static long long queue_spare_count_ms;

static long long queue_now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int queue_spare_count(void)
{
    long long now = queue_now_ms(), age = now - queue_spare_count_ms;
    struct dirent *de;
    DIR *d;

    if (queue_spare_counted >= 0 && age < 1000 &&
        (queue_spare_counted < QUEUE_SPARE_MAX || age < QUEUE_SPARE_RECOUNT_MS))
        return queue_spare_counted;
    queue_spare_count_ms = now;
    queue_spare_counted = 0;
    if ((d = opendir(QUEUE_SPARE)) == NULL)
        return queue_spare_counted = QUEUE_SPARE_MAX;
    while ((de = readdir(d)) != NULL)
        queue_spare_counted += de->d_name[0] != '.';
    (void)closedir(d);
    return queue_spare_counted;
}

int queue_recycle(const char *queue, const char *id)
{
    char from[64], to[64];
    struct stat st;

    queue_path(from, sizeof(from), queue, id);
    if (lstat(from, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (st.st_nlink != 1 || !S_ISREG(st.st_mode)) {
        /* qmgr, the only process that links queue files, reconciles every
         * name at load; a file that still has another is a bug: log it, and
         * at least never hand it out again. */
        msg_warn("%s/%s: queue file has %lu names; not recycled", queue, id,
                 (unsigned long)st.st_nlink);
    } else if (queue_spare_count() < QUEUE_SPARE_MAX) {
        queue_path(to, sizeof(to), QUEUE_SPARE, id);
        if (rename(from, to) == 0) {
            queue_spare_counted++;
            return 0;
        }
    }
    if (unlink(from) < 0 && errno != ENOENT)
        return -1;
    return 0;
}

/*
 * Names seen in spare/ by this process and not yet tried.  Several writers
 * may race for the same name; rename() lets exactly one of them win.
 */
static char **queue_spare_names;
static size_t queue_spare_next, queue_spare_total, queue_spare_start;
static time_t queue_spare_empty_since;

static void queue_spare_refill(void)
{
    struct dirent *de;
    DIR *d;

    str_list_free(queue_spare_names);
    queue_spare_names = NULL;
    queue_spare_next = queue_spare_total = 0;
    /* An empty spare/ is not looked at again for a second. */
    if (queue_spare_empty_since == time(NULL) || (d = opendir(QUEUE_SPARE)) == NULL)
        return;
    queue_spare_names = xcalloc(QUEUE_SPARE_MAX + 1, sizeof(char *));
    while ((de = readdir(d)) != NULL && queue_spare_total < QUEUE_SPARE_MAX)
        if (queue_id_ok(de->d_name))
            queue_spare_names[queue_spare_total++] = xstrdup(de->d_name);
    (void)closedir(d);
    if (queue_spare_total == 0)
        queue_spare_empty_since = time(NULL);
    else
        queue_spare_start = (size_t)getpid() % queue_spare_total;
}

int queue_spare_take(const char *path)
{
    char from[64];

    for (int pass = 0; pass < 2; pass++) {
        while (queue_spare_next < queue_spare_total) {
            /* Each process walks its list from its own starting point, so
             * that many writers do not all race for the same first names. */
            size_t i = (queue_spare_next++ + queue_spare_start) % queue_spare_total;

            queue_path(from, sizeof(from), QUEUE_SPARE, queue_spare_names[i]);
            if (rename(from, path) == 0) {
                if (queue_spare_counted > 0)
                    queue_spare_counted--;
                return 0;
            }
        }
        if (pass == 0)
            queue_spare_refill();
    }
    return -1;
}
