/*
 * qmgr_deliver.c - transports: the connections from qmgr to the delivery
 * agents that master runs for each transport (private/local, private/smtp),
 * the request queue of each, and what a reply means for the message.
 *
 * Connections are kept open between requests and closed after max_idle
 * idle seconds, so that an agent process serves many messages without a
 * connect per message.  At most default_destination_concurrency_limit
 * requests per transport are in flight.
 *
 * When an agent disappears in the middle of a request (it crashed, or was
 * killed), the request is retried at once on a new connection, marked
 * "recovered" so the agent looks for deliveries it already made; a second
 * loss defers the recipients.
 *
 * No wait is without end: an agent must greet within ipc_timeout, and
 * answer a request within daemon_timeout (the agent's own watchdog period,
 * so normally the agent gives up first and we see it go).  Past either
 * deadline the connection is closed with a log line, and what waited for
 * it is deferred.
 */
#include "sys_defs.h"
#include "qmgr.h"
#include "attr.h"
#include "attr_conn.h"
#include "mail_params.h"
#include "events.h"
#include "mymalloc.h"
#include "msg.h"
#include "sock.h"

enum agent_state {
    AGENT_HELLO, /* connected, waiting for the agent's hello */
    AGENT_IDLE,
    AGENT_BUSY,
};

struct qmgr_agent {
    struct attr_conn *conn;
    struct qmgr_transport *transport;
    enum agent_state state;
    struct qmgr_job *job;
    struct qmgr_agent *next;
};

struct qmgr_transport {
    char name[32];
    struct qmgr_job *head, *tail; /* waiting jobs */
    int njobs;
    struct qmgr_agent *agents;
    int nagents;
    struct qmgr_transport *next;
};

static struct qmgr_transport *qmgr_transports;

static void transport_pump(struct qmgr_transport *t);

struct qmgr_transport *qmgr_transport_get(const char *name)
{
    struct qmgr_transport *t;

    for (t = qmgr_transports; t; t = t->next)
        if (strcmp(t->name, name) == 0)
            return t;
    t = xcalloc(1, sizeof(*t));
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->next = qmgr_transports;
    qmgr_transports = t;
    return t;
}

const char *qmgr_transport_name(const struct qmgr_transport *t)
{
    return t->name;
}

void qmgr_job_free(struct qmgr_job *job)
{
    free(job->rcpt);
    free(job);
}

/* The job is over: the message learns it has one request less. */
static void job_end(struct qmgr_job *job)
{
    struct qmgr_message *m = job->msg;

    qmgr_job_free(job);
    qmgr_message_job_done(m);
}

/* Defer every recipient of a job that did not get a result. */
static void job_defer(struct qmgr_job *job, const char *reason)
{
    size_t i;

    for (i = 0; i < job->nrcpt; i++) {
        struct qmgr_rcpt *r = job->msg->rcpts + job->rcpt[i];

        if (r->state == QR_BUSY)
            qmgr_rcpt_defer(job->msg, r, "none", "4.3.0", reason);
    }
    job_end(job);
}

void qmgr_job_submit(struct qmgr_job *job)
{
    struct qmgr_transport *t = job->transport;

    job->next = NULL;
    if (t->tail)
        t->tail->next = job;
    else
        t->head = job;
    t->tail = job;
    t->njobs++;
    transport_pump(t);
}

static void job_requeue_front(struct qmgr_job *job)
{
    struct qmgr_transport *t = job->transport;

    job->next = t->head;
    t->head = job;
    if (t->tail == NULL)
        t->tail = job;
    t->njobs++;
}

static struct qmgr_job *job_dequeue(struct qmgr_transport *t)
{
    struct qmgr_job *job = t->head;

    t->head = job->next;
    if (t->head == NULL)
        t->tail = NULL;
    t->njobs--;
    return job;
}

static void agent_idle_event(void *ctx);
static void agent_deadline_event(void *ctx);

static void agent_free(struct qmgr_agent *a)
{
    struct qmgr_transport *t = a->transport;
    struct qmgr_agent **pp;

    for (pp = &t->agents; *pp; pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            break;
        }
    }
    t->nagents--;
    event_cancel_timer(agent_idle_event, a);
    event_cancel_timer(agent_deadline_event, a);
    free(a);
}

static void agent_idle_event(void *ctx)
{
    struct qmgr_agent *a = ctx;

    attr_conn_close(a->conn);
    agent_free(a);
}

/* Is any agent of t able to take work (greeted, connected)? */
static bool transport_has_agent(const struct qmgr_transport *t)
{
    const struct qmgr_agent *a;

    for (a = t->agents; a; a = a->next)
        if (a->state != AGENT_HELLO)
            return true;
    return false;
}

static void agent_deadline_event(void *ctx)
{
    struct qmgr_agent *a = ctx;
    struct qmgr_transport *t = a->transport;
    struct qmgr_job *job = a->job;

    if (a->state == AGENT_HELLO) {
        msg_warn("transport %s: no greeting from the delivery agent within %lld s", t->name,
                 var_ipc_timeout);
        attr_conn_close(a->conn);
        agent_free(a);
        /* Nothing serves this transport: what waits for it waits on disk. */
        if (!transport_has_agent(t))
            while (t->head)
                job_defer(job_dequeue(t), "delivery agent did not answer");
    } else {
        msg_warn("%s: transport %s: no reply from the delivery agent within %lld s", job->msg->id,
                 t->name, var_daemon_timeout);
        attr_conn_close(a->conn);
        agent_free(a);
        job_defer(job, "delivery agent did not reply in time");
    }
    transport_pump(t);
}

/* Apply a reply; returns false if the agent said it closes after it. */
static bool agent_apply_reply(struct qmgr_agent *a, const unsigned char *p, size_t len)
{
    struct qmgr_job *job = a->job;
    struct qmgr_message *m = job->msg;
    struct deliver_reply reply;
    const char *why;
    size_t i, k;
    bool more;

    if (deliver_reply_decode(p, len, &reply, &why) < 0) {
        msg_warn("%s: bad reply from transport %s: %s", m->id, a->transport->name, why);
        job_defer(job, "bad reply from delivery agent");
        return false;
    }
    for (i = 0; i < reply.n; i++) {
        const struct deliver_result *res = reply.results + i;

        for (k = 0; k < job->nrcpt; k++) {
            struct qmgr_rcpt *r = m->rcpts + job->rcpt[k];

            if (r->offset != res->offset || r->state != QR_BUSY)
                continue;
            /* The agent logged the result; qmgr only keeps score. */
            r->state = res->status == DELIVER_SENT      ? QR_SENT
                       : res->status == DELIVER_BOUNCED ? QR_FAILED
                                                        : QR_DEFERRED;
            break;
        }
    }
    more = reply.last == 0;
    deliver_reply_free(&reply);
    job_defer(job, "delivery agent did not report this recipient");
    return more;
}

static void agent_frame(struct attr_conn *c, const unsigned char *p, size_t len)
{
    struct qmgr_agent *a = c->ctx;
    const char *why;

    switch (a->state) {
    case AGENT_HELLO:
        if (attr_check_hello(p, len, DELIVER_PROTOCOL, DELIVER_VERSION, &why) < 0) {
            msg_warn("transport %s: bad greeting: %s", a->transport->name, why);
            attr_conn_close(c);
            agent_free(a);
            return;
        }
        a->state = AGENT_IDLE;
        event_cancel_timer(agent_deadline_event, a);
        break;
    case AGENT_BUSY: {
        struct qmgr_transport *t = a->transport;

        a->state = AGENT_IDLE;
        event_cancel_timer(agent_deadline_event, a);
        if (!agent_apply_reply(a, p, len)) {
            /* The agent is done (max_use or stopping): never reuse it. */
            a->job = NULL;
            attr_conn_close(c);
            agent_free(a);
            transport_pump(t);
            return;
        }
        a->job = NULL;
        break;
    }
    case AGENT_IDLE:
        msg_warn("transport %s: unexpected message from agent", a->transport->name);
        attr_conn_close(c);
        agent_free(a);
        return;
    }
    transport_pump(a->transport);
}

static void agent_closed(struct attr_conn *c, const char *why)
{
    struct qmgr_agent *a = c->ctx;
    struct qmgr_transport *t = a->transport;
    struct qmgr_job *job = a->job;

    agent_free(a);
    if (job) {
        if (job->attempts++ == 0) {
            /* Lost in mid-request: try once more, looking for copies already made. */
            msg_warn("%s: transport %s: delivery agent lost (%s); trying again", job->msg->id,
                     t->name, why);
            job->msg->recovered = true;
            job_requeue_front(job);
        } else {
            job_defer(job, "delivery agent failed");
        }
    }
    transport_pump(t);
}

static struct qmgr_agent *agent_connect(struct qmgr_transport *t)
{
    char path[PATH_MAX];
    struct qmgr_agent *a;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", QUEUE_PRIVATE, t->name);
    if ((fd = unix_connect(path, true)) < 0) {
        msg_warn("connect to transport %s: %m", path);
        return NULL;
    }
    a = xcalloc(1, sizeof(*a));
    a->transport = t;
    a->state = AGENT_HELLO;
    a->conn = attr_conn_create(fd, false, agent_frame, agent_closed, a);
    a->next = t->agents;
    t->agents = a;
    t->nagents++;
    event_request_timer(agent_deadline_event, a, var_ipc_timeout * 1000);
    return a;
}

static void agent_send(struct qmgr_agent *a, struct qmgr_job *job)
{
    struct qmgr_message *m = job->msg;
    struct deliver_request req = {0};
    struct buf frame;
    size_t i;

    req.queue_name = (m->names & QMGR_Q_LOCAL) && qmgr_transport_queue(a->transport) == QMGR_Q_LOCAL
                         ? QUEUE_LOCAL
                         : QUEUE_REMOTE;
    req.queue_id = m->id;
    req.flags = m->recovered ? DELIVER_FLAG_RECOVERED : 0;
    req.arrival_sec = m->arrival_sec;
    req.arrival_usec = m->arrival_usec;
    req.nexthop = job->nexthop;
    for (i = 0; i < job->nrcpt; i++) {
        struct qmgr_rcpt *r = m->rcpts + job->rcpt[i];

        deliver_request_add(&req, (long long)r->offset, r->address);
    }
    buf_init(&frame, ATTR_FRAME_MAX);
    deliver_request_encode(&frame, &req);
    deliver_request_free(&req);
    a->job = job;
    a->state = AGENT_BUSY;
    event_cancel_timer(agent_idle_event, a);
    event_request_timer(agent_deadline_event, a, var_daemon_timeout * 1000);
    attr_conn_send(a->conn, &frame);
    buf_free(&frame);
}

/* Give waiting jobs to idle agents, connecting new ones within the limit. */
static void transport_pump(struct qmgr_transport *t)
{
    struct qmgr_agent *a;

    while (t->head) {
        int connecting = 0;

        for (a = t->agents; a && a->state != AGENT_IDLE; a = a->next)
            ;
        if (a != NULL) {
            agent_send(a, job_dequeue(t));
            continue;
        }
        for (a = t->agents; a; a = a->next)
            connecting += a->state == AGENT_HELLO;
        /* Open connections in parallel, one per waiting job, up to the limit. */
        if (connecting >= t->njobs || t->nagents >= var_default_destination_concurrency_limit)
            break;
        if (agent_connect(t) == NULL) {
            /* No agent for this transport: defer everything waiting for it. */
            while (t->head)
                job_defer(job_dequeue(t), "mail transport unavailable");
            break;
        }
    }
    for (a = t->agents; a; a = a->next)
        if (a->state == AGENT_IDLE)
            event_request_timer(agent_idle_event, a, var_max_idle * 1000);
}
