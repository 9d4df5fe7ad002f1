/*
 * attr_conn.h - an attribute-frame connection driven by the event loop,
 * for daemons that talk to many peers at once (qmgr).
 *
 * Incoming bytes are collected in a bounded buffer and handed out one whole
 * frame at a time; outgoing frames are queued and written as the socket
 * takes them.  A frame callback may close the connection, even its own:
 * the memory is released only after the callback returns.
 */
#ifndef POSTERN_ATTR_CONN_H
#define POSTERN_ATTR_CONN_H

#include "sys_defs.h"
#include "buf.h"

struct attr_conn;

/* A complete frame arrived (payload p, len bytes, valid during the call). */
typedef void (*attr_conn_frame_fn)(struct attr_conn *c, const unsigned char *p, size_t len);
/* The connection failed or the peer closed it; c is freed after this returns. */
typedef void (*attr_conn_close_fn)(struct attr_conn *c, const char *why);

struct attr_conn {
    int fd;
    void *ctx;
    struct buf in, out;
    attr_conn_frame_fn on_frame;
    attr_conn_close_fn on_close;
    bool connecting; /* non-blocking connect in progress */
    bool closed;
    int busy; /* callbacks in progress */
};

/* Wrap a non-blocking descriptor (taking ownership); connecting: wait for connect. */
struct attr_conn *attr_conn_create(int fd, bool connecting, attr_conn_frame_fn on_frame,
                                   attr_conn_close_fn on_close, void *ctx);
/* Queue the frame(s) in b for sending. */
void attr_conn_send(struct attr_conn *c, const struct buf *b);
/* Close now, without calling on_close. */
void attr_conn_close(struct attr_conn *c);

#endif
