/*
 * iostuff.h - careful wrappers around the raw file-descriptor system calls.
 *
 * They retry on EINTR, finish short reads and writes, and report failure with
 * errno set, so that callers handle every error exactly once.
 */
#ifndef POSTERN_IOSTUFF_H
#define POSTERN_IOSTUFF_H

#include "sys_defs.h"

/* Write all len bytes (blocking fd); -1 with errno on failure (e.g. ENOSPC). */
int write_full(int fd, const void *p, size_t len) WARN_UNUSED;
/* pwrite all len bytes at offset; -1 with errno on failure. */
int pwrite_full(int fd, const void *p, size_t len, off_t off) WARN_UNUSED;
/* Read up to len bytes, stopping early only at end of file; -1 on error. */
ssize_t read_full(int fd, void *p, size_t len) WARN_UNUSED;
/* pread up to len bytes at off, stopping early only at end of file. */
ssize_t pread_full(int fd, void *p, size_t len, off_t off) WARN_UNUSED;
/* fsync a directory by path, so that renames and creations in it are durable. */
int fsync_dir(const char *path) WARN_UNUSED;
/* fsync the directory that path is in ("." for a bare name), after a rename to path. */
int fsync_parent_dir(const char *path) WARN_UNUSED;
/* Set or clear O_NONBLOCK. */
int set_nonblock(int fd, bool on);
/* Set FD_CLOEXEC. */
int set_cloexec(int fd, bool on);
/* Wait until fd is readable (events=POLLIN) or writable; 1 ready, 0 timeout, -1 error. */
int poll_fd(int fd, short events, int timeout_ms);
/* close() that keeps errno and ignores EINTR (Linux closes the fd anyway). */
void close_quietly(int fd);
/* Create a directory (and no parents) if missing, then set owner and mode. */
int make_dir(const char *path, mode_t mode, uid_t uid, gid_t gid) WARN_UNUSED;

#endif
