/*
 * file_replace.c - whole-file replacement by rename (see file_replace.h).
 */
#include "sys_defs.h"
#include "file_replace.h"
#include "iostuff.h"
#include "mymalloc.h"

/* Create the new file under tmp with its final owner and mode; -1 with errno. */
static int replace_create(const char *tmp, uid_t uid, gid_t gid, mode_t mode)
{
    int fd;

    (void)unlink(tmp); /* left by a crash of an earlier run with this pid */
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0600);
    if (fd < 0)
        return -1;
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0) {
        close_quietly(fd);
        return -1;
    }
    /* After the chown, which clears set-id bits; the umask is not ours to obey here. */
    if (fchmod(fd, mode) < 0) {
        close_quietly(fd);
        return -1;
    }
    return fd;
}

int file_replace(const char *path, const void *data, size_t len, uid_t uid, gid_t gid, mode_t mode,
                 char **error_r)
{
    char *tmp = xasprintf("%s.new.%ld", path, (long)getpid());
    const char *what = "create";
    int fd, err;

    if ((fd = replace_create(tmp, uid, gid, mode)) < 0)
        goto fail;
    what = "write";
    if (write_full(fd, data, len) < 0 || fsync(fd) < 0) {
        close_quietly(fd);
        goto fail;
    }
    if (close(fd) < 0)
        goto fail;
    what = "rename";
    if (rename(tmp, path) < 0)
        goto fail;
    free(tmp);
    if (fsync_parent_dir(path) < 0) {
        *error_r = xasprintf("fsync the directory of %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;

fail:
    err = errno;
    *error_r =
        xasprintf("%s %s: %s", what, strcmp(what, "rename") == 0 ? path : tmp, strerror(err));
    (void)unlink(tmp);
    free(tmp);
    errno = err;
    return -1;
}
