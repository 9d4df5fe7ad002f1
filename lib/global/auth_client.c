/*
 * auth_client.c - one blocking question to the auth service (see
 * auth_client.h).
 */
#include "sys_defs.h"
#include "auth_client.h"
#include "attr.h"
#include "mail_params.h"
#include "sock.h"
#include "stream.h"

/* Beyond the failure delay: the service checks one hash at a time. */
#define AUTH_CLIENT_SLACK_MS 30000

int auth_client_timeout_ms(void)
{
    return (int)(var_auth_failure_delay * 1000) + AUTH_CLIENT_SLACK_MS;
}

/* Send the request; every buffer that held the password is wiped. */
static int auth_client_send(struct stream *s, const struct auth_request *r)
{
    struct buf b;
    int ret;

    /* Reserved at once: growing would leave copies in freed memory. */
    buf_init(&b, AUTH_REQUEST_MAX + 4);
    if (buf_reserve(&b, AUTH_REQUEST_MAX + 4) < 0)
        return -1;
    auth_request_encode(&b, r);
    ret = attr_write_frames(s, &b);
    buf_wipe(&b);
    buf_free(&b);
    stream_wipe(s);
    return ret;
}

/* The exchange on a connected stream: hello, request, reply. */
static int auth_client_talk(struct stream *s, const struct auth_request *r, const char **error_r)
{
    struct auth_reply reply;
    struct buf frame;
    int ret = AUTH_TEMPFAIL;

    buf_init(&frame, 4096);
    if (attr_read_frame(s, &frame, error_r) < 0)
        goto done;
    if (attr_check_hello(frame.data, frame.len, AUTH_PROTOCOL, AUTH_VERSION, error_r) < 0)
        goto done;
    if (auth_client_send(s, r) < 0) {
        *error_r = stream_strerror(s);
        goto done;
    }
    if (attr_read_frame(s, &frame, error_r) < 0)
        goto done;
    if (auth_reply_decode(frame.data, frame.len, &reply, error_r) < 0)
        goto done;
    ret = (int)reply.status;

done:
    buf_free(&frame);
    return ret;
}

int auth_client_check(const char *socket_path, const struct auth_request *r, int timeout_ms,
                      const char **error_r)
{
    struct stream *s;
    int fd, ret;

    if (!auth_request_fits(r))
        return AUTH_FAIL;
    if ((fd = unix_connect(socket_path, false)) < 0) {
        *error_r = strerror(errno);
        return -1;
    }
    s = stream_open(fd, timeout_ms);
    ret = auth_client_talk(s, r, error_r);
    stream_wipe(s);
    stream_close(s);
    return ret;
}
