/*
 * master_service.c - the service table: binding listeners, deciding when a
 * service needs another process, wake-up triggers, and reloads.
 *
 * A service listens only while it has no idle process and is below its
 * process limit; a connection then makes master start one process, which
 * counts as idle until it reports otherwise.  That is Postfix's on-demand
 * model, and it never starts more processes than there is work for.
 */
#include "sys_defs.h"
#include "master.h"
#include "mail_params.h"
#include "qmgr_proto.h"
#include "attr.h"
#include "events.h"
#include "iostuff.h"
#include "mymalloc.h"
#include "msg.h"
#include "sock.h"
#include "priv.h"
#include "strutil.h"

struct master_serv *master_services;

/* A description of the sockets a service is bound to, to detect changes. */
static char *serv_bind_key(const struct master_ent *e)
{
    if (e->type == MASTER_TYPE_UNIX)
        return xasprintf("unix:%s/%s", e->private_ ? "private" : "public", e->name);
    return xasprintf("inet:%s:%s", e->host ? e->host : var_inet_interfaces, e->port);
}

static int serv_bind_unix(struct master_serv *s, char **error_r)
{
    char path[PATH_MAX];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", s->ent.private_ ? "private" : "public", s->ent.name);
    fd = unix_listen(path, 128, s->ent.private_ ? 0600 : 0666, var_owner_uid, var_owner_gid);
    if (fd < 0) {
        *error_r = xasprintf("%s, line %d: bind %s/%s: %s", s->ent.file, s->ent.line, var_queue_dir,
                             path, strerror(errno));
        return -1;
    }
    s->listen_fd[s->nlisten++] = fd;
    return 0;
}

static int serv_bind_inet(struct master_serv *s, char **error_r)
{
    char **hosts;
    size_t n, i;
    const char *why;

    if (s->ent.host)
        hosts = str_split_list(s->ent.host, &n);
    else if (str_eq_nocase(var_inet_interfaces, "all"))
        hosts = str_split_list("", &n);
    else if (str_eq_nocase(var_inet_interfaces, "loopback-only"))
        hosts = str_split_list("127.0.0.1", &n);
    else
        hosts = str_split_list(var_inet_interfaces, &n);
    for (i = 0; i < (n ? n : 1); i++) {
        int fd;

        if (s->nlisten >= MASTER_LISTEN_MAX) {
            *error_r = xasprintf("%s, line %d: too many addresses", s->ent.file, s->ent.line);
            str_list_free(hosts);
            return -1;
        }
        fd = inet_listen(n ? hosts[i] : NULL, s->ent.port, 128, &why);
        if (fd < 0) {
            *error_r = xasprintf("%s, line %d: bind %s port %s: %s", s->ent.file, s->ent.line,
                                 n ? hosts[i] : "*", s->ent.port, why);
            str_list_free(hosts);
            return -1;
        }
        s->listen_fd[s->nlisten++] = fd;
    }
    str_list_free(hosts);
    return 0;
}

static void serv_listen_event(int fd UNUSED, void *ctx)
{
    struct master_serv *s = ctx;

    master_spawn(s);
    master_avail_listen(s);
}

/* A warning at most this often per service, as Postfix's. */
#define MASTER_STRESS_LOG_S 300

/*
 * A client waits and every process is busy at the process limit: the
 * service is under stress (server.h).  Tell the busy processes, so that
 * they shorten their timeouts and the idle clients holding them go, and
 * start new ones with stress=yes until a process is free again.
 */
static void serv_stress_event(int fd UNUSED, void *ctx)
{
    struct master_serv *s = ctx;
    time_t now = time(NULL);

    if (now - s->stress_logged >= MASTER_STRESS_LOG_S) {
        msg_warn("service \"%s\" (%s) has reached its process limit \"%d\": new clients may "
                 "experience noticeable delays",
                 s->ent.name, s->bind_key, s->ent.maxproc);
        msg_warn("to avoid this condition, increase the process count in master.cf or reduce "
                 "the service time per client");
        s->stress_logged = now;
    }
    s->stressed = true;
    s->stress_noted = true;
    master_signal_busy(s, MASTER_SIG_STRESS);
    master_avail_listen(s);
}

void master_avail_listen(struct master_serv *s)
{
    bool at_limit = s->ent.maxproc > 0 && s->total >= s->ent.maxproc;
    bool open = !master_stopping && !s->throttled && s->avail == 0;
    int want = MASTER_LISTEN_NONE, i;

    if (s->avail > 0)
        s->stressed = s->stress_noted = false;
    if (open && !at_limit)
        want = MASTER_LISTEN_SPAWN;
    else if (open && !s->stress_noted)
        want = MASTER_LISTEN_STRESS; /* once per episode: a waiting client stays readable */
    if (want == s->listening)
        return;
    for (i = 0; i < s->nlisten; i++) {
        if (want == MASTER_LISTEN_SPAWN)
            event_enable_read(s->listen_fd[i], serv_listen_event, s);
        else if (want == MASTER_LISTEN_STRESS)
            event_enable_read(s->listen_fd[i], serv_stress_event, s);
        else
            event_disable_read(s->listen_fd[i]);
    }
    s->listening = want;
}

/* Connect to the service's own socket and ask it to scan its queues. */
static void serv_wakeup_event(void *ctx)
{
    struct master_serv *s = ctx;
    struct qmgr_request r = {QMGR_REQ_WAKEUP, NULL};
    char path[PATH_MAX];
    struct buf frame;
    int fd;

    if (s->ent.wakeup > 0)
        event_request_timer(serv_wakeup_event, s, (long)s->ent.wakeup * 1000);
    if (s->ent.type != MASTER_TYPE_UNIX || master_stopping)
        return;
    snprintf(path, sizeof(path), "%s/%s", s->ent.private_ ? "private" : "public", s->ent.name);
    /* The socket's directory is mail_owner's: never follow its names as root. */
    if (priv_as_user(var_owner_uid, var_owner_gid) < 0) {
        msg_warn("wakeup %s: cannot become %s: %m", path, var_mail_owner);
        return;
    }
    fd = unix_connect(path, true);
    priv_as_root();
    if (fd < 0) {
        msg_warn("wakeup %s: %m", path);
        return;
    }
    buf_init(&frame, 256);
    qmgr_request_encode(&frame, &r);
    /* One small frame fits the socket buffer; if not, the wake-up is dropped. */
    if (send(fd, frame.data, frame.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 && errno != EAGAIN)
        msg_debug("wakeup %s: %m", path);
    buf_free(&frame);
    close_quietly(fd);
}

void master_wakeup_now(struct master_serv *s)
{
    if (s->ent.wakeup > 0)
        event_request_timer(serv_wakeup_event, s, 0);
}

static struct master_serv *serv_create(struct master_ent *e, struct master_serv *old,
                                       char **error_r)
{
    struct master_serv *s = xcalloc(1, sizeof(*s));

    s->ent = *e;
    memset(e, 0, sizeof(*e));
    s->bind_key = serv_bind_key(&s->ent);
    if (old && strcmp(old->bind_key, s->bind_key) == 0) {
        /* Same sockets: hand them over, so no connection is refused. */
        memcpy(s->listen_fd, old->listen_fd, sizeof(s->listen_fd));
        s->nlisten = old->nlisten;
        if (old->listening) {
            for (int i = 0; i < old->nlisten; i++)
                event_disable_read(old->listen_fd[i]);
            old->listening = MASTER_LISTEN_NONE;
        }
        old->nlisten = 0;
    } else if ((s->ent.type == MASTER_TYPE_UNIX ? serv_bind_unix(s, error_r)
                                                : serv_bind_inet(s, error_r)) < 0) {
        master_serv_free(s);
        return NULL;
    }
    if (pipe2(s->status_fd, O_CLOEXEC) < 0)
        msg_fatal("pipe: %m");
    if (set_nonblock(s->status_fd[0], true) < 0)
        msg_fatal("status pipe: %m");
    event_enable_read(s->status_fd[0], master_status_event, s);
    master_avail_listen(s);
    master_wakeup_now(s);
    return s;
}

void master_serv_free(struct master_serv *s)
{
    int i;

    /* A removed unix service takes its socket name with it (unless the
     * listener was handed over to a replacement: nlisten is 0 then). */
    if (s->ent.type == MASTER_TYPE_UNIX && s->nlisten > 0) {
        char path[PATH_MAX];

        snprintf(path, sizeof(path), "%s/%s", s->ent.private_ ? "private" : "public", s->ent.name);
        if (unlink(path) < 0 && errno != ENOENT)
            msg_warn("remove %s: %m", path);
    }
    for (i = 0; i < s->nlisten; i++) {
        event_remove(s->listen_fd[i]);
        close_quietly(s->listen_fd[i]);
    }
    if (s->status_fd[0] > 0) {
        event_remove(s->status_fd[0]);
        close_quietly(s->status_fd[0]);
        close_quietly(s->status_fd[1]);
    }
    event_cancel_timer(serv_wakeup_event, s);
    master_throttle_cancel(s);
    master_ent_free(&s->ent);
    free(s->bind_key);
    free(s);
}

static int master_cf_load(struct master_ent **ents, size_t *n, char **error_r)
{
    char *path = xasprintf("%s/master.cf", master_config_dir);
    int ret = master_cf_read(path, (int)var_default_process_limit, ents, n, error_r);

    free(path);
    return ret;
}

int master_services_load(char **error_r)
{
    struct master_ent *ents;
    struct master_serv **tail = &master_services;
    size_t n, i;

    if (master_cf_load(&ents, &n, error_r) < 0)
        return -1;
    for (i = 0; i < n; i++) {
        struct master_serv *s = serv_create(ents + i, NULL, error_r);

        if (s == NULL) {
            master_cf_free(ents, n);
            return -1;
        }
        *tail = s;
        tail = &s->next;
    }
    master_cf_free(ents, n);
    return 0;
}

static struct master_serv *serv_unlink(const struct master_ent *e)
{
    struct master_serv **pp, *s;

    for (pp = &master_services; (s = *pp) != NULL; pp = &s->next) {
        if (strcmp(s->ent.name, e->name) == 0 && s->ent.type == e->type) {
            *pp = s->next;
            s->next = NULL;
            return s;
        }
    }
    return NULL;
}

/*
 * Apply a new master.cf: unchanged services keep their sockets, changed ones
 * get a new entry (keeping sockets where the address is the same), removed
 * ones close theirs.  Every old process is told to finish its current work
 * and exit, so that all of them pick up the new main.cf.
 */
void master_services_reload(void)
{
    struct master_ent *ents;
    struct master_serv *kept = NULL, **tail = &kept, *s, *old;
    char *err;
    size_t n, i;

    if (master_cf_load(&ents, &n, &err) < 0) {
        msg_error("reload: %s; keeping the old configuration", err);
        free(err);
        return;
    }
    for (i = 0; i < n; i++) {
        old = serv_unlink(ents + i);
        if (old && master_ent_same(&old->ent, ents + i)) {
            char *key = serv_bind_key(&old->ent);
            bool same = strcmp(key, old->bind_key) == 0;

            free(key);
            if (same) {
                master_detach_children(old, SIGHUP);
                *tail = old;
                tail = &old->next;
                master_avail_listen(old);
                master_wakeup_now(old);
                continue;
            }
        }
        s = serv_create(ents + i, old, &err);
        if (old) {
            master_detach_children(old, SIGHUP);
            master_serv_free(old);
        }
        if (s == NULL) {
            msg_error("reload: %s; service not started", err);
            free(err);
            continue;
        }
        *tail = s;
        tail = &s->next;
    }
    while ((old = master_services) != NULL) { /* removed from master.cf */
        master_services = old->next;
        master_detach_children(old, SIGHUP);
        master_serv_free(old);
    }
    master_services = kept;
    master_cf_free(ents, n);
}

void master_services_stop(void)
{
    struct master_serv *s;

    for (s = master_services; s; s = s->next) {
        master_avail_listen(s);
        event_cancel_timer(serv_wakeup_event, s);
    }
}
