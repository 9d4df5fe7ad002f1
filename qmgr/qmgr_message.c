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
#include "events.h"
#include "crash_point.h"

int qmgr_active_count;
static struct qmgr_message *qmgr_active;
static struct htable qmgr_active_ids; /* queue ID -> message */

static const struct {
    unsigned bit;
    const char *dir;
} qmgr_names[] = {
    {QMGR_Q_LOCAL, QUEUE_LOCAL},       {QMGR_Q_REMOTE, QUEUE_REMOTE},
    {QMGR_Q_INCOMING, QUEUE_INCOMING}, {QMGR_Q_DEFERRED, QUEUE_DEFERRED},
    {QMGR_Q_HOLD, QUEUE_HOLD},         {QMGR_Q_CORRUPT, QUEUE_CORRUPT},
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

/* Remove the names in drop; a name that cannot be removed is only logged. */
static void names_unlink(const char *id, unsigned drop)
{
    size_t i;

    for (i = 0; i < COUNTOF(qmgr_names); i++) {
        char path[64];

        if (!(drop & qmgr_names[i].bit))
            continue;
        queue_path(path, sizeof(path), qmgr_names[i].dir, id);
        if (unlink(path) < 0 && errno != ENOENT)
            msg_warn("%s: remove %s: %m", id, path);
        CRASH_POINT(QMGR_UNLINKED);
    }
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
        CRASH_POINT(QMGR_LINKED);
    }
    names_unlink(m->id, m->names & ~want);
    m->names &= want;
    return 0;
}

static int unlink_name(const char *queue, const char *id)
{
    char path[64];

    queue_path(path, sizeof(path), queue, id);
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

/*
 * Every name the file has in the queues, starting from the one it was
 * opened by.  A move links the new name before it removes the old one, so
 * a crash can leave a file with two names, and qmgr must know all of them:
 * a name it forgot would outlive the message, and once the file is
 * recycled for another one (queue.h), that name would point into someone
 * else's mail.  Only a file with more than one link costs a look around.
 */
static unsigned message_names(const char *queue, const char *id, const struct stat *st)
{
    unsigned opened = name_bit(queue), names = opened;
    nlink_t found = 1;
    size_t i;

    if (st->st_nlink <= 1)
        return names;
    for (i = 0; i < COUNTOF(qmgr_names); i++) {
        char path[64];
        struct stat other;

        if (qmgr_names[i].bit == opened)
            continue;
        queue_path(path, sizeof(path), qmgr_names[i].dir, id);
        if (lstat(path, &other) == 0 && other.st_ino == st->st_ino && other.st_dev == st->st_dev) {
            names |= qmgr_names[i].bit;
            found++;
        }
    }
    if (found != st->st_nlink)
        msg_warn("%s: queue file has %lu links but %lu names in the queues", id,
                 (unsigned long)st->st_nlink, (unsigned long)found);
    return names;
}

static void message_settle_retry(void *ctx);

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
    event_cancel_timer(message_settle_retry, m);
    for (i = 0; i < m->nrcpts; i++) {
        free(m->rcpts[i].address);
        free(m->rcpts[i].orig);
        free(m->rcpts[i].nexthop);
    }
    free(m->rcpts);
    free(m->sender);
    free(m);
    qmgr_active_count--;
    qmgr_room_freed();
}

unsigned qmgr_transport_queue(const struct qmgr_transport *t)
{
    const char *name = qmgr_transport_name(t);

    /* local/ is for the agents on this machine, remote/ for the SMTP client. */
    return strcmp(name, "local") == 0 || strcmp(name, "virtual") == 0 ? QMGR_Q_LOCAL
                                                                      : QMGR_Q_REMOTE;
}

/* A file that cannot be read is kept for the administrator, never deleted. */
static void message_corrupt(const char *queue, const char *id, unsigned names, const char *why)
{
    msg_warn("%s: corrupt queue file %s/%s: %s; moved to %s/", id, queue, id, why, QUEUE_CORRUPT);
    if (!(names & QMGR_Q_CORRUPT) && queue_link(queue, QUEUE_CORRUPT, id) < 0) {
        msg_warn("%s: move to %s/: %m", id, QUEUE_CORRUPT);
        return;
    }
    names_unlink(id, names & ~QMGR_Q_CORRUPT);
}

/*
 * A file that also has a name in hold/ or corrupt/ was being moved there
 * when a crash came (those moves are the last thing done to a file): finish
 * the move.  (A release from hold/ interrupted the same way ends up held
 * again, which loses nothing.)  Returns true if the file was settled so.
 */
static bool message_finish_move(const char *id, unsigned names)
{
    unsigned keep = names & QMGR_Q_CORRUPT ? QMGR_Q_CORRUPT : names & QMGR_Q_HOLD;

    if (keep == 0)
        return false;
    msg_info("%s: finishing an interrupted move to %s/", id,
             keep == QMGR_Q_CORRUPT ? QUEUE_CORRUPT : QUEUE_HOLD);
    names_unlink(id, names & ~keep);
    return true;
}

static struct qmgr_message *message_new(const char *id, unsigned names, const struct qmsg *q)
{
    struct qmgr_message *m = xcalloc(1, sizeof(*m));
    size_t i;

    snprintf(m->id, sizeof(m->id), "%s", id);
    m->names = names;
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
        m->rcpts[m->nrcpts].orig = q->rcpts[i].orcpt ? xstrdup(q->rcpts[i].orcpt) : NULL;
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

/*
 * Fail the waiting recipients that pick() chooses, in the file first.  Only
 * while no delivery agent holds the file's lock (one left over from an
 * earlier qmgr may still be delivering it): its status bytes are theirs.
 * Returns false if the lock was busy (the recipients then stay waiting).
 */
static bool message_fail(struct qmgr_message *m, int fd, bool (*pick)(const struct qmgr_rcpt *),
                         const char *dsn, const char *status, const char *reason)
{
    size_t i;

    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR)
            msg_warn("%s: lock queue file: %m", m->id);
        return false;
    }
    for (i = 0; i < m->nrcpts; i++) {
        struct qmgr_rcpt *r = m->rcpts + i;

        if (r->state != QR_WAITING || !pick(r))
            continue;
        if (qfile_set_status(fd, r->offset, QFILE_RCPT_FAILED) < 0 && errno != EALREADY) {
            msg_warn("%s: update recipient status: %m", m->id);
            continue;
        }
        log_delivery_orig(m->id, r->address, r->orig, "none", m->arrival_sec, m->arrival_usec, dsn,
                          status, reason);
        r->state = QR_FAILED;
    }
    if (fdatasync(fd) < 0)
        msg_warn("%s: fdatasync: %m", m->id);
    (void)flock(fd, LOCK_UN);
    return true;
}

static bool pick_all(const struct qmgr_rcpt *r)
{
    (void)r;
    return true;
}

/*
 * The transports qmgr answers itself (as Postfix's error(8) and
 * discard(8), with no process to connect to): "error" (addresses of a
 * virtual alias domain without an alias, and transport_maps' error:text),
 * "retry:text" and "discard:text".
 */
static bool pick_transport(const struct qmgr_rcpt *r, const char *name)
{
    return r->state == QR_WAITING && strcmp(qmgr_transport_name(r->transport), name) == 0;
}

static bool pick_error(const struct qmgr_rcpt *r)
{
    return pick_transport(r, "error");
}

static bool pick_discard(const struct qmgr_rcpt *r)
{
    return pick_transport(r, "discard");
}

/* The DSN code and text of an error:/retry: next hop ("5.1.1 text"), or the defaults. */
static void pseudo_reason(const struct qmgr_rcpt *r, const char *dsn_default,
                          const char *text_default, char *dsn, size_t dsn_len, const char **text)
{
    const char *t = r->nexthop ? r->nexthop : "";
    size_t n = strspn(t, "0123456789.");

    snprintf(dsn, dsn_len, "%s", dsn_default);
    *text = *t ? t : text_default;
    if (n >= 5 && n < dsn_len && (t[n] == ' ' || t[n] == 0) && t[0] == dsn_default[0]) {
        memcpy(dsn, t, n);
        dsn[n] = 0;
        *text = t[n] ? t + n + 1 : text_default;
    }
}

/*
 * Mark one recipient of a pseudo transport done in the queue file (failed,
 * or delivered for discard) and log it; false if the file could not say so.
 */
static bool pseudo_mark(struct qmgr_message *m, int fd, struct qmgr_rcpt *r, char status,
                        const char *dsn, const char *log_status, const char *text)
{
    if (qfile_set_status(fd, r->offset, status) < 0 && errno != EALREADY) {
        msg_warn("%s: update recipient status: %m", m->id);
        return false;
    }
    log_delivery_orig(m->id, r->address, r->orig, "none", m->arrival_sec, m->arrival_usec, dsn,
                      log_status, text);
    r->state = status == QFILE_RCPT_DELIVERED ? QR_SENT : QR_FAILED;
    return true;
}

/* The recipients of error, retry and discard, answered here. */
static void message_pseudo(struct qmgr_message *m, int fd)
{
    bool locked = flock(fd, LOCK_EX | LOCK_NB) == 0;
    char dsn[16];
    const char *text;
    size_t i;

    for (i = 0; i < m->nrcpts; i++) {
        struct qmgr_rcpt *r = m->rcpts + i;
        bool done = true;

        if (pick_transport(r, "retry")) {
            pseudo_reason(r, "4.3.0", "delivery temporarily suspended", dsn, sizeof(dsn), &text);
            qmgr_rcpt_defer(m, r, "none", dsn, text);
            continue;
        }
        if (pick_error(r)) {
            pseudo_reason(r, "5.1.1", "User unknown in virtual alias table", dsn, sizeof(dsn),
                          &text);
            done = locked && pseudo_mark(m, fd, r, QFILE_RCPT_FAILED, dsn, "bounced", text);
        } else if (pick_discard(r)) {
            text = r->nexthop ? r->nexthop : "discarded";
            done = locked && pseudo_mark(m, fd, r, QFILE_RCPT_DELIVERED, "2.0.0", "sent", text);
        } else {
            continue;
        }
        if (!done)
            qmgr_rcpt_defer(m, r, "none", "4.3.0", "queue file is busy");
    }
    if (locked) {
        if (fdatasync(fd) < 0)
            msg_warn("%s: fdatasync: %m", m->id);
        (void)flock(fd, LOCK_UN);
    }
}

/* Pending recipients of a message older than maximal_queue_lifetime fail. */
static void message_expire(struct qmgr_message *m, int fd)
{
    if (message_fail(m, fd, pick_all, "4.4.7", "expired", "message too old"))
        CRASH_POINT(QMGR_EXPIRED);
}

static bool same_nexthop(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Sort the pending recipients by transport and next hop and hand out one job per pair. */
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
        job->nexthop = m->rcpts[i].nexthop;
        job->rcpt = xcalloc(m->nrcpts, sizeof(*job->rcpt));
        for (j = i; j < m->nrcpts; j++) {
            if (m->rcpts[j].state == QR_WAITING && m->rcpts[j].transport == t &&
                same_nexthop(m->rcpts[j].nexthop, job->nexthop)) {
                m->rcpts[j].state = QR_BUSY;
                job->rcpt[job->nrcpt++] = j;
            }
        }
        m->jobs++;
        qmgr_job_submit(job);
    }
    qmgr_message_job_done(m);
}

static void log_active(const struct qmgr_message *m, size_t nrcpt)
{
    struct buf sender;

    buf_init(&sender, 4 * MAIL_ADDR_TEXT_MAX + 8);
    mail_addr_quote_internal(m->sender, &sender);
    msg_info("%s: from=<%s>, size=%lld, nrcpt=%zu (queue active)", m->id, buf_str(&sender), m->size,
             nrcpt);
    buf_free(&sender);
}

/*
 * Open queue/id for loading; -1 if it is not (or no longer) there, or is
 * not to be taken now.  *names_r gets every name of the file; *unready_r
 * (when set) says it is a new file not marked ready, which only a copy that
 * local forwarded may be (message_unready_ok()).
 */
static int message_open(const char *queue, const char *id, int flags, unsigned *names_r,
                        time_t *unready_r)
{
    struct stat st;
    char path[64];
    int fd;

    queue_path(path, sizeof(path), queue, id);
    if ((fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0) {
        if (errno != ENOENT)
            msg_warn("%s: open %s: %m", id, path);
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        msg_warn("%s: %s is not a regular file; left alone", id, path);
        close_quietly(fd);
        return -1;
    }
    *names_r = message_names(queue, id, &st);
    if (message_finish_move(id, *names_r)) {
        close_quietly(fd);
        return -1;
    }
    /* A new file that smtpd has not (yet) accepted is not ours (queue.h). */
    *unready_r = 0;
    if (*names_r == QMGR_Q_INCOMING && !QUEUE_MODE_IS_READY(st.st_mode)) {
        if (flags & QMGR_LOAD_UNREADY)
            msg_warn("%s: taking a queue file that was never marked accepted; its client may "
                     "send it again",
                     id);
        else
            *unready_r = st.st_ctime;
    }
    return fd;
}

/*
 * An unready file may still be taken by a running qmgr when it is a copy
 * local forwarded (forwarded_from) and older than a minute: local marks its
 * copies ready right after the original recipient is marked done, so an
 * old unready copy is one whose local died in between (local_resubmit.c).
 * An unready file of smtpd's is never taken: its client heard no 250.
 */
#define QMGR_FORWARD_ORPHAN_SECS 60

static bool message_unready_ok(const char *id, const struct qmsg *q, time_t ctime)
{
    if (qmsg_attr(q, "forwarded_from") == NULL || time(NULL) - ctime < QMGR_FORWARD_ORPHAN_SECS)
        return false;
    msg_info("%s: taking a forwarded copy that its delivery agent did not finish", id);
    return true;
}

int qmgr_message_load(const char *queue, const char *id, int flags)
{
    struct qmgr_message *m;
    struct qmsg q;
    const char *why;
    unsigned need = 0, names;
    bool errors = false;
    time_t unready;
    size_t i;
    int fd;

    if (qmgr_message_find(id) != NULL)
        return 0;
    if ((fd = message_open(queue, id, flags, &names, &unready)) < 0)
        return -1;
    if (qfile_read(fd, &q, &why) < 0) {
        close_quietly(fd);
        /* Not ready: its writer may still be at it, a half-file is no corruption. */
        if (!unready)
            message_corrupt(queue, id, names, why);
        return -1;
    }
    if (unready && !message_unready_ok(id, &q, unready)) {
        qmsg_free(&q);
        close_quietly(fd);
        return -1;
    }
    m = message_new(id, names, &q);
    /* Anything not fresh from incoming/ may have been partly delivered by an
     * agent that died; the agent then checks for copies it already made. */
    m->recovered = (flags & QMGR_LOAD_RECOVERED) || m->names != QMGR_Q_INCOMING;
    if (m->names == QMGR_Q_INCOMING)
        log_active(m, q.nrcpts);
    qmsg_free(&q);
    if (var_maximal_queue_lifetime > 0 && time(NULL) - m->arrival_sec > var_maximal_queue_lifetime)
        message_expire(m, fd);
    for (i = 0; i < m->nrcpts; i++) {
        struct mail_addr a;
        struct resolve_result res;

        if (mail_addr_from_internal(m->rcpts[i].address, &a) < 0)
            memset(&a, 0, sizeof(a)); /* qfile_read validated it already */
        resolve_addr(&a, &res);
        m->rcpts[i].transport = qmgr_transport_get(res.transport);
        free(m->rcpts[i].nexthop);
        m->rcpts[i].nexthop = res.nexthop[0] ? xstrdup(res.nexthop) : NULL;
        if (res.tempfail && m->rcpts[i].state == QR_WAITING)
            qmgr_rcpt_defer(m, m->rcpts + i, "none", "4.3.0", "address resolver failure");
        else if (pick_error(m->rcpts + i) || pick_discard(m->rcpts + i) ||
                 pick_transport(m->rcpts + i, "retry"))
            errors = true;
    }
    /* Postfix's error(8), retry and discard(8), in place: nothing to connect to. */
    if (errors)
        message_pseudo(m, fd);
    close_quietly(fd);
    for (i = 0; i < m->nrcpts; i++)
        if (m->rcpts[i].state == QR_WAITING)
            need |= qmgr_transport_queue(m->rcpts[i].transport);
    if (need != 0 && message_rename(m, need) < 0) {
        /* The names it has stay; a later scan of them finds it again. */
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
    log_delivery_orig(m->id, r->address, r->orig, relay, m->arrival_sec, m->arrival_usec, dsn,
                      "deferred", reason);
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
        if (m->names == 0)
            CRASH_POINT(QMGR_RECYCLED);
        else
            CRASH_POINT(QMGR_NAME_REMOVED);
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

/*
 * The pass is over: remove, defer or hold the file.  Returns false if the
 * file could not be moved (a full disk: a new name needs room in a
 * directory); it keeps the names it has, and the caller tries again.
 */
static bool message_settle(struct qmgr_message *m)
{
    bool deferred = false, failed = m->failed_before;
    size_t i;

    for (i = 0; i < m->nrcpts; i++) {
        deferred |= m->rcpts[i].state == QR_DEFERRED;
        failed |= m->rcpts[i].state == QR_FAILED;
    }
    if (deferred) {
        if (message_rename(m, QMGR_Q_DEFERRED) < 0)
            return false;
        CRASH_POINT(QMGR_DEFERRED);
        message_retry_time(m);
        CRASH_POINT(QMGR_RETRY_SET);
    } else if (failed) {
        /*
         * Failed recipients are owed a bounce; bounce generation comes with
         * the bounce service.  Until then the message is kept in hold/, so
         * that nothing is lost and an administrator can see it.
         */
        if (!(m->names & QMGR_Q_HOLD)) {
            if (queue_link(some_name(m), QUEUE_HOLD, m->id) < 0) {
                msg_warn("%s: move to %s/: %m", m->id, QUEUE_HOLD);
                return false;
            }
            m->names |= QMGR_Q_HOLD;
            CRASH_POINT(QMGR_HELD);
        }
        (void)message_rename(m, QMGR_Q_HOLD);
        msg_info("%s: held: recipients failed and no bounce service is configured", m->id);
    } else {
        message_remove(m);
        msg_info("%s: removed", m->id);
    }
    return true;
}

/*
 * A message whose file could not be moved stays in memory and tries again,
 * backing off to QMGR_SETTLE_RETRY_MAX_MS: forgetting it would strand it in
 * local/ or remote/, which are only scanned when qmgr starts.
 */
#define QMGR_SETTLE_RETRY_MS 1000
#define QMGR_SETTLE_RETRY_MAX_MS 60000

static void message_finish(struct qmgr_message *m);

static void message_settle_retry(void *ctx)
{
    message_finish(ctx);
}

static void message_finish(struct qmgr_message *m)
{
    if (message_settle(m)) {
        message_free(m);
        return;
    }
    m->settle_delay_ms = m->settle_delay_ms ? m->settle_delay_ms * 2 : QMGR_SETTLE_RETRY_MS;
    if (m->settle_delay_ms > QMGR_SETTLE_RETRY_MAX_MS)
        m->settle_delay_ms = QMGR_SETTLE_RETRY_MAX_MS;
    msg_warn("%s: queue file not moved; trying again in %ld s", m->id, m->settle_delay_ms / 1000);
    event_request_timer(message_settle_retry, m, m->settle_delay_ms);
}

void qmgr_message_job_done(struct qmgr_message *m)
{
    if (--m->jobs == 0)
        message_finish(m);
}
