/*
 * deliver_agent.c - the request loop and the queue file of a delivery
 * agent (see deliver_agent.h).
 */
#include "sys_defs.h"
#include "deliver_agent.h"
#include "attr.h"
#include "iostuff.h"
#include "log_delivery.h"
#include "mail_params.h"
#include "msg.h"
#include "priv.h"
#include "queue.h"
#include "server.h"

static bool same_file(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/*
 * Open with mail_owner's rights when we are root (local), so that a name
 * in a queue directory can never point us at a file of root's; then it
 * must be a regular file that mail_owner owns (a FIFO would hang us).
 */
static int open_queue_file(const char *path, const char **why_r)
{
    bool root = geteuid() == 0;
    struct stat st;
    int fd, err;

    if (root && priv_as_user(var_owner_uid, var_owner_gid) < 0) {
        *why_r = "cannot take the mail_owner's privileges";
        return -1;
    }
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    err = errno;
    if (root)
        priv_as_root();
    if (fd < 0) {
        *why_r = err == ENOENT ? "queue file is gone" : "cannot open queue file";
        if (err != ENOENT)
            msg_warn("open %s: %s", path, strerror(err));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != var_owner_uid) {
        msg_warn("%s: not a regular file owned by %s; not delivered", path, var_mail_owner);
        close_quietly(fd);
        *why_r = "queue file is not a regular file owned by the mail system";
        return -1;
    }
    return fd;
}

/*
 * Lock the queue file against a second delivery of the same message (an
 * old and a new qmgr around a restart).  A lock that is not released within
 * deliver_lock_attempts x deliver_lock_delay means the other delivery is
 * stuck: give up for now, qmgr retries later, so nobody waits forever.
 */
static int lock_queue_file(int fd, const char *queue_id)
{
    long long attempt;

    for (attempt = 0; attempt < var_deliver_lock_attempts; attempt++) {
        if (attempt > 0)
            sleep((unsigned)var_deliver_lock_delay);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR) {
            msg_warn("%s: lock queue file: %m", queue_id);
            return -1;
        }
        server_watchdog_pat();
    }
    msg_info("%s: queue file still locked after %lld s", queue_id,
             var_deliver_lock_attempts * var_deliver_lock_delay);
    return -1;
}

int deliver_file_open(const struct deliver_request *req, const char *queue_name,
                      struct deliver_file *f, const char **why_r)
{
    char path[64];

    f->fd = -1;
    if (strcmp(req->queue_name, queue_name) != 0 || !queue_id_ok(req->queue_id)) {
        *why_r = "bad queue name or ID in request";
        return -1;
    }
    queue_path(path, sizeof(path), req->queue_name, req->queue_id);
    if ((f->fd = open_queue_file(path, why_r)) < 0)
        return -1;
    if (lock_queue_file(f->fd, req->queue_id) < 0) {
        *why_r = "queue file is locked by another delivery";
        goto fail;
    }
    /* While we waited for the lock, the message may have been finished and
     * its file recycled for another one (queue.h): the name must still be ours. */
    if (!same_file(f->fd, path)) {
        *why_r = "queue file is gone";
        goto fail;
    }
    if (qfile_read(f->fd, &f->q, why_r) < 0)
        goto fail;
    return 0;

fail:
    close_quietly(f->fd);
    f->fd = -1;
    return -1;
}

void deliver_file_close(struct deliver_file *f)
{
    if (f->fd < 0)
        return;
    qmsg_free(&f->q);
    close_quietly(f->fd);
    f->fd = -1;
}

const struct qrcpt *deliver_file_rcpt(const struct deliver_file *f, const struct deliver_rcpt *dr)
{
    size_t i;

    for (i = 0; i < f->q.nrcpts; i++)
        if ((long long)f->q.rcpts[i].offset == dr->offset &&
            strcmp(f->q.rcpts[i].address, dr->address) == 0)
            return f->q.rcpts + i;
    return NULL;
}

void deliver_defer_all(const struct deliver_request *req, struct deliver_reply *reply,
                       const char *relay, const char *reason)
{
    size_t i;

    msg_warn("%s: %s", req->queue_id, reason);
    for (i = 0; i < req->nrcpts; i++) {
        log_delivery(req->queue_id, req->rcpts[i].address, relay, req->arrival_sec,
                     req->arrival_usec, "4.3.0", "deferred", reason);
        deliver_reply_add(reply, req->rcpts[i].offset, DELIVER_DEFERRED, "4.3.0", reason);
    }
}

static int deliver_idle_ms;
static void (*deliver_idle_fn)(void);

void deliver_agent_idle(int idle_ms, void (*fn)(void))
{
    deliver_idle_ms = idle_ms;
    deliver_idle_fn = fn;
}

/* Wait up to the idle time for the next request; then tell the agent, once. */
static void deliver_wait_idle(struct stream *s)
{
    if (deliver_idle_fn == NULL || stream_pending(s) > 0)
        return;
    if (poll_fd(s->fd, POLLIN, deliver_idle_ms) == 0)
        deliver_idle_fn();
}

static void deliver_replied(enum crash_point_id id)
{
#ifdef POSTERN_CRASH_POINTS
    crash_point(id);
#else
    (void)id;
#endif
}

void deliver_agent_serve(struct stream *s, deliver_agent_fn deliver, enum crash_point_id replied)
{
    struct buf frame, out;
    long long served = 0;
    const char *why;

    buf_init(&frame, ATTR_FRAME_MAX);
    buf_init(&out, ATTR_FRAME_MAX + 4);
    attr_put_hello(&out, DELIVER_PROTOCOL, DELIVER_VERSION);
    if (attr_write_frames(s, &out) < 0)
        goto done;
    while (!server_draining() && served++ < var_max_use) {
        struct deliver_request req;
        struct deliver_reply reply = {0};
        void *results;

        deliver_wait_idle(s);
        if (attr_read_frame(s, &frame, &why) < 0) {
            if (!(s->flags & STREAM_F_EOF))
                msg_warn("read request from qmgr: %s", why);
            break;
        }
        if (deliver_request_decode(frame.data, frame.len, &req, &why) < 0) {
            /* A malformed request from qmgr: drop it and fail closed. */
            msg_warn("bad request from qmgr: %s", why);
            break;
        }
        server_watchdog_pat();
        results = deliver(&req, &reply);
        reply.last = served >= var_max_use || server_draining();
        buf_reset(&out);
        deliver_reply_encode(&out, &reply);
        free(results);
        deliver_reply_free(&reply);
        deliver_request_free(&req);
        if (attr_write_frames(s, &out) < 0) {
            msg_warn("send reply to qmgr: %s", stream_strerror(s));
            break;
        }
        deliver_replied(replied);
    }
done:
    buf_free(&frame);
    buf_free(&out);
    stream_close(s);
}
