/*
 * anvil_session.c - one client connection of the anvil service: the
 * hello, then one request at a time, each answered at once.  A client
 * may send its next request before it read the last reply (a disconnect
 * it does not wait for, anvil_client_notify()): attr_conn hands out
 * every whole frame a read brought, in order, so the replies come back
 * in the order of the requests.
 *
 * A client's connections are counted until it says "disconnect", or
 * until its connection to anvil ends: an smtpd that crashed or was killed
 * mid-session must not hold its client's slot for ever.  So each session
 * remembers what it connected, and gives it all back when it goes away.
 * One smtpd holds one client connection at a time, so the list is short;
 * it is capped all the same, and a request past the cap is not counted.
 */
#include "sys_defs.h"
#include "anvil.h"
#include "attr.h"
#include "attr_conn.h"
#include "events.h"
#include "mymalloc.h"
#include "msg.h"

#define ANVIL_SESSION_IDENTS_MAX 1024

struct anvil_held {
    char *ident;
    long long n; /* connections this client counted and has not released */
};

struct anvil_session {
    struct attr_conn *conn;
    struct anvil_held *held;
    size_t nheld, held_cap;
};

static struct anvil_held *session_held(struct anvil_session *s, const char *ident, bool make)
{
    size_t i;

    for (i = 0; i < s->nheld; i++)
        if (strcmp(s->held[i].ident, ident) == 0)
            return s->held + i;
    if (!make || s->nheld >= ANVIL_SESSION_IDENTS_MAX)
        return NULL;
    if (s->nheld == s->held_cap) {
        s->held_cap = s->held_cap ? 2 * s->held_cap : 4;
        s->held = xreallocarray(s->held, s->held_cap, sizeof(*s->held));
    }
    s->held[s->nheld].ident = xstrdup(ident);
    s->held[s->nheld].n = 0;
    return s->held + s->nheld++;
}

/* Give back every connection the client counted, and forget the session. */
static void session_free(struct anvil_session *s)
{
    long long count, rate;
    size_t i;

    for (i = 0; i < s->nheld; i++) {
        while (s->held[i].n-- > 0)
            (void)anvil_table_event(anvil_table, s->held[i].ident, ANVIL_DISCONNECT, event_now_ms(),
                                    &count, &rate);
        free(s->held[i].ident);
    }
    free(s->held);
    free(s);
}

/* Count one request; the reply's status says whether it was counted. */
static void session_count(struct anvil_session *s, const struct anvil_request *r,
                          struct anvil_reply *reply)
{
    struct anvil_held *h = NULL;

    reply->status = ANVIL_FAIL;
    if (r->event == ANVIL_CONNECT && (h = session_held(s, r->ident, true)) == NULL)
        return;
    if (r->event == ANVIL_DISCONNECT) {
        /* Only what this client counted itself: no one can release another's. */
        if ((h = session_held(s, r->ident, false)) == NULL || h->n == 0) {
            reply->status = ANVIL_OK;
            return;
        }
        h->n--;
    }
    if (anvil_table_event(anvil_table, r->ident, r->event, event_now_ms(), &reply->count,
                          &reply->rate) < 0) {
        msg_warn("table full: %s for %s not counted", anvil_event_name(r->event), r->ident);
        return;
    }
    if (r->event == ANVIL_CONNECT)
        h->n++;
    reply->status = ANVIL_OK;
}

static void session_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct anvil_session *s = c->ctx;
    struct anvil_request r;
    struct anvil_reply reply = {ANVIL_FAIL, 0, 0};
    const char *why = NULL;
    struct buf b;

    if (len > ANVIL_REQUEST_MAX)
        why = "request too large";
    else if (anvil_request_decode(p, len, &r, &why) == 0)
        why = NULL;
    if (why) {
        msg_warn("dropping an anvil client: %s", why);
        session_free(s);
        attr_conn_close(c);
        return;
    }
    session_count(s, &r, &reply);
    buf_init(&b, 256);
    anvil_reply_encode(&b, &reply);
    attr_conn_send(c, &b);
    buf_free(&b);
}

static void session_closed(struct attr_conn *c, const char *why UNUSED)
{
    session_free(c->ctx);
}

void anvil_session_start(int fd)
{
    struct anvil_session *s = xcalloc(1, sizeof(*s));
    struct buf hello;

    s->conn = attr_conn_create(fd, false, session_frame, session_closed, s);
    buf_init(&hello, 256);
    attr_put_hello(&hello, ANVIL_PROTOCOL, ANVIL_VERSION);
    attr_conn_send(s->conn, &hello);
    buf_free(&hello);
}
