/*
 * trigger.c - the wake-up client (see trigger.h).
 */
#include "sys_defs.h"
#include "trigger.h"
#include "qmgr_proto.h"
#include "iostuff.h"
#include "sock.h"

int trigger_wakeup(const char *path)
{
    struct qmgr_request r = {QMGR_REQ_WAKEUP, NULL};
    struct buf frame;
    ssize_t n;
    int fd, err;

    if ((fd = unix_connect(path, true)) < 0)
        return -1;
    buf_init(&frame, 256);
    qmgr_request_encode(&frame, &r);
    /* One small frame fits any socket buffer; a service too busy to take it
     * is busy scanning already. */
    n = send(fd, frame.data, frame.len, MSG_NOSIGNAL | MSG_DONTWAIT);
    err = errno;
    buf_free(&frame);
    close_quietly(fd);
    if (n < 0 && err != EAGAIN) {
        errno = err;
        return -1;
    }
    return 0;
}
