/*
 * smtp.c - the outbound SMTP client's request loop (see smtp.h).
 *
 * master.cf:  smtp  unix  -  -  n  -  -  smtp
 *
 * A request from qmgr names recipients of one message in remote/.  They
 * are grouped by destination (their domain, or everything for the request's
 * transport_maps next hop or relayhost)
 * and each destination is tried in turn (smtp_connect.c).  Every outcome
 * is logged once, when it is decided (smtp_rcpt_done()).  Then the
 * recipients that are done for good (sent or bounced) are marked in the
 * queue file and the file is synced, before the reply tells qmgr: a crash
 * in between can only send a message again, never lose it.
 */
#include "sys_defs.h"
#include "smtp.h"
#include "crash_point.h"
#include "dns.h"
#include "log_delivery.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "queue.h"
#include "resolve.h"
#include "server.h"
#include "strutil.h"
#include "tls_client.h"

static const char *const smtp_status_names[] = {"sent", "deferred", "bounced"};

static double smtp_wall_now(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* Postfix's delays=a/b/c/d: before us, in qmgr (counted in a), connection set-up, transfer. */
static void smtp_delays(const struct smtp_dest *d, char *out, size_t len)
{
    int64_t now = stream_now_ms();
    int64_t xfer = d->xfer_ms ? d->xfer_ms : now;
    char a[16], b[16], c[16], e[16];

    log_delivery_seconds(d->start_wall -
                             ((double)d->req->arrival_sec + (double)d->req->arrival_usec / 1e6),
                         a, sizeof(a));
    log_delivery_seconds(0, b, sizeof(b));
    log_delivery_seconds((double)(xfer - d->start_ms) / 1000.0, c, sizeof(c));
    log_delivery_seconds((double)(now - xfer) / 1000.0, e, sizeof(e));
    snprintf(out, len, "%s/%s/%s/%s", a, b, c, e);
}

void smtp_rcpt_done(struct smtp_dest *d, struct smtp_rcpt *r, const char *relay,
                    enum deliver_status status, const char *dsn, const char *reason)
{
    char delays[80];
    struct log_delivery_fields f = {d->req->queue_id,
                                    r->req->address,
                                    NULL,
                                    relay,
                                    d->req->arrival_sec,
                                    (long)d->req->arrival_usec,
                                    delays,
                                    dsn,
                                    smtp_status_names[status],
                                    reason};

    if (r->done)
        return;
    f.orig = r->q->orcpt;
    smtp_delays(d, delays, sizeof(delays));
    log_delivery_fields(&f);
    r->done = true;
    r->status = status;
    str_copy(r->dsn, dsn, sizeof(r->dsn));
    str_copy(r->reason, reason, sizeof(r->reason));
}

void smtp_dest_fail(struct smtp_dest *d, const char *relay, enum deliver_status status,
                    const char *dsn, const char *reason)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        smtp_rcpt_done(d, d->rcpts[i], relay, status, dsn, reason);
}

/* The destination of a recipient: its domain, lower-cased; "" for a bad address. */
static void smtp_rcpt_domain(const char *address, char *out, size_t len)
{
    struct mail_addr a;

    *out = 0;
    if (mail_addr_from_internal(address, &a) == 0) {
        str_copy(out, a.domain, len);
        str_lower(out);
    }
}

/* The request's recipients that are still to be sent, in their destinations. */
static size_t smtp_group(const struct deliver_request *req, struct smtp_rcpt *rcpts,
                         struct smtp_dest *dests, const struct deliver_file *f)
{
    size_t ndest = 0, i, j;

    for (i = 0; i < req->nrcpts; i++) {
        struct smtp_rcpt *r = rcpts + i;
        char domain[SMTP_HOST_MAX + 1];
        int status;

        r->req = req->rcpts + i;
        r->q = deliver_file_rcpt(f, r->req);
        if (r->q == NULL) {
            msg_warn("%s: request names a recipient not in the queue file", req->queue_id);
            r->done = true;
            r->status = DELIVER_DEFERRED;
            str_copy(r->dsn, "4.3.0", sizeof(r->dsn));
            str_copy(r->reason, "recipient not found in queue file", sizeof(r->reason));
            continue;
        }
        if ((status = qfile_get_status(f->fd, r->q->offset)) != QFILE_RCPT_PENDING) {
            /* Done by an earlier delivery that finished while we waited for the lock. */
            r->done = r->already = true;
            r->status = status == QFILE_RCPT_DELIVERED ? DELIVER_SENT
                        : status == QFILE_RCPT_FAILED  ? DELIVER_BOUNCED
                                                       : DELIVER_DEFERRED;
            str_copy(r->dsn,
                     status == QFILE_RCPT_DELIVERED ? "2.0.0"
                     : status == QFILE_RCPT_FAILED  ? "5.0.0"
                                                    : "4.3.0",
                     sizeof(r->dsn));
            str_copy(r->reason, status < 0 ? "cannot read queue file" : "already done",
                     sizeof(r->reason));
            continue;
        }
        /* transport_maps' next hop (qmgr sends it), then relayhost, then the domain. */
        if (req->nexthop && *req->nexthop)
            str_copy(domain, req->nexthop, sizeof(domain));
        else if (*var_relayhost)
            str_copy(domain, var_relayhost, sizeof(domain));
        else
            smtp_rcpt_domain(r->req->address, domain, sizeof(domain));
        for (j = 0; j < ndest && strcmp(dests[j].domain, domain) != 0; j++)
            ;
        if (j == ndest) {
            memset(dests + j, 0, sizeof(dests[j]));
            str_copy(dests[j].domain, domain, sizeof(dests[j].domain));
            dests[j].rcpts = xcalloc(req->nrcpts, sizeof(*dests[j].rcpts));
            ndest++;
        }
        dests[j].rcpts[dests[j].n++] = r;
    }
    return ndest;
}

/* Mark what is done for good in the queue file, and sync it; false if that failed. */
static bool smtp_mark(const struct deliver_request *req, const struct deliver_file *f,
                      struct smtp_rcpt *rcpts)
{
    bool changed = false;
    size_t i;

    for (i = 0; i < req->nrcpts; i++) {
        struct smtp_rcpt *r = rcpts + i;

        if (r->q == NULL || r->status == DELIVER_DEFERRED || r->already)
            continue;
        if (qfile_set_status(f->fd, r->q->offset,
                             r->status == DELIVER_SENT ? QFILE_RCPT_DELIVERED : QFILE_RCPT_FAILED) <
            0) {
            msg_warn("%s: update recipient status: %m", req->queue_id);
            return false;
        }
        changed = true;
    }
    if (changed && fdatasync(f->fd) < 0) {
        msg_warn("%s: fdatasync queue file: %m", req->queue_id);
        return false;
    }
    return true;
}

static void *smtp_request(const struct deliver_request *req, struct deliver_reply *reply)
{
    struct smtp_rcpt *rcpts = xcalloc(req->nrcpts ? req->nrcpts : 1, sizeof(*rcpts));
    struct smtp_dest *dests = xcalloc(req->nrcpts ? req->nrcpts : 1, sizeof(*dests));
    int64_t start = stream_now_ms();
    double start_wall = smtp_wall_now();
    struct deliver_file f;
    const char *why;
    size_t ndest, i;

    if (deliver_file_open(req, QUEUE_REMOTE, &f, &why) < 0) {
        deliver_defer_all(req, reply, "none", why);
        free(dests);
        return rcpts;
    }
    ndest = smtp_group(req, rcpts, dests, &f);
    for (i = 0; i < ndest; i++) {
        dests[i].req = req;
        dests[i].q = &f.q;
        dests[i].fd = f.fd;
        dests[i].start_ms = start;
        dests[i].start_wall = start_wall;
        server_watchdog_pat();
        smtp_connect_dest(dests + i);
        smtp_mime_free(dests + i);
        free(dests[i].rcpts);
    }
    if (!smtp_mark(req, &f, rcpts)) {
        /* Not recorded: qmgr must not take them for done; the next try may repeat them. */
        for (i = 0; i < req->nrcpts; i++)
            if (rcpts[i].status != DELIVER_DEFERRED) {
                rcpts[i].status = DELIVER_DEFERRED;
                str_copy(rcpts[i].dsn, "4.3.0", sizeof(rcpts[i].dsn));
                str_copy(rcpts[i].reason, "cannot update queue file", sizeof(rcpts[i].reason));
            }
    }
    CRASH_POINT(SMTP_STATUS_SYNCED);
    for (i = 0; i < req->nrcpts; i++)
        deliver_reply_add(reply, req->rcpts[i].offset, rcpts[i].status, rcpts[i].dsn,
                          rcpts[i].reason);
    deliver_file_close(&f);
    free(dests);
    return rcpts; /* the reply's reasons are in it */
}

static void smtp_service(struct stream *s)
{
    deliver_agent_idle((int)(var_smtp_connection_cache_time_limit * 1000), smtp_cache_close);
    deliver_agent_serve(s, smtp_request, CRASH_SMTP_REPLIED);
    smtp_cache_close();
}

static void smtp_pre_jail(void)
{
    const char *why;
    char *err;

    if (dns_init(var_dns_resolver_conf, &why) < 0)
        msg_fatal("dns_resolver_conf %s: %s",
                  *var_dns_resolver_conf ? var_dns_resolver_conf : "(system)", why);
    if (resolve_init(&err) < 0)
        msg_fatal("%s", err);
    smtp_tls_init();
    smtp_sasl_init();
    smtp_connect_init();
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {.pre_jail = smtp_pre_jail};

    single_server_main(argc, argv, "smtp", smtp_service, &opts);
}
