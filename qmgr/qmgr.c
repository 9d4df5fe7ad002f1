/*
 * qmgr.c - the queue manager: start-up, the single-instance lock, and the
 * private/qmgr socket where smtpd announces new mail and master wakes us.
 *
 * On start qmgr recovers whatever a crash left in local/ and remote/, then
 * takes incoming/ and the deferred messages that are due.  From then on it
 * reacts to announcements and timers; see qmgr.h for the parts.
 */
#include "sys_defs.h"
#include "qmgr.h"
#include "qmgr_proto.h"
#include "attr.h"
#include "attr_conn.h"
#include "mail_params.h"
#include "resolve.h"
#include "server.h"
#include "iostuff.h"
#include "msg.h"

#define QMGR_LOCK_FILE "private/qmgr.lock"

static void notify_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct qmgr_request r;
    const char *why;

    if (qmgr_request_decode(p, len, &r, &why) < 0) {
        msg_warn("bad request on %s: %s", QMGR_SOCKET, why);
        attr_conn_close(c);
        return;
    }
    if (strcmp(r.request, QMGR_REQ_QUEUED) == 0) {
        if (r.queue_id == NULL || !queue_id_ok(r.queue_id)) {
            msg_warn("bad queue ID in request on %s", QMGR_SOCKET);
            attr_conn_close(c);
            return;
        }
        if (qmgr_active_count < var_qmgr_message_active_limit)
            (void)qmgr_message_load(QUEUE_INCOMING, r.queue_id, 0);
        else
            qmgr_backlog();
    } else if (strcmp(r.request, QMGR_REQ_WAKEUP) == 0) {
        qmgr_scan_soon();
    } else {
        msg_warn("unknown request \"%s\" on %s", r.request, QMGR_SOCKET);
    }
}

static void notify_closed(struct attr_conn *c UNUSED, const char *why UNUSED)
{
}

static void qmgr_accept(int fd)
{
    struct attr_conn *c = attr_conn_create(fd, false, notify_frame, notify_closed, NULL);
    struct buf hello;

    buf_init(&hello, 256);
    attr_put_hello(&hello, QMGR_PROTOCOL, QMGR_VERSION);
    attr_conn_send(c, &hello);
    buf_free(&hello);
}

/*
 * Only one qmgr may own the queue.  After a reload the new qmgr can start
 * while the old one is still exiting; it waits here until the old one is
 * gone, instead of both moving the same files.
 */
static void qmgr_lock(void)
{
    int fd = open(QMGR_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        msg_fatal("open %s/%s: %m", var_queue_dir, QMGR_LOCK_FILE);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            msg_fatal("lock %s/%s: %m", var_queue_dir, QMGR_LOCK_FILE);
    /* fd stays open (and locked) for the life of the process */
}

static void qmgr_post_init(void)
{
    char *err;

    if (resolve_init(&err) < 0)
        msg_fatal("%s", err);
    qmgr_lock();
    qmgr_scan_init();
    qmgr_scan_recover();
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .run_forever = true,
        .post_init = qmgr_post_init,
    };

    multi_server_main(argc, argv, "qmgr", qmgr_accept, &opts);
}
