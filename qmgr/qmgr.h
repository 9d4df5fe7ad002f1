/*
 * qmgr.h - the queue manager's state, shared by its parts:
 *
 *   qmgr.c          start-up, the single-instance lock, the notification socket
 *   qmgr_message.c  one message: loading, sorting recipients into local/ and
 *                   remote/, and what happens to the file when a pass ends
 *   qmgr_deliver.c  transports: connections to delivery agents, requests,
 *                   replies, and concurrency
 *   qmgr_scan.c     directory scans: recovery at start, incoming/, deferred/
 *
 * qmgr owns the queues: it is the only process that moves files between
 * them or removes them.  It never reads message content, and it keeps at
 * most qmgr_message_active_limit messages in memory; the rest wait on disk.
 */
#ifndef POSTERN_QMGR_H
#define POSTERN_QMGR_H

#include "sys_defs.h"
#include "queue.h"
#include "deliver_proto.h"

/* The names a queue file can have while qmgr works on it. */
#define QMGR_Q_LOCAL 0x1
#define QMGR_Q_REMOTE 0x2
#define QMGR_Q_INCOMING 0x4
#define QMGR_Q_DEFERRED 0x8
#define QMGR_Q_HOLD 0x10    /* only at load: a move into hold/ to finish */
#define QMGR_Q_CORRUPT 0x20 /* only at load: a move into corrupt/ to finish */

enum qmgr_rcpt_state {
    QR_WAITING,  /* waiting for a delivery request */
    QR_BUSY,     /* in a request */
    QR_SENT,     /* delivered */
    QR_FAILED,   /* failed for good */
    QR_DEFERRED, /* try again later */
};

struct qmgr_transport;

struct qmgr_rcpt {
    char *address;
    char *orig; /* what it came in as, if a virtual alias led to it (for orig_to=) */
    off_t offset;
    struct qmgr_transport *transport;
    char *nexthop; /* transport_maps' next hop (or error:/retry:/discard: text), or NULL */
    enum qmgr_rcpt_state state;
};

struct qmgr_message {
    char id[QUEUE_ID_MAX + 1];
    char *sender;
    long long arrival_sec;
    long arrival_usec;
    long long size;
    struct qmgr_rcpt *rcpts;
    size_t nrcpts;
    unsigned names;       /* QMGR_Q_*: the names the file has now */
    int jobs;             /* delivery requests outstanding */
    bool recovered;       /* an earlier pass may have delivered some already */
    bool failed_before;   /* recipients marked failed by an earlier pass */
    long settle_delay_ms; /* the file could not be moved: retrying at this interval */
    struct qmgr_message *next, *prev;
};

struct qmgr_job {
    struct qmgr_message *msg;
    struct qmgr_transport *transport;
    const char *nexthop; /* of every recipient of the job, or NULL */
    size_t *rcpt;        /* indices into msg->rcpts */
    size_t nrcpt;
    int attempts; /* agents lost while serving this job */
    struct qmgr_job *next;
};

/* qmgr_message.c */
extern int qmgr_active_count;
struct qmgr_message *qmgr_message_find(const char *id);
#define QMGR_LOAD_RECOVERED 0x1 /* an earlier qmgr may have started delivering it */
#define QMGR_LOAD_UNREADY 0x2   /* take incoming/ files not marked ready (queue.h) */
int qmgr_message_load(const char *queue, const char *id, int flags);
void qmgr_message_job_done(struct qmgr_message *m);
/* Log a deferral decided by qmgr itself and note it on the recipient. */
void qmgr_rcpt_defer(struct qmgr_message *m, struct qmgr_rcpt *r, const char *relay,
                     const char *dsn, const char *reason);
/* The queue directory bit (QMGR_Q_LOCAL or QMGR_Q_REMOTE) of a transport's messages. */
unsigned qmgr_transport_queue(const struct qmgr_transport *t);

/* qmgr_deliver.c */
struct qmgr_transport *qmgr_transport_get(const char *name);
const char *qmgr_transport_name(const struct qmgr_transport *t);
void qmgr_job_submit(struct qmgr_job *job);
void qmgr_job_free(struct qmgr_job *job);

/* qmgr_scan.c */
void qmgr_scan_init(void);
void qmgr_scan_recover(void);
void qmgr_scan_soon(void);
void qmgr_room_freed(void);
void qmgr_backlog(void);

#endif
