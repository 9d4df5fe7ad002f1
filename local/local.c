/*
 * local.c - the local delivery agent: serves delivery requests from qmgr
 * on one connection at a time, as many as max_use allows.
 *
 * For each request it opens the queue file and takes an exclusive lock on
 * it (deliver_agent.h), so that two deliveries of the same message (say, by
 * an old and a new qmgr around a restart) never run at once.  Then, for each recipient it
 * was asked about, it re-reads the status byte: a recipient already marked
 * done by someone else is reported, not delivered again.  Results are
 * written to the queue file and fdatasync'ed before the reply goes out.
 */
#include "sys_defs.h"
#include "local.h"
#include "deliver_agent.h"
#include "queue.h"
#include "mail_params.h"
#include "log_delivery.h"
#include "server.h"
#include "iostuff.h"
#include "msg.h"
#include "mymalloc.h"
#include "priv.h"
#include "crash_point.h"
#include "resolve.h"

/* Serving master.cf's "virtual" service: virtual mailboxes, not accounts. */
static bool local_virtual;

/* The relay= of log lines: the transport served. */
static const char *local_relay(void)
{
    return local_virtual ? "virtual" : "local";
}

/* Deliver each requested recipient; results are stored in results[]. */
static void deliver_rcpts(const struct deliver_request *req, struct local_msg *m,
                          struct local_result *results, struct deliver_reply *reply)
{
    bool changed = false, synced = true;
    size_t i;

    for (i = 0; i < req->nrcpts; i++) {
        const struct qrcpt *r = deliver_file_rcpt(m->file, req->rcpts + i);
        struct local_result *res = results + i;
        int status;

        if (r == NULL) {
            msg_warn("%s: request names a recipient not in the queue file", req->queue_id);
            log_delivery(req->queue_id, req->rcpts[i].address, local_relay(), m->q->arrival_sec,
                         m->q->arrival_usec, "4.3.0", "deferred",
                         "recipient not found in queue file");
            deliver_reply_add(reply, req->rcpts[i].offset, DELIVER_DEFERRED, "4.3.0",
                              "recipient not found in queue file");
            continue;
        }
        status = qfile_get_status(m->fd, r->offset);
        if (status == QFILE_RCPT_DELIVERED || status == QFILE_RCPT_FAILED) {
            /* Done by an earlier delivery that finished while we waited. */
            deliver_reply_add(reply, r->offset,
                              status == QFILE_RCPT_DELIVERED ? DELIVER_SENT : DELIVER_BOUNCED,
                              status == QFILE_RCPT_DELIVERED ? "2.0.0" : "5.0.0", "already done");
            continue;
        }
        if (local_virtual)
            local_deliver_virtual(m, r, res);
        else
            local_deliver(m, r, res);
        if (res->status != DELIVER_DEFERRED) {
            if (qfile_set_status(m->fd, r->offset,
                                 res->status == DELIVER_SENT ? QFILE_RCPT_DELIVERED
                                                             : QFILE_RCPT_FAILED) < 0)
                msg_warn("%s: update recipient status: %m", req->queue_id);
            else
                changed = true;
            CRASH_POINT(LOCAL_STATUS_MARKED);
        }
        /* local_deliver() logged each outcome; qmgr gets the sum. */
        deliver_reply_add(reply, r->offset, res->status, res->dsn, res->reason);
    }
    /* A crash after this point can no longer repeat these deliveries. */
    if (changed && fdatasync(m->fd) < 0) {
        msg_warn("%s: fdatasync queue file: %m", req->queue_id);
        synced = false;
    }
    if (changed)
        CRASH_POINT(LOCAL_STATUS_SYNCED);
    /* Forwarded copies go out only for recipients now durably done
     * (local_resubmit.c); a deferred recipient forwards again next time. */
    for (i = 0; i < req->nrcpts; i++)
        if (results[i].forward_id[0] && (results[i].status == DELIVER_DEFERRED || synced))
            local_resubmit_finish(results[i].forward_id, results[i].status != DELIVER_DEFERRED);
}

/* One request from qmgr: the queue file opened and locked, each recipient delivered. */
static void *local_request(const struct deliver_request *req, struct deliver_reply *reply)
{
    struct local_result *results = xcalloc(req->nrcpts ? req->nrcpts : 1, sizeof(*results));
    struct local_msg m = {.queue_id = req->queue_id,
                          .recovered = (req->flags & DELIVER_FLAG_RECOVERED) != 0};
    struct deliver_file f;
    struct htable done;
    const char *why;

    if (deliver_file_open(req, QUEUE_LOCAL, &f, &why) < 0) {
        deliver_defer_all(req, reply, local_relay(), why);
        return results;
    }
    m.file = &f;
    m.q = &f.q;
    m.fd = f.fd;
    htable_init(&done, 16);
    m.done = &done;
    deliver_rcpts(req, &m, results, reply);
    htable_free(&done);
    deliver_file_close(&f);
    return results; /* the reply's reasons are in it */
}

static void local_service(struct stream *s)
{
    deliver_agent_serve(s, local_request, CRASH_LOCAL_REPLIED);
}

static void local_pre_jail(void)
{
    char *err;

    /* Aliases tell which domains are ours too (remote ones are forwarded). */
    local_virtual = strcmp(server_service, "virtual") == 0;
    if (resolve_init(&err) < 0 ||
        (local_virtual ? local_virtual_init(&err) : local_expand_init(&err)) < 0)
        msg_fatal("%s", err);
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {.keep_root = true, .pre_jail = local_pre_jail};

    single_server_main(argc, argv, "local", local_service, &opts);
}
