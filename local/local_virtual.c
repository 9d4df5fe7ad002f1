/*
 * local_virtual.c - delivery to the mailboxes of virtual mailbox domains,
 * what Postfix's virtual(8) does: master.cf runs this program a second
 * time as the "virtual" service, and qmgr hands it the recipients that
 * resolve.h puts in a virtual mailbox domain.
 *
 * A mailbox is what virtual_mailbox_maps says, under virtual_mailbox_base
 * (a trailing "/" makes it a Maildir, otherwise an mbox file), written with
 * the ids of virtual_uid_maps and virtual_gid_maps: never as root, never
 * as a system account (virtual_minimum_uid).  Missing directories under
 * the base are made with those ids, as Postfix does.
 *
 * Quotas (the map's quota=SIZE, else virtual_mailbox_quota) count the
 * Maildir's messages (new/ and cur/ of the inbox and of every folder, by
 * the S= size in their names) or the mbox file's size.  A message that does
 * not fit is deferred (4.2.2), so that the owner has time to make room,
 * and bounced (5.2.2) once it has waited virtual_quota_defer_time.
 */
#include "sys_defs.h"
#include "local.h"
#include "log_delivery.h"
#include "mail_addr.h"
#include "mail_params.h"
#include "msg.h"
#include "mymalloc.h"
#include "priv.h"
#include "strutil.h"
#include "virtual.h"

int local_virtual_init(char **error_r)
{
    return virtual_init(error_r);
}

/* The size of one Maildir message from its name (",S=123"), else from stat. */
static long long maildir_file_size(int dirfd, const char *name)
{
    const char *s = strstr(name, ",S=");
    struct stat st;
    long long v;
    char num[24];

    if (s != NULL) {
        size_t n = strspn(s + 3, "0123456789");

        if (n > 0 && n < sizeof(num)) {
            memcpy(num, s + 3, n);
            num[n] = 0;
            if (str_to_ll(num, 0, LLONG_MAX, &v) == 0)
                return v;
        }
    }
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)
               ? (long long)st.st_size
               : 0;
}

/* Add up the messages in dir (new/ or cur/ of a folder); a missing one holds none. */
static void maildir_dir_usage(const char *dir, long long *used)
{
    struct dirent *de;
    DIR *d;

    if ((d = opendir(dir)) == NULL)
        return;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            *used += maildir_file_size(dirfd(d), de->d_name);
    closedir(d);
}

/* The inbox and its Maildir++ folders (".Name"). */
static void maildir_usage(const char *path, long long *used)
{
    char dir[PATH_MAX];
    struct dirent *de;
    DIR *d;

    if ((size_t)snprintf(dir, sizeof(dir), "%s/new", path) < sizeof(dir))
        maildir_dir_usage(dir, used);
    if ((size_t)snprintf(dir, sizeof(dir), "%s/cur", path) < sizeof(dir))
        maildir_dir_usage(dir, used);
    if ((d = opendir(path)) == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s/new", path, de->d_name) < sizeof(dir))
            maildir_dir_usage(dir, used);
        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s/cur", path, de->d_name) < sizeof(dir))
            maildir_dir_usage(dir, used);
    }
    closedir(d);
}

/* The space the mailbox uses now (call with the mailbox's ids). */
static long long mailbox_usage(const struct virtual_mailbox *mb)
{
    struct stat st;
    long long used = 0;

    if (!mb->maildir)
        return stat(mb->path, &st) == 0 ? (long long)st.st_size : 0;
    maildir_usage(mb->path, &used);
    return used;
}

/*
 * Make the missing directories between virtual_mailbox_base and the
 * mailbox (with the mailbox's ids; the base itself is the site's).
 */
static int mailbox_parents(const struct virtual_mailbox *mb)
{
    char dir[PATH_MAX];
    size_t base = strlen(var_virtual_mailbox_base);
    char *p;

    str_copy(dir, mb->path, sizeof(dir));
    /* Not the mailbox itself: maildir.h makes a Maildir, mbox.h a file. */
    for (p = dir + base + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = 0;
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* Does the message fit, given the quota?  Fills *res when it does not. */
static bool mailbox_fits(const struct local_msg *m, const struct virtual_mailbox *mb,
                         struct local_result *res)
{
    long long used;

    if (mb->quota <= 0)
        return true;
    used = mailbox_usage(mb);
    if (used + m->q->content_len <= mb->quota)
        return true;
    if ((long long)time(NULL) - m->q->arrival_sec < var_virtual_quota_defer_time)
        local_result_set(res, DELIVER_DEFERRED, "4.2.2",
                         "mailbox full: %lld of %lld bytes used, the message has %lld", used,
                         mb->quota, m->q->content_len);
    else
        local_result_set(res, DELIVER_BOUNCED, "5.2.2", "mailbox full: %lld of %lld bytes used",
                         used, mb->quota);
    return false;
}

/* Deliver to a mailbox that was found. */
static void deliver_mailbox(const struct local_dest *d, const struct virtual_mailbox *mb,
                            struct local_result *res)
{
    struct local_user u = {.uid = mb->uid, .gid = mb->gid};
    bool ready;

    str_copy(u.name, d->address, sizeof(u.name));
    if (priv_as_user(mb->uid, mb->gid) < 0) {
        local_result_set(res, DELIVER_DEFERRED, "4.3.0", "cannot become uid %ld: %s", (long)mb->uid,
                         strerror(errno));
        return;
    }
    if (mailbox_parents(mb) < 0) {
        local_result_set(res, DELIVER_DEFERRED, "4.2.0", "cannot create the directories of %s: %s",
                         mb->path, strerror(errno));
        ready = false;
    } else {
        ready = mailbox_fits(d->m, mb, res);
    }
    priv_as_root();
    if (!ready)
        return;
    if (mb->maildir)
        local_deliver_maildir(d, &u, mb->path, res);
    else
        local_deliver_mbox(d, &u, mb->path, mb->gid, res);
}

void local_deliver_virtual(const struct local_msg *m, const struct qrcpt *rcpt,
                           struct local_result *res)
{
    struct local_dest d = {m, rcpt, rcpt->address};
    struct virtual_mailbox mb;
    struct mail_addr a;
    char *err = NULL;

    if (mail_addr_from_internal(rcpt->address, &a) < 0) {
        local_result_set(res, DELIVER_BOUNCED, "5.1.3", "bad address syntax");
    } else {
        switch (virtual_mailbox_find(&a, &mb, &err)) {
        case 1:
            deliver_mailbox(&d, &mb, res);
            break;
        case 0:
            local_result_set(res, DELIVER_BOUNCED, "5.1.1",
                             "User unknown in virtual mailbox table");
            break;
        default:
            /* A table or an entry the site must fix: mail waits meanwhile. */
            msg_warn("%s: %s", m->queue_id, err);
            local_result_set(res, DELIVER_DEFERRED, "4.3.0", "mail system configuration error");
            free(err);
            break;
        }
    }
    log_delivery_orig(m->queue_id, rcpt->address,
                      rcpt->orcpt && !str_eq_nocase(rcpt->orcpt, rcpt->address) ? rcpt->orcpt
                                                                                : NULL,
                      "virtual", m->q->arrival_sec, m->q->arrival_usec, res->dsn,
                      deliver_status_name(res->status), res->reason);
}
