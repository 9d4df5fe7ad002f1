/*
 * auth_session.c - one client connection of the auth service: the hello,
 * then one request at a time, each answered "ok" at once or "fail" after
 * auth_failure_delay, by a timer, so that the event loop goes on serving
 * everyone else meanwhile.
 *
 * The password is in the request frame, in the connection's input buffer
 * and nowhere else in this process: it is checked in place and the frame
 * is wiped as soon as the answer is known; the whole input buffer is
 * wiped when the connection ends.
 */
#include "sys_defs.h"
#include "auth.h"
#include "attr.h"
#include "attr_conn.h"
#include "events.h"
#include "mail_params.h"
#include "mymalloc.h"
#include "msg.h"

struct auth_session {
    struct attr_conn *conn;
    bool waiting; /* a reply is due: a request now breaks the protocol */
    enum auth_status status;
};

static void session_reply(void *ctx);
static void session_idle(void *ctx);

static void session_wipe_input(struct attr_conn *c)
{
    if (c->in.data)
        explicit_bzero(c->in.data, c->in.cap + 1);
}

/* Forget the session; the connection is closed (or being closed) by now. */
static void session_free(struct auth_session *s)
{
    event_cancel_timer(session_reply, s);
    event_cancel_timer(session_idle, s);
    session_wipe_input(s->conn);
    free(s);
}

/* Drop a client that broke the protocol or stayed idle too long. */
static void session_end(struct auth_session *s)
{
    struct attr_conn *c = s->conn;

    session_free(s);
    attr_conn_close(c);
}

static void session_idle(void *ctx)
{
    session_end(ctx);
}

static void session_reply(void *ctx)
{
    struct auth_session *s = ctx;
    struct auth_reply r = {s->status};
    struct buf b;

    buf_init(&b, 256);
    auth_reply_encode(&b, &r);
    attr_conn_send(s->conn, &b);
    buf_free(&b);
    s->waiting = false;
    event_request_timer(session_idle, s, var_ipc_timeout * 1000);
}

/* The answer to one request, logged; the limit is consulted and fed here. */
static enum auth_status session_decide(const struct auth_request *r)
{
    enum auth_status st;
    const char *why;

    if (auth_limit_refused(r->client_address, event_now_ms())) {
        st = AUTH_REFUSED;
        why = "client refused after too many failures";
    } else if ((st = auth_verify(r->user, r->password, &why)) == AUTH_FAIL) {
        auth_limit_failed(r->client_address, event_now_ms());
    }
    msg_info("%s: client=%s, user=%s, status=%s%s%s%s", r->service, r->client_address, r->user,
             auth_status_name(st), *why ? " (" : "", why, *why ? ")" : "");
    return st;
}

static void session_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct auth_session *s = c->ctx;
    struct auth_request r;
    const char *why = NULL;

    if (s->waiting)
        why = "a request came before the reply to the last one";
    else if (len > AUTH_REQUEST_MAX)
        why = "request too large";
    else if (auth_request_decode(p, len, &r, &why) == 0)
        why = NULL;
    if (why) {
        msg_warn("dropping an auth client: %s", why);
        explicit_bzero((void *)p, len);
        session_end(s);
        return;
    }
    event_cancel_timer(session_idle, s);
    s->status = session_decide(&r);
    /* p points into the connection's input buffer, which is ours to clear. */
    explicit_bzero((void *)p, len);
    s->waiting = true;
    /* A refusal is as slow as a failure: blocked guessing gains no speed. */
    if ((s->status == AUTH_FAIL || s->status == AUTH_REFUSED) && var_auth_failure_delay > 0)
        event_request_timer(session_reply, s, var_auth_failure_delay * 1000);
    else
        session_reply(s);
}

static void session_closed(struct attr_conn *c, const char *why UNUSED)
{
    session_free(c->ctx);
}

void auth_session_start(int fd)
{
    struct auth_session *s = xcalloc(1, sizeof(*s));
    struct buf hello;

    s->conn = attr_conn_create(fd, false, session_frame, session_closed, s);
    buf_init(&hello, 256);
    attr_put_hello(&hello, AUTH_PROTOCOL, AUTH_VERSION);
    attr_conn_send(s->conn, &hello);
    buf_free(&hello);
    event_request_timer(session_idle, s, var_ipc_timeout * 1000);
}
