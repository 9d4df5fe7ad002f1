/*
 * anvil_client.c - questions to the anvil service on one kept connection
 * (see anvil_client.h).
 *
 * anvil_client_notify() pipelines: it sends its request and returns, and
 * the reply it did not wait for is "owed".  Owed replies are read (and
 * checked, then dropped) before the answer to the next question, so the
 * answers never get out of step with the questions.  A connection that
 * broke while replies were owed is handled as any broken kept connection
 * (one fresh try): anvil gives back whatever a closed connection counted,
 * so nothing an owed reply could have said is lost.  At most
 * ANVIL_CLIENT_OWED_MAX replies are left unread, so anvil's output never
 * piles up behind a client that only notifies.
 */
#include "sys_defs.h"
#include "anvil_client.h"
#include "attr.h"
#include "msg.h"
#include "sock.h"
#include "stream.h"

static struct stream *anvil_stream;
static bool anvil_warned;
static int64_t anvil_retry_ms; /* no new connection before this */
static int anvil_owed;         /* replies sent by anvil and not yet read */

void anvil_client_close(void)
{
    if (anvil_stream)
        stream_close(anvil_stream);
    anvil_stream = NULL;
    anvil_owed = 0;
}

int anvil_client_owed(void)
{
    return anvil_owed;
}

static void anvil_client_fail(const char *socket_path, const char *why)
{
    anvil_client_close();
    anvil_retry_ms = stream_now_ms() + ANVIL_CLIENT_RETRY_MS;
    if (!anvil_warned)
        msg_warn("anvil service %s: %s; client connection and rate limits are not enforced",
                 socket_path, why);
    anvil_warned = true;
}

/* Connect and read the hello; false with *why_r. */
static bool anvil_client_open(const char *socket_path, const char **why_r)
{
    struct buf frame;
    int fd;
    bool ok;

    if ((fd = unix_connect(socket_path, false)) < 0) {
        *why_r = strerror(errno);
        return false;
    }
    anvil_stream = stream_open(fd, ANVIL_CLIENT_TIMEOUT_MS);
    anvil_owed = 0;
    buf_init(&frame, 256);
    ok = attr_read_frame(anvil_stream, &frame, why_r) == 0 &&
         attr_check_hello(frame.data, frame.len, ANVIL_PROTOCOL, ANVIL_VERSION, why_r) == 0;
    buf_free(&frame);
    return ok;
}

/* Read one reply into *r; false with *why_r. */
static bool anvil_client_read_reply(struct buf *b, struct anvil_reply *r, const char **why_r)
{
    return attr_read_frame(anvil_stream, b, why_r) == 0 &&
           anvil_reply_decode(b->data, b->len, r, why_r) == 0;
}

/*
 * Send one request on the open connection; with r, read the owed replies
 * and then its own into *r, else leave its reply owed.  False with *why_r.
 */
static bool anvil_client_ask(const struct anvil_request *req, struct anvil_reply *r,
                             const char **why_r)
{
    struct anvil_reply owed;
    struct buf b;
    bool ok = true;

    buf_init(&b, ANVIL_REQUEST_MAX + 4);
    /* A notifier that never asks must not fill anvil's output buffer. */
    while (r == NULL && ok && anvil_owed >= ANVIL_CLIENT_OWED_MAX)
        if ((ok = anvil_client_read_reply(&b, &owed, why_r)))
            anvil_owed--;
    if (ok) {
        buf_reset(&b);
        anvil_request_encode(&b, req);
        if (attr_write_frames(anvil_stream, &b) < 0) {
            *why_r = stream_strerror(anvil_stream);
            ok = false;
        }
    }
    if (ok)
        anvil_owed++;
    /* The replies come in the order of the requests: the owed ones first. */
    while (r != NULL && ok && anvil_owed > 0)
        if ((ok = anvil_client_read_reply(&b, anvil_owed == 1 ? r : &owed, why_r)))
            anvil_owed--;
    buf_free(&b);
    return ok;
}

/* Send event (reply into *r, or owed when r is NULL); 0, or -1 warned once. */
static int anvil_client_send(const char *socket_path, enum anvil_event event, const char *service,
                             const char *addr, struct anvil_reply *r)
{
    char ident[ANVIL_IDENT_MAX + 1];
    struct anvil_request req = {event, ident};
    const char *why = "not connected";
    bool was_open = anvil_stream != NULL;

    snprintf(ident, sizeof(ident), "%s:%s", service, addr);
    if (!was_open && stream_now_ms() < anvil_retry_ms)
        return -1;
    if (!was_open && !anvil_client_open(socket_path, &why)) {
        anvil_client_fail(socket_path, why);
        return -1;
    }
    if (anvil_client_ask(&req, r, &why))
        return 0;
    /*
     * A kept connection may have gone with a restarted anvil, perhaps
     * while replies were owed on it: one fresh try.  The new anvil (or
     * the old one, on seeing the connection close) gave back what the old
     * connection counted, so the owed replies are not missed.
     */
    anvil_client_close();
    if (was_open && anvil_client_open(socket_path, &why) && anvil_client_ask(&req, r, &why))
        return 0;
    anvil_client_fail(socket_path, why);
    return -1;
}

int anvil_client_event(const char *socket_path, enum anvil_event event, const char *service,
                       const char *addr, struct anvil_reply *r)
{
    return anvil_client_send(socket_path, event, service, addr, r);
}

int anvil_client_notify(const char *socket_path, enum anvil_event event, const char *service,
                        const char *addr)
{
    return anvil_client_send(socket_path, event, service, addr, NULL);
}
