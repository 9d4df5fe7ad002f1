/*
 * anvil_client.c - questions to the anvil service on one kept connection
 * (see anvil_client.h).
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

void anvil_client_close(void)
{
    if (anvil_stream)
        stream_close(anvil_stream);
    anvil_stream = NULL;
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
    buf_init(&frame, 256);
    ok = attr_read_frame(anvil_stream, &frame, why_r) == 0 &&
         attr_check_hello(frame.data, frame.len, ANVIL_PROTOCOL, ANVIL_VERSION, why_r) == 0;
    buf_free(&frame);
    return ok;
}

/* One request and its reply on the open connection; false with *why_r. */
static bool anvil_client_ask(const struct anvil_request *req, struct anvil_reply *r,
                             const char **why_r)
{
    struct buf b;
    bool ok;

    buf_init(&b, ANVIL_REQUEST_MAX + 4);
    anvil_request_encode(&b, req);
    if (attr_write_frames(anvil_stream, &b) < 0) {
        *why_r = stream_strerror(anvil_stream);
        buf_free(&b);
        return false;
    }
    ok = attr_read_frame(anvil_stream, &b, why_r) == 0 &&
         anvil_reply_decode(b.data, b.len, r, why_r) == 0;
    buf_free(&b);
    return ok;
}

int anvil_client_event(const char *socket_path, enum anvil_event event, const char *service,
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
    /* A kept connection may have gone with a restarted anvil: one fresh try. */
    anvil_client_close();
    if (was_open && anvil_client_open(socket_path, &why) && anvil_client_ask(&req, r, &why))
        return 0;
    anvil_client_fail(socket_path, why);
    return -1;
}
