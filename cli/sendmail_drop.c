/*
 * sendmail_drop.c - the hand-over to postdrop (see sendmail.h): postdrop
 * runs from command_directory with the message's records on a pipe
 * (maildrop.h), as Postfix's sendmail runs its postdrop.  Only postdrop's
 * exit status 0 means the message is safe; postdrop prints the reason for
 * anything else, so sendmail passes its status on and adds no second line.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "sendmail.h"
#include "iostuff.h"
#include "mail_params.h"
#include "maildrop.h"
#include "msg.h"

#define SM_ENVELOPE_FLUSH 65536

/* The envelope records, written as they fill a buffer. */
static int sm_write_envelope(int fd, const struct sm_envelope *e, size_t content_len)
{
    struct buf b;
    size_t i;
    int ret = 0;

    buf_init(&b, 2 * SM_ENVELOPE_FLUSH);
    maildrop_put(&b, QFILE_REC_SENDER, e->sender, strlen(e->sender));
    if (e->dsn_ret)
        maildrop_put_attr(&b, MAILDROP_ATTR_DSN_RET, e->dsn_ret);
    if (e->dsn_envid)
        maildrop_put_attr(&b, MAILDROP_ATTR_DSN_ENVID, e->dsn_envid);
    for (i = 0; i < e->n && ret == 0; i++) {
        maildrop_put_rcpt(&b, e->rcpts[i].address, e->rcpts[i].notify);
        if (b.len >= SM_ENVELOPE_FLUSH) {
            ret = write_full(fd, b.data, b.len);
            buf_reset(&b);
        }
    }
    maildrop_put_content(&b, content_len);
    if (ret == 0)
        ret = write_full(fd, b.data, b.len);
    buf_free(&b);
    return ret;
}

static int sm_write_message(int fd, const struct sm_envelope *e, const struct buf *header,
                            const unsigned char *body, size_t body_len)
{
    struct buf end;
    int ret;

    if (sm_write_envelope(fd, e, header->len + body_len) < 0 ||
        write_full(fd, header->data, header->len) < 0 || write_full(fd, body, body_len) < 0)
        return -1;
    buf_init(&end, 16);
    maildrop_put(&end, QFILE_REC_END, "", 0);
    ret = write_full(fd, end.data, end.len);
    buf_free(&end);
    return ret;
}

static pid_t sm_spawn(int *fd_r)
{
    char path[PATH_MAX], *argv[8];
    int p[2], n = 0;
    pid_t pid;

    snprintf(path, sizeof(path), "%s/postdrop", var_command_dir);
    argv[n++] = "postdrop";
    argv[n++] = "-c";
    argv[n++] = (char *)sm_config_dir;
    if (msg_verbose)
        argv[n++] = "-v";
    argv[n] = NULL;
    if (pipe2(p, O_CLOEXEC) < 0)
        sm_fail(EX_OSERR, "pipe: %m");
    if ((pid = fork()) < 0)
        sm_fail(EX_OSERR, "fork: %m");
    if (pid == 0) {
        if (dup2(p[0], 0) < 0)
            _exit(EX_OSERR);
        execv(path, argv);
        msg_error("%s(%ld): execute %s: %m", sm_login(), (long)getuid(), path);
        _exit(EX_UNAVAILABLE);
    }
    close_quietly(p[0]);
    *fd_r = p[1];
    return pid;
}

int sm_drop(const struct sm_envelope *e, const struct buf *header, const unsigned char *body,
            size_t body_len)
{
    int fd, status, err = 0;
    pid_t pid = sm_spawn(&fd);

    /* A write fails when postdrop gave up: its status says why. */
    if (sm_write_message(fd, e, header, body, body_len) < 0)
        err = errno;
    close_quietly(fd);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            sm_fail(EX_OSERR, "waitpid: %m");
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) {
        msg_error("%s(%ld): postdrop was killed by signal %d; the message was not queued",
                  sm_login(), (long)getuid(), WTERMSIG(status));
        return EX_TEMPFAIL;
    }
    if (err != 0) {
        msg_error("%s(%ld): write to postdrop: %s", sm_login(), (long)getuid(), strerror(err));
        return EX_TEMPFAIL;
    }
    return 0;
}
