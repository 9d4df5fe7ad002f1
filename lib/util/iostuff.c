/*
 * iostuff.c - EINTR-safe, short-write-safe descriptor I/O (see iostuff.h).
 */
#include "sys_defs.h"
#include "iostuff.h"

int write_full(int fd, const void *p, size_t len)
{
    const char *cp = p;

    while (len > 0) {
        ssize_t n = write(fd, cp, len);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        cp += n;
        len -= (size_t)n;
    }
    return 0;
}

int pwrite_full(int fd, const void *p, size_t len, off_t off)
{
    const char *cp = p;

    while (len > 0) {
        ssize_t n = pwrite(fd, cp, len, off);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = EIO;
            return -1;
        }
        cp += n;
        off += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t read_full(int fd, void *p, size_t len)
{
    char *cp = p;
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(fd, cp + got, len - got);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

ssize_t pread_full(int fd, void *p, size_t len, off_t off)
{
    char *cp = p;
    size_t got = 0;

    while (got < len) {
        ssize_t n = pread(fd, cp + got, len - got, off + (off_t)got);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

int fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ret;

    if (fd < 0)
        return -1;
    ret = fsync(fd);
    close_quietly(fd);
    return ret;
}

int fsync_parent_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];

    if (slash == NULL)
        return fsync_dir(".");
    if ((size_t)(slash - path) >= sizeof(dir)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(dir, path, slash == path ? 1 : (size_t)(slash - path));
    dir[slash == path ? 1 : slash - path] = 0;
    return fsync_dir(dir);
}

int set_nonblock(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0)
        return -1;
    flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    return fcntl(fd, F_SETFL, flags);
}

int set_cloexec(int fd, bool on)
{
    int flags = fcntl(fd, F_GETFD);

    if (flags < 0)
        return -1;
    flags = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    return fcntl(fd, F_SETFD, flags);
}

static long long iostuff_now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int poll_fd(int fd, short events, int timeout_ms)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    long long deadline = iostuff_now_ms() + timeout_ms;

    for (;;) {
        int n = poll(&pfd, 1, timeout_ms);

        if (n < 0 && errno == EINTR) {
            /* A signal must not stretch the wait: go on with what is left. */
            if (timeout_ms > 0) {
                long long left = deadline - iostuff_now_ms();

                timeout_ms = left > 0 ? (int)left : 0;
            }
            continue;
        }
        return n < 0 ? -1 : n > 0;
    }
}

void close_quietly(int fd)
{
    int saved = errno;

    if (fd >= 0)
        (void)close(fd);
    errno = saved;
}

int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
    struct stat st;
    int fd, err;

    if (mkdir(path, mode) < 0 && errno != EEXIST)
        return -1;
    /*
     * Owner and mode are set on the directory we opened, never by path:
     * O_NOFOLLOW refuses a symlink in its place, and nothing can be swapped
     * in between the check and the change.
     */
    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
        if (errno == ELOOP)
            errno = ENOTDIR;
        return -1;
    }
    if (fstat(fd, &st) < 0 ||
        ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) < 0) ||
        ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)) {
        err = errno;
        close_quietly(fd);
        errno = err;
        return -1;
    }
    close_quietly(fd);
    return 0;
}
