/*
 * postdrop.c - "postdrop": puts a local user's message into maildrop/,
 * as Postfix's postdrop.  It is installed setgid postdrop (2755
 * root:postdrop) and runs with the user's uid, so maildrop/ (1730
 * mail_owner:postdrop) is the one place it can write, and a file it makes
 * is the user's: pickup learns who sent it from the kernel, not from us.
 *
 *   postdrop [-c config_dir] [-v]   a message on standard input (from sendmail)
 *   postdrop [-c config_dir] -w     wake pickup and qmgr (sendmail -q)
 *
 * The input is the stream of maildrop.h: queue file records from the
 * sender on.  postdrop writes its own records first (the time and the real
 * uid), copies the input after them, and checks the whole file with the
 * one queue file parser and maildrop_check() before it is named: nothing
 * the user sent is trusted beyond what a user may choose (sender,
 * recipients, DSN options, content).  Then, as maildrop.h says: fdatasync,
 * rename to maildrop/ID, make the name durable, mark it ready, and exit 0.
 * Only exit status 0 means the message is safe; any failure removes what
 * was written.
 *
 * Errors go to standard error in one line, with sysexits.h codes that
 * sendmail passes on: EX_TEMPFAIL for a write error (a full disk among
 * them), EX_UNAVAILABLE for a message over message_size_limit ("message
 * file too big", as Postfix), EX_SOFTWARE for input that is not the
 * stream sendmail writes, EX_CONFIG for a configuration it may not use.
 */
#include "sys_defs.h"
#include <sysexits.h>
#include "crash_point.h"
#include "iostuff.h"
#include "mail_params.h"
#include "maildrop.h"
#include "mymalloc.h"
#include "msg.h"
#include "qmgr_proto.h"
#include "queue.h"
#include "setgid_cmd.h"
#include "trigger.h"

#define POSTDROP_CHUNK 65536
#define PICKUP_SOCKET "public/pickup"

/* The temporary name, for the signal handler and msg_fatal's hook. */
static char postdrop_tmp[64];
static volatile sig_atomic_t postdrop_tmp_set;
static uid_t postdrop_uid;

static void postdrop_cleanup(void)
{
    if (postdrop_tmp_set) {
        postdrop_tmp_set = 0;
        (void)unlink(postdrop_tmp);
    }
}

/* Interrupted by the user: nothing half-written stays behind. */
static void postdrop_signal(int sig UNUSED)
{
    postdrop_cleanup();
    _exit(EX_TEMPFAIL);
}

static NORETURN void fail(int status, const char *fmt, ...) PRINTFLIKE(2, 3);

static void fail(int status, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    msg_fatal_status(status);
    msg_fatal("uid=%ld: %s", (long)postdrop_uid, text);
}

static NORETURN void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: postdrop [-c config_dir] [-v]   (a message from sendmail on standard input)\n"
            "       postdrop [-c config_dir] -w     (wake pickup and the queue manager)\n"
            "  postdrop is run by sendmail; it is not a command for people.\n");
    exit(status);
}

static void postdrop_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    (void)sigaction(SIGPIPE, &sa, NULL);
    (void)sigaction(SIGXFSZ, &sa, NULL); /* a file size limit is a write error */
    sa.sa_handler = postdrop_signal;
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGQUIT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
    (void)sigaction(SIGHUP, &sa, NULL);
    msg_fatal_hook(postdrop_cleanup);
}

/* Create the temporary file; returns its descriptor. */
static int postdrop_create(const struct timeval *now)
{
    int fd, attempt;

    for (attempt = 0; attempt < 10; attempt++) {
        snprintf(postdrop_tmp, sizeof(postdrop_tmp), "%s/.%ld.%ld.%d", QUEUE_MAILDROP,
                 (long)getpid(), (long)now->tv_usec, attempt);
        fd = open(postdrop_tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  MAILDROP_MODE_NEW);
        if (fd >= 0) {
            postdrop_tmp_set = 1;
            return fd;
        }
        if (errno != EEXIST)
            break;
    }
    fail(EX_TEMPFAIL, "create file %s/%s: %m", var_queue_dir, postdrop_tmp);
}

/* postdrop's records, then the input, up to what maildrop_check() could pass. */
static void postdrop_write(int fd, const struct timeval *now)
{
    unsigned char *chunk = xmalloc(POSTDROP_CHUNK);
    long long max = maildrop_file_max(var_message_size_limit), size = 0;
    char text[64];
    struct buf b;
    ssize_t n;

    buf_init(&b, 4096);
    maildrop_put(&b, QFILE_REC_VERSION, QFILE_VERSION, strlen(QFILE_VERSION));
    /* The caller's idea of the time is not asked for. */
    snprintf(text, sizeof(text), "%lld %ld", (long long)now->tv_sec, (long)now->tv_usec);
    maildrop_put(&b, QFILE_REC_TIME, text, strlen(text));
    snprintf(text, sizeof(text), "%ld", (long)postdrop_uid);
    maildrop_put_attr(&b, MAILDROP_ATTR_UID, text);
    if (write_full(fd, b.data, b.len) < 0)
        fail(EX_TEMPFAIL, "queue file write error: %m");
    buf_free(&b);
    while ((n = read(0, chunk, POSTDROP_CHUNK)) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(EX_TEMPFAIL, "read input: %m");
        }
        if ((size += n) > max)
            fail(EX_UNAVAILABLE, "message file too big");
        if (write_full(fd, chunk, (size_t)n) < 0)
            fail(errno == EFBIG ? EX_UNAVAILABLE : EX_TEMPFAIL, "%s: %m",
                 errno == EFBIG ? "message file too big" : "queue file write error");
    }
    free(chunk);
}

/* The whole file, as pickup will read it. */
static void postdrop_check(int fd)
{
    struct qmsg q;
    const char *why;
    bool too_big;

    if (qfile_read(fd, &q, &why) < 0)
        fail(EX_SOFTWARE, "malformed input: %s", why);
    if (maildrop_check(&q, postdrop_uid, var_message_size_limit, &too_big, &why) < 0)
        fail(too_big ? EX_UNAVAILABLE : EX_SOFTWARE, "%s%s",
             too_big ? "" : "malformed input: ", why);
    if (msg_verbose)
        msg_info("from=<%s>, nrcpt=%zu, size=%lld", q.sender, q.nrcpts, q.content_len);
    qmsg_free(&q);
}

/*
 * Make the name durable.  maildrop/ is 1730: the postdrop group may enter
 * and write it but not read it, and a directory opens for fsync() only
 * with read permission.  So a user's postdrop fsyncs the file instead: the
 * rename changed the file's ctime in the same file system transaction, so
 * that commits the new name too on journalling file systems (ext4, xfs,
 * btrfs).  Root, or a mode that allows it, gets the directory fsync.
 */
static int postdrop_sync_name(int fd)
{
    int dfd = open(QUEUE_MAILDROP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int ret;

    if (dfd < 0)
        return errno == EACCES ? fsync(fd) : -1;
    ret = fsync(dfd);
    close_quietly(dfd);
    return ret;
}

/* The name could not be made durable or ready: take it back (queue.h's reasoning). */
static NORETURN void postdrop_take_back(const char *path, int err)
{
    if (unlink(path) < 0 && errno == ENOENT) {
        /* An unready file older than a minute is pickup's; it has this one. */
        msg_warn("uid=%ld: %s: %s; pickup has taken the message", (long)postdrop_uid, path,
                 strerror(err));
        exit(0);
    }
    errno = err;
    fail(EX_TEMPFAIL, "queue file write error: %m");
}

static void postdrop_commit(int fd, const struct timeval *now)
{
    char path[64], id[QUEUE_ID_MAX + 1];
    struct stat st;

    CRASH_POINT(POSTDROP_WRITTEN);
    if (fdatasync(fd) < 0)
        fail(EX_TEMPFAIL, "queue file write error: %m");
    CRASH_POINT(POSTDROP_SYNCED);
    if (fstat(fd, &st) < 0)
        fail(EX_TEMPFAIL, "fstat %s: %m", postdrop_tmp);
    queue_id_make(id, sizeof(id), now->tv_usec, st.st_ino);
    queue_path(path, sizeof(path), QUEUE_MAILDROP, id);
    /* RENAME_NOREPLACE: a name is never reused while its file exists. */
    if (renameat2(AT_FDCWD, postdrop_tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0 &&
        (errno != EINVAL || rename(postdrop_tmp, path) < 0))
        fail(EX_TEMPFAIL, "rename %s to %s: %m", postdrop_tmp, path);
    postdrop_tmp_set = 0;
    CRASH_POINT(POSTDROP_RENAMED);
    if (postdrop_sync_name(fd) < 0)
        postdrop_take_back(path, errno);
    CRASH_POINT(POSTDROP_NAME_SYNCED);
    if (fchmod(fd, MAILDROP_MODE_READY) < 0)
        postdrop_take_back(path, errno);
    CRASH_POINT(POSTDROP_READY);
    if (msg_verbose)
        msg_info("queued as %s", path);
}

/* sendmail -q: a queue run now, and a look at maildrop/. */
static NORETURN void postdrop_wakeup(void)
{
    (void)trigger_wakeup(PICKUP_SOCKET);
    if (trigger_wakeup(QMGR_SOCKET) < 0)
        fail(EX_UNAVAILABLE, "cannot flush the mail queue: the mail system is down");
    exit(0);
}

int main(int argc, char **argv)
{
    const char *config_dir = NULL;
    bool wake = false;
    struct timeval now;
    char *err;
    int c, fd;

    postdrop_uid = getuid();
    msg_init("postdrop");
    msg_syslog(false);
    msg_stderr(true, false);
    msg_fatal_status(EX_TEMPFAIL);
    for (c = 1; c < argc; c++)
        if (strcmp(argv[c], "--help") == 0)
            usage(0);
    while ((c = getopt(argc, argv, "+c:rvw")) != -1) {
        switch (c) {
        case 'c':
            config_dir = optarg;
            break;
        case 'r': /* Postfix's sendmail passes it; nothing to do */
            break;
        case 'v':
            msg_verbose++;
            break;
        case 'w':
            wake = true;
            break;
        default:
            usage(EX_USAGE);
        }
    }
    if (optind != argc)
        usage(EX_USAGE);
    config_dir = xstrdup(mail_conf_dir(config_dir)); /* before the environment goes */
    setgid_cmd_init();
    if (setgid_conf_load(config_dir, &err) < 0)
        fail(EX_CONFIG, "%s", err);
    if (chdir(var_queue_dir) < 0)
        fail(EX_TEMPFAIL, "chdir %s: %m", var_queue_dir);
    postdrop_signals();
    if (wake)
        postdrop_wakeup();
    gettimeofday(&now, NULL);
    fd = postdrop_create(&now);
    postdrop_write(fd, &now);
    postdrop_check(fd);
    postdrop_commit(fd, &now);
    close_quietly(fd);
    /* A hint: pickup also scans maildrop/ on its timer. */
    if (trigger_wakeup(PICKUP_SOCKET) < 0)
        msg_debug("wake %s: %m", PICKUP_SOCKET);
    return 0;
}
