/*
 * qmgr_proto.c - requests to qmgr and the notification client (see qmgr_proto.h).
 */
#include "sys_defs.h"
#include "qmgr_proto.h"
#include "attr.h"
#include "queue.h"
#include "iostuff.h"
#include "msg.h"
#include "sock.h"

#define QMGR_NOTIFY_TIMEOUT_MS 1000

static const struct attr_spec request_spec[] = {
    {"request", ATTR_TYPE_STR, ATTR_REQUIRED, offsetof(struct qmgr_request, request), 32, NULL},
    {"queue_id", ATTR_TYPE_STR, 0, offsetof(struct qmgr_request, queue_id), QUEUE_ID_MAX, NULL},
    {NULL, 0, 0, 0, 0, NULL},
};

void qmgr_request_encode(struct buf *b, const struct qmgr_request *r)
{
    size_t start = attr_frame_begin(b);

    attr_encode(b, request_spec, r);
    (void)attr_frame_end(b, start);
}

int qmgr_request_decode(const unsigned char *p, size_t len, struct qmgr_request *r,
                        const char **error_r)
{
    memset(r, 0, sizeof(*r));
    return attr_decode(p, len, request_spec, r, 0, error_r);
}

static struct stream *qmgr_conn;

/*
 * Connect without waiting for qmgr's hello: a busy qmgr must never hold up
 * an SMTP session, and the hello is checked when it has arrived (below).
 */
static struct stream *qmgr_connect(void)
{
    int fd;

    if ((fd = unix_connect(QMGR_SOCKET, false)) < 0) {
        msg_debug("connect to %s: %m", QMGR_SOCKET);
        return NULL;
    }
    return stream_open(fd, QMGR_NOTIFY_TIMEOUT_MS);
}

/* Whatever qmgr sent so far must be its hello; read it without waiting. */
static bool qmgr_conn_ok(struct stream *s)
{
    struct buf hello;
    const char *why;
    bool ok = true;

    if (poll_fd(s->fd, POLLIN, 0) <= 0 && stream_pending(s) == 0)
        return true;
    buf_init(&hello, 4096);
    if (attr_read_frame(s, &hello, &why) < 0 ||
        attr_check_hello(hello.data, hello.len, QMGR_PROTOCOL, QMGR_VERSION, &why) < 0) {
        if (!(s->flags & STREAM_F_EOF))
            msg_warn("%s: bad greeting: %s", QMGR_SOCKET, why);
        ok = false;
    }
    buf_free(&hello);
    return ok;
}

void qmgr_notify_queued(const char *queue_id)
{
    struct qmgr_request r = {QMGR_REQ_QUEUED, queue_id};
    struct buf frame;
    int attempt;

    buf_init(&frame, 1024);
    qmgr_request_encode(&frame, &r);
    /* One retry with a fresh connection covers a qmgr that was restarted. */
    for (attempt = 0; attempt < 2; attempt++) {
        if (qmgr_conn == NULL && (qmgr_conn = qmgr_connect()) == NULL)
            break;
        if (qmgr_conn_ok(qmgr_conn) && attr_write_frames(qmgr_conn, &frame) == 0)
            break;
        stream_close(qmgr_conn);
        qmgr_conn = NULL;
    }
    buf_free(&frame);
}
