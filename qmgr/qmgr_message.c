/*
 * qmgr_message.c - one message in the queue manager: loading it, sorting
 * its recipients into the local/ and remote/ queues, and deciding, when a
 * delivery pass ends, whether the file is removed, deferred or held.
 *
 * A message with local and remote recipients is one file with two names,
 * local/ID and remote/ID.  Every move makes the new name before removing
 * the old one, so a crash at any point leaves at least one name, and a
 * recovering qmgr treats several names of one file as one message.
 */
#include "sys_defs.h"
#include "qmgr.h"
#include "qfile.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "resolve.h"
#include "log_delivery.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "htable.h"

int qmgr_active_count;
static struct qmgr_message *qmgr_active;
static struct htable qmgr_active_ids; /* queue ID -> message */

static const struct {
    unsigned bit;
    const char *dir;
} qmgr_names[] = {
    {QMGR_Q_LOCAL, QUEUE_LOCAL},
    {QMGR_Q_REMOTE, QUEUE_REMOTE},
    {QMGR_Q_INCOMING, QUEUE_INCOMING},
    {QMGR_Q_DEFERRED, QUEUE_DEFERRED},
};

static unsigned name_bit(const char *queue)
{
    size_t i;

    for (i = 0; i < COUNTOF(qmgr_names); i++)
        if (strcmp(qmgr_names[i].dir, queue) == 0)
            return qmgr_names[i].bit;
    return 0;
}

/* Any one existing name of the file, to link new names from. */
static const char *some_name(const struct qmgr_message *m)
{
    size_t i;

    for (i = 0; i < COUNTOF(qmgr_names); i++)
        if (m->names & qmgr_names[i].bit)
            return qmgr_names[i].dir;
    msg_panic("%s: message has no name", m->id);
}

/* Give the file the names in want (keeping the file alive throughout). */
static int message_rename(struct qmgr_message *m, unsigned want)
{
    size_t i;

    for (i = 0; i < COUNTOF(qmgr_names); i++) {
        if (!(want & qmgr_names[i].bit) || (m->names & qmgr_names[i].bit))
            continue;
        if (queue_link(some_name(m), qmgr_names[i].dir, m->id) < 0) {
            msg_warn("%s: link %s/ to %s/: %m", m->id, some_name(m), qmgr_names[i].dir);
            return -1;
        }
        m->names |= qmgr_names[i].bit;
    }
    for (i = 0; i < COUNTOF(qmgr_names); i++) {
        char path[64];

        if (want & qmgr_names[i].bit || !(m->names & qmgr_names[i].bit))
            continue;
        queue_path(path, sizeof(path), qmgr_names[i].dir, m->id);
        if (unlink(path) < 0 && errno != ENOENT)
            msg_warn("%s: remove %s: %m", m->id, path);
        m->names &= ~qmgr_names[i].bit;
    }
    return 0;
}

static int unlink_name(const char *queue, const char *id)
{
    char path[64];

    queue_path(path, sizeof(path), queue, id);
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

struct qmgr_message *qmgr_message_find(const char *id)
{
    return qmgr_active_ids.buckets ? htable_find(&qmgr_active_ids, id) : NULL;
}

static void message_free(struct qmgr_message *m)
{
    size_t i;

    if (m->prev)
        m->prev->next = m->next;
    else
        qmgr_active = m->next;
    if (m->next)
        m->next->prev = m->prev;
    (void)htable_delete(&qmgr_active_ids, m->id);
    for (i = 0; i < m->nrcpts; i++)
        free(m->rcpts[i].address);
    free(m->rcpts);
    free(m->sender);
    free(m);
    qmgr_active_count--;
    qmgr_room_freed();
}

static unsigned rcpt_queue(const struct qmgr_rcpt *r)
{
    return strcmp(qmgr_transport_name(r->transport), "local") == 0 ? QMGR_Q_LOCAL : QMGR_Q_REMOTE;
}

/* A file that cannot be read is kept for the administrator, never deleted. */
static void message_corrupt(const char *queue, const char *id, const char *why)
{
    msg_warn("%s: corrupt queue file %s/%s: %s; moved to %s/", id, queue, id, why, QUEUE_CORRUPT);
    if (queue_move(queue, QUEUE_CORRUPT, id) < 0)
        msg_warn("%s: move to %s/: %m", id, QUEUE_CORRUPT);
}

static struct qmgr_message *message_new(const char *id, const struct qmsg *q)
{
    struct qmgr_message *m = xcalloc(1, sizeof(*m));
    size_t i;

    snprintf(m->id, sizeof(m->id), "%s", id);
    m->sender = xstrdup(q->sender);
    m->arrival_sec = q->arrival_sec;
    m->arrival_usec = q->arrival_usec;
    m->size = q->content_len;
    m->rcpts = xcalloc(q->nrcpts, sizeof(*m->rcpts));
    for (i = 0; i < q->nrcpts; i++) {
        if (q->rcpts[i].status == QFILE_RCPT_FAILED)
            m->failed_before = true;
        if (q->rcpts[i].status != QFILE_RCPT_PENDING)
            continue;
        m->rcpts[m->nrcpts].address = xstrdup(q->rcpts[i].address);
        m->rcpts[m->nrcpts].offset = q->rcpts[i].offset;
        m->rcpts[m->nrcpts].state = QR_WAITING;
        m->nrcpts++;
    }
    m->next = qmgr_active;
    if (qmgr_active)
        qmgr_active->prev = m;
    qmgr_active = m;
    qmgr_active_count++;
    if (qmgr_active_ids.buckets == NULL)
        htable_init(&qmgr_active_ids, 1024);
    htable_enter(&qmgr_active_ids, m->id, m);
    return m;
}

/* Pending recipients of a message older than maximal_queue_lifetime fail. */
static void message_expire(struct qmgr_message *m, int fd)
{
    size_t i;

    for (i = 0; i < m->nrcpts; i++) {
        struct qmgr_rcpt *r = m->rcpts + i;

        if (qfile_set_status(fd, r->offset, QFILE_RCPT_FAILED) < 0 && errno != EALREADY) {
            msg_warn("%s: update recipient status: %m", m->id);
            continue;
        }
        log_delivery(m->id, r->address, "none", m->arrival_sec, m->arrival_usec, "4.4.7", "expired",
                     "message too old");
        r->state = QR_FAILED;
    }
    if (fdatasync(fd) < 0)
        msg_warn("%s: fdatasync: %m", m->id);
}

/* Sort the pending recipients by transport and hand out one job per transport. */
static void message_dispatch(struct qmgr_message *m)
{
    size_t i, j;

    m->jobs++; /* hold the message while jobs are handed out */
    for (i = 0; i < m->nrcpts; i++) {
        struct qmgr_transport *t = m->rcpts[i].transport;
        struct qmgr_job *job;

        if (m->rcpts[i].state != QR_WAITING)
            continue;
        job = xcalloc(1, sizeof(*job));
        job->msg = m;
        job->transport = t;
        job->rcpt = xcalloc(m->nrcpts, sizeof(*job->rcpt));
        for (j = i; j < m->nrcpts; j++) {
            if (m->rcpts[j].state == QR_WAITING && m->rcpts[j].transport == t) {
                m->rcpts[j].state = QR_BUSY;
                job->rcpt[job->nrcpt++] = j;
            }
        }
        m->jobs++;
        qmgr_job_submit(job);
    }
    qmgr_message_job_done(m);
}

int qmgr_message_load(const char *queue, const char *id, bool recovered)
{
    struct qmgr_message *m;
    struct qmsg q;
    const char *why;
    char path[64];
    unsigned need = 0;
    size_t i;
    int fd;

    if (qmgr_message_find(id) != NULL)
        return 0;
    queue_path(path, sizeof(path), queue, id);
    if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open %s: %m", id, path);
        return -1;
    }
    if (qfile_read(fd, &q, &why) < 0) {
        close_quietly(fd);
        message_corrupt(queue, id, why);
        return -1;
    }
    m = message_new(id, &q);
    m->names = name_bit(queue);
    /* Anything not fresh from incoming/ may have been partly delivered by an
     * agent that died; the agent then checks for copies it already made. */
    m->recovered = recovered || m->names != QMGR_Q_INCOMING;
    if (m->names == QMGR_Q_INCOMING)
        msg_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", id, m->sender, m->size,
                 q.nrcpts);
    qmsg_free(&q);
    if (var_maximal_queue_lifetime > 0 && time(NULL) - m->arrival_sec > var_maximal_queue_lifetime)
        message_expire(m, fd);
    close_quietly(fd);
    for (i = 0; i < m->nrcpts; i++) {
        struct mail_addr a;
        struct resolve_result res;

        if (mail_addr_from_internal(m->rcpts[i].address, &a) < 0)
            memset(&a, 0, sizeof(a)); /* qfile_read validated it already */
        resolve_addr(&a, &res);
        m->rcpts[i].transport = qmgr_transport_get(res.transport);
        if (m->rcpts[i].state == QR_WAITING)
            need |= rcpt_queue(m->rcpts + i);
    }
    if (need != 0 && message_rename(m, need) < 0) {
        message_free(m);
        return -1;
    }
    message_dispatch(m);
    return 0;
}

void qmgr_rcpt_defer(struct qmgr_message *m, struct qmgr_rcpt *r, const char *relay,
                     const char *dsn, const char *reason)
{
    r->state = QR_DEFERRED;
    log_delivery(m->id, r->address, relay, m->arrival_sec, m->arrival_usec, dsn, "deferred",
                 reason);
}

/* Remove every name of a finished message, recycling the file (queue.h). */
static void message_remove(struct qmgr_message *m)
{
    size_t i;

    for (i = 0; i < COUNTOF(qmgr_names); i++) {
        if (!(m->names & qmgr_names[i].bit))
            continue;
        m->names &= ~qmgr_names[i].bit;
        if ((m->names == 0 ? queue_recycle(qmgr_names[i].dir, m->id)
                           : unlink_name(qmgr_names[i].dir, m->id)) < 0)
            msg_warn("%s: remove %s/%s: %m", m->id, qmgr_names[i].dir, m->id);
    }
}

/* Set the time of the next attempt: the file's mtime, as Postfix does. */
static void message_retry_time(struct qmgr_message *m)
{
    long long age = (long long)time(NULL) - m->arrival_sec;
    long long delay = age;
    struct timespec ts[2];
    char path[64];

    if (delay < var_minimal_backoff_time)
        delay = var_minimal_backoff_time;
    if (delay > var_maximal_backoff_time)
        delay = var_maximal_backoff_time;
    ts[0].tv_sec = ts[1].tv_sec = time(NULL) + delay;
    ts[0].tv_nsec = ts[1].tv_nsec = 0;
    queue_path(path, sizeof(path), QUEUE_DEFERRED, m->id);
    if (utimensat(AT_FDCWD, path, ts, 0) < 0)
        msg_warn("%s: set retry time: %m", m->id);
}

/* The pass is over: remove, defer or hold the file. */
static void message_finish(struct qmgr_message *m)
{
    bool deferred = false, failed = m->failed_before;
    size_t i;

    for (i = 0; i < m->nrcpts; i++) {
        deferred |= m->rcpts[i].state == QR_DEFERRED;
        failed |= m->rcpts[i].state == QR_FAILED;
    }
    if (deferred) {
        if (message_rename(m, QMGR_Q_DEFERRED) == 0)
            message_retry_time(m);
    } else if (failed) {
        /*
         * Failed recipients are owed a bounce; bounce generation comes with
         * the bounce service.  Until then the message is kept in hold/, so
         * that nothing is lost and an administrator can see it.
         */
        if (queue_link(some_name(m), QUEUE_HOLD, m->id) == 0) {
            (void)message_rename(m, 0);
            msg_info("%s: held: recipients failed and no bounce service is configured", m->id);
        } else {
            msg_warn("%s: move to %s/: %m", m->id, QUEUE_HOLD);
        }
    } else {
        message_remove(m);
        msg_info("%s: removed", m->id);
    }
    message_free(m);
}

void qmgr_message_job_done(struct qmgr_message *m)
{
    if (--m->jobs == 0)
        message_finish(m);
}
