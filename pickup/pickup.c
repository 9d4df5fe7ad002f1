/*
 * pickup.c - the pickup daemon: start-up, the lock, recovery, wake-ups
 * and the scan of maildrop/ (see pickup.h).
 *
 * A connection to public/pickup is a wake-up: master's timer and postdrop
 * send one request=wakeup frame (trigger.h) and never wait for an answer,
 * so none is sent and none is waited for.  Wake-ups lead to scans of
 * maildrop/, each until a pass changes nothing, as Postfix's pickup does.
 */
#include "sys_defs.h"
#include "pickup.h"
#include "attr.h"
#include "events.h"
#include "iostuff.h"
#include "mail_params.h"
#include "maildrop.h"
#include "msg.h"
#include "qfile.h"
#include "qmgr_proto.h"
#include "queue.h"
#include "virtual.h"
#include "server.h"

#define PICKUP_LOCK_FILE "private/pickup.lock"

static bool pickup_scan_pending;

/* Only one pickup may work on maildrop/ (a reload can start a second). */
static void pickup_lock(void)
{
    int fd = open(PICKUP_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);

    if (fd < 0)
        msg_fatal("open %s/%s: %m", var_queue_dir, PICKUP_LOCK_FILE);
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR)
            msg_fatal("lock %s/%s: %m", var_queue_dir, PICKUP_LOCK_FILE);
    /* fd stays open (and locked) for the life of the process */
}

/* An unready copy a pickup made, and the key of its maildrop file, if incoming/id is one. */
static bool pickup_orphan(const char *id, char *key, size_t len)
{
    char path[64];
    struct stat st;
    struct qmsg q;
    const char *why, *v;
    bool hit = false;
    int fd;

    queue_path(path, sizeof(path), QUEUE_INCOMING, id);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) || QUEUE_MODE_IS_READY(st.st_mode))
        return false;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)) < 0)
        return false;
    if (qfile_read(fd, &q, &why) == 0) {
        if ((v = qmsg_attr(&q, PICKUP_ATTR_FROM)) != NULL && strlen(v) < len) {
            memcpy(key, v, strlen(v) + 1);
            hit = true;
        }
        qmsg_free(&q);
    }
    close_quietly(fd);
    return hit;
}

/* Finish what a pickup that died left between its copy and the hand-over. */
static void pickup_recover(void)
{
    char key[PICKUP_KEY_MAX];
    struct dirent *de;
    DIR *d;

    if ((d = opendir(QUEUE_INCOMING)) == NULL)
        msg_fatal("open %s/%s: %m", var_queue_dir, QUEUE_INCOMING);
    while ((de = readdir(d)) != NULL) {
        if (!queue_id_ok(de->d_name) || !pickup_orphan(de->d_name, key, sizeof(key)))
            continue;
        msg_info("%s: finishing the copy of maildrop/%s that a pickup did not hand over",
                 de->d_name, key);
        pickup_finish(de->d_name, key);
    }
    (void)closedir(d);
}

/* A temporary file of a postdrop that died long ago. */
static void pickup_stale_temp(const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", QUEUE_MAILDROP, name);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
        time(NULL) - st.st_mtime < MAILDROP_STALE_TEMP_SECS)
        return;
    msg_warn("removing stale temporary file %s (uid=%ld)", path, (long)st.st_uid);
    if (unlink(path) < 0 && errno != ENOENT)
        msg_warn("remove %s: %m", path);
}

/* One pass over maildrop/; true if it changed anything. */
static bool pickup_pass(void)
{
    struct dirent *de;
    bool changed = false;
    DIR *d;

    if ((d = opendir(QUEUE_MAILDROP)) == NULL) {
        msg_warn("open %s/%s: %m", var_queue_dir, QUEUE_MAILDROP);
        return false;
    }
    while ((de = readdir(d)) != NULL && !server_draining()) {
        server_watchdog_pat();
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (de->d_name[0] == '.')
            pickup_stale_temp(de->d_name);
        else if (!queue_id_ok(de->d_name))
            changed |= pickup_corrupt(de->d_name, -1, "not a maildrop file name");
        else
            changed |= pickup_file(de->d_name);
    }
    (void)closedir(d);
    return changed;
}

/* Scan until a pass changes nothing, as Postfix's pickup does. */
static void pickup_scan_event(void *ctx UNUSED)
{
    pickup_scan_pending = false;
    while (pickup_pass() && !server_draining())
        ;
}

/* What the peer sent, if it is there already; a wake-up either way. */
static void pickup_check_request(int fd)
{
    unsigned char data[1024];
    const unsigned char *payload;
    struct qmgr_request r;
    struct buf in;
    size_t len, flen;
    const char *why;
    ssize_t n = recv(fd, data, sizeof(data), MSG_DONTWAIT);

    if (n <= 0)
        return;
    buf_init(&in, sizeof(data));
    (void)buf_append(&in, data, (size_t)n);
    if (attr_frame_peek(&in, &payload, &len, &flen) < 0 ||
        (flen > 0 && qmgr_request_decode(payload, len, &r, &why) < 0))
        msg_warn("bad request on public/pickup");
    buf_free(&in);
}

/*
 * A connection is a wake-up (trigger.h): it is closed at once, and one scan
 * serves every wake-up that arrives before it starts.  As an event-driven
 * server pickup is always available to master, so a burst of submissions
 * queues wake-ups instead of looking like a service at its process limit.
 */
static void pickup_accept(int fd)
{
    pickup_check_request(fd);
    close_quietly(fd);
    if (!pickup_scan_pending) {
        pickup_scan_pending = true;
        event_request_timer(pickup_scan_event, NULL, 0);
    }
}

static void pickup_pre_jail(void)
{
    char *err;

    if (virtual_init(&err) < 0)
        msg_fatal("%s", err);
}

static void pickup_post_init(void)
{
    pickup_lock();
    pickup_file_init();
    pickup_recover();
}

int main(int argc, char **argv)
{
    static const struct server_opts opts = {
        .run_forever = true, .pre_jail = pickup_pre_jail, .post_init = pickup_post_init};

    multi_server_main(argc, argv, "pickup", pickup_accept, &opts);
}
