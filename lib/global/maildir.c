/*
 * maildir.c - Maildir delivery with duplicate detection (see maildir.h).
 */
#include "sys_defs.h"
#include "maildir.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "crash_point.h"

void maildir_base_name(char *out, size_t len, long long sec, long usec, const char *queue_id,
                       long long rcpt_offset)
{
    char host[256], safe[256 * 4];
    size_t i, o = 0;

    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = 0;
    /* '/' and ':' cannot appear in a Maildir host part (":2," starts the flags). */
    for (i = 0; host[i] && o + 5 < sizeof(safe); i++) {
        if (host[i] == '/' || host[i] == ':')
            o += (size_t)snprintf(safe + o, sizeof(safe) - o, "\\%03o", host[i]);
        else
            safe[o++] = host[i];
    }
    safe[o] = 0;
    snprintf(out, len, "%lld.M%06ldQ%sR%lld.%s", sec, usec, queue_id, rcpt_offset, safe);
}

static int maildir_dirs(const char *path)
{
    static const char *const sub[] = {"", "/tmp", "/new", "/cur"};
    char dir[PATH_MAX];
    size_t i;

    for (i = 0; i < COUNTOF(sub); i++) {
        snprintf(dir, sizeof(dir), "%s%s", path, sub[i]);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* Is there a file in cur/ for this base name (with any flags)? */
static int maildir_in_cur(const char *path, const char *base)
{
    char dir[PATH_MAX];
    size_t blen = strlen(base);
    struct dirent *de;
    DIR *d;
    int found = 0;

    snprintf(dir, sizeof(dir), "%s/cur", path);
    if ((d = opendir(dir)) == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, base, blen) == 0 &&
            (de->d_name[blen] == ',' || de->d_name[blen] == ':' || de->d_name[blen] == 0)) {
            found = 1;
            break;
        }
    }
    (void)closedir(d);
    return found;
}

static int maildir_fail(char **error_r, const char *what, const char *file)
{
    int err = errno;

    *error_r = xasprintf("%s %s: %s", what, file, strerror(err));
    errno = err;
    return -1;
}

/*
 * Write the message into a file under tmp/ and fsync it.  Where the file
 * system can, the file is an O_TMPFILE: an inode with no name, so creating
 * it takes no lock on tmp/ (busy mailboxes otherwise queue up on that lock
 * while the file system allocates an inode), and a crash leaves nothing to
 * clean up.  *named_r says whether the file has the name tmp.
 */
static int maildir_write_tmp(const char *path, const char *tmp, maildir_write_fn fn, void *ctx,
                             long long *size_r, bool *named_r, char **error_r)
{
    char dir[PATH_MAX];
    int fd;

    snprintf(dir, sizeof(dir), "%s/tmp", path);
    *named_r = false;
    fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
    if (fd < 0 && errno == ENOENT) {
        /* The first delivery to this user: make the Maildir. */
        if (maildir_dirs(path) < 0)
            return maildir_fail(error_r, "create maildir", path);
        fd = open(dir, O_WRONLY | O_TMPFILE | O_CLOEXEC, 0600);
    }
    if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
        *named_r = true;
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    }
    if (fd < 0)
        return maildir_fail(error_r, "create", *named_r ? tmp : dir);
    *size_r = fn(fd, ctx);
    if (*size_r < 0 || fsync(fd) < 0) {
        int err = errno;

        close_quietly(fd);
        if (*named_r)
            (void)unlink(tmp);
        errno = err;
        return maildir_fail(error_r, "write", *named_r ? tmp : dir);
    }
    return fd;
}

/* Give the written file its name in new/; EEXIST means "already delivered". */
static int maildir_link(int fd, bool named, const char *tmp, const char *final)
{
    char proc[64];

    if (named)
        return link(tmp, final);
    /* linkat(AT_EMPTY_PATH) needs a capability; the /proc name does not. */
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    return linkat(AT_FDCWD, proc, AT_FDCWD, final, AT_SYMLINK_FOLLOW);
}

int maildir_deliver(const char *path, const char *base, bool check_cur, maildir_write_fn fn,
                    void *ctx, char **error_r)
{
    char tmp[PATH_MAX], final[PATH_MAX], newdir[PATH_MAX];
    long long size;
    bool named;
    int fd, dup, err;

    snprintf(tmp, sizeof(tmp), "%s/tmp/%s.%ld", path, base, (long)getpid());
    if ((fd = maildir_write_tmp(path, tmp, fn, ctx, &size, &named, error_r)) < 0)
        return -1;
    CRASH_POINT(MAILDIR_WRITTEN);
    if (check_cur && (dup = maildir_in_cur(path, base)) != 0) {
        close_quietly(fd);
        if (named)
            (void)unlink(tmp);
        if (dup < 0)
            return maildir_fail(error_r, "search cur/ of", path);
        return MAILDIR_DUPLICATE;
    }
    snprintf(final, sizeof(final), "%s/new/%s,S=%lld", path, base, size);
    if (maildir_link(fd, named, tmp, final) < 0) {
        err = errno;
        close_quietly(fd);
        if (named)
            (void)unlink(tmp);
        if (err == EEXIST)
            return MAILDIR_DUPLICATE;
        errno = err;
        return maildir_fail(error_r, "link to", final);
    }
    CRASH_POINT(MAILDIR_LINKED);
    err = close(fd) < 0 ? errno : 0;
    if (named && unlink(tmp) < 0)
        msg_warn("remove %s: %m", tmp);
    if (err != 0) {
        errno = err;
        return maildir_fail(error_r, "close", final);
    }
    snprintf(newdir, sizeof(newdir), "%s/new", path);
    if (fsync_dir(newdir) < 0) {
        /* The name may not survive a crash; the caller retries, and the
         * retry finds the file if it did survive. */
        return maildir_fail(error_r, "fsync", newdir);
    }
    CRASH_POINT(MAILDIR_SYNCED);
    return MAILDIR_DELIVERED;
}
