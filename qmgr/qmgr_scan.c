/*
 * qmgr_scan.c - finding work on disk: recovery at start-up, incoming/
 * (normally announced by smtpd, scanned as a safety net), and deferred/
 * (files whose mtime, the next retry time, has passed).
 *
 * qmgr keeps at most qmgr_message_active_limit messages in memory.  When
 * that is reached, the rest stays on disk and is picked up as room frees,
 * alternating between incoming/ and deferred/ so neither starves.
 */
#include "sys_defs.h"
#include "qmgr.h"
#include "mail_params.h"
#include "events.h"
#include "msg.h"

#define QMGR_STALE_TEMP_SECS 86400 /* a half-written file this old is dead */
/* incoming/ is announced by smtpd; this scan only catches lost announcements. */
#define QMGR_INCOMING_SCAN_MS 5000

static bool backlog_incoming, backlog_deferred;
static bool scan_deferred_first;

static bool stale_temp(const char *queue, const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", queue, name);
    if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return false;
    if (time(NULL) - st.st_mtime < QMGR_STALE_TEMP_SECS)
        return false;
    msg_warn("removing stale temporary file %s/%s", queue, name);
    if (unlink(path) < 0 && errno != ENOENT)
        msg_warn("remove %s: %m", path);
    return true;
}

static bool due(const char *queue, const char *name)
{
    char path[PATH_MAX];
    struct stat st;

    snprintf(path, sizeof(path), "%s/%s", queue, name);
    return lstat(path, &st) == 0 && st.st_mtime <= time(NULL);
}

#define SCAN_DUE_ONLY 0x100 /* only files whose retry time (mtime) has come */

/* Load what a directory holds (flags: QMGR_LOAD_*, SCAN_*); false if the
 * active limit stopped us. */
static bool scan_dir(const char *queue, int flags)
{
    struct dirent *de;
    DIR *d;
    bool complete = true;

    if ((d = opendir(queue)) == NULL) {
        msg_warn("open queue %s/%s: %m", var_queue_dir, queue);
        return true;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            if (strcmp(queue, QUEUE_INCOMING) == 0 && strcmp(de->d_name, ".") != 0 &&
                strcmp(de->d_name, "..") != 0)
                (void)stale_temp(queue, de->d_name);
            continue;
        }
        if (!queue_id_ok(de->d_name)) {
            msg_warn("%s/%s: not a queue file name; left alone", queue, de->d_name);
            continue;
        }
        if (qmgr_message_find(de->d_name) != NULL)
            continue;
        if ((flags & SCAN_DUE_ONLY) && !due(queue, de->d_name))
            continue;
        if (qmgr_active_count >= var_qmgr_message_active_limit) {
            complete = false;
            break;
        }
        (void)qmgr_message_load(queue, de->d_name, flags & ~SCAN_DUE_ONLY);
    }
    (void)closedir(d);
    return complete;
}

static void scan_incoming(void)
{
    backlog_incoming = !scan_dir(QUEUE_INCOMING, 0);
}

static void scan_deferred(void)
{
    backlog_deferred = !scan_dir(QUEUE_DEFERRED, SCAN_DUE_ONLY);
}

/* Scan both, taking turns at going first. */
static void scan_event(void *ctx UNUSED)
{
    scan_deferred_first = !scan_deferred_first;
    if (scan_deferred_first) {
        scan_deferred();
        scan_incoming();
    } else {
        scan_incoming();
        scan_deferred();
    }
}

static void periodic_event(void *ctx)
{
    event_request_timer(periodic_event, ctx, var_queue_run_delay * 1000);
    scan_event(NULL);
}

void qmgr_scan_soon(void)
{
    event_request_timer(scan_event, NULL, 0);
}

void qmgr_backlog(void)
{
    backlog_incoming = true;
}

void qmgr_room_freed(void)
{
    if ((backlog_incoming || backlog_deferred) && qmgr_active_count < var_qmgr_message_active_limit)
        qmgr_scan_soon();
}

void qmgr_scan_recover(void)
{
    /* Messages that were being delivered when the last qmgr stopped. */
    (void)scan_dir(QUEUE_LOCAL, QMGR_LOAD_RECOVERED);
    (void)scan_dir(QUEUE_REMOTE, QMGR_LOAD_RECOVERED);
    /* After a crash a file's "ready" mark may not have reached the disk,
     * so a starting qmgr takes every complete file (queue.h). */
    backlog_incoming = !scan_dir(QUEUE_INCOMING, QMGR_LOAD_UNREADY);
    scan_deferred();
}

static void incoming_event(void *ctx)
{
    event_request_timer(incoming_event, ctx, QMGR_INCOMING_SCAN_MS);
    scan_incoming();
}

void qmgr_scan_init(void)
{
    event_request_timer(periodic_event, NULL, var_queue_run_delay * 1000);
    event_request_timer(incoming_event, NULL, QMGR_INCOMING_SCAN_MS);
}
