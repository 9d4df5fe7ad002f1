/*
 * attr_conn.c - event-driven attribute-frame connections (see attr_conn.h).
 */
#include "sys_defs.h"
#include "attr_conn.h"
#include "attr.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"

#define ATTR_CONN_OUT_MAX (ATTR_FRAME_MAX * 2 + 8)

static void attr_conn_free(struct attr_conn *c)
{
    buf_free(&c->in);
    buf_free(&c->out);
    free(c);
}

static void attr_conn_shut(struct attr_conn *c)
{
    if (c->closed)
        return;
    c->closed = true;
    event_remove(c->fd);
    close_quietly(c->fd);
}

void attr_conn_close(struct attr_conn *c)
{
    attr_conn_shut(c);
    if (c->busy == 0)
        attr_conn_free(c);
}

/* Report a failure once; the caller must not touch c afterwards. */
static void attr_conn_fail(struct attr_conn *c, const char *why)
{
    attr_conn_shut(c);
    c->busy++;
    if (c->on_close)
        c->on_close(c, why);
    c->busy--;
    if (c->busy == 0)
        attr_conn_free(c);
}

static void attr_conn_readable(int fd, void *ctx)
{
    struct attr_conn *c = ctx;
    const unsigned char *payload;
    size_t len, flen;
    ssize_t n;
    int r;

    if (buf_reserve(&c->in, 65536) < 0 && buf_reserve(&c->in, 1) < 0) {
        attr_conn_fail(c, "input buffer full");
        return;
    }
    n = read(fd, c->in.data + c->in.len, c->in.cap - c->in.len);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        attr_conn_fail(c, n == 0 ? "connection closed" : strerror(errno));
        return;
    }
    c->in.len += (size_t)n;
    c->in.data[c->in.len] = 0;
    c->busy++;
    while (!c->closed && (r = attr_frame_peek(&c->in, &payload, &len, &flen)) != 0) {
        if (r < 0) {
            c->busy--;
            attr_conn_fail(c, "bad frame length");
            return;
        }
        c->on_frame(c, payload, len);
        if (!c->closed)
            buf_consume(&c->in, flen);
    }
    c->busy--;
    if (c->closed && c->busy == 0)
        attr_conn_free(c);
}

static void attr_conn_writable(int fd, void *ctx)
{
    struct attr_conn *c = ctx;
    ssize_t n;

    if (c->connecting) {
        int err = 0;
        socklen_t elen = sizeof(err);

        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
            err = errno;
        if (err != 0) {
            attr_conn_fail(c, strerror(err));
            return;
        }
        c->connecting = false;
        event_enable_read(fd, attr_conn_readable, c);
    }
    while (c->out.len > 0) {
        n = send(fd, c->out.data, c->out.len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            attr_conn_fail(c, strerror(errno));
            return;
        }
        buf_consume(&c->out, (size_t)n);
    }
    event_disable_write(fd);
}

struct attr_conn *attr_conn_create(int fd, bool connecting, attr_conn_frame_fn on_frame,
                                   attr_conn_close_fn on_close, void *ctx)
{
    struct attr_conn *c = xcalloc(1, sizeof(*c));

    c->fd = fd;
    c->ctx = ctx;
    c->on_frame = on_frame;
    c->on_close = on_close;
    c->connecting = connecting;
    buf_init(&c->in, ATTR_FRAME_MAX + 4 + 65536);
    buf_init(&c->out, ATTR_CONN_OUT_MAX);
    if (set_nonblock(fd, true) < 0)
        msg_warn("attr_conn: fd %d: %m", fd);
    if (connecting)
        event_enable_write(fd, attr_conn_writable, c);
    else
        event_enable_read(fd, attr_conn_readable, c);
    return c;
}

void attr_conn_send(struct attr_conn *c, const struct buf *b)
{
    if (c->closed)
        return;
    /* Try to send at once; whatever is left, and any error, is handled from
     * the event loop, never from here: on_close must not run while the
     * caller is still using the connection. */
    if (c->out.len == 0 && !c->connecting) {
        ssize_t n;

        do
            n = send(c->fd, b->data, b->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)b->len)
            return;
        if (n > 0) {
            if (buf_append(&c->out, b->data + n, b->len - (size_t)n) < 0)
                msg_panic("attr_conn_send: output buffer full");
            event_enable_write(c->fd, attr_conn_writable, c);
            return;
        }
    }
    if (buf_append(&c->out, b->data, b->len) < 0)
        msg_panic("attr_conn_send: output buffer full");
    event_enable_write(c->fd, attr_conn_writable, c);
}
