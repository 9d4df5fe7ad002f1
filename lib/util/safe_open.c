/*
 * safe_open.c - a root-safe open for appending (see safe_open.h).
 *
 * The path is walked one name at a time with O_PATH | O_NOFOLLOW, each
 * directory checked as it is reached, so the check and the use are the
 * same open descriptors and nothing can be swapped in between.
 */
#include "sys_defs.h"
#include "safe_open.h"
#include "iostuff.h"
#include "mymalloc.h"

#define SAFE_OPEN_LINKS_MAX 8 /* symlinks followed along one path */

/* Root, and the effective user unless safe_open_dir_root() says not, are the owners we trust. */
static bool safe_root_only;

static bool safe_owner_ok(uid_t uid)
{
    return uid == 0 || (!safe_root_only && uid == geteuid());
}

/* May the effective user trust what this directory's entries point to? */
static bool safe_dir_ok(int fd)
{
    struct stat st;

    if (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || !safe_owner_ok(st.st_uid))
        return false;
    /* Others may write into a sticky directory but cannot replace our names. */
    return (st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0;
}

static int safe_fail(int fd, const char *why, const char **error_r)
{
    int err = errno;

    if (fd >= 0)
        close_quietly(fd);
    *error_r = why;
    errno = err;
    return -1;
}

/*
 * Walk the directories of path (all but its last name) from dirfd, which is
 * consumed; returns a descriptor of the last directory and puts the file's
 * name in base.
 */
static int safe_walk(int dirfd, const char *path, int *links, char *base, size_t blen,
                     const char **error_r)
{
    char name[NAME_MAX + 1], target[PATH_MAX];
    const char *p = path;

    for (;;) {
        size_t n;
        int fd;
        struct stat st;
        ssize_t tlen;

        while (*p == '/')
            p++;
        n = strcspn(p, "/");
        if (n == 0 || n > NAME_MAX)
            return safe_fail(dirfd, "bad file name", error_r);
        memcpy(name, p, n);
        name[n] = 0;
        p += n;
        while (*p == '/')
            p++;
        if (*p == 0) { /* the last name: the file itself */
            if (n >= blen)
                return safe_fail(dirfd, "bad file name", error_r);
            memcpy(base, name, n + 1);
            return dirfd;
        }
        if (!safe_dir_ok(dirfd))
            return safe_fail(dirfd, "a directory on the path is not root's alone", error_r);
        fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0)
            return safe_fail(dirfd, "a directory on the path is missing", error_r);
        if (S_ISDIR(st.st_mode)) {
            close_quietly(dirfd);
            dirfd = fd;
            continue;
        }
        if (!S_ISLNK(st.st_mode) || !safe_owner_ok(st.st_uid) || ++*links > SAFE_OPEN_LINKS_MAX) {
            close_quietly(fd);
            errno = ENOTDIR;
            return safe_fail(dirfd, "a name on the path is not a directory", error_r);
        }
        /* Root's symlink in root's directory: as safe as the path it names. */
        tlen = readlinkat(fd, "", target, sizeof(target) - 1);
        close_quietly(fd);
        if (tlen <= 0 || (size_t)tlen + strlen(p) + 2 >= sizeof(target))
            return safe_fail(dirfd, "cannot follow a symlink on the path", error_r);
        target[tlen] = '/';
        memcpy(target + tlen + 1, p, strlen(p) + 1);
        if (target[0] == '/') {
            close_quietly(dirfd);
            if ((dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                return safe_fail(-1, "cannot open /", error_r);
        }
        return safe_walk(dirfd, target, links, base, blen, error_r);
    }
}

int safe_open_append(const char *path, mode_t mode, const char **error_r)
{
    char base[NAME_MAX + 1];
    struct stat st;
    int links = 0, dirfd, fd;

    if (path[0] != '/') {
        errno = EINVAL;
        *error_r = "not an absolute path";
        return -1;
    }
    if ((dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        return safe_fail(-1, "cannot open /", error_r);
    if ((dirfd = safe_walk(dirfd, path, &links, base, sizeof(base), error_r)) < 0)
        return -1;
    if (!safe_dir_ok(dirfd))
        return safe_fail(dirfd, "its directory is not root's alone", error_r);
    /* O_NONBLOCK: a FIFO without a reader fails instead of hanging us. */
    fd = openat(dirfd, base,
                O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                mode);
    close_quietly(dirfd);
    if (fd < 0)
        return safe_fail(-1, errno == ELOOP ? "is a symbolic link" : strerror(errno), error_r);
    if (fstat(fd, &st) < 0)
        return safe_fail(fd, strerror(errno), error_r);
    if (!S_ISREG(st.st_mode))
        return safe_fail(fd, "not a regular file", error_r);
    if (st.st_nlink != 1)
        return safe_fail(fd, "has more than one name (a hard link)", error_r);
    if (!safe_owner_ok(st.st_uid))
        return safe_fail(fd, "not owned by root", error_r);
    if (set_nonblock(fd, false) < 0)
        return safe_fail(fd, strerror(errno), error_r);
    return fd;
}

int safe_open_dir(const char *dir, const char **error_r)
{
    char base[NAME_MAX + 1], *path;
    int links = 0, dirfd;

    if (dir[0] != '/') {
        errno = EINVAL;
        *error_r = "not an absolute path";
        return -1;
    }
    /* Walk to dir itself: every name of "dir/x" but the last. */
    path = xasprintf("%s/x", dir);
    if ((dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
        free(path);
        return safe_fail(-1, "cannot open /", error_r);
    }
    dirfd = safe_walk(dirfd, path, &links, base, sizeof(base), error_r);
    free(path);
    if (dirfd < 0)
        return -1;
    if (!safe_dir_ok(dirfd))
        return safe_fail(dirfd, "the directory is not root's alone", error_r);
    return dirfd;
}

int safe_open_dir_root(const char *dir, const char **error_r)
{
    int fd;

    safe_root_only = true;
    fd = safe_open_dir(dir, error_r);
    safe_root_only = false;
    return fd;
}
