/*
 * local.c - the local delivery agent: serves delivery requests from qmgr
 * on one connection at a time, as many as max_use allows.
 *
 * For each request it opens the queue file and takes an exclusive lock on
 * it, so that two deliveries of the same message (say, by an old and a new
 * qmgr around a restart) never run at once.  Then, for each recipient it
 * was asked about, it re-reads the status byte: a recipient already marked
 * done by someone else is reported, not delivered again.  Results are
 * written to the queue file and fdatasync'ed before the reply goes out.
 */
#include "sys_defs.h"
#include "local.h"
#include "attr.h"
#include "queue.h"
#include "mail_params.h"
#include "log_delivery.h"
#include "server.h"
#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"
#include "priv.h"
#include "crash_point.h"
#include "resolve.h"

/* Serving master.cf's "virtual" service: virtual mailboxes, not accounts. */
static bool local_virtual;

/* The relay= of log lines: the transport served. */
static const char *local_relay(void)
{
    return local_virtual ? "virtual" : "local";
}

/* The recipient in the file that the request names, or NULL. */
static const struct qrcpt *find_rcpt(const struct qmsg *q, const struct deliver_rcpt *dr)
{
    size_t i;

    for (i = 0; i < q->nrcpts; i++)
        if ((long long)q->rcpts[i].offset == dr->offset &&
            strcmp(q->rcpts[i].address, dr->address) == 0)
            return q->rcpts + i;
    return NULL;
}

/* The whole request failed before any recipient could be tried. */
static void defer_all(const struct deliver_request *req, struct deliver_reply *reply,
                      const char *reason)
{
    size_t i;

    msg_warn("%s: %s", req->queue_id, reason);
    for (i = 0; i < req->nrcpts; i++) {
        log_delivery(req->queue_id, req->rcpts[i].address, local_relay(), req->arrival_sec,
                     req->arrival_usec, "4.3.0", "deferred", reason);
        deliver_reply_add(reply, req->rcpts[i].offset, DELIVER_DEFERRED, "4.3.0", reason);
    }
}

/* Deliver each requested recipient; results are stored in results[]. */
static void deliver_rcpts(const struct deliver_request *req, struct local_msg *m,
                          struct local_result *results, struct deliver_reply *reply)
{
    bool changed = false, synced = true;
    size_t i;

    for (i = 0; i < req->nrcpts; i++) {
        const struct qrcpt *r = find_rcpt(m->q, req->rcpts + i);
        struct local_result *res = results + i;
        int status;

        if (r == NULL) {
            msg_warn("%s: request names a recipient not in the queue file", req->queue_id);
            log_delivery(req->queue_id, req->rcpts[i].address, local_relay(), m->q->arrival_sec,
                         m->q->arrival_usec, "4.3.0", "deferred",
                         "recipient not found in queue file");
            deliver_reply_add(reply, req->rcpts[i].offset, DELIVER_DEFERRED, "4.3.0",
                              "recipient not found in queue file");
            continue;
        }
        status = qfile_get_status(m->fd, r->offset);
        if (status == QFILE_RCPT_DELIVERED || status == QFILE_RCPT_FAILED) {
            /* Done by an earlier delivery that finished while we waited. */
            deliver_reply_add(reply, r->offset,
                              status == QFILE_RCPT_DELIVERED ? DELIVER_SENT : DELIVER_BOUNCED,
                              status == QFILE_RCPT_DELIVERED ? "2.0.0" : "5.0.0", "already done");
            continue;
        }
        if (local_virtual)
            local_deliver_virtual(m, r, res);
        else
            local_deliver(m, r, res);
        if (res->status != DELIVER_DEFERRED) {
            if (qfile_set_status(m->fd, r->offset,
                                 res->status == DELIVER_SENT ? QFILE_RCPT_DELIVERED
                                                             : QFILE_RCPT_FAILED) < 0)
                msg_warn("%s: update recipient status: %m", req->queue_id);
            else
                changed = true;
            CRASH_POINT(LOCAL_STATUS_MARKED);
        }
        /* local_deliver() logged each outcome; qmgr gets the sum. */
        deliver_reply_add(reply, r->offset, res->status, res->dsn, res->reason);
    }
    /* A crash after this point can no longer repeat these deliveries. */
    if (changed && fdatasync(m->fd) < 0) {
        msg_warn("%s: fdatasync queue file: %m", req->queue_id);
        synced = false;
    }
    if (changed)
        CRASH_POINT(LOCAL_STATUS_SYNCED);
    /* Forwarded copies go out only for recipients now durably done
     * (local_resubmit.c); a deferred recipient forwards again next time. */
    for (i = 0; i < req->nrcpts; i++)
        if (results[i].forward_id[0] && (results[i].status == DELIVER_DEFERRED || synced))
            local_resubmit_finish(results[i].forward_id, results[i].status != DELIVER_DEFERRED);
}

static bool same_file(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
}

/*
 * Open a queue file.  local is root, and local/ belongs to mail_owner, so
 * the open is done with mail_owner's ids: whatever a name there points to,
 * we get no more than mail_owner could read (never a file of root's).  It
 * must then be a regular file that mail_owner owns (a FIFO would hang us).
 */
static int open_queue_file(const char *path, const char **why_r)
{
    struct stat st;
    int fd, err;

    if (priv_as_user(var_owner_uid, var_owner_gid) < 0) {
        *why_r = "cannot take the mail_owner's privileges";
        return -1;
    }
    fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    err = errno;
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

static void handle_request(const struct deliver_request *req, struct deliver_reply *reply,
                           struct local_result *results)
{
    struct local_msg m = {.queue_id = req->queue_id,
                          .recovered = (req->flags & DELIVER_FLAG_RECOVERED) != 0};
    struct htable done;
    struct qmsg q;
    const char *why;
    char path[64];

    if (strcmp(req->queue_name, QUEUE_LOCAL) != 0 || !queue_id_ok(req->queue_id)) {
        defer_all(req, reply, "bad queue name or ID in request");
        return;
    }
    queue_path(path, sizeof(path), req->queue_name, req->queue_id);
    if ((m.fd = open_queue_file(path, &why)) < 0) {
        defer_all(req, reply, why);
        return;
    }
    if (lock_queue_file(m.fd, req->queue_id) < 0) {
        close_quietly(m.fd);
        defer_all(req, reply, "queue file is locked by another delivery");
        return;
    }
    /* While we waited for the lock, the message may have been finished and
     * its file recycled for another one (queue.h): the name must still be ours. */
    if (!same_file(m.fd, path)) {
        close_quietly(m.fd);
        defer_all(req, reply, "queue file is gone");
        return;
    }
    if (qfile_read(m.fd, &q, &why) < 0) {
        close_quietly(m.fd);
        defer_all(req, reply, why);
        return;
    }
    m.q = &q;
    htable_init(&done, 16);
    m.done = &done;
    deliver_rcpts(req, &m, results, reply);
    htable_free(&done);
    qmsg_free(&q);
    close_quietly(m.fd);
}

static void local_service(struct stream *s)
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
        struct local_result *results;

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
        results = xcalloc(req.nrcpts ? req.nrcpts : 1, sizeof(*results));
        handle_request(&req, &reply, results);
        reply.last = served >= var_max_use || server_draining();
        buf_reset(&out);
        deliver_reply_encode(&out, &reply);
        deliver_reply_free(&reply);
        deliver_request_free(&req);
        free(results);
        if (attr_write_frames(s, &out) < 0) {
            msg_warn("send reply to qmgr: %s", stream_strerror(s));
            break;
        }
        CRASH_POINT(LOCAL_REPLIED);
    }
done:
    buf_free(&frame);
    buf_free(&out);
    stream_close(s);
}

static void local_pre_jail(void)
{
    char *err;

    /* Aliases tell which domains are ours too (remote ones are forwarded). */
    local_virtual = strcmp(server_service, "virtual") == 0;
    if (resolve_init(&err) < 0 ||
        (local_virtual ? local_virtual_init(&err) : local_expand_init(&err)) < 0)
        msg_fatal("%s", err);
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {.keep_root = true, .pre_jail = local_pre_jail};

    single_server_main(argc, argv, "local", local_service, &opts);
}
