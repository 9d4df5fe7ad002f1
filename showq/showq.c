/*
 * showq.c - the showq daemon: lists the queue for mailq, sendmail -bp
 * and postern-queue -p/-j, as Postfix's showq.  Users may not read the
 * queue directories (mail_owner's, 0700), so this unprivileged daemon
 * reads them as mail_owner on public/showq, which the setgid postern-queue
 * reaches, and streams the frames of showq_proto.h: per message its queue,
 * ID, arrival time, size and sender, then each recipient still to be
 * delivered.  It never changes the queue and never reads content.
 *
 * Order and names as Postfix's: maildrop (not yet picked up), incoming,
 * active (local/ and remote/ here), deferred, hold.  A file with several
 * names (local/ and remote/, or a move in progress) is listed once.  Files
 * being written (temporary names, incoming/ not yet ready) and files that
 * do not parse are not messages and are skipped; pickup and qmgr deal with
 * broken ones.
 */
#include "sys_defs.h"
#include "attr.h"
#include "htable.h"
#include "iostuff.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "maildrop.h"
#include "msg.h"
#include "qfile.h"
#include "queue.h"
#include "server.h"
#include "showq_proto.h"

#define SHOWQ_FLUSH_AT 65536

struct showq_dir {
    const char *dir;  /* in the queue directory */
    const char *name; /* as showq_proto.h names it */
};

static const struct showq_dir showq_dirs[] = {
    {QUEUE_MAILDROP, "maildrop"}, {QUEUE_INCOMING, "incoming"}, {QUEUE_LOCAL, "active"},
    {QUEUE_REMOTE, "active"},     {QUEUE_DEFERRED, "deferred"}, {QUEUE_HOLD, "hold"},
};

struct showq {
    struct stream *s;
    struct buf out;
    struct htable seen; /* "dev:ino" of files with more than one name, once listed */
    bool failed;
};

static void showq_send(struct showq *q, const struct showq_frame *f)
{
    showq_frame_encode(&q->out, f);
    if (q->out.len < SHOWQ_FLUSH_AT)
        return;
    if (!q->failed && attr_write_frames(q->s, &q->out) < 0)
        q->failed = true;
    buf_reset(&q->out);
}

/* Has a file with this many names been listed already (else: remember it)? */
static bool showq_listed(struct showq *q, const struct stat *st)
{
    char key[64];

    if (st->st_nlink < 2)
        return false;
    snprintf(key, sizeof(key), "%llu:%llu", (unsigned long long)st->st_dev,
             (unsigned long long)st->st_ino);
    if (htable_find(&q->seen, key))
        return true;
    htable_enter(&q->seen, key, q);
    return false;
}

/* Is this a file to list, not one still being written? */
static bool showq_complete(const struct showq_dir *d, const struct stat *st)
{
    if (!S_ISREG(st->st_mode))
        return false;
    if (strcmp(d->dir, QUEUE_INCOMING) == 0)
        return QUEUE_MODE_IS_READY(st->st_mode);
    if (strcmp(d->dir, QUEUE_MAILDROP) == 0)
        return MAILDROP_IS_READY(st->st_mode) || time(NULL) - st->st_ctime >= MAILDROP_ORPHAN_SECS;
    return true;
}

static void showq_message(struct showq *q, const struct showq_dir *d, const char *id,
                          const struct qmsg *m)
{
    struct showq_frame f = {.type = SHOWQ_MESSAGE};
    struct buf addr;
    size_t i;

    buf_init(&addr, SHOWQ_TEXT_MAX);
    mail_addr_quote_internal(m->sender, &addr);
    f.queue_name = d->name;
    f.queue_id = id;
    f.arrival_time = m->arrival_sec;
    f.message_size = m->content_len;
    f.sender = buf_str(&addr);
    showq_send(q, &f);
    for (i = 0; i < m->nrcpts; i++) {
        if (m->rcpts[i].status != QFILE_RCPT_PENDING)
            continue;
        buf_reset(&addr);
        mail_addr_quote_internal(m->rcpts[i].address, &addr);
        f = (struct showq_frame){.type = SHOWQ_RECIPIENT, .address = buf_str(&addr)};
        /* The reason for a delay is not kept yet; Postfix omits an unknown one too. */
        showq_send(q, &f);
    }
    buf_free(&addr);
}

static void showq_file(struct showq *q, const struct showq_dir *d, const char *id)
{
    char path[64];
    struct stat st;
    struct qmsg m;
    const char *why;
    int fd;

    queue_path(path, sizeof(path), d->dir, id);
    if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
        return; /* gone meanwhile: delivered, or moved (then listed where it went) */
    if (fstat(fd, &st) < 0 || !showq_complete(d, &st) || showq_listed(q, &st) ||
        qfile_read(fd, &m, &why) < 0) {
        close_quietly(fd);
        return;
    }
    close_quietly(fd);
    showq_message(q, d, id, &m);
    qmsg_free(&m);
}

static void showq_dir(struct showq *q, const struct showq_dir *d)
{
    struct dirent *de;
    DIR *dir;

    if ((dir = opendir(d->dir)) == NULL) {
        msg_warn("open %s/%s: %m", var_queue_dir, d->dir);
        return;
    }
    while ((de = readdir(dir)) != NULL && !q->failed) {
        if (queue_id_ok(de->d_name))
            showq_file(q, d, de->d_name);
        server_watchdog_pat();
    }
    (void)closedir(dir);
}

static void showq_service(struct stream *s)
{
    struct showq q = {.s = s};
    struct showq_frame end = {.type = SHOWQ_END};
    size_t i;

    buf_init(&q.out, ATTR_FRAME_MAX);
    htable_init(&q.seen, 64);
    attr_put_hello(&q.out, SHOWQ_PROTOCOL, SHOWQ_VERSION);
    for (i = 0; i < COUNTOF(showq_dirs) && !q.failed; i++)
        showq_dir(&q, showq_dirs + i);
    showq_send(&q, &end);
    if (!q.failed && q.out.len > 0 && attr_write_frames(s, &q.out) < 0)
        q.failed = true;
    /* A reader that stopped early (mailq | head) is no reason for a warning. */
    if (q.failed && s->error != EPIPE)
        msg_warn("send the queue listing: %s", stream_strerror(s));
    htable_free(&q.seen);
    buf_free(&q.out);
    stream_close(s);
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {0};

    single_server_main(argc, argv, "showq", showq_service, &opts);
}
